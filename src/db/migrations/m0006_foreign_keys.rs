//! Foreign keys on every reference (issue 8), added to existing databases.
//!
//! Orphans are looked for first, one query per reference; any found stop the migration with
//! an error naming table, column, count and the first ids — nothing is deleted. PostgreSQL
//! then gets `ALTER TABLE … ADD CONSTRAINT`; SQLite, which cannot add a constraint to an
//! existing table, gets each referencing table rebuilt (the procedure of
//! <https://www.sqlite.org/lang_altertable.html#otheralter>) on one connection with
//! `PRAGMA foreign_keys=OFF`, checked by `PRAGMA foreign_key_check` before the commit.
//!
//! Not constrained, on purpose:
//! - `attachments.owner_type/owner_id` and `audit_log.target_type/target_id` are polymorphic
//!   (the owner or target may be a row of any table, or no row at all), which a foreign key
//!   cannot express;
//! - `audit_log.actor_id/organ_id`: the audit log is the history of what happened and must
//!   outlive the accounts and organs it names; its entries are hash-chained, so neither
//!   `SET NULL` nor `CASCADE` may touch them, and `RESTRICT` would make every account that
//!   ever acted undeletable.

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_foreign_keys"
    }
}

/// A reference: child table, column, parent table (always its `id`), ON DELETE action.
pub struct Reference {
    pub table: &'static str,
    pub column: &'static str,
    pub parent: &'static str,
    pub on_delete: &'static str,
}

pub const fn r(table: &'static str, column: &'static str, parent: &'static str, on_delete: &'static str) -> Reference {
    Reference { table, column, parent, on_delete }
}

/// The foreign keys this migration adds (as it added them: `m0007_membership` later
/// replaced the four membership tables; [`super::references`] is the schema's list now).
///
/// ON DELETE choices:
/// - `RESTRICT` for records (organs, areas, persons, mandates, memberships, stations …):
///   deleting something still referenced is refused (the application answers 409 with
///   「该记录仍被其他记录引用，不能删除或修改」), never a silent cascade through the registry.
/// - `CASCADE` only for rows that are nothing but a part of their parent account or person
///   and mean nothing without it: an account's roles, sessions, API tokens and
///   notifications; a person's expertise tags.
/// - `SET NULL` where the reference is optional and the child must outlive the parent:
///   a person's photo (deleting the attachment leaves the person without a photo) and the
///   duty rule of a slot (past slots stay as the record of what was planned after the rule
///   is removed).
pub const REFERENCES: &[Reference] = &[
    // m0001_platform
    r("areas", "parent_id", "areas", "RESTRICT"),
    r("organs", "area_id", "areas", "RESTRICT"),
    r("organs", "parent_id", "organs", "RESTRICT"),
    r("handling_units", "organ_id", "organs", "RESTRICT"),
    r("accounts", "organ_id", "organs", "RESTRICT"),
    r("accounts", "unit_id", "handling_units", "RESTRICT"),
    r("accounts", "deputy_id", "persons", "RESTRICT"),
    r("accounts", "station_id", "stations", "RESTRICT"),
    r("account_roles", "account_id", "accounts", "CASCADE"),
    r("sessions", "account_id", "accounts", "CASCADE"),
    r("api_tokens", "account_id", "accounts", "CASCADE"),
    r("notifications", "account_id", "accounts", "CASCADE"),
    r("attachments", "organ_id", "organs", "RESTRICT"),
    r("attachments", "uploaded_by", "accounts", "RESTRICT"),
    // m0002_registry
    r("persons", "organ_id", "organs", "RESTRICT"),
    r("persons", "township_area_id", "areas", "RESTRICT"),
    r("persons", "photo_id", "attachments", "SET NULL"),
    r("person_tags", "person_id", "persons", "CASCADE"),
    r("mandates", "person_id", "persons", "RESTRICT"),
    r("mandates", "organ_id", "organs", "RESTRICT"),
    r("mandate_events", "mandate_id", "mandates", "RESTRICT"),
    r("committees", "organ_id", "organs", "RESTRICT"),
    r("committee_members", "committee_id", "committees", "RESTRICT"),
    r("committee_members", "person_id", "persons", "RESTRICT"),
    r("unit_contacts", "unit_id", "handling_units", "RESTRICT"),
    r("unit_contacts", "account_id", "accounts", "RESTRICT"),
    r("deputy_groups", "organ_id", "organs", "RESTRICT"),
    r("deputy_groups", "area_id", "areas", "RESTRICT"),
    r("deputy_groups", "committee_id", "committees", "RESTRICT"),
    r("group_members", "group_id", "deputy_groups", "RESTRICT"),
    r("group_members", "person_id", "persons", "RESTRICT"),
    r("contact_links", "organ_id", "organs", "RESTRICT"),
    r("contact_links", "person_id", "persons", "RESTRICT"),
    r("contact_links", "deputy_id", "persons", "RESTRICT"),
    r("grids", "organ_id", "organs", "RESTRICT"),
    r("grids", "area_id", "areas", "RESTRICT"),
    r("grid_members", "grid_id", "grids", "RESTRICT"),
    r("grid_members", "person_id", "persons", "RESTRICT"),
    r("role_names", "organ_id", "organs", "RESTRICT"),
    r("role_assignments", "role_name_id", "role_names", "RESTRICT"),
    r("role_assignments", "person_id", "persons", "RESTRICT"),
    r("station_types", "organ_id", "organs", "RESTRICT"),
    r("stations", "organ_id", "organs", "RESTRICT"),
    r("stations", "area_id", "areas", "RESTRICT"),
    r("stations", "type_id", "station_types", "RESTRICT"),
    r("station_keepers", "station_id", "stations", "RESTRICT"),
    r("station_keepers", "account_id", "accounts", "RESTRICT"),
    r("station_deputies", "station_id", "stations", "RESTRICT"),
    r("station_deputies", "person_id", "persons", "RESTRICT"),
    r("duty_rules", "station_id", "stations", "RESTRICT"),
    r("duty_rules", "person_id", "persons", "RESTRICT"),
    r("duty_slots", "station_id", "stations", "RESTRICT"),
    r("duty_slots", "person_id", "persons", "RESTRICT"),
    r("duty_slots", "rule_id", "duty_rules", "SET NULL"),
];

