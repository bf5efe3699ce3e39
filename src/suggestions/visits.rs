//! Field visits by a deputy group (SUG-6, 实地视察 / 走访): a 代表小组 goes to see how
//! suggestions are being handled — the date, the place, the members who took part (members of
//! the group), the unit visited, notes — about one or more registered suggestions of the
//! group's organ. Recorded by a member of the group or by the organ's staff, audited, the
//! members who took part told; shown on each linked suggestion's page and in its API detail,
//! and counted in each member's 建议档案.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::service::part;
use crate::app::error::{AppError, AppResult};
use crate::audit::{Actor, Change};
use crate::db;
use crate::registry::structure::GroupRow;

pub const MAX_PLACE: usize = 200;
pub const MAX_NOTES: usize = 4000;
/// At most this many suggestions on one visit.
pub const MAX_ITEMS: usize = 50;

/// A visit as its suggestions' pages show it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Visit {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    /// `YYYY-MM-DD`.
    pub visited_on: String,
    pub place: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub notes: String,
    /// The members who took part, by name.
    pub members: Vec<String>,
    /// The suggestions it was about (ids).
    pub suggestion_ids: Vec<i64>,
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    group_id: i64,
    group_name: String,
    visited_on: String,
    place: String,
    unit_id: Option<i64>,
    unit_name: Option<String>,
    notes: String,
}

/// The visits about a suggestion, newest first.
pub async fn of_suggestion<C: ConnectionTrait>(c: &C, suggestion: i64) -> Result<Vec<Visit>, DbErr> {
    let rows: Vec<Row> = db::query_all(
        c,
        "SELECT v.id, v.group_id, g.name AS group_name, v.visited_on, v.place, v.unit_id, u.name AS unit_name, v.notes \
         FROM suggestion_visit_items i JOIN suggestion_visits v ON v.id = i.visit_id \
         JOIN deputy_groups g ON g.id = v.group_id LEFT JOIN handling_units u ON u.id = v.unit_id \
         WHERE i.suggestion_id = $1 ORDER BY v.visited_on DESC, v.id DESC LIMIT 100",
        vec![suggestion.into()],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let members = db::query_rows(
            c,
            "SELECT p.name FROM suggestion_visit_members m JOIN persons p ON p.id = m.person_id WHERE m.visit_id = $1 \
             ORDER BY m.id",
            vec![r.id.into()],
        )
        .await?
        .iter()
        .map(|x| x.try_get_by_index::<String>(0))
        .collect::<Result<Vec<_>, _>>()?;
        let suggestion_ids = db::query_rows(
            c,
            "SELECT suggestion_id FROM suggestion_visit_items WHERE visit_id = $1 ORDER BY suggestion_id",
            vec![r.id.into()],
        )
        .await?
        .iter()
        .map(|x| x.try_get_by_index::<i64>(0))
        .collect::<Result<Vec<_>, _>>()?;
        out.push(Visit {
            id: r.id,
            group_id: r.group_id,
            group_name: r.group_name,
            visited_on: r.visited_on,
            place: r.place,
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            notes: r.notes,
            members,
            suggestion_ids,
        });
    }
    Ok(out)
}

/// How many visits `person` took part in (the 建议档案), in `year` when given.
pub async fn count_of_person<C: ConnectionTrait>(c: &C, person: i64, year: Option<i64>) -> Result<i64, DbErr> {
    let prefix = year.map(|y| format!("{y}-%")).unwrap_or_else(|| "%".into());
    db::scalar_i64(
        c,
        "SELECT count(*) FROM suggestion_visit_members m JOIN suggestion_visits v ON v.id = m.visit_id \
         WHERE m.person_id = $1 AND v.visited_on LIKE $2",
        vec![person.into(), prefix.into()],
    )
    .await
}

/// A visit to record.
#[derive(Clone, Debug, Default)]
pub struct NewVisit {
    pub visited_on: String,
    pub place: String,
    pub unit_id: Option<i64>,
    pub notes: String,
    pub members: Vec<i64>,
    pub suggestions: Vec<i64>,
}

