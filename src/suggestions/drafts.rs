//! A 代表建议 before it is handed in (SUG-1): the author edits the draft (a material change of
//! the text asks the co-signers to confirm again), attaches files (photos, PDF, Word), and
//! shares it with a deputy group they belong to for 会商 — the group's members read it and
//! leave 会商意见 that the author reads. Who may do what is `authz::Resource::Draft`, whose
//! `participants` are the members of the groups it was shared with ([`Facts`]).
//!
//! What counts as a material change: any change of the kind (建议/议案), the title, the problem,
//! the analysis or the measures, once surrounding and repeated white space is ignored; a
//! changed category or list of co-signers is not. After a material change every confirmed
//! co-signer is asked again (their confirmation is cleared and they are told), because they
//! signed a text that no longer exists.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::model::{self, Kind, Stage, Suggestion};
use super::service::{Draft, Parts, check_cosigners, drop_invitation, notify_deputy};
use crate::app::error::{AppError, AppResult};
use crate::app::state::AppState;
use crate::audit::{self, Actor, Change};
use crate::auth::authz::{Field, allows};
use crate::auth::{Action, Principal, Resource};
use crate::db;

/// `attachments.owner_type` of a suggestion's files.
pub const FILE_OWNER: &str = "suggestion";
/// What a draft may carry: photos, PDF documents and Office (Word) files.
pub const FILE_TYPES: &[&str] = &["image/jpeg", "image/png", "application/pdf", "application/zip"];
/// Files one suggestion may carry.
pub const MAX_FILES: i64 = 10;
/// The longest 会商意见.
pub const MAX_COMMENT: usize = 2000;

/// The authorization facts of a suggestion before the loop: its co-signers and the members of
/// the groups it was shared with.
pub struct Facts {
    pub co_authors: Vec<i64>,
    pub participants: Vec<i64>,
}

impl Facts {
    pub fn resource<'a>(&'a self, sg: &'a Suggestion) -> Resource<'a> {
        Resource::Draft {
            organ_path: &sg.organ_path,
            author: sg.lead_person_id,
            co_authors: &self.co_authors,
            participants: &self.participants,
            submitted: sg.stage().submitted(),
        }
    }
}

pub async fn facts<C: ConnectionTrait>(c: &C, id: i64) -> Result<Facts, DbErr> {
    let co_authors = model::cosigners(c, id).await?.iter().map(|k| k.person_id).collect();
    let participants = db::query_rows(
        c,
        "SELECT DISTINCT m.person_id FROM suggestion_shares sh JOIN memberships m ON m.group_id = sh.group_id \
         AND m.kind = 'group' WHERE sh.suggestion_id = $1",
        vec![id.into()],
    )
    .await?
    .iter()
    .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
    .collect();
    Ok(Facts { co_authors, participants })
}

/// Whether `p` may see the suggestion: as a draft (author, co-signers, the groups it was shared
/// with, the organ's workers once handed in), or through the loop once registered. Pure
/// decisions, for the files' download rule.
pub async fn may_see(s: &AppState, p: &Principal, sg: &Suggestion) -> AppResult<bool> {
    let f = facts(&s.db, sg.id).await?;
    if allows(p, Action::View, &f.resource(sg)) {
        return Ok(true);
    }
    let Some(item) = sg.item_id else { return Ok(false) };
    let Some(item) = crate::handling::model::item(&s.db, item).await? else { return Ok(false) };
    let loop_facts = crate::handling::facts(s, item.id).await?;
    Ok(allows(p, Action::View, &loop_facts.resource(&item)))
}

