//! 接待活动 (OPN-12): receptions at stations with at least two deputies present, the issues
//! raised entered as opinions in one go (channel 接待活动), and the "321" output of 马集镇 —
//! 问题清单, 对策建议清单, 限时反馈清单 — with a monthly summary per station.

pub mod api;
pub mod demo;
pub mod model;
pub mod pages;
pub mod service;
pub mod summary;

use sea_orm::DatabaseTransaction;

use crate::app::error::AppResult;
use crate::app::state::{AppState, BoxFuture, Demo, MenuSection, Module, RecordKind};
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource};

pub const MODULE: Module = Module {
    name: "receptions",
    routes,
    menu,
    audit_labels: &[
        ("reception_create", "记录接待活动"),
        ("reception_item_add", "接待清单增加事项"),
        ("reception_fulfil", "记录限时反馈兑现"),
    ],
    operations: api::OPERATIONS,
    jobs: &[],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    records: &[RecordKind::untitled("reception", "接待活动")],
    titles: &[],
    tables: &["receptions", "reception_deputies", "reception_items"],
    demo: Some(demo_seed),
};

/// Receptions at the demo county's stations.
fn demo_seed<'a>(txn: &'a DatabaseTransaction, d: &'a Demo<'a>) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move { demo::seed(txn, d.key, d.crypto).await.map(drop) })
}

fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(pages::routes()).merge(api::routes())
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    // Whether the caller could see some reception: the organ's as a whole, or a station's as
    // its keeper or one of its deputies (the list itself decides station by station).
    let deputies: Vec<i64> = p.deputy_id.into_iter().collect();
    let whole = Resource::Reception { organ_path: &p.organ_path, station_id: None, station_deputies: &[] };
    let station = Resource::Reception {
        organ_path: &p.organ_path,
        station_id: Some(p.station_id.unwrap_or(0)),
        station_deputies: &deputies,
    };
    if !allows(p, Action::View, &whole) && !allows(p, Action::View, &station) {
        return Vec::new();
    }
    vec![MenuSection {
        order: 12,
        title: "接待",
        items: vec![("/console/receptions", "接待活动"), ("/console/receptions/summary", "月度总结")],
    }]
}
