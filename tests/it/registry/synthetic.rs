//! PLAT-20: `renda gen` fills an empty database with a plausible registry, and a second run
//! nests under the existing default organ; public pages, the API and the audit chain work.

use axum::http::StatusCode;
use renda::db;

use crate::db_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

db_test!(gen_fills_a_plausible_registry);
async fn gen_fills_a_plausible_registry(app: TestApp) {
    let key = app.state.audit_key().to_vec();
    let report = renda::registry::synthetic::generate(app.db(), &key, 3_000, 200, &|_| {}).await.unwrap();
    assert_eq!((report.persons, report.stations), (3_000, 200));
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 3_000);
    assert_eq!(count(&app, "SELECT count(*) FROM stations").await, 200);
    let mandates = count(&app, "SELECT count(*) FROM mandates").await;
    assert_eq!(mandates as u64, report.mandates);
    assert!((3_100..3_300).contains(&mandates), "about 5% hold two mandates: {mandates}");

    // Every person serves, has a station and one or two tags.
    for (what, sql) in [
        (
            "without a serving mandate",
            "SELECT count(*) FROM persons p WHERE NOT EXISTS \
             (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.status = 'serving')",
        ),
        (
            "without a station",
            "SELECT count(*) FROM persons p WHERE NOT EXISTS (SELECT 1 FROM station_deputies s WHERE s.person_id = p.id)",
        ),
        (
            "without tags",
            "SELECT count(*) FROM persons p WHERE NOT EXISTS (SELECT 1 FROM person_tags t WHERE t.person_id = p.id)",
        ),
        (
            "with more than two tags",
            "SELECT count(*) FROM (SELECT person_id FROM person_tags GROUP BY person_id HAVING count(*) > 2) x",
        ),
        (
            "stations without coordinates (not online)",
            "SELECT count(*) FROM stations WHERE lat IS NULL AND online_only = FALSE",
        ),
        (
            "organs with a wrong path",
            "SELECT count(*) FROM organs o JOIN organs p ON p.id = o.parent_id WHERE o.path <> p.path || o.id || '/'",
        ),
        (
            "areas with a wrong path",
            "SELECT count(*) FROM areas a JOIN areas p ON p.id = a.parent_id WHERE a.path <> p.path || a.id || '/'",
        ),
        (
            "mandates whose level differs from their organ's",
            "SELECT count(*) FROM mandates m JOIN organs o ON o.id = m.organ_id WHERE o.level <> m.level",
        ),
    ] {
        assert_eq!(count(&app, sql).await, 0, "persons/stations {what}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM organs WHERE parent_id IS NULL").await, 1);

    // Level proportions: many township deputies, few national ones.
    let mut by_level = Vec::new();
    for level in ["national", "provincial", "city", "county", "township"] {
        by_level.push(count(&app, &format!("SELECT count(*) FROM mandates WHERE level = '{level}'")).await);
    }
    assert!(by_level[0] >= 1 && by_level[0] <= 10, "{by_level:?}");
    assert!(by_level.windows(2).all(|w| w[0] < w[1]), "{by_level:?}");
    let township_share = by_level[4] as f64 / mandates as f64;
    assert!((0.6..0.8).contains(&township_share), "{by_level:?}");

    // Duty: one rule per staffed station, 4–8 slots each.
    let rules = count(&app, "SELECT count(*) FROM duty_rules").await;
    assert!(rules >= 150, "{rules}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM (SELECT rule_id FROM duty_slots GROUP BY rule_id \
             HAVING count(*) < 4 OR count(*) > 8) x"
        )
        .await,
        0
    );
    assert_eq!(count(&app, "SELECT value FROM change_counters WHERE name = 'stations'").await, 1);

    // Public pages and the API see the generated records.
    let station = db::query_rows(
        app.db(),
        "SELECT id, lat, lng FROM stations WHERE lat IS NOT NULL ORDER BY id DESC LIMIT 1",
        vec![],
    )
    .await
    .unwrap();
    let (sid, lat, lng): (i64, f64, f64) = (
        station[0].try_get_by_index(0).unwrap(),
        station[0].try_get_by_index(1).unwrap(),
        station[0].try_get_by_index(2).unwrap(),
    );
    let r = app.api("GET", &format!("/api/v1/stations/nearest?lat={lat}&lng={lng}&limit=5"), None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0]["id"].as_i64(), Some(sid));
    let first = count(&app, "SELECT min(id) FROM persons").await;
    let last = count(&app, "SELECT max(id) FROM persons").await;
    for id in [first, (first + last) / 2, last] {
        let r = app.api("GET", &format!("/d/{id}"), None, None).await;
        assert_eq!(r.status, StatusCode::OK, "/d/{id}: {}", r.body);
        let r = app.api("GET", &format!("/api/v1/deputies/{id}"), None, None).await;
        assert_eq!(r.status, StatusCode::OK, "/api/v1/deputies/{id}: {}", r.body);
    }
    let r = app.api("GET", &format!("/s/{sid}"), None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // One audit entry for the run, and the chain verifies.
    assert_eq!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'synthetic_generate'").await, 1);
    assert!(matches!(renda::audit::verify(app.db(), &key).await.unwrap(), Ok(n) if n >= 1));

    // A second run nests below the default organ, with codes under a fresh prefix.
    renda::registry::synthetic::generate(app.db(), &key, 500, 20, &|_| {}).await.unwrap();
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, 3_500);
    assert_eq!(count(&app, "SELECT count(*) FROM stations").await, 220);
    assert_eq!(count(&app, "SELECT count(*) FROM organs WHERE parent_id IS NULL").await, 1);
    assert!(count(&app, "SELECT count(*) FROM areas WHERE code LIKE '90%'").await > 0);
    let newest = count(&app, "SELECT max(id) FROM persons").await;
    let r = app.api("GET", &format!("/d/{newest}"), None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(matches!(renda::audit::verify(app.db(), &key).await.unwrap(), Ok(n) if n >= 2));
}

