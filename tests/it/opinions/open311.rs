//! OPN-15: Open311 GeoReport v2 under `/open311/v2/` — discovery and services, a POST with an
//! `api_key`, the request as the loop moves it, what the list shows without a key, and bad
//! input answered as Open311 error arrays.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use renda::auth::Scope;
use renda::db;
use serde_json::{Value, json};

use super::{demo_unit, item_of, opinion_of, state_of};
use crate::demo_test;
use crate::support::{Resp, TestApp};

async fn get(app: &TestApp, path: &str) -> Resp {
    app.send(Request::get(path).body(Body::empty()).unwrap()).await
}

/// A POST as Open311 clients send it: urlencoded fields.
async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Resp {
    let body = serde_urlencoded::to_string(fields).unwrap();
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// An Open311 error array with the given status: every element has that code and a Chinese
/// description.
fn open311_error(r: &Resp, status: StatusCode) -> Vec<String> {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.header("content-type").unwrap_or("").starts_with("application/json"), "{:?}", r.headers);
    let items = r.json().as_array().unwrap_or_else(|| panic!("not an array: {}", r.body)).clone();
    assert!(!items.is_empty());
    items
        .iter()
        .map(|e| {
            assert_eq!(e["code"], status.as_u16(), "{e}");
            let d = e["description"].as_str().unwrap().to_string();
            assert!(d.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "not Chinese: {d}");
            d
        })
        .collect()
}

async fn township_code(app: &TestApp) -> String {
    db::query_rows(app.db(), "SELECT code FROM areas WHERE level = 'township' ORDER BY id LIMIT 1", vec![])
        .await
        .unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}

async fn discovery_and_services(app: TestApp) {
    let d = get(&app, "/open311/v2/discovery.json").await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    let endpoint = &d.json()["endpoints"][0];
    assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert_eq!(endpoint["formats"], json!(["application/json"]));
    assert_eq!(get(&app, "/open311/v2/discovery").await.status, StatusCode::OK);

    let s = get(&app, "/open311/v2/services.json").await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let list = s.json().as_array().unwrap().clone();
    assert_eq!(list.len(), renda::opinions::model::DEFAULT_CATEGORIES.len());
    for svc in &list {
        let code = svc["service_code"].as_str().unwrap();
        assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        assert_eq!(svc["metadata"], false);
        assert_eq!(svc["type"], "realtime");
    }
    assert!(list.iter().any(|s| s["service_code"] == "transport" && s["service_name"] == "交通运输"));
    let t = get(&app, "/open311/v2/services/transport.json").await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.json(), json!({"service_code": "transport", "attributes": []}));
    assert_eq!(get(&app, "/open311/v2/services/transport").await.json()["service_code"], "transport");

    // Unknown codes, paths, formats and jurisdictions: error arrays, never a page.
    open311_error(&get(&app, "/open311/v2/services/parking.json").await, StatusCode::NOT_FOUND);
    open311_error(&get(&app, "/open311/v2/nothing-here").await, StatusCode::NOT_FOUND);
    open311_error(&get(&app, "/open311/v2/services/transport.xml").await, StatusCode::BAD_REQUEST);
    let e =
        open311_error(&get(&app, "/open311/v2/services.json?jurisdiction_id=999999").await, StatusCode::BAD_REQUEST);
    assert!(e[0].contains("jurisdiction_id"), "{e:?}");
    let code = township_code(&app).await;
    assert_eq!(get(&app, &format!("/open311/v2/services.json?jurisdiction_id={code}")).await.status, StatusCode::OK);
    // The text rule holds for the query string too.
    open311_error(&get(&app, "/open311/v2/services.json?jurisdiction_id=%07").await, StatusCode::BAD_REQUEST);
    let r = app.send(Request::delete("/open311/v2/services.json").body(Body::empty()).unwrap()).await;
    open311_error(&r, StatusCode::METHOD_NOT_ALLOWED);
}
demo_test!(discovery_and_services);

