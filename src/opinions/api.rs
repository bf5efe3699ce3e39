//! The opinions API (stable; in OpenAPI): public intake, tracking and rating; with a token or
//! session, entry on someone's behalf, the list with search, the detail with the loop's
//! history and suggestions, and every step of the loop; the handling units; 码上公开.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::model::{self, Channel, Opinion};
use super::pages::{entry_source, scope_of};
use super::service::{self, Receipt, Submission};
use super::suggest::Suggestions;
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, ApiJsonOrEmpty, Auth, ClientIp, MaybePrincipal, PathId, Query};
use crate::app::openapi::{OFFSET_PAGING, Operation, Param, flag, offset_paging, one_of, param, range, schema, text};
use crate::app::query;
use crate::app::state::AppState;
use crate::app::write::write_as;
use crate::audit::Actor;
use crate::auth::{Action, Resource};
use crate::handling::api::{LoopDetail, ReplyOut, StepIn, StepNames, StepOut};
use crate::handling::flow::{Grade, State as ItemState, Step};
use crate::handling::model::Event;
use crate::handling::service::Command;
use crate::privacy::mask_ip;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/opinions", post(create).get(list))
        .route("/api/v1/opinions/track/{no}", get(track))
        .route("/api/v1/opinions/track/{no}/ratings", post(rate))
        .route("/api/v1/opinions/track/{no}/rating", post(rate))
        .route("/api/v1/opinions/{id}", get(detail))
        .route("/api/v1/opinions/{id}/{step}", post(step))
        .route("/api/v1/public/opinions", get(public_list))
        .route("/api/v1/units", get(units))
}

/// A new opinion (public, or entered by staff, a deputy or a keeper).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOpinion {
    pub content: String,
    #[serde(default)]
    pub title: String,
    /// One of the taxonomy (OPN-2); empty = 未分类.
    #[serde(default)]
    pub category: String,
    pub station_id: Option<i64>,
    pub deputy_id: Option<i64>,
    /// Administrative division code (e.g. 370782).
    pub area_code: Option<String>,
    #[serde(default)]
    pub name: String,
    /// 11-digit mobile; the receipt goes there by SMS.
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub allow_public: bool,
    /// The submitter agreed to the use of name and phone for this matter (required with them).
    #[serde(default)]
    pub consent: bool,
}

async fn create(
    MaybePrincipal(p): MaybePrincipal,
    State(s): State<AppState>,
    ip: ClientIp,
    ApiJson(input): ApiJson<NewOpinion>,
) -> AppResult<Response> {
    let now = crate::db::now();
    let mut sub = Submission {
        channel: None,
        station_id: input.station_id,
        deputy_id: input.deputy_id,
        area_code: input.area_code.clone(),
        category: input.category.trim().to_string(),
        title: input.title.clone(),
        content: input.content.clone(),
        name: input.name.clone(),
        phone: input.phone.clone(),
        allow_public: input.allow_public,
        anonymous: true,
        consent: input.consent || (input.name.trim().is_empty() && input.phone.trim().is_empty()),
        external_no: None,
    };
    let receipt: Receipt = match p.as_ref().and_then(|p| entry_source(p).map(|src| (p, src))) {
        // An entry on someone's behalf: its source is the caller's (a keeper's station, a
        // deputy's own id), and the per-address limit does not apply.
        Some((p, (channel, station, deputy))) => {
            if station.is_some() {
                sub.station_id = station;
            }
            if deputy.is_some() {
                sub.deputy_id = deputy;
            }
            super::pages::check_entry_at(&s, p, &ip, sub.station_id, sub.deputy_id, "new").await?;
            super::pages::enter(&s, p, &ip, &sub, channel).await?
        }
        None => {
            service::validate(&sub, &*model::taxonomy(&s).await?)?;
            let actor =
                Actor {
                    account_id: None, name: "群众（接口）".into(), on_behalf_of: None, client: mask_ip(&ip.0)
                };
            let channel = match (sub.station_id, sub.deputy_id) {
                (Some(_), _) => Channel::Station,
                (None, Some(_)) => Channel::Deputy,
                _ => Channel::Api,
            };
            let lexicon = super::lexicon::current(&s).await?;
            write_as(&s, actor, async |w| {
                service::throttle(w.txn(), &s.crypto, "intake", &ip.0, service::PUBLIC_PER_HOUR, now).await?;
                // The API has no code step: where new numbers are verified, it takes only known ones.
                if s.config.sms_verify_new_numbers
                    && !sub.phone.trim().is_empty()
                    && !crate::notify::verify::known(w.txn(), &s.crypto, &sub.phone).await?
                {
                    return Err(AppError::invalid(
                        "phone",
                        "这个手机号尚未验证，请在网页上提交（会先发送短信验证码），或不留手机号",
                    ));
                }
                service::submit_with_limits(
                    w.txn(),
                    w.key(),
                    &s.crypto,
                    &crate::notify::Limits::of(&s.config),
                    w.actor(),
                    &sub,
                    &service::Source { channel, entered_by: None, client: &ip.0, now, lexicon: &lexicon },
                )
                .await
            })
            .await?
        }
    };
    Ok((StatusCode::CREATED, axum::Json(receipt)).into_response())
}

