//! The state every request shares, and how domains plug into it: each domain describes
//! itself once in a `Module` (its `MODULE` constant); the assembly (`crate::modules`) lists
//! the modules and puts them in the state, from where the router, the side menu, the audit
//! labels, the OpenAPI document, the job worker and the attachment server find them. The
//! platform names no domain.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use sea_orm::DatabaseConnection;

use crate::app::cache::TtlCache;
use crate::app::config::Config;
use crate::app::error::AppResult;
use crate::app::openapi::Operation;
pub use crate::audit::{RecordKind, Title};
use crate::auth::Principal;
use crate::privacy::FieldCrypto;
use crate::storage::{LocalDir, Storage};

/// Shared by every request; nothing here is node-local state that another node would miss.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// The one writer every audited write goes through (`app::write`), with group commit.
    pub writer: crate::db::writer::Writer,
    pub config: Arc<Config>,
    pub crypto: FieldCrypto,
    pub storage: Arc<dyn Storage>,
    /// Rarely changing data every public request reads.
    pub public: Arc<PublicCache>,
    /// The domains of this installation (`crate::modules` puts them here).
    pub modules: Modules,
    /// Per-node state the modules keep (caches, indexes).
    pub ext: Arc<Extensions>,
}

/// What public pages read on every request, kept for a few seconds per node.
pub struct PublicCache {
    /// The default organ (short public addresses), and organs by code (`/o/{code}`).
    pub organs: TtlCache<String, Option<crate::org::Organ>>,
    /// Organs by id (a record's organ, for its public address).
    pub organs_by_id: TtlCache<i64, Option<crate::org::Organ>>,
}

impl Default for PublicCache {
    fn default() -> Self {
        PublicCache {
            organs: TtlCache::new(Duration::from_secs(10), 1024),
            organs_by_id: TtlCache::new(Duration::from_secs(10), 65_536),
        }
    }
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> AppState {
        let storage = Arc::new(LocalDir::new(config.data_dir.join("attachments")));
        let limits = crate::db::writer::Limits { max_batch: config.write_batch_max, max_wait: config.write_batch_wait };
        AppState {
            writer: crate::db::writer::Writer::new(&db, limits),
            db,
            crypto: FieldCrypto::new(config.secrets.field_key),
            config: Arc::new(config),
            storage,
            public: Arc::default(),
            modules: Modules(&[]),
            ext: Arc::default(),
        }
    }

    /// The same state serving these modules, each registered (`Module::register`).
    pub fn with_modules(mut self, modules: &'static [&'static Module]) -> AppState {
        self.modules = Modules(modules);
        for register in modules.iter().filter_map(|m| m.register) {
            register(&self);
        }
        self
    }

    pub fn audit_key(&self) -> &[u8] {
        &self.config.secrets.audit_key
    }
}

impl PublicCache {
    /// The organ of a public address: `None` → the default organ, `Some(code)` → that organ.
    pub async fn organ(
        &self,
        db: &DatabaseConnection,
        code: Option<&str>,
    ) -> Result<Option<crate::org::Organ>, sea_orm::DbErr> {
        let key = code.unwrap_or("").to_string();
        let found = self
            .organs
            .get_or_load(key, || async {
                match code {
                    None => crate::org::default_organ(db).await,
                    Some(c) => crate::org::organ_by_code(db, c).await,
                }
            })
            .await?;
        Ok((*found).clone())
    }

    pub async fn organ_by_id(
        &self,
        db: &DatabaseConnection,
        id: i64,
    ) -> Result<Option<crate::org::Organ>, sea_orm::DbErr> {
        Ok((*self.organs_by_id.get_or_load(id, || crate::org::organ(db, id)).await?).clone())
    }
}

// ------------------------------------------------------------------ modules

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
    /// Runs one job of this kind with its JSON payload (the state gives the database and the
    /// keys, e.g. to decrypt a webhook's secret).
    pub run: for<'a> fn(&'a AppState, &'a str) -> BoxFuture<'a, Result<(), String>>,
}

