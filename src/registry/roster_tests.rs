//! Tests of the roster layout: parsing every kind of cell, the masked round trip, the template.
use std::io::Cursor;

use super::*;
use calamine::{Reader, Xlsx};
use rust_xlsxwriter::ExcelDateTime as XDate;

/// A value to put into a test cell.
enum V {
    S(&'static str),
    N(f64),
    D(u16, u8, u8),
}

/// Builds an xlsx whose first sheet holds `headers` in row 1 and `rows` below.
fn xlsx(headers: &[&str], rows: &[Vec<V>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (j, h) in headers.iter().enumerate() {
        ws.write_string(0, j as u16, *h).unwrap();
    }
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let (r, c) = (i as u32 + 1, j as u16);
            match v {
                V::S("") => {}
                V::S(s) => {
                    ws.write_string(r, c, *s).unwrap();
                }
                V::N(n) => {
                    ws.write_number(r, c, *n).unwrap();
                }
                V::D(y, m, d) => {
                    ws.write_datetime_with_format(r, c, XDate::from_ymd(*y, *m, *d).unwrap(), &date).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn person(name: &str) -> RosterRow {
    RosterRow {
        row: 0,
        id: None,
        name: name.to_string(),
        gender: Gender::Female,
        ethnicity: "汉族".to_string(),
        birth_date: None,
        party: String::new(),
        education: String::new(),
        occupation: String::new(),
        work_unit: String::new(),
        expertise: vec![],
        public_contact: String::new(),
        mobile: None,
        township: String::new(),
        station: String::new(),
        mandates: vec![],
        masked: Masked::default(),
    }
}

#[test]
fn a_masked_export_reads_back_as_kept_values() {
    let mut row = RosterRow {
        id: Some(12),
        birth_date: Some(date(1975, 3, 8)),
        mobile: Some("13805312345".to_string()),
        mandates: vec![mandate(Level::County, 19, "")],
        ..person("王芳")
    };
    let bytes = write_masked(std::slice::from_ref(&row));
    let back = parse(&bytes).expect("masked roster parses");
    assert_eq!(back[0].masked, Masked { mobile: true, birth_date: true });
    assert_eq!((back[0].mobile.as_deref(), back[0].birth_date), (None, None));
    // Without 编号 a masked cell cannot be kept: the row is refused with a reason.
    row.id = None;
    let issues = parse(&write_masked(&[row])).expect_err("masked new row refused");
    assert!(issues.iter().any(|i| i.reason.contains("脱敏")), "{issues:?}");
}

fn strip_rows(rows: Vec<RosterRow>) -> Vec<RosterRow> {
    rows.into_iter().map(|r| RosterRow { row: 0, ..r }).collect()
}

fn mandate(level: Level, term: i32, c: &str) -> RosterMandate {
    RosterMandate { level, term, constituency: c.to_string() }
}

#[test]
fn headers_are_in_layout_order() {
    let h = headers();
    assert_eq!(h.len(), 24);
    assert_eq!(h[0], "编号");
    assert_eq!(h[13], "进站联络站");
    assert_eq!(h[14], "全国人大代表届次");
    assert_eq!(h[15], "全国代表团/选区");
    assert_eq!(h[22], "乡镇人大代表届次");
    assert_eq!(h[23], "乡镇代表团/选区");
}

#[test]
fn level_and_gender_names() {
    for l in LEVELS {
        assert_eq!(Level::parse(l.as_str()), Some(l));
        assert_eq!(Level::parse(l.label()), Some(l));
    }
    assert_eq!(Level::parse("区"), Some(Level::County), "a 区 is a county-level unit");
    assert_eq!(Level::parse("村"), None);
    assert_eq!(Gender::parse("女性"), Some(Gender::Female));
    assert_eq!(Gender::parse("男"), Some(Gender::Male));
    assert_eq!(Gender::parse("未知"), None);
}

#[test]
fn round_trip_with_all_fields() {
    let full = RosterRow {
        row: 0,
        id: Some(1024),
        name: "阿依古丽·买买提".to_string(),
        gender: Gender::Female,
        ethnicity: "维吾尔族".to_string(),
        birth_date: Some(date(1975, 3, 8)),
        party: "中共党员".to_string(),
        education: "大学".to_string(),
        occupation: "专业技术人员".to_string(),
        work_unit: "城关镇卫生院院长".to_string(),
        expertise: vec!["医疗卫生".to_string(), "法律".to_string()],
        public_contact: "0937-1234567（联络站）".to_string(),
        mobile: Some("13805312345".to_string()),
        township: "城关镇".to_string(),
        station: "城关镇人大代表之家".to_string(),
        mandates: vec![
            mandate(Level::Provincial, 14, "酒泉代表团"),
            mandate(Level::County, 19, "第三选区"),
            mandate(Level::Township, 20, ""),
        ],
        masked: Masked::default(),
    };
    let minimal = RosterRow { gender: Gender::Male, ..person("张伟") };
    let national = RosterRow {
        id: Some(7),
        birth_date: Some(date(1960, 12, 31)),
        mandates: vec![mandate(Level::National, 14, "甘肃代表团")],
        occupation: "农民".to_string(),
        ..person("李秀英")
    };
    let rows = vec![full, minimal, national];
    let parsed = parse(&write(&rows)).unwrap();
    assert_eq!(parsed.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(strip_rows(parsed), rows);
}

#[test]
fn accepts_every_date_form() {
    let cases: Vec<(V, NaiveDate)> = vec![
        (V::S("1975-03-08"), date(1975, 3, 8)),
        (V::S("1975/3/8"), date(1975, 3, 8)),
        (V::S("1975.03.08"), date(1975, 3, 8)),
        (V::S("1975年3月8日"), date(1975, 3, 8)),
        (V::S("1975.03"), date(1975, 3, 1)),
        (V::S("1975年3月"), date(1975, 3, 1)),
        (V::S("19750308"), date(1975, 3, 8)),
        (V::S(" 1975-03-08 00:00:00 "), date(1975, 3, 8)),
        (V::D(1975, 3, 8), date(1975, 3, 8)),
        (V::N(27461.0), date(1975, 3, 8)),
        (V::N(19750308.0), date(1975, 3, 8)),
        (V::N(1975.03), date(1975, 3, 1)),
        (V::N(1975.12), date(1975, 12, 1)),
    ];
    let names =
        ["张一", "张二", "张三", "张四", "张五", "张六", "张七", "张八", "张九", "张十", "李一", "李二", "李三"];
    let rows: Vec<Vec<V>> = cases.iter().zip(names).map(|((v, _), n)| vec![V::S(n), V::S("男"), clone_v(v)]).collect();
    let parsed = parse(&xlsx(&["姓名", "性别", "出生日期"], &rows)).unwrap();
    for (r, (_, want)) in parsed.iter().zip(&cases) {
        assert_eq!(r.birth_date, Some(*want), "row {}", r.row);
    }
}

fn clone_v(v: &V) -> V {
    match v {
        V::S(s) => V::S(s),
        V::N(n) => V::N(*n),
        V::D(y, m, d) => V::D(*y, *m, *d),
    }
}

#[test]
fn accepts_every_term_form() {
    for (s, want) in [
        ("14", 14),
        ("第十四届", 14),
        ("十四", 14),
        ("第14届", 14),
        ("14届", 14),
        ("十", 10),
        ("二十一", 21),
        ("九十九", 99),
        ("第二十届", 20),
        ("五", 5),
        ("１４", 14),
    ] {
        assert_eq!(parse_term(s), Some(want), "{s}");
    }
    for s in ["", "第届", "一百", "0", "100", "十十", "二二", "十四五", "abc", "-1"] {
        assert_eq!(parse_term(s), None, "{s}");
    }
    let bytes = xlsx(
        &["姓名", "性别", "县人大代表届次", "乡镇人大代表届次", "市人大代表届次"],
        &[vec![V::S("王芳"), V::S("女"), V::N(19.0), V::S("第二十届"), V::S("十四")]],
    );
    let parsed = parse(&bytes).unwrap();
    assert_eq!(
        parsed[0].mandates,
        vec![mandate(Level::City, 14, ""), mandate(Level::County, 19, ""), mandate(Level::Township, 20, "")]
    );
}

#[test]
fn rejects_bad_dates() {
    for s in ["1975-13-01", "1975-02-30", "75-03-08", "三月", "1899-12-31", "2999-01-01", "1975.03.08.01"] {
        let bytes = xlsx(&["姓名", "性别", "出生日期"], &[vec![V::S("张伟"), V::S("男"), V::S(s)]]);
        let issues = parse(&bytes).unwrap_err();
        assert_eq!(issues.len(), 1, "{s}: {issues:?}");
        assert_eq!((issues[0].row, issues[0].column.as_str()), (2, "出生日期"), "{s}");
    }
    let bytes = xlsx(&["姓名", "性别", "出生日期"], &[vec![V::S("张伟"), V::S("男"), V::S("三月")]]);
    assert_eq!(parse(&bytes).unwrap_err()[0].reason, "无法识别的日期「三月」，请写成 1975-03-08");
    // 1975.10 typed into a General cell is stored as 1975.1: ambiguous.
    let bytes = xlsx(&["姓名", "性别", "出生日期"], &[vec![V::S("张伟"), V::S("男"), V::N(1975.1)]]);
    assert!(parse(&bytes).unwrap_err()[0].reason.contains("分不清"));
}

#[test]
#[rustfmt::skip]
fn reports_all_bad_rows_together() {
    let headers = ["编号", "姓名", "性别", "出生日期", "职业类别", "手机号码", "公开联系方式", "县人大代表届次", "县代表团/选区"];
    let long_contact: &'static str = Box::leak("电".repeat(61).into_boxed_str());
    let rows = vec![
        // row 2: fine
        vec![V::N(1.0), V::S("张伟"), V::S("男"), V::S("1970-01-01"), V::S("农民"), V::S("13800000001"), V::S(""), V::S("19"), V::S("一选区")],
        // row 3: bad gender, bad occupation
        vec![V::S(""), V::S("李娜"), V::S("未知"), V::S(""), V::S("老师")],
        // row 4: blank → skipped
        vec![V::S(""), V::S("   "), V::S("\u{3000}")],
        // row 5: missing name, too long contact, bad phone, bad term
        vec![V::S(""), V::S(""), V::S("女"), V::S(""), V::S(""), V::S("1380000"), V::S(long_contact), V::S("第X届")],
        // row 6: constituency without term, duplicate id of row 2
        vec![V::N(1.0), V::S("王强"), V::S("男"), V::S(""), V::S(""), V::S(""), V::S(""), V::S(""), V::S("二选区")],
        // row 7: bad id, name too long
        vec![V::S("A12"), V::S("欧阳欧阳欧阳欧阳欧阳欧阳欧阳欧阳欧阳欧阳欧"), V::S("男")],
        // rows 8 and 9: same name and birth date, no id
        vec![V::S(""), V::S("赵敏"), V::S("女"), V::S("1980.5.6")],
        vec![V::S(""), V::S("赵 敏"), V::S("女性"), V::D(1980, 5, 6)],
    ];
    let issues = parse(&xlsx(&headers, &rows)).unwrap_err();
    let got: Vec<(u32, &str)> = issues.iter().map(|i| (i.row, i.column.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (3, "性别"),
            (3, "职业类别"),
            (5, "姓名"),
            (5, "公开联系方式"),
            (5, "手机号码"),
            (5, "县人大代表届次"),
            (6, "县人大代表届次"),
            (6, "编号"),
            (7, "编号"),
            (7, "姓名"),
            (9, "姓名"),
        ],
        "{issues:#?}"
    );
    assert_eq!(issues[7].reason, "编号 1 与第 2 行重复");
    assert_eq!(issues[10].reason, "与第 8 行重复（姓名和出生日期相同）");
    assert!(issues.iter().all(|i| !i.reason.is_empty()));
}

#[test]
fn float_damaged_phone_is_reported() {
    let rows = vec![
        vec![V::S("张伟"), V::S("男"), V::N(1.38053e10)],
        vec![V::S("李娜"), V::S("女"), V::S("1.38053E+10")],
        vec![V::S("王芳"), V::S("女"), V::N(13805312345.0)],
        vec![V::S("赵敏"), V::S("女"), V::S("138 0531 2346")],
    ];
    let issues = parse(&xlsx(&["姓名", "性别", "手机号码"], &rows)).unwrap_err();
    assert_eq!(issues.len(), 2, "{issues:?}");
    for (issue, row) in issues.iter().zip([2, 3]) {
        assert_eq!(issue.row, row);
        assert_eq!(issue.column, "手机号码");
        assert_eq!(issue.reason, MSG_PHONE_DAMAGED);
    }
    let ok = parse(&xlsx(&["姓名", "性别", "手机号码"], &rows[2..])).unwrap();
    assert_eq!(ok[0].mobile.as_deref(), Some("13805312345"));
    assert_eq!(ok[1].mobile.as_deref(), Some("13805312346"));
}

#[test]
fn mobiles_must_be_chinese_mobiles() {
    let rows = vec![
        vec![V::S("张伟"), V::S("男"), V::S("12812345678")],
        vec![V::S("李娜"), V::S("女"), V::N(10812345678.0)],
        vec![V::S("王芳"), V::S("女"), V::S("1391234567")],
        vec![V::S("赵敏"), V::S("女"), V::S("+86 199 1234 5678")],
    ];
    let issues = parse(&xlsx(&["姓名", "性别", "手机号码"], &rows)).unwrap_err();
    assert_eq!(issues.iter().map(|i| i.row).collect::<Vec<_>>(), [2, 3, 4], "{issues:?}");
    assert!(issues.iter().all(|i| i.column == "手机号码" && i.reason.contains("第二位为 3 至 9")), "{issues:?}");
    let ok = parse(&xlsx(&["姓名", "性别", "手机号码"], &rows[3..])).unwrap();
    assert_eq!(ok[0].mobile.as_deref(), Some("19912345678"));
}

#[test]
fn not_an_xlsx() {
    for bytes in [&b"hello, world"[..], b"", b"PK\x03\x04garbage"] {
        assert_eq!(parse(bytes).unwrap_err(), vec![RowIssue::new(0, "", "文件不是有效的 Excel（.xlsx）文件")]);
    }
}

#[test]
fn missing_required_header() {
    let bytes = xlsx(&["编号", "名字", "民族"], &[vec![V::N(1.0), V::S("张伟"), V::S("汉")]]);
    let issues = parse(&bytes).unwrap_err();
    assert_eq!(
        issues,
        vec![RowIssue::new(1, "姓名", "缺少必填列「姓名」"), RowIssue::new(1, "性别", "缺少必填列「性别」")]
    );
}

#[test]
fn shuffled_columns_with_extras_and_marked_headers() {
    let headers =
        ["备注", " 性 别* ", "县代表团／选区", "姓名（必填）", "序号", "县人大代表届次", "民族", "专业特长", "编号"];
    let rows = vec![vec![
        V::S("无"),
        V::S("女性"),
        V::S("第三选区"),
        V::S("\u{3000}阿依古丽.买买提\u{a0}"),
        V::N(1.0),
        V::S("第19届"),
        V::S("维吾尔"),
        V::S("法律，农业 ; 法律/调解"),
        V::N(42.0),
    ]];
    let rows: Vec<Vec<V>> = rows.into_iter().chain([vec![V::S(""), V::S(""), V::S(""), V::S(""), V::N(2.0)]]).collect();
    let parsed = parse(&xlsx(&headers, &rows)).unwrap();
    assert_eq!(parsed.len(), 1);
    let r = &parsed[0];
    assert_eq!(r.row, 2);
    assert_eq!(r.id, Some(42));
    assert_eq!(r.name, "阿依古丽·买买提");
    assert_eq!(r.gender, Gender::Female);
    assert_eq!(r.ethnicity, "维吾尔族");
    assert_eq!(r.expertise, ["法律", "农业", "调解"]);
    assert_eq!(r.mandates, vec![mandate(Level::County, 19, "第三选区")]);
}

#[test]
fn defaults_and_normalisation() {
    let bytes = xlsx(
        &["姓名", "性别", "民族", "编号"],
        &[vec![V::S("张伟"), V::S("男"), V::S(""), V::S("15")], vec![V::S("李娜"), V::S("女"), V::S("汉"), V::S("")]],
    );
    let parsed = parse(&bytes).unwrap();
    assert_eq!(parsed[0].ethnicity, "汉族");
    assert_eq!(parsed[0].id, Some(15));
    assert_eq!(parsed[1].ethnicity, "汉族");
    assert_eq!(parsed[1].id, None);
    for bad in ["0", "-3", "1.5"] {
        let bytes = xlsx(&["姓名", "性别", "编号"], &[vec![V::S("张伟"), V::S("男"), V::S(bad)]]);
        assert_eq!(parse(&bytes).unwrap_err()[0].column, "编号", "{bad}");
    }
    let bytes = xlsx(&["姓名", "性别", "编号"], &[vec![V::S("张伟"), V::S("男"), V::N(-1.0)]]);
    assert_eq!(parse(&bytes).unwrap_err()[0].column, "编号");
}

#[test]
fn title_row_above_header_is_tolerated() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "某某县第十九届人大代表名册").unwrap();
    ws.write_string(1, 0, "姓名").unwrap();
    ws.write_string(1, 1, "性别").unwrap();
    ws.write_string(2, 0, "张伟").unwrap();
    ws.write_string(2, 1, "男").unwrap();
    let parsed = parse(&wb.save_to_buffer().unwrap()).unwrap();
    assert_eq!(parsed[0].row, 3);
}

#[test]
fn template_parses_as_no_data() {
    let t = template();
    assert_eq!(parse(&t).unwrap_err(), vec![RowIssue::new(0, "", "文件中没有代表数据")]);
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(t)).unwrap();
    assert_eq!(wb.sheet_names(), [SHEET_NAME, HELP_SHEET_NAME]);
    let header = wb.worksheet_range(SHEET_NAME).unwrap();
    assert_eq!(header.height(), 1);
    let got: Vec<String> = header.rows().next().unwrap().iter().map(cell_text).collect();
    assert_eq!(got, headers());
    let help = wb.worksheet_range(HELP_SHEET_NAME).unwrap();
    let text: Vec<String> = help.rows().flat_map(|r| r.iter().map(cell_text)).collect();
    for h in headers() {
        assert!(text.contains(&h), "help lacks {h}");
    }
    assert!(parse(&write(&[])).is_err());
}

#[test]
fn excel_error_cell_is_reported() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "姓名").unwrap();
    ws.write_string(0, 1, "性别").unwrap();
    ws.write_string(0, 2, "工作单位及职务").unwrap();
    ws.write_string(1, 0, "张伟").unwrap();
    ws.write_string(1, 1, "男").unwrap();
    ws.write_formula(1, 2, rust_xlsxwriter::Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
    let issues = parse(&wb.save_to_buffer().unwrap()).unwrap_err();
    assert_eq!((issues[0].row, issues[0].column.as_str()), (2, "工作单位及职务"), "{issues:?}");
}
