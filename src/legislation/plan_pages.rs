//! Plans and the project bank in the console and the API (LEG-1): `/console/legislation/plans`
//! (立法规划 and 立法计划, a new one), a plan's page (its items by category, an item added from
//! the bank or typed, an item's status), `/console/legislation/projects` (the bank with each
//! project's source records and 立项论证, a new project). API under `/api/v1/legislation/`.

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Deserialize;

use super::CRUMB;
use super::plans::{
    self, Category, CreatedId, Item, ItemStatus, LawAction, NewItem, NewPlan, NewProject, NewStep, Origin, Plan,
    PlanDetail, PlanKind, PlanList, Project, ProjectList, ProjectOut, ProjectState, ProjectStep, Step, StepResult,
};
use crate::app::caller::{Caller, Console};
use crate::app::error::AppResult;
use crate::app::extract::{ApiJson, ClientIp, Form, PathId, strict};
use crate::app::forms::{Opt, allowed, opt_id, opts};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal};
use crate::db;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/legislation/plans", get(plans_page).post(plan_submit))
        .route("/console/legislation/plans/{id}", get(plan_page))
        .route("/console/legislation/plans/{id}/items", post(item_submit))
        .route("/console/legislation/plans/{id}/edit", post(plan_edit))
        .route("/console/legislation/plan-items/{id}/status", post(item_status))
        .route("/console/legislation/plan-items/{id}/edit", post(item_edit))
        .route("/console/legislation/projects/{id}/steps", post(step_submit))
        .route("/console/legislation/projects", get(projects_page).post(project_submit))
        .route("/console/legislation/projects/{id}/argue", post(argue))
        .route("/api/v1/legislation/plans", get(api_plans).post(api_create_plan))
        .route("/api/v1/legislation/plans/{id}", get(api_plan).patch(api_edit_plan))
        .route("/api/v1/legislation/plans/{id}/items", post(api_add_item))
        .route("/api/v1/legislation/plan-items/{id}", patch(api_edit_item))
        .route("/api/v1/legislation/projects/{id}/steps", post(api_add_step))
        .route("/api/v1/legislation/projects", get(api_projects).post(api_create_project))
}

async fn check_plan(s: &AppState, p: &Principal, ip: &ClientIp, action: Action, id: i64) -> AppResult<Plan> {
    let row = plans::plan(&s.db, id).await?;
    guard::visible(s, p, ip, action, row, |r| super::drafts_of(&r.organ_path), id).await
}

async fn check_project(s: &AppState, p: &Principal, ip: &ClientIp, action: Action, id: i64) -> AppResult<Project> {
    let row = plans::project(&s.db, id).await?;
    guard::visible(s, p, ip, action, row, |r| super::drafts_of(&r.organ_path), id).await
}

// ------------------------------------------------------------------ plans

#[derive(Deserialize, Default, Clone)]
pub struct PlanForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    year_from: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    year_to: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    adopted_on: String,
}

impl PlanForm {
    fn input(&self) -> NewPlan {
        NewPlan {
            kind: self.kind.clone(),
            title: self.title.clone(),
            year_from: self.year_from.clone(),
            year_to: self.year_to.clone(),
            adopted_on: self.adopted_on.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "legislation/plans.html")]
struct PlansTpl {
    l: Layout,
    rows: Vec<Plan>,
    can_edit: bool,
    kinds: Vec<Opt>,
    v: PlanForm,
    errors: Errors,
}

async fn plans_tpl(s: &AppState, p: &Principal, page: &Page, v: PlanForm, errors: Errors) -> AppResult<PlansTpl> {
    Ok(PlansTpl {
        l: page.layout("立法规划和计划", &[CRUMB, ("/console/legislation/plans", "立法规划和计划")]),
        rows: plans::plans(&s.db, &p.organ_path).await?,
        can_edit: allowed(p, Action::Create, &super::drafts_of(&p.organ_path)),
        kinds: opts(PlanKind::ALL.map(|x| (x.as_str(), x.label())), &v.kind),
        v,
        errors,
    })
}

async fn plans_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "plans").await?;
    let v = PlanForm { kind: "annual".into(), ..Default::default() };
    render(&plans_tpl(&s, &p, &page, v, Errors::default()).await?)
}

