//! The bulk writer of `renda gen`: rows go in as multi-row `INSERT`s of up to 500 rows (fewer
//! when a row has many columns), a transaction (opened with `db::begin_write`) is committed
//! about every 50,000 rows, and ids are reserved up front.

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement, Value};

use crate::db;

/// Rows per multi-row `INSERT` (fewer when a row has many columns).
pub(super) const ROWS_PER_STATEMENT: usize = 500;
/// Bound variables per statement, below SQLite's 32,766 (PostgreSQL allows 65,535).
const MAX_VARIABLES: usize = 30_000;
/// Rows per transaction.
const ROWS_PER_COMMIT: usize = 50_000;

/// Writes rows in multi-row statements and commits every `ROWS_PER_COMMIT` rows.
pub(crate) struct Writer<'a> {
    db: &'a DatabaseConnection,
    txn: Option<DatabaseTransaction>,
    rows: usize,
    backend: DbBackend,
}

impl<'a> Writer<'a> {
    pub(crate) async fn new(db: &'a DatabaseConnection) -> Result<Writer<'a>, DbErr> {
        let mut w = Writer { db, txn: None, rows: 0, backend: db.get_database_backend() };
        w.begin().await?;
        Ok(w)
    }

    async fn begin(&mut self) -> Result<(), DbErr> {
        let txn = db::begin_write(self.db).await?;
        if self.backend == DbBackend::Sqlite {
            // A bigger page cache for this connection while the indexes grow (128 MB). It fills
            // as the random-keyed indexes grow (95 MB at 200,000 opinions): at 256 MB it was half
            // of the 500 MB `renda gen --opinions 1000000` must stay under (issue 21).
            db::exec(&txn, "PRAGMA cache_size = -131072", vec![]).await?;
        }
        self.txn = Some(txn);
        self.rows = 0;
        Ok(())
    }

    pub(crate) fn txn(&self) -> &DatabaseTransaction {
        self.txn.as_ref().expect("a transaction is open between begin and finish")
    }

    async fn commit_if_full(&mut self) -> Result<(), DbErr> {
        if self.rows >= ROWS_PER_COMMIT {
            if let Some(t) = self.txn.take() {
                // The connection goes back to the pool with the default cache: the next
                // transaction may take another one, and eight pooled connections each keeping
                // 256 MB of pages made `renda gen` a gigabyte process (issue 21).
                if self.backend == DbBackend::Sqlite {
                    db::exec(&t, "PRAGMA cache_size = -2000", vec![]).await?;
                }
                t.commit().await?;
            }
            self.begin().await?;
        }
        Ok(())
    }

    /// Inserts `values` (row after row, `cols.len()` values each) into `table`.
    pub(crate) async fn insert(&mut self, table: &str, cols: &[&str], values: Vec<Value>) -> Result<(), DbErr> {
        let width = cols.len();
        debug_assert_eq!(values.len() % width, 0);
        let per_stmt = ROWS_PER_STATEMENT.min(MAX_VARIABLES / width).max(1);
        let head = format!("INSERT INTO {table} ({}) VALUES ", cols.join(", "));
        let mut it = values.into_iter().peekable();
        while it.peek().is_some() {
            let chunk: Vec<Value> = it.by_ref().take(per_stmt * width).collect();
            let n = chunk.len() / width;
            let mut sql = String::with_capacity(head.len() + n * width * 6);
            sql.push_str(&head);
            let mut k = 0;
            for r in 0..n {
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..width {
                    k += 1;
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    // SQLite gets anonymous `?`: with numbered ones sqlx looks up every
                    // parameter's name, and SQLite's look-up is linear (quadratic overall).
                    if self.backend == DbBackend::Sqlite {
                        sql.push('?');
                    } else {
                        sql.push('$');
                        sql.push_str(&k.to_string());
                    }
                }
                sql.push(')');
            }
            self.txn().execute_raw(Statement::from_sql_and_values(self.backend, sql, chunk)).await?;
            self.rows += n;
            self.commit_if_full().await?;
        }
        Ok(())
    }

    pub(crate) async fn finish(mut self) -> Result<(), DbErr> {
        if let Some(t) = self.txn.take() {
            if self.backend == DbBackend::Sqlite {
                db::exec(&t, "PRAGMA cache_size = -2000", vec![]).await?;
            }
            t.commit().await?;
        }
        Ok(())
    }
}

/// Reserves `n` ids of `table` and gives the first: the table's id sequence is moved past
/// the block, so rows inserted meanwhile by anyone else take ids after it.
pub(crate) async fn reserve_ids<C: ConnectionTrait>(c: &C, table: &str, n: u64) -> Result<i64, DbErr> {
    let max_id = db::scalar_i64(c, &format!("SELECT COALESCE(max(id), 0) FROM {table}"), vec![]).await?;
    let n = n as i64;
    match c.get_database_backend() {
        DbBackend::Postgres => {
            let seq = format!("pg_get_serial_sequence('{table}', 'id')");
            let next = db::scalar_i64(c, &format!("SELECT nextval({seq})"), vec![]).await?;
            let first = next.max(max_id + 1);
            if n > 0 {
                db::exec(c, &format!("SELECT setval({seq}, $1)"), vec![(first + n - 1).into()]).await?;
            }
            Ok(first)
        }
        _ => {
            let seq = db::scalar_i64(
                c,
                "SELECT COALESCE(max(seq), 0) FROM sqlite_sequence WHERE name = $1",
                vec![table.into()],
            )
            .await?;
            let first = seq.max(max_id) + 1;
            let last = first + n - 1;
            if n > 0
                && db::exec(c, "UPDATE sqlite_sequence SET seq = $1 WHERE name = $2", vec![last.into(), table.into()])
                    .await?
                    == 0
            {
                db::exec(c, "INSERT INTO sqlite_sequence (name, seq) VALUES ($1, $2)", vec![table.into(), last.into()])
                    .await?;
            }
            Ok(first)
        }
    }
}
