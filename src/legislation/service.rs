//! The audited writes of drafts and versions (LEG-2): a draft with its first version, a new
//! version (reading) whose articles take the identities of the previous version's by content,
//! and a version published for comment with its window. Parsing happens before (`prepare`,
//! pure, outside the write transaction); matching and storing inside it.

use sea_orm::ConnectionTrait;

use super::matching;
use super::model::{self, Draft, DraftState, Side, Stage, Version};
use super::parse::{self, Flat, Parsed};
use crate::app::error::{AppError, AppResult};
use crate::app::fields::FieldErrors;
use crate::audit::{Actor, Change};
use crate::db;

pub const MAX_TITLE: usize = 100;
pub const MAX_LABEL: usize = 20;
pub const MAX_ORIGIN: usize = 100;
/// The longest text a version may have (a long national law is about 100,000 characters).
pub const MAX_TEXT: usize = 400_000;
/// Issues listed in a message (the preview shows them all).
const LISTED_ISSUES: usize = 8;

/// A version's text and where it came from, as typed or uploaded.
#[derive(Clone, Debug, Default)]
pub struct NewVersion {
    pub label: String,
    pub stage: String,
    pub text: String,
    /// `paste`, `docx` or `text`.
    pub source: String,
    pub file_name: String,
    /// The staff member saw the parser's issues and saves all the same.
    pub accept_issues: bool,
}

/// A version read and checked, ready to store.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub label: String,
    pub stage: Stage,
    pub parsed: Parsed,
    pub source: String,
    pub file_name: String,
}

/// Reads and checks a version, every field at once: the label, the stage, the text's length
/// and structure. A text without articles is refused; one with other issues only when they
/// were not accepted (the message lists them by line).
pub fn prepare(v: &NewVersion) -> AppResult<Prepared> {
    let mut errors = FieldErrors::new();
    let label = v.label.trim();
    if label.is_empty() {
        errors.add("label", "请填写稿次，如“一审稿”“征求意见稿”");
    } else if label.chars().count() > MAX_LABEL {
        errors.add("label", format!("稿次不能超过 {MAX_LABEL} 字"));
    }
    let stage = Stage::parse(&v.stage);
    if stage.is_none() {
        errors.add("stage", "请选择所处阶段");
    }
    let n = v.text.chars().count();
    let parsed = if v.text.trim().is_empty() {
        errors.add("text", "请粘贴法规草案全文，或上传 Word 文件");
        None
    } else if n > MAX_TEXT {
        errors.add("text", format!("全文不能超过 {MAX_TEXT} 字（现有 {n} 字）"));
        None
    } else {
        let p = parse::parse(&v.text);
        if p.articles().is_empty() {
            errors.add("text", "没有识别出任何条文：条文应以「第一条」「第二条」……开头，每条另起一段");
        } else if !p.issues.is_empty() && !v.accept_issues {
            errors.add("text", issues_message(&p));
        }
        Some(p)
    };
    errors.check()?;
    Ok(Prepared {
        label: label.to_string(),
        stage: stage.expect("checked above"),
        parsed: parsed.expect("checked above"),
        source: v.source.clone(),
        file_name: v.file_name.trim().chars().take(200).collect(),
    })
}

/// What the parser found and what it could not read, for a 422.
pub fn issues_message(p: &Parsed) -> String {
    let listed: Vec<&str> = p.issues.iter().take(LISTED_ISSUES).map(|i| i.message.as_str()).collect();
    let more = if p.issues.len() > LISTED_ISSUES { format!("等 {} 处", p.issues.len()) } else { String::new() };
    format!(
        "已识别 {}；有 {} 处需要核对{more}：{}。请修改后重新提交，或核对无误后确认保存",
        p.summary(),
        p.issues.len(),
        listed.join("；")
    )
}

/// A new draft: its title, whose it is and where it came from.
#[derive(Clone, Debug, Default)]
pub struct NewDraft {
    pub title: String,
    pub side: String,
    pub origin: String,
}

