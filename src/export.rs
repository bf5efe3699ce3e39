//! 列表导出：每个列表页的「导出 Excel / CSV」共用的表格模型和编码。
//!
//! [`Table`] 是与页面无关的二维表；[`to_xlsx`] 生成带粗体冻结表头、自动筛选和合适列宽的 .xlsx，
//! [`to_csv`] 生成 Excel 能正确识别中文的 UTF-8（带 BOM）CSV，并防范 CSV 公式注入；
//! [`content_disposition`] 生成中文文件名也能正确下载的 `Content-Disposition` 头。

use chrono::{Datelike, NaiveDate};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, IgnoreError, Workbook, XlsxError};

/// A list to export: the title names the sheet, `headers` the columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One value of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Date(NaiveDate),
    /// A rate counted in integers per mille (`750` is 75.0%): written as the number 0.75 in a
    /// percent format, so a spreadsheet sorts and sums it; shown as 「75.0%」 elsewhere.
    PerMille(i64),
    Empty,
}

impl Cell {
    /// A rate per mille, or an empty cell where there is nothing to divide by.
    pub fn per_mille(x: impl std::borrow::Borrow<Option<i64>>) -> Cell {
        x.borrow().map_or(Cell::Empty, Cell::PerMille)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<i64> for Cell {
    fn from(i: i64) -> Cell {
        Cell::Int(i)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// Excel's limit on characters in one cell.
const MAX_CELL_CHARS: usize = 32_767;
/// Excel's last row and column (0-based).
const MAX_ROW: u32 = 1_048_575;
const MAX_COL: u16 = 16_383;
/// Integers beyond this lose precision as Excel numbers, so they are written as text.
const MAX_EXACT_INT: i64 = 1 << 53;
const MIN_WIDTH: f64 = 6.0;
const MAX_WIDTH: f64 = 60.0;

/// Display width in Excel character units: CJK and other wide characters count double.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = matches!(u,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
                | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide { 2 } else { 1 }
        })
        .sum()
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn cell_display(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Date(d) => date_text(*d),
        Cell::PerMille(p) => format!("{}.{}%", p / 10, (p % 10).abs()),
        Cell::Empty => String::new(),
    }
}

/// A worksheet name Excel accepts: no `[]:*?/\`, not starting or ending with `'`, at most 31 characters.
fn sheet_name(title: &str) -> String {
    let name: String = title
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') { '_' } else { c })
        .collect();
    let name: String = name.trim().trim_matches('\'').chars().take(31).collect();
    let name = name.trim().to_string();
    // 「History」 is reserved by Excel.
    if name.is_empty() || name.eq_ignore_ascii_case("history") { "Sheet1".to_string() } else { name }
}

fn clamp_text(s: &str) -> String {
    if s.len() <= MAX_CELL_CHARS { s.to_string() } else { s.chars().take(MAX_CELL_CHARS).collect() }
}

fn build_xlsx(t: &Table) -> Result<Vec<u8>, XlsxError> {
    build_book(std::slice::from_ref(t))
}

fn build_book(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let mut names: Vec<String> = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let mut name = sheet_name(&t.title);
        if names.contains(&name) {
            name = format!("{}{}", name.chars().take(28).collect::<String>(), i + 1);
        }
        names.push(name.clone());
        write_sheet(wb.add_worksheet().set_name(name)?, t)?;
    }
    wb.save_to_buffer()
}

fn write_sheet(ws: &mut rust_xlsxwriter::Worksheet, t: &Table) -> Result<(), XlsxError> {
    let header_fmt = Format::new().set_bold().set_border(FormatBorder::Thin);
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let text_fmt = Format::new().set_num_format("@");
    let percent_fmt = Format::new().set_num_format("0.0%");

    let ncols = t.headers.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0)).min(usize::from(MAX_COL) + 1);
    let mut widths: Vec<usize> = vec![0; ncols];
    for (j, h) in t.headers.iter().take(ncols).enumerate() {
        ws.write_string_with_format(0, j as u16, clamp_text(h), &header_fmt)?;
        widths[j] = display_width(h) + 2; // room for the autofilter button
    }

    let mut last_row = 0u32;
    for (i, row) in t.rows.iter().enumerate() {
        let Ok(r) = u32::try_from(i + 1) else { break };
        if r > MAX_ROW {
            break;
        }
        last_row = r;
        for (j, cell) in row.iter().take(ncols).enumerate() {
            let c = j as u16;
            match cell {
                Cell::Empty => {}
                // Always a string cell: ID-card and phone numbers keep every digit and their leading zeros.
                Cell::Text(s) if !s.is_empty() => {
                    ws.write_string_with_format(r, c, clamp_text(s), &text_fmt)?;
                }
                Cell::Text(_) => {}
                Cell::Int(n) if n.unsigned_abs() <= MAX_EXACT_INT as u64 => {
                    ws.write_number(r, c, *n as f64)?;
                }
                Cell::Int(n) => {
                    ws.write_string_with_format(r, c, n.to_string(), &text_fmt)?;
                }
                Cell::PerMille(p) => {
                    ws.write_number_with_format(r, c, *p as f64 / 1000.0, &percent_fmt)?;
                }
                Cell::Date(d) => {
                    let xd = u16::try_from(d.year())
                        .ok()
                        .filter(|y| (1900..=9999).contains(y))
                        .and_then(|y| ExcelDateTime::from_ymd(y, d.month() as u8, d.day() as u8).ok());
                    match xd {
                        Some(xd) => ws.write_datetime_with_format(r, c, &xd, &date_fmt)?,
                        None => ws.write_string_with_format(r, c, date_text(*d), &text_fmt)?,
                    };
                }
            }
            widths[j] = widths[j].max(display_width(&cell_display(cell)));
        }
    }

    for (j, w) in widths.iter().enumerate() {
        ws.set_column_width(j as u16, (*w as f64 + 1.0).clamp(MIN_WIDTH, MAX_WIDTH))?;
    }
    if ncols > 0 {
        let last_col = (ncols - 1) as u16;
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, last_row, last_col)?;
        if last_row > 0 {
            ws.ignore_error_range(1, 0, last_row, last_col, IgnoreError::NumberStoredAsText)?;
        }
    }
    Ok(())
}

