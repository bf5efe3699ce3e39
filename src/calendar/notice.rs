//! Reads the text of a State Council notice (国务院办公厅关于 YYYY 年部分节假日安排的通知) as the
//! admin pastes it: the numbered items 「一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。
//! 1月4日（周日）上班。」 become the year's holidays and 调休 working days. What does not add up
//! (a weekday in brackets that is not the date's, a day count that differs from the range, a
//! make-up working day on a weekday) is reported beside what was read, for the admin to check.

use chrono::{Datelike, NaiveDate, Weekday};

use super::{Day, DayKind};
use crate::base::fmt::halfwidth;

/// One numbered item of the notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Festival {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 「共N天」 as stated.
    pub stated_days: Option<u32>,
    /// 调休上班.
    pub workdays: Vec<NaiveDate>,
}

impl Festival {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
    /// The make-up days' name: 「国庆节调休上班」 for the item 「国庆节、中秋节」.
    fn workday_name(&self) -> String {
        format!("{}调休上班", self.name.split('、').next().unwrap_or(&self.name))
    }
}

/// What was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub year: i32,
    pub festivals: Vec<Festival>,
    /// Things the admin should look at before saving.
    pub warnings: Vec<String>,
}

impl Notice {
    /// Every day listed: the holidays' ranges and the make-up working days, in date order.
    pub fn days(&self) -> Vec<Day> {
        let mut out: Vec<Day> = Vec::new();
        for f in &self.festivals {
            for date in f.from.iter_days().take_while(|d| *d <= f.to) {
                out.push(Day { date, kind: DayKind::Holiday, name: f.name.clone() });
            }
            for date in &f.workdays {
                out.push(Day { date: *date, kind: DayKind::Workday, name: f.workday_name() });
            }
        }
        out.sort_by_key(|d| d.date);
        out.dedup_by_key(|d| d.date);
        out
    }
}

/// The longest text read (a notice is about 1,000 characters).
pub const MAX_CHARS: usize = 20_000;

