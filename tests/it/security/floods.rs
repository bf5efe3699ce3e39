//! Issue 20: no SMS floods to a stranger's number, no anonymous filling of a station's
//! slots, and no codes readable in the SMS outbox.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use renda::appointments::model::SLOT_CAPACITY;
use renda::appointments::service;
use renda::{calendar, db, notify};
use serde_json::json;

use crate::demo_test;
use crate::support::{Resp, TestApp};

const STRANGER: &str = "13700001111";

/// A browser at a given loopback address (the client address the server sees).
struct At<'a> {
    app: &'a TestApp,
    ip: &'static str,
    cookies: HashMap<String, String>,
}

impl<'a> At<'a> {
    async fn new(app: &'a TestApp, ip: &'static str, first: &str) -> At<'a> {
        let mut b = At { app, ip, cookies: HashMap::new() };
        b.send(Request::get(first), Body::empty()).await;
        b
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Resp {
        let addr: SocketAddr = format!("{}:40000", self.ip).parse().unwrap();
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let req = req.header(header::COOKIE, cookie).extension(ConnectInfo(addr)).body(body).unwrap();
        let r = self.app.send(req).await;
        for v in r.headers.get_all(header::SET_COOKIE) {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_string(), val.to_string());
        }
        r
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        all.push(("_csrf", self.cookies.get("renda_csrf").cloned().unwrap_or_default()));
        let body = Body::from(serde_urlencoded::to_string(&all).unwrap());
        let req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(req, body).await
    }

    /// Follows a redirect (the receipt after a submission) as a browser does.
    async fn follow(&mut self, r: Resp) -> Resp {
        match r.header("location") {
            Some(to) if r.status.is_redirection() => {
                let to = to.to_string();
                self.send(Request::get(to.as_str()), Body::empty()).await
            }
            _ => r,
        }
    }
}

async fn sent_to(app: &TestApp, phone: &str) -> Vec<String> {
    notify::sent_bodies(app.db(), &app.state.crypto, phone).await.unwrap()
}

async fn opinions_of(app: &TestApp, phone: &str) -> i64 {
    let hash = app.state.crypto.lookup_hash("phone", phone);
    db::scalar_i64(app.db(), "SELECT count(*) FROM opinions WHERE phone_hash = $1", vec![hash.into()]).await.unwrap()
}

fn opinion<'a>(content: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("content", content), ("name", "路人"), ("phone", phone), ("consent", "on")]
}

/// The app with a changed configuration (the same database).
fn reconfigure(app: &mut TestApp, change: impl FnOnce(&mut renda::app::config::Config)) {
    let mut config = (*app.state.config).clone();
    change(&mut config);
    app.state.config = Arc::new(config);
    app.router = renda::modules::router(app.state.clone());
}

