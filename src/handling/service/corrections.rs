//! Staff correcting a 交办 while units work on it: 撤回 (one unit's assignment taken back) and
//! 改派 (moved to another unit). Both work before the unit signs for it and after; what differs
//! is what the history says (the line's label names whether the unit had signed) and who is
//! told: before 签收 only the unit (it need not start); after, the unit is told to stop and the
//! units working beside it hear of it too.
//!
//! Deadlines on 改派: the new 主办 or 分办 unit gets the kind's whole time again, counted on the
//! calendar from the day of 改派 (`handling_items.due_working_days`, extensions cleared) — a
//! county office does not expect a unit to answer in what is left of another unit's time, and
//! it is what a 退回 followed by a new 交办 would give. A new 协办 unit gets its own time (where
//! the kind has one) from that day, within the item's deadline; the item's deadline stays.

use sea_orm::ConnectionTrait;

use super::records::{Line, notify_unit};
use super::units::{answering_left, insert_assignments, mark_replied, set_deadline, unit_names, usable_unit};
use super::{Applied, Taking, text_of};
use crate::app::error::{AppError, AppResult};
use crate::db;
use crate::handling::flow::{State, UnitRole};
use crate::handling::model::{self, AssignmentState, Item};

/// A unit's assignment of the current round that is still at work.
struct Live {
    id: i64,
    role: UnitRole,
    /// The unit has signed for it (签收, or work recorded since).
    signed: bool,
}

async fn live_of<C: ConnectionTrait>(c: &C, item: &Item, unit_id: i64, what: &str) -> AppResult<Live> {
    let row = db::query_rows(
        c,
        "SELECT id, role, accepted_at FROM handling_assignments WHERE item_id = $1 AND round = $2 AND unit_id = $3 \
         AND state IN ('active', 'accepted') ORDER BY id LIMIT 1",
        vec![item.id.into(), item.round.into(), unit_id.into()],
    )
    .await?;
    let r = row.first().ok_or_else(|| AppError::invalid("unit_id", format!("该单位本轮没有在办的交办，不能{what}")))?;
    let role: String = r.try_get_by_index(1)?;
    Ok(Live {
        id: r.try_get_by_index(0)?,
        role: UnitRole::parse(&role).ok_or(AppError::NotFound)?,
        signed: r.try_get_by_index::<Option<i64>>(2)?.is_some(),
    })
}

/// How the item is named in a unit's inbox: the kind's word and its number.
fn named(s: &Taking<'_, impl ConnectionTrait>) -> String {
    format!("{}（事项 {}）", s.ctx.policy.words.item, s.item.id)
}

/// 撤回交办: the unit's assignment ends; the item goes back to triage when no unit that answers
/// is left, is 已答复 when every one left has replied, and is 已交办 again when no unit left has
/// begun.
pub(super) async fn withdraw<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    unit_id: i64,
    reason: &str,
    applied: &mut Applied,
) -> AppResult<()> {
    let (c, item) = (s.c, s.item);
    let reason = text_of("text", reason, true)?;
    let a = live_of(c, item, unit_id, "撤回").await?;
    end(c, a.id, AssignmentState::Withdrawn, &reason).await?;
    let name = unit_names(c, &[(unit_id, a.role)]).await?;
    let (detail, body) = if a.signed {
        ("accepted", format!("撤回{name}的交办（该单位已签收，已通知其停止办理）。理由：{reason}"))
    } else {
        ("active", format!("撤回{name}的交办（该单位尚未签收）。理由：{reason}"))
    };
    s.record(Line::internal(&body).detail(detail).unit(Some(unit_id))).await?;
    let what = named(s);
    if a.signed {
        let text = format!("{what}的交办已撤回，请停止办理；已记录的办理情况保留在办理记录中。理由：{reason}");
        notify_unit(c, unit_id, item, &format!("交办已撤回：{what}"), &text).await?;
        for other in model::live_units(c, item.id).await? {
            notify_unit(c, other, item, &format!("共同承办单位变动：{what}"), &format!("已撤回{name}的交办。")).await?;
        }
    } else {
        let text = format!("{what}的交办已撤回，贵单位尚未签收，无需办理。理由：{reason}");
        notify_unit(c, unit_id, item, &format!("交办已撤回：{what}"), &text).await?;
    }
    applied.to = settle(s, &reason).await?;
    Ok(())
}

