//! The assembly: the domains of this build, in one list. Adding a module is its folder and
//! one line here (see docs/ARCHITECTURE.md, "Adding a module").

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
    &crate::webhooks::MODULE,
];

/// The kinds of items the handling loop serves.
pub static ITEM_KINDS: &[&crate::handling::ItemKind] = &[&crate::opinions::ITEM_KIND];

/// The state of a node serving every module.
pub fn state(db: DatabaseConnection, config: Config) -> AppState {
    let s = AppState::new(db, config).with_modules(MODULES);
    register(&s);
    s
}

/// What the modules offer one another through the state.
fn register(s: &AppState) {
    crate::handling::register(s, ITEM_KINDS);
    crate::webhooks::register(
        s,
        crate::webhooks::Hooks {
            events: vec![&crate::opinions::webhooks::STATE_CHANGED],
            inbound: Some(crate::opinions::webhooks::inbound),
        },
    );
}

/// The whole application: the platform's router over every module.
pub fn router(state: AppState) -> Router {
    let s = state.with_modules(MODULES);
    register(&s);
    crate::app::router(s)
}

/// The modules of this build, for commands that need no state.
pub fn state_modules() -> crate::app::state::Modules {
    crate::app::state::Modules(MODULES)
}