/// What a run wrote that does not depend on the clock: rows of the generated tables, by id.
async fn fingerprint(c: &sea_orm::DatabaseConnection) -> Vec<String> {
    let mut out = Vec::new();
    for (table, cols) in [
        ("areas", "id, code, name, parent_id, level, path, lat, lng"),
        ("organs", "id, code, name, short_name, area_id, parent_id, kind, level, path"),
        ("stations", "id, organ_id, area_id, type_id, name, address, lat, lng, online_only, phone, facilities"),
        (
            "persons",
            "id, organ_id, name, gender, ethnicity, birth_date, party, education, occupation, work_unit, \
             expertise, public_contact, township_area_id",
        ),
        ("person_tags", "id, person_id, tag"),
        ("mandates", "id, person_id, organ_id, level, term, constituency, start_date"),
        ("station_deputies", "id, station_id, person_id"),
        ("duty_rules", "id, station_id, person_id, rule_text"),
        ("duty_slots", "id, station_id, person_id, rule_id"),
    ] {
        let text = cols
            .split(',')
            .map(|c| format!("COALESCE(CAST({} AS TEXT), '-')", c.trim()))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        for r in db::query_rows(c, &format!("SELECT {text} FROM {table} ORDER BY id"), vec![]).await.unwrap() {
            out.push(format!("{table} {}", r.try_get_by_index::<String>(0).unwrap()));
        }
    }
    out
}

/// The same sizes give the same data: the generator is seeded by them alone.
async fn gen_is_the_same_for_the_same_sizes(app: TestApp) {
    let key = app.state.audit_key().to_vec();
    let other = db::connect_and_migrate(&app.blank_database_url().await).await.unwrap();
    for c in [app.db(), &other] {
        renda::registry::synthetic::generate(c, &key, 1_200, 60, &|_| {}).await.unwrap();
    }
    let (a, b) = (fingerprint(app.db()).await, fingerprint(&other).await);
    assert!(a.len() > 3_000, "{}", a.len());
    assert!(a.iter().any(|r| r.starts_with("persons ") && r.contains("|male|")), "{:?}", &a[..3]);
    let differ = a.iter().zip(&b).find(|(x, y)| x != y);
    assert!(a.len() == b.len() && differ.is_none(), "two runs of the same size differ: {differ:?}");
    other.close().await.ok();
}
db_test!(gen_is_the_same_for_the_same_sizes);
