//! OPN-13 线上预约 through the front door: a booking from a station's page to the keeper's
//! confirmation, another time proposed and accepted, the reminder the working day before
//! (once), capacity, holidays, bad input, who may do what, and the API.

use axum::http::StatusCode;
use chrono::NaiveTime;
use renda::appointments::model::{SLOT_CAPACITY, beijing_ts};
use renda::appointments::service::{self, OpenSlot};
use renda::auth::{Role, Scope};
use renda::calendar;
use renda::db;

use crate::demo_test;
use crate::support::TestApp;

/// The station the demo `keeper` account keeps.
async fn keeper_station(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![]).await.unwrap()
}

/// The next open slot of a station nobody has booked yet.
async fn free_slot(app: &TestApp, station: i64) -> OpenSlot {
    let cal = calendar::load(app.db()).await.unwrap();
    let slots = service::open_slots(app.db(), &cal, Some(station), None, db::now()).await.unwrap();
    slots.into_iter().find(|s| s.left == SLOT_CAPACITY).expect("a free slot at the station")
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

async fn sms_since(app: &TestApp, after: i64, purpose: &str) -> Vec<String> {
    // The full texts, as the provider sends them (the outbox shows codes masked).
    renda::notify::sent_since(app.db(), &app.state.crypto, after)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.purpose == purpose)
        .map(|m| m.body)
        .collect()
}

fn booking<'a>(station: &'a str, slot: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("station", station),
        ("slot", slot),
        ("topic", "小区门口的路灯坏了，想当面反映"),
        ("name", "王建民"),
        ("phone", phone),
        ("consent", "on"),
    ]
}

