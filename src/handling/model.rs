//! What the loop stores, read back: items, their assignments, history, replies and ratings.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::flow::{Grade, Outcome, State, UnitRole};
use crate::db;

/// One item of the loop, whatever module it belongs to.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    pub organ_id: i64,
    pub organ_path: String,
    pub area_id: Option<i64>,
    pub station_id: Option<i64>,
    pub deputy_id: Option<i64>,
    pub state: State,
    pub round: i64,
    pub due_working_days: Option<i64>,
    pub assigned_on: Option<String>,
    pub deadline: Option<String>,
    pub deadline_at: Option<i64>,
    pub warned_for: Option<String>,
    pub overdue_for: Option<String>,
    pub flagged: bool,
    pub created_at: i64,
    pub replied_at: Option<i64>,
    pub closed_at: Option<i64>,
}

impl Item {
    /// 超期: units are on it and its deadline has passed (a flag, not a state).
    pub fn overdue(&self, now: i64) -> bool {
        self.state.with_units() && self.deadline_at.is_some_and(|d| now >= d)
    }
}

#[derive(FromQueryResult)]
struct ItemRow {
    id: i64,
    kind: String,
    organ_id: i64,
    organ_path: String,
    area_id: Option<i64>,
    station_id: Option<i64>,
    deputy_id: Option<i64>,
    state: String,
    round: i64,
    due_working_days: Option<i64>,
    assigned_on: Option<String>,
    deadline: Option<String>,
    deadline_at: Option<i64>,
    warned_for: Option<String>,
    overdue_for: Option<String>,
    flagged: bool,
    created_at: i64,
    replied_at: Option<i64>,
    closed_at: Option<i64>,
}

pub(crate) const ITEM_SELECT: &str = "SELECT i.id, i.kind, i.organ_id, o.path AS organ_path, i.area_id, i.station_id, \
     i.deputy_id, i.state, i.round, i.due_working_days, i.assigned_on, i.deadline, i.deadline_at, i.warned_for, \
     i.overdue_for, i.flagged, i.created_at, i.replied_at, i.closed_at FROM handling_items i JOIN organs o ON o.id = i.organ_id";

fn item_of(r: ItemRow) -> Result<Item, DbErr> {
    let state = State::parse(&r.state).ok_or_else(|| DbErr::Custom(format!("未知的办理状态 {}", r.state)))?;
    Ok(Item {
        id: r.id,
        kind: r.kind,
        organ_id: r.organ_id,
        organ_path: r.organ_path,
        area_id: r.area_id,
        station_id: r.station_id,
        deputy_id: r.deputy_id,
        state,
        round: r.round,
        due_working_days: r.due_working_days,
        assigned_on: r.assigned_on,
        deadline: r.deadline,
        deadline_at: r.deadline_at,
        warned_for: r.warned_for,
        overdue_for: r.overdue_for,
        flagged: r.flagged,
        created_at: r.created_at,
        replied_at: r.replied_at,
        closed_at: r.closed_at,
    })
}

pub async fn item<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Item>, DbErr> {
    let row: Option<ItemRow> = db::query_one(c, &format!("{ITEM_SELECT} WHERE i.id = $1"), vec![id.into()]).await?;
    row.map(item_of).transpose()
}

