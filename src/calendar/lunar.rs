//! The statutory holidays of a year whose official schedule is not entered yet (PLAT-10): a
//! **provisional** schedule computed from the 《全国年节及纪念日放假办法》 (as revised in 2024,
//! in force since 2025): 元旦 1 January; 春节 农历除夕 and 正月初一 to 初三 (4 days); 清明 the day
//! of the 清明 solar term; 劳动节 1–2 May; 端午 五月初五; 中秋 八月十五; 国庆 1–3 October. Only the
//! statutory days: the State Council's 调休 (make-up working days, longer breaks) cannot be guessed.

use chrono::{Datelike, Days, NaiveDate};

use super::{Day, DayKind};

/// The first lunar year of the table; its 正月初一 is [`FIRST_NEW_YEAR`].
pub const FIRST_YEAR: i32 = 2020;
/// The last lunar year of the table.
pub const LAST_YEAR: i32 = 2060;
/// 正月初一 of 2020 (the anchor; every later new year is this plus the lengths of the years).
const FIRST_NEW_YEAR: (i32, u32, u32) = (2020, 1, 25);

/// One word per lunar year 2020–2060, in the encoding of the widely published `lunarInfo`
/// table (Hong Kong Observatory data as carried by the public-domain JavaScript calendars,
/// e.g. jjonline/calendar.js, with its 2033 correction): bits 15…4 say whether months 1…12
/// have 30 days (set) or 29; bits 3…0 name the leap month (0: none); bit 16 says whether the
/// leap month has 30 days. Checked year by year against an astronomical computation in the tests.
const MONTHS: [u32; 41] = [
    0x07954, 0x06aa0, 0x0ad50, 0x05b52, 0x04b60, 0x0a6e6, 0x0a4e0, 0x0d260, 0x0ea65, 0x0d530, // 2020–2029
    0x05aa0, 0x076a3, 0x096d0, 0x04afb, 0x04ad0, 0x0a4d0, 0x1d0b6, 0x0d250, 0x0d520, 0x0dd45, // 2030–2039
    0x0b5a0, 0x056d0, 0x055b2, 0x049b0, 0x0a577, 0x0a4b0, 0x0aa50, 0x1b255, 0x06d20, 0x0ada0, // 2040–2049
    0x14b63, 0x09370, 0x049f8, 0x04970, 0x064b0, 0x168a6, 0x0ea50, 0x06b20, 0x1a6c4, 0x0aae0, // 2050–2059
    0x0a2e0, // 2060
];

/// The lengths of the months of a lunar year in order, the leap month after its namesake:
/// (month, leap, days).
fn months(year: i32) -> Vec<(u32, bool, u32)> {
    let info = MONTHS[(year - FIRST_YEAR) as usize];
    let leap = info & 0xf;
    let mut out = Vec::with_capacity(13);
    for m in 1..=12 {
        out.push((m, false, if info & (0x10000 >> m) != 0 { 30 } else { 29 }));
        if m == leap {
            out.push((m, true, if info & 0x10000 != 0 { 30 } else { 29 }));
        }
    }
    out
}

/// Whether the table covers a year.
pub fn covers(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

/// 正月初一 of a lunar year (2020–2060), as a Gregorian date.
pub fn new_year(year: i32) -> Option<NaiveDate> {
    if !covers(year) {
        return None;
    }
    let (y, m, d) = FIRST_NEW_YEAR;
    let mut day = NaiveDate::from_ymd_opt(y, m, d)?;
    for y in FIRST_YEAR..year {
        let len: u32 = months(y).iter().map(|(_, _, n)| n).sum();
        day = day.checked_add_days(Days::new(u64::from(len)))?;
    }
    Some(day)
}

/// The Gregorian date of a (non-leap) lunar month and day of a lunar year.
pub fn lunar_date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let start = new_year(year)?;
    let mut offset = 0_u32;
    for (m, leap, len) in months(year) {
        if m == month && !leap {
            return (day >= 1 && day <= len).then(|| start + Days::new(u64::from(offset + day - 1)));
        }
        offset += len;
    }
    None
}

/// The day of the 清明 solar term in April of a 21st-century year, by the usual formula
/// `⌊Y·0.2422 + C⌋ − ⌊Y/4⌋` (Y the last two digits, C = 4.81 for 2001–2099).
pub fn qingming(year: i32) -> Option<NaiveDate> {
    if !(2001..=2099).contains(&year) {
        return None;
    }
    let y = f64::from(year % 100);
    let day = (y * 0.2422 + 4.81).floor() as i32 - (year % 100) / 4;
    NaiveDate::from_ymd_opt(year, 4, day as u32)
}

