//! The 12345 import in the console (OPN-14): the organ's saved column mappings (save, edit,
//! delete), one upload form per mapping, the row report of each import (on the page and as
//! .xlsx), the latest imports. Staff and admins of the organ only (`Action::Create` on
//! `Resource::HandlingItem` without a station or deputy: a leader, a unit, a deputy or a
//! keeper is refused).

use askama::Template;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::import::{self, Field, Mapping, MappingInput, Run, StoredLine};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId, Query, UploadedFile};
use crate::app::forms::{allowed, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource};
use crate::sheet::RowIssue;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/opinions/import", get(page).post(upload))
        .route("/console/opinions/import/mappings", post(save_mapping))
        .route("/console/opinions/import/mappings/{id}/remove", post(remove_mapping))
        .route("/console/opinions/import/runs/{id}", get(run_page))
        .route("/console/opinions/import/runs/{id}/report", get(report))
}

const PATH: &str = "/console/opinions/import";
const CRUMBS: [(&str, &str); 2] = [("/console/opinions", "民意办理"), (PATH, "12345 工单导入")];

fn resource(p: &Principal) -> Resource<'_> {
    Resource::HandlingItem {
        organ_path: &p.organ_path,
        units: &[],
        deputy_id: None,
        station_id: None,
        followers: &[],
        signers: &[],
        answering: &[],
    }
}

/// Whether the import is offered to a principal (for the menu).
pub fn may_import(p: &Principal) -> bool {
    allowed(p, Action::Create, &resource(p))
}

async fn check(s: &AppState, p: &Principal, ip: &ClientIp) -> AppResult<()> {
    guard::check(s, p, ip, Action::Create, &resource(p), "import").await
}

/// The mapping form as typed.
#[derive(Deserialize)]
pub struct MappingForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub external_no: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub content: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub category: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name_column: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub area_code: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub area_name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub received_at: String,
}

impl MappingForm {
    fn into_input(self) -> MappingInput {
        MappingInput {
            name: self.name,
            // In the order of `Field::ALL`.
            headers: [
                self.external_no,
                self.content,
                self.title,
                self.category,
                self.phone,
                self.name_column,
                self.area_code,
                self.area_name,
                self.received_at,
            ],
        }
    }
}

/// The form field of a mapped field: its `import_mappings` column, but `name_column` for the
/// name (`name` is the mapping's own).
fn form_key(f: Field) -> &'static str {
    if f == Field::Name { "name_column" } else { f.key() }
}

/// One input of the mapping form.
pub struct FieldInput {
    /// The form field's name.
    pub key: &'static str,
    /// The error's field name (`import::Field::error_key`).
    pub error_key: String,
    pub label: &'static str,
    pub required: bool,
    pub value: String,
}

