//! PLAT-15 exports of the registry's structure lists (代表小组, 委员会, 双联系, 网格, 履职角色):
//! each page links to 导出 Excel / 导出 CSV, and each export holds exactly the page's rows,
//! on the demo county.

use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Reader, Xlsx};
use renda::db;

use crate::demo_test;
use crate::support::{Browser, Resp, TestApp};

/// The leading number of "12 人".
fn number(s: &str) -> i64 {
    s.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or_else(|_| panic!("no number: {s}"))
}

fn sum(page: &Resp, css: &str) -> i64 {
    page.texts(css).iter().map(|t| number(t)).sum()
}

/// The file name of a `Content-Disposition` header (its `filename*`), decoded.
fn file_name(r: &Resp) -> String {
    let cd = r.header("content-disposition").expect("content-disposition");
    assert!(cd.starts_with("attachment;"), "{cd}");
    let encoded = cd.split("filename*=UTF-8''").nth(1).unwrap_or_else(|| panic!("no filename*: {cd}"));
    percent_encoding::percent_decode_str(encoded).decode_utf8().unwrap().into_owned()
}

/// Checks one list's exports against its page: links in the title bar, both formats, the
/// Chinese file name, the CSV's BOM and header, and `rows` data rows in each file.
async fn check_exports(b: &mut Browser<'_>, list: &str, stem: &str, header: &str, rows: i64) {
    let page = b.get(list).await;
    assert_eq!(page.status, StatusCode::OK);
    for format in ["xlsx", "csv"] {
        let href = format!("{list}/export?format={format}");
        assert!(page.body.contains(&format!("href=\"{href}\"")), "{list} links to {href}");
        assert_eq!(page.texts(".titlebar a").iter().filter(|t| t.starts_with("导出")).count(), 2, "{list}");
    }
    assert!(rows > 0, "the demo has rows for {list}");

    let csv = b.get(&format!("{list}/export?format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK, "{list}");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(file_name(&csv), format!("{stem}.csv"));
    assert!(csv.body.starts_with('\u{feff}'), "{list}: BOM");
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').split_terminator("\r\n").collect();
    assert_eq!(lines[0], header, "{list}: header row");
    assert_eq!(lines.len() as i64 - 1, rows, "{list}: CSV rows = page count\n{}", csv.body);

    let xlsx = b.get(&format!("{list}/export?format=xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK, "{list}");
    assert_eq!(xlsx.header("content-type"), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    assert_eq!(file_name(&xlsx), format!("{stem}.xlsx"));
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.bytes.clone())).expect("a workbook");
    let sheet = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&sheet).unwrap();
    let first: Vec<String> = range.rows().next().unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(first.join(","), header, "{list}: xlsx header");
    assert_eq!(range.rows().count() as i64 - 1, rows, "{list}: xlsx rows = page count");
}

async fn structure_lists_export_what_they_show(app: TestApp) {
    let mut b = app.login("staff").await;

    // 代表小组: one row per group, every section of the page.
    let page = b.get("/console/registry/groups").await;
    let groups = page.texts("table tbody tr").len() as i64;
    check_exports(&mut b, "/console/registry/groups", "代表小组", "类别,名称,区划,对口联系,成员数", groups).await;

    // 委员会: one row per member, as many as the page's 人数 column adds up to.
    let page = b.get("/console/registry/committees").await;
    let members = sum(&page, "table tbody tr td:nth-child(4)");
    check_exports(&mut b, "/console/registry/committees", "委员会组成人员", "委员会,类别,机关,姓名,职务", members)
        .await;
    let csv = b.get("/console/registry/committees/export?format=csv").await;
    assert!(csv.body.contains("诸城市人大常委会,常委会,"), "{}", csv.body);

    // 双联系: one row per link; the deputies' voter contacts stay out.
    let page = b.get("/console/registry/links").await;
    let links = page.texts("table.links tbody tr").len() as i64;
    assert!(page.texts("h2").iter().any(|h| h == &format!("联系名单（{links}）")));
    check_exports(&mut b, "/console/registry/links", "双联系名单", "组成人员,联系代表", links).await;
    let deputy = db::scalar_i64(
        app.db(),
        "SELECT min(person_id) FROM mandates WHERE status = 'serving' AND organ_id = \
         (SELECT organ_id FROM accounts WHERE username = 'staff')",
        vec![],
    )
    .await
    .unwrap();
    let r = b
        .post(&format!("/console/registry/deputies/{deputy}/voters"), &[("voter_name", "欧阳选民"), ("voter_note", "")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let csv = b.get("/console/registry/links/export?format=csv").await;
    assert!(!csv.body.contains("欧阳") && !csv.body.contains("选民"), "{}", csv.body);
    assert_eq!(csv.body.trim_start_matches('\u{feff}').split_terminator("\r\n").count() as i64, links + 1);
    assert_eq!(b.get("/console/registry/links").await.texts("table.links tbody tr").len() as i64, links);

    // 网格: one row per 网格员 or 监督员.
    let page = b.get("/console/registry/grids").await;
    let grid_members = sum(&page, "table tbody tr td:nth-child(3)") + sum(&page, "table tbody tr td:nth-child(4)");
    check_exports(&mut b, "/console/registry/grids", "网格人员", "网格,区划,姓名,职责", grid_members).await;
    let csv = b.get("/console/registry/grids/export?format=csv").await;
    assert!(csv.body.contains(",网格员\r\n") && csv.body.contains(",监督员\r\n"));

    // 履职角色: one row per assignment.
    let page = b.get("/console/registry/roles").await;
    let holders = sum(&page, "table tbody tr td:nth-child(2)");
    check_exports(&mut b, "/console/registry/roles", "履职角色", "角色,来源,姓名", holders).await;

    // No private phone in any of them.
    for list in ["groups", "committees", "links", "grids", "roles"] {
        let csv = b.get(&format!("/console/registry/{list}/export?format=csv")).await;
        assert!(!csv.body.contains("电话") && !csv.body.contains("手机"), "{list}");
        assert!(
            !csv.body.chars().collect::<Vec<_>>().windows(11).any(|w| w.iter().all(char::is_ascii_digit)),
            "{list}"
        );
    }
}
demo_test!(structure_lists_export_what_they_show);

async fn structure_exports_are_hidden_from_others(app: TestApp) {
    for who in ["unit", "deputy"] {
        let mut b = app.login(who).await;
        for list in ["groups", "committees", "links", "grids", "roles"] {
            for format in ["xlsx", "csv"] {
                let path = format!("/console/registry/{list}/export?format={format}");
                let r = b.get(&path).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {path}");
                assert!(r.header("content-disposition").is_none(), "{who} {path}");
            }
        }
    }
    // Not signed in: no file either.
    let mut anon = app.browser().await;
    let r = anon.get("/console/registry/groups/export?format=csv").await;
    assert_ne!(r.status, StatusCode::OK);
    assert!(r.header("content-disposition").is_none());
}
demo_test!(structure_exports_are_hidden_from_others);
