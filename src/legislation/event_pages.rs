//! Events in the console, on the public site and in the API (LEG-6): a draft's 座谈会, 论证会
//! and 听证会 (`/console/legislation/{draft}/events`, a new one), an event's page (speakers
//! masked, chosen or declined; the record; the opinions given there entered for disposition),
//! and the public announcement with the speaker registration form at `/l/{draft}/events/{id}`
//! (the public intake's rules: the address's hourly budget, the SMS code of a new number; the
//! page never shows who registered).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::CRUMB;
use super::api::check_draft;
use super::events::{
    self, Event, EventCreated, EventKind, EventList, EventOpinion, NewEvent, Registered, Registration, Stand,
};
use super::model::{self, Draft, Source};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, ClientIp, CsrfToken, Form, PathId, strict};
use crate::app::forms::{Opt, allowed, opt_id, opts};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal};
use crate::db;
use crate::opinions::public::{CodeForm, citizen_answer, citizen_write};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/legislation/{id}/events", get(events_page).post(event_submit))
        .route("/console/legislation/events/{id}", get(event_page))
        .route("/console/legislation/events/{id}/record", post(record))
        .route("/console/legislation/events/{id}/opinions", post(opinion_submit))
        .route("/console/legislation/speakers/{id}/state", post(speaker_state))
        .route("/l/{id}/events/{event}", get(public_event).post(public_register))
        .route("/api/v1/legislation/drafts/{id}/events", get(api_events).post(api_create))
        .route("/api/v1/legislation/events/{id}/opinions", post(api_opinion))
}

async fn check_event(s: &AppState, p: &Principal, ip: &ClientIp, action: Action, id: i64) -> AppResult<(Draft, Event)> {
    let e = events::event(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let d = check_draft(s, p, ip, action, e.draft_id).await?;
    Ok((d, e))
}

// ------------------------------------------------------------------ console

#[derive(Deserialize, Default, Clone)]
pub struct EventForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    held_at: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    place: String,
    #[serde(default)]
    announcement: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    register_until: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    speakers_max: String,
}

#[derive(Template)]
#[template(path = "legislation/events.html")]
struct EventsTpl {
    l: Layout,
    d: Draft,
    rows: Vec<Event>,
    can_edit: bool,
    kinds: Vec<Opt>,
    v: EventForm,
    errors: Errors,
}

async fn events_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    d: Draft,
    v: EventForm,
    errors: Errors,
) -> AppResult<EventsTpl> {
    let title = format!("{}：座谈会、论证会、听证会", d.title);
    Ok(EventsTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/legislation/{}", d.id), &d.title), ("", "座谈论证听证")]),
        rows: events::events(&s.db, d.id).await?,
        can_edit: allowed(p, Action::Update, &super::drafts_of(&d.organ_path)),
        kinds: opts(EventKind::ALL.map(|x| (x.as_str(), x.label())), &v.kind),
        d,
        v,
        errors,
    })
}

async fn events_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::View, id).await?;
    let v = EventForm { kind: "symposium".into(), speakers_max: "20".into(), ..Default::default() };
    render(&events_tpl(&s, &p, &page, d, v, Errors::default()).await?)
}

async fn event_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<EventForm>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let max = f.speakers_max.trim();
    let input = NewEvent {
        kind: f.kind.clone(),
        title: f.title.clone(),
        held_at: f.held_at.clone(),
        place: f.place.clone(),
        announcement: f.announcement.clone(),
        register_until: f.register_until.clone(),
        speakers_max: if max.is_empty() { None } else { Some(max.parse().unwrap_or(-1)) },
    };
    let now = db::now();
    let result = write(&s, &p, &ip, async |w| events::create(w.txn(), w.key(), w.actor(), &d, &input, now).await).await;
    form_answer(
        result,
        |e| redirect_with_flash(&format!("/console/legislation/events/{e}"), "已发布公告"),
        async |errors| render(&events_tpl(&s, &p, &page, d.clone(), f.clone(), errors).await?),
    )
    .await
}

/// A speaker as the staff page shows them.
pub struct SpeakerView {
    pub s: events::Speaker,
    pub name: String,
}

/// An opinion given at the event, with its disposition.
pub struct OpinionLine {
    pub o: model::Opinion,
}

#[derive(Deserialize, Default, Clone)]
pub struct OpinionForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    node: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    source: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    author: String,
    #[serde(default)]
    text: String,
}

#[derive(Template)]
#[template(path = "legislation/event.html")]
struct EventTpl {
    l: Layout,
    d: Draft,
    e: Event,
    speakers: Vec<SpeakerView>,
    opinions: Vec<OpinionLine>,
    can_edit: bool,
    articles: Vec<Opt>,
    sources: Vec<Opt>,
    v: OpinionForm,
    record: String,
    errors: Errors,
}

