//! After a reply: 评价, 二次办理, 跟踪办理, 办结 — and 督办 at any time units are at work.

use sea_orm::ConnectionTrait;

use super::records::{Line, event, notify_staff, notify_unit};
use super::units::{insert_assignments, set_deadline};
use super::{Applied, Doer, Taking, text_of};
use crate::app::error::{AppError, AppResult};
use crate::audit::Actor;
use crate::db;
use crate::handling::flow::{Aspect, Grade, Party, State, Step, Supervision, UnitRole};
use crate::handling::model::{self, AssignmentState, Rater};

/// 评价: by the submitter, or by a deputy (each signer for themself); of the whole or of each
/// aspect the kind rates, of the item or of each answering unit. A 不满意 of the kind's reopening
/// party (of the lead signer only, where the kind says so) opens the next round by itself.
pub(super) async fn rate<C: ConnectionTrait>(
    s: &Taking<'_, C>,
    rater: Rater,
    grade: Grade,
    comment: &str,
    aspect: Aspect,
    unit_id: Option<i64>,
    applied: &mut Applied,
) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let comment = text_of("comment", comment, false)?;
    if !ctx.policy.aspects.contains(&aspect) {
        let names: Vec<&str> = ctx.policy.aspects.iter().map(|a| a.label()).collect();
        return Err(AppError::invalid("aspect", format!("请评价：{}", names.join("、"))));
    }
    let unit_id = match (ctx.policy.rate_per_unit, unit_id) {
        (false, _) => None,
        (true, None) => return Err(AppError::invalid("unit_id", "请选择评价哪个承办单位")),
        (true, Some(u)) => {
            let replied = db::scalar_i64(
                c,
                "SELECT count(*) FROM handling_replies WHERE item_id = $1 AND round = $2 AND unit_id = $3",
                vec![item.id.into(), item.round.into(), u.into()],
            )
            .await?;
            if replied == 0 {
                return Err(AppError::invalid("unit_id", "这个单位本轮没有答复，不能评价"));
            }
            Some(u)
        }
    };
    // Each signer of an item signed by several deputies rates for themself.
    let signed = model::has_signers(c, item.id).await?;
    let person = if rater == Rater::Deputy { s.doer.deputy } else { None };
    if let Some(p) = person
        && model::answered_by_deputy(c, item, p).await?
    {
        return Err(AppError::Conflict(format!(
            "这是您本人作出的直接答复，代表不评价自己的答复；由{}评价",
            ctx.policy.words.submitter
        )));
    }
    let mut sql =
        "SELECT count(*) FROM handling_ratings WHERE item_id = $1 AND round = $2 AND rater = $3 AND aspect = $4"
            .to_string();
    let mut values = vec![item.id.into(), item.round.into(), rater.as_str().into(), aspect.as_str().into()];
    if let Some(u) = unit_id {
        values.push(u.into());
        sql.push_str(&format!(" AND unit_id = ${}", values.len()));
    }
    if let (Some(p), true) = (person, signed) {
        values.push(p.into());
        sql.push_str(&format!(" AND person_id = ${}", values.len()));
    }
    if db::scalar_i64(c, &sql, values).await? > 0 {
        return Err(AppError::Conflict("本轮办理已经评价过".into()));
    }
    db::exec(
        c,
        "INSERT INTO handling_ratings (item_id, round, rater, grade, comment, at, person_id, aspect, unit_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            item.id.into(),
            item.round.into(),
            rater.as_str().into(),
            grade.as_str().into(),
            comment.clone().into(),
            ctx.now.into(),
            person.into(),
            aspect.as_str().into(),
            unit_id.into(),
        ],
    )
    .await?;
    let what = if aspect == Aspect::Overall { String::new() } else { format!("{}：", aspect.label()) };
    let body = if comment.is_empty() {
        format!("{what}{}", grade.label())
    } else {
        format!("{what}{}：{comment}", grade.label())
    };
    s.record(Line::public(&body).detail(grade.as_str())).await?;
    // Staff hear of every rating (issue 16): the grade is what they act on.
    let who = match rater {
        Rater::Submitter => ctx.policy.words.submitter,
        Rater::Deputy => "代表",
    };
    notify_staff(c, item, &format!("{who}评价：{}", grade.label()), &body).await?;
    let drives = ctx.policy.reopen_on.contains(&rater.party())
        && (!ctx.policy.lead_rating_drives || !signed || is_lead(c, item.id, person).await?);
    if drives && grade == Grade::Unsatisfied {
        let automatic = item.round <= i64::from(ctx.policy.automatic_rehandling_rounds);
        if item.state == State::Replied && automatic {
            let system = Actor::system("二次办理");
            let sys = Doer { party: Party::System, unit_id: None, deputy: None, actor: &system };
            let why = format!("{}不满意，自动转入二次办理", ctx.policy.words.submitter);
            reopen(s, &sys, &why).await?;
            applied.to = State::Rehandling;
            applied.reopened = true;
        } else {
            let title = format!("{}对答复不满意", ctx.policy.words.submitter);
            notify_staff(c, item, &title, "请决定再次办理，或说明理由后办结").await?;
        }
    }
    Ok(())
}

