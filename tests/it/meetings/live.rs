//! Live counts by server-sent events (MTG-4): a ballot's stream rises with each vote and carries
//! the result the moment it closes; the hall's stream (its display key) follows attendance and
//! the ballot; and with two app nodes on one database every client sees the count whichever node
//! it is connected to (PostgreSQL `LISTEN`/`NOTIFY`; SQLite by each node's own recount), while a
//! vote sent to both nodes at once is counted once.

use std::time::Instant;

use axum::http::StatusCode;
use serde_json::json;

use super::{Events, account_for, act, ballot, deputies, meeting_of, present, staff_token};
use crate::demo_test;
use crate::support::TestApp;

async fn the_count_rises_live_and_the_result_comes_at_close(app: TestApp) {
    let staff = staff_token(&app).await;
    let members = deputies(&app, 5).await;
    let meeting = meeting_of(&app, &staff, &members, &[]).await;
    let id = ballot(
        &app,
        &staff,
        meeting,
        json!({"title": "表决", "kind": "motion", "rule": {"base": "all_members", "num": 1, "den": 2, "strict": true}}),
    )
    .await;

    // The hall's screen, by its key.
    let mut desk = app.login("staff").await;
    let made = desk.post(&format!("/console/meetings/{meeting}/hall"), &[]).await;
    let url = made.texts("#hall-url a").pop().unwrap();
    let key = url.split("key=").nth(1).unwrap().to_string();
    let mut hall = Events::open(&app, &format!("/hall/{meeting}/events?key={key}"), None).await;
    let first = hall.next("hall", 5).await;
    assert_eq!((first["present"].as_i64(), first["met"].as_bool()), (Some(0), Some(false)));
    present(&app, &staff, meeting, &members[..3]).await;
    hall.until("hall", 5, |v| v["present"] == 3 && v["met"] == true).await;
    // A wrong key opens nothing.
    let r = app.api("GET", &format!("/hall/{meeting}/events?key=0{key}"), None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    assert_eq!(act(&app, &staff, id, "open").await.status, StatusCode::OK);
    let tokens = [
        account_for(&app, members[0], "v0").await,
        account_for(&app, members[1], "v1").await,
        account_for(&app, members[2], "v2").await,
    ];
    // A voter's own phone listens to the ballot.
    let mut phone = Events::open(&app, &format!("/api/v1/ballots/{id}/events"), Some(&tokens[0])).await;
    let now = phone.next("count", 5).await;
    assert_eq!(
        (now["state"].as_str(), now["voted"].as_i64(), now["electors"].as_i64()),
        (Some("open"), Some(0), Some(5))
    );
    assert!(now["outcome"].is_null(), "no figures while open");
    for (i, t) in tokens.iter().enumerate() {
        let r = app.api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(t), Some(json!({"choice": "yes"}))).await;
        assert_eq!(r.status, StatusCode::OK);
        let v = phone.until("count", 5, |v| v["voted"] == (i + 1) as i64).await;
        assert!(v["outcome"].is_null());
    }
    hall.until("hall", 5, |v| v["ballot"]["voted"] == 3).await;

    // Closed: the result by the rule, on every screen, at once.
    assert_eq!(act(&app, &staff, id, "close").await.status, StatusCode::OK);
    let done = phone.until("count", 5, |v| v["state"] == "closed").await;
    assert_eq!(done["outcome"]["passed"], true);
    assert_eq!(done["outcome"]["decided_by"], "赞成 3 票，全体组成人员 5 人的过半数为 3 票：通过");
    let h = hall.until("hall", 5, |v| v["ballot"]["state"] == "closed").await;
    assert_eq!(h["ballot"]["outcome"]["passed"], true);
    // One count per change whatever the number of screens: both streams share the node's hub.
    let live = app.state.ext.get_or_default::<renda::ballot::live::Live>();
    let (topics, subscribers) = live.figures();
    assert!(topics >= 2 && subscribers >= 2, "{topics} topics, {subscribers} subscribers");
}
demo_test!(the_count_rises_live_and_the_result_comes_at_close);

async fn two_nodes_on_one_database(app: TestApp) {
    let staff = staff_token(&app).await;
    let members = deputies(&app, 4).await;
    let meeting = meeting_of(&app, &staff, &members, &[]).await;
    present(&app, &staff, meeting, &members[..3]).await;
    let id = ballot(&app, &staff, meeting, json!({"title": "两个节点", "kind": "motion"})).await;
    assert_eq!(act(&app, &staff, id, "open").await.status, StatusCode::OK);
    let tokens = [account_for(&app, members[0], "n0").await, account_for(&app, members[1], "n1").await];

    // A second node: its own state, hub and listener, the same database.
    let other = TestApp::at_url(app.state.config.database_url()).await;
    let mut screen = Events::open(&other, &format!("/api/v1/ballots/{id}/events"), Some(&staff)).await;
    assert_eq!(screen.next("count", 5).await["voted"], 0);

    // A vote on the first node reaches the second node's screen.
    let t0 = Instant::now();
    let r =
        app.api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(&tokens[0]), Some(json!({"choice": "no"}))).await;
    assert_eq!(r.status, StatusCode::OK);
    screen.until("count", 5, |v| v["voted"] == 1).await;
    let took = t0.elapsed();
    if app.db().get_database_backend() == sea_orm::DbBackend::Postgres {
        // NOTIFY: well within the second the hall may lag, not the 2 s recount.
        assert!(took.as_millis() < 1_000, "the other node saw the vote after {took:?}");
    }

    // The same voter on both nodes at once: one vote counts, the other is a 409.
    let body = json!({"choice": "yes"});
    let path = format!("/api/v1/ballots/{id}/votes");
    let (a, b) = tokio::join!(
        app.api("POST", &path, Some(&tokens[1]), Some(body.clone())),
        other.api("POST", &path, Some(&tokens[1]), Some(body.clone())),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", a.body, b.body);
    screen.until("count", 5, |v| v["voted"] == 2).await;
    assert_eq!(act(&other, &staff, id, "close").await.status, StatusCode::OK);
    let d = super::detail(&app, &staff, id).await;
    assert_eq!(
        (d["tally"]["yes"].as_i64(), d["tally"]["no"].as_i64(), d["tally"]["voted"].as_i64()),
        (Some(1), Some(1), Some(2))
    );
}
demo_test!(two_nodes_on_one_database);
