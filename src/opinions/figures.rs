//! Issue 21, the statistics kept as counts (PLAT-21): what each opinion adds to the figures of
//! OPN-16 — 收集, 受理, 交办, 办结, 按期办结, 已评价, 满意, 不满意, 二次办理 (`COLUMNS`), under the
//! totals and under its key in each breakdown (channel, category, station, deputy, area, each
//! answering unit of the first round), and its handling time in working days — is kept as its
//! **share** (`opinion_figures.share`, one row per opinion) and counted, in the same
//! transaction as every write that moves it:
//!
//! - `opinion_figure_days (organ_id, day, dim, key, …counts)`: per the opinion's own organ and
//!   Beijing day of its creation;
//! - `opinion_figure_months (organ_id, month, dim, key, …counts)`: per organ **subtree** (its
//!   organ and every organ above) and Beijing month, so a subtree's whole months are one index
//!   range of one organ (as `wordcounts`);
//! - `opinion_overdue_days (organ_id, day, due, dim, key, n)` and `opinion_overdue_months
//!   (organ_id, month, due, dim, key, n)` (m0050): the same keys plus the deadline `due` of the
//!   opinions whose item is **open** with units (assigned, in progress, rehandling — the share's
//!   open deadline `u`), `n` how many. Deadlines end at 24:00 Beijing time, so a period has few
//!   distinct values. [`overdue`] at `now` sums the rows with `due <= now` as [`read`] sums the
//!   counts: nothing happens when a deadline passes, an item stays in its `due` rows while open
//!   and leaves them (rows fallen to 0 are deleted) when it is answered, closed, taken back;
//!   a 延期 or a reopen moves it to its new `due`.
//!
//! `dim` is `''` for the totals (the month breakdown is the totals by month), a `stats::Dim`
//! name for a breakdown, and `days` for the histogram of handling times: `key` the working days
//! from submission to closing, `total` how many closed items took that long — the average and
//! the p90 come from it.
//!
//! **How the counts stay true.** Nothing adds to them by hand: [`restate`] reads an opinion's
//! facts as they are (the same definitions as the walk in `stats::walk`), computes its share,
//! and when it differs from the stored one takes the old share away and adds the new. The loop
//! calls it after every step through the kind's `Policy::changed` hook (`handling::service::apply`
//! — every step: state, round, deadline, reply, rating, 撤回, 改派 — and the items merged into
//! one when they follow it), intake calls it on the new opinion, a category change on its
//! opinion, and a year of the calendar made official on the closed opinions whose handling time
//! it spans. The per-request count of the open items past their deadline ([`overdue_walk`],
//! what the page did before m0050) stays as the tests' oracle and the bench's baseline.
//!
//! Opinions written before the counts were kept get their share from the one-off job
//! `opinion-figures-backfill` (enqueued by `m0049`; `renda gen` runs the same batches); the job
//! then restates the open items with a deadline, whose shares stored before `m0050` lack their
//! open deadline (`m0050` enqueues it again).

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, QueryResult};
use serde::{Deserialize, Serialize};

use super::wordcounts::{SUBTREE_ORGANS, Spans, TOP_ORGANS, day_of, month_of_day, path_organs};
use crate::app::state::{AppState, BoxFuture};
use crate::audit::{Actor, Change};
use crate::calendar::{self, Calendar};
use crate::db;

/// The job that gives the opinions written before `m0049` their share.
pub const BACKFILL: &str = "opinion-figures-backfill";
/// Opinions per transaction of the backfill.
const BATCH: i64 = 2_000;
/// Count rows per statement (one JSON parameter).
const ROWS_PER_STATEMENT: usize = 5_000;

/// The kept figures, in the order of the count columns.
pub const COLUMNS: [&str; 9] =
    ["total", "accepted", "assigned", "closed", "on_time", "rated", "satisfied", "unsatisfied", "rehandled"];
pub type Row = [i64; 9];

/// `dim` of the totals.
pub const TOTALS: &str = "";
/// `dim` of the handling-time histogram.
pub const DAYS: &str = "days";

