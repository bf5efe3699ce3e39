//! The participants of a loop item beyond the one deputy it was raised with: the deputies who
//! signed it (`item_signers`: a lead and co-signers — a 代表建议 with its 附议代表), who see it,
//! act as its deputy and rate each reply themselves; `handling_ratings.person_id` says which
//! deputy rated, `aspect` what (overall, 答复, 办理结果) and `unit_id` which unit, where a kind
//! rates units one by one.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, keyed_by};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_item_signers"
    }
}

pub const REFERENCES: &[Reference] =
    &[r("item_signers", "item_id", "handling_items", "CASCADE"), r("item_signers", "person_id", "persons", "RESTRICT")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "item_signers",
            vec![id("id"), int("item_id"), int("person_id"), boolean("lead", false), int("created_at")],
        ))
        .await?;
        m.create_index(index("item_signers", "ux_item_signers", &["item_id", "person_id"], true)).await?;
        m.create_index(index("item_signers", "ix_item_signers_person", &["person_id"], false)).await?;
        let ratings = || Table::alter().table(Alias::new("handling_ratings")).to_owned();
        let col = ColumnDef::new(Alias::new("person_id")).big_integer().null().to_owned();
        m.alter_table(ratings().add_column(col).to_owned()).await?;
        let col = ColumnDef::new(Alias::new("aspect")).text().not_null().default("overall").to_owned();
        m.alter_table(ratings().add_column(col).to_owned()).await?;
        let col = ColumnDef::new(Alias::new("unit_id")).big_integer().null().to_owned();
        m.alter_table(ratings().add_column(col).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["unit_id", "aspect", "person_id"] {
            m.alter_table(Table::alter().table(Alias::new("handling_ratings")).drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table(Alias::new("item_signers")).if_exists().to_owned()).await
    }
}