/// 30 opinions naming one stranger's phone from three addresses: every opinion is kept, the
/// number gets at most its cap of messages, and the receipts say the SMS was not sent.
async fn a_strangers_phone_is_not_flooded(app: TestApp) {
    let limits = notify::Limits::of(&app.state.config);
    let cap = limits.per_day.min(limits.public_per_hour);
    let mut capped = 0;
    for (a, ip) in ["127.0.0.1", "127.0.0.2", "127.0.0.3"].into_iter().enumerate() {
        let mut b = At::new(&app, ip, "/opinions/new").await;
        for i in 0..10 {
            let content = format!("第 {a}-{i} 件：小区东门的路灯坏了很久，晚上出行很不方便，请尽快修理。");
            let r = b.post("/opinions/new", &opinion(&content, STRANGER)).await;
            let r = b.follow(r).await;
            assert_eq!(r.status, StatusCode::OK, "{ip} #{i}: {}", r.body);
            let code = r.texts("#query-code")[0].clone();
            assert_eq!(code.len(), 6, "the receipt page still shows the query code");
            if !r.texts("#sms-capped").is_empty() {
                capped += 1;
                assert!(r.body.contains("该号码今日短信已达上限，未发送短信回执，请记下查询码"), "{}", r.body);
            }
        }
    }
    assert_eq!(opinions_of(&app, STRANGER).await, 30, "every opinion is stored");
    let sent = sent_to(&app, STRANGER).await;
    assert_eq!(sent.len() as i64, cap, "{sent:?}");
    assert_eq!(capped, 30 - cap, "each receipt not sent says so");
    // Staff-triggered messages still count against the day: fill it, and the next is not sent.
    for _ in sent.len() as i64..limits.per_day {
        let txn = db::begin_write(app.db()).await.unwrap();
        let m = notify::Message::plain("【数字人大】测试".into());
        let s = notify::sms(&txn, &app.state.crypto, &limits, STRANGER, &m, "opinion_progress").await.unwrap();
        assert_eq!(s, notify::Sent::Queued);
        txn.commit().await.unwrap();
    }
    let txn = db::begin_write(app.db()).await.unwrap();
    let m = notify::Message::plain("【数字人大】测试".into());
    let s = notify::sms(&txn, &app.state.crypto, &limits, STRANGER, &m, "opinion_progress").await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(s, notify::Sent::Capped, "the daily cap holds for every channel");
    assert_eq!(sent_to(&app, STRANGER).await.len() as i64, limits.per_day);
}
demo_test!(a_strangers_phone_is_not_flooded);

