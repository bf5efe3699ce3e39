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
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.texts("#photo-add").len(), 1, "the receipt offers to add photos");
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
