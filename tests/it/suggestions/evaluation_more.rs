//! More of SUG-10, SUG-12 and SUG-6 over the demo county: a 测评 whose electorate is the
//! 常委会组成人员 (only they vote); a deputy group's written 态度·措施·实效 evaluation of a unit
//! (its members write and rewrite it until the year's 测评 closes; staff and the unit read it,
//! no one else); sending a closed 测评's result to the assessment departments as a numbered,
//! archived file that downloads unchanged and reaches the units named; the closed 测评 in the
//! annual report and its sixth sheet; a deputy group's field visit on its suggestions' pages.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{person_of, second_unit};
use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::TestApp;

async fn scalar(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    db::scalar_i64(app.db(), sql, values).await.unwrap()
}

/// The latest year of the demo's suggestions (this year's, whose 测评 is open).
async fn year_of_suggestions(app: &TestApp) -> i64 {
    scalar(app, "SELECT max(year) FROM suggestions", vec![]).await
}

/// The deputy's county group (代表小组) and its organ.
async fn deputy_group(app: &TestApp) -> (i64, i64) {
    let me = person_of(app, "deputy").await;
    let g = scalar(
        app,
        "SELECT min(m.group_id) FROM memberships m JOIN deputy_groups g ON g.id = m.group_id \
         WHERE m.kind = 'group' AND m.person_id = $1 AND g.kind = 'area_group'",
        vec![me.into()],
    )
    .await;
    let organ = scalar(app, "SELECT organ_id FROM deputy_groups WHERE id = $1", vec![g.into()]).await;
    (g, organ)
}

async fn member_of(app: &TestApp, group: i64, person: i64) -> bool {
    scalar(
        app,
        "SELECT count(*) FROM memberships WHERE kind = 'group' AND group_id = $1 AND person_id = $2",
        vec![group.into(), person.into()],
    )
    .await
        > 0
}

