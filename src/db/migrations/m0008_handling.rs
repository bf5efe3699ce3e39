//! The working-day calendar, the SMS outbox, the shared handling loop and the opinions
//! (issue 9). New tables are created with their foreign keys (listed in `REFERENCES`).

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{Reference, r};
use super::schema::{boolean, id, index, int, int_default, int_null, table, text, text_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_handling"
    }
}

/// The references of the tables made here. Events outlive a deleted account (`SET NULL`: the
/// name is kept in the event); everything else is a record that must not lose its parent.
pub const REFERENCES: &[Reference] = &[
    r("handling_items", "organ_id", "organs", "RESTRICT"),
    r("handling_items", "area_id", "areas", "RESTRICT"),
    r("handling_items", "station_id", "stations", "RESTRICT"),
    r("handling_items", "deputy_id", "persons", "RESTRICT"),
    r("handling_assignments", "item_id", "handling_items", "RESTRICT"),
    r("handling_assignments", "unit_id", "handling_units", "RESTRICT"),
    r("handling_events", "item_id", "handling_items", "RESTRICT"),
    r("handling_events", "actor_id", "accounts", "SET NULL"),
    r("handling_events", "unit_id", "handling_units", "RESTRICT"),
    r("handling_replies", "item_id", "handling_items", "RESTRICT"),
    r("handling_replies", "unit_id", "handling_units", "RESTRICT"),
    r("handling_ratings", "item_id", "handling_items", "RESTRICT"),
    r("opinions", "item_id", "handling_items", "RESTRICT"),
    r("opinions", "organ_id", "organs", "RESTRICT"),
    r("opinions", "station_id", "stations", "RESTRICT"),
    r("opinions", "deputy_id", "persons", "RESTRICT"),
    r("opinions", "area_id", "areas", "RESTRICT"),
    r("opinions", "merged_into_id", "opinions", "RESTRICT"),
    r("opinions", "entered_by_id", "accounts", "SET NULL"),
];

