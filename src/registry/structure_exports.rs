//! List exports of the registry's structure (PLAT-15): groups, committees (one row per
//! member), contact links (no voter contacts), grids (one row per member) and role names, as
//! .xlsx or .csv, honouring the organ subtree.

use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::app::error::AppResult;
use crate::app::listing::download;
use crate::app::state::AppState;
use crate::auth::Action;
use crate::db;
use crate::export::Cell;
use crate::registry::membership::GRID_ROLES;
use crate::registry::structure::{COMMITTEE_KINDS, GROUP_KINDS};

use super::console::check_registry;
use crate::app::caller::Caller;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/groups/export", get(groups_export))
        .route("/console/registry/committees/export", get(committees_export))
        .route("/console/registry/links/export", get(links_export))
        .route("/console/registry/grids/export", get(grids_export))
        .route("/console/registry/roles/export", get(roles_export))
}

// ------------------------------------------------------------------ list exports (PLAT-15)

/// `?format=xlsx|csv` of a structure list. These pages have no filters yet; other query
/// parameters are ignored, so a filtered link stays valid once they get some.
#[derive(Deserialize, Default)]
struct ExportQuery {
    format: Option<String>,
}

fn like_prefix(path: &str) -> sea_orm::Value {
    format!("{}%", db::like_escape(path)).into()
}

fn text_at(r: &sea_orm::QueryResult, i: usize) -> AppResult<Cell> {
    Ok(Cell::Text(r.try_get_by_index::<String>(i)?))
}

/// One row per group, in the page's order (by kind, then name).
async fn groups_export(Caller { p, s, ip }: Caller, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "groups-export").await?;
    let all = crate::registry::structure::groups(&s.db, &p.organ_path).await?;
    let mut rows = Vec::new();
    for (k, label) in GROUP_KINDS {
        for g in all.iter().filter(|g| g.kind == k) {
            rows.push(vec![
                Cell::Text(label.into()),
                Cell::Text(g.name.clone()),
                Cell::from(g.area_name.clone()),
                Cell::from(g.committee_name.clone()),
                Cell::Int(g.members),
            ]);
        }
    }
    Ok(download(q.format.as_deref(), "代表小组", &["类别", "名称", "区划", "对口联系", "成员数"], rows))
}

/// One row per committee member, committees in the page's order, members by position.
async fn committees_export(Caller { p, s, ip }: Caller, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "committees-export").await?;
    let found = db::query_rows(
        &s.db,
        "SELECT c.name, c.kind, o.name, p.name, cm.role FROM memberships cm \
         JOIN committees c ON c.id = cm.committee_id JOIN organs o ON o.id = c.organ_id \
         JOIN persons p ON p.id = cm.person_id WHERE o.path LIKE $1 ESCAPE '\\' \
         ORDER BY o.path, CASE c.kind WHEN 'standing' THEN 0 WHEN 'special' THEN 1 WHEN 'working' THEN 2 ELSE 3 END, \
         c.sort, c.id, cm.sort, cm.id",
        vec![like_prefix(&p.organ_path)],
    )
    .await?;
    let mut rows = Vec::with_capacity(found.len());
    for r in &found {
        let kind = r.try_get_by_index::<String>(1)?;
        rows.push(vec![
            text_at(r, 0)?,
            Cell::Text(crate::org::label(&COMMITTEE_KINDS, &kind).to_string()),
            text_at(r, 2)?,
            text_at(r, 3)?,
            text_at(r, 4)?,
        ]);
    }
    Ok(download(q.format.as_deref(), "委员会组成人员", &["委员会", "类别", "机关", "姓名", "职务"], rows))
}

/// One row per 常委会组成人员 ↔ 代表 link. The deputies' fixed voter contacts are private
/// and are not exported.
async fn links_export(Caller { p, s, ip }: Caller, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "links-export").await?;
    let rows = crate::registry::structure::member_links(&s.db, &p.organ_path)
        .await?
        .into_iter()
        .map(|k| vec![Cell::Text(k.member_name), Cell::Text(k.deputy_name)])
        .collect();
    Ok(download(q.format.as_deref(), "双联系名单", &["组成人员", "联系代表"], rows))
}

/// One row per grid member (网格员 or 监督员), grids in the page's order.
async fn grids_export(Caller { p, s, ip }: Caller, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "grids-export").await?;
    let found = db::query_rows(
        &s.db,
        "SELECT g.name, a.name, p.name, gm.role FROM memberships gm JOIN grids g ON g.id = gm.grid_id \
         JOIN organs o ON o.id = g.organ_id JOIN areas a ON a.id = g.area_id JOIN persons p ON p.id = gm.person_id \
         WHERE o.path LIKE $1 ESCAPE '\\' AND gm.role IN ('gridder', 'supervisor') \
         ORDER BY a.path, g.name, g.id, gm.role, p.name, gm.id",
        vec![like_prefix(&p.organ_path)],
    )
    .await?;
    let mut rows = Vec::with_capacity(found.len());
    for r in &found {
        let role = r.try_get_by_index::<String>(3)?;
        rows.push(vec![
            text_at(r, 0)?,
            text_at(r, 1)?,
            text_at(r, 2)?,
            Cell::Text(crate::org::label(&GRID_ROLES, &role).to_string()),
        ]);
    }
    Ok(download(q.format.as_deref(), "网格人员", &["网格", "区划", "姓名", "职责"], rows))
}

/// One row per role assignment: the role names the page lists, holders registered in the
/// caller's organ tree (as the role's own page shows them).
async fn roles_export(Caller { p, s, ip }: Caller, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "roles-export").await?;
    let found = db::query_rows(
        &s.db,
        "SELECT r.name, r.organ_id, p.name FROM memberships a \
         JOIN role_names r ON r.id = a.role_name_id LEFT JOIN organs ro ON ro.id = r.organ_id \
         JOIN persons p ON p.id = a.person_id JOIN organs po ON po.id = p.organ_id \
         WHERE (r.organ_id IS NULL OR ro.path LIKE $1 ESCAPE '\\') AND po.path LIKE $1 ESCAPE '\\' \
         ORDER BY r.id, p.name, a.id",
        vec![like_prefix(&p.organ_path)],
    )
    .await?;
    let mut rows = Vec::with_capacity(found.len());
    for r in &found {
        let own = r.try_get_by_index::<Option<i64>>(1)?.is_some();
        rows.push(vec![text_at(r, 0)?, Cell::Text(if own { "本机关增设" } else { "系统预置" }.into()), text_at(r, 2)?]);
    }
    Ok(download(q.format.as_deref(), "履职角色", &["角色", "来源", "姓名"], rows))
}
