//! Request pipeline: client address and principal, CSRF, security headers, error
//! presentation (HTML or problem JSON), flash clearing, metrics.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use askama::Template;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::app::extract::{ClientIp, CsrfToken, MaybePrincipal};
use crate::app::state::AppState;
use crate::app::urls::{decoded_has_control, see_other};
use crate::auth;
use crate::base::error::{AppError, Problem, from_bare_status};

pub const CSRF_COOKIE: &str = "renda_csrf";
/// The Open311 GeoReport v2 endpoint: errors are Open311 error arrays, and no session or CSRF
/// token is ever used there.
pub const OPEN311_PREFIX: &str = "/open311/";
pub const FLASH_COOKIE: &str = "renda_flash";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn csrf_mac(key: &[u8], nonce: &str) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    m.update(b"csrf\x1f");
    m.update(nonce.as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

fn csrf_valid(key: &[u8], token: &str) -> bool {
    match token.split_once('.') {
        Some((nonce, mac)) => nonce.len() == 32 && csrf_mac(key, nonce) == mac,
        None => false,
    }
}

fn new_csrf(key: &[u8]) -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let nonce = hex::encode(bytes);
    let mac = csrf_mac(key, &nonce);
    format!("{nonce}.{mac}")
}

pub fn cookie_attrs(state: &AppState) -> &'static str {
    if state.config.behind_https {
        "; Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Lax"
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The client's address: the socket's peer, or — with `hops` proxies of our own in front
/// (`trusted_proxy_hops`) — the `X-Forwarded-For` entry `hops` places from the right. Each of
/// our proxies appends the address it was reached from, so that entry is the one our outermost
/// proxy saw; everything left of it is whatever the client wrote, and is never used. A missing,
/// short or malformed header falls back to the socket's peer (`0.0.0.0` when there is none).
pub fn client_address(socket: Option<IpAddr>, forwarded: &[&str], hops: usize) -> String {
    let socket = socket.map(|ip| ip.to_canonical().to_string()).unwrap_or_else(|| "0.0.0.0".into());
    if hops == 0 {
        return socket;
    }
    let entries: Vec<&str> = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect();
    let Some(i) = entries.len().checked_sub(hops) else { return socket };
    let entry = entries[i];
    let bare = entry.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(entry);
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().to_string(),
        Err(_) => socket,
    }
}

/// Resolves the caller (bearer token or session cookie) and checks CSRF on unsafe methods.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let socket = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let ip = client_address(socket, &forwarded, state.config.trusted_proxy_hops);
    req.extensions_mut().insert(ClientIp(ip));

    let key = state.config.secrets.session_key.clone();
    let existing = cookie(req.headers(), CSRF_COOKIE).filter(|t| csrf_valid(&key, t)).map(str::to_string);
    let csrf = existing.clone().unwrap_or_else(|| new_csrf(&key));
    req.extensions_mut().insert(CsrfToken(csrf.clone()));

    // Bearer tokens authenticate the API only: on pages and console forms a token is not a
    // credential (those need a browser session and its CSRF token).
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let bearer_token =
        if req.uri().path().starts_with("/api/") { bearer(req.headers()).map(str::to_string) } else { None };
    let principal = if let Some(token) = &bearer_token {
        match auth::token_principal(&state.db, token).await {
            // Token scope is enforced here, once for every route: a read-only token never
            // reaches a handler with an unsafe method.
            Ok(Some(p)) if unsafe_method && p.token_scope != Some(auth::Scope::Write) => {
                return AppError::Forbidden("只读令牌不能修改数据".into()).into_response();
            }
            Ok(Some(p)) => Some(p),
            Ok(None) => return AppError::Unauthenticated.into_response(),
            Err(e) => return AppError::from(e).into_response(),
        }
    } else if let Some(session) = cookie(req.headers(), auth::SESSION_COOKIE) {
        match auth::session_principal(&state.db, session).await {
            Ok(p) => p,
            Err(e) => return AppError::from(e).into_response(),
        }
    } else {
        None
    };
    req.extensions_mut().insert(MaybePrincipal(principal));

    // CSRF guards the ambient authority of a session cookie. An API call that carries no
    // session (a citizen's app posting an opinion) has no such authority to abuse, and the
    // Open311 endpoint never uses a session (its callers present an `api_key`).
    let api_without_session =
        req.uri().path().starts_with("/api/") && cookie(req.headers(), auth::SESSION_COOKIE).is_none();
    let open311 = req.uri().path().starts_with(OPEN311_PREFIX);
    if unsafe_method && bearer_token.is_none() && !api_without_session && !open311 {
        let (req2, presented) = match presented_csrf(req).await {
            Ok(v) => v,
            Err(e) => return e.into_response(),
        };
        req = req2;
        let ok = existing.as_deref().is_some_and(|cookie_value| presented.as_deref() == Some(cookie_value));
        if !ok {
            return AppError::Forbidden("页面已过期或来源不明（CSRF 校验失败），请刷新页面后重新提交".into())
                .into_response();
        }
    }

    let mut response = next.run(req).await;
    if existing.is_none()
        && let Ok(v) = HeaderValue::from_str(&format!("{CSRF_COOKIE}={csrf}{}", cookie_attrs(&state)))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// The token a request presents: header, or `_csrf` field of a urlencoded or multipart form.
