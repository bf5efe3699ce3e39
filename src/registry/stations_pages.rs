//! 站点 pages (REG-9..11): the station list with export, the station record with facilities,
//! keepers, assigned deputies (就近编组进站), duty rules and their next slots (进站安排), the QR
//! code and contact card links, and the station form. A keeper reaches only their own station.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Days;
use serde::Deserialize;

use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::extract::{ClientIp, Form, PathId, Query};
use crate::app::forms::{Opt, allowed, history, opts, two_ids, unprocessable};
use crate::app::guard;
use crate::app::listing::{FormTarget, Paging, all_rows, download, num, query_string, text};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::HistoryLine;
use crate::app::pages::{Errors, Layout, Page, form_errors, render};
use crate::app::paging::Pager;
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource, Role};
use crate::db;
use crate::export::Cell;
use crate::org;
use crate::registry::console::{check_visible, resolve_person};
use crate::registry::geo::{Datum, parse_pair, valid_wgs84};
use crate::registry::stations::{self, FACILITIES, Station, StationFilter};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/station-types", get(types_page).post(type_create))
        .route("/console/registry/stations", get(list).post(create))
        .route("/console/registry/stations/export", get(export))
        .route("/console/registry/stations/new", get(new_form))
        .route("/console/registry/stations/{id}", get(detail).post(update))
        .route("/console/registry/stations/{id}/edit", get(edit_form))
        .route("/console/registry/stations/{id}/deputies", post(assign))
        .route("/console/registry/stations/{id}/deputies/{person}/remove", post(unassign))
        .route("/console/registry/stations/{id}/rules", post(rule_add))
        .route("/console/registry/stations/{id}/rules/{rule}/remove", post(rule_remove))
        .route("/console/registry/stations/{id}/slots/{slot}/change", post(slot_change))
        .route("/console/registry/stations/{id}/photos", post(photo_add))
        .route("/console/registry/stations/{id}/photos/{photo}/remove", post(photo_remove))
}

const CRUMB: (&str, &str) = ("/console/registry/stations", "站点");
const PAGE_SIZE: u64 = 50;
const EXPORT_BATCH: u64 = 1000;

// ------------------------------------------------------------------ list and export

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    area: Option<String>,
    q: Option<String>,
    after: Option<String>,
    page: Option<String>,
    format: Option<String>,
}

impl ListQuery {
    async fn filter(&self, s: &AppState, p: &Principal) -> AppResult<StationFilter> {
        let area_path = match num(&self.area) {
            Some(a) => Some(org::area(&s.db, a).await?.map(|a| a.path).unwrap_or_else(|| "/none/".into())),
            None => None,
        };
        Ok(StationFilter {
            organ_path: p.organ_path.clone(),
            organ_id: None,
            type_id: num(&self.kind),
            area_path,
            q: Some(text(&self.q)).filter(|q| !q.is_empty()),
            ..Default::default()
        })
    }

    fn query_string(&self) -> String {
        query_string(&[("type", &self.kind), ("area", &self.area), ("q", &self.q)])
    }
}

pub struct StationLine {
    pub s: Station,
    pub deputies: i64,
}

async fn deputy_counts(s: &AppState, ids: &[i64]) -> AppResult<std::collections::HashMap<i64, i64>> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    for r in db::query_rows(
        &s.db,
        &format!("SELECT station_id, count(*) FROM station_deputies WHERE station_id IN ({list}) GROUP BY station_id"),
        vec![],
    )
    .await?
    {
        out.insert(r.try_get_by_index::<i64>(0)?, r.try_get_by_index::<i64>(1)?);
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "registry/stations.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<StationLine>,
    pager: Pager,
    types: Vec<Opt>,
    areas: Vec<Opt>,
    q: String,
    qs: String,
    can_create: bool,
}

/// A keeper who is not also an organ worker is sent to their own station.
fn keeper_only(p: &Principal) -> Option<i64> {
    let worker = p.has(Role::Admin) || p.has(Role::Staff) || p.has(Role::Leader);
    if p.has(Role::Keeper) && !worker { p.station_id } else { None }
}