/// A request whose only effect is a message (a `/track/lost` code) gets a 429 over the cap.
async fn a_lost_code_over_the_cap_is_refused(app: TestApp) {
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "菜市场门口的路面坑洼积水，下雨天没法走。", "phone": STRANGER, "consent": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut b = app.browser().await;
    let r = b.post("/track/lost", &[("phone", STRANGER)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes = || async {
        db::scalar_i64(app.db(), "SELECT count(*) FROM sms_codes WHERE purpose = 'lost'", vec![]).await.unwrap()
    };
    assert_eq!(codes().await, 1);
    // Staff messages of the day fill the number's budget.
    let limits = notify::Limits::of(&app.state.config);
    while (sent_to(&app, STRANGER).await.len() as i64) < limits.per_day {
        let txn = db::begin_write(app.db()).await.unwrap();
        let m = notify::Message::plain("【数字人大】您反映的问题已办结。".into());
        let _ = notify::sms(&txn, &app.state.crypto, &limits, STRANGER, &m, "opinion_progress").await.unwrap();
        txn.commit().await.unwrap();
    }
    let r = b.post("/track/lost", &[("phone", STRANGER)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("该号码今日短信已达上限"), "{}", r.body);
    assert_eq!(codes().await, 1, "no code is stored when none was sent");
    assert_eq!(sent_to(&app, STRANGER).await.len() as i64, limits.per_day);
}
demo_test!(a_lost_code_over_the_cap_is_refused);

fn code_in(body: &str) -> String {
    let i = body.find("验证码 ").expect("a code in the message") + "验证码 ".len();
    body[i..i + 6].to_string()
}

async fn last_verify_code(app: &TestApp, phone: &str) -> String {
    let all = sent_to(app, phone).await;
    code_in(all.iter().rev().find(|b| b.contains("手机号验证码")).expect("a verification code was sent"))
}

/// With `sms_verify_new_numbers`, a new number gets a code first; only the right code stores
/// the opinion; five wrong tries spend the code.
async fn a_new_number_is_verified_first(mut app: TestApp) {
    reconfigure(&mut app, |c| c.sms_verify_new_numbers = true);
    let phone = "13600002222";
    let content = "村口的桥栏杆断了两根，孩子上学经过很危险，请尽快修好。";
    // Every request counts against the address's hourly budget: the steps use three addresses.
    let mut b = At::new(&app, "127.0.0.1", "/opinions/new").await;
    let form = b.send(Request::get("/opinions/new"), Body::empty()).await;
    assert!(form.body.contains("首次使用的手机号"), "the form says a code comes first");

    // Without a code: nothing stored, a code goes out, the form asks for it.
    let r = b.post("/opinions/new", &opinion(content, phone)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.texts("#code-sent")[0].contains("验证码已发送至 136****2222"), "{}", r.body);
    assert_eq!(r.texts("input#sms_code").len(), 1, "a code field");
    assert_eq!(opinions_of(&app, phone).await, 0);
    let code = last_verify_code(&app, phone).await;
    // The outbox shows it masked.
    let shown: String = db::query_rows(
        app.db(),
        "SELECT body FROM sms_outbox WHERE purpose = 'verify_code' ORDER BY id DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert!(!shown.contains(&code) && shown.contains("******"), "{shown}");

    // Five wrong tries lock the code: the right one no longer works.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for i in 0..5 {
        let mut fields = opinion(content, phone);
        fields.push(("sms_code", wrong));
        let r = b.post("/opinions/new", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "try {i}: {}", r.body);
        assert!(r.body.contains("验证码"), "{}", r.body);
    }
    let mut fields = opinion(content, phone);
    fields.push(("sms_code", &code));
    let r = b.post("/opinions/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a locked code: {}", r.body);
    assert!(r.body.contains("请重新获取验证码"), "{}", r.body);
    assert_eq!(opinions_of(&app, phone).await, 0, "nothing stored without a right code");

    // A new code (the button), then the right one: stored, and the receipt goes out.
    let mut fields = opinion(content, phone);
    fields.push(("send_code", "1"));
    let r = b.post("/opinions/new", &fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = last_verify_code(&app, phone).await;
    let mut fields = opinion(content, phone);
    fields.push(("sms_code", &code));
    let r = b.post("/opinions/new", &fields).await;
    let r = b.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(opinions_of(&app, phone).await, 1);
    let query_code = r.texts("#query-code")[0].clone();
    assert!(sent_to(&app, phone).await.last().unwrap().contains(&query_code), "the receipt was sent");

    // A number that got messages before needs no code; no phone needs none either.
    let mut b = At::new(&app, "127.0.0.2", "/opinions/new").await;
    let r = b.post("/opinions/new", &opinion("桥栏杆修好以后，桥面的坑也请一起补上，谢谢。", phone)).await;
    let r = b.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = b.post("/opinions/new", &[("content", "公园里的健身器材坏了好几件，请安排维修。")]).await;
    let r = b.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The booking form asks the same of a new number; the API, which has no code step, refuses it.
    let station = keeper_station(&app).await;
    let slot = free_slots(&app, station).await.remove(0);
    let body =
        json!({"slot_id": slot.slot.id, "topic": "想当面反映", "name": "王", "phone": "13600003333", "consent": true});
    let r = app.api("POST", "/api/v1/appointments", None, Some(body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("尚未验证"), "{}", r.body);
    // So does the opinions API: a new number is not written to.
    let before = opinions_of(&app, "13600004444").await;
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "接口提交测试：小区电梯经常困人，物业不管，请督促维修。", "phone": "13600004444", "consent": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("尚未验证"), "{}", r.body);
    assert_eq!(opinions_of(&app, "13600004444").await, before);
    let (st, id) = (station.to_string(), slot.slot.id.to_string());
    let other = "13600003333";
    let mut b = At::new(&app, "127.0.0.3", &format!("/appointments/new?station={station}")).await;
    let r = b.post("/appointments/new", &booking(&st, &id, other)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.texts("#code-sent")[0].contains("136****3333"), "{}", r.body);
    assert_eq!(bookings_of(&app, other).await, 0);
    let code = last_verify_code(&app, other).await;
    let mut fields = booking(&st, &id, other);
    fields.push(("sms_code", &code));
    let r = b.post("/appointments/new", &fields).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(bookings_of(&app, other).await, 1);
}
demo_test!(a_new_number_is_verified_first);

async fn keeper_station(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![]).await.unwrap()
}

async fn free_slots(app: &TestApp, station: i64) -> Vec<service::OpenSlot> {
    let cal = calendar::load(app.db()).await.unwrap();
    let slots = service::open_slots(app.db(), &cal, Some(station), None, db::now()).await.unwrap();
    slots.into_iter().filter(|s| s.left == SLOT_CAPACITY).collect()
}

async fn bookings_of(app: &TestApp, phone: &str) -> i64 {
    let hash = app.state.crypto.lookup_hash("phone", phone);
    db::scalar_i64(app.db(), "SELECT count(*) FROM appointments WHERE phone_hash = $1", vec![hash.into()])
        .await
        .unwrap()
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

/// One active booking per phone, station and day; a few bookings per address and day.
async fn one_booking_per_phone_station_and_day(app: TestApp) {
    let station = keeper_station(&app).await;
    let slots = free_slots(&app, station).await;
    let first = &slots[0];
    // Another slot the same day if the station has one, else the same slot (places are left).
    let same_day = slots[1..].iter().find(|s| s.slot.slot_date == first.slot.slot_date).unwrap_or(first);
    let other_day = slots.iter().find(|s| s.slot.slot_date != first.slot.slot_date).expect("a slot on another day");
    let st = station.to_string();
    let phone = "13500004444";

    // (The demo's own online bookings came from 127.0.0.1.)
    let mut a = At::new(&app, "127.0.1.1", &format!("/appointments/new?station={station}")).await;
    let r = a.post("/appointments/new", &booking(&st, &first.slot.id.to_string(), phone)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // From another address too: refused by the phone, with the Chinese message on the form.
    let mut b = At::new(&app, "127.0.1.2", &format!("/appointments/new?station={station}")).await;
    let r = b.post("/appointments/new", &booking(&st, &same_day.slot.id.to_string(), phone)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("同一手机号在同一站点同一天只能预约 1 次，如需改期请先取消原预约"), "{}", r.body);
    assert_eq!(bookings_of(&app, phone).await, 1);
    // Another day is fine.
    let r = b.post("/appointments/new", &booking(&st, &other_day.slot.id.to_string(), phone)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(bookings_of(&app, phone).await, 2);

    // One address cannot fill the slots with made-up phones: three a day, then 429.
    let limit = app.state.config.bookings_per_address_per_day;
    let mut c = At::new(&app, "127.0.1.3", &format!("/appointments/new?station={station}")).await;
    let phones: Vec<String> = (0..=limit).map(|i| format!("1350000{:04}", 5000 + i)).collect();
    let usable: Vec<&service::OpenSlot> = slots.iter().filter(|s| s.slot.slot_date != first.slot.slot_date).collect();
    assert!(usable.len() >= 2, "slots on two more days");
    for (i, p) in phones.iter().enumerate() {
        let slot = usable[(i + 1) % usable.len()].slot.id.to_string();
        let r = c.post("/appointments/new", &booking(&st, &slot, p)).await;
        if (i as i64) < limit {
            assert_eq!(r.status, StatusCode::CREATED, "booking {i}: {}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
            assert!(r.body.contains("同一网络一天内最多预约"), "{}", r.body);
            assert_eq!(bookings_of(&app, p).await, 0);
        }
    }
}
demo_test!(one_booking_per_phone_station_and_day);

/// The admin's outbox page shows no query code, lost-number code or booking code; the row's
/// sealed text decrypts to the full message.
async fn codes_are_never_readable_in_the_outbox(app: TestApp) {
    let phone = "13800005555";
    let mut b = app.browser().await;
    let r = b.post("/opinions/new", &opinion("小区垃圾站夏天气味很大，希望增加清运次数。", phone)).await;
    let r = b.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let query_code = r.texts("#query-code")[0].clone();
    let r = b.post("/track/lost", &[("phone", phone)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let station = keeper_station(&app).await;
    let slot = free_slots(&app, station).await.remove(0);
    let r = b.post("/appointments/new", &booking(&station.to_string(), &slot.slot.id.to_string(), phone)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let booking_code = r.texts("#query-code")[0].clone();

    let sent = sent_to(&app, phone).await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent[0].contains(&query_code), "the provider sends the full text");
    let lost_code = code_in(&sent[1]);
    assert!(sent[2].contains(&booking_code));

    let mut admin = app.login("admin").await;
    let page = admin.get("/console/sms").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("138****5555") && page.body.contains("******"), "{}", page.body);
    for code in [&query_code, &lost_code, &booking_code] {
        assert!(!page.body.contains(code.as_str()), "code {code} readable in the outbox page");
    }
    // Nor in the stored display text.
    let rows = db::query_rows(app.db(), "SELECT body, body_enc FROM sms_outbox", vec![]).await.unwrap();
    for r in &rows {
        let body: String = r.try_get_by_index(0).unwrap();
        let enc: Option<String> = r.try_get_by_index(1).unwrap();
        for code in [&query_code, &lost_code, &booking_code] {
            assert!(!body.contains(code.as_str()), "{body}");
            if let Some(e) = &enc {
                assert!(!e.contains(code.as_str()));
            }
        }
    }
    let sealed: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get_by_index::<Option<String>>(1).unwrap())
        .map(|e| app.state.crypto.decrypt(&e).unwrap())
        .collect();
    assert!(sealed.iter().any(|t| t.contains(&query_code)), "the sealed text decrypts to the full message");
}
demo_test!(codes_are_never_readable_in_the_outbox);

/// Messages written before the outbox sealed its texts keep no readable code: the migration
/// masks them.
async fn the_migration_masks_codes_of_old_messages(app: TestApp) {
    use sea_orm_migration::MigratorTrait;
    let c = db::connect(&app.blank_database_url().await).await.unwrap();
    let before = renda::db::migrations::Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m0021_sms_limits")
        .expect("the migration is listed");
    renda::db::migrations::Migrator::up(&c, Some(before as u32)).await.unwrap();
    let old = [
        ("opinion_receipt", "【数字人大】您反映的问题已收到，查询编号 20260101000012，查询码 AB3K9Z。可在"),
        ("lost_code", "【数字人大】您正在找回反映问题的查询编号，验证码 123456，10 分钟内有效。"),
        ("opinion_progress", "【数字人大】您反映的问题（查询编号 20260101000012）已办结。"),
    ];
    for (purpose, body) in old {
        db::exec(
            &c,
            "INSERT INTO sms_outbox (phone_enc, phone_masked, body, purpose, created_at) VALUES ('', '138****0000', $1, $2, 1)",
            vec![body.into(), purpose.into()],
        )
        .await
        .unwrap();
    }
    renda::db::migrations::Migrator::up(&c, None).await.unwrap();
    let rows =
        db::query_rows(&c, "SELECT body, body_enc, phone_hash FROM sms_outbox ORDER BY id", vec![]).await.unwrap();
    let bodies: Vec<String> = rows.iter().map(|r| r.try_get_by_index(0).unwrap()).collect();
    assert!(bodies[0].contains("查询码 ******") && !bodies[0].contains("AB3K9Z"), "{}", bodies[0]);
    assert!(bodies[1].contains("验证码 ******") && !bodies[1].contains("123456"), "{}", bodies[1]);
    assert_eq!(bodies[2], old[2].1, "a message without a code is left as it was");
    assert!(rows.iter().all(|r| r.try_get_by_index::<Option<String>>(1).unwrap().is_none()));
    c.close().await.unwrap();
}
crate::db_test!(the_migration_masks_codes_of_old_messages);