/// Items of units at work whose deadline falls before `before` and that still miss a mark
/// (预警 or 超期) for that deadline: the deadline scan's candidates, by id after `after_id`.
pub async fn items_to_scan<C: ConnectionTrait>(
    c: &C,
    before: i64,
    now: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Item>, DbErr> {
    let rows: Vec<ItemRow> = db::query_all(
        c,
        &format!(
            "{ITEM_SELECT} WHERE i.state IN ('assigned', 'in_progress', 'rehandling') AND i.deadline_at IS NOT NULL \
             AND i.deadline_at <= $1 AND i.id > $3 AND (i.overdue_for IS NULL OR i.overdue_for <> i.deadline) \
             AND (i.deadline_at <= $2 OR i.warned_for IS NULL OR i.warned_for <> i.deadline) \
             AND NOT EXISTS (SELECT 1 FROM handling_merges m WHERE m.item_id = i.id) ORDER BY i.id LIMIT $4"
        ),
        vec![before.into(), now.into(), after_id.into(), limit.into()],
    )
    .await?;
    rows.into_iter().map(item_of).collect()
}

/// A 协办 unit's own deadline still at work, for the deadline scan.
#[derive(Clone, Debug, FromQueryResult)]
pub struct AssistDue {
    /// The assignment.
    pub id: i64,
    pub item_id: i64,
    pub kind: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub deadline: String,
    pub warned_for: Option<String>,
    pub overdue_for: Option<String>,
}

/// The 协办 assignments of the current round still at work whose own deadline falls on or
/// before `before_day` (YYYY-MM-DD) and that still miss a mark for it, by id after `after_id`.
pub async fn assists_to_scan<C: ConnectionTrait>(
    c: &C,
    before_day: &str,
    after_id: i64,
    limit: i64,
) -> Result<Vec<AssistDue>, DbErr> {
    db::query_all(
        c,
        "SELECT a.id, a.item_id, i.kind, a.unit_id, u.name AS unit_name, a.deadline, a.warned_for, a.overdue_for \
         FROM handling_assignments a JOIN handling_items i ON i.id = a.item_id JOIN handling_units u ON u.id = a.unit_id \
         WHERE a.role = 'assist' AND a.state IN ('active', 'accepted') AND a.round = i.round AND a.deadline IS NOT NULL \
         AND a.deadline <= $1 AND a.id > $2 AND (a.overdue_for IS NULL OR a.overdue_for <> a.deadline) \
         AND i.state IN ('assigned', 'in_progress', 'rehandling') \
         AND NOT EXISTS (SELECT 1 FROM handling_merges m WHERE m.item_id = i.id) ORDER BY a.id LIMIT $3",
        vec![before_day.into(), after_id.into(), limit.into()],
    )
    .await
}

/// The 主办 and 分办 units of the current round still at work.
pub async fn answering_units<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.unit_id FROM handling_assignments a JOIN handling_items i ON i.id = a.item_id \
         WHERE a.item_id = $1 AND a.round = i.round AND a.role IN ('lead', 'separate') AND a.state IN ('active', 'accepted')",
        vec![item_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// Where an assignment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentState {
    /// Sent, not yet signed for.
    Active,
    /// Signed for (签收), at work.
    Accepted,
    /// The unit gave its reply for the round.
    Replied,
    /// Returned as the wrong unit.
    Returned,
    /// A 协办 unit that gave no opinion before the item was answered.
    Lapsed,
    /// Taken back by staff (撤回交办).
    Withdrawn,
    /// Moved to another unit by staff (改派).
    Reassigned,
}

impl AssignmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentState::Active => "active",
            AssignmentState::Accepted => "accepted",
            AssignmentState::Replied => "replied",
            AssignmentState::Returned => "returned",
            AssignmentState::Lapsed => "lapsed",
            AssignmentState::Withdrawn => "withdrawn",
            AssignmentState::Reassigned => "reassigned",
        }
    }
    pub fn parse(s: &str) -> Option<AssignmentState> {
        [
            AssignmentState::Active,
            AssignmentState::Accepted,
            AssignmentState::Replied,
            AssignmentState::Returned,
            AssignmentState::Lapsed,
            AssignmentState::Withdrawn,
            AssignmentState::Reassigned,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            AssignmentState::Active => "待签收",
            AssignmentState::Accepted => "办理中",
            AssignmentState::Replied => "已答复",
            AssignmentState::Returned => "已退回",
            AssignmentState::Lapsed => "未提出意见",
            AssignmentState::Withdrawn => "已撤回交办",
            AssignmentState::Reassigned => "已改派",
        }
    }
    /// Still at work on the item.
    pub fn live(self) -> bool {
        matches!(self, AssignmentState::Active | AssignmentState::Accepted)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Assignment {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub role: UnitRole,
    pub round: i64,
    pub state: AssignmentState,
    pub assigned_on: String,
    pub assigned_at: i64,
    /// Why the assignment ended: the unit's 退回, or staff's 撤回 or 改派 (the state says which).
    pub return_reason: Option<String>,
    pub extension_days: Option<i64>,
    pub extension_reason: Option<String>,
    /// A 协办 unit's own deadline to the 主办, where the kind has one.
    pub deadline: Option<String>,
}

impl Assignment {
    pub fn role_label(&self) -> &'static str {
        self.role.label()
    }
    pub fn state_label(&self) -> &'static str {
        own_state_label(self.role, self.state)
    }
    /// The words before the reason an assignment ended.
    pub fn reason_label(&self) -> &'static str {
        match self.state {
            AssignmentState::Withdrawn => "撤回理由",
            AssignmentState::Reassigned => "改派理由",
            _ => "退回理由",
        }
    }
}

