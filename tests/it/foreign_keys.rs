//! Issue 8: a foreign key on every reference (migration m0006_foreign_keys), orphans refused
//! by the database and by the migration, and a refused delete said as a 409.

use std::collections::BTreeSet;

use renda::app::error::AppError;
use renda::auth::Role;
use renda::db;
use renda::db::migrations::{Migrator, references};
use sea_orm::{DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;

use crate::support::TestApp;
use crate::{db_test, demo_test};

/// Columns that name a row of another table but cannot have a foreign key (see m0006).
const UNCONSTRAINED: [(&str, &str); 14] = [
    ("handling_ratings", "unit_id"),
    ("handling_ratings", "person_id"),
    ("attachments", "owner_id"),
    ("audit_log", "target_id"),
    ("audit_log", "actor_id"),
    ("audit_log", "organ_id"),
    ("publications", "owner_id"),
    // A link joins records of any two kinds (`crate::links`).
    ("record_links", "from_id"),
    ("record_links", "to_id"),
    // A ballot's subject is a record of the using module's choice (a unit, an agenda item).
    ("ballot_subjects", "ref_id"),
    // What a message is about: a record of any kind (`notify::About`, named by its record kind).
    ("notifications", "item_id"),
    // An article's identity across the versions of a draft is not a row: the nodes of every
    // version that continue one article share it (`legislation::matching`).
    ("leg_nodes", "node_id"),
    ("leg_opinions", "node_id"),
    ("leg_opinions", "change_node_id"),
];

/// (table, column, parent table, ON DELETE) of every foreign key in the database.
async fn foreign_keys(c: &DatabaseConnection) -> BTreeSet<(String, String, String, String)> {
    let rows = match c.get_database_backend() {
        DbBackend::Postgres => db::query_rows(
            c,
            "SELECT kcu.table_name::text, kcu.column_name::text, ccu.table_name::text, rc.delete_rule::text \
                 FROM information_schema.table_constraints tc \
                 JOIN information_schema.key_column_usage kcu \
                   ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema \
                 JOIN information_schema.referential_constraints rc \
                   ON rc.constraint_name = tc.constraint_name AND rc.constraint_schema = tc.table_schema \
                 JOIN information_schema.constraint_column_usage ccu \
                   ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema \
                 WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()",
            vec![],
        )
        .await
        .unwrap(),
        _ => db::query_rows(
            c,
            "SELECT m.name, f.\"from\", f.\"table\", f.on_delete FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
            vec![],
        )
        .await
        .unwrap(),
    };
    rows.iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
                r.try_get_by_index(2).unwrap(),
                r.try_get_by_index(3).unwrap(),
            )
        })
        .collect()
}

/// Every column that names a row elsewhere: `*_id` (but not a table's own `id`) and `uploaded_by`.
async fn reference_columns(c: &DatabaseConnection) -> BTreeSet<(String, String)> {
    let sql = match c.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema()"
        }
        _ => "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
    };
    db::query_rows(c, sql, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get_by_index::<String>(0).unwrap(), r.try_get_by_index::<String>(1).unwrap()))
        .filter(|(t, col)| !t.starts_with("seaql") && (col.ends_with("_id") || col == "uploaded_by"))
        .collect()
}

async fn every_reference_has_its_foreign_key(app: TestApp) {
    let actual = foreign_keys(app.db()).await;
    let expected: BTreeSet<_> = references()
        .map(|f| (f.table.to_string(), f.column.to_string(), f.parent.to_string(), f.on_delete.to_string()))
        .collect();
    assert_eq!(actual, expected);
    let constrained: BTreeSet<_> = actual.iter().map(|(t, c, _, _)| (t.clone(), c.clone())).collect();
    for (t, c) in reference_columns(app.db()).await {
        assert!(
            constrained.contains(&(t.clone(), c.clone())) || UNCONSTRAINED.contains(&(t.as_str(), c.as_str())),
            "{t}.{c} names another row but has no foreign key"
        );
    }
}
db_test!(every_reference_has_its_foreign_key);

