//! The suggestions API (stable; in OpenAPI): a deputy's draft with co-signers, co-signing and
//! submission; the list and the detail (with the loop's history); every loop step by the
//! names of the issue (`assign`, `return`, `extension`, `progress`, `contacts`, `opinion`,
//! `reply` with `class`, `ratings` with `aspect`, `close` …) through the loop's one parser; the
//! per-unit statistics.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

pub use super::access::visible;
use super::model::{self, Kind, Source, Stage, Suggestion};
use super::service::{self, Draft, Quality};
use super::stats::{Period, Stats, figures};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, ApiJsonOrEmpty, Auth, ClientIp, PathId, Query, strict};
use crate::app::guard;
use crate::app::openapi::{OFFSET_PAGING, Operation, Param, flag, offset_paging, one_of, param, range, schema, text};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal, Resource};
use crate::handling::api::{LoopDetail, StepIn, StepNames, StepOut, UnitIn};
use crate::handling::flow::{Grade, State as ItemState, Step, UnitRole};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/suggestions", post(create).get(list))
        .route("/api/v1/suggestions/stats", get(stats))
        .route("/api/v1/suggestions/carry-over", post(carry_over))
        .route("/api/v1/suggestions/assign", post(assign_many_api))
        .route("/api/v1/suggestions/{id}", get(detail).patch(super::drafts_api::edit))
        .route("/api/v1/suggestions/{id}/share", post(super::drafts_api::share))
        .route("/api/v1/suggestions/{id}/comments", post(super::drafts_api::comment))
        .route("/api/v1/suggestions/{id}/references", post(super::drafts_api::reference))
        .route("/api/v1/suggestions/{id}/cosign", post(cosign))
        .route("/api/v1/suggestions/{id}/submit", post(submit))
        .route("/api/v1/suggestions/{id}/register", post(register))
        .route("/api/v1/suggestions/{id}/{step}", post(step))
}

/// A new draft.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSuggestion {
    #[serde(default)]
    pub title: String,
    /// The whole text (存在问题 and 建议 together), when the parts are not given apart.
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub analysis: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default)]
    pub category: String,
    #[schemars(with = "Option<Kind>")]
    pub kind: Option<String>,
    #[schemars(with = "Option<Source>")]
    pub source: Option<String>,
    #[serde(default)]
    pub cosigner_ids: Vec<i64>,
    /// The citizens' opinions (ids) it came from.
    #[serde(default)]
    pub opinion_ids: Vec<i64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Created {
    pub id: i64,
}

/// The author of what a principal writes: their deputy record.
fn author(p: &Principal) -> AppResult<i64> {
    p.deputy_id
        .filter(|_| p.has(crate::auth::Role::Deputy))
        .ok_or_else(|| AppError::Forbidden("只有代表可以提出建议".into()))
}

async fn create(Caller { p, s, ip }: Caller, ApiJson(v): ApiJson<serde_json::Value>) -> AppResult<Response> {
    let me = author(&p)?;
    let (_, organ_path) = service::organ_of(&s.db, me).await?;
    guard::check(
        &s,
        &p,
        &ip,
        Action::Create,
        &Resource::Draft { organ_path: &organ_path, author: me, co_authors: &[], participants: &[], submitted: false },
        "new",
    )
    .await?;
    let b: NewSuggestion = strict(v)?;
    // A suggestion links only to citizens' opinions its author may see (their station's, those
    // raised with them or handed to them), at most 50.
    if b.opinion_ids.len() > 50 {
        return Err(AppError::invalid("opinion_ids", "一件建议最多关联 50 条群众意见"));
    }
    for o in &b.opinion_ids {
        let item = crate::db::query_rows(&s.db, "SELECT item_id FROM opinions WHERE id = $1", vec![(*o).into()])
            .await?
            .first()
            .and_then(|r| r.try_get_by_index::<i64>(0).ok());
        let seen = match item {
            Some(item) => crate::handling::visible_item(&s, &p, &ip, item).await.is_ok(),
            None => false,
        };
        if !seen {
            return Err(AppError::invalid("opinion_ids", format!("群众意见（编号 {o}）不存在，或您无权查看")));
        }
    }
    let draft = Draft {
        kind: match b.kind.as_deref() {
            None => None,
            Some(k) => Some(Kind::parse(k).ok_or_else(|| AppError::invalid("kind", "kind 应为 suggestion 或 bill"))?),
        },
        title: b.title,
        problem: if b.problem.is_empty() { b.content } else { b.problem },
        analysis: b.analysis,
        measures: b.measures,
        category: b.category,
        source: match b.source.as_deref() {
            None => None,
            Some(v) => Some(Source::parse(v).ok_or_else(|| AppError::invalid("source", "来源无效"))?),
        },
        cosigner_ids: b.cosigner_ids,
        opinion_ids: b.opinion_ids,
    };
    let now = crate::db::now();
    let id = write(&s, &p, &ip, async |w| service::create(w.txn(), w.key(), w.actor(), me, &draft, now).await).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id })).into_response())
}