async fn plan_submit(Console { page, p, s, ip }: Console, Form(f): Form<PlanForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "plans").await?;
    let (input, organ, now) = (f.input(), p.organ_id, db::now());
    let result =
        write(&s, &p, &ip, async |w| plans::create_plan(w.txn(), w.key(), w.actor(), organ, &input, now).await).await;
    form_answer(
        result,
        |id| redirect_with_flash(&format!("/console/legislation/plans/{id}"), "已建立，可以列入项目"),
        async |errors| render(&plans_tpl(&s, &p, &page, f.clone(), errors).await?),
    )
    .await
}

#[derive(Deserialize, Default, Clone)]
pub struct ItemForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    project_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    action: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    category: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    drafting_body: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    schedule: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    status: String,
}

impl ItemForm {
    fn input(&self) -> NewItem {
        NewItem {
            project_id: opt_id(&self.project_id),
            title: self.title.clone(),
            action: self.action.clone(),
            category: self.category.clone(),
            drafting_body: self.drafting_body.clone(),
            schedule: self.schedule.clone(),
            status: self.status.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "legislation/plan.html")]
struct PlanTpl {
    l: Layout,
    plan: Plan,
    items: Vec<Item>,
    can_edit: bool,
    projects: Vec<Opt>,
    actions: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    history: Vec<crate::app::pages::HistoryLine>,
    v: ItemForm,
    /// The plan's edit form as typed (or as the plan is).
    e: PlanForm,
    errors: Errors,
}

impl PlanForm {
    fn of(plan: &Plan) -> PlanForm {
        PlanForm {
            kind: plan.kind.clone(),
            title: plan.title.clone(),
            year_from: plan.year_from.to_string(),
            year_to: plan.year_to.to_string(),
            adopted_on: plan.adopted_on.clone().unwrap_or_default(),
        }
    }
}

async fn plan_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    plan: Plan,
    (v, e): (ItemForm, Option<PlanForm>),
    errors: Errors,
) -> AppResult<PlanTpl> {
    let items = plans::items(&s.db, plan.id).await?;
    let bank = plans::projects(&s.db, &plan.organ_path).await?;
    let title = format!("{}（{}）", plan.title, plan.years());
    Ok(PlanTpl {
        l: page.layout(&title, &[CRUMB, ("/console/legislation/plans", "立法规划和计划"), ("", &plan.title)]),
        can_edit: allowed(p, Action::Update, &super::drafts_of(&plan.organ_path)),
        projects: opts(
            std::iter::once(("".to_string(), "（不从项目库选择）".to_string())).chain(
                bank.iter()
                    .filter(|x| x.state != "shelved")
                    .map(|x| (x.id.to_string(), format!("{}《{}》（{}）", x.action_label(), x.title, x.state_label()))),
            ),
            &v.project_id,
        ),
        actions: LawAction::ALL.map(|x| (x.as_str(), x.label())).to_vec(),
        categories: Category::ALL.map(|x| (x.as_str(), x.label())).to_vec(),
        statuses: ItemStatus::ALL.map(|x| (x.as_str(), x.label())).to_vec(),
        kinds: PlanKind::ALL.map(|x| (x.as_str(), x.label())).to_vec(),
        history: crate::app::forms::history(s, "leg_plan", plan.id).await?,
        e: e.unwrap_or_else(|| PlanForm::of(&plan)),
        plan,
        items,
        v,
        errors,
    })
}

async fn plan_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let plan = check_plan(&s, &p, &ip, Action::View, id).await?;
    let v = ItemForm { category: "formal".into(), action: LawAction::Enact.as_str().into(), ..Default::default() };
    render(&plan_tpl(&s, &p, &page, plan, (v, None), Errors::default()).await?)
}

fn new_item_form() -> ItemForm {
    ItemForm { category: "formal".into(), action: LawAction::Enact.as_str().into(), ..Default::default() }
}

