//! One membership service for the registry's structure (REG-2, 4, 6, 7): the members of a
//! group (代表小组), of a committee (委员会) and of a grid (网格), and the holders of a role
//! name (履职角色), are rows of one table, `memberships` (migration `m0007_membership`).
//!
//! A row names its owner in one of four columns — `group_id`, `committee_id`, `grid_id`,
//! `role_name_id` — so that each keeps its foreign key; `kind` says which one is set (a
//! CHECK keeps the two in step). `role` is the role held there (a group role or grid role
//! code, a committee position, empty for a role name), `sort` its place in the kind's list of
//! roles, `created_at` when the row was added (empty for rows older than the table).
//!
//! A [`Kind`] describes each kind once: its owner table and column, the roles its members
//! hold, whether a person may hold several of them in one owner, how members are ordered,
//! where the owner is authorised and how changes are audited. Listing, adding and removing
//! members are written once, below; their console pages are `membership_pages`.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::persons::{like_prefix, person};
use crate::app::error::AppError;
use crate::audit::{self, Actor, Change};
use crate::db;

/// Roles in a group (REG-4), in the order members are listed.
pub const GROUP_ROLES: [(&str, &str); 4] =
    [("convener", "召集人"), ("leader", "组长"), ("deputy_leader", "副组长"), ("member", "成员")];
/// Positions in a committee (REG-2), in the order members are listed.
pub const COMMITTEE_POSITIONS: [&str; 8] =
    ["主任", "副主任", "秘书长", "委员", "主任委员", "副主任委员", "工作人员", "其他"];
/// Roles in a grid (REG-6): a deputy may hold both in one grid.
pub const GRID_ROLES: [(&str, &str); 2] = [("gridder", "网格员"), ("supervisor", "监督员")];

/// The role a member holds in the owning record.
pub enum Roles {
    /// None: being a member is all there is (a role name's holders).
    None,
    /// One of a list of codes, stored as the code and shown by its label.
    Codes {
        /// The form field it comes in, named by its error.
        field: &'static str,
        list: &'static [(&'static str, &'static str)],
        /// Offered first on the form.
        default: &'static str,
        /// Said when the code is not one of the list.
        missing: &'static str,
    },
    /// One of a list of titles, stored and shown as written.
    Titles { field: &'static str, list: &'static [&'static str], default: &'static str, what: &'static str },
}

impl Roles {
    /// The form field the role comes in (none when there is no role).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Roles::None => None,
            Roles::Codes { field, .. } | Roles::Titles { field, .. } => Some(field),
        }
    }

    /// The role offered first on the form.
    pub fn default(&self) -> &'static str {
        match self {
            Roles::None => "",
            Roles::Codes { default, .. } | Roles::Titles { default, .. } => default,
        }
    }

    /// (value, label) of every role, in their order.
    pub fn options(&self) -> Vec<(&'static str, &'static str)> {
        match self {
            Roles::None => Vec::new(),
            Roles::Codes { list, .. } => list.to_vec(),
            Roles::Titles { list, .. } => list.iter().map(|t| (*t, *t)).collect(),
        }
    }

    /// How a stored role is shown.
    pub fn label<'a>(&self, stored: &'a str) -> &'a str {
        match self {
            Roles::None => "",
            Roles::Codes { list, .. } => crate::org::label(list, stored),
            Roles::Titles { .. } => stored,
        }
    }

    /// The role as stored and its place in the list (`sort`), or the field's error.
    fn check(&self, typed: &str) -> Result<(String, i64), AppError> {
        let typed = typed.trim();
        match self {
            Roles::None => Ok((String::new(), 0)),
            Roles::Codes { field, list, missing, .. } => match list.iter().position(|(code, _)| *code == typed) {
                Some(i) => Ok((typed.to_string(), i as i64)),
                None => Err(AppError::invalid(field, *missing)),
            },
            Roles::Titles { field, list, what, .. } => match list.iter().position(|t| *t == typed) {
                Some(i) => Ok((typed.to_string(), i as i64)),
                None => Err(AppError::invalid(field, format!("{what}应为：{}", list.join("、")))),
            },
        }
    }
}

