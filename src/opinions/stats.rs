//! 民意 in numbers (OPN-16): the funnel 收集 → 受理 → 交办 → 办结, 按期办结率, 满意率 (never
//! counting an unrated item as satisfied), 不满意 and 二次办理, handling time in working days
//! (average and p90), and the same figures by channel, category, station, deputy, area, unit
//! and month, with the hot words of the period — per organ subtree, on the console page, in
//! its .xlsx and through `GET /api/v1/opinions/stats`, all from one [`Report`].
//!
//! Every rate is shown with its numerator, its denominator and its definition in words
//! ([`Rate`], [`DEFINITIONS`]), so that 「满意率 100.0%」 beside 14 不满意 says why: those 14 are
//! still in 二次办理 and count once they are closed.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

use askama::Template;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::model::Channel;
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::Query;
use crate::app::guard;
use crate::app::openapi::{Operation, param, schema};
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::auth::{Action, Principal, Resource};
use crate::calendar::{self, Calendar};
use crate::db;
use crate::export::{Cell, Table, content_disposition, to_xlsx};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/opinions/stats", get(page)).route("/api/v1/opinions/stats", get(api))
}

/// The figures of one group (or of everything).
#[derive(Clone, Debug, Default, FromQueryResult)]
pub struct Figures {
    pub key: Option<String>,
    pub label: Option<String>,
    pub total: i64,
    pub accepted: i64,
    pub assigned: i64,
    pub closed: i64,
    pub on_time: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub unsatisfied: i64,
    pub rehandled: i64,
    pub overdue: i64,
}

/// `num / den` rounded half up, in whole per mille; `None` when there is nothing to divide.
pub fn permille(num: i64, den: i64) -> Option<i64> {
    (den > 0).then(|| (num * 1000 + den / 2) / den)
}

/// A per-mille figure as the pages print it: 「66.7%」, or 「—」.
pub fn percent(p: Option<i64>) -> String {
    p.map_or_else(|| "—".into(), |p| format!("{}.{}%", p / 10, p % 10))
}

/// A rate with what it is made of: the page, the .xlsx and the API show all three.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// `numerator / denominator` in whole per mille, rounded half up (`667` is 66.7%); `null`
    /// when the denominator is 0.
    pub permille: Option<i64>,
}

impl Rate {
    pub fn of(numerator: i64, denominator: i64) -> Rate {
        Rate { numerator, denominator, permille: permille(numerator, denominator) }
    }
    /// 「66.7%」 or 「—」.
    pub fn percent(&self) -> String {
        percent(self.permille)
    }
    /// 「2 / 3」
    pub fn fraction(&self) -> String {
        format!("{} / {}", self.numerator, self.denominator)
    }
    /// A number in a percent format, or an empty cell.
    pub fn cell(&self) -> Cell {
        Cell::per_mille(self.permille)
    }
}

/// What each rate means, in the words the page, the .xlsx and the API give.
pub const DEFINITIONS: [(&str, &str, &str); 2] = [
    (
        "on_time_rate",
        "按期办结率",
        "按期办结率 = 按期办结件数 ÷ 办结件数。按期：在办理期限内作出答复（直接答复等没有期限的视为按期）；\
         只计已办结的事项，仍在办理的不计入。",
    ),
    (
        "satisfaction",
        "满意率",
        "满意率 =（满意 + 基本满意）÷ 已评价的办结件数，以反映人最后一次评价为准；未评价的不计入分子也不计入分母。\
         评价不满意、仍在二次办理的事项不计入，办结后计入。",
    ),
];

