//! Sign-in, sign-out and the account's own settings: password, TOTP, API tokens.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::FromQueryResult;
use serde::Deserialize;

use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, Form, PathId, Query};
use crate::app::fmt;
use crate::app::middleware::{cookie, cookie_attrs, redirect_with_flash};
use crate::app::state::AppState;
use crate::audit::Actor;
use crate::auth::{self, Action, Decision, Principal, Resource, Scope, accounts, authz, password, totp};
use crate::console::pages::{Errors, Layout, Page, render};
use crate::db;

pub fn actor(p: &Principal, ip: &ClientIp) -> Actor {
    Actor {
        account_id: Some(p.account_id),
        name: format!("{}（{}）", p.username, crate::privacy::mask_name(&p.display_name)),
        on_behalf_of: None,
        client: crate::privacy::mask_ip(&ip.0),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    l: Layout,
    username: String,
    next: String,
    error: Option<String>,
    need_totp: bool,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths on this site are followed after sign-in (no open redirect): see `urls::local_path`.
fn safe_next(next: Option<&str>) -> String {
    crate::app::urls::next_or(next, "/console")
}

pub async fn login_page(page: Page, Query(q): Query<NextQuery>) -> AppResult<Response> {
    if page.principal.is_some() {
        return Ok(crate::app::urls::see_other(&safe_next(q.next.as_deref())));
    }
    render(&LoginTpl {
        l: page.layout("登录", &[]),
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        need_totp: false,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    totp: Option<String>,
    next: Option<String>,
}

pub async fn login_submit(
    page: Page,
    State(s): State<AppState>,
    ip: ClientIp,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    let code = f.totp.as_deref().map(str::trim).filter(|c| !c.is_empty());
    match auth::login(&s.db, &s.config, &f.username, &f.password, code, &ip.0).await? {
        Ok(token) => {
            let mut r = crate::app::urls::see_other(&next);
            let v = format!(
                "{}={token}{}; Max-Age={}",
                auth::SESSION_COOKIE,
                cookie_attrs(&s),
                s.config.session_hours * 3600
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_str(&v).map_err(|_| AppError::BadRequest("无效的会话".into()))?,
            );
            Ok(r)
        }
        Err(e) => {
            let need_totp = matches!(e, auth::LoginError::TotpRequired | auth::LoginError::TotpReused);
            let status = match e {
                auth::LoginError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
                auth::LoginError::TotpRequired if code.is_none() => StatusCode::OK,
                _ => StatusCode::UNAUTHORIZED,
            };
            let tpl = LoginTpl {
                l: page.layout("登录", &[]),
                username: f.username.chars().take(64).collect(),
                next,
                error: Some(e.message()),
                need_totp,
            };
            Ok((status, axum::response::Html(tpl.render()?)).into_response())
        }
    }
}

pub async fn logout(
    State(s): State<AppState>,
    page: Page,
    ip: ClientIp,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    if let (Some(token), Some(p)) = (cookie(&headers, auth::SESSION_COOKIE), &page.principal) {
        auth::logout(&s.db, &s.config, token, &actor(p, &ip)).await?;
    }
    let mut r = redirect_with_flash("/login", "您已安全退出");
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!("{}=; Max-Age=0{}", auth::SESSION_COOKIE, cookie_attrs(&s))).expect("ascii"),
    );
    Ok(r)
}

#[derive(FromQueryResult)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TokenRow {
    pub fn created(&self) -> String {
        fmt::datetime(self.created_at)
    }
    pub fn last_used(&self) -> String {
        self.last_used_at.map(fmt::datetime).unwrap_or_else(|| "从未使用".into())
    }
    pub fn scope_label(&self) -> &'static str {
        if self.scopes == "write" { "读写" } else { "只读" }
    }
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountTpl {
    l: Layout,
    username: String,
    display_name: String,
    organ_name: String,
    roles: String,
    phone: Option<String>,
    totp_enabled: bool,
    tokens: Vec<TokenRow>,
    errors: Errors,
    new_token: Option<String>,
}

async fn account_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    errors: Errors,
    new_token: Option<String>,
) -> AppResult<AccountTpl> {
    let row = accounts::find(&s.db, p.account_id).await?.ok_or(AppError::NotFound)?;
    let tokens: Vec<TokenRow> = db::query_all(
        &s.db,
        "SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens WHERE account_id = $1 ORDER BY id DESC",
        vec![p.account_id.into()],
    )
    .await?;
    Ok(AccountTpl {
        l: page.layout("账号设置", &[("/console", "工作台"), ("/console/account", "账号设置")]),
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        organ_name: row.organ_name.clone(),
        roles: p.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
        phone: row
            .phone_enc
            .as_deref()
            .and_then(|v| s.crypto.decrypt(v).ok())
            .map(|v: String| crate::privacy::mask_phone(&v)),
        totp_enabled: row.totp_enabled,
        tokens,
        errors,
        new_token,
    })
}

pub async fn account_page(page: Page, Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    render(&account_tpl(&page, &s, &p, Errors::default(), None).await?)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    page: Page,
    Auth(p): Auth,
    State(s): State<AppState>,
    ip: ClientIp,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let stored = accounts::password_hash(&s.db, p.account_id).await?.unwrap_or_default();
    let mut errors = Vec::new();
    if !password::verify(&f.current_password, &stored) {
        errors
            .push(crate::app::error::FieldError {
                field: "current_password".into(), message: "当前密码不正确".into()
            });
    }
    if f.new_password != f.confirm_password {
        errors.push(crate::app::error::FieldError {
            field: "confirm_password".into(),
            message: "两次输入的新密码不一致".into(),
        });
    }
    if let Err(m) = password::check_policy(&f.new_password) {
        errors.push(crate::app::error::FieldError { field: "new_password".into(), message: m.into() });
    }
    if !errors.is_empty() {
        let tpl = account_tpl(&page, &s, &p, Errors(errors), None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(tpl.render()?)).into_response());
    }
    let txn = db::begin_write(&s.db).await?;
    accounts::set_password(
        &txn,
        s.audit_key(),
        s.config.password_cost,
        &actor(&p, &ip),
        p.account_id,
        &f.new_password,
        "password_change",
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_flash("/console/account", "密码已修改"))
}

