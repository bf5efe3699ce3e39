//! The OpenAPI 3 document, generated from the operation list and the Rust types' schemas.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use crate::base::error::Problem;

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
    /// The query parameters, each with the schema its handler checks.
    pub query: &'static [Param],
    pub request: Option<SchemaFn>,
    pub response: SchemaFn,
    pub status: u16,
    /// Path parameters other than a plain positive `id`, with their schemas.
    pub path_params: &'static [Param],
    /// The body may be left out (steps that need no input).
    pub empty_body: bool,
}

/// An operation in one line: `Operation::get(path, summary, TAG, schema::<Out>).signed_in()
/// .query(&[…])`; what is not said is the common case (open to anyone, no query or path
/// parameters, a body required where there is one).
impl Operation {
    /// A GET answered 200 with `response`.
    pub const fn get(path: &'static str, summary: &'static str, tag: &'static str, response: SchemaFn) -> Operation {
        Operation::new("get", path, summary, tag, response)
    }
    /// A POST of `request`, answered 201 with `response`.
    pub const fn post(
        path: &'static str,
        summary: &'static str,
        tag: &'static str,
        request: SchemaFn,
        response: SchemaFn,
    ) -> Operation {
        Operation { request: Some(request), status: 201, ..Operation::new("post", path, summary, tag, response) }
    }
    /// Any other method, answered 200 with `response`.
    pub const fn new(
        method: &'static str,
        path: &'static str,
        summary: &'static str,
        tag: &'static str,
        response: SchemaFn,
    ) -> Operation {
        Operation {
            method,
            path,
            summary,
            tag,
            auth: false,
            query: &[],
            request: None,
            response,
            status: 200,
            path_params: &[],
            empty_body: false,
        }
    }
    /// Needs a signed-in caller.
    pub const fn signed_in(self) -> Operation {
        Operation { auth: true, ..self }
    }
    pub const fn query(self, query: &'static [Param]) -> Operation {
        Operation { query, ..self }
    }
    pub const fn request(self, request: SchemaFn) -> Operation {
        Operation { request: Some(request), ..self }
    }
    pub const fn status(self, status: u16) -> Operation {
        Operation { status, ..self }
    }
    pub const fn path_params(self, path_params: &'static [Param]) -> Operation {
        Operation { path_params, ..self }
    }
    /// The body may be left out.
    pub const fn empty_body(self) -> Operation {
        Operation { empty_body: true, ..self }
    }
}

/// One query parameter: its name, its description and the schema of the values its handler
/// accepts (types, ranges, enums from the same tables the handler parses with).
#[derive(Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub description: &'static str,
    pub schema: fn() -> Value,
    /// The handler refuses the request without it.
    pub required: bool,
}

pub const fn param(name: &'static str, description: &'static str, schema: fn() -> Value) -> Param {
    Param { name, description, schema, required: false }
}

/// A parameter the handler requires.
pub const fn required(name: &'static str, description: &'static str, schema: fn() -> Value) -> Param {
    Param { name, description, schema, required: true }
}

/// Free text (the text rule's pattern is added to every string by `build`).
pub fn text() -> Value {
    json!({"type": "string"})
}

/// A record id in a query: a positive integer (`id_param` and friends refuse anything else).
pub fn id() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX})
}

/// An ISO date, `YYYY-MM-DD`.
pub fn date() -> Value {
    json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
}

/// `true|false` (also `1|0`).
pub fn flag() -> Value {
    json!({"type": "string", "enum": ["true", "false", "1", "0"]})
}

/// A string that is one of `values`.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Value {
    json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>()})
}

/// An integer in `min..=max`.
pub fn range(min: i64, max: i64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

fn limit_200() -> Value {
    range(1, 200)
}

fn cursor() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": i64::MAX})
}

/// The cursor paging of `app::paging::PageQuery`.
pub const PAGING: [Param; 2] =
    [param("limit", "每页条数，1–200，默认 50", limit_200), param("cursor", "上一页返回的 next_cursor", cursor)];

/// Offset paging (`limit` 1–200, `offset` 0–1,000,000), as `offset_paging` checks it.
pub const OFFSET_PAGING: [Param; 2] =
    [param("limit", "每页条数，1–200，默认 50", limit_200), param("offset", "跳过条数，0–1000000", offset)];

fn offset() -> Value {
    range(0, MAX_OFFSET)
}

pub const MAX_OFFSET: i64 = 1_000_000;

