//! Attachments live behind a storage interface (PLAT-3, PLAT-14); the default backend is a
//! local directory, addressed by content hash so nodes sharing a mount agree on names.

pub mod staged;

use std::path::PathBuf;

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("附件不存在")]
    NotFound,
    #[error("附件存储失败：{0}")]
    Io(#[from] std::io::Error),
}

pub trait Storage: Send + Sync {
    /// Stores bytes and returns the key to fetch them with.
    fn put(&self, bytes: &[u8]) -> Result<String, StorageError>;
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError>;
    fn delete(&self, key: &str) -> Result<(), StorageError>;
}

pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: PathBuf) -> Self {
        LocalDir { root }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(&key[..2]).join(key))
    }
}

impl Storage for LocalDir {
    fn put(&self, bytes: &[u8]) -> Result<String, StorageError> {
        let key = hex::encode(Sha256::digest(bytes));
        let path = self.path(&key).expect("hex key");
        if !path.exists() {
            std::fs::create_dir_all(path.parent().expect("has parent"))?;
            let tmp = path.with_extension("part");
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(key)
    }

    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        let path = self.path(key).ok_or(StorageError::NotFound)?;
        std::fs::read(path)
            .map_err(|e| if e.kind() == std::io::ErrorKind::NotFound { StorageError::NotFound } else { e.into() })
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path(key).ok_or(StorageError::NotFound)?;
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

/// The content type judged from the bytes, not the name; `None` for anything not allowed.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [b'%', b'P', b'D', b'F', ..] => Some("application/pdf"),
        [b'P', b'K', 3, 4, ..] => Some("application/zip"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_dir_round_trip() {
        let dir = std::env::temp_dir().join(format!("renda-storage-{}", std::process::id()));
        let s = LocalDir::new(dir.clone());
        let key = s.put(b"%PDF-1.4 hello").unwrap();
        assert_eq!(s.get(&key).unwrap(), b"%PDF-1.4 hello");
        assert!(matches!(s.get("../etc/passwd"), Err(StorageError::NotFound)));
        s.delete(&key).unwrap();
        assert!(matches!(s.get(&key), Err(StorageError::NotFound)));
        assert_eq!(sniff_content_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff_content_type(b"MZ\x90\x00"), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
