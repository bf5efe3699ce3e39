//! PLAT-7: every role × every resource type × own organ / organ below / sibling organ.
//! First the pure decision table, exhaustively; then the same facts through HTTP.

use axum::http::StatusCode;
use renda::auth::authz::{Action, Decision, Field, Principal, Resource, WebhookAdmins, decide};
use renda::auth::{Role, Scope};

use crate::demo_test;
use crate::support::TestApp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Rel {
    Own,
    Below,
    Sibling,
}

const RELS: [Rel; 3] = [Rel::Own, Rel::Below, Rel::Sibling];
/// The principal sits at township A (/1/2/); below it /1/2/9/; its sibling is B (/1/3/).
fn path(rel: Rel) -> &'static str {
    match rel {
        Rel::Own => "/1/2/",
        Rel::Below => "/1/2/9/",
        Rel::Sibling => "/1/3/",
    }
}

fn principal(role: Role) -> Principal {
    Principal {
        account_id: 100,
        username: role.as_str().into(),
        display_name: "测试".into(),
        roles: vec![role],
        organ_id: 2,
        organ_path: "/1/2/".into(),
        unit_id: if role == Role::Unit { Some(7) } else { None },
        deputy_id: None,
        station_id: None,
        token_scope: None,
        recent_auth: true,
    }
}

/// Every action the table is written for: the three plain ones, each privileged field, and
/// taking personal data out.
fn actions() -> Vec<Action> {
    let mut out = vec![Action::View, Action::Create, Action::Update, Action::ExportPersonal];
    out.extend(Field::ALL.into_iter().map(Action::Change));
    out
}

use Decision::{Allow as A, Forbidden as F, Hidden as H};

