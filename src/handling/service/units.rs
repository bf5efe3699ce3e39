//! 交办 and the units' work: 签收, 退回, 办理进展, 沟通联系, 协办意见, 延期, 答复.

use sea_orm::{ConnectionTrait, DbErr};

use super::records::{Line, notify_staff, notify_unit};
use super::{Applied, Taking, text_of};
use crate::app::error::{AppError, AppResult};
use crate::calendar;
use crate::db;
use crate::handling::flow::{ContactRule, ContactWay, Outcome, Phase, State, UnitRole};
use crate::handling::model::Item;

/// 交办 to units as 主办 / 协办 / 分办 with a deadline in the kind's unit; a 协办 unit's own
/// deadline to the 主办 where the kind has one.
pub(super) async fn assign<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    units: &[(i64, UnitRole)],
    due: Option<u32>,
    instructions: &str,
) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let instructions = text_of("instructions", instructions, false)?;
    check_units(c, item, units).await?;
    let due = due.unwrap_or(ctx.policy.default_due);
    if due == 0 || due > ctx.policy.max_due {
        return Err(AppError::invalid(
            "due_working_days",
            format!("办理期限应为 1 到 {}{}", ctx.policy.max_due, ctx.policy.due_unit.label()),
        ));
    }
    let today = ctx.today();
    let on = today.format("%Y-%m-%d").to_string();
    let deadline = ctx.due_date(today, due);
    let assist_deadline = ctx.policy.assist_due.map(|d| ctx.due_date(today, d).min(deadline));
    insert_assignments(c, item.id, item.round, units, &on, ctx.now, assist_deadline).await?;
    db::exec(
        c,
        "UPDATE handling_items SET state = 'assigned', due_working_days = $1, extended = 0, updated_at = $2 WHERE id = $3",
        vec![i64::from(due).into(), ctx.now.into(), item.id.into()],
    )
    .await?;
    set_deadline(c, item.id, Some(deadline), Some(&on)).await?;
    let names = unit_names(c, units).await?;
    // The submitter sees who handles it and by when; the 交办意见 is for the units only.
    let unit = ctx.policy.due_unit.label();
    // 暂定: the deadline runs through a year whose holiday schedule is not entered (PLAT-10).
    let provisional = match ctx.calendar.provisional_between(today, deadline) {
        Some(y) => format!("，暂定：{y} 年节假日安排尚未公布"),
        None => String::new(),
    };
    let mut line = format!("交办{names}，办理期限 {due}{unit}（至 {}{provisional}）。", deadline.format("%Y-%m-%d"));
    if let (Some(d), true) = (assist_deadline, units.iter().any(|(_, r)| *r == UnitRole::Assist)) {
        line.push_str(&format!("协办单位于 {} 前向主办单位提出协办意见。", d.format("%Y-%m-%d")));
    }
    s.record(Line::public(&line).note(&instructions)).await?;
    let body = if instructions.is_empty() { line } else { format!("{line}交办意见：{instructions}") };
    for (u, role) in units {
        notify_unit(c, *u, item, &format!("新交办事项（{}）", role.label()), &body).await?;
    }
    Ok(())
}

/// The units of one 交办: each once, one 主办 (or several 分办, not both), each active and of
/// the item's organ or an organ above or below it.
pub(super) async fn check_units<C: ConnectionTrait>(c: &C, item: &Item, units: &[(i64, UnitRole)]) -> AppResult<()> {
    if units.is_empty() {
        return Err(AppError::invalid("units", "请至少选择一个承办单位"));
    }
    let mut seen = Vec::new();
    for (u, _) in units {
        if seen.contains(u) {
            return Err(AppError::invalid("units", "同一单位只能交办一次"));
        }
        seen.push(*u);
    }
    let leads = units.iter().filter(|(_, r)| *r == UnitRole::Lead).count();
    let separate = units.iter().filter(|(_, r)| *r == UnitRole::Separate).count();
    if leads > 1 {
        return Err(AppError::invalid("units", "主办单位只能有一个；多个单位分别办理请选「分办」"));
    }
    if leads + separate == 0 {
        return Err(AppError::invalid("units", "请指定主办单位（或分办单位）"));
    }
    if leads == 1 && separate > 0 {
        return Err(AppError::invalid("units", "主办与分办不能同时使用"));
    }
    for (u, _) in units {
        if !usable_unit(c, item, *u).await? {
            return Err(AppError::invalid("units", "所选承办单位不存在、已停用或不属于本机关"));
        }
    }
    Ok(())
}

