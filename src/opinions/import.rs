//! 12345 / 即诉即办 work orders in (OPN-14): .xlsx, .csv and .json files read through a saved
//! column mapping, one opinion per work order through `service::submit` (channel `hotline`,
//! the order number as `external_no`), with a row report.
//!
//! - **Mappings.** Staff of an organ save a mapping once — a name, and for each field the
//!   header of the file's column that holds it (工单编号 and 诉求内容 required) — and choose it
//!   for every later file. Headers are compared loosely: spaces (also full-width), `*`, a
//!   trailing colon, letter case and full-width letters do not matter.
//! - **Reading.** The file is told apart by content (a zip is an .xlsx, `[` or `{` starts JSON,
//!   anything else is a UTF-8 CSV with or without BOM) and read by `crate::sheet` with its hard
//!   limits, on the blocking pool, before anything is written; at most [`MAX_ORDERS`] orders.
//!   Cells Excel has already damaged (a long number turned into a float) are reported.
//! - **Writing.** Each order is its own audited write: a refused row never half-writes and
//!   never stops the others. An order number already on file (or earlier in the same file)
//!   is reported as 已存在 and nothing is written, so importing the same file again is a
//!   no-op. Rows are refused with the row number (the record number for JSON) and the Chinese
//!   reason; lenient cases are imported with a note (a category outside the taxonomy is left
//!   for triage, an unknown area is left empty, a landline number is not kept).
//! - **Report.** The import and each row's outcome are stored (`import_runs`,
//!   `import_run_rows`: row, order number, outcome, opinion, reason — no names or phones),
//!   shown on the console and downloadable as .xlsx.
//!
//! The name and phone of a work order are the citizen's, given to the government's hotline;
//! the import carries them over for the same matter (`consent`), never publishes (`allow_public`
//! off) and sends the SMS receipt as every channel does.

use std::collections::HashMap;

use calamine::Data;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::model::{self, Channel};
use super::service::{self, Submission};
use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::extract::ClientIp;
use crate::app::state::AppState;
use crate::app::text;
use crate::app::write::write;
use crate::audit::{self, Actor, Change};
use crate::auth::Principal;
use crate::db;
use crate::sheet::{self, Container, Limits, RowIssue};

/// Work orders one file may hold (each is its own write; split larger files).
pub const MAX_ORDERS: usize = 5000;
/// Longest mapping name and header text.
pub const MAX_NAME: usize = 30;
pub const MAX_HEADER: usize = 50;

/// A field of a work order that a mapping can name a column for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    ExternalNo,
    Content,
    Title,
    Category,
    Phone,
    Name,
    AreaCode,
    AreaName,
    ReceivedAt,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::ExternalNo,
        Field::Content,
        Field::Title,
        Field::Category,
        Field::Phone,
        Field::Name,
        Field::AreaCode,
        Field::AreaName,
        Field::ReceivedAt,
    ];
    /// The form field and the column of `import_mappings`.
    pub fn key(self) -> &'static str {
        match self {
            Field::ExternalNo => "external_no",
            Field::Content => "content",
            Field::Title => "title",
            Field::Category => "category",
            Field::Phone => "phone",
            Field::Name => "name",
            Field::AreaCode => "area_code",
            Field::AreaName => "area_name",
            Field::ReceivedAt => "received_at",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Field::ExternalNo => "工单编号",
            Field::Content => "诉求内容",
            Field::Title => "标题",
            Field::Category => "类别",
            Field::Phone => "联系电话",
            Field::Name => "姓名",
            Field::AreaCode => "区划代码",
            Field::AreaName => "区划名称",
            Field::ReceivedAt => "受理时间",
        }
    }
    /// The field name of its errors (`col_…`, apart from the mapping's own `name`).
    pub fn error_key(self) -> String {
        format!("col_{}", self.key())
    }
    pub fn required(self) -> bool {
        matches!(self, Field::ExternalNo | Field::Content)
    }
    /// The header a 12345 export usually gives the field (the form's suggestion).
    pub fn usual_header(self) -> &'static str {
        match self {
            Field::ExternalNo => "工单编号",
            Field::Content => "诉求内容",
            Field::Title => "诉求标题",
            Field::Category => "诉求类别",
            Field::Phone => "联系电话",
            Field::Name => "诉求人",
            Field::AreaCode => "",
            Field::AreaName => "所属区域",
            Field::ReceivedAt => "受理时间",
        }
    }
}

