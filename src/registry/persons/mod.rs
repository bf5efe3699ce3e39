//! Persons (REG-3): the person record, its checks and audited writes, and the deputy list's
//! filter. One person may be a deputy at several levels at once: their mandates are
//! `mandates`; look-ups by id and name are `lookup`; what a person belongs to (stations,
//! groups, grids, role names, the public card's extras) is `reverse`.

mod lookup;
mod mandates;
mod reverse;

pub use super::records::invalid;
pub(crate) use super::records::{field, like_prefix};
pub use lookup::{find_by_name, person_organ_path, persons_by_ids};
pub use mandates::{
    EndMandate, Mandate, MandateEvent, MandateInput, add_mandate, change_term, chinese_number, end_mandate,
    mandate_events, mandates_of,
};
pub use reverse::{CardExtras, card, grids_of, groups_of, roles_of, station_names_of, stations_of};

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::{Deserialize, Serialize};

use super::Level;
pub use super::types::{EndReason, Gender, MandateEventKind, MandateStatus};
use crate::app::error::{AppError, FieldError};
use crate::audit::Actor;
use crate::auth::authz::Field;
use crate::db;
use crate::privacy::FieldCrypto;
use crate::registry::records::audit_change;

pub const OCCUPATIONS: [&str; 8] =
    ["党政干部", "专业技术人员", "企业负责人", "工人", "农民", "基层干部", "解放军和武警", "其他"];
pub const PARTIES: [&str; 11] = [
    "中共党员",
    "中共预备党员",
    "民革党员",
    "民盟盟员",
    "民建会员",
    "民进会员",
    "农工党党员",
    "致公党党员",
    "九三学社社员",
    "台盟盟员",
    "群众",
];
pub const EDUCATIONS: [&str; 7] = ["研究生", "大学", "大专", "中专", "高中", "初中", "小学"];

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Person {
    pub id: i64,
    pub organ_id: i64,
    pub name: String,
    pub gender: Gender,
    pub ethnicity: String,
    pub birth_date: Option<String>,
    pub party: String,
    pub education: String,
    pub occupation: String,
    pub work_unit: String,
    pub expertise: String,
    pub public_contact: String,
    #[serde(skip)]
    pub mobile_enc: Option<String>,
    pub township_area_id: Option<i64>,
    pub photo_id: Option<i64>,
    pub bio: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const PERSON_COLS: &str = "id, organ_id, name, gender, ethnicity, birth_date, party, education, occupation, \
     work_unit, expertise, public_contact, mobile_enc, township_area_id, photo_id, bio, created_at, updated_at";

impl Person {
    pub fn tags(&self) -> Vec<&str> {
        self.expertise.split('、').filter(|t| !t.is_empty()).collect()
    }
}

/// What staff (or an import row) give for a person.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PersonInput {
    pub name: String,
    pub gender: String,
    pub ethnicity: String,
    pub birth_date: Option<String>,
    pub party: String,
    pub education: String,
    pub occupation: String,
    pub work_unit: String,
    pub expertise: Vec<String>,
    pub public_contact: String,
    pub mobile: Option<String>,
    pub township_area_id: Option<i64>,
    pub bio: String,
}

