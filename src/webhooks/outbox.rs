//! The job that empties the outbox, and how a write asks for it.

use sea_orm::{ConnectionTrait, DbErr};

/// The job kind that sends due deliveries (`deliver::run`).
pub const JOB: &str = "webhook-deliver";

/// Has the job run at `at` (in the caller's transaction; one job per second at most).
pub async fn wake<C: ConnectionTrait>(c: &C, at: i64) -> Result<(), DbErr> {
    crate::jobs::enqueue(c, JOB, &serde_json::json!({}), Some(&format!("{JOB}:{at}")), at).await.map(|_| ())
}
