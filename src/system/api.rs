//! JSON API under `/api/v1` (PLAT-16). Every operation is listed in `OPERATIONS`, from which
//! the OpenAPI document is generated; a test checks each listed operation is routed.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ApiJson, Auth, PathId, Query};
use crate::app::guard;
use crate::app::openapi::{Operation, PAGING, cursor_paging, id, one_of, param, query_id, schema, text};
use crate::app::paging::{Page, PageQuery, paginate};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::accounts::{AccountUpdate, AccountView, NewAccount};
use crate::auth::{Action, Resource, Role, accounts};
use crate::db;
use crate::org;
use crate::org::{Area, Organ};
use crate::system::admin::visible_account;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/accounts", get(list_accounts).post(create_account))
        .route("/api/v1/accounts/{id}", get(get_account).patch(update_account))
        .route("/api/v1/organs", get(list_organs))
        .route("/api/v1/areas", get(list_areas))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub organ: accounts::OrganRef,
    pub unit_id: Option<i64>,
    pub deputy_id: Option<i64>,
    pub station_id: Option<i64>,
    /// `read|write` for a token, absent for a browser session.
    pub token_scope: Option<String>,
}

async fn me(Auth(p): Auth, State(s): State<AppState>) -> AppResult<axum::Json<Me>> {
    let organ = org::organ(&s.db, p.organ_id).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(Me {
        id: p.account_id,
        username: p.username.clone(),
        display_name: p.display_name.clone(),
        roles: p.roles.clone(),
        organ: accounts::OrganRef { id: organ.id, code: organ.code, name: organ.name },
        unit_id: p.unit_id,
        deputy_id: p.deputy_id,
        station_id: p.station_id,
        token_scope: p.token_scope.map(|s| s.as_str().to_string()),
    }))
}

