//! A reception through the console and the API: the deputies-present rule, issues entered as
//! opinions, the lists, feedback fulfilment and overdue promises, and who may do what.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use serde_json::json;

use super::{count, deputies_of, keeper_station, post_reception, reception_of};
use crate::demo_test;
use crate::support::TestApp;

const ISSUES: &str =
    "东风街菜市场门口占道经营严重，早上车辆无法通行。\n\n  社区卫生室药品种类少，慢性病患者经常要跑到城区拿药。  \n";

fn today() -> String {
    renda::calendar::beijing_date(db::now()).format("%Y-%m-%d").to_string()
}

fn days_ago(n: i64) -> String {
    (renda::calendar::beijing_date(db::now()) - chrono::Duration::days(n)).format("%Y-%m-%d").to_string()
}

async fn stored(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        count(app, "SELECT count(*) FROM receptions").await,
        count(app, "SELECT count(*) FROM reception_deputies").await,
        count(app, "SELECT count(*) FROM reception_items").await,
        count(app, "SELECT count(*) FROM opinions").await,
    )
}

async fn fewer_deputies_than_the_rule_is_refused_and_nothing_is_stored(app: TestApp) {
    let (station, deputies) = keeper_station(&app, 2).await;
    let before = stored(&app).await;
    let mut staff = app.login("staff").await;
    let r = post_reception(&mut staff, station, &today(), "只有一位代表的接待", &deputies[..1], ISSUES).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("每次接待至少需要 2 名代表参加（已选 1 名）"), "{}", r.body);
    // The form comes back with what was typed.
    assert!(r.body.contains("只有一位代表的接待"));
    assert!(r.body.contains("东风街菜市场门口占道经营严重"));
    // A person who is not one of the station's deputies, a date that is not one, a date ahead.
    let outsider = db::scalar_i64(
        app.db(),
        "SELECT min(id) FROM persons WHERE id NOT IN (SELECT person_id FROM station_deputies WHERE station_id = $1)",
        vec![station.into()],
    )
    .await
    .unwrap();
    let r = post_reception(&mut staff, station, &today(), "主题", &[deputies[0], outsider], ISSUES).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("只能选择本联络站的代表"), "{}", r.body);
    let r = post_reception(&mut staff, station, "上周三", "主题", &deputies[..2], ISSUES).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写接待日期"), "{}", r.body);
    let tomorrow =
        (renda::calendar::beijing_date(db::now()) + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let r = post_reception(&mut staff, station, &tomorrow, "主题", &deputies[..2], ISSUES).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("接待日期不能晚于今天"), "{}", r.body);
    // An issue too short to be an opinion names its line; nothing of the reception is kept.
    let r =
        post_reception(&mut staff, station, &today(), "主题", &deputies[..2], "路灯坏了很久了，请修一修\n太吵").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("第 2 条问题应为 5 到 2000 字"), "{}", r.body);
    assert_eq!(stored(&app).await, before, "a refused reception stored something");
    // The rule is the configured one (`reception_min_deputies`): with three, two are too few.
    let input = renda::receptions::service::NewReception {
        station_id: station,
        held_on: today(),
        theme: "三人规则".into(),
        deputies: deputies[..2].to_vec(),
        ..Default::default()
    };
    let day = renda::calendar::beijing_date(db::now());
    let e = renda::receptions::service::validate(app.db(), 3, &input, day).await.unwrap_err();
    assert!(e.detail().contains("每次接待至少需要 3 名代表参加（已选 2 名）"), "{}", e.detail());
    assert!(renda::receptions::service::validate(app.db(), 2, &input, day).await.is_ok());
    // The API refuses the same in Chinese.
    let token = app.token("staff", Scope::Write).await;
    let body = json!({"station_id": station, "held_on": today(), "theme": "接口", "deputies": [deputies[0]],
                      "issues": ["东风街菜市场门口占道经营严重，早上车辆无法通行。"]});
    let r = app.api("POST", "/api/v1/receptions", Some(&token), Some(body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("至少需要 2 名代表"), "{}", r.body);
    assert_eq!(stored(&app).await, before);
}
demo_test!(fewer_deputies_than_the_rule_is_refused_and_nothing_is_stored);

