//! The database: one connection type for SQLite and PostgreSQL, portable SQL helpers,
//! and write transactions that serialise on the audit chain head.

pub mod migrations;
pub mod writer;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    FromQueryResult, QueryResult, Statement, TransactionTrait, Value,
};
use sea_orm_migration::MigratorTrait;

pub use sea_orm::DatabaseConnection as Db;

/// Opens the database named by `url` (WAL and a busy timeout on SQLite).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, 8).await
}

/// [`connect`] with at most `sqlite_connections` pooled SQLite connections (PostgreSQL: 16).
/// `renda gen` takes one: every SQLite connection runs on its own thread with its own page
/// cache, and with a pool of eight the generator's transactions went round them all, each
/// thread keeping a malloc arena of its own (issue 21).
pub async fn connect_with(url: &str, sqlite_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        opts.max_connections(sqlite_connections.max(1)).min_connections(1);
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    } else {
        opts.max_connections(16).min_connections(1);
    }
    Database::connect(opts).await
}

/// Connects and brings the schema up to date.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_and_migrate_with(url, 8).await
}

/// [`connect_and_migrate`] with at most `sqlite_connections` pooled SQLite connections.
pub async fn connect_and_migrate_with(url: &str, sqlite_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let db = connect_with(url, sqlite_connections).await?;
    migrations::Migrator::up(&db, None).await?;
    Ok(db)
}

tokio::task_local! {
    /// Counts the statements a task sends, when a caller sets it (tests that hold a page to a
    /// constant number of queries); unset, counting costs one failed look-up.
    pub static STATEMENTS: std::cell::Cell<u64>;
}

/// Builds a statement from SQL written with `$1, $2 …` placeholders (PostgreSQL style);
/// on SQLite they become `?1, ?2 …`, which SQLite numbers the same way.
pub fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let _ = STATEMENTS.try_with(|n| n.set(n.get() + 1));
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Runs a statement that returns no rows; gives the number of rows affected.
pub async fn exec<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    Ok(c.execute_raw(stmt(c.get_database_backend(), sql, values)).await?.rows_affected())
}

pub async fn query_all<C: ConnectionTrait, T: FromQueryResult>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<T>, DbErr> {
    let rows = c.query_all_raw(stmt(c.get_database_backend(), sql, values)).await?;
    rows.iter().map(|r| T::from_query_result(r, "")).collect()
}

/// One page of a list and its total: `count` is the `SELECT count(*) …` of the list, `rows`
/// its `SELECT … ORDER BY …` without the limit; both take `values`.
pub async fn page<C: ConnectionTrait, T: FromQueryResult>(
    c: &C,
    count: &str,
    rows: &str,
    mut values: Vec<Value>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<T>, i64), DbErr> {
    let total = scalar_i64(c, count, values.clone()).await?;
    let n = values.len();
    values.push(limit.into());
    values.push(offset.into());
    let rows = query_all(c, &format!("{rows} LIMIT ${} OFFSET ${}", n + 1, n + 2), values).await?;
    Ok((rows, total))
}

pub async fn query_one<C: ConnectionTrait, T: FromQueryResult>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<T>, DbErr> {
    match c.query_one_raw(stmt(c.get_database_backend(), sql, values)).await? {
        Some(r) => Ok(Some(T::from_query_result(&r, "")?)),
        None => Ok(None),
    }
}

pub async fn query_rows<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>, DbErr> {
    c.query_all_raw(stmt(c.get_database_backend(), sql, values)).await
}

/// A single scalar (e.g. `SELECT count(*)`), read as i64.
pub async fn scalar_i64<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<i64, DbErr> {
    match c.query_one_raw(stmt(c.get_database_backend(), sql, values)).await? {
        Some(r) => r.try_get_by_index::<i64>(0),
        None => Ok(0),
    }
}

/// Inserts and returns the new row's id (both backends support `RETURNING`).
pub async fn insert_id<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<i64, DbErr> {
    let sql = format!("{sql} RETURNING id");
    match c.query_one_raw(stmt(c.get_database_backend(), &sql, values)).await? {
        Some(r) => r.try_get_by_index::<i64>(0),
        None => Err(DbErr::RecordNotInserted),
    }
}

/// Begins a write transaction whose first statement takes the write lock: on SQLite this
/// makes the transaction IMMEDIATE (no deadlock on lock upgrade); on PostgreSQL it
/// serialises writers on the audit chain head row, so the chain stays linear across nodes.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    exec(&txn, "UPDATE audit_head SET writes = writes + 1 WHERE id = 1", vec![]).await?;
    Ok(txn)
}

/// `begin_write` that also reads the audit chain's head in the same statement (the writer's
/// batches keep it from there: `writer::AuditHead`).
pub async fn begin_write_head(db: &DatabaseConnection) -> Result<(DatabaseTransaction, writer::AuditHead), DbErr> {
    let txn = db.begin().await?;
    let row = query_rows(
        &txn,
        "UPDATE audit_head SET writes = writes + 1 WHERE id = 1 RETURNING last_seq, last_hash, mac",
        vec![],
    )
    .await?
    .into_iter()
    .next()
    .ok_or_else(|| DbErr::Custom("审计链头缺失".into()))?;
    let head = writer::AuditHead {
        seq: row.try_get_by_index(0)?,
        hash: row.try_get_by_index(1)?,
        mac: row.try_get_by_index(2)?,
    };
    Ok((txn, head))
}

/// The string aggregate of the backend (`group_concat` / `string_agg`), for read models that
/// fold a page's rows into one row: each extra row costs a round trip to the connection's
/// thread with sqlx, so a public page reads one row where it can. Separators are bound as
/// parameters; [`split_records`] undoes the folding.
pub fn string_agg(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "string_agg",
        _ => "group_concat",
    }
}

/// Field and record separators for `string_agg` read models (ASCII unit/record separators,
/// which no text typed by a person contains).
pub const FIELD_SEP: &str = "\u{1f}";
pub const RECORD_SEP: &str = "\u{1e}";

/// Splits a folded column back into records of fields; `None` (no rows) is empty.
pub fn split_records(folded: Option<&str>) -> Vec<Vec<&str>> {
    match folded {
        None | Some("") => Vec::new(),
        Some(s) => s.split(RECORD_SEP).map(|r| r.split(FIELD_SEP).collect()).collect(),
    }
}

/// Seconds since the Unix epoch, UTC; every timestamp column holds this.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub fn is_unique_violation(e: &DbErr) -> bool {
    let text = e.to_string();
    text.contains("UNIQUE constraint") || text.contains("duplicate key value") || text.contains("23505")
}
