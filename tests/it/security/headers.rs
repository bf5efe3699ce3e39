//! Issue 20: `Cache-Control: no-store` on every response that can carry personal data or a
//! code (signed-in callers, the API, every POST, tracking pages and receipts), cacheable only
//! static assets and public images to anonymous callers; and the client address behind a proxy
//! (`trusted_proxy_hops`): never the client-written left of `X-Forwarded-For`.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use renda::auth::Scope;
use renda::db;

use crate::demo_test;
use crate::support::{Resp, TestApp};

fn cache_control(r: &Resp) -> String {
    r.header("cache-control").unwrap_or("(none)").to_string()
}

fn no_store(r: &Resp, what: &str) {
    let cc = cache_control(r);
    assert!(cc.split(',').any(|d| d.trim() == "no-store"), "{what} ({}): {cc}", r.status);
}

fn cacheable(r: &Resp, what: &str) {
    assert_eq!(r.status, StatusCode::OK, "{what}");
    let cc = cache_control(r);
    assert!(cc.starts_with("public") && !cc.contains("no-store"), "{what}: {cc}");
}

/// Routes × callers: anonymous, a signed-in session, a bearer token.
async fn personal_responses_are_never_stored(app: TestApp) {
    let station = db::scalar_i64(app.db(), "SELECT min(id) FROM stations", vec![]).await.unwrap();
    let qr = format!("/s/{station}/qr.svg");
    let mut anon = app.browser().await;
    let public_gets = [
        "/",
        "/login",
        "/find",
        "/opinions/new",
        "/track",
        "/track/lost",
        "/appointments/new",
        "/appointments/track",
        "/api/v1/openapi.json",
        "/open311/v2/services.json",
        "/console",
        "/no-such-page",
    ];
    for path in public_gets {
        no_store(&anon.get(path).await, &format!("anonymous GET {path}"));
    }
    cacheable(&anon.get("/static/app.css").await, "anonymous GET /static/app.css");
    cacheable(&anon.get(&qr).await, "anonymous GET a station's QR code");
    // Every POST: the receipt of an opinion (tracking number and query code), a tracking
    // look-up, a failed sign-in.
    let receipt = anon.post("/opinions/new", &[("content", "小区路灯坏了两周，夜里出行不便，请尽快修复。")]).await;
    no_store(&receipt, "the redirect to the receipt");
    let receipt = anon.follow(receipt).await;
    assert!(receipt.status.is_success(), "{}", receipt.body);
    assert!(receipt.body.contains("查询码") || receipt.body.contains("编号"), "a receipt: {}", receipt.body);
    no_store(&receipt, "the opinion receipt");
    no_store(&anon.post("/track", &[("tracking_no", "X"), ("code", "Y")]).await, "POST /track");
    no_store(&anon.post("/track/lost", &[("phone", "13900001111")]).await, "POST /track/lost");
    no_store(
        &anon.post("/appointments/track", &[("tracking_no", "X"), ("code", "Y")]).await,
        "POST /appointments/track",
    );
    no_store(&anon.post("/login", &[("username", "staff"), ("password", "wrong-pass1")]).await, "POST /login");
    let api = app
        .api("POST", "/api/v1/opinions", None, Some(serde_json::json!({"content": "村口桥面破损，车辆通行有危险。"})))
        .await;
    assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
    no_store(&api, "the API receipt");

    // Signed in: everything but the static assets, public images included.
    let mut staff = app.login("staff").await;
    for path in ["/console", "/console/opinions", "/track", "/find", &qr, "/api/v1/opinions", "/no-such-page"] {
        no_store(&staff.get(path).await, &format!("signed-in GET {path}"));
    }
    cacheable(&staff.get("/static/app.css").await, "signed-in GET /static/app.css");
    // A bearer token.
    let token = app.token("staff", Scope::Read).await;
    for path in ["/api/v1/opinions", "/api/v1/openapi.json", &qr] {
        no_store(&app.api("GET", path, Some(&token), None).await, &format!("bearer GET {path}"));
    }
}
demo_test!(personal_responses_are_never_stored);

