//! The history lines of a step and the notices it sends: one row per line (`event`), the
//! line of the step being taken (`record`), and the inboxes of the units and staff concerned.

use sea_orm::{ConnectionTrait, DbErr};

use super::super::flow::{Party, Phase, Step};
use super::super::model::{self, Item};
use super::{Ctx, Doer};
use crate::audit::Actor;
use crate::db;
use crate::notify;

/// A history line of the step being taken: shown to the submitter or not, with the kind
/// within the step and the unit it concerns.
pub(super) struct Line<'a> {
    detail: &'a str,
    unit: Option<i64>,
    public: bool,
    body: &'a str,
    /// What stays internal whatever `public` says (交办意见).
    note: &'a str,
    /// A progress note's phase (方案 / 措施 / 成效).
    phase: Option<Phase>,
}

impl<'a> Line<'a> {
    /// Shown on `/track`.
    pub(super) fn public(body: &'a str) -> Line<'a> {
        Line { detail: "", unit: None, public: true, body, note: "", phase: None }
    }
    /// For the handlers only.
    pub(super) fn internal(body: &'a str) -> Line<'a> {
        Line { detail: "", unit: None, public: false, body, note: "", phase: None }
    }
    pub(super) fn detail(self, detail: &'a str) -> Line<'a> {
        Line { detail, ..self }
    }
    pub(super) fn unit(self, unit: Option<i64>) -> Line<'a> {
        Line { unit, ..self }
    }
    pub(super) fn note(self, note: &'a str) -> Line<'a> {
        Line { note, ..self }
    }
    pub(super) fn phase(self, phase: Option<Phase>) -> Line<'a> {
        Line { phase, ..self }
    }
}

/// Writes `line` into `item`'s history for the step `doer` takes now.
pub(super) async fn record<C: ConnectionTrait>(
    c: &C,
    ctx: &Ctx<'_>,
    item: &Item,
    step: Step,
    doer: &Doer<'_>,
    line: Line<'_>,
) -> Result<(), DbErr> {
    insert_line(c, (ctx.now, item.id, item.round), step.as_str(), doer.party, doer.actor, &line).await
}

/// One history row; `note` stays internal whatever `public` says.
#[allow(clippy::too_many_arguments)] // the columns of one history row
pub(crate) async fn event<C: ConnectionTrait>(
    c: &C,
    at: i64,
    item_id: i64,
    round: i64,
    step: &str,
    detail: &str,
    party: Party,
    actor: &Actor,
    unit_id: Option<i64>,
    public: bool,
    body: &str,
    note: &str,
) -> Result<(), DbErr> {
    let line = Line { detail, unit: unit_id, public, body, note, phase: None };
    insert_line(c, (at, item_id, round), step, party, actor, &line).await
}

/// The row of `line` at (time, item, round).
async fn insert_line<C: ConnectionTrait>(
    c: &C,
    (at, item_id, round): (i64, i64, i64),
    step: &str,
    party: Party,
    actor: &Actor,
    line: &Line<'_>,
) -> Result<(), DbErr> {
    db::exec(
        c,
        "INSERT INTO handling_events (item_id, at, step, detail, party, actor_id, actor_name, unit_id, public, body, round, note, phase) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        vec![
            item_id.into(),
            at.into(),
            step.into(),
            line.detail.into(),
            format!("{party:?}").to_lowercase().into(),
            actor.account_id.into(),
            actor.name.clone().into(),
            line.unit.into(),
            line.public.into(),
            line.body.into(),
            round.into(),
            line.note.into(),
            line.phase.map(|p| p.as_str().to_string()).into(),
        ],
    )
    .await?;
    Ok(())
}

pub(super) fn item_link(item: &Item) -> String {
    format!("/console/handling/{}", item.id)
}

/// Accounts that sign in for a unit.
pub(super) async fn unit_accounts<C: ConnectionTrait>(c: &C, unit_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows =
        db::query_rows(c, "SELECT id FROM accounts WHERE unit_id = $1 AND disabled = false", vec![unit_id.into()])
            .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// Staff who handle the item: those of its organ, or, when that organ has none (a township
/// whose items the county's staff handle), of the nearest organ above it that has some.
pub(super) async fn staff_accounts<C: ConnectionTrait>(c: &C, item: &Item) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.id, o.path FROM accounts a JOIN account_roles r ON r.account_id = a.id JOIN organs o ON o.id = a.organ_id \
         WHERE r.role = 'staff' AND a.disabled = false AND $1 LIKE o.path || '%' ORDER BY length(o.path) DESC, a.id",
        vec![item.organ_path.clone().into()],
    )
    .await?;
    let mut out = Vec::new();
    let mut deepest: Option<String> = None;
    for r in &rows {
        let (id, path) = (r.try_get_by_index::<i64>(0)?, r.try_get_by_index::<String>(1)?);
        if deepest.as_ref().is_some_and(|d| *d != path) {
            break;
        }
        deepest = Some(path);
        out.push(id);
    }
    Ok(out)
}

pub(crate) async fn notify_unit<C: ConnectionTrait>(
    c: &C,
    unit_id: i64,
    item: &Item,
    title: &str,
    body: &str,
) -> Result<(), DbErr> {
    notify_accounts(c, &unit_accounts(c, unit_id).await?, item, title, body).await
}

pub(crate) async fn notify_staff<C: ConnectionTrait>(c: &C, item: &Item, title: &str, body: &str) -> Result<(), DbErr> {
    notify_accounts(c, &staff_accounts(c, item).await?, item, title, body).await
}

/// A message about `item` to `accounts`: it carries the item's kind and id, which the inbox
/// names it by and filters on, and leads to the item's page.
pub(crate) async fn notify_accounts<C: ConnectionTrait>(
    c: &C,
    accounts: &[i64],
    item: &Item,
    title: &str,
    body: &str,
) -> Result<(), DbErr> {
    let link = item_link(item);
    let about = notify::About { kind: &item.kind, record: Some(("handling_item", item.id)), link: &link };
    notify::inbox_about(c, accounts, &about, title, body).await
}

/// Makes the items merged into `primary` follow it: its state, round, deadline and times (the
/// deadline scan and the lists then count each submitter's item where the primary is).
pub(crate) async fn follow_primary<C: ConnectionTrait>(c: &C, primary: &Item) -> Result<(), DbErr> {
    let fresh = model::item(c, primary.id).await?.unwrap_or_else(|| primary.clone());
    db::exec(
        c,
        "UPDATE handling_items SET state = $1, round = $2, deadline = $3, deadline_at = $4, replied_at = $5, \
         closed_at = $6, flagged = $7, updated_at = $8 \
         WHERE id IN (SELECT item_id FROM handling_merges WHERE into_item_id = $9)",
        vec![
            fresh.state.as_str().into(),
            fresh.round.into(),
            fresh.deadline.clone().into(),
            fresh.deadline_at.into(),
            fresh.replied_at.into(),
            fresh.closed_at.into(),
            fresh.flagged.into(),
            db::now().into(),
            fresh.id.into(),
        ],
    )
    .await?;
    Ok(())
}
