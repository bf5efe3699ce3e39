//! The rules of 代表建议 and 议案 before and around the loop: a deputy's draft with co-signers
//! who confirm, the quality check (SUG-2), submission with its number in the series (SUG-3), the
//! presidium's decision on a 议案, registration into the handling loop (signers: the lead and
//! every confirmed co-signer), 重点建议, batch 交办 at a 交办会 (all or nothing), and 跨年结转.
//! Every write is audited in the caller's transaction.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

pub use super::model::SeriesKind;
use super::model::{self, Kind, Source, Stage, Suggestion};
use super::{KIND, policy_for};
use crate::app::error::{AppError, AppResult};
use crate::app::state::AppState;
use crate::app::write::Write;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::handling::flow::{Party, UnitRole};
use crate::handling::service::{self as loop_service, Command, Ctx, Doer, NewItem};

pub const MAX_TITLE: usize = 100;
pub const MAX_PART: usize = 10_000;
/// A suggestion shorter than this (problem, analysis and measures together) is flagged.
pub const MIN_BODY: usize = 80;

/// What a deputy writes.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub kind: Option<Kind>,
    pub title: String,
    pub problem: String,
    pub analysis: String,
    pub measures: String,
    pub category: String,
    pub source: Option<Source>,
    pub cosigner_ids: Vec<i64>,
    /// The citizens' opinions it came from (linked, OPN-5).
    pub opinion_ids: Vec<i64>,
}

pub(crate) fn part(field: &str, v: &str, max: usize) -> AppResult<String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(AppError::invalid(field, format!("不能超过 {max} 字")));
    }
    Ok(v.to_string())
}

/// The organ a deputy writes to: the congress of their serving mandate (the deepest, where
/// they hold several).
pub async fn organ_of<C: ConnectionTrait>(c: &C, person: i64) -> AppResult<(i64, String)> {
    let rows = db::query_rows(
        c,
        "SELECT o.id, o.path FROM mandates m JOIN organs o ON o.id = m.organ_id WHERE m.person_id = $1 \
         AND m.status = 'serving' ORDER BY length(o.path) DESC LIMIT 1",
        vec![person.into()],
    )
    .await?;
    let r = rows.first().ok_or_else(|| AppError::Forbidden("您没有在任的代表资格，不能提出建议".into()))?;
    Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))
}

/// The series a new suggestion of `organ` is numbered in: the open 人代会 session, else this
/// year's 闭会期间 series (made when first needed).
pub async fn current_series<C: ConnectionTrait>(c: &C, organ: i64, year: i64, now: i64) -> Result<i64, DbErr> {
    let open = db::query_rows(
        c,
        "SELECT id FROM suggestion_sessions WHERE organ_id = $1 AND open = true AND kind = 'session' ORDER BY id DESC LIMIT 1",
        vec![organ.into()],
    )
    .await?;
    if let Some(id) = open.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()) {
        return Ok(id);
    }
    let recess = db::query_rows(
        c,
        "SELECT id FROM suggestion_sessions WHERE organ_id = $1 AND kind = 'recess' AND year = $2 ORDER BY id LIMIT 1",
        vec![organ.into(), year.into()],
    )
    .await?;
    if let Some(id) = recess.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()) {
        return Ok(id);
    }
    new_series(c, organ, SeriesKind::Recess, year, true, now).await
}

async fn new_series<C: ConnectionTrait>(
    c: &C,
    organ: i64,
    kind: SeriesKind,
    year: i64,
    open: bool,
    now: i64,
) -> Result<i64, DbErr> {
    db::insert_id(
        c,
        "INSERT INTO suggestion_sessions (organ_id, kind, year, name, next_number, open, created_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $6)",
        vec![organ.into(), kind.as_str().into(), year.into(), kind.name(year).into(), open.into(), now.into()],
    )
    .await
}

