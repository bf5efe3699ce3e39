//! The one writer, with group commit (issue 21). Every audited write of a node goes through
//! one `Writer`: callers are served one at a time in arrival order (a fair lock, the *token*),
//! and writes that arrive together share one transaction and one commit. The first write of a
//! batch runs in the batch's transaction itself (a lone write costs what it always did); each
//! later one runs in a savepoint of it, so a write that fails rolls back only itself. A caller
//! hears that its write succeeded only after the commit that holds it; if that commit fails,
//! every caller of the batch gets the error.
//!
//! The batch is committed when nobody waits for the token (a lone write is never delayed), when
//! it holds `max_batch` writes, or when it is `max_wait` old; a timer commits it if its
//! remaining callers went away. The commit runs in a task of its own, so a caller whose
//! future is dropped cannot leave it half done; a caller dropped during its own work leaves
//! its transaction or savepoint to be rolled back (sqlx queues the rollback before any later
//! statement on that connection) and the token to the next caller.
//!
//! The audit chain's head is kept by the batch: read by the statement that opens the batch's
//! transaction, moved in memory by each write's entries (`audit::append_many` asks
//! [`batch_head`]), put back to where it was when a write's savepoint is rolled back, and
//! written to `audit_head` once, just before the commit — two statements a write fewer.
//!
//! On SQLite the writer has one connection of its own, so writers never meet in SQLite's
//! sleeping busy handler; reads keep the shared pool. On PostgreSQL the batch's transaction
//! comes from the shared pool and still begins by locking the audit head row, which keeps the
//! chain linear when several nodes write.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// How large a batch may grow and how long its first write may wait for the commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_batch: usize,
    pub max_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_batch: 64, max_wait: Duration::from_millis(5) }
    }
}

/// The audit chain's head: the last entry's sequence number and hash, and the head's MAC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
    pub mac: String,
}

/// The head as the batch's writes have moved it (`now`) and as `audit_head` holds it.
struct HeadCell {
    now: AuditHead,
    stored: AuditHead,
}

/// The open batch's audit head, for the write that holds the token.
#[derive(Clone)]
pub struct BatchHead(Arc<std::sync::Mutex<HeadCell>>);

impl BatchHead {
    pub fn get(&self) -> AuditHead {
        self.0.lock().expect("never held across a panic").now.clone()
    }
    pub fn set(&self, head: AuditHead) {
        self.0.lock().expect("never held across a panic").now = head;
    }
}

/// The audit head of the batch the current task writes in, when it runs a write's work.
pub fn batch_head() -> Option<BatchHead> {
    IN_WRITE.try_with(|h| h.clone()).ok()
}

/// Work to run once the write is committed.
pub type Hook = Box<dyn FnOnce() + Send>;

/// The outcome of a batch's commit, shared by its callers (`DbErr` is not `Clone`).
type Outcome = Option<Result<(), String>>;

#[derive(Clone)]
pub struct Writer {
    inner: Arc<Inner>,
}

struct Inner {
    conn: DatabaseConnection,
    slot: Arc<Mutex<Slot>>,
    waiting: AtomicUsize,
    limits: Limits,
    batches: AtomicU64,
    stats: Stats,
}

/// Counters for the bench and the tests: how many batches were committed and how many writes
/// they held.
#[derive(Default)]
struct Stats {
    commits: AtomicU64,
    writes: AtomicU64,
}

#[derive(Default)]
struct Slot {
    batch: Option<Batch>,
}

struct Batch {
    id: u64,
    head: Arc<std::sync::Mutex<HeadCell>>,
    /// `None` while the batch's first write holds it.
    txn: Option<DatabaseTransaction>,
    writes: usize,
    opened: Instant,
    timer: bool,
    after: Vec<Hook>,
    done: watch::Sender<Outcome>,
}

