//! The receptions API (stable; in OpenAPI): the receptions the caller sees, one with its
//! deputies present and its three lists, and a new reception with its issues raised (each
//! entered as an opinion, channel `reception`).

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::model::{self, Item, Reception};
use super::pages::{ListQuery, check_reception, check_station, scope_of, today};
use super::service::{self, Created, Entry, NewReception};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, PathId, Query};
use crate::app::openapi::{Operation, id, param, schema};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Resource};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/receptions", get(list).post(create)).route("/api/v1/receptions/{id}", get(detail))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ReceptionOut {
    pub id: i64,
    pub organ_id: i64,
    pub station_id: i64,
    pub station_name: String,
    /// `YYYY-MM-DD`
    pub held_on: String,
    pub theme: String,
    pub attendees: String,
    /// Deputies present.
    pub deputies: i64,
    /// Issues on the 问题清单.
    pub problems: i64,
    pub created_at: i64,
}

fn out(r: &Reception) -> ReceptionOut {
    ReceptionOut {
        id: r.id,
        organ_id: r.organ_id,
        station_id: r.station_id,
        station_name: r.station_name.clone(),
        held_on: r.held_on.clone(),
        theme: r.theme.clone(),
        attendees: r.attendees.clone(),
        deputies: r.deputies,
        problems: r.problems,
        created_at: r.created_at,
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ReceptionList {
    pub items: Vec<ReceptionOut>,
}

/// The API's own check of `station` (the console's filter ignores a value it cannot read).
#[derive(serde::Deserialize)]
struct StationParam {
    station: Option<String>,
    month: Option<String>,
}

fn month() -> serde_json::Value {
    serde_json::json!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"})
}

async fn list(
    Caller { p, s, .. }: Caller,
    Query(q): Query<ListQuery>,
    Query(station): Query<StationParam>,
) -> AppResult<Response> {
    crate::app::openapi::query_id("station", station.station.as_deref())?;
    if station.month.as_deref() == Some("") {
        return Err(AppError::invalid("month", "月份应写作 YYYY-MM，如 2026-12"));
    }
    let scope = scope_of(&s, &p).await?;
    let f = q.filter()?;
    let rows = if scope.is_empty() { Vec::new() } else { model::list(&s.db, &scope, &f, 200).await? };
    Ok(axum::Json(ReceptionList { items: rows.iter().map(out).collect() }).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct DeputyOut {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ItemOut {
    pub id: i64,
    /// `problem|countermeasure|feedback`
    pub kind: String,
    pub body: String,
    /// The opinion a problem was entered as.
    pub opinion_id: Option<i64>,
    pub tracking_no: Option<String>,
    /// The opinion's state in the handling loop.
    pub state: Option<String>,
    /// Feedback: the promised date, `YYYY-MM-DD`.
    pub promised_on: Option<String>,
    pub fulfilled_on: Option<String>,
    pub fulfilment: String,
    /// Feedback promised before today and not fulfilled.
    pub overdue: bool,
}

fn item_out(i: &Item, today: &str) -> ItemOut {
    ItemOut {
        id: i.id,
        kind: i.kind.clone(),
        body: i.body.clone(),
        opinion_id: i.opinion_id,
        tracking_no: i.tracking_no.clone(),
        state: i.state.clone(),
        promised_on: i.promised_on.clone(),
        fulfilled_on: i.fulfilled_on.clone(),
        fulfilment: i.fulfilment.clone(),
        overdue: i.overdue(today),
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ReceptionDetail {
    #[serde(flatten)]
    pub reception: ReceptionOut,
    pub deputies_present: Vec<DeputyOut>,
    pub items: Vec<ItemOut>,
}

async fn detail(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (r, _) = check_reception(&s, &p, &ip, Action::View, id).await?;
    let deputies = model::deputies(&s.db, id).await?;
    let items = model::items(&s.db, id).await?;
    let today = today();
    Ok(axum::Json(ReceptionDetail {
        reception: out(&r),
        deputies_present: deputies.into_iter().map(|(id, name)| DeputyOut { id, name }).collect(),
        items: items.iter().map(|i| item_out(i, &today)).collect(),
    })
    .into_response())
}

/// A new reception (staff of the station's organ or above, or the station's keeper).
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub struct NewReceptionIn {
    pub station_id: Option<i64>,
    /// `YYYY-MM-DD`, not after today.
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub theme: String,
    /// Other people present (department heads, enterprises).
    #[serde(default)]
    pub attendees: String,
    /// Deputies present, from the station's deputies (at least `reception_min_deputies`).
    #[serde(default)]
    pub deputies: Vec<i64>,
    /// The issues raised, each entered as an opinion.
    #[serde(default)]
    pub issues: Vec<String>,
}

async fn create(Caller { p, s, ip }: Caller, ApiJson(input): ApiJson<NewReceptionIn>) -> AppResult<Response> {
    let Some(station_id) = input.station_id else {
        // Nothing to record at: refused as for the organ's receptions as a whole, else named.
        let whole = Resource::Reception { organ_path: &p.organ_path, station_id: None, station_deputies: &[] };
        crate::app::guard::check(&s, &p, &ip, Action::Create, &whole, "new").await?;
        return Err(AppError::invalid("station_id", "请指定联络站"));
    };
    check_station(&s, &p, &ip, Action::Create, station_id).await?;
    if crate::app::fmt::parse_iso_date(&input.held_on).is_none() {
        return Err(AppError::invalid("held_on", "接待日期应写作 YYYY-MM-DD"));
    }
    let new = NewReception {
        station_id,
        held_on: input.held_on.clone(),
        theme: input.theme.clone(),
        attendees: input.attendees.clone(),
        deputies: input.deputies.clone(),
        issues: input.issues.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect(),
    };
    let lexicon = crate::opinions::lexicon::current(&s).await?;
    let entry = Entry { entered_by: Some(p.account_id), client: &ip.0, now: crate::db::now(), lexicon: &lexicon };
    let min = s.config.reception_min_deputies;
    let created: Created =
        write(&s, &p, &ip, async |w| service::create(w.txn(), w.key(), &s.crypto, w.actor(), min, &new, &entry).await)
            .await?;
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

const TAG: &str = "接待活动";

pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/receptions", "接待活动列表（按角色范围）", TAG, schema::<ReceptionList>)
        .signed_in()
        .query(&[param("station", "联络站编号", id), param("month", "月份 YYYY-MM", month)]),
    Operation::get(
        "/api/v1/receptions/{id}",
        "接待活动详情：参加代表和问题、对策建议、限时反馈三张清单",
        TAG,
        schema::<ReceptionDetail>,
    )
    .signed_in(),
    Operation::post(
        "/api/v1/receptions",
        "记录接待活动，收集的问题逐条录入为群众意见（渠道：接待活动）",
        TAG,
        schema::<NewReceptionIn>,
        schema::<Created>,
    )
    .signed_in(),
];
