//! A meeting's records (MTG-7) and its agenda's links (MTG-1): resolutions through the API with
//! the figures of the ballot that adopted them and their implementation state, the register as
//! an API list (filtered, paged), bad input refused with nothing written, the daily reminders of
//! what is not yet implemented (once before the due date, once past it, never once done), and an
//! agenda item about a draft regulation.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use super::{account_for, act, ballot, cast, deputies, meeting_of, present, staff_token};

use crate::demo_test;
use crate::support::TestApp;

/// Seconds of a Beijing time (`2027-01-08 09:00`).
fn beijing(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&format!("{s}+08:00")).unwrap().timestamp()
}

async fn records_count(app: &TestApp, meeting: i64) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM meeting_records WHERE meeting_id = $1", vec![meeting.into()])
        .await
        .unwrap()
}

/// The reminders of record `id` in staff's inbox, by title.
async fn reminders(app: &TestApp, id: i64, title: &str) -> i64 {
    db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'staff' \
         AND n.item_type = 'meeting_record' AND n.item_id = $1 AND n.title = $2",
        vec![id.into(), title.into()],
    )
    .await
    .unwrap()
}

async fn scan(app: &TestApp, at: &str) -> renda::meetings::reminders::Report {
    let cal = renda::calendar::load(app.db()).await.unwrap();
    renda::meetings::reminders::scan(app.db(), &app.state.writer, app.state.audit_key(), &cal, beijing(at))
        .await
        .unwrap()
}

