//! SUG-12's numbers. On the demo county, every figure of the statistics API — per unit, per
//! category, per group, overall — equals a count made here from the raw rows (read with plain
//! SQL, counted in Rust); on a small fixture built through the API (4 suggestions, 3 replied on
//! time, A A B C, a handful of ratings) every figure is written literally. Then a deputy's
//! record, the printable report and its workbook (audited), and who may see them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Cursor;

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use sea_orm::Value as DbValue;
use serde_json::{Value, json};

use super::{person_of, submitted};
use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::TestApp;

async fn rows(app: &TestApp, sql: &str, values: Vec<DbValue>) -> Vec<sea_orm::QueryResult> {
    db::query_rows(app.db(), sql, values).await.unwrap()
}

/// An integer column (a literal's CASE is a 32-bit integer on PostgreSQL).
fn int(r: &sea_orm::QueryResult, i: usize) -> i64 {
    r.try_get_by_index::<i64>(i).or_else(|_| r.try_get_by_index::<i32>(i).map(i64::from)).unwrap()
}

fn txt(r: &sea_orm::QueryResult, i: usize) -> String {
    r.try_get_by_index::<Option<String>>(i).unwrap().unwrap_or_default()
}

fn pm(n: i64, d: i64) -> Value {
    if d > 0 { json!(n * 1000 / d) } else { Value::Null }
}

fn class_of(outcome: &str) -> usize {
    match outcome {
        "resolved" => 0,
        "in_progress" | "planned" => 1,
        _ => 2,
    }
}

fn grade_of(grade: &str) -> usize {
    match grade {
        "satisfied" => 0,
        "basically_satisfied" => 1,
        _ => 2,
    }
}

/// What the hand count knows of one suggestion.
struct Sg {
    item: Option<i64>,
    category: String,
    lead: i64,
    key: bool,
    carried: bool,
}

