//! An organ's numbering series and its rules (SUG-3): staff open a 人代会 session (one open at a
//! time; while it is open every suggestion submitted is numbered in its series) and close it
//! (then the year's 闭会期间 series numbers them again), and set how many confirmed
//! co-signers a 议案 needs — the legal default (5 at a township's congress, 10 above) until the
//! organ sets its own. Every change is audited in the caller's transaction.

use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;

use super::model::SeriesKind;
use crate::app::error::{AppError, AppResult};
use crate::audit::{self, Actor, Change};
use crate::db;

/// Co-signers a 议案 needs by law at a county-level congress or above, and at a township's.
pub const BILL_MIN_COUNTY: i64 = 10;
pub const BILL_MIN_TOWNSHIP: i64 = 5;
/// The range an organ may set.
pub const BILL_MIN_RANGE: std::ops::RangeInclusive<i64> = 1..=100;

/// A numbering series as staff see it.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Series {
    pub id: i64,
    /// `session` (人代会) or `recess` (闭会期间)
    #[schemars(with = "SeriesKind")]
    pub kind: String,
    pub year: i64,
    pub name: String,
    /// A 人代会 session still open: new suggestions are numbered in it.
    pub open: bool,
    /// Suggestions numbered in it so far.
    pub numbered: i64,
    /// The number the next one gets.
    pub next_number: i64,
}

impl Series {
    pub fn kind_label(&self) -> &'static str {
        if self.kind == SeriesKind::Session.as_str() { "人代会" } else { "闭会期间" }
    }
    /// The 人代会 session open now.
    pub fn is_open_session(&self) -> bool {
        self.open && self.kind == SeriesKind::Session.as_str()
    }
}

/// The organ's series, newest first, with how many were numbered in each.
pub async fn series<C: ConnectionTrait>(c: &C, organ: i64) -> AppResult<Vec<Series>> {
    Ok(db::query_all(
        c,
        "SELECT ss.id, ss.kind, ss.year, ss.name, ss.open, \
         (SELECT count(*) FROM suggestions sg WHERE sg.session_id = ss.id AND sg.number IS NOT NULL) AS numbered, \
         ss.next_number FROM suggestion_sessions ss WHERE ss.organ_id = $1 ORDER BY ss.year DESC, ss.id DESC LIMIT 200",
        vec![organ.into()],
    )
    .await?)
}

/// A new 人代会 session of `organ` asked for: its name and year.
pub struct NewSession<'a> {
    pub name: &'a str,
    pub year: Option<i64>,
}

/// Opens a 人代会 session: refused while another is open (409). Returns its id.
pub async fn open<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ: i64,
    new: &NewSession<'_>,
    now: i64,
) -> AppResult<i64> {
    let name = new.name.trim().to_string();
    if !(4..=60).contains(&name.chars().count()) {
        return Err(AppError::invalid("name", "请填写会次名称（4 到 60 个字），如「第十九届人民代表大会第三次会议」"));
    }
    let year = new.year.ok_or_else(|| AppError::invalid("year", "请填写年度"))?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年度应在 2000 到 2100 之间"));
    }
    let open = db::query_rows(
        c,
        "SELECT name FROM suggestion_sessions WHERE organ_id = $1 AND kind = 'session' AND open = true LIMIT 1",
        vec![organ.into()],
    )
    .await?;
    if let Some(r) = open.first() {
        let other: String = r.try_get_by_index(0)?;
        return Err(AppError::Conflict(format!("「{other}」尚未闭会，同一时间只能有一个人代会会次，请先闭会")));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO suggestion_sessions (organ_id, kind, year, name, next_number, open, created_at) \
         VALUES ($1, 'session', $2, $3, 1, true, $4)",
        vec![organ.into(), year.into(), name.clone().into(), now.into()],
    )
    .await?;
    let ch = change(
        "suggestion_session_open",
        id,
        organ,
        format!("开始人代会会次：{name}（{year} 年），此后提交的建议在本会次编号"),
    );
    audit::append(c, key, actor, ch).await?;
    Ok(id)
}

