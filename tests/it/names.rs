//! Issue 10, "names instead of numbers": list totals and page numbers, Chinese mobile
//! numbers, accounts linked by name, the audit log by name, bulk actions on deputies.

use axum::http::StatusCode;

use crate::demo_test;
use crate::support::{Browser, Resp};

/// "共 N 条 · 第 P 页 / 共 M 页" of a list page, as numbers.
fn pager(r: &Resp) -> (i64, u64, u64) {
    let t = r.texts("nav.pager");
    assert_eq!(t.len(), 1, "one pager: {t:?}");
    let digits: Vec<i64> = t[0]
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .filter(|s| !s.is_empty())
        .map(|s| s.replace(',', "").parse().unwrap())
        .collect();
    assert!(t[0].starts_with("共 ") && t[0].contains(" 条 · 第 "), "{t:?}");
    (digits[0], digits[1] as u64, digits[2] as u64)
}

fn next_link(r: &Resp) -> Option<String> {
    let html = r.html();
    let sel = scraper::Selector::parse("nav.pager a[rel=next]").unwrap();
    html.select(&sel).next().map(|a| a.value().attr("href").unwrap().to_string())
}

async fn lists_show_totals_and_page_numbers(app: crate::support::TestApp) {
    let mut b: Browser<'_> = app.login("staff").await;
    let r = b.get("/console/registry/deputies").await;
    assert_eq!(r.status, StatusCode::OK);
    let (total, page, pages) = pager(&r);
    assert!(total > 100, "the demo county has hundreds of deputies: {total}");
    assert_eq!((page, pages), (1, (total as u64).div_ceil(50)));
    // The next page keeps the filter and says where it is.
    let r = b.get("/console/registry/deputies?former=1").await;
    let (all, _, _) = pager(&r);
    assert!(all >= total);
    let next = next_link(&r).expect("a next page");
    assert!(next.starts_with("/console/registry/deputies?former=1&after=") && next.ends_with("&page=2"), "{next}");
    let r2 = b.get(&next).await;
    assert_eq!(pager(&r2), (all, 2, (all as u64).div_ceil(50)));
    assert_ne!(r.texts("td.name"), r2.texts("td.name"));
    // A filter that matches nothing: one empty page.
    let r = b.get("/console/registry/deputies?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E4%BA%BA").await;
    assert_eq!(pager(&r), (0, 1, 1));
    // The same helper on the other lists.
    let r = b.get("/console/registry/stations").await;
    let (stations, _, _) = pager(&r);
    assert_eq!(r.texts("td.name").len() as i64, stations.min(50));
    let r = b.get("/console/registry/units").await;
    assert_eq!(pager(&r), (r.texts("td.name").len() as i64, 1, 1));
    let mut admin = app.login("admin").await;
    let r = admin.get("/console/admin/accounts").await;
    let (accounts, _, _) = pager(&r);
    assert!(accounts >= 5 && accounts == r.texts("tbody tr").len() as i64, "{accounts}");
}
demo_test!(lists_show_totals_and_page_numbers);

async fn mobiles_are_chinese_mobiles(app: crate::support::TestApp) {
    let mut b = app.login("staff").await;
    for bad in ["12812345678", "1380536100", "138053610012", "1380536100a"] {
        let r =
            b.post("/console/registry/deputies", &[("name", "王秀兰"), ("gender", "female"), ("mobile", bad)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(r.texts(".field-error"), ["手机号码应为 1 开头、第二位为 3 至 9 的 11 位数字，例如 13812345678"]);
        // The rest of the form is kept; the mobile is never echoed back into a page.
        assert!(r.body.contains("value=\"王秀兰\"") && !r.body.contains(bad));
    }
    let r = b
        .post("/console/registry/deputies", &[("name", "王秀兰"), ("gender", "female"), ("mobile", "19912345678")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}
demo_test!(mobiles_are_chinese_mobiles);
