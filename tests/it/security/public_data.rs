//! Issue 20: what the public sees is what staff published, and nothing a citizen typed about
//! themself. One rule (`renda::publish`, `opinions::model::public_list`) serves every public
//! surface; this file walks every anonymous GET route of the application (the fuzz list) before
//! and after publication and looks for what must never be there.

use axum::http::StatusCode;
use renda::db;

use super::fuzz::{ROUTES, fill, ids};
use crate::demo_test;
use crate::opinions::{a_station, demo_unit, item_of, opinion_of, state_of};
use crate::support::{Browser, TestApp};

/// What the citizen typed about themself into the published opinion.
const PHONE: &str = "13905367788";
const ID_NUMBER: &str = "11010519491231002X";
const EMAIL: &str = "lijh.zc@example.com";
const CARD: &str = "4111111111111111";
const LANDLINE: &str = "0536-6221234";
/// Texts written by staff and units that stay internal.
const INSTRUCTIONS: &str = "交办意见内部标记：请先找社区核实再上门";
const PROGRESS: &str = "进展内部标记：已约施工队周三进场";

/// Submits an opinion from a station as a citizen; (tracking no, query code).
pub async fn submit(app: &TestApp, content: &str, allow_public: bool) -> (String, String) {
    let station = a_station(app).await.to_string();
    let mut citizen = app.browser().await;
    let mut fields = vec![("station", station.as_str()), ("content", content)];
    if allow_public {
        fields.push(("allow_public", "on"));
    }
    let r = citizen.post("/opinions/new", &fields).await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (r.texts("#tracking-no")[0].clone(), r.texts("#query-code")[0].clone())
}

async fn step(b: &mut Browser<'_>, item: i64, fields: &[(&str, &str)]) {
    let r = b.post(&format!("/console/handling/{item}/step"), fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.body);
}