/// A unit may be given the item: it exists, is active, and belongs to the item's organ or an
/// organ above or below it.
pub(super) async fn usable_unit<C: ConnectionTrait>(c: &C, item: &Item, unit_id: i64) -> Result<bool, DbErr> {
    let path = db::query_rows(
        c,
        "SELECT o.path FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1 AND u.active = true",
        vec![unit_id.into()],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index::<String>(0).ok());
    Ok(path.is_some_and(|p| item.organ_path.starts_with(&p) || p.starts_with(&item.organ_path)))
}

/// The assignments of a round; a 协办 unit's carries its own deadline where there is one.
pub(super) async fn insert_assignments<C: ConnectionTrait>(
    c: &C,
    item_id: i64,
    round: i64,
    units: &[(i64, UnitRole)],
    on: &str,
    now: i64,
    assist_deadline: Option<chrono::NaiveDate>,
) -> Result<(), DbErr> {
    for (u, role) in units {
        let deadline = match role {
            UnitRole::Assist => assist_deadline.map(|d| d.format("%Y-%m-%d").to_string()),
            _ => None,
        };
        db::exec(
            c,
            "INSERT INTO handling_assignments (item_id, unit_id, role, round, state, assigned_on, assigned_at, deadline) \
             VALUES ($1, $2, $3, $4, 'active', $5, $6, $7)",
            vec![
                item_id.into(),
                (*u).into(),
                role.as_str().into(),
                round.into(),
                on.into(),
                now.into(),
                deadline.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn accept<C: ConnectionTrait>(s: &Taking<'_, C>, to: State) -> AppResult<()> {
    let a = live_assignment(s.c, s.item, s.doer.unit()?).await?;
    db::exec(
        s.c,
        "UPDATE handling_assignments SET state = 'accepted', accepted_at = $1 WHERE id = $2",
        vec![s.ctx.now.into(), a.into()],
    )
    .await?;
    s.set_state(to).await?;
    s.record(Line::public("").unit(s.doer.unit_id)).await?;
    Ok(())
}

/// 退回 within the kind's window; back to triage when no unit that answers is left.
pub(super) async fn give_back<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    reason: &str,
    applied: &mut Applied,
) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let reason = text_of("reason", reason, true)?;
    let a = live_assignment(c, item, s.doer.unit()?).await?;
    let today = ctx.today();
    let on = db::query_rows(c, "SELECT assigned_on FROM handling_assignments WHERE id = $1", vec![a.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .and_then(|d| calendar::parse_date(&d))
        .unwrap_or(today);
    let used = ctx.calendar.working_days_between(on, today);
    if used > i64::from(ctx.policy.return_within_working_days) {
        return Err(AppError::Conflict(format!(
            "交办已超过 {} 个工作日，不能退回；如确需调整，请联系交办机关",
            ctx.policy.return_within_working_days
        )));
    }
    db::exec(
        c,
        "UPDATE handling_assignments SET state = 'returned', return_reason = $1 WHERE id = $2",
        vec![reason.clone().into(), a.into()],
    )
    .await?;
    s.record(Line::internal(&reason).unit(s.doer.unit_id)).await?;
    // Back to triage when no unit that answers is left; the return counts against nobody.
    if !answering_left(c, item).await? {
        db::exec(
            c,
            "UPDATE handling_assignments SET state = 'returned', return_reason = '主办单位已退回' \
             WHERE item_id = $1 AND round = $2 AND state IN ('active', 'accepted')",
            vec![item.id.into(), item.round.into()],
        )
        .await?;
        db::exec(
            c,
            "UPDATE handling_items SET state = 'received', deadline = NULL, deadline_at = NULL, assigned_on = NULL, \
             updated_at = $1 WHERE id = $2",
            vec![ctx.now.into(), item.id.into()],
        )
        .await?;
        applied.to = State::Received;
    }
    notify_staff(c, item, "承办单位退回事项", &format!("退回理由：{reason}")).await?;
    Ok(())
}

/// 办理进展; where the kind records its handling in phases, each note names its phase and a
/// unit's notes go 方案 → 措施 → 成效 (a phase may have several notes; a later round may add to
/// any phase already reached).
pub(super) async fn progress<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    to: State,
    text: &str,
    phase: Option<Phase>,
) -> AppResult<()> {
    let text = text_of("text", text, true)?;
    let unit_id = s.doer.unit()?;
    match (s.ctx.policy.phases, phase) {
        (false, Some(_)) => return Err(AppError::invalid("phase", "此类事项的办理进展不分阶段，请不要填写 phase")),
        (true, None) => {
            return Err(AppError::invalid(
                "phase",
                "请选择办理阶段：方案、措施或成效（phase：plan、measures、results）",
            ));
        }
        (true, Some(p)) => {
            if let Some(before) = p.after() {
                let done = db::scalar_i64(
                    s.c,
                    "SELECT count(*) FROM handling_events WHERE item_id = $1 AND unit_id = $2 AND step = 'progress' \
                     AND phase = $3",
                    vec![s.item.id.into(), unit_id.into(), before.as_str().into()],
                )
                .await?;
                if done == 0 {
                    return Err(AppError::invalid(
                        "phase",
                        format!("请先记录办理{}，再记录{}", before.label(), p.label()),
                    ));
                }
            }
        }
        (false, None) => {}
    }
    let a = live_assignment(s.c, s.item, unit_id).await?;
    db::exec(
        s.c,
        "UPDATE handling_assignments SET state = 'accepted', accepted_at = COALESCE(accepted_at, $1) WHERE id = $2",
        vec![s.ctx.now.into(), a.into()],
    )
    .await?;
    s.set_state(to).await?;
    let detail = phase.map(Phase::as_str).unwrap_or("");
    s.record(Line::internal(&text).detail(detail).phase(phase).unit(Some(unit_id))).await?;
    Ok(())
}

/// 沟通联系: recorded by the unit, seen by the one who raised the item.
pub(super) async fn contact<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    way: ContactWay,
    on: Option<chrono::NaiveDate>,
    text: &str,
) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let text = text_of("text", text, true)?;
    let unit_id = s.doer.unit()?;
    live_assignment(c, item, unit_id).await?;
    let today = ctx.today();
    let on = on.unwrap_or(today);
    if on > today {
        return Err(AppError::invalid("on", "沟通日期不能晚于今天"));
    }
    db::exec(
        c,
        "INSERT INTO handling_contacts (item_id, round, unit_id, way, contacted_on, body, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            item.id.into(),
            item.round.into(),
            unit_id.into(),
            way.as_str().into(),
            on.format("%Y-%m-%d").to_string().into(),
            text.clone().into(),
            ctx.now.into(),
        ],
    )
    .await?;
    let body = format!("{}（{}）：{text}", way.label(), on.format("%Y-%m-%d"));
    s.record(Line::public(&body).detail(way.as_str()).unit(Some(unit_id))).await?;
    Ok(())
}

