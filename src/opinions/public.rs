//! The citizen's side (OPN-1, OPN-3, OPN-8, OPN-9), phone-first and without JavaScript:
//! `/opinions/new` behind a station's or deputy's QR code, the receipt, `/track` with the
//! timeline and the rating form, and `/public` (码上公开).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::model::{self, Channel, Opinion};
use super::service::{self, Receipt, Submission};
use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::extract::{ClientIp, CsrfToken, Form, Query};
use crate::app::forms::{Opt, opts};
use crate::app::pages::{Errors, form_errors, render};
use crate::app::state::AppState;
use crate::app::write::{Write, write_as};
use crate::audit::Actor;
use crate::handling::flow::{Grade, State as ItemState};
use crate::handling::model::{self as loop_model, Event, Rater, Reply};
use crate::handling::service::Command;
use crate::notify::verify;
use crate::privacy::mask_ip;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/opinions/new", get(new_form).post(submit))
        .route(RECEIPT_PATH, get(receipt))
        .route("/track", get(track_form).post(track))
        .route("/track/rate", post(rate))
        .route("/track/photo", post(add_photo))
        .route("/public", get(public_list))
}

// ------------------------------------------------------------------ the form

#[derive(Deserialize, Default)]
pub struct SourceQuery {
    station: Option<String>,
    deputy: Option<String>,
}

/// The form as typed.
#[derive(Deserialize, Default, Clone)]
pub struct OpinionForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub station: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub deputy: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub category: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub allow_public: bool,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub consent: bool,
    /// The SMS code that confirms a new number (`sms_verify_new_numbers`).
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub sms_code: String,
    /// 「重新获取验证码」 was pressed.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub send_code: String,
}

fn id_of(field: &str, v: &str) -> AppResult<Option<i64>> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    v.trim().parse::<i64>().map(Some).map_err(|_| AppError::invalid(field, "来源无效，请重新扫码"))
}

impl OpinionForm {
    pub fn submission(&self) -> AppResult<(Submission, Channel)> {
        let station_id = id_of("station", &self.station)?;
        let deputy_id = id_of("deputy", &self.deputy)?;
        let channel = match (station_id, deputy_id) {
            (Some(_), _) => Channel::Station,
            (None, Some(_)) => Channel::Deputy,
            _ => Channel::Web,
        };
        Ok((
            Submission {
                channel: Some(channel),
                station_id,
                deputy_id,
                area_code: None,
                category: self.category.clone(),
                title: self.title.clone(),
                content: self.content.clone(),
                name: self.name.clone(),
                phone: self.phone.clone(),
                allow_public: self.allow_public,
                anonymous: true,
                consent: self.consent,
                external_no: None,
            },
            channel,
        ))
    }
}

