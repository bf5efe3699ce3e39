//! TOTP (RFC 6238, SHA-1, 6 digits, 30 s) for the optional second factor of staff.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    base32_encode(&bytes)
}

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in data {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET.iter().position(|&a| a as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

pub fn code_at(secret_b32: &str, unix: i64) -> Option<String> {
    let key = base32_decode(secret_b32)?;
    let counter = (unix / 30) as u64;
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&key).ok()?;
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[19] & 0x0f) as usize;
    let bin = ((h[offset] as u32 & 0x7f) << 24)
        | ((h[offset + 1] as u32) << 16)
        | ((h[offset + 2] as u32) << 8)
        | h[offset + 3] as u32;
    Some(format!("{:06}", bin % 1_000_000))
}

/// The time step (`unix / 30`) whose code `code` is, looking at the current step and one
/// either side (clock drift of a phone); the latest one when several match. Callers that
/// accept a code record this step and refuse any step not later than it (no replay).
pub fn verify_step(secret_b32: &str, code: &str, unix: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 {
        return None;
    }
    [30, 0, -30]
        .iter()
        .map(|d| unix + d)
        .find(|t| code_at(secret_b32, *t).as_deref() == Some(code))
        .map(|t| t.div_euclid(30))
}

/// Accepts the current step and one step either side (clock drift of a phone).
pub fn verify(secret_b32: &str, code: &str, unix: i64) -> bool {
    verify_step(secret_b32, code, unix).is_some()
}

pub fn otpauth_uri(secret_b32: &str, username: &str) -> String {
    format!("otpauth://totp/renda:{username}?secret={secret_b32}&issuer=renda&digits=6&period=30")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1 key "12345678901234567890", T = 59 → 94287082 (8 digits) → 287082.
        let secret = base32_encode(b"12345678901234567890");
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1111111109).unwrap(), "081804");
        assert!(verify(&secret, "287082", 59 + 30));
        assert!(!verify(&secret, "287082", 59 + 120));
        // The step of the code, whichever of the three accepted steps the clock is in.
        assert_eq!(verify_step(&secret, "287082", 59), Some(1));
        assert_eq!(verify_step(&secret, "287082", 59 + 30), Some(1));
        assert_eq!(verify_step(&secret, "287082", 59 - 30), Some(1));
        assert_eq!(verify_step(&secret, "28708", 59), None);
        assert_eq!(base32_decode(&secret).unwrap(), b"12345678901234567890");
    }
}