/// 协办意见: a 协办 unit's part, given to the 主办 unit(s) of the round.
pub(super) async fn assist_opinion<C: ConnectionTrait>(s: &Taking<'_, C>, text: &str) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let text = text_of("text", text, true)?;
    let unit_id = s.doer.unit()?;
    let a = live_assignment(c, item, unit_id).await?;
    if assignment_role(c, a).await? != UnitRole::Assist {
        return Err(AppError::Conflict("只有协办单位提出协办意见；主办单位请直接答复".into()));
    }
    db::exec(
        c,
        "UPDATE handling_assignments SET state = 'replied', replied_at = $1, accepted_at = COALESCE(accepted_at, $1) \
         WHERE id = $2",
        vec![ctx.now.into(), a.into()],
    )
    .await?;
    s.record(Line::internal(&text).unit(Some(unit_id))).await?;
    let leads: Vec<i64> = db::query_rows(
        c,
        "SELECT unit_id FROM handling_assignments WHERE item_id = $1 AND round = $2 AND role IN ('lead', 'separate') \
         AND state IN ('active', 'accepted')",
        vec![item.id.into(), item.round.into()],
    )
    .await?
    .iter()
    .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
    .collect();
    for lead in leads {
        notify_unit(c, lead, item, "协办单位提出了协办意见", &text).await?;
    }
    Ok(())
}

