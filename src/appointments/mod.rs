//! 线上预约 (OPN-13): a citizen books a duty slot of a station or a deputy (a few places per
//! slot, working days only), gives a topic and a phone; the keeper or the deputy confirms,
//! proposes another time or declines; the citizen accepts or cancels on the tracking page; a
//! reminder goes out the working day before; the keeper enters bookings of people who came
//! or called, and links the reception record to the booking.

pub mod api;
pub mod demo;
pub mod model;
pub mod pages;
pub mod public;
pub mod service;

use sea_orm::DatabaseTransaction;

use crate::app::error::AppResult;
use crate::app::state::{AppState, BoxFuture, Demo, JobHandler, MenuSection, Module, RecordKind};
use crate::auth::Principal;

pub const MODULE: Module = Module {
    name: "appointments",
    routes,
    menu,
    audit_labels: &[("appointment_book", "预约见面"), ("appointment_step", "处理见面预约")],
    operations: api::OPERATIONS,
    jobs: &[JobHandler { kind: "appointment-reminders", daily: true, run: reminders }],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    records: &[RecordKind::titled("appointment", "预约", "appointments", "booking_no")],
    titles: &[],
    tables: &["appointments"],
    demo: Some(demo_seed),
};

/// A few bookings at the demo keeper's station.
fn demo_seed<'a>(txn: &'a DatabaseTransaction, d: &'a Demo<'a>) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move { demo::seed(txn, d.key, d.crypto, d.keeper_station).await.map(drop) })
}

fn routes() -> axum::Router<crate::app::state::AppState> {
    axum::Router::new().merge(public::routes()).merge(pages::routes()).merge(api::routes())
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let mut items = Vec::new();
    if !pages::scope_of(p).is_empty() {
        items.push(("/console/appointments", "见面预约"));
    }
    vec![MenuSection { order: 11, title: "接待", items }]
}

/// The daily reminder run (`renda jobs run appointment-reminders --now …`).
fn reminders<'a>(ctx: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let db = &ctx.db;
        let now = crate::jobs::payload_now(payload);
        let cal = crate::calendar::load(db).await.map_err(|e| e.to_string())?;
        let r = service::remind(db, &ctx.writer, &ctx.crypto, &crate::notify::Limits::of(&ctx.config), &cal, now)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(sent = r.sent, "appointment reminders");
        Ok(())
    })
}