/// Normalises and checks a person's fields; every problem is reported with its field.
pub fn validate(input: &PersonInput) -> Result<PersonInput, Vec<FieldError>> {
    let mut f = Vec::new();
    // The platform's text rule, for input that did not come through a form (imports).
    let texts = [
        ("name", &input.name),
        ("ethnicity", &input.ethnicity),
        ("party", &input.party),
        ("education", &input.education),
        ("occupation", &input.occupation),
        ("work_unit", &input.work_unit),
        ("public_contact", &input.public_contact),
        ("bio", &input.bio),
    ];
    for (name, value) in texts.into_iter().chain(input.expertise.iter().map(|e| ("expertise", e))) {
        if let Err(e) = crate::app::text::check_field(name, value) {
            field(&mut f, name, e.message());
        }
    }
    if !f.is_empty() {
        return Err(f);
    }
    let mut out = input.clone();
    out.name = input.name.trim().to_string();
    let n = out.name.chars().count();
    if !(2..=20).contains(&n) {
        field(&mut f, "name", "姓名应为 2 至 20 个字");
    } else if out.name.chars().any(|c| c.is_ascii_digit() || "<>\"'&;".contains(c)) {
        field(&mut f, "name", "姓名不能含数字或符号");
    }
    out.gender = match Gender::parse(&input.gender) {
        Some(g) => g.as_str().into(),
        None => {
            field(&mut f, "gender", "请选择性别");
            String::new()
        }
    };
    out.ethnicity = match input.ethnicity.trim() {
        "" => "汉族".into(),
        e if e.chars().count() > 10 => {
            field(&mut f, "ethnicity", "民族名称过长");
            e.into()
        }
        e if !e.ends_with('族') => format!("{e}族"),
        e => e.into(),
    };
    out.birth_date = match input.birth_date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(d) => match crate::app::fmt::parse_date(d) {
            Some(date) if date.year_ok() => Some(date.format("%Y-%m-%d").to_string()),
            _ => {
                field(&mut f, "birth_date", "出生日期应写成 1975-03-08，且在 1900 年之后、今天之前");
                None
            }
        },
    };
    out.party = input.party.trim().into();
    if !out.party.is_empty() && !PARTIES.contains(&out.party.as_str()) {
        field(&mut f, "party", format!("政治面貌应为：{}", PARTIES.join("、")));
    }
    out.education = input.education.trim().into();
    out.occupation = input.occupation.trim().into();
    if !out.occupation.is_empty() && !OCCUPATIONS.contains(&out.occupation.as_str()) {
        field(&mut f, "occupation", format!("职业类别应为：{}", OCCUPATIONS.join("、")));
    }
    out.work_unit = input.work_unit.trim().into();
    if out.work_unit.chars().count() > 100 {
        field(&mut f, "work_unit", "工作单位及职务不超过 100 个字");
    }
    let mut tags: Vec<String> = Vec::new();
    for t in &input.expertise {
        let t = t.trim();
        if !t.is_empty() && !tags.iter().any(|x| x == t) {
            tags.push(t.into());
        }
    }
    if tags.iter().any(|t| t.chars().count() > 12) || tags.len() > 10 {
        field(&mut f, "expertise", "专业特长最多 10 项，每项不超过 12 个字");
    }
    out.expertise = tags;
    out.public_contact = input.public_contact.trim().into();
    if out.public_contact.chars().count() > 60 {
        field(&mut f, "public_contact", "公开联系方式不超过 60 个字");
    }
    out.mobile = match input.mobile.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(m) if crate::auth::accounts::valid_mobile(m) => Some(m.into()),
        Some(_) => {
            field(&mut f, "mobile", crate::auth::accounts::MSG_MOBILE);
            None
        }
    };
    out.bio = input.bio.trim().into();
    if out.bio.chars().count() > 500 {
        field(&mut f, "bio", "简介不超过 500 字");
    }
    if f.is_empty() { Ok(out) } else { Err(f) }
}

trait YearOk {
    fn year_ok(&self) -> bool;
}
impl YearOk for chrono::NaiveDate {
    fn year_ok(&self) -> bool {
        use chrono::Datelike;
        self.year() >= 1900 && *self <= chrono::Utc::now().date_naive()
    }
}

pub async fn person<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Person>, DbErr> {
    db::query_one(c, &format!("SELECT {PERSON_COLS} FROM persons WHERE id = $1"), vec![id.into()]).await
}

async fn replace_tags<C: ConnectionTrait>(c: &C, person_id: i64, tags: &[String]) -> Result<(), DbErr> {
    db::exec(c, "DELETE FROM person_tags WHERE person_id = $1", vec![person_id.into()]).await?;
    for t in tags {
        db::exec(c, "INSERT INTO person_tags (person_id, tag) VALUES ($1, $2)", vec![person_id.into(), t.into()])
            .await?;
    }
    Ok(())
}

fn person_values(input: &PersonInput, crypto: &FieldCrypto) -> Vec<Value> {
    vec![
        input.name.clone().into(),
        input.gender.clone().into(),
        input.ethnicity.clone().into(),
        input.birth_date.clone().into(),
        input.party.clone().into(),
        input.education.clone().into(),
        input.occupation.clone().into(),
        input.work_unit.clone().into(),
        input.expertise.join("、").into(),
        input.public_contact.clone().into(),
        input.mobile.as_deref().map(|m| crypto.encrypt(m)).into(),
        input.mobile.as_deref().map(|m| crypto.lookup_hash("mobile", m)).into(),
        input.township_area_id.into(),
        input.bio.clone().into(),
    ]
}

