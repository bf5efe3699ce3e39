//! Issue 20: no server-side requests to internal addresses (webhook endpoints are no port
//! scanner), one generic error for an unreachable endpoint, only the top organ's admins
//! manage endpoints, and an inbound signature that covers the delivery id and the endpoint.
//! Nothing here leaves the machine: names resolve through a stub, and every connection that is
//! made goes to a listener on 127.0.0.1.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use renda::app::config::WebhookAdmins;
use renda::auth::Role;
use renda::db;
use renda::webhooks::outbound::{self, UNREACHABLE};

use crate::demo_test;
use crate::support::{Browser, Resp, TestApp};
use crate::webhooks::{
    add_endpoint, allowing, external_events, hmac_hex, host_of, import_order, inbound, problem, receiver, run_job,
};

const PAGE: &str = "/console/webhooks";
/// A public-looking address the stub gives out at registration; nothing ever connects to it
/// (each test turns the name to loopback, or runs no delivery, before the job runs).
const PUBLIC_LOOKING: &str = "93.184.216.34";

/// Names to addresses, changeable while the app runs; an unknown name does not resolve.
type Names = Arc<Mutex<HashMap<String, String>>>;

/// Installs a stub resolver on the app: the system's resolver is never asked.
fn stub_resolver(app: &TestApp) -> Names {
    let names: Names = Arc::default();
    let table = names.clone();
    outbound::set_resolver(
        &app.state,
        Arc::new(move |host: String, port: u16| {
            let found = table.lock().unwrap().get(&host).cloned();
            Box::pin(async move {
                match found {
                    Some(ip) => Ok(vec![SocketAddr::new(ip.parse().unwrap(), port)]),
                    None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "unknown name (stub)")),
                }
            })
        }),
    );
    names
}

