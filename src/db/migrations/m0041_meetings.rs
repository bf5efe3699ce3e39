//! Issue 19, meetings (MTG-1/2/4/6): a meeting of an organ (`kind`: 人代会 `congress`, 常委会会议
//! `standing`, 主任会议 `chairs`, 专委会会议 `committee`, 乡镇人代会 `township`; a 常委会会议 numbered
//! per term — `term`, `number`), when and where, whose members sit (`members_of`, and the
//! committee of a 专委会会议), its quorum as a fraction of all members (`quorum_*`, more than half
//! by default), its state, the live-stream address of 云列席 (`stream_url`), the hash of the hall
//! display's key (`hall_key_hash`) and the code shown at the door for check-in (`door_code`).
//! Its members and 列席 invitees (`meeting_members`: role, 代表团, attendance with a leave's
//! reason, how it was taken and when), its agenda (`meeting_items`), its ballots
//! (`meeting_ballots`: the ballot, the agenda item it decides, the electorate chosen) and the
//! written remarks of remote participants, moderated (`meeting_remarks`).

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, int_default, int_null, keyed_by, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0041_meetings"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("meetings", "organ_id", "organs", "RESTRICT"),
    r("meetings", "committee_id", "committees", "RESTRICT"),
    r("meetings", "created_by", "accounts", "SET NULL"),
    r("meeting_members", "meeting_id", "meetings", "CASCADE"),
    r("meeting_members", "person_id", "persons", "RESTRICT"),
    r("meeting_items", "meeting_id", "meetings", "CASCADE"),
    r("meeting_ballots", "meeting_id", "meetings", "CASCADE"),
    r("meeting_ballots", "ballot_id", "ballots", "RESTRICT"),
    r("meeting_ballots", "item_id", "meeting_items", "SET NULL"),
    r("meeting_remarks", "meeting_id", "meetings", "CASCADE"),
    r("meeting_remarks", "person_id", "persons", "RESTRICT"),
    r("meeting_remarks", "moderated_by", "accounts", "SET NULL"),
];

/// A text column with a default (kept here: `schema` has none).
fn text_default(name: &str, v: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().default(v).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed_by(
            REFERENCES,
            "meetings",
            vec![
                id("id"),
                int("organ_id"),
                text("kind"),
                int_null("term"),
                int_null("number"),
                text("title"),
                int("starts_at"),
                int_null("ends_at"),
                text_default("place", ""),
                text("members_of"),
                int_null("committee_id"),
                int_default("quorum_num", 1),
                int_default("quorum_den", 2),
                boolean("quorum_strict", true),
                text("state"),
                text_default("stream_url", ""),
                text_null("hall_key_hash"),
                text("door_code"),
                int_null("created_by"),
                int("created_at"),
            ],
        ))
        .await?;
        m.create_index(index("meetings", "ix_meetings_organ", &["organ_id", "starts_at"], false)).await?;
        m.create_index(index("meetings", "ux_meetings_number", &["organ_id", "kind", "term", "number"], true)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "meeting_members",
            vec![
                id("id"),
                int("meeting_id"),
                int("person_id"),
                text("role"),
                text_default("delegation", ""),
                text_default("attendance", "pending"),
                text_default("reason", ""),
                text_default("via", ""),
                int_null("marked_at"),
            ],
        ))
        .await?;
        m.create_index(index("meeting_members", "ux_meeting_members", &["meeting_id", "person_id"], true)).await?;
        m.create_index(index("meeting_members", "ix_meeting_members_person", &["person_id"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "meeting_items",
            vec![
                id("id"),
                int("meeting_id"),
                int("sort"),
                text("title"),
                text("kind"),
                text_default("speakers", ""),
                text_default("documents", ""),
            ],
        ))
        .await?;
        m.create_index(index("meeting_items", "ix_meeting_items_meeting", &["meeting_id", "sort"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "meeting_ballots",
            vec![id("id"), int("meeting_id"), int("ballot_id"), int_null("item_id"), text("electorate")],
        ))
        .await?;
        m.create_index(index("meeting_ballots", "ux_meeting_ballots_ballot", &["ballot_id"], true)).await?;
        m.create_index(index("meeting_ballots", "ix_meeting_ballots_meeting", &["meeting_id"], false)).await?;
        m.create_index(index("meeting_ballots", "ix_meeting_ballots_item", &["item_id"], false)).await?;
        m.create_table(keyed_by(
            REFERENCES,
            "meeting_remarks",
            vec![
                id("id"),
                int("meeting_id"),
                int("person_id"),
                text("body"),
                text("state"),
                int("created_at"),
                int_null("moderated_by"),
                int_null("moderated_at"),
            ],
        ))
        .await?;
        m.create_index(index("meeting_remarks", "ix_meeting_remarks_meeting", &["meeting_id", "state"], false)).await?;
        m.create_index(index("meeting_remarks", "ix_meeting_remarks_person", &["person_id"], false)).await?;
        m.create_index(index("meetings", "ix_meetings_committee", &["committee_id"], false)).await?;
        m.create_index(index("meetings", "ix_meetings_created_by", &["created_by"], false)).await?;
        m.create_index(index("meeting_remarks", "ix_meeting_remarks_moderated_by", &["moderated_by"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["meeting_remarks", "meeting_ballots", "meeting_items", "meeting_members", "meetings"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
