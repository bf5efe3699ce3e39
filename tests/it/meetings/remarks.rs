//! 云列席's written remarks (MTG-6): a participant's remark is held for moderation — no other
//! participant and no hall screen sees it before staff make it public (公开); once public every
//! participant and the hall (live, through its stream) show it with its author; 不公开 takes it
//! off again. Who does not sit in the meeting cannot post, a participant cannot moderate, and
//! bad input is a 4xx or a message with nothing written.

use axum::http::StatusCode;
use renda::db;
use serde_json::json;

use super::{Events, account_for, deputies, meeting_of, staff_token};
use crate::demo_test;
use crate::support::TestApp;

async fn count(app: &TestApp, meeting: i64) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM meeting_remarks WHERE meeting_id = $1", vec![meeting.into()])
        .await
        .unwrap()
}

async fn state(app: &TestApp, remark: i64) -> String {
    db::query_rows(app.db(), "SELECT state FROM meeting_remarks WHERE id = $1", vec![remark.into()]).await.unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}

async fn remarks_are_moderated_before_anyone_sees_them(app: TestApp) {
    let staff = staff_token(&app).await;
    let people = deputies(&app, 4).await;
    let meeting = meeting_of(&app, &staff, &people[..3], &[]).await;
    account_for(&app, people[0], "r0").await;
    account_for(&app, people[1], "r1").await;
    account_for(&app, people[3], "r3").await;
    let name: String =
        db::query_rows(app.db(), "SELECT name FROM persons WHERE id = $1", vec![people[0].into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let page_path = format!("/console/meetings/{meeting}");
    let mut author = app.login("mtg-r0").await;
    let mut other = app.login("mtg-r1").await;
    let mut outsider = app.login("mtg-r3").await;
    let mut desk = app.login("staff").await;

    // The hall screen, by its key: no remark yet.
    let made = desk.post(&format!("{page_path}/hall"), &[]).await;
    let url = made.texts("#hall-url a").pop().unwrap();
    let key = url.split("key=").nth(1).unwrap().to_string();
    let mut hall = Events::open(&app, &format!("/hall/{meeting}/events?key={key}"), None).await;
    assert_eq!(hall.next("hall", 5).await["remarks"], json!([]));

    // The author signs in remotely and writes; they see it waiting, nobody else does.
    let text = "建议加快城区老旧供水管网改造，并公开改造进度。";
    let page = author.get(&page_path).await;
    assert_eq!(author.submit(&page, "#remote-checkin", &[]).await.status, StatusCode::SEE_OTHER);
    let page = author.get(&page_path).await;
    let r = author.submit(&page, "#remark", &[("body", text)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let remark =
        db::scalar_i64(app.db(), "SELECT max(id) FROM meeting_remarks WHERE meeting_id = $1", vec![meeting.into()])
            .await
            .unwrap();
    let mine = author.get(&page_path).await;
    assert_eq!(mine.texts(&format!("#remark-{remark} .badge")), ["待审核"], "{}", mine.body);
    assert!(!other.get(&page_path).await.body.contains(text), "another participant sees a remark not yet public");
    let screen = app.api("GET", &format!("/hall/{meeting}?key={key}"), None, None).await;
    assert_eq!(screen.status, StatusCode::OK);
    assert!(!screen.body.contains(text), "the hall shows a remark not yet public");

    // An empty remark is told and not written; who does not sit in the meeting cannot post.
    let r = author.post(&format!("{page_path}/remarks"), &[("body", "  ")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = outsider.post(&format!("{page_path}/remarks"), &[("body", "我不是参会人员")]).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}: {}", r.status, r.body);
    assert_eq!(count(&app, meeting).await, 1);

    // A participant cannot moderate; staff cannot set it back to pending nor send nonsense.
    let moderate = format!("{page_path}/remarks/{remark}");
    let r = other.post(&moderate, &[("state", "shown")]).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}: {}", r.status, r.body);
    assert_eq!(desk.post(&moderate, &[("state", "bogus")]).await.status, StatusCode::BAD_REQUEST);
    assert!(desk.post(&moderate, &[("state", "pending")]).await.status.is_client_error());
    let r = desk.post(&format!("{page_path}/remarks/999999999"), &[("state", "shown")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(state(&app, remark).await, "pending");

    // Staff make it public from the page (公开, the first of its two buttons).
    let staff_page = desk.get(&page_path).await;
    assert_eq!(staff_page.texts(&format!("#remark-{remark} button")), ["公开", "不公开"]);
    let r = desk.submit(&staff_page, &format!("#remark-{remark} form"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state(&app, remark).await, "shown");
    let seen = other.get(&page_path).await;
    assert!(seen.body.contains(text) && seen.texts(&format!("#remark-{remark} strong")) == [name.clone()]);
    let v = hall.until("hall", 5, |v| v["remarks"].as_array().is_some_and(|a| !a.is_empty())).await;
    assert_eq!(v["remarks"][0]["body"], text);
    assert_eq!(v["remarks"][0]["name"], name.as_str());
    let screen = app.api("GET", &format!("/hall/{meeting}?key={key}"), None, None).await;
    assert_eq!(screen.texts("#remarks li"), [format!("{name}：{text}")]);

    // 不公开 takes it off the hall and the other participants' pages again.
    assert_eq!(desk.post(&moderate, &[("state", "hidden")]).await.status, StatusCode::SEE_OTHER);
    hall.until("hall", 5, |v| v["remarks"] == json!([])).await;
    assert!(!other.get(&page_path).await.body.contains(text));
    let screen = app.api("GET", &format!("/hall/{meeting}?key={key}"), None, None).await;
    assert!(screen.texts("#remarks li").is_empty());
    // Every step is in the audit log (the text never is).
    let logged = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action IN ('meeting_remark', 'meeting_remark_moderate') \
         AND target_type = 'meeting' AND target_id = $1",
        vec![meeting.to_string().into()],
    )
    .await
    .unwrap();
    assert_eq!(logged, 3);
    let leaked = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE summary LIKE $1",
        vec![format!("%{text}%").into()],
    )
    .await
    .unwrap();
    assert_eq!(leaked, 0);
}
demo_test!(remarks_are_moderated_before_anyone_sees_them);
