//! `renda gen --suggestions`: synthetic suggestions over the generated registry's congresses, in
//! every state of the SUG states, with the loop's rows a real one has; the staff list, the
//! statistics and a detail read them, and the audit chain stays intact.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use renda::suggestions::synthetic::STATES;

use crate::db_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The API state of each suggestion, as `model::Suggestion::api_state` puts it.
const API_STATE: &str =
    "CASE WHEN i.state IS NULL THEN sg.stage WHEN i.state = 'received' THEN 'registered' ELSE i.state END";

db_test!(gen_suggestions_fills_the_loop);
async fn gen_suggestions_fills_the_loop(app: TestApp) {
    let key = app.state.audit_key().to_vec();
    // Without deputies there is nobody to write them.
    let err = renda::suggestions::synthetic::generate(app.db(), &key, 10, &|_| {}).await.unwrap_err();
    assert!(err.to_string().contains("代表"), "{err}");

    renda::registry::synthetic::generate(app.db(), &key, 3_000, 100, &|_| {}).await.unwrap();
    let n = 2_000;
    let r = renda::suggestions::synthetic::generate(app.db(), &key, n, &|_| {}).await.unwrap();
    assert_eq!(r.suggestions, n);
    assert_eq!(count(&app, "SELECT count(*) FROM suggestions").await, n as i64);
    assert_eq!(r.by_state.iter().sum::<u64>(), n);
    for (k, s) in STATES.iter().enumerate() {
        let in_db = count(
            &app,
            &format!(
                "SELECT count(*) FROM suggestions sg LEFT JOIN handling_items i ON i.id = sg.item_id WHERE {API_STATE} = '{s}'"
            ),
        )
        .await as u64;
        assert_eq!(in_db, r.by_state[k], "{s}");
        // 议案 are one in seventy; the loop's middle states (assigned, in_progress) depend on how
        // many suggestions of the open series fall 3–60 days before the hour the test runs.
        if !matches!(*s, "under_review" | "accepted" | "assigned" | "in_progress") {
            assert!(in_db > 0, "no suggestion in state {s}");
        }
    }
    let middle = count(
        &app,
        &format!(
            "SELECT count(*) FROM suggestions sg LEFT JOIN handling_items i ON i.id = sg.item_id \
             WHERE {API_STATE} IN ('assigned', 'in_progress', 'replied', 'rehandling', 'following')"
        ),
    )
    .await;
    assert!(middle > 0, "no suggestion between 交办 and 办结");
    assert_eq!(count(&app, "SELECT count(*) FROM handling_items WHERE kind = 'suggestion'").await as u64, r.items);
    assert_eq!(count(&app, "SELECT count(*) FROM handling_events").await as u64, r.events);
    assert_eq!(count(&app, "SELECT count(*) FROM handling_ratings").await as u64, r.ratings);
    assert!(r.assignments > 0 && r.replies > 0 && r.contacts > 0 && r.cosigners > 0, "{r:?}");
    let classes = count(&app, "SELECT count(DISTINCT outcome) FROM handling_replies").await;
    assert_eq!(classes, 3, "A, B and C replies");
    for (what, sql) in [
        (
            "registered suggestions without an item, or unregistered with one",
            "SELECT count(*) FROM suggestions WHERE (stage = 'registered') <> (item_id IS NOT NULL)",
        ),
        (
            "handed-in suggestions without a number",
            "SELECT count(*) FROM suggestions WHERE stage NOT IN ('draft', 'cosigning') AND number IS NULL",
        ),
        (
            "numbers used twice in a series",
            "SELECT count(*) FROM (SELECT session_id, number FROM suggestions WHERE number IS NOT NULL \
             GROUP BY session_id, number HAVING count(*) > 1) x",
        ),
        (
            "series whose next number is taken",
            "SELECT count(*) FROM suggestion_sessions ss WHERE EXISTS (SELECT 1 FROM suggestions sg \
             WHERE sg.session_id = ss.id AND sg.number >= ss.next_number)",
        ),
        (
            "leads who do not serve in the suggestion's congress",
            "SELECT count(*) FROM suggestions sg WHERE NOT EXISTS (SELECT 1 FROM mandates m \
             WHERE m.person_id = sg.lead_person_id AND m.organ_id = sg.organ_id AND m.status = 'serving')",
        ),
        (
            "items whose signers miss the lead or a confirmed co-signer",
            "SELECT count(*) FROM suggestions sg JOIN suggestion_cosigners k ON k.suggestion_id = sg.id \
             WHERE sg.item_id IS NOT NULL AND k.confirmed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM item_signers s \
             WHERE s.item_id = sg.item_id AND s.person_id = k.person_id)",
        ),
        (
            "assignments to a unit outside the item's organ or those above it",
            "SELECT count(*) FROM handling_assignments a JOIN handling_units u ON u.id = a.unit_id \
             JOIN organs uo ON uo.id = u.organ_id JOIN handling_items i ON i.id = a.item_id \
             JOIN organs io ON io.id = i.organ_id WHERE io.path NOT LIKE uo.path || '%'",
        ),
        (
            "items at work without a live assignment of their round",
            "SELECT count(*) FROM handling_items i WHERE i.state IN ('assigned', 'in_progress', 'rehandling', 'following') \
             AND NOT EXISTS (SELECT 1 FROM handling_assignments a WHERE a.item_id = i.id AND a.round = i.round \
             AND a.state IN ('active', 'accepted'))",
        ),
        (
            "replied or closed items without a reply",
            "SELECT count(*) FROM handling_items i WHERE i.state IN ('replied', 'closed') \
             AND NOT EXISTS (SELECT 1 FROM handling_replies r WHERE r.item_id = i.id)",
        ),
        (
            "closed items without a closing time",
            "SELECT count(*) FROM handling_items WHERE state = 'closed' AND closed_at IS NULL",
        ),
        (
            "ratings by someone who did not sign",
            "SELECT count(*) FROM handling_ratings g WHERE NOT EXISTS (SELECT 1 FROM item_signers s \
             WHERE s.item_id = g.item_id AND s.person_id = g.person_id)",
        ),
        ("suggestions without search text", "SELECT count(*) FROM suggestions WHERE search_text = ''"),
        (
            "history running backwards",
            "SELECT count(*) FROM handling_events e JOIN handling_items i ON i.id = e.item_id WHERE e.at < i.created_at",
        ),
    ] {
        assert_eq!(count(&app, sql).await, 0, "{what}");
    }
    let now = db::now();
    let overdue = format!(
        "SELECT count(*) FROM handling_items WHERE state IN ('assigned', 'in_progress', 'rehandling') AND deadline_at < {now}"
    );
    assert!(count(&app, &overdue).await > 0, "some are overdue");
    assert!(
        count(&app, "SELECT count(*) FROM suggestions WHERE carried_from_year IS NOT NULL").await > 0,
        "carried over"
    );

    // Staff of the root organ read the list, a filtered page, the figures and a detail.
    let root = count(&app, "SELECT id FROM organs WHERE parent_id IS NULL").await;
    app.add_account("staff", root, &[Role::Staff]).await;
    let token = app.token("staff", Scope::Read).await;
    let handed_in = count(&app, "SELECT count(*) FROM suggestions WHERE stage NOT IN ('draft', 'cosigning')").await;
    let res = app.api("GET", "/api/v1/suggestions?limit=5", Some(&token), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["total"].as_i64(), Some(handed_in), "{}", res.body);
    let closed = r.by_state[STATES.iter().position(|s| *s == "closed").unwrap()] as i64;
    let res = app.api("GET", "/api/v1/suggestions?state=closed&offset=100&limit=5", Some(&token), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["total"].as_i64(), Some(closed), "{}", res.body);
    let res = app.api("GET", "/api/v1/suggestions/stats", Some(&token), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let stats = res.json();
    assert_eq!(stats["total"].as_i64(), Some(handed_in), "{}", res.body);
    let units = stats["units"].as_array().unwrap();
    assert!(!units.is_empty() && units.iter().any(|u| u["replied"].as_i64() > Some(0)), "{}", res.body);
    let abc = &stats["classes"];
    assert!(abc["a"].as_i64() > Some(0) && abc["b"].as_i64() > Some(0) && abc["c"].as_i64() > Some(0), "{abc}");
    let one = count(
        &app,
        "SELECT min(sg.id) FROM suggestions sg JOIN handling_items i ON i.id = sg.item_id WHERE i.state = 'rehandling'",
    )
    .await;
    let res = app.api("GET", &format!("/api/v1/suggestions/{one}"), Some(&token), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let d = res.json();
    assert_eq!(d["state"], "rehandling", "{}", res.body);
    assert_eq!(d["handling"]["round"].as_i64(), Some(2), "{}", res.body);
    let mut b = app.login("staff").await;
    for path in
        ["/console/suggestions", "/console/suggestions?state=in_progress&year=2026", "/console/suggestions/stats"]
    {
        let res = b.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    }

    assert_eq!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'synthetic_generate'").await, 2);
    assert!(renda::audit::verify(app.db(), &key).await.unwrap().is_ok());
}