async fn cosign(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Change(Field::ItemDeputyWork)).await?;
    let me = author(&p)?;
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| service::cosign(w.txn(), w.key(), w.actor(), &sg, me, now).await).await?;
    Ok(axum::Json(Summary::of(&model::suggestion(&s.db, id).await?.ok_or(AppError::NotFound)?, now)).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitIn {
    /// A 议案 put forward by a 代表团 (no co-signer minimum).
    #[serde(default)]
    pub delegation: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Submitted {
    pub number: i64,
    /// `submitted` (a suggestion) or `under_review` (a 议案).
    pub state: String,
    pub quality: Quality,
}

async fn submit(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJsonOrEmpty(v): ApiJsonOrEmpty<serde_json::Value>,
) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Update).await?;
    let b: SubmitIn = strict(v)?;
    let now = crate::db::now();
    let number =
        write(&s, &p, &ip, async |w| service::submit(w.txn(), w.key(), w.actor(), &sg, b.delegation, now).await)
            .await?;
    let fresh = model::suggestion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let quality = super::similar::quality(&s, &fresh).await?;
    Ok(axum::Json(Submitted { number, state: fresh.api_state().into(), quality }).into_response())
}

async fn register(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Change(Field::ItemTriage)).await?;
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| super::service::register(w.txn(), w.key(), w.actor(), &sg, now).await).await?;
    let fresh = model::suggestion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(Summary::of(&fresh, now)).into_response())
}

/// A suggestion in a list.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub id: i64,
    /// `draft|cosigning|submitted|under_review|accepted|registered|assigned|in_progress|replied|rehandling|following|closed`
    pub state: String,
    pub state_label: String,
    pub kind: String,
    pub number: Option<i64>,
    pub number_label: String,
    pub year: i64,
    pub title: String,
    pub category: String,
    pub lead_person_id: i64,
    pub lead: String,
    pub key_item: bool,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub carried_from_year: Option<i64>,
}