/// Never an address: a token in the query string is not looked at (it would land in logs,
/// history and Referer headers).
async fn presented_csrf(req: Request) -> Result<(Request, Option<String>), AppError> {
    if let Some(v) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        let v = v.to_string();
        return Ok((req, Some(v)));
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let boundary = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split(';').map(str::trim).find_map(|p| p.strip_prefix("boundary=")))
        .map(|b| b.trim_matches('"').to_string());
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form && boundary.is_none() {
        return Ok((req, None));
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 64 * 1024 * 1024).await.map_err(|_| AppError::TooLarge)?;
    let token = match &boundary {
        Some(b) => multipart_field(&bytes, b, "_csrf"),
        None => serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v)),
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

/// A text field of a multipart body, looked for among its first parts (our forms put
/// `_csrf` first). Not a general parser: the extractor reads the form properly later.
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut rest = body;
    for _ in 0..8 {
        let start = find(rest, delimiter.as_bytes())? + delimiter.len();
        rest = &rest[start..];
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let value_start = head_end + 4;
        let value_len = find(&rest[value_start..], delimiter.as_bytes())?;
        if head.contains(&wanted) && !head.contains("filename=") {
            let value = &rest[value_start..value_start + value_len];
            let value = value.strip_suffix(b"\r\n").unwrap_or(value);
            return std::str::from_utf8(value).ok().map(str::to_string);
        }
        rest = &rest[value_start..];
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Answers only for the configured host names (`allowed_hosts`), so that links built from a
/// request (QR codes, redirects) cannot be pointed elsewhere by a forged `Host` header.
/// Health and metrics endpoints answer whatever the host, for load balancers.
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let allowed = &state.config.allowed_hosts;
    if !allowed.is_empty() && !matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics") {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().host())
            .unwrap_or("")
            .to_ascii_lowercase();
        let name = match host.strip_prefix('[') {
            Some(v6) => format!("[{}", v6.split(']').next().unwrap_or("")) + "]",
            None => host.split(':').next().unwrap_or("").to_string(),
        };
        if !allowed.contains(&name) {
            return AppError::BadRequest("请求的主机名不在本系统的允许列表中".into()).into_response();
        }
    }
    next.run(req).await
}

/// Control characters (and bidi overrides) in the URL, raw or percent-decoded, or control
/// characters in a header value: the request is refused with 400 before anything reads it,
/// so no handler, redirect or log line ever sees them.
pub async fn reject_control_characters(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let in_url = decoded_has_control(uri.path()) || uri.query().is_some_and(decoded_has_control);
    if in_url {
        return AppError::BadRequest("网址中含有控制字符或不可见的方向控制符，请检查链接是否完整、正确".into())
            .into_response();
    }
    let in_header = req.headers().values().any(|v| {
        let bytes = v.as_bytes();
        bytes.iter().any(|b| *b < 0x20 || *b == 0x7f)
            || std::str::from_utf8(bytes).is_ok_and(|text| text.chars().any(char::is_control))
    });
    if in_header {
        return AppError::BadRequest("请求头中含有控制字符，请求无法处理".into()).into_response();
    }
    next.run(req).await
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Whether a response may be stored by a browser or a shared cache. Only what is the same for
/// everyone and carries nothing personal: the static assets, and — to a caller presenting no
/// credentials, outside `/api/` — successful GETs whose handler declared them `public` (QR
/// codes, station cards, public attachments). Everything else is `no-store`: the console and
/// the API, every answer to a session or a bearer token, every POST (receipts with their query
/// code), the tracking pages, the lost-code page, errors, and any public page that does not
/// declare itself cacheable.
fn cacheable(
    method: &Method,
    path: &str,
    credentials: bool,
    status: StatusCode,
    declared: Option<&HeaderValue>,
) -> bool {
    if !matches!(*method, Method::GET | Method::HEAD) || !status.is_success() {
        return false;
    }
    if path.starts_with("/static/") {
        return true;
    }
    let public = declared.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.split(',').any(|d| d.trim() == "public") && !v.contains("no-store") && !v.contains("private")
    });
    public && !credentials && !path.starts_with("/api/")
}

