//! 进站安排：把工作人员输入的中文进站规则解析成结构化规则，并展开为具体日期的接待时段。

use std::fmt;

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

/// Part of the day a deputy is on duty, so staff can write 上午/下午 instead of exact hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayPart {
    Morning,
    Afternoon,
    Evening,
    AllDay,
}

impl DayPart {
    /// Chinese label used both when parsing and when describing a rule.
    pub fn label(&self) -> &'static str {
        match self {
            DayPart::Morning => "上午",
            DayPart::Afternoon => "下午",
            DayPart::Evening => "晚上",
            DayPart::AllDay => "全天",
        }
    }

    /// Station opening hours assumed when the rule gives no explicit times.
    pub fn default_hours(&self) -> (NaiveTime, NaiveTime) {
        let (sh, sm, eh, em) = match self {
            DayPart::Morning => (9, 0, 11, 30),
            DayPart::Afternoon => (14, 30, 17, 30),
            DayPart::Evening => (19, 0, 21, 0),
            DayPart::AllDay => (9, 0, 17, 30),
        };
        (hm(sh, sm), hm(eh, em))
    }
}

/// How often the duty repeats, mirroring the ways liaison stations actually schedule visits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recurrence {
    /// 每月15日. Months without that day (31 in a 30-day month, 29–31 in February) are skipped.
    MonthlyDay(u32),
    /// 每月第一个周三 / 每月最后一个周五; `nth` is 1..=5, or -1 for the last one.
    MonthlyNthWeekday { nth: i8, weekday: Weekday },
    /// 每周三.
    Weekly(Weekday),
    /// 2026年12月5日: a one-off reception day.
    Once(NaiveDate),
}

/// A parsed 进站规则; `start`/`end` are the part's default hours unless the rule gave explicit ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyRule {
    pub recurrence: Recurrence,
    pub part: DayPart,
    pub start: NaiveTime,
    pub end: NaiveTime,
    /// 云接待 / 线上: voters meet the deputy online instead of at the station.
    pub online: bool,
}

/// One dated reception slot, the unit shown to voters and on the station calendar.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DutySlot {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub online: bool,
}

/// Why a rule was rejected; each variant carries the text as typed so staff see what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    Empty,
    Unrecognized(String),
    DayOutOfRange(String),
    UnknownWeekday(String),
    InvalidNth(String),
    InvalidDate(String),
    InvalidTime(String),
    EndBeforeStart(String),
    ConflictingParts(String),
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, reason, example) = match self {
            RuleError::Empty => {
                return f.write_str("进站规则为空：请填写进站日期，例如“每月15日上午”或“每周三下午”");
            }
            RuleError::Unrecognized(t) => (t, "请写明每月几日、每周几、每月第几个周几或具体日期", "每周三下午"),
            RuleError::DayOutOfRange(t) => (t, "日期应在1至31之间", "每月15日上午"),
            RuleError::UnknownWeekday(t) => (t, "星期应为一、二、三、四、五、六、日（或天）", "每周三下午"),
            RuleError::InvalidNth(t) => (t, "第几个应为1至5或“最后一个”", "每月第一个周一"),
            RuleError::InvalidDate(t) => (t, "该日期不存在", "2026年12月5日上午"),
            RuleError::InvalidTime(t) => (t, "时间应写成“时:分-时:分”", "每周三 14:00-17:00"),
            RuleError::EndBeforeStart(t) => (t, "结束时间应晚于开始时间", "每周三 14:00-17:00"),
            RuleError::ConflictingParts(t) => (t, "只能写一个时段（上午、下午、晚上或全天）", "每月15日上午"),
        };
        write!(f, "无法识别的进站规则“{text}”：{reason}，例如“{example}”")
    }
}

impl std::error::Error for RuleError {}

const WEEKDAY_PREFIXES: [&str; 3] = ["星期", "礼拜", "周"];
const TIME_SEPARATORS: [char; 9] = ['-', '—', '–', '－', '~', '～', '至', '到', '―'];
const PARTS: [(&str, DayPart); 7] = [
    ("上午", DayPart::Morning),
    ("早上", DayPart::Morning),
    ("下午", DayPart::Afternoon),
    ("晚上", DayPart::Evening),
    ("晚间", DayPart::Evening),
    ("全天", DayPart::AllDay),
    ("整天", DayPart::AllDay),
];

