//! 代表名册 Excel 导入导出：把县乡人大工作人员手里的名册表格（.xlsx）解析成结构化的代表数据，
//! 并按同一版式写回。纯函数，不接触数据库；镇街、联络站名称的解析和入库由导入方负责。
//!
//! 版式：工作表「代表名册」，第 1 行是表头，第 2 行起每行一位代表（一人一行，各级代表身份横向展开）。
//! 解析时尽量宽容（列顺序任意、表头带「*」或「（必填）」、日期和届次的多种写法、Excel 把数字弄坏的情况），
//! 但不猜测：无法确定的内容一律报告为问题，且一次报告整个文件的全部问题。

use std::collections::HashMap;

use calamine::{Data, ExcelDateTime, ExcelDateTimeType, Range};
use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Color, DataValidation, Format, FormatBorder, Workbook, Worksheet, XlsxError};
use serde::{Serialize, Serializer};

/// Name of the data sheet, in the template, in exports and preferred when importing.
pub const SHEET_NAME: &str = "代表名册";
/// Name of the instructions sheet in the template.
pub const HELP_SHEET_NAME: &str = "填写说明";

/// Allowed values of 职业类别.
pub const OCCUPATIONS: [&str; 8] =
    ["党政干部", "专业技术人员", "企业负责人", "工人", "农民", "基层干部", "解放军和武警", "其他"];

/// Longest 公开联系方式, in characters.
pub const MAX_PUBLIC_CONTACT_CHARS: usize = 60;
/// Longest value of any other free-text column, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// Fixed columns before the per-level mandate columns, in layout order.
pub const BASE_HEADERS: [&str; 14] = [
    "编号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "政治面貌",
    "学历",
    "职业类别",
    "工作单位及职务",
    "专业特长",
    "公开联系方式",
    "手机号码",
    "所在镇街",
    "进站联络站",
];

const MSG_NO_DATA: &str = "文件中没有代表数据";
const MSG_PHONE_DAMAGED: &str = "手机号码被 Excel 转成了数字并丢失位数，请把该列设为文本后重新填写";

/// Rows that get drop-down lists and text formatting in the template and in exports.
const VALIDATION_LAST_ROW: u32 = 10_000;

pub use super::Level;

/// All levels, highest first; this is also the column order in the roster.
pub const LEVELS: [Level; 5] = Level::ALL;

/// Header of the 届次 column of a level, e.g. 「县人大代表届次」.
pub fn term_header(level: Level) -> String {
    format!("{}人大代表届次", level.label())
}

/// Header of the 代表团/选区 column of a level, e.g. 「县代表团/选区」.
pub fn constituency_header(level: Level) -> String {
    format!("{}代表团/选区", level.label())
}

pub use super::types::Gender;

/// One 代表 mandate of a person: level, 届 number and 代表团/选区 (may be empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterMandate {
    pub level: Level,
    pub term: i32,
    pub constituency: String,
}

/// One person of the roster, validated and normalised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterRow {
    /// Excel row number (1-based; the header is row 1). Ignored by [`write`].
    pub row: u32,
    /// 编号: the system person id; `None` means a new person.
    pub id: Option<i64>,
    pub name: String,
    pub gender: Gender,
    /// 民族, always with the 族 suffix for the 56 recognised groups; 汉族 when left blank.
    pub ethnicity: String,
    #[serde(serialize_with = "serialize_date")]
    pub birth_date: Option<NaiveDate>,
    /// 政治面貌.
    pub party: String,
    /// 学历.
    pub education: String,
    /// 职业类别: empty or one of [`OCCUPATIONS`].
    pub occupation: String,
    /// 工作单位及职务.
    pub work_unit: String,
    /// 专业特长, split, trimmed and de-duplicated.
    pub expertise: Vec<String>,
    /// 公开联系方式 (free text, at most 60 characters).
    pub public_contact: String,
    /// 手机号码 (private): 11 digits starting with 1.
    pub mobile: Option<String>,
    /// 所在镇街 by name; the importer resolves it.
    pub township: String,
    /// 进站联络站 by name; the importer resolves it.
    pub station: String,
    /// At most one mandate per level, in [`LEVELS`] order.
    pub mandates: Vec<RosterMandate>,
    /// Cells that came from a masked export (手机号 `138****5678`, 出生日期 `1975-**-**`):
    /// the importer keeps the values on file for them.
    #[serde(skip)]
    pub masked: Masked,
}

/// Which private cells of a row were masked in the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Masked {
    pub mobile: bool,
    pub birth_date: bool,
}

/// `138****5678`, as a masked export writes a mobile number.
fn is_masked_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3..7].iter().all(|c| *c == b'*')
        && b[7..].iter().all(u8::is_ascii_digit)
}