impl Writer {
    /// The writer of the database `db` is connected to. On SQLite it opens (lazily) one more
    /// connection with the pool's options, used for writing only.
    pub fn new(db: &DatabaseConnection, limits: Limits) -> Writer {
        let conn = match db.get_database_backend() {
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                let options = (*pool.connect_options()).clone();
                let own = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(0)
                    .idle_timeout(Duration::from_secs(60))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_lazy_with(options);
                sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(own)
            }
            _ => db.clone(),
        };
        let limits = Limits { max_batch: limits.max_batch.max(1), ..limits };
        Writer {
            inner: Arc::new(Inner {
                conn,
                slot: Arc::default(),
                waiting: AtomicUsize::new(0),
                limits,
                batches: AtomicU64::new(0),
                stats: Stats::default(),
            }),
        }
    }

    /// Batches committed and writes they held, since the start.
    pub fn stats(&self) -> (u64, u64) {
        (self.inner.stats.commits.load(Ordering::Relaxed), self.inner.stats.writes.load(Ordering::Relaxed))
    }

    /// Runs `work` as one write (see the module's doc); `app::write::write_as` is the same
    /// with the audit actor and after-commit work, for callers that have the state.
    pub async fn run<T, E: From<DbErr>>(
        &self,
        work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let (lease, txn) = self.lease().await?;
        let result = in_write(lease.head(), work(&txn)).await;
        match result {
            Ok(value) => {
                lease.done(txn, Vec::new()).await?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = lease.failed(txn).await {
                    tracing::error!(error = %rollback, "写入失败后回滚失败");
                }
                Err(e)
            }
        }
    }

    /// Takes the token (callers in arrival order) and gives the transaction to write in: the
    /// batch's own if this write opens the batch, else a savepoint of it. Run the work inside
    /// `in_write` so that a write started from within it fails at once instead of waiting
    /// for a token its own task holds.
    pub async fn lease(&self) -> Result<(Lease, DatabaseTransaction), DbErr> {
        if IN_WRITE.try_with(|_| ()).is_ok() {
            debug_assert!(false, "a write started inside another write");
            return Err(DbErr::Custom("内部错误：在一次写入中又开始了另一次写入".into()));
        }
        let inner = self.inner.clone();
        let queued = Queued::new(&inner.waiting);
        let mut slot = inner.slot.clone().lock_owned().await;
        drop(queued);
        if slot.batch.is_none() {
            let (txn, head) = super::begin_write_head(&inner.conn).await?;
            let id = inner.batches.fetch_add(1, Ordering::Relaxed);
            let (done, _) = watch::channel(None);
            let head = Arc::new(std::sync::Mutex::new(HeadCell { now: head.clone(), stored: head.clone() }));
            slot.batch = Some(Batch {
                id,
                head: head.clone(),
                txn: None,
                writes: 0,
                opened: Instant::now(),
                timer: false,
                after: Vec::new(),
                done,
            });
            return Ok((Lease { slot: Some(slot), inner, first: true, head: BatchHead(head), before: None }, txn));
        }
        let batch = slot.batch.as_mut().expect("checked above");
        let head = BatchHead(batch.head.clone());
        let before = Some(head.get());
        let outer = batch.txn.as_ref().expect("the batch's transaction is back once its first write is done");
        let begun = outer.begin().await;
        match begun {
            Ok(savepoint) => Ok((Lease { slot: Some(slot), inner, first: false, head, before }, savepoint)),
            Err(e) => {
                // The batch's connection is broken: its writes cannot be trusted to commit.
                fail_batch(&mut slot, &e);
                Err(e)
            }
        }
    }
}

tokio::task_local! {
    /// Set while a task runs the work of a write (it holds the token): its batch's audit head.
    static IN_WRITE: BatchHead;
}

/// Runs a write's work, marked as such (see `Writer::lease`), with its batch's audit head
/// (`Lease::head`).
pub async fn in_write<F: std::future::Future>(head: BatchHead, work: F) -> F::Output {
    IN_WRITE.scope(head, work).await
}

/// Counts a caller waiting for the token, until it has it or is dropped.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(n: &'a AtomicUsize) -> Queued<'a> {
        n.fetch_add(1, Ordering::SeqCst);
        Queued(n)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A caller's turn at the writer. Ends with `done` (the work succeeded: wait for the commit)
/// or `failed` (roll back this write only). Dropped otherwise (the caller went away), it
/// gives the token on; the caller's transaction, dropped first, has queued its rollback.
pub struct Lease {
    slot: Option<OwnedMutexGuard<Slot>>,
    inner: Arc<Inner>,
    first: bool,
    head: BatchHead,
    /// The audit head when this write began, to go back to if it is rolled back (a savepoint).
    before: Option<AuditHead>,
}

impl Lease {
    /// The write succeeded in `txn`: keep it in the batch, and answer once the batch is
    /// committed (`hooks` run right after that commit).
    pub async fn done(mut self, txn: DatabaseTransaction, hooks: Vec<Hook>) -> Result<(), DbErr> {
        if self.first {
            self.batch().txn = Some(txn);
        } else if let Err(e) = txn.commit().await {
            // The savepoint could not be released: the transaction is in doubt, so nothing
            // of the batch is kept and every caller of it hears so.
            fail_batch(self.slot.as_mut().expect("held until the lease ends"), &e);
            return Err(e);
        }
        let batch = self.batch();
        batch.writes += 1;
        batch.after.extend(hooks);
        let mut outcome = batch.done.subscribe();
        let slot = self.slot.take().expect("held until the lease ends");
        self.inner.pass_on(slot);
        match outcome.wait_for(Option::is_some).await {
            Ok(o) => match o.as_ref().expect("waited for Some") {
                Ok(()) => Ok(()),
                Err(e) => Err(DbErr::Custom(format!("写入未能提交：{e}"))),
            },
            Err(_) => Err(DbErr::Custom("写入结果未知：提交任务已中止".into())),
        }
    }

