//! REG-10: one duty date cancelled or moved, with the reason the public page shows
//! (`duty_changes`). The rule's re-expansion applies them, so a change outlives it.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, keyed_by, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_duty_changes"
    }
}

/// A change outlives its rule and the account that made it (`SET NULL`).
pub const REFERENCES: &[Reference] = &[
    r("duty_changes", "station_id", "stations", "RESTRICT"),
    r("duty_changes", "rule_id", "duty_rules", "SET NULL"),
    r("duty_changes", "person_id", "persons", "RESTRICT"),
    r("duty_changes", "created_by_id", "accounts", "SET NULL"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "duty_changes",
            vec![
                id("id"),
                int("station_id"),
                int_null("rule_id"),
                int("person_id"),
                text("slot_date"),
                text("start_time"),
                text("kind"),
                text_null("new_date"),
                text("reason"),
                int_null("created_by_id"),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("duty_changes", "ix_duty_changes_station_date", &["station_id", "slot_date"], false))
            .await?;
        m.create_index(index("duty_changes", "ix_duty_changes_rule", &["rule_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("duty_changes")).if_exists().to_owned()).await
    }
}
