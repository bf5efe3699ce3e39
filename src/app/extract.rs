//! Extractors: the caller, the client address, and body/query readers whose rejections speak Chinese.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::Principal;
use crate::base::error::{AppError, FieldError};
use crate::base::text;

/// The principal resolved by the session/token middleware, if any.
#[derive(Clone, Debug, Default)]
pub struct MaybePrincipal(pub Option<Principal>);

/// A signed-in caller; 401 (or a redirect to `/login` on pages) otherwise.
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        match parts.extensions.get::<MaybePrincipal>() {
            Some(MaybePrincipal(Some(p))) => Ok(Auth(p.clone())),
            _ => Err(AppError::Unauthenticated),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybePrincipal {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(parts.extensions.get::<MaybePrincipal>().cloned().unwrap_or_default())
    }
}

/// The client address: the socket's peer, or the `X-Forwarded-For` entry our own proxies vouch
/// for (`trusted_proxy_hops`; `middleware::client_address`), never the client-written part.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(parts.extensions.get::<ClientIp>().cloned().unwrap_or(ClientIp("0.0.0.0".into())))
    }
}

/// The CSRF token of this browser, for hidden form fields.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        Ok(parts.extensions.get::<CsrfToken>().cloned().unwrap_or(CsrfToken(String::new())))
    }
}

fn serde_message(e: &str) -> String {
    if let Some(rest) = e.split("missing field `").nth(1) {
        let field = rest.split('`').next().unwrap_or("");
        return format!("缺少必填字段 {field}");
    }
    if let Some(rest) = e.split("unknown field `").nth(1) {
        let field = rest.split('`').next().unwrap_or("");
        return format!("不认识的字段 {field}");
    }
    if let Some(rest) = e.split("duplicate field `").nth(1) {
        let field = rest.split('`').next().unwrap_or("");
        return format!("字段 {field} 重复");
    }
    if e.contains("unknown variant") {
        return "字段取值不在允许范围内".into();
    }
    if e.contains("invalid length") {
        return "列表的项数不正确".into();
    }
    if e.contains("invalid type") || e.contains("invalid digit") || e.contains("invalid value") {
        return "字段类型不正确".into();
    }
    "提交的内容格式不正确".into()
}

fn text_refusal(field: &str, e: text::TextError) -> AppError {
    let message = e.message().to_string();
    AppError::Invalid {
        detail: if field.is_empty() { message.clone() } else { format!("{field}：{message}") },
        fields: vec![FieldError { field: field.to_string(), message }],
    }
}

/// Checks urlencoded pairs (a form body or a query string) under the platform's text rule.
fn check_pairs(raw: &[u8]) -> Result<(), AppError> {
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw) {
        for (k, v) in &pairs {
            text::check_field(k, v).map_err(|e| text_refusal(k, e))?;
        }
    }
    Ok(())
}

async fn body_bytes(req: Request) -> Result<(axum::http::request::Parts, axum::body::Bytes), AppError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| AppError::TooLarge)?;
    Ok((parts, bytes))
}

/// Deserializes JSON, answering 422/400/415 in Chinese. Every string passes the text rule.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, _state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::trim)
            .is_some_and(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")));
        if !is_json {
            return Err(AppError::BadRequest("请以 application/json 提交".into()));
        }
        let (_, bytes) = body_bytes(req).await?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| AppError::BadRequest("JSON 格式错误".into()))?;
        text::check_json(&value).map_err(|(field, e)| text_refusal(&field, e))?;
        match serde_json::from_value::<T>(value) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let message = serde_message(&e.to_string());
                Err(AppError::Invalid {
                    detail: message.clone(),
                    fields: vec![FieldError { field: String::new(), message }],
                })
            }
        }
    }
}

/// A JSON body taken as a `Value` and read into `T` only once the caller is known to be
/// entitled (so that a refusal is the authorization's, not the parser's); `null` is `T::default()`.
pub fn strict<T: DeserializeOwned + Default>(v: serde_json::Value) -> Result<T, AppError> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(v).map_err(|e| {
        let message = format!("提交的内容不符合要求：{}", serde_message(&e.to_string()));
        AppError::invalid("", message)
    })
}

/// Like [`ApiJson`], but a request without a body reads as `T::default()` (steps that need
/// no input, such as `accept`).
pub struct ApiJsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for ApiJsonOrEmpty<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let has_body = req.headers().get(axum::http::header::CONTENT_TYPE).is_some()
            || req
                .headers()
                .get(axum::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() != "0");
        if !has_body {
            return Ok(ApiJsonOrEmpty(T::default()));
        }
        ApiJson::<T>::from_request(req, state).await.map(|ApiJson(v)| ApiJsonOrEmpty(v))
    }
}

/// Deserializes an urlencoded form, answering in Chinese. Every field passes the text rule.
/// Repeated fields (a group of checkboxes) read into a `Vec`.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, _state: &S) -> Result<Self, AppError> {
        let is_form = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(AppError::BadRequest("表单内容无法读取".into()));
        }
        let (_, bytes) = body_bytes(req).await?;
        check_pairs(&bytes)?;
        serde_html_form::from_bytes::<T>(&bytes)
            .map(Form)
            .map_err(|e| AppError::BadRequest(serde_message(&e.to_string())))
    }
}

/// Deserializes the query string, answering in Chinese. Every parameter passes the text rule.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        check_pairs(parts.uri.query().unwrap_or("").as_bytes())?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(AppError::BadRequest(format!("查询参数有误：{}", serde_message(&e.body_text())))),
        }
    }
}

/// A numeric path id; anything else is a 404, as an unknown record would be.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(s)) => {
                s.parse::<i64>().ok().filter(|v| *v > 0).map(PathId).ok_or(AppError::NotFound)
            }
            Err(_) => Err(AppError::NotFound),
        }
    }
}

/// The file of a `multipart/form-data` upload form, from its field named `file`, and the
/// form's other fields as text (under the text rule; at most 20, each at most 10,000
/// characters; the CSRF token travels in the query). `bytes` is empty when no file was
/// chosen; the handler says so in its own words.
pub struct UploadedFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub fields: Vec<(String, String)>,
}

impl UploadedFile {
    /// A text field of the form, trimmed; empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }
}

impl<S: Send + Sync> FromRequest<S> for UploadedFile {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let mut multipart = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest("上传的内容无法读取，请重新选择文件".into()))?;
        let mut file = UploadedFile { name: String::new(), bytes: Vec::new(), fields: Vec::new() };
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|_| AppError::BadRequest("上传的内容无法读取，请重新选择文件".into()))?
        {
            if field.name() == Some("file") {
                // A file name with control or direction characters is replaced, not trusted.
                let name = field.file_name().unwrap_or("").to_string();
                file.name = if text::check(&name, false).is_ok() { name } else { "upload".into() };
                file.bytes = field.bytes().await.map_err(|_| AppError::TooLarge)?.to_vec();
            } else if let Some(name) = field.name().map(str::to_string) {
                let value = field.text().await.map_err(|_| AppError::BadRequest("表单内容无法读取".into()))?;
                if file.fields.len() >= 20 || value.chars().count() > 10_000 {
                    return Err(AppError::BadRequest("表单内容过多".into()));
                }
                text::check_field(&name, &value).map_err(|e| text_refusal(&name, e))?;
                file.fields.push((name, value));
            }
        }
        Ok(file)
    }
}
