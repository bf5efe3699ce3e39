//! Opinions and the organ's external systems (OPN-14): every change of an opinion's state is
//! pushed as `opinion.state_changed` to the organ's endpoints (outbox, in the step's write
//! transaction), and a 12345 platform's status updates for an imported order (found by its
//! `external_no`) become lines of the opinion's history. Payloads carry no personal data:
//! tracking and order numbers, the state, and the unit's reply with its result.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::json;

use crate::app::error::{AppError, AppResult};
use crate::app::state::BoxFuture;
use crate::audit::Actor;
use crate::db;
use crate::handling::flow::State;
use crate::handling::model::{self as handling_model, Item};
use crate::handling::service::Applied;
use crate::webhooks::{self, EventKind, Update};

pub static STATE_CHANGED: EventKind = EventKind { code: "opinion.state_changed", label: "民意办理状态变化" };

/// Enqueues `opinion.state_changed` for the item's organ when an endpoint wants it.
pub async fn push_state<C: ConnectionTrait>(c: &C, item: &Item, applied: &Applied) -> AppResult<()> {
    if applied.from == applied.to {
        return Ok(());
    }
    let endpoints = webhooks::subscribers(c, item.organ_id, &STATE_CHANGED).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let rows =
        db::query_rows(c, "SELECT tracking_no, external_no FROM opinions WHERE item_id = $1", vec![item.id.into()])
            .await?;
    let Some(row) = rows.first() else { return Ok(()) };
    let tracking_no: String = row.try_get_by_index(0)?;
    let external_no: Option<String> = row.try_get_by_index(1)?;
    let mut data = json!({
        "tracking_no": tracking_no,
        "external_no": external_no,
        "step": applied.step.as_str(),
        "from": applied.from.as_str(),
        "state": applied.to.as_str(),
        "state_label": applied.to.label(),
    });
    if applied.to == State::Replied
        && let Some(r) = handling_model::replies(c, item.id).await?.into_iter().rev().find(|r| r.round == item.round)
    {
        data["reply"] = json!({ "result": r.outcome.as_str(), "result_label": r.outcome.label(), "text": r.body });
    }
    webhooks::enqueue(c, &endpoints, &STATE_CHANGED, &data, db::now()).await?;
    Ok(())
}

/// An external system's status for one of the organ's imported orders: a history line of the
/// opinion (422 when no imported order has that number). Returns the tracking number.
pub fn inbound<'a>(
    txn: &'a DatabaseTransaction,
    _key: &'a [u8],
    actor: &'a Actor,
    organ_id: i64,
    update: &'a Update,
) -> BoxFuture<'a, AppResult<String>> {
    Box::pin(async move {
        let rows = db::query_rows(
            txn,
            "SELECT item_id, tracking_no FROM opinions WHERE organ_id = $1 AND external_no = $2",
            vec![organ_id.into(), update.external_no.as_str().into()],
        )
        .await?;
        let Some(row) = rows.first() else {
            return Err(AppError::invalid(
                "external_no",
                format!("没有外部工单编号为 {} 的已导入工单", update.external_no),
            ));
        };
        let item_id: i64 = row.try_get_by_index(0)?;
        let tracking_no: String = row.try_get_by_index(1)?;
        crate::handling::service::external_note(txn, item_id, update.status, &update.text, actor, db::now()).await?;
        Ok(tracking_no)
    })
}
