//! The monthly summary per station: its figures equal what the rows say, on the page, in the
//! .xlsx export; an answered and an assigned opinion move between the columns.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::count;
use crate::demo_test;
use crate::support::TestApp;

async fn scalar(app: &TestApp, sql: &str, station: i64, month: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![station.into(), format!("{month}-%").into()]).await.unwrap()
}

const OF_MONTH: &str = "SELECT id FROM receptions WHERE station_id = $1 AND held_on LIKE $2";

async fn monthly_summary_equals_the_rows(app: TestApp) {
    // The demo's newest reception: its station and month.
    let row =
        &db::query_rows(app.db(), "SELECT station_id, held_on FROM receptions ORDER BY held_on DESC, id DESC", vec![])
            .await
            .unwrap()[0];
    let station: i64 = row.try_get_by_index(0).unwrap();
    let month: String = row.try_get_by_index::<String>(1).unwrap()[..7].to_string();
    // Move two of its issues along the loop: one answered at triage, one assigned to a unit.
    let token = app.token("staff", Scope::Write).await;
    let opinions: Vec<i64> = db::query_rows(
        app.db(),
        &format!(
            "SELECT opinion_id FROM reception_items WHERE kind = 'problem' AND reception_id IN ({OF_MONTH}) ORDER BY id"
        ),
        vec![station.into(), format!("{month}-%").into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index(0).unwrap())
    .collect();
    assert!(opinions.len() >= 2);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{}/answer", opinions[0]),
            Some(&token),
            Some(json!({"text": "已当场答复，正在安排清运。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let unit = db::scalar_i64(app.db(), "SELECT min(id) FROM handling_units", vec![]).await.unwrap();
    let body = json!({"units": [{"unit_id": unit, "role": "lead"}], "due_working_days": 10, "text": "请核实办理"});
    let r = app.api("POST", &format!("/api/v1/opinions/{}/assign", opinions[1]), Some(&token), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // What the rows say.
    let today = renda::calendar::beijing_date(db::now()).format("%Y-%m-%d").to_string();
    let receptions = scalar(&app, &format!("SELECT count(*) FROM ({OF_MONTH}) x"), station, &month).await;
    let deputies = scalar(
        &app,
        &format!("SELECT count(DISTINCT person_id) FROM reception_deputies WHERE reception_id IN ({OF_MONTH})"),
        station,
        &month,
    )
    .await;
    let attendances = scalar(
        &app,
        &format!("SELECT count(*) FROM reception_deputies WHERE reception_id IN ({OF_MONTH})"),
        station,
        &month,
    )
    .await;
    let items = |cond: &str| {
        format!(
            "SELECT count(*) FROM reception_items it LEFT JOIN opinions op ON op.id = it.opinion_id \
             LEFT JOIN handling_items h ON h.id = op.item_id WHERE it.reception_id IN ({OF_MONTH}) AND {cond}"
        )
    };
    let issues = scalar(&app, &items("it.kind = 'problem'"), station, &month).await;
    let closed = scalar(
        &app,
        &items("it.kind = 'problem' AND h.state IN ('closed', 'answered_directly', 'rejected')"),
        station,
        &month,
    )
    .await;
    let at_work = scalar(
        &app,
        &items("it.kind = 'problem' AND h.state IN ('assigned', 'in_progress', 'rehandling')"),
        station,
        &month,
    )
    .await;
    let countermeasures = scalar(&app, &items("it.kind = 'countermeasure'"), station, &month).await;
    let promised = scalar(&app, &items("it.kind = 'feedback'"), station, &month).await;
    let fulfilled = scalar(&app, &items("it.kind = 'feedback' AND it.fulfilled_on IS NOT NULL"), station, &month).await;
    let overdue = scalar(
        &app,
        &items(&format!("it.kind = 'feedback' AND it.fulfilled_on IS NULL AND it.promised_on < '{today}'")),
        station,
        &month,
    )
    .await;
    assert!(receptions >= 1 && closed >= 1 && at_work >= 1);

    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/receptions/summary?station={station}&month={month}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let cell = |id: &str| page.texts(&format!("#{id}")).first().cloned().unwrap_or_default();
    assert_eq!(cell("t-receptions"), receptions.to_string());
    assert_eq!(cell("t-deputies"), format!("{deputies} / {attendances}"));
    assert_eq!(cell("t-issues"), issues.to_string());
    assert_eq!(cell("t-closed"), closed.to_string());
    assert_eq!(cell("t-at-work"), at_work.to_string());
    assert_eq!(cell("t-countermeasures"), countermeasures.to_string());
    assert_eq!(cell("t-promised"), promised.to_string());
    assert_eq!(cell("t-fulfilled"), fulfilled.to_string());
    assert_eq!(cell("t-overdue"), overdue.to_string());

    // Across all stations: the total is the sum of the month's rows.
    let all = staff.get(&format!("/console/receptions/summary?month={month}")).await;
    let month_total = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM receptions WHERE held_on LIKE $1",
        vec![format!("{month}-%").into()],
    )
    .await
    .unwrap();
    assert_eq!(all.texts("#t-receptions"), [month_total.to_string()]);

    // The export.
    let x = staff.get(&format!("/console/receptions/summary?station={station}&month={month}&format=xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.header("content-type").unwrap_or_default().contains("spreadsheetml"));
    assert!(x.bytes.starts_with(b"PK"));
    // A month that is not one is a clear 4xx.
    let bad = staff.get("/console/receptions/summary?month=2026-13").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("月份应写作 YYYY-MM"));
    // The demo seeded a dozen receptions through the service, with their lists.
    assert_eq!(count(&app, "SELECT count(*) FROM receptions").await, 12);
    assert!(
        count(&app, "SELECT count(*) FROM reception_items WHERE kind = 'feedback' AND fulfilled_on IS NOT NULL").await
            > 0
    );
}
demo_test!(monthly_summary_equals_the_rows);
