//! Issue 20: every free text written by staff or units in the loop is either shown to the
//! submitter (labelled 「反映人可见」 on its form) or internal (「仅内部可见」) and never reaches
//! the citizen or the public — one table (`Step::text_audience`), walked step by step here.
//! With it, the smaller rules of the same kind: 签收 before 答复, staff entries in their own
//! organ's queue, a deputy seeing the opinions of their stations.

use axum::http::StatusCode;
use renda::auth::Role;
use renda::db;
use renda::handling::flow::{Audience, Step};

use super::public_data::submit;
use crate::demo_test;
use crate::opinions::{a_station, demo_unit, item_of, opinion_of};
use crate::support::{Browser, TestApp};

async fn step(b: &mut Browser<'_>, item: i64, fields: &[(&str, &str)]) {
    let r = b.post(&format!("/console/handling/{item}/step"), fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.body);
}

async fn track(app: &TestApp, no: &str, code: &str) -> String {
    let r = app.browser().await.post("/track", &[("no", no), ("code", code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn every_text_of_the_loop_goes_where_its_label_says(app: TestApp) {
    let unit = demo_unit(&app).await.to_string();
    let mut staff = app.login("staff").await;
    let mut u = app.login("unit").await;
    let mut citizen = app.browser().await;
    // (step, marker written with it) for every step that takes a text.
    let mut written: Vec<(Step, &str)> = Vec::new();

    // One item through 交办, 延期, 督办, 签收, 进展, 答复, 评价, 二次办理, 办结.
    let (no, code) =
        submit(&app, "内部文字测试甲：西关村的自来水三天两头停，老人做饭都成问题，请协调供水。", false).await;
    let item = item_of(&app, &no).await;
    step(&mut staff, item, &[("step", "assign"), ("unit", &unit), ("role", "lead"), ("text", "标记交办意见")]).await;
    written.push((Step::Assign, "标记交办意见"));
    // The form says who reads it.
    let opinion = opinion_of(&app, &no).await;
    step(&mut u, item, &[("step", "accept")]).await;
    step(&mut u, item, &[("step", "request_extension"), ("days", "3"), ("text", "标记延期理由")]).await;
    written.push((Step::RequestExtension, "标记延期理由"));
    let page = staff.get(&format!("/console/opinions/{opinion}")).await;
    assert!(page.body.contains("仅内部可见"), "internal fields are labelled");
    step(
        &mut staff,
        item,
        &[
            ("step", "decide_extension"),
            ("unit_id", &unit),
            ("decision", "approve"),
            ("days", "3"),
            ("text", "标记延期审批"),
        ],
    )
    .await;
    written.push((Step::DecideExtension, "标记延期审批"));
    step(&mut staff, item, &[("step", "supervise"), ("kind", "urge"), ("text", "标记督办内容")]).await;
    written.push((Step::Supervise, "标记督办内容"));
    step(&mut u, item, &[("step", "progress"), ("text", "标记办理进展")]).await;
    written.push((Step::Progress, "标记办理进展"));
    let page = u.get(&format!("/console/opinions/{opinion}")).await;
    assert!(page.body.contains("反映人可见"), "the reply field says the submitter reads it");
    step(&mut u, item, &[("step", "reply"), ("outcome", "in_progress"), ("text", "标记第一次答复")]).await;
    written.push((Step::Reply, "标记第一次答复"));
    let r = citizen
        .post("/track/rate", &[("no", &no), ("code", &code), ("grade", "unsatisfied"), ("comment", "标记评价意见")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    written.push((Step::Rate, "标记评价意见"));
    step(&mut u, item, &[("step", "accept")]).await;
    step(&mut u, item, &[("step", "reply"), ("outcome", "resolved"), ("text", "标记第二次答复")]).await;
    step(&mut staff, item, &[("step", "close"), ("text", "标记办结说明")]).await;
    written.push((Step::Close, "标记办结说明"));
    // The units read the 交办意见 in their inbox.
    let inbox = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id \
         WHERE a.username = 'unit' AND n.body LIKE '%标记交办意见%'",
        vec![],
    )
    .await
    .unwrap();
    assert!(inbox >= 1, "the unit was told the 交办意见");
    let seen = track(&app, &no, &code).await;

    // 不予受理 and 直接答复, each on its own item; 退回 on a third.
    let (no_b, code_b) = submit(&app, "内部文字测试乙：邻居家装修噪音大，晚上十点还在施工，影响休息。", false).await;
    step(&mut staff, item_of(&app, &no_b).await, &[("step", "reject"), ("text", "标记不予受理")]).await;
    written.push((Step::Reject, "标记不予受理"));
    let (no_c, code_c) = submit(&app, "内部文字测试丙：想了解城乡居民医保今年的缴费标准和截止时间。", false).await;
    step(&mut staff, item_of(&app, &no_c).await, &[("step", "answer_directly"), ("text", "标记直接答复")]).await;
    written.push((Step::AnswerDirectly, "标记直接答复"));
    let (no_d, code_d) = submit(&app, "内部文字测试丁：村里的健身广场晚上没有照明，希望装几盏路灯。", false).await;
    let item_d = item_of(&app, &no_d).await;
    step(&mut staff, item_d, &[("step", "assign"), ("unit", &unit), ("role", "lead")]).await;
    step(&mut u, item_d, &[("step", "return"), ("text", "标记退回理由")]).await;
    written.push((Step::Return, "标记退回理由"));
    let seen =
        [seen, track(&app, &no_b, &code_b).await, track(&app, &no_c, &code_c).await, track(&app, &no_d, &code_d).await]
            .concat();

    // The table decides; and the table itself says what the forms promise.
    assert_eq!(Step::Assign.text_audience(), Audience::Internal, "交办意见 is for the units");
    assert_eq!(Step::Progress.text_audience(), Audience::Internal);
    assert_eq!(Step::Reply.text_audience(), Audience::Submitter);
    assert_eq!(Step::Reject.text_audience(), Audience::Submitter);
    for (s, marker) in &written {
        let shown = seen.contains(marker);
        match s.text_audience() {
            Audience::Submitter => assert!(shown, "{s:?}: {marker} is for the submitter but not on /track"),
            Audience::Internal => assert!(!shown, "{s:?}: {marker} is internal but on /track"),
        }
    }
    // The submitter still sees that it was assigned, and to whom.
    assert!(seen.contains("交办"), "the 交办 line itself is shown");

    // Open311 with a key gives the lines the submitters see, no more.
    let key = app.token("staff", renda::auth::Scope::Read).await;
    let updates = app
        .browser()
        .await
        .get(&format!("/open311/v2/servicerequestupdates.json?start_date=2000-01-01T00:00:00Z&api_key={key}"))
        .await;
    assert_eq!(updates.status, StatusCode::OK, "{}", updates.body);
    for (s, marker) in &written {
        if s.text_audience() == Audience::Internal {
            assert!(!updates.body.contains(marker), "{marker} in Open311 updates");
        }
    }
}
demo_test!(every_text_of_the_loop_goes_where_its_label_says);

/// 签收 comes before 答复: a unit cannot reply to what it has not signed for.
async fn a_unit_signs_for_an_item_before_it_replies(app: TestApp) {
    let (no, _) = submit(&app, "签收测试：北街菜市场的公厕长期无人打扫，气味很大，请安排保洁。", false).await;
    let item = item_of(&app, &no).await;
    let unit = demo_unit(&app).await.to_string();
    let mut staff = app.login("staff").await;
    step(&mut staff, item, &[("step", "assign"), ("unit", &unit), ("role", "lead")]).await;
    let mut u = app.login("unit").await;
    let r = u
        .post(
            &format!("/console/handling/{item}/step"),
            &[("step", "reply"), ("outcome", "resolved"), ("text", "已安排")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("请先签收"), "{}", r.body);
    let replies =
        db::scalar_i64(app.db(), "SELECT count(*) FROM handling_replies WHERE item_id = $1", vec![item.into()])
            .await
            .unwrap();
    assert_eq!(replies, 0, "nothing written");
    step(&mut u, item, &[("step", "accept")]).await;
    step(&mut u, item, &[("step", "reply"), ("outcome", "resolved"), ("text", "已安排专人每日保洁。")]).await;
}
demo_test!(a_unit_signs_for_an_item_before_it_replies);

/// A township's staff enter an opinion into their own organ's queue, and see it afterwards.
async fn a_townships_staff_enter_into_their_own_queue(app: TestApp) {
    let township = app.organ_id("370782001").await;
    app.add_account("town_staff", township, &[Role::Staff]).await;
    let mut t = app.login("town_staff").await;
    let r = t
        .post(
            "/console/opinions/new",
            &[("content", "乡镇录入测试：镇东头的小桥栏杆松动，小学生每天经过，请尽快加固。"), ("category", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let organ = db::scalar_i64(app.db(), "SELECT organ_id FROM opinions WHERE content LIKE '乡镇录入测试%'", vec![])
        .await
        .unwrap();
    assert_eq!(organ, township, "entered into the township's own queue");
    let id =
        db::scalar_i64(app.db(), "SELECT id FROM opinions WHERE content LIKE '乡镇录入测试%'", vec![]).await.unwrap();
    let page = t.get(&format!("/console/opinions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "the township's staff see what they entered");
    assert!(t.get("/console/opinions").await.body.contains("小桥栏杆松动"));
}
demo_test!(a_townships_staff_enter_into_their_own_queue);

/// OPN-11: a deputy sees the opinions that came through the stations they serve at (and only
/// sees them: answering stays with the deputy it was raised with and with staff).
async fn a_deputy_sees_the_opinions_of_their_stations(app: TestApp) {
    let person =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let station = a_station(&app).await;
    db::exec(app.db(), "DELETE FROM station_deputies WHERE person_id = $1", vec![person.into()]).await.unwrap();
    let (no, _) = submit(&app, "站点代表测试：社区卫生服务站周末不开门，老人看病不方便，建议轮班。", false).await;
    let opinion = opinion_of(&app, &no).await;
    let mut d = app.login("deputy").await;
    let r = d.get(&format!("/console/opinions/{opinion}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not the deputy's station yet");
    db::exec(
        app.db(),
        "INSERT INTO station_deputies (station_id, person_id, created_at) VALUES ($1, $2, 0)",
        vec![station.into(), person.into()],
    )
    .await
    .unwrap();
    let r = d.get(&format!("/console/opinions/{opinion}")).await;
    assert_eq!(r.status, StatusCode::OK, "a deputy of the station sees it");
    assert!(d.get("/console/opinions").await.body.contains(&no), "and finds it in their list");
    // Seeing is not handling: no triage for a deputy.
    let item = item_of(&app, &no).await;
    let r = d.post(&format!("/console/handling/{item}/step"), &[("step", "reject"), ("text", "不归我管")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
demo_test!(a_deputy_sees_the_opinions_of_their_stations);
