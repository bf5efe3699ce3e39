//! Issue 8: the members of groups, committees, grids and role names live in one table,
//! `memberships`, kept by one service. Migration `m0007_membership` carries a database made
//! at `m0006` forward without loss — every row, its role, order and date — keeps the foreign
//! keys and the old unique keys, and refuses orphans as `m0006` does.

use renda::audit::Actor;
use renda::db;
use renda::db::migrations::Migrator;
use renda::registry::membership::{self, COMMITTEE, GRID, GROUP, Joining, ROLE};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use crate::db_test;
use crate::support::TestApp;

async fn exec(c: &DatabaseConnection, sql: &str) {
    db::exec(c, sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn count(c: &DatabaseConnection, sql: &str) -> i64 {
    db::scalar_i64(c, sql, vec![]).await.unwrap()
}

/// A database at m0006 with an organ, five persons (two of them named alike), a committee,
/// a group, a grid and members of each, and two holders of a preset role name.
async fn at_m0006(app: &TestApp) -> DatabaseConnection {
    let c = db::connect(&app.blank_database_url().await).await.unwrap();
    Migrator::up(&c, Some(6)).await.unwrap();
    exec(
        &c,
        "INSERT INTO areas (id, code, name, parent_id, level, path, created_at) \
         VALUES (1, '370782', '诸城市', NULL, 'county', '/1/', 0)",
    )
    .await;
    exec(
        &c,
        "INSERT INTO organs (id, code, name, short_name, area_id, parent_id, kind, level, external, path, phone, created_at) \
         VALUES (1, '370782', '诸城市人大常委会', '诸城', 1, NULL, 'standing_committee', 'county', false, '/1/', '', 0)",
    )
    .await;
    for (id, name) in [(1, "张三"), (2, "李四"), (3, "王五"), (4, "王五"), (5, "赵六")] {
        exec(
            &c,
            &format!(
                "INSERT INTO persons (id, organ_id, name, gender, ethnicity, party, education, occupation, work_unit, \
                 expertise, public_contact, bio, created_at, updated_at) \
                 VALUES ({id}, 1, '{name}', 'male', '汉族', '', '', '', '', '', '', '', 0, 0)"
            ),
        )
        .await;
    }
    exec(&c, "INSERT INTO committees (id, organ_id, kind, name, sort) VALUES (7, 1, 'standing', '常委会', 0)").await;
    exec(
        &c,
        "INSERT INTO deputy_groups (id, organ_id, kind, name, area_id, committee_id, created_at) \
         VALUES (8, 1, 'area_group', '第一代表小组', 1, 7, 0)",
    )
    .await;
    exec(&c, "INSERT INTO grids (id, organ_id, area_id, name) VALUES (9, 1, 1, '第一网格')").await;
    // Rows in the order they were added: the two 王五 (4 before 3) are tied on role and name.
    exec(
        &c,
        "INSERT INTO group_members (group_id, person_id, role) VALUES \
         (8, 4, 'member'), (8, 3, 'member'), (8, 1, 'leader'), (8, 2, 'convener')",
    )
    .await;
    exec(
        &c,
        "INSERT INTO committee_members (committee_id, person_id, position, sort) VALUES \
         (7, 5, '委员', 3), (7, 2, '委员', 3), (7, 1, '主任', 0)",
    )
    .await;
    exec(
        &c,
        "INSERT INTO grid_members (grid_id, person_id, role) VALUES \
         (9, 1, 'supervisor'), (9, 2, 'gridder'), (9, 1, 'gridder')",
    )
    .await;
    exec(&c, "INSERT INTO role_assignments (role_name_id, person_id, created_at) VALUES (1, 3, 1700000000), (1, 2, 1700000100)")
        .await;
    c
}

/// (kind, group, committee, grid, role name, person, role, sort, created_at) of every row, by id.
type Row = (String, Option<i64>, Option<i64>, Option<i64>, Option<i64>, i64, String, i64, Option<i64>);

async fn rows(c: &DatabaseConnection) -> Vec<(i64, Row)> {
    db::query_rows(
        c,
        "SELECT id, kind, group_id, committee_id, grid_id, role_name_id, person_id, role, sort, created_at \
         FROM memberships ORDER BY id",
        vec![],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let g = |i| r.try_get_by_index::<Option<i64>>(i).unwrap();
        (
            r.try_get_by_index(0).unwrap(),
            (
                r.try_get_by_index(1).unwrap(),
                g(2),
                g(3),
                g(4),
                g(5),
                r.try_get_by_index(6).unwrap(),
                r.try_get_by_index(7).unwrap(),
                r.try_get_by_index(8).unwrap(),
                g(9),
            ),
        )
    })
    .collect()
}

fn row(kind: &str, owner: i64, person: i64, role: &str, sort: i64, created_at: Option<i64>) -> Row {
    let at = |k: &str| (kind == k).then_some(owner);
    (kind.into(), at("group"), at("committee"), at("grid"), at("role"), person, role.into(), sort, created_at)
}

async fn people(c: &DatabaseConnection, kind: &membership::Kind, owner: i64) -> Vec<(i64, String)> {
    membership::members(c, kind, owner, None).await.unwrap().into_iter().map(|m| (m.person_id, m.role)).collect()
}

async fn membership_migrates_forward_from_m0006(app: TestApp) {
    let c = at_m0006(&app).await;
    let mut before = 0;
    for old in ["group_members", "committee_members", "grid_members", "role_assignments"] {
        before += count(&c, &format!("SELECT count(*) FROM {old}")).await;
    }
    assert_eq!(before, 12);
    Migrator::up(&c, None).await.unwrap();
    let applied = count(&c, "SELECT count(*) FROM seaql_migrations").await;
    assert_eq!(applied as usize, Migrator::migrations().len());

    // Every row, kind by kind in the order of the old ids; roles, positions, dates kept.
    let expected = vec![
        row("group", 8, 4, "member", 3, None),
        row("group", 8, 3, "member", 3, None),
        row("group", 8, 1, "leader", 1, None),
        row("group", 8, 2, "convener", 0, None),
        row("committee", 7, 5, "委员", 3, None),
        row("committee", 7, 2, "委员", 3, None),
        row("committee", 7, 1, "主任", 0, None),
        row("grid", 9, 1, "supervisor", 1, None),
        row("grid", 9, 2, "gridder", 0, None),
        row("grid", 9, 1, "gridder", 0, None),
        row("role", 1, 3, "", 0, Some(1_700_000_000)),
        row("role", 1, 2, "", 0, Some(1_700_000_100)),
    ];
    let found = rows(&c).await;
    assert_eq!(found.iter().map(|(id, _)| *id).collect::<Vec<_>>(), (1..=12).collect::<Vec<i64>>());
    assert_eq!(found.into_iter().map(|(_, r)| r).collect::<Vec<_>>(), expected);

    // Listed as the pages listed them: by role, then name, then as added (the two 王五: 4, 3).
    let group = people(&c, &GROUP, 8).await;
    assert_eq!(group.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [2, 1, 4, 3]);
    assert_eq!(people(&c, &COMMITTEE, 7).await.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [1, 5, 2]);
    let grid: Vec<(i64, String)> = people(&c, &GRID, 9).await;
    assert_eq!(grid[2], (1, "supervisor".to_string()), "{grid:?}");
    assert_eq!(people(&c, &ROLE, 1).await.len(), 2);

    // The service goes on from there: new ids after the copied ones, audited.
    let key = app.state.audit_key();
    let actor = Actor::system("test");
    let joining = Joining { owner_id: 8, person_id: 5, role: "deputy_leader" };
    assert!(membership::add(&c, key, &actor, &GROUP, 1, joining).await.unwrap());
    let joining = Joining { owner_id: 9, person_id: 2, role: "gridder" };
    assert!(!membership::add(&c, key, &actor, &GRID, 1, joining).await.unwrap(), "the same grid role twice");
    let last = rows(&c).await.pop().unwrap();
    assert_eq!(last.0, 13);
    assert_eq!((last.1.1, last.1.5, last.1.6.as_str()), (Some(8), 5, "deputy_leader"));
    assert!(last.1.8.is_some(), "a new row records when it was added");
    assert_eq!(people(&c, &GROUP, 8).await.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [2, 1, 5, 4, 3]);

    // The old tables are gone; the foreign keys and the old unique keys hold.
    for old in ["group_members", "committee_members", "grid_members", "role_assignments"] {
        assert!(db::scalar_i64(&c, &format!("SELECT count(*) FROM {old}"), vec![]).await.is_err(), "{old}");
    }
    for refused in [
        "DELETE FROM deputy_groups WHERE id = 8",
        "DELETE FROM role_names WHERE id = 1",
        "DELETE FROM persons WHERE id = 5",
        "INSERT INTO memberships (kind, group_id, person_id, role, sort) VALUES ('group', 99, 1, 'member', 3)",
        "INSERT INTO memberships (kind, group_id, person_id, role, sort) VALUES ('group', 8, 3, 'leader', 1)",
        "INSERT INTO memberships (kind, grid_id, person_id, role, sort) VALUES ('grid', 9, 2, 'gridder', 0)",
        // The kind names the one owner that is set.
        "INSERT INTO memberships (kind, group_id, person_id, role, sort) VALUES ('grid', 8, 5, 'member', 3)",
        "INSERT INTO memberships (kind, group_id, grid_id, person_id, role, sort) VALUES ('group', 8, 9, 5, 'member', 3)",
        "INSERT INTO memberships (kind, person_id, role, sort) VALUES ('role', 5, '', 0)",
    ] {
        assert!(db::exec(&c, refused, vec![]).await.is_err(), "accepted: {refused}");
    }
    assert_eq!(rows(&c).await.len(), 13);

    // A grid member goes by the row (person 1 stays 监督员 when no longer 网格员).
    membership::remove(&c, key, &actor, &GRID, 1, 9, 10).await.unwrap();
    assert_eq!(people(&c, &GRID, 9).await, [(2, "gridder".to_string()), (1, "supervisor".to_string())]);
    c.close().await.ok();
}
db_test!(membership_migrates_forward_from_m0006);

async fn membership_migration_refuses_orphans(app: TestApp) {
    let c = at_m0006(&app).await;
    // Only a database that ran without foreign-key enforcement can hold these.
    match c.get_database_backend() {
        DbBackend::Postgres => {
            let t = c.begin().await.unwrap();
            t.execute_unprepared("SET LOCAL session_replication_role = replica").await.unwrap();
            t.execute_unprepared("INSERT INTO grid_members (grid_id, person_id, role) VALUES (9, 404, 'gridder')")
                .await
                .unwrap();
            t.commit().await.unwrap();
        }
        _ => {
            let mut one = c.get_sqlite_connection_pool().acquire().await.unwrap();
            for sql in [
                "PRAGMA foreign_keys = OFF",
                "INSERT INTO grid_members (grid_id, person_id, role) VALUES (9, 404, 'gridder')",
                "PRAGMA foreign_keys = ON",
            ] {
                sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql)).execute(&mut *one).await.unwrap();
            }
        }
    }
    let e = Migrator::up(&c, None).await.expect_err("orphan accepted").to_string();
    assert!(e.contains("m0007_membership") && e.contains("grid_members.person_id 有 1 行"), "{e}");
    // Nothing applied, nothing deleted.
    assert_eq!(count(&c, "SELECT count(*) FROM grid_members").await, 4);
    assert!(db::scalar_i64(&c, "SELECT count(*) FROM memberships", vec![]).await.is_err());
    // Once the row is put right, it migrates.
    exec(&c, "DELETE FROM grid_members WHERE person_id = 404").await;
    Migrator::up(&c, None).await.unwrap();
    assert_eq!(count(&c, "SELECT count(*) FROM memberships").await, 12);
    c.close().await.ok();
}
db_test!(membership_migration_refuses_orphans);
