//! The roster import and export pages (REG-8, PLAT-15): template, upload with a row report,
//! the roster download (masked unless asked for in full with the permission).

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::app::error::{AppError, AppResult};
use crate::app::extract::Form;
use crate::app::forms::unprocessable;
use crate::app::guard::actor;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::Action;
use crate::registry::import::{self, ImportSummary, Plan, RowEffect, parse_roster};

use super::console::check_registry;
use crate::app::caller::{Caller, Console};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/import", get(import_page).post(import_upload))
        .route("/console/registry/import/confirm", axum::routing::post(import_confirm))
        .route("/console/registry/import/template", get(import_template))
        .route("/console/registry/import/roster", get(roster_download))
}

// ------------------------------------------------------------------ roster import (REG-8)

#[derive(Template)]
#[template(path = "registry/import.html")]
struct ImportTpl {
    l: Layout,
    issues: Vec<crate::registry::roster::RowIssue>,
    error: Option<String>,
    file_name: String,
    preview: Option<Preview>,
}

/// What a checked file will do, shown before anything is written.
struct Preview {
    staged: i64,
    fingerprint: String,
    summary: ImportSummary,
    /// New and changed rows, at most [`PREVIEW_ROWS`].
    rows: Vec<PreviewRow>,
    /// New and changed rows not listed.
    more: usize,
    /// The database changed since the first preview: this one is fresh, look again.
    refreshed: bool,
}

struct PreviewRow {
    row: u32,
    id: String,
    name: String,
    new: bool,
    what: String,
}

/// At most this many rows are listed in a preview (the counts cover all).
const PREVIEW_ROWS: usize = 300;

/// `staged_files.purpose` of a roster waiting for its confirmation.
const STAGED_PURPOSE: &str = "roster_import";

impl Preview {
    fn new(staged: i64, plan: &Plan, refreshed: bool) -> Self {
        let mut listed = plan.rows.iter().filter(|r| r.effect != RowEffect::Unchanged);
        let rows = listed
            .by_ref()
            .take(PREVIEW_ROWS)
            .map(|r| PreviewRow {
                row: r.row,
                id: r.id.map(|i| i.to_string()).unwrap_or_default(),
                name: r.name.clone(),
                new: r.effect == RowEffect::New,
                what: match &r.effect {
                    RowEffect::Changed(what) => what.join("、"),
                    _ => String::new(),
                },
            })
            .collect();
        Preview {
            staged,
            fingerprint: plan.fingerprint(),
            summary: plan.summary(),
            rows,
            more: listed.count(),
            refreshed,
        }
    }
}

fn import_tpl(
    page: &Page,
    issues: Vec<crate::registry::roster::RowIssue>,
    error: Option<String>,
    file_name: String,
) -> ImportTpl {
    ImportTpl {
        l: page.layout("名册导入", &[("/console/registry/import", "名册导入")]),
        issues,
        error,
        file_name,
        preview: None,
    }
}

async fn import_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "import").await?;
    render(&import_tpl(&page, Vec::new(), None, String::new()))
}

async fn import_template(Caller { p, s, ip }: Caller) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "import").await?;
    Ok(crate::app::listing::xlsx(crate::registry::roster::template(), "代表名册模板"))
}

#[derive(Deserialize, Default)]
struct RosterQuery {
    /// `full`: with mobiles and birth dates in full (needs the personal-data permission).
    private: Option<String>,
}

/// The roster in the import layout: masked by default; in full only when asked for
/// (「含手机号」) by a role with the personal-data permission. Every download is audited.
async fn roster_download(Caller { p, s, ip }: Caller, Query(q): Query<RosterQuery>) -> AppResult<Response> {
    use crate::registry::import::{Privacy, export_roster};
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "roster").await?;
    let privacy = match q.private.as_deref() {
        None | Some("") => Privacy::Masked,
        Some("full") => Privacy::Full,
        Some(_) => return Err(AppError::BadRequest("private 参数只能是 full".into())),
    };
    if privacy == Privacy::Full {
        check_registry(&s, &p, &ip, Action::ExportPersonal, &p.organ_path, "roster").await?;
    }
    let (bytes, rows) = export_roster(&s.db, &s.crypto, &p.organ_path, privacy).await?;
    crate::audit::record_export(
        &s.writer,
        s.audit_key(),
        &actor(&p, &ip),
        Some(p.organ_id),
        "代表名册",
        rows,
        privacy == Privacy::Full,
    )
    .await?;
    Ok(crate::app::listing::xlsx(bytes, if privacy == Privacy::Full { "代表名册（含个人信息）" } else { "代表名册" }))
}

