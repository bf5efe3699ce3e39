//! The pages of a deputy group's written evaluation (SUG-10): `/console/suggestions/group-evaluations`
//! — for a deputy, their groups with the year's units and what each group wrote (on a phone);
//! for the organ's workers, every group's evaluation of the year by unit; for a unit, those about
//! itself — and the form a member fills for one unit (three grades with comments, a note).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::evaluation::units_of_year;
use super::group_evaluation::{self as ge, GroupEvaluation, Input};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, Form, PathId, Query};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource, Role};
use crate::handling::flow::Grade;
use crate::registry::structure::{GroupRow, group};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/suggestions/group-evaluations", get(list))
        .route("/console/suggestions/group-evaluations/{group}", get(form).post(save))
}

const CRUMBS: [(&str, &str); 2] =
    [("/console/suggestions", "代表建议"), ("/console/suggestions/group-evaluations", "代表小组书面评价")];

fn this_year() -> i64 {
    i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(crate::db::now())))
}

fn year_of(y: Option<i64>) -> AppResult<i64> {
    let year = y.unwrap_or_else(this_year);
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年度应在 2000 到 2100 之间"));
    }
    Ok(year)
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<i64>,
    unit: Option<i64>,
}

/// A unit on a member's list: written or not.
struct UnitLine {
    id: i64,
    name: String,
    written: Option<GroupEvaluation>,
}

/// One of the deputy's groups with the year's units.
struct GroupLines {
    id: i64,
    name: String,
    closed: bool,
    units: Vec<UnitLine>,
}

#[derive(Template)]
#[template(path = "suggestions/group_evaluations.html")]
struct ListTpl {
    l: Layout,
    year: i64,
    /// A deputy's groups.
    groups: Vec<GroupLines>,
    /// What the caller reads: the organ's (workers) or about their unit.
    read: Vec<GroupEvaluation>,
    worker: bool,
}

/// The caller's person when they act as a deputy.
fn deputy_of(p: &Principal) -> Option<i64> {
    p.deputy_id.filter(|_| p.has(Role::Deputy))
}

async fn list(page: Page, Auth(p): Auth, State(s): State<AppState>, Query(q): Query<YearQuery>) -> AppResult<Response> {
    let year = year_of(q.year)?;
    let mut groups = Vec::new();
    if let Some(person) = deputy_of(&p) {
        for g in super::drafts::groups_of(&s.db, person).await? {
            let Some(row) = group(&s.db, g.id).await? else { continue };
            if !allows(&p, Action::Create, &ge::resource(&row, true, 0)) {
                continue;
            }
            let written = ge::of_group(&s.db, row.id, year).await?;
            let units = units_of_year(&s.db, row.organ_id, year)
                .await?
                .into_iter()
                .map(|(id, name)| UnitLine { written: written.iter().find(|e| e.unit_id == id).cloned(), id, name })
                .collect();
            groups.push(GroupLines {
                id: row.id,
                name: row.name,
                closed: ge::closed(&s.db, row.organ_id, year).await?,
                units,
            });
        }
    }
    let worker =
        allows(&p, Action::View, &Resource::Ballot { organ_path: &p.organ_path, elector: false, watcher: false });
    let mut read = if worker {
        ge::of_year(&s.db, p.organ_id, year).await?
    } else if let Some(unit) = p.unit_id.filter(|_| p.has(Role::Unit)) {
        ge::of_unit(&s.db, unit).await?
    } else {
        Vec::new()
    };
    // What the authorization lets this caller read, each by its group's organ.
    let mut seen = Vec::with_capacity(read.len());
    for e in read.drain(..) {
        let Some(g) = group(&s.db, e.group_id).await? else { continue };
        if allows(&p, Action::View, &ge::resource(&g, false, e.unit_id)) {
            seen.push(e);
        }
    }
    if groups.is_empty() && seen.is_empty() && !worker && deputy_of(&p).is_none() && !p.has(Role::Unit) {
        return Err(AppError::NotFound);
    }
    render(&ListTpl { l: page.layout("代表小组书面评价", &CRUMBS[..1]), year, groups, read: seen, worker })
}

