//! PLAT-23 on PostgreSQL: while the database cannot be reached (restarted, the network cut),
//! requests fail cleanly — 503 with a Chinese message, never a 500 — and the service recovers
//! by itself once the database is back, without a restart of its own. The database's going
//! away is simulated with a TCP proxy between the app and PostgreSQL that the test cuts (every
//! open connection dropped, new ones refused) and restores on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::support::TestApp;

struct Proxy {
    port: u16,
    accept: JoinHandle<()>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(port: u16, upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let list = conns.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                list.lock().unwrap().push(h);
            }
        });
        Proxy { port, accept, conns }
    }

    /// The database is gone: open connections dropped, the port closed.
    fn cut(&self) {
        self.accept.abort();
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.send(Request::get(path).body(Body::empty()).unwrap()).await;
    (r.status, r.body)
}

async fn a_database_outage_is_a_clean_503_and_recovers_by_itself() {
    let direct = TestApp::postgres_demo().await;
    let url = direct.state.config.database_url();
    // postgres://user@host:port/db → the proxy in between.
    let (head, db) = url.rsplit_once('/').unwrap();
    let hostport = head.rsplit_once('@').map(|(_, h)| h).unwrap_or(head.trim_start_matches("postgres://"));
    let upstream: SocketAddr = tokio::net::lookup_host(hostport).await.unwrap().next().unwrap();
    let proxy = Proxy::start(0, upstream).await;
    let user = head.rsplit_once('@').map(|(u, _)| format!("{u}@")).unwrap_or_else(|| "postgres://".into());
    let app = TestApp::at_url(format!("{user}127.0.0.1:{}/{db}", proxy.port)).await;

    let pages = ["/find", "/api/v1/stations?limit=3", "/s/1"];
    for p in pages {
        assert_eq!(get(&app, p).await.0, StatusCode::OK, "{p} before the outage");
    }
    proxy.cut();
    // Pages kept in the node's short-lived caches (/find's options) may still answer; what
    // needs the database says it is unavailable, as a page and as an API problem.
    for p in ["/s/1", "/api/v1/stations?limit=3"] {
        let (status, body) = get(&app, p).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{p} during the outage: {body}");
        assert!(body.contains("数据库暂时无法连接"), "{p}: {body}");
    }
    // A write during the outage: refused the same way, nothing half-done.
    let r = app
        .send(
            Request::post("/api/v1/opinions")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"content":"停电期间提交的意见内容","category":"城乡建设","allow_public":false}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);

    // The database is back on the same address: the service recovers without a restart.
    let back = Proxy::start(proxy.port, upstream).await;
    let mut recovered = false;
    for _ in 0..50 {
        if pages_ok(&app, &pages).await {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the service did not recover by itself");
    back.cut();
}

async fn pages_ok(app: &TestApp, pages: &[&str]) -> bool {
    for p in pages {
        if get(app, p).await.0 != StatusCode::OK {
            return false;
        }
    }
    true
}

mod a_database_outage_is_a_clean_503_and_recovers_by_itself {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "PostgreSQL: TEST_DATABASE_URL=… cargo test --test it -- --ignored ::postgres"]
    async fn postgres() {
        super::a_database_outage_is_a_clean_503_and_recovers_by_itself().await;
    }
}
