//! Sign-in, sign-out and the account's own settings: password, TOTP, API tokens.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::FromQueryResult;
use serde::Deserialize;

use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId, Query};
use crate::app::fmt;
use crate::app::forms::unprocessable;
use crate::app::guard::{self, actor};
use crate::app::middleware::{cookie, cookie_attrs, redirect_with_flash};
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{self, Action, Decision, Principal, Resource, Scope, accounts, authz, password, totp};
use crate::db;

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
    match auth::login(&s.db, &s.writer, &s.config, &f.username, &f.password, code, &ip.0).await? {
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
        auth::logout(&s.writer, &s.config, token, &actor(p, &ip)).await?;
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
    /// The password was entered within the re-authentication window: new tokens and a
    /// second factor may be set up without asking again.
    recent_auth: bool,
    /// The account may create read-write tokens (a deputy's may not: read only).
    write_tokens: bool,
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
        recent_auth: p.recent_auth,
        write_tokens: authz::decide(p, Action::Create, &Resource::WriteToken { owner_id: p.account_id })
            != Decision::Forbidden,
    })
}

/// The account's security settings, as the authorization layer decides them for `action`.
async fn security_check(s: &AppState, p: &Principal, ip: &ClientIp, action: Action) -> AppResult<()> {
    let resource = Resource::AccountSecurity { owner_id: p.account_id };
    guard::check(s, p, ip, action, &resource, &p.account_id.to_string()).await
}

pub async fn account_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    security_check(&s, &p, &ip, Action::View).await?;
    render(&account_tpl(&page, &s, &p, Errors::default(), None).await?)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    password: String,
}

/// Wrong passwords a session may type when confirming before it is ended.
const REAUTH_TRIES: i64 = 5;

/// Re-authentication: the owner enters the password again to set up new credentials.
pub async fn confirm_identity(
    Console { page, p, s, ip }: Console,
    headers: axum::http::HeaderMap,
    Form(f): Form<ConfirmForm>,
) -> AppResult<Response> {
    security_check(&s, &p, &ip, Action::View).await?;
    let session = cookie(&headers, auth::SESSION_COOKIE).unwrap_or_default().to_string();
    let stored = accounts::password_hash(&s.db, p.account_id).await?.unwrap_or_default();
    if password::verify(&f.password, &stored) {
        auth::mark_reauthenticated(&s.db, &session).await?;
        return Ok(redirect_with_flash("/console/account", "身份已确认，10 分钟内可以创建令牌或启用两步验证"));
    }
    // A stolen session cannot guess the password here for long: after a few wrong tries the
    // session ends, and each try is in the audit log.
    let tries = write(&s, &p, &ip, async |w| {
        let tries = auth::count_reauth_failure(w.txn(), &session).await?;
        crate::audit::Change::audited(
            "login_failed",
            "account",
            p.account_id,
            format!("确认身份时密码错误（第 {tries} 次）"),
        )
        .in_organ(p.organ_id)
        .append(w.txn(), w.key(), w.actor())
        .await?;
        if tries >= REAUTH_TRIES {
            let hash = auth::token_hash(&session);
            db::exec(w.txn(), "DELETE FROM sessions WHERE token_hash = $1", vec![hash.into()]).await?;
        }
        Ok(tries)
    })
    .await?;
    if tries >= REAUTH_TRIES {
        return Ok(redirect_with_flash("/login", "密码错误次数过多，已退出登录，请重新登录"));
    }
    unprocessable(&account_tpl(&page, &s, &p, Errors::one("reauth_password", "密码不正确"), None).await?)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    revoke_tokens: Option<String>,
}

pub async fn change_password(
    Console { page, p, s, ip }: Console,
    headers: axum::http::HeaderMap,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    security_check(&s, &p, &ip, Action::Update).await?;
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
        return unprocessable(&account_tpl(&page, &s, &p, Errors(errors), None).await?);
    }
    let revoke_tokens = f.revoke_tokens.is_some();
    let keep = cookie(&headers, auth::SESSION_COOKIE).map(auth::token_hash);
    write(&s, &p, &ip, async |w| {
        accounts::set_password(
            w.txn(),
            w.key(),
            s.config.password_cost,
            w.actor(),
            p.account_id,
            &f.new_password,
            &accounts::PasswordSet::Change { keep_session_hash: keep, revoke_tokens },
        )
        .await?;
        Ok(())
    })
    .await?;
    let message = if revoke_tokens {
        "密码已修改；其他设备上的登录已退出，API 令牌已全部吊销"
    } else {
        "密码已修改；其他设备上的登录已退出"
    };
    Ok(redirect_with_flash("/console/account", message))
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
pub async fn totp_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    if authz::decide(&p, Action::Create, &Resource::AccountSecurity { owner_id: p.account_id })
        == Decision::Reauthenticate
    {
        return Ok(redirect_with_flash("/console/account", "启用两步验证前，请先输入密码确认身份"));
    }
    security_check(&s, &p, &ip, Action::Create).await?;
    let secret = totp::new_secret();
    write(&s, &p, &ip, async |w| Ok(accounts::stage_totp_secret(w.txn(), &s.crypto, p.account_id, &secret).await?))
        .await?;
    let qr_svg = crate::qr::qr_svg(&totp::otpauth_uri(&secret, &p.username), 4)
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

