//! What the registry's model files share: a field's error and the error of a form's fields,
//! the organ-subtree `LIKE` prefix, and the audit entry of one change to a registry record.

use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::app::error::{AppError, FieldError};
use crate::audit::{self, Actor, Change};
use crate::db;

pub(crate) fn field(fields: &mut Vec<FieldError>, field: &str, message: impl Into<String>) {
    fields.push(FieldError { field: field.into(), message: message.into() });
}

pub fn invalid(fields: Vec<FieldError>) -> AppError {
    if fields.len() == 1 {
        AppError::Invalid { detail: fields[0].message.clone(), fields }
    } else {
        AppError::Invalid { detail: format!("有 {} 处输入需要修改", fields.len()), fields }
    }
}

/// `path%`, escaped: the records of the organs under `path`.
pub(crate) fn like_prefix(path: &str) -> Value {
    format!("{}%", db::like_escape(path)).into()
}

/// Appends the audit entry of one change in the caller's transaction: `action` done to the
/// record `target` (its type and id) of the organ `organ_id`, said in `summary` (no personal
/// data in clear).
pub(crate) async fn audit_change<C: ConnectionTrait>(
    c: &C,
    (key, actor): (&[u8], &Actor),
    action: &str,
    target_type: &str,
    target_id: i64,
    organ_id: i64,
    summary: String,
) -> Result<(), DbErr> {
    let target_id = target_id.to_string();
    audit::append(c, key, actor, Change { action, target_type, target_id, organ_id: Some(organ_id), summary }).await?;
    Ok(())
}
