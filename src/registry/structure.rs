//! The registry's structure (REG-2, 4, 5, 6, 7): committees, groups, contact links
//! (常委会组成人员 ↔ 代表) with coverage, grids and configurable role names. Their members
//! are kept by the one membership service, `membership`.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::membership::MemberRow;
use super::persons::*;

use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::registry::records::audit_change;

// ---- structure (groups, committees, links, grids, roles)
//
// REG-2 committees, REG-4 groups, REG-5 contact links (常委会组成人员 ↔ 代表) with coverage,
// REG-6 grids, REG-7 configurable role names. Every write is audited on the structure record
// it changes.

/// 代表团 / 代表小组 / 专业代表小组 (行业小组).
pub const GROUP_KINDS: [(&str, &str); 3] =
    [("delegation", "代表团"), ("area_group", "代表小组"), ("professional_group", "专业代表小组")];
/// 常委会, 专门委员会, 工作委员会, 办公室 (REG-2).
pub const COMMITTEE_KINDS: [(&str, &str); 4] =
    [("standing", "常委会"), ("special", "专门委员会"), ("working", "工作委员会"), ("office", "办公室")];
/// Contact link kind: a 常委会组成人员 linked with a deputy (双联系).
pub const LINK_MEMBER_DEPUTY: &str = "member_deputy";

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct GroupRow {
    pub id: i64,
    pub organ_id: i64,
    pub organ_path: String,
    pub kind: String,
    pub name: String,
    pub area_id: Option<i64>,
    pub area_name: Option<String>,
    pub committee_id: Option<i64>,
    pub committee_name: Option<String>,
    pub members: i64,
}

const GROUP_SELECT: &str = "SELECT g.id, g.organ_id, o.path AS organ_path, g.kind, g.name, g.area_id, \
     a.name AS area_name, g.committee_id, c.name AS committee_name, \
     (SELECT count(*) FROM memberships m WHERE m.group_id = g.id) AS members \
     FROM deputy_groups g JOIN organs o ON o.id = g.organ_id LEFT JOIN areas a ON a.id = g.area_id \
     LEFT JOIN committees c ON c.id = g.committee_id";

/// Groups of the organs under a path, by kind and name.
pub async fn groups<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<GroupRow>, DbErr> {
    db::query_all(
        c,
        &format!("{GROUP_SELECT} WHERE o.path LIKE $1 ESCAPE '\\' ORDER BY g.kind, g.name, g.id"),
        vec![like_prefix(organ_path)],
    )
    .await
}

pub async fn group<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<GroupRow>, DbErr> {
    db::query_one(c, &format!("{GROUP_SELECT} WHERE g.id = $1"), vec![id.into()]).await
}

/// A new group: kind (`GROUP_KINDS`), name, optional area and 对口联系 committee.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GroupInput {
    pub kind: String,
    pub name: String,
    pub area_id: Option<i64>,
    pub committee_id: Option<i64>,
}