/// Checks `limit` (1–`max`, default `default`) and `offset` (0–1,000,000, default 0) of an
/// offset-paged list; out of range is a 422, as the document says.
pub fn offset_paging(
    limit: Option<i64>,
    offset: Option<i64>,
    default: i64,
    max: i64,
) -> crate::base::error::AppResult<(i64, i64)> {
    use crate::base::error::AppError;
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(AppError::invalid("limit", format!("limit 应为 1 至 {max} 之间的整数")));
    }
    let offset = offset.unwrap_or(0);
    if !(0..=MAX_OFFSET).contains(&offset) {
        return Err(AppError::invalid("offset", format!("offset 应为 0 至 {MAX_OFFSET} 之间的整数")));
    }
    Ok((limit, offset))
}

/// An integer written as the document's `integer` says: an optional `-` and ASCII digits,
/// nothing else (no blank, no `+`, not empty).
fn strict_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A record id in a query (schema `id`): absent, or a positive integer; anything else,
/// an empty value included, is a 422.
pub fn query_id(name: &str, v: Option<&str>) -> crate::base::error::AppResult<Option<i64>> {
    match v {
        None => Ok(None),
        Some(v) => strict_int(v)
            .filter(|v| *v > 0)
            .map(Some)
            .ok_or_else(|| crate::base::error::AppError::invalid(name, format!("{name} 应为正整数编号"))),
    }
}

/// An integer query value in `min..=max` (schema `range`), or `default` when absent.
pub fn query_int(name: &str, v: Option<&str>, default: i64, min: i64, max: i64) -> crate::base::error::AppResult<i64> {
    match v {
        None => Ok(default),
        Some(v) => strict_int(v).filter(|v| (min..=max).contains(v)).ok_or_else(|| {
            crate::base::error::AppError::invalid(name, format!("{name} 应为 {min} 至 {max} 之间的整数"))
        }),
    }
}

/// The cursor paging of `PAGING`: `limit` 1–200 (default 50) and the id after which to continue.
pub fn cursor_paging(limit: Option<&str>, cursor: Option<&str>) -> crate::base::error::AppResult<(u64, i64)> {
    let limit = query_int("limit", limit, 50, 1, 200)?;
    let after = match cursor {
        None => 0,
        Some(c) => strict_int(c).filter(|v| *v >= 0).ok_or_else(|| {
            crate::base::error::AppError::invalid("cursor", "cursor 无效，请使用上一页返回的 next_cursor")
        })?,
    };
    Ok((limit as u64, after))
}

/// A date in a query (schema `date`): absent, or exactly `YYYY-MM-DD` and a real day.
pub fn query_date(name: &str, v: Option<&str>) -> crate::base::error::AppResult<Option<chrono::NaiveDate>> {
    match v {
        None => Ok(None),
        Some(v) => {
            let shaped = v.len() == 10
                && v.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
            shaped
                .then(|| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                .flatten()
                .map(Some)
                .ok_or_else(|| crate::base::error::AppError::invalid(name, format!("{name} 应写成 2026-12-01")))
        }
    }
}

/// Characters the text rule (`app::text::check`) refuses in every field, as inclusive ranges:
/// control characters other than tab, line feed and carriage return, direction controls,
/// zero-width characters, the line and paragraph separators, tag characters, U+FFFE/U+FFFF.
/// Line feed and carriage return are refused in one-line fields only (`LINE_BREAKS`).
/// (A zero-width joiner between two emoji is allowed by the rule; the document is stricter.)
pub const TEXT_REFUSED: &[(char, char)] = &[
    ('\u{0}', '\u{8}'),
    ('\u{B}', '\u{C}'),
    ('\u{E}', '\u{1F}'),
    ('\u{7F}', '\u{9F}'),
    ('\u{61C}', '\u{61C}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2028}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{2069}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFFE}', '\u{FFFF}'),
    ('\u{E0000}', '\u{E007F}'),
];
pub const LINE_BREAKS: &[(char, char)] = &[('\n', '\n'), ('\r', '\r')];

/// The `pattern` of a string field under the text rule (ECMA 262 and Python `re` alike: BMP
/// characters as `\uXXXX` escapes, the astral tag characters literally).
pub fn text_pattern(multiline: bool) -> String {
    let mut class = String::new();
    let ranges = TEXT_REFUSED.iter().chain(if multiline { &[][..] } else { LINE_BREAKS });
    let one = |c: char| if (c as u32) < 0x10000 { format!("\\u{:04X}", c as u32) } else { c.to_string() };
    for (a, b) in ranges {
        class.push_str(&one(*a));
        if a != b {
            class.push('-');
            class.push_str(&one(*b));
        }
    }
    format!("^[^{class}]*$")
}

/// The components `v` refers to, directly or through other components.
fn refs_of(v: &Value, schemas: &Value, seen: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(name) =
                m.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
                && seen.insert(name.to_string())
                && let Some(s) = schemas.get(name)
            {
                refs_of(s, schemas, seen);
            }
            m.values().for_each(|x| refs_of(x, schemas, seen));
        }
        Value::Array(a) => a.iter().for_each(|x| refs_of(x, schemas, seen)),
        _ => {}
    }
}

