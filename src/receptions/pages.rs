//! Receptions in the console (OPN-12): the list (with the feedback that is overdue), a new
//! reception with the station's deputies as checkboxes and the issues one a line, the
//! reception's page with its three lists and the forms to add to them and to record a
//! fulfilment, and the monthly summary per station with its .xlsx export.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::model::{self, Filter, Item, ListKind, Reception, Scope};
use super::service::{self, Entry, Fulfilment, NewItem, NewReception};
use super::summary::{self, Figures};
use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, Form, PathId, Query};
use crate::app::forms::{Opt, allowed, opt_id, opts, two_ids, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource};
use crate::export::{Cell, Table, content_disposition, to_xlsx};
use crate::registry::stations::{Station, StationDeputy};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/receptions", get(list))
        .route("/console/receptions/new", get(new_form).post(create))
        .route("/console/receptions/summary", get(summary_page))
        .route("/console/receptions/{id}", get(detail))
        .route("/console/receptions/{id}/items", post(add_item))
        .route("/console/receptions/{id}/items/{item}/fulfil", post(fulfil))
}

const CRUMB: (&str, &str) = ("/console/receptions", "接待活动");

/// How many receptions a list shows.
const LIST_LIMIT: i64 = 200;

// ------------------------------------------------------------------ who sees what

/// A station and the deputies assigned to it: what the authorization needs.
pub struct StationFacts {
    pub station: Station,
    pub deputies: Vec<StationDeputy>,
    pub deputy_ids: Vec<i64>,
}

impl StationFacts {
    pub fn resource(&self) -> Resource<'_> {
        Resource::Reception {
            organ_path: &self.station.organ_path,
            station_id: Some(self.station.id),
            station_deputies: &self.deputy_ids,
        }
    }
}

pub async fn station_facts(s: &AppState, station_id: i64) -> AppResult<StationFacts> {
    let station = crate::registry::stations::station(&s.db, station_id).await?.ok_or(AppError::NotFound)?;
    let deputies = crate::registry::stations::deputies(&s.db, station_id).await?;
    let deputy_ids = deputies.iter().map(|d| d.id).collect();
    Ok(StationFacts { station, deputies, deputy_ids })
}

/// The station of a reception action, checked (404 for a station the caller may not see).
pub async fn check_station(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    station_id: i64,
) -> AppResult<StationFacts> {
    let facts = station_facts(s, station_id).await?;
    guard::check(s, p, ip, action, &facts.resource(), &format!("station:{station_id}")).await?;
    Ok(facts)
}

