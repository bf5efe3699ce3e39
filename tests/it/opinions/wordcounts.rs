//! Issue 21, words stored at intake: each opinion's words are segmented once, when it is written,
//! and counted per organ and day (and per subtree and month) in the same transaction; the counts
//! follow a text's insert, change and removal, the backfill and a new name; a period's hot words
//! from the counts equal a hand count — segmenting every text of the period on the question, as
//! the statistics did before — whatever the period and the subtree.

use std::collections::HashMap;

use axum::http::StatusCode;
use renda::audit::Actor;
use renda::auth::Scope;
use renda::db;
use renda::nlp::keywords::{hot_words_in, stored_words};
use renda::opinions::service::{self, Source, Submission};
use renda::opinions::stats::{month_span, month_start, start_ts};
use renda::opinions::wordcounts::{self, Counts};
use serde_json::json;

use crate::demo_test;
use crate::support::TestApp;

type Table = HashMap<(i64, i64, String), i64>;

async fn table(app: &TestApp, name: &str, period: &str) -> Table {
    db::query_rows(app.db(), &format!("SELECT organ_id, {period}, word, texts FROM {name}"), vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap()),
                r.try_get_by_index(3).unwrap(),
            )
        })
        .collect()
}

/// The count tables hold exactly the counts of the stored words of every opinion, each opinion
/// under its organ's day and under its organ's and every ancestor's month; no row of 0.
pub async fn assert_counts_true(app: &TestApp) {
    let rows = db::query_rows(
        app.db(),
        "SELECT op.organ_id, o.path, op.created_at, op.words FROM opinions op JOIN organs o ON o.id = op.organ_id",
        vec![],
    )
    .await
    .unwrap();
    let mut expected = Counts::default();
    for r in &rows {
        let words: Option<String> = r.try_get_by_index(3).unwrap();
        let path: String = r.try_get_by_index(1).unwrap();
        expected.text(r.try_get_by_index(0).unwrap(), &path, r.try_get_by_index(2).unwrap(), &words.unwrap(), 1);
    }
    assert_eq!(table(app, "opinion_word_days", "day").await, expected.days, "the day counts");
    assert_eq!(table(app, "opinion_word_months", "month").await, expected.months, "the month counts");
}

async fn day_count(app: &TestApp, organ: i64, day: i64, word: &str) -> i64 {
    db::scalar_i64(
        app.db(),
        "SELECT CAST(COALESCE(sum(texts), 0) AS BIGINT) FROM opinion_word_days WHERE organ_id = $1 AND day = $2 AND word = $3",
        vec![organ.into(), day.into(), word.into()],
    )
    .await
    .unwrap()
}

