//! Who may do what in a meeting and its ballots: a voter outside the electorate (403), a second
//! vote (409) unless a named ballot allows changes (then the last paper counts), a vote before
//! opening or after closing (409), staff voting for someone (403, whatever the body says), a
//! member running the meeting or signing in someone else (403), a deputy who does not sit in it
//! (404); settings a ballot cannot have (422).

use axum::http::StatusCode;
use serde_json::json;

use super::{account_for, act, ballot, deputies, detail, meeting_of, present, staff_token};
use crate::demo_test;
use crate::support::TestApp;

async fn only_electors_vote_once_and_staff_never_for_them(app: TestApp) {
    let staff = staff_token(&app).await;
    let people = deputies(&app, 6).await;
    let (members, observer, outsider) = (&people[..4], people[4], people[5]);
    let id = meeting_of(&app, &staff, members, &[observer]).await;
    let motion = ballot(&app, &staff, id, json!({"title": "表决一", "kind": "motion", "secret": true})).await;
    let tokens = [
        account_for(&app, members[0], "m0").await,
        account_for(&app, members[1], "m1").await,
        account_for(&app, members[2], "m2").await,
    ];
    let observer_token = account_for(&app, observer, "obs").await;
    let outsider_token = account_for(&app, outsider, "out").await;
    let vote = |t: &str, body| {
        let t = t.to_string();
        let app = &app;
        async move { app.api("POST", &format!("/api/v1/ballots/{motion}/votes"), Some(&t), Some(body)).await }
    };

    // Not yet open: 409.
    let r = vote(&tokens[0], json!({"choice": "yes"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // A member cannot open it or sign someone else in.
    assert_eq!(act(&app, &tokens[0], motion, "open").await.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/meetings/{id}/attendance"),
            Some(&tokens[0]),
            Some(json!({"person_id": members[1], "state": "present"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // … but signs in themself (出席 from their account).
    let r = app
        .api(
            "POST",
            &format!("/api/v1/meetings/{id}/attendance"),
            Some(&tokens[0]),
            Some(json!({"person_id": members[0], "state": "present"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A deputy who does not sit in the meeting does not see it.
    let r = app.api("GET", &format!("/api/v1/meetings/{id}"), Some(&outsider_token), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    present(&app, &staff, id, &members[1..3]).await;
    assert_eq!(act(&app, &staff, motion, "open").await.status, StatusCode::OK);

    // One vote each.
    assert_eq!(vote(&tokens[0], json!({"choice": "yes"})).await.status, StatusCode::OK);
    let again = vote(&tokens[0], json!({"choice": "no"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    // Outside the electorate: the 列席 deputy sees the members' ballot and is refused (403); a
    // deputy who does not sit in the meeting does not learn it exists (404).
    let r = vote(&observer_token, json!({"choice": "yes"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(vote(&outsider_token, json!({"choice": "yes"})).await.status, StatusCode::NOT_FOUND);
    // Staff see the ballot but cast for nobody, whatever the body names.
    let r = vote(&staff, json!({"choice": "yes"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = vote(&staff, json!({"choice": "yes", "person_id": members[1]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A paper of the wrong shape: 422.
    let r = vote(&tokens[1], json!({"grade": "satisfied"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = vote(&tokens[1], json!({"choice": "yes", "choices": [1]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(vote(&tokens[1], json!({"choice": "abstain"})).await.status, StatusCode::OK);

    // Closed: no more votes; counted exactly what was cast.
    assert_eq!(act(&app, &staff, motion, "close").await.status, StatusCode::OK);
    assert_eq!(act(&app, &staff, motion, "close").await.status, StatusCode::CONFLICT);
    let late = vote(&tokens[2], json!({"choice": "yes"})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    let d = detail(&app, &staff, motion).await;
    assert_eq!(
        (d["tally"]["yes"].as_i64(), d["tally"]["abstain"].as_i64(), d["tally"]["not_voted"].as_i64()),
        (Some(1), Some(1), Some(2))
    );
    // Published once, and only once.
    assert_eq!(act(&app, &staff, motion, "publish").await.status, StatusCode::OK);
    assert_eq!(act(&app, &staff, motion, "publish").await.status, StatusCode::CONFLICT);

    // A named ballot that allows changes: the last paper counts, still one per voter.
    let named =
        ballot(&app, &staff, id, json!({"title": "表决二", "kind": "motion", "secret": false, "changes": true})).await;
    assert_eq!(act(&app, &staff, named, "open").await.status, StatusCode::OK);
    let r = app
        .api("POST", &format!("/api/v1/ballots/{named}/votes"), Some(&tokens[2]), Some(json!({"choice": "no"})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .api("POST", &format!("/api/v1/ballots/{named}/votes"), Some(&tokens[2]), Some(json!({"choice": "yes"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(act(&app, &staff, named, "close").await.status, StatusCode::OK);
    let d = detail(&app, &staff, named).await;
    assert_eq!(
        (d["tally"]["yes"].as_i64(), d["tally"]["no"].as_i64(), d["tally"]["voted"].as_i64()),
        (Some(1), Some(0), Some(1))
    );
    assert_eq!(
        d["votes"],
        json!([{"person_id": members[2], "subject_id": d["subjects"][0]["id"], "option": "yes", "score": null}])
    );

    // Settings a ballot cannot have: changes on a secret ballot, 列席 voting on 人事任免.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/meetings/{id}/ballots"),
            Some(&staff),
            Some(json!({"title": "x", "kind": "motion", "secret": true, "changes": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut desk = app.login("staff").await;
    let page = desk.get(&format!("/console/meetings/{id}")).await;
    let r = desk.submit(&page, "#new-item", &[("title", "任命某某为局长"), ("kind", "personnel")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let item =
        renda::db::scalar_i64(app.db(), "SELECT max(id) FROM meeting_items WHERE meeting_id = $1", vec![id.into()])
            .await
            .unwrap();
    let r = app
        .api(
            "POST",
            &format!("/api/v1/meetings/{id}/ballots"),
            Some(&staff),
            Some(
                json!({"title": "人事任免", "kind": "motion", "item_id": item, "electorate": "members_and_observers"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("人事任免"), "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/meetings/{id}/ballots"),
            Some(&staff),
            Some(json!({"title": "差额", "kind": "choose", "options": ["甲", "乙"], "choose_max": 3})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/meetings/{id}/ballots"),
            Some(&staff),
            Some(json!({"title": "规则", "kind": "motion", "rule": {"base": "present", "num": 3, "den": 2, "strict": false}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}
demo_test!(only_electors_vote_once_and_staff_never_for_them);
