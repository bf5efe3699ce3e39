//! A handling that took place before the item was in the system (last year's suggestions from a
//! spreadsheet): its 交办 and the reply of each answering unit, recorded at once on an item just
//! opened. History, not work: nobody is notified, and the lines say they were recorded later.
//! What comes after the reply (评价, 跟踪办理, 办结) goes through the ordinary steps.

use sea_orm::ConnectionTrait;

use super::records::event;
use super::units::{check_units, insert_assignments, set_deadline, unit_names};
use super::{Applied, Ctx, Doer, text_of};
use crate::app::error::{AppError, AppResult};
use crate::audit::{self, Change};
use crate::db;
use crate::handling::flow::{Outcome, State, Step, UnitRole};
use crate::handling::model;

/// The 交办 and the reply of a past handling.
pub struct Past<'a> {
    /// The units and their roles, as for a 交办.
    pub units: &'a [(i64, UnitRole)],
    /// The class of the reply every answering unit gave.
    pub outcome: Outcome,
    /// The reply's text (or a line saying the letter was not recorded).
    pub text: &'a str,
}

/// Records `past` on an item in `received`: the assignments of round 1 (the answering units
/// replied, the others with them), a reply per answering unit, the two history lines, the item
/// `replied`; audited as one step of staff (`doer`). Checked like the steps it stands for.
pub async fn record_past<C: ConnectionTrait>(
    c: &C,
    ctx: &Ctx<'_>,
    item_id: i64,
    doer: &Doer<'_>,
    past: &Past<'_>,
) -> AppResult<Applied> {
    let item = model::item(c, item_id).await?.ok_or(AppError::NotFound)?;
    let assigned = ctx
        .policy
        .next(item.state, Step::Assign, doer.party)
        .map_err(|r| AppError::Conflict(r.message(Step::Assign, item.state)))?;
    if item.state != State::Received || assigned != State::Assigned {
        return Err(AppError::Conflict("只有尚未交办的事项可以补录过去的办理".into()));
    }
    if !ctx.policy.outcomes.contains(&past.outcome) {
        let names: Vec<&str> = ctx.policy.outcomes.iter().map(|o| ctx.policy.outcome_label(*o)).collect();
        return Err(AppError::invalid("result", format!("答复结果应为：{}", names.join("、"))));
    }
    let text = text_of("text", past.text, true)?;
    check_units(c, &item, past.units).await?;
    let today = ctx.today();
    let on = today.format("%Y-%m-%d").to_string();
    let due = ctx.policy.default_due;
    insert_assignments(c, item.id, item.round, past.units, &on, ctx.now, None).await?;
    set_deadline(c, item.id, Some(ctx.due_date(today, due)), Some(&on)).await?;
    db::exec(
        c,
        "UPDATE handling_assignments SET state = 'replied', accepted_at = $1, replied_at = $1 WHERE item_id = $2 AND round = $3",
        vec![ctx.now.into(), item.id.into(), item.round.into()],
    )
    .await?;
    let names = unit_names(c, past.units).await?;
    let line = format!("交办{names}（补录的历史办理记录）");
    event(c, ctx.now, item.id, item.round, Step::Assign.as_str(), "", doer.party, doer.actor, None, true, &line, "")
        .await?;
    for (unit, _) in past.units.iter().filter(|(_, r)| r.answers()) {
        db::exec(
            c,
            "INSERT INTO handling_replies (item_id, unit_id, round, outcome, body, at, on_time, contacted) \
             VALUES ($1, $2, $3, $4, $5, $6, true, false)",
            vec![
                item.id.into(),
                (*unit).into(),
                item.round.into(),
                past.outcome.as_str().into(),
                text.clone().into(),
                ctx.now.into(),
            ],
        )
        .await?;
        let detail = past.outcome.as_str();
        event(
            c,
            ctx.now,
            item.id,
            item.round,
            Step::Reply.as_str(),
            detail,
            doer.party,
            doer.actor,
            Some(*unit),
            true,
            &text,
            "",
        )
        .await?;
    }
    db::exec(
        c,
        "UPDATE handling_items SET state = 'replied', due_working_days = $1, replied_at = $2, updated_at = $2 WHERE id = $3",
        vec![i64::from(due).into(), ctx.now.into(), item.id.into()],
    )
    .await?;
    let summary = format!(
        "补录历史办理（交办、答复 {}）：{} → {}",
        ctx.policy.outcome_label(past.outcome),
        item.state.label(),
        State::Replied.label()
    );
    let ch = Change {
        action: "handling_step",
        target_type: "handling_item",
        target_id: item.id.to_string(),
        organ_id: Some(item.organ_id),
        summary,
    };
    audit::append(c, ctx.key, doer.actor, ch).await?;
    Ok(Applied { step: Step::Reply, from: item.state, to: State::Replied, reopened: false, merged_into: None })
}
