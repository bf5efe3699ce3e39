//! PLAT-8: citizens' names and phones are purged from items that ended longer ago than the
//! configured retention; the text, the history and the figures stay, and the run is audited.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use crate::demo_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

const ENDED_WITH_CONTACT: &str = "SELECT count(*) FROM opinions op JOIN handling_items i ON i.id = op.item_id \
     WHERE i.state IN ('closed', 'rejected') AND (op.name_enc IS NOT NULL OR op.phone_enc IS NOT NULL)";
const OPEN_WITH_CONTACT: &str = "SELECT count(*) FROM opinions op JOIN handling_items i ON i.id = op.item_id \
     WHERE i.state NOT IN ('closed', 'rejected') AND (op.name_enc IS NOT NULL OR op.phone_enc IS NOT NULL)";

async fn purge(app: &TestApp, at: i64) {
    let job = renda::modules::state_modules().job("personal-data-purge").expect("the purge is a registered job");
    (job.run)(&app.state, &json!({ "now": at }).to_string()).await.unwrap();
}

async fn purges(app: &TestApp) -> i64 {
    count(app, "SELECT count(*) FROM audit_log WHERE action = 'personal_data_purge'").await
}

demo_test!(names_and_phones_go_after_the_retention_period);
async fn names_and_phones_go_after_the_retention_period(app: TestApp) {
    let days = app.state.config.personal_data_retention_days;
    assert_eq!(days, 730, "the default is two years");
    let now = db::now();
    let ended = count(&app, ENDED_WITH_CONTACT).await;
    let open = count(&app, OPEN_WITH_CONTACT).await;
    assert!(ended > 0 && open > 0, "the demo has ended and open items with contacts: {ended} / {open}");
    let opinions = count(&app, "SELECT count(*) FROM opinions").await;

    // Today nothing the demo ended is two years old: nothing goes, nothing is audited.
    let old = count(&app, &format!("{ENDED_WITH_CONTACT} AND i.closed_at < {}", now - days * 86_400)).await;
    purge(&app, now).await;
    assert_eq!(count(&app, ENDED_WITH_CONTACT).await, ended - old);
    let audited = purges(&app).await;
    assert_eq!(audited, i64::from(old > 0));

    // Two years and a day later every ended item's contact is gone; open ones keep theirs.
    purge(&app, now + (days + 1) * 86_400).await;
    assert_eq!(count(&app, ENDED_WITH_CONTACT).await, 0);
    assert_eq!(count(&app, OPEN_WITH_CONTACT).await, open);
    assert_eq!(count(&app, "SELECT count(*) FROM opinions").await, opinions, "the opinions themselves stay");
    assert_eq!(
        count(&app, "SELECT count(*) FROM opinions WHERE purged_at IS NOT NULL AND phone_hash IS NOT NULL").await,
        0,
        "the look-up hash goes with the phone"
    );
    assert_eq!(purges(&app).await, audited + 1, "one audit entry for the run");
    let summary = db::query_rows(
        app.db(),
        "SELECT summary FROM audit_log WHERE action = 'personal_data_purge' ORDER BY seq DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index::<String>(0)
        .unwrap();
    assert!(summary.contains(&format!("清除 {} 件意见", ended - old)), "{summary}");
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM sms_outbox WHERE phone_enc <> '' AND created_at < {now}")).await,
        0,
        "sent messages lose the full number"
    );
    assert!(count(&app, "SELECT count(*) FROM sms_outbox WHERE phone_masked <> ''").await > 0, "the masked one stays");

    // Running again clears nothing and records nothing.
    purge(&app, now + (days + 2) * 86_400).await;
    assert_eq!(purges(&app).await, audited + 1);

    // Staff see that the contact was cleared, not that none was given.
    let id = count(
        &app,
        "SELECT min(op.id) FROM opinions op JOIN handling_items i ON i.id = op.item_id WHERE op.purged_at IS NOT NULL",
    )
    .await;
    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/opinions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("已按保存期限清除"), "{}", page.body);
    assert!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap().is_ok());
}
