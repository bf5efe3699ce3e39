//! Shared page machinery: the layout every console page extends, the side menu by role,
//! form helpers and the HTML error page.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};

use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::extract::{CsrfToken, MaybePrincipal};
use crate::app::middleware::read_flash;
use crate::app::state::AppState;
use crate::auth::{Action, Decision, Principal, Resource, authz};
use crate::db;

pub struct MenuItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct MenuGroup {
    pub title: &'static str,
    pub items: Vec<MenuItem>,
}

pub struct Crumb {
    pub href: String,
    pub label: String,
}

pub struct UserBadge {
    pub display_name: String,
    pub roles: String,
}

/// What every page's frame needs.
pub struct Layout {
    pub title: String,
    pub user: Option<UserBadge>,
    pub csrf: String,
    pub flash: Option<String>,
    pub menu: Vec<MenuGroup>,
    pub unread: i64,
    pub crumbs: Vec<Crumb>,
    pub organ_name: String,
    pub path: String,
}

/// Extracted per request; turns into a `Layout` once the handler knows its title.
pub struct Page {
    pub principal: Option<Principal>,
    csrf: String,
    flash: Option<String>,
    unread: i64,
    organ_name: String,
    path: String,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let principal = parts.extensions.get::<MaybePrincipal>().and_then(|m| m.0.clone());
        let csrf = parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default();
        let (unread, organ_name) = match &principal {
            Some(p) => (
                db::scalar_i64(
                    &state.db,
                    "SELECT count(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL",
                    vec![p.account_id.into()],
                )
                .await?,
                crate::org::organ(&state.db, p.organ_id).await?.map(|o| o.name).unwrap_or_default(),
            ),
            None => {
                (0, crate::org::default_organ(&state.db).await?.map(|o| o.name).unwrap_or_else(|| "数字人大".into()))
            }
        };
        Ok(Page {
            principal,
            csrf,
            flash: read_flash(&parts.headers),
            unread,
            organ_name,
            path: parts.uri.path().to_string(),
        })
    }
}

impl Page {
    pub fn layout(&self, title: &str, crumbs: &[(&str, &str)]) -> Layout {
        Layout {
            title: title.to_string(),
            user: self.principal.as_ref().map(|p| UserBadge {
                display_name: p.display_name.clone(),
                roles: p.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
            }),
            csrf: self.csrf.clone(),
            flash: self.flash.clone(),
            menu: self.principal.as_ref().map(|p| menu_for(p, &self.path)).unwrap_or_default(),
            unread: self.unread,
            crumbs: crumbs.iter().map(|(h, l)| Crumb { href: h.to_string(), label: l.to_string() }).collect(),
            organ_name: self.organ_name.clone(),
            path: self.path.clone(),
        }
    }
}

/// The side menu, each entry shown only when the authorization layer would allow opening it.
pub fn menu_for(p: &Principal, path: &str) -> Vec<MenuGroup> {
    let own = p.organ_path.as_str();
    let can = |r: Resource| authz::decide(p, Action::View, &r) == Decision::Allow;
    let item = |href: &'static str, label: &'static str| MenuItem {
        href,
        label,
        active: path == href || (href != "/console" && path.starts_with(href)),
    };
    let mut groups = vec![MenuGroup {
        title: "工作台",
        items: vec![item("/console", "工作台"), item("/console/inbox", "消息")],
    }];
    let mut registry = Vec::new();
    if can(Resource::Person { id: -1, organ_path: own }) {
        registry.push(item("/console/registry/deputies", "代表"));
    } else if p.deputy_id.is_some() {
        registry.push(item("/console/registry/me", "我的代表信息"));
    }
    if can(Resource::Station { id: -1, organ_path: own })
        || (p.has(crate::auth::Role::Keeper) && p.station_id.is_some())
    {
        registry.push(item(
            "/console/registry/stations",
            if p.station_id.is_some() && !can(Resource::Registry { organ_path: own }) {
                "我的站点"
            } else {
                "站点"
            },
        ));
    }
    if can(Resource::Registry { organ_path: own }) {
        registry.push(item("/console/registry/groups", "代表小组"));
        registry.push(item("/console/registry/committees", "委员会"));
        registry.push(item("/console/registry/links", "双联系"));
        registry.push(item("/console/registry/grids", "网格"));
        registry.push(item("/console/registry/roles", "履职角色"));
        registry.push(item("/console/registry/station-types", "站点类型"));
        if authz::decide(p, Action::Create, &Resource::Registry { organ_path: own }) == Decision::Allow {
            registry.push(item("/console/registry/import", "名册导入"));
        }
    }
    if can(Resource::HandlingUnit { id: p.unit_id.unwrap_or(-1), organ_path: own }) {
        registry.push(item("/console/registry/units", if p.unit_id.is_some() { "本单位" } else { "承办单位" }));
    }
    if !registry.is_empty() {
        groups.push(MenuGroup { title: "代表与站点", items: registry });
    }
    let mut system = Vec::new();
    if can(Resource::OrganTree { organ_path: own }) {
        system.push(item("/console/admin/organs", "机关"));
        system.push(item("/console/admin/areas", "行政区划"));
    }
    if can(Resource::Account { id: -1, organ_path: own }) {
        system.push(item("/console/admin/accounts", "账号"));
    }
    if can(Resource::AuditLog { organ_path: own }) {
        system.push(item("/console/admin/audit", "审计日志"));
    }
    if !system.is_empty() {
        groups.push(MenuGroup { title: "系统", items: system });
    }
    groups.push(MenuGroup { title: "我的", items: vec![item("/console/account", "账号设置")] });
    groups
}

pub fn render<T: Template>(t: &T) -> AppResult<Response> {
    Ok(Html(t.render()?).into_response())
}

/// Per-field errors for re-rendering a form.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }
    /// One message for one field.
    pub fn one(field: &str, message: &str) -> Errors {
        Errors(vec![FieldError { field: field.into(), message: message.into() }])
    }
}

/// Splits an error into form errors (422, re-render) or a real failure.
pub fn form_errors(e: AppError) -> Result<Errors, AppError> {
    match e {
        AppError::Invalid { fields, detail } => Ok(Errors(if fields.is_empty() {
            vec![FieldError { field: String::new(), message: detail }]
        } else {
            fields
        })),
        other => Err(other),
    }
}

/// Urlencoded pairs, for forms with repeated fields (checkbox groups).
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
    pub fn opt_i64(&self, name: &str) -> Option<i64> {
        self.get(name).parse().ok()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    detail: String,
    status: u16,
}

pub fn error_page(e: &AppError) -> Html<String> {
    let page = ErrorPage { title: e.title(), detail: e.detail(), status: e.status().as_u16() };
    Html(
        page.render()
            .unwrap_or_else(|_| format!("<!doctype html><title>{}</title><p>{}</p>", e.title(), e.status().as_u16())),
    )
}
