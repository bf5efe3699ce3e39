//! The rules of 代表建议 beside the main path: a 议案's co-signer minimum and the presidium's
//! decision, the calendar-month extension capped at 6 months in all, 跟踪办理 of a B-class reply,
//! a 交办会 that is all or nothing, and who may do what with a draft (the `Draft` resource).

use axum::http::StatusCode;
use renda::auth::authz::{Action, Decision, Field, decide};
use renda::auth::{Principal, Resource, Role, Scope};
use serde_json::json;

use super::{person_of, second_unit, submitted};
use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::TestApp;

async fn bills_need_cosigners_or_a_delegation(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let body = json!({"kind": "bill", "title": "关于制定城市停车管理条例的议案", "problem": "停车管理缺少地方性法规依据，执法难。",
                      "measures": "建议制定《城市停车管理条例》，明确规划、建设、收费和执法职责。"});
    let r = app.api("POST", "/api/v1/suggestions", Some(&deputy), Some(body)).await;
    let id = r.json()["id"].as_i64().unwrap();
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/submit"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("联名"), "{}", r.body);
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/submit"), Some(&deputy), Some(json!({"delegation": true})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "under_review");
    // Under review it cannot be registered for the units.
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}
demo_test!(bills_need_cosigners_or_a_delegation);

