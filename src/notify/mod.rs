//! Notifications (PLAT-11): the in-app inbox of every account, and SMS through a provider
//! interface. The built-in provider writes to `sms_outbox`, which admins can read, so a demo or
//! a test sees what would have been sent; the phone is stored encrypted and shown masked, and
//! the text admins read has its codes masked (the text sent is stored encrypted). Every message
//! passes the per-number caps here (`sms_sealed`).

pub mod verify;

use sea_orm::{ConnectionTrait, DbErr};

use crate::db;
use crate::privacy::{FieldCrypto, mask_phone};

/// Puts a message into an account's inbox (in the caller's transaction).
pub async fn inbox<C: ConnectionTrait>(
    c: &C,
    account_id: i64,
    title: &str,
    body: &str,
    link: Option<&str>,
) -> Result<(), DbErr> {
    db::exec(
        c,
        "INSERT INTO notifications (account_id, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![account_id.into(), title.into(), body.into(), link.map(str::to_string).into(), db::now().into()],
    )
    .await?;
    Ok(())
}

/// What a message is about (issue 16): the kind the inbox filters by, the record that names it,
/// and the page it leads to.
#[derive(Clone, Copy, Debug)]
pub struct About<'a> {
    /// A loop item's kind (`opinion`, `suggestion`) or a module's record kind (`appointment`):
    /// what the inbox filters by; its Chinese name is the record kind's label.
    pub kind: &'a str,
    /// The record (its record kind — `handling_item`, `appointment` — and id): the inbox names
    /// the message's item by that kind's title, as the audit log names records. None for a
    /// message about several (a digest).
    pub record: Option<(&'a str, i64)>,
    /// The record's console page (a list, for a message about several).
    pub link: &'a str,
}

/// The same message about one record to several accounts (in the caller's transaction).
pub async fn inbox_about<C: ConnectionTrait>(
    c: &C,
    accounts: &[i64],
    about: &About<'_>,
    title: &str,
    body: &str,
) -> Result<(), DbErr> {
    let now = db::now();
    for a in accounts {
        db::exec(
            c,
            "INSERT INTO notifications (account_id, title, body, link, created_at, item_kind, item_type, item_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                (*a).into(),
                title.into(),
                body.into(),
                about.link.into(),
                now.into(),
                about.kind.into(),
                about.record.map(|(t, _)| t.to_string()).into(),
                about.record.map(|(_, id)| id).into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// One message of an inbox.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct Notice {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub item_kind: Option<String>,
    pub item_type: Option<String>,
    pub item_id: Option<i64>,
}

const NOTICE_COLS: &str = "id, title, body, link, created_at, read_at, item_kind, item_type, item_id";

/// The condition of one account's messages, of one kind (`""`: messages about no record).
fn inbox_condition(account_id: i64, kind: Option<&str>) -> (String, Vec<sea_orm::Value>) {
    match kind {
        None => ("account_id = $1".into(), vec![account_id.into()]),
        Some("") => ("account_id = $1 AND item_kind IS NULL".into(), vec![account_id.into()]),
        Some(k) => ("account_id = $1 AND item_kind = $2".into(), vec![account_id.into(), k.into()]),
    }
}

/// A page of an account's messages, newest first: those of `kind` when given, older than the
/// message `before` when given (keyset paging).
pub async fn notices<C: ConnectionTrait>(
    c: &C,
    account_id: i64,
    kind: Option<&str>,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Notice>, DbErr> {
    let (mut cond, mut values) = inbox_condition(account_id, kind);
    if let Some(b) = before {
        values.push(b.into());
        cond.push_str(&format!(" AND id < ${}", values.len()));
    }
    values.push((limit as i64).into());
    let sql = format!("SELECT {NOTICE_COLS} FROM notifications WHERE {cond} ORDER BY id DESC LIMIT ${}", values.len());
    db::query_all(c, &sql, values).await
}

/// The newest unread messages of an account.
pub async fn unread<C: ConnectionTrait>(c: &C, account_id: i64, limit: u64) -> Result<Vec<Notice>, DbErr> {
    let sql = format!(
        "SELECT {NOTICE_COLS} FROM notifications WHERE account_id = $1 AND read_at IS NULL ORDER BY id DESC LIMIT $2"
    );
    db::query_all(c, &sql, vec![account_id.into(), (limit as i64).into()]).await
}

/// How many messages of an account (of `kind`) there are.
pub async fn count<C: ConnectionTrait>(c: &C, account_id: i64, kind: Option<&str>) -> Result<i64, DbErr> {
    let (cond, values) = inbox_condition(account_id, kind);
    db::scalar_i64(c, &format!("SELECT count(*) FROM notifications WHERE {cond}"), values).await
}

/// The kinds of an account's messages with how many of each are unread (`""`: about no record).
pub async fn kinds<C: ConnectionTrait>(c: &C, account_id: i64) -> Result<Vec<(String, i64)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT COALESCE(item_kind, ''), sum(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END) FROM notifications \
         WHERE account_id = $1 GROUP BY COALESCE(item_kind, '') ORDER BY COALESCE(item_kind, '')",
        vec![account_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index::<Option<i64>>(1)?.unwrap_or(0)))).collect()
}