/// What one opinion adds to the counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Share {
    /// Its organ and Beijing day of creation.
    o: i64,
    d: i64,
    /// Its figures (0 or 1 each, `COLUMNS`).
    f: Row,
    /// Working days from submission to closing, when closed.
    h: Option<i64>,
    /// `(dim, key)` of each breakdown row it counts in.
    k: Vec<(String, String)>,
    /// Its open deadline: the deadline while units are on it (assigned, in progress,
    /// rehandling — what `overdue` counts once the clock passes it), else none. Shares stored
    /// before `m0050` have none, as their counts do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    u: Option<i64>,
}

/// An opinion's facts as the walk reads them.
struct Facts {
    id: i64,
    organ: i64,
    path: String,
    created_at: i64,
    keys: Vec<(String, String)>,
    state: String,
    round: i64,
    deadline_at: Option<i64>,
    replied_at: Option<i64>,
    closed_at: Option<i64>,
    grade: Option<String>,
    assigned: bool,
    stored: Option<String>,
}

/// The facts of the opinions `filter` picks (`op` the opinion, `i` its item), with their stored
/// share. The figures' definitions are those of `stats::walk`.
fn facts_sql(backend: DbBackend, filter: &str) -> String {
    let agg = db::string_agg(backend);
    format!(
        "SELECT op.id, op.organ_id, o.path, op.created_at, op.channel, op.category, op.station_id, op.deputy_id, \
         op.area_id, i.state, i.round, i.deadline_at, i.replied_at, i.closed_at, \
         (SELECT r.grade FROM handling_ratings r WHERE r.item_id = i.id AND r.rater = 'submitter' ORDER BY r.id DESC LIMIT 1), \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM handling_assignments x WHERE x.item_id = i.id) THEN 1 ELSE 0 END AS BIGINT), \
         (SELECT {agg}(CAST(la.unit_id AS TEXT), ',') FROM handling_assignments la JOIN handling_units u ON u.id = la.unit_id \
          WHERE la.item_id = i.id AND la.round = 1 AND la.role IN ('lead', 'separate') AND la.state <> 'returned'), \
         f.share \
         FROM opinions op JOIN handling_items i ON i.id = op.item_id JOIN organs o ON o.id = op.organ_id \
         LEFT JOIN opinion_figures f ON f.opinion_id = op.id WHERE {filter}"
    )
}

