//! Finding 1: open redirect after sign-in, and control characters in URLs and headers.

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};

use crate::demo_test;
use crate::support::{PASSWORD, TestApp};

/// `next` values that are not a path on this site, as a form field would carry them.
const HOSTILE_NEXT: &[&str] = &[
    "/\t/evil.example",
    "/%09/evil.example",
    "/\r/evil.example",
    "/%0d/evil.example",
    "/\n/evil.example",
    "/%0a/evil.example",
    "/%0d%0aSet-Cookie:%20renda_session=x",
    "//evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/\\evil.example",
    "/%5Cevil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "HTTPS:evil.example",
    "javascript:alert(1)",
    " /console",
    "/console\u{202e}lmth.exe",
    "/console%E2%80%AE",
    "/%00",
    "/..//evil.example",
    "/console?x=%0d%0aLocation:%20//evil.example",
];

async fn sign_in_never_redirects_off_site(app: TestApp) {
    for next in HOSTILE_NEXT {
        let mut b = app.browser().await;
        let r = b.post("/login", &[("username", "admin"), ("password", PASSWORD), ("next", next)]).await;
        // A form field holding control or direction characters is refused whole by the
        // platform's text rule (422, nobody signed in); any other hostile target falls back
        // to the console.
        if renda::app::text::check(next, false).is_err() {
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "next={next:?}");
            assert_eq!(r.header("location"), None, "next={next:?}");
            continue;
        }
        assert_eq!(r.status, StatusCode::SEE_OTHER, "next={next:?}: {}", r.body);
        assert_eq!(r.header("location"), Some("/console"), "next={next:?}");
    }
    // A path on this site is followed, re-encoded as ASCII (it used to go out as raw UTF-8).
    let mut b = app.browser().await;
    let r = b
        .post("/login", &[("username", "admin"), ("password", PASSWORD), ("next", "/console/registry/deputies?q=张")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/console/registry/deputies?q=%E5%BC%A0"));
    // Signed in, the sign-in page sends one on, to the same safe targets only.
    for next in ["/%2509/evil.example", "%2F%2Fevil.example", "/%255Cevil.example", "https:%2F%2Fevil.example"] {
        let r = b.get(&format!("/login?next={next}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "next={next}: {}", r.body);
        assert_eq!(r.header("location"), Some("/console"), "next={next}");
    }
    let r = b.get("/login?next=%2Fconsole%2Faccount").await;
    assert_eq!(r.header("location"), Some("/console/account"));
}
demo_test!(sign_in_never_redirects_off_site);

async fn the_sign_in_form_carries_only_a_safe_next(app: TestApp) {
    let mut b = app.browser().await;
    let r = b.get("/login?next=%2F%255C%255Cevil.example").await;
    assert_eq!(r.status, StatusCode::OK);
    let sel = scraper::Selector::parse("input[name=next]").unwrap();
    let html = r.html();
    let value = html.select(&sel).next().and_then(|e| e.value().attr("value")).unwrap().to_string();
    assert_eq!(value, "/console");
    // A page that needs sign-in sends one to /login with next set to that page, which is followed.
    let r = b.get("/console/account?tab=1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to_login = r.header("location").unwrap().to_string();
    assert!(to_login.starts_with("/login?next="), "{to_login}");
    let page = b.get(&to_login).await;
    let html = page.html();
    let value = html.select(&sel).next().and_then(|e| e.value().attr("value")).unwrap().to_string();
    assert_eq!(value, "/console/account?tab=1");
    let r = b.post("/login", &[("username", "staff"), ("password", PASSWORD), ("next", &value)]).await;
    assert_eq!(r.header("location"), Some("/console/account?tab=1"));
}
demo_test!(the_sign_in_form_carries_only_a_safe_next);

async fn control_characters_in_urls_are_a_400(app: TestApp) {
    let mut b = app.login("admin").await;
    for url in [
        "/login?next=/%0d/evil.example",
        "/login?next=/%0a/evil.example",
        "/login?next=/%09/evil.example",
        "/find?q=%00",
        "/find?q=%1b%5B31m",
        "/find?q=%E2%80%AE",
        "/find?q=%C2%9B",
        "/%0d%0aSet-Cookie:x=1",
        "/d/%00",
        "/o/%1b/find",
        "/console/registry/deputies?q=%7F",
        "/console/registry/deputies/%0a",
    ] {
        let r = b.get(url).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
        assert!(r.body.contains("控制字符"), "{url}: a Chinese message: {}", r.body);
        assert!(r.header("location").is_none(), "{url}");
    }
    // Under /api the same refusal is a problem document.
    let r = app.api("GET", "/api/v1/deputies?q=%00", None, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert!(r.json()["detail"].as_str().unwrap().contains("控制字符"));
    // Percent signs that decode to nothing dangerous are fine.
    assert_eq!(b.get("/find?q=%E5%BC%A0+%25").await.status, StatusCode::OK);
}
demo_test!(control_characters_in_urls_are_a_400);

async fn control_characters_in_headers_are_a_400(app: TestApp) {
    for (name, value) in [
        (header::USER_AGENT, &b"Mozilla\t5.0"[..]),
        (header::ACCEPT_LANGUAGE, "zh-CN\u{85}".as_bytes()),
        (header::REFERER, &b"http://localhost/\tx"[..]),
        (header::COOKIE, &b"renda_flash=a\tb"[..]),
    ] {
        let req = Request::get("/find").header(name.clone(), HeaderValue::from_bytes(value).unwrap());
        let r = app.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.body);
        assert!(r.body.contains("控制字符"), "{}", r.body);
    }
    // A flash message that decodes to control or bidi characters shows without them.
    let req = Request::get("/login").header(header::COOKIE, "renda_flash=%E5%B7%B2%0D%0A%E2%80%AE%E5%AD%98");
    let r = app.send(req.body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("已存"), "{}", r.body);
    assert!(!r.body.contains('\u{202e}'));
}
demo_test!(control_characters_in_headers_are_a_400);
