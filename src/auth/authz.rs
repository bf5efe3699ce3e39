//! The one authorization layer (PLAT-7): every access is decided here from role, organ
//! subtree, handling unit and deputy identity. Handlers never test roles themselves.

use super::roles::{Role, Scope};
pub use crate::base::config::WebhookAdmins;

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
    /// A browser session whose password was entered within the re-authentication window
    /// (`REAUTH_WINDOW_SECS`); always false for a token.
    pub recent_auth: bool,
}

/// How long after entering the password a session may change account security settings.
pub const REAUTH_WINDOW_SECS: i64 = 10 * 60;

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
    /// The principal's organ is a root of the organ tree (`/1/`): the installation's top organ.
    fn at_root(&self) -> bool {
        self.organ_path.matches('/').count() == 2
    }
    fn is_session(&self) -> bool {
        self.token_scope.is_none()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    View,
    Create,
    /// A change of the record's ordinary fields.
    Update,
    /// A change of one privileged field (or group of fields), decided on its own: who may
    /// change a record is not the same as who may change every field of it.
    Change(Field),
    /// Personal data leaving the system unmasked (export with mobiles, birth dates, voters).
    ExportPersonal,
}

impl Action {
    pub fn is_write(self) -> bool {
        !matches!(self, Action::View | Action::ExportPersonal)
    }
}