fn squeeze(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What an edit did.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Edited {
    /// The text changed materially (see the module's documentation).
    pub material: bool,
    /// Co-signers whose confirmation was cleared and who were asked again.
    pub reconfirm: usize,
    /// Co-signers invited and those whose invitation was withdrawn by this edit.
    pub invited: usize,
    pub withdrawn: usize,
}

/// The author's edit of a draft not yet handed in: every field of `d` replaces the stored one;
/// `d.cosigner_ids` is the new list of co-signers when `cosigners` is true.
pub async fn edit<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    d: &Draft,
    cosigners: bool,
    now: i64,
) -> AppResult<Edited> {
    if s.stage().submitted() {
        return Err(AppError::Conflict("建议已提交，不能再修改".into()));
    }
    let Parts { title, problem, analysis, measures, category } = Parts::checked(d)?;
    let kind = d.kind.unwrap_or(s.kind());
    let material = kind != s.kind()
        || [(&title, &s.title), (&problem, &s.problem), (&analysis, &s.analysis), (&measures, &s.measures)]
            .iter()
            .any(|(new, old)| squeeze(new) != squeeze(old));
    let mut out = Edited { material, ..Edited::default() };
    let current = model::cosigners(c, s.id).await?;
    if cosigners {
        let wanted = check_cosigners(c, s.organ_id, s.lead_person_id, &d.cosigner_ids).await?;
        for k in current.iter().filter(|k| !wanted.contains(&k.person_id)) {
            let body = format!("「{}」的领衔代表撤回了联名邀请。", s.title);
            drop_invitation(c, s.id, k.person_id, "联名邀请已撤回", &body).await?;
            out.withdrawn += 1;
        }
        for p in wanted.iter().filter(|p| !current.iter().any(|k| k.person_id == **p)) {
            db::exec(
                c,
                "INSERT INTO suggestion_cosigners (suggestion_id, person_id, invited_at) VALUES ($1, $2, $3)",
                vec![s.id.into(), (*p).into(), now.into()],
            )
            .await?;
            let body = format!("邀请您联名：{title}。请在「代表建议」中查看并确认联名。");
            notify_deputy(c, *p, s.id, "联名邀请", &body, &format!("/console/suggestions/{}", s.id)).await?;
            out.invited += 1;
        }
    }
    if material {
        let confirmed: Vec<i64> =
            model::cosigners(c, s.id).await?.iter().filter(|k| k.confirmed_at.is_some()).map(|k| k.person_id).collect();
        db::exec(c, "UPDATE suggestion_cosigners SET confirmed_at = NULL WHERE suggestion_id = $1", vec![s.id.into()])
            .await?;
        for p in &confirmed {
            let body = format!("「{title}」的内容已修改，请重新查看并确认联名。");
            notify_deputy(c, *p, s.id, "请重新确认联名", &body, &format!("/console/suggestions/{}", s.id)).await?;
        }
        out.reconfirm = confirmed.len();
    }
    let remaining =
        db::scalar_i64(c, "SELECT count(*) FROM suggestion_cosigners WHERE suggestion_id = $1", vec![s.id.into()])
            .await?;
    let stage = if remaining > 0 { Stage::Cosigning } else { Stage::Draft };
    let search = crate::nlp::segment::index_text(&format!("{title} {problem} {measures}"));
    db::exec(
        c,
        "UPDATE suggestions SET kind = $1, stage = $2, title = $3, problem = $4, analysis = $5, measures = $6, \
         category = $7, search_text = $8, updated_at = $9 WHERE id = $10",
        vec![
            kind.as_str().into(),
            stage.as_str().into(),
            title.clone().into(),
            problem.into(),
            analysis.into(),
            measures.into(),
            category.into(),
            search.into(),
            now.into(),
            s.id.into(),
        ],
    )
    .await?;
    let mut summary = format!("修改{}草稿：{title}", kind.label());
    if out.reconfirm > 0 {
        summary.push_str(&format!("（内容有实质修改，{} 名联名代表须重新确认）", out.reconfirm));
    }
    audit::append(c, key, actor, change("suggestion_edit", s, summary)).await?;
    Ok(out)
}

fn change(action: &'static str, s: &Suggestion, summary: String) -> Change<'static> {
    Change { action, target_type: "suggestion", target_id: s.id.to_string(), organ_id: Some(s.organ_id), summary }
}

/// A deputy group (代表小组, 代表团) a deputy belongs to.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Group {
    pub id: i64,
    pub name: String,
}

/// The groups `person` is a member of: those they may share a draft with.
pub async fn groups_of<C: ConnectionTrait>(c: &C, person: i64) -> Result<Vec<Group>, DbErr> {
    db::query_all(
        c,
        "SELECT g.id, g.name FROM memberships m JOIN deputy_groups g ON g.id = m.group_id \
         WHERE m.kind = 'group' AND m.person_id = $1 ORDER BY g.name, g.id LIMIT 100",
        vec![person.into()],
    )
    .await
}

/// A group a draft was shared with.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Share {
    pub group_id: i64,
    pub name: String,
    pub shared_at: i64,
}

