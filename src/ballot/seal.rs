//! A secret ballot's papers while it is open: each paper is one row encrypted whole (AES-256-GCM
//! under a key derived from the installation's field secret, the ballot and a random salt kept on
//! the ballot until it closes), padded to one length per ballot — so a row tells neither which
//! subject nor which option, nor how many candidates the paper chose. When the ballot closes
//! the papers are opened, written out as plain votes in a random order under fresh random keys
//! in the closing transaction, and the salt is cleared. See docs/ARCHITECTURE.md, "Secret
//! ballots", for what this can and cannot promise.

use rand::RngCore;

use crate::privacy::{DecryptError, FieldCrypto};

/// One mark on a paper: an option's code, or a score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    Option(String),
    Score(i64),
}

/// A fresh salt for a ballot's sealing key.
pub fn salt() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The ballot's own key: a keyed hash of the ballot and its salt under the field secret.
pub fn sealer(crypto: &FieldCrypto, ballot: i64, salt: &str) -> FieldCrypto {
    let derived = crypto.lookup_hash("ballot-seal", &format!("{ballot}:{salt}"));
    let mut key = [0u8; 32];
    hex::decode_to_slice(derived, &mut key).expect("a SHA-256 hex digest");
    FieldCrypto::new(key)
}

/// The length every paper of a ballot with `subjects` subjects is padded to.
pub fn width(subjects: usize) -> usize {
    32 + subjects * 48
}

/// A paper as sealed text: `subject:code` or `subject#score`, joined by `;`, padded with spaces.
pub fn seal(sealer: &FieldCrypto, paper: &[(i64, Mark)], width: usize) -> String {
    let mut text = paper
        .iter()
        .map(|(s, m)| match m {
            Mark::Option(code) => format!("{s}:{code}"),
            Mark::Score(n) => format!("{s}#{n}"),
        })
        .collect::<Vec<_>>()
        .join(";");
    while text.len() < width {
        text.push(' ');
    }
    sealer.encrypt(&text)
}

/// A sealed paper opened.
pub fn open(sealer: &FieldCrypto, sealed: &str) -> Result<Vec<(i64, Mark)>, DecryptError> {
    let text = sealer.decrypt(sealed)?;
    let mut out = Vec::new();
    for part in text.trim_end().split(';').filter(|p| !p.is_empty()) {
        let mark = if let Some((s, code)) = part.split_once(':') {
            (s.parse().map_err(|_| DecryptError)?, Mark::Option(code.to_string()))
        } else if let Some((s, n)) = part.split_once('#') {
            (s.parse().map_err(|_| DecryptError)?, Mark::Score(n.parse().map_err(|_| DecryptError)?))
        } else {
            return Err(DecryptError);
        };
        out.push(mark);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn papers_of_one_ballot_seal_to_one_length_and_open_again() {
        let crypto = FieldCrypto::new([7; 32]);
        let s = sealer(&crypto, 12, &salt());
        let w = width(13);
        let one = seal(&s, &[(5, Mark::Option("yes".into()))], w);
        let many: Vec<(i64, Mark)> = (1..=10).map(|i| (i, Mark::Option("yes".into()))).collect();
        let ten = seal(&s, &many, w);
        let blank = seal(&s, &[], w);
        assert_eq!(one.len(), ten.len());
        assert_eq!(one.len(), blank.len());
        assert_eq!(open(&s, &ten).unwrap(), many);
        assert_eq!(open(&s, &blank).unwrap(), vec![]);
        assert_eq!(open(&s, &seal(&s, &[(3, Mark::Score(87))], w)).unwrap(), vec![(3, Mark::Score(87))]);
        // Another ballot's key (or another salt) opens nothing.
        assert!(open(&sealer(&crypto, 13, "x"), &one).is_err());
    }
}
