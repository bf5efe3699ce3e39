//! 交办 → 办理 → 答复 → 评价: the shared handling loop (OPN-5 to OPN-10), written once for every
//! module whose items go to units under deadlines — opinions first; 代表建议, 问题清单 and
//! rectification items next. A module opens items (`service::open`), registers an `ItemKind`
//! (its console page and what it does after a step, e.g. an SMS to the submitter), and lets
//! the loop's pages and API take every step through `act`.

pub mod api;
pub mod autoclose;
pub mod flow;
pub mod letters;
pub mod model;
pub mod organ_rules;
pub mod pages;
pub mod read;
pub mod rules_pages;
pub mod scan;
pub mod service;
pub mod settings;
pub mod step_body;

use sea_orm::DatabaseTransaction;

use crate::app::error::{AppError, AppResult};
use crate::app::extract::ClientIp;
use crate::app::guard;
use crate::app::state::{AppState, AttachmentOwner, BoxFuture, JobHandler, Module, RecordKind};
use crate::app::write::write;
use crate::auth::authz::{self, Field};
use crate::auth::{Action, Principal, Resource, Role};
use flow::{Party, Policy, Step};
use model::Item;
use service::{Applied, Command, Ctx, Doer};

/// The loop as the platform sees it: its step pages, the deadline scan, its audit labels.
pub const MODULE: Module = Module {
    name: "handling",
    routes: || pages::routes().merge(letters::routes()).merge(rules_pages::routes()).merge(settings::routes()),
    menu,
    audit_labels: &[
        ("handling_step", "办理事项"),
        ("handling_follow", "请代表跟踪督办"),
        ("handling_rules", "设置办理规则"),
        ("loop_settings_save", "保存办理设置"),
    ],
    operations: &[],
    jobs: &[
        JobHandler { kind: "deadline-scan", daily: true, run: deadline_scan },
        JobHandler { kind: "auto-close", daily: true, run: auto_close },
    ],
    attachment_owners: &[
        AttachmentOwner {
            owner_type: pages::FILE_OWNER,
            public: |_, _, _| Box::pin(async { Ok(false) }),
            seen_by: Some(file_seen_by),
        },
        AttachmentOwner {
            owner_type: letters::LETTER_OWNER,
            public: |_, _, _| Box::pin(async { Ok(false) }),
            seen_by: Some(letters::letter_seen_by),
        },
    ],
    on_account_created: None,
    register: Some(|s| crate::calendar::follow(s, follow_calendar)),
    // Titled by the module whose row carries the item (`Module::titles`).
    records: &[RecordKind::untitled("handling_item", "办理事项"), RecordKind::untitled("handling_reply", "答复函")],
    titles: &[],
    tables: &[
        "handling_items",
        "handling_assignments",
        "handling_events",
        "handling_replies",
        "handling_ratings",
        "handling_merges",
        "handling_contacts",
        "item_followers",
        "item_signers",
        "handling_rules",
        "item_handovers",
        "loop_settings",
    ],
    demo: None,
};

/// 办理规则 under the 民意 heading (order 11: after the opinions' items), for those who set
/// their organ's rules; 办理设置 (the organ's digest and automatic closing) under 系统, for its
/// admins.
fn menu(p: &Principal) -> Vec<crate::app::state::MenuSection> {
    let items = if rules_pages::may_set(p) { vec![(rules_pages::PATH, "办理规则")] } else { Vec::new() };
    let mut sections = vec![crate::app::state::MenuSection { order: 11, title: "民意", items }];
    if authz::allows(p, Action::Update, &Resource::Organ { path: &p.organ_path }) {
        sections.push(crate::app::state::MenuSection {
            order: 90,
            title: "系统",
            items: vec![(settings::PATH, "办理设置")],
        });
    }
    sections
}

/// The daily (and `renda jobs run auto-close --now …`) closing after a 满意. Payload: `{"now": unix}`, optional.
fn auto_close<'a>(s: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let now = crate::jobs::payload_now(payload);
        let report = autoclose::run(s, now).await.map_err(|e| e.detail())?;
        tracing::info!(closed = report.closed, "automatic closing after 满意");
        Ok(())
    })
}

