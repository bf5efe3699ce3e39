//! What the system proposes at triage (OPN-5, PLAT-13): a category, a handling unit and likely
//! duplicates for an opinion, learned from the organ's own past triage decisions — the
//! categories staff confirmed and the units they made 主办 — with the shared text service
//! (`crate::nlp`). Staff accept or change; nothing is applied by itself.
//!
//! Models are per organ subtree, trained off the async threads and kept per node for a few
//! minutes (a new decision shows in the next model). Duplicates do not wait for the next
//! model: the opinions that arrived after it was built (the newest [`LATE_LIMIT`] of them) are
//! read and compared on every call, so an opinion sent again a minute later is found at once.
//!
//! A subtree with too few decisions of its own to learn from (a township's, typically:
//! [`Model::is_useful`]) takes its category and unit proposals from the nearest organ above
//! that has enough; its duplicates still come from its own subtree only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::model::Opinion;
use crate::app::error::AppResult;
use crate::app::state::AppState;
use crate::db;
use crate::nlp::classify::Model;
use crate::nlp::dedup::NearIndex;

/// What the system proposes at triage (PLAT-13).
#[derive(Serialize, schemars::JsonSchema, Default, Clone, Debug)]
pub struct Suggestions {
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    /// Likely duplicates (opinion ids).
    pub duplicates: Vec<i64>,
}

/// Past decisions a model learns from (the most recent).
const TRAINING_LIMIT: i64 = 20_000;
/// Recent opinions searched for duplicates.
const DUPLICATE_WINDOW: i64 = 5_000;
/// How similar a text must be to count as a likely duplicate (measured in `nlp::dedup`).
const DUPLICATE_THRESHOLD: f32 = crate::nlp::dedup::DEFAULT_THRESHOLD;
/// Opinions newer than a cached model that are compared directly (the newest of them).
pub const LATE_LIMIT: i64 = 500;
/// A suggestion below this score is not shown.
const MIN_SCORE: f32 = 0.3;
const FRESH_FOR: Duration = Duration::from_secs(300);

/// The models of one organ subtree.
pub struct Models {
    pub category: Option<Model>,
    pub unit: Option<Model>,
    pub near: NearIndex,
    pub examples: usize,
    /// The highest opinion id in `near`: newer ones are read at each call.
    pub newest_id: i64,
}

/// Per node: models by organ path, with the time they were built.
#[derive(Default)]
pub struct Cache {
    by_organ: Mutex<HashMap<String, (Instant, Arc<Models>)>>,
}

fn text_of(title: &str, content: &str) -> String {
    format!("{title}。{content}")
}

/// Builds (or reuses) the models of the organ subtree at `organ_path`.
pub async fn models(s: &AppState, organ_path: &str) -> AppResult<Arc<Models>> {
    let cache = s.ext.get_or_default::<Cache>();
    if let Some((at, m)) = cache.by_organ.lock().unwrap_or_else(|e| e.into_inner()).get(organ_path)
        && at.elapsed() < FRESH_FOR
    {
        return Ok(m.clone());
    }
    let like = format!("{}%", db::like_escape(organ_path));
    let rows = db::query_rows(
        &s.db,
        "SELECT op.title, op.content, op.category FROM opinions op JOIN organs o ON o.id = op.organ_id \
         JOIN handling_items i ON i.id = op.item_id \
         WHERE o.path LIKE $1 AND op.category <> '' AND i.state NOT IN ('held', 'received') \
         ORDER BY op.id DESC LIMIT $2",
        vec![like.clone().into(), TRAINING_LIMIT.into()],
    )
    .await?;
    let categories: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                text_of(&r.try_get_by_index::<String>(0).ok()?, &r.try_get_by_index::<String>(1).ok()?),
                r.try_get_by_index::<String>(2).ok()?,
            ))
        })
        .collect();
    let rows = db::query_rows(
        &s.db,
        "SELECT op.title, op.content, a.unit_id FROM opinions op JOIN organs o ON o.id = op.organ_id \
         JOIN handling_assignments a ON a.item_id = op.item_id \
         WHERE o.path LIKE $1 AND a.role = 'lead' AND a.round = 1 \
         AND a.state NOT IN ('returned', 'withdrawn', 'reassigned') \
         ORDER BY op.id DESC LIMIT $2",
        vec![like.clone().into(), TRAINING_LIMIT.into()],
    )
    .await?;
    let units: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                text_of(&r.try_get_by_index::<String>(0).ok()?, &r.try_get_by_index::<String>(1).ok()?),
                r.try_get_by_index::<i64>(2).ok()?.to_string(),
            ))
        })
        .collect();
    let rows = db::query_rows(
        &s.db,
        "SELECT op.id, op.title, op.content FROM opinions op JOIN organs o ON o.id = op.organ_id \
         WHERE o.path LIKE $1 ORDER BY op.id DESC LIMIT $2",
        vec![like.into(), DUPLICATE_WINDOW.into()],
    )
    .await?;
    let recent = id_texts(&rows);
    let newest_id = recent.iter().map(|(id, _)| *id).max().unwrap_or(0);
    let built = tokio::task::spawn_blocking(move || {
        let train = |ex: &[(String, String)]| {
            let pairs: Vec<(&str, &str)> = ex.iter().map(|(t, l)| (t.as_str(), l.as_str())).collect();
            Some(Model::train(&pairs)).filter(Model::is_useful)
        };
        let mut near = NearIndex::new();
        for (id, text) in &recent {
            near.insert(*id, text);
        }
        Models { category: train(&categories), unit: train(&units), near, examples: categories.len(), newest_id }
    })
    .await
    .map_err(|e| crate::app::error::AppError::Internal(format!("suggest: {e}")))?;
    let built = Arc::new(built);
    cache
        .by_organ
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(organ_path.to_string(), (Instant::now(), built.clone()));
    Ok(built)
}

