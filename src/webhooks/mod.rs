//! Webhooks (OPN-14): signed pushes of a domain's events to an organ's external systems (a
//! 12345 platform, a county's work-order system), with retries, and signed status updates
//! back. Platform: it names no domain. A domain offers its event kinds and its handler of
//! inbound updates with `add`, from its `Module::register`.
//!
//! Outbox: a domain calls `subscribers` and `enqueue` in the write transaction of its event;
//! the delivery rows and a `webhook-deliver` job commit with the event, and the job worker
//! sends them after the commit (`deliver`). The HTTP client is a small HTTP/1.1 POST over
//! tokio's TCP (`deliver::post`): plain http only, with no new dependency (see
//! docs/ARCHITECTURE.md), and only to public addresses or hosts the installation allows
//! (`outbound`): an endpoint must not turn this server into a probe of its own network.

pub mod deliver;
pub mod inbound;
pub mod model;
pub mod outbound;
pub mod outbox;
pub mod pages;
pub mod sign;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

use crate::app::error::AppResult;
use crate::app::state::{AppState, BoxFuture, JobHandler, MenuSection, Module, RecordKind};
use crate::audit::Actor;
use crate::auth::authz;
use crate::auth::{Action, Principal, Resource};
use crate::db;

pub const MODULE: Module = Module {
    name: "webhooks",
    routes,
    menu,
    audit_labels: &[
        ("webhook_endpoint_create", "添加推送地址"),
        ("webhook_endpoint_update", "修改推送地址"),
        ("webhook_delivery_retry", "重新推送"),
        ("webhook_inbound", "外部系统回传状态"),
    ],
    operations: inbound::OPERATIONS,
    jobs: &[JobHandler { kind: outbox::JOB, daily: true, run: deliver::run }],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    records: &[RecordKind::untitled("webhook_endpoint", "数据推送地址"), RecordKind::untitled("webhooks", "数据推送")],
    titles: &[],
    tables: &["webhook_endpoints", "webhook_deliveries", "webhook_inbound"],
    demo: None,
};

fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(pages::routes()).merge(inbound::routes())
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let mut items = Vec::new();
    // Admins see the page (their organ's endpoints and deliveries) whoever may change them.
    let r = Resource::Webhooks { organ_path: &p.organ_path, admins: crate::app::config::WebhookAdmins::Top };
    if authz::allows(p, Action::View, &r) {
        items.push((pages::PATH, "数据推送"));
    }
    vec![MenuSection { order: 90, title: "系统", items }]
}

/// A kind of event a domain pushes (`opinion.state_changed`).
pub struct EventKind {
    pub code: &'static str,
    pub label: &'static str,
}

/// The status an external system reports back for one of its orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternalStatus {
    Accepted,
    InProgress,
    Replied,
    Closed,
}

impl ExternalStatus {
    pub const ALL: [ExternalStatus; 4] =
        [ExternalStatus::Accepted, ExternalStatus::InProgress, ExternalStatus::Replied, ExternalStatus::Closed];
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalStatus::Accepted => "accepted",
            ExternalStatus::InProgress => "in_progress",
            ExternalStatus::Replied => "replied",
            ExternalStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<ExternalStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            ExternalStatus::Accepted => "已受理",
            ExternalStatus::InProgress => "办理中",
            ExternalStatus::Replied => "已答复",
            ExternalStatus::Closed => "已办结",
        }
    }
}

/// An inbound status update, read and checked.
#[derive(Clone, Debug)]
pub struct Update {
    pub external_no: String,
    pub status: ExternalStatus,
    pub text: String,
}

/// Applies an inbound update in its write transaction: (txn, audit key, actor, the endpoint's
/// organ, the update) → what it was recorded on (e.g. the tracking number).
pub type Inbound =
    for<'a> fn(&'a DatabaseTransaction, &'a [u8], &'a Actor, i64, &'a Update) -> BoxFuture<'a, AppResult<String>>;

/// A domain's handler of inbound updates: the events whose records it answers for (an
/// endpoint receiving one of them sends its updates here), and what records one.
pub struct InboundHandler {
    pub events: &'static [&'static EventKind],
    pub run: Inbound,
}

/// What the domains of this installation offer, each through its `Module::register`.
#[derive(Default, Clone)]
pub struct Hooks {
    pub events: Vec<&'static EventKind>,
    pub inbound: Vec<&'static InboundHandler>,
}

/// Adds a domain's event kinds and its inbound handler; what is already there stays.
pub fn add(s: &AppState, events: &[&'static EventKind], inbound: Option<&'static InboundHandler>) {
    let mut hooks = s.ext.get::<Hooks>().map(|h| (*h).clone()).unwrap_or_default();
    for e in events {
        if !hooks.events.iter().any(|x| x.code == e.code) {
            hooks.events.push(e);
        }
    }
    if let Some(h) = inbound
        && !hooks.inbound.iter().any(|x| std::ptr::eq(*x, h))
    {
        hooks.inbound.push(h);
    }
    s.ext.insert(hooks);
}

/// The handler of an endpoint's inbound updates: the one answering for the events it receives.
/// An endpoint receiving the events of several handlers cannot say which record an order
/// number names: one endpoint per kind of record then (422).
pub fn inbound_for(s: &AppState, ep: &model::Endpoint) -> AppResult<Inbound> {
    let hooks = s.ext.get::<Hooks>().unwrap_or_default();
    let mine: Vec<_> = hooks.inbound.iter().filter(|h| h.events.iter().any(|e| ep.receives(e.code))).collect();
    match mine.as_slice() {
        [one] => Ok(one.run),
        [] if hooks.inbound.is_empty() => Err(crate::app::error::AppError::NotFound),
        [] => Err(crate::app::error::AppError::invalid("", "该推送地址订阅的事件不接收状态回传")),
        _ => Err(crate::app::error::AppError::invalid(
            "",
            "该推送地址订阅了几类记录的事件，无法确定回传记入哪一类；请为每类记录分别设置推送地址",
        )),
    }
}

/// The event kinds of this installation.
pub fn events(s: &AppState) -> Vec<&'static EventKind> {
    s.ext.get::<Hooks>().map(|h| h.events.clone()).unwrap_or_default()
}

/// The active endpoints of an organ that receive `event` (empty: nothing to push).
pub async fn subscribers<C: ConnectionTrait>(c: &C, organ_id: i64, event: &EventKind) -> Result<Vec<i64>, DbErr> {
    let all = model::endpoints(c, organ_id).await?;
    Ok(all.into_iter().filter(|e| e.active && e.receives(event.code)).map(|e| e.id).collect())
}

/// Puts one delivery per endpoint into the outbox, in the caller's transaction; the body is
/// fixed now (`{"event", "created_at", "data"}`) so that every attempt signs the same bytes.
pub async fn enqueue<C: ConnectionTrait>(
    c: &C,
    endpoints: &[i64],
    event: &EventKind,
    data: &serde_json::Value,
    now: i64,
) -> Result<(), DbErr> {
    if endpoints.is_empty() {
        return Ok(());
    }
    let body = serde_json::json!({ "event": event.code, "created_at": now, "data": data }).to_string();
    for id in endpoints {
        db::exec(
            c,
            "INSERT INTO webhook_deliveries (endpoint_id, event, payload, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, 'pending', 0, $4, $4)",
            vec![(*id).into(), event.code.into(), body.clone().into(), now.into()],
        )
        .await?;
    }
    outbox::wake(c, now).await
}
