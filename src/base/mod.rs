//! What every layer needs and that needs nothing of ours: the one error type and its
//! presenters (`error`), configuration (`config`), display formats and the one date parser
//! (`fmt`), the text rule (`text`), small per-node caches (`cache`), code/label enums in one line (`codes::code_enum!`), field-error collection (`fields`) and the process's counters
//! (`metrics`). It sits below everything; `tests/it/architecture.rs` checks that it imports
//! no other module of the crate. The web kernel (`app`) re-exports these under their old
//! paths (`app::error`, `app::config`, …) for the domains.

pub mod cache;
pub mod codes;
pub mod config;
pub mod error;
pub mod fields;
pub mod fmt;
pub mod metrics;
pub mod text;
