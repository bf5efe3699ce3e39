//! Open311 GeoReport v2 (OPN-15) under `/open311/v2/`, JSON only (each path also answers
//! with `.json`): `discovery`, `services` (the taxonomy of OPN-2, one stable ASCII
//! `service_code` per category), `services/{code}`, `requests` (GET with filters; POST with an
//! `api_key`), `requests/{id}`, `tokens/{id}`, and the `servicerequestupdates` extension.
//!
//! Mapping: `service_request_id` = the tracking number; `jurisdiction_id` = an area code;
//! `agency_responsible` = the lead unit of the current round (the organ's name before 交办);
//! `expected_datetime` = the end of the deadline day; `status` = `closed` for 已办结 and 不予受理,
//! else `open`, with the loop's state in the extension field `detailed_status`.
//!
//! Who sees what: without an `api_key`, exactly what `/public` shows — the opinions staff
//! published (`model::public_list`, the one public rule), with the published text and reply,
//! no place and no history text; with one, what the key's account sees in the console list.
//! Names, phones and e-mail addresses never leave. A POST needs a write-scope
//! token of an account that may enter opinions on someone's behalf (`Action::Create` on
//! `Resource::HandlingItem`: staff and admins, a keeper for their station, a deputy for
//! themself); the opinion gets the channel `open311`, the key's station or deputy as its
//! source, and the key's account as the one who entered it.
//!
//! Every error is an Open311 error array (`app::middleware` presents them for this path);
//! every parameter passes the platform's text rule.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use serde::Serialize;

use super::model::{self, Channel, Taxonomy};
use super::pages::{entry_source, scope_of};
use super::service::{self, Receipt, Submission};
use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::extract::ClientIp;
use crate::app::fields::FieldErrors;
use crate::app::state::AppState;
use crate::app::text;
use crate::app::write::write;
use crate::auth::{self, Principal, Scope};
use crate::db;
use crate::handling::flow::{State as ItemState, event_label};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/discovery", get(discovery))
        .route("/open311/v2/discovery.json", get(discovery))
        .route("/open311/v2/services", get(services))
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/services/{code}", get(service_definition))
        .route("/open311/v2/requests", get(requests).post(create))
        .route("/open311/v2/requests.json", get(requests).post(create))
        .route("/open311/v2/requests/{id}", get(request))
        .route("/open311/v2/tokens/{id}", get(token))
        .route("/open311/v2/servicerequestupdates", get(updates))
        .route("/open311/v2/servicerequestupdates.json", get(updates))
}

/// When this endpoint's behaviour last changed (discovery's `changeset`).
pub const CHANGESET: &str = "2026-05-01T00:00:00+08:00";
/// The most requests or updates one answer lists (the specification's default).
pub const MAX_RESULTS: i64 = 1000;
/// The window of a request list without dates (the specification's default).
pub const DEFAULT_WINDOW_DAYS: i64 = 90;
/// Ids one `service_request_id` filter may list.
pub const MAX_IDS: usize = 100;

// ------------------------------------------------------------------ parameters

/// The parameters of a request: the query string, then (for a POST) the urlencoded or JSON
/// body. Every name and value has passed the text rule.
struct Params(Vec<(String, String)>);

fn text_refusal(field: &str, e: text::TextError) -> AppError {
    let message = e.message().to_string();
    AppError::Invalid {
        detail: format!("{field}：{message}"),
        fields: vec![FieldError { field: field.to_string(), message }],
    }
}

impl Params {
    fn checked(pairs: Vec<(String, String)>) -> AppResult<Params> {
        for (k, v) in &pairs {
            text::check_field(k, v).map_err(|e| text_refusal(k, e))?;
        }
        Ok(Params(pairs))
    }

    fn from_query(uri: &Uri) -> AppResult<Params> {
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
            .map_err(|_| AppError::BadRequest("查询参数无法识别".into()))?;
        Params::checked(pairs)
    }

    /// The first non-blank value of a parameter, trimmed.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).find(|v| !v.is_empty())
    }
}

