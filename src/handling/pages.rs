//! The loop's console parts, shared by every module: the panel an item page embeds
//! (`LoopView` + `templates/handling/loop.html`: units, replies, ratings, history and the
//! forms of the steps the viewer may take), and the one route every step form posts to.

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::flow::{ContactWay, Grade, Phase, State as ItemState, Step, Supervision, UnitRole};
use super::model::{self, Assignment, AssignmentState, Contact, Event, Item, Rating, Reply};
use super::service::Command;
use super::step_body::{StepIn, UnitIn};
use super::{act, party_for, visible_item};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Form, PathId};
use crate::app::forms::{Opt, opts};
use crate::app::middleware::redirect_with_flash;
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::Principal;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/handling/{id}", get(open_item))
        .route("/console/handling/{id}/step", post(step))
        .route("/console/handling/{id}/progress", post(progress_with_file))
}

/// A unit the assign form offers.
pub struct UnitChoice {
    pub id: i64,
    pub name: String,
}

/// What an item page shows of the loop, for one viewer.
pub struct LoopView {
    pub item_id: i64,
    pub state: ItemState,
    pub round: i64,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub flagged: bool,
    pub assignments: Vec<Assignment>,
    pub replies: Vec<Reply>,
    pub ratings: Vec<Rating>,
    pub events: Vec<Event>,
    /// The steps the viewer may take now, by their API name.
    pub steps: Vec<&'static str>,
    pub units: Vec<UnitChoice>,
    pub outcomes: Vec<Opt>,
    pub grades: Vec<Opt>,
    /// 沟通联系: the ways, and the contacts recorded.
    pub ways: Vec<Opt>,
    pub contacts: Vec<Contact>,
    pub supervisions: Vec<Opt>,
    pub roles: Vec<Opt>,
    /// Units with a pending extension request (for the decision form).
    pub extension_requests: Vec<Assignment>,
    pub default_due: u32,
    /// The item's kind's loop and words.
    pub policy: super::flow::Policy,
    /// The caller is a 协办 unit of the current round (offered 协办意见, not 答复).
    pub assisting: bool,
    /// The unit the module suggests as 主办 (pre-selected in the assign form).
    pub suggested_unit: Option<i64>,
    /// 并案: the item this one follows, and those that follow this one.
    pub merged_into: Option<i64>,
    pub merged_here: Vec<i64>,
    /// The deputies of the item's station, for 转交代表.
    pub deputies: Vec<UnitChoice>,
    /// Files attached to progress notes (id, name).
    pub files: Vec<UnitChoice>,
    /// The viewer's unit: it uploads the signed letter of its own replies (`letters`).
    pub letter_unit: Option<i64>,
    /// Where the kind records phases: 方案 → 措施 → 成效, each with its notes (SUG-6).
    pub phases: Vec<PhaseView>,
    pub phase_options: Vec<Opt>,
    /// The deadline runs through a year whose holiday schedule is provisional (PLAT-10): 暂定.
    pub deadline_provisional: bool,
    /// The 交办 form's warning: a deadline it sets may run into a provisional year.
    pub assign_warning: Option<String>,
}

/// One phase of the handling record and the progress notes written in it, oldest first.
pub struct PhaseView {
    pub phase: Phase,
    pub notes: Vec<Event>,
}

impl PhaseView {
    pub fn heading(&self) -> &'static str {
        self.phase.heading()
    }
    pub fn code(&self) -> &'static str {
        self.phase.as_str()
    }
    pub fn reached(&self) -> bool {
        !self.notes.is_empty()
    }
}

