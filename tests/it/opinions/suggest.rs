//! Issue 18: text help staff can trust — a reworded copy sent minutes after its twin is
//! offered as a likely duplicate at once, and the demo's received opinions show a suggested
//! category (仅供参考) learned from the demo's own decisions.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::opinion_of;
use crate::demo_test;
use crate::support::TestApp;

async fn submit(app: &TestApp, staff: &str, content: &str) -> (i64, String) {
    let r = app.api("POST", "/api/v1/opinions", Some(staff), Some(json!({"content": content}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    (opinion_of(app, &no).await, no)
}

/// The newest arrivals are compared at once, not after the cached index's next rebuild; a
/// rewording (很 inserted, 环境卫生/卫生环境) is found; the same words about another market are not.
async fn a_twin_sent_minutes_later_is_offered_at_once(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let mut b = app.login("staff").await;
    // Warm this node's models: an opinion page at triage builds and caches them.
    let received = db::scalar_i64(
        app.db(),
        "SELECT min(op.id) FROM opinions op JOIN handling_items i ON i.id = op.item_id WHERE i.state = 'received'",
        vec![],
    )
    .await
    .unwrap();
    let page = b.get(&format!("/console/opinions/{received}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("系统建议"), "the suggestion panel is shown at triage");

    let (first, first_no) = submit(&app, &staff, "菜市场环境卫生差，垃圾清运不及时，气味难闻。").await;
    let (second, second_no) = submit(&app, &staff, "菜市场卫生环境很差，垃圾清运不及时，气味很难闻。").await;
    let page = b.get(&format!("/console/opinions/{second}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let offered = page.texts("#duplicates li a");
    assert!(offered.iter().any(|t| t.starts_with(&first_no)), "the twin is offered: {offered:?}");
    assert!(page.body.contains("仅供参考"), "suggestions keep their wording");
    // And the other way round, on the first one's page.
    let page = b.get(&format!("/console/opinions/{first}")).await;
    let offered = page.texts("#duplicates li a");
    assert!(offered.iter().any(|t| t.starts_with(&second_no)), "{offered:?}");

    // Another market with the same words is another matter.
    let (_, east_no) = submit(&app, &staff, "东关菜市场门口小商贩占道经营，早上车辆和行人挤在一起。").await;
    let (west, _) = submit(&app, &staff, "西岭菜市场门口小商贩占道经营，早上车辆和行人挤在一起。").await;
    let page = b.get(&format!("/console/opinions/{west}")).await;
    let offered = page.texts("#duplicates li a");
    assert!(!offered.iter().any(|t| t.starts_with(&east_no)), "{offered:?}");
}
demo_test!(a_twin_sent_minutes_later_is_offered_at_once);

/// The demo shows the suggestions working: every received (待受理) demo opinion offers the
/// category the demo's staff gave the same kind of problem before, and most offer its unit.
async fn received_demo_opinions_show_a_suggested_category(app: TestApp) {
    let rows = db::query_rows(
        app.db(),
        "SELECT op.id, op.title FROM opinions op JOIN handling_items i ON i.id = op.item_id \
         WHERE i.state = 'received' AND op.category = '' ORDER BY op.id",
        vec![],
    )
    .await
    .unwrap();
    assert!(rows.len() >= 20, "the demo has received opinions");
    let mut b = app.login("staff").await;
    let (mut categories, mut units) = (0, 0);
    for r in &rows {
        let (id, title): (i64, String) = (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap());
        // What staff decided for the same problem elsewhere in the demo.
        let decided: String = db::query_rows(
            app.db(),
            "SELECT category FROM opinions WHERE title = $1 AND category <> '' ORDER BY id LIMIT 1",
            vec![title.clone().into()],
        )
        .await
        .unwrap()
        .first()
        .and_then(|r| r.try_get_by_index(0).ok())
        .unwrap_or_default();
        let page = b.get(&format!("/console/opinions/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let got = page.texts("#suggested-category");
        if !decided.is_empty() {
            assert_eq!(got, std::slice::from_ref(&decided), "opinion {id} {title}");
            categories += 1;
        }
        if page.body.contains("（建议）") {
            units += 1;
        }
    }
    assert!(categories >= 20, "{categories}");
    assert!(units * 2 >= rows.len(), "a unit is suggested for most: {units} of {}", rows.len());
}
demo_test!(received_demo_opinions_show_a_suggested_category);
