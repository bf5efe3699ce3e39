//! Sending a closed 测评's results to the assessment departments (SUG-10: "the results … can be
//! sent to the assessment departments as a report"): staff name the departments — free names
//! (组织部, 考核办 …) or units of the organ — and the system makes a dated, numbered, audited
//! record with the workbook generated at that moment (the ranking and the deputy groups'
//! written evaluations), stored as an attachment so that what was sent downloads again
//! unchanged. Nothing leaves the system: units among the recipients that have accounts are told
//! in their inbox with the download link.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::evaluation;
use super::group_evaluation::GroupEvaluation;
use crate::app::error::{AppError, AppResult};
use crate::app::state::{AppState, BoxFuture};
use crate::attachments::Prepared;
use crate::audit::{Actor, Change};
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource};
use crate::ballot::model::{Ballot, Tally};
use crate::db;
use crate::export::{Cell, Table, to_xlsx_book};
use crate::storage::Storage;

/// The attachment owner of the file sent.
pub const FILE_OWNER: &str = "evaluation_sending";
/// At most this many recipients, each name this long.
pub const MAX_RECIPIENTS: usize = 20;
pub const MAX_NAME: usize = 50;

/// One sending, as the 测评's page lists it.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Sending {
    pub id: i64,
    pub ballot_id: i64,
    pub number: i64,
    /// The recipients' names joined by 「、」.
    pub departments: String,
    pub note: String,
    pub sender: String,
    pub sent_at: i64,
    pub attachment_id: Option<i64>,
}

impl Sending {
    pub fn date(&self) -> String {
        crate::app::fmt::date(self.sent_at)
    }
}

pub async fn of_ballot<C: ConnectionTrait>(c: &C, ballot: i64) -> Result<Vec<Sending>, DbErr> {
    db::query_all(
        c,
        "SELECT s.id, s.ballot_id, s.number, s.departments, s.note, a.display_name AS sender, s.sent_at, s.attachment_id \
         FROM evaluation_sendings s JOIN accounts a ON a.id = s.sent_by WHERE s.ballot_id = $1 ORDER BY s.number",
        vec![ballot.into()],
    )
    .await
}

/// The recipients typed as free names: split at 「、，,；;」 and line ends, trimmed, without repeats.
pub fn names(typed: &str) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for n in typed.split(['、', '，', ',', '；', ';', '\n', '\r']).map(str::trim).filter(|n| !n.is_empty()) {
        if n.chars().count() > MAX_NAME {
            return Err(AppError::invalid("departments", format!("部门名称不能超过 {MAX_NAME} 字：{n}")));
        }
        if !out.iter().any(|x| x == n) {
            out.push(n.to_string());
        }
    }
    Ok(out)
}

/// The workbook sent: the ranking (as the 测评's own export) and the groups' written
/// evaluations.
pub fn workbook(b: &Ballot, t: &Tally, groups: &[GroupEvaluation]) -> Vec<u8> {
    let (title, headers, rows) = evaluation::export_rows(b, t);
    let ranking = Table { title, headers: headers.iter().map(|h| h.to_string()).collect(), rows };
    let text = |s: &str| Cell::Text(s.to_string());
    let rows = groups
        .iter()
        .map(|e| {
            let mut row = vec![text(&e.unit_name), text(&e.group_name)];
            for (_, grade, comment) in e.aspects() {
                row.push(text(grade));
                row.push(text(comment));
            }
            row.push(text(&e.note));
            row
        })
        .collect();
    let headers =
        ["承办单位", "代表小组", "办理态度", "态度意见", "办理措施", "措施意见", "办理实效", "实效意见", "总体意见"];
    let written =
        Table {
            title: "代表小组书面评价".into(), headers: headers.iter().map(|h| h.to_string()).collect(), rows
        };
    to_xlsx_book(&[ranking, written])
}

