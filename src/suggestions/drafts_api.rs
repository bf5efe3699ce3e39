//! The API of a draft (SUG-1) and of a suggestion's links (SUG-11): the author's edit
//! (`PATCH /api/v1/suggestions/{id}`), 会商 (`share`, `comments`), the external references staff
//! record (`references`), and what the detail adds ([`DetailExtra`]). Each body is read once the
//! caller is known to be entitled.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::access::visible;
use super::drafts::{self, Comment, Edited, File, Group, Share};
use super::model::Suggestion;
use super::references::{self, Reference, ReferenceIn};
use super::service::Draft;
use crate::app::caller::Caller;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::strict;
use crate::app::extract::{ApiJson, ClientIp, PathId};
use crate::app::openapi::{Operation, schema};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal, Role};

/// The suggestion a call is about, once the caller may do `action` on it, and the body, read
/// strictly only then.
async fn on<T: serde::de::DeserializeOwned + Default>(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
    body: serde_json::Value,
) -> AppResult<(Suggestion, T)> {
    let sg = visible(s, p, ip, id, action).await?;
    Ok((sg, strict(body)?))
}

/// What the detail adds: files, 会商 and external references.
#[derive(Serialize, schemars::JsonSchema)]
pub struct DetailExtra {
    /// Files attached to the suggestion (photos, PDF, Word); `url` downloads one.
    pub files: Vec<File>,
    /// The deputy groups it was shared with for 会商.
    pub shares: Vec<Share>,
    /// 会商意见 of the groups' members (and the signers).
    pub comments: Vec<Comment>,
    /// 检察建议 and 公益诉讼线索 linked with it (SUG-11).
    pub references: Vec<Reference>,
    /// For the author before submission: the groups they may still share it with.
    pub share_groups: Vec<Group>,
}

pub async fn detail_extra(s: &AppState, p: &Principal, sg: &Suggestion) -> AppResult<DetailExtra> {
    let x = drafts::extra(s, p, sg).await?;
    Ok(DetailExtra {
        files: x.files,
        shares: x.shares,
        comments: x.comments,
        references: x.references,
        share_groups: x.groups,
    })
}

/// An edit of a draft: the fields given replace the stored ones; `cosigner_ids`, when given,
/// is the whole new list of co-signers.
#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditIn {
    #[schemars(with = "Option<super::model::Kind>")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub problem: Option<String>,
    pub analysis: Option<String>,
    pub measures: Option<String>,
    pub category: Option<String>,
    pub cosigner_ids: Option<Vec<i64>>,
}

pub async fn edit(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (sg, b): (_, EditIn) = on(&s, &p, &ip, id, Action::Update, v).await?;
    let d = Draft {
        kind: drafts::kind_of(b.kind.as_deref())?,
        title: b.title.unwrap_or_else(|| sg.title.clone()),
        problem: b.problem.unwrap_or_else(|| sg.problem.clone()),
        analysis: b.analysis.unwrap_or_else(|| sg.analysis.clone()),
        measures: b.measures.unwrap_or_else(|| sg.measures.clone()),
        category: b.category.unwrap_or_else(|| sg.category.clone()),
        cosigner_ids: b.cosigner_ids.clone().unwrap_or_default(),
        ..Draft::default()
    };
    let with_cosigners = b.cosigner_ids.is_some();
    let now = crate::db::now();
    let done =
        write(&s, &p, &ip, async |w| drafts::edit(w.txn(), w.key(), w.actor(), &sg, &d, with_cosigners, now).await)
            .await?;
    Ok(axum::Json(done).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareIn {
    /// A deputy group (代表小组, 代表团) the author belongs to.
    #[schemars(range(min = 1))]
    pub group_id: Option<i64>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Shared {
    /// False when it had been shared with that group already.
    pub shared: bool,
    pub shares: Vec<Share>,
}

pub async fn share(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (sg, b): (_, ShareIn) = on(&s, &p, &ip, id, Action::Update, v).await?;
    let group = b.group_id.filter(|g| *g > 0).ok_or_else(|| AppError::invalid("group_id", "请给出代表小组或代表团"))?;
    let now = crate::db::now();
    let shared =
        write(&s, &p, &ip, async |w| drafts::share(w.txn(), w.key(), w.actor(), &sg, group, now).await).await?;
    Ok(axum::Json(Shared { shared, shares: drafts::shares(&s.db, id).await? }).into_response())
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    /// 1 to 2,000 characters (checked by the server: a length beside the text rule's pattern
    /// is a regular expression schemathesis cannot read).
    #[serde(default)]
    pub text: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct CreatedId {
    pub id: i64,
}

pub async fn comment(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Change(Field::DraftComment)).await?;
    let person = p
        .deputy_id
        .filter(|_| p.has(Role::Deputy))
        .ok_or_else(|| AppError::Forbidden("只有代表可以提出会商意见".into()))?;
    let b: CommentIn = strict(v)?;
    let now = crate::db::now();
    let id =
        write(&s, &p, &ip, async |w| drafts::comment(w.txn(), w.key(), w.actor(), &sg, person, &b.text, now).await)
            .await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedId { id })).into_response())
}

pub async fn reference(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    ApiJson(v): ApiJson<serde_json::Value>,
) -> AppResult<Response> {
    let (sg, b): (_, ReferenceIn) = on(&s, &p, &ip, id, Action::Change(Field::ItemTriage), v).await?;
    let now = crate::db::now();
    let id = write(&s, &p, &ip, async |w| references::add(w.txn(), w.key(), w.actor(), &sg, &b, now).await).await?;
    Ok((StatusCode::CREATED, axum::Json(CreatedId { id })).into_response())
}

const TAG: &str = "代表建议";

/// The operations, listed in `api::OPERATIONS`.
pub const EDIT: Operation = Operation::new(
    "patch",
    "/api/v1/suggestions/{id}",
    "领衔代表修改草稿（提交前）；标题、问题、分析、措施或类型有实质修改时，已确认的联名代表须重新确认",
    TAG,
    schema::<Edited>,
)
.signed_in()
.request(schema::<EditIn>);
pub const SHARE: Operation = Operation::new(
    "post",
    "/api/v1/suggestions/{id}/share",
    "会商：领衔代表将草稿分享给本人所在的代表小组或代表团",
    TAG,
    schema::<Shared>,
)
.signed_in()
.request(schema::<ShareIn>);
pub const COMMENT: Operation = Operation::post(
    "/api/v1/suggestions/{id}/comments",
    "会商意见：分享小组的成员（及领衔、联名代表）对草稿提出意见",
    TAG,
    schema::<CommentIn>,
    schema::<CreatedId>,
)
.signed_in();
pub const REFERENCE: Operation = Operation::post(
    "/api/v1/suggestions/{id}/references",
    "关联检察建议或公益诉讼线索（机关工作人员，建议提交后）",
    TAG,
    schema::<ReferenceIn>,
    schema::<CreatedId>,
)
.signed_in();