#[derive(Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
}

/// One public line of the history.
#[derive(Serialize, schemars::JsonSchema)]
pub struct TimelineLine {
    pub at: i64,
    pub step: String,
    pub label: String,
    pub text: String,
}

/// What the submitter sees.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Tracking {
    pub tracking_no: String,
    #[schemars(with = "ItemState")]
    pub state: String,
    pub title: String,
    pub submitted_at: i64,
    pub timeline: Vec<TimelineLine>,
    /// The latest reply, if any.
    pub reply: Option<ReplyOut>,
    pub replies: Vec<ReplyOut>,
    /// A rating is due from the submitter.
    pub can_rate: bool,
}

fn timeline(events: &[Event]) -> Vec<TimelineLine> {
    events
        .iter()
        .map(|e| TimelineLine { at: e.at, step: e.step.clone(), label: e.label(), text: e.body.clone() })
        .collect()
}

async fn track(
    State(s): State<AppState>,
    ip: ClientIp,
    Path(no): Path<String>,
    Query(q): Query<CodeQuery>,
) -> AppResult<Response> {
    super::public::throttle_lookup(&s, &ip.0).await?;
    let o = service::track(&s.db, &s.crypto, &no, q.code.as_deref().unwrap_or("")).await?;
    let t = super::public::tracked(&s, o).await?;
    let replies: Vec<ReplyOut> = t.replies.iter().map(ReplyOut::from).collect();
    Ok(axum::Json(Tracking {
        tracking_no: t.o.tracking_no.clone(),
        state: t.state.as_str().into(),
        title: t.o.title.clone(),
        submitted_at: t.o.created_at,
        timeline: timeline(&t.events),
        reply: t.replies.last().map(ReplyOut::from),
        replies,
        can_rate: t.can_rate,
    })
    .into_response())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    pub code: String,
    #[schemars(with = "Grade")]
    pub grade: String,
    #[serde(default)]
    pub comment: String,
}

async fn rate(
    State(s): State<AppState>,
    ip: ClientIp,
    Path(no): Path<String>,
    ApiJson(r): ApiJson<RatingIn>,
) -> AppResult<Response> {
    super::public::throttle_lookup(&s, &ip.0).await?;
    let applied = super::public::rate_as_submitter(&s, &no, &r.code, &r.grade, &r.comment).await?;
    Ok((StatusCode::CREATED, axum::Json(StepOut::from(applied))).into_response())
}

// ------------------------------------------------------------------ staff, units, deputies

#[derive(Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    q: Option<String>,
    category: Option<String>,
    overdue: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// An opinion as the console sees it (names and phones never leave through the list).