/// A unit's own state on an item, in the words of its role: a 协办 unit that gave its opinion
/// 已提出协办意见, one that gave nothing 未提出意见 — never 已答复 because the 主办 replied.
pub fn own_state_label(role: UnitRole, state: AssignmentState) -> &'static str {
    match (role, state) {
        (UnitRole::Assist, AssignmentState::Replied) => "已提出协办意见",
        (_, s) => s.label(),
    }
}

/// The unit's own state on each of `items` (its latest assignment there), for a unit's list.
pub async fn own_states<C: ConnectionTrait>(
    c: &C,
    unit_id: i64,
    items: &[i64],
) -> Result<std::collections::HashMap<i64, &'static str>, DbErr> {
    let mut out = std::collections::HashMap::new();
    if items.is_empty() {
        return Ok(out);
    }
    let mut values: Vec<sea_orm::Value> = vec![unit_id.into()];
    let marks: Vec<String> = items.iter().map(|i| super::read::bind((*i).into(), &mut values)).collect();
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT item_id, role, state FROM handling_assignments WHERE unit_id = $1 AND item_id IN ({}) \
             ORDER BY round, id",
            marks.join(", ")
        ),
        values,
    )
    .await?;
    for r in rows {
        let (item, role, state): (i64, String, String) =
            (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
        if let (Some(role), Some(state)) = (UnitRole::parse(&role), AssignmentState::parse(&state)) {
            out.insert(item, own_state_label(role, state));
        }
    }
    Ok(out)
}

#[derive(FromQueryResult)]
struct AssignmentRow {
    id: i64,
    unit_id: i64,
    unit_name: String,
    role: String,
    round: i64,
    state: String,
    assigned_on: String,
    assigned_at: i64,
    return_reason: Option<String>,
    extension_days: Option<i64>,
    extension_reason: Option<String>,
    deadline: Option<String>,
}

/// The assignments of an item, every round, in order.
pub async fn assignments<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<Assignment>, DbErr> {
    let rows: Vec<AssignmentRow> = db::query_all(
        c,
        "SELECT a.id, a.unit_id, u.name AS unit_name, a.role, a.round, a.state, a.assigned_on, a.assigned_at, \
         a.return_reason, a.extension_days, a.extension_reason, a.deadline \
         FROM handling_assignments a JOIN handling_units u ON u.id = a.unit_id WHERE a.item_id = $1 ORDER BY a.round, a.id",
        vec![item_id.into()],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Assignment {
                role: UnitRole::parse(&r.role).ok_or_else(|| DbErr::Custom(format!("未知的承办方式 {}", r.role)))?,
                state: AssignmentState::parse(&r.state)
                    .ok_or_else(|| DbErr::Custom(format!("未知的交办状态 {}", r.state)))?,
                id: r.id,
                unit_id: r.unit_id,
                unit_name: r.unit_name,
                round: r.round,
                assigned_on: r.assigned_on,
                assigned_at: r.assigned_at,
                return_reason: r.return_reason,
                extension_days: r.extension_days,
                extension_reason: r.extension_reason,
                deadline: r.deadline,
            })
        })
        .collect()
}

