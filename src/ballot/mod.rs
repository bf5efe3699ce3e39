//! The ballot component (issue 15 for SUG-10; the meetings module grows it into electronic
//! voting, MTG-3/4/5): a ballot of an organ, with the options its user gives (满意/基本满意/
//! 不满意 for a 满意度测评, 赞成/反对/弃权 for a 表决), the subjects voted on (units, agenda
//! items), an electorate listed by person, open or closed, secret or named; one paper per
//! elector, cast only while open; the tally in integers (`tally`: per mille shares and the
//! rules to pass). A secret ballot keeps who voted (`ballot_electors.voted`) apart from what
//! was voted (`ballot_votes`: no voter, no time, random keys). Knows nothing of its users: a
//! domain opens a ballot with `service::open` in its own write and builds its pages on
//! `model` (the suggestions' 测评: `suggestions::evaluation`).

pub mod api;
pub mod model;
pub mod service;
pub mod tally;

use crate::app::state::{AppState, MenuSection, Module};
use crate::audit::RecordKind;
use crate::auth::Principal;

pub const MODULE: Module = Module {
    name: "ballot",
    routes,
    menu,
    audit_labels: &[
        ("ballot_open", "开始投票"),
        ("ballot_vote", "参加投票"),
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

/// Its pages are its users' (the 测评 under 代表建议).
fn menu(_: &Principal) -> Vec<MenuSection> {
    Vec::new()
}