fn id_key(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Facts {
    fn read(r: &QueryResult) -> Result<Facts, DbErr> {
        let mut keys = vec![
            ("channel".to_string(), r.try_get_by_index::<String>(4)?),
            ("category".to_string(), r.try_get_by_index::<String>(5)?),
            ("station".to_string(), id_key(r.try_get_by_index(6)?)),
            ("deputy".to_string(), id_key(r.try_get_by_index(7)?)),
            ("area".to_string(), id_key(r.try_get_by_index(8)?)),
        ];
        let mut units: Vec<String> = r
            .try_get_by_index::<Option<String>>(16)?
            .unwrap_or_default()
            .split(',')
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .collect();
        units.sort_unstable();
        keys.extend(units.into_iter().map(|u| ("unit".to_string(), u)));
        Ok(Facts {
            id: r.try_get_by_index(0)?,
            organ: r.try_get_by_index(1)?,
            path: r.try_get_by_index(2)?,
            created_at: r.try_get_by_index(3)?,
            keys,
            state: r.try_get_by_index(9)?,
            round: r.try_get_by_index(10)?,
            deadline_at: r.try_get_by_index(11)?,
            replied_at: r.try_get_by_index(12)?,
            closed_at: r.try_get_by_index(13)?,
            grade: r.try_get_by_index(14)?,
            assigned: r.try_get_by_index::<i64>(15)? != 0,
            stored: r.try_get_by_index(17)?,
        })
    }

    fn needs_calendar(&self) -> bool {
        self.state == "closed" && self.closed_at.is_some()
    }

    /// Its share, by the walk's definitions.
    fn share(&self, cal: Option<&Calendar>) -> Share {
        let closed = self.state == "closed";
        let grade = self.grade.as_deref();
        let on_time = closed
            && match (self.deadline_at, self.replied_at) {
                (None, _) => true,
                (Some(d), Some(r)) => r <= d,
                (Some(_), None) => false,
            };
        let f = [
            true,
            !matches!(self.state.as_str(), "held" | "received" | "rejected"),
            self.assigned,
            closed,
            on_time,
            closed && grade.is_some(),
            closed && matches!(grade, Some("satisfied" | "basically_satisfied")),
            grade == Some("unsatisfied"),
            self.round > 1,
        ]
        .map(i64::from);
        let h = match (closed, self.closed_at, cal) {
            (true, Some(at), Some(cal)) => {
                Some(cal.working_days_between(calendar::beijing_date(self.created_at), calendar::beijing_date(at)))
            }
            _ => None,
        };
        let open = matches!(self.state.as_str(), "assigned" | "in_progress" | "rehandling");
        let u = if open { self.deadline_at } else { None };
        Share { o: self.organ, d: day_of(self.created_at), f, h, k: self.keys.clone(), u }
    }
}

/// Counts to add (or, negative, to take away) per `(organ, day or month, dim, key)`, and the
/// open deadlines per `(organ, day or month, due, dim, key)`.
#[derive(Default)]
struct Counts {
    days: HashMap<(i64, i64, String, String), Row>,
    months: HashMap<(i64, i64, String, String), Row>,
    due_days: HashMap<(i64, i64, i64, String, String), i64>,
    due_months: HashMap<(i64, i64, i64, String, String), i64>,
}

impl Counts {
    fn share(&mut self, s: &Share, path: &str, sign: i64) {
        let month = month_of_day(s.d);
        let mut organs = path_organs(path);
        if !organs.contains(&s.o) {
            organs.push(s.o);
        }
        let mut one = [0; 9];
        one[0] = 1;
        let rows = std::iter::once((TOTALS, String::new(), &s.f))
            .chain(s.k.iter().map(|(d, k)| (d.as_str(), k.clone(), &s.f)))
            .chain(s.h.map(|h| (DAYS, h.to_string(), &one)));
        for (dim, key, f) in rows {
            let add = |row: &mut Row| row.iter_mut().zip(f).for_each(|(a, b)| *a += sign * b);
            add(self.days.entry((s.o, s.d, dim.to_string(), key.clone())).or_default());
            for o in &organs {
                add(self.months.entry((*o, month, dim.to_string(), key.clone())).or_default());
            }
        }
        if let Some(due) = s.u {
            let rows = std::iter::once((TOTALS, "")).chain(s.k.iter().map(|(d, k)| (d.as_str(), k.as_str())));
            for (dim, key) in rows {
                *self.due_days.entry((s.o, s.d, due, dim.to_string(), key.to_string())).or_default() += sign;
                for o in &organs {
                    *self.due_months.entry((*o, month, due, dim.to_string(), key.to_string())).or_default() += sign;
                }
            }
        }
    }

    /// Adds the counts to the tables, in the caller's transaction. Rows that fall to 0 stay
    /// (the reads leave out what counts nothing).
    async fn write<C: ConnectionTrait>(self, c: &C) -> Result<(), DbErr> {
        for (table, period, rows) in
            [("opinion_figure_days", "day", self.days), ("opinion_figure_months", "month", self.months)]
        {
            let rows: Vec<_> = rows.into_iter().filter(|(_, r)| r.iter().any(|n| *n != 0)).collect();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let json = serde_json::Value::Array(
                    chunk
                        .iter()
                        .map(|((o, p, d, k), r)| {
                            let mut v = vec![serde_json::json!(o), serde_json::json!(p), serde_json::json!(d)];
                            v.push(serde_json::json!(k));
                            v.extend(r.iter().map(|n| serde_json::json!(n)));
                            serde_json::Value::Array(v)
                        })
                        .collect(),
                )
                .to_string();
                let cols = COLUMNS.join(", ");
                let source = match c.get_database_backend() {
                    DbBackend::Postgres => format!(
                        "SELECT (e->>0)::bigint, (e->>1)::bigint, e->>2, e->>3, {} FROM json_array_elements($1::json) AS e",
                        (4..13).map(|i| format!("(e->>{i})::bigint")).collect::<Vec<_>>().join(", ")
                    ),
                    // `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
                    _ => format!(
                        "SELECT {} FROM json_each($1) WHERE true",
                        (0..13).map(|i| format!("value ->> {i}")).collect::<Vec<_>>().join(", ")
                    ),
                };
                let sums = COLUMNS.iter().map(|n| format!("{n} = {table}.{n} + excluded.{n}")).collect::<Vec<_>>();
                db::exec(
                    c,
                    &format!(
                        "INSERT INTO {table} (organ_id, {period}, dim, key, {cols}) {source} \
                         ON CONFLICT (organ_id, {period}, dim, key) DO UPDATE SET {}",
                        sums.join(", ")
                    ),
                    vec![json.into()],
                )
                .await?;
            }
        }
        for (table, period, rows) in
            [("opinion_overdue_days", "day", self.due_days), ("opinion_overdue_months", "month", self.due_months)]
        {
            let rows: Vec<_> = rows.into_iter().filter(|(_, n)| *n != 0).collect();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let json = serde_json::Value::Array(
                    chunk.iter().map(|((o, p, due, d, k), n)| serde_json::json!([o, p, due, d, k, n])).collect(),
                )
                .to_string();
                let source = match c.get_database_backend() {
                    DbBackend::Postgres => "SELECT (e->>0)::bigint, (e->>1)::bigint, (e->>2)::bigint, e->>3, e->>4, \
                         (e->>5)::bigint FROM json_array_elements($1::json) AS e"
                        .to_string(),
                    _ => format!(
                        "SELECT {} FROM json_each($1) WHERE true",
                        (0..6).map(|i| format!("value ->> {i}")).collect::<Vec<_>>().join(", ")
                    ),
                };
                db::exec(
                    c,
                    &format!(
                        "INSERT INTO {table} (organ_id, {period}, due, dim, key, n) {source} \
                         ON CONFLICT (organ_id, {period}, due, dim, key) DO UPDATE SET n = {table}.n + excluded.n"
                    ),
                    vec![json.into()],
                )
                .await?;
            }
            // An item no longer open leaves no rows behind: the deadlines counted down are
            // looked at again and their rows that fell to 0 go (a key prefix of the table).
            let mut emptied: Vec<(i64, i64, i64)> =
                rows.iter().filter(|(_, n)| *n < 0).map(|((o, p, due, _, _), _)| (*o, *p, *due)).collect();
            emptied.sort_unstable();
            emptied.dedup();
            for (o, p, due) in emptied {
                db::exec(
                    c,
                    &format!("DELETE FROM {table} WHERE organ_id = $1 AND {period} = $2 AND due = $3 AND n = 0"),
                    vec![o.into(), p.into(), due.into()],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// Brings the shares of the opinions `filter` picks up to date (their facts as they are now),
/// in the caller's transaction; gives the last opinion id read, how many were read and how many
/// of their shares changed.
async fn restate_where<C: ConnectionTrait>(
    c: &C,
    cal: Option<&Calendar>,
    filter: &str,
    values: Vec<sea_orm::Value>,
) -> Result<(Option<i64>, usize, usize), DbErr> {
    let rows = db::query_rows(c, &facts_sql(c.get_database_backend(), filter), values).await?;
    let facts = rows.iter().map(Facts::read).collect::<Result<Vec<_>, _>>()?;
    let loaded;
    let cal = match cal {
        Some(cal) => Some(cal),
        None if facts.iter().any(Facts::needs_calendar) => {
            loaded = calendar::load(c).await?;
            Some(&loaded)
        }
        None => None,
    };
    let mut counts = Counts::default();
    let mut shares = Vec::new();
    for f in &facts {
        let new = f.share(cal);
        let old = f.stored.as_deref().and_then(|s| serde_json::from_str::<Share>(s).ok());
        if old.as_ref() == Some(&new) {
            continue;
        }
        if let Some(old) = &old {
            counts.share(old, &f.path, -1);
        }
        counts.share(&new, &f.path, 1);
        shares.push(serde_json::json!([f.id, serde_json::to_string(&new).unwrap_or_default()]));
    }
    let changed = shares.len();
    if !shares.is_empty() {
        counts.write(c).await?;
        let source = match c.get_database_backend() {
            DbBackend::Postgres => "SELECT (e->>0)::bigint, e->>1 FROM json_array_elements($1::json) AS e",
            _ => "SELECT value ->> 0, value ->> 1 FROM json_each($1) WHERE true",
        };
        db::exec(
            c,
            &format!(
                "INSERT INTO opinion_figures (opinion_id, share) {source} \
                 ON CONFLICT (opinion_id) DO UPDATE SET share = excluded.share"
            ),
            vec![serde_json::Value::Array(shares).to_string().into()],
        )
        .await?;
    }
    Ok((facts.last().map(|f| f.id), facts.len(), changed))
}

/// The opinion of a loop item (if it is one) counted as it is now, in the caller's transaction.
pub async fn restate<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<(), DbErr> {
    restate_where(c, None, "op.item_id = $1", vec![item_id.into()]).await.map(drop)
}

/// The opinions' `Policy::changed`: after each step of the loop on an item.
pub fn changed(txn: &DatabaseTransaction, item_id: i64) -> BoxFuture<'_, Result<(), DbErr>> {
    Box::pin(restate(txn, item_id))
}

/// One batch of opinions without a share yet, after opinion `after`: gives the last id read
/// (`None` when there are no more) and how many were counted.
pub async fn fill_batch<C: ConnectionTrait>(c: &C, cal: &Calendar, after: i64) -> Result<(Option<i64>, usize), DbErr> {
    restate_where(
        c,
        Some(cal),
        &format!("op.id > $1 AND f.opinion_id IS NULL ORDER BY op.id LIMIT {BATCH}"),
        vec![after.into()],
    )
    .await
    .map(|(last, read, _)| (last, read))
}

/// One batch of the opinions whose item is open with a deadline, after opinion `after`,
/// restated: gives the last id read (`None` when there are no more) and how many shares changed.
async fn open_batch<C: ConnectionTrait>(c: &C, cal: &Calendar, after: i64) -> Result<(Option<i64>, usize), DbErr> {
    restate_where(
        c,
        Some(cal),
        &format!(
            "op.id > $1 AND i.state IN ('assigned', 'in_progress', 'rehandling') AND i.deadline_at IS NOT NULL \
             ORDER BY op.id LIMIT {BATCH}"
        ),
        vec![after.into()],
    )
    .await
    .map(|(last, _, changed)| (last, changed))
}

/// Counts the opinions written before the figures were kept (the job `opinion-figures-backfill`),
/// in batches, each its own audited-path transaction; one audit entry for the run.
pub async fn backfill(s: &AppState) -> Result<u64, DbErr> {
    let cal = calendar::load(&s.db).await?;
    let (mut after, mut done) = (0i64, 0u64);
    loop {
        let (last, n) = crate::app::write::write_as(s, Actor::system("统计回填"), async |w| {
            Ok(fill_batch(w.txn(), &cal, after).await?)
        })
        .await
        .map_err(|e| DbErr::Custom(e.detail()))?;
        let Some(last) = last else { break };
        after = last;
        done += n as u64;
    }
    // The open items with a deadline whose share was stored before their deadline was kept
    // (`m0050`): restated, their open deadline counted (the others' shares are unchanged).
    let mut after = 0i64;
    loop {
        let (last, n) = crate::app::write::write_as(s, Actor::system("统计回填"), async |w| {
            Ok(open_batch(w.txn(), &cal, after).await?)
        })
        .await
        .map_err(|e| DbErr::Custom(e.detail()))?;
        let Some(last) = last else { break };
        after = last;
        done += n as u64;
    }
    if done > 0 {
        crate::audit::record(
            &s.writer,
            s.audit_key(),
            &Actor::system("统计回填"),
            Change::audited("opinion_figures_backfill", "opinions", "", format!("{done} 件已有意见计入统计")),
        )
        .await?;
    }
    Ok(done)
}

/// A year of the calendar made official: the closed opinions whose handling time runs through
/// it are counted again with the new calendar (in the calendar's transaction).
pub fn follow_calendar<'a>(
    _s: &'a AppState,
    txn: &'a DatabaseTransaction,
    _actor: &'a Actor,
    _old: &'a Calendar,
    new: &'a Calendar,
    year: i32,
) -> BoxFuture<'a, crate::app::error::AppResult<u64>> {
    Box::pin(async move {
        // Midnight Beijing time of 1 January.
        let start = |y: i32| {
            chrono::NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(0, |t| t.and_utc().timestamp() - 8 * 3_600)
        };
        let (from, to) = (start(year), start(year + 1));
        let (mut after, mut n) = (0i64, 0u64);
        loop {
            let (last, read, _) = restate_where(
                txn,
                Some(new),
                &format!(
                    "op.id > $1 AND i.state = 'closed' AND op.created_at < $2 AND i.closed_at >= $3 \
                     ORDER BY op.id LIMIT {BATCH}"
                ),
                vec![after.into(), to.into(), from.into()],
            )
            .await?;
            let Some(last) = last else { break };
            after = last;
            n += read as u64;
        }
        Ok(n)
    })
}

/// The kept counts of a subtree and period: the totals, each breakdown row (`(dim, key)`), the
/// totals by month (`YYYYMM`) and the histogram of handling times (working days → items).
#[derive(Debug, Default)]
pub struct Kept {
    pub totals: Row,
    pub rows: HashMap<(String, String), Row>,
    pub months: BTreeMap<i64, Row>,
    pub days: BTreeMap<i64, i64>,
}

impl Kept {
    fn add(&mut self, month: i64, dim: String, key: String, r: Row) {
        let plus = |a: &mut Row| a.iter_mut().zip(r).for_each(|(a, b)| *a += b);
        match dim.as_str() {
            TOTALS => {
                plus(&mut self.totals);
                plus(self.months.entry(month).or_default());
            }
            DAYS => *self.days.entry(key.parse().unwrap_or(0)).or_default() += r[0],
            _ => plus(self.rows.entry((dim, key)).or_default()),
        }
    }

    /// Average handling time in tenths of a working day and the nearest-rank p90, from the
    /// histogram.
    pub fn handling_days(&self) -> (Option<i64>, Option<i64>) {
        let n: i64 = self.days.values().sum();
        if n <= 0 {
            return (None, None);
        }
        let sum: i64 = self.days.iter().map(|(d, k)| d * k).sum();
        let rank = ((n * 9 + 9) / 10).clamp(1, n);
        let mut seen = 0;
        let p90 = self.days.iter().find(|(_, k)| {
            seen += **k;
            seen >= rank
        });
        (Some((sum * 10 + n / 2) / n), p90.map(|(d, _)| *d))
    }
}

/// The reads of a period's kept rows: the whole months from the subtree's top organ's month
/// rows, the days at the ends from the subtree's day rows — `(table, period column, organs
/// clause, from, to)`.
fn span_reads<'a>(
    spans: &Spans,
    months: &'a str,
    days: &'a str,
) -> Vec<(&'a str, &'static str, &'static str, i64, i64)> {
    let mut reads = Vec::new();
    if let Some((a, b)) = spans.months {
        reads.push((months, "month", TOP_ORGANS, a, b));
    }
    for &(a, b) in &spans.days {
        reads.push((days, "day", SUBTREE_ORGANS, a, b));
    }
    reads
}