pub async fn create_group<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    input: &GroupInput,
) -> Result<i64, AppError> {
    let (kind, area_id, committee_id) = (input.kind.as_str(), input.area_id, input.committee_id);
    let mut f = Vec::new();
    if !GROUP_KINDS.iter().any(|(k, _)| *k == kind) {
        field(&mut f, "kind", "请选择小组类别");
    }
    let name = input.name.trim().to_string();
    if !(2..=40).contains(&name.chars().count()) {
        field(&mut f, "name", "小组名称应为 2 至 40 个字");
    }
    if let Some(a) = area_id
        && crate::org::area(c, a).await?.is_none()
    {
        field(&mut f, "area_id", "所选区划不存在");
    }
    if let Some(cm) = committee_id
        && db::scalar_i64(c, "SELECT count(*) FROM committees WHERE id = $1", vec![cm.into()]).await? == 0
    {
        field(&mut f, "committee_id", "所选委员会不存在");
    }
    if f.iter().all(|e| e.field != "name")
        && db::scalar_i64(
            c,
            "SELECT count(*) FROM deputy_groups WHERE organ_id = $1 AND name = $2",
            vec![organ_id.into(), name.clone().into()],
        )
        .await?
            > 0
    {
        field(&mut f, "name", "本机关已有同名小组");
    }
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO deputy_groups (organ_id, kind, name, area_id, committee_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![organ_id.into(), kind.into(), name.clone().into(), area_id.into(), committee_id.into(), db::now().into()],
    )
    .await?;
    let said = format!("新建{} {name}", crate::org::label(&GROUP_KINDS, kind));
    audit_change(c, (key, actor), "group_create", "deputy_group", id, organ_id, said).await?;
    Ok(id)
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct CommitteeRow {
    pub id: i64,
    pub organ_id: i64,
    pub organ_path: String,
    pub organ_name: String,
    pub kind: String,
    pub name: String,
    pub members: i64,
}

const COMMITTEE_SELECT: &str = "SELECT c.id, c.organ_id, o.path AS organ_path, o.name AS organ_name, c.kind, c.name, \
     (SELECT count(*) FROM memberships m WHERE m.committee_id = c.id) AS members \
     FROM committees c JOIN organs o ON o.id = c.organ_id";

pub async fn committees<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<CommitteeRow>, DbErr> {
    db::query_all(
        c,
        &format!(
            "{COMMITTEE_SELECT} WHERE o.path LIKE $1 ESCAPE '\\' ORDER BY o.path, CASE c.kind WHEN 'standing' THEN 0 \
             WHEN 'special' THEN 1 WHEN 'working' THEN 2 ELSE 3 END, c.sort, c.id"
        ),
        vec![like_prefix(organ_path)],
    )
    .await
}

pub async fn committee<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<CommitteeRow>, DbErr> {
    db::query_one(c, &format!("{COMMITTEE_SELECT} WHERE c.id = $1"), vec![id.into()]).await
}

pub async fn create_committee<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    kind: &str,
    name: &str,
) -> Result<i64, AppError> {
    let mut f = Vec::new();
    if !COMMITTEE_KINDS.iter().any(|(k, _)| *k == kind) {
        field(&mut f, "kind", "请选择机构类别");
    }
    let name = name.trim().to_string();
    if !(2..=40).contains(&name.chars().count()) {
        field(&mut f, "name", "名称应为 2 至 40 个字");
    } else if db::scalar_i64(
        c,
        "SELECT count(*) FROM committees WHERE organ_id = $1 AND name = $2",
        vec![organ_id.into(), name.clone().into()],
    )
    .await?
        > 0
    {
        field(&mut f, "name", "本机关已有同名机构");
    }
    if kind == "standing"
        && db::scalar_i64(
            c,
            "SELECT count(*) FROM committees WHERE organ_id = $1 AND kind = 'standing'",
            vec![organ_id.into()],
        )
        .await?
            > 0
    {
        field(&mut f, "kind", "本机关已登记常委会");
    }
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let sort = db::scalar_i64(c, "SELECT count(*) FROM committees WHERE organ_id = $1", vec![organ_id.into()]).await?;
    let id = db::insert_id(
        c,
        "INSERT INTO committees (organ_id, kind, name, sort) VALUES ($1, $2, $3, $4)",
        vec![organ_id.into(), kind.into(), name.clone().into(), sort.into()],
    )
    .await?;
    let said = format!("新建{} {name}", crate::org::label(&COMMITTEE_KINDS, kind));
    audit_change(c, (key, actor), "committee_create", "committee", id, organ_id, said).await?;
    Ok(id)
}