pub async fn shares<C: ConnectionTrait>(c: &C, id: i64) -> Result<Vec<Share>, DbErr> {
    db::query_all(
        c,
        "SELECT sh.group_id, g.name, sh.shared_at FROM suggestion_shares sh JOIN deputy_groups g ON g.id = sh.group_id \
         WHERE sh.suggestion_id = $1 ORDER BY sh.id",
        vec![id.into()],
    )
    .await
}

/// 会商: the author shares the draft with a group they belong to; its members are told.
/// Sharing it again with the same group changes nothing (and answers `false`).
pub async fn share<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    group: i64,
    now: i64,
) -> AppResult<bool> {
    if s.stage().submitted() {
        return Err(AppError::Conflict("建议已提交，会商已结束".into()));
    }
    let member = db::scalar_i64(
        c,
        "SELECT count(*) FROM memberships WHERE kind = 'group' AND group_id = $1 AND person_id = $2",
        vec![group.into(), s.lead_person_id.into()],
    )
    .await?;
    if member == 0 {
        return Err(AppError::invalid("group_id", "只能分享给您所在的代表小组或代表团"));
    }
    let known = db::scalar_i64(
        c,
        "SELECT count(*) FROM suggestion_shares WHERE suggestion_id = $1 AND group_id = $2",
        vec![s.id.into(), group.into()],
    )
    .await?;
    if known > 0 {
        return Ok(false);
    }
    db::exec(
        c,
        "INSERT INTO suggestion_shares (suggestion_id, group_id, shared_by, shared_at) VALUES ($1, $2, $3, $4)",
        vec![s.id.into(), group.into(), s.lead_person_id.into(), now.into()],
    )
    .await?;
    let members = db::query_rows(
        c,
        "SELECT person_id FROM memberships WHERE kind = 'group' AND group_id = $1 AND person_id <> $2",
        vec![group.into(), s.lead_person_id.into()],
    )
    .await?;
    let body = format!("{}请您对建议草稿「{}」提出会商意见。", s.lead_name, s.title);
    for r in members {
        let person: i64 = r.try_get_by_index(0)?;
        notify_deputy(c, person, s.id, "建议会商", &body, &format!("/console/suggestions/{}", s.id)).await?;
    }
    let name = db::query_rows(c, "SELECT name FROM deputy_groups WHERE id = $1", vec![group.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    audit::append(c, key, actor, change("suggestion_share", s, format!("分享至{name}会商：{}", s.title))).await?;
    Ok(true)
}

/// A 会商意见 on a draft.
#[derive(Clone, Debug, FromQueryResult, Serialize, schemars::JsonSchema)]
pub struct Comment {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub body: String,
    pub created_at: i64,
}

impl Comment {
    pub fn when(&self) -> String {
        crate::app::fmt::datetime(self.created_at)
    }
}

pub async fn comments<C: ConnectionTrait>(c: &C, id: i64) -> Result<Vec<Comment>, DbErr> {
    db::query_all(
        c,
        "SELECT k.id, k.person_id, p.name, k.body, k.created_at FROM suggestion_comments k \
         JOIN persons p ON p.id = k.person_id WHERE k.suggestion_id = $1 ORDER BY k.id LIMIT 500",
        vec![id.into()],
    )
    .await
}

/// A 会商意见 of `person` (the caller was allowed to comment); the author is told.
pub async fn comment<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    person: i64,
    text: &str,
    now: i64,
) -> AppResult<i64> {
    if s.stage().submitted() {
        return Err(AppError::Conflict("建议已提交，会商已结束".into()));
    }
    let body = text.trim();
    if body.is_empty() {
        return Err(AppError::invalid("text", "请填写会商意见"));
    }
    if body.chars().count() > MAX_COMMENT {
        return Err(AppError::invalid("text", format!("会商意见不能超过 {MAX_COMMENT} 字")));
    }
    let id = db::insert_id(
        c,
        "INSERT INTO suggestion_comments (suggestion_id, person_id, body, created_at) VALUES ($1, $2, $3, $4)",
        vec![s.id.into(), person.into(), body.into(), now.into()],
    )
    .await?;
    if person != s.lead_person_id {
        let note = format!("您的建议草稿「{}」收到新的会商意见。", s.title);
        notify_deputy(c, s.lead_person_id, s.id, "会商意见", &note, &format!("/console/suggestions/{}#consult", s.id))
            .await?;
    }
    audit::append(c, key, actor, change("suggestion_comment", s, format!("会商意见：{}", s.title))).await?;
    Ok(id)
}

/// A file of a suggestion, as listed.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct File {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    /// Where it is downloaded (after the same check as the suggestion).
    pub url: String,
}

