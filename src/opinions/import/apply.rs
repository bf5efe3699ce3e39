//! Writing the work orders of a file: each order its own audited write through
//! `service::submit` (channel `hotline`, the order number as `external_no`), an order number
//! already on file reported 已存在, then the report stored in one more write.

use std::collections::HashMap;

use super::mapping::Mapping;
use super::parse::{Format, WorkOrder, received_time};
use super::report::Outcome;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::ClientIp;
use crate::app::state::AppState;
use crate::app::write::write;
use crate::audit::{self, Change};
use crate::auth::Principal;
use crate::db;
use crate::opinions::model::{self, Channel};
use crate::opinions::service::{self, Submission};
use sea_orm::{ConnectionTrait, DbErr};

/// One line of the report.
#[derive(Clone, Debug)]
pub struct Line {
    pub row: u32,
    pub external_no: String,
    pub outcome: Outcome,
    pub opinion_id: Option<i64>,
    pub reason: String,
}

/// The areas by code and by name (a name that several areas share is ambiguous), and the
/// category taxonomy the orders' categories are matched against. An area is also found by its
/// name after its parents' (「诸城市龙都街道」, 「潍坊市诸城市龙都街道」): every ending of its full
/// name that starts at a parent is a key.
struct Areas {
    codes: std::collections::HashSet<String>,
    by_name: HashMap<String, Vec<String>>,
    taxonomy: model::Taxonomy,
}

/// How many parents' names an area is found under at most (province, city, county above a town).
const AREA_NAME_DEPTH: usize = 4;

/// An area name as 12345 systems write it, without the separators some put between the levels.
fn area_key(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace() && !matches!(c, '/' | '-' | '·' | '>' | '|' | '，' | ',')).collect()
}

async fn areas<C: ConnectionTrait>(c: &C) -> Result<Areas, DbErr> {
    let all = crate::org::areas_all(c).await?;
    let by_id: HashMap<i64, &crate::org::Area> = all.iter().map(|a| (a.id, a)).collect();
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    for a in &all {
        let mut key = area_key(&a.name);
        by_name.entry(key.clone()).or_default().push(a.code.clone());
        let mut parent = a.parent_id.and_then(|p| by_id.get(&p));
        for _ in 0..AREA_NAME_DEPTH {
            let Some(p) = parent else { break };
            key = format!("{}{key}", area_key(&p.name));
            by_name.entry(key.clone()).or_default().push(a.code.clone());
            parent = p.parent_id.and_then(|q| by_id.get(&q));
        }
    }
    let taxonomy = model::load_taxonomy(c).await?;
    Ok(Areas { codes: all.into_iter().map(|a| a.code).collect(), by_name, taxonomy })
}

