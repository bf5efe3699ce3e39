//! Admin pages: organs, areas, accounts and the audit chain (PLAT-18). Every access
//! goes through `guard::check`.

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::extract::{ClientIp, Form, PathId, Query};
use crate::app::forms::{opt_id, trimmed};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, form_errors, render};
use crate::app::pages::{HistoryLine, history_lines};
use crate::app::paging::Pager;
use crate::app::query;
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::audit;
use crate::auth::accounts::Link;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal, Resource, Role, accounts};
use crate::db;
use crate::org::{self, AREA_LEVELS, Area, ORGAN_KINDS, ORGAN_LEVELS, Organ};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/admin/organs", get(organs_list).post(organ_create))
        .route("/console/admin/organs/new", get(organ_new))
        .route("/console/admin/organs/{id}", get(organ_detail).post(organ_update))
        .route("/console/admin/areas", get(areas_list).post(area_create))
        .route("/console/admin/areas/{id}", get(area_detail).post(area_rename))
        .route("/console/admin/accounts", get(accounts_list).post(account_create))
        .route("/console/admin/accounts/new", get(account_new))
        .route("/console/admin/accounts/lookup", get(account_lookup))
        .route("/console/admin/accounts/{id}", get(account_detail).post(account_update))
        .route("/console/admin/accounts/{id}/reset-password", post(account_reset_password))
}

const CRUMB_ORGANS: (&str, &str) = ("/console/admin/organs", "机关");
const CRUMB_AREAS: (&str, &str) = ("/console/admin/areas", "行政区划");
const CRUMB_ACCOUNTS: (&str, &str) = ("/console/admin/accounts", "账号");

pub struct OrganLine {
    pub organ: Organ,
    pub depth: usize,
    pub kind: &'static str,
    pub level: &'static str,
}

fn organ_line(o: Organ, root_depth: usize) -> OrganLine {
    let depth = o.path.matches('/').count().saturating_sub(2 + root_depth);
    OrganLine {
        kind: org::label(&ORGAN_KINDS, &o.kind),
        level: org::Level::parse(&o.level).map_or("", org::Level::label),
        depth,
        organ: o,
    }
}

#[derive(Template)]
#[template(path = "admin/organs.html")]
struct OrgansTpl {
    l: Layout,
    organs: Vec<OrganLine>,
    external: Vec<OrganLine>,
    can_create: bool,
}

async fn organs_list(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, "organs").await?;
    let root_depth = p.organ_path.matches('/').count() - 2;
    let organs =
        org::organs_under(&s.db, &p.organ_path).await?.into_iter().map(|o| organ_line(o, root_depth)).collect();
    let external = org::all_organs(&s.db).await?.into_iter().filter(|o| o.external).map(|o| organ_line(o, 0)).collect();
    let can_create = crate::auth::authz::decide(&p, Action::Create, &Resource::Organ { path: &p.organ_path })
        == crate::auth::Decision::Allow;
    render(&OrgansTpl { l: page.layout("机关", &[CRUMB_ORGANS]), organs, external, can_create })
}

#[derive(Template)]
#[template(path = "admin/organ_form.html")]
struct OrganFormTpl {
    l: Layout,
    v: org::OrganInput,
    errors: Errors,
    parents: Vec<Organ>,
    areas: Vec<Area>,
    kinds: &'static [(&'static str, &'static str)],
    levels: &'static [(&'static str, &'static str)],
}

async fn organ_form(
    page: &Page,
    s: &AppState,
    p: &Principal,
    v: org::OrganInput,
    errors: Errors,
) -> AppResult<OrganFormTpl> {
    Ok(OrganFormTpl {
        l: page.layout("新建机关", &[CRUMB_ORGANS, ("/console/admin/organs/new", "新建机关")]),
        v,
        errors,
        parents: org::organs_under(&s.db, &p.organ_path).await?,
        areas: org::areas_all(&s.db).await?,
        kinds: &ORGAN_KINDS,
        levels: &ORGAN_LEVELS,
    })
}

