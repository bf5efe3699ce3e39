//! Issue 18 (first part): the loop serves any registered kind. A second kind, registered by
//! this test only, runs through the same pages and service with its own descriptor — two
//! signers who each act as its deputy and rate for themselves, deadlines in calendar months, the deputy's 不满意 reopening it, a reopen from 办结 (回头看), its own
//! words — while opinions keep theirs. Nothing of it is in the loop's code.

use std::sync::LazyLock;

use axum::http::StatusCode;
use renda::app::error::{AppError, AppResult};
use renda::app::state::{AppState, BoxFuture};
use renda::audit::Actor;
use renda::auth::Role;
use renda::db;
use renda::handling::ItemKind;
use renda::handling::flow::{Aspect, DueUnit, Party, Policy, RULES, Rule, State, Step, Words};
use renda::handling::service::{Command, NewItem, open};

use crate::demo_test;
use crate::opinions::{demo_unit, item_of, state_of};
use crate::support::{Browser, TestApp};

/// The opinions' table, but an item may be reopened after 办结 as well.
static PETITION_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    RULES
        .iter()
        .map(|r| if r.step == Step::Reopen { Rule { from: &[State::Replied, State::Closed], ..*r } } else { *r })
        .collect()
});

fn petition_policy(_: &AppState) -> Policy {
    Policy {
        rules: &PETITION_RULES,
        due_unit: DueUnit::CalendarMonths,
        default_due: 3,
        max_due: 6,
        reopen_on: &[Party::Deputy],
        aspects: &[Aspect::Reply, Aspect::Result],
        warn_working_days: 10,
        rate_per_unit: true,
        words: Words {
            submitter: "提出代表", item: "测试事项", outcome: renda::handling::flow::Outcome::label
        },
        ..Policy::default()
    }
}

static PETITION: ItemKind = ItemKind {
    kind: "test_petition",
    page: |_| "/console".to_string(),
    before_step: Some(contact_before_reply),
    after_step: None,
    policy: petition_policy,
};

/// This kind's check before a step: no 答复 before a contact with the deputy is recorded (a
/// progress note of this round).
fn contact_before_reply<'a>(
    _: &'a AppState,
    txn: &'a sea_orm::DatabaseTransaction,
    item: &'a renda::handling::model::Item,
    cmd: &'a Command,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if !matches!(cmd, Command::Reply { .. }) {
            return Ok(());
        }
        let contacts = db::scalar_i64(
            txn,
            "SELECT count(*) FROM handling_events WHERE item_id = $1 AND round = $2 AND step = 'progress'",
            vec![item.id.into(), item.round.into()],
        )
        .await?;
        if contacts == 0 {
            return Err(AppError::Conflict("答复前请先记录与提出代表的联系（办理进展）".into()));
        }
        Ok(())
    })
}

/// Opens an item of the test-only kind at `organ`, signed by `signers` (the lead first).
async fn open_petition(app: &TestApp, organ: i64, signers: &[i64]) -> i64 {
    renda::app::write::write_as(&app.state, Actor::system("测试"), async |w| {
        let new = NewItem {
            kind: "test_petition",
            organ_id: organ,
            area_id: None,
            station_id: None,
            deputy_id: None,
            held: false,
            note: "代表提出",
            signers,
        };
        Ok(open(w.txn(), w.actor(), &new, db::now()).await?)
    })
    .await
    .unwrap()
}

async fn step(b: &mut Browser<'_>, item: i64, fields: &[(&str, &str)]) -> StatusCode {
    b.post(&format!("/console/handling/{item}/step"), fields).await.status
}

async fn deadline(app: &TestApp, item: i64) -> String {
    db::query_rows(app.db(), "SELECT deadline FROM handling_items WHERE id = $1", vec![item.into()]).await.unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}