async fn counts_follow_insert_text_change_and_removal(app: TestApp) {
    // The demo's opinions came in through intake: every one has its words, all counted.
    assert_eq!(db::scalar_i64(app.db(), "SELECT count(*) FROM opinions WHERE words IS NULL", vec![]).await.unwrap(), 0);
    assert!(db::scalar_i64(app.db(), "SELECT count(*) FROM opinions", vec![]).await.unwrap() > 10);
    assert_counts_true(&app).await;

    // Insert: a submission through the API counts its words on its day, once each.
    let staff = app.token("staff", Scope::Write).await;
    let (title, content) = ("河道污水直排", "村东头的河道污水直排，河道发臭，污水还流进了农田。");
    let r = app.api("POST", "/api/v1/opinions", Some(&staff), Some(json!({"title": title, "content": content}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = super::opinion_of(&app, r.json()["tracking_no"].as_str().unwrap()).await;
    let row =
        &db::query_rows(app.db(), "SELECT organ_id, created_at, words FROM opinions WHERE id = $1", vec![id.into()])
            .await
            .unwrap()[0];
    let (organ, at, words): (i64, i64, String) =
        (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap(), row.try_get_by_index(2).unwrap());
    let lexicon = renda::opinions::lexicon::current(&app.state).await.unwrap();
    assert_eq!(words, stored_words(&lexicon, &format!("{title} {content}")));
    let list: Vec<&str> = words.split(' ').collect();
    assert!(list.contains(&"污水") && list.contains(&"河道"), "{words}");
    assert_eq!(list.iter().filter(|w| **w == "污水").count(), 1, "a word once per text: {words}");
    let day = wordcounts::day_of(at);
    let before_water = day_count(&app, organ, day, "污水").await;
    assert!(before_water >= 1);
    assert_counts_true(&app).await;

    // Text change: the old words' counts go down, the new ones' up, in the write's transaction.
    let fish = day_count(&app, organ, day, "鱼塘").await;
    let txn = db::begin_write(app.db()).await.unwrap();
    assert!(wordcounts::restate(&txn, &lexicon, id, "鱼塘", "鱼塘边的路灯坏了。").await.unwrap());
    txn.commit().await.unwrap();
    assert_eq!(day_count(&app, organ, day, "污水").await, before_water - 1);
    assert_eq!(day_count(&app, organ, day, "鱼塘").await, fish + 1);
    assert_counts_true(&app).await;
    // A change rolled back leaves the counts as they were.
    let txn = db::begin_write(app.db()).await.unwrap();
    assert!(wordcounts::restate(&txn, &lexicon, id, "", "完全不同的另一段话：菜市场").await.unwrap());
    txn.rollback().await.unwrap();
    assert_eq!(day_count(&app, organ, day, "鱼塘").await, fish + 1);
    assert_counts_true(&app).await;

    // Removal: the counts go down and a row that falls to 0 goes.
    let txn = db::begin_write(app.db()).await.unwrap();
    assert!(wordcounts::forget(&txn, id).await.unwrap());
    db::exec(&txn, "UPDATE opinions SET words = '' WHERE id = $1", vec![id.into()]).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(day_count(&app, organ, day, "鱼塘").await, fish);
    assert_counts_true(&app).await;
    for t in ["opinion_word_days", "opinion_word_months"] {
        let zero =
            db::scalar_i64(app.db(), &format!("SELECT count(*) FROM {t} WHERE texts <= 0"), vec![]).await.unwrap();
        assert_eq!(zero, 0, "{t}");
    }
    assert!(!wordcounts::forget(app.db(), 987_654_321).await.unwrap());
}
demo_test!(counts_follow_insert_text_change_and_removal);

/// Submits an opinion at `at` (a Unix time) through intake, at a station (its organ) or at the
/// default organ.
async fn submit_at(app: &TestApp, station: Option<i64>, at: i64, title: &str, content: &str) {
    let lexicon = renda::opinions::lexicon::load(app.db()).await.unwrap();
    let txn = db::begin_write(app.db()).await.unwrap();
    let client = format!("10.9.{}.{}", at % 200, at % 97);
    let sub = Submission {
        station_id: station,
        title: title.into(),
        content: content.into(),
        allow_public: false,
        anonymous: true,
        ..Default::default()
    };
    let src = Source {
        channel: renda::opinions::model::Channel::Web,
        entered_by: None,
        client: &client,
        now: at,
        lexicon: &lexicon,
    };
    service::submit(&txn, app.state.audit_key(), &app.state.crypto, &Actor::system("测试"), &sub, &src).await.unwrap();
    txn.commit().await.unwrap();
}

/// Segments every text of the subtree and span on the question: the statistics' old answer.
async fn hand_count(app: &TestApp, path: &str, from: i64, to: i64) -> Vec<(String, usize)> {
    let texts: Vec<String> = db::query_rows(
        app.db(),
        "SELECT op.title, op.content FROM opinions op JOIN organs o ON o.id = op.organ_id \
         WHERE o.path LIKE $1 AND op.created_at >= $2 AND op.created_at < $3",
        vec![format!("{path}%").into(), from.into(), to.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| format!("{} {}", r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap()))
    .collect();
    let lexicon = renda::opinions::lexicon::load(app.db()).await.unwrap();
    hot_words_in(&lexicon, &texts, 200)
}

fn day(ymd: &str) -> i64 {
    start_ts(chrono::NaiveDate::parse_from_str(ymd, "%Y-%m-%d").unwrap())
}

async fn hot_words_of_a_period_equal_a_hand_count(app: TestApp) {
    // Opinions around month ends in 2025 (before the demo's), at a township's station and at the
    // county, some at the first and last second of a Beijing day.
    let station = super::a_station(&app).await;
    let texts = [
        ("小区停车难", "百尺河镇小区停车位太少，晚上停车难，车辆乱停堵住消防通道。"),
        ("企业拖欠工资", "企业拖欠农民工工资三个月，多次讨要没有结果。"),
        ("河道污水", "河道污水直排，夏天臭味很大，希望环保部门管一管。"),
        ("学校门口拥堵", "学校门口上下学时间交通拥堵，孩子过马路很危险。"),
        ("路灯不亮", "村里的路灯坏了半年没人修，晚上出门很不方便。"),
    ];
    let times = [
        day("2025-01-30") + 23 * 3600,
        day("2025-01-31"),
        day("2025-02-01") - 1,
        day("2025-02-01"),
        day("2025-02-01") + 30,
        day("2025-02-14") + 9 * 3600,
        day("2025-02-28") + 86_399,
        day("2025-03-01"),
        day("2025-03-02") + 12 * 3600,
        day("2025-04-10"),
    ];
    for (k, at) in times.iter().enumerate() {
        let (title, content) = texts[k % texts.len()];
        let place = if k % 3 == 0 { None } else { Some(station) };
        submit_at(&app, place, *at, title, &format!("{content}（第{k}件）")).await;
    }
    assert_counts_true(&app).await;

    let root: String =
        db::query_rows(app.db(), "SELECT path FROM organs WHERE parent_id IS NULL ORDER BY id LIMIT 1", vec![])
            .await
            .unwrap()[0]
            .try_get_by_index(0)
            .unwrap();
    let township: String = db::query_rows(
        app.db(),
        "SELECT o.path FROM stations s JOIN organs o ON o.id = s.organ_id WHERE s.id = $1",
        vec![station.into()],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    let periods = [
        ("whole months", day("2025-01-01"), day("2025-04-01")),
        ("a month", day("2025-02-01"), day("2025-03-01")),
        ("days at both ends", day("2025-01-31"), day("2025-03-02")),
        ("days only", day("2025-01-30"), day("2025-02-02")),
        ("one day", day("2025-02-01"), day("2025-02-02")),
        ("a month and days after", day("2025-02-01"), day("2025-03-03")),
        ("nothing", day("2025-05-01"), day("2025-06-01")),
        ("all", 0, i64::MAX / 2),
    ];
    for path in [&root, &township] {
        for (what, from, to) in periods {
            let counted = wordcounts::hot_words(app.db(), path, from, to, 200).await.unwrap();
            let by_hand = hand_count(&app, path, from, to).await;
            assert_eq!(counted, by_hand, "{what} under {path}");
            if what != "nothing" {
                assert!(!counted.is_empty(), "{what} under {path}");
            }
        }
    }
    // A known figure, by hand: of February's four texts (the 4th to the 7th), one is about the
    // street lights and one about the school gate; none about the river.
    let feb = wordcounts::hot_words(app.db(), &root, day("2025-02-01"), day("2025-03-01"), 200).await.unwrap();
    let of = |w: &str| feb.iter().find(|(x, _)| x == w).map(|(_, n)| *n);
    assert_eq!(of("路灯"), Some(1), "{feb:?}");
    assert_eq!(of("学校"), Some(1), "{feb:?}");
    assert_eq!(of("污水"), None, "{feb:?}");

    // The statistics page and API over a period of months: every opinion of it, split as before.
    let leader = app.token("leader", Scope::Read).await;
    let r = app.api("GET", "/api/v1/opinions/stats?from=2025-01&to=2025-03", Some(&leader), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    let leader_path: String = db::query_rows(
        app.db(),
        "SELECT o.path FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE a.username = 'leader'",
        vec![],
    )
    .await
    .unwrap()[0]
        .try_get_by_index(0)
        .unwrap();
    let (from, to) = month_span(month_start("2025-01"), month_start("2025-03"));
    let lexicon = renda::opinions::lexicon::load(app.db()).await.unwrap();
    let (places, hot): (Vec<_>, Vec<_>) =
        hand_count(&app, &leader_path, from, to).await.into_iter().partition(|(w, _)| lexicon.contains(w));
    let list = |v: &serde_json::Value| -> Vec<(String, usize)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|w| (w["word"].as_str().unwrap().to_string(), w["count"].as_u64().unwrap() as usize))
            .collect()
    };
    assert_eq!(list(&j["hot_words"]), hot.into_iter().take(30).collect::<Vec<_>>());
    assert_eq!(list(&j["places"]), places.into_iter().take(12).collect::<Vec<_>>());
    assert_eq!(j["totals"]["total"].as_i64().unwrap(), 9, "January to March");
    let mut b = app.login("leader").await;
    let page = b.get("/console/opinions/stats?from=2025-01&to=2025-03").await;
    assert_eq!(page.status, StatusCode::OK);
    let top = &list(&j["hot_words"])[0].0;
    assert!(page.body.contains(top.as_str()), "the page's hot words hold {top}");
}
demo_test!(hot_words_of_a_period_equal_a_hand_count);

async fn the_backfill_counts_the_opinions_written_before(app: TestApp) {
    let before: Vec<(i64, String)> = db::query_rows(app.db(), "SELECT id, words FROM opinions ORDER BY id", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
        .collect();
    // As an installation upgraded by m0046 has them: no words, no counts, the job enqueued.
    db::exec(app.db(), "UPDATE opinions SET words = NULL", vec![]).await.unwrap();
    db::exec(app.db(), "DELETE FROM opinion_word_days", vec![]).await.unwrap();
    db::exec(app.db(), "DELETE FROM opinion_word_months", vec![]).await.unwrap();
    let done = wordcounts::backfill(&app.state).await.unwrap();
    assert_eq!(done as usize, before.len());
    let after: Vec<(i64, String)> = db::query_rows(app.db(), "SELECT id, words FROM opinions ORDER BY id", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
        .collect();
    assert_eq!(after, before, "the same words as intake stored");
    assert_counts_true(&app).await;
    // A second run finds nothing to do, and counts nothing twice.
    assert_eq!(wordcounts::backfill(&app.state).await.unwrap(), 0);
    assert_counts_true(&app).await;
    let audited =
        db::scalar_i64(app.db(), "SELECT count(*) FROM audit_log WHERE action = 'opinion_words_backfill'", vec![])
            .await
            .unwrap();
    assert_eq!(audited, 1);
    // The names have not changed since: the daily job has nothing to segment again.
    wordcounts::renames(&app.state).await.unwrap();
    assert_eq!(wordcounts::renames(&app.state).await.unwrap(), 0);
    assert_counts_true(&app).await;
}
demo_test!(the_backfill_counts_the_opinions_written_before);
