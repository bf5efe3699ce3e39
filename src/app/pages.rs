//! Shared page machinery: the layout every console page extends, the side menu by role,
//! form helpers and the HTML error page.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};

use crate::app::extract::{CsrfToken, MaybePrincipal};
use crate::app::middleware::read_flash;
use crate::app::state::AppState;
use crate::app::state::MenuSection;
use crate::auth::Principal;
use crate::base::error::{AppError, AppResult, FieldError};
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
    sections: Vec<MenuSection>,
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
        let sections = principal.as_ref().map(|p| state.modules.menu(p)).unwrap_or_default();
        Ok(Page {
            principal,
            sections,
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
            menu: menu_of(&self.sections, &self.path),
            unread: self.unread,
            crumbs: crumbs.iter().map(|(h, l)| Crumb { href: h.to_string(), label: l.to_string() }).collect(),
            organ_name: self.organ_name.clone(),
            path: self.path.clone(),
        }
    }
}

/// The side menu from the modules' sections, the current page's entry marked.
fn menu_of(sections: &[MenuSection], path: &str) -> Vec<MenuGroup> {
    sections
        .iter()
        .map(|sec| MenuGroup {
            title: sec.title,
            items: sec
                .items
                .iter()
                .map(|(href, label)| MenuItem {
                    href,
                    label,
                    active: path == *href || (*href != "/console" && path.starts_with(href)),
                })
                .collect(),
        })
        .collect()
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

/// A history entry as the timeline shows it.
pub struct HistoryLine {
    pub when: String,
    pub action: String,
    pub actor: String,
    pub on_behalf_of: Option<String>,
    pub summary: String,
}

pub fn history_lines(modules: &crate::app::state::Modules, entries: Vec<crate::audit::Entry>) -> Vec<HistoryLine> {
    entries
        .into_iter()
        .map(|e| HistoryLine {
            when: crate::base::fmt::datetime(e.at),
            action: modules.label(&e.action).to_string(),
            actor: e.actor,
            on_behalf_of: e.on_behalf_of,
            summary: e.summary,
        })
        .collect()
}
