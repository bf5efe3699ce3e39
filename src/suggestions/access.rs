//! Who reaches a suggestion, and how a body is read once they do: shared by the suggestions'
//! API and console handlers.

use super::model::{self, Suggestion};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::ClientIp;
use crate::app::guard;
use crate::app::state::AppState;
use crate::auth::{Action, Principal};

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