async fn plan_edit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<PlanForm>,
) -> AppResult<Response> {
    let plan = check_plan(&s, &p, &ip, Action::Update, id).await?;
    let input = f.input();
    let result = write(&s, &p, &ip, async |w| plans::edit_plan(w.txn(), w.key(), w.actor(), &plan, &input).await).await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/plans/{id}"), "已修改"),
        async |errors| {
            render(&plan_tpl(&s, &p, &page, plan.clone(), (new_item_form(), Some(f.clone())), errors).await?)
        },
    )
    .await
}

async fn item_edit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<ItemForm>,
) -> AppResult<Response> {
    let item = plans::item(&s.db, id).await?.ok_or(crate::app::error::AppError::NotFound)?;
    let plan = check_plan(&s, &p, &ip, Action::Update, item.plan_id).await?;
    let input = f.input();
    let result =
        write(&s, &p, &ip, async |w| plans::edit_item(w.txn(), w.key(), w.actor(), &plan, &item, &input).await).await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/plans/{}#i{id}", plan.id), "项目已修改"),
        async |errors| render(&plan_tpl(&s, &p, &page, plan.clone(), (new_item_form(), None), errors).await?),
    )
    .await
}

async fn item_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<ItemForm>,
) -> AppResult<Response> {
    let plan = check_plan(&s, &p, &ip, Action::Update, id).await?;
    let input = NewItem { status: String::new(), ..f.input() };
    let now = db::now();
    let result =
        write(&s, &p, &ip, async |w| plans::add_item(w.txn(), w.key(), w.actor(), &plan, &input, now).await).await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/plans/{id}"), "已列入"),
        async |errors| render(&plan_tpl(&s, &p, &page, plan.clone(), (f.clone(), None), errors).await?),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    status: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    draft_id: String,
}

async fn item_status(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(f): Form<StatusForm>,
) -> AppResult<Response> {
    let item = plans::item(&s.db, id).await?.ok_or(crate::app::error::AppError::NotFound)?;
    let plan = check_plan(&s, &p, &ip, Action::Update, item.plan_id).await?;
    let draft = opt_id(&f.draft_id);
    write(&s, &p, &ip, async |w| {
        plans::set_item_status(w.txn(), w.key(), w.actor(), &plan, &item, &f.status, draft).await
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/legislation/plans/{}#i{id}", plan.id), "进展已更新"))
}

// ------------------------------------------------------------------ the bank

#[derive(Deserialize, Default, Clone)]
pub struct ProjectForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    action: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    origin: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    proposer: String,
    #[serde(default)]
    justification: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    suggestion_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    tracking_no: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    unit_id: String,
}

/// A project with the records it came from and its checkpoints.
pub struct ProjectView {
    pub p: Project,
    pub sources: Vec<plans::Source>,
    pub steps: Vec<ProjectStep>,
}

#[derive(Template)]
#[template(path = "legislation/projects.html")]
struct ProjectsTpl {
    l: Layout,
    rows: Vec<ProjectView>,
    can_edit: bool,
    actions: Vec<Opt>,
    origins: Vec<Opt>,
    suggestions: Vec<Opt>,
    units: Vec<Opt>,
    states: Vec<(&'static str, &'static str)>,
    steps: Vec<(&'static str, &'static str)>,
    results: Vec<(&'static str, &'static str)>,
    today: String,
    v: ProjectForm,
    errors: Errors,
}

async fn projects_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    v: ProjectForm,
    errors: Errors,
) -> AppResult<ProjectsTpl> {
    let mut rows = Vec::new();
    for x in plans::projects(&s.db, &p.organ_path).await? {
        rows.push(ProjectView {
            sources: plans::sources(&s.db, x.id).await?,
            steps: plans::steps(&s.db, x.id).await?,
            p: x,
        });
    }
    let none = || std::iter::once(("".to_string(), "（请选择）".to_string()));
    Ok(ProjectsTpl {
        l: page.layout("立法项目库", &[CRUMB, ("/console/legislation/projects", "立法项目库")]),
        can_edit: allowed(p, Action::Create, &super::drafts_of(&p.organ_path)),
        actions: opts(LawAction::ALL.map(|x| (x.as_str(), x.label())), &v.action),
        origins: opts(Origin::ALL.map(|x| (x.as_str(), x.label())), &v.origin),
        suggestions: opts(
            none().chain(
                plans::suggestion_choices(&s.db, &p.organ_path).await?.into_iter().map(|(i, l)| (i.to_string(), l)),
            ),
            &v.suggestion_id,
        ),
        units: opts(
            none().chain(plans::unit_choices(&s.db, &p.organ_path).await?.into_iter().map(|(i, l)| (i.to_string(), l))),
            &v.unit_id,
        ),
        states: ProjectState::ALL.map(|x| (x.as_str(), x.label())).to_vec(),
        steps: Step::ALL.map(|x| (x.as_str(), x.label())).to_vec(),
        results: StepResult::ALL.map(|x| (x.as_str(), x.label())).to_vec(),
        today: super::today(),
        rows,
        v,
        errors,
    })
}