/// A saved mapping: for each field, the header of its column (empty: not in the file).
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Mapping {
    pub id: i64,
    pub organ_id: i64,
    pub name: String,
    pub col_external_no: String,
    pub col_content: String,
    pub col_title: String,
    pub col_category: String,
    pub col_phone: String,
    pub col_name: String,
    pub col_area_code: String,
    pub col_area_name: String,
    pub col_received_at: String,
    pub updated_at: i64,
}

impl Mapping {
    pub fn header(&self, f: Field) -> &str {
        match f {
            Field::ExternalNo => &self.col_external_no,
            Field::Content => &self.col_content,
            Field::Title => &self.col_title,
            Field::Category => &self.col_category,
            Field::Phone => &self.col_phone,
            Field::Name => &self.col_name,
            Field::AreaCode => &self.col_area_code,
            Field::AreaName => &self.col_area_name,
            Field::ReceivedAt => &self.col_received_at,
        }
    }
    /// 「工单编号 ← 编号；诉求内容 ← 内容 …」 for the list.
    pub fn summary(&self) -> String {
        Field::ALL
            .iter()
            .filter(|f| !self.header(**f).is_empty())
            .map(|f| format!("{}←「{}」", f.label(), self.header(*f)))
            .collect::<Vec<_>>()
            .join("，")
    }
}

const MAPPING_COLS: &str = "id, organ_id, name, col_external_no, col_content, col_title, col_category, col_phone, \
     col_name, col_area_code, col_area_name, col_received_at, updated_at";

/// The mappings of an organ, by name.
pub async fn mappings<C: ConnectionTrait>(c: &C, organ_id: i64) -> Result<Vec<Mapping>, DbErr> {
    db::query_all(
        c,
        &format!("SELECT {MAPPING_COLS} FROM import_mappings WHERE organ_id = $1 ORDER BY name"),
        vec![organ_id.into()],
    )
    .await
}

pub async fn mapping<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Mapping>, DbErr> {
    db::query_one(c, &format!("SELECT {MAPPING_COLS} FROM import_mappings WHERE id = $1"), vec![id.into()]).await
}

/// A mapping as typed: its name and one header per field, in the order of [`Field::ALL`].
#[derive(Clone, Debug, Default)]
pub struct MappingInput {
    pub name: String,
    pub headers: [String; 9],
}

/// Checks a mapping, every field at once.
pub fn validate_mapping(m: &MappingInput) -> AppResult<()> {
    let mut errors = Vec::new();
    let name = m.name.trim();
    if name.is_empty() {
        errors.push(FieldError {
            field: "name".into(), message: "请给这个映射起个名字，如“市12345热线”".into()
        });
    } else if name.chars().count() > MAX_NAME {
        errors.push(FieldError { field: "name".into(), message: format!("名称不能超过 {MAX_NAME} 字") });
    }
    for (f, header) in Field::ALL.iter().zip(&m.headers) {
        let h = header.trim();
        if f.required() && h.is_empty() {
            errors
                .push(FieldError {
                    field: f.error_key(), message: format!("请填写文件中“{}”所在列的表头", f.label())
                });
        } else if h.chars().count() > MAX_HEADER {
            errors.push(FieldError { field: f.error_key(), message: format!("表头不能超过 {MAX_HEADER} 字") });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let detail = errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；");
        Err(AppError::Invalid { detail, fields: errors })
    }
}

/// Saves a mapping of an organ; a mapping of the same name is replaced. Audited.
pub async fn save_mapping<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    m: &MappingInput,
    now: i64,
) -> AppResult<i64> {
    validate_mapping(m)?;
    let name = m.name.trim().to_string();
    let headers: Vec<sea_orm::Value> = m.headers.iter().map(|h| h.trim().to_string().into()).collect();
    let existing = db::query_rows(
        c,
        "SELECT id FROM import_mappings WHERE organ_id = $1 AND name = $2",
        vec![organ_id.into(), name.clone().into()],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index::<i64>(0).ok());
    let id = match existing {
        Some(id) => {
            let mut values = headers;
            values.push(now.into());
            values.push(id.into());
            db::exec(
                c,
                "UPDATE import_mappings SET col_external_no = $1, col_content = $2, col_title = $3, col_category = $4, \
                 col_phone = $5, col_name = $6, col_area_code = $7, col_area_name = $8, col_received_at = $9, \
                 updated_at = $10 WHERE id = $11",
                values,
            )
            .await?;
            id
        }
        None => {
            let mut values: Vec<sea_orm::Value> = vec![organ_id.into(), name.clone().into()];
            values.extend(headers);
            values.push(actor.account_id.into());
            values.push(now.into());
            values.push(now.into());
            db::insert_id(
                c,
                "INSERT INTO import_mappings (organ_id, name, col_external_no, col_content, col_title, col_category, \
                 col_phone, col_name, col_area_code, col_area_name, col_received_at, created_by_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                values,
            )
            .await?
        }
    };
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "opinion_import_mapping",
            target_type: "import_mapping",
            target_id: id.to_string(),
            organ_id: Some(organ_id),
            summary: format!("{}导入映射「{name}」", if existing.is_some() { "修改" } else { "保存" }),
        },
    )
    .await?;
    Ok(id)
}