/// A table made with the foreign keys `REFERENCES` lists for it.
fn keyed(name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    super::schema::keyed_by(REFERENCES, name, cols)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            // PLAT-10: the listed days; every other day follows the weekday rule.
            table(
                "calendar_days",
                vec![
                    ColumnDef::new(Alias::new("day")).text().not_null().primary_key().to_owned(),
                    text("kind"),
                    text("name"),
                ],
            ),
            // PLAT-11: what the built-in SMS provider "sent" (admins read it).
            table(
                "sms_outbox",
                vec![
                    id("id"),
                    text("phone_enc"),
                    text("phone_masked"),
                    text("body"),
                    text("purpose"),
                    int("created_at"),
                    int_null("sent_at"),
                ],
            ),
            // Per-address counters of public submissions (keyed hash of the address).
            table(
                "intake_throttle",
                vec![
                    ColumnDef::new(Alias::new("key")).text().not_null().primary_key().to_owned(),
                    int_default("count", 0),
                    int("window_start"),
                ],
            ),
            // The shared loop: one row per item of any module.
            keyed(
                "handling_items",
                vec![
                    id("id"),
                    text("kind"),
                    int("organ_id"),
                    int_null("area_id"),
                    int_null("station_id"),
                    int_null("deputy_id"),
                    text("state"),
                    int_default("round", 1),
                    int_null("due_working_days"),
                    text_null("assigned_on"),
                    text_null("deadline"),
                    int_null("deadline_at"),
                    text_null("warned_for"),
                    text_null("overdue_for"),
                    boolean("flagged", false),
                    int("created_at"),
                    int("updated_at"),
                    int_null("replied_at"),
                    int_null("closed_at"),
                ],
            ),
            keyed(
                "handling_assignments",
                vec![
                    id("id"),
                    int("item_id"),
                    int("unit_id"),
                    text("role"),
                    int("round"),
                    text("state"),
                    text("assigned_on"),
                    int("assigned_at"),
                    int_null("accepted_at"),
                    int_null("replied_at"),
                    text_null("return_reason"),
                    int_null("extension_days"),
                    text_null("extension_reason"),
                ],
            ),
            keyed(
                "handling_events",
                vec![
                    id("id"),
                    int("item_id"),
                    int("at"),
                    text("step"),
                    text("detail"),
                    text("party"),
                    int_null("actor_id"),
                    text("actor_name"),
                    int_null("unit_id"),
                    boolean("public", false),
                    text("body"),
                    int("round"),
                ],
            ),
            keyed(
                "handling_replies",
                vec![
                    id("id"),
                    int("item_id"),
                    int("unit_id"),
                    int("round"),
                    text("outcome"),
                    text("body"),
                    int("at"),
                    boolean("on_time", true),
                ],
            ),
            keyed(
                "handling_ratings",
                vec![id("id"), int("item_id"), int("round"), text("rater"), text("grade"), text("comment"), int("at")],
            ),
            // OPN-1 to OPN-4: what a citizen said, and how to reach them (encrypted).
            keyed(
                "opinions",
                vec![
                    id("id"),
                    int("item_id"),
                    int("organ_id"),
                    text("tracking_no"),
                    text("code_hash"),
                    text("channel"),
                    int_null("station_id"),
                    int_null("deputy_id"),
                    int_null("area_id"),
                    text("category"),
                    text("title"),
                    text("content"),
                    text_null("name_enc"),
                    text_null("phone_enc"),
                    text_null("phone_hash"),
                    boolean("allow_public", false),
                    boolean("anonymous", true),
                    text("client_hash"),
                    text("content_hash"),
                    text_null("external_no"),
                    text_null("hold_reason"),
                    int_null("merged_into_id"),
                    int_null("entered_by_id"),
                    text("search_text"),
                    int("created_at"),
                    int_null("purged_at"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = vec![
            index("handling_items", "ix_handling_items_organ_state", &["organ_id", "state", "id"], false),
            index("handling_items", "ix_handling_items_deadline", &["state", "deadline_at"], false),
            index("handling_items", "ix_handling_items_deputy", &["deputy_id"], false),
            index("handling_items", "ix_handling_items_station", &["station_id"], false),
            index("handling_items", "ix_handling_items_area", &["area_id"], false),
            index("handling_assignments", "ix_handling_assignments_item", &["item_id"], false),
            index("handling_assignments", "ix_handling_assignments_unit", &["unit_id", "state"], false),
            index("handling_events", "ix_handling_events_item", &["item_id", "id"], false),
            index("handling_events", "ix_handling_events_actor", &["actor_id"], false),
            index("handling_events", "ix_handling_events_unit", &["unit_id"], false),
            index("handling_replies", "ix_handling_replies_item", &["item_id"], false),
            index("handling_replies", "ix_handling_replies_unit", &["unit_id"], false),
            index("handling_ratings", "ix_handling_ratings_item", &["item_id"], false),
            index("opinions", "ux_opinions_tracking_no", &["tracking_no"], true),
            index("opinions", "ux_opinions_item", &["item_id"], true),
            index("opinions", "ux_opinions_external_no", &["organ_id", "external_no"], true),
            index("opinions", "ix_opinions_organ", &["organ_id", "id"], false),
            index("opinions", "ix_opinions_phone", &["phone_hash"], false),
            index("opinions", "ix_opinions_repeat", &["content_hash", "created_at"], false),
            index("opinions", "ix_opinions_station", &["station_id"], false),
            index("opinions", "ix_opinions_deputy", &["deputy_id"], false),
            index("opinions", "ix_opinions_area", &["area_id"], false),
            index("opinions", "ix_opinions_merged", &["merged_into_id"], false),
            index("opinions", "ix_opinions_entered_by", &["entered_by_id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        let c = m.get_connection();
        // Full-text search over the segmented text (PLAT-12): FTS5 on SQLite, a GIN index over
        // `to_tsvector('simple', …)` on PostgreSQL. The dialect lives here and in `opinions::search`.
        match c.get_database_backend() {
            DbBackend::Sqlite => {
                c.execute_unprepared(
                    "CREATE VIRTUAL TABLE IF NOT EXISTS opinions_fts USING fts5(search_text, content='opinions', content_rowid='id')",
                )
                .await?;
                c.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS opinions_fts_ai AFTER INSERT ON opinions BEGIN \
                     INSERT INTO opinions_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
                )
                .await?;
                c.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS opinions_fts_ad AFTER DELETE ON opinions BEGIN \
                     INSERT INTO opinions_fts(opinions_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
                )
                .await?;
                c.execute_unprepared(
                    "CREATE TRIGGER IF NOT EXISTS opinions_fts_au AFTER UPDATE OF search_text ON opinions BEGIN \
                     INSERT INTO opinions_fts(opinions_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); \
                     INSERT INTO opinions_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
                )
                .await?;
            }
            _ => {
                c.execute_unprepared(
                    "CREATE INDEX IF NOT EXISTS ix_opinions_fts ON opinions USING GIN (to_tsvector('simple', search_text))",
                )
                .await?;
            }
        }
        seed_calendar(c).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        if c.get_database_backend() == DbBackend::Sqlite {
            c.execute_unprepared("DROP TABLE IF EXISTS opinions_fts").await?;
        }
        for t in [
            "opinions",
            "handling_ratings",
            "handling_replies",
            "handling_events",
            "handling_assignments",
            "handling_items",
            "intake_throttle",
            "sms_outbox",
            "calendar_days",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ the calendar as shipped

/// The State Council schedules known when this migration was written (2025 and 2026), frozen
/// here: a migration carries its own data and never calls today's code. Later years are the
/// admin's (or a later migration's).
const HOLIDAYS_2025_2026: &[(&str, &str, &str)] = &[
    // 国办发明电〔2024〕12号 — 2025
    ("2025-01-01", "2025-01-01", "元旦"),
    ("2025-01-28", "2025-02-04", "春节"),
    ("2025-04-04", "2025-04-06", "清明节"),
    ("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-05-31", "2025-06-02", "端午节"),
    ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    // 国务院办公厅 2025年11月4日 — 2026
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
];

const WORKDAYS_2025_2026: &[(&str, &str)] = &[
    ("2025-01-26", "春节调休上班"),
    ("2025-02-08", "春节调休上班"),
    ("2025-04-27", "劳动节调休上班"),
    ("2025-09-28", "国庆节调休上班"),
    ("2025-10-11", "国庆节调休上班"),
    ("2026-01-04", "元旦调休上班"),
    ("2026-02-14", "春节调休上班"),
    ("2026-02-28", "春节调休上班"),
    ("2026-05-09", "劳动节调休上班"),
    ("2026-09-20", "国庆节调休上班"),
    ("2026-10-10", "国庆节调休上班"),
];

async fn seed_calendar<C: sea_orm::ConnectionTrait>(c: &C) -> Result<(), DbErr> {
    if crate::db::scalar_i64(c, "SELECT count(*) FROM calendar_days", vec![]).await? > 0 {
        return Ok(());
    }
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a valid date in the frozen table");
    let mut days: Vec<(String, &str, &str)> = Vec::new();
    for (from, to, name) in HOLIDAYS_2025_2026 {
        for d in date(from).iter_days().take_while(|d| *d <= date(to)) {
            days.push((d.format("%Y-%m-%d").to_string(), "holiday", name));
        }
    }
    for (d, name) in WORKDAYS_2025_2026 {
        days.push((String::from(*d), "workday", name));
    }
    for (day, kind, name) in days {
        crate::db::exec(
            c,
            "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)",
            vec![day.into(), kind.into(), name.into()],
        )
        .await?;
    }
    Ok(())
}