async fn is_lead<C: ConnectionTrait>(c: &C, item_id: i64, person: Option<i64>) -> AppResult<bool> {
    let Some(p) = person else { return Ok(false) };
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM item_signers WHERE item_id = $1 AND person_id = $2 AND lead = true",
        vec![item_id.into(), p.into()],
    )
    .await?
        > 0)
}

/// The units of the round that carry on into the next: those not returned (the answering ones
/// only, for 跟踪办理).
async fn carried_units<C: ConnectionTrait>(
    c: &C,
    item: &model::Item,
    answering_only: bool,
) -> AppResult<Vec<(i64, UnitRole)>> {
    let mut units: Vec<(i64, UnitRole)> = Vec::new();
    for a in model::assignments(c, item.id).await? {
        let carried = a.round == item.round
            && a.state != AssignmentState::Returned
            && (!answering_only || a.role.answers())
            && !units.iter().any(|(u, _)| *u == a.unit_id);
        if carried {
            units.push((a.unit_id, a.role));
        }
    }
    if units.is_empty() {
        return Err(AppError::Conflict("上一轮没有承办单位，请重新交办".into()));
    }
    Ok(units)
}

/// 二次办理: a new round with the same units (from 已办结 too, where the kind allows it: 回头看).
pub(super) async fn reopen<C: ConnectionTrait>(s: &Taking<'_, C>, doer: &Doer<'_>, reason: &str) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let reason = text_of("reason", reason, true)?;
    ctx.policy
        .next(item.state, Step::Reopen, doer.party)
        .map_err(|r| AppError::Conflict(r.message(Step::Reopen, item.state)))?;
    let units = carried_units(c, item, false).await?;
    let round = item.round + 1;
    let today = ctx.today();
    let on = today.format("%Y-%m-%d").to_string();
    let due = item.due_working_days.map(|d| d as u32).unwrap_or(ctx.policy.default_due);
    let deadline = ctx.due_date(today, due);
    let assist_deadline = ctx.policy.assist_due.map(|d| ctx.due_date(today, d).min(deadline));
    insert_assignments(c, item.id, round, &units, &on, ctx.now, assist_deadline).await?;
    db::exec(
        c,
        "UPDATE handling_items SET state = 'rehandling', round = $1, replied_at = NULL, closed_at = NULL, extended = 0, \
         updated_at = $2 WHERE id = $3",
        vec![round.into(), ctx.now.into(), item.id.into()],
    )
    .await?;
    set_deadline(c, item.id, Some(deadline), Some(&on)).await?;
    let body = format!("{reason}（第 {round} 轮，办理期限至 {}）", deadline.format("%Y-%m-%d"));
    event(c, ctx.now, item.id, round, Step::Reopen.as_str(), "", doer.party, doer.actor, None, true, &body, "").await?;
    for (u, _) in &units {
        notify_unit(c, *u, item, "事项转入二次办理", &body).await?;
    }
    Ok(())
}