/// Adds the text rule's pattern to every plain string schema under `v` (`field` names the
/// property it describes: long-text fields may hold line breaks).
fn add_text_patterns(v: &mut Value, field: &str) {
    match v {
        Value::Object(m) => {
            let plain_string = m.get("type").and_then(Value::as_str) == Some("string")
                && !m.contains_key("enum")
                && !m.contains_key("pattern")
                && !m.contains_key("format")
                && !m.contains_key("const");
            if plain_string {
                let long = crate::base::text::LONG_TEXT_FIELDS.contains(&field);
                m.insert("pattern".into(), Value::String(text_pattern(long)));
            }
            // The text rule binds names too, which OpenAPI 3.0 cannot pattern: a sent object
            // takes the fields it lists (a server that ignores others may still be sent none).
            if m.get("type").and_then(Value::as_str) == Some("object")
                && m.contains_key("properties")
                && !m.contains_key("additionalProperties")
            {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (k, x) in m.iter_mut() {
                match k.as_str() {
                    "properties" => {
                        if let Value::Object(props) = x {
                            for (name, s) in props.iter_mut() {
                                add_text_patterns(s, name);
                            }
                        }
                    }
                    "examples" | "example" | "default" | "enum" => {}
                    _ => add_text_patterns(x, field),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| add_text_patterns(x, field)),
        _ => {}
    }
}

/// The statuses every operation may answer besides its success, with what they mean.
fn problem_statuses(op: &Operation) -> Vec<(u16, &'static str)> {
    let mut v = vec![(400, "请求无法识别（如非 JSON、网址含控制字符、查询参数类型不符）")];
    if op.auth {
        v.push((401, "未登录"));
    }
    v.push((403, "无权操作（或签名、CSRF 校验未通过）"));
    v.push((404, "不存在或不在权限范围内"));
    if op.method != "get" {
        v.push((409, "当前状态不允许此操作，或与已有记录重复"));
    }
    if op.request.is_some() {
        v.push((413, "内容过大"));
    }
    v.push((422, "输入有误（errors 列出各字段的问题）"));
    v.push((429, "请求过于频繁"));
    v.push((503, "服务暂不可用"));
    v
}

pub fn build<'a>(operations: impl Iterator<Item = &'a Operation>) -> Value {
    let mut g = SchemaSettings::openapi3().into_generator();
    let problem = schema::<Problem>(&mut g);
    let mut paths = serde_json::Map::new();
    for op in operations {
        let mut params: Vec<Value> = op
            .query
            .iter()
            .map(|p| json!({"name": p.name, "in": "query", "required": p.required, "description": p.description, "schema": (p.schema)()}))
            .collect();
        // Every `{name}` of the path is a required path parameter; `id` is a positive integer.
        for name in op.path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}')) {
            let schema = match (name, op.path_params.iter().find(|p| p.name == name)) {
                (_, Some(p)) => (p.schema)(),
                ("id", None) => id(),
                // Numbers of records (tracking and booking numbers): letters, digits, `-` and `_`
                // (the path passes the text rule, so a tab or a bidi mark in it is a 400).
                _ => json!({"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$"}),
            };
            params.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
        }
        let mut responses = serde_json::Map::new();
        responses.insert(
            op.status.to_string(),
            json!({"description": "成功", "content": {"application/json": {"schema": (op.response)(&mut g)}}}),
        );
        for (status, description) in problem_statuses(op) {
            responses.insert(
                status.to_string(),
                json!({"description": description, "content": {"application/problem+json": {"schema": problem.clone()}}}),
            );
        }
        let mut operation = json!({
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": format!("{}_{}", op.method, op.path.trim_start_matches("/api/v1/").replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if let Some(req) = op.request {
            operation["requestBody"] =
                json!({"required": !op.empty_body, "content": {"application/json": {"schema": req(&mut g)}}});
        }
        if !op.auth {
            operation["security"] = json!([]);
        }
        let entry = paths.entry(op.path.to_string()).or_insert_with(|| json!({}));
        entry[op.method] = operation;
    }
    // The text rule binds what is sent (parameters and bodies), not what is answered: the
    // pattern goes on parameters, request bodies and the components only they refer to.
    let mut schemas = Value::Object(g.take_definitions(true));
    let mut paths = Value::Object(paths);
    let mut sent = std::collections::BTreeSet::new();
    for op in paths
        .as_object_mut()
        .into_iter()
        .flat_map(|m| m.values_mut())
        .flat_map(|p| p.as_object_mut())
        .flat_map(|m| m.values_mut())
    {
        for p in op["parameters"].as_array_mut().into_iter().flatten() {
            let name = p["name"].as_str().unwrap_or("").to_string();
            add_text_patterns(&mut p["schema"], &name);
            // A path or query refuses every control character, tab and line breaks too
            // (`middleware::reject_control_characters`), whatever a body's field may hold.
            if let Some(pattern) = p["schema"].get_mut("pattern")
                && pattern.as_str().is_some_and(|x| x == text_pattern(true) || x == text_pattern(false))
            {
                *pattern = Value::String(text_pattern(false).replacen("[^", "[^\\u0009", 1));
            }
        }
        if let Some(body) = op.get_mut("requestBody") {
            refs_of(body, &schemas, &mut sent);
            add_text_patterns(body, "");
        }
    }
    for name in &sent {
        if let Some(s) = schemas.get_mut(name) {
            add_text_patterns(s, "");
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "renda 数字人大 API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "约定见 docs/API-DESIGN.md：游标分页、RFC 9457 错误、英文 snake_case 枚举值。"},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "renda token create 生成的 API 令牌"},
                "session": {"type": "apiKey", "in": "cookie", "name": "renda_session", "description": "浏览器会话；非安全方法需 X-CSRF-Token 头"}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(c: char, multiline: bool) -> bool {
        TEXT_REFUSED.iter().chain(if multiline { &[][..] } else { LINE_BREAKS }).any(|(a, b)| (*a..=*b).contains(&c))
    }

    /// The document's text pattern refuses exactly what the text rule refuses (one character
    /// at a time; the rule's one exception, a joiner between emoji, the document refuses).
    #[test]
    fn text_pattern_matches_the_text_rule() {
        for multiline in [false, true] {
            for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
                let rule = crate::base::text::check(&c.to_string(), multiline).is_err();
                assert_eq!(refused(c, multiline), rule, "U+{:04X} multiline={multiline}", c as u32);
            }
        }
        assert!(text_pattern(false).contains("\\u000A"));
        assert!(!text_pattern(true).contains("\\u000A"));
    }

    #[test]
    fn query_values_are_read_as_the_document_writes_them() {
        assert_eq!(query_id("organ", None).unwrap(), None);
        assert_eq!(query_id("organ", Some("12")).unwrap(), Some(12));
        for bad in ["", " 12", "+12", "0", "-3", "1e3", "abc", "99999999999999999999"] {
            assert!(query_id("organ", Some(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(cursor_paging(None, None).unwrap(), (50, 0));
        assert_eq!(cursor_paging(Some("200"), Some("0")).unwrap(), (200, 0));
        for (l, c) in [(Some(""), None), (Some("0"), None), (Some("201"), None), (None, Some("")), (None, Some("-1"))] {
            assert!(cursor_paging(l, c).is_err(), "{l:?} {c:?}");
        }
        assert!(query_date("from", Some("2026-12-01")).unwrap().is_some());
        for bad in ["", "2026-1-1", "2026-02-30", "+2026-12-01", " 2026-12-01"] {
            assert!(query_date("from", Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn offset_paging_refuses_what_the_document_excludes() {
        assert_eq!(offset_paging(None, None, 50, 200).unwrap(), (50, 0));
        assert!(offset_paging(Some(0), None, 50, 200).is_err());
        assert!(offset_paging(Some(201), None, 50, 200).is_err());
        assert!(offset_paging(None, Some(-1), 50, 200).is_err());
        assert!(offset_paging(None, Some(MAX_OFFSET + 1), 50, 200).is_err());
        assert_eq!(offset_paging(Some(200), Some(MAX_OFFSET), 50, 200).unwrap(), (200, MAX_OFFSET));
    }
}
