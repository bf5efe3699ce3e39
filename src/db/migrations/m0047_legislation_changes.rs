//! Issue 17, the rest of LEG-1 and LEG-7:
//!
//! - `leg_regulation_changes`: what happened to a regulation of the register after it was
//!   entered — `kind` `amend` (修正: a decision 「关于修改《…》的决定」 of a meeting), `revise`
//!   (修订: the whole text passed anew) or `repeal` (废止) —, the meeting that decided it, the
//!   date decided and the date it takes effect, the decision's name, the reason, the draft
//!   version the new text came from (if any) and the text the regulation had before (so every
//!   earlier text stays readable).
//! - `leg_project_steps`: the 立项 checkpoints of a project of the bank, recorded as steps —
//!   `step` `argument|directors|party_group|party_committee` (立项论证会, 主任会议研究, 党组审定,
//!   报党委批准), the date and `result` `agreed|deferred|rejected`, a note.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0047_legislation_changes"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("leg_regulation_changes", "regulation_id", "leg_regulations", "CASCADE"),
    r("leg_regulation_changes", "version_id", "leg_versions", "SET NULL"),
    r("leg_regulation_changes", "created_by_id", "accounts", "SET NULL"),
    r("leg_project_steps", "project_id", "leg_projects", "CASCADE"),
    r("leg_project_steps", "created_by_id", "accounts", "SET NULL"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            keyed_by(
                REFERENCES,
                "leg_regulation_changes",
                vec![
                    id("id"),
                    int("regulation_id"),
                    text("kind"),
                    text("decided_by"),
                    text("decided_on"),
                    text("effective_on"),
                    text("title"),
                    text("reason"),
                    int_null("version_id"),
                    text("previous_body"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            keyed_by(
                REFERENCES,
                "leg_project_steps",
                vec![
                    id("id"),
                    int("project_id"),
                    text("step"),
                    text("held_on"),
                    text("result"),
                    text("note"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        for i in [
            index("leg_regulation_changes", "ix_leg_regulation_changes_regulation", &["regulation_id", "id"], false),
            index("leg_regulation_changes", "ix_leg_regulation_changes_version", &["version_id"], false),
            index("leg_regulation_changes", "ix_leg_regulation_changes_created_by", &["created_by_id"], false),
            index("leg_project_steps", "ix_leg_project_steps_project", &["project_id", "id"], false),
            index("leg_project_steps", "ix_leg_project_steps_created_by", &["created_by_id"], false),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["leg_project_steps", "leg_regulation_changes"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