async fn projects_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "projects").await?;
    let v = ProjectForm { action: LawAction::Enact.as_str().into(), origin: "deputies".into(), ..Default::default() };
    render(&projects_tpl(&s, &p, &page, v, Errors::default()).await?)
}

async fn project_submit(Console { page, p, s, ip }: Console, Form(f): Form<ProjectForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "projects").await?;
    let input = NewProject {
        title: f.title.clone(),
        action: f.action.clone(),
        origin: f.origin.clone(),
        proposer: f.proposer.clone(),
        justification: f.justification.clone(),
        suggestion_id: opt_id(&f.suggestion_id),
        tracking_no: f.tracking_no.clone(),
        unit_id: opt_id(&f.unit_id),
    };
    let (organ, path, now) = (p.organ_id, p.organ_path.clone(), db::now());
    let result = write(&s, &p, &ip, async |w| {
        plans::add_project(w.txn(), w.key(), w.actor(), (organ, &path), &input, now).await
    })
    .await;
    form_answer(
        result,
        |id| redirect_with_flash(&format!("/console/legislation/projects#p{id}"), "项目已入库"),
        async |errors| render(&projects_tpl(&s, &p, &page, f.clone(), errors).await?),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct ArgueForm {
    #[serde(default)]
    justification: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    state: String,
}

async fn argue(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<ArgueForm>) -> AppResult<Response> {
    let project = check_project(&s, &p, &ip, Action::Update, id).await?;
    write(&s, &p, &ip, async |w| plans::argue(w.txn(), w.key(), w.actor(), &project, &f.justification, &f.state).await)
        .await?;
    Ok(redirect_with_flash(&format!("/console/legislation/projects#p{id}"), "立项论证已保存"))
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    step: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    held_on: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    result: String,
    #[serde(default)]
    note: String,
}

async fn step_submit(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<StepForm>) -> AppResult<Response> {
    let project = check_project(&s, &p, &ip, Action::Update, id).await?;
    let input = NewStep { step: f.step, held_on: f.held_on, result: f.result, note: f.note };
    let now = db::now();
    write(&s, &p, &ip, async |w| plans::add_step(w.txn(), w.key(), w.actor(), &project, &input, now).await).await?;
    Ok(redirect_with_flash(&format!("/console/legislation/projects#p{id}"), "立项审查步骤已记录"))
}

// ------------------------------------------------------------------ API

fn created(location: String, id: i64) -> Response {
    (StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(CreatedId { id })).into_response()
}

async fn api_plans(Caller { p, s, ip }: Caller) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "plans").await?;
    Ok(axum::Json(PlanList { items: plans::plans(&s.db, &p.organ_path).await? }).into_response())
}

async fn api_plan(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let plan = check_plan(&s, &p, &ip, Action::View, id).await?;
    let entries = plans::items(&s.db, id).await?;
    Ok(axum::Json(PlanDetail { plan, entries }).into_response())
}

