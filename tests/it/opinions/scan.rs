//! The deadline scan (PLAT-10, OPN-10): 预警 before, 超期 after, once per item and deadline,
//! into the history and the inboxes; run as of a given time like `renda jobs run deadline-scan --now`.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::calendar;
use renda::db;
use serde_json::json;

use super::{a_station, demo_unit};
use crate::demo_test;
use crate::support::TestApp;

async fn run_scan(app: &TestApp, at: i64) {
    let job = renda::modules::state_modules().job("deadline-scan").expect("the scan is a registered job");
    (job.run)(&app.state, &json!({ "now": at }).to_string()).await.unwrap();
}

async fn notices(app: &TestApp, item: i64) -> Vec<String> {
    db::query_rows(
        app.db(),
        "SELECT detail FROM handling_events WHERE item_id = $1 AND step = 'deadline_notice' ORDER BY id",
        vec![item.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index(0).unwrap())
    .collect()
}

async fn warnings_and_overdue_once_per_deadline(app: TestApp) {
    let station = a_station(&app).await;
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "小区二次供水水压不足，高层住户经常停水。", "station_id": station})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    let id = super::opinion_of(&app, &no).await;
    let item = super::item_of(&app, &no).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = demo_unit(&app).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/assign"),
            Some(&staff),
            Some(json!({"units": [{"unit_id": unit, "role": "lead"}], "due_working_days": 10})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let deadline = calendar::parse_date(&super::deadline_of(&app, item).await.unwrap()).unwrap();
    let cal = calendar::load(app.db()).await.unwrap();
    let noon = |d: chrono::NaiveDate| calendar::deadline_end(d) - 12 * 3600;

    // Well before: nothing.
    run_scan(&app, noon(cal.add_working_days(calendar::beijing_date(db::now()), 1))).await;
    assert!(notices(&app, item).await.is_empty());
    // Three working days before: 预警, once.
    let warn_day = cal.working_days_before(deadline, 3);
    run_scan(&app, noon(warn_day)).await;
    run_scan(&app, noon(warn_day)).await;
    assert_eq!(notices(&app, item).await, ["warning"]);
    // On the deadline day itself (before 24:00): still no 超期.
    run_scan(&app, noon(deadline)).await;
    assert_eq!(notices(&app, item).await, ["warning"]);
    // After 24:00 Beijing time: 超期, once; the list and the detail show it.
    let after = calendar::deadline_end(deadline) + 60;
    run_scan(&app, after).await;
    run_scan(&app, after + 3600).await;
    assert_eq!(notices(&app, item).await, ["warning", "overdue"]);
    let inbox = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id \
         WHERE a.username IN ('unit', 'staff') AND n.title = '事项已超期' AND n.link = $1",
        vec![format!("/console/handling/{item}").into()],
    )
    .await
    .unwrap();
    assert_eq!(inbox, 2, "the unit and the staff are told");

    // An approved extension moves the deadline and arms both notices again.
    let unit_token = app.token("unit", Scope::Write).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/extension"),
            Some(&unit_token),
            Some(json!({"days": 5, "text": "需协调供水公司更换水泵"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/decide-extension"),
            Some(&staff),
            Some(json!({"unit_id": unit, "approve": true, "days": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new_deadline = calendar::parse_date(&super::deadline_of(&app, item).await.unwrap()).unwrap();
    assert_eq!(new_deadline, cal.add_working_days(deadline, 5));
    run_scan(&app, calendar::deadline_end(new_deadline) + 60).await;
    assert_eq!(notices(&app, item).await, ["warning", "overdue", "overdue"]);
}
demo_test!(warnings_and_overdue_once_per_deadline);
