//! LEG-3 to LEG-5 along the "done when": a draft published for comment with a QR code,
//! a citizen commenting on one article from a phone, a 联系点 and an expert answering their tasks
//! before the deadline, staff disposing of every opinion, the second reading with an article
//! inserted near the start — every comment still on its article under its new number —, the
//! figures per stage and source against a hand count; and the rules around it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use renda::auth::{Role, Scope};
use renda::db;
use serde_json::json;

use super::{articles, count, fixture};
use crate::demo_test;
use crate::support::TestApp;

/// A draft of 1982's text as 一审稿, published for comment from today for 30 days: (draft, version).
pub async fn published_draft(app: &TestApp) -> (i64, i64) {
    let token = app.token("staff", Scope::Write).await;
    let r = app
        .api(
            "POST",
            "/api/v1/legislation/drafts",
            Some(&token),
            Some(json!({"text": fixture("guowuyuan-1982.md"), "label": "一审稿", "stage": "first_reading",
                        "title": "国务院组织法（修订草案）"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (id, v) = (r.json()["id"].as_i64().unwrap(), r.json()["version_id"].as_i64().unwrap());
    let today = renda::calendar::beijing_date(db::now());
    let until = (today + chrono::Days::new(30)).format("%Y-%m-%d").to_string();
    let mut staff = app.login("staff").await;
    let r = staff
        .post(
            &format!("/console/legislation/versions/{v}/publish"),
            &[("open_from", &today.format("%Y-%m-%d").to_string()), ("open_until", &until)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    (id, v)
}

/// The node id of an article of a version (by its number).
pub async fn node_of(app: &TestApp, version: i64, number: &str) -> i64 {
    let token = app.token("staff", Scope::Read).await;
    let tree = app.api("GET", &format!("/api/v1/legislation/versions/{version}"), Some(&token), None).await.json();
    articles(&tree).into_iter().find(|a| a.1 == number).unwrap_or_else(|| panic!("{number}")).0
}

/// The demo's 基层立法联系点 and a keeper account for it (`lianxi`).
pub async fn contact_point(app: &TestApp) -> i64 {
    let point = db::scalar_i64(
        app.db(),
        "SELECT min(s.id) FROM stations s JOIN station_types t ON t.id = s.type_id WHERE t.code = 'legislative_point'",
        vec![],
    )
    .await
    .unwrap();
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM stations WHERE id = $1", vec![point.into()]).await.unwrap();
    let account = app.add_account("lianxi", organ, &[Role::Keeper]).await;
    db::exec(app.db(), "UPDATE accounts SET station_id = $1 WHERE id = $2", vec![point.into(), account.into()])
        .await
        .unwrap();
    point
}

fn decode_qr_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    img.detect_grids()[0].decode().unwrap().1
}

const PHONE: &str = "13905361234";

async fn the_done_when_path(app: TestApp) {
    let (id, v1) = published_draft(&app).await;
    let staff_token = app.token("staff", Scope::Write).await;
    // The QR code and the poster point at /l/{draft}.
    let req = Request::get(format!("/l/{id}/qr.png"))
        .header(header::HOST, "rd.zhucheng.example")
        .body(Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(decode_qr_png(&r.bytes), format!("http://rd.zhucheng.example/l/{id}"));
    let mut citizen = app.browser().await;
    let poster = citizen.get(&format!("/l/{id}/poster?size=a3")).await;
    assert_eq!(poster.status, StatusCode::OK);
    assert!(poster.body.contains("<svg") && poster.body.contains("公开征求意见"), "{}", poster.body);
    // A citizen reads the draft on a phone and comments on 第七条 (the secretary-general).
    let seventh = node_of(&app, v1, "第七条").await;
    let page = citizen.get(&format!("/l/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("/l/{id}/comment?node={seventh}")), "a link per article");
    let form = citizen.get(&format!("/l/{id}/comment?node={seventh}")).await;
    assert!(form.body.contains("国务院秘书长在总理领导下"), "the article is shown with its form");
    let r = citizen
        .submit(
            &form,
            "#comment-form",
            &[
                ("text", "建议明确副秘书长的人数上限，避免机构臃肿。"),
                ("quote", "国务院设副秘书长若干人"),
                ("name", "王先生"),
                ("phone", PHONE),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body.contains("意见已收到"), "{}", r.body);
    // And one on the whole draft through the public API.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/versions/{v1}/comments"),
            None,
            Some(json!({"text": "建议增加国务院向全国人大常委会报告工作的具体程序。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The public sees the count on the article, never the commenter's name or phone.
    for path in [format!("/l/{id}"), format!("/l/{id}/comment?node={seventh}"), format!("/l/{id}/comment")] {
        let r = citizen.get(&path).await;
        assert!(!r.body.contains(PHONE) && !r.body.contains("1390536") && !r.body.contains("王先生"), "{path}");
        assert!(!r.body.contains("避免机构臃肿"), "{path}: comment texts are not published");
    }
    let page = citizen.get(&format!("/l/{id}")).await;
    assert!(page.body.contains("本条已有 1 条意见"), "the article's count");
    // Staff see both with their article and no contact details.
    let list = app.api("GET", &format!("/api/v1/legislation/versions/{v1}/comments"), Some(&staff_token), None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(PHONE) && !list.body.contains("王先生"));
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let on_seventh = items.iter().find(|o| o["node_id"] == seventh).unwrap().clone();
    assert_eq!((on_seventh["number"].as_str(), on_seventh["contact_left"].as_bool()), (Some("第七条"), Some(true)));
    let public_id = on_seventh["id"].as_i64().unwrap();
    let whole_id = items.iter().find(|o| o["node_id"].is_null()).unwrap()["id"].as_i64().unwrap();

    // Targeted consultation: the 联系点 and an expert, 5 working days.
    let point = contact_point(&app).await;
    let mut staff = app.login("staff").await;
    let r = staff
        .post(
            "/console/legislation/experts",
            &[
                ("pool", "advisor"),
                ("name", "周明远"),
                ("affiliation", "山东大学法学院"),
                ("fields", "行政法、地方立法"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let expert = count(&app, "SELECT max(id) FROM leg_experts").await;
    let r = staff
        .post(
            &format!("/console/legislation/{id}/tasks"),
            &[
                ("targets", &format!("station:{point}")),
                ("targets", &format!("expert:{expert}")),
                ("due_working_days", "5"),
                ("note", "请逐条提出意见"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let station_task =
        count(&app, &format!("SELECT id FROM leg_tasks WHERE draft_id = {id} AND station_id = {point}")).await;
    let expert_task =
        count(&app, &format!("SELECT id FROM leg_tasks WHERE draft_id = {id} AND expert_id = {expert}")).await;
    let cal = renda::calendar::load(app.db()).await.unwrap();
    let due = cal.add_working_days(renda::calendar::beijing_date(db::now()), 5).format("%Y-%m-%d").to_string();
    let deadline: String =
        db::query_rows(app.db(), "SELECT deadline FROM leg_tasks WHERE id = $1", vec![station_task.into()])
            .await
            .unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert_eq!(deadline, due, "five working days on the calendar");
    // The 联系点's keeper sees its task (and was told), not the expert's; writes and sends.
    let mut keeper = app.login("lianxi").await;
    let mine = keeper.get("/console/legislation/tasks").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains(&format!("/console/legislation/tasks/{station_task}")));
    assert!(!mine.body.contains(&format!("/console/legislation/tasks/{expert_task}")));
    assert_eq!(keeper.get(&format!("/console/legislation/tasks/{expert_task}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(keeper.get(&format!("/console/legislation/{id}")).await.status, StatusCode::NOT_FOUND);
    assert!(count(&app, "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'lianxi' AND n.title = '立法征求意见'").await == 1);
    let second = node_of(&app, v1, "第二条").await;
    let r = keeper
        .post(
            &format!("/console/legislation/tasks/{station_task}/lines"),
            &[
                ("node", &second.to_string()),
                ("text", "信息采集员反映：建议在组成人员中写明中国人民银行行长。"),
                ("author", "信息采集员 王秀兰"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Not yet sent: staff do not count it.
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM leg_opinions WHERE task_id = {station_task} AND sent = true")).await,
        0
    );
    let r =
        keeper.post(&format!("/console/legislation/tasks/{station_task}/answer"), &[("summary", "经座谈汇总")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = keeper
        .post(&format!("/console/legislation/tasks/{station_task}/lines"), &[("text", "再补充一条意见内容")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "an answer once sent is closed");
    // Staff enter the expert's answer.
    let r = staff
        .post(
            &format!("/console/legislation/tasks/{expert_task}/lines"),
            &[("node", &seventh.to_string()), ("text", "副秘书长职数宜由国务院组织规定，不宜写入法律。")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = staff.post(&format!("/console/legislation/tasks/{expert_task}/answer"), &[("summary", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app, &format!("SELECT count(*) FROM leg_tasks WHERE draft_id = {id} AND state = 'answered' AND answered_at < deadline_at")).await, 2, "both before their deadline");
    let point_line = count(&app, &format!("SELECT id FROM leg_opinions WHERE task_id = {station_task}")).await;
    let expert_line = count(&app, &format!("SELECT id FROM leg_opinions WHERE task_id = {expert_task}")).await;

    // A unit or a deputy cannot dispose; staff dispose of every opinion.
    for who in ["unit", "deputy", "lianxi"] {
        let t = app.token(who, Scope::Write).await;
        let r = app
            .api(
                "POST",
                &format!("/api/v1/legislation/opinions/{public_id}/disposition"),
                Some(&t),
                Some(json!({"disposition": "adopted"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
    let dispose = |o: i64, body: serde_json::Value| {
        let t = staff_token.clone();
        let app = &app;
        async move { app.api("POST", &format!("/api/v1/legislation/opinions/{o}/disposition"), Some(&t), Some(body)).await }
    };
    let r = dispose(expert_line, json!({"disposition": "rejected"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["detail"].as_str().unwrap().contains("未采纳的意见请写明理由"));
    let sms_before = count(&app, "SELECT count(*) FROM sms_outbox WHERE purpose = 'leg_feedback'").await;
    let last_sms = count(&app, "SELECT COALESCE(max(id), 0) FROM sms_outbox").await;
    assert_eq!(
        dispose(public_id, json!({"disposition": "partly", "reason": "副秘书长职数由国务院规定"})).await.status,
        StatusCode::OK
    );
    assert_eq!(dispose(whole_id, json!({"disposition": "further_study"})).await.status, StatusCode::OK);
    assert_eq!(
        dispose(point_line, json!({"disposition": "adopted", "reason": "二审稿已增加"})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        dispose(expert_line, json!({"disposition": "rejected", "reason": "与专家意见一致，不写入"})).await.status,
        StatusCode::OK
    );
    // The commenter is told by SMS; the 联系点 in its inbox.
    assert_eq!(count(&app, "SELECT count(*) FROM sms_outbox WHERE purpose = 'leg_feedback'").await, sms_before + 1);
    let sent = renda::notify::sent_since(app.db(), &app.state.crypto, last_sms).await.unwrap();
    let told = sent.iter().find(|m| m.purpose == "leg_feedback").unwrap();
    assert!(told.body.contains("第七条") && told.body.contains("部分采纳"), "{}", told.body);
    assert!(count(&app, "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'lianxi' AND n.title = '立法意见处理情况'").await == 1);

    // The second reading: three articles inserted near the start.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/drafts/{id}/versions"),
            Some(&staff_token),
            Some(json!({"text": fixture("guowuyuan-2024.md"), "label": "二审稿", "stage": "second_reading"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v2 = r.json()["version_id"].as_i64().unwrap();
    assert_eq!(node_of(&app, v2, "第十条").await, seventh, "第七条 is 第十条 now, the same article");
    assert_eq!(node_of(&app, v2, "第五条").await, second, "第二条 is 第五条");
    let page = staff.get(&format!("/console/legislation/{id}/opinions")).await;
    let row = page.texts(&format!("li#o{public_id} p.meta"))[0].clone();
    assert!(row.contains("第七条") && row.contains("二审稿第十条"), "{row}");
    // The 二审稿's page counts the comments on the article's new number.
    let page = staff.get(&format!("/console/legislation/versions/{v2}")).await;
    let heading = page.texts(&format!("h3#n{seventh}"))[0].clone();
    assert!(heading.starts_with("第十条") && heading.contains("意见 2"), "{heading}");
    // An adopted opinion linked to the change it led to.
    let r =
        dispose(point_line, json!({"disposition": "adopted", "reason": "二审稿第五条已增加", "change_version_id": v2}))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.json()["change_version_id"].as_i64(), r.json()["change_node_id"].as_i64()), (Some(v2), Some(second)));

    // The figures per stage and source against a hand count of the rows.
    let stats =
        app.api("GET", &format!("/api/v1/legislation/drafts/{id}/stats"), Some(&staff_token), None).await.json();
    let hand = |sql: &str| {
        format!(
            "SELECT count(*) FROM leg_opinions WHERE draft_id = {id} AND sent = true AND moderation <> 'removed' AND {sql}"
        )
    };
    assert_eq!(stats["total"]["collected"].as_i64().unwrap(), count(&app, &hand("1 = 1")).await);
    assert_eq!(
        stats["total"]["adopted"].as_i64().unwrap(),
        count(&app, &hand("disposition IN ('adopted', 'partly')")).await
    );
    assert_eq!(stats["total"]["collected"], 4);
    assert_eq!(stats["total"]["adopted"], 2);
    assert_eq!(stats["total"]["adoption_per_mille"], 500);
    let line = |source: &str| {
        stats["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["stage"] == "first_reading" && l["source"] == source)
            .cloned()
            .unwrap()
    };
    assert_eq!((line("public")["collected"].as_i64(), line("public")["adopted"].as_i64()), (Some(2), Some(1)));
    assert_eq!(
        (line("contact_point")["collected"].as_i64(), line("contact_point")["adopted"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!((line("expert")["collected"].as_i64(), line("expert")["rejected"].as_i64()), (Some(1), Some(1)));
    let page = staff.get(&format!("/console/legislation/{id}/stats")).await;
    assert!(page.body.contains("共收集 <strong>4</strong> 条，采纳 <strong>2</strong> 条"), "{}", page.body);
    assert!(page.body.contains("<svg"), "the chart");
    let xlsx = staff.get(&format!("/console/legislation/{id}/stats?format=xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("分来源").unwrap();
    let total = sheet.rows().next_back().unwrap().to_vec();
    assert_eq!(total[2], calamine::Data::Float(4.0));
    assert_eq!(total[9], calamine::Data::Float(0.5), "the rate is a number");
}
demo_test!(the_done_when_path);

async fn public_comments_follow_the_intake_rules(app: TestApp) {
    let (id, v) = published_draft(&app).await;
    let third = node_of(&app, v, "第三条").await;
    let mut citizen = app.browser().await;
    let send = async |b: &mut crate::support::Browser<'_>, fields: &[(&str, &str)]| {
        b.post(&format!("/l/{id}/comment"), fields).await
    };
    let node = third.to_string();
    // Checks, all at once, in Chinese; nothing stored.
    let before = count(&app, "SELECT count(*) FROM leg_opinions").await;
    let r = send(
        &mut citizen,
        &[("node", &node), ("text", "短"), ("phone", "12345"), ("name", "张三"), ("quote", "这句话不在条文里")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for m in ["请把意见写清楚", "请填写 11 位手机号", "请勾选同意", "引用的文字在第三条中找不到"]
    {
        assert!(r.body.contains(m), "{m}: {}", r.body);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM leg_opinions").await, before);
    // An article of another version is not one of this draft's.
    let r = send(&mut citizen, &[("node", "999999"), ("text", "这条意见针对不存在的条文")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A held word: kept for review, not counted in public until released.
    let r = send(&mut citizen, &[("node", &node), ("text", "有人说可以办假证，建议严查相关问题。")]).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body.contains("审核后公开显示"));
    let held = count(&app, "SELECT max(id) FROM leg_opinions").await;
    let page = citizen.get(&format!("/l/{id}")).await;
    assert!(!page.body.contains("本条已有"), "a held comment is not counted in public");
    let mut staff = app.login("staff").await;
    let r =
        staff.post(&format!("/console/legislation/opinions/{held}/disposition"), &[("disposition", "adopted")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a held comment is released before it is disposed of");
    let r = staff.post(&format!("/console/legislation/opinions/{held}/moderate"), &[("to", "ok")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(citizen.get(&format!("/l/{id}")).await.body.contains("本条已有 1 条意见"));
    // The same text again from the same address: a repeat.
    let text = "建议在第三条中写明国务院职权的具体清单。";
    assert_eq!(send(&mut citizen, &[("node", &node), ("text", text)]).await.status, StatusCode::CREATED);
    assert_eq!(send(&mut citizen, &[("node", &node), ("text", text)]).await.status, StatusCode::CONFLICT);
    // A closed window.
    let token = app.token("staff", Scope::Write).await;
    let other = app
        .api("POST", "/api/v1/legislation/drafts", Some(&token), Some(json!({"text": fixture("guowuyuan-2024.md")})))
        .await
        .json()["version_id"]
        .as_i64()
        .unwrap();
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/versions/{other}/comments"),
            None,
            Some(json!({"text": "这一稿尚未公开征求意见"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an unpublished version is not public");
    db::exec(
        app.db(),
        "UPDATE leg_versions SET open_until = '2020-01-31', open_from = '2020-01-01' WHERE id = $1",
        vec![v.into()],
    )
    .await
    .unwrap();
    let r = app
        .api(
            "POST",
            &format!("/api/v1/legislation/versions/{v}/comments"),
            None,
            Some(json!({"text": "截止以后提交的意见"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.json()["detail"].as_str().unwrap().contains("征求意见已于 2020-01-31 截止"));
    // The address's hourly budget of the public intake (shared with 民意), in an open window.
    db::exec(app.db(), "UPDATE leg_versions SET open_until = '2099-12-31' WHERE id = $1", vec![v.into()])
        .await
        .unwrap();
    let mut last = StatusCode::CREATED;
    for n in 0..12 {
        last = send(&mut citizen, &[("node", &node), ("text", &format!("第{n}条补充意见：建议细化相关规定。"))])
            .await
            .status;
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}
demo_test!(public_comments_follow_the_intake_rules);

async fn the_deadline_scan_warns_once_and_marks_overdue_once(app: TestApp) {
    let (id, _) = published_draft(&app).await;
    let point = contact_point(&app).await;
    let mut staff = app.login("staff").await;
    let r = staff
        .post(
            &format!("/console/legislation/{id}/tasks"),
            &[("targets", &format!("station:{point}")), ("due_working_days", "3")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let task = count(&app, &format!("SELECT id FROM leg_tasks WHERE draft_id = {id}")).await;
    let deadline_at = count(&app, &format!("SELECT deadline_at FROM leg_tasks WHERE id = {task}")).await;
    let cal = renda::calendar::load(app.db()).await.unwrap();
    let key = app.state.audit_key().to_vec();
    let stamps = || {
        let app = &app;
        async move {
            let r = db::query_rows(
                app.db(),
                "SELECT warned_for, overdue_for, deadline FROM leg_tasks WHERE id = $1",
                vec![task.into()],
            )
            .await
            .unwrap();
            let get = |i| r[0].try_get_by_index::<Option<String>>(i).unwrap();
            (get(0), get(1), r[0].try_get_by_index::<String>(2).unwrap())
        }
    };
    let link = format!("/console/legislation/tasks/{task}");
    let told = |title: &'static str| {
        let (app, link) = (&app, link.clone());
        async move {
            db::scalar_i64(
                app.db(),
                "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'lianxi' \
                 AND n.title = $1 AND n.link = $2",
                vec![title.into(), link.into()],
            )
            .await
            .unwrap()
        }
    };
    // The day before the deadline: a warning, once.
    renda::legislation::tasks::scan(app.db(), &app.state.writer, &key, &cal, deadline_at - 30 * 3600).await.unwrap();
    let (warned, overdue, deadline) = stamps().await;
    assert_eq!((warned.as_deref(), overdue.as_deref()), (Some(deadline.as_str()), None));
    renda::legislation::tasks::scan(app.db(), &app.state.writer, &key, &cal, deadline_at - 29 * 3600).await.unwrap();
    assert_eq!(told("立法意见即将到期").await, 1, "warned once per deadline");
    // After it: overdue, once; the page says so.
    renda::legislation::tasks::scan(app.db(), &app.state.writer, &key, &cal, deadline_at + 60).await.unwrap();
    assert_eq!(stamps().await.1.as_deref(), Some(deadline.as_str()));
    renda::legislation::tasks::scan(app.db(), &app.state.writer, &key, &cal, deadline_at + 3600).await.unwrap();
    assert_eq!(told("立法意见已超期").await, 1, "overdue once per deadline");
    db::exec(
        app.db(),
        "UPDATE leg_tasks SET deadline_at = $1 WHERE id = $2",
        vec![(db::now() - 1).into(), task.into()],
    )
    .await
    .unwrap();
    let mut keeper = app.login("lianxi").await;
    let page = keeper.get(&link).await;
    assert!(page.body.contains("已超期"), "{}", page.body);
    // The job runs it the same way.
    let job = renda::jobs::Job {
        id: 0,
        kind: "legislation-deadlines".into(),
        payload: format!("{{\"now\": {}}}", deadline_at + 7200),
        attempts: 0,
    };
    let r = renda::app::worker::handle(&app.state, job).await;
    assert!(r.is_ok(), "{r:?}");
}
demo_test!(the_deadline_scan_warns_once_and_marks_overdue_once);
