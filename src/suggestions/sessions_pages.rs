//! The organ's numbering series and 议案 rule on the console (`/console/suggestions/sessions`:
//! the series with what was numbered in each, 开始人代会会次, 闭会, the co-signers a 议案
//! needs) and in the API (`GET/POST /api/v1/suggestions/sessions`, `POST …/sessions/{id}/close`).
//! Staff and admins of the organ; the writes are `sessions`' audited services.

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::sessions::{self, BILL_MIN_RANGE, NewSession, Series};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, ClientIp, Form, PathId, strict};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::openapi::{Operation, schema};
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal, Resource};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/suggestions/sessions", get(page).post(open_form))
        .route("/console/suggestions/sessions/{id}/close", post(close_form))
        .route("/console/suggestions/rules", post(rules_form))
        .route("/api/v1/suggestions/sessions", get(api_list).post(api_open))
        .route("/api/v1/suggestions/sessions/{id}/close", post(api_close))
}

/// Staff (and admins) of the caller's organ manage its series and rules.
async fn may_manage(s: &AppState, p: &Principal, ip: &ClientIp, target: &str) -> AppResult<()> {
    let at_organ =
        Resource::Draft { organ_path: &p.organ_path, author: 0, co_authors: &[], participants: &[], submitted: true };
    guard::check(s, p, ip, Action::Change(Field::ItemTriage), &at_organ, target).await
}

fn this_year() -> i64 {
    i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(crate::db::now())))
}

#[derive(Template)]
#[template(path = "suggestions/sessions.html")]
struct PageTpl {
    l: Layout,
    series: Vec<Series>,
    /// A 人代会 session is open now.
    session_open: bool,
    year: i64,
    rule: sessions::BillRule,
    min: i64,
    max: i64,
}

async fn page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    may_manage(&s, &p, &ip, "sessions").await?;
    let series = sessions::series(&s.db, p.organ_id).await?;
    let rule = sessions::bill_minimum(&s.db, p.organ_id).await?;
    render(&PageTpl {
        l: page.layout("会次编号与议案规则", &[("/console/suggestions", "代表建议")]),
        session_open: series.iter().any(Series::is_open_session),
        series,
        year: this_year(),
        rule,
        min: *BILL_MIN_RANGE.start(),
        max: *BILL_MIN_RANGE.end(),
    })
}

#[derive(Deserialize, Default)]
struct OpenForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    year: String,
}

fn year_of(v: &str) -> AppResult<Option<i64>> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>().map(Some).map_err(|_| AppError::invalid("year", "年度应为 2000 到 2100 之间的整数"))
}

async fn open_form(Caller { p, s, ip }: Caller, Form(f): Form<OpenForm>) -> AppResult<Response> {
    may_manage(&s, &p, &ip, "new").await?;
    let new = NewSession { name: &f.name, year: year_of(&f.year)? };
    let now = crate::db::now();
    let organ = p.organ_id;
    write(&s, &p, &ip, async |w| sessions::open(w.txn(), w.key(), w.actor(), organ, &new, now).await).await?;
    Ok(redirect_with_flash("/console/suggestions/sessions", "会次已开始，此后提交的建议在本会次编号"))
}

async fn close_form(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    may_manage(&s, &p, &ip, &id.to_string()).await?;
    let organ = p.organ_id;
    write(&s, &p, &ip, async |w| sessions::close(w.txn(), w.key(), w.actor(), organ, id).await).await?;
    Ok(redirect_with_flash("/console/suggestions/sessions", "已闭会，此后提交的建议在闭会期间编号"))
}

#[derive(Deserialize, Default)]
struct RulesForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    bill_min_cosigners: String,
}

async fn rules_form(Caller { p, s, ip }: Caller, Form(f): Form<RulesForm>) -> AppResult<Response> {
    may_manage(&s, &p, &ip, &p.organ_id.to_string()).await?;
    let n = f.bill_min_cosigners.parse::<i64>().ok();
    let now = crate::db::now();
    let organ = p.organ_id;
    write(&s, &p, &ip, async |w| sessions::set_bill_minimum(w.txn(), w.key(), w.actor(), organ, n, now).await).await?;
    Ok(redirect_with_flash("/console/suggestions/sessions", "已保存议案所需联名人数"))
}

/// The organ's series and its 议案 rule.
#[derive(Serialize, schemars::JsonSchema)]
pub struct SessionsOut {
    /// Confirmed co-signers a 议案 needs (without a 代表团).
    pub bill_min_cosigners: i64,
    /// The organ set it itself (else the legal default: 5 at a township, 10 above).
    pub bill_min_own: bool,
    /// Newest first.
    pub series: Vec<Series>,
}

async fn sessions_out(s: &AppState, organ: i64) -> AppResult<SessionsOut> {
    let rule = sessions::bill_minimum(&s.db, organ).await?;
    Ok(SessionsOut {
        bill_min_cosigners: rule.need,
        bill_min_own: rule.own,
        series: sessions::series(&s.db, organ).await?,
    })
}

async fn api_list(Caller { p, s, ip }: Caller) -> AppResult<Response> {
    may_manage(&s, &p, &ip, "sessions").await?;
    Ok(axum::Json(sessions_out(&s, p.organ_id).await?).into_response())
}

/// A 人代会 session to open.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionIn {
    /// 「第十九届人民代表大会第三次会议」 (4 to 60 characters).
    pub name: String,
    #[schemars(range(min = 2000, max = 2100))]
    pub year: i64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Opened {
    pub id: i64,
}

async fn api_open(Caller { p, s, ip }: Caller, ApiJson(v): ApiJson<serde_json::Value>) -> AppResult<Response> {
    may_manage(&s, &p, &ip, "new").await?;
    let b: SessionIn = strict(v)?;
    let new = NewSession { name: &b.name, year: Some(b.year) };
    let now = crate::db::now();
    let organ = p.organ_id;
    let id = write(&s, &p, &ip, async |w| sessions::open(w.txn(), w.key(), w.actor(), organ, &new, now).await).await?;
    Ok((StatusCode::CREATED, axum::Json(Opened { id })).into_response())
}

async fn api_close(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    may_manage(&s, &p, &ip, &id.to_string()).await?;
    let organ = p.organ_id;
    write(&s, &p, &ip, async |w| sessions::close(w.txn(), w.key(), w.actor(), organ, id).await).await?;
    Ok(axum::Json(sessions_out(&s, organ).await?).into_response())
}

const TAG: &str = "代表建议";

pub const LIST: Operation = Operation::get(
    "/api/v1/suggestions/sessions",
    "本机关的建议编号序列（人代会会次、闭会期间）及各自已编号件数、下一个编号，和议案所需联名人数（机关工作人员）",
    TAG,
    schema::<SessionsOut>,
)
.signed_in();

pub const OPEN: Operation = Operation::post(
    "/api/v1/suggestions/sessions",
    "开始人代会会次（同一时间只能有一个）：此后提交的建议在本会次编号 → id",
    TAG,
    schema::<SessionIn>,
    schema::<Opened>,
)
.signed_in();

pub const CLOSE: Operation = Operation::new(
    "post",
    "/api/v1/suggestions/sessions/{id}/close",
    "人代会闭会：此后提交的建议在该年度闭会期间序列编号",
    TAG,
    schema::<SessionsOut>,
)
.signed_in()
.empty_body();
