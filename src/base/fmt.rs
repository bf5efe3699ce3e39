//! Display formats of ui.md: dates `2026-11-22` in tables, `2026年11月22日` in prose, 24 h times, Beijing time.

use chrono::{DateTime, FixedOffset, TimeZone};

fn beijing(ts: i64) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    tz.timestamp_opt(ts, 0).single().unwrap_or_else(|| tz.timestamp_opt(0, 0).single().expect("epoch"))
}

pub fn date(ts: i64) -> String {
    beijing(ts).format("%Y-%m-%d").to_string()
}

pub fn datetime(ts: i64) -> String {
    beijing(ts).format("%Y-%m-%d %H:%M").to_string()
}

pub fn date_prose(ts: i64) -> String {
    let d = beijing(ts);
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 12345 → "12,345"
pub fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::thousands(1234567), "1,234,567");
        assert_eq!(super::thousands(12), "12");
        assert_eq!(super::date(1_795_305_600), "2026-11-22");
        assert_eq!(super::date_prose(1_795_305_600), "2026年11月22日");
    }
}

// ------------------------------------------------------------------ reading dates

/// Full-width ASCII (「２０２６」, 「／」) as half-width; the ideographic space as a space.
pub fn halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// A date as people type it: 2026-12-01, 2026/12/1, 2026.12.1, 2026年12月1日, 20261201,
/// full-width digits, a time after it ignored. The one date parser of the forms and imports.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    parse_date_parts(s, false)
}

/// Like [`parse_date`], also taking a month alone (1975-03, 197503) as its first day —
/// for birth dates in rosters, where only the month is often known.
pub fn parse_date_or_month(s: &str) -> Option<chrono::NaiveDate> {
    parse_date_parts(s, true)
}

/// The API's dates: exactly `YYYY-MM-DD` (documented in the OpenAPI document).
pub fn parse_iso_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn parse_date_parts(s: &str, month_alone: bool) -> Option<chrono::NaiveDate> {
    use chrono::NaiveDate;
    let s = halfwidth(s);
    let s = s.trim();
    // 「1975-03-08 00:00:00」 or 「1975-03-08T00:00:00」: keep the date part.
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    if s.chars().all(|c| c.is_ascii_digit()) {
        return match s.len() {
            8 => NaiveDate::from_ymd_opt(s[..4].parse().ok()?, s[4..6].parse().ok()?, s[6..].parse().ok()?),
            6 if month_alone => NaiveDate::from_ymd_opt(s[..4].parse().ok()?, s[4..].parse().ok()?, 1),
            _ => None,
        };
    }
    let s = s.strip_suffix(['日', '号']).unwrap_or(s);
    let unified: String = s.chars().map(|c| if matches!(c, '年' | '月' | '/' | '.' | '-') { '-' } else { c }).collect();
    let parts: Vec<&str> = unified.trim_end_matches('-').split('-').collect();
    let ok = |p: &str, lens: &[usize]| lens.contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit());
    match parts.as_slice() {
        [y, m] if month_alone && ok(y, &[4]) && ok(m, &[1, 2]) => {
            NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
        }
        [y, m, d] if ok(y, &[4]) && ok(m, &[1, 2]) && ok(d, &[1, 2]) => {
            NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn dates_as_people_type_them() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1);
        for s in [
            "2026-12-01",
            "2026/12/1",
            "2026.12.1",
            "2026年12月1日",
            "20261201",
            "２０２６－１２－０１",
            "2026-12-01 09:30",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        for s in ["2026-13-01", "2026-02-30", "12/01/2026", "明天", "", "2026-12"] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(parse_date_or_month("1975-03"), NaiveDate::from_ymd_opt(1975, 3, 1));
        assert_eq!(parse_date_or_month("197503"), NaiveDate::from_ymd_opt(1975, 3, 1));
        assert_eq!(parse_iso_date("2026-12-01"), d);
        assert_eq!(parse_iso_date("2026/12/01"), None);
    }
}
