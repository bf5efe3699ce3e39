//! Personal data (PLAT-8): field encryption at rest, keyed look-up hashes, masking for display.

pub mod redact;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Encrypts and hashes personal fields with keys from configuration.
#[derive(Clone)]
pub struct FieldCrypto {
    key: [u8; 32],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("无法解密个人信息字段（密钥不匹配或数据损坏）")]
pub struct DecryptError;

impl FieldCrypto {
    pub fn new(key: [u8; 32]) -> Self {
        FieldCrypto { key }
    }

    /// `v1:` + base64(nonce ‖ ciphertext); a fresh random nonce per value.
    pub fn encrypt(&self, plain: &str) -> String {
        let cipher = Aes256Gcm::new_from_slice(&self.key).expect("32-byte key");
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed =
            cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()).expect("AES-GCM encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("v1:{}", B64.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, DecryptError> {
        let raw = stored.strip_prefix("v1:").ok_or(DecryptError)?;
        let bytes = B64.decode(raw).map_err(|_| DecryptError)?;
        if bytes.len() < 12 {
            return Err(DecryptError);
        }
        let cipher = Aes256Gcm::new_from_slice(&self.key).expect("32-byte key");
        let plain = cipher.decrypt(Nonce::from_slice(&bytes[..12]), &bytes[12..]).map_err(|_| DecryptError)?;
        String::from_utf8(plain).map_err(|_| DecryptError)
    }

    /// A keyed hash for equality look-ups (find by phone) without storing the value.
    pub fn lookup_hash(&self, purpose: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0x1f]);
        mac.update(value.trim().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A phone number as stored and hashed: no spaces, hyphens or brackets, no +86.
pub fn normalise_phone(phone: &str) -> String {
    let digits: String = phone.trim().chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = digits.strip_prefix('+').unwrap_or(&digits);
    match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest.to_string(),
        _ => digits.to_string(),
    }
}

/// Compares two secrets (hashes of codes) in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `13812345678` → `138****5678`; short or odd input keeps only its last two characters.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if digits.len() >= 7 {
        let head: String = digits[..3].iter().collect();
        let tail: String = digits[digits.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    } else if digits.len() > 2 {
        let tail: String = digits[digits.len() - 2..].iter().collect();
        format!("{}{tail}", "*".repeat(digits.len() - 2))
    } else {
        "*".repeat(digits.len())
    }
}

/// `张三` → `张*`, `欧阳小明` → `欧***`: the family name stays, the rest is hidden.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        n => format!("{}{}", chars[0], "*".repeat(n - 1)),
    }
}

/// 18-character ID number → first 3 and last 2 kept.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() <= 5 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
}

/// Client addresses in logs and audit: the host part is dropped (IPv4 /24, IPv6 /48).
pub fn mask_ip(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.*", o[0], o[1], o[2])
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::*", s[0], s[1], s[2])
        }
        Err(_) => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("138-1234-5678"), "138****5678");
        assert_eq!(mask_phone("12"), "**");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳小明"), "欧***");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_id_number("370782199001011234"), "370*************34");
        assert_eq!(mask_ip("192.168.3.77"), "192.168.3.*");
        assert_eq!(mask_ip("not an ip"), "-");
    }

    #[test]
    fn encryption_round_trip_and_tamper() {
        let c = FieldCrypto::new([7; 32]);
        let sealed = c.encrypt("13812345678");
        assert!(!sealed.contains("13812345678"));
        assert_ne!(sealed, c.encrypt("13812345678"), "nonce must differ");
        assert_eq!(c.decrypt(&sealed).unwrap(), "13812345678");
        let other = FieldCrypto::new([8; 32]);
        assert_eq!(other.decrypt(&sealed), Err(DecryptError));
        let mut broken = sealed.clone();
        broken.pop();
        assert!(c.decrypt(&broken).is_err());
    }

    #[test]
    fn lookup_hash_is_keyed_and_stable() {
        let c = FieldCrypto::new([7; 32]);
        assert_eq!(c.lookup_hash("phone", "13812345678"), c.lookup_hash("phone", " 13812345678 "));
        assert_ne!(
            c.lookup_hash("phone", "13812345678"),
            FieldCrypto::new([9; 32]).lookup_hash("phone", "13812345678")
        );
        assert_ne!(c.lookup_hash("phone", "1"), c.lookup_hash("name", "1"));
    }
}
