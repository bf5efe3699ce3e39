use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::app::cache::TtlCache;
use crate::app::config::Config;
use crate::app::module::{Extensions, Module, Modules};
use crate::privacy::FieldCrypto;
use crate::storage::{LocalDir, Storage};

/// Shared by every request; nothing here is node-local state that another node would miss.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub crypto: FieldCrypto,
    pub storage: Arc<dyn Storage>,
    /// Rarely changing data every public request reads.
    pub public: Arc<PublicCache>,
    /// The domains of this installation (`crate::modules` puts them here).
    pub modules: Modules,
    /// Per-node state the modules keep (caches, indexes).
    pub ext: Arc<Extensions>,
}

/// What public pages read on every request, kept for a few seconds per node.
pub struct PublicCache {
    /// The default organ (short public addresses), and organs by code (`/o/{code}`).
    pub organs: TtlCache<String, Option<crate::org::Organ>>,
    /// Organs by id (a record's organ, for its public address).
    pub organs_by_id: TtlCache<i64, Option<crate::org::Organ>>,
}

impl Default for PublicCache {
    fn default() -> Self {
        PublicCache {
            organs: TtlCache::new(Duration::from_secs(10), 1024),
            organs_by_id: TtlCache::new(Duration::from_secs(10), 65_536),
        }
    }
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> AppState {
        let storage = Arc::new(LocalDir::new(config.data_dir.join("attachments")));
        AppState {
            db,
            crypto: FieldCrypto::new(config.secrets.field_key),
            config: Arc::new(config),
            storage,
            public: Arc::default(),
            modules: Modules(&[]),
            ext: Arc::default(),
        }
    }

    /// The same state serving these modules.
    pub fn with_modules(mut self, modules: &'static [&'static Module]) -> AppState {
        self.modules = Modules(modules);
        self
    }

    pub fn audit_key(&self) -> &[u8] {
        &self.config.secrets.audit_key
    }
}

impl PublicCache {
    /// The organ of a public address: `None` → the default organ, `Some(code)` → that organ.
    pub async fn organ(
        &self,
        db: &DatabaseConnection,
        code: Option<&str>,
    ) -> Result<Option<crate::org::Organ>, sea_orm::DbErr> {
        let key = code.unwrap_or("").to_string();
        let found = self
            .organs
            .get_or_load(key, || async {
                match code {
                    None => crate::org::default_organ(db).await,
                    Some(c) => crate::org::organ_by_code(db, c).await,
                }
            })
            .await?;
        Ok((*found).clone())
    }

    pub async fn organ_by_id(
        &self,
        db: &DatabaseConnection,
        id: i64,
    ) -> Result<Option<crate::org::Organ>, sea_orm::DbErr> {
        Ok((*self.organs_by_id.get_or_load(id, || crate::org::organ(db, id)).await?).clone())
    }
}