/// Parses a rule as typed by staff, e.g. "每月第2个星期四下午" or "每周三 14:00-17:00（线上）".
pub fn parse_rule(text: &str) -> Result<DutyRule, RuleError> {
    let original = text.trim();
    if original.is_empty() {
        return Err(RuleError::Empty);
    }
    let err_text = || original.to_string();
    let normalized = normalize_width(original);

    let (rest, times) = extract_times(&normalized).ok_or_else(|| RuleError::InvalidTime(err_text()))?;
    let mut s: String = rest.chars().filter(|c| !c.is_whitespace()).collect();

    let mut online = false;
    for marker in ["(线上)", "(云接待)", "云接待", "线上接待", "线上"] {
        if s.contains(marker) {
            online = true;
            s = s.replace(marker, "");
        }
    }
    for marker in ["(线下)", "线下接待", "线下"] {
        s = s.replace(marker, "");
    }

    let mut part = None;
    for (word, p) in PARTS {
        if s.contains(word) {
            if part.is_some_and(|q| q != p) {
                return Err(RuleError::ConflictingParts(err_text()));
            }
            part = Some(p);
            s = s.replace(word, "");
        }
    }
    for noise in ["()", "进站", "接待"] {
        s = s.replace(noise, "");
    }
    s.retain(|c| !matches!(c, ',' | '、' | '。' | ';' | '，' | '；'));

    let recurrence = parse_recurrence(&s, original)?;
    let part = part.unwrap_or(DayPart::AllDay);
    let (start, end) = times.unwrap_or_else(|| part.default_hours());
    if end <= start {
        return Err(RuleError::EndBeforeStart(err_text()));
    }
    Ok(DutyRule { recurrence, part, start, end, online })
}

impl DutyRule {
    /// Canonical wording shown back to staff; `parse_rule` reads it back to the same rule.
    pub fn describe(&self) -> String {
        let mut out = match &self.recurrence {
            Recurrence::MonthlyDay(d) => format!("每月{d}日"),
            Recurrence::MonthlyNthWeekday { nth: -1, weekday } => {
                format!("每月最后一个周{}", weekday_char(*weekday))
            }
            Recurrence::MonthlyNthWeekday { nth, weekday } => {
                let n = match nth {
                    1 => "一".to_string(),
                    2 => "二".to_string(),
                    3 => "三".to_string(),
                    4 => "四".to_string(),
                    5 => "五".to_string(),
                    other => other.to_string(),
                };
                format!("每月第{n}个周{}", weekday_char(*weekday))
            }
            Recurrence::Weekly(w) => format!("每周{}", weekday_char(*w)),
            Recurrence::Once(d) => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        };
        let custom = (self.start, self.end) != self.part.default_hours();
        if !(custom && self.part == DayPart::AllDay) {
            out.push_str(self.part.label());
        }
        if custom {
            out.push_str(&format!(" {}-{}", self.start.format("%H:%M"), self.end.format("%H:%M")));
        }
        if self.online {
            out.push_str("（线上）");
        }
        out
    }
}

/// Every slot of `rule` with `from <= date <= to`, in date order.
pub fn expand(rule: &DutyRule, from: NaiveDate, to: NaiveDate) -> Vec<DutySlot> {
    if from > to {
        return Vec::new();
    }
    let dates: Vec<NaiveDate> = match &rule.recurrence {
        Recurrence::Once(d) => vec![*d],
        Recurrence::Weekly(w) => {
            let offset = (w.num_days_from_monday() + 7 - from.weekday().num_days_from_monday()) % 7;
            let first = from + Days::new(u64::from(offset));
            std::iter::successors(Some(first), |d| d.checked_add_days(Days::new(7))).take_while(|d| *d <= to).collect()
        }
        Recurrence::MonthlyDay(day) => {
            months(from, to).filter_map(|(y, m)| NaiveDate::from_ymd_opt(y, m, *day)).collect()
        }
        Recurrence::MonthlyNthWeekday { nth, weekday } => {
            months(from, to).filter_map(|(y, m)| nth_weekday(y, m, *nth, *weekday)).collect()
        }
    };
    dates
        .into_iter()
        .filter(|d| *d >= from && *d <= to)
        .map(|date| DutySlot { date, start: rule.start, end: rule.end, online: rule.online })
        .collect()
}