fn extension_bounds(s: &Taking<'_, impl ConnectionTrait>, days: u32) -> AppResult<()> {
    let p = s.ctx.policy;
    if days == 0 || days > p.max_extension {
        return Err(AppError::invalid("days", format!("延期应为 1 到 {}{}", p.max_extension, p.due_unit.label())));
    }
    Ok(())
}

pub(super) async fn request_extension<C: ConnectionTrait>(s: &Taking<'_, C>, days: u32, reason: &str) -> AppResult<()> {
    let reason = text_of("reason", reason, true)?;
    extension_bounds(s, days)?;
    let a = live_assignment(s.c, s.item, s.doer.unit()?).await?;
    db::exec(
        s.c,
        "UPDATE handling_assignments SET extension_days = $1, extension_reason = $2 WHERE id = $3",
        vec![i64::from(days).into(), reason.clone().into(), a.into()],
    )
    .await?;
    let body = format!("申请延期 {days}{}：{reason}", s.ctx.policy.due_unit.label());
    s.record(Line::internal(&body).unit(s.doer.unit_id)).await?;
    notify_staff(s.c, s.item, "承办单位申请延期", &body).await?;
    Ok(())
}

/// 延期审批: the new deadline counts from the current one, within the kind's total cap.
pub(super) async fn decide_extension<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    unit_id: i64,
    approve: bool,
    days: u32,
    note: &str,
) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let note = text_of("note", note, false)?;
    let a = live_assignment(c, item, unit_id).await?;
    let requested = db::query_rows(c, "SELECT extension_days FROM handling_assignments WHERE id = $1", vec![a.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<Option<i64>>(0).ok().flatten());
    if requested.is_none() {
        return Err(AppError::Conflict("该单位没有待审批的延期申请".into()));
    }
    let unit = ctx.policy.due_unit.label();
    let body = if approve {
        extension_bounds(s, days)?;
        let today = ctx.today();
        // The whole time counted from the 交办 (so that a deadline moved to a working day does
        // not move every extension after it), within the kind's cap.
        let extended =
            db::scalar_i64(c, "SELECT extended FROM handling_items WHERE id = $1", vec![item.id.into()]).await? as u32;
        let due = item.due_working_days.map(|d| d as u32).unwrap_or(ctx.policy.default_due);
        let total = due + extended + days;
        if let Some(cap) = ctx.policy.max_total_due
            && total > cap
        {
            return Err(AppError::invalid(
                "days",
                format!("延期后办理期限总计不能超过 {cap}{unit}（原期限 {due}{unit}，已延期 {extended}{unit}）"),
            ));
        }
        let deadline = match item.assigned_on.as_deref().and_then(calendar::parse_date) {
            Some(assigned) => ctx.due_date(assigned, total),
            None => ctx.due_date(item.deadline.as_deref().and_then(calendar::parse_date).unwrap_or(today), days),
        };
        set_deadline(c, item.id, Some(deadline), item.assigned_on.as_deref()).await?;
        db::exec(
            c,
            "UPDATE handling_items SET extended = extended + $1 WHERE id = $2",
            vec![i64::from(days).into(), item.id.into()],
        )
        .await?;
        format!("同意延期 {days}{unit}，办理期限延至 {}。{note}", deadline.format("%Y-%m-%d"))
    } else {
        format!("不同意延期。{note}")
    };
    db::exec(
        c,
        "UPDATE handling_assignments SET extension_days = NULL, extension_reason = NULL WHERE id = $1",
        vec![a.into()],
    )
    .await?;
    let detail = if approve { "approved" } else { "refused" };
    s.record(Line::internal(&body).detail(detail).unit(Some(unit_id))).await?;
    notify_unit(c, unit_id, item, "延期申请已审批", &body).await?;
    Ok(())
}

