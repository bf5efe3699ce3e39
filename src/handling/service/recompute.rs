//! The official holiday schedule of a year saved over the provisional one (PLAT-10): the open
//! items whose deadline was counted through that year are counted again on the new calendar,
//! in the same transaction, and each change goes into the item's history (old and new date)
//! and to the units at work; the kind's `Policy::changed` hook is told of each item changed
//! (the opinions' kept open deadlines, issue 21). Deadlines set otherwise than by the kind's rule (the old calendar
//! does not give them) are left as they are.

use chrono::NaiveDate;
use sea_orm::{DatabaseTransaction, DbErr, FromQueryResult};

use super::records::{event, notify_unit};
use super::units::set_deadline;
use crate::audit::Actor;
use crate::calendar::{self, Calendar};
use crate::db;
use crate::handling::flow::{DueUnit, Party, Policy};
use crate::handling::model;

fn due(cal: &Calendar, unit: DueUnit, from: NaiveDate, n: u32) -> NaiveDate {
    match unit {
        DueUnit::WorkingDays => cal.add_working_days(from, n),
        DueUnit::CalendarMonths => cal.add_months(from, n),
    }
}

#[derive(FromQueryResult)]
struct Open {
    id: i64,
    kind: String,
    round: i64,
    assigned_on: String,
    deadline: String,
    due_working_days: Option<i64>,
    extended: i64,
}

#[derive(FromQueryResult)]
struct Assist {
    id: i64,
    unit_id: i64,
    assigned_on: String,
    deadline: String,
}

/// Recounts the open deadlines that ran through `year` from `old` to `new`; the number of
/// items whose deadline (or a 协办 unit's) changed.
pub async fn recount(
    c: &DatabaseTransaction,
    actor: &Actor,
    old: &Calendar,
    new: &Calendar,
    year: i32,
    policy_of: &(dyn Fn(&str) -> Policy + Sync),
    now: i64,
) -> Result<u64, DbErr> {
    let (first, last) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let items: Vec<Open> = db::query_all(
        c,
        "SELECT id, kind, round, assigned_on, deadline, due_working_days, extended FROM handling_items \
         WHERE state IN ('assigned', 'in_progress', 'rehandling') AND assigned_on IS NOT NULL AND deadline IS NOT NULL \
         AND assigned_on <= $1 AND deadline >= $2 ORDER BY id",
        vec![last.clone().into(), first.clone().into()],
    )
    .await?;
    let mut changed = 0;
    for it in items {
        let (Some(assigned), Some(was)) = (calendar::parse_date(&it.assigned_on), calendar::parse_date(&it.deadline))
        else {
            continue;
        };
        let policy = policy_of(&it.kind);
        let n = it.due_working_days.map(|d| d as u32).unwrap_or(policy.default_due) + it.extended as u32;
        let mut touched = false;
        let mut deadline = was;
        if due(old, policy.due_unit, assigned, n) == was {
            deadline = due(new, policy.due_unit, assigned, n);
        }
        let item = model::item(c, it.id).await?;
        if deadline != was {
            set_deadline(c, it.id, Some(deadline), Some(&it.assigned_on)).await?;
            let body = format!(
                "{year} 年节假日正式安排已录入（原按暂定安排计算），办理期限由 {} 调整为 {}。",
                was.format("%Y-%m-%d"),
                deadline.format("%Y-%m-%d")
            );
            event(c, now, it.id, it.round, "deadline_notice", "recounted", Party::System, actor, None, true, &body, "")
                .await?;
            if let Some(item) = &item {
                for unit in model::live_units(c, it.id).await? {
                    notify_unit(c, unit, item, "办理期限已调整", &body).await?;
                }
            }
            touched = true;
        }
        // A 协办 unit's own deadline: its time, but never after the item's.
        if let Some(assist_due) = policy.assist_due {
            let assists: Vec<Assist> = db::query_all(
                c,
                "SELECT id, unit_id, assigned_on, deadline FROM handling_assignments WHERE item_id = $1 AND round = $2 \
                 AND role = 'assist' AND state IN ('active', 'accepted') AND deadline IS NOT NULL",
                vec![it.id.into(), it.round.into()],
            )
            .await?;
            for a in assists {
                let (Some(on), Some(a_was)) = (calendar::parse_date(&a.assigned_on), calendar::parse_date(&a.deadline))
                else {
                    continue;
                };
                if due(old, policy.due_unit, on, assist_due).min(was) != a_was {
                    continue;
                }
                let a_new = due(new, policy.due_unit, on, assist_due).min(deadline);
                if a_new == a_was {
                    continue;
                }
                db::exec(
                    c,
                    "UPDATE handling_assignments SET deadline = $1 WHERE id = $2",
                    vec![a_new.format("%Y-%m-%d").to_string().into(), a.id.into()],
                )
                .await?;
                let body = format!(
                    "{year} 年节假日正式安排已录入（原按暂定安排计算），协办意见期限由 {} 调整为 {}。",
                    a_was.format("%Y-%m-%d"),
                    a_new.format("%Y-%m-%d")
                );
                event(
                    c,
                    now,
                    it.id,
                    it.round,
                    "deadline_notice",
                    "recounted",
                    Party::System,
                    actor,
                    Some(a.unit_id),
                    false,
                    &body,
                    "",
                )
                .await?;
                if let Some(item) = &item {
                    notify_unit(c, a.unit_id, item, "协办意见期限已调整", &body).await?;
                }
                touched = true;
            }
        }
        if touched {
            changed += 1;
            // The kind's counts follow the moved deadline (the opinions' open deadlines).
            super::changed(c, &policy, it.id).await?;
        }
    }
    Ok(changed)
}
