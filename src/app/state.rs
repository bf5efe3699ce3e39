use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::app::cache::TtlCache;
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
    /// Rarely changing data every public request reads.
    pub public: Arc<PublicCache>,
}

/// What public pages read on every request, kept for a few seconds per node.
pub struct PublicCache {
    /// The default organ (short public addresses), and organs by code (`/o/{code}`).
    pub organs: TtlCache<String, Option<crate::org::Organ>>,
    /// Organs by id (a record's organ, for its public address).
    pub organs_by_id: TtlCache<i64, Option<crate::org::Organ>>,
    /// Station type id → code.
    pub station_types: TtlCache<(), Vec<crate::registry::stations::StationType>>,
    /// Per organ path: the townships for the picker and the common expertise tags.
    pub find_options: TtlCache<String, (Vec<crate::org::Area>, Vec<String>)>,
}

impl Default for PublicCache {
    fn default() -> Self {
        PublicCache {
            organs: TtlCache::new(Duration::from_secs(10), 1024),
            organs_by_id: TtlCache::new(Duration::from_secs(10), 65_536),
            station_types: TtlCache::new(Duration::from_secs(60), 1),
            find_options: TtlCache::new(Duration::from_secs(300), 1024),
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
            nearest: NearestCache::default(),
            public: Arc::default(),
        }
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

    /// Station types, in their display order.
    pub async fn station_types(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Arc<Vec<crate::registry::stations::StationType>>, sea_orm::DbErr> {
        self.station_types.get_or_load((), || crate::registry::stations::types(db)).await
    }
}