/// The series of `kind` of `year` at `organ` (the first one, where a year held two sessions),
/// if there is one.
pub async fn series_of<C: ConnectionTrait>(
    c: &C,
    organ: i64,
    kind: SeriesKind,
    year: i64,
) -> Result<Option<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT id FROM suggestion_sessions WHERE organ_id = $1 AND kind = $2 AND year = $3 ORDER BY id LIMIT 1",
        vec![organ.into(), kind.as_str().into(), year.into()],
    )
    .await?;
    Ok(rows.first().and_then(|r| r.try_get_by_index::<i64>(0).ok()))
}

/// The series a past suggestion of `year` was numbered in: the one on file, or a new one —
/// closed when it is a 人代会 session, so that new submissions never land in it.
pub async fn past_series<C: ConnectionTrait>(
    c: &C,
    organ: i64,
    kind: SeriesKind,
    year: i64,
    now: i64,
) -> Result<i64, DbErr> {
    match series_of(c, organ, kind, year).await? {
        Some(id) => Ok(id),
        None => new_series(c, organ, kind, year, kind == SeriesKind::Recess, now).await,
    }
}

/// The numbers already given in a series.
pub async fn numbers_in<C: ConnectionTrait>(c: &C, series: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT number FROM suggestions WHERE session_id = $1 AND number IS NOT NULL ORDER BY number",
        vec![series.into()],
    )
    .await?;
    Ok(rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect())
}

/// A suggestion handed in before the system (imported): its number in its series, its lead and
/// co-signers (who signed it then: confirmed), its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Past {
    pub series: i64,
    /// 大会期间 or 闭会期间, as its series.
    pub source: Source,
    pub number: i64,
    pub year: i64,
    pub title: String,
    pub problem: String,
    pub category: String,
    pub lead: i64,
    pub cosigners: Vec<i64>,
}

/// Records a past suggestion as submitted, with its own number (kept free in the series: the
/// next number given moves past it), audited. Returns its id; the caller registers it.
pub async fn record_past<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ: i64,
    p: &Past,
    now: i64,
) -> AppResult<i64> {
    let title = part("title", &p.title, MAX_TITLE)?;
    if title.is_empty() {
        return Err(AppError::invalid("title", "请填写标题"));
    }
    let problem = part("problem", &p.problem, MAX_PART)?;
    let category = part("category", &p.category, 40)?;
    let taken = db::scalar_i64(
        c,
        "SELECT count(*) FROM suggestions WHERE session_id = $1 AND number = $2",
        vec![p.series.into(), p.number.into()],
    )
    .await?;
    if taken > 0 {
        return Err(AppError::Conflict(format!("第{}号已有建议", p.number)));
    }
    let search = crate::nlp::segment::index_text(&format!("{title} {problem}"));
    let id = db::insert_id(
        c,
        "INSERT INTO suggestions (organ_id, session_id, kind, stage, number, title, problem, analysis, measures, category, \
         source, lead_person_id, key_item, key_leader, decision_note, year, search_text, created_at, submitted_at, updated_at) \
         VALUES ($1, $2, 'suggestion', 'submitted', $3, $4, $5, '', '', $6, $7, $8, false, '', '', $9, $10, $11, $11, $11)",
        vec![
            organ.into(),
            p.series.into(),
            p.number.into(),
            title.clone().into(),
            problem.into(),
            category.into(),
            p.source.as_str().into(),
            p.lead.into(),
            p.year.into(),
            search.into(),
            now.into(),
        ],
    )
    .await?;
    for person in p.cosigners.iter().filter(|x| **x != p.lead) {
        db::exec(
            c,
            "INSERT INTO suggestion_cosigners (suggestion_id, person_id, invited_at, confirmed_at) VALUES ($1, $2, $3, $3)",
            vec![id.into(), (*person).into(), now.into()],
        )
        .await?;
    }
    db::exec(
        c,
        "UPDATE suggestion_sessions SET next_number = $1 WHERE id = $2 AND next_number <= $3",
        vec![(p.number + 1).into(), p.series.into(), p.number.into()],
    )
    .await?;
    let summary = format!("导入第{}号（{} 年）：{title}", p.number, p.year);
    audit::append(c, key, actor, change("suggestion_import", id, organ, summary)).await?;
    Ok(id)
}

