//! 站点 pages (REG-9..11).

use axum::Router;

use crate::app::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
