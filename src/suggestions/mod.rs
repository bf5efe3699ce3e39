//! 代表建议 and 议案 (SUG): deputies draft, invite co-signers who confirm, and submit (numbered
//! in the session's or the 闭会期间 series); staff register them, mark 重点, and 交办 them one by
//! one or at a 交办会 in one batch. From registration the handling loop carries them as its
//! second registered kind: calendar months (3, extension to 6 in all, 1 for a 协办 unit's
//! opinion), 10 days to return, a recorded contact before the reply (flagged when missing),
//! A/B/C classes, two ratings by every signer (答复 and 办理结果) of each answering unit with the
//! lead's 不满意 reopening it, 跟踪办理 of B-class replies, and 跨年结转. Nothing of the loop is
//! written here: this module says so in its kind descriptor.

pub mod access;
pub mod api;
pub mod demo;
mod draft_form;
pub mod drafts;
pub mod drafts_api;
pub mod drafts_pages;
pub mod evaluation;
pub mod evaluation_pages;
pub mod group_evaluation;
pub mod group_evaluation_pages;
pub mod import;
pub mod import_pages;
pub mod kept;
pub mod model;
pub mod pages;
pub mod record;
pub mod references;
pub mod report;
pub mod sendings;
pub mod service;
pub mod sessions;
pub mod sessions_pages;
pub mod similar;
pub mod stats;
pub mod synthetic;
mod synthetic_text;
pub mod visits;
pub mod visits_pages;
pub mod workspace;

use sea_orm::DatabaseTransaction;

use crate::app::error::AppResult;
use crate::app::state::{AppState, AttachmentOwner, BoxFuture, Demo, MenuSection, Module};
use crate::audit::{RecordKind, Title};
use crate::auth::{Principal, Role};
use crate::handling::ItemKind;
use crate::handling::flow::{Aspect, ContactRule, DueUnit, Outcome, Party, Policy, Rule, State, Step, Target, Words};
use crate::handling::model::Item;
use crate::handling::service::Applied;

/// `handling_items.kind` of a suggestion.
pub const KIND: &str = "suggestion";

pub const MODULE: Module = Module {
    name: "suggestions",
    routes,
    menu,
    audit_labels: &[
        ("suggestion_create", "起草代表建议"),
        ("suggestion_cosign", "确认联名"),
        ("suggestion_submit", "提交代表建议"),
        ("suggestion_decide", "议案立案决定"),
        ("suggestion_register", "登记代表建议"),
        ("suggestion_key", "设置重点建议"),
        ("suggestion_assign_batch", "集中交办代表建议"),
        ("suggestion_carry_over", "跨年结转代表建议"),
        ("suggestion_edit", "修改代表建议草稿"),
        ("suggestion_share", "分享建议草稿会商"),
        ("suggestion_comment", "提出会商意见"),
        ("suggestion_reference", "关联检察建议或公益诉讼线索"),
        ("suggestion_import", "导入代表建议"),
        ("suggestion_session_open", "开始人代会会次"),
        ("suggestion_session_close", "人代会闭会"),
        ("suggestion_rules", "设置议案联名人数"),
        ("group_evaluation_save", "填写代表小组书面评价"),
        ("evaluation_send", "报送满意度测评结果"),
        ("suggestion_visit", "记录代表小组视察"),
    ],
    operations: api::OPERATIONS,
    jobs: &[],
    attachment_owners: &[
        AttachmentOwner {
            owner_type: drafts::FILE_OWNER,
            public: |_, _, _| Box::pin(async { Ok(false) }),
            seen_by: Some(drafts::file_seen_by),
        },
        AttachmentOwner {
            owner_type: sendings::FILE_OWNER,
            public: |_, _, _| Box::pin(async { Ok(false) }),
            seen_by: Some(sendings::file_seen_by),
        },
    ],
    on_account_created: None,
    register: Some(register),
    records: &[
        RecordKind::titled("suggestion", "代表建议", "suggestions", "title"),
        RecordKind::untitled("draft", "代表起草的文稿"),
        RecordKind::untitled("suggestions", "代表建议（批量）"),
        RecordKind::titled("suggestion_session", "建议编号会次", "suggestion_sessions", "name"),
        RecordKind::untitled("group_evaluation", "代表小组书面评价"),
        RecordKind::titled("group_visit", "代表小组视察", "suggestion_visits", "place"),
        RecordKind::titled("evaluation_sending", "测评结果报送", "evaluation_sendings", "departments"),
    ],
    titles: &[("handling_item", Title::column("suggestions", "item_id", "title"))],
    tables: &[
        "suggestion_sessions",
        "suggestions",
        "suggestion_cosigners",
        "suggestion_shares",
        "suggestion_comments",
        "external_references",
        "suggestion_rules",
        "group_evaluations",
        "evaluation_sendings",
        "evaluation_recipients",
        "suggestion_visits",
        "suggestion_visit_members",
        "suggestion_visit_items",
    ],
    demo: Some(demo_seed),
};