/// One anonymous API submission as coming from `socket` with `forwarded` as X-Forwarded-For.
async fn submit_from(app: &TestApp, socket: &str, forwarded: &str, n: usize) -> StatusCode {
    let body = serde_json::json!({ "content": format!("第{n}次反映：菜市场门口占道经营，早晚交通拥堵。{socket}") });
    let mut req = Request::post("/api/v1/opinions")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", forwarded)
        .body(Body::from(body.to_string()))
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(socket.parse::<SocketAddr>().unwrap()));
    let r = app.send(req).await;
    assert!(matches!(r.status, StatusCode::CREATED | StatusCode::TOO_MANY_REQUESTS), "{}", r.body);
    r.status
}

fn with_hops(mut app: TestApp, behind_https: bool, hops: usize) -> TestApp {
    let mut config = (*app.state.config).clone();
    config.behind_https = behind_https;
    config.trusted_proxy_hops = hops;
    app.state = renda::modules::state(app.db().clone(), config);
    app.router = renda::modules::router(app.state.clone());
    app
}

/// The intake limit (ten an hour per address) holds however the client fills the left of
/// X-Forwarded-For; with one proxy of ours, its entry (the rightmost) is the client.
async fn spoofed_forwarded_for_does_not_escape_the_intake_limit(app: TestApp) {
    let limit = renda::opinions::service::PUBLIC_PER_HOUR as usize;
    let statuses = |v: &[StatusCode]| v.iter().filter(|s| **s == StatusCode::CREATED).count();
    // No proxy configured: the header is ignored, the socket's address counts.
    let mut got = Vec::new();
    for i in 0..limit + 2 {
        got.push(submit_from(&app, "198.51.100.20:40000", &format!("1.2.3.{i}"), i).await);
    }
    assert_eq!(statuses(&got), limit, "{got:?}");
    assert_eq!(got.last(), Some(&StatusCode::TOO_MANY_REQUESTS));

    // Behind our https proxy (one hop): rotating entries on the left change nothing.
    let app = with_hops(app, true, 1);
    let mut got = Vec::new();
    for i in 0..limit + 2 {
        let xff = format!("6.6.{i}.{i}, 10.9.9.{i}, 203.0.113.50");
        got.push(submit_from(&app, "10.0.0.1:40000", &xff, 100 + i).await);
    }
    assert_eq!(statuses(&got), limit, "leftmost entries are client-written: {got:?}");

    // …and the entry our proxy added is the client: distinct clients behind the one proxy
    // socket each have their own budget (neither the socket nor the left entry is used).
    let mut got = Vec::new();
    for i in 0..limit + 2 {
        let xff = format!("6.6.6.6, 203.0.113.{}", 100 + i);
        got.push(submit_from(&app, "10.0.0.1:40000", &xff, 200 + i).await);
    }
    assert_eq!(statuses(&got), limit + 2, "{got:?}");

    // Two hops: the entry two places from the right; a header shorter than that, or a
    // malformed entry there, falls back to the socket.
    let app = with_hops(app, true, 2);
    let mut got = Vec::new();
    for i in 0..limit + 2 {
        let xff = match i % 3 {
            0 => format!("9.9.9.{i}, 192.0.2.77, 10.0.0.2"),
            1 => format!("9.9.9.{i},192.0.2.77,10.0.0.{i}"),
            _ => "192.0.2.77, 10.0.0.3".to_string(),
        };
        got.push(submit_from(&app, "10.0.0.1:40001", &xff, 300 + i).await);
    }
    assert_eq!(statuses(&got), limit, "{got:?}");
    let mut got = Vec::new();
    for i in 0..limit + 2 {
        let xff = if i % 2 == 0 { "not-an-address, 10.0.0.2".to_string() } else { format!("10.0.0.{i}") };
        got.push(submit_from(&app, "10.0.0.77:40002", &xff, 400 + i).await);
    }
    assert_eq!(statuses(&got), limit, "malformed or short: the socket's budget: {got:?}");
}
demo_test!(spoofed_forwarded_for_does_not_escape_the_intake_limit);