/// Files of an item's history are seen by whoever may see the item.
fn file_seen_by<'a>(s: &'a AppState, p: &'a Principal, item: i64) -> BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        let Some(item) = model::item(&s.db, item).await? else { return Ok(false) };
        let facts = facts(s, item.id).await?;
        Ok(authz::allows(p, Action::View, &facts.resource(&item)))
    })
}

/// What a module tells the loop about its items.
pub struct ItemKind {
    /// `handling_items.kind`.
    pub kind: &'static str,
    /// The console page of an item of this kind.
    pub page: fn(i64) -> String,
    /// Runs in the step's write transaction before the step and may refuse it (e.g. no 答复
    /// without a recorded contact with the deputy, where the organ turns that on).
    pub before_step: Option<BeforeStep>,
    /// Runs in the step's write transaction after the step (e.g. an SMS to the submitter).
    pub after_step: Option<AfterStep>,
    /// Its loop as this installation applies it: the step table, the time rules (working days
    /// or calendar months), whose 不满意 reopens, whether a closed item can reopen, its words.
    pub policy: fn(&AppState) -> Policy,
}

pub type BeforeStep =
    for<'a> fn(&'a AppState, &'a DatabaseTransaction, &'a Item, &'a Command) -> BoxFuture<'a, AppResult<()>>;

pub type AfterStep =
    for<'a> fn(&'a AppState, &'a DatabaseTransaction, &'a Item, &'a Applied) -> BoxFuture<'a, AppResult<()>>;