/// An order as a submission, with the notes of what was left out; `Err` is the refusal.
fn submission(o: &WorkOrder, areas: &Areas, now: i64) -> Result<(Submission, i64, Vec<String>), String> {
    if let Some(r) = &o.refusal {
        return Err(r.clone());
    }
    if o.external_no.is_empty() {
        return Err("工单编号为空".into());
    }
    if o.external_no.chars().count() > 64 {
        return Err("工单编号超过 64 个字符".into());
    }
    if o.content.is_empty() {
        return Err("诉求内容为空".into());
    }
    let mut notes = Vec::new();
    let category = if o.category.is_empty() {
        String::new()
    } else if areas.taxonomy.accepts(&o.category) {
        o.category.clone()
    } else if let Some(c) = areas.taxonomy.by_code(&o.category).filter(|c| areas.taxonomy.accepts(c)) {
        c.to_string()
    } else {
        notes.push(format!("类别“{}”不在本系统的分类中，留待受理时确定", o.category));
        String::new()
    };
    let area_code = if !o.area_code.is_empty() {
        if areas.codes.contains(&o.area_code) {
            Some(o.area_code.clone())
        } else {
            notes.push(format!("没有区划代码“{}”，未设置区划", o.area_code));
            None
        }
    } else if !o.area_name.is_empty() {
        match areas.by_name.get(&area_key(&o.area_name)).map(Vec::as_slice) {
            Some([code]) => Some(code.clone()),
            Some(_) => {
                notes.push(format!("有多个名为“{}”的区划，未设置区划", o.area_name));
                None
            }
            None => {
                notes.push(format!("没有名为“{}”的区划，未设置区划", o.area_name));
                None
            }
        }
    } else {
        None
    };
    let mut phone = service::normalise_phone(&o.phone);
    // Excel drops the leading 0 of a landline typed as a number (0536… becomes 536…).
    if !phone.is_empty() && !service::is_mobile(&phone) && !service::is_landline(&phone) {
        let restored = format!("0{phone}");
        if (9..=11).contains(&phone.len()) && !phone.starts_with(['0', '1']) && service::is_landline(&restored) {
            notes.push(format!("联系电话“{}”补上了区号前的 0（Excel 会去掉开头的 0）", o.phone));
            phone = restored;
        }
    }
    if service::is_landline(&phone) {
        notes.push("联系电话是固定电话，已保存，不发短信".into());
    } else if !phone.is_empty() && !service::is_mobile(&phone) {
        notes.push(format!("联系电话“{}”不是手机号或固定电话，未保存", o.phone));
        phone.clear();
    }
    let mut title = o.title.clone();
    if title.chars().count() > service::MAX_TITLE {
        title = title.chars().take(service::MAX_TITLE).collect();
        notes.push(format!("标题超过 {} 字，已截断", service::MAX_TITLE));
    }
    let at = if o.received_at.is_empty() {
        now
    } else {
        match received_time(&o.received_at) {
            Some(t) if t <= now + 60 => t,
            Some(_) => return Err(format!("受理时间“{}”晚于现在", o.received_at)),
            None => {
                return Err(format!("受理时间“{}”无法识别，应为 2026-05-01 08:30 这样的格式", o.received_at));
            }
        }
    };
    Ok((
        Submission {
            channel: Some(Channel::Hotline),
            station_id: None,
            deputy_id: None,
            area_code,
            category,
            title,
            content: o.content.clone(),
            name: o.name.clone(),
            phone,
            allow_public: false,
            anonymous: true,
            consent: true,
            external_no: Some(o.external_no.clone()),
        },
        at,
        notes,
    ))
}

/// The opinion already holding an order number in an organ.
async fn existing<C: ConnectionTrait>(c: &C, organ_id: i64, external_no: &str) -> Result<Option<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT id, tracking_no FROM opinions WHERE organ_id = $1 AND external_no = $2",
        vec![organ_id.into(), external_no.into()],
    )
    .await?;
    Ok(rows.first().and_then(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?))))
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub imported: i64,
    pub duplicates: i64,
    pub refused: i64,
}

