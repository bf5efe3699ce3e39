//! 立法 (LEG-2 to LEG-5): drafts of regulations as structured text. A draft (`leg_drafts`) has
//! versions — its readings (`leg_versions`: 一审稿, 二审稿 …, each with its stage and, when
//! published for comment, its window) —, each version its nodes (`leg_nodes`: 编 / 章 / 节 / 条 /
//! 款 / 项 / 目 in document order, `node_id` the identity an article keeps across versions).
//! Opinions on a draft (`leg_opinions`: public comments, the answers of 联系点, departments,
//! deputies and experts, each with its source, stage, article and disposition), the targeted
//! consultation's tasks (`leg_tasks`, with working-day deadlines) and the expert pools
//! (`leg_experts`). New tables are created with their foreign keys (`REFERENCES`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, int_null, keyed_by, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0036_legislation"
    }
}

/// A draft, a version and a task are records (`RESTRICT` on their organ and on what they
/// point at); versions, nodes and opinions are part of their draft (`CASCADE`); the accounts
/// that entered or disposed of something may go (`SET NULL`).
pub const REFERENCES: &[Reference] = &[
    r("leg_drafts", "organ_id", "organs", "RESTRICT"),
    r("leg_drafts", "created_by_id", "accounts", "SET NULL"),
    r("leg_versions", "draft_id", "leg_drafts", "CASCADE"),
    r("leg_versions", "created_by_id", "accounts", "SET NULL"),
    r("leg_nodes", "version_id", "leg_versions", "CASCADE"),
    r("leg_nodes", "parent_id", "leg_nodes", "CASCADE"),
    r("leg_experts", "organ_id", "organs", "RESTRICT"),
    r("leg_tasks", "draft_id", "leg_drafts", "CASCADE"),
    r("leg_tasks", "version_id", "leg_versions", "RESTRICT"),
    r("leg_tasks", "unit_id", "handling_units", "RESTRICT"),
    r("leg_tasks", "station_id", "stations", "RESTRICT"),
    r("leg_tasks", "person_id", "persons", "RESTRICT"),
    r("leg_tasks", "expert_id", "leg_experts", "RESTRICT"),
    r("leg_tasks", "created_by_id", "accounts", "SET NULL"),
    r("leg_tasks", "answered_by_id", "accounts", "SET NULL"),
    r("leg_opinions", "draft_id", "leg_drafts", "CASCADE"),
    r("leg_opinions", "version_id", "leg_versions", "RESTRICT"),
    r("leg_opinions", "task_id", "leg_tasks", "CASCADE"),
    r("leg_opinions", "entered_by_id", "accounts", "SET NULL"),
    r("leg_opinions", "disposed_by_id", "accounts", "SET NULL"),
    r("leg_opinions", "change_version_id", "leg_versions", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            // A draft regulation of an organ: `side` `own` (this organ drafts it) or
            // `consulted` (an upper congress sent it to this organ as a 联系点; `origin` names
            // who), `state` `active|passed|closed`.
            keyed_by(
                REFERENCES,
                "leg_drafts",
                vec![
                    id("id"),
                    int("organ_id"),
                    text("title"),
                    text("side"),
                    text("origin"),
                    text("state"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // A version (reading): its number in the draft, label (一审稿), stage, the title and
            // enacting lines as parsed, the 目录 lines dropped, where it came from, how many
            // articles and accepted parser issues; the consultation window (Beijing dates) and
            // when it was published at /l/{draft}.
            keyed_by(
                REFERENCES,
                "leg_versions",
                vec![
                    id("id"),
                    int("draft_id"),
                    int("seq"),
                    text("label"),
                    text("stage"),
                    text("title"),
                    text("enacting"),
                    int("toc_lines"),
                    text("source"),
                    text("file_name"),
                    int("articles"),
                    text("issues"),
                    text_null("open_from"),
                    text_null("open_until"),
                    int_null("published_at"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // A node in document order (`position`), its parent and depth; `node_id` is the
            // identity it shares with its matches in other versions of the draft.
            keyed_by(
                REFERENCES,
                "leg_nodes",
                vec![
                    id("id"),
                    int("version_id"),
                    int("node_id"),
                    int_null("parent_id"),
                    int("position"),
                    int("depth"),
                    text("kind"),
                    text("number"),
                    int("ordinal"),
                    int("sub"),
                    text("heading"),
                    text("body"),
                ],
            ),
            // An expert of a pool (`advisor` 立法专家顾问, `think_tank` 咨询智库), fields of
            // expertise comma-separated.
            keyed_by(
                REFERENCES,
                "leg_experts",
                vec![
                    id("id"),
                    int("organ_id"),
                    text("pool"),
                    text("name"),
                    text("affiliation"),
                    text("fields"),
                    boolean("active", true),
                    int("created_at"),
                ],
            ),
            // A targeted consultation (LEG-4): the draft's version sent to one body — a
            // department (`unit`), a 联系点 (`station`), a deputy (`person`), an expert —
            // with its request, a working-day deadline (Beijing date and its end), its state
            // `open|answered`, the answer's summary, and the deadline scan's stamps.
            keyed_by(
                REFERENCES,
                "leg_tasks",
                vec![
                    id("id"),
                    int("draft_id"),
                    int("version_id"),
                    text("target"),
                    int_null("unit_id"),
                    int_null("station_id"),
                    int_null("person_id"),
                    int_null("expert_id"),
                    text("request"),
                    int("due_working_days"),
                    text("deadline"),
                    int("deadline_at"),
                    text("state"),
                    text("summary"),
                    int_null("answered_at"),
                    int_null("answered_by_id"),
                    text_null("warned_for"),
                    text_null("overdue_for"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // An opinion on a draft: of the version it was given on and one article's identity
            // (`node_id`; none for the whole draft), its `source` and `stage`, the quoted
            // passage, the text, who gave it (a body's or expert's name; nothing for the public),
            // a commenter's name and phone encrypted with a masked copy, the address's keyed
            // hash, moderation (`ok|held|removed`, why held), the task it answers (not yet sent
            // while `sent` is false), and its disposition with the reason, who and when, the
            // change it led to (a later version and the identity of the node changed), and when
            // its giver was told.
            keyed_by(
                REFERENCES,
                "leg_opinions",
                vec![
                    id("id"),
                    int("draft_id"),
                    int("version_id"),
                    int_null("node_id"),
                    text("source"),
                    text("stage"),
                    text("quote"),
                    text("body"),
                    text("author"),
                    text_null("name_enc"),
                    text_null("phone_enc"),
                    text_null("phone_masked"),
                    text("client_hash"),
                    text("moderation"),
                    text_null("hold_reason"),
                    int_null("task_id"),
                    boolean("sent", true),
                    int_null("entered_by_id"),
                    int("created_at"),
                    text_null("disposition"),
                    text("reason"),
                    int_null("disposed_at"),
                    int_null("disposed_by_id"),
                    int_null("change_version_id"),
                    int_null("change_node_id"),
                    int_null("notified_at"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = vec![
            index("leg_drafts", "ix_leg_drafts_organ", &["organ_id", "id"], false),
            index("leg_drafts", "ix_leg_drafts_created_by", &["created_by_id"], false),
            index("leg_versions", "ux_leg_versions_seq", &["draft_id", "seq"], true),
            index("leg_versions", "ix_leg_versions_created_by", &["created_by_id"], false),
            index("leg_nodes", "ix_leg_nodes_version", &["version_id", "position"], false),
            index("leg_nodes", "ix_leg_nodes_node", &["node_id"], false),
            index("leg_nodes", "ix_leg_nodes_parent", &["parent_id"], false),
            index("leg_experts", "ix_leg_experts_organ", &["organ_id", "pool"], false),
            index("leg_tasks", "ix_leg_tasks_draft", &["draft_id", "id"], false),
            index("leg_tasks", "ix_leg_tasks_version", &["version_id"], false),
            index("leg_tasks", "ix_leg_tasks_unit", &["unit_id"], false),
            index("leg_tasks", "ix_leg_tasks_station", &["station_id"], false),
            index("leg_tasks", "ix_leg_tasks_person", &["person_id"], false),
            index("leg_tasks", "ix_leg_tasks_expert", &["expert_id"], false),
            index("leg_tasks", "ix_leg_tasks_open", &["state", "deadline_at"], false),
            index("leg_tasks", "ix_leg_tasks_created_by", &["created_by_id"], false),
            index("leg_tasks", "ix_leg_tasks_answered_by", &["answered_by_id"], false),
            index("leg_opinions", "ix_leg_opinions_draft", &["draft_id", "id"], false),
            index("leg_opinions", "ix_leg_opinions_version", &["version_id", "node_id"], false),
            index("leg_opinions", "ix_leg_opinions_task", &["task_id"], false),
            index("leg_opinions", "ix_leg_opinions_client", &["client_hash", "created_at"], false),
            index("leg_opinions", "ix_leg_opinions_entered_by", &["entered_by_id"], false),
            index("leg_opinions", "ix_leg_opinions_disposed_by", &["disposed_by_id"], false),
            index("leg_opinions", "ix_leg_opinions_change_version", &["change_version_id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["leg_opinions", "leg_tasks", "leg_experts", "leg_nodes", "leg_versions", "leg_drafts"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
