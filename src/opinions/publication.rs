//! 码上公开 as a step staff see (OPN-9): a closed opinion whose submitter agreed is published
//! only when staff have previewed its public version — the title, the text and the reply with
//! the personal data the citizen typed masked (and marked), edited where needed — and pressed
//! 确认公开. The item's history and the audit log record who published what; a publication can
//! be withdrawn. What is public is decided by `crate::publish`; this file decides when an
//! opinion may be published and what its first draft is.

use askama::Template;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::model::{self, Opinion};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::extract::{ClientIp, Form, PathId};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::audit::Actor;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal};
use crate::handling::flow::{Party, State as ItemState};
use crate::handling::model::Item;
use crate::publish::{self, Draft, Owner, Preview, Publication};

/// `publications.owner_type` of an opinion.
pub const OWNER: &str = model::PUBLICATION_OWNER;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/opinions/{id}/publish", get(preview).post(publish_form))
        .route("/console/opinions/{id}/unpublish", post(unpublish_form))
}

/// Whether the opinion may be published now, and why not.
pub fn refusal(o: &Opinion, item: &Item) -> Option<&'static str> {
    if !o.allow_public {
        return Some("反映人没有同意公开，不能公开");
    }
    if o.merged_into_id.is_some() {
        return Some("此件已并案，请公开并入的那一件");
    }
    if item.state != ItemState::Closed {
        return Some("办结后才能公开");
    }
    None
}

/// The first draft: the opinion's title and text and the replies it got, unmasked (the
/// preview masks them).
pub async fn first_draft<C: sea_orm::ConnectionTrait>(c: &C, o: &Opinion) -> AppResult<(String, String, String)> {
    let replies = crate::handling::model::replies(c, o.item_id).await?;
    let mut reply: Vec<String> = replies.iter().map(|r| format!("【{}答复】{}", r.unit_name, r.body)).collect();
    if reply.is_empty() {
        // 直接答复: the answer given at triage.
        let events = crate::handling::model::events(c, o.item_id, true).await?;
        reply.extend(events.iter().filter(|e| e.step == "answer_directly").map(|e| format!("【答复】{}", e.body)));
    }
    // A title cut from the text may cut a number in two, and half a number is not recognised
    // as one: such a title is cut again from the masked text.
    let title = if o.title == super::service::derived_title(&o.content) {
        super::service::derived_title(&crate::privacy::redact::redact(&o.content).text)
    } else {
        o.title.clone()
    };
    Ok((title, o.content.clone(), reply.join("\n\n")))
}

/// Checks that `p` may publish `o`: sees it and does its triage (staff of its organ).
async fn authorise(s: &AppState, p: &Principal, ip: &ClientIp, o: &Opinion) -> AppResult<Item> {
    let (item, facts) = crate::handling::visible_item(s, p, ip, o.item_id).await?;
    guard::check(s, p, ip, Action::Change(Field::ItemTriage), &facts.resource(&item), &o.id.to_string()).await?;
    Ok(item)
}

/// Publishes `o` with `draft` (None: the masked first draft) as `p`: one audited write with
/// the line in the item's history. The caller has checked the access.
pub async fn publish_as(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    o: &Opinion,
    draft: Option<(String, String, String)>,
) -> AppResult<Publication> {
    let item = authorise(s, p, ip, o).await?;
    if let Some(why) = refusal(o, &item) {
        return Err(AppError::Conflict(why.into()));
    }
    let (title, body, reply) = match draft {
        Some(d) => d,
        None => first_draft(&s.db, o).await?,
    };
    let now = crate::db::now();
    write(s, p, ip, async |w| publish_in(w.txn(), w.key(), w.actor(), o, &item, (&title, &body, &reply), now).await)
        .await
}

/// Publishes in the caller's transaction (the console's write, the demo): the publication and
/// the line in the item's history.
pub async fn publish_in<C: sea_orm::ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    o: &Opinion,
    item: &Item,
    (title, body, reply): (&str, &str, &str),
    now: i64,
) -> AppResult<Publication> {
    let owner = Owner { owner_type: OWNER, owner_id: o.id, organ_id: o.organ_id, label: &o.tracking_no };
    let d = Draft { title, body, reply };
    let published = publish::publish(c, key, actor, &owner, &d, now)
        .await?
        .map_err(|r| AppError::invalid(r.field(), r.message()))?;
    history(c, actor, item, "publish", "已在「码上公开」栏目公开（个人信息已遮盖）", now).await?;
    Ok(published)
}

