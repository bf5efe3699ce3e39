//! 立法 and 码上立法 (LEG): drafts of regulations as structured text whose articles keep their
//! identity across readings (`parse`, `docx`, `matching`), published for comment by QR code at
//! `/l/{draft}` with one thread per article (`public`), sent to departments, 基层立法联系点,
//! deputies and experts as tasks with working-day deadlines (`tasks`), every opinion disposed of
//! and counted per stage and source (`stats`), and the passage into the register of regulations
//! in force. An organ can be both sides: the drafting body of its own regulations, and a 联系点
//! answering an upper congress's draft.

pub mod api;
pub mod comments;
pub mod docx;
pub mod matching;
pub mod model;
pub mod pages;
pub mod parse;
pub mod public;
pub mod service;

use crate::app::state::{AppState, MenuSection, Module, RecordKind};
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
    ],
    operations: api::OPERATIONS,
    jobs: &[],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    records: &[
        RecordKind::titled("leg_draft", "法规草案", "leg_drafts", "title"),
        RecordKind::untitled("leg_opinion", "立法意见"),
        RecordKind::untitled("legislation", "法规草案"),
        RecordKind::untitled("legislation_task", "立法征求意见任务"),
    ],
    titles: &[],
    tables: &["leg_drafts", "leg_versions", "leg_nodes", "leg_experts", "leg_tasks", "leg_opinions"],
    demo: None,
};

fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(pages::routes()).merge(public::routes()).merge(api::routes())
}

/// The resource of an organ's drafts.
pub fn drafts_of(organ_path: &str) -> Resource<'_> {
    Resource::Legislation { organ_path }
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let mut items = Vec::new();
    if allows(p, Action::View, &drafts_of(&p.organ_path)) {
        items.push(("/console/legislation", "法规草案"));
    }
    if items.is_empty() {
        return Vec::new();
    }
    vec![MenuSection { order: 30, title: "立法", items }]
}
