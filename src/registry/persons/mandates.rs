//! Mandates (REG-3): a person's 代表资格 at each level, the events that start and end them
//! (当选, 补选, 辞职, 罢免, 终止, 去世, 届满) and 换届.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

use super::{EndReason, MandateEventKind, MandateStatus, field, invalid, person};
use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::registry::Level;
use crate::registry::records::audit_change;

#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Mandate {
    pub id: i64,
    #[serde(skip)]
    #[schemars(skip)]
    pub person_id: i64,
    pub organ_id: i64,
    /// `national|provincial|city|county|township`
    pub level: String,
    /// 届, e.g. 18 for 第十八届
    pub term: i64,
    /// 代表团 or 选区
    pub constituency: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `serving|resigned|recalled|terminated|deceased|term_ended`
    pub status: MandateStatus,
    /// The organ's name, e.g. 潍坊市人大常委会
    pub organ_name: String,
    /// The organ's area, e.g. 潍坊市
    pub area_name: String,
}

impl Mandate {
    pub fn level(&self) -> Option<Level> {
        Level::parse(&self.level)
    }
    pub fn serving(&self) -> bool {
        self.status == MandateStatus::Serving
    }
    /// "第十九届诸城市人大代表", "第十四届全国人大代表"
    pub fn title(&self) -> String {
        let place = match self.level() {
            Some(Level::National) => "全国",
            _ => self.area_name.as_str(),
        };
        format!("第{}届{}人大代表", chinese_number(self.term), place)
    }
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct MandateEvent {
    pub id: i64,
    pub mandate_id: i64,
    pub kind: String,
    pub event_date: String,
    pub note: String,
}

impl MandateEvent {
    pub fn label(&self) -> &'static str {
        MandateEventKind::parse(&self.kind).map(MandateEventKind::label).unwrap_or("")
    }
}

/// 1 → 一, 14 → 十四, 21 → 二十一 (for 届 numbers).
pub fn chinese_number(n: i64) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10..=19 => format!("十{}", if n % 10 == 0 { "" } else { D[(n % 10) as usize] }),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], if n % 10 == 0 { "" } else { D[(n % 10) as usize] }),
        _ => n.to_string(),
    }
}

/// The mandates of some persons, newest term first, with their organ's name.
pub async fn mandates_of<C: ConnectionTrait>(c: &C, person_ids: &[i64]) -> Result<Vec<Mandate>, DbErr> {
    if person_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = person_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    db::query_all(
        c,
        &format!(
            "SELECT m.id, m.person_id, m.organ_id, m.level, m.term, m.constituency, m.start_date, m.end_date, \
             m.status, o.name AS organ_name, a.name AS area_name FROM mandates m JOIN organs o ON o.id = m.organ_id \
             JOIN areas a ON a.id = o.area_id \
             WHERE m.person_id IN ({list}) ORDER BY m.person_id, m.status = 'serving' DESC, \
             CASE m.level WHEN 'national' THEN 0 WHEN 'provincial' THEN 1 WHEN 'city' THEN 2 \
             WHEN 'county' THEN 3 ELSE 4 END, m.term DESC"
        ),
        vec![],
    )
    .await
}

pub async fn mandate_events<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<MandateEvent>, DbErr> {
    db::query_all(
        c,
        "SELECT e.id, e.mandate_id, e.kind, e.event_date, e.note FROM mandate_events e \
         JOIN mandates m ON m.id = e.mandate_id WHERE m.person_id = $1 ORDER BY e.event_date, e.id",
        vec![person_id.into()],
    )
    .await
}

/// A new mandate.
#[derive(Clone, Debug, Deserialize)]
pub struct MandateInput {
    pub organ_id: i64,
    pub term: i64,
    pub constituency: String,
    pub start_date: Option<String>,
    /// `elected` (regular election) or `by_election` (补选)
    pub how: String,
}

