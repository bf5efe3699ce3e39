//! Issue 16, the loop as its users meet it: an organ's own rule of the loop
//! (`handling_rules`: whether a unit signs for an item — 签收 — before it may reply; one row per
//! organ that set it, the organs below it follow it unless they set their own, and without any
//! row the kind's default applies), and the deputies an item was handed to (`item_handovers`:
//! each 转交代表 with the deputy it went to and the one it was with before, so that both keep
//! seeing it). 撤回 and 改派 need no column: an assignment ends as `withdrawn` or `reassigned`
//! with its reason in `return_reason`.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, int_null, keyed_by};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0033_handling_corrections"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("handling_rules", "organ_id", "organs", "RESTRICT"),
    r("handling_rules", "updated_by_id", "accounts", "SET NULL"),
    r("item_handovers", "item_id", "handling_items", "CASCADE"),
    r("item_handovers", "person_id", "persons", "RESTRICT"),
    r("item_handovers", "previous_id", "persons", "RESTRICT"),
    r("item_handovers", "by_id", "accounts", "SET NULL"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "handling_rules",
            vec![
                id("id"),
                int("organ_id"),
                boolean("accept_before_reply", true),
                int_null("updated_by_id"),
                int("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index("handling_rules", "ux_handling_rules_organ", &["organ_id"], true)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "item_handovers",
            vec![id("id"), int("item_id"), int("person_id"), int_null("previous_id"), int_null("by_id"), int("at")],
        ))
        .await?;
        m.create_index(index("item_handovers", "ix_item_handovers_item", &["item_id"], false)).await?;
        m.create_index(index("item_handovers", "ix_item_handovers_person", &["person_id"], false)).await?;
        m.create_index(index("item_handovers", "ix_item_handovers_previous", &["previous_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("item_handovers")).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("handling_rules")).if_exists().to_owned()).await
    }
}
