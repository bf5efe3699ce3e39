//! Passage and after (LEG-7): a draft's readings with their vote (typed in, or taken from a
//! closed meeting ballot of `ballot`, linked through `record_links`), the regulation entered
//! into the register of regulations in force once passed — approval by the province's standing
//! committee for a city's regulation, promulgation, entry into force —, the register's
//! full-text search (the platform's Chinese search: text segmented by jieba, FTS5 on SQLite,
//! `to_tsvector('simple', …)` on PostgreSQL), each regulation's 配套制度 with status and due
//! date, and its interpretation material (法规解读).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Value};
use serde::Serialize;

use super::model::{self, Draft, DraftState};
use super::model::{RegulationChange, Shown};
use crate::app::codes::code_enum;
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::db;
use crate::privacy::FieldCrypto;

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum Reading {
        First = ("first", "一审"),
        Second = ("second", "二审"),
        Third = ("third", "三审"),
        Vote = ("vote", "表决"),
    }
}

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum ReadingResult {
        Continued = ("continued", "继续审议"),
        Passed = ("passed", "表决通过"),
        Failed = ("failed", "未获通过"),
        Shelved = ("shelved", "搁置审议"),
    }
}

code_enum! {
    #[derive(schemars::JsonSchema)]
    pub enum RegulationState {
        InForce = ("in_force", "现行有效"),
        Amended = ("amended", "已被修改"),
        Repealed = ("repealed", "已废止"),
    }
}

code_enum! {
    parse: labels;
    #[derive(schemars::JsonSchema)]
    pub enum RuleStatus {
        Pending = ("pending", "未启动"),
        Drafting = ("drafting", "制定中"),
        Issued = ("issued", "已出台"),
    }
}

fn date(errors: &mut FieldErrors, field: &str, label: &str, v: &str, required: bool) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        if required {
            errors.add(field, format!("请填写{label}，如 2026-12-01"));
        }
        return None;
    }
    match crate::app::fmt::parse_date(v) {
        Some(d) => Some(d.format("%Y-%m-%d").to_string()),
        None => {
            errors.add(field, format!("{label}应为日期，如 2026-12-01"));
            None
        }
    }
}

// ------------------------------------------------------------------ readings

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct ReadingRow {
    pub id: i64,
    pub draft_id: i64,
    pub version_id: Option<i64>,
    /// `first|second|third|vote`
    pub reading: String,
    pub meeting: String,
    pub held_on: String,
    /// `continued|passed|failed|shelved`
    pub result: String,
    pub votes_for: Option<i64>,
    pub votes_against: Option<i64>,
    pub votes_abstain: Option<i64>,
    pub created_at: i64,
}

impl ReadingRow {
    pub fn reading_label(&self) -> &'static str {
        Reading::label_of(&self.reading)
    }
    pub fn result_label(&self) -> &'static str {
        ReadingResult::label_of(&self.result)
    }
    /// Read on this version.
    pub fn read_on(&self, version_id: &i64) -> bool {
        self.version_id == Some(*version_id)
    }
}

pub async fn readings<C: ConnectionTrait>(c: &C, draft_id: i64) -> Result<Vec<ReadingRow>, DbErr> {
    db::query_all(
        c,
        "SELECT id, draft_id, version_id, reading, meeting, held_on, result, votes_for, votes_against, votes_abstain, \
         created_at FROM leg_readings WHERE draft_id = $1 ORDER BY held_on, id",
        vec![draft_id.into()],
    )
    .await
}

/// A reading as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReading {
    /// `first|second|third|vote` (一审/二审/三审/表决)
    #[serde(default)]
    pub reading: String,
    /// The meeting, e.g. 「市十八届人大常委会第二十次会议」.
    #[serde(default)]
    pub meeting: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub held_on: String,
    /// `continued|passed|failed|shelved`
    #[serde(default)]
    pub result: String,
    /// The version read (default: the newest).
    #[serde(default)]
    pub version_id: Option<i64>,
    /// A closed meeting ballot (a motion) whose figures are taken and linked.
    #[serde(default)]
    pub ballot_id: Option<i64>,
    #[serde(default)]
    pub votes_for: Option<i64>,
    #[serde(default)]
    pub votes_against: Option<i64>,
    #[serde(default)]
    pub votes_abstain: Option<i64>,
}

