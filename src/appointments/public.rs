//! The citizen's side, phone-first and without JavaScript: `/appointments/new` from a
//! station's or deputy's page (the open slots with the places left; full ones disabled), the
//! receipt with the booking number and query code, and `/appointments/track` where the
//! citizen sees the state and accepts a proposed time or cancels.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::model::{Appointment, Channel, SLOT_CAPACITY, State as BookingState, Step};
use super::service::{self, Booking, OpenSlot, Receipt, StepInput};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, CsrfToken, Form, Query};
use crate::app::forms::opt_id;
use crate::app::pages::{Errors, render};
use crate::app::state::AppState;
use crate::app::write::write_as;
use crate::audit::Actor;
use crate::opinions::public::{CodeForm, citizen_answer, citizen_write};
use crate::privacy::mask_ip;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appointments/new", get(new_form).post(book))
        .route("/appointments/track", get(track_form).post(track))
        .route("/appointments/track/act", post(act))
}

#[derive(Deserialize, Default)]
pub struct SourceQuery {
    station: Option<String>,
    deputy: Option<String>,
}

/// The form as typed.
#[derive(Deserialize, Default, Clone)]
pub struct BookForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub station: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub deputy: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub slot: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub consent: bool,
    /// The SMS code that confirms a new number (`sms_verify_new_numbers`).
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub sms_code: String,
    /// 「重新获取验证码」 was pressed.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub send_code: String,
}

impl BookForm {
    pub fn booking(&self) -> Booking {
        Booking {
            slot_id: opt_id(&self.slot),
            topic: self.topic.clone(),
            name: self.name.clone(),
            phone: self.phone.clone(),
            consent: self.consent,
        }
    }
}

#[derive(Template)]
#[template(path = "appointments/new.html")]
struct NewTpl {
    organ_name: String,
    csrf: String,
    v: BookForm,
    to: String,
    slots: Vec<OpenSlot>,
    capacity: i64,
    errors: Errors,
    /// The installation confirms new numbers with a code.
    verify: bool,
    /// 「验证码已发送至 138****5678」: the masked number a code just went to.
    code_sent: Option<String>,
}

impl NewTpl {
    /// Show the code field: a code was sent, or one was typed.
    pub fn ask_code(&self) -> bool {
        self.verify && (self.code_sent.is_some() || !self.v.sms_code.is_empty() || self.errors.of("sms_code").is_some())
    }
}

async fn organ_name(s: &AppState) -> AppResult<String> {
    Ok(crate::org::default_organ(&s.db).await?.map(|o| o.name).unwrap_or_default())
}

async fn new_tpl(s: &AppState, csrf: String, v: BookForm, errors: Errors) -> AppResult<NewTpl> {
    let station = opt_id(&v.station);
    let deputy = opt_id(&v.deputy);
    let to = if let Some(id) = station {
        crate::registry::stations::station(&s.db, id).await?.ok_or(AppError::NotFound)?.name
    } else if let Some(id) = deputy {
        format!("{} 代表", crate::registry::persons::person(&s.db, id).await?.ok_or(AppError::NotFound)?.name)
    } else {
        return Err(AppError::NotFound);
    };
    let cal = crate::calendar::load(&s.db).await?;
    let slots = service::open_slots(&s.db, &cal, station, deputy, crate::db::now()).await?;
    let verify = s.config.sms_verify_new_numbers;
    Ok(NewTpl {
        organ_name: organ_name(s).await?,
        csrf,
        v,
        to,
        slots,
        capacity: SLOT_CAPACITY,
        errors,
        verify,
        code_sent: None,
    })
}

async fn new_form(State(s): State<AppState>, csrf: CsrfToken, Query(q): Query<SourceQuery>) -> AppResult<Response> {
    let v =
        BookForm { station: q.station.unwrap_or_default(), deputy: q.deputy.unwrap_or_default(), ..Default::default() };
    render(&new_tpl(&s, csrf.0, v, Errors::default()).await?)
}

#[derive(Template)]
#[template(path = "appointments/receipt.html")]
struct ReceiptTpl {
    organ_name: String,
    r: Receipt,
    a: Appointment,
    /// The number had its messages of the day: no SMS receipt.
    sms_capped: bool,
}

