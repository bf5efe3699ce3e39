//! OPN-16: the figures, checked against the stored rows; an unrated item is never satisfied.

use std::collections::HashMap;
use std::io::Cursor;

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::demo_unit;
use crate::demo_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

async fn figures_match_the_rows_and_unrated_is_not_satisfied(app: TestApp) {
    let mut leader = app.login("leader").await;
    let page = leader.get("/console/opinions/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let text = |r: &crate::support::Resp, id: &str| r.texts(&format!("#{id}"))[0].clone();
    assert_eq!(text(&page, "total"), count(&app, "SELECT count(*) FROM opinions").await.to_string());
    assert_eq!(
        text(&page, "closed"),
        count(&app, "SELECT count(*) FROM handling_items WHERE state = 'closed' AND kind = 'opinion'")
            .await
            .to_string()
    );
    let rated = count(
        &app,
        "SELECT count(DISTINCT r.item_id) FROM handling_ratings r JOIN handling_items i ON i.id = r.item_id \
         WHERE r.rater = 'submitter' AND i.state = 'closed'",
    )
    .await;
    assert_eq!(text(&page, "rated"), rated.to_string());
    let rehandled = count(&app, "SELECT count(*) FROM handling_items WHERE round > 1 AND kind = 'opinion'").await;
    assert_eq!(text(&page, "rehandled"), rehandled.to_string());
    assert!(page.body.contains("按承办单位") && page.body.contains("按月份") && page.body.contains("热词"));
    let satisfaction_before = text(&page, "satisfaction");

    // Close one more item without any rating: 办结 grows, 已评价 and 满意率 do not move.
    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let r =
        app.api("POST", "/api/v1/opinions", Some(&staff), Some(json!({"content": "村口垃圾桶满了没人清运。"}))).await;
    let id = super::opinion_of(&app, r.json()["tracking_no"].as_str().unwrap()).await;
    let unit = demo_unit(&app).await;
    for (who, step, body) in [
        (&staff, "assign", json!({"units": [{"unit_id": unit, "role": "lead"}]})),
        (&unit_token, "accept", json!({})),
        (&unit_token, "reply", json!({"result": "resolved", "text": "已清运。"})),
        (&staff, "close", json!({})),
    ] {
        let r = app.api("POST", &format!("/api/v1/opinions/{id}/{step}"), Some(who), Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
    }
    let after = leader.get("/console/opinions/stats").await;
    assert_eq!(text(&after, "closed").parse::<i64>().unwrap(), text(&page, "closed").parse::<i64>().unwrap() + 1);
    assert_eq!(text(&after, "rated"), rated.to_string());
    assert_eq!(text(&after, "unrated").parse::<i64>().unwrap(), text(&page, "unrated").parse::<i64>().unwrap() + 1);
    assert_eq!(text(&after, "satisfaction"), satisfaction_before, "an unrated item changed the satisfaction rate");

    // Excel export; units see no statistics.
    let x = leader.get("/console/opinions/stats?format=xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.bytes.starts_with(b"PK"));
    let mut u = app.login("unit").await;
    assert_eq!(u.get("/console/opinions/stats").await.status, StatusCode::NOT_FOUND);
}
demo_test!(figures_match_the_rows_and_unrated_is_not_satisfied);

/// The demo's opinions counted by hand from their rows: (closed, on time, rated closed,
/// satisfied closed, unsatisfied (latest rating), unsatisfied still open).
async fn hand_count(app: &TestApp) -> [i64; 6] {
    let items = db::query_rows(
        app.db(),
        "SELECT i.id, i.state, i.deadline_at, i.replied_at FROM opinions op JOIN handling_items i ON i.id = op.item_id",
        vec![],
    )
    .await
    .unwrap();
    // The submitter's latest rating of each item: the last one by id.
    let mut latest: HashMap<i64, String> = HashMap::new();
    for r in db::query_rows(
        app.db(),
        "SELECT item_id, grade FROM handling_ratings WHERE rater = 'submitter' ORDER BY id",
        vec![],
    )
    .await
    .unwrap()
    {
        latest.insert(r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap());
    }
    let mut n = [0; 6];
    for r in items {
        let id: i64 = r.try_get_by_index(0).unwrap();
        let closed = r.try_get_by_index::<String>(1).unwrap() == "closed";
        let deadline: Option<i64> = r.try_get_by_index(2).unwrap();
        let replied: Option<i64> = r.try_get_by_index(3).unwrap();
        let grade = latest.get(&id).map(String::as_str);
        if closed {
            n[0] += 1;
            // On time: answered by the deadline; an item without a deadline counts as on time.
            if deadline.is_none_or(|d| replied.is_some_and(|r| r <= d)) {
                n[1] += 1;
            }
            if grade.is_some() {
                n[2] += 1;
            }
            if matches!(grade, Some("satisfied" | "basically_satisfied")) {
                n[3] += 1;
            }
        }
        if grade == Some("unsatisfied") {
            n[4] += 1;
            if !closed {
                n[5] += 1;
            }
        }
    }
    n
}

/// 「93.4%」 of `num / den`, rounded half up.
fn percent(num: i64, den: i64) -> String {
    let p = (num * 1000 + den / 2) / den;
    format!("{}.{}%", p / 10, p % 10)
}

async fn each_rate_shows_what_it_is_made_of_and_matches_a_hand_count(app: TestApp) {
    let [closed, on_time, rated, satisfied, unsatisfied, unsatisfied_open] = hand_count(&app).await;
    // The demo's figures are believable: some closed late, some closed although 不满意, some
    // 不满意 still being handled again.
    assert!(0 < on_time && on_time < closed, "{on_time} / {closed}");
    assert!(0 < satisfied && satisfied < rated && rated < closed, "{satisfied} / {rated} / {closed}");
    assert!(unsatisfied_open > 0 && unsatisfied > unsatisfied_open, "{unsatisfied} {unsatisfied_open}");

    let mut leader = app.login("leader").await;
    let page = leader.get("/console/opinions/stats").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let text = |id: &str| page.texts(&format!("#{id}"))[0].clone();
    assert_eq!(text("on-time-num"), on_time.to_string());
    assert_eq!(text("on-time-den"), closed.to_string());
    assert_eq!(text("on-time"), percent(on_time, closed));
    assert_eq!(text("satisfaction-num"), satisfied.to_string());
    assert_eq!(text("satisfaction-den"), rated.to_string());
    assert_eq!(text("satisfaction"), percent(satisfied, rated));
    assert_eq!(text("unsatisfied"), unsatisfied.to_string());
    assert_eq!(text("unsatisfied-closed"), (rated - satisfied).to_string());
    assert_eq!(text("unsatisfied-open"), unsatisfied_open.to_string());
    // The definitions are in words beside the figures.
    let defs = page.texts("#definitions dd").join("");
    assert!(defs.contains("按期办结件数 ÷ 办结件数") && defs.contains("仍在二次办理的事项不计入"), "{defs}");

    // The API gives the same numerators, denominators and rates, and the definitions.
    let token = app.token("leader", Scope::Read).await;
    let r = app.api("GET", "/api/v1/opinions/stats", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    let t = &j["totals"];
    let permille = |n: i64, d: i64| (n * 1000 + d / 2) / d;
    assert_eq!(
        t["on_time_rate"],
        json!({"numerator": on_time, "denominator": closed, "permille": permille(on_time, closed)})
    );
    assert_eq!(
        t["satisfaction"],
        json!({"numerator": satisfied, "denominator": rated, "permille": permille(satisfied, rated)})
    );
    assert_eq!(t["unsatisfied"], json!(unsatisfied));
    assert_eq!(t["unsatisfied_open"], json!(unsatisfied_open));
    assert_eq!(t["closed"], json!(closed));
    assert_eq!(j["definitions"].as_array().unwrap().len(), 2);
    let dims: Vec<&str> =
        j["breakdowns"].as_array().unwrap().iter().map(|b| b["dimension"].as_str().unwrap()).collect();
    assert_eq!(dims, ["channel", "category", "station", "deputy", "area", "unit", "month"]);
    // A month the API cannot read is a 422 naming the parameter; units get no figures.
    let r = app.api("GET", "/api/v1/opinions/stats?from=2026-13", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("from"), "{}", r.body);
    // As the document's pattern says: an empty value, or one with spaces, is no month either.
    for bad in ["to=", "to=%202026-11", "from=2026-1"] {
        let r = app.api("GET", &format!("/api/v1/opinions/stats?{bad}"), Some(&token), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", r.body);
    }
    let unit = app.token("unit", Scope::Read).await;
    let r = app.api("GET", "/api/v1/opinions/stats", Some(&unit), None).await;
    assert!(matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{}", r.status);

    // Drill-down from every dimension: a row's link lists as many opinions as the row counts.
    for dim in ["channel", "category", "station", "deputy", "area", "unit", "month"] {
        let html = page.html();
        let row = scraper::Selector::parse(&format!("#by-{dim} tbody tr")).unwrap();
        let first = html.select(&row).next().unwrap_or_else(|| panic!("no rows by {dim}"));
        let link = first.select(&scraper::Selector::parse("a").unwrap()).next().unwrap();
        let href = link.value().attr("href").unwrap().to_string();
        let counted: String =
            first.select(&scraper::Selector::parse("td").unwrap()).next().unwrap().text().collect::<String>();
        let list = leader.get(&href).await;
        assert_eq!(list.status, StatusCode::OK, "{href}");
        assert_eq!(list.texts("#count strong"), [counted.trim()], "{dim}: {href}");
        // The list says which filter the statistics applied.
        if dim != "channel" && dim != "category" {
            assert_eq!(list.texts("#active-filters li").len(), 1, "{dim}: {href}");
        }
    }
}
demo_test!(each_rate_shows_what_it_is_made_of_and_matches_a_hand_count);

/// The number format of a cell of the first sheet (`H2`), read from the workbook's XML.
fn number_format(xlsx: &[u8], cell: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    let styles = read("xl/styles.xml");
    let at = sheet.find(&format!("<c r=\"{cell}\"")).unwrap_or_else(|| panic!("no cell {cell}"));
    let tag = &sheet[at..at + sheet[at..].find('>').unwrap()];
    let style: usize = tag.split(" s=\"").nth(1).map_or(0, |s| s[..s.find('"').unwrap()].parse().unwrap());
    let xfs = &styles[styles.find("<cellXfs").unwrap()..];
    let xf = xfs.split("<xf ").nth(style + 1).unwrap();
    let id: u32 = xf.split("numFmtId=\"").nth(1).map_or(0, |s| s[..s.find('"').unwrap()].parse().unwrap());
    match id {
        9 => "0%".into(),
        10 => "0.00%".into(),
        _ => styles
            .split("<numFmt ")
            .find(|f| f.contains(&format!("numFmtId=\"{id}\"")))
            .and_then(|f| f.split("formatCode=\"").nth(1))
            .map(|s| s[..s.find('"').unwrap()].to_string())
            .unwrap_or_default(),
    }
}

async fn the_workbook_holds_rates_as_percent_numbers(app: TestApp) {
    let [closed, on_time, rated, satisfied, ..] = hand_count(&app).await;
    let mut leader = app.login("leader").await;
    let x = leader.get("/console/opinions/stats?format=xlsx").await;
    assert_eq!(x.status, StatusCode::OK);
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(x.bytes.clone())).expect("a workbook");
    let sheet = wb.worksheet_range("民意统计").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(ToString::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let total = sheet.rows().nth(1).unwrap();
    assert_eq!(total[0].to_string(), "合计");
    for (name, num, den) in [("按期办结率", on_time, closed), ("满意率", satisfied, rated)] {
        let c = col(name);
        // A number (the rate as a fraction, per mille rounded half up), not text …
        let Data::Float(v) = total[c] else { panic!("{name}: {:?}", total[c]) };
        assert!((v - ((num * 1000 + den / 2) / den) as f64 / 1000.0).abs() < 1e-9, "{name}: {v}");
        // … shown as a percentage with one decimal.
        let cell = format!("{}2", (b'A' + c as u8) as char);
        assert_eq!(number_format(&x.bytes, &cell), "0.0%", "{name} at {cell}");
    }
    // What each rate is made of is in the workbook too.
    assert_eq!(total[col("按期办结")].to_string(), on_time.to_string());
    assert_eq!(total[col("满意和基本满意")].to_string(), satisfied.to_string());
    let words: String = sheet.rows().flat_map(|r| r.iter().map(ToString::to_string)).collect();
    assert!(words.contains("满意率 =（满意 + 基本满意）÷ 已评价的办结件数"), "the definitions are in the workbook");
}
demo_test!(the_workbook_holds_rates_as_percent_numbers);