/// 答复 by a 主办 or 分办 unit; the item is 已答复 once every answering unit has replied, and a
/// 协办 unit that gave no opinion is then marked so (never 已答复).
/// Every answering unit has replied: the item is 已答复, and a 协办 unit still at work gave no
/// opinion (its assignment lapses). Shared by the reply and by 撤回/改派 of the last unit left.
pub(super) async fn mark_replied<C: ConnectionTrait>(c: &C, item: &Item, now: i64) -> Result<(), DbErr> {
    db::exec(
        c,
        "UPDATE handling_assignments SET state = 'lapsed' \
         WHERE item_id = $1 AND round = $2 AND state IN ('active', 'accepted')",
        vec![item.id.into(), item.round.into()],
    )
    .await?;
    db::exec(
        c,
        "UPDATE handling_items SET state = 'replied', replied_at = $1, updated_at = $1 WHERE id = $2",
        vec![now.into(), item.id.into()],
    )
    .await?;
    Ok(())
}

pub(super) async fn reply<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    outcome: Outcome,
    text: &str,
    applied: &mut Applied,
) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let text = text_of("text", text, true)?;
    if !ctx.policy.outcomes.contains(&outcome) {
        let names: Vec<&str> = ctx.policy.outcomes.iter().map(|o| ctx.policy.outcome_label(*o)).collect();
        return Err(AppError::invalid("result", format!("答复结果应为：{}", names.join("、"))));
    }
    let unit_id = s.doer.unit()?;
    let a = live_assignment(c, item, unit_id).await?;
    let role = assignment_role(c, a).await?;
    if !role.answers() {
        return Err(AppError::Conflict("协办单位请以「协办意见」提交主办单位，由主办单位答复".into()));
    }
    if must_accept_first(c, item, ctx.policy).await? && !assignment_accepted(c, a).await? {
        return Err(AppError::Conflict(format!(
            "本机关规定承办单位先签收、再答复：请先签收此事项，签收后{}可以看到已有单位在办理",
            ctx.policy.words.submitter
        )));
    }
    let contacted = db::scalar_i64(
        c,
        "SELECT count(*) FROM handling_contacts WHERE item_id = $1 AND round = $2 AND unit_id = $3",
        vec![item.id.into(), item.round.into(), unit_id.into()],
    )
    .await?
        > 0;
    let who = ctx.policy.words.submitter;
    if !contacted && ctx.policy.contact == ContactRule::Require {
        return Err(AppError::Conflict(format!("答复前请先记录与{who}的沟通联系（面商、电话、座谈或走访）")));
    }
    let on_time = item.deadline_at.is_none_or(|d| ctx.now < d);
    db::exec(
        c,
        "INSERT INTO handling_replies (item_id, unit_id, round, outcome, body, at, on_time, contacted) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            item.id.into(),
            unit_id.into(),
            item.round.into(),
            outcome.as_str().into(),
            text.clone().into(),
            ctx.now.into(),
            on_time.into(),
            contacted.into(),
        ],
    )
    .await?;
    db::exec(
        c,
        "UPDATE handling_assignments SET state = 'replied', replied_at = $1 WHERE id = $2",
        vec![ctx.now.into(), a.into()],
    )
    .await?;
    s.record(Line::public(&text).detail(outcome.as_str()).unit(Some(unit_id))).await?;
    if !contacted && ctx.policy.contact == ContactRule::Flag {
        notify_staff(c, item, "答复前未记录沟通联系", &format!("承办单位答复前没有记录与{who}的沟通联系，请核实"))
            .await?;
    }
    if !answering_left(c, item).await? {
        // Every answering unit has replied: a 协办 unit still at work gave no opinion.
        mark_replied(c, item, ctx.now).await?;
        applied.to = State::Replied;
        notify_staff(c, item, "承办单位已答复", ctx.policy.outcome_label(outcome)).await?;
    } else if item.state != State::Following {
        s.set_state(State::InProgress).await?;
        applied.to = State::InProgress;
    }
    Ok(())
}