async fn list(Console { page, p, s, ip }: Console, Query(q): Query<ListQuery>) -> AppResult<Response> {
    if let Some(own) = keeper_only(&p) {
        return Ok(Redirect::to(&format!("/console/registry/stations/{own}")).into_response());
    }
    guard::check(&s, &p, &ip, Action::View, &Resource::Station { id: -1, organ_path: &p.organ_path }, "list").await?;
    let f = q.filter(&s, &p).await?;
    let total = stations::count(&s.db, &f).await?;
    let qs = q.query_string();
    let at = Paging { path: CRUMB.0, qs: &qs, page: q.page.as_deref(), size: PAGE_SIZE };
    let (rows, pager) = at
        .keyset(total, &q.after, async |after, limit| stations::list(&s.db, &f, after, limit).await, |r| r.id)
        .await?;
    let counts = deputy_counts(&s, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let types = stations::types(&s.db).await?;
    let areas = org::areas_all(&s.db).await?;
    render(&ListTpl {
        l: page.layout("站点", &[CRUMB]),
        rows: rows
            .into_iter()
            .map(|st| StationLine { deputies: counts.get(&st.id).copied().unwrap_or(0), s: st })
            .collect(),
        pager,
        types: opts(types.iter().map(|t| (t.id, t.name.clone())), &text(&q.kind)),
        areas: opts(areas.iter().map(|a| (a.id, a.name.clone())), &text(&q.area)),
        q: text(&q.q),
        qs,
        can_create: allowed(&p, Action::Create, &Resource::Station { id: -1, organ_path: &p.organ_path }),
    })
}

async fn export(Caller { p, s, ip }: Caller, Query(q): Query<ListQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::Station { id: -1, organ_path: &p.organ_path }, "export").await?;
    let f = q.filter(&s, &p).await?;
    let all = all_rows(EXPORT_BATCH, |after, limit| stations::list(&s.db, &f, after, limit), |r| r.id).await?;
    let counts = deputy_counts(&s, &all.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let headers =
        ["编号", "名称", "类型", "所在区划", "地址", "纬度", "经度", "开放时间", "电话", "设施", "进站代表数"];
    let rows = all
        .into_iter()
        .map(|st| {
            vec![
                Cell::Int(st.id),
                Cell::Text(st.name.clone()),
                Cell::Text(st.type_name.clone()),
                Cell::Text(st.area_name.clone()),
                Cell::Text(st.address.clone()),
                st.lat.map_or(Cell::Empty, |v| Cell::Text(format!("{v:.6}"))),
                st.lng.map_or(Cell::Empty, |v| Cell::Text(format!("{v:.6}"))),
                Cell::Text(st.opening_hours.clone()),
                Cell::Text(st.phone.clone()),
                Cell::Text(st.facility_list().join("、")),
                Cell::Int(counts.get(&st.id).copied().unwrap_or(0)),
            ]
        })
        .collect();
    Ok(download(q.format.as_deref(), "站点名单", &headers, rows))
}

// ------------------------------------------------------------------ detail

async fn organ_path_of(s: &AppState, organ_id: i64) -> AppResult<String> {
    Ok(org::organ(&s.db, organ_id).await?.map(|o| o.path).unwrap_or_else(|| "/none/".into()))
}

async fn visible_station(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
) -> AppResult<(Station, String)> {
    let st = stations::station(&s.db, id).await?;
    let path = match &st {
        Some(st) => organ_path_of(s, st.organ_id).await?,
        None => "/none/".into(),
    };
    check_visible(s, p, ip, action, &Resource::Station { id, organ_path: &path }, &id.to_string()).await?;
    Ok((st.ok_or(AppError::NotFound)?, path))
}

pub struct DeputyLine {
    pub id: i64,
    pub name: String,
    pub levels: Vec<&'static str>,
    pub work_unit: String,
}

/// What was typed into the rule form.
#[derive(Default, serde::Deserialize)]
pub struct RuleForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub person_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub rule_text: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub valid_from: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub valid_until: String,
}

#[derive(Template)]
#[template(path = "registry/station_detail.html")]
struct DetailTpl {
    l: Layout,
    st: Station,
    facilities: Vec<(String, bool)>,
    keepers: Vec<(i64, String)>,
    deputies: Vec<DeputyLine>,
    rules: Vec<stations::DutyRuleRow>,
    slots: Vec<stations::Slot>,
    /// Dates cancelled or moved, today or later (REG-10).
    changes: Vec<crate::registry::duty_changes::DutyChange>,
    can_edit: bool,
    person: String,
    rule: RuleForm,
    rule_people: Vec<Opt>,
    photos: Vec<crate::attachments::Attachment>,
    /// Which form the errors belong to: `assign`, `rule` or `photo`.
    error_form: &'static str,
    errors: Errors,
    history: Vec<HistoryLine>,
}