/// One line of an item's history.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: i64,
    pub step: String,
    /// The kind within the step (督办 kind, 预警/超期, approved/refused …).
    pub detail: String,
    pub party: String,
    pub actor_name: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    /// Shown to the submitter on `/track`.
    pub public: bool,
    pub body: String,
    pub round: i64,
    /// The internal part of the step (交办意见): never read for the submitter or the public.
    pub note: String,
    /// A progress note's phase (`plan|measures|results`), where the kind records phases.
    pub phase: Option<String>,
}

impl Event {
    pub fn label(&self) -> String {
        super::flow::event_label(&self.step, &self.detail)
    }
    pub fn when(&self) -> String {
        crate::app::fmt::datetime(self.at)
    }
}

pub async fn events<C: ConnectionTrait>(c: &C, item_id: i64, public_only: bool) -> Result<Vec<Event>, DbErr> {
    db::query_all(
        c,
        &format!(
            "SELECT e.id, e.at, e.step, e.detail, e.party, e.actor_name, e.unit_id, u.name AS unit_name, e.public, e.body, e.round, \
             {} AS note, e.phase FROM handling_events e LEFT JOIN handling_units u ON u.id = e.unit_id WHERE e.item_id = $1{} ORDER BY e.id",
            if public_only { "''" } else { "e.note" },
            if public_only { " AND e.public = true" } else { "" }
        ),
        vec![item_id.into()],
    )
    .await
}

#[derive(Clone, Debug, Serialize)]
pub struct Reply {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub round: i64,
    pub outcome: Outcome,
    pub body: String,
    pub at: i64,
    pub on_time: bool,
    /// The unit recorded a contact with the one who raised it before this reply.
    pub contacted: bool,
    /// The signed letter (PDF) the unit uploaded with it (SUG-7): its attachment.
    pub letter_id: Option<i64>,
}

impl Reply {
    pub fn outcome_label(&self) -> &'static str {
        self.outcome.label()
    }
    pub fn when(&self) -> String {
        crate::app::fmt::datetime(self.at)
    }
}

#[derive(FromQueryResult)]
struct ReplyRow {
    id: i64,
    unit_id: i64,
    unit_name: String,
    round: i64,
    outcome: String,
    body: String,
    at: i64,
    on_time: bool,
    contacted: bool,
    letter_id: Option<i64>,
}

pub async fn replies<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<Reply>, DbErr> {
    let rows: Vec<ReplyRow> = db::query_all(
        c,
        "SELECT r.id, r.unit_id, u.name AS unit_name, r.round, r.outcome, r.body, r.at, r.on_time, r.contacted, \
         (SELECT max(a.id) FROM attachments a WHERE a.owner_type = 'handling_reply' AND a.owner_id = CAST(r.id AS TEXT)) \
         AS letter_id FROM handling_replies r JOIN handling_units u ON u.id = r.unit_id WHERE r.item_id = $1 ORDER BY r.id",
        vec![item_id.into()],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Reply {
                outcome: Outcome::parse(&r.outcome)
                    .ok_or_else(|| DbErr::Custom(format!("未知的办理结果 {}", r.outcome)))?,
                id: r.id,
                letter_id: r.letter_id,
                unit_id: r.unit_id,
                unit_name: r.unit_name,
                round: r.round,
                body: r.body,
                at: r.at,
                on_time: r.on_time,
                contacted: r.contacted,
            })
        })
        .collect()
}

/// Who rated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rater {
    Submitter,
    Deputy,
}

impl Rater {
    /// The party that rates so.
    pub fn party(self) -> super::flow::Party {
        match self {
            Rater::Submitter => super::flow::Party::Submitter,
            Rater::Deputy => super::flow::Party::Deputy,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Rater::Submitter => "submitter",
            Rater::Deputy => "deputy",
        }
    }
    pub fn parse(s: &str) -> Option<Rater> {
        match s {
            "submitter" => Some(Rater::Submitter),
            "deputy" => Some(Rater::Deputy),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Rater::Submitter => "反映人",
            Rater::Deputy => "代表",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Rating {
    pub round: i64,
    pub rater: Rater,
    pub grade: Grade,
    pub comment: String,
    pub at: i64,
    /// What was rated (`overall` for opinions).
    pub aspect: super::flow::Aspect,
}

impl Rating {
    pub fn grade_label(&self) -> &'static str {
        self.grade.label()
    }
    pub fn rater_label(&self) -> &'static str {
        self.rater.label()
    }
    /// 「答复」, 「办理结果」 — empty for a rating of the whole.
    pub fn aspect_label(&self) -> &'static str {
        if self.aspect == super::flow::Aspect::Overall { "" } else { self.aspect.label() }
    }
}

