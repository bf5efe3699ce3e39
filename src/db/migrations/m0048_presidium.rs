//! Issue 19, the 主席团 of a 人代会 session as its own body (MTG-1): its members
//! (`meeting_presidium`: the session — a `meetings` row of kind `congress` or `township` —, the
//! person, one of the session's deputies, the role: `standing_chair` 常务主席, `presiding` 执行主席,
//! `member` 主席团成员 or `secretary_general` 秘书长, and the order they are listed in) and, on a
//! 主席团会议, the session whose 主席团 sits (`meetings.session_id`).

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0048_presidium"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("meeting_presidium", "session_id", "meetings", "CASCADE"),
    r("meeting_presidium", "person_id", "persons", "RESTRICT"),
    r("meetings", "session_id", "meetings", "RESTRICT"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "meeting_presidium",
            vec![id("id"), int("session_id"), int("person_id"), text("role"), int("sort")],
        ))
        .await?;
        m.create_index(index("meeting_presidium", "ux_meeting_presidium", &["session_id", "person_id"], true)).await?;
        m.create_index(index("meeting_presidium", "ix_meeting_presidium_person", &["person_id"], false)).await?;
        // A column with its key added to an existing table: SQLite takes a REFERENCES clause on
        // a new column whose default is NULL (no rebuild needed), PostgreSQL a named constraint.
        let c = m.get_connection();
        let sql = if c.get_database_backend() == DbBackend::Postgres {
            "ALTER TABLE meetings ADD COLUMN session_id BIGINT NULL \
             CONSTRAINT fk_meetings_session_id REFERENCES meetings (id) ON DELETE RESTRICT"
        } else {
            "ALTER TABLE meetings ADD COLUMN session_id BIGINT NULL REFERENCES meetings (id) ON DELETE RESTRICT"
        };
        c.execute_unprepared(sql).await?;
        m.create_index(index("meetings", "ix_meetings_session", &["session_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_meetings_session").table(Alias::new("meetings")).to_owned()).await?;
        m.alter_table(Table::alter().table(Alias::new("meetings")).drop_column(Alias::new("session_id")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Alias::new("meeting_presidium")).to_owned()).await
    }
}
