//! A deputy's fixed voter contacts (代表联系选民, REG-5 三联系): the list (names masked), add and
//! remove. Staff maintain every deputy's list; a deputy maintains their own
//! (`Resource::Person` allows a deputy to update their own record).

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::caller::{Caller, Console};
use crate::app::error::AppResult;
use crate::app::extract::{Form, PathId};
use crate::app::forms::{allowed, two_ids, unprocessable};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource};
use crate::registry::console::visible_person;
use crate::registry::persons::Person;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/deputies/{id}/voters", get(page_get).post(add))
        .route("/console/registry/deputies/{id}/voters/{link}/remove", post(remove))
}

pub struct VoterLine {
    pub id: i64,
    pub name: String,
    pub note: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "registry/voters.html")]
struct VotersTpl {
    l: Layout,
    d: Person,
    voters: Vec<VoterLine>,
    can_edit: bool,
    voter_name: String,
    voter_note: String,
    errors: Errors,
}

async fn tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    (d, organ_path): (Person, String),
    voter_name: String,
    voter_note: String,
    errors: Errors,
) -> AppResult<VotersTpl> {
    let voters = crate::registry::voters::voter_contacts(&s.db, d.id)
        .await?
        .into_iter()
        .map(|v| VoterLine {
            id: v.id,
            name: v
                .voter_name_enc
                .as_deref()
                .and_then(|e| s.crypto.decrypt(e).ok())
                .map(|n| crate::privacy::mask_name(&n))
                .unwrap_or_else(|| "（无法解密）".into()),
            note: v.voter_note,
            since: crate::app::fmt::datetime(v.created_at).chars().take(10).collect(),
        })
        .collect();
    let href = format!("/console/registry/deputies/{}", d.id);
    let here = format!("{href}/voters");
    Ok(VotersTpl {
        l: page.layout(
            &format!("{} 的固定联系选民", d.name),
            &[("/console/registry/deputies", "代表"), (&href, &d.name), (&here, "固定联系选民")],
        ),
        voters,
        can_edit: allowed(p, Action::Update, &Resource::Person { id: d.id, organ_path: &organ_path }),
        d,
        voter_name,
        voter_note,
        errors,
    })
}

async fn page_get(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let d = visible_person(&s, &p, &ip, id, Action::View).await?;
    render(&tpl(&page, &s, &p, d, String::new(), String::new(), Errors::default()).await?)
}

/// A fixed voter contact: the voter's name (stored encrypted) and a note.
#[derive(serde::Deserialize)]
struct VoterForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    voter_name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    voter_note: String,
}

async fn add(Console { page, p, s, ip }: Console, PathId(id): PathId, Form(f): Form<VoterForm>) -> AppResult<Response> {
    let d = visible_person(&s, &p, &ip, id, Action::Update).await?;
    let VoterForm { voter_name: name, voter_note: note } = f;
    let result = write(&s, &p, &ip, async |w| {
        crate::registry::voters::add_voter_contact(w.txn(), w.key(), &s.crypto, w.actor(), id, &name, &note).await
    })
    .await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/registry/deputies/{id}/voters"), "已添加固定联系选民"),
        async |errors| unprocessable(&tpl(&page, &s, &p, d, name, note, errors).await?),
    )
    .await
}

async fn remove(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(_): Form<crate::app::forms::Button>,
) -> AppResult<Response> {
    let (id, link) = two_ids(path)?;
    visible_person(&s, &p, &ip, id, Action::Update).await?;
    write(&s, &p, &ip, async |w| {
        crate::registry::voters::remove_voter_contact(w.txn(), w.key(), &s.crypto, w.actor(), id, link).await
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/registry/deputies/{id}/voters"), "已移除固定联系选民"))
}
