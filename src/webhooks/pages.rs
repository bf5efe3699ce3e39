//! 数据推送 in the console: an organ's admins add, change and disable endpoints (the secret is
//! generated here and shown once, on the answer to the form that created it), and see the
//! latest deliveries with their attempts, retrying one by hand.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use rand::RngCore;
use serde::Deserialize;

use super::model::{self, Delivery, Endpoint, EndpointInput};
use super::{EventKind, events, outbound};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId};
use crate::app::forms::{Button, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, form_errors, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource};

pub const PATH: &str = "/console/webhooks";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/webhooks", get(index).post(create))
        .route("/console/webhooks/{id}", get(edit).post(update))
        .route("/console/webhooks/deliveries/{id}/retry", post(retry))
}

async fn check(s: &AppState, p: &Principal, ip: &ClientIp, action: Action) -> AppResult<()> {
    let r = Resource::Webhooks { organ_path: &p.organ_path, admins: s.config.webhook_admins };
    guard::check(s, p, ip, action, &r, "webhooks").await
}

/// The address check of a saved endpoint (`outbound::check`), as the form's error.
async fn address_allowed(s: &AppState, input: &EndpointInput, known: &[&'static EventKind]) -> AppResult<()> {
    if input.url.is_empty() || outbound::parse(&input.url).is_err() {
        return Ok(()); // the form's own validation names it
    }
    outbound::check(s, &input.url).await.map(|_| ()).map_err(|r| model::refused_url(input, known, r))
}

/// The endpoint form as typed.
#[derive(Deserialize, Default, Clone)]
pub struct EndpointForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub active: bool,
}

impl EndpointForm {
    fn input(&self, active: bool) -> EndpointInput {
        EndpointInput { name: self.name.clone(), url: self.url.clone(), events: self.events.clone(), active }
    }
    fn of(e: &Endpoint) -> EndpointForm {
        EndpointForm {
            name: e.name.clone(),
            url: e.url.clone(),
            events: e.event_codes().iter().map(|c| c.to_string()).collect(),
            active: e.active,
        }
    }
}

/// One event kind as a checkbox.
pub struct EventBox {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct EndpointLine {
    pub e: Endpoint,
    pub events: String,
}

#[derive(Template)]
#[template(path = "webhooks/index.html")]
struct IndexTpl {
    l: Layout,
    endpoints: Vec<EndpointLine>,
    deliveries: Vec<Delivery>,
    /// The endpoint being edited (none: a new one).
    editing: Option<i64>,
    form: EndpointForm,
    boxes: Vec<EventBox>,
    errors: Errors,
    /// The secret of the endpoint just created, shown this once.
    secret: Option<String>,
    inbound_path: String,
}

async fn tpl(
    s: &AppState,
    page: &Page,
    p: &Principal,
    editing: Option<i64>,
    form: Option<EndpointForm>,
    errors: Errors,
    secret: Option<String>,
) -> AppResult<IndexTpl> {
    let known = events(s);
    let form = form.unwrap_or_else(|| EndpointForm {
        events: known.iter().map(|k| k.code.to_string()).collect(),
        active: true,
        ..EndpointForm::default()
    });
    let boxes = boxes(&known, &form.events);
    let endpoints = model::endpoints(&s.db, p.organ_id)
        .await?
        .into_iter()
        .map(|e| EndpointLine { events: e.event_labels(&known), e })
        .collect();
    let title = match editing {
        Some(_) => "修改推送地址",
        None => "数据推送",
    };
    Ok(IndexTpl {
        l: page.layout(title, &[(PATH, "数据推送")]),
        endpoints,
        deliveries: model::deliveries(&s.db, p.organ_id, 50).await?,
        editing,
        form,
        boxes,
        errors,
        secret,
        inbound_path: "/api/v1/webhooks/inbound/".into(),
    })
}

fn boxes(known: &[&'static EventKind], chosen: &[String]) -> Vec<EventBox> {
    known
        .iter()
        .map(|k| EventBox { code: k.code, label: k.label, checked: chosen.iter().any(|c| c == k.code) })
        .collect()
}

async fn index(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check(&s, &p, &ip, Action::View).await?;
    render(&tpl(&s, &page, &p, None, None, Errors::default(), None).await?)
}

/// 32 random bytes as hex: the shared secret of a new endpoint.
fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

async fn create(Console { page, p, s, ip }: Console, Form(v): Form<EndpointForm>) -> AppResult<Response> {
    check(&s, &p, &ip, Action::Create).await?;
    let secret = new_secret();
    let known = events(&s);
    let input = v.input(true);
    let now = crate::db::now();
    let result = match address_allowed(&s, &input, &known).await {
        Err(err) => Err(err),
        Ok(()) => {
            write(&s, &p, &ip, async |w| {
                model::create(w.txn(), w.key(), w.actor(), &s.crypto, &known, p.organ_id, &input, &secret, now).await
            })
            .await
        }
    };
    match result {
        // The secret is shown on this answer only (like a new API token), never again.
        Ok(_) => render(&tpl(&s, &page, &p, None, None, Errors::default(), Some(secret)).await?),
        Err(e) => unprocessable(&tpl(&s, &page, &p, None, Some(v.clone()), form_errors(e)?, None).await?),
    }
}

/// An endpoint of the caller's organ, or 404.
async fn own(s: &AppState, p: &Principal, id: i64) -> AppResult<Endpoint> {
    model::endpoint(&s.db, id).await?.filter(|e| e.organ_id == p.organ_id).ok_or(AppError::NotFound)
}

async fn edit(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    check(&s, &p, &ip, Action::Update).await?;
    let e = own(&s, &p, id).await?;
    render(&tpl(&s, &page, &p, Some(id), Some(EndpointForm::of(&e)), Errors::default(), None).await?)
}

async fn update(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(v): Form<EndpointForm>,
) -> AppResult<Response> {
    check(&s, &p, &ip, Action::Update).await?;
    let e = own(&s, &p, id).await?;
    let known = events(&s);
    let input = v.input(v.active);
    let now = crate::db::now();
    // Disabling an endpoint whose address is now refused stays possible (it sends nothing).
    let disabling = !input.active && input.url == e.url;
    let result = match if disabling { Ok(()) } else { address_allowed(&s, &input, &known).await } {
        Err(err) => Err(err),
        Ok(()) => {
            write(&s, &p, &ip, async |w| model::update(w.txn(), w.key(), w.actor(), &known, &e, &input, now).await)
                .await
        }
    };
    form_answer(
        result,
        |_| redirect_with_flash(PATH, &format!("推送地址「{}」已保存", input.name.trim())),
        async |errors| render(&tpl(&s, &page, &p, Some(id), Some(v.clone()), errors, None).await?),
    )
    .await
}

async fn retry(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(_): Form<Button>) -> AppResult<Response> {
    check(&s, &p, &ip, Action::Update).await?;
    let d = model::delivery(&s.db, id).await?.filter(|d| d.organ_id == p.organ_id).ok_or(AppError::NotFound)?;
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| model::retry(w.txn(), w.key(), w.actor(), &d, now).await).await?;
    Ok(redirect_with_flash(PATH, &format!("第 {id} 号推送将立即重新发送")))
}