async fn a_second_kind_runs_the_same_loop_with_its_own_rules(app: TestApp) {
    renda::handling::register(&app.state, &[&renda::opinions::ITEM_KIND, &PETITION]);
    let deputy =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    // Two more deputies with accounts: a co-signer and one who did not sign.
    let others = db::query_rows(
        app.db(),
        "SELECT DISTINCT person_id FROM mandates WHERE status = 'serving' AND person_id <> $1 ORDER BY person_id LIMIT 2",
        vec![deputy.into()],
    )
    .await
    .unwrap();
    let (cosigner, outsider): (i64, i64) =
        (others[0].try_get_by_index(0).unwrap(), others[1].try_get_by_index(0).unwrap());
    for (name, person) in [("cosigner", cosigner), ("outsider", outsider)] {
        app.add_account(name, organ, &[Role::Deputy]).await;
        db::exec(app.db(), "UPDATE accounts SET deputy_id = $1 WHERE username = $2", vec![person.into(), name.into()])
            .await
            .unwrap();
    }
    let item = open_petition(&app, organ, &[deputy, cosigner]).await; // two signers: each is the item's deputy
    let unit = demo_unit(&app).await.to_string();
    let mut staff = app.login("staff").await;
    let mut u = app.login("unit").await;
    let mut d = app.login("deputy").await;
    let mut co = app.login("cosigner").await;
    let mut out = app.login("outsider").await;
    // Signers see it; a deputy who did not sign does not.
    assert_eq!(co.get(&format!("/console/handling/{item}")).await.status, StatusCode::SEE_OTHER);
    assert_eq!(out.get(&format!("/console/handling/{item}")).await.status, StatusCode::NOT_FOUND);

    // Calendar months: at most 6; 3 months from today, on a working day.
    let long = step(&mut staff, item, &[("step", "assign"), ("unit", &unit), ("role", "lead"), ("days", "7")]).await;
    assert_eq!(long, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = step(&mut staff, item, &[("step", "assign"), ("unit", &unit), ("role", "lead"), ("days", "3")]).await;
    assert_eq!(ok, StatusCode::SEE_OTHER);
    let calendar = renda::calendar::load(app.db()).await.unwrap();
    let today = renda::calendar::beijing_date(db::now());
    let expected = calendar.on_or_after(today.checked_add_months(chrono::Months::new(3)).unwrap());
    assert_eq!(deadline(&app, item).await, expected.format("%Y-%m-%d").to_string());
    assert!(calendar.is_working_day(expected));
    let line = db::query_rows(
        app.db(),
        "SELECT body FROM handling_events WHERE item_id = $1 AND step = 'assign'",
        vec![item.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index::<String>(0)
        .unwrap();
    assert!(line.contains("3个月"), "{line}");
    // The kind's words on its forms.
    assert_eq!(petition_policy(&app.state).seen_by(Step::Reply), "提出代表可见");

    // The deputy's 不满意 reopens this kind by itself.
    assert_eq!(step(&mut u, item, &[("step", "accept")]).await, StatusCode::SEE_OTHER);
    // The kind's check before a step: no reply before a recorded contact; nothing written.
    let r = step(&mut u, item, &[("step", "reply"), ("outcome", "in_progress"), ("text", "正在协调资金。")]).await;
    assert_eq!(r, StatusCode::CONFLICT);
    let replies =
        db::scalar_i64(app.db(), "SELECT count(*) FROM handling_replies WHERE item_id = $1", vec![item.into()])
            .await
            .unwrap();
    assert_eq!(replies, 0);
    assert_eq!(
        step(&mut u, item, &[("step", "progress"), ("text", "已电话联系提出代表。")]).await,
        StatusCode::SEE_OTHER
    );
    let r = step(&mut u, item, &[("step", "reply"), ("outcome", "in_progress"), ("text", "正在协调资金。")]).await;
    assert_eq!(r, StatusCode::SEE_OTHER);
    // This kind rates each unit on two aspects: neither the whole nor no unit will do.
    let rate = |aspect: &'static str, grade: &'static str| {
        [("step", "rate"), ("aspect", aspect), ("unit_id", Box::leak(unit.clone().into_boxed_str())), ("grade", grade)]
    };
    assert_eq!(step(&mut d, item, &rate("overall", "satisfied")).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        step(&mut d, item, &[("step", "rate"), ("aspect", "reply"), ("grade", "satisfied")]).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(step(&mut d, item, &rate("reply", "satisfied")).await, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, item).await, "replied");
    assert_eq!(step(&mut d, item, &rate("result", "unsatisfied")).await, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, item).await, "rehandling");
    // Round two, then 办结, then 回头看 reopens it from 办结.
    assert_eq!(step(&mut u, item, &[("step", "accept")]).await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut u, item, &[("step", "progress"), ("text", "再次联系。")]).await, StatusCode::SEE_OTHER);
    assert_eq!(
        step(&mut u, item, &[("step", "reply"), ("outcome", "resolved"), ("text", "已落实。")]).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(step(&mut d, item, &rate("reply", "satisfied")).await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut d, item, &rate("result", "satisfied")).await, StatusCode::SEE_OTHER);
    // Each signer rates for themself, once a round.
    assert_eq!(step(&mut d, item, &rate("result", "satisfied")).await, StatusCode::CONFLICT);
    assert_eq!(step(&mut co, item, &rate("result", "basically_satisfied")).await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut out, item, &rate("result", "satisfied")).await, StatusCode::NOT_FOUND);
    let raters = db::query_rows(
        app.db(),
        "SELECT person_id, aspect, unit_id FROM handling_ratings WHERE item_id = $1 AND round = 2 ORDER BY id",
        vec![item.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get_by_index::<Option<i64>>(0).unwrap(),
            r.try_get_by_index::<String>(1).unwrap(),
            r.try_get_by_index::<Option<i64>>(2).unwrap(),
        )
    })
    .collect::<Vec<_>>();
    let rated = Some(unit.parse::<i64>().unwrap());
    assert_eq!(
        raters,
        [
            (Some(deputy), "reply".to_string(), rated),
            (Some(deputy), "result".to_string(), rated),
            (Some(cosigner), "result".to_string(), rated)
        ]
    );
    assert_eq!(step(&mut staff, item, &[("step", "close"), ("text", "")]).await, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, item).await, "closed");
    let r = step(&mut staff, item, &[("step", "reopen"), ("text", "回头看：整改反弹")]).await;
    assert_eq!(r, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, item).await, "rehandling");
    let (round, closed) = {
        let row =
            db::query_rows(app.db(), "SELECT round, closed_at FROM handling_items WHERE id = $1", vec![item.into()])
                .await
                .unwrap();
        (row[0].try_get_by_index::<i64>(0).unwrap(), row[0].try_get_by_index::<Option<i64>>(1).unwrap())
    };
    assert_eq!((round, closed), (3, None));

    // Opinions keep their loop: working days, only the submitter's 不满意 reopens, 办结 is final.
    let mut citizen = app.browser().await;
    let r = citizen
        .post(
            "/opinions/new",
            &[("deputy", &deputy.to_string()), ("content", "第二类事项对照：桥头路灯不亮已经一个月了，请修复。")],
        )
        .await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let no = r.texts("#tracking-no")[0].clone();
    let op = item_of(&app, &no).await;
    assert_eq!(
        step(&mut staff, op, &[("step", "assign"), ("unit", &unit), ("role", "lead"), ("days", "7")]).await,
        StatusCode::SEE_OTHER
    );
    let expected = calendar.add_working_days(today, 7);
    assert_eq!(deadline(&app, op).await, expected.format("%Y-%m-%d").to_string());
    assert_eq!(step(&mut u, op, &[("step", "accept")]).await, StatusCode::SEE_OTHER);
    assert_eq!(
        step(&mut u, op, &[("step", "reply"), ("outcome", "resolved"), ("text", "已修复。")]).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(&mut d, op, &[("step", "rate"), ("grade", "unsatisfied"), ("text", "")]).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(state_of(&app, op).await, "replied", "a deputy's 不满意 does not reopen an opinion");
    assert_eq!(step(&mut staff, op, &[("step", "close"), ("text", "已核实修复")]).await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut staff, op, &[("step", "reopen"), ("text", "再看看")]).await, StatusCode::CONFLICT);
}
demo_test!(a_second_kind_runs_the_same_loop_with_its_own_rules);