/// Records a sending of the closed ballot `b` to the named departments and units, with the
/// prepared workbook stored as its attachment; the units' accounts are told. Returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn send<C: ConnectionTrait>(
    c: &C,
    storage: &dyn Storage,
    key: &[u8],
    actor: &Actor,
    b: &Ballot,
    names: &[String],
    units: &[i64],
    note: &str,
    file: &Prepared,
    now: i64,
) -> AppResult<i64> {
    if b.is_open() {
        return Err(AppError::Conflict("投票结束后才能报送测评结果".into()));
    }
    let note = super::service::part("note", note, 500)?;
    let mut recipients: Vec<(String, Option<i64>)> = names.iter().map(|n| (n.clone(), None)).collect();
    let prefix = format!("{}%", db::like_escape(&b.organ_path));
    let mut units = units.to_vec();
    units.sort_unstable();
    units.dedup();
    for u in &units {
        let row = db::query_rows(
            c,
            "SELECT u.name FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1 AND o.path LIKE $2",
            vec![(*u).into(), prefix.clone().into()],
        )
        .await?;
        let name = row.first().and_then(|r| r.try_get_by_index::<String>(0).ok());
        let name = name.ok_or_else(|| AppError::invalid("units", format!("编号 {u} 的单位不是本级的承办单位")))?;
        recipients.push((name, Some(*u)));
    }
    if recipients.is_empty() {
        return Err(AppError::invalid("departments", "请填写或选择报送的部门"));
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(AppError::invalid("departments", format!("一次最多报送 {MAX_RECIPIENTS} 个部门")));
    }
    let number = db::scalar_i64(
        c,
        "SELECT coalesce(max(number), 0) + 1 FROM evaluation_sendings WHERE ballot_id = $1",
        vec![b.id.into()],
    )
    .await?;
    let departments = recipients.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("、");
    let id = db::insert_id(
        c,
        "INSERT INTO evaluation_sendings (organ_id, ballot_id, number, departments, note, sent_by, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            b.organ_id.into(),
            b.id.into(),
            number.into(),
            departments.clone().into(),
            note.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    for (name, unit) in &recipients {
        db::exec(
            c,
            "INSERT INTO evaluation_recipients (sending_id, name, unit_id) VALUES ($1, $2, $3)",
            vec![id.into(), name.clone().into(), (*unit).into()],
        )
        .await?;
    }
    let file_id = crate::attachments::attach(c, storage, key, actor, b.organ_id, (FILE_OWNER, id), file).await?;
    db::exec(c, "UPDATE evaluation_sendings SET attachment_id = $1 WHERE id = $2", vec![file_id.into(), id.into()])
        .await?;
    let summary = format!("报送{}（第 {number} 次）：{departments}", b.title);
    Change::audited("evaluation_send", FILE_OWNER, id, summary).in_organ(b.organ_id).append(c, key, actor).await?;
    let link = file_url(id);
    for (_, unit) in &recipients {
        let Some(unit) = unit else { continue };
        let accounts: Vec<i64> =
            crate::org::units::unit_accounts(c, *unit).await?.into_iter().map(|(a, _, _)| a).collect();
        let body = format!("{}已报送贵单位，请下载查阅。", b.title);
        let about = crate::notify::About { kind: FILE_OWNER, record: Some((FILE_OWNER, id)), link: &link };
        crate::notify::inbox_about(c, &accounts, &about, "满意度测评结果报送", &body).await?;
    }
    Ok(id)
}

/// Where a sending's file downloads as the .xlsx it is (named after the 测评 and the number).
pub fn file_url(id: i64) -> String {
    format!("/console/suggestions/evaluations/sendings/{id}/file")
}

/// The stored file of a sending and its download name, for those `file_seen_by` admits.
pub async fn file_of(s: &AppState, p: &Principal, id: i64) -> AppResult<(Vec<u8>, String)> {
    if !file_seen_by(s, p, id).await? {
        return Err(AppError::NotFound);
    }
    let rows = db::query_rows(
        &s.db,
        "SELECT x.attachment_id, x.number, b.title FROM evaluation_sendings x JOIN ballots b ON b.id = x.ballot_id \
         WHERE x.id = $1",
        vec![id.into()],
    )
    .await?;
    let r = rows.first().ok_or(AppError::NotFound)?;
    let file: Option<i64> = r.try_get_by_index(0)?;
    let number: i64 = r.try_get_by_index(1)?;
    let title: String = r.try_get_by_index(2)?;
    let a = crate::attachments::get(&s.db, file.ok_or(AppError::NotFound)?).await?.ok_or(AppError::NotFound)?;
    let bytes = s.storage.get(&a.storage_key).map_err(|_| AppError::NotFound)?;
    Ok((bytes, format!("{title}（第{number}次报送）")))
}

/// Who may download a sending's file: the organ's workers, and the units it was sent to.
pub fn file_seen_by<'a>(s: &'a AppState, p: &'a Principal, id: i64) -> BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        let rows = db::query_rows(
            &s.db,
            "SELECT o.path FROM evaluation_sendings x JOIN organs o ON o.id = x.organ_id WHERE x.id = $1",
            vec![id.into()],
        )
        .await?;
        let Some(path) = rows.first().and_then(|r| r.try_get_by_index::<String>(0).ok()) else { return Ok(false) };
        if allows(p, Action::View, &Resource::Ballot { organ_path: &path, elector: false, watcher: false }) {
            return Ok(true);
        }
        let units = db::query_rows(
            &s.db,
            "SELECT r.unit_id FROM evaluation_recipients r WHERE r.sending_id = $1 AND r.unit_id IS NOT NULL",
            vec![id.into()],
        )
        .await?;
        Ok(units
            .iter()
            .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
            .any(|u| allows(p, Action::View, &Resource::HandlingUnit { id: u, organ_path: &path })))
    })
}