/// Co-signers must be serving deputies of the same organ, not the author, each once.
pub(crate) async fn check_cosigners<C: ConnectionTrait>(
    c: &C,
    organ: i64,
    author: i64,
    ids: &[i64],
) -> AppResult<Vec<i64>> {
    let mut out: Vec<i64> = Vec::new();
    for id in ids {
        if *id == author || out.contains(id) {
            continue;
        }
        let ok = db::scalar_i64(
            c,
            "SELECT count(*) FROM mandates WHERE person_id = $1 AND organ_id = $2 AND status = 'serving'",
            vec![(*id).into(), organ.into()],
        )
        .await?;
        if ok == 0 {
            return Err(AppError::invalid("cosigner_ids", format!("联名代表（编号 {id}）不是本级在任代表")));
        }
        out.push(*id);
    }
    if out.len() > 200 {
        return Err(AppError::invalid("cosigner_ids", "联名代表过多"));
    }
    Ok(out)
}

/// A draft's texts as stored: trimmed, within their lengths, the title at least 4 characters.
pub struct Parts {
    pub title: String,
    pub problem: String,
    pub analysis: String,
    pub measures: String,
    pub category: String,
}

impl Parts {
    pub fn checked(d: &Draft) -> AppResult<Parts> {
        let title = part("title", &d.title, MAX_TITLE)?;
        if title.chars().count() < 4 {
            return Err(AppError::invalid("title", "请填写标题（至少 4 个字）"));
        }
        Ok(Parts {
            title,
            problem: part("problem", &d.problem, MAX_PART)?,
            analysis: part("analysis", &d.analysis, MAX_PART)?,
            measures: part("measures", &d.measures, MAX_PART)?,
            category: part("category", &d.category, 40)?,
        })
    }
}

/// An invitation to co-sign that ends (withdrawn by the lead, or unconfirmed at submission):
/// the row goes and the invited deputy is told why.
pub async fn drop_invitation<C: ConnectionTrait>(
    c: &C,
    suggestion: i64,
    person: i64,
    title: &str,
    body: &str,
) -> AppResult<()> {
    db::exec(
        c,
        "DELETE FROM suggestion_cosigners WHERE suggestion_id = $1 AND person_id = $2",
        vec![suggestion.into(), person.into()],
    )
    .await?;
    Ok(notify_deputy(c, person, suggestion, title, body, "/console/suggestions").await?)
}

