//! The working-day calendar (PLAT-10): weekdays work, weekends rest, except the days the
//! admin lists — public holidays (放假) and 调休 make-up working days (上班). Every deadline
//! of the platform is computed here, and the stations' duty slots skip the same holidays.
//!
//! Rules (platform.md PLAT-10): counting starts on the working day after the assignment; a
//! deadline ends at 24:00 Asia/Shanghai of its day; 预警 fires N working days before (3 by
//! default); limits given in months are calendar months, moved to the next working day when
//! they end on a non-working day.

pub mod lunar;
pub mod notice;
pub mod official;
pub mod pages;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, FromQueryResult};

use crate::app::state::{AppState, BoxFuture, MenuSection, Module};
use crate::audit::{Actor, Change};
use crate::auth::{Action, Principal, Resource, authz};
use crate::db;

/// The calendar as the platform's web kernel sees it: its page, menu entry and audit labels.
/// It sits above the kernel (its page uses the guard and the write path); only domains use it.
pub const MODULE: Module = Module {
    name: "calendar",
    routes: pages::routes,
    menu,
    audit_labels: &[
        ("calendar_day_set", "设置节假日或调休"),
        ("calendar_day_remove", "取消节假日或调休"),
        ("calendar_year_saved", "录入全年节假日安排"),
    ],
    operations: &[],
    jobs: &[],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    // The calendar's record kind and table are the platform's (`audit::PLATFORM_RECORDS`,
    // `app::state::PLATFORM_TABLES`).
    records: &[],
    titles: &[],
    tables: &[],
    demo: None,
};

fn menu(p: &Principal) -> Vec<MenuSection> {
    let mut items = Vec::new();
    if authz::allows(p, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }) {
        items.push(("/console/calendar", "工作日历"));
    }
    vec![MenuSection { order: 90, title: "系统", items }]
}

/// What the admin says of a day, against the weekday rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// 放假: no work, even on a weekday.
    Holiday,
    /// 调休上班: work, even on a weekend.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }
    pub fn parse(s: &str) -> Option<DayKind> {
        match s {
            "holiday" => Some(DayKind::Holiday),
            "workday" => Some(DayKind::Workday),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "调休上班",
        }
    }
}

/// One listed day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// The calendar as loaded: the listed days; every other day follows the weekday rule. A year
/// whose official schedule is not entered is **provisional**: its statutory holidays
/// (`lunar::statutory_holidays`) count as listed, and deadlines that run through it say 暂定.
#[derive(Clone, Debug, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
    provisional: BTreeSet<i32>,
}

/// A horizon that no deadline needs to pass (guards loops against absurd inputs).
const MAX_SPAN_DAYS: i64 = 366 * 20;

impl Calendar {
    /// Exactly the days given, every year taken as official.
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Calendar {
        Calendar { days: days.into_iter().collect(), provisional: BTreeSet::new() }
    }

    /// The days given, and for each year of the lunar table that is not among `official_years`
    /// its statutory holidays, where the list does not already say something of the day.
    pub fn with_provisional(
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
        official_years: &BTreeSet<i32>,
    ) -> Calendar {
        let mut days: BTreeMap<NaiveDate, DayKind> = days.into_iter().collect();
        let mut provisional = BTreeSet::new();
        for year in (lunar::FIRST_YEAR..=lunar::LAST_YEAR).filter(|y| !official_years.contains(y)) {
            provisional.insert(year);
            for d in lunar::statutory_holidays(year) {
                days.entry(d.date).or_insert(d.kind);
            }
        }
        Calendar { days, provisional }
    }

    /// The schedule shipped with the program (no admin edits): the published years, the
    /// others provisional.
    pub fn official() -> Calendar {
        Calendar::with_provisional(official::days().map(|d| (d.date, d.kind)), &official::years())
    }

    /// A year whose official schedule is not entered (its statutory holidays stand in).
    pub fn is_provisional(&self, year: i32) -> bool {
        self.provisional.contains(&year)
    }

    /// The provisional years from `from` on.
    pub fn provisional_years(&self, from: i32) -> Vec<i32> {
        self.provisional.range(from..).copied().collect()
    }

    /// The first provisional year a deadline counted from `from` to `to` runs through: the
    /// deadline is then 暂定.
    pub fn provisional_between(&self, from: NaiveDate, to: NaiveDate) -> Option<i32> {
        let (a, b) = (from.year().min(to.year()), from.year().max(to.year()));
        self.provisional.range(a..=b).next().copied()
    }

