//! 12345 / 即诉即办 work orders in (OPN-14): .xlsx, .csv and .json files read through a saved
//! column mapping, one opinion per work order through `service::submit` (channel `hotline`,
//! the order number as `external_no`), with a row report.
//!
//! - **Mappings** (`mapping`). Staff of an organ save a mapping once — a name, and for each field the
//!   header of the file's column that holds it (工单编号 and 诉求内容 required) — and choose it
//!   for every later file. Headers are compared loosely: spaces (also full-width), `*`, a
//!   trailing colon, letter case and full-width letters do not matter.
//! - **Reading** (`parse`). The file is told apart by content (a zip is an .xlsx, `[` or `{` starts JSON,
//!   anything else is a UTF-8 CSV with or without BOM) and read by `crate::sheet` with its hard
//!   limits, on the blocking pool, before anything is written; at most [`MAX_ORDERS`] orders.
//!   Cells Excel has already damaged (a long number turned into a float) are reported.
//! - **Writing** (`apply`). Each order is its own audited write: a refused row never half-writes and
//!   never stops the others. An order number already on file (or earlier in the same file)
//!   is reported as 已存在 and nothing is written, so importing the same file again is a
//!   no-op. Rows are refused with the row number (the record number for JSON) and the Chinese
//!   reason; lenient cases are imported with a note (a category outside the taxonomy is left
//!   for triage, an unknown area is left empty, a landline number is not kept).
//! - **Report** (`report`). The import and each row's outcome are stored (`import_runs`,
//!   `import_run_rows`: row, order number, outcome, opinion, reason — no names or phones),
//!   shown on the console and downloadable as .xlsx.
//!
//! The name and phone of a work order are the citizen's, given to the government's hotline;
//! the import carries them over for the same matter (`consent`), never publishes (`allow_public`
//! off) and sends the SMS receipt as every channel does.

mod apply;
mod mapping;
mod parse;
mod report;

pub use apply::{Counts, Line, import};
pub use mapping::{
    Field, MAX_HEADER, MAX_NAME, Mapping, MappingInput, mapping, mappings, remove_mapping, save_mapping,
    validate_mapping,
};
pub use parse::{
    Format, MAX_ORDERS, MAX_ROWS_ABOVE_HEADER, Table, WorkOrder, header_key, orders, parse_blocking, read_table,
    received_time,
};
pub use report::{Outcome, Run, StoredLine, lines, report_table, run, runs};