/// A listener on 127.0.0.1 that counts connections, reads each request whole and answers it
/// with `answer` (read first, so that closing never resets the connection under the answer).
async fn counting_listener(answer: &'static [u8]) -> (u16, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let head_end = request.windows(4).position(|w| w == b"\r\n\r\n");
                    if let Some(end) = head_end {
                        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(answer).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (port, count)
}

/// A port on 127.0.0.1 nothing listens on (bound, then closed).
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

async fn post_endpoint(b: &mut Browser<'_>, url: &str) -> Resp {
    b.post(PAGE, &[("name", "外部平台"), ("url", url), ("events", "opinion.state_changed")]).await
}

async fn endpoint_count(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM webhook_endpoints", vec![]).await.unwrap()
}

/// Puts one delivery of `endpoint` into the outbox, as an opinion's step would.
async fn enqueue(app: &TestApp, endpoint: i64) {
    let data = serde_json::json!({ "tracking_no": "T-1", "state": "assigned" });
    renda::webhooks::enqueue(app.db(), &[endpoint], &renda::opinions::webhooks::STATE_CHANGED, &data, db::now())
        .await
        .unwrap();
}

async fn last_delivery(app: &TestApp) -> (String, i64, Option<String>) {
    let rows =
        db::query_rows(app.db(), "SELECT state, attempts, last_error FROM webhook_deliveries ORDER BY id DESC", vec![])
            .await
            .unwrap();
    let r = &rows[0];
    (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap())
}

/// Every kind of internal or disguised address is refused when the endpoint is saved (422,
/// the reason on the URL field), and nothing is stored.
async fn internal_addresses_are_refused_at_registration(app: TestApp) {
    let names = stub_resolver(&app);
    names.lock().unwrap().insert("intranet.example".into(), "10.1.2.3".into());
    names.lock().unwrap().insert("meta.example".into(), "169.254.169.254".into());
    names.lock().unwrap().insert("v6local.example".into(), "fd00::5".into());
    let mut admin = app.login("admin").await;
    let before = endpoint_count(&app).await;
    let internal = "不能推送到本机、内网";
    let cases: &[(&str, &str)] = &[
        ("http://127.0.0.1/", internal),
        ("http://127.0.0.1:5432/", internal),
        ("http://127.8.9.10:8080/hook", internal),
        ("http://localhost:5432/", internal),
        ("http://api.localhost/", internal),
        ("http://[::1]/", internal),
        ("http://[::ffff:127.0.0.1]/", internal),
        ("http://[::ffff:7f00:1]:8080/", internal),
        ("http://0.0.0.0:8080/", internal),
        ("http://[::]/", internal),
        ("http://169.254.169.254/latest/meta-data/", internal),
        ("http://[fd00:ec2::254]/latest/meta-data/", internal),
        ("http://100.100.100.200/latest/meta-data/", internal),
        ("http://[fe80::1]/", internal),
        ("http://10.0.0.8:8080/renda", internal),
        ("http://172.16.5.4/", internal),
        ("http://192.168.1.1/", internal),
        ("http://100.64.0.1/", internal),
        ("http://224.0.0.1/", internal),
        ("http://255.255.255.255/", internal),
        ("http://192.0.2.10/", internal),
        ("http://198.18.0.1/", internal),
        ("http://[2001:db8::1]/", internal),
        ("http://intranet.example/hook", internal),
        ("http://meta.example/", internal),
        ("http://v6local.example/", internal),
        ("http://2130706433/", "四段十进制"),
        ("http://0177.0.0.1/", "四段十进制"),
        ("http://0x7f.0.0.1/", "四段十进制"),
        ("http://0x7f000001/", "四段十进制"),
        ("http://127.1/", "四段十进制"),
        ("http://user:secret@hooks.example/", "用户名或密码"),
        ("http://hooks.example@127.0.0.1/", "用户名或密码"),
        ("http://nowhere.example/", "无法解析"),
        ("ftp://hooks.example/", "http://"),
        ("https://hooks.example/", "https"),
    ];
    for (url, why) in cases {
        let r = post_endpoint(&mut admin, url).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", r.body);
        let errors = r.texts(".field-error").join(" ");
        assert!(errors.contains(why), "{url}: {errors}");
        assert!(r.body.contains(&url.replace('&', "&amp;")), "the form keeps what was typed: {url}");
    }
    assert_eq!(endpoint_count(&app).await, before, "nothing refused was stored");
    // Changing an existing endpoint to such an address is refused the same way.
    names.lock().unwrap().insert("hooks.example".into(), PUBLIC_LOOKING.into());
    let r = post_endpoint(&mut admin, "http://hooks.example/renda").await;
    assert_eq!(r.status, StatusCode::OK, "a public address is accepted: {}", r.body);
    let ep = db::scalar_i64(app.db(), "SELECT max(id) FROM webhook_endpoints", vec![]).await.unwrap();
    let r = admin
        .post(
            &format!("{PAGE}/{ep}"),
            &[("name", "外部平台"), ("url", "http://[::ffff:169.254.169.254]/"), ("events", "opinion.state_changed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let url: String =
        db::query_rows(app.db(), "SELECT url FROM webhook_endpoints WHERE id = $1", vec![ep.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert_eq!(url, "http://hooks.example/renda");
    // An endpoint saved before this rule at an address now refused: it can still be disabled
    // (it sends nothing then), not kept active.
    db::exec(
        app.db(),
        "UPDATE webhook_endpoints SET url = 'http://10.0.0.8:8080/renda' WHERE id = $1",
        vec![ep.into()],
    )
    .await
    .unwrap();
    let fields = |active: &'static str| {
        vec![
            ("name", "外部平台"),
            ("url", "http://10.0.0.8:8080/renda"),
            ("events", "opinion.state_changed"),
            ("active", active),
        ]
    };
    let r = admin.post(&format!("{PAGE}/{ep}"), &fields("on")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = admin.post(&format!("{PAGE}/{ep}"), &fields("")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let active = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM webhook_endpoints WHERE id = $1 AND active = $2",
        vec![ep.into(), true.into()],
    )
    .await
    .unwrap();
    assert_eq!(active, 0);
}
demo_test!(internal_addresses_are_refused_at_registration);

/// DNS rebinding: a name that resolved to a public address when the endpoint was saved and to
/// 127.0.0.1 at send time is refused at send time, with no connection made, and the console
/// says only the generic line.
async fn a_name_turned_internal_is_refused_at_send(app: TestApp) {
    let names = stub_resolver(&app);
    let (port, connections) = counting_listener(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await;
    names.lock().unwrap().insert("hooks.example".into(), PUBLIC_LOOKING.into());
    let mut admin = app.login("admin").await;
    let url = format!("http://hooks.example:{port}/hook");
    let (ep, _) = add_endpoint(&app, &mut admin, &url).await;
    // The name now points at this machine, where the listener would answer.
    names.lock().unwrap().insert("hooks.example".into(), "127.0.0.1".into());
    enqueue(&app, ep).await;
    run_job(&app, db::now()).await;
    assert_eq!(last_delivery(&app).await, ("pending".into(), 1, Some(UNREACHABLE.into())));
    assert_eq!(connections.load(Ordering::SeqCst), 0, "no connection was made");
    let page = admin.get(PAGE).await;
    let results = page.texts("table.deliveries td:nth-child(7)").join(" ");
    assert!(results.contains(UNREACHABLE), "{results}");
    let list = page.texts("table.deliveries").join(" ");
    assert!(!list.contains("127.0.0.1") && !list.contains("Connection"), "only the generic line: {list}");
}
demo_test!(a_name_turned_internal_is_refused_at_send);

/// What the installation allows is delivered: a loopback `host:port`, and a name allowed by the
/// configuration (connected to at the address the stub gave). Another port of an allowed host
/// is still refused.
async fn allowed_hosts_get_their_deliveries(app: TestApp) {
    let (url, got, _) = receiver().await;
    let port = host_of(&url).split(':').nth(1).unwrap().to_string();
    let app = allowing(app, &[host_of(&url), format!("hooks.internal:{port}")]);
    let names = stub_resolver(&app);
    names.lock().unwrap().insert("hooks.internal".into(), "127.0.0.1".into());
    let mut admin = app.login("admin").await;
    let (ep, secret) = add_endpoint(&app, &mut admin, &url).await;
    let named = format!("http://hooks.internal:{port}/hook");
    let (ep2, _) = add_endpoint(&app, &mut admin, &named).await;
    let other_port = post_endpoint(&mut admin, &format!("http://127.0.0.1:{}/hook", closed_port().await)).await;
    assert_eq!(other_port.status, StatusCode::UNPROCESSABLE_ENTITY, "the allow list is per host and port");
    enqueue(&app, ep).await;
    enqueue(&app, ep2).await;
    run_job(&app, db::now()).await;
    let states = db::query_rows(app.db(), "SELECT state FROM webhook_deliveries ORDER BY id", vec![]).await.unwrap();
    let states: Vec<String> = states.iter().map(|r| r.try_get_by_index(0).unwrap()).collect();
    assert_eq!(states, ["delivered", "delivered"]);
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let (headers, body) = &got[0];
    let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_string();
    assert_eq!(h("host"), host_of(&url));
    assert_eq!(got[1].0.get("host").unwrap(), &format!("hooks.internal:{port}"), "the Host header keeps the name");
    let sig = hmac_hex(&secret, &h("x-renda-timestamp"), ep, &h("x-renda-delivery"), body);
    assert_eq!(h("x-renda-signature"), format!("sha256={sig}"), "signed over endpoint and delivery id");
}
demo_test!(allowed_hosts_get_their_deliveries);

/// Refused connections, answers that are not HTTP and redirects: the console shows the generic
/// line (or the bare status code), never the low-level reason — also for rows written before.
async fn unreachable_endpoints_show_one_generic_error(app: TestApp) {
    let closed = closed_port().await;
    let (ssh, ssh_connections) = counting_listener(b"SSH-2.0-OpenSSH_9.6\r\n").await;
    let (redirect, _) =
        counting_listener(b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n")
            .await;
    let hosts = [closed, ssh, redirect].map(|p| format!("127.0.0.1:{p}"));
    let app = allowing(app, &hosts);
    let mut admin = app.login("admin").await;
    let mut endpoints = Vec::new();
    for h in &hosts {
        endpoints.push(add_endpoint(&app, &mut admin, &format!("http://{h}/hook")).await.0);
    }
    for ep in &endpoints {
        enqueue(&app, *ep).await;
    }
    run_job(&app, db::now()).await;
    assert_eq!(ssh_connections.load(Ordering::SeqCst), 1);
    let rows = db::query_rows(app.db(), "SELECT last_status, last_error FROM webhook_deliveries ORDER BY id", vec![])
        .await
        .unwrap();
    let got: Vec<(Option<i64>, Option<String>)> =
        rows.iter().map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())).collect();
    assert_eq!(
        got,
        vec![
            (None, Some(UNREACHABLE.to_string())),
            (None, Some(UNREACHABLE.to_string())),
            (Some(302), Some("对方返回 HTTP 302".to_string())),
        ],
        "refused, not HTTP, and a redirect not followed"
    );
    // A row from before this rule, with the reason in it, is shown generically too.
    db::exec(
        app.db(),
        "UPDATE webhook_deliveries SET last_error = '无法连接 127.0.0.1:5432：Connection refused (os error 111)' WHERE endpoint_id = $1",
        vec![endpoints[0].into()],
    )
    .await
    .unwrap();
    let page = admin.get(PAGE).await;
    let results = page.texts("table.deliveries td:nth-child(7)");
    assert_eq!(results, vec!["HTTP 302".to_string(), UNREACHABLE.to_string(), UNREACHABLE.to_string()]);
    let list = page.texts("table.deliveries").join(" ");
    for leak in ["Connection refused", "refused", "不是 HTTP", "not HTTP", "SSH", "os error", "5432", "169.254"] {
        assert!(!list.contains(leak), "the deliveries list shows {leak}: {list}");
    }
}
demo_test!(unreachable_endpoints_show_one_generic_error);

/// Only the top organ's admins register endpoints, unless `webhook_admins = "organ"`.
async fn only_the_top_organs_admin_registers(app: TestApp) {
    let (url, _, _) = receiver().await;
    let app = allowing(app, &[host_of(&url)]);
    let top = db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'admin'", vec![]).await.unwrap();
    let path: String =
        db::query_rows(app.db(), "SELECT path FROM organs WHERE id = $1", vec![top.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert_eq!(path.matches('/').count(), 2, "the demo admin sits at the top organ");
    let township = app.add_organ("hook-town", "测试镇人大", top).await;
    app.add_account("town_admin", township, &[Role::Admin]).await;
    let before = endpoint_count(&app).await;
    let mut town = app.login("town_admin").await;
    assert_eq!(town.get(PAGE).await.status, StatusCode::OK, "a township's admin sees the page");
    let r = post_endpoint(&mut town, &url).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(endpoint_count(&app).await, before);
    let mut admin = app.login("admin").await;
    assert_eq!(post_endpoint(&mut admin, &url).await.status, StatusCode::OK);
    assert_eq!(endpoint_count(&app).await, before + 1);
    // The installation may let every organ's admins manage their own.
    let mut config = (*app.state.config).clone();
    config.webhook_admins = WebhookAdmins::Organ;
    let mut app = app;
    app.state = renda::modules::state(app.db().clone(), config);
    app.router = renda::modules::router(app.state.clone());
    let mut town = app.login("town_admin").await;
    assert_eq!(post_endpoint(&mut town, &url).await.status, StatusCode::OK);
    let owner = db::scalar_i64(app.db(), "SELECT organ_id FROM webhook_endpoints ORDER BY id DESC LIMIT 1", vec![])
        .await
        .unwrap();
    assert_eq!(owner, township);
}
demo_test!(only_the_top_organs_admin_registers);

/// A captured inbound request replayed under another delivery id is refused (the id is signed);
/// the original is accepted once, and replayed it is a 409. A request signed for one endpoint
/// does not pass at another with the same body.
async fn a_signed_request_cannot_change_its_delivery_id(app: TestApp) {
    let (url, _, _) = receiver().await;
    let app = allowing(app, &[host_of(&url)]);
    let mut admin = app.login("admin").await;
    let (ep, secret) = add_endpoint(&app, &mut admin, &url).await;
    let item = import_order(&app, "ZB-2026-0777").await;
    let now = db::now();
    let body = r#"{"external_no": "ZB-2026-0777", "status": "in_progress", "text": "已派单"}"#;
    let captured = format!("sha256={}", hmac_hex(&secret, &now.to_string(), ep, "d-100", body.as_bytes()));
    // The same signature under other delivery ids: refused, nothing recorded.
    for other in ["d-101", "d-100x", "D-100"] {
        let r = app.send(inbound(ep, &secret, other, now, body, Some(captured.clone()))).await;
        problem(&r, StatusCode::UNAUTHORIZED);
    }
    assert!(external_events(&app, item).await.is_empty());
    // A signature in the old form (timestamp and body only) no longer passes.
    let mut old = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(secret.as_bytes()).unwrap();
    hmac::Mac::update(&mut old, format!("{now}.{body}").as_bytes());
    let old = format!("sha256={}", hex::encode(hmac::Mac::finalize(old).into_bytes()));
    problem(&app.send(inbound(ep, &secret, "d-100", now, body, Some(old))).await, StatusCode::UNAUTHORIZED);
    // The original: accepted once, then a replay.
    let r = app.send(inbound(ep, &secret, "d-100", now, body, Some(captured.clone()))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(external_events(&app, item).await.len(), 1);
    problem(&app.send(inbound(ep, &secret, "d-100", now, body, Some(captured.clone()))).await, StatusCode::CONFLICT);
    // Another endpoint of the same organ (its own secret aside) does not take it either.
    let (ep2, _) = add_endpoint(&app, &mut admin, &url).await;
    problem(&app.send(inbound(ep2, &secret, "d-100", now, body, Some(captured))).await, StatusCode::UNAUTHORIZED);
    // A delivery id that cannot be signed unambiguously (a dot) is refused as such.
    let r = app.send(inbound(ep, &secret, "d.1", now, body, None)).await;
    problem(&r, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("X-Renda-Delivery"), "{}", r.body);
    assert_eq!(external_events(&app, item).await.len(), 1);
}
demo_test!(a_signed_request_cannot_change_its_delivery_id);