/// Imports the work orders of one file: each its own audited write, then the report (one
/// more write). Returns the import's id. A database failure stops the import (what was
/// imported stays and is reported 已存在 when the file is imported again).
pub async fn import(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    m: &Mapping,
    file_name: &str,
    format: Format,
    orders: &[WorkOrder],
) -> AppResult<(i64, Counts)> {
    // Orders without a station or deputy belong to the installation's organ (as `submit`
    // places them): order numbers are unique there.
    let organ = crate::org::default_organ(&s.db).await?.ok_or_else(|| AppError::Conflict("系统尚未设置机关".into()))?;
    let areas = areas(&s.db).await?;
    let lexicon = crate::opinions::lexicon::current(s).await?;
    let mut lines = Vec::with_capacity(orders.len());
    let mut seen: HashMap<String, u32> = HashMap::new();
    for o in orders {
        let line = |outcome, opinion_id, reason: String| Line {
            row: o.row,
            external_no: o.external_no.clone(),
            outcome,
            opinion_id,
            reason,
        };
        let now = db::now();
        let (sub, at, notes) = match submission(o, &areas, now) {
            Ok(x) => x,
            Err(reason) => {
                lines.push(line(Outcome::Refused, None, reason));
                continue;
            }
        };
        if let Some(first) = seen.get(&o.external_no) {
            lines.push(line(Outcome::Duplicate, None, format!("与本文件第 {first} 行的工单编号相同")));
            continue;
        }
        seen.insert(o.external_no.clone(), o.row);
        if let Some((id, no)) = existing(&s.db, organ.id, &o.external_no).await? {
            lines.push(line(Outcome::Duplicate, Some(id), format!("已导入过（查询编号 {no}）")));
            continue;
        }
        let result = write(s, p, ip, async |w| {
            service::submit_with_limits(
                w.txn(),
                w.key(),
                &s.crypto,
                &crate::notify::Limits::of(&s.config),
                w.actor(),
                &sub,
                &service::Source {
                    channel: Channel::Hotline,
                    entered_by: Some(p.account_id),
                    client: &ip.0,
                    now: at,
                    lexicon: &lexicon,
                },
            )
            .await
        })
        .await;
        match result {
            Ok(r) => {
                let mut reason = format!("查询编号 {}", r.tracking_no);
                if r.held {
                    reason.push_str("（含需审核的词语，待审核）");
                }
                for n in notes {
                    reason.push('；');
                    reason.push_str(&n);
                }
                lines.push(line(Outcome::Imported, Some(r.opinion_id), reason));
            }
            Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
                // Another import of the same order may have committed first.
                match existing(&s.db, organ.id, &o.external_no).await? {
                    Some((id, no)) => {
                        lines.push(line(Outcome::Duplicate, Some(id), format!("已导入过（查询编号 {no}）")))
                    }
                    None => lines.push(line(Outcome::Refused, None, e.detail())),
                }
            }
            Err(e) => return Err(e),
        }
    }
    let counts = Counts {
        imported: lines.iter().filter(|l| l.outcome == Outcome::Imported).count() as i64,
        duplicates: lines.iter().filter(|l| l.outcome == Outcome::Duplicate).count() as i64,
        refused: lines.iter().filter(|l| l.outcome == Outcome::Refused).count() as i64,
    };
    let file_name: String = file_name.chars().take(200).collect();
    let run = write(s, p, ip, async |w| {
        let run = db::insert_id(
            w.txn(),
            "INSERT INTO import_runs (organ_id, mapping_id, mapping_name, account_id, file_name, format, imported, \
             duplicates, refused, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                p.organ_id.into(),
                m.id.into(),
                m.name.clone().into(),
                p.account_id.into(),
                file_name.clone().into(),
                format.as_str().into(),
                counts.imported.into(),
                counts.duplicates.into(),
                counts.refused.into(),
                db::now().into(),
            ],
        )
        .await?;
        for l in &lines {
            db::exec(
                w.txn(),
                "INSERT INTO import_run_rows (run_id, row_no, external_no, outcome, opinion_id, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    run.into(),
                    i64::from(l.row).into(),
                    l.external_no.clone().into(),
                    l.outcome.as_str().into(),
                    l.opinion_id.into(),
                    l.reason.clone().into(),
                ],
            )
            .await?;
        }
        audit::append(
            w.txn(),
            w.key(),
            w.actor(),
            Change {
                action: "opinion_import",
                target_type: "import_run",
                target_id: run.to_string(),
                organ_id: Some(p.organ_id),
                summary: format!(
                    "导入 12345 工单（{}）：新增 {}，已存在 {}，未导入 {}",
                    format.as_str(),
                    counts.imported,
                    counts.duplicates,
                    counts.refused
                ),
            },
        )
        .await?;
        Ok(run)
    })
    .await?;
    Ok((run, counts))
}