/// Records a reading of a draft; a vote's figures come from the meeting ballot when one is
/// given (linked), else as typed. A passed vote marks the draft passed.
pub async fn add_reading<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    d: &Draft,
    r: &NewReading,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let reading = Reading::parse(r.reading.trim());
    if reading.is_none() {
        errors.add("reading", "请选择一审、二审、三审或表决");
    }
    let meeting = r.meeting.trim();
    if meeting.is_empty() || meeting.chars().count() > 100 {
        errors.add("meeting", "请填写会议名称（不超过 100 字）");
    }
    let held_on = date(&mut errors, "held_on", "会议日期", &r.held_on, true);
    let result = ReadingResult::parse(r.result.trim());
    if result.is_none() {
        errors.add("result", "请选择审议结果");
    }
    let versions = model::versions(c, d.id).await?;
    let version = match r.version_id {
        Some(v) => match versions.iter().find(|x| x.id == v) {
            Some(x) => Some(x.id),
            None => {
                errors.add("version_id", "这个草案没有这一稿");
                None
            }
        },
        None => versions.last().map(|v| v.id),
    };
    let mut figures = (r.votes_for, r.votes_against, r.votes_abstain);
    if let Some(b) = r.ballot_id {
        match crate::ballot::model::ballot(c, b).await? {
            Some(ballot)
                if ballot.kind == "meeting"
                    && ballot.state == "closed"
                    && ballot.vote_kind == "motion"
                    && ballot.organ_id == d.organ_id =>
            {
                let t = crate::ballot::model::tally(c, crypto, &ballot).await?;
                figures = (t.yes, t.no, t.abstain);
            }
            _ => errors.add("ballot_id", "没有这次已结束的会议表决"),
        }
    }
    let voted = reading == Some(Reading::Vote) || matches!(result, Some(ReadingResult::Passed | ReadingResult::Failed));
    match figures {
        (None, None, None) if voted => errors.add("votes_for", "表决请填写赞成、反对、弃权票数，或选择会议表决"),
        (Some(a), Some(b), Some(x)) if a < 0 || b < 0 || x < 0 || a + b + x > 100_000 => {
            errors.add("votes_for", "票数应为不小于 0 的整数")
        }
        (Some(_), Some(_), Some(_)) | (None, None, None) => {}
        _ => errors.add("votes_for", "请同时填写赞成、反对、弃权票数"),
    }
    if result == Some(ReadingResult::Passed) && reading != Some(Reading::Vote) {
        errors.add("result", "只有表决才能表决通过；审议后请选择继续审议");
    }
    errors.check()?;
    if d.state() != DraftState::Active {
        return Err(AppError::Conflict(format!("草案{}，不能再记录审议", d.state().label())));
    }
    let (reading, result) = (reading.expect("checked"), result.expect("checked"));
    let id = db::insert_id(
        c,
        "INSERT INTO leg_readings (draft_id, version_id, reading, meeting, held_on, result, votes_for, votes_against, \
         votes_abstain, created_by_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        vec![
            d.id.into(),
            version.into(),
            reading.as_str().into(),
            meeting.into(),
            held_on.clone().into(),
            result.as_str().into(),
            figures.0.into(),
            figures.1.into(),
            figures.2.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    if let Some(b) = r.ballot_id {
        crate::links::add(c, ("leg_reading", id), ("ballot", b), &d.title, now).await?;
    }
    if result == ReadingResult::Passed {
        db::exec(c, "UPDATE leg_drafts SET state = 'passed' WHERE id = $1", vec![d.id.into()]).await?;
    }
    let votes = match figures {
        (Some(a), Some(b), Some(x)) => format!("，赞成 {a} 票、反对 {b} 票、弃权 {x} 票"),
        _ => String::new(),
    };
    Change::audited(
        "leg_reading_add",
        "leg_draft",
        d.id,
        format!("{}{}（{}）：{}{votes}", meeting, reading.label(), held_on.unwrap_or_default(), result.label()),
    )
    .in_organ(d.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

// ------------------------------------------------------------------ the register

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Regulation {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    pub organ_name: String,
    pub draft_id: Option<i64>,
    pub title: String,
    /// Who passed it (e.g. 「潍坊市第十八届人民代表大会常务委员会第二十次会议」).
    pub passed_by: String,
    pub passed_on: String,
    /// Who approved it (a city's regulation: the province's standing committee), or empty.
    pub approved_by: String,
    pub approved_on: Option<String>,
    pub promulgated_on: String,
    pub effective_on: String,
    /// `in_force|amended|repealed`
    pub state: String,
    pub created_at: i64,
}

impl Regulation {
    pub fn state_label(&self) -> &'static str {
        RegulationState::label_of(&self.state)
    }
    /// In force on this Beijing date.
    pub fn in_force_on(&self, today: &str) -> bool {
        self.state == "in_force" && self.effective_on.as_str() <= today
    }
}

const REGULATION_SELECT: &str = "SELECT r.id, r.organ_id, o.path AS organ_path, o.name AS organ_name, r.draft_id, r.title, \
     r.passed_by, r.passed_on, r.approved_by, r.approved_on, r.promulgated_on, r.effective_on, r.state, r.created_at \
     FROM leg_regulations r JOIN organs o ON o.id = r.organ_id";

pub async fn regulation<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Regulation>, DbErr> {
    db::query_one(c, &format!("{REGULATION_SELECT} WHERE r.id = $1"), vec![id.into()]).await
}

pub async fn body<C: ConnectionTrait>(c: &C, id: i64) -> Result<String, DbErr> {
    let rows = db::query_rows(c, "SELECT body FROM leg_regulations WHERE id = $1", vec![id.into()]).await?;
    Ok(rows.first().and_then(|r| r.try_get_by_index::<String>(0).ok()).unwrap_or_default())
}

pub async fn of_draft<C: ConnectionTrait>(c: &C, draft_id: i64) -> Result<Option<Regulation>, DbErr> {
    db::query_one(c, &format!("{REGULATION_SELECT} WHERE r.draft_id = $1"), vec![draft_id.into()]).await
}

/// The most matches a search ranks (the newest first): a common word stays cheap.
const SEARCH_WINDOW: i64 = 2000;

/// A regulation found, with a snippet around the first hit.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Found {
    #[serde(flatten)]
    pub regulation: Regulation,
    /// The text around the first hit, in pieces.
    pub snippet: Vec<SnippetPiece>,
}

