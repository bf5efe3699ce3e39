//! Finding 2: sign-in throttling — the address budget, account enumeration, TOTP replay.

use axum::http::StatusCode;

use crate::demo_test;
use crate::support::{Browser, PASSWORD, Resp, TestApp};

async fn attempt(b: &mut Browser<'_>, username: &str, password: &str) -> Resp {
    b.post("/login", &[("username", username), ("password", password)]).await
}

fn alert(r: &Resp) -> String {
    r.texts("[role=alert]").join(" ")
}

/// (a) One valid account does not buy an attacker fresh guesses at others.
async fn a_success_does_not_reset_the_address_budget(app: TestApp) {
    let mut b = app.browser().await;
    // 20 failures from one address lock it (4 × login_max_failures); spread over names so
    // that no single name locks first.
    for i in 0..15 {
        let r = attempt(&mut b, &format!("ghost{i}"), "wrong-pass1").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The attacker's own valid account signs in…
    let r = attempt(&mut b, "keeper", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // …and the address still has only five failures left.
    for i in 15..19 {
        let r = attempt(&mut b, &format!("ghost{i}"), "wrong-pass1").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = attempt(&mut b, "ghost19", "wrong-pass1").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the 20th failure locks the address");
    // While the address is locked even a right password is refused.
    assert_eq!(attempt(&mut b, "admin", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    // A success still clears the failures of its own account.
    renda::db::exec(app.db(), "DELETE FROM login_throttle", vec![]).await.unwrap();
    for _ in 0..4 {
        assert_eq!(attempt(&mut b, "staff", "wrong-pass1").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt(&mut b, "staff", PASSWORD).await.status, StatusCode::SEE_OTHER);
    assert_eq!(attempt(&mut b, "staff", "wrong-pass1").await.status, StatusCode::UNAUTHORIZED, "count restarted");
}
demo_test!(a_success_does_not_reset_the_address_budget);

/// (b) An unknown name gets exactly the answers an existing one gets, attempt by attempt.
async fn unknown_names_are_throttled_like_accounts(app: TestApp) {
    let mut answers = Vec::new();
    for name in ["staff", "nobody-here", "disabled-one"] {
        if name == "disabled-one" {
            // A disabled account counts as unknown.
            let organ = app.organ_id("370782").await;
            app.add_account(name, organ, &[renda::auth::Role::Staff]).await;
            renda::db::exec(
                app.db(),
                "UPDATE accounts SET disabled = $1 WHERE username = $2",
                vec![true.into(), name.into()],
            )
            .await
            .unwrap();
        }
        // A fresh browser each time, and the address budget cleared, so only the name counts.
        renda::db::exec(app.db(), "DELETE FROM login_throttle WHERE key NOT LIKE 'user:%'", vec![]).await.unwrap();
        let mut b = app.browser().await;
        let mut seq = Vec::new();
        for _ in 0..6 {
            let r = attempt(&mut b, name, "wrong-pass1").await;
            seq.push((r.status, alert(&r)));
        }
        // Even the right password is refused once locked (for the unknown name, any password).
        let r = attempt(&mut b, name, PASSWORD).await;
        seq.push((r.status, alert(&r)));
        answers.push((name, seq));
    }
    let (_, staff) = &answers[0];
    assert_eq!(staff[0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(staff[4].0, StatusCode::TOO_MANY_REQUESTS, "the fifth failure locks");
    assert!(staff[4].1.contains("临时锁定"), "{:?}", staff[4]);
    for (name, seq) in &answers[1..] {
        assert_eq!(seq, staff, "{name} answered differently from an existing account");
    }
    // Other names from the same address are unaffected by those locks.
    renda::db::exec(app.db(), "DELETE FROM login_throttle WHERE key NOT LIKE 'user:%'", vec![]).await.unwrap();
    let mut b = app.browser().await;
    assert_eq!(attempt(&mut b, "nobody-else", "wrong-pass1").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(&mut b, "admin", PASSWORD).await.status, StatusCode::SEE_OTHER);
    // Surrounding spaces do not make a fresh name.
    assert_eq!(attempt(&mut b, " nobody-here ", "wrong-pass1").await.status, StatusCode::TOO_MANY_REQUESTS);
    // The lock of an unknown name ends like an account's.
    renda::db::exec(app.db(), "UPDATE login_throttle SET locked_until = 1 WHERE key LIKE 'user:%'", vec![])
        .await
        .unwrap();
    renda::db::exec(app.db(), "DELETE FROM login_throttle WHERE key NOT LIKE 'user:%'", vec![]).await.unwrap();
    assert_eq!(attempt(&mut b, "nobody-here", "wrong-pass1").await.status, StatusCode::UNAUTHORIZED);
    // Housekeeping removes rows that hold nothing back (a name whose lock ran out with no
    // failures since, an address idle for over a day), and keeps the others.
    renda::db::exec(
        app.db(),
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ('user:spent', 0, 1, 1), ('idle-address', 7, 1, 1)",
        vec![],
    )
    .await
    .unwrap();
    let db = app.db();
    let count = |sql: &'static str| async move { renda::db::scalar_i64(db, sql, vec![]).await.unwrap() };
    let before = count("SELECT count(*) FROM login_throttle").await;
    renda::auth::purge_expired_sessions(&app.state.writer).await.unwrap();
    // Gone: the two rows above, and the disabled account's name, whose lock ended above.
    assert_eq!(count("SELECT count(*) FROM login_throttle").await, before - 3);
    // Kept: names with failures (nobody-here, nobody-else) and the live address.
    assert_eq!(count("SELECT count(*) FROM login_throttle WHERE key LIKE 'user:%' AND failures = 1").await, 2);
    assert_eq!(count("SELECT count(*) FROM login_throttle WHERE key NOT LIKE 'user:%'").await, 1);
}
demo_test!(unknown_names_are_throttled_like_accounts);

/// (b) Timing: an unknown name spends an Argon2 verification too (measured loosely: it
/// must not answer in a small fraction of the time a wrong password takes).
async fn unknown_names_take_as_long_as_wrong_passwords(app: TestApp) {
    // Production-like cost for this measurement, so the hash dominates the request.
    let cost = renda::app::config::PasswordCost { memory_kib: 4096, iterations: 3 };
    let hash = renda::auth::password::hash(PASSWORD, cost);
    renda::db::exec(app.db(), "UPDATE accounts SET password_hash = $1 WHERE username = 'staff'", vec![hash.into()])
        .await
        .unwrap();
    let mut config = (*app.state.config).clone();
    config.password_cost = cost;
    config.login_max_failures = 100;
    // Interleaved, best of five each, so a burst of load on the machine hits both alike.
    let once = |name: &'static str, i: usize| {
        let config = config.clone();
        let db = app.db().clone();
        let writer = app.state.writer.clone();
        async move {
            let started = std::time::Instant::now();
            let r = renda::auth::login(&db, &writer, &config, name, "wrong-pass1", None, &format!("10.0.0.{i}")).await;
            assert_eq!(r.unwrap(), Err(renda::auth::LoginError::BadCredentials));
            started.elapsed()
        }
    };
    let (mut known, mut unknown) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for i in 0..5 {
        known = known.min(once("staff", i).await);
        unknown = unknown.min(once("nobody-here", i).await);
    }
    assert!(unknown * 3 > known, "unknown {unknown:?} vs known {known:?}");
}
demo_test!(unknown_names_take_as_long_as_wrong_passwords);

/// (c) A TOTP code signs in once; the same code (or an older one) is refused after that.
async fn a_totp_code_is_accepted_once(app: TestApp) {
    let mut b = app.login("staff").await;
    let page = b.get("/console/account/totp").await;
    let secret = page.texts("figcaption code")[0].clone();
    let now = chrono::Utc::now().timestamp();
    let code = renda::auth::totp::code_at(&secret, now).unwrap();
    assert_eq!(b.post("/console/account/totp", &[("code", &code)]).await.status, StatusCode::SEE_OTHER);

    let sign_in = |code: String| {
        let app = &app;
        async move {
            let mut c = app.browser().await;
            c.post("/login", &[("username", "staff"), ("password", PASSWORD), ("totp", &code)]).await
        }
    };
    // Use a code of the next step (accepted for clock drift), so the step is fresh.
    let next = renda::auth::totp::code_at(&secret, now + 30).unwrap();
    let first = sign_in(next.clone()).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let replay = sign_in(next).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.body);
    assert!(alert(&replay).contains("动态码已经用过"), "{}", alert(&replay));
    assert!(!replay.texts("input#totp").is_empty(), "the form asks for the next code");
    // An earlier step is refused too, even though it is inside the drift window.
    let earlier = sign_in(renda::auth::totp::code_at(&secret, now).unwrap()).await;
    assert_eq!(earlier.status, StatusCode::UNAUTHORIZED);
    let step: i64 =
        renda::db::scalar_i64(app.db(), "SELECT totp_last_step FROM accounts WHERE username = 'staff'", vec![])
            .await
            .unwrap();
    assert_eq!(step, (now + 30).div_euclid(30));
    // Replays count as failures like any wrong code.
    let failures =
        renda::db::scalar_i64(app.db(), "SELECT failed_logins FROM accounts WHERE username = 'staff'", vec![])
            .await
            .unwrap();
    assert_eq!(failures, 2);
    // Two sign-ins racing with one fresh code: exactly one gets in.
    renda::db::exec(app.db(), "UPDATE accounts SET totp_last_step = 0 WHERE username = 'staff'", vec![]).await.unwrap();
    let code = renda::auth::totp::code_at(&secret, now).unwrap();
    let (x, y) = tokio::join!(sign_in(code.clone()), sign_in(code));
    let wins = [x.status, y.status].iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    assert_eq!(wins, 1, "{} / {}", x.status, y.status);
}
demo_test!(a_totp_code_is_accepted_once);