/// Expected decision, written out by hand per role, resource kind, action and relation.
fn expected(role: Role, kind: &str, action: Action, rel: Rel) -> Decision {
    let worker = matches!(role, Role::Admin | Role::Staff | Role::Leader);
    let in_tree = rel != Rel::Sibling;
    let account_field = matches!(
        action,
        Action::Change(
            Field::AccountRoles | Field::AccountDisabled | Field::AccountPasswordReset | Field::AccountIdentity
        )
    );
    let person_field = matches!(action, Action::Change(Field::PersonFacts | Field::PersonProfile));
    let item_field = matches!(
        action,
        Action::Change(
            Field::ItemTriage
                | Field::ItemUnitWork
                | Field::ItemSupervision
                | Field::ItemDeputyWork
                | Field::DraftComment
        )
    );
    // The privileged fields and personal-data export, resource by resource.
    match kind {
        "organ" if matches!(action, Action::Change(_) | Action::ExportPersonal) => {
            return if in_tree { F } else { H };
        }
        "area" if matches!(action, Action::Change(_) | Action::ExportPersonal) => return F,
        "account" if account_field => {
            return match (role, in_tree) {
                (Role::Admin, true) => A,
                (Role::Staff, true) => F,
                _ => H,
            };
        }
        "account" if matches!(action, Action::Change(_) | Action::ExportPersonal) => {
            return if matches!(role, Role::Admin | Role::Staff) && in_tree { F } else { H };
        }
        "handling_unit" | "station" | "registry" | "reception" | "appointment"
            if matches!(action, Action::Change(_)) =>
        {
            return if worker && in_tree { F } else { H };
        }
        "person" if account_field || item_field => return if worker && in_tree { F } else { H },
        // An item of the handling loop; the principal's unit (7) is at work on it.
        "handling_item" => {
            let visible = (worker && in_tree) || role == Role::Unit;
            let staff = matches!(role, Role::Admin | Role::Staff) && in_tree;
            let may = match action {
                Action::View => visible,
                Action::Create | Action::Update | Action::ExportPersonal | Action::Change(Field::ItemTriage) => staff,
                Action::Change(Field::ItemUnitWork) => role == Role::Unit,
                Action::Change(Field::ItemSupervision) => worker && in_tree,
                Action::Change(_) => false,
            };
            return match (visible, may) {
                (_, true) => A,
                (true, false) => F,
                (false, false) => H,
            };
        }
        // A ballot the principal is no elector of: organ workers of the subtree see it (and the
        // live count), admin and staff open, close and publish it; nobody casts for another.
        // A meeting the principal does not sit in: the same — workers see it, admin and staff
        // run it, nobody signs in or writes a remark for someone else.
        "ballot" | "meeting" => {
            let visible = worker && in_tree;
            let may = match action {
                Action::View => visible,
                Action::Update | Action::ExportPersonal => matches!(role, Role::Admin | Role::Staff) && in_tree,
                Action::Create | Action::Change(_) => false,
            };
            return match (visible, may) {
                (_, true) => A,
                (true, false) => F,
                (false, false) => H,
            };
        }
        // A group's written evaluation of unit 7 (the principal's unit) and a group's visit: the
        // principal is no member of the group; organ workers of the subtree read, the unit reads
        // what is about itself, staff record a visit for the group, only members write the
        // evaluation.
        "group_evaluation" | "group_visit" => {
            let visible = (worker && in_tree) || (kind == "group_evaluation" && role == Role::Unit);
            let staff = matches!(role, Role::Admin | Role::Staff) && in_tree;
            let may = match action {
                Action::View => visible,
                Action::Create | Action::Update => kind == "group_visit" && staff,
                Action::ExportPersonal => staff,
                Action::Change(_) => false,
            };
            return match (visible, may) {
                (_, true) => A,
                (true, false) => F,
                (false, false) => H,
            };
        }
        // A draft regulation: organ workers of the subtree read, admin and staff import, publish
        // and dispose; a task of its consultation sent to unit 7 (the principal's unit), station
        // 77 and deputy 555: its unit answers it too, staff send it.
        "legislation" | "legislation_task" => {
            let staff = matches!(role, Role::Admin | Role::Staff) && in_tree;
            let addressee = kind == "legislation_task" && role == Role::Unit;
            let visible = (worker && in_tree) || addressee;
            let may = match action {
                Action::View => visible,
                Action::Create | Action::ExportPersonal => staff,
                Action::Update => staff || addressee,
                Action::Change(_) => false,
            };
            return match (visible, may) {
                (_, true) => A,
                (true, false) => F,
                (false, false) => H,
            };
        }
        // The working-day calendar: everyone reads; only the top organ's admin (the principal
        // sits below the root) edits.
        "settings" => return if action == Action::View { A } else { F },
        "person" if person_field => return expected(role, kind, Action::Create, rel),
        "handling_unit" | "person" | "station" | "registry" | "reception" | "appointment"
            if action == Action::ExportPersonal =>
        {
            return expected(role, kind, Action::Create, rel);
        }
        _ => {}
    }
    match (kind, action) {
        ("organ", Action::View) => {
            // Workers see their subtree; everyone else sees only their own organ.
            if (worker && in_tree) || rel == Rel::Own {
                A
            } else if rel == Rel::Below {
                F
            } else {
                H
            }
        }
        ("organ", _) => {
            if role == Role::Admin && in_tree {
                A
            } else if in_tree {
                F
            } else {
                H
            }
        }
        ("area", Action::View) => A,
        ("area", _) => {
            if role == Role::Admin && in_tree {
                A
            } else {
                F
            }
        }
        ("account", Action::View) => {
            if matches!(role, Role::Admin | Role::Staff) && in_tree {
                A
            } else {
                H
            }
        }
        ("account", _) => match (role, in_tree) {
            (Role::Admin, true) => A,
            (Role::Staff, true) => F,
            _ => H,
        },
        ("audit" | "organ_tree", Action::View) => {
            if worker && in_tree {
                A
            } else {
                H
            }
        }
        ("audit" | "organ_tree", _) => {
            if worker && in_tree {
                F
            } else {
                H
            }
        }
        ("handling_unit", Action::View) => {
            if worker && in_tree {
                A
            } else {
                H
            }
        }
        ("handling_unit", _) => match (role, in_tree) {
            (Role::Admin | Role::Staff, true) => A,
            (Role::Leader, true) => F,
            _ => H,
        },
        // The registry, receptions and bookings: organ workers of the subtree read; admin and staff
        // maintain (the principal is no station's keeper or deputy).
        ("person" | "station" | "registry" | "reception" | "appointment", Action::View) => {
            if worker && in_tree {
                A
            } else {
                H
            }
        }
        ("person" | "station" | "registry" | "reception" | "appointment", _) => match (role, in_tree) {
            (Role::Admin | Role::Staff, true) => A,
            (Role::Leader, true) => F,
            _ => H,
        },
        // Webhook endpoints: the organ's admins see them; only the top organ's admins change
        // them (the principal sits below the root; `webhook_admins = "organ"` below).
        ("webhooks", Action::View | Action::ExportPersonal) => {
            if role == Role::Admin && in_tree {
                A
            } else {
                H
            }
        }
        ("webhooks", _) => {
            if role == Role::Admin && in_tree {
                F
            } else {
                H
            }
        }
        ("jobs" | "audit_log", _) => {
            if role == Role::Admin && in_tree {
                A
            } else {
                H
            }
        }
        _ => unreachable!(),
    }
}

