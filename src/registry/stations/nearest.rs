//! The per-node nearest-station index (REG-14), rebuilt when the stations' change counter moved.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr};

use crate::db;
use crate::registry::geo::{NearestIndex, StationPoint};

/// Each node's in-memory nearest-station index. It is rebuilt when the `stations` change
/// counter moved; the counter is read at most once per `CHECK_EVERY`, so a node sees another
/// node's station edits within seconds and its own at once (writers call `invalidate`).
#[derive(Clone, Default)]
pub struct NearestCache {
    inner: Arc<RwLock<CacheState>>,
    /// One rebuild at a time: concurrent requests wait for it instead of each loading every
    /// station (a burst of requests at start-up would otherwise multiply time and memory).
    rebuild: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct CacheState {
    index: Arc<NearestIndex>,
    version: Option<i64>,
    checked: Option<Instant>,
}

const CHECK_EVERY: Duration = Duration::from_secs(5);

impl NearestCache {
    pub fn invalidate(&self) {
        if let Ok(mut s) = self.inner.write() {
            s.checked = None;
        }
    }

    /// The current index, rebuilt first if stations changed.
    pub async fn get<C: ConnectionTrait>(&self, c: &C) -> Result<Arc<NearestIndex>, DbErr> {
        {
            let s = self.inner.read().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
            if s.version.is_some() && s.checked.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
                return Ok(s.index.clone());
            }
        }
        let _one_rebuild = self.rebuild.lock().await;
        {
            // Another request may have checked (or rebuilt) while this one waited.
            let s = self.inner.read().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
            if s.version.is_some() && s.checked.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
                return Ok(s.index.clone());
            }
        }
        let version = db::scalar_i64(c, "SELECT value FROM change_counters WHERE name = 'stations'", vec![]).await?;
        {
            let mut s = self.inner.write().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
            // Current already, or just rebuilt by the request this one waited for.
            if s.version == Some(version) {
                s.checked = Some(Instant::now());
                return Ok(s.index.clone());
            }
        }
        let rows =
            db::query_rows(c, "SELECT id, lat, lng FROM stations WHERE lat IS NOT NULL AND lng IS NOT NULL", vec![])
                .await?;
        let mut points = Vec::with_capacity(rows.len());
        for r in rows {
            points.push(StationPoint {
                id: r.try_get_by_index(0)?,
                lat: r.try_get_by_index(1)?,
                lng: r.try_get_by_index(2)?,
            });
        }
        let index = Arc::new(NearestIndex::build(points));
        let mut s = self.inner.write().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
        *s = CacheState { index: index.clone(), version: Some(version), checked: Some(Instant::now()) };
        Ok(index)
    }
}