/// The table as an .xlsx workbook: bold frozen header row with autofilter, widths fitted to the content
/// (CJK characters count double), dates as Excel dates, and every text cell stored as text so long
/// numbers such as ID-card or phone numbers are not mangled. Rows beyond Excel's limit are dropped and
/// over-long texts truncated to Excel's 32,767 characters.
pub fn to_xlsx(t: &Table) -> Vec<u8> {
    // All input is clamped to Excel's limits above, so writing cannot fail.
    build_xlsx(t).expect("export workbook within Excel limits")
}

/// Several tables as one workbook, a sheet each (in order; a repeated sheet name gets a number).
pub fn to_xlsx_book(tables: &[Table]) -> Vec<u8> {
    build_book(tables).expect("export workbook within Excel limits")
}

/// Characters that make a spreadsheet treat a cell as a formula.
fn is_formula_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

fn push_csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn push_csv_record(out: &mut String, fields: impl Iterator<Item = String>) {
    for (j, f) in fields.enumerate() {
        if j > 0 {
            out.push(',');
        }
        push_csv_field(out, &f);
    }
    out.push_str("\r\n");
}

/// Text for a CSV field; texts that a spreadsheet would run as a formula get a leading `'`.
fn csv_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) if s.starts_with(is_formula_trigger) => format!("'{s}"),
        other => cell_display(other),
    }
}

/// The table as CSV: UTF-8 with BOM (so Excel shows Chinese correctly), RFC 4180 quoting, CRLF line ends.
/// Header and text cells starting with `=` `+` `-` `@` (or tab / CR) get a leading `'` against formula
/// injection; numbers and dates are written as is.
pub fn to_csv(t: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    push_csv_record(&mut out, t.headers.iter().map(|h| csv_text(&Cell::Text(h.clone()))));
    for row in &t.rows {
        push_csv_record(&mut out, row.iter().map(csv_text));
    }
    out.into_bytes()
}

