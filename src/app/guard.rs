//! The one gate handlers call: decides through `authz::decide`, and audits every refusal
//! (等保 安全审计: refused access is a security event).

use crate::app::extract::ClientIp;
use crate::app::state::AppState;
use crate::audit::{self, Actor, Change};
use crate::auth::authz::Field;
use crate::auth::{Action, Decision, Principal, Resource, authz};
use crate::base::error::AppError;

/// The audit log's "who" for a signed-in caller: username, masked name, masked address.
pub fn actor(p: &Principal, ip: &ClientIp) -> Actor {
    Actor {
        account_id: Some(p.account_id),
        name: format!("{}（{}）", p.username, crate::privacy::mask_name(&p.display_name)),
        on_behalf_of: None,
        client: crate::privacy::mask_ip(&ip.0),
    }
}

pub async fn check(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    resource: &Resource<'_>,
    target_id: &str,
) -> Result<(), AppError> {
    match authz::decide(p, action, resource) {
        Decision::Allow => Ok(()),
        refusal => {
            let actor = actor(p, ip);
            let summary = format!(
                "拒绝{}：{:?} {} #{target_id}",
                if refusal == Decision::Hidden { "（不可见）" } else { "" },
                action,
                resource.kind()
            );
            if let Err(e) = audit::record(
                &s.writer,
                s.audit_key(),
                &actor,
                Change {
                    action: "access_denied",
                    target_type: resource.kind(),
                    target_id: target_id.to_string(),
                    organ_id: Some(p.organ_id),
                    summary,
                },
            )
            .await
            {
                tracing::error!(error = %e, "could not audit a refused access");
            }
            Err(match refusal {
                Decision::Hidden => AppError::NotFound,
                Decision::Reauthenticate => AppError::Forbidden(REAUTH_MESSAGE.into()),
                _ if p.token_scope == Some(crate::auth::Scope::Read) && action.is_write() => {
                    AppError::Forbidden("只读令牌不能修改数据".into())
                }
                _ => AppError::Forbidden("您没有执行此操作的权限".into()),
            })
        }
    }
}

pub const REAUTH_MESSAGE: &str = "为了账号安全，请先在“账号设置”页输入密码确认身份（10 分钟内有效），再进行此操作";

/// Checks a change of several privileged fields of one record: each must be allowed.
pub async fn check_changes(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    resource: &Resource<'_>,
    fields: &[Field],
    target_id: &str,
) -> Result<(), AppError> {
    for f in fields {
        check(s, p, ip, Action::Change(*f), resource, target_id).await?;
    }
    Ok(())
}

/// Checks that the caller sees a record, then `action` on it when that is not `View`: a record
/// out of the caller's sight is a 404 before any 403.
pub async fn check_seen(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    resource: &Resource<'_>,
    target_id: &str,
) -> Result<(), AppError> {
    check(s, p, ip, Action::View, resource, target_id).await?;
    if action != Action::View {
        check(s, p, ip, action, resource, target_id).await?;
    }
    Ok(())
}

/// The load-then-guard of a record read by its number: the row or a 404, then `check_seen`
/// on the resource it names (`resource`, e.g. `appointments::pages::resource`).
pub async fn visible<T>(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    action: Action,
    row: Option<T>,
    resource: fn(&T) -> Resource<'_>,
    id: i64,
) -> Result<T, AppError> {
    let row = row.ok_or(AppError::NotFound)?;
    check_seen(s, p, ip, action, &resource(&row), &id.to_string()).await?;
    Ok(row)
}