/// All slots of several rules (e.g. one station's deputies), sorted by (date, start) without duplicates.
pub fn expand_all(rules: &[DutyRule], from: NaiveDate, to: NaiveDate) -> Vec<DutySlot> {
    let mut slots: Vec<DutySlot> = rules.iter().flat_map(|r| expand(r, from, to)).collect();
    slots.sort();
    slots.dedup();
    slots
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("constant time is valid")
}

fn months(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = (i32, u32)> {
    let start = (from.year(), from.month());
    let end = (to.year(), to.month());
    std::iter::successors(Some(start), |&(y, m)| Some(if m == 12 { (y + 1, 1) } else { (y, m + 1) }))
        .take_while(move |ym| *ym <= end)
}

fn nth_weekday(year: i32, month: u32, nth: i8, weekday: Weekday) -> Option<NaiveDate> {
    let target = weekday.num_days_from_monday();
    match nth {
        0 => None,
        n if n > 0 => {
            let first = NaiveDate::from_ymd_opt(year, month, 1)?;
            let offset = (target + 7 - first.weekday().num_days_from_monday()) % 7;
            let day = 1 + offset + 7 * (u32::from(n.unsigned_abs()) - 1);
            NaiveDate::from_ymd_opt(year, month, day)
        }
        n => {
            let next_first = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)?
            };
            let last = next_first.pred_opt()?;
            let offset = (last.weekday().num_days_from_monday() + 7 - target) % 7;
            let back = offset + 7 * (u32::from(n.unsigned_abs()) - 1);
            let date = last.checked_sub_days(Days::new(u64::from(back)))?;
            (date.month() == month).then_some(date)
        }
    }
}

fn weekday_char(w: Weekday) -> char {
    match w {
        Weekday::Mon => '一',
        Weekday::Tue => '二',
        Weekday::Wed => '三',
        Weekday::Thu => '四',
        Weekday::Fri => '五',
        Weekday::Sat => '六',
        Weekday::Sun => '日',
    }
}

fn normalize_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

type TimeRange = (NaiveTime, NaiveTime);

/// Removes an "H:MM-H:MM" range; `None` means a colon was present but no valid range.
fn extract_times(s: &str) -> Option<(String, Option<TimeRange>)> {
    let chars: Vec<char> = s.chars().collect();
    let Some(colon) = chars.iter().position(|&c| c == ':') else {
        return Some((s.to_string(), None));
    };
    let (begin, start, after_start) = read_time(&chars, colon)?;
    let mut i = after_start;
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    let sep_start = i;
    while i < chars.len() && TIME_SEPARATORS.contains(&chars[i]) {
        i += 1;
    }
    if i == sep_start {
        return None;
    }
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    let colon2 = (i..chars.len().min(i + 3)).find(|&j| chars[j] == ':')?;
    let (begin2, end, after_end) = read_time(&chars, colon2)?;
    if begin2 != i {
        return None;
    }
    let rest: String = chars[..begin].iter().chain(&chars[after_end..]).collect();
    if rest.contains(':') {
        return None;
    }
    Some((rest, Some((start, end))))
}

/// Reads "H:MM" around the colon at `colon`, returning (first index, time, index after).
fn read_time(chars: &[char], colon: usize) -> Option<(usize, NaiveTime, usize)> {
    let mut begin = colon;
    while begin > 0 && colon - begin < 2 && chars[begin - 1].is_ascii_digit() {
        begin -= 1;
    }
    let end = colon + 3;
    if begin == colon || end > chars.len() {
        return None;
    }
    let hour: String = chars[begin..colon].iter().collect();
    let minute: String = chars[colon + 1..end].iter().collect();
    if !minute.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if chars.get(end).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let time = NaiveTime::from_hms_opt(hour.parse().ok()?, minute.parse().ok()?, 0)?;
    Some((begin, time, end))
}