#[derive(FromQueryResult)]
struct RatingRow {
    round: i64,
    rater: String,
    grade: String,
    comment: String,
    at: i64,
    aspect: String,
}

pub async fn ratings<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<Rating>, DbErr> {
    let rows: Vec<RatingRow> = db::query_all(
        c,
        "SELECT round, rater, grade, comment, at, aspect FROM handling_ratings WHERE item_id = $1 ORDER BY id",
        vec![item_id.into()],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Rating {
                round: r.round,
                rater: Rater::parse(&r.rater).ok_or_else(|| DbErr::Custom(format!("未知的评价人 {}", r.rater)))?,
                grade: Grade::parse(&r.grade).ok_or_else(|| DbErr::Custom(format!("未知的评价 {}", r.grade)))?,
                comment: r.comment,
                at: r.at,
                aspect: super::flow::Aspect::parse(&r.aspect).unwrap_or(super::flow::Aspect::Overall),
            })
        })
        .collect()
}

/// Units an item is (or was, this round) assigned to that are still at work: for the
/// authorization of unit accounts.
pub async fn live_units<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT DISTINCT a.unit_id FROM handling_assignments a JOIN handling_items i ON i.id = a.item_id \
         WHERE a.item_id = $1 AND a.round = i.round AND a.state IN ('active', 'accepted')",
        vec![item_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// The units that answer the submitter — 主办 and 分办 of any round, returned ones excepted:
/// they may call the submitter back (issue 16).
pub async fn contact_units<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT DISTINCT unit_id FROM handling_assignments WHERE item_id = $1 AND role IN ($2, $3) AND state IN ($4, $5, $6)",
        vec![
            item_id.into(),
            UnitRole::Lead.as_str().into(),
            UnitRole::Separate.as_str().into(),
            AssignmentState::Active.as_str().into(),
            AssignmentState::Accepted.as_str().into(),
            AssignmentState::Replied.as_str().into(),
        ],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// Every unit that ever had the item (they keep seeing it, returned ones excepted).
pub async fn seeing_units<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT DISTINCT unit_id FROM handling_assignments WHERE item_id = $1 AND state <> 'returned'",
        vec![item_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// The item this one was merged into (并案), if any.
pub async fn merged_into<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Option<i64>, DbErr> {
    Ok(db::query_rows(c, "SELECT into_item_id FROM handling_merges WHERE item_id = $1", vec![item_id.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<i64>(0).ok()))
}

/// The items merged into this one (并案), oldest first.
pub async fn merged_here<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    db::query_rows(
        c,
        "SELECT item_id FROM handling_merges WHERE into_item_id = $1 ORDER BY item_id",
        vec![item_id.into()],
    )
    .await?
    .iter()
    .map(|r| r.try_get_by_index::<i64>(0))
    .collect()
}

/// The deputies (person ids) asked to follow an item (督办首发工单).
pub async fn followers<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows =
        db::query_rows(c, "SELECT person_id FROM item_followers WHERE item_id = $1 ORDER BY id", vec![item_id.into()])
            .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// The deputies who signed an item, the lead first.
pub async fn signers<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT person_id FROM item_signers WHERE item_id = $1 ORDER BY lead DESC, id",
        vec![item_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// Whether an item has signers (then each rates for themself).
pub async fn has_signers<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<bool, DbErr> {
    Ok(db::scalar_i64(c, "SELECT count(*) FROM item_signers WHERE item_id = $1", vec![item_id.into()]).await? > 0)
}

/// The deputies who see an item without working on it (OPN-11, the rule of
/// `read::scope_condition`): those asked to follow it, the deputies of the station it came
/// through, and every deputy it was with before it was handed on (转交代表).
pub async fn watchers<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT person_id FROM item_followers WHERE item_id = $1 \
         UNION SELECT sd.person_id FROM station_deputies sd JOIN handling_items i ON i.station_id = sd.station_id \
         WHERE i.id = $1 \
         UNION SELECT person_id FROM item_handovers WHERE item_id = $1 \
         UNION SELECT previous_id FROM item_handovers WHERE item_id = $1 AND previous_id IS NOT NULL",
        vec![item_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

/// The deputy an item was raised with (left on their card or QR code, or entered by them):
/// the one it was with before its first 转交代表, else the one it is with now.
pub async fn raised_with<C: ConnectionTrait>(c: &C, item: &Item) -> Result<Option<i64>, DbErr> {
    let first = db::query_rows(
        c,
        "SELECT previous_id FROM item_handovers WHERE item_id = $1 ORDER BY id LIMIT 1",
        vec![item.id.into()],
    )
    .await?;
    Ok(match first.first() {
        Some(r) => r.try_get_by_index::<Option<i64>>(0)?,
        None => item.deputy_id,
    })
}

/// Whether a unit signs for an item (签收) before it may reply, as the item's organ rules it:
/// the rule of that organ, or of the nearest organ above it that set one (`handling_rules`);
/// `None` when no organ on the way set one (the kind's default applies).
pub async fn accept_rule<C: ConnectionTrait>(c: &C, organ_path: &str) -> Result<Option<bool>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT r.accept_before_reply FROM handling_rules r JOIN organs o ON o.id = r.organ_id \
         WHERE $1 LIKE o.path || '%' ORDER BY length(o.path) DESC LIMIT 1",
        vec![organ_path.into()],
    )
    .await?;
    rows.first().map(|r| r.try_get_by_index::<bool>(0)).transpose()
}

/// Whether the deputy `person` made the direct answer of the item's current round (a deputy
/// does not rate their own answer).
pub async fn answered_by_deputy<C: ConnectionTrait>(c: &C, item: &Item, person: i64) -> Result<bool, DbErr> {
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM handling_events e JOIN accounts a ON a.id = e.actor_id WHERE e.item_id = $1 \
         AND e.round = $2 AND e.step = 'answer_directly' AND e.party = 'deputy' AND a.deputy_id = $3",
        vec![item.id.into(), item.round.into(), person.into()],
    )
    .await?
        > 0)
}

