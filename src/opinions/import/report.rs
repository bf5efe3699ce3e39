//! The stored reports: each import (`import_runs`) and each row's outcome (`import_run_rows`:
//! row, order number, outcome, opinion, reason — no names or phones), for the console and as
//! .xlsx.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::parse::Format;
use crate::db;

/// What happened to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Imported,
    Duplicate,
    Refused,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Imported => "imported",
            Outcome::Duplicate => "duplicate",
            Outcome::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Imported, Outcome::Duplicate, Outcome::Refused].into_iter().find(|o| o.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Imported => "已导入",
            Outcome::Duplicate => "已存在",
            Outcome::Refused => "未导入",
        }
    }
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct Run {
    pub id: i64,
    pub organ_id: i64,
    pub mapping_name: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub file_name: String,
    pub format: String,
    pub imported: i64,
    pub duplicates: i64,
    pub refused: i64,
    pub created_at: i64,
}

impl Run {
    pub fn when(&self) -> String {
        crate::app::fmt::datetime(self.created_at)
    }
}

const RUN_SELECT: &str = "SELECT r.id, r.organ_id, r.mapping_name, r.account_id, a.display_name AS account_name, \
     r.file_name, r.format, r.imported, r.duplicates, r.refused, r.created_at \
     FROM import_runs r LEFT JOIN accounts a ON a.id = r.account_id";

pub async fn run<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Run>, DbErr> {
    db::query_one(c, &format!("{RUN_SELECT} WHERE r.id = $1"), vec![id.into()]).await
}

/// The latest imports of an organ.
pub async fn runs<C: ConnectionTrait>(c: &C, organ_id: i64, limit: i64) -> Result<Vec<Run>, DbErr> {
    db::query_all(
        c,
        &format!("{RUN_SELECT} WHERE r.organ_id = $1 ORDER BY r.id DESC LIMIT $2"),
        vec![organ_id.into(), limit.into()],
    )
    .await
}

/// One stored line of a report, with the tracking number of its opinion.
#[derive(Clone, Debug, FromQueryResult)]
pub struct StoredLine {
    pub row_no: i64,
    pub external_no: String,
    pub outcome: String,
    pub opinion_id: Option<i64>,
    pub tracking_no: Option<String>,
    pub reason: String,
}

impl StoredLine {
    pub fn outcome_label(&self) -> &'static str {
        Outcome::parse(&self.outcome).map(Outcome::label).unwrap_or("")
    }
}

pub async fn lines<C: ConnectionTrait>(c: &C, run_id: i64) -> Result<Vec<StoredLine>, DbErr> {
    db::query_all(
        c,
        "SELECT l.row_no, l.external_no, l.outcome, l.opinion_id, op.tracking_no, l.reason \
         FROM import_run_rows l LEFT JOIN opinions op ON op.id = l.opinion_id WHERE l.run_id = $1 ORDER BY l.id",
        vec![run_id.into()],
    )
    .await
}

/// The report as a table for `crate::export` (no names or phones in it).
pub fn report_table(run: &Run, lines: &[StoredLine]) -> crate::export::Table {
    use crate::export::Cell;
    let row = if run.format == Format::Json.as_str() { "记录" } else { "行号" };
    crate::export::Table {
        title: format!("导入报告{}", run.id),
        headers: [row, "工单编号", "结果", "查询编号", "说明"].iter().map(|h| h.to_string()).collect(),
        rows: lines
            .iter()
            .map(|l| {
                vec![
                    Cell::Int(l.row_no),
                    Cell::Text(l.external_no.clone()),
                    Cell::Text(l.outcome_label().into()),
                    l.tracking_no.clone().into(),
                    Cell::Text(l.reason.clone()),
                ]
            })
            .collect(),
    }
}