async fn an_orphan_is_refused_and_a_referenced_delete_is_a_conflict(app: TestApp) {
    let c = app.db();
    // An account of an organ that does not exist.
    let e = db::exec(
        c,
        "INSERT INTO accounts (username, display_name, password_hash, organ_id, created_at, updated_at) \
         VALUES ('orphan', '孤儿', 'x', 987654, 0, 0)",
        vec![],
    )
    .await
    .expect_err("orphan insert accepted");
    assert!(matches!(e.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))), "{e}");
    match AppError::from(e) {
        AppError::Conflict(m) => assert!(m.contains("该记录仍被其他记录引用"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Deleting an organ that accounts, persons and stations still name.
    let organ = app.organ_id("370782").await;
    let e = db::exec(c, "DELETE FROM organs WHERE id = $1", vec![organ.into()]).await.expect_err("delete accepted");
    assert!(matches!(AppError::from(e), AppError::Conflict(_)));
    assert_eq!(db::scalar_i64(c, "SELECT count(*) FROM organs WHERE id = $1", vec![organ.into()]).await.unwrap(), 1);

    // CASCADE: an account's roles and sessions go with it.
    let id = app.add_account("fk_cascade", organ, &[Role::Staff]).await;
    let _signed_in = app.login("fk_cascade").await;
    let count = |table: &'static str| async move {
        db::scalar_i64(c, &format!("SELECT count(*) FROM {table} WHERE account_id = $1"), vec![id.into()])
            .await
            .unwrap()
    };
    assert!(count("account_roles").await > 0 && count("sessions").await > 0);
    db::exec(c, "DELETE FROM accounts WHERE id = $1", vec![id.into()]).await.unwrap();
    assert_eq!((count("account_roles").await, count("sessions").await), (0, 0));

    // SET NULL: a slot outlives its duty rule.
    let slot: Option<(i64, i64)> =
        db::query_rows(c, "SELECT id, rule_id FROM duty_slots WHERE rule_id IS NOT NULL LIMIT 1", vec![])
            .await
            .unwrap()
            .first()
            .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()));
    if let Some((slot, rule)) = slot {
        db::exec(c, "DELETE FROM duty_rules WHERE id = $1", vec![rule.into()]).await.unwrap();
        let left = db::query_rows(c, "SELECT rule_id FROM duty_slots WHERE id = $1", vec![slot.into()]).await.unwrap();
        assert_eq!(left[0].try_get_by_index::<Option<i64>>(0).unwrap(), None);
    }
}
demo_test!(an_orphan_is_refused_and_a_referenced_delete_is_a_conflict);

