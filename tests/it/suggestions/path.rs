//! The "done when" path, twice: once in the pages as each person meets them (every
//! step is a form found on the page that person sees, posted as a browser would), once through
//! the API. A deputy's draft, a co-signer's confirmation, submission with a number, a batch
//! 交办 to a 主办 and a 协办 unit, the 协办 opinion, a B-class reply after a recorded contact, the
//! lead's 不满意 of the result, 二次办理, a second B reply followed (跟踪办理), the carry-over into
//! next year's list, and a final A-class reply rated 满意 on both aspects, then 办结.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::{Value, json};

use super::{detail, person_of, second_unit, step};
use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::{Browser, Resp, TestApp};

/// Posts the form of `page` that carries the hidden field `name` = `value`, with the form's
/// hidden fields and `extra`, to the form's action — the button a person presses.
async fn press(b: &mut Browser<'_>, page: &Resp, name: &str, value: &str, extra: &[(&str, &str)]) -> Resp {
    let html = page.html();
    let forms = scraper::Selector::parse("form[method=post]").unwrap();
    let hidden = scraper::Selector::parse("input[type=hidden]").unwrap();
    for form in html.select(&forms) {
        let mut all: Vec<(String, String)> = form
            .select(&hidden)
            .map(|i| {
                (i.value().attr("name").unwrap_or("").to_string(), i.value().attr("value").unwrap_or("").to_string())
            })
            .collect();
        if !all.iter().any(|(k, v)| k == name && v == value) {
            continue;
        }
        let action = form.value().attr("action").expect("form action").to_string();
        all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let r = b.post_raw(&action, &serde_urlencoded::to_string(&all).unwrap()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}={value}: {}", r.body);
        return r;
    }
    panic!("no form with {name}={value} on the page: {}", page.body)
}

/// The suggestion's page as `b` sees it, and `step` pressed on it.
async fn on_page(b: &mut Browser<'_>, id: i64, name: &str, value: &str, extra: &[(&str, &str)]) -> Resp {
    let page = b.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    press(b, &page, name, value, extra).await
}

fn this_year() -> i64 {
    renda::calendar::beijing_date(db::now()).format("%Y").to_string().parse().unwrap()
}

async fn state(app: &TestApp, staff: &str, id: i64) -> Value {
    detail(app, staff, id).await["state"].clone()
}

