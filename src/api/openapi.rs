//! The OpenAPI 3 document, generated from the operation list and the Rust types' schemas.

use axum::extract::State;
use axum::response::IntoResponse;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use crate::app::error::Problem;
use crate::app::state::AppState;
use crate::auth::accounts::{AccountUpdate, AccountView, NewAccount};
use crate::org::{Area, Organ};

type SchemaFn = fn(&mut SchemaGenerator) -> Value;

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    g.subschema_for::<T>().to_value()
}

/// One documented operation; `OPERATIONS` is the single list.
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// Needs a signed-in caller (bearer token or session).
    pub auth: bool,
    pub query: &'static [(&'static str, &'static str)],
    pub request: Option<SchemaFn>,
    pub response: SchemaFn,
    pub status: u16,
}

const PAGING: [(&str, &str); 2] = [("limit", "每页条数，1–200，默认 50"), ("cursor", "上一页返回的 next_cursor")];

pub const OPERATIONS: &[Operation] = &[
    Operation {
        method: "get",
        path: "/api/v1/me",
        summary: "当前账号",
        tag: "账号",
        auth: true,
        query: &[],
        request: None,
        response: schema::<crate::api::Me>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/accounts",
        summary: "账号列表（本机关及下级；系统管理员、机关工作人员）",
        tag: "账号",
        auth: true,
        query: &[
            ("q", "用户名或姓名"),
            ("role", "admin|staff|leader|deputy|unit|keeper"),
            ("organ", "机关编号"),
            PAGING[0],
            PAGING[1],
        ],
        request: None,
        response: schema::<crate::api::Page<AccountView>>,
        status: 200,
    },
    Operation {
        method: "post",
        path: "/api/v1/accounts",
        summary: "新建账号（系统管理员）",
        tag: "账号",
        auth: true,
        query: &[],
        request: Some(schema::<NewAccount>),
        response: schema::<AccountView>,
        status: 201,
    },
    Operation {
        method: "get",
        path: "/api/v1/accounts/{id}",
        summary: "账号详情",
        tag: "账号",
        auth: true,
        query: &[],
        request: None,
        response: schema::<AccountView>,
        status: 200,
    },
    Operation {
        method: "patch",
        path: "/api/v1/accounts/{id}",
        summary: "修改账号：姓名、角色、停用（系统管理员）",
        tag: "账号",
        auth: true,
        query: &[],
        request: Some(schema::<AccountUpdate>),
        response: schema::<AccountView>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/organs",
        summary: "人大机关列表",
        tag: "机关与区划",
        auth: false,
        query: &PAGING,
        request: None,
        response: schema::<crate::api::Page<Organ>>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/areas",
        summary: "行政区划列表",
        tag: "机关与区划",
        auth: false,
        query: &[("parent", "上级区划编号"), PAGING[0], PAGING[1]],
        request: None,
        response: schema::<crate::api::Page<Area>>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/deputies",
        summary: "代表列表（在任；公开字段）",
        tag: "代表与联络站",
        auth: false,
        query: &[
            ("organ", "代表资格所属人大机关编号（含上级人大）"),
            ("level", "national|provincial|city|county|township"),
            ("group", "代表小组/代表团编号"),
            ("station", "联络站编号"),
            ("tag", "专业特长，如 医疗卫生"),
            ("q", "姓名开头，如 王 或 王建"),
            PAGING[0],
            PAGING[1],
        ],
        request: None,
        response: schema::<crate::api::Page<crate::api::registry::DeputyOut>>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/deputies/{id}",
        summary: "代表详情（公开字段，含各级代表资格）",
        tag: "代表与联络站",
        auth: false,
        query: &[],
        request: None,
        response: schema::<crate::api::registry::DeputyOut>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/stations",
        summary: "联络站（家站点）列表",
        tag: "代表与联络站",
        auth: false,
        query: &[
            ("organ", "人大机关编号"),
            ("type", "站点类型代码，如 station、home、village_point"),
            ("area", "区划编号（含下级）"),
            ("q", "名称或地址关键词"),
            PAGING[0],
            PAGING[1],
        ],
        request: None,
        response: schema::<crate::api::Page<crate::api::registry::StationOut>>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/stations/nearest",
        summary: "最近的联络站（精确大圆距离）",
        tag: "代表与联络站",
        auth: false,
        query: &[("lat", "纬度（WGS-84）"), ("lng", "经度（WGS-84）"), ("limit", "条数，1–50，默认 10")],
        request: None,
        response: schema::<crate::api::registry::NearestList>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/stations/{id}",
        summary: "联络站详情",
        tag: "代表与联络站",
        auth: false,
        query: &[],
        request: None,
        response: schema::<crate::api::registry::StationOut>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/stations/{id}/schedule",
        summary: "联络站进站接待安排",
        tag: "代表与联络站",
        auth: false,
        query: &[("from", "起始日期 YYYY-MM-DD，默认今天"), ("to", "截止日期 YYYY-MM-DD，默认半年后")],
        request: None,
        response: schema::<crate::api::registry::ScheduleOut>,
        status: 200,
    },
    Operation {
        method: "get",
        path: "/api/v1/popolo.json",
        summary: "Popolo 格式导出：人员、机关、代表资格、区划（可按机关与届次）",
        tag: "代表与联络站",
        auth: false,
        query: &[("organ", "人大机关编号"), ("term", "届次")],
        request: None,
        response: popolo_schema,
        status: 200,
    },
];

