//! The one rule of what is public (OPN-9, PLAT-8): a record is public only through its
//! **publication** — the public version staff previewed and published, with the personal data
//! citizens typed into it masked (`privacy::redact`) — and only while it is not withdrawn.
//! Every public surface (pages, the public API, Open311 without a key, exports, the topic and
//! draft pages still to come) reads what it shows from `publications` and joins on
//! [`live_join`]; none reads the record's own text.
//!
//! A domain decides *whether* a record may be published (the citizen agreed, the item is
//! closed) and calls [`publish`] in its write; this module decides *what* goes out.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::audit::{Actor, Change};
use crate::db;
use crate::privacy::redact::{Redacted, redact};

/// The longest public title and body staff may publish.
pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 5_000;

/// A publication as stored.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct Publication {
    pub id: i64,
    pub organ_id: i64,
    pub owner_type: String,
    pub owner_id: i64,
    pub title: String,
    pub body: String,
    pub reply: String,
    /// How many spans were masked automatically when it was published.
    pub masked: i64,
    pub published_by_name: String,
    pub published_at: i64,
    pub withdrawn_at: Option<i64>,
    pub withdrawn_by_name: Option<String>,
}

impl Publication {
    pub fn live(&self) -> bool {
        self.withdrawn_at.is_none()
    }
    pub fn when(&self) -> String {
        crate::base::fmt::datetime(self.published_at)
    }
}

const COLS: &str = "id, organ_id, owner_type, owner_id, title, body, reply, masked, published_by_name, \
     published_at, withdrawn_at, withdrawn_by_name";

/// The SQL that limits a query to records with a live publication: an inner join of
/// `publications` as `alias` on `owner_type` (a constant of the calling domain, never input)
/// and the owner's id expression.
pub fn live_join(alias: &str, owner_type: &'static str, owner_id_expr: &str) -> String {
    debug_assert!(owner_type.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    format!(
        "JOIN publications {alias} ON {alias}.owner_type = '{owner_type}' AND {alias}.owner_id = {owner_id_expr} \
         AND {alias}.withdrawn_at IS NULL"
    )
}

/// The publication of a record, live or withdrawn.
pub async fn of<C: ConnectionTrait>(c: &C, owner_type: &str, owner_id: i64) -> Result<Option<Publication>, DbErr> {
    db::query_one(
        c,
        &format!("SELECT {COLS} FROM publications WHERE owner_type = $1 AND owner_id = $2"),
        vec![owner_type.into(), owner_id.into()],
    )
    .await
}

/// The public version of a record before it goes out: each part with what was masked.
#[derive(Clone, Debug, Default)]
pub struct Preview {
    pub title: Redacted,
    pub body: Redacted,
    pub reply: Redacted,
}

impl Preview {
    pub fn of(title: &str, body: &str, reply: &str) -> Preview {
        Preview { title: redact(title.trim()), body: redact(body.trim()), reply: redact(reply.trim()) }
    }
    pub fn masked(&self) -> usize {
        self.title.spans.len() + self.body.spans.len() + self.reply.spans.len()
    }
}

/// What staff send: the text to publish, as edited in the preview (masked again here, so an
/// edit cannot put a phone number back).
pub struct Draft<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub reply: &'a str,
}

/// Why a draft cannot be published.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    EmptyTitle,
    TitleTooLong,
    BodyTooLong,
}

impl Refusal {
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::EmptyTitle | Refusal::TitleTooLong => "title",
            Refusal::BodyTooLong => "body",
        }
    }
    pub fn message(&self) -> String {
        match self {
            Refusal::EmptyTitle => "请填写公开标题".into(),
            Refusal::TitleTooLong => format!("标题不能超过 {MAX_TITLE} 字"),
            Refusal::BodyTooLong => format!("正文和答复各不能超过 {MAX_BODY} 字"),
        }
    }
}