/// 跟踪办理: a reply that promises a solution is followed until solved — a new round for the
/// answering units, already signed for, with a deadline only when staff give one; it carries
/// over from year to year until the units reply that it is done.
pub(super) async fn follow_up<C: ConnectionTrait>(s: &Taking<'_, C>, reason: &str, due: Option<u32>) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let reason = text_of("reason", reason, true)?;
    let units = carried_units(c, item, true).await?;
    if let Some(d) = due
        && (d == 0 || d > ctx.policy.max_due)
    {
        let unit = ctx.policy.due_unit.label();
        return Err(AppError::invalid("due", format!("跟踪期限应为 1 到 {}{unit}", ctx.policy.max_due)));
    }
    let round = item.round + 1;
    let today = ctx.today();
    let on = today.format("%Y-%m-%d").to_string();
    insert_assignments(c, item.id, round, &units, &on, ctx.now, None).await?;
    db::exec(
        c,
        "UPDATE handling_assignments SET state = 'accepted', accepted_at = $1 WHERE item_id = $2 AND round = $3",
        vec![ctx.now.into(), item.id.into(), round.into()],
    )
    .await?;
    db::exec(
        c,
        "UPDATE handling_items SET state = 'following', round = $1, replied_at = NULL, extended = 0, updated_at = $2 \
         WHERE id = $3",
        vec![round.into(), ctx.now.into(), item.id.into()],
    )
    .await?;
    let deadline = due.map(|d| ctx.due_date(today, d));
    set_deadline(c, item.id, deadline, Some(&on)).await?;
    let body = match deadline {
        Some(d) => format!("{reason}（跟踪办理，第 {round} 轮，请于 {} 前再次答复）", d.format("%Y-%m-%d")),
        None => format!("{reason}（跟踪办理，第 {round} 轮，解决后再次答复）"),
    };
    let doer = s.doer;
    event(c, ctx.now, item.id, round, Step::Follow.as_str(), "", doer.party, doer.actor, None, true, &body, "").await?;
    for (u, _) in &units {
        notify_unit(c, *u, item, "事项转入跟踪办理", &body).await?;
    }
    Ok(())
}

/// 办结; after a 不满意 of the kind's reopening party, only with a reason they see.
pub(super) async fn close<C: ConnectionTrait>(s: &Taking<'_, C>, to: State, explanation: &str) -> AppResult<()> {
    let (c, ctx, item) = (s.c, s.ctx, s.item);
    let explanation = text_of("explanation", explanation, false)?;
    let unsatisfied = model::ratings(c, item.id).await?.into_iter().any(|r| {
        r.round == item.round && ctx.policy.reopen_on.contains(&r.rater.party()) && r.grade == Grade::Unsatisfied
    });
    if unsatisfied && explanation.is_empty() {
        let who = ctx.policy.words.submitter;
        return Err(AppError::invalid("explanation", format!("{who}不满意，办结时须写明理由（{who}可见）")));
    }
    s.set_state(to).await?;
    db::exec(c, "UPDATE handling_items SET closed_at = $1 WHERE id = $2", vec![ctx.now.into(), item.id.into()]).await?;
    s.record(Line::public(&explanation)).await?;
    Ok(())
}

/// 督办: recorded, the units told; 挂牌督办 marks the item until it is closed.
pub(super) async fn supervise<C: ConnectionTrait>(s: &Taking<'_, C>, kind: Supervision, text: &str) -> AppResult<()> {
    let (c, item) = (s.c, s.item);
    let text = text_of("text", text, kind != Supervision::Flag)?;
    if kind == Supervision::Flag {
        db::exec(c, "UPDATE handling_items SET flagged = true WHERE id = $1", vec![item.id.into()]).await?;
    }
    s.record(Line::internal(&text).detail(kind.as_str())).await?;
    for unit in model::live_units(c, item.id).await? {
        notify_unit(c, unit, item, kind.label(), &text).await?;
    }
    Ok(())
}