/// Reads the kept counts of `organ_path`'s subtree over `from`..`to` (Unix times at Beijing
/// midnights, as `stats::month_span` gives): whole months from the subtree's top organ's month
/// rows, the days at the ends from the subtree's day rows.
pub async fn read<C: ConnectionTrait>(c: &C, organ_path: &str, from: i64, to: i64) -> Result<Kept, DbErr> {
    let mut kept = Kept::default();
    let Some(spans) = Spans::of(from, to) else { return Ok(kept) };
    let like = format!("{}%", db::like_escape(organ_path));
    let sums = COLUMNS.iter().map(|n| format!("CAST(sum(w.{n}) AS BIGINT)")).collect::<Vec<_>>().join(", ");
    for (table, period, organs, a, b) in span_reads(&spans, "opinion_figure_months", "opinion_figure_days") {
        let rows = db::query_rows(
            c,
            &format!(
                "SELECT CASE WHEN w.dim = '' THEN w.{period} ELSE 0 END, w.dim, w.key, {sums} FROM {table} w \
                 WHERE w.organ_id IN {organs} AND w.{period} >= $2 AND w.{period} < $3 GROUP BY 1, 2, 3"
            ),
            vec![like.clone().into(), a.into(), b.into()],
        )
        .await?;
        for r in rows {
            let p: i64 = r.try_get_by_index(0)?;
            let month = if period == "day" { month_of_day(p) } else { p };
            let mut row = [0; 9];
            for (i, n) in row.iter_mut().enumerate() {
                *n = r.try_get_by_index(3 + i)?;
            }
            kept.add(month, r.try_get_by_index(1)?, r.try_get_by_index(2)?, row);
        }
    }
    kept.rows.retain(|_, r| r[0] > 0);
    kept.months.retain(|_, r| r[0] > 0);
    kept.days.retain(|_, n| *n > 0);
    Ok(kept)
}

