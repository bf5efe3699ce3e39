//! Issue 16: what 民意's text analysis learns from the installation's own names, and the 12345
//! order number found by search.
//!
//! - The change counter `names` (in `change_counters`) moves whenever an area, a station or a
//!   handling unit is added, removed or renamed — by trigger, so every write path moves it (the
//!   services, the area and roster imports, the generator). `opinions::lexicon` keeps the
//!   segmenter's dictionary of those names while the counter stands still.
//! - Imported work orders' search text gains their external order number (lower case, split at
//!   `-`, `_` and `/` as the segmenter splits it), so the console search finds an order by its
//!   number; new orders get it at intake.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0035_opinion_lexicon"
    }
}

/// The tables whose names the lexicon holds.
const TABLES: [&str; 3] = ["areas", "stations", "handling_units"];

const BUMP: &str = "UPDATE change_counters SET value = value + 1 WHERE name = 'names'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        c.execute_unprepared(
            "INSERT INTO change_counters (name, value) SELECT 'names', 0 \
             WHERE NOT EXISTS (SELECT 1 FROM change_counters WHERE name = 'names')",
        )
        .await?;
        match c.get_database_backend() {
            DbBackend::Postgres => {
                c.execute_unprepared(&format!(
                    "CREATE OR REPLACE FUNCTION nmc_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
                ))
                .await?;
                for t in TABLES {
                    c.execute_unprepared(&format!(
                        "CREATE TRIGGER nmc_{t}_ins AFTER INSERT OR DELETE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION nmc_bump()"
                    ))
                    .await?;
                    c.execute_unprepared(&format!(
                        "CREATE TRIGGER nmc_{t}_upd AFTER UPDATE OF name ON {t} FOR EACH STATEMENT EXECUTE FUNCTION nmc_bump()"
                    ))
                    .await?;
                }
            }
            _ => {
                for t in TABLES {
                    for (op, event) in [("ins", "INSERT"), ("del", "DELETE"), ("upd", "UPDATE OF name")] {
                        c.execute_unprepared(&format!(
                            "CREATE TRIGGER IF NOT EXISTS nmc_{t}_{op} AFTER {event} ON {t} BEGIN {BUMP}; END"
                        ))
                        .await?;
                    }
                }
            }
        }
        c.execute_unprepared(
            "UPDATE opinions SET search_text = search_text || ' ' || \
             lower(replace(replace(replace(external_no, '-', ' '), '_', ' '), '/', ' ')) \
             WHERE external_no IS NOT NULL AND external_no <> ''",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        for t in TABLES {
            for op in ["ins", "upd", "del"] {
                match c.get_database_backend() {
                    DbBackend::Postgres => {
                        c.execute_unprepared(&format!("DROP TRIGGER IF EXISTS nmc_{t}_{op} ON {t}")).await?
                    }
                    _ => c.execute_unprepared(&format!("DROP TRIGGER IF EXISTS nmc_{t}_{op}")).await?,
                };
            }
        }
        if c.get_database_backend() == DbBackend::Postgres {
            c.execute_unprepared("DROP FUNCTION IF EXISTS nmc_bump()").await?;
        }
        c.execute_unprepared("DELETE FROM change_counters WHERE name = 'names'").await?;
        Ok(())
    }
}