/// Adds a mandate. Rules: the organ exists; the term is 1–99; a person holds at most one
/// mandate per organ and term; a by-election needs a start date.
pub async fn add_mandate<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    person_id: i64,
    input: &MandateInput,
) -> Result<i64, AppError> {
    let mut f = Vec::new();
    let p = person(c, person_id).await?.ok_or(AppError::NotFound)?;
    let organ = crate::org::organ(c, input.organ_id).await?;
    if organ.is_none() {
        field(&mut f, "organ_id", "请选择所属人大");
    }
    if !(1..=99).contains(&input.term) {
        field(&mut f, "term", "届次应为 1 至 99");
    }
    let constituency = input.constituency.trim().to_string();
    if constituency.chars().count() > 40 {
        field(&mut f, "constituency", "代表团/选区不超过 40 个字");
    }
    let start = match input.start_date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(d) => match crate::app::fmt::parse_date(d) {
            Some(d) => Some(d.format("%Y-%m-%d").to_string()),
            None => {
                field(&mut f, "start_date", "日期应写成 2021-09-28");
                None
            }
        },
    };
    let how = match MandateEventKind::parse(&input.how) {
        Some(k @ (MandateEventKind::Elected | MandateEventKind::ByElection)) => k,
        Some(MandateEventKind::Ended(_)) | None => {
            field(&mut f, "how", "请选择当选方式");
            MandateEventKind::Elected
        }
    };
    if how == MandateEventKind::ByElection && start.is_none() {
        field(&mut f, "start_date", "补选须填写当选日期");
    }
    if organ.is_some()
        && db::scalar_i64(
            c,
            "SELECT count(*) FROM mandates WHERE person_id = $1 AND organ_id = $2 AND term = $3",
            vec![person_id.into(), input.organ_id.into(), input.term.into()],
        )
        .await?
            > 0
    {
        field(&mut f, "term", "该人员在这一届已有代表资格记录");
    }
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let organ = organ.expect("checked above");
    let id = db::insert_id(
        c,
        "INSERT INTO mandates (person_id, organ_id, level, term, constituency, start_date, end_date, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
        vec![
            person_id.into(),
            organ.id.into(),
            organ.level.clone().into(),
            input.term.into(),
            constituency.clone().into(),
            start.clone().into(),
            MandateStatus::Serving.into(),
            db::now().into(),
        ],
    )
    .await?;
    let date = start.unwrap_or_else(|| chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string());
    db::exec(
        c,
        "INSERT INTO mandate_events (mandate_id, kind, event_date, note, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![id.into(), how.as_str().into(), date.into(), constituency.into(), db::now().into()],
    )
    .await?;
    let said = format!("{}：第{}届 {}", how.label(), input.term, organ.name);
    audit_change(c, (key, actor), "mandate_create", "person", person_id, p.organ_id, said).await?;
    Ok(id)
}

/// How a mandate ends, as parsed from the end form (or given by 换届).
#[derive(Clone, Debug, PartialEq)]
pub struct EndMandate {
    pub reason: EndReason,
    /// `YYYY-MM-DD`
    pub date: String,
    pub note: String,
}

impl EndMandate {
    /// Parses the form's 终止原因, date and note; every problem is reported with its field.
    pub fn parse(kind: &str, date: &str, note: &str) -> Result<EndMandate, AppError> {
        let mut f = Vec::new();
        let reason = EndReason::parse(kind);
        if reason.is_none() {
            field(&mut f, "kind", "请选择终止原因");
        }
        let date = match crate::app::fmt::parse_date(date) {
            Some(d) => d.format("%Y-%m-%d").to_string(),
            None => {
                field(&mut f, "date", "日期应写成 2024-06-30");
                String::new()
            }
        };
        let note = note.trim();
        if note.chars().count() > 200 {
            field(&mut f, "note", "说明不超过 200 字");
        }
        match reason {
            Some(reason) if f.is_empty() => Ok(EndMandate { reason, date, note: note.into() }),
            _ => Err(invalid(f)),
        }
    }
}