async fn event_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    (d, e): (Draft, Event),
    v: OpinionForm,
    record: Option<String>,
    errors: Errors,
) -> AppResult<EventTpl> {
    let speakers = events::speakers(&s.db, e.id)
        .await?
        .into_iter()
        .map(|x| SpeakerView { name: events::masked_name(&s.crypto, &x), s: x })
        .collect();
    let lines: Vec<OpinionLine> =
        model::opinions_of_event(&s.db, e.id).await?.into_iter().map(|o| OpinionLine { o }).collect();
    let latest = model::versions(&s.db, d.id).await?.into_iter().last();
    let mut articles: Vec<(String, String)> = Vec::new();
    if let Some(v) = &latest {
        let rows = model::nodes(&s.db, v.id).await?;
        let (flats, _) = model::flats(&rows);
        for (i, n) in rows.iter().enumerate().filter(|(_, n)| n.kind == "article") {
            let text = super::matching::article_text(&flats, i).replace('\n', " ");
            articles.push((n.node_id.to_string(), format!("{} {}", n.number, super::parse::excerpt(&text))));
        }
    }
    let title = format!("{}：{}", e.kind().label(), e.title);
    Ok(EventTpl {
        l: page.layout(
            &title,
            &[
                CRUMB,
                (&format!("/console/legislation/{}", d.id), &d.title),
                (&format!("/console/legislation/{}/events", d.id), "座谈论证听证"),
                ("", &e.title),
            ],
        ),
        can_edit: allowed(p, Action::Update, &super::drafts_of(&d.organ_path)),
        articles: opts(std::iter::once(("".to_string(), "（对草案整体）".to_string())).chain(articles), &v.node),
        sources: opts(Source::ALL.map(|x| (x.as_str(), x.label())), &v.source),
        record: record.unwrap_or_else(|| e.record.clone()),
        speakers,
        opinions: lines,
        d,
        e,
        v,
        errors,
    })
}

async fn event_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let de = check_event(&s, &p, &ip, Action::View, id).await?;
    let v = OpinionForm { source: "public".into(), ..Default::default() };
    render(&event_tpl(&s, &p, &page, de, v, None, Errors::default()).await?)
}

#[derive(Deserialize, Default)]
pub struct RecordForm {
    #[serde(default)]
    record: String,
}

async fn record(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<RecordForm>,
) -> AppResult<Response> {
    let (d, e) = check_event(&s, &p, &ip, Action::Update, id).await?;
    let result =
        write(&s, &p, &ip, async |w| events::record(w.txn(), w.key(), w.actor(), &d, &e, &f.record).await).await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/events/{id}"), "纪要已保存"),
        async |errors| {
            let v = OpinionForm { source: "public".into(), ..Default::default() };
            render(&event_tpl(&s, &p, &page, (d.clone(), e.clone()), v, Some(f.record.clone()), errors).await?)
        },
    )
    .await
}

async fn opinion_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<OpinionForm>,
) -> AppResult<Response> {
    let (d, e) = check_event(&s, &p, &ip, Action::Update, id).await?;
    let input = EventOpinion {
        node_id: opt_id(&f.node),
        source: f.source.clone(),
        author: f.author.clone(),
        text: f.text.clone(),
    };
    let now = db::now();
    let result =
        write(&s, &p, &ip, async |w| events::add_opinion(w.txn(), w.key(), w.actor(), &d, &e, &input, now).await).await;
    form_answer(
        result,
        |_| {
            redirect_with_flash(&format!("/console/legislation/events/{id}#opinions"), "意见已录入，可在意见列表中处理")
        },
        async |errors| render(&event_tpl(&s, &p, &page, (d.clone(), e.clone()), f.clone(), None, errors).await?),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct SpeakerForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    to: String,
}

async fn speaker_state(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(f): Form<SpeakerForm>,
) -> AppResult<Response> {
    let rows = db::query_rows(&s.db, "SELECT event_id FROM leg_event_speakers WHERE id = $1", vec![id.into()]).await?;
    let event = rows.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()).ok_or(AppError::NotFound)?;
    let (d, _) = check_event(&s, &p, &ip, Action::Update, event).await?;
    let speaker = events::speakers(&s.db, event).await?.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound)?;
    write(&s, &p, &ip, async |w| events::set_speaker(w.txn(), w.key(), w.actor(), &d, &speaker, &f.to).await).await?;
    Ok(redirect_with_flash(&format!("/console/legislation/events/{event}#speakers"), "发言安排已更新"))
}

// ------------------------------------------------------------------ public

#[derive(Deserialize, Default, Clone)]
pub struct RegisterForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub affiliation: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub stand: String,
    #[serde(default)]
    pub points: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub consent: bool,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub sms_code: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub send_code: String,
}