impl Figures {
    pub fn on_time_rate(&self) -> Rate {
        Rate::of(self.on_time, self.closed)
    }
    pub fn satisfaction(&self) -> Rate {
        Rate::of(self.satisfied, self.rated)
    }
    /// Closed items not rated (never counted as satisfied).
    pub fn unrated(&self) -> i64 {
        (self.closed - self.rated).max(0)
    }
    /// Items whose latest rating is 不满意 and that are closed: in 满意率's denominator.
    pub fn unsatisfied_closed(&self) -> i64 {
        (self.rated - self.satisfied).max(0)
    }
    /// Items whose latest rating is 不满意 and that are still being handled (二次办理).
    pub fn unsatisfied_open(&self) -> i64 {
        (self.unsatisfied - self.unsatisfied_closed()).max(0)
    }
    pub fn name(&self) -> String {
        self.label.clone().filter(|l| !l.is_empty()).unwrap_or_else(|| "（未填）".into())
    }
}

/// A dimension of the breakdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    Channel,
    Category,
    Station,
    Deputy,
    Area,
    Unit,
    Month,
}

impl Dim {
    pub const ALL: [Dim; 7] =
        [Dim::Channel, Dim::Category, Dim::Station, Dim::Deputy, Dim::Area, Dim::Unit, Dim::Month];
    pub fn label(self) -> &'static str {
        match self {
            Dim::Channel => "渠道",
            Dim::Category => "类别",
            Dim::Station => "联络站",
            Dim::Deputy => "代表",
            Dim::Area => "区域",
            Dim::Unit => "承办单位",
            Dim::Month => "月份",
        }
    }
    /// The API's name of the dimension.
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Channel => "channel",
            Dim::Category => "category",
            Dim::Station => "station",
            Dim::Deputy => "deputy",
            Dim::Area => "area",
            Dim::Unit => "unit",
            Dim::Month => "month",
        }
    }
    /// The console list's filter that shows a row's opinions (`super::pages::ListQuery`).
    fn list_param(self) -> &'static str {
        match self {
            Dim::Month => "from",
            d => d.as_str(),
        }
    }
    /// (key, label, extra join) of the group.
    fn sql(self, backend: DbBackend) -> (String, String, &'static str) {
        match self {
            Dim::Channel => ("op.channel".into(), "op.channel".into(), ""),
            Dim::Category => ("op.category".into(), "op.category".into(), ""),
            Dim::Station => {
                ("CAST(op.station_id AS TEXT)".into(), "s.name".into(), "LEFT JOIN stations s ON s.id = op.station_id")
            }
            Dim::Deputy => {
                ("CAST(op.deputy_id AS TEXT)".into(), "p.name".into(), "LEFT JOIN persons p ON p.id = op.deputy_id")
            }
            Dim::Area => {
                ("CAST(op.area_id AS TEXT)".into(), "ar.name".into(), "LEFT JOIN areas ar ON ar.id = op.area_id")
            }
            Dim::Unit => (
                "CAST(la.unit_id AS TEXT)".into(),
                "u.name".into(),
                "JOIN handling_assignments la ON la.item_id = i.id AND la.round = 1 AND la.role IN ('lead', 'separate') \
                 AND la.state <> 'returned' JOIN handling_units u ON u.id = la.unit_id",
            ),
            Dim::Month => {
                let m = month_sql(backend);
                (m.clone(), m, "")
            }
        }
    }
}

/// The Beijing month of `op.created_at`, in the backend's dialect.
fn month_sql(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => "to_char(to_timestamp(op.created_at + 28800) AT TIME ZONE 'UTC', 'YYYY-MM')".into(),
        _ => "strftime('%Y-%m', op.created_at + 28800, 'unixepoch')".into(),
    }
}

/// The latest rating by the submitter of each item.
const LAST_RATING: &str = "LEFT JOIN (SELECT r1.item_id, r1.grade FROM handling_ratings r1 WHERE r1.rater = 'submitter' \
     AND r1.id = (SELECT max(r2.id) FROM handling_ratings r2 WHERE r2.item_id = r1.item_id AND r2.rater = 'submitter')) g \
     ON g.item_id = i.id";

