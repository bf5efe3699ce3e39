//! The deadline scan (PLAT-10, OPN-10): 预警 a few working days before a deadline, 超期 after
//! it, each once per item and deadline (an approved extension or a new round arms them again),
//! into the history and the inboxes of the units at work and of the organ's staff. A 协办 unit's
//! own deadline to the 主办 (SUG-5: 1 month for a suggestion) is watched the same way, marked
//! on its assignment: the 协办 unit is warned, and once it has passed the unit, the 主办 and the
//! staff are told.

use sea_orm::{DatabaseConnection, DbErr};

use super::flow::{Party, Policy};
use super::model;
use super::service::{event, notify_staff, notify_unit};
use crate::audit::Actor;
use crate::calendar::{self, Calendar};
use crate::db;
use crate::db::writer::Writer;

/// What one scan raised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub warned: u64,
    pub overdue: u64,
    /// 协办 units warned of their own deadline, and marked overdue on it.
    pub assist_warned: u64,
    pub assist_overdue: u64,
}

/// Items are read in pages of this many.
const PAGE: i64 = 500;

/// Runs the scan as of `now` (Unix seconds), each item by its kind's policy (`policy_of`:
/// how many working days before its deadline an item of that kind is warned of).
pub async fn run(
    db: &DatabaseConnection,
    writer: &Writer,
    calendar: &Calendar,
    policy_of: &(dyn Fn(&str) -> Policy + Sync),
    kinds: &[&str],
    now: i64,
) -> Result<Report, DbErr> {
    let today = calendar::beijing_date(now);
    // A warning falls at most `warn_working_days` working days before its deadline (the
    // largest of the kinds); holidays stretch that, so read a generous window and decide per
    // item on the calendar.
    let warn = kinds.iter().map(|k| policy_of(k).warn_working_days).chain([Policy::default().warn_working_days]).max();
    let horizon = now + (i64::from(warn.unwrap_or(3)) * 3 + 16) * 86_400;
    let system = Actor::system("期限扫描");
    let mut report = Report::default();
    let mut after = 0_i64;
    loop {
        let items = model::items_to_scan(db, horizon, now, after, PAGE).await?;
        if items.is_empty() {
            break;
        }
        for item in &items {
            let (Some(deadline), Some(end)) = (item.deadline.as_deref(), item.deadline_at) else { continue };
            let Some(day) = calendar::parse_date(deadline) else { continue };
            let (detail, title) = if now >= end {
                if item.overdue_for.as_deref() == Some(deadline) {
                    continue;
                }
                ("overdue", "事项已超期")
            } else if today >= calendar.working_days_before(day, policy_of(&item.kind).warn_working_days) {
                if item.warned_for.as_deref() == Some(deadline) || item.overdue_for.as_deref() == Some(deadline) {
                    continue;
                }
                ("warning", "事项即将到期")
            } else {
                continue;
            };
            let won = writer
                .run(async |txn| {
                    // Set the mark only if nobody else did (two nodes scanning at once raise it once).
                    let column = if detail == "overdue" { "overdue_for" } else { "warned_for" };
                    let won = db::exec(
                        txn,
                        &format!(
                            "UPDATE handling_items SET {column} = $1 WHERE id = $2 AND ({column} IS NULL OR {column} <> $1) \
                             AND deadline = $1 AND state IN ('assigned', 'in_progress', 'rehandling')"
                        ),
                        vec![deadline.into(), item.id.into()],
                    )
                    .await?;
                    if won == 0 {
                        return Ok::<_, DbErr>(false);
                    }
                    let body = format!("办理期限 {deadline}");
                    event(
                        txn,
                        now,
                        item.id,
                        item.round,
                        "deadline_notice",
                        detail,
                        Party::System,
                        &system,
                        None,
                        false,
                        &body,
                        "",
                    )
                    .await?;
                    for unit in model::live_units(txn, item.id).await? {
                        notify_unit(txn, unit, item, title, &body).await?;
                    }
                    notify_staff(txn, item, title, &body).await?;
                    Ok(true)
                })
                .await?;
            if !won {
                continue;
            }
            if detail == "overdue" {
                report.overdue += 1;
            } else {
                report.warned += 1;
            }
        }
        after = items.last().map(|i| i.id).unwrap_or(after);
        if (items.len() as i64) < PAGE {
            break;
        }
    }
    let horizon_day = calendar::beijing_date(horizon).format("%Y-%m-%d").to_string();
    let mut after = 0_i64;
    loop {
        let assists = model::assists_to_scan(db, &horizon_day, after, PAGE).await?;
        if assists.is_empty() {
            break;
        }
        for a in &assists {
            let Some(day) = calendar::parse_date(&a.deadline) else { continue };
            let overdue = now >= calendar::deadline_end(day);
            if overdue {
                if a.overdue_for.as_deref() == Some(a.deadline.as_str()) {
                    continue;
                }
            } else if today < calendar.working_days_before(day, policy_of(&a.kind).warn_working_days)
                || a.warned_for.as_deref() == Some(a.deadline.as_str())
            {
                continue;
            }
            if warn_assist(writer, a, overdue, now, &system).await? {
                if overdue {
                    report.assist_overdue += 1;
                } else {
                    report.assist_warned += 1;
                }
            }
        }
        after = assists.last().map(|a| a.id).unwrap_or(after);
        if (assists.len() as i64) < PAGE {
            break;
        }
    }
    Ok(report)
}

/// 预警 or 超期 of a 协办 unit's own deadline, once: marked on the assignment, a line of the
/// item's history, the unit told (and on 超期 the 主办 units and the staff). False when another
/// scan marked it first or the assignment is no longer at work.
async fn warn_assist(
    writer: &Writer,
    a: &model::AssistDue,
    overdue: bool,
    now: i64,
    system: &Actor,
) -> Result<bool, DbErr> {
    writer
        .run(async |txn| {
            // The item first: a mark on an item no longer at work would be kept (nothing rolls back).
            let Some(item) = model::item(txn, a.item_id).await?.filter(|i| i.state.with_units()) else {
                return Ok(false);
            };
            let column = if overdue { "overdue_for" } else { "warned_for" };
            let won = db::exec(
            txn,
            &format!(
                "UPDATE handling_assignments SET {column} = $1 WHERE id = $2 AND ({column} IS NULL OR {column} <> $1) \
                 AND deadline = $1 AND state IN ('active', 'accepted')"
            ),
            vec![a.deadline.clone().into(), a.id.into()],
        )
        .await?;
            if won == 0 {
                return Ok(false);
            }
            let (detail, title, body) = if overdue {
                (
                    "assist_overdue",
                    "协办意见已超期",
                    format!("{}的协办意见期限 {} 已过，尚未提出协办意见", a.unit_name, a.deadline),
                )
            } else {
                ("assist_warning", "协办意见即将到期", format!("请于 {} 前向主办单位提出协办意见", a.deadline))
            };
            event(
                txn,
                now,
                item.id,
                item.round,
                "deadline_notice",
                detail,
                Party::System,
                system,
                Some(a.unit_id),
                false,
                &body,
                "",
            )
            .await?;
            notify_unit(txn, a.unit_id, &item, title, &body).await?;
            if overdue {
                for lead in model::answering_units(txn, item.id).await? {
                    notify_unit(txn, lead, &item, "协办单位未按期提出协办意见", &body).await?;
                }
                notify_staff(txn, &item, "协办单位未按期提出协办意见", &body).await?;
            }
            Ok(true)
        })
        .await
}
