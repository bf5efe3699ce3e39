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
