//! Issue 21, words stored at intake (PLAT-21): an opinion's words are segmented once, when it is
//! written, and kept — `opinions.words`, the words its hot words count
//! ([`crate::nlp::keywords::text_words`]: the installation's names whole, function words left
//! out, each once) — and counted in the same transaction: per organ and Beijing day
//! (`opinion_word_days`, the opinion's own organ) and per organ **subtree** and Beijing month
//! (`opinion_word_months`, the opinion's organ and every organ above it). The document frequency
//! of a word over a period and a subtree is then a sum over count rows, never over texts:
//! [`hot_words`] takes the period's whole months from one organ's month rows and the days at its
//! ends from the day rows of the subtree's organs.
//!
//! Texts are never changed or removed today (the privacy purge clears the name and phone, not
//! the text; no retention job deletes opinions; merging keeps both rows); [`restate`] and
//! [`forget`] keep the counts true for the day one is, and the tests hold them to it. Stored
//! words keep the segmentation of the day they were written: a station added later is a whole
//! word in the texts written after it (as in the search text).
//!
//! Rows written before the words were kept are segmented by the one-off job
//! `opinion-words-backfill` (enqueued by migration `m0046`, runnable by `renda jobs run`). When
//! the installation's names change (a station, a unit, an area added or renamed: the `names`
//! change counter moves), the daily job `opinion-words-names` ([`renames`]) segments again the
//! texts that hold a name their stored words do not have whole, so that a unit added today is
//! one word in yesterday's texts too (by the next run of the job, or `renda jobs run`).

use std::collections::HashMap;

use chrono::Datelike;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use crate::app::state::AppState;
use crate::audit::{Actor, Change};
use crate::db;
use crate::nlp::keywords::{STORED_SEPARATOR, rank, stored_words};

/// The job that segments the opinions written before the words were kept.
pub const BACKFILL: &str = "opinion-words-backfill";
/// The daily job that segments again the texts holding a name added since they were written.
pub const NAMES: &str = "opinion-words-names";
/// The `change_counters` row that holds the `names` version [`renames`] last went through.
const NAMES_DONE: &str = "opinion_words_names";
/// Opinions segmented per transaction of the backfill.
const BACKFILL_BATCH: i64 = 2_000;
/// Count rows per statement (each row four values in one JSON parameter).
const ROWS_PER_STATEMENT: usize = 20_000;

const DAY_SECS: i64 = 86_400;
const BEIJING: i64 = 8 * 3_600;
/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01.
const EPOCH_DAYS_CE: i64 = 719_163;

/// The Beijing day of a Unix time: days since 1970-01-01 in UTC+8.
pub fn day_of(ts: i64) -> i64 {
    (ts + BEIJING).div_euclid(DAY_SECS)
}

fn date_of_day(day: i64) -> chrono::NaiveDate {
    i32::try_from(day + EPOCH_DAYS_CE)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(chrono::NaiveDate::MIN)
}

fn day_of_date(d: chrono::NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - EPOCH_DAYS_CE
}

/// The month (`YYYYMM`) of a Beijing day.
pub fn month_of_day(day: i64) -> i64 {
    let d = date_of_day(day);
    i64::from(d.year()) * 100 + i64::from(d.month())
}

/// The first day of a month (`YYYYMM`).
fn month_start_day(month: i64) -> i64 {
    chrono::NaiveDate::from_ymd_opt((month / 100) as i32, (month % 100) as u32, 1).map_or(0, day_of_date)
}

fn next_month(month: i64) -> i64 {
    if month % 100 >= 12 { (month / 100 + 1) * 100 + 1 } else { month + 1 }
}

/// The organs whose subtree holds an organ of this path: itself and each above it
/// (`/1/5/23/` gives 1, 5, 23; an external organ's `/x7/` gives 7). Paths never change once an
/// organ is made (`org::create_organ`), so a text counted under them stays counted right.
pub fn path_organs(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|s| s.trim_start_matches('x').parse::<i64>().ok()).collect()
}

/// Counts to add (or, negative, to take away): `(organ, day, word)` and `(organ, month, word)`.
#[derive(Debug, Default)]
pub struct Counts {
    pub days: HashMap<(i64, i64, String), i64>,
    pub months: HashMap<(i64, i64, String), i64>,
}

