//! Issue 16: the demo tells one consistent story — what a text says is what its tags say, and
//! nothing is marked as having happened in the future.

use renda::db;

use crate::demo_test;
use crate::support::TestApp;

async fn strings(app: &TestApp, sql: &str) -> Vec<Vec<String>> {
    db::query_rows(app.db(), sql, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (0..).map_while(|i| r.try_get_by_index::<Option<String>>(i).ok()).map(Option::unwrap_or_default).collect()
        })
        .collect()
}

async fn the_demo_says_what_its_tags_say(app: TestApp) {
    // A meeting marked 已见面 or 未到场 took place: never on a future date. The demo shows both.
    let now = db::now();
    let met = db::query_rows(
        app.db(),
        "SELECT state, slot_start FROM appointments WHERE state IN ('attended', 'no_show')",
        vec![],
    )
    .await
    .unwrap();
    assert!(met.len() >= 2, "the demo shows meetings that took place");
    for r in &met {
        let (state, start): (String, i64) = (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap());
        assert!(start < now, "a booking {} ahead is marked {state}", start - now);
    }

    // Water from the tap is 城乡建设 (供水), never 农业农村; the unit is the water authority.
    let water = strings(
        &app,
        "SELECT op.category, op.content FROM opinions op WHERE op.content LIKE '%自来水%' OR op.title LIKE '%水压%'",
    )
    .await;
    assert!(!water.is_empty());
    for w in &water {
        assert!(w[0] == "城乡建设" || w[0].is_empty(), "「{}」 filed under {}", w[1], w[0]);
    }

    // The township an opinion is tagged with is the one its text names, and no other.
    let townships: Vec<String> = strings(&app, "SELECT name FROM areas WHERE level = 'township'")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let tagged = strings(
        &app,
        "SELECT a.name, op.title || ' ' || op.content FROM opinions op JOIN areas a ON a.id = op.area_id \
         WHERE a.level = 'township'",
    )
    .await;
    let mut naming = 0;
    for t in &tagged {
        let named: Vec<&String> = townships.iter().filter(|n| t[1].contains(n.as_str())).collect();
        if named.is_empty() {
            continue;
        }
        naming += 1;
        assert_eq!(named, [&t[0]], "tagged {} but the text says: {}", t[0], t[1]);
    }
    assert!(naming > 100, "only {naming} tagged opinions name a township");
    // An opinion tagged with the county names a township of it (a county-wide station's).
    for t in strings(
        &app,
        "SELECT a.name, op.content FROM opinions op JOIN areas a ON a.id = op.area_id WHERE a.level = 'county'",
    )
    .await
    {
        assert!(townships.iter().filter(|n| t[1].contains(n.as_str())).count() <= 1, "{}", t[1]);
    }
}
demo_test!(the_demo_says_what_its_tags_say);
