//! 承办单位 pages (REG-2): the unit list with its filter and export, the unit form, and a
//! unit's page with its contact people (联络员) and history. Access is decided on
//! `Resource::HandlingUnit`: organ workers see the units of their subtree, admin and staff
//! maintain them, and a `unit` account sees only its own unit.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId, Query};
use crate::app::forms::{Opt, allowed, history, opts, two_ids, unprocessable};
use crate::app::guard;
use crate::app::listing::{FormTarget, download, query_string, text};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::HistoryLine;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::paging::Pager;
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource, Role};
use crate::export::Cell;
use crate::org::units::{self, UNIT_KINDS, Unit, UnitFilter, UnitInput};
use crate::registry::console::check_visible;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/units", get(list).post(create))
        .route("/console/registry/units/export", get(export))
        .route("/console/registry/units/new", get(new_form))
        .route("/console/registry/units/{id}", get(detail).post(update))
        .route("/console/registry/units/{id}/edit", get(edit_form))
        .route("/console/registry/units/{id}/contacts", post(contact_add))
        .route("/console/registry/units/{id}/contacts/{contact}/remove", post(contact_remove))
}

const CRUMB: (&str, &str) = ("/console/registry/units", "承办单位");

/// A `unit` account that is not also an organ worker: it has only its own unit's page.
fn own_unit_only(p: &Principal) -> Option<i64> {
    let unit = p.unit_id.filter(|_| p.has(Role::Unit))?;
    (!allowed(p, Action::View, &Resource::HandlingUnit { id: -1, organ_path: &p.organ_path })).then_some(unit)
}

// ------------------------------------------------------------------ list and export

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    kind: Option<String>,
    q: Option<String>,
    active: Option<String>,
    format: Option<String>,
}

impl ListQuery {
    fn filter(&self, p: &Principal) -> UnitFilter {
        UnitFilter {
            organ_path: p.organ_path.clone(),
            kind: Some(text(&self.kind)).filter(|k| UNIT_KINDS.iter().any(|(x, _)| x == k)),
            q: Some(text(&self.q)).filter(|q| !q.is_empty()),
            active: match text(&self.active).as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            },
        }
    }

    fn query_string(&self) -> String {
        query_string(&[("kind", &self.kind), ("q", &self.q), ("active", &self.active)])
    }
}

#[derive(Template)]
#[template(path = "registry/units.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<Unit>,
    pager: Pager,
    kinds: Vec<Opt>,
    states: Vec<Opt>,
    q: String,
    qs: String,
    can_create: bool,
}

async fn list(Console { page, p, s, ip }: Console, Query(q): Query<ListQuery>) -> AppResult<Response> {
    if let Some(own) = own_unit_only(&p) {
        return Ok(Redirect::to(&format!("/console/registry/units/{own}")).into_response());
    }
    let r = Resource::HandlingUnit { id: -1, organ_path: &p.organ_path };
    guard::check(&s, &p, &ip, Action::View, &r, "list").await?;
    let rows = units::units(&s.db, &q.filter(&p)).await?;
    render(&ListTpl {
        l: page.layout("承办单位", &[CRUMB]),
        pager: Pager::whole(CRUMB.0, rows.len()),
        rows,
        kinds: opts(UNIT_KINDS, &text(&q.kind)),
        states: opts([("1", "在用"), ("0", "已停用")], &text(&q.active)),
        q: text(&q.q),
        qs: q.query_string(),
        can_create: allowed(&p, Action::Create, &r),
    })
}

/// The filtered list as .xlsx or .csv.
async fn export(Caller { p, s, ip }: Caller, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let r = Resource::HandlingUnit { id: -1, organ_path: &p.organ_path };
    guard::check(&s, &p, &ip, Action::View, &r, "export").await?;
    let rows = units::units(&s.db, &q.filter(&p))
        .await?
        .into_iter()
        .map(|u| {
            vec![
                Cell::Int(u.id),
                Cell::Text(u.kind_label().to_string()),
                Cell::Text(u.name),
                Cell::Text(u.organ_name),
                Cell::Text(if u.active { "在用" } else { "已停用" }.to_string()),
                Cell::Int(u.contacts),
            ]
        })
        .collect();
    let headers = ["编号", "类别", "单位名称", "所属机关", "状态", "联络员人数"];
    Ok(download(q.format.as_deref(), "承办单位", &headers, rows))
}

// ------------------------------------------------------------------ the unit form

/// The form as typed.
#[derive(Default, serde::Deserialize)]
pub struct UnitForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub active: bool,
}

impl UnitForm {
    fn input(&self) -> UnitInput {
        UnitInput { name: self.name.clone(), kind: self.kind.clone(), active: self.active }
    }
}

#[derive(Template)]
#[template(path = "registry/unit_form.html")]
struct FormTpl {
    l: Layout,
    v: UnitForm,
    kinds: Vec<Opt>,
    errors: Errors,
    action: String,
    cancel: String,
    is_new: bool,
}

fn form_tpl(page: &Page, v: UnitForm, errors: Errors, existing: Option<&Unit>) -> FormTpl {
    let t = FormTarget::new(CRUMB.0, "新建承办单位", existing.map(|u| (u.id, u.name.as_str())));
    FormTpl {
        l: page.layout(&t.title, &[CRUMB, (&t.crumb, &t.title)]),
        kinds: opts(UNIT_KINDS, &v.kind),
        v,
        errors,
        cancel: t.cancel,
        action: t.action,
        is_new: existing.is_none(),
    }
}

