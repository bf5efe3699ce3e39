//! The assembly: the modules of this build, in one list. Adding a module is its folder, one
//! line here and the few places docs/ARCHITECTURE.md ("Adding a module") names; everything
//! else a module offers is in its `MODULE` (`tests/it/manifest.rs` checks it).

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::app::config::Config;
use crate::app::state::AppState;
use crate::app::state::Module;

pub static MODULES: &[&Module] = &[
    &crate::system::MODULE,
    &crate::registry::MODULE,
    &crate::handling::MODULE,
    &crate::calendar::MODULE,
    &crate::opinions::MODULE,
    &crate::receptions::MODULE,
    &crate::appointments::MODULE,
    &crate::ballot::MODULE,
    &crate::suggestions::MODULE,
    &crate::meetings::MODULE,
    &crate::webhooks::MODULE,
    &crate::legislation::MODULE,
];

/// The state of a node serving every module (each registered: `Module::register`).
pub fn state(db: DatabaseConnection, config: Config) -> AppState {
    AppState::new(db, config).with_modules(MODULES)
}

/// The whole application: the platform's router over every module.
pub fn router(state: AppState) -> Router {
    crate::app::router(state.with_modules(MODULES))
}

/// The modules of this build, for commands that need no state.
pub fn state_modules() -> crate::app::state::Modules {
    crate::app::state::Modules(MODULES)
}
