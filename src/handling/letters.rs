//! The signed reply letter (SUG-7: 书面答复 with the unit's seal, as a PDF): the unit that
//! replied uploads it on its reply, for every kind of item the loop carries. It is a file owned
//! by the reply (`attachments.owner_type = 'handling_reply'`), seen by whoever may see the
//! item — every signer of a suggestion among them — and listed with the reply in the item's
//! panel and in the API detail (`ReplyOut::letter_url`). A new upload replaces the old one.

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::response::Response;
use axum::routing::post;

use super::{facts, visible_item};
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::UploadedFile;
use crate::app::forms::two_ids;
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::state::{AppState, BoxFuture};
use crate::app::write::write;
use crate::auth::authz::{self, Field};
use crate::auth::{Action, Principal};
use crate::db;

/// `attachments.owner_type` of a reply's signed letter.
pub const LETTER_OWNER: &str = "handling_reply";
/// A letter is a PDF, judged by its first bytes, and at most this large.
pub const LETTER_TYPES: &[&str] = &["application/pdf"];
pub const LETTER_MAX_BYTES: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/handling/{id}/replies/{reply}/letter", post(upload))
}

/// The item and the unit of a reply.
async fn reply_of(s: &AppState, reply: i64) -> AppResult<Option<(i64, i64)>> {
    let rows = db::query_rows(&s.db, "SELECT item_id, unit_id FROM handling_replies WHERE id = $1", vec![reply.into()])
        .await?;
    Ok(match rows.first() {
        Some(r) => Some((r.try_get_by_index(0)?, r.try_get_by_index(1)?)),
        None => None,
    })
}

/// The unit that made the reply uploads its signed letter; decided before the upload is read.
async fn upload(
    Caller { p, s, ip }: Caller,
    ids: axum::extract::Path<(String, String)>,
    req: Request,
) -> AppResult<Response> {
    let (id, reply) = two_ids(ids)?;
    let (item, f) = visible_item(&s, &p, &ip, id).await?;
    let (of_item, unit) = reply_of(&s, reply).await?.ok_or(AppError::NotFound)?;
    if of_item != item.id {
        return Err(AppError::NotFound);
    }
    guard::check(&s, &p, &ip, Action::Change(Field::ItemUnitWork), &f.resource(&item), &id.to_string()).await?;
    if p.unit_id != Some(unit) {
        return Err(AppError::Forbidden("答复函由作出答复的承办单位上传".into()));
    }
    let upload = UploadedFile::from_request(req, &s).await?;
    let file = crate::attachments::Upload { file_name: &upload.name, bytes: &upload.bytes };
    let max = LETTER_MAX_BYTES.min(s.config.attachments_max_bytes);
    let prepared = crate::attachments::prepare(&file, LETTER_TYPES, max).await?;
    let storage = s.storage.clone();
    write(&s, &p, &ip, async |w| {
        let old = crate::attachments::of_owner(w.txn(), LETTER_OWNER, reply).await?;
        for a in old {
            crate::attachments::remove(w.txn(), storage.as_ref(), w.key(), w.actor(), (LETTER_OWNER, reply), a.id)
                .await?;
        }
        crate::attachments::attach(
            w.txn(),
            storage.as_ref(),
            w.key(),
            w.actor(),
            item.organ_id,
            (LETTER_OWNER, reply),
            &prepared,
        )
        .await
    })
    .await?;
    Ok(redirect_with_flash(&super::page_of(&s, &item), "已上传签发的答复函"))
}

/// A reply's letter is seen by whoever may see the item.
pub fn letter_seen_by<'a>(s: &'a AppState, p: &'a Principal, reply: i64) -> BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        let Some((item, _)) = reply_of(s, reply).await? else { return Ok(false) };
        let Some(item) = super::model::item(&s.db, item).await? else { return Ok(false) };
        let f = facts(s, item.id).await?;
        Ok(authz::allows(p, Action::View, &f.resource(&item)))
    })
}
