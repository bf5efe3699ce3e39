//! 立法 and 码上立法 (LEG): drafts of regulations as structured text whose articles keep their
//! identity across readings (`parse`, `docx`, `matching`), published for comment by QR code at
//! `/l/{draft}` with one thread per article (`public`), sent to departments, 基层立法联系点,
//! deputies and experts as tasks with working-day deadlines (`tasks`), every opinion disposed of
//! and counted per stage and source (`stats`), and the passage into the register of regulations
//! in force. An organ can be both sides: the drafting body of its own regulations, and a 联系点
//! answering an upper congress's draft.

pub mod api;
pub mod changes;
pub mod comments;
pub mod demo;
pub mod demo_passage;
pub mod docx;
pub mod event_pages;
pub mod events;
pub mod matching;
pub mod model;
pub mod pages;
pub mod parse;
pub mod plan_pages;
pub mod plans;
pub mod public;
pub mod register;
pub mod register_pages;
pub mod service;
pub mod stats;
pub mod task_pages;
pub mod tasks;

use sea_orm::DatabaseTransaction;

use crate::app::error::AppResult;
use crate::app::state::{AppState, BoxFuture, Demo, JobHandler, MenuSection, Module, RecordKind};
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource};

pub const MODULE: Module = Module {
    name: "legislation",
    routes,
    menu,
    audit_labels: &[
        ("leg_draft_create", "新建法规草案"),
        ("leg_version_add", "导入法规草案稿次"),
        ("leg_version_publish", "公开征求意见"),
        ("leg_comment", "收到立法公众意见"),
        ("leg_opinion_moderate", "审核立法意见"),
        ("leg_opinion_dispose", "处理立法意见"),
        ("leg_task_send", "定向征求立法意见"),
        ("leg_task_line", "填写立法意见"),
        ("leg_task_answer", "报送立法意见"),
        ("leg_task_deadline", "立法意见期限提醒"),
        ("leg_expert_add", "加入立法专家库"),
        ("leg_plan_create", "新建立法规划或计划"),
        ("leg_plan_item_add", "列入立法计划项目"),
        ("leg_plan_item_status", "更新立法计划项目进展"),
        ("leg_project_add", "立法项目入库"),
        ("leg_project_argue", "立法项目立项论证"),
        ("leg_event_create", "发布座谈会论证会听证会公告"),
        ("leg_event_register", "报名立法听证发言"),
        ("leg_event_speaker", "安排立法听证发言"),
        ("leg_event_record", "填写立法座谈论证听证纪要"),
        ("leg_event_opinion", "录入座谈论证听证意见"),
        ("leg_reading_add", "记录法规草案审议表决"),
        ("leg_regulation_enter", "法规登记入库"),
        ("leg_rule_add", "登记配套制度"),
        ("leg_rule_status", "更新配套制度状态"),
        ("leg_interpretation_add", "发布法规解读"),
        ("leg_regulation_change", "法规修正修订废止"),
        ("leg_plan_edit", "修改立法规划和计划"),
        ("leg_plan_item_edit", "修改立法计划项目"),
        ("leg_project_step", "记录立项审查步骤"),
    ],
    operations: api::OPERATIONS,
    jobs: &[JobHandler { kind: "legislation-deadlines", daily: true, run: deadline_scan }],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    records: &[
        RecordKind::titled("leg_draft", "法规草案", "leg_drafts", "title"),
        RecordKind::untitled("leg_opinion", "立法意见"),
        RecordKind::untitled("legislation", "法规草案"),
        RecordKind::untitled("legislation_task", "立法征求意见任务"),
        RecordKind::titled("leg_plan", "立法规划和计划", "leg_plans", "title"),
        RecordKind::titled("leg_project", "立法项目", "leg_projects", "title"),
        RecordKind::titled("leg_event", "立法座谈论证听证", "leg_events", "title"),
        RecordKind::titled("leg_regulation", "地方性法规", "leg_regulations", "title"),
    ],
    titles: &[],
    tables: &[
        "leg_drafts",
        "leg_versions",
        "leg_nodes",
        "leg_experts",
        "leg_tasks",
        "leg_opinions",
        "leg_plans",
        "leg_projects",
        "leg_plan_items",
        "leg_events",
        "leg_event_speakers",
        "leg_readings",
        "leg_regulations",
        "leg_regulations_fts",
        "leg_rules",
        "leg_interpretations",
        "leg_regulation_changes",
        "leg_project_steps",
    ],
    demo: Some(demo_seed),
};

/// The demo's drafts (real texts) with their readings, comments, tasks and dispositions.
fn demo_seed<'a>(txn: &'a DatabaseTransaction, d: &'a Demo<'a>) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(demo::seed(txn, d))
}

fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(pages::routes())
        .merge(task_pages::routes())
        .merge(public::routes())
        .merge(api::routes())
        .merge(plan_pages::routes())
        .merge(event_pages::routes())
        .merge(register_pages::routes())
}

/// The daily deadline scan of the consultation's tasks (`renda jobs run legislation-deadlines --now …`).
fn deadline_scan<'a>(s: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let now = crate::jobs::payload_now(payload);
        let cal = crate::calendar::load(&s.db).await.map_err(|e| e.to_string())?;
        let report = tasks::scan(&s.db, &s.writer, s.audit_key(), &cal, now).await.map_err(|e| e.to_string())?;
        tracing::info!(warned = report.warned, overdue = report.overdue, "legislation deadline scan");
        Ok(())
    })
}

/// The console's crumb for the drafts list.
pub const CRUMB: (&str, &str) = ("/console/legislation", "法规草案");

/// Today in Beijing, `YYYY-MM-DD`.
pub fn today() -> String {
    crate::calendar::beijing_date(crate::db::now()).format("%Y-%m-%d").to_string()
}

/// The resource of an organ's drafts.
pub fn drafts_of(organ_path: &str) -> Resource<'_> {
    Resource::Legislation { organ_path }
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let mut items = Vec::new();
    if allows(p, Action::View, &drafts_of(&p.organ_path)) {
        items.push(("/console/legislation", "法规草案"));
        items.push(("/console/legislation/plans", "立法规划和计划"));
        items.push(("/console/legislation/projects", "立法项目库"));
        items.push(("/console/legislation/regulations", "法规库"));
        items.push(("/console/legislation/experts", "专家库"));
    }
    // The tasks an addressee (a unit, a 联系点's keeper, a deputy) may have, or the organ's.
    let reach = crate::auth::Reach::of(p);
    let own = Resource::LegislationTask {
        organ_path: &p.organ_path,
        unit_id: reach.unit_id,
        station_id: reach.station_id,
        deputy_id: reach.deputy_id,
    };
    if allows(p, Action::View, &own) {
        items.push(("/console/legislation/tasks", "立法征求意见"));
    }
    if items.is_empty() {
        return Vec::new();
    }
    vec![MenuSection { order: 30, title: "立法", items }]
}
