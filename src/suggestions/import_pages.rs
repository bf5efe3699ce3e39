//! The import of past suggestions in the console (staff of the organ): upload → every problem
//! of the file at once, or a preview of what will be written (each row's number, title, lead,
//! units, class, satisfaction and the state it will end in) → confirm. The file waits in
//! `storage::staged` between the two, and the confirmation checks it again inside the write:
//! only a plan with the previewed fingerprint is written (the roster import's pattern).

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::import::{self, Plan, Planned};
use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, UploadedFile};
use crate::app::forms::unprocessable;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::{Field, allows};
use crate::auth::{Action, Principal, Resource};
use crate::sheet::RowIssue;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/suggestions/import", get(page).post(upload))
        .route("/console/suggestions/import/confirm", post(confirm))
}

const PATH: &str = "/console/suggestions/import";
const CRUMBS: [(&str, &str); 2] = [("/console/suggestions", "代表建议"), (PATH, "历史建议导入")];
/// `staged_files.purpose` of a sheet waiting for its confirmation.
const STAGED_PURPOSE: &str = "suggestion_import";
/// At most this many rows are listed in a preview (the counts cover all).
const PREVIEW_ROWS: usize = 300;

fn at_organ(p: &Principal) -> Resource<'_> {
    Resource::Draft { organ_path: &p.organ_path, author: 0, co_authors: &[], participants: &[], submitted: true }
}

/// Whether the import is offered (the organ's staff, who 交办).
pub fn may_import(p: &Principal) -> bool {
    allows(p, Action::Change(Field::ItemTriage), &at_organ(p))
}

async fn check(s: &AppState, p: &Principal, ip: &ClientIp) -> AppResult<()> {
    crate::app::guard::check(s, p, ip, Action::Change(Field::ItemTriage), &at_organ(p), "import").await
}

#[derive(Template)]
#[template(path = "suggestions/import.html")]
struct ImportTpl {
    l: Layout,
    year: i64,
    issues: Vec<RowIssue>,
    error: Option<String>,
    file_name: String,
    preview: Option<Preview>,
    max_rows: usize,
}

/// What a checked file will write, shown before anything is.
struct Preview {
    staged: i64,
    fingerprint: String,
    total: usize,
    states: Vec<(&'static str, usize)>,
    rows: Vec<Planned>,
    more: usize,
    /// The records changed since the first preview: this one is fresh, look again.
    refreshed: bool,
}

impl Preview {
    fn new(staged: i64, plan: &Plan, refreshed: bool) -> Preview {
        Preview {
            staged,
            fingerprint: plan.fingerprint(),
            total: plan.rows.len(),
            states: plan.by_state(),
            rows: plan.rows.iter().take(PREVIEW_ROWS).cloned().collect(),
            more: plan.rows.len().saturating_sub(PREVIEW_ROWS),
            refreshed,
        }
    }
}

fn import_tpl(page: &Page, year: i64, issues: Vec<RowIssue>, error: Option<String>, file_name: String) -> ImportTpl {
    ImportTpl {
        l: page.layout("历史建议导入", &CRUMBS),
        year,
        issues,
        error,
        file_name,
        preview: None,
        max_rows: import::MAX_ROWS,
    }
}

async fn page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    render(&import_tpl(&page, import::last_year(crate::db::now()), Vec::new(), None, String::new()))
}

/// The year of rows that do not say, as typed (a year, or empty for last year).
fn year_of(text: &str, now: i64) -> Result<i64, String> {
    match text.trim() {
        "" => Ok(import::last_year(now)),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|y| (1980..=import::last_year(now) + 1).contains(y))
            .ok_or_else(|| "年度应为 2025 这样的年份".to_string()),
    }
}