impl Summary {
    fn of(s: &Suggestion, now: i64) -> Summary {
        Summary {
            id: s.id,
            state: s.api_state().into(),
            state_label: s.state_label().into(),
            kind: s.kind.clone(),
            number: s.number,
            number_label: s.number_label(),
            year: s.year,
            title: s.title.clone(),
            category: s.category.clone(),
            lead_person_id: s.lead_person_id,
            lead: s.lead_name.clone(),
            key_item: s.key_item,
            deadline: s.deadline.clone(),
            overdue: s.overdue(now),
            carried_from_year: s.carried_from_year,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct SuggestionList {
    pub total: i64,
    pub items: Vec<Summary>,
    /// Pass it back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub state: Option<String>,
    pub year: Option<i64>,
    pub unit_id: Option<i64>,
    pub category: Option<String>,
    pub key: Option<String>,
    pub overdue: Option<String>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// The API's keyset paging: the `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// The console's: the page after this row (`model::After`), and the page number shown.
    pub after: Option<String>,
    pub page: Option<String>,
}

pub use super::model::scope_of;

/// The list filter from a query: `state` is a stage before registration or a loop state.
pub fn filter_of(q: &ListQuery) -> AppResult<model::Filter> {
    year_in_range(q.year)?;
    if q.unit_id.is_some_and(|u| u < 1) {
        return Err(AppError::invalid("unit_id", "承办单位编号无效"));
    }
    let category = q.category.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let mut f = model::Filter {
        year: q.year,
        unit_id: q.unit_id,
        category: category.map(str::to_string),
        q: q.q.clone().unwrap_or_default(),
        ..Default::default()
    };
    match q.state.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => {}
        Some("registered") => f.handling.state = Some(ItemState::Received),
        Some(v) => match (Stage::parse(v), ItemState::parse(v)) {
            (Some(st), _) => f.stage = Some(st),
            (None, Some(ls)) => f.handling.state = Some(ls),
            _ => return Err(AppError::invalid("state", "未知的状态")),
        },
    }
    let flag = |field: &str, v: &Option<String>| match v.as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        _ => Err(AppError::invalid(field, format!("{field} 应为 true 或 false"))),
    };
    f.key_only = flag("key", &q.key)?;
    f.handling.overdue = flag("overdue", &q.overdue)?;
    Ok(f)
}

async fn list(Auth(p): Auth, State(s): State<AppState>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let f = filter_of(&q)?;
    let (limit, offset) = offset_paging(q.limit, q.offset, 50, 200)?;
    // A cursor reads on from where the page before ended (an index seek at any depth); an
    // offset counts its way there. With a cursor the offset is not read. A cursor given empty
    // is refused like any other that is not a `next_cursor` (the contract's pattern).
    let after = match q.cursor.as_deref() {
        Some(c) => Some(
            model::After::parse(c)
                .ok_or_else(|| AppError::invalid("cursor", "cursor 无效，请使用上一页返回的 next_cursor"))?,
        ),
        None => None,
    };
    let now = crate::db::now();
    let scope = scope_of(&p);
    let mut rows = match (&after, offset) {
        (None, o) if o > 0 => model::page(&s.db, &scope, &f, now, limit + 1, o).await?,
        _ => model::page_after(&s.db, &scope, &f, now, limit + 1, after.as_ref()).await?,
    };
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| model::After::of(r).encode())
    } else {
        None
    };
    let total = super::kept::total(&s, &scope, &f, now).await?;
    Ok(axum::Json(SuggestionList { total, items: rows.iter().map(|r| Summary::of(r, now)).collect(), next_cursor })
        .into_response())
}

/// The detail: the suggestion, its co-signers and links, the quality check, and the loop.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Detail {
    #[serde(flatten)]
    pub summary: Summary,
    pub problem: String,
    pub analysis: String,
    pub measures: String,
    pub session: String,
    pub cosigners: Vec<model::Cosigner>,
    pub links: Vec<model::Link>,
    pub quality: Quality,
    /// The loop (once registered): round, units, replies with their class, ratings, contacts,
    /// history, the steps the caller may take.
    pub handling: Option<LoopDetail>,
    /// `A|B|C` of the latest reply.
    pub class: Option<String>,
    /// A unit recorded a contact with the deputy before each reply of the current round.
    pub contact_recorded: bool,
    #[serde(flatten)]
    pub drafts: super::drafts_api::DetailExtra,
    /// The deputy groups' field visits about it (SUG-6), newest first.
    pub visits: Vec<super::visits::Visit>,
}