async fn new_form(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    let r = Resource::HandlingUnit { id: -1, organ_path: &p.organ_path };
    guard::check(&s, &p, &ip, Action::Create, &r, "new").await?;
    let v = UnitForm { kind: "government".into(), active: true, ..Default::default() };
    render(&form_tpl(&page, v, Errors::default(), None))
}

async fn create(Console { page, p, s, ip }: Console, Form(f): Form<UnitForm>) -> AppResult<Response> {
    let r = Resource::HandlingUnit { id: -1, organ_path: &p.organ_path };
    guard::check(&s, &p, &ip, Action::Create, &r, "new").await?;
    let v = f;
    let result =
        write(&s, &p, &ip, async |w| units::create_unit(w.txn(), w.key(), w.actor(), p.organ_id, &v.input()).await)
            .await;
    let name = v.name.trim().to_string();
    form_answer(
        result,
        |id| redirect_with_flash(&format!("/console/registry/units/{id}"), &format!("已新建 {name}")),
        async |errors| unprocessable(&form_tpl(&page, v, errors, None)),
    )
    .await
}

async fn visible_unit(s: &AppState, p: &Principal, ip: &ClientIp, id: i64, action: Action) -> AppResult<Unit> {
    let path = units::unit_organ_path(&s.db, id).await?.unwrap_or_else(|| "/none/".into());
    check_visible(s, p, ip, action, &Resource::HandlingUnit { id, organ_path: &path }, &id.to_string()).await?;
    units::unit(&s.db, id).await?.ok_or(AppError::NotFound)
}

async fn edit_form(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let u = visible_unit(&s, &p, &ip, id, Action::Update).await?;
    let v = UnitForm { name: u.name.clone(), kind: u.kind.clone(), active: u.active };
    render(&form_tpl(&page, v, Errors::default(), Some(&u)))
}

async fn update(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<UnitForm>,
) -> AppResult<Response> {
    let u = visible_unit(&s, &p, &ip, id, Action::Update).await?;
    let v = f;
    let result =
        write(&s, &p, &ip, async |w| units::update_unit(w.txn(), w.key(), w.actor(), id, &v.input()).await).await;
    form_answer(
        result,
        |changed| {
            redirect_with_flash(
                &format!("/console/registry/units/{id}"),
                if changed { "承办单位已保存" } else { "没有修改任何内容" },
            )
        },
        async |errors| unprocessable(&form_tpl(&page, v, errors, Some(&u))),
    )
    .await
}

// ------------------------------------------------------------------ detail and contacts

pub struct ContactLine {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub account: Option<String>,
}

/// What was typed into the add-contact form (the phone is never echoed back).
#[derive(Default, serde::Deserialize)]
pub struct ContactForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub account_id: String,
    /// Never echoed back into the form.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
}

#[derive(Template)]
#[template(path = "registry/unit_detail.html")]
struct DetailTpl {
    l: Layout,
    u: Unit,
    contacts: Vec<ContactLine>,
    accounts: Vec<Opt>,
    can_edit: bool,
    c: ContactForm,
    errors: Errors,
    history: Vec<HistoryLine>,
}

async fn detail_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    u: Unit,
    c: ContactForm,
    errors: Errors,
) -> AppResult<DetailTpl> {
    let contacts = units::contacts(&s.db, u.id)
        .await?
        .into_iter()
        .map(|x| ContactLine {
            id: x.id,
            name: x.name,
            phone: x
                .phone_enc
                .as_deref()
                .and_then(|e| s.crypto.decrypt(e).ok())
                .map(|ph| crate::privacy::mask_phone(&ph))
                .unwrap_or_default(),
            account: x.username,
        })
        .collect();
    let accounts = units::unit_accounts(&s.db, u.id).await?;
    let href = format!("/console/registry/units/{}", u.id);
    let crumbs: Vec<(&str, &str)> =
        if own_unit_only(p).is_some() { vec![(&href, &u.name)] } else { vec![CRUMB, (&href, &u.name)] };
    Ok(DetailTpl {
        l: page.layout(&u.name, &crumbs),
        contacts,
        accounts: opts(accounts.iter().map(|(id, user, name)| (*id, format!("{user}（{name}）"))), &c.account_id),
        can_edit: allowed(p, Action::Update, &Resource::HandlingUnit { id: u.id, organ_path: &u.organ_path }),
        history: history(s, "handling_unit", u.id).await?,
        u,
        c,
        errors,
    })
}

async fn detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let u = visible_unit(&s, &p, &ip, id, Action::View).await?;
    render(&detail_tpl(&page, &s, &p, u, ContactForm::default(), Errors::default()).await?)
}

async fn contact_add(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<ContactForm>,
) -> AppResult<Response> {
    let u = visible_unit(&s, &p, &ip, id, Action::Update).await?;
    let mut c = f;
    let input = units::ContactInput {
        name: c.name.clone(),
        phone: std::mem::take(&mut c.phone),
        account_id: c.account_id.parse().ok().filter(|v: &i64| *v > 0),
    };
    let result =
        write(&s, &p, &ip, async |w| units::add_contact(w.txn(), w.key(), &s.crypto, w.actor(), id, &input).await)
            .await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/registry/units/{id}"), "联络员已添加"),
        async |errors| unprocessable(&detail_tpl(&page, &s, &p, u, c, errors).await?),
    )
    .await
}

async fn contact_remove(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(_): Form<crate::app::forms::Button>,
) -> AppResult<Response> {
    let (id, contact) = two_ids(path)?;
    visible_unit(&s, &p, &ip, id, Action::Update).await?;
    write(&s, &p, &ip, async |w| units::remove_contact(w.txn(), w.key(), w.actor(), id, contact).await).await?;
    Ok(redirect_with_flash(&format!("/console/registry/units/{id}"), "已移除联络员"))
}