/// The item kinds of this installation (the assembly registers them).
#[derive(Default)]
pub struct Kinds(pub Vec<&'static ItemKind>);

pub fn register(s: &AppState, kinds: &[&'static ItemKind]) {
    s.ext.insert(Kinds(kinds.to_vec()));
}

/// Adds one item kind (a module's `Module::register` calls it); a kind already there stays.
pub fn add_kind(s: &AppState, kind: &'static ItemKind) {
    let mut kinds = s.ext.get::<Kinds>().map(|k| k.0.clone()).unwrap_or_default();
    if !kinds.iter().any(|k| k.kind == kind.kind) {
        kinds.push(kind);
        s.ext.insert(Kinds(kinds));
    }
}

fn kind_of(s: &AppState, kind: &str) -> Option<&'static ItemKind> {
    s.ext.get::<Kinds>().and_then(|k| k.0.iter().copied().find(|x| x.kind == kind))
}

/// The console page of an item.
pub fn page_of(s: &AppState, item: &Item) -> String {
    kind_of(s, &item.kind).map(|k| (k.page)(item.id)).unwrap_or_else(|| "/console".into())
}

/// The loop of an item kind (the opinions' loop for a kind nobody registered).
pub fn policy_of(s: &AppState, kind: &str) -> Policy {
    kind_of(s, kind).map(|k| (k.policy)(s)).unwrap_or_default()
}

/// The authorization facts of an item.
pub struct Facts {
    pub units: Vec<i64>,
    /// The deputies who see it without working on it: those asked to follow it and the
    /// deputies of the station it came through (OPN-11).
    pub followers: Vec<i64>,
    /// The deputies who signed it.
    pub signers: Vec<i64>,
    /// The units answering the submitter (主办, 分办): they may read the submitter's contact.
    pub answering: Vec<i64>,
}

impl Facts {
    pub fn resource<'a>(&'a self, item: &'a Item) -> Resource<'a> {
        Resource::HandlingItem {
            organ_path: &item.organ_path,
            units: &self.units,
            deputy_id: item.deputy_id,
            station_id: item.station_id,
            followers: &self.followers,
            signers: &self.signers,
            answering: &self.answering,
        }
    }
}

/// What the authorization layer needs to know of an item besides its row.
pub async fn facts(s: &AppState, id: i64) -> AppResult<Facts> {
    Ok(Facts {
        units: model::seeing_units(&s.db, id).await?,
        followers: model::watchers(&s.db, id).await?,
        signers: model::signers(&s.db, id).await?,
        answering: model::contact_units(&s.db, id).await?,
    })
}

/// Reads an item the principal may see (404 otherwise), with its authorization facts.
pub async fn visible_item(s: &AppState, p: &Principal, ip: &ClientIp, id: i64) -> AppResult<(Item, Facts)> {
    let item = model::item(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let facts = facts(s, id).await?;
    guard::check(s, p, ip, Action::View, &facts.resource(&item), &id.to_string()).await?;
    Ok((item, facts))
}

/// The party a principal takes a step as, decided by the authorization layer: the field of
/// the item the step belongs to, then which party that makes them.
pub fn party_for(
    p: &Principal,
    item: &Item,
    live_units: &[i64],
    signers: &[i64],
    step: Step,
) -> Result<(Party, Field), Field> {
    let r = Resource::HandlingItem {
        organ_path: &item.organ_path,
        units: live_units,
        deputy_id: item.deputy_id,
        station_id: item.station_id,
        followers: &[],
        signers,
        answering: &[],
    };
    let may = |f: Field| authz::allows(p, Action::Change(f), &r);
    let (field, party) = match step {
        Step::Release
        | Step::Reject
        | Step::Assign
        | Step::DecideExtension
        | Step::Reopen
        | Step::Close
        | Step::Merge
        | Step::HandToDeputy
        | Step::Follow
        | Step::Withdraw
        | Step::Reassign => (Field::ItemTriage, Party::Staff),
        Step::AnswerDirectly if may(Field::ItemTriage) => (Field::ItemTriage, Party::Staff),
        Step::AnswerDirectly | Step::Rate | Step::RequestAssign => (Field::ItemDeputyWork, Party::Deputy),
        Step::Accept
        | Step::Return
        | Step::Progress
        | Step::RequestExtension
        | Step::Reply
        | Step::Contact
        | Step::AssistOpinion => (Field::ItemUnitWork, Party::Unit),
        Step::Supervise => {
            let party = if p.has(Role::Leader) { Party::Leader } else { Party::Staff };
            (Field::ItemSupervision, party)
        }
        Step::DeadlineNotice => return Err(Field::ItemSupervision),
    };
    if may(field) { Ok((party, field)) } else { Err(field) }
}

/// Takes one step for a signed-in caller: the authorization layer decides the party, the
/// loop's table the step, and the item's kind does what follows — one audited transaction.
pub async fn act(s: &AppState, p: &Principal, ip: &ClientIp, item_id: i64, cmd: Command) -> AppResult<Applied> {
    let (item, facts) = visible_item(s, p, ip, item_id).await?;
    // 并案 joins another item: only one the caller may see.
    if let Command::Merge { into } = &cmd {
        visible_item(s, p, ip, *into).await.map_err(|e| match e {
            AppError::NotFound | AppError::Forbidden(_) => AppError::invalid("into", "没有这件事项，或您无权查看它"),
            other => other,
        })?;
    }
    let live = model::live_units(&s.db, item_id).await?;
    let step = cmd.step();
    let (party, field) = match party_for(p, &item, &live, &facts.signers, step) {
        Ok(x) => x,
        Err(field) => {
            let r = Resource::HandlingItem {
                organ_path: &item.organ_path,
                units: &live,
                deputy_id: item.deputy_id,
                station_id: item.station_id,
                followers: &facts.followers,
                signers: &facts.signers,
                answering: &[],
            };
            // The caller sees the item (a unit whose assignment ended keeps reading it): a
            // refusal, never a 404.
            match guard::check(s, p, ip, Action::Change(field), &r, &item_id.to_string()).await {
                Ok(()) | Err(AppError::NotFound) => {}
                Err(e) => return Err(e),
            }
            return Err(AppError::Forbidden(flow::Refusal::NotYours.message(step, item.state)));
        }
    };
    let _ = field;
    let calendar = crate::calendar::load(&s.db).await?;
    let policy = policy_of(s, &item.kind);
    let unit_id = if party == Party::Unit { p.unit_id } else { None };
    let cmd = match cmd {
        Command::Rate { grade, comment, aspect, unit_id, .. } => {
            Command::Rate { rater: model::Rater::Deputy, grade, comment, aspect, unit_id }
        }
        other => other,
    };
    write(s, p, ip, async |w| {
        let ctx = Ctx { key: w.key(), calendar: &calendar, policy: &policy, now: crate::db::now() };
        before_step(s, w.txn(), item_id, &cmd).await?;
        let deputy = if party == Party::Deputy { p.deputy_id } else { None };
        let doer = Doer { party, unit_id, deputy, actor: w.actor() };
        let applied = service::apply(w.txn(), &ctx, item_id, &doer, cmd).await?;
        after_step(s, w.txn(), item_id, &applied).await?;
        Ok(applied)
    })
    .await
}

/// A step by the submitter (`/track` and its API), whose query code the caller has checked.
pub async fn act_as_submitter(s: &AppState, item_id: i64, cmd: Command) -> AppResult<Applied> {
    let calendar = crate::calendar::load(&s.db).await?;
    let kind = model::item(&s.db, item_id).await?.ok_or(AppError::NotFound)?.kind;
    let policy = policy_of(s, &kind);
    crate::app::write::write_as(s, crate::audit::Actor::system("反映人"), async |w| {
        let ctx = Ctx { key: w.key(), calendar: &calendar, policy: &policy, now: crate::db::now() };
        before_step(s, w.txn(), item_id, &cmd).await?;
        let doer = Doer { party: Party::Submitter, unit_id: None, deputy: None, actor: w.actor() };
        let applied = service::apply(w.txn(), &ctx, item_id, &doer, cmd).await?;
        after_step(s, w.txn(), item_id, &applied).await?;
        Ok(applied)
    })
    .await
}

/// The kind's check before a step, in the step's transaction.
async fn before_step(s: &AppState, txn: &DatabaseTransaction, item_id: i64, cmd: &Command) -> AppResult<()> {
    let item = model::item(txn, item_id).await?.ok_or(AppError::NotFound)?;
    match kind_of(s, &item.kind).and_then(|k| k.before_step) {
        Some(check) => check(s, txn, &item, cmd).await,
        None => Ok(()),
    }
}

/// What follows a step: the items merged into this one take its state (并案), and the item's
/// kind does its part for the item and for each of them (each submitter hears of the reply).
async fn after_step(s: &AppState, txn: &DatabaseTransaction, item_id: i64, applied: &Applied) -> AppResult<()> {
    let item = model::item(txn, item_id).await?.ok_or(AppError::NotFound)?;
    let hook = kind_of(s, &item.kind).and_then(|k| k.after_step);
    if let Some(hook) = hook {
        hook(s, txn, &item, applied).await?;
    }
    if applied.merged_into.is_some() {
        return Ok(());
    }
    let merged = model::merged_here(txn, item_id).await?;
    if merged.is_empty() {
        return Ok(());
    }
    service::follow_primary(txn, &item).await?;
    let policy = policy_of(s, &item.kind);
    for id in &merged {
        service::changed(txn, &policy, *id).await?;
    }
    if let Some(hook) = hook {
        for id in merged {
            if let Some(dup) = model::item(txn, id).await? {
                hook(s, txn, &dup, applied).await?;
            }
        }
    }
    Ok(())
}

/// The daily (and `renda jobs run deadline-scan --now …`) scan. Payload: `{"now": unix}`, optional.
/// A year of the calendar made official: the open deadlines counted through it are counted
/// again, in the same transaction (`service::recount`).
fn follow_calendar<'a>(
    s: &'a AppState,
    txn: &'a DatabaseTransaction,
    actor: &'a crate::audit::Actor,
    old: &'a crate::calendar::Calendar,
    new: &'a crate::calendar::Calendar,
    year: i32,
) -> BoxFuture<'a, AppResult<u64>> {
    Box::pin(async move {
        let policy_of = |kind: &str| policy_of(s, kind);
        Ok(service::recount(txn, actor, old, new, year, &policy_of, crate::db::now()).await?)
    })
}

fn deadline_scan<'a>(s: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let db = &s.db;
        let now = crate::jobs::payload_now(payload);
        let calendar = crate::calendar::load(db).await.map_err(|e| e.to_string())?;
        let kinds: Vec<&str> = s.ext.get::<Kinds>().map(|k| k.0.iter().map(|x| x.kind).collect()).unwrap_or_default();
        let policy_of = |kind: &str| policy_of(s, kind);
        let report = scan::run(db, &s.writer, &calendar, &policy_of, &kinds, now).await.map_err(|e| e.to_string())?;
        tracing::info!(
            warned = report.warned,
            overdue = report.overdue,
            assist_warned = report.assist_warned,
            assist_overdue = report.assist_overdue,
            "deadline scan"
        );
        Ok(())
    })
}