/// A new draft of deputy `author`; co-signers are invited at once (they confirm in their own
/// workspace). Returns its id.
pub async fn create<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    author: i64,
    d: &Draft,
    now: i64,
) -> AppResult<i64> {
    let Parts { title, problem, analysis, measures, category } = Parts::checked(d)?;
    let (organ, _) = organ_of(c, author).await?;
    let cosigners = check_cosigners(c, organ, author, &d.cosigner_ids).await?;
    let year = i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(now)));
    let series = current_series(c, organ, year, now).await?;
    let kind = d.kind.unwrap_or(Kind::Suggestion);
    let source = d.source.unwrap_or(if d.opinion_ids.is_empty() { Source::Recess } else { Source::Opinions });
    let stage = if cosigners.is_empty() { Stage::Draft } else { Stage::Cosigning };
    let search = crate::nlp::segment::index_text(&format!("{title} {problem} {measures}"));
    let id = db::insert_id(
        c,
        "INSERT INTO suggestions (organ_id, session_id, kind, stage, title, problem, analysis, measures, category, source, \
         lead_person_id, key_item, key_leader, decision_note, year, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, false, '', '', $12, $13, $14, $14)",
        vec![
            organ.into(),
            series.into(),
            kind.as_str().into(),
            stage.as_str().into(),
            title.clone().into(),
            problem.into(),
            analysis.into(),
            measures.into(),
            category.into(),
            source.as_str().into(),
            author.into(),
            year.into(),
            search.into(),
            now.into(),
        ],
    )
    .await?;
    for p in &cosigners {
        db::exec(
            c,
            "INSERT INTO suggestion_cosigners (suggestion_id, person_id, invited_at) VALUES ($1, $2, $3)",
            vec![id.into(), (*p).into(), now.into()],
        )
        .await?;
        let body = format!("邀请您联名：{title}。请在「代表建议」中查看并确认联名。");
        notify_deputy(c, *p, id, "联名邀请", &body, &format!("/console/suggestions/{id}")).await?;
    }
    for o in &d.opinion_ids {
        link(c, id, "opinion", *o, now).await?;
    }
    let summary = format!("{}：{title}", kind.label());
    audit::append(c, key, actor, change("suggestion_create", id, organ, summary)).await?;
    Ok(id)
}

/// Links the suggestion to an opinion of its organ's subtree (OPN-5 → SUG-11).
async fn link<C: ConnectionTrait>(c: &C, id: i64, to_type: &str, to_id: i64, now: i64) -> AppResult<()> {
    let ok = db::scalar_i64(
        c,
        "SELECT count(*) FROM opinions op JOIN organs o ON o.id = op.organ_id, suggestions sg JOIN organs so ON so.id = sg.organ_id \
         WHERE op.id = $1 AND sg.id = $2 AND (o.path LIKE so.path || '%' OR so.path LIKE o.path || '%')",
        vec![to_id.into(), id.into()],
    )
    .await?;
    if ok == 0 {
        return Err(AppError::invalid("opinion_ids", format!("群众意见（编号 {to_id}）不存在或不属于本级")));
    }
    crate::links::add(c, ("suggestion", id), (to_type, to_id), "", now).await?;
    Ok(())
}

fn change(action: &'static str, id: i64, organ: i64, summary: String) -> Change<'static> {
    Change { action, target_type: "suggestion", target_id: id.to_string(), organ_id: Some(organ), summary }
}

/// A message to a deputy about a suggestion (`link`: its page, or the list for one who no
/// longer sees it).
pub(crate) async fn notify_deputy<C: ConnectionTrait>(
    c: &C,
    person: i64,
    suggestion: i64,
    title: &str,
    body: &str,
    link: &str,
) -> Result<(), DbErr> {
    let accounts: Vec<i64> =
        db::query_rows(c, "SELECT id FROM accounts WHERE deputy_id = $1 AND disabled = false", vec![person.into()])
            .await?
            .iter()
            .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
            .collect();
    let about = crate::notify::About { kind: "suggestion", record: Some(("suggestion", suggestion)), link };
    crate::notify::inbox_about(c, &accounts, &about, title, body).await
}

/// A co-signer confirms (联名确认).
pub async fn cosign<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    person: i64,
    now: i64,
) -> AppResult<()> {
    if s.stage().submitted() {
        return Err(AppError::Conflict("建议已提交，不能再联名".into()));
    }
    let n = db::exec(
        c,
        "UPDATE suggestion_cosigners SET confirmed_at = $1 WHERE suggestion_id = $2 AND person_id = $3 AND confirmed_at IS NULL",
        vec![now.into(), s.id.into(), person.into()],
    )
    .await?;
    if n == 0 {
        return Err(AppError::Conflict("您已确认联名，或未被邀请联名".into()));
    }
    let body = format!("联名代表已确认：{}", s.title);
    notify_deputy(c, s.lead_person_id, s.id, "联名已确认", &body, &format!("/console/suggestions/{}", s.id)).await?;
    audit::append(c, key, actor, change("suggestion_cosign", s.id, s.organ_id, format!("确认联名：{}", s.title)))
        .await?;
    Ok(())
}