async fn a_request_goes_through_the_loop(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let area = township_code(&app).await;
    let sms_before = db::scalar_i64(app.db(), "SELECT COALESCE(max(id), 0) FROM sms_outbox", vec![]).await.unwrap();
    let r = post(
        &app,
        "/open311/v2/requests.json",
        &[
            ("api_key", staff.as_str()),
            ("service_code", "transport"),
            ("description", "人民路与和平街路口的红绿灯坏了三天，早高峰车辆拥堵。"),
            ("lat", "35.9958"),
            ("long", "119.4103"),
            ("address_string", "人民路与和平街路口"),
            ("email", "citizen@example.com"),
            ("first_name", "建国"),
            ("last_name", "王"),
            ("phone", "+86 138-0013-8000"),
            ("jurisdiction_id", area.as_str()),
            ("attribute[foo]", "ignored"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json()[0].clone();
    let no = created["service_request_id"].as_str().unwrap().to_string();
    assert!(created["service_notice"].as_str().unwrap().contains(&no));
    assert_eq!(created["query_code"].as_str().unwrap().len(), 6);

    // Stored as an opinion of the channel open311, entered by the key's account, located.
    let row = &db::query_rows(
        app.db(),
        "SELECT op.channel, op.category, op.entered_by_id, op.lat, op.lng, op.address, a.code, op.allow_public, \
         (SELECT id FROM accounts WHERE username = 'staff') FROM opinions op LEFT JOIN areas a ON a.id = op.area_id \
         WHERE op.tracking_no = $1",
        vec![no.clone().into()],
    )
    .await
    .unwrap()[0];
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "open311");
    assert_eq!(row.try_get_by_index::<String>(1).unwrap(), "交通运输");
    assert_eq!(row.try_get_by_index::<Option<i64>>(2).unwrap(), Some(row.try_get_by_index::<i64>(8).unwrap()));
    assert_eq!(row.try_get_by_index::<Option<f64>>(3).unwrap(), Some(35.9958));
    assert_eq!(row.try_get_by_index::<Option<f64>>(4).unwrap(), Some(119.4103));
    assert_eq!(row.try_get_by_index::<Option<String>>(5).unwrap().as_deref(), Some("人民路与和平街路口"));
    assert_eq!(row.try_get_by_index::<Option<String>>(6).unwrap(), Some(area.clone()));
    assert!(!row.try_get_by_index::<bool>(7).unwrap());
    // The phone got the SMS receipt with the tracking number.
    let sms = db::query_rows(
        app.db(),
        "SELECT phone_masked, body FROM sms_outbox WHERE id > $1 ORDER BY id",
        vec![sms_before.into()],
    )
    .await
    .unwrap();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].try_get_by_index::<String>(0).unwrap(), "138****8000");
    assert!(sms[0].try_get_by_index::<String>(1).unwrap().contains(&no));

    // Not published: without a key it does not exist; with the staff key it is there.
    open311_error(&get(&app, &format!("/open311/v2/requests/{no}.json")).await, StatusCode::NOT_FOUND);
    let path = format!("/open311/v2/requests/{no}.json?api_key={staff}");
    let g = get(&app, &path).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    let req = g.json()[0].clone();
    assert_eq!(req["service_request_id"], no.as_str());
    assert_eq!(req["status"], "open");
    assert_eq!(req["detailed_status"], "received");
    assert_eq!(req["service_code"], "transport");
    assert_eq!(req["jurisdiction_id"], area.as_str());
    assert_eq!(req["lat"], 35.9958);
    assert_eq!(req["long"], 119.4103);
    assert!(req["expected_datetime"].is_null());
    assert!(req["requested_datetime"].as_str().unwrap().ends_with("+08:00"));
    let organ: String = db::query_rows(
        app.db(),
        "SELECT name FROM organs WHERE parent_id IS NULL AND external = false ORDER BY id LIMIT 1",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(req["agency_responsible"], organ.as_str());
    // The tracking number is a date and a sequence (「20261208000433」 holds 8000 after midnight
    // Beijing time), so the phone's last digits are looked for in the rest of the answer.
    let rest = g.body.replace(no.as_str(), "");
    for secret in ["13800138000", "8000", "建国", "citizen@example.com"] {
        assert!(!rest.contains(secret), "{secret} in {}", g.body);
    }

    // The loop assigns it through the API: the lead unit is the agency, the deadline expected.
    let unit = demo_unit(&app).await;
    let id = opinion_of(&app, &no).await;
    let body = json!({"units": [{"unit_id": unit, "role": "lead"}], "due_working_days": 10, "text": "请核实处理"});
    let a = app.api("POST", &format!("/api/v1/opinions/{id}/assign"), Some(&staff), Some(body)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(state_of(&app, item_of(&app, &no).await).await, "assigned");
    let unit_name: String =
        db::query_rows(app.db(), "SELECT name FROM handling_units WHERE id = $1", vec![unit.into()]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let req = get(&app, &path).await.json()[0].clone();
    assert_eq!(req["status"], "open");
    assert_eq!(req["detailed_status"], "assigned");
    assert_eq!(req["detailed_status_label"], "已交办");
    assert_eq!(req["agency_responsible"], unit_name.as_str());
    assert!(req["expected_datetime"].as_str().unwrap().ends_with("+08:00"), "{req}");

    // The token is the id; the updates list the public lines of its history.
    let t = get(&app, &format!("/open311/v2/tokens/{no}.json?api_key={staff}")).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.json()[0]["service_request_id"], no.as_str());
    open311_error(&get(&app, &format!("/open311/v2/tokens/{no}.json")).await, StatusCode::NOT_FOUND);
    let u = get(&app, &format!("/open311/v2/servicerequestupdates.json?api_key={staff}")).await;
    assert_eq!(u.status, StatusCode::OK, "{}", u.body);
    let steps: Vec<Value> = u
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["service_request_id"] == no.as_str())
        .map(|x| x["step"].clone())
        .collect();
    assert_eq!(steps, [json!("submit"), json!("assign")]);
    let anonymous = get(&app, "/open311/v2/servicerequestupdates.json").await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.contains(&no));

    // A JSON body works as well as a form.
    let r = app
        .send(
            Request::post("/open311/v2/requests")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"api_key": staff, "service_code": "health", "description": "社区卫生服务站周末不开门，老人看病不方便。"})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