/// 改派: the unit's assignment moves to `to_unit` with the same role; an answering unit's move
/// starts the item's time again from today.
pub(super) async fn reassign<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    unit_id: i64,
    to_unit: i64,
    reason: &str,
    applied: &mut Applied,
) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let reason = text_of("text", reason, true)?;
    let a = live_of(c, item, unit_id, "改派").await?;
    if to_unit == unit_id {
        return Err(AppError::invalid("to_unit_id", "请选择另一个承办单位"));
    }
    if !usable_unit(c, item, to_unit).await? {
        return Err(AppError::invalid("to_unit_id", "所选承办单位不存在、已停用或不属于本机关"));
    }
    if model::live_units(c, item.id).await?.contains(&to_unit) {
        return Err(AppError::invalid("to_unit_id", "该单位本轮已在承办此事项"));
    }
    end(c, a.id, AssignmentState::Reassigned, &reason).await?;
    let today = ctx.today();
    let on = today.format("%Y-%m-%d").to_string();
    let due = item.due_working_days.map(|d| d as u32).unwrap_or(ctx.policy.default_due);
    let unit = ctx.policy.due_unit.label();
    let (deadline_text, assist_deadline) = if a.role.answers() {
        let deadline = ctx.due_date(today, due);
        set_deadline(c, item.id, Some(deadline), Some(&on)).await?;
        db::exec(c, "UPDATE handling_items SET extended = 0 WHERE id = $1", vec![item.id.into()]).await?;
        (format!("，办理期限自改派之日重新计算：{due}{unit}（至 {}）", deadline.format("%Y-%m-%d")), None)
    } else {
        let item_deadline = item.deadline.as_deref().and_then(crate::calendar::parse_date);
        let own = ctx.policy.assist_due.map(|d| {
            let d = ctx.due_date(today, d);
            item_deadline.map_or(d, |end| d.min(end))
        });
        let text = own.map(|d| format!("，协办意见期限至 {}", d.format("%Y-%m-%d"))).unwrap_or_default();
        (text, own)
    };
    insert_assignments(c, item.id, item.round, &[(to_unit, a.role)], &on, ctx.now, assist_deadline).await?;
    let from = unit_names(c, &[(unit_id, a.role)]).await?;
    let to = unit_names(c, &[(to_unit, a.role)]).await?;
    let line = format!("改派：原{from}改由{to}承办{deadline_text}。");
    let signed = if a.signed { "原单位已签收" } else { "原单位尚未签收" };
    let note = format!("{signed}。改派理由：{reason}");
    let detail = if a.signed { "accepted" } else { "active" };
    s.record(Line::public(&line).note(&note).detail(detail).unit(Some(to_unit))).await?;
    let what = named(s);
    let stop = if a.signed {
        "请停止办理，已记录的办理情况保留在办理记录中"
    } else {
        "贵单位尚未签收，无需办理"
    };
    let old = format!("{what}已改派{to}承办，{stop}。理由：{reason}");
    notify_unit(c, unit_id, item, &format!("事项已改派：{what}"), &old).await?;
    let new = format!("{what}改派贵单位承办{deadline_text}。改派理由：{reason}");
    notify_unit(c, to_unit, item, &format!("新交办事项（改派，{}）：{what}", a.role.label()), &new).await?;
    if a.signed {
        for other in model::live_units(c, item.id).await?.into_iter().filter(|u| *u != to_unit) {
            notify_unit(c, other, item, &format!("共同承办单位变动：{what}"), &line).await?;
        }
    }
    applied.to = settle(s, &reason).await?;
    Ok(())
}

async fn end<C: ConnectionTrait>(c: &C, id: i64, to: AssignmentState, reason: &str) -> AppResult<()> {
    db::exec(
        c,
        "UPDATE handling_assignments SET state = $1, return_reason = $2 WHERE id = $3",
        vec![to.as_str().into(), reason.into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Where the item stands once an assignment ended: back to triage when no unit that answers is
/// left and none replied (the 协办 units left are withdrawn with it), 已答复 when every answering
/// unit left has replied (a 协办 unit that gave nothing lapses), else 已交办 when no unit of the
/// round has begun, else as it was.
async fn settle<C: ConnectionTrait>(s: &Taking<'_, C>, reason: &str) -> AppResult<State> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let count = |sql: &'static str| db::scalar_i64(c, sql, vec![item.id.into(), item.round.into()]);
    if answering_left(c, item).await? {
        let begun = count(
            "SELECT count(*) FROM handling_assignments WHERE item_id = $1 AND round = $2 \
             AND state IN ('accepted', 'replied')",
        )
        .await?;
        if item.state == State::InProgress && begun == 0 {
            s.set_state(State::Assigned).await?;
            return Ok(State::Assigned);
        }
        return Ok(item.state);
    }
    let replied = count("SELECT count(*) FROM handling_replies WHERE item_id = $1 AND round = $2").await?;
    if replied > 0 {
        mark_replied(c, item, ctx.now).await?;
        return Ok(State::Replied);
    }
    // No unit answers it any more: the 协办 units go with the 主办, and staff triage it again.
    for other in model::live_units(c, item.id).await? {
        let what = named(s);
        notify_unit(c, other, item, &format!("交办已撤回：{what}"), &format!("{what}的交办已撤回，无需继续协办。"))
            .await?;
    }
    db::exec(
        c,
        "UPDATE handling_assignments SET state = 'withdrawn', return_reason = $1 \
         WHERE item_id = $2 AND round = $3 AND state IN ('active', 'accepted')",
        vec![format!("主办单位的交办已撤回：{reason}").into(), item.id.into(), item.round.into()],
    )
    .await?;
    db::exec(
        c,
        "UPDATE handling_items SET state = 'received', deadline = NULL, deadline_at = NULL, assigned_on = NULL, \
         updated_at = $1 WHERE id = $2",
        vec![ctx.now.into(), item.id.into()],
    )
    .await?;
    Ok(State::Received)
}
