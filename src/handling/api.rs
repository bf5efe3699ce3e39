//! The loop's API kit, one for every kind: the JSON body of a step and its parser into a typed
//! `Command`, the step names a kind's URL accepts (the same table its detail's `steps` lists),
//! the answer of a step, and the loop part of an item's detail (round, deadline, units, replies,
//! ratings, contacts, history, the steps the caller may take). A module adds its own columns
//! around `LoopDetail` (`#[serde(flatten)]`) and routes `POST …/{id}/{step}` through `parse`.

use serde::Serialize;

use super::flow::{Rule, State, Step};
use super::model::Item;
use super::service::Applied;
use crate::app::error::AppResult;
use crate::app::openapi::one_of;
use crate::app::state::AppState;
use crate::auth::Principal;

pub use super::step_body::{StepIn, UnitIn, parse};

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
    /// `active|accepted|replied|returned|lapsed|withdrawn|reassigned`
    pub state: String,
    /// A 协办 unit's own deadline to the 主办 (YYYY-MM-DD), where the kind has one.
    pub deadline: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ReplyOut {
    pub id: i64,
    pub unit: String,
    pub round: i64,
    /// `resolved|in_progress|planned|cannot_resolve`
    pub result: String,
    pub text: String,
    pub at: i64,
    /// The signed reply letter (PDF, SUG-7) to download, once the unit uploaded it.
    pub letter_url: Option<String>,
}

impl From<&super::model::Reply> for ReplyOut {
    fn from(r: &super::model::Reply) -> Self {
        ReplyOut {
            id: r.id,
            letter_url: r.letter_id.map(|a| format!("/files/{a}")),
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
    /// The internal part of a line the submitter also reads (the 交办意见, a 改派's reason):
    /// for the handlers only, never on `/track`. Empty when there is none.
    pub note: String,
    pub round: i64,
    /// A progress note's phase (`plan|measures|results`), where the kind records phases.
    #[schemars(with = "Option<super::flow::Phase>")]
    pub phase: Option<String>,
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
                note: e.note.clone(),
                round: e.round,
                phase: e.phase.clone(),
            })
            .collect(),
        // Only names the step URL accepts (the same table).
        steps: lp.steps.iter().filter(|n| names.step(n).is_some()).map(|n| n.to_string()).collect(),
    })
}
