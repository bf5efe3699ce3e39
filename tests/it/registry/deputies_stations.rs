//! REG-3, REG-8 to REG-14, PLAT-17: the registry as citizens, the API and importers meet it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use renda::audit::Actor;
use renda::db;
use renda::registry::geo::haversine_m;
use renda::registry::import::{self, ImportError};
use renda::registry::persons::{self, MandateInput};
use renda::registry::roster;

use crate::demo_test;
use crate::support::TestApp;

async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

async fn demo_registry_spans_five_levels(app: TestApp) {
    assert!(count(&app, "SELECT count(*) FROM persons").await >= 300);
    assert!(count(&app, "SELECT count(*) FROM stations").await >= 30);
    assert!(count(&app, "SELECT count(DISTINCT type_id) FROM stations").await >= 5);
    for level in ["national", "provincial", "city", "county", "township"] {
        let r = app.api("GET", &format!("/api/v1/deputies?level={level}&limit=200"), None, None).await;
        assert_eq!(r.status, StatusCode::OK);
        let items = r.json()["items"].as_array().unwrap().clone();
        assert!(!items.is_empty(), "{level}");
        for d in &items {
            assert!(d["mandates"].as_array().unwrap().iter().any(|m| m["level"] == level && m["status"] == "serving"));
        }
    }
    // Some hold mandates at two levels at once.
    let two = count(
        &app,
        "SELECT count(*) FROM (SELECT person_id FROM mandates WHERE status = 'serving' GROUP BY person_id \
         HAVING count(DISTINCT level) >= 2) t",
    )
    .await;
    assert!(two >= 10, "{two}");
    // Duty slots exist for the coming weeks.
    let today = renda::registry::stations::today().format("%Y-%m-%d").to_string();
    let future = db::scalar_i64(app.db(), "SELECT count(*) FROM duty_slots WHERE slot_date >= $1", vec![today.into()])
        .await
        .unwrap();
    assert!(future > 100, "{future}");
    // The API never carries private fields.
    let r = app.api("GET", "/api/v1/deputies?limit=200", None, None).await;
    assert!(!r.body.contains("mobile") && !r.body.contains("birth_date"));
    assert!(r.json()["next_cursor"].is_string());
}
demo_test!(demo_registry_spans_five_levels);