impl LoopView {
    pub fn can(&self, step: &str) -> bool {
        self.steps.contains(&step)
    }
    /// Who will read the text typed with `step` (the label under its field), in the kind's words.
    pub fn seen_by(&self, step: &str) -> String {
        let step = Step::ALL.into_iter().find(|s| s.as_str() == step).unwrap_or(Step::Progress);
        self.policy.seen_by(step)
    }
    /// The aspects the kind rates, for the rating form.
    pub fn aspect_options(&self) -> Vec<Opt> {
        opts(self.policy.aspects.iter().map(|a| (a.as_str(), a.label())), "")
    }
    /// The unit of the assign form's time field (个工作日, 个月).
    pub fn due_unit(&self) -> &'static str {
        self.policy.due_unit.label()
    }
    /// How the deadline was counted (PLAT-10).
    pub fn deadline_rule(&self) -> &'static str {
        match self.policy.due_unit {
            super::flow::DueUnit::WorkingDays => "按工作日计算",
            super::flow::DueUnit::CalendarMonths => "按月计算，遇节假日顺延",
        }
    }
    /// A reply's result in the kind's words.
    pub fn outcome_label(&self, o: &super::flow::Outcome) -> &'static str {
        self.policy.outcome_label(*o)
    }
    pub fn state_label(&self) -> &'static str {
        self.state.label()
    }
    pub fn state_colour(&self) -> &'static str {
        self.state.colour()
    }
    pub fn suggested(&self, unit: &i64, slot: &usize) -> bool {
        *slot == 0 && self.suggested_unit == Some(*unit)
    }
    /// The viewer is the unit that made this reply (it uploads the signed letter).
    pub fn letter_by(&self, r: &Reply) -> bool {
        self.letter_unit == Some(r.unit_id)
    }
    pub fn current(&self) -> Vec<&Assignment> {
        self.assignments.iter().filter(|a| a.round == self.round).collect()
    }
    /// The assignments of this round still at work (what 撤回 and 改派 act on).
    pub fn live(&self) -> Vec<&Assignment> {
        self.assignments.iter().filter(|a| a.round == self.round && a.state.live()).collect()
    }
}

