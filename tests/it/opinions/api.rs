//! The same loop through the API: public intake and tracking, staff, unit and deputy calls
//! with tokens, the list with search, the detail with its history, 码上公开.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::{a_station, demo_unit, state_of};
use crate::demo_test;
use crate::support::TestApp;

async fn the_loop_through_the_api(app: TestApp) {
    let station = a_station(&app).await;
    // Public intake: no token, no cookie.
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "新华路小学门口早晚接送时段车辆乱停，孩子过马路很危险。", "category": "交通运输",
                        "station_id": station, "allow_public": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let receipt = r.json();
    let no = receipt["tracking_no"].as_str().unwrap().to_string();
    let code = receipt["query_code"].as_str().unwrap().to_string();
    let t = app.api("GET", &format!("/api/v1/opinions/track/{no}?code={code}"), None, None).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.json()["state"], "received");
    assert_eq!(t.json()["timeline"][0]["step"], "submit");
    let wrong = app.api("GET", &format!("/api/v1/opinions/track/{no}?code=AAAAAA"), None, None).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);

    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let read = app.token("staff", Scope::Read).await;
    // The list finds it by a word of its text; the detail carries state, deadline and history.
    let list = app.api("GET", "/api/v1/opinions?q=%E6%8E%A5%E9%80%81", Some(&staff), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items = list.json()["items"].as_array().unwrap().clone();
    let found = items.iter().find(|o| o["tracking_no"] == no.as_str()).expect("search finds it");
    let id = found["id"].as_i64().unwrap();
    let item = found["item_id"].as_i64().unwrap();
    let d = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&staff), None).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.json()["state"], "received");
    assert!(d.json()["suggestions"].is_object());
    assert!(d.json()["steps"].as_array().unwrap().iter().any(|s| s == "assign"));

    // A read token writes nothing.
    let unit = demo_unit(&app).await;
    let body = json!({"units": [{"unit_id": unit, "role": "lead"}], "due_working_days": 10, "text": "请核实"});
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/assign"), Some(&read), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The unit may not assign; staff may.
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/assign"), Some(&unit_token), Some(body.clone())).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/assign"), Some(&staff), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "assigned");
    let d = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&staff), None).await;
    assert!(d.json()["deadline"].is_string());
    assert_eq!(d.json()["overdue"], false);
    // Bad step bodies are 422s in Chinese.
    let r = app
        .api("POST", &format!("/api/v1/opinions/{id}/reply"), Some(&unit_token), Some(json!({"result": "done"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请选择办理结果"), "{}", r.body);

    // The unit learns its id, signs for the item and replies (a step without a body).
    let me = app.api("GET", "/api/v1/me", Some(&unit_token), None).await;
    assert_eq!(me.json()["unit_id"], unit);
    let units = app.api("GET", "/api/v1/units", Some(&staff), None).await;
    assert!(units.json()["items"].as_array().unwrap().iter().any(|u| u["id"] == unit));
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/accept"), Some(&unit_token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/reply"),
            Some(&unit_token),
            Some(json!({"result": "in_progress", "text": "已协调交警在上下学时段加强疏导，正在施划临时停车区。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "replied");

    // The submitter rates through the API: 不满意 reopens the item once by itself.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/track/{no}/ratings"),
            None,
            Some(json!({"code": code, "grade": "unsatisfied"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["reopened"], true);
    assert_eq!(state_of(&app, item).await, "rehandling");
    // 签收 comes before 答复 in every round.
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/accept"), Some(&unit_token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/reply"),
            Some(&unit_token),
            Some(json!({"result": "resolved", "text": "临时停车区已施划，交警每日值守。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/track/{no}/ratings"),
            None,
            Some(json!({"code": code, "grade": "basically_satisfied", "comment": "好多了"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["state"], "replied");
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/close"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "closed");

    let t = app.api("GET", &format!("/api/v1/opinions/track/{no}?code={code}"), None, None).await;
    assert_eq!(t.json()["state"], "closed");
    assert_eq!(t.json()["reply"]["result"], "resolved");
    let labels: Vec<String> =
        t.json()["timeline"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap().to_string()).collect();
    assert_eq!(labels, ["submit", "assign", "accept", "reply", "rate", "reopen", "accept", "reply", "rate", "close"]);
    let d = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&staff), None).await;
    assert_eq!(d.json()["ratings"].as_array().unwrap().len(), 2);
    assert_eq!(d.json()["replies"].as_array().unwrap().len(), 2);

    // Closed is not public: staff publish it (the masked first draft).
    let p = app.api("GET", "/api/v1/public/opinions?q=%E6%8E%A5%E9%80%81", None, None).await;
    assert!(!p.json()["items"].as_array().unwrap().iter().any(|o| o["tracking_no"] == no.as_str()));
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/publish"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = app.api("GET", "/api/v1/public/opinions?q=%E6%8E%A5%E9%80%81", None, None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.json()["items"].as_array().unwrap().iter().any(|o| o["tracking_no"] == no.as_str()));
    assert!(!p.body.contains("phone"));
}
demo_test!(the_loop_through_the_api);

async fn entries_on_behalf_skip_the_public_limit_and_keep_their_source(app: TestApp) {
    let keeper = app.token("keeper", Scope::Write).await;
    let deputy = app.token("deputy", Scope::Write).await;
    let total = |r: crate::support::Resp| r.json()["total"].as_i64().unwrap();
    let deputy_before = total(app.api("GET", "/api/v1/opinions", Some(&deputy), None).await);
    let keeper_before = total(app.api("GET", "/api/v1/opinions", Some(&keeper), None).await);
    for i in 0..12 {
        let r = app
            .api(
                "POST",
                "/api/v1/opinions",
                Some(&keeper),
                Some(json!({"content": format!("接待日群众反映第{i}件：村道坑洼，雨天积水。")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            Some(&deputy),
            Some(json!({"content": "选民反映：镇卫生院夜间没有儿科医生。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rows = renda::db::query_rows(
        app.db(),
        "SELECT channel, count(*), count(station_id), count(deputy_id), count(entered_by_id) FROM opinions WHERE entered_by_id IS NOT NULL GROUP BY channel ORDER BY channel",
        vec![],
    )
    .await
    .unwrap();
    let got: Vec<(String, i64, i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
                r.try_get_by_index(4).unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("deputy_entry".into(), 1, 0, 1, 1), ("reception".into(), 12, 12, 0, 12)]);
    // The deputy sees what was raised with them, and what came through their stations (OPN-11).
    let serves = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM station_deputies sd JOIN accounts k ON k.station_id = sd.station_id \
         JOIN accounts d ON d.deputy_id = sd.person_id WHERE k.username = 'keeper' AND d.username = 'deputy'",
        vec![],
    )
    .await
    .unwrap();
    let from_station = if serves > 0 { 12 } else { 0 };
    assert_eq!(total(app.api("GET", "/api/v1/opinions", Some(&deputy), None).await), deputy_before + 1 + from_station);
    assert_eq!(total(app.api("GET", "/api/v1/opinions", Some(&keeper), None).await), keeper_before + 12);
}
demo_test!(entries_on_behalf_skip_the_public_limit_and_keep_their_source);

/// PLAT-13: category, unit and likely duplicates, learned from the organ's past triage (the
/// demo's decisions), shown to staff at triage.
async fn triage_suggestions_learn_from_past_decisions(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let submit = |content: &'static str| {
        let app = &app;
        let staff = staff.clone();
        async move {
            let r = app.api("POST", "/api/v1/opinions", Some(&staff), Some(json!({"content": content}))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            super::opinion_of(app, r.json()["tracking_no"].as_str().unwrap()).await
        }
    };
    let id = submit("我们小区几栋楼的楼道灯坏了很久，老人晚上上下楼只能摸黑，希望尽快修好。").await;
    let d = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&staff), None).await;
    let sg = &d.json()["suggestions"];
    assert_eq!(sg["category"], "城乡建设", "{sg}");
    let housing =
        renda::db::scalar_i64(app.db(), "SELECT id FROM handling_units WHERE name = '诸城市住房和城乡建设局'", vec![])
            .await
            .unwrap();
    assert_eq!(sg["unit_id"], housing, "{sg}");

    // A near copy of an earlier opinion is found as a likely duplicate.
    let (earlier, content): (i64, String) = {
        let r = renda::db::query_rows(
            app.db(),
            "SELECT id, content FROM opinions WHERE title = '卫生院夜间没有儿科' ORDER BY id LIMIT 1",
            vec![],
        )
        .await
        .unwrap();
        (r[0].try_get_by_index(0).unwrap(), r[0].try_get_by_index(1).unwrap())
    };
    let copy: &'static str = Box::leak(format!("{content}请领导重视！").into_boxed_str());
    let dup = submit(copy).await;
    // The models are kept a few minutes per node; the duplicate window reads the newest
    // opinions when they are rebuilt, so this test asks a fresh node.
    let fresh = renda::modules::state(app.db().clone(), (*app.state.config).clone());
    let o = renda::opinions::model::opinion(app.db(), dup).await.unwrap().unwrap();
    let sg = renda::opinions::suggest::for_opinion(&fresh, &o).await.unwrap();
    assert!(sg.duplicates.contains(&earlier), "{sg:?}");
    assert_eq!(sg.category.as_deref(), Some("卫生健康"));

    // The console page shows them to staff at triage.
    let mut b = app.login("staff").await;
    let page = b.get(&format!("/console/opinions/{id}")).await;
    assert!(page.body.contains("系统建议") && page.body.contains("（建议）"), "no suggestion panel");
}
demo_test!(triage_suggestions_learn_from_past_decisions);

/// Issue 18: every step the detail advertises is reachable at the step URL (one table of
/// names: `Step::as_str`), in several states and for staff and a unit; the old names stay.
async fn every_advertised_step_is_reachable(app: TestApp) {
    let station = a_station(&app).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let unit = demo_unit(&app).await;
    let new_opinion = |text: &'static str| {
        let app = &app;
        async move {
            let r =
                app.api("POST", "/api/v1/opinions", None, Some(json!({"content": text, "station_id": station}))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            super::opinion_of(app, r.json()["tracking_no"].as_str().unwrap()).await
        }
    };
    let step = |id: i64, name: &str, token: &str, body: Option<serde_json::Value>| {
        let app = &app;
        let path = format!("/api/v1/opinions/{id}/{name}");
        let token = token.to_string();
        async move { app.api("POST", &path, Some(&token), body).await }
    };
    // received; assigned; in progress (signed for); replied.
    let received = new_opinion("村口路灯坏了两个月，晚上出行不便，请尽快维修。").await;
    let assigned = new_opinion("小区门口垃圾桶太少，垃圾经常堆到路边。").await;
    let in_progress = new_opinion("集市占道经营，救护车进不来。").await;
    let replied = new_opinion("学校门口缺少减速带，车速太快。").await;
    let assign = json!({"units": [{"unit_id": unit, "role": "lead"}], "due_working_days": 10, "text": "请核实"});
    for id in [assigned, in_progress, replied] {
        assert_eq!(step(id, "assign", &staff, Some(assign.clone())).await.status, StatusCode::OK);
    }
    for id in [in_progress, replied] {
        assert_eq!(step(id, "accept", &unit_token, None).await.status, StatusCode::OK);
    }
    let r = step(replied, "reply", &unit_token, Some(json!({"result": "planned", "text": "已列入明年计划。"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let document = app.api("GET", "/api/v1/openapi.json", None, None).await.json();
    let params = &document["paths"]["/api/v1/opinions/{id}/{step}"]["post"]["parameters"];
    let documented: Vec<String> =
        params.as_array().unwrap().iter().find(|p| p["name"] == "step").expect("the step parameter")["schema"]["enum"]
            .as_array()
            .expect("an enum of step names")
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
    let mut seen = std::collections::BTreeSet::new();
    for (id, token) in [
        (received, &staff),
        (assigned, &staff),
        (assigned, &unit_token),
        (in_progress, &unit_token),
        (in_progress, &staff),
        (replied, &staff),
    ] {
        let d = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(token), None).await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let steps: Vec<String> =
            d.json()["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
        assert!(!steps.is_empty(), "opinion {id} offers steps");
        for name in steps {
            assert!(documented.contains(&name), "{name} is in the document's step enum");
            // An empty body: the step may be refused for a missing field or the state, never unknown.
            let r = step(id, &name, token, None).await;
            assert_ne!(r.status, StatusCode::NOT_FOUND, "{name} on opinion {id}: {}", r.body);
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{name}");
            seen.insert(name);
        }
    }
    // The names that differed before are among those exercised.
    for name in ["answer_directly", "assign", "accept", "reply", "request_extension", "return"] {
        assert!(seen.contains(name), "{name} was advertised somewhere: {seen:?}");
    }
    // The old names still work; an unknown name is a 404.
    let old = new_opinion("公交站台没有遮雨棚，下雨天等车很狼狈。").await;
    let r = step(old, "answer", &staff, Some(json!({"text": "已转公交公司，站台改造列入明年计划。"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "answered_directly");
    assert_eq!(step(old, "deadline_notice", &staff, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(step(old, "no_such_step", &staff, None).await.status, StatusCode::NOT_FOUND);
}
demo_test!(every_advertised_step_is_reachable);
