//! The submission side and links of 代表建议 (issue 15: SUG-1, SUG-7, SUG-9, SUG-11): editing a
//! draft (a material change asks the co-signers again), files on a draft, 会商 inside a deputy
//! group, the unit's signed reply letter, 跨年结转 from the console with its confirmation, and
//! the links to a 检察建议 and to the opinions a suggestion came from, seen from both sides.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use serde_json::{Value, json};

use super::{person_of, submitted};
use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::TestApp;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 0];

async fn detail(app: &TestApp, who: &str, id: i64) -> Value {
    let r = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(who), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

/// A draft of `deputy` with `deputy2` invited; its id.
async fn draft(app: &TestApp, deputy: &str) -> i64 {
    let cos = person_of(app, "deputy2").await;
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(deputy),
            Some(json!({"title": "关于改善农村饮水安全的建议", "problem": "部分村庄自来水水压不足、水质不稳定，夏季高峰时段经常停水。",
                        "analysis": "供水管网老化，维护经费不足。", "measures": "实施农村供水管网改造；建立村级管水员制度；定期公布水质检测结果。",
                        "category": "农业农村", "cosigner_ids": [cos]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// A third deputy of the author's organ with an account `deputy3`, neither author nor co-signer.
async fn third_deputy(app: &TestApp) -> i64 {
    let me = person_of(app, "deputy").await;
    let other = person_of(app, "deputy2").await;
    let person = db::scalar_i64(
        app.db(),
        "SELECT min(m2.person_id) FROM mandates m1 JOIN mandates m2 ON m2.organ_id = m1.organ_id AND m2.status = 'serving' \
         WHERE m1.person_id = $1 AND m1.status = 'serving' AND m2.person_id NOT IN ($1, $2)",
        vec![me.into(), other.into()],
    )
    .await
    .unwrap();
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let account = app.add_account("deputy3", organ, &[Role::Deputy]).await;
    db::exec(app.db(), "UPDATE accounts SET deputy_id = $1 WHERE id = $2", vec![person.into(), account.into()])
        .await
        .unwrap();
    person
}

/// A deputy group with the given members; its id.
async fn group_of(app: &TestApp, members: &[i64]) -> i64 {
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let g = db::insert_id(
        app.db(),
        "INSERT INTO deputy_groups (organ_id, kind, name, created_at) VALUES ($1, 'area_group', '会商测试代表小组', 0)",
        vec![organ.into()],
    )
    .await
    .unwrap();
    for p in members {
        db::exec(
            app.db(),
            "INSERT INTO memberships (kind, group_id, person_id, role, sort) VALUES ('group', $1, $2, 'member', 0)",
            vec![g.into(), (*p).into()],
        )
        .await
        .unwrap();
    }
    g
}

/// A file downloaded in `username`'s browser session (bearer tokens are API credentials only).
async fn download(app: &TestApp, username: &str, url: &str) -> crate::support::Resp {
    app.login(username).await.get(url).await
}

async fn inbox_has(app: &TestApp, username: &str, title: &str) -> bool {
    db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = $1 AND n.title = $2",
        vec![username.into(), title.into()],
    )
    .await
    .unwrap()
        > 0
}

async fn a_draft_is_edited_and_a_material_change_asks_the_cosigners_again(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let id = draft(&app, &deputy).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/cosign"), Some(&deputy2), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A category is not the text: the confirmation stands.
    let r = app
        .api("PATCH", &format!("/api/v1/suggestions/{id}"), Some(&deputy), Some(json!({"category": "城乡建设"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["material"], false);
    let d = detail(&app, &deputy, id).await;
    assert_eq!(d["category"], "城乡建设");
    assert!(d["cosigners"][0]["confirmed_at"].is_i64(), "{d}");
    // White space alone is no change either.
    let measures = format!("  {}  ", d["measures"].as_str().unwrap());
    let r = app
        .api("PATCH", &format!("/api/v1/suggestions/{id}"), Some(&deputy), Some(json!({"measures": measures})))
        .await;
    assert_eq!(r.json()["material"], false, "{}", r.body);
    // New measures are: the co-signer must confirm again, and is told.
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/suggestions/{id}"),
            Some(&deputy),
            Some(json!({"measures": "实施农村供水管网改造，三年内完成老旧管网更新；建立村级管水员制度。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["material"], true);
    assert_eq!(r.json()["reconfirm"], 1);
    let d = detail(&app, &deputy, id).await;
    assert!(d["cosigners"][0]["confirmed_at"].is_null(), "{d}");
    assert!(d["measures"].as_str().unwrap().contains("三年内"));
    assert_eq!(d["state"], "cosigning");
    assert!(inbox_has(&app, "deputy2", "请重新确认联名").await);
    // Only the author edits, with the fields the document lists, and not after submission.
    let r = app
        .api("PATCH", &format!("/api/v1/suggestions/{id}"), Some(&deputy2), Some(json!({"title": "改标题的建议"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.api("PATCH", &format!("/api/v1/suggestions/{id}"), Some(&deputy), Some(json!({"colour": "red"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.api("PATCH", &format!("/api/v1/suggestions/{id}"), Some(&deputy), Some(json!({"title": "短"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Dropping the co-signer withdraws the invitation: a plain draft again.
    let r =
        app.api("PATCH", &format!("/api/v1/suggestions/{id}"), Some(&deputy), Some(json!({"cosigner_ids": []}))).await;
    assert_eq!(r.json()["withdrawn"], 1, "{}", r.body);
    assert_eq!(detail(&app, &deputy, id).await["state"], "draft");
    let r = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&deputy2), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no longer invited, no longer seen");

    // The console: the author's edit form, kept on error, saved otherwise.
    let mut author = app.login("deputy").await;
    let page = author.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(page.texts("#edit-link").len(), 1, "{}", page.body);
    let form = author.get(&format!("/console/suggestions/{id}/edit")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let r = author
        .post(
            &format!("/console/suggestions/{id}/edit"),
            &[("title", "短"), ("problem", "水压不足"), ("measures", "改造")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("至少 4 个字"), "{}", r.body);
    let r = author
        .post(
            &format!("/console/suggestions/{id}/edit"),
            &[("title", "关于保障农村饮水安全的建议"), ("problem", "水压不足，水质不稳。"), ("measures", "改造管网。")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(detail(&app, &deputy, id).await["title"], "关于保障农村饮水安全的建议");
    let audit = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'suggestion_edit' AND target_id = $1",
        vec![id.to_string().into()],
    )
    .await
    .unwrap();
    assert_eq!(audit, 5, "every edit is audited");
    // Submitted, it is no longer the author's to edit.
    let done = submitted(&app, &deputy, &deputy2).await;
    let r = app
        .api("PATCH", &format!("/api/v1/suggestions/{done}"), Some(&deputy), Some(json!({"title": "改过的标题建议"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let page = author.get(&format!("/console/suggestions/{done}")).await;
    assert!(page.texts("#edit-link").is_empty());
}
demo_test!(a_draft_is_edited_and_a_material_change_asks_the_cosigners_again);

async fn files_on_a_draft_are_seen_by_who_sees_the_suggestion(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let id = draft(&app, &deputy).await;
    let mut author = app.login("deputy").await;
    let r = author.upload(&format!("/console/suggestions/{id}/files"), "file", "调研报告.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Judged by content: an executable named .pdf is refused, nothing stored.
    let r = author.upload(&format!("/console/suggestions/{id}/files"), "file", "x.pdf", b"MZ\x90\x00evil").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A co-signer may not add files; neither may staff (they do not see a draft).
    let mut co = app.login("deputy2").await;
    let r = co.upload(&format!("/console/suggestions/{id}/files"), "file", "a.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let d = detail(&app, &deputy, id).await;
    let files = d["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{d}");
    assert_eq!(files[0]["file_name"], "调研报告.pdf");
    assert_eq!(files[0]["content_type"], "application/pdf");
    let url = files[0]["url"].as_str().unwrap().to_string();
    let file_id = files[0]["id"].as_i64().unwrap();
    let r = download(&app, "deputy2", &url).await;
    assert_eq!(r.status, StatusCode::OK, "the co-signer downloads it");
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let r = download(&app, "staff", &url).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "staff do not see a draft's files");
    let page = author.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(page.texts("#file-list li a").first().map(|s| s.as_str()), Some("调研报告.pdf"));
    // Removed and added again (a Word file), then submitted: staff see it now, the author can
    // no longer change the files.
    let r = author.post(&format!("/console/suggestions/{id}/files/{file_id}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(detail(&app, &deputy, id).await["files"].as_array().unwrap().is_empty());
    let docx = b"PK\x03\x04\x14\x00\x06\x00word/document.xml";
    let r = author.upload(&format!("/console/suggestions/{id}/files"), "file", "建议.docx", docx).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.api("POST", &format!("/api/v1/suggestions/{id}/cosign"), Some(&deputy2), None).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/submit"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = detail(&app, &staff, id).await;
    let url = d["files"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(download(&app, "staff", &url).await.status, StatusCode::OK);
    let r = author.upload(&format!("/console/suggestions/{id}/files"), "file", "b.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(download(&app, "unit", &url).await.status, StatusCode::NOT_FOUND, "not assigned to it");
}
demo_test!(files_on_a_draft_are_seen_by_who_sees_the_suggestion);

async fn a_draft_is_shared_with_a_group_for_consultation(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let third = third_deputy(&app).await;
    let deputy3 = app.token("deputy3", Scope::Write).await;
    let me = person_of(&app, "deputy").await;
    let group = group_of(&app, &[me, third]).await;
    let elsewhere = group_of(&app, &[third]).await;
    let id = draft(&app, &deputy).await;
    // Before sharing, the group's member does not see it.
    let r = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&deputy3), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Only the author shares, and only with a group they belong to.
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/share"), Some(&deputy2), Some(json!({"group_id": group})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/share"), Some(&deputy), Some(json!({"group_id": elsewhere})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/share"), Some(&deputy), Some(json!({"group_id": group})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["shared"], true);
    assert_eq!(r.json()["shares"][0]["group_id"], group);
    assert!(inbox_has(&app, "deputy3", "建议会商").await);
    // The member reads it (in the list too), comments, and cannot edit or co-sign.
    let d = detail(&app, &deputy3, id).await;
    assert_eq!(d["title"], "关于改善农村饮水安全的建议");
    let list = app.api("GET", "/api/v1/suggestions?state=cosigning", Some(&deputy3), None).await.json();
    assert!(list["items"].as_array().unwrap().iter().any(|s| s["id"] == id), "{list}");
    let r = app
        .api(
            "POST",
            &format!("/api/v1/suggestions/{id}/comments"),
            Some(&deputy3),
            Some(json!({"text": "建议补充水质检测频次。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/comments"), Some(&deputy3), Some(json!({"text": " "})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .api("PATCH", &format!("/api/v1/suggestions/{id}"), Some(&deputy3), Some(json!({"title": "会商成员改的标题"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/cosign"), Some(&deputy3), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Staff still do not see the draft.
    assert_eq!(
        app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&staff), None).await.status,
        StatusCode::NOT_FOUND
    );
    // The console: the member's comment form, and the author reads the comments.
    let mut member = app.login("deputy3").await;
    let page = member.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#comment-form").len(), 1, "{}", page.body);
    assert!(page.texts("#edit-link").is_empty());
    let r = member.submit(&page, "#comment-form", &[("text", "建议明确改造资金来源。")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut author = app.login("deputy").await;
    let page = author.get(&format!("/console/suggestions/{id}")).await;
    let comments = page.texts("#comments li").join("\n");
    assert!(comments.contains("水质检测频次") && comments.contains("资金来源"), "{}", page.body);
    assert!(page.texts("#shares").join("").contains("会商测试代表小组"));
    assert!(inbox_has(&app, "deputy", "会商意见").await);
    let d = detail(&app, &deputy, id).await;
    assert_eq!(d["comments"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(d["comments"][0]["person_id"], third);
    // Once submitted, 会商 is over: the member still reads it, comments no more.
    app.api("POST", &format!("/api/v1/suggestions/{id}/cosign"), Some(&deputy2), None).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/submit"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api("POST", &format!("/api/v1/suggestions/{id}/comments"), Some(&deputy3), Some(json!({"text": "晚了的意见"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(detail(&app, &staff, id).await["comments"].as_array().unwrap().len(), 2);
}
demo_test!(a_draft_is_shared_with_a_group_for_consultation);

async fn the_replying_unit_uploads_the_signed_letter_every_signer_downloads(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let (_, unit_b) = super::second_unit(&app).await;
    third_deputy(&app).await;
    let lead = demo_unit(&app).await;
    let id = submitted(&app, &deputy, &deputy2).await;
    app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    let post = |who: &str, name: &str, body: Value| {
        let (who, path) = (who.to_string(), format!("/api/v1/suggestions/{id}/{name}"));
        let app = &app;
        async move { app.api("POST", &path, Some(&who), Some(body)).await }
    };
    let r = post(&staff, "assign", json!({"units": [{"unit_id": lead, "role": "lead"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    post(&unit, "accept", json!({})).await;
    let r = post(&unit, "reply", json!({"class": "A", "text": "已完成管网改造。"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = detail(&app, &deputy, id).await;
    let item =
        db::scalar_i64(app.db(), "SELECT item_id FROM suggestions WHERE id = $1", vec![id.into()]).await.unwrap();
    let reply = d["handling"]["replies"][0]["id"].as_i64().unwrap();
    assert!(d["handling"]["replies"][0]["letter_url"].is_null());
    let path = format!("/console/handling/{item}/replies/{reply}/letter");
    // The unit that replied sees the upload form on its reply; a PNG is refused, a PDF taken.
    let mut u = app.login("unit").await;
    let page = u.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(page.texts(&format!("#letter-form-{reply}")).len(), 1, "{}", page.body);
    let r = u.upload(&path, "file", "答复函.pdf", PNG).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("PDF"), "{}", r.body);
    let r = u.upload(&path, "file", "答复函.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Nobody else uploads it: staff, a deputy, another unit.
    let mut st = app.login("staff").await;
    let r = st.upload(&path, "file", "答复函.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let mut dep = app.login("deputy").await;
    let r = dep.upload(&path, "file", "答复函.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let other = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&unit_b), None).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    // Listed with the reply; both signers download it, a deputy who did not sign does not.
    let d = detail(&app, &deputy2, id).await;
    let url = d["handling"]["replies"][0]["letter_url"].as_str().expect("a letter").to_string();
    for who in ["deputy", "deputy2", "staff", "unit"] {
        let r = download(&app, who, &url).await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
        assert_eq!(r.header("content-type"), Some("application/pdf"));
        assert!(r.body.starts_with("%PDF"));
    }
    assert_eq!(download(&app, "deputy3", &url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(download(&app, "unit-b", &url).await.status, StatusCode::NOT_FOUND);
    let page = dep.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(page.texts(&format!("#letter-{reply}")), vec!["签发的答复函（PDF）".to_string()], "{}", page.body);
    // A second upload replaces the first.
    let r = u.upload(&path, "file", "答复函（更正）.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let letters = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM attachments WHERE owner_type = 'handling_reply' AND owner_id = $1",
        vec![reply.to_string().into()],
    )
    .await
    .unwrap();
    assert_eq!(letters, 1);
}
demo_test!(the_replying_unit_uploads_the_signed_letter_every_signer_downloads);

async fn staff_carry_followed_suggestions_over_after_a_confirmation(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let lead = demo_unit(&app).await;
    let id = submitted(&app, &deputy, &deputy2).await;
    app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    let post = |who: &str, name: &str, body: Value| {
        let (who, path) = (who.to_string(), format!("/api/v1/suggestions/{id}/{name}"));
        let app = &app;
        async move { app.api("POST", &path, Some(&who), Some(body)).await }
    };
    post(&staff, "assign", json!({"units": [{"unit_id": lead, "role": "lead"}]})).await;
    post(&unit, "accept", json!({})).await;
    post(&unit, "reply", json!({"class": "B", "text": "列入明年计划"})).await;
    let r = post(&staff, "follow", json!({"text": "跟踪办理"})).await;
    assert_eq!(r.json()["state"], "following", "{}", r.body);
    let year = renda::calendar::beijing_date(db::now()).format("%Y").to_string().parse::<i64>().unwrap();
    // The statistics page leads to the confirmation step, which lists what would move.
    let mut st = app.login("staff").await;
    let stats = st.get("/console/suggestions/stats").await;
    assert_eq!(stats.texts("form#carry-over[method=get]").len(), 1, "{}", stats.body);
    let page = st.get(&format!("/console/suggestions/carry-over?year={year}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.texts("#carry-rows td a").iter().any(|t| t == "关于加快城区停车场建设的建议"), "{}", page.body);
    assert_eq!(detail(&app, &staff, id).await["year"], year, "the preview moves nothing");
    // Nothing followed in an earlier year: nothing to confirm.
    let empty = st.get("/console/suggestions/carry-over?year=2001").await;
    assert_eq!(empty.texts("#nothing").len(), 1, "{}", empty.body);
    assert!(empty.texts("#carry-confirm").is_empty());
    // Not for units or deputies.
    let mut u = app.login("unit").await;
    let r = u.get(&format!("/console/suggestions/carry-over?year={year}")).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
    let r = st.get("/console/suggestions/carry-over?year=1900").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Confirmed: next year's list, marked 由Y年结转 on the list and the detail.
    let r = st.submit(&page, "#carry-confirm", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = detail(&app, &staff, id).await;
    assert_eq!(d["year"], year + 1);
    assert_eq!(d["carried_from_year"], year);
    let label = format!("由{year}年结转");
    let list = st.get(&format!("/console/suggestions?year={}", year + 1)).await;
    assert!(list.texts("#suggestions .badge").contains(&label), "{}", list.body);
    let page = st.get(&format!("/console/suggestions/{id}")).await;
    assert!(page.texts("#carried").join("").starts_with(&label), "{}", page.body);
    let mut dep = app.login("deputy").await;
    let page = dep.get(&format!("/console/suggestions/{id}")).await;
    assert!(page.texts("#carried").join("").starts_with(&label));
    // Carried twice, it keeps where it came from.
    let r = app.api("POST", "/api/v1/suggestions/carry-over", Some(&staff), Some(json!({"year": year + 1}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = detail(&app, &staff, id).await;
    assert_eq!((d["year"].as_i64(), d["carried_from_year"].as_i64()), (Some(year + 2), Some(year)));
}
demo_test!(staff_carry_followed_suggestions_over_after_a_confirmation);

async fn a_procuratorial_link_and_the_opinion_side(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let me = person_of(&app, "deputy").await;
    // An opinion raised with the deputy, taken up in a suggestion.
    let opinion = db::scalar_i64(app.db(), "SELECT min(id) FROM opinions", vec![]).await.unwrap();
    db::exec(
        app.db(),
        "UPDATE handling_items SET deputy_id = $1 WHERE id = (SELECT item_id FROM opinions WHERE id = $2)",
        vec![me.into(), opinion.into()],
    )
    .await
    .unwrap();
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(&deputy),
            Some(json!({"title": "关于河道污染治理的建议", "problem": "河道沿线有企业偷排污水，群众多次反映。",
                        "measures": "开展专项执法检查，建立河长巡查和公益诉讼衔接机制。", "opinion_ids": [opinion]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    // While a draft, the opinion's page says nothing of it.
    let mut st = app.login("staff").await;
    let page = st.get(&format!("/console/opinions/{opinion}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("#linked").is_empty(), "{}", page.body);
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/submit"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let number = r.json()["number"].as_i64().unwrap();
    let page = st.get(&format!("/console/opinions/{opinion}")).await;
    let linked = page.texts("#linked a").join("");
    assert!(linked.starts_with("已转为代表建议") && linked.ends_with(&format!("第{number}号")), "{linked}");
    // Staff record a 检察建议; the deputy may not; bad input is a 422 and writes nothing.
    let body = json!({"kind": "procuratorial_suggestion", "number": "诸检行公建〔2026〕3号", "issuer": "诸城市人民检察院",
                      "issued_on": "2026-03-15", "note": "督促生态环境部门依法履职"});
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/references"), Some(&deputy), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/suggestions/{id}/references"),
            Some(&staff),
            Some(json!({"kind": "x", "number": "1", "issuer": "院"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/suggestions/{id}/references"),
            Some(&staff),
            Some(json!({"kind": "public_interest_clue", "number": "1", "issuer": "院", "issued_on": "2026-02-30"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/references"), Some(&staff), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let d = detail(&app, &deputy, id).await;
    assert_eq!(d["references"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(d["references"][0]["issuer"], "诸城市人民检察院");
    assert_eq!(d["references"][0]["issued_on"], "2026-03-15");
    let kinds: Vec<&str> = d["links"].as_array().unwrap().iter().map(|l| l["to_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["opinion", "external_reference"], "{d}");
    // The console: staff record one by the form, and both show on the page.
    let page = st.get(&format!("/console/suggestions/{id}")).await;
    let r = st
        .submit(
            &page,
            "#reference-form",
            &[
                ("kind", "public_interest_clue"),
                ("number", "线索2026-07"),
                ("issuer", "诸城市人民检察院"),
                ("issued_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = st.get(&format!("/console/suggestions/{id}")).await;
    let refs = page.texts("#references li").join("\n");
    assert!(
        refs.contains("检察建议：诸城市人民检察院 诸检行公建〔2026〕3号") && refs.contains("公益诉讼线索"),
        "{refs}"
    );
    let mut dep = app.login("deputy").await;
    let page = dep.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(page.texts("#references li").len(), 2);
    assert!(page.texts("#reference-form").is_empty(), "only staff record links");
}
demo_test!(a_procuratorial_link_and_the_opinion_side);