/// Builds the panel for `p`.
pub async fn loop_view(s: &AppState, p: &Principal, item: &Item) -> AppResult<LoopView> {
    let live = model::live_units(&s.db, item.id).await?;
    let merged_into = model::merged_into(&s.db, item.id).await?;
    let policy = super::policy_of(s, &item.kind);
    let signers = model::signers(&s.db, item.id).await?;
    let assignments = model::assignments(&s.db, item.id).await?;
    // 签收 before 答复 (the organ's rule): a unit that has not signed is not offered the reply.
    let unsigned = p.unit_id.filter(|_| p.has(crate::auth::Role::Unit)).is_some_and(|u| {
        assignments.iter().any(|a| a.round == item.round && a.unit_id == u && a.state == AssignmentState::Active)
    });
    let must_sign = unsigned && super::service::must_accept_first(&s.db, item, &policy).await?;
    // A deputy does not rate the direct answer they made themself.
    let own_answer = match p.deputy_id.filter(|_| p.has(crate::auth::Role::Deputy)) {
        Some(d) if item.state == ItemState::AnsweredDirectly => model::answered_by_deputy(&s.db, item, d).await?,
        _ => false,
    };
    let steps = Step::ALL
        .into_iter()
        .filter(|_| merged_into.is_none())
        .filter(|st| {
            party_for(p, item, &live, &signers, *st).is_ok_and(|(party, _)| policy.next(item.state, *st, party).is_ok())
        })
        .filter(|st| *st != Step::Rate || item.deputy_id.is_some() || !signers.is_empty())
        .filter(|st| !(*st == Step::Reply && must_sign))
        .filter(|st| !(*st == Step::Rate && own_answer))
        .map(|st| st.as_str())
        .collect::<Vec<_>>();
    let assisting = p.unit_id.is_some_and(|u| {
        assignments
            .iter()
            .any(|a| a.round == item.round && a.unit_id == u && a.state.live() && a.role == UnitRole::Assist)
    });
    let extension_requests = assignments
        .iter()
        .filter(|a| a.round == item.round && a.state.live() && a.extension_days.is_some())
        .cloned()
        .collect();
    let units = if steps.contains(&"assign") || steps.contains(&"reassign") {
        crate::db::query_rows(
            &s.db,
            "SELECT u.id, u.name FROM handling_units u JOIN organs o ON o.id = u.organ_id \
             WHERE u.active = true AND (o.path = substr($1, 1, length(o.path)) OR o.path LIKE $2) ORDER BY u.name LIMIT 500",
            vec![item.organ_path.clone().into(), format!("{}%", crate::db::like_escape(&item.organ_path)).into()],
        )
        .await?
        .iter()
        .filter_map(|r| Some(UnitChoice { id: r.try_get_by_index(0).ok()?, name: r.try_get_by_index(1).ok()? }))
        .collect()
    } else {
        Vec::new()
    };
    // 转交代表 offers the deputy it was raised with (registered at the station or not) first,
    // then the station's deputies.
    let deputies = if steps.contains(&"hand_to_deputy") {
        let raised = model::raised_with(&s.db, item).await?.unwrap_or(0);
        crate::db::query_rows(
            &s.db,
            "SELECT p.id, p.name FROM persons p WHERE p.id = $2 \
             OR p.id IN (SELECT person_id FROM station_deputies WHERE station_id = $1) \
             ORDER BY CASE WHEN p.id = $2 THEN 0 ELSE 1 END, p.name LIMIT 200",
            vec![item.station_id.unwrap_or(0).into(), raised.into()],
        )
        .await?
        .iter()
        .filter_map(|r| {
            let (id, name): (i64, String) = (r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?);
            let name = if id == raised { format!("{name}（留言对象）") } else { name };
            Some(UnitChoice { id, name })
        })
        .collect()
    } else {
        Vec::new()
    };
    let files = crate::db::query_rows(
        &s.db,
        "SELECT id, file_name FROM attachments WHERE owner_type = $1 AND owner_id = $2 ORDER BY id",
        vec![FILE_OWNER.into(), item.id.to_string().into()],
    )
    .await?
    .iter()
    .filter_map(|r| Some(UnitChoice { id: r.try_get_by_index(0).ok()?, name: r.try_get_by_index(1).ok()? }))
    .collect();
    let events = model::events(&s.db, item.id, false).await?;
    let phases = if policy.phases {
        Phase::ALL
            .into_iter()
            .map(|phase| PhaseView {
                phase,
                notes: events
                    .iter()
                    .filter(|e| e.step == "progress" && e.phase.as_deref() == Some(phase.as_str()))
                    .cloned()
                    .collect(),
            })
            .collect()
    } else {
        Vec::new()
    };
    // The form offers the phase the caller's unit is in, or the next.
    let mine = |ph: Phase| {
        events.iter().any(|e| {
            e.step == "progress"
                && e.phase.as_deref() == Some(ph.as_str())
                && p.unit_id.is_some()
                && e.unit_id == p.unit_id
        })
    };
    let reached = Phase::ALL.into_iter().rev().find(|ph| mine(*ph));
    let next = match reached {
        None => Phase::Plan,
        Some(Phase::Plan) => Phase::Measures,
        Some(_) => Phase::Results,
    };
    let phase_options = if policy.phases {
        opts(
            Phase::ALL.into_iter().filter(|ph| ph.after().is_none_or(mine)).map(|ph| (ph.as_str(), ph.label())),
            next.as_str(),
        )
    } else {
        Vec::new()
    };
    let calendar = crate::calendar::load(&s.db).await?;
    let deadline_provisional = match (
        item.assigned_on.as_deref().and_then(crate::calendar::parse_date),
        item.deadline.as_deref().and_then(crate::calendar::parse_date),
    ) {
        (Some(from), Some(to)) => calendar.provisional_between(from, to).is_some(),
        _ => false,
    };
    let assign_warning = if steps.contains(&"assign") {
        let today = crate::calendar::beijing_date(crate::db::now());
        let furthest = match policy.due_unit {
            super::flow::DueUnit::WorkingDays => calendar.add_working_days(today, policy.max_due),
            super::flow::DueUnit::CalendarMonths => calendar.add_months(today, policy.max_due),
        };
        calendar.provisional_between(today, furthest).map(|y| {
            format!(
                "{y} 年的节假日安排尚未录入：期限跨入 {y} 年的，暂按法定节日计算（不含调休），显示「暂定」；录入正式安排后自动重算并记入办理记录。"
            )
        })
    } else {
        None
    };
    Ok(LoopView {
        deadline_provisional,
        assign_warning,
        phases,
        phase_options,
        letter_unit: p.unit_id.filter(|_| p.has(crate::auth::Role::Unit)),
        files,
        merged_into,
        merged_here: model::merged_here(&s.db, item.id).await?,
        deputies,
        item_id: item.id,
        state: item.state,
        round: item.round,
        deadline: item.deadline.clone(),
        overdue: item.overdue(crate::db::now()),
        flagged: item.flagged,
        replies: model::replies(&s.db, item.id).await?,
        ratings: model::ratings(&s.db, item.id).await?,
        events,
        steps,
        units,
        outcomes: opts(policy.outcomes.iter().map(|o| (o.as_str(), policy.outcome_label(*o))), ""),
        ways: opts(ContactWay::ALL.map(|w| (w.as_str(), w.label())), "phone"),
        contacts: model::contacts(&s.db, item.id).await?,
        grades: opts(Grade::ALL.map(|g| (g.as_str(), g.label())), ""),
        supervisions: opts(Supervision::ALL.map(|k| (k.as_str(), k.label())), ""),
        roles: opts(UnitRole::ALL.map(|r| (r.as_str(), r.label())), "lead"),
        extension_requests,
        assignments,
        default_due: policy.default_due,
        assisting,
        policy,
        suggested_unit: None,
    })
}