/// Takes an item through 交办 (with `INSTRUCTIONS`), 签收, 进展 (`PROGRESS`), 答复 (`reply`),
/// a 满意 rating with a comment and 办结.
async fn close(app: &TestApp, no: &str, code: &str, reply: &str) -> i64 {
    let item = item_of(app, no).await;
    let unit = demo_unit(app).await.to_string();
    let mut staff = app.login("staff").await;
    step(&mut staff, item, &[("step", "assign"), ("unit", &unit), ("role", "lead"), ("text", INSTRUCTIONS)]).await;
    let mut u = app.login("unit").await;
    step(&mut u, item, &[("step", "accept")]).await;
    step(&mut u, item, &[("step", "progress"), ("text", PROGRESS)]).await;
    step(&mut u, item, &[("step", "reply"), ("outcome", "resolved"), ("text", reply)]).await;
    let mut citizen = app.browser().await;
    let r = citizen
        .post("/track/rate", &[("no", no), ("code", code), ("grade", "satisfied"), ("comment", "评价内容标记")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    step(&mut staff, item, &[("step", "close"), ("text", "")]).await;
    assert_eq!(state_of(app, item).await, "closed");
    item
}

/// Every anonymous GET of the application (the fuzz list, console pages included: they send an
/// anonymous caller to sign in), with each tracking number in turn, and the Open311 lists with
/// their filters. Returns (path, body) of each answer.
async fn walk(app: &TestApp, tracking: &[&str]) -> Vec<(String, String)> {
    let mut ids = ids(app).await;
    let mut paths = Vec::new();
    let gets = ROUTES.iter().filter(|(m, t)| m.split(' ').any(|m| m == "GET") && !t.starts_with("/static"));
    for (i, no) in tracking.iter().enumerate() {
        ids.insert("tracking", no.to_string());
        ids.insert("open311_token", no.to_string());
        for (_, template) in gets.clone() {
            // Routes without a tracking number once; those with one for each.
            if i == 0 || template.contains("{tracking}") || template.contains("{open311_token}") {
                paths.push(fill(template, &ids, None));
            }
        }
        paths.push(format!("/open311/v2/requests/{no}.json"));
        paths.push(format!("/open311/v2/requests.json?service_request_id={no}"));
        paths.push(format!("/open311/v2/tokens/{no}.json"));
    }
    for q in [
        "/open311/v2/requests.json?status=open",
        "/open311/v2/requests.json?status=closed",
        "/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z",
        "/open311/v2/servicerequestupdates.json?start_date=2020-01-01T00:00:00Z",
        "/public?q=%E8%93%9D%E8%89%B2%E4%BA%95%E7%9B%96",
        "/public?q=13905367788",
        "/api/v1/public/opinions?limit=100",
        "/api/v1/public/opinions?q=13905367788",
    ] {
        paths.push(q.to_string());
    }
    paths.sort();
    paths.dedup();
    let mut out = Vec::new();
    let mut b = app.browser().await;
    for p in paths {
        let r = b.get(&p).await;
        assert!(r.status.as_u16() < 500, "{p}: {}", r.status);
        out.push((p, r.body));
    }
    out
}

fn nowhere(pages: &[(String, String)], what: &[&str]) {
    for (path, body) in pages {
        let asked = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        for w in what.iter().filter(|w| !asked.contains(*w)) {
            // (a search echoes its own words back into the search box)
            assert!(!body.contains(w), "{w:?} on the public surface {path}");
        }
    }
}

fn somewhere(pages: &[(String, String)], path: &str, what: &str) {
    let body = &pages.iter().find(|(p, _)| p == path).unwrap_or_else(|| panic!("{path} not walked")).1;
    assert!(body.contains(what), "{what:?} missing on {path}: {body}");
}

async fn nothing_unpublished_or_personal_reaches_a_public_surface(app: TestApp) {
    // The published one: personal data in its title and text, and in the unit's reply.
    let content = format!(
        "欧阳晓岚电话{PHONE}身份证{ID_NUMBER}，邮箱 {EMAIL}，补贴卡号{CARD}。\
         小区门口的蓝色井盖破损半个月了，老人孩子经过很危险，请尽快修复。"
    );
    let (p_no, p_code) = submit(&app, &content, true).await;
    // Others that allowed publication but are not published, and one that did not allow it.
    let (u1, _) = submit(&app, "未公开甲：菜市场门口的下水道堵塞，雨天积水没过脚踝，请疏通。", true).await;
    let (u2, _) = submit(&app, "未公开乙：学校门口早晚高峰车辆乱停，孩子上学不安全，请整治。", true).await;
    let (u3, u3_code) = submit(&app, "未公开丙：公园的健身器材坏了三件，一直没人修，请维修更换。", true).await;
    let (n1, n1_code) = submit(&app, "不公开丁：楼道照明坏了两个月，晚上上下楼摸黑，请物业修复。", false).await;
    let mut staff = app.login("staff").await;
    let unit = demo_unit(&app).await.to_string();
    step(&mut staff, item_of(&app, &u2).await, &[("step", "assign"), ("unit", &unit), ("role", "lead")]).await;
    step(&mut staff, item_of(&app, &u1).await, &[("step", "reject"), ("text", "不予受理理由标记")]).await;
    let p_item = close(&app, &p_no, &p_code, &format!("已修复井盖。联系人电话 {LANDLINE}。")).await;
    close(&app, &u3, &u3_code, "健身器材已更换。").await;
    close(&app, &n1, &n1_code, "楼道灯已修好。").await;

    // (and no part of a number cut in two by a title taken from the text)
    let personal = [PHONE, ID_NUMBER, EMAIL, CARD, LANDLINE, "欧阳晓岚", "身份证1101", "电话1390"];
    let internal = [INSTRUCTIONS, PROGRESS, "评价内容标记", "不予受理理由标记"];
    let unpublished = ["未公开甲", "未公开乙", "未公开丙", "不公开丁", "蓝色井盖"];
    let all = [p_no.as_str(), u1.as_str(), u2.as_str(), u3.as_str(), n1.as_str()];

    // Before anyone publishes, nothing of them is public: closing does not publish.
    let before = walk(&app, &all).await;
    nowhere(&before, &personal);
    nowhere(&before, &internal);
    nowhere(&before, &unpublished);
    for (path, body) in &before {
        if path.starts_with("/public") || path.starts_with("/open311") || path.starts_with("/api/v1/public") {
            for no in all {
                assert!(!body.contains(no), "{no} on {path} before publication");
            }
        }
    }

    // Staff find what waits for publication: closed, agreed, not published.
    let waiting = staff.get("/console/opinions?unpublished=1").await;
    assert!(waiting.body.contains(&p_no) && waiting.body.contains(&u3), "待公开 lists the closed ones");
    assert!(!waiting.body.contains(&n1) && !waiting.body.contains(&u2), "not the refused or the open ones");

    // Staff preview the public version: masked and marked, nothing in clear.
    let opinion = opinion_of(&app, &p_no).await;
    let preview = staff.get(&format!("/console/opinions/{opinion}/publish")).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    for p in personal.iter().take(5) {
        assert!(!preview.body.contains(p), "{p} in the preview");
    }
    assert!(preview.body.matches("class=\"masked\"").count() >= 5, "masked spans are marked: {}", preview.body);
    assert!(preview.body.contains("139******88"));
    let html = preview.html();
    let value = |css: &str| {
        let sel = scraper::Selector::parse(css).unwrap();
        html.select(&sel)
            .next()
            .map(|e| e.value().attr("value").map(str::to_string).unwrap_or_else(|| e.text().collect()))
    };
    let title = value("#pub-title").expect("title field");
    let body = value("#pub-body").expect("body field");
    let reply = value("#pub-reply").expect("reply field");
    // Staff take out the name the system could not recognise, and publish.
    let body = body.replace("欧阳晓岚", "市民");
    let r = staff
        .post(
            &format!("/console/opinions/{opinion}/publish"),
            &[("title", &title.replace("欧阳晓岚", "市民")), ("body", &body), ("reply", &reply)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    assert!(!staff.get("/console/opinions?unpublished=1").await.body.contains(&p_no), "published: no longer waiting");
    let after = walk(&app, &all).await;
    nowhere(&after, &personal);
    nowhere(&after, &internal);
    nowhere(&after, &unpublished[..4]);
    somewhere(&after, "/public", &p_no);
    somewhere(&after, "/public", "139******88");
    somewhere(&after, "/api/v1/public/opinions?limit=100", &p_no);
    somewhere(&after, &format!("/open311/v2/requests/{p_no}.json"), "蓝色井盖");
    somewhere(&after, "/open311/v2/requests.json?status=closed", &p_no);
    for (path, body) in &after {
        if path.starts_with("/public") || path.starts_with("/open311") || path.starts_with("/api/v1/public") {
            for no in [&u1, &u2, &u3, &n1] {
                assert!(!body.contains(no.as_str()), "{no} on {path}");
            }
        }
    }
    // A search never reaches the original text: the phone number finds nothing.
    let hit = app.browser().await.get("/public?q=13905367788").await;
    assert!(!hit.body.contains(&p_no), "a search for the masked phone found the item");

    // Who published what is in the item's history and the audit log.
    let by = db::query_rows(
        app.db(),
        "SELECT actor_name FROM handling_events WHERE item_id = $1 AND step = 'publish'",
        vec![p_item.into()],
    )
    .await
    .unwrap();
    assert_eq!(by.len(), 1);
    let audited = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'publish' AND target_id = $1",
        vec![opinion.to_string().into()],
    )
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // An edit cannot put a number back: it is masked again.
    let r = staff
        .post(
            &format!("/console/opinions/{opinion}/publish"),
            &[("title", "井盖已修复"), ("body", "请联系 13812345678 了解"), ("reply", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let public = app.browser().await.get("/public").await;
    assert!(!public.body.contains("13812345678") && public.body.contains("138******78"));

    // Not allowed, or not closed: refused, nothing published.
    for (no, why) in [(&n1, "没有同意公开"), (&u2, "办结后才能公开")] {
        let id = opinion_of(&app, no).await;
        let r = staff.post(&format!("/console/opinions/{id}/publish"), &[("title", "标题"), ("body", "x")]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{no}: {}", r.body);
        assert!(r.body.contains(why), "{}", r.body);
    }
    for no in [&n1, &u1, &u2, &u3] {
        let id = opinion_of(&app, no).await;
        let n = db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM publications WHERE owner_type = 'opinion' AND owner_id = $1",
            vec![id.into()],
        )
        .await
        .unwrap();
        assert_eq!(n, 0, "{no} was published");
    }

    // A unit and a deputy may not publish.
    for who in ["unit", "deputy", "leader"] {
        let mut b = app.login(who).await;
        let r = b.post(&format!("/console/opinions/{opinion}/unpublish"), &[]).await;
        assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{who}: {}", r.status);
    }

    // Withdrawn: gone from every public surface.
    let r = staff.post(&format!("/console/opinions/{opinion}/unpublish"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let gone = walk(&app, &[p_no.as_str()]).await;
    for (path, body) in &gone {
        if path.starts_with("/public") || path.starts_with("/open311") || path.starts_with("/api/v1/public") {
            assert!(!body.contains(p_no.as_str()), "{p_no} still on {path} after withdrawal");
        }
    }
}
demo_test!(nothing_unpublished_or_personal_reaches_a_public_surface);

/// Open311 with a key shows the key's scope (staff: everything of the organ) and, without,
/// the published ones only.
async fn open311_without_a_key_is_the_public_page(app: TestApp) {
    let (no, _) = submit(&app, "开放接口测试：东关街人行道地砖松动，雨后踩上去溅一身泥。", true).await;
    let anon = app.browser().await.get(&format!("/open311/v2/requests/{no}.json")).await;
    assert_eq!(anon.status, StatusCode::NOT_FOUND, "{}", anon.body);
    let key = app.token("staff", renda::auth::Scope::Read).await;
    let keyed = app.browser().await.get(&format!("/open311/v2/requests/{no}.json?api_key={key}")).await;
    assert_eq!(keyed.status, StatusCode::OK, "{}", keyed.body);
    assert!(keyed.body.contains("人行道地砖松动"));
    // Every published opinion of the demo is in the anonymous list, and only those.
    let list = app.browser().await.get("/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z").await;
    let shown: Vec<String> =
        list.json().as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_string()).collect();
    let published = db::query_rows(
        app.db(),
        "SELECT op.tracking_no FROM opinions op JOIN publications pb ON pb.owner_type = 'opinion' AND pb.owner_id = op.id \
         AND pb.withdrawn_at IS NULL ORDER BY op.id",
        vec![],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect::<Vec<_>>();
    assert!(!published.is_empty(), "the demo publishes closed opinions");
    for s in &shown {
        assert!(published.contains(s), "{s} shown without publication");
    }
    for r in list.json().as_array().unwrap() {
        assert_eq!(r["status"], "closed");
        assert!(r["lat"].is_null() && r["address"].is_null(), "no place on the public feed: {r}");
    }
}
demo_test!(open311_without_a_key_is_the_public_page);