async fn issues_become_opinions_of_the_reception_channel(app: TestApp) {
    let (station, deputies) = keeper_station(&app, 2).await;
    let mut staff = app.login("staff").await;
    // The form: first the station, then its deputies as checkboxes.
    let picker = staff.get("/console/receptions/new").await;
    assert_eq!(picker.status, StatusCode::OK);
    assert!(picker.body.contains(&format!("value=\"{station}\"")), "the picker lacks the station");
    let form = staff.get(&format!("/console/receptions/new?station={station}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.html().select(&scraper::Selector::parse("input[name=deputies]").unwrap()).count(), deputies.len());
    let r = post_reception(&mut staff, station, &today(), "农贸市场周边环境", &deputies[..2], ISSUES).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = reception_of(&r);
    // Two issues (the blank line dropped, the spaces trimmed), each an opinion of the station
    // through the reception channel, on the 问题清单.
    let rows = db::query_rows(
        app.db(),
        "SELECT op.tracking_no, op.channel, op.station_id, op.content FROM reception_items it \
         JOIN opinions op ON op.id = it.opinion_id WHERE it.reception_id = $1 AND it.kind = 'problem' ORDER BY it.id",
        vec![id.into()],
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    let mut nos = Vec::new();
    for row in &rows {
        assert_eq!(row.try_get_by_index::<String>(1).unwrap(), "reception");
        assert_eq!(row.try_get_by_index::<Option<i64>>(2).unwrap(), Some(station));
        nos.push(row.try_get_by_index::<String>(0).unwrap());
    }
    assert_eq!(rows[1].try_get_by_index::<String>(3).unwrap(), "社区卫生室药品种类少，慢性病患者经常要跑到城区拿药。");
    assert_eq!(
        db::scalar_i64(app.db(), "SELECT count(*) FROM reception_deputies WHERE reception_id = $1", vec![id.into()])
            .await
            .unwrap(),
        2
    );
    // They are in the opinions list under the reception channel, and on the reception's page.
    let list = staff.get("/console/opinions?channel=reception").await;
    assert_eq!(list.status, StatusCode::OK);
    for no in &nos {
        assert!(list.body.contains(no.as_str()), "opinions list lacks {no}");
    }
    let page = staff.get(&format!("/console/receptions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#problem-title"), ["问题清单（2）"]);
    assert_eq!(page.texts("#countermeasure-title"), ["对策建议清单（0）"]);
    for no in &nos {
        assert!(page.body.contains(no.as_str()));
    }
    assert!(staff.get("/console/receptions").await.body.contains(&format!("/console/receptions/{id}")));
    // Audited, with the count and no names.
    let summary: String = db::query_rows(
        app.db(),
        "SELECT summary FROM audit_log WHERE action = 'reception_create' AND target_id = $1",
        vec![id.to_string().into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert!(summary.contains("代表 2 名，问题 2 条"), "{summary}");

    // The API: a new one, the list, the detail with its lists.
    let token = app.token("staff", Scope::Write).await;
    let body = json!({"station_id": station, "held_on": today(), "theme": "接口录入的接待", "deputies": deputies[..2],
                      "issues": ["村里自来水水压低，高处住户早晚用水困难。"]});
    let r = app.api("POST", "/api/v1/receptions", Some(&token), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let api_id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["tracking_nos"].as_array().unwrap().len(), 1);
    let l = app.api("GET", &format!("/api/v1/receptions?station={station}"), Some(&token), None).await;
    assert_eq!(l.status, StatusCode::OK);
    let ids: Vec<i64> = l.json()["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&id) && ids.contains(&api_id), "{ids:?}");
    let d = app.api("GET", &format!("/api/v1/receptions/{api_id}"), Some(&token), None).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.json()["theme"], "接口录入的接待");
    assert_eq!(d.json()["deputies_present"].as_array().unwrap().len(), 2);
    assert_eq!(d.json()["items"][0]["kind"], "problem");
    assert_eq!(d.json()["items"][0]["state"], "received");
    let unit = app.token("unit", Scope::Read).await;
    assert_eq!(
        app.api("GET", &format!("/api/v1/receptions/{api_id}"), Some(&unit), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.api("GET", "/api/v1/receptions", Some(&unit), None).await.json()["items"].as_array().unwrap().is_empty()
    );
}
demo_test!(issues_become_opinions_of_the_reception_channel);

async fn feedback_is_fulfilled_and_overdue_promises_are_shown(app: TestApp) {
    let (station, deputies) = keeper_station(&app, 2).await;
    // The keeper records a reception at their own station.
    let mut keeper = app.login("keeper").await;
    let r = post_reception(&mut keeper, station, &days_ago(20), "企业服务会客厅", &deputies[..2], "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = reception_of(&r);
    let items = format!("/console/receptions/{id}/items");
    let r = keeper.post(&items, &[("kind", "countermeasure"), ("body", "由镇经发办协调供电公司检修园区路灯")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Feedback needs its promised date.
    let r = keeper.post(&items, &[("kind", "feedback"), ("body", "向园区企业反馈路灯检修结果")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写承诺反馈日期"), "{}", r.body);
    assert!(r.body.contains("向园区企业反馈路灯检修结果"), "the form lost what was typed");
    let r = keeper
        .post(&items, &[("kind", "feedback"), ("body", "向园区企业反馈路灯检修结果"), ("promised_on", &days_ago(3))])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = keeper.post(&items, &[("kind", "清单"), ("body", "随便写点")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请选择清单"));
    let feedback = db::scalar_i64(
        app.db(),
        "SELECT id FROM reception_items WHERE reception_id = $1 AND kind = 'feedback'",
        vec![id.into()],
    )
    .await
    .unwrap();
    // Past its date and not fulfilled: overdue on the list and on the page.
    let list = keeper.get("/console/receptions").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.texts("#overdue li").iter().any(|t| t.contains("向园区企业反馈路灯检修结果")), "{}", list.body);
    let page = keeper.get(&format!("/console/receptions/{id}")).await;
    assert_eq!(page.texts("#feedback .overdue"), ["逾期未反馈"]);
    let api = app.token("keeper", Scope::Read).await;
    let d = app.api("GET", &format!("/api/v1/receptions/{id}"), Some(&api), None).await;
    let fb = d.json()["items"].as_array().unwrap().iter().find(|i| i["kind"] == "feedback").unwrap().clone();
    assert_eq!(fb["overdue"], true);

    // The fulfilment: a date ahead and an empty note are refused; then recorded once.
    let fulfil = format!("/console/receptions/{id}/items/{feedback}/fulfil");
    let tomorrow =
        (renda::calendar::beijing_date(db::now()) + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let r = keeper.post(&fulfil, &[("fulfilled_on", &tomorrow), ("note", "已电话告知企业负责人")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("反馈日期不能晚于今天"), "{}", r.body);
    let r = keeper.post(&fulfil, &[("fulfilled_on", &today()), ("note", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请写明反馈情况"));
    let r = keeper.post(&fulfil, &[("fulfilled_on", &today()), ("note", "已电话告知企业负责人")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = keeper.post(&fulfil, &[("fulfilled_on", &today()), ("note", "再记一次")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("已经记录过兑现"));
    let row = &db::query_rows(
        app.db(),
        "SELECT fulfilled_on, fulfilment FROM reception_items WHERE id = $1",
        vec![feedback.into()],
    )
    .await
    .unwrap()[0];
    assert_eq!(row.try_get_by_index::<Option<String>>(0).unwrap(), Some(today()));
    assert_eq!(row.try_get_by_index::<String>(1).unwrap(), "已电话告知企业负责人");
    let list = keeper.get("/console/receptions").await;
    assert!(!list.texts("#overdue li").iter().any(|t| t.contains("向园区企业反馈路灯检修结果")));
    assert!(keeper.get(&format!("/console/receptions/{id}")).await.texts("#feedback .overdue").is_empty());
    // A countermeasure has no fulfilment.
    let cm = db::scalar_i64(
        app.db(),
        "SELECT id FROM reception_items WHERE reception_id = $1 AND kind = 'countermeasure'",
        vec![id.into()],
    )
    .await
    .unwrap();
    let r = keeper
        .post(&format!("/console/receptions/{id}/items/{cm}/fulfil"), &[("fulfilled_on", &today()), ("note", "无")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let audited =
        count(&app, "SELECT count(*) FROM audit_log WHERE action IN ('reception_item_add', 'reception_fulfil')").await;
    assert!(audited >= 3, "{audited}");
}
demo_test!(feedback_is_fulfilled_and_overdue_promises_are_shown);

async fn only_the_station_s_people_and_the_organ_s_staff_see_and_record(app: TestApp) {
    let (station, mut deputies) = keeper_station(&app, 2).await;
    // The demo deputy sits at this station.
    let deputy_person =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    if !deputies.contains(&deputy_person) {
        let mut staff = app.login("staff").await;
        let r = staff
            .post(&format!("/console/registry/stations/{station}/deputies"), &[("person", &deputy_person.to_string())])
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        deputies = deputies_of(&app, station).await;
    }
    let mut staff = app.login("staff").await;
    let r = post_reception(&mut staff, station, &today(), "权限检查", &deputies[..2], "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = reception_of(&r);
    let page = format!("/console/receptions/{id}");
    let items = format!("{page}/items");
    let add = [("kind", "countermeasure"), ("body", "由镇里协调解决")];

    // Staff of another township: the reception does not exist for them.
    let station_organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM stations WHERE id = $1", vec![station.into()]).await.unwrap();
    let other = db::scalar_i64(
        app.db(),
        "SELECT min(id) FROM organs WHERE parent_id IS NOT NULL AND external = $1 AND id <> $2",
        vec![false.into(), station_organ.into()],
    )
    .await
    .unwrap();
    app.add_account("staff_b", other, &[Role::Staff]).await;
    let mut staff_b = app.login("staff_b").await;
    assert_eq!(staff_b.get(&page).await.status, StatusCode::NOT_FOUND);
    assert_eq!(staff_b.post(&items, &add).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        post_reception(&mut staff_b, station, &today(), "越权", &deputies[..2], "").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!staff_b.get("/console/receptions").await.body.contains(&page));
    // A unit user sees no receptions at all.
    let mut unit = app.login("unit").await;
    assert_eq!(unit.get("/console/receptions").await.status, StatusCode::NOT_FOUND);
    assert_eq!(unit.get(&page).await.status, StatusCode::NOT_FOUND);
    assert_eq!(unit.post(&items, &add).await.status, StatusCode::NOT_FOUND);
    // The keeper: their own station yes, another station no.
    let mut keeper = app.login("keeper").await;
    assert_eq!(keeper.get(&page).await.status, StatusCode::OK);
    assert_eq!(keeper.get(&format!("/console/receptions/new?station={station}")).await.status, StatusCode::OK);
    assert_eq!(keeper.post(&items, &add).await.status, StatusCode::SEE_OTHER);
    let elsewhere = db::scalar_i64(
        app.db(),
        "SELECT min(station_id) FROM station_deputies WHERE station_id <> $1",
        vec![station.into()],
    )
    .await
    .unwrap();
    let theirs = deputies_of(&app, elsewhere).await;
    assert_eq!(keeper.get(&format!("/console/receptions/new?station={elsewhere}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        post_reception(&mut keeper, elsewhere, &today(), "别的站", &theirs, "").await.status,
        StatusCode::NOT_FOUND
    );
    // A deputy of the station reads it and records nothing.
    let mut deputy = app.login("deputy").await;
    assert_eq!(deputy.get(&page).await.status, StatusCode::OK);
    assert!(deputy.get("/console/receptions").await.body.contains(&page));
    assert_eq!(deputy.post(&items, &add).await.status, StatusCode::FORBIDDEN);
    // The leader reads and records nothing.
    let mut leader = app.login("leader").await;
    assert_eq!(leader.get(&page).await.status, StatusCode::OK);
    assert_eq!(leader.post(&items, &add).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM reception_items WHERE reception_id = {id}")).await,
        1,
        "only the keeper's item is kept"
    );
}
demo_test!(only_the_station_s_people_and_the_organ_s_staff_see_and_record);