/// The body of a POST as parameters: `application/x-www-form-urlencoded` (the
/// specification's), or a JSON object of plain values.
fn body_params(headers: &HeaderMap, body: &[u8]) -> AppResult<Vec<(String, String)>> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if body.is_empty() {
        return Ok(Vec::new());
    }
    match kind.as_str() {
        "application/x-www-form-urlencoded" | "" => serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|_| AppError::BadRequest("提交的表单内容无法识别".into())),
        "application/json" => {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|_| AppError::BadRequest("JSON 格式错误".into()))?;
            let serde_json::Value::Object(map) = value else {
                return Err(AppError::BadRequest("JSON 内容应为一个对象，如 {\"service_code\": \"transport\"}".into()));
            };
            let mut pairs = Vec::new();
            for (k, v) in map {
                let v = match v {
                    serde_json::Value::Null => continue,
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => return Err(AppError::invalid(&k, "参数值应为文字或数字")),
                };
                pairs.push((k, v));
            }
            Ok(pairs)
        }
        _ => Err(AppError::BadRequest(
            "请以 application/x-www-form-urlencoded（或 application/json）提交；不接收文件上传，图片请用 media_url"
                .into(),
        )),
    }
}

/// `{id}` or `{id}.json` of a path; `.xml` is not offered.
fn strip_format(segment: &str) -> AppResult<&str> {
    if let Some(id) = segment.strip_suffix(".json") {
        Ok(id)
    } else if segment.ends_with(".xml") {
        Err(AppError::BadRequest("本接口只提供 JSON 格式，请使用 .json".into()))
    } else {
        Ok(segment)
    }
}

/// The account behind an `api_key`, if one was given; an unknown or revoked key is refused
/// (never silently read as anonymous).
async fn key_principal(s: &AppState, q: &Params) -> AppResult<Option<Principal>> {
    let Some(key) = q.get("api_key") else { return Ok(None) };
    match auth::token_principal(&s.db, key).await? {
        Some(p) => Ok(Some(p)),
        None => Err(AppError::Forbidden("api_key 无效或已被撤销".into())),
    }
}

// ------------------------------------------------------------------ times

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// A Unix time as a W3C date-time in Beijing time, e.g. `2026-05-01T08:30:00+08:00`.
fn w3c(ts: i64) -> String {
    beijing().timestamp_opt(ts, 0).single().map(|d| d.format("%Y-%m-%dT%H:%M:%S%:z").to_string()).unwrap_or_default()
}

/// A W3C date-time (`2026-05-01T08:30:00+08:00`, `…Z`, without an offset = Beijing time) or a
/// date (`2026-05-01`: its start, or with `end_of_day` its end). A `+` of the offset that
/// arrived unencoded (read as a space) is put back.
pub fn parse_w3c(text: &str, end_of_day: bool) -> Option<i64> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let start = d.and_hms_opt(0, 0, 0)?.and_local_timezone(beijing()).single()?.timestamp();
        return Some(if end_of_day { start + 86_400 - 1 } else { start });
    }
    let fixed = match t.rfind(' ') {
        Some(i) if i >= 19 => format!("{}+{}", &t[..i], &t[i + 1..]),
        _ => t.to_string(),
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(&fixed) {
        return Some(d.timestamp());
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return d.and_local_timezone(beijing()).single().map(|d| d.timestamp());
        }
    }
    None
}

fn date_param(q: &Params, name: &str, end_of_day: bool) -> AppResult<Option<i64>> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => parse_w3c(v, end_of_day).map(Some).ok_or_else(|| {
            AppError::invalid(name, "时间格式应为 W3C 格式，如 2026-05-01T08:30:00+08:00 或 2026-05-01")
        }),
    }
}

// ------------------------------------------------------------------ jurisdictions

/// `jurisdiction_id` (an area code) when given: the area's path, or `None` when the area
/// holds the whole installation (no filter is needed). An unknown code is refused.
async fn jurisdiction(s: &AppState, q: &Params) -> AppResult<Option<String>> {
    let Some(code) = q.get("jurisdiction_id") else { return Ok(None) };
    let rows = db::query_rows(&s.db, "SELECT path FROM areas WHERE code = $1", vec![code.into()]).await?;
    let path: String = rows
        .first()
        .and_then(|r| r.try_get_by_index(0).ok())
        .ok_or_else(|| AppError::invalid("jurisdiction_id", "没有这个行政区划代码"))?;
    let top = match crate::org::default_organ(&s.db).await? {
        Some(o) => crate::org::area(&s.db, o.area_id).await?.map(|a| a.path),
        None => None,
    };
    Ok(if top.is_some_and(|t| t.starts_with(&path)) { None } else { Some(path) })
}

// ------------------------------------------------------------------ discovery and services