/// Step one: read and check; every problem at once, or the preview with a confirm button.
/// Nothing is imported yet; the file waits in `staged_files`.
async fn upload(Console { page, p, s, ip }: Console, file: UploadedFile) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let now = crate::db::now();
    let year = match year_of(file.field("year"), now) {
        Ok(y) => y,
        Err(e) => return unprocessable(&import_tpl(&page, import::last_year(now), Vec::new(), Some(e), file.name)),
    };
    let UploadedFile { name, bytes, .. } = file;
    if bytes.is_empty() {
        let error = Some("请选择要导入的 Excel 文件（.xlsx）或 CSV 文件".into());
        return unprocessable(&import_tpl(&page, year, Vec::new(), error, String::new()));
    }
    let organ = crate::org::organ(&s.db, p.organ_id).await?.ok_or(AppError::NotFound)?;
    // Parsed off the async workers, before any transaction opens.
    let parsed = match import::parse_blocking(bytes.clone()).await {
        Ok(parsed) => parsed,
        Err(issues) => return unprocessable(&import_tpl(&page, year, issues, None, name)),
    };
    let plan = match import::plan(&s.db, &organ, &parsed, year).await? {
        Ok(plan) => plan,
        Err(issues) => return unprocessable(&import_tpl(&page, year, issues, None, name)),
    };
    let staged = write(&s, &p, &ip, async |w| {
        Ok(crate::storage::staged::put(w.txn(), p.account_id, STAGED_PURPOSE, &name, &bytes).await?)
    })
    .await?;
    render(&ImportTpl {
        preview: Some(Preview::new(staged, &plan, false)),
        ..import_tpl(&page, year, Vec::new(), None, name)
    })
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    staged: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    plan: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    year: String,
}

enum Confirmed {
    Done(import::Summary),
    Changed(Plan),
    Issues(Vec<RowIssue>),
}

/// Step two: the staged file is read and checked again inside the write transaction and written
/// only if it still comes to the previewed plan; otherwise the fresh preview (or the problems).
async fn confirm(Console { page, p, s, ip }: Console, Form(f): Form<ConfirmForm>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let now = crate::db::now();
    let year = year_of(&f.year, now).unwrap_or_else(|_| import::last_year(now));
    let expired = || {
        unprocessable(&import_tpl(
            &page,
            year,
            Vec::new(),
            Some("这份预览已过期或已经导入，请重新上传文件".into()),
            String::new(),
        ))
    };
    let Some(staged) = crate::storage::staged::get(&s.db, &f.staged, p.account_id, STAGED_PURPOSE).await? else {
        return expired();
    };
    let organ = crate::org::organ(&s.db, p.organ_id).await?.ok_or(AppError::NotFound)?;
    let parsed = match import::parse_blocking(staged.bytes).await {
        Ok(parsed) => parsed,
        Err(issues) => return unprocessable(&import_tpl(&page, year, issues, None, staged.file_name)),
    };
    let file_name = staged.file_name.clone();
    let outcome = write(&s, &p, &ip, async |w| {
        let plan = match import::plan(w.txn(), &organ, &parsed, year).await? {
            Ok(plan) => plan,
            Err(issues) => return Ok(Confirmed::Issues(issues)),
        };
        if plan.fingerprint() != f.plan {
            return Ok(Confirmed::Changed(plan));
        }
        let sum = import::apply(&s, w.txn(), w.key(), w.actor(), &organ, &plan, &file_name, now).await?;
        crate::storage::staged::remove(w.txn(), staged.id).await?;
        Ok(Confirmed::Done(sum))
    })
    .await?;
    match outcome {
        Confirmed::Done(sum) => {
            let states: Vec<String> = sum.states.iter().map(|(l, n)| format!("{l} {n} 件")).collect();
            Ok(redirect_with_flash(
                "/console/suggestions",
                &format!("已导入代表建议 {} 件：{}", sum.imported, states.join("，")),
            ))
        }
        Confirmed::Changed(plan) => render(&ImportTpl {
            preview: Some(Preview::new(staged.id, &plan, true)),
            ..import_tpl(&page, year, Vec::new(), None, staged.file_name)
        }),
        Confirmed::Issues(issues) => unprocessable(&import_tpl(&page, year, issues, None, staged.file_name)),
    }
}
