//! Issue 16: notifications that lead somewhere — every message of the loop names its item and
//! links to it, the inbox pages, filters by kind and marks all read; staff hear of each rating
//! and get a daily digest of new opinions; a 满意 rating closes a replied item by itself after
//! N working days where the organ turned that on.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::calendar::{beijing_date, deadline_end};
use renda::db;
use serde_json::json;

use super::{demo_unit, item_of, opinion_of, state_of};
use crate::demo_test;
use crate::support::TestApp;

/// Submits through the public API; (tracking number, query code, opinion id, item id).
async fn submitted(app: &TestApp, content: &str) -> (String, String, i64, i64) {
    let r = app.api("POST", "/api/v1/opinions", None, Some(json!({ "content": content }))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    let code = r.json()["query_code"].as_str().unwrap().to_string();
    (no.clone(), code, opinion_of(app, &no).await, item_of(app, &no).await)
}

/// Assigned to the demo unit as 主办, signed for and replied.
async fn replied(app: &TestApp, id: i64) {
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let body = json!({"units": [{"unit_id": demo_unit(app).await, "role": "lead"}], "due_working_days": 10});
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/assign"), Some(&staff), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    answer(app, &unit_token, id).await;
}

async fn answer(app: &TestApp, unit_token: &str, id: i64) {
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/accept"), Some(unit_token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let reply = json!({"result": "resolved", "text": "已派人处理完毕。"});
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/reply"), Some(unit_token), Some(reply)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn rate(app: &TestApp, no: &str, code: &str, grade: &str) {
    let r = app
        .api("POST", &format!("/api/v1/opinions/track/{no}/ratings"), None, Some(json!({"code": code, "grade": grade})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn every_loop_message_names_its_item_and_leads_to_it(app: TestApp) {
    let since = db::scalar_i64(app.db(), "SELECT COALESCE(max(id), 0) FROM notifications", vec![]).await.unwrap();
    let (no, code, id, item) = submitted(&app, "北关小区的路灯一到晚上就闪，像坏了的灯管，请检修。").await;
    replied(&app, id).await;
    rate(&app, &no, &code, "satisfied").await;

    let rows = db::query_rows(
        app.db(),
        "SELECT n.id, a.username, n.title, n.link, n.item_kind, n.item_type, n.item_id FROM notifications n \
         JOIN accounts a ON a.id = n.account_id WHERE n.id > $1 ORDER BY n.id",
        vec![since.into()],
    )
    .await
    .unwrap();
    let titles: Vec<String> = rows.iter().map(|r| r.try_get_by_index(2).unwrap()).collect();
    assert!(titles.iter().any(|t| t.starts_with("新交办事项")), "{titles:?}");
    assert!(titles.iter().any(|t| t == "承办单位已答复"), "{titles:?}");
    assert!(titles.iter().any(|t| t == "反映人评价：满意"), "staff hear of the rating: {titles:?}");
    let mut followed = 0;
    for r in &rows {
        let user: String = r.try_get_by_index(1).unwrap();
        let link: Option<String> = r.try_get_by_index(3).unwrap();
        assert_eq!(r.try_get_by_index::<Option<String>>(4).unwrap().as_deref(), Some("opinion"));
        assert_eq!(r.try_get_by_index::<Option<String>>(5).unwrap().as_deref(), Some("handling_item"));
        assert_eq!(r.try_get_by_index::<Option<i64>>(6).unwrap(), Some(item));
        let link = link.expect("a link");
        // The demo's accounts sign in with the test password.
        if !["staff", "unit"].contains(&user.as_str()) {
            continue;
        }
        let mut b = app.login(&user).await;
        let inbox = b.get("/console/inbox").await;
        assert!(inbox.body.contains(&no), "{user}'s inbox names the item");
        assert!(inbox.body.contains(&format!("href=\"{link}\"")), "{user}'s inbox links to it");
        let r = b.get(&link).await;
        let page = b.follow(r).await;
        assert_eq!(page.status, StatusCode::OK, "{user}: {link}: {}", page.body);
        assert!(page.body.contains(&no), "{user}: {link} is the item's page");
        followed += 1;
    }
    assert!(followed >= 3, "staff and the unit followed their links");
}
demo_test!(every_loop_message_names_its_item_and_leads_to_it);

async fn the_inbox_pages_filters_and_marks_all_read(app: TestApp) {
    let (no, _, _, item) = submitted(&app, "学府路人行道的地砖翘起来好几块，老人容易绊倒。").await;
    let staff_id = db::scalar_i64(app.db(), "SELECT id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let other = db::scalar_i64(app.db(), "SELECT id FROM accounts WHERE username = 'unit'", vec![]).await.unwrap();
    let booking = db::scalar_i64(app.db(), "SELECT min(id) FROM appointments", vec![]).await.unwrap();
    db::exec(app.db(), "UPDATE notifications SET read_at = 1 WHERE account_id = $1", vec![staff_id.into()])
        .await
        .unwrap();
    let link = format!("/console/handling/{item}");
    let about = renda::notify::About { kind: "opinion", record: Some(("handling_item", item)), link: &link };
    let blink = format!("/console/appointments/{booking}");
    let booked = renda::notify::About { kind: "appointment", record: Some(("appointment", booking)), link: &blink };
    for i in 0..25 {
        renda::notify::inbox_about(app.db(), &[staff_id, other], &about, &format!("测试消息 {i}"), "正文")
            .await
            .unwrap();
    }
    for i in 0..3 {
        renda::notify::inbox_about(app.db(), &[staff_id], &booked, &format!("预约消息 {i}"), "正文").await.unwrap();
    }
    // A message from before messages carried their item.
    renda::notify::inbox(app.db(), staff_id, "旧消息", "没有事项", None).await.unwrap();
    let total = renda::notify::count(app.db(), staff_id, None).await.unwrap();

    let mut staff = app.login("staff").await;
    let page = staff.get("/console/inbox").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.html().select(&scraper::Selector::parse("#notices > li").unwrap()).count(), 20);
    assert!(page.texts("#count")[0].contains(&format!("共 {total} 条")), "{:?}", page.texts("#count"));
    assert!(page.body.contains("旧消息"), "the newest first, the old message too");
    let kinds = page.texts("#kinds a");
    assert!(kinds.iter().any(|k| k.starts_with("民意（25 未读）")), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.starts_with("预约（3 未读）")), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.starts_with("其他")), "{kinds:?}");
    assert!(page.body.contains(&no), "the loop's messages name their item");
    // The next page continues where the first stopped.
    let next = page
        .html()
        .select(&scraper::Selector::parse("a[rel=next]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap()
        .replace("&amp;", "&");
    let second = staff.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    let n2 = second.html().select(&scraper::Selector::parse("#notices > li").unwrap()).count() as i64;
    assert_eq!(n2, (total - 20).min(20));
    assert!(second.texts("#count")[0].contains("第 2 页"));
    assert!(!second.body.contains("旧消息"));

    // By kind.
    let only = staff.get("/console/inbox?kind=appointment").await;
    assert_eq!(only.html().select(&scraper::Selector::parse("#notices > li").unwrap()).count(), 3);
    assert!(only.body.contains(&format!("href=\"{blink}\"")));
    let old = staff.get("/console/inbox?kind=other").await;
    assert!(old.body.contains("旧消息") && !old.body.contains("测试消息"));

    // 「全部标为已读」 of one kind, then of all; another account's messages stay unread.
    let r = staff.submit(&only, "form#read-all", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let unread = async |account: i64, kind: Option<&str>| {
        let mut sql = "SELECT count(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL".to_string();
        let mut v: Vec<sea_orm::Value> = vec![account.into()];
        if let Some(k) = kind {
            sql.push_str(" AND item_kind = $2");
            v.push(k.into());
        }
        db::scalar_i64(app.db(), &sql, v).await.unwrap()
    };
    let others = unread(other, Some("opinion")).await;
    assert!(others >= 25);
    assert_eq!(unread(staff_id, Some("appointment")).await, 0);
    assert_eq!(unread(staff_id, Some("opinion")).await, 25);
    let page = staff.get("/console/inbox").await;
    let r = staff.submit(&page, "form#read-all", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(unread(staff_id, None).await, 0);
    assert_eq!(unread(other, Some("opinion")).await, others, "only one's own inbox");
    let page = staff.get("/console/inbox").await;
    assert!(page.texts("form#read-all").is_empty(), "nothing left to mark");
}
demo_test!(the_inbox_pages_filters_and_marks_all_read);

/// Beijing noon of the day `days` from today, as Unix time.
fn noon(days: i64) -> i64 {
    deadline_end(beijing_date(db::now()) + chrono::Duration::days(days)) - 12 * 3600
}

async fn run(kind: &str, payload: serde_json::Value, app: &TestApp) {
    let job = renda::modules::state_modules().job(kind).expect("a registered job");
    (job.run)(&app.state, &payload.to_string()).await.unwrap();
}

async fn digests(app: &TestApp, organ: i64) -> Vec<(String, String)> {
    db::query_rows(
        app.db(),
        "SELECT n.title, n.body FROM notifications n JOIN accounts a ON a.id = n.account_id \
         WHERE a.organ_id = $1 AND n.title LIKE '新收到群众意见%' ORDER BY n.id",
        vec![organ.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
    .collect()
}

async fn the_daily_digest_counts_new_opinions_once_a_day(app: TestApp) {
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let path: String =
        db::query_rows(app.db(), "SELECT path FROM organs WHERE id = $1", vec![organ.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let staff = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM accounts a JOIN account_roles r ON r.account_id = a.id \
         WHERE a.organ_id = $1 AND r.role = 'staff' AND a.disabled = $2",
        vec![organ.into(), false.into()],
    )
    .await
    .unwrap();
    assert!(staff >= 1);
    // Counted by hand: the opinions of the organ's subtree created in (from, to].
    let by_hand = async |from: i64, to: i64| {
        db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM opinions WHERE created_at > $1 AND created_at <= $2 \
             AND organ_id IN (SELECT id FROM organs WHERE path LIKE $3)",
            vec![from.into(), to.into(), format!("{path}%").into()],
        )
        .await
        .unwrap()
    };
    let send = async |at: i64| run("opinion-digest-organ", json!({"organ_id": organ, "now": at}), &app).await;

    // Two days ago: the first digest counts the day before it.
    let d1 = noon(-2);
    send(d1).await;
    let n1 = by_hand(d1 - 86_400, d1).await;
    let got = digests(&app, organ).await;
    if n1 == 0 {
        assert!(got.is_empty(), "nothing new, nothing sent");
    } else {
        assert_eq!(got.len() as i64, staff, "one message per staff member");
        assert!(got.iter().all(|(t, _)| *t == format!("新收到群众意见 {n1} 件")), "{got:?}");
    }
    // Not twice in one day.
    send(d1 + 3600).await;
    assert_eq!(digests(&app, organ).await.len(), got.len());

    // Two new opinions today; the next digest counts from where the last one stopped.
    submitted(&app, "体育场东门外的垃圾桶满了好几天没人清运。").await;
    submitted(&app, "幸福小区二号楼的电梯经常停在半层，很吓人。").await;
    let d2 = db::now() + 60;
    send(d2).await;
    let n2 = by_hand(d1, d2).await;
    assert!(n2 >= 2);
    let got2 = digests(&app, organ).await;
    assert_eq!(got2.len() - got.len(), staff as usize, "{got2:?}");
    let (title, body) = got2.last().unwrap();
    assert_eq!(*title, format!("新收到群众意见 {n2} 件"));
    assert!(body.contains("待受理"), "{body}");
    // Each went to a staff member of the organ, with the link to the list waiting for triage.
    let wrong = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id \
         WHERE n.title LIKE '新收到群众意见%' AND (a.organ_id <> $1 OR n.link <> $2 OR n.item_kind <> 'opinion')",
        vec![organ.into(), renda::opinions::digest::LINK.into()],
    )
    .await
    .unwrap();
    assert_eq!(wrong, 0);

    // Tomorrow nothing came after today's digest: nothing is sent.
    send(d2 + 86_400).await;
    assert_eq!(digests(&app, organ).await.len(), got2.len());

    // The planner: one job per organ and day, at the organ's hour; none for an organ that turned it off.
    let jobs = async || {
        db::scalar_i64(app.db(), "SELECT count(*) FROM jobs WHERE kind = 'opinion-digest-organ'", vec![]).await.unwrap()
    };
    let before = jobs().await;
    run("opinion-digest", json!({"now": noon(5)}), &app).await;
    let planned = jobs().await - before;
    assert!(planned >= 1);
    run("opinion-digest", json!({"now": noon(5) + 60}), &app).await;
    assert_eq!(jobs().await - before, planned, "planned once a day");
    let at = db::scalar_i64(
        app.db(),
        "SELECT run_at FROM jobs WHERE dedupe_key = $1",
        vec![format!("opinion-digest-organ:{organ}:{}", beijing_date(noon(6))).into()],
    )
    .await
    .unwrap();
    assert_eq!(at, deadline_end(beijing_date(noon(6))) - 86_400 + 8 * 3600, "08:00 the next day (noon had passed)");
    let mut admin = app.login("admin").await;
    let form = admin.get(&format!("/console/handling/settings?organ={organ}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let r = admin.submit(&form, "form#loop-settings", &[("digest_hour", "18"), ("auto_close_days", "5")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let before = jobs().await;
    run("opinion-digest", json!({"now": noon(7)}), &app).await;
    let planned_off = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM jobs WHERE dedupe_key LIKE $1",
        vec![format!("opinion-digest-organ:{organ}:%").into()],
    )
    .await
    .unwrap();
    assert!(jobs().await >= before);
    assert_eq!(planned_off, 1, "the digest turned off (the box unticked) plans nothing more for the organ");
    send(noon(8)).await;
    assert_eq!(digests(&app, organ).await.len(), got2.len(), "an organ that turned it off gets none");
}
demo_test!(the_daily_digest_counts_new_opinions_once_a_day);

async fn auto_close_follows_a_satisfied_rating_after_working_days(app: TestApp) {
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let (no, code, id, item) = submitted(&app, "人民公园南门的台阶有一块石板松了，踩上去会晃。").await;
    replied(&app, id).await;
    rate(&app, &no, &code, "satisfied").await;
    // A second item: 不满意 twice (the second round stays 已答复 for staff to decide).
    let (no2, code2, id2, item2) = submitted(&app, "城东加油站旁边的路口红绿灯时间太短，行人过不去。").await;
    replied(&app, id2).await;
    rate(&app, &no2, &code2, "unsatisfied").await;
    answer(&app, &app.token("unit", Scope::Write).await, id2).await;
    rate(&app, &no2, &code2, "unsatisfied").await;
    assert_eq!(state_of(&app, item2).await, "replied");

    let close = async |at: i64| run("auto-close", json!({ "now": at }), &app).await;
    let calendar = renda::calendar::load(app.db()).await.unwrap();
    let due = calendar.add_working_days(beijing_date(db::now()), 3);
    let due_noon = deadline_end(due) - 12 * 3600;
    // Off (the default): nothing closes, however long it waits.
    close(due_noon + 30 * 86_400).await;
    assert_eq!(state_of(&app, item).await, "replied");

    // On, with 3 working days.
    let mut admin = app.login("admin").await;
    let form = admin.get(&format!("/console/handling/settings?organ={organ}")).await;
    let r = admin
        .submit(
            &form,
            "form#loop-settings",
            &[("digest_enabled", "on"), ("digest_hour", "8"), ("auto_close_enabled", "on"), ("auto_close_days", "3")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let bad = admin
        .submit(
            &form,
            "form#loop-settings",
            &[("auto_close_enabled", "on"), ("auto_close_days", "0"), ("digest_hour", "25")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("0 到 23") && bad.body.contains("1 到 60"), "{}", bad.body);
    assert_eq!(
        renda::handling::settings::of(app.db(), organ).await.unwrap().auto_close_days,
        3,
        "nothing half-written"
    );

    // The day before the third working day: not yet. On it: closed by the system.
    close(deadline_end(due) - 86_400 - 3600).await;
    assert_eq!(state_of(&app, item).await, "replied", "not before N working days");
    close(due_noon).await;
    assert_eq!(state_of(&app, item).await, "closed");
    let rows = db::query_rows(
        app.db(),
        "SELECT step, party, body, public FROM handling_events WHERE item_id = $1 ORDER BY id DESC LIMIT 1",
        vec![item.into()],
    )
    .await
    .unwrap();
    let (step, party, body, public): (String, String, String, bool) = (
        rows[0].try_get_by_index(0).unwrap(),
        rows[0].try_get_by_index(1).unwrap(),
        rows[0].try_get_by_index(2).unwrap(),
        rows[0].try_get_by_index(3).unwrap(),
    );
    assert_eq!((step.as_str(), party.as_str(), public), ("close", "system", true));
    assert!(body.starts_with("满意评价后3日自动办结"), "{body}");
    let audited = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'handling_step' AND target_id = $1 AND summary LIKE '%办结%'",
        vec![item.to_string().into()],
    )
    .await
    .unwrap();
    assert_eq!(audited, 1, "the loop's own close step, audited");
    // The citizen reads it on /track.
    let mut citizen = app.browser().await;
    citizen.get("/track").await;
    let t = citizen.post("/track", &[("no", &no), ("code", &code)]).await;
    assert!(t.body.contains("满意评价后3日自动办结"), "{}", t.body);
    // Running again changes nothing; 不满意 is never closed by itself.
    close(due_noon + 30 * 86_400).await;
    assert_eq!(state_of(&app, item2).await, "replied");
    let closes = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM handling_events WHERE item_id = $1 AND step = 'close'",
        vec![item.into()],
    )
    .await
    .unwrap();
    assert_eq!(closes, 1);
}
demo_test!(auto_close_follows_a_satisfied_rating_after_working_days);
