//! OPN-9 / PLAT-8: what is public is what staff published (`publications`): the public
//! version of a record — its text with the personal data masked and edited by staff —, who
//! published it and when, and whether it was withdrawn. Every public surface reads this table
//! and nothing else of the record's text. `handling_events.note` keeps the part of a step that
//! stays internal (交办意见), beside the line the submitter sees.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, keyed_by, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_publications"
    }
}

pub const REFERENCES: &[Reference] =
    &[r("publications", "organ_id", "organs", "CASCADE"), r("publications", "published_by", "accounts", "SET NULL")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "publications",
            vec![
                id("id"),
                int("organ_id"),
                text("owner_type"),
                int("owner_id"),
                text("title"),
                text("body"),
                text("reply"),
                int("masked"),
                int_null("published_by"),
                text("published_by_name"),
                int("published_at"),
                int_null("withdrawn_at"),
                text_null("withdrawn_by_name"),
            ],
        ))
        .await?;
        m.create_index(index("publications", "ux_publications_owner", &["owner_type", "owner_id"], true)).await?;
        m.create_index(index(
            "publications",
            "ix_publications_live",
            &["owner_type", "organ_id", "withdrawn_at", "published_at"],
            false,
        ))
        .await?;
        let col = ColumnDef::new(Alias::new("note")).text().not_null().default("").to_owned();
        m.alter_table(Table::alter().table(Alias::new("handling_events")).add_column(col).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("handling_events")).drop_column(Alias::new("note")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Alias::new("publications")).if_exists().to_owned()).await
    }
}