fn inputs(v: &MappingInput) -> Vec<FieldInput> {
    v.fields()
        .map(|(f, value)| FieldInput {
            key: form_key(f),
            error_key: f.error_key(),
            label: f.label(),
            required: f.required(),
            value: value.to_string(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "opinions/import.html")]
struct ImportTpl {
    l: Layout,
    mappings: Vec<Mapping>,
    runs: Vec<Run>,
    name: String,
    fields: Vec<FieldInput>,
    errors: Errors,
    issues: Vec<RowIssue>,
    file_name: String,
    error: Option<String>,
    max_orders: usize,
}

struct Problems {
    errors: Errors,
    issues: Vec<RowIssue>,
    file_name: String,
    error: Option<String>,
}

async fn import_tpl(
    s: &AppState,
    page: &Page,
    p: &Principal,
    v: Option<MappingInput>,
    x: Problems,
) -> AppResult<ImportTpl> {
    let mappings = import::mappings(&s.db, p.organ_id).await?;
    let v = v.unwrap_or_else(|| if mappings.is_empty() { MappingInput::usual() } else { MappingInput::default() });
    Ok(ImportTpl {
        l: page.layout("12345 工单导入", &CRUMBS),
        runs: import::runs(&s.db, p.organ_id, 20).await?,
        mappings,
        name: v.name.clone(),
        fields: inputs(&v),
        errors: x.errors,
        issues: x.issues,
        file_name: x.file_name,
        error: x.error,
        max_orders: import::MAX_ORDERS,
    })
}

fn no_problems() -> Problems {
    Problems { errors: Errors::default(), issues: Vec::new(), file_name: String::new(), error: None }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    /// A mapping to edit in the form.
    edit: Option<String>,
    /// The mapping an upload is for.
    mapping: Option<String>,
}

fn id_of(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|v| v.trim().parse::<i64>().ok()).filter(|id| *id > 0)
}

/// A mapping of the caller's organ, or 404.
async fn own_mapping(s: &AppState, p: &Principal, id: i64) -> AppResult<Mapping> {
    import::mapping(&s.db, id).await?.filter(|m| m.organ_id == p.organ_id).ok_or(AppError::NotFound)
}

async fn page(Console { page, p, s, ip }: Console, Query(q): Query<PageQuery>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let form = match id_of(&q.edit) {
        Some(id) => Some(MappingInput::of(&own_mapping(&s, &p, id).await?)),
        None => None,
    };
    render(&import_tpl(&s, &page, &p, form, no_problems()).await?)
}

async fn save_mapping(Console { page, p, s, ip }: Console, Form(v): Form<MappingForm>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let input = v.into_input();
    let now = crate::db::now();
    let result =
        write(&s, &p, &ip, async |w| import::save_mapping(w.txn(), w.key(), w.actor(), p.organ_id, &input, now).await)
            .await;
    form_answer(
        result,
        |_| redirect_with_flash(PATH, &format!("导入映射「{}」已保存", input.name.trim())),
        async |errors| {
            let x = Problems { errors, ..no_problems() };
            render(&import_tpl(&s, &page, &p, Some(input.clone()), x).await?)
        },
    )
    .await
}

async fn remove_mapping(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let m = own_mapping(&s, &p, id).await?;
    write(&s, &p, &ip, async |w| import::remove_mapping(w.txn(), w.key(), w.actor(), &m).await).await?;
    Ok(redirect_with_flash(PATH, &format!("导入映射「{}」已删除；用它做过的导入报告仍然保留", m.name)))
}

async fn upload(
    Console { page, p, s, ip }: Console,
    Query(q): Query<PageQuery>,
    file: UploadedFile,
) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let again = async |x: Problems| unprocessable(&import_tpl(&s, &page, &p, None, x).await?);
    let Some(mapping_id) = id_of(&q.mapping) else {
        return again(Problems { error: Some("请先选择导入映射".into()), ..no_problems() }).await;
    };
    let m = own_mapping(&s, &p, mapping_id).await?;
    let UploadedFile { name, bytes, .. } = file;
    if bytes.is_empty() {
        let error = Some("请选择要导入的文件（.xlsx、.csv 或 .json）".into());
        return again(Problems { error, ..no_problems() }).await;
    }
    // Parsed off the async workers, before anything is written.
    let (format, orders) = match import::parse_blocking(bytes, m.clone()).await {
        Ok(x) => x,
        Err(issues) => return again(Problems { issues, file_name: name, ..no_problems() }).await,
    };
    let (run, counts) = import::import(&s, &p, &ip, &m, &name, format, &orders).await?;
    Ok(redirect_with_flash(
        &format!("{PATH}/runs/{run}"),
        &format!(
            "导入完成：新增 {} 件，已存在 {} 件，未导入 {} 件",
            counts.imported, counts.duplicates, counts.refused
        ),
    ))
}

#[derive(Template)]
#[template(path = "opinions/import_run.html")]
struct RunTpl {
    l: Layout,
    run: Run,
    lines: Vec<StoredLine>,
}

/// An import of the caller's organ with the lines of its report, or 404.
async fn own_report(s: &AppState, p: &Principal, ip: &ClientIp, id: i64) -> AppResult<(Run, Vec<StoredLine>)> {
    check(s, p, ip).await?;
    let run = import::run(&s.db, id).await?.filter(|r| r.organ_id == p.organ_id).ok_or(AppError::NotFound)?;
    Ok((run, import::lines(&s.db, id).await?))
}

async fn run_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let (run, lines) = own_report(&s, &p, &ip, id).await?;
    let title = format!("导入报告：{}", run.file_name);
    let href = format!("{PATH}/runs/{id}");
    render(&RunTpl { l: page.layout(&title, &[CRUMBS[0], CRUMBS[1], (&href, "导入报告")]), run, lines })
}

/// The report as .xlsx (row, order number, outcome, tracking number, reason: no personal data).
async fn report(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let (run, lines) = own_report(&s, &p, &ip, id).await?;
    let bytes = crate::export::to_xlsx(&import::report_table(&run, &lines));
    crate::audit::record_export(
        &s.writer,
        s.audit_key(),
        &guard::actor(&p, &ip),
        Some(p.organ_id),
        "12345 导入报告",
        lines.len(),
        false,
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, crate::export::content_disposition(&format!("导入报告{id}"), "xlsx")),
        ],
        bytes,
    )
        .into_response())
}