/// Where the owner of a membership is authorised and its members are found and shown.
pub enum Scope {
    /// At the owner's organ (groups, committees, grids).
    Owner,
    /// At the caller's organ: the owner may be shared by every organ (the preset role names),
    /// so each organ sees and changes only the holders it registers.
    Caller,
}

/// What a membership change is recorded on in the audit log.
pub enum AuditOn {
    /// The owning record, as this target type (its organ is the entry's organ).
    Owner(&'static str),
    /// The person (the acting organ is the entry's organ).
    Person,
}

/// What an audit summary may say: the person's number, the role's label, the owner's name.
pub struct Said<'a> {
    pub person_id: i64,
    pub role: &'a str,
    pub owner: &'a str,
}

pub struct Audit {
    pub on: AuditOn,
    /// Action codes (their labels are the registry's `AUDIT_LABELS`).
    pub added: &'static str,
    pub removed: &'static str,
    pub said_added: fn(&Said) -> String,
    pub said_removed: fn(&Said) -> String,
}

/// One kind of membership.
pub struct Kind {
    /// `memberships.kind`.
    pub code: &'static str,
    /// The owners' table, and the column of `memberships` that names one of them.
    pub owner_table: &'static str,
    pub owner_column: &'static str,
    pub roles: Roles,
    /// A person may hold several roles in one owner, one row each (网格员 and 监督员 of one
    /// grid), and a member is removed by the row's id. Otherwise a person is a member once and
    /// is removed by their person id.
    pub row_per_role: bool,
    /// Members are listed by their role's place, then by name when true, then as added.
    pub by_name: bool,
    pub scope: Scope,
    pub audit: Audit,
}

impl Kind {
    /// Adding a member again changes their role (and is audited) where a person holds one
    /// role in the owner; elsewhere it changes nothing.
    fn again_changes_role(&self) -> bool {
        !self.row_per_role && !matches!(self.roles, Roles::None)
    }
}

/// 代表团 / 代表小组 / 专业代表小组 and their members.
pub const GROUP: Kind = Kind {
    code: "group",
    owner_table: "deputy_groups",
    owner_column: "group_id",
    roles: Roles::Codes { field: "role", list: &GROUP_ROLES, default: "member", missing: "请选择组内职务" },
    row_per_role: false,
    by_name: true,
    scope: Scope::Owner,
    audit: Audit {
        on: AuditOn::Owner("deputy_group"),
        added: "group_member_add",
        removed: "group_member_remove",
        said_added: |s| format!("代表 #{} 为{}", s.person_id, s.role),
        said_removed: |s| format!("代表 #{} 退出小组", s.person_id),
    },
};

/// 常委会, 专门委员会 … and their members with their positions.
pub const COMMITTEE: Kind = Kind {
    code: "committee",
    owner_table: "committees",
    owner_column: "committee_id",
    roles: Roles::Titles { field: "position", list: &COMMITTEE_POSITIONS, default: "委员", what: "职务" },
    row_per_role: false,
    by_name: false,
    scope: Scope::Owner,
    audit: Audit {
        on: AuditOn::Owner("committee"),
        added: "committee_member_add",
        removed: "committee_member_remove",
        said_added: |s| format!("人员 #{} 任{}", s.person_id, s.role),
        said_removed: |s| format!("人员 #{} 离任", s.person_id),
    },
};

/// 网格 and their 网格员 and 监督员.
pub const GRID: Kind = Kind {
    code: "grid",
    owner_table: "grids",
    owner_column: "grid_id",
    roles: Roles::Codes {
        field: "role", list: &GRID_ROLES, default: "gridder", missing: "请选择网格员或监督员"
    },
    row_per_role: true,
    by_name: true,
    scope: Scope::Owner,
    audit: Audit {
        on: AuditOn::Owner("grid"),
        added: "grid_member_add",
        removed: "grid_member_remove",
        said_added: |s| format!("代表 #{} 任{}", s.person_id, s.role),
        said_removed: |s| format!("代表 #{} 不再任{}", s.person_id, s.role),
    },
};