/// Registers a person at an organ. The input must have passed `validate`.
pub async fn create_person<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    organ_id: i64,
    input: &PersonInput,
) -> Result<i64, AppError> {
    let now = db::now();
    let mut values = person_values(input, crypto);
    values.extend([organ_id.into(), now.into(), now.into()]);
    let id = db::insert_id(
        c,
        "INSERT INTO persons (name, gender, ethnicity, birth_date, party, education, occupation, work_unit, \
         expertise, public_contact, mobile_enc, mobile_hash, township_area_id, bio, organ_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        values,
    )
    .await?;
    replace_tags(c, id, &input.expertise).await?;
    audit_change(c, (key, actor), "person_create", "person", id, organ_id, format!("登记人员 #{id}")).await?;
    Ok(id)
}

/// Updates a person; the audit summary names the changed fields (not their values).
/// The kinds of field an update would really change: the registry's facts (name, gender,
/// ethnicity, birth date, party, education, occupation, work unit, township) and the public
/// profile (expertise, public contact, own mobile, introduction). The authorization layer
/// decides each kind on its own.
pub fn changed_fields(before: &Person, input: &PersonInput, crypto: &FieldCrypto) -> Vec<Field> {
    let before_mobile = before.mobile_enc.as_deref().and_then(|m| crypto.decrypt(m).ok());
    let facts = before.name != input.name
        || before.gender.as_str() != input.gender
        || before.ethnicity != input.ethnicity
        || before.birth_date.as_deref().unwrap_or("") != input.birth_date.as_deref().unwrap_or("")
        || before.party != input.party
        || before.education != input.education
        || before.occupation != input.occupation
        || before.work_unit != input.work_unit
        || before.township_area_id != input.township_area_id;
    let profile = before.expertise != input.expertise.join("、")
        || before.public_contact != input.public_contact
        || before_mobile.as_deref() != input.mobile.as_deref()
        || before.bio != input.bio;
    let mut out = Vec::new();
    if facts {
        out.push(Field::PersonFacts);
    }
    if profile {
        out.push(Field::PersonProfile);
    }
    out
}

/// The labels of the fields `input` would change on `before` (its mobile number decrypted).
pub fn person_changes(before: &Person, before_mobile: Option<&str>, input: &PersonInput) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut diff = |label: &'static str, a: &str, b: &str| {
        if a != b {
            changed.push(label);
        }
    };
    diff("姓名", &before.name, &input.name);
    diff("性别", before.gender.as_str(), &input.gender);
    diff("民族", &before.ethnicity, &input.ethnicity);
    diff("出生日期", before.birth_date.as_deref().unwrap_or(""), input.birth_date.as_deref().unwrap_or(""));
    diff("政治面貌", &before.party, &input.party);
    diff("学历", &before.education, &input.education);
    diff("职业类别", &before.occupation, &input.occupation);
    diff("工作单位及职务", &before.work_unit, &input.work_unit);
    diff("专业特长", &before.expertise, &input.expertise.join("、"));
    diff("公开联系方式", &before.public_contact, &input.public_contact);
    diff("手机号码", before_mobile.unwrap_or(""), input.mobile.as_deref().unwrap_or(""));
    diff(
        "所在镇街",
        &before.township_area_id.map(|v| v.to_string()).unwrap_or_default(),
        &input.township_area_id.map(|v| v.to_string()).unwrap_or_default(),
    );
    diff("简介", &before.bio, &input.bio);
    changed
}

pub async fn update_person<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    id: i64,
    input: &PersonInput,
) -> Result<bool, AppError> {
    let before = person(c, id).await?.ok_or(AppError::NotFound)?;
    let before_mobile = before.mobile_enc.as_deref().and_then(|m| crypto.decrypt(m).ok());
    let changed = person_changes(&before, before_mobile.as_deref(), input);
    if changed.is_empty() {
        return Ok(false);
    }
    let mut values = person_values(input, crypto);
    values.extend([db::now().into(), id.into()]);
    db::exec(
        c,
        "UPDATE persons SET name = $1, gender = $2, ethnicity = $3, birth_date = $4, party = $5, education = $6, \
         occupation = $7, work_unit = $8, expertise = $9, public_contact = $10, mobile_enc = $11, mobile_hash = $12, \
         township_area_id = $13, bio = $14, updated_at = $15 WHERE id = $16",
        values,
    )
    .await?;
    replace_tags(c, id, &input.expertise).await?;
    let said = format!("修改：{}", changed.join("、"));
    audit_change(c, (key, actor), "person_update", "person", id, before.organ_id, said).await?;
    Ok(true)
}

