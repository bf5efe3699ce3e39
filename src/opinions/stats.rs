//! 民意 in numbers (OPN-16): the funnel 收集 → 受理 → 交办 → 办结, 按期办结率, 满意率 (never
//! counting an unrated item as satisfied), 不满意 and 二次办理, handling time in working days
//! (average and p90), and the same figures by channel, category, station, deputy, area, unit
//! and month, with the hot words of the period — per organ subtree, exportable to Excel.

use askama::Template;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult};
use serde::Deserialize;

use super::model::Channel;
use crate::app::caller::Console;
use crate::app::error::AppResult;
use crate::app::extract::Query;
use crate::app::guard;
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::auth::{Action, Resource};
use crate::calendar::{self, Calendar};
use crate::db;
use crate::export::{Cell, Table, content_disposition, to_xlsx};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/opinions/stats", get(page))
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

/// `num / den` as a percentage with one decimal, in integers; "—" when nothing to divide.
pub fn percent(num: i64, den: i64) -> String {
    if den <= 0 {
        return "—".into();
    }
    let tenths = (num * 1000 + den / 2) / den;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

impl Figures {
    pub fn on_time_rate(&self) -> String {
        percent(self.on_time, self.closed)
    }
    pub fn satisfaction(&self) -> String {
        percent(self.satisfied, self.rated)
    }
    /// Items not rated (never counted as satisfied).
    pub fn unrated(&self) -> i64 {
        (self.closed - self.rated).max(0)
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

pub async fn totals<C: ConnectionTrait>(c: &C, p: &Period, now: i64) -> Result<Figures, DbErr> {
    let sql = figures_sql("NULL", "NULL", "", false);
    Ok(db::query_one(c, &sql, p.values(now)).await?.unwrap_or_default())
}

pub async fn breakdown<C: ConnectionTrait>(c: &C, p: &Period, dim: Dim, now: i64) -> Result<Vec<Figures>, DbErr> {
    let (key, label, join) = dim.sql(c.get_database_backend());
    let mut rows: Vec<Figures> = db::query_all(c, &figures_sql(&key, &label, join, true), p.values(now)).await?;
    for r in &mut rows {
        r.label = match dim {
            Dim::Channel => r.key.as_deref().and_then(Channel::parse).map(|ch| ch.label().to_string()),
            Dim::Category => Some(r.key.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| "未分类".into())),
            _ => r.label.clone(),
        };
    }
    if dim == Dim::Month {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    }
    Ok(rows)
}

/// Average and 90th percentile of handling time in working days (submitted → closed).
pub async fn handling_days<C: ConnectionTrait>(
    c: &C,
    p: &Period,
    cal: &Calendar,
) -> Result<(Option<String>, Option<i64>), DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT op.created_at, i.closed_at FROM opinions op JOIN handling_items i ON i.id = op.item_id \
         JOIN organs o ON o.id = op.organ_id WHERE o.path LIKE $1 AND op.created_at >= $2 AND op.created_at < $3 \
         AND i.state = 'closed' AND i.closed_at IS NOT NULL ORDER BY op.id DESC LIMIT 200000",
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
    let tenths = (sum * 10 + n / 2) / n;
    // Nearest-rank p90.
    let rank = ((n * 9 + 9) / 10).clamp(1, n) as usize;
    Ok((Some(format!("{}.{}", tenths / 10, tenths % 10)), Some(days[rank - 1])))
}

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    /// `YYYY-MM`, inclusive.
    from: Option<String>,
    /// `YYYY-MM`, inclusive.
    to: Option<String>,
    format: Option<String>,
}

fn month_start(m: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok()
}

fn start_ts(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp() - 8 * 3600
}

pub struct Section {
    pub title: &'static str,
    pub rows: Vec<Figures>,
    /// The list filter a row links to (`category=`, `channel=`), when the list has one.
    pub param: Option<&'static str>,
}

impl Section {
    pub fn link(&self, f: &Figures) -> Option<String> {
        let key = f.key.clone()?;
        let param = self.param?;
        let value = if param == "category" && key.is_empty() { "-".to_string() } else { key };
        Some(format!("/console/opinions?{}", serde_urlencoded::to_string([(param, value)]).unwrap_or_default()))
    }
}

