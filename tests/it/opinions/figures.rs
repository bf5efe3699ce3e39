//! Issue 21, the statistics kept as counts: after a mixed loop — intake through several
//! channels, 交办, replies on time and late, ratings (one changed by a second round), 二次办理,
//! 改派, a category changed, 并案 — every figure and every breakdown row from the kept counts
//! equals the walk over every opinion (the page's queries before, kept as the oracle), for the
//! whole period, a month, days at a period's ends and a sub-organ; overdue from the kept open
//! deadlines equals overdue counted from the open items at times before, between and after the
//! deadlines (through a 延期, a deadline passed, a reply, a reopen); the backfill counts the
//! same, from nothing and from shares stored before the open deadlines were kept (m0050).

use axum::http::StatusCode;
use renda::auth::Scope;
use renda::calendar;
use renda::db;
use renda::opinions::figures;
use renda::opinions::stats::{self, Dim, Figures, Period, month_span, month_start, start_ts};
use serde_json::{Value, json};

use super::{demo_unit, item_of, opinion_of};
use crate::demo_test;
use crate::support::TestApp;

fn row(f: &Figures) -> String {
    format!(
        "{:?} {:?} total={} accepted={} assigned={} closed={} on_time={} rated={} satisfied={} unsatisfied={} \
         rehandled={} overdue={}",
        f.key,
        f.label,
        f.total,
        f.accepted,
        f.assigned,
        f.closed,
        f.on_time,
        f.rated,
        f.satisfied,
        f.unsatisfied,
        f.rehandled,
        f.overdue
    )
}

/// The kept counts give exactly the walk's answer for this subtree and period; gives the total.
async fn same_as_walk(app: &TestApp, organ_path: &str, from: i64, to: i64) -> i64 {
    let p = Period { organ_path: organ_path.to_string(), from, to };
    let now = db::now();
    let (totals, sections, days) = stats::kept(app.db(), &p, now).await.unwrap();
    let walk = stats::totals(app.db(), &p, now).await.unwrap();
    let what = format!("{organ_path} {from}..{to}");
    assert_eq!(row(&totals), row(&walk), "totals of {what}");
    assert_eq!(sections.iter().map(|(d, _)| *d).collect::<Vec<_>>(), Dim::ALL);
    for (dim, rows) in sections {
        let walk = stats::breakdown(app.db(), &p, dim, now).await.unwrap();
        let mut kept: Vec<String> = rows.iter().map(row).collect();
        let mut walked: Vec<String> = walk.iter().map(row).collect();
        kept.sort();
        walked.sort();
        assert_eq!(kept, walked, "{} of {what}", dim.as_str());
    }
    let cal = calendar::load(app.db()).await.unwrap();
    assert_eq!(days, stats::handling_days(app.db(), &p, &cal).await.unwrap(), "handling days of {what}");
    overdue_same_as_walk(app, organ_path, from, to).await;
    totals.total
}

/// Overdue from the kept open deadlines equals overdue counted from the open items at every
/// time around the deadlines there are: before any, at and just before each, after all.
async fn overdue_same_as_walk(app: &TestApp, organ_path: &str, from: i64, to: i64) {
    let deadlines: Vec<i64> = db::query_rows(
        app.db(),
        "SELECT DISTINCT deadline_at FROM handling_items WHERE deadline_at IS NOT NULL ORDER BY deadline_at",
        vec![],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index(0).unwrap())
    .collect();
    assert!(!deadlines.is_empty());
    let mut nows = vec![0, deadlines[0] - 1, deadlines[deadlines.len() - 1] + 1, db::now()];
    nows.extend(deadlines.iter().flat_map(|d| [d - 1, *d]));
    for now in nows {
        let kept = figures::overdue(app.db(), organ_path, from, to, now).await.unwrap();
        let walk = figures::overdue_walk(app.db(), organ_path, from, to, now).await.unwrap();
        assert_eq!(kept, walk, "overdue of {organ_path} {from}..{to} at {now}");
    }
}

