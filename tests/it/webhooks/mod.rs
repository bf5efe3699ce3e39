//! OPN-14 webhooks: signed pushes of opinion state changes to a local receiver, retries with
//! back-off until given up, a retry by hand, signed inbound status updates (401 unsigned or
//! stale, 409 replayed, 422 unreadable), the console's permissions, and no personal data in
//! what leaves.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use hmac::{Hmac, Mac};
use renda::auth::Role;
use renda::db;
use sha2::Sha256;

use crate::demo_test;
use crate::support::{Browser, Resp, TestApp};

mod follow;

const PAGE: &str = "/console/webhooks";

/// What the receiver got: headers and body of each request.
pub(crate) type Got = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver on 127.0.0.1:0 answering with `status` (changeable while it runs).
pub(crate) async fn receiver() -> (String, Got, Arc<AtomicU16>) {
    let got: Got = Arc::default();
    let status = Arc::new(AtomicU16::new(200));
    let (g, st) = (got.clone(), status.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (g, st) = (g.clone(), st.clone());
            async move {
                g.lock().unwrap().push((headers, body));
                StatusCode::from_u16(st.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got, status)
}

/// The signature of `sign`: HMAC-SHA256(secret, timestamp "." endpoint "." delivery "." body).
pub(crate) fn hmac_hex(secret: &str, ts: &str, endpoint: i64, delivery: &str, body: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(format!("{ts}.{endpoint}.{delivery}.").as_bytes());
    m.update(body);
    hex::encode(m.finalize().into_bytes())
}

/// The same app, its configuration allowing these webhook hosts (`webhook_allowed_hosts`): the
/// loopback receivers of these tests are internal addresses, refused otherwise.
pub(crate) fn allowing(mut app: TestApp, hosts: &[String]) -> TestApp {
    let mut config = (*app.state.config).clone();
    config.webhook_allowed_hosts = hosts.to_vec();
    app.state = renda::modules::state(app.db().clone(), config);
    app.router = renda::modules::router(app.state.clone());
    app
}

/// The `host:port` of a receiver's URL.
pub(crate) fn host_of(url: &str) -> String {
    url.trim_start_matches("http://").split('/').next().unwrap().to_string()
}

/// Adds an endpoint as the admin; returns (its id, the secret shown once).
pub(crate) async fn add_endpoint(app: &TestApp, admin: &mut Browser<'_>, url: &str) -> (i64, String) {
    let r = admin.post(PAGE, &[("name", "12345 平台"), ("url", url), ("events", "opinion.state_changed")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = r.texts("#new-secret").join("");
    assert_eq!(secret.len(), 64, "{}", r.body);
    let id = db::scalar_i64(app.db(), "SELECT max(id) FROM webhook_endpoints", vec![]).await.unwrap();
    // Shown once: the page itself never shows it again, and it is stored encrypted.
    let again = admin.get(PAGE).await;
    assert!(again.body.contains(url) && !again.body.contains(&secret));
    let stored: String =
        db::query_rows(app.db(), "SELECT secret_enc FROM webhook_endpoints WHERE id = $1", vec![id.into()])
            .await
            .unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains(&secret));
    (id, secret)
}

/// Imports one 12345 order (with a caller's name and phone) as staff; returns its item id.
pub(crate) async fn import_order(app: &TestApp, external_no: &str) -> i64 {
    let mut staff = app.login("staff").await;
    let r = staff
        .post(
            "/console/opinions/import/mappings",
            &[
                ("name", "推送测试"),
                ("external_no", "工单号"),
                ("content", "诉求内容"),
                ("phone", "电话"),
                ("name_column", "姓名"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mapping =
        db::scalar_i64(app.db(), "SELECT id FROM import_mappings WHERE name = '推送测试'", vec![]).await.unwrap();
    let json = serde_json::json!([{ "工单号": external_no, "诉求内容": "小区门口路灯不亮，夜间出行不便。", "电话": "13900001111", "姓名": "李小梅" }]);
    let r = staff
        .upload(
            &format!("/console/opinions/import?mapping={mapping}"),
            "file",
            "orders.json",
            json.to_string().as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    db::scalar_i64(app.db(), "SELECT item_id FROM opinions WHERE external_no = $1", vec![external_no.into()])
        .await
        .unwrap()
}

async fn step(b: &mut Browser<'_>, item: i64, fields: &[(&str, &str)]) {
    let r = b.post(&format!("/console/handling/{item}/step"), fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.body);
}

/// Runs the job as `renda jobs run webhook-deliver --now <at>` does.
pub(crate) async fn run_job(app: &TestApp, at: i64) {
    let job = renda::modules::state_modules().job("webhook-deliver").expect("a registered job");
    (job.run)(&app.state, &serde_json::json!({ "now": at }).to_string()).await.unwrap();
}

async fn delivery_states(app: &TestApp) -> Vec<(String, i64)> {
    db::query_rows(app.db(), "SELECT state, attempts FROM webhook_deliveries ORDER BY id", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
        .collect()
}

async fn pushes_are_signed_and_carry_no_personal_data(app: TestApp) {
    let (url, got, _) = receiver().await;
    let app = allowing(app, &[host_of(&url)]);
    let mut admin = app.login("admin").await;
    let (ep, secret) = add_endpoint(&app, &mut admin, &url).await;
    let item = import_order(&app, "ZB-2026-0001").await;
    assert_eq!(delivery_states(&app).await.len(), 0, "importing is not a state change");
    let unit = db::scalar_i64(app.db(), "SELECT unit_id FROM accounts WHERE username = 'unit'", vec![]).await.unwrap();
    let mut staff = app.login("staff").await;
    step(
        &mut staff,
        item,
        &[("step", "assign"), ("unit", &unit.to_string()), ("role", "lead"), ("days", "5"), ("text", "请核实")],
    )
    .await;
    let mut u = app.login("unit").await;
    step(&mut u, item, &[("step", "accept")]).await;
    step(&mut u, item, &[("step", "reply"), ("outcome", "resolved"), ("text", "路灯已修复。")]).await;
    // In the outbox with the steps' commits; nothing sent yet.
    assert_eq!(delivery_states(&app).await, vec![("pending".to_string(), 0); 3]);
    assert!(got.lock().unwrap().is_empty());
    let queued =
        db::scalar_i64(app.db(), "SELECT count(*) FROM jobs WHERE kind = 'webhook-deliver'", vec![]).await.unwrap();
    assert!(queued >= 1, "the job is queued with the event");

    run_job(&app, db::now()).await;
    assert_eq!(delivery_states(&app).await, vec![("delivered".to_string(), 1); 3]);
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let ids: Vec<i64> = db::query_rows(app.db(), "SELECT id FROM webhook_deliveries ORDER BY id", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    let mut states = Vec::new();
    for ((headers, body), id) in got.iter().zip(&ids) {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert_eq!(h("x-renda-event"), "opinion.state_changed");
        assert_eq!(h("x-renda-delivery"), id.to_string());
        assert_eq!(h("content-type"), "application/json");
        let ts = h("x-renda-timestamp");
        assert!((db::now() - ts.parse::<i64>().unwrap()).abs() < 60);
        let signed = hmac_hex(&secret, &ts, ep, &id.to_string(), body);
        assert_eq!(h("x-renda-signature"), format!("sha256={signed}"), "signature");
        let text = String::from_utf8(body.to_vec()).unwrap();
        for personal in ["13900001111", "139****1111", "李小梅", "李*梅", "李**"] {
            assert!(!text.contains(personal), "personal data {personal} in {text}");
        }
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["event"], "opinion.state_changed");
        assert_eq!(v["data"]["external_no"], "ZB-2026-0001");
        assert!(v["data"]["tracking_no"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(v["data"].get("phone").is_none() && v["data"].get("name").is_none());
        states.push(v["data"]["state"].as_str().unwrap().to_string());
    }
    assert_eq!(states, ["assigned", "in_progress", "replied"].map(String::from));
    let last: serde_json::Value = serde_json::from_slice(&got[2].1).unwrap();
    assert_eq!(last["data"]["reply"]["result"], "resolved");
    assert_eq!(last["data"]["reply"]["text"], "路灯已修复。");
    // The console lists them as delivered.
    let page = admin.get(PAGE).await;
    assert_eq!(page.texts("table.deliveries tr.delivered").len(), 3, "{}", page.body);
}
demo_test!(pushes_are_signed_and_carry_no_personal_data);

async fn a_failing_endpoint_is_retried_with_backoff_then_given_up(app: TestApp) {
    let (url, got, status) = receiver().await;
    let app = allowing(app, &[host_of(&url)]);
    status.store(500, Ordering::SeqCst);
    let mut admin = app.login("admin").await;
    add_endpoint(&app, &mut admin, &url).await;
    let item = import_order(&app, "ZB-2026-0002").await;
    let mut staff = app.login("staff").await;
    step(&mut staff, item, &[("step", "reject"), ("text", "不属于本机关受理范围")]).await;
    let t0 = db::now();
    run_job(&app, t0).await;
    assert_eq!(delivery_states(&app).await, vec![("pending".to_string(), 1)]);
    let next = |app: &TestApp| {
        let db = app.db().clone();
        async move { db::scalar_i64(&db, "SELECT next_attempt_at FROM webhook_deliveries", vec![]).await.unwrap() }
    };
    assert_eq!(next(&app).await, t0 + 60);
    // The next run of the job is scheduled for the retry.
    let scheduled = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM jobs WHERE kind = 'webhook-deliver' AND run_at = $1",
        vec![(t0 + 60).into()],
    )
    .await
    .unwrap();
    assert_eq!(scheduled, 1);
    // Too early: nothing happens.
    run_job(&app, t0 + 59).await;
    assert_eq!(got.lock().unwrap().len(), 1);
    // 1 min, 5 min, 30 min, 2 h, 12 h, then given up.
    let mut at = t0;
    for (attempt, wait) in [(2, 60), (3, 300), (4, 1800), (5, 7200), (6, 43200)] {
        at += wait;
        run_job(&app, at).await;
        assert_eq!(got.lock().unwrap().len(), attempt as usize);
        let state = if attempt < 6 { "pending" } else { "failed" };
        assert_eq!(delivery_states(&app).await, vec![(state.to_string(), attempt)], "after attempt {attempt}");
        if attempt < 6 {
            assert!(next(&app).await > at);
        }
    }
    run_job(&app, at + 86_400).await;
    assert_eq!(got.lock().unwrap().len(), 6, "given up: no seventh attempt");
    let page = admin.get(PAGE).await;
    assert!(page.body.contains("已放弃") && page.body.contains("HTTP 500"), "{}", page.body);

    // A retry by hand, once the other side works again.
    status.store(204, Ordering::SeqCst);
    let id = db::scalar_i64(app.db(), "SELECT id FROM webhook_deliveries", vec![]).await.unwrap();
    let r = admin.post(&format!("{PAGE}/deliveries/{id}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    run_job(&app, db::now()).await;
    assert_eq!(delivery_states(&app).await, vec![("delivered".to_string(), 7)]);
    let r = admin.post(&format!("{PAGE}/deliveries/{id}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a delivered push is not sent again");
    let audited =
        db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'webhook_delivery_retry'", vec![])
            .await
            .unwrap();
    assert_eq!(audited, 1);
}
demo_test!(a_failing_endpoint_is_retried_with_backoff_then_given_up);

/// A signed inbound request.
pub(crate) fn inbound(
    endpoint: i64,
    secret: &str,
    delivery: &str,
    ts: i64,
    body: &str,
    sig: Option<String>,
) -> Request<Body> {
    let sig = sig.unwrap_or_else(|| {
        format!("sha256={}", hmac_hex(secret, &ts.to_string(), endpoint, delivery, body.as_bytes()))
    });
    Request::post(format!("/api/v1/webhooks/inbound/{endpoint}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Renda-Delivery", delivery)
        .header("X-Renda-Timestamp", ts.to_string())
        .header("X-Renda-Signature", sig)
        .body(Body::from(body.to_string()))
        .unwrap()
}

pub(crate) async fn external_events(app: &TestApp, item: i64) -> Vec<(String, String)> {
    db::query_rows(
        app.db(),
        "SELECT detail, body FROM handling_events WHERE item_id = $1 AND step = 'external' ORDER BY id",
        vec![item.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
    .collect()
}

pub(crate) fn problem(r: &Resp, status: StatusCode) {
    assert_eq!(r.status, status, "{}", r.body);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
    assert!(detail.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "a Chinese message: {}", r.body);
}

async fn inbound_updates_are_signed_fresh_and_once(app: TestApp) {
    let (url, _, _) = receiver().await;
    let app = allowing(app, &[host_of(&url)]);
    let mut admin = app.login("admin").await;
    let (ep, secret) = add_endpoint(&app, &mut admin, &url).await;
    let item = import_order(&app, "ZB-2026-0003").await;
    let now = db::now();
    let body = r#"{"external_no": "ZB-2026-0003", "status": "in_progress", "text": "已派单至供电所"}"#;

    let r = app.send(inbound(ep, &secret, "d-1", now, body, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(external_events(&app, item).await, vec![("in_progress".to_string(), "已派单至供电所".to_string())]);
    let mut staff = app.login("staff").await;
    let opinion =
        db::scalar_i64(app.db(), "SELECT id FROM opinions WHERE item_id = $1", vec![item.into()]).await.unwrap();
    let page = staff.get(&format!("/console/opinions/{opinion}")).await;
    assert!(page.body.contains("外部系统回传：办理中") && page.body.contains("已派单至供电所"), "{}", page.body);

    // Replayed: the same delivery id again.
    problem(&app.send(inbound(ep, &secret, "d-1", now, body, None)).await, StatusCode::CONFLICT);
    // Wrong secret, missing signature, stale or future timestamp.
    problem(&app.send(inbound(ep, "wrong", "d-2", now, body, None)).await, StatusCode::UNAUTHORIZED);
    let unsigned = Request::post(format!("/api/v1/webhooks/inbound/{ep}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    problem(&app.send(unsigned).await, StatusCode::UNAUTHORIZED);
    problem(&app.send(inbound(ep, &secret, "d-3", now - 301, body, None)).await, StatusCode::UNAUTHORIZED);
    problem(&app.send(inbound(ep, &secret, "d-4", now + 400, body, None)).await, StatusCode::UNAUTHORIZED);
    problem(
        &app.send(inbound(ep, &secret, "d-5", now, body, Some("sha256=00".into()))).await,
        StatusCode::UNAUTHORIZED,
    );
    // Signed but unreadable: not JSON, an unknown status, an unknown order.
    problem(&app.send(inbound(ep, &secret, "d-6", now, "{not json", None)).await, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_status = r#"{"external_no": "ZB-2026-0003", "status": "done"}"#;
    problem(&app.send(inbound(ep, &secret, "d-7", now, bad_status, None)).await, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = r#"{"external_no": "ZB-404", "status": "closed"}"#;
    problem(&app.send(inbound(ep, &secret, "d-8", now, unknown, None)).await, StatusCode::UNPROCESSABLE_ENTITY);
    problem(&app.send(inbound(ep, &secret, "d-9", now, "[1, 2]", None)).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(external_events(&app, item).await.len(), 1, "nothing refused was recorded");
    // A refused one's delivery id was not used up.
    let closed = r#"{"external_no": "ZB-2026-0003", "status": "closed", "text": "已办结"}"#;
    let r = app.send(inbound(ep, &secret, "d-8", now, closed, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(external_events(&app, item).await.len(), 2);
    let audited = db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'webhook_inbound'", vec![])
        .await
        .unwrap();
    assert_eq!(audited, 2);
    // A disabled endpoint accepts nothing.
    let r = admin
        .post(&format!("{PAGE}/{ep}"), &[("name", "12345 平台"), ("url", &url), ("events", "opinion.state_changed")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    problem(&app.send(inbound(ep, &secret, "d-10", now, closed, None)).await, StatusCode::FORBIDDEN);
    // Accepted ids are forgotten once too old to replay (the timestamp refuses those).
    run_job(&app, now + 2 * 86_400).await;
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM webhook_inbound", vec![]).await.unwrap(), 0);
    // An unknown endpoint: 404.
    assert_eq!(app.send(inbound(ep + 1000, &secret, "d-11", now, closed, None)).await.status, StatusCode::NOT_FOUND);
}
demo_test!(inbound_updates_are_signed_fresh_and_once);

async fn only_the_top_organs_admins_manage_endpoints(app: TestApp) {
    let (url, _, _) = receiver().await;
    let app = allowing(app, &[host_of(&url)]);
    for who in ["staff", "leader", "unit", "deputy", "keeper"] {
        let mut b = app.login(who).await;
        assert_eq!(b.get(PAGE).await.status, StatusCode::NOT_FOUND, "{who} sees the page");
        let r = b.post(PAGE, &[("name", "x"), ("url", &url), ("events", "opinion.state_changed")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} adds an endpoint");
    }
    let mut admin = app.login("admin").await;
    let home = admin.get("/console").await;
    assert!(home.body.contains("数据推送"), "the admin's menu offers it");
    // Input errors: the form again, with what was typed and a Chinese message.
    let r =
        admin.post(PAGE, &[("name", "内网"), ("url", "ftp://10.0.0.1/"), ("events", "opinion.state_changed")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("http://") && r.body.contains("ftp://10.0.0.1/"), "{}", r.body);
    let r = admin.post(PAGE, &[("name", "内网"), ("url", "http://10.0.0.1/")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请至少选择一种推送事件"));
    let r = admin.post(PAGE, &[("name", "内网"), ("url", "http://10.0.0.1/"), ("events", "nope")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let endpoints = "SELECT count(*) FROM webhook_endpoints WHERE name <> '12345 热线平台（演示）'";
    assert_eq!(db::scalar_i64(app.db(), endpoints, vec![]).await.unwrap(), 0);
    let (ep, _) = add_endpoint(&app, &mut admin, &url).await;
    // Another organ's admin neither sees nor changes it, nor adds one of their own (only the
    // top organ's admins manage endpoints: `webhook_admins`, tests/it/security/outbound.rs).
    let top = db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'admin'", vec![]).await.unwrap();
    let other = app.add_organ("hook-other", "另一个乡镇人大", top).await;
    app.add_account("other_admin", other, &[Role::Admin]).await;
    let mut o = app.login("other_admin").await;
    assert_eq!(o.get(PAGE).await.status, StatusCode::OK);
    assert!(!o.get(PAGE).await.body.contains(&url));
    assert_eq!(o.get(&format!("{PAGE}/{ep}")).await.status, StatusCode::FORBIDDEN);
    let r = o
        .post(
            &format!("{PAGE}/{ep}"),
            &[("name", "x"), ("url", "http://10.9.9.9/"), ("events", "opinion.state_changed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let audited = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'webhook_endpoint_create' AND actor_id IS NOT NULL",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(audited, 1);
}
demo_test!(only_the_top_organs_admins_manage_endpoints);