/// Role names (联络员, 信息采集员 …) and who holds them.
pub const ROLE: Kind = Kind {
    code: "role",
    owner_table: "role_names",
    owner_column: "role_name_id",
    roles: Roles::None,
    row_per_role: false,
    by_name: true,
    scope: Scope::Caller,
    audit: Audit {
        on: AuditOn::Person,
        added: "role_assign",
        removed: "role_unassign",
        said_added: |s| format!("担任{}", s.owner),
        said_removed: |s| format!("不再担任{}", s.owner),
    },
};

/// Every kind, for code that goes over them all.
pub const KINDS: [&Kind; 4] = [&GROUP, &COMMITTEE, &GRID, &ROLE];

/// The record members belong to: a group, committee, grid or role name.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Owner {
    pub id: i64,
    pub name: String,
    /// `None` for a role name every organ shares.
    pub organ_id: Option<i64>,
    pub organ_path: Option<String>,
}

pub async fn owner<C: ConnectionTrait>(c: &C, kind: &Kind, id: i64) -> Result<Option<Owner>, DbErr> {
    db::query_one(
        c,
        &format!(
            "SELECT x.id, x.name, x.organ_id, o.path AS organ_path FROM {} x LEFT JOIN organs o ON o.id = x.organ_id \
             WHERE x.id = $1",
            kind.owner_table
        ),
        vec![id.into()],
    )
    .await
}

/// A member row: the row id, the person and the role as stored.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct MemberRow {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub role: String,
}

/// The members of an owner in the kind's order; with `registered_under`, only persons
/// registered at the organs under that path.
pub async fn members<C: ConnectionTrait>(
    c: &C,
    kind: &Kind,
    owner_id: i64,
    registered_under: Option<&str>,
) -> Result<Vec<MemberRow>, DbErr> {
    let mut values = vec![owner_id.into()];
    let (join, under) = match registered_under {
        Some(path) => {
            values.push(like_prefix(path));
            (" JOIN organs po ON po.id = p.organ_id", " AND po.path LIKE $2 ESCAPE '\\'")
        }
        None => ("", ""),
    };
    let sql = format!(
        "SELECT m.id, m.person_id, p.name, m.role FROM memberships m JOIN persons p ON p.id = m.person_id{join} \
         WHERE m.{col} = $1{under} ORDER BY m.sort, {name}m.id",
        col = kind.owner_column,
        name = if kind.by_name { "p.name, " } else { "" }
    );
    db::query_all(c, &sql, values).await
}

/// Who joins what: the owner, the person and the role typed for them.
pub struct Joining<'a> {
    pub owner_id: i64,
    pub person_id: i64,
    pub role: &'a str,
}

/// Adds a member, audited. Adding someone again changes their role where a person holds one
/// role in the owner (groups, committees: audited again); elsewhere it changes nothing and
/// answers `false`. `acting_organ` is the organ the change is made from.
pub async fn add<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    kind: &Kind,
    acting_organ: i64,
    j: Joining<'_>,
) -> Result<bool, AppError> {
    let owner = owner(c, kind, j.owner_id).await?.ok_or(AppError::NotFound)?;
    let (role, sort) = kind.roles.check(j.role)?;
    if person(c, j.person_id).await?.is_none() {
        return Err(AppError::invalid("person", "没有这位代表"));
    }
    let col = kind.owner_column;
    let (owner_id, person_id) = (j.owner_id, j.person_id);
    let updated = if kind.again_changes_role() {
        db::exec(
            c,
            &format!("UPDATE memberships SET role = $3, sort = $4 WHERE {col} = $1 AND person_id = $2"),
            vec![owner_id.into(), person_id.into(), role.clone().into(), sort.into()],
        )
        .await?
    } else {
        let mut sql = format!("SELECT count(*) FROM memberships WHERE {col} = $1 AND person_id = $2");
        let mut values = vec![owner_id.into(), person_id.into()];
        if kind.row_per_role {
            sql.push_str(" AND role = $3");
            values.push(role.clone().into());
        }
        if db::scalar_i64(c, &sql, values).await? > 0 {
            return Ok(false);
        }
        0
    };
    if updated == 0 {
        db::exec(
            c,
            &format!(
                "INSERT INTO memberships (kind, {col}, person_id, role, sort, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
            ),
            vec![kind.code.into(), owner_id.into(), person_id.into(), role.clone().into(), sort.into(), db::now().into()],
        )
        .await?;
    }
    let said = Said { person_id: j.person_id, role: kind.roles.label(&role), owner: &owner.name };
    let change = change(kind, acting_organ, &owner, j.person_id, kind.audit.added, (kind.audit.said_added)(&said));
    audit::append(c, key, actor, change).await?;
    Ok(true)
}