/// Deletes a mapping (its imports keep their reports). Audited.
pub async fn remove_mapping<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, m: &Mapping) -> AppResult<()> {
    db::exec(c, "DELETE FROM import_mappings WHERE id = $1", vec![m.id.into()]).await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "opinion_import_mapping_remove",
            target_type: "import_mapping",
            target_id: m.id.to_string(),
            organ_id: Some(m.organ_id),
            summary: format!("删除导入映射「{}」", m.name),
        },
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ reading the file

/// How the file was told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// A file as a table: its non-blank rows with their row (record) numbers, and for JSON the
/// header (its keys); a spreadsheet's header is found among its first rows by the mapping.
/// `damaged` lists cells (row number, column) that Excel already changed.
#[derive(Debug, Default)]
pub struct Table {
    pub header: Option<Vec<String>>,
    pub rows: Vec<(u32, Vec<String>)>,
    pub damaged: Vec<(u32, usize)>,
}

/// Rows above the header that a file may have (a title, an export date …).
pub const MAX_ROWS_ABOVE_HEADER: usize = 20;

/// A header as compared: no spaces (also full-width), no `*` or trailing colon, half-width,
/// lower case.
pub fn header_key(h: &str) -> String {
    crate::app::fmt::halfwidth(h)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '\u{feff}'))
        .collect::<String>()
        .trim_end_matches([':', '：'])
        .to_lowercase()
}

fn blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

fn table_of(rows: Vec<(u32, Vec<String>)>, damaged: Vec<(u32, usize)>) -> Result<Table, RowIssue> {
    let rows: Vec<_> = rows.into_iter().filter(|(_, cells)| !blank(cells)).collect();
    if rows.is_empty() {
        return Err(RowIssue::file("文件中没有数据"));
    }
    Ok(Table { header: None, rows, damaged })
}

/// A cell as text; `None` when Excel already damaged the number it held (15 or more digits
/// typed into a cell that was not text).
fn cell_text(d: &Data) -> Option<String> {
    Some(match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) if f.is_finite() && f.abs() >= 1e15 => return None,
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
    })
}

fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Table, RowIssue> {
    let range = sheet::read_with(bytes, None, limits).map_err(|e| RowIssue::file(e.message()))?.range;
    let Some((start_row, start_col)) = range.start() else { return Err(RowIssue::file("文件中没有数据")) };
    let mut damaged = Vec::new();
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let row = start_row + i as u32 + 1;
            // Columns count from A, so a sheet starting at column C keeps its columns apart.
            let mut out = vec![String::new(); start_col as usize];
            for (j, d) in cells.iter().enumerate() {
                match cell_text(d) {
                    Some(t) => out.push(t),
                    None => {
                        damaged.push((row, start_col as usize + j));
                        out.push(d.to_string());
                    }
                }
            }
            (row, out)
        })
        .collect();
    table_of(rows, damaged)
}

/// Reads a file as a table, told apart by content, within the limits. CPU work: async callers
/// use [`parse_blocking`].
pub fn read_table(bytes: &[u8], limits: &Limits) -> Result<(Format, Table), RowIssue> {
    match sheet::sniff(bytes) {
        Container::Zip | Container::Cfb => Ok((Format::Xlsx, read_xlsx(bytes, limits)?)),
        Container::Other => {
            let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
            let first = body.iter().find(|b| !b.is_ascii_whitespace());
            if matches!(first, Some(b'[' | b'{')) {
                let (header, rows) = sheet::read_json(bytes, limits)?;
                Ok((Format::Json, Table { header: Some(header), rows, damaged: Vec::new() }))
            } else {
                Ok((Format::Csv, table_of(sheet::read_csv(bytes, limits)?, Vec::new())?))
            }
        }
    }
}