/// What the quality check found (SUG-2): missing elements, and earlier suggestions like it.
#[derive(Clone, Debug, Default, serde::Serialize, schemars::JsonSchema)]
pub struct Quality {
    /// Missing elements, in words the deputy reads.
    pub flags: Vec<String>,
    /// Suggestions of earlier years of the same organ making the same request (text
    /// similarity of title, problem and measures), most similar first, at most 10.
    pub similar: Vec<Similar>,
    /// The years in a row, this one included, in which the same request was made (2 when it
    /// was made last year too, 5 for 「连续5年」); 0 when it was not made last year.
    pub consecutive_years: i64,
}

/// An earlier suggestion making the same request.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Similar {
    pub id: i64,
    pub year: i64,
    pub number: Option<i64>,
    /// 「2025年人民代表大会会议第12号」
    pub number_label: String,
    pub title: String,
    /// Text similarity in per mille (bigram Jaccard after filler words are taken out).
    pub score: i64,
}

/// The missing elements of a suggestion: no problem statement, no concrete measure, a text too
/// short. (The similar ones of earlier years are `similar::quality`'s.)
pub fn flags(s: &Suggestion) -> Vec<String> {
    let mut flags = Vec::new();
    if s.problem.trim().is_empty() {
        flags.push("没有写明存在的问题".into());
    }
    if s.measures.trim().is_empty() {
        flags.push("没有提出具体的建议措施".into());
    }
    let body = s.problem.chars().count() + s.analysis.chars().count() + s.measures.chars().count();
    if body < MIN_BODY {
        flags.push(format!("内容过短（{body} 字），建议写明问题、原因分析和具体措施"));
    }
    flags
}

/// Submission: the hard checks, then the next number of its series; a 议案 needs enough
/// confirmed co-signers (or a 代表团) and goes to the presidium. Co-signers who have not
/// confirmed are dropped (and told). Returns the number.
pub async fn submit<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    delegation: bool,
    now: i64,
) -> AppResult<i64> {
    if s.stage().submitted() {
        return Err(AppError::Conflict("建议已提交".into()));
    }
    if s.problem.trim().is_empty() || s.measures.trim().is_empty() {
        return Err(AppError::invalid("measures", format!("提交前请补充：{}", flags(s).join("；"))));
    }
    let cosigners = model::cosigners(c, s.id).await?;
    let confirmed = cosigners.iter().filter(|k| k.confirmed_at.is_some()).count() as i64;
    if s.kind() == Kind::Bill && !delegation {
        let need = super::sessions::bill_minimum(c, s.organ_id).await?.need;
        if confirmed < need {
            return Err(AppError::Conflict(format!(
                "议案须由代表团或 {need} 名以上代表联名提出，目前已确认联名 {confirmed} 名"
            )));
        }
    }
    for k in cosigners.iter().filter(|k| k.confirmed_at.is_none()) {
        let body = format!("「{}」已提交，您未确认联名，未列为联名代表。", s.title);
        drop_invitation(c, s.id, k.person_id, "联名邀请已结束", &body).await?;
    }
    // Numbered in the series open at submission (the 人代会 session open now, else this year's
    // 闭会期间 series), not the one open when the draft was begun. The row lock of this UPDATE
    // orders concurrent submissions on PostgreSQL; SQLite writes are serial.
    let year = i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(now)));
    let series = current_series(c, s.organ_id, year, now).await?;
    db::exec(c, "UPDATE suggestion_sessions SET next_number = next_number + 1 WHERE id = $1", vec![series.into()])
        .await?;
    let rows =
        db::query_rows(c, "SELECT next_number - 1, name FROM suggestion_sessions WHERE id = $1", vec![series.into()])
            .await?;
    let r = rows.first().ok_or(AppError::NotFound)?;
    let (number, series_name): (i64, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
    let stage = if s.kind() == Kind::Bill { Stage::UnderReview } else { Stage::Submitted };
    db::exec(
        c,
        "UPDATE suggestions SET stage = $1, number = $2, session_id = $3, year = $4, submitted_at = $5, updated_at = $5 \
         WHERE id = $6",
        vec![stage.as_str().into(), number.into(), series.into(), year.into(), now.into(), s.id.into()],
    )
    .await?;
    let numbered = Suggestion { session_id: series, session_name: series_name.clone(), year, ..s.clone() };
    super::references::numbered(c, &numbered, number).await?;
    let summary = format!("提交{}（{series_name}第{number}号）：{}", s.kind().label(), s.title);
    audit::append(c, key, actor, change("suggestion_submit", s.id, s.organ_id, summary)).await?;
    Ok(number)
}

