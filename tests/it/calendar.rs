//! PLAT-10, next year's calendar (issue 16): a year without its official schedule is
//! provisional (its statutory holidays stand in, deadlines through it say 暂定); the admin pastes
//! the State Council's notice, checks what the calendar read and saves it; open deadlines counted
//! through the year are recounted in the same transaction, each change in the item's history.

use axum::http::StatusCode;
use chrono::NaiveDate;
use renda::auth::Scope;
use renda::calendar::{self, DayKind};
use renda::db;
use renda::opinions::figures;
use serde_json::json;

use crate::demo_test;
use crate::opinions::{a_station, deadline_of, demo_unit, item_of, opinion_of};
use crate::support::TestApp;

/// A notice for 2027 written in the State Council's wording for these tests (the real one is
/// published in the autumn before): 春节 with 调休, and 端午 and 中秋 on a Wednesday alone.
const NOTICE_2027: &str = "国务院办公厅关于2027年部分节假日安排的通知

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：

　　经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。

　　一、元旦：1月1日（周五）至3日（周日）放假，共3天。

　　二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。2月14日（周日）、2月20日（周六）上班。

　　三、清明节：4月3日（周六）至5日（周一）放假，共3天。

　　四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。

　　五、端午节：6月9日（周三）放假1天，不调休。

　　六、中秋节：9月15日（周三）放假1天，不调休。

　　七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。

国务院办公厅
";

fn d(s: &str) -> NaiveDate {
    calendar::parse_date(s).unwrap()
}

async fn official_years(app: &TestApp) -> Vec<i32> {
    calendar::official_years(app.db()).await.unwrap().into_iter().collect()
}