fn parse_recurrence(s: &str, original: &str) -> Result<Recurrence, RuleError> {
    let err = |f: fn(String) -> RuleError| f(original.to_string());
    if let Some(rest) = s.strip_prefix("每个月").or_else(|| s.strip_prefix("每月")) {
        if let Some(rest) = rest.strip_prefix("第") {
            let mut chars = rest.chars();
            let nth = match chars.next() {
                Some(c) => match small_number(c) {
                    Some(n @ 1..=5) => n as i8,
                    _ => return Err(err(RuleError::InvalidNth)),
                },
                None => return Err(err(RuleError::InvalidNth)),
            };
            let rest = chars.as_str();
            let rest = rest.strip_prefix('个').unwrap_or(rest);
            let weekday = parse_weekday(rest).ok_or_else(|| err(RuleError::UnknownWeekday))?;
            return Ok(Recurrence::MonthlyNthWeekday { nth, weekday });
        }
        let last = ["最后一个", "最后一", "最后", "倒数第一个", "倒数第一"].iter().find_map(|p| rest.strip_prefix(p));
        if let Some(rest) = last {
            let weekday = parse_weekday(rest).ok_or_else(|| err(RuleError::UnknownWeekday))?;
            return Ok(Recurrence::MonthlyNthWeekday { nth: -1, weekday });
        }
        if rest.starts_with("倒数") {
            return Err(err(RuleError::InvalidNth));
        }
        if WEEKDAY_PREFIXES.iter().any(|p| rest.starts_with(p)) {
            return Err(err(RuleError::InvalidNth));
        }
        let digits = rest.strip_suffix('日').or_else(|| rest.strip_suffix('号')).unwrap_or(rest);
        let day = parse_number(digits).ok_or_else(|| err(RuleError::Unrecognized))?;
        if !(1..=31).contains(&day) {
            return Err(err(RuleError::DayOutOfRange));
        }
        return Ok(Recurrence::MonthlyDay(day));
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let (y, m, d) = parse_ymd(s).ok_or_else(|| err(RuleError::Unrecognized))?;
        let date = i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
            .ok_or_else(|| err(RuleError::InvalidDate))?;
        return Ok(Recurrence::Once(date));
    }
    let rest = s.strip_prefix('每').unwrap_or(s);
    let rest = rest.strip_prefix('个').unwrap_or(rest);
    if WEEKDAY_PREFIXES.iter().any(|p| rest.starts_with(p)) {
        let weekday = parse_weekday(rest).ok_or_else(|| err(RuleError::UnknownWeekday))?;
        return Ok(Recurrence::Weekly(weekday));
    }
    Err(err(RuleError::Unrecognized))
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    let rest = WEEKDAY_PREFIXES.iter().find_map(|p| s.strip_prefix(p))?;
    let mut chars = rest.chars();
    let c = chars.next()?;
    if !chars.as_str().is_empty() {
        return None;
    }
    Some(match c {
        '一' | '1' => Weekday::Mon,
        '二' | '2' => Weekday::Tue,
        '三' | '3' => Weekday::Wed,
        '四' | '4' => Weekday::Thu,
        '五' | '5' => Weekday::Fri,
        '六' | '6' => Weekday::Sat,
        '日' | '天' | '7' => Weekday::Sun,
        _ => return None,
    })
}

fn small_number(c: char) -> Option<u32> {
    match c {
        '零' => Some(0),
        '一' => Some(1),
        '二' | '两' => Some(2),
        '三' => Some(3),
        '四' => Some(4),
        '五' => Some(5),
        '六' => Some(6),
        '七' => Some(7),
        '八' => Some(8),
        '九' => Some(9),
        _ => c.to_digit(10),
    }
}

/// Reads ASCII digits or a Chinese numeral below 100 such as 十五 or 三十一.
fn parse_number(s: &str) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return Some(s.parse().unwrap_or(u32::MAX));
    }
    let chars: Vec<char> = s.chars().collect();
    match chars.iter().position(|&c| c == '十') {
        Some(i) => {
            let tens = match &chars[..i] {
                [] => 1,
                [c] => small_number(*c).filter(|n| (1..=9).contains(n))?,
                _ => return None,
            };
            let units = match &chars[i + 1..] {
                [] => 0,
                [c] => small_number(*c).filter(|n| (1..=9).contains(n))?,
                _ => return None,
            };
            Some(tens * 10 + units)
        }
        None => match chars.as_slice() {
            [c] => small_number(*c),
            _ => None,
        },
    }
}