#[allow(clippy::too_many_arguments)]
async fn detail_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    st: Station,
    organ_path: &str,
    person: String,
    rule: RuleForm,
    error_form: &'static str,
    errors: Errors,
) -> AppResult<DetailTpl> {
    let mut facilities: Vec<(String, bool)> =
        FACILITIES.iter().map(|f| (f.to_string(), st.facility_list().contains(f))).collect();
    for extra in st.facility_list() {
        if !FACILITIES.contains(&extra) {
            facilities.push((extra.to_string(), true));
        }
    }
    let people = stations::deputies(&s.db, st.id).await?;
    let levels = stations::serving_levels(&s.db, &people.iter().map(|d| d.id).collect::<Vec<_>>()).await?;
    let deputies: Vec<DeputyLine> = people
        .into_iter()
        .map(|d| DeputyLine {
            levels: levels.get(&d.id).map(|l| l.iter().map(|l| l.label()).collect()).unwrap_or_default(),
            id: d.id,
            name: d.name,
            work_unit: d.work_unit,
        })
        .collect();
    let today = stations::today();
    let slots = stations::slots(&s.db, st.id, today, today + Days::new(stations::HORIZON_DAYS), 20).await?;
    let href = format!("/console/registry/stations/{}", st.id);
    let changes = crate::registry::duty_changes::ahead(&s.db, st.id, today).await?;
    Ok(DetailTpl {
        changes,
        l: page.layout(&st.name, &[CRUMB, (&href, &st.name)]),
        facilities,
        keepers: stations::keepers(&s.db, st.id).await?,
        rule_people: opts(deputies.iter().map(|d| (d.id, d.name.clone())), &rule.person_id),
        deputies,
        rules: stations::rules(&s.db, st.id).await?,
        slots,
        can_edit: allowed(p, Action::Update, &Resource::Station { id: st.id, organ_path }),
        history: history(s, "station", st.id).await?,
        photos: crate::attachments::of_owner(&s.db, crate::registry::OWNER_STATION, st.id).await?,
        st,
        person,
        rule,
        error_form,
        errors,
    })
}

async fn detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let (st, path) = visible_station(&s, &p, &ip, id, Action::View).await?;
    render(&detail_tpl(&page, &s, &p, st, &path, String::new(), RuleForm::default(), "", Errors::default()).await?)
}

async fn assign(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<crate::app::forms::PersonField>,
) -> AppResult<Response> {
    let (st, path) = visible_station(&s, &p, &ip, id, Action::Update).await?;
    let text = f.person;
    let result = async {
        let pid = resolve_person(&s, &path, "person", &text).await?;
        let added = write(&s, &p, &ip, async |w| {
            let added = stations::assign_deputy(w.txn(), w.key(), w.actor(), id, pid).await?;
            Ok(added)
        })
        .await?;
        Ok::<bool, AppError>(added)
    }
    .await;
    match result {
        Ok(added) => {
            crate::registry::cache(&s).nearest.invalidate();
            Ok(redirect_with_flash(
                &format!("/console/registry/stations/{id}"),
                if added { "代表已编入本站点" } else { "这位代表已在本站点" },
            ))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(&detail_tpl(&page, &s, &p, st, &path, text, RuleForm::default(), "assign", errors).await?)
        }
    }
}

async fn unassign(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(_): Form<crate::app::forms::Button>,
) -> AppResult<Response> {
    let (id, person) = two_ids(path)?;
    visible_station(&s, &p, &ip, id, Action::Update).await?;
    write(&s, &p, &ip, async |w| stations::unassign_deputy(w.txn(), w.key(), w.actor(), id, person).await).await?;
    crate::registry::cache(&s).nearest.invalidate();
    Ok(redirect_with_flash(&format!("/console/registry/stations/{id}"), "代表已离站，其今后的进站安排一并取消"))
}

async fn rule_add(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<RuleForm>,
) -> AppResult<Response> {
    let (st, path) = visible_station(&s, &p, &ip, id, Action::Update).await?;
    let rule = f;
    let result = write(&s, &p, &ip, async |w| {
        stations::add_rule(
            w.txn(),
            w.key(),
            w.actor(),
            id,
            rule.person_id.parse().unwrap_or(0),
            &rule.rule_text,
            Some(&rule.valid_from),
            Some(&rule.valid_until),
        )
        .await
    })
    .await;
    form_answer(
        result,
        |_| {
            crate::registry::cache(&s).nearest.invalidate();
            redirect_with_flash(&format!("/console/registry/stations/{id}"), "进站安排已保存，接待时段已生成")
        },
        async |errors| unprocessable(&detail_tpl(&page, &s, &p, st, &path, String::new(), rule, "rule", errors).await?),
    )
    .await
}