/// One work order as read, before it is written.
#[derive(Clone, Debug, Default)]
pub struct WorkOrder {
    /// Row number (record number for JSON).
    pub row: u32,
    pub external_no: String,
    pub content: String,
    pub title: String,
    pub category: String,
    pub phone: String,
    pub name: String,
    pub area_code: String,
    pub area_name: String,
    pub received_at: String,
    /// Why the row cannot be imported, found while reading.
    pub refusal: Option<String>,
}

/// A mapped field with the header it names (what is missing).
type Missing = Vec<(Field, String)>;

/// The mapped fields' columns in a header, or the headers it lacks.
fn columns(header: &[String], m: &Mapping) -> Result<Vec<(Field, usize)>, Missing> {
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for f in Field::ALL {
        let h = m.header(f).trim();
        if h.is_empty() {
            continue;
        }
        match keys.iter().position(|k| *k == header_key(h)) {
            Some(i) => found.push((f, i)),
            None => missing.push((f, h.to_string())),
        }
    }
    if missing.is_empty() { Ok(found) } else { Err(missing) }
}

/// The work orders of a table under a mapping. The header is the first of the first rows
/// that holds every mapped column; without one, the file is refused naming the columns the
/// first row lacks.
pub fn orders(table: &Table, m: &Mapping) -> Result<Vec<WorkOrder>, Vec<RowIssue>> {
    let (header, below): (&[String], &[(u32, Vec<String>)]) = match &table.header {
        Some(h) => (h, &table.rows),
        None => {
            let at = table.rows.iter().take(MAX_ROWS_ABOVE_HEADER).position(|(_, cells)| columns(cells, m).is_ok());
            match at {
                Some(i) => (&table.rows[i].1, &table.rows[i + 1..]),
                None => (table.rows.first().map(|(_, c)| c.as_slice()).unwrap_or(&[]), &[]),
            }
        }
    };
    let columns = columns(header, m).map_err(|missing| {
        let shown: Vec<&str> = header.iter().map(|h| h.trim()).filter(|h| !h.is_empty()).collect();
        missing
            .into_iter()
            .map(|(f, h)| {
                RowIssue::new(
                    0,
                    h.clone(),
                    format!(
                        "文件中没有“{h}”列（映射「{}」的{}）；文件的表头是：{}",
                        m.name,
                        f.label(),
                        shown.join("、")
                    ),
                )
            })
            .collect::<Vec<_>>()
    })?;
    let data: Vec<&(u32, Vec<String>)> = below.iter().filter(|(_, cells)| !blank(cells)).collect();
    if data.is_empty() {
        return Err(vec![RowIssue::file("文件中只有表头，没有工单")]);
    }
    if data.len() > MAX_ORDERS {
        return Err(vec![RowIssue::file(format!(
            "文件中有 {} 条工单，一次最多导入 {MAX_ORDERS} 条；请把数据分成几个文件后再导入",
            data.len()
        ))]);
    }
    Ok(data
        .into_iter()
        .map(|(row, cells)| {
            let mut o = WorkOrder { row: *row, ..Default::default() };
            for (f, i) in &columns {
                let value = cells.get(*i).map(|v| v.trim().to_string()).unwrap_or_default();
                if table.damaged.contains(&(*row, *i)) && o.refusal.is_none() {
                    o.refusal = Some(format!(
                        "“{}”列的数字已被 Excel 改成科学计数法或截断（{value}），请把该列设为“文本”后重新导出",
                        m.header(*f)
                    ));
                }
                if let Err(e) = text::check(&value, *f == Field::Content)
                    && o.refusal.is_none()
                {
                    o.refusal = Some(format!("“{}”{}", m.header(*f), e.message()));
                }
                let slot = match f {
                    Field::ExternalNo => &mut o.external_no,
                    Field::Content => &mut o.content,
                    Field::Title => &mut o.title,
                    Field::Category => &mut o.category,
                    Field::Phone => &mut o.phone,
                    Field::Name => &mut o.name,
                    Field::AreaCode => &mut o.area_code,
                    Field::AreaName => &mut o.area_name,
                    Field::ReceivedAt => &mut o.received_at,
                };
                *slot = value;
            }
            o
        })
        .collect())
}

