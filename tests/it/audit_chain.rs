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

/// A batch appended at once (`append_many`: one head read, multi-row inserts over several
/// statements, one head update) is the same chain as entries appended one by one, and the chain
/// goes on after it.
async fn appending_many_at_once_keeps_the_chain(app: TestApp) {
    write_entries(&app, 3).await;
    let actor = Actor::system("测试");
    let batch = |n: usize| {
        (0..n)
            .map(|i| Change::audited("organ_update", "organ", 1, format!("批量第 {i} 条")).in_organ(1))
            .collect::<Vec<_>>()
    };
    let txn = db::begin_write(app.db()).await.unwrap();
    assert_eq!(audit::append_many(&txn, app.state.audit_key(), &actor, batch(450)).await.unwrap(), 453);
    txn.commit().await.unwrap();
    assert_eq!(verify(&app).await, Ok(453));
    write_entries(&app, 2).await;
    assert_eq!(verify(&app).await, Ok(455));
    let txn = db::begin_write(app.db()).await.unwrap();
    assert_eq!(audit::append_many(&txn, app.state.audit_key(), &actor, batch(0)).await.unwrap(), 455);
    txn.commit().await.unwrap();
    assert_eq!(verify(&app).await, Ok(455));
    db::exec(app.db(), "UPDATE audit_log SET summary = '改' WHERE seq = 300", vec![]).await.unwrap();
    assert_eq!(verify(&app).await, Err(ChainError::Tampered { seq: 300 }));
}
db_test!(appending_many_at_once_keeps_the_chain);

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

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

/// Runs the daily whole check as the worker would.
async fn run_audit_job(app: &TestApp) {
    renda::jobs::enqueue(app.db(), renda::app::worker::AUDIT_VERIFY, &serde_json::json!({}), None, 0).await.unwrap();
    let job = renda::jobs::claim(app.db(), "w", 60).await.unwrap().unwrap();
    assert_eq!(job.kind, renda::app::worker::AUDIT_VERIFY);
    let id = job.id;
    renda::app::worker::handle(&app.state, job).await.unwrap();
    renda::jobs::complete(app.db(), id).await.unwrap();
}

async fn the_audit_page_reports_the_chain(app: TestApp) {
    let original: String = db::query_rows(app.db(), "SELECT actor FROM audit_log WHERE seq = 2", vec![]).await.unwrap()
        [0]
    .try_get_by_index(0)
    .unwrap();
    let mut b = app.login("admin").await;
    let ok = b.get("/console/admin/audit").await;
    assert!(ok.texts(".flash").iter().any(|t| t.contains("审计链完整") && t.contains("全部记录")), "{}", ok.body);
    assert!(ok.texts("#whole-check").join("").contains("尚未进行全链校验"), "{}", ok.body);
    // The demo wrote more than a checkpoint's worth: this view left one at the head.
    let head = count(&app, "SELECT last_seq FROM audit_head").await;
    assert!(head > audit::checks::TAIL_CHECKPOINT_EVERY, "{head}");
    assert_eq!(count(&app, "SELECT max(to_seq) FROM audit_checks WHERE ok = TRUE AND scope = 'tail'").await, head);

    // A newer entry edited: the next view, which walks what came after the checkpoint, finds it.
    write_entries(&app, 3).await;
    let after = b.get("/console/admin/audit").await;
    assert!(after.texts(".flash").iter().any(|t| t.contains(&format!("第 {head} 条"))), "{}", after.body);
    db::exec(app.db(), "UPDATE audit_log SET actor = '别人' WHERE seq = $1", vec![(head + 2).into()]).await.unwrap();
    let bad = b.get("/console/admin/audit").await;
    assert!(bad.texts(".alert").iter().any(|t| t.contains(&format!("#{}", head + 2))), "{}", bad.body);
    db::exec(app.db(), "UPDATE audit_log SET actor = 'admin（王*）' WHERE seq = $1", vec![(head + 2).into()])
        .await
        .unwrap();

    // An old entry edited: the view, which trusts the checkpoint, does not walk it …
    db::exec(app.db(), "UPDATE audit_log SET actor = '别人' WHERE seq = 2", vec![]).await.unwrap();
    let quiet = b.get("/console/admin/audit").await;
    assert!(quiet.texts(".flash").iter().any(|t| t.contains("审计链完整")), "{}", quiet.body);
    // … the daily whole check does, and from then on the page says so.
    run_audit_job(&app).await;
    let found = b.get("/console/admin/audit").await;
    let whole = found.texts("#whole-check").join("");
    assert!(whole.contains("全链校验失败") && whole.contains("每日校验任务") && whole.contains("#2"), "{}", found.body);

    // A checkpoint row written without the audit key is passed over: the view walks from the
    // newest genuine checkpoint (or from the start) and finds the edit.
    db::exec(app.db(), "DELETE FROM audit_checks", vec![]).await.unwrap();
    db::exec(
        app.db(),
        "INSERT INTO audit_checks (at, by_whom, scope, from_seq, to_seq, hash, ok, problem, mac) \
         SELECT 0, 'view', 'tail', 0, seq, hash, TRUE, '', 'forged' FROM audit_log WHERE seq = (SELECT last_seq FROM audit_head)",
        vec![],
    )
    .await
    .unwrap();
    let forged = b.get("/console/admin/audit").await;
    assert!(forged.texts(".alert").iter().any(|t| t.contains("#2")), "{}", forged.body);

    // Restored, a whole check by the job passes and the page names it.
    db::exec(app.db(), "UPDATE audit_log SET actor = $1 WHERE seq = 2", vec![original.into()]).await.unwrap();
    run_audit_job(&app).await;
    let good = b.get("/console/admin/audit").await;
    let whole = good.texts("#whole-check").join("");
    assert!(whole.contains("每日校验任务") && whole.contains("完整"), "{}", good.body);
    assert!(good.texts(".flash").iter().any(|t| t.contains("审计链完整")), "{}", good.body);
}
demo_test!(the_audit_page_reports_the_chain);
