//! After a regulation is in the register (LEG-7): 修正 (an amendment decision of a meeting,
//! 「关于修改《…》的决定」), 修订 (the whole text passed anew) and 废止. A 修正 or 修订 replaces
//! the register's text — taken from a version of a later draft (the 修正草案 read by the
//! standing committee) or pasted — and keeps the earlier text with the change, so search finds
//! the newest text and the history shows every earlier one; a 废止 takes the regulation out of
//! the register of regulations in force (it stays findable under 已废止). Dates are checked in
//! order: a change is decided on or after the regulation was passed and after the change
//! before it, and takes effect on or after the day it was decided.

use sea_orm::{ConnectionTrait, DbErr};

pub use super::model::{ChangeKind, RegulationChange, Shown};
use super::register::{Regulation, body, version_text};
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::db;

const CHANGE_SELECT: &str = "SELECT id, regulation_id, kind, decided_by, decided_on, effective_on, title, reason, version_id, \
     created_at FROM leg_regulation_changes";

/// A regulation's changes, the first first.
pub async fn changes<C: ConnectionTrait>(c: &C, regulation_id: i64) -> Result<Vec<RegulationChange>, DbErr> {
    db::query_all(c, &format!("{CHANGE_SELECT} WHERE regulation_id = $1 ORDER BY id"), vec![regulation_id.into()]).await
}

/// The text a regulation had before a change.
pub async fn text_before<C: ConnectionTrait>(c: &C, change_id: i64) -> Result<String, DbErr> {
    let rows =
        db::query_rows(c, "SELECT previous_body FROM leg_regulation_changes WHERE id = $1", vec![change_id.into()])
            .await?;
    Ok(rows.first().and_then(|r| r.try_get_by_index::<String>(0).ok()).unwrap_or_default())
}

/// A change as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChange {
    /// `amend|revise|repeal` (修正/修订/废止)
    #[serde(default)]
    pub kind: String,
    /// The meeting that decided it, e.g. 「潍坊市第十八届人民代表大会常务委员会第二十五次会议」.
    #[serde(default)]
    pub decided_by: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub decided_on: String,
    /// `YYYY-MM-DD`; a 废止 left empty takes effect the day decided.
    #[serde(default)]
    pub effective_on: String,
    /// The decision's name (a default is made from the regulation's name when left empty).
    #[serde(default)]
    pub title: String,
    /// Why: required for 修订 and 废止.
    #[serde(default)]
    pub reason: String,
    /// 修正/修订: the version of a later draft (the 修正草案) whose text becomes the regulation's.
    #[serde(default)]
    pub version_id: Option<i64>,
    /// 修正/修订: the new full text, pasted (instead of `version_id`).
    #[serde(default)]
    pub text: String,
}

fn date(errors: &mut FieldErrors, field: &str, label: &str, v: &str) -> Option<String> {
    match crate::app::fmt::parse_date(v.trim()) {
        Some(d) => Some(d.format("%Y-%m-%d").to_string()),
        None => {
            errors.add(field, format!("请填写{label}，如 2027-03-01"));
            None
        }
    }
}

