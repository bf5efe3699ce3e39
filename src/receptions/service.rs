//! The rules and audited writes of receptions (OPN-12): a reception with the deputies present
//! (at least `reception_min_deputies`, from the station's deputies) and the issues raised, each
//! entered as an opinion through the one intake (channel 接待活动) and put on the 问题清单;
//! countermeasures and time-limited feedback added later; a feedback item's fulfilment.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use super::model::{self, ListKind, Reception};
use crate::app::error::{AppError, AppResult, FieldError};
use crate::app::fields::FieldErrors;
use crate::app::fmt::parse_date;
use crate::audit::{Actor, Change};
use crate::db;
use crate::opinions::model::Channel;
use crate::opinions::service::{self as intake, Source, Submission};
use crate::privacy::FieldCrypto;

pub const MAX_THEME: usize = 100;
pub const MAX_ATTENDEES: usize = 500;
pub const MAX_ITEM: usize = 500;
/// Issues raised at one reception and entered in one go.
pub const MAX_ISSUES: usize = 50;

/// A reception as typed: the date as people type it, the deputies ticked, one issue a line.
#[derive(Clone, Debug, Default)]
pub struct NewReception {
    pub station_id: i64,
    pub held_on: String,
    pub theme: String,
    pub attendees: String,
    pub deputies: Vec<i64>,
    pub issues: Vec<String>,
}

/// What an insert made: the reception and the tracking numbers of the opinions it raised.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Created {
    pub id: i64,
    pub tracking_nos: Vec<String>,
}

/// The issues of a textarea: one a line, blank lines dropped.
pub fn issue_lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// A date of a reception or a promise: typed as people do, not after `latest` when given.
fn date_field(field: &str, v: &str, what: &str) -> Result<NaiveDate, FieldError> {
    parse_date(v)
        .ok_or_else(|| FieldError { field: field.into(), message: format!("请填写{what}，如 2026-12-01") })
}

/// Checks a reception against its station and the rule of the deputies present, every field
/// at once; the deputies deduplicated in the order ticked.
pub async fn validate<C: ConnectionTrait>(
    c: &C,
    min_deputies: i64,
    input: &NewReception,
    today: NaiveDate,
) -> AppResult<(NaiveDate, Vec<i64>)> {
    let mut errors = FieldErrors::new();
    let held_on = match date_field("held_on", &input.held_on, "接待日期") {
        Ok(d) if d > today => {
            errors.add("held_on", "接待日期不能晚于今天（预约请用预约功能）");
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            errors.add(&e.field, e.message);
            None
        }
    };
    let theme = input.theme.trim().chars().count();
    if theme == 0 {
        errors.add("theme", "请填写接待主题");
    } else if theme > MAX_THEME {
        errors.add("theme", format!("接待主题不能超过 {MAX_THEME} 字"));
    }
    if input.attendees.trim().chars().count() > MAX_ATTENDEES {
        errors.add("attendees", format!("其他参加人员不能超过 {MAX_ATTENDEES} 字"));
    }
    let assigned: Vec<i64> =
        crate::registry::stations::deputies(c, input.station_id).await?.iter().map(|d| d.id).collect();
    let mut deputies: Vec<i64> = Vec::new();
    for d in &input.deputies {
        if !deputies.contains(d) {
            deputies.push(*d);
        }
    }
    if deputies.iter().any(|d| !assigned.contains(d)) {
        errors.add("deputies", "只能选择本联络站的代表");
    } else if (deputies.len() as i64) < min_deputies {
        errors.add("deputies", format!("每次接待至少需要 {min_deputies} 名代表参加（已选 {} 名）", deputies.len()));
    }
    if input.issues.len() > MAX_ISSUES {
        errors.add("issues", format!("一次最多录入 {MAX_ISSUES} 条问题，其余可在接待记录中补充"));
    }
    for (i, issue) in input.issues.iter().enumerate() {
        let n = issue.trim().chars().count();
        if !(intake::MIN_CONTENT..=intake::MAX_CONTENT).contains(&n) {
            errors.add(
                "issues",
                format!("第 {} 条问题应为 {} 到 {} 字（现有 {n} 字）", i + 1, intake::MIN_CONTENT, intake::MAX_CONTENT),
            );
        } else if input.issues[..i].iter().any(|x| x.trim() == issue.trim()) {
            errors.add("issues", format!("第 {} 条问题与前面重复", i + 1));
        }
    }
    errors.check()?;
    Ok((held_on.expect("checked above"), deputies))
}