/// Reads a notice. `year` is used when the text does not name its year (only the items pasted).
pub fn parse(text: &str, year: Option<i32>) -> Result<Notice, String> {
    if text.chars().count() > MAX_CHARS {
        return Err(format!("粘贴的内容太长（超过 {MAX_CHARS} 字），请只粘贴通知正文"));
    }
    let text = halfwidth(text);
    let year = notice_year(&text)
        .or(year)
        .ok_or("没有找到年份：请粘贴带标题的通知全文（「国务院办公厅关于2027年部分节假日安排的通知」），或填写年份")?;
    if !(2000..=2100).contains(&year) {
        return Err(format!("{year} 年不在可录入的范围内"));
    }
    let mut festivals = Vec::new();
    let mut warnings = Vec::new();
    for (name, body) in items(&text) {
        let mut range: Option<(NaiveDate, NaiveDate)> = None;
        let mut stated_days = None;
        let mut workdays = Vec::new();
        for sentence in body.split(['。', '\n']) {
            if range.is_none() && sentence.contains("放假") {
                let dates = dates(sentence, year, &name, &mut warnings);
                if let Some(first) = dates.first() {
                    let last = *dates.last().unwrap_or(first);
                    if last < *first {
                        warnings.push(format!("「{name}」的放假结束日早于开始日（跨年的日期请写明年份），未录入"));
                    } else {
                        range = Some((*first, last));
                    }
                }
                stated_days = count_days(sentence);
            } else if sentence.contains("上班") {
                workdays.extend(dates(sentence, year, &name, &mut warnings));
            }
        }
        let Some((from, to)) = range else {
            warnings.push(format!("「{name}」没有读到放假日期，未录入"));
            continue;
        };
        let f = Festival { name, from, to, stated_days, workdays };
        if let Some(n) = f.stated_days
            && i64::from(n) != f.days()
        {
            warnings.push(format!(
                "「{}」写的是共 {n} 天，读到的 {} 至 {} 是 {} 天",
                f.name,
                f.from.format("%Y-%m-%d"),
                f.to.format("%Y-%m-%d"),
                f.days()
            ));
        }
        if f.days() > 15 {
            warnings.push(format!("「{}」放假 {} 天，请核对", f.name, f.days()));
        }
        for w in &f.workdays {
            if !is_weekend(*w) {
                warnings.push(format!("「{}」的调休上班日 {} 不是周末，请核对", f.name, w.format("%Y-%m-%d")));
            }
        }
        festivals.push(f);
    }
    if festivals.is_empty() {
        return Err(
            "没有读到放假安排：请粘贴通知中「一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。」这样的条目".into(),
        );
    }
    Ok(Notice { year, festivals, warnings })
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The notice's year: 「关于2027年部分节假日」, else 「现将2027年元旦…」 (the preamble may name
/// other years first, such as 「根据2024年11月修订的…」).
fn notice_year(text: &str) -> Option<i32> {
    ["关于", "现将"].iter().find_map(|lead| {
        text.match_indices(lead).find_map(|(i, _)| {
            let rest = &text[i + lead.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (digits.len() == 4 && rest[4..].starts_with('年')).then(|| digits.parse().ok()).flatten()
        })
    })
}

const NUMERALS: &str = "一二三四五六七八九十";

/// The numbered items 「一、名称：正文」, with their names and bodies. An item starts at a
/// line's (or sentence's) beginning; its name is short and ends at the colon.
fn items(text: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut starts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at_start = i == 0 || chars[i - 1].is_whitespace() || matches!(chars[i - 1], '。' | ':' | ';');
        if at_start && NUMERALS.contains(chars[i]) {
            let mut j = i;
            while j < chars.len() && NUMERALS.contains(chars[j]) {
                j += 1;
            }
            if j < chars.len() && chars[j] == '、' {
                starts.push((i, j + 1));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    let mut out = Vec::new();
    for (k, (_, body_start)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map(|s| s.0).unwrap_or(chars.len());
        let item: String = chars[*body_start..end].iter().collect();
        let Some((name, body)) = item.split_once(':') else { continue };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 12 || name.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        // The item ends with its line: what follows the last item (closing words, signature,
        // date of issue) is not part of it.
        let body = body.trim_start();
        let body = body.split("\n").next().unwrap_or(body);
        out.push((name.to_string(), body.to_string()));
    }
    out
}

/// 「共3天」.
fn count_days(sentence: &str) -> Option<u32> {
    let i = sentence.find('共')?;
    let digits: String = sentence[i + '共'.len_utf8()..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The dates of a sentence: 「[YYYY年]M月D日」, later dates of the same month as 「D日」; a weekday
/// in the brackets after a date (「（周四）」, 「（农历除夕、周二）」) is checked.
fn dates(sentence: &str, year: i32, name: &str, warnings: &mut Vec<String>) -> Vec<NaiveDate> {
    let chars: Vec<char> = sentence.chars().collect();
    let (mut y, mut m) = (year, None::<u32>);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        let n: u32 = chars[i..j].iter().collect::<String>().parse().unwrap_or(0);
        match chars.get(j) {
            Some('年') => y = n as i32,
            Some('月') => m = Some(n),
            Some('日') => {
                let date = m.and_then(|m| NaiveDate::from_ymd_opt(y, m, n));
                match date {
                    Some(date) => {
                        if let Some(w) = bracket_weekday(&chars[j + 1..])
                            && w != date.weekday()
                        {
                            warnings.push(format!(
                                "「{name}」{} 是{}，通知里写的是{}",
                                date.format("%Y-%m-%d"),
                                weekday_name(date.weekday()),
                                weekday_name(w)
                            ));
                        }
                        out.push(date);
                    }
                    None => warnings.push(format!("「{name}」中的日期「{}日」不存在", n)),
                }
            }
            _ => {}
        }
        i = j + 1;
    }
    out
}

/// The weekday in the brackets that open right after a date, if any.
fn bracket_weekday(rest: &[char]) -> Option<Weekday> {
    if rest.first() != Some(&'(') {
        return None;
    }
    let inner: String = rest[1..].iter().take_while(|c| **c != ')').collect();
    let i = inner.find('周')?;
    let c = inner[i + '周'.len_utf8()..].chars().next()?;
    Some(match c {
        '一' => Weekday::Mon,
        '二' => Weekday::Tue,
        '三' => Weekday::Wed,
        '四' => Weekday::Thu,
        '五' => Weekday::Fri,
        '六' => Weekday::Sat,
        '日' | '天' => Weekday::Sun,
        _ => return None,
    })
}

pub fn weekday_name(w: Weekday) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][w.num_days_from_monday() as usize]
}

/// Every day of a range typed by hand, `from` to `to` inclusive (at most a year).
pub fn range(from: NaiveDate, to: NaiveDate) -> Option<Vec<NaiveDate>> {
    if to < from || (to - from).num_days() > 366 {
        return None;
    }
    Some(from.iter_days().take_while(|d| *d <= to).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real notices read to exactly the shipped schedule (`official.rs`, the ground truth):
    /// every holiday and make-up day, with its name, and nothing else.
    #[test]
    fn the_2025_and_2026_notices_read_to_the_shipped_schedule() {
        for (year, text, items) in [
            (2025, include_str!("../../tests/fixtures/holiday-notice-2025.txt"), 6),
            (2026, include_str!("../../tests/fixtures/holiday-notice-2026.txt"), 7),
        ] {
            let n = parse(text, None).unwrap();
            assert_eq!(n.year, year);
            assert_eq!(n.festivals.len(), items);
            assert!(n.warnings.is_empty(), "{year}: {:?}", n.warnings);
            let mut shipped: Vec<Day> = super::super::official::days().filter(|d| d.date.year() == year).collect();
            shipped.sort_by_key(|d| d.date);
            assert_eq!(n.days(), shipped, "{year}");
        }
        // The same text with half-width punctuation, as news sites often carry it.
        let half = crate::base::fmt::halfwidth(include_str!("../../tests/fixtures/holiday-notice-2026.txt"));
        assert_eq!(parse(&half, None).unwrap().days().len(), 33 + 6);
    }

    #[test]
    fn items_and_years_are_found() {
        let n = parse("一、元旦:1月1日(周五)放假1天,不调休。", Some(2027)).unwrap();
        assert_eq!(n.year, 2027);
        assert_eq!(n.festivals.len(), 1);
        assert_eq!(n.festivals[0].from, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(n.festivals[0].to, n.festivals[0].from);
        assert!(n.warnings.is_empty(), "{:?}", n.warnings);
        assert!(parse("一、元旦：1月1日放假。", None).is_err(), "no year");
        assert!(parse("今年没有安排。", Some(2027)).is_err(), "no items");
    }

    #[test]
    fn what_does_not_add_up_is_reported() {
        let n =
            parse("一、元旦：1月1日（周四）至3日（周日）放假调休，共4天。1月6日（周三）上班。", Some(2027)).unwrap();
        let w = n.warnings.join("\n");
        assert!(w.contains("2027-01-01 是周五，通知里写的是周四"), "{w}");
        assert!(w.contains("共 4 天"), "{w}");
        assert!(w.contains("2027-01-06 不是周末"), "{w}");
        // Still read as written, for the admin to correct.
        assert_eq!(n.days().len(), 4);
    }

    #[test]
    fn a_range_across_the_new_year() {
        let n = parse("一、元旦：2026年12月31日至2027年1月2日放假调休，共3天。", Some(2027)).unwrap();
        assert_eq!(n.festivals[0].from, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!(n.festivals[0].days(), 3, "{:?}", n);
        assert!(n.warnings.is_empty(), "{:?}", n.warnings);
        let n = parse("一、元旦：12月31日至1月2日放假调休，共3天。", Some(2027)).unwrap_err();
        assert!(n.contains("没有读到"), "{n}");
    }
}
