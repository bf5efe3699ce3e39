//! Passage and the register in the console, on the public site and in the API (LEG-7): a
//! draft's readings and votes and its entry into the register (`/console/legislation/{draft}/passage`),
//! the register with its full-text search (`/console/legislation/regulations?q=`), a
//! regulation's page with its 配套制度 and 法规解读; the public register (`/regulations?q=`,
//! `/regulations/{id}`) and `GET /api/v1/regulations?q=` — regulations in force are public law.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::CRUMB;
use super::api::check_draft;
use super::changes::{self, ChangeKind, NewChange, RegulationChange, Shown};
use super::model::{self, Draft, Version};
use super::register::{
    self, Found, IdOut, Interpretation, NewInterpretation, NewReading, NewRegulation, NewRule, Reading, ReadingResult,
    ReadingRow, Regulation, RegulationDetail, RegulationList, Rule, RuleStatus,
};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, ClientIp, Form, PathId, Query, strict};
use crate::app::forms::{Opt, allowed, opt_id, opts};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal};
use crate::db;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/legislation/{id}/passage", get(passage_page))
        .route("/console/legislation/{id}/readings", post(reading_submit))
        .route("/console/legislation/{id}/regulation", post(regulation_submit))
        .route("/console/legislation/regulations", get(register_page))
        .route("/console/legislation/regulations/{id}", get(regulation_page))
        .route("/console/legislation/regulations/{id}/rules", post(rule_submit))
        .route("/console/legislation/rules/{id}/status", post(rule_status))
        .route("/console/legislation/regulations/{id}/interpretations", post(interpretation_submit))
        .route("/console/legislation/regulations/{id}/changes", post(change_submit))
        .route("/regulations", get(public_register))
        .route("/regulations/{id}", get(public_regulation))
        .route("/api/v1/regulations", get(api_search))
        .route("/api/v1/regulations/{id}", get(api_regulation))
        .route("/api/v1/regulations/{id}/changes", post(api_change))
        .route("/api/v1/legislation/drafts/{id}/readings", post(api_reading))
        .route("/api/v1/legislation/drafts/{id}/regulation", post(api_enter))
}

async fn check_regulation(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    id: i64,
) -> AppResult<Regulation> {
    let row = register::regulation(&s.db, id).await?;
    guard::visible(s, p, ip, action, row, |r| super::drafts_of(&r.organ_path), id).await
}

// ------------------------------------------------------------------ passage

#[derive(Deserialize, Default, Clone)]
pub struct ReadingForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    reading: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    meeting: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    held_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    result: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    version_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    ballot_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    votes_for: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    votes_against: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    votes_abstain: String,
}

/// A count as typed: empty is none, anything else not a number is -1 (refused by the check).
fn count(v: &str) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() { None } else { Some(v.parse().unwrap_or(-1)) }
}

#[derive(Deserialize, Default, Clone)]
pub struct RegulationForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    passed_by: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    passed_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    approved_by: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    approved_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    promulgated_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    effective_on: String,
}

#[derive(Template)]
#[template(path = "legislation/passage.html")]
struct PassageTpl {
    l: Layout,
    d: Draft,
    versions: Vec<Version>,
    readings: Vec<ReadingRow>,
    regulation: Option<Regulation>,
    can_edit: bool,
    kinds: Vec<Opt>,
    results: Vec<Opt>,
    ballots: Vec<Opt>,
    r: ReadingForm,
    g: RegulationForm,
    errors: Errors,
}

/// The closed meeting ballots (motions) of the draft's organ a vote may be taken from.
async fn ballot_choices(s: &AppState, d: &Draft, current: &str) -> AppResult<Vec<Opt>> {
    let rows = db::query_rows(
        &s.db,
        "SELECT id, title FROM ballots WHERE organ_id = $1 AND kind = 'meeting' AND state = 'closed' AND vote_kind = 'motion' \
         ORDER BY id DESC LIMIT 100",
        vec![d.organ_id.into()],
    )
    .await?;
    let list: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| Some((r.try_get_by_index::<i64>(0).ok()?.to_string(), r.try_get_by_index::<String>(1).ok()?)))
        .collect();
    Ok(opts(std::iter::once(("".to_string(), "（手工填写票数）".to_string())).chain(list), current))
}

