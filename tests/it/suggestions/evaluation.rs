//! The year-end 满意度测评 (SUG-10) over the demo county: last year's published result on the
//! public page; this year's open 测评 voted on the phone page and through the API with the tally
//! moving by exactly those papers, one paper each, no entry for a unit account; staff close,
//! publish and export it; and a new 测评 opened from the form with its electorate and the
//! 态度·措施·实效 subjects.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::{Value, json};

use super::person_of;
use crate::demo_test;
use crate::support::TestApp;

async fn open_one(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT id FROM ballots WHERE kind = 'sug_evaluation' AND state = 'open'", vec![])
        .await
        .unwrap()
}

fn counts(tally: &Value) -> Vec<Vec<i64>> {
    tally["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["counts"].as_array().unwrap().iter().map(|n| n.as_i64().unwrap()).collect())
        .collect()
}

async fn deputies_grade_the_units_and_staff_publish_the_result(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;

    // Last year's: published, on the public page, with counts and no voter.
    let mut anon = app.browser().await;
    let r = anon.get("/evaluations").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("年度代表建议办理满意度测评"), "{}", r.body);
    let rows = r.texts("#results tbody tr");
    assert!(!rows.is_empty());
    assert!(!r.body.contains("刘春燕") && !r.body.contains("孙立新"), "no voter on the public page");

    // This year's is open; the staff's live count.
    let id = open_one(&app).await;
    let before = app.api("GET", &format!("/api/v1/ballots/{id}"), Some(&staff), None).await.json();
    let t0 = before["tally"].clone();
    let n = counts(&t0).len();
    assert!(n >= 3, "{before}");

    // The deputy on the phone: 去投票, the paper with every unit, refused incomplete, then voted.
    let mut deputy = app.login("deputy").await;
    let list = deputy.get("/console/suggestions/evaluations").await;
    assert!(list.body.contains("去投票"), "{}", list.body);
    let page = deputy.get(&format!("/console/suggestions/evaluations/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("#results").is_empty(), "a deputy sees no count before publication");
    let sel = scraper::Selector::parse("#paper input[type=radio][value=satisfied]").unwrap();
    let names: Vec<String> = page.html().select(&sel).map(|e| e.value().attr("name").unwrap().to_string()).collect();
    assert_eq!(names.len(), n, "one line of three grades per unit");
    let mut fields: Vec<(&str, &str)> = names.iter().map(|k| (k.as_str(), "satisfied")).collect();
    let last = fields.pop().unwrap();
    let r = deputy.post(&format!("/console/suggestions/evaluations/{id}/vote"), &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    fields.push((last.0, "basically_satisfied"));
    let r = deputy.post(&format!("/console/suggestions/evaluations/{id}/vote"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = deputy.get(&format!("/console/suggestions/evaluations/{id}")).await;
    assert!(page.texts("#voted").concat().contains("已投票"), "{}", page.body);
    let r = deputy.post(&format!("/console/suggestions/evaluations/{id}/vote"), &fields).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "one paper each");

    // deputy2 through the API: its ballots, then one paper of 不满意.
    let mine = app.api("GET", "/api/v1/ballots", Some(&deputy2), None).await.json();
    let entry = mine["items"].as_array().unwrap().iter().find(|b| b["id"] == id).cloned().unwrap();
    assert_eq!(entry["voted"], false);
    let d = app.api("GET", &format!("/api/v1/ballots/{id}"), Some(&deputy2), None).await.json();
    assert!(d["tally"].is_null(), "no live count for an elector");
    let votes: Vec<Value> = d["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!({"subject_id": s["id"], "option": "unsatisfied"}))
        .collect();
    let r =
        app.api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(&deputy2), Some(json!({"votes": votes}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["voted"], n);
    let r =
        app.api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(&deputy2), Some(json!({"votes": votes}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = app.api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(&deputy2), Some(json!({"votes": 1}))).await;
    assert!(r.status == StatusCode::CONFLICT || r.status == StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // A unit is not an elector and does not see the ballot; a deputy cannot close it.
    let r = app.api("GET", &format!("/api/v1/ballots/{id}"), Some(&unit), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(&unit), Some(json!({"votes": votes}))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.api("POST", &format!("/api/v1/ballots/{id}/close"), Some(&deputy2), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The tally moved by exactly the two papers.
    let after = app.api("GET", &format!("/api/v1/ballots/{id}"), Some(&staff), None).await.json();
    let t1 = after["tally"].clone();
    assert_eq!(t1["voted"].as_i64().unwrap(), t0["voted"].as_i64().unwrap() + 2);
    for (i, (a, b)) in counts(&t0).iter().zip(counts(&t1)).enumerate() {
        let want = if i + 1 == n { [a[0], a[1] + 1, a[2] + 1] } else { [a[0] + 1, a[1], a[2] + 1] };
        assert_eq!(b, want, "subject {i}");
    }
    // The vote rows of this secret ballot name nobody.
    assert_eq!(crate::ballot::votes_naming_a_voter(&app, id).await, 0);

    // Staff close (API), then publish and export (console).
    let r = app.api("POST", &format!("/api/v1/ballots/{id}/close"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r =
        app.api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(&deputy2), Some(json!({"votes": votes}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let mut console = app.login("staff").await;
    let page = console.get(&format!("/console/suggestions/evaluations/{id}")).await;
    let ranks = page.texts("#results tbody tr td:first-child");
    assert_eq!(ranks.first().map(String::as_str), Some("1"), "{}", page.body);
    // 满意率 of each line: (满意 + 基本满意) / votes, per mille rounded half up.
    let sel = scraper::Selector::parse("#results tbody tr").unwrap();
    let td = scraper::Selector::parse("td").unwrap();
    for tr in page.html().select(&sel) {
        let cells: Vec<String> = tr.select(&td).map(|c| c.text().collect::<String>()).collect();
        let n: Vec<i64> = cells[2..5].iter().map(|c| c.trim().parse().unwrap()).collect();
        let votes = n.iter().sum::<i64>();
        let pm = ((n[0] + n[1]) * 1000 + votes / 2) / votes;
        assert_eq!(cells[5], format!("{}.{}%", pm / 10, pm % 10));
    }
    let r = console.submit(&page, "#publish", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = console.get(&format!("/console/suggestions/evaluations/{id}/export")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
    assert!(r.bytes.starts_with(b"PK"));
    let r = anon.get(&format!("/evaluations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("#results tbody tr").len(), n);
    // The deputy now sees the published result too.
    let d = app.api("GET", &format!("/api/v1/ballots/{id}"), Some(&deputy2), None).await.json();
    assert!(d["tally"].is_object());
}
demo_test!(deputies_grade_the_units_and_staff_publish_the_result);

async fn staff_open_a_year_with_its_signers_and_three_aspects(app: TestApp) {
    let mut staff = app.login("staff").await;
    let year = db::scalar_i64(app.db(), "SELECT max(year) FROM suggestions", vec![]).await.unwrap();
    // One 测评 a year: this year's is open in the demo.
    let r =
        staff.post("/console/suggestions/evaluations", &[("year", &year.to_string()), ("electorate", "signers")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // A year without 交办 has nothing to evaluate.
    let r = staff.post("/console/suggestions/evaluations", &[("year", "2001"), ("electorate", "all")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A leader may look, not open.
    let mut leader = app.login("leader").await;
    let r = leader.post("/console/suggestions/evaluations", &[("year", "2001"), ("electorate", "all")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    db::exec(app.db(), "UPDATE ballots SET period = '1999' WHERE kind = 'sug_evaluation' AND state = 'open'", vec![])
        .await
        .unwrap();
    let r = staff
        .post(
            "/console/suggestions/evaluations",
            &[("year", &year.to_string()), ("electorate", "signers"), ("aspects", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = db::scalar_i64(app.db(), "SELECT max(id) FROM ballots", vec![]).await.unwrap();
    let units = db::scalar_i64(
        app.db(),
        "SELECT count(DISTINCT a.unit_id) FROM suggestions sg JOIN handling_assignments a ON a.item_id = sg.item_id \
         WHERE sg.year = $1 AND a.state <> 'returned'",
        vec![year.into()],
    )
    .await
    .unwrap();
    let subjects =
        db::scalar_i64(app.db(), "SELECT count(*) FROM ballot_subjects WHERE ballot_id = $1", vec![id.into()])
            .await
            .unwrap();
    assert_eq!(subjects, 3 * units, "态度·措施·实效 for each unit");
    let signers = db::scalar_i64(
        app.db(),
        "SELECT count(DISTINCT s.person_id) FROM suggestions sg JOIN item_signers s ON s.item_id = sg.item_id WHERE sg.year = $1",
        vec![year.into()],
    )
    .await
    .unwrap();
    let electors =
        db::scalar_i64(app.db(), "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1", vec![id.into()])
            .await
            .unwrap();
    assert_eq!(electors, signers);
    // The deputy, a signer, gets a paper with the three aspects of each unit.
    let me = person_of(&app, "deputy").await;
    let signed = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1 AND person_id = $2",
        vec![id.into(), me.into()],
    )
    .await
    .unwrap();
    if signed == 1 {
        let mut deputy = app.login("deputy").await;
        let page = deputy.get(&format!("/console/suggestions/evaluations/{id}")).await;
        assert!(page.body.contains("办理态度") && page.body.contains("办理实效"), "{}", page.body);
    }
}
demo_test!(staff_open_a_year_with_its_signers_and_three_aspects);
