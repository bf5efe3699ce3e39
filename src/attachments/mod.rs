//! Attachments (PLAT-14): files owned by a record, checked by size and by content (never by
//! name), kept in the storage backend by content hash, listed in `attachments`, and served
//! at `/files/{id}` (by the web kernel, `app::files`) only after the same access decision as
//! their owner record.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use sha2::{Digest, Sha256};

use crate::audit::{Actor, Change};
use crate::base::error::AppError;
use crate::db;
use crate::storage::{Storage, sniff_content_type};

pub mod image;

/// Photos: what station and deputy pictures may be.
pub const IMAGES: &[&str] = &["image/jpeg", "image/png"];

/// Owners whose attachments are public (station photos, deputies' portraits).

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct Attachment {
    pub id: i64,
    pub organ_id: i64,
    pub owner_type: String,
    pub owner_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    #[serde(skip)]
    pub storage_key: String,
    pub created_at: i64,
}

const COLS: &str = "id, organ_id, owner_type, owner_id, file_name, content_type, size, storage_key, created_at";

/// A file as uploaded.
pub struct Upload<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// An upload ready to store: checked, and for an image decoded and re-encoded without
/// metadata. Only [`prepare`] makes one, and [`attach`] stores nothing else, so no caller can
/// store a photo as uploaded.
pub struct Prepared {
    file_name: String,
    bytes: Vec<u8>,
    content_type: &'static str,
}

impl Prepared {
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The file name as shown: its last path segment, without control characters.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// Photos decoded at once: each may hold `image::LIMITS.max_alloc` bytes.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Checks an upload ([`check`]) and cleans an image ([`image::clean`]) off the async workers,
/// before any write transaction is opened.
pub async fn prepare(upload: &Upload<'_>, allowed: &[&str], max_bytes: usize) -> Result<Prepared, AppError> {
    let content_type = check(upload, allowed, max_bytes)?;
    let file_name = display_name(upload.file_name);
    if !IMAGES.contains(&content_type) {
        return Ok(Prepared { file_name, bytes: upload.bytes.to_vec(), content_type });
    }
    let _permit = DECODES.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = upload.bytes.to_vec();
    let cleaned = tokio::task::spawn_blocking(move || image::clean(&bytes, content_type, &image::LIMITS))
        .await
        .map_err(|e| AppError::Internal(format!("cleaning an image: {e}")))??;
    Ok(Prepared { file_name, bytes: cleaned.bytes, content_type: cleaned.content_type })
}

fn display_name(file_name: &str) -> String {
    file_name.rsplit(['/', '\\']).next().unwrap_or("").chars().filter(|c| !c.is_control()).take(100).collect()
}

/// Checks an upload before anything is stored: not empty, not over the limit, and of an
/// allowed type judged from its bytes. The message names the limit and the allowed types.
fn check(upload: &Upload, allowed: &[&str], max_bytes: usize) -> Result<&'static str, AppError> {
    if upload.bytes.is_empty() {
        return Err(AppError::invalid("file", "请选择要上传的文件"));
    }
    if upload.bytes.len() > max_bytes {
        return Err(AppError::invalid(
            "file",
            format!("文件超过 {} MB 的上限，请压缩后再上传", max_bytes.div_ceil(1024 * 1024)),
        ));
    }
    match sniff_content_type(upload.bytes) {
        Some(t) if allowed.contains(&t) => Ok(t),
        _ => Err(AppError::invalid("file", format!("只能上传{}", type_names(allowed)))),
    }
}

fn type_names(allowed: &[&str]) -> String {
    let names: Vec<&str> = allowed
        .iter()
        .map(|t| match *t {
            "image/jpeg" => "JPG 图片",
            "image/png" => "PNG 图片",
            "application/pdf" => "PDF 文件",
            "application/zip" => "Office 文件",
            other => other,
        })
        .collect();
    names.join("、")
}

/// Stores a prepared upload and records it for its owner, in the caller's transaction.
/// The bytes go to storage first: content-addressed, so a rolled-back row leaves at most an
/// unreferenced file, never a row without its file.
pub async fn attach<C: ConnectionTrait>(
    c: &C,
    storage: &dyn Storage,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    owner: (&str, i64),
    file: &Prepared,
) -> Result<i64, AppError> {
    let storage_key = storage.put(&file.bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    let content_type = file.content_type;
    let id = db::insert_id(
        c,
        "INSERT INTO attachments (organ_id, owner_type, owner_id, file_name, content_type, size, storage_key, sha256, \
         uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            organ_id.into(),
            owner.0.into(),
            owner.1.to_string().into(),
            file.file_name.clone().into(),
            content_type.into(),
            (file.bytes.len() as i64).into(),
            storage_key.clone().into(),
            hex::encode(Sha256::digest(&file.bytes)).into(),
            actor.account_id.into(),
            db::now().into(),
        ],
    )
    .await?;
    Change::audited(
        "attachment_add",
        owner.0,
        owner.1,
        format!("上传附件 #{id}（{content_type}，{} KB）", file.bytes.len().div_ceil(1024)),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}

pub async fn get<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Attachment>, DbErr> {
    db::query_one(c, &format!("SELECT {COLS} FROM attachments WHERE id = $1"), vec![id.into()]).await
}

pub async fn of_owner<C: ConnectionTrait>(c: &C, owner_type: &str, owner_id: i64) -> Result<Vec<Attachment>, DbErr> {
    db::query_all(
        c,
        &format!("SELECT {COLS} FROM attachments WHERE owner_type = $1 AND owner_id = $2 ORDER BY id"),
        vec![owner_type.into(), owner_id.to_string().into()],
    )
    .await
}

/// Removes an attachment's record; the stored bytes stay while another record shares them.
pub async fn remove<C: ConnectionTrait>(
    c: &C,
    storage: &dyn Storage,
    key: &[u8],
    actor: &Actor,
    owner: (&str, i64),
    id: i64,
) -> Result<(), AppError> {
    let a = get(c, id).await?.filter(|a| a.owner_type == owner.0 && a.owner_id == owner.1.to_string());
    let a = a.ok_or(AppError::NotFound)?;
    db::exec(c, "DELETE FROM attachments WHERE id = $1", vec![id.into()]).await?;
    let shared = db::scalar_i64(
        c,
        "SELECT count(*) FROM attachments WHERE storage_key = $1",
        vec![a.storage_key.clone().into()],
    )
    .await?;
    if shared == 0 {
        let _ = storage.delete(&a.storage_key);
    }
    Change::audited("attachment_remove", owner.0, owner.1, format!("删除附件 #{id}"))
        .in_organ(a.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_judged_by_content_and_size() {
        let png = [0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0];
        let ok = Upload { file_name: "站点.png", bytes: &png };
        assert_eq!(check(&ok, IMAGES, 1024).unwrap(), "image/png");
        // A PDF renamed to .jpg is still a PDF.
        let pdf = Upload { file_name: "photo.jpg", bytes: b"%PDF-1.7 ..." };
        assert!(check(&pdf, IMAGES, 1024).is_err());
        let big = vec![0xFF; 2048];
        let too_big = Upload { file_name: "a.jpg", bytes: &big };
        let e = check(&too_big, IMAGES, 1024).unwrap_err();
        assert!(e.detail().contains("上限"));
        assert!(check(&Upload { file_name: "x", bytes: &[] }, IMAGES, 1024).is_err());
    }
}
