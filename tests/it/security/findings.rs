//! The findings of the probe of issue 7, one test each, reproduced through the front door.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};

use crate::demo_test;
use crate::support::{Browser, PASSWORD, TestApp};

async fn count(app: &TestApp, sql: &str) -> i64 {
    renda::db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

async fn account_id(app: &TestApp, username: &str) -> i64 {
    renda::db::scalar_i64(app.db(), "SELECT id FROM accounts WHERE username = $1", vec![username.into()]).await.unwrap()
}

async fn roles(app: &TestApp, username: &str) -> Vec<String> {
    let id = account_id(app, username).await;
    renda::auth::roles_of(app.db(), id).await.unwrap().iter().map(|r| r.as_str().to_string()).collect()
}

/// Finding 1 (critical): anyone signed in could make themselves admin through the API or
/// the console form, and reset their own password without the current one.
async fn nobody_raises_their_own_privileges(app: TestApp) {
    // A unit's write token patches its own roles: refused, nothing changes.
    let token = app.token("unit", Scope::Write).await;
    let unit_id = account_id(&app, "unit").await;
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/accounts/{unit_id}"),
            Some(&token),
            Some(serde_json::json!({"roles": ["admin", "unit"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(roles(&app, "unit").await, ["unit"]);
    assert_eq!(app.api("GET", "/api/v1/accounts", Some(&token), None).await.status, StatusCode::NOT_FOUND);
    // Its own display name it may change.
    let r = app
        .api(
            "PATCH",
            &format!("/api/v1/accounts/{unit_id}"),
            Some(&token),
            Some(serde_json::json!({"display_name": "城管局联络员"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A deputy's browser session through the console form: refused.
    let deputy_id = account_id(&app, "deputy").await;
    let mut b = app.login("deputy").await;
    let r =
        b.post(&format!("/console/admin/accounts/{deputy_id}"), &[("display_name", "代表"), ("roles", "admin")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(roles(&app, "deputy").await, ["deputy"]);
    // Nobody resets their own password through the admin route (not even an admin), and
    // an admin does not change their own roles or disable themselves.
    let r = b
        .post(&format!("/console/admin/accounts/{deputy_id}/reset-password"), &[("new_password", "abc12345xyz")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin_id = account_id(&app, "admin").await;
    let mut a = app.login("admin").await;
    let r =
        a.post(&format!("/console/admin/accounts/{admin_id}/reset-password"), &[("new_password", "abc12345xyz")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r =
        a.post(&format!("/console/admin/accounts/{admin_id}"), &[("display_name", "王建国"), ("roles", "staff")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(roles(&app, "admin").await, ["admin"]);
    // The admin still administers others.
    let r = a
        .post(
            &format!("/console/admin/accounts/{deputy_id}"),
            &[("display_name", "代表"), ("roles", "deputy"), ("roles", "leader")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(roles(&app, "deputy").await, ["leader", "deputy"]);
    // Every refusal is in the audit log.
    assert!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'access_denied'").await >= 5);
}
demo_test!(nobody_raises_their_own_privileges);

/// Finding 3 (high): read-only tokens created write tokens, switched on two-step sign-in
/// and changed passwords. Tokens are now API credentials only, and the scope is enforced in
/// one layer for every unsafe request.
async fn tokens_never_reach_account_security(app: TestApp) {
    let read = app.token("staff", Scope::Read).await;
    let write = app.token("staff", Scope::Write).await;
    let tokens_before = count(&app, "SELECT count(*) FROM api_tokens").await;
    for token in [&read, &write] {
        for (path, body) in [
            ("/console/account/tokens", "name=x&scope=write"),
            ("/console/account/totp", "code=123456"),
            ("/console/account/totp/disable", "password=x"),
            ("/console/account/password", "current_password=x&new_password=abcd1234&confirm_password=abcd1234"),
            ("/console/account/confirm", "password=x"),
        ] {
            let req = axum::http::Request::post(path)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .unwrap();
            let r = app.send(req).await;
            assert!(
                matches!(r.status, StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED | StatusCode::SEE_OTHER),
                "{path} with a token: {}",
                r.status
            );
            if r.status == StatusCode::SEE_OTHER {
                assert!(r.header("location").unwrap().starts_with("/login"));
            }
        }
    }
    assert_eq!(count(&app, "SELECT count(*) FROM api_tokens").await, tokens_before);
    assert_eq!(count(&app, "SELECT count(*) FROM accounts WHERE totp_enabled = TRUE").await, 0);
    // A read token is refused on every unsafe API request before any handler runs.
    for (method, path) in [
        ("POST", "/api/v1/accounts"),
        ("PATCH", "/api/v1/accounts/1"),
        ("DELETE", "/api/v1/me"),
        ("POST", "/api/v1/nowhere"),
    ] {
        let r = app.api(method, path, Some(&read), Some(serde_json::json!({}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert!(r.json()["detail"].as_str().unwrap().contains("只读令牌"));
    }
}
demo_test!(tokens_never_reach_account_security);

/// Account security settings need a password entered within ten minutes.
async fn new_credentials_need_a_recent_password(app: TestApp) {
    let mut b = app.login("staff").await;
    // Fresh from sign-in: a token can be created.
    let r = b.post("/console/account/tokens", &[("name", "对接测试"), ("scope", "read")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("rnd_") || r.html().select(&scraper::Selector::parse("#new-token").unwrap()).next().is_some()
    );
    // Half an hour later the session asks for the password again.
    renda::db::exec(app.db(), "UPDATE sessions SET created_at = created_at - 1800, auth_at = 0", vec![]).await.unwrap();
    let before = count(&app, "SELECT count(*) FROM api_tokens").await;
    let r = b.post("/console/account/tokens", &[("name", "对接测试2"), ("scope", "write")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("确认身份"), "{}", r.body);
    assert!(b.get("/console/account").await.body.contains("/console/account/confirm"));
    assert_eq!(b.get("/console/account/totp").await.status, StatusCode::SEE_OTHER);
    // A wrong password does not confirm; the right one does.
    assert_eq!(
        b.post("/console/account/confirm", &[("password", "wrong-pass1")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(b.post("/console/account/confirm", &[("password", PASSWORD)]).await.status, StatusCode::SEE_OTHER);
    let r = b.post("/console/account/tokens", &[("name", "对接测试2"), ("scope", "write")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(count(&app, "SELECT count(*) FROM api_tokens").await, before + 1);
    // An unknown scope is a form error, not a silent read token.
    let r = b.post("/console/account/tokens", &[("name", "对接测试3"), ("scope", "admin")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Five wrong confirmations end a (possibly stolen) session.
    renda::db::exec(app.db(), "UPDATE sessions SET auth_at = 0, created_at = created_at - 1800", vec![]).await.unwrap();
    for _ in 0..5 {
        b.post("/console/account/confirm", &[("password", "wrong-pass1")]).await;
    }
    assert_eq!(b.get("/console").await.status, StatusCode::SEE_OTHER, "signed out");
}
demo_test!(new_credentials_need_a_recent_password);

/// Finding 5: changing one's password ends the other sessions; tokens stay unless asked.
async fn a_password_change_ends_the_other_sessions(app: TestApp) {
    let mut here = app.login("staff").await;
    let mut elsewhere = app.login("staff").await;
    let token = app.token("staff", Scope::Read).await;
    let form = [("current_password", PASSWORD), ("new_password", "newpass2026"), ("confirm_password", "newpass2026")];
    assert_eq!(here.post("/console/account/password", &form).await.status, StatusCode::SEE_OTHER);
    assert_eq!(here.get("/console").await.status, StatusCode::OK, "this session stays");
    assert_eq!(elsewhere.get("/console").await.status, StatusCode::SEE_OTHER, "the other session ended");
    assert_eq!(app.api("GET", "/api/v1/me", Some(&token), None).await.status, StatusCode::OK, "tokens kept");
    // Asking for it, the tokens end too.
    let form = [
        ("current_password", "newpass2026"),
        ("new_password", "newpass2027"),
        ("confirm_password", "newpass2027"),
        ("revoke_tokens", "on"),
    ];
    assert_eq!(here.post("/console/account/password", &form).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.api("GET", "/api/v1/me", Some(&token), None).await.status, StatusCode::UNAUTHORIZED);
    let summary: String = renda::db::query_rows(
        app.db(),
        "SELECT summary FROM audit_log WHERE action = 'password_change' ORDER BY seq DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert!(summary.contains("吊销 1 个 API 令牌"), "{summary}");
}
demo_test!(a_password_change_ends_the_other_sessions);

/// Finding 4: an admin of a township organ acted outside its subtree.
async fn a_township_admin_stays_in_its_subtree(app: TestApp) {
    let township = app.organ_id("370782001").await;
    app.add_account("town_admin", township, &[Role::Admin]).await;
    let mut b = app.login("town_admin").await;
    let county_area = count(&app, "SELECT id FROM areas WHERE code = '370782'").await;
    let own_area = count(&app, "SELECT area_id FROM organs WHERE code = '370782001'").await;
    let external = count(&app, "SELECT min(id) FROM organs WHERE external = TRUE").await;
    let county = app.organ_id("370782").await;
    let names_before = count(&app, "SELECT count(*) FROM areas WHERE name = '改名'").await;
    // The county's own area: refused.
    let r = b.post(&format!("/console/admin/areas/{county_area}"), &[("name", "改名")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // An external organ (the NPC and the upper congresses): refused.
    let r = b
        .post(&format!("/console/admin/organs/{external}"), &[("name", "改名"), ("short_name", ""), ("phone", "")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A new external organ, a new root organ, an organ beside its own: refused.
    let organ = |code: &'static str, parent: Option<i64>, external: bool| {
        let mut v = vec![
            ("code", code.to_string()),
            ("name", "测试机关".to_string()),
            ("kind", "township_presidium".to_string()),
            ("level", "township".to_string()),
            ("area_id", own_area.to_string()),
        ];
        if let Some(p) = parent {
            v.push(("parent_id", p.to_string()));
        }
        if external {
            v.push(("external", "on".to_string()));
        }
        v
    };
    let organs_before = count(&app, "SELECT count(*) FROM organs").await;
    for (fields, want) in [
        (organ("X1", None, true), StatusCode::FORBIDDEN),
        (organ("X2", None, false), StatusCode::UNPROCESSABLE_ENTITY),
        (organ("X3", Some(county), false), StatusCode::FORBIDDEN),
    ] {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(b.post("/console/admin/organs", &f).await.status, want, "{fields:?}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM organs").await, organs_before);
    // Importing areas is for the installation's top organ.
    let r = b
        .upload(
            "/console/admin/areas/import",
            "file",
            "areas.csv",
            "代码,名称,级别,上级代码\n370782999,测试,township,370782\n".as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT count(*) FROM areas WHERE name = '改名'").await, names_before);
    // Within its subtree it administers: its own township's area and a child organ.
    let r = b.post(&format!("/console/admin/areas/{own_area}"), &[("name", "密州街道")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = organ("370782001901", Some(township), false);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/console/admin/organs", &f).await.status, StatusCode::SEE_OTHER);
    // The county admin administers the external organs.
    let mut a = app.login("admin").await;
    let r = a
        .post(
            &format!("/console/admin/organs/{external}"),
            &[("name", "全国人民代表大会"), ("short_name", ""), ("phone", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
demo_test!(a_township_admin_stays_in_its_subtree);

async fn roster_of(b: &mut Browser<'_>, query: &str) -> (StatusCode, Vec<u8>) {
    let r = b.get(&format!("/console/registry/import/roster{query}")).await;
    (r.status, r.bytes)
}

/// Finding 6: a view-only role downloaded every mobile number and birth date, unaudited.
async fn personal_data_leaves_only_by_permission(app: TestApp) {
    let mut leader = app.login("leader").await;
    let (status, bytes) = roster_of(&mut leader, "").await;
    assert_eq!(status, StatusCode::OK);
    let rows = renda::registry::roster::parse(&bytes).expect("masked roster parses");
    assert!(rows.iter().all(|r| r.mobile.is_none() && r.birth_date.is_none()), "masked");
    assert!(rows.iter().any(|r| r.masked.mobile));
    assert_eq!(roster_of(&mut leader, "?private=full").await.0, StatusCode::FORBIDDEN);
    let audit = count(&app, "SELECT count(*) FROM audit_log WHERE action = 'export'").await;
    assert_eq!(audit, 1, "the masked download is audited too");
    // Staff may, when they ask for it; the download says who, what and how many rows.
    let mut staff = app.login("staff").await;
    let (status, bytes) = roster_of(&mut staff, "?private=full").await;
    assert_eq!(status, StatusCode::OK);
    let rows = renda::registry::roster::parse(&bytes).unwrap();
    assert!(rows.iter().filter_map(|r| r.mobile.as_deref()).any(|m| m.len() == 11 && !m.contains('*')));
    let entry = renda::db::query_rows(
        app.db(),
        "SELECT actor, summary FROM audit_log WHERE action = 'export_personal' ORDER BY seq DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap();
    let (actor, summary): (String, String) =
        (entry[0].try_get_by_index(0).unwrap(), entry[0].try_get_by_index(1).unwrap());
    assert!(actor.starts_with("staff"), "{actor}");
    assert!(summary.contains(&format!("代表名册 {} 行", rows.len())), "{summary}");
    // The deputy list export gives the birth year, not the date.
    let r = staff.get("/console/registry/deputies/export?format=csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("出生年份"));
    assert!(!r.body.lines().skip(1).any(|l| l.split(',').nth(4).is_some_and(|c| c.len() > 4)), "birth year only");
}
demo_test!(personal_data_leaves_only_by_permission);

/// Finding 9: a deputy edited their own official record; NUL and bidi overrides were
/// accepted in names.
async fn a_deputy_edits_the_profile_not_the_facts(app: TestApp) {
    let me = app.login("deputy").await.api("GET", "/api/v1/me", serde_json::json!(null), false).await.json();
    let id = me["deputy_id"].as_i64().unwrap();
    let mut b = app.login("deputy").await;
    let form = b.get(&format!("/console/registry/deputies/{id}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("由人大机关维护"), "the form says the facts are kept by staff");
    let doc = form.html();
    let value = |name: &str| -> String {
        let sel = scraper::Selector::parse(&format!("input[name=\"{name}\"], textarea[name=\"{name}\"]")).unwrap();
        doc.select(&sel)
            .next()
            .map(|e| e.value().attr("value").map(str::to_string).unwrap_or_else(|| e.text().collect()))
            .unwrap_or_default()
    };
    let fields: Vec<(String, String)> = [
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "party",
        "education",
        "occupation",
        "work_unit",
        "township_area_id",
        "expertise",
        "public_contact",
        "bio",
    ]
    .iter()
    .map(|n| (n.to_string(), value(n)))
    .collect();
    let post = |changes: &[(&str, &str)]| {
        let mut f = fields.clone();
        for (k, v) in changes {
            f.iter_mut().find(|(n, _)| n == k).unwrap().1 = v.to_string();
        }
        f
    };
    let profile = post(&[("bio", "扎根基层二十年。\n关注农村饮水。")]);
    let f: Vec<(&str, &str)> = profile.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = b.post(&format!("/console/registry/deputies/{id}"), &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let name_before = renda::registry::persons::person(app.db(), id).await.unwrap().unwrap().name;
    for (k, v) in [("name", "改个名字"), ("birth_date", "1990-01-01"), ("work_unit", "某某公司")] {
        let facts = post(&[(k, v)]);
        let f: Vec<(&str, &str)> = facts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = b.post(&format!("/console/registry/deputies/{id}"), &f).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "deputy changes {k}");
    }
    let after = renda::registry::persons::person(app.db(), id).await.unwrap().unwrap();
    assert_eq!(after.name, name_before);
    assert!(after.bio.contains("农村饮水"));
    // Staff change the facts.
    let mut staff = app.login("staff").await;
    let facts = post(&[("work_unit", "诸城市第一中学教师")]);
    let f: Vec<(&str, &str)> = facts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(staff.post(&format!("/console/registry/deputies/{id}"), &f).await.status, StatusCode::SEE_OTHER);
    // NUL and a right-to-left override in a name are refused with a Chinese message.
    for bad in ["张\u{0}三", "张三\u{202E}", "张\n三"] {
        let facts = post(&[("name", bad)]);
        let f: Vec<(&str, &str)> = facts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = staff.post(&format!("/console/registry/deputies/{id}"), &f).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let r = app
            .api(
                "POST",
                "/api/v1/accounts",
                Some(&app.token("admin", Scope::Write).await),
                Some(serde_json::json!({"username": "u1x", "display_name": bad, "password": "abcd1234", "organ_id": 1, "roles": ["staff"]})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?} via API");
        assert!(r.json()["detail"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
}
demo_test!(a_deputy_edits_the_profile_not_the_facts);

/// With `allowed_hosts` set, a forged `Host` header gets a 400 instead of links built on it;
/// health checks answer for any host.
async fn only_the_allowed_hosts_are_answered(app: TestApp) {
    let mut config = (*app.state.config).clone();
    config.allowed_hosts = vec!["renda.example.gov.cn".into()];
    let state = renda::modules::state(app.db().clone(), config);
    let router = renda::modules::router(state);
    let send = |host: &'static str, path: &'static str| {
        let router = router.clone();
        async move {
            use tower::ServiceExt;
            let req = axum::http::Request::get(path).header("host", host).body(axum::body::Body::empty()).unwrap();
            router.oneshot(req).await.unwrap().status()
        }
    };
    assert_eq!(send("renda.example.gov.cn", "/find").await, StatusCode::OK);
    assert_eq!(send("renda.example.gov.cn:8443", "/find").await, StatusCode::OK);
    assert_eq!(send("evil.example", "/s/1/qr.svg").await, StatusCode::BAD_REQUEST);
    assert_eq!(send("evil.example", "/healthz").await, StatusCode::OK);
}
demo_test!(only_the_allowed_hosts_are_answered);

/// An account acts only for records of its creator's subtree: a township admin cannot give
/// an account the county's deputy, station or handling unit (it could then act for them).
async fn accounts_act_only_for_records_in_the_creators_subtree(app: TestApp) {
    let township = app.organ_id("370782001").await;
    app.add_account("town_admin2", township, &[Role::Admin]).await;
    let town = app.token("town_admin2", Scope::Write).await;
    let county_person =
        count(&app, "SELECT min(p.id) FROM persons p JOIN organs o ON o.id = p.organ_id WHERE o.code = '370782'").await;
    let county_station =
        count(&app, "SELECT min(s.id) FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.code = '370782'")
            .await;
    let county_unit = count(
        &app,
        "SELECT min(u.id) FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE o.code = '370782'",
    )
    .await;
    assert!(county_person > 0 && county_station > 0 && county_unit > 0);
    let before = count(&app, "SELECT count(*) FROM accounts").await;
    for (role, field, id) in [
        ("deputy", "deputy_id", county_person),
        ("keeper", "station_id", county_station),
        ("unit", "unit_id", county_unit),
    ] {
        let mut body = serde_json::json!({
            "username": format!("linked_{role}"), "display_name": "关联测试", "password": "abcd1234x",
            "organ_id": township, "roles": [role]
        });
        body[field] = serde_json::json!(id);
        let r = app.api("POST", "/api/v1/accounts", Some(&town), Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}: {}", r.body);
        assert_eq!(r.json()["errors"][0]["field"], field);
        // The county's admin may.
        body["organ_id"] = serde_json::json!(app.organ_id("370782").await);
        let admin = app.token("admin", Scope::Write).await;
        let r = app.api("POST", "/api/v1/accounts", Some(&admin), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{role}: {}", r.body);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM accounts").await, before + 3);
}
demo_test!(accounts_act_only_for_records_in_the_creators_subtree);

/// Tokens are API credentials only: on console pages a bearer token is no sign-in at all.
async fn tokens_do_not_open_console_pages(app: TestApp) {
    for scope in [Scope::Read, Scope::Write] {
        let token = app.token("admin", scope).await;
        for path in ["/console", "/console/admin/audit", "/console/admin/accounts", "/console/account"] {
            let req = axum::http::Request::get(path)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            let r = app.send(req).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{scope:?} token on {path}");
            assert!(r.header("location").unwrap().starts_with("/login"), "{path}");
        }
        // The same token works on the API.
        assert_eq!(app.api("GET", "/api/v1/me", Some(&token), None).await.status, StatusCode::OK);
    }
}
demo_test!(tokens_do_not_open_console_pages);

/// A township's admin reads the audit log of its own subtree only; the top organ's admin all.
async fn the_audit_log_stays_in_the_admins_subtree(app: TestApp) {
    let township = app.organ_id("370782001").await;
    app.add_account("town_admin", township, &[Role::Admin]).await;
    let county = app.organ_id("370782").await;
    let county_entries = count(&app, &format!("SELECT count(*) FROM audit_log WHERE organ_id = {county}")).await;
    assert!(county_entries > 0, "the demo wrote entries about the county");
    let mut town = app.login("town_admin").await;
    let own = count(
        &app,
        "SELECT count(*) FROM audit_log WHERE organ_id IN (SELECT id FROM organs WHERE path LIKE \
         (SELECT path FROM organs WHERE code = '370782001') || '%')",
    )
    .await;
    let page = town.get("/console/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("#count strong"), vec![own.to_string()], "only its subtree's entries");
    // The chain's status does not tell it how many entries the whole installation has.
    let status = page.texts("p.flash[role=status]").concat();
    assert!(status.contains("审计链完整") && !status.contains("条记录"), "{status}");
    let all_now = count(&app, "SELECT count(*) FROM audit_log").await;
    assert!(!page.body.contains(&format!("共 {all_now} 条")) && !page.body.contains(&format!("共 {} 条", all_now - 1)));
    let mut admin = app.login("admin").await;
    let all = count(&app, "SELECT count(*) FROM audit_log").await;
    let page = admin.get("/console/admin/audit").await;
    assert!(
        page.body.contains(&format!("共 {all} 条")) || page.body.contains(&format!("共 {} 条", all + 1)),
        "{}",
        page.body
    );
}
demo_test!(the_audit_log_stays_in_the_admins_subtree);
