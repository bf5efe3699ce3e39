//! 线上预约 (OPN-13): a citizen's booking of a duty slot of a station (and the deputy on duty
//! then), or a booking the keeper entered for someone who came or called. The slot is copied
//! (station, deputy, start and end as Unix seconds) rather than referenced: duty slots are
//! re-expanded from their rules, a booking stays. Name and phone are encrypted like an
//! opinion's (`phone_hash` for look-ups; `phone_masked` so that the reminder job can queue its
//! SMS without the field key); the query code is stored as a keyed hash. `opinion_id` is the
//! reception record (the opinion the keeper took down at the meeting) that links back.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{id, index, int, int_null, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_appointments"
    }
}

/// A booking is a record: its organ, station, deputy and reception record stay (`RESTRICT`);
/// it outlives the account that entered it (`SET NULL`).
pub const REFERENCES: &[Reference] = &[
    r("appointments", "organ_id", "organs", "RESTRICT"),
    r("appointments", "station_id", "stations", "RESTRICT"),
    r("appointments", "person_id", "persons", "RESTRICT"),
    r("appointments", "entered_by_id", "accounts", "SET NULL"),
    r("appointments", "opinion_id", "opinions", "RESTRICT"),
];

/// A table made with the foreign keys `REFERENCES` lists for it.
fn keyed(name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    super::schema::keyed_by(REFERENCES, name, cols)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(keyed(
            "appointments",
            vec![
                id("id"),
                text("booking_no"),
                text("code_hash"),
                int("organ_id"),
                int("station_id"),
                int_null("person_id"),
                int("slot_start"),
                int("slot_end"),
                text("topic"),
                text("name_enc"),
                text("phone_enc"),
                text("phone_hash"),
                text("phone_masked"),
                // requested|confirmed|proposed_other_time|declined|cancelled|attended|no_show
                text("state"),
                int_null("proposed_start"),
                int_null("proposed_end"),
                text_null("reason"),
                // online|offline
                text("channel"),
                text_null("client_hash"),
                int_null("entered_by_id"),
                int_null("opinion_id"),
                int("created_at"),
                int("updated_at"),
                int_null("reminded_at"),
            ],
        ))
        .await?;
        for i in [
            index("appointments", "ux_appointments_booking_no", &["booking_no"], true),
            index("appointments", "ix_appointments_station", &["station_id", "slot_start"], false),
            index("appointments", "ix_appointments_person", &["person_id", "slot_start"], false),
            index("appointments", "ix_appointments_organ", &["organ_id", "id"], false),
            index("appointments", "ix_appointments_state", &["state", "slot_start"], false),
            index("appointments", "ix_appointments_proposed", &["station_id", "proposed_start"], false),
            index("appointments", "ix_appointments_entered_by", &["entered_by_id"], false),
            index("appointments", "ix_appointments_opinion", &["opinion_id"], false),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("appointments")).if_exists().to_owned()).await
    }
}