#[derive(Serialize)]
struct Endpoint {
    specification: &'static str,
    url: String,
    changeset: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    formats: [&'static str; 1],
}

#[derive(Serialize)]
struct Discovery {
    changeset: &'static str,
    contact: String,
    key_service: &'static str,
    endpoints: Vec<Endpoint>,
}

fn json<T: Serialize>(status: StatusCode, v: &T) -> Response {
    let mut r = (status, axum::Json(v)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json; charset=utf-8"));
    r
}

async fn discovery(State(s): State<AppState>, uri: Uri) -> AppResult<Response> {
    let q = Params::from_query(&uri)?;
    jurisdiction(&s, &q).await?;
    let organ = crate::org::default_organ(&s.db).await?;
    let contact = match &organ {
        Some(o) if !o.phone.is_empty() => format!("{}（电话 {}）", o.name, o.phone),
        Some(o) => o.name.clone(),
        None => String::new(),
    };
    let base = s.config.public_base_url.as_deref().unwrap_or("").trim_end_matches('/');
    Ok(json(
        StatusCode::OK,
        &Discovery {
            changeset: CHANGESET,
            contact,
            key_service: "api_key 是本系统有写权限的接口令牌：机关工作人员在“账号设置 → 接口令牌”中创建",
            endpoints: vec![Endpoint {
                specification: "http://wiki.open311.org/GeoReport_v2",
                url: format!("{base}/open311/v2"),
                changeset: CHANGESET,
                kind: "production",
                formats: ["application/json"],
            }],
        },
    ))
}

#[derive(Serialize)]
struct Service {
    service_code: String,
    service_name: String,
    description: String,
    metadata: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    keywords: String,
    group: &'static str,
}

async fn services(State(s): State<AppState>, uri: Uri) -> AppResult<Response> {
    let q = Params::from_query(&uri)?;
    jurisdiction(&s, &q).await?;
    let taxonomy = model::taxonomy(&s).await?;
    let list: Vec<Service> = taxonomy
        .items
        .iter()
        .filter(|c| c.active)
        .map(|c| Service {
            service_code: c.code.clone(),
            service_name: c.name.clone(),
            description: format!("{}方面的意见、建议和诉求", c.name),
            metadata: false,
            kind: "realtime",
            keywords: String::new(),
            group: "民意",
        })
        .collect();
    Ok(json(StatusCode::OK, &list))
}

#[derive(Serialize)]
struct ServiceDefinition {
    service_code: String,
    attributes: [(); 0],
}

async fn service_definition(State(s): State<AppState>, uri: Uri, Path(code): Path<String>) -> AppResult<Response> {
    let q = Params::from_query(&uri)?;
    jurisdiction(&s, &q).await?;
    let code = strip_format(&code)?;
    if !model::taxonomy(&s).await?.items.iter().any(|c| c.active && c.code == code) {
        return Err(AppError::NotFound);
    }
    Ok(json(StatusCode::OK, &ServiceDefinition { service_code: code.to_string(), attributes: [] }))
}

// ------------------------------------------------------------------ reading requests

#[derive(FromQueryResult)]
struct Row {
    tracking_no: String,
    category: String,
    content: String,
    lat: Option<f64>,
    lng: Option<f64>,
    address: Option<String>,
    created_at: i64,
    state: String,
    updated_at: i64,
    deadline_at: Option<i64>,
    area_code: Option<String>,
    organ_name: String,
    agency: Option<String>,
    notes: Option<String>,
}

const SELECT: &str = "SELECT op.tracking_no, op.category, op.content, op.lat, op.lng, op.address, \
     op.created_at, i.state, i.updated_at, i.deadline_at, a.code AS area_code, o.name AS organ_name, \
     (SELECT u.name FROM handling_assignments ha JOIN handling_units u ON u.id = ha.unit_id \
       WHERE ha.item_id = i.id AND ha.role = 'lead' AND ha.state NOT IN ('returned', 'withdrawn', 'reassigned') ORDER BY ha.round DESC, ha.id DESC LIMIT 1) AS agency, \
     (SELECT e.body FROM handling_events e WHERE e.item_id = i.id AND e.public = true AND e.body <> '' \
       ORDER BY e.id DESC LIMIT 1) AS notes \
     FROM opinions op JOIN handling_items i ON i.id = op.item_id JOIN organs o ON o.id = op.organ_id \
     LEFT JOIN areas a ON a.id = op.area_id";

fn bind(v: impl Into<Value>, values: &mut Vec<Value>) -> String {
    values.push(v.into());
    format!("${}", values.len())
}

/// Which opinions a key's account sees: its console scope. (Without a key, the published
/// ones only, through `model::public_list`.)
fn keyed_scope(p: &Principal, values: &mut Vec<Value>) -> String {
    model::scope_condition(&scope_of(p), values)
}

/// A request as Open311 answers it (plus extension fields); never a name, phone or e-mail.
#[derive(Serialize)]
struct RequestOut {
    service_request_id: String,
    /// `open|closed`
    status: &'static str,
    /// Extension: the loop's state (`held|received|answered_directly|rejected|assigned|
    /// in_progress|replied|rehandling|closed`).
    detailed_status: &'static str,
    /// Extension: the state in Chinese.
    detailed_status_label: &'static str,
    status_notes: Option<String>,
    service_name: String,
    service_code: String,
    description: String,
    agency_responsible: String,
    service_notice: Option<String>,
    requested_datetime: String,
    updated_datetime: String,
    expected_datetime: Option<String>,
    address: Option<String>,
    address_id: Option<String>,
    zipcode: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    media_url: Option<String>,
    /// Extension: the area code of the matter (`jurisdiction_id` of the mapping).
    jurisdiction_id: Option<String>,
}

fn open_or_closed(state: ItemState) -> &'static str {
    if state.is_final() { "closed" } else { "open" }
}

fn out(r: Row, taxonomy: &Taxonomy) -> RequestOut {
    let state = ItemState::parse(&r.state).unwrap_or(ItemState::Received);
    RequestOut {
        service_request_id: r.tracking_no,
        status: open_or_closed(state),
        detailed_status: state.as_str(),
        detailed_status_label: state.label(),
        status_notes: r.notes,
        service_name: if r.category.is_empty() { "未分类".into() } else { r.category.clone() },
        service_code: taxonomy.code(&r.category).to_string(),
        description: r.content,
        agency_responsible: r.agency.unwrap_or(r.organ_name),
        service_notice: None,
        requested_datetime: w3c(r.created_at),
        updated_datetime: w3c(r.updated_at),
        expected_datetime: r.deadline_at.filter(|_| state.with_units()).map(w3c),
        address: r.address,
        address_id: None,
        zipcode: None,
        lat: r.lat,
        long: r.lng,
        media_url: None,
        jurisdiction_id: r.area_code,
    }
}

/// A published opinion as the anonymous feed answers it: what `/public` shows.
fn out_public(r: model::PublicRow, taxonomy: &Taxonomy) -> RequestOut {
    RequestOut {
        service_request_id: r.tracking_no,
        status: "closed",
        detailed_status: ItemState::Closed.as_str(),
        detailed_status_label: ItemState::Closed.label(),
        status_notes: Some(r.reply).filter(|x| !x.is_empty()),
        service_name: if r.category.is_empty() { "未分类".into() } else { r.category.clone() },
        service_code: taxonomy.code(&r.category).to_string(),
        description: if r.body.is_empty() { r.title } else { r.body },
        agency_responsible: r.organ_name,
        service_notice: None,
        requested_datetime: w3c(r.created_at),
        updated_datetime: w3c(r.closed_at.unwrap_or(r.published_at)),
        expected_datetime: None,
        address: None,
        address_id: None,
        zipcode: None,
        lat: None,
        long: None,
        media_url: None,
        jurisdiction_id: r.area_code,
    }
}

/// The anonymous answer: published opinions matching `f`.
async fn fetch_public(s: &AppState, f: &model::PublicFilter) -> AppResult<Vec<RequestOut>> {
    let organ = crate::org::default_organ(&s.db).await?.ok_or(AppError::NotFound)?;
    let (rows, _) = model::public_list(&s.db, &organ.path, f, MAX_RESULTS, 0).await?;
    let taxonomy = model::taxonomy(s).await?;
    Ok(rows.into_iter().map(|r| out_public(r, &taxonomy)).collect())
}

async fn fetch(s: &AppState, sql_where: &str, mut values: Vec<Value>) -> AppResult<Vec<RequestOut>> {
    values.push(MAX_RESULTS.into());
    let sql = format!("{SELECT} WHERE {sql_where} ORDER BY op.id DESC LIMIT ${}", values.len());
    let rows: Vec<Row> = db::query_all(&s.db, &sql, values).await?;
    let taxonomy = model::taxonomy(s).await?;
    Ok(rows.into_iter().map(|r| out(r, &taxonomy)).collect())
}

async fn requests(State(s): State<AppState>, uri: Uri) -> AppResult<Response> {
    let q = Params::from_query(&uri)?;
    let p = key_principal(&s, &q).await?;
    let area = jurisdiction(&s, &q).await?;
    let mut values = Vec::new();
    let mut pf = model::PublicFilter { area_path: area.clone(), ..Default::default() };
    let mut w = match &p {
        Some(p) => vec![keyed_scope(p, &mut values)],
        None => Vec::new(),
    };
    if let Some(ids) = q.get("service_request_id") {
        // The specification: with ids, the other filters are ignored.
        let ids: Vec<&str> = ids.split(',').map(str::trim).filter(|i| !i.is_empty()).collect();
        if ids.len() > MAX_IDS {
            return Err(AppError::invalid("service_request_id", format!("一次最多查询 {MAX_IDS} 个编号")));
        }
        if p.is_none() {
            let f =
                model::PublicFilter { tracking_nos: ids.iter().map(|i| i.to_string()).collect(), ..Default::default() };
            return Ok(json(StatusCode::OK, &fetch_public(&s, &f).await?));
        }
        let marks: Vec<String> = ids.iter().map(|i| bind(i.to_uppercase(), &mut values)).collect();
        w.push(format!("op.tracking_no IN ({})", marks.join(", ")));
        return Ok(json(StatusCode::OK, &fetch(&s, &w.join(" AND "), values).await?));
    }
    if let Some(code) = q.get("service_code") {
        let codes: Vec<&str> = code.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
        let mut marks = Vec::new();
        let taxonomy = model::taxonomy(&s).await?;
        for c in codes {
            let category = taxonomy
                .by_code(c)
                .map(str::to_string)
                .ok_or_else(|| AppError::invalid("service_code", format!("没有这个 service_code：{c}")))?;
            pf.categories.push(category.clone());
            marks.push(bind(category, &mut values));
        }
        w.push(format!("op.category IN ({})", marks.join(", ")));
    }
    let start = date_param(&q, "start_date", false)?;
    let end = date_param(&q, "end_date", true)?;
    if let (Some(a), Some(b)) = (start, end)
        && a > b
    {
        return Err(AppError::invalid("end_date", "end_date 不能早于 start_date"));
    }
    let start = start.unwrap_or_else(|| end.unwrap_or_else(db::now) - DEFAULT_WINDOW_DAYS * 86_400);
    w.push(format!("op.created_at >= {}", bind(start, &mut values)));
    pf.from = Some(start);
    if let Some(end) = end {
        w.push(format!("op.created_at <= {}", bind(end, &mut values)));
        pf.to = Some(end);
    }
    let mut only_open = false;
    if let Some(status) = q.get("status") {
        let mut open = false;
        let mut closed = false;
        for st in status.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            match st {
                "open" => open = true,
                "closed" => closed = true,
                _ => return Err(AppError::invalid("status", "status 应为 open 或 closed")),
            }
        }
        match (open, closed) {
            (true, false) => {
                only_open = true;
                w.push("i.state NOT IN ('closed', 'rejected')".into());
            }
            (false, true) => w.push("i.state IN ('closed', 'rejected')".into()),
            _ => {}
        }
    }
    let Some(_) = &p else {
        // Published opinions are closed: none is open.
        if only_open {
            return Ok(json(StatusCode::OK, &Vec::<RequestOut>::new()));
        }
        return Ok(json(StatusCode::OK, &fetch_public(&s, &pf).await?));
    };
    if let Some(path) = area {
        w.push(format!("a.path LIKE {} ESCAPE '\\'", bind(format!("{}%", db::like_escape(&path)), &mut values)));
    }
    Ok(json(StatusCode::OK, &fetch(&s, &w.join(" AND "), values).await?))
}