/// The suggestions for one opinion, from the models of its organ.
pub async fn for_opinion(s: &AppState, o: &Opinion) -> AppResult<Suggestions> {
    let m = models(s, &o.organ_path).await?;
    let text = text_of(&o.title, &o.content);
    // A township's own decisions are often too few to learn from: then the nearest organ
    // above with enough decisions in its subtree (which holds this one's) proposes.
    let (mut category_model, mut unit_model) = (m.clone(), m.clone());
    for path in ancestors(&o.organ_path) {
        if category_model.category.is_some() && unit_model.unit.is_some() {
            break;
        }
        let above = models(s, &path).await?;
        if category_model.category.is_none() && above.category.is_some() {
            category_model = above.clone();
        }
        if unit_model.unit.is_none() && above.unit.is_some() {
            unit_model = above;
        }
    }
    let top = |model: &Option<Model>| {
        model.as_ref().and_then(|m| m.predict(&text).into_iter().next()).filter(|(_, score)| *score >= MIN_SCORE)
    };
    let category = top(&category_model.category).map(|(label, _)| label);
    let unit_id = top(&unit_model.unit).and_then(|(label, _)| label.parse::<i64>().ok());
    let mut found = m.near.query(&text, DUPLICATE_THRESHOLD, 6);
    found.extend(late_duplicates(s, &o.organ_path, m.newest_id, &text).await?);
    found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    found.dedup_by_key(|(id, _)| *id);
    let duplicates =
        found.into_iter().map(|(id, _)| id).filter(|id| *id != o.id && o.merged_into_id != Some(*id)).take(5).collect();
    Ok(Suggestions { category, unit_id, duplicates })
}

/// The paths of the organs above `path` (`/1/5/7/` gives `/1/5/`, `/1/`), nearest first.
fn ancestors(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
    (1..parts.len()).rev().map(|n| format!("/{}/", parts[..n].join("/"))).collect()
}

/// The likely duplicates among the opinions of the subtree that arrived after the cached
/// index was built (id above `after`, the newest [`LATE_LIMIT`]), scored like the index's.
async fn late_duplicates(s: &AppState, organ_path: &str, after: i64, text: &str) -> AppResult<Vec<(i64, f32)>> {
    let rows = db::query_rows(
        &s.db,
        "SELECT op.id, op.title, op.content FROM opinions op JOIN organs o ON o.id = op.organ_id \
         WHERE o.path LIKE $1 AND op.id > $2 ORDER BY op.id DESC LIMIT $3",
        vec![format!("{}%", db::like_escape(organ_path)).into(), after.into(), LATE_LIMIT.into()],
    )
    .await?;
    let late = id_texts(&rows);
    Ok(crate::nlp::dedup::scan(text, late.iter().map(|(id, t)| (*id, t.as_str())), DUPLICATE_THRESHOLD, 6))
}

/// (id, title and content) of rows `SELECT op.id, op.title, op.content …`.
fn id_texts(rows: &[sea_orm::QueryResult]) -> Vec<(i64, String)> {
    rows.iter()
        .filter_map(|r| {
            Some((
                r.try_get_by_index::<i64>(0).ok()?,
                text_of(&r.try_get_by_index::<String>(1).ok()?, &r.try_get_by_index::<String>(2).ok()?),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ancestors_nearest_first() {
        assert_eq!(super::ancestors("/1/5/7/"), ["/1/5/", "/1/"]);
        assert!(super::ancestors("/1/").is_empty());
        assert!(super::ancestors("").is_empty());
    }
}
