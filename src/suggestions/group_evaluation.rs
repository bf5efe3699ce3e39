//! A deputy group's written evaluation of a unit's handling of a year's suggestions (SUG-10,
//! "optional 态度·措施·实效 evaluation by a deputy group"): three grades — 办理态度, 办理措施,
//! 办理实效, each 满意 / 基本满意 / 不满意 with a comment — and an overall note, one per group,
//! unit and year. Any member of the group writes it and may change it until staff close that
//! year's 满意度测评 (the ballot of the year); after that it is part of the result sent to the
//! assessment departments and stays as it was. The units are those that handled the year's
//! suggestions of the group's organ (`evaluation::units_of_year`).

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::evaluation::{self, KIND};
use super::service::part;
use crate::app::error::{AppError, AppResult};
use crate::audit::{Actor, Change};
use crate::auth::Resource;
use crate::db;
use crate::handling::flow::Grade;
use crate::registry::structure::GroupRow;

/// The longest comment on one aspect, and the overall note.
pub const MAX_COMMENT: usize = 1000;
pub const MAX_NOTE: usize = 2000;

/// One group's evaluation of one unit in one year.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct GroupEvaluation {
    pub id: i64,
    pub organ_id: i64,
    pub year: i64,
    pub group_id: i64,
    pub group_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// 办理态度: `satisfied|basically_satisfied|unsatisfied`.
    #[schemars(with = "Grade")]
    pub attitude: String,
    pub attitude_note: String,
    /// 办理措施.
    #[schemars(with = "Grade")]
    pub measures: String,
    pub measures_note: String,
    /// 办理实效.
    #[schemars(with = "Grade")]
    pub results: String,
    pub results_note: String,
    pub note: String,
    /// The member who wrote it last.
    pub writer_name: String,
    pub updated_at: i64,
}

impl GroupEvaluation {
    pub fn date(&self) -> String {
        crate::app::fmt::date(self.updated_at)
    }
    pub fn grade_label(code: &str) -> &'static str {
        Grade::parse(code).map(Grade::label).unwrap_or("")
    }
    /// (aspect, grade label, comment) in order.
    pub fn aspects(&self) -> [(&'static str, &'static str, &str); 3] {
        [
            ("办理态度", Self::grade_label(&self.attitude), &self.attitude_note),
            ("办理措施", Self::grade_label(&self.measures), &self.measures_note),
            ("办理实效", Self::grade_label(&self.results), &self.results_note),
        ]
    }
}

const SELECT: &str = "SELECT e.id, e.organ_id, e.year, e.group_id, g.name AS group_name, e.unit_id, \
     u.name AS unit_name, e.attitude, e.attitude_note, e.measures, e.measures_note, e.results, e.results_note, \
     e.note, p.name AS writer_name, e.updated_at FROM group_evaluations e JOIN deputy_groups g ON g.id = e.group_id \
     JOIN handling_units u ON u.id = e.unit_id JOIN persons p ON p.id = e.written_by";

/// Every group's evaluations of the organ's `year`, by unit then group (staff beside the 测评).
pub async fn of_year<C: ConnectionTrait>(c: &C, organ: i64, year: i64) -> Result<Vec<GroupEvaluation>, DbErr> {
    db::query_all(
        c,
        &format!("{SELECT} WHERE e.organ_id = $1 AND e.year = $2 ORDER BY u.name, e.unit_id, g.name, e.group_id"),
        vec![organ.into(), year.into()],
    )
    .await
}

/// The evaluations about one unit, newest year first (the unit's own reading).
pub async fn of_unit<C: ConnectionTrait>(c: &C, unit: i64) -> Result<Vec<GroupEvaluation>, DbErr> {
    db::query_all(
        c,
        &format!("{SELECT} WHERE e.unit_id = $1 ORDER BY e.year DESC, g.name, e.group_id LIMIT 500"),
        vec![unit.into()],
    )
    .await
}

/// A group's evaluations of a year.
pub async fn of_group<C: ConnectionTrait>(c: &C, group: i64, year: i64) -> Result<Vec<GroupEvaluation>, DbErr> {
    db::query_all(
        c,
        &format!("{SELECT} WHERE e.group_id = $1 AND e.year = $2 ORDER BY u.name, e.unit_id"),
        vec![group.into(), year.into()],
    )
    .await
}

pub async fn one<C: ConnectionTrait>(
    c: &C,
    group: i64,
    unit: i64,
    year: i64,
) -> Result<Option<GroupEvaluation>, DbErr> {
    db::query_one(
        c,
        &format!("{SELECT} WHERE e.group_id = $1 AND e.unit_id = $2 AND e.year = $3"),
        vec![group.into(), unit.into(), year.into()],
    )
    .await
}

