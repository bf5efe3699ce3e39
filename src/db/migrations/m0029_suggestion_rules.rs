//! An organ's own rules of 代表建议 (SUG-3): how many confirmed co-signers a 议案 needs
//! (`suggestion_rules.bill_min_cosigners`, one row per organ that changed it; without a row the
//! legal default applies: 5 at a township's congress, 10 above).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, keyed_by};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0029_suggestion_rules"
    }
}

pub const REFERENCES: &[Reference] = &[r("suggestion_rules", "organ_id", "organs", "RESTRICT")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_rules",
            vec![id("id"), int("organ_id"), int("bill_min_cosigners"), int("updated_at")],
        ))
        .await?;
        m.create_index(index("suggestion_rules", "ux_suggestion_rules_organ", &["organ_id"], true)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("suggestion_rules")).if_exists().to_owned()).await
    }
}
