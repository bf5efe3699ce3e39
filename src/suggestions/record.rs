//! A deputy's suggestions for their 履职档案 (SUG-12): those they led or co-signed (confirmed),
//! each with its state, the class of its latest reply and the deputy's own ratings. The deputy
//! sees their own (drafts too); organ workers see any deputy of their subtree (what was handed
//! in). A page (`/console/suggestions/deputy/{id}`, and `/console/suggestions/my-record`) and the API beside it.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::model::scope_of;
use super::model::{self, Suggestion};
use super::stats::{Period, latest_classes};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, PathId, Query};
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::auth::{Action, Principal, Role};
use crate::db;
use crate::handling::flow::Grade;
use crate::handling::read::bind;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/suggestions/my-record", get(mine))
        .route("/console/suggestions/deputy/{id}", get(page))
        .route("/api/v1/suggestions/deputies/{id}", get(api))
}

/// A deputy's suggestions.
#[derive(Serialize, schemars::JsonSchema)]
pub struct DeputyRecord {
    pub person_id: i64,
    pub name: String,
    pub year: Option<i64>,
    /// How many they led, and co-signed (confirmed) under another lead.
    pub led: i64,
    pub cosigned: i64,
    /// The deputy groups' field visits they took part in (SUG-6).
    pub visits: i64,
    /// Newest first (at most 1000).
    pub items: Vec<DeputyItem>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct DeputyItem {
    pub id: i64,
    pub number_label: String,
    pub year: i64,
    pub title: String,
    pub category: String,
    /// `lead` (领衔) or `cosigner` (联名).
    pub role: String,
    /// The API state (see the list).
    pub state: String,
    pub state_label: String,
    pub key_item: bool,
    pub deadline: Option<String>,
    pub overdue: bool,
    /// `A|B|C` of the latest reply.
    pub class: Option<String>,
    /// The deputy's own latest rating of the reply (答复) and of the result (办理结果):
    /// `satisfied|basically_satisfied|unsatisfied`.
    pub reply_grade: Option<String>,
    pub result_grade: Option<String>,
}

impl DeputyItem {
    pub fn role_label(&self) -> &'static str {
        if self.role == "lead" { "领衔" } else { "联名" }
    }
    pub fn reply_label(&self) -> &'static str {
        grade_label(&self.reply_grade)
    }
    pub fn result_label(&self) -> &'static str {
        grade_label(&self.result_grade)
    }
}

fn grade_label(g: &Option<String>) -> &'static str {
    g.as_deref().and_then(Grade::parse).map(Grade::label).unwrap_or("—")
}

#[derive(Deserialize, Default)]
pub struct RecordQuery {
    pub year: Option<i64>,
}

/// The record of deputy `person` once `p` may see the person (404 otherwise).
pub async fn record(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    person: i64,
    year: Option<i64>,
) -> AppResult<DeputyRecord> {
    let period = Period::checked(year, None)?;
    let (d, _) = crate::registry::console::visible_person(s, p, ip, person, Action::View).await?;
    let now = db::now();
    let f = model::Filter { year: period.year, ..Default::default() };
    let mut values = Vec::new();
    let cond = model::condition(&scope_of(p), &f, now, &mut values);
    let me = bind(person.into(), &mut values);
    let rows: Vec<Suggestion> = db::query_all(
        &s.db,
        &format!(
            "{} WHERE {cond} AND (sg.lead_person_id = {me} OR sg.id IN (SELECT suggestion_id FROM suggestion_cosigners \
             WHERE person_id = {me} AND confirmed_at IS NOT NULL)) \
             ORDER BY sg.year DESC, sg.session_id DESC, sg.number DESC, sg.id DESC LIMIT 1000",
            model::SELECT
        ),
        values,
    )
    .await?;
    let items: Vec<i64> = rows.iter().filter_map(|r| r.item_id).collect();
    let classes = latest_classes(&s.db, &items).await?;
    let grades = own_grades(s, person, &items).await?;
    let items: Vec<DeputyItem> = rows
        .iter()
        .map(|r| {
            let g = r.item_id.and_then(|i| grades.get(&i));
            DeputyItem {
                id: r.id,
                number_label: r.number_label(),
                year: r.year,
                title: r.title.clone(),
                category: r.category.clone(),
                role: if r.lead_person_id == person { "lead" } else { "cosigner" }.into(),
                state: r.api_state().into(),
                state_label: r.state_label().into(),
                key_item: r.key_item,
                deadline: r.deadline.clone(),
                overdue: r.overdue(now),
                class: r.item_id.and_then(|i| classes.get(&i)).map(|c| c.to_string()),
                reply_grade: g.and_then(|g| g.0.clone()),
                result_grade: g.and_then(|g| g.1.clone()),
            }
        })
        .collect();
    let led = items.iter().filter(|i| i.role == "lead").count() as i64;
    Ok(DeputyRecord {
        person_id: person,
        name: d.name,
        year: period.year,
        led,
        cosigned: items.len() as i64 - led,
        visits: super::visits::count_of_person(&s.db, person, period.year).await?,
        items,
    })
}

/// The deputy's own latest ratings of each item: (答复, 办理结果).
async fn own_grades(
    s: &AppState,
    person: i64,
    items: &[i64],
) -> AppResult<HashMap<i64, (Option<String>, Option<String>)>> {
    let mut out: HashMap<i64, (Option<String>, Option<String>)> = HashMap::new();
    for chunk in items.chunks(500) {
        let mut values = vec![person.into()];
        let list: Vec<String> = chunk.iter().map(|i| bind((*i).into(), &mut values)).collect();
        let rows = db::query_rows(
            &s.db,
            &format!(
                "SELECT g.item_id, g.aspect, g.grade FROM handling_ratings g WHERE g.person_id = $1 \
                 AND g.item_id IN ({}) ORDER BY g.id",
                list.join(", ")
            ),
            values,
        )
        .await?;
        for r in rows {
            let (item, aspect, grade): (i64, String, String) =
                (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
            let e = out.entry(item).or_default();
            match aspect.as_str() {
                "reply" => e.0 = Some(grade),
                "result" => e.1 = Some(grade),
                _ => {}
            }
        }
    }
    Ok(out)
}

async fn api(Caller { p, s, ip }: Caller, PathId(id): PathId, Query(q): Query<RecordQuery>) -> AppResult<Response> {
    Ok(axum::Json(record(&s, &p, &ip, id, q.year).await?).into_response())
}

#[derive(Template)]
#[template(path = "suggestions/deputy.html")]
struct DeputyTpl {
    l: Layout,
    r: DeputyRecord,
    year: String,
}

async fn page(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Query(q): Query<RecordQuery>,
) -> AppResult<Response> {
    let r = record(&s, &p, &ip, id, q.year).await?;
    let own = p.deputy_id == Some(id) && p.has(Role::Deputy);
    let title = if own { "我的建议".to_string() } else { format!("{}的建议", r.name) };
    render(&DeputyTpl {
        l: page.layout(&title, &[("/console/suggestions", "代表建议")]),
        year: q.year.map(|y| y.to_string()).unwrap_or_default(),
        r,
    })
}

/// The signed-in deputy's own record.
async fn mine(Auth(p): Auth) -> AppResult<Response> {
    let me = p.deputy_id.filter(|_| p.has(Role::Deputy)).ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/console/suggestions/deputy/{me}")).into_response())
}
