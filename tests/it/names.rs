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

fn xlsx_rows(r: &Resp) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(r.bytes.clone())).expect("a workbook");
    let name = wb.sheet_names()[0].clone();
    let sheet = wb.worksheet_range(&name).unwrap();
    sheet.rows().map(|row| row.iter().map(|c| c.to_string()).collect()).collect()
}

async fn audit_log_names_records_filters_and_exports(app: crate::support::TestApp) {
    let mut staff = app.login("staff").await;
    // A change to a station and to a deputy, to find again by name.
    let station = renda::db::scalar_i64(app.db(), "SELECT min(id) FROM stations", vec![]).await.unwrap();
    let station_name = renda::db::query_rows(app.db(), "SELECT name FROM stations WHERE id = $1", vec![station.into()])
        .await
        .unwrap()[0]
        .try_get_by_index::<String>(0)
        .unwrap();
    let r = staff
        .post("/console/registry/deputies", &[("name", "欧阳秀兰"), ("gender", "female"), ("mobile", "13912345678")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut admin = app.login("admin").await;
    let r = admin.get("/console/admin/audit").await;
    assert_eq!(r.status, StatusCode::OK);
    let targets = r.texts("td.target");
    assert!(targets.iter().any(|t| t == "代表 欧***"), "a person by masked name: {targets:?}");
    assert!(!r.body.contains("欧阳秀兰") && !r.body.contains("13912345678"), "no personal data in clear");
    // Filters: by record type, by action, by who and by date range.
    let r = admin.get("/console/admin/audit?kind=station").await;
    assert_eq!(r.status, StatusCode::OK);
    let targets = r.texts("td.target");
    assert!(!targets.is_empty() && targets.iter().all(|t| t.starts_with("站点 ")), "{targets:?}");
    let r = admin.get("/console/admin/audit?kind=person&action=person_create").await;
    let (n, _, _) = pager(&r);
    assert!(n >= 1 && r.texts("td.action").iter().all(|a| a == "登记人员"), "{:?}", r.texts("td.action"));
    let r = admin.get("/console/admin/audit?action=login&who=admin").await;
    assert!(!r.texts("td.actor").is_empty() && r.texts("td.action").iter().all(|a| a == "登录"));
    assert!(r.texts("td.actor").iter().all(|a| a.contains("admin")), "{:?}", r.texts("td.actor"));
    let r = admin.get("/console/admin/audit?from=2000-01-01&to=2000-12-31").await;
    assert_eq!(pager(&r).0, 0);
    assert_eq!(r.texts("p.empty"), ["没有符合条件的记录。"]);
    let today = renda::calendar::beijing_date(renda::db::now()).to_string();
    let r = admin.get(&format!("/console/admin/audit?from={today}&to={today}&kind=person")).await;
    assert!(r.texts("td.target").iter().any(|t| t == "代表 欧***"), "{:?}", r.texts("td.target"));
    let r = admin.get("/console/admin/audit?kind=station").await;
    assert!(r.texts("td.target").contains(&format!("站点 {station_name}")), "a station by its name");
    // Bad filters: 422 with the field's message, what was typed kept.
    let r = admin.get("/console/admin/audit?from=2026-13-45&kind=nonsense").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.texts(".field-error");
    assert!(errors.iter().any(|e| e.contains("起始日期「2026-13-45」不是有效日期")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("没有这种记录类型")), "{errors:?}");
    assert!(r.body.contains("value=\"2026-13-45\""));
    // The export holds the filtered entries by name, and is itself audited.
    let rows = xlsx_rows(&admin.get("/console/admin/audit/export?kind=person&action=person_create").await);
    assert_eq!(rows[0], ["序号", "时间", "操作人", "操作", "记录类型", "对象", "摘要", "来源"]);
    assert!(rows[1..].iter().any(|r| r[4] == "代表" && r[5] == "欧***"), "{:?}", &rows[..2]);
    assert!(rows[1..].iter().all(|r| r[3] == "登记人员"));
    assert!(!rows.iter().flatten().any(|c| c.contains("欧阳秀兰")));
    let r = admin.get("/console/admin/audit?action=export").await;
    assert!(r.texts("td.target").iter().any(|t| t == "导出 审计日志"), "{:?}", r.texts("td.target"));
    // Others do not see it.
    assert_eq!(staff.get("/console/admin/audit").await.status, StatusCode::NOT_FOUND);
    assert_eq!(staff.get("/console/admin/audit/export").await.status, StatusCode::NOT_FOUND);
}
demo_test!(audit_log_names_records_filters_and_exports);

async fn accounts_pick_deputy_and_station_by_name(app: crate::support::TestApp) {
    let mut staff = app.login("staff").await;
    let mut ids = Vec::new();
    for work in ["试验镇卫生院", "试验镇中学"] {
        let r = staff
            .post("/console/registry/deputies", &[("name", "闻人建华"), ("gender", "male"), ("work_unit", work)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        ids.push(r.header("location").unwrap().rsplit('/').next().unwrap().parse::<i64>().unwrap());
    }
    let organ = app.organ_id("370782").await.to_string();
    let mut admin = app.login("admin").await;
    let form = |extra: Vec<(&'static str, String)>| {
        let mut f: Vec<(&'static str, String)> = vec![
            ("username", "wenren".into()),
            ("display_name", "闻人建华".into()),
            ("password", "abcd1234efgh".into()),
            ("organ_id", organ.clone()),
            ("roles", "deputy".into()),
        ];
        f.extend(extra);
        f
    };
    async fn post(b: &mut Browser<'_>, f: &[(&'static str, String)]) -> Resp {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post("/console/admin/accounts", &f).await
    }
    // The form asks for names, not numbers.
    let r = admin.get("/console/admin/accounts/new").await;
    assert!(
        r.texts("label[for=deputy]")[0].contains("代表姓名") && r.texts("label[for=station]")[0].contains("站点名称")
    );
    assert!(r.html().select(&scraper::Selector::parse("input[name=deputy_id]").unwrap()).next().is_none());
    // Search as you type.
    let r = admin.get("/console/admin/accounts/lookup?kind=deputy&q=%E9%97%BB%E4%BA%BA").await;
    assert_eq!(r.status, StatusCode::OK);
    let found: Vec<i64> = r.json().as_array().unwrap().iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(found.len(), 2, "{}", r.body);
    assert!(ids.iter().all(|i| found.contains(i)));
    assert_eq!(
        admin.get("/console/admin/accounts/lookup?kind=nobody&q=a").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(staff.get("/console/admin/accounts/lookup?kind=deputy&q=a").await.status, StatusCode::FORBIDDEN);
    // An unknown name: 422, the field's message, what was typed kept.
    let r = post(&mut admin, &form(vec![("deputy", "查无此人".into())])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.texts(".field-error"), ["本机关及下级没有名为「查无此人」的代表"]);
    assert!(r.body.contains("value=\"查无此人\"") && r.body.contains("value=\"wenren\""));
    // A shared name: 422 with the two to choose from.
    let r = post(&mut admin, &form(vec![("deputy", "闻人建华".into())])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.texts(".field-error"), ["有 2 个名为「闻人建华」的代表，请在下面选择是哪一个"]);
    let choices = r.texts("fieldset.choices label");
    assert_eq!(choices.len(), 2);
    assert!(choices.iter().any(|c| c.contains("试验镇卫生院")) && choices.iter().any(|c| c.contains("试验镇中学")));
    // Choosing one creates the account linked to it.
    let r = post(&mut admin, &form(vec![("deputy", "闻人建华".into()), ("deputy_id", ids[1].to_string())])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let linked = renda::db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'wenren'", vec![])
        .await
        .unwrap();
    assert_eq!(linked, ids[1]);
    // A keeper by the station's name.
    let station = renda::db::query_rows(
        app.db(),
        "SELECT id, name FROM stations s WHERE (SELECT count(*) FROM stations t WHERE t.name = s.name) = 1 ORDER BY id",
        vec![],
    )
    .await
    .unwrap()
    .remove(0);
    let (sid, sname): (i64, String) = (station.try_get_by_index(0).unwrap(), station.try_get_by_index(1).unwrap());
    let r = post(
        &mut admin,
        &[
            ("username", "keeperbyname".into()),
            ("display_name", "站长".into()),
            ("password", "abcd1234efgh".into()),
            ("organ_id", organ.clone()),
            ("roles", "keeper".into()),
            ("station", sname),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let linked =
        renda::db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeperbyname'", vec![])
            .await
            .unwrap();
    assert_eq!(linked, sid);
}
demo_test!(accounts_pick_deputy_and_station_by_name);

async fn bulk_moves_and_ends_mandates_all_or_nothing(app: crate::support::TestApp) {
    let root = app.organ_id("370782").await;
    let mut b = app.login("staff").await;
    let mut ids = Vec::new();
    for name in ["司马春兰", "司马秋菊", "司马冬梅"] {
        let r = b.post("/console/registry/deputies", &[("name", name), ("gender", "female")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let id: i64 = r.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap();
        let r = b
            .post(
                &format!("/console/registry/deputies/{id}/mandates"),
                &[("organ_id", &root.to_string()), ("term", "18"), ("how", "elected"), ("start_date", "2021-09-28")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        ids.push(id.to_string());
    }
    let db = app.db();
    let scalar = async |sql: &str| renda::db::scalar_i64(db, sql, vec![]).await.unwrap();
    let station =
        scalar("SELECT min(s.id) FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.code = '370782'").await;
    let group =
        scalar("SELECT min(g.id) FROM deputy_groups g JOIN organs o ON o.id = g.organ_id WHERE o.code = '370782'")
            .await;
    let picked = |extra: &[(&'static str, String)]| {
        let mut f: Vec<(&'static str, String)> = ids.iter().map(|i| ("ids", i.clone())).collect();
        f.extend(extra.iter().cloned());
        f
    };
    async fn post(b: &mut Browser<'_>, f: &[(&'static str, String)]) -> Resp {
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post("/console/registry/deputies/bulk", &f).await
    }
    async fn flash(b: &mut Browser<'_>, r: &Resp) -> String {
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = b.get(r.header("location").unwrap()).await;
        page.texts(".flash").join("")
    }
    let joined = ids.join(",");
    let members = async |sql: &str, owner: i64| {
        renda::db::scalar_i64(db, &sql.replace("{ids}", &joined), vec![owner.into()]).await.unwrap()
    };
    // The list offers the rows to tick.
    let r = b.get("/console/registry/deputies?q=%E5%8F%B8%E9%A9%AC").await;
    assert_eq!(r.html().select(&scraper::Selector::parse("form#bulk input[name=ids]").unwrap()).count(), 3);
    // Into a station, keeping other stations: one write, each deputy audited, a summary.
    let keep = || ("keep", "on".to_string());
    let r = post(&mut b, &picked(&[("op", "station".into()), ("station", station.to_string()), keep()])).await;
    assert!(flash(&mut b, &r).await.contains("已将 3 名代表编入站点"));
    let sql = "SELECT count(*) FROM station_deputies WHERE station_id = $1 AND person_id IN ({ids})";
    assert_eq!(members(sql, station).await, 3);
    // Again: nothing new, and said so.
    let r = post(&mut b, &picked(&[("op", "station".into()), ("station", station.to_string()), keep()])).await;
    assert!(flash(&mut b, &r).await.contains("已将 0 名代表编入站点"));
    // 调站 (the default): into another station and out of the first.
    let other = scalar(
        "SELECT max(s.id) FROM stations s JOIN organs o ON o.id = s.organ_id WHERE o.code = '370782' \
         AND s.online_only = FALSE",
    )
    .await;
    assert_ne!(other, station);
    let r = post(&mut b, &picked(&[("op", "station".into()), ("station", other.to_string())])).await;
    assert!(flash(&mut b, &r).await.contains("已将 3 名代表调入站点"));
    assert_eq!(members(sql, other).await, 3);
    assert_eq!(members(sql, station).await, 0, "moved, not added");
    let unassigned = scalar(&format!(
        "SELECT count(*) FROM audit_log WHERE action = 'station_unassign' AND target_id = '{station}'"
    ))
    .await;
    assert!(unassigned >= 3, "each leave audited");
    // Into a group.
    let r = post(&mut b, &picked(&[("op", "group".into()), ("group", group.to_string())])).await;
    assert!(flash(&mut b, &r).await.contains("已将 3 名代表编入代表小组"));
    let sql = "SELECT count(*) FROM memberships WHERE group_id = $1 AND person_id IN ({ids})";
    assert_eq!(members(sql, group).await, 3);
    // Bad input: 422, the message, what was typed kept, nothing changed.
    let r = post(
        &mut b,
        &picked(&[("op", "end".into()), ("kind", "".into()), ("date", "2026-13-01".into()), ("note", "换届".into())]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.texts(".field-error");
    assert!(
        errors.iter().any(|e| e.contains("请选择终止原因")) && errors.iter().any(|e| e.contains("日期")),
        "{errors:?}"
    );
    assert!(r.body.contains("value=\"换届\"") && r.body.contains("value=\"2026-13-01\""));
    assert_eq!(
        post(&mut b, &[("op", "station".into()), ("station", station.to_string())]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // All or nothing: one deputy without a serving mandate stops the whole action.
    let r = b.post("/console/registry/deputies", &[("name", "司马无任"), ("gender", "male")]).await;
    let lone: String = r.header("location").unwrap().rsplit('/').next().unwrap().to_string();
    let mut with_lone = picked(&[("op", "end".into()), ("kind", "term_ended".into()), ("date", "2026-12-31".into())]);
    with_lone.push(("ids", lone));
    let r = post(&mut b, &with_lone).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.texts(".field-error").iter().any(|e| e.contains("司马无任") && e.contains("未做任何更改")),
        "{:?}",
        r.texts(".field-error")
    );
    let serving = "SELECT count(*) FROM mandates WHERE status = 'serving' AND person_id IN ({ids}) AND $1 = $1";
    assert_eq!(members(serving, 0).await, 3, "nothing ended");
    // 换届: every picked deputy's mandate ends with the reason.
    let r = post(
        &mut b,
        &picked(&[
            ("op", "end".into()),
            ("kind", "term_ended".into()),
            ("date", "2026-12-31".into()),
            ("note", "换届".into()),
        ]),
    )
    .await;
    assert!(flash(&mut b, &r).await.contains("已为 3 名代表登记"));
    assert_eq!(members(serving, 0).await, 0);
    let ended = "SELECT count(*) FROM mandates WHERE status = 'term_ended' AND end_date = '2026-12-31' AND person_id IN ({ids}) AND $1 = $1";
    assert_eq!(members(ended, 0).await, 3);
    let audited = "SELECT count(*) FROM audit_log WHERE action = 'mandate_end' AND target_id IN (SELECT CAST(id AS TEXT) FROM persons WHERE id IN ({ids})) AND $1 = $1";
    assert_eq!(members(audited, 0).await, 3, "each change audited");
    // A unit user and a leader may not.
    for who in ["unit", "leader"] {
        let mut u = app.login(who).await;
        let r = post(&mut u, &picked(&[("op", "station".into()), ("station", station.to_string())])).await;
        assert!(r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND, "{who}: {}", r.status);
    }
}
demo_test!(bulk_moves_and_ends_mandates_all_or_nothing);
