//! SUG-2 and SUG-3 beside the main path: the quality check finds the same request made in
//! earlier years of the organ by text similarity (reworded, with year, number and score;
//! 「连续N年」), not an unrelated one, nor those of this year or of another organ; the co-signers
//! a 议案 needs are the organ's setting; staff open and close a 人代会 session on a page and
//! through the API, and numbering follows.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::{Value, json};

use super::person_of;
use crate::demo_test;
use crate::support::TestApp;

fn this_year() -> i64 {
    i64::from(chrono::Datelike::year(&renda::calendar::beijing_date(db::now())))
}

/// A suggestion of `deputy` (a token), handed in; (id, number).
async fn handed_in(app: &TestApp, deputy: &str, title: &str, problem: &str, measures: &str) -> (i64, i64) {
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(deputy),
            Some(json!({"title": title, "problem": problem, "measures": measures, "category": "城乡建设"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/submit"), Some(deputy), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (id, r.json()["number"].as_i64().unwrap())
}

async fn set_year(app: &TestApp, id: i64, year: i64) {
    db::exec(app.db(), "UPDATE suggestions SET year = $1 WHERE id = $2", vec![year.into(), id.into()]).await.unwrap();
}

const DRAFT: (&str, &str, &str) = (
    "关于解决城区停车难问题的建议",
    "城区停车泊位严重不足，医院、学校周边车辆乱停乱放现象突出，既影响道路通行，又存在安全隐患，群众反映强烈。",
    "尽快编制城区停车设施专项规划；利用闲置边角地块建设立体停车场；推行机关企事业单位停车位错时共享；加强路边停车管理。",
);

/// The same request in other words, as written in three earlier years.
const EARLIER: [(&str, &str, &str); 3] = [
    (
        "关于加快城区停车场建设的建议",
        "城区停车位缺口大，医院、学校周边车辆乱停乱放，影响通行和安全，群众意见较大。",
        "编制停车设施专项规划；利用边角地建设立体停车场；推行错时共享停车；规范路边停车秩序。",
    ),
    (
        "关于缓解城区停车难的建议",
        "近年来城区机动车快速增加，停车泊位不足，医院和学校门口车辆乱停，道路拥堵，存在安全隐患。",
        "编制城区停车专项规划，建设立体停车场，推动单位停车位错时向社会开放共享，加强路边停车管理。",
    ),
    (
        "关于加强城区停车设施建设的建议",
        "城区停车设施建设滞后，停车位严重不足，医院、学校周边乱停乱放问题突出，影响交通安全。",
        "制定停车设施专项规划，利用边角地块建设立体停车场，实行停车位错时共享，加强停车管理。",
    ),
];

/// Other requests of last year: one of another field, one of the same field (traffic).
const UNRELATED: [(&str, &str, &str); 2] = [
    (
        "关于加强农村饮用水安全保障的建议",
        "部分山区村庄供水管网老化，水源地保护不到位，夏季经常停水，水质检测不及时。",
        "实施农村供水管网改造工程；划定并保护水源地；建立水质定期检测和公开制度。",
    ),
    (
        "关于优化城区交通信号灯配时的建议",
        "城区主要路口信号灯配时不合理，高峰时段车辆排队过长，行人过街等待时间长。",
        "对主要路口开展交通流量调查，实行信号灯智能配时，增设行人过街按钮。",
    ),
];

async fn the_same_request_of_earlier_years_is_found_by_its_text(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let year = this_year();
    let mut earlier = Vec::new();
    for (k, (t, p, m)) in EARLIER.iter().enumerate() {
        let (id, number) = handed_in(&app, &deputy, t, p, m).await;
        set_year(&app, id, year - 1 - k as i64).await;
        earlier.push((id, number, year - 1 - k as i64));
    }
    let mut unrelated = Vec::new();
    for (t, p, m) in UNRELATED {
        let (id, _) = handed_in(&app, &deputy, t, p, m).await;
        set_year(&app, id, year - 1).await;
        unrelated.push(id);
    }
    // The same words this year, and last year at another organ: neither listed.
    let (same_year, _) = handed_in(&app, &deputy, EARLIER[0].0, EARLIER[0].1, EARLIER[0].2).await;
    let (elsewhere, _) = handed_in(&app, &deputy, EARLIER[0].0, EARLIER[0].1, EARLIER[0].2).await;
    set_year(&app, elsewhere, year - 1).await;
    let other_organ = db::scalar_i64(
        app.db(),
        "SELECT min(o.id) FROM organs o WHERE o.external = false AND o.id <> (SELECT organ_id FROM suggestions WHERE id = $1)",
        vec![elsewhere.into()],
    )
    .await
    .unwrap();
    db::exec(
        app.db(),
        "UPDATE suggestions SET organ_id = $1 WHERE id = $2",
        vec![other_organ.into(), elsewhere.into()],
    )
    .await
    .unwrap();

    // The new draft, reworded again.
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(&deputy),
            Some(json!({"title": DRAFT.0, "problem": DRAFT.1, "measures": DRAFT.2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let draft = r.json()["id"].as_i64().unwrap();
    let d = app.api("GET", &format!("/api/v1/suggestions/{draft}"), Some(&deputy), None).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let q = &d.json()["quality"];
    let similar = q["similar"].as_array().unwrap();
    let found: Vec<i64> = similar.iter().map(|x| x["id"].as_i64().unwrap()).collect();
    eprintln!("similar: {similar:#?}");
    for (id, number, y) in &earlier {
        let x = similar.iter().find(|x| x["id"] == *id).unwrap_or_else(|| panic!("{id} of {y} not found: {q}"));
        assert_eq!(x["year"], *y);
        assert_eq!(x["number"], *number);
        assert!(x["number_label"].as_str().unwrap().ends_with(&format!("第{number}号")), "{x}");
        let score = x["score"].as_i64().unwrap();
        assert!((300..1000).contains(&score), "a rewording, not a copy: {x}");
    }
    for id in unrelated.iter().chain([&same_year, &elsewhere]) {
        assert!(!found.contains(id), "{id} listed: {q}");
    }
    assert_eq!(q["consecutive_years"], 4, "{q}");
    // The margin, measured on the texts themselves.
    let text = |(t, p, m): (&str, &str, &str)| {
        renda::nlp::dedup::fingerprint_document(&renda::suggestions::similar::text_of(t, p, m))
    };
    for other in UNRELATED {
        let score = renda::nlp::dedup::similarity(&text(DRAFT), &text(other));
        eprintln!("unrelated {}: {score:.3}", other.0);
        assert!(score < 0.2, "{}: {score}", other.0);
    }

    // On the draft's page: linked, with year, number and score, and 连续4年.
    let mut b = app.login("deputy").await;
    let page = b.get(&format!("/console/suggestions/{draft}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let (first, number, y) = earlier[0];
    assert!(page.body.contains(&format!("href=\"/console/suggestions/{first}\"")), "{}", page.body);
    assert!(page.body.contains(&format!("{y}年")) && page.body.contains(&format!("第{number}号")));
    assert!(page.body.contains("连续4年"), "{}", page.body);
    assert!(page.body.contains("相似度"));

    // A gap breaks the run: without last year's, the two before are still listed but not 连续.
    set_year(&app, earlier[0].0, year - 5).await;
    let q =
        app.api("GET", &format!("/api/v1/suggestions/{draft}"), Some(&deputy), None).await.json()["quality"].clone();
    assert_eq!(q["consecutive_years"], 0, "{q}");
    assert_eq!(q["similar"].as_array().unwrap().len(), 3, "{q}");
}
demo_test!(the_same_request_of_earlier_years_is_found_by_its_text);

/// A 议案 of `deputy` with `n` co-signers invited and confirmed; its id.
async fn bill_with(app: &TestApp, deputy: &str, n: usize) -> i64 {
    let organ = db::scalar_i64(
        app.db(),
        "SELECT m.organ_id FROM mandates m JOIN accounts a ON a.deputy_id = m.person_id WHERE a.username = 'deputy' \
         AND m.status = 'serving' ORDER BY m.organ_id DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap();
    let me = person_of(app, "deputy").await;
    let rows = db::query_rows(
        app.db(),
        "SELECT person_id FROM mandates WHERE organ_id = $1 AND status = 'serving' AND person_id <> $2 ORDER BY person_id LIMIT $3",
        vec![organ.into(), me.into(), (n as i64).into()],
    )
    .await
    .unwrap();
    let cos: Vec<i64> = rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect();
    assert_eq!(cos.len(), n);
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(deputy),
            Some(json!({"kind": "bill", "title": "关于制定城市停车管理条例的议案", "problem": "停车管理缺少地方性法规依据，执法难。",
                        "measures": "建议制定《城市停车管理条例》，明确规划、建设、收费和执法职责。", "cosigner_ids": cos})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    db::exec(
        app.db(),
        "UPDATE suggestion_cosigners SET confirmed_at = $1 WHERE suggestion_id = $2",
        vec![db::now().into(), id.into()],
    )
    .await
    .unwrap();
    id
}

async fn the_cosigners_a_bill_needs_are_the_organs_setting(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    // The county's legal default: 10; 9 is refused.
    let nine = bill_with(&app, &deputy, 9).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{nine}/submit"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("10 名以上"), "{}", r.body);
    let mut staff = app.login("staff").await;
    let page = staff.get("/console/suggestions/sessions").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("法定人数 10 人"), "{}", page.body);
    // Out of range: a clear message, nothing changed.
    for bad in ["0", "101", "三"] {
        let r = staff.submit(&page, "#bill-rule", &[("bill_min_cosigners", bad)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
        assert!(r.body.contains("1 到 100"), "{}", r.body);
    }
    let r = staff.submit(&page, "#bill-rule", &[("bill_min_cosigners", "3")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let audited = db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'suggestion_rules'", vec![])
        .await
        .unwrap();
    assert_eq!(audited, 1);
    let staff_api = app.token("staff", Scope::Write).await;
    let s = app.api("GET", "/api/v1/suggestions/sessions", Some(&staff_api), None).await;
    assert_eq!(s.json()["bill_min_cosigners"], 3, "{}", s.body);
    assert_eq!(s.json()["bill_min_own"], true);
    // Now 3 co-signers are enough.
    let three = bill_with(&app, &deputy, 3).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{three}/submit"), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "under_review");
    // A deputy cannot change it.
    let mut d = app.login("deputy").await;
    d.get("/console/suggestions").await;
    let r = d.post("/console/suggestions/rules", &[("bill_min_cosigners", "1")]).await;
    assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status);
}
demo_test!(the_cosigners_a_bill_needs_are_the_organs_setting);

fn series(v: &Value, id: i64) -> &Value {
    v["series"].as_array().unwrap().iter().find(|x| x["id"] == id).unwrap_or_else(|| panic!("{id} in {v}"))
}

async fn staff_open_and_close_a_session_and_numbering_follows(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let year = this_year();
    // The demo holds an open session: a second one is refused.
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions/sessions",
            Some(&staff),
            Some(json!({"name": "第十九届人民代表大会第三次会议", "year": year})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("尚未闭会"), "{}", r.body);
    // A deputy may neither list nor open nor close: the organ's staff resources are hidden from
    // whoever is not an organ worker (authz: `Draft` at the organ, 404), and nothing is written.
    let r = app.api("GET", "/api/v1/suggestions/sessions", Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions/sessions",
            Some(&deputy),
            Some(json!({"name": "第十九届人民代表大会第三次会议", "year": year})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let mut d = app.login("deputy").await;
    assert_eq!(d.get("/console/suggestions/sessions").await.status, StatusCode::NOT_FOUND);
    let r = d
        .post(
            "/console/suggestions/sessions",
            &[("name", "第十九届人民代表大会第三次会议"), ("year", &year.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let list = app.api("GET", "/api/v1/suggestions/sessions", Some(&staff), None).await.json();
    let open: Vec<i64> = list["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "session" && x["open"] == true)
        .map(|x| x["id"].as_i64().unwrap())
        .collect();
    assert_eq!(open.len(), 1, "{list}");
    let r = app.api("POST", &format!("/api/v1/suggestions/sessions/{}/close", open[0]), Some(&deputy), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let n = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM suggestion_sessions WHERE kind = 'session' AND open = true",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(n, 1, "the deputy changed nothing");

    // Staff close it on the page: the next suggestion goes to this year's 闭会期间 series.
    let mut b = app.login("staff").await;
    let page = b.get("/console/suggestions/sessions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("会议中"), "{}", page.body);
    assert!(page.body.contains("/console/suggestions/sessions\""), "the menu links the page");
    let r = b.submit(&page, &format!("form[action=\"/console/suggestions/sessions/{}/close\"]", open[0]), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = super::submitted(&app, &deputy, &deputy2).await;
    let d = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&staff), None).await.json();
    assert!(d["number_label"].as_str().unwrap().starts_with(&format!("{year}年闭会期间")), "{d}");
    let r = app.api("POST", &format!("/api/v1/suggestions/sessions/{}/close", open[0]), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "closed already: {}", r.body);

    // A draft begun before the session opens is numbered in it when submitted during it.
    let cos = person_of(&app, "deputy2").await;
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(&deputy),
            Some(json!({"title": "关于增设公交线路的建议", "problem": "新建小区公交不通，居民出行不便。",
                        "measures": "增设公交线路，延长末班车时间。", "cosigner_ids": [cos]})),
        )
        .await;
    let early = r.json()["id"].as_i64().unwrap();
    let page = b.get("/console/suggestions/sessions").await;
    let r = b
        .submit(&page, "#open-session", &[("name", "第十九届人民代表大会第三次会议"), ("year", &year.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = app.api("GET", "/api/v1/suggestions/sessions", Some(&staff), None).await.json();
    let new: i64 = list["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "第十九届人民代表大会第三次会议")
        .and_then(|x| x["id"].as_i64())
        .unwrap();
    assert_eq!(series(&list, new)["open"], true);
    assert_eq!(series(&list, new)["next_number"], 1);
    let id = super::submitted(&app, &deputy, &deputy2).await;
    let d = app.api("GET", &format!("/api/v1/suggestions/{id}"), Some(&staff), None).await.json();
    assert_eq!(d["number"], 1, "{d}");
    assert_eq!(d["number_label"], "第十九届人民代表大会第三次会议第1号");
    app.api("POST", &format!("/api/v1/suggestions/{early}/cosign"), Some(&deputy2), None).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{early}/submit"), Some(&deputy), None).await;
    assert_eq!(r.json()["number"], 2, "{}", r.body);
    let list = app.api("GET", "/api/v1/suggestions/sessions", Some(&staff), None).await.json();
    assert_eq!(series(&list, new)["numbered"], 2);
    assert_eq!(series(&list, new)["next_number"], 3);
    // A second open session is refused on the page and in the API; a bad name is a 422.
    let r = b
        .post(
            "/console/suggestions/sessions",
            &[("name", "第十九届人民代表大会第四次会议"), ("year", &year.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r =
        app.api("POST", "/api/v1/suggestions/sessions", Some(&staff), Some(json!({"name": "会", "year": year}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Closed through the API, then opened again through it.
    let r = app.api("POST", &format!("/api/v1/suggestions/sessions/{new}/close"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(series(&r.json(), new)["open"], false);
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions/sessions",
            Some(&staff),
            Some(json!({"name": "第十九届人民代表大会第四次会议", "year": year})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let audited = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action IN ('suggestion_session_open', 'suggestion_session_close')",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(audited, 4, "close, open, close, open");
}
demo_test!(staff_open_and_close_a_session_and_numbering_follows);
