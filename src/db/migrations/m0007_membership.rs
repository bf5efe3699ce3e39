//! One table for the members of groups, committees, grids and role names (issue 8), kept by
//! one service (`registry::membership`): `group_members`, `committee_members`, `grid_members`
//! and `role_assignments` become `memberships`.
//!
//! A row names its owner in one of four columns, each with its foreign key — `group_id`,
//! `committee_id`, `grid_id`, `role_name_id` (one `owner_id` column could reference no table)
//! — and `kind` says which; a CHECK keeps exactly that one set. `role` holds the group or
//! grid role code, the committee position, or nothing for a role name; `sort` the role's place
//! in its kind's list (a committee's `sort` as it was); `created_at` when the row was added
//! (only role assignments recorded it before: the others' old rows have none). The unique
//! keys are the old ones, one per owner column (NULLs never clash on either backend).
//!
//! Rows are copied kind by kind, each kind in the order of its old ids, so that members tied
//! on role and name keep their order; the new ids count from 1. A reference that points
//! nowhere (possible only if foreign keys were not enforced) stops the migration as in
//! `m0006`, naming table, column, count and first ids — nothing is deleted. The migration
//! runs in one transaction on both backends: if anything fails, the four tables stay.

use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::{REFERENCES as M0006, Reference, check_orphans, r};
use super::schema::{id, index, int, int_default, int_null, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_membership"
    }
}

pub const REFERENCES: &[Reference] = &[
    r("memberships", "group_id", "deputy_groups", "RESTRICT"),
    r("memberships", "committee_id", "committees", "RESTRICT"),
    r("memberships", "grid_id", "grids", "RESTRICT"),
    r("memberships", "role_name_id", "role_names", "RESTRICT"),
    r("memberships", "person_id", "persons", "RESTRICT"),
];

/// A table replaced, and how its rows become memberships (SQL over the old row).
pub struct Replaced {
    pub table: &'static str,
    pub kind: &'static str,
    pub owner: &'static str,
    role: &'static str,
    sort: &'static str,
    created_at: &'static str,
}

const NONE: &str = "CAST(NULL AS BIGINT)";

pub const REPLACED: [Replaced; 4] = [
    Replaced {
        table: "group_members",
        kind: "group",
        owner: "group_id",
        role: "role",
        sort: "CASE role WHEN 'convener' THEN 0 WHEN 'leader' THEN 1 WHEN 'deputy_leader' THEN 2 ELSE 3 END",
        created_at: NONE,
    },
    Replaced {
        table: "committee_members",
        kind: "committee",
        owner: "committee_id",
        role: "position",
        sort: "sort",
        created_at: NONE,
    },
    Replaced {
        table: "grid_members",
        kind: "grid",
        owner: "grid_id",
        role: "role",
        sort: "CASE role WHEN 'gridder' THEN 0 WHEN 'supervisor' THEN 1 ELSE 2 END",
        created_at: NONE,
    },
    Replaced {
        table: "role_assignments",
        kind: "role",
        owner: "role_name_id",
        role: "''",
        sort: "0",
        created_at: "created_at",
    },
];

/// `kind` names the one owner column that is set.
fn owner_check() -> String {
    REPLACED
        .iter()
        .map(|k| {
            let others: Vec<String> =
                REPLACED.iter().filter(|o| o.owner != k.owner).map(|o| format!(" AND {} IS NULL", o.owner)).collect();
            format!("(kind = '{}' AND {} IS NOT NULL{})", k.kind, k.owner, others.concat())
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn create() -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new("memberships"))
        .col(id("id"))
        .col(text("kind"))
        .col(int_null("group_id"))
        .col(int_null("committee_id"))
        .col(int_null("grid_id"))
        .col(int_null("role_name_id"))
        .col(int("person_id"))
        .col(ColumnDef::new(Alias::new("role")).text().not_null().default("").to_owned())
        .col(int_default("sort", 0))
        .col(int_null("created_at"))
        .check(Expr::cust(owner_check()));
    for f in REFERENCES {
        t.foreign_key(
            ForeignKey::create()
                .name(format!("fk_{}_{}", f.table, f.column))
                .from(Alias::new(f.table), Alias::new(f.column))
                .to(Alias::new(f.parent), Alias::new("id"))
                .on_delete(ForeignKeyAction::Restrict),
        );
    }
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        let old: Vec<&Reference> = M0006.iter().filter(|f| REPLACED.iter().any(|t| t.table == f.table)).collect();
        check_orphans(c, "m0007_membership", &old).await?;
        m.create_table(create()).await?;
        for i in [
            index("memberships", "ux_memberships_group", &["group_id", "person_id"], true),
            index("memberships", "ux_memberships_committee", &["committee_id", "person_id"], true),
            index("memberships", "ux_memberships_grid", &["grid_id", "person_id", "role"], true),
            index("memberships", "ux_memberships_role", &["role_name_id", "person_id"], true),
            index("memberships", "ix_memberships_person", &["person_id", "kind"], false),
        ] {
            m.create_index(i).await?;
        }
        let mut copied = 0;
        for t in &REPLACED {
            let rows = crate::db::scalar_i64(c, &format!("SELECT count(*) FROM {}", t.table), vec![]).await?;
            c.execute_unprepared(&format!(
                "INSERT INTO memberships (id, kind, {owner}, person_id, role, sort, created_at) \
                 SELECT {copied} + ROW_NUMBER() OVER (ORDER BY id), '{kind}', {owner}, person_id, {role}, {sort}, \
                 {created_at} FROM {table}",
                owner = t.owner,
                kind = t.kind,
                role = t.role,
                sort = t.sort,
                created_at = t.created_at,
                table = t.table,
            ))
            .await?;
            copied += rows;
        }
        let now = crate::db::scalar_i64(c, "SELECT count(*) FROM memberships", vec![]).await?;
        if now != copied {
            return Err(DbErr::Migration(format!("m0007_membership：应复制 {copied} 行，实际 {now} 行，迁移已停止")));
        }
        for t in &REPLACED {
            c.execute_unprepared(&format!("DROP TABLE {}", t.table)).await?;
        }
        // The ids were given here: the next new row takes the one after the last.
        if c.get_database_backend() == DbBackend::Postgres {
            c.execute_unprepared(
                "SELECT setval(pg_get_serial_sequence('memberships', 'id'), COALESCE(max(id), 0) + 1, false) \
                 FROM memberships",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("m0007_membership 不可回滚：请用备份恢复".into()))
    }

    /// One transaction on SQLite too (sea-orm-migration's default there is none).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
