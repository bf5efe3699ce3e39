//! OPN-3: a submitter who lost the tracking number finds their submissions with their phone
//! and an SMS code. `/track/lost`: the phone → a 6-digit code by SMS (10 minutes, 5 tries,
//! throttled per address and per phone; the page never says whether the phone is known) →
//! the list of their opinions, each with a fresh query code (the old one stops working).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::Rng;
use sea_orm::ConnectionTrait;
use serde::Deserialize;

use super::service;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, CsrfToken, Form};
use crate::app::pages::render;
use crate::app::state::AppState;
use crate::app::write::write_as;
use crate::audit::Actor;
use crate::db;
use crate::privacy::FieldCrypto;

/// How long a code is good for, and how many wrong tries it takes.
const CODE_SECS: i64 = 600;
const MAX_ATTEMPTS: i64 = 5;
/// Codes sent to one phone per hour; look-ups from one address per hour.
const CODES_PER_PHONE_HOUR: i64 = 3;
const LOOKUPS_PER_ADDRESS_HOUR: i64 = 20;
/// Most submissions listed.
const MAX_LISTED: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new().route("/track/lost", get(form).post(post))
}

/// One submission found, with its new query code.
pub struct Found {
    pub tracking_no: String,
    pub title: String,
    pub when: String,
    pub state: String,
    pub code: String,
}

#[derive(Template)]
#[template(path = "opinions/lost.html")]
struct LostTpl {
    organ_name: String,
    csrf: String,
    phone: String,
    /// The code was sent (or would have been): show the code field.
    sent: bool,
    found: Option<Vec<Found>>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LostForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub sms_code: String,
}

async fn organ_name(s: &AppState) -> AppResult<String> {
    Ok(crate::org::default_organ(&s.db).await?.map(|o| o.name).unwrap_or_default())
}

async fn form(State(s): State<AppState>, csrf: CsrfToken) -> AppResult<Response> {
    render(&LostTpl {
        organ_name: organ_name(&s).await?,
        csrf: csrf.0,
        phone: String::new(),
        sent: false,
        found: None,
        error: None,
    })
}

fn code_hash(crypto: &FieldCrypto, phone: &str, code: &str) -> String {
    crypto.lookup_hash("lost_code", &format!("{phone}:{code}"))
}

