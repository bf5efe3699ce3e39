//! A deputy's fixed voter contacts (代表联系选民, 三联系), names encrypted.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::persons::*;

use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::privacy::FieldCrypto;
use crate::registry::records::audit_change;

// ---- voter contacts

/// Contact link kind: a deputy's fixed voter contact (代表联系选民, 三联系); `person_id` is the
/// deputy, the voter's name is stored encrypted in `voter_name_enc`.
pub const LINK_DEPUTY_VOTER: &str = "deputy_voter";

#[derive(Clone, Debug, FromQueryResult)]
pub struct VoterContact {
    pub id: i64,
    pub person_id: i64,
    pub voter_name_enc: Option<String>,
    pub voter_note: String,
    pub created_at: i64,
}

/// A deputy's fixed voter contacts, oldest first.
pub async fn voter_contacts<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<VoterContact>, DbErr> {
    db::query_all(
        c,
        "SELECT id, person_id, voter_name_enc, voter_note, created_at FROM contact_links \
         WHERE kind = $1 AND person_id = $2 ORDER BY id",
        vec![LINK_DEPUTY_VOTER.into(), person_id.into()],
    )
    .await
}

/// Adds a fixed voter contact to a serving deputy. The name is encrypted; the audit entry
/// carries it masked. The same name twice is refused.
pub async fn add_voter_contact<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    person_id: i64,
    voter_name: &str,
    note: &str,
) -> Result<i64, AppError> {
    let deputy = person(c, person_id).await?.ok_or(AppError::NotFound)?;
    let mut f = Vec::new();
    let name = voter_name.trim();
    let note = note.trim();
    if !(2..=20).contains(&name.chars().count()) {
        field(&mut f, "voter_name", "选民姓名应为 2 至 20 个字");
    }
    if note.chars().count() > 100 {
        field(&mut f, "voter_note", "说明不超过 100 个字");
    }
    if db::scalar_i64(
        c,
        "SELECT count(*) FROM mandates WHERE person_id = $1 AND status = 'serving'",
        vec![person_id.into()],
    )
    .await?
        == 0
    {
        field(&mut f, "voter_name", "这位人员没有在任的代表资格");
    }
    if f.is_empty() {
        for existing in voter_contacts(c, person_id).await? {
            if existing.voter_name_enc.as_deref().and_then(|e| crypto.decrypt(e).ok()).as_deref() == Some(name) {
                field(&mut f, "voter_name", "已登记这位选民，无需重复添加");
                break;
            }
        }
    }
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO contact_links (organ_id, kind, person_id, deputy_id, voter_name_enc, voter_note, created_at) \
         VALUES ($1, $2, $3, NULL, $4, $5, $6)",
        vec![
            deputy.organ_id.into(),
            LINK_DEPUTY_VOTER.into(),
            person_id.into(),
            crypto.encrypt(name).into(),
            note.into(),
            db::now().into(),
        ],
    )
    .await?;
    let said = format!("新增固定联系选民 {}（#{id}）", crate::privacy::mask_name(name));
    audit_change(c, (key, actor), "voter_contact_add", "person", person_id, deputy.organ_id, said).await?;
    Ok(id)
}

/// Removes one of a deputy's fixed voter contacts (404 when it is not theirs).
pub async fn remove_voter_contact<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    person_id: i64,
    link_id: i64,
) -> Result<(), AppError> {
    let found = voter_contacts(c, person_id).await?.into_iter().find(|v| v.id == link_id).ok_or(AppError::NotFound)?;
    let organ_id = db::scalar_i64(c, "SELECT organ_id FROM contact_links WHERE id = $1", vec![link_id.into()]).await?;
    db::exec(
        c,
        "DELETE FROM contact_links WHERE id = $1 AND kind = $2",
        vec![link_id.into(), LINK_DEPUTY_VOTER.into()],
    )
    .await?;
    let masked = found
        .voter_name_enc
        .as_deref()
        .and_then(|e| crypto.decrypt(e).ok())
        .map(|n| crate::privacy::mask_name(&n))
        .unwrap_or_default();
    let said = format!("移除固定联系选民 {masked}（#{link_id}）");
    audit_change(c, (key, actor), "voter_contact_remove", "person", person_id, organ_id, said).await?;
    Ok(())
}

/// Coverage of 代表联系选民: (serving deputies registered under the path, of whom have at least
/// one fixed voter contact).
pub async fn voter_coverage<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<(i64, i64), DbErr> {
    super::structure::coverage(c, organ_path, "l.person_id", LINK_DEPUTY_VOTER).await
}
