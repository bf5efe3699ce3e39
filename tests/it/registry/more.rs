//! REG-2 handling units and their contact people, REG-5 deputies' fixed voter contacts with
//! coverage, REG-1 / PLAT-15 area import (console and CLI): through the front door, on the
//! demo county.

use axum::http::StatusCode;
use renda::db;

use crate::support::{Browser, Resp, TestApp};
use crate::{db_test, demo_test};

fn created_id(r: &Resp) -> i64 {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

fn flash(r: &Resp) -> String {
    let raw = r.header("set-cookie").unwrap_or_default();
    percent_decode(raw)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into()
}

async fn scalar(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    db::scalar_i64(app.db(), sql, values).await.unwrap()
}

async fn audit_summaries(app: &TestApp) -> String {
    db::query_rows(app.db(), "SELECT summary FROM audit_log ORDER BY seq", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

// ------------------------------------------------------------------ handling units (REG-2)

async fn units_list_form_and_contact_people(app: TestApp) {
    // The demo links the `unit` account to its unit as a contact; this test links it itself.
    db::exec(app.db(), "DELETE FROM unit_contacts", vec![]).await.unwrap();
    let mut b = app.login("staff").await;
    let r = b.get("/console/registry/units").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.texts("#count")[0].contains("22"), "{:?}", r.texts("#count"));
    let r = b.get("/console/registry/units?kind=court").await;
    assert_eq!(r.texts("td.name"), ["诸城市人民法院"]);
    assert!(r.body.contains("/console/registry/units/export?kind=court&amp;format=csv"));
    // Export honours the filter.
    let csv = b.get("/console/registry/units/export?kind=court&format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.body.starts_with('\u{feff}') && csv.body.contains("编号,类别,单位名称"));
    assert!(csv.body.contains("法院,诸城市人民法院") && !csv.body.contains("诸城市民政局"));
    assert_eq!(csv.body.matches("\r\n").count(), 2, "header and one row");
    let xlsx = b.get("/console/registry/units/export?format=xlsx").await;
    assert!(xlsx.header("content-type").unwrap().contains("spreadsheetml"));
    // A bad form: each problem next to its field.
    assert_eq!(b.get("/console/registry/units/new").await.status, StatusCode::OK);
    let r = b.post("/console/registry/units", &[("name", "审"), ("kind", "ministry")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.texts(".field-error");
    assert!(errors.iter().any(|e| e.contains("单位名称应为 2 至 60 个字")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("请选择单位类别")), "{errors:?}");
    let r =
        b.post("/console/registry/units", &[("name", "诸城市民政局"), ("kind", "government"), ("active", "on")]).await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("同名")));
    let id = created_id(
        &b.post("/console/registry/units", &[("name", "诸城市审计局"), ("kind", "government"), ("active", "on")]).await,
    );
    let page = b.get(&format!("/console/registry/units/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts(".timeline li").iter().any(|h| h.contains("新建承办单位")));
    // Edit: renamed, another kind, deactivated.
    assert_eq!(b.get(&format!("/console/registry/units/{id}/edit")).await.status, StatusCode::OK);
    let r =
        b.post(&format!("/console/registry/units/{id}"), &[("name", "诸城市审计局（试）"), ("kind", "other")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/units/{id}")).await;
    assert!(page.body.contains("已停用") && page.body.contains("诸城市审计局（试）"));
    let history = page.texts(".timeline li");
    assert!(history.iter().any(|h| h.contains("修改承办单位") && h.contains("停用")), "{history:?}");
    assert_eq!(b.get("/console/registry/units?active=0").await.texts("td.name"), ["诸城市审计局（试）"]);
    assert_eq!(b.get("/console/registry/units?active=1").await.texts("td.name").len(), 22);
    // Contact people: phone checked, stored encrypted, shown masked; the audit holds no name.
    let contacts = format!("/console/registry/units/{id}/contacts");
    let r = b.post(&contacts, &[("name", "刘建国"), ("phone", "1380")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|e| e.contains("电话应为")));
    assert!(r.body.contains("value=\"刘建国\""), "the name typed is kept");
    let r = b.post(&contacts, &[("name", "刘建国"), ("phone", "138 0000 2222")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/units/{id}")).await;
    assert_eq!(page.texts(".contacts td.phone"), ["138****2222"]);
    assert!(!page.body.contains("13800002222"));
    assert!(page.texts(".timeline li").iter().any(|h| h.contains("新增联络员")));
    let stored = db::query_rows(app.db(), "SELECT phone_enc FROM unit_contacts WHERE unit_id = $1", vec![id.into()])
        .await
        .unwrap()[0]
        .try_get_by_index::<String>(0)
        .unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains("2222"));
    assert_eq!(app.state.crypto.decrypt(&stored).unwrap(), "13800002222");
    let summaries = audit_summaries(&app).await;
    assert!(!summaries.contains("刘建国") && !summaries.contains("13800002222") && summaries.contains("刘**"));
    // The link to an account: only a `unit` account of this very unit.
    let unit_account = scalar(&app, "SELECT id FROM accounts WHERE username = 'unit'", vec![]).await;
    let own_unit = scalar(&app, "SELECT unit_id FROM accounts WHERE username = 'unit'", vec![]).await;
    let r = b
        .post(&contacts, &[("name", "陈志强"), ("phone", "0536-6062114"), ("account_id", &unit_account.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|e| e.contains("只能关联本单位")));
    let own_contacts = format!("/console/registry/units/{own_unit}/contacts");
    let own_page = b.get(&format!("/console/registry/units/{own_unit}")).await;
    assert!(own_page.body.contains(&format!("<option value=\"{unit_account}\">unit（")), "the account is offered");
    let r = b
        .post(
            &own_contacts,
            &[("name", "陈志强"), ("phone", "0536-6062114"), ("account_id", &unit_account.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post(&own_contacts, &[("name", "陈二"), ("phone", "13800003333"), ("account_id", &unit_account.to_string())])
        .await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("已关联")));
    let own_page = b.get(&format!("/console/registry/units/{own_unit}")).await;
    assert_eq!(own_page.texts(".contacts td.name"), ["陈志强"]);
    assert!(own_page.texts(".contacts td").iter().any(|t| t == "unit"));
    // Removing a contact; a contact of another unit is not found through this one.
    let contact = scalar(&app, "SELECT id FROM unit_contacts WHERE unit_id = $1", vec![id.into()]).await;
    let r = b.post(&format!("/console/registry/units/{own_unit}/contacts/{contact}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b.post(&format!("{contacts}/{contact}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/console/registry/units/{id}")).await;
    assert!(page.texts(".contacts td.name").is_empty());
    assert!(page.texts(".timeline li").iter().any(|h| h.contains("移除联络员")));
}
demo_test!(units_list_form_and_contact_people);

async fn unit_account_sees_only_its_own_unit(app: TestApp) {
    let own = scalar(&app, "SELECT unit_id FROM accounts WHERE username = 'unit'", vec![]).await;
    let other = scalar(&app, "SELECT max(id) FROM handling_units", vec![]).await;
    assert_ne!(own, other);
    let mut b = app.login("unit").await;
    let r = b.get("/console/registry/units").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some(format!("/console/registry/units/{own}").as_str()));
    let page = b.get(&format!("/console/registry/units/{own}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("诸城市教育和体育局"));
    assert!(!page.body.contains("添加联络员"), "a unit reads its page but does not maintain it");
    assert_eq!(b.get(&format!("/console/registry/units/{own}/edit")).await.status, StatusCode::FORBIDDEN);
    let r =
        b.post(&format!("/console/registry/units/{own}/contacts"), &[("name", "某某"), ("phone", "13800001234")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get(&format!("/console/registry/units/{other}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/console/registry/units/export?format=csv").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/console/registry/units/new").await.status, StatusCode::NOT_FOUND);
    // A deputy has no unit pages; a leader reads them but does not write.
    let mut d = app.login("deputy").await;
    assert_eq!(d.get("/console/registry/units").await.status, StatusCode::NOT_FOUND);
    assert_eq!(d.get(&format!("/console/registry/units/{own}")).await.status, StatusCode::NOT_FOUND);
    let mut l = app.login("leader").await;
    assert_eq!(l.get("/console/registry/units").await.status, StatusCode::OK);
    assert_eq!(l.get(&format!("/console/registry/units/{own}")).await.status, StatusCode::OK);
    assert_eq!(l.get("/console/registry/units/new").await.status, StatusCode::FORBIDDEN);
    let r = l.post("/console/registry/units", &[("name", "某局"), ("kind", "government")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
demo_test!(unit_account_sees_only_its_own_unit);

// ------------------------------------------------------------------ voter contacts (REG-5)

fn coverage_numbers(r: &Resp) -> (i64, i64) {
    let text = r.texts("#voter-coverage").pop().unwrap_or_default();
    let nums: Vec<i64> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|s| s.parse().unwrap())
        .collect();
    assert!(text.contains("名代表中") && text.contains("名已建立选民联系"), "{text}");
    (nums[0], nums[1])
}

async fn deputy_voter_contacts_and_coverage(app: TestApp) {
    // Start from no voter contacts (the demo seeds some) so the figures are exact.
    db::exec(app.db(), "DELETE FROM contact_links WHERE kind = 'deputy_voter'", vec![]).await.unwrap();
    let own = scalar(&app, "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await;
    let other = scalar(
        &app,
        "SELECT min(p.id) FROM persons p WHERE p.id <> $1 AND EXISTS \
         (SELECT 1 FROM mandates m JOIN organs o ON o.id = m.organ_id WHERE m.person_id = p.id AND m.status = 'serving')",
        vec![own.into()],
    )
    .await;
    let mut b = app.login("staff").await;
    let links = b.get("/console/registry/links").await;
    let (total, before) = coverage_numbers(&links);
    assert!(total > 0);
    assert_eq!(before, 0);
    // The deputy's page links to the list.
    let detail = b.get(&format!("/console/registry/deputies/{other}")).await;
    assert!(detail.body.contains(&format!("/console/registry/deputies/{other}/voters")));
    let path = format!("/console/registry/deputies/{other}/voters");
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts(".voters td").is_empty());
    let r = b.post(&path, &[("voter_name", "王"), ("voter_note", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|e| e.contains("选民姓名应为 2 至 20 个字")));
    let r = b.post(&path, &[("voter_name", "王小明"), ("voter_note", "东坡村村民，每季度走访")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b.post(&path, &[("voter_name", "王小明"), ("voter_note", "")]).await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("已登记这位选民")));
    let page = b.get(&path).await;
    assert_eq!(page.texts(".voters td.name"), ["王**"]);
    assert_eq!(page.texts(".voters td.note"), ["东坡村村民，每季度走访"]);
    assert!(!page.body.contains("王小明"));
    let stored: String = db::query_rows(
        app.db(),
        "SELECT voter_name_enc FROM contact_links WHERE kind = 'deputy_voter' AND person_id = $1",
        vec![other.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(app.state.crypto.decrypt(&stored).unwrap(), "王小明");
    assert!(!audit_summaries(&app).await.contains("王小明"));
    let history = b.get(&format!("/console/registry/deputies/{other}")).await.texts(".timeline li");
    assert!(history.iter().any(|h| h.contains("新增固定联系选民") && h.contains("王**")), "{history:?}");
    let r = b.get("/console/registry/links").await;
    assert_eq!(coverage_numbers(&r), (total, 1));
    assert!(r.texts("#voter-coverage")[0].contains(&format!("（覆盖率 {:.1}%）", 100.0 / total as f64)));
    // The existing committee-member figure is still there.
    assert!(r.texts("#coverage")[0].contains("名已联系组成人员"));
    // The deputy manages their own list, and only theirs.
    let mut d = app.login("deputy").await;
    let mine = format!("/console/registry/deputies/{own}/voters");
    assert_eq!(d.get(&mine).await.status, StatusCode::OK);
    let r = d.post(&mine, &[("voter_name", "赵大山"), ("voter_note", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(d.get(&mine).await.texts(".voters td.name"), ["赵**"]);
    assert_eq!(d.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(d.post(&path, &[("voter_name", "钱多多")]).await.status, StatusCode::NOT_FOUND);
    let theirs =
        scalar(&app, "SELECT id FROM contact_links WHERE kind = 'deputy_voter' AND person_id = $1", vec![other.into()])
            .await;
    assert_eq!(d.post(&format!("{mine}/{theirs}/remove"), &[]).await.status, StatusCode::NOT_FOUND);
    let link =
        scalar(&app, "SELECT id FROM contact_links WHERE kind = 'deputy_voter' AND person_id = $1", vec![own.into()])
            .await;
    assert_eq!(d.post(&format!("{mine}/{link}/remove"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(d.get(&mine).await.texts(".voters td").is_empty());
    // A leader reads but does not write.
    let mut l = app.login("leader").await;
    assert_eq!(l.get(&path).await.status, StatusCode::OK);
    assert_eq!(l.post(&path, &[("voter_name", "孙一")]).await.status, StatusCode::FORBIDDEN);
    // Staff remove theirs: coverage back to zero.
    let r = b.post(&format!("{path}/{theirs}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(coverage_numbers(&b.get("/console/registry/links").await), (total, 0));
}
demo_test!(deputy_voter_contacts_and_coverage);

// ------------------------------------------------------------------ area import (REG-1, PLAT-15)

async fn upload(b: &mut Browser<'_>, name: &str, bytes: &[u8]) -> Resp {
    b.upload("/console/admin/areas/import", "file", name, bytes).await
}

const BAD_CSV: &str = "区划代码,名称,级别,上级区划代码,纬度,经度\r\n\
    37078A,坏代码镇,乡镇（街道）,370782,,\r\n\
    370782980000,某某片区,大区,370782,,\r\n\
    370782981000,远方镇,乡镇（街道）,999999,,\r\n\
    370782982000,甲镇,乡镇（街道）,370782,北纬,119.4\r\n\
    370782982000,乙镇,乡镇（街道）,370782,,\r\n\
    370782983000,丙镇,乡镇（街道）,370782,35.9,\r\n\
    370782984000,丁镇,县级,370782,,\r\n\
    370782985000,好镇,乡镇（街道）,370782,35.9,119.4\r\n";

async fn area_import_reports_rows_and_applies_all_or_nothing(app: TestApp) {
    let mut b = app.login("admin").await;
    let areas = b.get("/console/admin/areas").await;
    assert!(areas.body.contains("href=\"/console/admin/areas/import\""));
    let page = b.get("/console/admin/areas/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    let template = b.get("/console/admin/areas/import/template").await;
    assert!(template.header("content-type").unwrap().contains("spreadsheetml"));
    // The template itself imports cleanly (its rows exist already, so nothing changes).
    let before = scalar(&app, "SELECT count(*) FROM areas", vec![]).await;
    // A bad file: every problem with row and column; nothing written.
    let r = upload(&mut b, "区划.csv", BAD_CSV.as_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let rows: Vec<String> = r.texts(".issues tbody tr");
    let has = |row: &str, col: &str, what: &str| {
        rows.iter().any(|t| t.contains(&format!("第 {row} 行")) && t.contains(col) && t.contains(what))
    };
    assert!(has("2", "区划代码", "6 至 12 位数字"), "{rows:?}");
    assert!(has("3", "级别", "无法识别"), "{rows:?}");
    assert!(has("4", "上级区划代码", "不存在"), "{rows:?}");
    assert!(has("5", "纬度", "-90 至 90"), "{rows:?}");
    assert!(has("6", "区划代码", "与第 5 行重复"), "{rows:?}");
    assert!(has("7", "经度", "同时填写"), "{rows:?}");
    assert!(has("8", "级别", "应低于上级"), "{rows:?}");
    assert!(!rows.iter().any(|t| t.contains("第 9 行")), "{rows:?}");
    assert_eq!(scalar(&app, "SELECT count(*) FROM areas", vec![]).await, before);
    // A good file: a new township, a community below it (its parent earlier in the file),
    // an existing township renamed and the county unchanged.
    let good = "\u{feff}区划代码,名称,级别,上级区划代码,纬度,经度\n\
        370782,诸城市,县级,370700,35.995654,119.410103\n\
        370782990000,试验镇,乡镇（街道）,370782,35.95,119.38\n\
        370782990001,\"试验村, 一组\",村（社区）,370782990000,,\n\
        370782001000,密州街道（新）,乡镇（街道）,370782,,\n";
    let renamed_before: String =
        db::query_rows(app.db(), "SELECT name FROM areas WHERE code = '370782001000'", vec![]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let r = upload(&mut b, "区划.csv", good.as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/console/admin/areas"));
    assert!(flash(&r).contains("新增 2 个，更新 1 个，未变 1 个"), "{}", flash(&r));
    assert_eq!(scalar(&app, "SELECT count(*) FROM areas", vec![]).await, before + 2);
    let town =
        renda::org::area(app.db(), scalar(&app, "SELECT id FROM areas WHERE code = '370782990000'", vec![]).await)
            .await
            .unwrap()
            .unwrap();
    let county = scalar(&app, "SELECT id FROM areas WHERE code = '370782'", vec![]).await;
    assert_eq!(town.parent_id, Some(county));
    assert_eq!(town.level, "township");
    assert_eq!((town.lat, town.lng), (Some(35.95), Some(119.38)));
    let village_path: String =
        db::query_rows(app.db(), "SELECT path, name FROM areas WHERE code = '370782990001'", vec![]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    assert!(village_path.starts_with(&town.path) && village_path.len() > town.path.len());
    let renamed = scalar(&app, "SELECT id FROM areas WHERE code = '370782001000'", vec![]).await;
    let page = b.get(&format!("/console/admin/areas/{renamed}")).await;
    assert!(page.body.contains("密州街道（新）"));
    let history = page.texts(".timeline li");
    assert!(history.iter().any(|h| h.contains("修改区划") && h.contains(&renamed_before)), "{history:?}");
    assert!(b.get("/console/admin/areas").await.body.contains("试验村, 一组"));
    // Importing the same file again changes nothing; a registered code keeps its parent.
    let r = upload(&mut b, "区划.csv", good.as_bytes()).await;
    assert!(flash(&r).contains("新增 0 个，更新 0 个，未变 4 个"), "{}", flash(&r));
    let moved = "区划代码,名称,级别,上级区划代码\n370782990000,试验镇,乡镇（街道）,370700\n";
    let r = upload(&mut b, "区划.csv", moved.as_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".issues td").iter().any(|t| t.contains("不能改变上级区划")));
    // An .xlsx works too, codes typed as numbers included.
    use renda::export::{Cell, Table, to_xlsx};
    let xlsx = to_xlsx(&Table {
        title: "行政区划".into(),
        headers: ["区划代码", "名称", "级别", "上级区划代码", "纬度", "经度"].iter().map(|s| s.to_string()).collect(),
        rows: vec![vec![
            Cell::Int(370782991000),
            Cell::Text("二号试验镇".into()),
            Cell::Text("乡镇(街道)".into()),
            Cell::Int(370782),
            Cell::Empty,
            Cell::Empty,
        ]],
    });
    let r = upload(&mut b, "区划.xlsx", &xlsx).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(scalar(&app, "SELECT count(*) FROM areas WHERE code = '370782991000'", vec![]).await, 1);
    // A file that is neither, or lacks a column: one whole-file problem.
    let r = upload(&mut b, "区划.csv", &[0xc7, 0xf8, 0xbb, 0xae]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".issues td").iter().any(|t| t.contains("UTF-8")));
    let r = upload(&mut b, "区划.csv", "代码,名称\n1,2\n".as_bytes()).await;
    assert!(r.texts(".issues td").iter().any(|t| t.contains("表头缺少")));
    // Admin only.
    for who in ["staff", "unit", "leader"] {
        let mut o = app.login(who).await;
        assert_eq!(o.get("/console/admin/areas/import").await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(upload(&mut o, "区划.csv", good.as_bytes()).await.status, StatusCode::FORBIDDEN, "{who}");
    }
}
demo_test!(area_import_reports_rows_and_applies_all_or_nothing);

/// An empty installation takes a whole tree in one file, roots first.
async fn area_import_into_an_empty_database(app: TestApp) {
    let actor = renda::audit::Actor::system("test");
    let csv = "区划代码,名称,级别,上级区划代码,纬度,经度\n\
        370000,山东省,省级,,36.66853,117.020359\n\
        370700,潍坊市,市级,370000,36.70925,119.16176\n\
        370782,诸城市,县级,370700,35.99565,119.41010\n";
    let rows = renda::org::area_import::parse(csv.as_bytes()).unwrap();
    let txn = db::begin_write(app.db()).await.unwrap();
    let sum = renda::org::area_import::import_areas(&txn, app.state.audit_key(), &actor, &rows).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!((sum.created, sum.updated, sum.unchanged), (3, 0, 0));
    let all = renda::org::areas_all(app.db()).await.unwrap();
    assert_eq!(all.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(), ["370000", "370700", "370782"]);
    assert_eq!(all[2].path, format!("/{}/{}/{}/", all[0].id, all[1].id, all[2].id));
    assert_eq!(renda::audit::verify(app.db(), app.state.audit_key()).await.unwrap(), Ok(4));
}
db_test!(area_import_into_an_empty_database);

async fn new_pages_have_one_heading_and_labelled_controls(app: TestApp) {
    let unit = scalar(&app, "SELECT min(id) FROM handling_units", vec![]).await;
    let deputy = scalar(&app, "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await;
    let mut b = app.login("admin").await;
    for path in [
        "/console/registry/units".to_string(),
        "/console/registry/units/new".into(),
        format!("/console/registry/units/{unit}"),
        format!("/console/registry/units/{unit}/edit"),
        format!("/console/registry/deputies/{deputy}/voters"),
        "/console/admin/areas/import".into(),
        "/console/admin/areas".into(),
        "/console/registry/links".into(),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.texts("h1").len(), 1, "{path} has one h1");
        let html = r.html();
        let controls =
            scraper::Selector::parse("input:not([type=hidden]):not([type=checkbox]), select, textarea").unwrap();
        for input in html.select(&controls) {
            let id = input.value().attr("id").unwrap_or_else(|| panic!("{path}: control without id: {}", input.html()));
            let label = scraper::Selector::parse(&format!("label[for=\"{id}\"]")).unwrap();
            assert!(html.select(&label).next().is_some(), "{path}: #{id} has no label");
        }
    }
}
demo_test!(new_pages_have_one_heading_and_labelled_controls);

// ------------------------------------------------------------------ CLI

#[test]
fn cli_imports_areas_with_counts_or_a_report() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("renda-cli-{}-areas", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A demo-marked directory accepts the demo secrets, so no configuration is needed.
    std::fs::write(dir.join(".renda-demo"), "renda demo\n").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_renda"))
            .args(["--data-dir", dir.to_str().unwrap(), "--config", "/nonexistent/renda.toml"])
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .expect("run renda");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let good = dir.join("areas.csv");
    std::fs::write(
        &good,
        "区划代码,名称,级别,上级区划代码\n370000,山东省,省级,\n370700,潍坊市,市级,370000\n370782,诸城市,县级,370700\n",
    )
    .unwrap();
    let (code, out, err) = run(&["import", "areas", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("新增 3 个，更新 0 个，未变 0 个"), "{out}");
    let (code, out, _) = run(&["import", "areas", good.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("未变 3 个"), "{out}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "区划代码,名称,级别,上级区划代码\n3707,潍坊,市级,990000\n").unwrap();
    let (code, _, err) = run(&["import", "areas", bad.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("第 2 行「区划代码」") && err.contains("第 2 行「上级区划代码」"), "{err}");
    let (code, _, err) = run(&["import", "organs", good.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(&["audit", "verify"]);
    assert_eq!(code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}
