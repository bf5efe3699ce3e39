//! `/files/{id}`: an attachment served after its owner's access rule, which the owner's
//! module registers (`Module::attachment_owners`). The attachments themselves (checks,
//! storage, records) are `crate::attachments`, below the web kernel.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing;

use crate::app::extract::{MaybePrincipal, PathId};
use crate::app::state::AppState;
use crate::attachments::get;
use crate::base::error::{AppError, AppResult};

pub fn routes() -> Router<AppState> {
    Router::new().route("/files/{id}", routing::get(download))
}

/// Serves an attachment after its owner's access rule, which the owner's module registers
/// (`Module::attachment_owners`); files of an owner type no module claims are not served.
async fn download(
    State(s): State<AppState>,
    MaybePrincipal(p): MaybePrincipal,
    PathId(id): PathId,
) -> AppResult<Response> {
    let a = get(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let owner_id: i64 = a.owner_id.parse().map_err(|_| AppError::NotFound)?;
    let Some(rule) = s.modules.attachment_owner(&a.owner_type) else { return Err(AppError::NotFound) };
    let cache = if (rule.public)(&s, owner_id, a.id).await? {
        "public, max-age=86400"
    } else {
        match (rule.seen_by, &p) {
            (Some(seen_by), Some(p)) if seen_by(&s, p, owner_id).await? => "private, no-store",
            _ => return Err(AppError::NotFound),
        }
    };
    let bytes = s.storage.get(&a.storage_key).map_err(|_| AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (header::CACHE_CONTROL, cache.to_string()),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
        ],
        bytes,
    )
        .into_response())
}
