//! Issue 21, `overdue` of the statistics kept too: each opinion's open deadline (the deadline
//! while units are on its item — assigned, in progress, rehandling) counted, in the same
//! transaction as every write that moves it, next to the figures of `m0049`:
//!
//! - `opinion_overdue_days (organ_id, day, due, dim, key, n)`: per organ (the opinion's own),
//!   Beijing day of the opinion's creation, deadline (`due`, a Unix time: deadlines end at
//!   24:00 Beijing time, so few distinct values) and breakdown row (`dim` `''` the totals,
//!   `channel`, `category`, `station`, `deputy`, `area`, `unit`), `n` the open items;
//! - `opinion_overdue_months (organ_id, month, due, dim, key, n)`: the same per organ
//!   **subtree** (the opinion's organ and each organ above it) and Beijing month (`YYYYMM`).
//!
//! Overdue at a time is the sum of the rows with `due` not after it. The open items already in
//! the database are counted by the backfill job (`opinion-figures-backfill`, which restates the
//! open items with a deadline after the opinions without a share), enqueued here again under
//! its own key when there are opinions.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0050_opinion_overdue"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("opinion_overdue_days", "organ_id", "organs", "CASCADE"),
    r("opinion_overdue_months", "organ_id", "organs", "CASCADE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        // A composite key and nothing else: on SQLite without a rowid (the key is the table).
        let tail = if c.get_database_backend() == DbBackend::Postgres { "" } else { " WITHOUT ROWID" };
        for (t, period) in [("opinion_overdue_days", "day"), ("opinion_overdue_months", "month")] {
            c.execute_unprepared(&format!(
                "CREATE TABLE IF NOT EXISTS {t} (organ_id BIGINT NOT NULL, {period} BIGINT NOT NULL, \
                 due BIGINT NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL, n BIGINT NOT NULL, \
                 PRIMARY KEY (organ_id, {period}, due, dim, key), \
                 CONSTRAINT fk_{t}_organ_id FOREIGN KEY (organ_id) REFERENCES organs (id) ON DELETE CASCADE){tail}"
            ))
            .await?;
        }
        c.execute_unprepared(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, state, attempts, created_at) \
             SELECT 'opinion-figures-backfill', '{}', 'opinion-figures-backfill-overdue', 0, 'queued', 0, 0 \
             WHERE EXISTS (SELECT 1 FROM opinions)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["opinion_overdue_months", "opinion_overdue_days"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
