//! The one write path (issue 8): every console form and API write runs through `write`, which
//! opens the audited write transaction, carries who is writing and from where, commits only
//! when the work succeeded, and then runs the after-commit work (cache invalidation,
//! notifications, jobs). `form_answer` ends a console form the two ways it can: a redirect
//! with a flash, or the same form again with its field errors (422); an API write answers
//! JSON from the returned value. Unique-key and foreign-key violations arrive as 409/422
//! through `AppError`, never a 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseTransaction;

use crate::app::extract::ClientIp;
use crate::app::guard::actor;
use crate::app::pages::{Errors, form_errors};
use crate::app::state::AppState;
use crate::audit::Actor;
use crate::auth::Principal;
use crate::base::error::AppResult;
use crate::db::writer::Lease;

/// An open write: its transaction, the audit key and actor, and what to do after commit.
pub struct Write {
    // Declared before `lease`: a caller dropped mid-write drops its transaction (queuing the
    // rollback) before the token goes to the next caller.
    txn: DatabaseTransaction,
    config: std::sync::Arc<crate::base::config::Config>,
    actor: Actor,
    after: Vec<Box<dyn FnOnce() + Send>>,
    lease: Option<Lease>,
}

impl Write {
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }
    /// The audit chain's key.
    pub fn key(&self) -> &[u8] {
        &self.config.secrets.audit_key
    }
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    /// Work that must happen only once the write is committed (e.g. a cache invalidation).
    pub fn after_commit(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after.push(Box::new(f));
    }
}

/// Runs one audited write for a signed-in caller: nothing is kept unless `work` succeeds.
pub async fn write<T>(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    work: impl AsyncFnOnce(&mut Write) -> AppResult<T>,
) -> AppResult<T> {
    write_as(s, actor(p, ip), work).await
}

/// The same for a write done by the system or a command (the actor given).
///
/// Goes through the node's one writer (`db::writer`): the work may share its transaction and
/// its commit with writes that arrived at the same time, each in its own savepoint, so its
/// failure rolls back only itself; `Ok` comes only after the commit that holds the write, and
/// the after-commit work runs right after that commit.
pub async fn write_as<T>(s: &AppState, who: Actor, work: impl AsyncFnOnce(&mut Write) -> AppResult<T>) -> AppResult<T> {
    let (lease, txn) = s.writer.lease().await?;
    let head = lease.head();
    let mut w = Write { txn, config: s.config.clone(), actor: who, after: Vec::new(), lease: Some(lease) };
    let result = crate::db::writer::in_write(head, work(&mut w)).await;
    let Write { txn, after, lease, .. } = w;
    let lease = lease.expect("set above");
    match result {
        Ok(value) => {
            lease.done(txn, after).await?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = lease.failed(txn).await {
                tracing::error!(error = %rollback, "写入失败后回滚失败");
            }
            Err(e)
        }
    }
}

/// Ends a console form write: `ok` answers a success (usually a redirect with a flash);
/// invalid input renders the form again through `again` with the field errors and a 422;
/// any other error is the error page.
pub async fn form_answer<T>(
    result: AppResult<T>,
    ok: impl FnOnce(T) -> Response,
    again: impl AsyncFnOnce(Errors) -> AppResult<Response>,
) -> AppResult<Response> {
    match result {
        Ok(v) => Ok(ok(v)),
        Err(e) => {
            let errors = form_errors(e)?;
            let page = again(errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
