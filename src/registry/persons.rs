//! Persons and mandates (REG-3): one person may be a deputy at several levels at once; a
//! mandate of a higher level points at an external organ entry. Elections, by-elections,
//! recall, resignation and term change are mandate events.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::{Deserialize, Serialize};

use super::Level;
pub use super::types::{EndReason, Gender, MandateEventKind, MandateStatus};
use crate::app::error::{AppError, FieldError};
use crate::audit::{self, Actor, Change};
use crate::auth::authz::Field;
use crate::db;
use crate::privacy::FieldCrypto;

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

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Mandate {
    pub id: i64,
    #[serde(skip)]
    #[schemars(skip)]
    pub person_id: i64,
    pub organ_id: i64,
    /// `national|provincial|city|county|township`
    pub level: String,
    /// 届, e.g. 18 for 第十八届
    pub term: i64,
    /// 代表团 or 选区
    pub constituency: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `serving|resigned|recalled|terminated|deceased|term_ended`
    pub status: MandateStatus,
    /// The organ's name, e.g. 潍坊市人大常委会
    pub organ_name: String,
    /// The organ's area, e.g. 潍坊市
    pub area_name: String,
}

impl Mandate {
    pub fn level(&self) -> Option<Level> {
        Level::parse(&self.level)
    }
    pub fn serving(&self) -> bool {
        self.status == MandateStatus::Serving
    }
    /// "第十九届诸城市人大代表", "第十四届全国人大代表"
    pub fn title(&self) -> String {
        let place = match self.level() {
            Some(Level::National) => "全国",
            _ => self.area_name.as_str(),
        };
        format!("第{}届{}人大代表", chinese_number(self.term), place)
    }
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct MandateEvent {
    pub id: i64,
    pub mandate_id: i64,
    pub kind: String,
    pub event_date: String,
    pub note: String,
}

impl MandateEvent {
    pub fn label(&self) -> &'static str {
        MandateEventKind::parse(&self.kind).map(MandateEventKind::label).unwrap_or("")
    }
}

/// 1 → 一, 14 → 十四, 21 → 二十一 (for 届 numbers).
pub fn chinese_number(n: i64) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10..=19 => format!("十{}", if n % 10 == 0 { "" } else { D[(n % 10) as usize] }),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], if n % 10 == 0 { "" } else { D[(n % 10) as usize] }),
        _ => n.to_string(),
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

pub(crate) fn field(fields: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    fields.push(FieldError { field: field.into(), message: message.into() });
}

pub fn invalid(fields: Vec<FieldError>) -> AppError {
    if fields.len() == 1 {
        AppError::Invalid { detail: fields[0].message.clone(), fields }
    } else {
        AppError::Invalid { detail: format!("有 {} 处输入需要修改", fields.len()), fields }
    }
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

/// Several persons by id, in 500-id statements (an import's rows checked without one query each).
pub async fn persons_by_ids<C: ConnectionTrait>(c: &C, ids: &[i64]) -> Result<Vec<Person>, DbErr> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = chunk.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        out.extend(
            db::query_all::<_, Person>(c, &format!("SELECT {PERSON_COLS} FROM persons WHERE id IN ({list})"), vec![])
                .await?,
        );
    }
    Ok(out)
}

/// The mandates of some persons, newest term first, with their organ's name.
pub async fn mandates_of<C: ConnectionTrait>(c: &C, person_ids: &[i64]) -> Result<Vec<Mandate>, DbErr> {
    if person_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = person_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    db::query_all(
        c,
        &format!(
            "SELECT m.id, m.person_id, m.organ_id, m.level, m.term, m.constituency, m.start_date, m.end_date, \
             m.status, o.name AS organ_name, a.name AS area_name FROM mandates m JOIN organs o ON o.id = m.organ_id \
             JOIN areas a ON a.id = o.area_id \
             WHERE m.person_id IN ({list}) ORDER BY m.person_id, m.status = 'serving' DESC, \
             CASE m.level WHEN 'national' THEN 0 WHEN 'provincial' THEN 1 WHEN 'city' THEN 2 \
             WHEN 'county' THEN 3 ELSE 4 END, m.term DESC"
        ),
        vec![],
    )
    .await
}

