//! Checking the rows of a sheet against the organ's records: each row's number, year and
//! series, its lead and co-signers matched by name among the deputies of the organ's congress,
//! its units by name among the organ's units, its reply class and satisfaction read from the
//! usual words. The outcome is the plan of what will be written, or every problem of the file
//! at once. Nothing is written here.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;

use super::parse::{Col, Row};
use crate::app::error::AppResult;
use crate::app::fmt::halfwidth;
use crate::db;
use crate::handling::flow::{Grade, Outcome, State, UnitRole};
use crate::org::Organ;
use crate::sheet::RowIssue;
use crate::suggestions::service::{self, MAX_PART, MAX_TITLE, SeriesKind};

/// One suggestion as it will be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub row: u32,
    pub kind: SeriesKind,
    pub year: i64,
    pub number: i64,
    pub title: String,
    pub content: String,
    pub category: String,
    pub lead: i64,
    pub lead_name: String,
    pub cosigners: Vec<i64>,
    pub units: Vec<(i64, UnitRole)>,
    /// The units as the preview shows them: 「交通运输局（主办）、…」.
    pub unit_names: String,
    pub outcome: Option<Outcome>,
    pub reply: String,
    pub reply_grade: Option<Grade>,
    pub result_grade: Option<Grade>,
}

impl Planned {
    /// Where the loop will leave it: registered without units, assigned without a reply,
    /// replied; the lead's 不满意 reopens it (二次办理), a B-class reply is followed, a rated
    /// reply is closed.
    pub fn state(&self) -> State {
        let grades = [self.reply_grade, self.result_grade];
        match self.outcome {
            _ if self.units.is_empty() => State::Received,
            None => State::Assigned,
            Some(_) if grades.contains(&Some(Grade::Unsatisfied)) => State::Rehandling,
            Some(Outcome::InProgress | Outcome::Planned) => State::Following,
            Some(_) if grades.iter().any(Option::is_some) => State::Closed,
            Some(_) => State::Replied,
        }
    }

    pub fn state_label(&self) -> &'static str {
        match self.state() {
            State::Received => "已登记",
            s => s.label(),
        }
    }

    pub fn class(&self) -> &'static str {
        self.outcome.map(crate::suggestions::class_of).unwrap_or("")
    }

    pub fn grades(&self) -> String {
        match (self.reply_grade, self.result_grade) {
            (None, None) => String::new(),
            (Some(a), Some(b)) if a == b => a.label().to_string(),
            (a, b) => format!(
                "答复{}，办理结果{}",
                a.map(|g| g.label()).unwrap_or("未评价"),
                b.map(|g| g.label()).unwrap_or("未评价")
            ),
        }
    }
}

/// What a clean file will write.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub rows: Vec<Planned>,
}

impl Plan {
    /// Changes whenever what the file would write changes (the confirmation compares it).
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for r in &self.rows {
            h.update(format!("{r:?}\n").as_bytes());
        }
        hex::encode(&h.finalize()[..16])
    }

    /// How many end in each state, in the loop's order.
    pub fn by_state(&self) -> Vec<(&'static str, usize)> {
        let order =
            [State::Received, State::Assigned, State::Replied, State::Rehandling, State::Following, State::Closed];
        order
            .iter()
            .filter_map(|s| {
                let n = self.rows.iter().filter(|r| r.state() == *s).count();
                let label = if *s == State::Received { "已登记" } else { s.label() };
                (n > 0).then_some((label, n))
            })
            .collect()
    }
}