/// Filters of the deputy list (console, API, export).
#[derive(Clone, Debug, Default)]
pub struct DeputyFilter {
    /// Only persons registered at organs under this path.
    pub organ_path: String,
    /// Only persons with a mandate at this organ.
    pub organ_id: Option<i64>,
    pub level: Option<Level>,
    pub group_id: Option<i64>,
    pub station_id: Option<i64>,
    pub tag: Option<String>,
    /// A name or part of one: a substring unless `name_prefix`.
    pub q: Option<String>,
    /// Match `q` at the start of the name only: an index range instead of a scan, for public
    /// searches that must stay fast over millions of persons.
    pub name_prefix: bool,
    /// Include persons without a serving mandate (former deputies).
    pub include_former: bool,
}

/// One page of persons matching the filter, keyset-paged by id (or name, id).
pub async fn list<C: ConnectionTrait>(c: &C, f: &DeputyFilter, after: i64, limit: u64) -> Result<Vec<Person>, DbErr> {
    let (sql, values) = filter_sql(f, after, Some(limit));
    db::query_all(c, &sql, values).await
}

pub async fn count<C: ConnectionTrait>(c: &C, f: &DeputyFilter) -> Result<i64, DbErr> {
    let (sql, values) = filter_sql(f, 0, None);
    let sql = sql.replacen(&format!("SELECT {}", prefixed_cols()), "SELECT count(*)", 1);
    let sql = sql.split(" ORDER BY").next().unwrap_or(&sql).to_string();
    db::scalar_i64(c, &sql, values).await
}

fn prefixed_cols() -> String {
    PERSON_COLS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
}

pub(crate) fn filter_sql(f: &DeputyFilter, after: i64, limit: Option<u64>) -> (String, Vec<Value>) {
    // Conditions use `?`; they are numbered `$1, $2 …` in order at the end.
    // With a name prefix the name index must drive the search: `+p.id` keeps the planner from
    // walking the whole table in id order instead (a prefix with few matches would scan all).
    let after_cond =
        if f.name_prefix && f.q.as_deref().is_some_and(|q| !q.trim().is_empty()) { "+p.id > ?" } else { "p.id > ?" };
    let mut wh: Vec<&str> = vec!["o.path LIKE ? ESCAPE '\\'", after_cond];
    let mut values: Vec<Value> = vec![format!("{}%", db::like_escape(&f.organ_path)).into(), after.into()];
    let serving = if f.include_former { "" } else { " AND m.status = 'serving'" };
    let mandate_cond;
    match (f.organ_id, f.level) {
        (Some(o), Some(l)) => {
            mandate_cond = format!(
                "EXISTS (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.organ_id = ? AND m.level = ?{serving})"
            );
            values.extend([o.into(), l.as_str().into()]);
        }
        (Some(o), None) => {
            mandate_cond =
                format!("EXISTS (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.organ_id = ?{serving})");
            values.push(o.into());
        }
        (None, Some(l)) => {
            mandate_cond =
                format!("EXISTS (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.level = ?{serving})");
            values.push(l.as_str().into());
        }
        (None, None) => {
            mandate_cond = if f.include_former {
                String::new()
            } else {
                "EXISTS (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.status = 'serving')".into()
            };
        }
    }
    if !mandate_cond.is_empty() {
        wh.push(&mandate_cond);
    }
    if let Some(g) = f.group_id {
        wh.push("EXISTS (SELECT 1 FROM memberships g WHERE g.person_id = p.id AND g.group_id = ?)");
        values.push(g.into());
    }
    if let Some(s) = f.station_id {
        wh.push("EXISTS (SELECT 1 FROM station_deputies sd WHERE sd.person_id = p.id AND sd.station_id = ?)");
        values.push(s.into());
    }
    if let Some(t) = f.tag.as_deref().filter(|t| !t.is_empty()) {
        wh.push("EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id AND t.tag = ?)");
        values.push(t.into());
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if f.name_prefix {
            // The range uses the name index; LIKE keeps the answer exact whatever the collation.
            wh.push("p.name >= ? AND p.name < ? AND p.name LIKE ? ESCAPE '\\'");
            values.push(q.to_string().into());
            values.push(format!("{q}\u{10FFFF}").into());
            values.push(format!("{}%", db::like_escape(q)).into());
        } else {
            wh.push("p.name LIKE ? ESCAPE '\\'");
            values.push(format!("%{}%", db::like_escape(q)).into());
        }
    }
    let mut sql = format!(
        "SELECT {} FROM persons p JOIN organs o ON o.id = p.organ_id WHERE {} ORDER BY p.id",
        prefixed_cols(),
        wh.join(" AND ")
    );
    if let Some(l) = limit {
        sql.push_str(&format!(" LIMIT {l}"));
    }
    let mut numbered = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            numbered.push_str(&format!("${n}"));
        } else {
            numbered.push(ch);
        }
    }
    (numbered, values)
}

