//! 代表建议 before submission and its links (SUG-1, SUG-11): a draft shared with a deputy group
//! for 会商 (`suggestion_shares`), the group members' comments on it (`suggestion_comments`),
//! and the external references a suggestion records — a 检察建议 or a 公益诉讼线索 with its
//! number, procuratorate and date (`external_references`, linked through `record_links`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0026_suggestion_drafts"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("suggestion_shares", "suggestion_id", "suggestions", "CASCADE"),
    r("suggestion_shares", "group_id", "deputy_groups", "RESTRICT"),
    r("suggestion_shares", "shared_by", "persons", "RESTRICT"),
    r("suggestion_comments", "suggestion_id", "suggestions", "CASCADE"),
    r("suggestion_comments", "person_id", "persons", "RESTRICT"),
    r("external_references", "organ_id", "organs", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_shares",
            vec![id("id"), int("suggestion_id"), int("group_id"), int("shared_by"), int("shared_at")],
        ))
        .await?;
        m.create_index(index("suggestion_shares", "ux_suggestion_shares", &["suggestion_id", "group_id"], true))
            .await?;
        m.create_index(index("suggestion_shares", "ix_suggestion_shares_group", &["group_id"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_comments",
            vec![id("id"), int("suggestion_id"), int("person_id"), text("body"), int("created_at")],
        ))
        .await?;
        m.create_index(index("suggestion_comments", "ix_suggestion_comments", &["suggestion_id", "id"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "external_references",
            vec![
                id("id"),
                int("organ_id"),
                text("kind"),
                text("number"),
                text("issuer"),
                text("issued_on"),
                text("note"),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("external_references", "ix_external_references_organ", &["organ_id", "kind"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["external_references", "suggestion_comments", "suggestion_shares"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
