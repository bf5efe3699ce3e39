use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::app::config::Config;
use crate::privacy::FieldCrypto;
use crate::registry::stations::NearestCache;
use crate::storage::{LocalDir, Storage};

/// Shared by every request; nothing here is node-local state that another node would miss.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub crypto: FieldCrypto,
    pub storage: Arc<dyn Storage>,
    /// This node's nearest-station index, rebuilt when stations change.
    pub nearest: NearestCache,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> AppState {
        let storage = Arc::new(LocalDir::new(config.data_dir.join("attachments")));
        AppState {
            db,
            crypto: FieldCrypto::new(config.secrets.field_key),
            config: Arc::new(config),
            storage,
            nearest: NearestCache::default(),
        }
    }

    pub fn audit_key(&self) -> &[u8] {
        &self.config.secrets.audit_key
    }
}