/// RFC 5987 `attr-char`: everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition` for a download named `{file_stem}.{ext}`, e.g. 「代表名册.xlsx」:
/// `attachment; filename="export.xlsx"; filename*=UTF-8''%E4%BB%A3...`. The plain `filename` is an ASCII
/// fallback (the stem itself when it is plain ASCII, otherwise `export`). Path separators, quotes and
/// control characters are removed from the name.
pub fn content_disposition(file_stem: &str, ext: &str) -> String {
    let stem: String = file_stem
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"' | ':' | '*' | '?' | '<' | '>' | '|'))
        .collect();
    let stem = stem.trim().trim_matches('.');
    let stem = if stem.is_empty() { "export" } else { stem };
    let ext: String = ext.chars().filter(char::is_ascii_alphanumeric).take(10).collect();
    let ext = if ext.is_empty() { "bin".to_string() } else { ext.to_ascii_lowercase() };
    let ascii_ok = stem.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    let fallback = if ascii_ok { stem } else { "export" };
    let full = format!("{stem}.{ext}");
    format!("attachment; filename=\"{fallback}.{ext}\"; filename*=UTF-8''{}", utf8_percent_encode(&full, ATTR_CHAR))
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;

    fn sample() -> Table {
        Table {
            title: "代表名单".to_string(),
            headers: vec!["姓名".into(), "编号".into(), "出生日期".into(), "身份证号".into(), "备注".into()],
            rows: vec![
                vec![
                    Cell::Text("张伟".into()),
                    Cell::Int(42),
                    Cell::Date(NaiveDate::from_ymd_opt(1975, 3, 8).unwrap()),
                    Cell::Text("110101197503080011".into()),
                    Cell::Text("说\"好\"的,\n第二行".into()),
                ],
                vec![Cell::Text("=HYPERLINK(\"x\")".into()), Cell::Empty, Cell::Empty, Cell::Text("0012".into())],
                vec![Cell::Text("-1+2".into()), Cell::Int(-7), Cell::Empty, Cell::Empty, Cell::Text("@SUM".into())],
            ],
        }
    }

    #[test]
    fn csv_has_bom_crlf_and_quotes() {
        let csv = String::from_utf8(to_csv(&sample())).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        let body = csv.trim_start_matches('\u{feff}');
        assert_eq!(
            body,
            "姓名,编号,出生日期,身份证号,备注\r\n\
             张伟,42,1975-03-08,110101197503080011,\"说\"\"好\"\"的,\n第二行\"\r\n\
             \"'=HYPERLINK(\"\"x\"\")\",,,0012\r\n\
             '-1+2,-7,,,'@SUM\r\n"
        );
    }

    #[test]
    fn csv_injection_guard() {
        for (input, want) in [
            ("=1+1", "'=1+1"),
            ("+86 138", "'+86 138"),
            ("-5", "'-5"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(csv_text(&Cell::Text(input.into())), want, "{input:?}");
        }
        assert_eq!(csv_text(&Cell::Int(-5)), "-5");
        let t = Table { title: String::new(), headers: vec!["=x".into()], rows: vec![] };
        assert_eq!(to_csv(&t), "\u{feff}'=x\r\n".as_bytes());
    }

    fn read_back(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<Data>>) {
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let names = wb.sheet_names();
        let range = wb.worksheet_range(&names[0]).unwrap();
        (names, range.rows().map(<[Data]>::to_vec).collect())
    }

    fn as_cell(d: &Data) -> Cell {
        match d {
            Data::Empty => Cell::Empty,
            Data::String(s) => Cell::Text(s.clone()),
            Data::Float(f) => Cell::Int(*f as i64),
            Data::Int(i) => Cell::Int(*i),
            Data::DateTime(dt) => {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                Cell::Date(NaiveDate::from_ymd_opt(y.into(), m.into(), d.into()).unwrap())
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn xlsx_reads_back_the_same_cells() {
        let t = sample();
        let (names, rows) = read_back(to_xlsx(&t));
        assert_eq!(names, ["代表名单"]);
        let headers: Vec<Cell> = rows[0].iter().map(as_cell).collect();
        assert_eq!(headers, t.headers.iter().map(|h| Cell::Text(h.clone())).collect::<Vec<_>>());
        assert_eq!(rows.len(), t.rows.len() + 1);
        for (got, want) in rows[1..].iter().zip(&t.rows) {
            let mut want = want.clone();
            want.resize(t.headers.len(), Cell::Empty);
            assert_eq!(got.iter().map(as_cell).collect::<Vec<_>>(), want);
        }
        // Long digit strings stay strings.
        assert_eq!(rows[1][3], Data::String("110101197503080011".into()));
        assert_eq!(rows[2][3], Data::String("0012".into()));
    }

    #[test]
    fn xlsx_edge_cases() {
        let t = Table {
            title: "a/b:c*d?[e]'".repeat(5),
            headers: vec![],
            rows: vec![vec![Cell::Int(i64::MAX), Cell::Date(NaiveDate::from_ymd_opt(1850, 1, 1).unwrap())]],
        };
        let (names, rows) = read_back(to_xlsx(&t));
        assert!(names[0].chars().count() <= 31 && !names[0].contains(['/', ':', '*', '?', '[', ']']));
        assert_eq!(rows[0][0], Data::String(i64::MAX.to_string()));
        assert_eq!(rows[0][1], Data::String("1850-01-01".into()));

        let empty = Table { title: String::new(), headers: vec![], rows: vec![] };
        let (names, _) = read_back(to_xlsx(&empty));
        assert_eq!(names, ["Sheet1"]);
    }

    #[test]
    fn widths_count_cjk_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("代表"), 4);
        assert_eq!(display_width("A１"), 3);
    }

    #[test]
    fn content_disposition_encodes_chinese() {
        assert_eq!(
            content_disposition("代表名册", "xlsx"),
            "attachment; filename=\"export.xlsx\"; filename*=UTF-8''%E4%BB%A3%E8%A1%A8%E5%90%8D%E5%86%8C.xlsx"
        );
        assert_eq!(
            content_disposition("stations-2025", "csv"),
            "attachment; filename=\"stations-2025.csv\"; filename*=UTF-8''stations-2025.csv"
        );
        let evil = content_disposition("../a\"b\r\nSet-Cookie: x", "x\"lsx");
        assert!(!evil.contains(['\r', '\n']) && !evil.contains("../"));
        assert_eq!(evil.matches('"').count(), 2);
        assert!(content_disposition("", "").starts_with("attachment; filename=\"export.bin\""));
        assert!(content_disposition("a b", "csv").ends_with("UTF-8''a%20b.csv"));
    }
}
