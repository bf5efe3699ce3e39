//! The assembly: the domains of this build, in one list. Adding a module is its folder and
//! one line here (see docs/ARCHITECTURE.md, "Adding a module").

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::app::config::Config;
use crate::app::state::AppState;
use crate::app::state::Module;

pub static MODULES: &[&Module] = &[&crate::system::MODULE, &crate::registry::MODULE];

/// The state of a node serving every module.
pub fn state(db: DatabaseConnection, config: Config) -> AppState {
    AppState::new(db, config).with_modules(MODULES)
}

/// The whole application: the platform's router over every module.
pub fn router(state: AppState) -> Router {
    crate::app::router(state.with_modules(MODULES))
}