async fn detail(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::View).await?;
    let now = crate::db::now();
    let handling = match sg.item_id {
        Some(item) => {
            let item = crate::handling::model::item(&s.db, item).await?.ok_or(AppError::NotFound)?;
            Some(crate::handling::api::detail(&s, &p, &item, &STEP_NAMES).await?)
        }
        None => None,
    };
    let class = handling
        .as_ref()
        .and_then(|h| h.replies.last())
        .and_then(|r| crate::handling::flow::Outcome::parse(&r.result))
        .map(|o| super::class_of(o).to_string());
    Ok(axum::Json(Detail {
        summary: Summary::of(&sg, now),
        problem: sg.problem.clone(),
        analysis: sg.analysis.clone(),
        measures: sg.measures.clone(),
        session: sg.session_name.clone(),
        cosigners: model::cosigners(&s.db, id).await?,
        links: crate::links::of(&s.db, "suggestion", id).await?,
        quality: super::similar::quality(&s, &sg).await?,
        contact_recorded: handling.as_ref().is_some_and(|h| h.contact_recorded),
        drafts: super::drafts_api::detail_extra(&s, &p, &sg).await?,
        visits: super::visits::of_suggestion(&s.db, id).await?,
        class,
        handling,
    })
    .into_response())
}

/// The step URL's names: the suggestions' table by `Step` names, and the issue's words.
pub const STEP_NAMES: StepNames = StepNames {
    rules: super::RULES,
    aliases: &[
        ("extension", Step::RequestExtension),
        ("decide-extension", Step::DecideExtension),
        ("contacts", Step::Contact),
        ("opinion", Step::AssistOpinion),
        ("ratings", Step::Rate),
    ],
    extra: &[],
};

/// The body of a step, in the suggestions' words: `class` (A/B/C) for a reply's result,
/// `comment` for a rating's text; everything else as the loop's step body.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionStepIn {
    #[serde(default)]
    pub units: Vec<UnitIn>,
    /// assign: months (default 3, at most 6).
    pub due_months: Option<u32>,
    #[serde(default)]
    pub text: String,
    /// reply: `A|B|C`.
    #[schemars(regex(pattern = r"^[ABC]$"))]
    pub class: Option<String>,
    /// extension / decide-extension: months.
    pub months: Option<u32>,
    /// decide-extension, ratings: the unit; withdraw (撤回交办) and reassign (改派): the unit
    /// whose assignment is taken back or moved.
    pub unit_id: Option<i64>,
    /// reassign (改派): the unit that takes it over (same role; a 主办's time starts again).
    pub to_unit_id: Option<i64>,
    pub approve: Option<bool>,
    #[schemars(with = "Option<Grade>")]
    pub grade: Option<String>,
    #[schemars(with = "Option<crate::handling::flow::Aspect>")]
    pub aspect: Option<String>,
    pub comment: Option<String>,
    #[schemars(with = "Option<crate::handling::flow::Supervision>")]
    pub kind: Option<String>,
    #[schemars(with = "Option<crate::handling::flow::ContactWay>")]
    pub way: Option<String>,
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub on: Option<String>,
    /// merge (类件并案): the suggestion (id) this one joins.
    pub into: Option<i64>,
    /// follow: months until the further reply (optional).
    pub due: Option<u32>,
    /// progress: the phase, 方案 → 措施 → 成效 (SUG-6).
    #[schemars(with = "Option<crate::handling::flow::Phase>")]
    pub phase: Option<String>,
}

fn step_param() -> serde_json::Value {
    STEP_NAMES.schema()
}