#[derive(Serialize, schemars::JsonSchema)]
pub struct OpinionOut {
    pub id: i64,
    pub item_id: i64,
    pub tracking_no: String,
    pub state: String,
    pub channel: String,
    pub category: String,
    pub title: String,
    pub content: String,
    pub station_id: Option<i64>,
    pub deputy_id: Option<i64>,
    pub area_id: Option<i64>,
    pub organ_id: i64,
    pub created_at: i64,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub flagged: bool,
}

fn out(o: &Opinion, now: i64) -> OpinionOut {
    OpinionOut {
        id: o.id,
        item_id: o.item_id,
        tracking_no: o.tracking_no.clone(),
        state: o.state.clone(),
        channel: o.channel.clone(),
        category: o.category.clone(),
        title: o.title.clone(),
        content: o.content.clone(),
        station_id: o.station_id,
        deputy_id: o.deputy_id,
        area_id: o.area_id,
        organ_id: o.organ_id,
        created_at: o.created_at,
        deadline: o.deadline.clone(),
        overdue: o.overdue(now),
        flagged: o.flagged,
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct OpinionList {
    pub total: i64,
    pub items: Vec<OpinionOut>,
}

async fn list(Auth(p): Auth, State(s): State<AppState>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let scope = scope_of(&p);
    let taxonomy = model::taxonomy(&s).await?;
    let f = model::Filter {
        state: match q.state.as_deref() {
            None => None,
            Some(v) => Some(ItemState::parse(v).ok_or_else(|| AppError::invalid("state", "未知的状态"))?),
        },
        overdue: match q.overdue.as_deref() {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            _ => return Err(AppError::invalid("overdue", "overdue 应为 true 或 false")),
        },
        flagged: false,
        unpublished: false,
        category: Some(query::text(&q.category)).filter(|c| taxonomy.knows(c)),
        channel: None,
        terms: crate::nlp::segment::query_terms(&query::text(&q.q)),
        ..model::Filter::default()
    };
    let now = crate::db::now();
    let (limit, offset) = offset_paging(q.limit, q.offset, 50, 200)?;
    let (rows, total) = model::list(&s.db, &scope, &f, now, limit, offset).await?;
    Ok(axum::Json(OpinionList { total, items: rows.iter().map(|o| out(o, now)).collect() }).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct OpinionDetail {
    #[serde(flatten)]
    pub opinion: OpinionOut,
    /// The loop: round, units, replies, ratings, contacts, history, the steps the caller may take.
    #[serde(flatten)]
    pub handling: LoopDetail,
    pub suggestions: Suggestions,
}

async fn detail(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let (item, _) = crate::handling::visible_item(&s, &p, &ip, o.item_id).await?;
    let handling = crate::handling::api::detail(&s, &p, &item, &STEP_NAMES).await?;
    let suggestions = super::suggest::for_opinion(&s, &o).await?;
    Ok(axum::Json(OpinionDetail { opinion: out(&o, crate::db::now()), handling, suggestions }).into_response())
}

/// The step URL's names: the opinions' table, older names still accepted, and 码上公开's two.
pub const STEP_NAMES: StepNames = StepNames {
    rules: crate::handling::flow::RULES,
    aliases: &[
        ("answer", Step::AnswerDirectly),
        ("extension", Step::RequestExtension),
        ("decide-extension", Step::DecideExtension),
        ("request-assign", Step::RequestAssign),
        ("hand-to-deputy", Step::HandToDeputy),
    ],
    extra: &["publish", "unpublish"],
};

fn step_param() -> serde_json::Value {
    STEP_NAMES.schema()
}

async fn step(
    Caller { p, s, ip }: Caller,
    Path((id, step)): Path<(String, String)>,
    ApiJsonOrEmpty(b): ApiJsonOrEmpty<StepIn>,
) -> AppResult<Response> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    if step == "publish" || step == "unpublish" {
        return publication_step(&s, &p, &ip, id, &step, b).await;
    }
    let step = STEP_NAMES.step(&step).ok_or(AppError::NotFound)?;
    let cmd = match crate::handling::api::parse(step, b)? {
        Command::Merge { into } => Command::Merge {
            into: model::opinion(&s.db, into).await?.ok_or_else(|| AppError::invalid("into", "没有这条意见"))?.item_id,
        },
        other => other,
    };
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let applied = crate::handling::act(&s, &p, &ip, o.item_id, cmd).await?;
    Ok(axum::Json(StepOut::from(applied)).into_response())
}

/// 码上公开 through the API: `publish` (the masked first draft, or the parts sent) and
/// `unpublish`; the same rule and write as the console's.
async fn publication_step(
    s: &AppState,
    p: &crate::auth::Principal,
    ip: &ClientIp,
    id: i64,
    step: &str,
    b: StepIn,
) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    if step == "unpublish" {
        let done = super::publication::withdraw_as(s, p, ip, &o).await?;
        return Ok(axum::Json(Withdrawn { published: false, withdrawn: done }).into_response());
    }
    let draft = if b.title.is_some() || b.content.is_some() || b.reply.is_some() {
        let (t, c, r) = super::publication::first_draft(&s.db, &o).await?;
        Some((b.title.unwrap_or(t), b.content.unwrap_or(c), b.reply.unwrap_or(r)))
    } else {
        None
    };
    let done = super::publication::publish_as(s, p, ip, &o, draft).await?;
    Ok(axum::Json(Published {
        published: true,
        title: done.title,
        content: done.body,
        reply: done.reply,
        masked: done.masked,
    })
    .into_response())
}

/// `publish`: the public version as it now stands.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Published {
    pub published: bool,
    pub title: String,
    pub content: String,
    pub reply: String,
    /// How many pieces of personal data were masked in what was published.
    pub masked: i64,
}

/// `unpublish`: whether a publication was withdrawn.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Withdrawn {
    pub published: bool,
    pub withdrawn: bool,
}

