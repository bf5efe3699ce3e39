//! Issue 10, honest 我要找代表 (REG-12) and the stations' points (REG-9, REG-11): no claim of
//! nearness without a position, a far position said so, totals and pages, expertise typed
//! as people type it; coordinates entered in the datum staff have them; the online station's
//! way in; cards and door posters.

use axum::http::StatusCode;
use renda::db;
use renda::registry::geo::{gcj02_to_bd09, haversine_m, wgs84_to_gcj02};

use crate::demo_test;
use crate::support::{Resp, TestApp};

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn scalar(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    db::scalar_i64(app.db(), sql, values).await.unwrap()
}

/// The total of "共 N 个，显示 a–b".
fn total_of(r: &Resp) -> i64 {
    let range = r.texts(".range");
    let text = range.first().unwrap_or_else(|| panic!("no range on the page: {:?}", r.texts(".notice")));
    text.trim_start_matches("共 ").split(' ').next().unwrap().parse().unwrap()
}

async fn township_only_is_listed_by_township_without_distances(app: TestApp) {
    let mut b = app.browser().await;
    let area = scalar(&app, "SELECT id FROM areas WHERE name = '桃林镇'", vec![]).await;
    let r = b.get(&format!("/find?area={area}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let names = r.texts(".station-item h3");
    assert!(!names.is_empty() && names.iter().all(|n| n.contains("桃林镇")), "{names:?}");
    assert!(!r.body.contains("离您最近"), "a township's centre is not where the user is");
    assert!(r.texts(".distance").is_empty(), "no distances without the user's position");
    assert_eq!(r.texts(".results-head"), ["桃林镇的联络站"]);
    assert!(r.texts(".order-note")[0].contains("按所在镇街排列"));
    let in_area = scalar(
        &app,
        "SELECT count(*) FROM stations s JOIN areas a ON a.id = s.area_id WHERE a.path LIKE \
         (SELECT path FROM areas WHERE id = $1) || '%'",
        vec![area.into()],
    )
    .await;
    assert_eq!(total_of(&r), in_area);
}
demo_test!(township_only_is_listed_by_township_without_distances);

async fn a_far_position_is_said_to_be_far(app: TestApp) {
    let mut b = app.browser().await;
    // Beijing, some 500 km from the demo county.
    let r = b.get("/find?lat=39.9087&lng=116.3975").await;
    assert_eq!(r.status, StatusCode::OK);
    let notice = r.texts(".notice").join("");
    assert!(notice.contains("都很远") && notice.contains("选择所在镇街"), "{notice}");
    assert!(!r.body.contains("离您最近"));
    assert!(r.texts("#area option").len() > 1, "the township picker is offered");
    // In the county the nearest are near.
    let r = b.get("/find?lat=35.9658&lng=119.5147").await;
    assert_eq!(r.texts(".results-head"), ["离您最近的联络站"]);
    assert!(r.texts(".notice").is_empty());
}
demo_test!(a_far_position_is_said_to_be_far);

async fn keyword_results_give_the_total_and_page_on(app: TestApp) {
    let mut b = app.browser().await;
    let all =
        scalar(&app, "SELECT count(*) FROM stations WHERE name LIKE '%联络%' OR address LIKE '%联络%'", vec![]).await;
    assert!(all > 16, "the demo has more than two pages of 联络 stations ({all})");
    let r = b.get(&format!("/find?q={}", enc("联络"))).await;
    assert_eq!(r.texts(".range"), [format!("共 {all} 个，显示 1–8")]);
    assert_eq!(r.texts(".station-item").len(), 8);
    let next = r
        .html()
        .select(&scraper::Selector::parse(".pager a[rel=next]").unwrap())
        .next()
        .map(|a| a.value().attr("href").unwrap().replace("&amp;", "&"));
    let next = next.expect("a next page link");
    let r2 = b.get(&next).await;
    assert_eq!(r2.texts(".range"), [format!("共 {all} 个，显示 9–16")]);
    let first: Vec<String> = r.texts(".station-item h3");
    assert!(r2.texts(".station-item h3").iter().all(|n| !first.contains(n)), "page two repeats none of page one");
    // Every page together lists every match once.
    let mut seen = first.len();
    let mut page = 2;
    let mut r = r2;
    loop {
        seen += r.texts(".station-item h3").len();
        if r.texts(".pager a[rel=next]").is_empty() {
            break;
        }
        page += 1;
        r = b.get(&format!("/find?q={}&page={page}", enc("联络"))).await;
    }
    assert_eq!(seen as i64, all);
    assert_eq!(b.get("/find?q=x&page=abc").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}
demo_test!(keyword_results_give_the_total_and_page_on);

async fn expertise_matches_what_people_type(app: TestApp) {
    let mut b = app.browser().await;
    let with_medical = scalar(
        &app,
        "SELECT count(DISTINCT sd.station_id) FROM station_deputies sd JOIN persons p ON p.id = sd.person_id \
         JOIN mandates m ON m.person_id = p.id AND m.status = 'serving' WHERE p.expertise LIKE '%医疗卫生%'",
        vec![],
    )
    .await;
    assert!(with_medical > 0);
    // 医疗 finds the deputies tagged 医疗卫生, by filter alone …
    let r = b.get(&format!("/find?tag={}", enc("医疗"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(total_of(&r), with_medical);
    assert!(!r.texts(".station-item .deputies a").is_empty());
    // … and from a position.
    let r = b.get(&format!("/find?lat=35.99&lng=119.41&tag={}", enc("医疗"))).await;
    assert!(!r.texts(".station-item").is_empty());
    assert!(r.texts(".range")[0].starts_with("离您最近的 200 个站点中共 "), "{:?}", r.texts(".range"));
    // The tag is a text field suggesting the common tags.
    let page = b.get("/find").await;
    assert!(page.html().select(&scraper::Selector::parse("input#tag[list=tag-list]").unwrap()).next().is_some());
    assert!(page.texts("#tag-list option").is_empty() || page.body.contains("<option value=\"医疗卫生\">"));
}
demo_test!(expertise_matches_what_people_type);

async fn the_search_box_example_finds_something(app: TestApp) {
    let mut b = app.browser().await;
    let page = b.get("/find").await;
    let html = page.html();
    let placeholder = html
        .select(&scraper::Selector::parse("#q").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("placeholder")
        .unwrap()
        .to_string();
    let example = placeholder.trim_start_matches("例如：").split('、').next().unwrap().to_string();
    assert!(!example.is_empty() && example != placeholder, "{placeholder}");
    let r = b.get(&format!("/find?q={}", enc(&example))).await;
    assert!(!r.texts(".station-item").is_empty(), "the example {example} finds nothing");
}
demo_test!(the_search_box_example_finds_something);

async fn coordinates_are_entered_in_the_datum_staff_have(app: TestApp) {
    let mut b = app.login("staff").await;
    let kind = scalar(&app, "SELECT min(id) FROM station_types", vec![]).await.to_string();
    let area = scalar(&app, "SELECT id FROM areas WHERE code = '370782'", vec![]).await.to_string();
    // A point in the county, as 高德 (GCJ-02) and 百度 (BD-09) pickers show it.
    let wgs = (35.995654, 119.410210);
    let gcj = wgs84_to_gcj02(wgs.0, wgs.1);
    let bd = gcj02_to_bd09(gcj.0, gcj.1);
    let bd_pair = format!("{:.7},{:.7}", bd.1, bd.0); // 百度 writes 经度,纬度
    let (gcj_lat, gcj_lng) = (format!("{:.7}", gcj.0), format!("{:.7}", gcj.1));
    let base = |name: &'static str| {
        vec![("name", name), ("type_id", kind.as_str()), ("area_id", area.as_str()), ("address", "密州路 9 号")]
    };
    let mut form = base("百度坐标试验站");
    form.extend([("datum", "bd09"), ("coords", bd_pair.as_str())]);
    let r = b.post("/console/registry/stations", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.texts(".field-error").join(" "));
    let mut form = base("高德坐标试验站");
    form.extend([("datum", "gcj02"), ("lat", gcj_lat.as_str()), ("lng", gcj_lng.as_str())]);
    let r = b.post("/console/registry/stations", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.texts(".field-error").join(" "));
    for name in ["百度坐标试验站", "高德坐标试验站"] {
        let rows =
            db::query_rows(app.db(), "SELECT lat, lng FROM stations WHERE name = $1", vec![name.into()]).await.unwrap();
        let (lat, lng): (f64, f64) = (rows[0].try_get_by_index(0).unwrap(), rows[0].try_get_by_index(1).unwrap());
        let off = haversine_m(lat, lng, wgs.0, wgs.1);
        assert!(off < 1.0, "{name} stored {off} m from the WGS-84 point");
    }
    // The form offers the datums; a wrong one or an unreadable pair is a 422 keeping the text.
    let page = b.get("/console/registry/stations/new").await;
    assert!(page.texts("#datum option").iter().any(|t| t.contains("GCJ-02（高德、腾讯）")));
    assert!(page.texts("#datum option").iter().any(|t| t.contains("BD-09（百度）")));
    let mut form = base("坐标错误站");
    form.extend([("datum", "mars"), ("coords", "119.41 和 35.99")]);
    let r = b.post("/console/registry/stations", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.texts(".field-error").join(" ");
    assert!(errors.contains("请选择坐标系") && errors.contains("无法识别这对坐标"), "{errors}");
    assert!(r.body.contains("119.41 和 35.99"));
    assert_eq!(scalar(&app, "SELECT count(*) FROM stations WHERE name = '坐标错误站'", vec![]).await, 0);
}
demo_test!(coordinates_are_entered_in_the_datum_staff_have);

async fn an_online_station_shows_how_to_join(app: TestApp) {
    let mut visitor = app.browser().await;
    let online = scalar(&app, "SELECT id FROM stations WHERE online_only = TRUE ORDER BY id LIMIT 1", vec![]).await;
    let r = visitor.get(&format!("/s/{online}")).await;
    assert!(r.texts(".join").join("").contains("关注微信公众号"), "{:?}", r.texts(".join"));
    // A web address is a link; edited through the form, audited.
    let mut b = app.login("staff").await;
    let detail = b.get(&format!("/console/registry/stations/{online}")).await;
    assert!(detail.body.contains("关注微信公众号") && detail.body.contains("poster?size=a3"));
    let edit = b.get(&format!("/console/registry/stations/{online}/edit")).await;
    assert!(edit.body.contains("id=\"join_info\""));
    let html = edit.html();
    let value = |id: &str| {
        let sel = scraper::Selector::parse(&format!("#{id}")).unwrap();
        html.select(&sel).next().and_then(|e| e.value().attr("value").map(str::to_string)).unwrap_or_default()
    };
    let type_sel = scraper::Selector::parse("#type_id option[selected]").unwrap();
    let area_sel = scraper::Selector::parse("#area_id option[selected]").unwrap();
    let kind = html.select(&type_sel).next().unwrap().value().attr("value").unwrap().to_string();
    let area = html.select(&area_sel).next().unwrap().value().attr("value").unwrap().to_string();
    let (name, hours) = (value("name"), value("opening_hours"));
    let r = b
        .post(
            &format!("/console/registry/stations/{online}"),
            &[
                ("name", name.as_str()),
                ("type_id", kind.as_str()),
                ("area_id", area.as_str()),
                ("online_only", "on"),
                ("opening_hours", hours.as_str()),
                ("join_info", "https://example.org/studio"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.texts(".field-error").join(" "));
    let r = visitor.get(&format!("/s/{online}")).await;
    assert!(r.body.contains("<a href=\"https://example.org/studio\""));
    let audited = scalar(
        &app,
        "SELECT count(*) FROM audit_log WHERE action = 'station_update' AND summary LIKE '%加入方式%'",
        vec![],
    )
    .await;
    assert_eq!(audited, 1);
    // The API carries the way in too.
    let doc = app.api("GET", &format!("/api/v1/stations/{online}"), None, None).await.json();
    assert_eq!(doc["join_info"], "https://example.org/studio", "{doc}");
    assert_eq!(doc["online_only"], true);
}
demo_test!(an_online_station_shows_how_to_join);

async fn cards_and_posters_carry_the_organ_and_the_qr_code(app: TestApp) {
    let mut b = app.browser().await;
    let organ = scalar(&app, "SELECT min(id) FROM organs WHERE external = FALSE", vec![]).await;
    let organ_name = renda::org::organ(app.db(), organ).await.unwrap().unwrap().name;
    let station = scalar(&app, "SELECT min(id) FROM stations WHERE online_only = FALSE", vec![]).await;
    let r = b.get(&format!("/s/{station}/card")).await;
    assert_eq!(r.texts(".card-organ"), std::slice::from_ref(&organ_name));
    assert!(r.body.contains("data-print"), "a print button, shown by the script");
    for size in ["a4", "a3"] {
        let r = b.get(&format!("/s/{station}/poster?size={size}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.texts(".poster-organ"), std::slice::from_ref(&organ_name));
        assert!(
            r.html()
                .select(&scraper::Selector::parse(&format!(".poster-{size} .poster-qr svg")).unwrap())
                .next()
                .is_some()
        );
    }
    assert_eq!(b.get(&format!("/s/{station}/poster")).await.status, StatusCode::OK);
    assert_eq!(b.get(&format!("/s/{station}/poster?size=a5")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.get("/static/app.css").await.body.contains("@page poster-a4 { size: A4"));
    // The station page links to the posters.
    let page = b.get(&format!("/s/{station}")).await;
    assert!(page.body.contains(&format!("/s/{station}/poster?size=a3")));
}
demo_test!(cards_and_posters_carry_the_organ_and_the_qr_code);

/// Issue 16: a deputy's tag names the congress — 诸城市人大代表, 潍坊市人大代表 — where 县 and 市 would
/// mislead (诸城 is a 县级市: to its residents 市 is their own congress, not 潍坊's), and a
/// deputy of the site's own congress alone carries no tag at all.
async fn deputies_are_tagged_with_their_congress_by_name(app: TestApp) {
    let mut b = app.browser().await;
    let r = b.get("/find").await;
    let options = r.texts("#level option");
    assert_eq!(options, ["全部", "全国人大代表", "山东省人大代表", "潍坊市人大代表", "诸城市人大代表", "乡镇人大代表"]);
    // City deputies, found by their level: each says 潍坊市.
    let r = b.get("/find?level=city").await;
    let tags = r.texts(".deputies .lv");
    assert!(!tags.is_empty() && tags.iter().all(|t| t.contains("潍坊市") && t.ends_with("人大代表")), "{tags:?}");
    // A station of a town: its county-only deputies have no tag, its town's deputies say the town.
    let area = scalar(&app, "SELECT id FROM areas WHERE name = '百尺河镇'", vec![]).await;
    let r = b.get(&format!("/find?area={area}")).await;
    let tags = r.texts(".deputies .lv");
    assert!(tags.iter().all(|t| t.ends_with("人大代表") && t != "县" && t != "市"), "{tags:?}");
    assert!(tags.iter().any(|t| t.contains("百尺河镇人大代表")), "{tags:?}");
    // The station's own page heads its lists by congress.
    let station = scalar(&app, "SELECT min(id) FROM stations WHERE area_id = $1", vec![area.into()]).await;
    let page = b.get(&format!("/s/{station}")).await;
    let heads = page.texts(".card h2");
    assert!(heads.iter().any(|h| h == "诸城市人大代表") && heads.iter().any(|h| h == "百尺河镇人大代表"), "{heads:?}");
    assert!(!heads.iter().any(|h| h.contains("县（市、区）") || h == "市人大代表"), "{heads:?}");
    // Under 诸城市人大代表 a deputy of that congress alone has no tag; one who also serves in the
    // town's says both.
    let html = page.html();
    let card = scraper::Selector::parse(".card").unwrap();
    let (li, lv, h2) = (
        scraper::Selector::parse("li").unwrap(),
        scraper::Selector::parse(".lv").unwrap(),
        scraper::Selector::parse("h2").unwrap(),
    );
    let county = html
        .select(&card)
        .find(|c| c.select(&h2).next().is_some_and(|h| h.text().collect::<String>() == "诸城市人大代表"))
        .unwrap();
    let people: Vec<_> = county.select(&li).collect();
    let tagged: Vec<String> = people.iter().filter_map(|p| p.select(&lv).next()).map(|t| t.text().collect()).collect();
    assert!(people.len() > tagged.len(), "county-only deputies carry no tag");
    assert!(!tagged.is_empty() && tagged.iter().all(|t| t == "诸城市、百尺河镇人大代表"), "{tagged:?}");
}
demo_test!(deputies_are_tagged_with_their_congress_by_name);
