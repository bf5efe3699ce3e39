//! The loop for more kinds (issue 18): `handling_contacts` (a unit's recorded contacts with the
//! one who raised an item — 面商, 电话, 座谈, 走访 — before its reply), a 协办 unit's own
//! deadline to the 主办 (`handling_assignments.deadline`), the extension granted in the current
//! round in the kind's unit (`handling_items.extended`, capped with the first time), and whether a reply came after a
//! recorded contact (`handling_replies.contacted`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0023_loop_contacts"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("handling_contacts", "item_id", "handling_items", "CASCADE"),
    r("handling_contacts", "unit_id", "handling_units", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "handling_contacts",
            vec![
                id("id"),
                int("item_id"),
                int("round"),
                int("unit_id"),
                text("way"),
                text("contacted_on"),
                text("body"),
                int("at"),
            ],
        ))
        .await?;
        m.create_index(index("handling_contacts", "ix_handling_contacts_item", &["item_id", "round"], false)).await?;
        let col = ColumnDef::new(Alias::new("deadline")).text().null().to_owned();
        m.alter_table(Table::alter().table(Alias::new("handling_assignments")).add_column(col).to_owned()).await?;
        let col = ColumnDef::new(Alias::new("contacted")).boolean().not_null().default(false).to_owned();
        m.alter_table(Table::alter().table(Alias::new("handling_replies")).add_column(col).to_owned()).await?;
        let col = ColumnDef::new(Alias::new("extended")).big_integer().not_null().default(0).to_owned();
        m.alter_table(Table::alter().table(Alias::new("handling_items")).add_column(col).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let items = Table::alter().table(Alias::new("handling_items")).drop_column(Alias::new("extended")).to_owned();
        m.alter_table(items).await?;
        let replies =
            Table::alter().table(Alias::new("handling_replies")).drop_column(Alias::new("contacted")).to_owned();
        m.alter_table(replies).await?;
        let a = Table::alter().table(Alias::new("handling_assignments")).drop_column(Alias::new("deadline")).to_owned();
        m.alter_table(a).await?;
        m.drop_table(Table::drop().table(Alias::new("handling_contacts")).if_exists().to_owned()).await
    }
}
