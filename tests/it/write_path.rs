//! The one write path: a write commits only when its work succeeds, and its after-commit
//! work runs only then.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use renda::app::error::AppError;
use renda::app::write::write_as;
use renda::audit::{Actor, Change};

use crate::db_test;
use crate::support::TestApp;

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
