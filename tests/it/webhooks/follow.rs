//! 督办首发工单: staff ask a deputy to follow an imported order; the deputy gets it in their
//! inbox, then sees it in their list and on its page, and takes no step of the loop.

use axum::http::StatusCode;
use renda::db;

use super::import_order;
use crate::demo_test;
use crate::support::TestApp;

async fn a_deputy_follows_an_imported_order(app: TestApp) {
    let item = import_order(&app, "ZB-2026-0100").await;
    let (opinion, no): (i64, String) = {
        let r = &db::query_rows(app.db(), "SELECT id, tracking_no FROM opinions WHERE item_id = $1", vec![item.into()])
            .await
            .unwrap()[0];
        (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())
    };
    let deputy_id =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let page = format!("/console/opinions/{opinion}");
    let mut deputy = app.login("deputy").await;
    assert_eq!(deputy.get(&page).await.status, StatusCode::NOT_FOUND, "not theirs yet");
    assert!(!deputy.get("/console/opinions").await.body.contains(&no));

    // Only those who triage may ask; a view-only leader is refused.
    let mut leader = app.login("leader").await;
    let r = leader.post(&format!("{page}/followers"), &[("person", &deputy_id.to_string())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A name nobody has: the page again with what was typed and why.
    let mut staff = app.login("staff").await;
    let r = staff.post(&format!("{page}/followers"), &[("person", "查无此人")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("没有找到名为“查无此人”的代表") && r.body.contains("value=\"查无此人\""), "{}", r.body);
    let r = staff.post(&format!("{page}/followers"), &[("person", &deputy_id.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = staff.post(&format!("{page}/followers"), &[("person", &deputy_id.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "asking twice is harmless");
    assert_eq!(
        db::scalar_i64(app.db(), "SELECT count(*) FROM item_followers WHERE item_id = $1", vec![item.into()])
            .await
            .unwrap(),
        1
    );
    let shown = staff.get(&page).await;
    assert_eq!(shown.texts("#follower-list li").len(), 1, "{}", shown.body);

    // The deputy: in the inbox, in the list, on the page — and no step of the loop.
    let inbox = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id \
         WHERE a.username = 'deputy' AND n.title LIKE '请您跟踪督办%' AND n.link = $1",
        vec![page.clone().into()],
    )
    .await
    .unwrap();
    assert_eq!(inbox, 1);
    assert_eq!(deputy.get(&page).await.status, StatusCode::OK);
    assert!(deputy.get("/console/opinions").await.body.contains(&no), "the deputy's list has it");
    let r = deputy
        .post(&format!("/console/handling/{item}/step"), &[("step", "answer_directly"), ("text", "已了解")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = deputy.post(&format!("{page}/followers"), &[("person", &deputy_id.to_string())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let follow = format!("SELECT count(*) FROM audit_log WHERE action = 'handling_follow' AND target_id = '{item}'");
    let audited = db::scalar_i64(app.db(), &follow, vec![]).await.unwrap();
    assert_eq!(audited, 1);
}
demo_test!(a_deputy_follows_an_imported_order);