/// One visible request by its tracking number, or 404.
async fn one(s: &AppState, p: Option<&Principal>, id: &str) -> AppResult<RequestOut> {
    let Some(p) = p else {
        let f = model::PublicFilter { tracking_nos: vec![id.to_string()], ..Default::default() };
        return fetch_public(s, &f).await?.into_iter().next().ok_or(AppError::NotFound);
    };
    let mut values = Vec::new();
    let vis = keyed_scope(p, &mut values);
    let w = format!("{vis} AND op.tracking_no = {}", bind(id.trim().to_uppercase(), &mut values));
    fetch(s, &w, values).await?.into_iter().next().ok_or(AppError::NotFound)
}

async fn request(State(s): State<AppState>, uri: Uri, Path(id): Path<String>) -> AppResult<Response> {
    let q = Params::from_query(&uri)?;
    let p = key_principal(&s, &q).await?;
    jurisdiction(&s, &q).await?;
    let id = strip_format(&id)?;
    Ok(json(StatusCode::OK, &[one(&s, p.as_ref(), id).await?]))
}

#[derive(Serialize)]
struct TokenOut {
    service_request_id: String,
    token: String,
}

/// Requests are created at once, so a request's token is its id: `tokens/{id}` answers the
/// id for a request the caller may see.
async fn token(State(s): State<AppState>, uri: Uri, Path(id): Path<String>) -> AppResult<Response> {
    let q = Params::from_query(&uri)?;
    let p = key_principal(&s, &q).await?;
    jurisdiction(&s, &q).await?;
    let id = strip_format(&id)?;
    let r = one(&s, p.as_ref(), id).await?;
    Ok(json(
        StatusCode::OK,
        &[TokenOut { token: r.service_request_id.clone(), service_request_id: r.service_request_id }],
    ))
}