fn constraint(f: &Reference) -> String {
    format!(
        "CONSTRAINT \"fk_{t}_{c}\" FOREIGN KEY (\"{c}\") REFERENCES \"{p}\" (\"id\") ON DELETE {d}",
        t = f.table,
        c = f.column,
        p = f.parent,
        d = f.on_delete
    )
}

/// Every reference of `references` that points nowhere, said in one error naming the
/// migration (nothing is deleted).
pub(super) async fn check_orphans<C: ConnectionTrait>(
    c: &C,
    migration: &str,
    references: &[&Reference],
) -> Result<(), DbErr> {
    let mut found = Vec::new();
    for f in references {
        // account_roles has no id of its own: its rows are named by the missing account id.
        let key = if f.table == "account_roles" { "account_id" } else { "id" };
        let from = format!(
            "FROM \"{t}\" c WHERE c.\"{col}\" IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM \"{p}\" p WHERE p.id = c.\"{col}\")",
            t = f.table,
            col = f.column,
            p = f.parent
        );
        let count = crate::db::scalar_i64(c, &format!("SELECT count(*) {from}"), vec![]).await?;
        if count == 0 {
            continue;
        }
        let rows = crate::db::query_rows(c, &format!("SELECT c.\"{key}\" {from} ORDER BY 1 LIMIT 5"), vec![]).await?;
        let ids: Vec<String> =
            rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).map(|v| v.to_string()).collect();
        found.push(format!(
            "{t}.{col} 有 {count} 行引用了不存在的 {p} 记录（{key}：{ids}{more}）",
            t = f.table,
            col = f.column,
            p = f.parent,
            ids = ids.join(", "),
            more = if count > ids.len() as i64 { " …" } else { "" }
        ));
    }
    if found.is_empty() {
        Ok(())
    } else {
        Err(DbErr::Migration(format!(
            "{migration}：发现孤立引用，迁移已停止，未删除任何数据。请先修正或删除这些行后再迁移：{}",
            found.join("；")
        )))
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        check_orphans(c, "m0006_foreign_keys", &REFERENCES.iter().collect::<Vec<_>>()).await?;
        match c.get_database_backend() {
            // Runs inside the migration's transaction: all constraints or none.
            DbBackend::Postgres => {
                for f in REFERENCES {
                    c.execute_unprepared(&format!("ALTER TABLE \"{}\" ADD {}", f.table, constraint(f))).await?;
                }
                Ok(())
            }
            // sea-orm-migration runs SQLite migrations outside a transaction (`use_transaction`
            // is `None`), as `PRAGMA foreign_keys=OFF` is a no-op inside one; the rebuild
            // takes a connection of its own and opens its own transaction there.
            DbBackend::Sqlite => match c {
                sea_orm_migration::SchemaManagerConnection::Connection(db) => sqlite::rebuild(db).await,
                _ => Err(DbErr::Migration(
                    "m0006_foreign_keys 在 SQLite 上须在事务之外运行（PRAGMA foreign_keys 在事务中无效）".into(),
                )),
            },
            _ => Err(DbErr::Migration("m0006_foreign_keys：不支持的数据库".into())),
        }
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("m0006_foreign_keys 不可回滚：请用备份恢复".into()))
    }
}