pub async fn mandate_events<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<MandateEvent>, DbErr> {
    db::query_all(
        c,
        "SELECT e.id, e.mandate_id, e.kind, e.event_date, e.note FROM mandate_events e \
         JOIN mandates m ON m.id = e.mandate_id WHERE m.person_id = $1 ORDER BY e.event_date, e.id",
        vec![person_id.into()],
    )
    .await
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
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "person_create",
            target_type: "person",
            target_id: id.to_string(),
            organ_id: Some(organ_id),
            summary: format!("登记人员 #{id}"),
        },
    )
    .await?;
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
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "person_update",
            target_type: "person",
            target_id: id.to_string(),
            organ_id: Some(before.organ_id),
            summary: format!("修改：{}", changed.join("、")),
        },
    )
    .await?;
    Ok(true)
}

/// A new mandate.
#[derive(Clone, Debug, Deserialize)]
pub struct MandateInput {
    pub organ_id: i64,
    pub term: i64,
    pub constituency: String,
    pub start_date: Option<String>,
    /// `elected` (regular election) or `by_election` (补选)
    pub how: String,
}

/// Adds a mandate. Rules: the organ exists; the term is 1–99; a person holds at most one
/// mandate per organ and term; a by-election needs a start date.
pub async fn add_mandate<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    person_id: i64,
    input: &MandateInput,
) -> Result<i64, AppError> {
    let mut f = Vec::new();
    let p = person(c, person_id).await?.ok_or(AppError::NotFound)?;
    let organ = crate::org::organ(c, input.organ_id).await?;
    if organ.is_none() {
        field(&mut f, "organ_id", "请选择所属人大");
    }
    if !(1..=99).contains(&input.term) {
        field(&mut f, "term", "届次应为 1 至 99");
    }
    let constituency = input.constituency.trim().to_string();
    if constituency.chars().count() > 40 {
        field(&mut f, "constituency", "代表团/选区不超过 40 个字");
    }
    let start = match input.start_date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(d) => match crate::app::fmt::parse_date(d) {
            Some(d) => Some(d.format("%Y-%m-%d").to_string()),
            None => {
                field(&mut f, "start_date", "日期应写成 2021-09-28");
                None
            }
        },
    };
    let how = match MandateEventKind::parse(&input.how) {
        Some(k @ (MandateEventKind::Elected | MandateEventKind::ByElection)) => k,
        Some(MandateEventKind::Ended(_)) | None => {
            field(&mut f, "how", "请选择当选方式");
            MandateEventKind::Elected
        }
    };
    if how == MandateEventKind::ByElection && start.is_none() {
        field(&mut f, "start_date", "补选须填写当选日期");
    }
    if organ.is_some()
        && db::scalar_i64(
            c,
            "SELECT count(*) FROM mandates WHERE person_id = $1 AND organ_id = $2 AND term = $3",
            vec![person_id.into(), input.organ_id.into(), input.term.into()],
        )
        .await?
            > 0
    {
        field(&mut f, "term", "该人员在这一届已有代表资格记录");
    }
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let organ = organ.expect("checked above");
    let id = db::insert_id(
        c,
        "INSERT INTO mandates (person_id, organ_id, level, term, constituency, start_date, end_date, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
        vec![
            person_id.into(),
            organ.id.into(),
            organ.level.clone().into(),
            input.term.into(),
            constituency.clone().into(),
            start.clone().into(),
            MandateStatus::Serving.into(),
            db::now().into(),
        ],
    )
    .await?;
    let date = start.unwrap_or_else(|| chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string());
    db::exec(
        c,
        "INSERT INTO mandate_events (mandate_id, kind, event_date, note, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![id.into(), how.as_str().into(), date.into(), constituency.into(), db::now().into()],
    )
    .await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "mandate_create",
            target_type: "person",
            target_id: person_id.to_string(),
            organ_id: Some(p.organ_id),
            summary: format!("{}：第{}届 {}", how.label(), input.term, organ.name),
        },
    )
    .await?;
    Ok(id)
}

