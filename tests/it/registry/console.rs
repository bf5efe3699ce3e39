//! REG-1..11, console side: staff keep the registry of deputies, stations and structure
//! through the pages; each role sees only what the authorization layer allows.

use axum::http::StatusCode;
use renda::auth::Role;
use renda::db;

use crate::db_test;
use crate::support::{Browser, Resp, TestApp};

/// A township organ of its own below the demo county, with a staff account, so the figures
/// the tests check do not depend on what the demo seeds.
async fn setup(app: &TestApp) -> (i64, i64) {
    app.seed_demo().await;
    let root = app.organ_id("370782").await;
    let organ = app.add_organ("370782990", "试验镇人大主席团", root).await;
    app.add_account("rstaff", organ, &[Role::Staff]).await;
    (root, organ)
}

fn created_id(r: &Resp) -> i64 {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

async fn create_deputy(b: &mut Browser<'_>, name: &str, organ_for_mandate: i64) -> i64 {
    let r = b
        .post(
            "/console/registry/deputies",
            &[("name", name), ("gender", "female"), ("ethnicity", "汉族"), ("work_unit", "试验镇卫生院院长")],
        )
        .await;
    let id = created_id(&r);
    let r = b
        .post(
            &format!("/console/registry/deputies/{id}/mandates"),
            &[
                ("organ_id", &organ_for_mandate.to_string()),
                ("term", "18"),
                ("constituency", "第一选区"),
                ("how", "elected"),
                ("start_date", "2021-09-28"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    id
}

async fn staff_registers_deputy_and_records_mandate_events(app: TestApp) {
    let (root, _) = setup(&app).await;
    let mut b = app.login("rstaff").await;
    assert_eq!(b.get("/console/registry/deputies/new").await.status, StatusCode::OK);
    // A bad form: 422, each problem next to its field, what was typed kept.
    let r = b
        .post(
            "/console/registry/deputies",
            &[
                ("name", "张"),
                ("gender", ""),
                ("birth_date", "1975/13/40"),
                ("mobile", "1380"),
                ("work_unit", "试验镇"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.texts(".field-error");
    assert!(errors.iter().any(|e| e.contains("姓名应为 2 至 20 个字")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("请选择性别")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("出生日期")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("手机号码应为 1 开头、第二位为 3 至 9 的 11 位数字")), "{errors:?}");
    assert!(r.body.contains("value=\"试验镇\""));
    // A good one.
    let r = b
        .post(
            "/console/registry/deputies",
            &[
                ("name", "王秀兰"),
                ("gender", "female"),
                ("ethnicity", "汉"),
                ("birth_date", "1975-03-08"),
                ("party", "中共党员"),
                ("occupation", "专业技术人员"),
                ("expertise", "医疗、教育"),
                ("mobile", "13800001111"),
            ],
        )
        .await;
    let id = created_id(&r);
    let page = b.get(&format!("/console/registry/deputies/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("138****1111") && !page.body.contains("13800001111"), "mobile is masked");
    assert_eq!(page.texts(".tag"), ["医疗", "教育"]);
    assert!(page.body.contains("汉族"));
    // A mandate of the county congress; a wrong term is refused next to the field.
    let r = b
        .post(
            &format!("/console/registry/deputies/{id}/mandates"),
            &[("organ_id", &root.to_string()), ("term", "0"), ("how", "elected")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|e| e.contains("届次应为 1 至 99")));
    let r = b
        .post(
            &format!("/console/registry/deputies/{id}/mandates"),
            &[
                ("organ_id", &root.to_string()),
                ("term", "18"),
                ("constituency", "第三选区"),
                ("how", "elected"),
                ("start_date", "2021-09-28"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/deputies/{id}")).await;
    assert_eq!(page.texts(".mandate .status"), ["在任"]);
    assert!(page.texts(".mandate h3")[0].starts_with("第十八届诸城市人大代表"));
    let mandate: i64 =
        db::scalar_i64(app.db(), "SELECT max(id) FROM mandates WHERE person_id = $1", vec![id.into()]).await.unwrap();
    // Resignation ends it: status, event and history show it.
    let end = format!("/console/registry/deputies/{id}/mandates/{mandate}/end");
    let r = b.post(&end, &[("kind", "resigned"), ("date", "2024-06-30"), ("note", "工作调动")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/deputies/{id}")).await;
    assert_eq!(page.texts(".mandate .status"), ["辞职"]);
    let events = page.texts(".mandate .events li");
    assert!(events.iter().any(|e| e.contains("2021-09-28") && e.contains("当选")), "{events:?}");
    assert!(
        events.iter().any(|e| e.contains("2024-06-30") && e.contains("辞职") && e.contains("工作调动")),
        "{events:?}"
    );
    let history = page.texts(".timeline li");
    assert!(history.iter().any(|h| h.contains("终止代表资格") && h.contains("辞职")), "{history:?}");
    assert!(history.iter().any(|h| h.contains("新增代表资格")), "{history:?}");
    assert!(history.iter().any(|h| h.contains("登记人员")), "{history:?}");
    // An ended mandate cannot end again.
    let r = b.post(&end, &[("kind", "recalled"), ("date", "2024-07-30")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Editing keeps the mobile number when the field is left blank.
    let r = b
        .post(
            &format!("/console/registry/deputies/{id}"),
            &[("name", "王秀兰"), ("gender", "female"), ("work_unit", "试验镇中心卫生院院长"), ("expertise", "医疗")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/deputies/{id}")).await;
    assert!(page.body.contains("138****1111") && page.body.contains("试验镇中心卫生院院长"));
    assert!(page.texts(".timeline li").iter().any(|h| h.contains("修改人员信息")));
}
db_test!(staff_registers_deputy_and_records_mandate_events);

/// The person form and the roster parse gender in one place: both take 男性 and M. The end
/// form refuses a reason it does not know, next to its field.
async fn form_and_roster_accept_the_same_spellings(app: TestApp) {
    let (root, _) = setup(&app).await;
    let mut b = app.login("rstaff").await;
    for (name, typed, stored) in [("周男性", "男性", "male"), ("周大写", "M", "male"), ("吴女性", "女性", "female")]
    {
        let r = b.post("/console/registry/deputies", &[("name", name), ("gender", typed)]).await;
        let id = created_id(&r);
        let gender: Vec<String> = db::query_rows(app.db(), "SELECT gender FROM persons WHERE id = $1", vec![id.into()])
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect();
        assert_eq!(gender, [stored], "{typed}");
    }
    let r = b.post("/console/registry/deputies", &[("name", "郑未知"), ("gender", "未知")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|e| e.contains("请选择性别")));
    use renda::export::{Cell, Table, to_xlsx};
    let xlsx = to_xlsx(&Table {
        title: "代表名册".into(),
        headers: ["姓名", "性别", "县人大代表届次"].iter().map(|s| s.to_string()).collect(),
        rows: [("周男性", "男性"), ("周大写", "M")]
            .into_iter()
            .map(|(n, g)| vec![Cell::Text(n.into()), Cell::Text(g.into()), Cell::Int(19)])
            .collect(),
    });
    let rows = renda::registry::roster::parse(&xlsx).unwrap();
    assert!(rows.iter().all(|r| r.gender == renda::registry::roster::Gender::Male), "{rows:?}");
    // The end form: an unknown reason is a field error and the mandate keeps serving.
    let id = create_deputy(&mut b, "冯在任", root).await;
    let mandate: i64 =
        db::scalar_i64(app.db(), "SELECT max(id) FROM mandates WHERE person_id = $1", vec![id.into()]).await.unwrap();
    let end = format!("/console/registry/deputies/{id}/mandates/{mandate}/end");
    for kind in ["fired", "serving"] {
        let r = b.post(&end, &[("kind", kind), ("date", "2024-06-30")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert!(r.texts(".field-error").iter().any(|e| e.contains("请选择终止原因")), "{}", r.body);
    }
    let page = b.get(&format!("/console/registry/deputies/{id}")).await;
    assert_eq!(page.texts(".mandate .status"), ["在任"]);
    let r = b.post(&end, &[("kind", "term_ended"), ("date", "2024-06-30")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/deputies/{id}")).await;
    assert_eq!(page.texts(".mandate .status"), ["届满"]);
}
db_test!(form_and_roster_accept_the_same_spellings);

async fn deputy_list_filters_and_exports_everything_filtered(app: TestApp) {
    let (root, organ) = setup(&app).await;
    let mut b = app.login("rstaff").await;
    let county = create_deputy(&mut b, "李明远", root).await;
    let township = create_deputy(&mut b, "赵华", organ).await;
    create_deputy(&mut b, "李华", organ).await;
    let r = b.get("/console/registry/deputies").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("td.name"), ["李明远", "赵华", "李华"]);
    assert!(r.texts("#count")[0].contains('3'));
    let r = b.get("/console/registry/deputies?level=county").await;
    assert_eq!(r.texts("td.name"), ["李明远"]);
    assert_eq!(r.texts(".level-tag"), ["县"]);
    let r = b.get("/console/registry/deputies?level=township&q=%E5%8D%8E").await;
    assert_eq!(r.texts("td.name"), ["赵华", "李华"]);
    let r = b.get("/console/registry/deputies?q=%E6%9D%8E&sort=name").await;
    assert_eq!(r.texts("td.name").len(), 2);
    // The export links carry the filter; CSV holds every filtered row, with a BOM.
    let r = b.get("/console/registry/deputies?level=township").await;
    assert!(r.body.contains("/console/registry/deputies/export?level=township&amp;format=csv"));
    let csv = b.get("/console/registry/deputies/export?level=township&format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.header("content-disposition").unwrap().contains("filename*=UTF-8''"));
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(csv.body.contains("编号,姓名,性别"));
    assert!(csv.body.contains(&format!("{township},赵华,女")) && csv.body.contains("李华"));
    assert!(!csv.body.contains("李明远") && !csv.body.contains(&format!("\r\n{county},")));
    assert_eq!(csv.body.matches("\r\n").count(), 3, "header and two rows");
    let xlsx = b.get("/console/registry/deputies/export?format=xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.header("content-type").unwrap().contains("spreadsheetml"));
    // Former deputies show only when asked for.
    let mandate: i64 =
        db::scalar_i64(app.db(), "SELECT max(id) FROM mandates WHERE person_id = $1", vec![county.into()])
            .await
            .unwrap();
    b.post(
        &format!("/console/registry/deputies/{county}/mandates/{mandate}/end"),
        &[("kind", "deceased"), ("date", "2025-01-02")],
    )
    .await;
    assert_eq!(b.get("/console/registry/deputies").await.texts("td.name"), ["赵华", "李华"]);
    assert_eq!(b.get("/console/registry/deputies?former=1").await.texts("td.name").len(), 3);
}
db_test!(deputy_list_filters_and_exports_everything_filtered);

async fn station_with_deputies_and_duty_rules(app: TestApp) {
    let (_, organ) = setup(&app).await;
    let area = renda::org::organ(app.db(), organ).await.unwrap().unwrap().area_id.to_string();
    let kind = db::scalar_i64(app.db(), "SELECT min(id) FROM station_types", vec![]).await.unwrap().to_string();
    let mut b = app.login("rstaff").await;
    assert_eq!(b.get("/console/registry/stations/new").await.status, StatusCode::OK);
    let r = b
        .post("/console/registry/stations", &[("name", "站"), ("type_id", &kind), ("area_id", &area), ("lat", "北纬")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.texts(".field-error");
    assert!(errors.iter().any(|e| e.contains("名称应为 2 至 60 个字")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("坐标应为数字")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("请填写地址")), "{errors:?}");
    let r = b
        .post(
            "/console/registry/stations",
            &[
                ("name", "试验镇人大代表联络站"),
                ("type_id", &kind),
                ("area_id", &area),
                ("address", "试验镇政府院内"),
                ("lat", "35.99"),
                ("lng", "119.41"),
                ("opening_hours", "工作日 9:00-17:00"),
                ("facilities", "有固定场所"),
                ("facilities", "有标识牌"),
            ],
        )
        .await;
    let station = created_id(&r);
    let page = b.get(&format!("/console/registry/stations/{station}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts(".checklist .yes").len(), 2);
    assert!(page.body.contains(&format!("src=\"/s/{station}/qr.svg\"")));
    assert!(page.body.contains(&format!("href=\"/s/{station}/card\"")));
    // A deputy is assigned by name; an unknown name is refused.
    let deputy = create_deputy(&mut b, "孙建华", organ).await;
    let r = b.post(&format!("/console/registry/stations/{station}/deputies"), &[("person", "查无此人")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts(".field-error").iter().any(|e| e.contains("没有找到")));
    let r = b.post(&format!("/console/registry/stations/{station}/deputies"), &[("person", "孙建华")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get(&format!("/console/registry/stations/{station}")).await;
    assert!(page.texts(".station-deputies td").iter().any(|t| t == "孙建华"));
    // A duty rule in Chinese becomes dated slots.
    let rules = format!("/console/registry/stations/{station}/rules");
    let r = b.post(&rules, &[("person_id", &deputy.to_string()), ("rule_text", "随便哪天")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.texts(".field-error").is_empty());
    // The error is where the person looks: the page opens at the form, the field focused.
    let html = r.html();
    let form = html.select(&scraper::Selector::parse("form#rule-form").unwrap()).next().expect("the rule form");
    assert!(form.value().attr("action").unwrap().ends_with("#rule-form"));
    let field = html.select(&scraper::Selector::parse("#rule_text").unwrap()).next().unwrap();
    assert!(field.value().attr("autofocus").is_some() && field.value().attr("aria-invalid") == Some("true"));
    assert_eq!(field.value().attr("value"), Some("随便哪天"), "what was typed is kept");
    let r = b.post(&rules, &[("person_id", &deputy.to_string()), ("rule_text", "每月15日上午")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/stations/{station}")).await;
    assert!(page.texts(".rules td").iter().any(|t| t.contains("每月15日")), "{:?}", page.texts(".rules td"));
    let slots = page.texts(".slots li");
    assert!(slots.len() >= 5, "{slots:?}");
    assert!(slots.iter().all(|s| s.contains("15日") && s.contains("09:00") && s.contains("孙建华")), "{slots:?}");
    assert!(page.texts(".timeline li").iter().any(|h| h.contains("新增进站安排")));
    let rule = db::scalar_i64(app.db(), "SELECT max(id) FROM duty_rules", vec![]).await.unwrap();
    let r = b.post(&format!("{rules}/{rule}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(b.get(&format!("/console/registry/stations/{station}")).await.texts(".slots li").is_empty());
    // The list and its export find it; the deputy's page links back to it.
    let list = b.get("/console/registry/stations?q=%E8%AF%95%E9%AA%8C%E9%95%87").await;
    assert_eq!(list.texts("td.name"), ["试验镇人大代表联络站"]);
    let csv = b.get("/console/registry/stations/export?format=csv").await;
    assert!(csv.body.contains("试验镇人大代表联络站") && csv.body.contains("有固定场所、有标识牌"));
    let person = b.get(&format!("/console/registry/deputies/{deputy}")).await;
    assert!(person.body.contains(&format!("/console/registry/stations/{station}")));
    // Leaving the station.
    let r = b.post(&format!("/console/registry/stations/{station}/deputies/{deputy}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(b.get(&format!("/console/registry/stations/{station}")).await.texts(".station-deputies td").is_empty());
}
db_test!(station_with_deputies_and_duty_rules);

async fn keeper_sees_and_runs_only_own_station(app: TestApp) {
    let (_, organ) = setup(&app).await;
    let area = renda::org::organ(app.db(), organ).await.unwrap().unwrap().area_id;
    let kind = db::scalar_i64(app.db(), "SELECT min(id) FROM station_types", vec![]).await.unwrap();
    let input = |name: &str| renda::registry::stations::StationInput {
        name: name.into(),
        type_id: kind,
        area_id: area,
        address: "试验镇".into(),
        lat: Some(35.9),
        lng: Some(119.4),
        ..Default::default()
    };
    let txn = db::begin_write(app.db()).await.unwrap();
    let actor = renda::audit::Actor::system("test");
    let key = app.state.audit_key();
    let own = renda::registry::stations::create(&txn, key, &actor, organ, &input("东站")).await.unwrap();
    let other = renda::registry::stations::create(&txn, key, &actor, organ, &input("西站")).await.unwrap();
    txn.commit().await.unwrap();
    let keeper = app.add_account("rkeeper", organ, &[Role::Keeper]).await;
    {
        let txn = renda::db::begin_write(app.db()).await.unwrap();
        let actor = renda::audit::Actor::system("test");
        renda::registry::stations::add_keeper(&txn, app.state.audit_key(), &actor, own, keeper).await.unwrap();
        txn.commit().await.unwrap();
    }
    let mut b = app.login("rkeeper").await;
    let r = b.get("/console/registry/stations").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some(format!("/console/registry/stations/{own}").as_str()));
    let page = b.get(&format!("/console/registry/stations/{own}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts(".props dd").iter().any(|t| t.contains("测试rkeeper")), "keeper listed");
    assert_eq!(b.get(&format!("/console/registry/stations/{own}/edit")).await.status, StatusCode::OK);
    let r = b
        .post(
            &format!("/console/registry/stations/{own}"),
            &[
                ("name", "东站"),
                ("type_id", &kind.to_string()),
                ("area_id", &area.to_string()),
                ("address", "试验镇东街 1 号"),
                ("lat", "35.9"),
                ("lng", "119.4"),
                ("opening_hours", "周六 9:00-12:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(b.get(&format!("/console/registry/stations/{own}")).await.body.contains("周六 9:00-12:00"));
    // Another station does not exist for the keeper, nor do the registry lists.
    assert_eq!(b.get(&format!("/console/registry/stations/{other}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get(&format!("/console/registry/stations/{other}/edit")).await.status, StatusCode::NOT_FOUND);
    let r = b.post(&format!("/console/registry/stations/{other}"), &[("name", "改名")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/console/registry/deputies").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/console/registry/stations/new").await.status, StatusCode::NOT_FOUND);
}
db_test!(keeper_sees_and_runs_only_own_station);

async fn other_roles_do_not_see_the_registry(app: TestApp) {
    setup(&app).await;
    let lists = [
        "/console/registry/deputies",
        "/console/registry/deputies/new",
        "/console/registry/deputies/export?format=csv",
        "/console/registry/stations",
        "/console/registry/stations/export?format=csv",
        "/console/registry/groups",
        "/console/registry/committees",
        "/console/registry/links",
        "/console/registry/grids",
        "/console/registry/roles",
    ];
    for who in ["unit", "deputy"] {
        let mut b = app.login(who).await;
        for path in lists {
            assert_eq!(b.get(path).await.status, StatusCode::NOT_FOUND, "{who} {path}");
        }
        let menu = b.get("/console").await.body;
        assert!(
            lists.iter().all(|l| !menu.contains(&format!("href=\"{l}\""))),
            "{who} has no registry lists in the menu"
        );
    }
    // A leader reads but does not write.
    let mut b = app.login("leader").await;
    for path in lists.iter().filter(|p| !p.ends_with("/new")) {
        assert_eq!(b.get(path).await.status, StatusCode::OK, "leader {path}");
    }
    assert_eq!(b.get("/console/registry/deputies/new").await.status, StatusCode::FORBIDDEN);
    let r = b.post("/console/registry/groups", &[("kind", "area_group"), ("name", "某小组")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Staff find the registry in the menu.
    let mut b = app.login("rstaff").await;
    let menu = b.get("/console").await.texts(".sidemenu a");
    for label in ["代表", "站点", "代表小组", "委员会", "双联系", "网格", "履职角色"] {
        assert!(menu.iter().any(|m| m == label), "{label} in {menu:?}");
    }
}
db_test!(other_roles_do_not_see_the_registry);

async fn groups_committees_links_grids_and_roles(app: TestApp) {
    let (root, organ) = setup(&app).await;
    let mut b = app.login("rstaff").await;
    let a = create_deputy(&mut b, "钱文", organ).await;
    create_deputy(&mut b, "孙丽", organ).await;
    create_deputy(&mut b, "周强", root).await;
    // A committee member who is not (yet) a deputy.
    let r = b.post("/console/registry/deputies", &[("name", "吴主任"), ("gender", "male")]).await;
    let member = created_id(&r);
    // 常委会 with its 主任.
    let r = b.post("/console/registry/committees", &[("kind", "standing"), ("name", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b.post("/console/registry/committees", &[("kind", "standing"), ("name", "试验镇人大常委会")]).await;
    let standing = created_id(&r);
    let r = b.post("/console/registry/committees", &[("kind", "standing"), ("name", "第二个常委会")]).await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("已登记常委会")));
    let r = b
        .post(
            &format!("/console/registry/committees/{standing}/members"),
            &[("person", "吴主任"), ("position", "主任")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/console/registry/committees/{standing}")).await;
    assert_eq!(page.texts(".members td"), ["吴主任", "主任", "离任"]);
    // 双联系 and its coverage, counted by SQL over serving deputies.
    let r = b.get("/console/registry/links").await;
    assert_eq!(r.texts("#coverage"), ["3 名代表中 0 名已联系组成人员（覆盖率 0.0%）"]);
    let r = b.post("/console/registry/links", &[("member", &member.to_string()), ("person", &a.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b.post("/console/registry/links", &[("member", &member.to_string()), ("person", "钱文")]).await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("已建立联系")));
    let r = b.post("/console/registry/links", &[("member", &a.to_string()), ("person", "孙丽")]).await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("请选择常委会组成人员")));
    let r = b.get("/console/registry/links").await;
    assert_eq!(r.texts("#coverage"), ["3 名代表中 1 名已联系组成人员（覆盖率 33.3%）"]);
    assert_eq!(r.texts(".links tbody td a"), ["吴主任", "钱文"]);
    // A professional group linked with a special committee, with a convener.
    let r = b.post("/console/registry/committees", &[("kind", "special"), ("name", "教育科学文化卫生委员会")]).await;
    let special = created_id(&r);
    let r = b
        .post(
            "/console/registry/groups",
            &[("kind", "professional_group"), ("name", "医疗卫生专业代表小组"), ("committee_id", &special.to_string())],
        )
        .await;
    let group = created_id(&r);
    let r = b
        .post(&format!("/console/registry/groups/{group}/members"), &[("person", "查无此人"), ("role", "member")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        b.post(&format!("/console/registry/groups/{group}/members"), &[("person", "钱文"), ("role", "convener")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    b.post(&format!("/console/registry/groups/{group}/members"), &[("person", "孙丽"), ("role", "member")]).await;
    let page = b.get(&format!("/console/registry/groups/{group}")).await;
    assert_eq!(page.texts(".members tbody tr td:nth-child(2)"), ["召集人", "成员"]);
    assert!(page.body.contains("教育科学文化卫生委员会"));
    assert!(page.texts(".timeline li").iter().any(|h| h.contains("新建小组")));
    let list = b.get("/console/registry/groups").await;
    assert!(list.body.contains("医疗卫生专业代表小组") && list.body.contains("2 人"));
    // The group filters the deputy list.
    assert_eq!(b.get(&format!("/console/registry/deputies?group={group}")).await.texts("td.name"), ["钱文", "孙丽"]);
    let r = b.post(&format!("/console/registry/groups/{group}/members/{a}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get(&format!("/console/registry/groups/{group}")).await.texts(".members tbody tr").len(), 1);
    // A grid with a 监督员, and a role name of the organ's own.
    let area = renda::org::organ(app.db(), organ).await.unwrap().unwrap().area_id.to_string();
    let r = b.post("/console/registry/grids", &[("name", "试验社区第一网格"), ("area_id", &area)]).await;
    let grid = created_id(&r);
    let r =
        b.post(&format!("/console/registry/grids/{grid}/members"), &[("person", "孙丽"), ("role", "supervisor")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = b.post("/console/registry/roles", &[("name", "联络员")]).await;
    assert!(r.texts(".field-error").iter().any(|e| e.contains("已有这个角色名称")));
    let r = b.post("/console/registry/roles", &[("name", "人大代表监督员")]).await;
    let role = created_id(&r);
    let r = b.post(&format!("/console/registry/roles/{role}/holders"), &[("person", "孙丽")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sun: i64 = db::scalar_i64(app.db(), "SELECT id FROM persons WHERE name = '孙丽'", vec![]).await.unwrap();
    let page = b.get(&format!("/console/registry/deputies/{sun}")).await;
    let props = page.texts(".props dd");
    assert!(props.iter().any(|p| p.contains("试验社区第一网格（监督员）")), "{props:?}");
    assert!(props.iter().any(|p| p == "人大代表监督员"), "{props:?}");
    assert!(props.iter().any(|p| p.contains("医疗卫生专业代表小组")), "{props:?}");
}
db_test!(groups_committees_links_grids_and_roles);

fn url_escape(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

async fn roster_import_reports_rows_and_round_trips(app: TestApp) {
    let (root, _) = setup(&app).await;
    let mut b = app.login("rstaff").await;
    let page = b.get("/console/registry/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    let template = b.get("/console/registry/import/template").await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template.header("content-type").unwrap().contains("spreadsheetml"));
    // A file that is not a workbook: 422 with the report, nothing written.
    let r = b.upload("/console/registry/import", "file", "名册.xlsx", b"this is not a workbook").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(!r.texts(".issues tbody tr").is_empty(), "{}", r.body);
    // The exported roster imports back unchanged.
    create_deputy(&mut b, "郑海燕", root).await;
    let rows = renda::registry::import::roster_rows(app.db(), &app.state.crypto, "/").await.unwrap();
    assert!(rows.iter().any(|r| r.name == "郑海燕"));
    let mine = rows.into_iter().filter(|r| r.name == "郑海燕").collect::<Vec<_>>();
    let bytes = renda::registry::roster::write(&mine);
    // (county mandates are imported at the county's organ)
    let mut admin = app.login("admin").await;
    let preview = admin.upload("/console/registry/import", "file", "名册.xlsx", &bytes).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let r = admin.submit(&preview, "form[action='/console/registry/import/confirm']", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), Some("/console/registry/deputies"));
    let cookie = r.header("set-cookie").unwrap_or_default();
    assert!(cookie.contains(&url_escape("未变 1 人").replace('+', "%20")), "{cookie}");
    let after = admin.get("/console/registry/deputies?q=%E9%83%91%E6%B5%B7%E7%87%95").await;
    assert_eq!(after.texts("td.name"), ["郑海燕"]);
    // Unit accounts do not reach the import.
    let mut u = app.login("unit").await;
    assert_eq!(u.get("/console/registry/import").await.status, StatusCode::NOT_FOUND);
    assert_eq!(u.upload("/console/registry/import", "file", "名册.xlsx", &bytes).await.status, StatusCode::NOT_FOUND);
}
db_test!(roster_import_reports_rows_and_round_trips);

async fn registry_pages_have_one_heading_and_labelled_controls(app: TestApp) {
    let (root, organ) = setup(&app).await;
    let mut b = app.login("rstaff").await;
    let d = create_deputy(&mut b, "冯淑芬", root).await;
    let area = renda::org::organ(app.db(), organ).await.unwrap().unwrap().area_id.to_string();
    let kind = db::scalar_i64(app.db(), "SELECT min(id) FROM station_types", vec![]).await.unwrap().to_string();
    let st = created_id(
        &b.post(
            "/console/registry/stations",
            &[("name", "冯家联络点"), ("type_id", &kind), ("area_id", &area), ("online_only", "on")],
        )
        .await,
    );
    b.post(&format!("/console/registry/stations/{st}/deputies"), &[("person", &d.to_string())]).await;
    let g =
        created_id(&b.post("/console/registry/groups", &[("kind", "area_group"), ("name", "试验镇代表小组")]).await);
    let c = created_id(&b.post("/console/registry/committees", &[("kind", "office"), ("name", "办公室")]).await);
    let grid = created_id(&b.post("/console/registry/grids", &[("name", "一号网格"), ("area_id", &area)]).await);
    for path in [
        "/console/registry/deputies".to_string(),
        "/console/registry/deputies/new".into(),
        format!("/console/registry/deputies/{d}"),
        format!("/console/registry/deputies/{d}/edit"),
        "/console/registry/stations".into(),
        "/console/registry/stations/new".into(),
        format!("/console/registry/stations/{st}"),
        format!("/console/registry/stations/{st}/edit"),
        "/console/registry/groups".into(),
        format!("/console/registry/groups/{g}"),
        "/console/registry/committees".into(),
        format!("/console/registry/committees/{c}"),
        "/console/registry/links".into(),
        "/console/registry/grids".into(),
        format!("/console/registry/grids/{grid}"),
        "/console/registry/roles".into(),
        "/console/registry/roles/1".into(),
        "/console/registry/import".into(),
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
db_test!(registry_pages_have_one_heading_and_labelled_controls);
