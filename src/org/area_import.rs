//! Area list import (REG-1, PLAT-15): a .csv (UTF-8) or .xlsx file with the columns 区划代码,
//! 名称, 级别, 上级区划代码 and, optionally, 纬度 and 经度. The whole file is checked first —
//! every problem reported with row, column and reason — and only a clean file is applied, in
//! the caller's transaction. A code already registered is renamed (and its coordinates
//! updated) when the file says so; it never changes level or parent.

use std::collections::HashMap;

use calamine::Data;
use sea_orm::{ConnectionTrait, DbErr};

use super::AreaLevel;
use crate::audit::{Actor, Change};
use crate::base::error::AppError;
use crate::db;
use crate::sheet::RowIssue;
use crate::sheet::{self, Container, Limits};

pub const COL_CODE: &str = "区划代码";
pub const COL_NAME: &str = "名称";
pub const COL_LEVEL: &str = "级别";
pub const COL_PARENT: &str = "上级区划代码";
pub const COL_LAT: &str = "纬度";
pub const COL_LNG: &str = "经度";
/// The columns in template order.
pub const COLUMNS: [&str; 6] = [COL_CODE, COL_NAME, COL_LEVEL, COL_PARENT, COL_LAT, COL_LNG];

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AreaImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug)]
pub enum AreaImportError {
    /// The file has problems; nothing was written.
    Rows(Vec<RowIssue>),
    Db(AppError),
}

impl From<DbErr> for AreaImportError {
    fn from(e: DbErr) -> Self {
        AreaImportError::Db(e.into())
    }
}

/// One data row as read, every cell as text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AreaRow {
    /// Row number as the spreadsheet shows it (the header is row 1 when it is the first row).
    pub row: u32,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: String,
    pub lat: String,
    pub lng: String,
}

fn issue(row: u32, column: &str, reason: impl Into<String>) -> RowIssue {
    RowIssue { row, column: column.into(), reason: reason.into() }
}

/// `省级` → `province` …; the keys themselves and a few everyday spellings are accepted too.
pub fn parse_level(text: &str) -> Option<&'static str> {
    AreaLevel::parse(text).map(AreaLevel::as_str)
}

fn level_rank(level: &str) -> Option<AreaLevel> {
    AreaLevel::parse(level)
}

fn level_label(level: &str) -> &'static str {
    AreaLevel::parse(level).map_or("", AreaLevel::label)
}

// ------------------------------------------------------------------ reading the file

/// Name of the data sheet in the template, preferred when importing.
pub const SHEET_NAME: &str = "行政区划";

/// Reads a .xlsx (the sheet 「行政区划」, else the first) or a UTF-8 .csv, told apart by
/// content, within the limits of [`crate::sheet`]. CPU work: async callers use
/// [`parse_blocking`].
pub fn parse(bytes: &[u8]) -> Result<Vec<AreaRow>, Vec<RowIssue>> {
    parse_with(bytes, &Limits::default())
}

/// Like [`parse`], with explicit limits.
pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Vec<AreaRow>, Vec<RowIssue>> {
    let table = match sheet::sniff(bytes) {
        Container::Zip | Container::Cfb => read_xlsx(bytes, limits)?,
        Container::Other => read_csv(bytes, limits)?,
    };
    rows_of(table)
}

/// [`parse`] on the blocking pool; call it before opening the write transaction.
pub async fn parse_blocking(bytes: Vec<u8>) -> Result<Vec<AreaRow>, Vec<RowIssue>> {
    sheet::run_blocking(move || parse(&bytes)).await.map_err(|e| vec![e.into()])?
}

fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<(u32, Vec<String>)>, Vec<RowIssue>> {
    let range = sheet::read_with(bytes, Some(SHEET_NAME), limits).map_err(|e| vec![e.into()])?.range;
    let Some((start_row, _)) = range.start() else { return Ok(Vec::new()) };
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| (start_row + i as u32 + 1, cells.iter().map(cell_text).collect()))
        .collect())
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// A UTF-8 CSV through the one bounded reader ([`sheet::read_csv`]).
fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Vec<(u32, Vec<String>)>, Vec<RowIssue>> {
    sheet::read_csv(bytes, limits).map_err(|e| vec![e])
}

