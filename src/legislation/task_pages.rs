//! Targeted consultation in the console (LEG-4): staff send a version to departments,
//! 联系点, deputies and experts from the draft's page; an addressee sees only its own tasks
//! (`/console/legislation/tasks`), reads the text on the task's page, writes its opinions
//! article by article — a 联系点 gathering what its 信息采集员, deputies and residents raised —
//! and sends them as one answer; the expert pools (`/console/legislation/experts`).

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::CRUMB;
use super::api::check_draft;
use super::model::{self, Draft, Expert, Opinion, Pool, Task, TaskState, Version};
use super::tasks::{self, NewLine, NewTasks};
use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId};
use crate::app::forms::{Opt, allowed, opt_id, opts, two_ids};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, form_errors, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Principal, Reach, Resource};
use crate::db;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/legislation/tasks", get(mine))
        .route("/console/legislation/tasks/{id}", get(task_page))
        .route("/console/legislation/tasks/{id}/lines", post(add_line))
        .route("/console/legislation/tasks/{id}/lines/{line}/remove", post(remove_line))
        .route("/console/legislation/tasks/{id}/answer", post(answer))
        .route("/console/legislation/experts", get(experts_page).post(add_expert))
        .route("/console/legislation/{id}/tasks", post(send))
}

/// The resource of a task: its draft's organ and its addressee.
pub fn resource(t: &Task) -> Resource<'_> {
    Resource::LegislationTask {
        organ_path: &t.organ_path,
        unit_id: t.unit_id,
        station_id: t.station_id,
        deputy_id: (t.target() == model::Target::Deputy).then_some(t.person_id).flatten(),
    }
}

/// A task the caller may `action` (404 for another's).
pub async fn check_task(s: &AppState, p: &Principal, ip: &ClientIp, action: Action, id: i64) -> AppResult<Task> {
    let t = model::task(&s.db, id).await?;
    guard::visible(s, p, ip, action, t, resource, id).await
}

// ------------------------------------------------------------------ sending

/// The addressees staff may choose for a draft: (group label, options `kind:id`).
pub async fn addressees(s: &AppState, d: &Draft) -> AppResult<Vec<(&'static str, Vec<Opt>)>> {
    let like = format!("{}%", db::like_escape(&d.organ_path));
    let pick = |rows: Vec<sea_orm::QueryResult>, kind: &str| -> Vec<Opt> {
        let pairs: Vec<(String, String)> = rows
            .iter()
            .filter_map(|r| {
                Some((format!("{kind}:{}", r.try_get_by_index::<i64>(0).ok()?), r.try_get_by_index::<String>(1).ok()?))
            })
            .collect();
        opts(pairs, "")
    };
    let stations = db::query_rows(
        &s.db,
        "SELECT s.id, s.name FROM stations s JOIN organs o ON o.id = s.organ_id JOIN station_types t ON t.id = s.type_id \
         WHERE o.path LIKE $1 AND t.code = 'legislative_point' ORDER BY s.name, s.id LIMIT 200",
        vec![like.clone().into()],
    )
    .await?;
    let units = db::query_rows(
        &s.db,
        "SELECT u.id, u.name FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE o.path LIKE $1 AND u.active = true \
         ORDER BY u.name, u.id LIMIT 300",
        vec![like.clone().into()],
    )
    .await?;
    let deputies = db::query_rows(
        &s.db,
        "SELECT DISTINCT p.id, p.name FROM persons p JOIN mandates m ON m.person_id = p.id AND m.status = 'serving' \
         JOIN organs o ON o.id = m.organ_id WHERE o.path LIKE $1 ORDER BY p.name, p.id LIMIT 500",
        vec![like.into()],
    )
    .await?;
    let experts: Vec<Opt> = opts(
        model::experts(&s.db, &d.organ_path)
            .await?
            .into_iter()
            .map(|e| (format!("expert:{}", e.id), format!("{}（{}，{}）", e.name, e.pool().label(), e.affiliation))),
        "",
    );
    Ok(vec![
        ("基层立法联系点", pick(stations, "station")),
        ("部门和单位", pick(units, "unit")),
        ("专家学者", experts),
        ("人大代表", pick(deputies, "deputy")),
    ])
}

#[derive(Deserialize, Default, Clone)]
pub struct SendForm {
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub due_working_days: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub version: String,
}