/// Whether `person` is a member of the deputy group.
pub async fn is_member<C: ConnectionTrait>(c: &C, group: i64, person: Option<i64>) -> Result<bool, DbErr> {
    let Some(person) = person else { return Ok(false) };
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM memberships WHERE kind = 'group' AND group_id = $1 AND person_id = $2",
        vec![group.into(), person.into()],
    )
    .await?
        > 0)
}

/// The authorization resource of a group's evaluation of a unit, for this caller's person.
pub fn resource<'a>(g: &'a GroupRow, member: bool, unit: i64) -> Resource<'a> {
    Resource::GroupEvaluation { organ_path: &g.organ_path, member, unit_id: unit }
}

/// Whether staff closed the organ's 测评 of `year` (the evaluations are then final).
pub async fn closed<C: ConnectionTrait>(c: &C, organ: i64, year: i64) -> Result<bool, DbErr> {
    Ok(db::scalar_i64(
        c,
        "SELECT count(*) FROM ballots WHERE organ_id = $1 AND kind = $2 AND period = $3 AND state = 'closed'",
        vec![organ.into(), KIND.into(), year.to_string().into()],
    )
    .await?
        > 0)
}

/// What a member writes.
#[derive(Clone, Debug, Default)]
pub struct Input {
    pub attitude: String,
    pub attitude_note: String,
    pub measures: String,
    pub measures_note: String,
    pub results: String,
    pub results_note: String,
    pub note: String,
}

fn grade(field: &str, v: &str, name: &str) -> AppResult<Grade> {
    Grade::parse(v.trim())
        .ok_or_else(|| AppError::invalid(field, format!("请选择{name}的评价（满意、基本满意或不满意）")))
}

/// Writes (or rewrites) the group's evaluation of `unit` for `year`, audited. The unit must
/// have handled that year's suggestions of the group's organ; refused (409) once the year's
/// 测评 is closed. Returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn save<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    g: &GroupRow,
    unit: i64,
    year: i64,
    person: i64,
    input: &Input,
    now: i64,
) -> AppResult<i64> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年度应在 2000 到 2100 之间"));
    }
    let attitude = grade("attitude", &input.attitude, "办理态度")?;
    let measures = grade("measures", &input.measures, "办理措施")?;
    let results = grade("results", &input.results, "办理实效")?;
    let attitude_note = part("attitude_note", &input.attitude_note, MAX_COMMENT)?;
    let measures_note = part("measures_note", &input.measures_note, MAX_COMMENT)?;
    let results_note = part("results_note", &input.results_note, MAX_COMMENT)?;
    let note = part("note", &input.note, MAX_NOTE)?;
    let units = evaluation::units_of_year(c, g.organ_id, year).await?;
    let Some((_, unit_name)) = units.iter().find(|(id, _)| *id == unit) else {
        return Err(AppError::invalid("unit_id", format!("该单位没有承办 {year} 年度的代表建议")));
    };
    if closed(c, g.organ_id, year).await? {
        return Err(AppError::Conflict(format!("{year} 年度的满意度测评已结束，书面评价不能再修改")));
    }
    let existing = one(c, g.id, unit, year).await?;
    let values = vec![
        attitude.as_str().into(),
        attitude_note.into(),
        measures.as_str().into(),
        measures_note.into(),
        results.as_str().into(),
        results_note.into(),
        note.into(),
        person.into(),
        now.into(),
    ];
    let (id, verb) = match existing {
        Some(e) => {
            let mut v = values;
            v.push(e.id.into());
            db::exec(
                c,
                "UPDATE group_evaluations SET attitude = $1, attitude_note = $2, measures = $3, measures_note = $4, \
                 results = $5, results_note = $6, note = $7, written_by = $8, updated_at = $9 WHERE id = $10",
                v,
            )
            .await?;
            (e.id, "修改")
        }
        None => {
            let mut v = values;
            v.extend([now.into(), g.organ_id.into(), year.into(), g.id.into(), unit.into()]);
            let id = db::insert_id(
                c,
                "INSERT INTO group_evaluations (attitude, attitude_note, measures, measures_note, results, results_note, \
                 note, written_by, updated_at, created_at, organ_id, year, group_id, unit_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                v,
            )
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    AppError::Conflict("本小组对该单位的评价刚由其他成员写好，请刷新后修改".into())
                } else {
                    e.into()
                }
            })?;
            (id, "提交")
        }
    };
    let summary = format!(
        "{}{verb}对{unit_name}的 {year} 年度书面评价：办理态度{}、办理措施{}、办理实效{}",
        g.name,
        attitude.label(),
        measures.label(),
        results.label()
    );
    Change::audited("group_evaluation_save", "group_evaluation", id, summary)
        .in_organ(g.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(id)
}
