//! The body of a step, one shape for every kind and every channel (the API's JSON, the
//! console's form read into it), and its one parser into a typed `Command`.

use serde::Deserialize;

use super::flow::{Aspect, ContactWay, Grade, Outcome, Phase, Step, Supervision, UnitRole};
use super::model::Rater;
use super::service::Command;
use crate::app::error::{AppError, AppResult};

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
    /// close (explanation), reopen and follow (reason), supervise, withdraw and reassign
    /// (reason, required).
    #[serde(default)]
    pub text: String,
    /// reply: the result.
    #[schemars(with = "Option<Outcome>")]
    pub result: Option<String>,
    /// extension / decide-extension: how long, in the kind's unit.
    pub days: Option<u32>,
    /// decide-extension: the unit and the decision; rate: the unit rated, where the kind
    /// rates each unit; withdraw (撤回交办) and reassign (改派): the unit whose assignment is
    /// taken back or moved.
    pub unit_id: Option<i64>,
    /// reassign (改派): the unit that takes the assignment over (same role, fresh deadline).
    pub to_unit_id: Option<i64>,
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
    /// progress: the phase (plan 方案, measures 措施, results 成效), where the kind records its
    /// handling in phases (a 代表建议); refused where it does not.
    #[schemars(with = "Option<Phase>")]
    pub phase: Option<String>,
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
        Step::Progress => Command::Progress {
            text: t,
            phase: match b.phase.as_deref() {
                None => None,
                v => Some(parsed("phase", "办理阶段", v, Phase::parse, &codes(&Phase::ALL, Phase::as_str))?),
            },
        },
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
        Step::Withdraw => Command::Withdraw {
            unit_id: b.unit_id.ok_or_else(|| AppError::invalid("unit_id", "请选择要撤回交办的承办单位"))?,
            reason: t,
        },
        Step::Reassign => Command::Reassign {
            unit_id: b.unit_id.ok_or_else(|| AppError::invalid("unit_id", "请选择要改派的原承办单位"))?,
            to_unit_id: b.to_unit_id.ok_or_else(|| AppError::invalid("to_unit_id", "请选择改派给哪个承办单位"))?,
            reason: t,
        },
        Step::DeadlineNotice => return Err(AppError::NotFound),
    })
}
