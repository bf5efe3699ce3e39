//! The write path alone (issue 21), without HTTP: 64 tasks each doing small audited writes —
//! a look-up, an insert and an audit entry, like a submission's skeleton — for a few seconds,
//! three ways on the same database:
//!
//! - `pool`: each write its own transaction on the shared pool (`db::begin_write`, then commit),
//!   as every write did before the one writer — on SQLite the writers meet in the busy handler;
//! - `one`: through the one writer with batches of one (`write_batch_max = 1`): callers in order
//!   on one connection, a commit each;
//! - `group`: through the one writer with group commit (batches up to 64, 5 ms).
//!
//! Also the latency of a lone write (one task, one write at a time) each way, and raw durable
//! inserts (64 tasks, one autocommit insert each) as the baseline.
//!
//!     cargo run --release --example write_bench -- DATABASE_URL [seconds]
//!
//! The database must be migrated (any `renda` database); the bench writes into a scratch table
//! and into the audit chain (entries `bench_write`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use renda::audit::{Actor, Change};
use renda::db;
use renda::db::writer::{Limits, Writer};
use sea_orm::DatabaseConnection;

const TASKS: usize = 64;
const KEY: &[u8] = b"bench-audit-key";

async fn one_write(c: &sea_orm::DatabaseTransaction, k: usize, n: u64) -> Result<(), sea_orm::DbErr> {
    db::scalar_i64(
        c,
        "SELECT count(*) FROM bench_write WHERE task = $1 AND n = $2",
        vec![(k as i64).into(), (n as i64).into()],
    )
    .await?;
    let id = db::insert_id(
        c,
        "INSERT INTO bench_write (task, n, text) VALUES ($1, $2, $3)",
        vec![(k as i64).into(), (n as i64).into(), format!("小区楼道灯坏了很久没人修，编号{k}-{n}").into()],
    )
    .await?;
    Change::audited("bench_write", "bench", id, "压测写入").append(c, KEY, &Actor::system("bench")).await?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Way {
    Pool,
    One,
    Group,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Pool => "pool",
            Way::One => "one",
            Way::Group => "group",
        }
    }
}

async fn write(way: Way, db: &DatabaseConnection, w: &Writer, k: usize, n: u64) {
    match way {
        Way::Pool => {
            let txn = db::begin_write(db).await.expect("begin");
            one_write(&txn, k, n).await.expect("write");
            txn.commit().await.expect("commit");
        }
        _ => w.run(async |txn| one_write(txn, k, n).await).await.expect("write"),
    }
}

async fn run(way: Way, db: &DatabaseConnection, tasks: usize, secs: u64) -> (u64, Vec<Duration>, (u64, u64)) {
    let limits = match way {
        Way::One => Limits { max_batch: 1, ..Limits::default() },
        _ => Limits::default(),
    };
    let w = Arc::new(Writer::new(db, limits));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut handles = Vec::new();
    for k in 0..tasks {
        let (db, w) = (db.clone(), w.clone());
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                write(way, &db, &w, k, n).await;
                lat.push(t.elapsed());
                n += 1;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.expect("task"));
    }
    all.sort();
    (all.len() as u64, all, w.stats())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("usage: write_bench DATABASE_URL [seconds]");
    let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    let db = db::connect_and_migrate(url).await.expect("connect");
    db::exec(&db, "DROP TABLE IF EXISTS bench_write", vec![]).await.expect("drop");
    let id = if url.starts_with("postgres") { "BIGSERIAL PRIMARY KEY" } else { "INTEGER PRIMARY KEY" };
    db::exec(
        &db,
        &format!("CREATE TABLE bench_write (id {id}, task BIGINT NOT NULL, n BIGINT NOT NULL, text TEXT NOT NULL)"),
        vec![],
    )
    .await
    .expect("create");
    db::exec(&db, "CREATE INDEX bench_write_task ON bench_write (task, n)", vec![]).await.expect("index");

    // Raw durable inserts, the baseline of PLAT-21's submissions.
    let secs_raw = if std::env::var("WAYS").is_ok() { 1 } else { secs };
    let deadline = Instant::now() + Duration::from_secs(secs_raw);
    let mut handles = Vec::new();
    for k in 0..TASKS {
        let c = db.clone();
        handles.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                db::exec(
                    &c,
                    "INSERT INTO bench_write (task, n, text) VALUES ($1, $2, $3)",
                    vec![(1000 + k as i64).into(), (n as i64).into(), "原始插入".into()],
                )
                .await
                .expect("insert");
                n += 1;
            }
            n
        }));
    }
    let mut raw = 0;
    for h in handles {
        raw += h.await.expect("task");
    }
    let raw_per_s = raw as f64 / secs_raw as f64;
    println!("RAW_INSERTS tasks={TASKS} seconds={secs_raw} per_s={raw_per_s:.0}");

    // `WAYS=pool` (or `one,group` …) runs only those, e.g. to profile one of them.
    let ways = std::env::var("WAYS").unwrap_or_else(|_| "pool,one,group".into());
    for way in [Way::Pool, Way::One, Way::Group].into_iter().filter(|w| ways.split(',').any(|x| x == w.name())) {
        let (n, lat, (commits, writes)) = run(way, &db, TASKS, secs).await;
        println!(
            "WRITES way={} tasks={TASKS} per_s={:.0} p50_ms={:.2} p99_ms={:.2} max_ms={:.1} commits={commits} writes_in_batches={writes} ratio_to_raw={:.3}",
            way.name(),
            n as f64 / secs as f64,
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            pct(&lat, 1.0),
            n as f64 / secs as f64 / raw_per_s.max(1.0),
        );
        let (n, lat, _) = run(way, &db, 1, 3).await;
        println!(
            "LONE way={} writes={n} p50_ms={:.3} p99_ms={:.3} max_ms={:.2}",
            way.name(),
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            pct(&lat, 1.0)
        );
    }
    let ok = renda::audit::verify(&db, KEY).await.expect("verify");
    println!("AUDIT_CHAIN {}", if ok.is_ok() { "ok" } else { "BROKEN" });
    db::exec(&db, "DROP TABLE bench_write", vec![]).await.expect("drop");
}