/// 常委会组成人员 of the organs under a path: (person id, name, position).
pub async fn standing_members<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<MemberRow>, DbErr> {
    db::query_all(
        c,
        "SELECT cm.id, cm.person_id, p.name, cm.role FROM memberships cm \
         JOIN committees c ON c.id = cm.committee_id JOIN organs o ON o.id = c.organ_id \
         JOIN persons p ON p.id = cm.person_id WHERE c.kind = 'standing' AND o.path LIKE $1 ESCAPE '\\' \
         ORDER BY o.path, cm.sort, cm.id",
        vec![like_prefix(organ_path)],
    )
    .await
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct LinkRow {
    pub id: i64,
    pub organ_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub deputy_id: i64,
    pub deputy_name: String,
}

/// 常委会组成人员 ↔ 代表 links of the organs under a path.
pub async fn member_links<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<LinkRow>, DbErr> {
    db::query_all(
        c,
        "SELECT l.id, l.organ_id, l.person_id AS member_id, m.name AS member_name, d.id AS deputy_id, \
         d.name AS deputy_name FROM contact_links l JOIN organs o ON o.id = l.organ_id \
         JOIN persons m ON m.id = l.person_id JOIN persons d ON d.id = l.deputy_id \
         WHERE l.kind = $1 AND o.path LIKE $2 ESCAPE '\\' ORDER BY m.name, l.person_id, d.name, l.id",
        vec![LINK_MEMBER_DEPUTY.into(), like_prefix(organ_path)],
    )
    .await
}

/// Links a 常委会组成人员 with a deputy. Linking the same pair twice is refused.
pub async fn create_member_link<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    member_id: i64,
    deputy_id: i64,
) -> Result<i64, AppError> {
    let mut f = Vec::new();
    let is_member = db::scalar_i64(
        c,
        "SELECT count(*) FROM memberships cm JOIN committees c ON c.id = cm.committee_id \
         WHERE cm.person_id = $1 AND c.kind = 'standing'",
        vec![member_id.into()],
    )
    .await?
        > 0;
    if !is_member {
        field(&mut f, "member", "请选择常委会组成人员");
    }
    if person(c, deputy_id).await?.is_none() {
        field(&mut f, "person", "没有这位代表");
    } else if db::scalar_i64(
        c,
        "SELECT count(*) FROM mandates WHERE person_id = $1 AND status = 'serving'",
        vec![deputy_id.into()],
    )
    .await?
        == 0
    {
        field(&mut f, "person", "这位人员没有在任的代表资格");
    }
    if member_id == deputy_id {
        field(&mut f, "person", "不能与本人建立联系");
    }
    if f.is_empty()
        && db::scalar_i64(
            c,
            "SELECT count(*) FROM contact_links WHERE kind = $1 AND person_id = $2 AND deputy_id = $3",
            vec![LINK_MEMBER_DEPUTY.into(), member_id.into(), deputy_id.into()],
        )
        .await?
            > 0
    {
        field(&mut f, "person", "已建立联系，无需重复添加");
    }
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO contact_links (organ_id, kind, person_id, deputy_id, voter_name_enc, voter_note, created_at) \
         VALUES ($1, $2, $3, $4, NULL, '', $5)",
        vec![organ_id.into(), LINK_MEMBER_DEPUTY.into(), member_id.into(), deputy_id.into(), db::now().into()],
    )
    .await?;
    let said = format!("组成人员 #{member_id} 联系代表 #{deputy_id}");
    audit_change(c, (key, actor), "contact_link_create", "contact_link", id, organ_id, said).await?;
    Ok(id)
}

pub async fn remove_link<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, link_id: i64) -> Result<(), AppError> {
    let rows = db::query_rows(
        c,
        "SELECT organ_id, person_id, deputy_id FROM contact_links WHERE id = $1",
        vec![link_id.into()],
    )
    .await?;
    let row = rows.first().ok_or(AppError::NotFound)?;
    let organ_id: i64 = row.try_get_by_index(0)?;
    let member_id: i64 = row.try_get_by_index(1)?;
    let deputy_id: Option<i64> = row.try_get_by_index(2)?;
    db::exec(c, "DELETE FROM contact_links WHERE id = $1", vec![link_id.into()]).await?;
    let said = format!("解除组成人员 #{member_id} 与代表 #{} 的联系", deputy_id.unwrap_or_default());
    audit_change(c, (key, actor), "contact_link_delete", "contact_link", link_id, organ_id, said).await?;
    Ok(())
}

/// Coverage of 双联系: (serving deputies registered under the path, of whom linked with a
/// 常委会组成人员).
pub async fn link_coverage<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<(i64, i64), DbErr> {
    coverage(c, organ_path, "l.deputy_id", LINK_MEMBER_DEPUTY).await
}

