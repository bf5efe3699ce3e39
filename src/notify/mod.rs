//! Notifications (PLAT-11): the in-app inbox of every account, and SMS through a provider
//! interface. The built-in provider writes to `sms_outbox`, which admins can read, so a demo or
//! a test sees what would have been sent; the phone is stored encrypted and shown masked.

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

/// Queues a text message to a phone (in the caller's transaction): what is committed is sent.
pub async fn sms<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    phone: &str,
    body: &str,
    purpose: &str,
) -> Result<(), DbErr> {
    sms_sealed(c, &crypto.encrypt(phone), &mask_phone(phone), body, purpose).await
}

/// The same for a phone already encrypted with the field key and its masked form (a job that
/// holds no key, e.g. reminders, passes on what the record stores).
pub async fn sms_sealed<C: ConnectionTrait>(
    c: &C,
    phone_enc: &str,
    phone_masked: &str,
    body: &str,
    purpose: &str,
) -> Result<(), DbErr> {
    db::exec(
        c,
        "INSERT INTO sms_outbox (phone_enc, phone_masked, body, purpose, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![phone_enc.into(), phone_masked.into(), body.into(), purpose.into(), db::now().into()],
    )
    .await?;
    Ok(())
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
        crate::app::fmt::datetime(self.created_at)
    }
    /// What the message was for, in Chinese (unknown purposes as they are).
    pub fn purpose_label(&self) -> &str {
        match self.purpose.as_str() {
            "opinion_receipt" => "意见回执",
            "opinion_progress" => "办理进展",
            "lost_code" => "找回验证码",
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