async fn the_figures_match_a_hand_count(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let r = app.api("GET", "/api/v1/suggestions/stats", Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();

    // The raw rows: the suggestions staff see (handed in, in their organ's subtree) …
    let path = txt(
        &rows(
            &app,
            "SELECT o.path FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE a.username = 'staff'",
            vec![],
        )
        .await[0],
        0,
    );
    let prefix = format!("{path}%");
    let sgs: BTreeMap<i64, Sg> = rows(
        &app,
        "SELECT sg.id, sg.item_id, sg.category, sg.lead_person_id, CASE WHEN sg.key_item = true THEN 1 ELSE 0 END, \
         CASE WHEN sg.carried_from_year IS NULL THEN 0 ELSE 1 END \
         FROM suggestions sg JOIN organs o ON o.id = sg.organ_id WHERE o.path LIKE $1 AND sg.stage NOT IN ('draft', 'cosigning')",
        vec![prefix.clone().into()],
    )
    .await
    .iter()
    .map(|r| {
        (
            int(r, 0),
            Sg {
                item: r.try_get_by_index::<Option<i64>>(1).unwrap(),
                category: txt(r, 2),
                lead: int(r, 3),
                key: int(r, 4) == 1,
                carried: int(r, 5) == 1,
            },
        )
    })
    .collect();
    assert!(sgs.len() > 100, "the demo has its suggestions: {}", sgs.len());
    let items: BTreeSet<i64> = sgs.values().filter_map(|x| x.item).collect();
    // … and the loop's rows of their items.
    let of_items = "(SELECT item_id FROM suggestions WHERE item_id IS NOT NULL)";
    let assignments: Vec<(i64, i64, String, i64)> = rows(
        &app,
        &format!("SELECT item_id, unit_id, role, round FROM handling_assignments WHERE item_id IN {of_items}"),
        vec![],
    )
    .await
    .iter()
    .map(|r| (int(r, 0), int(r, 1), txt(r, 2), int(r, 3)))
    .filter(|a| items.contains(&a.0))
    .collect();
    let replies: Vec<(i64, i64, i64, String, bool)> = rows(
        &app,
        &format!(
            "SELECT id, item_id, unit_id, outcome, CASE WHEN on_time = true THEN 1 ELSE 0 END FROM handling_replies \
             WHERE item_id IN {of_items} ORDER BY id"
        ),
        vec![],
    )
    .await
    .iter()
    .map(|r| (int(r, 0), int(r, 1), int(r, 2), txt(r, 3), int(r, 4) == 1))
    .filter(|x| items.contains(&x.1))
    .collect();
    let ratings: Vec<(i64, i64, String, String)> = rows(
        &app,
        &format!(
            "SELECT item_id, coalesce(unit_id, 0), aspect, grade FROM handling_ratings WHERE item_id IN {of_items}"
        ),
        vec![],
    )
    .await
    .iter()
    .map(|r| (int(r, 0), int(r, 1), txt(r, 2), txt(r, 3)))
    .filter(|x| items.contains(&x.0))
    .collect();
    let reopened: BTreeSet<(i64, i64)> = rows(
        &app,
        &format!("SELECT item_id, round FROM handling_events WHERE step = 'reopen' AND item_id IN {of_items}"),
        vec![],
    )
    .await
    .iter()
    .map(|r| (int(r, 0), int(r, 1)))
    .collect();
    assert!(
        !replies.is_empty() && !ratings.is_empty() && !reopened.is_empty(),
        "the demo has replies, ratings, 二次办理"
    );

    // Every unit of the league table, counted by hand.
    let units: BTreeSet<i64> = assignments.iter().map(|a| a.1).collect();
    let api_units = s["units"].as_array().unwrap();
    assert_eq!(api_units.len(), units.len(), "one row per unit given a suggestion");
    for u in &units {
        let row = api_units.iter().find(|x| x["unit_id"] == *u).unwrap_or_else(|| panic!("unit {u} listed"));
        let assigned: BTreeSet<i64> =
            assignments.iter().filter(|a| a.1 == *u && a.2 != "assist").map(|a| a.0).collect();
        let mine: Vec<_> = replies.iter().filter(|r| r.2 == *u).collect();
        let answered: BTreeSet<i64> = mine.iter().map(|r| r.1).collect();
        // Its first reply to each item on time; the class of its latest.
        let mut first: HashMap<i64, bool> = HashMap::new();
        let mut latest: HashMap<i64, &str> = HashMap::new();
        for r in &mine {
            first.entry(r.1).or_insert(r.4);
            latest.insert(r.1, &r.3);
        }
        let on_time = first.values().filter(|x| **x).count() as i64;
        let mut classes = [0i64; 3];
        for o in latest.values() {
            classes[class_of(o)] += 1;
        }
        let mut by_aspect = HashMap::from([("reply", [0i64; 3]), ("result", [0i64; 3])]);
        for g in ratings.iter().filter(|g| g.1 == *u) {
            if let Some(counts) = by_aspect.get_mut(g.2.as_str()) {
                counts[grade_of(&g.3)] += 1;
            }
        }
        let rehandled: BTreeSet<i64> = assignments
            .iter()
            .filter(|a| a.1 == *u && a.3 > 1 && reopened.contains(&(a.0, a.3)))
            .map(|a| a.0)
            .collect();
        let replied = answered.len() as i64;
        let (reply, result) = (by_aspect["reply"], by_aspect["result"]);
        let satisfied = |g: [i64; 3]| pm(g[0] + g[1], g.iter().sum());
        let expected = json!({
            "assigned": assigned.len(), "replied": replied, "on_time": on_time, "on_time_permille": pm(on_time, replied),
            "classes": {"a": classes[0], "b": classes[1], "c": classes[2]}, "solved_permille": pm(classes[0], replied),
            "reply_ratings": reply, "result_ratings": result,
            "reply_satisfied_permille": satisfied(reply), "result_satisfied_permille": satisfied(result),
            "unsatisfied": reply[2] + result[2], "rehandled": rehandled.len(),
        });
        for (k, v) in expected.as_object().unwrap() {
            assert_eq!(&row[k], v, "unit {u}: {k} in {row}");
        }
    }
    // The league is in order of 按期答复率, then 办理满意率.
    let keys: Vec<(i64, i64)> = api_units
        .iter()
        .map(|u| (u["on_time_permille"].as_i64().unwrap_or(-1), u["result_satisfied_permille"].as_i64().unwrap_or(-1)))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "ranked: {keys:?}");
    assert_eq!(api_units[0]["rank"], 1);

    // Per suggestion: any reply, its first on time, its latest's class, reopened.
    let mut first: HashMap<i64, bool> = HashMap::new();
    let mut latest: HashMap<i64, &str> = HashMap::new();
    for r in &replies {
        first.entry(r.1).or_insert(r.4);
        latest.insert(r.1, &r.3);
    }
    let reopened_items: BTreeSet<i64> = reopened.iter().map(|x| x.0).collect();
    let given: BTreeSet<i64> = assignments.iter().map(|a| a.0).collect();
    let tally = |chosen: &[&Sg]| {
        let mut t = BTreeMap::from(
            ["received", "assigned", "replied", "on_time", "a", "b", "c", "rehandled", "key_items", "carried"]
                .map(|k| (k, 0i64)),
        );
        for x in chosen {
            *t.get_mut("received").unwrap() += 1;
            *t.get_mut("key_items").unwrap() += i64::from(x.key);
            *t.get_mut("carried").unwrap() += i64::from(x.carried);
            let Some(i) = x.item else { continue };
            *t.get_mut("assigned").unwrap() += i64::from(given.contains(&i));
            *t.get_mut("rehandled").unwrap() += i64::from(reopened_items.contains(&i));
            if let Some(o) = latest.get(&i) {
                *t.get_mut("replied").unwrap() += 1;
                *t.get_mut("on_time").unwrap() += i64::from(first[&i]);
                *t.get_mut(["a", "b", "c"][class_of(o)]).unwrap() += 1;
            }
        }
        t
    };
    let check = |what: &str, row: &Value, t: &BTreeMap<&str, i64>| {
        for (k, v) in t {
            assert_eq!(row[*k], json!(v), "{what}: {k} in {row}");
        }
        assert_eq!(row["on_time_permille"], pm(t["on_time"], t["replied"]), "{what}: 按期答复率");
        assert_eq!(row["solved_permille"], pm(t["a"], t["replied"]), "{what}: 解决率");
    };

    // Every category.
    let mut categories: BTreeMap<&str, Vec<&Sg>> = BTreeMap::new();
    for x in sgs.values() {
        categories.entry(&x.category).or_default().push(x);
    }
    let api_categories = s["categories"].as_array().unwrap();
    assert_eq!(api_categories.len(), categories.len());
    for (name, chosen) in &categories {
        let row = api_categories.iter().find(|c| c["category"] == *name).unwrap_or_else(|| panic!("category {name}"));
        check(name, row, &tally(chosen));
        let count = s["by_category"].as_array().unwrap().iter().find(|c| c["state"] == *name).unwrap()["count"].clone();
        assert_eq!(count, json!(chosen.len()), "by_category {name}");
    }

    // Everything at once, with the ratings of every unit.
    let all: Vec<&Sg> = sgs.values().collect();
    let t = tally(&all);
    check("overall", &s["overall"], &t);
    assert_eq!(s["total"], json!(sgs.len()));
    assert_eq!(s["overall"]["units"], json!(units.len()));
    let mut grades = HashMap::from([("reply", [0i64; 3]), ("result", [0i64; 3])]);
    for g in &ratings {
        if let Some(c) = grades.get_mut(g.2.as_str()) {
            c[grade_of(&g.3)] += 1;
        }
    }
    assert_eq!(s["overall"]["reply_ratings"], json!(grades["reply"]));
    assert_eq!(s["overall"]["result_ratings"], json!(grades["result"]));
    assert_eq!(s["overall"]["unsatisfied"], json!(grades["reply"][2] + grades["result"][2]));
    assert_eq!(s["overall"]["a_permille"], pm(t["a"], t["replied"]));
    assert_eq!(s["solved_permille"], pm(t["a"], t["replied"]), "the older 解决率 field says the same");
    assert_eq!(s["key_items"].as_array().unwrap().len() as i64, t["key_items"], "each 重点建议 listed");
    assert!(s["key_items"].as_array().unwrap().iter().all(|k| !k["leader"].as_str().unwrap().is_empty()));

    // Every group: led by a member (each group of the lead), co-signed by a member otherwise.
    let members: Vec<(i64, i64)> = rows(
        &app,
        "SELECT m.group_id, m.person_id FROM memberships m JOIN deputy_groups g ON g.id = m.group_id \
         JOIN organs o ON o.id = g.organ_id WHERE m.kind = 'group' AND o.path LIKE $1",
        vec![prefix.clone().into()],
    )
    .await
    .iter()
    .map(|r| (int(r, 0), int(r, 1)))
    .collect();
    let cosigners: Vec<(i64, i64)> =
        rows(&app, "SELECT suggestion_id, person_id FROM suggestion_cosigners WHERE confirmed_at IS NOT NULL", vec![])
            .await
            .iter()
            .map(|r| (int(r, 0), int(r, 1)))
            .collect();
    let groups: BTreeSet<i64> = members.iter().map(|m| m.0).collect();
    let api_groups = s["groups"].as_array().unwrap();
    let mut counted = 0;
    for g in &groups {
        let in_group = |person: i64| members.contains(&(*g, person));
        let led: Vec<&Sg> = sgs.values().filter(|x| in_group(x.lead)).collect();
        let cosigned = sgs
            .iter()
            .filter(|(id, x)| !in_group(x.lead) && cosigners.iter().any(|(sg, p)| sg == *id && in_group(*p)))
            .count();
        let row = api_groups.iter().find(|x| x["group_id"] == *g);
        if led.is_empty() && cosigned == 0 {
            assert!(row.is_none(), "group {g} without suggestions is left out");
            continue;
        }
        let row = row.unwrap_or_else(|| panic!("group {g} listed"));
        check(&format!("group {g}"), row, &tally(&led));
        assert_eq!(row["cosigned"], json!(cosigned), "group {g} co-signed");
        counted += 1;
    }
    assert!(counted > 0, "the demo's groups lead suggestions");
    assert_eq!(api_groups.len(), counted);

    // A session's series and a year count only theirs.
    let session = int(&rows(&app, "SELECT min(id) FROM suggestion_sessions", vec![]).await[0], 0);
    let in_session = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM suggestions sg JOIN organs o ON o.id = sg.organ_id WHERE sg.session_id = $1 \
         AND o.path LIKE $2 AND sg.stage NOT IN ('draft', 'cosigning')",
        vec![session.into(), prefix.clone().into()],
    )
    .await
    .unwrap();
    let r = app.api("GET", &format!("/api/v1/suggestions/stats?session={session}"), Some(&staff), None).await;
    assert_eq!(r.json()["total"], json!(in_session));
    assert_eq!(r.json()["session"], json!(session));
    let r = app.api("GET", "/api/v1/suggestions/stats?year=2099", Some(&staff), None).await;
    assert_eq!(r.json()["total"], 0);
    assert_eq!(r.json()["overall"]["on_time_permille"], Value::Null);
    for bad in ["year=1999", "session=0", "year=x"] {
        let r = app.api("GET", &format!("/api/v1/suggestions/stats?{bad}"), Some(&staff), None).await;
        assert!(r.status.is_client_error(), "{bad}: {}", r.status);
    }

    // The page shows the same league.
    let mut b = app.login("staff").await;
    let page = b.get("/console/suggestions/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("#units tbody tr").len(), api_units.len());
    let on_time = &api_units[0]["on_time_permille"];
    let shown = page.texts("#units tbody tr td.on-time")[0].clone();
    assert_eq!(shown, on_time.as_i64().map(|x| format!("{}.{}%", x / 10, x % 10)).unwrap_or("—".into()));
}
demo_test!(the_figures_match_a_hand_count);