/// The Popolo document: four lists of Popolo objects (https://www.popoloproject.com/specs/).
fn popolo_schema(_: &mut SchemaGenerator) -> Value {
    let list = |what: &str| json!({"type": "array", "description": what, "items": {"type": "object"}});
    json!({
        "type": "object",
        "description": "Popolo JSON：persons、organizations、memberships、areas",
        "properties": {
            "persons": list("人员（Popolo Person）"),
            "organizations": list("机关（Popolo Organization）"),
            "memberships": list("代表资格（Popolo Membership）"),
            "areas": list("区划（Popolo Area）"),
        },
        "required": ["persons", "organizations", "memberships", "areas"],
    })
}

pub fn build() -> Value {
    let mut g = SchemaSettings::openapi3().into_generator();
    let problem = schema::<Problem>(&mut g);
    let mut paths = serde_json::Map::new();
    for op in OPERATIONS {
        let mut params: Vec<Value> = op
            .query
            .iter()
            .map(|(name, desc)| json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": "string"}}))
            .collect();
        if op.path.contains("{id}") {
            params.push(
                json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}),
            );
        }
        let mut responses = serde_json::Map::new();
        responses.insert(
            op.status.to_string(),
            json!({"description": "成功", "content": {"application/json": {"schema": (op.response)(&mut g)}}}),
        );
        let problem_response =
            |d: &str| json!({"description": d, "content": {"application/problem+json": {"schema": problem.clone()}}});
        if op.auth {
            responses.insert("401".into(), problem_response("未登录"));
            responses.insert("403".into(), problem_response("无权操作"));
        }
        responses.insert("404".into(), problem_response("不存在或不在权限范围内"));
        responses.insert("422".into(), problem_response("输入有误"));
        let mut operation = json!({
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": format!("{}_{}", op.method, op.path.trim_start_matches("/api/v1/").replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if let Some(req) = op.request {
            operation["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": req(&mut g)}}});
        }
        if !op.auth {
            operation["security"] = json!([]);
        }
        let entry = paths.entry(op.path.to_string()).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "renda 数字人大 API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "约定见 docs/API-DESIGN.md：游标分页、RFC 9457 错误、英文 snake_case 枚举值。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": g.take_definitions(true),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "renda token create 生成的 API 令牌"},
                "session": {"type": "apiKey", "in": "cookie", "name": "renda_session", "description": "浏览器会话；非安全方法需 X-CSRF-Token 头"}
            }
        }
    })
}

pub async fn document(State(_): State<AppState>) -> impl IntoResponse {
    axum::Json(build())
}
