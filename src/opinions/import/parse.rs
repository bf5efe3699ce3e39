//! Reading a file: told apart by content (a zip is an .xlsx, `[` or `{` starts JSON, anything
//! else is a UTF-8 CSV with or without BOM), read by `crate::sheet` within its limits on the
//! blocking pool, then mapped to work orders under a mapping. Nothing is written here.

use calamine::Data;

use super::mapping::{Field, Mapping};
use crate::app::text;
use crate::sheet::{self, Container, Limits, RowIssue};

/// Work orders one file may hold (each is its own write; split larger files).
pub const MAX_ORDERS: usize = 5000;

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