/// Who enters and from where: the account (for the opinions' `entered_by`), the client
/// address and the time.
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub entered_by: Option<i64>,
    pub client: &'a str,
    pub now: i64,
    /// The installation's names, kept whole in the opinions' search text.
    pub lexicon: &'a crate::nlp::segment::Lexicon,
}

/// Enters one issue raised at a reception as an opinion of its station and puts it on the
/// 问题清单 of the reception (reception, station); returns the tracking number and the list item.
async fn raise<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    (reception_id, station_id): (i64, i64),
    issue: &str,
    e: &Entry<'_>,
) -> AppResult<(String, i64)> {
    let sub = Submission {
        channel: Some(Channel::Reception),
        station_id: Some(station_id),
        content: issue.trim().to_string(),
        anonymous: true,
        ..Submission::default()
    };
    let src = Source {
        channel: Channel::Reception,
        entered_by: e.entered_by,
        client: e.client,
        now: e.now,
        lexicon: e.lexicon,
    };
    let receipt = intake::submit(c, key, crypto, actor, &sub, &src).await.map_err(|err| match err {
        // A repeat of an issue entered minutes ago is the form's matter, not a conflict page.
        AppError::Conflict(m) => AppError::invalid("issues", m),
        AppError::Invalid { detail, .. } => AppError::invalid("issues", detail),
        other => other,
    })?;
    let item =
        insert_item(c, reception_id, ListKind::Problem, issue.trim(), Some(receipt.opinion_id), None, e.now).await?;
    Ok((receipt.tracking_no, item))
}

async fn insert_item<C: ConnectionTrait>(
    c: &C,
    reception_id: i64,
    kind: ListKind,
    body: &str,
    opinion_id: Option<i64>,
    promised_on: Option<String>,
    now: i64,
) -> AppResult<i64> {
    Ok(db::insert_id(
        c,
        "INSERT INTO reception_items (reception_id, kind, body, opinion_id, promised_on, fulfilled_on, fulfilment, \
         created_at) VALUES ($1, $2, $3, $4, $5, NULL, '', $6)",
        vec![reception_id.into(), kind.as_str().into(), body.into(), opinion_id.into(), promised_on.into(), now.into()],
    )
    .await?)
}

/// Records a reception, the deputies present and its issues (each an opinion), in the
/// caller's write transaction.
pub async fn create<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    min_deputies: i64,
    input: &NewReception,
    e: &Entry<'_>,
) -> AppResult<Created> {
    let station = crate::registry::stations::station(c, input.station_id)
        .await?
        .ok_or_else(|| AppError::invalid("station", "没有这个联络站"))?;
    let (held_on, deputies) = validate(c, min_deputies, input, crate::calendar::beijing_date(e.now)).await?;
    let id = db::insert_id(
        c,
        "INSERT INTO receptions (organ_id, station_id, held_on, theme, attendees, created_by_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            station.organ_id.into(),
            station.id.into(),
            held_on.format("%Y-%m-%d").to_string().into(),
            input.theme.trim().into(),
            input.attendees.trim().into(),
            e.entered_by.into(),
            e.now.into(),
        ],
    )
    .await?;
    for d in &deputies {
        db::exec(
            c,
            "INSERT INTO reception_deputies (reception_id, person_id) VALUES ($1, $2)",
            vec![id.into(), (*d).into()],
        )
        .await?;
    }
    let mut tracking_nos = Vec::new();
    for issue in &input.issues {
        tracking_nos.push(raise(c, key, crypto, actor, (id, station.id), issue, e).await?.0);
    }
    Change::audited(
        "reception_create",
        "reception",
        id,
        format!(
            "{} {} 接待，代表 {} 名，问题 {} 条",
            station.name,
            held_on.format("%Y-%m-%d"),
            deputies.len(),
            tracking_nos.len()
        ),
    )
    .in_organ(station.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(Created { id, tracking_nos })
}