/// The deadline scan warns each item by its kind's rule: a kind warned ten working days ahead
/// is warned when an opinion with the same deadline is not yet.
async fn the_deadline_scan_follows_each_kinds_warning(app: TestApp) {
    renda::handling::register(&app.state, &[&renda::opinions::ITEM_KIND, &PETITION]);
    let deputy =
        db::scalar_i64(app.db(), "SELECT deputy_id FROM accounts WHERE username = 'deputy'", vec![]).await.unwrap();
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let petition = open_petition(&app, organ, &[deputy]).await;
    let mut citizen = app.browser().await;
    let r =
        citizen.post("/opinions/new", &[("content", "期限扫描对照：南关小学门口的减速带坏了，车速很快很危险。")]).await;
    let r = citizen.follow(r).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let opinion = item_of(&app, &r.texts("#tracking-no")[0]).await;
    let unit = demo_unit(&app).await.to_string();
    let mut staff = app.login("staff").await;
    for item in [petition, opinion] {
        let r = step(&mut staff, item, &[("step", "assign"), ("unit", &unit), ("role", "lead"), ("days", "2")]).await;
        assert_eq!(r, StatusCode::SEE_OTHER);
    }
    // The same deadline for both.
    db::exec(
        app.db(),
        "UPDATE handling_items SET deadline = (SELECT deadline FROM handling_items WHERE id = $1), \
         deadline_at = (SELECT deadline_at FROM handling_items WHERE id = $1) WHERE id = $2",
        vec![petition.into(), opinion.into()],
    )
    .await
    .unwrap();
    let calendar = renda::calendar::load(app.db()).await.unwrap();
    let day = renda::calendar::parse_date(&deadline(&app, petition).await).unwrap();
    // Noon (Beijing) eight working days before it.
    let when = calendar.working_days_before(day, 8).and_hms_opt(4, 0, 0).unwrap().and_utc().timestamp();
    let policy_of = |kind: &str| renda::handling::policy_of(&app.state, kind);
    let report = renda::handling::scan::run(
        app.db(),
        &app.state.writer,
        &calendar,
        &policy_of,
        &["opinion", "test_petition"],
        when,
    )
    .await
    .unwrap();
    assert_eq!(report.warned, 1, "{report:?}");
    let conn = app.db();
    let warned = |item: i64| async move {
        db::scalar_i64(
            conn,
            "SELECT count(*) FROM handling_events WHERE item_id = $1 AND step = 'deadline_notice'",
            vec![item.into()],
        )
        .await
        .unwrap()
    };
    assert_eq!(warned(petition).await, 1, "ten working days ahead: warned");
    assert_eq!(warned(opinion).await, 0, "three working days ahead: not yet");
}
demo_test!(the_deadline_scan_follows_each_kinds_warning);