#[derive(Deserialize, Default)]
struct AccountsQuery {
    q: Option<String>,
    role: Option<String>,
    organ: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

async fn list_accounts(
    Caller { p, s, ip }: Caller,
    Query(q): Query<AccountsQuery>,
) -> AppResult<axum::Json<Page<accounts::AccountView>>> {
    guard::check(&s, &p, &ip, Action::View, &Resource::Account { id: -1, organ_path: &p.organ_path }, "list").await?;
    let (limit, after) = cursor_paging(q.limit.as_deref(), q.cursor.as_deref())?;
    if let Some(r) = q.role.as_deref()
        && Role::parse(r).is_none()
    {
        return Err(AppError::invalid("role", "role 应为 admin、staff、leader、deputy、unit 或 keeper"));
    }
    let organ = query_id("organ", q.organ.as_deref())?;
    let filter = accounts::AccountFilter { q: q.q.clone(), role: q.role.clone(), organ };
    let rows = accounts::list(&s.db, &p.organ_path, &filter, after, limit + 1).await?;
    let page = paginate(rows, limit, |r| r.id);
    let mut items = Vec::with_capacity(page.items.len());
    for r in &page.items {
        items.push(accounts::view(&s.db, &s.crypto, r).await?);
    }
    Ok(axum::Json(Page { items, next_cursor: page.next_cursor }))
}

async fn get_account(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<axum::Json<accounts::AccountView>> {
    let row = visible_account(&s, &p, &ip, id, Action::View).await?;
    Ok(axum::Json(accounts::view(&s.db, &s.crypto, &row).await?))
}

async fn create_account(
    Caller { p, s, ip }: Caller,
    ApiJson(input): ApiJson<accounts::NewAccount>,
) -> AppResult<Response> {
    let target =
        org::organ(&s.db, input.organ_id).await?.ok_or_else(|| AppError::invalid("organ_id", "所属机关不存在"))?;
    guard::check(&s, &p, &ip, Action::Create, &Resource::Account { id: -1, organ_path: &target.path }, "new").await?;
    let id = write(&s, &p, &ip, async |w| {
        let id = accounts::create(w.txn(), w.key(), &s.crypto, s.config.password_cost, w.actor(), &input).await?;
        s.modules.account_created(w.txn(), w.key(), w.actor(), &p.organ_path, id, &input).await?;
        Ok(id)
    })
    .await?;
    let row = accounts::find(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let view = accounts::view(&s.db, &s.crypto, &row).await?;
    let mut r = (StatusCode::CREATED, axum::Json(view)).into_response();
    r.headers_mut().insert(axum::http::header::LOCATION, format!("/api/v1/accounts/{id}").parse().expect("ascii"));
    Ok(r)
}

async fn update_account(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(change): ApiJson<accounts::AccountUpdate>,
) -> AppResult<axum::Json<accounts::AccountView>> {
    let row = visible_account(&s, &p, &ip, id, Action::Update).await?;
    let fields = accounts::requested_changes(&s.db, id, &change).await?;
    let resource = Resource::Account { id, organ_path: &row.organ_path };
    guard::check_changes(&s, &p, &ip, &resource, &fields, &id.to_string()).await?;
    write(&s, &p, &ip, async |w| {
        accounts::update(w.txn(), w.key(), w.actor(), id, &change).await?;
        Ok(())
    })
    .await?;
    let row = accounts::find(&s.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(accounts::view(&s.db, &s.crypto, &row).await?))
}

/// Organs are public facts (names of congresses); listed for every caller.
async fn list_organs(State(s): State<AppState>, Query(q): Query<PageQuery>) -> AppResult<axum::Json<Page<org::Organ>>> {
    let (limit, after) = cursor_paging(q.limit.as_deref(), q.cursor.as_deref())?;
    let rows: Vec<org::Organ> = db::query_all(
        &s.db,
        "SELECT id, code, name, short_name, area_id, parent_id, kind, level, external, path, phone FROM organs WHERE id > $1 ORDER BY id LIMIT $2",
        vec![after.into(), (limit as i64 + 1).into()],
    )
    .await?;
    Ok(axum::Json(paginate(rows, limit, |o| o.id)))
}

#[derive(Deserialize, Default)]
struct AreasQuery {
    parent: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

async fn list_areas(State(s): State<AppState>, Query(q): Query<AreasQuery>) -> AppResult<axum::Json<Page<org::Area>>> {
    let (limit, after) = cursor_paging(q.limit.as_deref(), q.cursor.as_deref())?;
    let parent = query_id("parent", q.parent.as_deref())?;
    let rows = org::areas_page(&s.db, parent, after, limit + 1).await?;
    Ok(axum::Json(paginate(rows, limit, |a| a.id)))
}

/// The `role` filter: the values `Role::parse` accepts.
fn roles() -> serde_json::Value {
    one_of(Role::ALL.iter().map(|r| r.as_str()))
}

/// The operations of the platform's API, for the OpenAPI document.
pub const OPERATIONS: &[Operation] = &[
    Operation::get("/api/v1/me", "当前账号", "账号", schema::<crate::system::api::Me>).signed_in(),
    Operation::get(
        "/api/v1/accounts",
        "账号列表（本机关及下级；系统管理员、机关工作人员）",
        "账号",
        schema::<crate::app::paging::Page<AccountView>>,
    )
    .signed_in()
    .query(&[
        param("q", "用户名或姓名", text),
        param("role", "角色", roles),
        param("organ", "机关编号", id),
        PAGING[0],
        PAGING[1],
    ]),
    Operation::post("/api/v1/accounts", "新建账号（系统管理员）", "账号", schema::<NewAccount>, schema::<AccountView>)
        .signed_in(),
    Operation::get("/api/v1/accounts/{id}", "账号详情", "账号", schema::<AccountView>).signed_in(),
    Operation::new(
        "patch",
        "/api/v1/accounts/{id}",
        "修改账号：姓名、角色、停用（系统管理员）",
        "账号",
        schema::<AccountView>,
    )
    .request(schema::<AccountUpdate>)
    .signed_in(),
    Operation::get("/api/v1/organs", "人大机关列表", "机关与区划", schema::<crate::app::paging::Page<Organ>>)
        .query(&PAGING),
    Operation::get("/api/v1/areas", "行政区划列表", "机关与区划", schema::<crate::app::paging::Page<Area>>).query(&[
        param("parent", "上级区划编号", id),
        PAGING[0],
        PAGING[1],
    ]),
];
