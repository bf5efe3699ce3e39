//! 满意评价后自动办结 (issue 16, OPN-8/OPN-9): where an organ turns it on (`settings`), an item of
//! that organ left 已答复 whose current round was rated 满意 — and nothing else — is closed by the
//! system N working days after the last 满意 (the calendar's working days, PLAT-10: holidays do
//! not count down). It takes the loop's own 办结 step as the party 系统 (only for kinds whose
//! step table lets the system close), so the history says 「满意评价后N日自动办结」, the audit
//! chain has the step, and the kind's hook tells the submitter. A 不满意 or 基本满意 in the round
//! keeps the item for staff. The daily job `auto-close` (`renda jobs run auto-close --now …`) is
//! idempotent: a closed item is no longer replied.

use super::flow::{Party, State, Step};
use super::service::{self, Command, Ctx, Doer};
use super::{after_step, before_step, policy_of};
use crate::app::error::AppResult;
use crate::app::state::AppState;
use crate::app::write::write_as;
use crate::audit::Actor;
use crate::db;

/// What a run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub closed: u64,
}

/// The history line of a closing by the system after `days` working days.
pub fn explanation(days: u32) -> String {
    format!("满意评价后{days}日自动办结（按工作日计）")
}

/// Closes, as of `now`, every item due in the organs that turned it on.
pub async fn run(s: &AppState, now: i64) -> AppResult<Report> {
    let calendar = crate::calendar::load(&s.db).await?;
    let today = crate::calendar::beijing_date(now);
    let mut report = Report::default();
    for (organ, days) in super::settings::auto_closing(&s.db).await? {
        // The round's ratings: at least one, all 满意; the last one's time.
        let rows = db::query_rows(
            &s.db,
            "SELECT i.id, i.kind, max(r.at) FROM handling_items i \
             JOIN handling_ratings r ON r.item_id = i.id AND r.round = i.round \
             WHERE i.organ_id = $1 AND i.state = $2 \
             AND NOT EXISTS (SELECT 1 FROM handling_merges m WHERE m.item_id = i.id) \
             GROUP BY i.id, i.kind \
             HAVING sum(CASE WHEN r.grade = $3 THEN 0 ELSE 1 END) = 0 ORDER BY i.id",
            vec![organ.into(), State::Replied.as_str().into(), super::flow::Grade::Satisfied.as_str().into()],
        )
        .await?;
        for r in rows {
            let (id, kind, rated): (i64, String, i64) =
                (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
            let policy = policy_of(s, &kind);
            if policy.next(State::Replied, Step::Close, Party::System).is_err() {
                continue;
            }
            if calendar.add_working_days(crate::calendar::beijing_date(rated), days) > today {
                continue;
            }
            let cmd = Command::Close { explanation: explanation(days) };
            write_as(s, Actor::system("满意评价后自动办结"), async |w| {
                let ctx = Ctx { key: w.key(), calendar: &calendar, policy: &policy, now };
                before_step(s, w.txn(), id, &cmd).await?;
                let doer = Doer { party: Party::System, unit_id: None, deputy: None, actor: w.actor() };
                let applied = service::apply(w.txn(), &ctx, id, &doer, cmd.clone()).await?;
                after_step(s, w.txn(), id, &applied).await
            })
            .await?;
            report.closed += 1;
        }
    }
    Ok(report)
}