pub async fn totp_confirm(Caller { p, s, ip }: Caller, Form(f): Form<TotpForm>) -> AppResult<Response> {
    security_check(&s, &p, &ip, Action::Create).await?;
    let enc: Option<String> =
        db::query_rows(&s.db, "SELECT totp_secret_enc FROM accounts WHERE id = $1", vec![p.account_id.into()])
            .await?
            .first()
            .and_then(|r| r.try_get_by_index::<Option<String>>(0).ok().flatten());
    let secret = enc
        .and_then(|e| s.crypto.decrypt(&e).ok())
        .ok_or_else(|| AppError::Conflict("请先打开两步验证设置页面获取密钥".into()))?;
    let Some(step) = totp::verify_step(&secret, &f.code, db::now()) else {
        return Err(AppError::invalid("code", "动态码不正确，请确认手机时间准确后重新输入"));
    };
    write(&s, &p, &ip, async |w| {
        // The code that switched two-step sign-in on is spent: it cannot sign in as well.
        auth::take_totp_step(w.txn(), p.account_id, step).await?;
        accounts::set_totp(w.txn(), w.key(), w.actor(), p.account_id, p.organ_id, true).await
    })
    .await?;
    Ok(redirect_with_flash("/console/account", "两步验证已启用，下次登录需输入动态码"))
}

pub async fn totp_disable(Console { page, p, s, ip }: Console, Form(f): Form<ConfirmForm>) -> AppResult<Response> {
    security_check(&s, &p, &ip, Action::Update).await?;
    let stored = accounts::password_hash(&s.db, p.account_id).await?.unwrap_or_default();
    if !password::verify(&f.password, &stored) {
        return unprocessable(&account_tpl(&page, &s, &p, Errors::one("totp_password", "密码不正确"), None).await?);
    }
    write(&s, &p, &ip, async |w| {
        accounts::set_totp(w.txn(), w.key(), w.actor(), p.account_id, p.organ_id, false).await
    })
    .await?;
    Ok(redirect_with_flash("/console/account", "两步验证已停用"))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

pub async fn token_create(Console { page, p, s, ip }: Console, Form(f): Form<TokenForm>) -> AppResult<Response> {
    security_check(&s, &p, &ip, Action::Create).await?;
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        let errors =
            Errors::one("token_name", "请填写令牌用途（不超过 40 个字），例如“12345 热线对接”或“我的日程同步”");
        return unprocessable(&account_tpl(&page, &s, &p, errors, None).await?);
    }
    let Some(scope) = Scope::parse(&f.scope) else {
        let errors = Errors::one("token_scope", "请选择令牌权限：只读或读写");
        return unprocessable(&account_tpl(&page, &s, &p, errors, None).await?);
    };
    if scope == Scope::Write {
        let resource = Resource::WriteToken { owner_id: p.account_id };
        guard::check(&s, &p, &ip, Action::Create, &resource, &p.account_id.to_string()).await?;
    }
    let (_, token) = auth::create_token(&s.writer, &s.config, &actor(&p, &ip), p.account_id, name, scope).await?;
    // The clear token is shown once, on this response only.
    render(&account_tpl(&page, &s, &p, Errors::default(), Some(token)).await?)
}

pub async fn token_revoke(Caller { p, s, ip }: Caller, PathId(id): PathId) -> AppResult<Response> {
    let owner =
        db::scalar_i64(&s.db, "SELECT COALESCE(MAX(account_id), 0) FROM api_tokens WHERE id = $1", vec![id.into()])
            .await?;
    if authz::decide(&p, Action::Update, &Resource::AccountSecurity { owner_id: owner }) != Decision::Allow {
        return Err(AppError::NotFound);
    }
    auth::revoke_token(&s.writer, &s.config, &actor(&p, &ip), p.account_id, id).await?;
    Ok(redirect_with_flash("/console/account", &format!("令牌 #{id} 已吊销")))
}