/// A name as compared: no spaces (counties pad two-character names: 「王　明」), half-width.
fn name_key(s: &str) -> String {
    halfwidth(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// 「第12号」, 「12」, 「０１２」, 「建议第12号」 → 12.
pub fn number(text: &str) -> Option<i64> {
    let t = name_key(text);
    let t = t.strip_suffix('号').unwrap_or(&t);
    let digits: String =
        t.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
    let rest = &t[..t.len() - digits.len()];
    let plain = rest.is_empty() || rest.ends_with('第');
    let n = digits.parse::<i64>().ok().filter(|n| (1..=99_999).contains(n))?;
    plain.then_some(n)
}

/// 「2025」, 「2025年」, 「2025年度」 → 2025.
pub fn year(text: &str) -> Option<i64> {
    let t = name_key(text);
    let t = t.trim_end_matches('度').trim_end_matches('年');
    t.parse::<i64>().ok().filter(|y| (1980..=2100).contains(y))
}

/// Names in a list cell: separated by 、，,；; or spaces.
pub fn names(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, '、' | '，' | ',' | '；' | ';' | '/' | '\n') || c.is_whitespace())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// A units cell: 「主办：A；协办：B、C」, 「主办单位:A 协办单位:B」, 「分办：A、B」, or just 「A、B」 (the
/// first leads, the others assist). Names with their roles, in order.
pub fn units(text: &str) -> Result<Vec<(String, UnitRole)>, String> {
    let t = halfwidth(text).replace(['；', ';', '\n', '。'], "；");
    let mut out: Vec<(String, UnitRole)> = Vec::new();
    let marks = [
        ("主办单位", UnitRole::Lead),
        ("协办单位", UnitRole::Assist),
        ("分办单位", UnitRole::Separate),
        ("主办", UnitRole::Lead),
        ("协办", UnitRole::Assist),
        ("分办", UnitRole::Separate),
    ];
    // Split before every role word, so 「主办:A 协办:B」 without a semicolon works too.
    let mut parts: Vec<String> = Vec::new();
    for seg in t.split('；') {
        let mut seg = seg.trim().to_string();
        loop {
            let cut = marks
                .iter()
                .filter_map(|(m, _)| seg.char_indices().skip(1).map(|(i, _)| i).find(|i| seg[*i..].starts_with(m)))
                .min();
            match cut {
                Some(i) => {
                    parts.push(seg[..i].to_string());
                    seg = seg[i..].to_string();
                }
                None => break,
            }
        }
        parts.push(seg);
    }
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let marked = marks.iter().find(|(m, _)| part.starts_with(m));
        let (role, rest) = match marked {
            Some((m, role)) => (Some(*role), part[m.len()..].trim_start_matches([':', '：', ' ']).trim()),
            None => (None, part),
        };
        for name in names(rest) {
            let role = role.unwrap_or(if out.is_empty() { UnitRole::Lead } else { UnitRole::Assist });
            if out.iter().any(|(n, _)| *n == name) {
                return Err(format!("“{name}”出现了两次"));
            }
            out.push((name, role));
        }
    }
    let leads = out.iter().filter(|(_, r)| *r == UnitRole::Lead).count();
    let separate = out.iter().filter(|(_, r)| *r == UnitRole::Separate).count();
    if !out.is_empty() && leads + separate == 0 {
        return Err("只有协办单位，没有主办单位".into());
    }
    if leads > 1 {
        return Err("主办单位只能有一个；多个单位分别办理请写“分办：A、B”".into());
    }
    if leads == 1 && separate > 0 {
        return Err("主办与分办不能同时使用".into());
    }
    Ok(out)
}

/// 「A」, 「A类」, 「已解决」, 「B（正在解决）」, 「留作参考」 → the reply's class.
pub fn class(text: &str) -> Result<Option<Outcome>, String> {
    let t = name_key(text).to_uppercase();
    if t.is_empty() {
        return Ok(None);
    }
    let first = t.chars().next();
    let lettered = t.chars().nth(1).is_none_or(|c| !c.is_ascii_alphabetic());
    match first {
        Some('A') if lettered => return Ok(Some(Outcome::Resolved)),
        Some('B') if lettered => return Ok(Some(Outcome::InProgress)),
        Some('C') if lettered => return Ok(Some(Outcome::CannotResolve)),
        _ => {}
    }
    let words: [(&str, Outcome); 7] = [
        ("已解决", Outcome::Resolved),
        ("基本解决", Outcome::Resolved),
        ("正在解决", Outcome::InProgress),
        ("逐步解决", Outcome::InProgress),
        ("列入计划", Outcome::InProgress),
        ("留作参考", Outcome::CannotResolve),
        ("以后解决", Outcome::CannotResolve),
    ];
    words
        .iter()
        .find(|(w, _)| t.contains(w))
        .map(|(_, o)| Some(*o))
        .ok_or_else(|| format!("答复类别“{}”无法识别，应为 A、B、C，或已解决、正在解决、留作参考", text.trim()))
}

/// 满意 / 基本满意 / 不满意 (and 「较满意」 as 基本满意).
pub fn grade(text: &str) -> Result<Option<Grade>, String> {
    let t = name_key(text);
    Ok(Some(match t.as_str() {
        "" | "未评价" | "未测评" => return Ok(None),
        "满意" | "非常满意" => Grade::Satisfied,
        "基本满意" | "较满意" | "比较满意" => Grade::BasicallySatisfied,
        "不满意" => Grade::Unsatisfied,
        _ => return Err(format!("满意度“{}”无法识别，应为满意、基本满意或不满意", text.trim())),
    }))
}

