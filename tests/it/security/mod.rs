//! Security regression suite (issue 7): every finding of the probe as a test, and the
//! class-level rules that keep the next modules from reopening them.

mod findings;
mod floods;
mod fuzz;
mod headers;
mod internal_texts;
mod outbound;
mod photos;
mod public_data;
mod redirect;
mod spreadsheets;
mod text_rule;
mod throttle;
mod write_routes;
