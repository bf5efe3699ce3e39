//! An organ's own rules of the loop (issue 16): whether a unit signs for an item (签收) before it
//! may reply (答复). A row of `handling_rules` per organ that set it; an organ without one follows
//! the nearest organ above it that set one, and without any the kind's default (`Policy::
//! accept_before_reply`, on for opinions and suggestions). `service::must_accept_first` applies
//! it to every step, the loop panel hides the reply form by it.

use sea_orm::ConnectionTrait;

use super::model;
use crate::app::error::AppResult;
use crate::audit::{self, Actor, Change};
use crate::db;

/// The rule as an organ sees it.
pub struct OrganRule {
    /// 签收 before 答复, as it applies at the organ.
    pub accept_before_reply: bool,
    /// The organ set it itself (else inherited from above, or the default).
    pub own: bool,
    /// It comes from an organ above (its name), when not the organ's own nor the default.
    pub from: Option<String>,
}

/// The rule at `organ` (id, path), with the kinds' default `default` where no organ set one.
pub async fn at<C: ConnectionTrait>(c: &C, organ: i64, path: &str, default: bool) -> AppResult<OrganRule> {
    let own =
        db::query_rows(c, "SELECT accept_before_reply FROM handling_rules WHERE organ_id = $1", vec![organ.into()])
            .await?;
    if let Some(r) = own.first() {
        return Ok(OrganRule { accept_before_reply: r.try_get_by_index(0)?, own: true, from: None });
    }
    let above = db::query_rows(
        c,
        "SELECT o.name FROM handling_rules r JOIN organs o ON o.id = r.organ_id \
         WHERE $1 LIKE o.path || '%' ORDER BY length(o.path) DESC LIMIT 1",
        vec![path.into()],
    )
    .await?;
    Ok(OrganRule {
        accept_before_reply: model::accept_rule(c, path).await?.unwrap_or(default),
        own: false,
        from: above.first().map(|r| r.try_get_by_index::<String>(0)).transpose()?,
    })
}

/// Sets the organ's rule, audited with what it was before.
pub async fn set<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    (organ, path): (i64, &str),
    accept_before_reply: bool,
    default: bool,
    now: i64,
) -> AppResult<()> {
    let before = at(c, organ, path, default).await?.accept_before_reply;
    let updated = db::exec(
        c,
        "UPDATE handling_rules SET accept_before_reply = $1, updated_by_id = $2, updated_at = $3 WHERE organ_id = $4",
        vec![accept_before_reply.into(), actor.account_id.into(), now.into(), organ.into()],
    )
    .await?;
    if updated == 0 {
        db::exec(
            c,
            "INSERT INTO handling_rules (organ_id, accept_before_reply, updated_by_id, updated_at) VALUES ($1, $2, $3, $4)",
            vec![organ.into(), accept_before_reply.into(), actor.account_id.into(), now.into()],
        )
        .await?;
    }
    let word = |on: bool| if on { "先签收后答复" } else { "可不签收直接答复" };
    let ch = Change {
        action: "handling_rules",
        target_type: "organ",
        target_id: organ.to_string(),
        organ_id: Some(organ),
        summary: format!("办理规则：{} → {}", word(before), word(accept_before_reply)),
    };
    audit::append(c, key, actor, ch).await?;
    Ok(())
}