async fn send(Console { p, s, ip, .. }: Console, PathId(id): PathId, Form(f): Form<SendForm>) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let v = match opt_id(&f.version) {
        Some(v) => model::version(&s.db, v).await?.filter(|v| v.draft_id == d.id).ok_or(AppError::NotFound)?,
        None => model::versions(&s.db, d.id).await?.into_iter().last().ok_or(AppError::NotFound)?,
    };
    let input =
        NewTasks { targets: f.targets.clone(), note: f.note.clone(), due_working_days: f.due_working_days.clone() };
    let cal = crate::calendar::load(&s.db).await?;
    let now = db::now();
    let sent =
        write(&s, &p, &ip, async |w| tasks::send(w.txn(), w.key(), w.actor(), &cal, &d, &v, &input, now).await).await?;
    Ok(redirect_with_flash(&format!("/console/legislation/{id}#tasks"), &format!("已向 {} 个对象征求意见", sent.len())))
}

// ------------------------------------------------------------------ the addressee's side

#[derive(Template)]
#[template(path = "legislation/tasks.html")]
struct MineTpl {
    l: Layout,
    rows: Vec<Task>,
    now: i64,
}

async fn mine(Console { page, p, s, .. }: Console) -> AppResult<Response> {
    let reach = Reach::of(&p);
    let mut rows = model::tasks_for(&s.db, reach.unit_id, reach.station_id, reach.deputy_id).await?;
    if let Some(path) = reach.organ_path.filter(|path| allowed(&p, Action::View, &super::drafts_of(path))) {
        let like = format!("{}%", db::like_escape(&path));
        let ids = db::query_rows(
            &s.db,
            "SELECT t.id FROM leg_tasks t JOIN leg_drafts d ON d.id = t.draft_id JOIN organs o ON o.id = d.organ_id \
             WHERE o.path LIKE $1 ORDER BY t.state DESC, t.deadline_at, t.id LIMIT 500",
            vec![like.into()],
        )
        .await?;
        for r in ids {
            let id: i64 = r.try_get_by_index(0)?;
            if !rows.iter().any(|t| t.id == id)
                && let Some(t) = model::task(&s.db, id).await?
            {
                rows.push(t);
            }
        }
    }
    rows.retain(|t| allowed(&p, Action::View, &resource(t)));
    if rows.is_empty()
        && !allowed(
            &p,
            Action::View,
            &Resource::LegislationTask {
                organ_path: &p.organ_path,
                unit_id: reach.unit_id,
                station_id: reach.station_id,
                deputy_id: reach.deputy_id,
            },
        )
    {
        return Err(AppError::NotFound);
    }
    render(&MineTpl {
        l: page.layout("立法征求意见", &[("/console/legislation/tasks", "立法征求意见")]),
        rows,
        now: db::now(),
    })
}

/// An article to choose on the task's form, and the version's text to read.
pub struct ArticleOpt {
    pub node_id: i64,
    pub number: String,
    pub excerpt: String,
    pub text: String,
    pub heading: Option<String>,
}

#[derive(Template)]
#[template(path = "legislation/task.html")]
struct TaskTpl {
    l: Layout,
    t: Task,
    d: Draft,
    v: Version,
    articles: Vec<ArticleOpt>,
    lines: Vec<Opinion>,
    can_answer: bool,
    overdue: bool,
    line: LineForm,
    errors: Errors,
}

async fn task_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    t: Task,
    line: LineForm,
    errors: Errors,
) -> AppResult<TaskTpl> {
    let d = model::draft(&s.db, t.draft_id).await?.ok_or(AppError::NotFound)?;
    let v = model::version(&s.db, t.version_id).await?.ok_or(AppError::NotFound)?;
    let rows = model::nodes(&s.db, v.id).await?;
    let (flats, _) = model::flats(&rows);
    let mut articles = Vec::new();
    let mut heading = None;
    for (i, r) in rows.iter().enumerate() {
        if r.kind().is_heading() {
            heading = Some(format!("{} {}", r.number, r.heading));
        }
        if r.kind == "article" {
            let text = super::matching::article_text(&flats, i);
            articles.push(ArticleOpt {
                node_id: r.node_id,
                number: r.number.clone(),
                excerpt: super::parse::excerpt(&text.replace('\n', " ")),
                text,
                heading: heading.take(),
            });
        }
    }
    let lines = model::task_lines(&s.db, t.id).await?;
    let title = format!("{}：{}", t.target_name, d.title);
    Ok(TaskTpl {
        l: page.layout(&title, &[("/console/legislation/tasks", "立法征求意见"), ("", &t.target_name)]),
        can_answer: t.state() == TaskState::Open && allowed(p, Action::Update, &resource(&t)),
        overdue: t.overdue(&db::now()),
        t,
        d,
        v,
        articles,
        lines,
        line,
        errors,
    })
}