/// `1975-**-**`, as a masked export writes a birth date.
fn is_masked_birth(s: &str) -> bool {
    s.len() == 10 && s[..4].bytes().all(|c| c.is_ascii_digit()) && &s[4..] == "-**-**"
}

pub use crate::sheet::RowIssue;

impl From<crate::sheet::SheetError> for RowIssue {
    fn from(e: crate::sheet::SheetError) -> RowIssue {
        RowIssue::file(e.message())
    }
}

fn serialize_date<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.format("%Y-%m-%d").to_string()),
        None => s.serialize_none(),
    }
}

// ---------------------------------------------------------------------------------------------
// Columns

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Id,
    Name,
    Gender,
    Ethnicity,
    BirthDate,
    Party,
    Education,
    Occupation,
    WorkUnit,
    Expertise,
    PublicContact,
    Mobile,
    Township,
    Station,
    Term(Level),
    Constituency(Level),
}

const BASE_COLS: [Col; 14] = [
    Col::Id,
    Col::Name,
    Col::Gender,
    Col::Ethnicity,
    Col::BirthDate,
    Col::Party,
    Col::Education,
    Col::Occupation,
    Col::WorkUnit,
    Col::Expertise,
    Col::PublicContact,
    Col::Mobile,
    Col::Township,
    Col::Station,
];

/// All columns in layout order.
fn columns() -> Vec<Col> {
    let mut cols = BASE_COLS.to_vec();
    for level in LEVELS {
        cols.push(Col::Term(level));
        cols.push(Col::Constituency(level));
    }
    cols
}

impl Col {
    fn header(self) -> String {
        match self {
            Col::Term(level) => term_header(level),
            Col::Constituency(level) => constituency_header(level),
            base => {
                let i = BASE_COLS.iter().position(|c| *c == base).unwrap_or(0);
                BASE_HEADERS[i].to_string()
            }
        }
    }

    fn required(self) -> bool {
        matches!(self, Col::Name | Col::Gender)
    }
}

/// Every column header in layout order (14 fixed columns, then two per level).
pub fn headers() -> Vec<String> {
    columns().into_iter().map(Col::header).collect()
}

/// Normalises a header for matching: no spaces of any width, no `*` or 「（必填）」 marks, `／` as `/`.
fn normalize_header(s: &str) -> String {
    let mut h: String = s.chars().filter(|c| !is_blank_char(*c)).map(|c| if c == '／' { '/' } else { c }).collect();
    loop {
        let before = h.len();
        for mark in ["*", "＊", "（必填）", "(必填)", "（必填)", "(必填）"] {
            if let Some(rest) = h.strip_suffix(mark) {
                h = rest.to_string();
            }
            if let Some(rest) = h.strip_prefix(mark) {
                h = rest.to_string();
            }
        }
        if h.len() == before {
            return h;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cell text helpers

fn is_blank_char(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}')
}

/// Trims ASCII, full-width and non-breaking spaces (and zero-width characters).
fn clean(s: &str) -> String {
    s.trim_matches(is_blank_char).to_string()
}

/// Full-width digits and letters to half-width, so 「１４」 reads as 「14」.
use crate::app::fmt::halfwidth;

/// A float as Excel would show it in a General cell: integers without 「.0」.
fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

fn serial_to_date(dt: &ExcelDateTime) -> Option<NaiveDate> {
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
}

/// Any cell as trimmed text (dates as 「YYYY-MM-DD」).
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => clean(s),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match serial_to_date(dt).filter(|_| dt.is_datetime()) {
            Some(date) => date.format("%Y-%m-%d").to_string(),
            None => float_text(dt.as_f64()),
        },
    }
}

fn char_count(s: &str) -> usize {
    s.chars().count()
}

// ---------------------------------------------------------------------------------------------
// Field parsers

/// 届次: 「14」「第十四届」「十四」「第14届」「14届」, 1..=99.
fn parse_term(s: &str) -> Option<i32> {
    let s: String = halfwidth(s).chars().filter(|c| !is_blank_char(*c)).collect();
    let s = s.strip_prefix('第').unwrap_or(&s);
    let s = s.strip_suffix('届').unwrap_or(s);
    let n = if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        s.parse::<i32>().ok()?
    } else {
        parse_chinese_number(s)?
    };
    (1..=99).contains(&n).then_some(n)
}