async fn organ_new(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Organ { path: &p.organ_path }, "new").await?;
    let v = org::OrganInput {
        parent_id: Some(p.organ_id),
        kind: "township_presidium".into(),
        level: org::Level::Township.as_str().into(),
        ..Default::default()
    };
    render(&organ_form(&page, &s, &p, v, Errors::default()).await?)
}

/// The organ form as typed (new organ; the detail page's form uses name, short name, phone).
#[derive(Deserialize)]
struct OrganForm {
    #[serde(default, deserialize_with = "trimmed")]
    code: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    short_name: String,
    #[serde(default, deserialize_with = "trimmed")]
    area_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    parent_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "trimmed")]
    level: String,
    #[serde(default)]
    external: Option<String>,
    #[serde(default, deserialize_with = "trimmed")]
    phone: String,
}

impl OrganForm {
    fn input(self) -> org::OrganInput {
        org::OrganInput {
            area_id: opt_id(&self.area_id).unwrap_or(0),
            parent_id: opt_id(&self.parent_id),
            external: self.external.is_some_and(|v| v == "on"),
            code: self.code,
            name: self.name,
            short_name: self.short_name,
            kind: self.kind,
            level: self.level,
            phone: self.phone,
        }
    }
}

/// A new area.
#[derive(Deserialize)]
struct AreaForm {
    #[serde(default, deserialize_with = "trimmed")]
    code: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    level: String,
    #[serde(default, deserialize_with = "trimmed")]
    parent_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    lat: String,
    #[serde(default, deserialize_with = "trimmed")]
    lng: String,
}

/// The account form (new account, or an account's detail page): roles are a checkbox group.
#[derive(Deserialize)]
struct AccountForm {
    #[serde(default, deserialize_with = "trimmed")]
    username: String,
    #[serde(default, deserialize_with = "trimmed")]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default, deserialize_with = "trimmed")]
    organ_id: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default, deserialize_with = "trimmed")]
    phone: String,
    #[serde(default, deserialize_with = "trimmed")]
    unit_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    deputy_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    station_id: String,
    /// The deputy and station an account acts for, by name (the ids come from the choice
    /// offered when a name is shared).
    #[serde(default, deserialize_with = "trimmed")]
    deputy: String,
    #[serde(default, deserialize_with = "trimmed")]
    station: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    disabled: bool,
}

/// A form of one text field: a name, or a new password.
#[derive(Deserialize)]
struct OneField {
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default)]
    new_password: String,
}

async fn organ_create(Console { page, p, s, ip }: Console, Form(f): Form<OrganForm>) -> AppResult<Response> {
    let v = f.input();
    // External organs have no parent in our tree; they are created by the admin of the root.
    // Any other organ is created below an existing organ of the admin's subtree: never a new
    // root, never beside or above the admin's own organ.
    if v.external {
        guard::check(&s, &p, &ip, Action::Create, &Resource::ExternalOrgan, "new").await?;
    } else {
        // First whether this caller creates organs at all, then where.
        guard::check(&s, &p, &ip, Action::Create, &Resource::Organ { path: &p.organ_path }, "new").await?;
        let parent = match v.parent_id {
            Some(pid) => org::organ(&s.db, pid).await?,
            None => None,
        };
        let Some(parent) = parent.filter(|o| !o.external) else {
            let errors = form_errors(AppError::invalid("parent_id", "请选择上级机关（本机关或其下级机关）"))?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(organ_form(&page, &s, &p, v, errors).await?.render()?))
                .into_response());
        };
        guard::check(&s, &p, &ip, Action::Create, &Resource::Organ { path: &parent.path }, "new").await?;
    }
    let result = write(&s, &p, &ip, async |w| org::create_organ(w.txn(), w.key(), w.actor(), &v).await).await;
    let done = format!("已新建机关 {}", v.name.trim());
    form_answer(
        result,
        |id| redirect_with_flash(&format!("/console/admin/organs/{id}"), &done),
        async |errors| {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(organ_form(&page, &s, &p, v, errors).await?.render()?))
                .into_response())
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/organ_detail.html")]
struct OrganDetailTpl {
    l: Layout,
    o: Organ,
    kind: &'static str,
    level: &'static str,
    area: Option<Area>,
    parent: Option<Organ>,
    children: Vec<Organ>,
    can_edit: bool,
    errors: Errors,
    history: Vec<HistoryLine>,
}

