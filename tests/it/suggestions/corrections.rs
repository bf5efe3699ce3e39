//! Issue 16 for the second kind: a suggestion's 交办 is corrected the same way as an opinion's
//! (its descriptor lists 撤回 and 改派 while the units work): a 协办 unit moved before it signs
//! keeps the item's deadline and gets its own month again; a 主办 moved after it signed gives the
//! new unit the kind's three months from the day of 改派; a unit's assignment taken back.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::calendar;
use renda::db;
use serde_json::json;

use super::{detail, second_unit, step, submitted};
use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::TestApp;

async fn text(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> String {
    db::query_rows(app.db(), sql, values).await.unwrap()[0].try_get_by_index(0).unwrap()
}

demo_test!(a_suggestion_assignment_is_withdrawn_and_reassigned);
async fn a_suggestion_assignment_is_withdrawn_and_reassigned(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let lead = demo_unit(&app).await;
    let (unit_b, unit_b_token) = second_unit(&app).await;
    let third = db::scalar_i64(
        app.db(),
        "SELECT min(id) FROM handling_units WHERE active = true AND id NOT IN ($1, $2)",
        vec![lead.into(), unit_b.into()],
    )
    .await
    .unwrap();
    let id = submitted(&app, &app.token("deputy", Scope::Write).await, &app.token("deputy2", Scope::Write).await).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let units = json!([{"unit_id": lead, "role": "lead"}, {"unit_id": unit_b, "role": "assist"}]);
    step(&app, &staff, id, "assign", json!({ "units": units })).await;
    let item =
        db::scalar_i64(app.db(), "SELECT item_id FROM suggestions WHERE id = $1", vec![id.into()]).await.unwrap();
    let deadline = || text(&app, "SELECT deadline FROM handling_items WHERE id = $1", vec![item.into()]);
    let first_deadline = deadline().await;

    // The steps are the kind's: staff are offered them, the URL takes them.
    let d = detail(&app, &staff, id).await;
    let steps: Vec<&str> = d["handling"]["steps"]
        .as_array()
        .or(d["steps"].as_array())
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(steps.contains(&"withdraw") && steps.contains(&"reassign"), "{d}");
    let names = renda::suggestions::api::STEP_NAMES.all();
    assert!(names.contains(&"withdraw") && names.contains(&"reassign"));

    // The 协办 unit, not yet signed, moved to a third unit: the item's deadline stays, the new
    // 协办 unit gets its own month from today (within it), the old one is told.
    let inbox = |u: i64| {
        let app = &app;
        async move {
            db::scalar_i64(
                app.db(),
                "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.unit_id = $1 \
                 AND n.title LIKE '事项已改派%'",
                vec![u.into()],
            )
            .await
            .unwrap()
        }
    };
    // Through the loop panel's form, which offers the units at work and the units to move to.
    let mut browser = app.login("staff").await;
    let page = browser.get(&format!("/console/suggestions/{id}")).await;
    let html = page.html();
    let options = |css: &str| {
        let sel = scraper::Selector::parse(css).unwrap();
        html.select(&sel).filter_map(|o| o.value().attr("value").map(str::to_string)).collect::<Vec<_>>()
    };
    assert_eq!(options("#withdraw-unit option"), vec![lead.to_string(), unit_b.to_string()]);
    assert_eq!(options("#reassign-from option"), vec![lead.to_string(), unit_b.to_string()]);
    assert!(options("#reassign-to option").contains(&third.to_string()), "{}", page.body);
    let r = browser
        .post(
            &format!("/console/handling/{item}/step"),
            &[
                ("step", "reassign"),
                ("unit_id", &unit_b.to_string()),
                ("to_unit_id", &third.to_string()),
                ("text", "协办单位调整"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(deadline().await, first_deadline);
    let cal = calendar::load(app.db()).await.unwrap();
    let today = calendar::beijing_date(db::now());
    let own = cal.add_months(today, 1).min(calendar::parse_date(&first_deadline).unwrap());
    let assist_deadline = text(
        &app,
        "SELECT deadline FROM handling_assignments WHERE item_id = $1 AND unit_id = $2 AND state = 'active'",
        vec![item.into(), third.into()],
    )
    .await;
    assert_eq!(assist_deadline, own.format("%Y-%m-%d").to_string());
    assert_eq!(inbox(unit_b).await, 1);
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/opinion"), Some(&unit_b_token), Some(json!({"text": "同意"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // The 主办, signed, moved to unit B: three months again from today, the item waits for it.
    step(&app, &unit, id, "accept", json!({})).await;
    let out =
        step(&app, &staff, id, "reassign", json!({"unit_id": lead, "to_unit_id": unit_b, "text": "主办单位调整"}))
            .await;
    assert_eq!(out["state"], "assigned");
    assert_eq!(deadline().await, cal.add_months(today, 3).format("%Y-%m-%d").to_string());
    assert_eq!(inbox(lead).await, 1);
    let d = detail(&app, &staff, id).await;
    assert!(d.to_string().contains("改派（原单位已签收）") && d.to_string().contains("改派（原单位未签收）"), "{d}");

    // The third unit's 协办 taken back: the item goes on with its 主办.
    let out = step(&app, &staff, id, "withdraw", json!({"unit_id": third, "text": "不再需要协办"})).await;
    assert_eq!(out["state"], "assigned");
    let states = db::query_rows(
        app.db(),
        "SELECT unit_id, state FROM handling_assignments WHERE item_id = $1 ORDER BY id",
        vec![item.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index::<i64>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap()))
    .collect::<Vec<_>>();
    assert_eq!(
        states,
        vec![
            (lead, "reassigned".to_string()),
            (unit_b, "reassigned".to_string()),
            (third, "withdrawn".to_string()),
            (unit_b, "active".to_string()),
        ]
    );
    // The new 主办 signs and replies in the suggestion's words.
    step(&app, &unit_b_token, id, "accept", json!({})).await;
    step(&app, &unit_b_token, id, "contacts", json!({"way": "phone", "text": "已电话沟通"})).await;
    step(&app, &unit_b_token, id, "reply", json!({"class": "A", "text": "已建成停车场两处。"})).await;
    assert_eq!(text(&app, "SELECT state FROM handling_items WHERE id = $1", vec![item.into()]).await, "replied");
}
