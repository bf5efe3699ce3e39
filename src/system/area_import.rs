//! The area import page (REG-1, PLAT-15): template download and a multipart upload of a .xlsx
//! or .csv area list, applied all or nothing with a row-by-row report. Admin only (creating
//! areas is an admin action on `Resource::Area`).

use askama::Template;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::caller::{Caller, Console};
use crate::app::error::AppResult;
use crate::app::extract::ClientIp;
use crate::app::forms::unprocessable;
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Principal, Resource};
use crate::org::area_import::{self, AreaImportError};
use crate::sheet::RowIssue;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/admin/areas/import", get(import_page).post(upload))
        .route("/console/admin/areas/import/template", get(template))
}

#[derive(Template)]
#[template(path = "admin/area_import.html")]
struct ImportTpl {
    l: Layout,
    issues: Vec<RowIssue>,
    error: Option<String>,
    file_name: String,
}

fn tpl(page: &Page, issues: Vec<RowIssue>, error: Option<String>, file_name: String) -> ImportTpl {
    ImportTpl {
        l: page.layout(
            "导入行政区划",
            &[("/console/admin/areas", "行政区划"), ("/console/admin/areas/import", "导入区划")],
        ),
        issues,
        error,
        file_name,
    }
}

/// A file may name any area of the country, so importing areas is for the admin of the
/// installation's top organ (areas outside every organ's area belong to it).
async fn check(s: &AppState, p: &Principal, ip: &ClientIp) -> AppResult<()> {
    let root = crate::org::area_owner_path(&s.db, 0).await?;
    guard::check(s, p, ip, Action::Create, &Resource::Area { organ_path: &root }, "import").await
}

async fn import_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    render(&tpl(&page, Vec::new(), None, String::new()))
}

async fn template(Caller { p, s, ip }: Caller) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, crate::export::content_disposition("行政区划模板", "xlsx")),
        ],
        area_import::template(),
    )
        .into_response())
}

async fn upload(Console { page, p, s, ip }: Console, upload: crate::app::extract::UploadedFile) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let crate::app::extract::UploadedFile { name, bytes, .. } = upload;
    if bytes.is_empty() {
        return unprocessable(&tpl(
            &page,
            Vec::new(),
            Some("请选择要导入的 Excel（.xlsx）或 CSV 文件".into()),
            String::new(),
        ));
    }
    // Parsed off the async workers, before the write transaction opens.
    let rows = match area_import::parse_blocking(bytes).await {
        Ok(rows) => rows,
        Err(issues) => return unprocessable(&tpl(&page, issues, None, name)),
    };
    // Problems found against the database come back as the row report before anything is
    // written (all or nothing); a database error rolls everything back.
    let result =
        write(&s, &p, &ip, async |w| match area_import::import_areas(w.txn(), w.key(), w.actor(), &rows).await {
            Ok(sum) => Ok(Ok(sum)),
            Err(AreaImportError::Rows(issues)) => Ok(Err(issues)),
            Err(AreaImportError::Db(e)) => Err(e),
        })
        .await?;
    match result {
        Ok(sum) => Ok(redirect_with_flash(
            "/console/admin/areas",
            &format!("区划已导入：新增 {} 个，更新 {} 个，未变 {} 个", sum.created, sum.updated, sum.unchanged),
        )),
        Err(issues) => unprocessable(&tpl(&page, issues, None, name)),
    }
}
