//! OPN-4: the word list is the admin's to edit; a word added holds the next submission that
//! contains it (never drops it); bad input is a 422 that keeps what was typed.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use super::{item_of, state_of};
use crate::demo_test;
use crate::support::TestApp;

demo_test!(the_admin_edits_the_word_list_and_it_holds);
async fn the_admin_edits_the_word_list_and_it_holds(app: TestApp) {
    // Staff, units and deputies do not edit it.
    for who in ["staff", "unit", "deputy"] {
        let mut b = app.login(who).await;
        let r = b.get("/console/opinions/words").await;
        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{who}: {}", r.status);
    }
    let mut admin = app.login("admin").await;
    let page = admin.get("/console/opinions/words").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("赌博网站"), "the default list is there");
    let home = admin.get("/console").await;
    assert!(home.body.contains("/console/opinions/words"), "in the admin's menu");

    // Too long a word: 422, the typed text kept, nothing changed.
    let long = "一".repeat(21);
    let typed = format!("传销\n{long}");
    let r = admin.post("/console/opinions/words", &[("text", &typed)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("太长") && r.body.contains(&long), "{}", r.body);
    let words = || async { db::scalar_i64(app.db(), "SELECT count(*) FROM hold_words", vec![]).await.unwrap() };
    assert_eq!(words().await, 6);

    // A new list: 传销 added, separated by 、 too; 色情 dropped; duplicates once.
    let r =
        admin.post("/console/opinions/words", &[("text", "法轮\n代开发票、办假证\n赌博网站\n枪支\n传销\n传销")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(words().await, 6);
    let summary: String = db::query_rows(
        app.db(),
        "SELECT summary FROM audit_log WHERE action = 'opinion_hold_words' ORDER BY seq DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert!(summary.contains("增加：传销") && summary.contains("删除：色情"), "{summary}");

    // The new word holds a public submission; the dropped one no longer does.
    let app = &app;
    let submit = async |content: &'static str| {
        let r = app.api("POST", "/api/v1/opinions", None, Some(json!({ "content": content }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["tracking_no"].as_str().unwrap().to_string()
    };
    let no = submit("有人在小区里搞传销，拉老人入会，请查处。").await;
    assert_eq!(state_of(app, item_of(app, &no).await).await, "held");
    let no = submit("色情小广告贴满了楼道，请物业清理。").await;
    assert_eq!(state_of(app, item_of(app, &no).await).await, "received");
}