fn check_draft(d: &NewDraft, parsed_title: &str) -> AppResult<(String, Side, String)> {
    let mut errors = FieldErrors::new();
    let title = if d.title.trim().is_empty() { parsed_title.trim() } else { d.title.trim() };
    if title.is_empty() {
        errors.add("title", "请填写草案名称");
    } else if title.chars().count() > MAX_TITLE {
        errors.add("title", format!("草案名称不能超过 {MAX_TITLE} 字"));
    }
    let side = Side::parse(&d.side);
    if side.is_none() {
        errors.add("side", "请选择本级立法或上级征求意见");
    }
    let origin = d.origin.trim();
    if origin.chars().count() > MAX_ORIGIN {
        errors.add("origin", format!("来源不能超过 {MAX_ORIGIN} 字"));
    }
    if side == Some(Side::Consulted) && origin.is_empty() {
        errors.add("origin", "请填写征求意见的机关，如“潍坊市人大常委会法制工作委员会”");
    }
    errors.check()?;
    Ok((title.to_string(), side.expect("checked above"), origin.to_string()))
}

/// A new draft's fields and its first version checked together, every problem at once.
pub fn prepare_new(d: &NewDraft, v: &NewVersion) -> AppResult<Prepared> {
    let prepared = prepare(v);
    let title = prepared.as_ref().map(|p| p.parsed.title.clone()).unwrap_or_default();
    // Without a text to take the title from, a missing title is the text's problem, not its own.
    let draft = check_draft(d, if title.is_empty() { "（正文）" } else { &title });
    match (prepared, draft) {
        (Ok(p), Ok(_)) => Ok(p),
        (Err(AppError::Invalid { fields: a, .. }), Err(AppError::Invalid { fields: b, .. })) => {
            let mut errors = FieldErrors::new();
            a.into_iter().chain(b).for_each(|e| errors.push(e));
            errors.check().map(|_| unreachable!("two lists of problems are not empty"))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// What a write of a draft or a version made.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Created {
    pub id: i64,
    pub version_id: i64,
}

/// Creates a draft of `organ_id` with its first version, in the caller's write transaction.
pub async fn create_draft<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    d: &NewDraft,
    v: &Prepared,
    now: i64,
) -> AppResult<Created> {
    let (title, side, origin) = check_draft(d, &v.parsed.title)?;
    let id = db::insert_id(
        c,
        "INSERT INTO leg_drafts (organ_id, title, side, origin, state, created_by_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            organ_id.into(),
            title.clone().into(),
            side.as_str().into(),
            origin.into(),
            DraftState::Active.as_str().into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    Change::audited("leg_draft_create", "leg_draft", id, format!("《{title}》（{}）", side.label()))
        .in_organ(organ_id)
        .append(c, key, actor)
        .await?;
    let version_id = store_version(c, key, actor, (id, organ_id), None, v, now).await?;
    Ok(Created { id, version_id })
}

/// Adds a version (the next reading) to a draft: its articles keep the identities of the
/// newest version's articles they continue.
pub async fn add_version<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    draft: &Draft,
    v: &Prepared,
    now: i64,
) -> AppResult<i64> {
    if draft.state() != DraftState::Active {
        return Err(AppError::Conflict(format!("草案{}，不能再导入新的稿次", draft.state().label())));
    }
    let previous = model::versions(c, draft.id).await?.into_iter().last();
    store_version(c, key, actor, (draft.id, draft.organ_id), previous.as_ref(), v, now).await
}

/// Stores a version and its nodes; identities come from `previous` where articles match.
async fn store_version<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    (draft_id, organ_id): (i64, i64),
    previous: Option<&Version>,
    v: &Prepared,
    now: i64,
) -> AppResult<i64> {
    let seq = previous.map(|p| p.seq + 1).unwrap_or(1);
    let flats = v.parsed.flatten();
    let inherited: Vec<Option<i64>> = match previous {
        Some(p) => {
            let (old, old_ids) = model::flats(&model::nodes(c, p.id).await?);
            matching::assign(&old, &old_ids, &flats)
        }
        None => vec![None; flats.len()],
    };
    let issues: Vec<String> = v.parsed.issues.iter().map(|i| i.message.clone()).collect();
    let articles = v.parsed.articles().len() as i64;
    let version_id = db::insert_id(
        c,
        "INSERT INTO leg_versions (draft_id, seq, label, stage, title, enacting, toc_lines, source, file_name, articles, \
         issues, open_from, open_until, published_at, created_by_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, NULL, $12, $13)",
        vec![
            draft_id.into(),
            seq.into(),
            v.label.clone().into(),
            v.stage.as_str().into(),
            v.parsed.title.clone().into(),
            v.parsed.enacting.join("\n").into(),
            (v.parsed.toc.len() as i64).into(),
            v.source.clone().into(),
            v.file_name.clone().into(),
            articles.into(),
            issues.join("\n").into(),
            actor.account_id.into(),
            now.into(),
        ],
    )
    .await?;
    let kept = insert_nodes(c, version_id, &flats, &inherited).await?;
    let matched =
        if previous.is_some() { format!("，{kept} 条沿用上一稿的条文标识") } else { String::new() };
    Change::audited(
        "leg_version_add",
        "leg_draft",
        draft_id,
        format!("{}（{}）：{}{matched}", v.label, v.stage.label(), v.parsed.summary()),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(version_id)
}

/// Inserts the nodes in document order; a node without an inherited identity gets a new one
/// (writers are serialised, so the next free identity is the largest plus one). Returns how
/// many articles kept an identity.
async fn insert_nodes<C: ConnectionTrait>(
    c: &C,
    version_id: i64,
    flats: &[Flat],
    inherited: &[Option<i64>],
) -> AppResult<usize> {
    let mut next = db::scalar_i64(c, "SELECT COALESCE(max(node_id), 0) FROM leg_nodes", vec![]).await? + 1;
    let mut rows: Vec<i64> = Vec::with_capacity(flats.len());
    let mut kept = 0;
    for (i, f) in flats.iter().enumerate() {
        let node_id = match inherited[i] {
            Some(id) => {
                if f.kind == parse::Kind::Article {
                    kept += 1;
                }
                id
            }
            None => {
                next += 1;
                next - 1
            }
        };
        let parent = f.parent.map(|p| rows[p]);
        let id = db::insert_id(
            c,
            "INSERT INTO leg_nodes (version_id, node_id, parent_id, position, depth, kind, number, ordinal, sub, heading, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![
                version_id.into(),
                node_id.into(),
                parent.into(),
                (i as i64).into(),
                (f.depth as i64).into(),
                f.kind.as_str().into(),
                f.number.clone().into(),
                f.ordinal.into(),
                f.sub.into(),
                f.heading.clone().into(),
                f.text.clone().into(),
            ],
        )
        .await?;
        rows.push(id);
    }
    Ok(kept)
}