/// The group, the caller's membership, and the decision for `action` on its evaluation of `unit`.
async fn group_for(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    unit: i64,
    action: Action,
) -> AppResult<GroupRow> {
    let g = group(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let member = ge::is_member(&s.db, g.id, deputy_of(p)).await?;
    crate::app::guard::check(s, p, ip, action, &ge::resource(&g, member, unit), &id.to_string()).await?;
    Ok(g)
}

/// One aspect on the form with what was written.
struct AspectField {
    name: &'static str,
    label: &'static str,
    grade: String,
    note: String,
}

struct GradeOpt {
    code: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "suggestions/group_evaluation_form.html")]
struct FormTpl {
    l: Layout,
    g: GroupRow,
    year: i64,
    unit_id: i64,
    unit_name: String,
    grades: Vec<GradeOpt>,
    aspects: Vec<AspectField>,
    e: Option<GroupEvaluation>,
    closed: bool,
}

async fn form(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let year = year_of(q.year)?;
    let unit = q.unit.ok_or_else(|| AppError::invalid("unit", "请选择承办单位"))?;
    let g = group_for(&s, &p, &ip, id, unit, Action::Update).await?;
    let units = units_of_year(&s.db, g.organ_id, year).await?;
    let (_, unit_name) = units
        .into_iter()
        .find(|(u, _)| *u == unit)
        .ok_or_else(|| AppError::invalid("unit", "该单位没有承办本年度的代表建议"))?;
    let title = format!("{}：{unit_name}", g.name);
    let e = ge::one(&s.db, g.id, unit, year).await?;
    let field = |name, label, grade: Option<&String>, note: Option<&String>| AspectField {
        name,
        label,
        grade: grade.cloned().unwrap_or_default(),
        note: note.cloned().unwrap_or_default(),
    };
    let aspects = vec![
        field("attitude", "办理态度", e.as_ref().map(|e| &e.attitude), e.as_ref().map(|e| &e.attitude_note)),
        field("measures", "办理措施", e.as_ref().map(|e| &e.measures), e.as_ref().map(|e| &e.measures_note)),
        field("results", "办理实效", e.as_ref().map(|e| &e.results), e.as_ref().map(|e| &e.results_note)),
    ];
    render(&FormTpl {
        l: page.layout(&title, &CRUMBS),
        aspects,
        e,
        closed: ge::closed(&s.db, g.organ_id, year).await?,
        grades: Grade::ALL.iter().map(|x| GradeOpt { code: x.as_str(), label: x.label() }).collect(),
        year,
        unit_id: unit,
        unit_name,
        g,
    })
}

#[derive(Deserialize, Default)]
struct SaveForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    year: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    unit: String,
    #[serde(default)]
    attitude: String,
    #[serde(default)]
    attitude_note: String,
    #[serde(default)]
    measures: String,
    #[serde(default)]
    measures_note: String,
    #[serde(default)]
    results: String,
    #[serde(default)]
    results_note: String,
    #[serde(default)]
    note: String,
}

async fn save(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<SaveForm>) -> AppResult<Response> {
    let unit = f.unit.parse::<i64>().ok();
    let g = group_for(&s, &p, &ip, id, unit.unwrap_or_default(), Action::Update).await?;
    let unit = unit.ok_or_else(|| AppError::invalid("unit", "请选择承办单位"))?;
    let year = f.year.parse::<i64>().map_err(|_| AppError::invalid("year", "请填写年度"))?;
    let person = deputy_of(&p).ok_or(AppError::NotFound)?;
    let input = Input {
        attitude: f.attitude,
        attitude_note: f.attitude_note,
        measures: f.measures,
        measures_note: f.measures_note,
        results: f.results,
        results_note: f.results_note,
        note: f.note,
    };
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| ge::save(w.txn(), w.key(), w.actor(), &g, unit, year, person, &input, now).await)
        .await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/group-evaluations?year={year}"), "书面评价已保存"))
}
