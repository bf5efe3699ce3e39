//! One error type with two presenters: an HTML page for people, an RFC 9457 problem
//! document for `/api`. The choice is made by `present_errors` from the request path.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug)]
pub enum AppError {
    /// 401: not signed in.
    Unauthenticated,
    /// 403: the record is visible but this action is not allowed.
    Forbidden(String),
    /// 404: unknown, or outside the caller's scope.
    NotFound,
    /// 409: not allowed in the record's current state.
    Conflict(String),
    /// 422: invalid input, with per-field messages.
    Invalid { detail: String, fields: Vec<FieldError> },
    /// 400: a request that could not be read at all.
    BadRequest(String),
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 413
    TooLarge,
    /// 429
    TooManyRequests(String),
    /// 503: the database is not reachable.
    Unavailable,
    /// 500, logged with a reference the user can quote.
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        let message = message.into();
        AppError::Invalid { detail: message.clone(), fields: vec![FieldError { field: field.into(), message }] }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "未登录",
            AppError::Forbidden(_) => "无权操作",
            AppError::NotFound => "未找到",
            AppError::Conflict(_) => "当前状态不允许此操作",
            AppError::Invalid { .. } => "输入有误",
            AppError::BadRequest(_) => "请求无法识别",
            AppError::MethodNotAllowed => "请求方法不支持",
            AppError::TooLarge => "内容过大",
            AppError::TooManyRequests(_) => "请求过于频繁",
            AppError::Unavailable => "服务暂不可用",
            AppError::Internal(_) => "系统错误",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            AppError::Unauthenticated => "请先登录".into(),
            AppError::Forbidden(m) | AppError::Conflict(m) | AppError::BadRequest(m) | AppError::TooManyRequests(m) => {
                m.clone()
            }
            AppError::NotFound => "您要找的页面或记录不存在，或您无权查看".into(),
            AppError::Invalid { detail, .. } => detail.clone(),
            AppError::MethodNotAllowed => "不支持此请求方法".into(),
            AppError::TooLarge => "提交的内容超过了大小限制，请压缩或分批提交".into(),
            AppError::Unavailable => "数据库暂时无法连接，请稍后再试".into(),
            AppError::Internal(reference) => {
                format!("系统出现错误，请稍后再试；如需帮助，请向管理员提供错误编号 {reference}")
            }
        }
    }

    pub fn type_slug(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid { .. } => "invalid",
            AppError::BadRequest(_) => "bad_request",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::TooLarge => "too_large",
            AppError::TooManyRequests(_) => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            AppError::Invalid { fields, .. } => fields,
            _ => &[],
        }
    }
}

/// The SQLSTATE (PostgreSQL) or extended result code (SQLite) of a database error, if any.
fn db_code(e: &sea_orm::DbErr) -> Option<String> {
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            e.as_database_error().and_then(|d| d.code()).map(|c| c.to_string())
        }
        _ => None,
    }
}

/// The database could not be reached or went away mid-request (restarted, network cut, pool
/// exhausted): the caller may try again, so a 503, never a 500. PostgreSQL's own shutdown and
/// start-up codes (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now) count.
fn database_unreachable(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as X;
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(x)) | DbErr::Query(RuntimeErr::SqlxError(x)) => {
            matches!(x.as_ref(), X::Io(_) | X::PoolTimedOut | X::PoolClosed | X::WorkerCrashed | X::Tls(_))
                || matches!(db_code(e).as_deref(), Some("57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

/// A foreign key refused the change: deleting (or re-keying) a record others still refer
/// to, or pointing at a record that no longer exists. Both backends, one message.
fn foreign_key_conflict(text: &str) -> AppError {
    tracing::warn!(error = %text, "foreign key constraint");
    AppError::Conflict("该记录仍被其他记录引用，不能删除或修改；或所引用的记录已不存在，请刷新页面后再试".into())
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        let text = e.to_string();
        if database_unreachable(&e)
            || text.contains("pool timed out")
            || text.contains("Connection refused")
            || text.contains("connection closed")
        {
            tracing::error!(error = %text, "database unavailable");
            return AppError::Unavailable;
        }
        // What the database refuses because of the data (two requests racing past a check,
        // a check missing for a case): the caller's input, said as such, never a 500.
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                tracing::warn!(error = %text, "unique constraint");
                return AppError::Conflict("与已有记录重复（编号、代码或名称已被使用），请修改后再提交".into());
            }
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => return foreign_key_conflict(&text),
            _ => {}
        }
        // The same refusal reported outside a statement (a deferred check at COMMIT): SQLite
        // says "FOREIGN KEY constraint failed" (extended code 787), PostgreSQL SQLSTATE 23503.
        if text.contains("FOREIGN KEY constraint failed")
            || text.contains("violates foreign key constraint")
            || db_code(&e).as_deref() == Some("23503")
            || db_code(&e).as_deref() == Some("787")
        {
            return foreign_key_conflict(&text);
        }
        // PostgreSQL: text the database cannot store (a NUL character), a number out of range.
        match db_code(&e).as_deref() {
            Some("22021" | "22P05") => {
                tracing::warn!(error = %text, "character not storable");
                return AppError::invalid("", "提交的内容含有无法保存的字符（如空字符），请删除后再提交");
            }
            Some("22003") => {
                tracing::warn!(error = %text, "numeric value out of range");
                return AppError::invalid("", "提交的数值超出允许范围");
            }
            _ => {}
        }
        let reference = format!("E{:08X}", rand::random::<u32>());
        tracing::error!(reference = %reference, error = %text, "database error");
        AppError::Internal(reference)
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        let reference = format!("E{:08X}", rand::random::<u32>());
        tracing::error!(reference = %reference, error = %e, "template error");
        AppError::Internal(reference)
    }
}

/// The response carries the error itself; `present_errors` renders it for the path.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// RFC 9457 problem details, with per-field errors for validation.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field problems; present on 422 only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn from_error(e: &AppError) -> Problem {
        Problem {
            type_: format!("/api/v1/problems/{}", e.type_slug()),
            title: e.title().into(),
            status: e.status().as_u16(),
            detail: e.detail(),
            errors: e.fields().to_vec(),
        }
    }
}

/// Maps a bare status produced outside our handlers (router 404/405, body limit) to an error.
pub fn from_bare_status(status: StatusCode) -> Option<AppError> {
    Some(match status {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::BadRequest("不支持的内容类型".into()),
        StatusCode::BAD_REQUEST => AppError::BadRequest("请求格式有误".into()),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::BadRequest("提交的内容无法识别".into()),
        StatusCode::REQUEST_TIMEOUT => AppError::BadRequest("请求超时".into()),
        StatusCode::INTERNAL_SERVER_ERROR => AppError::Internal(format!("E{:08X}", rand::random::<u32>())),
        _ => return None,
    })
}