/// A consultation window as typed: Beijing dates.
#[derive(Clone, Debug, Default)]
pub struct Window {
    pub open_from: String,
    pub open_until: String,
}

/// Publishes a version for comment at /l/{draft} from `open_from` to `open_until` (the newest
/// published version is the one shown); publishing again changes the window.
pub async fn publish<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    draft: &Draft,
    version: &Version,
    w: &Window,
    now: i64,
) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let from = crate::app::fmt::parse_date(&w.open_from);
    let until = crate::app::fmt::parse_date(&w.open_until);
    if from.is_none() {
        errors.add("open_from", "请填写开始日期，如 2026-12-01");
    }
    if until.is_none() {
        errors.add("open_until", "请填写截止日期，如 2026-12-31");
    }
    if let (Some(a), Some(b)) = (from, until) {
        if b < a {
            errors.add("open_until", "截止日期不能早于开始日期");
        } else if (b - a).num_days() > 366 {
            errors.add("open_until", "征求意见期不能超过一年");
        }
    }
    errors.check()?;
    if draft.state() != DraftState::Active {
        return Err(AppError::Conflict(format!("草案{}，不能再公开征求意见", draft.state().label())));
    }
    let (from, until) =
        (from.expect("checked").format("%Y-%m-%d").to_string(), until.expect("checked").format("%Y-%m-%d").to_string());
    db::exec(
        c,
        "UPDATE leg_versions SET open_from = $1, open_until = $2, published_at = COALESCE(published_at, $3) WHERE id = $4",
        vec![from.clone().into(), until.clone().into(), now.into(), version.id.into()],
    )
    .await?;
    Change::audited(
        "leg_version_publish",
        "leg_draft",
        draft.id,
        format!("{}公开征求意见：{from} 至 {until}", version.label),
    )
    .in_organ(draft.organ_id)
    .append(c, key, actor)
    .await?;
    Ok(())
}