pub(super) async fn set_deadline<C: ConnectionTrait>(
    c: &C,
    item_id: i64,
    deadline: Option<chrono::NaiveDate>,
    assigned_on: Option<&str>,
) -> Result<(), DbErr> {
    db::exec(
        c,
        "UPDATE handling_items SET deadline = $1, deadline_at = $2, assigned_on = $3, warned_for = NULL, overdue_for = NULL \
         WHERE id = $4",
        vec![
            deadline.map(|d| d.format("%Y-%m-%d").to_string()).into(),
            deadline.map(calendar::deadline_end).into(),
            assigned_on.map(str::to_string).into(),
            item_id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The unit's assignment of the current round that is still at work.
async fn live_assignment<C: ConnectionTrait>(c: &C, item: &Item, unit_id: i64) -> AppResult<i64> {
    let rows = db::query_rows(
        c,
        "SELECT id FROM handling_assignments WHERE item_id = $1 AND round = $2 AND unit_id = $3 \
         AND state IN ('active', 'accepted') ORDER BY id LIMIT 1",
        vec![item.id.into(), item.round.into(), unit_id.into()],
    )
    .await?;
    rows.first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .ok_or_else(|| AppError::Conflict("该单位本轮没有待办的交办".into()))
}

/// Whether a unit signs for the item (签收) before it may reply: the organ's rule
/// (`handling_rules`, from the nearest organ that set one), else the kind's default.
pub async fn must_accept_first<C: ConnectionTrait>(
    c: &C,
    item: &Item,
    policy: &crate::handling::flow::Policy,
) -> Result<bool, DbErr> {
    Ok(crate::handling::model::accept_rule(c, &item.organ_path).await?.unwrap_or(policy.accept_before_reply))
}

/// Whether the unit of an assignment has signed for it (签收, or work recorded since).
async fn assignment_accepted<C: ConnectionTrait>(c: &C, id: i64) -> Result<bool, DbErr> {
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM handling_assignments WHERE id = $1 AND accepted_at IS NOT NULL",
        vec![id.into()],
    )
    .await?
        > 0)
}

async fn assignment_role<C: ConnectionTrait>(c: &C, id: i64) -> AppResult<UnitRole> {
    let rows = db::query_rows(c, "SELECT role FROM handling_assignments WHERE id = $1", vec![id.into()]).await?;
    rows.first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .and_then(|r| UnitRole::parse(&r))
        .ok_or(AppError::NotFound)
}

/// A 主办 or 分办 unit of the current round still owes its reply.
pub(super) async fn answering_left<C: ConnectionTrait>(c: &C, item: &Item) -> Result<bool, DbErr> {
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM handling_assignments WHERE item_id = $1 AND round = $2 AND role IN ('lead', 'separate') \
         AND state IN ('active', 'accepted')",
        vec![item.id.into(), item.round.into()],
    )
    .await?
        > 0)
}

pub(super) async fn unit_names<C: ConnectionTrait>(c: &C, units: &[(i64, UnitRole)]) -> Result<String, DbErr> {
    let mut parts = Vec::new();
    for (u, role) in units {
        let name = db::query_rows(c, "SELECT name FROM handling_units WHERE id = $1", vec![(*u).into()])
            .await?
            .first()
            .and_then(|r| r.try_get_by_index::<String>(0).ok())
            .unwrap_or_default();
        parts.push(format!("{name}（{}）", role.label()));
    }
    Ok(parts.join("、"))
}
