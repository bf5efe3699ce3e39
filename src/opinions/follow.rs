//! 督办首发工单 (OPN-14, after 淄博): staff ask a deputy to follow an opinion — typically an
//! imported 12345 order. The deputy gets it in their inbox and then sees it in their list and
//! on its page (`item_followers`, decided by `authz` as a follower of the item), without
//! taking any step of the loop.

use axum::Router;
use axum::response::Response;
use axum::routing::post;

use super::model;
use super::pages::{FollowBox, detail_tpl};
use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId};
use crate::app::forms::{PersonField, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::form_errors;
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal};
use crate::registry::console::resolve_person;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/opinions/{id}/followers", post(add))
}

async fn add(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<PersonField>,
) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let (item, facts) = crate::handling::visible_item(&s, &p, &ip, o.item_id).await?;
    guard::check(&s, &p, &ip, Action::Change(Field::ItemTriage), &facts.resource(&item), &id.to_string()).await?;
    let result = follow(&s, &p, &ip, &o, &item, &f.person).await;
    match result {
        Ok((true, name)) => {
            Ok(redirect_with_flash(&format!("/console/opinions/{id}"), &format!("已请 {name} 代表跟踪督办")))
        }
        Ok((false, name)) => {
            Ok(redirect_with_flash(&format!("/console/opinions/{id}"), &format!("{name} 代表已在跟踪这件事项")))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            let again = FollowBox { allowed: true, person: f.person.clone(), errors };
            unprocessable(&detail_tpl(&s, &page, &p, &ip, id, again).await?)
        }
    }
}

async fn follow(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    o: &model::Opinion,
    item: &crate::handling::model::Item,
    text: &str,
) -> AppResult<(bool, String)> {
    if item.state.is_final() {
        return Err(AppError::invalid("person", "事项已经办结或不予受理，不再安排代表跟踪"));
    }
    let person = resolve_person(s, &o.organ_path, "person", text).await?;
    let link = format!("/console/opinions/{}", o.id);
    let now = crate::db::now();
    let added = write(s, p, ip, async |w| {
        crate::handling::service::follow(w.txn(), w.key(), w.actor(), item, person, &o.tracking_no, &link, now).await
    })
    .await?;
    let name = crate::registry::persons::person(&s.db, person).await?.map(|x| x.name).unwrap_or_default();
    Ok((added, name))
}