/// Reads and maps a file on the blocking pool; call it before any write.
pub async fn parse_blocking(bytes: Vec<u8>, m: Mapping) -> Result<(Format, Vec<WorkOrder>), Vec<RowIssue>> {
    sheet::run_blocking(move || {
        let (format, table) = read_table(&bytes, &Limits::default()).map_err(|e| vec![e])?;
        Ok((format, orders(&table, &m)?))
    })
    .await
    .map_err(|e| vec![RowIssue::file(e.message())])?
}

/// 受理时间 as 12345 systems write it: `2026-05-01 08:30:00`, `2026/5/1 8:30`, with a `T`
/// or an offset, or a date alone (its start), Beijing time.
pub fn received_time(text: &str) -> Option<i64> {
    let t = crate::app::fmt::halfwidth(text).trim().replace('/', "-").replace('T', " ");
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(&text.trim().replace(' ', "T")) {
        return Some(d.timestamp());
    }
    let tz = chrono::FixedOffset::east_opt(8 * 3600)?;
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(&t, f) {
            return d.and_local_timezone(tz).single().map(|d| d.timestamp());
        }
    }
    let day = crate::app::fmt::parse_date(&t)?;
    day.and_hms_opt(0, 0, 0)?.and_local_timezone(tz).single().map(|d| d.timestamp())
}

// ------------------------------------------------------------------ importing

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

/// One line of the report.
#[derive(Clone, Debug)]
pub struct Line {
    pub row: u32,
    pub external_no: String,
    pub outcome: Outcome,
    pub opinion_id: Option<i64>,
    pub reason: String,
}

/// The areas by code and by name (a name that several areas share is ambiguous), and the
/// category taxonomy the orders' categories are matched against.
struct Areas {
    codes: std::collections::HashSet<String>,
    by_name: HashMap<String, Vec<String>>,
    taxonomy: model::Taxonomy,
}

async fn areas<C: ConnectionTrait>(c: &C) -> Result<Areas, DbErr> {
    let all = crate::org::areas_all(c).await?;
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    for a in &all {
        by_name.entry(a.name.clone()).or_default().push(a.code.clone());
    }
    let taxonomy = model::load_taxonomy(c).await?;
    Ok(Areas { codes: all.into_iter().map(|a| a.code).collect(), by_name, taxonomy })
}

/// An order as a submission, with the notes of what was left out; `Err` is the refusal.
fn submission(o: &WorkOrder, areas: &Areas, now: i64) -> Result<(Submission, i64, Vec<String>), String> {
    if let Some(r) = &o.refusal {
        return Err(r.clone());
    }
    if o.external_no.is_empty() {
        return Err("工单编号为空".into());
    }
    if o.external_no.chars().count() > 64 {
        return Err("工单编号超过 64 个字符".into());
    }
    if o.content.is_empty() {
        return Err("诉求内容为空".into());
    }
    let mut notes = Vec::new();
    let category = if o.category.is_empty() {
        String::new()
    } else if areas.taxonomy.accepts(&o.category) {
        o.category.clone()
    } else if let Some(c) = areas.taxonomy.by_code(&o.category).filter(|c| areas.taxonomy.accepts(c)) {
        c.to_string()
    } else {
        notes.push(format!("类别“{}”不在本系统的分类中，留待受理时确定", o.category));
        String::new()
    };
    let area_code = if !o.area_code.is_empty() {
        if areas.codes.contains(&o.area_code) {
            Some(o.area_code.clone())
        } else {
            notes.push(format!("没有区划代码“{}”，未设置区划", o.area_code));
            None
        }
    } else if !o.area_name.is_empty() {
        match areas.by_name.get(&o.area_name).map(Vec::as_slice) {
            Some([code]) => Some(code.clone()),
            Some(_) => {
                notes.push(format!("有多个名为“{}”的区划，未设置区划", o.area_name));
                None
            }
            None => {
                notes.push(format!("没有名为“{}”的区划，未设置区划", o.area_name));
                None
            }
        }
    } else {
        None
    };
    let mut phone = service::normalise_phone(&o.phone);
    if !phone.is_empty() && !service::is_mobile(&phone) {
        notes.push("联系电话不是手机号，未保存（短信无法送达）".into());
        phone.clear();
    }
    let mut title = o.title.clone();
    if title.chars().count() > service::MAX_TITLE {
        title = title.chars().take(service::MAX_TITLE).collect();
        notes.push(format!("标题超过 {} 字，已截断", service::MAX_TITLE));
    }
    let at = if o.received_at.is_empty() {
        now
    } else {
        match received_time(&o.received_at) {
            Some(t) if t <= now + 60 => t,
            Some(_) => return Err(format!("受理时间“{}”晚于现在", o.received_at)),
            None => {
                return Err(format!("受理时间“{}”无法识别，应为 2026-05-01 08:30 这样的格式", o.received_at));
            }
        }
    };
    Ok((
        Submission {
            channel: Some(Channel::Hotline),
            station_id: None,
            deputy_id: None,
            area_code,
            category,
            title,
            content: o.content.clone(),
            name: o.name.clone(),
            phone,
            allow_public: false,
            anonymous: true,
            consent: true,
            external_no: Some(o.external_no.clone()),
        },
        at,
        notes,
    ))
}

