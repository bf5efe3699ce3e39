//! Issue 21, words stored at intake: each opinion's words (`opinions.words`: the words its hot
//! words count — segmented with the installation's names kept whole, function words left out,
//! each once, sorted, joined by spaces; `NULL` until segmented) and, maintained in the same
//! transaction as the opinion's write, in how many opinions each word appears:
//!
//! - `opinion_word_days (organ_id, day, word, texts)`: per organ (the opinion's own), per
//!   Beijing day (days since 1970-01-01 in UTC+8);
//! - `opinion_word_months (organ_id, month, word, texts)`: per organ **subtree** (the opinion's
//!   organ and each organ above it count it), per Beijing month (`YYYYMM`), so that a subtree's
//!   period of whole months is one index range of one organ.
//!
//! Rows already in the database are segmented by a one-off job (`opinion-words-backfill`),
//! enqueued here when there are opinions: it needs the installation's names, which a frozen
//! migration must not read through the application's code.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::text_null;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0046_opinion_words"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("opinion_word_days", "organ_id", "organs", "CASCADE"),
    r("opinion_word_months", "organ_id", "organs", "CASCADE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("opinions")).add_column(text_null("words")).to_owned()).await?;
        let c = m.get_connection();
        // A composite key and nothing else: on SQLite without a rowid (the key is the table).
        let tail = if c.get_database_backend() == DbBackend::Postgres { "" } else { " WITHOUT ROWID" };
        for (t, period) in [("opinion_word_days", "day"), ("opinion_word_months", "month")] {
            c.execute_unprepared(&format!(
                "CREATE TABLE IF NOT EXISTS {t} (organ_id BIGINT NOT NULL, {period} BIGINT NOT NULL, \
                 word TEXT NOT NULL, texts BIGINT NOT NULL, PRIMARY KEY (organ_id, {period}, word), \
                 CONSTRAINT fk_{t}_organ_id FOREIGN KEY (organ_id) REFERENCES organs (id) ON DELETE CASCADE){tail}"
            ))
            .await?;
        }
        c.execute_unprepared(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, state, attempts, created_at) \
             SELECT 'opinion-words-backfill', '{}', 'opinion-words-backfill', 0, 'queued', 0, 0 \
             WHERE EXISTS (SELECT 1 FROM opinions)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["opinion_word_months", "opinion_word_days"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        m.alter_table(Table::alter().table(Alias::new("opinions")).drop_column(Alias::new("words")).to_owned()).await
    }
}
