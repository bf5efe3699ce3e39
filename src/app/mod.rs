//! The web kernel: state and the module registry, router, middleware, extractors, the
//! authorization guard, the one write path, page frame and forms, the file server and the job
//! worker. It sits above the platform's services (`auth`, `org`, `audit`, `db`, …), which never
//! import it; what they share with it lives in `crate::base`, re-exported here under the old
//! paths so that domains write `crate::app::error::AppError` as before.

pub mod caller;
pub mod extract;
pub mod files;
pub mod forms;
pub mod guard;
pub mod listing;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod paging;
pub mod query;
pub mod state;
pub mod urls;
pub mod worker;
pub mod write;

pub use crate::base::{cache, codes, config, error, fields, fmt, metrics, text};

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;

use state::AppState;

static APP_CSS: &str = include_str!("../../static/app.css");
static APP_JS: &str = include_str!("../../static/app.js");

/// The whole router with its middleware: the platform's own routes and every module's
/// (`state.modules`; `crate::modules::router` is the one the binary and the tests use).
pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit_bytes;
    let mut routes = Router::new();
    for m in state.modules.0 {
        routes = routes.merge((m.routes)());
    }
    routes
        .merge(files::routes())
        .route("/api/v1/openapi.json", get(openapi_document))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/static/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        .route("/static/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .fallback(|| async { error::AppError::NotFound })
        .layer(axum::middleware::from_fn(middleware::clear_flash))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::authenticate))
        .layer(axum::middleware::from_fn(middleware::reject_control_characters))
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::check_host))
        .layer(axum::middleware::from_fn(middleware::present_errors))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(middleware::observe))
        .layer(CatchPanicLayer::custom(|_| {
            error::AppError::Internal(format!("P{:08X}", rand::random::<u32>())).into_response()
        }))
        .with_state(state)
}

/// The OpenAPI document of every module's operations.
async fn openapi_document(State(s): State<AppState>) -> Response {
    axum::Json(openapi::build(s.modules.operations())).into_response()
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(s): State<AppState>) -> Response {
    match crate::db::scalar_i64(&s.db, "SELECT CAST(1 AS BIGINT)", vec![]).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "数据库不可用").into_response(),
    }
}

async fn metrics_text() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics::render()).into_response()
}

/// Serves until Ctrl-C/SIGTERM, then finishes in-flight requests; runs the job worker alongside.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let db = state.db.clone();
    let worker_name = format!("{}-{}", hostname(), std::process::id());
    let scheduler_db = state.db.clone();
    let mut scheduler_stop = stop_rx.clone();
    let modules_for_scheduler = state.modules;
    let scheduler = tokio::spawn(async move {
        loop {
            if let Err(e) = worker::schedule_housekeeping(&scheduler_db, modules_for_scheduler).await {
                tracing::warn!(error = %e, "housekeeping schedule failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(300)) => {}
                _ = scheduler_stop.changed() => return,
            }
        }
    });
    let worker_state = state.clone();
    let worker = tokio::spawn(crate::jobs::run_worker(db, worker_name, stop_rx, move |job| {
        let s = worker_state.clone();
        async move { worker::handle(&s, job).await }
    }));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    let _ = tokio::join!(worker, scheduler);
    tracing::info!("stopped");
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|s| s.trim().to_string()).unwrap_or_else(|_| "node".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
