//! Issue 16: the deputy's own 民意办理 — what a deputy sees is the rule
//! `docs/ARCHITECTURE.md` states ("What a deputy sees"): an item raised with them, handed to
//! them or on from them, followed by them, or come through a station they are registered at —
//! the same in the console list, its search, the API list and the item itself. A 转交代表 item is
//! in their list; a deputy does not rate their own direct answer; an opinion left on a deputy's
//! card can be handed to that deputy though they are not registered at its station.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use serde_json::{Value, json};

use super::{item_of, opinion_of, state_of};
use crate::demo_test;
use crate::support::TestApp;

async fn scalar(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    db::scalar_i64(app.db(), sql, values).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn person_of(app: &TestApp, username: &str) -> i64 {
    scalar(app, "SELECT deputy_id FROM accounts WHERE username = $1", vec![username.into()]).await
}

/// Submits through the public API with `extra` fields; (opinion id, tracking number, code).
async fn submit(app: &TestApp, content: &str, extra: Value) -> (i64, String, String) {
    let mut body = json!({"content": content, "phone": "13900000031", "name": "李小红", "consent": true});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.api("POST", "/api/v1/opinions", None, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    let no = j["tracking_no"].as_str().unwrap().to_string();
    (opinion_of(app, &no).await, no, j["query_code"].as_str().unwrap().to_string())
}

async fn api_step(app: &TestApp, who: &str, id: i64, name: &str, body: Value) -> (StatusCode, String) {
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/{name}"), Some(who), Some(body)).await;
    (r.status, r.body)
}

/// The tracking numbers a signed-in browser finds on its console list (with `q`).
async fn console_list(app: &TestApp, username: &str, q: &str) -> String {
    let mut b = app.login(username).await;
    let page = b.get(&format!("/console/opinions?q={}", urlencoding(q))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

fn urlencoding(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The tracking numbers of the API list (with `q`).
async fn api_list(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let r = app.api("GET", &format!("/api/v1/opinions?limit=200&q={}", urlencoding(q)), Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().iter().map(|i| i["tracking_no"].as_str().unwrap().to_string()).collect()
}

fn steps_of(d: &Value) -> Vec<String> {
    d["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

demo_test!(a_handed_item_is_in_the_deputys_list_and_search);
async fn a_handed_item_is_in_the_deputys_list_and_search(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let deputy = app.token("deputy", Scope::Write).await;
    let me = person_of(&app, "deputy").await;
    let (id, no, _) = submit(&app, "北关街道的排水沟盖板破损，电动车经过时容易翻车。", json!({})).await;
    // Before: not theirs — not in the list, not found, not readable.
    assert!(!console_list(&app, "deputy", "盖板").await.contains(&no));
    assert!(!api_list(&app, &deputy, "盖板").await.contains(&no));
    let r = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let (status, body) =
        api_step(&app, &staff, id, "hand_to_deputy", json!({"deputy_id": me, "text": "请代表联系反映人"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // After: in the console list (all and by search), in the API list and its search.
    assert!(console_list(&app, "deputy", "").await.contains(&no));
    assert!(console_list(&app, "deputy", "盖板").await.contains(&no));
    assert!(!console_list(&app, "deputy", "幼儿园").await.contains(&no), "the search still narrows");
    assert!(api_list(&app, &deputy, "").await.contains(&no));
    assert!(api_list(&app, &deputy, "盖板").await.contains(&no));
    let d = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&deputy), None).await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(steps_of(&d.json()).contains(&"answer_directly".to_string()), "{}", d.body);
}

demo_test!(a_deputy_does_not_rate_their_own_direct_answer);
async fn a_deputy_does_not_rate_their_own_direct_answer(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let deputy = app.token("deputy", Scope::Write).await;
    let me = person_of(&app, "deputy").await;
    // One left on the deputy's own card, answered by the deputy.
    let (own, no, code) = submit(&app, "村口的垃圾箱满了没人清，夏天气味很大。", json!({"deputy_id": me})).await;
    let (status, body) =
        api_step(&app, &deputy, own, "answer_directly", json!({"text": "已联系村委会，明天起每天清运。"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = app.api("GET", &format!("/api/v1/opinions/{own}"), Some(&deputy), None).await.json();
    assert!(!steps_of(&d).contains(&"rate".to_string()), "{d}");
    let mut browser = app.login("deputy").await;
    let page = browser.get(&format!("/console/opinions/{own}")).await;
    assert!(!page.body.contains("value=\"rate\""), "no rating form on one's own answer");
    let (status, body) = api_step(&app, &deputy, own, "rate", json!({"grade": "satisfied"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("代表不评价自己的答复"), "{body}");
    let item = item_of(&app, &no).await;
    assert_eq!(scalar(&app, "SELECT count(*) FROM handling_ratings WHERE item_id = $1", vec![item.into()]).await, 0);
    // The submitter rates it.
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/track/{no}/ratings"),
            None,
            Some(json!({"code": code, "grade": "satisfied"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // A direct answer by staff on an item raised with the deputy: the deputy rates that one.
    let (other, ..) = submit(&app, "村里自来水压力不够，二楼以上经常停水。", json!({"deputy_id": me})).await;
    let (status, body) =
        api_step(&app, &staff, other, "answer_directly", json!({"text": "供水公司本周加装增压泵。"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = app.api("GET", &format!("/api/v1/opinions/{other}"), Some(&deputy), None).await.json();
    assert!(steps_of(&d).contains(&"rate".to_string()), "{d}");
    let (status, body) = api_step(&app, &deputy, other, "rate", json!({"grade": "basically_satisfied"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

demo_test!(a_card_opinion_goes_to_its_deputy_off_the_station);
async fn a_card_opinion_goes_to_its_deputy_off_the_station(app: TestApp) {
    // A station of a township, and a deputy not registered there whose every serving
    // mandate is elsewhere than the station's organ and the organs above and below it (a
    // neighbouring township's, or an upper congress's): one staff could not hand it to before.
    let station = scalar(
        &app,
        "SELECT min(s.id) FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.level = 'township'",
        vec![],
    )
    .await;
    let elsewhere = "SELECT COALESCE(min(p.id), 0) FROM persons p WHERE p.id <> $2 \
         AND EXISTS (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.status = 'serving') \
         AND NOT EXISTS (SELECT 1 FROM station_deputies sd WHERE sd.person_id = p.id AND sd.station_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM mandates m JOIN organs o ON o.id = m.organ_id JOIN stations s ON s.id = $1 \
         JOIN organs so ON so.id = s.organ_id WHERE m.person_id = p.id AND m.status = 'serving' \
         AND (o.path LIKE so.path || '%' OR so.path LIKE o.path || '%'))";
    let card = scalar(&app, elsewhere, vec![station.into(), 0i64.into()]).await;
    assert!(card > 0, "the demo has a deputy serving elsewhere");
    let organ = scalar(&app, "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await;
    let account = app.add_account("card-deputy", organ, &[Role::Deputy]).await;
    db::exec(app.db(), "UPDATE accounts SET deputy_id = $1 WHERE id = $2", vec![card.into(), account.into()])
        .await
        .unwrap();
    let card_token = app.token("card-deputy", Scope::Write).await;
    // Left on the deputy's card, at that station (the /find → station → deputy card path).
    let (id, no, _) =
        submit(&app, "镇上集市散场后垃圾遍地，希望增加保洁人员。", json!({"deputy_id": card, "station_id": station}))
            .await;
    let item = item_of(&app, &no).await;

    // Staff see the deputy offered first, marked as the one it was left for.
    let mut browser = app.login("staff").await;
    let page = browser.get(&format!("/console/opinions/{id}")).await;
    let html = page.html();
    let sel = scraper::Selector::parse("#hand-deputy option").unwrap();
    let first = html.select(&sel).nth(1).expect("a deputy is offered");
    assert_eq!(first.value().attr("value"), Some(card.to_string().as_str()));
    assert!(first.text().collect::<String>().contains("留言对象"));
    // Another deputy serving elsewhere, not at the station, is refused.
    let stranger = scalar(&app, elsewhere, vec![station.into(), card.into()]).await;
    let staff = app.token("staff", Scope::Write).await;
    if stranger > 0 {
        let (status, body) = api_step(&app, &staff, id, "hand_to_deputy", json!({"deputy_id": stranger})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    // The card's deputy is accepted: told in the inbox, answers it.
    let r = browser
        .post(
            &format!("/console/handling/{item}/step"),
            &[("step", "hand_to_deputy"), ("deputy_id", &card.to_string()), ("text", "请代表了解情况后答复")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let inbox = scalar(
        &app,
        "SELECT count(*) FROM notifications WHERE account_id = $1 AND link = $2",
        vec![account.into(), format!("/console/handling/{item}").into()],
    )
    .await;
    assert_eq!(inbox, 1);
    assert!(console_list(&app, "card-deputy", "集市").await.contains(&no));
    let (status, body) =
        api_step(&app, &card_token, id, "answer_directly", json!({"text": "已与镇环卫所沟通，散集后两小时内清扫。"}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(state_of(&app, item).await, "answered_directly");
}

demo_test!(what_a_deputy_sees_is_the_documented_rule);
async fn what_a_deputy_sees_is_the_documented_rule(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let (me, other) = (person_of(&app, "deputy").await, person_of(&app, "deputy2").await);
    let mine = scalar(&app, "SELECT min(station_id) FROM station_deputies WHERE person_id = $1", vec![me.into()]).await;
    let not_mine = scalar(
        &app,
        "SELECT min(s.id) FROM stations s WHERE NOT EXISTS (SELECT 1 FROM station_deputies sd \
         WHERE sd.station_id = s.id AND sd.person_id = $1)",
        vec![me.into()],
    )
    .await;
    assert!(mine > 0 && not_mine > 0);
    let word = "窨井";
    let content = |what: &str| format!("{what}的{word}盖子丢了，晚上行人容易踩空。");

    // (1) raised with the deputy (their card), (2) handed to them, (3) raised with them and
    // handed on to another deputy, (4) followed by them, (5) through their station; and one
    // that is none of these.
    let (raised, raised_no, _) = submit(&app, &content("南街"), json!({"deputy_id": me})).await;
    let (handed, handed_no, _) = submit(&app, &content("北街"), json!({})).await;
    let (on, on_no, _) = submit(&app, &content("东街"), json!({"deputy_id": me})).await;
    let (followed, followed_no, _) = submit(&app, &content("西街"), json!({})).await;
    let (_, station_no, _) = submit(&app, &content("中街"), json!({"station_id": mine})).await;
    let (none, none_no, _) = submit(&app, &content("后街"), json!({"station_id": not_mine})).await;

    let (status, body) = api_step(&app, &staff, handed, "hand_to_deputy", json!({"deputy_id": me})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api_step(&app, &staff, on, "hand_to_deputy", json!({"deputy_id": other})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut leader = app.login("staff").await;
    let r = leader.post(&format!("/console/opinions/{followed}/followers"), &[("person", &me.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let seen = [&raised_no, &handed_no, &on_no, &followed_no, &station_no];
    let page = console_list(&app, "deputy", word).await;
    let listed = api_list(&app, &deputy, word).await;
    let unfiltered = api_list(&app, &deputy, "").await;
    for no in seen {
        assert!(page.contains(no.as_str()), "console list lacks {no}");
        assert!(listed.contains(no), "API search lacks {no}");
        assert!(unfiltered.contains(no), "API list lacks {no}");
        let id = opinion_of(&app, no).await;
        let r = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&deputy), None).await;
        assert_eq!(r.status, StatusCode::OK, "{no}: {}", r.body);
    }
    assert!(!page.contains(&none_no) && !listed.contains(&none_no) && !unfiltered.contains(&none_no));
    let r = app.api("GET", &format!("/api/v1/opinions/{none}"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Seeing is not acting: the deputy it was handed on from reads it, the one it went to acts.
    let d = app.api("GET", &format!("/api/v1/opinions/{on}"), Some(&deputy), None).await.json();
    assert!(steps_of(&d).is_empty(), "{d}");
    let (status, _) = api_step(&app, &deputy, on, "answer_directly", json!({"text": "我来答复"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(api_list(&app, &deputy2, word).await.contains(&on_no));
    let (status, body) = api_step(&app, &deputy2, on, "answer_directly", json!({"text": "已转告街道办"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The one raised with them and the one handed to them are theirs to act on.
    for id in [raised, handed] {
        let d = app.api("GET", &format!("/api/v1/opinions/{id}"), Some(&deputy), None).await.json();
        assert!(steps_of(&d).contains(&"answer_directly".to_string()), "{d}");
    }
    // The followed one and the station's are read only.
    let d = app.api("GET", &format!("/api/v1/opinions/{followed}"), Some(&deputy), None).await.json();
    assert!(steps_of(&d).is_empty(), "{d}");
}