/// A piece of a snippet: a hit of the search or the text around it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SnippetPiece {
    pub text: String,
    pub hit: bool,
}

/// The regulations of the register shown (in force, repealed or all) whose text (or title)
/// has every word of `q` (none: all), newest first. The text searched is the newest: a 修正 or
/// 修订 replaces it.
pub async fn search<C: ConnectionTrait>(c: &C, q: &str, shown: Shown, limit: i64) -> Result<Vec<Found>, DbErr> {
    let terms = crate::nlp::segment::query_terms(q);
    let mut values: Vec<Value> = Vec::new();
    let mut w = vec!["1 = 1".to_string()];
    w.extend(shown.condition().map(String::from));
    if !terms.is_empty() {
        match c.get_database_backend() {
            DbBackend::Postgres => {
                values.push(terms.join(" & ").into());
                w.push("to_tsvector('simple', r.search_text) @@ to_tsquery('simple', $1)".into());
            }
            _ => {
                let q = terms.iter().map(|t| format!("\"{}\"", t.replace('"', ""))).collect::<Vec<_>>().join(" AND ");
                values.push(q.into());
                w.push(format!(
                    "r.id IN (SELECT rowid FROM leg_regulations_fts WHERE leg_regulations_fts MATCH $1 \
                     ORDER BY rowid DESC LIMIT {SEARCH_WINDOW})"
                ));
            }
        }
    }
    values.push(limit.into());
    let rows: Vec<Regulation> = db::query_all(
        c,
        &format!(
            "{REGULATION_SELECT} WHERE {} ORDER BY r.promulgated_on DESC, r.id DESC LIMIT ${}",
            w.join(" AND "),
            values.len()
        ),
        values,
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let text = body(c, r.id).await?;
        let snippet = crate::nlp::segment::highlight(&text, &terms, 80)
            .into_iter()
            .map(|(text, hit)| SnippetPiece { text, hit })
            .collect();
        out.push(Found { regulation: r, snippet });
    }
    Ok(out)
}