/// A reception the caller may `action`, with its station's facts.
pub async fn check_reception(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    id: i64,
) -> AppResult<(Reception, StationFacts)> {
    let r = model::reception(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let facts = station_facts(s, r.station_id).await?;
    guard::check(s, p, ip, action, &facts.resource(), &id.to_string()).await?;
    Ok((r, facts))
}

/// The receptions a caller sees: an organ subtree (organ workers) and the stations whose
/// keeper or deputy they are — each decided by the authorization.
pub async fn scope_of(s: &AppState, p: &Principal) -> AppResult<Scope> {
    let whole = Resource::Reception { organ_path: &p.organ_path, station_id: None, station_deputies: &[] };
    let mut scope =
        Scope { organ_path: allowed(p, Action::View, &whole).then(|| p.organ_path.clone()), stations: Vec::new() };
    let mut candidates: Vec<i64> = p.station_id.into_iter().collect();
    if let Some(d) = p.deputy_id {
        candidates.extend(model::stations_of_deputy(&s.db, d).await?);
    }
    for st in candidates {
        if scope.stations.contains(&st) {
            continue;
        }
        if let Ok(facts) = station_facts(s, st).await
            && allowed(p, Action::View, &facts.resource())
        {
            scope.stations.push(st);
        }
    }
    Ok(scope)
}

/// Stations the caller may record receptions at (for the picker): their own as keeper, or
/// the organ subtree's.
async fn stations_for_entry(s: &AppState, p: &Principal) -> AppResult<Vec<Station>> {
    let mut out = Vec::new();
    if let Some(st) = p.station_id
        && let Ok(facts) = station_facts(s, st).await
        && allowed(p, Action::Create, &facts.resource())
    {
        out.push(facts.station);
    }
    let whole = Resource::Reception { organ_path: &p.organ_path, station_id: None, station_deputies: &[] };
    if allowed(p, Action::Create, &whole) {
        let f = crate::registry::stations::StationFilter { organ_path: p.organ_path.clone(), ..Default::default() };
        for st in crate::registry::stations::list(&s.db, &f, 0, 500).await? {
            if !out.iter().any(|o: &Station| o.id == st.id) {
                out.push(st);
            }
        }
    }
    Ok(out)
}

pub fn today() -> String {
    crate::calendar::beijing_date(crate::db::now()).format("%Y-%m-%d").to_string()
}

// ------------------------------------------------------------------ list

#[derive(Deserialize, Default)]
pub struct ListQuery {
    station: Option<String>,
    month: Option<String>,
}

impl ListQuery {
    /// The filter, or the field that is wrong.
    pub fn filter(&self) -> AppResult<Filter> {
        let station_id = self.station.as_deref().and_then(opt_id);
        let month = self.month.as_deref().map(str::trim).filter(|m| !m.is_empty());
        let (from, to) = match month {
            Some(m) => {
                let (a, b) = summary::month_bounds(m)
                    .ok_or_else(|| AppError::invalid("month", "月份应写作 YYYY-MM，如 2026-12"))?;
                (Some(a.format("%Y-%m-%d").to_string()), Some(b.format("%Y-%m-%d").to_string()))
            }
            None => (None, None),
        };
        Ok(Filter { station_id, from, to })
    }
}

#[derive(Template)]
#[template(path = "receptions/list.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<Reception>,
    overdue: Vec<Item>,
    can_create: bool,
    stations: Vec<Opt>,
    month: String,
}

async fn visible_scope(s: &AppState, p: &Principal) -> AppResult<Scope> {
    let scope = scope_of(s, p).await?;
    if scope.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(scope)
}

async fn list(page: Page, Auth(p): Auth, State(s): State<AppState>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let scope = visible_scope(&s, &p).await?;
    let f = q.filter()?;
    let rows = model::list(&s.db, &scope, &f, LIST_LIMIT).await?;
    let overdue = model::overdue(&s.db, &scope, &today()).await?;
    let entry = stations_for_entry(&s, &p).await?;
    let current = f.station_id.map(|v| v.to_string()).unwrap_or_default();
    let stations = station_options(&s, &scope, &current).await?;
    render(&ListTpl {
        l: page.layout("接待活动", &[CRUMB]),
        rows,
        overdue,
        can_create: !entry.is_empty(),
        stations,
        month: q.month.clone().unwrap_or_default(),
    })
}

/// The stations of a scope that have receptions, for a filter.
async fn station_options(s: &AppState, scope: &Scope, current: &str) -> AppResult<Vec<Opt>> {
    Ok(opts(model::stations_in(&s.db, scope).await?, current))
}

// ------------------------------------------------------------------ new reception

#[derive(Deserialize, Default, Clone)]
pub struct ReceptionForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub station: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub held_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub theme: String,
    #[serde(default)]
    pub attendees: String,
    #[serde(default)]
    pub deputies: Vec<String>,
    #[serde(default)]
    pub issues: String,
}