/// The answer of a step: the loop's, or 码上公开's.
fn step_answer(g: &mut schemars::SchemaGenerator) -> serde_json::Value {
    serde_json::json!({"anyOf": [schema::<StepOut>(g), schema::<Published>(g), schema::<Withdrawn>(g)]})
}

// ------------------------------------------------------------------ public list and units

#[derive(Deserialize)]
pub struct PublicQuery {
    q: Option<String>,
    category: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// A published opinion: the public version staff published (personal data masked).
#[derive(Serialize, schemars::JsonSchema)]
pub struct PublicOpinion {
    pub tracking_no: String,
    pub category: String,
    pub title: String,
    pub content: String,
    /// The reply as published.
    pub reply: String,
    pub area: Option<String>,
    pub closed_at: Option<i64>,
    pub published_at: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct PublicList {
    pub total: i64,
    pub items: Vec<PublicOpinion>,
}

async fn public_list(State(s): State<AppState>, Query(q): Query<PublicQuery>) -> AppResult<Response> {
    let organ = crate::org::default_organ(&s.db).await?.ok_or(AppError::NotFound)?;
    let terms = crate::nlp::segment::query_terms(q.q.as_deref().unwrap_or(""));
    let taxonomy = model::taxonomy(&s).await?;
    let category = q.category.as_deref().map(str::trim).filter(|c| taxonomy.knows(c));
    let (limit, offset) = offset_paging(q.limit, q.offset, 20, 100)?;
    let f = model::PublicFilter {
        categories: category.map(str::to_string).into_iter().collect(),
        terms,
        ..Default::default()
    };
    let (rows, total) = model::public_list(&s.db, &organ.path, &f, limit, offset).await?;
    let items = rows
        .into_iter()
        .map(|o| PublicOpinion {
            tracking_no: o.tracking_no,
            category: o.category,
            title: o.title,
            content: o.body,
            reply: o.reply,
            area: o.area_name,
            closed_at: o.closed_at,
            published_at: o.published_at,
        })
        .collect();
    Ok(axum::Json(PublicList { total, items }).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct UnitOut {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub organ_id: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct UnitList {
    pub items: Vec<UnitOut>,
}

async fn units(Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let filter =
        crate::org::units::UnitFilter { organ_path: p.organ_path.clone(), active: Some(true), ..Default::default() };
    let mut rows = crate::org::units::units(&s.db, &filter).await?;
    if !crate::app::forms::allowed(&p, Action::View, &Resource::HandlingUnit { id: -1, organ_path: &p.organ_path }) {
        rows.retain(|u| Some(u.id) == p.unit_id);
    }
    Ok(axum::Json(UnitList {
        items: rows
            .into_iter()
            .map(|u| UnitOut { id: u.id, name: u.name, kind: u.kind, organ_id: u.organ_id })
            .collect(),
    })
    .into_response())
}

use super::API_TAG as TAG;

/// The `state` filter: the values `State::parse` accepts.
fn item_states() -> serde_json::Value {
    one_of(ItemState::ALL.iter().map(|s| s.as_str()))
}

fn public_limit() -> serde_json::Value {
    range(1, 100)
}

const STEP_PARAM: &[Param] = &[param("step", "步骤名（详情的 steps 所列，或旧名）", step_param)];

pub const OPERATIONS: &[Operation] = &[
    Operation::post("/api/v1/opinions", "提交群众意见（公开；带令牌时为代为录入）→ 查询编号和查询码", TAG, schema::<NewOpinion>, schema::<Receipt>),
    Operation::get("/api/v1/opinions", "事项列表（按角色范围；可搜索）", TAG, schema::<OpinionList>).signed_in().query(&[
            param("state", "状态", item_states),
            param("q", "搜索词", text),
            param("category", "类别（不在分类表中的忽略）", text),
            param("overdue", "true 只看超期", flag),
            OFFSET_PAGING[0],
            OFFSET_PAGING[1],
        ]),
    super::stats::OPERATION,
    Operation::get("/api/v1/opinions/track/{no}", "反映人查询办理进度（须查询码 code）", TAG, schema::<Tracking>).query(&[param("code", "查询码", text)]),
    Operation::post("/api/v1/opinions/track/{no}/ratings", "反映人评价答复", TAG, schema::<RatingIn>, schema::<StepOut>),
    Operation::get("/api/v1/opinions/{id}", "事项详情：状态、期限、交办、答复、评价、办理记录和系统建议", TAG, schema::<OpinionDetail>).signed_in(),
    Operation::post("/api/v1/opinions/{id}/{step}", "办理一步：详情 steps 所列的步骤名（release、reject、answer_directly、assign、accept、return、progress、request_extension、decide_extension、reply、rate、reopen、close、supervise、merge（并案，into = 意见 id）、hand_to_deputy（转交代表，deputy_id）、request_assign（代表请机关交办）、withdraw（撤回交办，unit_id、text）、reassign（改派，unit_id、to_unit_id、text）；旧名 answer、extension、decide-extension、hand-to-deputy、request-assign 仍可用），以及 publish（码上公开：title、content、reply 可选，个人信息自动遮盖）、unpublish（撤回公开）", TAG, schema::<StepIn>, step_answer).signed_in().status(200).path_params(STEP_PARAM).empty_body(),
    Operation::get("/api/v1/public/opinions", "码上公开：已办结、反映人同意且工作人员已公开的事项（公开版本，个人信息已遮盖）", TAG, schema::<PublicList>).query(&[
            param("q", "搜索词", text),
            param("category", "类别（不在分类表中的忽略）", text),
            param("limit", "条数，1–100，默认 20", public_limit),
            OFFSET_PAGING[1],
        ]),
    Operation::get("/api/v1/units", "承办单位（本机关及下级；单位账号只见本单位）", TAG, schema::<UnitList>).signed_in(),
];
