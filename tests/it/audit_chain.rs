//! PLAT-9: the keyed hash chain detects edits, deletions, truncation and a forged head.

use renda::audit::{self, Actor, ChainError, Change};
use renda::db;

use crate::support::TestApp;
use crate::{db_test, demo_test};

async fn write_entries(app: &TestApp, n: usize) {
    let actor =
        Actor { account_id: Some(1), name: "admin（王*）".into(), on_behalf_of: None, client: "127.0.0.*".into() };
    for i in 0..n {
        let txn = db::begin_write(app.db()).await.unwrap();
        audit::append(
            &txn,
            app.state.audit_key(),
            &actor,
            Change {
                action: "organ_update",
                target_type: "organ",
                target_id: "1".into(),
                organ_id: Some(1),
                summary: format!("第 {i} 次修改"),
            },
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
    }
}

async fn verify(app: &TestApp) -> Result<i64, ChainError> {
    audit::verify(app.db(), app.state.audit_key()).await.unwrap()
}

async fn tampering_is_detected(app: TestApp) {
    write_entries(&app, 10).await;
    assert_eq!(verify(&app).await, Ok(10));

    // An edited entry.
    db::exec(app.db(), "UPDATE audit_log SET summary = '改过的内容' WHERE seq = 4", vec![]).await.unwrap();
    assert_eq!(verify(&app).await, Err(ChainError::Tampered { seq: 4 }));
    db::exec(app.db(), "UPDATE audit_log SET summary = '第 3 次修改' WHERE seq = 4", vec![]).await.unwrap();
    assert_eq!(verify(&app).await, Ok(10), "restoring the content restores the chain");

    // An entry re-hashed without the key still fails (plain SHA-256 of its fields is not the MAC).
    db::exec(app.db(), "UPDATE audit_log SET hash = (CASE WHEN substr(hash, 1, 2) = 'ab' THEN 'cd' ELSE 'ab' END) || substr(hash, 3) WHERE seq = 6", vec![]).await.unwrap();
    assert_eq!(verify(&app).await, Err(ChainError::Tampered { seq: 6 }));
}
db_test!(tampering_is_detected);

/// Deleting entries in the middle or at the start (truncating the newest is the next test).
async fn deleting_entries_is_detected(app: TestApp) {
    write_entries(&app, 8).await;
    db::exec(app.db(), "DELETE FROM audit_log WHERE seq = 3", vec![]).await.unwrap();
    assert_eq!(verify(&app).await, Err(ChainError::Missing { expected: 3, found: 4 }));
    db::exec(app.db(), "DELETE FROM audit_log WHERE seq = 1", vec![]).await.unwrap();
    assert_eq!(verify(&app).await, Err(ChainError::Missing { expected: 1, found: 2 }));
}
db_test!(deleting_entries_is_detected);

async fn truncating_the_newest_entries_is_detected(app: TestApp) {
    write_entries(&app, 8).await;
    db::exec(app.db(), "DELETE FROM audit_log WHERE seq > 5", vec![]).await.unwrap();
    assert_eq!(verify(&app).await, Err(ChainError::Truncated { head_seq: 8, last_seq: 5 }));
    // Moving the head back to entry 5 without the key is detected as a forged head.
    let hash: String = db::query_rows(app.db(), "SELECT hash FROM audit_log WHERE seq = 5", vec![]).await.unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    db::exec(app.db(), "UPDATE audit_head SET last_seq = 5, last_hash = $1 WHERE id = 1", vec![hash.into()])
        .await
        .unwrap();
    assert_eq!(verify(&app).await, Err(ChainError::HeadForged));
}
db_test!(truncating_the_newest_entries_is_detected);

async fn every_write_of_the_demo_is_chained_and_free_of_personal_data(app: TestApp) {
    let n = verify(&app).await.unwrap();
    assert!(n >= 40, "areas, organs and accounts audited: {n}");
    // Demo phones are 1380536xxxx and names are Chinese: neither appears in clear.
    let leaked = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE summary LIKE '%1380536%' OR summary LIKE '%王建国%'",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(leaked, 0);
    // Phones are encrypted at rest, with a keyed hash to look them up.
    let clear = db::scalar_i64(app.db(), "SELECT count(*) FROM accounts WHERE phone_enc LIKE '%1380536%'", vec![])
        .await
        .unwrap();
    assert_eq!(clear, 0);
    let hash = app.state.crypto.lookup_hash("phone", "13805361001");
    assert_eq!(
        db::scalar_i64(app.db(), "SELECT count(*) FROM accounts WHERE phone_hash = $1", vec![hash.into()])
            .await
            .unwrap(),
        1
    );
}
demo_test!(every_write_of_the_demo_is_chained_and_free_of_personal_data);

async fn the_audit_page_reports_the_chain(app: TestApp) {
    let mut b = app.login("admin").await;
    let ok = b.get("/console/admin/audit").await;
    assert!(ok.texts(".flash").iter().any(|t| t.contains("审计链完整")), "{}", ok.body);
    db::exec(app.db(), "UPDATE audit_log SET actor = '别人' WHERE seq = 2", vec![]).await.unwrap();
    let bad = b.get("/console/admin/audit").await;
    assert!(bad.texts(".alert").iter().any(|t| t.contains("#2")), "{}", bad.body);
}
demo_test!(the_audit_page_reports_the_chain);