async fn passage_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    d: Draft,
    (r, g): (ReadingForm, RegulationForm),
    errors: Errors,
) -> AppResult<PassageTpl> {
    let title = format!("{}：审议表决和公布", d.title);
    Ok(PassageTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/legislation/{}", d.id), &d.title), ("", "审议表决")]),
        versions: model::versions(&s.db, d.id).await?,
        readings: register::readings(&s.db, d.id).await?,
        regulation: register::of_draft(&s.db, d.id).await?,
        can_edit: allowed(p, Action::Update, &super::drafts_of(&d.organ_path)),
        kinds: opts(Reading::ALL.map(|x| (x.as_str(), x.label())), &r.reading),
        results: opts(ReadingResult::ALL.map(|x| (x.as_str(), x.label())), &r.result),
        ballots: ballot_choices(s, &d, &r.ballot_id).await?,
        d,
        r,
        g,
        errors,
    })
}

fn regulation_defaults(d: &Draft) -> RegulationForm {
    RegulationForm {
        title: d.title.replace("（草案）", "").replace("（修订草案）", "").replace("（修正草案）", ""),
        ..Default::default()
    }
}

async fn passage_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::View, id).await?;
    let r = ReadingForm { reading: "first".into(), result: "continued".into(), ..Default::default() };
    let g = regulation_defaults(&d);
    render(&passage_tpl(&s, &p, &page, d, (r, g), Errors::default()).await?)
}

fn reading_input(f: &ReadingForm) -> NewReading {
    NewReading {
        reading: f.reading.clone(),
        meeting: f.meeting.clone(),
        held_on: f.held_on.clone(),
        result: f.result.clone(),
        version_id: opt_id(&f.version_id),
        ballot_id: opt_id(&f.ballot_id),
        votes_for: count(&f.votes_for),
        votes_against: count(&f.votes_against),
        votes_abstain: count(&f.votes_abstain),
    }
}

async fn reading_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<ReadingForm>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let input = reading_input(&f);
    let now = db::now();
    let result = write(&s, &p, &ip, async |w| {
        register::add_reading(w.txn(), w.key(), &s.crypto, w.actor(), &d, &input, now).await
    })
    .await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/{id}/passage"), "审议情况已记录"),
        async |errors| {
            let g = regulation_defaults(&d);
            render(&passage_tpl(&s, &p, &page, d.clone(), (f.clone(), g), errors).await?)
        },
    )
    .await
}

fn regulation_input(f: &RegulationForm) -> NewRegulation {
    NewRegulation {
        title: f.title.clone(),
        passed_by: f.passed_by.clone(),
        passed_on: f.passed_on.clone(),
        approved_by: f.approved_by.clone(),
        approved_on: f.approved_on.clone(),
        promulgated_on: f.promulgated_on.clone(),
        effective_on: f.effective_on.clone(),
        text: String::new(),
    }
}

async fn regulation_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<RegulationForm>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let input = regulation_input(&f);
    let now = db::now();
    let result = write(&s, &p, &ip, async |w| {
        register::enter(w.txn(), w.key(), w.actor(), (d.organ_id, Some(&d)), &input, now).await
    })
    .await;
    form_answer(
        result,
        |r| redirect_with_flash(&format!("/console/legislation/regulations/{r}"), "法规已登记入现行有效法规库"),
        async |errors| {
            let r = ReadingForm::default();
            render(&passage_tpl(&s, &p, &page, d.clone(), (r, f.clone()), errors).await?)
        },
    )
    .await
}

// ------------------------------------------------------------------ the register (console)

#[derive(Deserialize, Default)]
struct SearchQuery {
    q: Option<String>,
    /// `in_force` (default) | `repealed` | `all`
    state: Option<String>,
}

impl SearchQuery {
    /// The words (at most 50 characters) and which regulations a page shows (unknown: in force).
    fn page(self) -> (String, Shown) {
        let q = self.q.unwrap_or_default().trim().chars().take(50).collect::<String>();
        (q, Shown::parse(self.state.as_deref().unwrap_or("")).unwrap_or(Shown::InForce))
    }
}

