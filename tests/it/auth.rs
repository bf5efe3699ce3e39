//! PLAT-6: sign-in, throttling and lockout, CSRF, sessions, API tokens and scopes, TOTP.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};

use crate::demo_test;
use crate::support::{PASSWORD, TestApp};

async fn every_demo_role_signs_in(app: TestApp) {
    for a in renda::demo::ACCOUNTS {
        let mut b = app.login(a.username).await;
        let home = b.get("/console").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains(a.display_name), "{} greeted by name", a.username);
        let me = b.api("GET", "/api/v1/me", serde_json::json!(null), false).await.json();
        assert_eq!(me["username"], a.username);
        assert_eq!(me["roles"], serde_json::json!([a.role.as_str()]));
        assert_eq!(me["organ"]["code"].as_str().unwrap().len(), if a.role == Role::Keeper { 9 } else { 6 });
        // The side menu follows the role: only the admin gets 审计日志, admin and staff get 账号.
        let menu = home.texts(".sidemenu a");
        assert_eq!(menu.contains(&"审计日志".to_string()), a.role == Role::Admin, "{menu:?}");
        assert_eq!(menu.contains(&"账号".to_string()), matches!(a.role, Role::Admin | Role::Staff), "{menu:?}");
        // Sign out ends the session.
        let out = b.post("/logout", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(b.get("/console").await.status, StatusCode::SEE_OTHER, "signed out");
    }
    let audit =
        renda::db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action IN ('login', 'logout')", vec![])
            .await
            .unwrap();
    assert_eq!(audit, 2 * renda::demo::ACCOUNTS.len() as i64, "one sign-in and one sign-out each");
}
demo_test!(every_demo_role_signs_in);