/// The opinion already holding an order number in an organ.
async fn existing<C: ConnectionTrait>(c: &C, organ_id: i64, external_no: &str) -> Result<Option<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT id, tracking_no FROM opinions WHERE organ_id = $1 AND external_no = $2",
        vec![organ_id.into(), external_no.into()],
    )
    .await?;
    Ok(rows.first().and_then(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?))))
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub imported: i64,
    pub duplicates: i64,
    pub refused: i64,
}

/// Imports the work orders of one file: each its own audited write, then the report (one
/// more write). Returns the import's id. A database failure stops the import (what was
/// imported stays and is reported 已存在 when the file is imported again).
pub async fn import(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    m: &Mapping,
    file_name: &str,
    format: Format,
    orders: &[WorkOrder],
) -> AppResult<(i64, Counts)> {
    // Orders without a station or deputy belong to the installation's organ (as `submit`
    // places them): order numbers are unique there.
    let organ = crate::org::default_organ(&s.db).await?.ok_or_else(|| AppError::Conflict("系统尚未设置机关".into()))?;
    let areas = areas(&s.db).await?;
    let mut lines = Vec::with_capacity(orders.len());
    let mut seen: HashMap<String, u32> = HashMap::new();
    for o in orders {
        let line = |outcome, opinion_id, reason: String| Line {
            row: o.row,
            external_no: o.external_no.clone(),
            outcome,
            opinion_id,
            reason,
        };
        let now = db::now();
        let (sub, at, notes) = match submission(o, &areas, now) {
            Ok(x) => x,
            Err(reason) => {
                lines.push(line(Outcome::Refused, None, reason));
                continue;
            }
        };
        if let Some(first) = seen.get(&o.external_no) {
            lines.push(line(Outcome::Duplicate, None, format!("与本文件第 {first} 行的工单编号相同")));
            continue;
        }
        seen.insert(o.external_no.clone(), o.row);
        if let Some((id, no)) = existing(&s.db, organ.id, &o.external_no).await? {
            lines.push(line(Outcome::Duplicate, Some(id), format!("已导入过（查询编号 {no}）")));
            continue;
        }
        let result = write(s, p, ip, async |w| {
            service::submit_with_limits(
                w.txn(),
                w.key(),
                &s.crypto,
                &crate::notify::Limits::of(&s.config),
                w.actor(),
                &sub,
                &service::Source { channel: Channel::Hotline, entered_by: Some(p.account_id), client: &ip.0, now: at },
            )
            .await
        })
        .await;
        match result {
            Ok(r) => {
                let mut reason = format!("查询编号 {}", r.tracking_no);
                if r.held {
                    reason.push_str("（含需审核的词语，待审核）");
                }
                for n in notes {
                    reason.push('；');
                    reason.push_str(&n);
                }
                lines.push(line(Outcome::Imported, Some(r.opinion_id), reason));
            }
            Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
                // Another import of the same order may have committed first.
                match existing(&s.db, organ.id, &o.external_no).await? {
                    Some((id, no)) => {
                        lines.push(line(Outcome::Duplicate, Some(id), format!("已导入过（查询编号 {no}）")))
                    }
                    None => lines.push(line(Outcome::Refused, None, e.detail())),
                }
            }
            Err(e) => return Err(e),
        }
    }
    let counts = Counts {
        imported: lines.iter().filter(|l| l.outcome == Outcome::Imported).count() as i64,
        duplicates: lines.iter().filter(|l| l.outcome == Outcome::Duplicate).count() as i64,
        refused: lines.iter().filter(|l| l.outcome == Outcome::Refused).count() as i64,
    };
    let file_name: String = file_name.chars().take(200).collect();
    let run = write(s, p, ip, async |w| {
        let run = db::insert_id(
            w.txn(),
            "INSERT INTO import_runs (organ_id, mapping_id, mapping_name, account_id, file_name, format, imported, \
             duplicates, refused, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                p.organ_id.into(),
                m.id.into(),
                m.name.clone().into(),
                p.account_id.into(),
                file_name.clone().into(),
                format.as_str().into(),
                counts.imported.into(),
                counts.duplicates.into(),
                counts.refused.into(),
                db::now().into(),
            ],
        )
        .await?;
        for l in &lines {
            db::exec(
                w.txn(),
                "INSERT INTO import_run_rows (run_id, row_no, external_no, outcome, opinion_id, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    run.into(),
                    i64::from(l.row).into(),
                    l.external_no.clone().into(),
                    l.outcome.as_str().into(),
                    l.opinion_id.into(),
                    l.reason.clone().into(),
                ],
            )
            .await?;
        }
        audit::append(
            w.txn(),
            w.key(),
            w.actor(),
            Change {
                action: "opinion_import",
                target_type: "import_run",
                target_id: run.to_string(),
                organ_id: Some(p.organ_id),
                summary: format!(
                    "导入 12345 工单（{}）：新增 {}，已存在 {}，未导入 {}",
                    format.as_str(),
                    counts.imported,
                    counts.duplicates,
                    counts.refused
                ),
            },
        )
        .await?;
        Ok(run)
    })
    .await?;
    Ok((run, counts))
}

