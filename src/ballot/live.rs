//! Live counts (MTG-4) for every client of every node: a per-node hub of topics (`ballot:12`,
//! and the owner's topic `meeting:7` for a meeting's ballots), each computed once per change
//! and handed to all its subscribers through a `watch` channel — 2,000 screens on one ballot
//! cost one count per change, not 2,000. A write says which topics moved: on PostgreSQL by
//! `pg_notify('renda_live', topic)` in its transaction (delivered to every node's listener
//! when it commits — a rolled-back write notifies nobody); on the node that wrote, also by a
//! poke after commit (all SQLite has). Each topic is counted again at least every 2 seconds
//! whatever happens, so a missed notice (a listener reconnecting) delays a count, never loses it.
//! A burst of votes is counted once per 100 ms.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use tokio::sync::{Notify, watch};

use crate::app::error::AppResult;
use crate::app::state::{AppState, BoxFuture};
use crate::app::write::Write;
use crate::db;

/// The PostgreSQL channel every node listens on.
pub const CHANNEL: &str = "renda_live";
/// How often a topic is counted again without a notice.
pub const FALLBACK: Duration = Duration::from_secs(2);
/// How long a burst of changes is gathered before the count.
pub const GATHER: Duration = Duration::from_millis(100);

pub fn ballot_topic(id: i64) -> String {
    format!("ballot:{id}")
}

/// The topic of the record a ballot belongs to (`meeting:7` for a meeting's ballot).
pub fn owner_topic(kind: &str, period: &str) -> String {
    format!("{kind}:{period}")
}

/// Tells every node, when the transaction commits, that `topic` moved (PostgreSQL only; the
/// writing node's own subscribers are poked after commit by `poke_after`).
pub async fn notify_in<C: ConnectionTrait>(c: &C, topic: &str) -> Result<(), DbErr> {
    if c.get_database_backend() == DbBackend::Postgres {
        db::exec(c, "SELECT pg_notify($1, $2)", vec![CHANNEL.into(), topic.into()]).await?;
    }
    Ok(())
}

/// `notify_in` for several topics in one statement (one round trip inside the transaction).
pub async fn notify_all_in<C: ConnectionTrait>(c: &C, topics: &[String]) -> Result<(), DbErr> {
    if c.get_database_backend() == DbBackend::Postgres && !topics.is_empty() {
        let calls: Vec<String> = (0..topics.len()).map(|i| format!("pg_notify($1, ${})", i + 2)).collect();
        let mut values: Vec<sea_orm::Value> = vec![CHANNEL.into()];
        values.extend(topics.iter().map(|t| t.clone().into()));
        db::exec(c, &format!("SELECT {}", calls.join(", ")), values).await?;
    }
    Ok(())
}

/// Pokes this node's subscribers of `topics` once the write commits.
pub fn poke_after(w: &mut Write, s: &AppState, topics: Vec<String>) {
    let live = s.ext.get_or_default::<Live>();
    w.after_commit(move || {
        for t in &topics {
            live.poke(t);
        }
    });
}

/// What a topic's subscribers get: the JSON of its latest state (empty before the first count).
pub type Snapshot = Arc<String>;

/// How a topic is counted (the same for every subscriber: it depends on the topic alone).
pub type Compute = Arc<dyn Fn(AppState) -> BoxFuture<'static, AppResult<String>> + Send + Sync>;

struct Topic {
    tx: watch::Sender<Snapshot>,
    dirty: Notify,
}

/// The node's hub (`s.ext`).
#[derive(Default)]
pub struct Live {
    topics: Mutex<HashMap<String, Arc<Topic>>>,
    listening: AtomicBool,
}

impl Live {
    /// A topic moved: its pump counts it again (a poke while it counts is kept, not lost).
    pub fn poke(&self, topic: &str) {
        if let Some(t) = self.topics.lock().unwrap_or_else(|e| e.into_inner()).get(topic) {
            t.dirty.notify_one();
        }
    }
    fn poke_all(&self) {
        for t in self.topics.lock().unwrap_or_else(|e| e.into_inner()).values() {
            t.dirty.notify_one();
        }
    }
    /// How many topics are being counted, and how many subscribers they have (for `/metrics`
    /// and the bench).
    pub fn figures(&self) -> (usize, usize) {
        let topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        (topics.len(), topics.values().map(|t| t.tx.receiver_count()).sum())
    }
}

/// Subscribes to `topic`, counted by `compute` (started on the first subscriber, stopped after
/// the last one leaves).
pub fn watch(s: &AppState, topic: &str, compute: Compute) -> watch::Receiver<Snapshot> {
    let live = s.ext.get_or_default::<Live>();
    if s.db.get_database_backend() == DbBackend::Postgres && !live.listening.swap(true, Ordering::SeqCst) {
        tokio::spawn(listen(s.clone(), live.clone()));
    }
    let mut topics = live.topics.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = topics.get(topic) {
        return t.tx.subscribe();
    }
    let (tx, rx) = watch::channel(Arc::new(String::new()));
    let t = Arc::new(Topic { tx, dirty: Notify::new() });
    topics.insert(topic.to_string(), t.clone());
    tokio::spawn(pump(s.clone(), live.clone(), topic.to_string(), t, compute));
    rx
}

async fn pump(s: AppState, live: Arc<Live>, name: String, t: Arc<Topic>, compute: Compute) {
    loop {
        match compute(s.clone()).await {
            Ok(value) => {
                t.tx.send_if_modified(|cur| {
                    let moved = **cur != value;
                    if moved {
                        *cur = Arc::new(value);
                    }
                    moved
                });
            }
            Err(e) => tracing::warn!(topic = %name, error = %e.detail(), "live count failed"),
        }
        tokio::select! {
            _ = t.dirty.notified() => {}
            _ = tokio::time::sleep(FALLBACK) => {}
        }
        {
            let mut topics = live.topics.lock().unwrap_or_else(|e| e.into_inner());
            if t.tx.receiver_count() == 0 {
                if topics.get(&name).is_some_and(|cur| Arc::ptr_eq(cur, &t)) {
                    topics.remove(&name);
                }
                return;
            }
        }
        tokio::time::sleep(GATHER).await;
    }
}

/// The node's PostgreSQL listener: every notice pokes its topic; after a reconnect every topic
/// is counted again (notices sent while it was away are gone).
async fn listen(s: AppState, live: Arc<Live>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let pool = s.db.get_postgres_connection_pool();
        match PgListener::connect_with(pool).await {
            Ok(mut l) => {
                if let Err(e) = l.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    live.poke_all();
                    loop {
                        match l.recv().await {
                            Ok(n) => live.poke(n.payload()),
                            Err(e) => {
                                tracing::warn!(error = %e, "live listener lost its connection");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "live listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
