//! Last years' suggestions and their replies from a county's Excel sheet (issue 15, Import):
//! one row per suggestion — number, title, lead deputy, co-signers, category, units (主办 and
//! 协办), reply class, satisfaction, year or session.
//!
//! - **Reading** (`parse`). The shared reader (`opinions::import::read_table` over `sheet`, with
//!   its hard limits, on the blocking pool, before any transaction): an .xlsx or a UTF-8 CSV.
//!   The header is found among the first rows by the usual names of each column (title rows
//!   and blank rows above it, full-width spaces, bracketed notes); numbers stored as text or as
//!   「第12号」 are read.
//! - **Checking** (`check`). Deputies matched by name among those of the organ's congress (an
//!   unknown or shared name is a row error naming it), units by name among the organ's (also
//!   without the county's name in front, or by the one unit whose name holds the short one),
//!   the number kept free in the series of its year. Every problem comes back at once, named
//!   by cell (「C5 领衔代表」); with any problem nothing is written.
//! - **Writing** (`apply`). One transaction for the whole file, through the suggestions service
//!   and the loop: a suggestion is recorded with its number and registered; a past 交办 and
//!   reply are recorded as such (`handling::service::record_past`), the ratings, 跟踪办理 and
//!   办结 are the loop's ordinary steps. Audited row by row and as one import.
//!
//! The console previews the plan and writes it on confirmation (`import_pages`); the command
//! line is `renda import suggestions FILE [--organ 代码] [--year 2025] [--dry-run]`.

mod apply;
mod check;
mod parse;

pub use apply::{Summary, apply};
pub use check::{Plan, Planned, check, class, grade, names, number, units};
pub use parse::{Col, MAX_ROWS, Parsed, Row, column_of, parse, parse_blocking};

use sea_orm::ConnectionTrait;

use crate::app::error::AppResult;
use crate::org::Organ;
use crate::sheet::RowIssue;

/// Reads and checks a file at `organ`: the plan, or every problem. Parsing runs on the blocking
/// pool; call it before the write (and again inside it, to confirm).
pub async fn plan<C: ConnectionTrait>(
    c: &C,
    organ: &Organ,
    parsed: &Parsed,
    default_year: i64,
) -> AppResult<Result<Plan, Vec<RowIssue>>> {
    check(c, organ, &parsed.rows, parsed.issues.clone(), default_year).await
}

/// The year a file's rows belong to when they do not say: last year.
pub fn last_year(now: i64) -> i64 {
    i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(now))) - 1
}
