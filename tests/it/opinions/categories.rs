//! OPN-2: the category taxonomy is the installation's — the admin adds a category (offered at
//! once in the public form, the console, the API and Open311 as a `service_code`), orders it,
//! and retires it (no longer offered or accepted, but the opinions filed under it keep it and
//! are still found by it). Bad input is a 422 that keeps what was typed; others may not edit.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use crate::demo_test;
use crate::support::TestApp;

const PAGE: &str = "/console/opinions/categories";

async fn category_id(app: &TestApp, name: &str) -> i64 {
    db::scalar_i64(app.db(), "SELECT id FROM opinion_categories WHERE name = $1", vec![name.into()]).await.unwrap()
}

demo_test!(the_admin_keeps_the_taxonomy_and_every_channel_follows);
async fn the_admin_keeps_the_taxonomy_and_every_channel_follows(app: TestApp) {
    for who in ["staff", "unit", "deputy", "keeper"] {
        let mut b = app.login(who).await;
        let r = b.get(PAGE).await;
        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{who}: {}", r.status);
        let r = b.post(PAGE, &[("name", "供水供气"), ("code", "water_gas")]).await;
        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{who}: {}", r.status);
    }
    let mut admin = app.login("admin").await;
    let page = admin.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts(".categories .name").len(), 11, "the default taxonomy");
    assert!(admin.get("/console").await.body.contains(PAGE), "in the admin's menu");

    // Bad input: every field's message at once, what was typed kept, nothing stored.
    let r = admin.post(PAGE, &[("name", "城乡建设"), ("code", "Water Gas")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.texts(".field-error");
    assert!(errors.iter().any(|e| e.contains("已有类别")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("小写字母")), "{errors:?}");
    assert!(r.body.contains("value=\"Water Gas\""));
    let r = admin.post(PAGE, &[("name", "供水供气"), ("code", "urban_rural")]).await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("已被「城乡建设」使用")));
    let n = db::scalar_i64(app.db(), "SELECT count(*) FROM opinion_categories", vec![]).await.unwrap();
    assert_eq!(n, 11);

    // Added: offered in the public form and the console entry, accepted by the API, listed by
    // Open311 with its code, audited.
    let r = admin.post(PAGE, &[("name", "供水供气"), ("code", "water_gas")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut citizen = app.browser().await;
    let form = citizen.get("/opinions/new").await;
    assert!(form.texts("#category option").iter().any(|o| o == "供水供气"), "{:?}", form.texts("#category option"));
    let entry = admin.get("/console/opinions/new").await;
    assert!(entry.texts("#category option").iter().any(|o| o == "供水供气"));
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "小区自来水水压太低，高层住户经常停水。", "category": "供水供气"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    let services = app.api("GET", "/open311/v2/services.json", None, None).await.json();
    let codes: Vec<&str> = services.as_array().unwrap().iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"water_gas"), "{codes:?}");
    let audited = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'opinion_category_add' AND summary LIKE '%供水供气%'",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Moved up: the list's order changes, and the forms follow it.
    let id = category_id(&app, "供水供气").await;
    let r = admin.post(&format!("{PAGE}/{id}/up"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let names = admin.get(PAGE).await.texts(".categories .name");
    assert_eq!(names[10], "供水供气", "{names:?}");
    assert_eq!(names[11], "其他", "{names:?}");

    // Retired: no longer offered or accepted; the opinion filed under it keeps it and is found by it.
    let r = admin.post(&format!("{PAGE}/{id}/toggle"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let form = citizen.get("/opinions/new").await;
    assert!(!form.texts("#category option").iter().any(|o| o == "供水供气"));
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "小区自来水水压太低，经常停水没人管。", "category": "供水供气"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let services = app.api("GET", "/open311/v2/services.json", None, None).await.json();
    assert!(!services.as_array().unwrap().iter().any(|s| s["service_code"] == "water_gas"));
    let kept: String =
        db::query_rows(app.db(), "SELECT category FROM opinions WHERE tracking_no = $1", vec![no.clone().into()])
            .await
            .unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert_eq!(kept, "供水供气");
    let list = admin.get("/console/opinions?category=%E4%BE%9B%E6%B0%B4%E4%BE%9B%E6%B0%94").await;
    assert!(list.body.contains(&no), "a retired category still finds its opinions");
    // Brought back.
    admin.post(&format!("{PAGE}/{id}/toggle"), &[]).await;
    assert!(citizen.get("/opinions/new").await.texts("#category option").iter().any(|o| o == "供水供气"));
    // Crafted ids: 404, nothing changed.
    for bad in ["0", "abc", "999999"] {
        let r = admin.post(&format!("{PAGE}/{bad}/toggle"), &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }
}
