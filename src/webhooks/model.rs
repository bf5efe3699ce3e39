//! Endpoints and deliveries: SQL and the audited changes an admin makes.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::EventKind;
use super::outbound;
use crate::app::codes::code_enum;
use crate::app::error::{AppError, AppResult, FieldError};
use crate::audit::{self, Actor, Change};
use crate::db;

code_enum! {
    /// Where a delivery is.
    pub enum DeliveryState {
        Pending = ("pending", "待推送"),
        Delivered = ("delivered", "已送达"),
        Failed = ("failed", "已放弃"),
    }
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct Endpoint {
    pub id: i64,
    pub organ_id: i64,
    pub name: String,
    pub url: String,
    pub secret_enc: String,
    pub events: String,
    pub active: bool,
    pub created_at: i64,
}

impl Endpoint {
    /// The event codes it receives.
    pub fn event_codes(&self) -> Vec<&str> {
        self.events.split(',').map(str::trim).filter(|e| !e.is_empty()).collect()
    }
    pub fn receives(&self, code: &str) -> bool {
        self.event_codes().contains(&code)
    }
    pub fn event_labels(&self, known: &[&'static EventKind]) -> String {
        self.event_codes()
            .iter()
            .map(|c| known.iter().find(|k| k.code == *c).map(|k| k.label).unwrap_or(c))
            .collect::<Vec<_>>()
            .join("、")
    }
}

const ENDPOINT_COLS: &str = "id, organ_id, name, url, secret_enc, events, active, created_at";

pub async fn endpoints<C: ConnectionTrait>(c: &C, organ_id: i64) -> Result<Vec<Endpoint>, DbErr> {
    db::query_all(
        c,
        &format!("SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE organ_id = $1 ORDER BY id"),
        vec![organ_id.into()],
    )
    .await
}

pub async fn endpoint<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Endpoint>, DbErr> {
    db::query_one(c, &format!("SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE id = $1"), vec![id.into()]).await
}

/// An endpoint as an admin typed it.
#[derive(Clone, Debug, Default)]
pub struct EndpointInput {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
}

fn field_errors(input: &EndpointInput, known: &[&'static EventKind]) -> (Vec<FieldError>, Vec<&'static str>) {
    let mut fields = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        fields.push(FieldError { field: "name".into(), message: "请填写名称".into() });
    } else if name.chars().count() > 50 {
        fields.push(FieldError { field: "name".into(), message: "名称不能超过 50 字".into() });
    }
    if input.url.is_empty() {
        fields.push(FieldError { field: "url".into(), message: "请填写接收地址".into() });
    } else if let Err(r) = outbound::parse(&input.url) {
        // The shape only; whether its addresses may be sent to is `outbound::check` (the state's).
        fields.push(FieldError { field: "url".into(), message: r.message().into() });
    }
    let mut codes = Vec::new();
    for e in &input.events {
        match known.iter().find(|k| k.code == e.as_str()) {
            Some(k) if !codes.contains(&k.code) => codes.push(k.code),
            Some(_) => {}
            None => fields.push(FieldError { field: "events".into(), message: format!("没有这种事件：{e}") }),
        }
    }
    if codes.is_empty() && fields.iter().all(|f| f.field != "events") {
        fields.push(FieldError { field: "events".into(), message: "请至少选择一种推送事件".into() });
    }
    (fields, codes)
}

fn invalid(fields: Vec<FieldError>) -> AppError {
    AppError::Invalid { detail: "请修改标出的内容".into(), fields }
}

fn validate(input: &EndpointInput, known: &[&'static EventKind]) -> AppResult<String> {
    let (fields, codes) = field_errors(input, known);
    if fields.is_empty() { Ok(codes.join(",")) } else { Err(invalid(fields)) }
}

/// The form's errors when the address itself is refused (`outbound::check`): that one on the
/// URL field, with whatever else is wrong.
pub fn refused_url(input: &EndpointInput, known: &[&'static EventKind], refusal: outbound::Refusal) -> AppError {
    let (mut fields, _) = field_errors(input, known);
    fields.retain(|f| f.field != "url");
    fields.insert(0, FieldError { field: "url".into(), message: refusal.message().into() });
    invalid(fields)
}

/// A new endpoint with the secret given (shown once to the admin); returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn create<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    crypto: &crate::privacy::FieldCrypto,
    known: &[&'static EventKind],
    organ_id: i64,
    input: &EndpointInput,
    secret: &str,
    now: i64,
) -> AppResult<i64> {
    let events = validate(input, known)?;
    let id = db::insert_id(
        c,
        "INSERT INTO webhook_endpoints (organ_id, name, url, secret_enc, events, active, created_by_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        vec![
            organ_id.into(),
            input.name.trim().into(),
            input.url.clone().into(),
            crypto.encrypt(secret).into(),
            events.clone().into(),
            true.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    let summary = format!("推送地址「{}」{}，事件 {events}", input.name.trim(), input.url);
    audit::append(c, key, actor, change("webhook_endpoint_create", id, organ_id, summary)).await?;
    Ok(id)
}

/// Changes an endpoint's name, address, events or whether it is active.
pub async fn update<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    known: &[&'static EventKind],
    ep: &Endpoint,
    input: &EndpointInput,
    now: i64,
) -> AppResult<()> {
    let events = validate(input, known)?;
    db::exec(
        c,
        "UPDATE webhook_endpoints SET name = $1, url = $2, events = $3, active = $4, updated_at = $5 WHERE id = $6",
        vec![
            input.name.trim().into(),
            input.url.clone().into(),
            events.clone().into(),
            input.active.into(),
            now.into(),
            ep.id.into(),
        ],
    )
    .await?;
    let state = if input.active { "启用" } else { "停用" };
    let summary = format!("推送地址「{}」{}，事件 {events}，{state}", input.name.trim(), input.url);
    audit::append(c, key, actor, change("webhook_endpoint_update", ep.id, ep.organ_id, summary)).await?;
    Ok(())
}

fn change(action: &str, id: i64, organ_id: i64, summary: String) -> Change<'_> {
    Change::audited(action, "webhook_endpoint", id, summary).in_organ(organ_id)
}

/// One delivery as the console lists it.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub endpoint_name: String,
    pub organ_id: i64,
    pub event: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub created_at: i64,
}

impl Delivery {
    pub fn state(&self) -> DeliveryState {
        DeliveryState::parse(&self.state).unwrap_or(DeliveryState::Pending)
    }
    pub fn state_label(&self) -> &'static str {
        self.state().label()
    }
    pub fn when(&self) -> String {
        crate::app::fmt::datetime(self.created_at)
    }
    pub fn next_when(&self) -> String {
        crate::app::fmt::datetime(self.next_attempt_at)
    }
    /// The last attempt's result as the console shows it: an HTTP status, that the endpoint is
    /// disabled, or one generic line for anything below HTTP (rows written before that rule
    /// included), never the low-level reason.
    pub fn result(&self) -> String {
        match (self.last_status, self.last_error.as_deref()) {
            (_, Some(e @ "推送地址已停用")) => e.to_string(),
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(_)) => outbound::UNREACHABLE.to_string(),
            (None, None) => String::new(),
        }
    }
    /// Worth a manual retry: not yet delivered.
    pub fn retryable(&self) -> bool {
        self.state() != DeliveryState::Delivered
    }
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.endpoint_id, e.name AS endpoint_name, e.organ_id, d.event, d.payload, d.state, \
     d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.delivered_at, d.created_at \
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id";

/// The newest deliveries of an organ's endpoints.
pub async fn deliveries<C: ConnectionTrait>(c: &C, organ_id: i64, limit: i64) -> Result<Vec<Delivery>, DbErr> {
    db::query_all(
        c,
        &format!("{DELIVERY_SELECT} WHERE e.organ_id = $1 ORDER BY d.id DESC LIMIT $2"),
        vec![organ_id.into(), limit.into()],
    )
    .await
}

pub async fn delivery<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Delivery>, DbErr> {
    db::query_one(c, &format!("{DELIVERY_SELECT} WHERE d.id = $1"), vec![id.into()]).await
}

/// The deliveries due at `now`, oldest first.
pub async fn due<C: ConnectionTrait>(c: &C, now: i64, limit: i64) -> Result<Vec<Delivery>, DbErr> {
    db::query_all(
        c,
        &format!("{DELIVERY_SELECT} WHERE d.state = 'pending' AND d.next_attempt_at <= $1 ORDER BY d.id LIMIT $2"),
        vec![now.into(), limit.into()],
    )
    .await
}

/// An admin asks for one more attempt now (a failed delivery gets one more try).
pub async fn retry<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, d: &Delivery, now: i64) -> AppResult<()> {
    if d.state() == DeliveryState::Delivered {
        return Err(AppError::Conflict("这条推送已经送达，无需重新推送".into()));
    }
    db::exec(
        c,
        "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1 WHERE id = $2",
        vec![now.into(), d.id.into()],
    )
    .await?;
    super::outbox::wake(c, now).await?;
    let summary = format!("重新推送第 {} 号（{}，已尝试 {} 次）", d.id, d.event, d.attempts);
    let ch = Change::audited("webhook_delivery_retry", "webhook_endpoint", d.endpoint_id, summary).in_organ(d.organ_id);
    audit::append(c, key, actor, ch).await?;
    Ok(())
}

/// Records an accepted inbound delivery id; a second one of the same endpoint is a replay (409).
pub async fn accept_inbound<C: ConnectionTrait>(c: &C, endpoint_id: i64, delivery_id: &str, now: i64) -> AppResult<()> {
    let seen = db::scalar_i64(
        c,
        "SELECT count(*) FROM webhook_inbound WHERE endpoint_id = $1 AND delivery = $2",
        vec![endpoint_id.into(), delivery_id.into()],
    )
    .await?;
    if seen > 0 {
        return Err(AppError::Conflict(format!("编号为 {delivery_id} 的回传已经处理过（重放的请求不再处理）")));
    }
    db::exec(
        c,
        "INSERT INTO webhook_inbound (endpoint_id, delivery, received_at) VALUES ($1, $2, $3)",
        vec![endpoint_id.into(), delivery_id.into(), now.into()],
    )
    .await?;
    Ok(())
}
