//! Account management: creation, roles, password change and reset, TOTP enrolment.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, Change};
use crate::auth::authz::Field;
use crate::auth::{Role, password, roles_of};
use crate::base::config::PasswordCost;
use crate::base::error::{AppError, FieldError};
use crate::db;
use crate::privacy::{self, FieldCrypto};

#[derive(Clone, Debug, FromQueryResult)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub organ_id: i64,
    pub organ_name: String,
    pub organ_code: String,
    pub organ_path: String,
    pub unit_id: Option<i64>,
    pub deputy_id: Option<i64>,
    pub station_id: Option<i64>,
    pub phone_enc: Option<String>,
    pub disabled: bool,
    pub totp_enabled: bool,
    pub locked_until: i64,
    pub created_at: i64,
}

const COLS: &str = "a.id, a.username, a.display_name, a.organ_id, o.name AS organ_name, o.code AS organ_code, o.path AS organ_path, \
                    a.unit_id, a.deputy_id, a.station_id, a.phone_enc, a.disabled, a.totp_enabled, a.locked_until, a.created_at";

pub async fn find<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<AccountRow>, DbErr> {
    db::query_one(
        c,
        &format!("SELECT {COLS} FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE a.id = $1"),
        vec![id.into()],
    )
    .await
}

/// Filters of the account list (console and API alike).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountFilter {
    pub q: Option<String>,
    pub role: Option<String>,
    pub organ: Option<i64>,
}

/// One page of accounts in a subtree, keyed by id (cursor pagination).
/// The filter's `WHERE` clause over `accounts a JOIN organs o` and its values, shared by the
/// page and its count.
fn filter_sql(subtree_path: &str, filter: &AccountFilter) -> (String, Vec<sea_orm::Value>) {
    let mut sql = "o.path LIKE $1 ESCAPE '\\'".to_string();
    let mut values: Vec<sea_orm::Value> = vec![format!("{}%", db::like_escape(subtree_path)).into()];
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        values.push(format!("%{}%", db::like_escape(q)).into());
        let n = values.len();
        sql.push_str(&format!(" AND (a.username LIKE ${n} ESCAPE '\\' OR a.display_name LIKE ${n} ESCAPE '\\')"));
    }
    if let Some(role) = filter.role.as_deref().filter(|r| Role::parse(r).is_some()) {
        values.push(role.into());
        sql.push_str(&format!(" AND a.id IN (SELECT account_id FROM account_roles WHERE role = ${})", values.len()));
    }
    if let Some(organ) = filter.organ {
        values.push(organ.into());
        sql.push_str(&format!(" AND a.organ_id = ${}", values.len()));
    }
    (sql, values)
}

pub async fn list<C: ConnectionTrait>(
    c: &C,
    subtree_path: &str,
    filter: &AccountFilter,
    after_id: i64,
    limit: u64,
) -> Result<Vec<AccountRow>, DbErr> {
    let (cond, mut values) = filter_sql(subtree_path, filter);
    values.push(after_id.into());
    values.push((limit as i64).into());
    let n = values.len();
    let sql = format!(
        "SELECT {COLS} FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE {cond} AND a.id > ${} ORDER BY a.id LIMIT ${n}",
        n - 1
    );
    db::query_all(c, &sql, values).await
}

/// How many accounts the filter matches (the list's total).
pub async fn count<C: ConnectionTrait>(c: &C, subtree_path: &str, filter: &AccountFilter) -> Result<i64, DbErr> {
    let (cond, values) = filter_sql(subtree_path, filter);
    db::scalar_i64(
        c,
        &format!("SELECT count(*) FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE {cond}"),
        values,
    )
    .await
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub organ_id: i64,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub deputy_id: Option<i64>,
    #[serde(default)]
    pub station_id: Option<i64>,
}

fn valid_username(u: &str) -> bool {
    (3..=32).contains(&u.len()) && u.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// What a mainland mobile number is, said after the field's name or value.
pub const MSG_MOBILE_RULE: &str = "应为 1 开头、第二位为 3 至 9 的 11 位手机号，例如 13812345678";
/// The field error for a mobile number that is not one.
pub const MSG_MOBILE: &str = "手机号码应为 1 开头、第二位为 3 至 9 的 11 位数字，例如 13812345678";

/// A mainland mobile number: 11 digits starting 1[3-9]; the one check for every person's mobile.
pub fn valid_mobile(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
}

/// A record an account acts for, picked by name on the account form.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Link {
    Deputy,
    Station,
}