fn parse_ymd(s: &str) -> Option<(u32, u32, u32)> {
    let num = |p: &str| -> Option<u32> {
        if p.is_empty() || p.len() > 4 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    if let Some((y, rest)) = s.split_once('年') {
        let (m, rest) = rest.split_once('月')?;
        let d = rest.strip_suffix('日').or_else(|| rest.strip_suffix('号')).unwrap_or(rest);
        return Some((num(y)?, num(m)?, num(d)?));
    }
    let sep = ['-', '/', '.'].into_iter().find(|c| s.contains(*c))?;
    let mut parts = s.split(sep);
    let ymd = (num(parts.next()?)?, num(parts.next()?)?, num(parts.next()?)?);
    parts.next().is_none().then_some(ymd)
}

/// One dated duty slot: a deputy at a station on a day and time.
#[derive(Clone, Debug, sea_orm::FromQueryResult, serde::Serialize, schemars::JsonSchema)]
pub struct Slot {
    #[serde(skip)]
    #[schemars(skip)]
    pub id: i64,
    pub station_id: i64,
    #[serde(rename = "deputy_id")]
    pub person_id: i64,
    #[serde(rename = "deputy_name")]
    pub person_name: String,
    /// `YYYY-MM-DD`
    #[serde(rename = "date")]
    pub slot_date: String,
    /// `HH:MM`, Beijing time
    pub start_time: String,
    pub end_time: String,
    /// 云接待: the deputy receives voters online
    pub online: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rule(recurrence: Recurrence, part: DayPart) -> DutyRule {
        let (start, end) = part.default_hours();
        DutyRule { recurrence, part, start, end, online: false }
    }

    fn timed(recurrence: Recurrence, part: DayPart, start: NaiveTime, end: NaiveTime) -> DutyRule {
        DutyRule { start, end, ..rule(recurrence, part) }
    }

    fn online(r: DutyRule) -> DutyRule {
        DutyRule { online: true, ..r }
    }

    fn accepted() -> Vec<(&'static str, DutyRule)> {
        use DayPart::*;
        use Recurrence::*;
        let nth = |nth, weekday| MonthlyNthWeekday { nth, weekday };
        vec![
            ("每月15日", rule(MonthlyDay(15), AllDay)),
            ("每月15号上午", rule(MonthlyDay(15), Morning)),
            ("每月1日下午", rule(MonthlyDay(1), Afternoon)),
            ("每月十五日上午", rule(MonthlyDay(15), Morning)),
            ("每月三十一日", rule(MonthlyDay(31), AllDay)),
            ("每月１５日", rule(MonthlyDay(15), AllDay)),
            ("　每月 15 日 下午 ", rule(MonthlyDay(15), Afternoon)),
            ("每周三下午", rule(Weekly(Weekday::Wed), Afternoon)),
            ("每周六上午", rule(Weekly(Weekday::Sat), Morning)),
            ("每周五晚上", rule(Weekly(Weekday::Fri), Evening)),
            ("星期三", rule(Weekly(Weekday::Wed), AllDay)),
            ("周日全天", rule(Weekly(Weekday::Sun), AllDay)),
            ("每周天", rule(Weekly(Weekday::Sun), AllDay)),
            ("每个星期二上午", rule(Weekly(Weekday::Tue), Morning)),
            ("每月第一个周一", rule(nth(1, Weekday::Mon), AllDay)),
            ("每月第2个星期四下午", rule(nth(2, Weekday::Thu), Afternoon)),
            ("每月第五个周六", rule(nth(5, Weekday::Sat), AllDay)),
            ("每月第３个周二晚上", rule(nth(3, Weekday::Tue), Evening)),
            ("每月最后一个周五", rule(nth(-1, Weekday::Fri), AllDay)),
            ("每月最后一个星期日上午", rule(nth(-1, Weekday::Sun), Morning)),
            ("每月最后一周五", rule(nth(-1, Weekday::Fri), AllDay)),
            ("每月倒数第一个周三", rule(nth(-1, Weekday::Wed), AllDay)),
            ("2026年12月5日上午", rule(Once(date(2026, 12, 5)), Morning)),
            ("2026-12-05 晚上", rule(Once(date(2026, 12, 5)), Evening)),
            ("２０２６年１２月５日", rule(Once(date(2026, 12, 5)), AllDay)),
            ("每周三晚上（线上）", online(rule(Weekly(Weekday::Wed), Evening))),
            ("每月15日 云接待", online(rule(MonthlyDay(15), AllDay))),
            ("每周三 14:00-17:00", timed(Weekly(Weekday::Wed), AllDay, hm(14, 0), hm(17, 0))),
            ("每月10日9:00—11:30", timed(MonthlyDay(10), AllDay, hm(9, 0), hm(11, 30))),
            ("每月10日 9:00－11:30", timed(MonthlyDay(10), AllDay, hm(9, 0), hm(11, 30))),
            ("每月10日9：00~11：30", timed(MonthlyDay(10), AllDay, hm(9, 0), hm(11, 30))),
            ("每月10日 9:00 至 11:30", timed(MonthlyDay(10), AllDay, hm(9, 0), hm(11, 30))),
            ("每周三下午 15:00-18:00", timed(Weekly(Weekday::Wed), Afternoon, hm(15, 0), hm(18, 0))),
            ("2026-12-05 19:30-21:00 线上", online(timed(Once(date(2026, 12, 5)), AllDay, hm(19, 30), hm(21, 0)))),
        ]
    }

    #[test]
    fn accepted_forms_parse_to_expected_rules() {
        for (text, expected) in accepted() {
            assert_eq!(parse_rule(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn default_hours_follow_day_part() {
        let r = parse_rule("每周三下午").unwrap();
        assert_eq!((r.start, r.end), (hm(14, 30), hm(17, 30)));
        let r = parse_rule("每月15日").unwrap();
        assert_eq!((r.start, r.end), (hm(9, 0), hm(17, 30)));
        assert_eq!(DayPart::Evening.label(), "晚上");
    }

    #[test]
    fn rejections_are_explained_in_chinese() {
        type Variant = fn(String) -> RuleError;
        let cases: Vec<(&str, Variant)> = vec![
            ("每月0日", RuleError::DayOutOfRange),
            ("每月32日", RuleError::DayOutOfRange),
            ("每月三十二日", RuleError::DayOutOfRange),
            ("每周八", RuleError::UnknownWeekday),
            ("每周", RuleError::UnknownWeekday),
            ("每月第一个周十", RuleError::UnknownWeekday),
            ("每月第六个周一", RuleError::InvalidNth),
            ("每月周一", RuleError::InvalidNth),
            ("每月倒数第二个周五", RuleError::InvalidNth),
            ("12月5日", RuleError::Unrecognized),
            ("2026年2月30日", RuleError::InvalidDate),
            ("每周三 17:00-14:00", RuleError::EndBeforeStart),
            ("每周三 14:00-14:00", RuleError::EndBeforeStart),
            ("每周三 14:00", RuleError::InvalidTime),
            ("每周三 25:00-26:00", RuleError::InvalidTime),
            ("每周三上午下午", RuleError::ConflictingParts),
            ("随时", RuleError::Unrecognized),
            ("每月", RuleError::Unrecognized),
        ];
        for (text, variant) in cases {
            let err = parse_rule(text).unwrap_err();
            assert_eq!(err, variant(text.to_string()), "{text}");
            let msg = err.to_string();
            assert!(msg.contains(text), "{msg}");
            assert!(msg.contains("例如"), "{msg}");
            assert!(msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        }
        assert_eq!(
            parse_rule("每月三十二日").unwrap_err().to_string(),
            "无法识别的进站规则“每月三十二日”：日期应在1至31之间，例如“每月15日上午”"
        );
        for text in ["", "   ", "\u{3000}"] {
            let err = parse_rule(text).unwrap_err();
            assert_eq!(err, RuleError::Empty);
            assert!(err.to_string().contains("进站规则为空"));
        }
    }

    #[test]
    fn describe_round_trips() {
        for (text, r) in accepted() {
            let described = r.describe();
            assert_eq!(parse_rule(&described), Ok(r), "{text} -> {described}");
        }
        assert_eq!(parse_rule("每月第2个星期四下午").unwrap().describe(), "每月第二个周四下午");
        assert_eq!(parse_rule("每周三 14:00-17:00").unwrap().describe(), "每周三 14:00-17:00");
        assert_eq!(parse_rule("每周三晚上（线上）").unwrap().describe(), "每周三晚上（线上）");
    }

    fn range() -> (NaiveDate, NaiveDate) {
        (date(2026, 11, 22), date(2027, 3, 31))
    }

    fn dates(text: &str) -> Vec<NaiveDate> {
        let (from, to) = range();
        expand(&parse_rule(text).unwrap(), from, to).into_iter().map(|s| s.date).collect()
    }

    #[test]
    fn monthly_day_skips_days_before_range() {
        assert_eq!(
            dates("每月15日"),
            vec![date(2026, 12, 15), date(2027, 1, 15), date(2027, 2, 15), date(2027, 3, 15)]
        );
    }

    #[test]
    fn weekly_covers_every_wednesday() {
        let (from, to) = range();
        let slots = expand(&parse_rule("每周三下午").unwrap(), from, to);
        assert_eq!(slots.len(), 19);
        assert_eq!(slots[0].date, date(2026, 11, 25));
        assert_eq!(slots[18].date, date(2027, 3, 31));
        assert!(slots.iter().all(|s| s.date.weekday() == Weekday::Wed));
        assert!(slots.iter().all(|s| (s.start, s.end) == (hm(14, 30), hm(17, 30))));
        assert!(slots.windows(2).all(|w| w[0].date < w[1].date));
    }

    #[test]
    fn last_friday_of_each_month() {
        assert_eq!(
            dates("每月最后一个周五"),
            vec![date(2026, 11, 27), date(2026, 12, 25), date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26),]
        );
    }

    #[test]
    fn nth_weekday_and_missing_fifth() {
        let (from, to) = range();
        assert_eq!(
            dates("每月第一个周一"),
            vec![date(2026, 12, 7), date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1)]
        );
        let fifth_monday = expand(&parse_rule("每月第五个周一").unwrap(), from, to);
        assert_eq!(
            fifth_monday.iter().map(|s| s.date).collect::<Vec<_>>(),
            vec![date(2026, 11, 30), date(2027, 3, 29)]
        );
    }

    #[test]
    fn day_31_only_in_long_months() {
        assert_eq!(dates("每月31日"), vec![date(2026, 12, 31), date(2027, 1, 31), date(2027, 3, 31)]);
        assert_eq!(
            dates("每月29日"),
            vec![date(2026, 11, 29), date(2026, 12, 29), date(2027, 1, 29), date(2027, 3, 29)]
        );
    }

    #[test]
    fn once_inside_and_outside_range() {
        assert_eq!(dates("2026年12月5日上午"), vec![date(2026, 12, 5)]);
        assert!(dates("2026年11月21日").is_empty());
        assert!(dates("2027-04-01").is_empty());
        assert_eq!(dates("2026-11-22"), vec![date(2026, 11, 22)]);
        assert_eq!(dates("2027-03-31"), vec![date(2027, 3, 31)]);
    }

    #[test]
    fn reversed_range_is_empty() {
        let r = parse_rule("每周三").unwrap();
        assert!(expand(&r, date(2027, 1, 1), date(2026, 1, 1)).is_empty());
    }

    #[test]
    fn expand_all_merges_sorts_and_dedups() {
        let (from, to) = range();
        let rules = [
            parse_rule("每月15日下午").unwrap(),
            parse_rule("每周三上午").unwrap(),
            parse_rule("每周三上午").unwrap(),
            parse_rule("2026年12月15日上午").unwrap(),
        ];
        let slots = expand_all(&rules, from, to);
        assert_eq!(slots.len(), 19 + 4 + 1);
        assert!(slots.windows(2).all(|w| (w[0].date, w[0].start) < (w[1].date, w[1].start)));
        let dec15: Vec<_> = slots.iter().filter(|s| s.date == date(2026, 12, 15)).collect();
        assert_eq!(dec15.len(), 2);
        assert_eq!(dec15[0].start, hm(9, 0));
        assert_eq!(dec15[1].start, hm(14, 30));
    }
}
