//! The ballot API (stable; in OpenAPI): an elector's ballots; one ballot with its options,
//! subjects, rule in words and — when the caller may see them — its tally, outcome (通过 /
//! 未通过 by the rule) and, for a named ballot, who voted how; staff open (after the using
//! module's check: a meeting's quorum), close and publish it; an elector casts their own paper
//! (`choice`, `choices`, `grade`, `score`, or `votes` subject by subject); and the live count
//! as server-sent events. What a ballot is about is the using module's business (the 测评's
//! pages live with the suggestions, a meeting's with the meetings).

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::live::{self, Compute, Snapshot};
use super::model::{self, Ballot, Choice, Mark, NamedVote, Subject, Tally, VoteKind};
use super::result::{self, Outcome};
use super::tally::Rule;
use super::{kind_of, service};
use crate::app::caller::Caller;
use crate::app::codes::code_enum;
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
        .route("/api/v1/ballots/{id}/open", post(open))
        .route("/api/v1/ballots/{id}/close", post(close))
        .route("/api/v1/ballots/{id}/publish", post(publish))
        .route("/api/v1/ballots/{id}/events", get(events))
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
    let watcher = match (p.deputy_id, elector, kind_of(s, &b.kind).watches) {
        (Some(person), None, Some(watches)) => watches(s, &b, person).await?,
        _ => false,
    };
    let r = Resource::Ballot { organ_path: &b.organ_path, elector: elector.is_some(), watcher };
    guard::check_seen(s, p, ip, action, &r, &id.to_string()).await?;
    Ok((b, elector))
}

/// Whether the caller may read the counts now: the organ's workers while it is open where the
/// kind shows counts while open (a 测评), and once it closed; everyone who sees it once it
/// closed where the kind shows the result at once (a meeting's vote), and once published.
pub fn may_see_tally(s: &AppState, p: &Principal, b: &Ballot) -> bool {
    let k = kind_of(s, &b.kind);
    let staff_view = crate::auth::authz::allows(
        p,
        Action::View,
        &Resource::Ballot { organ_path: &b.organ_path, elector: false, watcher: false },
    );
    let settled = b.is_closed() && k.result_on_close;
    (staff_view && (b.is_closed() || (b.is_open() && k.counts_while_open))) || settled || b.published_at.is_some()
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
    /// The rule to pass and the rule in words (「全体组成人员的过半数」).
    pub rule: Option<Rule>,
    pub rule_text: String,
    /// The counts (赞成 / 反对 / 弃权 and 未按 of a motion, per option of every subject), when
    /// the caller may see them (`may_see_tally`).
    pub tally: Option<Tally>,
    /// What the counts decide: per subject passed or not by the rule, a 差额 ballot's ranking.
    pub outcome: Option<Outcome>,
    /// 通过 (true) or 未通过 (false) by the rule, once the counts are visible.
    pub passed: Option<bool>,
    /// A named ballot, once closed: who voted how (empty for a secret ballot).
    pub votes: Vec<NamedVote>,
}

/// The detail of a ballot as this caller may see it.
pub async fn detail_of(s: &AppState, p: &Principal, b: Ballot, voted: Option<bool>) -> AppResult<Detail> {
    let (tally, outcome) = if may_see_tally(s, p, &b) {
        let t = model::tally(&s.db, &s.crypto, &b).await?;
        let o = result::outcome(&b, &t);
        (Some(t), Some(o))
    } else {
        (None, None)
    };
    let votes = if tally.is_some() && b.is_closed() { model::named_votes(&s.db, &b).await? } else { Vec::new() };
    Ok(Detail {
        choices: model::choices(&s.db, b.id).await?,
        subjects: model::subjects(&s.db, b.id).await?,
        voted,
        rule: b.rule(),
        rule_text: b.rule().map(|r| r.words()).unwrap_or_default(),
        passed: outcome.as_ref().and_then(|o| o.passed),
        tally,
        outcome,
        votes,
        ballot: b,
    })
}

async fn detail(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, voted) = seen(&s, &p, &ip, id, Action::View).await?;
    Ok(axum::Json(detail_of(&s, &p, b, voted).await?).into_response())
}

code_enum! {
    /// A motion's choice.
    #[derive(schemars::JsonSchema)]
    pub enum MotionChoice {
        Yes = ("yes", "赞成"),
        No = ("no", "反对"),
        Abstain = ("abstain", "弃权"),
    }
}

code_enum! {
    /// A 测评's grade.
    #[derive(schemars::JsonSchema)]
    pub enum GradeIn {
        Satisfied = ("satisfied", "满意"),
        BasicallySatisfied = ("basically_satisfied", "基本满意"),
        Unsatisfied = ("unsatisfied", "不满意"),
    }
}

