//! Accounts, sessions, API tokens, sign-in throttling and the authorization layer (PLAT-6, PLAT-7).

pub mod accounts;
pub mod authz;
pub mod password;
pub mod roles;
pub mod totp;

use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult};
use sha2::{Digest, Sha256};

use crate::audit::{self, Actor, Change};
use crate::base::config::Config;
use crate::db;
use crate::db::writer::Writer;
use crate::privacy::FieldCrypto;
pub use authz::{Action, Decision, Principal, Reach, Resource};
pub use roles::{Role, Scope};

pub const SESSION_COOKIE: &str = "renda_session";

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Stored form of a high-entropy secret (session id, API token): SHA-256 is enough.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, FromQueryResult)]
struct PrincipalRow {
    id: i64,
    username: String,
    display_name: String,
    organ_id: i64,
    organ_path: String,
    unit_id: Option<i64>,
    deputy_id: Option<i64>,
    station_id: Option<i64>,
}

pub async fn roles_of<C: ConnectionTrait>(c: &C, account_id: i64) -> Result<Vec<Role>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role",
        vec![account_id.into()],
    )
    .await?;
    let mut roles: Vec<Role> =
        rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).filter_map(|s| Role::parse(&s)).collect();
    roles.sort();
    Ok(roles)
}

/// Loads an enabled account as a principal.
pub async fn load_principal<C: ConnectionTrait>(
    c: &C,
    account_id: i64,
    scope: Option<Scope>,
    recent_auth: bool,
) -> Result<Option<Principal>, DbErr> {
    let row: Option<PrincipalRow> = db::query_one(
        c,
        "SELECT a.id, a.username, a.display_name, a.organ_id, o.path AS organ_path, a.unit_id, a.deputy_id, a.station_id \
         FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE a.id = $1 AND a.disabled = $2",
        vec![account_id.into(), false.into()],
    )
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Principal {
        account_id: r.id,
        username: r.username,
        display_name: r.display_name,
        roles: roles_of(c, r.id).await?,
        organ_id: r.organ_id,
        organ_path: r.organ_path,
        unit_id: r.unit_id,
        deputy_id: r.deputy_id,
        station_id: r.station_id,
        token_scope: scope,
        recent_auth: recent_auth && scope.is_none(),
    }))
}

#[derive(Debug, FromQueryResult)]
struct SessionRow {
    id: i64,
    account_id: i64,
    last_seen_at: i64,
    created_at: i64,
    auth_at: i64,
}

/// The principal behind a session cookie, if the session is alive.
pub async fn session_principal(db: &DatabaseConnection, token: &str) -> Result<Option<Principal>, DbErr> {
    let now = db::now();
    let row: Option<SessionRow> = db::query_one(
        db,
        "SELECT id, account_id, last_seen_at, created_at, auth_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        vec![token_hash(token).into(), now.into()],
    )
    .await?;
    let Some(s) = row else { return Ok(None) };
    if now - s.last_seen_at > 60 {
        db::exec(db, "UPDATE sessions SET last_seen_at = $1 WHERE id = $2", vec![now.into(), s.id.into()]).await?;
    }
    let recent = now - s.created_at.max(s.auth_at) < authz::REAUTH_WINDOW_SECS;
    load_principal(db, s.account_id, None, recent).await
}

/// Counts a wrong password typed when confirming identity; returns the session's count.
pub async fn count_reauth_failure<C: ConnectionTrait>(c: &C, session_token: &str) -> Result<i64, DbErr> {
    let hash = token_hash(session_token);
    db::exec(
        c,
        "UPDATE sessions SET auth_failures = auth_failures + 1 WHERE token_hash = $1",
        vec![hash.clone().into()],
    )
    .await?;
    db::scalar_i64(c, "SELECT COALESCE(MAX(auth_failures), 0) FROM sessions WHERE token_hash = $1", vec![hash.into()])
        .await
}

/// Records that the session's owner entered the password again (re-authentication).
pub async fn mark_reauthenticated<C: ConnectionTrait>(c: &C, session_token: &str) -> Result<(), DbErr> {
    db::exec(
        c,
        "UPDATE sessions SET auth_at = $1, auth_failures = 0 WHERE token_hash = $2",
        vec![db::now().into(), token_hash(session_token).into()],
    )
    .await?;
    Ok(())
}

#[derive(Debug, FromQueryResult)]
struct TokenRow {
    id: i64,
    account_id: i64,
    scopes: String,
    last_used_at: Option<i64>,
}

