//! Handling units (承办单位) of an organ and their contact people (联络员) (REG-2). A unit
//! belongs to the organ whose government it answers to; a contact person has a name, a phone
//! number stored encrypted and, optionally, the `unit` account they sign in with.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use crate::audit::{Actor, Change};
use crate::base::error::AppError;
use crate::base::fields::FieldErrors;
use crate::db;
use crate::privacy::{FieldCrypto, mask_name};

pub const UNIT_KINDS: [(&str, &str); 5] = [
    ("government", "政府部门"),
    ("enterprise", "企业"),
    ("court", "法院"),
    ("procuratorate", "检察院"),
    ("other", "其他"),
];

pub fn kind_label(kind: &str) -> &'static str {
    crate::org::label(&UNIT_KINDS, kind)
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Unit {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    pub organ_name: String,
    pub name: String,
    pub kind: String,
    pub active: bool,
    pub created_at: i64,
    /// Number of contact people.
    pub contacts: i64,
}

impl Unit {
    pub fn kind_label(&self) -> &'static str {
        kind_label(&self.kind)
    }
}

const UNIT_SELECT: &str = "SELECT u.id, u.organ_id, o.path AS organ_path, o.name AS organ_name, u.name, u.kind, \
     u.active, u.created_at, (SELECT count(*) FROM unit_contacts c WHERE c.unit_id = u.id) AS contacts \
     FROM handling_units u JOIN organs o ON o.id = u.organ_id";

/// What the unit list is filtered by.
#[derive(Clone, Debug, Default)]
pub struct UnitFilter {
    /// Units of organs under this path.
    pub organ_path: String,
    pub kind: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
    /// `Some(true)` only active, `Some(false)` only inactive, `None` both.
    pub active: Option<bool>,
}

fn filter_sql(f: &UnitFilter) -> (String, Vec<sea_orm::Value>) {
    let mut sql = format!("{UNIT_SELECT} WHERE o.path LIKE $1 ESCAPE '\\'");
    let mut values: Vec<sea_orm::Value> = vec![format!("{}%", db::like_escape(&f.organ_path)).into()];
    if let Some(kind) = &f.kind {
        values.push(kind.clone().into());
        sql.push_str(&format!(" AND u.kind = ${}", values.len()));
    }
    if let Some(q) = &f.q {
        values.push(format!("%{}%", db::like_escape(q)).into());
        sql.push_str(&format!(" AND u.name LIKE ${} ESCAPE '\\'", values.len()));
    }
    if let Some(active) = f.active {
        values.push(active.into());
        sql.push_str(&format!(" AND u.active = ${}", values.len()));
    }
    (sql, values)
}

/// Every unit matching the filter (an organ has dozens, not thousands): active first, then by id.
pub async fn units<C: ConnectionTrait>(c: &C, f: &UnitFilter) -> Result<Vec<Unit>, DbErr> {
    let (sql, values) = filter_sql(f);
    db::query_all(c, &format!("{sql} ORDER BY u.active DESC, u.id"), values).await
}

pub async fn unit<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Unit>, DbErr> {
    db::query_one(c, &format!("{UNIT_SELECT} WHERE u.id = $1"), vec![id.into()]).await
}

/// The path of the organ a unit belongs to (for authorization), if the unit exists.
pub async fn unit_organ_path<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<String>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT o.path FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1",
        vec![id.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get_by_index(0)).transpose()
}

/// A unit as typed into the form.
#[derive(Clone, Debug, Default)]
pub struct UnitInput {
    pub name: String,
    pub kind: String,
    pub active: bool,
}

async fn check_unit<C: ConnectionTrait>(
    c: &C,
    organ_id: i64,
    except: Option<i64>,
    input: &UnitInput,
) -> Result<(), AppError> {
    let mut f = FieldErrors::new();
    let name = input.name.trim();
    if !(2..=60).contains(&name.chars().count()) {
        f.add("name", "单位名称应为 2 至 60 个字");
    } else if db::scalar_i64(
        c,
        "SELECT count(*) FROM handling_units WHERE organ_id = $1 AND name = $2 AND id <> $3",
        vec![organ_id.into(), name.into(), except.unwrap_or(0).into()],
    )
    .await?
        > 0
    {
        f.add("name", "本机关已登记同名的承办单位");
    }
    if !UNIT_KINDS.iter().any(|(k, _)| *k == input.kind) {
        f.add("kind", "请选择单位类别");
    }
    f.check_counted()
}

pub async fn create_unit<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    input: &UnitInput,
) -> Result<i64, AppError> {
    check_unit(c, organ_id, None, input).await?;
    let name = input.name.trim();
    let id = db::insert_id(
        c,
        "INSERT INTO handling_units (organ_id, name, kind, active, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![organ_id.into(), name.into(), input.kind.clone().into(), input.active.into(), db::now().into()],
    )
    .await?;
    Change::audited("unit_create", "handling_unit", id, format!("新建承办单位 {name}（{}）", kind_label(&input.kind)))
        .in_organ(organ_id)
        .append(c, key, actor)
        .await?;
    Ok(id)
}

