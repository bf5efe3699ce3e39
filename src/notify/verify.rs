//! A code before the first message to a new number (`sms_verify_new_numbers`): on the public
//! opinion and booking forms a number that never got a message from this installation is
//! confirmed first. The code goes by SMS (purpose `verify_code`); `sms_codes` keeps only its
//! keyed hash, for 10 minutes and 5 tries.

use rand::Rng;
use sea_orm::ConnectionTrait;

use super::{Limits, Message, Sent};
use crate::base::error::AppResult;
use crate::db;
use crate::privacy::FieldCrypto;

pub const CODE_SECS: i64 = 600;
pub const MAX_ATTEMPTS: i64 = 5;
/// `sms_codes.purpose` of these codes (the lost-number codes are `lost`).
const PURPOSE: &str = "verify";

fn code_hash(crypto: &FieldCrypto, phone_hash: &str, code: &str) -> String {
    crypto.lookup_hash("verify_code", &format!("{phone_hash}:{}", code.trim()))
}

/// Whether the number got a message before (other than a verification code).
pub async fn known<C: ConnectionTrait>(c: &C, crypto: &FieldCrypto, phone: &str) -> AppResult<bool> {
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM sms_outbox WHERE phone_hash = $1 AND purpose <> 'verify_code'",
        vec![super::phone_hash(crypto, phone).into()],
    )
    .await?
        > 0)
}

/// Sends a fresh code (the earlier ones stay valid until they expire); a number over its
/// caps gets a 429, since sending is all this request would do.
pub async fn send_code<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    limits: &Limits,
    phone: &str,
    now: i64,
) -> AppResult<()> {
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let text = format!("【数字人大】您正在提交意见或预约，手机号验证码 {code}，10 分钟内有效。如非本人操作请忽略。");
    let message = Message { text, secret: Some(code.clone()), public: true };
    if super::sms(c, crypto, limits, phone, &message, "verify_code").await? == Sent::Capped {
        return Err(super::capped_error());
    }
    let phone_hash = super::phone_hash(crypto, phone);
    db::exec(
        c,
        "INSERT INTO sms_codes (purpose, phone_hash, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            PURPOSE.into(),
            phone_hash.clone().into(),
            code_hash(crypto, &phone_hash, &code).into(),
            now.into(),
            (now + CODE_SECS).into(),
        ],
    )
    .await?;
    Ok(())
}

/// What a code typed in was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    Verified,
    /// Wrong; this many tries are left on the newest code.
    Wrong(i64),
    /// No live code: none sent, expired, used, or its tries spent.
    Expired,
}

impl Checked {
    /// The message for the form (`None` when verified).
    pub fn message(self) -> Option<String> {
        match self {
            Checked::Verified => None,
            Checked::Wrong(left) if left > 0 => Some(format!("验证码不正确，还可以再试 {left} 次")),
            Checked::Wrong(_) => Some("验证码错误次数过多，已失效，请重新获取验证码".into()),
            Checked::Expired => Some("验证码已过期或已失效，请重新获取验证码".into()),
        }
    }
}

/// Checks a code against the newest live code of the number; a wrong one spends a try, a
/// right one is used up. The caller commits either way.
pub async fn check<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    phone: &str,
    code: &str,
    now: i64,
) -> AppResult<Checked> {
    let phone_hash = super::phone_hash(crypto, phone);
    let rows = db::query_rows(
        c,
        "SELECT id, code_hash, attempts FROM sms_codes WHERE purpose = $1 AND phone_hash = $2 AND used = $3 \
         AND expires_at > $4 ORDER BY id DESC LIMIT 1",
        vec![PURPOSE.into(), phone_hash.clone().into(), false.into(), now.into()],
    )
    .await?;
    let Some(r) = rows.first() else { return Ok(Checked::Expired) };
    let (id, hash, attempts): (i64, String, i64) =
        (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
    if attempts >= MAX_ATTEMPTS {
        return Ok(Checked::Expired);
    }
    let given = code_hash(crypto, &phone_hash, code);
    if !crate::privacy::constant_time_eq(given.as_bytes(), hash.as_bytes()) {
        db::exec(c, "UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1", vec![id.into()]).await?;
        return Ok(Checked::Wrong(MAX_ATTEMPTS - attempts - 1));
    }
    db::exec(c, "UPDATE sms_codes SET used = $1 WHERE id = $2", vec![true.into(), id.into()]).await?;
    Ok(Checked::Verified)
}

/// What the public forms do with a phone before storing anything: `Ok(None)` to go on,
/// `Ok(Some(step))` to show the form again (a code was sent, or the one typed was not right).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// 「验证码已发送至 138****5678」
    CodeSent(String),
    /// The code typed in was not right (the message says why).
    Refused(String),
}

/// The verification gate of a public form, in its write transaction: nothing to do when the
/// installation does not verify, without a phone, or for a number that got messages before;
/// otherwise a code is sent (`resend`, or none typed) or the typed one checked.
#[allow(clippy::too_many_arguments)] // connection, keys and caps, then the form's three fields and the time
pub async fn gate<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    limits: &Limits,
    enabled: bool,
    phone: &str,
    code: &str,
    resend: bool,
    now: i64,
) -> AppResult<Option<Step>> {
    if !enabled || phone.trim().is_empty() || known(c, crypto, phone).await? {
        return Ok(None);
    }
    if resend || code.trim().is_empty() {
        send_code(c, crypto, limits, phone, now).await?;
        return Ok(Some(Step::CodeSent(crate::privacy::mask_phone(&crate::privacy::normalise_phone(phone)))));
    }
    Ok(check(c, crypto, phone, code, now).await?.message().map(Step::Refused))
}
