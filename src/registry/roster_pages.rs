//! The roster import and export pages (REG-8, PLAT-15): template, upload with a row report,
//! the roster download (masked unless asked for in full with the permission).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp};
use crate::app::forms::unprocessable;
use crate::app::guard::actor;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::Action;

use super::structure_pages::check_registry;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/import", get(import_page).post(import_upload))
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
}

fn import_tpl(
    page: &Page,
    issues: Vec<crate::registry::roster::RowIssue>,
    error: Option<String>,
    file_name: String,
) -> ImportTpl {
    ImportTpl {
        l: page.layout("名册导入", &[("/console/registry/import", "名册导入")]), issues, error, file_name
    }
}

async fn import_page(page: Page, Auth(p): Auth, State(s): State<AppState>, ip: ClientIp) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "import").await?;
    render(&import_tpl(&page, Vec::new(), None, String::new()))
}

fn xlsx_download(bytes: Vec<u8>, stem: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, crate::export::content_disposition(stem, "xlsx")),
        ],
        bytes,
    )
        .into_response()
}

async fn import_template(Auth(p): Auth, State(s): State<AppState>, ip: ClientIp) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "import").await?;
    Ok(xlsx_download(crate::registry::roster::template(), "代表名册模板"))
}

#[derive(Deserialize, Default)]
struct RosterQuery {
    /// `full`: with mobiles and birth dates in full (needs the personal-data permission).
    private: Option<String>,
}

/// The roster in the import layout: masked by default; in full only when asked for
/// (「含手机号」) by a role with the personal-data permission. Every download is audited.
async fn roster_download(
    Auth(p): Auth,
    State(s): State<AppState>,
    ip: ClientIp,
    Query(q): Query<RosterQuery>,
) -> AppResult<Response> {
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
        &s.db,
        s.audit_key(),
        &actor(&p, &ip),
        Some(p.organ_id),
        "代表名册",
        rows,
        privacy == Privacy::Full,
    )
    .await?;
    Ok(xlsx_download(bytes, if privacy == Privacy::Full { "代表名册（含个人信息）" } else { "代表名册" }))
}

async fn import_upload(
    page: Page,
    Auth(p): Auth,
    State(s): State<AppState>,
    ip: ClientIp,
    upload: crate::app::extract::UploadedFile,
) -> AppResult<Response> {
    use crate::registry::import::{ImportError, import_roster, parse_roster};
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
    // Parsed off the async workers, before the write transaction opens.
    let rows = match parse_roster(bytes).await {
        Ok(rows) => rows,
        Err(issues) => return unprocessable(&import_tpl(&page, issues, None, name)),
    };
    // Problems found against the database come back as the row report; they are found
    // before anything is written (all or nothing). A database error rolls everything back.
    let result = write(&s, &p, &ip, async |w| {
        let cache = crate::registry::cache(&s);
        w.after_commit(move || cache.nearest.invalidate());
        match import_roster(w.txn(), w.key(), &s.crypto, w.actor(), &organ, &rows).await {
            Ok(sum) => Ok(Ok(sum)),
            Err(ImportError::Rows(issues)) => Ok(Err(issues)),
            Err(ImportError::Db(e)) => Err(e),
        }
    })
    .await?;
    match result {
        Ok(sum) => Ok(redirect_with_flash(
            "/console/registry/deputies",
            &format!("名册已导入：新增 {} 人，更新 {} 人，未变 {} 人", sum.created, sum.updated, sum.unchanged),
        )),
        Err(issues) => unprocessable(&import_tpl(&page, issues, None, name)),
    }
}