/// A follower as an item's page lists them.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Follower {
    pub person_id: i64,
    pub name: String,
    pub created_at: i64,
}

pub async fn follower_list<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<Follower>, DbErr> {
    db::query_all(
        c,
        "SELECT f.person_id, p.name, f.created_at FROM item_followers f JOIN persons p ON p.id = f.person_id \
         WHERE f.item_id = $1 ORDER BY f.id",
        vec![item_id.into()],
    )
    .await
}

/// A contact a unit recorded with the one who raised the item (沟通联系).
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Contact {
    pub unit_id: i64,
    pub unit_name: String,
    pub round: i64,
    pub way: String,
    pub contacted_on: String,
    pub body: String,
    pub at: i64,
}

impl Contact {
    pub fn way_label(&self) -> &'static str {
        super::flow::ContactWay::parse(&self.way).map(|w| w.label()).unwrap_or("沟通")
    }
}

/// The contacts recorded on an item, every round, in order.
pub async fn contacts<C: ConnectionTrait>(c: &C, item_id: i64) -> Result<Vec<Contact>, DbErr> {
    db::query_all(
        c,
        "SELECT k.unit_id, u.name AS unit_name, k.round, k.way, k.contacted_on, k.body, k.at \
         FROM handling_contacts k JOIN handling_units u ON u.id = k.unit_id WHERE k.item_id = $1 ORDER BY k.id",
        vec![item_id.into()],
    )
    .await
}
