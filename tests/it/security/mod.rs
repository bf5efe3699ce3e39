//! Security regression suite (issue 7): every finding of the probe as a test, and the
//! class-level rules that keep the next modules from reopening them.

mod findings;
mod floods;
mod fuzz;
mod redirect;
mod spreadsheets;
mod throttle;
mod write_routes;