demo_test!(a_request_goes_through_the_loop);

async fn only_write_keys_of_those_who_may_enter_post(app: TestApp) {
    let count = || async { db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap() };
    let before = count().await;
    let fields = |key: &'static str| {
        vec![("api_key", key), ("service_code", "environment"), ("description", "河道里有人倾倒建筑垃圾，味道很大。")]
    };
    let e = open311_error(&post(&app, "/open311/v2/requests.json", &fields("")).await, StatusCode::FORBIDDEN);
    assert!(e[0].contains("api_key"), "{e:?}");
    let e =
        open311_error(&post(&app, "/open311/v2/requests.json", &fields("not-a-token")).await, StatusCode::FORBIDDEN);
    assert!(e[0].contains("无效"), "{e:?}");
    let read: &'static str = Box::leak(app.token("staff", Scope::Read).await.into_boxed_str());
    let e = open311_error(&post(&app, "/open311/v2/requests.json", &fields(read)).await, StatusCode::FORBIDDEN);
    assert!(e[0].contains("只读"), "{e:?}");
    for who in ["unit", "leader"] {
        let key: &'static str = Box::leak(app.token(who, Scope::Write).await.into_boxed_str());
        open311_error(&post(&app, "/open311/v2/requests.json", &fields(key)).await, StatusCode::FORBIDDEN);
    }
    // A bearer token is not an api_key here, and a browser session is no credential either.
    let staff = app.token("staff", Scope::Write).await;
    let req = Request::post("/open311/v2/requests.json")
        .header(header::AUTHORIZATION, format!("Bearer {staff}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            "service_code=environment&description=%E6%B2%B3%E9%81%93%E9%87%8C%E6%9C%89%E4%BA%BA%E5%80%BE%E5%80%92",
        ))
        .unwrap();
    open311_error(&app.send(req).await, StatusCode::FORBIDDEN);
    let mut browser = app.login("staff").await;
    let r = browser.post("/open311/v2/requests.json", &fields("")[1..]).await;
    open311_error(&r, StatusCode::FORBIDDEN);
    assert_eq!(count().await, before, "a refused request wrote an opinion");
    // A keeper's key enters for the keeper's station.
    let keeper: &'static str = Box::leak(app.token("keeper", Scope::Write).await.into_boxed_str());
    let r = post(&app, "/open311/v2/requests.json", &fields(keeper)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()[0]["service_request_id"].as_str().unwrap().to_string();
    let station: Option<i64> =
        db::query_rows(app.db(), "SELECT station_id FROM opinions WHERE tracking_no = $1", vec![no.into()])
            .await
            .unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let keeper_station: Option<i64> =
        db::query_rows(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert_eq!(station, keeper_station);
}
demo_test!(only_write_keys_of_those_who_may_enter_post);

async fn the_list_shows_only_what_was_published(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let mut ids = Vec::new();
    for (public, text) in
        [("true", "公园健身器材损坏，孩子玩耍有危险。"), ("false", "我家楼上装修噪音太大，晚上十点还在施工。")]
    {
        let r = post(
            &app,
            "/open311/v2/requests.json",
            &[
                ("api_key", staff.as_str()),
                ("service_code", "urban_rural"),
                ("description", text),
                ("allow_public", public),
                ("last_name", "李"),
                ("first_name", "秀英"),
                ("phone", "13912340000"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()[0]["service_request_id"].as_str().unwrap().to_string());
    }
    let (public, private) = (&ids[0], &ids[1]);
    let has = |r: &Resp, id: &str| r.json().as_array().unwrap().iter().any(|x| x["service_request_id"] == id);

    // Allowing publication is not publishing: an open request is not on the anonymous feed.
    let before = get(&app, "/open311/v2/requests.json").await;
    assert!(!has(&before, public) && !has(&before, private));
    assert_eq!(get(&app, &format!("/open311/v2/requests/{public}")).await.status, StatusCode::NOT_FOUND);
    // Handled, closed and published by staff (the masked first draft), it is.
    let unit_token = app.token("unit", Scope::Write).await;
    let unit = super::demo_unit(&app).await;
    let id = super::opinion_of(&app, public).await;
    for (who, step, body) in [
        (&staff, "assign", serde_json::json!({"units": [{"unit_id": unit, "role": "lead"}]})),
        (&unit_token, "accept", serde_json::json!({})),
        (&unit_token, "reply", serde_json::json!({"result": "resolved", "text": "健身器材已更换。"})),
        (&staff, "close", serde_json::json!({})),
        (&staff, "publish", serde_json::json!({})),
    ] {
        let r = app.api("POST", &format!("/api/v1/opinions/{id}/{step}"), Some(who), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
    }
    let all = get(&app, "/open311/v2/requests.json").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(has(&all, public) && !has(&all, private));
    for secret in ["13912340000", "秀英", "噪音"] {
        assert!(!all.body.contains(secret), "{secret}");
    }
    for x in all.json().as_array().unwrap() {
        assert_ne!(x["detailed_status"], "held");
        for key in ["name", "phone", "email", "first_name", "last_name"] {
            assert!(x.get(key).is_none(), "{key} in {x}");
        }
    }
    let keyed = get(&app, &format!("/open311/v2/requests.json?api_key={staff}")).await;
    assert!(has(&keyed, public) && has(&keyed, private));
    assert!(!keyed.body.contains("13912340000"));

    // Filters.
    let by_id = get(&app, &format!("/open311/v2/requests.json?service_request_id={private},{public}")).await;
    assert_eq!(by_id.json().as_array().unwrap().len(), 1);
    assert!(has(&by_id, public));
    assert!(has(&get(&app, "/open311/v2/requests.json?service_code=urban_rural&status=closed").await, public));
    assert!(!has(&get(&app, "/open311/v2/requests.json?service_code=health").await, public));
    assert!(!has(&get(&app, "/open311/v2/requests.json?status=open").await, public));
    assert!(!has(&get(&app, "/open311/v2/requests.json?start_date=2099-01-01T00:00:00%2B08:00").await, public));
    let today = renda::calendar::beijing_date(db::now()).format("%Y-%m-%d").to_string();
    let day = get(&app, &format!("/open311/v2/requests.json?start_date={today}&end_date={today}")).await;
    assert!(has(&day, public), "{}", day.body);
    // An unencoded `+` of the offset arrives as a space and is understood.
    let r = get(&app, &format!("/open311/v2/requests.json?start_date={today}T00:00:00+08:00")).await;
    assert!(has(&r, public), "{}", r.body);
    let e = open311_error(&get(&app, "/open311/v2/requests.json?status=pending").await, StatusCode::BAD_REQUEST);
    assert!(e[0].contains("status"), "{e:?}");
    open311_error(&get(&app, "/open311/v2/requests.json?start_date=yesterday").await, StatusCode::BAD_REQUEST);
    open311_error(&get(&app, "/open311/v2/requests.json?api_key=forged").await, StatusCode::FORBIDDEN);
    // The published request is there by id without a key.
    let one = get(&app, &format!("/open311/v2/requests/{public}")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.json()[0]["description"], "公园健身器材损坏，孩子玩耍有危险。");
}
demo_test!(the_list_shows_only_what_was_published);

async fn bad_input_is_an_open311_error_array(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let count = || async { db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap() };
    let before = count().await;
    let k = staff.as_str();
    let e = open311_error(&post(&app, "/open311/v2/requests.json", &[("api_key", k)]).await, StatusCode::BAD_REQUEST);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e.iter().any(|d| d.starts_with("service_code：")) && e.iter().any(|d| d.starts_with("description：")),
        "{e:?}"
    );
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("service_code", "parking"), ("description", "路边停车位太少了，经常停不下。")], "service_code"),
        (&[("service_code", "transport"), ("description", "短")], "description"),
        (&[("service_code", "transport"), ("description", "路口没有红绿灯\u{7}，很危险。")], "控制字符"),
        (&[("service_code", "transport"), ("description", "路口没有红绿灯，很危险。"), ("lat", "36.1")], "long"),
        (
            &[
                ("service_code", "transport"),
                ("description", "路口没有红绿灯，很危险。"),
                ("lat", "north"),
                ("long", "1"),
            ],
            "lat",
        ),
        (
            &[("service_code", "transport"), ("description", "路口没有红绿灯，很危险。"), ("lat", "95"), ("long", "1")],
            "lat",
        ),
        (&[("service_code", "transport"), ("description", "路口没有红绿灯，很危险。"), ("phone", "12345")], "phone"),
        (
            &[
                ("service_code", "transport"),
                ("description", "路口没有红绿灯，很危险。"),
                ("jurisdiction_id", "000000"),
            ],
            "jurisdiction_id",
        ),
        (
            &[
                ("service_code", "transport"),
                ("description", "路口没有红绿灯，很危险。"),
                ("address_string", "一行\n两行"),
            ],
            "address_string",
        ),
        (
            &[("service_code", "transport"), ("description", "路口没有红绿灯，很危险。"), ("email", "no-at-sign")],
            "email",
        ),
    ];
    for (fields, needle) in cases {
        let mut all = vec![("api_key", k)];
        all.extend_from_slice(fields);
        let e = open311_error(&post(&app, "/open311/v2/requests.json", &all).await, StatusCode::BAD_REQUEST);
        assert!(e.iter().any(|d| d.contains(needle)), "{needle}: {e:?}");
    }
    let r = app
        .send(
            Request::post("/open311/v2/requests.json")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"api_key\": "))
                .unwrap(),
        )
        .await;
    open311_error(&r, StatusCode::BAD_REQUEST);
    let r = app
        .send(
            Request::post("/open311/v2/requests.json")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"api_key": k, "service_code": ["transport"]}).to_string()))
                .unwrap(),
        )
        .await;
    open311_error(&r, StatusCode::BAD_REQUEST);
    assert_eq!(count().await, before);
}
demo_test!(bad_input_is_an_open311_error_array);
