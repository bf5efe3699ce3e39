//! The appointments API (in OpenAPI): a public booking, the citizen's look-up with the query
//! code, and with a token or session the bookings of a station.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::model::{self, Appointment, Channel, State as BookingState};
use super::service::{self, Booking, Receipt};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, Auth, ClientIp, Query};
use crate::app::openapi::{OFFSET_PAGING, Operation, id, offset_paging, one_of, param, query_id, schema, text};
use crate::app::state::AppState;
use crate::app::write::write_as;
use crate::audit::Actor;
use crate::opinions::service::{PUBLIC_PER_HOUR, throttle};
use crate::privacy::mask_ip;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/appointments", axum::routing::post(create).get(list))
        .route("/api/v1/appointments/track/{no}", get(track))
}

const TAG: &str = "见面预约";

/// A booking of a duty slot (the slot ids are those of the station's or deputy's open slots).
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    pub slot_id: i64,
    pub topic: String,
    pub name: String,
    /// 11-digit mainland mobile; the receipt, confirmation and reminder go there by SMS.
    pub phone: String,
    /// The citizen agreed to the use of name and phone for this booking (required).
    #[serde(default)]
    pub consent: bool,
}

async fn create(
    State(s): State<AppState>,
    ip: ClientIp,
    ApiJson(input): ApiJson<NewAppointment>,
) -> AppResult<Response> {
    let now = crate::db::now();
    let b = Booking {
        slot_id: Some(input.slot_id).filter(|i| *i > 0),
        topic: input.topic,
        name: input.name,
        phone: input.phone,
        consent: input.consent,
    };
    service::validate(&b)?;
    let cal = crate::calendar::load(&s.db).await?;
    let actor =
        Actor { account_id: None, name: "群众（接口）".into(), on_behalf_of: None, client: mask_ip(&ip.0) };
    let r: Receipt = write_as(&s, actor, async |w| {
        throttle(w.txn(), &s.crypto, "intake", &ip.0, PUBLIC_PER_HOUR, now).await?;
        // The API has no code step: where new numbers are verified, it books only known ones.
        if s.config.sms_verify_new_numbers && !crate::notify::verify::known(w.txn(), &s.crypto, &b.phone).await? {
            return Err(AppError::invalid("phone", "这个手机号尚未验证，请在网页上预约（会先发送短信验证码）"));
        }
        let src = service::Source { channel: Channel::Online, entered_by: None, client: &ip.0, now };
        service::book(w.txn(), w.key(), &s.crypto, &cal, &service::Limits::of(&s.config), w.actor(), &b, &src).await
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(r)).into_response())
}

/// A booking as the API gives it (no name, the phone masked).
#[derive(Serialize, schemars::JsonSchema)]
pub struct AppointmentOut {
    pub booking_no: String,
    /// `requested|confirmed|proposed_other_time|declined|cancelled|attended|no_show`
    pub state: String,
    pub state_label: String,
    pub station_id: i64,
    pub station: String,
    pub deputy_id: Option<i64>,
    pub deputy: Option<String>,
    /// Unix seconds.
    pub start: i64,
    pub end: i64,
    pub proposed_start: Option<i64>,
    pub proposed_end: Option<i64>,
    pub topic: String,
    pub reason: Option<String>,
    /// `online|offline`
    pub channel: String,
    pub phone: String,
    pub created_at: i64,
}

impl From<&Appointment> for AppointmentOut {
    fn from(a: &Appointment) -> Self {
        AppointmentOut {
            booking_no: a.booking_no.clone(),
            state: a.state.clone(),
            state_label: a.state_label().into(),
            station_id: a.station_id,
            station: a.station_name.clone(),
            deputy_id: a.person_id,
            deputy: a.person_name.clone(),
            start: a.slot_start,
            end: a.slot_end,
            proposed_start: a.proposed_start,
            proposed_end: a.proposed_end,
            topic: a.topic.clone(),
            reason: a.reason.clone(),
            channel: a.channel.clone(),
            phone: a.phone_masked.clone(),
            created_at: a.created_at,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct CodeQuery {
    code: Option<String>,
}

async fn track(
    State(s): State<AppState>,
    ip: ClientIp,
    Path(no): Path<String>,
    Query(q): Query<CodeQuery>,
) -> AppResult<Response> {
    super::public::throttle_lookup(&s, &ip.0).await?;
    let a = service::track(&s.db, &s.crypto, &no, q.code.as_deref().unwrap_or("")).await?;
    Ok(axum::Json(AppointmentOut::from(&a)).into_response())
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    station_id: Option<String>,
    state: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct AppointmentList {
    pub total: i64,
    pub items: Vec<AppointmentOut>,
}

async fn list(Auth(p): Auth, State(s): State<AppState>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let scope = super::pages::scope_of(&p);
    if scope.is_empty() {
        return Err(AppError::NotFound);
    }
    let station = query_id("station_id", q.station_id.as_deref())?;
    let state = match q.state.as_deref() {
        None => None,
        Some(v) => Some(BookingState::parse(v).ok_or_else(|| AppError::invalid("state", "未知的状态"))?),
    };
    let (limit, offset) = offset_paging(q.limit, q.offset, 50, 200)?;
    let (rows, total) = model::list(&s.db, &scope, station, state, limit, offset).await?;
    Ok(axum::Json(AppointmentList { total, items: rows.iter().map(AppointmentOut::from).collect() }).into_response())
}

/// The `state` filter: the values `State::parse` accepts.
fn states() -> serde_json::Value {
    one_of(BookingState::ALL.iter().map(|s| s.as_str()))
}

pub const OPERATIONS: &[Operation] = &[
    Operation::post(
        "/api/v1/appointments",
        "预约见面（公开）→ 预约编号和查询码；时段已满为 409",
        TAG,
        schema::<NewAppointment>,
        schema::<Receipt>,
    ),
    Operation::get("/api/v1/appointments/track/{no}", "预约人查询预约（须查询码 code）", TAG, schema::<AppointmentOut>)
        .query(&[param("code", "查询码", text)]),
    Operation::get(
        "/api/v1/appointments",
        "见面预约列表（联络站管理员本站、代表本人、机关工作人员本级及下级）",
        TAG,
        schema::<AppointmentList>,
    )
    .signed_in()
    .query(&[
        param("station_id", "联络站编号", id),
        param("state", "状态", states),
        OFFSET_PAGING[0],
        OFFSET_PAGING[1],
    ]),
];
