//! A suggestion's links to other records (SUG-11): a 检察建议 or a 公益诉讼线索 it became or was
//! linked with — an external reference (its number, the procuratorate, the date, a note) kept
//! in `external_references` and linked through the platform's `record_links`; and the other
//! side's view of a suggestion made from citizens' opinions: once the suggestion has its
//! number, its links to the opinions carry it as their note, so the opinion's page says
//! 「已转为代表建议 …第N号」 without reading this module's tables.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::model::Suggestion;
use crate::app::codes::code_enum;
use crate::app::error::{AppError, AppResult};
use crate::audit::{self, Actor, Change};
use crate::db;

/// `record_links.to_type` of an external reference.
pub const LINK_TYPE: &str = "external_reference";

code_enum! {
    /// What the external record is.
    #[derive(schemars::JsonSchema)]
    pub enum ReferenceKind {
        /// 检察建议.
        Procuratorial = ("procuratorial_suggestion", "检察建议"),
        /// 公益诉讼线索.
        PublicInterest = ("public_interest_clue", "公益诉讼线索"),
    }
}

/// A reference as entered.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceIn {
    /// `procuratorial_suggestion` (检察建议) or `public_interest_clue` (公益诉讼线索).
    #[serde(default)]
    #[schemars(with = "ReferenceKind")]
    pub kind: String,
    /// Its number, e.g. 诸检民（行）建〔2026〕3号.
    #[serde(default)]
    pub number: String,
    /// The procuratorate that issued or received it.
    #[serde(default)]
    pub issuer: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub issued_on: String,
    #[serde(default)]
    pub note: String,
}

/// A reference as stored and shown.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Reference {
    pub id: i64,
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub issued_on: String,
    pub note: String,
}

impl Reference {
    pub fn kind_label(&self) -> &'static str {
        ReferenceKind::label_of(&self.kind)
    }
}

/// The external references of a suggestion, oldest first.
pub async fn of<C: ConnectionTrait>(c: &C, id: i64) -> Result<Vec<Reference>, DbErr> {
    db::query_all(
        c,
        "SELECT x.id, x.kind, x.number, x.issuer, x.issued_on, x.note FROM record_links l \
         JOIN external_references x ON x.id = l.to_id \
         WHERE l.from_type = 'suggestion' AND l.from_id = $1 AND l.to_type = $2 ORDER BY l.id LIMIT 50",
        vec![id.into(), LINK_TYPE.into()],
    )
    .await
}

fn field(name: &str, v: &str, max: usize, required: &str) -> AppResult<String> {
    let v = v.trim();
    if v.is_empty() && !required.is_empty() {
        return Err(AppError::invalid(name, required));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(name, format!("不能超过 {max} 字")));
    }
    Ok(v.to_string())
}

/// Records an external reference and links the suggestion to it (staff, once handed in).
pub async fn add<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    r: &ReferenceIn,
    now: i64,
) -> AppResult<i64> {
    let kind =
        ReferenceKind::parse(&r.kind).ok_or_else(|| AppError::invalid("kind", "请选择检察建议或公益诉讼线索"))?;
    let number = field("number", &r.number, 60, "请填写文号或线索编号")?;
    let issuer = field("issuer", &r.issuer, 60, "请填写检察院")?;
    let issued_on = match r.issued_on.trim() {
        "" => String::new(),
        d => crate::app::fmt::parse_iso_date(d)
            .ok_or_else(|| AppError::invalid("issued_on", "日期格式应为 YYYY-MM-DD"))?
            .format("%Y-%m-%d")
            .to_string(),
    };
    let note = field("note", &r.note, 500, "")?;
    if of(c, s.id).await?.len() >= 50 {
        return Err(AppError::invalid("number", "一件建议最多关联 50 条"));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO external_references (organ_id, kind, number, issuer, issued_on, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            s.organ_id.into(),
            kind.as_str().into(),
            number.clone().into(),
            issuer.clone().into(),
            issued_on.into(),
            note.into(),
            now.into(),
        ],
    )
    .await?;
    crate::links::add(c, ("suggestion", s.id), (LINK_TYPE, id), kind.label(), now).await?;
    let summary = format!("关联{}（{issuer} {number}）：{}", kind.label(), s.title);
    let ch = Change {
        action: "suggestion_reference",
        target_type: "suggestion",
        target_id: s.id.to_string(),
        organ_id: Some(s.organ_id),
        summary,
    };
    audit::append(c, key, actor, ch).await?;
    Ok(id)
}

/// The word an opinion's page shows for a suggestion linked to it: its number, once it has one.
pub fn opinion_note(s: &Suggestion, number: i64) -> String {
    format!("代表建议{}第{number}号", s.session_name)
}

/// After submission: the suggestion's links to opinions carry its number (the other side's
/// view).
pub async fn numbered<C: ConnectionTrait>(c: &C, s: &Suggestion, number: i64) -> Result<(), DbErr> {
    crate::links::set_note(c, ("suggestion", s.id), "opinion", &opinion_note(s, number)).await.map(drop)
}
