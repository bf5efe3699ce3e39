//! Issue 16: staff correct a 交办 — 撤回 (a unit's assignment taken back) and 改派 (moved to
//! another unit with a fresh deadline), before and after the unit signs for it; 签收 before 答复
//! as the organ's rule; a 协办 unit's own state beside the 主办's.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::calendar;
use renda::db;
use serde_json::{Value, json};

use super::{deadline_of, demo_unit, item_of, opinion_of, state_of};
use crate::demo_test;
use crate::suggestions::second_unit;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    db::scalar_i64(app.db(), sql, values).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// An opinion submitted through the public API: (opinion id, item id, tracking number, code).
async fn submitted(app: &TestApp, content: &str) -> (i64, i64, String, String) {
    let body = json!({"content": content, "phone": "13900000021", "name": "王小明", "consent": true});
    let r = app.api("POST", "/api/v1/opinions", None, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    let no = j["tracking_no"].as_str().unwrap().to_string();
    (opinion_of(app, &no).await, item_of(app, &no).await, no, j["query_code"].as_str().unwrap().to_string())
}

async fn step(app: &TestApp, who: &str, id: i64, name: &str, body: Value) -> axum::http::StatusCode {
    app.api("POST", &format!("/api/v1/opinions/{id}/{name}"), Some(who), Some(body)).await.status
}

/// The inbox of the accounts of `unit`: (title, body, link), oldest first.
async fn unit_inbox(app: &TestApp, unit: i64) -> Vec<(String, String, Option<String>)> {
    db::query_rows(
        app.db(),
        "SELECT n.title, n.body, n.link FROM notifications n JOIN accounts a ON a.id = n.account_id \
         WHERE a.unit_id = $1 ORDER BY n.id",
        vec![unit.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap()))
    .collect()
}

async fn assignment_state(app: &TestApp, item: i64, unit: i64) -> String {
    db::query_rows(
        app.db(),
        "SELECT state FROM handling_assignments WHERE item_id = $1 AND unit_id = $2 ORDER BY id DESC LIMIT 1",
        vec![item.into(), unit.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}

async fn detail(app: &TestApp, who: &str, id: i64) -> Value {
    let r = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(who), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn steps(d: &Value) -> Vec<String> {
    d["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

fn history_labels(d: &Value) -> Vec<String> {
    d["history"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap().to_string()).collect()
}

demo_test!(a_unit_is_withdrawn_before_and_after_it_signs);
async fn a_unit_is_withdrawn_before_and_after_it_signs(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let lead = demo_unit(&app).await;
    let (assist, assist_token) = second_unit(&app).await;
    let (id, item, ..) = submitted(&app, "东风路小学门口没有斑马线，孩子上学过马路很危险。").await;
    let body = json!({"units": [{"unit_id": lead, "role": "lead"}, {"unit_id": assist, "role": "assist"}], "text": "请会同办理"});
    assert_eq!(step(&app, &staff, id, "assign", body).await, StatusCode::OK);

    // The new steps are in the staff's `steps` (and not the units'), and in the `{step}` names.
    let d = detail(&app, &staff, id).await;
    assert!(steps(&d).contains(&"withdraw".to_string()) && steps(&d).contains(&"reassign".to_string()), "{d}");
    let names = renda::opinions::api::STEP_NAMES.all();
    assert!(names.contains(&"withdraw") && names.contains(&"reassign"));
    assert!(!steps(&detail(&app, &unit_token, id).await).contains(&"withdraw".to_string()));
    // Not by a unit; a reason and a unit are required; nothing is written by a refusal.
    assert_eq!(
        step(&app, &unit_token, id, "withdraw", json!({"unit_id": assist, "text": "x"})).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(step(&app, &staff, id, "withdraw", json!({"unit_id": assist})).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(step(&app, &staff, id, "withdraw", json!({"text": "交错了"})).await, StatusCode::UNPROCESSABLE_ENTITY);
    let other = count(&app, "SELECT max(id) FROM handling_units", vec![]).await + 1000;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/withdraw"),
            Some(&staff),
            Some(json!({"unit_id": other, "text": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("没有在办的交办"), "{}", r.body);
    assert_eq!(assignment_state(&app, item, assist).await, "active");

    // Before the 协办 unit signs: it is told it need not start; the 主办 hears nothing.
    let (lead_before, assist_before) = (unit_inbox(&app, lead).await.len(), unit_inbox(&app, assist).await.len());
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/withdraw"),
            Some(&staff),
            Some(json!({"unit_id": assist, "text": "此事不涉及该单位职责"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "assigned");
    assert_eq!(assignment_state(&app, item, assist).await, "withdrawn");
    let inbox = unit_inbox(&app, assist).await;
    assert_eq!(inbox.len(), assist_before + 1);
    let (title, body, link) = inbox.last().unwrap();
    assert!(title.contains("交办已撤回") && title.contains(&format!("事项 {item}")), "{title}");
    assert!(body.contains("尚未签收") && body.contains("无需办理") && body.contains("此事不涉及该单位职责"), "{body}");
    assert_eq!(link.as_deref(), Some(format!("/console/handling/{item}").as_str()));
    assert_eq!(unit_inbox(&app, lead).await.len(), lead_before, "before 签收 only the unit is told");
    // The withdrawn unit still reads the item (and why), but takes no step on it.
    let seen = detail(&app, &assist_token, id).await;
    let row = seen["assignments"].as_array().unwrap().iter().find(|a| a["unit_id"] == assist).unwrap().clone();
    assert_eq!(row["state"], "withdrawn");
    assert!(steps(&seen).is_empty(), "{seen}");
    assert_eq!(step(&app, &assist_token, id, "assist_opinion", json!({"text": "同意"})).await, StatusCode::FORBIDDEN);

    // After the 主办 signs: it is told to stop; with no answering unit left the item goes back
    // to triage, its deadline cleared.
    assert_eq!(step(&app, &unit_token, id, "accept", json!({})).await, StatusCode::OK);
    assert_eq!(step(&app, &unit_token, id, "progress", json!({"text": "已到现场查看"})).await, StatusCode::OK);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/withdraw"),
            Some(&staff),
            Some(json!({"unit_id": lead, "text": "改由街道先行协调"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "received");
    assert_eq!(state_of(&app, item).await, "received");
    assert_eq!(deadline_of(&app, item).await, None);
    assert_eq!(assignment_state(&app, item, lead).await, "withdrawn");
    let (title, body, link) = unit_inbox(&app, lead).await.last().unwrap().clone();
    assert!(title.contains("交办已撤回"), "{title}");
    assert!(body.contains("请停止办理") && body.contains("改由街道先行协调"), "{body}");
    assert_eq!(link.as_deref(), Some(format!("/console/handling/{item}").as_str()));
    // The history says which was which; the progress note stays in it.
    let h = detail(&app, &staff, id).await;
    let labels = history_labels(&h);
    assert!(labels.contains(&"撤回交办（未签收）".to_string()), "{labels:?}");
    assert!(labels.contains(&"撤回交办（已签收）".to_string()), "{labels:?}");
    assert!(h.to_string().contains("已到现场查看"));
    // The page shows the reasons under each unit, and the item can be assigned again.
    let mut browser = app.login("staff").await;
    let page = browser.get(&format!("/console/opinions/{id}")).await;
    assert!(page.body.contains("撤回理由：此事不涉及该单位职责") && page.body.contains("已撤回交办"), "{}", page.body);
    assert_eq!(
        step(&app, &staff, id, "withdraw", json!({"unit_id": lead, "text": "再撤一次"})).await,
        StatusCode::CONFLICT
    );
    let body = json!({"units": [{"unit_id": assist, "role": "lead"}]});
    assert_eq!(step(&app, &staff, id, "assign", body).await, StatusCode::OK);
}

demo_test!(a_reassigned_unit_hands_over_with_a_fresh_deadline);
async fn a_reassigned_unit_hands_over_with_a_fresh_deadline(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let first = demo_unit(&app).await;
    let (second, second_token) = second_unit(&app).await;
    let (id, item, no, code) = submitted(&app, "城南菜市场周边占道经营严重，早高峰车辆无法通行。").await;
    let body = json!({"units": [{"unit_id": first, "role": "lead"}], "due_working_days": 10});
    assert_eq!(step(&app, &staff, id, "assign", body).await, StatusCode::OK);
    assert_eq!(step(&app, &unit_token, id, "accept", json!({})).await, StatusCode::OK);
    // The first unit had the item for a while: its 交办 was six working days ago.
    let cal = calendar::load(app.db()).await.unwrap();
    let today = calendar::beijing_date(db::now());
    let mut then = today;
    while cal.working_days_between(then, today) < 6 {
        then = then.pred_opt().unwrap();
    }
    let old_deadline = cal.add_working_days(then, 10);
    db::exec(
        app.db(),
        "UPDATE handling_items SET assigned_on = $1, deadline = $2, deadline_at = $3, extended = 2 WHERE id = $4",
        vec![
            then.format("%Y-%m-%d").to_string().into(),
            old_deadline.format("%Y-%m-%d").to_string().into(),
            calendar::deadline_end(old_deadline).into(),
            item.into(),
        ],
    )
    .await
    .unwrap();

    // Not to the same unit, nor to one already on it; a reason is required.
    for (to, text) in [(first, "x"), (second, "")] {
        let body = json!({"unit_id": first, "to_unit_id": to, "text": text});
        assert_eq!(step(&app, &staff, id, "reassign", body).await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(assignment_state(&app, item, first).await, "accepted");
    let (first_before, second_before) = (unit_inbox(&app, first).await.len(), unit_inbox(&app, second).await.len());
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/reassign"),
            Some(&staff),
            Some(json!({"unit_id": first, "to_unit_id": second, "text": "占道经营属市场监管职责"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The new unit has not signed: the item waits for it again.
    assert_eq!(r.json()["state"], "assigned");

    // The deadline: the item's 10 working days again, counted from today (not what was left).
    let fresh = cal.add_working_days(today, 10);
    assert_ne!(fresh, old_deadline);
    assert_eq!(deadline_of(&app, item).await, Some(fresh.format("%Y-%m-%d").to_string()));
    let (assigned_on, extended): (String, i64) = {
        let r = &db::query_rows(
            app.db(),
            "SELECT assigned_on, extended FROM handling_items WHERE id = $1",
            vec![item.into()],
        )
        .await
        .unwrap()[0];
        (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())
    };
    assert_eq!((assigned_on, extended), (today.format("%Y-%m-%d").to_string(), 0));
    assert_eq!(assignment_state(&app, item, first).await, "reassigned");
    assert_eq!(assignment_state(&app, item, second).await, "active");

    // Both units are told, each naming the item with its link.
    let link = format!("/console/handling/{item}");
    let old = unit_inbox(&app, first).await;
    assert_eq!(old.len(), first_before + 1);
    let (t, b, l) = old.last().unwrap();
    assert!(t.contains("事项已改派") && t.contains(&format!("事项 {item}")), "{t}");
    assert!(b.contains("请停止办理") && b.contains("占道经营属市场监管职责"), "{b}");
    assert_eq!(l.as_deref(), Some(link.as_str()));
    let new = unit_inbox(&app, second).await;
    assert_eq!(new.len(), second_before + 1);
    let (t, b, l) = new.last().unwrap();
    assert!(t.contains("新交办事项（改派，主办）") && t.contains(&format!("事项 {item}")), "{t}");
    assert!(b.contains(&fresh.format("%Y-%m-%d").to_string()), "{b}");
    assert_eq!(l.as_deref(), Some(link.as_str()));

    // The submitter reads who handles it now and by when, not the internal reason.
    let t = app.api("GET", &format!("/api/v1/opinions/track/{no}?code={code}"), None, None).await;
    assert_eq!(t.status, StatusCode::OK);
    assert!(t.body.contains("改派") && t.body.contains(&fresh.format("%Y-%m-%d").to_string()), "{}", t.body);
    assert!(!t.body.contains("占道经营属市场监管职责"), "{}", t.body);
    let h = detail(&app, &staff, id).await;
    let line = h["history"].as_array().unwrap().iter().find(|l| l["step"] == "reassign").unwrap().clone();
    assert_eq!(line["label"], "改派（原单位已签收）");
    assert!(line["note"].as_str().unwrap().contains("占道经营属市场监管职责"), "{line}");

    // The old unit takes no step any more; the new one signs and replies.
    assert_eq!(
        step(&app, &unit_token, id, "reply", json!({"result": "resolved", "text": "已处理"})).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(step(&app, &second_token, id, "accept", json!({})).await, StatusCode::OK);
    let body = json!({"result": "resolved", "text": "已清理占道摊点，设置临时疏导岗。"});
    assert_eq!(step(&app, &second_token, id, "reply", body).await, StatusCode::OK);
    assert_eq!(state_of(&app, item).await, "replied");
    let replies = count(
        &app,
        "SELECT count(*) FROM handling_replies WHERE item_id = $1 AND unit_id = $2",
        vec![item.into(), second.into()],
    )
    .await;
    assert_eq!(replies, 1);
}

demo_test!(signing_before_replying_is_the_organs_rule);
async fn signing_before_replying_is_the_organs_rule(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let unit = demo_unit(&app).await;
    let (id, item, ..) = submitted(&app, "新华小区二期的路灯一到晚上就闪，好几个月了。").await;
    let body = json!({"units": [{"unit_id": unit, "role": "lead"}]});
    assert_eq!(step(&app, &staff, id, "assign", body).await, StatusCode::OK);

    // On by default: a unit that has not signed is offered 签收, not the reply, and is refused.
    let d = detail(&app, &unit_token, id).await;
    assert!(steps(&d).contains(&"accept".to_string()) && !steps(&d).contains(&"reply".to_string()), "{d}");
    let mut browser = app.login("unit").await;
    let page = browser.get(&format!("/console/opinions/{id}")).await;
    assert!(page.body.contains("value=\"accept\"") && !page.body.contains("value=\"reply\""), "{}", page.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/reply"),
            Some(&unit_token),
            Some(json!({"result": "resolved", "text": "已修复"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains("请先签收"), "{}", r.body);
    assert_eq!(count(&app, "SELECT count(*) FROM handling_replies WHERE item_id = $1", vec![item.into()]).await, 0);

    // Only those who triage the organ's items set its rule.
    let mut unit_browser = app.login("unit").await;
    let r = unit_browser.post("/console/handling/rules", &[]).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    let mut staff_browser = app.login("staff").await;
    let page = staff_browser.get("/console/handling/rules").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("默认设置") && page.body.contains("checked"), "{}", page.body);
    // Turned off (the box unticked): the same unit, still unsigned, gets the form and replies.
    let r = staff_browser.post("/console/handling/rules", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = staff_browser.get("/console/handling/rules").await;
    assert!(page.body.contains("本机关已自行设置") && !page.body.contains(" checked"), "{}", page.body);
    let audited = count(&app, "SELECT count(*) FROM audit_log WHERE action = 'handling_rules'", vec![]).await;
    assert_eq!(audited, 1);
    // An organ below follows it unless it sets its own.
    let path: String = db::query_rows(
        app.db(),
        "SELECT o.path FROM organs o JOIN accounts a ON a.organ_id = o.id WHERE a.username = 'staff'",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(renda::handling::model::accept_rule(app.db(), &format!("{path}99/")).await.unwrap(), Some(false));
    let d = detail(&app, &unit_token, id).await;
    assert!(steps(&d).contains(&"reply".to_string()), "{d}");
    let page = browser.get(&format!("/console/opinions/{id}")).await;
    assert!(page.body.contains("value=\"reply\""), "{}", page.body);
    let body = json!({"result": "resolved", "text": "已更换镇流器，路灯恢复正常。"});
    assert_eq!(step(&app, &unit_token, id, "reply", body).await, StatusCode::OK);
    assert_eq!(state_of(&app, item).await, "replied");
    assert_eq!(assignment_state(&app, item, unit).await, "replied");
}

demo_test!(an_assisting_unit_keeps_its_own_state);
async fn an_assisting_unit_keeps_its_own_state(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let lead = demo_unit(&app).await;
    let (assist, assist_token) = second_unit(&app).await;
    let (quiet, quiet_item, quiet_no, _) = submitted(&app, "滨河公园的健身器材坏了好几件，老人锻炼不方便。").await;
    let (spoke, _, spoke_no, _) = submitted(&app, "滨河公园厕所晚上不开门，游客很不方便。").await;
    for id in [quiet, spoke] {
        let body = json!({"units": [{"unit_id": lead, "role": "lead"}, {"unit_id": assist, "role": "assist"}]});
        assert_eq!(step(&app, &staff, id, "assign", body).await, StatusCode::OK);
    }
    // The 协办 unit speaks on one of them only.
    let body = json!({"text": "公园厕所开放时间可延长至22点"});
    assert_eq!(step(&app, &assist_token, spoke, "assist_opinion", body).await, StatusCode::OK);
    for id in [quiet, spoke] {
        assert_eq!(step(&app, &unit_token, id, "accept", json!({})).await, StatusCode::OK);
        let body = json!({"result": "resolved", "text": "已处理完毕"});
        assert_eq!(step(&app, &unit_token, id, "reply", body).await, StatusCode::OK);
    }
    assert_eq!(state_of(&app, quiet_item).await, "replied");
    // The 主办's reply did not make the silent 协办 unit 已答复.
    assert_eq!(assignment_state(&app, quiet_item, assist).await, "lapsed");
    let d = detail(&app, &assist_token, quiet).await;
    let row = d["assignments"].as_array().unwrap().iter().find(|a| a["unit_id"] == assist).unwrap().clone();
    assert_eq!(row["state"], "lapsed");
    // Its list says its own part beside the item's state, each row its own.
    let mut browser = app.login("unit-b").await;
    let list = browser.get("/console/opinions").await;
    let html = list.html();
    let sel = scraper::Selector::parse("table.opinions tbody tr").unwrap();
    let row_of = |no: &str| {
        html.select(&sel).find(|r| r.text().collect::<String>().contains(no)).map(|r| r.text().collect::<String>())
    };
    let quiet_row = row_of(&quiet_no).expect("the quiet item is in the 协办 unit's list");
    assert!(quiet_row.contains("本单位：未提出意见") && !quiet_row.contains("本单位：已答复"), "{quiet_row}");
    let spoke_row = row_of(&spoke_no).expect("the other item too");
    assert!(spoke_row.contains("本单位：已提出协办意见"), "{spoke_row}");
    // The 主办's list says 已答复 for its own part.
    let mut lead_browser = app.login("unit").await;
    let list = lead_browser.get("/console/opinions").await;
    assert!(list.body.contains("本单位：已答复"), "{}", list.body);
}