/// Chinese numerals below 100: 一 … 九, 十, 十四, 二十, 二十一, 九十九.
fn parse_chinese_number(s: &str) -> Option<i32> {
    fn digit(c: char) -> Option<i32> {
        Some(match c {
            '零' | '〇' => 0,
            '一' | '壹' => 1,
            '二' | '两' | '贰' => 2,
            '三' | '叁' => 3,
            '四' | '肆' => 4,
            '五' | '伍' => 5,
            '六' | '陆' => 6,
            '七' | '柒' => 7,
            '八' | '捌' => 8,
            '九' | '玖' => 9,
            _ => return None,
        })
    }
    let chars: Vec<char> = s.chars().collect();
    match chars.iter().position(|c| matches!(c, '十' | '拾')) {
        None if chars.len() == 1 => digit(chars[0]),
        None => None,
        Some(pos) => {
            let tens = match &chars[..pos] {
                [] => 1,
                [c] => digit(*c).filter(|d| *d > 0)?,
                _ => return None,
            };
            let units = match &chars[pos + 1..] {
                [] => 0,
                [c] => digit(*c).filter(|d| *d > 0)?,
                _ => return None,
            };
            Some(tens * 10 + units)
        }
    }
}

/// Text dates: 「1975-03-08」「1975/3/8」「1975.03.08」「1975年3月8日」「1975.03」「1975年3月」「19750308」.
fn parse_date_text(s: &str) -> Option<NaiveDate> {
    crate::app::fmt::parse_date_or_month(s)
}

fn date_reason_unknown(shown: &str) -> String {
    format!("无法识别的日期「{shown}」，请写成 1975-03-08")
}

/// 出生日期 from any cell kind; `Err` carries the Chinese reason.
fn parse_birth_date(d: &Data) -> Result<Option<NaiveDate>, String> {
    let shown = cell_text(d);
    let date = match d {
        Data::Empty => return Ok(None),
        Data::String(_) if shown.is_empty() => return Ok(None),
        Data::DateTime(dt) if dt.is_datetime() => serial_to_date(dt),
        Data::Float(_) | Data::Int(_) | Data::DateTime(_) => {
            let v = match d {
                Data::Float(f) => *f,
                Data::Int(i) => *i as f64,
                Data::DateTime(dt) => dt.as_f64(),
                _ => f64::NAN,
            };
            if !v.is_finite() {
                None
            } else if v.fract() == 0.0 && (100_000.0..100_000_000.0).contains(&v) {
                // 19750308 or 197503 typed as a number.
                parse_date_text(&shown)
            } else if v.fract() != 0.0 && (1900.0..2100.0).contains(&v) {
                // 「1975.03」 typed into a General cell became the number 1975.03.
                if shown.split('.').nth(1) == Some("1") {
                    let y = v.trunc();
                    return Err(format!(
                        "出生日期「{shown}」被 Excel 当成了数字，分不清是 1 月还是 10 月，请写成 {y}-01-01 或 {y}-10-01 这样的格式"
                    ));
                }
                parse_date_text(&shown)
            } else if (1.0..2_958_466.0).contains(&v) {
                serial_to_date(&ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false))
            } else {
                None
            }
        }
        Data::DateTimeIso(s) => s.get(..10).and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok()),
        _ => parse_date_text(&shown),
    };
    let date = date.ok_or_else(|| date_reason_unknown(&shown))?;
    let today = chrono::Local::now().date_naive();
    if date.year() < 1900 || date > today {
        return Err(format!("出生日期「{}」不在 1900 年到今天之间", date.format("%Y-%m-%d")));
    }
    Ok(Some(date))
}

/// 编号: a positive integer, or blank.
fn parse_id(d: &Data) -> Result<Option<i64>, String> {
    let shown = cell_text(d);
    if shown.is_empty() {
        return Ok(None);
    }
    let id = match d {
        Data::Int(i) => Some(*i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
        Data::String(_) => {
            let t = halfwidth(&shown);
            if t.chars().all(|c| c.is_ascii_digit()) { t.parse::<i64>().ok() } else { None }
        }
        _ => None,
    };
    match id {
        Some(id) if id > 0 => Ok(Some(id)),
        _ => Err(format!("编号「{shown}」必须是正整数（系统生成；新增代表请留空）")),
    }
}

/// 手机号码: 11 digits starting with 1, or blank; detects numbers damaged by Excel.
fn parse_mobile(d: &Data) -> Result<Option<String>, String> {
    let shown = cell_text(d);
    if shown.is_empty() {
        return Ok(None);
    }
    let invalid = || format!("手机号码「{shown}」{}", crate::auth::accounts::MSG_MOBILE_RULE);
    match d {
        Data::Float(_) | Data::Int(_) => {
            let v = match d {
                Data::Float(f) => *f,
                Data::Int(i) => *i as f64,
                _ => f64::NAN,
            };
            if !v.is_finite() || v.fract() != 0.0 || v.abs() >= 1e15 {
                return Err(MSG_PHONE_DAMAGED.to_string());
            }
            let digits = format!("{}", v as i64);
            if !crate::auth::accounts::valid_mobile(&digits) {
                return Err(invalid());
            }
            // 1.38053E+10 = 13805300000: Excel kept only the leading significant digits.
            if digits.ends_with("00000") {
                return Err(MSG_PHONE_DAMAGED.to_string());
            }
            Ok(Some(digits))
        }
        _ => {
            let t: String = halfwidth(&shown).chars().filter(|c| !is_blank_char(*c) && *c != '-').collect();
            let looks_scientific = t.contains(['E', 'e'])
                && t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'E' | 'e' | '+'))
                && t.chars().next().is_some_and(|c| c.is_ascii_digit());
            if looks_scientific {
                return Err(MSG_PHONE_DAMAGED.to_string());
            }
            let t = match t.strip_prefix("+86") {
                Some(rest) => rest.to_string(),
                None if t.len() == 13 && t.starts_with("86") => t[2..].to_string(),
                None => t,
            };
            if crate::auth::accounts::valid_mobile(&t) { Ok(Some(t)) } else { Err(invalid()) }
        }
    }
}

