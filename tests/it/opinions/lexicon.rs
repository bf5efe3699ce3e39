//! Issue 16: hot words are about something — function words (只能, 经常) are left out — and the
//! installation's own names stay whole: the demo's towns (百尺河镇, not 百尺 + 河镇) and a unit
//! added a minute ago, in the statistics' hot words (once the daily job has segmented the older
//! texts again) and in the search text written at intake.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::{Value, json};

use crate::demo_test;
use crate::support::TestApp;

const UNIT: &str = "潍河湿地巡护中心";

/// (hot words, places) of this month's statistics, as the API gives them.
async fn hot(app: &TestApp, token: &str) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    let month = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m");
    let r = app.api("GET", &format!("/api/v1/opinions/stats?from={month}&to={month}"), Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = |v: &Value| -> Vec<(String, i64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|w| (w["word"].as_str().unwrap().to_string(), w["count"].as_i64().unwrap()))
            .collect()
    };
    let j = r.json();
    (list(&j["hot_words"]), list(&j["places"]))
}

async fn search_text(app: &TestApp, tracking_no: &str) -> String {
    db::query_rows(app.db(), "SELECT search_text FROM opinions WHERE tracking_no = $1", vec![tracking_no.into()])
        .await
        .unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}

async fn names_stay_whole_and_function_words_go(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let leader = app.token("leader", Scope::Read).await;
    let mut first = String::new();
    for i in 1..=8 {
        let text = format!("百尺河镇第{i}村的路只能走土路，下雨经常积水，{UNIT}也经常不管。");
        let body = json!({"title": format!("第{i}村土路积水"), "content": text});
        let r = app.api("POST", "/api/v1/opinions", Some(&staff), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        if i == 1 {
            first = r.json()["tracking_no"].as_str().unwrap().to_string();
        }
    }
    let (words, places) = hot(&app, &leader).await;
    let all: Vec<&str> = words.iter().chain(&places).map(|(w, _)| w.as_str()).collect();
    // The town of the demo county is one word, never its pieces.
    let town = places.iter().find(|(w, _)| w == "百尺河镇").unwrap_or_else(|| panic!("百尺河镇 in {places:?}"));
    assert!(town.1 >= 8, "{town:?}");
    for piece in ["百尺", "河镇", "只能", "经常"] {
        assert!(!all.contains(&piece), "{piece} in {all:?}");
    }
    // A unit the system does not know yet is cut by the dictionary.
    assert!(!all.contains(&UNIT), "{all:?}");
    assert!(!search_text(&app, &first).await.split(' ').any(|w| w == UNIT));

    // The admin adds it: the daily job segments again the texts that hold it (their words are
    // stored at intake, issue 21), and the hot words know the name in the older texts too.
    let mut admin = app.login("admin").await;
    let r = admin.post("/console/registry/units", &[("name", UNIT), ("kind", "government"), ("active", "on")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(renda::opinions::wordcounts::renames(&app.state).await.unwrap(), 8);
    assert_eq!(renda::opinions::wordcounts::renames(&app.state).await.unwrap(), 0, "once per change of the names");
    super::wordcounts::assert_counts_true(&app).await;
    let (words, places) = hot(&app, &leader).await;
    assert!(places.contains(&(UNIT.to_string(), 8)), "{places:?}");
    assert!(!words.iter().any(|(w, _)| UNIT.contains(w.as_str()) && w.chars().count() > 1), "{words:?}");
    // Intake keeps it whole in the search text (beside its pieces, so older searches still match).
    let r = app
        .api("POST", "/api/v1/opinions", Some(&staff), Some(json!({"content": format!("{UNIT}的巡护员态度不好。")})))
        .await;
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    assert!(search_text(&app, &no).await.split(' ').any(|w| w == UNIT));
    let mut b = app.login("staff").await;
    let found = b.get(&format!("/console/opinions?q={}", urlencoding(UNIT))).await;
    assert_eq!(found.texts("#count strong"), ["9"], "old and new opinions are found by the name");
}
demo_test!(names_stay_whole_and_function_words_go);

fn urlencoding(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
