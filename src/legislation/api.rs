//! The 立法 API (stable; in OpenAPI): drafts imported from text or a .docx, new versions whose
//! articles keep their identities, a version's tree, and the compare of two versions.

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::comments;
use super::matching::{self, Change, Piece};
use super::model::{self, Draft, NodeRow, Version};
use super::service::{self, Created, NewDraft, NewVersion};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, ClientIp, PathId, Query, UploadedFile, strict};
use crate::app::guard;
use crate::app::openapi::{Operation, id, one_of, param, required, schema, text};

use super::changes::{NewChange, Shown};
use super::events::{EventCreated, EventList, EventOpinion, NewEvent};
use super::plans::{CreatedId, Item, NewItem, NewPlan, NewProject, NewStep, PlanDetail, PlanList, ProjectList};
use super::register::{IdOut, NewReading, NewRegulation, RegulationDetail, RegulationList};

use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Principal};

/// The register's `state` filter.
fn shown() -> serde_json::Value {
    one_of(Shown::CODES)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/legislation/drafts", get(list).post(create))
        .route("/api/v1/legislation/drafts/{id}", get(detail))
        .route("/api/v1/legislation/drafts/{id}/versions", post(add_version))
        .route("/api/v1/legislation/versions/{id}", get(version))
        .route("/api/v1/legislation/compare", get(compare))
        .route("/api/v1/legislation/versions/{id}/comments", get(list_comments).post(post_comment))
        .route("/api/v1/legislation/opinions/{id}/disposition", post(dispose))
        .route("/api/v1/legislation/drafts/{id}/stats", get(stats))
}

async fn stats(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    check_draft(&s, &p, &ip, Action::View, id).await?;
    Ok(axum::Json(super::stats::figures(&s.db, id).await?).into_response())
}

const TAG: &str = "立法";

// ------------------------------------------------------------------ who sees what

/// A draft the caller may `action` (404 for one outside their organ's subtree).
pub async fn check_draft(s: &AppState, p: &Principal, ip: &ClientIp, action: Action, id: i64) -> AppResult<Draft> {
    let d = model::draft(&s.db, id).await?;
    guard::visible(s, p, ip, action, d, |d| super::drafts_of(&d.organ_path), id).await
}