/// Who may download the attachments of one owner type: `public` (owner id, attachment id)
/// when anyone may; `seen_by` when a signed-in principal may because they may see the owner
/// record (served `private, no-store`).
pub struct AttachmentOwner {
    pub owner_type: &'static str,
    pub public: for<'a> fn(&'a AppState, i64, i64) -> BoxFuture<'a, AppResult<bool>>,
    pub seen_by: Option<SeenBy>,
}

pub type SeenBy = for<'a> fn(&'a AppState, &'a Principal, i64) -> BoxFuture<'a, AppResult<bool>>;

/// What a module contributes: everything the platform and the assembly need to know of it.
/// `tests/it/manifest.rs` checks it against the source: every audit action written has a
/// label, every record kind a `RecordKind`, every table an owner, every demo seeding a hook.
pub struct Module {
    /// Its folder under `src/`.
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
    /// Runs in the write transaction that creates an account (e.g. the registry records a
    /// keeper account as its station's keeper).
    pub on_account_created: Option<AccountHook>,
    /// Runs once when the state is built (`AppState::with_modules`): what the module offers the
    /// others through the state's extensions — its item kinds for the handling loop, its
    /// webhook events and inbound handler. Must be idempotent (a state may be built twice).
    pub register: Option<fn(&AppState)>,
    /// The kinds of record its audit entries are about, with their names and titles.
    pub records: &'static [RecordKind],
    /// Titles it gives to records of another module's kind: an item of the handling loop is
    /// titled by the module whose row carries it (an opinion's tracking number).
    pub titles: &'static [(&'static str, Title)],
    /// The tables it owns (its migrations create them).
    pub tables: &'static [&'static str],
    /// Its part of the demo county (`renda demo`), in the demo's one transaction, after the
    /// platform's organs, units and accounts and the registry's deputies and stations.
    pub demo: Option<DemoSeed>,
}

/// What a module's demo seeding is given: the keys, the county's organ and the station the
/// demo keeper runs.
pub struct Demo<'a> {
    pub key: &'a [u8],
    pub crypto: &'a FieldCrypto,
    pub organ: i64,
    pub keeper_station: i64,
}

pub type DemoSeed = for<'a> fn(&'a sea_orm::DatabaseTransaction, &'a Demo<'a>) -> BoxFuture<'a, AppResult<()>>;

/// The tables of the platform's modules (the domains' are in their `Module::tables`).
pub const PLATFORM_TABLES: &[(&str, &[&str])] = &[
    ("db", &["seaql_migrations"]),
    ("org", &["areas", "organs", "handling_units", "unit_contacts"]),
    ("auth", &["accounts", "account_roles", "sessions", "api_tokens", "login_throttle"]),
    ("audit", &["audit_log", "audit_head", "audit_checks"]),
    ("jobs", &["jobs"]),
    ("notify", &["notifications", "sms_outbox", "sms_codes"]),
    ("attachments", &["attachments"]),
    ("storage", &["staged_files"]),
    ("calendar", &["calendar_days", "calendar_years"]),
    ("publish", &["publications"]),
    ("links", &["record_links"]),
];

