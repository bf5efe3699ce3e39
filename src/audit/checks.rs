//! Checks of the audit chain that stay honest without walking every entry on every view
//! (issue 21). A **whole** check walks the chain from its first entry: the daily `audit_verify`
//! job and `renda audit verify` run one. A **tail** check walks only the entries after the newest
//! checkpoint, and the head: the audit page runs one on every view. Every passed check is a
//! checkpoint (`audit_checks`, m0043): entries up to `to_seq` were found intact, `hash` is the
//! hash of entry `to_seq`, and `mac` binds both to the audit key — a row written into the table
//! without the key is not a checkpoint, and a check starts further back instead.
//!
//! What each finds: a change to an entry after the newest checkpoint, a removed newest entry or
//! an edited head, at the next view of the audit page; a change to an older entry, at the next
//! whole check (at most a day later, or at once with `renda audit verify`). The page says which
//! check ran when.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::{ChainError, mac, walk_from};
use crate::db;

/// A tail check stores a checkpoint once it walked this many entries, so the next view walks
/// only what came after.
pub const TAIL_CHECKPOINT_EVERY: i64 = 1000;

/// Who ran a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// The daily job.
    Job,
    /// `renda audit verify`.
    Command,
    /// A view of the audit page.
    View,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Job => "job",
            By::Command => "command",
            By::View => "view",
        }
    }
    pub fn label_of(code: &str) -> &'static str {
        match code {
            "job" => "每日校验任务",
            "command" => "命令 renda audit verify",
            _ => "查看审计日志时",
        }
    }
}

/// One stored check.
#[derive(Clone, Debug, FromQueryResult)]
pub struct CheckRow {
    pub id: i64,
    pub at: i64,
    pub by_whom: String,
    pub scope: String,
    pub from_seq: i64,
    pub to_seq: i64,
    pub hash: String,
    pub ok: bool,
    pub problem: String,
    pub mac: String,
}

impl CheckRow {
    pub fn by_label(&self) -> &'static str {
        By::label_of(&self.by_whom)
    }
}

/// What a view of the audit page checked, and the newest whole check.
#[derive(Debug)]
pub struct TailCheck {
    /// The entries after this one were walked now (0: the whole chain, no checkpoint yet).
    pub after: i64,
    /// The last entry now, or the first fault found.
    pub result: Result<i64, ChainError>,
    /// The newest whole check (passed or not), if one ever ran.
    pub last_whole: Option<CheckRow>,
}

fn checkpoint_mac(key: &[u8], to_seq: i64, hash: &str) -> String {
    use hmac::Mac;
    let mut m = mac(key);
    m.update(b"renda-audit-checkpoint\x1f");
    m.update(to_seq.to_string().as_bytes());
    m.update(&[0x1f]);
    m.update(hash.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

const COLS: &str = "id, at, by_whom, scope, from_seq, to_seq, hash, ok, problem, mac";

async fn store<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    now: i64,
    by: By,
    scope: &str,
    from_seq: i64,
    result: &Result<i64, ChainError>,
) -> Result<(), DbErr> {
    let (to_seq, hash, ok, problem) = match result {
        Ok(last) => {
            let hash = if *last == 0 {
                String::new()
            } else {
                db::query_rows(c, "SELECT hash FROM audit_log WHERE seq = $1", vec![(*last).into()])
                    .await?
                    .first()
                    .map(|r| r.try_get_by_index::<String>(0))
                    .transpose()?
                    .unwrap_or_default()
            };
            (*last, hash, true, String::new())
        }
        Err(e) => (from_seq, String::new(), false, e.to_string()),
    };
    let mac = if ok { checkpoint_mac(key, to_seq, &hash) } else { String::new() };
    db::exec(
        c,
        "INSERT INTO audit_checks (at, by_whom, scope, from_seq, to_seq, hash, ok, problem, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            now.into(),
            by.as_str().into(),
            scope.into(),
            from_seq.into(),
            to_seq.into(),
            hash.into(),
            ok.into(),
            problem.into(),
            mac.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Walks the whole chain and stores the outcome (a checkpoint when it passed).
pub async fn check_whole<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    by: By,
    now: i64,
) -> Result<Result<i64, ChainError>, DbErr> {
    let result = walk_from(c, key, 0, String::new()).await?;
    store(c, key, now, by, "whole", 0, &result).await?;
    Ok(result)
}

/// The newest checkpoint whose MAC holds (rows without the key's MAC are passed over).
async fn newest_checkpoint<C: ConnectionTrait>(c: &C, key: &[u8]) -> Result<Option<CheckRow>, DbErr> {
    let rows: Vec<CheckRow> = db::query_all(
        c,
        &format!("SELECT {COLS} FROM audit_checks WHERE ok = $1 ORDER BY to_seq DESC, id DESC LIMIT 20"),
        vec![true.into()],
    )
    .await?;
    Ok(rows.into_iter().find(|r| r.mac == checkpoint_mac(key, r.to_seq, &r.hash)))
}

/// The newest whole check, passed or not.
pub async fn last_whole<C: ConnectionTrait>(c: &C) -> Result<Option<CheckRow>, DbErr> {
    db::query_one(c, &format!("SELECT {COLS} FROM audit_checks WHERE scope = 'whole' ORDER BY id DESC LIMIT 1"), vec![])
        .await
}

/// Walks the entries after the newest checkpoint and the head; stores a new checkpoint when it
/// walked at least `TAIL_CHECKPOINT_EVERY` entries and found them intact.
pub async fn check_tail<C: ConnectionTrait>(c: &C, key: &[u8], now: i64) -> Result<TailCheck, DbErr> {
    let (after, after_hash) = match newest_checkpoint(c, key).await? {
        Some(cp) => (cp.to_seq, cp.hash),
        None => (0, String::new()),
    };
    let result = walk_from(c, key, after, after_hash).await?;
    if let Ok(last) = result
        && last - after >= TAIL_CHECKPOINT_EVERY
    {
        store(c, key, now, By::View, "tail", after, &result).await?;
    }
    Ok(TailCheck { after, result, last_whole: last_whole(c).await? })
}