/// The statutory holidays of a Gregorian year (2020–2060), named, in date order (computed
/// once per process: every `calendar::load` asks for all of them).
pub fn statutory_holidays(year: i32) -> Vec<Day> {
    static ALL: std::sync::OnceLock<Vec<Vec<Day>>> = std::sync::OnceLock::new();
    if !covers(year) {
        return Vec::new();
    }
    let all = ALL.get_or_init(|| (FIRST_YEAR..=LAST_YEAR).map(compute).collect());
    all[(year - FIRST_YEAR) as usize].clone()
}

fn compute(year: i32) -> Vec<Day> {
    let mut out = Vec::new();
    let mut add = |from: Option<NaiveDate>, n: u64, name: &str| {
        if let Some(from) = from {
            for i in 0..n {
                let date = from + Days::new(i);
                if date.year() == year {
                    out.push(Day { date, kind: DayKind::Holiday, name: name.to_string() });
                }
            }
        }
    };
    if !covers(year) {
        return out;
    }
    add(NaiveDate::from_ymd_opt(year, 1, 1), 1, "元旦");
    // 除夕 is the day before 正月初一 (the last day of 腊月, whether it has 29 or 30 days).
    add(new_year(year).and_then(|d| d.pred_opt()), 4, "春节");
    add(qingming(year), 1, "清明节");
    add(NaiveDate::from_ymd_opt(year, 5, 1), 2, "劳动节");
    add(lunar_date(year, 5, 5), 1, "端午节");
    add(lunar_date(year, 8, 15), 1, "中秋节");
    add(NaiveDate::from_ymd_opt(year, 10, 1), 3, "国庆节");
    out.sort_by_key(|d| d.date);
    out.dedup_by_key(|d| d.date);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// 春节, 端午, 中秋 and 清明 of every year of the table, as computed astronomically by
    /// lunar-python 1.4.8 (6tail's `Lunar`, an independent implementation) — the table must agree.
    const KNOWN: &[(i32, &str, &str, &str, &str)] = &[
        (2020, "2020-01-25", "2020-06-25", "2020-10-01", "2020-04-04"),
        (2021, "2021-02-12", "2021-06-14", "2021-09-21", "2021-04-04"),
        (2022, "2022-02-01", "2022-06-03", "2022-09-10", "2022-04-05"),
        (2023, "2023-01-22", "2023-06-22", "2023-09-29", "2023-04-05"),
        (2024, "2024-02-10", "2024-06-10", "2024-09-17", "2024-04-04"),
        (2025, "2025-01-29", "2025-05-31", "2025-10-06", "2025-04-04"),
        (2026, "2026-02-17", "2026-06-19", "2026-09-25", "2026-04-05"),
        (2027, "2027-02-06", "2027-06-09", "2027-09-15", "2027-04-05"),
        (2028, "2028-01-26", "2028-05-28", "2028-10-03", "2028-04-04"),
        (2029, "2029-02-13", "2029-06-16", "2029-09-22", "2029-04-04"),
        (2030, "2030-02-03", "2030-06-05", "2030-09-12", "2030-04-05"),
        (2031, "2031-01-23", "2031-06-24", "2031-10-01", "2031-04-05"),
        (2032, "2032-02-11", "2032-06-12", "2032-09-19", "2032-04-04"),
        (2033, "2033-01-31", "2033-06-01", "2033-09-08", "2033-04-04"),
        (2034, "2034-02-19", "2034-06-20", "2034-09-27", "2034-04-05"),
        (2035, "2035-02-08", "2035-06-10", "2035-09-16", "2035-04-05"),
        (2036, "2036-01-28", "2036-05-30", "2036-10-04", "2036-04-04"),
        (2037, "2037-02-15", "2037-06-18", "2037-09-24", "2037-04-04"),
        (2038, "2038-02-04", "2038-06-07", "2038-09-13", "2038-04-05"),
        (2039, "2039-01-24", "2039-05-27", "2039-10-02", "2039-04-05"),
        (2040, "2040-02-12", "2040-06-14", "2040-09-20", "2040-04-04"),
        (2041, "2041-02-01", "2041-06-03", "2041-09-10", "2041-04-04"),
        (2042, "2042-01-22", "2042-06-22", "2042-09-28", "2042-04-04"),
        (2043, "2043-02-10", "2043-06-11", "2043-09-17", "2043-04-05"),
        (2044, "2044-01-30", "2044-05-31", "2044-10-05", "2044-04-04"),
        (2045, "2045-02-17", "2045-06-19", "2045-09-25", "2045-04-04"),
        (2046, "2046-02-06", "2046-06-08", "2046-09-15", "2046-04-04"),
        (2047, "2047-01-26", "2047-05-29", "2047-10-04", "2047-04-05"),
        (2048, "2048-02-14", "2048-06-15", "2048-09-22", "2048-04-04"),
        (2049, "2049-02-02", "2049-06-04", "2049-09-11", "2049-04-04"),
        (2050, "2050-01-23", "2050-06-23", "2050-09-30", "2050-04-04"),
        (2051, "2051-02-11", "2051-06-13", "2051-09-19", "2051-04-05"),
        (2052, "2052-02-01", "2052-06-01", "2052-09-07", "2052-04-04"),
        (2053, "2053-02-19", "2053-06-20", "2053-09-26", "2053-04-04"),
        (2054, "2054-02-08", "2054-06-10", "2054-09-16", "2054-04-04"),
        (2055, "2055-01-28", "2055-05-30", "2055-10-05", "2055-04-05"),
        (2056, "2056-02-15", "2056-06-17", "2056-09-24", "2056-04-04"),
        (2057, "2057-02-04", "2057-06-06", "2057-09-13", "2057-04-04"),
        (2058, "2058-01-24", "2058-06-25", "2058-10-02", "2058-04-04"),
        (2059, "2059-02-12", "2059-06-14", "2059-09-21", "2059-04-05"),
        (2060, "2060-02-02", "2060-06-03", "2060-09-09", "2060-04-04"),
    ];

    #[test]
    fn the_table_agrees_with_the_astronomical_dates() {
        assert_eq!(KNOWN.len() as i32, LAST_YEAR - FIRST_YEAR + 1);
        for (year, spring, dragon, moon, qm) in KNOWN {
            assert_eq!(new_year(*year), Some(d(spring)), "春节 {year}");
            assert_eq!(lunar_date(*year, 5, 5), Some(d(dragon)), "端午 {year}");
            assert_eq!(lunar_date(*year, 8, 15), Some(d(moon)), "中秋 {year}");
            assert_eq!(qingming(*year), Some(d(qm)), "清明 {year}");
        }
        assert_eq!(new_year(2019), None);
        assert_eq!(new_year(2061), None);
    }

    #[test]
    fn the_known_dates_of_the_brief() {
        assert_eq!(new_year(2025), Some(d("2025-01-29")));
        assert_eq!(new_year(2026), Some(d("2026-02-17")));
        assert_eq!(new_year(2027), Some(d("2027-02-06")));
        assert_eq!(new_year(2028), Some(d("2028-01-26")));
        assert_eq!(lunar_date(2027, 5, 5), Some(d("2027-06-09")));
        assert_eq!(lunar_date(2027, 8, 15), Some(d("2027-09-15")));
    }

    #[test]
    fn the_statutory_days_of_2027() {
        let days: Vec<String> =
            statutory_holidays(2027).iter().map(|x| format!("{} {}", x.date.format("%m-%d"), x.name)).collect();
        assert_eq!(
            days,
            [
                "01-01 元旦",
                "02-05 春节",
                "02-06 春节",
                "02-07 春节",
                "02-08 春节",
                "04-05 清明节",
                "05-01 劳动节",
                "05-02 劳动节",
                "06-09 端午节",
                "09-15 中秋节",
                "10-01 国庆节",
                "10-02 国庆节",
                "10-03 国庆节",
            ]
        );
        // 13 statutory days (the law's count since 2025), every year of the table, less one where
        // 中秋 falls on 1–3 October (2020, 2031, …: the days coincide).
        for year in FIRST_YEAR..=LAST_YEAR {
            let moon = lunar_date(year, 8, 15).unwrap();
            let coincide = moon.month() == 10 && moon.day() <= 3;
            assert_eq!(statutory_holidays(year).len(), if coincide { 12 } else { 13 }, "{year}");
        }
        // The 2025 and 2026 notices rest on every statutory day.
        let c = super::super::Calendar::new(super::super::official::days().map(|d| (d.date, d.kind)));
        for year in [2025, 2026] {
            for day in statutory_holidays(year) {
                assert!(c.is_holiday(day.date), "{} {} is a holiday in the notice", day.date, day.name);
            }
        }
    }
}