/// Every (organ, period, due, dim, key) row of the open deadlines' counts that counts something.
async fn dump_due(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for (t, period) in [("opinion_overdue_days", "day"), ("opinion_overdue_months", "month")] {
        for r in db::query_rows(
            app.db(),
            &format!("SELECT organ_id, {period}, due, dim, key, n FROM {t} WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5"),
            vec![],
        )
        .await
        .unwrap()
        {
            out.push(format!(
                "{t} {} {} {} {} {} {}",
                r.try_get_by_index::<i64>(0).unwrap(),
                r.try_get_by_index::<i64>(1).unwrap(),
                r.try_get_by_index::<i64>(2).unwrap(),
                r.try_get_by_index::<String>(3).unwrap(),
                r.try_get_by_index::<String>(4).unwrap(),
                r.try_get_by_index::<i64>(5).unwrap()
            ));
        }
    }
    out
}

/// Every period the test compares: all time, the current month, days at both ends around the
/// month's start, and a sub-organ's all time.
async fn all_same_as_walk(app: &TestApp, root: &str, sub: &str) -> i64 {
    let all = same_as_walk(app, root, 0, i64::MAX / 2).await;
    let today = calendar::beijing_date(db::now());
    let month = today.format("%Y-%m").to_string();
    let (a, b) = month_span(month_start(&month), month_start(&month));
    assert!(same_as_walk(app, root, a, b).await > 0, "nothing this month");
    // Ten days before this month's start to ten days after: day rows at both ends.
    let start = month_start(&month).unwrap();
    let (a, b) = (start_ts(start - chrono::Days::new(10)), start_ts(start + chrono::Days::new(10)));
    same_as_walk(app, root, a, b).await;
    // Last month and the one before, whole.
    let prev = start - chrono::Months::new(2);
    same_as_walk(app, root, start_ts(prev), start_ts(start)).await;
    assert!(same_as_walk(app, sub, 0, i64::MAX / 2).await > 0, "nothing in the sub-organ");
    all
}

