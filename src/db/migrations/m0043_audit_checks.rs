//! PLAT-9 / issue 21: the audit chain's checks and checkpoints (`audit_checks`). Each row is one
//! check of the chain: a whole walk (by the daily job or `renda audit verify`) or the walk of the
//! entries after the last checkpoint (a view of the audit page). A passed check is a checkpoint:
//! entries up to `to_seq` were found intact, `hash` is the hash of entry `to_seq`, and `mac`
//! binds both to the audit key, so a row written without the key is not taken as a checkpoint.

use sea_orm_migration::prelude::*;

use super::schema::{boolean, id, index, int, table, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0043_audit_checks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "audit_checks",
            vec![
                id("id"),
                int("at"),
                // job | command | view
                text("by_whom"),
                // whole | tail
                text("scope"),
                int("from_seq"),
                int("to_seq"),
                text("hash"),
                boolean("ok", false),
                text("problem"),
                text("mac"),
            ],
        ))
        .await?;
        m.create_index(index("audit_checks", "ix_audit_checks_scope_ok", &["scope", "ok", "id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("audit_checks")).if_exists().to_owned()).await
    }
}