/// The register's filter: in force, repealed, all.
fn shown_choices(shown: Shown) -> Vec<Opt> {
    opts(Shown::CODES.iter().copied().zip(["现行有效", "已废止", "全部"]), shown.as_str())
}

#[derive(Template)]
#[template(path = "legislation/regulations.html")]
struct RegisterTpl {
    l: Layout,
    q: String,
    shown: Vec<Opt>,
    rows: Vec<Found>,
}

async fn register_page(Console { page, p, s, ip }: Console, Query(q): Query<SearchQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "regulations").await?;
    let (q, shown) = q.page();
    let rows = register::search(&s.db, &q, shown, 200).await?;
    render(&RegisterTpl {
        l: page.layout("法规库", &[CRUMB, ("/console/legislation/regulations", "法规库")]),
        q,
        shown: shown_choices(shown),
        rows,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct RuleForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    responsible: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    due_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    status: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    issued_on: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct InterpretationForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    published_on: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct ChangeForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    decided_by: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    decided_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    effective_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default)]
    reason: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    version_id: String,
    #[serde(default)]
    text: String,
}

/// A line of a regulation's text as a page sets it: a heading (编, 章, 节) or a paragraph.
pub struct LawLine {
    pub heading: bool,
    pub text: String,
}

fn law_lines(body: &str) -> Vec<LawLine> {
    body.lines().map(|l| LawLine { heading: super::parse::is_heading_line(l), text: l.to_string() }).collect()
}

/// A change with the text the regulation had before it, as its history shows it.
pub struct ChangeLine {
    pub c: RegulationChange,
    pub before: Vec<String>,
}

/// A regulation's changes, each with the text before it.
async fn change_lines(s: &AppState, id: i64) -> AppResult<Vec<ChangeLine>> {
    let mut out = Vec::new();
    for c in changes::changes(&s.db, id).await? {
        let before = changes::text_before(&s.db, c.id).await?.lines().map(String::from).collect();
        out.push(ChangeLine { c, before });
    }
    Ok(out)
}

/// The versions of the organ's drafts a 修正 or 修订 may take its text from, newest first.
async fn version_choices(s: &AppState, organ_id: i64, current: &str) -> AppResult<Vec<Opt>> {
    let rows = db::query_rows(
        &s.db,
        "SELECT v.id, d.title || ' · ' || v.label FROM leg_versions v JOIN leg_drafts d ON d.id = v.draft_id \
         WHERE d.organ_id = $1 ORDER BY v.id DESC LIMIT 100",
        vec![organ_id.into()],
    )
    .await?;
    let list: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| Some((r.try_get_by_index::<i64>(0).ok()?.to_string(), r.try_get_by_index::<String>(1).ok()?)))
        .collect();
    Ok(opts(std::iter::once(("".to_string(), "（粘贴全文）".to_string())).chain(list), current))
}

#[derive(Template)]
#[template(path = "legislation/regulation.html")]
struct RegulationTpl {
    l: Layout,
    r: Regulation,
    body: Vec<LawLine>,
    rules: Vec<Rule>,
    interpretations: Vec<Interpretation>,
    changes: Vec<ChangeLine>,
    history: Vec<crate::app::pages::HistoryLine>,
    can_edit: bool,
    today: String,
    statuses: Vec<Opt>,
    kinds: Vec<Opt>,
    versions: Vec<Opt>,
    rule: RuleForm,
    i: InterpretationForm,
    x: ChangeForm,
    errors: Errors,
}

/// The forms of a regulation's page as typed (or empty).
type RegulationForms = (RuleForm, InterpretationForm, ChangeForm);

fn empty_forms() -> RegulationForms {
    (
        RuleForm { status: "pending".into(), ..Default::default() },
        InterpretationForm::default(),
        ChangeForm { kind: "amend".into(), ..Default::default() },
    )
}

