//! The OpenAPI 3 document, generated from the operation list and the Rust types' schemas.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use crate::app::error::Problem;

pub type SchemaFn = fn(&mut SchemaGenerator) -> Value;

pub fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    g.subschema_for::<T>().to_value()
}

/// One documented operation; each module lists its own (`Module::operations`).
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

pub const PAGING: [(&str, &str); 2] = [("limit", "每页条数，1–200，默认 50"), ("cursor", "上一页返回的 next_cursor")];

pub fn build<'a>(operations: impl Iterator<Item = &'a Operation>) -> Value {
    let mut g = SchemaSettings::openapi3().into_generator();
    let problem = schema::<Problem>(&mut g);
    let mut paths = serde_json::Map::new();
    for op in operations {
        let mut params: Vec<Value> = op
            .query
            .iter()
            .map(|(name, desc)| json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": "string"}}))
            .collect();
        // Every `{name}` of the path is a required path parameter; `id` is an integer.
        for name in op.path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}')) {
            let schema =
                if name == "id" { json!({"type": "integer", "format": "int64"}) } else { json!({"type": "string"}) };
            params.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
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
