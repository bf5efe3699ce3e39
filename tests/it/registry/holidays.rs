//! PLAT-10 / REG-10: the stations' duty slots skip public holidays by the working-day
//! calendar, and follow the calendar when the admin edits it.

use axum::http::StatusCode;
use renda::db;

use crate::demo_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn extend(app: &TestApp) {
    let job = renda::modules::state_modules().job("extend_duty_slots").expect("the registry's daily job");
    (job.run)(&app.state, "{}").await.unwrap();
}

demo_test!(duty_slots_skip_holidays_and_follow_the_calendar);
async fn duty_slots_skip_holidays_and_follow_the_calendar(app: TestApp) {
    // No slot of a repeating rule falls on a listed holiday.
    let on_holidays = "SELECT count(*) FROM duty_slots s JOIN calendar_days d ON d.day = s.slot_date \
         WHERE d.kind = 'holiday'";
    assert_eq!(count(&app, on_holidays).await, 0, "the demo's slots skip the official holidays");

    // The admin makes the date of an upcoming slot a holiday: the slot goes, and comes back
    // when the day is removed.
    let rows = db::query_rows(
        app.db(),
        "SELECT s.slot_date, s.station_id FROM duty_slots s WHERE s.slot_date > $1 AND s.rule_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM calendar_days d WHERE d.day = s.slot_date) ORDER BY s.slot_date LIMIT 1",
        vec![renda::registry::stations::today().format("%Y-%m-%d").to_string().into()],
    )
    .await
    .unwrap();
    let date: String = rows[0].try_get_by_index(0).unwrap();
    let station: i64 = rows[0].try_get_by_index(1).unwrap();
    let on_date = format!("SELECT count(*) FROM duty_slots WHERE slot_date = '{date}'");
    let before = count(&app, &on_date).await;
    assert!(before > 0);
    let jobs = "SELECT count(*) FROM jobs WHERE kind = 'extend_duty_slots'";
    let queued = count(&app, jobs).await;

    let mut admin = app.login("admin").await;
    let r = admin.post("/console/calendar", &[("date", &date), ("kind", "holiday"), ("name", "临时放假")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count(&app, jobs).await, queued + 1, "the edit queues the slots' re-expansion");
    extend(&app).await;
    assert_eq!(count(&app, &on_date).await, 0, "the holiday's slots are gone");
    let page = app.browser().await.get(&format!("/s/{station}")).await;
    assert_eq!(page.status, StatusCode::OK);

    let r = admin.post(&format!("/console/calendar/{date}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    extend(&app).await;
    assert_eq!(count(&app, &on_date).await, before, "back when the day is an ordinary one again");
}
