//! The daily digest of new opinions (issue 16, PLAT-11): each organ's staff get one message a
//! day saying how many opinions its subtree received since the last digest — and nothing on a
//! day nothing came. The organ turns it off or picks the hour (Beijing time) in its 办理设置
//! (`handling::settings`; on at 08:00 by default).
//!
//! Two jobs: the daily `opinion-digest` plans, for every organ with staff and the digest on,
//! one `opinion-digest-organ` job at the organ's next such hour (deduplicated per organ and
//! date); that job sends the organ's digest once per Beijing date (`opinion_digests`, unique
//! per organ and date, records each run and where it counted up to).

use crate::app::error::AppResult;
use crate::app::state::AppState;
use crate::app::write::write_as;
use crate::audit::Actor;
use crate::calendar::{beijing_date, deadline_end};
use crate::db;
use crate::handling::flow::State;
use crate::handling::settings;

pub const PLAN: &str = "opinion-digest";
pub const SEND: &str = "opinion-digest-organ";
/// Where the message leads: the opinions waiting for triage.
pub const LINK: &str = "/console/opinions?state=received";

/// The Unix time of `hour`:00 (Beijing) on the date of `now`, or of the next day when that
/// hour has passed.
pub fn next_run(now: i64, hour: u32) -> (chrono::NaiveDate, i64) {
    let today = beijing_date(now);
    let start = deadline_end(today) - 86_400;
    let day = if i64::from(hour) >= (now - start) / 3600 { today } else { today.succ_opt().unwrap_or(today) };
    (day, deadline_end(day) - 86_400 + i64::from(hour) * 3600)
}

/// Plans every organ's digest as of `now`; how many were planned (a second plan of the same
/// day plans nothing).
pub async fn plan(s: &AppState, now: i64) -> AppResult<u64> {
    let organs = db::query_rows(
        &s.db,
        "SELECT DISTINCT a.organ_id FROM accounts a JOIN account_roles r ON r.account_id = a.id \
         WHERE r.role = 'staff' AND a.disabled = $1 ORDER BY a.organ_id",
        vec![false.into()],
    )
    .await?;
    let mut planned = 0;
    for r in organs {
        let organ: i64 = r.try_get_by_index(0)?;
        let set = settings::of(&s.db, organ).await?;
        if !set.digest_enabled {
            continue;
        }
        let (day, at) = next_run(now, set.digest_hour);
        let key = format!("{SEND}:{organ}:{day}");
        if crate::jobs::enqueue(&s.db, SEND, &serde_json::json!({ "organ_id": organ }), Some(&key), at).await? {
            planned += 1;
        }
    }
    Ok(planned)
}

/// Sends `organ_id`'s digest for the Beijing date of `now`, once: one message to each of the
/// organ's staff with the number of opinions its subtree received since the last digest (the
/// last 24 hours for the first one); none when there were none. How many messages went out.
pub async fn send(s: &AppState, organ_id: i64, now: i64) -> AppResult<u64> {
    let Some(organ) = crate::org::organ(&s.db, organ_id).await? else { return Ok(0) };
    if !settings::of(&s.db, organ_id).await?.digest_enabled {
        return Ok(0);
    }
    let day = beijing_date(now).format("%Y-%m-%d").to_string();
    write_as(s, Actor::system("新件汇总"), async |w| {
        let c = w.txn();
        let done = db::scalar_i64(
            c,
            "SELECT count(*) FROM opinion_digests WHERE organ_id = $1 AND day = $2",
            vec![organ_id.into(), day.clone().into()],
        )
        .await?;
        if done > 0 {
            return Ok(0);
        }
        let last = db::scalar_i64(
            c,
            "SELECT COALESCE(max(until_at), 0) FROM opinion_digests WHERE organ_id = $1",
            vec![organ_id.into()],
        )
        .await?;
        let since = if last > 0 { last } else { now - 86_400 };
        let like = format!("{}%", db::like_escape(&organ.path));
        let rows = db::query_rows(
            c,
            "SELECT count(*), COALESCE(sum(CASE WHEN i.state = $4 THEN 1 ELSE 0 END), 0), \
             COALESCE(sum(CASE WHEN i.state = $5 THEN 1 ELSE 0 END), 0) \
             FROM opinions op JOIN handling_items i ON i.id = op.item_id JOIN organs o ON o.id = op.organ_id \
             WHERE o.path LIKE $1 ESCAPE '\\' AND op.created_at > $2 AND op.created_at <= $3",
            vec![like.into(), since.into(), now.into(), State::Received.as_str().into(), State::Held.as_str().into()],
        )
        .await?;
        let (new, waiting, held): (i64, i64, i64) = match rows.first() {
            Some(r) => (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?),
            None => (0, 0, 0),
        };
        let staff: Vec<i64> = if new > 0 {
            db::query_rows(
                c,
                "SELECT a.id FROM accounts a JOIN account_roles r ON r.account_id = a.id \
                 WHERE a.organ_id = $1 AND r.role = 'staff' AND a.disabled = $2 ORDER BY a.id",
                vec![organ_id.into(), false.into()],
            )
            .await?
            .iter()
            .map(|r| r.try_get_by_index::<i64>(0))
            .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        db::exec(
            c,
            "INSERT INTO opinion_digests (organ_id, day, until_at, items, recipients) VALUES ($1, $2, $3, $4, $5)",
            vec![organ_id.into(), day.clone().into(), now.into(), new.into(), (staff.len() as i64).into()],
        )
        .await?;
        if staff.is_empty() {
            return Ok(0);
        }
        let title = format!("新收到群众意见 {new} 件");
        let body = format!(
            "{} 至 {}，{}及下级新收到群众意见 {new} 件，其中待受理 {waiting} 件、待审核 {held} 件。",
            crate::app::fmt::datetime(since),
            crate::app::fmt::datetime(now),
            organ.name
        );
        let about = crate::notify::About { kind: super::KIND, record: None, link: LINK };
        crate::notify::inbox_about(c, &staff, &about, &title, &body).await?;
        Ok(staff.len() as u64)
    })
    .await
}