#[test]
fn decision_table_covers_every_role_resource_and_relation() {
    let mut checked = 0;
    for role in Role::ALL {
        let p = principal(role);
        for rel in RELS {
            let organ_path = path(rel);
            let resources = [
                Resource::Organ { path: organ_path },
                Resource::Area { organ_path },
                Resource::Account { id: 555, organ_path },
                Resource::AuditHistory { organ_path },
                Resource::HandlingUnit { id: 99, organ_path },
                Resource::Jobs { organ_path },
                Resource::AuditLog { organ_path },
                Resource::Webhooks { organ_path, admins: WebhookAdmins::Top },
                Resource::OrganTree { organ_path },
                Resource::Person { id: 555, organ_path },
                Resource::Station { id: 77, organ_path },
                Resource::Registry { organ_path },
                Resource::HandlingItem {
                    organ_path,
                    units: &[7],
                    deputy_id: None,
                    station_id: None,
                    followers: &[],
                    signers: &[],
                    answering: &[],
                },
                Resource::Settings,
                Resource::Reception { organ_path, station_id: Some(77), station_deputies: &[555] },
                Resource::Appointment { organ_path, station_id: 77, deputy_id: Some(555) },
                Resource::Ballot { organ_path, elector: false, watcher: false },
                Resource::GroupEvaluation { organ_path, member: false, unit_id: 7 },
                Resource::GroupVisit { organ_path, member: false },
                Resource::Legislation { organ_path },
                Resource::LegislationTask { organ_path, unit_id: Some(7), station_id: Some(77), deputy_id: Some(555) },
                Resource::Meeting { organ_path, participant: false },
            ];
            for r in &resources {
                for action in actions() {
                    let got = decide(&p, action, r);
                    let want = expected(role, r.kind(), action, rel);
                    assert_eq!(got, want, "{role:?} {action:?} {} {rel:?}", r.kind());
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 6 * 3 * 22 * (4 + Field::ALL.len()));
}

#[test]
fn owner_only_resources_and_special_cases() {
    for role in Role::ALL {
        let p = principal(role);
        for action in [Action::View, Action::Update] {
            assert_eq!(decide(&p, action, &Resource::Inbox { owner_id: 100 }), A);
            assert_eq!(decide(&p, action, &Resource::Inbox { owner_id: 101 }), H, "{role:?} sees another inbox");
            assert_eq!(decide(&p, action, &Resource::AccountSecurity { owner_id: 100 }), A);
            assert_eq!(decide(&p, action, &Resource::AccountSecurity { owner_id: 101 }), H);
        }
        // One's own account: visible, its display name editable, never creatable, and none
        // of its privileged fields changeable by oneself — not even by an admin.
        let own = Resource::Account { id: 100, organ_path: "/1/2/" };
        assert_eq!(decide(&p, Action::View, &own), A);
        assert_eq!(decide(&p, Action::Update, &own), A);
        assert_eq!(decide(&p, Action::Create, &own), F);
        for f in [Field::AccountRoles, Field::AccountDisabled, Field::AccountPasswordReset, Field::AccountIdentity] {
            assert_eq!(decide(&p, Action::Change(f), &own), F, "{role:?} changes own {f:?}");
        }
        // Account security: new credentials only shortly after the password, only from a
        // browser session, never through a token of either scope.
        let sec = Resource::AccountSecurity { owner_id: 100 };
        assert_eq!(decide(&p, Action::Create, &sec), A);
        let mut stale = principal(role);
        stale.recent_auth = false;
        assert_eq!(decide(&stale, Action::Create, &sec), Decision::Reauthenticate);
        assert_eq!(decide(&stale, Action::Update, &sec), A, "password change asks for the password itself");
        for scope in [Scope::Read, Scope::Write] {
            let mut t = principal(role);
            t.token_scope = Some(scope);
            for action in [Action::View, Action::Create, Action::Update] {
                assert_eq!(decide(&t, action, &sec), F, "{role:?} token {scope:?} {action:?}");
            }
        }
        // External organs (the upper congresses) are administered from the root only.
        assert_eq!(decide(&p, Action::Update, &Resource::ExternalOrgan), F, "{role:?} below the root");
        let mut root = principal(role);
        root.organ_path = "/1/".into();
        let want = if role == Role::Admin { A } else { F };
        assert_eq!(decide(&root, Action::Update, &Resource::ExternalOrgan), want, "{role:?} at the root");
        assert_eq!(decide(&root, Action::Create, &Resource::ExternalOrgan), want);
        // An elector sees a ballot and casts their paper wherever it is held; opening, closing
        // and publishing stay with its organ's staff.
        let ballot = Resource::Ballot { organ_path: "/1/3/", elector: true, watcher: false };
        assert_eq!(decide(&p, Action::View, &ballot), A);
        assert_eq!(decide(&p, Action::Create, &ballot), A);
        assert_eq!(decide(&p, Action::Update, &ballot), F);
        // Someone who sits in the meeting a ballot belongs to without being its elector (a 列席
        // deputy on a members' vote) sees it and its result, and may not vote (403, not 404).
        let watched = Resource::Ballot { organ_path: "/1/3/", elector: false, watcher: true };
        assert_eq!(decide(&p, Action::View, &watched), A);
        assert_eq!(decide(&p, Action::Create, &watched), F);
        assert_eq!(decide(&p, Action::Update, &watched), F);
        // A meeting's participant sees it and signs in, wherever it is held — as a deputy only;
        // running it stays with its organ's staff.
        let mut sitting = p.clone();
        sitting.deputy_id = Some(555);
        let meeting = Resource::Meeting { organ_path: "/1/3/", participant: true };
        let deputy = role == Role::Deputy;
        assert_eq!(decide(&sitting, Action::View, &meeting), if deputy { A } else { H }, "{role:?}");
        assert_eq!(decide(&sitting, Action::Create, &meeting), if deputy { A } else { H }, "{role:?}");
        assert_eq!(decide(&sitting, Action::Update, &meeting), if deputy { F } else { H }, "{role:?}");
        // A member of a deputy group writes its evaluation and records its visits, in any organ
        // the group belongs to — as a deputy only.
        let mut member = p.clone();
        member.deputy_id = Some(555);
        let deputy = role == Role::Deputy;
        let evaluation = Resource::GroupEvaluation { organ_path: "/1/3/", member: true, unit_id: 99 };
        let visit = Resource::GroupVisit { organ_path: "/1/3/", member: true };
        for action in [Action::View, Action::Create, Action::Update] {
            assert_eq!(decide(&member, action, &evaluation), if deputy { A } else { H }, "{role:?} {action:?}");
            assert_eq!(decide(&member, action, &visit), if deputy { A } else { H }, "{role:?} {action:?}");
        }
    }
    // Webhook endpoints (issue 20): the top organ's admins manage them; with
    // `webhook_admins = "organ"` every organ's admins manage their own subtree's.
    for role in Role::ALL {
        let mut root = principal(role);
        root.organ_path = "/1/".into();
        let township = principal(role);
        let admin = role == Role::Admin;
        for action in [Action::Create, Action::Update, Action::Change(Field::AccountRoles)] {
            let top = Resource::Webhooks { organ_path: "/1/", admins: WebhookAdmins::Top };
            assert_eq!(decide(&root, action, &top), if admin { A } else { H }, "{role:?} {action:?} at the root");
            let own = Resource::Webhooks { organ_path: "/1/2/", admins: WebhookAdmins::Top };
            assert_eq!(
                decide(&root, action, &own),
                if admin { F } else { H },
                "the root's admin, a township's endpoints"
            );
            assert_eq!(decide(&township, action, &own), if admin { F } else { H }, "{role:?} {action:?} below");
            let organ = Resource::Webhooks { organ_path: "/1/2/", admins: WebhookAdmins::Organ };
            assert_eq!(decide(&township, action, &organ), if admin { A } else { H }, "{role:?} {action:?} organ");
            let sibling = Resource::Webhooks { organ_path: "/1/3/", admins: WebhookAdmins::Organ };
            assert_eq!(decide(&township, action, &sibling), H);
        }
        let mut token = principal(role);
        token.organ_path = "/1/".into();
        token.token_scope = Some(Scope::Read);
        let top = Resource::Webhooks { organ_path: "/1/", admins: WebhookAdmins::Top };
        assert_eq!(decide(&token, Action::Create, &top), F, "a read token never writes");
    }
    // A unit user sees its own unit wherever it sits, and no other.
    let unit = principal(Role::Unit);
    assert_eq!(decide(&unit, Action::View, &Resource::HandlingUnit { id: 7, organ_path: "/1/3/" }), A);
    assert_eq!(decide(&unit, Action::View, &Resource::HandlingUnit { id: 8, organ_path: "/1/2/" }), H);
    // The organs above one's own are visible (public names), never editable.
    let admin = principal(Role::Admin);
    assert_eq!(decide(&admin, Action::View, &Resource::Organ { path: "/1/" }), A);
    assert_eq!(decide(&admin, Action::Update, &Resource::Organ { path: "/1/" }), F);
    // A read-only token never writes, whatever the role.
    let mut token = principal(Role::Admin);
    token.token_scope = Some(Scope::Read);
    assert_eq!(decide(&token, Action::View, &Resource::Account { id: 5, organ_path: "/1/2/" }), A);
    assert_eq!(decide(&token, Action::Update, &Resource::Account { id: 5, organ_path: "/1/2/" }), F);
    for f in Field::ALL {
        assert_eq!(decide(&token, Action::Change(f), &Resource::Account { id: 5, organ_path: "/1/2/" }), F);
    }
    assert_eq!(decide(&token, Action::ExportPersonal, &Resource::Registry { organ_path: "/1/2/" }), F);
    // A deputy sees and edits their own record, wherever it is registered, but creates nothing.
    // A deputy asked to follow an item (督办首发工单) sees it wherever it is, and does nothing else.
    let mut follower = principal(Role::Deputy);
    follower.deputy_id = Some(555);
    for organ_path in ["/1/2/", "/1/3/", "/1/"] {
        let item = |followers| Resource::HandlingItem {
            organ_path,
            units: &[],
            deputy_id: None,
            station_id: None,
            followers,
            signers: &[],
            answering: &[],
        };
        assert_eq!(decide(&follower, Action::View, &item(&[555])), A);
        assert_eq!(decide(&follower, Action::View, &item(&[556])), H);
        for f in Field::ALL {
            assert_eq!(decide(&follower, Action::Change(f), &item(&[555])), F, "a follower changes {f:?}");
        }
        assert_eq!(decide(&follower, Action::ExportPersonal, &item(&[555])), F);
        let mut staff = principal(Role::Staff);
        staff.deputy_id = Some(555);
        let want = if organ_path == "/1/2/" { A } else { H };
        assert_eq!(decide(&staff, Action::View, &item(&[555])), want, "only a deputy follows");
    }
    let mut deputy = principal(Role::Deputy);
    deputy.deputy_id = Some(555);
    for rel in RELS {
        let organ_path = path(rel);
        assert_eq!(decide(&deputy, Action::View, &Resource::Person { id: 555, organ_path }), A);
        assert_eq!(decide(&deputy, Action::Update, &Resource::Person { id: 555, organ_path }), A);
        // … their public profile, never the registry's facts about them.
        let own = Resource::Person { id: 555, organ_path };
        assert_eq!(decide(&deputy, Action::Change(Field::PersonProfile), &own), A);
        assert_eq!(decide(&deputy, Action::Change(Field::PersonFacts), &own), F);
        assert_eq!(decide(&deputy, Action::ExportPersonal, &own), F);
        assert_eq!(decide(&deputy, Action::Create, &Resource::Person { id: 555, organ_path }), F);
        assert_eq!(decide(&deputy, Action::View, &Resource::Person { id: 556, organ_path }), H);
    }
    // A keeper runs their own station only.
    let mut keeper = principal(Role::Keeper);
    keeper.station_id = Some(77);
    assert_eq!(decide(&keeper, Action::Update, &Resource::Station { id: 77, organ_path: "/1/3/" }), A);
    assert_eq!(decide(&keeper, Action::View, &Resource::Station { id: 78, organ_path: "/1/2/" }), H);
    assert_eq!(decide(&keeper, Action::Create, &Resource::Station { id: 77, organ_path: "/1/2/" }), F);
    // … and records its receptions, not another station's nor the organ's as a whole.
    let reception = |station_id| Resource::Reception { organ_path: "/1/3/", station_id, station_deputies: &[555] };
    assert_eq!(decide(&keeper, Action::Create, &reception(Some(77))), A);
    assert_eq!(decide(&keeper, Action::Update, &reception(Some(77))), A);
    assert_eq!(decide(&keeper, Action::View, &reception(Some(78))), H);
    assert_eq!(decide(&keeper, Action::View, &reception(None)), H);
    // A deputy of the station sees its receptions and records none.
    assert_eq!(decide(&deputy, Action::View, &reception(Some(78))), A);
    assert_eq!(decide(&deputy, Action::Create, &reception(Some(78))), F);
    assert_eq!(decide(&deputy, Action::View, &reception(None)), H);
    let other = Resource::Reception { organ_path: "/1/3/", station_id: Some(78), station_deputies: &[556] };
    assert_eq!(decide(&deputy, Action::View, &other), H);
    // A booking: its station's keeper and its deputy receive it, anywhere; another station's
    // keeper and another deputy do not see it; only the keeper (or staff) enters one.
    for organ_path in ["/1/2/", "/1/3/"] {
        let booking = Resource::Appointment { organ_path, station_id: 77, deputy_id: Some(555) };
        assert_eq!(decide(&keeper, Action::Update, &booking), A);
        assert_eq!(decide(&keeper, Action::Create, &booking), A);
        assert_eq!(decide(&deputy, Action::Update, &booking), A);
        assert_eq!(decide(&deputy, Action::Create, &booking), F);
        let other = Resource::Appointment { organ_path, station_id: 78, deputy_id: Some(556) };
        assert_eq!(decide(&keeper, Action::View, &other), H);
        assert_eq!(decide(&deputy, Action::View, &other), H);
    }
    // A path that merely shares a prefix string is not inside the subtree.
    assert_eq!(decide(&admin, Action::View, &Resource::Account { id: 5, organ_path: "/1/22/" }), H);
}

/// The same matrix through the pages and the API: status codes per role and relation.
async fn http_matrix(app: TestApp) {
    let a = app.organ_id("370782001").await;
    let b = app.organ_id("370782002").await;
    let below = app.add_organ("370782001901", "测试社区人大联络组", a).await;
    let target = |rel: Rel| match rel {
        Rel::Own => a,
        Rel::Below => below,
        Rel::Sibling => b,
    };
    let mut target_accounts = std::collections::HashMap::new();
    for rel in RELS {
        target_accounts.insert(
            rel,
            app.add_account(&format!("target_{rel:?}").to_lowercase(), target(rel), &[Role::Deputy]).await,
        );
    }
    let denied_before =
        renda::db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'access_denied'", vec![])
            .await
            .unwrap();
    let mut expected_denials = 0;
    for role in Role::ALL {
        let username = format!("m_{}", role.as_str());
        app.add_account(&username, a, &[role]).await;
        let mut br = app.login(&username).await;
        let worker = matches!(role, Role::Admin | Role::Staff | Role::Leader);
        for rel in RELS {
            let in_tree = rel != Rel::Sibling;
            let organ = target(rel);
            let account = target_accounts[&rel];

            let want = if worker && in_tree { StatusCode::OK } else { StatusCode::NOT_FOUND };
            let r = br.get(&format!("/console/admin/organs/{organ}")).await;
            assert_eq!(r.status, want, "{role:?} views organ {rel:?}");
            expected_denials += (want != StatusCode::OK) as i64;

            let want = match (role, in_tree) {
                (Role::Admin, true) => StatusCode::SEE_OTHER,
                (Role::Staff | Role::Leader, true) => StatusCode::FORBIDDEN,
                _ => StatusCode::NOT_FOUND,
            };
            let r = br
                .post(
                    &format!("/console/admin/organs/{organ}"),
                    &[("name", "改名测试机关"), ("short_name", ""), ("phone", "")],
                )
                .await;
            assert_eq!(r.status, want, "{role:?} updates organ {rel:?}: {}", r.body);
            expected_denials += (want != StatusCode::SEE_OTHER) as i64;

            let can_see_accounts = matches!(role, Role::Admin | Role::Staff) && in_tree;
            let want = if can_see_accounts { StatusCode::OK } else { StatusCode::NOT_FOUND };
            let r = br.get(&format!("/console/admin/accounts/{account}")).await;
            assert_eq!(r.status, want, "{role:?} views account page {rel:?}");
            let r = br.api("GET", &format!("/api/v1/accounts/{account}"), serde_json::json!(null), false).await;
            assert_eq!(r.status, want, "{role:?} views account via API {rel:?}");
            expected_denials += 2 * (want != StatusCode::OK) as i64;

            let want = match (role, in_tree) {
                (Role::Admin, true) => StatusCode::SEE_OTHER,
                (Role::Staff, true) => StatusCode::FORBIDDEN,
                _ => StatusCode::NOT_FOUND,
            };
            let r = br
                .post(&format!("/console/admin/accounts/{account}"), &[("display_name", "新名字"), ("roles", "deputy")])
                .await;
            assert_eq!(r.status, want, "{role:?} updates account {rel:?}");
            expected_denials += (want != StatusCode::SEE_OTHER) as i64;

            // Someone else's inbox item: never, whatever the organ.
            let nid = renda::db::insert_id(
                app.db(),
                "INSERT INTO notifications (account_id, title, body, created_at) VALUES ($1, '通知', '内容', 0)",
                vec![account.into()],
            )
            .await
            .unwrap();
            let r = br.post(&format!("/console/inbox/{nid}/read"), &[]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{role:?} reads another's inbox {rel:?}");
            expected_denials += 1;
        }
        let want = if role == Role::Admin { StatusCode::OK } else { StatusCode::NOT_FOUND };
        assert_eq!(br.get("/console/admin/audit").await.status, want, "{role:?} audit page");
        expected_denials += (want != StatusCode::OK) as i64;
        let want = if matches!(role, Role::Admin | Role::Staff) { StatusCode::OK } else { StatusCode::NOT_FOUND };
        let list = br.get("/console/admin/accounts").await;
        assert_eq!(list.status, want, "{role:?} account list");
        expected_denials += (want != StatusCode::OK) as i64;
        if want == StatusCode::OK {
            // The list holds own and below, never the sibling organ's accounts.
            assert!(list.body.contains("target_own") && list.body.contains("target_below"));
            assert!(!list.body.contains("target_sibling"), "{role:?} sees sideways in the list");
        }
    }
    let denied_after =
        renda::db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'access_denied'", vec![])
            .await
            .unwrap();
    assert_eq!(denied_after - denied_before, expected_denials, "every refusal is audited");
}
demo_test!(http_matrix);

/// Issue 18: every deputy who signed an item acts as its deputy (sees it, answers, rates); a
/// deputy who did not sign, of the same organ, does not see it.
#[test]
fn the_signers_of_an_item_are_its_deputies() {
    let mut signer = principal(Role::Deputy);
    signer.deputy_id = Some(41);
    let mut other = principal(Role::Deputy);
    other.deputy_id = Some(42);
    let item = |signers| Resource::HandlingItem {
        organ_path: "/1/2/",
        units: &[],
        deputy_id: None,
        station_id: None,
        followers: &[],
        signers,
        answering: &[],
    };
    for action in [Action::View, Action::Change(Field::ItemDeputyWork)] {
        assert_eq!(decide(&signer, action, &item(&[40, 41])), Decision::Allow, "{action:?}");
        assert_eq!(decide(&other, action, &item(&[40, 41])), Decision::Hidden, "{action:?}");
    }
    assert_eq!(decide(&signer, Action::Change(Field::ItemTriage), &item(&[41])), Decision::Forbidden);
}