/// Exact nearest stations: the API's answer equals a brute-force scan over every station.
async fn nearest_matches_brute_force(app: TestApp) {
    let rows =
        db::query_rows(app.db(), "SELECT id, lat, lng FROM stations WHERE lat IS NOT NULL", vec![]).await.unwrap();
    let all: Vec<(i64, f64, f64)> = rows
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap()))
        .collect();
    let mut seed = 12345u64;
    for _ in 0..25 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let lat = 35.7 + (seed >> 33) as f64 / (1u64 << 31) as f64 * 0.5;
        let lng = 119.1 + (seed & 0xffff) as f64 / 65536.0 * 0.6;
        let r = app.api("GET", &format!("/api/v1/stations/nearest?lat={lat}&lng={lng}&limit=5"), None, None).await;
        assert_eq!(r.status, StatusCode::OK);
        let got: Vec<(i64, f64)> = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["id"].as_i64().unwrap(), i["distance_m"].as_f64().unwrap()))
            .collect();
        let mut brute: Vec<(i64, f64)> = all.iter().map(|(id, a, b)| (*id, haversine_m(lat, lng, *a, *b))).collect();
        brute.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
        assert_eq!(got.len(), 5);
        for (g, b) in got.iter().zip(&brute) {
            assert_eq!(g.0, b.0, "at {lat},{lng}");
            assert!((g.1 - b.1).abs() < 0.1);
        }
    }
    // The nearest answer carries the same station record as the station endpoint.
    let near = app.api("GET", "/api/v1/stations/nearest?lat=35.99&lng=119.41&limit=3", None, None).await.json();
    for item in near["items"].as_array().unwrap() {
        let mut item = item.clone();
        item.as_object_mut().unwrap().remove("distance_m");
        let one = app.api("GET", &format!("/api/v1/stations/{}", item["id"]), None, None).await.json();
        assert_eq!(item, one);
    }
    // Bad input is a Chinese 422, not a 500.
    for q in ["lat=abc&lng=1", "lat=91&lng=0", "lat=35&lng=119&limit=0", "lng=119"] {
        let r = app.api("GET", &format!("/api/v1/stations/nearest?{q}"), None, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
}
demo_test!(nearest_matches_brute_force);

async fn find_by_location_area_and_keyword(app: TestApp) {
    let mut b = app.browser().await;
    // Without JavaScript the page offers the township picker and the keyword field.
    let r = b.get("/find").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.texts("#area option").iter().any(|t| t == "密州街道"));
    // From a location: nearest first, with distance, next duty and a navigation link.
    let r = b.get("/find?lat=35.9658&lng=119.5147").await;
    let names = r.texts(".station-item h3");
    assert!(names[0].contains("密州街道"), "{names:?}");
    let distances = r.texts(".distance");
    assert!(distances[0].ends_with('米') || distances[0].ends_with("公里"));
    assert!(r.body.contains("uri.amap.com/marker?position=") && r.body.contains("coordinate=wgs84"));
    assert!(r.body.contains("下次接待"));
    // From the area picker.
    let area = db::scalar_i64(app.db(), "SELECT id FROM areas WHERE name = '桃林镇'", vec![]).await.unwrap();
    let r = b.get(&format!("/find?area={area}")).await;
    assert!(r.texts(".station-item h3")[0].contains("桃林镇"));
    // From a keyword: station names and deputies' names.
    let r = b.get("/find?q=%E7%9B%B8%E5%B7%9E").await; // 相州
    assert!(r.texts(".station-item h3").iter().all(|n| n.contains("相州")));
    assert_eq!(r.texts(".results-head"), ["找到的联络站"], "no position, so no claim of nearness");
    // A keyword can be a deputy's name (matched from its start, so it stays an index look-up).
    let (id, name): (i64, String) = {
        let rows =
            db::query_rows(app.db(), "SELECT person_id FROM mandates WHERE level = 'national'", vec![]).await.unwrap();
        let id: i64 = rows[0].try_get_by_index(0).unwrap();
        (id, persons::person(app.db(), id).await.unwrap().unwrap().name)
    };
    let r = b.get(&format!("/find?q={}", urlencode(&name))).await;
    assert!(r.body.contains(&format!("href=\"/d/{id}\"")), "deputy found by name");
    let surname: String = name.chars().take(1).collect();
    let api = app.api("GET", &format!("/api/v1/deputies?q={}&limit=200", urlencode(&surname)), None, None).await.json();
    let names: Vec<&str> = api["items"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert!(!names.is_empty() && names.iter().all(|n| n.starts_with(&surname)), "{names:?}");
    // Level filter: only stations where a national deputy is stationed.
    let r = b.get("/find?lat=35.99&lng=119.41&level=national").await;
    let national_station = db::scalar_i64(
        app.db(),
        "SELECT sd.station_id FROM station_deputies sd JOIN mandates m ON m.person_id = sd.person_id \
         WHERE m.level = 'national' ORDER BY sd.station_id LIMIT 1",
        vec![],
    )
    .await
    .unwrap();
    assert!(r.body.contains(&format!("href=\"/s/{national_station}\"")));
    // Bad input: a message or a 422, never a 500.
    assert!(b.get("/find?lat=abc&lng=1").await.body.contains("无法识别您的位置"));
    assert_eq!(b.get("/find?level=mars").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b.get("/find?area=abc").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}
demo_test!(find_by_location_area_and_keyword);

async fn deputy_and_station_pages_show_no_private_data(app: TestApp) {
    let mut b = app.browser().await;
    let id = db::scalar_i64(app.db(), "SELECT person_id FROM mandates WHERE level = 'national'", vec![]).await.unwrap();
    let p = persons::person(app.db(), id).await.unwrap().unwrap();
    let mobile = app.state.crypto.decrypt(p.mobile_enc.as_deref().unwrap()).unwrap();
    let r = b.get(&format!("/d/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&p.name) && r.body.contains("全国人大代表"));
    // Highest level first: the national mandate heads the list, the county one follows.
    let titles = r.texts(".mandates li");
    assert!(titles.len() >= 2 && titles[0].contains("全国") && titles[1].contains("诸城市"), "{titles:?}");
    assert!(!r.body.contains(&mobile) && !r.body.contains(&mobile[7..]));
    // The 留言 button leads to the form of the 民意 loop, addressed to this deputy.
    assert!(r.body.contains(&format!("/opinions/new?deputy={id}")));
    let form = b.get(&format!("/opinions/new?deputy={id}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(&p.name));
    let station = db::scalar_i64(
        app.db(),
        "SELECT min(r.station_id) FROM duty_rules r JOIN mandates m ON m.person_id = r.person_id \
         WHERE m.level = 'township'",
        vec![],
    )
    .await
    .unwrap();
    let r = b.get(&format!("/s/{station}")).await;
    assert_eq!(r.status, StatusCode::OK);
    // Its township deputies are headed by the town's own congress.
    let town: String = db::query_rows(
        app.db(),
        "SELECT a.name FROM stations s JOIN areas a ON a.id = s.area_id WHERE s.id = $1",
        vec![station.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert!(r.body.contains("近期接待安排") && r.body.contains(&format!("{town}人大代表")), "{town}");
    assert_eq!(b.get(&format!("/s/{station}/card")).await.status, StatusCode::OK);
    // A former deputy has no public card; unknown ids are 404.
    let former =
        db::scalar_i64(app.db(), "SELECT person_id FROM mandates WHERE status = 'resigned'", vec![]).await.unwrap();
    let serving = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM mandates WHERE person_id = $1 AND status = 'serving'",
        vec![former.into()],
    );
    if serving.await.unwrap() == 0 {
        assert_eq!(b.get(&format!("/d/{former}")).await.status, StatusCode::NOT_FOUND);
    }
    for path in ["/d/99999999", "/s/0", "/d/abc", "/s/1%27", "/s/1/qr.gif", "/d/1/cards"] {
        assert_eq!(b.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}
demo_test!(deputy_and_station_pages_show_no_private_data);

fn decode_qr_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    grids[0].decode().unwrap().1
}

async fn qr(app: &TestApp, path: &str) -> String {
    let req = Request::get(path).header(header::HOST, "rd.zhucheng.example").body(Body::empty()).unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{path}");
    assert_eq!(r.header("content-type"), Some("image/png"));
    decode_qr_png(&r.bytes)
}

async fn qr_codes_decode_to_stable_urls(app: TestApp) {
    let station = db::scalar_i64(app.db(), "SELECT min(id) FROM stations", vec![]).await.unwrap();
    let deputy = db::scalar_i64(app.db(), "SELECT min(person_id) FROM mandates", vec![]).await.unwrap();
    assert_eq!(qr(&app, &format!("/s/{station}/qr.png")).await, format!("http://rd.zhucheng.example/s/{station}"));
    assert_eq!(qr(&app, &format!("/d/{deputy}/qr.png")).await, format!("http://rd.zhucheng.example/d/{deputy}"));
    // Under a township organ of a multi-organ install the code carries the organ prefix.
    let township_station = db::scalar_i64(
        app.db(),
        "SELECT s.id FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.code = '370782001' ORDER BY s.id",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(
        qr(&app, &format!("/o/370782001/s/{township_station}/qr.png")).await,
        format!("http://rd.zhucheng.example/o/370782001/s/{township_station}")
    );
    let svg = app.api("GET", &format!("/s/{station}/qr.svg"), None, None).await;
    assert!(svg.body.starts_with("<svg") && svg.header("content-type") == Some("image/svg+xml"));
}
demo_test!(qr_codes_decode_to_stable_urls);

async fn organ_prefix_scopes_public_pages(app: TestApp) {
    let in_other = db::scalar_i64(
        app.db(),
        "SELECT s.id FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.code = '370782002' ORDER BY s.id",
        vec![],
    )
    .await
    .unwrap();
    let mut b = app.browser().await;
    assert_eq!(b.get(&format!("/o/370782001/s/{in_other}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get(&format!("/o/370782002/s/{in_other}")).await.status, StatusCode::OK);
    assert_eq!(b.get(&format!("/s/{in_other}")).await.status, StatusCode::OK, "short form for the default organ");
    // The county's own code answers like the short form; unknown and external organs do not.
    assert_eq!(b.get(&format!("/o/370782/s/{in_other}")).await.status, StatusCode::OK);
    assert_eq!(b.get("/o/999999/find").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/o/370700/find").await.status, StatusCode::NOT_FOUND);
    // /find under a township organ lists only that organ's stations.
    let r = b.get("/o/370782001/find?lat=35.99&lng=119.41").await;
    let names = r.texts(".station-item h3");
    assert!(!names.is_empty() && names.iter().all(|n| n.contains("密州")), "{names:?}");
}
demo_test!(organ_prefix_scopes_public_pages);

fn actor() -> Actor {
    Actor { account_id: None, name: "测试".into(), on_behalf_of: None, client: "test".into() }
}

async fn mandate_rules_and_events(app: TestApp) {
    let key = app.state.audit_key().to_vec();
    let county = app.organ_id("370782").await;
    let c = app.db();
    let txn = db::begin_write(c).await.unwrap();
    let input =
        persons::validate(&persons::PersonInput {
            name: "测试代表".into(), gender: "女".into(), ..Default::default()
        })
        .unwrap();
    let p = persons::create_person(&txn, &key, &app.state.crypto, &actor(), county, &input).await.unwrap();
    let end = |kind: &str, date: &str, note: &str| persons::EndMandate::parse(kind, date, note).unwrap();
    let m = |term, how: &str, date: Option<&str>| MandateInput {
        organ_id: county,
        term,
        constituency: "密州街道代表组".into(),
        start_date: date.map(String::from),
        how: how.into(),
    };
    let first = persons::add_mandate(&txn, &key, &actor(), p, &m(19, "elected", Some("2021-09-28"))).await.unwrap();
    // One mandate per organ and term; a by-election needs its date.
    assert!(persons::add_mandate(&txn, &key, &actor(), p, &m(19, "elected", None)).await.is_err());
    assert!(persons::add_mandate(&txn, &key, &actor(), p, &m(20, "by_election", None)).await.is_err());
    // Recall ends the mandate; ending it twice is a conflict.
    persons::end_mandate(&txn, &key, &actor(), first, &end("recalled", "2025-05-06", "依法罢免")).await.unwrap();
    let again = persons::end_mandate(&txn, &key, &actor(), first, &end("resigned", "2025-05-07", "")).await;
    assert!(matches!(again, Err(renda::app::error::AppError::Conflict(_))));
    let events: Vec<String> = persons::mandate_events(&txn, p).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(events, ["elected", "recalled"]);
    // 换届: every serving term-19 county mandate ends as 届满; the re-elected get term 20.
    let serving = db::scalar_i64(
        &txn,
        "SELECT count(*) FROM mandates WHERE organ_id = $1 AND term = 19 AND status = 'serving'",
        vec![county.into()],
    )
    .await
    .unwrap();
    let some: Vec<i64> = db::query_rows(
        &txn,
        "SELECT person_id FROM mandates WHERE organ_id = $1 AND term = 19 AND status = 'serving' ORDER BY id LIMIT 5",
        vec![county.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index(0).unwrap())
    .collect();
    let (ended, re) = persons::change_term(&txn, &key, &actor(), county, 19, "2026-12-28", &some).await.unwrap();
    assert_eq!((ended as i64, re), (serving, 5));
    txn.commit().await.unwrap();
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM mandates WHERE organ_id = {county} AND status = 'serving'")).await,
        5
    );
    assert!(renda::audit::verify(c, &key).await.unwrap().is_ok());
}
demo_test!(mandate_rules_and_events);

fn roster_file(rows: &[roster::RosterRow]) -> Vec<u8> {
    roster::write(rows)
}

fn row(name: &str, township: &str, county_term: Option<i32>) -> roster::RosterRow {
    roster::RosterRow {
        masked: Default::default(),
        row: 0,
        id: None,
        name: name.into(),
        gender: roster::Gender::Female,
        ethnicity: "汉族".into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 5, 17),
        party: "群众".into(),
        education: "大学".into(),
        occupation: "专业技术人员".into(),
        work_unit: "诸城市人民医院医生".into(),
        expertise: vec!["医疗卫生".into()],
        public_contact: String::new(),
        mobile: Some("13905361234".into()),
        township: township.into(),
        station: String::new(),
        mandates: county_term
            .map(|t| {
                vec![roster::RosterMandate {
                    level: renda::registry::Level::County,
                    term: t,
                    constituency: "密州街道代表组".into(),
                }]
            })
            .unwrap_or_default(),
    }
}

async fn run_import(app: &TestApp, bytes: &[u8]) -> Result<import::ImportSummary, ImportError> {
    let organ = renda::org::organ_by_code(app.db(), "370782").await.unwrap().unwrap();
    let parsed = import::parse_roster(bytes.to_vec()).await.map_err(ImportError::Rows)?;
    let txn = db::begin_write(app.db()).await.unwrap();
    let r = match import::check(&txn, &app.state.crypto, &organ, &parsed).await.unwrap() {
        Ok(plan) => import::apply(&txn, app.state.audit_key(), &app.state.crypto, &actor(), &organ, &plan)
            .await
            .map_err(ImportError::Db),
        Err(issues) => Err(ImportError::Rows(issues)),
    };
    if r.is_ok() {
        txn.commit().await.unwrap();
    }
    r
}

async fn roster_import_is_all_or_nothing_and_export_round_trips(app: TestApp) {
    let before = count(&app, "SELECT count(*) FROM persons").await;
    // A file with one good and two bad rows: nothing is written, each problem is reported.
    let bad = roster_file(&[
        row("孙晓燕", "密州街道", Some(19)),
        row("周明", "火星镇", Some(19)),
        row("吴刚", "龙都街道", None),
    ]);
    let Err(ImportError::Rows(issues)) = run_import(&app, &bad).await else { panic!("bad file accepted") };
    assert!(issues.iter().any(|i| i.row == 3 && i.column == "所在镇街" && i.reason.contains("火星镇")), "{issues:?}");
    assert!(issues.iter().any(|i| i.row == 4 && i.reason.contains("届次")), "{issues:?}");
    assert!(!issues.iter().any(|i| i.row == 2), "the good row has no issue: {issues:?}");
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, before);
    // Every problem at once: a cell's own (the mobile number) and those found against the
    // database (the station, the township), in one row and in another.
    let mut both = row("钱多多", "密州街道", Some(19));
    both.mobile = Some("12345678901".into());
    both.station = "没有这个联络站".into();
    let Err(ImportError::Rows(issues)) = run_import(&app, &roster_file(&[both, row("周明", "火星镇", Some(19))])).await
    else {
        panic!("bad file accepted")
    };
    assert!(issues.iter().any(|i| i.row == 2 && i.column == "手机号码"), "{issues:?}");
    assert!(issues.iter().any(|i| i.row == 2 && i.column == "进站联络站"), "{issues:?}");
    assert!(issues.iter().any(|i| i.row == 3 && i.column == "所在镇街"), "{issues:?}");
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, before);
    // Not a spreadsheet at all.
    let Err(ImportError::Rows(issues)) = run_import(&app, b"PK\x03\x04 nonsense").await else { panic!() };
    assert_eq!(issues[0].row, 0);
    // A good file creates the persons with their mandates.
    let good = roster_file(&[row("孙晓燕", "密州街道", Some(19)), row("周明", "桃林镇", Some(19))]);
    let s = run_import(&app, &good).await.unwrap();
    assert_eq!((s.created, s.updated), (2, 0));
    assert_eq!(count(&app, "SELECT count(*) FROM persons").await, before + 2);
    // Export, then import the exported file: nothing changes.
    let organ = renda::org::organ_by_code(app.db(), "370782").await.unwrap().unwrap();
    let (exported, n) =
        import::export_roster(app.db(), &app.state.crypto, &organ.path, import::Privacy::Full).await.unwrap();
    let rows = roster::parse(&exported).unwrap();
    assert_eq!(n, rows.len());
    assert_eq!(
        rows.len() as i64,
        count(&app, "SELECT count(DISTINCT person_id) FROM mandates WHERE status = 'serving'").await
    );
    assert!(rows.iter().all(|r| r.id.is_some()));
    let audit_before = count(&app, "SELECT count(*) FROM audit_log").await;
    let s = run_import(&app, &exported).await.unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (0, 0, rows.len()));
    assert_eq!(count(&app, "SELECT count(*) FROM audit_log").await, audit_before + 1, "only the import itself");
    // The masked export (the default) imports back unchanged too: masked mobiles and birth
    // dates keep the values on file.
    let (masked, _) =
        import::export_roster(app.db(), &app.state.crypto, &organ.path, import::Privacy::Masked).await.unwrap();
    let mobiles_before = count(&app, "SELECT count(*) FROM persons WHERE mobile_enc IS NOT NULL").await;
    let s = run_import(&app, &masked).await.unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (0, 0, rows.len()));
    assert_eq!(count(&app, "SELECT count(*) FROM persons WHERE mobile_enc IS NOT NULL").await, mobiles_before);
    // A row with an id updates that person.
    let mut edited = rows.clone();
    let target = edited.iter_mut().find(|r| r.name == "周明").unwrap();
    target.work_unit = "桃林镇卫生院院长".into();
    let id = target.id.unwrap();
    let s = run_import(&app, &roster::write(&edited)).await.unwrap();
    assert_eq!((s.created, s.updated), (0, 1));
    assert_eq!(persons::person(app.db(), id).await.unwrap().unwrap().work_unit, "桃林镇卫生院院长");
    // An unknown id is refused.
    let mut unknown = vec![row("郑好", "密州街道", Some(19))];
    unknown[0].id = Some(987654321);
    let Err(ImportError::Rows(issues)) = run_import(&app, &roster::write(&unknown)).await else { panic!() };
    assert_eq!(issues[0].column, "编号");
}
demo_test!(roster_import_is_all_or_nothing_and_export_round_trips);

async fn popolo_export(app: TestApp) {
    let doc = app.api("GET", "/api/v1/popolo.json", None, None).await.json();
    let persons = doc["persons"].as_array().unwrap();
    let serving = count(&app, "SELECT count(DISTINCT person_id) FROM mandates WHERE status = 'serving'").await;
    assert_eq!(persons.len() as i64, serving);
    let org_ids: Vec<&str> =
        doc["organizations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    let person_ids: Vec<&str> = persons.iter().map(|p| p["id"].as_str().unwrap()).collect();
    for m in doc["memberships"].as_array().unwrap() {
        assert!(org_ids.contains(&m["organization_id"].as_str().unwrap()));
        assert!(person_ids.contains(&m["person_id"].as_str().unwrap()));
    }
    assert!(!doc["areas"].as_array().unwrap().is_empty());
    // Per organ and term.
    let county = app.organ_id("370782").await;
    let doc = app.api("GET", &format!("/api/v1/popolo.json?organ={county}&term=19"), None, None).await.json();
    let n = count(&app, &format!("SELECT count(*) FROM mandates WHERE organ_id = {county} AND term = 19")).await;
    assert_eq!(doc["memberships"].as_array().unwrap().len() as i64, n);
    assert_eq!(
        app.api("GET", "/api/v1/popolo.json?organ=x", None, None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
demo_test!(popolo_export);

async fn station_api_and_schedule(app: TestApp) {
    let r = app.api("GET", "/api/v1/stations?type=village_point&limit=5", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|s| s["type"] == "village_point" && s["lat"].is_f64() && s["address"].is_string()));
    assert_eq!(app.api("GET", "/api/v1/stations?type=ufo", None, None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let with_rules = db::scalar_i64(app.db(), "SELECT min(station_id) FROM duty_rules", vec![]).await.unwrap();
    let r = app.api("GET", &format!("/api/v1/stations/{with_rules}/schedule"), None, None).await;
    let slots = r.json()["items"].as_array().unwrap().clone();
    assert!(!slots.is_empty());
    assert!(slots.windows(2).all(|w| w[0]["date"].as_str() <= w[1]["date"].as_str()));
    assert!(slots[0]["deputy_name"].is_string() && slots[0]["start_time"].is_string());
    let r = app.api("GET", &format!("/api/v1/stations/{with_rules}"), None, None).await;
    assert_eq!(r.json()["id"], with_rules);
    let deputy = slots[0]["deputy_id"].as_i64().unwrap();
    // The public page shows the same next slot, with the deputy's link.
    let page = app.api("GET", &format!("/s/{with_rules}"), None, None).await;
    let first = page.texts(".slots li").into_iter().next().unwrap_or_default();
    assert!(first.contains(slots[0]["deputy_name"].as_str().unwrap()), "{first}");
    assert!(page.body.contains(&format!("href=\"/d/{deputy}\"")));
    // The deputy's card shows the same slot under 近期进站接待, with the station's name.
    let card = app.api("GET", &format!("/d/{deputy}"), None, None).await;
    let station_name = r_station_name(&app, with_rules).await;
    assert!(card.texts(".slots li").iter().any(|t| t.contains(&station_name)), "{:?}", card.texts(".slots li"));
    let r = app.api("GET", &format!("/api/v1/deputies?station={with_rules}&limit=200"), None, None).await;
    assert!(r.json()["items"].as_array().unwrap().iter().any(|d| d["id"] == deputy));
    let r = app.api("GET", &format!("/api/v1/deputies/{deputy}"), None, None).await;
    assert!(r.json()["station_ids"].as_array().unwrap().iter().any(|s| *s == with_rules));
}
demo_test!(station_api_and_schedule);

/// PLAT-14 through station photos: judged by content, size-limited, public once attached,
/// removable, audited; another station's keeper cannot touch them.
async fn station_photos_are_checked_and_served(app: TestApp) {
    let station =
        db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![]).await.unwrap();
    let mut keeper = app.login("keeper").await;
    // A PDF named .jpg is refused with a field message; nothing is stored.
    let r =
        keeper.upload(&format!("/console/registry/stations/{station}/photos"), "file", "门口.jpg", b"%PDF-1.4 x").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|t| t.contains("JPG")), "{:?}", r.texts(".field-error"));
    assert_eq!(count(&app, "SELECT count(*) FROM attachments").await, 0);
    // A real PNG (a QR code will do) is accepted and shown on the public page.
    let png = renda::qr::qr_png("http://example/s/1", 4).unwrap();
    let r = keeper.upload(&format!("/console/registry/stations/{station}/photos"), "file", "门口.png", &png).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = db::scalar_i64(app.db(), "SELECT max(id) FROM attachments", vec![]).await.unwrap();
    let mut visitor = app.browser().await;
    assert!(visitor.get(&format!("/s/{station}")).await.body.contains(&format!("/files/{id}")));
    let file = visitor.get(&format!("/files/{id}")).await;
    assert_eq!((file.status, file.header("content-type")), (StatusCode::OK, Some("image/png")));
    // Stored as cleaned (decoded and re-encoded without metadata), not as uploaded.
    assert_eq!(
        file.bytes,
        renda::attachments::image::clean(&png, "image/png", &renda::attachments::image::LIMITS).unwrap().bytes
    );
    // Another station is not the keeper's: 404, as if it did not exist.
    let other = db::scalar_i64(app.db(), "SELECT max(id) FROM stations", vec![]).await.unwrap();
    let r = keeper.upload(&format!("/console/registry/stations/{other}/photos"), "file", "x.png", &png).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Removal is audited and the file is gone from the public address.
    let r = keeper.post(&format!("/console/registry/stations/{station}/photos/{id}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(visitor.get(&format!("/files/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT count(*) FROM audit_log WHERE action LIKE 'attachment_%'").await, 2);
    assert_eq!(visitor.get("/files/abc").await.status, StatusCode::NOT_FOUND);
}
demo_test!(station_photos_are_checked_and_served);

/// A deputy on a phone: the menu leads to their own record; they set their own portrait,
/// which the public card then shows; another deputy's record stays out of reach.
async fn deputy_sets_own_portrait(app: TestApp) {
    let me =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let mut b = app.login("deputy").await;
    let home = b.get("/console").await;
    assert!(home.texts("nav a").iter().any(|t| t == "我的代表信息"), "{:?}", home.texts("nav a"));
    let r = b.get("/console/registry/me").await;
    assert_eq!(r.header("location"), Some(format!("/console/registry/deputies/{me}").as_str()));
    let png = renda::qr::qr_png("portrait", 4).unwrap();
    let r = b.upload(&format!("/console/registry/deputies/{me}/photo"), "file", "我.png", &png).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let photo = persons::person(app.db(), me).await.unwrap().unwrap().photo_id.expect("photo set");
    let mut visitor = app.browser().await;
    assert!(visitor.get(&format!("/d/{me}")).await.body.contains(&format!("/files/{photo}")));
    let cleaned = renda::attachments::image::clean(&png, "image/png", &renda::attachments::image::LIMITS).unwrap();
    assert_eq!(visitor.get(&format!("/files/{photo}")).await.bytes, cleaned.bytes);
    // Replacing it removes the old file from the public address.
    let png2 = renda::qr::qr_png("portrait 2", 4).unwrap();
    b.upload(&format!("/console/registry/deputies/{me}/photo"), "file", "我2.png", &png2).await;
    assert_eq!(visitor.get(&format!("/files/{photo}")).await.status, StatusCode::NOT_FOUND);
    let other = db::scalar_i64(app.db(), "SELECT min(id) FROM persons WHERE id <> $1", vec![me.into()]).await.unwrap();
    let r = b.upload(&format!("/console/registry/deputies/{other}/photo"), "file", "x.png", &png).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
demo_test!(deputy_sets_own_portrait);

async fn r_station_name(app: &TestApp, id: i64) -> String {
    renda::registry::stations::station(app.db(), id).await.unwrap().unwrap().name
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// REG-9: the station types are configurable; a new one is usable at once in the API filter.
async fn organs_add_their_own_station_types(app: TestApp) {
    let mut b = app.login("staff").await;
    let page = b.get("/console/registry/station-types").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("td").iter().any(|t| t == "代表之家"));
    let r = b.post("/console/registry/station-types", &[("name", "新")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|t| t.contains("2 至 30")));
    let r = b.post("/console/registry/station-types", &[("name", "新就业群体联络站")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let again = b.post("/console/registry/station-types", &[("name", "新就业群体联络站")]).await;
    assert!(again.texts(".field-error").iter().any(|t| t.contains("已有")));
    let id =
        db::scalar_i64(app.db(), "SELECT id FROM station_types WHERE name = '新就业群体联络站'", vec![]).await.unwrap();
    let r = app.api("GET", &format!("/api/v1/stations?type=custom_{id}"), None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.json()["items"].as_array().unwrap().is_empty());
    // Other roles: the keeper may not add types.
    let mut k = app.login("keeper").await;
    assert_eq!(k.post("/console/registry/station-types", &[("name", "某类型")]).await.status, StatusCode::NOT_FOUND);
}
demo_test!(organs_add_their_own_station_types);

/// Accounts that act for a record are created with it: a keeper with its station, a deputy
/// with their person, a unit account with its unit.
async fn admin_creates_accounts_linked_to_their_records(app: TestApp) {
    let mut admin = app.login("admin").await;
    let form = admin.get("/console/admin/accounts/new").await;
    assert!(form.texts("#unit_id option").iter().any(|t| t == "诸城市教育和体育局"));
    let organ = app.organ_id("370782").await.to_string();
    let station = db::scalar_i64(app.db(), "SELECT max(id) FROM stations", vec![]).await.unwrap();
    let station_text = station.to_string();
    let keeper = [
        ("username", "sunzz"),
        ("display_name", "孙站长"),
        ("password", "abcd1234efgh"),
        ("organ_id", organ.as_str()),
        ("roles", "keeper"),
    ];
    let r = admin.post("/console/admin/accounts", &keeper).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|t| t.contains("站点名称")), "{:?}", r.texts(".field-error"));
    let mut with_station = keeper.to_vec();
    with_station.push(("station_id", station_text.as_str()));
    let r = admin.post("/console/admin/accounts", &with_station).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let kept = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM station_keepers k JOIN accounts a ON a.id = k.account_id WHERE a.username = 'sunzz' \
         AND k.station_id = $1",
        vec![station.into()],
    )
    .await
    .unwrap();
    assert_eq!(kept, 1);
    // A deputy account with an unknown person id is refused.
    let deputy = [
        ("username", "sunxx"),
        ("display_name", "孙代表"),
        ("password", "abcd1234efgh"),
        ("organ_id", organ.as_str()),
        ("roles", "deputy"),
        ("deputy_id", "987654321"),
    ];
    let r = admin.post("/console/admin/accounts", &deputy).await;
    assert!(r.texts(".field-error").iter().any(|t| t.contains("987654321")));
}
demo_test!(admin_creates_accounts_linked_to_their_records);

/// The statements one request sends (the caches warmed by a first request).
async fn statements(app: &TestApp, uri: &str) -> u64 {
    renda::db::STATEMENTS
        .scope(std::cell::Cell::new(0), async {
            let req = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
            let r = app.send(req).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}");
            renda::db::STATEMENTS.with(|n| n.get())
        })
        .await
}

/// 我要找代表 reads a constant number of statements whatever the number of stations it
/// considers: candidates, their deputies and their next slots are each one query.
async fn find_reads_a_constant_number_of_statements(app: TestApp) {
    // Warm the per-node caches (organs, station types, township picker) first.
    statements(&app, "/find?lat=35.99&lng=119.41").await;
    let few = statements(&app, "/find?lat=35.99&lng=119.41").await;
    // With a level filter the search reads up to 200 candidate stations.
    let filtered = statements(&app, "/find?lat=35.99&lng=119.41&level=national").await;
    assert!((2..=6).contains(&few), "nearest stations in {few} statements");
    assert_eq!(filtered, few, "a filter that reads every candidate costs no more statements");
    let keyword = statements(&app, "/find?q=%E7%AB%99").await; // 站: many stations by name
    assert!(keyword <= few + 3, "keyword search in {keyword} statements");
}
demo_test!(find_reads_a_constant_number_of_statements);

/// The pages behind the QR codes are what a crowd at a station door opens: a deputy's card is
/// one statement (the person and everything the card shows folded into its row), a station's
/// page two (the record, then the rest in one row), whatever the deputy or station holds — on
/// the SQLite pool every statement is a thread round trip, on PostgreSQL a network one
/// (bench/README.md, the 2026-12-07 runs).
async fn qr_pages_read_two_statements(app: TestApp) {
    let deputy = count(&app, "SELECT min(person_id) FROM station_deputies").await;
    let station = count(
        &app,
        "SELECT station_id FROM station_deputies GROUP BY station_id ORDER BY count(*) DESC, station_id LIMIT 1",
    )
    .await;
    for (uri, n) in [(format!("/d/{deputy}"), 1), (format!("/s/{station}"), 2)] {
        statements(&app, &uri).await;
        assert_eq!(statements(&app, &uri).await, n, "{uri}");
    }
    statements(&app, "/api/v1/stations/nearest?lat=35.99&lng=119.41").await;
    assert_eq!(statements(&app, "/api/v1/stations/nearest?lat=35.99&lng=119.41").await, 1, "nearest");
}
demo_test!(qr_pages_read_two_statements);
