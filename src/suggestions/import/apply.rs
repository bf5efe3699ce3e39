//! Writing a checked plan, all in the caller's one transaction: each suggestion recorded with
//! its number (`service::record_past`) and registered into the loop; its 交办 and reply
//! recorded as past (`handling::service::record_past`), or — without a reply — 交办 now; then
//! the ordinary steps: the lead's ratings of each answering unit (a 不满意 reopens it by the
//! loop's rule), 跟踪办理 of a B-class reply, 办结 of a rated one.

use sea_orm::DatabaseTransaction;

use super::check::Plan;
use crate::app::error::{AppError, AppResult};
use crate::app::state::AppState;
use crate::audit::{Actor, Change};
use crate::handling::flow::{Aspect, Grade, Outcome, Party, State};
use crate::handling::model::Rater;
use crate::handling::service::{self as loop_service, Command, Ctx, Doer, Past as PastHandling};
use crate::org::Organ;
use crate::suggestions::model::{self, Source};
use crate::suggestions::service::{self, Past, SeriesKind};

/// The reply text of a row that has a class but no text.
const NO_TEXT: &str = "（导入的历史答复，答复函正文未录入系统）";

/// What an import wrote: how many, and where the loop left them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub imported: usize,
    pub states: Vec<(&'static str, usize)>,
}

/// Writes `plan` at `organ`; the caller commits (or, on an error, nothing is kept).
#[allow(clippy::too_many_arguments)] // the write's environment, the plan and its file
pub async fn apply(
    st: &AppState,
    txn: &DatabaseTransaction,
    key: &[u8],
    actor: &Actor,
    organ: &Organ,
    plan: &Plan,
    file_name: &str,
    now: i64,
) -> AppResult<Summary> {
    let calendar = crate::calendar::load(txn).await?;
    let policy = crate::suggestions::policy_for(st);
    let ctx = Ctx { key, calendar: &calendar, policy: &policy, now };
    let staff = Doer { party: Party::Staff, unit_id: None, deputy: None, actor };
    let row_error = |row: u32, e: AppError| match e {
        AppError::Conflict(m) => AppError::Conflict(format!("第 {row} 行：{m}")),
        other => other,
    };
    for p in &plan.rows {
        let series = service::past_series(txn, organ.id, p.kind, p.year, now).await?;
        let past = Past {
            series,
            source: if p.kind == SeriesKind::Recess { Source::Recess } else { Source::Session },
            number: p.number,
            year: p.year,
            title: p.title.clone(),
            problem: p.content.clone(),
            category: p.category.clone(),
            lead: p.lead,
            cosigners: p.cosigners.clone(),
        };
        let id = service::record_past(txn, key, actor, organ.id, &past, now).await.map_err(|e| row_error(p.row, e))?;
        let sg = model::suggestion(txn, id).await?.ok_or(AppError::NotFound)?;
        let item = service::register(txn, key, actor, &sg, now).await?;
        if p.units.is_empty() {
            continue;
        }
        let Some(outcome) = p.outcome else {
            let cmd = Command::Assign { units: p.units.clone(), due_working_days: None, instructions: String::new() };
            loop_service::apply(txn, &ctx, item, &staff, cmd).await.map_err(|e| row_error(p.row, e))?;
            continue;
        };
        let text = if p.reply.is_empty() { NO_TEXT } else { p.reply.as_str() };
        let handling = PastHandling { units: &p.units, outcome, text };
        let mut state =
            loop_service::record_past(txn, &ctx, item, &staff, &handling).await.map_err(|e| row_error(p.row, e))?.to;
        let lead = Doer { party: Party::Deputy, unit_id: None, deputy: Some(p.lead), actor };
        let answering: Vec<i64> = p.units.iter().filter(|(_, r)| r.answers()).map(|(u, _)| *u).collect();
        'rating: for (aspect, grade) in [(Aspect::Reply, p.reply_grade), (Aspect::Result, p.result_grade)] {
            let Some(grade) = grade else { continue };
            for unit in &answering {
                let comment =
                    if grade == Grade::Unsatisfied { "（导入的历史评价）".to_string() } else { String::new() };
                let cmd = Command::Rate { rater: Rater::Deputy, grade, comment, aspect, unit_id: Some(*unit) };
                state = loop_service::apply(txn, &ctx, item, &lead, cmd).await.map_err(|e| row_error(p.row, e))?.to;
                if state != State::Replied {
                    break 'rating;
                }
            }
        }
        if state != State::Replied {
            continue;
        }
        let cmd = match outcome {
            Outcome::InProgress | Outcome::Planned => Command::Follow {
                reason: "答复为B类，跟踪办理至解决（导入的历史建议）".into(),
                due: None,
            },
            _ if p.reply_grade.is_some() || p.result_grade.is_some() => {
                Command::Close { explanation: "代表已评价，办结（导入的历史建议）".into() }
            }
            _ => continue,
        };
        loop_service::apply(txn, &ctx, item, &staff, cmd).await.map_err(|e| row_error(p.row, e))?;
    }
    let summary = format!("从“{file_name}”导入代表建议 {} 件", plan.rows.len());
    Change::audited("suggestion_import", "suggestion", "", summary).in_organ(organ.id).append(txn, key, actor).await?;
    Ok(Summary { imported: plan.rows.len(), states: plan.by_state() })
}