fn figures_sql(key: &str, label: &str, join: &str, group: bool) -> String {
    format!(
        "SELECT {key} AS key, {label} AS label, count(*) AS total, \
         COALESCE(sum(CASE WHEN i.state NOT IN ('held', 'received', 'rejected') THEN 1 ELSE 0 END), 0) AS accepted, \
         COALESCE(sum(CASE WHEN EXISTS (SELECT 1 FROM handling_assignments x WHERE x.item_id = i.id) THEN 1 ELSE 0 END), 0) AS assigned, \
         COALESCE(sum(CASE WHEN i.state = 'closed' THEN 1 ELSE 0 END), 0) AS closed, \
         COALESCE(sum(CASE WHEN i.state = 'closed' AND (i.deadline_at IS NULL OR i.replied_at <= i.deadline_at) THEN 1 ELSE 0 END), 0) AS on_time, \
         COALESCE(sum(CASE WHEN i.state = 'closed' AND g.grade IS NOT NULL THEN 1 ELSE 0 END), 0) AS rated, \
         COALESCE(sum(CASE WHEN i.state = 'closed' AND g.grade IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END), 0) AS satisfied, \
         COALESCE(sum(CASE WHEN g.grade = 'unsatisfied' THEN 1 ELSE 0 END), 0) AS unsatisfied, \
         COALESCE(sum(CASE WHEN i.round > 1 THEN 1 ELSE 0 END), 0) AS rehandled, \
         COALESCE(sum(CASE WHEN i.state IN ('assigned', 'in_progress', 'rehandling') AND i.deadline_at <= $4 THEN 1 ELSE 0 END), 0) AS overdue \
         FROM opinions op JOIN handling_items i ON i.id = op.item_id JOIN organs o ON o.id = op.organ_id {LAST_RATING} {join} \
         WHERE o.path LIKE $1 AND op.created_at >= $2 AND op.created_at < $3{}",
        if group { " GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 200" } else { "" }
    )
}

/// The organ subtree and period the figures are for.
#[derive(Clone, Debug)]
pub struct Period {
    pub organ_path: String,
    pub from: i64,
    pub to: i64,
}

impl Period {
    fn values(&self, now: i64) -> Vec<sea_orm::Value> {
        vec![format!("{}%", db::like_escape(&self.organ_path)).into(), self.from.into(), self.to.into(), now.into()]
    }
}

/// The walk: every opinion of the period read with the loop's tables (before issue 21, the
/// page's own queries; now the oracle the kept counts are tested against, and the bench's
/// baseline). [`kept`] answers the page.
pub async fn totals<C: ConnectionTrait>(c: &C, p: &Period, now: i64) -> Result<Figures, DbErr> {
    let sql = figures_sql("NULL", "NULL", "", false);
    Ok(db::query_one(c, &sql, p.values(now)).await?.unwrap_or_default())
}

pub async fn breakdown<C: ConnectionTrait>(c: &C, p: &Period, dim: Dim, now: i64) -> Result<Vec<Figures>, DbErr> {
    let (key, label, join) = dim.sql(c.get_database_backend());
    let mut rows: Vec<Figures> = db::query_all(c, &figures_sql(&key, &label, join, true), p.values(now)).await?;
    relabel(dim, &mut rows);
    Ok(rows)
}

/// The labels of channels and categories, and months in order.
fn relabel(dim: Dim, rows: &mut [Figures]) {
    for r in rows.iter_mut() {
        r.label = match dim {
            Dim::Channel => r.key.as_deref().and_then(Channel::parse).map(|ch| ch.label().to_string()),
            Dim::Category => Some(r.key.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| "未分类".into())),
            _ => r.label.clone(),
        };
    }
    if dim == Dim::Month {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    }
}

