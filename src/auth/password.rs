//! Argon2id password hashing with a configurable cost.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use std::sync::Mutex;

use crate::base::config::PasswordCost;

fn hasher(cost: PasswordCost) -> Argon2<'static> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None).expect("cost validated at start");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str, cost: PasswordCost) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost).hash_password(password.as_bytes(), &salt).expect("argon2 hashing").to_string()
}

/// Verifies against the parameters stored in the hash itself.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A password policy an office worker can live with: 8+ characters, letters and digits.
pub fn check_policy(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 8 {
        return Err("密码至少 8 个字符");
    }
    if password.chars().count() > 128 {
        return Err("密码不能超过 128 个字符");
    }
    let letters = password.chars().any(|c| c.is_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !(letters && digits) {
        return Err("密码须同时包含字母和数字");
    }
    Ok(())
}

/// Spends the time of a real verification (a verification against a hash of the configured
/// cost, made once), so unknown usernames are not revealed by timing.
pub fn burn(cost: PasswordCost) {
    static DUMMIES: Mutex<Vec<(PasswordCost, String)>> = Mutex::new(Vec::new());
    let dummy = {
        let mut dummies = DUMMIES.lock().unwrap_or_else(|e| e.into_inner());
        match dummies.iter().find(|(c, _)| *c == cost) {
            Some((_, h)) => h.clone(),
            None => {
                let h = hash("timing-equaliser", cost);
                dummies.push((cost, h.clone()));
                h
            }
        }
    };
    let _ = verify("not-the-password", &dummy);
}