/// Applied migrations, by name.
async fn applied(c: &DatabaseConnection) -> Vec<String> {
    db::query_rows(c, "SELECT version FROM seaql_migrations ORDER BY version", vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect()
}

async fn the_migration_refuses_a_database_with_orphans(app: TestApp) {
    let c = db::connect(&app.blank_database_url().await).await.unwrap();
    Migrator::up(&c, Some(5)).await.unwrap();
    assert_eq!(applied(&c).await.len(), 5);
    // Before m0006 nothing stops these: an organ in an unknown area, roles of an unknown account.
    db::exec(
        &c,
        "INSERT INTO areas (id, code, name, parent_id, level, path, created_at) VALUES (1, '370782', '诸城市', NULL, 'county', '/1/', 0)",
        vec![],
    )
    .await
    .unwrap();
    db::exec(
        &c,
        "INSERT INTO organs (id, code, name, short_name, area_id, parent_id, kind, level, external, path, phone, created_at) \
         VALUES (1, '370782', '诸城市人大常委会', '诸城', 1, NULL, 'standing_committee', 'county', false, '/1/', '', 0), \
                (41, 'X1', '孤立机关', '孤立', 4242, NULL, 'standing_committee', 'county', false, '/41/', '', 0)",
        vec![],
    )
    .await
    .unwrap();
    db::exec(&c, "INSERT INTO account_roles (account_id, role) VALUES (77, 'admin')", vec![]).await.unwrap();

    let e = Migrator::up(&c, None).await.expect_err("migration accepted orphans").to_string();
    assert!(e.contains("organs.area_id 有 1 行") && e.contains("id：41"), "{e}");
    assert!(e.contains("account_roles.account_id 有 1 行") && e.contains("account_id：77"), "{e}");
    assert!(!e.contains("organs.parent_id"), "{e}");
    // Not applied, nothing deleted, no foreign key yet.
    assert_eq!(applied(&c).await.len(), 5);
    assert_eq!(db::scalar_i64(&c, "SELECT count(*) FROM organs", vec![]).await.unwrap(), 2);
    assert!(foreign_keys(&c).await.is_empty());

    // Once the rows are put right, the migration runs.
    db::exec(&c, "UPDATE organs SET area_id = 1 WHERE id = 41", vec![]).await.unwrap();
    db::exec(&c, "DELETE FROM account_roles", vec![]).await.unwrap();
    Migrator::up(&c, None).await.unwrap();
    assert_eq!(applied(&c).await.len(), Migrator::migrations().len());
    assert_eq!(foreign_keys(&c).await.len(), references().count());
    c.close().await.ok();
}
db_test!(the_migration_refuses_a_database_with_orphans);

/// Indexes (and triggers) with their definitions, and every table's columns.
async fn schema(c: &DatabaseConnection) -> (Vec<(String, String, String)>, Vec<(String, String)>) {
    let (indexes, columns) = match c.get_database_backend() {
        DbBackend::Postgres => (
            "SELECT indexname::text, tablename::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
            "SELECT table_name::text, column_name::text || ' ' || data_type::text || ' ' || is_nullable::text || ' ' || \
             coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = current_schema() \
             ORDER BY table_name, ordinal_position",
        ),
        _ => (
            "SELECT name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name",
            "SELECT m.name, p.cid || ' ' || p.name || ' ' || p.type || ' ' || p.\"notnull\" || ' ' || coalesce(p.dflt_value, '') \
             || ' ' || p.pk FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid",
        ),
    };
    let indexes = db::query_rows(c, indexes, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap()))
        .collect();
    let columns = db::query_rows(c, columns, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
        .collect();
    (indexes, columns)
}

async fn the_migration_keeps_rows_indexes_and_sequences(app: TestApp) {
    let c = db::connect(&app.blank_database_url().await).await.unwrap();
    Migrator::up(&c, Some(5)).await.unwrap();
    db::exec(
        &c,
        "INSERT INTO areas (code, name, parent_id, level, path, created_at) VALUES ('370782', '诸城市', NULL, 'county', '/1/', 0)",
        vec![],
    )
    .await
    .unwrap();
    for code in ["A", "B", "C"] {
        db::exec(
            &c,
            "INSERT INTO organs (code, name, short_name, area_id, parent_id, kind, level, external, path, phone, created_at) \
             VALUES ($1, '机关', '机关', 1, NULL, 'standing_committee', 'county', false, '/', '', 0)",
            vec![code.into()],
        )
        .await
        .unwrap();
    }
    // The newest organ is gone: its id must not be handed out again after the rebuild.
    db::exec(&c, "DELETE FROM organs WHERE code = 'C'", vec![]).await.unwrap();
    let before = schema(&c).await;
    // m0006 only: later migrations add tables of their own.
    Migrator::up(&c, Some(1)).await.unwrap();
    assert_eq!(schema(&c).await, before, "indexes or columns changed");
    assert_eq!(db::scalar_i64(&c, "SELECT count(*) FROM organs", vec![]).await.unwrap(), 2);
    let id = db::insert_id(
        &c,
        "INSERT INTO organs (code, name, short_name, area_id, parent_id, kind, level, external, path, phone, created_at) \
         VALUES ('D', '机关', '机关', 1, 1, 'township_presidium', 'township', false, '/', '', 0)",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(id, 4);
    if c.get_database_backend() == DbBackend::Sqlite {
        assert!(db::query_rows(&c, "PRAGMA foreign_key_check", vec![]).await.unwrap().is_empty());
        // Every pooled connection still enforces foreign keys after the rebuild.
        for _ in 0..4 {
            assert_eq!(db::scalar_i64(&c, "PRAGMA foreign_keys", vec![]).await.unwrap(), 1);
        }
    }
    c.close().await.ok();
}
db_test!(the_migration_keeps_rows_indexes_and_sequences);

/// Issue 18: migrations are frozen — m0008 carries its own copy of the 2025–2026 schedules
/// instead of calling the calendar's code. A new database has exactly the shipped table.
async fn the_frozen_calendar_matches_the_shipped_schedule(app: TestApp) {
    let rows =
        db::query_rows(app.db(), "SELECT day, kind, name FROM calendar_days ORDER BY day", vec![]).await.unwrap();
    let mut stored: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap(), r.try_get_by_index(2).unwrap()))
        .collect();
    let mut shipped: Vec<(String, String, String)> = renda::calendar::official::days()
        .map(|d| (d.date.format("%Y-%m-%d").to_string(), d.kind.as_str().to_string(), d.name))
        .collect();
    stored.sort();
    shipped.sort();
    assert!(!stored.is_empty());
    assert_eq!(stored, shipped);
}
db_test!(the_frozen_calendar_matches_the_shipped_schedule);