/// A deputy links a suggestion only to opinions they may see; one they may not is refused and
/// nothing is written.
async fn links_only_to_opinions_the_author_sees(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let me = person_of(&app, "deputy").await;
    let unseen = renda::db::scalar_i64(
        app.db(),
        "SELECT coalesce(min(op.id), 0) FROM opinions op JOIN handling_items i ON i.id = op.item_id \
         WHERE coalesce(i.deputy_id, 0) <> $1 AND i.station_id IS NULL",
        vec![me.into()],
    )
    .await
    .unwrap();
    let before = renda::db::scalar_i64(app.db(), "SELECT count(*) FROM suggestions", vec![]).await.unwrap();
    let body = |o: i64| json!({"title": "关于校门口交通安全的建议", "problem": "接送时段拥堵。", "measures": "设置护学岗。", "opinion_ids": [o]});
    if unseen > 0 {
        let r = app.api("POST", "/api/v1/suggestions", Some(&deputy), Some(body(unseen))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let r = app.api("POST", "/api/v1/suggestions", Some(&deputy), Some(body(987_654_321))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let after = renda::db::scalar_i64(app.db(), "SELECT count(*) FROM suggestions", vec![]).await.unwrap();
    assert_eq!(before, after, "nothing written");
}
demo_test!(links_only_to_opinions_the_author_sees);

async fn extensions_stop_at_six_months_and_b_replies_are_followed(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let lead = demo_unit(&app).await;
    let id = submitted(&app, &deputy, &deputy2).await;
    app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    let post = |who: &str, name: &str, body: serde_json::Value| {
        let (who, path) = (who.to_string(), format!("/api/v1/suggestions/{id}/{name}"));
        let app = &app;
        async move { app.api("POST", &path, Some(&who), Some(body)).await }
    };
    let r = post(&staff, "assign", json!({"units": [{"unit_id": lead, "role": "lead"}], "due_months": 7})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "more than 6 months: {}", r.body);
    let r = post(&staff, "assign", json!({"units": [{"unit_id": lead, "role": "lead"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    post(&unit, "accept", json!({})).await;
    let r = post(&unit, "extension", json!({"months": 4, "text": "需要立项"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = post(&unit, "extension", json!({"months": 3, "text": "需要立项"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post(&staff, "decide-extension", json!({"unit_id": lead, "approve": true, "months": 3})).await;
    assert_eq!(r.status, StatusCode::OK, "3 + 3 months: {}", r.body);
    post(&unit, "extension", json!({"months": 1, "text": "再延一个月"})).await;
    let r = post(&staff, "decide-extension", json!({"unit_id": lead, "approve": true, "months": 1})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "beyond 6 months in all: {}", r.body);
    assert!(r.body.contains("6个月"), "{}", r.body);
    // A reply without a recorded contact is taken and flagged; a B reply is followed.
    let r = post(&unit, "reply", json!({"class": "B", "text": "列入计划"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&staff), None).await.json();
    assert_eq!(d["contact_recorded"], false);
    let r = post(&staff, "follow", json!({"text": "列入明年计划，跟踪办理"})).await;
    assert_eq!(r.json()["state"], "following", "{}", r.body);
    // Carried over into next year's list while followed; a unit may not carry over.
    let year = renda::calendar::beijing_date(renda::db::now()).format("%Y").to_string().parse::<i64>().unwrap();
    let r = app.api("POST", "/api/v1/suggestions/carry-over", Some(&unit), Some(json!({"year": year}))).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    let r = app.api("POST", "/api/v1/suggestions/carry-over", Some(&staff), Some(json!({"year": year}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["carried"].as_u64().unwrap() >= 1);
    let d = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&staff), None).await.json();
    assert_eq!(d["year"], year + 1);
    assert_eq!(d["carried_from_year"], year);
    let r = post(&unit, "reply", json!({"class": "A", "text": "已建成"})).await;
    assert_eq!(r.json()["state"], "replied", "{}", r.body);
}
demo_test!(extensions_stop_at_six_months_and_b_replies_are_followed);

async fn a_batch_assignment_is_all_or_nothing(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let lead = demo_unit(&app).await;
    let (other, _) = second_unit(&app).await;
    let a = submitted(&app, &deputy, &deputy2).await;
    let b = submitted(&app, &deputy, &deputy2).await;
    // `b` is assigned already: a batch with both fails as a whole.
    app.api("POST", &format!("/api/v1/suggestions/{b}/register"), Some(&staff), None).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/suggestions/{b}/assign"),
            Some(&staff),
            Some(json!({"units": [{"unit_id": other, "role": "lead"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut staff_b = app.login("staff").await;
    let page = staff_b.get("/console/suggestions").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = staff_b.csrf();
    let (sa, sb, unit) = (a.to_string(), b.to_string(), lead.to_string());
    let r = staff_b
        .post(
            "/console/suggestions/assign",
            &[("_csrf", &csrf), ("id", &sa), ("id", &sb), ("unit", &unit), ("role", "lead")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let d = app.api("GET", &format!("/api/v1/suggestions/{a}"), Some(&staff), None).await.json();
    assert_eq!(d["state"], "submitted", "nothing of the batch was written");
    let r = staff_b
        .post("/console/suggestions/assign", &[("_csrf", &csrf), ("id", &sa), ("unit", &unit), ("role", "lead")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = app.api("GET", &format!("/api/v1/suggestions/{a}"), Some(&staff), None).await.json();
    assert_eq!(d["state"], "assigned");
}
demo_test!(a_batch_assignment_is_all_or_nothing);

#[test]
fn who_may_do_what_with_a_draft() {
    let who = |roles: &[Role], deputy: Option<i64>| Principal {
        account_id: 100,
        username: "t".into(),
        display_name: "测试".into(),
        roles: roles.to_vec(),
        organ_id: 2,
        organ_path: "/1/2/".into(),
        unit_id: None,
        deputy_id: deputy,
        station_id: None,
        token_scope: None,
        recent_auth: true,
    };
    let author = who(&[Role::Deputy], Some(7));
    let co = who(&[Role::Deputy], Some(8));
    let other = who(&[Role::Deputy], Some(9));
    let staff = who(&[Role::Staff], None);
    let draft =
        Resource::Draft { organ_path: "/1/2/", author: 7, co_authors: &[8], participants: &[], submitted: false };
    let handed =
        Resource::Draft { organ_path: "/1/2/", author: 7, co_authors: &[8], participants: &[], submitted: true };
    use Decision::{Allow as A, Forbidden as F, Hidden as H};
    assert_eq!(decide(&author, Action::Update, &draft), A);
    assert_eq!(decide(&author, Action::Update, &handed), F, "a submitted one is not edited");
    assert_eq!(decide(&co, Action::View, &draft), A);
    assert_eq!(decide(&co, Action::Change(Field::ItemDeputyWork), &draft), A);
    assert_eq!(decide(&co, Action::Update, &draft), F);
    assert_eq!(decide(&author, Action::Change(Field::ItemDeputyWork), &draft), F, "the author does not co-sign");
    assert_eq!(decide(&other, Action::View, &draft), H);
    assert_eq!(decide(&staff, Action::View, &draft), H, "staff do not see drafts");
    assert_eq!(decide(&staff, Action::View, &handed), A);
    assert_eq!(decide(&staff, Action::Change(Field::ItemTriage), &handed), A);
    assert_eq!(decide(&staff, Action::Change(Field::ItemTriage), &draft), H);
}

/// SUG-4: a unit may return a wrongly assigned suggestion within 10 working days of the 交办
/// (counted on the working-day calendar), with a reason; after that it is refused, and the
/// returned one goes back to staff (registered) for a new 交办.
async fn a_unit_returns_within_ten_working_days(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let lead = demo_unit(&app).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = submitted(&app, &deputy, &deputy2).await;
        app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
        let r = app
            .api(
                "POST",
                &format!("/api/v1/suggestions/{id}/assign"),
                Some(&staff),
                Some(json!({"units": [{"unit_id": lead, "role": "lead"}]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        ids.push(id);
    }
    let item = |id: i64| format!("(SELECT item_id FROM suggestions WHERE id = {id})");
    // The first was given 11 working days ago (three weeks back is 15 or more): too late.
    let cal = renda::calendar::Calendar::official();
    let today = renda::calendar::beijing_date(renda::db::now());
    let mut day = today;
    let mut counted = 0;
    while counted < 11 {
        day = day.pred_opt().unwrap();
        if cal.is_working_day(day) {
            counted += 1;
        }
    }
    renda::db::exec(
        app.db(),
        &format!("UPDATE handling_assignments SET assigned_on = $1 WHERE item_id = {}", item(ids[0])),
        vec![day.format("%Y-%m-%d").to_string().into()],
    )
    .await
    .unwrap();
    let give_back = |id: i64| {
        let (app, unit) = (&app, unit.clone());
        async move {
            app.api(
                "POST",
                &format!("/api/v1/suggestions/{id}/return"),
                Some(&unit),
                Some(json!({"text": "不属于本单位职责，建议交市住建局"})),
            )
            .await
        }
    };
    let r = give_back(ids[0]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("10 个工作日"), "{}", r.body);
    // The second, given today, goes back to staff.
    let r = give_back(ids[1]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(super::detail(&app, &staff, ids[1]).await["state"], "registered");
    assert_eq!(super::detail(&app, &staff, ids[0]).await["state"], "assigned");
}
demo_test!(a_unit_returns_within_ten_working_days);