#[derive(FromQueryResult)]
struct UpdateRow {
    id: i64,
    tracking_no: String,
    at: i64,
    step: String,
    detail: String,
    body: String,
}

#[derive(Serialize)]
struct UpdateOut {
    update_id: String,
    service_request_id: String,
    /// `closed` for the step that closed the request (办结, 不予受理), else `open`.
    status: &'static str,
    updated_datetime: String,
    description: String,
    media_url: Option<String>,
    /// Extension: the step of the loop (`submit|assign|reply|close|…`).
    step: String,
    /// Extension: the step in Chinese.
    step_label: String,
}

/// `servicerequestupdates`: the public lines of the visible requests' histories, oldest first,
/// between `start_date` (default: a day before `end_date`) and `end_date` (default: now).
async fn updates(State(s): State<AppState>, uri: Uri) -> AppResult<Response> {
    let q = Params::from_query(&uri)?;
    let p = key_principal(&s, &q).await?;
    let area = jurisdiction(&s, &q).await?;
    let end = date_param(&q, "end_date", true)?.unwrap_or_else(db::now);
    let start = date_param(&q, "start_date", false)?.unwrap_or(end - 86_400);
    if start > end {
        return Err(AppError::invalid("end_date", "end_date 不能早于 start_date"));
    }
    let mut values = Vec::new();
    let mut w = vec!["e.public = true".to_string()];
    // Without a key: the published opinions only, and the steps without their text (what
    // `/public` shows); with one, the key's scope with the lines its submitters see.
    let (publication_join, anonymous) = match &p {
        Some(p) => {
            w.push(keyed_scope(p, &mut values));
            (String::new(), false)
        }
        None => {
            let organ = crate::org::default_organ(&s.db).await?.ok_or(AppError::NotFound)?;
            w.push(format!(
                "o.path LIKE {} ESCAPE '\\'",
                bind(format!("{}%", db::like_escape(&organ.path)), &mut values)
            ));
            w.push("op.allow_public = true AND i.state = 'closed'".into());
            (crate::publish::live_join("pb", super::publication::OWNER, "op.id"), true)
        }
    };
    w.push(format!("e.at >= {}", bind(start, &mut values)));
    w.push(format!("e.at <= {}", bind(end, &mut values)));
    if let Some(path) = area {
        w.push(format!("a.path LIKE {} ESCAPE '\\'", bind(format!("{}%", db::like_escape(&path)), &mut values)));
    }
    values.push(MAX_RESULTS.into());
    let sql = format!(
        "SELECT e.id, op.tracking_no, e.at, e.step, e.detail, e.body FROM handling_events e \
         JOIN opinions op ON op.item_id = e.item_id JOIN handling_items i ON i.id = e.item_id \
         JOIN organs o ON o.id = op.organ_id LEFT JOIN areas a ON a.id = op.area_id {publication_join} \
         WHERE {} ORDER BY e.at, e.id LIMIT ${}",
        w.join(" AND "),
        values.len()
    );
    let rows: Vec<UpdateRow> = db::query_all(&s.db, &sql, values).await?;
    let list: Vec<UpdateOut> = rows
        .into_iter()
        .map(|r| {
            let label = event_label(&r.step, &r.detail);
            UpdateOut {
                update_id: r.id.to_string(),
                service_request_id: r.tracking_no,
                status: if matches!(r.step.as_str(), "close" | "reject") { "closed" } else { "open" },
                updated_datetime: w3c(r.at),
                description: if anonymous || r.body.trim().is_empty() { label.clone() } else { r.body },
                media_url: None,
                step: r.step,
                step_label: label,
            }
        })
        .collect();
    Ok(json(StatusCode::OK, &list))
}

