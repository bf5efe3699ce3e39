//! TestApp: a fresh database per test (cloned from a template migrated once per process),
//! requests sent through the real router in-process, and small HTML/JSON helpers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use renda::app::config::Config;
use renda::app::state::AppState;
use renda::auth::Role;
use renda::db;
use sea_orm::DatabaseConnection;
use tokio::sync::{Mutex, OnceCell};
use tower::ServiceExt;

pub const PASSWORD: &str = "test1234pass";

static COUNTER: AtomicU32 = AtomicU32::new(0);
static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
static PG_TEMPLATE: OnceCell<String> = OnceCell::const_new();
static SQLITE_DEMO: OnceCell<PathBuf> = OnceCell::const_new();
static PG_DEMO: OnceCell<String> = OnceCell::const_new();
static PG_CREATE: Mutex<()> = Mutex::const_new(());

fn scratch_dir() -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("renda-test-{}", std::process::id())).join(n.to_string());
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

async fn sqlite_template() -> PathBuf {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            let dir = std::env::temp_dir().join(format!("renda-test-{}", std::process::id())).join("template");
            std::fs::create_dir_all(&dir).expect("template dir");
            let file = dir.join("template.db");
            let conn = db::connect_and_migrate(&format!("sqlite://{}?mode=rwc", file.display()))
                .await
                .expect("migrate template");
            db::exec(&conn, "PRAGMA wal_checkpoint(TRUNCATE)", vec![]).await.expect("checkpoint");
            conn.close().await.expect("close template");
            file
        })
        .await
        .clone()
}

/// The PostgreSQL server of `TEST_DATABASE_URL`. The PostgreSQL twins are `#[ignore]`d, so a
/// plain `cargo test` reports them as ignored instead of passed; run them with
/// `TEST_DATABASE_URL=… cargo test --test it -- --ignored ::postgres`. Asked for without the variable, they fail.
fn pg_base() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .expect("PostgreSQL twin run without TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)")
}

fn pg_url_with_db(base: &str, name: &str) -> String {
    let without_query = base.split('?').next().unwrap_or(base);
    let cut = without_query.rfind('/').expect("database url has a path");
    format!("{}/{name}", &without_query[..cut])
}

