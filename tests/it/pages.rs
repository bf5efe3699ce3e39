//! PLAT-18, PLAT-19, PLAT-24: the console shell and public page as a person meets them.

use axum::http::StatusCode;

use crate::support::TestApp;
use crate::{db_test, demo_test};

async fn pages_are_chinese_and_carry_security_headers(app: TestApp) {
    let mut b = app.login("admin").await;
    for path in [
        "/",
        "/console",
        "/console/inbox",
        "/console/account",
        "/console/admin/organs",
        "/console/admin/areas",
        "/console/admin/accounts",
        "/console/admin/accounts/new",
        "/console/admin/organs/new",
        "/console/admin/audit",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let csp = r.header("content-security-policy").unwrap();
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert!(r.header("referrer-policy").is_some());
        let html = r.html();
        let lang = scraper::Selector::parse("html[lang=zh-CN]").unwrap();
        assert!(html.select(&lang).next().is_some(), "{path} lang");
        // Accessibility basics: one h1, a skip link, every input labelled, no inline script.
        assert_eq!(r.texts("h1").len(), 1, "{path} has one h1");
        assert!(r.body.contains("跳到正文"), "{path} skip link");
        assert!(!r.body.contains("<script>"), "{path} inline script");
        let inputs =
            scraper::Selector::parse("input:not([type=hidden]):not([type=checkbox]), select, textarea").unwrap();
        for input in html.select(&inputs) {
            let id = input.value().attr("id").unwrap_or_else(|| panic!("{path}: control without id: {}", input.html()));
            let label = scraper::Selector::parse(&format!("label[for=\"{id}\"]")).unwrap();
            assert!(html.select(&label).next().is_some(), "{path}: #{id} has no label");
        }
    }
    // Errors, too, are pages in Chinese with the headers.
    let r = b.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("未找到") && r.header("content-security-policy").is_some());
    // Static assets are embedded.
    assert!(b.get("/static/app.css").await.body.contains("--red"));
    assert!(b.get("/static/app.js").await.body.contains("data-confirm"));
}
demo_test!(pages_are_chinese_and_carry_security_headers);

async fn signed_out_visitors_are_sent_to_sign_in(app: TestApp) {
    let mut b = app.browser().await;
    let r = b.get("/console/admin/accounts?role=staff").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/login?next=%2Fconsole%2Fadmin%2Faccounts%3Frole%3Dstaff"));
    let home = b.get("/").await;
    assert!(home.body.contains("诸城市人民代表大会常务委员会"));
    assert!(home.texts(".chips li").contains(&"相州镇人大主席团".to_string()));
}
demo_test!(signed_out_visitors_are_sent_to_sign_in);

async fn admin_manages_organs_areas_and_accounts_with_history(app: TestApp) {
    let mut b = app.login("admin").await;
    let root = app.organ_id("370782").await;
    // A bad form keeps what was typed and says what is wrong next to each field.
    let r = b
        .post(
            "/console/admin/accounts",
            &[
                ("username", "x"),
                ("display_name", "周小川"),
                ("password", "abc"),
                ("organ_id", &root.to_string()),
                ("phone", "138"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"周小川\""), "typed value kept");
    let errors = r.texts(".field-error");
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(r.texts(".alert")[0].contains("4"));
    // A good one creates the account and redirects with a confirmation.
    let r = b
        .post_raw(
            "/console/admin/accounts",
            &format!("username=zhouxc&display_name=%E5%91%A8%E5%B0%8F%E5%B7%9D&password=abc12345&organ_id={root}&roles=staff&roles=leader&phone=&_csrf={}", b.csrf()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    let page = b.get(&location).await;
    assert!(page.texts(".flash")[0].contains("已创建账号 zhouxc"));
    assert!(page.body.contains("机关工作人员、常委会领导"));
    assert!(page.texts(".timeline li").iter().any(|t| t.contains("创建账号")));
    // The flash shows once.
    assert!(b.get(&location).await.texts(".flash").is_empty());

    // Organs: rename with history.
    let r = b
        .post(
            &format!("/console/admin/organs/{root}"),
            &[("name", "诸城市人大常委会"), ("short_name", "诸城人大"), ("phone", "0536-6062114")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/console/admin/organs/{root}")).await;
    assert!(
        page.texts(".timeline li").iter().any(|t| t.contains("名称：诸城市人民代表大会常务委员会 → 诸城市人大常委会"))
    );
    let r = b.post(&format!("/console/admin/organs/{root}"), &[("name", ""), ("short_name", ""), ("phone", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A new township organ and a new area.
    let area = renda::db::scalar_i64(app.db(), "SELECT id FROM areas WHERE code = '370782'", vec![]).await.unwrap();
    let r = b
        .post(
            "/console/admin/organs",
            &[
                ("code", "370782400"),
                ("name", "诸城经济开发区人大工作委员会"),
                ("short_name", "开发区人大工委"),
                ("kind", "street_working_committee"),
                ("level", "township"),
                ("parent_id", &root.to_string()),
                ("area_id", &area.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let dup = b
        .post(
            "/console/admin/organs",
            &[
                ("code", "370782400"),
                ("name", "重复"),
                ("kind", "street_working_committee"),
                ("level", "township"),
                ("parent_id", &root.to_string()),
                ("area_id", &area.to_string()),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.texts(".field-error").iter().any(|t| t.contains("已被使用")));
    let r = b
        .post(
            "/console/admin/areas",
            &[
                ("code", "370782400000"),
                ("name", "诸城经济开发区"),
                ("level", "township"),
                ("parent_id", &area.to_string()),
                ("lat", "36.020649"),
                ("lng", "119.387101"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post(
            "/console/admin/areas",
            &[("code", "12"), ("name", ""), ("level", "township"), ("lat", "北纬"), ("lng", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|t| t.contains("坐标应为数字")));
    assert_eq!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap().map(|_| ()), Ok(()));
}
demo_test!(admin_manages_organs_areas_and_accounts_with_history);

async fn operations_endpoints(app: TestApp) {
    let health = app.api("GET", "/healthz", None, None).await;
    assert_eq!((health.status, health.body.as_str()), (StatusCode::OK, "ok"));
    assert_eq!(app.api("GET", "/readyz", None, None).await.status, StatusCode::OK);
    let metrics = app.api("GET", "/metrics", None, None).await;
    assert!(metrics.body.contains("renda_http_requests_total{class=\"2xx\"}"));
    assert!(metrics.body.contains("renda_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
}
db_test!(operations_endpoints);

/// Modules that add to one heading (接待: bookings and receptions; 系统: the platform, the
/// calendar, webhooks) share it: each heading of the menu once, for every role.
async fn each_menu_heading_appears_once(app: TestApp) {
    for who in ["admin", "staff", "keeper", "deputy", "unit"] {
        let mut b = app.login(who).await;
        let page = b.get("/console").await;
        let headings = page.texts(".sidemenu h2");
        assert!(!headings.is_empty(), "{who}: {}", page.body);
        let mut seen = std::collections::HashSet::new();
        for h in &headings {
            assert!(seen.insert(h.clone()), "{who}: {h} twice in {headings:?}");
        }
    }
}
demo_test!(each_menu_heading_appears_once);