    /// A listed holiday (法定节假日 or another day off the admin entered), not a plain weekend.
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.days.get(&d) == Some(&DayKind::Holiday)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `from` (from itself is not counted, whatever it is);
    /// `n = 0` gives `from`.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from;
        let mut left = n;
        let mut steps = 0;
        while left > 0 && steps < MAX_SPAN_DAYS {
            d += Duration::days(1);
            steps += 1;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The `n`-th working day before `deadline` (for 预警: 3 working days before).
    pub fn working_days_before(&self, deadline: NaiveDate, n: u32) -> NaiveDate {
        let mut d = deadline;
        let mut left = n;
        let mut steps = 0;
        while left > 0 && steps < MAX_SPAN_DAYS {
            d -= Duration::days(1);
            steps += 1;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]` — a handling time in working days (0 when `to <= from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from || (to - from).num_days() > MAX_SPAN_DAYS {
            return 0;
        }
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// `d` if it is a working day, else the next working day.
    pub fn on_or_after(&self, d: NaiveDate) -> NaiveDate {
        let mut d = d;
        let mut steps = 0;
        while !self.is_working_day(d) && steps < MAX_SPAN_DAYS {
            d += Duration::days(1);
            steps += 1;
        }
        d
    }

    /// A limit in calendar months (the 3 months of a suggestion reply): the same day
    /// `months` later (the month's last day when it has no such day), moved to the next
    /// working day when it is not one.
    pub fn add_months(&self, from: NaiveDate, months: u32) -> NaiveDate {
        self.on_or_after(from.checked_add_months(Months::new(months)).unwrap_or(from))
    }
}

/// The Beijing offset (no daylight saving since 1991).
fn beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The Beijing calendar date of a Unix time.
pub fn beijing_date(ts: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default().with_timezone(&beijing()).date_naive()
}

/// The Unix time at which a deadline day ends: 24:00 Asia/Shanghai.
pub fn deadline_end(d: NaiveDate) -> i64 {
    let next = d + Duration::days(1);
    next.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp() - 8 * 3600
}

pub use crate::base::fmt::parse_iso_date as parse_date;

// ------------------------------------------------------------------ stored calendar

#[derive(FromQueryResult)]
struct Row {
    day: String,
    kind: String,
    name: String,
}

/// Every listed day, in date order.
pub async fn days<C: ConnectionTrait>(c: &C) -> Result<Vec<Day>, DbErr> {
    let rows: Vec<Row> = db::query_all(c, "SELECT day, kind, name FROM calendar_days ORDER BY day", vec![]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some(Day { date: parse_date(&r.day)?, kind: DayKind::parse(&r.kind)?, name: r.name }))
        .collect())
}

/// The years whose official schedule is entered (`calendar_years`).
pub async fn official_years<C: ConnectionTrait>(c: &C) -> Result<BTreeSet<i32>, DbErr> {
    let rows = db::query_rows(c, "SELECT year FROM calendar_years", vec![]).await?;
    Ok(rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).map(|y| y as i32).collect())
}

/// The calendar as the admin keeps it: the listed days, the years not entered provisional.
pub async fn load<C: ConnectionTrait>(c: &C) -> Result<Calendar, DbErr> {
    let official = official_years(c).await?;
    Ok(Calendar::with_provisional(days(c).await?.into_iter().map(|d| (d.date, d.kind)), &official))
}

/// How an official year came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YearSource {
    /// The State Council notice, pasted and read.
    Notice,
    /// Days entered one by one (or as ranges), then confirmed.
    Manual,
}

impl YearSource {
    pub fn as_str(self) -> &'static str {
        match self {
            YearSource::Notice => "notice",
            YearSource::Manual => "manual",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            YearSource::Notice => "按国务院办公厅通知录入",
            YearSource::Manual => "逐日录入后确认",
        }
    }
}