async fn organ_detail_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    o: Organ,
    errors: Errors,
) -> AppResult<OrganDetailTpl> {
    let history = history_lines(&s.modules, audit::history(&s.db, "organ", &o.id.to_string()).await?);
    let area = org::area(&s.db, o.area_id).await?;
    let parent = match o.parent_id {
        Some(pid) => org::organ(&s.db, pid).await?,
        None => None,
    };
    let children = db::query_all(
        &s.db,
        "SELECT id, code, name, short_name, area_id, parent_id, kind, level, external, path, phone FROM organs WHERE parent_id = $1 ORDER BY code",
        vec![o.id.into()],
    )
    .await?;
    let target = if o.external { Resource::ExternalOrgan } else { Resource::Organ { path: &o.path } };
    let can_edit = crate::auth::authz::allows(p, Action::Update, &target);
    let title = o.name.clone();
    let href = format!("/console/admin/organs/{}", o.id);
    Ok(OrganDetailTpl {
        l: page.layout(&title, &[CRUMB_ORGANS, (&href, &title)]),
        kind: org::label(&ORGAN_KINDS, &o.kind),
        level: org::Level::parse(&o.level).map_or("", org::Level::label),
        o,
        area,
        parent,
        children,
        can_edit,
        errors,
        history,
    })
}

/// Loads an organ and checks the caller may see its records (404 otherwise).
async fn visible_organ(s: &AppState, p: &Principal, ip: &ClientIp, id: i64, action: Action) -> AppResult<Organ> {
    let o = org::organ(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let tree = Resource::OrganTree { organ_path: if o.external { &p.organ_path } else { &o.path } };
    guard::check(s, p, ip, Action::View, &tree, &id.to_string()).await?;
    if action != Action::View {
        let target = if o.external { Resource::ExternalOrgan } else { Resource::Organ { path: &o.path } };
        guard::check(s, p, ip, action, &target, &id.to_string()).await?;
    }
    Ok(o)
}

async fn organ_detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let o = visible_organ(&s, &p, &ip, id, Action::View).await?;
    render(&organ_detail_tpl(&page, &s, &p, o, Errors::default()).await?)
}

async fn organ_update(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<OrganForm>,
) -> AppResult<Response> {
    visible_organ(&s, &p, &ip, id, Action::Update).await?;
    let result = write(&s, &p, &ip, async |w| {
        org::update_organ(w.txn(), w.key(), w.actor(), id, &f.name, &f.short_name, &f.phone).await
    })
    .await;
    form_answer(
        result,
        |()| redirect_with_flash(&format!("/console/admin/organs/{id}"), "机关信息已保存"),
        async |errors| {
            let o = org::organ(&s.db, id).await?.ok_or(AppError::NotFound)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(organ_detail_tpl(&page, &s, &p, o, errors).await?.render()?))
                .into_response())
        },
    )
    .await
}

pub struct AreaLine {
    pub area: Area,
    pub depth: usize,
    pub level: &'static str,
}

#[derive(Template)]
#[template(path = "admin/areas.html")]
struct AreasTpl {
    l: Layout,
    areas: Vec<AreaLine>,
    can_create: bool,
    v: org::AreaInput,
    errors: Errors,
    levels: &'static [(&'static str, &'static str)],
}

async fn areas_tpl(page: &Page, s: &AppState, p: &Principal, v: org::AreaInput, errors: Errors) -> AppResult<AreasTpl> {
    let areas = org::areas_all(&s.db)
        .await?
        .into_iter()
        .map(|a| AreaLine {
            depth: a.path.matches('/').count().saturating_sub(2),
            level: org::AreaLevel::parse(&a.level).map_or("", org::AreaLevel::label),
            area: a,
        })
        .collect();
    let can_create = crate::auth::authz::allows(p, Action::Create, &Resource::Area { organ_path: &p.organ_path });
    Ok(AreasTpl { l: page.layout("行政区划", &[CRUMB_AREAS]), areas, can_create, v, errors, levels: &AREA_LEVELS })
}