/// Records a visit of group `g`, audited; the members who took part are told. Every member
/// named must belong to the group, every suggestion be registered at the group's organ (or
/// below it), the unit be one of the organ's.
pub async fn record<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    g: &GroupRow,
    v: &NewVisit,
    now: i64,
) -> AppResult<i64> {
    let date = chrono::NaiveDate::parse_from_str(v.visited_on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("visited_on", "请填写视察日期（如 2026-05-20）"))?;
    if date > crate::calendar::beijing_date(now) {
        return Err(AppError::invalid("visited_on", "视察日期不能晚于今天"));
    }
    let place = part("place", &v.place, MAX_PLACE)?;
    if place.is_empty() {
        return Err(AppError::invalid("place", "请填写视察地点"));
    }
    let notes = part("notes", &v.notes, MAX_NOTES)?;
    let mut members = v.members.clone();
    members.sort_unstable();
    members.dedup();
    if members.is_empty() {
        return Err(AppError::invalid("members", "请选择参加视察的小组成员"));
    }
    for m in &members {
        if !super::group_evaluation::is_member(c, g.id, Some(*m)).await? {
            return Err(AppError::invalid("members", format!("编号 {m} 的代表不是{}的成员", g.name)));
        }
    }
    let mut items = v.suggestions.clone();
    items.sort_unstable();
    items.dedup();
    if items.is_empty() {
        return Err(AppError::invalid("suggestions", "请选择视察涉及的建议"));
    }
    if items.len() > MAX_ITEMS {
        return Err(AppError::invalid("suggestions", format!("一次视察最多关联 {MAX_ITEMS} 件建议")));
    }
    let prefix = format!("{}%", db::like_escape(&g.organ_path));
    for sg in &items {
        let ok = db::scalar_i64(
            c,
            "SELECT count(*) FROM suggestions sg JOIN organs o ON o.id = sg.organ_id \
             WHERE sg.id = $1 AND sg.item_id IS NOT NULL AND o.path LIKE $2",
            vec![(*sg).into(), prefix.clone().into()],
        )
        .await?;
        if ok == 0 {
            return Err(AppError::invalid("suggestions", format!("编号 {sg} 的建议不存在或尚未登记")));
        }
    }
    if let Some(unit) = v.unit_id {
        let ok = db::scalar_i64(
            c,
            "SELECT count(*) FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1 AND o.path LIKE $2",
            vec![unit.into(), prefix.clone().into()],
        )
        .await?;
        if ok == 0 {
            return Err(AppError::invalid("unit_id", "请选择本级的承办单位"));
        }
    }
    let id = db::insert_id(
        c,
        "INSERT INTO suggestion_visits (organ_id, group_id, visited_on, place, unit_id, notes, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            g.organ_id.into(),
            g.id.into(),
            date.format("%Y-%m-%d").to_string().into(),
            place.clone().into(),
            v.unit_id.into(),
            notes.into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    for m in &members {
        db::exec(
            c,
            "INSERT INTO suggestion_visit_members (visit_id, person_id) VALUES ($1, $2)",
            vec![id.into(), (*m).into()],
        )
        .await?;
    }
    for sg in &items {
        db::exec(
            c,
            "INSERT INTO suggestion_visit_items (visit_id, suggestion_id) VALUES ($1, $2)",
            vec![id.into(), (*sg).into()],
        )
        .await?;
    }
    let summary = format!("{}于 {date} 到{place}视察，{} 人参加，涉及 {} 件建议", g.name, members.len(), items.len());
    Change::audited("suggestion_visit", "group_visit", id, summary.clone())
        .in_organ(g.organ_id)
        .append(c, key, actor)
        .await?;
    let link = format!("/console/suggestions/{}", items[0]);
    for m in &members {
        let accounts: Vec<i64> =
            db::query_rows(c, "SELECT id FROM accounts WHERE deputy_id = $1 AND disabled = false", vec![(*m).into()])
                .await?
                .iter()
                .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
                .collect();
        let about = crate::notify::About { kind: "group_visit", record: Some(("group_visit", id)), link: &link };
        crate::notify::inbox_about(c, &accounts, &about, "已记录您参加的代表小组视察", &summary).await?;
    }
    Ok(id)
}