async fn step(app: &TestApp, who: &str, id: i64, name: &str, body: Value) {
    let r = app.api("POST", &format!("/api/v1/opinions/{id}/{name}"), Some(who), Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
}

/// An opinion through the API: (opinion id, item id, tracking number, query code). Steps name
/// the opinion.
async fn submit(app: &TestApp, token: Option<&str>, body: Value) -> (i64, i64, String, String) {
    let r = app.api("POST", "/api/v1/opinions", token, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    let no = j["tracking_no"].as_str().unwrap().to_string();
    let code = j["query_code"].as_str().unwrap_or_default().to_string();
    (opinion_of(app, &no).await, item_of(app, &no).await, no, code)
}

async fn rate(app: &TestApp, no: &str, code: &str, grade: &str) {
    let r = app
        .api("POST", &format!("/api/v1/opinions/track/{no}/ratings"), None, Some(json!({"code": code, "grade": grade})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn kept_figures_equal_the_walk_after_a_mixed_loop(app: TestApp) {
    let root: String = db::query_rows(app.db(), "SELECT path FROM organs WHERE parent_id IS NULL ORDER BY id", vec![])
        .await
        .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    // A sub-organ with opinions of its own.
    let sub: String = db::query_rows(
        app.db(),
        "SELECT o.path FROM organs o WHERE o.parent_id IS NOT NULL AND EXISTS (SELECT 1 FROM opinions op \
         WHERE op.organ_id = o.id) ORDER BY o.id",
        vec![],
    )
    .await
    .unwrap()
    .first()
    .map(|r| r.try_get_by_index(0).unwrap())
    .unwrap_or_else(|| root.clone());
    // The demo's opinions (every state of the loop, written through intake and the loop).
    let before = same_as_walk(&app, &root, 0, i64::MAX / 2).await;
    assert!(before > 0);

    let staff = app.token("staff", Scope::Write).await;
    let unit_token = app.token("unit", Scope::Write).await;
    let unit = demo_unit(&app).await;
    let other_unit = db::scalar_i64(
        app.db(),
        "SELECT min(id) FROM handling_units WHERE id <> $1 AND organ_id = (SELECT organ_id FROM handling_units WHERE id = $1)",
        vec![unit.into()],
    )
    .await
    .unwrap();
    let station = super::a_station(&app).await;
    let phone = |n: u32| format!("1390000{n:04}");

    // Intake through several channels: the API, a station's code, staff's entry.
    let (on_time, _, no1, code1) = submit(
        &app,
        None,
        json!({"content": "小区门口路灯坏了一个月。", "phone": phone(1), "name": "李一", "consent": true}),
    )
    .await;
    let (late, late_item, no2, code2) = submit(
        &app,
        None,
        json!({"content": "菜市场旁边垃圾没人清运。", "station_id": station, "phone": phone(2), "name": "李二", "consent": true}),
    )
    .await;
    let (reassigned, _, _, _) =
        submit(&app, Some(&staff), json!({"content": "公交站台顶棚漏雨，下雨天没法等车。"})).await;
    let (merged, _, _, _) = submit(&app, None, json!({"content": "公交站台漏雨，请尽快修理。"})).await;
    let (rejected, _, _, _) = submit(&app, None, json!({"content": "测试一下。"})).await;

    // On time: 交办, 签收, 答复, the submitter satisfied, 办结.
    step(&app, &staff, on_time, "assign", json!({"units": [{"unit_id": unit, "role": "lead"}]})).await;
    step(&app, &unit_token, on_time, "accept", json!({})).await;
    step(&app, &unit_token, on_time, "reply", json!({"result": "resolved", "text": "已修好。"})).await;
    rate(&app, &no1, &code1, "satisfied").await;
    step(&app, &staff, on_time, "close", json!({})).await;

    // Late: the deadline passed before the reply (set back as if days went by), 不满意 opens
    // 二次办理, a second reply, 基本满意 — the rating changed —, 办结.
    step(&app, &staff, late, "assign", json!({"units": [{"unit_id": unit, "role": "lead"}]})).await;
    step(&app, &unit_token, late, "accept", json!({})).await;
    // 延期: the open deadline moves (its old one out of the counts, the new one in).
    let deadline = async || {
        db::scalar_i64(app.db(), "SELECT deadline_at FROM handling_items WHERE id = $1", vec![late_item.into()])
            .await
            .unwrap()
    };
    let first = deadline().await;
    step(&app, &unit_token, late, "request_extension", json!({"days": 3, "text": "需协调环卫车辆"})).await;
    step(&app, &staff, late, "decide_extension", json!({"unit_id": unit, "approve": true, "days": 3, "text": "同意"}))
        .await;
    assert!(deadline().await > first, "the deadline moved");
    same_as_walk(&app, &root, 0, i64::MAX / 2).await;
    // Set back by hand as if days went by (outside the loop, so restated by hand as the loop's
    // hook would).
    let past = db::now() - 3 * 86_400;
    db::exec(app.db(), "UPDATE handling_items SET deadline_at = $1 WHERE id = $2", vec![past.into(), late_item.into()])
        .await
        .unwrap();
    figures::restate(app.db(), late_item).await.unwrap();
    // Still open past its deadline: overdue now.
    same_as_walk(&app, &root, 0, i64::MAX / 2).await;
    assert!(figures::overdue(app.db(), &root, 0, i64::MAX / 2, db::now()).await.unwrap().total > 0);
    step(&app, &unit_token, late, "reply", json!({"result": "resolved", "text": "已清运。"})).await;
    // Replied: no longer open, out of the open deadlines.
    same_as_walk(&app, &root, 0, i64::MAX / 2).await;
    rate(&app, &no2, &code2, "unsatisfied").await;
    // 二次办理 (reopened by the rating): open again with the new round's deadline.
    same_as_walk(&app, &root, 0, i64::MAX / 2).await;
    step(&app, &unit_token, late, "accept", json!({})).await;
    step(&app, &unit_token, late, "reply", json!({"result": "resolved", "text": "已安排每日清运。"})).await;
    rate(&app, &no2, &code2, "basically_satisfied").await;
    step(&app, &staff, late, "close", json!({})).await;

    // 改派 to another unit, then a category set by staff.
    step(&app, &staff, reassigned, "assign", json!({"units": [{"unit_id": unit, "role": "lead"}]})).await;
    step(
        &app,
        &staff,
        reassigned,
        "reassign",
        json!({"unit_id": unit, "to_unit_id": other_unit, "text": "属另一单位职责"}),
    )
    .await;
    let category: String =
        db::query_rows(app.db(), "SELECT name FROM opinion_categories ORDER BY id", vec![]).await.unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let mut browser = app.login("staff").await;
    let r = browser.post(&format!("/console/opinions/{reassigned}/category"), &[("category", category.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // 并案 into the reassigned one; the primary's reply moves the merged item too.
    step(&app, &staff, merged, "merge", json!({"into": reassigned})).await;
    // 不予受理.
    step(&app, &staff, rejected, "reject", json!({"text": "内容不是意见建议"})).await;

    let after = all_same_as_walk(&app, &root, &sub).await;
    assert_eq!(after, before + 5);

    // The backfill counts the same from nothing.
    let tables = ["opinion_figure_days", "opinion_figure_months"];
    let dump = async |t: &str| -> Vec<String> {
        let period = if t.ends_with("days") { "day" } else { "month" };
        db::query_rows(
            app.db(),
            &format!(
                "SELECT organ_id, {period}, dim, key, total, accepted, assigned, closed, on_time, rated, satisfied, \
                 unsatisfied, rehandled FROM {t} WHERE total <> 0 ORDER BY organ_id, {period}, dim, key"
            ),
            vec![],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let mut s = format!(
                "{} {} {} {}",
                r.try_get_by_index::<i64>(0).unwrap(),
                r.try_get_by_index::<i64>(1).unwrap(),
                r.try_get_by_index::<String>(2).unwrap(),
                r.try_get_by_index::<String>(3).unwrap()
            );
            for i in 4..13 {
                s.push_str(&format!(" {}", r.try_get_by_index::<i64>(i).unwrap()));
            }
            s
        })
        .collect()
    };
    let kept = [dump(tables[0]).await, dump(tables[1]).await];
    let kept_due = dump_due(&app).await;
    assert!(!kept_due.is_empty(), "open deadlines counted");
    for t in [
        "opinion_figures",
        "opinion_figure_days",
        "opinion_figure_months",
        "opinion_overdue_days",
        "opinion_overdue_months",
    ] {
        db::exec(app.db(), &format!("DELETE FROM {t}"), vec![]).await.unwrap();
    }
    let n = figures::backfill(&app.state).await.unwrap();
    assert_eq!(n as i64, db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap());
    assert_eq!([dump(tables[0]).await, dump(tables[1]).await], kept, "the backfill's counts");
    assert_eq!(dump_due(&app).await, kept_due, "the backfill's open deadlines");
    all_same_as_walk(&app, &root, &sub).await;

    // As m0050 finds an installation: shares stored without their open deadline and no due
    // rows. The backfill restates the open items with a deadline, and only them.
    for r in db::query_rows(app.db(), "SELECT opinion_id, share FROM opinion_figures", vec![]).await.unwrap() {
        let (id, share): (i64, String) = (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap());
        let mut v: Value = serde_json::from_str(&share).unwrap();
        v.as_object_mut().unwrap().remove("u");
        db::exec(
            app.db(),
            "UPDATE opinion_figures SET share = $1 WHERE opinion_id = $2",
            vec![v.to_string().into(), id.into()],
        )
        .await
        .unwrap();
    }
    for t in ["opinion_overdue_days", "opinion_overdue_months"] {
        db::exec(app.db(), &format!("DELETE FROM {t}"), vec![]).await.unwrap();
    }
    let n = figures::backfill(&app.state).await.unwrap();
    let open = db::scalar_i64(
        app.db(),
        "SELECT count(*) FROM opinions op JOIN handling_items i ON i.id = op.item_id \
         WHERE i.state IN ('assigned', 'in_progress', 'rehandling') AND i.deadline_at IS NOT NULL",
        vec![],
    )
    .await
    .unwrap();
    assert!(open > 0);
    assert_eq!(n as i64, open, "the open items restated");
    assert_eq!([dump(tables[0]).await, dump(tables[1]).await], kept, "the counts unchanged");
    assert_eq!(dump_due(&app).await, kept_due, "the open deadlines counted again");
    all_same_as_walk(&app, &root, &sub).await;
}
demo_test!(kept_figures_equal_the_walk_after_a_mixed_loop);
