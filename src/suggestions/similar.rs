//! The quality check's "same request as in earlier years" (SUG-2: 「连续5年」): suggestions of
//! earlier years of the same organ whose title, problem and measures are near the draft's by
//! the platform's near-duplicate finder (`nlp::dedup`: bigram Jaccard after filler words, with
//! MinHash + LSH candidates; without its place rule, which misreads the clauses of a text
//! paragraphs long), each with its year, number and score, and how many years in a
//! row the request was made.
//!
//! At scale the texts are not read on each page view: each node keeps, per organ, a
//! [`NearIndex`] of the organ's handed-in suggestions of the last [`WINDOW_YEARS`] years (the
//! newest [`INDEX_LIMIT`]), built off the async threads and rebuilt after [`FRESH_FOR`]. A
//! view reads only what arrived after the index was built (ids above its newest, at most
//! [`LATE_LIMIT`], compared directly; more than that rebuilds the index at once) and then the
//! rows of the few candidates found, so a carried-over or moved suggestion is judged by its
//! row as it is now. Drafts are never indexed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::model::Suggestion;
use super::service::{Quality, Similar, flags};
use crate::app::error::{AppError, AppResult};
use crate::app::state::AppState;
use crate::db;
use crate::nlp::dedup::{self, NearIndex};

/// Earlier years looked at (「连续5年」 needs five; ten leave room).
pub const WINDOW_YEARS: i64 = 10;
/// Suggestions of one organ held in its index (the newest).
pub const INDEX_LIMIT: i64 = 50_000;
/// Suggestions newer than the index compared directly; more rebuild the index.
pub const LATE_LIMIT: i64 = 300;
/// How similar two suggestions must be to make the same request. Lower than the opinions'
/// 0.5: a suggestion is paragraphs long and a rewording of it keeps fewer bigrams. Measured on
/// the texts of `tests/it/suggestions/quality.rs` (a small set, read it as a check): three
/// rewordings of one request 0.33–0.39, requests of another matter 0.02–0.03.
pub const THRESHOLD: f32 = 0.25;
const SHOWN: usize = 10;
const FRESH_FOR: Duration = Duration::from_secs(600);

struct Earlier {
    near: NearIndex,
    /// The highest suggestion id in `near`: newer ones are read at each call.
    newest_id: i64,
}

/// Per node: each organ's index, with the time it was built.
#[derive(Default)]
pub struct Cache {
    by_organ: Mutex<HashMap<i64, (Instant, Arc<Earlier>)>>,
}

/// The text compared: title, problem and measures (the analysis says why, not what is asked).
pub fn text_of(title: &str, problem: &str, measures: &str) -> String {
    format!("{title}。{problem}。{measures}")
}

const HANDED_IN: &str = "stage NOT IN ('draft', 'cosigning')";

fn id_texts(rows: &[sea_orm::QueryResult]) -> Vec<(i64, String)> {
    rows.iter()
        .filter_map(|r| {
            Some((
                r.try_get_by_index::<i64>(0).ok()?,
                text_of(
                    &r.try_get_by_index::<String>(1).ok()?,
                    &r.try_get_by_index::<String>(2).ok()?,
                    &r.try_get_by_index::<String>(3).ok()?,
                ),
            ))
        })
        .collect()
}

async fn build(s: &AppState, organ: i64, from_year: i64) -> AppResult<Arc<Earlier>> {
    let rows = db::query_rows(
        &s.db,
        &format!(
            "SELECT id, title, problem, measures FROM suggestions WHERE organ_id = $1 AND year >= $2 AND {HANDED_IN} \
             ORDER BY id DESC LIMIT $3"
        ),
        vec![organ.into(), from_year.into(), INDEX_LIMIT.into()],
    )
    .await?;
    let texts = id_texts(&rows);
    let newest_id = texts.iter().map(|(id, _)| *id).max().unwrap_or(0);
    let near = tokio::task::spawn_blocking(move || {
        let mut near = NearIndex::new();
        for (id, text) in &texts {
            near.insert_fingerprint(*id, dedup::fingerprint_document(text));
        }
        near
    })
    .await
    .map_err(|e| AppError::Internal(format!("similar: {e}")))?;
    let built = Arc::new(Earlier { near, newest_id });
    let cache = s.ext.get_or_default::<Cache>();
    cache.by_organ.lock().unwrap_or_else(|e| e.into_inner()).insert(organ, (Instant::now(), built.clone()));
    Ok(built)
}

async fn index(s: &AppState, organ: i64, from_year: i64) -> AppResult<Arc<Earlier>> {
    let cache = s.ext.get_or_default::<Cache>();
    let cached = cache.by_organ.lock().unwrap_or_else(|e| e.into_inner()).get(&organ).cloned();
    match cached {
        Some((at, m)) if at.elapsed() < FRESH_FOR => Ok(m),
        _ => build(s, organ, from_year).await,
    }
}