async fn areas_list(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, "areas").await?;
    render(
        &areas_tpl(
            &page,
            &s,
            &p,
            org::AreaInput { level: org::AreaLevel::Community.as_str().into(), ..Default::default() },
            Errors::default(),
        )
        .await?,
    )
}

fn parse_coord(raw: &str, field: &str, errors: &mut Vec<crate::app::error::FieldError>) -> Option<f64> {
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(crate::app::error::FieldError {
                field: field.into(),
                message: "坐标应为数字，例如 35.995654".into(),
            });
            None
        }
    }
}

async fn area_create(Console { page, p, s, ip }: Console, Form(f): Form<AreaForm>) -> AppResult<Response> {
    // A new area is administered under the organ that holds its parent area.
    let owner = match opt_id(&f.parent_id) {
        Some(parent) if org::area(&s.db, parent).await?.is_some() => org::area_owner_path(&s.db, parent).await?,
        _ => org::area_owner_path(&s.db, 0).await?,
    };
    guard::check(&s, &p, &ip, Action::Create, &Resource::Area { organ_path: &owner }, "new").await?;
    let mut coord_errors = Vec::new();
    let v = org::AreaInput {
        lat: parse_coord(&f.lat, "lat", &mut coord_errors),
        lng: parse_coord(&f.lng, "lng", &mut coord_errors),
        parent_id: opt_id(&f.parent_id),
        code: f.code,
        name: f.name,
        level: f.level,
    };
    let result = if coord_errors.is_empty() {
        write(&s, &p, &ip, async |w| org::create_area(w.txn(), w.key(), w.actor(), &v).await).await
    } else {
        Err(AppError::Invalid { detail: "坐标有误".into(), fields: coord_errors })
    };
    let done = format!("已新建区划 {}", v.name);
    form_answer(
        result,
        |id| redirect_with_flash(&format!("/console/admin/areas/{id}"), &done),
        async |errors| Ok(Html(areas_tpl(&page, &s, &p, v, errors).await?.render()?).into_response()),
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/area_detail.html")]
struct AreaDetailTpl {
    l: Layout,
    a: Area,
    level: &'static str,
    parent: Option<Area>,
    can_edit: bool,
    history: Vec<HistoryLine>,
}

async fn area_detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }, &id.to_string())
        .await?;
    let a = org::area(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let parent = match a.parent_id {
        Some(pid) => org::area(&s.db, pid).await?,
        None => None,
    };
    let history = history_lines(&s.modules, audit::history(&s.db, "area", &id.to_string()).await?);
    let owner = org::area_owner_path(&s.db, id).await?;
    let can_edit = crate::auth::authz::allows(&p, Action::Update, &Resource::Area { organ_path: &owner });
    let href = format!("/console/admin/areas/{id}");
    render(&AreaDetailTpl {
        l: page.layout(&a.name, &[CRUMB_AREAS, (&href, &a.name)]),
        level: org::AreaLevel::parse(&a.level).map_or("", org::AreaLevel::label),
        a,
        parent,
        can_edit,
        history,
    })
}