#[derive(Template)]
#[template(path = "opinions/new.html")]
struct NewTpl {
    organ_name: String,
    csrf: String,
    v: OpinionForm,
    /// 「向 … 反映」: the station or deputy the form came from.
    to: String,
    categories: Vec<Opt>,
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

async fn source_name(s: &AppState, v: &OpinionForm) -> AppResult<(String, String)> {
    let organ = crate::org::default_organ(&s.db).await?.map(|o| o.name).unwrap_or_default();
    if let Some(id) = id_of("station", &v.station)? {
        let st = crate::registry::stations::station(&s.db, id).await?.ok_or(AppError::NotFound)?;
        return Ok((organ, st.name));
    }
    if let Some(id) = id_of("deputy", &v.deputy)? {
        let p = crate::registry::persons::person(&s.db, id).await?.ok_or(AppError::NotFound)?;
        return Ok((organ, format!("{} 代表", p.name)));
    }
    Ok((organ.clone(), organ))
}

async fn new_tpl(s: &AppState, csrf: String, v: OpinionForm, errors: Errors) -> AppResult<NewTpl> {
    let (organ_name, to) = source_name(s, &v).await?;
    let categories = model::taxonomy(s).await?.options(&v.category);
    let verify = s.config.sms_verify_new_numbers;
    Ok(NewTpl { organ_name, csrf, categories, v, to, errors, verify, code_sent: None })
}

async fn new_form(State(s): State<AppState>, csrf: CsrfToken, Query(q): Query<SourceQuery>) -> AppResult<Response> {
    let v = OpinionForm {
        station: q.station.unwrap_or_default(),
        deputy: q.deputy.unwrap_or_default(),
        ..Default::default()
    };
    render(&new_tpl(&s, csrf.0, v, Errors::default()).await?)
}

#[derive(Template)]
#[template(path = "opinions/receipt.html")]
struct ReceiptTpl {
    organ_name: String,
    csrf: String,
    /// The receipt this browser holds, or none (expired, another browser).
    r: Option<Kept>,
    /// The submitter's photos so far, and whether another may be added.
    photos: i64,
    can_add_photo: bool,
    /// What the last step did (a photo added).
    notice: Option<String>,
    /// How long a browser keeps its receipt, in minutes.
    minutes: i64,
}

// ------------------------------------------------------------------ the receipt

/// The receipt page (issue 16): the submission answers with a redirect here (POST-redirect-GET),
/// so refreshing it shows the receipt again instead of sending the form twice.
pub const RECEIPT_PATH: &str = "/opinions/receipt";
/// The cookie that holds the receipt — tracking number and query code, sealed with the field
/// key — for the browser that submitted, and only on the receipt page's path. The code is never
/// in an address (logs, history, Referer, a shared link); another browser sees no receipt.
pub const RECEIPT_COOKIE: &str = "renda_receipt";
/// How long the submitting browser keeps its receipt.
pub const RECEIPT_SECS: i64 = 3600;

/// A receipt as the submitting browser keeps it.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub tracking_no: String,
    pub query_code: String,
    /// `queued`: the receipt went by SMS; `capped`: the number had its messages of the day;
    /// empty: no phone was given.
    pub sms: String,
    pub held: bool,
    /// Unix time after which the receipt is no longer shown.
    pub until: i64,
}

impl Kept {
    fn of(r: &Receipt, now: i64) -> Kept {
        let sms = match r.sms {
            Some(crate::notify::Sent::Queued) => "queued",
            Some(crate::notify::Sent::Capped) => "capped",
            None => "",
        };
        Kept {
            tracking_no: r.tracking_no.clone(),
            query_code: r.query_code.clone(),
            sms: sms.into(),
            held: r.held,
            until: now + RECEIPT_SECS,
        }
    }

    /// The cookie value: the receipt encrypted and authenticated (AES-GCM) with a purpose tag,
    /// so it can be neither read nor made up outside the server.
    pub fn seal(&self, crypto: &crate::privacy::FieldCrypto) -> String {
        crypto.encrypt(&format!("receipt\u{1f}{}", serde_json::to_string(self).unwrap_or_default()))
    }

    /// The receipt a cookie value holds, if it is ours and not expired at `now`.
    pub fn open(crypto: &crate::privacy::FieldCrypto, value: &str, now: i64) -> Option<Kept> {
        let plain = crypto.decrypt(value).ok()?;
        let kept: Kept = serde_json::from_str(plain.strip_prefix("receipt\u{1f}")?).ok()?;
        (kept.until > now).then_some(kept)
    }

    pub fn sms_sent(&self) -> bool {
        self.sms == "queued"
    }
    pub fn sms_capped(&self) -> bool {
        self.sms == "capped"
    }
}

