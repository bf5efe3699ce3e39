//! 代表建议 at a million (issue 15, `bench/README.md`): what the staff list and the statistics
//! need to stay fast.
//!
//! - `ix_suggestions_scope`: the columns the list's total and the statistics filter and group
//!   on (organ, year, stage, category, loop item, lead, 重点, 结转), so that a count over a
//!   subtree's year reads the index, not the wide rows with their texts.
//! - The change counter `suggestions` (in `change_counters`, beside `stations`) moves with
//!   every write to a suggestion or to anything its figures are made of: the suggestion, its
//!   co-signers, its loop item and the item's assignments, events, replies and ratings (only
//!   of items of kind `suggestion`: opinions do not move it), group memberships, groups,
//!   units, organ paths and persons' names. Triggers move it, so every write path does —
//!   the services, imports, the generator. `suggestions::figures` keeps its cached figures
//!   and list totals while the counter stands still, so what a page shows is exact.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

use super::schema::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0031_suggestion_scale"
    }
}

/// The tables whose rows carry `item_id` of a loop item: they move the counter only for items
/// of kind `suggestion`.
const ITEM_TABLES: [&str; 4] = ["handling_assignments", "handling_events", "handling_replies", "handling_ratings"];

/// The tables any write of which moves the counter.
const PLAIN_TABLES: [&str; 4] = ["suggestions", "suggestion_cosigners", "deputy_groups", "handling_units"];

const BUMP: &str = "UPDATE change_counters SET value = value + 1 WHERE name = 'suggestions'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "suggestions",
            "ix_suggestions_scope",
            &["organ_id", "year", "stage", "category", "item_id", "lead_person_id", "key_item", "carried_from_year"],
            false,
        ))
        .await?;
        let c = m.get_connection();
        c.execute_unprepared("INSERT INTO change_counters (name, value) SELECT 'suggestions', 0 WHERE NOT EXISTS (SELECT 1 FROM change_counters WHERE name = 'suggestions')").await?;
        for sql in triggers(c.get_database_backend()) {
            c.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        for t in ITEM_TABLES
            .iter()
            .chain(PLAIN_TABLES.iter())
            .chain(["handling_items", "memberships", "persons", "organs"].iter())
        {
            for op in ["ins", "upd", "del"] {
                match c.get_database_backend() {
                    DbBackend::Postgres => {
                        c.execute_unprepared(&format!("DROP TRIGGER IF EXISTS sgc_{t}_{op} ON {t}")).await?
                    }
                    _ => c.execute_unprepared(&format!("DROP TRIGGER IF EXISTS sgc_{t}_{op}")).await?,
                };
            }
        }
        if c.get_database_backend() == DbBackend::Postgres {
            c.execute_unprepared("DROP FUNCTION IF EXISTS sgc_bump(); DROP FUNCTION IF EXISTS sgc_bump_item()").await?;
        }
        c.execute_unprepared("DELETE FROM change_counters WHERE name = 'suggestions'").await?;
        m.drop_index(Index::drop().name("ix_suggestions_scope").table(Alias::new("suggestions")).to_owned()).await
    }
}

/// The triggers that move the counter, in the backend's dialect.
fn triggers(backend: DbBackend) -> Vec<String> {
    let mut out = Vec::new();
    let ops = [("ins", "INSERT", "NEW"), ("upd", "UPDATE", "NEW"), ("del", "DELETE", "OLD")];
    match backend {
        DbBackend::Postgres => {
            out.push(format!(
                "CREATE OR REPLACE FUNCTION sgc_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
            ));
            out.push(format!(
                "CREATE OR REPLACE FUNCTION sgc_bump_item() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 DECLARE it BIGINT; \
                 BEGIN \
                   IF TG_OP = 'DELETE' THEN it := OLD.item_id; ELSE it := NEW.item_id; END IF; \
                   IF EXISTS (SELECT 1 FROM handling_items WHERE id = it AND kind = 'suggestion') THEN {BUMP}; END IF; \
                   RETURN NULL; \
                 END $$"
            ));
            // One move per statement where nothing needs checking (a bulk insert moves it once).
            for t in PLAIN_TABLES {
                out.push(format!(
                    "CREATE TRIGGER sgc_{t}_ins AFTER INSERT OR UPDATE OR DELETE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION sgc_bump()"
                ));
            }
            for t in ITEM_TABLES {
                out.push(format!(
                    "CREATE TRIGGER sgc_{t}_ins AFTER INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION sgc_bump_item()"
                ));
            }
            for (op, event, row) in ops {
                out.push(format!(
                    "CREATE TRIGGER sgc_handling_items_{op} AFTER {event} ON handling_items FOR EACH ROW \
                     WHEN ({row}.kind = 'suggestion') EXECUTE FUNCTION sgc_bump()"
                ));
                out.push(format!(
                    "CREATE TRIGGER sgc_memberships_{op} AFTER {event} ON memberships FOR EACH ROW \
                     WHEN ({row}.kind = 'group') EXECUTE FUNCTION sgc_bump()"
                ));
            }
            out.push(
                "CREATE TRIGGER sgc_persons_upd AFTER UPDATE OF name ON persons FOR EACH STATEMENT EXECUTE FUNCTION sgc_bump()"
                    .into(),
            );
            out.push(
                "CREATE TRIGGER sgc_organs_upd AFTER UPDATE OF path ON organs FOR EACH STATEMENT EXECUTE FUNCTION sgc_bump()"
                    .into(),
            );
        }
        _ => {
            for (op, event, row) in ops {
                for t in PLAIN_TABLES {
                    out.push(format!(
                        "CREATE TRIGGER IF NOT EXISTS sgc_{t}_{op} AFTER {event} ON {t} BEGIN {BUMP}; END"
                    ));
                }
                for t in ITEM_TABLES {
                    out.push(format!(
                        "CREATE TRIGGER IF NOT EXISTS sgc_{t}_{op} AFTER {event} ON {t} \
                         WHEN EXISTS (SELECT 1 FROM handling_items WHERE id = {row}.item_id AND kind = 'suggestion') \
                         BEGIN {BUMP}; END"
                    ));
                }
                out.push(format!(
                    "CREATE TRIGGER IF NOT EXISTS sgc_handling_items_{op} AFTER {event} ON handling_items \
                     WHEN {row}.kind = 'suggestion' BEGIN {BUMP}; END"
                ));
                out.push(format!(
                    "CREATE TRIGGER IF NOT EXISTS sgc_memberships_{op} AFTER {event} ON memberships \
                     WHEN {row}.kind = 'group' BEGIN {BUMP}; END"
                ));
            }
            out.push(format!(
                "CREATE TRIGGER IF NOT EXISTS sgc_persons_upd AFTER UPDATE OF name ON persons BEGIN {BUMP}; END"
            ));
            out.push(format!(
                "CREATE TRIGGER IF NOT EXISTS sgc_organs_upd AFTER UPDATE OF path ON organs BEGIN {BUMP}; END"
            ));
        }
    }
    out
}