/// The presidium's decision on a 议案: 立案, or 不立案 and handled as a suggestion (registered).
pub async fn decide_bill(w: &mut Write, s: &Suggestion, accept: bool, note: &str, now: i64) -> AppResult<()> {
    if s.stage() != Stage::UnderReview {
        return Err(AppError::Conflict("只有审查中的议案可以作出立案决定".into()));
    }
    let (txn, key, actor) = (w.txn(), w.key(), w.actor());
    let note = part("note", note, 2000)?;
    if accept {
        db::exec(
            txn,
            "UPDATE suggestions SET stage = 'accepted', decision_note = $1, updated_at = $2 WHERE id = $3",
            vec![note.clone().into(), now.into(), s.id.into()],
        )
        .await?;
    } else {
        db::exec(
            txn,
            "UPDATE suggestions SET kind = 'suggestion', stage = 'submitted', decision_note = $1, updated_at = $2 WHERE id = $3",
            vec![format!("议案不予立案，作为建议处理。{note}").into(), now.into(), s.id.into()],
        )
        .await?;
        let fresh = model::suggestion(txn, s.id).await?.ok_or(AppError::NotFound)?;
        register(txn, key, actor, &fresh, now).await?;
    }
    let summary = format!("{}：{}", if accept { "议案立案" } else { "议案不予立案，转为建议" }, s.title);
    audit::append(txn, key, actor, change("suggestion_decide", s.id, s.organ_id, summary)).await?;
    Ok(())
}

/// Registration (登记): the handling loop takes the suggestion; its signers are the lead and
/// every confirmed co-signer. Returns the item's id.
pub async fn register(
    txn: &DatabaseTransaction,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    now: i64,
) -> AppResult<i64> {
    if let Some(item) = s.item_id {
        return Ok(item);
    }
    if s.stage() != Stage::Submitted {
        return Err(AppError::Conflict(format!("{}「{}」不能登记交办", s.kind().label(), s.stage().label())));
    }
    let mut signers = vec![s.lead_person_id];
    signers.extend(model::cosigners(txn, s.id).await?.iter().filter(|k| k.confirmed_at.is_some()).map(|k| k.person_id));
    let note = format!("{}（{}）", s.number_label(), model::Source::parse(&s.source).map(|x| x.label()).unwrap_or(""));
    let new = NewItem {
        kind: KIND,
        organ_id: s.organ_id,
        area_id: None,
        station_id: None,
        deputy_id: Some(s.lead_person_id),
        held: false,
        note: &note,
        signers: &signers,
    };
    let item = loop_service::open(txn, actor, &new, now).await?;
    db::exec(
        txn,
        "UPDATE suggestions SET stage = 'registered', item_id = $1, updated_at = $2 WHERE id = $3",
        vec![item.into(), now.into(), s.id.into()],
    )
    .await?;
    audit::append(txn, key, actor, change("suggestion_register", s.id, s.organ_id, format!("登记：{}", s.title)))
        .await?;
    Ok(item)
}

