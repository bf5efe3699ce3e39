//! More of the year-end evaluation (SUG-10) and the field visits of the handling record
//! (SUG-6): a deputy group's written 态度·措施·实效 evaluation of a unit (`group_evaluations`, one
//! per group, unit and year), the sendings of a 测评's results to the assessment departments
//! with the file as sent (`evaluation_sendings`, their recipients in `evaluation_recipients`),
//! and a deputy group's visits (`suggestion_visits`) with the members who took part and the
//! suggestions they were about.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0030_suggestion_evaluation_more"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("group_evaluations", "organ_id", "organs", "RESTRICT"),
    r("group_evaluations", "group_id", "deputy_groups", "RESTRICT"),
    r("group_evaluations", "unit_id", "handling_units", "RESTRICT"),
    r("group_evaluations", "written_by", "persons", "RESTRICT"),
    r("evaluation_sendings", "organ_id", "organs", "RESTRICT"),
    r("evaluation_sendings", "ballot_id", "ballots", "RESTRICT"),
    r("evaluation_sendings", "sent_by", "accounts", "RESTRICT"),
    r("evaluation_sendings", "attachment_id", "attachments", "RESTRICT"),
    r("evaluation_recipients", "sending_id", "evaluation_sendings", "CASCADE"),
    r("evaluation_recipients", "unit_id", "handling_units", "RESTRICT"),
    r("suggestion_visits", "organ_id", "organs", "RESTRICT"),
    r("suggestion_visits", "group_id", "deputy_groups", "RESTRICT"),
    r("suggestion_visits", "unit_id", "handling_units", "RESTRICT"),
    r("suggestion_visits", "recorded_by", "accounts", "RESTRICT"),
    r("suggestion_visit_members", "visit_id", "suggestion_visits", "CASCADE"),
    r("suggestion_visit_members", "person_id", "persons", "RESTRICT"),
    r("suggestion_visit_items", "visit_id", "suggestion_visits", "CASCADE"),
    r("suggestion_visit_items", "suggestion_id", "suggestions", "CASCADE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "group_evaluations",
            vec![
                id("id"),
                int("organ_id"),
                int("year"),
                int("group_id"),
                int("unit_id"),
                text("attitude"),
                text("attitude_note"),
                text("measures"),
                text("measures_note"),
                text("results"),
                text("results_note"),
                text("note"),
                int("written_by"),
                int("created_at"),
                int("updated_at"),
            ],
        ))
        .await?;
        m.create_index(index("group_evaluations", "ux_group_evaluations", &["group_id", "unit_id", "year"], true))
            .await?;
        m.create_index(index(
            "group_evaluations",
            "ix_group_evaluations_year",
            &["organ_id", "year", "unit_id"],
            false,
        ))
        .await?;
        m.create_table(keyed_by(
            REFERENCES,
            "evaluation_sendings",
            vec![
                id("id"),
                int("organ_id"),
                int("ballot_id"),
                int("number"),
                text("departments"),
                text("note"),
                int("sent_by"),
                int("sent_at"),
                int_null("attachment_id"),
            ],
        ))
        .await?;
        m.create_index(index("evaluation_sendings", "ux_evaluation_sendings", &["ballot_id", "number"], true)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "evaluation_recipients",
            vec![id("id"), int("sending_id"), text("name"), int_null("unit_id")],
        ))
        .await?;
        m.create_index(index("evaluation_recipients", "ix_evaluation_recipients", &["sending_id"], false)).await?;
        m.create_index(index("evaluation_recipients", "ix_evaluation_recipients_unit", &["unit_id"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_visits",
            vec![
                id("id"),
                int("organ_id"),
                int("group_id"),
                text("visited_on"),
                text("place"),
                int_null("unit_id"),
                text("notes"),
                int("recorded_by"),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("suggestion_visits", "ix_suggestion_visits_group", &["group_id", "visited_on"], false))
            .await?;
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_visit_members",
            vec![id("id"), int("visit_id"), int("person_id")],
        ))
        .await?;
        m.create_index(index(
            "suggestion_visit_members",
            "ux_suggestion_visit_members",
            &["visit_id", "person_id"],
            true,
        ))
        .await?;
        m.create_index(index("suggestion_visit_members", "ix_suggestion_visit_members_person", &["person_id"], false))
            .await?;
        m.create_table(keyed_by(
            REFERENCES,
            "suggestion_visit_items",
            vec![id("id"), int("visit_id"), int("suggestion_id")],
        ))
        .await?;
        m.create_index(index(
            "suggestion_visit_items",
            "ux_suggestion_visit_items",
            &["visit_id", "suggestion_id"],
            true,
        ))
        .await?;
        m.create_index(index("suggestion_visit_items", "ix_suggestion_visit_items_sg", &["suggestion_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "suggestion_visit_items",
            "suggestion_visit_members",
            "suggestion_visits",
            "evaluation_recipients",
            "evaluation_sendings",
            "group_evaluations",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