/// The principal behind `Authorization: Bearer …`, narrowed to the token's scope.
pub async fn token_principal(db: &DatabaseConnection, token: &str) -> Result<Option<Principal>, DbErr> {
    let row: Option<TokenRow> = db::query_one(
        db,
        "SELECT id, account_id, scopes, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        vec![token_hash(token).into()],
    )
    .await?;
    let Some(t) = row else { return Ok(None) };
    let now = db::now();
    if t.last_used_at.is_none_or(|at| now - at > 60) {
        db::exec(db, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", vec![now.into(), t.id.into()]).await?;
    }
    let scope = Scope::parse(&t.scopes).unwrap_or(Scope::Read);
    load_principal(db, t.account_id, Some(scope), false).await
}

#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong username or password (never says which).
    BadCredentials,
    /// The second factor is needed or wrong.
    TotpRequired,
    /// The second factor was right but its time step has been used already (a replayed code).
    TotpReused,
    /// Too many failures: locked until this time.
    Locked { until: i64 },
}

impl LoginError {
    pub fn message(&self) -> String {
        match self {
            LoginError::BadCredentials => "用户名或密码不正确".into(),
            LoginError::TotpRequired => "请输入身份验证器中的 6 位动态码".into(),
            LoginError::TotpReused => "这个动态码已经用过了，请等身份验证器显示新的动态码后再输入".into(),
            LoginError::Locked { until } => {
                let minutes = ((until - db::now()) + 59) / 60;
                format!("登录失败次数过多，账号已临时锁定，请 {} 分钟后再试", minutes.max(1))
            }
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct LoginRow {
    id: i64,
    password_hash: String,
    locked_until: i64,
    totp_enabled: bool,
    totp_secret_enc: Option<String>,
    totp_last_step: i64,
    organ_id: i64,
}

/// Whose failures a sign-in attempt counts against: the account's own columns (shown to
/// admins, cleared by a password reset), or, for a name with no enabled account, a
/// `login_throttle` row keyed by the name. Both follow the same rule, so the answers
/// (status, message, when the lock starts) do not tell existing accounts from others.
enum NameKey {
    Account(i64),
    Unknown(String),
}

impl NameKey {
    /// (failures, locked_until)
    async fn state<C: ConnectionTrait>(&self, c: &C) -> Result<(i64, i64), DbErr> {
        let row = match self {
            NameKey::Account(id) => {
                db::query_rows(c, "SELECT failed_logins, locked_until FROM accounts WHERE id = $1", vec![(*id).into()])
                    .await?
            }
            NameKey::Unknown(key) => {
                db::query_rows(c, "SELECT failures, locked_until FROM login_throttle WHERE key = $1", vec![key.into()])
                    .await?
            }
        };
        Ok(row
            .first()
            .map(|r| (r.try_get_by_index(0).unwrap_or(0), r.try_get_by_index(1).unwrap_or(0)))
            .unwrap_or((0, 0)))
    }

    async fn set<C: ConnectionTrait>(&self, c: &C, failures: i64, locked_until: i64, now: i64) -> Result<(), DbErr> {
        match self {
            NameKey::Account(id) => {
                db::exec(
                    c,
                    "UPDATE accounts SET failed_logins = $1, locked_until = $2 WHERE id = $3",
                    vec![failures.into(), locked_until.into(), (*id).into()],
                )
                .await?;
            }
            NameKey::Unknown(key) => {
                db::exec(c, "DELETE FROM login_throttle WHERE key = $1", vec![key.into()]).await?;
                db::exec(
                    c,
                    "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)",
                    vec![key.into(), failures.into(), now.into(), locked_until.into()],
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// Prefix of `login_throttle` keys that count a sign-in name (the others count an address).
const NAME_KEY_PREFIX: &str = "user:";

/// (failures, window_start, locked_until) of a client address.
async fn address_state<C: ConnectionTrait>(c: &C, key: &str) -> Result<Option<(i64, i64, i64)>, DbErr> {
    Ok(db::query_rows(
        c,
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1",
        vec![key.into()],
    )
    .await?
    .first()
    .map(|r| {
        (r.try_get_by_index(0).unwrap_or(0), r.try_get_by_index(1).unwrap_or(0), r.try_get_by_index(2).unwrap_or(0))
    }))
}

/// Records `step` (from [`totp::verify_step`]) as the account's last accepted TOTP time step;
/// false when that step or a later one was accepted already (a replayed code). The check and
/// the write are one statement, so two requests racing with one code cannot both succeed.
/// Every place that accepts a TOTP code for an account should take its step here.
pub async fn take_totp_step<C: ConnectionTrait>(c: &C, account_id: i64, step: i64) -> Result<bool, DbErr> {
    Ok(db::exec(
        c,
        "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
        vec![step.into(), account_id.into()],
    )
    .await?
        == 1)
}

/// Checks credentials with throttling per sign-in name and per client address; creates a session.
///
/// A success resets only the failures of its own account, never those of the address (one
/// valid account must not buy an attacker fresh guesses at others). Counters are read again
/// and updated inside the write transaction, where writers are serialised, so parallel
/// attempts neither lose counts nor slip past a lock set meanwhile. A TOTP code is accepted
/// once: its time step must be later than the last one accepted for the account.
pub async fn login(
    db: &DatabaseConnection,
    writer: &Writer,
    config: &Config,
    username: &str,
    password: &str,
    totp_code: Option<&str>,
    client_ip: &str,
) -> Result<Result<String, LoginError>, DbErr> {
    let now = db::now();
    let crypto = FieldCrypto::new(config.secrets.field_key);
    let ip_key = crypto.lookup_hash("login-ip", client_ip);
    let client = crate::privacy::mask_ip(client_ip);
    // A locked address costs no lookup and no password hashing.
    if let Some((_, _, until)) = address_state(db, &ip_key).await?
        && until > now
    {
        return Ok(Err(LoginError::Locked { until }));
    }
    let name = username.trim();
    let row: Option<LoginRow> = db::query_one(
        db,
        "SELECT id, password_hash, locked_until, totp_enabled, totp_secret_enc, totp_last_step, organ_id \
         FROM accounts WHERE username = $1 AND disabled = $2",
        vec![name.into(), false.into()],
    )
    .await?;
    let name_key = match &row {
        Some(r) => NameKey::Account(r.id),
        None => NameKey::Unknown(format!("{NAME_KEY_PREFIX}{}", crypto.lookup_hash("login-user", name))),
    };
    let name_locked_until = match &row {
        Some(r) => r.locked_until,
        None => name_key.state(db).await?.1,
    };
    let lockout = config.login_lockout_minutes * 60;
    let actor = Actor {
        account_id: row.as_ref().map(|r| r.id),
        name: username.chars().take(40).collect(),
        on_behalf_of: None,
        client,
    };
    // Ok((account, accepted TOTP step)); a locked name is refused before any hashing,
    // an unknown one spends the time of a real verification.
    let outcome: Result<(i64, Option<i64>), LoginError> = match &row {
        _ if name_locked_until > now => Err(LoginError::Locked { until: name_locked_until }),
        None => {
            password::burn(config.password_cost);
            Err(LoginError::BadCredentials)
        }
        Some(r) if !password::verify(password, &r.password_hash) => Err(LoginError::BadCredentials),
        Some(r) if r.totp_enabled => {
            let secret = r.totp_secret_enc.as_deref().and_then(|s| crypto.decrypt(s).ok()).unwrap_or_default();
            match totp_code.and_then(|code| totp::verify_step(&secret, code, now)) {
                Some(step) if step > r.totp_last_step => Ok((r.id, Some(step))),
                Some(_) => Err(LoginError::TotpReused),
                None => Err(LoginError::TotpRequired),
            }
        }
        Some(r) => Ok((r.id, None)),
    };

    // The refusal is written too (counters, audit): the write succeeds, the sign-in may not.
    writer
        .run(async |txn| {
        let address = address_state(txn, &ip_key).await?;
        let (name_failures, name_locked_until) = name_key.state(txn).await?;
        let locked_meanwhile = [address.map(|a| a.2).unwrap_or(0), name_locked_until].into_iter().max().unwrap_or(0);
        let outcome = match outcome {
            Ok(_) | Err(LoginError::BadCredentials | LoginError::TotpRequired | LoginError::TotpReused)
                if locked_meanwhile > now =>
            {
                Err(LoginError::Locked { until: locked_meanwhile })
            }
            Ok((account_id, Some(step))) => {
                if take_totp_step(txn, account_id, step).await? {
                    Ok(account_id)
                } else {
                    Err(LoginError::TotpReused)
                }
            }
            Ok((account_id, None)) => Ok(account_id),
            Err(e) => Err(e),
        };
        let result = match outcome {
            Ok(account_id) => {
                let token = random_token("");
                db::exec(
                    txn,
                    "UPDATE accounts SET failed_logins = 0, locked_until = 0 WHERE id = $1",
                    vec![account_id.into()],
                )
                .await?;
                db::exec(
                    txn,
                    "INSERT INTO sessions (token_hash, account_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)",
                    vec![token_hash(&token).into(), account_id.into(), now.into(), (now + config.session_hours * 3600).into(), now.into()],
                )
                .await?;
                let organ_id = row.as_ref().map(|r| r.organ_id);
                audit::append(
                    txn,
                    &config.secrets.audit_key,
                    &actor,
                    Change {
                        action: "login",
                        target_type: "account",
                        target_id: account_id.to_string(),
                        organ_id,
                        summary: "登录成功".into(),
                    },
                )
                .await?;
                Ok(token)
            }
            Err(e) => {
                let mut e = e;
                let totp_prompt = e == LoginError::TotpRequired && totp_code.is_none();
                if !matches!(e, LoginError::Locked { .. }) && !totp_prompt {
                    let failures = name_failures + 1;
                    let until = if failures >= config.login_max_failures { now + lockout } else { 0 };
                    name_key.set(txn, if until > 0 { 0 } else { failures }, until, now).await?;
                    if until > 0 {
                        e = LoginError::Locked { until };
                    }
                }
                // Per-address throttle: a wider budget, so one office's NAT is not locked out by one user.
                let (failures, window_start) = match address {
                    Some((f, w, _)) if now - w < lockout => (f + 1, w),
                    _ => (1, now),
                };
                let until = if failures >= config.login_max_failures * 4 { now + lockout } else { 0 };
                db::exec(txn, "DELETE FROM login_throttle WHERE key = $1", vec![ip_key.clone().into()]).await?;
                db::exec(
                    txn,
                    "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)",
                    vec![ip_key.into(), failures.into(), window_start.into(), until.into()],
                )
                .await?;
                if until > 0 {
                    e = LoginError::Locked { until };
                }
                if !totp_prompt {
                    audit::append(
                        txn,
                        &config.secrets.audit_key,
                        &actor,
                        Change {
                            action: "login_failed",
                            target_type: "account",
                            target_id: row.as_ref().map(|r| r.id.to_string()).unwrap_or_else(|| "-".into()),
                            organ_id: row.as_ref().map(|r| r.organ_id),
                            summary: format!("登录失败：{}", e.message()),
                        },
                    )
                    .await?;
                }
                Err(e)
            }
        };
        Ok::<_, DbErr>(result)
        })
        .await
}

pub async fn logout(writer: &Writer, config: &Config, token: &str, actor: &Actor) -> Result<(), DbErr> {
    writer
        .run(async |txn| {
            let n = db::exec(txn, "DELETE FROM sessions WHERE token_hash = $1", vec![token_hash(token).into()]).await?;
            if n > 0 {
                Change::audited(
                    "logout",
                    "account",
                    actor.account_id.map(|v| v.to_string()).unwrap_or_default(),
                    "退出登录",
                )
                .append(txn, &config.secrets.audit_key, actor)
                .await?;
            }
            Ok(())
        })
        .await
}

/// Creates an API token; the clear value is returned once and stored only as a hash.
pub async fn create_token(
    writer: &Writer,
    config: &Config,
    actor: &Actor,
    account_id: i64,
    name: &str,
    scope: Scope,
) -> Result<(i64, String), DbErr> {
    let token = random_token("rnd_");
    let id =
        writer
            .run(async |txn| {
                let id = db::insert_id(
        txn,
        "INSERT INTO api_tokens (account_id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![account_id.into(), name.into(), token_hash(&token).into(), scope.as_str().into(), db::now().into()],
    )
    .await?;
                Change::audited(
                    "token_create",
                    "account",
                    account_id,
                    format!("创建 API 令牌 #{id}「{name}」，权限 {}", scope.as_str()),
                )
                .append(txn, &config.secrets.audit_key, actor)
                .await?;
                Ok::<_, DbErr>(id)
            })
            .await?;
    Ok((id, token))
}

pub async fn revoke_token(
    writer: &Writer,
    config: &Config,
    actor: &Actor,
    account_id: i64,
    token_id: i64,
) -> Result<bool, DbErr> {
    writer
        .run(async |txn| {
            let n = db::exec(
                txn,
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
                vec![db::now().into(), token_id.into(), account_id.into()],
            )
            .await?;
            if n > 0 {
                Change::audited("token_revoke", "account", account_id, format!("吊销 API 令牌 #{token_id}"))
                    .append(txn, &config.secrets.audit_key, actor)
                    .await?;
            }
            Ok(n > 0)
        })
        .await
}

/// Removes expired sessions, and sign-in throttle rows that no longer hold anything back
/// (a name whose lock has run out with no failures since; an address whose window and lock
/// ended more than a day ago, longer than any configured lockout); run by the job worker.
pub async fn purge_expired_sessions(writer: &Writer) -> Result<u64, DbErr> {
    let now = db::now();
    let names = format!("{NAME_KEY_PREFIX}%");
    writer
        .run(async |txn| {
            db::exec(
                txn,
                "DELETE FROM login_throttle WHERE key LIKE $1 AND failures = 0 AND locked_until < $2",
                vec![names.clone().into(), now.into()],
            )
            .await?;
            db::exec(
                txn,
                "DELETE FROM login_throttle WHERE key NOT LIKE $1 AND locked_until < $2 AND window_start < $3",
                vec![names.clone().into(), now.into(), (now - 86_400).into()],
            )
            .await?;
            db::exec(txn, "DELETE FROM sessions WHERE expires_at <= $1", vec![now.into()]).await
        })
        .await
}
