//! A citizen's opinion from a station's QR page through triage, 交办, a unit's reply, a
//! 不满意 rating, 二次办理, a 满意 rating and 办结 to `/public` — in the pages, with the
//! deadline pushed by holidays the admin entered.

use axum::http::StatusCode;
use renda::calendar::{self, DayKind};
use renda::db;

use super::{a_station, deadline_of, demo_unit, item_of, opinion_of, state_of};
use crate::demo_test;
use crate::support::TestApp;

const CONTENT: &str = "幸福路和建设街路口的两盏路灯坏了两个月，晚上出行很不安全，请尽快修复。";

async fn a_citizen_opinion_goes_round_the_loop_to_public(app: TestApp) {
    let station = a_station(&app).await;
    let mut citizen = app.browser().await;
    let sms_before = db::scalar_i64(app.db(), "SELECT COALESCE(max(id), 0) FROM sms_outbox", vec![]).await.unwrap();

    // The station's QR page leads to the form.
    let page = citizen.get(&format!("/s/{station}")).await;
    assert!(page.body.contains(&format!("/opinions/new?station={station}")), "no link to the form");
    let form = citizen.get(&format!("/opinions/new?station={station}")).await;
    assert_eq!(form.status, StatusCode::OK);
    let r = citizen
        .post(
            "/opinions/new",
            &[
                ("station", &station.to_string()),
                ("content", CONTENT),
                ("name", "王建民"),
                ("phone", "13805361234"),
                ("consent", "on"),
                ("allow_public", "on"),
            ],
        )
        .await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let no = r.texts("#tracking-no")[0].clone();
    let code = r.texts("#query-code")[0].clone();
    assert_eq!(code.len(), 6);
    let item = item_of(&app, &no).await;
    let opinion = opinion_of(&app, &no).await;
    assert_eq!(state_of(&app, item).await, "received");
    // The receipt went out by SMS (the built-in provider's outbox), the phone masked there.
    let sms = renda::notify::sent_since(app.db(), &app.state.crypto, sms_before).await.unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].phone_masked, "138****1234");
    assert!(sms[0].body.contains(&code));

    // The admin enters two holidays on the next two working days.
    let today = calendar::beijing_date(db::now());
    let before = calendar::load(app.db()).await.unwrap();
    let h1 = before.add_working_days(today, 1);
    let h2 = before.add_working_days(today, 2);
    let mut admin = app.login("admin").await;
    for d in [h1, h2] {
        let r = admin
            .post(
                "/console/calendar",
                &[("date", &d.format("%Y-%m-%d").to_string()), ("kind", "holiday"), ("name", "测试假日")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let after = calendar::load(app.db()).await.unwrap();
    assert!(!after.is_working_day(h1) && !after.is_working_day(h2));

    // Staff assign it to the demo unit as 主办 with five working days.
    let unit = demo_unit(&app).await;
    let mut staff = app.login("staff").await;
    let list = staff.get("/console/opinions").await;
    assert!(list.body.contains(&no), "staff list lacks the opinion");
    let detail = staff.get(&format!("/console/opinions/{opinion}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(!detail.body.contains("13805361234") && detail.body.contains("138****1234"), "the page masks the phone");
    let contact = staff.submit(&detail, "form#see-contact", &[]).await;
    assert_eq!(contact.status, StatusCode::OK, "{}", contact.body);
    assert!(contact.body.contains("王建民") && contact.body.contains("13805361234"), "staff read the caller in full");
    let r = staff
        .post(
            &format!("/console/handling/{item}/step"),
            &[("step", "assign"), ("unit", &unit.to_string()), ("role", "lead"), ("days", "5"), ("text", "请核实修复")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&app, item).await, "assigned");
    let deadline = deadline_of(&app, item).await.unwrap();
    assert_eq!(deadline, after.add_working_days(today, 5).format("%Y-%m-%d").to_string());
    assert_eq!(
        calendar::parse_date(&deadline).unwrap(),
        before.add_working_days(before.add_working_days(today, 5), 2),
        "the two holidays push the deadline two working days"
    );
    // The unit got it in its inbox.
    let inbox = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id \
         WHERE a.username = 'unit' AND n.title LIKE '新交办事项%' AND n.link = $1",
        vec![format!("/console/handling/{item}").into()],
    )
    .await
    .unwrap();
    assert_eq!(inbox, 1);

    // The unit signs for it and replies.
    let mut unit_user = app.login("unit").await;
    let list = unit_user.get("/console/opinions").await;
    assert!(list.body.contains(&no), "the unit's list lacks the opinion");
    let detail = unit_user.get(&format!("/console/opinions/{opinion}")).await;
    assert!(!detail.body.contains("13805361234") && detail.body.contains("138****1234"), "units see the phone masked");
    for fields in [
        vec![("step", "accept")],
        vec![("step", "reply"), ("outcome", "resolved"), ("text", "已更换一盏路灯，另一盏线路老化，正在维修。")],
    ] {
        let r = unit_user.post(&format!("/console/handling/{item}/step"), &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.body);
    }
    assert_eq!(state_of(&app, item).await, "replied");

    // The citizen reads the reply on /track and is not satisfied: a second round opens by itself.
    let t = citizen.post("/track", &[("no", &no), ("code", &code.to_lowercase())]).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert!(t.body.contains("已更换一盏路灯") && t.body.contains("name=\"grade\""));
    let r = citizen
        .post("/track/rate", &[("no", &no), ("code", &code), ("grade", "unsatisfied"), ("comment", "还有一盏不亮")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("二次办理"));
    assert_eq!(state_of(&app, item).await, "rehandling");
    let round =
        db::scalar_i64(app.db(), "SELECT round FROM handling_items WHERE id = $1", vec![item.into()]).await.unwrap();
    assert_eq!(round, 2);
    // Rating twice in a round is refused.
    let again = citizen.post("/track/rate", &[("no", &no), ("code", &code), ("grade", "satisfied")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Second round: the unit replies again; the citizen is satisfied; staff close.
    for fields in [
        vec![("step", "accept")],
        vec![("step", "reply"), ("outcome", "resolved"), ("text", "两盏路灯均已修复，线路已更换。")],
    ] {
        let r = unit_user.post(&format!("/console/handling/{item}/step"), &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.body);
    }
    let r = citizen.post("/track/rate", &[("no", &no), ("code", &code), ("grade", "satisfied")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(state_of(&app, item).await, "replied");
    let r = staff.post(&format!("/console/handling/{item}/step"), &[("step", "close"), ("text", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state_of(&app, item).await, "closed");

    // Every step is in the history, in order.
    let steps: Vec<String> =
        db::query_rows(app.db(), "SELECT step FROM handling_events WHERE item_id = $1 ORDER BY id", vec![item.into()])
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
    assert_eq!(
        steps,
        ["submit", "assign", "accept", "reply", "rate", "reopen", "accept", "reply", "rate", "close"],
        "history"
    );
    // SMS: receipt, first reply, second reply, closing.
    let sms = db::scalar_i64(app.db(), "SELECT count(*) FROM sms_outbox WHERE id > $1", vec![sms_before.into()])
        .await
        .unwrap();
    assert_eq!(sms, 4);

    // 码上公开: not before staff publish it; then found by a word of it, with the reply,
    // without name or phone.
    let p = citizen.get("/public?q=路灯").await;
    assert!(!p.body.contains(&no), "closed is not yet public");
    let preview = staff.get(&format!("/console/opinions/{opinion}/publish")).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let title = preview
        .html()
        .select(&scraper::Selector::parse("#pub-title").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    let body = preview.texts("#pub-body")[0].clone();
    let reply = preview.texts("#pub-reply")[0].clone();
    let r = staff
        .post(&format!("/console/opinions/{opinion}/publish"), &[("title", &title), ("body", &body), ("reply", &reply)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let p = citizen.get("/public?q=路灯").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(&no) || p.body.contains("两盏路灯均已修复"), "{}", p.body);
    assert!(p.body.contains("<mark>路灯</mark>"), "search hit not highlighted");
    assert!(!p.body.contains("13805361234") && !p.body.contains("王建民"), "personal data on /public");
    let none = citizen.get("/public?q=垃圾分类").await;
    assert!(!none.body.contains("两盏路灯均已修复"));
}
demo_test!(a_citizen_opinion_goes_round_the_loop_to_public);

async fn a_unit_sees_only_its_items_and_a_township_only_its_own(app: TestApp) {
    let station = a_station(&app).await;
    let mut citizen = app.browser().await;
    let r = citizen.post("/opinions/new", &[("station", &station.to_string()), ("content", CONTENT)]).await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let no = r.texts("#tracking-no")[0].clone();
    let (item, opinion) = (item_of(&app, &no).await, opinion_of(&app, &no).await);
    let unit = demo_unit(&app).await;
    let mut staff = app.login("staff").await;
    staff
        .post(
            &format!("/console/handling/{item}/step"),
            &[("step", "assign"), ("unit", &unit.to_string()), ("role", "lead")],
        )
        .await;

    // Another unit of the same organ sees nothing of it and cannot act on it.
    let organ: i64 =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'unit'", vec![]).await.unwrap();
    let other_unit: i64 =
        db::scalar_i64(app.db(), "SELECT min(id) FROM handling_units WHERE id <> $1", vec![unit.into()]).await.unwrap();
    let other = app.add_account("unit_b", organ, &[renda::auth::Role::Unit]).await;
    db::exec(app.db(), "UPDATE accounts SET unit_id = $1 WHERE id = $2", vec![other_unit.into(), other.into()])
        .await
        .unwrap();
    let mut b = app.login("unit_b").await;
    assert_eq!(b.get(&format!("/console/opinions/{opinion}")).await.status, StatusCode::NOT_FOUND);
    assert!(!b.get("/console/opinions").await.body.contains(&no));
    let r = b.post(&format!("/console/handling/{item}/step"), &[("step", "accept")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(super::state_of(&app, item).await, "assigned");

    // Staff of a township below the county see none of the county's items.
    let township = app.add_organ("T9", "测试镇人大主席团", organ).await;
    app.add_account("town_staff", township, &[renda::auth::Role::Staff]).await;
    let mut t = app.login("town_staff").await;
    assert_eq!(t.get(&format!("/console/opinions/{opinion}")).await.status, StatusCode::NOT_FOUND);
    assert!(!t.get("/console/opinions").await.body.contains(&no));

    // The unit may not close or reassign; a leader may 督办 but not reply.
    let mut u = app.login("unit").await;
    let r = u.post(&format!("/console/handling/{item}/step"), &[("step", "close")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut leader = app.login("leader").await;
    let r = leader.post(&format!("/console/handling/{item}/step"), &[("step", "supervise"), ("kind", "flag")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = leader
        .post(&format!("/console/handling/{item}/step"), &[("step", "reply"), ("outcome", "resolved"), ("text", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let flagged = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM handling_items WHERE id = $1 AND flagged = true",
        vec![item.into()],
    )
    .await
    .unwrap();
    assert_eq!(flagged, 1);
}
demo_test!(a_unit_sees_only_its_items_and_a_township_only_its_own);

async fn bad_input_is_refused_in_chinese_and_nothing_is_stored(app: TestApp) {
    let station = a_station(&app).await.to_string();
    let mut c = app.browser().await;
    let count = || async { db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap() };
    let before = count().await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("content", "太短")], "至少"),
        (&[("content", CONTENT), ("phone", "12345")], "11 位手机号"),
        (&[("content", CONTENT), ("phone", "13805361234")], "勾选同意"),
        (&[("content", CONTENT), ("category", "不存在的类别")], "从列表中选择"),
        (&[("content", &"长".repeat(2001))], "不能超过"),
    ];
    for (fields, message) in cases {
        let mut all = fields.to_vec();
        all.push(("station", &station));
        let r = c.post("/opinions/new", &all).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(r.body.contains(message), "{fields:?}: {message}");
    }
    let r = c.post("/opinions/new", &[("station", "abc"), ("content", CONTENT)]).await;
    assert!(r.status.is_client_error());
    let r = c.post("/opinions/new", &[("station", "999999"), ("content", CONTENT)]).await;
    assert!(r.status.is_client_error(), "unknown station: {}", r.status);
    let r = c.post("/opinions/new", &[("content", "路灯\u{0007}坏了很久了请修")]).await;
    assert!(r.status.is_client_error());
    assert_eq!(count().await, before, "a refused submission left a row");

    // The word list holds (never drops): the submission is kept in 待审核 until staff release it.
    let r = c.post("/opinions/new", &[("content", "小区里有人推销赌博网站，请查处。")]).await;
    let r = c.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let held = r.texts("#tracking-no")[0].clone();
    let item = item_of(&app, &held).await;
    assert_eq!(state_of(&app, item).await, "held");
    let mut staff = app.login("staff").await;
    let r = staff.post(&format!("/console/handling/{item}/step"), &[("step", "release")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, item).await, "received");

    // The same text again within minutes is a repeat (409), not a second opinion.
    let r = c.post("/opinions/new", &[("content", "小区里有人推销赌博网站，请查处。")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("请不要重复提交"));

    // Per-address limit: ten an hour, then a 429 in Chinese.
    let mut last = StatusCode::OK;
    for i in 0..12 {
        let r = c.post("/opinions/new", &[("content", &format!("第{i}次反映：菜市场门口占道经营，交通拥堵。"))]).await;
        last = r.status;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.body.contains("一小时内最多提交"));
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);

    // A wrong query code finds nothing, and says so in Chinese.
    let r = c.post("/track", &[("no", &held), ("code", "ZZZZZZ")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("查询编号或查询码不正确"));
}
demo_test!(bad_input_is_refused_in_chinese_and_nothing_is_stored);

/// The calendar: admins of the top organ edit it, others only read; stored days round-trip.
async fn the_calendar_is_edited_by_the_top_admin_only(app: TestApp) {
    let mut staff = app.login("staff").await;
    let page = staff.get("/console/calendar?year=2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("国庆节") && page.body.contains("2026-10-10"));
    let r = staff.post("/console/calendar", &[("date", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut admin = app.login("admin").await;
    let r = admin.post("/console/calendar", &[("date", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin.post("/console/calendar", &[("date", "2027-13-01"), ("kind", "holiday")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let days = calendar::days(app.db()).await.unwrap();
    assert!(days.iter().any(|d| d.date.format("%Y-%m-%d").to_string() == "2027-01-01" && d.kind == DayKind::Holiday));
    let r = admin.post("/console/calendar/2027-01-01/remove", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!calendar::load(app.db()).await.unwrap().is_working_day(calendar::parse_date("2026-10-01").unwrap()));
}
demo_test!(the_calendar_is_edited_by_the_top_admin_only);