/// A version and its draft, the draft checked for `action`.
pub async fn check_version(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    id: i64,
) -> AppResult<(Draft, Version)> {
    let v = model::version(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let d = check_draft(s, p, ip, action, v.draft_id).await?;
    Ok((d, v))
}

// ------------------------------------------------------------------ drafts

#[derive(Serialize, schemars::JsonSchema)]
pub struct DraftOut {
    pub id: i64,
    pub organ_id: i64,
    pub title: String,
    /// `own` (本级立法) | `consulted` (上级征求意见)
    pub side: String,
    /// Who sent a consulted draft.
    pub origin: String,
    /// `active|passed|closed`
    pub state: String,
    /// How many versions (readings) it has.
    pub version_count: i64,
    /// Opinions counted (sent, not removed).
    pub opinions: i64,
    pub latest_version_id: Option<i64>,
    pub created_at: i64,
}

fn draft_out(d: &Draft) -> DraftOut {
    DraftOut {
        id: d.id,
        organ_id: d.organ_id,
        title: d.title.clone(),
        side: d.side.clone(),
        origin: d.origin.clone(),
        state: d.state.clone(),
        version_count: d.versions,
        opinions: d.opinions,
        latest_version_id: d.latest_version_id,
        created_at: d.created_at,
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct DraftList {
    pub items: Vec<DraftOut>,
}

async fn list(Caller { p, s, ip }: Caller) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "list").await?;
    let rows = model::drafts(&s.db, &p.organ_path, 500).await?;
    Ok(axum::Json(DraftList { items: rows.iter().map(draft_out).collect() }).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct VersionOut {
    pub id: i64,
    pub seq: i64,
    /// 一审稿, 二审稿 …
    pub label: String,
    /// `initiation|drafting|first_reading|second_reading|hearing|before_vote`
    pub stage: String,
    pub title: String,
    /// The enacting lines (通过 / 批准 / 修正), kept apart from the body.
    pub enacting: Vec<String>,
    pub articles: i64,
    /// The parser's issues that were accepted when it was saved.
    pub issues: Vec<String>,
    /// The public consultation window (Beijing dates), when published.
    pub open_from: Option<String>,
    pub open_until: Option<String>,
    pub published: bool,
    pub created_at: i64,
}

fn version_out(v: &Version) -> VersionOut {
    VersionOut {
        id: v.id,
        seq: v.seq,
        label: v.label.clone(),
        stage: v.stage.clone(),
        title: v.title.clone(),
        enacting: v.enacting_lines().into_iter().map(String::from).collect(),
        articles: v.articles,
        issues: v.issues.lines().map(String::from).collect(),
        open_from: v.open_from.clone(),
        open_until: v.open_until.clone(),
        published: v.published_at.is_some(),
        created_at: v.created_at,
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct DraftDetail {
    #[serde(flatten)]
    pub draft: DraftOut,
    pub versions: Vec<VersionOut>,
}

async fn detail(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::View, id).await?;
    let versions = model::versions(&s.db, id).await?;
    Ok(axum::Json(DraftDetail { draft: draft_out(&d), versions: versions.iter().map(version_out).collect() })
        .into_response())
}

/// A draft or a version as JSON: the text pasted (or multipart with the .docx as `file` and
/// the same fields).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionIn {
    /// The draft's name (a new draft; the parsed title when left out).
    #[serde(default)]
    pub title: String,
    /// The whole text: title, enacting lines, 目录 and the articles, one paragraph a line.
    #[serde(default)]
    pub text: String,
    /// `own` (default) or `consulted` (a new draft).
    #[serde(default)]
    pub side: String,
    /// Who sent a consulted draft.
    #[serde(default)]
    pub origin: String,
    /// 一审稿, 二审稿 … (default 征求意见稿 for a first version, 第N稿 after).
    #[serde(default)]
    pub label: String,
    /// `initiation|drafting|first_reading|second_reading|hearing|before_vote` (default `drafting`).
    #[serde(default)]
    pub stage: String,
    /// Save although the parser reported gaps, repeats or unrecognised lines (a text without
    /// articles is refused all the same).
    #[serde(default)]
    pub accept_issues: bool,
}

/// The body of a draft or version write, read only once the caller may write: JSON, or
/// multipart with the file.
async fn read_body(s: &AppState, req: Request) -> AppResult<VersionIn> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let ApiJson(v) = ApiJson::<serde_json::Value>::from_request(req, s).await?;
        return strict(v);
    }
    let upload = UploadedFile::from_request(req, s).await?;
    let (text, _, _) = service::upload_text(&upload.name, upload.bytes.clone()).await?;
    Ok(VersionIn {
        title: upload.field("title").into(),
        text,
        side: upload.field("side").into(),
        origin: upload.field("origin").into(),
        label: upload.field("label").into(),
        stage: upload.field("stage").into(),
        accept_issues: matches!(upload.field("accept_issues"), "true" | "1" | "on"),
    })
}

fn new_version(v: &VersionIn, default_label: &str, source: &str) -> NewVersion {
    NewVersion {
        label: if v.label.trim().is_empty() { default_label.into() } else { v.label.clone() },
        stage: if v.stage.trim().is_empty() { "drafting".into() } else { v.stage.clone() },
        text: v.text.clone(),
        source: source.into(),
        file_name: String::new(),
        accept_issues: v.accept_issues,
    }
}

async fn create(Caller { p, s, ip }: Caller, req: Request) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "new").await?;
    let v = read_body(&s, req).await?;
    let draft = NewDraft {
        title: v.title.clone(),
        side: if v.side.trim().is_empty() { "own".into() } else { v.side.clone() },
        origin: v.origin.clone(),
    };
    let prepared = service::prepare_new(&draft, &new_version(&v, "征求意见稿", "api"))?;
    let now = crate::db::now();
    let organ = p.organ_id;
    let created: Created = write(&s, &p, &ip, async |w| {
        service::create_draft(w.txn(), w.key(), w.actor(), organ, &draft, &prepared, now).await
    })
    .await?;
    let location = format!("/api/v1/legislation/drafts/{}", created.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(created)).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct VersionCreated {
    pub version_id: i64,
}

