//! The deadline scan (PLAT-10, OPN-10): 预警 a few working days before a deadline, 超期 after
//! it, each once per item and deadline (an approved extension or a new round arms them again),
//! into the history and the inboxes of the units at work and of the organ's staff.

use sea_orm::{DatabaseConnection, DbErr};

use super::flow::{Party, Policy};
use super::model;
use super::service::{event, notify_staff, notify_unit};
use crate::audit::Actor;
use crate::calendar::{self, Calendar};
use crate::db;

/// What one scan raised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub warned: u64,
    pub overdue: u64,
}

/// Items are read in pages of this many.
const PAGE: i64 = 500;

/// Runs the scan as of `now` (Unix seconds), each item by its kind's policy (`policy_of`:
/// how many working days before its deadline an item of that kind is warned of).
pub async fn run(
    db: &DatabaseConnection,
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
            let txn = db::begin_write(db).await?;
            // Set the mark only if nobody else did (two nodes scanning at once raise it once).
            let column = if detail == "overdue" { "overdue_for" } else { "warned_for" };
            let won = db::exec(
                &txn,
                &format!(
                    "UPDATE handling_items SET {column} = $1 WHERE id = $2 AND ({column} IS NULL OR {column} <> $1) \
                     AND deadline = $1 AND state IN ('assigned', 'in_progress', 'rehandling')"
                ),
                vec![deadline.into(), item.id.into()],
            )
            .await?;
            if won == 0 {
                txn.rollback().await?;
                continue;
            }
            let body = format!("办理期限 {deadline}");
            event(
                &txn,
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
            for unit in model::live_units(&txn, item.id).await? {
                notify_unit(&txn, unit, item, title, &body).await?;
            }
            notify_staff(&txn, item, title, &body).await?;
            txn.commit().await?;
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
    Ok(report)
}