/// The 56 ethnic groups without the 族 suffix, so 「回」 becomes 「回族」.
#[rustfmt::skip]
const ETHNIC_GROUPS: [&str; 56] = [
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤",
    "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
    "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
];

fn normalize_ethnicity(s: &str) -> String {
    let s: String = s.chars().filter(|c| !is_blank_char(*c)).collect();
    if s.is_empty() {
        "汉族".to_string()
    } else if ETHNIC_GROUPS.contains(&s.as_str()) {
        format!("{s}族")
    } else {
        s
    }
}

/// Names lose inner padding (「张  三」) and use 「·」 for every middle-dot look-alike.
fn normalize_name(s: &str) -> String {
    s.chars()
        .filter(|c| !is_blank_char(*c))
        .map(|c| if matches!(c, '•' | '・' | '．' | '.' | '‧' | '∙' | '⋅') { '·' } else { c })
        .collect()
}

fn split_expertise(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split(|c: char| matches!(c, '、' | ',' | '，' | ';' | '；' | '/' | '／') || is_blank_char(c)) {
        let part = clean(part);
        if !part.is_empty() && !out.contains(&part) {
            out.push(part);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// parse

/// Parses an uploaded roster. Returns every problem of the whole file at once, or the rows if there is none.
/// The file is read by [`crate::sheet`] within its default limits (the sheet 「代表名册」, else the
/// first one); this is CPU work, so async callers go through [`crate::sheet::run_blocking`].
pub fn parse(bytes: &[u8]) -> Result<Vec<RosterRow>, Vec<RowIssue>> {
    parse_with(bytes, &crate::sheet::Limits::default())
}

/// Like [`parse`], with explicit limits.
pub fn parse_with(bytes: &[u8], limits: &crate::sheet::Limits) -> Result<Vec<RosterRow>, Vec<RowIssue>> {
    let parsed = parse_all_with(bytes, limits)?;
    if parsed.issues.is_empty() { Ok(parsed.rows) } else { Err(parsed.issues) }
}

/// Every data row of a file and every problem found in its cells. A row with a problem is still
/// returned (its bad cells left empty), so the importer can check the rest of it against the
/// database and report the whole file in one go.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<RosterRow>,
    pub issues: Vec<RowIssue>,
}

/// Reads the whole file: `Err` only when no row can be read at all (not a workbook, no roster
/// sheet, a required column missing, no data).
pub fn parse_all_with(bytes: &[u8], limits: &crate::sheet::Limits) -> Result<Parsed, Vec<RowIssue>> {
    let sheet = crate::sheet::read_with(bytes, Some(SHEET_NAME), limits).map_err(|e| vec![e.into()])?;
    parse_range(&sheet.range)
}

fn parse_range(range: &Range<Data>) -> Result<Parsed, Vec<RowIssue>> {
    let no_data = || vec![RowIssue::new(0, "", MSG_NO_DATA)];
    let Some((start_row, _)) = range.start() else { return Err(no_data()) };
    let rows: Vec<&[Data]> = range.rows().collect();
    let excel_row = |i: usize| start_row + i as u32 + 1;

    // The header is row 1; tolerate a title row or two above it.
    let name_header = normalize_header(BASE_HEADERS[1]);
    let header_idx = rows
        .iter()
        .take(10)
        .position(|r| r.iter().any(|c| normalize_header(&cell_text(c)) == name_header))
        .unwrap_or(0);
    let header_row = excel_row(header_idx);

    let mut map: HashMap<Col, usize> = HashMap::new();
    let mut issues = Vec::new();
    let by_header: HashMap<String, Col> = columns().into_iter().map(|c| (normalize_header(&c.header()), c)).collect();
    for (j, cell) in rows.get(header_idx).map(|r| r.iter()).into_iter().flatten().enumerate() {
        let Some(col) = by_header.get(&normalize_header(&cell_text(cell))) else { continue };
        if map.contains_key(col) {
            issues.push(RowIssue::new(
                header_row,
                col.header(),
                format!("表头「{}」出现了不止一次，请删除多余的列", col.header()),
            ));
        } else {
            map.insert(*col, j);
        }
    }
    for col in columns().into_iter().filter(|c| c.required() && !map.contains_key(c)) {
        issues.push(RowIssue::new(header_row, col.header(), format!("缺少必填列「{}」", col.header())));
    }
    if !issues.is_empty() {
        return Err(issues);
    }

    let mut out = Vec::new();
    let mut seen_ids: HashMap<i64, u32> = HashMap::new();
    let mut seen_people: HashMap<(String, Option<NaiveDate>), u32> = HashMap::new();
    for (i, cells) in rows.iter().enumerate().skip(header_idx + 1) {
        // Rows with nothing in the known columns are blank (e.g. only a pre-filled 序号 column).
        if map.values().all(|j| cells.get(*j).is_none_or(|c| cell_text(c).is_empty())) {
            continue;
        }
        let row = excel_row(i);
        let mut ctx = RowCtx { row, cells, map: &map, issues: Vec::new() };
        let parsed = ctx.parse_row();

        if let Some(id) = parsed.id {
            match seen_ids.get(&id) {
                Some(first) => ctx.issue(Col::Id, format!("编号 {id} 与第 {first} 行重复")),
                None => {
                    seen_ids.insert(id, row);
                }
            }
        } else if ctx.ok(Col::Id) && ctx.ok(Col::Name) && ctx.ok(Col::BirthDate) {
            let key = (parsed.name.clone(), parsed.birth_date);
            match seen_people.get(&key) {
                Some(first) => ctx.issue(Col::Name, format!("与第 {first} 行重复（姓名和出生日期相同）")),
                None => {
                    seen_people.insert(key, row);
                }
            }
        }
        issues.append(&mut ctx.issues);
        out.push(parsed);
    }
    if out.is_empty() {
        return Err(no_data());
    }
    Ok(Parsed { rows: out, issues })
}

struct RowCtx<'a> {
    row: u32,
    cells: &'a [Data],
    map: &'a HashMap<Col, usize>,
    issues: Vec<RowIssue>,
}

impl RowCtx<'_> {
    fn cell(&self, col: Col) -> &Data {
        self.map.get(&col).and_then(|j| self.cells.get(*j)).unwrap_or(&Data::Empty)
    }

    fn issue(&mut self, col: Col, reason: impl Into<String>) {
        self.issues.push(RowIssue::new(self.row, col.header(), reason));
    }

    /// No issue so far in this column.
    fn ok(&self, col: Col) -> bool {
        let h = col.header();
        !self.issues.iter().any(|i| i.column == h)
    }

    /// Trimmed text of a column; reports Excel error values and over-long text.
    fn text(&mut self, col: Col, max_chars: usize) -> String {
        if let Data::Error(e) = self.cell(col) {
            let reason = format!("单元格是 Excel 错误值 {e}，请改为实际内容");
            self.issue(col, reason);
            return String::new();
        }
        let t = cell_text(self.cell(col));
        let n = char_count(&t);
        if n > max_chars {
            self.issue(col, format!("{}最多 {max_chars} 个字，现在是 {n} 个字", col.header()));
        }
        t
    }

    fn checked<T: Default>(&mut self, col: Col, f: fn(&Data) -> Result<T, String>) -> T {
        if let Data::Error(e) = self.cell(col) {
            let reason = format!("单元格是 Excel 错误值 {e}，请改为实际内容");
            self.issue(col, reason);
            return T::default();
        }
        match f(self.cell(col)) {
            Ok(v) => v,
            Err(reason) => {
                self.issue(col, reason);
                T::default()
            }
        }
    }

    fn parse_row(&mut self) -> RosterRow {
        let id = self.checked(Col::Id, parse_id);

        let name = normalize_name(&self.text(Col::Name, MAX_TEXT_CHARS));
        let n = char_count(&name);
        if self.ok(Col::Name) {
            if n == 0 {
                self.issue(Col::Name, "姓名不能为空");
            } else if !(2..=20).contains(&n) {
                self.issue(Col::Name, format!("姓名「{name}」应为 2 到 20 个字，现在是 {n} 个字"));
            }
        }

        let gender_text = self.text(Col::Gender, MAX_TEXT_CHARS);
        let gender = Gender::parse(&gender_text);
        if gender.is_none() && self.ok(Col::Gender) {
            if gender_text.is_empty() {
                self.issue(Col::Gender, "性别不能为空，请填写「男」或「女」");
            } else {
                self.issue(Col::Gender, format!("无法识别的性别「{gender_text}」，请填写「男」或「女」"));
            }
        }

        let ethnicity = normalize_ethnicity(&self.text(Col::Ethnicity, 20));
        let mut masked = Masked::default();
        let birth_date = if is_masked_birth(&self.text(Col::BirthDate, MAX_TEXT_CHARS)) {
            masked.birth_date = true;
            None
        } else {
            self.checked(Col::BirthDate, parse_birth_date)
        };
        let party = self.text(Col::Party, MAX_TEXT_CHARS);
        let education = self.text(Col::Education, MAX_TEXT_CHARS);

        let occupation = self.text(Col::Occupation, MAX_TEXT_CHARS);
        if !occupation.is_empty() && !OCCUPATIONS.contains(&occupation.as_str()) && self.ok(Col::Occupation) {
            self.issue(
                Col::Occupation,
                format!("职业类别「{occupation}」不在可选范围内，可选：{}", OCCUPATIONS.join("、")),
            );
        }

        let work_unit = self.text(Col::WorkUnit, MAX_TEXT_CHARS);
        let expertise = split_expertise(&self.text(Col::Expertise, MAX_TEXT_CHARS));
        let public_contact = self.text(Col::PublicContact, MAX_PUBLIC_CONTACT_CHARS);
        let mobile = if is_masked_mobile(&self.text(Col::Mobile, MAX_TEXT_CHARS)) {
            masked.mobile = true;
            None
        } else {
            self.checked(Col::Mobile, parse_mobile)
        };
        if (masked.mobile || masked.birth_date) && id.is_none() && self.ok(Col::Id) {
            let col = if masked.mobile { Col::Mobile } else { Col::BirthDate };
            self.issue(col, "脱敏的手机号或出生日期只能出现在已登记代表（填有编号）的行；新增代表请填写完整");
        }
        let township = self.text(Col::Township, MAX_TEXT_CHARS);
        let station = self.text(Col::Station, MAX_TEXT_CHARS);

        let mut mandates = Vec::new();
        for level in LEVELS {
            let term_text = self.text(Col::Term(level), MAX_TEXT_CHARS);
            let constituency = self.text(Col::Constituency(level), MAX_TEXT_CHARS);
            if term_text.is_empty() {
                if !constituency.is_empty() {
                    self.issue(Col::Term(level), format!("填写了{}但没有填写届次", constituency_header(level)));
                }
                continue;
            }
            match parse_term(&term_text) {
                Some(term) => mandates.push(RosterMandate { level, term, constituency }),
                None => self.issue(Col::Term(level), format!("无法识别的届次「{term_text}」，请写成 14 或 第十四届")),
            }
        }

        RosterRow {
            row: self.row,
            id,
            name,
            gender: gender.unwrap_or(Gender::Male),
            ethnicity,
            birth_date,
            party,
            education,
            occupation,
            work_unit,
            expertise,
            public_contact,
            mobile,
            township,
            station,
            mandates,
            masked,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// write / template

struct Formats {
    header: Format,
    required_header: Format,
    text: Format,
    date: Format,
}

impl Formats {
    fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border(FormatBorder::Thin)
            .set_text_wrap();
        Formats {
            required_header: header.clone().set_font_color(Color::RGB(0xC00000)),
            header,
            text: Format::new().set_num_format("@"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        }
    }
}

fn column_width(col: Col) -> f64 {
    match col {
        Col::Id => 8.0,
        Col::Name | Col::Gender | Col::Ethnicity => 9.0,
        Col::BirthDate | Col::Mobile => 14.0,
        Col::WorkUnit => 32.0,
        Col::Expertise | Col::PublicContact => 20.0,
        Col::Term(_) => 11.0,
        Col::Constituency(_) => 16.0,
        _ => 13.0,
    }
}

/// Header row, column widths, text/date column formats and drop-down lists.
fn setup_roster_sheet(ws: &mut Worksheet, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(SHEET_NAME)?;
    for (j, col) in columns().into_iter().enumerate() {
        let j = j as u16;
        let fmt = if col.required() { &f.required_header } else { &f.header };
        ws.write_string_with_format(0, j, col.header(), fmt)?;
        ws.set_column_width(j, column_width(col))?;
        match col {
            Col::Mobile | Col::Term(_) | Col::PublicContact => {
                ws.set_column_format(j, &f.text)?;
            }
            Col::BirthDate => {
                ws.set_column_format(j, &f.date)?;
            }
            Col::Gender => {
                let v = DataValidation::new()
                    .allow_list_strings(&["男", "女"])?
                    .set_error_title("性别")?
                    .set_error_message("请从下拉列表中选择「男」或「女」")?;
                ws.add_data_validation(1, j, VALIDATION_LAST_ROW, j, &v)?;
            }
            Col::Occupation => {
                let v = DataValidation::new()
                    .allow_list_strings(&OCCUPATIONS)?
                    .set_error_title("职业类别")?
                    .set_error_message("请从下拉列表中选择职业类别")?;
                ws.add_data_validation(1, j, VALIDATION_LAST_ROW, j, &v)?;
            }
            _ => {}
        }
    }
    ws.set_row_height(0, 30)?;
    ws.set_freeze_panes(1, 2)?;
    Ok(())
}

fn write_rows(ws: &mut Worksheet, rows: &[RosterRow], f: &Formats, mask: bool) -> Result<(), XlsxError> {
    for (i, r) in rows.iter().enumerate() {
        let Ok(xr) = u32::try_from(i + 1) else { break };
        if xr > 1_048_575 {
            break;
        }
        for (j, col) in columns().into_iter().enumerate() {
            let j = j as u16;
            let text = |s: &str| -> String { s.chars().take(32_000).collect() };
            let s = match col {
                Col::Id => {
                    if let Some(id) = r.id {
                        ws.write_number(xr, j, id as f64)?;
                    }
                    continue;
                }
                Col::BirthDate => {
                    if let (true, Some(d)) = (mask, r.birth_date) {
                        ws.write_string_with_format(xr, j, format!("{}-**-**", d.format("%Y")), &f.text)?;
                    } else if let Some(d) = r.birth_date {
                        // Dates before 1900 cannot be Excel dates; they are written as text.
                        let y = u16::try_from(d.year()).unwrap_or(0);
                        match rust_xlsxwriter::ExcelDateTime::from_ymd(y, d.month() as u8, d.day() as u8) {
                            Ok(dt) if y >= 1900 => {
                                ws.write_datetime_with_format(xr, j, &dt, &f.date)?;
                            }
                            _ => {
                                ws.write_string(xr, j, d.format("%Y-%m-%d").to_string())?;
                            }
                        }
                    }
                    continue;
                }
                Col::Term(level) => {
                    if let Some(m) = r.mandates.iter().find(|m| m.level == level) {
                        ws.write_string_with_format(xr, j, m.term.to_string(), &f.text)?;
                    }
                    continue;
                }
                Col::Mobile => {
                    if let Some(m) = &r.mobile {
                        let m = if mask { crate::privacy::mask_phone(m) } else { m.clone() };
                        ws.write_string_with_format(xr, j, text(&m), &f.text)?;
                    }
                    continue;
                }
                Col::Name => text(&r.name),
                Col::Gender => r.gender.label().to_string(),
                Col::Ethnicity => text(&r.ethnicity),
                Col::Party => text(&r.party),
                Col::Education => text(&r.education),
                Col::Occupation => text(&r.occupation),
                Col::WorkUnit => text(&r.work_unit),
                Col::Expertise => text(&r.expertise.join("、")),
                Col::PublicContact => text(&r.public_contact),
                Col::Township => text(&r.township),
                Col::Station => text(&r.station),
                Col::Constituency(level) => {
                    r.mandates.iter().find(|m| m.level == level).map(|m| text(&m.constituency)).unwrap_or_default()
                }
            };
            if !s.is_empty() {
                ws.write_string(xr, j, s)?;
            }
        }
    }
    Ok(())
}

fn build_roster(rows: &[RosterRow], with_help: bool, mask: bool) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    setup_roster_sheet(ws, &f)?;
    write_rows(ws, rows, &f, mask)?;
    if with_help {
        write_help(wb.add_worksheet(), &f)?;
    }
    wb.save_to_buffer()
}

/// The roster as .xlsx bytes in the import layout. `row` is ignored; at most one mandate per level is
/// written (the first one of that level), and expertise is joined with 「、」.
pub fn write(rows: &[RosterRow]) -> Vec<u8> {
    // Every value is clamped to Excel's limits above, so building the workbook cannot fail.
    build_roster(rows, false, false).expect("roster workbook within Excel limits")
}

/// The roster with private cells masked (手机号 `138****5678`, 出生日期 `1975-**-**`): what
/// roles without the personal-data permission get. Importing it back keeps the values on file.
pub fn write_masked(rows: &[RosterRow]) -> Vec<u8> {
    build_roster(rows, false, true).expect("roster workbook within Excel limits")
}

/// An empty roster to fill in: the header row, plus a 「填写说明」 sheet explaining every column.
pub fn template() -> Vec<u8> {
    build_roster(&[], true, false).expect("roster template within Excel limits")
}

fn help_for(col: Col) -> (&'static str, String) {
    let optional = "选填";
    match col {
        Col::Id => (
            optional,
            "系统中的代表编号（正整数）。新增代表请留空；修改已有代表时保留从系统导出的编号，不要改动。".to_string(),
        ),
        Col::Name => ("必填", "2 到 20 个字。少数民族姓名中的间隔号请用「·」，如「阿依古丽·买买提」。".to_string()),
        Col::Gender => ("必填", "填写「男」或「女」（也可写「男性」「女性」），可从下拉列表选择。".to_string()),
        Col::Ethnicity => (optional, "如「汉族」「回族」「蒙古族」；留空按「汉族」处理，写「汉」「回」等会自动补全「族」字。".to_string()),
        Col::BirthDate => (
            optional,
            "推荐写成 1975-03-08；也接受 1975/3/8、1975.03.08、1975年3月8日、19750308、Excel 日期格式；只知道年月时可写 1975.03 或 1975年3月（按当月 1 日记）。年份须在 1900 年到今年之间。".to_string(),
        ),
        Col::Party => (optional, "如「中共党员」「中共预备党员」「民革党员」「群众」「无党派人士」等。".to_string()),
        Col::Education => (optional, "如「研究生」「大学」「大专」「中专」「高中」「初中」「小学」等。".to_string()),
        Col::Occupation => (optional, format!("只能从以下类别中选择（可用下拉列表）：{}。", OCCUPATIONS.join("、"))),
        Col::WorkUnit => (optional, format!("工作单位和职务写在一起，如「××镇××村党支部书记、村委会主任」。最多 {MAX_TEXT_CHARS} 个字。")),
        Col::Expertise => (optional, "可填多项，用顿号「、」、逗号、分号或空格分隔，如「法律、农业技术」。".to_string()),
        Col::PublicContact => (
            optional,
            format!("向群众公开的联系方式，如联络站电话、工作微信号，会显示在公开页面上。最多 {MAX_PUBLIC_CONTACT_CHARS} 个字。"),
        ),
        Col::Mobile => (
            optional,
            "代表本人手机号，1 开头、第二位为 3 至 9 的 11 位数字，仅供工作人员联系，不公开。请先把该列设为「文本」格式再填写，否则 Excel 可能把号码变成 1.38053E+10 而丢失位数。".to_string(),
        ),
        Col::Township => (optional, "代表所在的镇（街道）名称，须与系统中的名称一致，如「城关镇」「东城街道」。".to_string()),
        Col::Station => (optional, "代表进驻的代表之家或代表联络站名称，须与系统中的名称一致。".to_string()),
        Col::Term(level) => (
            optional,
            format!(
                "该代表是{}人大代表时填写届次，写数字「14」或「第十四届」均可（也接受「十四」「第14届」「14届」）。不是{}人大代表则留空。",
                level.label(),
                level.label()
            ),
        ),
        Col::Constituency(level) => (
            optional,
            format!(
                "{}人大代表所在的代表团或选区，如「第三选区」。填写本列时必须同时填写「{}」。",
                level.label(),
                term_header(level)
            ),
        ),
    }
}

fn write_help(ws: &mut Worksheet, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(HELP_SHEET_NAME)?;
    let wrap = Format::new().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top);
    let notes = [
        "1. 请在「代表名册」工作表中填写，每行一位代表；第 1 行是表头，请勿修改表头文字，从第 2 行开始填写。",
        "2. 列的顺序可以调整，多余的列会被忽略；「姓名」「性别」两列必须有。",
        "3. 同一人担任多级人大代表时，在同一行分别填写各级的届次和代表团/选区，不要拆成多行。",
        "4. 导入时会一次列出全部有问题的行和列，请按提示修改后重新上传。",
    ];
    let mut r = 0u32;
    for note in notes {
        ws.write_string(r, 0, note)?;
        r += 1;
    }
    r += 1;
    for (j, h) in ["列名", "是否必填", "填写说明"].into_iter().enumerate() {
        ws.write_string_with_format(r, j as u16, h, &f.header)?;
    }
    for col in columns() {
        r += 1;
        let (required, text) = help_for(col);
        ws.write_string_with_format(r, 0, col.header(), &wrap)?;
        ws.write_string_with_format(r, 1, required, &wrap)?;
        ws.write_string_with_format(r, 2, text, &wrap)?;
    }
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 10)?;
    ws.set_column_width(2, 90)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
#[path = "roster_tests.rs"]
mod tests;
