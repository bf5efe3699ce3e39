//! 代表建议 (issue 15) through the API, end to end: a deputy's draft with a co-signer who
//! confirms in their own workspace, submission with a number, registration and 交办 to a 主办
//! and a 协办 unit (3 months; the 协办 unit's own month), a 协办 opinion, a B-class reply after a
//! recorded contact, every signer told, the lead's 不满意 of the result reopening it (二次办理),
//! an A-class reply rated 满意 and 办结 — with who sees what at each stage.

mod corrections;
mod drafts;
mod evaluation;
mod evaluation_more;
mod import;
mod machine;
mod path;
mod quality;
mod rules;
mod scale;
mod stats;
mod synthetic;
mod workspace;

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use serde_json::{Value, json};

use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::TestApp;

pub async fn person_of(app: &TestApp, username: &str) -> i64 {
    db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = $1", vec![username.into()]).await.unwrap()
}

/// A second unit of the demo county with an account of its own; (unit, token).
pub async fn second_unit(app: &TestApp) -> (i64, String) {
    let first = demo_unit(app).await;
    let unit = db::scalar_i64(
        app.db(),
        "SELECT min(id) FROM handling_units WHERE id <> $1 AND active = true",
        vec![first.into()],
    )
    .await
    .unwrap();
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'unit'", vec![]).await.unwrap();
    let account = app.add_account("unit-b", organ, &[Role::Unit]).await;
    db::exec(app.db(), "UPDATE accounts SET unit_id = $1 WHERE id = $2", vec![unit.into(), account.into()])
        .await
        .unwrap();
    (unit, app.token("unit-b", Scope::Write).await)
}