async fn book(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Form(v): Form<BookForm>,
) -> AppResult<Response> {
    let now = crate::db::now();
    let b = v.booking();
    let limits = service::Limits::of(&s.config);
    let result = async {
        service::validate(&b)?;
        let cal = crate::calendar::load(&s.db).await?;
        let gate = (b.phone.as_str(), v.sms_code.as_str(), !v.send_code.is_empty());
        citizen_write(&s, &ip, &limits.sms, gate, now, async |w| {
            let src = service::Source { channel: Channel::Online, entered_by: None, client: &ip.0, now };
            service::book(w.txn(), w.key(), &s.crypto, &cal, &limits, w.actor(), &b, &src).await
        })
        .await
    }
    .await;
    let stored = async |r: Receipt| {
        let a = super::model::appointment(&s.db, r.id).await?.ok_or(AppError::NotFound)?;
        let sms_capped = r.sms == Some(crate::notify::Sent::Capped);
        let page = ReceiptTpl { organ_name: organ_name(&s).await?, r, a, sms_capped };
        Ok((StatusCode::CREATED, render(&page)?).into_response())
    };
    let again = async |v, errors, code_sent| Ok(NewTpl { code_sent, ..new_tpl(&s, csrf.0.clone(), v, errors).await? });
    citizen_answer(result, v, "slot", stored, again).await
}

impl CodeForm for BookForm {
    fn without_code(self) -> Self {
        BookForm { sms_code: String::new(), send_code: String::new(), ..self }
    }
}

// ------------------------------------------------------------------ tracking

#[derive(Deserialize, Default, Clone)]
pub struct TrackForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub no: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub code: String,
}

#[derive(Template)]
#[template(path = "appointments/track.html")]
struct TrackTpl {
    organ_name: String,
    csrf: String,
    v: TrackForm,
    found: Option<Appointment>,
    notice: Option<String>,
    error: Option<String>,
    can_accept: bool,
    can_cancel: bool,
}

async fn track_tpl(
    s: &AppState,
    csrf: String,
    v: TrackForm,
    found: Option<Appointment>,
    notice: Option<String>,
    error: Option<String>,
) -> AppResult<TrackTpl> {
    let can = |step: Step| found.as_ref().is_some_and(|a| step.next(a.state()).is_some());
    let (can_accept, can_cancel) = (can(Step::Accept), can(Step::Cancel));
    Ok(TrackTpl { organ_name: organ_name(s).await?, csrf, v, found, notice, error, can_accept, can_cancel })
}

async fn track_form(State(s): State<AppState>, csrf: CsrfToken) -> AppResult<Response> {
    render(&track_tpl(&s, csrf.0, TrackForm::default(), None, None, None).await?)
}

pub use crate::opinions::public::throttle_lookup;

const NOT_FOUND: &str = "预约编号或查询码不正确，请核对后再试（查询码不区分大小写）";

async fn track(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Form(v): Form<TrackForm>,
) -> AppResult<Response> {
    throttle_lookup(&s, &ip.0).await?;
    let found = match service::track(&s.db, &s.crypto, &v.no, &v.code).await {
        Ok(a) => Some(a),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let status = if found.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    let error = found.is_none().then(|| NOT_FOUND.to_string());
    let page = track_tpl(&s, csrf.0, v, found, None, error).await?;
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize, Default)]
pub struct ActForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub no: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub code: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub step: String,
}

/// The citizen's own step (accept the proposed time, cancel) after checking the query code.
pub async fn act_as_citizen(s: &AppState, client: &str, no: &str, code: &str, step: &str) -> AppResult<BookingState> {
    let a = service::track(&s.db, &s.crypto, no, code).await?;
    let step = match Step::parse(step) {
        Some(st @ (Step::Accept | Step::Cancel)) => st,
        _ => return Err(AppError::invalid("step", "请选择接受改期或取消预约")),
    };
    let now = crate::db::now();
    let actor = Actor { account_id: None, name: "预约人".into(), on_behalf_of: None, client: mask_ip(client) };
    write_as(s, actor, async |w| {
        let limits = crate::notify::Limits::of(&s.config);
        service::apply(w.txn(), w.key(), &s.crypto, &limits, w.actor(), &a, step, &StepInput::default(), now).await
    })
    .await
}

async fn act(State(s): State<AppState>, csrf: CsrfToken, ip: ClientIp, Form(f): Form<ActForm>) -> AppResult<Response> {
    throttle_lookup(&s, &ip.0).await?;
    let (status, notice, error) = match act_as_citizen(&s, &ip.0, &f.no, &f.code, &f.step).await {
        Ok(BookingState::Confirmed) => (StatusCode::OK, Some("已接受新的时间，预约已确认。".to_string()), None),
        Ok(_) => (StatusCode::OK, Some("预约已取消。".to_string()), None),
        Err(AppError::NotFound) => (StatusCode::NOT_FOUND, None, Some(NOT_FOUND.to_string())),
        Err(e) => (e.status(), None, Some(e.detail())),
    };
    let found = service::track(&s.db, &s.crypto, &f.no, &f.code).await.ok();
    let v = TrackForm { no: f.no, code: f.code };
    let page = track_tpl(&s, csrf.0, v, found, notice, error).await?;
    Ok((status, render(&page)?).into_response())
}
