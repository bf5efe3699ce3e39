//! Issue 19, a meeting's records (MTG-7): its minutes, resolutions (决议) and decisions (决定),
//! each possibly adopted by one of its ballots (the vote figures are that ballot's), numbered,
//! and — for a resolution or decision — followed up (`tracking`: none, pending, in progress,
//! done) with dated notes of its implementation (`meeting_record_notes`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, keyed_by, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0042_meeting_records"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("meeting_records", "meeting_id", "meetings", "CASCADE"),
    r("meeting_records", "ballot_id", "ballots", "SET NULL"),
    r("meeting_records", "created_by", "accounts", "SET NULL"),
    r("meeting_record_notes", "record_id", "meeting_records", "CASCADE"),
    r("meeting_record_notes", "created_by", "accounts", "SET NULL"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "meeting_records",
            vec![
                id("id"),
                int("meeting_id"),
                text("kind"),
                text("number"),
                text("title"),
                text("body"),
                int_null("ballot_id"),
                text("tracking"),
                int_null("created_by"),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("meeting_records", "ix_meeting_records_meeting", &["meeting_id", "kind"], false)).await?;
        m.create_index(index("meeting_records", "ix_meeting_records_ballot", &["ballot_id"], false)).await?;
        m.create_index(index("meeting_records", "ix_meeting_records_created_by", &["created_by"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "meeting_record_notes",
            vec![id("id"), int("record_id"), text("body"), text("tracking"), int_null("created_by"), int("created_at")],
        ))
        .await?;
        m.create_index(index("meeting_record_notes", "ix_meeting_record_notes_record", &["record_id"], false)).await?;
        m.create_index(index("meeting_record_notes", "ix_meeting_record_notes_created_by", &["created_by"], false))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["meeting_record_notes", "meeting_records"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