/// One elector's paper, in one of five shapes: `choice` (a motion), `choices` (a 差额 ballot:
/// the ids of the options chosen, at most `choose_max`, none is a valid blank paper), `grade`
/// (a 测评 of one subject), `score` (a score ballot of one subject), or `votes` (subject by
/// subject, for a ballot of several subjects).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    pub choice: Option<MotionChoice>,
    #[schemars(length(max = 500))]
    pub choices: Option<Vec<i64>>,
    pub grade: Option<GradeIn>,
    pub score: Option<i64>,
    /// One mark per subject voted on (subjects left out are not voted on).
    #[schemars(length(min = 1, max = 500))]
    pub votes: Option<Vec<VoteIn>>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteIn {
    pub subject_id: i64,
    /// One of the ballot's option codes (`satisfied`, `basically_satisfied`, `unsatisfied`; `yes`, `no`, `abstain` …).
    #[schemars(length(max = 40))]
    pub option: Option<String>,
    /// A score ballot's score.
    pub score: Option<i64>,
}

/// The paper as marks per subject, checked against the ballot's shape.
pub fn marks(b: &Ballot, subjects: &[Subject], paper: Paper) -> AppResult<Vec<(i64, Mark)>> {
    let given = [
        paper.choice.is_some(),
        paper.choices.is_some(),
        paper.grade.is_some(),
        paper.score.is_some(),
        paper.votes.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(AppError::invalid("", "请只给出 choice、choices、grade、score 或 votes 其中之一"));
    }
    let kind = b.vote_kind();
    let only = || -> AppResult<i64> {
        match subjects {
            [one] => Ok(one.id),
            _ => Err(AppError::invalid("votes", "本次投票有多个对象，请用 votes 逐项投票")),
        }
    };
    let wrong = |field: &str| AppError::invalid(field, format!("本次投票是{}，请按其方式投票", kind.label()));
    if let Some(c) = paper.choice {
        if kind != VoteKind::Motion {
            return Err(wrong("choice"));
        }
        return Ok(vec![(only()?, Mark::Option(c.as_str().into()))]);
    }
    if let Some(ids) = paper.choices {
        if kind != VoteKind::Choose {
            return Err(wrong("choices"));
        }
        return Ok(ids.into_iter().map(|id| (id, Mark::Option("yes".into()))).collect());
    }
    if let Some(g) = paper.grade {
        if kind != VoteKind::Rating {
            return Err(wrong("grade"));
        }
        return Ok(vec![(only()?, Mark::Option(g.as_str().into()))]);
    }
    if let Some(n) = paper.score {
        if kind != VoteKind::Score {
            return Err(wrong("score"));
        }
        return Ok(vec![(only()?, Mark::Score(n))]);
    }
    let votes = paper.votes.unwrap_or_default();
    if votes.len() > service::MAX_SUBJECTS {
        return Err(AppError::invalid("votes", "选择过多"));
    }
    votes
        .into_iter()
        .map(|v| match (v.option, v.score) {
            (Some(o), None) => Ok((v.subject_id, Mark::Option(o))),
            (None, Some(n)) => Ok((v.subject_id, Mark::Score(n))),
            _ => Err(AppError::invalid("votes", "每项请给出 option 或 score 其中之一")),
        })
        .collect()
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Cast {
    /// How many subjects were voted on.
    pub voted: usize,
}

/// Casts the caller's own paper on a ballot they may vote in (never someone else's: the voter
/// is the signed-in account's person).
pub async fn cast_paper(s: &AppState, p: &Principal, ip: &ClientIp, b: &Ballot, paper: Paper) -> AppResult<usize> {
    // The subjects and options never change: read here, outside the writers' turn.
    let sheet = service::Sheet::read(&s.db, b).await?;
    let marks = marks(b, &sheet.subjects, paper)?;
    let person = p.deputy_id.ok_or(AppError::NotFound)?;
    write(s, p, ip, async |w| {
        let n = service::cast_on(w.txn(), w.key(), &s.crypto, w.actor(), &sheet, person, &marks).await?;
        live::poke_after(w, s, service::topics(b));
        Ok(n)
    })
    .await
}

async fn cast(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (b, _) = seen(&s, &p, &ip, id, Action::Create).await?;
    let paper: Paper = strict(v)?;
    let n = cast_paper(&s, &p, &ip, &b, paper).await?;
    Ok(axum::Json(Cast { voted: n }).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct StateOut {
    pub state: model::State,
}

/// Opens a prepared ballot, after the using module's check in the same transaction.
pub async fn open_ballot(s: &AppState, p: &Principal, ip: &ClientIp, b: &Ballot) -> AppResult<()> {
    let k = kind_of(s, &b.kind);
    let now = crate::db::now();
    write(s, p, ip, async |w| {
        if let Some(gate) = k.before_open {
            gate(w.txn(), b).await?;
        }
        service::start(w.txn(), w.key(), w.actor(), b, now).await?;
        live::poke_after(w, s, service::topics(b));
        Ok(())
    })
    .await
}

/// Closes an open ballot, with those present as the using module counts them.
pub async fn close_ballot(s: &AppState, p: &Principal, ip: &ClientIp, b: &Ballot) -> AppResult<()> {
    let k = kind_of(s, &b.kind);
    let now = crate::db::now();
    write(s, p, ip, async |w| {
        let present = match k.present {
            Some(f) => f(w.txn(), b).await?,
            None => None,
        };
        service::close(w.txn(), w.key(), &s.crypto, w.actor(), b, present, now).await?;
        live::poke_after(w, s, service::topics(b));
        Ok(())
    })
    .await
}

/// Publishes a closed ballot's result.
pub async fn publish_ballot(s: &AppState, p: &Principal, ip: &ClientIp, b: &Ballot) -> AppResult<()> {
    let now = crate::db::now();
    write(s, p, ip, async |w| {
        service::publish(w.txn(), w.key(), w.actor(), b, now).await?;
        live::poke_after(w, s, service::topics(b));
        Ok(())
    })
    .await
}

async fn open(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    open_ballot(&s, &p, &ip, &b).await?;
    Ok(axum::Json(StateOut { state: model::State::Open }).into_response())
}

async fn close(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    close_ballot(&s, &p, &ip, &b).await?;
    Ok(axum::Json(StateOut { state: model::State::Closed }).into_response())
}

async fn publish(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, _) = seen(&s, &p, &ip, id, Action::Update).await?;
    publish_ballot(&s, &p, &ip, &b).await?;
    Ok(axum::Json(StateOut { state: model::State::Closed }).into_response())
}

/// What every screen of a ballot gets, whoever watches: the state and how many voted; the
/// outcome once it closed where its kind shows it at once, or once published.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct LiveCount {
    pub id: i64,
    pub title: String,
    #[schemars(with = "model::State")]
    pub state: String,
    pub electors: i64,
    pub voted: i64,
    pub not_voted: i64,
    pub outcome: Option<Outcome>,
}

/// The live count of a ballot (the same for every subscriber).
pub async fn live_count(s: &AppState, id: i64) -> AppResult<LiveCount> {
    let b = model::ballot(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let t = model::tally(&s.db, &s.crypto, &b).await?;
    let k = kind_of(s, &b.kind);
    let shown = b.is_closed() && (k.result_on_close || b.published_at.is_some());
    Ok(LiveCount {
        id,
        outcome: shown.then(|| result::outcome(&b, &t)),
        title: b.title,
        state: b.state,
        electors: t.electors,
        voted: t.voted,
        not_voted: t.not_voted,
    })
}

/// How a ballot's topic is counted.
pub fn ballot_compute(id: i64) -> Compute {
    Arc::new(move |s: AppState| {
        Box::pin(async move { Ok(serde_json::to_string(&live_count(&s, id).await?).unwrap_or_default()) })
    })
}

/// A stream of server-sent events from a topic: each new state as one event of `name`
/// (the current one first), a comment every 15 s to keep proxies from closing it.
pub fn sse(rx: tokio::sync::watch::Receiver<Snapshot>, name: &'static str) -> Response {
    let stream = futures_util::stream::unfold((rx, true), move |(mut rx, first)| async move {
        if !first || rx.borrow().is_empty() {
            rx.changed().await.ok()?;
        }
        let data = rx.borrow_and_update().clone();
        Some((Ok::<Event, Infallible>(Event::default().event(name).data(data.as_str())), (rx, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// `text/event-stream`: an event `count` (a `LiveCount`) each time the ballot moves.
async fn events(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (b, _) = seen(&s, &p, &ip, id, Action::View).await?;
    let rx = live::watch(&s, &live::ballot_topic(b.id), ballot_compute(b.id));
    Ok(sse(rx, "count"))
}

const TAG: &str = "表决与测评";

pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/ballots", "本人参加的投票（表决、满意度测评），含是否已投", TAG, schema::<Mine>)
        .signed_in(),
    Operation::get(
        "/api/v1/ballots/{id}",
        "投票详情：选项、表决对象、通过规则（文字）、本人是否已投；计票结果、是否通过、记名投票的投票情况（机关工作人员随时或结束后可见，会议表决结束即对参加者可见，公布后所有可见者可见）",
        TAG,
        schema::<Detail>,
    )
    .signed_in(),
    Operation::new(
        "post",
        "/api/v1/ballots/{id}/votes",
        "本人投票（choice / choices / grade / score / votes 其一）：只在投票中、只限投票人名单中的人，每人一票（允许改票的记名投票可在结束前改票）；403 不在名单，409 未开始、已结束或已投",
        TAG,
        schema::<Cast>,
    )
    .signed_in()
    .request(schema::<Paper>),
    Operation::new("post", "/api/v1/ballots/{id}/open", "开始投票（机关工作人员；会议表决须达到法定人数，否则 409 并说明）", TAG, schema::<StateOut>)
        .signed_in()
        .empty_body(),
    Operation::new("post", "/api/v1/ballots/{id}/close", "结束投票（机关工作人员）：计票摘要写入审计链", TAG, schema::<StateOut>)
        .signed_in()
        .empty_body(),
    Operation::new("post", "/api/v1/ballots/{id}/publish", "公布投票结果（机关工作人员，投票结束后）", TAG, schema::<StateOut>)
        .signed_in()
        .empty_body(),
    Operation::get(
        "/api/v1/ballots/{id}/events",
        "实时计数（text/event-stream 服务器推送事件：每次变化一个 count 事件，内容为 LiveCount；结束即含结果）",
        TAG,
        schema::<LiveCount>,
    )
    .signed_in(),
];