async fn resolutions_through_the_api_and_reminders_until_implemented(app: TestApp) {
    let staff = staff_token(&app).await;
    let members = deputies(&app, 5).await;
    let meeting = meeting_of(&app, &staff, &members, &[]).await;
    present(&app, &staff, meeting, &members).await;
    let rule = json!({"base": "all_members", "num": 1, "den": 2, "strict": true});
    let motion = ballot(
        &app,
        &staff,
        meeting,
        json!({"title": "关于加强农村饮水安全工作的决议（草案）", "kind": "motion", "secret": false, "rule": rule}),
    )
    .await;
    let pending = ballot(&app, &staff, meeting, json!({"title": "另一项", "kind": "motion", "rule": rule})).await;
    assert_eq!(act(&app, &staff, motion, "open").await.status, StatusCode::OK);
    for (p, choice) in members.iter().zip(["yes", "yes", "yes", "no"]) {
        cast(&app, motion, *p, &[(0, choice)]).await.unwrap();
    }
    assert_eq!(act(&app, &staff, motion, "close").await.status, StatusCode::OK);

    // Bad input: a 422 naming the field, nothing written.
    let path = format!("/api/v1/meetings/{meeting}/records");
    let base = json!({"kind": "resolution", "title": "关于加强农村饮水安全工作的决议", "ballot_id": motion});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (bad, field) in [
        (with("ballot_id", json!(pending)), "ballot_id"),
        (with("due_date", json!("2027-13-01")), "due_date"),
        (with("due_date", json!("2026-01-01")), "due_date"),
        (with("kind", json!(null)), "kind"),
        (with("title", json!(" ")), "title"),
    ] {
        let r = app.api("POST", &path, Some(&staff), Some(bad.clone())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
        assert!(r.body.contains(field), "{bad}: {}", r.body);
    }
    let r = app.api("POST", &path, Some(&staff), Some(with("extra", json!(1)))).await;
    assert!(r.status.is_client_error(), "{}", r.body);
    assert_eq!(records_count(&app, meeting).await, 0);
    // A deputy of the meeting may not record.
    let deputy = account_for(&app, members[0], "rec0").await;
    assert_eq!(app.api("POST", &path, Some(&deputy), Some(base.clone())).await.status, StatusCode::FORBIDDEN);

    // The resolution, due on 2027-01-15; minutes need no follow-up.
    let r = app.api("POST", &path, Some(&staff), Some(with("due_date", json!("2027-01-15")))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(format!("/api/v1/meeting-records/{id}").as_str()));
    let minutes = app
        .api("POST", &path, Some(&staff), Some(json!({"kind": "minutes", "title": "会议纪要", "body": "会议审议了…"})))
        .await;
    assert_eq!(minutes.status, StatusCode::CREATED, "{}", minutes.body);
    let minutes = minutes.json()["id"].as_i64().unwrap();

    // The record with its ballot's figures and outcome.
    let d = app.api("GET", &format!("/api/v1/meeting-records/{id}"), Some(&staff), None).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let d = d.json();
    assert_eq!(d["kind"], "resolution");
    assert!(d["number"].as_str().unwrap().starts_with('〔'), "{}", d["number"]);
    assert_eq!(d["tracking"], "pending");
    assert_eq!(d["due_date"], "2027-01-15");
    assert_eq!(d["figures"], "赞成 3、反对 1、弃权 0，未按 1：通过");
    assert_eq!(d["outcome"]["passed"], true);
    assert_eq!(d["outcome"]["rule_text"], "全体组成人员的过半数");
    assert_eq!(d["notes"], json!([]));
    let m = app.api("GET", &format!("/api/v1/meeting-records/{minutes}"), Some(&staff), None).await.json();
    assert_eq!((m["tracking"].as_str(), m["due_date"].as_str(), m["outcome"].is_null()), (Some("none"), None, true));
    // A participant sees the record of their meeting; the register is for organ workers (hidden
    // from others: 404, as any record they may not see).
    assert_eq!(
        app.api("GET", &format!("/api/v1/meeting-records/{id}"), Some(&deputy), None).await.status,
        StatusCode::OK
    );
    assert_eq!(app.api("GET", "/api/v1/meeting-records", Some(&deputy), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.api("GET", "/api/v1/meeting-records/999999999", Some(&staff), None).await.status,
        StatusCode::NOT_FOUND
    );

    // The register: resolutions and decisions only, newest first, filtered and paged.
    let all = app.api("GET", "/api/v1/meeting-records?limit=200", Some(&staff), None).await.json();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items[0]["record_id"], id);
    assert_eq!(items[0]["figures"], "赞成 3、反对 1、弃权 0，未按 1：通过");
    assert_eq!(items[0]["passed"], true);
    assert!(items.iter().all(|i| i["kind"] != "minutes"));
    let pending_list = app.api("GET", "/api/v1/meeting-records?tracking=pending", Some(&staff), None).await.json();
    assert!(pending_list["items"].as_array().unwrap().iter().any(|i| i["record_id"] == id));
    assert!(pending_list["items"].as_array().unwrap().iter().all(|i| i["tracking"] == "pending"));
    let done = app.api("GET", "/api/v1/meeting-records?tracking=done", Some(&staff), None).await.json();
    assert!(!done["items"].as_array().unwrap().iter().any(|i| i["record_id"] == id));
    let first = app.api("GET", "/api/v1/meeting-records?limit=1", Some(&staff), None).await.json();
    let cursor = first["next_cursor"].as_str().expect("the demo's records follow");
    let second = app.api("GET", &format!("/api/v1/meeting-records?limit=1&cursor={cursor}"), Some(&staff), None).await;
    assert_ne!(second.json()["items"][0]["record_id"], id);
    for q in ["tracking=bogus", "limit=0", "cursor=x"] {
        let r = app.api("GET", &format!("/api/v1/meeting-records?{q}"), Some(&staff), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {}", r.body);
    }

    // Reminders: nothing nine working days before; once five before; once past the date.
    scan(&app, "2027-01-04T09:00:00").await;
    assert_eq!(reminders(&app, id, "决议决定即将到期").await, 0);
    scan(&app, "2027-01-08T09:00:00").await;
    assert_eq!(reminders(&app, id, "决议决定即将到期").await, 1);
    scan(&app, "2027-01-11T09:00:00").await;
    assert_eq!(reminders(&app, id, "决议决定即将到期").await, 1, "warned once per due date");
    // A note moves it to 落实中 — still not done, so still reminded when overdue.
    let notes = format!("/api/v1/meeting-records/{id}/notes");
    let r = app
        .api("POST", &notes, Some(&staff), Some(json!({"body": "市水务局已制定工作方案。", "tracking": "in_progress"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["tracking"], "in_progress");
    assert_eq!(r.json()["notes"].as_array().unwrap().len(), 1);
    let r = app.api("POST", &notes, Some(&staff), Some(json!({"body": " ", "tracking": "done"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.api("POST", &notes, Some(&staff), Some(json!({"body": "x", "tracking": "pending"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/meeting-records/{minutes}/notes"),
            Some(&staff),
            Some(json!({"body": "x", "tracking": "done"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        app.api("POST", &notes, Some(&deputy), Some(json!({"body": "x", "tracking": "done"}))).await.status,
        StatusCode::FORBIDDEN
    );
    scan(&app, "2027-01-16T09:00:00").await;
    assert_eq!(reminders(&app, id, "决议决定逾期未落实").await, 1);
    scan(&app, "2027-01-20T09:00:00").await;
    assert_eq!(reminders(&app, id, "决议决定逾期未落实").await, 1, "overdue told once");
    let logged = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'meeting_record_remind' AND target_id = $1",
        vec![id.to_string().into()],
    )
    .await
    .unwrap();
    assert_eq!(logged, 2);

    // Done: never reminded again, whatever the date; the page says how far it is.
    let r =
        app.api("POST", &notes, Some(&staff), Some(json!({"body": "改造工程全部完工。", "tracking": "done"}))).await;
    assert_eq!(r.json()["tracking"], "done");
    db::exec(app.db(), "UPDATE meeting_records SET overdue_for = NULL WHERE id = $1", vec![id.into()]).await.unwrap();
    scan(&app, "2027-03-01T09:00:00").await;
    assert_eq!(reminders(&app, id, "决议决定逾期未落实").await, 1);
    // The job is the module's, daily.
    let job = app.state.modules.job(renda::meetings::reminders::JOB).expect("the reminders job");
    assert!(job.daily);
    let mut desk = app.login("staff").await;
    let page = desk.get(&format!("/console/meetings/{meeting}")).await;
    assert_eq!(page.texts(&format!("#record-{id} .badge")), ["已落实"]);
}
demo_test!(resolutions_through_the_api_and_reminders_until_implemented);

/// The console form: a resolution with its 落实期限, a default one without, a bad date told.
async fn the_record_form_takes_a_due_date(app: TestApp) {
    let staff = staff_token(&app).await;
    let members = deputies(&app, 3).await;
    let meeting = meeting_of(&app, &staff, &members, &[]).await;
    let mut desk = app.login("staff").await;
    let path = format!("/console/meetings/{meeting}");
    let page = desk.get(&path).await;
    let fields =
        [("kind", "decision"), ("title", "关于开展专题调研的决定"), ("track", "on"), ("due_date", "2027-02-26")];
    assert_eq!(desk.submit(&page, "#new-record", &fields).await.status, StatusCode::SEE_OTHER);
    let page = desk.get(&path).await;
    assert!(page.body.contains("落实期限 2027-02-26"), "{}", page.body);
    let bad = [("kind", "decision"), ("title", "另一项决定"), ("track", "on"), ("due_date", "明年")];
    let r = desk.submit(&page, "#new-record", &bad).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(records_count(&app, meeting).await, 1);
    let page = desk.get(&path).await;
    let r = desk
        .submit(&page, "#new-record", &[("kind", "resolution"), ("title", "默认期限的决议"), ("track", "on")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let due: Option<String> = db::query_rows(
        app.db(),
        "SELECT due_date FROM meeting_records WHERE meeting_id = $1 AND title = '默认期限的决议'",
        vec![meeting.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    let expected =
        renda::calendar::beijing_date(db::now()) + chrono::Duration::days(renda::meetings::service::DEFAULT_DUE_DAYS);
    assert_eq!(due, Some(expected.format("%Y-%m-%d").to_string()));
}
demo_test!(the_record_form_takes_a_due_date);

/// MTG-1: an agenda item about a draft regulation of `legislation`, linked through
/// `record_links` and shown with the draft's title and page; an unknown draft is refused.
async fn an_agenda_item_links_a_draft_regulation(app: TestApp) {
    let staff = staff_token(&app).await;
    let members = deputies(&app, 3).await;
    let meeting = meeting_of(&app, &staff, &members, &[]).await;
    let draft = db::scalar_i64(app.db(), "SELECT min(id) FROM leg_drafts", vec![]).await.unwrap();
    let title: String =
        db::query_rows(app.db(), "SELECT title FROM leg_drafts WHERE id = $1", vec![draft.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let mut desk = app.login("staff").await;
    let path = format!("/console/meetings/{meeting}");
    let page = desk.get(&path).await;
    assert!(page.body.contains("<option value=\"leg_draft\">法规草案</option>"), "{}", page.body);
    let unknown = [("title", "审议条例草案"), ("kind", "draft"), ("link_type", "leg_draft"), ("link_id", "999999999")];
    assert!(desk.submit(&page, "#new-item", &unknown).await.status.is_client_error());
    let items = || async {
        db::scalar_i64(app.db(), "SELECT count(*) FROM meeting_items WHERE meeting_id = $1", vec![meeting.into()])
            .await
            .unwrap()
    };
    assert_eq!(items().await, 0);
    let draft_id = draft.to_string();
    let fields =
        [("title", "审议条例草案"), ("kind", "draft"), ("link_type", "leg_draft"), ("link_id", draft_id.as_str())];
    let r = desk.submit(&page, "#new-item", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(items().await, 1);
    let page = desk.get(&path).await;
    let link = page.html();
    let a = link.select(&scraper::Selector::parse(".item-link a").unwrap()).next().expect("the linked draft");
    assert_eq!(a.value().attr("href"), Some(format!("/console/legislation/{draft}").as_str()));
    assert_eq!(a.text().collect::<String>(), format!("法规草案：{title}"));
    let linked = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM record_links WHERE from_type = 'meeting_item' AND to_type = 'leg_draft' AND to_id = $1",
        vec![draft.into()],
    )
    .await
    .unwrap();
    assert_eq!(linked, 1);

    // Its documents as files (the platform's attachments, with their checks and limits): staff
    // upload a PDF; the meeting's participants read it, nobody else; a program is refused.
    let item = db::scalar_i64(app.db(), "SELECT id FROM meeting_items WHERE meeting_id = $1", vec![meeting.into()])
        .await
        .unwrap();
    let files = format!("{path}/items/{item}/files");
    let r = desk.upload(&files, "file", "条例草案说明.pdf", b"%PDF-1.7 draft").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = desk.upload(&files, "file", "setup.pdf", b"MZ\x90\x00 not a document").await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    let stored = || async {
        db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM attachments WHERE owner_type = 'meeting_item' AND owner_id = $1",
            vec![item.to_string().into()],
        )
        .await
        .unwrap()
    };
    assert_eq!(stored().await, 1);
    let page = desk.get(&path).await;
    let doc = page.html();
    let a = doc.select(&scraper::Selector::parse(&format!("#files-{item} a")).unwrap()).next().expect("the document");
    assert_eq!(a.text().collect::<String>(), "条例草案说明.pdf");
    let href = a.value().attr("href").unwrap().to_string();
    assert_eq!(desk.get(&href).await.status, StatusCode::OK);
    account_for(&app, members[0], "doc0").await;
    let mut member = app.login("mtg-doc0").await;
    let got = member.get(&href).await;
    assert_eq!((got.status, got.bytes.as_slice()), (StatusCode::OK, b"%PDF-1.7 draft".as_slice()));
    let r = member.upload(&files, "file", "mine.pdf", b"%PDF-1.7 x").await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    let outsider = deputies(&app, 4).await[3];
    account_for(&app, outsider, "doc3").await;
    let mut other = app.login("mtg-doc3").await;
    assert!(other.get(&href).await.status.is_client_error());
    // Removed by staff, it is gone.
    let file = href.trim_start_matches("/files/").to_string();
    let r = desk.post(&format!("{files}/{file}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(stored().await, 0);
}
demo_test!(an_agenda_item_links_a_draft_regulation);
