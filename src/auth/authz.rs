//! The one authorization layer (PLAT-7): every access is decided here from role, organ
//! subtree, handling unit and deputy identity. Handlers never test roles themselves.

use super::roles::{Role, Scope};

/// The signed-in caller, as the authorization layer sees it.
#[derive(Clone, Debug)]
pub struct Principal {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub organ_id: i64,
    /// `/1/5/` — the organ's path; its subtree is every path with this prefix.
    pub organ_path: String,
    pub unit_id: Option<i64>,
    pub deputy_id: Option<i64>,
    pub station_id: Option<i64>,
    /// `None` for a browser session; a token's scope otherwise.
    pub token_scope: Option<Scope>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    fn any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }
    /// The organ at `path` is this principal's organ or below it (never sideways or above).
    pub fn covers(&self, path: &str) -> bool {
        path.starts_with(&self.organ_path)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    View,
    Create,
    Update,
}

impl Action {
    fn is_write(self) -> bool {
        !matches!(self, Action::View)
    }
}

/// What is being accessed, with the facts the decision needs.
#[derive(Clone, Debug)]
pub enum Resource<'a> {
    /// An organ record (organ list, organ detail, organ admin).
    Organ { path: &'a str },
    /// An area of the tree; `organ_path` is the organ whose area contains it.
    Area { organ_path: &'a str },
    /// Another account, by the organ it belongs to.
    Account { id: i64, organ_path: &'a str },
    /// The audit history of records of an organ.
    AuditHistory { organ_path: &'a str },
    /// A handling unit's record, and the unit itself.
    HandlingUnit { id: i64, organ_path: &'a str },
    /// The inbox (notifications) of an account.
    Inbox { owner_id: i64 },
    /// API tokens of an account.
    ApiToken { owner_id: i64 },
    /// The jobs table (operations view).
    Jobs { organ_path: &'a str },
    /// A person of the registry (deputy, committee member), by the organ that registers them.
    Person { id: i64, organ_path: &'a str },
    /// A station (家站点) and its deputies, keepers and duty schedule.
    Station { id: i64, organ_path: &'a str },
    /// The registry's structure at an organ: groups, committees, grids, contact links, role
    /// names, roster import and export.
    Registry { organ_path: &'a str },
}

impl Resource<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Organ { .. } => "organ",
            Resource::Area { .. } => "area",
            Resource::Account { .. } => "account",
            Resource::AuditHistory { .. } => "audit",
            Resource::HandlingUnit { .. } => "handling_unit",
            Resource::Inbox { .. } => "inbox",
            Resource::ApiToken { .. } => "api_token",
            Resource::Jobs { .. } => "jobs",
            Resource::Person { .. } => "person",
            Resource::Station { .. } => "station",
            Resource::Registry { .. } => "registry",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The caller may not even know the record exists (404).
    Hidden,
    /// The caller sees the record but may not do this (403).
    Forbidden,
}

const ORGAN_WORKERS: [Role; 3] = [Role::Admin, Role::Staff, Role::Leader];

/// Decides one access. Pure: no IO, so the role matrix test can enumerate it exhaustively.
pub fn decide(p: &Principal, action: Action, resource: &Resource) -> Decision {
    if action.is_write() && p.token_scope == Some(Scope::Read) {
        return Decision::Forbidden;
    }
    let visible_or_hidden = |visible: bool, may_act: bool| match (visible, may_act) {
        (_, true) => Decision::Allow,
        (true, false) => Decision::Forbidden,
        (false, false) => Decision::Hidden,
    };
    match *resource {
        Resource::Organ { path } => {
            let visible = p.covers(path) || path.starts_with(&p.organ_path) || p.organ_path.starts_with(path);
            let in_tree = p.covers(path);
            match action {
                // Everyone signed in sees their own organ and those above it (names are public);
                // the subtree below only for organ workers.
                Action::View => {
                    visible_or_hidden(visible, (in_tree && p.any(&ORGAN_WORKERS)) || p.organ_path.starts_with(path))
                }
                Action::Create | Action::Update => visible_or_hidden(visible, in_tree && p.has(Role::Admin)),
            }
        }
        Resource::Area { organ_path } => {
            let in_tree = p.covers(organ_path);
            match action {
                Action::View => Decision::Allow,
                Action::Create | Action::Update => visible_or_hidden(true, in_tree && p.has(Role::Admin)),
            }
        }
        Resource::Account { id, organ_path } => {
            if id == p.account_id {
                return match action {
                    Action::View | Action::Update => Decision::Allow,
                    Action::Create => Decision::Forbidden,
                };
            }
            let in_tree = p.covers(organ_path);
            let visible = in_tree && p.any(&[Role::Admin, Role::Staff]);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::Update => visible_or_hidden(visible, in_tree && p.has(Role::Admin)),
            }
        }
        Resource::AuditHistory { organ_path } => {
            let visible = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                _ => visible_or_hidden(visible, false),
            }
        }
        Resource::HandlingUnit { id, organ_path } => {
            let own_unit = p.has(Role::Unit) && p.unit_id == Some(id);
            let visible = own_unit || (p.covers(organ_path) && p.any(&ORGAN_WORKERS));
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::Update => {
                    visible_or_hidden(visible, p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]))
                }
            }
        }
        Resource::Inbox { owner_id } | Resource::ApiToken { owner_id } => {
            visible_or_hidden(owner_id == p.account_id, owner_id == p.account_id)
        }
        Resource::Jobs { organ_path } => {
            let visible = p.covers(organ_path) && p.has(Role::Admin);
            visible_or_hidden(visible, visible)
        }
        Resource::Person { id, organ_path } => {
            // A deputy sees and edits their own record (public profile); organ workers see the
            // registry of their subtree; admin and staff maintain it.
            let own = p.has(Role::Deputy) && p.deputy_id == Some(id);
            let visible = own || (p.covers(organ_path) && p.any(&ORGAN_WORKERS));
            let maintain = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Update => visible_or_hidden(visible, maintain || own),
                Action::Create => visible_or_hidden(visible, maintain),
            }
        }
        Resource::Station { id, organ_path } => {
            // A keeper runs their own station (hours, deputies on duty, schedule).
            let keeper = p.has(Role::Keeper) && p.station_id == Some(id);
            let visible = keeper || (p.covers(organ_path) && p.any(&ORGAN_WORKERS));
            let maintain = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Update => visible_or_hidden(visible, maintain || keeper),
                Action::Create => visible_or_hidden(visible, maintain),
            }
        }
        Resource::Registry { organ_path } => {
            let visible = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let maintain = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::Update => visible_or_hidden(visible, maintain),
            }
        }
    }
}

/// Console menu entries the principal may open, decided by the same rules.
pub fn may_administer(p: &Principal) -> bool {
    p.has(Role::Admin)
}