/// The figures of a subtree and period from the kept counts (issue 21; `super::figures`): the
/// totals, each breakdown (the walk's order: most first, then by key; at most 200 rows) and the
/// handling time — the same answers as [`totals`], [`breakdown`] and [`handling_days`], which
/// walk every opinion of the period and stay as the tests' oracle and the bench's baseline.
pub async fn kept<C: ConnectionTrait>(
    c: &C,
    p: &Period,
    now: i64,
) -> Result<(Figures, Vec<(Dim, Vec<Figures>)>, (Option<i64>, Option<i64>)), DbErr> {
    let k = super::figures::read(c, &p.organ_path, p.from, p.to).await?;
    let late = super::figures::overdue(c, &p.organ_path, p.from, p.to, now).await?;
    let figures = |key: Option<String>, r: &super::figures::Row, overdue: i64| Figures {
        label: key.clone(),
        key,
        total: r[0],
        accepted: r[1],
        assigned: r[2],
        closed: r[3],
        on_time: r[4],
        rated: r[5],
        satisfied: r[6],
        unsatisfied: r[7],
        rehandled: r[8],
        overdue,
    };
    let totals = figures(None, &k.totals, late.total);
    let mut sections = Vec::new();
    for dim in Dim::ALL {
        let mut rows: Vec<Figures> = if dim == Dim::Month {
            k.months
                .iter()
                .map(|(m, r)| {
                    let key = format!("{:04}-{:02}", m / 100, m % 100);
                    figures(Some(key), r, late.months.get(m).copied().unwrap_or(0))
                })
                .collect()
        } else {
            k.rows
                .iter()
                .filter(|((d, _), _)| d == dim.as_str())
                .map(|((d, key), r)| {
                    let overdue = late.rows.get(&(d.clone(), key.clone())).copied().unwrap_or(0);
                    // Only the ids may be missing: a channel or a category is always there.
                    let key = (!key.is_empty() || matches!(dim, Dim::Channel | Dim::Category)).then(|| key.clone());
                    figures(key, r, overdue)
                })
                .collect()
        };
        rows.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.key.cmp(&b.key)));
        rows.truncate(200);
        let names = match dim {
            Dim::Station => Some("stations"),
            Dim::Deputy => Some("persons"),
            Dim::Area => Some("areas"),
            Dim::Unit => Some("handling_units"),
            _ => None,
        };
        if let Some(table) = names {
            let ids: Vec<String> =
                rows.iter().filter_map(|r| r.key.as_deref()?.parse::<i64>().ok()).map(|i| i.to_string()).collect();
            let mut found = HashMap::new();
            if !ids.is_empty() {
                let sql = format!("SELECT id, name FROM {table} WHERE id IN ({})", ids.join(", "));
                for r in db::query_rows(c, &sql, vec![]).await? {
                    found.insert(r.try_get_by_index::<i64>(0)?.to_string(), r.try_get_by_index::<Option<String>>(1)?);
                }
            }
            for r in &mut rows {
                r.label = r.key.as_ref().and_then(|k| found.get(k).cloned().flatten());
            }
        }
        relabel(dim, &mut rows);
        sections.push((dim, rows));
    }
    Ok((totals, sections, k.handling_days()))
}

/// Average and 90th percentile of handling time in working days (submitted → closed): the
/// average in tenths of a day. The walk over every closed opinion of the period — the test and
/// bench oracle of the kept histogram (the page reads `figures`); it read only the newest
/// 200,000 until the million-opinion run of 2026-12-07 showed its year differing from the kept
/// figure by that limit.
pub async fn handling_days<C: ConnectionTrait>(
    c: &C,
    p: &Period,
    cal: &Calendar,
) -> Result<(Option<i64>, Option<i64>), DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT op.created_at, i.closed_at FROM opinions op JOIN handling_items i ON i.id = op.item_id \
         JOIN organs o ON o.id = op.organ_id WHERE o.path LIKE $1 AND op.created_at >= $2 AND op.created_at < $3 \
         AND i.state = 'closed' AND i.closed_at IS NOT NULL",
        vec![format!("{}%", db::like_escape(&p.organ_path)).into(), p.from.into(), p.to.into()],
    )
    .await?;
    let mut days: Vec<i64> = rows
        .iter()
        .filter_map(|r| {
            let (a, b) = (r.try_get_by_index::<i64>(0).ok()?, r.try_get_by_index::<i64>(1).ok()?);
            Some(cal.working_days_between(calendar::beijing_date(a), calendar::beijing_date(b)))
        })
        .collect();
    if days.is_empty() {
        return Ok((None, None));
    }
    days.sort_unstable();
    let n = days.len() as i64;
    let sum: i64 = days.iter().sum();
    // Nearest-rank p90.
    let rank = ((n * 9 + 9) / 10).clamp(1, n) as usize;
    Ok((Some((sum * 10 + n / 2) / n), Some(days[rank - 1])))
}

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    /// `YYYY-MM`, inclusive.
    from: Option<String>,
    /// `YYYY-MM`, inclusive.
    to: Option<String>,
    format: Option<String>,
}