// ------------------------------------------------------------------ creating a request

/// What the answer of a POST holds (plus the query code, which the key holder passes on to
/// the citizen as the other channels do).
#[derive(Serialize)]
struct Created {
    service_request_id: String,
    service_notice: String,
    /// Extension: the private query code that goes with the tracking number (`/track`).
    query_code: String,
}

/// `service::validate`'s field names as this endpoint's callers spell them.
fn open311_names(e: AppError) -> AppError {
    let rename = |f: &str| -> String {
        match f {
            "content" => "description",
            "area_code" => "jurisdiction_id",
            "name" => "last_name",
            "category" => "service_code",
            other => other,
        }
        .to_string()
    };
    match e {
        AppError::Invalid { detail, fields } => AppError::Invalid {
            detail,
            fields: fields.into_iter().map(|f| FieldError { field: rename(&f.field), message: f.message }).collect(),
        },
        other => other,
    }
}

fn coordinate(q: &Params, name: &str) -> AppResult<Option<f64>> {
    match q.get(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| AppError::invalid(name, "应为十进制度数，如 36.0 或 119.4")),
    }
}

/// What a POST asks for, read and checked before anything is written.
struct NewRequest {
    submission: Submission,
    lat: Option<f64>,
    lng: Option<f64>,
    address: Option<String>,
}