/// Ends a serving mandate: 辞职, 罢免, 终止, 去世 or 届满. An ended mandate cannot end again.
pub async fn end_mandate<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    mandate_id: i64,
    end: &EndMandate,
) -> Result<(), AppError> {
    let row = db::query_rows(
        c,
        "SELECT m.person_id, m.status, p.organ_id, m.term, o.name FROM mandates m JOIN persons p ON p.id = m.person_id \
         JOIN organs o ON o.id = m.organ_id WHERE m.id = $1",
        vec![mandate_id.into()],
    )
    .await?;
    let row = row.first().ok_or(AppError::NotFound)?;
    let person_id: i64 = row.try_get_by_index(0)?;
    let status: MandateStatus = row.try_get_by_index(1)?;
    let organ_id: i64 = row.try_get_by_index(2)?;
    let term: i64 = row.try_get_by_index(3)?;
    let organ_name: String = row.try_get_by_index(4)?;
    if status != MandateStatus::Serving {
        return Err(AppError::Conflict(format!("该代表资格已是“{}”状态，不能再次终止", status.label())));
    }
    let kind = MandateEventKind::Ended(end.reason);
    db::exec(
        c,
        "UPDATE mandates SET status = $1, end_date = $2 WHERE id = $3",
        vec![MandateStatus::from(end.reason).into(), end.date.clone().into(), mandate_id.into()],
    )
    .await?;
    db::exec(
        c,
        "INSERT INTO mandate_events (mandate_id, kind, event_date, note, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            mandate_id.into(),
            kind.as_str().into(),
            end.date.clone().into(),
            end.note.clone().into(),
            db::now().into(),
        ],
    )
    .await?;
    let said = format!("{}：第{}届 {}", kind.label(), term, organ_name);
    audit_change(c, (key, actor), "mandate_end", "person", person_id, organ_id, said).await?;
    Ok(())
}

/// 换届: every serving mandate of `old_term` at the organ ends as 届满 on `date`; the
/// re-elected persons get a mandate of `old_term + 1` in the same constituency.
/// Returns (ended, re-elected).
pub async fn change_term<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    old_term: i64,
    date: &str,
    reelected: &[i64],
) -> Result<(usize, usize), AppError> {
    let Some(day) = crate::app::fmt::parse_date(date) else {
        return Err(AppError::invalid("date", "日期应写成 2026-12-28"));
    };
    let end =
        EndMandate { reason: EndReason::TermEnded, date: day.format("%Y-%m-%d").to_string(), note: "换届".into() };
    #[derive(FromQueryResult)]
    struct Serving {
        id: i64,
        person_id: i64,
        constituency: String,
    }
    let serving: Vec<Serving> = db::query_all(
        c,
        "SELECT id, person_id, constituency FROM mandates WHERE organ_id = $1 AND term = $2 AND status = 'serving'",
        vec![organ_id.into(), old_term.into()],
    )
    .await?;
    if serving.is_empty() {
        return Err(AppError::Conflict(format!("第{old_term}届没有在任代表，无法换届")));
    }
    let by_person: HashMap<i64, &Serving> = serving.iter().map(|s| (s.person_id, s)).collect();
    for s in &serving {
        end_mandate(c, key, actor, s.id, &end).await?;
    }
    let mut again = 0;
    for pid in reelected {
        if let Some(s) = by_person.get(pid) {
            add_mandate(
                c,
                key,
                actor,
                *pid,
                &MandateInput {
                    organ_id,
                    term: old_term + 1,
                    constituency: s.constituency.clone(),
                    start_date: Some(date.into()),
                    how: MandateEventKind::Elected.as_str().into(),
                },
            )
            .await?;
            again += 1;
        }
    }
    Ok((serving.len(), again))
}