async fn task_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let t = check_task(&s, &p, &ip, Action::View, id).await?;
    render(&task_tpl(&s, &p, &page, t, LineForm::default(), Errors::default()).await?)
}

#[derive(Deserialize, Default, Clone)]
pub struct LineForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub node: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub quote: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub author: String,
}

async fn add_line(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<LineForm>,
) -> AppResult<Response> {
    let t = check_task(&s, &p, &ip, Action::Update, id).await?;
    let input =
        NewLine { node_id: opt_id(&f.node), quote: f.quote.clone(), text: f.text.clone(), author: f.author.clone() };
    let now = db::now();
    match write(&s, &p, &ip, async |w| tasks::add_line(w.txn(), w.key(), w.actor(), &t, &input, now).await).await {
        Ok(_) => {
            Ok(redirect_with_flash(&format!("/console/legislation/tasks/{id}#lines"), "已加入意见，报送前可继续修改"))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            crate::app::forms::unprocessable(&task_tpl(&s, &p, &page, t, f, errors).await?)
        }
    }
}

async fn remove_line(Console { p, s, ip, .. }: Console, path: Path<(String, String)>) -> AppResult<Response> {
    let (id, line) = two_ids(path)?;
    let t = check_task(&s, &p, &ip, Action::Update, id).await?;
    write(&s, &p, &ip, async |w| tasks::remove_line(w.txn(), w.key(), w.actor(), &t, line).await).await?;
    Ok(redirect_with_flash(&format!("/console/legislation/tasks/{id}#lines"), "已删除"))
}

#[derive(Deserialize, Default)]
pub struct AnswerForm {
    #[serde(default)]
    pub summary: String,
}

async fn answer(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<AnswerForm>,
) -> AppResult<Response> {
    let t = check_task(&s, &p, &ip, Action::Update, id).await?;
    let d = model::draft(&s.db, t.draft_id).await?.ok_or(AppError::NotFound)?;
    let now = db::now();
    match write(&s, &p, &ip, async |w| tasks::answer(w.txn(), w.key(), w.actor(), &d, &t, &f.summary, now).await).await
    {
        Ok(()) => Ok(redirect_with_flash(&format!("/console/legislation/tasks/{id}"), "意见已报送")),
        Err(e) => {
            let errors = form_errors(e)?;
            crate::app::forms::unprocessable(&task_tpl(&s, &p, &page, t, LineForm::default(), errors).await?)
        }
    }
}

// ------------------------------------------------------------------ experts

#[derive(Template)]
#[template(path = "legislation/experts.html")]
struct ExpertsTpl {
    l: Layout,
    rows: Vec<Expert>,
    can_edit: bool,
    pools: Vec<Opt>,
    v: ExpertForm,
    errors: Errors,
}

#[derive(Deserialize, Default, Clone)]
pub struct ExpertForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub pool: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub affiliation: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub fields: String,
}

async fn experts_tpl(s: &AppState, p: &Principal, page: &Page, v: ExpertForm, errors: Errors) -> AppResult<ExpertsTpl> {
    Ok(ExpertsTpl {
        l: page.layout("立法专家库", &[CRUMB, ("/console/legislation/experts", "专家库")]),
        rows: model::experts(&s.db, &p.organ_path).await?,
        can_edit: allowed(p, Action::Create, &super::drafts_of(&p.organ_path)),
        pools: opts(Pool::ALL.map(|x| (x.as_str(), x.label())), &v.pool),
        v,
        errors,
    })
}

async fn experts_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "experts").await?;
    render(&experts_tpl(&s, &p, &page, ExpertForm::default(), Errors::default()).await?)
}

async fn add_expert(Console { page, p, s, ip }: Console, Form(f): Form<ExpertForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "experts").await?;
    let input = super::service::NewExpert {
        pool: f.pool.clone(),
        name: f.name.clone(),
        affiliation: f.affiliation.clone(),
        fields: f.fields.clone(),
    };
    let (organ, now) = (p.organ_id, db::now());
    let result =
        write(&s, &p, &ip, async |w| super::service::add_expert(w.txn(), w.key(), w.actor(), organ, &input, now).await)
            .await;
    crate::app::write::form_answer(
        result,
        |_| redirect_with_flash("/console/legislation/experts", "已加入专家库"),
        async |errors| render(&experts_tpl(&s, &p, &page, f.clone(), errors).await?),
    )
    .await
}
