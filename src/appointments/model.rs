//! A booking (预约) and what it can be: its states, the steps between them, its channel, and
//! the SQL that reads bookings.

use chrono::{NaiveDate, NaiveTime};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

use crate::app::codes::code_enum;
use crate::db;

/// Bookings one duty slot takes (the same for every station; a slot is one deputy's
/// reception at a station, and a reception of a few people at once is what stations do).
pub const SLOT_CAPACITY: i64 = 3;
/// How many days ahead slots are offered for booking.
pub const BOOKING_DAYS: u64 = 60;
/// How many open slots the form offers.
pub const OFFERED_SLOTS: u64 = 12;

code_enum! {
    /// Where a booking is.
    pub enum State {
        Requested = ("requested", "待确认"),
        Confirmed = ("confirmed", "已确认"),
        ProposedOtherTime = ("proposed_other_time", "建议改期"),
        Declined = ("declined", "未能安排"),
        Cancelled = ("cancelled", "已取消"),
        Attended = ("attended", "已见面"),
        NoShow = ("no_show", "未到场"),
    }
}

impl State {
    pub fn colour(self) -> &'static str {
        match self {
            State::Requested | State::ProposedOtherTime => "amber",
            State::Confirmed => "blue",
            State::Attended => "green",
            State::Declined | State::Cancelled | State::NoShow => "grey",
        }
    }
    /// A booking in these states holds a place in a slot.
    pub fn holds_place(self) -> bool {
        matches!(self, State::Requested | State::Confirmed | State::ProposedOtherTime)
    }
}

code_enum! {
    /// What someone does to a booking.
    pub enum Step {
        /// The keeper or deputy confirms the time asked for.
        Confirm = ("confirm", "确认预约"),
        /// … or proposes another time.
        Propose = ("propose", "建议改期"),
        /// … or cannot receive them (with a reason).
        Decline = ("decline", "无法安排"),
        /// After the time: they came …
        Attended = ("attended", "已见面"),
        /// … or did not.
        NoShow = ("no_show", "未到场"),
        /// The citizen takes the time proposed.
        Accept = ("accept", "接受改期"),
        /// The citizen cancels.
        Cancel = ("cancel", "取消预约"),
    }
}

impl Step {
    /// The steps of the console (the citizen's are on the tracking page).
    pub const CONSOLE: [Step; 5] = [Step::Confirm, Step::Propose, Step::Decline, Step::Attended, Step::NoShow];
    /// Where the step leads from `from`, or `None` when it cannot be taken there.
    pub fn next(self, from: State) -> Option<State> {
        use State::*;
        match (self, from) {
            (Step::Confirm, Requested) => Some(Confirmed),
            (Step::Propose, Requested | Confirmed | ProposedOtherTime) => Some(ProposedOtherTime),
            (Step::Decline, Requested | Confirmed | ProposedOtherTime) => Some(Declined),
            (Step::Attended | Step::NoShow, Confirmed) => Some(if self == Step::Attended { Attended } else { NoShow }),
            (Step::Accept, ProposedOtherTime) => Some(Confirmed),
            (Step::Cancel, Requested | Confirmed | ProposedOtherTime) => Some(Cancelled),
            _ => None,
        }
    }
}

code_enum! {
    /// How the booking came in.
    pub enum Channel {
        /// The citizen booked on the public page or through the API.
        Online = ("online", "线上预约"),
        /// The keeper entered it for someone who came or called.
        Offline = ("offline", "站内登记"),
    }
}

/// The Unix time of a Beijing date and time.
pub fn beijing_ts(date: NaiveDate, t: NaiveTime) -> i64 {
    date.and_time(t).and_utc().timestamp() - 8 * 3600
}

/// "12月15日（周一）09:00-11:30" of a period.
pub fn span(start: i64, end: i64) -> String {
    use chrono::{Datelike, Timelike};
    const W: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    let off = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let a = chrono::DateTime::from_timestamp(start, 0).unwrap_or_default().with_timezone(&off);
    let b = chrono::DateTime::from_timestamp(end, 0).unwrap_or_default().with_timezone(&off);
    format!(
        "{}月{}日（周{}）{:02}:{:02}-{:02}:{:02}",
        a.month(),
        a.day(),
        W[a.weekday().num_days_from_monday() as usize],
        a.hour(),
        a.minute(),
        b.hour(),
        b.minute()
    )
}

/// One booking as the console and the tracking page read it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Appointment {
    pub id: i64,
    pub booking_no: String,
    pub organ_id: i64,
    pub organ_path: String,
    pub station_id: i64,
    pub station_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub slot_start: i64,
    pub slot_end: i64,
    pub topic: String,
    pub name_enc: String,
    pub phone_enc: String,
    pub phone_masked: String,
    /// The keyed hash of the phone (the SMS caps count by it).
    pub phone_hash: String,
    pub state: String,
    pub proposed_start: Option<i64>,
    pub proposed_end: Option<i64>,
    pub reason: Option<String>,
    pub channel: String,
    pub opinion_id: Option<i64>,
    pub created_at: i64,
    pub reminded_at: Option<i64>,
}