/// Overdue now: the open items past their deadline of the subtree and period — the totals, per
/// breakdown row `(dim, key)` and per month (`YYYYMM`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Overdue {
    pub total: i64,
    pub rows: HashMap<(String, String), i64>,
    pub months: HashMap<i64, i64>,
}

/// Overdue at `now` from the kept open deadlines: the rows with `due <= now` of the subtree's
/// top organ's month rows for the whole months and of the subtree's day rows for the days at
/// the ends (as [`read`]).
pub async fn overdue<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    from: i64,
    to: i64,
    now: i64,
) -> Result<Overdue, DbErr> {
    let mut out = Overdue::default();
    let Some(spans) = Spans::of(from, to) else { return Ok(out) };
    let like = format!("{}%", db::like_escape(organ_path));
    for (table, period, organs, a, b) in span_reads(&spans, "opinion_overdue_months", "opinion_overdue_days") {
        let rows = db::query_rows(
            c,
            &format!(
                "SELECT CASE WHEN w.dim = '' THEN w.{period} ELSE 0 END, w.dim, w.key, CAST(sum(w.n) AS BIGINT) \
                 FROM {table} w WHERE w.organ_id IN {organs} AND w.{period} >= $2 AND w.{period} < $3 \
                 AND w.due <= $4 GROUP BY 1, 2, 3"
            ),
            vec![like.clone().into(), a.into(), b.into(), now.into()],
        )
        .await?;
        for r in rows {
            let p: i64 = r.try_get_by_index(0)?;
            let dim: String = r.try_get_by_index(1)?;
            let n: i64 = r.try_get_by_index(3)?;
            if dim == TOTALS {
                out.total += n;
                *out.months.entry(if period == "day" { month_of_day(p) } else { p }).or_default() += n;
            } else {
                *out.rows.entry((dim, r.try_get_by_index(2)?)).or_default() += n;
            }
        }
    }
    out.rows.retain(|_, n| *n > 0);
    out.months.retain(|_, n| *n > 0);
    Ok(out)
}