/// The redirect to the receipt page with the receipt in its cookie.
fn to_receipt(s: &AppState, r: &Receipt) -> Response {
    let mut resp = crate::app::urls::see_other(RECEIPT_PATH);
    let secure = if s.config.behind_https { "; Secure" } else { "" };
    let cookie = format!(
        "{RECEIPT_COOKIE}={}; Path={RECEIPT_PATH}; Max-Age={RECEIPT_SECS}; HttpOnly; SameSite=Lax{secure}",
        Kept::of(r, crate::db::now()).seal(&s.crypto)
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    resp
}

/// The receipt page: the receipt this browser holds (with the photo step), or where to look
/// instead.
async fn receipt(State(s): State<AppState>, csrf: CsrfToken, headers: axum::http::HeaderMap) -> AppResult<Response> {
    let kept = crate::app::middleware::cookie(&headers, RECEIPT_COOKIE)
        .and_then(|v| Kept::open(&s.crypto, v, crate::db::now()));
    let found = match &kept {
        Some(k) => match service::track(&s.db, &s.crypto, &k.tracking_no, &k.query_code).await {
            Ok(o) => Some(tracked(&s, o).await?),
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let page = ReceiptTpl {
        organ_name: organ_name(&s).await?,
        csrf: csrf.0,
        photos: found.as_ref().map_or(0, |t| t.photos),
        can_add_photo: found.as_ref().is_some_and(|t| t.can_add_photo),
        r: kept.filter(|_| found.is_some()),
        notice: crate::app::middleware::read_flash(&headers),
        minutes: RECEIPT_SECS / 60,
    };
    render(&page)
}

/// What a citizen's form write did: stored, or stopped at the code that confirms a new number.
pub enum Outcome<T> {
    Stored(T),
    Verification(verify::Step),
}

/// A citizen's write from a public form (an opinion, a booking): done as 「群众」 from the
/// masked address, within the address's hourly intake budget, and — for a number that never
/// got a message, when the installation asks for it — only once the SMS code is confirmed.
/// `gate` is (phone, code typed, 「重新获取验证码」 pressed).
pub async fn citizen_write<T>(
    s: &AppState,
    ip: &ClientIp,
    sms: &crate::notify::Limits,
    (phone, code, resend): (&str, &str, bool),
    now: i64,
    work: impl AsyncFnOnce(&mut Write) -> AppResult<T>,
) -> AppResult<Outcome<T>> {
    let actor = Actor { account_id: None, name: "群众".into(), on_behalf_of: None, client: mask_ip(&ip.0) };
    write_as(s, actor, async |w| {
        service::throttle(w.txn(), &s.crypto, "intake", &ip.0, service::PUBLIC_PER_HOUR, now).await?;
        let enabled = s.config.sms_verify_new_numbers;
        if let Some(step) = verify::gate(w.txn(), &s.crypto, sms, enabled, phone.trim(), code, resend, now).await? {
            return Ok(Outcome::Verification(step));
        }
        Ok(Outcome::Stored(work(w).await?))
    })
    .await
}

async fn submit(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Form(v): Form<OpinionForm>,
) -> AppResult<Response> {
    let now = crate::db::now();
    let limits = crate::notify::Limits::of(&s.config);
    let result = async {
        let (sub, channel) = v.submission()?;
        let lexicon = super::lexicon::current(&s).await?;
        service::validate(&sub, &*model::taxonomy(&s).await?)?;
        let gate = (sub.phone.as_str(), v.sms_code.as_str(), !v.send_code.is_empty());
        citizen_write(&s, &ip, &limits, gate, now, async |w| {
            let src = service::Source { channel, entered_by: None, client: &ip.0, now, lexicon: &lexicon };
            service::submit_with_limits(w.txn(), w.key(), &s.crypto, &limits, w.actor(), &sub, &src).await
        })
        .await
    }
    .await;
    let stored = async |r: Receipt| Ok(to_receipt(&s, &r));
    let again = async |v, errors, code_sent| Ok(NewTpl { code_sent, ..new_tpl(&s, csrf.0.clone(), v, errors).await? });
    citizen_answer(result, v, "content", stored, again).await
}

/// A public form that takes a phone and may ask for its SMS code (`citizen_write`).
pub trait CodeForm: Sized {
    /// The form as typed, without the code and the 「重新获取验证码」 press.
    fn without_code(self) -> Self;
}

impl CodeForm for OpinionForm {
    fn without_code(self) -> Self {
        OpinionForm { sms_code: String::new(), send_code: String::new(), ..self }
    }
}

/// The answer to a public form after `citizen_write`: the receipt (`stored`) once stored;
/// otherwise the form again (`again(v, errors, code_sent)`) — the code sent (200), the code
/// refused (422), a limit or conflict shown on `busy_field` (429, 409), or the field errors (422).
pub async fn citizen_answer<T, F: CodeForm, P: Template>(
    result: AppResult<Outcome<T>>,
    v: F,
    busy_field: &str,
    stored: impl AsyncFnOnce(T) -> AppResult<Response>,
    again: impl AsyncFnOnce(F, Errors, Option<String>) -> AppResult<P>,
) -> AppResult<Response> {
    let refusal = |field: &str, message: String| Errors(vec![FieldError { field: field.into(), message }]);
    let (status, v, errors, sent) = match result {
        Ok(Outcome::Stored(r)) => return stored(r).await,
        Ok(Outcome::Verification(verify::Step::CodeSent(masked))) => {
            (StatusCode::OK, v.without_code(), Errors::default(), Some(masked))
        }
        Ok(Outcome::Verification(verify::Step::Refused(message))) => {
            (StatusCode::UNPROCESSABLE_ENTITY, v.without_code(), refusal("sms_code", message), None)
        }
        Err(e @ (AppError::TooManyRequests(_) | AppError::Conflict(_))) => {
            (e.status(), v, refusal(busy_field, e.detail()), None)
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, v, form_errors(e)?, None),
    };
    Ok((status, render(&again(v, errors, sent).await?)?).into_response())
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
#[template(path = "opinions/track.html")]
struct TrackTpl {
    organ_name: String,
    csrf: String,
    v: TrackForm,
    found: Option<Tracked>,
    notice: Option<String>,
    error: Option<String>,
    grades: Vec<Opt>,
}

/// What the submitter sees of their opinion.
pub struct Tracked {
    pub o: Opinion,
    pub events: Vec<Event>,
    pub replies: Vec<Reply>,
    pub can_rate: bool,
    pub rated: Option<String>,
    /// The reason of 不予受理 or the explanation at closing, when there is one.
    pub state: ItemState,
    pub photos: i64,
    pub can_add_photo: bool,
    /// Between 交办 and 答复: 「承办单位正在办理」 with the dates of the work so far.
    pub progress: Option<String>,
}

impl Tracked {
    pub fn state_label(&self) -> &'static str {
        self.state.label()
    }
    pub fn state_colour(&self) -> &'static str {
        self.state.colour()
    }
}

/// Photos a submitter may add to one opinion (OPN-2), one per upload, after submitting: the
/// text is stored first, so a photo that fails on a slow phone connection loses nothing.
pub const MAX_PHOTOS: i64 = 3;
/// `attachments.owner_type` of an opinion's photos.
pub const PHOTO_OWNER: &str = "opinion";

pub async fn photo_count(s: &AppState, opinion_id: i64) -> AppResult<i64> {
    Ok(crate::db::scalar_i64(
        &s.db,
        "SELECT count(*) FROM attachments WHERE owner_type = $1 AND owner_id = $2",
        vec![PHOTO_OWNER.into(), opinion_id.to_string().into()],
    )
    .await?)
}

/// The submitter's view: public history lines, replies, and whether a rating is due.
pub async fn tracked(s: &AppState, o: Opinion) -> AppResult<Tracked> {
    let item = crate::handling::model::item(&s.db, o.item_id).await?.ok_or(AppError::NotFound)?;
    let mut events = loop_model::events(&s.db, o.item_id, true).await?;
    // 并案: the submitter follows the item theirs was merged into — its history and replies;
    // the rating is the first submitter's.
    let merged = loop_model::merged_into(&s.db, o.item_id).await?;
    let handled = merged.unwrap_or(o.item_id);
    if let Some(primary) = merged {
        events.extend(loop_model::events(&s.db, primary, true).await?.into_iter().filter(|e| e.step != "submit"));
        events.sort_by_key(|e| (e.at, e.id));
    }
    let replies = loop_model::replies(&s.db, handled).await?;
    let ratings = loop_model::ratings(&s.db, o.item_id).await?;
    let mine = ratings.iter().rfind(|r| r.rater == Rater::Submitter && r.round == item.round);
    let can_rate =
        merged.is_none() && matches!(item.state, ItemState::Replied | ItemState::AnsweredDirectly) && mine.is_none();
    let photos = photo_count(s, o.id).await?;
    let can_add_photo = !item.state.is_final() && photos < MAX_PHOTOS;
    let progress = match crate::handling::model::item(&s.db, handled).await? {
        Some(h) if h.state.with_units() => Some(progress_line(&loop_model::events(&s.db, handled, false).await?, &h)),
        _ => None,
    };
    Ok(Tracked {
        progress,
        rated: mine.map(|r| r.grade.label().to_string()),
        o,
        events,
        replies,
        can_rate,
        state: item.state,
        photos,
        can_add_photo,
    })
}

/// What the submitter reads while units are at work (issue 16): the dates of the round's
/// 交办 (or 二次办理), the 签收, the units' latest work and the deadline — dates only, the
/// internal texts stay internal.
pub fn progress_line(events: &[Event], item: &crate::handling::model::Item) -> String {
    let date = crate::app::fmt::date;
    let start = events.iter().rposition(|e| matches!(e.step.as_str(), "assign" | "reopen" | "follow"));
    let since = start.map_or(&events[..0], |i| &events[i + 1..]);
    let mut parts = Vec::new();
    if let Some(e) = start.map(|i| &events[i]) {
        parts.push(format!("{} {}", date(e.at), if e.step == "assign" { "交办" } else { "再次交办" }));
    }
    let accepted = since.iter().find(|e| e.step == "accept");
    if let Some(e) = accepted {
        parts.push(format!("{} 承办单位签收", date(e.at)));
    }
    let worked = since.iter().rfind(|e| e.party == "unit" && e.step != "accept" && e.step != "return");
    if let Some(e) = worked {
        parts.push(format!("最近一次办理记录 {}", date(e.at)));
    }
    if let Some(d) = &item.deadline {
        parts.push(format!("办理期限至 {d}"));
    }
    if parts.is_empty() {
        "承办单位正在办理".into()
    } else {
        format!("承办单位正在办理（{}）", parts.join("，"))
    }
}

async fn organ_name(s: &AppState) -> AppResult<String> {
    Ok(crate::org::default_organ(&s.db).await?.map(|o| o.name).unwrap_or_default())
}

fn grades() -> Vec<Opt> {
    opts(Grade::ALL.map(|g| (g.as_str(), g.label())), "")
}

async fn track_form(State(s): State<AppState>, csrf: CsrfToken) -> AppResult<Response> {
    render(&TrackTpl {
        organ_name: organ_name(&s).await?,
        csrf: csrf.0,
        v: TrackForm::default(),
        found: None,
        notice: None,
        error: None,
        grades: grades(),
    })
}

async fn track(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Form(v): Form<TrackForm>,
) -> AppResult<Response> {
    // Guessing query codes costs the same budget as submitting.
    throttle_lookup(&s, &ip.0).await?;
    let found = match service::track(&s.db, &s.crypto, &v.no, &v.code).await {
        Ok(o) => Some(tracked(&s, o).await?),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let status = if found.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    let error = found.is_none().then(|| "查询编号或查询码不正确，请核对后再试（查询码不区分大小写）".to_string());
    let page =
        TrackTpl { organ_name: organ_name(&s).await?, csrf: csrf.0, v, found, notice: None, error, grades: grades() };
    Ok((status, render(&page)?).into_response())
}

/// Look-ups (and a citizen's steps by number and code) count against the address, one
/// budget for opinions and bookings: no brute force of query codes.
pub async fn throttle_lookup(s: &AppState, client: &str) -> AppResult<()> {
    let now = crate::db::now();
    write_as(s, Actor::system("查询限流"), async |w| {
        service::throttle(w.txn(), &s.crypto, "track", client, service::LOOKUPS_PER_HOUR, now).await
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct RateForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub no: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub code: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub grade: String,
    #[serde(default)]
    pub comment: String,
}

/// Rates as the submitter after checking the query code; the shared step of the loop.
pub async fn rate_as_submitter(
    s: &AppState,
    no: &str,
    code: &str,
    grade: &str,
    comment: &str,
) -> AppResult<crate::handling::service::Applied> {
    let o = service::track(&s.db, &s.crypto, no, code).await?;
    let grade = Grade::parse(grade).ok_or_else(|| AppError::invalid("grade", "请选择满意、基本满意或不满意"))?;
    crate::handling::act_as_submitter(
        s,
        o.item_id,
        Command::Rate {
            rater: Rater::Submitter,
            grade,
            comment: comment.to_string(),
            aspect: crate::handling::flow::Aspect::Overall,
            unit_id: None,
        },
    )
    .await
}

async fn rate(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Form(f): Form<RateForm>,
) -> AppResult<Response> {
    throttle_lookup(&s, &ip.0).await?;
    let result = rate_as_submitter(&s, &f.no, &f.code, &f.grade, &f.comment).await;
    let v = TrackForm { no: f.no.clone(), code: f.code.clone() };
    let (status, notice, error) = match result {
        Ok(a) if a.reopened => {
            (StatusCode::OK, Some("感谢您的评价。您对答复不满意，事项已转入二次办理。".to_string()), None)
        }
        Ok(_) => (StatusCode::OK, Some("感谢您的评价。".to_string()), None),
        Err(AppError::NotFound) => return Err(AppError::NotFound),
        Err(e) => (e.status(), None, Some(e.detail())),
    };
    let o = service::track(&s.db, &s.crypto, &f.no, &f.code).await?;
    let page = TrackTpl {
        organ_name: organ_name(&s).await?,
        csrf: csrf.0,
        v,
        found: Some(tracked(&s, o).await?),
        notice,
        error,
        grades: grades(),
    };
    Ok((status, render(&page)?).into_response())
}

// ------------------------------------------------------------------ 码上公开

#[derive(Deserialize, Default)]
pub struct PublicQuery {
    q: Option<String>,
    category: Option<String>,
    page: Option<i64>,
}

/// One published opinion as the public sees it: the publication's text, nothing else.
pub struct PublicLine {
    pub tracking_no: String,
    pub category: String,
    pub title: Vec<(String, bool)>,
    pub content: Vec<(String, bool)>,
    pub reply: String,
    pub area: String,
    pub closed: String,
}

#[derive(Template)]
#[template(path = "opinions/public.html")]
struct PublicTpl {
    organ_name: String,
    q: String,
    categories: Vec<Opt>,
    rows: Vec<PublicLine>,
    total: i64,
    page: i64,
    pages: i64,
    qs: String,
}

const PUBLIC_PAGE: i64 = 20;

async fn public_list(State(s): State<AppState>, Query(q): Query<PublicQuery>) -> AppResult<Response> {
    let organ = crate::org::default_organ(&s.db).await?.ok_or(AppError::NotFound)?;
    let text = q.q.as_deref().unwrap_or("").trim().to_string();
    let terms = crate::nlp::segment::query_terms(&text);
    let taxonomy = model::taxonomy(&s).await?;
    let category = q.category.as_deref().map(str::trim).filter(|c| taxonomy.knows(c));
    let page = q.page.unwrap_or(1).clamp(1, 10_000);
    let f = model::PublicFilter {
        categories: category.map(str::to_string).into_iter().collect(),
        terms: terms.clone(),
        ..Default::default()
    };
    let (rows, total) = model::public_list(&s.db, &organ.path, &f, PUBLIC_PAGE, (page - 1) * PUBLIC_PAGE).await?;
    let lines = rows
        .into_iter()
        .map(|o| PublicLine {
            tracking_no: o.tracking_no.clone(),
            category: o.category_label().to_string(),
            title: crate::nlp::segment::highlight(&o.title, &terms, 60),
            content: crate::nlp::segment::highlight(&o.body, &terms, 160),
            reply: o.reply,
            area: o.area_name.unwrap_or_default(),
            closed: o.closed_at.map(crate::app::fmt::date).unwrap_or_default(),
        })
        .collect();
    let qs =
        serde_urlencoded::to_string([("q", text.as_str()), ("category", category.unwrap_or(""))]).unwrap_or_default();
    render(&PublicTpl {
        organ_name: organ.name,
        q: text,
        categories: opts(taxonomy.items.iter().map(|c| (c.name.as_str(), c.name.as_str())), category.unwrap_or("")),
        rows: lines,
        pages: (total + PUBLIC_PAGE - 1) / PUBLIC_PAGE,
        total,
        page,
        qs,
    })
}

/// Adds a photo to one's own opinion (tracking number and query code in the form): checked
/// by content (JPG or PNG) and size before anything is stored, at most `MAX_PHOTOS`, not
/// after the item ended; the track page again with what happened.
async fn add_photo(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    upload: crate::app::extract::UploadedFile,
) -> AppResult<Response> {
    throttle_lookup(&s, &ip.0).await?;
    let v = TrackForm { no: upload.field("no").to_string(), code: upload.field("code").to_string() };
    let page = |found, notice: Option<String>, error: Option<String>| {
        let s = s.clone();
        let csrf = csrf.0.clone();
        let v = v.clone();
        async move {
            Ok::<_, AppError>(TrackTpl {
                organ_name: organ_name(&s).await?,
                csrf,
                v,
                found,
                notice,
                error,
                grades: grades(),
            })
        }
    };
    let o = match service::track(&s.db, &s.crypto, &v.no, &v.code).await {
        Ok(o) => o,
        Err(AppError::NotFound) => {
            let p = page(None, None, Some("查询编号或查询码不正确，请核对后再试".into())).await?;
            return Ok((StatusCode::NOT_FOUND, render(&p)?).into_response());
        }
        Err(e) => return Err(e),
    };
    let before = tracked(&s, o.clone()).await?;
    let refusal = if !before.can_add_photo {
        Some((StatusCode::CONFLICT, format!("每件最多补充 {MAX_PHOTOS} 张照片，办结后不能再补充")))
    } else {
        let file = crate::attachments::Upload { file_name: &upload.name, bytes: &upload.bytes };
        match crate::attachments::prepare(&file, crate::attachments::IMAGES, s.config.attachments_max_bytes).await {
            Err(AppError::Invalid { detail, .. }) => Some((StatusCode::UNPROCESSABLE_ENTITY, detail)),
            Err(e) => return Err(e),
            Ok(file) => {
                let storage = s.storage.clone();
                write_as(&s, Actor::system("反映人"), async |w| {
                    crate::attachments::attach(
                        w.txn(),
                        storage.as_ref(),
                        w.key(),
                        w.actor(),
                        o.organ_id,
                        (PHOTO_OWNER, o.id),
                        &file,
                    )
                    .await
                })
                .await?;
                None
            }
        }
    };
    let found = Some(tracked(&s, o).await?);
    match refusal {
        // From the receipt page: back to it (a refresh then sends nothing twice).
        None if upload.field("from") == "receipt" => {
            let n = found.as_ref().map(|t| t.photos).unwrap_or(0);
            Ok(crate::app::middleware::redirect_with_flash(
                RECEIPT_PATH,
                &format!("照片已添加（共 {n} 张），工作人员办理时可以看到。"),
            ))
        }
        None => {
            let n = found.as_ref().map(|t| t.photos).unwrap_or(0);
            render(&page(found, Some(format!("照片已添加（共 {n} 张），工作人员办理时可以看到。")), None).await?)
        }
        Some((status, message)) => Ok((status, render(&page(found, None, Some(message)).await?)?).into_response()),
    }
}
