//! 立法 (LEG-1, LEG-6, LEG-7): plans and the project bank, events with their speakers, and
//! passage — readings with their votes, and the register of regulations in force with its
//! full-text search, 配套制度 and interpretation material.
//!
//! - `leg_plans` (立法规划, several years; 立法计划, one year) and their `leg_plan_items`
//!   (制定/修改/废止; 正式/预备/调研项目; drafting body, schedule, status; the project it came
//!   from and the draft it became).
//! - `leg_projects`: the project bank (立法项目库); where a project came from is a link of
//!   `record_links` (a deputies' suggestion or 议案, a citizen's opinion of a public call, a
//!   department), its 立项论证 a text.
//! - `leg_events` (座谈会, 论证会, 听证会) of a draft, `leg_event_speakers` who registered to
//!   speak (name and phone encrypted, a masked copy), and `leg_opinions.event_id`: the opinions
//!   given at an event, disposed of with every other.
//! - `leg_readings` of a draft (一审, 二审, 三审, 表决) with the vote's figures.
//! - `leg_regulations`: the register, with the segmented text for search (FTS5 on SQLite, a
//!   GIN index over `to_tsvector('simple', …)` on PostgreSQL); `leg_rules` (配套制度) and
//!   `leg_interpretations` (法规解读) of each.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, keyed_by, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0044_legislation_plans"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("leg_plans", "organ_id", "organs", "RESTRICT"),
    r("leg_plans", "created_by_id", "accounts", "SET NULL"),
    r("leg_projects", "organ_id", "organs", "RESTRICT"),
    r("leg_projects", "created_by_id", "accounts", "SET NULL"),
    r("leg_plan_items", "plan_id", "leg_plans", "CASCADE"),
    r("leg_plan_items", "project_id", "leg_projects", "RESTRICT"),
    r("leg_plan_items", "draft_id", "leg_drafts", "SET NULL"),
    r("leg_events", "draft_id", "leg_drafts", "CASCADE"),
    r("leg_events", "created_by_id", "accounts", "SET NULL"),
    r("leg_event_speakers", "event_id", "leg_events", "CASCADE"),
    r("leg_opinions", "event_id", "leg_events", "CASCADE"),
    r("leg_readings", "draft_id", "leg_drafts", "CASCADE"),
    r("leg_readings", "version_id", "leg_versions", "RESTRICT"),
    r("leg_readings", "created_by_id", "accounts", "SET NULL"),
    r("leg_regulations", "organ_id", "organs", "RESTRICT"),
    r("leg_regulations", "draft_id", "leg_drafts", "SET NULL"),
    r("leg_regulations", "created_by_id", "accounts", "SET NULL"),
    r("leg_rules", "regulation_id", "leg_regulations", "CASCADE"),
    r("leg_interpretations", "regulation_id", "leg_regulations", "CASCADE"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            // A plan: `kind` `program` (立法规划) or `annual` (立法计划), its years, `state`
            // `draft|adopted` with the date adopted.
            keyed_by(
                REFERENCES,
                "leg_plans",
                vec![
                    id("id"),
                    int("organ_id"),
                    text("kind"),
                    text("title"),
                    int("year_from"),
                    int("year_to"),
                    text("state"),
                    text_null("adopted_on"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // A project of the bank: `action` `enact|amend|repeal`, `origin`
            // `deputies|public|department|committee` (the records behind it are links), who
            // proposed it, the 立项论证, `state` `proposed|argued|listed|shelved`.
            keyed_by(
                REFERENCES,
                "leg_projects",
                vec![
                    id("id"),
                    int("organ_id"),
                    text("title"),
                    text("action"),
                    text("origin"),
                    text("proposer"),
                    text("justification"),
                    text("state"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // An item of a plan: `category` `formal|preparatory|research`, `status`
            // `pending|drafting|submitted|passed|carried`.
            keyed_by(
                REFERENCES,
                "leg_plan_items",
                vec![
                    id("id"),
                    int("plan_id"),
                    int_null("project_id"),
                    int_null("draft_id"),
                    text("title"),
                    text("action"),
                    text("category"),
                    text("drafting_body"),
                    text("schedule"),
                    text("status"),
                    int("created_at"),
                ],
            ),
            // An event of a draft: `kind` `symposium|argument|hearing`, when (Beijing,
            // `YYYY-MM-DD HH:MM`), where, the announcement, registration until (a date) and
            // how many speakers, `state` `announced|held|cancelled`, the record (纪要).
            keyed_by(
                REFERENCES,
                "leg_events",
                vec![
                    id("id"),
                    int("draft_id"),
                    text("kind"),
                    text("title"),
                    text("held_at"),
                    text("place"),
                    text("announcement"),
                    text_null("register_until"),
                    int("speakers_max"),
                    text("state"),
                    text("record"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // Who registered to speak: name and phone encrypted (a masked copy), their
            // affiliation or occupation, their stand (`for|against|other`), what they will say,
            // the address's keyed hash, `state` `registered|chosen|declined`.
            keyed_by(
                REFERENCES,
                "leg_event_speakers",
                vec![
                    id("id"),
                    int("event_id"),
                    text("name_enc"),
                    text("phone_enc"),
                    text("phone_masked"),
                    text("affiliation"),
                    text("stand"),
                    text("points"),
                    text("client_hash"),
                    text("state"),
                    int("created_at"),
                ],
            ),
            // A reading: `reading` `first|second|third|vote`, the meeting's name, its date,
            // `result` `continued|passed|failed|shelved`, the vote's figures when voted.
            keyed_by(
                REFERENCES,
                "leg_readings",
                vec![
                    id("id"),
                    int("draft_id"),
                    int_null("version_id"),
                    text("reading"),
                    text("meeting"),
                    text("held_on"),
                    text("result"),
                    int_null("votes_for"),
                    int_null("votes_against"),
                    int_null("votes_abstain"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // A regulation of the register: passed (date, by whom), approved (a city's by the
            // province's standing committee), promulgated, in force from; `state`
            // `in_force|amended|repealed`; the text and its segmented copy for search.
            keyed_by(
                REFERENCES,
                "leg_regulations",
                vec![
                    id("id"),
                    int("organ_id"),
                    int_null("draft_id"),
                    text("title"),
                    text("passed_by"),
                    text("passed_on"),
                    text("approved_by"),
                    text_null("approved_on"),
                    text("promulgated_on"),
                    text("effective_on"),
                    text("state"),
                    text("body"),
                    text("search_text"),
                    int_null("created_by_id"),
                    int("created_at"),
                ],
            ),
            // A 配套制度 a regulation requires: who makes it, by when, `status`
            // `pending|drafting|issued`, when issued.
            keyed_by(
                REFERENCES,
                "leg_rules",
                vec![
                    id("id"),
                    int("regulation_id"),
                    text("title"),
                    text("responsible"),
                    text("due_on"),
                    text("status"),
                    text_null("issued_on"),
                    int("created_at"),
                ],
            ),
            // 法规解读: a title, the text, the date published.
            keyed_by(
                REFERENCES,
                "leg_interpretations",
                vec![
                    id("id"),
                    int("regulation_id"),
                    text("title"),
                    text("body"),
                    text("published_on"),
                    int("created_at"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let c = m.get_connection();
        // A new column with its foreign key: the same statement on both backends.
        c.execute_unprepared(
            "ALTER TABLE leg_opinions ADD COLUMN event_id BIGINT NULL REFERENCES leg_events (id) ON DELETE CASCADE",
        )
        .await?;
        let indexes = vec![
            index("leg_plans", "ix_leg_plans_organ", &["organ_id", "year_from"], false),
            index("leg_plans", "ix_leg_plans_created_by", &["created_by_id"], false),
            index("leg_projects", "ix_leg_projects_organ", &["organ_id", "id"], false),
            index("leg_projects", "ix_leg_projects_created_by", &["created_by_id"], false),
            index("leg_plan_items", "ix_leg_plan_items_plan", &["plan_id", "id"], false),
            index("leg_plan_items", "ix_leg_plan_items_project", &["project_id"], false),
            index("leg_plan_items", "ix_leg_plan_items_draft", &["draft_id"], false),
            index("leg_events", "ix_leg_events_draft", &["draft_id", "id"], false),
            index("leg_events", "ix_leg_events_created_by", &["created_by_id"], false),
            index("leg_event_speakers", "ix_leg_event_speakers_event", &["event_id", "id"], false),
            index("leg_event_speakers", "ix_leg_event_speakers_client", &["client_hash", "created_at"], false),
            index("leg_opinions", "ix_leg_opinions_event", &["event_id"], false),
            index("leg_readings", "ix_leg_readings_draft", &["draft_id", "id"], false),
            index("leg_readings", "ix_leg_readings_version", &["version_id"], false),
            index("leg_readings", "ix_leg_readings_created_by", &["created_by_id"], false),
            index("leg_regulations", "ix_leg_regulations_organ", &["organ_id", "state"], false),
            index("leg_regulations", "ix_leg_regulations_draft", &["draft_id"], false),
            index("leg_regulations", "ix_leg_regulations_created_by", &["created_by_id"], false),
            index("leg_rules", "ix_leg_rules_regulation", &["regulation_id", "due_on"], false),
            index("leg_interpretations", "ix_leg_interpretations_regulation", &["regulation_id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        match c.get_database_backend() {
            DbBackend::Sqlite => {
                for sql in [
                    "CREATE VIRTUAL TABLE IF NOT EXISTS leg_regulations_fts USING fts5(search_text, content='leg_regulations', content_rowid='id')",
                    "CREATE TRIGGER IF NOT EXISTS leg_regulations_fts_ai AFTER INSERT ON leg_regulations BEGIN \
                     INSERT INTO leg_regulations_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
                    "CREATE TRIGGER IF NOT EXISTS leg_regulations_fts_ad AFTER DELETE ON leg_regulations BEGIN \
                     INSERT INTO leg_regulations_fts(leg_regulations_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
                    "CREATE TRIGGER IF NOT EXISTS leg_regulations_fts_au AFTER UPDATE OF search_text ON leg_regulations BEGIN \
                     INSERT INTO leg_regulations_fts(leg_regulations_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
                     INSERT INTO leg_regulations_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
                ] {
                    c.execute_unprepared(sql).await?;
                }
            }
            _ => {
                c.execute_unprepared(
                    "CREATE INDEX IF NOT EXISTS ix_leg_regulations_fts ON leg_regulations \
                     USING GIN (to_tsvector('simple', search_text))",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        if c.get_database_backend() == DbBackend::Sqlite {
            c.execute_unprepared("DROP TABLE IF EXISTS leg_regulations_fts").await?;
        }
        c.execute_unprepared("DROP INDEX IF EXISTS ix_leg_opinions_event").await?;
        c.execute_unprepared("ALTER TABLE leg_opinions DROP COLUMN event_id").await?;
        for t in [
            "leg_interpretations",
            "leg_rules",
            "leg_regulations",
            "leg_readings",
            "leg_event_speakers",
            "leg_events",
            "leg_plan_items",
            "leg_projects",
            "leg_plans",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
