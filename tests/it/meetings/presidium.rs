//! The 主席团 of a 人代会 session as its own body (MTG-1): staff compose it from the session's
//! deputies with its roles (常务主席, 执行主席, 秘书长), a 主席团会议 seats exactly its members
//! (the 秘书长 列席) with the quorum counted from them, its ballots are voted by them only — a
//! 列席 refused (403), a deputy of the session outside it not told the meeting exists (404) —,
//! only staff manage it, and the demo's session has one with a closed ballot.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{account_for, act, ballot, deputies, detail, present, staff_token};
use crate::demo_test;
use crate::support::TestApp;

async fn meeting(app: &TestApp, token: &str, id: i64) -> Value {
    let r = app.api("GET", &format!("/api/v1/meetings/{id}"), Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn create(app: &TestApp, token: &str, body: Value) -> crate::support::Resp {
    app.api("POST", "/api/v1/meetings", Some(token), Some(body)).await
}

fn presidium_meeting(session: i64) -> Value {
    json!({
        "kind": "presidium", "title": "主席团第一次会议（测试）", "starts_at": "2027-01-10T08:00:00+08:00",
        "members_of": "presidium", "session_id": session,
    })
}

async fn a_session_has_its_presidium_and_its_meetings(app: TestApp) {
    let staff = staff_token(&app).await;
    let people = deputies(&app, 8).await;
    let r = create(
        &app,
        &staff,
        json!({"kind": "congress", "title": "人民代表大会第六次会议（测试）", "starts_at": "2027-01-10T09:00:00+08:00",
               "members_of": "congress"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let session = r.json()["id"].as_i64().unwrap();
    let d = meeting(&app, &staff, session).await;
    assert_eq!(d["sitting"]["members_of"], "congress", "{}", d["sitting"]);
    assert_eq!(d["presidium"], json!([]));
    // No 主席团 yet: its meeting cannot be called.
    let r = create(&app, &staff, presidium_meeting(session)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("还没有组成主席团"), "{}", r.body);

    let set = |body: Value, token: String| {
        let app = &app;
        async move { app.api("POST", &format!("/api/v1/meetings/{session}/presidium"), Some(&token), Some(body)).await }
    };
    let seats = json!({"members": [
        {"person_id": people[0], "role": "standing_chair"},
        {"person_id": people[1], "role": "presiding"},
        {"person_id": people[2], "role": "member"},
        {"person_id": people[3], "role": "member"},
        {"person_id": people[4], "role": "member"},
        {"person_id": people[5], "role": "secretary_general"},
    ]});
    // Only the organ's staff compose it: a deputy of the session is refused.
    let deputy = account_for(&app, people[2], "p2").await;
    let r = set(seats.clone(), deputy.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Bad lists: 422, nothing written.
    for bad in [
        json!({"members": [{"person_id": 987_654, "role": "member"}]}),
        json!({"members": [{"person_id": people[0], "role": "member"}, {"person_id": people[0], "role": "presiding"}]}),
        json!({"members": [{"person_id": people[0], "role": "secretary_general"}]}),
        json!({"members": [{"person_id": people[0], "role": "member"}, {"person_id": people[1], "role": "secretary_general"},
                           {"person_id": people[2], "role": "secretary_general"}]}),
        json!({"members": [{"person_id": people[0], "role": "chair"}]}),
        json!({"members": []}),
    ] {
        let r = set(bad.clone(), staff.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
    }
    assert_eq!(meeting(&app, &staff, session).await["presidium"], json!([]));
    let r = set(seats.clone(), staff.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let presidium = r.json()["presidium"].as_array().unwrap().clone();
    assert_eq!(presidium.len(), 6);
    assert_eq!(presidium[0]["role"], "standing_chair");
    assert_eq!(presidium[5]["role"], "secretary_general");
    assert!(!presidium[0]["name"].as_str().unwrap().is_empty());

    // Only a session has a 主席团; a 主席团会议 is the 主席团's and names its session.
    let list = super::meeting_of(&app, &staff, &people[..3], &[]).await;
    let r = app.api("POST", &format!("/api/v1/meetings/{list}/presidium"), Some(&staff), Some(seats.clone())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut wrong = presidium_meeting(session);
    wrong["members_of"] = json!("standing");
    assert_eq!(create(&app, &staff, wrong).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(create(&app, &staff, presidium_meeting(list)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nor may a deputy call its meeting (meetings are made by the organ's workers only).
    let r = create(&app, &deputy, presidium_meeting(session)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    let r = create(&app, &staff, presidium_meeting(session)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pm = r.json()["id"].as_i64().unwrap();
    let d = meeting(&app, &staff, pm).await;
    assert_eq!(d["kind"], "presidium");
    assert_eq!(d["numbered"], "主席团第一次会议");
    assert_eq!(d["sitting"]["members_of"], "presidium");
    assert_eq!(d["sitting"]["session_id"], session);
    assert!(d["sitting"]["name"].as_str().unwrap().ends_with("主席团"), "{}", d["sitting"]);
    // Its members are the 主席团's five; the 秘书长 列席; the quorum from the five.
    let members = d["members"].as_array().unwrap();
    let role_of = |p: i64| members.iter().find(|m| m["person_id"] == p).map(|m| m["role"].clone());
    assert_eq!(members.len(), 6);
    assert!(people[..5].iter().all(|p| role_of(*p) == Some(json!("member"))));
    assert_eq!(role_of(people[5]), Some(json!("observer")));
    assert_eq!(d["quorum"]["members"], 5);
    assert_eq!(d["quorum"]["required"], 3);
    assert_eq!(meeting(&app, &staff, session).await["presidium_meetings"], json!([pm]));
    // The second one is numbered on.
    let r = create(&app, &staff, presidium_meeting(session)).await;
    let second = r.json()["id"].as_i64().unwrap();
    assert_eq!(meeting(&app, &staff, second).await["numbered"], "主席团第二次会议");

    // The 主席团 adopts the agenda: not before three of five are present.
    let motion = ballot(
        &app,
        &staff,
        pm,
        json!({"title": "通过大会议程", "kind": "motion", "secret": false,
               "rule": {"base": "all_members", "num": 1, "den": 2, "strict": true}}),
    )
    .await;
    present(&app, &staff, pm, &people[..2]).await;
    let r = act(&app, &staff, motion, "open").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("组成人员 5 人"), "{}", r.body);
    present(&app, &staff, pm, &people[2..3]).await;
    assert_eq!(act(&app, &staff, motion, "open").await.status, StatusCode::OK);

    let vote = |token: String| {
        let app = &app;
        async move {
            app.api("POST", &format!("/api/v1/ballots/{motion}/votes"), Some(&token), Some(json!({"choice": "yes"})))
                .await
        }
    };
    let chair = account_for(&app, people[0], "p0").await;
    let secretary = account_for(&app, people[5], "p5").await;
    let outsider = account_for(&app, people[7], "p7").await;
    assert_eq!(vote(chair.clone()).await.status, StatusCode::OK);
    assert_eq!(vote(deputy.clone()).await.status, StatusCode::OK);
    // The 秘书长 sits as 列席: sees the meeting, cannot vote.
    meeting(&app, &secretary, pm).await;
    let r = vote(secretary.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A deputy of the session outside the 主席团: sees the session, not the 主席团会议.
    meeting(&app, &outsider, session).await;
    let r = app.api("GET", &format!("/api/v1/meetings/{pm}"), Some(&outsider), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(vote(outsider.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(act(&app, &staff, motion, "close").await.status, StatusCode::OK);
    let b = detail(&app, &staff, motion).await;
    // 2 赞成 of 5 members: not more than half of all members.
    assert_eq!(b["outcome"]["passed"], false, "{}", b["outcome"]);

    // The session's page shows its 主席团 and its meetings; staff change a role there.
    let mut desk = app.login("staff").await;
    let page = desk.get(&format!("/console/meetings/{session}")).await;
    assert_eq!(page.texts("#presidium-members tbody tr").len(), 6, "{}", page.body);
    assert!(page.body.contains(&format!("/console/meetings/{pm}")), "{}", page.body);
    let r = desk.submit(&page, "#presidium-add", &[("person_id", &people[6].to_string()), ("role", "presiding")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = desk.get(&format!("/console/meetings/{session}")).await;
    assert_eq!(page.texts("#presidium-members tbody tr").len(), 7, "{}", page.body);
    let r = desk.post(&format!("/console/meetings/{session}/presidium/{}/remove", people[6]), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(meeting(&app, &staff, session).await["presidium"].as_array().unwrap().len(), 6);
    // … and calls the next 主席团会议 from it.
    let r = desk
        .submit(
            &page,
            "#presidium-meeting",
            &[("title", "主席团第三次会议"), ("date", "2027-01-11"), ("time", "12:00")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(meeting(&app, &staff, session).await["presidium_meetings"].as_array().unwrap().len(), 3);
    let page = desk.get(&format!("/console/meetings/{pm}")).await;
    assert!(page.body.contains(&format!("/console/meetings/{session}")), "{}", page.body);
}
demo_test!(a_session_has_its_presidium_and_its_meetings);

/// The demo's 人代会 session has its 主席团 — real names of its deputies, 常务主席 and a 秘书长 —
/// and its first meeting, where the 主席团 adopted the agenda by a closed named vote.
async fn the_demo_session_has_its_presidium(app: TestApp) {
    let staff = staff_token(&app).await;
    let list = app.api("GET", "/api/v1/meetings", Some(&staff), None).await.json();
    let meetings = list["items"].as_array().unwrap();
    let session = meetings.iter().find(|m| m["kind"] == "congress").unwrap()["id"].as_i64().unwrap();
    let d = meeting(&app, &staff, session).await;
    let presidium = d["presidium"].as_array().unwrap();
    assert!(presidium.len() >= 10, "{presidium:?}");
    assert!(presidium.iter().any(|m| m["role"] == "standing_chair"), "{presidium:?}");
    assert!(presidium.iter().any(|m| m["role"] == "presiding"), "{presidium:?}");
    assert!(presidium.iter().all(|m| {
        let name = m["name"].as_str().unwrap();
        (2..=4).contains(&name.chars().count()) && !name.chars().any(|c| c.is_ascii_digit())
    }));
    let pm = d["presidium_meetings"].as_array().unwrap();
    assert_eq!(pm.len(), 1);
    let pm = pm[0].as_i64().unwrap();
    let d = meeting(&app, &staff, pm).await;
    assert_eq!(d["sitting"]["members_of"], "presidium");
    assert_eq!(d["state"], "ended");
    let voting = presidium.iter().filter(|m| m["role"] != "secretary_general").count();
    assert_eq!(d["quorum"]["members"], voting as i64);
    let ballots = d["ballots"].as_array().unwrap();
    assert_eq!(ballots.len(), 1);
    assert_eq!(ballots[0]["title"], "通过大会议程");
    assert_eq!(ballots[0]["state"], "closed");
    assert_eq!(ballots[0]["passed"], true);
}
demo_test!(the_demo_session_has_its_presidium);