/// [`overdue`] counted from the open items past their deadline (`handling_items (state,
/// deadline_at)` index) and their opinions: what the page did before the deadlines were kept,
/// the tests' oracle and the bench's baseline.
#[doc(hidden)]
pub async fn overdue_walk<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    from: i64,
    to: i64,
    now: i64,
) -> Result<Overdue, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT op.id, op.channel, op.category, op.station_id, op.deputy_id, op.area_id, op.created_at, la.unit_id \
         FROM handling_items i JOIN opinions op ON op.item_id = i.id JOIN organs o ON o.id = op.organ_id \
         LEFT JOIN handling_assignments la ON la.item_id = i.id AND la.round = 1 AND la.role IN ('lead', 'separate') \
           AND la.state <> 'returned' AND EXISTS (SELECT 1 FROM handling_units u WHERE u.id = la.unit_id) \
         WHERE i.state IN ('assigned', 'in_progress', 'rehandling') AND i.deadline_at <= $4 \
           AND o.path LIKE $1 AND op.created_at >= $2 AND op.created_at < $3 ORDER BY op.id",
        vec![format!("{}%", db::like_escape(organ_path)).into(), from.into(), to.into(), now.into()],
    )
    .await?;
    let mut out = Overdue::default();
    let mut last = None;
    for r in rows {
        let id: i64 = r.try_get_by_index(0)?;
        if let Some(unit) = r.try_get_by_index::<Option<i64>>(7)? {
            *out.rows.entry(("unit".into(), unit.to_string())).or_default() += 1;
        }
        if last == Some(id) {
            continue;
        }
        last = Some(id);
        out.total += 1;
        for (dim, key) in [
            ("channel", r.try_get_by_index::<String>(1)?),
            ("category", r.try_get_by_index::<String>(2)?),
            ("station", id_key(r.try_get_by_index(3)?)),
            ("deputy", id_key(r.try_get_by_index(4)?)),
            ("area", id_key(r.try_get_by_index(5)?)),
        ] {
            *out.rows.entry((dim.into(), key)).or_default() += 1;
        }
        *out.months.entry(month_of_day(day_of(r.try_get_by_index(6)?))).or_default() += 1;
    }
    Ok(out)
}