/// Closes the organ's open 人代会 session `id`: suggestions submitted after it go to the
/// year's 闭会期间 series.
pub async fn close<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, organ: i64, id: i64) -> AppResult<()> {
    let rows = db::query_rows(
        c,
        "SELECT name, kind, open FROM suggestion_sessions WHERE id = $1 AND organ_id = $2",
        vec![id.into(), organ.into()],
    )
    .await?;
    let r = rows.first().ok_or(AppError::NotFound)?;
    let (name, kind, open): (String, String, bool) =
        (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
    if kind != SeriesKind::Session.as_str() {
        return Err(AppError::Conflict("闭会期间的编号序列不需要闭会".into()));
    }
    if !open {
        return Err(AppError::Conflict(format!("「{name}」已经闭会")));
    }
    db::exec(c, "UPDATE suggestion_sessions SET open = false WHERE id = $1", vec![id.into()]).await?;
    let ch = change("suggestion_session_close", id, organ, format!("人代会闭会：{name}，此后提交的建议在闭会期间编号"));
    audit::append(c, key, actor, ch).await?;
    Ok(())
}

fn change(action: &'static str, id: i64, organ: i64, summary: String) -> Change<'static> {
    Change { action, target_type: "suggestion_session", target_id: id.to_string(), organ_id: Some(organ), summary }
}

/// The legal default of an organ: 5 at a township's congress, 10 at a county's and above.
pub fn default_bill_minimum(organ_level: &str) -> i64 {
    if organ_level == "township" { BILL_MIN_TOWNSHIP } else { BILL_MIN_COUNTY }
}

/// How many confirmed co-signers a 议案 of an organ needs.
#[derive(Clone, Copy, Debug)]
pub struct BillRule {
    pub need: i64,
    /// The organ's own setting (else the legal default).
    pub own: bool,
    /// The legal default of the organ's level.
    pub default: i64,
}

pub async fn bill_minimum<C: ConnectionTrait>(c: &C, organ: i64) -> AppResult<BillRule> {
    let rows = db::query_rows(
        c,
        "SELECT o.level, r.bill_min_cosigners FROM organs o LEFT JOIN suggestion_rules r ON r.organ_id = o.id WHERE o.id = $1",
        vec![organ.into()],
    )
    .await?;
    let r = rows.first().ok_or(AppError::NotFound)?;
    let default = default_bill_minimum(&r.try_get_by_index::<String>(0)?);
    Ok(match r.try_get_by_index::<Option<i64>>(1)? {
        Some(need) => BillRule { need, own: true, default },
        None => BillRule { need: default, own: false, default },
    })
}

/// Sets the organ's minimum of co-signers of a 议案 (1 to 100), audited.
pub async fn set_bill_minimum<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ: i64,
    n: Option<i64>,
    now: i64,
) -> AppResult<()> {
    let n = n
        .filter(|n| BILL_MIN_RANGE.contains(n))
        .ok_or_else(|| AppError::invalid("bill_min_cosigners", "议案联名人数应为 1 到 100 之间的整数"))?;
    let before = bill_minimum(c, organ).await?.need;
    let updated = db::exec(
        c,
        "UPDATE suggestion_rules SET bill_min_cosigners = $1, updated_at = $2 WHERE organ_id = $3",
        vec![n.into(), now.into(), organ.into()],
    )
    .await?;
    if updated == 0 {
        db::exec(
            c,
            "INSERT INTO suggestion_rules (organ_id, bill_min_cosigners, updated_at) VALUES ($1, $2, $3)",
            vec![organ.into(), n.into(), now.into()],
        )
        .await?;
    }
    let ch = Change {
        action: "suggestion_rules",
        target_type: "organ",
        target_id: organ.to_string(),
        organ_id: Some(organ),
        summary: format!("议案所需联名代表人数：{before} → {n}"),
    };
    audit::append(c, key, actor, ch).await?;
    Ok(())
}
