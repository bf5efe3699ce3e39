//! What the staff list and the statistics keep per node (issue 15 at a million): the list's
//! totals and the statistics of each reach and period, held while the `suggestions` change
//! counter stands still. Triggers (`m0031`) move the counter with every write to a suggestion
//! or to anything its figures are made of, on whichever node it happens, so a kept figure is
//! always the figure a fresh count would give: one read of the counter per request instead of
//! a count over every suggestion the reach sees (a million at the root: seconds).

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr};

use super::model::{self, Filter};
use crate::app::state::AppState;
use crate::base::cache::VersionedCache;
use crate::db;
use crate::handling::read::Scope;

/// The per-node store of list totals (in `AppState::ext`).
pub struct Kept {
    totals: VersionedCache<String, i64>,
}

impl Default for Kept {
    fn default() -> Self {
        Kept { totals: VersionedCache::new(Duration::from_secs(600), 4096) }
    }
}

/// The per-node store of figures of one type (the statistics), in `AppState::ext`: generic so
/// that this file needs nothing of the statistics that use it.
pub struct KeptFigures<T>(VersionedCache<String, T>);

impl<T> Default for KeptFigures<T> {
    fn default() -> Self {
        KeptFigures(VersionedCache::new(Duration::from_secs(600), 256))
    }
}

/// Where the `suggestions` change counter stands.
pub async fn version<C: ConnectionTrait>(c: &C) -> Result<i64, DbErr> {
    db::scalar_i64(c, "SELECT value FROM change_counters WHERE name = 'suggestions'", vec![]).await
}

/// How many suggestions the list of `f` holds for `scope`. The 超期 filter depends on the
/// clock as well as on the data: it is counted every time (it matches few).
pub async fn total(s: &AppState, scope: &Scope, f: &Filter, now: i64) -> Result<i64, DbErr> {
    if f.handling.overdue {
        return model::count(&s.db, scope, f, now).await;
    }
    let version = version(&s.db).await?;
    let kept = s.ext.get_or_default::<Kept>();
    let n = kept.totals.get_or_load(format!("{scope:?}|{f:?}"), version, || model::count(&s.db, scope, f, now)).await?;
    Ok(*n)
}

/// The statistics under `key` (the reach and the period), computed by `load` when the counter
/// moved since they were kept.
pub async fn stats<T, F, Fut>(s: &AppState, key: String, load: F) -> crate::app::error::AppResult<Arc<T>>
where
    T: Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = crate::app::error::AppResult<T>>,
{
    let version = version(&s.db).await?;
    s.ext.get_or_default::<KeptFigures<T>>().0.get_or_load(key, version, load).await
}
