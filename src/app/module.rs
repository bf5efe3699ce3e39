//! How a domain plugs into the platform. Each domain describes itself once in a `Module`
//! (its `MODULE` constant); the assembly (`crate::modules`) lists the modules and hands them
//! to the state, from where the router, the side menu, the audit labels, the OpenAPI
//! document, the job worker and the attachment server find them. The platform names no
//! domain.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::app::error::AppResult;
use crate::app::openapi::Operation;
use crate::app::state::AppState;
use crate::auth::Principal;
use crate::jobs::Job;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One group of the console's side menu, as a module offers it to a principal.
pub struct MenuSection {
    /// Position among the groups of all modules (smaller first).
    pub order: u8,
    pub title: &'static str,
    pub items: Vec<(&'static str, &'static str)>,
}

/// A kind of background job a module runs.
pub struct JobHandler {
    pub kind: &'static str,
    /// Enqueued once a day by the scheduler.
    pub daily: bool,
    pub run: for<'a> fn(&'a DatabaseConnection, &'a Job) -> BoxFuture<'a, Result<(), String>>,
}

/// Who may download the attachments of one owner type: true when the file is public.
pub struct AttachmentOwner {
    pub owner_type: &'static str,
    pub public: for<'a> fn(&'a AppState, i64, i64) -> BoxFuture<'a, AppResult<bool>>,
}

/// What a domain contributes.
pub struct Module {
    pub name: &'static str,
    /// Console pages, public pages and API routes.
    pub routes: fn() -> Router<AppState>,
    /// The side-menu groups this module shows to a principal.
    pub menu: fn(&Principal) -> Vec<MenuSection>,
    /// Chinese labels of the audit actions the module writes.
    pub audit_labels: &'static [(&'static str, &'static str)],
    /// Its API operations, for the OpenAPI document.
    pub operations: &'static [Operation],
    pub jobs: &'static [JobHandler],
    pub attachment_owners: &'static [AttachmentOwner],
}

/// The modules of a running installation, as the state carries them.
#[derive(Clone, Copy)]
pub struct Modules(pub &'static [&'static Module]);

impl Modules {
    /// The Chinese label of an audit action: the platform's own, else the module's, else the code.
    pub fn label<'a>(&self, action: &'a str) -> &'a str {
        match crate::audit::platform_label(action) {
            Some(l) => l,
            None => self
                .0
                .iter()
                .flat_map(|m| m.audit_labels.iter())
                .find(|(a, _)| *a == action)
                .map(|(_, l)| *l)
                .unwrap_or(action),
        }
    }
    pub fn operations(&self) -> impl Iterator<Item = &'static Operation> {
        self.0.iter().flat_map(|m| m.operations.iter())
    }
    pub fn job(&self, kind: &str) -> Option<&'static JobHandler> {
        self.0.iter().flat_map(|m| m.jobs.iter()).find(|j| j.kind == kind)
    }
    pub fn daily_jobs(&self) -> impl Iterator<Item = &'static str> {
        self.0.iter().flat_map(|m| m.jobs.iter()).filter(|j| j.daily).map(|j| j.kind)
    }
    pub fn attachment_owner(&self, owner_type: &str) -> Option<&'static AttachmentOwner> {
        self.0.iter().flat_map(|m| m.attachment_owners.iter()).find(|o| o.owner_type == owner_type)
    }
    pub fn menu(&self, p: &Principal) -> Vec<MenuSection> {
        let mut sections: Vec<MenuSection> = self.0.iter().flat_map(|m| (m.menu)(p)).collect();
        sections.retain(|s| !s.items.is_empty());
        sections.sort_by_key(|s| s.order);
        sections
    }
}

/// Per-node state a module keeps (caches, indexes), created on first use: the platform's
/// state holds it without knowing its type.
#[derive(Default)]
pub struct Extensions {
    map: RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Extensions {
    pub fn get_or_default<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let id = TypeId::of::<T>();
        if let Some(v) = self.map.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
            return v.clone().downcast::<T>().expect("extension of its own type");
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        let v = map.entry(id).or_insert_with(|| Arc::new(T::default()) as Arc<dyn Any + Send + Sync>);
        v.clone().downcast::<T>().expect("extension of its own type")
    }
}