#[derive(Template)]
#[template(path = "console/totp.html")]
struct TotpTpl {
    l: Layout,
    secret: String,
    qr_svg: String,
    error: Option<String>,
}

/// Shows a fresh secret (stored encrypted, not yet active) and its QR code.
pub async fn totp_page(page: Page, Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let secret = totp::new_secret();
    db::exec(
        &s.db,
        "UPDATE accounts SET totp_secret_enc = $1 WHERE id = $2 AND totp_enabled = $3",
        vec![s.crypto.encrypt(&secret).into(), p.account_id.into(), false.into()],
    )
    .await?;
    let qr_svg = crate::registry::qr::qr_svg(&totp::otpauth_uri(&secret, &p.username), 4)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    render(&TotpTpl {
        l: page.layout(
            "启用两步验证",
            &[("/console", "工作台"), ("/console/account", "账号设置"), ("/console/account/totp", "两步验证")],
        ),
        secret,
        qr_svg,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    code: String,
}

pub async fn totp_confirm(
    Auth(p): Auth,
    State(s): State<AppState>,
    ip: ClientIp,
    Form(f): Form<TotpForm>,
) -> AppResult<Response> {
    let enc: Option<String> =
        db::query_rows(&s.db, "SELECT totp_secret_enc FROM accounts WHERE id = $1", vec![p.account_id.into()])
            .await?
            .first()
            .and_then(|r| r.try_get_by_index::<Option<String>>(0).ok().flatten());
    let secret = enc
        .and_then(|e| s.crypto.decrypt(&e).ok())
        .ok_or_else(|| AppError::Conflict("请先打开两步验证设置页面获取密钥".into()))?;
    if !totp::verify(&secret, &f.code, db::now()) {
        return Err(AppError::invalid("code", "动态码不正确，请确认手机时间准确后重新输入"));
    }
    let txn = db::begin_write(&s.db).await?;
    db::exec(&txn, "UPDATE accounts SET totp_enabled = $1 WHERE id = $2", vec![true.into(), p.account_id.into()])
        .await?;
    crate::audit::append(
        &txn,
        s.audit_key(),
        &actor(&p, &ip),
        crate::audit::Change {
            action: "totp_enable",
            target_type: "account",
            target_id: p.account_id.to_string(),
            organ_id: Some(p.organ_id),
            summary: "启用两步验证".into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_flash("/console/account", "两步验证已启用，下次登录需输入动态码"))
}

#[derive(Deserialize)]
pub struct ConfirmPassword {
    #[serde(default)]
    password: String,
}

pub async fn totp_disable(
    Auth(p): Auth,
    State(s): State<AppState>,
    ip: ClientIp,
    Form(f): Form<ConfirmPassword>,
) -> AppResult<Response> {
    let stored = accounts::password_hash(&s.db, p.account_id).await?.unwrap_or_default();
    if !password::verify(&f.password, &stored) {
        return Err(AppError::invalid("password", "密码不正确"));
    }
    let txn = db::begin_write(&s.db).await?;
    db::exec(
        &txn,
        "UPDATE accounts SET totp_enabled = $1, totp_secret_enc = NULL WHERE id = $2",
        vec![false.into(), p.account_id.into()],
    )
    .await?;
    crate::audit::append(
        &txn,
        s.audit_key(),
        &actor(&p, &ip),
        crate::audit::Change {
            action: "totp_disable",
            target_type: "account",
            target_id: p.account_id.to_string(),
            organ_id: Some(p.organ_id),
            summary: "停用两步验证".into(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(redirect_with_flash("/console/account", "两步验证已停用"))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

pub async fn token_create(
    page: Page,
    Auth(p): Auth,
    State(s): State<AppState>,
    ip: ClientIp,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        let tpl = account_tpl(
            &page,
            &s,
            &p,
            Errors(vec![crate::app::error::FieldError {
                field: "token_name".into(),
                message: "请填写令牌用途（不超过 40 个字），例如“12345 热线对接”".into(),
            }]),
            None,
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(tpl.render()?)).into_response());
    }
    let scope = Scope::parse(&f.scope).unwrap_or(Scope::Read);
    let (_, token) = auth::create_token(&s.db, &s.config, &actor(&p, &ip), p.account_id, name, scope).await?;
    // The clear token is shown once, on this response only.
    render(&account_tpl(&page, &s, &p, Errors::default(), Some(token)).await?)
}

pub async fn token_revoke(
    Auth(p): Auth,
    State(s): State<AppState>,
    ip: ClientIp,
    PathId(id): PathId,
) -> AppResult<Response> {
    let owner =
        db::scalar_i64(&s.db, "SELECT COALESCE(MAX(account_id), 0) FROM api_tokens WHERE id = $1", vec![id.into()])
            .await?;
    if authz::decide(&p, Action::Update, &Resource::ApiToken { owner_id: owner }) != Decision::Allow {
        return Err(AppError::NotFound);
    }
    auth::revoke_token(&s.db, &s.config, &actor(&p, &ip), p.account_id, id).await?;
    Ok(redirect_with_flash("/console/account", &format!("令牌 #{id} 已吊销")))
}