#[derive(Template)]
#[template(path = "opinions/stats.html")]
struct StatsTpl {
    l: Layout,
    from: String,
    to: String,
    t: Figures,
    avg_days: String,
    p90_days: String,
    sections: Vec<Section>,
    trend: Vec<(String, i64, u32)>,
    /// 收集 → 受理 → 交办 → 办结, with bar widths out of 300.
    funnel: Vec<(&'static str, i64, i64)>,
    hot: Vec<(String, usize)>,
    qs: String,
}

async fn page(Console { page, p, s, ip }: Console, Query(q): Query<StatsQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, "opinion_stats")
        .await?;
    let from_d = q.from.as_deref().and_then(month_start);
    let to_d = q.to.as_deref().and_then(month_start).and_then(|d| d.checked_add_months(chrono::Months::new(1)));
    let period = Period {
        organ_path: p.organ_path.clone(),
        from: from_d.map(start_ts).unwrap_or(0),
        to: to_d.map(start_ts).unwrap_or(i64::MAX / 2),
    };
    let now = db::now();
    let t = totals(&s.db, &period, now).await?;
    let mut sections = Vec::new();
    for dim in Dim::ALL {
        let param = match dim {
            Dim::Category => Some("category"),
            Dim::Channel => Some("channel"),
            _ => None,
        };
        sections.push(Section { title: dim.label(), rows: breakdown(&s.db, &period, dim, now).await?, param });
    }
    let cal = calendar::load(&s.db).await?;
    let (avg, p90) = handling_days(&s.db, &period, &cal).await?;
    let months = sections.iter().find(|x| x.title == Dim::Month.label()).map(|x| x.rows.clone()).unwrap_or_default();
    let peak = months.iter().map(|m| m.total).max().unwrap_or(1).max(1);
    let trend =
        months.iter().map(|m| (m.key.clone().unwrap_or_default(), m.total, ((m.total * 100) / peak) as u32)).collect();
    let texts: Vec<String> = db::query_rows(
        &s.db,
        "SELECT op.title, op.content FROM opinions op JOIN organs o ON o.id = op.organ_id \
         WHERE o.path LIKE $1 AND op.created_at >= $2 AND op.created_at < $3 ORDER BY op.id DESC LIMIT 5000",
        vec![format!("{}%", db::like_escape(&period.organ_path)).into(), period.from.into(), period.to.into()],
    )
    .await?
    .iter()
    .filter_map(|r| {
        Some(format!("{} {}", r.try_get_by_index::<String>(0).ok()?, r.try_get_by_index::<String>(1).ok()?))
    })
    .collect();
    let hot =
        tokio::task::spawn_blocking(move || crate::nlp::keywords::hot_words(&texts, 30)).await.unwrap_or_default();
    let from = q.from.clone().filter(|_| from_d.is_some()).unwrap_or_default();
    let to = q.to.clone().filter(|_| to_d.is_some()).unwrap_or_default();
    let qs = serde_urlencoded::to_string([("from", from.as_str()), ("to", to.as_str())]).unwrap_or_default();
    if q.format.as_deref() == Some("xlsx") {
        return Ok(export(&t, &sections));
    }
    let max = t.total.max(1);
    let funnel = [("收集", t.total), ("受理", t.accepted), ("交办", t.assigned), ("办结", t.closed)]
        .into_iter()
        .map(|(name, n)| (name, n, n * 300 / max))
        .collect();
    render(&StatsTpl {
        funnel,
        l: page.layout("民意统计", &[("/console/opinions", "民意办理"), ("/console/opinions/stats", "统计")]),
        from,
        to,
        avg_days: avg.unwrap_or_else(|| "—".into()),
        p90_days: p90.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        t,
        sections,
        trend,
        hot,
        qs,
    })
}

fn export(t: &Figures, sections: &[Section]) -> Response {
    let headers = [
        "维度",
        "名称",
        "收集",
        "受理",
        "交办",
        "办结",
        "按期办结率",
        "已评价",
        "满意率",
        "未评价",
        "不满意",
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
            Cell::Text(f.on_time_rate()),
            Cell::Int(f.rated),
            Cell::Text(f.satisfaction()),
            Cell::Int(f.unrated()),
            Cell::Int(f.unsatisfied),
            Cell::Int(f.rehandled),
            Cell::Int(f.overdue),
        ]
    };
    let mut rows = vec![line("合计", t)];
    for s in sections {
        rows.extend(s.rows.iter().map(|f| line(s.title, f)));
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

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_in_integers() {
        assert_eq!(super::percent(2, 3), "66.7%");
        assert_eq!(super::percent(1, 3), "33.3%");
        assert_eq!(super::percent(0, 0), "—");
        assert_eq!(super::percent(5, 5), "100.0%");
    }
}