async fn open_item(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (item, _) = visible_item(&s, &p, &ip, id).await?;
    Ok(Redirect::to(&super::page_of(&s, &item)).into_response())
}

/// Every step form posts here: `step` names the step, the other fields are what it needs.
#[derive(Default, Deserialize)]
pub struct StepForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub step: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub outcome: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub grade: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub days: String,
    /// merge: the item to merge into.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub into: String,
    /// hand_to_deputy: the deputy (person id).
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub deputy_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub decision: String,
    /// rate: the aspect rated, where the kind rates aspects.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub aspect: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub unit_id: String,
    /// reassign: the unit that takes the assignment over.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub to_unit_id: String,
    /// Repeated: the unit ids chosen in the assign form, with `role_{id}` alongside.
    #[serde(default)]
    pub unit: Vec<String>,
    #[serde(default)]
    pub role: Vec<String>,
    /// contact: how and on which day.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub way: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub on: String,
    /// progress: the phase, where the kind records phases.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phase: String,
}

fn number(field: &str, v: &str) -> AppResult<u32> {
    v.trim().parse::<u32>().map_err(|_| AppError::invalid(field, "请填写整数"))
}

impl StepForm {
    /// The typed command, or the field that is wrong: the form's fields read into the API's
    /// step body, then the one parser (`api::parse`).
    pub fn command(&self) -> AppResult<Command> {
        let step = Step::ALL
            .into_iter()
            .filter(|s| *s != Step::DeadlineNotice)
            .find(|s| s.as_str() == self.step)
            .ok_or_else(|| AppError::BadRequest("未知的办理步骤".into()))?;
        let opt = |v: &str| Some(v.to_string()).filter(|v| !v.is_empty());
        let days = |field: &str| if self.days.is_empty() { Ok(None) } else { number(field, &self.days).map(Some) };
        // `unit` and `role` are parallel lists: unit i has role i.
        let mut units = Vec::new();
        for (i, u) in self.unit.iter().enumerate().filter(|(_, u)| !u.trim().is_empty()) {
            let unit_id = u.trim().parse::<i64>().map_err(|_| AppError::invalid("units", "承办单位无效"))?;
            units.push(UnitIn { unit_id, role: self.role.get(i).map(|r| r.trim()).unwrap_or("lead").to_string() });
        }
        let id = |field: &str, v: &str, what: &str| -> AppResult<Option<i64>> {
            if v.is_empty() {
                Ok(None)
            } else {
                v.parse().map(Some).map_err(|_| AppError::invalid(field, what.to_string()))
            }
        };
        let body = StepIn {
            units,
            due_working_days: if step == Step::Assign { days("due_working_days")? } else { None },
            due: if step == Step::Follow { days("due")? } else { None },
            text: self.text.trim().to_string(),
            result: opt(&self.outcome),
            days: match (step, self.decision.as_str()) {
                (Step::DecideExtension, "refuse") => Some(0),
                (Step::RequestExtension | Step::DecideExtension, _) => Some(number("days", &self.days)?),
                _ => None,
            },
            unit_id: id("unit_id", &self.unit_id, "承办单位无效")?,
            to_unit_id: id("to_unit_id", &self.to_unit_id, "承办单位无效")?,
            approve: match self.decision.as_str() {
                "approve" => Some(true),
                "refuse" => Some(false),
                _ if step == Step::DecideExtension => return Err(AppError::invalid("decision", "请选择同意或不同意")),
                _ => None,
            },
            grade: opt(&self.grade),
            aspect: opt(&self.aspect),
            kind: opt(&self.kind),
            way: opt(&self.way),
            on: opt(&self.on),
            phase: opt(&self.phase),
            into: id("into", &self.into, "请选择要并入的事项")?,
            deputy_id: id("deputy_id", &self.deputy_id, "请选择代表")?,
            ..StepIn::default()
        };
        super::step_body::parse(step, body)
    }
}

