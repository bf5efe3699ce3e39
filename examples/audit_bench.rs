//! Issue 21's audit check at scale: what a view of the audit page costs once the chain is long.
//! Fills a fresh SQLite database with N chained entries (`audit::append_many` in transactions
//! of 10,000), then times, in the same run:
//! - the whole walk (`audit::verify`, what every view did before checkpoints — the baseline);
//! - the daily job's whole check (`checks::check_whole`, which leaves a checkpoint);
//! - a view's tail check right after it, and after 500 and 5,000 new entries.
//!
//!     cargo run --release --example audit_bench -- [entries, default 10000000] [dir, default /tmp/renda-abench]

use std::time::Instant;

use renda::audit::{self, Actor, Change, checks};
use renda::db;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let dir = std::env::args().nth(2).unwrap_or_else(|| "/tmp/renda-abench".into());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{dir}/audit.db?mode=rwc");
    let c = db::connect_and_migrate(&url).await.expect("database");
    let key = b"bench-audit-key-0123456789abcdef".to_vec();
    let actor =
        Actor { account_id: Some(1), name: "staff（王*）".into(), on_behalf_of: None, client: "127.0.0.*".into() };
    let add = |from: usize, count: usize| {
        (from..from + count)
            .map(|i| {
                Change::audited(
                    "opinion_step",
                    "handling_item",
                    i,
                    format!("第 {i} 件：交办给承办单位，办理期限 15 个工作日"),
                )
                .in_organ(1)
            })
            .collect::<Vec<_>>()
    };
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let k = (n - done).min(10_000);
        let txn = db::begin_write(&c).await.expect("txn");
        audit::append_many(&txn, &key, &actor, add(done, k)).await.expect("append");
        txn.commit().await.expect("commit");
        done += k;
    }
    println!("filled {n} entries in {:.1} s", started.elapsed().as_secs_f64());
    let size = std::fs::metadata(format!("{dir}/audit.db")).map(|m| m.len()).unwrap_or(0);
    println!("database {:.0} MB", size as f64 / 1e6);

    let t = Instant::now();
    let whole = audit::verify(&c, &key).await.expect("verify");
    println!("whole walk (every view before checkpoints): {:.2} s, {whole:?}", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let job = checks::check_whole(&c, &key, checks::By::Job, db::now()).await.expect("check");
    println!("daily job's whole check (leaves a checkpoint): {:.2} s, {job:?}", t.elapsed().as_secs_f64());

    let view = |label: &'static str| {
        let c = c.clone();
        let key = key.clone();
        async move {
            let t = Instant::now();
            let v = checks::check_tail(&c, &key, db::now()).await.expect("tail");
            println!(
                "view, {label}: {:.1} ms (walked the entries after #{}: {:?})",
                t.elapsed().as_secs_f64() * 1e3,
                v.after,
                v.result
            );
        }
    };
    view("right after the job").await;
    for extra in [500usize, 5_000] {
        let txn = db::begin_write(&c).await.expect("txn");
        audit::append_many(&txn, &key, &actor, add(done, extra)).await.expect("append");
        txn.commit().await.expect("commit");
        done += extra;
        view(if extra == 500 { "after 500 new entries" } else { "after 5,000 more (a checkpoint is left)" }).await;
    }
    view("the next view").await;
}
