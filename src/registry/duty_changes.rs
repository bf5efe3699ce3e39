//! REG-10: one duty date cancelled or moved, with a reason the public station page shows.
//! A change is kept in `duty_changes` and applied whenever the rule's slots are expanded
//! again (the daily job, a calendar edit), so it is never undone behind the keeper's back.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::schedule::DutySlot;
use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::registry::records::audit_change;

/// 取消 or 改期.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Cancel,
    Move,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Cancel, Kind::Move];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cancel => "cancel",
            Kind::Move => "move",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Cancel => "取消",
            Kind::Move => "改期",
        }
    }
}

/// A change as the pages show it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct DutyChange {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub slot_date: String,
    pub start_time: String,
    pub kind: String,
    pub new_date: Option<String>,
    pub reason: String,
}

impl DutyChange {
    /// 「6月15日 09:00 孙建华代表的接待取消：……」 / 「……改到 6月22日：……」
    pub fn describe(&self) -> String {
        let day = |d: &str| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d").map(|d| d.format("%-m月%-d日").to_string()).unwrap_or(d.into())
        };
        let what = match (Kind::parse(&self.kind), &self.new_date) {
            (Some(Kind::Move), Some(n)) => format!("改到 {}", day(n)),
            _ => "取消".to_string(),
        };
        format!("{} {} {}代表的接待{what}：{}", day(&self.slot_date), self.start_time, self.person_name, self.reason)
    }
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::invalid(field, message)
}

/// Cancels or moves one coming slot of a station, with a reason; audited.
#[allow(clippy::too_many_arguments)] // connection, audit context, the slot and the change
pub async fn change_slot<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    slot_id: i64,
    kind: &str,
    new_date: &str,
    reason: &str,
    today: NaiveDate,
) -> Result<(), AppError> {
    let rows = db::query_rows(
        c,
        "SELECT d.rule_id, d.person_id, d.slot_date, d.start_time, s.organ_id FROM duty_slots d \
         JOIN stations s ON s.id = d.station_id WHERE d.id = $1 AND d.station_id = $2",
        vec![slot_id.into(), station_id.into()],
    )
    .await?;
    let row = rows.first().ok_or(AppError::NotFound)?;
    let rule_id: Option<i64> = row.try_get_by_index(0)?;
    let person_id: i64 = row.try_get_by_index(1)?;
    let slot_date: String = row.try_get_by_index(2)?;
    let start_time: String = row.try_get_by_index(3)?;
    let organ_id: i64 = row.try_get_by_index(4)?;
    if slot_date < today.format("%Y-%m-%d").to_string() {
        return Err(invalid("slot", "已经过去的接待时段不能调整"));
    }
    let kind = Kind::parse(kind).ok_or_else(|| invalid("kind", "请选择取消或改期"))?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "请写明原因（会在联络站页面上公布）"));
    }
    if reason.chars().count() > 200 {
        return Err(invalid("reason", "原因不能超过 200 字"));
    }
    let new_date = match kind {
        Kind::Cancel => None,
        Kind::Move => {
            let d = crate::app::fmt::parse_date(new_date).ok_or_else(|| invalid("new_date", "请填写改到哪一天"))?;
            if d < today || d.format("%Y-%m-%d").to_string() == slot_date {
                return Err(invalid("new_date", "请改到今天以后的另一天"));
            }
            Some(d.format("%Y-%m-%d").to_string())
        }
    };
    db::exec(
        c,
        "INSERT INTO duty_changes (station_id, rule_id, person_id, slot_date, start_time, kind, new_date, reason, \
         created_by_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            station_id.into(),
            rule_id.into(),
            person_id.into(),
            slot_date.clone().into(),
            start_time.clone().into(),
            kind.as_str().into(),
            new_date.clone().into(),
            reason.into(),
            actor.account_id.into(),
            db::now().into(),
        ],
    )
    .await?;
    match &new_date {
        None => db::exec(c, "DELETE FROM duty_slots WHERE id = $1", vec![slot_id.into()]).await?,
        Some(d) => {
            db::exec(c, "UPDATE duty_slots SET slot_date = $1 WHERE id = $2", vec![d.clone().into(), slot_id.into()])
                .await?
        }
    };
    let said = format!(
        "{slot_date} {start_time} 的接待{}{}：{reason}",
        kind.label(),
        new_date.as_deref().map(|d| format!("到 {d}")).unwrap_or_default()
    );
    audit_change(c, (key, actor), "duty_slot_change", "station", station_id, organ_id, said).await?;
    Ok(())
}

/// Applies a rule's recorded changes to its freshly expanded slots.
pub async fn apply<C: ConnectionTrait>(c: &C, rule_id: i64, slots: &mut Vec<DutySlot>) -> Result<(), DbErr> {
    let changes: Vec<(String, String, String, Option<String>)> = db::query_rows(
        c,
        "SELECT slot_date, start_time, kind, new_date FROM duty_changes WHERE rule_id = $1",
        vec![rule_id.into()],
    )
    .await?
    .iter()
    .filter_map(|r| {
        Some((
            r.try_get_by_index(0).ok()?,
            r.try_get_by_index(1).ok()?,
            r.try_get_by_index(2).ok()?,
            r.try_get_by_index(3).ok()?,
        ))
    })
    .collect();
    if changes.is_empty() {
        return Ok(());
    }
    slots.retain_mut(|s| {
        let (date, start) = (s.date.format("%Y-%m-%d").to_string(), s.start.format("%H:%M").to_string());
        match changes.iter().find(|(d, t, _, _)| *d == date && *t == start) {
            None => true,
            Some((_, _, kind, new_date)) => match (Kind::parse(kind), new_date) {
                (Some(Kind::Move), Some(n)) => match NaiveDate::parse_from_str(n, "%Y-%m-%d") {
                    Ok(n) => {
                        s.date = n;
                        true
                    }
                    Err(_) => false,
                },
                _ => false,
            },
        }
    });
    Ok(())
}

/// The changes of a station that concern today or later, for its pages.
pub async fn ahead<C: ConnectionTrait>(c: &C, station_id: i64, today: NaiveDate) -> Result<Vec<DutyChange>, DbErr> {
    let today = today.format("%Y-%m-%d").to_string();
    db::query_all(
        c,
        "SELECT c.id, c.person_id, p.name AS person_name, c.slot_date, c.start_time, c.kind, c.new_date, c.reason \
         FROM duty_changes c JOIN persons p ON p.id = c.person_id \
         WHERE c.station_id = $1 AND (c.slot_date >= $2 OR c.new_date >= $2) ORDER BY c.slot_date, c.id LIMIT 20",
        vec![station_id.into(), today.into()],
    )
    .await
}