async fn rule_remove(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(_): Form<crate::app::forms::Button>,
) -> AppResult<Response> {
    let (id, rule) = two_ids(path)?;
    visible_station(&s, &p, &ip, id, Action::Update).await?;
    write(&s, &p, &ip, async |w| stations::remove_rule(w.txn(), w.key(), w.actor(), id, rule).await).await?;
    crate::registry::cache(&s).nearest.invalidate();
    Ok(redirect_with_flash(&format!("/console/registry/stations/{id}"), "进站安排已删除，今后的接待时段一并取消"))
}

/// One date cancelled or moved, with its public reason.
#[derive(Default, serde::Deserialize)]
pub struct SlotChangeForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub new_date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub reason: String,
}

async fn slot_change(
    Console { page, p, s, ip }: Console,
    path: Path<(String, String)>,
    Form(f): Form<SlotChangeForm>,
) -> AppResult<Response> {
    let (id, slot) = two_ids(path)?;
    let (st, organ_path) = visible_station(&s, &p, &ip, id, Action::Update).await?;
    let result = write(&s, &p, &ip, async |w| {
        crate::registry::duty_changes::change_slot(
            w.txn(),
            w.key(),
            w.actor(),
            id,
            slot,
            &f.kind,
            &f.new_date,
            &f.reason,
            stations::today(),
        )
        .await
    })
    .await;
    form_answer(
        result,
        |_| {
            crate::registry::cache(&s).nearest.invalidate();
            redirect_with_flash(&format!("/console/registry/stations/{id}"), "接待时段已调整，联络站页面会公布原因")
        },
        async |errors| {
            let tpl = detail_tpl(&page, &s, &p, st, &organ_path, String::new(), RuleForm::default(), "slot", errors);
            unprocessable(&tpl.await?)
        },
    )
    .await
}

// ------------------------------------------------------------------ form

/// The station form as typed.
#[derive(Default, serde::Deserialize)]
pub struct StationForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub type_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub area_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub address: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub lat: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub lng: String,
    /// "经度,纬度" pasted from a map picker, instead of the two fields.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub coords: String,
    /// The datum the coordinates were copied in (`Datum::parse`); empty is WGS-84.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub datum: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub online_only: bool,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub opening_hours: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default)]
    pub facilities: Vec<String>,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub description: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub join_info: String,
}

impl StationForm {
    fn from_station(st: &Station) -> StationForm {
        StationForm {
            name: st.name.clone(),
            type_id: st.type_id.to_string(),
            area_id: st.area_id.to_string(),
            address: st.address.clone(),
            lat: st.lat.map(|v| v.to_string()).unwrap_or_default(),
            lng: st.lng.map(|v| v.to_string()).unwrap_or_default(),
            coords: String::new(),
            datum: Datum::Wgs84.as_str().into(),
            online_only: st.online_only,
            opening_hours: st.opening_hours.clone(),
            phone: st.phone.clone(),
            facilities: st.facility_list().into_iter().map(str::to_string).collect(),
            description: st.description.clone(),
            join_info: st.join_info.clone(),
        }
    }

    fn has(&self, f: &str) -> bool {
        self.facilities.iter().any(|x| x == f)
    }

