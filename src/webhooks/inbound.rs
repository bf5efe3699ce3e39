//! `POST /api/v1/webhooks/inbound/{endpoint_id}`: an external system reports the status of one
//! of its orders, signed like our pushes with the endpoint's secret (`sign`: the timestamp, the
//! endpoint, the delivery id and the body). A missing or wrong signature, a delivery id signed
//! for another request, or a timestamp more than five minutes off, is a 401; a delivery id already
//! accepted is a 409 (replay); a body that is not `{"external_no", "status", "text"}` a 422;
//! a disabled endpoint a 403.
//! The domain's handler (`webhooks::inbound_for`) records it, in one audited transaction.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;

use super::{ExternalStatus, Update, model, sign};
use crate::app::error::{AppError, AppResult, FieldError, Problem};
use crate::app::extract::{ClientIp, PathId};
use crate::app::openapi::{Operation, schema};
use crate::app::state::AppState;
use crate::app::write::write_as;
use crate::audit::{self, Actor, Change};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/webhooks/inbound/{id}", post(receive))
}

/// Longest text of an update.
const MAX_TEXT: usize = 2000;

/// An external system's status of one of its orders.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct Body {
    /// The order number in the external system (as imported).
    #[serde(default)]
    external_no: String,
    /// accepted | in_progress | replied | closed
    #[serde(default)]
    status: String,
    /// What happened, for the history (up to 2000 characters).
    #[serde(default)]
    text: String,
}

/// The answer to an accepted update.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Accepted {
    pub ok: bool,
    /// Where it was recorded (the opinion's tracking number).
    pub recorded_on: String,
}

/// The inbound route in the OpenAPI document.
pub const OPERATIONS: &[Operation] = &[Operation::post("/api/v1/webhooks/inbound/{id}", "外部系统回传工单状态（以推送地址的密钥签名：X-Renda-Signature = sha256=HMAC-SHA256(密钥, X-Renda-Timestamp.推送地址编号.X-Renda-Delivery.请求体)）", "数据推送", schema::<Body>, schema::<Accepted>).status(200)];

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// A 401 that says what is wrong with the signature (not the generic 请先登录).
fn unsigned(refusal: sign::Refusal) -> Response {
    let p = Problem {
        type_: "/api/v1/problems/unauthenticated".into(),
        title: "签名校验失败".into(),
        status: 401,
        detail: refusal.message().into(),
        errors: Vec::new(),
    };
    let mut r = (StatusCode::UNAUTHORIZED, axum::Json(p)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::Invalid {
        detail: message.into(),
        fields: vec![FieldError { field: field.into(), message: message.into() }],
    }
}

/// Reads the body: JSON, the text rule, the three fields.
fn read(bytes: &[u8]) -> AppResult<Update> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| invalid("", "请求体不是有效的 JSON"))?;
    crate::app::text::check_json(&value).map_err(|(field, e)| invalid(&field, e.message()))?;
    let b: Body = serde_json::from_value(value)
        .map_err(|_| invalid("", "请求体应为 {\"external_no\": …, \"status\": …, \"text\": …}，字段均为字符串"))?;
    let external_no = b.external_no.trim().to_string();
    if external_no.is_empty() || external_no.chars().count() > 64 {
        return Err(invalid("external_no", "external_no 应为 1 至 64 个字符的外部工单编号"));
    }
    let status = ExternalStatus::parse(b.status.trim())
        .ok_or_else(|| invalid("status", "status 应为 accepted、in_progress、replied 或 closed"))?;
    let text = b.text.trim().to_string();
    if text.chars().count() > MAX_TEXT {
        return Err(invalid("text", &format!("text 不能超过 {MAX_TEXT} 字")));
    }
    Ok(Update { external_no, status, text })
}

async fn receive(
    State(s): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
    headers: HeaderMap,
    bytes: Bytes,
) -> AppResult<Response> {
    let ep = model::endpoint(&s.db, id).await?.ok_or(AppError::NotFound)?;
    if !ep.active {
        return Err(AppError::Forbidden("该推送地址已停用，不接收回传".into()));
    }
    let secret = s.crypto.decrypt(&ep.secret_enc).map_err(|e| AppError::Internal(e.to_string()))?;
    let now = crate::db::now();
    let delivery = header(&headers, "x-renda-delivery").map(str::trim);
    let signed = sign::verify(
        &secret,
        header(&headers, "x-renda-timestamp"),
        header(&headers, "x-renda-signature"),
        ep.id,
        delivery,
        &bytes,
        now,
    );
    let (Ok(()), Some(delivery)) = (signed, delivery) else {
        return Ok(unsigned(signed.err().unwrap_or(sign::Refusal::Missing)));
    };
    let update = read(&bytes)?;
    let handler = super::inbound_for(&s, &ep)?;
    let actor = Actor { account_id: None, name: format!("外部系统:{}", ep.name), on_behalf_of: None, client: ip.0 };
    let recorded = write_as(&s, actor, async |w| {
        model::accept_inbound(w.txn(), ep.id, delivery, now).await?;
        let on = handler(w.txn(), w.key(), w.actor(), ep.organ_id, &update).await?;
        let summary = format!("外部工单 {} 回传状态“{}”，记入 {on}", update.external_no, update.status.label());
        let ch = Change::audited("webhook_inbound", "webhook_endpoint", ep.id, summary).in_organ(ep.organ_id);
        audit::append(w.txn(), w.key(), w.actor(), ch).await?;
        Ok(on)
    })
    .await?;
    Ok(axum::Json(Accepted { ok: true, recorded_on: recorded }).into_response())
}