pub async fn files<C: ConnectionTrait>(c: &C, id: i64) -> Result<Vec<File>, DbErr> {
    Ok(crate::attachments::of_owner(c, FILE_OWNER, id)
        .await?
        .into_iter()
        .map(|a| File {
            url: format!("/files/{}", a.id),
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
        })
        .collect())
}

/// Stores a checked file for a draft not yet handed in, at most [`MAX_FILES`] of them.
pub async fn attach<C: ConnectionTrait>(
    c: &C,
    storage: &dyn crate::storage::Storage,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    file: &crate::attachments::Prepared,
) -> AppResult<i64> {
    if s.stage().submitted() {
        return Err(AppError::Conflict("建议已提交，不能再添加附件".into()));
    }
    let n = db::scalar_i64(
        c,
        "SELECT count(*) FROM attachments WHERE owner_type = $1 AND owner_id = $2",
        vec![FILE_OWNER.into(), s.id.to_string().into()],
    )
    .await?;
    if n >= MAX_FILES {
        return Err(AppError::invalid("file", format!("一件建议最多 {MAX_FILES} 个附件")));
    }
    crate::attachments::attach(c, storage, key, actor, s.organ_id, (FILE_OWNER, s.id), file).await
}

/// Removes a file of a draft not yet handed in.
pub async fn detach<C: ConnectionTrait>(
    c: &C,
    storage: &dyn crate::storage::Storage,
    key: &[u8],
    actor: &Actor,
    s: &Suggestion,
    file: i64,
) -> AppResult<()> {
    if s.stage().submitted() {
        return Err(AppError::Conflict("建议已提交，不能再删除附件".into()));
    }
    crate::attachments::remove(c, storage, key, actor, (FILE_OWNER, s.id), file).await
}

/// The files of a suggestion are seen by whoever may see the suggestion.
pub fn file_seen_by<'a>(
    s: &'a AppState,
    p: &'a Principal,
    id: i64,
) -> crate::app::state::BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        match model::suggestion(&s.db, id).await? {
            Some(sg) => may_see(s, p, &sg).await,
            None => Ok(false),
        }
    })
}

/// What a kind of draft is called when the author changes it.
pub fn kind_of(v: Option<&str>) -> AppResult<Option<Kind>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(k) => Kind::parse(k).map(Some).ok_or_else(|| AppError::invalid("kind", "kind 应为 suggestion 或 bill")),
    }
}

/// What the detail page shows of a draft's files, 会商 and links, and what the viewer may do.
pub struct Extra {
    pub files: Vec<File>,
    pub shares: Vec<Share>,
    pub comments: Vec<Comment>,
    pub references: Vec<super::references::Reference>,
    /// The author, before submission: edit, files, share.
    pub can_edit: bool,
    pub can_comment: bool,
    /// Staff, once handed in: record a 检察建议 or 公益诉讼线索.
    pub can_reference: bool,
    /// The author's groups not yet shared with.
    pub groups: Vec<Group>,
    pub reference_kinds: Vec<crate::app::forms::Opt>,
}

/// The detail page's extra part for `p`.
pub async fn extra(s: &AppState, p: &Principal, sg: &Suggestion) -> AppResult<Extra> {
    let facts = facts(&s.db, sg.id).await?;
    let draft = facts.resource(sg);
    let can_edit = allows(p, Action::Update, &draft);
    let shares = shares(&s.db, sg.id).await?;
    let groups = if can_edit {
        groups_of(&s.db, sg.lead_person_id)
            .await?
            .into_iter()
            .filter(|g| !shares.iter().any(|x| x.group_id == g.id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Extra {
        files: files(&s.db, sg.id).await?,
        comments: comments(&s.db, sg.id).await?,
        references: super::references::of(&s.db, sg.id).await?,
        can_edit,
        can_comment: allows(p, Action::Change(Field::DraftComment), &draft),
        can_reference: allows(p, Action::Change(Field::ItemTriage), &draft),
        groups,
        shares,
        reference_kinds: crate::app::forms::opts(
            super::references::ReferenceKind::ALL.map(|k| (k.as_str(), k.label())),
            super::references::ReferenceKind::Procuratorial.as_str(),
        ),
    })
}
