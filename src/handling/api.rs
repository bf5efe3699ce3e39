//! The loop's API kit, one for every kind: the JSON body of a step and its parser into a typed
//! `Command`, the step names a kind's URL accepts (the same table its detail's `steps` lists),
//! the answer of a step, and the loop part of an item's detail (round, deadline, units, replies,
//! ratings, contacts, history, the steps the caller may take). A module adds its own columns
//! around `LoopDetail` (`#[serde(flatten)]`) and routes `POST …/{id}/{step}` through `parse`.

use serde::{Deserialize, Serialize};

use super::flow::{Aspect, ContactWay, Grade, Outcome, Rule, State, Step, Supervision, UnitRole};
use super::model::{Item, Rater};
use super::service::{Applied, Command};
use crate::app::error::{AppError, AppResult};
use crate::app::openapi::one_of;
use crate::app::state::AppState;
use crate::auth::Principal;

/// A unit of a 交办.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitIn {
    pub unit_id: i64,
    #[schemars(with = "UnitRole")]
    pub role: String,
}

/// The body of a step (fields as the step needs them).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepIn {
    /// assign: `[{unit_id, role: lead|assist|separate}]`
    #[serde(default)]
    pub units: Vec<UnitIn>,
    /// assign: the time the units have, in the kind's unit (working days for an opinion,
    /// months for a suggestion); the kind's default when left out.
    pub due_working_days: Option<u32>,
    /// follow (跟踪办理): an optional deadline for the further reply, in the kind's unit.
    pub due: Option<u32>,
    /// reply, answer, progress, contact, assist opinion, reject (reason), return (reason),
    /// close (explanation), reopen and follow (reason), supervise.
    #[serde(default)]
    pub text: String,
    /// reply: the result.
    #[schemars(with = "Option<Outcome>")]
    pub result: Option<String>,
    /// extension / decide-extension: how long, in the kind's unit.
    pub days: Option<u32>,
    /// decide-extension: the unit and the decision; rate: the unit rated, where the kind
    /// rates each unit.
    pub unit_id: Option<i64>,
    pub approve: Option<bool>,
    /// rate (deputy): the grade, and the aspect where the kind rates two.
    #[schemars(with = "Option<Grade>")]
    pub grade: Option<String>,
    #[schemars(with = "Option<Aspect>")]
    pub aspect: Option<String>,
    /// supervise: the kind.
    #[schemars(with = "Option<Supervision>")]
    pub kind: Option<String>,
    /// contact: how (meeting, phone, forum, visit) and on which day (YYYY-MM-DD, not later
    /// than today; today when left out).
    #[schemars(with = "Option<ContactWay>")]
    pub way: Option<String>,
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub on: Option<String>,
    /// merge (并案): the record (id) this one is merged into.
    pub into: Option<i64>,
    /// hand-to-deputy: the deputy (person id); `text` is an optional note.
    pub deputy_id: Option<i64>,
    /// publish (码上公开): the public title, text and reply; any left out is the record's
    /// own, masked. Personal data is masked in all three whatever is sent.
    pub title: Option<String>,
    pub content: Option<String>,
    pub reply: Option<String>,
}

/// A code field: what it is called on the form, and the codes the API takes.
fn parsed<T>(field: &str, what: &str, v: Option<&str>, parse: fn(&str) -> Option<T>, codes: &[&str]) -> AppResult<T> {
    v.and_then(parse).ok_or_else(|| AppError::invalid(field, format!("请选择{what}（{field}：{}）", codes.join("、"))))
}

fn codes<T: Copy>(all: &[T], code: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|x| code(*x)).collect()
}