async fn step(
    Caller { p, s, ip }: Caller,
    Path((id, name)): Path<(String, String)>,
    ApiJsonOrEmpty(b): ApiJsonOrEmpty<SuggestionStepIn>,
) -> AppResult<Response> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let step = STEP_NAMES.step(&name).ok_or(AppError::NotFound)?;
    let sg = visible(&s, &p, &ip, id, Action::View).await?;
    let item = sg.item_id.ok_or_else(|| AppError::Conflict("建议尚未登记，不能办理".into()))?;
    let into = match b.into {
        Some(other) => Some(
            model::suggestion(&s.db, other)
                .await?
                .and_then(|x| x.item_id)
                .ok_or_else(|| AppError::invalid("into", "没有这件已登记的建议"))?,
        ),
        None => None,
    };
    let body = StepIn {
        units: b.units,
        due_working_days: b.due_months,
        due: b.due,
        text: match (&b.comment, b.text.is_empty()) {
            (Some(c), true) => c.clone(),
            _ => b.text,
        },
        result: match b.class.as_deref() {
            None => None,
            Some(c) => Some(
                super::outcome_of(c)
                    .ok_or_else(|| AppError::invalid("class", "class 应为 A、B 或 C"))?
                    .as_str()
                    .to_string(),
            ),
        },
        days: b.months,
        unit_id: b.unit_id,
        to_unit_id: b.to_unit_id,
        approve: b.approve,
        grade: b.grade,
        aspect: b.aspect,
        kind: b.kind,
        way: b.way,
        on: b.on,
        into,
        phase: b.phase,
        ..StepIn::default()
    };
    if step == Step::Reply && body.result.is_none() {
        return Err(AppError::invalid("class", "请给出答复类别 class：A、B 或 C"));
    }
    let cmd = crate::handling::api::parse(step, body)?;
    let applied = crate::handling::act(&s, &p, &ip, item, cmd).await?;
    Ok(axum::Json(StepOut::from(applied)).into_response())
}

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    pub year: Option<i64>,
    pub session: Option<i64>,
}

/// A year the lists and figures take (the documented range).
fn year_in_range(year: Option<i64>) -> AppResult<()> {
    match year {
        Some(y) if !(2000..=2100).contains(&y) => Err(AppError::invalid("year", "年度应在 2000 到 2100 之间")),
        _ => Ok(()),
    }
}

async fn stats(Auth(p): Auth, State(s): State<AppState>, Query(q): Query<StatsQuery>) -> AppResult<Response> {
    if !crate::auth::authz::allows(&p, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }) {
        return Err(AppError::Forbidden("统计只对机关工作人员开放".into()));
    }
    let period = Period::checked(q.year, q.session)?;
    Ok(axum::Json(figures(&s, &p, period).await?).into_response())
}

/// 跨年结转 of a year.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryIn {
    #[schemars(range(min = 2000, max = 2100))]
    pub year: Option<i64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Carried {
    /// How many suggestions moved to the next year's list.
    pub carried: u64,
}

/// The suggestions of `year` still followed (跟踪办理) move to the next year's list: staff of
/// the organ, for its subtree.
pub async fn carry(s: &AppState, p: &Principal, ip: &ClientIp, year: Option<i64>) -> AppResult<u64> {
    may_carry(s, p, ip).await?;
    let year = year.ok_or_else(|| AppError::invalid("year", "请给出年度"))?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年度应在 2000 到 2100 之间"));
    }
    let now = crate::db::now();
    write(s, p, ip, async |w| service::carry_over(w.txn(), w.key(), w.actor(), &p.organ_path, year, now).await).await
}

/// Staff of the organ may carry its subtree's suggestions over.
pub async fn may_carry(s: &AppState, p: &Principal, ip: &ClientIp) -> AppResult<()> {
    organ_staff(s, p, ip, "carry-over").await
}

/// What only the organ's staff do to many suggestions at once (a 交办会, 跨年结转), decided
/// before any body is read.
async fn organ_staff(s: &AppState, p: &Principal, ip: &ClientIp, what: &str) -> AppResult<()> {
    let at_organ =
        Resource::Draft { organ_path: &p.organ_path, author: 0, co_authors: &[], participants: &[], submitted: true };
    guard::check(s, p, ip, Action::Change(Field::ItemTriage), &at_organ, what).await
}