fn register(s: &AppState) {
    crate::handling::add_kind(s, &ITEM_KIND);
}

fn demo_seed<'a>(txn: &'a DatabaseTransaction, d: &'a Demo<'a>) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        demo::seed(txn, d.key, d.organ).await?;
        demo::seed_evaluations(txn, d.key, d.crypto).await
    })
}

fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .merge(pages::routes())
        .merge(drafts_pages::routes())
        .merge(workspace::routes())
        .merge(evaluation_pages::routes())
        .merge(group_evaluation_pages::routes())
        .merge(visits_pages::routes())
        .merge(report::routes())
        .merge(record::routes())
        .merge(import_pages::routes())
        .merge(sessions_pages::routes())
        .merge(api::routes())
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let mut items = Vec::new();
    if [Role::Admin, Role::Staff, Role::Leader, Role::Unit, Role::Deputy].into_iter().any(|r| p.has(r)) {
        items.push(("/console/suggestions", "代表建议"));
    }
    if p.has(Role::Unit) && p.unit_id.is_some() {
        items.push(("/console/suggestions/mine", "本单位承办"));
    }
    if [Role::Admin, Role::Staff, Role::Leader, Role::Deputy].into_iter().any(|r| p.has(r)) {
        items.push(("/console/suggestions/evaluations", "满意度测评"));
    }
    if [Role::Admin, Role::Staff, Role::Leader, Role::Deputy, Role::Unit].into_iter().any(|r| p.has(r)) {
        items.push(("/console/suggestions/group-evaluations", "代表小组书面评价"));
    }
    if p.has(Role::Deputy) && p.deputy_id.is_some() {
        items.push(("/console/suggestions/my-record", "我的建议档案"));
    }
    if [Role::Admin, Role::Staff, Role::Leader].into_iter().any(|r| p.has(r)) {
        items.push(("/console/suggestions/stats", "建议办理统计"));
        items.push(("/console/suggestions/report", "建议办理情况报告"));
    }
    if [Role::Admin, Role::Staff].into_iter().any(|r| p.has(r)) {
        items.push(("/console/suggestions/sessions", "会次编号与议案规则"));
    }
    if import_pages::may_import(p) {
        items.push(("/console/suggestions/import", "历史建议导入"));
    }
    vec![MenuSection { order: 25, title: "代表建议", items }]
}

/// What the loop knows of suggestions.
pub static ITEM_KIND: ItemKind = ItemKind {
    kind: KIND,
    page: |item| format!("/console/suggestions/item/{item}"),
    before_step: None,
    after_step: Some(after_step),
    policy: policy_for,
};

use State::{Assigned, Closed, Following, InProgress, Received, Rehandling, Replied};
const AT_WORK: &[State] = &[Assigned, InProgress, Rehandling];
const AT_WORK_OR_FOLLOWED: &[State] = &[Assigned, InProgress, Rehandling, Following];

/// The loop of a suggestion (SUG-4 to SUG-9): no 不予受理 or 直接答复 at the door (a deputy's
/// suggestion is always answered by the units), 类件并案 before 交办, 沟通联系 and 协办意见,
/// a reply from the units at work or followed, the signers' ratings, 二次办理 by a 不满意 or by
/// staff judging a reply improper, 跟踪办理 of a B-class reply, 办结.
pub const RULES: &[Rule] = &[
    Rule { step: Step::Merge, from: &[Received], to: Target::Same, by: &[Party::Staff] },
    Rule { step: Step::Assign, from: &[Received], to: Target::To(Assigned), by: &[Party::Staff] },
    Rule { step: Step::Accept, from: AT_WORK, to: Target::To(InProgress), by: &[Party::Unit] },
    Rule { step: Step::Return, from: AT_WORK, to: Target::Same, by: &[Party::Unit] },
    Rule { step: Step::Progress, from: AT_WORK, to: Target::To(InProgress), by: &[Party::Unit] },
    Rule { step: Step::Progress, from: &[Following], to: Target::Same, by: &[Party::Unit] },
    Rule { step: Step::Contact, from: AT_WORK_OR_FOLLOWED, to: Target::Same, by: &[Party::Unit] },
    Rule { step: Step::AssistOpinion, from: AT_WORK, to: Target::Same, by: &[Party::Unit] },
    Rule { step: Step::RequestExtension, from: AT_WORK, to: Target::Same, by: &[Party::Unit] },
    Rule { step: Step::DecideExtension, from: AT_WORK, to: Target::Same, by: &[Party::Staff] },
    Rule { step: Step::Reply, from: AT_WORK_OR_FOLLOWED, to: Target::Same, by: &[Party::Unit] },
    Rule { step: Step::Rate, from: &[Replied], to: Target::Same, by: &[Party::Deputy] },
    Rule { step: Step::Reopen, from: &[Replied], to: Target::To(Rehandling), by: &[Party::Staff, Party::System] },
    Rule { step: Step::Follow, from: &[Replied], to: Target::To(Following), by: &[Party::Staff] },
    Rule { step: Step::Close, from: &[Replied], to: Target::To(Closed), by: &[Party::Staff] },
    Rule { step: Step::Supervise, from: AT_WORK_OR_FOLLOWED, to: Target::Same, by: &[Party::Leader, Party::Staff] },
    Rule { step: Step::DeadlineNotice, from: AT_WORK, to: Target::Same, by: &[Party::System] },
    // A 交办 corrected while the units work (issue 16): one unit's assignment taken back or moved
    // to another unit; not while followed (跟踪办理 keeps the units that answered).
    Rule { step: Step::Withdraw, from: AT_WORK, to: Target::Same, by: &[Party::Staff] },
    Rule { step: Step::Reassign, from: AT_WORK, to: Target::Same, by: &[Party::Staff] },
];