/// How a mandate ends, as parsed from the end form (or given by 换届).
#[derive(Clone, Debug, PartialEq)]
pub struct EndMandate {
    pub reason: EndReason,
    /// `YYYY-MM-DD`
    pub date: String,
    pub note: String,
}

impl EndMandate {
    /// Parses the form's 终止原因, date and note; every problem is reported with its field.
    pub fn parse(kind: &str, date: &str, note: &str) -> Result<EndMandate, AppError> {
        let mut f = Vec::new();
        let reason = EndReason::parse(kind);
        if reason.is_none() {
            field(&mut f, "kind", "请选择终止原因");
        }
        let date = match crate::app::fmt::parse_date(date) {
            Some(d) => d.format("%Y-%m-%d").to_string(),
            None => {
                field(&mut f, "date", "日期应写成 2024-06-30");
                String::new()
            }
        };
        let note = note.trim();
        if note.chars().count() > 200 {
            field(&mut f, "note", "说明不超过 200 字");
        }
        match reason {
            Some(reason) if f.is_empty() => Ok(EndMandate { reason, date, note: note.into() }),
            _ => Err(invalid(f)),
        }
    }
}

/// Ends a serving mandate: 辞职, 罢免, 终止, 去世 or 届满. An ended mandate cannot end again.
pub async fn end_mandate<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    mandate_id: i64,
    end: &EndMandate,
) -> Result<(), AppError> {
    let row = db::query_rows(
        c,
        "SELECT m.person_id, m.status, p.organ_id, m.term, o.name FROM mandates m JOIN persons p ON p.id = m.person_id \
         JOIN organs o ON o.id = m.organ_id WHERE m.id = $1",
        vec![mandate_id.into()],
    )
    .await?;
    let row = row.first().ok_or(AppError::NotFound)?;
    let person_id: i64 = row.try_get_by_index(0)?;
    let status: MandateStatus = row.try_get_by_index(1)?;
    let organ_id: i64 = row.try_get_by_index(2)?;
    let term: i64 = row.try_get_by_index(3)?;
    let organ_name: String = row.try_get_by_index(4)?;
    if status != MandateStatus::Serving {
        return Err(AppError::Conflict(format!("该代表资格已是“{}”状态，不能再次终止", status.label())));
    }
    let kind = MandateEventKind::Ended(end.reason);
    db::exec(
        c,
        "UPDATE mandates SET status = $1, end_date = $2 WHERE id = $3",
        vec![MandateStatus::from(end.reason).into(), end.date.clone().into(), mandate_id.into()],
    )
    .await?;
    db::exec(
        c,
        "INSERT INTO mandate_events (mandate_id, kind, event_date, note, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            mandate_id.into(),
            kind.as_str().into(),
            end.date.clone().into(),
            end.note.clone().into(),
            db::now().into(),
        ],
    )
    .await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "mandate_end",
            target_type: "person",
            target_id: person_id.to_string(),
            organ_id: Some(organ_id),
            summary: format!("{}：第{}届 {}", kind.label(), term, organ_name),
        },
    )
    .await?;
    Ok(())
}