/// Removes a member, audited: `member` is the person's id, or the row's id where a person
/// may hold several roles in the owner (`row_per_role`). An unknown member is a 404.
pub async fn remove<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    kind: &Kind,
    acting_organ: i64,
    owner_id: i64,
    member: i64,
) -> Result<(), AppError> {
    let owner = owner(c, kind, owner_id).await?.ok_or(AppError::NotFound)?;
    let by = if kind.row_per_role { "id" } else { "person_id" };
    let rows = db::query_rows(
        c,
        &format!("SELECT id, person_id, role FROM memberships WHERE {} = $1 AND {by} = $2", kind.owner_column),
        vec![owner_id.into(), member.into()],
    )
    .await?;
    let row = rows.first().ok_or(AppError::NotFound)?;
    let (id, person_id, role): (i64, i64, String) =
        (row.try_get_by_index(0)?, row.try_get_by_index(1)?, row.try_get_by_index(2)?);
    db::exec(c, "DELETE FROM memberships WHERE id = $1", vec![id.into()]).await?;
    let said = Said { person_id, role: kind.roles.label(&role), owner: &owner.name };
    let change = change(kind, acting_organ, &owner, person_id, kind.audit.removed, (kind.audit.said_removed)(&said));
    audit::append(c, key, actor, change).await?;
    Ok(())
}

/// The audit entry of a change: on the owner (at its organ) or on the person (at the acting
/// organ), as the kind says.
fn change<'a>(
    kind: &Kind,
    acting_organ: i64,
    owner: &Owner,
    person_id: i64,
    action: &'a str,
    summary: String,
) -> Change<'a> {
    let (target_type, target_id, organ_id) = match kind.audit.on {
        AuditOn::Owner(target) => (target, owner.id, owner.organ_id.unwrap_or(acting_organ)),
        AuditOn::Person => ("person", person_id, acting_organ),
    };
    Change { action, target_type, target_id: target_id.to_string(), organ_id: Some(organ_id), summary }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::migrations::m0007_membership::REPLACED;

    #[test]
    fn every_kind_is_one_the_table_was_made_for() {
        for kind in KINDS {
            assert!(
                REPLACED.iter().any(|t| t.kind == kind.code && t.owner == kind.owner_column),
                "{} / {}",
                kind.code,
                kind.owner_column
            );
        }
        assert_eq!(KINDS.len(), REPLACED.len());
    }

    #[test]
    fn roles_are_stored_with_their_place_as_the_migration_ranked_them() {
        let sort = |kind: &Kind, role: &str| kind.roles.check(role).map(|(_, s)| s).ok();
        for (role, rank) in [("convener", 0), ("leader", 1), ("deputy_leader", 2), ("member", 3)] {
            assert_eq!(sort(&GROUP, role), Some(rank), "{role}");
        }
        assert_eq!((sort(&GRID, "gridder"), sort(&GRID, "supervisor")), (Some(0), Some(1)));
        assert_eq!((sort(&COMMITTEE, " 主任 "), sort(&COMMITTEE, "委员")), (Some(0), Some(3)));
        assert_eq!(sort(&ROLE, "anything"), Some(0));
        assert!(sort(&GROUP, "boss").is_none() && sort(&GRID, "").is_none() && sort(&COMMITTEE, "主席").is_none());
        assert_eq!(GROUP.roles.label("deputy_leader"), "副组长");
        assert_eq!(COMMITTEE.roles.label("秘书长"), "秘书长");
    }
}