/// The provisional year on the page, the notice read and previewed (nothing saved), refused
/// to non-admins and when unreadable, then saved on confirmation: official, audited.
async fn the_notice_is_read_previewed_and_saved(app: TestApp) {
    assert_eq!(official_years(&app).await, [2025, 2026]);
    let cal = calendar::load(app.db()).await.unwrap();
    assert!(cal.is_provisional(2027) && !cal.is_provisional(2026));
    // 春节 2027 stands in from the lunar calendar: 除夕 5 February to 初三 8 February.
    assert!(!cal.is_working_day(d("2027-02-05")) && !cal.is_working_day(d("2027-02-08")));
    assert!(cal.is_working_day(d("2027-02-09")), "no 调休 is guessed");

    let mut staff = app.login("staff").await;
    let page = staff.get("/console/calendar?year=2027").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("#provisional")[0].contains("2027 年的节假日安排尚未录入"));
    assert!(page.texts("#provisional-years")[0].contains("2027"));
    assert!(page.body.contains("暂定") && page.body.contains("2027-02-05"));
    assert!(page.texts("#paste-notice").is_empty(), "staff do not edit the calendar");
    let r = staff.post("/console/calendar/notice", &[("text", NOTICE_2027)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = staff.post("/console/calendar/notice/save", &[("text", NOTICE_2027)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let mut admin = app.login("admin").await;
    let r = admin.post("/console/calendar/notice", &[("text", "明年放假另行通知。"), ("year", "2027")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("没有读到放假安排"), "{}", r.body);
    let r = admin.post("/console/calendar/notice", &[("text", NOTICE_2027), ("year", "")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("核对 2027 年节假日安排"));
    assert!(r.texts("#summary")[0].contains("放假 29 天，调休上班 6 天"), "{:?}", r.texts("#summary"));
    assert!(r.texts("#notice-warnings").is_empty(), "{:?}", r.texts("#notice-warnings"));
    assert_eq!(r.texts("#festivals tbody tr").len(), 7);
    assert!(r.body.contains("2027-02-20（周六）"));
    assert_eq!(official_years(&app).await, [2025, 2026], "a preview saves nothing");

    // A weekday in brackets that is not the date's is reported, still nothing saved.
    let wrong = NOTICE_2027.replace("1月1日（周五）", "1月1日（周四）");
    let r = admin.post("/console/calendar/notice", &[("text", &wrong)]).await;
    assert!(r.texts("#notice-warnings")[0].contains("2027-01-01 是周五，通知里写的是周四"));

    let r = admin.post("/console/calendar/notice/save", &[("text", NOTICE_2027), ("year", "2027")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(official_years(&app).await, [2025, 2026, 2027]);
    let cal = calendar::load(app.db()).await.unwrap();
    assert!(!cal.is_provisional(2027));
    assert!(!cal.is_working_day(d("2027-02-12")), "春节 as the notice says");
    assert!(cal.is_working_day(d("2027-02-20")), "调休上班");
    assert!(!cal.is_working_day(d("2027-06-09")) && cal.is_working_day(d("2027-06-10")));
    let stored = calendar::days(app.db()).await.unwrap();
    let y2027: Vec<_> = stored.iter().filter(|x| x.date.format("%Y").to_string() == "2027").collect();
    assert_eq!(y2027.iter().filter(|x| x.kind == DayKind::Holiday).count(), 29);
    assert_eq!(y2027.iter().filter(|x| x.kind == DayKind::Workday).count(), 6);
    let audited = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM audit_log WHERE action = 'calendar_year_saved' AND target_id = '2027'",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let page = admin.get("/console/calendar?year=2027").await;
    assert!(page.texts("#provisional").is_empty());
    assert!(!page.body.contains("badge grey\">暂定"));
}
demo_test!(the_notice_is_read_previewed_and_saved);

/// Ranges typed by hand, then the year confirmed as official.
async fn a_year_entered_by_hand_is_confirmed(app: TestApp) {
    let mut admin = app.login("admin").await;
    let r = admin.post("/console/calendar/confirm", &[("year", "2027")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "nothing entered yet");
    let r = admin
        .post(
            "/console/calendar",
            &[("date", "2027-02-05"), ("until", "2027-02-13"), ("kind", "holiday"), ("name", "春节")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r =
        admin.post("/console/calendar", &[("date", "2027-02-05"), ("until", "2027-01-13"), ("kind", "holiday")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("结束日期应在开始日期之后"));
    let cal = calendar::load(app.db()).await.unwrap();
    assert!(cal.is_provisional(2027));
    assert!(!cal.is_working_day(d("2027-02-12")), "the range is listed");
    assert!(!cal.is_working_day(d("2027-10-01")), "the statutory days still stand in");
    let r = admin.post("/console/calendar/confirm", &[("year", "2027")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cal = calendar::load(app.db()).await.unwrap();
    assert!(!cal.is_provisional(2027));
    assert!(cal.is_working_day(d("2027-10-01")), "only what was entered counts now");
    let r = admin.post("/console/calendar/confirm", &[("year", "2027")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}
demo_test!(a_year_entered_by_hand_is_confirmed);

/// A 交办 through a provisional year: the form warns, the deadline says 暂定; when the notice is
/// saved the deadline is recounted in the same transaction and the change is in the history.
async fn deadlines_through_a_provisional_year_are_recounted(app: TestApp) {
    let r = app
        .api(
            "POST",
            "/api/v1/opinions",
            None,
            Some(json!({"content": "村口道路春节前后积水结冰，请尽快处理。", "station_id": a_station(&app).await})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let no = r.json()["tracking_no"].as_str().unwrap().to_string();
    let (opinion, item) = (opinion_of(&app, &no).await, item_of(&app, &no).await);
    let mut staff = app.login("staff").await;
    let page = staff.get(&format!("/console/opinions/{opinion}")).await;
    assert!(page.texts("#provisional-warning")[0].contains("年的节假日安排尚未录入"), "the 交办 form warns");
    let token = app.token("staff", Scope::Write).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/opinions/{opinion}/assign"),
            Some(&token),
            Some(json!({"units": [{"unit_id": demo_unit(&app).await, "role": "lead"}], "due_working_days": 45})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The 交办 as if made on 20 January 2027 (whatever today is): 45 working days on the
    // provisional calendar.
    let provisional = calendar::load(app.db()).await.unwrap();
    let assigned = d("2027-01-20");
    let before = provisional.add_working_days(assigned, 45);
    db::exec(
        app.db(),
        "UPDATE handling_items SET assigned_on = $1, deadline = $2, deadline_at = $3 WHERE id = $4",
        vec![
            "2027-01-20".into(),
            before.format("%Y-%m-%d").to_string().into(),
            calendar::deadline_end(before).into(),
            item.into(),
        ],
    )
    .await
    .unwrap();
    // Set by hand, outside the loop: the statistics' kept open deadline restated as the loop's
    // hook would.
    figures::restate(app.db(), item).await.unwrap();
    let page = staff.get(&format!("/console/opinions/{opinion}")).await;
    assert_eq!(page.texts("#deadline-provisional"), ["暂定"]);

    let mut admin = app.login("admin").await;
    let r = admin.post("/console/calendar/notice/save", &[("text", NOTICE_2027)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let official = calendar::load(app.db()).await.unwrap();
    let after = official.add_working_days(assigned, 45);
    assert_ne!(before, after, "the notice's 调休 moves this deadline");
    assert_eq!(deadline_of(&app, item).await.as_deref(), Some(after.format("%Y-%m-%d").to_string().as_str()));
    let at = db::scalar_i64(app.db(), "SELECT deadline_at FROM handling_items WHERE id = $1", vec![item.into()])
        .await
        .unwrap();
    assert_eq!(at, calendar::deadline_end(after));
    // The statistics' kept overdue follows the recounted deadline (issue 21): the same as the
    // open items counted, around the old deadline and the new.
    let path: String = db::query_rows(
        app.db(),
        "SELECT o.path FROM opinions op JOIN organs o ON o.id = op.organ_id WHERE op.id = $1",
        vec![opinion.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    for end in [before, after] {
        for now in [calendar::deadline_end(end) - 1, calendar::deadline_end(end)] {
            let kept = figures::overdue(app.db(), &path, 0, i64::MAX / 2, now).await.unwrap();
            let walk = figures::overdue_walk(app.db(), &path, 0, i64::MAX / 2, now).await.unwrap();
            assert_eq!(kept, walk, "overdue at {now}");
        }
    }
    let rows = db::query_rows(
        app.db(),
        "SELECT body FROM handling_events WHERE item_id = $1 AND step = 'deadline_notice' AND detail = 'recounted'",
        vec![item.into()],
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    let body: String = rows[0].try_get_by_index(0).unwrap();
    assert!(
        body.contains(&before.format("%Y-%m-%d").to_string()) && body.contains(&after.format("%Y-%m-%d").to_string())
    );
    let page = staff.get(&format!("/console/opinions/{opinion}")).await;
    assert!(page.texts("#deadline-provisional").is_empty());
    assert!(page.body.contains("办理期限调整"));
    // Saving the same year again changes nothing more.
    let r = admin.post("/console/calendar/notice/save", &[("text", NOTICE_2027)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let again = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM handling_events WHERE item_id = $1 AND detail = 'recounted'",
        vec![item.into()],
    )
    .await
    .unwrap();
    assert_eq!(again, 1);
}
demo_test!(deadlines_through_a_provisional_year_are_recounted);

/// A 代表建议 (calendar months, the 协办 unit's own month): 交办 on 5 January 2027, the 协办
/// deadline of 5 February fell on provisional 除夕 and moved to the 9th; the notice makes 5–13
/// February holidays and Sunday the 14th a working day, so it becomes the 14th — the 主办's
/// 3 months (6 April, after 清明) stay. Only what changed is written.
async fn an_assist_deadline_is_recounted_on_its_own(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let deputy2 = app.token("deputy2", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let (unit_b, _) = crate::suggestions::second_unit(&app).await;
    let id = crate::suggestions::submitted(&app, &deputy, &deputy2).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(&staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let units = json!([{"unit_id": demo_unit(&app).await, "role": "lead"}, {"unit_id": unit_b, "role": "assist"}]);
    let r =
        app.api("POST", &format!("/api/v1/suggestions/{id}/assign"), Some(&staff), Some(json!({"units": units}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let item =
        db::scalar_i64(app.db(), "SELECT item_id FROM suggestions WHERE id = $1", vec![id.into()]).await.unwrap();
    let provisional = calendar::load(app.db()).await.unwrap();
    let on = d("2027-01-05");
    let (lead, assist) = (provisional.add_months(on, 3), provisional.add_months(on, 1));
    assert_eq!((lead, assist), (d("2027-04-06"), d("2027-02-09")));
    db::exec(
        app.db(),
        "UPDATE handling_items SET assigned_on = '2027-01-05', deadline = $1, deadline_at = $2 WHERE id = $3",
        vec!["2027-04-06".into(), calendar::deadline_end(lead).into(), item.into()],
    )
    .await
    .unwrap();
    db::exec(
        app.db(),
        "UPDATE handling_assignments SET assigned_on = '2027-01-05', deadline = '2027-02-09' \
         WHERE item_id = $1 AND role = 'assist'",
        vec![item.into()],
    )
    .await
    .unwrap();

    let mut admin = app.login("admin").await;
    let r = admin.post("/console/calendar/notice/save", &[("text", NOTICE_2027)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(deadline_of(&app, item).await.as_deref(), Some("2027-04-06"), "the 主办's deadline stays");
    let rows = db::query_rows(
        app.db(),
        "SELECT deadline FROM handling_assignments WHERE item_id = $1 AND role = 'assist'",
        vec![item.into()],
    )
    .await
    .unwrap();
    assert_eq!(rows[0].try_get_by_index::<String>(0).unwrap(), "2027-02-14");
    let rows = db::query_rows(
        app.db(),
        "SELECT unit_id, body, public FROM handling_events WHERE item_id = $1 AND detail = 'recounted'",
        vec![item.into()],
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "one line: the 协办 deadline");
    assert_eq!(rows[0].try_get_by_index::<Option<i64>>(0).unwrap(), Some(unit_b));
    let body: String = rows[0].try_get_by_index(1).unwrap();
    assert!(body.contains("协办意见期限由 2027-02-09 调整为 2027-02-14"), "{body}");
    assert!(!rows[0].try_get_by_index::<bool>(2).unwrap(), "internal to the units");
}
demo_test!(an_assist_deadline_is_recounted_on_its_own);