impl Counts {
    /// One text of `organ_path`'s organ, written at `at`, with these stored words, counted
    /// `delta` times (1 to add, -1 to take away).
    pub fn text(&mut self, organ_id: i64, organ_path: &str, at: i64, stored: &str, delta: i64) {
        let day = day_of(at);
        let month = month_of_day(day);
        let mut organs = path_organs(organ_path);
        if !organs.contains(&organ_id) {
            organs.push(organ_id);
        }
        let mut seen: Vec<&str> = stored.split(STORED_SEPARATOR).filter(|w| !w.is_empty()).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *self.days.entry((organ_id, day, w.to_string())).or_insert(0) += delta;
            for o in &organs {
                *self.months.entry((*o, month, w.to_string())).or_insert(0) += delta;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.months.is_empty()
    }

    /// Takes out the counts of days before `day` and of months before `day`'s month (the
    /// generator writes them once they can no longer grow).
    pub fn take_before(&mut self, day: i64) -> Counts {
        let month = month_of_day(day);
        // Taken out of the maps in place: the counts kept are not copied into new maps at
        // every block (the generator calls this once a block).
        let days = self.days.extract_if(|k, _| k.1 < day).collect();
        let months = self.months.extract_if(|k, _| k.1 < month).collect();
        Counts { days, months }
    }

    /// Adds the counts to the tables, in the caller's transaction; rows that fall to 0 go.
    pub async fn write<C: ConnectionTrait>(self, c: &C) -> Result<(), DbErr> {
        let shrinks = self.days.values().chain(self.months.values()).any(|d| *d < 0);
        for (table, period, rows) in
            [("opinion_word_days", "day", self.days), ("opinion_word_months", "month", self.months)]
        {
            let rows: Vec<((i64, i64, String), i64)> = rows.into_iter().filter(|(_, d)| *d != 0).collect();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                add_rows(c, table, period, chunk).await?;
            }
            if shrinks {
                let mut keys: Vec<(i64, i64)> =
                    rows.iter().filter(|(_, d)| *d < 0).map(|((o, p, _), _)| (*o, *p)).collect();
                keys.sort_unstable();
                keys.dedup();
                for (o, p) in keys {
                    db::exec(
                        c,
                        &format!("DELETE FROM {table} WHERE organ_id = $1 AND {period} = $2 AND texts <= 0"),
                        vec![o.into(), p.into()],
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}

/// One statement: the rows go as one JSON parameter (`[[organ, period, word, delta], …]`), so
/// a text's thirty words and their organs are one round trip, not a hundred.
async fn add_rows<C: ConnectionTrait>(
    c: &C,
    table: &str,
    period: &str,
    rows: &[((i64, i64, String), i64)],
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let json = serde_json::Value::Array(rows.iter().map(|((o, p, w), d)| serde_json::json!([o, p, w, d])).collect())
        .to_string();
    let source = match c.get_database_backend() {
        DbBackend::Postgres => "SELECT (e->>0)::bigint, (e->>1)::bigint, e->>2, (e->>3)::bigint \
             FROM json_array_elements($1::json) AS e"
            .to_string(),
        // `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
        // `->>` with an index, not a `$[0]` path: `db::stmt` turns every `$` into `?`.
        _ => "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each($1) WHERE true".to_string(),
    };
    db::exec(
        c,
        &format!(
            "INSERT INTO {table} (organ_id, {period}, word, texts) {source} \
             ON CONFLICT (organ_id, {period}, word) DO UPDATE SET texts = {table}.texts + excluded.texts"
        ),
        vec![json.into()],
    )
    .await?;
    Ok(())
}

async fn organ_path<C: ConnectionTrait>(c: &C, organ_id: i64) -> Result<String, DbErr> {
    Ok(db::query_rows(c, "SELECT path FROM organs WHERE id = $1", vec![organ_id.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default())
}

/// Counts an opinion's stored words (already in its row: intake writes them with it), in the
/// caller's write transaction.
pub async fn count_new<C: ConnectionTrait>(c: &C, organ_id: i64, created_at: i64, stored: &str) -> Result<(), DbErr> {
    if stored.is_empty() {
        return Ok(());
    }
    let mut counts = Counts::default();
    counts.text(organ_id, &organ_path(c, organ_id).await?, created_at, stored, 1);
    counts.write(c).await
}

/// The stored words, organ and time of an opinion (`None` when there is no such opinion).
async fn stored_of<C: ConnectionTrait>(c: &C, opinion_id: i64) -> Result<Option<(Option<String>, i64, i64)>, DbErr> {
    let rows =
        db::query_rows(c, "SELECT words, organ_id, created_at FROM opinions WHERE id = $1", vec![opinion_id.into()])
            .await?;
    Ok(rows.first().and_then(|r| {
        Some((
            r.try_get_by_index::<Option<String>>(0).ok()?,
            r.try_get_by_index::<i64>(1).ok()?,
            r.try_get_by_index::<i64>(2).ok()?,
        ))
    }))
}

/// An opinion's text changed: its words are segmented again and stored, the old ones' counts
/// taken away and the new ones' added, in the caller's write transaction (with the text's own
/// update). Gives false when there is no such opinion.
pub async fn restate<C: ConnectionTrait>(
    c: &C,
    lexicon: &crate::nlp::segment::Lexicon,
    opinion_id: i64,
    title: &str,
    content: &str,
) -> Result<bool, DbErr> {
    let Some((old, organ_id, at)) = stored_of(c, opinion_id).await? else { return Ok(false) };
    let new = stored_words(lexicon, &format!("{title} {content}"));
    let path = organ_path(c, organ_id).await?;
    let mut counts = Counts::default();
    if let Some(old) = old.as_deref() {
        counts.text(organ_id, &path, at, old, -1);
    }
    counts.text(organ_id, &path, at, &new, 1);
    counts.write(c).await?;
    db::exec(c, "UPDATE opinions SET words = $1 WHERE id = $2", vec![new.into(), opinion_id.into()]).await?;
    Ok(true)
}

/// An opinion is about to be removed (or its text cleared): its words' counts are taken away
/// and its stored words cleared, in the caller's write transaction. Gives false when there is
/// no such opinion.
pub async fn forget<C: ConnectionTrait>(c: &C, opinion_id: i64) -> Result<bool, DbErr> {
    let Some((old, organ_id, at)) = stored_of(c, opinion_id).await? else { return Ok(false) };
    if let Some(old) = old.as_deref() {
        let mut counts = Counts::default();
        counts.text(organ_id, &organ_path(c, organ_id).await?, at, old, -1);
        counts.write(c).await?;
    }
    db::exec(c, "UPDATE opinions SET words = NULL WHERE id = $1", vec![opinion_id.into()]).await?;
    Ok(true)
}

/// Latest day counted (the `to` of an open period is cut here).
const LAST_DAY: i64 = 200_000;

/// The organs at the top of the subtree of path `$1` (a `LIKE` prefix): their month rows count
/// the whole subtree once.
pub const TOP_ORGANS: &str = "(SELECT o.id FROM organs o LEFT JOIN organs up ON up.id = o.parent_id \
     WHERE o.path LIKE $1 AND (up.id IS NULL OR up.path NOT LIKE $1))";
/// Every organ of the subtree of path `$1`: their day rows count the subtree.
pub const SUBTREE_ORGANS: &str = "(SELECT o.id FROM organs o WHERE o.path LIKE $1)";

/// A period split for the count tables: its whole months (`YYYYMM`, `from`..`to`) and the days
/// at its ends (each `from`..`to`, Beijing days).
#[derive(Debug, PartialEq, Eq)]
pub struct Spans {
    pub months: Option<(i64, i64)>,
    pub days: Vec<(i64, i64)>,
}

impl Spans {
    /// The spans of `from`..`to` (Unix times; a Beijing day is counted whole when its start is
    /// in the span); `None` for an empty period.
    pub fn of(from: i64, to: i64) -> Option<Spans> {
        let first = day_of(from.max(0) + DAY_SECS - 1).max(0);
        let end = day_of(to.min(LAST_DAY * DAY_SECS) + DAY_SECS - 1).min(LAST_DAY);
        if first >= end {
            return None;
        }
        let mut m = month_of_day(first);
        if month_start_day(m) < first {
            m = next_month(m);
        }
        let (m_first, mut m_end) = (m, m);
        while month_start_day(next_month(m_end)) <= end {
            m_end = next_month(m_end);
        }
        let (months, days) = if m_first < m_end {
            (Some((m_first, m_end)), vec![(first, month_start_day(m_first)), (month_start_day(m_end), end)])
        } else {
            (None, vec![(first, end)])
        };
        Some(Spans { months, days: days.into_iter().filter(|(a, b)| a < b).collect() })
    }
}

/// The `n` words in the most opinions of `organ_path`'s subtree written in `from`..`to` (Unix
/// times; a Beijing day is counted whole when its start is in the span), with in how many,
/// most first, ties by word — from the counts, whatever the period's size.
pub async fn hot_words<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    from: i64,
    to: i64,
    n: usize,
) -> Result<Vec<(String, usize)>, DbErr> {
    let Some(spans) = Spans::of(from, to) else { return Ok(Vec::new()) };
    let mut df: HashMap<String, i64> = HashMap::new();
    let like = format!("{}%", db::like_escape(organ_path));
    // PostgreSQL's sum of a bigint is a numeric: cast back above, and read strictly here.
    let add = |df: &mut HashMap<String, i64>, rows: Vec<sea_orm::QueryResult>| -> Result<(), DbErr> {
        for r in rows {
            *df.entry(r.try_get_by_index::<String>(0)?).or_insert(0) += r.try_get_by_index::<i64>(1)?;
        }
        Ok(())
    };
    // Whole months from the subtree's top organs' month rows.
    if let Some((m_first, m_end)) = spans.months {
        let rows = db::query_rows(
            c,
            &format!(
                "SELECT w.word, CAST(sum(w.texts) AS BIGINT) FROM opinion_word_months w WHERE w.organ_id IN {TOP_ORGANS} \
                 AND w.month >= $2 AND w.month < $3 GROUP BY w.word"
            ),
            vec![like.clone().into(), m_first.into(), m_end.into()],
        )
        .await?;
        add(&mut df, rows)?;
    }
    // The days at the ends from the day rows of each organ of the subtree.
    for (a, b) in spans.days {
        let rows = db::query_rows(
            c,
            &format!(
                "SELECT w.word, CAST(sum(w.texts) AS BIGINT) FROM opinion_word_days w WHERE w.organ_id IN {SUBTREE_ORGANS} \
                 AND w.day >= $2 AND w.day < $3 GROUP BY w.word"
            ),
            vec![like.clone().into(), a.into(), b.into()],
        )
        .await?;
        add(&mut df, rows)?;
    }
    Ok(rank(df.into_iter().filter(|(_, k)| *k > 0).map(|(w, k)| (w, k as usize)), n))
}

/// Segments the opinions that have no stored words yet (those written before `m0046`), in
/// batches, each batch one audited-path transaction; one audit entry for the run. Gives how
/// many were segmented.
pub async fn backfill(s: &AppState) -> Result<u64, DbErr> {
    let lexicon = super::lexicon::current(s).await?;
    let mut done = 0u64;
    let mut after = 0i64;
    loop {
        let rows = db::query_rows(
            &s.db,
            "SELECT op.id, op.organ_id, o.path, op.created_at, op.title, op.content FROM opinions op \
             JOIN organs o ON o.id = op.organ_id WHERE op.words IS NULL AND op.id > $1 ORDER BY op.id LIMIT $2",
            vec![after.into(), BACKFILL_BATCH.into()],
        )
        .await?;
        let Some(last) = rows.last().and_then(|r| r.try_get_by_index::<i64>(0).ok()) else { break };
        after = last;
        let texts: Vec<(i64, i64, String, i64, String)> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.try_get_by_index::<i64>(0).ok()?,
                    r.try_get_by_index::<i64>(1).ok()?,
                    r.try_get_by_index::<String>(2).ok()?,
                    r.try_get_by_index::<i64>(3).ok()?,
                    format!("{} {}", r.try_get_by_index::<String>(4).ok()?, r.try_get_by_index::<String>(5).ok()?),
                ))
            })
            .collect();
        let lex = lexicon.clone();
        let segmented = tokio::task::spawn_blocking(move || {
            texts
                .into_iter()
                .map(|(id, organ, path, at, text)| (id, organ, path, at, stored_words(&lex, &text)))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| DbErr::Custom(format!("分词失败：{e}")))?;
        let n = crate::app::write::write_as(s, Actor::system("热词回填"), async |w| {
            let mut counts = Counts::default();
            let mut n = 0u64;
            for (id, organ, path, at, words) in &segmented {
                // A row segmented meanwhile (written again) is not counted twice.
                if db::exec(
                    w.txn(),
                    "UPDATE opinions SET words = $1 WHERE id = $2 AND words IS NULL",
                    vec![words.clone().into(), (*id).into()],
                )
                .await?
                    == 1
                {
                    counts.text(*organ, path, *at, words, 1);
                    n += 1;
                }
            }
            counts.write(w.txn()).await?;
            Ok(n)
        })
        .await
        .map_err(|e| DbErr::Custom(e.detail()))?;
        done += n;
    }
    if done > 0 {
        crate::audit::record(
            &s.writer,
            s.audit_key(),
            &Actor::system("热词回填"),
            Change::audited("opinion_words_backfill", "opinions", "", format!("为 {done} 件已有意见分词并计入热词")),
        )
        .await?;
    }
    Ok(done)
}

/// Segments again, with the installation's names as they are now, every opinion whose text holds
/// a name its stored words do not have whole (a name added or renamed since it was written);
/// nothing when the names have not changed since the last run. Batches as [`backfill`]; one
/// audit entry for a run that changed something. Gives how many opinions were segmented again.
pub async fn renames(s: &AppState) -> Result<u64, DbErr> {
    let version = super::lexicon::version(&s.db).await?;
    let done_version = db::scalar_i64(
        &s.db,
        "SELECT COALESCE(max(value), -1) FROM change_counters WHERE name = $1",
        vec![NAMES_DONE.into()],
    )
    .await?;
    if done_version == version {
        return Ok(0);
    }
    let lexicon = super::lexicon::current(s).await?;
    let mut changed = 0u64;
    let mut after = 0i64;
    loop {
        let rows = db::query_rows(
            &s.db,
            "SELECT op.id, op.title, op.content, op.words FROM opinions op \
             WHERE op.words IS NOT NULL AND op.id > $1 ORDER BY op.id LIMIT $2",
            vec![after.into(), BACKFILL_BATCH.into()],
        )
        .await?;
        let Some(last) = rows.last().and_then(|r| r.try_get_by_index::<i64>(0).ok()) else { break };
        after = last;
        let texts: Vec<(i64, String, String)> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    r.try_get_by_index::<i64>(0).ok()?,
                    format!("{} {}", r.try_get_by_index::<String>(1).ok()?, r.try_get_by_index::<String>(2).ok()?),
                    r.try_get_by_index::<String>(3).ok()?,
                ))
            })
            .collect();
        let lex = lexicon.clone();
        let stale: Vec<(i64, String)> = tokio::task::spawn_blocking(move || {
            texts
                .into_iter()
                .filter(|(_, text, words)| {
                    let have: std::collections::HashSet<&str> = words.split(STORED_SEPARATOR).collect();
                    lex.names_in(text).iter().any(|n| !have.contains(n.as_str()))
                })
                .map(|(id, text, _)| (id, text))
                .collect()
        })
        .await
        .map_err(|e| DbErr::Custom(format!("分词失败：{e}")))?;
        if stale.is_empty() {
            continue;
        }
        let n = crate::app::write::write_as(s, Actor::system("热词更新"), async |w| {
            let mut n = 0u64;
            for (id, text) in &stale {
                // Title and text were joined above; the stored words are of both, so one string does.
                if restate(w.txn(), &lexicon, *id, text, "").await? {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await
        .map_err(|e| DbErr::Custom(e.detail()))?;
        changed += n;
    }
    s.writer.run(async |txn| names_done(txn, version).await).await?;
    if changed > 0 {
        crate::audit::record(
            &s.writer,
            s.audit_key(),
            &Actor::system("热词更新"),
            Change::audited(
                "opinion_words_names",
                "opinions",
                "",
                format!("机构名称有变化：{changed} 件意见重新分词并计入热词"),
            ),
        )
        .await?;
    }
    Ok(changed)
}

/// Notes that every stored word is of the names at `version` (the `names` change counter): the
/// new-names job has nothing to do until they change again (`renames`; the generator, which
/// segments with the names as they are).
pub async fn names_done<C: ConnectionTrait>(c: &C, version: i64) -> Result<(), DbErr> {
    if db::exec(c, "UPDATE change_counters SET value = $1 WHERE name = $2", vec![version.into(), NAMES_DONE.into()])
        .await?
        == 0
    {
        db::exec(
            c,
            "INSERT INTO change_counters (name, value) VALUES ($1, $2)",
            vec![NAMES_DONE.into(), version.into()],
        )
        .await?;
    }
    Ok(())
}
