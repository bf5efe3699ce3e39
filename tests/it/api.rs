//! PLAT-16: the API's conventions — problem documents in Chinese, cursor paging, the OpenAPI document.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use renda::auth::Scope;

use crate::demo_test;
use crate::support::TestApp;

async fn me_requires_credentials(app: TestApp) {
    let r = app.api("GET", "/api/v1/me", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let p = r.json();
    assert_eq!(p["status"], 401);
    assert_eq!(p["title"], "未登录");
    let r = app.api("GET", "/api/v1/me", Some("rnd_not-a-token"), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let token = app.token("keeper", Scope::Read).await;
    let me = app.api("GET", "/api/v1/me", Some(&token), None).await.json();
    assert_eq!(me["roles"], serde_json::json!(["keeper"]));
    assert_eq!(me["organ"]["name"], "诸城市密州街道人大工作委员会");
}
demo_test!(me_requires_credentials);

async fn account_management_through_the_api(app: TestApp) {
    let admin = app.token("admin", Scope::Write).await;
    let organ = app.organ_id("370782108").await;
    let bad = app
        .api("POST", "/api/v1/accounts", Some(&admin), Some(serde_json::json!({
            "username": "a", "display_name": "", "password": "short", "organ_id": organ, "roles": [], "phone": "12345"
        })))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> =
        bad.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["username", "display_name", "password", "roles", "phone"]);
    assert!(bad.json()["errors"][0]["message"].as_str().unwrap().contains("用户名"));

    let wrong_enum = app
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&admin),
            Some(serde_json::json!({
                "username": "abc", "display_name": "某", "password": "abc12345", "organ_id": organ, "roles": ["king"]
            })),
        )
        .await;
    assert_eq!(wrong_enum.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_enum.json()["detail"], "字段取值不在允许范围内");

    let created = app
        .api("POST", "/api/v1/accounts", Some(&admin), Some(serde_json::json!({
            "username": "xiangzhou", "display_name": "孙丽", "password": "abc12345", "organ_id": organ, "roles": ["staff"], "phone": "13605361234"
        })))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), Some(format!("/api/v1/accounts/{id}").as_str()));
    assert_eq!(created.json()["phone"], "136****1234", "masked");
    let dup = app
        .api("POST", "/api/v1/accounts", Some(&admin), Some(serde_json::json!({
            "username": "xiangzhou", "display_name": "孙丽", "password": "abc12345", "organ_id": organ, "roles": ["staff"]
        })))
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);

    let patched = app
        .api(
            "PATCH",
            &format!("/api/v1/accounts/{id}"),
            Some(&admin),
            Some(serde_json::json!({"roles": ["staff", "leader"], "disabled": true})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.json()["roles"], serde_json::json!(["staff", "leader"]));
    assert_eq!(patched.json()["disabled"], true);
    // A staff member sees accounts but may not change them.
    let staff = app.token("staff", Scope::Write).await;
    assert_eq!(app.api("GET", &format!("/api/v1/accounts/{id}"), Some(&staff), None).await.status, StatusCode::OK);
    let r = app
        .api("PATCH", &format!("/api/v1/accounts/{id}"), Some(&staff), Some(serde_json::json!({"disabled": false})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["detail"], "您没有执行此操作的权限");
    // A deputy does not learn the account exists.
    let deputy = app.token("deputy", Scope::Write).await;
    assert_eq!(
        app.api("GET", &format!("/api/v1/accounts/{id}"), Some(&deputy), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.api("GET", "/api/v1/accounts/999999", Some(&admin), None).await.status, StatusCode::NOT_FOUND);
}
demo_test!(account_management_through_the_api);

async fn lists_page_with_a_cursor(app: TestApp) {
    let admin = app.token("admin", Scope::Read).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/accounts?limit=4&cursor={c}"),
            None => "/api/v1/accounts?limit=4".to_string(),
        };
        let page = app.api("GET", &path, Some(&admin), None).await.json();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["username"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    // Every account once, in id order, across pages of four (the demo's 常委会 members included).
    let all: Vec<String> = renda::db::query_rows(app.db(), "SELECT username FROM accounts ORDER BY id", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    assert_eq!(seen, all);
    assert_eq!(seen[..8], ["admin", "staff", "leader", "deputy", "unit", "keeper", "deputy2", "changwei"]);
    assert!(seen.len() > 8, "more than two pages");
    let filtered = app.api("GET", "/api/v1/accounts?role=keeper", Some(&admin), None).await.json();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    for bad in ["limit=0", "limit=abc", "limit=201", "cursor=-4", "role=king", "organ=x"] {
        let r = app.api("GET", &format!("/api/v1/accounts?{bad}"), Some(&admin), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            r.json()["detail"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese detail for {bad}"
        );
    }
    // Public lists need no credentials.
    let organs = app.api("GET", "/api/v1/organs?limit=200", None, None).await.json();
    assert_eq!(organs["items"].as_array().unwrap().len(), 17);
    let areas = app.api("GET", "/api/v1/areas?limit=200", None, None).await.json();
    assert!(areas["items"].as_array().unwrap().iter().any(|a| a["name"] == "相州镇" && a["level"] == "township"));
}
demo_test!(lists_page_with_a_cursor);

async fn malformed_input_gets_a_chinese_4xx(app: TestApp) {
    let admin = app.token("admin", Scope::Write).await;
    let send = |body: &'static str, ct: &'static str| {
        Request::post("/api/v1/accounts")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let r = app.send(send("{not json", "application/json")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["detail"], "JSON 格式错误");
    let r = app.send(send("{}", "text/plain")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["detail"].as_str().unwrap().contains("application/json"));
    let r = app.send(send("{\"username\": 5}", "application/json")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Over the body limit: 413 with a Chinese detail.
    let big = "x".repeat(app.state.config.body_limit_bytes + 10);
    let req = Request::post("/api/v1/accounts")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(big))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.json()["detail"].as_str().unwrap().contains("大小限制"));
    // Unknown routes and methods.
    assert_eq!(app.api("GET", "/api/v1/nothing", None, None).await.json()["status"], 404);
    let r = app.api("DELETE", "/api/v1/me", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json()["detail"], "不支持此请求方法");
    // Hostile path parameters are a plain 404.
    for p in ["/api/v1/accounts/-1", "/api/v1/accounts/1%27%20OR%201=1", "/api/v1/accounts/99999999999999999999999"] {
        assert_eq!(app.api("GET", p, Some(&admin), None).await.status, StatusCode::NOT_FOUND, "{p}");
    }
}
demo_test!(malformed_input_gets_a_chinese_4xx);

async fn openapi_document_lists_every_routed_operation(app: TestApp) {
    let admin = app.token("admin", Scope::Write).await;
    let doc = app.api("GET", "/api/v1/openapi.json", None, None).await.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for p in ["/api/v1/me", "/api/v1/accounts", "/api/v1/accounts/{id}", "/api/v1/organs", "/api/v1/areas"] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    let me_schema =
        &doc["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(me_schema, "#/components/schemas/Me");
    let roles = &doc["components"]["schemas"]["Role"]["enum"];
    assert_eq!(roles, &serde_json::json!(["admin", "staff", "leader", "deputy", "unit", "keeper"]));
    // Every documented operation is routed (no 404/405 from the router itself).
    let operations: Vec<_> = renda::modules::MODULES.iter().flat_map(|m| m.operations.iter()).collect();
    assert!(operations.len() >= 14);
    // An opinion to track, so that paths naming a tracking number have one.
    let station = renda::db::scalar_i64(app.db(), "SELECT min(id) FROM stations", vec![]).await.unwrap();
    let receipt = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(serde_json::json!({"content": "路口信号灯时间太短，老人过不去。", "station_id": station})),
        )
        .await
        .json();
    let (no, code) = (receipt["tracking_no"].as_str().unwrap(), receipt["query_code"].as_str().unwrap());
    // … and a booking, for the paths of the appointments.
    let cal = renda::calendar::load(app.db()).await.unwrap();
    let keeper_station =
        renda::db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![])
            .await
            .unwrap();
    let slots = renda::appointments::service::open_slots(app.db(), &cal, Some(keeper_station), None, renda::db::now())
        .await
        .unwrap();
    let slot = slots.iter().find(|s| !s.full()).expect("an open slot");
    let booked = app
        .api(
            "POST",
            "/api/v1/appointments",
            None,
            Some(serde_json::json!({"slot_id": slot.slot.id, "topic": "路口信号灯", "name": "张三",
                                    "phone": "13805361111", "consent": true})),
        )
        .await
        .json();
    let booking = (booked["booking_no"].as_str().unwrap(), booked["query_code"].as_str().unwrap());
    for op in operations {
        // A server-sent event stream does not end: `meetings` tests read it with a deadline.
        if op.path.ends_with("/events") {
            continue;
        }
        let (no, code) = if op.path.starts_with("/api/v1/appointments/") { booking } else { (no, code) };
        let mut path = op.path.replace("{id}", "1").replace("{step}", "accept").replace("{no}", no);
        if op.method == "get" && path.contains("/track/") {
            path = format!("{path}?code={code}");
        }
        let body = if op.request.is_some() { Some(serde_json::json!({})) } else { None };
        let r = app.api(&op.method.to_uppercase(), &path, Some(&admin), body).await;
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{} {}", op.method, op.path);
        assert_ne!(r.status, StatusCode::NOT_FOUND, "{} {} routed", op.method, op.path);
    }
}
demo_test!(openapi_document_lists_every_routed_operation);

/// The document validates against the official OpenAPI 3.0 JSON Schema (shipped as a fixture).
async fn openapi_document_is_valid_openapi_3_0(app: TestApp) {
    let doc = app.api("GET", "/api/v1/openapi.json", None, None).await.json();
    let schema: serde_json::Value = serde_json::from_str(include_str!("../fixtures/openapi-3.0-schema.json")).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the official schema compiles");
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "OpenAPI 3.0 violations:\n{}", errors.join("\n"));
    // `true` as a schema is 3.1 only: none anywhere.
    fn no_bool_schema(v: &serde_json::Value, at: &str) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "schema" || k == "items" {
                        assert!(!x.is_boolean(), "boolean schema at {at}/{k}");
                    }
                    no_bool_schema(x, &format!("{at}/{k}"));
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| no_bool_schema(x, at)),
            _ => {}
        }
    }
    no_bool_schema(&doc, "");
}
demo_test!(openapi_document_is_valid_openapi_3_0);