    /// The work failed: roll back what it wrote; its neighbours in the batch stay.
    pub async fn failed(mut self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        if self.first {
            // Nothing else is in the batch yet (the others wait for the token).
            self.slot.as_mut().expect("held until the lease ends").batch = None;
            return txn.rollback().await;
        }
        if let Err(e) = txn.rollback().await {
            fail_batch(self.slot.as_mut().expect("held until the lease ends"), &e);
            return Err(e);
        }
        // Dropping the lease puts the audit head back and passes the token on.
        Ok(())
    }

    /// The audit head of this write's batch.
    pub fn head(&self) -> BatchHead {
        self.head.clone()
    }

    fn batch(&mut self) -> &mut Batch {
        self.slot.as_mut().and_then(|s| s.batch.as_mut()).expect("a lease's batch stays open until it ends")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Reached with the token still held when the caller went away mid-write (its
        // transaction, dropped before, has queued its rollback) or after `failed`.
        if let Some(mut slot) = self.slot.take() {
            if self.first {
                slot.batch = None;
            } else {
                if let Some(before) = self.before.take() {
                    self.head.set(before);
                }
                self.inner.pass_on(slot);
            }
        }
    }
}

impl Inner {
    /// Ends a caller's turn: commits the batch now if nobody waits, if it is full or old
    /// enough; otherwise leaves it open for the next caller, with a timer as a backstop.
    fn pass_on(self: &Arc<Inner>, mut slot: OwnedMutexGuard<Slot>) {
        let Some(batch) = slot.batch.as_mut() else { return };
        let now = self.waiting.load(Ordering::SeqCst) == 0
            || batch.writes >= self.limits.max_batch
            || batch.opened.elapsed() >= self.limits.max_wait;
        if now {
            tokio::spawn(commit(self.clone(), slot));
        } else if !batch.timer {
            batch.timer = true;
            let (inner, id, wait) = (self.clone(), batch.id, self.limits.max_wait);
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let slot = inner.slot.clone().lock_owned().await;
                if slot.batch.as_ref().is_some_and(|b| b.id == id) {
                    commit(inner, slot).await;
                }
            });
        }
    }
}

/// Commits the batch, runs its hooks, tells its callers, and releases the token.
async fn commit(inner: Arc<Inner>, mut slot: OwnedMutexGuard<Slot>) {
    let Some(batch) = slot.batch.take() else { return };
    let Batch { txn, writes, after, done, head, .. } = batch;
    let moved = {
        let cell = head.lock().expect("never held across a panic");
        (cell.now != cell.stored).then(|| cell.now.clone())
    };
    let result = match txn {
        Some(txn) if writes > 0 => match moved {
            Some(h) => match super::exec(
                &txn,
                "UPDATE audit_head SET last_seq = $1, last_hash = $2, mac = $3 WHERE id = 1",
                vec![h.seq.into(), h.hash.into(), h.mac.into()],
            )
            .await
            {
                Ok(_) => txn.commit().await.map_err(|e| e.to_string()),
                Err(e) => {
                    let _ = txn.rollback().await;
                    Err(e.to_string())
                }
            },
            None => txn.commit().await.map_err(|e| e.to_string()),
        },
        Some(txn) => txn.rollback().await.map_err(|e| e.to_string()),
        None => Err("批次事务缺失".to_string()),
    };
    drop(slot);
    if result.is_ok() {
        inner.stats.commits.fetch_add(1, Ordering::Relaxed);
        inner.stats.writes.fetch_add(writes as u64, Ordering::Relaxed);
        for f in after {
            f();
        }
    } else if let Err(e) = &result {
        tracing::error!(error = %e, writes, "批次提交失败");
    }
    done.send_replace(Some(result));
}

/// Gives up the open batch (rolled back as its transaction is dropped): every caller waiting
/// for its commit hears the error.
fn fail_batch(slot: &mut Slot, e: &DbErr) {
    if let Some(batch) = slot.batch.take() {
        drop(batch.txn);
        batch.done.send_replace(Some(Err(e.to_string())));
    }
}
