//! REG-8 through the console: one upload reports every problem of the file at once; a clean
//! file is shown first as a preview of what it will change (new / changed / unchanged), and
//! only the confirmation writes it — the very bytes previewed, and only if they still do what
//! the preview showed.

use axum::http::StatusCode;
use renda::db;
use renda::registry::roster;

use crate::demo_test;
use crate::support::*;

const PAGE: &str = "/console/registry/import";

async fn persons(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM persons", vec![]).await.unwrap()
}

async fn work_unit(app: &TestApp, id: i64) -> String {
    renda::registry::persons::person(app.db(), id).await.unwrap().unwrap().work_unit
}

/// The staff's roster as exported in full (the permission asked for), parsed back.
async fn exported(b: &mut Browser<'_>) -> Vec<roster::RosterRow> {
    let r = b.get("/console/registry/import/roster?private=full").await;
    assert_eq!(r.status, StatusCode::OK);
    roster::parse(&r.bytes).unwrap()
}

async fn every_problem_of_a_file_at_once_then_a_preview_then_the_write(app: TestApp) {
    let mut staff = app.login("staff").await;
    let rows = exported(&mut staff).await;
    let before = persons(&app).await;

    // A file with problems of both kinds in one row (a bad mobile number, found in the cell; an
    // unknown station, found against the database) and another in a second row: all listed.
    let mut bad = rows[..3].to_vec();
    bad[0].masked = Default::default();
    bad[0].mobile = Some("12345678901".into());
    bad[0].birth_date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1);
    bad[0].station = "没有这个联络站".into();
    bad[2].township = "火星镇".into();
    let r = staff.upload(PAGE, "file", "名册.xlsx", &roster::write(&bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let issues: Vec<String> = r.texts(".issues tbody tr");
    let has = |row: &str, col: &str| issues.iter().any(|i| i.contains(row) && i.contains(col));
    assert!(has("第 2 行", "手机号码"), "{issues:?}");
    assert!(has("第 2 行", "进站联络站"), "{issues:?}");
    assert!(has("第 4 行", "所在镇街"), "{issues:?}");
    assert!(!issues.iter().any(|i| i.contains("第 3 行")), "the good row has none: {issues:?}");
    assert!(r.texts(".preview").is_empty(), "no preview for a bad file");
    assert_eq!(persons(&app).await, before);

    // A clean file: one row changed, one new, the rest unchanged — previewed, nothing written.
    let mut good = rows.clone();
    let target = good[1].id.unwrap();
    good[1].work_unit = "城关街道卫生院院长".into();
    let mut new = rows[0].clone();
    new.id = None;
    new.masked = Default::default();
    new.name = "欧阳晓岚".into();
    new.birth_date = chrono::NaiveDate::from_ymd_opt(1988, 3, 9);
    new.mobile = Some("13912345678".into());
    good.push(new);
    let file = roster::write(&good);
    let preview = staff.upload(PAGE, "file", "名册.xlsx", &file).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let summary = preview.texts(".preview .summary").concat();
    assert!(summary.contains("新增 1 人"), "{summary}");
    assert!(summary.contains("修改 1 人"), "{summary}");
    assert!(summary.contains(&format!("{} 人不变", rows.len() - 1)), "{summary}");
    let listed = preview.texts(".plan tbody tr");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().any(|r| r.contains(&target.to_string()) && r.contains("工作单位及职务")), "{listed:?}");
    assert!(listed.iter().any(|r| r.contains("欧阳晓岚") && r.contains("新增")), "{listed:?}");
    assert_eq!(persons(&app).await, before, "a preview writes nothing");
    assert_ne!(work_unit(&app, target).await, "城关街道卫生院院长");

    // Another account cannot confirm this preview.
    let hidden = |name: &str| {
        let sel = scraper::Selector::parse(&format!("input[name={name}]")).unwrap();
        preview.html().select(&sel).next().unwrap().value().attr("value").unwrap().to_string()
    };
    let (staged, plan) = (hidden("staged"), hidden("plan"));
    let mut admin = app.login("admin").await;
    let theirs = admin.post("/console/registry/import/confirm", &[("staged", &staged), ("plan", &plan)]).await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", theirs.body);
    assert_eq!(persons(&app).await, before);

    // Confirmed: written as previewed.
    let done = staff.submit(&preview, "form[action='/console/registry/import/confirm']", &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.header("location"), Some("/console/registry/deputies"));
    assert_eq!(persons(&app).await, before + 1);
    assert_eq!(work_unit(&app, target).await, "城关街道卫生院院长");
    let n = db::scalar_i64(app.db(), "SELECT count(*) FROM staged_files", vec![]).await.unwrap();
    assert_eq!(n, 0, "the staged file is gone once confirmed");
    // A second confirmation of the same preview finds nothing to import.
    let again = staff.submit(&preview, "form[action='/console/registry/import/confirm']", &[]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.body);
    assert!(again.body.contains("已过期或已经导入"), "{}", again.body);
    assert_eq!(persons(&app).await, before + 1);
}
demo_test!(every_problem_of_a_file_at_once_then_a_preview_then_the_write);

/// What the preview showed is what is written: when the database changed in between, the
/// confirmation shows the fresh preview instead of writing something else.
async fn a_preview_gone_stale_is_shown_again(app: TestApp) {
    let mut staff = app.login("staff").await;
    let mut rows = exported(&mut staff).await;
    let target = rows[0].id.unwrap();
    rows[0].work_unit = "密州街道办事处主任".into();
    let preview = staff.upload(PAGE, "file", "名册.xlsx", &roster::write(&rows)).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.texts(".preview .summary").concat().contains("修改 1 人"));
    // Someone makes the same change by hand meanwhile.
    db::exec(
        app.db(),
        "UPDATE persons SET work_unit = $1 WHERE id = $2",
        vec!["密州街道办事处主任".into(), target.into()],
    )
    .await
    .unwrap();
    let audit = db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log", vec![]).await.unwrap();
    let fresh = staff.submit(&preview, "form[action='/console/registry/import/confirm']", &[]).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    assert!(fresh.body.contains("预览之后名册已有变动"), "{}", fresh.body);
    assert!(fresh.texts(".preview .summary").concat().contains("修改 0 人"));
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log", vec![]).await.unwrap(), audit);
    // Confirming the fresh preview imports (nothing to change but the import's own entry).
    let done = staff.submit(&fresh, "form[action='/console/registry/import/confirm']", &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log", vec![]).await.unwrap(), audit + 1);
    // Crafted confirmations: no number, someone's guess, a view-only role.
    for staged in ["", "abc", "999999"] {
        let r = staff.post("/console/registry/import/confirm", &[("staged", staged), ("plan", "x")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{staged}: {}", r.body);
    }
}
demo_test!(a_preview_gone_stale_is_shown_again);
