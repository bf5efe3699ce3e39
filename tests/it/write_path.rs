//! The one write path: a write commits only when its work succeeds, and its after-commit
//! work runs only then.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use renda::app::error::AppError;
use renda::app::write::write_as;
use renda::audit::{Actor, Change};

use renda::db::writer::{Limits, Writer};
use tower::ServiceExt;

use crate::support::TestApp;
use crate::{db_test, demo_test};

async fn entries(app: &TestApp) -> i64 {
    renda::db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log", vec![]).await.unwrap()
}

async fn a_write_is_all_or_nothing(app: TestApp) {
    let before = entries(&app).await;
    let ran = Arc::new(AtomicUsize::new(0));
    let change = || Change {
        action: "noop",
        target_type: "test",
        target_id: "1".into(),
        organ_id: None,
        summary: "测试".into(),
    };
    // The work fails after writing: nothing is kept, the after-commit work does not run.
    let r = ran.clone();
    let failed: Result<(), AppError> = write_as(&app.state, Actor::system("test"), async |w| {
        renda::audit::append(w.txn(), w.key(), w.actor(), change()).await?;
        w.after_commit(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        Err(AppError::invalid("name", "名称有误"))
    })
    .await;
    assert!(matches!(failed, Err(AppError::Invalid { .. })));
    assert_eq!(entries(&app).await, before);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    // The work succeeds: committed, then the after-commit work runs once.
    let r = ran.clone();
    let id = write_as(&app.state, Actor::system("test"), async |w| {
        renda::audit::append(w.txn(), w.key(), w.actor(), change()).await?;
        w.after_commit(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        Ok(7)
    })
    .await
    .unwrap();
    assert_eq!(id, 7);
    assert_eq!(entries(&app).await, before + 1);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap().is_ok());
}
db_test!(a_write_is_all_or_nothing);

// ------------------------------------------------------------------ group commit (issue 21)

/// The state with a writer of its own whose batches wait long for more writes, so that writes
/// queued behind a slow one share its batch.
fn batching(app: &TestApp) -> renda::app::state::AppState {
    let mut s = app.state.clone();
    let limits = Limits { max_batch: 64, max_wait: std::time::Duration::from_secs(10) };
    s.writer = Writer::new(app.db(), limits);
    s
}

async fn entries_for(app: &TestApp, target: &str) -> i64 {
    renda::db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE target_type = 'batch_test' AND target_id = $1",
        vec![target.into()],
    )
    .await
    .unwrap()
}

fn tagged(i: usize) -> Change<'static> {
    Change::audited("noop", "batch_test", i, format!("第 {i} 次写入"))
}

/// Eight writes arrive while the first still works: they share one commit, each in its own
/// savepoint. The fourth fails validation after writing and the sixth hits an SQL error (on
/// PostgreSQL that aborts the transaction until its savepoint is rolled back): only those two
/// are missing, every other caller gets its own answer, and only once its write is visible
/// to every other connection.
async fn a_failing_write_in_a_batch_leaves_its_neighbours_written(app: TestApp) {
    let s = batching(&app);
    let before = entries(&app).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8usize {
        let s = s.clone();
        set.spawn(async move {
            let r: Result<usize, AppError> = write_as(&s, Actor::system("test"), async |w| {
                renda::audit::append(w.txn(), w.key(), w.actor(), tagged(i)).await?;
                // Hold the token a moment, so that the others queue behind.
                tokio::time::sleep(std::time::Duration::from_millis(if i == 0 { 300 } else { 10 })).await;
                match i {
                    3 => Err(AppError::invalid("name", "名称有误")),
                    5 => {
                        renda::db::exec(w.txn(), "UPDATE no_such_table SET x = 1", vec![]).await?;
                        Ok(i)
                    }
                    _ => Ok(i),
                }
            })
            .await;
            // Answered only after the commit: another connection sees the write.
            let seen = renda::db::scalar_i64(
                &s.db,
                "SELECT count(*) FROM audit_log WHERE target_type = 'batch_test' AND target_id = $1",
                vec![i.to_string().into()],
            )
            .await
            .unwrap();
            (i, r, seen)
        });
        if i == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let mut answers = Vec::new();
    while let Some(done) = set.join_next().await {
        answers.push(done.unwrap());
    }
    answers.sort_by_key(|a| a.0);
    for (i, r, seen) in &answers {
        match i {
            3 => assert!(matches!(r, Err(AppError::Invalid { .. })), "the fourth fails its own way: {r:?}"),
            5 => assert!(r.is_err(), "the sixth fails: {r:?}"),
            _ => {
                assert_eq!(r.as_ref().ok(), Some(i), "each caller gets its own answer");
                assert_eq!(*seen, 1, "write {i} is committed when its caller hears so");
            }
        }
    }
    for i in 0..8usize {
        let want = if i == 3 || i == 5 { 0 } else { 1 };
        assert_eq!(entries_for(&app, &i.to_string()).await, want, "write {i}");
    }
    assert_eq!(entries(&app).await, before + 6);
    let (commits, writes) = s.writer.stats();
    assert_eq!(writes, 6);
    assert!(commits < writes, "the writes shared commits: {commits} commits for {writes} writes");
    assert!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap().is_ok());
}
db_test!(a_failing_write_in_a_batch_leaves_its_neighbours_written);

