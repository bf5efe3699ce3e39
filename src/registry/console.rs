//! What the registry's console pages share: the check that a caller may see a record and then do what they ask
//! (`check_visible`, `check_registry`), a person's record reached that way (`visible_person`),
//! and a deputy typed into a form by number or name (`resolve_person`).

use crate::app::error::{AppError, AppResult};
use crate::app::extract::ClientIp;
use crate::app::guard;
use crate::app::state::AppState;
use crate::auth::{Action, Principal, Resource};
use crate::registry::persons::{self, Person};

/// The caller may view the record (else 404 or 403, as the authorization layer decides), and
/// then `action` it; both refusals are audited by `guard::check`.
pub async fn check_visible(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    r: &Resource<'_>,
    id: &str,
) -> AppResult<()> {
    guard::check(s, p, ip, Action::View, r, id).await?;
    if action != Action::View {
        guard::check(s, p, ip, action, r, id).await?;
    }
    Ok(())
}

/// `check_visible` on the registry of the organ at `path` (its structure: groups, committees,
/// links, grids, role names, the roster).
pub async fn check_registry(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    path: &str,
    id: &str,
) -> AppResult<()> {
    check_visible(s, p, ip, action, &Resource::Registry { organ_path: path }, id).await
}

/// A person's record once the caller may `action` it, with the path of the organ that
/// registers them.
pub async fn visible_person(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
) -> AppResult<(Person, String)> {
    let organ_path = persons::person_organ_path(&s.db, id).await?.unwrap_or_else(|| "/none/".into());
    check_visible(s, p, ip, action, &Resource::Person { id, organ_path: &organ_path }, &id.to_string()).await?;
    let d = persons::person(&s.db, id).await?.ok_or(AppError::NotFound)?;
    Ok((d, organ_path))
}

/// A deputy typed into a form as a number (编号) or an exact name, among persons registered
/// at `organ_path`, below it or above it. Errors name the form field.
pub async fn resolve_person(s: &AppState, organ_path: &str, field: &str, text: &str) -> AppResult<i64> {
    let text = text.trim().trim_start_matches('#');
    if text.is_empty() {
        return Err(AppError::invalid(field, "请填写代表的编号或姓名"));
    }
    if let Ok(id) = text.parse::<i64>() {
        return match persons::person_organ_path(&s.db, id).await? {
            Some(path) if path.starts_with(organ_path) || organ_path.starts_with(&path) => Ok(id),
            _ => Err(AppError::invalid(field, format!("没有编号为 {id} 的代表"))),
        };
    }
    let found = persons::find_by_name(&s.db, organ_path, text).await?;
    match found.as_slice() {
        [] => Err(AppError::invalid(field, format!("没有找到名为“{text}”的代表"))),
        [(id, _)] => Ok(*id),
        many => Err(AppError::invalid(
            field,
            format!(
                "有 {} 位同名代表（编号 {}），请填写编号",
                many.len(),
                many.iter().map(|(id, o)| format!("{id}·{o}")).collect::<Vec<_>>().join("、")
            ),
        )),
    }
}
