//! The staff list and the statistics at scale (issue 15, `bench/README.md`): keyset pages of the
//! list (the API's `cursor`, the console's 下一页) neither repeat nor skip a suggestion under
//! any filter, drafts without a number included; and the figures each node keeps while the
//! `suggestions` change counter stands still are, after every kind of write, the figures a
//! node that kept nothing computes.

use axum::http::StatusCode;
use renda::auth::{Role, Scope};
use renda::db;
use renda::suggestions::model::{self, After, Filter};
use serde_json::{Value, json};

use super::{second_unit, step, submitted};
use crate::opinions::demo_unit;
use crate::support::TestApp;
use crate::{db_test, demo_test};

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn ids(v: &Value) -> Vec<i64> {
    v["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect()
}

db_test!(keyset_pages_neither_repeat_nor_skip);
async fn keyset_pages_neither_repeat_nor_skip(app: TestApp) {
    let key = app.state.audit_key().to_vec();
    renda::registry::synthetic::generate(app.db(), &key, 3_000, 100, &|_| {}).await.unwrap();
    renda::suggestions::synthetic::generate(app.db(), &key, 500, &|_| {}).await.unwrap();
    let root = scalar(&app, "SELECT id FROM organs WHERE parent_id IS NULL").await;
    app.add_account("staff", root, &[Role::Staff]).await;
    let token = app.token("staff", Scope::Read).await;

    let year = scalar(&app, "SELECT max(year) FROM suggestions").await;
    let unit = scalar(
        &app,
        "SELECT unit_id FROM handling_assignments GROUP BY unit_id ORDER BY count(*) DESC, unit_id LIMIT 1",
    )
    .await;
    let category: String = db::query_rows(
        app.db(),
        "SELECT category FROM suggestions GROUP BY category ORDER BY count(*) DESC, category LIMIT 1",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    let category = serde_urlencoded::to_string([("category", category)]).unwrap();
    for filter in [
        String::new(),
        "state=closed".into(),
        "state=in_progress".into(),
        format!("year={year}"),
        format!("year={}", year - 1),
        category,
        format!("unit_id={unit}"),
        "key=true".into(),
        format!("state=following&year={year}"),
    ] {
        // The whole list by offset, the order every page must follow.
        let mut expected: Vec<i64> = Vec::new();
        loop {
            let path = format!("/api/v1/suggestions?{filter}&limit=200&offset={}", expected.len());
            let r = app.api("GET", &path, Some(&token), None).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            let page = ids(&r.json());
            expected.extend(&page);
            if page.len() < 200 {
                assert_eq!(r.json()["total"].as_i64(), Some(expected.len() as i64), "{filter}: the total");
                break;
            }
        }
        assert!(!expected.is_empty() || filter.starts_with("key"), "{filter}: nothing listed");
        // The same list by cursor, seven at a time.
        let (mut walked, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/suggestions?{filter}&limit=7&cursor={c}"),
                None => format!("/api/v1/suggestions?{filter}&limit=7"),
            };
            let r = app.api("GET", &path, Some(&token), None).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            let v = r.json();
            assert_eq!(v["total"].as_i64(), Some(expected.len() as i64), "{path}");
            walked.extend(ids(&v));
            pages += 1;
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(pages < 1_000, "{filter}: the cursor does not end");
        }
        assert_eq!(walked, expected, "{filter}: pages by cursor repeat or skip");
    }

    // A cursor the server did not write is refused; an offset beside a cursor is not read.
    let r = app.api("GET", "/api/v1/suggestions?cursor=abc", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("cursor"), "{}", r.body);
    let r = app.api("GET", "/api/v1/suggestions?cursor=", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an empty cursor is not the first page: {}", r.body);
    let first = app.api("GET", "/api/v1/suggestions?limit=3", Some(&token), None).await.json();
    let c = first["next_cursor"].as_str().unwrap();
    let a = app.api("GET", &format!("/api/v1/suggestions?limit=3&cursor={c}"), Some(&token), None).await.json();
    let b = app.api("GET", &format!("/api/v1/suggestions?limit=3&cursor={c}&offset=50"), Some(&token), None).await;
    assert_eq!(ids(&a), ids(&b.json()));

    // The console: 200 a page, 下一页 carries the cursor and the filter.
    let r = app.api("GET", "/api/v1/suggestions?state=closed&limit=200", Some(&token), None).await;
    let closed_total = r.json()["total"].as_i64().unwrap();
    let mut b = app.login("staff").await;
    let (mut seen, mut path, mut n) = (Vec::new(), Some("/console/suggestions?state=closed".to_string()), 0);
    while let Some(p) = path {
        let page = b.get(&p).await;
        assert_eq!(page.status, StatusCode::OK, "{p}: {}", page.body);
        n += 1;
        assert!(page.body.contains(&format!("第 {n} 页")), "{p}");
        let html = page.html();
        let link = scraper::Selector::parse("#suggestions tbody tr td a").unwrap();
        seen.extend(
            html.select(&link)
                .filter_map(|a| a.value().attr("href")?.strip_prefix("/console/suggestions/")?.parse::<i64>().ok()),
        );
        let next = scraper::Selector::parse("a[rel=next]").unwrap();
        path = html.select(&next).next().and_then(|a| a.value().attr("href")).map(|h| h.replace("&amp;", "&"));
        if let Some(h) = &path {
            assert!(h.contains("state=closed") && h.contains("after="), "{h}");
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (closed_total as usize, closed_total as usize), "the console's pages");
    assert!(n >= 2, "more than one page of closed suggestions ({closed_total})");

    // Drafts have no number: a deputy's list mixes them with numbered ones in one series (they
    // sort first on SQLite, last on PostgreSQL); the pages follow either order.
    let series = scalar(
        &app,
        "SELECT session_id FROM suggestions GROUP BY session_id \
         ORDER BY sum(CASE WHEN number IS NULL THEN 1 ELSE 0 END) DESC, count(*) DESC LIMIT 1",
    )
    .await;
    let lead = scalar(&app, &format!("SELECT min(lead_person_id) FROM suggestions WHERE session_id = {series}")).await;
    db::exec(
        app.db(),
        "UPDATE suggestions SET lead_person_id = $1 WHERE session_id = $2",
        vec![lead.into(), series.into()],
    )
    .await
    .unwrap();
    let drafts =
        scalar(&app, &format!("SELECT count(*) FROM suggestions WHERE session_id = {series} AND number IS NULL")).await;
    assert!(drafts > 0, "a series with drafts");
    let scope = renda::auth::Reach { deputy_id: Some(lead), ..Default::default() };
    let now = db::now();
    let f = Filter::default();
    let expected: Vec<i64> =
        model::page(app.db(), &scope, &f, now, 100_000, 0).await.unwrap().iter().map(|s| s.id).collect();
    assert!(expected.len() as i64 > drafts, "numbered ones beside the drafts");
    let mut walked = Vec::new();
    let mut after: Option<After> = None;
    loop {
        let rows = model::page_after(app.db(), &scope, &f, now, 2, after.as_ref()).await.unwrap();
        walked.extend(rows.iter().map(|s| s.id));
        match rows.last() {
            Some(last) if rows.len() == 2 => after = Some(After::parse(&After::of(last).encode()).unwrap()),
            _ => break,
        }
    }
    assert_eq!(walked, expected, "a deputy's pages with drafts");
}

/// The figures a node that kept nothing computes: a second node over the same database.
async fn fresh(app: &TestApp, path: &str, token: &str) -> Value {
    let state = renda::modules::state(app.db().clone(), (*app.state.config).clone());
    // Its own scratch directory: a `TestApp` removes its directory when dropped, and the
    // database file lives in the first one's.
    let dir = app.dir.join(format!("node-{}", rand::random::<u32>()));
    let node = TestApp { router: renda::modules::router(state.clone()), state, dir };
    let r = node.api("GET", path, Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.json()
}

demo_test!(kept_figures_follow_every_write);
async fn kept_figures_follow_every_write(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let (unit_b, _) = second_unit(&app).await;
    let lead_unit = demo_unit(&app).await;
    let year = i64::from(chrono::Datelike::year(&renda::calendar::beijing_date(db::now())));
    let paths = [
        "/api/v1/suggestions/stats".to_string(),
        format!("/api/v1/suggestions/stats?year={year}"),
        "/api/v1/suggestions?limit=1".to_string(),
        "/api/v1/suggestions?state=closed&limit=1".to_string(),
        "/api/v1/suggestions?state=submitted&limit=1".to_string(),
    ];
    let counter = async || scalar(&app, "SELECT value FROM change_counters WHERE name = 'suggestions'").await;
    // Before a write this node keeps its figures; after it, they are a fresh node's.
    let warm = async || {
        for p in &paths {
            let r = app.api("GET", p, Some(&staff), None).await;
            assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.body);
        }
    };
    let check = async |what: &str, before: i64| {
        assert!(counter().await > before, "{what}: the counter moved");
        for p in &paths {
            let kept = app.api("GET", p, Some(&staff), None).await.json();
            assert_eq!(kept, fresh(&app, p, &staff).await, "{what}: {p}");
        }
    };

    warm().await;
    let c = counter().await;
    let id = submitted(&app, &deputy, &deputy2).await;
    check("draft, co-signing and submission", c).await;

    warm().await;
    let c = counter().await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    check("registration", c).await;

    warm().await;
    let c = counter().await;
    step(
        &app,
        &staff,
        id,
        "assign",
        json!({"units": [{"unit_id": lead_unit, "role": "lead"}, {"unit_id": unit_b, "role": "assist"}]}),
    )
    .await;
    check("交办", c).await;

    warm().await;
    let c = counter().await;
    step(&app, &unit, id, "accept", json!({})).await;
    step(&app, &unit, id, "contacts", json!({"way": "meeting", "text": "与领衔代表面商办理方案。"})).await;
    step(&app, &unit, id, "reply", json!({"class": "B", "text": "已列入明年城建计划。"})).await;
    check("reply", c).await;

    warm().await;
    let c = counter().await;
    let rating = |aspect: &str, grade: &str| json!({"aspect": aspect, "grade": grade, "unit_id": lead_unit});
    step(&app, &deputy2, id, "ratings", rating("reply", "basically_satisfied")).await;
    check("a co-signer's rating", c).await;

    warm().await;
    let c = counter().await;
    step(&app, &deputy, id, "ratings", rating("reply", "satisfied")).await;
    step(&app, &deputy, id, "ratings", rating("result", "unsatisfied")).await;
    check("the lead's 不满意 (二次办理)", c).await;

    warm().await;
    let c = counter().await;
    step(&app, &unit, id, "accept", json!({})).await;
    step(&app, &unit, id, "reply", json!({"class": "A", "text": "已建成投用。"})).await;
    step(&app, &staff, id, "close", json!({"text": "已解决"})).await;
    check("办结", c).await;

    // Writes outside the services: a unit renamed, a group's members, a person's name.
    warm().await;
    let c = counter().await;
    db::exec(app.db(), "UPDATE handling_units SET name = '改名后的承办单位' WHERE id = $1", vec![lead_unit.into()])
        .await
        .unwrap();
    check("a unit renamed", c).await;
    warm().await;
    let c = counter().await;
    db::exec(app.db(), "DELETE FROM memberships WHERE kind = 'group'", vec![]).await.unwrap();
    check("groups emptied", c).await;
    warm().await;
    let c = counter().await;
    db::exec(
        app.db(),
        "UPDATE persons SET name = '改名代表' WHERE id = (SELECT lead_person_id FROM suggestions WHERE id = $1)",
        vec![id.into()],
    )
    .await
    .unwrap();
    check("a lead renamed", c).await;

    // An opinion's loop does not move the counter: the suggestions' figures stay kept.
    let c = counter().await;
    let opinion = scalar(&app, "SELECT min(item_id) FROM opinions").await;
    db::exec(app.db(), "UPDATE handling_items SET flagged = true WHERE id = $1", vec![opinion.into()]).await.unwrap();
    assert_eq!(counter().await, c, "an opinion's write leaves the suggestions' counter");
}