impl Link {
    pub fn parse(s: &str) -> Option<Link> {
        match s {
            "deputy" => Some(Link::Deputy),
            "station" => Some(Link::Station),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Link::Deputy => "代表",
            Link::Station => "站点",
        }
    }

    /// Table, and the column that tells two records of the same name apart.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Link::Deputy => ("persons", "work_unit"),
            Link::Station => ("stations", "address"),
        }
    }
}

/// A record found by name: its id, name and what tells it apart (work unit, address).
#[derive(Debug, Clone, FromQueryResult, serde::Serialize)]
pub struct Linkable {
    pub id: i64,
    pub name: String,
    pub hint: String,
}

/// Deputies or stations of the organ subtree whose name is `name` (or, with `prefix`, starts
/// with it), by name, at most `limit`.
pub async fn linkable<C: ConnectionTrait>(
    c: &C,
    subtree_path: &str,
    link: Link,
    name: &str,
    prefix: bool,
    limit: u64,
) -> Result<Vec<Linkable>, DbErr> {
    let (table, hint) = link.sql();
    let pattern = if prefix { format!("{}%", db::like_escape(name.trim())) } else { db::like_escape(name.trim()) };
    db::query_all(
        c,
        &format!(
            "SELECT r.id, r.name, COALESCE(r.{hint}, '') AS hint FROM {table} r JOIN organs o ON o.id = r.organ_id \
             WHERE o.path LIKE $1 ESCAPE '\\' AND r.name LIKE $2 ESCAPE '\\' ORDER BY r.name, r.id LIMIT $3"
        ),
        vec![format!("{}%", db::like_escape(subtree_path)).into(), pattern.into(), (limit as i64).into()],
    )
    .await
}

