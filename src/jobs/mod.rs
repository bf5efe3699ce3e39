//! Jobs are rows (PLAT-3): enqueued in the transaction of the change, claimed by a
//! single-row conditional update so that two nodes never run one job twice. This is the
//! queue; what runs a job of a kind (the platform's own kinds and the modules' registered
//! ones) is the web kernel's `app::worker`, which has the state.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult};

use crate::db;

#[derive(Clone, Debug, FromQueryResult)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

/// `now` of a job's payload (`renda jobs run … --now`), else the clock: how every scheduled job
/// reads the time it runs for.
pub fn payload_now(payload: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("now").and_then(|n| n.as_i64()))
        .unwrap_or_else(crate::db::now)
}

/// Enqueues a job; with a `dedupe_key`, a second enqueue of the same key is a no-op.
pub async fn enqueue<C: ConnectionTrait>(
    c: &C,
    kind: &str,
    payload: &serde_json::Value,
    dedupe_key: Option<&str>,
    run_at: i64,
) -> Result<bool, DbErr> {
    if let Some(key) = dedupe_key
        && db::scalar_i64(c, "SELECT count(*) FROM jobs WHERE dedupe_key = $1", vec![key.into()]).await? > 0
    {
        return Ok(false);
    }
    db::exec(
        c,
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, state, attempts, created_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5)",
        vec![kind.into(), payload.to_string().into(), dedupe_key.map(str::to_string).into(), run_at.into(), db::now().into()],
    )
    .await?;
    Ok(true)
}

/// Claims the oldest due job for `worker`. The `state = 'queued'` guard in the UPDATE makes the
/// claim atomic on both backends: a concurrent claimer of the same row updates nothing.
pub async fn claim(db: &DatabaseConnection, worker: &str, lease_secs: i64) -> Result<Option<Job>, DbErr> {
    let now = db::now();
    // Jobs whose lease ran out (a node died mid-job) become claimable again.
    db::exec(
        db,
        "UPDATE jobs SET state = 'queued', locked_by = NULL WHERE state = 'running' AND locked_until < $1",
        vec![now.into()],
    )
    .await?;
    for _ in 0..5 {
        let candidate = db::scalar_i64(
            db,
            "SELECT COALESCE(MIN(id), 0) FROM jobs WHERE state = 'queued' AND run_at <= $1",
            vec![now.into()],
        )
        .await?;
        if candidate == 0 {
            return Ok(None);
        }
        let won = db::exec(
            db,
            "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1 WHERE id = $3 AND state = 'queued'",
            vec![worker.into(), (now + lease_secs).into(), candidate.into()],
        )
        .await?;
        if won == 1 {
            return db::query_one(
                db,
                "SELECT id, kind, payload, attempts FROM jobs WHERE id = $1",
                vec![candidate.into()],
            )
            .await;
        }
    }
    Ok(None)
}

pub async fn complete(db: &DatabaseConnection, id: i64) -> Result<(), DbErr> {
    db::exec(
        db,
        "UPDATE jobs SET state = 'done', finished_at = $1, locked_by = NULL WHERE id = $2",
        vec![db::now().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// A failed job is retried with back-off, then parked as `failed` after 5 attempts.
pub async fn fail(db: &DatabaseConnection, job: &Job, error: &str) -> Result<(), DbErr> {
    let (state, run_at) =
        if job.attempts >= 5 { ("failed", db::now()) } else { ("queued", db::now() + 30 * job.attempts) };
    db::exec(
        db,
        "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, locked_by = NULL WHERE id = $4",
        vec![state.into(), run_at.into(), error.chars().take(500).collect::<String>().into(), job.id.into()],
    )
    .await?;
    Ok(())
}

/// Runs jobs until `shutdown` fires; `handle` returns Err(message) to retry later.
pub async fn run_worker<F, Fut>(
    db: DatabaseConnection,
    worker: String,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    handle: F,
) where
    F: Fn(Job) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    loop {
        if *shutdown.borrow() {
            return;
        }
        match claim(&db, &worker, 300).await {
            Ok(Some(job)) => {
                let result = handle(job.clone()).await;
                let stored = match result {
                    Ok(()) => complete(&db, job.id).await,
                    Err(e) => {
                        tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed");
                        fail(&db, &job, &e).await
                    }
                };
                if let Err(e) = stored {
                    tracing::error!(job = job.id, error = %e, "could not store job outcome");
                }
                crate::base::metrics::JOBS_RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "job claim failed; retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}
