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
    // An item from the bank as a 正式项目 needs the 主任会议's and the 党组's agreement first.
    let item_form = [
        ("project_id", project.to_string()),
        ("category", "formal".to_string()),
        ("drafting_body", "市公安局".to_string()),
        ("schedule", "2027 年 8 月提请初审".to_string()),
    ];
    let item_form: Vec<(&str, &str)> = item_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = staff.post(&format!("/console/legislation/plans/{plan}/items"), &item_form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("项目尚未经过主任会议研究、党组审定，不能列入计划"), "{}", r.body);
    let steps = format!("/api/v1/legislation/projects/{project}/steps");
    let r = app
        .api(
            "POST",
            &steps,
            Some(&token),
            Some(json!({"step": "party_group", "held_on": "2027-01-20", "result": "agreed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("党组审定和报党委批准应在主任会议研究同意之后"), "{}", r.body);
    let r = app
        .api("POST", &steps, Some(&token), Some(json!({"step": "vote", "held_on": "2027-02-30", "result": "yes"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in ["请选择立项论证会", "请填写日期", "请选择同意、暂缓或不同意"] {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    assert_eq!(count(&app, &format!("SELECT count(*) FROM leg_project_steps WHERE project_id = {project}")).await, 0);
    let r = app
        .api(
            "POST",
            &steps,
            Some(&token),
            Some(json!({"step": "directors", "held_on": "2027-01-10", "result": "agreed", "note": "第 12 次主任会议"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = staff.post(&format!("/console/legislation/plans/{plan}/items"), &item_form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the 党组 is still missing");
    assert!(r.body.contains("项目尚未经过党组审定"), "{}", r.body);
    let r = staff
        .post(
            &format!("/console/legislation/projects/{project}/steps"),
            &[("step", "party_group"), ("held_on", "2027-01-20"), ("result", "agreed"), ("note", "党组会议")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let bank = staff.get("/console/legislation/projects").await;
    assert!(bank.body.contains("主任会议研究") && bank.body.contains("第 12 次主任会议"), "{}", bank.body);
    // An item from the bank: its title and action come from the project, the project is listed.
    let r = staff.post(&format!("/console/legislation/plans/{plan}/items"), &item_form).await;
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
    // The plan and its items edited after they were made, with history.
    let r = staff
        .post(
            &format!("/console/legislation/plans/{plan}/edit"),
            &[("kind", "annual"), ("title", "2027 年度立法计划"), ("year_from", "2027"), ("year_to", "2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("截止年份不能早于起始年份"), "{}", r.body);
    let r = staff
        .post(
            &format!("/console/legislation/plans/{plan}/edit"),
            &[
                ("kind", "annual"),
                ("title", "诸城市人大常委会 2027 年度立法计划"),
                ("year_from", "2027"),
                ("year_to", "2027"),
                ("adopted_on", "2027-02-25"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/legislation/plan-items/{item}"),
            Some(&token),
            Some(json!({"schedule": "2027 年 10 月提请初审", "drafting_body": "市公安局、市交通运输局"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["schedule"], "2027 年 10 月提请初审");
    assert_eq!(r.json()["category"], "formal", "what is left out stays");
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/legislation/plan-items/{item}"),
            Some(&token),
            Some(json!({"category": "other"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api("PATCH", &format!("/api/v1/legislation/plans/{plan}"), Some(&token), Some(json!({"year_from": "1999"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = staff.get(&format!("/console/legislation/plans/{plan}")).await;
    for m in [
        "名称：2027 年度立法计划 → 诸城市人大常委会 2027 年度立法计划",
        "通过日期：（空） → 2027-02-25",
        "进度安排：2027 年 8 月提请初审 → 2027 年 10 月提请初审",
        "已通过",
    ] {
        assert!(page.body.contains(m), "{m}: {}", page.body);
    }
    let r = staff
        .post(
            &format!("/console/legislation/plan-items/{item}/edit"),
            &[
                ("title", "诸城市电动自行车管理条例"),
                ("action", "enact"),
                ("category", "formal"),
                ("drafting_body", "市公安局、市交通运输局"),
                ("schedule", "2027 年 10 月提请初审"),
                ("status", "submitted"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM leg_plan_items WHERE id = {item} AND status = 'submitted'")).await,
        1
    );
    // A view-only role sees the bank and the plans, and writes nothing.
    let mut leader = app.login("leader").await;
    assert_eq!(leader.get("/console/legislation/projects").await.status, StatusCode::OK);
    let r = leader
        .post("/console/legislation/plans", &[("kind", "annual"), ("title", "越权的计划"), ("year_from", "2027")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = leader
        .post(
            &format!("/console/legislation/plans/{plan}/edit"),
            &[("kind", "annual"), ("title", "越权修改"), ("year_from", "2027")],
        )
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

/// The demo's 《江门市门楼号牌管理条例》 (in the register, passed on a date of the demo).
async fn demo_regulation(app: &TestApp) -> (i64, String) {
    let found = app.api("GET", "/api/v1/regulations?q=门楼号牌", None, None).await.json();
    let reg = found["items"][0]["id"].as_i64().expect("the demo's regulation");
    let passed_on = found["items"][0]["passed_on"].as_str().unwrap().to_string();
    (reg, passed_on)
}

/// A date `days` after `iso` (`YYYY-MM-DD`).
fn after(iso: &str, days: i64) -> String {
    let d = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap();
    (d + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

async fn a_regulation_is_amended_revised_and_repealed(app: TestApp) {
    let (reg, passed_on) = demo_regulation(&app).await;
    let token = app.token("staff", Scope::Write).await;
    let changes = format!("/api/v1/regulations/{reg}/changes");
    let amended = "第一条　为了加强门楼号牌管理，推行电子门牌，方便群众生活，根据有关法律、法规，结合本市实际，制定本条例。\n\
                   第二条　本市行政区域内门楼号牌的编制、设置、使用和管理，适用本条例。";
    // Bad dates, no text: every problem at once, nothing stored.
    let r = app
        .api(
            "POST",
            &changes,
            Some(&token),
            Some(json!({"kind": "amend", "decided_by": "市人大常委会第三十次会议",
                        "decided_on": after(&passed_on, -1), "effective_on": after(&passed_on, -5)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for m in ["决定日期不能早于法规通过日期", "施行日期不能早于决定日期", "请选择修正草案的稿次或粘贴修改后的全文"]
    {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    let r = app.api("POST", &changes, Some(&token), Some(json!({"kind": "abolish", "decided_on": "2027-13-01"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请选择修正、修订或废止") && r.body.contains("请填写决定日期"), "{}", r.body);
    assert_eq!(count(&app, "SELECT count(*) FROM leg_regulation_changes").await, 0);
    // Nobody but the organ's staff: no account, a view-only leader.
    assert_eq!(app.api("POST", &changes, None, Some(json!({}))).await.status, StatusCode::UNAUTHORIZED);
    let mut leader = app.login("leader").await;
    let r = leader.post(&format!("/console/legislation/regulations/{reg}/changes"), &[("kind", "amend")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // 修正: a decision of a meeting, the new text pasted; search finds the newest text.
    let amend_on = after(&passed_on, 400);
    let r = app
        .api(
            "POST",
            &changes,
            Some(&token),
            Some(json!({"kind": "amend", "decided_by": "市人大常委会第三十次会议", "decided_on": amend_on,
                        "effective_on": after(&amend_on, 30), "text": amended})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let found = app.api("GET", "/api/v1/regulations?q=电子门牌", None, None).await.json();
    assert_eq!(found["items"][0]["id"], reg, "{found}");
    let detail = app.api("GET", &format!("/api/v1/regulations/{reg}"), None, None).await.json();
    assert_eq!(detail["state"], "in_force");
    assert!(detail["text"].as_str().unwrap().contains("推行电子门牌"));
    assert_eq!(detail["changes"][0]["kind"], "amend");
    assert_eq!(detail["changes"][0]["title"], "关于修改《江门市门楼号牌管理条例》的决定");
    // Out of order: a change decided before the one before it.
    let first_version = count(
        &app,
        &format!(
            "SELECT min(id) FROM leg_versions WHERE draft_id = (SELECT draft_id FROM leg_regulations WHERE id = {reg})"
        ),
    )
    .await;
    let r = app
        .api(
            "POST",
            &changes,
            Some(&token),
            Some(
                json!({"kind": "revise", "decided_by": "市人大常委会第三十一次会议", "decided_on": after(&amend_on, -1),
                        "effective_on": after(&amend_on, 60), "version_id": first_version, "text": amended}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in ["决定日期不能早于上一次修正", "修订和废止请写明理由", "不要两样都填"] {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    // 修订 from a version of a draft (here the 一审稿), in the console.
    let mut staff = app.login("staff").await;
    let revise_on = after(&amend_on, 200);
    let r = staff
        .post(
            &format!("/console/legislation/regulations/{reg}/changes"),
            &[
                ("kind", "revise"),
                ("decided_by", "市人大常委会第三十五次会议"),
                ("decided_on", &revise_on),
                ("effective_on", &after(&revise_on, 90)),
                ("reason", "门楼号牌管理体制调整，条文改动较多，全面修订。"),
                ("version_id", &first_version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        app.api("GET", "/api/v1/regulations?q=电子门牌", None, None).await.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != reg),
        "the text before a revision is no longer searched"
    );
    let page = staff.get(&format!("/console/legislation/regulations/{reg}")).await;
    for m in ["修正", "修订", "此前的文本", "推行电子门牌", "全面修订"] {
        assert!(page.body.contains(m), "{m}: {}", page.body);
    }
    // 废止: the reason is required; then it leaves the register in force.
    let repeal_on = after(&revise_on, 300);
    let r = app
        .api(
            "POST",
            &changes,
            Some(&token),
            Some(json!({"kind": "repeal", "decided_by": "市人大常委会第四十次会议", "decided_on": repeal_on})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("修订和废止请写明理由"));
    let r = app
        .api(
            "POST",
            &changes,
            Some(&token),
            Some(json!({"kind": "repeal", "decided_by": "市人大常委会第四十次会议", "decided_on": repeal_on,
                        "reason": "已被《江门市地名管理条例》取代。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let in_force = app.api("GET", "/api/v1/regulations?q=门楼号牌", None, None).await.json();
    assert!(in_force["items"].as_array().unwrap().iter().all(|x| x["id"] != reg), "{in_force}");
    let repealed = app.api("GET", "/api/v1/regulations?q=门楼号牌&state=repealed", None, None).await.json();
    assert_eq!(repealed["items"][0]["id"], reg);
    assert_eq!(repealed["items"][0]["state"], "repealed");
    let all = app.api("GET", "/api/v1/regulations?state=all", None, None).await.json();
    assert!(all["items"].as_array().unwrap().iter().any(|x| x["id"] == reg));
    assert_eq!(
        app.api("GET", "/api/v1/regulations?state=gone", None, None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut citizen = app.browser().await;
    assert!(!citizen.get("/regulations?q=门楼号牌").await.body.contains(&format!("/regulations/{reg}\"")));
    let gone = citizen.get("/regulations?state=repealed").await.body;
    assert!(gone.contains(&format!("/regulations/{reg}\"")) && gone.contains("<h1>已废止法规</h1>"));
    let every = citizen.get("/regulations?state=all").await.body;
    assert!(
        every.contains(&format!("/regulations/{reg}\"")) && every.contains("<h1>全部法规（含已废止）</h1>"),
        "{every}"
    );
    assert!(citizen.get("/regulations").await.body.contains("<h1>现行有效法规</h1>"));
    let public = citizen.get(&format!("/regulations/{reg}")).await;
    for m in ["本法规已废止", "修改和废止情况", "已被《江门市地名管理条例》取代"] {
        assert!(public.body.contains(m), "{m}: {}", public.body);
    }
    let console = staff.get("/console/legislation/regulations").await;
    assert!(!console.body.contains(&format!("/console/legislation/regulations/{reg}\"")));
    // A repealed regulation takes no more changes.
    let r = app
        .api(
            "POST",
            &changes,
            Some(&token),
            Some(json!({"kind": "amend", "decided_by": "又一次会议", "decided_on": after(&repeal_on, 10),
                        "effective_on": after(&repeal_on, 10), "text": amended})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'leg_regulation_change'").await, 3);
}
demo_test!(a_regulation_is_amended_revised_and_repealed);
