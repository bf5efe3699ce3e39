//! The job worker's side that needs the state: which kinds run when (`schedule_housekeeping`)
//! and what runs a claimed job (`handle`: the platform's own kinds, else the module that
//! registered the kind). The queue itself is `crate::jobs`.

use sea_orm::{DatabaseConnection, DbErr};

use crate::app::state::{AppState, Modules};
use crate::db;
use crate::jobs::{Job, enqueue};

/// Periodic work, scheduled as deduplicated jobs: the platform's own once an hour, the
/// modules' daily kinds once per UTC date.
pub async fn schedule_housekeeping(db: &DatabaseConnection, modules: Modules) -> Result<(), DbErr> {
    let hour = db::now() / 3600;
    enqueue(db, "purge_sessions", &serde_json::json!({}), Some(&format!("purge_sessions:{hour}")), db::now()).await?;
    let day = db::now() / 86_400;
    enqueue(db, AUDIT_VERIFY, &serde_json::json!({}), Some(&format!("{AUDIT_VERIFY}:{day}")), db::now()).await?;
    for kind in modules.daily_jobs() {
        enqueue(db, kind, &serde_json::json!({}), Some(&format!("{kind}:{day}")), db::now()).await?;
    }
    Ok(())
}

/// The daily whole walk of the audit chain (`audit::checks`).
pub const AUDIT_VERIFY: &str = "audit_verify";

/// Dispatches a job: the platform's own kinds, else the module that registered the kind.
pub async fn handle(s: &AppState, job: Job) -> Result<(), String> {
    match job.kind.as_str() {
        "purge_sessions" => crate::auth::purge_expired_sessions(&s.writer).await.map(|_| ()).map_err(|e| e.to_string()),
        "noop" => Ok(()),
        AUDIT_VERIFY => {
            match crate::audit::checks::check_whole(&s.db, s.audit_key(), crate::audit::checks::By::Job, db::now())
                .await
            {
                Ok(Ok(_)) => Ok(()),
                // The finding is stored (the audit page shows it); the job itself did its work.
                Ok(Err(e)) => {
                    tracing::error!(problem = %e, "audit chain check failed");
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        other => match s.modules.job(other) {
            Some(handler) => (handler.run)(s, &job.payload).await,
            None => Err(format!("未知的任务类型 {other}")),
        },
    }
}
