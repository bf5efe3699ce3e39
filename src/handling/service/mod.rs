//! The loop's one write path: `open` an item, `apply` a step. Each step is checked against the
//! kind's step table (`Policy::rules`), computes its deadlines on the working-day calendar,
//! writes the item, the assignment and the history line, notifies the people concerned and
//! appends to the audit chain — all in the caller's write transaction.
//!
//! The steps live by who takes them: `triage` (staff at the door: 审核, 不予受理, 直接答复, 并案,
//! 转交代表, 请机关交办), `units` (交办 and the units' work: 签收, 退回, 进展, 沟通联系, 协办意见,
//! 延期, 答复), `corrections` (staff correcting a 交办: 撤回, 改派), `rounds` (评价, 二次办理,
//! 跟踪办理, 办结, 督办); `records` writes history lines and notices.

mod corrections;
mod past;
mod recompute;
mod records;
mod rounds;
mod triage;
mod units;

use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::flow::{Aspect, ContactWay, Grade, Outcome, Party, Phase, Policy, State, Step, Supervision, UnitRole};
use super::model::{self, Rater};
use crate::app::error::{AppError, AppResult};
use crate::audit::{self, Actor, Change};
use crate::calendar::Calendar;
use crate::db;
use crate::notify;

pub use past::{Past, record_past};
pub use recompute::recount;
pub(crate) use records::{event, follow_primary, notify_staff, notify_unit};
pub use units::must_accept_first;

/// Longest free text of a step (a reply, a reason, a note).
pub const MAX_TEXT: usize = 5000;

/// A new item: where it belongs and whether it is held for review.
pub struct NewItem<'a> {
    pub kind: &'a str,
    pub organ_id: i64,
    pub area_id: Option<i64>,
    pub station_id: Option<i64>,
    pub deputy_id: Option<i64>,
    pub held: bool,
    /// The first history line (e.g. "通过联络站二维码提交").
    pub note: &'a str,
    /// The deputies who signed it, the lead first (none for an opinion).
    pub signers: &'a [i64],
}

/// Opens an item in `received` (or `held`); returns its id.
pub async fn open<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    new: &NewItem<'_>,
    now: i64,
) -> Result<i64, sea_orm::DbErr> {
    let state = if new.held { State::Held } else { State::Received };
    let id = db::insert_id(
        c,
        "INSERT INTO handling_items (kind, organ_id, area_id, station_id, deputy_id, state, round, flagged, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, false, $7, $7)",
        vec![
            new.kind.into(),
            new.organ_id.into(),
            new.area_id.into(),
            new.station_id.into(),
            new.deputy_id.into(),
            state.as_str().into(),
            now.into(),
        ],
    )
    .await?;
    for (i, person) in new.signers.iter().enumerate() {
        db::exec(
            c,
            "INSERT INTO item_signers (item_id, person_id, lead, created_at) VALUES ($1, $2, $3, $4)",
            vec![id.into(), (*person).into(), (i == 0).into(), now.into()],
        )
        .await?;
    }
    event(c, now, id, 1, "submit", "", Party::Submitter, actor, None, true, new.note, "").await?;
    Ok(id)
}