async fn wrong_password_locks_the_account_for_a_while(app: TestApp) {
    let mut b = app.browser().await;
    for i in 0..4 {
        let r = b.post("/login", &[("username", "staff"), ("password", "wrong-pass1")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(r.body.contains("用户名或密码不正确"));
    }
    let r = b.post("/login", &[("username", "staff"), ("password", "wrong-pass1")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("临时锁定"), "{}", r.body);
    // Even the right password is refused while locked.
    let r = b.post("/login", &[("username", "staff"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Unknown users get the same answer as a wrong password (no enumeration).
    let r = b.post("/login", &[("username", "nobody"), ("password", "whatever1")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("用户名或密码不正确"));
    let failed =
        renda::db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'login_failed'", vec![])
            .await
            .unwrap();
    assert_eq!(failed, 7);
    // Other accounts are unaffected; after the lock expires the account signs in again.
    app.login("admin").await;
    renda::db::exec(app.db(), "UPDATE accounts SET locked_until = 1 WHERE username = 'staff'", vec![]).await.unwrap();
    app.login("staff").await;
}
demo_test!(wrong_password_locks_the_account_for_a_while);

async fn many_failures_from_one_address_are_throttled(app: TestApp) {
    let mut b = app.browser().await;
    let mut last = StatusCode::OK;
    for i in 0..25 {
        last = b.post("/login", &[("username", &format!("ghost{i}")), ("password", "x1234567")]).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "address throttled after 20 failures");
}
demo_test!(many_failures_from_one_address_are_throttled);

async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    let mut b = app.login("admin").await;
    let r = b.post_raw("/console/admin/areas", "code=370782999000&name=测试&level=community").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("CSRF"), "{}", r.body);
    let forged = b.post_raw("/console/admin/areas", "code=370782999000&name=x&level=community&_csrf=00.00").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A token in the address is not a token: it would be kept in logs, history and Referer.
    let csrf = serde_urlencoded::to_string([("_csrf", b.csrf())]).unwrap();
    let in_query =
        b.post_raw(&format!("/console/admin/areas?{csrf}"), "code=370782999000&name=x&level=community").await;
    assert_eq!(in_query.status, StatusCode::FORBIDDEN);
    // The session cookie on the API: unsafe methods need the header too.
    let body = serde_json::json!({"username": "x1x", "display_name": "某", "password": "abc12345", "organ_id": 1, "roles": ["staff"]});
    assert_eq!(b.api("POST", "/api/v1/accounts", body.clone(), false).await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.api("POST", "/api/v1/accounts", body, true).await.status, StatusCode::CREATED);
    // Nothing was written by the refused forms.
    assert_eq!(
        renda::db::scalar_i64(app.db(), "SELECT count(*) FROM areas WHERE code = '370782999000'", vec![])
            .await
            .unwrap(),
        0
    );
}
demo_test!(forms_without_the_csrf_token_are_refused);

async fn session_cookie_attributes(app: TestApp) {
    let mut b = app.browser().await;
    let r = b.post("/login", &[("username", "admin"), ("password", PASSWORD)]).await;
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("renda_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests");
    // An open redirect through ?next= is not followed.
    let mut b = app.browser().await;
    let r = b.post("/login", &[("username", "admin"), ("password", PASSWORD), ("next", "//evil.example/")]).await;
    assert_eq!(r.header("location"), Some("/console"));
}
demo_test!(session_cookie_attributes);

async fn api_tokens_scope_and_revocation(app: TestApp) {
    let read = app.token("admin", Scope::Read).await;
    let write = app.token("admin", Scope::Write).await;
    let me = app.api("GET", "/api/v1/me", Some(&read), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["token_scope"], "read");
    let body = serde_json::json!({"username": "hotline", "display_name": "热线对接", "password": "abc12345", "organ_id": 1, "roles": ["staff"]});
    let r = app.api("POST", "/api/v1/accounts", Some(&read), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "read token cannot write");
    let r = app.api("POST", "/api/v1/accounts", Some(&write), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "bearer needs no CSRF: {}", r.body);
    // Stored only as a hash.
    let clear = renda::db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM api_tokens WHERE token_hash = $1",
        vec![write.clone().into()],
    )
    .await
    .unwrap();
    assert_eq!(clear, 0);
    // Revoked through the account page: then 401.
    let mut b = app.login("admin").await;
    let ids = renda::db::query_rows(app.db(), "SELECT id FROM api_tokens ORDER BY id", vec![]).await.unwrap();
    let write_id: i64 = ids[1].try_get_by_index(0).unwrap();
    let r = b.post(&format!("/console/account/tokens/{write_id}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.api("GET", "/api/v1/me", Some(&write), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["detail"], "请先登录");
    // Another account cannot revoke my token.
    let staff_token_id = {
        app.token("staff", Scope::Read).await;
        let rows = renda::db::query_rows(app.db(), "SELECT max(id) FROM api_tokens", vec![]).await.unwrap();
        rows[0].try_get_by_index::<i64>(0).unwrap()
    };
    assert_eq!(
        b.post(&format!("/console/account/tokens/{staff_token_id}/revoke"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let events = renda::db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action IN ('token_create', 'token_revoke')",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(events, 4);
}
demo_test!(api_tokens_scope_and_revocation);

async fn a_token_created_on_the_page_is_shown_once(app: TestApp) {
    let mut b = app.login("staff").await;
    let r = b.post("/console/account/tokens", &[("name", "12345 热线对接"), ("scope", "read")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let token = r.texts("#new-token")[0].clone();
    assert!(token.starts_with("rnd_"));
    assert_eq!(app.api("GET", "/api/v1/me", Some(&token), None).await.json()["username"], "staff");
    let again = b.get("/console/account").await;
    assert!(!again.body.contains(&token), "shown only once");
    assert!(again.body.contains("12345 热线对接"));
    let empty = b.post("/console/account/tokens", &[("name", " "), ("scope", "read")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("请填写令牌用途"));
}
demo_test!(a_token_created_on_the_page_is_shown_once);

async fn totp_second_factor(app: TestApp) {
    let mut b = app.login("staff").await;
    let page = b.get("/console/account/totp").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg"), "QR code of the otpauth URI");
    let secret = page.texts("figcaption code")[0].clone();
    let bad = b.post("/console/account/totp", &[("code", "000000")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = chrono::Utc::now().timestamp();
    let code = renda::auth::totp::code_at(&secret, now).unwrap();
    assert_eq!(b.post("/console/account/totp", &[("code", &code)]).await.status, StatusCode::SEE_OTHER);
    // The secret is stored encrypted.
    let rows = renda::db::query_rows(app.db(), "SELECT totp_secret_enc FROM accounts WHERE username = 'staff'", vec![])
        .await
        .unwrap();
    let stored: String = rows[0].try_get_by_index(0).unwrap();
    assert!(!stored.contains(&secret));
    // Next sign-in asks for the code; the password alone is not enough.
    let mut c = app.browser().await;
    let r = c.post("/login", &[("username", "staff"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("动态码"));
    let r = c.post("/login", &[("username", "staff"), ("password", PASSWORD), ("totp", "123456")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The code that switched two-step sign-in on is spent; the authenticator's next code
    // (one 30-second step on, within the accepted clock drift) signs in.
    let used = renda::auth::totp::code_at(&secret, now).unwrap();
    let r = c.post("/login", &[("username", "staff"), ("password", PASSWORD), ("totp", &used)]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the enabling code is used once");
    let code = renda::auth::totp::code_at(&secret, now + 30).unwrap();
    let r = c.post("/login", &[("username", "staff"), ("password", PASSWORD), ("totp", &code)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
demo_test!(totp_second_factor);

async fn password_change_and_admin_reset(app: TestApp) {
    let mut b = app.login("deputy").await;
    let r = b
        .post(
            "/console/account/password",
            &[("current_password", "wrong"), ("new_password", "short"), ("confirm_password", "other")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.texts(".field-error").len(), 3, "one message per field");
    let r = b
        .post(
            "/console/account/password",
            &[("current_password", PASSWORD), ("new_password", "newpass2026"), ("confirm_password", "newpass2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut c = app.browser().await;
    let r = c.post("/login", &[("username", "deputy"), ("password", "newpass2026")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The admin resets it; the deputy's sessions end.
    let mut admin = app.login("admin").await;
    let id: i64 =
        renda::db::scalar_i64(app.db(), "SELECT id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let r =
        admin.post(&format!("/console/admin/accounts/{id}/reset-password"), &[("new_password", "reset2026x")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/console").await.status, StatusCode::SEE_OTHER, "old session ended");
    let page = admin.get(&format!("/console/admin/accounts/{id}")).await;
    assert!(page.texts(".timeline li").iter().any(|t| t.contains("重置密码")), "history shows the reset");
}
demo_test!(password_change_and_admin_reset);