    /// The typed values, with number errors for the coordinates, which are converted to
    /// WGS-84 from the datum they were copied in.
    fn input(&self) -> (stations::StationInput, Vec<FieldError>) {
        let mut errors = Vec::new();
        let datum = match self.datum.as_str() {
            "" => Datum::Wgs84,
            d => Datum::parse(d).unwrap_or_else(|| {
                errors.push(FieldError { field: "datum".into(), message: "请选择坐标系".into() });
                Datum::Wgs84
            }),
        };
        let pasted = match self.coords.as_str() {
            "" => None,
            text => match parse_pair(text) {
                Some(pair) => Some(pair),
                None => {
                    errors.push(FieldError {
                        field: "coords".into(),
                        message: "无法识别这对坐标，请粘贴“经度,纬度”，例如 119.416351,35.993834".into(),
                    });
                    None
                }
            },
        };
        let mut coord = |raw: &str, field: &str| -> Option<f64> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match raw.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(FieldError {
                        field: field.into(), message: "坐标应为数字，例如 35.995654".into()
                    });
                    None
                }
            }
        };
        let (mut lat, mut lng) = match pasted {
            Some((a, b)) => (Some(a), Some(b)),
            None => (coord(&self.lat, "lat"), coord(&self.lng, "lng")),
        };
        if let (Some(a), Some(b)) = (lat, lng)
            && valid_wgs84(a, b)
        {
            let (a, b) = datum.to_wgs84(a, b);
            (lat, lng) = (Some(a), Some(b));
        }
        (
            stations::StationInput {
                name: self.name.clone(),
                type_id: self.type_id.parse().unwrap_or(0),
                area_id: self.area_id.parse().unwrap_or(0),
                address: self.address.clone(),
                lat,
                lng,
                online_only: self.online_only,
                opening_hours: self.opening_hours.clone(),
                phone: self.phone.clone(),
                facilities: self.facilities.clone(),
                description: self.description.clone(),
                join_info: self.join_info.clone(),
            },
            errors,
        )
    }
}

#[derive(Template)]
#[template(path = "registry/station_form.html")]
struct FormTpl {
    l: Layout,
    v: StationForm,
    errors: Errors,
    action: String,
    cancel: String,
    is_new: bool,
    types: Vec<Opt>,
    areas: Vec<Opt>,
    facilities: Vec<&'static str>,
    datums: Vec<(&'static str, &'static str)>,
}

async fn form_tpl(
    page: &Page,
    s: &AppState,
    v: StationForm,
    errors: Errors,
    existing: Option<&Station>,
) -> AppResult<FormTpl> {
    let t = FormTarget::new(CRUMB.0, "新建站点", existing.map(|st| (st.id, st.name.as_str())));
    let types = stations::types(&s.db).await?;
    let areas = org::areas_all(&s.db).await?;
    Ok(FormTpl {
        l: page.layout(&t.title, &[CRUMB, (&t.crumb, &t.title)]),
        types: opts(types.iter().map(|t| (t.id, t.name.clone())), &v.type_id),
        areas: opts(areas.iter().map(|a| (a.id, a.name.clone())), &v.area_id),
        facilities: FACILITIES.to_vec(),
        datums: Datum::ALL.iter().map(|d| (d.as_str(), d.label())).collect(),
        is_new: existing.is_none(),
        v,
        errors,
        action: t.action,
        cancel: t.cancel,
    })
}

async fn new_form(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Station { id: -1, organ_path: &p.organ_path }, "new").await?;
    let v = StationForm { facilities: FACILITIES[..6].iter().map(|f| f.to_string()).collect(), ..Default::default() };
    render(&form_tpl(&page, &s, v, Errors::default(), None).await?)
}

/// Validates the form: coordinate numbers first, then the model's own checks.
async fn validated(s: &AppState, v: &StationForm) -> Result<stations::StationInput, AppError> {
    let (input, mut coord_errors) = v.input();
    match stations::validate(&s.db, &input).await {
        Ok(ok) if coord_errors.is_empty() => Ok(ok),
        Ok(_) => Err(persons_invalid(coord_errors)),
        Err(AppError::Invalid { fields, .. }) => {
            for f in fields {
                if !coord_errors.iter().any(|e| e.field == f.field) {
                    coord_errors.push(f);
                }
            }
            Err(persons_invalid(coord_errors))
        }
        Err(e) => Err(e),
    }
}

fn persons_invalid(fields: Vec<FieldError>) -> AppError {
    crate::registry::persons::invalid(fields)
}

async fn create(Console { page, p, s, ip }: Console, Form(f): Form<StationForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Station { id: -1, organ_path: &p.organ_path }, "new").await?;
    let v = f;
    let input = match validated(&s, &v).await {
        Ok(i) => i,
        Err(e) => return unprocessable(&form_tpl(&page, &s, v, form_errors(e)?, None).await?),
    };
    let id = write(&s, &p, &ip, async |w| {
        let id = stations::create(w.txn(), w.key(), w.actor(), p.organ_id, &input).await?;
        Ok(id)
    })
    .await?;
    crate::registry::cache(&s).nearest.invalidate();
    Ok(redirect_with_flash(&format!("/console/registry/stations/{id}"), &format!("已新建站点 {}", input.name)))
}