/// Called with the write transaction, audit key, actor, the new account's id and its input.
/// `scope` is the organ path of the admin creating the account: the records an account acts
/// for must lie in it.
pub type AccountHook = for<'a> fn(
    &'a sea_orm::DatabaseTransaction,
    &'a [u8],
    &'a crate::audit::Actor,
    &'a str,
    i64,
    &'a crate::auth::accounts::NewAccount,
) -> BoxFuture<'a, AppResult<()>>;

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
    /// Every audit action with its label: the platform's, then each module's.
    pub fn action_labels(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        crate::audit::PLATFORM_LABELS.iter().chain(self.0.iter().flat_map(|m| m.audit_labels.iter())).copied()
    }

    /// Every record kind: the platform's, then each module's.
    pub fn records(&self) -> impl Iterator<Item = &'static RecordKind> {
        crate::audit::PLATFORM_RECORDS.iter().chain(self.0.iter().flat_map(|m| m.records.iter()))
    }
    pub fn record(&self, kind: &str) -> Option<&'static RecordKind> {
        self.records().find(|r| r.kind == kind)
    }
    /// Where the titles of records of a kind are: its own, then those other modules give it.
    pub fn titles(&self, kind: &str) -> Vec<Title> {
        let own = self.record(kind).and_then(|r| r.title);
        let given = self.0.iter().flat_map(|m| m.titles.iter()).filter(|(k, _)| *k == kind).map(|(_, t)| *t);
        own.into_iter().chain(given).collect()
    }
    /// Every table with its owner: the platform's modules', then each module's.
    pub fn tables(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let platform = PLATFORM_TABLES.iter().flat_map(|(m, ts)| ts.iter().map(move |t| (*m, *t)));
        platform.chain(self.0.iter().flat_map(|m| m.tables.iter().map(move |t| (m.name, *t))))
    }
    /// The modules' demo seedings, in the order of the modules.
    pub fn demo_seeds(&self) -> impl Iterator<Item = DemoSeed> {
        self.0.iter().filter_map(|m| m.demo)
    }

    pub fn operations(&self) -> impl Iterator<Item = &'static Operation> {
        self.0.iter().flat_map(|m| m.operations.iter())
    }
    pub fn job(&self, kind: &str) -> Option<&'static JobHandler> {
        self.0.iter().flat_map(|m| m.jobs.iter()).find(|j| j.kind == kind)
    }
    pub fn all_jobs(&self) -> impl Iterator<Item = &'static str> {
        self.0.iter().flat_map(|m| m.jobs.iter()).map(|j| j.kind)
    }
    pub fn daily_jobs(&self) -> impl Iterator<Item = &'static str> {
        self.0.iter().flat_map(|m| m.jobs.iter()).filter(|j| j.daily).map(|j| j.kind)
    }
    pub fn attachment_owner(&self, owner_type: &str) -> Option<&'static AttachmentOwner> {
        self.0.iter().flat_map(|m| m.attachment_owners.iter()).find(|o| o.owner_type == owner_type)
    }
    /// Every module's reaction to a new account, in the account's write transaction.
    /// A new account, in its write transaction: the handling unit it acts for must lie in the
    /// creating admin's subtree (`scope`), and each module checks and records the rest.
    pub async fn account_created(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        key: &[u8],
        actor: &crate::audit::Actor,
        scope: &str,
        id: i64,
        input: &crate::auth::accounts::NewAccount,
    ) -> AppResult<()> {
        if let Some(unit) = input.unit_id {
            let in_scope = crate::org::units::unit(txn, unit).await?.is_some_and(|u| u.organ_path.starts_with(scope));
            if !in_scope {
                return Err(crate::app::error::AppError::invalid("unit_id", "只能关联本机关及下级的承办单位"));
            }
        }
        for hook in self.0.iter().filter_map(|m| m.on_account_created) {
            hook(txn, key, actor, scope, id, input).await?;
        }
        Ok(())
    }
    pub fn menu(&self, p: &Principal) -> Vec<MenuSection> {
        let mut all: Vec<MenuSection> = self.0.iter().flat_map(|m| (m.menu)(p)).collect();
        all.retain(|s| !s.items.is_empty());
        all.sort_by_key(|s| s.order);
        // Modules that add to the same heading (接待, 系统) share it: one heading, their items
        // in module order, where the heading first comes.
        let mut sections: Vec<MenuSection> = Vec::with_capacity(all.len());
        for s in all {
            match sections.iter_mut().find(|t| t.title == s.title) {
                Some(t) => t.items.extend(s.items),
                None => sections.push(s),
            }
        }
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
    /// Puts a value in (the assembly registers what modules offer one another this way).
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).insert(TypeId::of::<T>(), Arc::new(value));
    }
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(&TypeId::of::<T>()).and_then(|v| v.clone().downcast::<T>().ok())
    }
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