/// Step one: the file is read and checked against the database; every problem of it comes back
/// at once, or — when there is none — a preview of the new, changed and unchanged rows with a
/// button that confirms it. Nothing is imported yet; the file waits in `staged_files`.
async fn import_upload(
    Console { page, p, s, ip }: Console,
    upload: crate::app::extract::UploadedFile,
) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "import").await?;
    let crate::app::extract::UploadedFile { name, bytes, .. } = upload;
    if bytes.is_empty() {
        return unprocessable(&import_tpl(
            &page,
            Vec::new(),
            Some("请选择要导入的 Excel 文件（.xlsx）".into()),
            String::new(),
        ));
    }
    let organ = crate::org::organ(&s.db, p.organ_id).await?.ok_or(AppError::NotFound)?;
    // Parsed off the async workers, before any transaction opens.
    let parsed = match parse_roster(bytes.clone()).await {
        Ok(parsed) => parsed,
        Err(issues) => return unprocessable(&import_tpl(&page, issues, None, name)),
    };
    let plan = match import::check(&s.db, &s.crypto, &organ, &parsed).await? {
        Ok(plan) => plan,
        Err(issues) => return unprocessable(&import_tpl(&page, issues, None, name)),
    };
    let staged = write(&s, &p, &ip, async |w| {
        Ok(crate::storage::staged::put(w.txn(), p.account_id, STAGED_PURPOSE, &name, &bytes).await?)
    })
    .await?;
    render(&ImportTpl {
        preview: Some(Preview::new(staged, &plan, false)),
        ..import_tpl(&page, Vec::new(), None, name)
    })
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    staged: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    plan: String,
}

/// What the confirmation came to.
enum Confirmed {
    Done(ImportSummary),
    /// The database changed since the preview: the file would now do something else.
    Changed(Plan),
    Issues(Vec<crate::registry::roster::RowIssue>),
}

/// Step two: the previewed file is checked again inside the write transaction and applied only
/// if it still does what the preview showed; otherwise the fresh preview is shown.
async fn import_confirm(Console { page, p, s, ip }: Console, Form(f): Form<ConfirmForm>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "import").await?;
    let expired = || {
        unprocessable(&import_tpl(
            &page,
            Vec::new(),
            Some("这份预览已过期或已经导入，请重新上传文件".into()),
            String::new(),
        ))
    };
    let Some(staged) = crate::storage::staged::get(&s.db, &f.staged, p.account_id, STAGED_PURPOSE).await? else {
        return expired();
    };
    let organ = crate::org::organ(&s.db, p.organ_id).await?.ok_or(AppError::NotFound)?;
    let parsed = match parse_roster(staged.bytes).await {
        Ok(parsed) => parsed,
        Err(issues) => return unprocessable(&import_tpl(&page, issues, None, staged.file_name)),
    };
    let outcome = write(&s, &p, &ip, async |w| {
        let plan = match import::check(w.txn(), &s.crypto, &organ, &parsed).await? {
            Ok(plan) => plan,
            Err(issues) => return Ok(Confirmed::Issues(issues)),
        };
        if plan.fingerprint() != f.plan {
            return Ok(Confirmed::Changed(plan));
        }
        let cache = crate::registry::cache(&s);
        w.after_commit(move || cache.nearest.invalidate());
        let sum = import::apply(w.txn(), w.key(), &s.crypto, w.actor(), &organ, &plan).await?;
        crate::storage::staged::remove(w.txn(), staged.id).await?;
        Ok(Confirmed::Done(sum))
    })
    .await?;
    match outcome {
        Confirmed::Done(sum) => Ok(redirect_with_flash(
            "/console/registry/deputies",
            &format!("名册已导入：新增 {} 人，更新 {} 人，未变 {} 人", sum.created, sum.updated, sum.unchanged),
        )),
        Confirmed::Changed(plan) => render(&ImportTpl {
            preview: Some(Preview::new(staged.id, &plan, true)),
            ..import_tpl(&page, Vec::new(), None, staged.file_name)
        }),
        Confirmed::Issues(issues) => unprocessable(&import_tpl(&page, issues, None, staged.file_name)),
    }
}
