//! Issue 16: the loop as the citizen meets it — the query code on every page of the receipt
//! flow and in the SMS, a receipt that survives a refresh but only in the browser that
//! submitted, a typed code with spaces, the progress line between 交办 and 答复 — and the unit
//! that reaches the citizen: the answering unit reads name and phone one audited view at a time,
//! a 协办 unit and a deputy see them masked.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use renda::opinions::public::{Kept, RECEIPT_COOKIE};
use serde_json::json;

use super::{a_station, demo_unit, item_of, opinion_of};
use crate::demo_test;
use crate::support::TestApp;

const PHONE: &str = "13805367788";

async fn the_code_stays_with_the_citizen_through_the_receipt(app: TestApp) {
    let mut citizen = app.browser().await;
    citizen.get("/opinions/new").await;
    let sms_before = db::scalar_i64(app.db(), "SELECT COALESCE(max(id), 0) FROM sms_outbox", vec![]).await.unwrap();
    let r = citizen
        .post(
            "/opinions/new",
            &[("content", "东关街的下水道井盖丢了，晚上路过很危险，请尽快补上。"), ("phone", PHONE), ("consent", "on")],
        )
        .await;
    // Stored, then sent to the receipt page: the code is in no address.
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/opinions/receipt"));
    let cookie = r
        .headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with(&format!("{RECEIPT_COOKIE}=")))
        .expect("the receipt cookie");
    assert!(cookie.contains("Path=/opinions/receipt") && cookie.contains("HttpOnly") && cookie.contains("Max-Age="));

    let page = citizen.follow(r).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let no = page.texts("#tracking-no")[0].clone();
    let code = page.texts("#query-code")[0].clone();
    assert_eq!(code.len(), 6);
    assert!(!cookie.contains(&code) && !cookie.contains(&no), "the cookie holds the receipt sealed: {cookie}");
    // The SMS carries the code too.
    let sms = renda::notify::sent_since(app.db(), &app.state.crypto, sms_before).await.unwrap();
    assert_eq!(sms.len(), 1);
    assert!(sms[0].body.contains(&code) && sms[0].body.contains(&no), "{}", sms[0].body);

    // A refresh shows the same receipt; another browser sees none.
    let again = citizen.get("/opinions/receipt").await;
    assert_eq!(again.texts("#query-code"), vec![code.clone()]);
    let mut other = app.browser().await;
    let elsewhere = other.get("/opinions/receipt").await;
    assert_eq!(elsewhere.status, StatusCode::OK);
    assert!(elsewhere.texts("#query-code").is_empty(), "{}", elsewhere.body);
    assert!(!elsewhere.body.contains(&code) && !elsewhere.body.contains(&no));
    assert!(elsewhere.body.contains("这里没有可以显示的回执"));
    // Neither an expired receipt nor a made-up cookie opens one.
    let stale = Kept {
        tracking_no: no.clone(),
        query_code: code.clone(),
        sms: "queued".into(),
        held: false,
        until: db::now() - 1,
    };
    for value in [stale.seal(&app.state.crypto), "v1:AAAAAAAAAAAAAAAAAAAAAAAA".into()] {
        other.cookies.insert(RECEIPT_COOKIE.into(), value);
        let r = other.get("/opinions/receipt").await;
        assert!(!r.body.contains(&code), "{}", r.body);
    }

    // The photo step from the receipt: back on the receipt, the code still shown.
    let png = renda::qr::qr_png("http://example/photo", 4).unwrap();
    assert!(page.body.contains("name=\"from\" value=\"receipt\""), "the receipt's photo form");
    let fields = [("no", no.as_str()), ("code", code.as_str()), ("from", "receipt")];
    let r = citizen.upload_with("/track/photo", &fields, "file", "现场.png", &png).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = citizen.follow(r).await;
    assert_eq!(r.texts("#query-code"), vec![code.clone()]);
    assert!(r.body.contains("照片已添加（共 1 张）"), "{}", r.body);
    assert_eq!(r.texts("#photos").len(), 1);
    assert!(r.texts(".photo-code").contains(&code), "the photo form shows the code");
    // … and from /track: the page after the upload shows it as well.
    let fields = [("no", no.as_str()), ("code", code.as_str()), ("from", "track")];
    let r = citizen.upload_with("/track/photo", &fields, "file", "现场2.png", &png).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.texts("#track-code"), vec![code.clone()]);

    // A code typed with spaces around it (and in lower case) is found; the form lets it in.
    let form = citizen.get("/track").await;
    let max: usize = form
        .html()
        .select(&scraper::Selector::parse("input#code").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("maxlength")
        .unwrap()
        .parse()
        .unwrap();
    assert!(max >= 8, "room for a pasted code with spaces: {max}");
    let padded = format!("  {} ", code.to_lowercase());
    let r = citizen.post("/track", &[("no", &format!(" {no} ")), ("code", &padded)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.texts("#track-no"), vec![no.clone()]);
    let r = app.api("GET", &format!("/api/v1/opinions/track/{no}?code=%20{code}%20"), None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
demo_test!(the_code_stays_with_the_citizen_through_the_receipt);

/// Submits through the public API; (tracking number, query code, opinion id, item id).
async fn submitted(app: &TestApp, body: serde_json::Value) -> (String, String, i64, i64) {
    let r = app.api("POST", "/api/v1/opinions", None, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    let code = r.json()["query_code"].as_str().unwrap().to_string();
    (no.clone(), code, opinion_of(app, &no).await, item_of(app, &no).await)
}

async fn the_citizen_sees_work_going_on_between_assign_and_reply(app: TestApp) {
    let (no, code, id, item) =
        submitted(&app, json!({"content": "南门菜市场的排水沟堵了，一下雨污水就漫到路上。"})).await;
    let track = async || {
        let mut b = app.browser().await;
        b.get("/track").await;
        b.post("/track", &[("no", &no), ("code", &code)]).await
    };
    assert!(track().await.texts("#progress").is_empty(), "nothing to say before 交办");

    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let unit = demo_unit(&app).await;
    let body = json!({"units": [{"unit_id": unit, "role": "lead"}], "due_working_days": 10, "text": "请现场核实"});
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/assign"), Some(&staff), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let deadline: String =
        db::query_rows(app.db(), "SELECT deadline FROM handling_items WHERE id = $1", vec![item.into()]).await.unwrap()
            [0]
        .try_get_by_index(0)
        .unwrap();
    let today = renda::calendar::beijing_date(db::now()).format("%Y-%m-%d").to_string();
    let line = track().await.texts("#progress");
    assert_eq!(line.len(), 1);
    assert!(line[0].starts_with("承办单位正在办理"), "{}", line[0]);
    assert!(
        line[0].contains(&format!("{today} 交办")) && line[0].contains(&format!("办理期限至 {deadline}")),
        "{}",
        line[0]
    );

    // The unit signs for it and notes its work: the citizen reads the dates, never the note.
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/accept"), Some(&unit_token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let note = "内部：已约施工队周三疏通，费用待定";
    let r = app
        .api("POST", &format!("/api/v1/opinions/{id}/progress"), Some(&unit_token), Some(json!({"text": note})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = track().await;
    let line = page.texts("#progress");
    assert!(line[0].contains(&format!("{today} 承办单位签收")), "{}", line[0]);
    assert!(line[0].contains(&format!("最近一次办理记录 {today}")), "{}", line[0]);
    assert!(!page.body.contains(note), "an internal note reached the citizen");

    // Replied: the reply speaks, the line is gone.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{id}/reply"),
            Some(&unit_token),
            Some(json!({"result": "resolved", "text": "排水沟已疏通。"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = track().await;
    assert!(page.texts("#progress").is_empty());
    assert!(page.body.contains("排水沟已疏通"));
}
demo_test!(the_citizen_sees_work_going_on_between_assign_and_reply);

async fn contact_views(app: &TestApp, opinion: i64) -> i64 {
    db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'opinion_contact_view' AND target_type = 'opinion' AND target_id = $1",
        vec![opinion.to_string().into()],
    )
    .await
    .unwrap()
}

async fn the_answering_unit_reads_the_contact_and_each_view_is_audited(app: TestApp) {
    let deputy: i64 =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let (_, _, id, _) = submitted(
        &app,
        json!({"content": "西河村的自来水最近总是浑浊，烧开了也有沉淀。", "name": "赵明亮", "phone": PHONE,
               "consent": true, "deputy_id": deputy, "station_id": a_station(&app).await}),
    )
    .await;
    // A second unit of the same organ, with an account, to assist.
    let lead = demo_unit(&app).await;
    let assist = db::scalar_i64(
        app.db(),
        "SELECT min(id) FROM handling_units WHERE id <> $1 AND organ_id = (SELECT organ_id FROM handling_units WHERE id = $1)",
        vec![lead.into()],
    )
    .await
    .unwrap();
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'unit'", vec![]).await.unwrap();
    app.add_account("unit2", organ, &[Role::Unit]).await;
    db::exec(app.db(), "UPDATE accounts SET unit_id = $1 WHERE username = 'unit2'", vec![assist.into()]).await.unwrap();
    let staff = app.token("staff", Scope::Write).await;
    let body = json!({"units": [{"unit_id": lead, "role": "lead"}, {"unit_id": assist, "role": "assist"}],
                      "due_working_days": 10, "text": "请核实水质"});
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/assign"), Some(&staff), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The lead unit: masked on the page, in full behind 「查看联系方式」, one audit entry per view.
    let mut unit = app.login("unit").await;
    let page = unit.get(&format!("/console/opinions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains(PHONE) && page.body.contains("138****7788"), "the page masks the phone");
    assert!(!page.body.contains("赵明亮"));
    for n in 1..=2 {
        let r = unit.submit(&page, "form#see-contact", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.texts("#contact-name"), vec!["赵明亮".to_string()]);
        assert_eq!(r.texts("#contact-phone"), vec![PHONE.to_string()]);
        assert_eq!(contact_views(&app, id).await, n, "one audit entry per view");
    }
    let summary: String = db::query_rows(
        app.db(),
        "SELECT summary FROM audit_log WHERE action = 'opinion_contact_view' ORDER BY seq DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert!(!summary.contains(PHONE) && !summary.contains("赵明亮"), "the audit entry holds no contact: {summary}");

    // The 协办 unit and the deputy see it masked and may not read it in full.
    for who in ["unit2", "deputy"] {
        let mut b = app.login(who).await;
        let page = b.get(&format!("/console/opinions/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{who}: {}", page.body);
        assert!(!page.body.contains(PHONE) && page.body.contains("138****7788"), "{who}");
        assert!(page.texts("form#see-contact").is_empty(), "{who} is not offered the contact");
        let r = b.post(&format!("/console/opinions/{id}/contact"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        assert!(!r.body.contains(PHONE));
    }
    assert_eq!(contact_views(&app, id).await, 2, "a refused view is no contact view");
}
demo_test!(the_answering_unit_reads_the_contact_and_each_view_is_audited);