/// The first day of a `YYYY-MM` month.
pub fn month_start(m: &str) -> Option<chrono::NaiveDate> {
    let m = m.trim();
    let shaped =
        m.len() == 7 && m.bytes().enumerate().all(|(i, b)| if i == 4 { b == b'-' } else { b.is_ascii_digit() });
    shaped.then(|| chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok()).flatten()
}

/// Midnight Beijing time of a day, as a Unix time.
pub fn start_ts(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp() - 8 * 3600
}

/// `from`..`to` (months, inclusive) as Unix times: from its first second to the end of `to`.
pub fn month_span(from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>) -> (i64, i64) {
    let to = to.and_then(|d| d.checked_add_months(chrono::Months::new(1)));
    (from.map(start_ts).unwrap_or(0), to.map(start_ts).unwrap_or(i64::MAX / 2))
}

pub struct Section {
    pub dim: Dim,
    pub rows: Vec<Figures>,
    /// The period's months, carried into every link.
    pub from: String,
    pub to: String,
}

impl Section {
    pub fn title(&self) -> &'static str {
        self.dim.label()
    }
    /// The console list of a row's opinions (in the same period): a row without a value (no
    /// station, deputy or area) links to the opinions without one.
    pub fn link(&self, f: &Figures) -> String {
        let key = f.key.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| "-".into());
        let mut q: Vec<(&str, String)> = Vec::new();
        if self.dim == Dim::Month {
            q.push(("from", key.clone()));
            q.push(("to", key));
        } else {
            q.push((self.dim.list_param(), key));
            if !self.from.is_empty() {
                q.push(("from", self.from.clone()));
            }
            if !self.to.is_empty() {
                q.push(("to", self.to.clone()));
            }
        }
        format!("/console/opinions?{}", serde_urlencoded::to_string(q).unwrap_or_default())
    }
}

/// Everything the page, the .xlsx and the API show for a subtree and period.
pub struct Report {
    pub from: String,
    pub to: String,
    pub totals: Figures,
    /// Average handling time in tenths of a working day, and the p90 in working days.
    pub avg_tenths: Option<i64>,
    pub p90_days: Option<i64>,
    pub sections: Vec<Section>,
    /// Hot words: what people write about (function words and the installation's names left out)…
    pub hot: Vec<(String, usize)>,
    /// … and the places, stations and units they name most, each whole.
    pub places: Vec<(String, usize)>,
}

impl Report {
    pub fn avg_days(&self) -> String {
        self.avg_tenths.map_or_else(|| "—".into(), |t| format!("{}.{}", t / 10, t % 10))
    }
    pub fn p90(&self) -> String {
        self.p90_days.map_or_else(|| "—".into(), |d| d.to_string())
    }
}

/// How many hot words, and how many places named most, are shown.
const HOT_WORDS: usize = 30;
const HOT_PLACES: usize = 12;

