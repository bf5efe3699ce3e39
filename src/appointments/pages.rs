//! 见面预约 in the console: the list (a keeper their station's, a deputy their own, staff their
//! organ's subtree) with a station and state filter, a booking's page with the steps the caller
//! may take (confirm, propose another time, decline with a reason, attended or not), and a
//! booking the keeper enters for someone who came or called.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::model::{self, Appointment, Channel, Scope, State as BookingState, Step};
use super::service::{self, Booking, OpenSlot, StepInput};
use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, Form, PathId, Query};
use crate::app::forms::{Opt, allowed, opt_id, opts, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::query;
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource, Role};
use crate::privacy::mask_name;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/appointments", get(list))
        .route("/console/appointments/new", get(new_form).post(create))
        .route("/console/appointments/{id}", get(detail))
        .route("/console/appointments/{id}/step", post(step))
}

const CRUMB: (&str, &str) = ("/console/appointments", "见面预约");

/// What a principal sees of the list: no unit reach (units have no appointments).
pub fn scope_of(p: &Principal) -> Scope {
    Scope { unit_id: None, ..Scope::of(p) }
}

fn resource(a: &Appointment) -> Resource<'_> {
    Resource::Appointment { organ_path: &a.organ_path, station_id: a.station_id, deputy_id: a.person_id }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    station: Option<String>,
    state: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "appointments/list.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<Appointment>,
    total: i64,
    page: i64,
    pages: i64,
    qs: String,
    station: String,
    stations: Vec<Opt>,
    states: Vec<Opt>,
    can_enter: bool,
}

const PAGE: i64 = 50;

async fn list(page: Page, Auth(p): Auth, State(s): State<AppState>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let scope = scope_of(&p);
    if scope.is_empty() {
        return Err(AppError::NotFound);
    }
    let station = query::id(&q.station);
    let state = BookingState::parse(&query::text(&q.state));
    let n = q.page.unwrap_or(1).clamp(1, 100_000);
    let (rows, total) = model::list(&s.db, &scope, station, state, PAGE, (n - 1) * PAGE).await?;
    let qs = query::string(&[("station", &q.station), ("state", &q.state)]);
    let can_enter = p.has(Role::Keeper) && p.station_id.is_some() || station.is_some() && scope.organ_path.is_some();
    render(&ListTpl {
        l: page.layout("见面预约", &[CRUMB]),
        rows,
        total,
        page: n,
        pages: (total + PAGE - 1) / PAGE,
        qs,
        station: station.map(|s| s.to_string()).unwrap_or_default(),
        stations: opts(model::stations(&s.db, &scope).await?, &query::text(&q.station)),
        states: opts(BookingState::ALL.map(|s| (s.as_str(), s.label())), &query::text(&q.state)),
        can_enter,
    })
}

#[derive(Template)]
#[template(path = "appointments/detail.html")]
struct DetailTpl {
    l: Layout,
    a: Appointment,
    name: String,
    phone: String,
    steps: Vec<(&'static str, &'static str)>,
    v: StepForm,
    errors: Errors,
}

async fn visible(s: &AppState, p: &Principal, ip: &ClientIp, id: i64, action: Action) -> AppResult<Appointment> {
    guard::visible(s, p, ip, action, model::appointment(&s.db, id).await?, resource, id).await
}

fn detail_tpl(s: &AppState, page: &Page, p: &Principal, a: Appointment, v: StepForm, errors: Errors) -> DetailTpl {
    let full = allowed(p, Action::ExportPersonal, &resource(&a));
    let name = s.crypto.decrypt(&a.name_enc).unwrap_or_default();
    let phone = if full { s.crypto.decrypt(&a.phone_enc).unwrap_or_default() } else { a.phone_masked.clone() };
    let may = allowed(p, Action::Update, &resource(&a));
    // Attendance is recorded once the meeting has begun.
    let begun = crate::db::now() >= a.slot_start;
    let steps = Step::CONSOLE
        .into_iter()
        .filter(|st| may && st.next(a.state()).is_some())
        .filter(|st| begun || !matches!(st, Step::Attended | Step::NoShow))
        .map(|st| (st.as_str(), st.label()))
        .collect();
    let title = format!("预约 {}", a.booking_no);
    DetailTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/appointments/{}", a.id), &a.booking_no)]),
        name: if full { name } else { mask_name(&name) },
        phone,
        steps,
        a,
        v,
        errors,
    }
}

async fn detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let a = visible(&s, &p, &ip, id, Action::View).await?;
    render(&detail_tpl(&s, &page, &p, a, StepForm::default(), Errors::default()))
}

/// One step as typed.
#[derive(Deserialize, Default, Clone)]
pub struct StepForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub step: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub start: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub end: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub reason: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub opinion_no: String,
}

impl StepForm {
    /// The one parser of a console step.
    pub fn parse(&self) -> AppResult<(Step, StepInput)> {
        let step = Step::parse(&self.step)
            .filter(|s| Step::CONSOLE.contains(s))
            .ok_or_else(|| AppError::invalid("step", "请选择要做的处理"))?;
        Ok((
            step,
            StepInput {
                date: self.date.clone(),
                start: self.start.clone(),
                end: self.end.clone(),
                reason: self.reason.clone(),
                opinion_no: self.opinion_no.clone(),
            },
        ))
    }
}

