//! MTG-5: each closed ballot's digest — every vote record and the tally — is signed into the
//! audit chain, and the recount of `renda audit verify` (`ballot::integrity::verify_all`) finds a
//! vote altered, added or removed, or a voter's "voted" flag moved, naming the ballot.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use super::{act, ballot, cast, deputies, meeting_of, present, staff_token};
use crate::demo_test;
use crate::support::TestApp;

async fn a_closed_ballot(app: &TestApp, staff: &str, meeting: i64, members: &[i64], secret: bool) -> i64 {
    let id =
        ballot(app, staff, meeting, json!({"title": format!("表决 {secret}"), "kind": "motion", "secret": secret}))
            .await;
    assert_eq!(act(app, staff, id, "open").await.status, StatusCode::OK);
    for (i, p) in members.iter().take(5).enumerate() {
        cast(app, id, *p, &[(0, if i < 3 { "yes" } else { "no" })]).await.unwrap();
    }
    assert_eq!(act(app, staff, id, "close").await.status, StatusCode::OK);
    id
}

async fn the_recount_finds_each_tampering(app: TestApp) {
    let staff = staff_token(&app).await;
    let members = deputies(&app, 7).await;
    let meeting = meeting_of(&app, &staff, &members, &[]).await;
    present(&app, &staff, meeting, &members[..4]).await;
    let altered = a_closed_ballot(&app, &staff, meeting, &members, true).await;
    let added = a_closed_ballot(&app, &staff, meeting, &members, false).await;
    let removed = a_closed_ballot(&app, &staff, meeting, &members, true).await;
    let flagged = a_closed_ballot(&app, &staff, meeting, &members, false).await;
    let untouched = a_closed_ballot(&app, &staff, meeting, &members, true).await;

    let clean = renda::ballot::integrity::verify_all(app.db()).await.unwrap();
    assert!(clean.faults.is_empty(), "{:?}", clean.faults);
    assert!(clean.checked >= 5);

    // A database administrator changes one vote, adds one, deletes one, marks a voter.
    db::exec(
        app.db(),
        "UPDATE ballot_votes SET option = 'no' WHERE id = (SELECT min(id) FROM ballot_votes WHERE ballot_id = $1 AND option = 'yes')",
        vec![altered.into()],
    )
    .await
    .unwrap();
    db::exec(
        app.db(),
        "INSERT INTO ballot_votes (id, ballot_id, subject_id, option) SELECT 4242, ballot_id, subject_id, 'yes' FROM ballot_votes WHERE ballot_id = $1 LIMIT 1",
        vec![added.into()],
    )
    .await
    .unwrap();
    db::exec(
        app.db(),
        "DELETE FROM ballot_votes WHERE id = (SELECT max(id) FROM ballot_votes WHERE ballot_id = $1)",
        vec![removed.into()],
    )
    .await
    .unwrap();
    db::exec(
        app.db(),
        "UPDATE ballot_electors SET voted = true WHERE ballot_id = $1 AND person_id = $2",
        vec![flagged.into(), members[6].into()],
    )
    .await
    .unwrap();

    let report = renda::ballot::integrity::verify_all(app.db()).await.unwrap();
    let fault = |id: i64| report.faults.iter().find(|f| f.ballot == id).map(|f| f.what.clone());
    assert!(fault(altered).is_some_and(|w| w.contains("改动")), "{:?}", report.faults);
    assert!(fault(added).is_some_and(|w| w.contains("增加")), "{:?}", report.faults);
    assert!(fault(removed).is_some_and(|w| w.contains("删除")), "{:?}", report.faults);
    assert!(fault(flagged).is_some_and(|w| w.contains("已投标记") || w.contains("改动")), "{:?}", report.faults);
    assert_eq!(fault(untouched), None);
    assert_eq!(report.faults.len(), 4);
    assert!(report.faults[0].to_string().starts_with("投票 #"), "{}", report.faults[0]);

    // The signed summary itself cannot be changed to match: the chain's keyed hash breaks.
    db::exec(
        app.db(),
        "UPDATE audit_log SET summary = replace(summary, '计票摘要', '计票摘要') || ' ' WHERE action = 'ballot_close' AND target_id = $1",
        vec![altered.to_string().into()],
    )
    .await
    .unwrap();
    let chain = renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap();
    assert!(chain.is_err(), "an edited closing entry breaks the chain");
}
demo_test!(the_recount_finds_each_tampering);