/// The figures of the opinions of `organ_path`'s subtree submitted in `from`..`to` (months as
/// typed, already checked).
pub async fn report(s: &AppState, organ_path: &str, from: &str, to: &str) -> AppResult<Report> {
    let (start, end) = month_span(month_start(from), month_start(to));
    let period = Period { organ_path: organ_path.to_string(), from: start, to: end };
    // Kept as counts by day and month (issue 21): no walk over the period's opinions.
    let (totals, kept, (avg_tenths, p90_days)) = kept(&s.db, &period, db::now()).await?;
    let sections =
        kept.into_iter().map(|(dim, rows)| Section { dim, rows, from: from.to_string(), to: to.to_string() }).collect();
    // Counted at intake, per day and month (issue 21): every opinion of the period, no text read.
    let all = super::wordcounts::hot_words(&s.db, &period.organ_path, period.from, period.to, 200).await?;
    let lexicon = super::lexicon::current(s).await?;
    let (places, hot): (Vec<_>, Vec<_>) = all.into_iter().partition(|(w, _)| lexicon.contains(w));
    let hot = hot.into_iter().take(HOT_WORDS).collect();
    let places = places.into_iter().take(HOT_PLACES).collect();
    Ok(Report { from: from.to_string(), to: to.to_string(), totals, avg_tenths, p90_days, sections, hot, places })
}

/// A bar of a chart: its label, its value and its length in per cent of the longest.
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub width: i64,
    pub href: Option<String>,
}

fn bars(items: impl IntoIterator<Item = (String, i64, Option<String>)>) -> Vec<Bar> {
    let items: Vec<(String, i64, Option<String>)> = items.into_iter().collect();
    let max = items.iter().map(|(_, n, _)| *n).max().unwrap_or(0).max(1);
    items.into_iter().map(|(label, value, href)| Bar { label, width: value * 100 / max, value, href }).collect()
}