mod sqlite {
    use super::{REFERENCES, constraint};
    use sea_orm::sqlx::{self, Sqlite, pool::PoolConnection};
    use sea_orm::{DatabaseConnection, DbErr};

    fn err(e: sqlx::Error) -> DbErr {
        DbErr::Migration(format!("m0006_foreign_keys：{e}"))
    }

    async fn exec(conn: &mut PoolConnection<Sqlite>, sql: &str) -> Result<(), DbErr> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut **conn).await.map(|_| ()).map_err(err)
    }

    /// Rebuilds every referencing table on one pooled connection: `foreign_keys` is a
    /// per-connection setting, so the statements cannot be spread over the pool.
    pub async fn rebuild(db: &DatabaseConnection) -> Result<(), DbErr> {
        let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(err)?;
        // Step 1 of SQLite's procedure: outside any transaction.
        exec(&mut conn, "PRAGMA foreign_keys=OFF").await?;
        let result = async {
            exec(&mut conn, "BEGIN IMMEDIATE").await?;
            let inner = rebuild_tables(&mut conn).await;
            match inner {
                Ok(()) => exec(&mut conn, "COMMIT").await,
                Err(e) => {
                    let _ = exec(&mut conn, "ROLLBACK").await;
                    Err(e)
                }
            }
        }
        .await;
        // The connection goes back to the pool: it must enforce foreign keys again.
        if exec(&mut conn, "PRAGMA foreign_keys=ON").await.is_err() {
            conn.close_on_drop();
        }
        result
    }

    async fn rebuild_tables(conn: &mut PoolConnection<Sqlite>) -> Result<(), DbErr> {
        let mut tables: Vec<&str> = Vec::new();
        for f in REFERENCES {
            if !tables.contains(&f.table) {
                tables.push(f.table);
            }
        }
        for table in tables {
            let (create,): (String,) =
                sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1")
                    .bind(table)
                    .fetch_one(&mut **conn)
                    .await
                    .map_err(err)?;
            // Indexes and triggers go with the old table; their SQL recreates them as they were.
            let dependents: Vec<(String,)> = sqlx::query_as(
                "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ?1 \
                 AND sql IS NOT NULL ORDER BY type, name",
            )
            .bind(table)
            .fetch_all(&mut **conn)
            .await
            .map_err(err)?;
            let seq: Option<(i64,)> = sqlx::query_as("SELECT seq FROM sqlite_sequence WHERE name = ?1")
                .bind(table)
                .fetch_optional(&mut **conn)
                .await
                .map_err(err)?;
            let new = format!("{table}__fk_new");
            let (Some(open), Some(close)) = (create.find('('), create.rfind(')')) else {
                return Err(DbErr::Migration(format!("m0006_foreign_keys：无法解析 {table} 的表定义")));
            };
            let fks: Vec<String> =
                REFERENCES.iter().filter(|f| f.table == table).map(|f| format!(", {}", constraint(f))).collect();
            let sql = format!(
                "CREATE TABLE \"{new}\" {}{} {}",
                create[open..close].trim_end(),
                fks.concat(),
                &create[close..]
            );
            exec(conn, &sql).await?;
            // Same columns in the same order (the definition is the old one's).
            exec(conn, &format!("INSERT INTO \"{new}\" SELECT * FROM \"{table}\"")).await?;
            exec(conn, &format!("DROP TABLE \"{table}\"")).await?;
            exec(conn, &format!("ALTER TABLE \"{new}\" RENAME TO \"{table}\"")).await?;
            for (sql,) in dependents {
                exec(conn, &sql).await?;
            }
            // AUTOINCREMENT keeps its high-water mark: ids of deleted rows are not reused.
            if let Some((seq,)) = seq {
                sqlx::query("DELETE FROM sqlite_sequence WHERE name = ?1")
                    .bind(table)
                    .execute(&mut **conn)
                    .await
                    .map_err(err)?;
                sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)")
                    .bind(table)
                    .bind(seq)
                    .execute(&mut **conn)
                    .await
                    .map_err(err)?;
            }
        }
        let violations: Vec<(String, Option<i64>, String, i64)> =
            sqlx::query_as("PRAGMA foreign_key_check").fetch_all(&mut **conn).await.map_err(err)?;
        if let Some((table, rowid, parent, _)) = violations.first() {
            return Err(DbErr::Migration(format!(
                "m0006_foreign_keys：外键检查未通过（{} 处），如 {table} 第 {} 行引用了不存在的 {parent} 记录",
                violations.len(),
                rowid.map_or("?".into(), |r| r.to_string())
            )));
        }
        Ok(())
    }
}