/// Finds the header (the first non-blank row) and turns the rows below it into `AreaRow`s.
fn rows_of(table: Vec<(u32, Vec<String>)>) -> Result<Vec<AreaRow>, Vec<RowIssue>> {
    let blank = |cells: &[String]| cells.iter().all(|c| c.trim().is_empty());
    let mut it = table.into_iter().filter(|(_, cells)| !blank(cells));
    let Some((header_row, header)) = it.next() else {
        return Err(vec![issue(0, "", "文件中没有区划数据")]);
    };
    let col = |name: &str| header.iter().position(|h| h.trim().trim_start_matches('\u{feff}') == name);
    let mut missing = Vec::new();
    for required in [COL_CODE, COL_NAME, COL_LEVEL, COL_PARENT] {
        if col(required).is_none() {
            missing.push(issue(
                header_row,
                required,
                format!("表头缺少“{required}”列（表头应为：{}）", COLUMNS.join("、")),
            ));
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    let (code, name, level, parent) =
        (col(COL_CODE).unwrap(), col(COL_NAME).unwrap(), col(COL_LEVEL).unwrap(), col(COL_PARENT).unwrap());
    let (lat, lng) = (col(COL_LAT), col(COL_LNG));
    let get = |cells: &[String], i: Option<usize>| {
        i.and_then(|i| cells.get(i)).map(|s| s.trim().to_string()).unwrap_or_default()
    };
    let rows: Vec<AreaRow> = it
        .map(|(row, cells)| AreaRow {
            row,
            code: get(&cells, Some(code)),
            name: get(&cells, Some(name)),
            level: get(&cells, Some(level)),
            parent_code: get(&cells, Some(parent)),
            lat: get(&cells, lat),
            lng: get(&cells, lng),
        })
        .collect();
    if rows.is_empty() {
        return Err(vec![issue(0, "", "文件中只有表头，没有区划数据")]);
    }
    Ok(rows)
}

// ------------------------------------------------------------------ checking and applying

/// An area already registered, as the import compares against it.
struct Known {
    id: i64,
    name: String,
    level: String,
    parent_code: Option<String>,
    path: String,
    lat: Option<f64>,
    lng: Option<f64>,
}

/// A row that passed every check.
struct Checked {
    code: String,
    name: String,
    level: &'static str,
    parent_code: Option<String>,
    coords: Option<(f64, f64)>,
}

fn parse_coords(r: &AreaRow, issues: &mut Vec<RowIssue>) -> Option<(f64, f64)> {
    match (r.lat.is_empty(), r.lng.is_empty()) {
        (true, true) => return None,
        (false, true) => {
            issues.push(issue(r.row, COL_LNG, "纬度和经度须同时填写"));
            return None;
        }
        (true, false) => {
            issues.push(issue(r.row, COL_LAT, "纬度和经度须同时填写"));
            return None;
        }
        _ => {}
    }
    let lat = r.lat.parse::<f64>().ok().filter(|v| v.is_finite() && (-90.0..=90.0).contains(v));
    let lng = r.lng.parse::<f64>().ok().filter(|v| v.is_finite() && (-180.0..=180.0).contains(v));
    if lat.is_none() {
        issues.push(issue(r.row, COL_LAT, format!("纬度「{}」应为 -90 至 90 之间的数字，例如 35.995654", r.lat)));
    }
    if lng.is_none() {
        issues.push(issue(r.row, COL_LNG, format!("经度「{}」应为 -180 至 180 之间的数字，例如 119.410103", r.lng)));
    }
    Some((lat?, lng?))
}

async fn known_areas<C: ConnectionTrait>(c: &C) -> Result<HashMap<String, Known>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.id, a.code, a.name, a.level, p.code, a.path, a.lat, a.lng FROM areas a \
         LEFT JOIN areas p ON p.id = a.parent_id",
        vec![],
    )
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        out.insert(
            r.try_get_by_index::<String>(1)?,
            Known {
                id: r.try_get_by_index(0)?,
                name: r.try_get_by_index(2)?,
                level: r.try_get_by_index(3)?,
                parent_code: r.try_get_by_index(4)?,
                path: r.try_get_by_index(5)?,
                lat: r.try_get_by_index(6)?,
                lng: r.try_get_by_index(7)?,
            },
        );
    }
    Ok(out)
}

