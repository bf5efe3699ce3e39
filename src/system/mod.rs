//! The system domain: sign-in, the console shell's own pages (home, inbox, account settings),
//! administration of organs, areas, accounts and the audit log, the platform's API (me,
//! accounts, organs, areas) and the public home page.

pub mod admin;
pub mod admin_audit;
pub mod api;
pub mod area_import;
pub mod console;
pub mod public;
pub mod session;

use crate::app::state::{MenuSection, Module};
use crate::auth::{Action, Principal, Resource, authz};

/// Sign-in, the console's own pages, administration and the platform's API.
pub const MODULE: Module = Module {
    name: "system",
    routes,
    menu,
    audit_labels: &[],
    operations: api::OPERATIONS,
    jobs: &[],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    records: &[],
    titles: &[],
    tables: &[],
    demo: None,
};

fn routes() -> axum::Router<crate::app::state::AppState> {
    axum::Router::new()
        .merge(public::routes())
        .merge(console::routes())
        .merge(admin::routes())
        .merge(admin_audit::routes())
        .merge(area_import::routes())
        .merge(api::routes())
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let own = p.organ_path.as_str();
    let can = |r: Resource| authz::allows(p, Action::View, &r);
    let mut system = Vec::new();
    if can(Resource::OrganTree { organ_path: own }) {
        system.push(("/console/admin/organs", "机关"));
        system.push(("/console/admin/areas", "行政区划"));
    }
    if can(Resource::Account { id: -1, organ_path: own }) {
        system.push(("/console/admin/accounts", "账号"));
    }
    if can(Resource::AuditLog { organ_path: own }) {
        system.push(("/console/admin/audit", "审计日志"));
    }
    if p.organ_path.matches('/').count() == 2 && can(Resource::Jobs { organ_path: own }) {
        system.push(("/console/sms", "短信发件箱"));
    }
    vec![
        MenuSection {
            order: 0, title: "工作台", items: vec![("/console", "工作台"), ("/console/inbox", "消息")]
        },
        MenuSection { order: 90, title: "系统", items: system },
        MenuSection { order: 99, title: "我的", items: vec![("/console/account", "账号设置")] },
    ]
}
