//! One text rule (issue 20): invisible characters — bidi marks, zero-width characters, Unicode
//! tag characters, the U+2028/U+2029 separators — are refused in every field of a public
//! form, a console form, a JSON body and the imports that read files, each with a Chinese
//! message naming what is wrong, and nothing is stored. A joiner inside an emoji is allowed.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use crate::demo_test;
use crate::support::TestApp;

/// Each kind of character, and a word its message contains.
const BAD: &[(&str, &str)] = &[
    ("\u{200E}", "文字方向"),
    ("\u{200F}", "文字方向"),
    ("\u{061C}", "文字方向"),
    ("\u{200B}", "零宽字符"),
    ("\u{200C}", "零宽字符"),
    ("\u{200D}", "零宽字符"),
    ("\u{2060}", "零宽字符"),
    ("\u{FEFF}", "零宽字符"),
    ("\u{E0041}", "标签字符"),
    ("\u{E007F}", "标签字符"),
    ("\u{2028}", "分隔符"),
    ("\u{2029}", "分隔符"),
];

const CONTENT: &str = "村口的路灯坏了两个月，晚上接孩子放学很不方便，请尽快修复。";

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

demo_test!(invisible_characters_are_refused_everywhere);
async fn invisible_characters_are_refused_everywhere(app: TestApp) {
    let opinions = count(&app, "SELECT count(*) FROM opinions").await;
    let categories = count(&app, "SELECT count(*) FROM opinion_categories").await;
    let mut citizen = app.browser().await;
    citizen.get("/opinions/new").await;
    let mut admin = app.login("admin").await;
    for (c, said) in BAD {
        let hidden = format!("路灯{c}不亮");
        // The public form: a one-line field and a long-text field.
        for (title, content) in [(hidden.as_str(), CONTENT), ("路灯不亮", &format!("{CONTENT}{hidden}"))] {
            let r = citizen.post("/opinions/new", &[("title", title), ("content", content)]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "U+{:04X}", c.chars().next().unwrap() as u32);
            assert!(r.body.contains(said), "U+{:04X}: {}", c.chars().next().unwrap() as u32, r.body);
        }
        // A console form.
        let r =
            admin.post("/console/opinions/categories", &[("name", &format!("供水{c}供气")), ("code", "water")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(said), "{}", r.body);
        // The JSON API, anonymous and with a token.
        let token = app.token("staff", Scope::Write).await;
        for (token, body) in [
            (None, json!({"content": format!("{CONTENT}{hidden}")})),
            (Some(&token), json!({"title": hidden, "content": CONTENT})),
        ] {
            let r = app.api("POST", "/api/v1/opinions", token.map(|t| t.as_str()), Some(body)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert!(r.json()["detail"].as_str().unwrap().contains(said), "{}", r.body);
        }
    }
    assert_eq!(count(&app, "SELECT count(*) FROM opinions").await, opinions, "nothing stored");
    assert_eq!(count(&app, "SELECT count(*) FROM opinion_categories").await, categories);

    // A family emoji (joined by U+200D) in a long text and a title is what citizens type.
    let family = "👨\u{200D}👩\u{200D}👧";
    let r = citizen
        .post("/opinions/new", &[("title", &format!("我们一家{family}")), ("content", &format!("{CONTENT}{family}"))])
        .await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&app, "SELECT count(*) FROM opinions").await, opinions + 1);
}

demo_test!(imports_report_invisible_characters_by_row);
async fn imports_report_invisible_characters_by_row(app: TestApp) {
    // 12345 work orders: the row with a zero-width space is refused in the report.
    let mut staff = app.login("staff").await;
    let r = staff
        .post(
            "/console/opinions/import/mappings",
            &[("name", "热线"), ("external_no", "工单号"), ("content", "诉求内容")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mapping = count(&app, "SELECT max(id) FROM import_mappings").await;
    let before = count(&app, "SELECT count(*) FROM opinions").await;
    let csv = format!("工单号,诉求内容\r\nRX-1,{CONTENT}\r\nRX-2,路灯\u{200B}不亮\r\nRX-3,路灯\u{E0041}不亮\r\n");
    let r =
        staff.upload(&format!("/console/opinions/import?mapping={mapping}"), "file", "工单.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rows = db::query_rows(app.db(), "SELECT external_no, outcome, reason FROM import_run_rows ORDER BY id", vec![])
        .await
        .unwrap();
    let rows: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap()))
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("RX-1", "imported"));
    assert_eq!(rows[1].1, "refused");
    assert!(rows[1].2.contains("零宽字符"), "{rows:?}");
    assert_eq!(rows[2].1, "refused");
    assert!(rows[2].2.contains("标签字符"), "{rows:?}");
    assert_eq!(count(&app, "SELECT count(*) FROM opinions").await, before + 1);

    // Areas: a name with a right-to-left mark is a row problem; nothing is written.
    let mut admin = app.login("admin").await;
    let areas = count(&app, "SELECT count(*) FROM areas").await;
    let csv = "区划代码,名称,级别,上级区划代码,纬度,经度\r\n370782990000,试验\u{200F}镇,乡镇（街道）,370782,,\r\n";
    let r = admin.upload("/console/admin/areas/import", "file", "区划.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let issues = r.texts(".issues tbody tr");
    assert!(issues.iter().any(|t| t.contains("第 2 行") && t.contains("名称") && t.contains("文字方向")), "{issues:?}");
    assert_eq!(count(&app, "SELECT count(*) FROM areas").await, areas);
}