impl CodeForm for RegisterForm {
    fn without_code(self) -> Self {
        RegisterForm { sms_code: String::new(), send_code: String::new(), ..self }
    }
}

#[derive(Template)]
#[template(path = "legislation/event_public.html")]
struct PublicTpl {
    organ_name: String,
    csrf: String,
    d: Draft,
    e: Event,
    open: bool,
    stands: Vec<Opt>,
    v: RegisterForm,
    errors: Errors,
    verify: bool,
    code_sent: Option<String>,
    received: Option<Registered>,
}

impl PublicTpl {
    /// Show the code field: a code was sent, or one was typed.
    pub fn ask_code(&self) -> bool {
        self.verify && (self.code_sent.is_some() || !self.v.sms_code.is_empty() || self.errors.of("sms_code").is_some())
    }
}

/// A draft's event the public may see: of a draft with a published version, not cancelled.
async fn public_pair(s: &AppState, id: &str, event: &str) -> AppResult<(Draft, Event)> {
    let parse = |v: &str| v.parse::<i64>().ok().filter(|v| *v > 0).ok_or(AppError::NotFound);
    let (d, _) = super::public::published(s, parse(id)?).await?;
    let e = events::event(&s.db, parse(event)?)
        .await?
        .filter(|e| e.draft_id == d.id && e.state() != events::EventState::Cancelled)
        .ok_or(AppError::NotFound)?;
    Ok((d, e))
}

fn public_tpl(
    s: &AppState,
    csrf: String,
    (d, e): (Draft, Event),
    v: RegisterForm,
    errors: Errors,
    code_sent: Option<String>,
) -> PublicTpl {
    PublicTpl {
        organ_name: d.organ_name.clone(),
        csrf,
        open: e.registering(&super::today()),
        stands: opts(Stand::ALL.map(|x| (x.as_str(), x.label())), &v.stand),
        d,
        e,
        v,
        errors,
        verify: s.config.sms_verify_new_numbers,
        code_sent,
        received: None,
    }
}

async fn public_event(
    State(s): State<AppState>,
    csrf: CsrfToken,
    Path((id, event)): Path<(String, String)>,
) -> AppResult<Response> {
    let de = public_pair(&s, &id, &event).await?;
    render(&public_tpl(&s, csrf.0, de, RegisterForm::default(), Errors::default(), None))
}

async fn public_register(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Path((id, event)): Path<(String, String)>,
    Form(f): Form<RegisterForm>,
) -> AppResult<Response> {
    let (d, e) = public_pair(&s, &id, &event).await?;
    let now = db::now();
    let limits = crate::notify::Limits::of(&s.config);
    let input = Registration {
        name: f.name.clone(),
        phone: f.phone.clone(),
        affiliation: f.affiliation.clone(),
        stand: f.stand.clone(),
        points: f.points.clone(),
        consent: f.consent,
    };
    let result = async {
        events::check_registration(&input)?;
        let gate = (input.phone.as_str(), f.sms_code.as_str(), !f.send_code.is_empty());
        citizen_write(&s, &ip, &limits, gate, now, async |w| {
            events::register(w.txn(), w.key(), &s.crypto, w.actor(), (&d, &e), &input, (&ip.0, now)).await
        })
        .await
    }
    .await;
    let pair = (d.clone(), e.clone());
    let stored = async |r: Registered| {
        let mut t = public_tpl(&s, csrf.0.clone(), pair.clone(), RegisterForm::default(), Errors::default(), None);
        t.received = Some(r);
        Ok((StatusCode::CREATED, render(&t)?).into_response())
    };
    let again = async |form, errors, code_sent| {
        Ok(public_tpl(&s, csrf.0.clone(), (d.clone(), e.clone()), form, errors, code_sent))
    };
    citizen_answer(result, f.clone(), "points", stored, again).await
}

// ------------------------------------------------------------------ API

async fn api_events(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    check_draft(&s, &p, &ip, Action::View, id).await?;
    Ok(axum::Json(EventList { items: events::events(&s.db, id).await? }).into_response())
}

async fn api_create(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let input: NewEvent = strict(body)?;
    let now = db::now();
    let e = write(&s, &p, &ip, async |w| events::create(w.txn(), w.key(), w.actor(), &d, &input, now).await).await?;
    let location = format!("/api/v1/legislation/drafts/{id}/events");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(EventCreated { id: e })).into_response())
}

async fn api_opinion(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (d, e) = check_event(&s, &p, &ip, Action::Update, id).await?;
    let input: EventOpinion = strict(body)?;
    let now = db::now();
    let o = write(&s, &p, &ip, async |w| events::add_opinion(w.txn(), w.key(), w.actor(), &d, &e, &input, now).await)
        .await?;
    let location = format!("/api/v1/legislation/drafts/{}/stats", d.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(EventCreated { id: o })).into_response())
}