async fn api_create_plan(
    Caller { p, s, ip }: Caller,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "plans").await?;
    let input: NewPlan = strict(body)?;
    let (organ, now) = (p.organ_id, db::now());
    let id =
        write(&s, &p, &ip, async |w| plans::create_plan(w.txn(), w.key(), w.actor(), organ, &input, now).await).await?;
    Ok(created(format!("/api/v1/legislation/plans/{id}"), id))
}

async fn api_add_item(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let plan = check_plan(&s, &p, &ip, Action::Update, id).await?;
    let input: NewItem = strict(body)?;
    let now = db::now();
    let item =
        write(&s, &p, &ip, async |w| plans::add_item(w.txn(), w.key(), w.actor(), &plan, &input, now).await).await?;
    Ok(created(format!("/api/v1/legislation/plans/{id}"), item))
}

async fn api_projects(Caller { p, s, ip }: Caller) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "projects").await?;
    let mut items = Vec::new();
    for x in plans::projects(&s.db, &p.organ_path).await? {
        items.push(ProjectOut {
            sources: plans::sources(&s.db, x.id).await?,
            steps: plans::steps(&s.db, x.id).await?,
            project: x,
        });
    }
    Ok(axum::Json(ProjectList { items }).into_response())
}

async fn api_create_project(
    Caller { p, s, ip }: Caller,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "projects").await?;
    let input: NewProject = strict(body)?;
    let (organ, path, now) = (p.organ_id, p.organ_path.clone(), db::now());
    let id = write(&s, &p, &ip, async |w| {
        plans::add_project(w.txn(), w.key(), w.actor(), (organ, &path), &input, now).await
    })
    .await?;
    Ok(created("/api/v1/legislation/projects".into(), id))
}

/// A field of a PATCH: left out (empty) keeps the current value.
fn or(v: &str, current: impl ToString) -> String {
    if v.trim().is_empty() { current.to_string() } else { v.to_string() }
}

async fn api_edit_plan(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let plan = check_plan(&s, &p, &ip, Action::Update, id).await?;
    let x: NewPlan = strict(body)?;
    let input = NewPlan {
        kind: or(&x.kind, &plan.kind),
        title: or(&x.title, &plan.title),
        year_from: or(&x.year_from, plan.year_from),
        year_to: or(&x.year_to, plan.year_to),
        adopted_on: or(&x.adopted_on, plan.adopted_on.clone().unwrap_or_default()),
    };
    write(&s, &p, &ip, async |w| plans::edit_plan(w.txn(), w.key(), w.actor(), &plan, &input).await).await?;
    let plan = check_plan(&s, &p, &ip, Action::View, id).await?;
    let entries = plans::items(&s.db, id).await?;
    Ok(axum::Json(PlanDetail { plan, entries }).into_response())
}

async fn api_edit_item(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let item = plans::item(&s.db, id).await?.ok_or(crate::app::error::AppError::NotFound)?;
    let plan = check_plan(&s, &p, &ip, Action::Update, item.plan_id).await?;
    let x: NewItem = strict(body)?;
    if x.project_id.is_some() {
        return Err(crate::app::error::AppError::invalid("project_id", "项目库的来源不能修改"));
    }
    let input = NewItem {
        project_id: None,
        title: or(&x.title, &item.title),
        action: or(&x.action, &item.action),
        category: or(&x.category, &item.category),
        drafting_body: or(&x.drafting_body, &item.drafting_body),
        schedule: or(&x.schedule, &item.schedule),
        status: or(&x.status, &item.status),
    };
    write(&s, &p, &ip, async |w| plans::edit_item(w.txn(), w.key(), w.actor(), &plan, &item, &input).await).await?;
    let item = plans::item(&s.db, id).await?.ok_or(crate::app::error::AppError::NotFound)?;
    Ok(axum::Json(item).into_response())
}

async fn api_add_step(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let project = check_project(&s, &p, &ip, Action::Update, id).await?;
    let input: NewStep = strict(body)?;
    let now = db::now();
    let step =
        write(&s, &p, &ip, async |w| plans::add_step(w.txn(), w.key(), w.actor(), &project, &input, now).await).await?;
    Ok(created("/api/v1/legislation/projects".into(), step))
}