/// The typed command of `step` from its JSON body.
pub fn parse(step: Step, b: StepIn) -> AppResult<Command> {
    let t = b.text.trim().to_string();
    Ok(match step {
        Step::Release => Command::Release,
        Step::Reject => Command::Reject { reason: t },
        Step::AnswerDirectly => Command::AnswerDirectly { text: t },
        Step::Assign => Command::Assign {
            units: b
                .units
                .iter()
                .map(|u| {
                    UnitRole::parse(&u.role).map(|r| (u.unit_id, r)).ok_or_else(|| {
                        AppError::invalid("units", "承办方式应为主办、协办或分办（lead、assist、separate）")
                    })
                })
                .collect::<AppResult<_>>()?,
            due_working_days: b.due_working_days,
            instructions: t,
        },
        Step::Accept => Command::Accept,
        Step::Return => Command::Return { reason: t },
        Step::Progress => Command::Progress { text: t },
        Step::RequestExtension => Command::RequestExtension {
            days: b.days.ok_or_else(|| AppError::invalid("days", "请给出延期多久"))?,
            reason: t,
        },
        Step::DecideExtension => Command::DecideExtension {
            unit_id: b.unit_id.ok_or_else(|| AppError::invalid("unit_id", "请给出承办单位"))?,
            approve: b.approve.ok_or_else(|| AppError::invalid("approve", "请给出是否同意"))?,
            days: b.days.unwrap_or(0),
            note: t,
        },
        Step::Reply => Command::Reply {
            outcome: parsed(
                "result",
                "办理结果",
                b.result.as_deref(),
                Outcome::parse,
                &codes(&Outcome::ALL, Outcome::as_str),
            )?,
            text: t,
        },
        Step::Rate => Command::Rate {
            rater: Rater::Deputy,
            grade: parsed("grade", "满意程度", b.grade.as_deref(), Grade::parse, &codes(&Grade::ALL, Grade::as_str))?,
            comment: t,
            aspect: match b.aspect.as_deref() {
                None => Aspect::Overall,
                v => parsed("aspect", "评价项目", v, Aspect::parse, &codes(&Aspect::ALL, Aspect::as_str))?,
            },
            unit_id: b.unit_id,
        },
        Step::Reopen => Command::Reopen { reason: t },
        Step::Close => Command::Close { explanation: t },
        Step::Supervise => Command::Supervise {
            kind: parsed(
                "kind",
                "督办方式",
                b.kind.as_deref(),
                Supervision::parse,
                &codes(&Supervision::ALL, Supervision::as_str),
            )?,
            text: t,
        },
        Step::Merge => {
            Command::Merge { into: b.into.ok_or_else(|| AppError::invalid("into", "请给出要并入的事项 id"))? }
        }
        Step::RequestAssign => Command::RequestAssign { text: t },
        Step::HandToDeputy => Command::HandToDeputy {
            deputy_id: b.deputy_id.ok_or_else(|| AppError::invalid("deputy_id", "请给出代表 id"))?,
            note: t,
        },
        Step::Contact => Command::Contact {
            way: parsed(
                "way",
                "沟通方式",
                b.way.as_deref(),
                ContactWay::parse,
                &codes(&ContactWay::ALL, ContactWay::as_str),
            )?,
            on: match b.on.as_deref() {
                None => None,
                Some(d) => Some(
                    crate::app::fmt::parse_iso_date(d)
                        .ok_or_else(|| AppError::invalid("on", "日期格式应为 YYYY-MM-DD"))?,
                ),
            },
            text: t,
        },
        Step::AssistOpinion => Command::AssistOpinion { text: t },
        Step::Follow => Command::Follow { reason: t, due: b.due },
        Step::DeadlineNotice => return Err(AppError::NotFound),
    })
}

/// The names a kind's step URL accepts: every step of its table that people take (by
/// `Step::as_str`, which is how the detail's `steps` lists them), then the kind's own aliases.
pub struct StepNames {
    pub rules: &'static [Rule],
    /// Other names of steps (older names, or a module's words: `contacts` for `contact`).
    pub aliases: &'static [(&'static str, Step)],
    /// Names the module's step route serves itself (码上公开's publish, unpublish).
    pub extra: &'static [&'static str],
}

impl StepNames {
    fn in_table(&self, s: Step) -> bool {
        s != Step::DeadlineNotice && self.rules.iter().any(|r| r.step == s)
    }
    /// The step a name stands for.
    pub fn step(&self, name: &str) -> Option<Step> {
        Step::ALL
            .into_iter()
            .filter(|s| self.in_table(*s))
            .find(|s| s.as_str() == name)
            .or_else(|| self.aliases.iter().find(|(n, _)| *n == name).map(|(_, s)| *s))
    }
    /// Every name the URL accepts, for the document's `{step}` enum.
    pub fn all(&self) -> Vec<&'static str> {
        Step::ALL
            .into_iter()
            .filter(|s| self.in_table(*s))
            .map(Step::as_str)
            .chain(self.aliases.iter().map(|(n, _)| *n))
            .chain(self.extra.iter().copied())
            .collect()
    }
    /// The `{step}` parameter's schema.
    pub fn schema(&self) -> serde_json::Value {
        one_of(self.all())
    }
}