/// Validates and creates an account with its roles, in the caller's write transaction.
pub async fn create<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    cost: PasswordCost,
    actor: &Actor,
    input: &NewAccount,
) -> Result<i64, AppError> {
    let mut fields = Vec::new();
    let username = input.username.trim();
    if !valid_username(username) {
        fields.push(FieldError {
            field: "username".into(), message: "用户名为 3 至 32 位字母、数字或 _ . -".into()
        });
    } else if db::scalar_i64(c, "SELECT count(*) FROM accounts WHERE username = $1", vec![username.into()]).await? > 0 {
        fields.push(FieldError { field: "username".into(), message: format!("用户名 {username} 已被使用") });
    }
    let display = input.display_name.trim();
    if display.is_empty() || display.chars().count() > 40 {
        fields.push(FieldError {
            field: "display_name".into(), message: "姓名不能为空，且不超过 40 个字".into()
        });
    }
    if let Err(m) = password::check_policy(&input.password) {
        fields.push(FieldError { field: "password".into(), message: m.into() });
    }
    if input.roles.is_empty() {
        fields.push(FieldError { field: "roles".into(), message: "至少选择一个角色".into() });
    }
    let phone = input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if let Some(p) = phone
        && !valid_mobile(p)
    {
        fields.push(FieldError { field: "phone".into(), message: MSG_MOBILE.into() });
    }
    // The records a role acts for: a unit account its unit, a deputy account its person, a
    // keeper account its station. Each must exist.
    let links: [(Role, &str, Option<i64>, &str, &str); 3] = [
        (Role::Unit, "unit_id", input.unit_id, "handling_units", "承办单位账号须选择所属承办单位"),
        (Role::Deputy, "deputy_id", input.deputy_id, "persons", "代表账号须填写代表姓名"),
        (Role::Keeper, "station_id", input.station_id, "stations", "联络站管理员账号须填写站点名称"),
    ];
    for (role, field, id, table, missing) in links {
        match id {
            None if input.roles.contains(&role) => {
                fields.push(FieldError { field: field.into(), message: missing.into() })
            }
            Some(id)
                if db::scalar_i64(c, &format!("SELECT count(*) FROM {table} WHERE id = $1"), vec![id.into()])
                    .await?
                    == 0 =>
            {
                fields.push(FieldError { field: field.into(), message: format!("编号 {id} 不存在") })
            }
            _ => {}
        }
    }
    if !fields.is_empty() {
        return Err(AppError::Invalid { detail: format!("有 {} 处输入需要修改", fields.len()), fields });
    }
    let now = db::now();
    let id = db::insert_id(
        c,
        "INSERT INTO accounts (username, display_name, password_hash, organ_id, unit_id, deputy_id, station_id, phone_enc, phone_hash, \
         disabled, failed_logins, locked_until, totp_enabled, must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, $11, $12, $13, $14)",
        vec![
            username.into(),
            display.into(),
            password::hash(&input.password, cost).into(),
            input.organ_id.into(),
            input.unit_id.into(),
            input.deputy_id.into(),
            input.station_id.into(),
            phone.map(|p| crypto.encrypt(p)).into(),
            phone.map(|p| crypto.lookup_hash("phone", p)).into(),
            false.into(),
            false.into(),
            false.into(),
            now.into(),
            now.into(),
        ],
    )
    .await?;
    set_roles_unaudited(c, id, &input.roles).await?;
    let role_names: Vec<&str> = input.roles.iter().map(|r| r.label()).collect();
    Change::audited(
        "account_create",
        "account",
        id,
        format!("创建账号 {username}（{}），角色：{}", privacy::mask_name(display), role_names.join("、")),
    )
    .in_organ(input.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

async fn set_roles_unaudited<C: ConnectionTrait>(c: &C, id: i64, roles: &[Role]) -> Result<(), DbErr> {
    db::exec(c, "DELETE FROM account_roles WHERE account_id = $1", vec![id.into()]).await?;
    let mut unique: Vec<Role> = roles.to_vec();
    unique.sort();
    unique.dedup();
    for r in unique {
        db::exec(c, "INSERT INTO account_roles (account_id, role) VALUES ($1, $2)", vec![id.into(), r.as_str().into()])
            .await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct AccountUpdate {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
}

/// The privileged fields an update would really change (unchanged values ask for nothing),
/// for the authorization layer to decide on.
pub async fn requested_changes<C: ConnectionTrait>(
    c: &C,
    id: i64,
    change: &AccountUpdate,
) -> Result<Vec<Field>, DbErr> {
    let Some(before) = find(c, id).await? else { return Ok(Vec::new()) };
    let mut fields = Vec::new();
    if let Some(roles) = &change.roles {
        let mut new = roles.clone();
        new.sort();
        new.dedup();
        if roles_of(c, id).await? != new {
            fields.push(Field::AccountRoles);
        }
    }
    if change.disabled.is_some_and(|d| d != before.disabled) {
        fields.push(Field::AccountDisabled);
    }
    Ok(fields)
}

pub async fn update<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    id: i64,
    change: &AccountUpdate,
) -> Result<(), AppError> {
    let before = find(c, id).await?.ok_or(AppError::NotFound)?;
    let mut summary = Vec::new();
    if let Some(name) = change.display_name.as_deref().map(str::trim) {
        if name.is_empty() || name.chars().count() > 40 {
            return Err(AppError::invalid("display_name", "姓名不能为空，且不超过 40 个字"));
        }
        if name != before.display_name {
            db::exec(
                c,
                "UPDATE accounts SET display_name = $1, updated_at = $2 WHERE id = $3",
                vec![name.into(), db::now().into(), id.into()],
            )
            .await?;
            summary.push(format!("姓名：{} → {}", privacy::mask_name(&before.display_name), privacy::mask_name(name)));
        }
    }
    if let Some(roles) = &change.roles {
        if roles.is_empty() {
            return Err(AppError::invalid("roles", "至少选择一个角色"));
        }
        let old = roles_of(c, id).await?;
        let mut new = roles.clone();
        new.sort();
        new.dedup();
        if old != new {
            set_roles_unaudited(c, id, &new).await?;
            let show = |rs: &[Role]| rs.iter().map(|r| r.label()).collect::<Vec<_>>().join("、");
            summary.push(format!("角色：{} → {}", show(&old), show(&new)));
        }
    }
    if let Some(disabled) = change.disabled
        && disabled != before.disabled
    {
        if disabled && actor.account_id == Some(id) {
            return Err(AppError::Conflict("不能停用自己正在使用的账号".into()));
        }
        db::exec(
            c,
            "UPDATE accounts SET disabled = $1, updated_at = $2 WHERE id = $3",
            vec![disabled.into(), db::now().into(), id.into()],
        )
        .await?;
        if disabled {
            db::exec(c, "DELETE FROM sessions WHERE account_id = $1", vec![id.into()]).await?;
        }
        summary.push(if disabled { "停用账号".into() } else { "启用账号".into() });
    }
    if summary.is_empty() {
        return Ok(());
    }
    Change::audited("account_update", "account", id, summary.join("；"))
        .in_organ(before.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

/// How a password is being set.
#[derive(Clone, Debug)]
pub enum PasswordSet {
    /// An admin sets it for someone else: every session of the account ends and the owner
    /// must choose a new one at the next sign-in.
    Reset,
    /// The owner changes it: every *other* session ends (the one given stays signed in);
    /// API tokens end too when the owner asks for it.
    Change { keep_session_hash: Option<String>, revoke_tokens: bool },
}

/// Sets a new password and ends the sessions the kind of change calls for.
pub async fn set_password<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    cost: PasswordCost,
    actor: &Actor,
    id: i64,
    new_password: &str,
    how: &PasswordSet,
) -> Result<(), AppError> {
    password::check_policy(new_password).map_err(|m| AppError::invalid("new_password", m))?;
    let row = find(c, id).await?.ok_or(AppError::NotFound)?;
    let reset = matches!(how, PasswordSet::Reset);
    db::exec(
        c,
        "UPDATE accounts SET password_hash = $1, must_change_password = $2, failed_logins = 0, locked_until = 0, updated_at = $3 WHERE id = $4",
        vec![password::hash(new_password, cost).into(), reset.into(), db::now().into(), id.into()],
    )
    .await?;
    let mut summary = if reset {
        "管理员重置密码，已退出全部登录会话".to_string()
    } else {
        "本人修改密码".to_string()
    };
    match how {
        PasswordSet::Reset => {
            db::exec(c, "DELETE FROM sessions WHERE account_id = $1", vec![id.into()]).await?;
        }
        PasswordSet::Change { keep_session_hash, revoke_tokens } => {
            let ended = db::exec(
                c,
                "DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2",
                vec![id.into(), keep_session_hash.clone().unwrap_or_default().into()],
            )
            .await?;
            summary.push_str(&format!("，其他 {ended} 个登录会话已退出"));
            if *revoke_tokens {
                let revoked = db::exec(
                    c,
                    "UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
                    vec![db::now().into(), id.into()],
                )
                .await?;
                summary.push_str(&format!("，吊销 {revoked} 个 API 令牌"));
            }
        }
    }
    audit::append(
        c,
        key,
        actor,
        Change {
            action: if reset { "password_reset" } else { "password_change" },
            target_type: "account",
            target_id: id.to_string(),
            organ_id: Some(row.organ_id),
            summary,
        },
    )
    .await?;
    Ok(())
}

/// Stores a fresh two-step secret, encrypted and not yet active, for the account to confirm
/// with a code (`set_totp` then switches two-step sign-in on); an account that has it on keeps
/// its secret.
pub async fn stage_totp_secret<C: ConnectionTrait>(
    c: &C,
    crypto: &FieldCrypto,
    id: i64,
    secret: &str,
) -> Result<u64, DbErr> {
    db::exec(
        c,
        "UPDATE accounts SET totp_secret_enc = $1 WHERE id = $2 AND totp_enabled = $3",
        vec![crypto.encrypt(secret).into(), id.into(), false.into()],
    )
    .await
}

/// Switches two-step sign-in on (the secret was stored by the set-up page) or off (the
/// secret is dropped), audited on the account.
pub async fn set_totp<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    id: i64,
    organ_id: i64,
    enabled: bool,
) -> Result<(), AppError> {
    let sql = if enabled {
        "UPDATE accounts SET totp_enabled = $1 WHERE id = $2"
    } else {
        "UPDATE accounts SET totp_enabled = $1, totp_secret_enc = NULL WHERE id = $2"
    };
    db::exec(c, sql, vec![enabled.into(), id.into()]).await?;
    Change::audited(
        if enabled { "totp_enable" } else { "totp_disable" },
        "account",
        id,
        if enabled { "启用两步验证" } else { "停用两步验证" },
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}

pub async fn password_hash<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<String>, DbErr> {
    Ok(db::query_rows(c, "SELECT password_hash FROM accounts WHERE id = $1", vec![id.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok()))
}

/// An account as the API shows it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub organ: OrganRef,
    /// Masked (`138****5678`).
    pub phone: Option<String>,
    pub disabled: bool,
    pub totp_enabled: bool,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct OrganRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

pub async fn view<C: ConnectionTrait>(c: &C, crypto: &FieldCrypto, row: &AccountRow) -> Result<AccountView, DbErr> {
    Ok(AccountView {
        id: row.id,
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        roles: roles_of(c, row.id).await?,
        organ: OrganRef { id: row.organ_id, code: row.organ_code.clone(), name: row.organ_name.clone() },
        phone: row.phone_enc.as_deref().and_then(|p| crypto.decrypt(p).ok()).map(|p| privacy::mask_phone(&p)),
        disabled: row.disabled,
        totp_enabled: row.totp_enabled,
        created_at: crate::base::fmt::datetime(row.created_at),
    })
}
