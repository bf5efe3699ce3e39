//! PLAT-19 (issue 10): the console on a phone and the smaller UI points — the menu works
//! without JavaScript, the 404 page leads citizens to 我要找代表, the 大字 toggle states
//! itself, and a deputy's account page offers no read-write (12345 intake) token.

use axum::http::StatusCode;
use renda::auth::authz::{Decision, Principal, decide};
use renda::auth::{Action, Resource, Role, Scope};
use scraper::Selector;

use crate::demo_test;
use crate::support::{Resp, TestApp};

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

fn count(r: &Resp, css: &str) -> usize {
    r.html().select(&sel(css)).count()
}

async fn console_menu_is_a_details_element_that_needs_no_script(app: TestApp) {
    for user in ["admin", "deputy", "keeper"] {
        let mut b = app.login(user).await;
        let r = b.get("/console").await;
        assert_eq!(r.status, StatusCode::OK, "{user}");
        // The menu sits in a <details> whose <summary> is the 菜单 button: a phone opens and
        // closes it without JavaScript.
        assert_eq!(count(&r, "details.menu > summary.menu-button"), 1, "{user}: {}", r.body);
        assert_eq!(r.texts("details.menu > summary").first().map(|t| t.contains("菜单")), Some(true));
        let links = r.texts("details.menu > nav.sidemenu a");
        assert!(links.len() >= 2, "{user}: menu links {links:?}");
        // The header keeps the name and 退出登录 whole (styled nowrap, a button of its own).
        assert_eq!(r.texts(".topnav button.link"), vec!["退出登录".to_string()], "{user}");
        assert_eq!(count(&r, ".topnav .who-am-i .name"), 1, "{user}");
    }
    // The stylesheet carries the phone rules every console page gets from the base template.
    let mut b = app.browser().await;
    let css = b.get("/static/app.css").await.body;
    for rule in
        [".menu-button", ".filters { display: grid", ".table { display: block; overflow-x: auto", "body.bigtext h1"]
    {
        assert!(css.contains(rule), "app.css lacks {rule}");
    }
    // The script keeps the menu open on wide screens only; it never replaces the markup.
    let js = b.get("/static/app.js").await.body;
    assert!(js.contains("[data-menu]") && js.contains("min-width: 761px"));
}
demo_test!(console_menu_is_a_details_element_that_needs_no_script);

async fn the_404_page_offers_find_a_deputy(app: TestApp) {
    let mut b = app.browser().await;
    for path in ["/no/such/page", "/s/999999", "/console/no-such-page"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        let html = r.html();
        let find = html.select(&sel("a[href=\"/find\"]")).next().unwrap_or_else(|| panic!("{path}: {}", r.body));
        assert_eq!(find.text().collect::<String>(), "我要找代表");
        assert_eq!(count(&r, "a[href=\"/\"]"), 1, "{path} home link");
    }
}
demo_test!(the_404_page_offers_find_a_deputy);

async fn the_bigtext_toggle_says_its_state(app: TestApp) {
    let mut b = app.browser().await;
    for path in ["/", "/find", "/opinions/new"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let html = r.html();
        let t = html.select(&sel("button.bigtext-toggle[data-bigtext]")).next().unwrap_or_else(|| panic!("{path}"));
        assert_eq!(t.value().attr("aria-pressed"), Some("false"), "{path}");
        assert_eq!(t.text().collect::<String>(), "大字：关", "{path}");
    }
    let js = b.get("/static/app.js").await.body;
    assert!(js.contains("大字：开") && js.contains("aria-pressed"));
}
demo_test!(the_bigtext_toggle_says_its_state);

async fn a_deputy_gets_read_tokens_only(app: TestApp) {
    let before = |scope: &'static str| {
        renda::db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = 'deputy' AND t.scopes = $1",
            vec![scope.into()],
        )
    };
    let mut b = app.login("deputy").await;
    let r = b.get("/console/account").await;
    assert_eq!(r.status, StatusCode::OK);
    // No read-write choice, no 12345 wording; the form creates a read-only token.
    assert_eq!(count(&r, "form[action=\"/console/account/tokens\"] option[value=write]"), 0, "{}", r.body);
    assert_eq!(count(&r, "form[action=\"/console/account/tokens\"] input[name=scope][value=read]"), 1);
    assert!(!r.body.contains("12345"), "a deputy is offered the 12345 intake token");
    assert!(r.body.contains("只读令牌"));
    let writes = before("write").await.unwrap();
    // A crafted request for a read-write token is refused by the authorization layer.
    let r = b.post("/console/account/tokens", &[("name", "热线对接"), ("scope", "write")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(before("write").await.unwrap(), writes);
    // A read-only token is still theirs to make, and to revoke.
    let reads = before("read").await.unwrap();
    let r = b.post("/console/account/tokens", &[("name", "我的日程同步"), ("scope", "read")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(count(&r, "#new-token"), 1);
    assert_eq!(before("read").await.unwrap(), reads + 1);
    // Staff keep the read-write choice (the 12345 hotline's token).
    let mut s = app.login("staff").await;
    let r = s.get("/console/account").await;
    assert_eq!(count(&r, "form[action=\"/console/account/tokens\"] option[value=write]"), 1);
    assert_eq!(
        s.post("/console/account/tokens", &[("name", "12345 热线对接"), ("scope", "write")]).await.status,
        StatusCode::OK
    );
}
demo_test!(a_deputy_gets_read_tokens_only);

#[test]
fn write_tokens_are_decided_in_authz() {
    let p = |roles: Vec<Role>| Principal {
        account_id: 100,
        username: "u".into(),
        display_name: "测试".into(),
        roles,
        organ_id: 2,
        organ_path: "/1/2/".into(),
        unit_id: None,
        deputy_id: None,
        station_id: None,
        token_scope: None,
        recent_auth: true,
    };
    let own = Resource::WriteToken { owner_id: 100 };
    let other = Resource::WriteToken { owner_id: 101 };
    for role in Role::ALL {
        let want = if role == Role::Deputy { Decision::Forbidden } else { Decision::Allow };
        assert_eq!(decide(&p(vec![role]), Action::Create, &own), want, "{role:?}");
        // Revoking stays the owner's; another account's tokens stay hidden.
        assert_eq!(decide(&p(vec![role]), Action::Update, &own), Decision::Allow, "{role:?}");
        assert_eq!(decide(&p(vec![role]), Action::Create, &other), Decision::Hidden, "{role:?}");
        // Never through a token, and only shortly after the password.
        let mut t = p(vec![role]);
        t.token_scope = Some(Scope::Write);
        assert_eq!(decide(&t, Action::Create, &own), Decision::Forbidden, "{role:?} token");
        if role != Role::Deputy {
            let mut stale = p(vec![role]);
            stale.recent_auth = false;
            assert_eq!(decide(&stale, Action::Create, &own), Decision::Reauthenticate, "{role:?} stale");
        }
    }
    // A deputy who is also an organ worker keeps the worker's tokens.
    assert_eq!(decide(&p(vec![Role::Deputy, Role::Staff]), Action::Create, &own), Decision::Allow);
}