/// Sends a code when the phone has submissions (silently nothing otherwise); a number over its
/// SMS caps gets a 429 (sending is all this request does).
pub async fn send_code<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    limits: &crate::notify::Limits,
    phone: &str,
    now: i64,
) -> AppResult<()> {
    service::throttle(c, crypto, "lost_phone", phone, CODES_PER_PHONE_HOUR, now).await?;
    let phone_hash = crypto.lookup_hash("phone", phone);
    let known =
        db::scalar_i64(c, "SELECT count(*) FROM opinions WHERE phone_hash = $1", vec![phone_hash.clone().into()])
            .await?;
    if known == 0 {
        return Ok(());
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let text = format!("【数字人大】您正在找回反映问题的查询编号，验证码 {code}，10 分钟内有效。如非本人操作请忽略。");
    let message = crate::notify::Message { text, secret: Some(code.clone()), public: true };
    if crate::notify::sms(c, crypto, limits, phone, &message, "lost_code").await? == crate::notify::Sent::Capped {
        return Err(crate::notify::capped_error());
    }
    db::exec(
        c,
        "INSERT INTO sms_codes (purpose, phone_hash, code_hash, created_at, expires_at) VALUES ('lost', $1, $2, $3, $4)",
        vec![phone_hash.into(), code_hash(crypto, phone, &code).into(), now.into(), (now + CODE_SECS).into()],
    )
    .await?;
    Ok(())
}

/// Checks the code; on success lists the phone's submissions, each with a fresh query code.
pub async fn verify<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    phone: &str,
    code: &str,
    now: i64,
) -> AppResult<Option<Vec<Found>>> {
    let phone_hash = crypto.lookup_hash("phone", phone);
    let rows = db::query_rows(
        c,
        "SELECT id, code_hash, attempts FROM sms_codes WHERE purpose = 'lost' AND phone_hash = $1 AND used = false \
         AND expires_at > $2 ORDER BY id DESC LIMIT 1",
        vec![phone_hash.clone().into(), now.into()],
    )
    .await?;
    let Some((id, hash, attempts)) = rows.first().and_then(|r| {
        Some((
            r.try_get_by_index::<i64>(0).ok()?,
            r.try_get_by_index::<String>(1).ok()?,
            r.try_get_by_index::<i64>(2).ok()?,
        ))
    }) else {
        return Ok(None);
    };
    if attempts >= MAX_ATTEMPTS {
        return Ok(None);
    }
    if code_hash(crypto, phone, code) != hash {
        db::exec(c, "UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1", vec![id.into()]).await?;
        return Ok(None);
    }
    db::exec(c, "UPDATE sms_codes SET used = true WHERE id = $1", vec![id.into()]).await?;
    let rows = db::query_rows(
        c,
        "SELECT op.id, op.tracking_no, op.title, op.created_at, i.state FROM opinions op \
         JOIN handling_items i ON i.id = op.item_id WHERE op.phone_hash = $1 ORDER BY op.id DESC LIMIT $2",
        vec![phone_hash.into(), MAX_LISTED.into()],
    )
    .await?;
    let mut found = Vec::new();
    for r in rows {
        let (Ok(op), Ok(no), Ok(title), Ok(at), Ok(state)) = (
            r.try_get_by_index::<i64>(0),
            r.try_get_by_index::<String>(1),
            r.try_get_by_index::<String>(2),
            r.try_get_by_index::<i64>(3),
            r.try_get_by_index::<String>(4),
        ) else {
            continue;
        };
        let code = service::query_code();
        db::exec(
            c,
            "UPDATE opinions SET code_hash = $1 WHERE id = $2",
            vec![service::code_hash(crypto, &no, &code).into(), op.into()],
        )
        .await?;
        let state = crate::handling::flow::State::parse(&state).map(|s| s.label()).unwrap_or("").to_string();
        found.push(Found { tracking_no: no, title, when: crate::app::fmt::datetime(at), state, code });
    }
    Ok(Some(found))
}

async fn post(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Form(f): Form<LostForm>,
) -> AppResult<Response> {
    let organ_name = organ_name(&s).await?;
    let page = |phone: String, sent, found, error: Option<&str>| LostTpl {
        organ_name: organ_name.clone(),
        csrf: csrf.0.clone(),
        phone,
        sent,
        found,
        error: error.map(str::to_string),
    };
    if !service::is_mobile(&f.phone) {
        let p = page(f.phone.clone(), false, None, Some("请填写提交时留下的 11 位手机号"));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response());
    }
    let now = db::now();
    let phone = f.phone.clone();
    let code = f.sms_code.clone();
    let result = write_as(&s, Actor::system("反映人找回查询编号"), async |w| {
        service::throttle(w.txn(), &s.crypto, "lost", &ip.0, LOOKUPS_PER_ADDRESS_HOUR, now).await?;
        if code.is_empty() {
            send_code(w.txn(), &s.crypto, &crate::notify::Limits::of(&s.config), &phone, now).await?;
            Ok(None)
        } else {
            Ok(Some(verify(w.txn(), &s.crypto, &phone, &code, now).await?))
        }
    })
    .await;
    match result {
        Ok(None) => render(&page(f.phone, true, None, None)),
        Ok(Some(Some(found))) => render(&page(f.phone, true, Some(found), None)),
        Ok(Some(None)) => {
            let p = page(f.phone, true, None, Some("验证码不正确或已过期，请重新获取"));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(e @ AppError::TooManyRequests(_)) => Err(e),
        Err(e) => Err(e),
    }
}
