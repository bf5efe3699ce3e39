//! The State Council's published holiday schedules (国务院办公厅关于部分节假日安排的通知), as
//! shipped defaults: seeded into an empty calendar, then edited by the admin. Years not yet
//! published (at the time of writing: 2027, announced each November) are entered by the admin.

use chrono::NaiveDate;

use super::{Day, DayKind};

/// (first day, last day, name) of each holiday, and the make-up working days, per year.
const HOLIDAYS: &[(&str, &str, &str)] = &[
    // 国办发明电〔2024〕12号 — 2025
    ("2025-01-01", "2025-01-01", "元旦"),
    ("2025-01-28", "2025-02-04", "春节"),
    ("2025-04-04", "2025-04-06", "清明节"),
    ("2025-05-01", "2025-05-05", "劳动节"),
    ("2025-05-31", "2025-06-02", "端午节"),
    ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    // 国务院办公厅 2025年11月4日 — 2026
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
];

const WORKDAYS: &[(&str, &str)] = &[
    ("2025-01-26", "春节调休上班"),
    ("2025-02-08", "春节调休上班"),
    ("2025-04-27", "劳动节调休上班"),
    ("2025-09-28", "国庆节调休上班"),
    ("2025-10-11", "国庆节调休上班"),
    ("2026-01-04", "元旦调休上班"),
    ("2026-02-14", "春节调休上班"),
    ("2026-02-28", "春节调休上班"),
    ("2026-05-09", "劳动节调休上班"),
    ("2026-09-20", "国庆节调休上班"),
    ("2026-10-10", "国庆节调休上班"),
];

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a valid date in the shipped table")
}

/// The years the shipped schedule covers (official; the others are provisional).
pub fn years() -> std::collections::BTreeSet<i32> {
    HOLIDAYS.iter().map(|(from, _, _)| chrono::Datelike::year(&date(from))).collect()
}

/// Every listed day of the shipped schedule.
pub fn days() -> impl Iterator<Item = Day> {
    let holidays = HOLIDAYS.iter().flat_map(|(from, to, name)| {
        let (from, to) = (date(from), date(to));
        from.iter_days().take_while(move |d| *d <= to).map(move |d| Day {
            date: d,
            kind: DayKind::Holiday,
            name: name.to_string(),
        })
    });
    let workdays =
        WORKDAYS.iter().map(|(d, name)| Day { date: date(d), kind: DayKind::Workday, name: name.to_string() });
    holidays.chain(workdays)
}
