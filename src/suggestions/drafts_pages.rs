//! The console's part of a draft (SUG-1) and of a suggestion's links (SUG-11): the author's
//! edit form, files, sharing with a group (会商) and the members' comments, the external
//! references staff record, and the confirmation step of 跨年结转 (SUG-9). What the detail
//! page shows of all this is [`Extra`], included by `suggestions/detail.html`.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::visible;
use super::draft_form::{self, DraftForm, Target};
use super::drafts;
use super::model::{self, Suggestion};
use super::references::{self, ReferenceIn};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Form, PathId, Query, UploadedFile};
use crate::app::forms::two_ids;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal, Role};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/suggestions/{id}/edit", get(edit_form).post(edit))
        .route("/console/suggestions/{id}/files", post(upload))
        .route("/console/suggestions/{id}/files/{file}/remove", post(remove_file))
        .route("/console/suggestions/{id}/share", post(share))
        .route("/console/suggestions/{id}/comments", post(comment))
        .route("/console/suggestions/{id}/references", post(reference))
}

async fn edit_form(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Update).await?;
    let cos = model::cosigners(&s.db, id).await?;
    let f = DraftForm {
        kind: sg.kind.clone(),
        title: sg.title.clone(),
        problem: sg.problem.clone(),
        analysis: sg.analysis.clone(),
        measures: sg.measures.clone(),
        category: sg.category.clone(),
        cosigner: cos.iter().map(|k| k.person_id.to_string()).collect(),
    };
    draft_form::page(&page, &s, target(&sg, &cos), sg.lead_person_id, f, String::new()).await
}

/// The edit form's target: the draft, with how many of its co-signers confirmed it.
fn target(sg: &Suggestion, cos: &[model::Cosigner]) -> Target {
    Target::Edit { id: sg.id, confirmed: cos.iter().filter(|k| k.confirmed_at.is_some()).count() }
}

async fn edit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<DraftForm>,
) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Update).await?;
    let now = crate::db::now();
    let done = match f.draft() {
        Ok(d) => {
            write(&s, &p, &ip, async |w| drafts::edit(w.txn(), w.key(), w.actor(), &sg, &d, true, now).await).await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(done) => {
            let mut msg = "已保存修改".to_string();
            if done.reconfirm > 0 {
                msg.push_str(&format!("，内容有实质修改，已请 {} 名联名代表重新确认", done.reconfirm));
            }
            Ok(redirect_with_flash(&format!("/console/suggestions/{id}"), &msg))
        }
        Err(e) => {
            let msg = draft_form::messages(e)?;
            let cos = model::cosigners(&s.db, sg.id).await?;
            draft_form::page(&page, &s, target(&sg, &cos), sg.lead_person_id, f, msg).await
        }
    }
}

/// A file for a draft: the author only, decided before the upload is read; checked by content
/// and size before the write opens.
async fn upload(Caller { p, s, ip }: Caller, PathId(id): PathId, req: Request) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Update).await?;
    let upload = UploadedFile::from_request(req, &s).await?;
    let file = crate::attachments::Upload { file_name: &upload.name, bytes: &upload.bytes };
    let prepared = crate::attachments::prepare(&file, drafts::FILE_TYPES, s.config.attachments_max_bytes).await?;
    let storage = s.storage.clone();
    write(&s, &p, &ip, async |w| drafts::attach(w.txn(), storage.as_ref(), w.key(), w.actor(), &sg, &prepared).await)
        .await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/{id}"), &format!("已添加附件：{}", prepared.file_name())))
}

async fn remove_file(Caller { p, s, ip }: Caller, ids: axum::extract::Path<(String, String)>) -> AppResult<Response> {
    let (id, file) = two_ids(ids)?;
    let sg = visible(&s, &p, &ip, id, Action::Update).await?;
    let storage = s.storage.clone();
    write(&s, &p, &ip, async |w| drafts::detach(w.txn(), storage.as_ref(), w.key(), w.actor(), &sg, file).await)
        .await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/{id}"), "已删除附件"))
}

#[derive(Deserialize, Default)]
struct ShareForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    group: String,
}

async fn share(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<ShareForm>) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Update).await?;
    let group = f.group.parse::<i64>().map_err(|_| AppError::invalid("group", "请选择代表小组或代表团"))?;
    let now = crate::db::now();
    let new = write(&s, &p, &ip, async |w| drafts::share(w.txn(), w.key(), w.actor(), &sg, group, now).await).await?;
    let msg =
        if new { "已分享会商，小组成员可查看并提出会商意见" } else { "已分享过该小组" };
    Ok(redirect_with_flash(&format!("/console/suggestions/{id}#consult"), msg))
}

#[derive(Deserialize, Default)]
struct CommentForm {
    #[serde(default)]
    text: String,
}

/// The deputy who writes a comment: their own record.
fn me(p: &Principal) -> AppResult<i64> {
    p.deputy_id.filter(|_| p.has(Role::Deputy)).ok_or_else(|| AppError::Forbidden("只有代表可以提出会商意见".into()))
}

async fn comment(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<CommentForm>) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Change(Field::DraftComment)).await?;
    let person = me(&p)?;
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| drafts::comment(w.txn(), w.key(), w.actor(), &sg, person, &f.text, now).await).await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/{id}#consult"), "已提交会商意见"))
}

#[derive(Deserialize, Default)]
struct ReferenceForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    number: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    issuer: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    issued_on: String,
    #[serde(default)]
    note: String,
}

async fn reference(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    Form(f): Form<ReferenceForm>,
) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::Change(Field::ItemTriage)).await?;
    let r = ReferenceIn { kind: f.kind, number: f.number, issuer: f.issuer, issued_on: f.issued_on, note: f.note };
    let now = crate::db::now();
    write(&s, &p, &ip, async |w| references::add(w.txn(), w.key(), w.actor(), &sg, &r, now).await).await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/{id}#links"), "已记录关联"))
}

#[derive(Template)]
#[template(path = "suggestions/carry_over.html")]
struct CarryTpl {
    l: Layout,
    year: i64,
    rows: Vec<Suggestion>,
    total: i64,
}

#[derive(Deserialize, Default)]
pub struct CarryQuery {
    year: Option<String>,
}

/// 跨年结转's confirmation step: the suggestions of the year still followed (B-class) that
/// would move, and the button that moves them.
pub async fn carry_preview(Console { page, p, s, ip }: Console, Query(q): Query<CarryQuery>) -> AppResult<Response> {
    super::api::may_carry(&s, &p, &ip).await?;
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => y.parse::<i64>().ok().filter(|y| (2000..=2100).contains(y)),
        None => Some(i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(crate::db::now()))) - 1),
    }
    .ok_or_else(|| AppError::invalid("year", "年度应在 2000 到 2100 之间"))?;
    let scope = super::api::scope_of(&p);
    let scope = crate::handling::read::Scope { organ_path: scope.organ_path, ..Default::default() };
    let mut f = model::Filter { year: Some(year), ..Default::default() };
    f.handling.state = Some(crate::handling::flow::State::Following);
    let (rows, total) = model::list(&s.db, &scope, &f, crate::db::now(), 500, 0).await?;
    render(&CarryTpl {
        l: page.layout(
            "跨年结转",
            &[("/console/suggestions", "代表建议"), ("/console/suggestions/stats", "建议办理统计")],
        ),
        year,
        rows,
        total,
    })
}