async fn standing_members_alone_vote_in_their_evaluation(app: TestApp) {
    let year = year_of_suggestions(&app).await;
    // This year's demo 测评 moves aside, so that staff may open the year again.
    db::exec(app.db(), "UPDATE ballots SET period = '1999' WHERE kind = 'sug_evaluation' AND state = 'open'", vec![])
        .await
        .unwrap();
    let mut staff = app.login("staff").await;
    let list = staff.get("/console/suggestions/evaluations").await;
    assert!(list.body.contains("常委会组成人员"), "the electorate offered: {}", list.body);
    let r = staff
        .post("/console/suggestions/evaluations", &[("year", &year.to_string()), ("electorate", "standing")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = scalar(&app, "SELECT max(id) FROM ballots", vec![]).await;

    // The electorate is exactly the 常委会's members in the registry.
    let members = scalar(
        &app,
        "SELECT count(DISTINCT cm.person_id) FROM memberships cm JOIN committees c ON c.id = cm.committee_id \
         WHERE c.kind = 'standing'",
        vec![],
    )
    .await;
    let electors = scalar(&app, "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1", vec![id.into()]).await;
    assert!(members >= 5);
    assert_eq!(electors, members);
    let changwei = person_of(&app, "changwei").await;
    let deputy = person_of(&app, "deputy").await;
    let on_roll = |p: i64| {
        let app = &app;
        async move {
            scalar(
                app,
                "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1 AND person_id = $2",
                vec![id.into(), p.into()],
            )
            .await
        }
    };
    assert_eq!(on_roll(changwei).await, 1, "the demo's 常委会 member is an elector");
    assert_eq!(on_roll(deputy).await, 0, "a deputy who is not a member is not");

    // The member votes on the phone page.
    let mut member = app.login("changwei").await;
    let page = member.get(&format!("/console/suggestions/evaluations/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let sel = scraper::Selector::parse("#paper input[type=radio][value=satisfied]").unwrap();
    let names: Vec<String> = page.html().select(&sel).map(|e| e.value().attr("name").unwrap().to_string()).collect();
    assert!(!names.is_empty(), "{}", page.body);
    let fields: Vec<(&str, &str)> = names.iter().map(|k| (k.as_str(), "satisfied")).collect();
    let r = member.post(&format!("/console/suggestions/evaluations/{id}/vote"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1 AND voted = true", vec![id.into()])
            .await,
        1
    );

    // A deputy who is not a member: the 测评 is not theirs to see (404) nor to vote in; a
    // leader (an organ worker, no elector) sees it and is refused the paper (403).
    let mut other = app.login("deputy").await;
    let r = other.get(&format!("/console/suggestions/evaluations/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = other.post(&format!("/console/suggestions/evaluations/{id}/vote"), &fields).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let token = app.token("deputy", Scope::Write).await;
    let votes: Vec<Value> = names
        .iter()
        .map(|n| serde_json::json!({"subject_id": n[1..].parse::<i64>().unwrap(), "option": "satisfied"}))
        .collect();
    let r = app
        .api("POST", &format!("/api/v1/ballots/{id}/votes"), Some(&token), Some(serde_json::json!({"votes": votes})))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let mut leader = app.login("leader").await;
    assert_eq!(leader.get(&format!("/console/suggestions/evaluations/{id}")).await.status, StatusCode::OK);
    let r = leader.post(&format!("/console/suggestions/evaluations/{id}/vote"), &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1 AND voted = true", vec![id.into()])
            .await,
        1
    );
}
demo_test!(standing_members_alone_vote_in_their_evaluation);

async fn a_group_writes_its_evaluation_and_staff_and_the_unit_read_it(app: TestApp) {
    let year = year_of_suggestions(&app).await;
    let (group, organ) = deputy_group(&app).await;
    let unit = demo_unit(&app).await;
    let handled = scalar(
        &app,
        "SELECT count(*) FROM suggestions sg JOIN handling_assignments a ON a.item_id = sg.item_id \
         WHERE sg.organ_id = $1 AND sg.year = $2 AND a.unit_id = $3 AND a.state <> 'returned'",
        vec![organ.into(), year.into(), unit.into()],
    )
    .await;
    assert!(handled > 0, "the demo unit handled this year's suggestions");

    // The member's phone page: the group with the year's units, each to be written.
    let mut deputy = app.login("deputy").await;
    let list = deputy.get(&format!("/console/suggestions/group-evaluations?year={year}")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let form_link = format!("/console/suggestions/group-evaluations/{group}?unit={unit}&amp;year={year}");
    assert!(list.body.contains(&form_link), "{}", list.body);
    let form = deputy.get(&format!("/console/suggestions/group-evaluations/{group}?unit={unit}&year={year}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);

    // A grade missing: 422, nothing written; then the whole evaluation.
    let path = format!("/console/suggestions/group-evaluations/{group}");
    let (y, u) = (year.to_string(), unit.to_string());
    let r = deputy.submit(&form, "#group-evaluation", &[("attitude", "satisfied"), ("measures", "satisfied")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(scalar(&app, "SELECT count(*) FROM group_evaluations", vec![]).await, 0);
    let full = [
        ("attitude", "satisfied"),
        ("attitude_note", "主动上门沟通，态度诚恳"),
        ("measures", "basically_satisfied"),
        ("measures_note", "措施较具体，个别事项缺少时间表"),
        ("results", "unsatisfied"),
        ("results_note", "校车线路调整仍未落实"),
        ("note", "希望明年加快落实"),
    ];
    let r = deputy.submit(&form, "#group-evaluation", &full).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Rewritten by the member: still one row, the new grade.
    let mut again: Vec<(&str, &str)> = vec![("year", &y), ("unit", &u)];
    again.extend(full.iter().map(|(k, v)| if *k == "results" { (*k, "basically_satisfied") } else { (*k, *v) }));
    let r = deputy.post(&path, &again).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(scalar(&app, "SELECT count(*) FROM group_evaluations", vec![]).await, 1);
    let results =
        db::query_rows(app.db(), "SELECT results, results_note FROM group_evaluations", vec![]).await.unwrap();
    assert_eq!(results[0].try_get_by_index::<String>(0).unwrap(), "basically_satisfied");
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM audit_log WHERE action = 'group_evaluation_save'", vec![]).await,
        2,
        "each write audited"
    );
    // A unit that did not handle the year's suggestions cannot be evaluated.
    let idle = db::query_rows(
        app.db(),
        "SELECT id FROM handling_units u WHERE NOT EXISTS (SELECT 1 FROM handling_assignments a \
         JOIN suggestions sg ON sg.item_id = a.item_id WHERE a.unit_id = u.id AND sg.year = $1) ORDER BY id",
        vec![year.into()],
    )
    .await
    .unwrap()
    .first()
    .map(|r| r.try_get_by_index::<i64>(0).unwrap());
    if let Some(idle) = idle {
        let idle_s = idle.to_string();
        let mut other_unit = again.clone();
        other_unit[1] = ("unit", &idle_s);
        let r = deputy.post(&path, &other_unit).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an idle unit ({idle}): {}", r.body);
    }

    // Someone who is not a member neither reads the form nor writes.
    for who in ["deputy2", "changwei"] {
        let person = person_of(&app, who).await;
        if member_of(&app, group, person).await {
            continue;
        }
        let mut b = app.login(who).await;
        let r = b.post(&path, &again).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.body);
    }
    let mut staff_b = app.login("staff").await;
    let r = staff_b.post(&path, &again).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "staff read, they do not write the group's evaluation");

    // Staff read it beside the 测评; the unit reads its own; another unit reads nothing.
    let ballot = scalar(
        &app,
        "SELECT id FROM ballots WHERE kind = 'sug_evaluation' AND period = $1",
        vec![year.to_string().into()],
    )
    .await;
    let page = staff_b.get(&format!("/console/suggestions/evaluations/{ballot}")).await;
    let rows = page.texts("#group-evaluations tbody tr");
    assert_eq!(rows.len(), 1, "{}", page.body);
    assert!(rows[0].contains("校车线路调整仍未落实") && rows[0].contains("基本满意"), "{}", rows[0]);
    let mut unit_b = app.login("unit").await;
    let r = unit_b.get("/console/suggestions/group-evaluations").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.texts("#group-evaluations tbody tr").len(), 1, "{}", r.body);
    let (_, _) = second_unit(&app).await;
    let mut unit2 = app.login("unit-b").await;
    let r = unit2.get("/console/suggestions/group-evaluations").await;
    assert!(r.texts("#group-evaluations tbody tr").is_empty(), "{}", r.body);

    // Staff close the year's 测评: the evaluation is final.
    let staff = app.token("staff", Scope::Write).await;
    let r = app.api("POST", &format!("/api/v1/ballots/{ballot}/close"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = deputy.post(&path, &again).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let list = deputy.get(&format!("/console/suggestions/group-evaluations?year={year}")).await;
    assert!(!list.body.contains(&form_link), "no more links to change it");
}
demo_test!(a_group_writes_its_evaluation_and_staff_and_the_unit_read_it);

async fn staff_send_the_result_as_a_numbered_archived_file(app: TestApp) {
    // Last year's 测评 is closed (and published) in the demo.
    let ballot =
        scalar(&app, "SELECT min(id) FROM ballots WHERE kind = 'sug_evaluation' AND state = 'closed'", vec![]).await;
    let unit = demo_unit(&app).await;
    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/suggestions/evaluations/{ballot}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // Nobody named: refused.
    let r = staff.submit(&page, "#send", &[("departments", " 、 ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let u = unit.to_string();
    let r = staff
        .submit(&page, "#send", &[("departments", "市委组织部、市考核办"), ("unit", &u), ("note", "年度考核用")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sending = scalar(&app, "SELECT max(id) FROM evaluation_sendings", vec![]).await;
    assert_eq!(scalar(&app, "SELECT number FROM evaluation_sendings WHERE id = $1", vec![sending.into()]).await, 1);
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM evaluation_recipients WHERE sending_id = $1", vec![sending.into()]).await,
        3
    );
    assert_eq!(scalar(&app, "SELECT count(*) FROM audit_log WHERE action = 'evaluation_send'", vec![]).await, 1);
    let file = scalar(&app, "SELECT attachment_id FROM evaluation_sendings WHERE id = $1", vec![sending.into()]).await;
    let page = staff.get(&format!("/console/suggestions/evaluations/{ballot}")).await;
    let rows = page.texts("#sendings tbody tr");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains("市委组织部") && rows[0].contains("第 1 次"), "{}", rows[0]);

    // What was sent downloads unchanged, whenever it is asked for: the stored digest.
    let stored =
        db::query_rows(app.db(), "SELECT sha256 FROM attachments WHERE id = $1", vec![file.into()]).await.unwrap()[0]
            .try_get_by_index::<String>(0)
            .unwrap();
    let first = staff.get(&format!("/files/{file}")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.bytes.starts_with(b"PK"));
    assert_eq!(hex::encode(Sha256::digest(&first.bytes)), stored);
    // A second sending is numbered 2 and has its own file; the first one's is still the same.
    let r = staff.submit(&page, "#send", &[("departments", "市人社局")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        scalar(&app, "SELECT max(number) FROM evaluation_sendings WHERE ballot_id = $1", vec![ballot.into()]).await,
        2
    );
    let again = staff.get(&format!("/files/{file}")).await;
    assert_eq!(again.bytes, first.bytes);

    // The page's link gives the same bytes as an .xlsx named after the 测评.
    let link = format!("/console/suggestions/evaluations/sendings/{sending}/file");
    let named = staff.get(&link).await;
    assert_eq!(named.status, StatusCode::OK);
    assert!(named.header("content-type").unwrap().contains("spreadsheetml"));
    assert_eq!(named.bytes, first.bytes);

    // The unit named was told, with the link, and downloads it; another unit cannot.
    let told = scalar(
        &app,
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'unit' AND n.link = $1",
        vec![link.clone().into()],
    )
    .await;
    assert_eq!(told, 1);
    let mut unit_b = app.login("unit").await;
    assert_eq!(unit_b.get(&link).await.bytes, first.bytes);
    assert_eq!(unit_b.get(&format!("/files/{file}")).await.status, StatusCode::OK);
    second_unit(&app).await;
    let mut unit2 = app.login("unit-b").await;
    assert_eq!(unit2.get(&format!("/files/{file}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(unit2.get(&link).await.status, StatusCode::NOT_FOUND);

    // Only staff send, only a closed 测评.
    let mut deputy = app.login("deputy").await;
    let r = deputy.post(&format!("/console/suggestions/evaluations/{ballot}/send"), &[("departments", "组织部")]).await;
    assert!(matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{}", r.status);
    let open = scalar(&app, "SELECT id FROM ballots WHERE kind = 'sug_evaluation' AND state = 'open'", vec![]).await;
    let r = staff.post(&format!("/console/suggestions/evaluations/{open}/send"), &[("departments", "组织部")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}
demo_test!(staff_send_the_result_as_a_numbered_archived_file);

async fn the_annual_report_carries_the_closed_evaluation(app: TestApp) {
    let year = year_of_suggestions(&app).await;
    let mut staff = app.login("staff").await;
    // This year's 测评 is open: no ranking in the report yet.
    let r = staff.get(&format!("/console/suggestions/report?year={year}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.texts("#evaluation-ranking").is_empty());
    let x = staff.get(&format!("/console/suggestions/report?year={year}&format=xlsx")).await;
    assert!(!String::from_utf8_lossy(&x.bytes).contains("xl/worksheets/sheet6.xml"));
    // Closed: the paragraph, the ranking (per mille shown as a percentage) and a sixth sheet.
    let ballot = scalar(
        &app,
        "SELECT id FROM ballots WHERE kind = 'sug_evaluation' AND period = $1",
        vec![year.to_string().into()],
    )
    .await;
    let staff_token = app.token("staff", Scope::Write).await;
    let r = app.api("POST", &format!("/api/v1/ballots/{ballot}/close"), Some(&staff_token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = staff.get(&format!("/console/suggestions/report?year={year}")).await;
    assert!(r.body.contains("满意度测评") && r.body.contains("参加率"), "{}", r.body);
    let rows = r.texts("#evaluation-ranking tbody tr");
    let units =
        scalar(&app, "SELECT count(DISTINCT ref_id) FROM ballot_subjects WHERE ballot_id = $1", vec![ballot.into()])
            .await as usize;
    assert_eq!(rows.len(), units);
    assert!(rows[0].starts_with('1') && rows[0].ends_with('%'), "ranked, 满意率 shown: {rows:?}");
    let x = staff.get(&format!("/console/suggestions/report?year={year}&format=xlsx")).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&x.bytes).contains("xl/worksheets/sheet6.xml"), "a sixth sheet");
}
demo_test!(the_annual_report_carries_the_closed_evaluation);

async fn a_group_visit_shows_on_its_suggestions(app: TestApp) {
    let (group, _) = deputy_group(&app).await;
    let me = person_of(&app, "deputy").await;
    // A registered suggestion the deputy signed.
    let sg = scalar(
        &app,
        "SELECT min(sg.id) FROM suggestions sg JOIN item_signers s ON s.item_id = sg.item_id WHERE s.person_id = $1",
        vec![me.into()],
    )
    .await;
    let unit = demo_unit(&app).await;
    let mut deputy = app.login("deputy").await;
    let page = deputy.get(&format!("/console/suggestions/{sg}")).await;
    assert!(page.body.contains("记录代表小组视察"), "{}", page.body);
    let form = deputy.get(&format!("/console/suggestions/visits/new?suggestion={sg}&group={group}")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let today = renda::calendar::beijing_date(db::now());
    let (g, s, u, m) = (group.to_string(), sg.to_string(), unit.to_string(), me.to_string());
    let d = today.format("%Y-%m-%d").to_string();
    let fields = |date: &str, member: &str| -> Vec<(String, String)> {
        [
            ("group", g.as_str()),
            ("visited_on", date),
            ("place", "城区第三小学"),
            ("unit", u.as_str()),
            ("notes", "查看校门口停车秩序整治情况"),
            ("member", member),
            ("suggestion", s.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let post = |f: Vec<(String, String)>| serde_urlencoded::to_string(&f).unwrap();
    let csrf = deputy.csrf();
    let body = |f| format!("{}&_csrf={csrf}", post(f));
    // A future date, a person outside the group: refused.
    let tomorrow = (today + chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    let r = deputy.post_raw("/console/suggestions/visits", &body(fields(&tomorrow, &m))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let outsider = scalar(
        &app,
        "SELECT min(person_id) FROM mandates WHERE status = 'serving' AND person_id NOT IN \
         (SELECT person_id FROM memberships WHERE kind = 'group' AND group_id = $1)",
        vec![group.into()],
    )
    .await;
    let r = deputy.post_raw("/console/suggestions/visits", &body(fields(&d, &outsider.to_string()))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(scalar(&app, "SELECT count(*) FROM suggestion_visits", vec![]).await, 0);
    let r = deputy.post_raw("/console/suggestions/visits", &body(fields(&d, &m))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // On the suggestion's page and in its API detail; the member was told; audited.
    let page = deputy.get(&format!("/console/suggestions/{sg}")).await;
    let v = page.texts("#visits .visit");
    assert_eq!(v.len(), 1, "{}", page.body);
    assert!(v[0].contains("城区第三小学") && v[0].contains("停车秩序"), "{}", v[0]);
    let staff = app.token("staff", Scope::Write).await;
    let detail = app.api("GET", &format!("/api/v1/suggestions/{sg}"), Some(&staff), None).await.json();
    assert_eq!(detail["visits"][0]["place"], "城区第三小学");
    assert_eq!(detail["visits"][0]["unit_id"], unit);
    assert_eq!(detail["visits"][0]["visited_on"], d);
    let told = scalar(
        &app,
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'deputy' \
         AND n.title LIKE '%视察%'",
        vec![],
    )
    .await;
    assert_eq!(told, 1);
    assert_eq!(scalar(&app, "SELECT count(*) FROM audit_log WHERE action = 'suggestion_visit'", vec![]).await, 1);

    // Counted in the deputy's record.
    let mine = deputy.get(&format!("/console/suggestions/deputy/{me}")).await;
    assert_eq!(mine.texts("#visits").concat(), "1", "{}", mine.body);

    // Staff record one for the group too; a unit may not.
    let mut staff_b = app.login("staff").await;
    let sc = staff_b.csrf();
    let r = staff_b.post_raw("/console/suggestions/visits", &format!("{}&_csrf={sc}", post(fields(&d, &m)))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut unit_b = app.login("unit").await;
    let uc = unit_b.csrf();
    let r = unit_b.post_raw("/console/suggestions/visits", &format!("{}&_csrf={uc}", post(fields(&d, &m)))).await;
    assert!(matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{}", r.status);
    assert_eq!(scalar(&app, "SELECT count(*) FROM suggestion_visits", vec![]).await, 2);
}
demo_test!(a_group_visit_shows_on_its_suggestions);