fn read_request(
    q: &Params,
    taxonomy: &Taxonomy,
    station_id: Option<i64>,
    deputy_id: Option<i64>,
) -> AppResult<NewRequest> {
    let mut errors = FieldErrors::new();
    let mut bad = |e: AppError| e.fields().iter().cloned().for_each(|f| errors.push(f));
    let category = match q.get("service_code") {
        None => {
            bad(AppError::invalid("service_code", "缺少必填参数 service_code（可用的编码见 services.json）"));
            ""
        }
        Some(c) => match taxonomy.by_code(c).filter(|c| !c.is_empty() && taxonomy.accepts(c)) {
            Some(category) => category,
            None => {
                bad(AppError::invalid(
                    "service_code",
                    format!("没有这个 service_code：{c}（可用的编码见 services.json）"),
                ));
                ""
            }
        },
    };
    if q.get("description").is_none() {
        bad(AppError::invalid("description", "缺少必填参数 description：请把问题写清楚"));
    }
    let (lat, lng) = match (coordinate(q, "lat"), coordinate(q, "long")) {
        (Ok(Some(lat)), Ok(Some(lng))) if crate::org::valid_wgs84(lat, lng) => (Some(lat), Some(lng)),
        (Ok(Some(_)), Ok(Some(_))) => {
            bad(AppError::invalid("lat", "坐标超出范围（纬度 −90 至 90，经度 −180 至 180）"));
            (None, None)
        }
        (Ok(None), Ok(None)) => (None, None),
        (Ok(_), Ok(_)) => {
            bad(AppError::invalid("long", "lat 和 long 须同时提供"));
            (None, None)
        }
        (a, b) => {
            for e in [a.err(), b.err()].into_iter().flatten() {
                bad(e);
            }
            (None, None)
        }
    };
    let address = q.get("address_string").map(str::to_string);
    if address.as_ref().is_some_and(|a| a.chars().count() > 200) {
        bad(AppError::invalid("address_string", "地址不能超过 200 字"));
    }
    if q.get("email").is_some_and(|e| e.chars().count() > 200 || !e.contains('@')) {
        bad(AppError::invalid("email", "电子邮件地址格式不正确"));
    }
    let name = format!("{}{}", q.get("last_name").unwrap_or(""), q.get("first_name").unwrap_or(""));
    let phone = q.get("phone").map(service::normalise_phone).unwrap_or_default();
    let allow_public = matches!(q.get("allow_public"), Some("true" | "1" | "yes"));
    errors.check()?;
    let submission = Submission {
        channel: Some(Channel::Open311),
        station_id,
        deputy_id,
        area_code: q.get("jurisdiction_id").map(str::to_string),
        category: category.to_string(),
        title: String::new(),
        content: q.get("description").unwrap_or("").to_string(),
        name,
        phone,
        allow_public,
        anonymous: true,
        // The key holder is an intake system of the organ answering for the citizen's
        // agreement, as a clerk taking a call does.
        consent: true,
        external_no: None,
    };
    service::validate(&submission, taxonomy).map_err(open311_names)?;
    Ok(NewRequest { submission, lat, lng, address })
}

