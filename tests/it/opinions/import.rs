//! OPN-14: 12345 work orders imported through a saved column mapping — an .xlsx built here, a
//! CSV with a BOM and messy headers, JSON; importing again is a no-op; a bad row is reported
//! with its number; only the organ's staff and admins may import.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use renda::auth::Scope;
use renda::db;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::demo_test;
use crate::support::{Browser, Resp, TestApp};

const PAGE: &str = "/console/opinions/import";

async fn save_mapping(b: &mut Browser<'_>, fields: &[(&str, &str)]) -> Resp {
    b.post(&format!("{PAGE}/mappings"), fields).await
}

async fn mapping_id(app: &TestApp, name: &str) -> i64 {
    db::scalar_i64(app.db(), "SELECT id FROM import_mappings WHERE name = $1", vec![name.into()]).await.unwrap()
}

async fn opinions(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap()
}

/// The run a redirect after an upload points at.
fn run_of(r: &Resp) -> i64 {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.header("location").unwrap();
    to.strip_prefix(&format!("{PAGE}/runs/")).unwrap_or_else(|| panic!("{to}")).parse().unwrap()
}

/// (row, external number, outcome, reason) of a run's report.
async fn report(app: &TestApp, run: i64) -> Vec<(i64, String, String, String)> {
    db::query_rows(
        app.db(),
        "SELECT row_no, external_no, outcome, reason FROM import_run_rows WHERE run_id = $1 ORDER BY id",
        vec![run.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get_by_index(0).unwrap(),
            r.try_get_by_index(1).unwrap(),
            r.try_get_by_index(2).unwrap(),
            r.try_get_by_index(3).unwrap(),
        )
    })
    .collect()
}

fn outcomes(lines: &[(i64, String, String, String)]) -> Vec<(i64, &str, &str)> {
    lines.iter().map(|(row, no, outcome, _)| (*row, no.as_str(), outcome.as_str())).collect()
}