async fn the_done_when_path_in_the_pages(app: TestApp) {
    let staff_token = app.token("staff", Scope::Read).await;
    let (unit_b, _) = second_unit(&app).await;
    let lead_unit = demo_unit(&app).await;
    let (lead_unit, unit_b) = (lead_unit.to_string(), unit_b.to_string());
    let cos = person_of(&app, "deputy2").await.to_string();

    // The deputy writes the draft on the form and invites a colleague.
    let mut deputy = app.login("deputy").await;
    let form = deputy.get("/console/suggestions/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let r = deputy
        .submit(
            &form,
            "form[action='/console/suggestions/new']",
            &[
                ("kind", "suggestion"),
                ("title", "关于解决老城区停车难问题的建议"),
                ("problem", "老城区停车位缺口大，医院、学校周边车辆乱停，早晚高峰拥堵，群众反映强烈。"),
                ("analysis", "公共停车设施建设滞后，规划用地落实不到位，错时共享机制没有建立。"),
                ("measures", "编制停车设施专项规划；利用边角地建设立体停车场；推行机关单位停车位错时共享。"),
                ("category", "城乡建设"),
                ("cosigner", &cos),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id: i64 = r.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap();

    // The colleague confirms on their own page; the author submits and gets a number.
    let mut deputy2 = app.login("deputy2").await;
    on_page(&mut deputy2, id, "action", "cosign", &[]).await;
    on_page(&mut deputy, id, "action", "submit", &[]).await;
    let d = detail(&app, &staff_token, id).await;
    assert_eq!(d["state"], "submitted");
    assert!(d["number"].as_i64().unwrap() >= 1, "{d}");

    // Staff register it, then hold a 交办会 from the list: a 主办 and a 协办 unit.
    let mut staff = app.login("staff").await;
    on_page(&mut staff, id, "action", "register", &[]).await;
    let list = staff.get("/console/suggestions?state=registered").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let tick = format!("#batch input[name=id][value='{id}']");
    assert_eq!(list.html().select(&scraper::Selector::parse(&tick).unwrap()).count(), 1, "{}", list.body);
    let r = staff
        .submit(
            &list,
            "form#batch",
            &[
                ("id", &id.to_string()),
                ("unit", &lead_unit),
                ("role", "lead"),
                ("unit", &unit_b),
                ("role", "assist"),
                ("unit", ""),
                ("role", "assist"),
                ("months", ""),
                ("text", "请认真办理，加强与代表沟通。"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state(&app, &staff_token, id).await, "assigned");

    // The 协办 unit signs for it and gives its opinion to the 主办 on its page.
    let mut assisting = app.login("unit-b").await;
    on_page(&mut assisting, id, "step", "accept", &[]).await;
    on_page(&mut assisting, id, "step", "assist_opinion", &[("text", "我局同意在规划中预留停车用地。")]).await;

    // The 主办 unit signs, meets the deputy, replies B.
    let mut unit = app.login("unit").await;
    on_page(&mut unit, id, "step", "accept", &[]).await;
    on_page(&mut unit, id, "step", "contact", &[("way", "meeting"), ("on", ""), ("text", "与领衔代表面商办理方案。")])
        .await;
    on_page(
        &mut unit,
        id,
        "step",
        "reply",
        &[("outcome", "in_progress"), ("text", "已列入明年城建计划，分两期建设。")],
    )
    .await;
    let d = detail(&app, &staff_token, id).await;
    assert_eq!(
        (d["state"].as_str(), d["class"].as_str(), d["contact_recorded"].as_bool()),
        (Some("replied"), Some("B"), Some(true))
    );

    // The lead deputy is not satisfied with the result: 二次办理.
    let rate = |aspect: &'static str, grade: &'static str| {
        [("aspect", aspect), ("unit_id", lead_unit.as_str()), ("grade", grade), ("text", "停车难仍未解决")]
    };
    on_page(&mut deputy, id, "step", "rate", &rate("reply", "satisfied")).await;
    on_page(&mut deputy, id, "step", "rate", &rate("result", "unsatisfied")).await;
    assert_eq!(state(&app, &staff_token, id).await, "rehandling");

    // In 二次办理 the unit replies B again; staff follow it (跟踪办理).
    on_page(&mut unit, id, "step", "accept", &[]).await;
    on_page(&mut unit, id, "step", "contact", &[("way", "phone"), ("on", ""), ("text", "电话告知代表建设进度。")])
        .await;
    on_page(&mut unit, id, "step", "reply", &[("outcome", "in_progress"), ("text", "一期工程已开工，明年建成。")])
        .await;
    on_page(&mut staff, id, "step", "follow", &[("text", "正在解决，列入明年计划"), ("days", "")]).await;
    assert_eq!(state(&app, &staff_token, id).await, "following");

    // Year end: staff carry the followed ones into next year's list after the confirmation.
    let year = this_year();
    let preview = staff.get(&format!("/console/suggestions/carry-over?year={year}")).await;
    assert!(
        preview.texts("#carry-rows td a").iter().any(|t| t == "关于解决老城区停车难问题的建议"),
        "{}",
        preview.body
    );
    let r = staff.submit(&preview, "#carry-confirm", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let d = detail(&app, &staff_token, id).await;
    assert_eq!((d["year"].as_i64(), d["carried_from_year"].as_i64()), (Some(year + 1), Some(year)));

    // Next year: the A-class reply, rated 满意 on both aspects, and 办结.
    on_page(
        &mut unit,
        id,
        "step",
        "reply",
        &[("outcome", "resolved"), ("text", "两处立体停车场已建成投用，新增车位600个。")],
    )
    .await;
    on_page(&mut deputy, id, "step", "rate", &rate("reply", "satisfied")).await;
    on_page(&mut deputy, id, "step", "rate", &rate("result", "satisfied")).await;
    on_page(&mut staff, id, "step", "close", &[("text", "已解决")]).await;
    let d = detail(&app, &staff_token, id).await;
    assert_eq!((d["state"].as_str(), d["class"].as_str()), (Some("closed"), Some("A")), "{d}");
    // Every signer and both units find it where they look.
    for who in [&mut deputy, &mut deputy2, &mut unit, &mut assisting] {
        let page = who.get(&format!("/console/suggestions/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("由") && page.body.contains("年结转"), "{}", page.body);
    }
    // Done, it leaves the 协办 unit's desk and stays in its list of next year.
    let mine = assisting.get("/console/suggestions/mine").await;
    assert!(!mine.body.contains("关于解决老城区停车难问题的建议"), "{}", mine.body);
    let list = assisting.get(&format!("/console/suggestions?year={}", year + 1)).await;
    assert!(list.texts("#suggestions td a").iter().any(|t| t == "关于解决老城区停车难问题的建议"), "{}", list.body);
}
demo_test!(the_done_when_path_in_the_pages);

async fn the_done_when_path_through_the_api(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let (unit_b, unit_b_token) = second_unit(&app).await;
    let lead_unit = demo_unit(&app).await;
    let id = super::submitted(&app, &deputy, &deputy2).await;
    let other = super::submitted(&app, &deputy, &deputy2).await;

    // A 交办会 of two: all or nothing — a unit that does not exist stops both.
    let batch = |units: Value| json!({"ids": [id, other], "units": units, "text": "请认真办理"});
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions/assign",
            Some(&staff),
            Some(batch(json!([{"unit_id": 999_999, "role": "lead"}]))),
        )
        .await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    assert_eq!(state(&app, &staff, id).await, "submitted", "nothing assigned");
    assert_eq!(state(&app, &staff, other).await, "submitted", "nothing assigned");
    let units = json!([{"unit_id": lead_unit, "role": "lead"}, {"unit_id": unit_b, "role": "assist"}]);
    let r = app.api("POST", "/api/v1/suggestions/assign", Some(&deputy), Some(batch(units.clone()))).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "a deputy holds no 交办会: {}", r.body);
    let r = app.api("POST", "/api/v1/suggestions/assign", Some(&staff), Some(json!({"ids": [], "units": units}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.api("POST", "/api/v1/suggestions/assign", Some(&staff), Some(batch(units.clone()))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["assigned"], 2);
    assert_eq!(state(&app, &staff, id).await, "assigned");
    assert_eq!(state(&app, &staff, other).await, "assigned");

    step(&app, &unit_b_token, id, "accept", json!({})).await;
    step(&app, &unit_b_token, id, "opinion", json!({"text": "我局同意在规划中预留停车用地。"})).await;
    step(&app, &unit, id, "accept", json!({})).await;
    step(&app, &unit, id, "contacts", json!({"way": "meeting", "text": "与领衔代表面商办理方案。"})).await;
    step(&app, &unit, id, "reply", json!({"class": "B", "text": "已列入明年城建计划。"})).await;
    let rating = |aspect: &str, grade: &str| json!({"aspect": aspect, "grade": grade, "unit_id": lead_unit});
    step(&app, &deputy, id, "ratings", rating("reply", "satisfied")).await;
    let out = step(&app, &deputy, id, "ratings", rating("result", "unsatisfied")).await;
    assert_eq!(out["state"], "rehandling");
    step(&app, &unit, id, "accept", json!({})).await;
    step(&app, &unit, id, "contacts", json!({"way": "phone", "text": "电话告知代表建设进度。"})).await;
    step(&app, &unit, id, "reply", json!({"class": "B", "text": "一期工程已开工。"})).await;
    let out = step(&app, &staff, id, "follow", json!({"text": "列入明年计划"})).await;
    assert_eq!(out["state"], "following");

    let year = this_year();
    let r = app.api("POST", "/api/v1/suggestions/carry-over", Some(&staff), Some(json!({"year": year}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["carried"].as_u64().unwrap() >= 1);
    let d = detail(&app, &deputy2, id).await;
    assert_eq!((d["year"].as_i64(), d["carried_from_year"].as_i64()), (Some(year + 1), Some(year)));

    step(&app, &unit, id, "reply", json!({"class": "A", "text": "两处立体停车场已建成投用。"})).await;
    step(&app, &deputy, id, "ratings", rating("reply", "satisfied")).await;
    step(&app, &deputy, id, "ratings", rating("result", "satisfied")).await;
    let out = step(&app, &staff, id, "close", json!({"text": "已解决"})).await;
    assert_eq!(out["state"], "closed");
    let d = detail(&app, &deputy2, id).await;
    assert_eq!((d["class"].as_str(), d["handling"]["round"].as_i64()), (Some("A"), Some(3)), "{d}");
    // Three rounds: the first reply, 二次办理, 跟踪办理. The history tells the whole story.
    let steps: Vec<String> = d["handling"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["step"].as_str().map(String::from))
        .collect();
    for s in ["assign", "assist_opinion", "contact", "reply", "rate", "reopen", "follow", "close"] {
        assert!(steps.iter().any(|x| x == s), "{s} missing from {steps:?}");
    }
}
demo_test!(the_done_when_path_through_the_api);