/// A step with what it needs.
#[derive(Clone, Debug)]
pub enum Command {
    Release,
    Reject {
        reason: String,
    },
    AnswerDirectly {
        text: String,
    },
    Assign {
        units: Vec<(i64, UnitRole)>,
        /// The time the units have, in the kind's unit (working days or months).
        due_working_days: Option<u32>,
        instructions: String,
    },
    Accept,
    Return {
        reason: String,
    },
    Progress {
        text: String,
        /// 方案 / 措施 / 成效, where the kind records its handling in phases.
        phase: Option<Phase>,
    },
    /// 申请延期 by `days` of the kind's unit (working days, or months for a suggestion).
    RequestExtension {
        days: u32,
        reason: String,
    },
    DecideExtension {
        unit_id: i64,
        approve: bool,
        days: u32,
        note: String,
    },
    Reply {
        outcome: Outcome,
        text: String,
    },
    Rate {
        rater: Rater,
        grade: Grade,
        comment: String,
        /// What is rated (`Aspect::Overall` unless the kind rates aspects).
        aspect: Aspect,
        /// The unit rated, where the kind rates each unit.
        unit_id: Option<i64>,
    },
    Reopen {
        reason: String,
    },
    Close {
        explanation: String,
    },
    Supervise {
        kind: Supervision,
        text: String,
    },
    /// 并案 into the item `into` (of the same kind, still open, not merged itself).
    Merge {
        into: i64,
    },
    /// 转交代表: `deputy_id` (a person) takes the item up.
    HandToDeputy {
        deputy_id: i64,
        note: String,
    },
    /// 请机关交办, with what the deputy suggests.
    RequestAssign {
        text: String,
    },
    /// 沟通联系: how and when the unit spoke with the one who raised it, and what was said.
    Contact {
        way: ContactWay,
        /// The day of the contact (today when not given; never in the future).
        on: Option<chrono::NaiveDate>,
        text: String,
    },
    /// 协办意见 to the 主办 unit.
    AssistOpinion {
        text: String,
    },
    /// 转入跟踪办理 (a B-class reply followed until solved), with an optional new deadline in
    /// the kind's unit.
    Follow {
        reason: String,
        due: Option<u32>,
    },
    /// 撤回交办: the live assignment of `unit_id` in this round is taken back.
    Withdraw {
        unit_id: i64,
        reason: String,
    },
    /// 改派: the live assignment of `unit_id` moves to `to_unit_id` (same role, fresh deadline).
    Reassign {
        unit_id: i64,
        to_unit_id: i64,
        reason: String,
    },
}

impl Command {
    pub fn step(&self) -> Step {
        match self {
            Command::Release => Step::Release,
            Command::Reject { .. } => Step::Reject,
            Command::AnswerDirectly { .. } => Step::AnswerDirectly,
            Command::Assign { .. } => Step::Assign,
            Command::Accept => Step::Accept,
            Command::Return { .. } => Step::Return,
            Command::Progress { .. } => Step::Progress,
            Command::RequestExtension { .. } => Step::RequestExtension,
            Command::DecideExtension { .. } => Step::DecideExtension,
            Command::Reply { .. } => Step::Reply,
            Command::Rate { .. } => Step::Rate,
            Command::Reopen { .. } => Step::Reopen,
            Command::Close { .. } => Step::Close,
            Command::Supervise { .. } => Step::Supervise,
            Command::Merge { .. } => Step::Merge,
            Command::HandToDeputy { .. } => Step::HandToDeputy,
            Command::RequestAssign { .. } => Step::RequestAssign,
            Command::Contact { .. } => Step::Contact,
            Command::AssistOpinion { .. } => Step::AssistOpinion,
            Command::Follow { .. } => Step::Follow,
            Command::Withdraw { .. } => Step::Withdraw,
            Command::Reassign { .. } => Step::Reassign,
        }
    }
}

/// Who takes the step: the party (as the authorization layer found it) and, for a unit, which.
#[derive(Clone, Debug)]
pub struct Doer<'a> {
    pub party: Party,
    pub unit_id: Option<i64>,
    /// The deputy (person) taking a deputy's step: which signer rates.
    pub deputy: Option<i64>,
    pub actor: &'a Actor,
}

impl Doer<'_> {
    /// The unit taking a unit's step.
    fn unit(&self) -> AppResult<i64> {
        self.unit_id.ok_or_else(|| AppError::Forbidden("只有承办单位可以办理".into()))
    }
}

/// What a step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub step: Step,
    pub from: State,
    pub to: State,
    /// A submitter's 不满意 opened the next round by itself.
    pub reopened: bool,
    /// 并案: the item this one now follows.
    pub merged_into: Option<i64>,
}

/// The environment of a step: audit key, calendar, time rules, and the clock.
pub struct Ctx<'a> {
    pub key: &'a [u8],
    pub calendar: &'a Calendar,
    pub policy: &'a Policy,
    pub now: i64,
}