/// Security headers on every response, errors included.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let credentials =
        cookie(req.headers(), auth::SESSION_COOKIE).is_some() || req.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(req).await;
    let status = response.status();
    let h = response.headers_mut();
    let declared = h.get(header::CACHE_CONTROL);
    // A handler's own `no-store` (e.g. `private, no-store`) is kept as it is.
    let stores = !declared.and_then(|v| v.to_str().ok()).is_some_and(|v| v.to_ascii_lowercase().contains("no-store"));
    if stores && !cacheable(&method, &path, credentials, status, declared) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"));
    response
}

/// Renders errors for the audience: problem JSON under `/api`, an HTML page elsewhere
/// (a 401 on a page becomes a redirect to the sign-in page).
pub async fn present_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let is_api = path.starts_with("/api/");
    let is_open311 = path.starts_with(OPEN311_PREFIX);
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match response.extensions().get::<Arc<AppError>>() {
        Some(e) => (**e).clone(),
        None => {
            let ours = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/problem+json"));
            if ours {
                return response;
            }
            match from_bare_status(status) {
                Some(e) => e,
                None => return response,
            }
        }
    };
    if let AppError::Internal(reference) = &error {
        tracing::error!(reference = %reference, path = %path, "internal error");
    }
    let mut out = if is_open311 {
        open311_error(&error)
    } else if is_api {
        let mut r = (error.status(), axum::Json(Problem::from_error(&error))).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if matches!(error, AppError::Unauthenticated) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    } else if matches!(error, AppError::Unauthenticated) {
        let next_url = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let encoded = percent_encoding::utf8_percent_encode(&next_url, percent_encoding::NON_ALPHANUMERIC).to_string();
        see_other(&format!("/login?next={encoded}"))
    } else {
        (error.status(), error_page(&error)).into_response()
    };
    for (k, v) in response.headers() {
        if k == header::SET_COOKIE {
            out.headers_mut().append(k, v.clone());
        }
    }
    out
}

/// An error as Open311 GeoReport v2 answers it: `[{"code": 400, "description": "…"}]`, one
/// element per field for invalid input (field names as the request spelled them). Invalid
/// input is a 400 there, as the specification says, not a 422.
fn open311_error(error: &AppError) -> Response {
    let status = match error {
        AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
        other => other.status(),
    };
    let code = status.as_u16();
    let items: Vec<serde_json::Value> = if error.fields().is_empty() {
        vec![serde_json::json!({"code": code, "description": error.detail()})]
    } else {
        error
            .fields()
            .iter()
            .map(|f| {
                let description =
                    if f.field.is_empty() { f.message.clone() } else { format!("{}：{}", f.field, f.message) };
                serde_json::json!({"code": code, "description": description})
            })
            .collect()
    };
    let mut r = (status, axum::Json(items)).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    r
}

/// Clears a flash message once a page has shown it.
pub async fn clear_flash(req: Request, next: Next) -> Response {
    let had_flash = cookie(req.headers(), FLASH_COOKIE).is_some() && req.method() == Method::GET;
    let mut response = next.run(req).await;
    if had_flash && response.status() == StatusCode::OK {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("renda_flash=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
        );
    }
    response
}

/// Counts and times every request; logs it.
pub async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let micros = started.elapsed().as_micros() as u64;
    crate::base::metrics::observe(response.status().as_u16(), micros);
    tracing::info!(target: "renda::http", method = %method, path = %path, status = response.status().as_u16(), micros, "request");
    response
}