/// A 交办会 through the API: the same units for every suggestion chosen.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignManyIn {
    /// The suggestions (ids), 1 to 1,000, each submitted or registered and not yet 交办.
    #[serde(default)]
    pub ids: Vec<i64>,
    /// `[{unit_id, role: lead|assist|separate}]`
    #[serde(default)]
    pub units: Vec<UnitIn>,
    /// The reply deadline in months, 1 to 6 (3 when not given).
    #[schemars(range(min = 1, max = 6))]
    pub months: Option<u32>,
    /// 交办意见 (seen by staff and the units).
    #[serde(default)]
    pub text: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct AssignedMany {
    pub assigned: usize,
}

/// A 交办会, on the list page or through the API: the organ's staff give the chosen suggestions
/// to the same units, all or nothing, in one transaction, audited once.
pub async fn assign_many(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    ids: &[i64],
    units: &[(i64, UnitRole)],
    months: Option<u32>,
    text: &str,
) -> AppResult<usize> {
    organ_staff(s, p, ip, "assign").await?;
    if ids.is_empty() {
        return Err(AppError::invalid("id", "请勾选要交办的建议"));
    }
    if ids.len() > 1000 {
        return Err(AppError::invalid("id", "一次最多交办 1000 件"));
    }
    if months.is_some_and(|m| !(1..=6).contains(&m)) {
        return Err(AppError::invalid("months", "答复期限为 1 到 6 个月"));
    }
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(visible(s, p, ip, *id, Action::Change(Field::ItemTriage)).await?);
    }
    let now = crate::db::now();
    write(s, p, ip, async |w| {
        let n = service::assign_batch(s, w, &items, units, months, text, now).await?;
        crate::audit::Change::audited("suggestion_assign_batch", "suggestion", "", format!("集中交办代表建议 {n} 件"))
            .append(w.txn(), w.key(), w.actor())
            .await?;
        Ok(n)
    })
    .await
}

async fn assign_many_api(Caller { p, s, ip }: Caller, ApiJson(v): ApiJson<serde_json::Value>) -> AppResult<Response> {
    organ_staff(&s, &p, &ip, "assign").await?;
    let b: AssignManyIn = strict(v)?;
    let mut units = Vec::with_capacity(b.units.len());
    for u in &b.units {
        units.push((u.unit_id, UnitRole::parse(&u.role).ok_or_else(|| AppError::invalid("units", "承办方式无效"))?));
    }
    let assigned = assign_many(&s, &p, &ip, &b.ids, &units, b.months, &b.text).await?;
    Ok(axum::Json(AssignedMany { assigned }).into_response())
}

async fn carry_over(Caller { p, s, ip }: Caller, ApiJson(v): ApiJson<serde_json::Value>) -> AppResult<Response> {
    may_carry(&s, &p, &ip).await?;
    let b: CarryIn = strict(v)?;
    Ok(axum::Json(Carried { carried: carry(&s, &p, &ip, b.year).await? }).into_response())
}

const TAG: &str = "代表建议";

fn states() -> serde_json::Value {
    one_of(Stage::ALL.iter().map(|s| s.as_str()).chain([
        "assigned",
        "in_progress",
        "replied",
        "rehandling",
        "following",
        "closed",
    ]))
}

fn years() -> serde_json::Value {
    range(2000, 2100)
}

/// `year.series.number.id` (`-` for no number), as `model::After` writes it.
fn list_cursor() -> serde_json::Value {
    serde_json::json!({"type": "string", "pattern": "^[0-9]{1,9}\\.[0-9]{1,18}\\.([0-9]{1,18}|-)\\.[0-9]{1,18}$"})
}

fn id_param() -> serde_json::Value {
    range(1, i64::MAX)
}

const STEP_PARAM: &[Param] =
    &[param("step", "步骤名（详情 handling.steps 所列，或 contacts、opinion、ratings、extension）", step_param)];

