//! 会议 · 表决 (MTG, issue 19): meetings of an organ — 人代会 with its 代表团, 常委会会议 numbered
//! per term, 主任会议, 专委会会议, 乡镇人代会 — with their members from the registry and 列席
//! invitees, attendance and the quorum, the agenda linked to the records it is about, electronic
//! votes on the `ballot` component (opened only while the quorum is met, the result by the rule
//! the moment a ballot closes), the hall screen (`hall`), 云列席 (a live stream and moderated
//! written remarks) and the meeting's records with the register of what was adopted.

pub mod api;
pub mod demo;
pub mod hall;
pub mod model;
pub mod pages;
pub mod presidium;
pub mod reminders;
pub mod service;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

use crate::app::error::{AppError, AppResult};
use crate::app::state::{AppState, AttachmentOwner, BoxFuture, Demo, JobHandler, MenuSection, Module, RecordKind};
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource};
use crate::ballot::model::Ballot;
use crate::ballot::{BallotKind, add_kind};

pub const MODULE: Module = Module {
    name: "meetings",
    routes,
    menu,
    audit_labels: &[
        ("meeting_create", "新建会议"),
        ("meeting_open", "会议开始"),
        ("meeting_end", "会议结束"),
        ("meeting_attendance", "登记出席情况"),
        ("meeting_checkin", "会议签到"),
        ("meeting_item_add", "增加会议议题"),
        ("meeting_ballot_add", "准备会议表决"),
        ("meeting_hall_key", "生成会场大屏链接"),
        ("meeting_stream", "设置会议直播地址"),
        ("meeting_remark", "提交书面发言"),
        ("meeting_remark_moderate", "审核书面发言"),
        ("meeting_record_add", "新增会议记录"),
        ("meeting_record_note", "记录决议落实情况"),
        ("meeting_record_remind", "决议决定落实提醒"),
        ("meeting_presidium", "组成大会主席团"),
    ],
    operations: api::OPERATIONS,
    jobs: &[JobHandler { kind: reminders::JOB, daily: true, run: record_reminders }],
    attachment_owners: &[AttachmentOwner {
        owner_type: service::FILE_OWNER,
        public: |_, _, _| Box::pin(async { Ok(false) }),
        seen_by: Some(item_file_seen_by),
    }],
    on_account_created: None,
    register: Some(register),
    records: &[
        RecordKind::titled("meeting", "会议", "meetings", "title"),
        RecordKind::titled("meeting_record", "会议记录", "meeting_records", "title"),
        RecordKind::titled("meeting_item", "会议议题", "meeting_items", "title"),
    ],
    titles: &[],
    tables: &[
        "meetings",
        "meeting_members",
        "meeting_items",
        "meeting_ballots",
        "meeting_remarks",
        "meeting_records",
        "meeting_record_notes",
        "meeting_presidium",
    ],
    demo: Some(demo_seed),
};

/// A meeting's ballots: counts hidden while open (the hall shows how many voted), the result
/// the moment it closes, opened only while the quorum is met, those present counted at close.
pub static BALLOTS: BallotKind = BallotKind {
    kind: service::BALLOT_KIND,
    page: |b| format!("/console/meetings/{}/ballots/{}", b.period, b.id),
    counts_while_open: false,
    result_on_close: true,
    before_open: Some(quorum_gate),
    present: Some(present_at_close),
    watches: Some(sits_in),
};

/// A participant of the meeting sees its ballots (and is refused a vote where not an elector).
fn sits_in<'a>(s: &'a AppState, b: &'a Ballot, person: i64) -> BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        let Ok(meeting) = b.period.parse::<i64>() else { return Ok(false) };
        Ok(model::member(&s.db, meeting, person).await?.is_some())
    })
}

