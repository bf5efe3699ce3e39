//! The ballot component (issue 15 for SUG-10, grown into electronic voting by issue 19, MTG-3/4/5):
//! a ballot of an organ with its kind of vote (表决, 差额选择, 满意度测评, 评议打分), the options,
//! the subjects voted on (units, a motion, candidates), an electorate listed by person, pending,
//! open or closed, secret or named, changes until close where a named ballot allows them; one
//! paper per elector, enforced by the database; the tally in integers and the rule to pass as
//! data (`tally`, `result`); a secret ballot's papers sealed until it closes (`seal`); the digest
//! of every closed ballot signed into the audit chain and recounted by `renda audit verify`
//! (`integrity`); live counts on every node (`live`). Knows nothing of its users: a domain
//! opens a ballot with `service::open` in its own write and builds its pages on `model`; what
//! differs between users is a `BallotKind` it registers (the meetings' quorum before opening,
//! those present at close, when the counts show).

pub mod api;
pub mod integrity;
pub mod live;
pub mod model;
pub mod result;
pub mod seal;
pub mod service;
pub mod tally;

use std::sync::RwLock;

use sea_orm::DatabaseTransaction;

use crate::app::error::AppResult;
use crate::app::state::{AppState, BoxFuture, MenuSection, Module};
use crate::audit::RecordKind;
use crate::auth::Principal;
use model::Ballot;

pub const MODULE: Module = Module {
    name: "ballot",
    routes,
    menu,
    audit_labels: &[
        ("ballot_prepare", "准备投票"),
        ("ballot_open", "开始投票"),
        ("ballot_vote", "参加投票"),
        ("ballot_vote_change", "修改投票"),
        ("ballot_close", "结束投票"),
        ("ballot_publish", "公布投票结果"),
    ],
    operations: api::OPERATIONS,
    jobs: &[],
    attachment_owners: &[],
    on_account_created: None,
    register: None,
    records: &[RecordKind::titled("ballot", "投票", "ballots", "title")],
    titles: &[],
    tables: &["ballots", "ballot_options", "ballot_subjects", "ballot_electors", "ballot_votes"],
    demo: None,
};

fn routes() -> axum::Router<AppState> {
    api::routes()
}

/// Its pages are its users' (the 测评 under 代表建议, a meeting's votes).
fn menu(_: &Principal) -> Vec<MenuSection> {
    Vec::new()
}

/// In the opening transaction: `Err` refuses to open (a meeting's quorum not met: 409 with why).
pub type Gate = for<'a> fn(&'a DatabaseTransaction, &'a Ballot) -> BoxFuture<'a, AppResult<()>>;
/// In the closing transaction: the members present now (the base `present`).
pub type Present = for<'a> fn(&'a DatabaseTransaction, &'a Ballot) -> BoxFuture<'a, AppResult<Option<i64>>>;
/// Whether a person who is no elector sits in the record the ballot belongs to (sees it).
pub type Watches = for<'a> fn(&'a AppState, &'a Ballot, i64) -> BoxFuture<'a, AppResult<bool>>;

/// What differs between the users of ballots, registered by the using module
/// (`add_kind` in its `Module::register`). A kind nobody registered behaves as the 测评.
pub struct BallotKind {
    /// `ballots.kind`.
    pub kind: &'static str,
    /// Its page for a ballot (the voter's list links there).
    pub page: fn(&Ballot) -> String,
    /// The organ's staff see the counts while it is open (a 测评); a meeting's vote shows only
    /// how many voted until it closes — per-option counts moving while people vote would tell
    /// who voted what to anyone watching the audit log's times.
    pub counts_while_open: bool,
    /// Everyone who may see the ballot sees the result the moment it closes (a meeting's vote,
    /// as on the hall screen), not only once published.
    pub result_on_close: bool,
    pub before_open: Option<Gate>,
    pub present: Option<Present>,
    pub watches: Option<Watches>,
}

/// A kind nobody registered: the 测评's behaviour.
pub const DEFAULT_KIND: BallotKind = BallotKind {
    kind: "",
    page: |b| format!("/console/suggestions/evaluations/{}", b.id),
    counts_while_open: true,
    result_on_close: false,
    before_open: None,
    present: None,
    watches: None,
};

#[derive(Default)]
struct Kinds(RwLock<Vec<&'static BallotKind>>);

/// Registers a kind of ballot (idempotent).
pub fn add_kind(s: &AppState, k: &'static BallotKind) {
    let kinds = s.ext.get_or_default::<Kinds>();
    let mut list = kinds.0.write().unwrap_or_else(|e| e.into_inner());
    if !list.iter().any(|x| x.kind == k.kind) {
        list.push(k);
    }
}

/// The registered kind of a ballot, or the default.
pub fn kind_of(s: &AppState, kind: &str) -> &'static BallotKind {
    let kinds = s.ext.get_or_default::<Kinds>();
    let list = kinds.0.read().unwrap_or_else(|e| e.into_inner());
    list.iter().find(|k| k.kind == kind).copied().unwrap_or(&DEFAULT_KIND)
}
