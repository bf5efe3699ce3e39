//! OPN-16: the figures, checked against the stored rows; an unrated item is never satisfied.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::demo_unit;
use crate::demo_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

async fn figures_match_the_rows_and_unrated_is_not_satisfied(app: TestApp) {
    let mut leader = app.login("leader").await;
    let page = leader.get("/console/opinions/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let text = |r: &crate::support::Resp, id: &str| r.texts(&format!("#{id}"))[0].clone();
    assert_eq!(text(&page, "total"), count(&app, "SELECT count(*) FROM opinions").await.to_string());
    assert_eq!(
        text(&page, "closed"),
        count(&app, "SELECT count(*) FROM handling_items WHERE state = 'closed' AND kind = 'opinion'")
            .await
            .to_string()
    );
    let rated = count(
        &app,
        "SELECT count(DISTINCT r.item_id) FROM handling_ratings r JOIN handling_items i ON i.id = r.item_id \
         WHERE r.rater = 'submitter' AND i.state = 'closed'",
    )
    .await;
    assert_eq!(text(&page, "rated"), rated.to_string());
    let rehandled = count(&app, "SELECT count(*) FROM handling_items WHERE round > 1 AND kind = 'opinion'").await;
    assert_eq!(text(&page, "rehandled"), rehandled.to_string());
    assert!(page.body.contains("按承办单位") && page.body.contains("按月份") && page.body.contains("热词"));
    let satisfaction_before = text(&page, "satisfaction");

    // Close one more item without any rating: 办结 grows, 已评价 and 满意率 do not move.
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let r =
        app.api("POST", "/api/v1/opinions", Some(&staff), Some(json!({"content": "村口垃圾桶满了没人清运。"}))).await;
    let id = super::opinion_of(&app, r.json()["tracking_no"].as_str().unwrap()).await;
    let unit = demo_unit(&app).await;
    for (who, step, body) in [
        (&staff, "assign", json!({"units": [{"unit_id": unit, "role": "lead"}]})),
        (&unit_token, "accept", json!({})),
        (&unit_token, "reply", json!({"result": "resolved", "text": "已清运。"})),
        (&staff, "close", json!({})),
    ] {
        let r = app.api("POST", &format!("/api/v1/opinions/{id}/{step}"), Some(who), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
    }
    let after = leader.get("/console/opinions/stats").await;
    assert_eq!(text(&after, "closed").parse::<i64>().unwrap(), text(&page, "closed").parse::<i64>().unwrap() + 1);
    assert_eq!(text(&after, "rated"), rated.to_string());
    assert_eq!(text(&after, "unrated").parse::<i64>().unwrap(), text(&page, "unrated").parse::<i64>().unwrap() + 1);
    assert_eq!(text(&after, "satisfaction"), satisfaction_before, "an unrated item changed the satisfaction rate");

    // Excel export; units see no statistics.
    let x = leader.get("/console/opinions/stats?format=xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.bytes.starts_with(b"PK"));
    let mut u = app.login("unit").await;
    assert_eq!(u.get("/console/opinions/stats").await.status, StatusCode::NOT_FOUND);
}
demo_test!(figures_match_the_rows_and_unrated_is_not_satisfied);