/// Issue 18: the document says what the handlers check — problem statuses with an optional
/// `errors`, typed query parameters with ranges and enums, the text rule on what is sent —
/// and the handlers refuse what the document excludes (values they used to clamp or ignore).
async fn the_document_and_the_handlers_agree(app: TestApp) {
    let doc = app.api("GET", "/api/v1/openapi.json", None, None).await.json();
    let problem = &doc["components"]["schemas"]["Problem"];
    assert!(!problem["required"].as_array().unwrap().iter().any(|r| r == "errors"), "errors is optional");
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "403", "404", "422", "429"] {
                let r = &responses.get(status).unwrap_or_else(|| panic!("{method} {path} documents {status}"));
                assert_eq!(
                    r["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem",
                    "{method} {path} {status}"
                );
            }
            if op.get("security").is_none() {
                assert!(responses.contains_key("401"), "{method} {path} documents 401");
            }
            if method != "get" {
                assert!(responses.contains_key("409"), "{method} {path} documents 409");
            }
        }
    }
    let param = |path: &str, method: &str, name: &str| -> serde_json::Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} ?{name}"))["schema"]
            .clone()
    };
    assert_eq!(
        param("/api/v1/accounts", "get", "role")["enum"],
        serde_json::json!(["admin", "staff", "leader", "deputy", "unit", "keeper"])
    );
    assert_eq!(param("/api/v1/accounts", "get", "organ")["type"], "integer");
    assert_eq!(param("/api/v1/accounts", "get", "limit")["maximum"], 200);
    assert_eq!(param("/api/v1/opinions", "get", "state")["enum"][0], "held");
    assert_eq!(param("/api/v1/opinions", "get", "offset")["maximum"], 1_000_000);
    assert_eq!(param("/api/v1/public/opinions", "get", "limit")["maximum"], 100);
    assert_eq!(param("/api/v1/stations/nearest", "get", "limit")["maximum"], 50);
    assert_eq!(param("/api/v1/stations/{id}/schedule", "get", "from")["format"], "date");
    assert_eq!(param("/api/v1/deputies", "get", "level")["enum"][0], "national");
    let lat = doc["paths"]["/api/v1/stations/nearest"]["get"]["parameters"][0].clone();
    assert_eq!((lat["name"].as_str(), lat["required"].as_bool()), (Some("lat"), Some(true)));
    // Enums of bodies come from the typed enums; strings sent carry the text rule, answers not.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["UnitIn"]["properties"]["role"]["$ref"], "#/components/schemas/UnitRole");
    let content = &schemas["NewOpinion"]["properties"]["content"]["pattern"];
    assert!(content.as_str().unwrap().starts_with("^[^\\u0000-"), "{content}");
    assert!(!content.as_str().unwrap().contains("\\u000A"), "content may hold line breaks");
    assert!(schemas["NewOpinion"]["properties"]["title"]["pattern"].as_str().unwrap().contains("\\u000A"));
    assert_eq!(schemas["NewOpinion"]["additionalProperties"], false);
    assert!(schemas["Problem"]["properties"]["detail"].get("pattern").is_none(), "answers are not patterned");
    let step_answer = &doc["paths"]["/api/v1/opinions/{id}/{step}"]["post"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["anyOf"];
    assert_eq!(step_answer.as_array().map(Vec::len), Some(3), "step, publish and unpublish answers");

    // What the document excludes, the handlers refuse with a Chinese 422 (or 400 for a type).
    let staff = app.token("staff", Scope::Read).await;
    for bad in [
        "/api/v1/opinions?limit=0",
        "/api/v1/opinions?limit=201",
        "/api/v1/opinions?offset=-1",
        "/api/v1/opinions?overdue=maybe",
        "/api/v1/opinions?state=",
        "/api/v1/appointments?limit=500",
        "/api/v1/public/opinions?limit=101",
        "/api/v1/accounts?organ=0",
        "/api/v1/accounts?role=",
        "/api/v1/areas?parent=-3",
        "/api/v1/organs?limit=",
        "/api/v1/deputies?organ=",
        "/api/v1/deputies?organ=%2B5",
        "/api/v1/stations/nearest?lat=36&lng=119&limit=",
        "/api/v1/receptions?station=abc",
        "/api/v1/receptions?month=",
    ] {
        let r = app.api("GET", bad, Some(&staff), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
        assert!(
            r.json()["detail"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "Chinese detail for {bad}"
        );
    }
    for good in ["/api/v1/opinions?limit=200&offset=0&overdue=false", "/api/v1/public/opinions?limit=100"] {
        assert_eq!(app.api("GET", good, Some(&staff), None).await.status, StatusCode::OK, "{good}");
    }
}
demo_test!(the_document_and_the_handlers_agree);

/// A JSON body read once the caller is entitled (`strict`) is refused in Chinese, naming the
/// field, never with serde's English text.
#[test]
fn a_body_the_parser_refuses_is_answered_in_chinese() {
    #[derive(serde::Deserialize, Default, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Paper {
        subject: i64,
        marks: Vec<String>,
    }
    let cases = [
        (serde_json::json!({"subject": 1, "marks": [], "extra": 2}), "不认识的字段 extra"),
        (serde_json::json!({"marks": []}), "缺少必填字段 subject"),
        (serde_json::json!({"subject": "一", "marks": []}), "字段类型不正确"),
    ];
    for (body, want) in cases {
        let e = renda::app::extract::strict::<Paper>(body).unwrap_err();
        let text = format!("{e:?}");
        assert!(text.contains(want), "{want}: {text}");
        assert!(!text.contains('`') && !text.contains("expected") && !text.contains("unknown"), "{text}");
    }
}