/// 换届: every serving mandate of `old_term` at the organ ends as 届满 on `date`; the
/// re-elected persons get a mandate of `old_term + 1` in the same constituency.
/// Returns (ended, re-elected).
pub async fn change_term<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    old_term: i64,
    date: &str,
    reelected: &[i64],
) -> Result<(usize, usize), AppError> {
    let Some(day) = crate::app::fmt::parse_date(date) else {
        return Err(AppError::invalid("date", "日期应写成 2026-12-28"));
    };
    let end =
        EndMandate { reason: EndReason::TermEnded, date: day.format("%Y-%m-%d").to_string(), note: "换届".into() };
    #[derive(FromQueryResult)]
    struct Serving {
        id: i64,
        person_id: i64,
        constituency: String,
    }
    let serving: Vec<Serving> = db::query_all(
        c,
        "SELECT id, person_id, constituency FROM mandates WHERE organ_id = $1 AND term = $2 AND status = 'serving'",
        vec![organ_id.into(), old_term.into()],
    )
    .await?;
    if serving.is_empty() {
        return Err(AppError::Conflict(format!("第{old_term}届没有在任代表，无法换届")));
    }
    let by_person: HashMap<i64, &Serving> = serving.iter().map(|s| (s.person_id, s)).collect();
    for s in &serving {
        end_mandate(c, key, actor, s.id, &end).await?;
    }
    let mut again = 0;
    for pid in reelected {
        if let Some(s) = by_person.get(pid) {
            add_mandate(
                c,
                key,
                actor,
                *pid,
                &MandateInput {
                    organ_id,
                    term: old_term + 1,
                    constituency: s.constituency.clone(),
                    start_date: Some(date.into()),
                    how: MandateEventKind::Elected.as_str().into(),
                },
            )
            .await?;
            again += 1;
        }
    }
    Ok((serving.len(), again))
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

/// Stations a person is assigned to (id, name).
pub async fn stations_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT s.id, s.name FROM station_deputies sd JOIN stations s ON s.id = sd.station_id \
         WHERE sd.person_id = $1 ORDER BY s.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// What the public deputy card shows besides the person, read as one row: serving mandates,
/// stations, group names and the next duty slots (at most `slot_limit`, from `from` on).
pub struct CardExtras {
    pub mandates: Vec<Mandate>,
    pub stations: Vec<(i64, String)>,
    pub groups: Vec<String>,
    /// Slots with their station's name.
    pub slots: Vec<(super::schedule::Slot, String)>,
}

pub async fn card_extras<C: ConnectionTrait>(
    c: &C,
    person_id: i64,
    from: chrono::NaiveDate,
    slot_limit: u64,
) -> Result<CardExtras, DbErr> {
    let agg = db::string_agg(c.get_database_backend());
    let sql = format!(
        "SELECT \
         (SELECT {agg}(CAST(m.id AS TEXT) || $3 || CAST(m.organ_id AS TEXT) || $3 || m.level || $3 \
            || CAST(m.term AS TEXT) || $3 || m.constituency || $3 || COALESCE(m.start_date, '') || $3 \
            || o.name || $3 || a.name, $4) \
          FROM mandates m JOIN organs o ON o.id = m.organ_id JOIN areas a ON a.id = o.area_id \
          WHERE m.person_id = $1 AND m.status = 'serving'), \
         (SELECT {agg}(CAST(s.id AS TEXT) || $3 || s.name, $4) FROM station_deputies sd \
          JOIN stations s ON s.id = sd.station_id WHERE sd.person_id = $1), \
         (SELECT {agg}(g.name, $4) FROM memberships gm JOIN deputy_groups g ON g.id = gm.group_id \
          WHERE gm.person_id = $1), \
         (SELECT {agg}(CAST(x.id AS TEXT) || $3 || CAST(x.station_id AS TEXT) || $3 || x.slot_date || $3 \
            || x.start_time || $3 || x.end_time || $3 || CAST(x.online AS TEXT) || $3 || x.station_name, $4) \
          FROM (SELECT d.id, d.station_id, d.slot_date, d.start_time, d.end_time, d.online, \
                COALESCE(st.name, '') AS station_name FROM duty_slots d LEFT JOIN stations st ON st.id = d.station_id \
                WHERE d.person_id = $1 AND d.slot_date >= $2 ORDER BY d.slot_date, d.start_time, d.id \
                LIMIT {slot_limit}) x)"
    );
    let row = c
        .query_one_raw(db::stmt(
            c.get_database_backend(),
            &sql,
            vec![
                person_id.into(),
                from.format("%Y-%m-%d").to_string().into(),
                db::FIELD_SEP.into(),
                db::RECORD_SEP.into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("card extras".into()))?;
    let col = |i: usize| row.try_get_by_index::<Option<String>>(i);
    let (mandates_txt, stations_txt, groups_txt, slots_txt) = (col(0)?, col(1)?, col(2)?, col(3)?);
    let num = |v: &str| v.parse::<i64>().unwrap_or(0);
    let mut mandates: Vec<Mandate> = db::split_records(mandates_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 8)
        .map(|f| Mandate {
            id: num(f[0]),
            person_id,
            organ_id: num(f[1]),
            level: f[2].into(),
            term: num(f[3]),
            constituency: f[4].into(),
            start_date: Some(f[5].to_string()).filter(|d| !d.is_empty()),
            end_date: None,
            status: MandateStatus::Serving,
            organ_name: f[6].into(),
            area_name: f[7].into(),
        })
        .collect();
    mandates.sort_by_key(|m| (m.level(), -m.term));
    let mut stations: Vec<(i64, String)> = db::split_records(stations_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 2)
        .map(|f| (num(f[0]), f[1].to_string()))
        .collect();
    stations.sort();
    let mut groups: Vec<String> =
        db::split_records(groups_txt.as_deref()).into_iter().map(|f| f.join(db::FIELD_SEP)).collect();
    groups.sort();
    let mut slots: Vec<(super::schedule::Slot, String)> = db::split_records(slots_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 7)
        .map(|f| {
            let slot = super::schedule::Slot {
                id: num(f[0]),
                station_id: num(f[1]),
                person_id,
                person_name: String::new(),
                slot_date: f[2].into(),
                start_time: f[3].into(),
                end_time: f[4].into(),
                online: matches!(f[5], "1" | "true"),
            };
            (slot, f[6].to_string())
        })
        .collect();
    slots.sort_by(|a, b| (&a.0.slot_date, &a.0.start_time, a.0.id).cmp(&(&b.0.slot_date, &b.0.start_time, b.0.id)));
    Ok(CardExtras { mandates, stations, groups, slots })
}

/// Groups a person belongs to: (group id, group name, kind, role).
pub async fn groups_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<(i64, String, String, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT g.id, g.name, g.kind, gm.role FROM memberships gm JOIN deputy_groups g ON g.id = gm.group_id \
         WHERE gm.person_id = $1 ORDER BY g.kind, g.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?, r.try_get_by_index(3)?)))
        .collect()
}

