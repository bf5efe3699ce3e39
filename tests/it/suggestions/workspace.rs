//! The workspaces and the handling record of 代表建议 (issue 15, SUG-5, SUG-6): a unit's
//! "due this week" first, overdue on top; the deputy's cards on a phone with what waits for
//! them; progress in three phases (方案 → 措施 → 成效) with its timeline; the 协办 unit warned of
//! its own deadline on the working-day calendar, and marked overdue after it.

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::db;
use serde_json::json;

use super::{detail, second_unit, step, submitted};
use crate::demo_test;
use crate::opinions::demo_unit;
use crate::support::TestApp;

/// A registered suggestion given to the demo unit as 主办 (and `assist` as 协办); its id and item.
async fn assigned(app: &TestApp, staff: &str, assist: Option<i64>) -> (i64, i64) {
    let id = submitted(app, &app.token("deputy", Scope::Write).await, &app.token("deputy2", Scope::Write).await).await;
    let r = app.api("POST", &format!("/api/v1/suggestions/{id}/register"), Some(staff), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut units = vec![json!({"unit_id": demo_unit(app).await, "role": "lead"})];
    if let Some(a) = assist {
        units.push(json!({"unit_id": a, "role": "assist"}));
    }
    step(app, staff, id, "assign", json!({ "units": units })).await;
    (id, item_of(app, id).await)
}

async fn item_of(app: &TestApp, id: i64) -> i64 {
    db::scalar_i64(app.db(), "SELECT item_id FROM suggestions WHERE id = $1", vec![id.into()]).await.unwrap()
}

/// Moves an item's reply deadline `days` calendar days from today (negative: in the past).
async fn due_in(app: &TestApp, item: i64, days: i64) {
    let day = renda::calendar::beijing_date(db::now()) + chrono::Duration::days(days);
    db::exec(
        app.db(),
        "UPDATE handling_items SET deadline = $1, deadline_at = $2 WHERE id = $3",
        vec![day.format("%Y-%m-%d").to_string().into(), renda::calendar::deadline_end(day).into(), item.into()],
    )
    .await
    .unwrap();
}

/// The ids of the suggestions a section's table links to, in order.
fn linked(r: &crate::support::Resp, css: &str) -> Vec<i64> {
    let sel = scraper::Selector::parse(css).unwrap();
    r.html()
        .select(&sel)
        .filter_map(|a| a.value().attr("href")?.strip_prefix("/console/suggestions/")?.parse().ok())
        .collect()
}

async fn a_units_workspace_shows_what_is_due_this_week_first(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let (unit_b, _) = second_unit(&app).await;
    let (late, late_item) = assigned(&app, &staff, Some(unit_b)).await;
    let (soon, soon_item) = assigned(&app, &staff, None).await;
    let (later, _) = assigned(&app, &staff, None).await;
    due_in(&app, late_item, -3).await;
    due_in(&app, soon_item, 4).await;
    // The 主办 records a contact on one of them.
    step(&app, &unit, soon, "accept", json!({})).await;
    step(&app, &unit, soon, "contacts", json!({"way": "phone", "text": "电话联系领衔代表。"})).await;

    let mut u = app.login("unit").await;
    let r = u.get("/console/suggestions/mine").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let due = linked(&r, "#due-table td a");
    let rest = linked(&r, "#rest-table td a");
    assert!(due.contains(&late) && due.contains(&soon), "due this week: {due:?}");
    assert!(rest.contains(&later) && !due.contains(&later), "a 3-month deadline is not due this week");
    // Overdue ones on top, in red, with the working days past.
    let rows: Vec<(bool, String)> = {
        let html = r.html();
        let sel = scraper::Selector::parse("#due-table tbody tr").unwrap();
        html.select(&sel)
            .map(|tr| (tr.value().attr("class").unwrap_or("").contains("late"), tr.text().collect::<String>()))
            .collect()
    };
    let first_on_time = rows.iter().position(|(late, _)| !late).unwrap_or(rows.len());
    assert!(rows[first_on_time..].iter().all(|(late, _)| !late), "overdue rows come first: {rows:?}");
    let line = |id: i64| {
        let pos = due.iter().position(|x| *x == id).unwrap();
        rows[pos].clone()
    };
    let (red, text) = line(late);
    assert!(red && text.contains("已超期") && text.contains("超期"), "{text}");
    assert!(text.contains("主办") && text.contains("未记录") && text.contains("待签收"), "{text}");
    let (red, text) = line(soon);
    assert!(!red && text.contains("剩") && text.contains("个工作日"), "{text}");
    assert!(text.contains("已记录"), "the contact is shown: {text}");
    // The same on a phone: cards, overdue first.
    let cards = linked(&r, "#due-cards h3 a");
    assert_eq!(cards, due);

    // The 协办 unit sees its own opinion deadline, not the reply's.
    let mut b = app.login("unit-b").await;
    let r = b.get("/console/suggestions/mine").await;
    assert_eq!(r.status, StatusCode::OK);
    let all = [linked(&r, "#due-table td a"), linked(&r, "#rest-table td a")].concat();
    assert!(all.contains(&late) && !all.contains(&soon), "{all:?}");
    let assist_deadline = db::query_rows(
        app.db(),
        "SELECT deadline FROM handling_assignments WHERE item_id = $1 AND role = 'assist'",
        vec![late_item.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index::<String>(0)
        .unwrap();
    let text = r.texts("table tbody tr").into_iter().find(|t| t.contains(&assist_deadline)).unwrap_or_default();
    assert!(text.contains("协办") && text.contains("协办意见期限") && text.contains("协办无需"), "{}", r.body);

    // Staff and deputies are sent to the list; the menu offers units their workspace.
    let mut s = app.login("staff").await;
    let r = s.get("/console/suggestions/mine").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), Some("/console/suggestions"));
    assert!(!u.get("/console").await.texts("a[href='/console/suggestions/mine']").is_empty());
}
demo_test!(a_units_workspace_shows_what_is_due_this_week_first);

async fn the_deputys_list_is_cards_with_what_waits_for_them(app: TestApp) {
    let deputy = app.token("deputy", Scope::Write).await;
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let lead_unit = demo_unit(&app).await;
    // A draft inviting deputy2; a suggestion answered and waiting for the lead's ratings.
    let cos = super::person_of(&app, "deputy2").await;
    let r = app
        .api(
            "POST",
            "/api/v1/suggestions",
            Some(&deputy),
            Some(json!({"title": "关于增设公交线路的建议", "problem": "新区没有公交", "measures": "开通公交线路", "cosigner_ids": [cos]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let draft = r.json()["id"].as_i64().unwrap();
    let (answered, _) = assigned(&app, &staff, None).await;
    step(&app, &unit, answered, "accept", json!({})).await;
    step(&app, &unit, answered, "contacts", json!({"way": "meeting", "text": "面商。"})).await;
    step(&app, &unit, answered, "reply", json!({"class": "A", "text": "已建成。"})).await;

    let mut d2 = app.login("deputy2").await;
    let r = d2.get("/console/suggestions").await;
    assert_eq!(r.status, StatusCode::OK);
    let card = r.texts("#cards li").into_iter().find(|t| t.contains("关于增设公交线路的建议")).unwrap();
    assert!(card.contains("待确认联名"), "{card}");
    // The card's button confirms the co-signature.
    let form = format!("#cards form[action='/console/suggestions/{draft}/act']");
    let done = d2.submit(&r, &form, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(
        detail(&app, &app.token("deputy2", Scope::Read).await, draft).await["cosigners"][0]["confirmed_at"].is_i64()
    );
    let r = d2.get("/console/suggestions").await;
    let card = r.texts("#cards li").into_iter().find(|t| t.contains("关于增设公交线路的建议")).unwrap();
    assert!(!card.contains("待确认联名"), "{card}");

    // The lead sees 待评价 with the units, until both aspects are rated; the table is for desktops.
    let mut d = app.login("deputy").await;
    let r = d.get("/console/suggestions").await;
    let text = card_text(&r, answered).expect("a card of the answered suggestion");
    assert!(text.contains("待评价") && text.contains("已答复") && text.contains("（主办）"), "{text}");
    assert!(text.contains("去评价"), "{text}");
    assert!(r.body.contains("class=\"table-scroll desktop-only\""), "the table stays for desktops");
    for aspect in ["reply", "result"] {
        let body = json!({"aspect": aspect, "grade": "satisfied", "unit_id": lead_unit});
        step(&app, &deputy, answered, "ratings", body).await;
    }
    let r = d.get("/console/suggestions").await;
    let card = card_text(&r, answered).expect("still listed");
    assert!(!card.contains("待评价") && card.contains("已答复"), "{card}");
    // Staff keep the table without cards.
    let mut s = app.login("staff").await;
    assert!(s.get("/console/suggestions").await.texts("#cards").is_empty());
}
demo_test!(the_deputys_list_is_cards_with_what_waits_for_them);

async fn progress_is_recorded_in_three_phases(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let unit = app.token("unit", Scope::Write).await;
    let (id, _) = assigned(&app, &staff, None).await;
    step(&app, &unit, id, "accept", json!({})).await;
    let post = |body: serde_json::Value| {
        let unit = unit.clone();
        let app = &app;
        async move { app.api("POST", &format!("/api/v1/suggestions/{id}/progress"), Some(&unit), Some(body)).await }
    };
    // A suggestion's note names its phase, and the phases come in order.
    let r = post(json!({"text": "已开始办理"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("phase"), "{}", r.body);
    let r = post(json!({"text": "已施工", "phase": "measures"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("方案"), "{}", r.body);
    let r = post(json!({"text": "x", "phase": "soon"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let notes = || async {
        db::scalar_i64(
            app.db(),
            "SELECT count(*) FROM handling_events e JOIN suggestions sg ON sg.item_id = e.item_id \
             WHERE sg.id = $1 AND e.step = 'progress'",
            vec![id.into()],
        )
        .await
        .unwrap()
    };
    assert_eq!(notes().await, 0, "nothing written by a refused note");
    for (phase, text) in
        [("plan", "成立专班，制定办理方案。"), ("measures", "落实资金，开工建设。"), ("results", "已建成投用。")]
    {
        let r = post(json!({"text": text, "phase": phase})).await;
        assert_eq!(r.status, StatusCode::OK, "{phase}: {}", r.body);
    }
    assert_eq!(notes().await, 3);
    let d = detail(&app, &staff, id).await;
    let phases: Vec<(String, String)> = d["handling"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["step"] == "progress")
        .map(|h| (h["phase"].as_str().unwrap().to_string(), h["label"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        phases,
        [
            ("plan".into(), "办理进展：方案".into()),
            ("measures".into(), "办理进展：措施".into()),
            ("results".into(), "办理进展：成效".into())
        ]
    );
    // The page shows them as a timeline of three, each reached; the deputy sees it too.
    let mut d = app.login("deputy").await;
    let r = d.get(&format!("/console/suggestions/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("#phases > li.reached").len(), 3, "{}", r.body);
    assert!(r.texts("#phase-measures")[0].contains("落实资金，开工建设。"));
    // The unit's form offers the next phase (a file and a phase through the upload route too).
    let mut u = app.login("unit").await;
    let r = u.get(&format!("/console/suggestions/{id}")).await;
    let offered = r.texts("#progress-phase option");
    assert_eq!(offered, ["方案", "措施", "成效"]);
    let item = item_of(&app, id).await;
    let r = u
        .upload_with(
            &format!("/console/handling/{item}/progress"),
            &[("text", "补充成效照片"), ("phase", "results")],
            "file",
            "",
            b"",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(notes().await, 4);

    // Opinions keep unphased notes: a phase is refused there.
    let mut citizen = app.browser().await;
    let r = citizen.post("/opinions/new", &[("content", "阶段对照：北街路灯不亮，晚上出行不便，请尽快修复。")]).await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let op = crate::opinions::item_of(&app, &r.texts("#tracking-no")[0]).await;
    let mut s = app.login("staff").await;
    let unit_id = demo_unit(&app).await.to_string();
    let r = s
        .post(&format!("/console/handling/{op}/step"), &[("step", "assign"), ("unit", &unit_id), ("role", "lead")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let with = u
        .post(&format!("/console/handling/{op}/step"), &[("step", "progress"), ("text", "已派人"), ("phase", "plan")])
        .await;
    assert_eq!(with.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", with.body);
    let without = u.post(&format!("/console/handling/{op}/step"), &[("step", "progress"), ("text", "已派人")]).await;
    assert_eq!(without.status, StatusCode::SEE_OTHER, "{}", without.body);
}
demo_test!(progress_is_recorded_in_three_phases);

/// SUG-5: the 协办 unit's own month, on the calendar: warned ten working days before it, once;
/// marked overdue after it, once, with the 主办 and staff told; not after its opinion is in.
async fn the_scan_watches_the_assisting_units_own_deadline(app: TestApp) {
    let staff = app.token("staff", Scope::Write).await;
    let (unit_b, unit_b_token) = second_unit(&app).await;
    let (_, item) = assigned(&app, &staff, Some(unit_b)).await;
    let (answered, answered_item) = assigned(&app, &staff, Some(unit_b)).await;
    step(&app, &unit_b_token, answered, "opinion", json!({"text": "同意。"})).await;
    let deadline = db::query_rows(
        app.db(),
        "SELECT deadline FROM handling_assignments WHERE item_id = $1 AND role = 'assist'",
        vec![item.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index::<String>(0)
        .unwrap();
    let calendar = renda::calendar::load(app.db()).await.unwrap();
    let day = renda::calendar::parse_date(&deadline).unwrap();
    let noon = |d: chrono::NaiveDate| d.and_hms_opt(4, 0, 0).unwrap().and_utc().timestamp();
    let policy_of = |kind: &str| renda::handling::policy_of(&app.state, kind);
    let kinds = ["opinion", "suggestion"];
    let scan = |at: i64| {
        let (calendar, policy_of) = (&calendar, &policy_of);
        let app = &app;
        async move {
            renda::handling::scan::run(app.db(), &app.state.writer, calendar, policy_of, &kinds, at).await.unwrap()
        }
    };
    let lines = |item: i64, detail: &'static str| {
        let app = &app;
        async move {
            db::scalar_i64(
                app.db(),
                "SELECT count(*) FROM handling_events WHERE item_id = $1 AND step = 'deadline_notice' AND detail = $2 \
                 AND unit_id = $3",
                vec![item.into(), detail.into(), unit_b.into()],
            )
            .await
            .unwrap()
        }
    };
    let told = |title: &'static str| {
        let app = &app;
        async move {
            db::scalar_i64(
                app.db(),
                "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = $1 \
                 AND n.title = $2",
                vec!["unit-b".into(), title.into()],
            )
            .await
            .unwrap()
        }
    };
    // Eleven working days before: nothing yet.
    scan(noon(calendar.working_days_before(day, 11))).await;
    assert_eq!(lines(item, "assist_warning").await, 0);
    // Ten working days before: the 协办 unit is warned, once.
    let report = scan(noon(calendar.working_days_before(day, 10))).await;
    assert!(report.assist_warned >= 1, "{report:?}");
    assert_eq!(lines(item, "assist_warning").await, 1);
    assert!(told("协办意见即将到期").await >= 1);
    scan(noon(calendar.working_days_before(day, 9))).await;
    assert_eq!(lines(item, "assist_warning").await, 1, "once per deadline");
    // On the day itself, still not overdue (the day ends at 24:00 Beijing time).
    scan(noon(day)).await;
    assert_eq!(lines(item, "assist_overdue").await, 0);
    // The next day: overdue, once; the 主办 unit and staff are told; the item's own reply
    // deadline (three months) is neither warned nor overdue.
    let after = renda::calendar::deadline_end(day) + 3600;
    let report = scan(after).await;
    assert!(report.assist_overdue >= 1, "{report:?}");
    assert_eq!(lines(item, "assist_overdue").await, 1);
    scan(after + 86_400).await;
    assert_eq!(lines(item, "assist_overdue").await, 1, "once per deadline");
    let lead_told = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM notifications n JOIN accounts a ON a.id = n.account_id WHERE a.username = 'unit' \
         AND n.title = '协办单位未按期提出协办意见'",
        vec![],
    )
    .await
    .unwrap();
    assert!(lead_told >= 1);
    let item_marks =
        db::query_rows(app.db(), "SELECT warned_for, overdue_for FROM handling_items WHERE id = $1", vec![item.into()])
            .await
            .unwrap();
    assert_eq!(item_marks[0].try_get_by_index::<Option<String>>(0).unwrap(), None);
    assert_eq!(item_marks[0].try_get_by_index::<Option<String>>(1).unwrap(), None);
    // A 协办 unit that gave its opinion is left alone.
    assert_eq!(lines(answered_item, "assist_warning").await + lines(answered_item, "assist_overdue").await, 0);
    // The history names it.
    let d = detail(&app, &staff, item_suggestion(&app, item).await).await;
    let labels: Vec<&str> =
        d["handling"]["history"].as_array().unwrap().iter().filter_map(|h| h["label"].as_str()).collect();
    assert!(labels.contains(&"协办意见预警") && labels.contains(&"协办意见超期"), "{labels:?}");
}
demo_test!(the_scan_watches_the_assisting_units_own_deadline);

/// The text of the deputy's card of suggestion `id`.
fn card_text(r: &crate::support::Resp, id: i64) -> Option<String> {
    let html = r.html();
    let cards = scraper::Selector::parse("#cards li").unwrap();
    let link = scraper::Selector::parse("h3 a").unwrap();
    let href = format!("/console/suggestions/{id}");
    html.select(&cards)
        .find(|li| li.select(&link).any(|a| a.value().attr("href") == Some(href.as_str())))
        .map(|li| li.text().collect::<String>())
}

async fn item_suggestion(app: &TestApp, item: i64) -> i64 {
    db::scalar_i64(app.db(), "SELECT id FROM suggestions WHERE item_id = $1", vec![item.into()]).await.unwrap()
}
