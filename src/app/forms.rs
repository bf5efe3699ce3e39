//! Helpers every console form uses: select options, path pairs, the 422 re-render, a
//! record's timeline, and the authorization question for showing a button.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::app::error::{AppError, AppResult};
use crate::app::pages::{HistoryLine, history_lines};
use crate::app::state::AppState;
use crate::audit;

/// Whether the authorization layer allows an action (for showing links and buttons).
pub use crate::auth::authz::allows as allowed;

/// One `<option>` of a select list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options from (value, label) pairs, the one equal to `current` selected.
pub fn opts<V: ToString, L: ToString>(items: impl IntoIterator<Item = (V, L)>, current: &str) -> Vec<Opt> {
    items
        .into_iter()
        .map(|(v, l)| {
            let value = v.to_string();
            Opt { selected: value == current, value, label: l.to_string() }
        })
        .collect()
}

/// A record's timeline.
pub async fn history(s: &AppState, target_type: &str, id: i64) -> AppResult<Vec<HistoryLine>> {
    Ok(history_lines(&s.modules, audit::history(&s.db, target_type, &id.to_string()).await?))
}

/// Two numeric path segments (`/{id}/…/{other}`); anything else is a 404.
pub fn two_ids(Path((a, b)): Path<(String, String)>) -> AppResult<(i64, i64)> {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(a), Ok(b)) if a > 0 && b > 0 => Ok((a, b)),
        _ => Err(AppError::NotFound),
    }
}

/// 422 with the page re-rendered, or the error itself when it is not about the input.
pub fn unprocessable<T: Template>(t: &T) -> AppResult<Response> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(t.render()?)).into_response())
}

/// Reads a form field trimmed of the white space people paste around it (typed forms:
/// `#[serde(default, deserialize_with = "trimmed")]`).
pub fn trimmed<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    Ok(s.trim().to_string())
}

/// A form that is only a button: nothing but the CSRF token, which the middleware checks.
#[derive(serde::Deserialize)]
pub struct Button {}

/// A record's number typed or chosen in a form: a positive integer, else none (the model
/// then names the field that is missing).
pub fn opt_id(v: &str) -> Option<i64> {
    v.trim().parse().ok().filter(|v| *v > 0)
}

/// Reads a checkbox: ticked when present (browsers send `on`), else not.
pub fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    Ok(!s.is_empty())
}

/// A form naming one deputy (by number or name) or one name.
#[derive(serde::Deserialize)]
pub struct PersonField {
    #[serde(default, deserialize_with = "trimmed")]
    pub person: String,
    #[serde(default, deserialize_with = "trimmed")]
    pub name: String,
}