async fn pg_template(base: &str) -> String {
    PG_TEMPLATE
        .get_or_init(|| async {
            let admin = db::connect(base).await.unwrap_or_else(|e| panic!("TEST_DATABASE_URL 无法连接：{e}"));
            // Databases left by earlier runs (other processes) are dropped first.
            let stale = db::query_rows(&admin, "SELECT datname FROM pg_database WHERE datname LIKE 'renda_t%'", vec![])
                .await
                .expect("list dbs");
            // Only databases of test processes that have ended: another suite may be running
            // beside this one on the same server (another checkout, CI).
            let alive = |name: &str| {
                name.split('_').filter_map(|part| part.parse::<u32>().ok()).next().is_some_and(|pid| {
                    pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists()
                })
            };
            for row in stale {
                let name: String = row.try_get_by_index(0).expect("name");
                if !alive(&name) {
                    let _ = db::exec(&admin, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"), vec![]).await;
                }
            }
            let name = format!("renda_tpl_{}_", std::process::id());
            db::exec(&admin, &format!("CREATE DATABASE \"{name}\""), vec![]).await.expect("create template db");
            admin.close().await.ok();
            let conn = db::connect_and_migrate(&pg_url_with_db(base, &name)).await.expect("migrate pg template");
            conn.close().await.ok();
            name
        })
        .await
        .clone()
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub dir: PathBuf,
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let template = sqlite_template().await;
        let dir = scratch_dir();
        let file = dir.join("renda.db");
        std::fs::copy(&template, &file).expect("copy template");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        Self::with_url(dir, url).await
    }

    /// A fresh copy of a database holding the demo county, seeded once per process.
    pub async fn sqlite_demo() -> TestApp {
        let template = SQLITE_DEMO
            .get_or_init(|| async {
                let migrated = sqlite_template().await;
                let file = migrated.with_file_name("demo.db");
                std::fs::copy(&migrated, &file).expect("copy template");
                // The seeding app gets a scratch directory of its own: dropping it removes that.
                let app = Self::with_url(scratch_dir(), format!("sqlite://{}?mode=rwc", file.display())).await;
                app.seed_demo().await;
                db::exec(app.db(), "PRAGMA wal_checkpoint(TRUNCATE)", vec![]).await.expect("checkpoint");
                app.state.db.clone().close().await.expect("close demo template");
                file
            })
            .await
            .clone();
        let dir = scratch_dir();
        let file = dir.join("renda.db");
        std::fs::copy(&template, &file).expect("copy demo template");
        Self::with_url(dir, format!("sqlite://{}?mode=rwc", file.display())).await
    }

    /// Like `sqlite_demo`, on PostgreSQL.
    pub async fn postgres_demo() -> TestApp {
        let base = pg_base();
        let template = PG_DEMO
            .get_or_init(|| async {
                let migrated = pg_template(&base).await;
                let name = format!("renda_tpl_{}_demo", std::process::id());
                {
                    let _one_at_a_time = PG_CREATE.lock().await;
                    let admin = db::connect(&base).await.expect("connect admin");
                    db::exec(&admin, &format!("CREATE DATABASE \"{name}\" TEMPLATE \"{migrated}\""), vec![])
                        .await
                        .expect("clone template");
                    admin.close().await.ok();
                }
                let app = Self::with_url(scratch_dir(), pg_url_with_db(&base, &name)).await;
                app.seed_demo().await;
                app.state.db.clone().close().await.expect("close demo template");
                name
            })
            .await
            .clone();
        Self::clone_pg(&base, &template).await
    }

    async fn clone_pg(base: &str, template: &str) -> TestApp {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("renda_t_{}_{n}", std::process::id());
        {
            let _one_at_a_time = PG_CREATE.lock().await;
            let admin = db::connect(base).await.expect("connect admin");
            db::exec(&admin, &format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""), vec![])
                .await
                .expect("clone template");
            admin.close().await.ok();
        }
        Self::with_url(scratch_dir(), pg_url_with_db(base, &name)).await
    }

    /// A fresh migrated PostgreSQL database; the PostgreSQL twins run only when asked for.
    pub async fn postgres() -> TestApp {
        let base = pg_base();
        let template = pg_template(&base).await;
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("renda_t_{}_{n}", std::process::id());
        {
            let _one_at_a_time = PG_CREATE.lock().await;
            let admin = db::connect(&base).await.expect("connect admin");
            db::exec(&admin, &format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""), vec![])
                .await
                .expect("clone template");
            admin.close().await.ok();
        }
        Self::with_url(scratch_dir(), pg_url_with_db(&base, &name)).await
    }

    /// Another app on the same database reached through `url` (e.g. through a proxy).
    pub async fn at_url(url: String) -> TestApp {
        Self::with_url(scratch_dir(), url).await
    }

    async fn with_url(dir: PathBuf, url: String) -> TestApp {
        let conn = db::connect(&url).await.expect("connect test db");
        let config = Config::for_tests(&dir, url);
        let state = renda::modules::state(conn, config);
        let router = renda::modules::router(state.clone());
        TestApp { state, router, dir }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// The URL of a new, empty database on this test's backend (no migrations run), for
    /// tests that step through the migrations themselves.
    pub async fn blank_database_url(&self) -> String {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        match self.db().get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                let base = pg_base();
                let name = format!("renda_t_{}_{n}_blank", std::process::id());
                let _one_at_a_time = PG_CREATE.lock().await;
                let admin = db::connect(&base).await.expect("connect admin");
                db::exec(&admin, &format!("CREATE DATABASE \"{name}\""), vec![]).await.expect("create blank db");
                admin.close().await.ok();
                pg_url_with_db(&base, &name)
            }
            _ => format!("sqlite://{}?mode=rwc", self.dir.join(format!("blank-{n}.db")).display()),
        }
    }

    /// The demo county (诸城市 with 13 townships) and its six accounts.
    pub async fn seed_demo(&self) {
        renda::demo::seed(
            &self.state.writer,
            self.state.audit_key(),
            &self.state.crypto,
            self.state.config.password_cost,
            PASSWORD,
        )
        .await
        .expect("seed demo");
    }

    pub async fn organ_id(&self, code: &str) -> i64 {
        renda::org::organ_by_code(self.db(), code).await.unwrap().unwrap_or_else(|| panic!("organ {code}")).id
    }

    /// Creates an organ below `parent` (code must be new).
    pub async fn add_organ(&self, code: &str, name: &str, parent: i64) -> i64 {
        let parent_organ = renda::org::organ(self.db(), parent).await.unwrap().unwrap();
        let txn = db::begin_write(self.db()).await.unwrap();
        let id = renda::org::create_organ(
            &txn,
            self.state.audit_key(),
            &renda::audit::Actor::system("test"),
            &renda::org::OrganInput {
                code: code.into(),
                name: name.into(),
                short_name: name.into(),
                area_id: parent_organ.area_id,
                parent_id: Some(parent),
                kind: "township_presidium".into(),
                level: "township".into(),
                external: false,
                phone: String::new(),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        id
    }

    pub async fn add_account(&self, username: &str, organ_id: i64, roles: &[Role]) -> i64 {
        // A role that acts for a record needs one: take the first of its kind.
        let first = |table: &'static str, role: Role| async move {
            if roles.contains(&role) {
                Some(db::scalar_i64(self.db(), &format!("SELECT min(id) FROM {table}"), vec![]).await.unwrap())
            } else {
                None
            }
        };
        let (unit_id, deputy_id, station_id) = (
            first("handling_units", Role::Unit).await,
            first("persons", Role::Deputy).await,
            first("stations", Role::Keeper).await,
        );
        let txn = db::begin_write(self.db()).await.unwrap();
        let id = renda::auth::accounts::create(
            &txn,
            self.state.audit_key(),
            &self.state.crypto,
            self.state.config.password_cost,
            &renda::audit::Actor::system("test"),
            &renda::auth::accounts::NewAccount {
                username: username.into(),
                display_name: format!("测试{username}"),
                password: PASSWORD.into(),
                organ_id,
                roles: roles.to_vec(),
                phone: Some("13912345678".into()),
                unit_id,
                deputy_id,
                station_id,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create account {username}: {e:?}"));
        txn.commit().await.unwrap();
        id
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let response = self.router.clone().oneshot(req).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Resp { status, headers, body: String::from_utf8_lossy(&bytes).to_string(), bytes: bytes.to_vec() }
    }

    /// A browser with no session yet.
    pub async fn browser(&self) -> Browser<'_> {
        let mut b = Browser { app: self, cookies: HashMap::new() };
        b.get("/login").await;
        b
    }

    pub async fn login(&self, username: &str) -> Browser<'_> {
        let mut b = self.browser().await;
        let r = b.post("/login", &[("username", username), ("password", PASSWORD), ("next", "/console")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {username}: {}", r.body);
        b
    }

    pub async fn token(&self, username: &str, scope: renda::auth::Scope) -> String {
        let id: i64 = db::query_rows(self.db(), "SELECT id FROM accounts WHERE username = $1", vec![username.into()])
            .await
            .unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
        let (_, token) = renda::auth::create_token(
            &self.state.writer,
            &self.state.config,
            &renda::audit::Actor::system("test"),
            id,
            "测试",
            scope,
        )
        .await
        .unwrap();
        token
    }

    pub async fn api(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<serde_json::Value>) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The raw body (images, spreadsheets).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }
    pub fn texts(&self, css: &str) -> Vec<String> {
        let sel = scraper::Selector::parse(css).expect("selector");
        self.html().select(&sel).map(|e| e.text().collect::<String>().trim().to_string()).collect()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A cookie jar that follows the CSRF protocol as a real browser page would.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: HashMap<String, String>,
}

impl Browser<'_> {
    fn remember(&mut self, r: &Resp) {
        for v in r.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn csrf(&self) -> String {
        self.cookies.get("renda_csrf").cloned().unwrap_or_default()
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        let r = self.app.send(req).await;
        self.remember(&r);
        r
    }

    /// Posts a form with the page's CSRF token, as a rendered form would.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
        all.push(("_csrf", self.csrf()));
        self.post_raw(path, &serde_urlencoded::to_string(&all).unwrap()).await
    }

    /// Submits the form `css` of a page as a browser would: its action, its hidden fields and
    /// `extra` (the CSRF token comes with the hidden fields).
    pub async fn submit(&mut self, page: &Resp, css: &str, extra: &[(&str, &str)]) -> Resp {
        let html = page.html();
        let form = html
            .select(&scraper::Selector::parse(css).expect("selector"))
            .next()
            .unwrap_or_else(|| panic!("no form {css} in: {}", page.body));
        let action = form.value().attr("action").expect("form action").to_string();
        let hidden = scraper::Selector::parse("input[type=hidden]").unwrap();
        let mut all: Vec<(String, String)> = form
            .select(&hidden)
            .map(|i| {
                (i.value().attr("name").unwrap_or("").to_string(), i.value().attr("value").unwrap_or("").to_string())
            })
            .collect();
        all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.post_raw(&action, &serde_urlencoded::to_string(&all).unwrap()).await
    }

    /// Follows redirects as a browser does (GETs of their `Location`, at most five); other
    /// answers as they are.
    pub async fn follow(&mut self, mut r: Resp) -> Resp {
        for _ in 0..5 {
            match r.header("location") {
                Some(to) if r.status.is_redirection() => {
                    let to = to.to_string();
                    r = self.get(&to).await;
                }
                _ => break,
            }
        }
        r
    }

    pub async fn post_raw(&mut self, path: &str, body: &str) -> Resp {
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap();
        let r = self.app.send(req).await;
        self.remember(&r);
        r
    }

    /// Uploads one file as `multipart/form-data`, the CSRF token its first field as the forms send it.
    pub async fn upload(&mut self, path: &str, field: &str, file_name: &str, bytes: &[u8]) -> Resp {
        self.upload_with(path, &[], field, file_name, bytes).await
    }

    /// Uploads one file with text fields beside it.
    pub async fn upload_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        field: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Resp {
        let boundary = "renda-test-boundary-7d3f";
        let mut body = Vec::new();
        let csrf = self.csrf();
        for (k, v) in std::iter::once(&("_csrf", csrf.as_str())).chain(fields) {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            &format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
            )
            .into_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        let r = self.app.send(req).await;
        self.remember(&r);
        r
    }

    /// A JSON call with the session cookie (and the CSRF header when `csrf` is set).
    pub async fn api(&mut self, method: &str, path: &str, body: serde_json::Value, csrf: bool) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/json");
        if csrf {
            req = req.header("x-csrf-token", self.csrf());
        }
        let r = self.app.send(req.body(Body::from(body.to_string())).unwrap()).await;
        self.remember(&r);
        r
    }
}

/// Like `db_test!`, but the test gets a database already holding the demo county.
#[macro_export]
macro_rules! demo_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::TestApp::sqlite_demo().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: TEST_DATABASE_URL=… cargo test --test it -- --ignored ::postgres"]
            async fn postgres() {
                super::$name($crate::support::TestApp::postgres_demo().await).await
            }
        }
    };
}

/// Runs one async test body on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
#[macro_export]
macro_rules! db_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::TestApp::sqlite().await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: TEST_DATABASE_URL=… cargo test --test it -- --ignored ::postgres"]
            async fn postgres() {
                super::$name($crate::support::TestApp::postgres().await).await
            }
        }
    };
}