/// The deputies of the organ's congress (any mandate there), by name.
async fn deputies<C: ConnectionTrait>(c: &C, organ: i64) -> AppResult<HashMap<String, Vec<i64>>> {
    let rows = db::query_rows(
        c,
        "SELECT DISTINCT p.id, p.name FROM mandates m JOIN persons p ON p.id = m.person_id WHERE m.organ_id = $1",
        vec![organ.into()],
    )
    .await?;
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    for r in rows {
        let (id, name): (i64, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        out.entry(name_key(&name)).or_default().push(id);
    }
    Ok(out)
}

/// The active units a suggestion of the organ may go to, with their names.
async fn unit_list<C: ConnectionTrait>(c: &C, organ: &Organ) -> AppResult<Vec<(i64, String)>> {
    let rows = db::query_rows(
        c,
        "SELECT u.id, u.name FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.active = true \
         AND (o.path LIKE $1 OR $2 LIKE o.path || '%') ORDER BY u.id",
        vec![format!("{}%", db::like_escape(&organ.path)).into(), organ.path.clone().into()],
    )
    .await?;
    Ok(rows.iter().filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?))).collect())
}

/// The unit a name means: the same name; the same without the county's name in front (「诸城市
/// 交通运输局」 for 「交通运输局」, and the other way round); or the only unit whose name holds it
/// (a short name: 「住建局」 does not, 「住房和城乡建设局」 does).
fn find_unit<'a>(all: &'a [(i64, String)], place: &str, name: &str) -> Result<&'a (i64, String), String> {
    let key = name_key(name);
    let bare = |s: &str| {
        let k = name_key(s);
        match k.strip_prefix(place) {
            Some(rest) if !place.is_empty() && !rest.is_empty() => rest.to_string(),
            _ => k,
        }
    };
    if let Some(u) = all.iter().find(|(_, n)| name_key(n) == key) {
        return Ok(u);
    }
    let same: Vec<_> = all.iter().filter(|(_, n)| bare(n) == bare(name)).collect();
    if let [u] = same.as_slice() {
        return Ok(u);
    }
    let within: Vec<_> =
        all.iter().filter(|(_, n)| key.chars().count() >= 2 && name_key(n).contains(&bare(name))).collect();
    match within.as_slice() {
        [u] => Ok(u),
        [] => Err(format!("没有名为“{name}”的承办单位（请先在“承办单位”中添加，或改用系统中的单位名称）")),
        many => {
            let shown: Vec<&str> = many.iter().take(3).map(|(_, n)| n.as_str()).collect();
            Err(format!("“{name}”可能是{}等 {} 个单位，请写全称", shown.join("、"), many.len()))
        }
    }
}