async fn add_version(Caller { p, s, ip }: Caller, PathId(id): PathId, req: Request) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let v = read_body(&s, req).await?;
    let label = format!("第{}稿", super::parse::to_chinese(d.versions + 1));
    let prepared = service::prepare(&new_version(&v, &label, "api"))?;
    let now = crate::db::now();
    let version_id =
        write(&s, &p, &ip, async |w| service::add_version(w.txn(), w.key(), w.actor(), &d, &prepared, now).await)
            .await?;
    let location = format!("/api/v1/legislation/versions/{version_id}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(VersionCreated { version_id })).into_response())
}

// ------------------------------------------------------------------ the tree

/// A node of a version: `node_id` is its identity across versions.
#[derive(Serialize, schemars::JsonSchema)]
pub struct NodeOut {
    pub node_id: i64,
    /// `part|chapter|section|article|paragraph|item|subitem`
    pub kind: String,
    /// As printed: 第五条, 第五条之一, 第二章, （三）, 1.; a paragraph's is 第二款.
    pub number: String,
    pub ordinal: i64,
    /// The N of 第五条之N, else 0.
    pub sub: i64,
    pub heading: String,
    pub text: String,
    pub children: Vec<NodeOut>,
}

/// The nodes as a tree.
pub fn tree(rows: &[NodeRow]) -> Vec<NodeOut> {
    let mut children: std::collections::HashMap<Option<i64>, Vec<&NodeRow>> = std::collections::HashMap::new();
    for r in rows {
        children.entry(r.parent_id).or_default().push(r);
    }
    fn build(parent: Option<i64>, children: &std::collections::HashMap<Option<i64>, Vec<&NodeRow>>) -> Vec<NodeOut> {
        children
            .get(&parent)
            .map(|v| {
                v.iter()
                    .map(|r| NodeOut {
                        node_id: r.node_id,
                        kind: r.kind.clone(),
                        number: r.number.clone(),
                        ordinal: r.ordinal,
                        sub: r.sub,
                        heading: r.heading.clone(),
                        text: r.body.clone(),
                        children: build(Some(r.id), children),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    build(None, &children)
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct VersionTree {
    pub draft_id: i64,
    #[serde(flatten)]
    pub version: VersionOut,
    pub nodes: Vec<NodeOut>,
}

async fn version(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (d, v) = check_version(&s, &p, &ip, Action::View, id).await?;
    let rows = model::nodes(&s.db, v.id).await?;
    Ok(axum::Json(VersionTree { draft_id: d.id, version: version_out(&v), nodes: tree(&rows) }).into_response())
}

// ------------------------------------------------------------------ compare

#[derive(Deserialize, Default)]
struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ArticleOut {
    pub node_id: i64,
    /// `added|removed|changed|renumbered|unchanged`
    pub change: Change,
    pub old_number: Option<String>,
    pub new_number: Option<String>,
    /// Now in another chapter.
    pub moved: bool,
    pub old_chapter: Option<String>,
    pub new_chapter: Option<String>,
    /// The changed characters (`same|added|removed` pieces) of a changed article.
    pub diff: Vec<Piece>,
}

#[derive(Serialize, schemars::JsonSchema, Default)]
pub struct CompareCounts {
    pub added: i64,
    pub removed: i64,
    pub changed: i64,
    pub renumbered: i64,
    pub unchanged: i64,
    pub moved: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct CompareOut {
    pub from: i64,
    pub to: i64,
    pub counts: CompareCounts,
    pub items: Vec<ArticleOut>,
}

/// Two versions of one draft compared (the caller sees the draft).
pub async fn compared(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    from: i64,
    to: i64,
) -> AppResult<(Draft, Version, Version, Vec<matching::ArticleChange>)> {
    let (d, a) = check_version(s, p, ip, Action::View, from).await?;
    let (_, b) = check_version(s, p, ip, Action::View, to).await?;
    if a.draft_id != b.draft_id {
        return Err(AppError::invalid("to", "只能比较同一草案的两个稿次"));
    }
    let (old, old_ids) = model::flats(&model::nodes(&s.db, a.id).await?);
    let (new, new_ids) = model::flats(&model::nodes(&s.db, b.id).await?);
    Ok((d, a, b, matching::compare(&old, &old_ids, &new, &new_ids)))
}

pub fn counts(items: &[matching::ArticleChange]) -> CompareCounts {
    let mut c = CompareCounts::default();
    for i in items {
        match i.change {
            Change::Added => c.added += 1,
            Change::Removed => c.removed += 1,
            Change::Changed => c.changed += 1,
            Change::Renumbered => c.renumbered += 1,
            Change::Unchanged => c.unchanged += 1,
        }
        c.moved += i64::from(i.moved);
    }
    c
}

async fn compare(Caller { p, s, ip }: Caller, Query(q): Query<CompareQuery>) -> AppResult<Response> {
    let from = crate::app::openapi::query_id("from", q.from.as_deref())?
        .ok_or_else(|| AppError::invalid("from", "请指定比较的原稿次 from"))?;
    let to = crate::app::openapi::query_id("to", q.to.as_deref())?
        .ok_or_else(|| AppError::invalid("to", "请指定比较的新稿次 to"))?;
    let (_, a, b, items) = compared(&s, &p, &ip, from, to).await?;
    let out = CompareOut {
        from: a.id,
        to: b.id,
        counts: counts(&items),
        items: items
            .into_iter()
            .map(|i| ArticleOut {
                node_id: i.node_id,
                change: i.change,
                old_number: i.old_number,
                new_number: i.new_number,
                moved: i.moved,
                old_chapter: i.old_chapter,
                new_chapter: i.new_chapter,
                diff: i.diff,
            })
            .collect(),
    };
    Ok(axum::Json(out).into_response())
}

// ------------------------------------------------------------------ comments and opinions

/// A public comment (no account): on one article (`node_id` from the version's tree) or on the
/// whole draft; contact details only if the commenter wishes (with `consent`), never shown.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    pub node_id: Option<i64>,
    /// A passage of the article (or the draft) the comment is about.
    #[serde(default)]
    pub quote: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub name: String,
    /// A mainland mobile number; the commenter is told by SMS what became of the comment.
    #[serde(default)]
    pub phone: String,
    /// Agreement that name and phone are used to tell the commenter (needed with either).
    #[serde(default)]
    pub consent: bool,
}

async fn post_comment(
    axum::extract::State(s): axum::extract::State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    ApiJson(input): ApiJson<CommentIn>,
) -> AppResult<Response> {
    let v = model::version(&s.db, id).await?.filter(|v| v.published_at.is_some()).ok_or(AppError::NotFound)?;
    let d = model::draft(&s.db, v.draft_id).await?.ok_or(AppError::NotFound)?;
    let c = comments::NewComment {
        node_id: input.node_id,
        quote: input.quote,
        text: input.text,
        name: input.name,
        phone: input.phone,
        consent: input.consent,
    };
    comments::validate(&s.db, &v, &c).await?;
    let now = crate::db::now();
    let actor = crate::audit::Actor {
        account_id: None,
        name: "群众（接口）".into(),
        on_behalf_of: None,
        client: crate::privacy::mask_ip(&ip.0),
    };
    let received = crate::app::write::write_as(&s, actor, async |w| {
        crate::opinions::service::throttle(
            w.txn(),
            &s.crypto,
            "intake",
            &ip.0,
            crate::opinions::service::PUBLIC_PER_HOUR,
            now,
        )
        .await?;
        // The API has no code step: where new numbers are verified, it takes only known ones.
        if s.config.sms_verify_new_numbers
            && !c.phone.trim().is_empty()
            && !crate::notify::verify::known(w.txn(), &s.crypto, &c.phone).await?
        {
            return Err(AppError::invalid(
                "phone",
                "这个手机号尚未验证，请在网页上提交（会先发送短信验证码），或不留手机号",
            ));
        }
        comments::comment(w.txn(), w.key(), &s.crypto, w.actor(), &d, &v, &c, &ip.0, now).await
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(received)).into_response())
}

/// An opinion as staff read it: where it sits (the identity of its article, which stays the
/// same in every later version), where it came from, and what became of it. No name, no phone.
#[derive(Serialize, schemars::JsonSchema)]
pub struct OpinionOut {
    pub id: i64,
    pub version_id: i64,
    /// The article's identity; null for the whole draft.
    pub node_id: Option<i64>,
    /// The article's number in the version it was given on.
    pub number: Option<String>,
    /// `public|contact_point|expert|department|deputy`
    pub source: String,
    /// `initiation|drafting|first_reading|second_reading|hearing|before_vote`
    pub stage: String,
    pub quote: String,
    pub text: String,
    /// Who gave it (a body, expert or deputy; empty for the public).
    pub author: String,
    /// The commenter left contact details (never shown).
    pub contact_left: bool,
    /// `ok|held|removed`
    pub moderation: String,
    /// `adopted|partly|rejected|further_study`, null while not disposed of.
    pub disposition: Option<String>,
    pub reason: String,
    pub change_version_id: Option<i64>,
    pub change_node_id: Option<i64>,
    /// When its giver was told.
    pub notified_at: Option<i64>,
    pub created_at: i64,
}

pub fn opinion_out(o: &model::Opinion) -> OpinionOut {
    OpinionOut {
        id: o.id,
        version_id: o.version_id,
        node_id: o.node_id,
        number: o.number.clone(),
        source: o.source.clone(),
        stage: o.stage.clone(),
        quote: o.quote.clone(),
        text: o.body.clone(),
        author: o.author.clone(),
        contact_left: o.named || o.phone_masked.is_some(),
        moderation: o.moderation.clone(),
        disposition: o.disposition.clone(),
        reason: o.reason.clone(),
        change_version_id: o.change_version_id,
        change_node_id: o.change_node_id,
        notified_at: o.notified_at,
        created_at: o.created_at,
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct OpinionList {
    pub items: Vec<OpinionOut>,
}

async fn list_comments(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (d, v) = check_version(&s, &p, &ip, Action::View, id).await?;
    let f = model::OpinionFilter { version_id: Some(v.id), ..Default::default() };
    let rows = model::opinions(&s.db, d.id, &f).await?;
    Ok(axum::Json(OpinionList { items: rows.iter().map(opinion_out).collect() }).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispositionIn {
    /// `adopted` 采纳 | `partly` 部分采纳 | `rejected` 未采纳 (with `reason`) | `further_study` 另行研究
    #[serde(default)]
    pub disposition: String,
    #[serde(default)]
    pub reason: String,
    /// The later version that carries the change it led to.
    pub change_version_id: Option<i64>,
    /// The identity of the node changed there (default: the opinion's own article).
    pub change_node_id: Option<i64>,
}

/// An opinion of a draft the caller may `action`.
pub async fn check_opinion(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    id: i64,
) -> AppResult<(Draft, model::Opinion)> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let d = check_draft(s, p, ip, action, o.draft_id).await?;
    Ok((d, o))
}

async fn dispose(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (d, o) = check_opinion(&s, &p, &ip, Action::Update, id).await?;
    let input: DispositionIn = strict(body)?;
    let decision = comments::Decision {
        disposition: input.disposition,
        reason: input.reason,
        change_version_id: input.change_version_id,
        change_node_id: input.change_node_id,
    };
    let (now, limits) = (crate::db::now(), crate::notify::Limits::of(&s.config));
    write(&s, &p, &ip, async |w| {
        comments::dispose(w.txn(), w.key(), &s.crypto, &limits, w.actor(), &d, &o, &decision, now).await
    })
    .await?;
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(opinion_out(&o)).into_response())
}

pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/legislation/drafts", "法规草案列表（本机关及下级）", TAG, schema::<DraftList>).signed_in(),
    Operation::post(
        "/api/v1/legislation/drafts",
        "新建法规草案：粘贴全文（JSON）或上传 .docx（multipart，字段 file），解析为编、章、节、条、款、项、目",
        TAG,
        schema::<VersionIn>,
        schema::<Created>,
    )
    .signed_in(),
    Operation::get("/api/v1/legislation/drafts/{id}", "法规草案及其各稿次", TAG, schema::<DraftDetail>).signed_in(),
    Operation::post(
        "/api/v1/legislation/drafts/{id}/versions",
        "导入新的稿次（如二审稿）：条文按内容与上一稿对应，改号的条文保留其标识 node_id",
        TAG,
        schema::<VersionIn>,
        schema::<VersionCreated>,
    )
    .signed_in(),
    Operation::get(
        "/api/v1/legislation/versions/{id}",
        "稿次的结构：每个节点的 node_id（跨稿次不变）、层级、条号、标题和文字",
        TAG,
        schema::<VersionTree>,
    )
    .signed_in(),
    Operation::get(
        "/api/v1/legislation/compare",
        "逐条比较同一草案的两个稿次：新增、删除、修改（标出改动的字）、条号变化、未变，以及章节间移动",
        TAG,
        schema::<CompareOut>,
    )
    .signed_in()
    .query(&[required("from", "原稿次编号", id), required("to", "新稿次编号", id)]),
    Operation::post(
        "/api/v1/legislation/versions/{id}/comments",
        "码上立法：公众对已公开征求意见的稿次提意见（无需登录），可针对一条（node_id）或整体，可引用原文；联系方式自愿、加密、不公开",
        TAG,
        schema::<CommentIn>,
        schema::<comments::Received>,
    ),
    Operation::get(
        "/api/v1/legislation/versions/{id}/comments",
        "稿次收到的意见（工作人员）：每条的 node_id、来源、阶段和处理结果；不含姓名和电话",
        TAG,
        schema::<OpinionList>,
    )
    .signed_in(),
    Operation::new(
        "post",
        "/api/v1/legislation/opinions/{id}/disposition",
        "处理意见：采纳、部分采纳、未采纳（写明理由）或另行研究，可关联后续稿次中的修改；留了手机号的群众和报送意见的单位会收到处理结果",
        TAG,
        schema::<OpinionOut>,
    )
    .request(schema::<DispositionIn>)
    .signed_in(),
    Operation::get(
        "/api/v1/legislation/drafts/{id}/stats",
        "草案意见的收集与采纳：分阶段、分来源及合计（采纳含部分采纳，采纳率为千分数）",
        TAG,
        schema::<super::stats::Figures>,
    )
    .signed_in(),
    Operation::get(
        "/api/v1/regulations",
        "现行有效法规库：按全文检索（中文分词，检索词的每个词都出现），无需登录",
        TAG,
        schema::<RegulationList>,
    )
    .query(&[param("q", "检索词，如“任免”", text), param("state", "in_force（默认，现行有效）、repealed（已废止）或 all", shown)]),
    Operation::get(
        "/api/v1/regulations/{id}",
        "法规全文（最新文本）、配套制度、法规解读和历次修正、修订、废止，无需登录",
        TAG,
        schema::<RegulationDetail>,
    ),
    Operation::post(
        "/api/v1/regulations/{id}/changes",
        "法规的修正（修改决定，新文本取自修正草案的稿次 version_id 或粘贴 text）、修订（写明理由）或废止（写明理由，此后不再列为现行有效）；日期须在通过日期和上一次修改之后",
        TAG,
        schema::<NewChange>,
        schema::<IdOut>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/legislation/drafts/{id}/readings",
        "记录审议或表决：一审、二审、三审、表决，票数手工填写或取自已结束的会议表决（ballot_id）；表决通过后草案为已通过",
        TAG,
        schema::<NewReading>,
        schema::<IdOut>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/legislation/drafts/{id}/regulation",
        "已通过的草案登记入现行有效法规库：通过、批准（设区的市法规由省人大常委会批准）、公布和施行日期；全文默认取最新稿次",
        TAG,
        schema::<NewRegulation>,
        schema::<IdOut>,
    )
    .signed_in(),
    Operation::get("/api/v1/legislation/plans", "立法规划和年度立法计划（本机关及下级）", TAG, schema::<PlanList>).signed_in(),
    Operation::post(
        "/api/v1/legislation/plans",
        "新建立法规划（kind=program，数年）或年度立法计划（kind=annual）",
        TAG,
        schema::<NewPlan>,
        schema::<CreatedId>,
    )
    .signed_in(),
    Operation::get("/api/v1/legislation/plans/{id}", "规划或计划及其项目（正式、预备、调研）", TAG, schema::<PlanDetail>)
        .signed_in(),
    Operation::new(
        "patch",
        "/api/v1/legislation/plans/{id}",
        "修改规划或计划：类型、名称、年份、通过日期（留空的字段保持不变）；修改记入操作记录",
        TAG,
        schema::<PlanDetail>,
    )
    .request(schema::<NewPlan>)
    .signed_in(),
    Operation::new(
        "patch",
        "/api/v1/legislation/plan-items/{id}",
        "修改计划中的项目：名称、制定/修改/废止、类别、起草单位、进度安排、进展（留空的字段保持不变，不能改 project_id）；取自项目库的项目改为正式项目须经党组审定",
        TAG,
        schema::<Item>,
    )
    .request(schema::<NewItem>)
    .signed_in(),
    Operation::post(
        "/api/v1/legislation/projects/{id}/steps",
        "记录项目的立项审查步骤：立项论证会、主任会议研究、党组审定、报党委批准，日期和结果（同意、暂缓、不同意）；党组审定须在主任会议研究同意之后",
        TAG,
        schema::<NewStep>,
        schema::<CreatedId>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/legislation/plans/{id}/items",
        "列入项目：制定/修改/废止，正式/预备/调研项目，起草单位和进度安排；可取自项目库（project_id），须经主任会议研究同意，正式项目还须党组审定同意",
        TAG,
        schema::<NewItem>,
        schema::<CreatedId>,
    )
    .signed_in(),
    Operation::get(
        "/api/v1/legislation/projects",
        "立法项目库：每个项目的来源记录（代表议案建议、群众意见、部门）和立项论证",
        TAG,
        schema::<ProjectList>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/legislation/projects",
        "项目入库：来源为代表议案建议（suggestion_id）、公开征集（可附群众意见编号 tracking_no）、部门申报（unit_id）或工作机构",
        TAG,
        schema::<NewProject>,
        schema::<CreatedId>,
    )
    .signed_in(),
    Operation::get(
        "/api/v1/legislation/drafts/{id}/events",
        "草案的座谈会、论证会、听证会：公告、报名人数、纪要和录入的意见数",
        TAG,
        schema::<EventList>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/legislation/drafts/{id}/events",
        "发布座谈会、论证会或听证会公告；填写报名截止日期时公众可在 /l/{草案}/events/{会议} 报名发言",
        TAG,
        schema::<NewEvent>,
        schema::<EventCreated>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/legislation/events/{id}/opinions",
        "录入会上提出的意见：计入听证/论证阶段，与其他意见一同处理和统计",
        TAG,
        schema::<EventOpinion>,
        schema::<EventCreated>,
    )
    .signed_in(),
];