/// A page of the deputy list sorted by name (offset paging; the id order uses `list`).
pub async fn list_by_name<C: ConnectionTrait>(
    c: &C,
    f: &DeputyFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<Person>, DbErr> {
    let (sql, values) = filter_sql(f, 0, None);
    let sql = sql.replacen(" ORDER BY p.id", &format!(" ORDER BY p.name, p.id LIMIT {limit} OFFSET {offset}"), 1);
    db::query_all(c, &sql, values).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers_for_terms() {
        assert_eq!(chinese_number(1), "一");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(14), "十四");
        assert_eq!(chinese_number(18), "十八");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(21), "二十一");
    }

    #[test]
    fn validation_reports_each_field() {
        let bad = PersonInput {
            name: "张".into(),
            gender: "x".into(),
            birth_date: Some("1975/13/40".into()),
            occupation: "宇航员".into(),
            mobile: Some("1380536".into()),
            ..Default::default()
        };
        let errors = validate(&bad).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "gender", "birth_date", "occupation", "mobile"]);
        let good = PersonInput {
            name: " 王建国 ".into(),
            gender: "男".into(),
            ethnicity: "回".into(),
            birth_date: Some("1975-03-08".into()),
            expertise: vec!["医疗".into(), " 医疗".into(), "教育".into()],
            ..Default::default()
        };
        let ok = validate(&good).unwrap();
        assert_eq!((ok.name.as_str(), ok.gender.as_str(), ok.ethnicity.as_str()), ("王建国", "male", "回族"));
        assert_eq!(ok.expertise, ["医疗", "教育"]);
    }

    #[test]
    fn validation_accepts_every_gender_spelling_the_roster_accepts() {
        for (typed, stored) in
            [("男性", "male"), ("M", "male"), ("女性", "female"), ("F", "female"), ("female", "female")]
        {
            let input = PersonInput { name: "王建国".into(), gender: typed.into(), ..Default::default() };
            assert_eq!(validate(&input).unwrap().gender, stored, "{typed}");
            assert_eq!(crate::registry::roster::Gender::parse(typed).map(Gender::as_str), Some(stored), "{typed}");
        }
    }

    #[test]
    fn end_form_parses_into_a_reason_and_refuses_unknown_values() {
        let end = EndMandate::parse("recalled", "2024-6-30", " 依法罢免 ").unwrap();
        assert_eq!(end, EndMandate { reason: EndReason::Recalled, date: "2024-06-30".into(), note: "依法罢免".into() });
        assert_eq!(EndMandate::parse("辞职", "2024-06-30", "").unwrap().reason, EndReason::Resigned);
        for kind in ["serving", "fired", ""] {
            let Err(AppError::Invalid { fields, .. }) = EndMandate::parse(kind, "2024-06-30", "") else {
                panic!("{kind} accepted");
            };
            assert_eq!(
                fields.iter().map(|f| (f.field.as_str(), f.message.as_str())).collect::<Vec<_>>(),
                [("kind", "请选择终止原因")]
            );
        }
        let Err(AppError::Invalid { fields, .. }) = EndMandate::parse("x", "2024-13-40", "") else { panic!() };
        assert_eq!(fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["kind", "date"]);
    }

    #[test]
    fn level_parsing_accepts_labels() {
        assert_eq!(Level::parse("县"), Some(Level::County));
        assert_eq!(Level::parse("全国人大代表"), Some(Level::National));
        assert_eq!(Level::parse("township"), Some(Level::Township));
        assert_eq!(Level::parse("乡"), Some(Level::Township));
        assert_eq!(Level::parse("村"), None);
    }
}