/// The text of an uploaded file: a Word document (.docx, read on the blocking pool within the
/// spreadsheet limits) or a UTF-8 text file; (text, source, paragraphs Word numbered itself).
pub async fn upload_text(name: &str, bytes: Vec<u8>) -> AppResult<(String, &'static str, usize)> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "请选择要导入的文件"));
    }
    match crate::sheet::sniff(&bytes) {
        crate::sheet::Container::Other => {
            let lower = name.to_lowercase();
            if lower.ends_with(".doc") || lower.ends_with(".wps") || lower.ends_with(".pdf") {
                return Err(AppError::invalid(
                    "file",
                    "只能导入 Word 文档（.docx）或文本文件（.txt）；请另存为 .docx 后再导入，或直接粘贴文字",
                ));
            }
            let text = String::from_utf8(bytes).map_err(|_| {
                AppError::invalid(
                    "file",
                    "文件不是 Word 文档（.docx），也不是 UTF-8 编码的文本文件；请另存为 .docx 后再导入",
                )
            })?;
            if text.len() > MAX_TEXT * 4 {
                return Err(AppError::invalid("file", format!("全文不能超过 {MAX_TEXT} 字")));
            }
            Ok((text.trim_start_matches('\u{feff}').to_string(), "text", 0))
        }
        _ => {
            let read = crate::sheet::run_blocking(move || super::docx::read(&bytes))
                .await
                .map_err(|e| AppError::invalid("file", e.message()))?;
            let d = read.map_err(|e| AppError::invalid("file", e.message()))?;
            Ok((d.text, "docx", d.auto_numbered))
        }
    }
}

/// An expert of the pools as typed.
#[derive(Clone, Debug, Default)]
pub struct NewExpert {
    pub pool: String,
    pub name: String,
    pub affiliation: String,
    /// Fields of expertise, separated by 、 or commas.
    pub fields: String,
}

/// Adds an expert to one of the organ's pools (立法专家顾问, 咨询智库).
pub async fn add_expert<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    e: &NewExpert,
    now: i64,
) -> AppResult<i64> {
    let mut errors = FieldErrors::new();
    let pool = model::Pool::parse(&e.pool);
    if pool.is_none() {
        errors.add("pool", "请选择立法专家顾问或咨询智库");
    }
    let name = e.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        errors.add("name", "请填写专家姓名（不超过 30 字）");
    }
    if e.affiliation.trim().chars().count() > 100 {
        errors.add("affiliation", "工作单位不能超过 100 字");
    }
    let fields: Vec<&str> = e.fields.split(['、', '，', ',', ' ']).map(str::trim).filter(|f| !f.is_empty()).collect();
    if fields.iter().any(|f| f.chars().count() > 20) || fields.len() > 10 {
        errors.add("fields", "专业领域最多 10 个，每个不超过 20 字");
    }
    errors.check()?;
    let pool = pool.expect("checked above");
    let id = db::insert_id(
        c,
        "INSERT INTO leg_experts (organ_id, pool, name, affiliation, fields, active, created_at) VALUES ($1, $2, $3, $4, $5, true, $6)",
        vec![organ_id.into(), pool.as_str().into(), name.into(), e.affiliation.trim().into(), fields.join("、").into(), now.into()],
    )
    .await?;
    Change::audited(
        "leg_expert_add",
        "legislation",
        organ_id,
        format!("{}加入{}", crate::privacy::mask_name(name), pool.label()),
    )
    .in_organ(organ_id)
    .append(c, key, actor)
    .await?;
    Ok(id)
}