impl Ctx<'_> {
    fn today(&self) -> chrono::NaiveDate {
        crate::calendar::beijing_date(self.now)
    }
    /// The date `due` (in the kind's unit) after `from` (PLAT-10).
    fn due_date(&self, from: chrono::NaiveDate, due: u32) -> chrono::NaiveDate {
        match self.policy.due_unit {
            super::flow::DueUnit::WorkingDays => self.calendar.add_working_days(from, due),
            super::flow::DueUnit::CalendarMonths => self.calendar.add_months(from, due),
        }
    }
}

fn text_of(field: &str, v: &str, required: bool) -> AppResult<String> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(AppError::invalid(field, "请填写此项"));
    }
    if v.chars().count() > MAX_TEXT {
        return Err(AppError::invalid(field, format!("不能超过 {MAX_TEXT} 字")));
    }
    Ok(v.to_string())
}

/// Takes one step on an item. The caller has found the doer's party through the authorization
/// layer; here the kind's table decides whether the step applies now.
pub async fn apply(
    c: &DatabaseTransaction,
    ctx: &Ctx<'_>,
    item_id: i64,
    doer: &Doer<'_>,
    cmd: Command,
) -> AppResult<Applied> {
    let applied = take(c, ctx, item_id, doer, cmd).await?;
    changed(c, ctx.policy, item_id).await?;
    Ok(applied)
}

/// Tells the item's kind that the item changed (`Policy::changed`), in the write's transaction.
pub async fn changed(c: &DatabaseTransaction, policy: &Policy, item_id: i64) -> Result<(), sea_orm::DbErr> {
    match policy.changed {
        Some(f) => f(c, item_id).await,
        None => Ok(()),
    }
}

/// The step itself (`apply` without the kind's hook).
async fn take<C: ConnectionTrait>(
    c: &C,
    ctx: &Ctx<'_>,
    item_id: i64,
    doer: &Doer<'_>,
    cmd: Command,
) -> AppResult<Applied> {
    let item = model::item(c, item_id).await?.ok_or(AppError::NotFound)?;
    let step = cmd.step();
    let to =
        ctx.policy.next(item.state, step, doer.party).map_err(|r| AppError::Conflict(r.message(step, item.state)))?;
    if let Some(primary) = model::merged_into(c, item.id).await? {
        return Err(AppError::Conflict(format!("此事项已并案，随事项 {primary} 一并办理，请在该事项上操作")));
    }
    let mut applied = Applied { step, from: item.state, to, reopened: false, merged_into: None };
    let s = Taking { c, ctx, item: &item, doer, step };
    match cmd {
        Command::Release => triage::release(&s, to).await?,
        Command::Reject { reason } => triage::reject(&s, to, &reason).await?,
        Command::AnswerDirectly { text } => triage::answer_directly(&s, to, &text).await?,
        Command::Merge { into } => triage::merge(&s, into, &mut applied).await?,
        Command::HandToDeputy { deputy_id, note } => triage::hand_to_deputy(&s, deputy_id, &note).await?,
        Command::RequestAssign { text } => triage::request_assign(&s, &text).await?,
        Command::Assign { units, due_working_days, instructions } => {
            units::assign(&s, &units, due_working_days, &instructions).await?
        }
        Command::Accept => units::accept(&s, to).await?,
        Command::Return { reason } => units::give_back(&s, &reason, &mut applied).await?,
        Command::Progress { text, phase } => units::progress(&s, to, &text, phase).await?,
        Command::Contact { way, on, text } => units::contact(&s, way, on, &text).await?,
        Command::AssistOpinion { text } => units::assist_opinion(&s, &text).await?,
        Command::RequestExtension { days, reason } => units::request_extension(&s, days, &reason).await?,
        Command::DecideExtension { unit_id, approve, days, note } => {
            units::decide_extension(&s, unit_id, approve, days, &note).await?
        }
        Command::Reply { outcome, text } => units::reply(&s, outcome, &text, &mut applied).await?,
        Command::Rate { rater, grade, comment, aspect, unit_id } => {
            rounds::rate(&s, rater, grade, &comment, aspect, unit_id, &mut applied).await?
        }
        Command::Reopen { reason } => rounds::reopen(&s, doer, &reason).await?,
        Command::Follow { reason, due } => rounds::follow_up(&s, &reason, due).await?,
        Command::Close { explanation } => rounds::close(&s, to, &explanation).await?,
        Command::Supervise { kind, text } => rounds::supervise(&s, kind, &text).await?,
        Command::Withdraw { unit_id, reason } => corrections::withdraw(&s, unit_id, &reason, &mut applied).await?,
        Command::Reassign { unit_id, to_unit_id, reason } => {
            corrections::reassign(&s, unit_id, to_unit_id, &reason, &mut applied).await?
        }
    }
    audit::append(
        c,
        ctx.key,
        doer.actor,
        Change {
            action: "handling_step",
            target_type: "handling_item",
            target_id: item.id.to_string(),
            organ_id: Some(item.organ_id),
            summary: format!("{}：{} → {}", step.label(), applied.from.label(), applied.to.label()),
        },
    )
    .await?;
    Ok(applied)
}

