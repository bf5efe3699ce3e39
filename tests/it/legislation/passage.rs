//! LEG-1, LEG-6, LEG-7: plans and the project bank (sources as links), events with the public
//! speaker form (contact details never shown) and their opinions in the same figures, and
//! passage into the register of regulations in force, found by a word of its text.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::consultation::{node_of, published_draft};
use super::count;
use crate::demo_test;
use crate::support::TestApp;

async fn plans_and_projects_record_their_sources(app: TestApp) {
    let token = app.token("staff", Scope::Write).await;
    // A project from a 议案: its source is a link, read back with its name.
    let bill = count(&app, "SELECT min(id) FROM suggestions WHERE kind = 'bill' AND number IS NOT NULL").await;
    assert!(bill > 0, "the demo has a numbered 议案");
    let r = app
        .api(
            "POST",
            "/api/v1/legislation/projects",
            Some(&token),
            Some(json!({"title": "诸城市电动自行车管理条例", "action": "enact", "origin": "deputies",
                        "suggestion_id": bill, "justification": "必要性：电动自行车火灾多发。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let project = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM record_links WHERE from_type = 'leg_project' AND from_id = {project} \
                 AND to_type = 'suggestion' AND to_id = {bill}"
            )
        )
        .await,
        1,
        "the source is a record link, not a text"
    );
    let list = app.api("GET", "/api/v1/legislation/projects", Some(&token), None).await.json();
    let p = list["items"].as_array().unwrap().iter().find(|x| x["id"] == project).unwrap().clone();
    assert_eq!(p["state"], "argued", "with a 立项论证 it is argued");
    assert_eq!(p["sources"][0]["kind"], "suggestion");
    assert!(p["sources"][0]["name"].as_str().unwrap().starts_with("议案："), "{p}");
    // Bad input: every problem at once, nothing stored.
    let before = count(&app, "SELECT count(*) FROM leg_projects").await;
    let r = app
        .api(
            "POST",
            "/api/v1/legislation/projects",
            Some(&token),
            Some(json!({"title": "", "action": "abolish", "origin": "deputies", "suggestion_id": 99999999})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for m in ["请填写项目名称", "请选择制定、修改或废止", "没有这件已提交的代表建议或议案"]
    {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    let r = app
        .api(
            "POST",
            "/api/v1/legislation/projects",
            Some(&token),
            Some(json!({"title": "某条例", "action": "enact", "origin": "department"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请选择申报的部门"));
    assert_eq!(count(&app, "SELECT count(*) FROM leg_projects").await, before);
    // A plan in the console; bad years refused in Chinese.
    let mut staff = app.login("staff").await;
    let r = staff
        .post(
            "/console/legislation/plans",
            &[("kind", "annual"), ("title", "2027 年度立法计划"), ("year_from", "2027"), ("year_to", "2028")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("年度立法计划只有一个年份"), "{}", r.body);
    let r = staff
        .post(
            "/console/legislation/plans",
            &[("kind", "annual"), ("title", "2027 年度立法计划"), ("year_from", "2027")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let plan = count(&app, "SELECT max(id) FROM leg_plans").await;
    // An item from the bank: its title and action come from the project, the project is listed.
    let r = staff
        .post(
            &format!("/console/legislation/plans/{plan}/items"),
            &[
                ("project_id", &project.to_string()),
                ("category", "formal"),
                ("drafting_body", "市公安局"),
                ("schedule", "2027 年 8 月提请初审"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = staff.get(&format!("/console/legislation/plans/{plan}")).await;
    assert!(page.body.contains("制定《诸城市电动自行车管理条例》"), "{}", page.body);
    assert!(page.body.contains("正式项目") && page.body.contains("2027 年 8 月提请初审"));
    let detail = app.api("GET", &format!("/api/v1/legislation/plans/{plan}"), Some(&token), None).await.json();
    assert_eq!(detail["entries"][0]["project_id"], project);
    assert_eq!(detail["entries"][0]["status"], "pending");
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM leg_projects WHERE id = {project} AND state = 'listed'")).await,
        1
    );
    // An item's status.
    let item = count(&app, "SELECT max(id) FROM leg_plan_items").await;
    let r = staff.post(&format!("/console/legislation/plan-items/{item}/status"), &[("status", "drafting")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = staff.post(&format!("/console/legislation/plan-items/{item}/status"), &[("status", "done")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A view-only role sees the bank and the plans, and writes nothing.
    let mut leader = app.login("leader").await;
    assert_eq!(leader.get("/console/legislation/projects").await.status, StatusCode::OK);
    let r = leader
        .post("/console/legislation/plans", &[("kind", "annual"), ("title", "越权的计划"), ("year_from", "2027")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A deputy does not even learn of the organ's legislative work.
    let deputy = app.token("deputy", Scope::Read).await;
    assert_eq!(app.api("GET", "/api/v1/legislation/plans", Some(&deputy), None).await.status, StatusCode::NOT_FOUND);
}
demo_test!(plans_and_projects_record_their_sources);

const PHONE: &str = "13905367788";

async fn an_event_takes_speakers_and_its_opinions_count(app: TestApp) {
    let (id, v) = published_draft(&app).await;
    let token = app.token("staff", Scope::Write).await;
    let today = renda::calendar::beijing_date(db::now());
    let day = |n: u64| (today + chrono::Days::new(n)).format("%Y-%m-%d").to_string();
    // Bad input first: nothing stored.
    let events_before = count(&app, "SELECT count(*) FROM leg_events").await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/drafts/{id}/events"),
            Some(&token),
            Some(json!({"kind": "meeting", "title": "", "held_at": "明天", "place": "会议室", "announcement": "短",
                        "register_until": day(30)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for m in ["请选择座谈会、论证会或听证会", "请填写会议名称", "请填写举行时间", "请填写公告"]
    {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM leg_events").await, events_before);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/drafts/{id}/events"),
            Some(&token),
            Some(json!({"kind": "hearing", "title": "国务院组织法修订草案听证会", "held_at": format!("{} 09:30", day(20)),
                        "place": "常委会机关听证厅", "announcement": "公开听取对修订草案的意见，欢迎报名发言。",
                        "register_until": day(10), "speakers_max": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let event = r.json()["id"].as_i64().unwrap();
    // The public page and its form, on a phone, without an account.
    let mut citizen = app.browser().await;
    let page = citizen.get(&format!("/l/{id}/events/{event}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("报名发言") && page.body.contains("公开听取对修订草案的意见"));
    let path = format!("/l/{id}/events/{event}");
    let r = citizen.post(&path, &[("name", "赵"), ("phone", "123"), ("points", "短")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in ["请填写 11 位手机号", "请选择赞成、反对或其他意见", "请写明发言要点", "请勾选同意"]
    {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    assert_eq!(count(&app, &format!("SELECT count(*) FROM leg_event_speakers WHERE event_id = {event}")).await, 0);
    let fields = [
        ("name", "赵晓明"),
        ("phone", PHONE),
        ("affiliation", "律师"),
        ("stand", "against"),
        ("points", "建议保留国务院常务会议的组成规定，不宜删去。"),
        ("consent", "on"),
    ];
    let r = citizen.post(&path, &fields).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body.contains("报名已收到"));
    // Never the contact details on the public side: not in the receipt, not on the page.
    for body in [&r.body, &citizen.get(&path).await.body] {
        assert!(!body.contains("赵晓明") && !body.contains(PHONE) && !body.contains("5367788"), "{body}");
    }
    assert!(citizen.get(&path).await.body.contains("已有 1 人报名"));
    // The same phone twice is refused.
    let r = citizen.post(&path, &fields).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("这个手机号已经报名过本次会议"));
    // Stored encrypted; staff see a masked name and phone.
    let plain = count(
        &app,
        &format!("SELECT count(*) FROM leg_event_speakers WHERE name_enc LIKE '%赵%' OR phone_enc = '{PHONE}'"),
    )
    .await;
    assert_eq!(plain, 0);
    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/legislation/events/{event}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("赵*") || page.body.contains("赵＊"), "{}", page.body);
    assert!(!page.body.contains("赵晓明") && !page.body.contains(PHONE));
    assert!(page.body.contains("139****7788"), "{}", page.body);
    // The speaker chosen; the record; an opinion given there, on the third article.
    let speaker = count(&app, &format!("SELECT max(id) FROM leg_event_speakers WHERE event_id = {event}")).await;
    let r = staff.post(&format!("/console/legislation/speakers/{speaker}/state"), &[("to", "chosen")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = staff.post(&format!("/console/legislation/events/{event}/record"), &[("record", "短")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = staff
        .post(
            &format!("/console/legislation/events/{event}/record"),
            &[("record", "听证会于上午九时半开始，四名陈述人发言，意见已逐条整理。")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let third = node_of(&app, v, "第三条").await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/events/{event}/opinions"),
            Some(&token),
            Some(json!({"node_id": third, "source": "public", "author": "陈述人 赵某",
                        "text": "建议保留国务院常务会议的组成规定。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let opinion = r.json()["id"].as_i64().unwrap();
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/events/{event}/opinions"),
            Some(&token),
            Some(json!({"node_id": 99999999, "source": "nobody", "text": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The opinion is disposed of with every other, and counted at the stage 听证/论证.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/opinions/{opinion}/disposition"),
            Some(&token),
            Some(json!({"disposition": "adopted", "reason": "已保留。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stats = app.api("GET", &format!("/api/v1/legislation/drafts/{id}/stats"), Some(&token), None).await.json();
    let hearing = stats["by_stage"].as_array().unwrap().iter().find(|l| l["stage"] == "hearing").unwrap().clone();
    assert_eq!((hearing["collected"].as_i64(), hearing["adopted"].as_i64()), (Some(1), Some(1)), "{stats}");
    let list = app.api("GET", &format!("/api/v1/legislation/drafts/{id}/events"), Some(&token), None).await.json();
    assert_eq!(list["items"][0]["opinions"], 1);
    assert_eq!(list["items"][0]["state"], "held");
    // Registration closed: the form is gone and a post is refused.
    db::exec(app.db(), "UPDATE leg_events SET register_until = '2020-01-01' WHERE id = $1", vec![event.into()])
        .await
        .unwrap();
    assert!(citizen.get(&path).await.body.contains("报名已经截止"));
    let mut other = fields.to_vec();
    other[1] = ("phone", "13905360001");
    assert_eq!(citizen.post(&path, &other).await.status, StatusCode::CONFLICT);
    // An event of another draft under this draft's address is not found.
    assert_eq!(citizen.get(&format!("/l/{}/events/{event}", id + 1000)).await.status, StatusCode::NOT_FOUND);
}
demo_test!(an_event_takes_speakers_and_its_opinions_count);

async fn passage_puts_the_regulation_in_the_register(app: TestApp) {
    let (id, _) = published_draft(&app).await;
    let token = app.token("staff", Scope::Write).await;
    let readings = format!("/api/v1/legislation/drafts/{id}/readings");
    // A vote without its figures, a passed result at a reading: refused.
    let r = app
        .api(
            "POST",
            &readings,
            Some(&token),
            Some(json!({"reading": "vote", "meeting": "第二十次会议", "held_on": "2026-11-28", "result": "passed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("表决请填写赞成、反对、弃权票数"));
    let r = app
        .api(
            "POST",
            &readings,
            Some(&token),
            Some(json!({"reading": "first", "meeting": "第十八次会议", "held_on": "2026-08-28", "result": "passed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("只有表决才能表决通过"));
    // The register refuses a draft not yet passed.
    let enter = format!("/api/v1/legislation/drafts/{id}/regulation");
    let body = json!({"passed_by": "第二十次会议", "passed_on": "2026-11-28", "promulgated_on": "2026-11-30",
                      "effective_on": "2027-01-01"});
    let r = app.api("POST", &enter, Some(&token), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for (reading, result, votes) in
        [("first", "continued", None), ("second", "continued", None), ("vote", "passed", Some((41, 2, 1)))]
    {
        let mut b =
            json!({"reading": reading, "meeting": "市人大常委会会议", "held_on": "2026-11-28", "result": result});
        if let Some((a, n, x)) = votes {
            b["votes_for"] = json!(a);
            b["votes_against"] = json!(n);
            b["votes_abstain"] = json!(x);
        }
        let r = app.api("POST", &readings, Some(&token), Some(b)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    assert_eq!(count(&app, &format!("SELECT count(*) FROM leg_drafts WHERE id = {id} AND state = 'passed'")).await, 1);
    // A passed draft takes no more readings.
    let r = app
        .api("POST", &readings, Some(&token), Some(json!({"reading": "vote", "meeting": "又一次", "held_on": "2026-12-01",
                                                            "result": "failed", "votes_for": 1, "votes_against": 2, "votes_abstain": 0})))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Dates out of order: every problem at once, nothing stored.
    let before = count(&app, "SELECT count(*) FROM leg_regulations").await;
    let r = app
        .api(
            "POST",
            &enter,
            Some(&token),
            Some(json!({"passed_by": "第二十次会议", "passed_on": "2026-11-28", "promulgated_on": "2026-11-01",
                        "effective_on": "2026-10-01", "approved_by": "省人大常委会"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for m in ["公布日期不能早于通过日期", "施行日期不能早于公布日期", "同时填写批准机关和批准日期"]
    {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM leg_regulations").await, before);
    let r = app.api("POST", &enter, Some(&token), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let reg = r.json()["id"].as_i64().unwrap();
    assert_eq!(app.api("POST", &enter, Some(&token), Some(body)).await.status, StatusCode::CONFLICT, "once");
    // Found by a word of its text (国务院组织法 1982: 「国务院常务会议由总理、副总理、国务委员、秘书长组成」),
    // by anyone, without an account; a word it lacks finds nothing of it.
    let found = app.api("GET", "/api/v1/regulations?q=常务会议", None, None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let ids: Vec<i64> = found.json()["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&reg), "{}", found.body);
    let hit = found.json()["items"].as_array().unwrap().iter().find(|x| x["id"] == reg).unwrap().clone();
    assert!(hit["snippet"].as_array().unwrap().iter().any(|p| p["hit"] == true), "the hit is marked: {hit}");
    let none = app.api("GET", "/api/v1/regulations?q=门楼号牌", None, None).await.json();
    assert!(!none["items"].as_array().unwrap().iter().any(|x| x["id"] == reg));
    let long = "长".repeat(60);
    assert_eq!(
        app.api("GET", &format!("/api/v1/regulations?q={long}"), None, None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The console register and the public one.
    let mut staff = app.login("staff").await;
    let page = staff.get("/console/legislation/regulations?q=常务会议").await;
    assert!(page.body.contains("国务院组织法") && page.body.contains("<mark>"), "{}", page.body);
    let mut citizen = app.browser().await;
    let page = citizen.get("/regulations?q=常务会议").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("/regulations/{reg}")), "{}", page.body);
    assert!(citizen.get(&format!("/regulations/{reg}")).await.body.contains("国务院常务会议"));
    // 配套制度 with a due date, overdue once past it; a 法规解读.
    let r = staff
        .post(
            &format!("/console/legislation/regulations/{reg}/rules"),
            &[("title", "实施细则"), ("responsible", "市司法局"), ("due_on", "2020-01-01"), ("status", "drafting")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = staff.get(&format!("/console/legislation/regulations/{reg}")).await;
    assert!(page.body.contains("逾期未出台"), "{}", page.body);
    let rule = count(&app, "SELECT max(id) FROM leg_rules").await;
    let r = staff
        .post(&format!("/console/legislation/rules/{rule}/status"), &[("status", "issued"), ("issued_on", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "issued needs its date");
    let r = staff
        .post(
            &format!("/console/legislation/rules/{rule}/status"),
            &[("status", "issued"), ("issued_on", "2026-12-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = staff
        .post(
            &format!("/console/legislation/regulations/{reg}/interpretations"),
            &[
                ("title", "条例解读"),
                ("body", "一、条例的主要内容包括国务院的组成、会议制度和工作机构。"),
                ("published_on", "2026-12-02"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let detail = app.api("GET", &format!("/api/v1/regulations/{reg}"), None, None).await.json();
    assert_eq!(detail["rules"][0]["status"], "issued");
    assert_eq!(detail["interpretations"][0]["title"], "条例解读");
    assert!(detail["text"].as_str().unwrap().contains("第一条"));
    // The audit log names passage and the entry.
    assert!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'leg_regulation_enter'").await >= 1);
}
demo_test!(passage_puts_the_regulation_in_the_register);

async fn the_demo_has_plans_events_and_a_register(app: TestApp) {
    assert!(count(&app, "SELECT count(*) FROM leg_plans").await >= 2);
    assert!(count(&app, "SELECT count(*) FROM leg_plan_items").await >= 4);
    assert!(
        count(&app, "SELECT count(*) FROM record_links WHERE from_type = 'leg_project' AND to_type = 'suggestion'")
            .await
            >= 1
    );
    assert!(count(&app, "SELECT count(*) FROM leg_events").await >= 2);
    assert!(count(&app, "SELECT count(*) FROM leg_opinions WHERE event_id IS NOT NULL").await >= 3);
    let found = app.api("GET", "/api/v1/regulations?q=门楼号牌", None, None).await.json();
    assert!(found["items"][0]["title"].as_str().unwrap().contains("江门市门楼号牌管理条例"), "{found}");
    let mut staff = app.login("staff").await;
    for path in [
        "/console/legislation/plans",
        "/console/legislation/projects",
        "/console/legislation/regulations",
        "/regulations",
    ] {
        let r = staff.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    let plan = count(&app, "SELECT min(id) FROM leg_plans").await;
    assert_eq!(staff.get(&format!("/console/legislation/plans/{plan}")).await.status, StatusCode::OK);
    let event = count(&app, "SELECT max(id) FROM leg_events").await;
    assert_eq!(staff.get(&format!("/console/legislation/events/{event}")).await.status, StatusCode::OK);
    let draft = count(&app, "SELECT draft_id FROM leg_events WHERE id = (SELECT max(id) FROM leg_events)").await;
    let public = app.browser().await.get(&format!("/l/{draft}/events/{event}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("报名发言"), "the demo's hearing is open for registration");
    assert!(!public.body.contains("13963661201"));
    let reg = count(&app, "SELECT min(id) FROM leg_regulations WHERE draft_id IS NOT NULL").await;
    let passed = count(&app, &format!("SELECT draft_id FROM leg_regulations WHERE id = {reg}")).await;
    assert_eq!(staff.get(&format!("/console/legislation/{passed}/passage")).await.status, StatusCode::OK);
    assert_eq!(staff.get(&format!("/console/legislation/regulations/{reg}")).await.status, StatusCode::OK);
}
demo_test!(the_demo_has_plans_events_and_a_register);