/// Saves a unit's name, kind and state; `false` when nothing changed (nothing is audited then).
pub async fn update_unit<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    id: i64,
    input: &UnitInput,
) -> Result<bool, AppError> {
    let before = unit(c, id).await?.ok_or(AppError::NotFound)?;
    check_unit(c, before.organ_id, Some(id), input).await?;
    let name = input.name.trim();
    let mut changes = Vec::new();
    if before.name != name {
        changes.push(format!("名称：{} → {name}", before.name));
    }
    if before.kind != input.kind {
        changes.push(format!("类别：{} → {}", kind_label(&before.kind), kind_label(&input.kind)));
    }
    if before.active != input.active {
        changes.push(if input.active { "恢复启用".to_string() } else { "停用".to_string() });
    }
    if changes.is_empty() {
        return Ok(false);
    }
    db::exec(
        c,
        "UPDATE handling_units SET name = $1, kind = $2, active = $3 WHERE id = $4",
        vec![name.into(), input.kind.clone().into(), input.active.into(), id.into()],
    )
    .await?;
    Change::audited("unit_update", "handling_unit", id, changes.join("；"))
        .in_organ(before.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(true)
}

#[derive(Clone, Debug, FromQueryResult)]
pub struct Contact {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub phone_enc: Option<String>,
    pub account_id: Option<i64>,
    pub username: Option<String>,
}

pub async fn contacts<C: ConnectionTrait>(c: &C, unit_id: i64) -> Result<Vec<Contact>, DbErr> {
    db::query_all(
        c,
        "SELECT uc.id, uc.unit_id, uc.name, uc.phone_enc, uc.account_id, a.username FROM unit_contacts uc \
         LEFT JOIN accounts a ON a.id = uc.account_id WHERE uc.unit_id = $1 ORDER BY uc.id",
        vec![unit_id.into()],
    )
    .await
}

/// Accounts a contact person of this unit may be linked to: enabled, role `unit`, of this unit.
pub async fn unit_accounts<C: ConnectionTrait>(c: &C, unit_id: i64) -> Result<Vec<(i64, String, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.id, a.username, a.display_name FROM accounts a WHERE a.unit_id = $1 AND a.disabled = $2 \
         AND EXISTS (SELECT 1 FROM account_roles r WHERE r.account_id = a.id AND r.role = 'unit') ORDER BY a.id",
        vec![unit_id.into(), false.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?))).collect()
}

/// A contact person as typed into the form.
#[derive(Clone, Debug, Default)]
pub struct ContactInput {
    pub name: String,
    pub phone: String,
    pub account_id: Option<i64>,
}

/// A phone number as stored: digits, with a `-` after a landline's area code kept as typed.
fn normalise_phone(raw: &str) -> Option<String> {
    let kept: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = kept.chars().filter(|c| *c != '-').count();
    let ok = kept.chars().all(|c| c.is_ascii_digit() || c == '-')
        && !kept.starts_with('-')
        && !kept.ends_with('-')
        && (7..=12).contains(&digits);
    ok.then_some(kept)
}

pub async fn add_contact<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    unit_id: i64,
    input: &ContactInput,
) -> Result<i64, AppError> {
    let u = unit(c, unit_id).await?.ok_or(AppError::NotFound)?;
    let mut f = FieldErrors::new();
    let name = input.name.trim();
    if !(2..=20).contains(&name.chars().count()) {
        f.add("name", "联络员姓名应为 2 至 20 个字");
    }
    let phone = normalise_phone(&input.phone);
    if phone.is_none() {
        f.add("phone", "电话应为 11 位手机号或带区号的固定电话，例如 0536-6062114");
    }
    if let Some(account) = input.account_id {
        if !unit_accounts(c, unit_id).await?.iter().any(|(id, _, _)| *id == account) {
            f.add("account_id", "只能关联本单位的承办单位账号");
        } else if db::scalar_i64(
            c,
            "SELECT count(*) FROM unit_contacts WHERE unit_id = $1 AND account_id = $2",
            vec![unit_id.into(), account.into()],
        )
        .await?
            > 0
        {
            f.add("account_id", "这个账号已关联本单位的另一位联络员");
        }
    }
    f.check_counted()?;
    let phone_enc = phone.map(|p| crypto.encrypt(&p));
    let id = db::insert_id(
        c,
        "INSERT INTO unit_contacts (unit_id, name, phone_enc, account_id) VALUES ($1, $2, $3, $4)",
        vec![unit_id.into(), name.into(), phone_enc.into(), input.account_id.into()],
    )
    .await?;
    Change::audited(
        "unit_contact_add",
        "handling_unit",
        unit_id,
        format!(
            "新增联络员 {}（#{id}）{}",
            mask_name(name),
            input.account_id.map(|a| format!("，关联账号 #{a}")).unwrap_or_default()
        ),
    )
    .in_organ(u.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

pub async fn remove_contact<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    unit_id: i64,
    contact_id: i64,
) -> Result<(), AppError> {
    let u = unit(c, unit_id).await?.ok_or(AppError::NotFound)?;
    let rows = db::query_rows(
        c,
        "SELECT name FROM unit_contacts WHERE id = $1 AND unit_id = $2",
        vec![contact_id.into(), unit_id.into()],
    )
    .await?;
    let name: String = rows.first().ok_or(AppError::NotFound)?.try_get_by_index(0)?;
    db::exec(c, "DELETE FROM unit_contacts WHERE id = $1", vec![contact_id.into()]).await?;
    Change::audited(
        "unit_contact_remove",
        "handling_unit",
        unit_id,
        format!("移除联络员 {}（#{contact_id}）", mask_name(&name)),
    )
    .in_organ(u.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(normalise_phone(" 138 0000 1111 ").as_deref(), Some("13800001111"));
        assert_eq!(normalise_phone("0536-6062114").as_deref(), Some("0536-6062114"));
        assert_eq!(normalise_phone("12345"), None);
        assert_eq!(normalise_phone("电话"), None);
        assert_eq!(normalise_phone("-5366062114"), None);
    }
}
