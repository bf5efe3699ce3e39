//! 民意 (OPN): citizens' opinions from every channel, handled in the shared loop
//! (`crate::handling`) — the public form behind the QR codes, the receipt and `/track`,
//! 码上公开, the console list and page, entries on someone's behalf, and the API.

pub mod api;
pub mod categories;
pub mod demo;
pub mod digest;
pub mod figures;
pub mod follow;
pub mod import;
pub mod import_pages;
pub mod lexicon;
pub mod lost;
pub mod model;
pub mod open311;
pub mod pages;
pub mod public;
pub mod publication;
pub mod service;
pub mod stats;
pub mod suggest;
pub mod synthetic;
mod synthetic_text;
pub mod webhooks;
pub mod wordcounts;
pub mod words;

use sea_orm::DatabaseTransaction;

use crate::app::error::AppResult;
use crate::app::state::{
    AppState, AttachmentOwner, BoxFuture, Demo, JobHandler, MenuSection, Module, RecordKind, Title,
};
use crate::auth::{Principal, Role};
use crate::handling::ItemKind;
use crate::handling::flow::{State, Step};
use crate::handling::model::Item;
use crate::handling::service::Applied;
use crate::webhooks::InboundHandler;

/// The OpenAPI tag of the opinions' operations.
pub const API_TAG: &str = "民意";

/// `handling_items.kind` of an opinion.
pub const KIND: &str = "opinion";

pub const MODULE: Module = Module {
    name: "opinions",
    routes,
    menu,
    audit_labels: &[
        ("opinion_submit", "提交群众意见"),
        ("opinion_classify", "确认意见类别"),
        ("opinion_import", "导入12345工单"),
        ("opinion_import_mapping", "保存导入映射"),
        ("opinion_import_mapping_remove", "删除导入映射"),
        ("personal_data_purge", "按保存期限清除个人信息"),
        ("opinion_hold_words", "修改待审核词语"),
        ("opinion_category_add", "新增意见类别"),
        ("opinion_category_toggle", "停用或恢复意见类别"),
        ("opinion_category_move", "调整意见类别顺序"),
        ("opinion_contact_view", "查看反映人联系方式"),
        ("opinion_words_backfill", "已有意见分词计入热词"),
        ("opinion_words_names", "名称变化后重新分词"),
        ("opinion_figures_backfill", "已有意见计入统计"),
    ],
    operations: api::OPERATIONS,
    jobs: &[
        JobHandler { kind: "personal-data-purge", daily: true, run: personal_data_purge },
        JobHandler { kind: digest::PLAN, daily: true, run: plan_digests },
        JobHandler { kind: digest::SEND, daily: false, run: send_digest },
        JobHandler { kind: wordcounts::BACKFILL, daily: false, run: words_backfill },
        JobHandler { kind: wordcounts::NAMES, daily: true, run: words_names },
        JobHandler { kind: figures::BACKFILL, daily: false, run: figures_backfill },
    ],
    attachment_owners: &[AttachmentOwner {
        owner_type: public::PHOTO_OWNER,
        public: |_, _, _| Box::pin(async { Ok(false) }),
        seen_by: Some(photo_seen_by),
    }],
    on_account_created: None,
    register: Some(register),
    records: &[
        RecordKind::titled("opinion", "民意", "opinions", "tracking_no"),
        RecordKind::titled("import_mapping", "导入模板", "import_mappings", "name"),
        RecordKind::titled("import_run", "导入批次", "import_runs", "mapping_name"),
        RecordKind::untitled("hold_words", "待审核词语"),
        RecordKind::titled("opinion_category", "意见类别", "opinion_categories", "name"),
        RecordKind::untitled("opinions", "群众意见（批量）"),
    ],
    // An item of the loop that carries an opinion is titled by its tracking number.
    titles: &[("handling_item", Title::column("opinions", "item_id", "tracking_no"))],
    tables: &[
        "opinions",
        "opinions_fts",
        "opinion_categories",
        "hold_words",
        "intake_throttle",
        "import_mappings",
        "import_runs",
        "import_run_rows",
        "opinion_digests",
        "opinion_word_days",
        "opinion_word_months",
        "opinion_figures",
        "opinion_figure_days",
        "opinion_figure_months",
        "opinion_overdue_days",
        "opinion_overdue_months",
    ],
    demo: Some(demo_seed),
};