/// Checks every row against the file and the registered areas; all problems, row by row.
fn check(rows: &[AreaRow], known: &HashMap<String, Known>) -> Result<Vec<Checked>, Vec<RowIssue>> {
    let mut issues = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    // Codes seen so far in the file: code → (row, level), for duplicates and parents.
    let mut seen: HashMap<String, (u32, Option<&'static str>)> = HashMap::new();
    for r in rows {
        let before = issues.len();
        let code_ok = (6..=12).contains(&r.code.len()) && r.code.bytes().all(|b| b.is_ascii_digit());
        if !code_ok {
            issues.push(issue(
                r.row,
                COL_CODE,
                if r.code.is_empty() {
                    "区划代码不能为空".to_string()
                } else {
                    format!("区划代码「{}」应为 6 至 12 位数字，例如 370782 或 370782001000", r.code)
                },
            ));
        }
        let n = r.name.chars().count();
        if n == 0 || n > 60 {
            issues.push(issue(r.row, COL_NAME, "名称不能为空，且不超过 60 个字"));
        }
        if let Err(e) = crate::base::text::check(&r.name, false) {
            issues.push(issue(r.row, COL_NAME, format!("名称{}", e.message())));
        }
        let level = parse_level(&r.level);
        if level.is_none() {
            issues.push(issue(
                r.row,
                COL_LEVEL,
                if r.level.is_empty() {
                    "级别不能为空，应为 省级、市级、县级、乡镇（街道）或 村（社区）".to_string()
                } else {
                    format!("级别「{}」无法识别，应为 省级、市级、县级、乡镇（街道）或 村（社区）", r.level)
                },
            ));
        }
        if code_ok && let Some((first, _)) = seen.get(&r.code) {
            issues.push(issue(r.row, COL_CODE, format!("区划代码 {} 与第 {first} 行重复", r.code)));
        }
        // The parent: registered already, or a row above this one.
        let parent = r.parent_code.trim();
        let parent_level: Option<Option<&str>> = if parent.is_empty() {
            None
        } else if parent == r.code {
            issues.push(issue(r.row, COL_PARENT, "上级区划代码不能是本区划自己的代码"));
            None
        } else if let Some((_, lvl)) = seen.get(parent) {
            Some(*lvl)
        } else if let Some(k) = known.get(parent) {
            Some(Some(k.level.as_str()))
        } else {
            issues.push(issue(
                r.row,
                COL_PARENT,
                format!("上级区划代码 {parent} 不存在：既未登记，也不在本文件前面的行中"),
            ));
            None
        };
        if let (Some(Some(pl)), Some(l)) = (parent_level, level)
            && level_rank(l) <= level_rank(pl)
        {
            issues.push(issue(
                r.row,
                COL_LEVEL,
                format!("级别（{}）应低于上级区划的级别（{}）", level_label(l), level_label(pl)),
            ));
        }
        let coords = parse_coords(r, &mut issues);
        // A registered code keeps its level and parent.
        if let (true, Some(k), Some(l)) = (code_ok, known.get(&r.code), level) {
            if k.level != l {
                issues.push(issue(
                    r.row,
                    COL_LEVEL,
                    format!("区划代码 {} 已登记为{}，导入不能改变级别", r.code, level_label(&k.level)),
                ));
            }
            let new_parent = (!parent.is_empty()).then(|| parent.to_string());
            if k.parent_code != new_parent {
                issues.push(issue(
                    r.row,
                    COL_PARENT,
                    format!(
                        "区划代码 {} 已登记在上级 {} 之下，导入不能改变上级区划",
                        r.code,
                        k.parent_code.as_deref().unwrap_or("（无）")
                    ),
                ));
            }
        }
        if code_ok {
            seen.entry(r.code.clone()).or_insert((r.row, level));
        }
        if issues.len() == before
            && let Some(level) = level
        {
            out.push(Checked {
                code: r.code.clone(),
                name: r.name.trim().to_string(),
                level,
                parent_code: (!parent.is_empty()).then(|| parent.to_string()),
                coords,
            });
        }
    }
    if issues.is_empty() { Ok(out) } else { Err(issues) }
}

fn same_coord(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Imports parsed area rows ([`parse_blocking`] or [`parse`], before the transaction): checks
/// them against the registered areas, then applies them. All or nothing: on any problem the
/// report lists every one and nothing is written. Each created or changed area gets its own
/// audit entry, and the import one more with the counts.
pub async fn import_areas<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    rows: &[AreaRow],
) -> Result<AreaImportSummary, AreaImportError> {
    let mut known = known_areas(c).await?;
    let checked = check(rows, &known).map_err(AreaImportError::Rows)?;
    let mut summary = AreaImportSummary::default();
    let now = db::now();
    for row in checked {
        if let Some(k) = known.get(&row.code) {
            let mut changes = Vec::new();
            if k.name != row.name {
                changes.push(format!("名称：{} → {}", k.name, row.name));
            }
            let new_coords = row.coords.filter(|(lat, lng)| !(same_coord(k.lat, *lat) && same_coord(k.lng, *lng)));
            if let Some((lat, lng)) = new_coords {
                changes.push(format!("坐标：{lat}, {lng}"));
            }
            if changes.is_empty() {
                summary.unchanged += 1;
                continue;
            }
            let (lat, lng) = row.coords.map(|(a, b)| (Some(a), Some(b))).unwrap_or((k.lat, k.lng));
            db::exec(
                c,
                "UPDATE areas SET name = $1, lat = $2, lng = $3 WHERE id = $4",
                vec![row.name.clone().into(), lat.into(), lng.into(), k.id.into()],
            )
            .await?;
            Change::audited("area_update", "area", k.id, format!("导入：{}", changes.join("；")))
                .append(c, key, actor)
                .await?;
            summary.updated += 1;
            continue;
        }
        let parent = row.parent_code.as_ref().and_then(|p| known.get(p)).map(|p| (p.id, p.path.clone()));
        let (lat, lng) = row.coords.map(|(a, b)| (Some(a), Some(b))).unwrap_or((None, None));
        let id = db::insert_id(
            c,
            "INSERT INTO areas (code, name, parent_id, level, path, lat, lng, created_at) \
             VALUES ($1, $2, $3, $4, '', $5, $6, $7)",
            vec![
                row.code.clone().into(),
                row.name.clone().into(),
                parent.as_ref().map(|p| p.0).into(),
                row.level.into(),
                lat.into(),
                lng.into(),
                now.into(),
            ],
        )
        .await?;
        let path = format!("{}{id}/", parent.map(|p| p.1).unwrap_or_else(|| "/".into()));
        db::exec(c, "UPDATE areas SET path = $1 WHERE id = $2", vec![path.clone().into(), id.into()]).await?;
        Change::audited("area_create", "area", id, format!("导入新建区划 {} {}", row.code, row.name))
            .append(c, key, actor)
            .await?;
        known.insert(
            row.code.clone(),
            Known { id, name: row.name, level: row.level.to_string(), parent_code: row.parent_code, path, lat, lng },
        );
        summary.created += 1;
    }
    Change::audited(
        "area_import",
        "area",
        "import",
        format!("导入区划：新增 {} 个，更新 {} 个，未变 {} 个", summary.created, summary.updated, summary.unchanged),
    )
    .append(c, key, actor)
    .await?;
    Ok(summary)
}

/// The import template: the header and two example rows, as .xlsx.
pub fn template() -> Vec<u8> {
    use crate::export::{Cell, Table, to_xlsx};
    let row = |cells: [&str; 6]| {
        cells.iter().map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text(c.to_string()) }).collect()
    };
    to_xlsx(&Table {
        title: SHEET_NAME.into(),
        headers: COLUMNS.iter().map(|c| c.to_string()).collect(),
        rows: vec![
            row(["370782", "诸城市", "县级", "370700", "35.995654", "119.410103"]),
            row(["370782001000", "密州街道", "乡镇（街道）", "370782", "", ""]),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reading() {
        let l = Limits::default();
        let t = read_csv("\u{feff}a,b\r\n\"x, \"\"y\"\"\",2\n\n3,\"多\n行\"".as_bytes(), &l).unwrap();
        assert_eq!(t[0], (1, vec!["a".to_string(), "b".to_string()]));
        assert_eq!(t[1], (2, vec!["x, \"y\"".to_string(), "2".to_string()]));
        assert_eq!(t[2], (3, vec![String::new()]));
        assert_eq!(t[3], (4, vec!["3".to_string(), "多\n行".to_string()]));
        assert!(read_csv(b"a,\"b", &l).is_err());
        assert!(read_csv(&[0xff, 0xfe, 0x00], &l).is_err());
    }

    #[test]
    fn csv_is_bounded() {
        let l = Limits { max_rows: 3, max_cols: 4, ..Limits::default() };
        assert_eq!(read_csv(b"a,b,c,d\n1,2,3,4\n5,6,7,8\n", &l).unwrap().len(), 3);
        let e = read_csv(b"a\nb\nc\nd\n", &l).unwrap_err();
        assert_eq!(e[0].row, 4);
        assert!(e[0].reason.contains("最多 3 行、4 列"), "{e:?}");
        assert_eq!(read_csv(b"a,b,c,d,e\n", &l).unwrap_err()[0].row, 1);
        // Millions of commas make one refused record, not millions of strings.
        let commas = vec![b','; 1_000_000];
        assert!(read_csv(&commas, &Limits::default()).is_err());
        let l = Limits { max_file_bytes: 10, ..Limits::default() };
        assert!(read_csv(b"0123456789a", &l).unwrap_err()[0].reason.contains("超过了可导入的上限"));
    }

    #[test]
    fn spreadsheets_go_through_the_sheet_reader() {
        let cfb = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0];
        assert!(parse(&cfb).unwrap_err()[0].reason.contains(".xls"));
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, COL_CODE).unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let e = parse(&wb.save_to_buffer().unwrap()).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].reason.contains("XFD1048576"), "{e:?}");
        let rows = parse(&template()).unwrap();
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn levels() {
        assert_eq!(parse_level("乡镇（街道）"), Some("township"));
        assert_eq!(parse_level("乡镇(街道)"), Some("township"));
        assert_eq!(parse_level("村（社区）"), Some("community"));
        assert_eq!(parse_level("县级"), Some("county"));
        assert_eq!(parse_level("county"), Some("county"));
        assert_eq!(parse_level("区"), None);
    }
}
