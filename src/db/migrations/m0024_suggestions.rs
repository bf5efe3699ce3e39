//! 代表建议 and 议案 (SUG): the numbering series (`suggestion_sessions`: a 人代会 session or a
//! year's 闭会期间), the suggestions themselves from draft to registration (after which the
//! handling loop carries them: `item_id`), their co-signers who confirm in their own workspace,
//! and `record_links` — the platform's one way to link a record to another (a suggestion to
//! the citizens' opinions it came from; later a supervision item or a legislative project).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, int_null, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0024_suggestions"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("suggestion_sessions", "organ_id", "organs", "RESTRICT"),
    r("suggestions", "organ_id", "organs", "RESTRICT"),
    r("suggestions", "session_id", "suggestion_sessions", "RESTRICT"),
    r("suggestions", "lead_person_id", "persons", "RESTRICT"),
    r("suggestions", "item_id", "handling_items", "RESTRICT"),
    r("suggestion_cosigners", "suggestion_id", "suggestions", "CASCADE"),
    r("suggestion_cosigners", "person_id", "persons", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_sessions",
            vec![
                id("id"),
                int("organ_id"),
                text("kind"),
                int("year"),
                text("name"),
                int("next_number"),
                boolean("open", true),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("suggestion_sessions", "ix_suggestion_sessions_organ", &["organ_id", "year"], false))
            .await?;
        m.create_table(keyed_by(
            REFERENCES,
            "suggestions",
            vec![
                id("id"),
                int("organ_id"),
                int("session_id"),
                text("kind"),
                text("stage"),
                int_null("number"),
                text("title"),
                text("problem"),
                text("analysis"),
                text("measures"),
                text("category"),
                text("source"),
                int("lead_person_id"),
                int_null("item_id"),
                boolean("key_item", false),
                text("key_leader"),
                text("decision_note"),
                int("year"),
                int_null("carried_from_year"),
                text("search_text"),
                int("created_at"),
                int_null("submitted_at"),
                int("updated_at"),
            ],
        ))
        .await?;
        for (name, cols) in [
            ("ix_suggestions_organ_year", &["organ_id", "year"][..]),
            ("ix_suggestions_lead", &["lead_person_id"][..]),
            ("ix_suggestions_session", &["session_id", "number"][..]),
            ("ix_suggestions_stage", &["stage", "organ_id"][..]),
        ] {
            m.create_index(index("suggestions", name, cols, false)).await?;
        }
        m.create_index(index("suggestions", "ux_suggestions_item", &["item_id"], true)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_cosigners",
            vec![id("id"), int("suggestion_id"), int("person_id"), int("invited_at"), int_null("confirmed_at")],
        ))
        .await?;
        m.create_index(index("suggestion_cosigners", "ux_suggestion_cosigners", &["suggestion_id", "person_id"], true))
            .await?;
        m.create_index(index("suggestion_cosigners", "ix_suggestion_cosigners_person", &["person_id"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "record_links",
            vec![
                id("id"),
                text("from_type"),
                int("from_id"),
                text("to_type"),
                int("to_id"),
                text("note"),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("record_links", "ux_record_links", &["from_type", "from_id", "to_type", "to_id"], true))
            .await?;
        m.create_index(index("record_links", "ix_record_links_to", &["to_type", "to_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["record_links", "suggestion_cosigners", "suggestions", "suggestion_sessions"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