/// `now` of a job's payload (`renda jobs run … --now`), else the clock.
fn payload_now(payload: &str) -> (serde_json::Value, i64) {
    let v = serde_json::from_str::<serde_json::Value>(payload).unwrap_or_default();
    let now = v.get("now").and_then(|n| n.as_i64()).unwrap_or_else(crate::db::now);
    (v, now)
}

/// The daily planning of each organ's digest of new opinions.
fn plan_digests<'a>(s: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let (_, now) = payload_now(payload);
        let planned = digest::plan(s, now).await.map_err(|e| e.detail())?;
        tracing::info!(planned, "digests of new opinions planned");
        Ok(())
    })
}

/// One organ's digest. Payload: `{"organ_id": …, "now": unix}` (`now` optional).
fn send_digest<'a>(s: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let (v, now) = payload_now(payload);
        let Some(organ) = v.get("organ_id").and_then(|n| n.as_i64()) else {
            return Err("任务缺少 organ_id".into());
        };
        let sent = digest::send(s, organ, now).await.map_err(|e| e.detail())?;
        tracing::info!(organ, sent, "digest of new opinions");
        Ok(())
    })
}

/// The opinions' offers to the others: their item kind to the loop, their event and the
/// handler of status updates to the webhooks.
fn register(s: &AppState) {
    crate::handling::add_kind(s, &ITEM_KIND);
    crate::calendar::follow(s, figures::follow_calendar);
    crate::webhooks::add(s, &[&webhooks::STATE_CHANGED], Some(&INBOUND));
}

/// Status updates of imported 12345 orders, from endpoints that receive the opinions' event.
static INBOUND: InboundHandler = InboundHandler { events: &[&webhooks::STATE_CHANGED], run: webhooks::inbound };

/// Opinions in every state of the loop, at the demo county.
fn demo_seed<'a>(txn: &'a DatabaseTransaction, d: &'a Demo<'a>) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move { demo::seed(txn, d.key, d.crypto, d.organ).await.map(drop) })
}

/// What the loop knows of opinions.
pub static ITEM_KIND: ItemKind = ItemKind {
    kind: KIND,
    page: |item| format!("/console/opinions/item/{item}"),
    before_step: None,
    after_step: Some(after_step),
    policy: |_| policy(),
};

/// The opinions' loop as OPN-5 to OPN-10 describe it — working days, the submitter's 不满意
/// reopens — with the statistics kept after every step (`figures`).
pub fn policy() -> crate::handling::flow::Policy {
    crate::handling::flow::Policy { changed: Some(figures::changed), ..Default::default() }
}

fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(public::routes())
        .merge(pages::routes())
        .merge(publication::routes())
        .merge(stats::routes())
        .merge(api::routes())
        .merge(open311::routes())
        .merge(import_pages::routes())
        .merge(words::routes())
        .merge(categories::routes())
        .merge(lost::routes())
        .merge(follow::routes())
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let scope = pages::scope_of(p);
    let mut items = Vec::new();
    if scope.organ_path.is_some() || scope.unit_id.is_some() || scope.deputy_id.is_some() || scope.station_id.is_some()
    {
        let label = if p.has(Role::Unit) && scope.organ_path.is_none() { "交办事项" } else { "民意办理" };
        items.push(("/console/opinions", label));
    }
    if pages::entry_source(p).is_some() {
        items.push(("/console/opinions/new", "录入群众意见"));
    }
    if scope.organ_path.is_some() {
        items.push(("/console/opinions/stats", "民意统计"));
    }
    if import_pages::may_import(p) {
        items.push(("/console/opinions/import", "12345 工单导入"));
    }
    if words::may_edit(p) {
        items.push(("/console/opinions/words", "待审核词语"));
        items.push(("/console/opinions/categories", "意见类别"));
    }
    vec![MenuSection { order: 10, title: "民意", items }]
}

