//! Files held between a preview and its confirmation (`staged_files`): an import shows what it
//! will change first, and the confirmation reads the very bytes that were previewed. A staged
//! file belongs to the account that uploaded it, lives at most [`MAX_AGE_SECS`], and is
//! deleted when confirmed; staging a new one clears the account's older ones and every
//! expired one.

use sea_orm::{ConnectionTrait, DbErr};

use crate::db;

/// How long a preview can wait for its confirmation.
pub const MAX_AGE_SECS: i64 = 2 * 3600;

/// A staged upload, read back for its confirmation.
#[derive(Debug)]
pub struct Staged {
    pub id: i64,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Holds `bytes` for `account_id` under `purpose` (e.g. `roster_import`) and returns its id.
pub async fn put<C: ConnectionTrait>(
    c: &C,
    account_id: i64,
    purpose: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<i64, DbErr> {
    let now = db::now();
    db::exec(
        c,
        "DELETE FROM staged_files WHERE created_at < $1 OR (account_id = $2 AND purpose = $3)",
        vec![(now - MAX_AGE_SECS).into(), account_id.into(), purpose.into()],
    )
    .await?;
    db::insert_id(
        c,
        "INSERT INTO staged_files (account_id, purpose, file_name, bytes, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![account_id.into(), purpose.into(), file_name.into(), bytes.to_vec().into(), now.into()],
    )
    .await
}

/// The staged file whose id a confirmation form sent back (`id`, as text) if it is
/// `account_id`'s, for `purpose`, and not expired; none for anything else, a mangled id included.
pub async fn get<C: ConnectionTrait>(c: &C, id: &str, account_id: i64, purpose: &str) -> Result<Option<Staged>, DbErr> {
    let Some(id) = id.trim().parse::<i64>().ok().filter(|i| *i > 0) else { return Ok(None) };
    let rows = db::query_rows(
        c,
        "SELECT id, file_name, bytes FROM staged_files \
         WHERE id = $1 AND account_id = $2 AND purpose = $3 AND created_at >= $4",
        vec![id.into(), account_id.into(), purpose.into(), (db::now() - MAX_AGE_SECS).into()],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(Staged { id: r.try_get_by_index(0)?, file_name: r.try_get_by_index(1)?, bytes: r.try_get_by_index(2)? })
        })
        .transpose()
}

/// Deletes a staged file (after its confirmation).
pub async fn remove<C: ConnectionTrait>(c: &C, id: i64) -> Result<(), DbErr> {
    db::exec(c, "DELETE FROM staged_files WHERE id = $1", vec![id.into()]).await.map(|_| ())
}