async fn step(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<StepForm>) -> AppResult<Response> {
    let cmd = f.command()?;
    let label = cmd.step().label();
    let applied = act(&s, &p, &ip, id, cmd).await?;
    let message = if applied.reopened {
        format!("已{label}；不满意，已自动转入二次办理")
    } else {
        format!("已{label}，事项现为「{}」", applied.to.label())
    };
    // A unit that returned an item no longer sees it: back to its console, not to a 404.
    let to = match visible_item(&s, &p, &ip, id).await {
        Ok((item, _)) => super::page_of(&s, &item),
        Err(AppError::NotFound | AppError::Forbidden(_)) => "/console".to_string(),
        Err(e) => return Err(e),
    };
    Ok(redirect_with_flash(&to, &message))
}

/// Files a unit may attach to a progress note: photos and PDF documents.
pub const NOTE_FILES: &[&str] = &["image/jpeg", "image/png", "application/pdf"];
/// `attachments.owner_type` of the files of an item's history.
pub const FILE_OWNER: &str = "handling_item";

/// 办理进展 with an optional file (a photo of the repaired road, a signed document): the file
/// is checked by content and size first, then the note is the step, then the file is stored
/// for the item (seen by whoever may see the item).
async fn progress_with_file(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    upload: crate::app::extract::UploadedFile,
) -> AppResult<Response> {
    let mut text = upload.field("text").to_string();
    let phase = Some(upload.field("phase").trim().to_string()).filter(|v| !v.is_empty());
    let file = crate::attachments::Upload { file_name: &upload.name, bytes: &upload.bytes };
    let prepared = if upload.bytes.is_empty() {
        None
    } else {
        let f = crate::attachments::prepare(&file, NOTE_FILES, s.config.attachments_max_bytes).await?;
        text = format!("{text}\n附件：{}", f.file_name()).trim().to_string();
        Some(f)
    };
    let cmd = super::step_body::parse(Step::Progress, StepIn { text, phase, ..StepIn::default() })?;
    act(&s, &p, &ip, id, cmd).await?;
    let (item, _) = visible_item(&s, &p, &ip, id).await?;
    if let Some(file) = prepared {
        let storage = s.storage.clone();
        write(&s, &p, &ip, async |w| {
            crate::attachments::attach(
                w.txn(),
                storage.as_ref(),
                w.key(),
                w.actor(),
                item.organ_id,
                (FILE_OWNER, item.id),
                &file,
            )
            .await
        })
        .await?;
    }
    Ok(redirect_with_flash(&super::page_of(&s, &item), "已保存办理进展"))
}

/// The party names of the loop, for templates that show who did what.
pub fn party_label(party: &str) -> &'static str {
    match party {
        "staff" => "人大机关",
        "leader" => "领导",
        "unit" => "承办单位",
        "submitter" => "反映人",
        "deputy" => "代表",
        "system" => "系统",
        _ => "",
    }
}