/// A regulation as typed: entered once its draft passed, or an older one put into the register.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegulation {
    /// The regulation's name (a passed draft's title when left empty).
    #[serde(default)]
    pub title: String,
    /// The meeting that passed it.
    #[serde(default)]
    pub passed_by: String,
    #[serde(default)]
    pub passed_on: String,
    /// A city's regulation: the province's standing committee that approved it.
    #[serde(default)]
    pub approved_by: String,
    #[serde(default)]
    pub approved_on: String,
    #[serde(default)]
    pub promulgated_on: String,
    #[serde(default)]
    pub effective_on: String,
    /// The full text (a passed draft's newest version when left empty).
    #[serde(default)]
    pub text: String,
}

/// The whole text of a version, one paragraph a line, as the register keeps it: headings with
/// their numbers, an article's number before its first paragraph (「第一条　为了……」), items with
/// theirs.
pub async fn version_text<C: ConnectionTrait>(c: &C, version_id: i64) -> Result<String, DbErr> {
    use super::parse::Kind;
    let mut out = Vec::new();
    // An article's number (and heading) waiting for its first paragraph.
    let mut pending: Option<String> = None;
    for n in model::nodes(c, version_id).await? {
        let kind = n.kind();
        if kind == Kind::Paragraph {
            match pending.take() {
                Some(head) => out.push(format!("{head}　{}", n.body)),
                None => out.push(n.body.clone()),
            }
            continue;
        }
        out.extend(pending.take());
        if kind.is_heading() {
            out.push(format!("{}　{}", n.number, n.heading).trim().to_string());
        } else if kind == Kind::Article {
            let heading = if n.heading.is_empty() { String::new() } else { format!("【{}】", n.heading) };
            let head = format!("{}{heading}", n.number);
            if n.body.trim().is_empty() {
                pending = Some(head);
            } else {
                out.push(format!("{head}　{}", n.body));
            }
        } else {
            out.push(format!("{}{}", n.number, n.body));
        }
    }
    out.extend(pending);
    Ok(out.into_iter().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n"))
}

/// Enters a regulation into the register: of a passed draft (its newest version's text and
/// title unless typed) or, with `draft` none, one passed before the system.
pub async fn enter<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    (organ_id, draft): (i64, Option<&Draft>),
    r: &NewRegulation,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    if let Some(d) = draft {
        if d.state() != DraftState::Passed {
            return Err(AppError::Conflict("草案尚未表决通过：请先记录表决结果".into()));
        }
        if of_draft(c, d.id).await?.is_some() {
            return Err(AppError::Conflict("这个草案的法规已经登记".into()));
        }
    }
    let title = if r.title.trim().is_empty() {
        draft
            .map(|d| d.title.replace("（草案）", "").replace("（修订草案）", "").replace("（修正草案）", ""))
            .unwrap_or_default()
    } else {
        r.title.trim().to_string()
    };
    if title.is_empty() || title.chars().count() > 100 {
        errors.add("title", "请填写法规名称（不超过 100 字）");
    }
    let passed_by = r.passed_by.trim();
    if passed_by.is_empty() || passed_by.chars().count() > 100 {
        errors.add("passed_by", "请填写通过的会议（不超过 100 字）");
    }
    let passed_on = date(&mut errors, "passed_on", "通过日期", &r.passed_on, true);
    let approved_on = date(&mut errors, "approved_on", "批准日期", &r.approved_on, false);
    if r.approved_by.trim().chars().count() > 100 {
        errors.add("approved_by", "批准机关不能超过 100 字");
    }
    if approved_on.is_some() == r.approved_by.trim().is_empty() {
        errors.add("approved_on", "设区的市的法规请同时填写批准机关和批准日期；其他法规两项都留空");
    }
    let promulgated_on = date(&mut errors, "promulgated_on", "公布日期", &r.promulgated_on, true);
    let effective_on = date(&mut errors, "effective_on", "施行日期", &r.effective_on, true);
    if let (Some(p), Some(a)) = (&passed_on, &approved_on)
        && a < p
    {
        errors.add("approved_on", "批准日期不能早于通过日期");
    }
    if let (Some(p), Some(x)) = (&passed_on, &promulgated_on)
        && x < p
    {
        errors.add("promulgated_on", "公布日期不能早于通过日期");
    }
    if let (Some(x), Some(e)) = (&promulgated_on, &effective_on)
        && e < x
    {
        errors.add("effective_on", "施行日期不能早于公布日期");
    }
    let text = if r.text.trim().is_empty() {
        match draft {
            Some(d) => match model::versions(c, d.id).await?.last() {
                Some(v) => version_text(c, v.id).await?,
                None => String::new(),
            },
            None => String::new(),
        }
    } else {
        r.text.trim().to_string()
    };
    let n = text.chars().count();
    if n < 20 {
        errors.add("text", "请粘贴法规全文");
    } else if n > super::service::MAX_TEXT {
        errors.add("text", format!("全文不能超过 {} 字", super::service::MAX_TEXT));
    }
    errors.check()?;
    let search_text = crate::nlp::segment::index_text(&format!("{title}\n{text}"));
    let id = db::insert_id(
        c,
        "INSERT INTO leg_regulations (organ_id, draft_id, title, passed_by, passed_on, approved_by, approved_on, promulgated_on, \
         effective_on, state, body, search_text, created_by_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'in_force', $10, $11, $12, $13)",
        vec![
            organ_id.into(),
            draft.map(|d| d.id).into(),
            title.clone().into(),
            passed_by.into(),
            passed_on.into(),
            r.approved_by.trim().into(),
            approved_on.into(),
            promulgated_on.clone().into(),
            effective_on.clone().into(),
            text.into(),
            search_text.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited(
        "leg_regulation_enter",
        "leg_regulation",
        id,
        format!(
            "《{title}》登记：{} 公布，{} 施行",
            promulgated_on.unwrap_or_default(),
            effective_on.unwrap_or_default()
        ),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

// ------------------------------------------------------------------ 配套制度 and 法规解读

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Rule {
    pub id: i64,
    pub regulation_id: i64,
    pub title: String,
    pub responsible: String,
    pub due_on: String,
    /// `pending|drafting|issued`
    pub status: String,
    pub issued_on: Option<String>,
}

impl Rule {
    pub fn status_label(&self) -> &'static str {
        RuleStatus::label_of(&self.status)
    }
    /// Not issued by its due date (a Beijing date).
    pub fn overdue(&self, today: &str) -> bool {
        self.status != "issued" && self.due_on.as_str() < today
    }
}

pub async fn rules<C: ConnectionTrait>(c: &C, regulation_id: i64) -> Result<Vec<Rule>, DbErr> {
    db::query_all(
        c,
        "SELECT id, regulation_id, title, responsible, due_on, status, issued_on FROM leg_rules WHERE regulation_id = $1 \
         ORDER BY due_on, id",
        vec![regulation_id.into()],
    )
    .await
}

pub async fn rule<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Rule>, DbErr> {
    db::query_one(
        c,
        "SELECT id, regulation_id, title, responsible, due_on, status, issued_on FROM leg_rules WHERE id = $1",
        vec![id.into()],
    )
    .await
}

#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    #[serde(default)]
    pub title: String,
    /// The body that makes it.
    #[serde(default)]
    pub responsible: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub due_on: String,
    /// `pending|drafting|issued` (default `pending`)
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub issued_on: String,
}

fn check_rule(r: &NewRule, errors: &mut FieldErrors) -> (Option<String>, Option<RuleStatus>, Option<String>) {
    let title = r.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        errors.add("title", "请填写配套制度名称（不超过 100 字）");
    }
    let who = r.responsible.trim();
    if who.is_empty() || who.chars().count() > 100 {
        errors.add("responsible", "请填写责任单位（不超过 100 字）");
    }
    let due = date(errors, "due_on", "完成期限", &r.due_on, true);
    let status =
        if r.status.trim().is_empty() { Some(RuleStatus::Pending) } else { RuleStatus::parse(r.status.trim()) };
    if status.is_none() {
        errors.add("status", "状态只能是未启动、制定中或已出台");
    }
    let issued = date(errors, "issued_on", "出台日期", &r.issued_on, status == Some(RuleStatus::Issued));
    (due, status, issued)
}

pub async fn add_rule<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    reg: &Regulation,
    r: &NewRule,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let (due, status, issued) = check_rule(r, &mut errors);
    errors.check()?;
    let status = status.expect("checked");
    let id = db::insert_id(
        c,
        "INSERT INTO leg_rules (regulation_id, title, responsible, due_on, status, issued_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            reg.id.into(),
            r.title.trim().into(),
            r.responsible.trim().into(),
            due.into(),
            status.as_str().into(),
            issued.into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited(
        "leg_rule_add",
        "leg_regulation",
        reg.id,
        format!("配套制度「{}」（{}）", r.title.trim(), status.label()),
    )
    .in_organ(reg.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

/// A 配套制度's status (and the date it was issued).
pub async fn set_rule<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    reg: &Regulation,
    rule: &Rule,
    status: &str,
    issued_on: &str,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let s = RuleStatus::parse(status.trim());
    if s.is_none() {
        errors.add("status", "状态只能是未启动、制定中或已出台");
    }
    let issued = date(&mut errors, "issued_on", "出台日期", issued_on, s == Some(RuleStatus::Issued));
    errors.check()?;
    let s = s.expect("checked");
    let issued = if s == RuleStatus::Issued { issued } else { None };
    db::exec(
        c,
        "UPDATE leg_rules SET status = $1, issued_on = $2 WHERE id = $3",
        vec![s.as_str().into(), issued.into(), rule.id.into()],
    )
    .await?;
    Change::audited("leg_rule_status", "leg_regulation", reg.id, format!("配套制度「{}」{}", rule.title, s.label()))
        .in_organ(reg.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Interpretation {
    pub id: i64,
    pub regulation_id: i64,
    pub title: String,
    pub body: String,
    pub published_on: String,
}

pub async fn interpretations<C: ConnectionTrait>(c: &C, regulation_id: i64) -> Result<Vec<Interpretation>, DbErr> {
    db::query_all(
        c,
        "SELECT id, regulation_id, title, body, published_on FROM leg_interpretations WHERE regulation_id = $1 \
         ORDER BY published_on, id",
        vec![regulation_id.into()],
    )
    .await
}

#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInterpretation {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub published_on: String,
}

pub async fn add_interpretation<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    reg: &Regulation,
    i: &NewInterpretation,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let title = i.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        errors.add("title", "请填写解读标题（不超过 100 字）");
    }
    let n = i.body.trim().chars().count();
    if !(20..=20_000).contains(&n) {
        errors.add("body", "请填写解读内容（20 至 20000 字）");
    }
    let on = date(&mut errors, "published_on", "发布日期", &i.published_on, true);
    errors.check()?;
    let id = db::insert_id(
        c,
        "INSERT INTO leg_interpretations (regulation_id, title, body, published_on, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![reg.id.into(), title.into(), i.body.trim().into(), on.into(), now.into()],
    )
    .await?;
    Change::audited("leg_interpretation_add", "leg_regulation", reg.id, format!("法规解读「{title}」"))
        .in_organ(reg.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(id)
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct RegulationList {
    /// The regulations shown (`state`: in force by default) whose text has every word of `q`,
    /// newest first; each with its `state`.
    pub items: Vec<Found>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct RegulationDetail {
    #[serde(flatten)]
    pub regulation: Regulation,
    /// The full text, one paragraph a line.
    pub text: String,
    /// 配套制度 with their status and due date.
    pub rules: Vec<Rule>,
    /// 法规解读.
    pub interpretations: Vec<Interpretation>,
    /// Its 修正, 修订 and 废止, the first first.
    pub changes: Vec<RegulationChange>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct IdOut {
    pub id: i64,
}