/// (Serving deputies registered under the path, of whom named in `column` of a contact link of
/// `kind`.)
pub(crate) async fn coverage<C: ConnectionTrait>(
    c: &C,
    organ_path: &str,
    column: &str,
    kind: &str,
) -> Result<(i64, i64), DbErr> {
    let base = "FROM persons p JOIN organs o ON o.id = p.organ_id WHERE o.path LIKE $1 ESCAPE '\\' \
         AND EXISTS (SELECT 1 FROM mandates m WHERE m.person_id = p.id AND m.status = 'serving')";
    let total = db::scalar_i64(c, &format!("SELECT count(*) {base}"), vec![like_prefix(organ_path)]).await?;
    let linked = db::scalar_i64(
        c,
        &format!(
            "SELECT count(*) {base} AND EXISTS (SELECT 1 FROM contact_links l WHERE {column} = p.id AND l.kind = $2)"
        ),
        vec![like_prefix(organ_path), kind.into()],
    )
    .await?;
    Ok((total, linked))
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct GridRow {
    pub id: i64,
    pub organ_id: i64,
    pub organ_path: String,
    pub area_id: i64,
    pub area_name: String,
    pub name: String,
    pub gridders: i64,
    pub supervisors: i64,
}

const GRID_SELECT: &str = "SELECT g.id, g.organ_id, o.path AS organ_path, g.area_id, a.name AS area_name, g.name, \
     (SELECT count(*) FROM memberships m WHERE m.grid_id = g.id AND m.role = 'gridder') AS gridders, \
     (SELECT count(*) FROM memberships m WHERE m.grid_id = g.id AND m.role = 'supervisor') AS supervisors \
     FROM grids g JOIN organs o ON o.id = g.organ_id JOIN areas a ON a.id = g.area_id";

pub async fn grids<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<GridRow>, DbErr> {
    db::query_all(
        c,
        &format!("{GRID_SELECT} WHERE o.path LIKE $1 ESCAPE '\\' ORDER BY a.path, g.name, g.id"),
        vec![like_prefix(organ_path)],
    )
    .await
}

pub async fn grid<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<GridRow>, DbErr> {
    db::query_one(c, &format!("{GRID_SELECT} WHERE g.id = $1"), vec![id.into()]).await
}

pub async fn create_grid<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    area_id: i64,
    name: &str,
) -> Result<i64, AppError> {
    let mut f = Vec::new();
    let name = name.trim().to_string();
    if !(2..=40).contains(&name.chars().count()) {
        field(&mut f, "name", "网格名称应为 2 至 40 个字");
    }
    if crate::org::area(c, area_id).await?.is_none() {
        field(&mut f, "area_id", "请选择网格所在区划");
    }
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO grids (organ_id, area_id, name) VALUES ($1, $2, $3)",
        vec![organ_id.into(), area_id.into(), name.clone().into()],
    )
    .await?;
    audit_change(c, (key, actor), "grid_create", "grid", id, organ_id, format!("新建网格 {name}")).await?;
    Ok(id)
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct RoleNameRow {
    pub id: i64,
    /// `None` for the names every organ shares.
    pub organ_id: Option<i64>,
    pub name: String,
    pub holders: i64,
}

/// Role names usable at the organs under a path: the shared ones and the organs' own.
pub async fn role_names<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Vec<RoleNameRow>, DbErr> {
    db::query_all(
        c,
        "SELECT r.id, r.organ_id, r.name, (SELECT count(*) FROM memberships a \
         JOIN persons p ON p.id = a.person_id JOIN organs po ON po.id = p.organ_id \
         WHERE a.role_name_id = r.id AND po.path LIKE $1 ESCAPE '\\') \
         AS holders FROM role_names r LEFT JOIN organs o ON o.id = r.organ_id \
         WHERE r.organ_id IS NULL OR o.path LIKE $1 ESCAPE '\\' ORDER BY r.id",
        vec![like_prefix(organ_path)],
    )
    .await
}

pub async fn role_name<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<RoleNameRow>, DbErr> {
    db::query_one(
        c,
        "SELECT r.id, r.organ_id, r.name, (SELECT count(*) FROM memberships a WHERE a.role_name_id = r.id) \
         AS holders FROM role_names r WHERE r.id = $1",
        vec![id.into()],
    )
    .await
}

pub async fn create_role_name<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    organ_path: &str,
    name: &str,
) -> Result<i64, AppError> {
    let name = name.trim().to_string();
    if !(2..=20).contains(&name.chars().count()) {
        return Err(AppError::invalid("name", "角色名称应为 2 至 20 个字"));
    }
    if role_names(c, organ_path).await?.iter().any(|r| r.name == name) {
        return Err(AppError::invalid("name", "已有这个角色名称"));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO role_names (organ_id, name) VALUES ($1, $2)",
        vec![organ_id.into(), name.clone().into()],
    )
    .await?;
    audit_change(c, (key, actor), "role_name_create", "role_name", id, organ_id, format!("新增角色名称 {name}"))
        .await?;
    Ok(id)
}
