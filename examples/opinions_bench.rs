//! PLAT-21 for 民意, each figure beside a baseline from the same run:
//!
//! 1. Chinese full-text search through the console list's own query (`opinions::model::list`,
//!    FTS5 / tsvector over jieba-segmented text): latency p50/p95/p99 over words taken from the
//!    data, beside `LIKE '%word%'` over the same table (what a system without an index does).
//! 2. Hot words (`nlp::keywords::hot_words`) over every opinion's title and text: wall time,
//!    and the texts written to a file for the Python jieba baseline (`bench/hot_words_jieba.py`).
//! 3. Durable raw inserts: 64 tasks inserting one row per autocommit statement into a scratch
//!    table on the same connection pool (same WAL, same `synchronous`) for 10 s — the baseline
//!    for the HTTP submissions `bench/opinions.sh` measures with wrk.
//!
//!
//! And (`BENCH_ONLY=words`, issue 21) hot words from the words stored at intake over every
//! opinion (no segmentation), and from the counts kept per day and month: all time, a year of
//! whole months, a year with days at both ends, a month, a county's subtree; the statistics
//! page's queries one by one; the count tables' sizes.
//!
//! And (`BENCH_ONLY=stats`, issue 21) the statistics page's figures from the counts kept by day
//! and month beside the walk over every opinion (all time, a year, a month, a county's year),
//! checked equal.
//!
//!     cargo run --release --example opinions_bench -- DATABASE_URL [queries] [texts-file]

use std::time::{Duration, Instant};