/// 重点建议, with the leader who 领衔督办 (or unmarked).
pub async fn set_key<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    on: bool,
    leader: &str,
    now: i64,
) -> AppResult<()> {
    let leader = part("leader", leader, 40)?;
    if on && leader.is_empty() {
        return Err(AppError::invalid("leader", "请填写领衔督办的负责同志"));
    }
    db::exec(
        c,
        "UPDATE suggestions SET key_item = $1, key_leader = $2, updated_at = $3 WHERE id = $4",
        vec![on.into(), (if on { leader.clone() } else { String::new() }).into(), now.into(), s.id.into()],
    )
    .await?;
    let summary = if on {
        format!("列为重点建议（{leader}领衔督办）：{}", s.title)
    } else {
        format!("取消重点建议：{}", s.title)
    };
    audit::append(c, key, actor, change("suggestion_key", s.id, s.organ_id, summary)).await?;
    Ok(())
}

/// A 交办会: every suggestion registered (if not yet) and assigned to the same units, in one
/// transaction — all or nothing. The caller checked that staff may triage each one.
pub async fn assign_batch(
    st: &AppState,
    w: &mut Write,
    items: &[Suggestion],
    units: &[(i64, UnitRole)],
    due: Option<u32>,
    instructions: &str,
    now: i64,
) -> AppResult<usize> {
    let (txn, key, actor) = (w.txn(), w.key(), w.actor());
    let calendar = crate::calendar::load(txn).await?;
    let policy = policy_for(st);
    let ctx = Ctx { key, calendar: &calendar, policy: &policy, now };
    let doer = Doer { party: Party::Staff, unit_id: None, deputy: None, actor };
    for s in items {
        let item = register(txn, key, actor, s, now).await?;
        let cmd =
            Command::Assign { units: units.to_vec(), due_working_days: due, instructions: instructions.to_string() };
        loop_service::apply(txn, &ctx, item, &doer, cmd).await.map_err(|e| match e {
            AppError::Conflict(m) => AppError::Conflict(format!("{}：{m}", s.number_label())),
            other => other,
        })?;
    }
    Ok(items.len())
}

/// 跨年结转: the suggestions of `year` still followed (B-class, 跟踪办理) move to next year's
/// list, keeping where they came from. Returns how many.
pub async fn carry_over<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_path: &str,
    year: i64,
    now: i64,
) -> AppResult<u64> {
    let n = db::exec(
        c,
        "UPDATE suggestions SET year = $1, carried_from_year = COALESCE(carried_from_year, $2), updated_at = $3 \
         WHERE year = $2 AND item_id IN (SELECT id FROM handling_items WHERE state = 'following') \
         AND organ_id IN (SELECT id FROM organs WHERE path LIKE $4)",
        vec![(year + 1).into(), year.into(), now.into(), format!("{}%", db::like_escape(organ_path)).into()],
    )
    .await?;
    let ch = Change {
        action: "suggestion_carry_over",
        target_type: "suggestion",
        target_id: String::new(),
        organ_id: None,
        summary: format!("{year} 年跟踪办理的建议 {n} 件结转至 {} 年", year + 1),
    };
    audit::append(c, key, actor, ch).await?;
    Ok(n)
}

/// The other serving deputies of `me`'s organ, to invite as co-signers.
pub async fn colleagues<C: ConnectionTrait>(c: &C, me: i64) -> AppResult<Vec<(i64, String)>> {
    let (organ, _) = organ_of(c, me).await?;
    let rows = db::query_rows(
        c,
        "SELECT p.id, p.name FROM mandates m JOIN persons p ON p.id = m.person_id WHERE m.organ_id = $1 \
         AND m.status = 'serving' AND p.id <> $2 ORDER BY p.name LIMIT 500",
        vec![organ.into(), me.into()],
    )
    .await?;
    Ok(rows.iter().filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?))).collect())
}
