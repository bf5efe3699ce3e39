//! Issue 21, the statistics kept as counts: what each opinion adds to the figures of OPN-16
//! (`opinion_figures.share`, one row per opinion, JSON) and, maintained in the same
//! transaction as every write that moves them, the counts:
//!
//! - `opinion_figure_days (organ_id, day, dim, key, total, accepted, assigned, closed, on_time,
//!   rated, satisfied, unsatisfied, rehandled)`: per organ (the opinion's own), per Beijing day
//!   of the opinion's creation (days since 1970-01-01 in UTC+8), per breakdown row (`dim`: `''`
//!   the totals, `channel`, `category`, `station`, `deputy`, `area`, `unit`; `days` the
//!   handling-time histogram, `key` the working days and `total` how many);
//! - `opinion_figure_months (organ_id, month, …)`: the same per organ **subtree** (the opinion's
//!   organ and each organ above it) and Beijing month (`YYYYMM`).
//!
//! The opinions already in the database are counted by a one-off job
//! (`opinion-figures-backfill`), enqueued here when there are opinions: the figures follow the
//! loop's definitions, which a frozen migration must not read through the application's code.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0049_opinion_figures"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("opinion_figures", "opinion_id", "opinions", "CASCADE"),
    r("opinion_figure_days", "organ_id", "organs", "CASCADE"),
    r("opinion_figure_months", "organ_id", "organs", "CASCADE"),
];

const COUNTS: &str = "total BIGINT NOT NULL, accepted BIGINT NOT NULL, assigned BIGINT NOT NULL, \
     closed BIGINT NOT NULL, on_time BIGINT NOT NULL, rated BIGINT NOT NULL, satisfied BIGINT NOT NULL, \
     unsatisfied BIGINT NOT NULL, rehandled BIGINT NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        // A composite key and nothing else: on SQLite without a rowid (the key is the table).
        let tail = if c.get_database_backend() == DbBackend::Postgres { "" } else { " WITHOUT ROWID" };
        c.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS opinion_figures (opinion_id BIGINT NOT NULL PRIMARY KEY, share TEXT NOT NULL, \
             CONSTRAINT fk_opinion_figures_opinion_id FOREIGN KEY (opinion_id) REFERENCES opinions (id) ON DELETE CASCADE)",
        )
        .await?;
        for (t, period) in [("opinion_figure_days", "day"), ("opinion_figure_months", "month")] {
            c.execute_unprepared(&format!(
                "CREATE TABLE IF NOT EXISTS {t} (organ_id BIGINT NOT NULL, {period} BIGINT NOT NULL, \
                 dim TEXT NOT NULL, key TEXT NOT NULL, {COUNTS}, PRIMARY KEY (organ_id, {period}, dim, key), \
                 CONSTRAINT fk_{t}_organ_id FOREIGN KEY (organ_id) REFERENCES organs (id) ON DELETE CASCADE){tail}"
            ))
            .await?;
        }
        c.execute_unprepared(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, state, attempts, created_at) \
             SELECT 'opinion-figures-backfill', '{}', 'opinion-figures-backfill', 0, 'queued', 0, 0 \
             WHERE EXISTS (SELECT 1 FROM opinions)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["opinion_figure_months", "opinion_figure_days", "opinion_figures"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
