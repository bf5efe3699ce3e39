//! 并案 (OPN-5): an item merged into another follows it (`handling_merges`, one row per
//! merged item). Made with its foreign keys (listed in `REFERENCES`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{index, int, keyed_by};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_item_merge"
    }
}

/// A merge goes with neither item: items are never deleted under it.
pub const REFERENCES: &[Reference] = &[
    r("handling_merges", "item_id", "handling_items", "RESTRICT"),
    r("handling_merges", "into_item_id", "handling_items", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = keyed_by(
            REFERENCES,
            "handling_merges",
            vec![
                ColumnDef::new(Alias::new("item_id")).big_integer().not_null().primary_key().to_owned(),
                int("into_item_id"),
                int("merged_at"),
            ],
        );
        m.create_table(t).await?;
        m.create_index(index("handling_merges", "ix_handling_merges_into", &["into_item_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("handling_merges")).if_exists().to_owned()).await
    }
}