/// A 12345 export as Excel writes it: a title row above the header, the order number as
/// text, the phone typed as a number, the received time as a date cell.
fn workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "诸城市12345政务服务便民热线工单导出").unwrap();
    for (i, h) in [" 工单编号 *", "诉求标题", "诉求内容：", "诉求类别", "联系电话", "诉求人", "所属区域", "受理时间"]
        .iter()
        .enumerate()
    {
        ws.write_string(1, i as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    type Row<'a> = (&'a str, &'a str, &'a str, &'a str, Option<f64>, &'a str, &'a str, &'a str);
    let rows: [Row; 4] = [
        (
            "ZC20260302001",
            "路灯不亮",
            "密州路东段路灯连续一周不亮，晚上行人看不清路。",
            "城乡建设",
            Some(13800138000.0),
            "张先生",
            "",
            "2026-03-02 09:15:00",
        ),
        (
            "ZC20260302002",
            "",
            "小区门口垃圾清运不及时，夏天异味很重。",
            "市容环卫",
            None,
            "",
            "",
            "2026-03-02 10:40:00",
        ),
        ("ZC20260302003", "", "", "其他", None, "", "", "2026-03-02 11:00:00"),
        (
            "ZC20260302004",
            "",
            "企业开办窗口排队时间太长，希望增加自助设备。",
            "营商环境",
            Some(5_362_123_456.0),
            "",
            "火星镇",
            "2026-03-03 08:05:00",
        ),
    ];
    for (i, (no, title, content, category, phone, name, area, at)) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(r, 0, *no).unwrap();
        ws.write_string(r, 1, *title).unwrap();
        ws.write_string(r, 2, *content).unwrap();
        ws.write_string(r, 3, *category).unwrap();
        if let Some(p) = phone {
            ws.write_number(r, 4, *p).unwrap();
        }
        ws.write_string(r, 5, *name).unwrap();
        ws.write_string(r, 6, *area).unwrap();
        ws.write_datetime_with_format(r, 7, ExcelDateTime::parse_from_str(at).unwrap(), &date).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

async fn an_xlsx_imports_once_through_its_mapping(app: TestApp) {
    let mut staff = app.login("staff").await;
    let page = staff.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The form starts from the usual headers of a 12345 export.
    assert!(page.body.contains("value=\"工单编号\""), "{}", page.body);
    assert!(page.body.contains(r#"name="name_column" value="诉求人""#), "{}", page.body);
    // A mapping without the order number column is refused in Chinese.
    let r = save_mapping(&mut staff, &[("name", "市12345"), ("content", "诉求内容")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请填写文件中“工单编号”所在列的表头"), "{}", r.body);
    // The refused form shows what was typed, each header in its own field.
    assert!(r.body.contains(r#"name="content" value="诉求内容""#), "{}", r.body);
    assert!(r.body.contains(r#"name="title" value="""#), "{}", r.body);
    let fields = [
        ("name", "市12345"),
        ("external_no", "工单编号"),
        ("content", "诉求内容"),
        ("title", "诉求标题"),
        ("category", "诉求类别"),
        ("phone", "联系电话"),
        ("name_column", "诉求人"),
        ("area_name", "所属区域"),
        ("received_at", "受理时间"),
    ];
    let r = save_mapping(&mut staff, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Saving under the same name replaces it.
    let r = save_mapping(&mut staff, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM import_mappings", vec![]).await.unwrap(), 1);
    let mapping = mapping_id(&app, "市12345").await;
    assert!(staff.get(PAGE).await.body.contains("工单编号←「工单编号」"));
    // Editing it fills the form with its headers, field by field (the name's column included).
    let edit = staff.get(&format!("{PAGE}?edit={mapping}")).await.body;
    for (key, value) in fields.iter().chain(&[("area_code", "")]) {
        assert!(edit.contains(&format!(r#"name="{key}" value="{value}""#)), "{key}: {edit}");
    }

    let before = opinions(&app).await;
    let sms_before = db::scalar_i64(app.db(), "SELECT COALESCE(max(id), 0) FROM sms_outbox", vec![]).await.unwrap();
    let bytes = workbook();
    let r = staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "工单.xlsx", &bytes).await;
    let run = run_of(&r);
    let lines = report(&app, run).await;
    assert_eq!(
        outcomes(&lines),
        [
            (3, "ZC20260302001", "imported"),
            (4, "ZC20260302002", "imported"),
            (5, "ZC20260302003", "refused"),
            (6, "ZC20260302004", "imported")
        ]
    );
    assert!(lines[2].3.contains("诉求内容为空"), "{:?}", lines[2]);
    // Lenient cases are imported with a note.
    assert!(lines[1].3.contains("市容环卫"), "{:?}", lines[1]);
    // Excel dropped the landline's leading 0 (0536…): it is put back and the number kept.
    assert!(lines[3].3.contains("火星镇") && lines[3].3.contains("补上了区号前的 0"), "{:?}", lines[3]);
    assert_eq!(opinions(&app).await, before + 3);
    let row = &db::query_rows(
        app.db(),
        "SELECT channel, category, title, created_at, name_enc IS NOT NULL, phone_enc IS NOT NULL, allow_public, \
         entered_by_id IS NOT NULL FROM opinions WHERE external_no = 'ZC20260302001'",
        vec![],
    )
    .await
    .unwrap()[0];
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "hotline");
    assert_eq!(row.try_get_by_index::<String>(1).unwrap(), "城乡建设");
    assert_eq!(row.try_get_by_index::<String>(2).unwrap(), "路灯不亮");
    assert_eq!(
        renda::app::fmt::datetime(row.try_get_by_index::<i64>(3).unwrap()),
        "2026-03-02 09:15",
        "the order keeps its received time"
    );
    assert!(row.try_get_by_index::<bool>(4).unwrap() && row.try_get_by_index::<bool>(5).unwrap());
    assert!(!row.try_get_by_index::<bool>(6).unwrap());
    assert!(row.try_get_by_index::<bool>(7).unwrap());
    // The mobile (typed as a number in Excel) got the receipt.
    let sms = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM sms_outbox WHERE id > $1 AND phone_masked = '138****8000'",
        vec![sms_before.into()],
    )
    .await
    .unwrap();
    assert_eq!(sms, 1);

    // The report page and its download.
    let p = staff.get(&format!("{PAGE}/runs/{run}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("新增 <strong>3</strong> 件"), "{}", p.body);
    assert!(p.body.contains("诉求内容为空"));
    let x = staff.get(&format!("{PAGE}/runs/{run}/report")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.header("content-type").unwrap().contains("spreadsheetml"));
    let sheet = renda::sheet::read(&x.bytes, None).unwrap();
    let cells: Vec<String> = sheet.range.rows().nth(3).unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(cells[0], "5");
    assert_eq!(cells[1], "ZC20260302003");
    assert_eq!(cells[2], "未导入");

    // The same file again creates nothing: every order is 已存在 (the bad row stays refused).
    let r = staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "工单.xlsx", &bytes).await;
    let again = report(&app, run_of(&r)).await;
    assert_eq!(
        outcomes(&again),
        [
            (3, "ZC20260302001", "duplicate"),
            (4, "ZC20260302002", "duplicate"),
            (5, "ZC20260302003", "refused"),
            (6, "ZC20260302004", "duplicate")
        ]
    );
    assert!(again[0].3.contains("已导入过"), "{:?}", again[0]);
    assert_eq!(opinions(&app).await, before + 3);
    assert_eq!(
        db::scalar_i64(app.db(), "SELECT count(*) FROM sms_outbox WHERE id > $1", vec![sms_before.into()])
            .await
            .unwrap(),
        1
    );
    let listed = staff.get(PAGE).await;
    assert!(listed.body.contains("工单.xlsx"));

    // A file that lacks a mapped column is refused as a whole, nothing written.
    let mut wb = Workbook::new();
    wb.add_worksheet().write_string(0, 0, "工单编号").unwrap().write_string(1, 0, "X1").unwrap();
    let r =
        staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "少列.xlsx", &wb.save_to_buffer().unwrap()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("文件中没有“诉求内容”列"), "{}", r.body);
    // Not a spreadsheet, CSV or JSON at all.
    let r = staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "a.png", b"\x89PNG\r\n\x1a\n\x00\x00").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(opinions(&app).await, before + 3);
}
demo_test!(an_xlsx_imports_once_through_its_mapping);

async fn csv_and_json_through_one_mapping(app: TestApp) {
    let mut staff = app.login("staff").await;
    let area: (String, String) = {
        let r = &db::query_rows(
            app.db(),
            "SELECT code, name FROM areas WHERE level = 'township' ORDER BY id LIMIT 1",
            vec![],
        )
        .await
        .unwrap()[0];
        (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())
    };
    let r = save_mapping(
        &mut staff,
        &[
            ("name", "即诉即办"),
            ("external_no", "工单号"),
            ("content", "诉求内容"),
            ("phone", "联系电话"),
            ("area_code", "区划代码"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mapping = mapping_id(&app, "即诉即办").await;
    let before = opinions(&app).await;
    // BOM, spaces and a full-width colon in the headers, a quoted field with a comma and a
    // line break, CRLF, a blank line, an empty content on line 6.
    let csv = format!(
        "\u{feff} 工单号 ,诉求内容：,联系电话, 区划代码\r\n\
         JS-001,\"道路破损，\r\n雨天积水严重。\",13900001111,{}\r\n\
         \r\n\
         JS-002,学校周边有无证摊贩占道经营。,,\r\n\
         JS-003,,13900002222,\r\n\
         JS-001,重复的工单编号应当只导入一次。,,\r\n",
        area.0
    );
    let r = staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "export.csv", csv.as_bytes()).await;
    let lines = report(&app, run_of(&r)).await;
    assert_eq!(
        outcomes(&lines),
        [(2, "JS-001", "imported"), (5, "JS-002", "imported"), (6, "JS-003", "refused"), (7, "JS-001", "duplicate")]
    );
    assert!(lines[2].3.contains("诉求内容为空"));
    assert!(lines[3].3.contains("第 2 行"), "{:?}", lines[3]);
    let (content, code): (String, Option<String>) = {
        let r = &db::query_rows(
            app.db(),
            "SELECT op.content, a.code FROM opinions op LEFT JOIN areas a ON a.id = op.area_id WHERE op.external_no = 'JS-001'",
            vec![],
        )
        .await
        .unwrap()[0];
        (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())
    };
    assert!(content.contains("道路破损，") && content.contains("雨天积水严重"), "{content}");
    assert_eq!(code, Some(area.0.clone()));
    assert_eq!(opinions(&app).await, before + 2);

    // JSON: the records wrapped in an object, numbers for text, nulls; the same mapping.
    let json = serde_json::json!({
        "code": 0,
        "data": [
            {"工单号": "JS-002", "诉求内容": "学校周边有无证摊贩占道经营。"},
            {"工单号": 20260401, "诉求内容": "农村饮用水水压不足，高峰时段停水。", "联系电话": 13900003333_i64, "区划代码": null},
            {"工单号": "JS-005", "诉求内容": "控制字符\u{0007}不应被导入。"}
        ]
    });
    let r =
        staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "orders.json", json.to_string().as_bytes()).await;
    let lines = report(&app, run_of(&r)).await;
    assert_eq!(outcomes(&lines), [(1, "JS-002", "duplicate"), (2, "20260401", "imported"), (3, "JS-005", "refused")]);
    assert!(lines[2].3.contains("控制字符"), "{:?}", lines[2]);
    assert_eq!(opinions(&app).await, before + 3);
    let page = staff.get(&format!("{PAGE}/runs/{}", run_of(&r))).await;
    assert!(page.body.contains("<th scope=\"col\">记录</th>"));
    // A broken JSON file is refused as a whole.
    let r = staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "bad.json", b"[{\"\xe5\xb7\xa5\": ").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("JSON"), "{}", r.body);

    // Deleting the mapping keeps the reports.
    let r = staff.post(&format!("{PAGE}/mappings/{mapping}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        db::scalar_i64(app.db(), "SELECT count(*) FROM import_runs WHERE mapping_id IS NULL", vec![]).await.unwrap(),
        2
    );
    let r = staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "export.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
demo_test!(csv_and_json_through_one_mapping);

async fn only_the_organs_staff_import(app: TestApp) {
    let mut staff = app.login("staff").await;
    let r = save_mapping(&mut staff, &[("name", "热线"), ("external_no", "编号"), ("content", "内容")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mapping = mapping_id(&app, "热线").await;
    let csv = "编号,内容\nP-1,井盖缺失，存在安全隐患。\n";
    let run = run_of(&staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "a.csv", csv.as_bytes()).await);
    let before = opinions(&app).await;

    let mut admin = app.login("admin").await;
    assert_eq!(admin.get(PAGE).await.status, StatusCode::OK);
    for who in ["leader", "unit", "deputy", "keeper"] {
        let mut b = app.login(who).await;
        let expected: &[StatusCode] = &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];
        let r = b.get(PAGE).await;
        assert!(expected.contains(&r.status), "{who} GET: {}", r.status);
        assert!(!b.get("/console").await.body.contains("12345 工单导入"), "{who} sees the menu entry");
        let r = b.upload(&format!("{PAGE}?mapping={mapping}"), "file", "a.csv", csv.as_bytes()).await;
        assert!(expected.contains(&r.status), "{who} upload: {}", r.status);
        let r = save_mapping(&mut b, &[("name", "x"), ("external_no", "编号"), ("content", "内容")]).await;
        assert!(expected.contains(&r.status), "{who} mapping: {}", r.status);
        let r = b.post(&format!("{PAGE}/mappings/{mapping}/remove"), &[]).await;
        assert!(expected.contains(&r.status), "{who} remove: {}", r.status);
        let r = b.get(&format!("{PAGE}/runs/{run}/report")).await;
        assert!(expected.contains(&r.status), "{who} report: {}", r.status);
    }
    // A token is no credential on the console, read or write.
    for scope in [Scope::Read, Scope::Write] {
        let token = app.token("staff", scope).await;
        let r = app
            .send(
                Request::get(PAGE)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert!(
            r.status == StatusCode::UNAUTHORIZED || r.header("location").is_some_and(|l| l.starts_with("/login")),
            "{scope:?}: {}",
            r.status
        );
    }
    assert_eq!(opinions(&app).await, before);
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM import_mappings", vec![]).await.unwrap(), 1);
    // The staff's menu offers it.
    assert!(staff.get("/console").await.body.contains("12345 工单导入"));
}
demo_test!(only_the_organs_staff_import);

/// The opinion of an imported order: (id, area name, phone as stored).
async fn imported(app: &TestApp, external_no: &str) -> (i64, Option<String>, Option<String>) {
    let r = &db::query_rows(
        app.db(),
        "SELECT op.id, a.name, op.phone_enc FROM opinions op LEFT JOIN areas a ON a.id = op.area_id WHERE op.external_no = $1",
        vec![external_no.into()],
    )
    .await
    .unwrap()[0];
    let phone: Option<String> = r.try_get_by_index(2).unwrap();
    (
        r.try_get_by_index(0).unwrap(),
        r.try_get_by_index(1).unwrap(),
        phone.map(|p| app.state.crypto.decrypt(&p).unwrap()),
    )
}

async fn an_order_keeps_its_landline_its_area_and_its_number(app: TestApp) {
    let mut staff = app.login("staff").await;
    let fields = [
        ("name", "12345 导出"),
        ("external_no", "工单编号"),
        ("content", "诉求内容"),
        ("title", "诉求标题"),
        ("phone", "联系电话"),
        ("name_column", "诉求人"),
        ("area_name", "所属区域"),
        ("received_at", "受理时间"),
    ];
    assert_eq!(save_mapping(&mut staff, &fields).await.status, StatusCode::SEE_OTHER);
    let mapping = mapping_id(&app, "12345 导出").await;
    let sms_before = db::scalar_i64(app.db(), "SELECT COALESCE(max(id), 0) FROM sms_outbox", vec![]).await.unwrap();
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/12345-orders.csv")).unwrap();
    let r = staff.upload(&format!("{PAGE}?mapping={mapping}"), "file", "12345-orders.csv", &file).await;
    let lines = report(&app, run_of(&r)).await;
    assert_eq!(
        outcomes(&lines),
        [(2, "ZC-20261201-0007", "imported"), (3, "ZC-20261201-0008", "imported"), (4, "ZC-20261201-0009", "imported")]
    );
    // A landline is the caller's contact: kept (with and without its area code), no SMS to it.
    let (first, area, phone) = imported(&app, "ZC-20261201-0007").await;
    assert_eq!(phone.as_deref(), Some("05366012345"));
    assert!(lines[0].3.contains("固定电话") && !lines[0].3.contains("未保存"), "{:?}", lines[0]);
    assert_eq!(imported(&app, "ZC-20261201-0009").await.2.as_deref(), Some("6012346"));
    let sms: Vec<String> =
        db::query_rows(app.db(), "SELECT phone_masked FROM sms_outbox WHERE id > $1", vec![sms_before.into()])
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
    assert_eq!(sms, ["138****8009"], "only the mobile gets the receipt");
    // An area given after its parents' names is the area itself.
    assert_eq!(area.as_deref(), Some("龙都街道"));
    assert_eq!(imported(&app, "ZC-20261201-0008").await.1.as_deref(), Some("百尺河镇"));
    assert_eq!(imported(&app, "ZC-20261201-0009").await.1.as_deref(), Some("密州街道"));
    assert!(lines.iter().all(|l| !l.3.contains("区划")), "{lines:?}");

    // The order's number is on the opinion's page, and a search finds the order by it.
    let page = staff.get(&format!("/console/opinions/{first}")).await;
    assert_eq!(page.texts("#external-no"), ["ZC-20261201-0007"]);
    // The page shows the contact masked; 「查看联系方式」 shows it in full (an audited view).
    assert!(!page.body.contains("05366012345"), "masked on the page");
    let contact = staff.post(&format!("/console/opinions/{first}/contact"), &[]).await;
    assert!(contact.body.contains("05366012345"), "the staff see the landline in full: {}", contact.body);
    for q in ["ZC-20261201-0007", "zc-20261201-0007"] {
        let found = staff.get(&format!("/console/opinions?q={q}")).await;
        assert_eq!(found.texts("#count strong"), ["1"], "{q}");
        assert!(found.body.contains(&format!("/console/opinions/{first}\"")), "{q}");
    }
}
demo_test!(an_order_keeps_its_landline_its_area_and_its_number);