/// Makes `year` official. With `days`, they replace what was listed for that year (and any
/// day of the next or last year they name); without, the days listed by hand stand. Audited.
pub async fn save_year<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    year: i32,
    days: Option<&[Day]>,
    source: YearSource,
) -> Result<(), DbErr> {
    if let Some(days) = days {
        db::exec(
            c,
            "DELETE FROM calendar_days WHERE day >= $1 AND day <= $2",
            vec![format!("{year:04}-01-01").into(), format!("{year:04}-12-31").into()],
        )
        .await?;
        for d in days {
            let date = d.date.format("%Y-%m-%d").to_string();
            db::exec(c, "DELETE FROM calendar_days WHERE day = $1", vec![date.clone().into()]).await?;
            db::exec(
                c,
                "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)",
                vec![date.into(), d.kind.as_str().into(), d.name.clone().into()],
            )
            .await?;
        }
    }
    db::exec(c, "DELETE FROM calendar_years WHERE year = $1", vec![i64::from(year).into()]).await?;
    db::exec(
        c,
        "INSERT INTO calendar_years (year, source, saved_at) VALUES ($1, $2, $3)",
        vec![i64::from(year).into(), source.as_str().into(), db::now().into()],
    )
    .await?;
    let listed = self::days(c).await?.into_iter().filter(|d| d.date.year() == year).collect::<Vec<_>>();
    let holidays = listed.iter().filter(|d| d.kind == DayKind::Holiday).count();
    let summary = format!(
        "{year} 年节假日安排（{}）：放假 {holidays} 天，调休上班 {} 天",
        source.label(),
        listed.len() - holidays
    );
    Change::audited("calendar_year_saved", "calendar", year.to_string(), summary).append(c, key, actor).await?;
    Ok(())
}

/// What follows a year made official, in the same transaction: given the calendar before and
/// after, a domain recounts what it counted through that year (the handling loop's open
/// deadlines) and says how many records changed.
pub type Follower = for<'a> fn(
    &'a AppState,
    &'a DatabaseTransaction,
    &'a Actor,
    &'a Calendar,
    &'a Calendar,
    i32,
) -> BoxFuture<'a, crate::base::error::AppResult<u64>>;

/// The followers of this installation (domains add theirs in `Module::register`).
#[derive(Clone, Default)]
pub struct Followers(pub Vec<Follower>);

/// Adds a follower (once).
pub fn follow(s: &AppState, f: Follower) {
    let mut all = s.ext.get::<Followers>().map(|x| (*x).clone()).unwrap_or_default();
    if !all.0.iter().any(|g| std::ptr::fn_addr_eq(*g, f)) {
        all.0.push(f);
        s.ext.insert(all);
    }
}

/// Makes a year official (`save_year`) and lets the followers recount; the number of records
/// they changed.
pub async fn publish_year(
    s: &AppState,
    txn: &DatabaseTransaction,
    key: &[u8],
    actor: &Actor,
    year: i32,
    days: Option<&[Day]>,
    source: YearSource,
) -> crate::base::error::AppResult<u64> {
    let before = load(txn).await?;
    save_year(txn, key, actor, year, days, source).await?;
    let after = load(txn).await?;
    let mut changed = 0;
    for f in s.ext.get::<Followers>().map(|x| x.0.clone()).unwrap_or_default() {
        changed += f(s, txn, actor, &before, &after, year).await?;
    }
    Ok(changed)
}