/// Records a 修正, 修订 or 废止 of a regulation of the register.
pub async fn record<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    reg: &Regulation,
    x: &NewChange,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let kind = ChangeKind::parse(x.kind.trim());
    if kind.is_none() {
        errors.add("kind", "请选择修正、修订或废止");
    }
    let decided_by = x.decided_by.trim();
    if decided_by.is_empty() || decided_by.chars().count() > 100 {
        errors.add("decided_by", "请填写作出决定的会议（不超过 100 字）");
    }
    let decided_on = date(&mut errors, "decided_on", "决定日期", &x.decided_on);
    let effective_on = if x.effective_on.trim().is_empty() && kind == Some(ChangeKind::Repeal) {
        decided_on.clone()
    } else {
        date(&mut errors, "effective_on", "施行日期", &x.effective_on)
    };
    let history = changes(c, reg.id).await?;
    if let Some(d) = &decided_on {
        if d.as_str() < reg.passed_on.as_str() {
            errors.add("decided_on", format!("决定日期不能早于法规通过日期（{}）", reg.passed_on));
        } else if let Some(last) = history.last()
            && d.as_str() < last.decided_on.as_str()
        {
            errors.add("decided_on", format!("决定日期不能早于上一次{}（{}）", last.kind_label(), last.decided_on));
        }
    }
    if let (Some(d), Some(e)) = (&decided_on, &effective_on)
        && e < d
    {
        errors.add("effective_on", "施行日期不能早于决定日期");
    }
    let title = match (x.title.trim(), kind) {
        ("", Some(ChangeKind::Amend)) => format!("关于修改《{}》的决定", reg.title),
        ("", Some(ChangeKind::Revise)) => format!("《{}》修订", reg.title),
        ("", Some(ChangeKind::Repeal)) => format!("关于废止《{}》的决定", reg.title),
        (t, _) => t.to_string(),
    };
    if title.chars().count() > 150 {
        errors.add("title", "决定名称不能超过 150 字");
    }
    let reason = x.reason.trim();
    if reason.chars().count() > 2000 {
        errors.add("reason", "理由不能超过 2000 字");
    } else if reason.is_empty() && matches!(kind, Some(ChangeKind::Revise | ChangeKind::Repeal)) {
        errors.add("reason", "修订和废止请写明理由");
    }
    // The new text: a version of a draft of the same organ, or pasted; none for a 废止.
    let pasted = x.text.trim();
    let mut text = None;
    match kind {
        Some(ChangeKind::Repeal) if x.version_id.is_some() || !pasted.is_empty() => {
            errors.add("text", "废止不需要新的文本")
        }
        Some(ChangeKind::Repeal) => {}
        Some(_) => match (x.version_id, pasted.is_empty()) {
            (Some(_), false) => errors.add("text", "请选择一个稿次或粘贴全文，不要两样都填"),
            (None, true) => errors.add("text", "请选择修正草案的稿次或粘贴修改后的全文"),
            (Some(v), true) => {
                let same = db::scalar_i64(
                    c,
                    "SELECT count(*) FROM leg_versions v JOIN leg_drafts d ON d.id = v.draft_id \
                     WHERE v.id = $1 AND d.organ_id = $2",
                    vec![v.into(), reg.organ_id.into()],
                )
                .await?;
                if same == 0 {
                    errors.add("version_id", "本机关没有这个草案稿次");
                } else {
                    text = Some(version_text(c, v).await?);
                }
            }
            (None, false) => text = Some(pasted.to_string()),
        },
        None => {}
    }
    let before = body(c, reg.id).await?;
    if let Some(t) = &text {
        let n = t.chars().count();
        if n < 20 {
            errors.add("text", "请粘贴法规全文");
        } else if n > super::service::MAX_TEXT {
            errors.add("text", format!("全文不能超过 {} 字", super::service::MAX_TEXT));
        } else if t.trim() == before.trim() {
            errors.add("text", "新文本与现行文本相同");
        }
    }
    errors.check()?;
    if reg.state == "repealed" {
        return Err(AppError::Conflict("这部法规已经废止，不能再修改".into()));
    }
    let kind = kind.expect("checked");
    let id = db::insert_id(
        c,
        "INSERT INTO leg_regulation_changes (regulation_id, kind, decided_by, decided_on, effective_on, title, reason, \
         version_id, previous_body, created_by_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        vec![
            reg.id.into(),
            kind.as_str().into(),
            decided_by.into(),
            decided_on.clone().into(),
            effective_on.clone().into(),
            title.clone().into(),
            reason.into(),
            x.version_id.filter(|_| kind != ChangeKind::Repeal).into(),
            before.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    match &text {
        Some(t) => {
            let search_text = crate::nlp::segment::index_text(&format!("{}\n{t}", reg.title));
            db::exec(
                c,
                "UPDATE leg_regulations SET body = $1, search_text = $2 WHERE id = $3",
                vec![t.clone().into(), search_text.into(), reg.id.into()],
            )
            .await?;
        }
        None => {
            db::exec(c, "UPDATE leg_regulations SET state = 'repealed' WHERE id = $1", vec![reg.id.into()]).await?;
        }
    }
    Change::audited(
        "leg_regulation_change",
        "leg_regulation",
        reg.id,
        format!(
            "《{}》{}：{}{} {}，{} 起施行",
            reg.title,
            kind.label(),
            decided_by,
            decided_on.unwrap_or_default(),
            title,
            effective_on.unwrap_or_default()
        ),
    )
    .in_organ(reg.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}