async fn edit_form(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let (st, _) = visible_station(&s, &p, &ip, id, Action::Update).await?;
    render(&form_tpl(&page, &s, StationForm::from_station(&st), Errors::default(), Some(&st)).await?)
}

async fn update(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<StationForm>,
) -> AppResult<Response> {
    let (st, _) = visible_station(&s, &p, &ip, id, Action::Update).await?;
    let v = f;
    let input = match validated(&s, &v).await {
        Ok(i) => i,
        Err(e) => return unprocessable(&form_tpl(&page, &s, v, form_errors(e)?, Some(&st)).await?),
    };
    write(&s, &p, &ip, async |w| stations::update(w.txn(), w.key(), w.actor(), id, &input).await).await?;
    crate::registry::cache(&s).nearest.invalidate();
    Ok(redirect_with_flash(&format!("/console/registry/stations/{id}"), "站点信息已保存"))
}

async fn photo_add(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    upload: crate::app::extract::UploadedFile,
) -> AppResult<Response> {
    use crate::attachments::{self, IMAGES, Upload};
    use crate::registry::OWNER_STATION;
    let (st, path) = visible_station(&s, &p, &ip, id, Action::Update).await?;
    let crate::app::extract::UploadedFile { name, bytes, .. } = upload;
    let upload = Upload { file_name: &name, bytes: &bytes };
    let result = async {
        let file = attachments::prepare(&upload, IMAGES, s.config.attachments_max_bytes).await?;
        write(&s, &p, &ip, async |w| {
            attachments::attach(
                w.txn(),
                s.storage.as_ref(),
                w.key(),
                w.actor(),
                st.organ_id,
                (OWNER_STATION, id),
                &file,
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(redirect_with_flash(&format!("/console/registry/stations/{id}"), "照片已上传")),
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(
                &detail_tpl(&page, &s, &p, st, &path, String::new(), RuleForm::default(), "photo", errors).await?,
            )
        }
    }
}

async fn photo_remove(
    Caller { p, s, ip }: Caller,
    Path((id, photo)): Path<(String, String)>,
    Form(_): Form<crate::app::forms::Button>,
) -> AppResult<Response> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let photo = photo.parse::<i64>().map_err(|_| AppError::NotFound)?;
    visible_station(&s, &p, &ip, id, Action::Update).await?;
    write(&s, &p, &ip, async |w| {
        crate::attachments::remove(
            w.txn(),
            s.storage.as_ref(),
            w.key(),
            w.actor(),
            (crate::registry::OWNER_STATION, id),
            photo,
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/registry/stations/{id}"), "照片已删除"))
}

#[derive(Template)]
#[template(path = "registry/station_types.html")]
struct TypesTpl {
    l: Layout,
    types: Vec<(stations::StationType, i64)>,
    can_create: bool,
    name: String,
    errors: Errors,
}

async fn types_tpl(page: &Page, s: &AppState, p: &Principal, name: String, errors: Errors) -> AppResult<TypesTpl> {
    let counts: std::collections::HashMap<i64, i64> =
        db::query_rows(&s.db, "SELECT type_id, count(*) FROM stations GROUP BY type_id", vec![])
            .await?
            .iter()
            .filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?)))
            .collect();
    let types = stations::types(&s.db).await?.into_iter().map(|t| {
        let n = counts.get(&t.id).copied().unwrap_or(0);
        (t, n)
    });
    Ok(TypesTpl {
        l: page.layout("站点类型", &[("/console/registry/station-types", "站点类型")]),
        types: types.collect(),
        can_create: allowed(p, Action::Create, &Resource::Registry { organ_path: &p.organ_path }),
        name,
        errors,
    })
}

async fn types_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::Registry { organ_path: &p.organ_path }, "station_types").await?;
    render(&types_tpl(&page, &s, &p, String::new(), Errors::default()).await?)
}

async fn type_create(
    Console { page, p, s, ip }: Console,
    Form(f): Form<crate::app::forms::PersonField>,
) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Registry { organ_path: &p.organ_path }, "station_types")
        .await?;
    let name = f.name;
    let result = async {
        write(&s, &p, &ip, async |w| stations::create_type(w.txn(), w.key(), w.actor(), p.organ_id, &name).await)
            .await?;
        Ok::<(), AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            crate::registry::cache(&s).station_types.clear();
            Ok(redirect_with_flash("/console/registry/station-types", &format!("已新增站点类型“{}”", name.trim())))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(&types_tpl(&page, &s, &p, name, errors).await?)
        }
    }
}
