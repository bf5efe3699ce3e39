//! The installation's own names for 民意's text analysis (issue 16): its areas, stations and
//! handling units, which jieba's dictionary does not know (百尺河镇 would be 百尺 + 河镇). The
//! segmenter keeps them whole (`nlp::segment::Lexicon`) in the search text written at intake and
//! in the hot words of the statistics.
//!
//! Kept per node while the `names` change counter stands still: triggers (`m0035`) move it when
//! an area, a station or a unit is added, removed or renamed, by whatever path, so a station
//! added a minute ago is a word at the next request on every node.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr};

use crate::app::state::AppState;
use crate::base::cache::VersionedCache;
use crate::db;
use crate::nlp::segment::Lexicon;

/// Names read from each table at most (the lexicon stays a few megabytes at any size).
const MAX_NAMES: i64 = 200_000;

/// Endings of an area's name that people often leave out (百尺河镇 → 百尺河, 诸城市 → 诸城).
const AREA_ENDINGS: [&str; 9] = ["街道办事处", "街道", "社区", "市", "县", "区", "镇", "乡", "村"];

/// The per-node lexicon (in `AppState::ext`).
pub struct Kept(VersionedCache<(), Lexicon>);

impl Default for Kept {
    fn default() -> Self {
        Kept(VersionedCache::new(Duration::from_secs(24 * 3600), 1))
    }
}

/// Where the `names` change counter stands.
pub async fn version<C: ConnectionTrait>(c: &C) -> Result<i64, DbErr> {
    db::scalar_i64(c, "SELECT COALESCE(max(value), 0) FROM change_counters WHERE name = 'names'", vec![]).await
}

/// The lexicon as the database holds it now (read once per change of the names, per node).
pub async fn current(s: &AppState) -> Result<Arc<Lexicon>, DbErr> {
    let version = version(&s.db).await?;
    s.ext.get_or_default::<Kept>().0.get_or_load((), version, || load(&s.db)).await
}

/// Reads the names and builds the lexicon (uncached: the demo and the tests; pages use
/// [`current`]).
pub async fn load<C: ConnectionTrait>(c: &C) -> Result<Lexicon, DbErr> {
    let mut names: Vec<String> = Vec::new();
    let read = |sql: &'static str| async move {
        db::query_rows(c, sql, vec![MAX_NAMES.into()])
            .await
            .map(|rows| rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect::<Vec<_>>())
    };
    for area in read("SELECT name FROM areas ORDER BY id LIMIT $1").await? {
        if let Some(short) = AREA_ENDINGS.iter().find_map(|e| area.strip_suffix(e)).filter(|s| s.chars().count() >= 2) {
            names.push(short.to_string());
        }
        names.push(area);
    }
    names.extend(read("SELECT name FROM stations ORDER BY id LIMIT $1").await?);
    names.extend(read("SELECT name FROM handling_units ORDER BY id LIMIT $1").await?);
    Ok(Lexicon::new(names))
}
