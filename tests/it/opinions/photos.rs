//! OPN-2: a submitter adds photos after submitting (the text is stored first), checked by
//! content and size, at most three, seen only by those who may see the item.

use axum::http::StatusCode;
use renda::db;

use crate::demo_test;
use crate::support::TestApp;

async fn photos(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM attachments WHERE owner_type = 'opinion'", vec![]).await.unwrap()
}

demo_test!(a_submitter_adds_photos_that_only_handlers_see);
async fn a_submitter_adds_photos_that_only_handlers_see(app: TestApp) {
    let mut citizen = app.browser().await;
    let page = citizen.get("/opinions/new").await;
    assert_eq!(page.status, StatusCode::OK);
    let r = citizen.post("/opinions/new", &[("content", "桥头的护栏断了一截，晚上骑车很危险，请尽快修复。")]).await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.texts("#photo-add").len(), 1, "the receipt offers to add photos");
    assert!(!r.body.contains("_csrf="), "the CSRF token travels in the form, never in an address");
    let no = r.texts("#tracking-no")[0].clone();
    let code = r.texts("#query-code")[0].clone();
    let before = photos(&app).await;
    let fields = [("no", no.as_str()), ("code", code.as_str())];

    // A PDF named .jpg, or an empty file: refused by content, nothing stored.
    let r = citizen.upload_with("/track/photo", &fields, "file", "现场.jpg", b"%PDF-1.4 x").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("JPG"), "{}", r.body);
    let r = citizen.upload_with("/track/photo", &fields, "file", "空.jpg", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A wrong code opens nothing.
    let png = renda::qr::qr_png("http://example/photo", 4).unwrap();
    let r = citizen.upload_with("/track/photo", &[("no", &no), ("code", "ZZZZZZ")], "file", "a.png", &png).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Too big: over the configured limit.
    let mut big = png.clone();
    big.resize(app.state.config.attachments_max_bytes + 1, 0);
    let r = citizen.upload_with("/track/photo", &fields, "file", "big.png", &big).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(photos(&app).await, before);

    // Three real photos go in; the fourth is refused.
    for i in 1..=3 {
        let r = citizen.upload_with("/track/photo", &fields, "file", "现场.png", &png).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body.contains(&format!("共 {i} 张")), "{}", r.body);
    }
    let r = citizen.upload_with("/track/photo", &fields, "file", "现场.png", &png).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(photos(&app).await, before + 3);

    // Staff see them on the item page and may open them; the public and a unit may not.
    let id = db::scalar_i64(app.db(), "SELECT id FROM opinions WHERE tracking_no = $1", vec![no.clone().into()])
        .await
        .unwrap();
    let file = db::scalar_i64(
        app.db(),
        "SELECT min(id) FROM attachments WHERE owner_type = 'opinion' AND owner_id = $1",
        vec![id.to_string().into()],
    )
    .await
    .unwrap();
    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/opinions/{id}")).await;
    assert!(page.body.contains(&format!("/files/{file}")), "{}", page.body);
    let r = staff.get(&format!("/files/{file}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), Some("private, no-store"));
    let mut anyone = app.browser().await;
    assert_eq!(anyone.get(&format!("/files/{file}")).await.status, StatusCode::NOT_FOUND);
    let mut unit = app.login("unit").await;
    assert_eq!(unit.get(&format!("/files/{file}")).await.status, StatusCode::NOT_FOUND);
}

demo_test!(a_unit_attaches_a_file_to_a_progress_note);
async fn a_unit_attaches_a_file_to_a_progress_note(app: TestApp) {
    use renda::auth::Scope;
    use serde_json::json;
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "河堤步道的路灯一到晚上就不亮，散步的老人很多。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    let id = db::scalar_i64(app.db(), "SELECT id FROM opinions WHERE tracking_no = $1", vec![no.clone().into()])
        .await
        .unwrap();
    let item = db::scalar_i64(app.db(), "SELECT item_id FROM opinions WHERE id = $1", vec![id.into()]).await.unwrap();
    let unit = super::demo_unit(&app).await;
    let staff_token = app.token("staff", Scope::Write).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/assign"),
            Some(&staff_token),
            Some(json!({"units": [{"unit_id": unit, "role": "lead"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let mut u = app.login("unit").await;
    let path = format!("/console/handling/{item}/progress");
    // An HTML page named .pdf is refused by content, and no note is written either.
    let events = || async {
        db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM handling_events WHERE item_id = $1 AND step = 'progress'",
            vec![item.into()],
        )
        .await
        .unwrap()
    };
    let r = u.upload_with(&path, &[("text", "已派人查看")], "file", "通知.pdf", b"<html><script>x</script>").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(events().await, 0);
    // A note without a file, then one with a PDF.
    let r = u.upload_with(&path, &[("text", "已派人现场查看线路")], "file", "", b"").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let r = u.upload_with(&path, &[("text", "维修完成，附验收单")], "file", "验收单.pdf", pdf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(events().await, 2);
    let file = db::scalar_i64(
        app.db(),
        "SELECT id FROM attachments WHERE owner_type = 'handling_item' AND owner_id = $1",
        vec![item.to_string().into()],
    )
    .await
    .unwrap();
    // Staff see the note and the file; the public does not.
    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/opinions/{id}")).await;
    assert!(page.texts("#files")[0].contains("验收单.pdf"), "{}", page.body);
    assert!(!page.body.contains("_csrf="), "no token in a form's address");
    assert!(page.body.contains("附件：验收单.pdf"));
    assert_eq!(staff.get(&format!("/files/{file}")).await.status, StatusCode::OK);
    assert_eq!(app.browser().await.get(&format!("/files/{file}")).await.status, StatusCode::NOT_FOUND);
    // A unit not on the item cannot add notes to it.
    let mut leader = app.login("leader").await;
    let r = leader.upload_with(&path, &[("text", "x")], "file", "", b"").await;
    assert!(r.status.is_client_error(), "{}", r.status);
}
