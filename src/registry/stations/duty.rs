//! Duty rules (REG-10): a deputy's 进站安排 at a station, expanded into dated slots up to the
//! horizon (repeating rules skip holidays; the keeper's cancelled or moved dates applied).

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::{Slot, station};
use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::registry::persons::{field, invalid};
use crate::registry::records::audit_change;
use crate::registry::schedule;

/// How far ahead duty rules are expanded into dated slots.
pub const HORIZON_DAYS: u64 = 183;

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct DutyRuleRow {
    pub id: i64,
    pub station_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub rule_text: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
}

pub async fn rules<C: ConnectionTrait>(c: &C, station_id: i64) -> Result<Vec<DutyRuleRow>, DbErr> {
    db::query_all(
        c,
        "SELECT r.id, r.station_id, r.person_id, p.name AS person_name, r.rule_text, r.valid_from, r.valid_until \
         FROM duty_rules r JOIN persons p ON p.id = r.person_id WHERE r.station_id = $1 ORDER BY r.id",
        vec![station_id.into()],
    )
    .await
}

pub fn today() -> NaiveDate {
    // Stations keep Beijing time.
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    crate::app::fmt::parse_date(s)
}

/// Adds a duty rule for a deputy assigned to the station and expands it into slots up to the
/// horizon. The rule text is stored in its canonical wording.
#[allow(clippy::too_many_arguments)] // connection, audit context, then the rule's own four fields
pub async fn add_rule<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    person_id: i64,
    rule_text: &str,
    valid_from: Option<&str>,
    valid_until: Option<&str>,
) -> Result<i64, AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    let mut f = Vec::new();
    let rule = match schedule::parse_rule(rule_text) {
        Ok(r) => Some(r),
        Err(e) => {
            field(&mut f, "rule_text", e.to_string());
            None
        }
    };
    let assigned = db::scalar_i64(
        c,
        "SELECT count(*) FROM station_deputies WHERE station_id = $1 AND person_id = $2",
        vec![station_id.into(), person_id.into()],
    )
    .await?
        > 0;
    if !assigned {
        field(&mut f, "person_id", "请先把这位代表编入本站点");
    }
    let from = match valid_from.map(str::trim).filter(|s| !s.is_empty()) {
        None => today(),
        Some(d) => parse_date(d).unwrap_or_else(|| {
            field(&mut f, "valid_from", "日期应写成 2026-12-01");
            today()
        }),
    };
    let until = match valid_until.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(d) => match parse_date(d) {
            Some(u) if u >= from => Some(u),
            Some(_) => {
                field(&mut f, "valid_until", "截止日期应不早于开始日期");
                None
            }
            None => {
                field(&mut f, "valid_until", "日期应写成 2027-06-30");
                None
            }
        },
    };
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let rule = rule.expect("checked above");
    let text = rule.describe();
    let id = db::insert_id(
        c,
        "INSERT INTO duty_rules (station_id, person_id, rule_text, valid_from, valid_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            station_id.into(),
            person_id.into(),
            text.clone().into(),
            from.format("%Y-%m-%d").to_string().into(),
            until.map(|u| u.format("%Y-%m-%d").to_string()).into(),
            db::now().into(),
        ],
    )
    .await?;
    expand_rule(c, id).await?;
    let said = format!("代表 #{person_id} 进站安排：{text}");
    audit_change(c, (key, actor), "duty_rule_create", "station", station_id, s.organ_id, said).await?;
    Ok(id)
}

pub async fn remove_rule<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    rule_id: i64,
) -> Result<(), AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    let today = today().format("%Y-%m-%d").to_string();
    let known = db::scalar_i64(
        c,
        "SELECT count(*) FROM duty_rules WHERE id = $1 AND station_id = $2",
        vec![rule_id.into(), station_id.into()],
    )
    .await?;
    if known == 0 {
        return Err(AppError::NotFound);
    }
    // Past slots stay as the record of what was planned (their rule_id becomes NULL with the
    // rule: ON DELETE SET NULL); future ones go, before the rule, while they still name it.
    db::exec(c, "DELETE FROM duty_slots WHERE rule_id = $1 AND slot_date >= $2", vec![rule_id.into(), today.into()])
        .await?;
    db::exec(c, "DELETE FROM duty_rules WHERE id = $1 AND station_id = $2", vec![rule_id.into(), station_id.into()])
        .await?;
    let said = format!("删除进站安排 #{rule_id}");
    audit_change(c, (key, actor), "duty_rule_delete", "station", station_id, s.organ_id, said).await?;
    Ok(())
}

/// (Re)creates the future slots of one rule, from today (or its start) to the horizon.
pub async fn expand_rule<C: ConnectionTrait>(c: &C, rule_id: i64) -> Result<usize, DbErr> {
    let calendar = crate::calendar::load(c).await?;
    expand_rule_on(c, rule_id, &calendar).await
}

