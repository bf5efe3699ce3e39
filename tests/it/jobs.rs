//! PLAT-3: jobs are rows; two workers on one database never run a job twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use renda::app::worker;
use renda::db;
use renda::jobs;

use crate::support::TestApp;
use crate::{db_test, demo_test};

async fn two_workers_run_each_job_exactly_once(app: TestApp) {
    const N: i64 = 60;
    for i in 0..N {
        jobs::enqueue(app.db(), "noop", &serde_json::json!({"n": i}), None, 0).await.unwrap();
    }
    // A deduplicated job enqueued twice is stored once.
    assert!(jobs::enqueue(app.db(), "noop", &serde_json::json!({}), Some("daily:2026-11-22"), 0).await.unwrap());
    assert!(!jobs::enqueue(app.db(), "noop", &serde_json::json!({}), Some("daily:2026-11-22"), 0).await.unwrap());

    let runs: Arc<Mutex<Vec<(String, i64)>>> = Arc::new(Mutex::new(Vec::new()));
    // Both workers start claiming only once both are connected, so neither can drain the
    // queue alone while the other is still connecting; each job takes a moment, as real ones do.
    let start = Arc::new(tokio::sync::Barrier::new(2));
    let mut handles = Vec::new();
    for worker in ["node-a", "node-b"] {
        // Each worker has its own connection pool, as two `renda serve` processes would.
        let url = app.state.config.database_url();
        let runs = runs.clone();
        let start = start.clone();
        handles.push(tokio::spawn(async move {
            let conn = db::connect(&url).await.unwrap();
            start.wait().await;
            while let Some(job) = jobs::claim(&conn, worker, 60).await.unwrap() {
                runs.lock().unwrap().push((worker.to_string(), job.id));
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                jobs::complete(&conn, job.id).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let runs = runs.lock().unwrap().clone();
    let ids: HashSet<i64> = runs.iter().map(|(_, id)| *id).collect();
    assert_eq!(runs.len() as i64, N + 1, "every job ran once: {runs:?}");
    assert_eq!(ids.len() as i64, N + 1, "no job ran twice");
    let by_a = runs.iter().filter(|(w, _)| w == "node-a").count();
    assert!(by_a > 0 && by_a < runs.len(), "both workers took part ({by_a} of {})", runs.len());
    assert_eq!(
        db::scalar_i64(app.db(), "SELECT count(*) FROM jobs WHERE state = 'done'", vec![]).await.unwrap(),
        N + 1
    );
}
db_test!(two_workers_run_each_job_exactly_once);

async fn failed_jobs_are_retried_then_parked(app: TestApp) {
    jobs::enqueue(app.db(), "mystery", &serde_json::json!({}), None, 0).await.unwrap();
    let job = jobs::claim(app.db(), "w", 60).await.unwrap().unwrap();
    assert!(worker::handle(&app.state, job.clone()).await.is_err(), "unknown kinds fail");
    jobs::fail(app.db(), &job, "未知的任务类型").await.unwrap();
    assert!(jobs::claim(app.db(), "w", 60).await.unwrap().is_none(), "retry waits for its back-off");
    db::exec(app.db(), "UPDATE jobs SET attempts = 5, run_at = 0", vec![]).await.unwrap();
    let job = jobs::claim(app.db(), "w", 60).await.unwrap().unwrap();
    jobs::fail(app.db(), &job, "仍然失败").await.unwrap();
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM jobs WHERE state = 'failed'", vec![]).await.unwrap(), 1);
    // A lease that ran out (a node died) makes a running job claimable again.
    jobs::enqueue(app.db(), "noop", &serde_json::json!({}), None, 0).await.unwrap();
    let job = jobs::claim(app.db(), "dead-node", -1).await.unwrap().unwrap();
    let again = jobs::claim(app.db(), "live-node", 60).await.unwrap().unwrap();
    assert_eq!(job.id, again.id);
}
db_test!(failed_jobs_are_retried_then_parked);

async fn housekeeping_purges_expired_sessions(app: TestApp) {
    app.login("admin").await;
    db::exec(app.db(), "UPDATE sessions SET expires_at = 1", vec![]).await.unwrap();
    worker::schedule_housekeeping(app.db(), app.state.modules).await.unwrap();
    worker::schedule_housekeeping(app.db(), app.state.modules).await.unwrap();
    // The sessions' purge and the audit chain's whole check are the platform's own.
    let kinds = 2 + app.state.modules.daily_jobs().count() as i64;
    assert_eq!(
        db::scalar_i64(app.db(), "SELECT count(*) FROM jobs", vec![]).await.unwrap(),
        kinds,
        "one of each per slot"
    );
    // The daily job keeps duty rules expanded: slots lost from the horizon come back.
    db::exec(app.db(), "DELETE FROM duty_slots", vec![]).await.unwrap();
    let head_before = db::scalar_i64(app.db(), "SELECT last_seq FROM audit_head", vec![]).await.unwrap();
    while let Some(job) = jobs::claim(app.db(), "w", 60).await.unwrap() {
        let id = job.id;
        worker::handle(&app.state, job).await.unwrap();
        jobs::complete(app.db(), id).await.unwrap();
    }
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM sessions", vec![]).await.unwrap(), 0);
    assert!(db::scalar_i64(app.db(), "SELECT count(*) FROM duty_slots", vec![]).await.unwrap() > 100);
    // The audit chain was walked whole, and the walk is a checkpoint (at the head as it was
    // then: the jobs after it may have written more).
    assert_eq!(
        db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM audit_checks WHERE scope = 'whole' AND by_whom = 'job' AND ok = TRUE \
             AND to_seq >= $1 AND to_seq <= (SELECT last_seq FROM audit_head)",
            vec![head_before.into()]
        )
        .await
        .unwrap(),
        1
    );
}
demo_test!(housekeeping_purges_expired_sessions);
