//! OPN-5 triage: 并案 (a duplicate follows the first item and its submitter hears of the
//! reply) and 转交代表 (the station's deputy takes an item up and answers it).

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::{demo_unit, item_of, opinion_of, state_of};
use crate::demo_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Submits through the public API; the tracking number and query code.
async fn submit(app: &TestApp, content: &str, phone: &str, station: Option<i64>) -> (String, String) {
    let mut body = json!({"content": content, "phone": phone, "name": "王小明", "consent": true});
    if let Some(s) = station {
        body["station_id"] = json!(s);
    }
    let r = app.api("POST", "/api/v1/opinions", None, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    (j["tracking_no"].as_str().unwrap().to_string(), j["query_code"].as_str().unwrap().to_string())
}

async fn track(app: &TestApp, no: &str, code: &str) -> serde_json::Value {
    let t = app.api("GET", &format!("/api/v1/opinions/track/{no}?code={code}"), None, None).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    t.json()
}

demo_test!(a_merged_duplicate_follows_the_first_and_hears_the_reply);
async fn a_merged_duplicate_follows_the_first_and_hears_the_reply(app: TestApp) {
    let (a_no, _) = submit(&app, "幸福路菜市场门口污水横流，气味很大，希望尽快疏通下水道。", "13900000001", None).await;
    let (b_no, b_code) = submit(&app, "幸福路菜市场旁边下水道堵了好几天，污水漫到路上。", "13900000002", None).await;
    let (a, b) = (opinion_of(&app, &a_no).await, opinion_of(&app, &b_no).await);
    let (a_item, b_item) = (item_of(&app, &a_no).await, item_of(&app, &b_no).await);
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let read = app.token("staff", Scope::Read).await;
    let step = |id: i64, step: &str| format!("/api/v1/opinions/{id}/{step}");

    // Not by a read token, not by a unit, not into itself or nowhere.
    let r = app.api("POST", &step(b, "merge"), Some(&read), Some(json!({"into": a}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.api("POST", &step(b, "merge"), Some(&unit_token), Some(json!({"into": a}))).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    let r = app.api("POST", &step(b, "merge"), Some(&staff), Some(json!({"into": b}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("只能并入另一件"), "{}", r.body);
    let r = app.api("POST", &step(b, "merge"), Some(&staff), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app.api("POST", &step(b, "merge"), Some(&staff), Some(json!({"into": a}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&app, &format!("SELECT merged_into_id FROM opinions WHERE id = {b}")).await, a);
    // The merged one takes no step of its own.
    let unit = demo_unit(&app).await;
    let assign = json!({"units": [{"unit_id": unit, "role": "lead"}], "due_working_days": 5});
    let r = app.api("POST", &step(b, "assign"), Some(&staff), Some(assign.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("已并案"), "{}", r.body);
    // Its page says whom it follows; the first one's page lists it.
    let mut browser = app.login("staff").await;
    let page = browser.get(&format!("/console/opinions/{b}")).await;
    assert_eq!(page.texts("#merged-into").len(), 1, "{}", page.body);
    let page = browser.get(&format!("/console/opinions/{a}")).await;
    assert!(page.texts("#merged-here")[0].contains(&format!("事项 {b_item}")), "{}", page.body);

    // The first goes round the loop; the duplicate follows it.
    let r = app.api("POST", &step(a, "assign"), Some(&staff), Some(assign)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(state_of(&app, b_item).await, "assigned");
    assert_eq!(track(&app, &b_no, &b_code).await["state"], "assigned");
    let sms_before = count(&app, "SELECT count(*) FROM sms_outbox WHERE purpose = 'opinion_progress'").await;
    let r = app.api("POST", &step(a, "accept"), Some(&unit_token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "POST",
            &step(a, "reply"),
            Some(&unit_token),
            Some(json!({"result": "resolved", "text": "已组织疏通幸福路下水道，并安排每周巡查。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(state_of(&app, a_item).await, "replied");
    assert_eq!(state_of(&app, b_item).await, "replied");
    // Both submitters got the SMS; the duplicate's /track shows the reply, with no rating form.
    assert_eq!(count(&app, "SELECT count(*) FROM sms_outbox WHERE purpose = 'opinion_progress'").await, sms_before + 2);
    let t = track(&app, &b_no, &b_code).await;
    assert_eq!(t["state"], "replied");
    assert!(t["reply"].to_string().contains("疏通幸福路下水道") || t.to_string().contains("疏通幸福路下水道"), "{t}");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/track/{b_no}/ratings"),
            None,
            Some(json!({"code": b_code, "grade": "satisfied"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // The deadline scan raises notices for the first only.
    let job = renda::modules::state_modules().job("deadline-scan").unwrap();
    let far = db::now() + 400 * 86_400;
    let _ = (job.run)(&app.state, &json!({ "now": far }).to_string()).await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM handling_events WHERE item_id = {b_item} AND step = 'deadline_notice'")
        )
        .await,
        0
    );

    // Closing the first closes the duplicate; a closed item takes nothing merged.
    let r = app.api("POST", &step(a, "close"), Some(&staff), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(state_of(&app, b_item).await, "closed");
    let (c_no, _) = submit(&app, "幸福路下水道又堵了。", "13900000003", None).await;
    let c = opinion_of(&app, &c_no).await;
    let r = app.api("POST", &step(c, "merge"), Some(&staff), Some(json!({"into": a}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

demo_test!(the_station_deputy_takes_an_item_up_and_answers);
async fn the_station_deputy_takes_an_item_up_and_answers(app: TestApp) {
    let deputy_id = count(&app, "SELECT deputy_id FROM accounts WHERE username = 'deputy'").await;
    let station =
        count(&app, &format!("SELECT min(station_id) FROM station_deputies WHERE person_id = {deputy_id}")).await;
    let (no, code) = submit(&app, "村里路灯坏了半年，晚上出行不便。", "13900000004", Some(station)).await;
    let id = opinion_of(&app, &no).await;
    let item = item_of(&app, &no).await;
    let staff = app.token("staff", Scope::Write).await;
    let deputy = app.token("deputy", Scope::Write).await;

    // The staff page offers the station's deputies.
    let mut browser = app.login("staff").await;
    let page = browser.get(&format!("/console/opinions/{id}")).await;
    assert!(page.body.contains("转交代表") && page.body.contains(&format!("value=\"{deputy_id}\"")), "{}", page.body);
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/hand-to-deputy"), Some(&staff), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let inbox_before = count(
        &app,
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'deputy'",
    )
    .await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/hand-to-deputy"),
            Some(&staff),
            Some(json!({"deputy_id": deputy_id, "text": "请联系反映人了解情况"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&app, &format!("SELECT deputy_id FROM handling_items WHERE id = {item}")).await, deputy_id);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'deputy'"
        )
        .await,
        inbox_before + 1
    );
    // The deputy may ask staff to send it to a unit: staff hear of it, the history keeps it.
    let staff_inbox =
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'staff'";
    let before = count(&app, staff_inbox).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/request-assign"),
            Some(&deputy),
            Some(json!({"text": "涉及供电线路，建议交供电公司"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&app, staff_inbox).await, before + 1);
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/request-assign"), Some(&staff), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only the deputy asks: {}", r.body);
    // The deputy answers it directly; the submitter sees the answer.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/answer"),
            Some(&deputy),
            Some(json!({"text": "已联系村委会，路灯本周内修复。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = track(&app, &no, &code).await;
    assert_eq!(t["state"], "answered_directly");
    assert!(t.to_string().contains("路灯本周内修复"), "{t}");
}

demo_test!(merges_and_hand_overs_stay_within_what_the_caller_may_see);
async fn merges_and_hand_overs_stay_within_what_the_caller_may_see(app: TestApp) {
    let station_in = |code: &'static str| {
        let app = &app;
        async move {
            count(
                app,
                &format!("SELECT min(s.id) FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.code = '{code}'"),
            )
            .await
        }
    };
    let (here, there) = (station_in("370782101").await, station_in("370782102").await);
    let (b_no, _) = submit(&app, "东关村的自来水这几天有股怪味，老人孩子不敢喝。", "13900000011", Some(here)).await;
    let (a_no, _) = submit(&app, "西关村的路灯坏了一个多月了，晚上出行很不方便。", "13900000012", Some(there)).await;
    let (b, a) = (opinion_of(&app, &b_no).await, opinion_of(&app, &a_no).await);

    // A township's staff may not merge into another township's item they cannot see.
    let township = app.organ_id("370782101").await;
    app.add_account("town_staff", township, &[renda::auth::Role::Staff]).await;
    let town = app.token("town_staff", Scope::Write).await;
    let r = app.api("POST", &format!("/api/v1/opinions/{b}/merge"), Some(&town), Some(json!({"into": a}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("无权查看"), "{}", r.body);
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM handling_merges WHERE item_id = {}", item_of(&app, &b_no).await))
            .await,
        0
    );

    // Nor hand an item to a deputy of another township, which would let them see it.
    let outsider = count(
        &app,
        "SELECT min(m.person_id) FROM mandates m JOIN organs o ON o.id = m.organ_id WHERE o.code = '370782102' \
         AND m.status = 'serving' AND NOT EXISTS (SELECT 1 FROM mandates m2 JOIN organs o2 ON o2.id = m2.organ_id \
         WHERE m2.person_id = m.person_id AND m2.status = 'serving' AND o2.code <> '370782102')",
    )
    .await;
    let staff = app.token("staff", Scope::Write).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{b}/hand-to-deputy"),
            Some(&staff),
            Some(json!({"deputy_id": outsider})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM handling_items WHERE id = {} AND deputy_id IS NOT NULL",
                item_of(&app, &b_no).await
            )
        )
        .await,
        0
    );
}
