//! The organ's rules of the loop on the console (`/console/handling/rules`, 办理规则): whether a
//! unit signs for an item before it replies. Those who triage the organ's items (its staff and
//! admins) set them for their organ; the organs below follow unless they set their own.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::organ_rules::{self, OrganRule};
use crate::app::caller::{Caller, Console};
use crate::app::error::AppResult;
use crate::app::extract::{ClientIp, Form};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::{self, Field};
use crate::auth::{Action, Principal, Resource};

pub const PATH: &str = "/console/handling/rules";

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/handling/rules", get(page).post(save))
}

/// The organ as the loop's authorization sees it: who triages its items rules its loop.
fn at_organ(p: &Principal) -> Resource<'_> {
    Resource::HandlingItem {
        organ_path: &p.organ_path,
        units: &[],
        deputy_id: None,
        station_id: None,
        followers: &[],
        signers: &[],
        answering: &[],
    }
}

/// Whether `p` sets its organ's rules (for the menu).
pub fn may_set(p: &Principal) -> bool {
    authz::allows(p, Action::Change(Field::ItemTriage), &at_organ(p))
}

async fn check(s: &AppState, p: &Principal, ip: &ClientIp) -> AppResult<()> {
    guard::check(s, p, ip, Action::Change(Field::ItemTriage), &at_organ(p), &p.organ_id.to_string()).await
}

fn default_rule() -> bool {
    super::flow::Policy::default().accept_before_reply
}

#[derive(Template)]
#[template(path = "handling/rules.html")]
struct RulesTpl {
    l: Layout,
    organ: String,
    rule: OrganRule,
}

async fn page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let rule = organ_rules::at(&s.db, p.organ_id, &p.organ_path, default_rule()).await?;
    let organ = crate::db::query_rows(&s.db, "SELECT name FROM organs WHERE id = $1", vec![p.organ_id.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    render(&RulesTpl { l: page.layout("办理规则", &[(PATH, "办理规则")]), organ, rule })
}

#[derive(Deserialize, Default)]
struct RulesForm {
    /// 签收 before 答复: ticked or not.
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    accept_before_reply: bool,
}

async fn save(Caller { p, s, ip }: Caller, Form(f): Form<RulesForm>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let (organ, path) = (p.organ_id, p.organ_path.clone());
    let on = f.accept_before_reply;
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| {
        organ_rules::set(w.txn(), w.key(), w.actor(), (organ, &path), on, default_rule(), now).await
    })
    .await?;
    let said = if on { "承办单位须先签收、再答复" } else { "承办单位可不签收直接答复" };
    Ok(redirect_with_flash(PATH, &format!("已保存办理规则：{said}")))
}