/// A caller that goes away in the middle of its work (its request dropped) leaves nothing of
/// its write, and the writer goes on: once as the batch's first write, once in a savepoint
/// after another write that waits for the batch's commit.
async fn a_caller_that_goes_away_mid_write_leaves_nothing_and_blocks_nobody(app: TestApp) {
    let s = batching(&app);
    let slow = |s: renda::app::state::AppState, i: usize, ms: u64| async move {
        write_as(&s, Actor::system("test"), async |w| {
            renda::audit::append(w.txn(), w.key(), w.actor(), tagged(i)).await?;
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok::<_, AppError>(i)
        })
        .await
    };
    let pause = |ms| tokio::time::sleep(std::time::Duration::from_millis(ms));
    // Well before the batch's timer (10 s): a hang is not rescued by it.
    let soon = std::time::Duration::from_secs(3);
    // The first write of a batch goes away: the next one opens a batch of its own.
    let gone = tokio::spawn(slow(s.clone(), 100, 3_600_000));
    pause(100).await;
    let next = tokio::spawn(slow(s.clone(), 101, 0));
    pause(50).await;
    gone.abort();
    let answer = tokio::time::timeout(soon, next).await.expect("not blocked");
    assert_eq!(answer.unwrap().unwrap(), 101);
    assert_eq!(entries_for(&app, "100").await, 0);
    assert_eq!(entries_for(&app, "101").await, 1);

    // A write in a savepoint goes away while the batch's first write waits for the commit.
    let first = tokio::spawn(slow(s.clone(), 200, 200));
    pause(50).await;
    let second = tokio::spawn(slow(s.clone(), 201, 3_600_000));
    pause(400).await;
    assert!(!first.is_finished(), "the first write waits for the batch's commit");
    second.abort();
    let answer = tokio::time::timeout(soon, first).await.expect("not blocked");
    assert_eq!(answer.unwrap().unwrap(), 200);
    assert_eq!(entries_for(&app, "200").await, 1);
    assert_eq!(entries_for(&app, "201").await, 0);
    // And the writer still writes.
    assert_eq!(slow(s.clone(), 202, 0).await.unwrap(), 202);
    assert_eq!(entries_for(&app, "202").await, 1);
    assert!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap().is_ok());
}
db_test!(a_caller_that_goes_away_mid_write_leaves_nothing_and_blocks_nobody);

/// A hundred submissions at once through the API: every one acknowledged with its own
/// tracking number, each stored once, the audit chain whole, and fewer commits than writes.
async fn many_concurrent_submissions_are_all_acknowledged_and_stored_once(app: TestApp) {
    let token = app.token("staff", renda::auth::Scope::Write).await;
    let before = renda::db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap();
    let (commits0, writes0) = app.state.writer.stats();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..100 {
        let router = app.router.clone();
        let token = token.clone();
        set.spawn(async move {
            let body = serde_json::json!({
                "content": format!("第{i}号楼前的路灯坏了很久，晚上出行很不方便，请尽快维修。"),
                "category": "城乡建设",
                "allow_public": false,
            });
            let req = axum::http::Request::post("/api/v1/opinions")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            let r = router.oneshot(req).await.unwrap();
            let status = r.status();
            let bytes = http_body_util::BodyExt::collect(r.into_body()).await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&bytes).to_string())
        });
    }
    let mut numbers = std::collections::HashSet::new();
    while let Some(done) = set.join_next().await {
        let (status, body) = done.unwrap();
        assert_eq!(status, axum::http::StatusCode::CREATED, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(numbers.insert(v["tracking_no"].as_str().unwrap().to_string()), "a number given twice");
    }
    assert_eq!(numbers.len(), 100);
    let after = renda::db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap();
    assert_eq!(after - before, 100, "each stored once");
    for no in &numbers {
        let n = renda::db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM opinions WHERE tracking_no = $1",
            vec![no.clone().into()],
        )
        .await
        .unwrap();
        assert_eq!(n, 1, "{no}");
    }
    let (commits, writes) = app.state.writer.stats();
    assert!(writes - writes0 >= 100);
    assert!(commits - commits0 <= writes - writes0);
    assert!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap().is_ok());
}
demo_test!(many_concurrent_submissions_are_all_acknowledged_and_stored_once);