impl ReceptionForm {
    fn input(&self, station_id: i64) -> NewReception {
        NewReception {
            station_id,
            held_on: self.held_on.clone(),
            theme: self.theme.clone(),
            attendees: self.attendees.clone(),
            deputies: self.deputies.iter().filter_map(|d| opt_id(d)).collect(),
            issues: service::issue_lines(&self.issues),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    station: Option<String>,
}

/// One deputy checkbox.
pub struct DeputyBox {
    pub id: i64,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "receptions/new.html")]
struct NewTpl {
    l: Layout,
    /// Without a station: the picker.
    stations: Vec<Opt>,
    station: Option<Station>,
    deputies: Vec<DeputyBox>,
    min_deputies: i64,
    v: ReceptionForm,
    errors: Errors,
}

fn new_tpl(s: &AppState, page: &Page, facts: &StationFacts, v: ReceptionForm, errors: Errors) -> NewTpl {
    let ticked: Vec<i64> = v.deputies.iter().filter_map(|d| opt_id(d)).collect();
    NewTpl {
        l: page.layout("记录接待活动", &[CRUMB, ("/console/receptions/new", "记录接待")]),
        stations: Vec::new(),
        station: Some(facts.station.clone()),
        deputies: facts
            .deputies
            .iter()
            .map(|d| DeputyBox { id: d.id, name: d.name.clone(), checked: ticked.contains(&d.id) })
            .collect(),
        min_deputies: s.config.reception_min_deputies,
        v,
        errors,
    }
}

async fn new_form(Console { page, p, s, ip }: Console, Query(q): Query<NewQuery>) -> AppResult<Response> {
    match q.station.as_deref().and_then(opt_id) {
        Some(st) => {
            let facts = check_station(&s, &p, &ip, Action::Create, st).await?;
            let v = ReceptionForm { held_on: today(), station: st.to_string(), ..Default::default() };
            render(&new_tpl(&s, &page, &facts, v, Errors::default()))
        }
        None => {
            let stations = stations_for_entry(&s, &p).await?;
            if stations.is_empty() {
                return Err(AppError::Forbidden("只有机关工作人员和联络站管理员可以记录接待活动".into()));
            }
            render(&NewTpl {
                l: page.layout("记录接待活动", &[CRUMB, ("/console/receptions/new", "记录接待")]),
                stations: opts(stations.iter().map(|st| (st.id, st.name.clone())), ""),
                station: None,
                deputies: Vec::new(),
                min_deputies: s.config.reception_min_deputies,
                v: ReceptionForm::default(),
                errors: Errors::default(),
            })
        }
    }
}

async fn create(Console { page, p, s, ip }: Console, Form(v): Form<ReceptionForm>) -> AppResult<Response> {
    let station_id = opt_id(&v.station).ok_or(AppError::NotFound)?;
    let facts = check_station(&s, &p, &ip, Action::Create, station_id).await?;
    let input = v.input(station_id);
    let lexicon = crate::opinions::lexicon::current(&s).await?;
    let entry = Entry { entered_by: Some(p.account_id), client: &ip.0, now: crate::db::now(), lexicon: &lexicon };
    let min = s.config.reception_min_deputies;
    let result = write(&s, &p, &ip, async |w| {
        service::create(w.txn(), w.key(), &s.crypto, w.actor(), min, &input, &entry).await
    })
    .await;
    form_answer(
        result,
        |c| {
            redirect_with_flash(
                &format!("/console/receptions/{}", c.id),
                &format!("接待活动已记录，{} 条问题已作为群众意见录入", c.tracking_nos.len()),
            )
        },
        async |errors| unprocessable(&new_tpl(&s, &page, &facts, v, errors)),
    )
    .await
}

// ------------------------------------------------------------------ a reception

#[derive(Deserialize, Default, Clone)]
pub struct ItemForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub kind: String,
    #[serde(default)]
    pub body: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub promised_on: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct FulfilForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub fulfilled_on: String,
    #[serde(default)]
    pub note: String,
}

/// One of the three lists on the page.
pub struct ListView {
    pub kind: ListKind,
    pub items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "receptions/detail.html")]