async fn regulation_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    r: Regulation,
    (rule, i, x): RegulationForms,
    errors: Errors,
) -> AppResult<RegulationTpl> {
    let body = law_lines(&register::body(&s.db, r.id).await?);
    Ok(RegulationTpl {
        l: page.layout(&r.title, &[CRUMB, ("/console/legislation/regulations", "法规库"), ("", &r.title)]),
        body,
        rules: register::rules(&s.db, r.id).await?,
        interpretations: register::interpretations(&s.db, r.id).await?,
        changes: change_lines(s, r.id).await?,
        history: crate::app::forms::history(s, "leg_regulation", r.id).await?,
        can_edit: allowed(p, Action::Update, &super::drafts_of(&r.organ_path)),
        today: super::today(),
        statuses: opts(RuleStatus::ALL.map(|x| (x.as_str(), x.label())), &rule.status),
        kinds: opts(ChangeKind::ALL.map(|k| (k.as_str(), k.label())), &x.kind),
        versions: version_choices(s, r.organ_id, &x.version_id).await?,
        r,
        rule,
        i,
        x,
        errors,
    })
}

async fn regulation_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let r = check_regulation(&s, &p, &ip, Action::View, id).await?;
    render(&regulation_tpl(&s, &p, &page, r, empty_forms(), Errors::default()).await?)
}

fn change_input(f: &ChangeForm) -> NewChange {
    NewChange {
        kind: f.kind.clone(),
        decided_by: f.decided_by.clone(),
        decided_on: f.decided_on.clone(),
        effective_on: f.effective_on.clone(),
        title: f.title.clone(),
        reason: f.reason.clone(),
        version_id: opt_id(&f.version_id),
        text: f.text.clone(),
    }
}

async fn change_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<ChangeForm>,
) -> AppResult<Response> {
    let r = check_regulation(&s, &p, &ip, Action::Update, id).await?;
    let input = change_input(&f);
    let now = db::now();
    let result =
        write(&s, &p, &ip, async |w| changes::record(w.txn(), w.key(), w.actor(), &r, &input, now).await).await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/regulations/{id}#changes"), "法规的修改情况已记录"),
        async |errors| {
            let (rule, i, _) = empty_forms();
            render(&regulation_tpl(&s, &p, &page, r.clone(), (rule, i, f.clone()), errors).await?)
        },
    )
    .await
}

async fn rule_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<RuleForm>,
) -> AppResult<Response> {
    let r = check_regulation(&s, &p, &ip, Action::Update, id).await?;
    let input = NewRule {
        title: f.title.clone(),
        responsible: f.responsible.clone(),
        due_on: f.due_on.clone(),
        status: f.status.clone(),
        issued_on: f.issued_on.clone(),
    };
    let now = db::now();
    let result =
        write(&s, &p, &ip, async |w| register::add_rule(w.txn(), w.key(), w.actor(), &r, &input, now).await).await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/regulations/{id}#rules"), "配套制度已登记"),
        async |errors| {
            let (_, i, x) = empty_forms();
            render(&regulation_tpl(&s, &p, &page, r.clone(), (f.clone(), i, x), errors).await?)
        },
    )
    .await
}