/// The test-only kind with phases turned on (its only difference from the opinions' loop).
fn phased_policy(_: &AppState) -> Policy {
    Policy { phases: true, ..Policy::default() }
}

static PHASED: ItemKind = ItemKind {
    kind: "test_phased",
    page: |_| "/console".to_string(),
    before_step: None,
    after_step: None,
    policy: phased_policy,
};

/// SUG-6's phases are the loop's, turned on by a kind's policy: the test kind's progress notes
/// go 方案 → 措施 → 成效 through the console's step form, each unit on its own, while opinions'
/// notes have none.
async fn phases_are_a_kinds_choice(app: TestApp) {
    renda::handling::register(&app.state, &[&renda::opinions::ITEM_KIND, &PHASED]);
    let organ =
        db::scalar_i64(app.db(), "SELECT organ_id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let item = renda::app::write::write_as(&app.state, Actor::system("测试"), async |w| {
        let new = NewItem {
            kind: "test_phased",
            organ_id: organ,
            area_id: None,
            station_id: None,
            deputy_id: None,
            held: false,
            note: "测试",
            signers: &[],
        };
        Ok(open(w.txn(), w.actor(), &new, db::now()).await?)
    })
    .await
    .unwrap();
    let unit = demo_unit(&app).await.to_string();
    let mut staff = app.login("staff").await;
    let mut u = app.login("unit").await;
    let ok = step(&mut staff, item, &[("step", "assign"), ("unit", &unit), ("role", "lead"), ("days", "5")]).await;
    assert_eq!(ok, StatusCode::SEE_OTHER);
    let note = |phase: &'static str| [("step", "progress"), ("text", "记录"), ("phase", phase)];
    assert_eq!(step(&mut u, item, &[("step", "progress"), ("text", "无阶段")]).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(step(&mut u, item, &note("results")).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(step(&mut u, item, &note("plan")).await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut u, item, &note("plan")).await, StatusCode::SEE_OTHER, "a phase may have several notes");
    assert_eq!(step(&mut u, item, &note("results")).await, StatusCode::UNPROCESSABLE_ENTITY, "措施 first");
    assert_eq!(step(&mut u, item, &note("measures")).await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut u, item, &note("results")).await, StatusCode::SEE_OTHER);
    let phases: Vec<String> = db::query_rows(
        app.db(),
        "SELECT phase FROM handling_events WHERE item_id = $1 AND step = 'progress' ORDER BY id",
        vec![item.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).unwrap())
    .collect();
    assert_eq!(phases, ["plan", "plan", "measures", "results"]);
    assert_eq!(renda::handling::flow::event_label("progress", "measures"), "办理进展：措施");
    // The opinions' loop has no phases: its notes are stored without one.
    assert!(!renda::handling::policy_of(&app.state, "opinion").phases);
    assert!(renda::handling::policy_of(&app.state, "test_phased").phases);
}
demo_test!(phases_are_a_kinds_choice);