/// Checks a draft and returns its masked form.
pub fn check(d: &Draft<'_>) -> Result<Preview, Refusal> {
    let p = Preview::of(d.title, d.body, d.reply);
    if p.title.text.is_empty() {
        return Err(Refusal::EmptyTitle);
    }
    if p.title.text.chars().count() > MAX_TITLE {
        return Err(Refusal::TitleTooLong);
    }
    if p.body.text.chars().count() > MAX_BODY || p.reply.text.chars().count() > MAX_BODY {
        return Err(Refusal::BodyTooLong);
    }
    Ok(p)
}

/// The record being published: its type, id, organ, and a label for the audit summary (a
/// tracking number, never personal data).
pub struct Owner<'a> {
    pub owner_type: &'static str,
    pub owner_id: i64,
    pub organ_id: i64,
    pub label: &'a str,
}

/// Publishes (or publishes again, replacing the text) in the caller's transaction, audited.
pub async fn publish<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    owner: &Owner<'_>,
    d: &Draft<'_>,
    now: i64,
) -> Result<Result<Publication, Refusal>, DbErr> {
    let p = match check(d) {
        Ok(p) => p,
        Err(r) => return Ok(Err(r)),
    };
    let masked = p.masked() as i64;
    let existing = of(c, owner.owner_type, owner.owner_id).await?;
    let values = vec![
        p.title.text.clone().into(),
        p.body.text.clone().into(),
        p.reply.text.clone().into(),
        masked.into(),
        actor.account_id.into(),
        actor.name.clone().into(),
        now.into(),
        owner.owner_type.into(),
        owner.owner_id.into(),
    ];
    if existing.is_some() {
        db::exec(
            c,
            "UPDATE publications SET title = $1, body = $2, reply = $3, masked = $4, published_by = $5, \
             published_by_name = $6, published_at = $7, withdrawn_at = NULL, withdrawn_by_name = NULL \
             WHERE owner_type = $8 AND owner_id = $9",
            values,
        )
        .await?;
    } else {
        let mut values = values;
        values.push(owner.organ_id.into());
        db::exec(
            c,
            "INSERT INTO publications (title, body, reply, masked, published_by, published_by_name, published_at, \
             owner_type, owner_id, organ_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            values,
        )
        .await?;
    }
    let again = if existing.is_some() { "重新公开" } else { "公开" };
    Change::audited(
        "publish",
        owner.owner_type,
        owner.owner_id,
        format!("{again} {}（自动遮盖个人信息 {masked} 处）", owner.label),
    )
    .in_organ(owner.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(Ok(of(c, owner.owner_type, owner.owner_id).await?.expect("just written")))
}

/// Withdraws a live publication in the caller's transaction, audited; false when there was none.
pub async fn withdraw<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    owner: &Owner<'_>,
    now: i64,
) -> Result<bool, DbErr> {
    let n = db::exec(
        c,
        "UPDATE publications SET withdrawn_at = $1, withdrawn_by_name = $2 \
         WHERE owner_type = $3 AND owner_id = $4 AND withdrawn_at IS NULL",
        vec![now.into(), actor.name.clone().into(), owner.owner_type.into(), owner.owner_id.into()],
    )
    .await?;
    if n == 0 {
        return Ok(false);
    }
    Change::audited("unpublish", owner.owner_type, owner.owner_id, format!("撤回公开 {}", owner.label))
        .in_organ(owner.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_masked_and_checked() {
        let p =
            check(&Draft { title: "电话13812345678反映路灯", body: "身份证11010519491231002X", reply: "" }).unwrap();
        assert!(!p.title.text.contains("13812345678"));
        assert!(!p.body.text.contains("11010519491231002X"));
        assert_eq!(p.masked(), 2);
        assert_eq!(check(&Draft { title: "  ", body: "x", reply: "" }).unwrap_err(), Refusal::EmptyTitle);
        let long = "长".repeat(MAX_TITLE + 1);
        assert_eq!(check(&Draft { title: &long, body: "", reply: "" }).unwrap_err(), Refusal::TitleTooLong);
    }

    #[test]
    fn the_join_names_a_constant_owner() {
        let j = live_join("pb", "opinion", "op.id");
        assert!(j.contains("pb.owner_type = 'opinion'"));
        assert!(j.contains("pb.withdrawn_at IS NULL"));
    }
}