/// Lists a day (or changes how it is listed); audited.
pub async fn set_day<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, day: &Day) -> Result<(), DbErr> {
    let date = day.date.format("%Y-%m-%d").to_string();
    db::exec(c, "DELETE FROM calendar_days WHERE day = $1", vec![date.clone().into()]).await?;
    db::exec(
        c,
        "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)",
        vec![date.clone().into(), day.kind.as_str().into(), day.name.clone().into()],
    )
    .await?;
    Change::audited("calendar_day_set", "calendar", date.clone(), format!("{date} {} {}", day.kind.label(), day.name))
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// Takes a day off the list (it follows the weekday rule again); audited. False when it was not listed.
pub async fn remove_day<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, date: NaiveDate) -> Result<bool, DbErr> {
    let d = date.format("%Y-%m-%d").to_string();
    let n = db::exec(c, "DELETE FROM calendar_days WHERE day = $1", vec![d.clone().into()]).await?;
    if n > 0 {
        Change::audited("calendar_day_remove", "calendar", d.clone(), format!("{d} 恢复按星期计算"))
            .append(c, key, actor)
            .await?;
    }
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn weekday_rule_and_listed_days() {
        let c = Calendar::official();
        assert!(c.is_working_day(d("2026-11-30")), "a Monday");
        assert!(!c.is_working_day(d("2026-11-29")), "a Sunday");
        assert!(!c.is_working_day(d("2026-10-01")), "国庆");
        assert!(c.is_working_day(d("2026-10-10")), "国庆调休上班 (a Saturday)");
        assert!(c.is_working_day(d("2026-02-14")), "春节调休上班 (a Saturday)");
        assert!(!c.is_working_day(d("2026-02-23")), "春节 (a Monday)");
    }

    #[test]
    fn counting_starts_the_working_day_after() {
        let c = Calendar::official();
        // Assigned Friday 2026-11-27: day 1 is Monday 30th, day 5 is Friday 4 December.
        assert_eq!(c.add_working_days(d("2026-11-27"), 1), d("2026-11-30"));
        assert_eq!(c.add_working_days(d("2026-11-27"), 5), d("2026-12-04"));
        // Assigned on a Sunday: Monday is day 1.
        assert_eq!(c.add_working_days(d("2026-11-29"), 1), d("2026-11-30"));
        assert_eq!(c.add_working_days(d("2026-11-27"), 0), d("2026-11-27"));
    }

    #[test]
    fn deadlines_cross_the_national_day_holiday() {
        let c = Calendar::official();
        // Assigned Monday 2026-09-28: 29th, 30th are days 1–2; 1–7 October rest; Thursday 8th
        // and Friday 9th are days 3–4; Saturday 10th is a make-up working day (5).
        assert_eq!(c.add_working_days(d("2026-09-28"), 5), d("2026-10-10"));
        assert_eq!(c.add_working_days(d("2026-09-28"), 6), d("2026-10-12"));
        // Fifteen working days from 2026-09-18 (Friday); Sunday 20 September is worked.
        assert_eq!(c.add_working_days(d("2026-09-18"), 1), d("2026-09-20"));
        assert_eq!(c.working_days_between(d("2026-09-28"), d("2026-10-12")), 6);
    }

    #[test]
    fn spring_festival_and_warnings() {
        let c = Calendar::official();
        // 2026 春节: 15–23 February rest, Saturday 14th and 28th worked.
        assert_eq!(c.add_working_days(d("2026-02-12"), 1), d("2026-02-13"));
        assert_eq!(c.add_working_days(d("2026-02-13"), 1), d("2026-02-14"));
        assert_eq!(c.add_working_days(d("2026-02-14"), 1), d("2026-02-24"));
        // 预警 3 working days before Tuesday 24 February: 13th, 14th, and … the 12th.
        assert_eq!(c.working_days_before(d("2026-02-24"), 3), d("2026-02-12"));
    }

    #[test]
    fn months_move_to_the_next_working_day() {
        let c = Calendar::official();
        // 2026-07-01 + 3 months = 2026-10-01 (国庆) → Thursday 8 October.
        assert_eq!(c.add_months(d("2026-07-01"), 3), d("2026-10-08"));
        // 31 January + 1 month = 28 February 2026, a make-up Saturday: worked.
        assert_eq!(c.add_months(d("2026-01-31"), 1), d("2026-02-28"));
        // 2026-11-30 + 3 months = 2027-02-28, a Sunday → Monday 1 March.
        assert_eq!(c.add_months(d("2026-11-30"), 3), d("2027-03-01"));
    }

    #[test]
    fn a_deadline_ends_at_midnight_beijing_time() {
        // 2026-12-04 24:00 +08:00 = 2026-12-04 16:00 UTC.
        let end = deadline_end(d("2026-12-04"));
        assert_eq!(end, chrono::DateTime::parse_from_rfc3339("2026-12-04T16:00:00Z").unwrap().timestamp());
        assert_eq!(beijing_date(end - 1), d("2026-12-04"));
        assert_eq!(beijing_date(end), d("2026-12-05"));
    }

    #[test]
    fn official_schedule_is_consistent() {
        for day in official::days() {
            let weekend = matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun);
            if day.kind == DayKind::Workday {
                assert!(weekend, "{} is listed as a make-up working day but is a weekday", day.date);
            }
        }
        // 2026 has 7 holidays with 3+9+3+5+3+3+7 days.
        let holidays_2026 = official::days().filter(|x| x.date.year() == 2026 && x.kind == DayKind::Holiday).count();
        assert_eq!(holidays_2026, 33);
    }
}