struct DetailTpl {
    l: Layout,
    r: Reception,
    deputies: Vec<(i64, String)>,
    lists: Vec<ListView>,
    can_edit: bool,
    today: String,
    kinds: Vec<Opt>,
    item: ItemForm,
    /// The feedback item whose fulfilment form was sent, with what was typed.
    fulfil_of: Option<i64>,
    fulfil: FulfilForm,
    errors: Errors,
}

impl DetailTpl {
    /// The fulfilment form of this item was the one sent (its input and errors are shown).
    fn fulfilling(&self, id: &i64) -> bool {
        self.fulfil_of == Some(*id)
    }
}

/// What the page's forms hold: empty, or what was sent with its errors.
#[derive(Default)]
struct Sent {
    item: ItemForm,
    fulfil_of: Option<i64>,
    fulfil: FulfilForm,
    errors: Errors,
}

async fn detail_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    r: Reception,
    facts: &StationFacts,
    sent: Sent,
) -> AppResult<DetailTpl> {
    let Sent { item, fulfil_of, fulfil, errors } = sent;
    let deputies = model::deputies(&s.db, r.id).await?;
    let items = model::items(&s.db, r.id).await?;
    let lists = ListKind::ALL
        .into_iter()
        .map(|kind| ListView { kind, items: items.iter().filter(|i| i.kind() == kind).cloned().collect() })
        .collect();
    let title = format!("{} {}", r.held_on, r.theme);
    Ok(DetailTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/receptions/{}", r.id), &r.held_on)]),
        can_edit: allowed(p, Action::Update, &facts.resource()),
        kinds: opts(ListKind::ALL.map(|k| (k.as_str(), k.label())), &item.kind),
        today: today(),
        r,
        deputies,
        lists,
        item,
        fulfil_of,
        fulfil,
        errors,
    })
}

async fn detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let (r, facts) = check_reception(&s, &p, &ip, Action::View, id).await?;
    let t = detail_tpl(&s, &p, &page, r, &facts, Sent::default()).await?;
    render(&t)
}

async fn add_item(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(v): Form<ItemForm>,
) -> AppResult<Response> {
    let (r, facts) = check_reception(&s, &p, &ip, Action::Update, id).await?;
    let input = NewItem { kind: v.kind.clone(), body: v.body.clone(), promised_on: v.promised_on.clone() };
    let lexicon = crate::opinions::lexicon::current(&s).await?;
    let entry = Entry { entered_by: Some(p.account_id), client: &ip.0, now: crate::db::now(), lexicon: &lexicon };
    let result = write(&s, &p, &ip, async |w| {
        service::add_item(w.txn(), w.key(), &s.crypto, w.actor(), &r, &input, &entry).await
    })
    .await;
    let kind = ListKind::parse(&v.kind);
    form_answer(
        result,
        |_| {
            redirect_with_flash(
                &format!("/console/receptions/{id}"),
                &format!("已加入{}", kind.map(|k| k.label()).unwrap_or("清单")),
            )
        },
        async |errors| {
            let sent = Sent { item: v, errors, ..Sent::default() };
            let t = detail_tpl(&s, &p, &page, r.clone(), &facts, sent).await?;
            unprocessable(&t)
        },
    )
    .await
}

async fn fulfil(
    Console { page, p, s, ip }: Console,
    path: Path<(String, String)>,
    Form(v): Form<FulfilForm>,
) -> AppResult<Response> {
    let (id, item) = two_ids(path)?;
    let (r, facts) = check_reception(&s, &p, &ip, Action::Update, id).await?;
    let input = Fulfilment { fulfilled_on: v.fulfilled_on.clone(), note: v.note.clone() };
    let now = crate::db::now();
    let result =
        write(&s, &p, &ip, async |w| service::fulfil(w.txn(), w.key(), w.actor(), &r, item, &input, now).await).await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/receptions/{id}"), "反馈兑现情况已记录"),
        async |errors| {
            let sent = Sent { fulfil_of: Some(item), fulfil: v, errors, ..Sent::default() };
            let t = detail_tpl(&s, &p, &page, r.clone(), &facts, sent).await?;
            unprocessable(&t)
        },
    )
    .await
}