async fn rule_status(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<RuleForm>) -> AppResult<Response> {
    let rule = register::rule(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let r = check_regulation(&s, &p, &ip, Action::Update, rule.regulation_id).await?;
    write(&s, &p, &ip, async |w| {
        register::set_rule(w.txn(), w.key(), w.actor(), &r, &rule, &f.status, &f.issued_on).await
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/legislation/regulations/{}#rules", r.id), "配套制度状态已更新"))
}

async fn interpretation_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<InterpretationForm>,
) -> AppResult<Response> {
    let r = check_regulation(&s, &p, &ip, Action::Update, id).await?;
    let input =
        NewInterpretation { title: f.title.clone(), body: f.body.clone(), published_on: f.published_on.clone() };
    let now = db::now();
    let result =
        write(&s, &p, &ip, async |w| register::add_interpretation(w.txn(), w.key(), w.actor(), &r, &input, now).await)
            .await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/regulations/{id}#interpretations"), "法规解读已发布"),
        async |errors| {
            let (rule, _, x) = empty_forms();
            render(&regulation_tpl(&s, &p, &page, r.clone(), (rule, f.clone(), x), errors).await?)
        },
    )
    .await
}

// ------------------------------------------------------------------ public

#[derive(Template)]
#[template(path = "legislation/register_public.html")]
struct PublicRegisterTpl {
    q: String,
    /// 现行有效法规 / 已废止法规 / 全部法规, as the filter chose.
    heading: &'static str,
    shown: Vec<Opt>,
    rows: Vec<Found>,
}

async fn public_register(State(s): State<AppState>, Query(q): Query<SearchQuery>) -> AppResult<Response> {
    let (q, shown) = q.page();
    let rows = register::search(&s.db, &q, shown, 100).await?;
    let heading = match shown {
        Shown::InForce => "现行有效法规",
        Shown::Repealed => "已废止法规",
        Shown::All => "全部法规（含已废止）",
    };
    render(&PublicRegisterTpl { q, heading, shown: shown_choices(shown), rows })
}

#[derive(Template)]
#[template(path = "legislation/regulation_public.html")]
struct PublicRegulationTpl {
    r: Regulation,
    body: Vec<LawLine>,
    interpretations: Vec<Interpretation>,
    changes: Vec<RegulationChange>,
}

async fn public_one(s: &AppState, id: &str) -> AppResult<Regulation> {
    let id = id.parse::<i64>().ok().filter(|v| *v > 0).ok_or(AppError::NotFound)?;
    register::regulation(&s.db, id).await?.ok_or(AppError::NotFound)
}

async fn public_regulation(State(s): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let r = public_one(&s, &id).await?;
    let body = law_lines(&register::body(&s.db, r.id).await?);
    let interpretations = register::interpretations(&s.db, r.id).await?;
    let changes = changes::changes(&s.db, r.id).await?;
    render(&PublicRegulationTpl { r, body, interpretations, changes })
}

// ------------------------------------------------------------------ API

async fn api_search(State(s): State<AppState>, Query(q): Query<SearchQuery>) -> AppResult<Response> {
    let shown = Shown::parse(q.state.as_deref().unwrap_or(""))
        .ok_or_else(|| AppError::invalid("state", "state 只能是 in_force（现行有效）、repealed（已废止）或 all"))?;
    let q = q.q.unwrap_or_default();
    if q.chars().count() > 50 {
        return Err(AppError::invalid("q", "检索词不能超过 50 字"));
    }
    let items = register::search(&s.db, &q, shown, 100).await?;
    Ok(axum::Json(RegulationList { items }).into_response())
}

async fn api_regulation(State(s): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let r = public_one(&s, &id).await?;
    Ok(axum::Json(RegulationDetail {
        text: register::body(&s.db, r.id).await?,
        rules: register::rules(&s.db, r.id).await?,
        interpretations: register::interpretations(&s.db, r.id).await?,
        changes: changes::changes(&s.db, r.id).await?,
        regulation: r,
    })
    .into_response())
}

async fn api_reading(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let input: NewReading = strict(body)?;
    let now = db::now();
    let r = write(&s, &p, &ip, async |w| {
        register::add_reading(w.txn(), w.key(), &s.crypto, w.actor(), &d, &input, now).await
    })
    .await?;
    let location = format!("/api/v1/legislation/drafts/{id}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(IdOut { id: r })).into_response())
}

async fn api_enter(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let input: NewRegulation = strict(body)?;
    let now = db::now();
    let r = write(&s, &p, &ip, async |w| {
        register::enter(w.txn(), w.key(), w.actor(), (d.organ_id, Some(&d)), &input, now).await
    })
    .await?;
    let location = format!("/api/v1/regulations/{r}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(IdOut { id: r })).into_response())
}

async fn api_change(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let r = check_regulation(&s, &p, &ip, Action::Update, id).await?;
    let input: NewChange = strict(body)?;
    let now = db::now();
    let c = write(&s, &p, &ip, async |w| changes::record(w.txn(), w.key(), w.actor(), &r, &input, now).await).await?;
    let location = format!("/api/v1/regulations/{id}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(IdOut { id: c })).into_response())
}