/// Withdraws the publication of `o`; false when it was not public.
pub async fn withdraw_as(s: &AppState, p: &Principal, ip: &ClientIp, o: &Opinion) -> AppResult<bool> {
    let item = authorise(s, p, ip, o).await?;
    let now = crate::db::now();
    write(s, p, ip, async |w| {
        let owner = Owner { owner_type: OWNER, owner_id: o.id, organ_id: o.organ_id, label: &o.tracking_no };
        let done = publish::withdraw(w.txn(), w.key(), w.actor(), &owner, now).await?;
        if done {
            history(w.txn(), w.actor(), &item, "unpublish", "已撤回公开", now).await?;
        }
        Ok(done)
    })
    .await
}

async fn history<C: sea_orm::ConnectionTrait>(
    c: &C,
    actor: &Actor,
    item: &Item,
    step: &str,
    body: &str,
    now: i64,
) -> AppResult<()> {
    crate::handling::service::event(c, now, item.id, item.round, step, "", Party::Staff, actor, None, true, body, "")
        .await?;
    Ok(())
}

// ------------------------------------------------------------------ the console

#[derive(Deserialize, Default, Clone)]
pub struct PublishForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub reply: String,
}

#[derive(Template)]
#[template(path = "opinions/publish.html")]
struct PreviewTpl {
    l: Layout,
    o: Opinion,
    /// The text as it will be published, with what was masked marked.
    p: Preview,
    /// The fields as they go into the form.
    v: PublishForm,
    current: Option<Publication>,
    refusal: Option<&'static str>,
    errors: Errors,
}

async fn preview_tpl(
    s: &AppState,
    page: &Page,
    o: Opinion,
    item: &Item,
    v: Option<PublishForm>,
    errors: Errors,
) -> AppResult<PreviewTpl> {
    let current = publish::of(&s.db, OWNER, o.id).await?;
    let v = match v {
        Some(v) => v,
        None => match current.as_ref() {
            Some(c) => PublishForm { title: c.title.clone(), body: c.body.clone(), reply: c.reply.clone() },
            None => {
                let (t, b, r) = first_draft(&s.db, &o).await?;
                PublishForm { title: t, body: b, reply: r }
            }
        },
    };
    let p = Preview::of(&v.title, &v.body, &v.reply);
    // The fields hold the masked text, so what staff edit is what goes out.
    let v = PublishForm { title: p.title.text.clone(), body: p.body.text.clone(), reply: p.reply.text.clone() };
    let id = o.id;
    Ok(PreviewTpl {
        l: page.layout(
            "码上公开：预览公开版本",
            &[
                ("/console/opinions", "民意办理"),
                (&format!("/console/opinions/{id}"), &o.tracking_no),
                (&format!("/console/opinions/{id}/publish"), "公开"),
            ],
        ),
        refusal: refusal(&o, item),
        o,
        p,
        v,
        current,
        errors,
    })
}

async fn preview(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let item = authorise(&s, &p, &ip, &o).await?;
    render(&preview_tpl(&s, &page, o, &item, None, Errors::default()).await?)
}

async fn publish_form(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(v): Form<PublishForm>,
) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let draft = (v.title.clone(), v.body.clone(), v.reply.clone());
    match publish_as(&s, &p, &ip, &o, Some(draft)).await {
        Ok(done) => Ok(redirect_with_flash(
            &format!("/console/opinions/{id}"),
            &format!("已在「码上公开」公开（自动遮盖个人信息 {} 处）", done.masked),
        )),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let item = crate::handling::model::item(&s.db, o.item_id).await?.ok_or(AppError::NotFound)?;
            let errors = match &e {
                AppError::Invalid { fields, .. } => Errors(fields.clone()),
                other => Errors(vec![FieldError { field: "title".into(), message: other.detail() }]),
            };
            let status = e.status();
            let tpl = preview_tpl(&s, &page, o, &item, Some(v), errors).await?;
            Ok((status, render(&tpl)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn unpublish_form(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let done = withdraw_as(&s, &p, &ip, &o).await?;
    let flash = if done { "已撤回公开" } else { "此件没有公开" };
    Ok(redirect_with_flash(&format!("/console/opinions/{id}"), flash))
}