// ------------------------------------------------------------------ monthly summary

#[derive(Deserialize, Default)]
pub struct SummaryQuery {
    station: Option<String>,
    month: Option<String>,
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "receptions/summary.html")]
struct SummaryTpl {
    l: Layout,
    lines: Vec<Figures>,
    total: Figures,
    month: String,
    stations: Vec<Opt>,
    qs: String,
}

/// The figures of a month for the caller's scope (one station when given): the lines per
/// station and the total.
pub async fn month_figures(
    s: &AppState,
    scope: &Scope,
    station_id: Option<i64>,
    month: &str,
) -> AppResult<(Vec<Figures>, Figures)> {
    let (from, to) =
        summary::month_bounds(month).ok_or_else(|| AppError::invalid("month", "月份应写作 YYYY-MM，如 2026-12"))?;
    let f = Filter {
        station_id,
        from: Some(from.format("%Y-%m-%d").to_string()),
        to: Some(to.format("%Y-%m-%d").to_string()),
    };
    let receptions = model::list(&s.db, scope, &f, i64::MAX / 2).await?;
    let attendance = model::attendance_of(&s.db, scope, &f).await?;
    let items = model::items_of(&s.db, scope, &f).await?;
    Ok(summary::figures(&receptions, &attendance, &items, &today()))
}

async fn summary_page(Console { page, p, s, ip }: Console, Query(q): Query<SummaryQuery>) -> AppResult<Response> {
    let scope = visible_scope(&s, &p).await?;
    let station_id = q.station.as_deref().and_then(opt_id);
    if let Some(st) = station_id {
        check_station(&s, &p, &ip, Action::View, st).await?;
    }
    let month = q
        .month
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(String::from)
        .unwrap_or_else(|| today()[..7].to_string());
    let (lines, total) = month_figures(&s, &scope, station_id, &month).await?;
    if q.format.as_deref() == Some("xlsx") {
        return Ok(export(&month, &lines, &total));
    }
    let current = station_id.map(|v| v.to_string()).unwrap_or_default();
    let qs =
        serde_urlencoded::to_string([("station", current.as_str()), ("month", month.as_str())]).unwrap_or_default();
    render(&SummaryTpl {
        l: page.layout("接待活动月度总结", &[CRUMB, ("/console/receptions/summary", "月度总结")]),
        stations: station_options(&s, &scope, &current).await?,
        lines,
        total,
        month,
        qs,
    })
}

pub const SUMMARY_HEADERS: [&str; 12] = [
    "联络站",
    "接待次数",
    "参加代表（人）",
    "参加代表（人次）",
    "收集问题",
    "已办结",
    "办理中",
    "对策建议",
    "承诺反馈",
    "已反馈",
    "逾期未反馈",
    "月份",
];

fn export(month: &str, lines: &[Figures], total: &Figures) -> Response {
    let row = |f: &Figures| {
        vec![
            Cell::Text(f.station_name.clone()),
            Cell::Int(f.receptions),
            Cell::Int(f.deputies),
            Cell::Int(f.attendances),
            Cell::Int(f.issues),
            Cell::Int(f.issues_closed),
            Cell::Int(f.issues_at_work),
            Cell::Int(f.countermeasures),
            Cell::Int(f.feedback_promised),
            Cell::Int(f.feedback_fulfilled),
            Cell::Int(f.feedback_overdue),
            Cell::Text(month.into()),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = lines.iter().map(row).collect();
    rows.push(row(total));
    let title = format!("接待活动月度总结 {month}");
    let table = Table { title: title.clone(), headers: SUMMARY_HEADERS.iter().map(|h| h.to_string()).collect(), rows };
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(&title, "xlsx")),
        ],
        to_xlsx(&table),
    )
        .into_response()
}
