//! OPN-3: a submitter who lost the tracking number finds their submissions with their phone
//! and an SMS code; the page never tells whether a phone is known; codes expire after tries.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use crate::demo_test;
use crate::support::TestApp;

const PHONE: &str = "13912345678";

async fn last_code(app: &TestApp) -> Option<String> {
    // The outbox shows codes masked; the text sent is read through the provider's helper.
    let sent = renda::notify::sent_since(app.db(), &app.state.crypto, 0).await.unwrap();
    let body = sent.into_iter().rev().find(|m| m.purpose == "lost_code")?.body;
    let i = body.find("验证码 ")? + "验证码 ".len();
    Some(body[i..i + 6].to_string())
}

async fn codes_sent(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM sms_outbox WHERE purpose = 'lost_code'", vec![]).await.unwrap()
}

demo_test!(a_lost_number_is_found_by_phone_and_sms_code);
async fn a_lost_number_is_found_by_phone_and_sms_code(app: TestApp) {
    let mut receipts = Vec::new();
    for content in ["菜市场门口的路面坑洼积水，下雨天没法走。", "小区门口的公交站牌被撞坏了，很久没修。"]
    {
        let r = app
            .api("POST", "/api/v1/opinions", None, Some(json!({"content": content, "phone": PHONE, "consent": true})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let j = r.json();
        receipts.push((j["tracking_no"].as_str().unwrap().to_string(), j["query_code"].as_str().unwrap().to_string()));
    }
    let mut b = app.browser().await;
    let page = b.get("/track").await;
    assert_eq!(page.texts("#lost").len(), 1, "the track page offers the way back");

    // A bad phone is a 422; an unknown one gets the same answer as a known one, and no SMS.
    let r = b.post("/track/lost", &[("phone", "12345")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("11 位手机号"));
    let r = b.post("/track/lost", &[("phone", "13800000000")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("如果这个手机号提交过意见"));
    assert_eq!(codes_sent(&app).await, 0);

    let r = b.post("/track/lost", &[("phone", PHONE)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("如果这个手机号提交过意见") && r.body.contains("sms_code"));
    let code = last_code(&app).await.expect("a code went out");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = b.post("/track/lost", &[("phone", PHONE), ("sms_code", wrong)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("验证码不正确"));

    let r = b.post("/track/lost", &[("phone", PHONE), ("sms_code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let numbers = r.texts(".tracking-no");
    let codes = r.texts(".query-code");
    assert_eq!(numbers.len(), 2);
    for (no, old) in &receipts {
        let i = numbers.iter().position(|n| n == no).expect("each submission is listed");
        // The old code no longer works, the new one does.
        let t = app.api("GET", &format!("/api/v1/opinions/track/{no}?code={old}"), None, None).await;
        assert_eq!(t.status, StatusCode::NOT_FOUND);
        let t = app.api("GET", &format!("/api/v1/opinions/track/{no}?code={}", codes[i]), None, None).await;
        assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    }
    // A code works once.
    let r = b.post("/track/lost", &[("phone", PHONE), ("sms_code", &code)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The admin reads the built-in provider's outbox, numbers masked; others may not.
    let mut admin = app.login("admin").await;
    let page = admin.get("/console/sms").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("139****5678") && !page.body.contains(PHONE), "{}", page.body);
    assert!(page.body.contains("找回验证码"));
    let mut staff = app.login("staff").await;
    let r = staff.get("/console/sms").await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);

    // Five wrong tries spend a code: the right one no longer opens anything.
    let r = b.post("/track/lost", &[("phone", PHONE)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let code = last_code(&app).await.unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        b.post("/track/lost", &[("phone", PHONE), ("sms_code", wrong)]).await;
    }
    let r = b.post("/track/lost", &[("phone", PHONE), ("sms_code", &code)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A fourth code within the hour is refused for this phone (three are sent).
    let r = b.post("/track/lost", &[("phone", PHONE)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = b.post("/track/lost", &[("phone", PHONE)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
}