#[derive(Template)]
#[template(path = "opinions/stats.html")]
struct StatsTpl {
    l: Layout,
    r: Report,
    t: Figures,
    on_time: Rate,
    satisfaction: Rate,
    /// 收集 → 受理 → 交办 → 办结.
    funnel: Vec<Bar>,
    /// 每月收集.
    trend: Vec<Bar>,
    definitions: [(&'static str, &'static str, &'static str); 2],
    qs: String,
}

/// Who may read the figures: staff and leaders of the organ, for its subtree.
async fn may_read(s: &AppState, p: &Principal, ip: &crate::app::extract::ClientIp) -> AppResult<()> {
    guard::check(s, p, ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, "opinion_stats").await
}

async fn page(Console { page, p, s, ip }: Console, Query(q): Query<StatsQuery>) -> AppResult<Response> {
    may_read(&s, &p, &ip).await?;
    // The page is lenient: a month it cannot read is left out.
    let from = q.from.clone().filter(|m| month_start(m).is_some()).unwrap_or_default();
    let to = q.to.clone().filter(|m| month_start(m).is_some()).unwrap_or_default();
    let r = report(&s, &p.organ_path, &from, &to).await?;
    if q.format.as_deref() == Some("xlsx") {
        return Ok(export(&r));
    }
    let t = &r.totals;
    let funnel = bars(
        [("收集", t.total), ("受理", t.accepted), ("交办", t.assigned), ("办结", t.closed)]
            .map(|(name, n)| (name.to_string(), n, None)),
    );
    let months = r.sections.iter().find(|x| x.dim == Dim::Month);
    let trend = bars(
        months
            .map(|m| m.rows.iter().map(|f| (f.name(), f.total, Some(m.link(f)))).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    let qs = serde_urlencoded::to_string([("from", from.as_str()), ("to", to.as_str())]).unwrap_or_default();
    render(&StatsTpl {
        l: page.layout("民意统计", &[("/console/opinions", "民意办理"), ("/console/opinions/stats", "统计")]),
        t: r.totals.clone(),
        on_time: r.totals.on_time_rate(),
        satisfaction: r.totals.satisfaction(),
        r,
        funnel,
        trend,
        definitions: DEFINITIONS,
        qs,
    })
}

fn export(r: &Report) -> Response {
    let headers = [
        "维度",
        "名称",
        "收集",
        "受理",
        "交办",
        "办结",
        "按期办结",
        "按期办结率",
        "已评价",
        "满意和基本满意",
        "满意率",
        "未评价",
        "不满意",
        "其中仍在二次办理",
        "二次办理",
        "超期",
    ];
    let line = |dim: &str, f: &Figures| {
        vec![
            Cell::Text(dim.into()),
            Cell::Text(if dim == "合计" { "全部".into() } else { f.name() }),
            Cell::Int(f.total),
            Cell::Int(f.accepted),
            Cell::Int(f.assigned),
            Cell::Int(f.closed),
            Cell::Int(f.on_time),
            f.on_time_rate().cell(),
            Cell::Int(f.rated),
            Cell::Int(f.satisfied),
            f.satisfaction().cell(),
            Cell::Int(f.unrated()),
            Cell::Int(f.unsatisfied),
            Cell::Int(f.unsatisfied_open()),
            Cell::Int(f.rehandled),
            Cell::Int(f.overdue),
        ]
    };
    let mut rows = vec![line("合计", &r.totals)];
    for s in &r.sections {
        rows.extend(s.rows.iter().map(|f| line(s.title(), f)));
    }
    rows.push(Vec::new());
    for (_, name, text) in DEFINITIONS {
        rows.push(vec![Cell::Text("口径".into()), Cell::Text(name.into()), Cell::Text(text.into())]);
    }
    let table = Table { title: "民意统计".into(), headers: headers.iter().map(|h| h.to_string()).collect(), rows };
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, content_disposition("民意统计", "xlsx")),
        ],
        to_xlsx(&table),
    )
        .into_response()
}

// ------------------------------------------------------------------------------- API

#[derive(Deserialize, Default)]
pub struct ApiQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The figures of one group, or of everything.
#[derive(Serialize, schemars::JsonSchema)]
pub struct FiguresOut {
    /// The group's value (channel, category, station id, deputy id, area id, unit id, `YYYY-MM`);
    /// `null` for the totals and for opinions without one (no station, deputy or area).
    pub key: Option<String>,
    pub label: String,
    /// 收集: every opinion submitted in the period.
    pub total: i64,
    /// 受理: not held, not waiting for triage, not refused.
    pub accepted: i64,
    /// 交办: given to at least one unit.
    pub assigned: i64,
    /// 办结.
    pub closed: i64,
    pub rated: i64,
    /// Closed, not rated (never counted as satisfied).
    pub unrated: i64,
    /// Latest submitter rating 不满意: closed ones and those still in 二次办理.
    pub unsatisfied: i64,
    /// … of which still being handled again (not in 满意率 until closed).
    pub unsatisfied_open: i64,
    /// 二次办理: handled in more than one round.
    pub rehandled: i64,
    /// At work past the deadline now.
    pub overdue: i64,
    /// 按期办结率: closed on time / closed.
    pub on_time_rate: Rate,
    /// 满意率: (满意 + 基本满意) / rated closed items.
    pub satisfaction: Rate,
}

impl FiguresOut {
    fn of(f: &Figures, label: String) -> FiguresOut {
        FiguresOut {
            key: f.key.clone(),
            label,
            total: f.total,
            accepted: f.accepted,
            assigned: f.assigned,
            closed: f.closed,
            rated: f.rated,
            unrated: f.unrated(),
            unsatisfied: f.unsatisfied,
            unsatisfied_open: f.unsatisfied_open(),
            rehandled: f.rehandled,
            overdue: f.overdue,
            on_time_rate: f.on_time_rate(),
            satisfaction: f.satisfaction(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Definition {
    /// The field it defines (`on_time_rate`, `satisfaction`).
    pub field: String,
    pub name: String,
    pub text: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Breakdown {
    /// channel | category | station | deputy | area | unit | month
    pub dimension: String,
    pub label: String,
    pub rows: Vec<FiguresOut>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct HotWord {
    pub word: String,
    /// In how many opinions it appears.
    pub count: i64,
}

/// OPN-16 through the API.
#[derive(Serialize, schemars::JsonSchema)]
pub struct StatsOut {
    /// The period asked (`YYYY-MM`, inclusive), `null` when open.
    pub from: Option<String>,
    pub to: Option<String>,
    pub totals: FiguresOut,
    pub definitions: Vec<Definition>,
    /// Submitted → closed, in working days: the average (one decimal) and the 90th percentile.
    pub average_working_days: Option<f64>,
    pub p90_working_days: Option<i64>,
    pub breakdowns: Vec<Breakdown>,
    /// What people write about most (function words and names left out).
    pub hot_words: Vec<HotWord>,
    /// The installation's areas, stations and units named most.
    pub places: Vec<HotWord>,
}

/// A `YYYY-MM` query value: absent, or a real month (else a 422 naming the parameter).
fn query_month(name: &str, v: Option<&str>) -> AppResult<String> {
    // The API takes the document's pattern as it is: absent, or exactly `YYYY-MM` (an empty
    // value or one with spaces is refused, as the schema says).
    match v {
        None => Ok(String::new()),
        Some(m) if m.trim() == m && month_start(m).is_some() => Ok(m.to_string()),
        Some(_) => Err(AppError::invalid(name, format!("{name} 应写成 2026-11 这样的年月"))),
    }
}

async fn api(Caller { p, s, ip }: Caller, Query(q): Query<ApiQuery>) -> AppResult<Response> {
    may_read(&s, &p, &ip).await?;
    let from = query_month("from", q.from.as_deref())?;
    let to = query_month("to", q.to.as_deref())?;
    let r = report(&s, &p.organ_path, &from, &to).await?;
    let out = StatsOut {
        from: (!from.is_empty()).then_some(from),
        to: (!to.is_empty()).then_some(to),
        totals: FiguresOut::of(&r.totals, "全部".into()),
        definitions: DEFINITIONS
            .iter()
            .map(|(field, name, text)| Definition {
                field: field.to_string(),
                name: name.to_string(),
                text: text.to_string(),
            })
            .collect(),
        average_working_days: r.avg_tenths.map(|t| t as f64 / 10.0),
        p90_working_days: r.p90_days,
        breakdowns: r
            .sections
            .iter()
            .map(|x| Breakdown {
                dimension: x.dim.as_str().into(),
                label: x.dim.label().into(),
                rows: x.rows.iter().map(|f| FiguresOut::of(f, f.name())).collect(),
            })
            .collect(),
        hot_words: r.hot.iter().map(|(w, n)| HotWord { word: w.clone(), count: *n as i64 }).collect(),
        places: r.places.iter().map(|(w, n)| HotWord { word: w.clone(), count: *n as i64 }).collect(),
    };
    Ok(axum::Json(out).into_response())
}

fn month() -> serde_json::Value {
    serde_json::json!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"})
}

pub const OPERATION: Operation = Operation::get(
    "/api/v1/opinions/stats",
    "民意统计（本机关及下级）：收集、受理、交办、办结，按期办结率和满意率（各含分子、分母和口径），不满意、二次办理、超期，\
     办理时长，按渠道、类别、联络站、代表、区域、承办单位和月份分列，热词",
    super::API_TAG,
    schema::<StatsOut>,
)
.signed_in()
.query(&[param("from", "起始年月（含），如 2026-09", month), param("to", "截止年月（含），如 2026-11", month)]);

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_in_integers() {
        use super::{Rate, percent, permille};
        assert_eq!(percent(permille(2, 3)), "66.7%");
        assert_eq!(percent(permille(1, 3)), "33.3%");
        assert_eq!(percent(permille(0, 0)), "—");
        assert_eq!(percent(permille(5, 5)), "100.0%");
        let r = Rate::of(87, 93);
        assert_eq!((r.permille, r.fraction(), r.percent()), (Some(935), "87 / 93".into(), "93.5%".into()));
    }

    #[test]
    fn months_are_read_strictly() {
        assert!(super::month_start("2026-11").is_some());
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "2026-11-01"] {
            assert!(super::month_start(bad).is_none(), "{bad}");
        }
    }
}