impl Appointment {
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Requested)
    }
    pub fn state_label(&self) -> &'static str {
        self.state().label()
    }
    pub fn state_colour(&self) -> &'static str {
        self.state().colour()
    }
    pub fn channel_label(&self) -> &'static str {
        Channel::parse(&self.channel).map_or("", Channel::label)
    }
    pub fn when(&self) -> String {
        span(self.slot_start, self.slot_end)
    }
    pub fn proposed(&self) -> Option<String> {
        Some(span(self.proposed_start?, self.proposed_end?))
    }
    pub fn booked_at(&self) -> String {
        crate::app::fmt::datetime(self.created_at)
    }
    /// Who they meet: the deputy on duty, or the station.
    pub fn with_whom(&self) -> String {
        match &self.person_name {
            Some(n) => format!("{n} 代表（{}）", self.station_name),
            None => self.station_name.clone(),
        }
    }
}

const SELECT: &str = "SELECT a.id, a.booking_no, a.organ_id, o.path AS organ_path, a.station_id, \
     s.name AS station_name, a.person_id, p.name AS person_name, a.slot_start, a.slot_end, a.topic, a.name_enc, \
     a.phone_enc, a.phone_masked, a.phone_hash, a.state, a.proposed_start, a.proposed_end, a.reason, a.channel, a.opinion_id, \
     a.created_at, a.reminded_at FROM appointments a JOIN organs o ON o.id = a.organ_id \
     JOIN stations s ON s.id = a.station_id LEFT JOIN persons p ON p.id = a.person_id";

pub async fn appointment<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Appointment>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE a.id = $1"), vec![id.into()]).await
}

pub async fn by_no<C: ConnectionTrait>(c: &C, no: &str) -> Result<Option<Appointment>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE a.booking_no = $1"), vec![no.trim().to_uppercase().into()]).await
}

/// What a principal sees of the list: an organ's subtree, a station, a deputy's bookings
/// (`auth::Reach` without a unit: units have no appointments).
pub type Scope = crate::auth::Reach;

/// `$n` for a value pushed onto the statement's values.
fn arg(v: Value, values: &mut Vec<Value>) -> String {
    values.push(v);
    format!("${}", values.len())
}

/// The condition of a scope (over `appointments a JOIN organs o`).
fn scope_where(scope: &Scope, values: &mut Vec<Value>) -> String {
    let mut any = Vec::new();
    if let Some(path) = &scope.organ_path {
        any.push(format!("o.path LIKE {}", arg(format!("{path}%").into(), values)));
    }
    if let Some(st) = scope.station_id {
        any.push(format!("a.station_id = {}", arg(st.into(), values)));
    }
    if let Some(d) = scope.deputy_id {
        any.push(format!("a.person_id = {}", arg(d.into(), values)));
    }
    format!("({})", any.join(" OR "))
}

/// The bookings of a scope, optionally of one station and one state: the latest first.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    scope: &Scope,
    station: Option<i64>,
    state: Option<State>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Appointment>, i64), DbErr> {
    if scope.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let mut values: Vec<Value> = Vec::new();
    let mut wh = scope_where(scope, &mut values);
    if let Some(st) = station {
        wh.push_str(&format!(" AND a.station_id = {}", arg(st.into(), &mut values)));
    }
    if let Some(s) = state {
        wh.push_str(&format!(" AND a.state = {}", arg(s.as_str().into(), &mut values)));
    }
    let total = db::scalar_i64(
        c,
        &format!("SELECT count(*) FROM appointments a JOIN organs o ON o.id = a.organ_id WHERE {wh}"),
        values.clone(),
    )
    .await?;
    let rows = db::query_all(
        c,
        &format!("{SELECT} WHERE {wh} ORDER BY a.slot_start DESC, a.id DESC LIMIT {limit} OFFSET {offset}"),
        values,
    )
    .await?;
    Ok((rows, total))
}

/// The stations that have bookings in a scope (for the list's station filter).
pub async fn stations<C: ConnectionTrait>(c: &C, scope: &Scope) -> Result<Vec<(i64, String)>, DbErr> {
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let mut values = Vec::new();
    let wh = scope_where(scope, &mut values);
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT DISTINCT s.id, s.name FROM appointments a JOIN organs o ON o.id = a.organ_id \
             JOIN stations s ON s.id = a.station_id WHERE {wh} ORDER BY s.name, s.id LIMIT 500"
        ),
        values,
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// Places taken in the slot of a station's deputy starting at `start` (bookings there, and
/// bookings proposed to move there).
pub async fn taken<C: ConnectionTrait>(c: &C, station_id: i64, person_id: i64, start: i64) -> Result<i64, DbErr> {
    db::scalar_i64(
        c,
        "SELECT count(*) FROM appointments WHERE station_id = $1 AND person_id = $2 AND ( \
         (slot_start = $3 AND state IN ('requested', 'confirmed')) \
         OR (proposed_start = $3 AND state = 'proposed_other_time'))",
        vec![station_id.into(), person_id.into(), start.into()],
    )
    .await
}

/// Confirmed bookings starting in `[from, to)` that were not reminded yet.
pub async fn to_remind<C: ConnectionTrait>(c: &C, from: i64, to: i64) -> Result<Vec<Appointment>, DbErr> {
    db::query_all(
        c,
        &format!(
            "{SELECT} WHERE a.state = 'confirmed' AND a.reminded_at IS NULL AND a.slot_start >= $1 \
             AND a.slot_start < $2 ORDER BY a.slot_start, a.id"
        ),
        vec![from.into(), to.into()],
    )
    .await
}