pub const OPERATIONS: &[Operation] = &[
    Operation::post("/api/v1/suggestions", "代表起草建议（可邀请联名代表）→ id", TAG, schema::<NewSuggestion>, schema::<Created>)
        .signed_in(),
    Operation::get(
        "/api/v1/suggestions",
        "建议列表（代表：本人领衔或联名的；机关：已提交的；承办单位：交办本单位的）",
        TAG,
        schema::<SuggestionList>,
    )
    .signed_in()
    .query(&[
        param("state", "状态", states),
        param("year", "年度", years),
        param("unit_id", "承办单位", id_param),
        param("category", "类别", text),
        param("key", "true 只看重点建议", flag),
        param("overdue", "true 只看超期", flag),
        param("q", "标题或内容中的词", text),
        OFFSET_PAGING[0],
        OFFSET_PAGING[1],
        param("cursor", "上一页返回的 next_cursor（给出时不看 offset）", list_cursor),
    ]),
    Operation::get(
        "/api/v1/suggestions/stats",
        "办理统计（年度或会次）：按状态、A/B/C 类别、按期答复率、解决率、两项满意率、不满意、二次办理；承办单位排名、类别、代表小组、重点建议",
        TAG,
        schema::<Stats>,
    )
    .signed_in()
    .query(&[param("year", "年度", years), param("session", "会次（suggestion_sessions 的 id）", id_param)]),
    Operation::get(
        "/api/v1/suggestions/deputies/{id}",
        "代表的建议（履职档案）：领衔和联名的建议，各自的状态、答复类别和本人的两项评价（代表本人，或机关工作人员）",
        TAG,
        schema::<super::record::DeputyRecord>,
    )
    .signed_in()
    .query(&[param("year", "年度", years)]),
    Operation::new(
        "post",
        "/api/v1/suggestions/assign",
        "集中交办（交办会）：把勾选的建议交给同一组承办单位，全部成功或全部不交办",
        TAG,
        schema::<AssignedMany>,
    )
    .signed_in()
    .request(schema::<AssignManyIn>),
    Operation::new("post", "/api/v1/suggestions/carry-over", "跨年结转：该年度跟踪办理（B类）的建议转入下一年度", TAG, schema::<Carried>)
        .signed_in()
        .request(schema::<CarryIn>),
    super::sessions_pages::LIST,
    super::sessions_pages::OPEN,
    super::sessions_pages::CLOSE,
    Operation::get("/api/v1/suggestions/{id}", "建议详情：编号、状态、类别、期限、是否记录沟通、联名代表、办理记录", TAG, schema::<Detail>)
        .signed_in(),
    super::drafts_api::EDIT,
    super::drafts_api::SHARE,
    super::drafts_api::COMMENT,
    super::drafts_api::REFERENCE,
    Operation::new("post", "/api/v1/suggestions/{id}/cosign", "联名代表确认联名", TAG, schema::<Summary>).signed_in().empty_body(),
    Operation::new("post", "/api/v1/suggestions/{id}/submit", "领衔代表提交（给出编号；议案进入审查）", TAG, schema::<Submitted>)
        .signed_in()
        .request(schema::<SubmitIn>)
        .empty_body(),
    Operation::new("post", "/api/v1/suggestions/{id}/register", "机关登记（进入交办办理）", TAG, schema::<Summary>)
        .signed_in()
        .empty_body(),
    Operation::new(
        "post",
        "/api/v1/suggestions/{id}/{step}",
        "办理一步：assign（units: [{unit_id, role: lead|assist|separate}]，due_months）、accept、return、progress（phase: plan|measures|results，text）、contacts（way、on、text）、opinion（协办意见）、extension（months）、decide-extension、reply（text、class: A|B|C）、ratings（aspect: reply|result、grade、comment、unit_id）、reopen、follow（跟踪办理）、close、supervise、merge（类件并案，into = 建议 id）、withdraw（撤回交办：unit_id、text）、reassign（改派：unit_id、to_unit_id、text，主办的期限自改派之日重新计算）",
        TAG,
        schema::<StepOut>,
    )
    .signed_in()
    .request(schema::<SuggestionStepIn>)
    .path_params(STEP_PARAM)
    .empty_body(),
];
