//! The loop's one write path: `open` an item, `apply` a step. Each step is checked against
//! `flow::RULES`, computes its deadlines on the working-day calendar, writes the item, the
//! assignment and the history line, notifies the people concerned and appends to the audit
//! chain — all in the caller's write transaction.

use sea_orm::{ConnectionTrait, DbErr};

use super::flow::{self, Aspect, Grade, Outcome, Party, Policy, State, Step, Supervision, UnitRole};
use super::model::{self, AssignmentState, Item, Rater};
use crate::app::error::{AppError, AppResult};
use crate::audit::{self, Actor, Change};
use crate::calendar::{self, Calendar};
use crate::db;
use crate::notify;

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
pub async fn open<C: ConnectionTrait>(c: &C, actor: &Actor, new: &NewItem<'_>, now: i64) -> Result<i64, DbErr> {
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
        due_working_days: Option<u32>,
        instructions: String,
    },
    Accept,
    Return {
        reason: String,
    },
    Progress {
        text: String,
    },
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
/// layer; here the loop's table decides whether the step applies now.
pub async fn apply<C: ConnectionTrait>(
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
    let today = calendar::beijing_date(ctx.now);
    if let Some(primary) = model::merged_into(c, item.id).await? {
        return Err(AppError::Conflict(format!("此事项已并案，随事项 {primary} 一并办理，请在该事项上操作")));
    }
    let mut applied = Applied { step, from: item.state, to, reopened: false, merged_into: None };
    let unit = || doer.unit_id.ok_or_else(|| AppError::Forbidden("只有承办单位可以办理".into()));
    match cmd {
        Command::Release => {
            set_state(c, &item, to, ctx.now).await?;
            record(c, ctx, &item, step, doer, Line::internal("")).await?;
        }
        Command::Reject { reason } => {
            let reason = text_of("reason", &reason, true)?;
            set_state(c, &item, to, ctx.now).await?;
            db::exec(c, "UPDATE handling_items SET closed_at = $1 WHERE id = $2", vec![ctx.now.into(), item.id.into()])
                .await?;
            record(c, ctx, &item, step, doer, Line::public(&reason)).await?;
        }
        Command::AnswerDirectly { text } => {
            let text = text_of("text", &text, true)?;
            set_state(c, &item, to, ctx.now).await?;
            db::exec(
                c,
                "UPDATE handling_items SET replied_at = $1 WHERE id = $2",
                vec![ctx.now.into(), item.id.into()],
            )
            .await?;
            record(c, ctx, &item, step, doer, Line::public(&text)).await?;
        }
        Command::Assign { units, due_working_days, instructions } => {
            let instructions = text_of("instructions", &instructions, false)?;
            assign(c, ctx, &item, &units, due_working_days, &instructions, doer).await?;
        }
        Command::Accept => {
            let a = live_assignment(c, &item, unit()?).await?;
            db::exec(
                c,
                "UPDATE handling_assignments SET state = 'accepted', accepted_at = $1 WHERE id = $2",
                vec![ctx.now.into(), a.into()],
            )
            .await?;
            set_state(c, &item, to, ctx.now).await?;
            record(c, ctx, &item, step, doer, Line::public("").unit(doer.unit_id)).await?;
        }
        Command::Return { reason } => {
            let reason = text_of("reason", &reason, true)?;
            let unit_id = unit()?;
            let a = live_assignment(c, &item, unit_id).await?;
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
            record(c, ctx, &item, step, doer, Line::internal(&reason).unit(doer.unit_id)).await?;
            // Back to triage when no unit that answers is left; the return counts against nobody.
            if !answering_left(c, &item).await? {
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
            notify_staff(c, &item, "承办单位退回事项", &format!("退回理由：{reason}")).await?;
        }
        Command::Progress { text } => {
            let text = text_of("text", &text, true)?;
            let a = live_assignment(c, &item, unit()?).await?;
            db::exec(
                c,
                "UPDATE handling_assignments SET state = 'accepted', accepted_at = COALESCE(accepted_at, $1) WHERE id = $2",
                vec![ctx.now.into(), a.into()],
            )
            .await?;
            set_state(c, &item, to, ctx.now).await?;
            record(c, ctx, &item, step, doer, Line::internal(&text).unit(doer.unit_id)).await?;
        }
        Command::RequestExtension { days, reason } => {
            let reason = text_of("reason", &reason, true)?;
            if days == 0 || days > ctx.policy.max_extension_working_days {
                return Err(AppError::invalid(
                    "days",
                    format!("延期天数应为 1 到 {} 个工作日", ctx.policy.max_extension_working_days),
                ));
            }
            let a = live_assignment(c, &item, unit()?).await?;
            db::exec(
                c,
                "UPDATE handling_assignments SET extension_days = $1, extension_reason = $2 WHERE id = $3",
                vec![i64::from(days).into(), reason.clone().into(), a.into()],
            )
            .await?;
            let body = format!("申请延期 {days} 个工作日：{reason}");
            record(c, ctx, &item, step, doer, Line::internal(&body).unit(doer.unit_id)).await?;
            notify_staff(c, &item, "承办单位申请延期", &body).await?;
        }
        Command::DecideExtension { unit_id, approve, days, note } => {
            let note = text_of("note", &note, false)?;
            let a = live_assignment(c, &item, unit_id).await?;
            let requested =
                db::query_rows(c, "SELECT extension_days FROM handling_assignments WHERE id = $1", vec![a.into()])
                    .await?
                    .first()
                    .and_then(|r| r.try_get_by_index::<Option<i64>>(0).ok().flatten());
            if requested.is_none() {
                return Err(AppError::Conflict("该单位没有待审批的延期申请".into()));
            }
            db::exec(
                c,
                "UPDATE handling_assignments SET extension_days = NULL, extension_reason = NULL WHERE id = $1",
                vec![a.into()],
            )
            .await?;
            let body = if approve {
                if days == 0 || days > ctx.policy.max_extension_working_days {
                    return Err(AppError::invalid(
                        "days",
                        format!("延期天数应为 1 到 {} 个工作日", ctx.policy.max_extension_working_days),
                    ));
                }
                let from = item.deadline.as_deref().and_then(calendar::parse_date).unwrap_or(today);
                let deadline = ctx.calendar.add_working_days(from, days);
                set_deadline(c, item.id, deadline, item.assigned_on.as_deref()).await?;
                format!("同意延期 {days} 个工作日，办理期限延至 {}。{note}", deadline.format("%Y-%m-%d"))
            } else {
                format!("不同意延期。{note}")
            };
            let detail = if approve { "approved" } else { "refused" };
            record(c, ctx, &item, step, doer, Line::internal(&body).detail(detail).unit(Some(unit_id))).await?;
            notify_unit(c, unit_id, &item, "延期申请已审批", &body).await?;
        }
        Command::Reply { outcome, text } => {
            let text = text_of("text", &text, true)?;
            let unit_id = unit()?;
            let a = live_assignment(c, &item, unit_id).await?;
            let role = assignment_role(c, a).await?;
            if ctx.policy.accept_before_reply && !assignment_accepted(c, a).await? {
                return Err(AppError::Conflict(format!(
                    "请先签收再答复：签收后，{}可以看到事项已有单位在办理",
                    ctx.policy.words.submitter
                )));
            }
            if !role.answers() {
                return Err(AppError::Conflict(
                    "协办单位请将办理意见以「办理进展」提交主办单位，由主办单位答复".into(),
                ));
            }
            let on_time = item.deadline_at.is_none_or(|d| ctx.now < d);
            db::exec(
                c,
                "INSERT INTO handling_replies (item_id, unit_id, round, outcome, body, at, on_time) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    item.id.into(),
                    unit_id.into(),
                    item.round.into(),
                    outcome.as_str().into(),
                    text.clone().into(),
                    ctx.now.into(),
                    on_time.into(),
                ],
            )
            .await?;
            db::exec(
                c,
                "UPDATE handling_assignments SET state = 'replied', replied_at = $1 WHERE id = $2",
                vec![ctx.now.into(), a.into()],
            )
            .await?;
            record(c, ctx, &item, step, doer, Line::public(&text).detail(outcome.as_str()).unit(Some(unit_id))).await?;
            if !answering_left(c, &item).await? {
                // Every answering unit has replied: the 协办 units are done too.
                db::exec(
                    c,
                    "UPDATE handling_assignments SET state = 'replied', replied_at = $1 \
                     WHERE item_id = $2 AND round = $3 AND state IN ('active', 'accepted')",
                    vec![ctx.now.into(), item.id.into(), item.round.into()],
                )
                .await?;
                db::exec(
                    c,
                    "UPDATE handling_items SET state = 'replied', replied_at = $1, updated_at = $1 WHERE id = $2",
                    vec![ctx.now.into(), item.id.into()],
                )
                .await?;
                applied.to = State::Replied;
                notify_staff(c, &item, "承办单位已答复", outcome.label()).await?;
            } else {
                set_state(c, &item, State::InProgress, ctx.now).await?;
                applied.to = State::InProgress;
            }
        }
        Command::Rate { rater, grade, comment, aspect, unit_id } => {
            let comment = text_of("comment", &comment, false)?;
            // What the kind rates: the whole or each aspect; the item or each answering unit.
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
            let person = if rater == Rater::Deputy { doer.deputy } else { None };
            let mut sql = "SELECT count(*) FROM handling_ratings WHERE item_id = $1 AND round = $2 AND rater = $3 \
                 AND aspect = $4"
                .to_string();
            let mut values = vec![item.id.into(), item.round.into(), rater.as_str().into(), aspect.as_str().into()];
            if let Some(u) = unit_id {
                values.push(u.into());
                sql.push_str(&format!(" AND unit_id = ${}", values.len()));
            }
            if let (Some(p), true) = (person, model::has_signers(c, item.id).await?) {
                values.push(p.into());
                sql.push_str(&format!(" AND person_id = ${}", values.len()));
            }
            let done = db::scalar_i64(c, &sql, values).await?;
            if done > 0 {
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
            record(c, ctx, &item, step, doer, Line::public(&body).detail(grade.as_str())).await?;
            // A 不满意 of the kind's reopening party (the submitter of an opinion) opens the next
            // round by itself, as many times as the policy says.
            let automatic = item.round <= i64::from(ctx.policy.automatic_rehandling_rounds);
            let reopens = ctx.policy.reopen_on.contains(&rater.party());
            if reopens && grade == Grade::Unsatisfied {
                if item.state == State::Replied && automatic {
                    let system = Actor::system("二次办理");
                    let sys = Doer { party: Party::System, unit_id: None, deputy: None, actor: &system };
                    let why = format!("{}不满意，自动转入二次办理", ctx.policy.words.submitter);
                    reopen(c, ctx, &item, &sys, &why).await?;
                    applied.to = State::Rehandling;
                    applied.reopened = true;
                } else {
                    let title = format!("{}对答复不满意", ctx.policy.words.submitter);
                    notify_staff(c, &item, &title, "请决定再次办理，或说明理由后办结").await?;
                }
            }
        }
        Command::Reopen { reason } => {
            let reason = text_of("reason", &reason, true)?;
            reopen(c, ctx, &item, doer, &reason).await?;
        }
        Command::Close { explanation } => {
            let explanation = text_of("explanation", &explanation, false)?;
            let last = model::ratings(c, item.id)
                .await?
                .into_iter()
                .rfind(|r| r.rater == Rater::Submitter && r.round == item.round);
            if last.is_some_and(|r| r.grade == Grade::Unsatisfied) && explanation.is_empty() {
                let who = ctx.policy.words.submitter;
                return Err(AppError::invalid("explanation", format!("{who}不满意，办结时须写明理由（{who}可见）")));
            }
            set_state(c, &item, to, ctx.now).await?;
            db::exec(c, "UPDATE handling_items SET closed_at = $1 WHERE id = $2", vec![ctx.now.into(), item.id.into()])
                .await?;
            record(c, ctx, &item, step, doer, Line::public(&explanation)).await?;
        }
        Command::Supervise { kind, text } => {
            let text = text_of("text", &text, kind != Supervision::Flag)?;
            if kind == Supervision::Flag {
                db::exec(c, "UPDATE handling_items SET flagged = true WHERE id = $1", vec![item.id.into()]).await?;
            }
            record(c, ctx, &item, step, doer, Line::internal(&text).detail(kind.as_str())).await?;
            for unit in model::live_units(c, item.id).await? {
                notify_unit(c, unit, &item, kind.label(), &text).await?;
            }
        }
        Command::Merge { into } => {
            let primary = model::item(c, into).await?.ok_or_else(|| AppError::invalid("into", "没有这个事项"))?;
            if primary.id == item.id || primary.kind != item.kind {
                return Err(AppError::invalid("into", "只能并入另一件同类事项"));
            }
            if !primary.organ_path.starts_with(&item.organ_path) && !item.organ_path.starts_with(&primary.organ_path) {
                return Err(AppError::invalid("into", "只能并入本机关或上下级机关的事项"));
            }
            if primary.state.is_final() || matches!(primary.state, State::Held) {
                return Err(AppError::invalid("into", "只能并入尚未办结、已受理的事项"));
            }
            if model::merged_into(c, primary.id).await?.is_some() {
                return Err(AppError::invalid("into", "该事项本身已并案，请并入它所随的事项"));
            }
            db::exec(
                c,
                "INSERT INTO handling_merges (item_id, into_item_id, merged_at) VALUES ($1, $2, $3)",
                vec![item.id.into(), primary.id.into(), ctx.now.into()],
            )
            .await?;
            // Whatever already merged into this one follows the primary now.
            db::exec(
                c,
                "UPDATE handling_merges SET into_item_id = $1 WHERE into_item_id = $2",
                vec![primary.id.into(), item.id.into()],
            )
            .await?;
            record(c, ctx, &item, step, doer, Line::public("")).await?;
            event(
                c,
                ctx.now,
                primary.id,
                primary.round,
                step.as_str(),
                "primary",
                doer.party,
                doer.actor,
                None,
                false,
                "",
                "",
            )
            .await?;
            follow_primary(c, &primary).await?;
            applied.to = primary.state;
            applied.merged_into = Some(primary.id);
        }
        Command::HandToDeputy { deputy_id, note } => {
            let note = text_of("text", &note, false)?;
            // Handing an item to a deputy lets them see it: only a deputy of its station, or one
            // serving at the item's organ or an organ above or below it.
            let name: Option<String> = db::query_rows(
                c,
                "SELECT p.name FROM persons p WHERE p.id = $1 AND (\
                 EXISTS (SELECT 1 FROM station_deputies sd WHERE sd.person_id = p.id AND sd.station_id = $2) \
                 OR EXISTS (SELECT 1 FROM mandates m JOIN organs o ON o.id = m.organ_id WHERE m.person_id = p.id \
                 AND m.status = 'serving' AND (o.path LIKE $3 OR $4 LIKE o.path || '%')))",
                vec![
                    deputy_id.into(),
                    item.station_id.unwrap_or(0).into(),
                    format!("{}%", db::like_escape(&item.organ_path)).into(),
                    item.organ_path.clone().into(),
                ],
            )
            .await?
            .first()
            .and_then(|r| r.try_get_by_index(0).ok());
            let Some(name) = name else {
                return Err(AppError::invalid("deputy_id", "请选择本站或本机关上下级的在任代表"));
            };
            db::exec(
                c,
                "UPDATE handling_items SET deputy_id = $1, updated_at = $2 WHERE id = $3",
                vec![deputy_id.into(), ctx.now.into(), item.id.into()],
            )
            .await?;
            record(c, ctx, &item, step, doer, Line::internal(&note).detail(&name)).await?;
            let accounts: Vec<i64> = db::query_rows(
                c,
                "SELECT id FROM accounts WHERE deputy_id = $1 AND disabled = false",
                vec![deputy_id.into()],
            )
            .await?
            .iter()
            .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
            .collect();
            let body = if note.is_empty() { "请答复反映人，或请机关交办".to_string() } else { note };
            notify::inbox_all(c, &accounts, "转交您的群众意见", &body, Some(&item_link(&item))).await?;
        }
        Command::RequestAssign { text } => {
            let text = text_of("text", &text, false)?;
            record(c, ctx, &item, step, doer, Line::internal(&text)).await?;
            let body = if text.is_empty() { "代表请机关将此事项交办承办单位".to_string() } else { text };
            notify_staff(c, &item, "代表请求交办", &body).await?;
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

async fn assign<C: ConnectionTrait>(
    c: &C,
    ctx: &Ctx<'_>,
    item: &Item,
    units: &[(i64, UnitRole)],
    due: Option<u32>,
    instructions: &str,
    doer: &Doer<'_>,
) -> AppResult<()> {
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
    let due = due.unwrap_or(ctx.policy.default_due);
    if due == 0 || due > ctx.policy.max_due {
        return Err(AppError::invalid(
            "due_working_days",
            format!("办理期限应为 1 到 {}{}", ctx.policy.max_due, ctx.policy.due_unit.label()),
        ));
    }
    // Units of the item's organ or an organ above it (a township's item may go to county units).
    for (u, _) in units {
        let path = db::query_rows(
            c,
            "SELECT o.path FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1 AND u.active = true",
            vec![(*u).into()],
        )
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok());
        match path {
            Some(p) if item.organ_path.starts_with(&p) || p.starts_with(&item.organ_path) => {}
            _ => return Err(AppError::invalid("units", "所选承办单位不存在、已停用或不属于本机关")),
        }
    }
    let today = calendar::beijing_date(ctx.now);
    let on = today.format("%Y-%m-%d").to_string();
    for (u, role) in units {
        db::exec(
            c,
            "INSERT INTO handling_assignments (item_id, unit_id, role, round, state, assigned_on, assigned_at) \
             VALUES ($1, $2, $3, $4, 'active', $5, $6)",
            vec![
                item.id.into(),
                (*u).into(),
                role.as_str().into(),
                item.round.into(),
                on.clone().into(),
                ctx.now.into(),
            ],
        )
        .await?;
    }
    let deadline = due_date(ctx, today, due);
    db::exec(
        c,
        "UPDATE handling_items SET state = 'assigned', due_working_days = $1, updated_at = $2 WHERE id = $3",
        vec![i64::from(due).into(), ctx.now.into(), item.id.into()],
    )
    .await?;
    set_deadline(c, item.id, deadline, Some(&on)).await?;
    let names = unit_names(c, units).await?;
    // The submitter sees who handles it and by when; the 交办意见 is for the units only.
    let line =
        format!("交办{names}，办理期限 {due}{}（至 {}）。", ctx.policy.due_unit.label(), deadline.format("%Y-%m-%d"));
    record(c, ctx, item, Step::Assign, doer, Line::public(&line).note(instructions)).await?;
    let body = if instructions.is_empty() { line } else { format!("{line}交办意见：{instructions}") };
    for (u, role) in units {
        notify_unit(c, *u, item, &format!("新交办事项（{}）", role.label()), &body).await?;
    }
    Ok(())
}

/// The deadline `due` (in the kind's unit) after `today` (PLAT-10).
fn due_date(ctx: &Ctx<'_>, today: chrono::NaiveDate, due: u32) -> chrono::NaiveDate {
    match ctx.policy.due_unit {
        flow::DueUnit::WorkingDays => ctx.calendar.add_working_days(today, due),
        flow::DueUnit::CalendarMonths => ctx.calendar.add_months(today, due),
    }
}

/// A new round with the same units: 二次办理 (from 已办结 too, where the kind allows it: 回头看).
async fn reopen<C: ConnectionTrait>(c: &C, ctx: &Ctx<'_>, item: &Item, doer: &Doer<'_>, reason: &str) -> AppResult<()> {
    ctx.policy
        .next(item.state, Step::Reopen, doer.party)
        .map_err(|r| AppError::Conflict(r.message(Step::Reopen, item.state)))?;
    let round = item.round + 1;
    let today = calendar::beijing_date(ctx.now);
    let on = today.format("%Y-%m-%d").to_string();
    let previous = model::assignments(c, item.id).await?;
    let mut units: Vec<(i64, UnitRole)> = Vec::new();
    for a in previous.iter().filter(|a| a.round == item.round && a.state != AssignmentState::Returned) {
        if !units.iter().any(|(u, _)| *u == a.unit_id) {
            units.push((a.unit_id, a.role));
        }
    }
    if units.is_empty() {
        return Err(AppError::Conflict("上一轮没有承办单位，请重新交办".into()));
    }
    for (u, role) in &units {
        db::exec(
            c,
            "INSERT INTO handling_assignments (item_id, unit_id, role, round, state, assigned_on, assigned_at) \
             VALUES ($1, $2, $3, $4, 'active', $5, $6)",
            vec![item.id.into(), (*u).into(), role.as_str().into(), round.into(), on.clone().into(), ctx.now.into()],
        )
        .await?;
    }
    let due = item.due_working_days.map(|d| d as u32).unwrap_or(ctx.policy.default_due);
    let deadline = due_date(ctx, today, due);
    db::exec(
        c,
        "UPDATE handling_items SET state = 'rehandling', round = $1, replied_at = NULL, closed_at = NULL, updated_at = $2 \
         WHERE id = $3",
        vec![round.into(), ctx.now.into(), item.id.into()],
    )
    .await?;
    set_deadline(c, item.id, deadline, Some(&on)).await?;
    let body = format!("{reason}（第 {round} 轮，办理期限至 {}）", deadline.format("%Y-%m-%d"));
    event(c, ctx.now, item.id, round, Step::Reopen.as_str(), "", doer.party, doer.actor, None, true, &body, "").await?;
    for (u, _) in &units {
        notify_unit(c, *u, item, "事项转入二次办理", &body).await?;
    }
    Ok(())
}

async fn set_state<C: ConnectionTrait>(c: &C, item: &Item, to: State, now: i64) -> Result<(), DbErr> {
    db::exec(
        c,
        "UPDATE handling_items SET state = $1, updated_at = $2 WHERE id = $3",
        vec![to.as_str().into(), now.into(), item.id.into()],
    )
    .await?;
    Ok(())
}

async fn set_deadline<C: ConnectionTrait>(
    c: &C,
    item_id: i64,
    deadline: chrono::NaiveDate,
    assigned_on: Option<&str>,
) -> Result<(), DbErr> {
    db::exec(
        c,
        "UPDATE handling_items SET deadline = $1, deadline_at = $2, assigned_on = $3, warned_for = NULL, overdue_for = NULL \
         WHERE id = $4",
        vec![
            deadline.format("%Y-%m-%d").to_string().into(),
            calendar::deadline_end(deadline).into(),
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
async fn answering_left<C: ConnectionTrait>(c: &C, item: &Item) -> Result<bool, DbErr> {
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM handling_assignments WHERE item_id = $1 AND round = $2 AND role IN ('lead', 'separate') \
         AND state IN ('active', 'accepted')",
        vec![item.id.into(), item.round.into()],
    )
    .await?
        > 0)
}

async fn unit_names<C: ConnectionTrait>(c: &C, units: &[(i64, UnitRole)]) -> Result<String, DbErr> {
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

/// Asks a deputy to follow an item (督办首发工单): they see it from now on and get it in their
/// inbox. False when they already follow it.
#[allow(clippy::too_many_arguments)]
pub async fn follow<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    item: &Item,
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
    notify::inbox_all(c, &accounts, &format!("请您跟踪督办：{tracking_no}"), &body, Some(link)).await?;
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

/// Writes one history line.
/// A history line of the step being taken: shown to the submitter or not, with the kind
/// within the step and the unit it concerns.
struct Line<'a> {
    detail: &'a str,
    unit: Option<i64>,
    public: bool,
    body: &'a str,
    /// What stays internal whatever `public` says (交办意见).
    note: &'a str,
}

impl<'a> Line<'a> {
    /// Shown on `/track`.
    fn public(body: &'a str) -> Line<'a> {
        Line { detail: "", unit: None, public: true, body, note: "" }
    }
    /// For the handlers only.
    fn internal(body: &'a str) -> Line<'a> {
        Line { detail: "", unit: None, public: false, body, note: "" }
    }
    fn detail(self, detail: &'a str) -> Line<'a> {
        Line { detail, ..self }
    }
    fn unit(self, unit: Option<i64>) -> Line<'a> {
        Line { unit, ..self }
    }
    fn note(self, note: &'a str) -> Line<'a> {
        Line { note, ..self }
    }
}

/// Writes `line` into `item`'s history for the step `doer` takes now.
async fn record<C: ConnectionTrait>(
    c: &C,
    ctx: &Ctx<'_>,
    item: &Item,
    step: Step,
    doer: &Doer<'_>,
    line: Line<'_>,
) -> Result<(), DbErr> {
    event(
        c,
        ctx.now,
        item.id,
        item.round,
        step.as_str(),
        line.detail,
        doer.party,
        doer.actor,
        line.unit,
        line.public,
        line.body,
        line.note,
    )
    .await
}

/// One history row; `note` stays internal whatever `public` says.
#[allow(clippy::too_many_arguments)] // the columns of one history row
pub(crate) async fn event<C: ConnectionTrait>(
    c: &C,
    at: i64,
    item_id: i64,
    round: i64,
    step: &str,
    detail: &str,
    party: Party,
    actor: &Actor,
    unit_id: Option<i64>,
    public: bool,
    body: &str,
    note: &str,
) -> Result<(), DbErr> {
    db::exec(
        c,
        "INSERT INTO handling_events (item_id, at, step, detail, party, actor_id, actor_name, unit_id, public, body, round, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        vec![
            item_id.into(),
            at.into(),
            step.into(),
            detail.into(),
            format!("{party:?}").to_lowercase().into(),
            actor.account_id.into(),
            actor.name.clone().into(),
            unit_id.into(),
            public.into(),
            body.into(),
            round.into(),
            note.into(),
        ],
    )
    .await?;
    Ok(())
}

fn item_link(item: &Item) -> String {
    format!("/console/handling/{}", item.id)
}

/// Accounts that sign in for a unit.
async fn unit_accounts<C: ConnectionTrait>(c: &C, unit_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows =
        db::query_rows(c, "SELECT id FROM accounts WHERE unit_id = $1 AND disabled = false", vec![unit_id.into()])
            .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// Staff who handle the item: those of its organ, or, when that organ has none (a township
/// whose items the county's staff handle), of the nearest organ above it that has some.
async fn staff_accounts<C: ConnectionTrait>(c: &C, item: &Item) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.id, o.path FROM accounts a JOIN account_roles r ON r.account_id = a.id JOIN organs o ON o.id = a.organ_id \
         WHERE r.role = 'staff' AND a.disabled = false AND $1 LIKE o.path || '%' ORDER BY length(o.path) DESC, a.id",
        vec![item.organ_path.clone().into()],
    )
    .await?;
    let mut out = Vec::new();
    let mut deepest: Option<String> = None;
    for r in &rows {
        let (id, path) = (r.try_get_by_index::<i64>(0)?, r.try_get_by_index::<String>(1)?);
        if deepest.as_ref().is_some_and(|d| *d != path) {
            break;
        }
        deepest = Some(path);
        out.push(id);
    }
    Ok(out)
}

pub(crate) async fn notify_unit<C: ConnectionTrait>(
    c: &C,
    unit_id: i64,
    item: &Item,
    title: &str,
    body: &str,
) -> Result<(), DbErr> {
    let link = item_link(item);
    notify::inbox_all(c, &unit_accounts(c, unit_id).await?, title, body, Some(&link)).await
}

pub(crate) async fn notify_staff<C: ConnectionTrait>(c: &C, item: &Item, title: &str, body: &str) -> Result<(), DbErr> {
    let link = item_link(item);
    notify::inbox_all(c, &staff_accounts(c, item).await?, title, body, Some(&link)).await
}

/// Makes the items merged into `primary` follow it: its state, round, deadline and times (the
/// deadline scan and the lists then count each submitter's item where the primary is).
pub(crate) async fn follow_primary<C: ConnectionTrait>(c: &C, primary: &Item) -> Result<(), DbErr> {
    let fresh = model::item(c, primary.id).await?.unwrap_or_else(|| primary.clone());
    db::exec(
        c,
        "UPDATE handling_items SET state = $1, round = $2, deadline = $3, deadline_at = $4, replied_at = $5, \
         closed_at = $6, flagged = $7, updated_at = $8 \
         WHERE id IN (SELECT item_id FROM handling_merges WHERE into_item_id = $9)",
        vec![
            fresh.state.as_str().into(),
            fresh.round.into(),
            fresh.deadline.clone().into(),
            fresh.deadline_at.into(),
            fresh.replied_at.into(),
            fresh.closed_at.into(),
            fresh.flagged.into(),
            db::now().into(),
            fresh.id.into(),
        ],
    )
    .await?;
    Ok(())
}
