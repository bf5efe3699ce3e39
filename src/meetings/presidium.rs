//! The 主席团 of a 人代会 session as its own body (MTG-1): staff of the organ set its members —
//! chosen from the session's deputies — with their roles (常务主席, 执行主席, 主席团成员, 秘书长),
//! in the caller's audited transaction. Its meetings (主席团会议) are meetings whose members are
//! this 主席团 (`MembersOf::Presidium`, `service::create`): quorum and ballots as any meeting.

use sea_orm::ConnectionTrait;

use super::model::{self, Meeting, PresidiumRole};
use crate::app::error::{AppError, AppResult};
use crate::audit::{Actor, Change};
use crate::db;

/// The most members a 主席团 may have (a county's has a few dozen).
pub const MAX_MEMBERS: usize = 200;

/// Sets the whole 主席团 of `session` (the list replaces the one before; meetings already
/// called keep the members they were called with). Every person is one of the session's
/// deputies, once; at most one 秘书长; at least one member who votes.
pub async fn set<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    session: &Meeting,
    members: &[(i64, PresidiumRole)],
) -> AppResult<()> {
    if !session.kind().is_session() {
        return Err(AppError::invalid("members", "只有人民代表大会会议设主席团"));
    }
    if session.is_ended() {
        return Err(AppError::Conflict("大会已闭幕，不能再改主席团".into()));
    }
    if members.len() > MAX_MEMBERS {
        return Err(AppError::invalid("members", format!("主席团最多 {MAX_MEMBERS} 人")));
    }
    if !members.iter().any(|(_, r)| *r != PresidiumRole::SecretaryGeneral) {
        return Err(AppError::invalid("members", "请列出主席团成员"));
    }
    if members.iter().filter(|(_, r)| *r == PresidiumRole::SecretaryGeneral).count() > 1 {
        return Err(AppError::invalid("members", "秘书长只有一位"));
    }
    let deputies = model::members(c, session.id).await?;
    for (i, (person, _)) in members.iter().enumerate() {
        if members[..i].iter().any(|(p, _)| p == person) {
            return Err(AppError::invalid("members", format!("编号 {person} 的代表重复列出")));
        }
        if !deputies.iter().any(|d| d.person_id == *person && d.is_member()) {
            return Err(AppError::invalid("members", format!("编号 {person} 的人员不是这次大会的代表")));
        }
    }
    db::exec(c, "DELETE FROM meeting_presidium WHERE session_id = $1", vec![session.id.into()]).await?;
    for (i, (person, role)) in members.iter().enumerate() {
        let rank = PresidiumRole::ALL.iter().position(|r| r == role).unwrap_or(0) as i64;
        db::exec(
            c,
            "INSERT INTO meeting_presidium (session_id, person_id, role, sort) VALUES ($1, $2, $3, $4)",
            vec![session.id.into(), (*person).into(), role.as_str().into(), (rank * 10_000 + i as i64).into()],
        )
        .await?;
    }
    // Counts only: the members' names stay out of the log.
    let count = |r: PresidiumRole| members.iter().filter(|(_, x)| *x == r).count();
    let summary = format!(
        "{}：组成大会主席团，成员 {} 人（常务主席 {} 人、执行主席 {} 人），秘书长 {} 人",
        session.title,
        members.len() - count(PresidiumRole::SecretaryGeneral),
        count(PresidiumRole::StandingChair),
        count(PresidiumRole::Presiding),
        count(PresidiumRole::SecretaryGeneral),
    );
    Change::audited("meeting_presidium", "meeting", session.id, summary)
        .in_organ(session.organ_id)
        .append(c, key, actor)
        .await?;
    super::moved(c, session.id).await?;
    Ok(())
}
