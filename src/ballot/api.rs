//! The ballot API (stable; in OpenAPI): an elector's ballots, one ballot with its options,
//! subjects and — for the organ's workers, or anyone once it is published — its tally; an
//! elector casts a paper; staff close it. What a ballot is about is the using module's
//! business (the 测评's pages live with the suggestions).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::model::{self, Ballot, Choice, Subject, Tally};
use super::service;
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, Auth, ClientIp, PathId, strict};
use crate::app::guard;
use crate::app::openapi::{Operation, schema};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Principal, Resource};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ballots", get(mine))
        .route("/api/v1/ballots/{id}", get(detail))
        .route("/api/v1/ballots/{id}/votes", post(cast))
        .route("/api/v1/ballots/{id}/close", post(close))
}

/// The resource a ballot is for this caller, and whether the caller is an elector (`Some(voted)`).
pub async fn seen(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
) -> AppResult<(Ballot, Option<bool>)> {
    let b = model::ballot(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let elector = match p.deputy_id {
        Some(person) => model::elector(&s.db, id, person).await?,
        None => None,
    };
    let r = Resource::Ballot { organ_path: &b.organ_path, elector: elector.is_some() };
    guard::check_seen(s, p, ip, action, &r, &id.to_string()).await?;
    Ok((b, elector))
}

/// Whether the caller may read the tally now: the organ's workers always (the live count),
/// electors and everyone else once the result is published.
pub fn may_see_tally(p: &Principal, b: &Ballot) -> bool {
    let staff_view =
        crate::auth::authz::allows(p, Action::View, &Resource::Ballot { organ_path: &b.organ_path, elector: false });
    staff_view || b.published_at.is_some()
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Mine {
    pub items: Vec<MyBallot>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct MyBallot {
    #[serde(flatten)]
    pub ballot: Ballot,
    /// The caller has cast their paper.
    pub voted: bool,
}

/// The ballots the caller is an elector of, newest first.
async fn mine(Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let items = match p.deputy_id {
        Some(person) => model::for_elector(&s.db, None, person).await?,
        None => Vec::new(),
    };
    let items = items.into_iter().map(|(ballot, voted)| MyBallot { ballot, voted }).collect();
    Ok(axum::Json(Mine { items }).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Detail {
    #[serde(flatten)]
    pub ballot: Ballot,
    pub choices: Vec<Choice>,
    pub subjects: Vec<Subject>,
    /// For an elector: whether they voted; absent for others.
    pub voted: Option<bool>,
    /// The counts: for the organ's workers at any time, for everyone once published.
    pub tally: Option<Tally>,
}

async fn detail(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, voted) = seen(&s, &p, &ip, id, Action::View).await?;
    let tally = if may_see_tally(&p, &b) { Some(model::tally(&s.db, id).await?) } else { None };
    Ok(axum::Json(Detail {
        choices: model::choices(&s.db, id).await?,
        subjects: model::subjects(&s.db, id).await?,
        voted,
        tally,
        ballot: b,
    })
    .into_response())
}

/// One elector's paper.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    /// One choice per subject voted on (subjects left out are not voted on).
    #[schemars(length(min = 1, max = 500))]
    pub votes: Vec<VoteIn>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteIn {
    pub subject_id: i64,
    /// One of the ballot's option codes (`satisfied`, `basically_satisfied`, `unsatisfied`; `yes`, `no`, `abstain` …).
    #[schemars(length(max = 40))]
    pub option: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Cast {
    /// How many subjects were voted on.
    pub voted: usize,
}

async fn cast(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (b, _) = seen(&s, &p, &ip, id, Action::Create).await?;
    let paper: Paper = strict(v)?;
    if paper.votes.len() > service::MAX_SUBJECTS {
        return Err(AppError::invalid("votes", "选择过多"));
    }
    let votes: Vec<(i64, String)> = paper.votes.into_iter().map(|v| (v.subject_id, v.option)).collect();
    let person = p.deputy_id.ok_or(AppError::NotFound)?;
    let n = write(&s, &p, &ip, async |w| service::cast(w.txn(), w.key(), w.actor(), &b, person, &votes).await).await?;
    Ok(axum::Json(Cast { voted: n }).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Closed {
    pub state: model::State,
}

async fn close(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| service::close(w.txn(), w.key(), w.actor(), &b, now).await).await?;
    Ok(axum::Json(Closed { state: model::State::Closed }).into_response())
}

const TAG: &str = "表决与测评";

pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/ballots", "本人参加的投票（表决、满意度测评），含是否已投", TAG, schema::<Mine>)
        .signed_in(),
    Operation::get(
        "/api/v1/ballots/{id}",
        "投票详情：选项、表决对象、本人是否已投；计票结果（机关工作人员随时可见，公布后所有可见者可见）",
        TAG,
        schema::<Detail>,
    )
    .signed_in(),
    Operation::new(
        "post",
        "/api/v1/ballots/{id}/votes",
        "投票：每个表决对象选一个选项，每人只能投一次（无记名投票不记录投票人）",
        TAG,
        schema::<Cast>,
    )
    .signed_in()
    .request(schema::<Paper>),
    Operation::new("post", "/api/v1/ballots/{id}/close", "结束投票（机关工作人员）", TAG, schema::<Closed>)
        .signed_in()
        .empty_body(),
];