async fn a_booking_is_confirmed_moved_accepted_and_reminded_once(app: TestApp) {
    let station = keeper_station(&app).await;
    let slot = free_slot(&app, station).await;
    let sms0 = count(&app, "SELECT COALESCE(max(id), 0) FROM sms_outbox").await;
    let inbox0 = count(
        &app,
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'keeper'",
    )
    .await;

    // The station's public page leads to the form, which offers the slot.
    let mut citizen = app.browser().await;
    let page = citizen.get(&format!("/s/{station}")).await;
    assert!(page.body.contains(&format!("/appointments/new?station={station}")), "no link to booking");
    let form = citizen.get(&format!("/appointments/new?station={station}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&format!("value=\"{}\"", slot.slot.id)), "the free slot is not offered");
    let (st, id) = (station.to_string(), slot.slot.id.to_string());
    let r = citizen.post("/appointments/new", &booking(&st, &id, "13805361234")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.texts("#booking-no")[0].clone();
    let code = r.texts("#query-code")[0].clone();
    assert_eq!(code.len(), 6);
    let receipt = sms_since(&app, sms0, "appointment_receipt").await;
    assert_eq!(receipt.len(), 1);
    assert!(receipt[0].contains(&no) && receipt[0].contains(&code));
    let inbox1 = count(
        &app,
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'keeper'",
    )
    .await;
    assert_eq!(inbox1, inbox0 + 1, "the keeper was not told");
    let appt = db::scalar_i64(app.db(), "SELECT id FROM appointments WHERE booking_no = $1", vec![no.clone().into()])
        .await
        .unwrap();

    // The keeper sees it, and proposes another time a week later.
    let mut keeper = app.login("keeper").await;
    let list = keeper.get("/console/appointments?state=requested").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&no), "the keeper's list lacks the booking");
    let detail = keeper.get(&format!("/console/appointments/{appt}")).await;
    assert!(detail.body.contains("13805361234"), "the keeper sees the phone to call back");
    let cal = calendar::load(app.db()).await.unwrap();
    let day = cal.on_or_after(calendar::beijing_date(slot.start) + chrono::Days::new(7));
    let date = day.format("%Y-%m-%d").to_string();
    // Without a date the proposal is refused on the form (422), nothing changes.
    let r = keeper.post(&format!("/console/appointments/{appt}/step"), &[("step", "propose")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("建议的日期"));
    let r = keeper
        .post(
            &format!("/console/appointments/{appt}/step"),
            &[("step", "propose"), ("date", &date), ("start", "10:00"), ("end", "11:00"), ("reason", "代表另有安排")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let progress = sms_since(&app, sms0, "appointment_progress").await;
    assert_eq!(progress.len(), 1);
    assert!(progress[0].contains("建议改到"));
    // Marking attendance before the meeting is refused.
    let r = keeper.post(&format!("/console/appointments/{appt}/step"), &[("step", "attended")]).await;
    assert!(r.status.is_client_error());

    // The citizen finds it with the code and accepts the new time.
    let r = citizen.post("/appointments/track", &[("no", &no), ("code", "ZZZZZZ")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = citizen.post("/appointments/track", &[("no", &no), ("code", &code.to_lowercase())]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("#state")[0], "建议改期");
    let r = citizen.post("/appointments/track/act", &[("no", &no), ("code", &code), ("step", "accept")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.texts("#state")[0], "已确认");
    let start = beijing_ts(day, NaiveTime::from_hms_opt(10, 0, 0).unwrap());
    let row = db::query_rows(
        app.db(),
        "SELECT state, slot_start, proposed_start FROM appointments WHERE id = $1",
        vec![appt.into()],
    )
    .await
    .unwrap();
    assert_eq!(row[0].try_get_by_index::<String>(0).unwrap(), "confirmed");
    assert_eq!(row[0].try_get_by_index::<i64>(1).unwrap(), start);
    assert_eq!(row[0].try_get_by_index::<Option<i64>>(2).unwrap(), None);
    // Accepting twice is refused (409), with the reason in Chinese.
    let r = citizen.post("/appointments/track/act", &[("no", &no), ("code", &code), ("step", "accept")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("不能接受改期"));

    // The reminder: nothing two working days before, one SMS the working day before, once.
    let job = renda::modules::state_modules().job("appointment-reminders").expect("a registered job");
    let nine = |d: chrono::NaiveDate| beijing_ts(d, NaiveTime::from_hms_opt(9, 0, 0).unwrap());
    // (The demo's confirmed bookings get their own reminders on their days: count this one's.)
    let mine = |all: Vec<String>| all.into_iter().filter(|b| b.contains(&no)).collect::<Vec<_>>();
    let payload = |at: i64| serde_json::json!({ "now": at }).to_string();
    (job.run)(&app.state, &payload(nine(cal.working_days_before(day, 2)))).await.unwrap();
    assert!(mine(sms_since(&app, sms0, "appointment_reminder").await).is_empty(), "reminded too early");
    let eve = cal.working_days_before(day, 1);
    (job.run)(&app.state, &payload(nine(eve))).await.unwrap();
    (job.run)(&app.state, &payload(nine(eve) + 3600)).await.unwrap();
    let reminders = mine(sms_since(&app, sms0, "appointment_reminder").await);
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert!(reminders[0].contains("提醒"));
    let keeper_notes = count(
        &app,
        &format!(
            "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id \
             WHERE a.username = 'keeper' AND n.title = '见面提醒' AND n.body LIKE '%{no}%'"
        ),
    )
    .await;
    assert_eq!(keeper_notes, 1, "the keeper is reminded once");
    let reminded = format!("SELECT count(*) FROM appointments WHERE id = {appt} AND reminded_at = {}", nine(eve));
    assert_eq!(count(&app, &reminded).await, 1);
}
demo_test!(a_booking_is_confirmed_moved_accepted_and_reminded_once);

async fn a_full_slot_is_refused_with_409_and_nothing_stored(app: TestApp) {
    let station = keeper_station(&app).await;
    let slot = free_slot(&app, station).await;
    let (st, id) = (station.to_string(), slot.slot.id.to_string());
    let mut citizen = app.browser().await;
    for i in 0..SLOT_CAPACITY {
        let phone = format!("1380536{:04}", 2000 + i);
        let r = citizen.post("/appointments/new", &booking(&st, &id, &phone)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let before = count(&app, "SELECT count(*) FROM appointments").await;
    let sms_before = count(&app, "SELECT count(*) FROM sms_outbox").await;
    let r = citizen.post("/appointments/new", &booking(&st, &id, "13805369999")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已约满"), "{}", r.body);
    // The form comes back with what was typed.
    assert!(r.body.contains("小区门口的路灯坏了") && r.body.contains("13805369999"));
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, before);
    assert_eq!(count(&app, "SELECT count(*) FROM sms_outbox").await, sms_before);
    // The slot is now shown full and cannot be chosen.
    let form = citizen.get(&format!("/appointments/new?station={station}")).await;
    assert!(form.body.contains(&format!("value=\"{id}\" disabled")), "the full slot is not disabled");
    // The API says the same.
    let r = app
        .api(
            "POST",
            "/api/v1/appointments",
            None,
            Some(serde_json::json!({
                "slot_id": slot.slot.id, "topic": "想反映问题", "name": "李四", "phone": "13805368888", "consent": true
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("已约满"));
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, before);
}
demo_test!(a_full_slot_is_refused_with_409_and_nothing_stored);

async fn holiday_slots_are_not_offered(app: TestApp) {
    let station = keeper_station(&app).await;
    let slot = free_slot(&app, station).await;
    let day = calendar::parse_date(&slot.slot.slot_date).unwrap();
    let mut admin = app.login("admin").await;
    let r = admin
        .post("/console/calendar", &[("date", &slot.slot.slot_date), ("kind", "holiday"), ("name", "测试假日")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!calendar::load(app.db()).await.unwrap().is_working_day(day));
    let mut citizen = app.browser().await;
    let form = citizen.get(&format!("/appointments/new?station={station}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains(&format!("value=\"{}\"", slot.slot.id)), "a holiday slot is offered");
    // Posting it anyway is refused as input, and nothing is stored.
    let before = count(&app, "SELECT count(*) FROM appointments").await;
    let (st, id) = (station.to_string(), slot.slot.id.to_string());
    let r = citizen.post("/appointments/new", &booking(&st, &id, "13805361234")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("节假日"));
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, before);
}
demo_test!(holiday_slots_are_not_offered);

async fn a_bad_phone_is_422_keeping_what_was_typed(app: TestApp) {
    let station = keeper_station(&app).await;
    let slot = free_slot(&app, station).await;
    let (st, id) = (station.to_string(), slot.slot.id.to_string());
    let before = count(&app, "SELECT count(*) FROM appointments").await;
    let mut citizen = app.browser().await;
    for phone in ["12345678901", "1380536123", "abc"] {
        let r = citizen.post("/appointments/new", &booking(&st, &id, phone)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{phone}");
        assert!(r.body.contains("11 位手机号"), "{phone}");
        assert!(r.body.contains("小区门口的路灯坏了") && r.body.contains("王建民"));
        assert!(r.body.contains(&format!("value=\"{id}\" checked")), "the chosen slot is kept");
    }
    // No consent, no topic: each field says what is wrong.
    let r = citizen
        .post("/appointments/new", &[("station", st.as_str()), ("slot", id.as_str()), ("phone", "13805361234")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请简要写明") && r.body.contains("请勾选同意"));
    let r = app
        .api(
            "POST",
            "/api/v1/appointments",
            None,
            Some(serde_json::json!({
                "slot_id": slot.slot.id, "topic": "想反映问题", "name": "李四", "phone": "110", "consent": true
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT count(*) FROM appointments").await, before);
}
demo_test!(a_bad_phone_is_422_keeping_what_was_typed);

async fn state_of(app: &TestApp, id: i64) -> String {
    db::query_rows(app.db(), "SELECT state FROM appointments WHERE id = $1", vec![id.into()]).await.unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}

async fn only_the_station_deputy_and_staff_handle_a_booking(app: TestApp) {
    let station = keeper_station(&app).await;
    let appt =
        count(&app, &format!("SELECT min(id) FROM appointments WHERE station_id = {station} AND state = 'requested'"))
            .await;
    let other = count(&app, &format!("SELECT min(id) FROM stations WHERE id <> {station}")).await;
    let organ = app.organ_id("370782").await;
    let k2 = app.add_account("keeper2", organ, &[Role::Keeper]).await;
    db::exec(app.db(), "UPDATE accounts SET station_id = $1 WHERE id = $2", vec![other.into(), k2.into()])
        .await
        .unwrap();
    let path = format!("/console/appointments/{appt}");
    let step = format!("{path}/step");
    let audit0 = count(&app, "SELECT max(seq) FROM audit_log").await;

    // Another station's keeper and a unit neither see nor handle it.
    for who in ["keeper2", "unit"] {
        let mut b = app.login(who).await;
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{who} sees it");
        assert_eq!(b.post(&step, &[("step", "confirm")]).await.status, StatusCode::NOT_FOUND, "{who} handles it");
        let list = b.get("/console/appointments").await;
        assert!(!list.body.contains(&format!("/console/appointments/{appt}\"")), "{who} lists it");
    }
    let mut unit = app.login("unit").await;
    assert_eq!(unit.get("/console/appointments").await.status, StatusCode::NOT_FOUND);
    // Another station's keeper may not enter a booking for this station's slots.
    let mut k2b = app.login("keeper2").await;
    let slot = free_slot(&app, station).await;
    let r = k2b
        .post(
            "/console/appointments/new",
            &[
                ("slot", &slot.slot.id.to_string()),
                ("topic", "来站登记"),
                ("name", "赵六"),
                ("phone", "13805360001"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("本站的接待时段"));
    // A leader sees it but may not handle it.
    let mut leader = app.login("leader").await;
    assert_eq!(leader.get(&path).await.status, StatusCode::OK);
    assert_eq!(leader.post(&step, &[("step", "confirm")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(&app, appt).await, "requested");
    let written = db::query_rows(app.db(), "SELECT DISTINCT action FROM audit_log WHERE seq > $1", vec![audit0.into()])
        .await
        .unwrap();
    for row in written {
        let action: String = row.try_get_by_index(0).unwrap();
        assert!(matches!(action.as_str(), "access_denied" | "login"), "a refusal wrote {action}");
    }

    // The keeper of the station confirms; staff decline another with a reason.
    let mut keeper = app.login("keeper").await;
    let r = keeper.post(&step, &[("step", "confirm")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&app, appt).await, "confirmed");
    // The keeper enters an offline booking at their station.
    let r = keeper
        .post(
            "/console/appointments/new",
            &[
                ("slot", &slot.slot.id.to_string()),
                ("topic", "来站登记"),
                ("name", "赵六"),
                ("phone", "13805360001"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        count(&app, "SELECT count(*) FROM appointments WHERE channel = 'offline' AND topic = '来站登记'").await,
        1
    );
    let mut staff = app.login("staff").await;
    let other_appt =
        count(&app, &format!("SELECT max(id) FROM appointments WHERE station_id = {station} AND state = 'requested'"))
            .await;
    let r = staff.post(&format!("/console/appointments/{other_appt}/step"), &[("step", "decline")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("无法安排的原因"));
    let r = staff
        .post(&format!("/console/appointments/{other_appt}/step"), &[("step", "decline"), ("reason", "代表出差")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Staff filter the list by station and state.
    let list = staff.get(&format!("/console/appointments?station={station}&state=declined")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("/console/appointments/{other_appt}\"")), "the declined booking is listed");
    assert!(!list.body.contains(&format!("/console/appointments/{appt}\"")), "a confirmed one is not");
    assert!(list.body.contains(&format!("<option value=\"{station}\" selected")), "the station filter");
    // The API: staff list the station's bookings; a unit's token sees none.
    let token = app.token("staff", Scope::Read).await;
    let r = app.api("GET", &format!("/api/v1/appointments?station_id={station}"), Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["total"].as_i64().unwrap() >= 8);
    assert!(!r.body.contains("13805360001"), "the API shows the phone masked");
    let unit_token = app.token("unit", Scope::Read).await;
    let r = app.api("GET", &format!("/api/v1/appointments?station_id={station}"), Some(&unit_token), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
demo_test!(only_the_station_deputy_and_staff_handle_a_booking);

async fn the_api_books_and_tracks(app: TestApp) {
    let station = keeper_station(&app).await;
    let slot = free_slot(&app, station).await;
    let r = app
        .api(
            "POST",
            "/api/v1/appointments",
            None,
            Some(serde_json::json!({
                "slot_id": slot.slot.id, "topic": "想反映问题", "name": "李四", "phone": "13805368888", "consent": true
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["booking_no"].as_str().unwrap().to_string();
    let code = r.json()["query_code"].as_str().unwrap().to_string();
    let r = app.api("GET", &format!("/api/v1/appointments/track/{no}?code={code}"), None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["state"], "requested");
    assert_eq!(r.json()["phone"], "138****8888");
    let r = app.api("GET", &format!("/api/v1/appointments/track/{no}?code=AAAAAA"), None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let spec = app.api("GET", "/api/v1/openapi.json", None, None).await;
    assert!(spec.body.contains("/api/v1/appointments/track/{no}"));
}
demo_test!(the_api_books_and_tracks);

/// A booking from the deputy's own page reaches the deputy, who confirms it; after the
/// meeting the keeper records it attended and links the reception record (an opinion taken
/// down at the station), which the booking's page then shows.
async fn a_deputy_receives_their_booking_and_the_reception_links_back(app: TestApp) {
    let person =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let station = keeper_station(&app).await;
    // Put the deputy on duty at the keeper's station, through the registry.
    let txn = db::begin_write(app.db()).await.unwrap();
    let actor = renda::audit::Actor::system("test");
    let assigned = db::scalar_i64(
        &txn,
        "SELECT count(*) FROM station_deputies WHERE station_id = $1 AND person_id = $2",
        vec![station.into(), person.into()],
    )
    .await
    .unwrap();
    if assigned == 0 {
        renda::registry::stations::assign_deputy(&txn, app.state.audit_key(), &actor, station, person).await.unwrap();
    }
    renda::registry::stations::add_rule(&txn, app.state.audit_key(), &actor, station, person, "每周二上午", None, None)
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let mut citizen = app.browser().await;
    let page = citizen.get(&format!("/d/{person}")).await;
    assert!(page.body.contains(&format!("/appointments/new?deputy={person}")), "no link on the deputy's page");
    let cal = calendar::load(app.db()).await.unwrap();
    let slot = service::open_slots(app.db(), &cal, None, Some(person), db::now())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.left == SLOT_CAPACITY && s.slot.station_id == station)
        .expect("a slot of the deputy");
    let id = slot.slot.id.to_string();
    let person_s = person.to_string();
    let r = citizen
        .post(
            "/appointments/new",
            &[
                ("deputy", person_s.as_str()),
                ("slot", id.as_str()),
                ("topic", "想和代表谈谈养老服务"),
                ("name", "钱七"),
                ("phone", "13805367777"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.texts("#booking-no")[0].clone();
    let appt = db::scalar_i64(app.db(), "SELECT id FROM appointments WHERE booking_no = $1", vec![no.clone().into()])
        .await
        .unwrap();

    let mut deputy = app.login("deputy").await;
    let list = deputy.get("/console/appointments").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&no), "the deputy's list lacks their booking");
    let r = deputy.post(&format!("/console/appointments/{appt}/step"), &[("step", "confirm")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&app, appt).await, "confirmed");

    // At the meeting the keeper takes down an opinion (the reception record) …
    let mut keeper = app.login("keeper").await;
    let r = keeper
        .post(
            "/console/opinions/new",
            &[("content", "群众反映社区养老服务站开放时间太短，希望延长到晚上。"), ("name", "钱七"), ("consent", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let tracking: String =
        db::query_rows(app.db(), "SELECT tracking_no FROM opinions ORDER BY id DESC LIMIT 1", vec![]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    // … and after it records the booking attended with that record (as of after the slot).
    let a = renda::appointments::model::appointment(app.db(), appt).await.unwrap().unwrap();
    let input = service::StepInput { opinion_no: tracking.clone(), ..Default::default() };
    let txn = db::begin_write(app.db()).await.unwrap();
    let to = service::apply(
        &txn,
        app.state.audit_key(),
        &app.state.crypto,
        &renda::notify::Limits::default(),
        &actor,
        &a,
        renda::appointments::model::Step::Attended,
        &input,
        a.slot_end + 60,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(to, renda::appointments::model::State::Attended);
    let page = keeper.get(&format!("/console/appointments/{appt}")).await;
    assert_eq!(page.texts("#state")[0], "已见面");
    let link = page
        .html()
        .select(&scraper::Selector::parse("#reception").unwrap())
        .next()
        .map(|e| e.value().attr("href").unwrap_or_default().to_string());
    let opinion = db::scalar_i64(app.db(), "SELECT id FROM opinions WHERE tracking_no = $1", vec![tracking.into()])
        .await
        .unwrap();
    assert_eq!(link, Some(format!("/console/opinions/{opinion}")));
}
demo_test!(a_deputy_receives_their_booking_and_the_reception_links_back);

/// Issue 16: another time proposed to a citizen is a day the booking page would offer — a
/// weekend or a holiday (provisional ones included) is refused on the form, nothing changes.
async fn a_new_time_is_never_a_holiday_or_a_weekend(app: TestApp) {
    let station = keeper_station(&app).await;
    let slot = free_slot(&app, station).await;
    let mut citizen = app.browser().await;
    let (st, id) = (station.to_string(), slot.slot.id.to_string());
    let r = citizen.post("/appointments/new", &booking(&st, &id, "13805367788")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.texts("#booking-no")[0].clone();
    let appt =
        db::scalar_i64(app.db(), "SELECT id FROM appointments WHERE booking_no = $1", vec![no.into()]).await.unwrap();
    let cal = calendar::load(app.db()).await.unwrap();
    let from = calendar::beijing_date(slot.start) + chrono::Days::new(1);
    let weekend = from
        .iter_days()
        .find(|d| chrono::Datelike::weekday(d).num_days_from_monday() >= 5 && !cal.is_working_day(*d))
        .unwrap();
    // 国庆 of next year: listed, or standing in for a provisional year.
    let next = chrono::Datelike::year(&from) + 1;
    let holiday = chrono::NaiveDate::from_ymd_opt(next, 10, 2).unwrap();
    assert!(!cal.is_working_day(weekend) && !cal.is_working_day(holiday));
    let mut keeper = app.login("keeper").await;
    for day in [weekend, holiday] {
        let date = day.format("%Y-%m-%d").to_string();
        let r = keeper
            .post(
                &format!("/console/appointments/{appt}/step"),
                &[("step", "propose"), ("date", &date), ("start", "10:00"), ("end", "11:00")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}: {}", r.body);
        assert!(r.body.contains("是节假日或周末，预约页不开放这一天"), "{}", r.body);
        assert_eq!(state_of(&app, appt).await, "requested");
    }
    let ok = cal.on_or_after(from);
    let r = keeper
        .post(
            &format!("/console/appointments/{appt}/step"),
            &[("step", "propose"), ("date", &ok.format("%Y-%m-%d").to_string()), ("start", "10:00"), ("end", "11:00")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&app, appt).await, "proposed_other_time");
}
demo_test!(a_new_time_is_never_a_holiday_or_a_weekend);