/// Marks every unread message of an account read (those of `kind` when given); how many.
pub async fn mark_all_read<C: ConnectionTrait>(c: &C, account_id: i64, kind: Option<&str>) -> Result<u64, DbErr> {
    let (cond, mut values) = inbox_condition(account_id, kind);
    values.push(db::now().into());
    let sql = format!("UPDATE notifications SET read_at = ${} WHERE {cond} AND read_at IS NULL", values.len());
    db::exec(c, &sql, values).await
}

/// Marks one notification read; one read already keeps its first time.
pub async fn mark_read<C: ConnectionTrait>(c: &C, id: i64) -> Result<u64, DbErr> {
    db::exec(
        c,
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND read_at IS NULL",
        vec![db::now().into(), id.into()],
    )
    .await
}

/// The same message to several accounts.
pub async fn inbox_all<C: ConnectionTrait>(
    c: &C,
    accounts: &[i64],
    title: &str,
    body: &str,
    link: Option<&str>,
) -> Result<(), DbErr> {
    for a in accounts {
        inbox(c, *a, title, body, link).await?;
    }
    Ok(())
}

/// A text message: the text the provider sends, and the secret in it (a query or verification
/// code) that nobody reading the outbox may see.
#[derive(Clone, Debug)]
pub struct Message {
    pub text: String,
    pub secret: Option<String>,
    /// Triggered by a public request (a form or the public API), not by staff: the hourly cap
    /// applies too.
    pub public: bool,
}

impl Message {
    /// A message with nothing secret in it, triggered by staff or a job.
    pub fn plain(text: String) -> Message {
        Message { text, secret: None, public: false }
    }

    /// The text as admins see it: the secret replaced by `******`.
    pub fn masked(&self) -> String {
        match self.secret.as_deref().filter(|s| !s.is_empty()) {
            Some(secret) => self.text.replace(secret, MASK),
            None => self.text.clone(),
        }
    }
}

const MASK: &str = "******";

/// Whether a message went into the outbox.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Queued,
    /// The number had its messages of the day (or, for a public request, of the hour): this one
    /// was not sent.
    Capped,
}

/// The caps per number, from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub per_day: i64,
    pub public_per_hour: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_day: 10, public_per_hour: 5 }
    }
}

impl Limits {
    pub fn of(config: &crate::base::config::Config) -> Limits {
        Limits { per_day: config.sms_per_number_per_day, public_per_hour: config.sms_public_per_number_per_hour }
    }
}

/// The refusal of a request whose only effect would be a message to a number that had its
/// messages already.
pub fn capped_error() -> crate::base::error::AppError {
    crate::base::error::AppError::TooManyRequests("该号码今日短信已达上限，请明天再试；急事请拨打联络站电话".into())
}

/// The keyed hash of a number the outbox is counted by (the same as opinions' and bookings').
pub fn phone_hash(crypto: &FieldCrypto, phone: &str) -> String {
    crypto.lookup_hash("phone", &crate::privacy::normalise_phone(phone))
}

/// A number as a record stores it: encrypted, masked, and its keyed hash.
#[derive(Clone, Copy, Debug)]
pub struct Sealed<'a> {
    pub phone_enc: &'a str,
    pub phone_masked: &'a str,
    pub phone_hash: &'a str,
}

/// Midnight (Beijing) of the day of `now`.
fn day_start(now: i64) -> i64 {
    now - (now + 8 * 3600).rem_euclid(86_400)
}

/// Queues a text message to a phone (in the caller's transaction): what is committed is sent,
/// unless the number had its messages already (`Sent::Capped`, nothing stored).
pub async fn sms<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    limits: &Limits,
    phone: &str,
    message: &Message,
    purpose: &str,
) -> Result<Sent, DbErr> {
    let phone = crate::privacy::normalise_phone(phone);
    let to = Sealed {
        phone_enc: &crypto.encrypt(&phone),
        phone_masked: &mask_phone(&phone),
        phone_hash: &phone_hash(crypto, &phone),
    };
    sms_sealed(c, crypto, limits, &to, message, purpose).await
}