/// Checks every row against the organ's records. `Err` lists every problem (those of the cells
/// found while reading, `issues`, first among them by row); `default_year` is the year of rows
/// that do not say.
pub async fn check<C: ConnectionTrait>(
    c: &C,
    organ: &Organ,
    rows: &[Row],
    issues: Vec<RowIssue>,
    default_year: i64,
) -> AppResult<Result<Plan, Vec<RowIssue>>> {
    let mut issues = issues;
    let people = deputies(c, organ.id).await?;
    let all_units = unit_list(c, organ).await?;
    let place = db::query_rows(c, "SELECT name FROM areas WHERE id = $1", vec![organ.area_id.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .map(|n| name_key(&n))
        .unwrap_or_default();
    let mut taken: HashMap<(SeriesKind, i64), Vec<i64>> = HashMap::new();
    let mut seen: HashMap<(SeriesKind, i64, i64), u32> = HashMap::new();
    let mut plan = Plan::default();
    let person = |r: &Row, col: Col, name: &str| -> Result<i64, RowIssue> {
        match people.get(&name_key(name)).map(Vec::as_slice) {
            Some([id]) => Ok(*id),
            Some(many) if many.len() > 1 => Err(
                r.issue(col, format!("本级有 {} 位代表名为“{name}”，无法区分，请在系统中核对后分开导入", many.len()))
            ),
            _ => Err(r.issue(col, format!("本级人大没有名为“{name}”的代表"))),
        }
    };
    for r in rows {
        let before = issues.len();
        let mut bad = |i: RowIssue| issues.push(i);
        let number = match number(r.get(Col::Number)) {
            Some(n) => n,
            None if r.get(Col::Number).is_empty() => {
                bad(r.issue(Col::Number, "编号为空"));
                0
            }
            None => {
                bad(r.issue(Col::Number, format!("编号“{}”无法识别，应为 12 或“第12号”", r.get(Col::Number))));
                0
            }
        };
        let year = match (r.get(Col::Year), year(r.get(Col::Year))) {
            ("", _) => default_year,
            (_, Some(y)) => y,
            (t, None) => {
                bad(r.issue(Col::Year, format!("年度“{t}”无法识别，应为 2025 这样的年份")));
                default_year
            }
        };
        let kind = if r.get(Col::Session).contains("闭会") { SeriesKind::Recess } else { SeriesKind::Session };
        let title = r.get(Col::Title).to_string();
        if title.is_empty() {
            bad(r.issue(Col::Title, "标题为空"));
        } else if title.chars().count() > MAX_TITLE {
            bad(r.issue(Col::Title, format!("标题超过 {MAX_TITLE} 字")));
        }
        let content = r.get(Col::Content).to_string();
        if content.chars().count() > MAX_PART {
            bad(r.issue(Col::Content, format!("内容超过 {MAX_PART} 字")));
        }
        let category = r.get(Col::Category).to_string();
        if category.chars().count() > 40 {
            bad(r.issue(Col::Category, "类别超过 40 字"));
        }
        let lead_name = name_key(r.get(Col::Lead));
        let lead = if lead_name.is_empty() {
            bad(r.issue(Col::Lead, "领衔代表为空"));
            0
        } else {
            person(r, Col::Lead, &lead_name).unwrap_or_else(|i| {
                bad(i);
                0
            })
        };
        let mut cosigners = Vec::new();
        for name in names(r.get(Col::Cosigners)) {
            if name_key(&name) == lead_name {
                continue;
            }
            match person(r, Col::Cosigners, &name) {
                Ok(id) if !cosigners.contains(&id) => cosigners.push(id),
                Ok(_) => {}
                Err(i) => bad(i),
            }
        }
        // The units: one cell with roles, or a 主办 and a 协办 column.
        let mut written = match units(r.get(Col::Units)) {
            Ok(u) => u,
            Err(e) => {
                bad(r.issue(Col::Units, e));
                Vec::new()
            }
        };
        for (col, role) in [(Col::LeadUnit, UnitRole::Lead), (Col::AssistUnits, UnitRole::Assist)] {
            for name in names(r.get(col)) {
                if written.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                if role == UnitRole::Lead && written.iter().any(|(_, x)| *x == UnitRole::Lead) {
                    bad(r.issue(col, "主办单位只能有一个"));
                }
                written.push((name, role));
            }
        }
        let units_col = if r.get(Col::Units).is_empty() && r.has(Col::LeadUnit) { Col::LeadUnit } else { Col::Units };
        if !written.is_empty() && !written.iter().any(|(_, x)| matches!(x, UnitRole::Lead | UnitRole::Separate)) {
            bad(r.issue(units_col, "没有主办单位"));
        }
        let mut unit_ids: Vec<(i64, UnitRole)> = Vec::new();
        let mut unit_names = Vec::new();
        for (name, role) in &written {
            match find_unit(&all_units, &place, name) {
                Ok((id, full)) if !unit_ids.iter().any(|(u, _)| u == id) => {
                    unit_ids.push((*id, *role));
                    unit_names.push(format!("{full}（{}）", role.label()));
                }
                Ok((_, full)) => bad(r.issue(units_col, format!("“{name}”与另一个单位都是“{full}”"))),
                Err(e) => bad(r.issue(units_col, e)),
            }
        }
        let outcome = class(r.get(Col::Class)).unwrap_or_else(|e| {
            bad(r.issue(Col::Class, e));
            None
        });
        let mut grade_of = |col: Col| {
            grade(r.get(col)).unwrap_or_else(|e| {
                issues.push(r.issue(col, e));
                None
            })
        };
        let both = grade_of(Col::Satisfaction);
        let reply_grade = grade_of(Col::ReplySatisfaction).or(both);
        let result_grade = grade_of(Col::ResultSatisfaction).or(both);
        let mut bad = |i: RowIssue| issues.push(i);
        if outcome.is_some() && written.is_empty() {
            bad(r.issue(Col::Class, "有答复类别，但没有承办单位"));
        }
        if (reply_grade.is_some() || result_grade.is_some()) && outcome.is_none() {
            let col = if r.get(Col::Satisfaction).is_empty() { Col::ReplySatisfaction } else { Col::Satisfaction };
            bad(r.issue(col, "有满意度，但没有答复类别"));
        }
        let reply = r.get(Col::Reply).to_string();
        if reply.chars().count() > crate::handling::service::MAX_TEXT {
            bad(r.issue(Col::Reply, format!("答复内容超过 {} 字", crate::handling::service::MAX_TEXT)));
        }
        if number > 0 {
            if let Some(first) = seen.insert((kind, year, number), r.row) {
                bad(r.issue(Col::Number, format!("{year} 年第{number}号与第 {first} 行重复")));
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = taken.entry((kind, year)) {
                let on_file = match service::series_of(c, organ.id, kind, year).await? {
                    Some(s) => service::numbers_in(c, s).await?,
                    None => Vec::new(),
                };
                slot.insert(on_file);
            }
            if taken[&(kind, year)].contains(&number) {
                issues.push(r.issue(Col::Number, format!("{}已有第{number}号建议（可能已经导入过）", kind.name(year))));
            }
        }
        if issues.len() > before {
            continue;
        }
        plan.rows.push(Planned {
            row: r.row,
            kind,
            year,
            number,
            title,
            content,
            category,
            lead,
            lead_name: r.get(Col::Lead).to_string(),
            cosigners,
            units: unit_ids,
            unit_names: unit_names.join("、"),
            outcome,
            reply,
            reply_grade,
            result_grade,
        });
    }
    if issues.is_empty() {
        Ok(Ok(plan))
    } else {
        issues.sort_by_key(|i| i.row);
        Ok(Err(issues))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_counties_write_them() {
        assert_eq!(number("第12号"), Some(12));
        assert_eq!(number(" １２ "), Some(12));
        assert_eq!(number("012"), Some(12));
        assert_eq!(number("建议第3号"), Some(3));
        assert_eq!(number("十二"), None);
        assert_eq!(number("12a"), None);
        assert_eq!(number("0"), None);
        assert_eq!(year("2025年度"), Some(2025));
        assert_eq!(year("去年"), None);
    }

    #[test]
    fn units_with_and_without_roles() {
        use UnitRole::*;
        let u = |t: &str| units(t).unwrap();
        let s = |n: &str| n.to_string();
        assert_eq!(
            u("主办：交通运输局；协办：财政局、公安局"),
            [(s("交通运输局"), Lead), (s("财政局"), Assist), (s("公安局"), Assist)]
        );
        assert_eq!(u("主办单位:交通运输局 协办单位:财政局"), [(s("交通运输局"), Lead), (s("财政局"), Assist)]);
        assert_eq!(u("交通运输局、财政局"), [(s("交通运输局"), Lead), (s("财政局"), Assist)]);
        assert_eq!(u("分办：甲镇、乙镇"), [(s("甲镇"), Separate), (s("乙镇"), Separate)]);
        assert_eq!(u(""), []);
        assert!(units("协办：财政局").is_err());
        assert!(units("主办：甲；主办：乙").is_err());
    }

    #[test]
    fn classes_and_grades_in_words() {
        assert_eq!(class("A类"), Ok(Some(Outcome::Resolved)));
        assert_eq!(class("b"), Ok(Some(Outcome::InProgress)));
        assert_eq!(class("C（留作参考）"), Ok(Some(Outcome::CannotResolve)));
        assert_eq!(class("已解决或基本解决"), Ok(Some(Outcome::Resolved)));
        assert_eq!(class("正在解决"), Ok(Some(Outcome::InProgress)));
        assert_eq!(class(""), Ok(None));
        assert!(class("Abc").is_err());
        assert!(class("D").is_err());
        assert_eq!(grade("基本满意"), Ok(Some(Grade::BasicallySatisfied)));
        assert_eq!(grade(" 不 满 意 "), Ok(Some(Grade::Unsatisfied)));
        assert!(grade("一般").is_err());
        assert_eq!(names("王明、李红，张三 赵四"), ["王明", "李红", "张三", "赵四"]);
    }

    #[test]
    fn units_by_full_county_and_contained_names() {
        let all = vec![
            (1, "诸城市交通运输局".to_string()),
            (2, "诸城市财政局".to_string()),
            (3, "市住房和城乡建设局".to_string()),
            (4, "市住房公积金中心".to_string()),
        ];
        assert_eq!(find_unit(&all, "诸城市", "交通运输局").unwrap().0, 1);
        assert_eq!(find_unit(&all, "诸城市", "诸城市财政局").unwrap().0, 2);
        assert_eq!(find_unit(&all, "诸城市", "住房和城乡建设局").unwrap().0, 3);
        assert!(find_unit(&all, "诸城市", "住房").unwrap_err().contains("2 个单位"));
        assert!(find_unit(&all, "诸城市", "教育局").unwrap_err().contains("没有名为"));
    }
}