/// A submitted suggestion of `deputy`, co-signed by `deputy2`; its id.
pub async fn submitted(app: &TestApp, deputy: &str, deputy2: &str) -> i64 {
    let cos = person_of(app, "deputy2").await;
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(deputy),
            Some(json!({"title": "关于加快城区停车场建设的建议", "problem": "城区停车位缺口大，医院、学校周边车辆乱停，影响通行和安全。",
                        "analysis": "近年机动车保有量增长快，公共停车设施建设滞后，规划用地落实不到位。",
                        "measures": "编制停车设施专项规划；利用边角地建设立体停车场；推行错时共享停车。",
                        "category": "城乡建设", "cosigner_ids": [cos]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/cosign"), Some(deputy2), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/submit"), Some(deputy), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

async fn detail(app: &TestApp, who: &str, id: i64) -> Value {
    let r = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(who), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn step(app: &TestApp, who: &str, id: i64, name: &str, body: Value) -> Value {
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/{name}"), Some(who), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
    r.json()
}

async fn the_whole_path_through_the_api(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let (unit_b, unit_b_token) = second_unit(&app).await;
    let lead_unit = demo_unit(&app).await;
    // The demo's suggestions are counted too: the path must add exactly its own figures.
    let unit_row = |s: &Value| s["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == lead_unit).cloned();
    let before = app.api("GET", "/api/v1/suggestions/stats", Some(&staff), None).await.json();
    let zero = json!({"replied": 0, "rehandled": 0, "result_ratings": [0, 0, 0], "reply_ratings": [0, 0, 0]});
    let b = unit_row(&before).unwrap_or(zero);
    let n = |v: &Value, k: &str| v[k].as_i64().unwrap();
    let g = |v: &Value, k: &str, i: usize| v[k][i].as_i64().unwrap();

    // A draft: the author and the invited co-signer see it, staff and units do not.
    let cos = person_of(&app, "deputy2").await;
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(&deputy),
            Some(json!({"title": "关于加快城区停车场建设的建议", "problem": "停车难",
              "measures": "", "cosigner_ids": [cos]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let draft = r.json()["id"].as_i64().unwrap();
    assert_eq!(detail(&app, &deputy2, draft).await["state"], "cosigning");
    let r = app.api("GET", &format!("/api/v1/suggestions/{draft}"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "staff do not see a draft");
    // The quality check flags the missing measures, and submission refuses it.
    let q = detail(&app, &deputy, draft).await;
    assert!(q["quality"]["flags"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().contains("措施")), "{q}");
    let r = app.api("POST", &format!("/api/v1/suggestions/{draft}/submit"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Only the invited co-signer confirms; the author cannot confirm for them.
    let r = app.api("POST", &format!("/api/v1/suggestions/{draft}/cosign"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // The complete suggestion: co-signed, submitted, numbered.
    let id = submitted(&app, &deputy, &deputy2).await;
    let d = detail(&app, &staff, id).await;
    assert_eq!(d["state"], "submitted");
    assert!(d["number"].as_i64().unwrap() >= 1);
    assert_eq!(d["cosigners"][0]["person_id"], cos);
    assert!(d["cosigners"][0]["confirmed_at"].is_i64());
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/cosign"), Some(&deputy2), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a submitted suggestion is no longer the co-signer's to change");

    // Staff register it and 交办 it to a 主办 and a 协办 unit: 3 months, the 协办 unit 1 month.
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "registered");
    let out = step(
        &app,
        &staff,
        id,
        "assign",
        json!({"units": [{"unit_id": lead_unit, "role": "lead"}, {"unit_id": unit_b, "role": "assist"}], "text": "请认真办理"}),
    )
    .await;
    assert_eq!(out["state"], "assigned");
    let d = detail(&app, &unit, id).await;
    let deadline = chrono::NaiveDate::parse_from_str(d["deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let today = renda::calendar::beijing_date(db::now());
    let months = (deadline.year_month() - today.year_month()) as i64;
    assert!((3..=4).contains(&months), "a 3-month deadline (moved to a working day): {deadline}");
    let assist =
        d["handling"]["assignments"].as_array().unwrap().iter().find(|a| a["role"] == "assist").unwrap().clone();
    let assist_deadline = chrono::NaiveDate::parse_from_str(assist["deadline"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert!(assist_deadline < deadline, "the 协办 unit's own deadline comes first: {assist_deadline}");

    // The 协办 unit gives its opinion (it cannot reply); the 主办 signs, contacts, replies B.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/suggestions/{id}/reply"),
            Some(&unit_b_token),
            Some(json!({"class": "A", "text": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    step(&app, &unit_b_token, id, "accept", json!({})).await;
    step(&app, &unit_b_token, id, "opinion", json!({"text": "我局同意在规划中预留停车用地。"})).await;
    step(&app, &unit, id, "accept", json!({})).await;
    step(&app, &unit, id, "contacts", json!({"way": "meeting", "text": "与领衔代表面商办理方案。"})).await;
    let out = step(&app, &unit, id, "reply", json!({"class": "B", "text": "已列入明年城建计划，分两期建设。"})).await;
    assert_eq!(out["state"], "replied");
    let d = detail(&app, &deputy, id).await;
    assert_eq!(d["class"], "B");
    assert_eq!(d["contact_recorded"], true);
    // Every signer hears of the reply.
    for who in ["deputy", "deputy2"] {
        let n = db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = $1 AND n.title LIKE '%已答复%'",
            vec![who.into()],
        )
        .await
        .unwrap();
        assert!(n >= 1, "{who} was told of the reply");
    }
    // A unit cannot rate; the co-signer rates for themself; the lead's 不满意 of the result
    // reopens it.
    let rating = |aspect: &str, grade: &str| json!({"aspect": aspect, "grade": grade, "unit_id": lead_unit, "comment": "停车难仍未解决"});
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/ratings"), Some(&unit), Some(rating("reply", "satisfied")))
        .await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    step(&app, &deputy2, id, "ratings", rating("result", "unsatisfied")).await;
    assert_eq!(detail(&app, &staff, id).await["state"], "replied", "a co-signer's 不满意 does not drive the state");
    step(&app, &deputy, id, "ratings", rating("reply", "satisfied")).await;
    let out = step(&app, &deputy, id, "ratings", rating("result", "unsatisfied")).await;
    assert_eq!(out["state"], "rehandling");
    assert_eq!(out["reopened"], true);

    // 二次办理: a final A-class reply, rated 满意 on both aspects, then 办结.
    step(&app, &unit, id, "accept", json!({})).await;
    step(&app, &unit, id, "contacts", json!({"way": "phone", "text": "电话告知代表建设进度。"})).await;
    step(&app, &unit, id, "reply", json!({"class": "A", "text": "两处立体停车场已建成投用。"})).await;
    step(&app, &deputy, id, "ratings", rating("reply", "satisfied")).await;
    step(&app, &deputy, id, "ratings", rating("result", "satisfied")).await;
    let out = step(&app, &staff, id, "close", json!({"text": "已解决"})).await;
    assert_eq!(out["state"], "closed");
    let d = detail(&app, &deputy2, id).await;
    assert_eq!(d["class"], "A");
    assert_eq!(d["handling"]["round"], 2);

    // The unit sees only what it was given; the numbers count it.
    let list = app.api("GET", "/api/v1/suggestions", Some(&unit_b_token), None).await;
    let ids: Vec<i64> = list.json()["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&id));
    for other in &ids {
        let given = db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM handling_assignments a JOIN suggestions sg ON sg.item_id = a.item_id WHERE sg.id = $1 AND a.unit_id = $2",
            vec![(*other).into(), unit_b.into()],
        )
        .await
        .unwrap();
        assert!(given > 0, "the unit sees only what it was given: {other}");
    }
    let stats = app.api("GET", "/api/v1/suggestions/stats", Some(&staff), None).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    let s = stats.json();
    let row = unit_row(&s).unwrap();
    assert_eq!(n(&row, "replied"), n(&b, "replied") + 1);
    assert_eq!(n(&row, "rehandled"), n(&b, "rehandled") + 1);
    let result: Vec<i64> = (0..3).map(|i| g(&row, "result_ratings", i) - g(&b, "result_ratings", i)).collect();
    assert_eq!(result, [1, 0, 2], "two 不满意 (lead and co-signer) then the lead's 满意: {row}");
    let reply: Vec<i64> = (0..3).map(|i| g(&row, "reply_ratings", i) - g(&b, "reply_ratings", i)).collect();
    assert_eq!(reply, [2, 0, 0], "{row}");
    assert_eq!(n(&s["classes"], "a"), n(&before["classes"], "a") + 1);
    let answered = n(&s["classes"], "a") + n(&s["classes"], "b") + n(&s["classes"], "c");
    assert_eq!(n(&s, "solved_permille"), n(&s["classes"], "a") * 1000 / answered, "解决率 in integers");
    assert!(s["by_category"].as_array().unwrap().iter().any(|c| c["state"] == "城乡建设"));
    let r = app.api("GET", "/api/v1/suggestions/stats", Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
demo_test!(the_whole_path_through_the_api);

trait YearMonth {
    fn year_month(&self) -> i32;
}

impl YearMonth for chrono::NaiveDate {
    fn year_month(&self) -> i32 {
        use chrono::Datelike;
        self.year() * 12 + self.month0() as i32
    }
}