/// A reply's class (SUG-7): A 已解决或基本解决, B 正在解决或列入计划逐步解决, C 因条件限制
/// 需以后解决或留作参考.
pub fn class_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Resolved => "A类（已解决或基本解决）",
        Outcome::InProgress | Outcome::Planned => "B类（正在解决或列入计划逐步解决）",
        Outcome::CannotResolve => "C类（因条件限制需以后解决或留作参考）",
    }
}

/// The class letter of a reply's result.
pub fn class_of(o: Outcome) -> &'static str {
    match o {
        Outcome::Resolved => "A",
        Outcome::InProgress | Outcome::Planned => "B",
        Outcome::CannotResolve => "C",
    }
}

/// The result a class letter stands for.
pub fn outcome_of(class: &str) -> Option<Outcome> {
    match class {
        "A" | "a" => Some(Outcome::Resolved),
        "B" | "b" => Some(Outcome::InProgress),
        "C" | "c" => Some(Outcome::CannotResolve),
        _ => None,
    }
}

/// The suggestions' loop as this installation applies it (SUG-5: the numbers are the usual
/// provincial rules; `suggestion_contact_required` makes the contact a condition of the reply).
pub fn policy_for(s: &AppState) -> Policy {
    policy_with(s.config.suggestion_contact_required, s.config.suggestion_return_working_days)
}

/// The suggestions' loop, with the contact before a reply required or only flagged, and the
/// installation's window for a unit to return a wrongly assigned one.
pub fn policy_with(contact_required: bool, return_within_working_days: u32) -> Policy {
    Policy {
        rules: RULES,
        due_unit: DueUnit::CalendarMonths,
        default_due: 3,
        max_due: 6,
        max_extension: 3,
        max_total_due: Some(6),
        assist_due: Some(1),
        contact: if contact_required { ContactRule::Require } else { ContactRule::Flag },
        return_within_working_days,
        warn_working_days: 10,
        automatic_rehandling_rounds: 1,
        reopen_on: &[Party::Deputy],
        lead_rating_drives: true,
        outcomes: &[Outcome::Resolved, Outcome::InProgress, Outcome::CannotResolve],
        accept_before_reply: true,
        aspects: &[Aspect::Reply, Aspect::Result],
        rate_per_unit: true,
        phases: true,
        words: Words { submitter: "代表", item: "代表建议", outcome: class_label },
        changed: None,
    }
}

/// After a reply (and a 跟踪办理), every signer hears of it (SUG-7: a reply to a co-signed
/// suggestion reaches every co-signer).
fn after_step<'a>(
    _: &'a AppState,
    txn: &'a DatabaseTransaction,
    item: &'a Item,
    applied: &'a Applied,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        let title = match applied.step {
            Step::Reply if applied.to == State::Replied => "您的建议已答复，请评价",
            Step::Follow => "您的建议转入跟踪办理",
            _ => return Ok(()),
        };
        let Some(sg) = model::by_item(txn, item.id).await? else { return Ok(()) };
        let signers = crate::handling::model::signers(txn, item.id).await?;
        let link = format!("/console/suggestions/{}", sg.id);
        let body = format!("{}：{}", sg.number_label(), sg.title);
        for p in signers {
            let accounts: Vec<i64> = crate::db::query_rows(
                txn,
                "SELECT id FROM accounts WHERE deputy_id = $1 AND disabled = false",
                vec![p.into()],
            )
            .await?
            .iter()
            .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
            .collect();
            let about = crate::notify::About { kind: "suggestion", record: Some(("suggestion", sg.id)), link: &link };
            crate::notify::inbox_about(txn, &accounts, &about, title, &body).await?;
        }
        Ok(())
    })
}