async fn area_rename(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<OneField>) -> AppResult<Response> {
    org::area(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let owner = org::area_owner_path(&s.db, id).await?;
    guard::check(&s, &p, &ip, Action::Update, &Resource::Area { organ_path: &owner }, &id.to_string()).await?;
    write(&s, &p, &ip, async |w| {
        org::rename_area(w.txn(), w.key(), w.actor(), id, &f.name).await?;
        Ok(())
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/admin/areas/{id}"), "区划名称已保存"))
}

pub struct AccountLine {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub organ_name: String,
    pub roles: String,
    pub disabled: bool,
    pub locked: bool,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsTpl {
    l: Layout,
    rows: Vec<AccountLine>,
    q: String,
    role: String,
    organ: Option<i64>,
    organs: Vec<Organ>,
    roles: Vec<(&'static str, &'static str)>,
    pager: Pager,
    can_create: bool,
}

#[derive(Deserialize, Default)]
struct AccountsQuery {
    q: Option<String>,
    role: Option<String>,
    organ: Option<String>,
    after: Option<i64>,
    page: Option<String>,
}

const PAGE_SIZE: u64 = 50;

fn role_options() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()
}

async fn accounts_list(Console { page, p, s, ip }: Console, Query(q): Query<AccountsQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::Account { id: -1, organ_path: &p.organ_path }, "list").await?;
    let filter = accounts::AccountFilter { q: q.q.clone(), role: q.role.clone(), organ: query::id(&q.organ) };
    let total = accounts::count(&s.db, &p.organ_path, &filter).await?;
    let mut rows = accounts::list(&s.db, &p.organ_path, &filter, q.after.unwrap_or(0), PAGE_SIZE + 1).await?;
    let next_cursor = if rows.len() as u64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let now = db::now();
    let mut lines = Vec::new();
    for r in rows {
        let roles = crate::auth::roles_of(&s.db, r.id).await?;
        lines.push(AccountLine {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            organ_name: r.organ_name,
            roles: roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
            disabled: r.disabled,
            locked: r.locked_until > now,
        });
    }
    let can_create =
        crate::auth::authz::decide(&p, Action::Create, &Resource::Account { id: -1, organ_path: &p.organ_path })
            == crate::auth::Decision::Allow;
    render(&AccountsTpl {
        l: page.layout("账号", &[CRUMB_ACCOUNTS]),
        rows: lines,
        q: q.q.clone().unwrap_or_default(),
        role: q.role.clone().unwrap_or_default(),
        organ: filter.organ,
        organs: org::organs_under(&s.db, &p.organ_path).await?,
        roles: role_options(),
        pager: Pager::new(
            CRUMB_ACCOUNTS.0,
            &query::string(&[("q", &q.q), ("role", &q.role), ("organ", &q.organ)]),
            total,
            PAGE_SIZE,
            Pager::page_param(q.page.as_deref()),
            next_cursor.map(|c| format!("after={c}")),
        ),
        can_create,
    })
}

#[derive(Template)]
#[template(path = "admin/account_form.html")]
struct AccountFormTpl {
    l: Layout,
    v: accounts::NewAccount,
    errors: Errors,
    organs: Vec<Organ>,
    roles: Vec<(&'static str, &'static str)>,
    /// Handling units of the organ subtree, for unit accounts.
    units: Vec<(i64, String)>,
    deputy: LinkField,
    station: LinkField,
}

/// A deputy or station typed by name, with the records to choose from when it is shared.
#[derive(Default)]
struct LinkField {
    name: String,
    choices: Vec<accounts::Linkable>,
}

/// How many records the search-as-you-type list and a shared name offer.
const LINK_CHOICES: u64 = 20;

/// The record an account acts for: the id chosen among same-named records, else the one
/// record of the subtree with the typed name. A missing or shared name is a field error
/// (the shared one re-renders with the records to choose from).
async fn resolve_link(
    s: &AppState,
    subtree: &str,
    link: accounts::Link,
    (field, id, name): (&str, &str, &str),
    errors: &mut Vec<FieldError>,
) -> AppResult<(Option<i64>, LinkField)> {
    let mut out = LinkField { name: name.to_string(), choices: Vec::new() };
    if name.is_empty() {
        return Ok((opt_id(id), out));
    }
    let found = accounts::linkable(&s.db, subtree, link, name, false, LINK_CHOICES).await?;
    let chosen = opt_id(id).filter(|id| found.iter().any(|f| f.id == *id));
    let what = link.label();
    match (chosen, found.as_slice()) {
        (Some(id), _) => Ok((Some(id), out)),
        (None, [one]) => Ok((Some(one.id), out)),
        (None, []) => {
            errors.push(FieldError {
                field: field.into(), message: format!("本机关及下级没有名为「{name}」的{what}")
            });
            Ok((None, out))
        }
        (None, many) => {
            errors.push(FieldError {
                field: field.into(),
                message: format!("有 {} 个名为「{name}」的{what}，请在下面选择是哪一个", many.len()),
            });
            out.choices = many.to_vec();
            Ok((None, out))
        }
    }
}

impl AccountFormTpl {
    fn has_role(&self, r: &str) -> bool {
        self.v.roles.iter().any(|x| x.as_str() == r)
    }
}

async fn account_form(
    page: &Page,
    s: &AppState,
    p: &Principal,
    v: accounts::NewAccount,
    errors: Errors,
    (deputy, station): (LinkField, LinkField),
) -> AppResult<AccountFormTpl> {
    Ok(AccountFormTpl {
        l: page.layout("新建账号", &[CRUMB_ACCOUNTS, ("/console/admin/accounts/new", "新建账号")]),
        v,
        errors,
        organs: org::organs_under(&s.db, &p.organ_path).await?,
        roles: role_options(),
        units: org::units::units(
            &s.db,
            &org::units::UnitFilter { organ_path: p.organ_path.clone(), ..Default::default() },
        )
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect(),
        deputy,
        station,
    })
}

async fn account_new(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Account { id: -1, organ_path: &p.organ_path }, "new").await?;
    let v = accounts::NewAccount { organ_id: p.organ_id, roles: vec![Role::Staff], ..Default::default() };
    render(&account_form(&page, &s, &p, v, Errors::default(), Default::default()).await?)
}

async fn account_create(Console { page, p, s, ip }: Console, Form(f): Form<AccountForm>) -> AppResult<Response> {
    let mut link_errors = Vec::new();
    let (deputy_id, deputy) =
        resolve_link(&s, &p.organ_path, Link::Deputy, ("deputy", &f.deputy_id, &f.deputy), &mut link_errors).await?;
    let (station_id, station) =
        resolve_link(&s, &p.organ_path, Link::Station, ("station", &f.station_id, &f.station), &mut link_errors)
            .await?;
    let v = accounts::NewAccount {
        organ_id: opt_id(&f.organ_id).unwrap_or(p.organ_id),
        roles: f.roles.iter().filter_map(|r| Role::parse(r)).collect(),
        phone: Some(f.phone),
        unit_id: opt_id(&f.unit_id),
        deputy_id,
        station_id,
        username: f.username,
        display_name: f.display_name,
        password: f.password,
    };
    let target = org::organ(&s.db, v.organ_id).await?.ok_or_else(|| AppError::invalid("organ_id", "所属机关不存在"))?;
    guard::check(&s, &p, &ip, Action::Create, &Resource::Account { id: -1, organ_path: &target.path }, "new").await?;
    if !link_errors.is_empty() {
        let mut v = v;
        v.password.clear();
        let tpl = account_form(&page, &s, &p, v, Errors(link_errors), (deputy, station)).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(tpl.render()?)).into_response());
    }
    let created = write(&s, &p, &ip, async |w| {
        let id = accounts::create(w.txn(), w.key(), &s.crypto, s.config.password_cost, w.actor(), &v).await?;
        s.modules.account_created(w.txn(), w.key(), w.actor(), &p.organ_path, id, &v).await?;
        Ok(id)
    })
    .await;
    let done = format!("已创建账号 {}", v.username.trim());
    form_answer(
        created,
        |id| redirect_with_flash(&format!("/console/admin/accounts/{id}"), &done),
        async |errors| {
            let mut v = v;
            v.password.clear();
            Ok(Html(account_form(&page, &s, &p, v, errors, (deputy, station)).await?.render()?).into_response())
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/account_detail.html")]
struct AccountDetailTpl {
    l: Layout,
    a: accounts::AccountView,
    locked: bool,
    can_edit: bool,
    roles: Vec<(&'static str, &'static str)>,
    history: Vec<HistoryLine>,
}

impl AccountDetailTpl {
    fn has_role(&self, r: &str) -> bool {
        self.a.roles.iter().any(|x| x.as_str() == r)
    }
}

/// An account the caller may see and take `action` on (404 for one out of sight, also when it
/// does not exist: the refusal is audited either way). The console and the API read it here.
pub(crate) async fn visible_account(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
) -> AppResult<accounts::AccountRow> {
    let row = accounts::find(&s.db, id).await?;
    let path = row.as_ref().map(|r| r.organ_path.clone()).unwrap_or_else(|| "/none/".into());
    guard::check_seen(s, p, ip, action, &Resource::Account { id, organ_path: &path }, &id.to_string()).await?;
    row.ok_or(AppError::NotFound)
}

async fn account_detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let row = visible_account(&s, &p, &ip, id, Action::View).await?;
    let can_edit = id != p.account_id
        && crate::auth::authz::decide(&p, Action::Update, &Resource::Account { id, organ_path: &row.organ_path })
            == crate::auth::Decision::Allow;
    let history = history_lines(&s.modules, audit::history(&s.db, "account", &id.to_string()).await?);
    let a = accounts::view(&s.db, &s.crypto, &row).await?;
    let href = format!("/console/admin/accounts/{id}");
    render(&AccountDetailTpl {
        l: page.layout(&a.username, &[CRUMB_ACCOUNTS, (&href, &a.username)]),
        locked: row.locked_until > db::now(),
        a,
        can_edit,
        roles: role_options(),
        history,
    })
}

async fn account_update(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(f): Form<AccountForm>,
) -> AppResult<Response> {
    let row = visible_account(&s, &p, &ip, id, Action::Update).await?;
    let change = accounts::AccountUpdate {
        roles: Some(f.roles.iter().filter_map(|r| Role::parse(r)).collect()),
        disabled: Some(f.disabled),
        display_name: Some(f.display_name),
    };
    let fields = accounts::requested_changes(&s.db, id, &change).await?;
    let resource = Resource::Account { id, organ_path: &row.organ_path };
    guard::check_changes(&s, &p, &ip, &resource, &fields, &id.to_string()).await?;
    write(&s, &p, &ip, async |w| {
        accounts::update(w.txn(), w.key(), w.actor(), id, &change).await?;
        Ok(())
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/admin/accounts/{id}"), "账号已保存"))
}

async fn account_reset_password(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(f): Form<OneField>,
) -> AppResult<Response> {
    let row = visible_account(&s, &p, &ip, id, Action::View).await?;
    let resource = Resource::Account { id, organ_path: &row.organ_path };
    guard::check_changes(&s, &p, &ip, &resource, &[Field::AccountPasswordReset], &id.to_string()).await?;
    write(&s, &p, &ip, async |w| {
        accounts::set_password(
            w.txn(),
            w.key(),
            s.config.password_cost,
            w.actor(),
            id,
            &f.new_password,
            &accounts::PasswordSet::Reset,
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/admin/accounts/{id}"), "密码已重置，该账号的登录会话已全部退出"))
}

#[derive(Deserialize)]
struct LookupQuery {
    kind: Option<String>,
    q: Option<String>,
}

/// The account form's search-as-you-type: deputies or stations of the admin's subtree whose
/// name starts with what was typed (JSON for `static/app.js`; without it the form resolves the
/// name when submitted).
async fn account_lookup(Caller { p, s, ip }: Caller, Query(q): Query<LookupQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Account { id: -1, organ_path: &p.organ_path }, "lookup")
        .await?;
    let link = Link::parse(q.kind.as_deref().unwrap_or(""))
        .ok_or_else(|| AppError::invalid("kind", "kind 应为 deputy 或 station"))?;
    let name = query::text(&q.q);
    let found = if name.is_empty() {
        Vec::new()
    } else {
        accounts::linkable(&s.db, &p.organ_path, link, &name, true, LINK_CHOICES).await?
    };
    Ok(axum::Json(found).into_response())
}
