//! Issue 15, Import: last year's suggestions and their replies from a county's sheet — a merged
//! title row and a blank row above a messy header, numbers as text and as 「第12号」, padded
//! names, a 「主办：…；协办：…」 units cell, co-signers in a list — previewed, then written through
//! the service and the loop with the state the data says; a bad row stores nothing and the
//! report names its cell; a CSV comes in the same way; the same file twice is refused.

use axum::http::StatusCode;
use renda::db;
use rust_xlsxwriter::{Format, Workbook};

use crate::demo_test;
use crate::support::{Browser, Resp, TestApp};

const PAGE: &str = "/console/suggestions/import";
const CONFIRM: &str = "form[action='/console/suggestions/import/confirm']";

/// What a sheet is written about: three deputies of the staff's congress with names no one else
/// there has, and two of its units (name, and the name without the county in front).
struct County {
    deputies: Vec<(i64, String)>,
    units: Vec<(i64, String)>,
}

async fn county(app: &TestApp) -> County {
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let deputies = db::query_rows(
        app.db(),
        "SELECT min(p.id), p.name FROM mandates m JOIN persons p ON p.id = m.person_id WHERE m.organ_id = $1 \
         GROUP BY p.name HAVING count(DISTINCT p.id) = 1 ORDER BY min(p.id) LIMIT 3",
        vec![organ.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
    .collect::<Vec<(i64, String)>>();
    assert_eq!(deputies.len(), 3);
    let units = db::query_rows(
        app.db(),
        "SELECT id, name FROM handling_units WHERE organ_id = $1 AND active = true ORDER BY id LIMIT 2",
        vec![organ.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
    .collect::<Vec<(i64, String)>>();
    assert_eq!(units.len(), 2);
    County { deputies, units }
}

/// A name padded as counties pad two-character names in their tables.
fn padded(name: &str) -> String {
    name.chars().map(|c| c.to_string()).collect::<Vec<_>>().join("\u{3000}")
}

/// The sheet: a merged title row, a blank row, the header, then one row per suggestion
/// (number, title, lead, co-signers, category, units, class, satisfaction).
fn workbook(rows: &[[String; 8]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.merge_range(0, 0, 0, 7, "2025年县人大代表建议办理情况汇总表", &Format::new()).unwrap();
    for (i, h) in
        ["序　号", " 案 由 ", "领衔代表", "联名代表", "类别", "承办单位：", "答复类别", "代表满意度"].iter().enumerate()
    {
        ws.write_string(2, i as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let at = 3 + r as u32;
        for (c, v) in row.iter().enumerate() {
            // Some numbers typed as numbers, others stored as text.
            match v.parse::<f64>() {
                Ok(n) if c == 0 => ws.write_number(at, 0, n).unwrap(),
                _ => ws.write_string(at, c as u16, v).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

fn row(cells: [&str; 8]) -> [String; 8] {
    cells.map(str::to_string)
}

async fn suggestions(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM suggestions", vec![]).await.unwrap()
}

/// (state of the loop or stage, number of co-signers) of the 2025 session's suggestion `n`.
async fn imported(app: &TestApp, n: i64) -> (i64, String, i64) {
    let r = db::query_rows(
        app.db(),
        "SELECT sg.id, COALESCE(i.state, sg.stage), (SELECT count(*) FROM suggestion_cosigners k WHERE k.suggestion_id = sg.id \
         AND k.confirmed_at IS NOT NULL) FROM suggestions sg JOIN suggestion_sessions ss ON ss.id = sg.session_id \
         LEFT JOIN handling_items i ON i.id = sg.item_id WHERE ss.year = 2025 AND ss.kind = 'session' AND sg.number = $1",
        vec![n.into()],
    )
    .await
    .unwrap();
    let r = r.first().unwrap_or_else(|| panic!("第{n}号 not imported"));
    (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap())
}

async fn upload(b: &mut Browser<'_>, name: &str, bytes: &[u8]) -> Resp {
    b.upload_with(PAGE, &[("year", "2025")], "file", name, bytes).await
}

async fn a_county_sheet_comes_in_with_its_replies(app: TestApp) {
    let c = county(&app).await;
    let (a, b, d) = (&c.deputies[0].1, &c.deputies[1].1, &c.deputies[2].1);
    let (lead_unit, assist_unit) = (&c.units[0].1, &c.units[1].1);
    let units = format!("主办：{lead_unit}；协办：{assist_unit}");
    let file = workbook(&[
        row([
            "第1号",
            "关于修缮城区排水管网的建议",
            &padded(a),
            &format!("{b}、{d}"),
            "城乡建设",
            &units,
            "A类",
            "满意",
        ]),
        row(["2", "关于增设农村客运班线的建议", b, "", "交通运输", lead_unit, "B", ""]),
        row(["3", "关于建设老年食堂的建议", d, a, "社会事业", &format!("{lead_unit}、{assist_unit}"), "留作参考", ""]),
        row(["4", "关于规范校外培训的建议", a, "", "教育", lead_unit, "", ""]),
        row(["5", "关于整治河道污染的建议", b, "", "生态环境", lead_unit, "A", "不满意"]),
        row(["6", "关于完善社区服务的建议", d, "", "", "", "", ""]),
    ]);
    let before = suggestions(&app).await;
    let mut staff = app.login("staff").await;
    let preview = upload(&mut staff, "2025年建议.xlsx", &file).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let summary = preview.texts(".preview .summary").concat();
    assert!(summary.contains("6 件"), "{summary}");
    let listed = preview.texts(".plan tbody tr");
    assert_eq!(listed.len(), 6, "{listed:?}");
    assert!(listed[0].contains("已办结") && listed[0].contains("A"), "{listed:?}");
    assert!(listed[1].contains("跟踪办理"), "{listed:?}");
    assert_eq!(suggestions(&app).await, before, "a preview writes nothing");

    let done = staff.submit(&preview, CONFIRM, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(suggestions(&app).await, before + 6);

    // States from the data: rated → closed; B → followed; C unrated → replied; no reply →
    // assigned; the lead's 不满意 → 二次办理 (the loop's rule); no units → registered.
    let (first, state, cosigners) = imported(&app, 1).await;
    assert_eq!((state.as_str(), cosigners), ("closed", 2));
    assert_eq!(imported(&app, 2).await.1, "following");
    assert_eq!(imported(&app, 3).await.1, "replied");
    assert_eq!(imported(&app, 4).await.1, "assigned");
    assert_eq!(imported(&app, 5).await.1, "rehandling");
    assert_eq!(imported(&app, 6).await.1, "received");
    let (third, _, _) = imported(&app, 3).await;

    // The units with their roles, the class of the reply, the lead's two ratings.
    let item = |id: i64| db::scalar_i64(app.db(), "SELECT item_id FROM suggestions WHERE id = $1", vec![id.into()]);
    let item1 = item(first).await.unwrap();
    let roles = db::query_rows(
        app.db(),
        "SELECT unit_id, role FROM handling_assignments WHERE item_id = $1 AND round = 1 ORDER BY id",
        vec![item1.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index::<i64>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap()))
    .collect::<Vec<_>>();
    assert_eq!(roles, [(c.units[0].0, "lead".to_string()), (c.units[1].0, "assist".to_string())]);
    let outcome = db::query_rows(
        app.db(),
        "SELECT outcome, unit_id FROM handling_replies WHERE item_id = $1",
        vec![item1.into()],
    )
    .await
    .unwrap();
    assert_eq!(outcome.len(), 1, "only the 主办 unit replies");
    assert_eq!(outcome[0].try_get_by_index::<String>(0).unwrap(), "resolved");
    let ratings = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM handling_ratings WHERE item_id = $1 AND grade = 'satisfied' AND person_id = $2",
        vec![item1.into(), c.deputies[0].0.into()],
    )
    .await
    .unwrap();
    assert_eq!(ratings, 2, "答复 and 办理结果, by the lead");
    let item3 = item(third).await.unwrap();
    let class3 = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM handling_replies WHERE item_id = $1 AND outcome = 'cannot_resolve'",
        vec![item3.into()],
    )
    .await
    .unwrap();
    assert_eq!(class3, 1, "「留作参考」 is class C");
    let roles3 = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM handling_assignments WHERE item_id = $1 AND unit_id = $2 AND role = 'assist'",
        vec![item3.into(), c.units[1].0.into()],
    )
    .await
    .unwrap();
    assert_eq!(roles3, 1, "「A、B」: the first leads, the second assists");

    // The series of 2025 keeps the sheet's numbers; the next number given moves past them.
    let next = db::scalar_i64(
        app.db(),
        "SELECT next_number FROM suggestion_sessions WHERE year = 2025 AND kind = 'session' AND organ_id = \
         (SELECT organ_id FROM accounts WHERE username = 'staff')",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(next, 7);
    let audited = db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'suggestion_import'", vec![])
        .await
        .unwrap();
    assert_eq!(audited, 7, "each suggestion and the import");

    // The same file again: every number is taken, nothing is written.
    let again = upload(&mut staff, "2025年建议.xlsx", &file).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.body);
    assert!(again.body.contains("已有第1号建议"), "{}", again.body);
    assert_eq!(suggestions(&app).await, before + 6);
}
demo_test!(a_county_sheet_comes_in_with_its_replies);

async fn a_bad_row_stores_nothing_and_names_its_cell(app: TestApp) {
    let c = county(&app).await;
    let (a, b) = (&c.deputies[0].1, &c.deputies[1].1);
    let lead_unit = &c.units[0].1;
    let file = workbook(&[
        row(["1", "关于修缮城区排水管网的建议", a, b, "城乡建设", lead_unit, "A", "满意"]),
        row(["2", "关于增设农村客运班线的建议", "查无此人", "", "交通运输", lead_unit, "B", ""]),
        row(["3", "关于建设老年食堂的建议", a, "", "", "不存在的单位", "D", "一般"]),
        row(["3", "关于规范校外培训的建议", b, "", "", "", "", "满意"]),
    ]);
    let before = suggestions(&app).await;
    let mut staff = app.login("staff").await;
    let r = upload(&mut staff, "有问题.xlsx", &file).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let issues = r.texts(".issues tbody tr");
    let has = |cell: &str, words: &str| issues.iter().any(|i| i.contains(cell) && i.contains(words));
    assert!(has("C5", "查无此人"), "{issues:?}");
    assert!(has("F6", "不存在的单位"), "{issues:?}");
    assert!(has("G6", "“D”无法识别"), "{issues:?}");
    assert!(has("H6", "“一般”无法识别"), "{issues:?}");
    assert!(has("A7", "与第 6 行重复"), "{issues:?}");
    assert!(has("H7", "没有答复类别"), "{issues:?}");
    assert!(r.html().select(&scraper::Selector::parse(CONFIRM).unwrap()).next().is_none(), "no confirmation offered");
    assert_eq!(suggestions(&app).await, before, "nothing stored");
    let staged = db::scalar_i64(app.db(), "SELECT count(*) FROM staged_files", vec![]).await.unwrap();
    assert_eq!(staged, 0);
}
demo_test!(a_bad_row_stores_nothing_and_names_its_cell);

async fn a_csv_with_separate_unit_columns(app: TestApp) {
    let c = county(&app).await;
    let (a, b) = (&c.deputies[0].1, &c.deputies[1].1);
    let csv = format!(
        "\u{feff}编号,标题,提出人,联名代表,主办单位,协办单位,答复类别,答复满意度,办理满意度,年度,会议\r\n\
         第7号,关于加强食品安全监管的建议,{a},{b},{},{},A,满意,基本满意,2024,闭会期间\r\n",
        c.units[0].1, c.units[1].1
    );
    let before = suggestions(&app).await;
    let mut staff = app.login("staff").await;
    let preview = upload(&mut staff, "闭会期间.csv", csv.as_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let done = staff.submit(&preview, CONFIRM, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(suggestions(&app).await, before + 1);
    let r = db::query_rows(
        app.db(),
        "SELECT ss.kind, ss.year, sg.number, sg.source, i.state FROM suggestions sg JOIN suggestion_sessions ss ON ss.id = sg.session_id \
         JOIN handling_items i ON i.id = sg.item_id WHERE sg.title = '关于加强食品安全监管的建议'",
        vec![],
    )
    .await
    .unwrap();
    let r = &r[0];
    let got: (String, i64, i64, String, String) = (
        r.try_get_by_index(0).unwrap(),
        r.try_get_by_index(1).unwrap(),
        r.try_get_by_index(2).unwrap(),
        r.try_get_by_index(3).unwrap(),
        r.try_get_by_index(4).unwrap(),
    );
    assert_eq!(got, ("recess".into(), 2024, 7, "recess".into(), "closed".into()));
    let grades = db::query_rows(
        app.db(),
        "SELECT aspect, grade FROM handling_ratings WHERE item_id = (SELECT item_id FROM suggestions WHERE title = '关于加强食品安全监管的建议') ORDER BY aspect",
        vec![],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap()))
    .collect::<Vec<_>>();
    assert_eq!(
        grades,
        [("reply".to_string(), "satisfied".to_string()), ("result".to_string(), "basically_satisfied".to_string())]
    );
}
demo_test!(a_csv_with_separate_unit_columns);

async fn only_the_organs_staff_import(app: TestApp) {
    for who in ["leader", "unit", "deputy"] {
        let mut b = app.login(who).await;
        let r = b.get(PAGE).await;
        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{who}: {}", r.status);
    }
    let mut staff = app.login("staff").await;
    let r = staff.get(PAGE).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("历史建议导入"));
}
demo_test!(only_the_organs_staff_import);