/// The same for a phone a record holds sealed (a booking: encrypted, masked, hashed). The one
/// place the caps are decided: every message passes here. Writers are serialised by the audit
/// head (`db::begin_write`), so count-then-insert holds.
pub async fn sms_sealed<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    limits: &Limits,
    to: &Sealed<'_>,
    message: &Message,
    purpose: &str,
) -> Result<Sent, DbErr> {
    let now = db::now();
    let count = |from: i64| {
        db::scalar_i64(
            c,
            "SELECT count(*) FROM sms_outbox WHERE phone_hash = $1 AND created_at >= $2",
            vec![to.phone_hash.into(), from.into()],
        )
    };
    let today = count(day_start(now)).await?;
    let hour = if message.public { count(now - 3599).await? } else { 0 };
    if today >= limits.per_day || (message.public && hour >= limits.public_per_hour) {
        tracing::info!(purpose, "SMS not sent: the number reached its cap");
        return Ok(Sent::Capped);
    }
    db::exec(
        c,
        "INSERT INTO sms_outbox (phone_enc, phone_masked, phone_hash, body, body_enc, purpose, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            to.phone_enc.into(),
            to.phone_masked.into(),
            to.phone_hash.into(),
            message.masked().into(),
            crypto.encrypt(&message.text).into(),
            purpose.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(Sent::Queued)
}

/// One message as the provider sends it: the full text, decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub phone_masked: String,
    pub purpose: String,
    pub body: String,
}

fn outgoing(crypto: &FieldCrypto, r: &sea_orm::QueryResult) -> Result<Outgoing, DbErr> {
    let masked: String = r.try_get_by_index(3)?;
    let enc: Option<String> = r.try_get_by_index(4)?;
    Ok(Outgoing {
        id: r.try_get_by_index(0)?,
        phone_masked: r.try_get_by_index(1)?,
        purpose: r.try_get_by_index(2)?,
        // Rows from before the text was sealed hold only the masked text.
        body: enc.and_then(|e| crypto.decrypt(&e).ok()).unwrap_or(masked),
    })
}

/// The full texts sent to one number, oldest first: what the provider delivers (and what a
/// test reads a code from). Nothing else reads `body_enc`.
pub async fn sent_bodies<C: ConnectionTrait>(c: &C, crypto: &FieldCrypto, phone: &str) -> Result<Vec<String>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT id, phone_masked, purpose, body, body_enc FROM sms_outbox WHERE phone_hash = $1 ORDER BY id",
        vec![phone_hash(crypto, phone).into()],
    )
    .await?;
    rows.iter().map(|r| Ok(outgoing(crypto, r)?.body)).collect()
}

/// Every message after the one with id `after`, decrypted, oldest first.
pub async fn sent_since<C: ConnectionTrait>(c: &C, crypto: &FieldCrypto, after: i64) -> Result<Vec<Outgoing>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT id, phone_masked, purpose, body, body_enc FROM sms_outbox WHERE id > $1 ORDER BY id",
        vec![after.into()],
    )
    .await?;
    rows.iter().map(|r| outgoing(crypto, r)).collect()
}

/// One message of the outbox, as admins see it (phone masked).
#[derive(Clone, Debug, sea_orm::FromQueryResult, serde::Serialize)]
pub struct OutboxLine {
    pub id: i64,
    pub phone_masked: String,
    pub body: String,
    pub purpose: String,
    pub created_at: i64,
}

impl OutboxLine {
    pub fn when(&self) -> String {
        crate::base::fmt::datetime(self.created_at)
    }
    /// What the message was for, in Chinese (unknown purposes as they are).
    pub fn purpose_label(&self) -> &str {
        match self.purpose.as_str() {
            "opinion_receipt" => "意见回执",
            "opinion_progress" => "办理进展",
            "lost_code" => "找回验证码",
            "verify_code" => "号码验证码",
            "appointment_receipt" => "预约回执",
            "appointment_reminder" => "预约提醒",
            "appointment_progress" => "预约进展",
            other => other,
        }
    }
}

/// The newest messages of the outbox.
pub async fn outbox<C: ConnectionTrait>(c: &C, limit: i64) -> Result<Vec<OutboxLine>, DbErr> {
    db::query_all(
        c,
        "SELECT id, phone_masked, body, purpose, created_at FROM sms_outbox ORDER BY id DESC LIMIT $1",
        vec![limit.into()],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_masked_exactly() {
        let m = Message {
            text: "查询编号 20260101000012，查询码 AB3K9Z。".into(),
            secret: Some("AB3K9Z".into()),
            public: true,
        };
        assert_eq!(m.masked(), "查询编号 20260101000012，查询码 ******。");
        assert_eq!(Message::plain("已办结".into()).masked(), "已办结");
        let empty = Message { text: "x".into(), secret: Some(String::new()), public: false };
        assert_eq!(empty.masked(), "x");
    }

    #[test]
    fn the_day_is_beijings() {
        // 2026-01-01 00:00 Beijing = 2025-12-31 16:00 UTC.
        let midnight = 1_767_196_800;
        assert_eq!(day_start(midnight), midnight);
        assert_eq!(day_start(midnight + 86_399), midnight);
        assert_eq!(day_start(midnight - 1), midnight - 86_400);
    }
}