/// An agenda item's documents are seen by whoever may see its meeting (staff of the organ,
/// its participants).
fn item_file_seen_by<'a>(s: &'a AppState, p: &'a Principal, item: i64) -> BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        let Some(meeting) = model::meeting_of_item(&s.db, item).await? else { return Ok(false) };
        let Some(m) = model::meeting(&s.db, meeting).await? else { return Ok(false) };
        let participant = match p.deputy_id {
            Some(person) => model::member(&s.db, meeting, person).await?.is_some(),
            None => false,
        };
        Ok(allows(p, Action::View, &Resource::Meeting { organ_path: &m.organ_path, participant }))
    })
}

fn register(s: &AppState) {
    add_kind(s, &BALLOTS);
}

/// The meeting of a ballot, read in the transaction.
async fn meeting_of(txn: &DatabaseTransaction, b: &Ballot) -> AppResult<model::Meeting> {
    let id = model::meeting_of_ballot(txn, b.id).await?.ok_or(AppError::NotFound)?;
    model::meeting(txn, id).await?.ok_or(AppError::NotFound)
}

/// A meeting's ballot opens only while the meeting runs and its quorum is met (409 with why).
fn quorum_gate<'a>(txn: &'a DatabaseTransaction, b: &'a Ballot) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        let m = meeting_of(txn, b).await?;
        if m.is_ended() {
            return Err(AppError::Conflict("会议已结束，不能再开始表决".into()));
        }
        let q = model::quorum(txn, &m).await?;
        if !q.met {
            return Err(AppError::Conflict(format!(
                "未达到法定人数，不能开始表决：组成人员 {} 人，须{}即 {} 人出席，现出席 {} 人",
                q.members, q.rule, q.required, q.present
            )));
        }
        Ok(())
    })
}

/// Those present when a meeting's ballot closes (the base `present`).
fn present_at_close<'a>(txn: &'a DatabaseTransaction, b: &'a Ballot) -> BoxFuture<'a, AppResult<Option<i64>>> {
    Box::pin(async move {
        let m = meeting_of(txn, b).await?;
        Ok(Some(model::quorum(txn, &m).await?.present))
    })
}

/// Tells every node that a meeting moved (its hall screen and pages count again).
pub async fn moved<C: ConnectionTrait>(c: &C, meeting: i64) -> Result<(), DbErr> {
    crate::ballot::live::notify_in(c, &topic(meeting)).await
}

/// The live topic of a meeting (its ballots' owner topic).
pub fn topic(meeting: i64) -> String {
    crate::ballot::live::owner_topic(service::BALLOT_KIND, &meeting.to_string())
}

/// The daily reminders of resolutions and decisions not yet implemented (`renda jobs run
/// meeting-record-reminders --now …`).
fn record_reminders<'a>(s: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let now = crate::jobs::payload_now(payload);
        let cal = crate::calendar::load(&s.db).await.map_err(|e| e.to_string())?;
        let report = reminders::scan(&s.db, &s.writer, s.audit_key(), &cal, now).await.map_err(|e| e.to_string())?;
        tracing::info!(warned = report.warned, overdue = report.overdue, "meeting record reminders");
        Ok(())
    })
}

fn demo_seed<'a>(txn: &'a DatabaseTransaction, d: &'a Demo<'a>) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move { demo::seed(txn, d).await })
}

fn routes() -> axum::Router<AppState> {
    axum::Router::new().merge(pages::routes()).merge(hall::routes()).merge(api::routes())
}

fn menu(p: &Principal) -> Vec<MenuSection> {
    let worker = allows(p, Action::View, &Resource::Meeting { organ_path: &p.organ_path, participant: false });
    let sitting = allows(p, Action::View, &Resource::Meeting { organ_path: &p.organ_path, participant: true });
    if !worker && !sitting {
        return Vec::new();
    }
    let mut items = vec![("/console/meetings", if worker { "会议" } else { "我的会议" })];
    if worker {
        items.push(("/console/meetings/register", "决议决定登记"));
    }
    vec![MenuSection { order: 14, title: "会议", items }]
}
