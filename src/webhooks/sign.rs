//! The signature of a push and of an inbound update, one scheme both ways:
//!
//! ```text
//! X-Renda-Timestamp: <Unix seconds>
//! X-Renda-Delivery:  <delivery id: 1 to 100 of A–Z a–z 0–9 - _>
//! X-Renda-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." endpoint "." delivery "." body)>
//! ```
//!
//! `endpoint` is the endpoint's number (the `{id}` of `/api/v1/webhooks/inbound/{id}`, and the
//! endpoint a push was sent for). The delivery id and the endpoint are signed so that a captured
//! request cannot be replayed under another delivery id (the replay check is per id) or at
//! another endpoint; a timestamp more than five minutes from our clock is refused, and an
//! accepted delivery id is remembered far longer than that (a replay is a 409). The four
//! parts cannot run into one another: timestamp and endpoint are digits, the delivery id has
//! no dot.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far an inbound timestamp may be from our clock.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// Longest delivery id.
pub const MAX_DELIVERY_LEN: usize = 100;

fn mac(secret: &str, timestamp: &str, endpoint: i64, delivery: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(endpoint.to_string().as_bytes());
    m.update(b".");
    m.update(delivery.as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// A delivery id that can be signed: 1 to 100 of `A–Z a–z 0–9 - _`.
pub fn valid_delivery(delivery: &str) -> bool {
    !delivery.is_empty()
        && delivery.len() <= MAX_DELIVERY_LEN
        && delivery.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The `X-Renda-Signature` value of delivery `delivery` of endpoint `endpoint`, sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, endpoint: i64, delivery: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, &timestamp.to_string(), endpoint, delivery, body).finalize().into_bytes())
    )
}

/// Why an inbound request's signature is refused (each a 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    BadTimestamp,
    BadDelivery,
    Stale,
    BadSignature,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Missing => "缺少签名：请带上 X-Renda-Timestamp、X-Renda-Signature 和 X-Renda-Delivery 请求头",
            Refusal::BadTimestamp => "X-Renda-Timestamp 应为 Unix 秒数",
            Refusal::BadDelivery => "X-Renda-Delivery 应为 1 至 100 个字母、数字、“-”或“_”",
            Refusal::Stale => "请求时间与服务器相差超过 5 分钟，请校准时钟后重新签名发送",
            Refusal::BadSignature => {
                "签名不正确：应为 sha256=HMAC-SHA256(密钥, 时间戳 + \".\" + 推送地址编号 + \".\" + X-Renda-Delivery + \".\" + 请求体) 的十六进制"
            }
        }
    }
}

/// Checks an inbound request's timestamp, delivery id and signature (constant-time comparison).
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    sig: Option<&str>,
    endpoint: i64,
    delivery: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    let (Some(ts), Some(sig), Some(delivery)) = (timestamp.map(str::trim), sig.map(str::trim), delivery.map(str::trim))
    else {
        return Err(Refusal::Missing);
    };
    if !ts.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::BadTimestamp);
    }
    let at: i64 = ts.parse().map_err(|_| Refusal::BadTimestamp)?;
    if !valid_delivery(delivery) {
        return Err(Refusal::BadDelivery);
    }
    if (now - at).abs() > MAX_SKEW_SECS {
        return Err(Refusal::Stale);
    }
    let given = sig.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()).ok_or(Refusal::BadSignature)?;
    mac(secret, ts, endpoint, delivery, body).verify_slice(&given).map_err(|_| Refusal::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_time_endpoint_and_delivery() {
        let sig = signature("s3cret", 1_700_000_000, 7, "d-1", b"{\"a\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        let v = |secret: &str, ts: Option<&str>, ep: i64, d: Option<&str>, body: &[u8], now: i64| {
            verify(secret, ts, Some(&sig), ep, d, body, now)
        };
        let body = b"{\"a\":1}";
        assert_eq!(v("s3cret", Some("1700000000"), 7, Some("d-1"), body, 1_700_000_100), Ok(()));
        assert_eq!(v("other", Some("1700000000"), 7, Some("d-1"), body, 1_700_000_000), Err(Refusal::BadSignature));
        assert_eq!(
            v("s3cret", Some("1700000000"), 7, Some("d-1"), b"{\"a\":2}", 1_700_000_000),
            Err(Refusal::BadSignature)
        );
        assert_eq!(v("s3cret", Some("1700000000"), 7, Some("d-2"), body, 1_700_000_000), Err(Refusal::BadSignature));
        assert_eq!(v("s3cret", Some("1700000000"), 8, Some("d-1"), body, 1_700_000_000), Err(Refusal::BadSignature));
        assert_eq!(v("s3cret", Some("1700000000"), 7, Some("d-1"), body, 1_700_000_301), Err(Refusal::Stale));
        assert_eq!(v("s3cret", None, 7, Some("d-1"), b"", 0), Err(Refusal::Missing));
        assert_eq!(v("s3cret", Some("1700000000"), 7, None, b"", 0), Err(Refusal::Missing));
        assert_eq!(v("s3cret", Some("x"), 7, Some("d-1"), b"", 0), Err(Refusal::BadTimestamp));
        assert_eq!(v("s3cret", Some("+1700000000"), 7, Some("d-1"), body, 1_700_000_000), Err(Refusal::BadTimestamp));
        assert_eq!(v("s3cret", Some("1700000000"), 7, Some("d.1"), body, 1_700_000_000), Err(Refusal::BadDelivery));
        assert!(!valid_delivery(&"a".repeat(101)) && valid_delivery(&"a".repeat(100)));
    }
}
