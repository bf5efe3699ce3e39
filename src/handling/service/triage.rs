//! Steps staff (and a deputy) take at the door, before any unit: 审核通过, 不予受理, 直接答复,
//! 并案, 转交代表, 请机关交办.

use sea_orm::ConnectionTrait;

use super::records::{Line, event, follow_primary, notify_accounts, notify_staff};
use super::{Applied, Taking, text_of};
use crate::app::error::{AppError, AppResult};
use crate::db;
use crate::handling::flow::State;
use crate::handling::model;

pub(super) async fn release<C: ConnectionTrait>(s: &Taking<'_, C>, to: State) -> AppResult<()> {
    s.set_state(to).await?;
    s.record(Line::internal("")).await?;
    Ok(())
}

pub(super) async fn reject<C: ConnectionTrait>(s: &Taking<'_, C>, to: State, reason: &str) -> AppResult<()> {
    let reason = text_of("reason", reason, true)?;
    s.set_state(to).await?;
    db::exec(s.c, "UPDATE handling_items SET closed_at = $1 WHERE id = $2", vec![s.ctx.now.into(), s.item.id.into()])
        .await?;
    s.record(Line::public(&reason)).await?;
    Ok(())
}

pub(super) async fn answer_directly<C: ConnectionTrait>(s: &Taking<'_, C>, to: State, text: &str) -> AppResult<()> {
    let text = text_of("text", text, true)?;
    s.set_state(to).await?;
    db::exec(s.c, "UPDATE handling_items SET replied_at = $1 WHERE id = $2", vec![s.ctx.now.into(), s.item.id.into()])
        .await?;
    s.record(Line::public(&text)).await?;
    Ok(())
}

/// 并案: the item follows `into` (of the same kind, open, not merged itself) from now on.
pub(super) async fn merge<C: ConnectionTrait>(s: &Taking<'_, C>, into: i64, applied: &mut Applied) -> AppResult<()> {
    let (c, item) = (s.c, s.item);
    let primary = model::item(c, into).await?.ok_or_else(|| AppError::invalid("into", "没有这个事项"))?;
    if primary.id == item.id || primary.kind != item.kind {
        return Err(AppError::invalid("into", "只能并入另一件同类事项"));
    }
    if !primary.organ_path.starts_with(&item.organ_path) && !item.organ_path.starts_with(&primary.organ_path) {
        return Err(AppError::invalid("into", "只能并入本机关或上下级机关的事项"));
    }
    if primary.state.is_final() || matches!(primary.state, State::Held) {
        return Err(AppError::invalid("into", "只能并入尚未办结、已受理的事项"));
    }
    if model::merged_into(c, primary.id).await?.is_some() {
        return Err(AppError::invalid("into", "该事项本身已并案，请并入它所随的事项"));
    }
    db::exec(
        c,
        "INSERT INTO handling_merges (item_id, into_item_id, merged_at) VALUES ($1, $2, $3)",
        vec![item.id.into(), primary.id.into(), s.ctx.now.into()],
    )
    .await?;
    // Whatever already merged into this one follows the primary now.
    db::exec(
        c,
        "UPDATE handling_merges SET into_item_id = $1 WHERE into_item_id = $2",
        vec![primary.id.into(), item.id.into()],
    )
    .await?;
    s.record(Line::public("")).await?;
    let (step, doer) = (s.step.as_str(), s.doer);
    event(c, s.ctx.now, primary.id, primary.round, step, "primary", doer.party, doer.actor, None, false, "", "")
        .await?;
    follow_primary(c, &primary).await?;
    applied.to = primary.state;
    applied.merged_into = Some(primary.id);
    Ok(())
}

/// 转交代表: the deputy the item was raised with (left on their card, entered by them — whether
/// or not they are registered at its station), a deputy of the item's station, or one serving
/// at its organ or an organ above or below it, takes the item up: it is theirs to answer or to
/// ask 交办 for, and the deputy it was with before keeps seeing it (`item_handovers`).
pub(super) async fn hand_to_deputy<C: ConnectionTrait>(s: &Taking<'_, C>, deputy_id: i64, note: &str) -> AppResult<()> {
    let (c, item) = (s.c, s.item);
    let note = text_of("text", note, false)?;
    let raised_with = model::raised_with(c, item).await?;
    let name: Option<String> = db::query_rows(
        c,
        "SELECT p.name FROM persons p WHERE p.id = $1 AND ($5 \
         OR EXISTS (SELECT 1 FROM station_deputies sd WHERE sd.person_id = p.id AND sd.station_id = $2) \
         OR EXISTS (SELECT 1 FROM mandates m JOIN organs o ON o.id = m.organ_id WHERE m.person_id = p.id \
         AND m.status = 'serving' AND (o.path LIKE $3 OR $4 LIKE o.path || '%')))",
        vec![
            deputy_id.into(),
            item.station_id.unwrap_or(0).into(),
            format!("{}%", db::like_escape(&item.organ_path)).into(),
            item.organ_path.clone().into(),
            (raised_with == Some(deputy_id)).into(),
        ],
    )
    .await?
    .first()
    .and_then(|r| r.try_get_by_index(0).ok());
    let Some(name) = name else {
        return Err(AppError::invalid("deputy_id", "请选择留言对象代表、本站进站代表或本机关上下级的在任代表"));
    };
    db::exec(
        c,
        "UPDATE handling_items SET deputy_id = $1, updated_at = $2 WHERE id = $3",
        vec![deputy_id.into(), s.ctx.now.into(), item.id.into()],
    )
    .await?;
    db::exec(
        c,
        "INSERT INTO item_handovers (item_id, person_id, previous_id, by_id, at) VALUES ($1, $2, $3, $4, $5)",
        vec![item.id.into(), deputy_id.into(), item.deputy_id.into(), s.doer.actor.account_id.into(), s.ctx.now.into()],
    )
    .await?;
    s.record(Line::internal(&note).detail(&name)).await?;
    let accounts: Vec<i64> =
        db::query_rows(c, "SELECT id FROM accounts WHERE deputy_id = $1 AND disabled = false", vec![deputy_id.into()])
            .await?
            .iter()
            .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
            .collect();
    let who = s.ctx.policy.words.submitter;
    let body = if note.is_empty() { format!("请答复{who}，或请机关交办") } else { note };
    let title = format!("转交您的{}", s.ctx.policy.words.item);
    notify_accounts(c, &accounts, item, &title, &body).await?;
    Ok(())
}

pub(super) async fn request_assign<C: ConnectionTrait>(s: &Taking<'_, C>, text: &str) -> AppResult<()> {
    let text = text_of("text", text, false)?;
    s.record(Line::internal(&text)).await?;
    let body = if text.is_empty() { "代表请机关将此事项交办承办单位".to_string() } else { text };
    notify_staff(s.c, s.item, "代表请求交办", &body).await?;
    Ok(())
}