async fn create(
    State(s): State<AppState>,
    ip: ClientIp,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let mut pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
        .map_err(|_| AppError::BadRequest("查询参数无法识别".into()))?;
    pairs.extend(body_params(&headers, &body)?);
    let q = Params::checked(pairs)?;
    let Some(p) = key_principal(&s, &q).await? else {
        return Err(AppError::Forbidden("缺少 api_key：提交诉求须使用有写权限的接口令牌".into()));
    };
    if p.token_scope != Some(Scope::Write) {
        return Err(AppError::Forbidden("只读令牌不能提交诉求，请使用有写权限的接口令牌".into()));
    }
    let Some((_, station_id, deputy_id)) = entry_source(&p) else {
        return Err(AppError::Forbidden(
            "此 api_key 所属账号不能代为提交诉求（须为机关工作人员、联络站管理员或代表）".into(),
        ));
    };
    super::pages::check_entry_at(&s, &p, &ip, station_id, deputy_id, "open311").await?;
    jurisdiction(&s, &q).await?;
    let NewRequest { submission, lat, lng, address } =
        read_request(&q, &*model::taxonomy(&s).await?, station_id, deputy_id)?;
    let now = db::now();
    let lexicon = super::lexicon::current(&s).await?;
    let receipt: Receipt = write(&s, &p, &ip, async |w| {
        let receipt = service::submit_with_limits(
            w.txn(),
            w.key(),
            &s.crypto,
            &crate::notify::Limits::of(&s.config),
            w.actor(),
            &submission,
            &service::Source {
                channel: Channel::Open311,
                entered_by: Some(p.account_id),
                client: &ip.0,
                now,
                lexicon: &lexicon,
            },
        )
        .await?;
        if lat.is_some() || address.is_some() {
            place(w.txn(), receipt.opinion_id, lat, lng, address.as_deref()).await?;
        }
        Ok(receipt)
    })
    .await
    .map_err(open311_names)?;
    let notice = if receipt.held {
        format!("已收到，内容需人工审核后受理。查询编号 {}，查询码 {}", receipt.tracking_no, receipt.query_code)
    } else {
        format!(
            "已受理。查询编号 {}，查询码 {}，可在“办理进度查询”页面查看办理情况和答复",
            receipt.tracking_no, receipt.query_code
        )
    };
    Ok(json(
        StatusCode::CREATED,
        &[Created { service_request_id: receipt.tracking_no, service_notice: notice, query_code: receipt.query_code }],
    ))
}

/// Where the request says the matter is.
async fn place<C: ConnectionTrait>(
    c: &C,
    opinion_id: i64,
    lat: Option<f64>,
    lng: Option<f64>,
    address: Option<&str>,
) -> AppResult<()> {
    db::exec(
        c,
        "UPDATE opinions SET lat = $1, lng = $2, address = $3 WHERE id = $4",
        vec![lat.into(), lng.into(), address.map(str::to_string).into(), opinion_id.into()],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3c_times_read_and_written_in_beijing_time() {
        let t = parse_w3c("2026-05-01T08:30:00+08:00", false).unwrap();
        assert_eq!(w3c(t), "2026-05-01T08:30:00+08:00");
        assert_eq!(parse_w3c("2026-05-01T00:30:00Z", false), Some(t));
        // A `+` sent unencoded arrives as a space.
        assert_eq!(parse_w3c("2026-05-01T08:30:00 08:00", false), Some(t));
        assert_eq!(parse_w3c("2026-05-01 08:30:00", false), Some(t));
        let day = parse_w3c("2026-05-01", false).unwrap();
        assert_eq!(w3c(day), "2026-05-01T00:00:00+08:00");
        assert_eq!(parse_w3c("2026-05-01", true), Some(day + 86_399));
        assert_eq!(parse_w3c("5月1日", false), None);
    }

    #[test]
    fn phones_lose_their_country_code_and_separators() {
        assert_eq!(service::normalise_phone("+86 138-0013-8000"), "13800138000");
        assert_eq!(service::normalise_phone("13800138000"), "13800138000");
        assert_eq!(service::normalise_phone("0536-1234567"), "05361234567");
    }

    #[test]
    fn every_category_has_one_ascii_code() {
        let t = model::Taxonomy::defaults();
        assert_eq!(t.items.len(), model::DEFAULT_CATEGORIES.len());
        for (code, category) in model::DEFAULT_CATEGORIES {
            assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
            assert!(t.accepts(category) && t.knows(category));
            assert_eq!(t.code(category), code);
            assert_eq!(t.by_code(code), Some(category));
        }
        assert_eq!(t.code(""), model::UNCLASSIFIED_CODE);
        assert_eq!(t.by_code(model::UNCLASSIFIED_CODE), Some(""));
    }
}
