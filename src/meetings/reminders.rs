//! Reminders of resolutions and decisions not yet implemented (MTG-7): the daily scan
//! (`renda jobs run meeting-record-reminders --now …`) tells the organ's staff and whoever
//! recorded it, in their inbox, when a followed-up record (待落实 or 落实中) comes within
//! `WARN_WORKING_DAYS` working days of its 落实期限, and again when it is past it — each once per
//! due date (`warned_for`, `overdue_for`), each audited.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult};

use crate::audit::{Actor, Change};
use crate::calendar::{self, Calendar};
use crate::db;

/// The job's kind.
pub const JOB: &str = "meeting-record-reminders";
/// How many working days before its due date a record is warned of.
pub const WARN_WORKING_DAYS: i64 = 5;

/// What one scan raised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub warned: u64,
    pub overdue: u64,
}

#[derive(FromQueryResult)]
struct Due {
    id: i64,
    meeting_id: i64,
    organ_id: i64,
    number: String,
    title: String,
    due_date: String,
    warned_for: Option<String>,
    created_by: Option<i64>,
}

/// The organ's staff and the account that recorded it.
async fn told<C: ConnectionTrait>(c: &C, organ: i64, recorder: Option<i64>) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.id FROM accounts a JOIN account_roles r ON r.account_id = a.id WHERE a.organ_id = $1 \
         AND r.role = 'staff' AND a.disabled = false ORDER BY a.id LIMIT 20",
        vec![organ.into()],
    )
    .await?;
    let mut out: Vec<i64> = rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect();
    if let Some(a) = recorder
        && !out.contains(&a)
    {
        out.push(a);
    }
    Ok(out)
}

/// The scan as of `now`.
pub async fn scan(
    db: &DatabaseConnection,
    writer: &crate::db::writer::Writer,
    key: &[u8],
    cal: &Calendar,
    now: i64,
) -> Result<Report, DbErr> {
    let today = calendar::beijing_date(now);
    let mut report = Report::default();
    let rows: Vec<Due> = db::query_all(
        db,
        "SELECT r.id, r.meeting_id, m.organ_id, r.number, r.title, r.due_date, r.warned_for, r.created_by \
         FROM meeting_records r JOIN meetings m ON m.id = r.meeting_id \
         WHERE r.tracking IN ('pending', 'in_progress') AND r.due_date IS NOT NULL \
         AND (r.overdue_for IS NULL OR r.overdue_for <> r.due_date) ORDER BY r.id",
        vec![],
    )
    .await?;
    let system = Actor::system("决议落实提醒");
    for r in rows {
        let Some(due) = crate::app::fmt::parse_iso_date(&r.due_date) else { continue };
        let overdue = today > due;
        let warn = !overdue && cal.working_days_between(today, due) <= WARN_WORKING_DAYS;
        if !overdue && (!warn || r.warned_for.as_deref() == Some(r.due_date.as_str())) {
            continue;
        }
        writer
            .run(async |txn| {
                let accounts = told(txn, r.organ_id, r.created_by).await?;
                let link = format!("/console/meetings/{}#record-{}", r.meeting_id, r.id);
                let about = crate::notify::About {
                    kind: "meeting_record",
                    record: Some(("meeting_record", r.id)),
                    link: &link,
                };
                let name = format!("{}「{}」", r.number, r.title);
                let (title, body, stamp) = if overdue {
                    (
                        "决议决定逾期未落实",
                        format!("{name}的落实期限 {} 已过，尚未落实完毕。", r.due_date),
                        "overdue_for",
                    )
                } else {
                    (
                        "决议决定即将到期",
                        format!("{name}应于 {} 前落实，请督促并记录落实情况。", r.due_date),
                        "warned_for",
                    )
                };
                crate::notify::inbox_about(txn, &accounts, &about, title, &body).await?;
                db::exec(
                    txn,
                    &format!("UPDATE meeting_records SET {stamp} = due_date WHERE id = $1"),
                    vec![r.id.into()],
                )
                .await?;
                Change::audited(
                    "meeting_record_remind",
                    "meeting_record",
                    r.id,
                    format!("{name}：{}（落实期限 {}）", if overdue { "逾期提醒" } else { "到期提醒" }, r.due_date),
                )
                .in_organ(r.organ_id)
                .append(txn, key, &system)
                .await?;
                Ok::<(), DbErr>(())
            })
            .await?;
        if overdue {
            report.overdue += 1;
        } else {
            report.warned += 1;
        }
    }
    Ok(report)
}