// ------------------------------------------------------------------ reports

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_compare_loosely() {
        assert_eq!(header_key(" 工单 编号 *："), "工单编号");
        assert_eq!(header_key("\u{feff}ＩＤ"), "id");
        assert_eq!(header_key("诉求　内容:"), "诉求内容");
    }

    #[test]
    fn received_times_as_hotlines_write_them() {
        let t = received_time("2026-05-01 08:30:00").unwrap();
        assert_eq!(crate::app::fmt::datetime(t), "2026-05-01 08:30");
        assert_eq!(received_time("2026/5/1 8:30"), Some(t));
        assert_eq!(received_time("2026-05-01T08:30:00+08:00"), Some(t));
        assert_eq!(crate::app::fmt::datetime(received_time("2026年5月1日").unwrap()), "2026-05-01 00:00");
        assert_eq!(received_time("昨天"), None);
    }

    #[test]
    fn json_csv_and_xlsx_read_as_one_table() {
        let limits = Limits::default();
        let (f, t) = read_table("\u{feff}编号,内容\r\n1,\"a,b\"\r\n".as_bytes(), &limits).unwrap();
        assert_eq!(f, Format::Csv);
        assert_eq!(t.header, None);
        assert_eq!(t.rows[1], (2, vec!["1".to_string(), "a,b".to_string()]));
        let (f, t) =
            read_table(r#"{"total": 1, "data": [{"编号": 12, "内容": "x", "空": null}]}"#.as_bytes(), &limits).unwrap();
        assert_eq!(f, Format::Json);
        assert_eq!(t.header.unwrap(), ["编号", "内容", "空"]);
        assert_eq!(t.rows, [(1, vec!["12".to_string(), "x".to_string(), String::new()])]);
        let e = read_table(r#"[{"编号": {"a": 1}}]"#.as_bytes(), &limits).unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (1, "编号"));
        let small = Limits { max_rows: 2, ..Limits::default() };
        let e = read_table(br#"[{"a": 1}, {"a": 2}, {"a": 3}]"#, &small).unwrap_err();
        assert!(e.reason.contains("最多 2 条"), "{e:?}");
        assert!(read_table(br#"[{"a": 1}, {"a": 2}]"#, &small).is_ok());
        let e = read_table(b"[1, 2]", &limits).unwrap_err();
        assert!(e.reason.contains("对象"), "{e:?}");
        let e = read_table(b"[{\"a\": 1}", &limits).unwrap_err();
        assert!(e.reason.contains("JSON 格式错误"), "{e:?}");
    }
}