/// One step being taken: the connection, its environment, the item as it was, the doer and
/// the step.
struct Taking<'a, C> {
    c: &'a C,
    ctx: &'a Ctx<'a>,
    item: &'a model::Item,
    doer: &'a Doer<'a>,
    step: Step,
}

impl<C: ConnectionTrait> Taking<'_, C> {
    /// Writes `line` into the item's history for this step.
    async fn record(&self, line: records::Line<'_>) -> Result<(), sea_orm::DbErr> {
        records::record(self.c, self.ctx, self.item, self.step, self.doer, line).await
    }
    async fn set_state(&self, to: State) -> Result<(), sea_orm::DbErr> {
        db::exec(
            self.c,
            "UPDATE handling_items SET state = $1, updated_at = $2 WHERE id = $3",
            vec![to.as_str().into(), self.ctx.now.into(), self.item.id.into()],
        )
        .await?;
        Ok(())
    }
}

/// Asks a deputy to follow an item (督办首发工单): they see it from now on and get it in their
/// inbox. False when they already follow it.
#[allow(clippy::too_many_arguments)]
pub async fn follow<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    item: &model::Item,
    person_id: i64,
    tracking_no: &str,
    link: &str,
    now: i64,
) -> AppResult<bool> {
    let known = db::scalar_i64(
        c,
        "SELECT count(*) FROM item_followers WHERE item_id = $1 AND person_id = $2",
        vec![item.id.into(), person_id.into()],
    )
    .await?;
    if known > 0 {
        return Ok(false);
    }
    db::exec(
        c,
        "INSERT INTO item_followers (item_id, person_id, created_by_id, created_at) VALUES ($1, $2, $3, $4)",
        vec![item.id.into(), person_id.into(), actor.account_id.into(), now.into()],
    )
    .await?;
    let accounts = db::query_rows(
        c,
        "SELECT id FROM accounts WHERE deputy_id = $1 AND disabled = $2",
        vec![person_id.into(), false.into()],
    )
    .await?
    .iter()
    .map(|r| r.try_get_by_index::<i64>(0))
    .collect::<Result<Vec<i64>, _>>()?;
    let body = format!("请您跟踪督办事项 {tracking_no} 的办理，可随时查看办理进展。");
    let about = notify::About { kind: &item.kind, record: Some(("handling_item", item.id)), link };
    notify::inbox_about(c, &accounts, &about, &format!("请您跟踪督办：{tracking_no}"), &body).await?;
    let ch = Change {
        action: "handling_follow",
        target_type: "handling_item",
        target_id: item.id.to_string(),
        organ_id: Some(item.organ_id),
        summary: format!("请代表（编号 {person_id}）跟踪督办 {tracking_no}"),
    };
    audit::append(c, key, actor, ch).await?;
    Ok(true)
}

/// A status an external system reported for the item (OPN-14, through a signed webhook): a
/// line of the item's history (not shown on `/track`), not a step of the loop.
pub async fn external_note<C: ConnectionTrait>(
    c: &C,
    item_id: i64,
    status: crate::webhooks::ExternalStatus,
    text: &str,
    actor: &Actor,
    now: i64,
) -> AppResult<()> {
    let item = model::item(c, item_id).await?.ok_or(AppError::NotFound)?;
    event(c, now, item_id, item.round, "external", status.as_str(), Party::Staff, actor, None, false, text, "").await?;
    Ok(())
}