/// `expand_rule` with the working-day calendar already loaded.
async fn expand_rule_on<C: ConnectionTrait>(
    c: &C,
    rule_id: i64,
    calendar: &crate::calendar::Calendar,
) -> Result<usize, DbErr> {
    let Some(r): Option<DutyRuleRow> = db::query_one(
        c,
        "SELECT r.id, r.station_id, r.person_id, p.name AS person_name, r.rule_text, r.valid_from, r.valid_until \
         FROM duty_rules r JOIN persons p ON p.id = r.person_id WHERE r.id = $1",
        vec![rule_id.into()],
    )
    .await?
    else {
        return Ok(0);
    };
    let Ok(rule) = schedule::parse_rule(&r.rule_text) else {
        return Ok(0);
    };
    let today = today();
    let from = parse_date(&r.valid_from).map_or(today, |d| d.max(today));
    let horizon = today + Days::new(HORIZON_DAYS);
    let to = r.valid_until.as_deref().and_then(parse_date).map_or(horizon, |u| u.min(horizon));
    db::exec(
        c,
        "DELETE FROM duty_slots WHERE rule_id = $1 AND slot_date >= $2",
        vec![rule_id.into(), from.format("%Y-%m-%d").to_string().into()],
    )
    .await?;
    // A repeating rule skips public holidays (a rule on a weekend day is meant, a holiday is
    // not); a one-off date stands as given. The calendar's edits reach the slots through the
    // `extend_duty_slots` job the calendar pages enqueue.
    let mut slots = schedule::expand(&rule, from, to);
    if !matches!(rule.recurrence, schedule::Recurrence::Once(_)) {
        slots.retain(|s| !calendar.is_holiday(s.date));
    }
    // Then one date cancelled or moved by the keeper (REG-10).
    crate::registry::duty_changes::apply(c, rule_id, &mut slots).await?;
    for s in &slots {
        db::exec(
            c,
            "INSERT INTO duty_slots (station_id, person_id, rule_id, slot_date, start_time, end_time, online) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                r.station_id.into(),
                r.person_id.into(),
                rule_id.into(),
                s.date.format("%Y-%m-%d").to_string().into(),
                s.start.format("%H:%M").to_string().into(),
                s.end.format("%H:%M").to_string().into(),
                s.online.into(),
            ],
        )
        .await?;
    }
    Ok(slots.len())
}

impl Slot {
    /// "12月15日（周一）上午 09:00-11:30"
    pub fn when(&self) -> String {
        use chrono::Datelike;
        let Some(d) = parse_date(&self.slot_date) else {
            return self.slot_date.clone();
        };
        const W: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        format!(
            "{}月{}日（周{}）{}-{}",
            d.month(),
            d.day(),
            W[d.weekday().num_days_from_monday() as usize],
            self.start_time,
            self.end_time
        )
    }
}

const SLOT_SELECT: &str = "SELECT d.id, d.station_id, d.person_id, p.name AS person_name, d.slot_date, \
     d.start_time, d.end_time, d.online FROM duty_slots d JOIN persons p ON p.id = d.person_id";

/// Slots of a station from a date on, in time order.
pub async fn slots<C: ConnectionTrait>(
    c: &C,
    station_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> Result<Vec<Slot>, DbErr> {
    db::query_all(
        c,
        &format!(
            "{SLOT_SELECT} WHERE d.station_id = $1 AND d.slot_date >= $2 AND d.slot_date <= $3 \
             ORDER BY d.slot_date, d.start_time, d.id LIMIT {limit}"
        ),
        vec![station_id.into(), from.format("%Y-%m-%d").to_string().into(), to.format("%Y-%m-%d").to_string().into()],
    )
    .await
}

/// The next slot of each of some stations, in one query (the first row of each station's
/// window over its coming slots).
pub async fn next_slots<C: ConnectionTrait>(c: &C, station_ids: &[i64]) -> Result<HashMap<i64, Slot>, DbErr> {
    if station_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let from = today();
    let to = from + Days::new(HORIZON_DAYS);
    let list = station_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows: Vec<Slot> = db::query_all(
        c,
        &format!(
            "SELECT id, station_id, person_id, person_name, slot_date, start_time, end_time, online FROM (\
             SELECT d.id, d.station_id, d.person_id, p.name AS person_name, d.slot_date, d.start_time, d.end_time, \
             d.online, ROW_NUMBER() OVER (PARTITION BY d.station_id ORDER BY d.slot_date, d.start_time, d.id) AS rn \
             FROM duty_slots d JOIN persons p ON p.id = d.person_id \
             WHERE d.station_id IN ({list}) AND d.slot_date >= $1 AND d.slot_date <= $2) t WHERE t.rn = 1"
        ),
        vec![from.format("%Y-%m-%d").to_string().into(), to.format("%Y-%m-%d").to_string().into()],
    )
    .await?;
    Ok(rows.into_iter().map(|s| (s.station_id, s)).collect())
}

/// Extends every rule's slots to the horizon; run daily by the job worker.
pub async fn extend_all_rules<C: ConnectionTrait>(c: &C) -> Result<usize, DbErr> {
    let ids: Vec<i64> = db::query_rows(c, "SELECT id FROM duty_rules ORDER BY id", vec![])
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index(0).ok())
        .collect();
    let calendar = crate::calendar::load(c).await?;
    let mut n = 0;
    for id in ids {
        n += expand_rule_on(c, id, &calendar).await?;
    }
    Ok(n)
}

// ---------------------------------------------------------------- nearest stations (REG-14)