use renda::db;
use renda::opinions::model::{Filter, Scope, list};

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("DATABASE_URL");
    let queries: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(300);
    let texts_file = args.get(3).cloned();
    let conn = db::connect(url).await.expect("connect");
    let n = db::scalar_i64(&conn, "SELECT count(*) FROM opinions", vec![]).await.expect("count");
    println!("opinions: {n}");

    // `BENCH_ONLY=search|hot|inserts` runs one part.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only == part;

    // ------------------------------------------------------------------ (1) search
    if run("search") {
        // Query words from the data itself: the keywords of opinions spread over the table.
        let sample = db::query_rows(
            &conn,
            "SELECT title, content FROM opinions WHERE id % $1 = 0 LIMIT $2",
            vec![(n / 2000).max(1).into(), 2000i64.into()],
        )
        .await
        .expect("sample");
        let mut words: Vec<String> = Vec::new();
        for r in &sample {
            let text =
                format!("{} {}", r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap());
            for (w, _) in renda::nlp::keywords::keywords(&text, 2) {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
        }
        // Single words, and pairs of words (AND), as staff type them.
        let mut qs: Vec<String> = words.iter().take(queries / 2).cloned().collect();
        qs.extend(
            words.chunks(2).filter(|c| c.len() == 2).take(queries - qs.len()).map(|c| format!("{} {}", c[0], c[1])),
        );
        let scope = Scope { organ_path: Some("/".into()), ..Default::default() };
        let now = db::now();
        let mut times = Vec::with_capacity(qs.len());
        let mut hits = 0i64;
        for q in &qs {
            let f = Filter { terms: renda::nlp::segment::query_terms(q), ..Default::default() };
            let t = Instant::now();
            let (rows, total) = list(&conn, &scope, &f, now, 20, 0).await.expect("search");
            times.push(t.elapsed());
            hits += total.min(1);
            std::hint::black_box(rows);
        }
        times.sort();
        let mean_fts = times.iter().map(Duration::as_secs_f64).sum::<f64>() / times.len().max(1) as f64 * 1000.0;
        println!(
            "SEARCH queries={} with_hits={hits} p50_ms={:.2} p95_ms={:.2} p99_ms={:.2} max_ms={:.2} mean_ms={mean_fts:.2}",
            times.len(),
            pct(&times, 0.50),
            pct(&times, 0.95),
            pct(&times, 0.99),
            times.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
        );
        // Baseline: the same first page by LIKE over title and text (a full scan), a few queries.
        let mut like = Vec::new();
        for q in qs.iter().take(10) {
            let word = q.split(' ').next().unwrap_or(q);
            let pat = format!("%{}%", db::like_escape(word));
            let t = Instant::now();
            let rows = db::query_rows(
            &conn,
            "SELECT id FROM opinions WHERE title LIKE $1 ESCAPE '\\' OR content LIKE $1 ESCAPE '\\' ORDER BY id DESC LIMIT 20",
            vec![pat.clone().into()],
        )
        .await
        .expect("like");
            let total = db::scalar_i64(
                &conn,
                "SELECT count(*) FROM opinions WHERE title LIKE $1 ESCAPE '\\' OR content LIKE $1 ESCAPE '\\'",
                vec![pat.into()],
            )
            .await
            .expect("like count");
            like.push(t.elapsed());
            std::hint::black_box((rows, total));
        }
        like.sort();
        let mean_like = like.iter().map(Duration::as_secs_f64).sum::<f64>() / like.len().max(1) as f64 * 1000.0;
        println!(
            "SEARCH_BASELINE like_queries={} p50_ms={:.1} mean_ms={mean_like:.1} ratio_mean={:.1}x",
            like.len(),
            pct(&like, 0.5),
            mean_like / mean_fts.max(1e-9)
        );
    }

    // ------------------------------------------------------------------ (2) hot words
    if run("hot") {
        let t = Instant::now();
        let rows =
            db::query_rows(&conn, "SELECT title, content FROM opinions ORDER BY id", vec![]).await.expect("texts");
        let texts: Vec<String> = rows
            .iter()
            .map(|r| {
                format!("{} {}", r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap())
            })
            .collect();
        drop(rows);
        let load = t.elapsed();
        let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
        if let Some(path) = &texts_file {
            let mut out = String::with_capacity(chars * 3 + texts.len());
            for t in &texts {
                out.push_str(&t.replace('\n', " "));
                out.push('\n');
            }
            std::fs::write(path, out).expect("write texts");
        }
        let t = Instant::now();
        let hot = renda::nlp::keywords::hot_words(&texts, 30);
        let secs = t.elapsed().as_secs_f64();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!(
            "HOT_WORDS texts={} chars={chars} threads={threads} load_s={:.1} hot_words_s={secs:.1} texts_per_s={:.0} top={}",
            texts.len(),
            load.as_secs_f64(),
            texts.len() as f64 / secs.max(1e-9),
            hot.iter().take(10).map(|(w, c)| format!("{w}:{c}")).collect::<Vec<_>>().join(",")
        );
        drop(texts);
    }

    // ------------------------------------------------------------------ (2b) stored words, counts
    if run("words") {
        // Hot words over every text from the words stored at intake: no segmentation.
        let t = Instant::now();
        let rows =
            db::query_rows(&conn, "SELECT words FROM opinions WHERE words IS NOT NULL", vec![]).await.expect("words");
        let stored: Vec<String> = rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect();
        drop(rows);
        let load = t.elapsed();
        let t = Instant::now();
        let hot = renda::nlp::keywords::hot_words_stored(&stored, 200);
        let count = t.elapsed();
        println!(
            "HOT_WORDS_STORED texts={} load_s={:.1} count_s={:.1} total_s={:.1} top={}",
            stored.len(),
            load.as_secs_f64(),
            count.as_secs_f64(),
            (load + count).as_secs_f64(),
            hot.iter().take(10).map(|(w, c)| format!("{w}:{c}")).collect::<Vec<_>>().join(",")
        );
        drop(stored);
        // The same from the counts kept per day and month, for the root organ's subtree.
        let root: String = db::query_rows(
            &conn,
            "SELECT path FROM organs WHERE parent_id IS NULL AND external = false ORDER BY id LIMIT 1",
            vec![],
        )
        .await
        .expect("root")
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
        let newest =
            db::scalar_i64(&conn, "SELECT COALESCE(max(created_at), 0) FROM opinions", vec![]).await.expect("max");
        // The last 12 whole Beijing months, and the same year shifted by 15 days (days at both ends).
        let end_month =
            renda::opinions::stats::month_start(&renda::calendar::beijing_date(newest).format("%Y-%m").to_string());
        let year_end = renda::opinions::stats::start_ts(end_month.expect("month"));
        let year_start = renda::opinions::stats::start_ts(
            end_month.and_then(|d| d.checked_sub_months(chrono::Months::new(12))).expect("month"),
        );
        let periods = [
            ("all", 0, i64::MAX / 2),
            ("year_months", year_start, year_end),
            ("year_days", year_start + 15 * 86_400, year_end + 15 * 86_400),
            ("month", year_end - 30 * 86_400, year_end),
        ];
        for (name, from, to) in periods {
            let t = Instant::now();
            let hot_c = renda::opinions::wordcounts::hot_words(&conn, &root, from, to, 200).await.expect("counts");
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let same = if name == "all" { format!(" equal_to_stored={}", hot_c == hot) } else { String::new() };
            println!(
                "HOT_WORDS_COUNTS period={name} ms={ms:.1}{same} top={}",
                hot_c.iter().take(5).map(|(w, c)| format!("{w}:{c}")).collect::<Vec<_>>().join(",")
            );
        }
        // A subtree: the county-level organ with the most opinions.
        if let Some(county) =
            db::query_rows(&conn, "SELECT path FROM organs WHERE level = 'county' ORDER BY id LIMIT 1", vec![])
                .await
                .expect("county")
                .first()
                .and_then(|r| r.try_get_by_index::<String>(0).ok())
        {
            let t = Instant::now();
            let hot_c = renda::opinions::wordcounts::hot_words(
                &conn,
                &county,
                year_start + 15 * 86_400,
                year_end + 15 * 86_400,
                200,
            )
            .await
            .expect("counts");
            println!(
                "HOT_WORDS_COUNTS period=year_days subtree=county ms={:.1} words={}",
                t.elapsed().as_secs_f64() * 1000.0,
                hot_c.len()
            );
        }
        // The statistics page's queries, each timed (cold: the first after the process started).
        let cal = renda::calendar::load(&conn).await.expect("calendar");
        for (name, from, to) in [("year", year_start, year_end)] {
            let period = renda::opinions::stats::Period { organ_path: root.clone(), from, to };
            let now = db::now();
            let started = Instant::now();
            let t = Instant::now();
            let totals = renda::opinions::stats::totals(&conn, &period, now).await.expect("totals");
            let mut parts = vec![format!("totals={:.0}", t.elapsed().as_secs_f64() * 1000.0)];
            for dim in renda::opinions::stats::Dim::ALL {
                let t = Instant::now();
                renda::opinions::stats::breakdown(&conn, &period, dim, now).await.expect("breakdown");
                parts.push(format!("{}={:.0}", dim.as_str(), t.elapsed().as_secs_f64() * 1000.0));
            }
            let t = Instant::now();
            renda::opinions::stats::handling_days(&conn, &period, &cal).await.expect("days");
            parts.push(format!("handling_days={:.0}", t.elapsed().as_secs_f64() * 1000.0));
            let t = Instant::now();
            renda::opinions::wordcounts::hot_words(&conn, &root, from, to, 200).await.expect("hot");
            parts.push(format!("hot_words={:.0}", t.elapsed().as_secs_f64() * 1000.0));
            println!(
                "STATS_PAGE period={name} opinions={} total_ms={:.0} parts_ms: {}",
                totals.total,
                started.elapsed().as_secs_f64() * 1000.0,
                parts.join(" ")
            );
        }
        let rows = |t: &'static str| {
            let conn = conn.clone();
            async move { db::scalar_i64(&conn, &format!("SELECT count(*) FROM {t}"), vec![]).await.unwrap_or(-1) }
        };
        println!("COUNT_ROWS days={} months={}", rows("opinion_word_days").await, rows("opinion_word_months").await);
    }

    // ------------------------------------------------------------------ (2b) the statistics kept
    // `BENCH_ONLY=stats` (issue 21): the statistics page's figures from the counts kept by day
    // and month (`stats::kept`) beside the walk over every opinion of the period (`totals`,
    // `breakdown`, `handling_days`: the page's queries before), each period in both, equal.
    if run("stats") {
        let first_path = |sql: &'static str| {
            let conn = conn.clone();
            async move {
                db::query_rows(&conn, sql, vec![])
                    .await
                    .expect("organ")
                    .first()
                    .and_then(|r| r.try_get_by_index::<String>(0).ok())
                    .unwrap_or_default()
            }
        };
        let root =
            first_path("SELECT path FROM organs WHERE parent_id IS NULL AND external = false ORDER BY id LIMIT 1")
                .await;
        let county = first_path("SELECT path FROM organs WHERE level = 'county' ORDER BY id LIMIT 1").await;
        let newest =
            db::scalar_i64(&conn, "SELECT COALESCE(max(created_at), 0) FROM opinions", vec![]).await.expect("max");
        let month = renda::calendar::beijing_date(newest).format("%Y-%m").to_string();
        let this = renda::opinions::stats::month_start(&month).expect("month");
        let start = |d: chrono::NaiveDate| renda::opinions::stats::start_ts(d);
        let year = (start(this - chrono::Months::new(11)), start(this + chrono::Months::new(1)));
        let last_month = (start(this), start(this + chrono::Months::new(1)));
        let cal = renda::calendar::load(&conn).await.expect("calendar");
        let now = db::now();
        for (name, path, (from, to)) in [
            ("all", &root, (0, i64::MAX / 2)),
            ("year", &root, year),
            ("month", &root, last_month),
            ("county_year", &county, year),
        ] {
            let period = renda::opinions::stats::Period { organ_path: path.clone(), from, to };
            let t = Instant::now();
            let (kept, sections, days) = renda::opinions::stats::kept(&conn, &period, now).await.expect("kept");
            let kept_ms = t.elapsed().as_secs_f64() * 1000.0;
            // Its parts: the count rows, and overdue from the kept open deadlines — beside overdue
            // counted from the open items past their deadline (what the page did before m0050).
            let t = Instant::now();
            renda::opinions::figures::read(&conn, path, from, to).await.expect("read");
            let read_ms = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            let late = renda::opinions::figures::overdue(&conn, path, from, to, now).await.expect("overdue");
            let overdue_ms = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            let late_walk =
                renda::opinions::figures::overdue_walk(&conn, path, from, to, now).await.expect("overdue walk");
            let overdue_walk_ms = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            let walk = renda::opinions::stats::totals(&conn, &period, now).await.expect("totals");
            let mut equal = format!("{kept:?}") == format!("{walk:?}") && late == late_walk;
            for (dim, rows) in &sections {
                let w = renda::opinions::stats::breakdown(&conn, &period, *dim, now).await.expect("breakdown");
                let key = |f: &renda::opinions::stats::Figures| format!("{f:?}");
                let (mut a, mut b): (Vec<String>, Vec<String>) =
                    (rows.iter().map(key).collect(), w.iter().map(key).collect());
                a.sort();
                b.sort();
                equal &= a == b;
            }
            let walk_days = renda::opinions::stats::handling_days(&conn, &period, &cal).await.expect("days");
            let walk_ms = t.elapsed().as_secs_f64() * 1000.0;
            println!(
                "STATS_KEPT period={name} opinions={} kept_ms={kept_ms:.1} (counts {read_ms:.1}, overdue {overdue_ms:.1} \
                 for {} open items past their deadline; overdue walked {overdue_walk_ms:.1}) walk_ms={walk_ms:.0} \
                 ratio={:.0} equal={} \
                 handling_days kept={days:?} walk={walk_days:?}",
                kept.total,
                late.total,
                walk_ms / kept_ms.max(0.001),
                equal && days == walk_days
            );
        }
        let rows = |t: &'static str| {
            let conn = conn.clone();
            async move { db::scalar_i64(&conn, &format!("SELECT count(*) FROM {t}"), vec![]).await.unwrap_or(-1) }
        };
        println!(
            "FIGURE_ROWS shares={} days={} months={} overdue_days={} overdue_months={}",
            rows("opinion_figures").await,
            rows("opinion_figure_days").await,
            rows("opinion_figure_months").await,
            rows("opinion_overdue_days").await,
            rows("opinion_overdue_months").await
        );
    }

    // ------------------------------------------------------------------ (3) raw durable inserts
    if run("inserts") {
        db::exec(&conn, "DROP TABLE IF EXISTS bench_raw", vec![]).await.expect("drop");
        db::exec(
        &conn,
        "CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, title TEXT NOT NULL, content TEXT NOT NULL, created_at BIGINT NOT NULL)",
        vec![],
    )
    .await
    .expect("create");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut tasks = Vec::new();
        for k in 0..64 {
            let c = conn.clone();
            tasks.push(tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    db::exec(
                        &c,
                        "INSERT INTO bench_raw (title, content, created_at) VALUES ($1, $2, $3)",
                        vec![
                            format!("城关街道小区楼道灯坏了{k}").into(),
                            format!("城关街道{done}号附近：小区楼道灯坏了很久没人修，晚上上下楼很不安全，编号{k}。")
                                .into(),
                            db::now().into(),
                        ],
                    )
                    .await
                    .expect("insert");
                    done += 1;
                }
                done
            }));
        }
        let mut total = 0u64;
        for t in tasks {
            total += t.await.expect("task");
        }
        db::exec(&conn, "DROP TABLE bench_raw", vec![]).await.expect("drop");
        println!("RAW_INSERTS tasks=64 seconds=10 rows={total} per_s={:.0}", total as f64 / 10.0);
    }
    println!("peak RSS (VmHWM): {}", vm_hwm());
}