async fn step(Console { page, p, s, ip }: Console, PathId(id): PathId, Form(v): Form<StepForm>) -> AppResult<Response> {
    let a = visible(&s, &p, &ip, id, Action::Update).await?;
    let now = crate::db::now();
    let limits = crate::notify::Limits::of(&s.config);
    let result = async {
        let (st, input) = v.parse()?;
        write(&s, &p, &ip, async |w| {
            service::apply(w.txn(), w.key(), &s.crypto, &limits, w.actor(), &a, st, &input, now).await
        })
        .await
    }
    .await;
    form_answer(
        result,
        |to| {
            redirect_with_flash(
                &format!("/console/appointments/{id}"),
                &format!("已保存，预约状态为「{}」", to.label()),
            )
        },
        async |errors| unprocessable(&detail_tpl(&s, &page, &p, a.clone(), v.clone(), errors)),
    )
    .await
}

// ------------------------------------------------------------------ offline booking

#[derive(Deserialize, Default, Clone)]
pub struct EntryForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub station: String,
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
}

#[derive(Deserialize, Default)]
pub struct StationQuery {
    station: Option<String>,
}

#[derive(Template)]
#[template(path = "appointments/entry.html")]
struct EntryTpl {
    l: Layout,
    station_name: String,
    v: EntryForm,
    slots: Vec<OpenSlot>,
    errors: Errors,
}

/// The station an entry is for (the keeper's own; staff name one) and the check that the
/// caller may enter bookings there.
async fn entry_station(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    given: &str,
) -> AppResult<crate::registry::stations::Station> {
    // Whoever may enter no booking at all (at their own organ or station) is refused first.
    let own =
        Resource::Appointment { organ_path: &p.organ_path, station_id: p.station_id.unwrap_or(0), deputy_id: None };
    guard::check(s, p, ip, Action::Create, &own, "new").await?;
    let id = match (p.has(Role::Keeper), p.station_id) {
        (true, Some(own)) => own,
        _ => opt_id(given).ok_or_else(|| AppError::invalid("station", "请先在列表中选择联络站"))?,
    };
    let st = crate::registry::stations::station(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let r = Resource::Appointment { organ_path: &st.organ_path, station_id: st.id, deputy_id: None };
    guard::check(s, p, ip, Action::Create, &r, "new").await?;
    Ok(st)
}

async fn entry_tpl(
    s: &AppState,
    page: &Page,
    station: &crate::registry::stations::Station,
    v: EntryForm,
    errors: Errors,
) -> AppResult<EntryTpl> {
    let cal = crate::calendar::load(&s.db).await?;
    let slots = service::open_slots(&s.db, &cal, Some(station.id), None, crate::db::now()).await?;
    Ok(EntryTpl {
        l: page.layout("登记见面预约", &[CRUMB, ("/console/appointments/new", "登记")]),
        station_name: station.name.clone(),
        v: EntryForm { station: station.id.to_string(), ..v },
        slots,
        errors,
    })
}

async fn new_form(Console { page, p, s, ip }: Console, Query(q): Query<StationQuery>) -> AppResult<Response> {
    let st = entry_station(&s, &p, &ip, q.station.as_deref().unwrap_or("")).await?;
    render(&entry_tpl(&s, &page, &st, EntryForm::default(), Errors::default()).await?)
}

async fn create(Console { page, p, s, ip }: Console, Form(v): Form<EntryForm>) -> AppResult<Response> {
    let st = entry_station(&s, &p, &ip, &v.station).await?;
    let b = Booking {
        slot_id: opt_id(&v.slot),
        topic: v.topic.clone(),
        name: v.name.clone(),
        phone: v.phone.clone(),
        consent: v.consent,
    };
    let now = crate::db::now();
    let result = async {
        // The slot must be one of this station's.
        if let Some(slot) = b.slot_id
            && service::slot_station(&s.db, slot).await?.map(|x| x.0) != Some(st.id)
        {
            return Err(AppError::invalid("slot", "请选择本站的接待时段"));
        }
        let cal = crate::calendar::load(&s.db).await?;
        write(&s, &p, &ip, async |w| {
            let src = service::Source { channel: Channel::Offline, entered_by: Some(p.account_id), client: &ip.0, now };
            service::book(w.txn(), w.key(), &s.crypto, &cal, &service::Limits::of(&s.config), w.actor(), &b, &src).await
        })
        .await
    }
    .await;
    let result = match result {
        // A full slot is said on the form, like any other field.
        Err(AppError::Conflict(m)) => Err(AppError::invalid("slot", m)),
        other => other,
    };
    form_answer(
        result,
        |r| {
            redirect_with_flash(
                &format!("/console/appointments/{}", r.id),
                &format!("已登记，预约编号 {}，查询码 {}（请告知预约人）", r.booking_no, r.query_code),
            )
        },
        async |errors| unprocessable(&entry_tpl(&s, &page, &st, v, errors).await?),
    )
    .await
}