/// Configurable role names held by a person (联络员, 信息采集员 …).
pub async fn roles_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<String>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT r.name FROM memberships a JOIN role_names r ON r.id = a.role_name_id WHERE a.person_id = $1 \
         ORDER BY r.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}

/// Grid places of a person: (grid name, role `gridder|supervisor`).
pub async fn grids_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<(String, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT g.name, gm.role FROM memberships gm JOIN grids g ON g.id = gm.grid_id WHERE gm.person_id = $1 \
         ORDER BY g.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// The path of the organ registering a person (for authorization), if the person exists.
pub async fn person_organ_path<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Option<String>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT o.path FROM persons p JOIN organs o ON o.id = p.organ_id WHERE p.id = $1",
        vec![person_id.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get_by_index(0)).transpose()
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

/// Persons whose name is exactly `name`, registered at an organ under `organ_path` or above
/// it (a station or group may take a deputy registered by the upper organ): (id, organ name).
pub async fn find_by_name<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    name: &str,
) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT p.id, o.name FROM persons p JOIN organs o ON o.id = p.organ_id WHERE p.name = $1 \
         AND (o.path LIKE $2 ESCAPE '\\' OR $3 LIKE o.path || '%') ORDER BY p.id LIMIT 20",
        vec![name.trim().into(), like_prefix(organ_path), organ_path.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// Station names of some persons: person id → names.
pub async fn station_names_of<C: ConnectionTrait>(
    c: &C,
    person_ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>, DbErr> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if person_ids.is_empty() {
        return Ok(out);
    }
    let list = person_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT sd.person_id, s.name FROM station_deputies sd JOIN stations s ON s.id = sd.station_id \
             WHERE sd.person_id IN ({list}) ORDER BY s.id"
        ),
        vec![],
    )
    .await?;
    for r in rows {
        out.entry(r.try_get_by_index(0)?).or_default().push(r.try_get_by_index(1)?);
    }
    Ok(out)
}

pub(crate) fn like_prefix(path: &str) -> Value {
    format!("{}%", db::like_escape(path)).into()
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
