//! Who reaches a suggestion, and how a body is read once they do: shared by the suggestions'
//! API and console handlers.

use super::model::{self, Suggestion};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::ClientIp;
use crate::app::guard;
use crate::app::state::AppState;
use crate::auth::{Action, Principal};

/// A body read once the caller is known to be entitled (so that a refusal is the
/// authorization's, not the parser's): the fields the document lists, no others.
pub fn strict<T: serde::de::DeserializeOwned + Default>(v: serde_json::Value) -> AppResult<T> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(v).map_err(|e| {
        let message = format!("提交的内容不符合要求：{}", e.to_string().split(" at line").next().unwrap_or(""));
        AppError::invalid("", message)
    })
}

/// A suggestion the principal may see (404 otherwise): through the loop once registered, as a
/// draft before.
pub async fn visible(s: &AppState, p: &Principal, ip: &ClientIp, id: i64, action: Action) -> AppResult<Suggestion> {
    let sg = model::suggestion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let facts = super::drafts::facts(&s.db, id).await?;
    let draft = facts.resource(&sg);
    match sg.item_id {
        Some(item) if action == Action::View && !crate::auth::authz::allows(p, Action::View, &draft) => {
            crate::handling::visible_item(s, p, ip, item).await?;
        }
        _ => guard::check(s, p, ip, action, &draft, &id.to_string()).await?,
    }
    Ok(sg)
}