/// The ids (with their scores) of the organ's handed-in suggestions near `text`: from the
/// index, and from those that arrived after it.
async fn candidates(s: &AppState, organ: i64, from_year: i64, text: &str) -> AppResult<Vec<(i64, f32)>> {
    let mut m = index(s, organ, from_year).await?;
    // The rows after the index by the primary key (few), not by the organ's index (all of its
    // years): `+organ_id` keeps SQLite's planner off `ix_suggestions_organ_year`.
    let late_sql = format!(
        "SELECT id, title, problem, measures FROM suggestions WHERE id > $2 AND +organ_id = $1 AND year >= $3 \
         AND {HANDED_IN} ORDER BY id DESC LIMIT $4"
    );
    let mut late = db::query_rows(
        &s.db,
        &late_sql,
        vec![organ.into(), m.newest_id.into(), from_year.into(), (LATE_LIMIT + 1).into()],
    )
    .await?;
    if late.len() as i64 > LATE_LIMIT {
        m = build(s, organ, from_year).await?;
        late = db::query_rows(
            &s.db,
            &late_sql,
            vec![organ.into(), m.newest_id.into(), from_year.into(), (LATE_LIMIT + 1).into()],
        )
        .await?;
    }
    let late = id_texts(&late);
    let text = text.to_string();
    let m2 = m.clone();
    tokio::task::spawn_blocking(move || {
        let fp = dedup::fingerprint_document(&text);
        let mut found = m2.near.query_fingerprint(&fp, THRESHOLD, 200);
        for (id, other) in &late {
            let score = dedup::similarity(&fp, &dedup::fingerprint_document(other));
            if score >= THRESHOLD {
                found.push((*id, score));
            }
        }
        found
    })
    .await
    .map_err(|e| AppError::Internal(format!("similar: {e}")))
}

/// The quality check of a suggestion (SUG-2): its missing elements, the suggestions of earlier
/// years of its organ making the same request, and how many years in a row it was made.
pub async fn quality(s: &AppState, sg: &Suggestion) -> AppResult<Quality> {
    let mut q = Quality { flags: flags(sg), ..Quality::default() };
    let text = text_of(&sg.title, &sg.problem, &sg.measures);
    let from_year = sg.year - WINDOW_YEARS;
    let mut found = candidates(s, sg.organ_id, from_year, &text).await?;
    found.retain(|(id, _)| *id != sg.id);
    if found.is_empty() {
        return Ok(q);
    }
    let score: HashMap<i64, f32> = found.iter().copied().collect();
    let ids: Vec<String> = score.keys().map(i64::to_string).collect();
    // The candidates' rows as they are now: still this organ's, of an earlier year, handed in.
    let rows = db::query_rows(
        &s.db,
        &format!(
            "SELECT sg.id, sg.year, sg.number, ss.name, sg.title FROM suggestions sg \
             JOIN suggestion_sessions ss ON ss.id = sg.session_id \
             WHERE sg.id IN ({}) AND sg.organ_id = $1 AND sg.year < $2 AND sg.year >= $3 AND sg.{HANDED_IN}",
            ids.join(", ")
        ),
        vec![sg.organ_id.into(), sg.year.into(), from_year.into()],
    )
    .await?;
    for r in rows {
        let (id, number, name): (i64, Option<i64>, String) =
            (r.try_get_by_index(0)?, r.try_get_by_index(2)?, r.try_get_by_index(3)?);
        q.similar.push(Similar {
            id,
            year: r.try_get_by_index(1)?,
            number,
            number_label: number.map(|n| format!("{name}第{n}号")).unwrap_or_else(|| "未编号".into()),
            title: r.try_get_by_index(4)?,
            score: (score.get(&id).copied().unwrap_or(0.0) * 1000.0).round() as i64,
        });
    }
    q.consecutive_years = consecutive(sg.year, q.similar.iter().map(|x| x.year));
    q.similar.sort_by(|a, b| b.score.cmp(&a.score).then(b.year.cmp(&a.year)).then(a.id.cmp(&b.id)));
    q.similar.truncate(SHOWN);
    Ok(q)
}

/// The years in a row ending with `year` (included) in which the request was made, given the
/// earlier years it was made in; 0 when it was not made the year before.
pub fn consecutive(year: i64, earlier: impl IntoIterator<Item = i64>) -> i64 {
    let years: std::collections::HashSet<i64> = earlier.into_iter().collect();
    let run = (1..).take_while(|k| years.contains(&(year - k))).count() as i64;
    if run == 0 { 0 } else { run + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_in_a_row() {
        assert_eq!(consecutive(2026, []), 0);
        assert_eq!(consecutive(2026, [2024, 2023]), 0, "not made last year");
        assert_eq!(consecutive(2026, [2025]), 2);
        assert_eq!(consecutive(2026, [2025, 2025, 2024, 2023, 2022, 2020]), 5);
    }
}