/// Fields whose change is decided apart from the record's ordinary fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// An account's roles.
    AccountRoles,
    /// An account's disabled flag.
    AccountDisabled,
    /// An account's password set by someone else (admin reset).
    AccountPasswordReset,
    /// An account's organ, username or the record it acts for (unit, deputy, station).
    AccountIdentity,
    /// The registry's facts about a person: name, gender, ethnicity, birth date, party,
    /// education, occupation, work unit, township.
    PersonFacts,
    /// A person's public profile: photo, introduction, public contact, expertise, own mobile.
    PersonProfile,
    /// An item of the handling loop: 受理 and triage, 交办, 延期审批, 二次办理, 办结.
    ItemTriage,
    /// An item of the handling loop: a unit's work on it — 签收, 退回, 进展, 申请延期, 答复.
    ItemUnitWork,
    /// An item of the handling loop: 督办 (催办, 约谈, 通报, 挂牌).
    ItemSupervision,
    /// An item of the handling loop: what the deputy it was raised with or by does — answer it
    /// directly, rate the reply.
    ItemDeputyWork,
    /// A deputies' draft: a 会商意见 (comment) of a deputy it was shared with.
    DraftComment,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::AccountRoles,
        Field::AccountDisabled,
        Field::AccountPasswordReset,
        Field::AccountIdentity,
        Field::PersonFacts,
        Field::PersonProfile,
        Field::ItemTriage,
        Field::ItemUnitWork,
        Field::ItemSupervision,
        Field::ItemDeputyWork,
        Field::DraftComment,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Field::AccountRoles => "角色",
            Field::AccountDisabled => "停用状态",
            Field::AccountPasswordReset => "重置密码",
            Field::AccountIdentity => "所属机关、用户名或关联记录",
            Field::PersonFacts => "代表登记信息",
            Field::PersonProfile => "个人简介和联系方式",
            Field::ItemTriage => "受理、交办和办结",
            Field::ItemUnitWork => "承办单位办理",
            Field::ItemSupervision => "督办",
            Field::ItemDeputyWork => "代表答复和评价",
            Field::DraftComment => "会商意见",
        }
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
    /// The security settings of an account: password, two-step sign-in, API tokens,
    /// sessions. Only its owner, only from a browser session, and changes only shortly
    /// after entering the password.
    AccountSecurity { owner_id: i64 },
    /// A read-write API token of an account (what a 12345 hotline or another system posts
    /// with): as `AccountSecurity`, and only for an account with a role other than 代表 — a
    /// deputy's own programs may read (a read-only token), never act in the system.
    WriteToken { owner_id: i64 },
    /// An organ registered only as a mandate target (the upper congresses): administered
    /// from the root of the installation.
    ExternalOrgan,
    /// The jobs table (operations view).
    Jobs { organ_path: &'a str },
    /// The webhook endpoints of an organ (their URLs and secrets) and their deliveries: the
    /// organ's admins see them; an endpoint makes this server send requests into its own
    /// network, so only the top organ's admins register, change or retry them unless the
    /// installation says otherwise (`webhook_admins`).
    Webhooks { organ_path: &'a str, admins: WebhookAdmins },
    /// The administration lists of an organ's subtree: its organs and the area tree.
    OrganTree { organ_path: &'a str },
    /// The audit log itself (every entry of the organ's subtree, with its chain status).
    AuditLog { organ_path: &'a str },
    /// A person of the registry (deputy, committee member), by the organ that registers them.
    Person { id: i64, organ_path: &'a str },
    /// A station (家站点) and its deputies, keepers and duty schedule.
    Station { id: i64, organ_path: &'a str },
    /// The registry's structure at an organ: groups, committees, grids, contact links, role
    /// names, roster import and export.
    Registry { organ_path: &'a str },
    /// An item of the handling loop (an opinion; later a suggestion, a listed problem …) of the
    /// organ at `organ_path`: the units at work on it, the deputy it was raised with or by, and
    /// the station it came through, and the deputies staff asked to follow it (督办首发工单:
    /// they see it, nothing more). `Create` is an entry on someone's behalf.
    HandlingItem {
        organ_path: &'a str,
        units: &'a [i64],
        deputy_id: Option<i64>,
        station_id: Option<i64>,
        followers: &'a [i64],
        /// The deputies who signed it (a suggestion's lead and co-signers): each acts as the
        /// deputy it was raised by.
        signers: &'a [i64],
        /// The units answering the submitter (主办, 分办): besides staff, they read the
        /// submitter's name and phone in full (`ExportPersonal`, each view audited).
        answering: &'a [i64],
    },
    /// The installation's settings — the working-day calendar, the word list that holds
    /// submissions for review: everyone signed in reads them; the admin of the top organ edits them.
    Settings,
    /// The receptions (接待活动, OPN-12) of a station of the organ at `organ_path`, with the
    /// deputies assigned to that station; `station_id: None` is the organ's receptions as a
    /// whole (lists and summaries across its stations).
    Reception { organ_path: &'a str, station_id: Option<i64>, station_deputies: &'a [i64] },
    /// A record deputies write before it is handed in (a 代表建议 or 议案 draft; later a
    /// deputies' group's 调研报告): its author and co-authors (persons) see it and work on it
    /// as long as it is not submitted; the organ's workers see it only once it is. The
    /// `participants` are the members of the deputy groups the author shared it with (会商):
    /// they read it and, until it is submitted, comment on it (`Change(DraftComment)`, as do
    /// the author and co-authors). `Create` is a deputy starting one; `Update` the author's
    /// edits and submission; `Change(ItemDeputyWork)` a co-author's confirmation;
    /// `Change(ItemTriage)` staff's registration and decisions.
    Draft { organ_path: &'a str, author: i64, co_authors: &'a [i64], participants: &'a [i64], submitted: bool },
    /// A booking to meet at a station (线上预约, OPN-13) of the organ at `organ_path`: the
    /// station's keeper and the deputy booked run it with the organ's staff; `Create` is a
    /// booking the keeper (or staff) enters for someone who came or called.
    Appointment { organ_path: &'a str, station_id: i64, deputy_id: Option<i64> },
    /// A ballot (表决, 满意度测评; MTG-3) of the organ at `organ_path`; `elector`: the caller's
    /// person is on its electorate; `watcher`: the caller sits in the record it belongs to (a
    /// meeting's 列席 deputy on a members' vote). Organ workers of the subtree, the electors and
    /// the watchers see it; `Create` is casting one's paper (an elector only: a watcher gets a
    /// 403); `Update` opening, closing and publishing (admin and staff); `ExportPersonal` the
    /// result with a named ballot's voters.
    Ballot { organ_path: &'a str, elector: bool, watcher: bool },
    /// A deputy group's (代表小组) written 态度·措施·实效 evaluation of a unit's handling of a
    /// year's suggestions (SUG-10), the group of the organ at `organ_path`; `member`: the
    /// caller's person is a member of the group; `unit_id`: the unit evaluated. The group's
    /// members write it (`Create`/`Update`); the organ's workers read every one; the unit reads
    /// those about itself.
    GroupEvaluation { organ_path: &'a str, member: bool, unit_id: i64 },
    /// A field visit (实地视察/走访) organised by a deputy group of the organ at `organ_path`
    /// about suggestions (SUG-6): its members and the organ's staff record it; the organ's
    /// workers and the members see it (the linked suggestions' readers see it on their pages).
    GroupVisit { organ_path: &'a str, member: bool },
    /// A draft regulation of the organ at `organ_path` (立法, LEG): its versions, opinions,
    /// figures and passage. The organ's workers read it; admin and staff import versions,
    /// publish them for comment, send tasks, moderate and dispose of opinions (`Create`,
    /// `Update`). Units, deputies and keepers see a draft only through their tasks.
    Legislation { organ_path: &'a str },
    /// A task of a draft's targeted consultation (LEG-4), sent to a unit, a 基层立法联系点 (a
    /// station) or a deputy: the addressee sees it and answers it (`Update`) — a 联系点 sees its
    /// own tasks only; the organ's workers see it; staff send it (`Create`) and answer for an
    /// addressee without an account (an expert).
    LegislationTask { organ_path: &'a str, unit_id: Option<i64>, station_id: Option<i64>, deputy_id: Option<i64> },
    /// A meeting (会议, MTG-1) of the organ at `organ_path`; `participant`: the caller's person
    /// sits in it or is invited (列席). Organ workers of the subtree and its participants see
    /// it; `Create` is a participant's own act — signing in, a written remark —; `Update` is
    /// running it (admin and staff): a new meeting, attendance, agenda, ballots, records;
    /// `ExportPersonal` the attendance sheet.
    Meeting { organ_path: &'a str, participant: bool },
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
            Resource::AccountSecurity { .. } => "account_security",
            Resource::WriteToken { .. } => "write_token",
            Resource::ExternalOrgan => "external_organ",
            Resource::Jobs { .. } => "jobs",
            Resource::Webhooks { .. } => "webhooks",
            Resource::AuditLog { .. } => "audit_log",
            Resource::OrganTree { .. } => "organ_tree",
            Resource::Person { .. } => "person",
            Resource::Station { .. } => "station",
            Resource::Registry { .. } => "registry",
            Resource::HandlingItem { .. } => "handling_item",
            Resource::Settings => "settings",
            Resource::Reception { .. } => "reception",
            Resource::Appointment { .. } => "appointment",
            Resource::Draft { .. } => "draft",
            Resource::Ballot { .. } => "ballot",
            Resource::GroupEvaluation { .. } => "group_evaluation",
            Resource::GroupVisit { .. } => "group_visit",
            Resource::Legislation { .. } => "legislation",
            Resource::LegislationTask { .. } => "legislation_task",
            Resource::Meeting { .. } => "meeting",
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
    /// Allowed after the caller enters the password again (account security settings).
    Reauthenticate,
}

const ORGAN_WORKERS: [Role; 3] = [Role::Admin, Role::Staff, Role::Leader];

/// Decides one access. Pure: no IO, so the role matrix test can enumerate it exhaustively.
pub fn decide(p: &Principal, action: Action, resource: &Resource) -> Decision {
    // A read-only token never writes and never takes personal data out, whatever the role.
    if (action.is_write() || action == Action::ExportPersonal) && p.token_scope == Some(Scope::Read) {
        return Decision::Forbidden;
    }
    let visible_or_hidden = |visible: bool, may_act: bool| match (visible, may_act) {
        (_, true) => Decision::Allow,
        (true, false) => Decision::Forbidden,
        (false, false) => Decision::Hidden,
    };
    match *resource {
        Resource::Organ { path } => {
            let visible = p.covers(path) || p.organ_path.starts_with(path);
            let in_tree = p.covers(path);
            match action {
                // Everyone signed in sees their own organ and those above it (names are public);
                // the subtree below only for organ workers.
                Action::View => {
                    visible_or_hidden(visible, (in_tree && p.any(&ORGAN_WORKERS)) || p.organ_path.starts_with(path))
                }
                Action::Create | Action::Update => visible_or_hidden(visible, in_tree && p.has(Role::Admin)),
                Action::Change(_) | Action::ExportPersonal => visible_or_hidden(visible, false),
            }
        }
        Resource::ExternalOrgan => match action {
            Action::View => Decision::Allow,
            Action::Create | Action::Update => visible_or_hidden(true, p.at_root() && p.has(Role::Admin)),
            Action::Change(_) | Action::ExportPersonal => Decision::Forbidden,
        },
        Resource::Area { organ_path } => {
            let in_tree = p.covers(organ_path);
            match action {
                Action::View => Decision::Allow,
                Action::Create | Action::Update => visible_or_hidden(true, in_tree && p.has(Role::Admin)),
                Action::Change(_) | Action::ExportPersonal => Decision::Forbidden,
            }
        }
        Resource::Account { id, organ_path } => {
            let own = id == p.account_id;
            let in_tree = p.covers(organ_path);
            let visible = own || (in_tree && p.any(&[Role::Admin, Role::Staff]));
            let administer = in_tree && p.has(Role::Admin);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                // One's own display name; an admin's accounts of the subtree.
                Action::Update => visible_or_hidden(visible, own || administer),
                Action::Create => visible_or_hidden(visible, !own && administer),
                // Roles, disabling, password reset and identity: never one's own (no one
                // raises or unlocks themselves), only an admin of the account's subtree.
                Action::Change(
                    Field::AccountRoles | Field::AccountDisabled | Field::AccountPasswordReset | Field::AccountIdentity,
                ) => visible_or_hidden(visible, !own && administer),
                Action::Change(_) | Action::ExportPersonal => visible_or_hidden(visible, false),
            }
        }
        Resource::AccountSecurity { owner_id } => {
            let own = owner_id == p.account_id;
            if !own {
                return Decision::Hidden;
            }
            if !p.is_session() {
                return Decision::Forbidden;
            }
            match action {
                // Seeing the settings, and changes that lower nothing by themselves (revoking a
                // token; password change and two-step sign-in off ask for the password in the form).
                Action::View | Action::Update => Decision::Allow,
                // New credentials (an API token, a second factor) only shortly after the password.
                _ if p.recent_auth => Decision::Allow,
                _ => Decision::Reauthenticate,
            }
        }
        Resource::WriteToken { owner_id } => {
            let decision = decide(p, action, &Resource::AccountSecurity { owner_id });
            let deputy_only = p.roles.iter().all(|r| *r == Role::Deputy);
            match decision {
                Decision::Hidden => Decision::Hidden,
                // Revoking (or seeing) a token stays the owner's, whatever the roles.
                _ if deputy_only && action == Action::Create => Decision::Forbidden,
                d => d,
            }
        }
        Resource::AuditHistory { organ_path } | Resource::OrganTree { organ_path } => {
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
                Action::Change(_) => visible_or_hidden(visible, false),
                Action::ExportPersonal => {
                    visible_or_hidden(visible, p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]))
                }
            }
        }
        Resource::Inbox { owner_id } => visible_or_hidden(owner_id == p.account_id, owner_id == p.account_id),
        Resource::Jobs { organ_path } | Resource::AuditLog { organ_path } => {
            let visible = p.covers(organ_path) && p.has(Role::Admin);
            visible_or_hidden(visible, visible)
        }
        Resource::Webhooks { organ_path, admins } => {
            let visible = p.covers(organ_path) && p.has(Role::Admin);
            let top = organ_path.matches('/').count() == 2;
            match action {
                Action::View | Action::ExportPersonal => visible_or_hidden(visible, visible),
                _ => visible_or_hidden(visible, visible && (top || admins == WebhookAdmins::Organ)),
            }
        }
        Resource::Person { id, organ_path } => {
            // A deputy sees their own record and edits its public profile; organ workers see
            // the registry of their subtree; admin and staff maintain it.
            let own = p.has(Role::Deputy) && p.deputy_id == Some(id);
            let visible = own || (p.covers(organ_path) && p.any(&ORGAN_WORKERS));
            let maintain = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Update | Action::Change(Field::PersonProfile) => visible_or_hidden(visible, maintain || own),
                Action::Create | Action::Change(Field::PersonFacts) | Action::ExportPersonal => {
                    visible_or_hidden(visible, maintain)
                }
                Action::Change(_) => visible_or_hidden(visible, false),
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
                Action::Create | Action::ExportPersonal => visible_or_hidden(visible, maintain),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::Registry { organ_path } => {
            let visible = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let maintain = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::Update | Action::ExportPersonal => visible_or_hidden(visible, maintain),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::HandlingItem { organ_path, units, deputy_id, station_id, followers, signers, answering } => {
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let unit = p.has(Role::Unit) && p.unit_id.is_some_and(|u| units.contains(&u));
            let deputy =
                p.has(Role::Deputy) && p.deputy_id.is_some_and(|d| deputy_id == Some(d) || signers.contains(&d));
            let keeper = p.has(Role::Keeper) && p.station_id.is_some() && p.station_id == station_id;
            let follower = p.has(Role::Deputy) && p.deputy_id.is_some_and(|d| followers.contains(&d));
            let visible = worker || unit || deputy || keeper || follower;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                // An entry on someone's behalf: staff; a deputy for what voters told them; a
                // keeper at a reception of the station.
                Action::Create => visible_or_hidden(visible, staff || deputy || keeper),
                Action::Update | Action::Change(Field::ItemTriage) => visible_or_hidden(visible, staff),
                Action::ExportPersonal => {
                    let answers = p.has(Role::Unit) && p.unit_id.is_some_and(|u| answering.contains(&u));
                    visible_or_hidden(visible, staff || answers)
                }
                Action::Change(Field::ItemUnitWork) => visible_or_hidden(visible, unit),
                Action::Change(Field::ItemSupervision) => {
                    visible_or_hidden(visible, p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff, Role::Leader]))
                }
                Action::Change(Field::ItemDeputyWork) => visible_or_hidden(visible, deputy),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::Draft { organ_path, author, co_authors, participants, submitted } => {
            let me = if p.has(Role::Deputy) { p.deputy_id } else { None };
            let is_author = me == Some(author);
            let is_co_author = me.is_some_and(|d| co_authors.contains(&d));
            let participant = me.is_some_and(|d| participants.contains(&d));
            let worker = submitted && p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = submitted && p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let visible = is_author || is_co_author || participant || worker;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create => visible_or_hidden(visible, is_author),
                Action::Update => visible_or_hidden(visible, is_author && !submitted),
                Action::Change(Field::ItemDeputyWork) => visible_or_hidden(visible, is_co_author && !submitted),
                Action::Change(Field::DraftComment) => {
                    visible_or_hidden(visible, (is_author || is_co_author || participant) && !submitted)
                }
                Action::Change(Field::ItemTriage) | Action::ExportPersonal => visible_or_hidden(visible, staff),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::Settings => match action {
            Action::View => Decision::Allow,
            Action::Create | Action::Update => visible_or_hidden(true, p.at_root() && p.has(Role::Admin)),
            Action::Change(_) | Action::ExportPersonal => Decision::Forbidden,
        },
        Resource::Reception { organ_path, station_id, station_deputies } => {
            // Organ workers of the subtree see them, the station's keeper and its deputies too;
            // staff and the keeper record receptions and keep their lists.
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let keeper = p.has(Role::Keeper) && station_id.is_some() && p.station_id == station_id;
            let deputy = p.has(Role::Deputy) && p.deputy_id.is_some_and(|d| station_deputies.contains(&d));
            let visible = worker || keeper || (deputy && station_id.is_some());
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::Update => visible_or_hidden(visible, staff || keeper),
                Action::ExportPersonal => visible_or_hidden(visible, staff),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::Appointment { organ_path, station_id, deputy_id } => {
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let keeper = p.has(Role::Keeper) && p.station_id == Some(station_id);
            let deputy = p.has(Role::Deputy) && p.deputy_id.is_some() && p.deputy_id == deputy_id;
            let visible = worker || keeper || deputy;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                // Confirm, propose another time, decline, mark attended: whoever receives them.
                // The name and phone unmasked: the same people, who call back.
                Action::Update | Action::ExportPersonal => visible_or_hidden(visible, staff || keeper || deputy),
                // An offline booking: the station's keeper, or staff.
                Action::Create => visible_or_hidden(visible, staff || keeper),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::Ballot { organ_path, elector, watcher } => {
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let visible = worker || elector || watcher;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create => visible_or_hidden(visible, elector),
                Action::Update | Action::ExportPersonal => visible_or_hidden(visible, staff),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::GroupEvaluation { organ_path, member, unit_id } => {
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let member = member && p.has(Role::Deputy) && p.deputy_id.is_some();
            let unit = p.has(Role::Unit) && p.unit_id == Some(unit_id);
            let visible = worker || member || unit;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::Update => visible_or_hidden(visible, member),
                Action::ExportPersonal => visible_or_hidden(visible, staff),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::Meeting { organ_path, participant } => {
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let participant = participant && p.has(Role::Deputy) && p.deputy_id.is_some();
            let visible = worker || participant;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create => visible_or_hidden(visible, participant),
                Action::Update | Action::ExportPersonal => visible_or_hidden(visible, staff),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::GroupVisit { organ_path, member } => {
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let member = member && p.has(Role::Deputy) && p.deputy_id.is_some();
            let visible = worker || member;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::Update => visible_or_hidden(visible, member || staff),
                Action::ExportPersonal => visible_or_hidden(visible, staff),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
        Resource::Legislation { organ_path } => {
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            match action {
                Action::View => visible_or_hidden(worker, worker),
                Action::Create | Action::Update | Action::ExportPersonal => visible_or_hidden(worker, staff),
                Action::Change(_) => visible_or_hidden(worker, false),
            }
        }
        Resource::LegislationTask { organ_path, unit_id, station_id, deputy_id } => {
            let worker = p.covers(organ_path) && p.any(&ORGAN_WORKERS);
            let staff = p.covers(organ_path) && p.any(&[Role::Admin, Role::Staff]);
            let unit = p.has(Role::Unit) && p.unit_id.is_some() && p.unit_id == unit_id;
            let keeper = p.has(Role::Keeper) && p.station_id.is_some() && p.station_id == station_id;
            let deputy = p.has(Role::Deputy) && p.deputy_id.is_some() && p.deputy_id == deputy_id;
            let addressee = unit || keeper || deputy;
            let visible = worker || addressee;
            match action {
                Action::View => visible_or_hidden(visible, visible),
                Action::Create | Action::ExportPersonal => visible_or_hidden(visible, staff),
                Action::Update => visible_or_hidden(visible, staff || addressee),
                Action::Change(_) => visible_or_hidden(visible, false),
            }
        }
    }
}

/// The decision for a principal, true only when allowed (for showing links and buttons).
pub fn allows(p: &Principal, action: Action, resource: &Resource) -> bool {
    decide(p, action, resource) == Decision::Allow
}

/// What a principal reaches in a list of records: an organ's subtree (when the authorization
/// lets them view it), and the records of their own unit, deputy or station — each only under
/// the role that gives it. A module narrows it to the reaches its records have
/// (`Reach { station_id: None, ..Reach::of(p) }`); none set reaches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Records of organs under this path (organ workers).
    pub organ_path: Option<String>,
    /// Records a unit has (had) at work.
    pub unit_id: Option<i64>,
    /// Records raised with or by a deputy, signed or followed by them, or from their stations.
    pub deputy_id: Option<i64>,
    /// Records that came through a station (its keeper).
    pub station_id: Option<i64>,
}

impl Reach {
    pub fn of(p: &Principal) -> Reach {
        Reach {
            organ_path: allows(p, Action::View, &Resource::OrganTree { organ_path: &p.organ_path })
                .then(|| p.organ_path.clone()),
            unit_id: p.unit_id.filter(|_| p.has(Role::Unit)),
            deputy_id: p.deputy_id.filter(|_| p.has(Role::Deputy)),
            station_id: p.station_id.filter(|_| p.has(Role::Keeper)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.organ_path.is_none() && self.unit_id.is_none() && self.deputy_id.is_none() && self.station_id.is_none()
    }
}
