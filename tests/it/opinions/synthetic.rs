//! `renda gen --opinions`: synthetic opinions in every state of the loop, over the generated
//! registry's stations, with units of the county above, searchable, and the audit chain intact.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use renda::handling::flow::State;

use crate::db_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

db_test!(gen_opinions_fills_the_loop_and_the_index);
async fn gen_opinions_fills_the_loop_and_the_index(app: TestApp) {
    let key = app.state.audit_key().to_vec();
    // Without stations there is nothing to spread opinions over.
    let err = renda::opinions::synthetic::generate(app.db(), &key, &app.state.crypto, 10, &|_| {}).await.unwrap_err();
    assert!(err.to_string().contains("联络站"), "{err}");

    renda::registry::synthetic::generate(app.db(), &key, 3_000, 200, &|_| {}).await.unwrap();
    let n = 4_000;
    let r = renda::opinions::synthetic::generate(app.db(), &key, &app.state.crypto, n, &|_| {}).await.unwrap();
    assert_eq!(r.opinions, n);
    assert_eq!(count(&app, "SELECT count(*) FROM opinions").await, n as i64);
    // Each opinion's words stored as intake stores them, and counted per day and month.
    assert_eq!(count(&app, "SELECT count(*) FROM opinions WHERE words IS NULL OR words = ''").await, 0);
    super::wordcounts::assert_counts_true(&app).await;
    assert_eq!(count(&app, "SELECT count(*) FROM handling_items WHERE kind = 'opinion'").await, n as i64);
    assert_eq!(r.by_state.iter().sum::<u64>(), n);
    // 跟踪办理 is a state of kinds whose tables have it (suggestions), not of opinions.
    for (k, s) in State::ALL.iter().enumerate().filter(|(_, s)| **s != State::Following) {
        let in_db =
            count(&app, &format!("SELECT count(*) FROM handling_items WHERE state = '{}'", s.as_str())).await as u64;
        assert!(in_db > 0, "no opinion in state {s:?}");
        assert_eq!(in_db, r.by_state[k], "{s:?}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM handling_events").await as u64, r.events);
    assert!(r.events > n && r.assignments > 0 && r.replies > 0 && r.ratings > 0, "{r:?}");
    assert!(r.units_created > 0);
    for (what, sql) in [
        (
            "opinions whose item differs in organ or station",
            "SELECT count(*) FROM opinions op JOIN handling_items i ON i.id = op.item_id \
             WHERE i.organ_id <> op.organ_id OR COALESCE(i.station_id, 0) <> COALESCE(op.station_id, 0)",
        ),
        (
            "assignments to a unit outside the item's organ or those above it",
            "SELECT count(*) FROM handling_assignments a JOIN handling_units u ON u.id = a.unit_id \
             JOIN organs uo ON uo.id = u.organ_id JOIN handling_items i ON i.id = a.item_id \
             JOIN organs io ON io.id = i.organ_id WHERE io.path NOT LIKE uo.path || '%'",
        ),
        (
            "items at work without a live assignment",
            "SELECT count(*) FROM handling_items i WHERE i.state IN ('assigned', 'in_progress', 'rehandling') \
             AND NOT EXISTS (SELECT 1 FROM handling_assignments a WHERE a.item_id = i.id AND a.round = i.round \
             AND a.state IN ('active', 'accepted'))",
        ),
        (
            "closed items without a closing time",
            "SELECT count(*) FROM handling_items WHERE state = 'closed' AND closed_at IS NULL",
        ),
        (
            "held opinions without a reason",
            "SELECT count(*) FROM opinions op JOIN handling_items i ON i.id = op.item_id WHERE i.state = 'held' AND op.hold_reason IS NULL",
        ),
        ("opinions without search text", "SELECT count(*) FROM opinions WHERE search_text = ''"),
    ] {
        assert_eq!(count(&app, sql).await, 0, "{what}");
    }
    let now = db::now();
    assert!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM handling_items WHERE state IN ('assigned', 'in_progress', 'rehandling') AND deadline_at < {now}"
            )
        )
        .await
            > 0,
        "some are overdue"
    );

    // Search through the API finds exactly the opinions that say the word.
    let root = count(&app, "SELECT id FROM organs WHERE parent_id IS NULL").await;
    app.add_account("staff", root, &[Role::Staff]).await;
    let token = app.token("staff", Scope::Read).await;
    for word in ["古树", "电梯"] {
        let expected = count(&app, &format!("SELECT count(*) FROM opinions WHERE content LIKE '%{word}%'")).await;
        assert!(expected > 0, "{word}");
        let res = app.api("GET", &format!("/api/v1/opinions?q={}&limit=5", urlencode(word)), Some(&token), None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.json()["total"].as_i64(), Some(expected), "{word}: {}", res.body);
    }
    // A closed one reads with its history.
    let closed = count(
        &app,
        "SELECT min(op.id) FROM opinions op JOIN handling_items i ON i.id = op.item_id WHERE i.state = 'closed'",
    )
    .await;
    let res = app.api("GET", &format!("/api/v1/opinions/{closed}"), Some(&token), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("\"close\""), "{}", res.body);

    assert_eq!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'synthetic_generate'").await, 2);
    assert!(renda::audit::verify(app.db(), &key).await.unwrap().is_ok());
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}
