//! The signature of a push and of an inbound update, one scheme both ways:
//! `X-Renda-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, with the
//! Unix time in `X-Renda-Timestamp` (refused when more than five minutes away from ours).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far an inbound timestamp may be from our clock.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `X-Renda-Signature` value of a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, &timestamp.to_string(), body).finalize().into_bytes()))
}

/// Why an inbound request's signature is refused (each a 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    BadTimestamp,
    Stale,
    BadSignature,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Missing => "缺少签名：请带上 X-Renda-Timestamp、X-Renda-Signature 和 X-Renda-Delivery 请求头",
            Refusal::BadTimestamp => "X-Renda-Timestamp 应为 Unix 秒数",
            Refusal::Stale => "请求时间与服务器相差超过 5 分钟，请校准时钟后重新签名发送",
            Refusal::BadSignature => "签名不正确：应为 sha256=HMAC-SHA256(密钥, 时间戳 + \".\" + 请求体) 的十六进制",
        }
    }
}

/// Checks an inbound request's timestamp and signature (constant-time comparison).
pub fn verify(secret: &str, timestamp: Option<&str>, sig: Option<&str>, body: &[u8], now: i64) -> Result<(), Refusal> {
    let (Some(ts), Some(sig)) = (timestamp.map(str::trim), sig.map(str::trim)) else {
        return Err(Refusal::Missing);
    };
    let at: i64 = ts.parse().map_err(|_| Refusal::BadTimestamp)?;
    if (now - at).abs() > MAX_SKEW_SECS {
        return Err(Refusal::Stale);
    }
    let given = sig.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()).ok_or(Refusal::BadSignature)?;
    mac(secret, ts, body).verify_slice(&given).map_err(|_| Refusal::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_and_time() {
        let sig = signature("s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        let ok = verify("s3cret", Some("1700000000"), Some(&sig), b"{\"a\":1}", 1_700_000_100);
        assert_eq!(ok, Ok(()));
        assert_eq!(
            verify("other", Some("1700000000"), Some(&sig), b"{\"a\":1}", 1_700_000_000),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify("s3cret", Some("1700000000"), Some(&sig), b"{\"a\":2}", 1_700_000_000),
            Err(Refusal::BadSignature)
        );
        assert_eq!(verify("s3cret", Some("1700000000"), Some(&sig), b"{\"a\":1}", 1_700_000_301), Err(Refusal::Stale));
        assert_eq!(verify("s3cret", None, Some(&sig), b"", 0), Err(Refusal::Missing));
        assert_eq!(verify("s3cret", Some("x"), Some(&sig), b"", 0), Err(Refusal::BadTimestamp));
    }
}