/// Staff register a submitted suggestion and give it to `unit`; its loop item.
async fn assigned(app: &TestApp, staff: &str, id: i64, unit: i64) -> i64 {
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/suggestions/{id}/assign"),
            Some(staff),
            Some(json!({"units": [{"unit_id": unit, "role": "lead"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    db::scalar_i64(app.db(), "SELECT item_id FROM suggestions WHERE id = $1", vec![id.into()]).await.unwrap()
}

async fn step(app: &TestApp, who: &str, id: i64, name: &str, body: Value) -> Value {
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/{name}"), Some(who), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
    r.json()
}

async fn a_small_fixture_gives_literal_figures(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let unit = demo_unit(&app).await;
    let (me, other) = (person_of(&app, "deputy").await, person_of(&app, "deputy2").await);

    // Four suggestions led by `deputy`, co-signed by `deputy2`, given to one unit, moved to a
    // year of their own: A and A on time, B on time, C after its deadline.
    let mut ids = Vec::new();
    for (i, class) in ["A", "A", "B", "C"].into_iter().enumerate() {
        let id = submitted(&app, &deputy, &deputy2).await;
        let item = assigned(&app, &staff, id, unit).await;
        step(&app, &unit_token, id, "accept", json!({})).await;
        step(&app, &unit_token, id, "contacts", json!({"way": "phone", "text": "电话沟通办理方案。"})).await;
        if i == 3 {
            db::exec(app.db(), "UPDATE handling_items SET deadline_at = 1000 WHERE id = $1", vec![item.into()])
                .await
                .unwrap();
        }
        step(&app, &unit_token, id, "reply", json!({"class": class, "text": "答复如下。"})).await;
        ids.push(id);
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    db::exec(app.db(), &format!("UPDATE suggestions SET year = 2031 WHERE id IN ({list})"), vec![]).await.unwrap();
    // Ratings: the co-signer's 不满意 of a reply does not reopen; the lead's of a result does.
    let rate = |aspect: &str, grade: &str| json!({"aspect": aspect, "grade": grade, "unit_id": unit});
    step(&app, &deputy, ids[0], "ratings", rate("reply", "satisfied")).await;
    step(&app, &deputy, ids[0], "ratings", rate("result", "satisfied")).await;
    step(&app, &deputy2, ids[0], "ratings", rate("reply", "unsatisfied")).await;
    step(&app, &deputy, ids[1], "ratings", rate("reply", "basically_satisfied")).await;
    step(&app, &deputy, ids[1], "ratings", rate("result", "satisfied")).await;
    step(&app, &deputy, ids[2], "ratings", rate("reply", "satisfied")).await;
    let out = step(&app, &deputy, ids[2], "ratings", rate("result", "unsatisfied")).await;
    assert_eq!(out["state"], "rehandling");
    // The second is a 重点建议; the lead sits in one group, the co-signer in another.
    let mut b = app.login("staff").await;
    let r = b
        .post(&format!("/console/suggestions/{}/act", ids[1]), &[("action", "key"), ("leader", "常委会副主任 李明")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let mut groups = Vec::new();
    for (name, person) in [("测试第一代表小组", me), ("测试第二代表小组", other)] {
        let g = db::insert_id(
            app.db(),
            "INSERT INTO deputy_groups (organ_id, kind, name, created_at) VALUES ($1, 'area_group', $2, 0)",
            vec![organ.into(), name.into()],
        )
        .await
        .unwrap();
        db::exec(
            app.db(),
            "INSERT INTO memberships (kind, group_id, person_id, role, sort) VALUES ('group', $1, $2, '', 0)",
            vec![g.into(), person.into()],
        )
        .await
        .unwrap();
        groups.push(g);
    }

    let r = app.api("GET", "/api/v1/suggestions/stats?year=2031", Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    assert_eq!(s["total"], 4);
    let o = &s["overall"];
    let expected = json!({
        "received": 4, "assigned": 4, "units": 1, "replied": 4, "on_time": 3, "on_time_permille": 750,
        "a": 2, "b": 1, "c": 1, "a_permille": 500, "b_permille": 250, "c_permille": 250, "solved_permille": 500,
        "reply_ratings": [2, 1, 1], "result_ratings": [2, 0, 1],
        "reply_satisfied_permille": 750, "result_satisfied_permille": 666,
        "unsatisfied": 2, "rehandled": 1, "key_items": 1, "key_closed": 0, "carried": 0,
    });
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&o[k], v, "overall {k}: {o}");
    }
    assert_eq!(s["units"].as_array().unwrap().len(), 1);
    let u = &s["units"][0];
    let expected = json!({
        "rank": 1, "unit_id": unit, "assigned": 4, "replied": 4, "on_time": 3, "on_time_permille": 750,
        "classes": {"a": 2, "b": 1, "c": 1}, "solved_permille": 500,
        "reply_ratings": [2, 1, 1], "result_ratings": [2, 0, 1],
        "reply_satisfied_permille": 750, "result_satisfied_permille": 666, "unsatisfied": 2, "rehandled": 1,
    });
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&u[k], v, "unit {k}: {u}");
    }
    let c = &s["categories"][0];
    assert_eq!(
        (c["category"].as_str(), c["received"].as_i64(), c["solved_permille"].as_i64()),
        (Some("城乡建设"), Some(4), Some(500))
    );
    let group = |g: i64| s["groups"].as_array().unwrap().iter().find(|x| x["group_id"] == g).cloned().unwrap();
    let (g1, g2) = (group(groups[0]), group(groups[1]));
    assert_eq!((g1["received"].as_i64(), g1["cosigned"].as_i64(), g1["a"].as_i64()), (Some(4), Some(0), Some(2)));
    assert_eq!(g1["on_time_permille"], 750);
    assert_eq!((g2["received"].as_i64(), g2["cosigned"].as_i64()), (Some(0), Some(4)), "co-signed, each once");
    let k = &s["key_items"];
    assert_eq!(k.as_array().unwrap().len(), 1);
    assert_eq!(k[0]["id"], ids[1]);
    assert_eq!(k[0]["leader"], "常委会副主任 李明");
    assert_eq!(k[0]["state"], "replied");
    assert_eq!(k[0]["class"], "A");

    // The co-signer's record: four co-signed, their own ratings, each reply's class.
    let r = app.api("GET", &format!("/api/v1/suggestions/deputies/{other}?year=2031"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rec = r.json();
    assert_eq!((rec["led"].as_i64(), rec["cosigned"].as_i64()), (Some(0), Some(4)));
    let first = rec["items"].as_array().unwrap().iter().find(|i| i["id"] == ids[0]).unwrap().clone();
    assert_eq!((first["role"].as_str(), first["class"].as_str()), (Some("cosigner"), Some("A")));
    assert_eq!((first["reply_grade"].as_str(), first["result_grade"].as_str()), (Some("unsatisfied"), None));
    let r = app.api("GET", &format!("/api/v1/suggestions/deputies/{me}?year=2031"), Some(&deputy), None).await;
    let mine = r.json();
    assert_eq!((mine["led"].as_i64(), mine["cosigned"].as_i64()), (Some(4), Some(0)));
    let third = mine["items"].as_array().unwrap().iter().find(|i| i["id"] == ids[2]).unwrap().clone();
    assert_eq!((third["state"].as_str(), third["result_grade"].as_str()), (Some("rehandling"), Some("unsatisfied")));
    // Another deputy's record, or a unit asking: as if it did not exist.
    let r = app.api("GET", &format!("/api/v1/suggestions/deputies/{me}"), Some(&deputy2), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.api("GET", &format!("/api/v1/suggestions/deputies/{me}"), Some(&unit_token), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mut d = app.login("deputy").await;
    let page = d.get("/console/suggestions/my-record").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = d.get(&format!("/console/suggestions/deputy/{me}?year=2031")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("#led"), ["4"]);
    assert_eq!(page.texts("#items li").len(), 4);

    // The report drafts its paragraphs from the same figures.
    let page = b.get("/console/suggestions/report?year=2031").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.texts("h1.center"), ["关于2031年代表建议办理情况的报告"]);
    let text = page.texts("#paragraphs").join("");
    for phrase in [
        "共收到代表建议4件",
        "交办4件，分别由1个承办单位办理",
        "在答复期限内答复3件，按期答复率75.0%",
        "A类（已解决或基本解决）2件，占50.0%",
        "C类（因条件限制需以后解决或留作参考）1件，占25.0%",
        "解决率为50.0%",
        "答复的满意率为75.0%",
        "办理结果的满意率为66.6%",
        "代表不满意的评价共2人次，1件建议进入二次办理",
        "重点建议1件",
        "按期答复率较低的承办单位有",
    ] {
        assert!(text.contains(phrase), "「{phrase}」 in: {text}");
    }
    assert_eq!(page.texts("#units tbody tr").len(), 1);
    // Its workbook: five sheets, the league as on the page; the export is audited.
    let before =
        db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'export'", vec![]).await.unwrap();
    let x = b.get("/console/suggestions/report?year=2031&format=xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    assert_eq!(x.header("content-type"), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(x.bytes.clone())).expect("a workbook");
    assert_eq!(wb.sheet_names(), ["总体", "承办单位", "类别", "代表小组", "重点建议"]);
    let league = wb.worksheet_range("承办单位").unwrap();
    let row: Vec<String> = league.rows().nth(1).unwrap().iter().map(ToString::to_string).collect();
    // Rates are numbers in a percent format (0.75 shows as 75.0%), so Excel sorts and sums them.
    assert_eq!(&row[2..6], ["4", "4", "3", "0.75"], "{row:?}");
    let keys = wb.worksheet_range("重点建议").unwrap();
    assert_eq!(keys.rows().count(), 2);
    let after =
        db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'export'", vec![]).await.unwrap();
    assert_eq!(after, before + 1, "the export is audited");
    // Only the organ's workers: a deputy gets nothing, a bad format is refused.
    let page = d.get("/console/suggestions/report?year=2031").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = d.get("/console/suggestions/report?year=2031&format=xlsx").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let page = b.get("/console/suggestions/report?year=2031&format=pdf").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
}
demo_test!(a_small_fixture_gives_literal_figures);