/// The push to the organ's external systems (OPN-14), and the SMS a submitter gets when their
/// opinion is answered, not accepted, or closed (PLAT-11).
fn after_step<'a>(
    s: &'a AppState,
    txn: &'a DatabaseTransaction,
    item: &'a Item,
    applied: &'a Applied,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        webhooks::push_state(txn, item, applied).await?;
        if let Some(into) = applied.merged_into {
            crate::db::exec(
                txn,
                "UPDATE opinions SET merged_into_id = (SELECT id FROM opinions WHERE item_id = $1) WHERE item_id = $2",
                vec![into.into(), item.id.into()],
            )
            .await?;
            return Ok(());
        }
        let what = match (applied.step, applied.to) {
            (_, State::Replied) if applied.from != State::Replied => "已有答复，请查询并评价",
            (Step::AnswerDirectly, _) => "已有答复，请查询并评价",
            (Step::Reject, _) => "未予受理，原因请查询",
            (Step::Close, _) => "已办结",
            _ => return Ok(()),
        };
        if let Some((phone, no)) = service::submitter_phone(txn, &s.crypto, item.id).await? {
            let message = crate::notify::Message::plain(format!("【数字人大】您反映的问题（查询编号 {no}）{what}。"));
            let limits = crate::notify::Limits::of(&s.config);
            let _ = crate::notify::sms(txn, &s.crypto, &limits, &phone, &message, "opinion_progress").await?;
        }
        Ok(())
    })
}

/// The daily purge of citizens' names and phones after the configured retention (PLAT-8);
/// `{"now": <unix seconds>}` runs it as of that time.
fn personal_data_purge<'a>(ctx: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let now = crate::jobs::payload_now(payload);
        let days = ctx.config.personal_data_retention_days;
        let done =
            service::purge_personal_data(&ctx.writer, ctx.audit_key(), days, now).await.map_err(|e| e.to_string())?;
        tracing::info!(opinions = done.opinions, messages = done.messages, "personal data purge");
        Ok(())
    })
}

/// The one-off segmentation of the opinions written before their words were kept (issue 21).
fn words_backfill<'a>(s: &'a AppState, _payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let done = wordcounts::backfill(s).await.map_err(|e| e.to_string())?;
        tracing::info!(opinions = done, "opinion words backfilled");
        Ok(())
    })
}

/// The daily segmentation again of texts that hold a name added since they were written.
fn words_names<'a>(s: &'a AppState, _payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let done = wordcounts::renames(s).await.map_err(|e| e.to_string())?;
        tracing::info!(opinions = done, "opinion words segmented again for new names");
        Ok(())
    })
}

/// The one-off counting of the opinions written before the statistics were kept (issue 21).
fn figures_backfill<'a>(s: &'a AppState, _payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let done = figures::backfill(s).await.map_err(|e| e.to_string())?;
        tracing::info!(opinions = done, "opinion figures backfilled");
        Ok(())
    })
}

/// A submitter's photos are seen by whoever may see the opinion (never public).
fn photo_seen_by<'a>(s: &'a AppState, p: &'a Principal, opinion: i64) -> BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        let Some(o) = model::opinion(&s.db, opinion).await? else { return Ok(false) };
        let Some(item) = crate::handling::model::item(&s.db, o.item_id).await? else { return Ok(false) };
        let facts = crate::handling::facts(s, item.id).await?;
        Ok(crate::auth::authz::allows(p, crate::auth::Action::View, &facts.resource(&item)))
    })
}
