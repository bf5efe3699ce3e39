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

demo_test!(one_date_is_cancelled_or_moved_with_a_public_reason);
async fn one_date_is_cancelled_or_moved_with_a_public_reason(app: TestApp) {
    let station =
        db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![]).await.unwrap();
    let today = renda::registry::stations::today().format("%Y-%m-%d").to_string();
    let coming = db::query_rows(
        app.db(),
        "SELECT id, slot_date FROM duty_slots WHERE station_id = $1 AND slot_date > $2 AND rule_id IS NOT NULL \
         ORDER BY slot_date, id LIMIT 2",
        vec![station.into(), today.clone().into()],
    )
    .await
    .unwrap();
    assert_eq!(coming.len(), 2, "the keeper's station has coming slots");
    let (a, a_date): (i64, String) = (coming[0].try_get_by_index(0).unwrap(), coming[0].try_get_by_index(1).unwrap());
    let b: i64 = coming[1].try_get_by_index(0).unwrap();
    let change = |slot: i64| format!("/console/registry/stations/{station}/slots/{slot}/change");
    let mut keeper = app.login("keeper").await;

    // Without a reason, or moved to the past: 422, nothing changed.
    let r = keeper.post(&change(a), &[("kind", "cancel"), ("reason", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请写明原因"), "{}", r.body);
    let r = keeper.post(&change(b), &[("kind", "move"), ("new_date", "2020-01-01"), ("reason", "会议")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT count(*) FROM duty_changes").await, 0);
    // A unit user may not touch a station's schedule.
    let mut unit = app.login("unit").await;
    let r = unit.post(&change(a), &[("kind", "cancel"), ("reason", "x")]).await;
    assert!(r.status.is_client_error(), "{}", r.status);

    // Cancel one, move the other: gone and moved, the reasons on the public page.
    let r = keeper.post(&change(a), &[("kind", "cancel"), ("reason", "代表参加市人代会")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let moved_to = (renda::registry::stations::today() + chrono::Days::new(40)).format("%Y-%m-%d").to_string();
    let r = keeper.post(&change(b), &[("kind", "move"), ("new_date", &moved_to), ("reason", "与镇里活动冲突")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count(&app, &format!("SELECT count(*) FROM duty_slots WHERE id = {a}")).await, 0);
    let b_date: String =
        db::query_rows(app.db(), "SELECT slot_date FROM duty_slots WHERE id = $1", vec![b.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert_eq!(b_date, moved_to);
    let page = app.browser().await.get(&format!("/s/{station}")).await;
    let notes = page.texts("#duty-changes li");
    assert!(notes.iter().any(|n| n.contains("取消") && n.contains("代表参加市人代会")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("改到") && n.contains("与镇里活动冲突")), "{notes:?}");

    // The daily re-expansion keeps both changes.
    extend(&app).await;
    let cancelled_again = count(
        &app,
        &format!(
            "SELECT count(*) FROM duty_slots s JOIN duty_changes c ON c.rule_id = s.rule_id \
             WHERE c.kind = 'cancel' AND s.slot_date = '{a_date}' AND s.start_time = c.start_time"
        ),
    )
    .await;
    assert_eq!(cancelled_again, 0, "a cancelled date does not come back");
    assert!(
        count(
            &app,
            &format!("SELECT count(*) FROM duty_slots WHERE station_id = {station} AND slot_date = '{moved_to}'")
        )
        .await
            > 0
    );
    assert!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'duty_slot_change'").await == 2);
}