/// A redirect that carries a one-line confirmation to the next page.
pub fn redirect_with_flash(to: &str, message: &str) -> Response {
    let encoded = percent_encoding::utf8_percent_encode(message, percent_encoding::NON_ALPHANUMERIC).to_string();
    let mut r = see_other(to);
    if let Ok(v) =
        HeaderValue::from_str(&format!("{FLASH_COOKIE}={encoded}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub fn read_flash(headers: &HeaderMap) -> Option<String> {
    let raw = cookie(headers, FLASH_COOKIE)?;
    let text: String = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .chars()
        .filter(|c| !crate::app::urls::is_control_or_bidi(*c))
        .collect();
    (!text.is_empty()).then_some(text)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    detail: String,
    status: u16,
}

/// The HTML page of an error (everything outside `/api`).
pub fn error_page(e: &AppError) -> axum::response::Html<String> {
    let page = ErrorPage { title: e.title(), detail: e.detail(), status: e.status().as_u16() };
    axum::response::Html(
        page.render()
            .unwrap_or_else(|_| format!("<!doctype html><title>{}</title><p>{}</p>", e.title(), e.status().as_u16())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_entry_our_proxies_vouch_for() {
        let socket = Some("10.0.0.5".parse().unwrap());
        let xff = ["6.6.6.6, 1.2.3.4", "203.0.113.7"];
        assert_eq!(client_address(socket, &xff, 0), "10.0.0.5", "hops 0: the header is ignored");
        assert_eq!(client_address(socket, &xff, 1), "203.0.113.7");
        assert_eq!(client_address(socket, &xff, 2), "1.2.3.4");
        assert_eq!(client_address(socket, &xff, 3), "6.6.6.6");
        assert_eq!(client_address(socket, &xff, 4), "10.0.0.5", "fewer entries than proxies");
        assert_eq!(client_address(socket, &["1.2.3.4, evil"], 1), "10.0.0.5", "malformed");
        assert_eq!(client_address(socket, &["1.2.3.4, 1.2.3.4:80"], 1), "10.0.0.5", "a port is malformed");
        assert_eq!(client_address(socket, &["[2001:db8::1]"], 1), "2001:db8::1");
        assert_eq!(client_address(socket, &["::ffff:8.8.8.8"], 1), "8.8.8.8");
        assert_eq!(client_address(socket, &[], 1), "10.0.0.5");
        assert_eq!(client_address(None, &[], 1), "0.0.0.0");
    }

    #[test]
    fn only_static_assets_and_declared_public_anonymous_gets_are_cacheable() {
        let public = HeaderValue::from_static("public, max-age=86400");
        let ok = StatusCode::OK;
        assert!(cacheable(&Method::GET, "/static/app.css", true, ok, None));
        assert!(cacheable(&Method::GET, "/s/1/qr.svg", false, ok, Some(&public)));
        assert!(!cacheable(&Method::GET, "/s/1/qr.svg", true, ok, Some(&public)), "signed in");
        assert!(!cacheable(&Method::POST, "/static/app.css", false, ok, None));
        assert!(!cacheable(&Method::GET, "/track", false, ok, None));
        assert!(!cacheable(&Method::GET, "/api/v1/x", false, ok, Some(&public)));
        assert!(!cacheable(&Method::GET, "/s/1/qr.svg", false, StatusCode::NOT_FOUND, Some(&public)));
        let private = HeaderValue::from_static("private, no-store");
        assert!(!cacheable(&Method::GET, "/files/1", false, ok, Some(&private)));
    }

    #[test]
    fn the_csrf_field_is_found_in_a_multipart_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok.en\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n--XyZ--\r\n";
        assert_eq!(multipart_field(body, "XyZ", "_csrf").as_deref(), Some("tok.en"));
        assert_eq!(multipart_field(body, "XyZ", "other"), None);
        // A file part named _csrf is not a token.
        let forged = b"--B\r\nContent-Disposition: form-data; name=\"_csrf\"; filename=\"x\"\r\n\r\nv\r\n--B--";
        assert_eq!(multipart_field(forged, "B", "_csrf"), None);
        assert_eq!(multipart_field(b"garbage", "B", "_csrf"), None);
    }
}