/// A line added to one of a reception's lists: a problem (entered as an opinion too), a
/// countermeasure, or a feedback promise with its date.
#[derive(Clone, Debug, Default)]
pub struct NewItem {
    pub kind: String,
    pub body: String,
    pub promised_on: String,
}

pub async fn add_item<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    crypto: &FieldCrypto,
    actor: &Actor,
    r: &Reception,
    input: &NewItem,
    e: &Entry<'_>,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let kind = ListKind::parse(&input.kind);
    if kind.is_none() {
        errors.add("kind", "请选择清单");
    }
    let body = input.body.trim();
    let n = body.chars().count();
    let (min, max) =
        if kind == Some(ListKind::Problem) { (intake::MIN_CONTENT, intake::MAX_CONTENT) } else { (2, MAX_ITEM) };
    if n < min || n > max {
        errors.add("body", format!("内容应为 {min} 到 {max} 字（现有 {n} 字）"));
    }
    let promised = match kind {
        Some(ListKind::Feedback) => match date_field("promised_on", &input.promised_on, "承诺反馈日期") {
            Ok(d) => Some(d),
            Err(err) => {
                errors.push(err);
                None
            }
        },
        _ => None,
    };
    errors.check()?;
    let kind = kind.expect("checked above");
    let id = if kind == ListKind::Problem {
        raise(c, key, crypto, actor, (r.id, r.station_id), body, e).await?.1
    } else {
        let promised_on = promised.map(|d| d.format("%Y-%m-%d").to_string());
        insert_item(c, r.id, kind, body, None, promised_on, e.now).await?
    };
    let due = promised.map(|d| format!("，承诺 {} 前反馈", d.format("%Y-%m-%d"))).unwrap_or_default();
    Change::audited("reception_item_add", "reception", r.id, format!("{}增加一条{due}", kind.label()))
        .in_organ(r.organ_id)
        .append(c, key, actor)
        .await?;
    Ok(id)
}

/// The fulfilment of a feedback promise: when, and what was done.
#[derive(Clone, Debug, Default)]
pub struct Fulfilment {
    pub fulfilled_on: String,
    pub note: String,
}

pub async fn fulfil<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    r: &Reception,
    item_id: i64,
    input: &Fulfilment,
    now: i64,
) -> AppResult<()> {
    let item = model::item(c, item_id).await?.filter(|i| i.reception_id == r.id).ok_or(AppError::NotFound)?;
    if item.kind() != ListKind::Feedback {
        return Err(AppError::invalid("fulfilled_on", "只有限时反馈清单的事项需要记录兑现"));
    }
    if item.fulfilled_on.is_some() {
        return Err(AppError::invalid("fulfilled_on", "这一条已经记录过兑现"));
    }
    let mut errors = FieldErrors::new();
    let today = crate::calendar::beijing_date(now);
    let date = match date_field("fulfilled_on", &input.fulfilled_on, "反馈日期") {
        Ok(d) if d > today => {
            errors.add("fulfilled_on", "反馈日期不能晚于今天");
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let n = input.note.trim().chars().count();
    if !(2..=MAX_ITEM).contains(&n) {
        errors.add("note", format!("请写明反馈情况，2 到 {MAX_ITEM} 字"));
    }
    errors.check()?;
    let date = date.expect("checked above").format("%Y-%m-%d").to_string();
    db::exec(
        c,
        "UPDATE reception_items SET fulfilled_on = $1, fulfilment = $2 WHERE id = $3",
        vec![date.clone().into(), input.note.trim().into(), item_id.into()],
    )
    .await?;
    let late = item.promised_on.as_deref().is_some_and(|p| p < date.as_str());
    Change::audited(
        "reception_fulfil",
        "reception",
        r.id,
        format!("限时反馈第 {item_id} 条于 {date} 兑现{}", if late { "（逾期）" } else { "" }),
    )
    .in_organ(r.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}