/// The answer of a step.
#[derive(Serialize, schemars::JsonSchema)]
pub struct StepOut {
    /// The state after the step.
    #[schemars(with = "State")]
    pub state: String,
    /// A 不满意 opened the next round by itself.
    pub reopened: bool,
}

impl From<Applied> for StepOut {
    fn from(a: Applied) -> Self {
        StepOut { state: a.to.as_str().into(), reopened: a.reopened }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct AssignmentOut {
    pub unit_id: i64,
    pub unit: String,
    /// `lead|assist|separate`
    pub role: String,
    pub round: i64,
    /// `active|accepted|replied|returned|lapsed`
    pub state: String,
    /// A 协办 unit's own deadline to the 主办 (YYYY-MM-DD), where the kind has one.
    pub deadline: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ReplyOut {
    pub unit: String,
    pub round: i64,
    /// `resolved|in_progress|planned|cannot_resolve`
    pub result: String,
    pub text: String,
    pub at: i64,
}

impl From<&super::model::Reply> for ReplyOut {
    fn from(r: &super::model::Reply) -> Self {
        ReplyOut {
            unit: r.unit_name.clone(),
            round: r.round,
            result: r.outcome.as_str().into(),
            text: r.body.clone(),
            at: r.at,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct RatingOut {
    pub round: i64,
    /// `submitter|deputy`
    pub rater: String,
    pub grade: String,
    pub comment: String,
    /// `overall|reply|result`
    pub aspect: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ContactOut {
    pub unit: String,
    pub round: i64,
    /// `meeting|phone|forum|visit`
    pub way: String,
    pub on: String,
    pub text: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct HistoryLine {
    pub at: i64,
    pub step: String,
    pub label: String,
    pub actor: String,
    pub unit: Option<String>,
    pub public: bool,
    pub text: String,
    pub round: i64,
}

/// The loop part of an item's detail, the same for every kind.
#[derive(Serialize, schemars::JsonSchema)]
pub struct LoopDetail {
    pub round: i64,
    pub assignments: Vec<AssignmentOut>,
    pub replies: Vec<ReplyOut>,
    pub ratings: Vec<RatingOut>,
    pub contacts: Vec<ContactOut>,
    /// A unit recorded a contact before each reply of the current round (false when a reply
    /// came without one, or no reply yet).
    pub contact_recorded: bool,
    pub history: Vec<HistoryLine>,
    /// The steps the caller may take now (each a name the step URL accepts).
    pub steps: Vec<String>,
}

/// The loop part of the detail of `item` as `p` sees it (the caller has checked that they may).
pub async fn detail(s: &AppState, p: &Principal, item: &Item, names: &StepNames) -> AppResult<LoopDetail> {
    let lp = super::pages::loop_view(s, p, item).await?;
    let contacts = super::model::contacts(&s.db, item.id).await?;
    let current: Vec<&super::model::Reply> = lp.replies.iter().filter(|r| r.round == item.round).collect();
    Ok(LoopDetail {
        round: item.round,
        assignments: lp
            .assignments
            .iter()
            .map(|a| AssignmentOut {
                unit_id: a.unit_id,
                unit: a.unit_name.clone(),
                role: a.role.as_str().into(),
                round: a.round,
                state: a.state.as_str().into(),
                deadline: a.deadline.clone(),
            })
            .collect(),
        replies: lp.replies.iter().map(ReplyOut::from).collect(),
        ratings: lp
            .ratings
            .iter()
            .map(|r| RatingOut {
                round: r.round,
                rater: r.rater.as_str().into(),
                grade: r.grade.as_str().into(),
                comment: r.comment.clone(),
                aspect: r.aspect.as_str().into(),
            })
            .collect(),
        contact_recorded: !current.is_empty() && current.iter().all(|r| r.contacted),
        contacts: contacts
            .iter()
            .map(|k| ContactOut {
                unit: k.unit_name.clone(),
                round: k.round,
                way: k.way.clone(),
                on: k.contacted_on.clone(),
                text: k.body.clone(),
            })
            .collect(),
        history: lp
            .events
            .iter()
            .map(|e| HistoryLine {
                at: e.at,
                step: e.step.clone(),
                label: e.label(),
                actor: e.actor_name.clone(),
                unit: e.unit_name.clone(),
                public: e.public,
                text: e.body.clone(),
                round: e.round,
            })
            .collect(),
        // Only names the step URL accepts (the same table).
        steps: lp.steps.iter().filter(|n| names.step(n).is_some()).map(|n| n.to_string()).collect(),
    })
}
