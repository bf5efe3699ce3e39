//! The one way a record links to another (`record_links`): a suggestion to the citizens'
//! opinions it came from; later a supervision item or a legislative project to a suggestion.
//! A link is written in the caller's transaction by the module that makes it, after it checked
//! that the caller may see both records; each side reads its links here.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use crate::db;

/// A link from a record to another, by their record kinds and ids.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Link {
    pub to_type: String,
    pub to_id: i64,
    pub note: String,
}

/// Links `from` to `to` (once; a second call changes nothing).
pub async fn add<C: ConnectionTrait>(
    c: &C,
    from: (&str, i64),
    to: (&str, i64),
    note: &str,
    now: i64,
) -> Result<(), DbErr> {
    let known = db::scalar_i64(
        c,
        "SELECT count(*) FROM record_links WHERE from_type = $1 AND from_id = $2 AND to_type = $3 AND to_id = $4",
        vec![from.0.into(), from.1.into(), to.0.into(), to.1.into()],
    )
    .await?;
    if known == 0 {
        db::exec(
            c,
            "INSERT INTO record_links (from_type, from_id, to_type, to_id, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![from.0.into(), from.1.into(), to.0.into(), to.1.into(), note.into(), now.into()],
        )
        .await?;
    }
    Ok(())
}

/// The links of a record, in the order they were made.
pub async fn of<C: ConnectionTrait>(c: &C, from_type: &str, from_id: i64) -> Result<Vec<Link>, DbErr> {
    db::query_all(
        c,
        "SELECT to_type, to_id, note FROM record_links WHERE from_type = $1 AND from_id = $2 ORDER BY id",
        vec![from_type.into(), from_id.into()],
    )
    .await
}

/// A link that reaches a record from another.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Incoming {
    pub from_type: String,
    pub from_id: i64,
    pub note: String,
}

/// The links that reach a record (the other side's view, SUG-11), in the order they were made.
pub async fn to<C: ConnectionTrait>(c: &C, to_type: &str, to_id: i64) -> Result<Vec<Incoming>, DbErr> {
    db::query_all(
        c,
        "SELECT from_type, from_id, note FROM record_links WHERE to_type = $1 AND to_id = $2 ORDER BY id LIMIT 100",
        vec![to_type.into(), to_id.into()],
    )
    .await
}

/// Sets the note of every link from a record to records of one kind: the linking module's
/// word for itself as the other side shows it (a suggestion's number once it has one).
pub async fn set_note<C: ConnectionTrait>(c: &C, from: (&str, i64), to_type: &str, note: &str) -> Result<u64, DbErr> {
    db::exec(
        c,
        "UPDATE record_links SET note = $1 WHERE from_type = $2 AND from_id = $3 AND to_type = $4",
        vec![note.into(), from.0.into(), from.1.into(), to_type.into()],
    )
    .await
}
