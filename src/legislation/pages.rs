//! 立法 in the console (LEG-2): the drafts list, a new draft and a new version — pasted or
//! uploaded, always shown as recognised (counts per level, every issue by line) before it is
//! saved —, a draft's page with its versions, a version's structure, and the compare.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::api::{check_draft, check_opinion, check_version, compared, counts};
use super::comments;
use super::matching::ArticleChange;
use super::model::{
    self, Disposition, Draft, Moderation, NodeRow, Opinion, OpinionFilter, Side, Source, Stage, Version,
};
use super::parse::{self, Kind, Parsed};
use super::service::{self, NewDraft, NewVersion};
use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Form, PathId, Query, UploadedFile};
use crate::app::forms::{Opt, allowed, opts, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, form_errors, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Principal};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/legislation", get(list))
        .route("/console/legislation/new", get(new_form).post(new_submit))
        .route("/console/legislation/new/file", post(new_file))
        .route("/console/legislation/compare", get(compare_page))
        .route("/console/legislation/versions/{id}", get(version_page))
        .route("/console/legislation/versions/{id}/publish", post(publish))
        .route("/console/legislation/opinions/{id}/disposition", post(dispose))
        .route("/console/legislation/opinions/{id}/moderate", post(moderate))
        .route("/console/legislation/{id}", get(draft_page))
        .route("/console/legislation/{id}/versions", get(version_form).post(version_submit))
        .route("/console/legislation/{id}/versions/file", post(version_file))
        .route("/console/legislation/{id}/opinions", get(opinions_page))
        .route("/console/legislation/{id}/stats", get(stats_page))
}

use super::{CRUMB, today};

// ------------------------------------------------------------------ list

#[derive(Template)]
#[template(path = "legislation/list.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<Draft>,
    can_create: bool,
}

async fn list(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &super::drafts_of(&p.organ_path), "list").await?;
    let rows = model::drafts(&s.db, &p.organ_path, 500).await?;
    render(&ListTpl {
        l: page.layout("法规草案", &[CRUMB]),
        rows,
        can_create: allowed(&p, Action::Create, &super::drafts_of(&p.organ_path)),
    })
}

// ------------------------------------------------------------------ import (new draft, new version)

/// The import form: a new draft's fields, the version's label and stage, and its text.
#[derive(Deserialize, Default, Clone)]
pub struct ImportForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub title: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub side: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub origin: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub label: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub stage: String,
    #[serde(default)]
    pub text: String,
    /// Where the text came from (`paste`, `docx`, `text`) and its file's name.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub source: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub file_name: String,
    /// 「已核对」: save although the parser reported issues.
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub accept_issues: bool,
    /// The button pressed: `preview` (识别) or `save` (确认保存).
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub action: String,
}

impl ImportForm {
    fn version(&self) -> NewVersion {
        NewVersion {
            label: self.label.clone(),
            stage: self.stage.clone(),
            text: self.text.clone(),
            source: if self.source.is_empty() { "paste".into() } else { self.source.clone() },
            file_name: self.file_name.clone(),
            accept_issues: self.accept_issues,
        }
    }
}

/// One line of the recognised outline: a heading or an article with the start of its text.
pub struct OutlineLine {
    pub depth: usize,
    pub kind: Kind,
    pub number: String,
    pub heading: String,
    pub excerpt: String,
}

/// What the parser recognised, as the preview shows it.
pub struct Recognised {
    pub title: String,
    pub summary: String,
    pub counts: Vec<(&'static str, usize)>,
    pub enacting: Vec<String>,
    pub toc: usize,
    pub issues: Vec<parse::Issue>,
    pub outline: Vec<OutlineLine>,
    pub auto_numbered: usize,
}

fn recognised(p: &Parsed, auto_numbered: usize) -> Recognised {
    let flats = p.flatten();
    let outline = flats
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind.is_heading() || f.kind == Kind::Article)
        .map(|(i, f)| OutlineLine {
            depth: f.depth,
            kind: f.kind,
            number: f.number.clone(),
            heading: f.heading.clone(),
            excerpt: if f.kind == Kind::Article {
                parse::excerpt(&super::matching::article_text(&flats, i).replace('\n', " "))
            } else {
                String::new()
            },
        })
        .collect();
    Recognised {
        title: p.title.clone(),
        summary: p.summary(),
        counts: Kind::ALL.iter().map(|k| k.label()).zip(p.counts()).collect(),
        enacting: p.enacting.clone(),
        toc: p.toc.len(),
        issues: p.issues.clone(),
        outline,
        auto_numbered,
    }
}

#[derive(Template)]
#[template(path = "legislation/import.html")]
struct ImportTpl {
    l: Layout,
    /// Where the form posts (`/console/legislation/new` or `…/{id}/versions`).
    action: String,
    /// A new draft (its own fields shown) or a version of `draft`.
    draft: Option<Draft>,
    sides: Vec<Opt>,
    stages: Vec<Opt>,
    v: ImportForm,
    seen: Option<Recognised>,
    errors: Errors,
}

fn import_tpl(page: &Page, draft: Option<Draft>, v: ImportForm, seen: Option<Recognised>, errors: Errors) -> ImportTpl {
    let (title, action, crumbs) = match &draft {
        None => ("新建法规草案".to_string(), "/console/legislation/new".to_string(), None),
        Some(d) => (format!("导入新稿次：{}", d.title), format!("/console/legislation/{}/versions", d.id), Some(d)),
    };
    let draft_crumb = crumbs.map(|d| (format!("/console/legislation/{}", d.id), d.title.clone()));
    let mut trail: Vec<(&str, &str)> = vec![CRUMB];
    if let Some((href, label)) = &draft_crumb {
        trail.push((href, label));
    }
    trail.push((&action, "导入"));
    ImportTpl {
        l: page.layout(&title, &trail),
        sides: opts(Side::ALL.map(|x| (x.as_str(), x.label())), &v.side),
        stages: opts(Stage::ALL.map(|x| (x.as_str(), x.label())), &v.stage),
        action,
        draft,
        v,
        seen,
        errors,
    }
}

async fn new_form(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "new").await?;
    let v =
        ImportForm {
            side: "own".into(), label: "征求意见稿".into(), stage: "drafting".into(), ..Default::default()
        };
    render(&import_tpl(&page, None, v, None, Errors::default()))
}

/// The form with what the parser recognised in its text (200), or with the errors (422).
fn preview(page: &Page, draft: Option<Draft>, v: ImportForm, auto_numbered: usize) -> AppResult<Response> {
    let p = parse::parse(&v.text);
    let seen = (!v.text.trim().is_empty()).then(|| recognised(&p, auto_numbered));
    render(&import_tpl(page, draft, v, seen, Errors::default()))
}

/// A refused save: the form again, the recognised structure with it.
fn refused(page: &Page, draft: Option<Draft>, v: ImportForm, e: AppError) -> AppResult<Response> {
    let errors = form_errors(e)?;
    let seen = (!v.text.trim().is_empty()).then(|| recognised(&parse::parse(&v.text), 0));
    unprocessable(&import_tpl(page, draft, v, seen, errors))
}

async fn new_submit(Console { page, p, s, ip }: Console, Form(v): Form<ImportForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "new").await?;
    if v.action != "save" {
        return preview(&page, None, v, 0);
    }
    let d = NewDraft { title: v.title.clone(), side: v.side.clone(), origin: v.origin.clone() };
    let prepared = match service::prepare_new(&d, &v.version()) {
        Ok(x) => x,
        Err(e) => return refused(&page, None, v, e),
    };
    let (now, organ) = (crate::db::now(), p.organ_id);
    let result = write(&s, &p, &ip, async |w| {
        service::create_draft(w.txn(), w.key(), w.actor(), organ, &d, &prepared, now).await
    })
    .await;
    match result {
        Ok(c) => Ok(redirect_with_flash(
            &format!("/console/legislation/{}", c.id),
            &format!("草案已保存：{}", prepared.parsed.summary()),
        )),
        Err(e) => refused(&page, None, v, e),
    }
}

/// An uploaded file read into the form's text (the other fields as sent), then previewed.
async fn file_form(upload: &UploadedFile) -> AppResult<(ImportForm, usize)> {
    let (text, source, auto) = service::upload_text(&upload.name, upload.bytes.clone()).await?;
    Ok((
        ImportForm {
            title: upload.field("title").into(),
            side: upload.field("side").into(),
            origin: upload.field("origin").into(),
            label: upload.field("label").into(),
            stage: upload.field("stage").into(),
            text,
            source: source.into(),
            file_name: upload.name.clone(),
            ..Default::default()
        },
        auto,
    ))
}

async fn new_file(Console { page, p, s, ip }: Console, req: Request) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &super::drafts_of(&p.organ_path), "new").await?;
    // The file is read only once the caller may import (a refusal is the authorization's).
    let upload = UploadedFile::from_request(req, &s).await?;
    match file_form(&upload).await {
        Ok((v, auto)) => preview(&page, None, v, auto),
        Err(e) => {
            let v = ImportForm {
                title: upload.field("title").into(),
                side: upload.field("side").into(),
                origin: upload.field("origin").into(),
                label: upload.field("label").into(),
                stage: upload.field("stage").into(),
                ..Default::default()
            };
            refused(&page, None, v, e)
        }
    }
}

async fn version_form(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let next = d.versions + 1;
    let label = match next {
        2 => "二审稿".to_string(),
        3 => "三审稿".to_string(),
        n => format!("第{}稿", parse::to_chinese(n)),
    };
    let stage = if next == 2 { "second_reading" } else { "before_vote" };
    let v = ImportForm { label, stage: stage.into(), ..Default::default() };
    render(&import_tpl(&page, Some(d), v, None, Errors::default()))
}

async fn version_submit(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(v): Form<ImportForm>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    if v.action != "save" {
        return preview(&page, Some(d), v, 0);
    }
    let prepared = match service::prepare(&v.version()) {
        Ok(x) => x,
        Err(e) => return refused(&page, Some(d), v, e),
    };
    let now = crate::db::now();
    let result =
        write(&s, &p, &ip, async |w| service::add_version(w.txn(), w.key(), w.actor(), &d, &prepared, now).await).await;
    match result {
        Ok(version) => Ok(redirect_with_flash(
            &format!("/console/legislation/versions/{version}"),
            &format!("{}已保存：{}", prepared.label, prepared.parsed.summary()),
        )),
        Err(e) => refused(&page, Some(d), v, e),
    }
}

async fn version_file(Console { page, p, s, ip }: Console, PathId(id): PathId, req: Request) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::Update, id).await?;
    let upload = UploadedFile::from_request(req, &s).await?;
    match file_form(&upload).await {
        Ok((v, auto)) => preview(&page, Some(d), v, auto),
        Err(e) => {
            let v = ImportForm {
                label: upload.field("label").into(),
                stage: upload.field("stage").into(),
                ..Default::default()
            };
            refused(&page, Some(d), v, e)
        }
    }
}

// ------------------------------------------------------------------ a draft

#[derive(Template)]
#[template(path = "legislation/draft.html")]
struct DraftTpl {
    l: Layout,
    d: Draft,
    versions: Vec<Version>,
    can_edit: bool,
    today: String,
    tasks: Vec<model::Task>,
    addressees: Vec<(&'static str, Vec<Opt>)>,
    now: i64,
}

async fn draft_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::View, id).await?;
    let versions = model::versions(&s.db, id).await?;
    let title = d.title.clone();
    let can_edit = allowed(&p, Action::Update, &super::drafts_of(&d.organ_path));
    let addressees = if can_edit { super::task_pages::addressees(&s, &d).await? } else { Vec::new() };
    render(&DraftTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/legislation/{id}"), &title)]),
        can_edit,
        tasks: model::tasks_of_draft(&s.db, id).await?,
        addressees,
        d,
        versions,
        today: today(),
        now: crate::db::now(),
    })
}

// ------------------------------------------------------------------ a version

/// A node as the version page shows it.
pub struct NodeView {
    pub row: NodeRow,
    /// Opinions counted on this article identity (all sources).
    pub count: i64,
}

impl NodeView {
    pub fn is_heading(&self) -> bool {
        self.row.kind().is_heading()
    }
    pub fn is_article(&self) -> bool {
        self.row.kind() == Kind::Article
    }
    pub fn css(&self) -> &'static str {
        match self.row.kind() {
            Kind::Part => "part",
            Kind::Chapter => "chapter",
            Kind::Section => "section",
            Kind::Article => "article",
            Kind::Paragraph => "paragraph",
            Kind::Item => "item",
            Kind::Subitem => "subitem",
        }
    }
}

#[derive(Template)]
#[template(path = "legislation/version.html")]
struct VersionTpl {
    l: Layout,
    d: Draft,
    v: Version,
    nodes: Vec<NodeView>,
    /// The other versions, to compare with.
    others: Vec<Version>,
    can_edit: bool,
    w: WindowForm,
    errors: Errors,
    today: String,
}

pub async fn node_views(s: &AppState, d: &Draft, v: &Version) -> AppResult<Vec<NodeView>> {
    let counts = model::counts_by_node(&s.db, d.id, false).await?;
    Ok(model::nodes(&s.db, v.id)
        .await?
        .into_iter()
        .map(|row| NodeView {
            count: if row.kind == "article" { counts.get(&row.node_id).copied().unwrap_or(0) } else { 0 },
            row,
        })
        .collect())
}

/// The consultation window as typed.
#[derive(Deserialize, Default, Clone)]
pub struct WindowForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub open_from: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub open_until: String,
}

async fn version_tpl(
    s: &AppState,
    p: &Principal,
    page: &Page,
    (d, v): (Draft, Version),
    w: Option<WindowForm>,
    errors: Errors,
) -> AppResult<VersionTpl> {
    let nodes = node_views(s, &d, &v).await?;
    let others = model::versions(&s.db, d.id).await?.into_iter().filter(|o| o.id != v.id).collect();
    let title = format!("{} · {}", d.title, v.label);
    let today = crate::calendar::beijing_date(crate::db::now());
    let w = w.unwrap_or_else(|| WindowForm {
        open_from: v.open_from.clone().unwrap_or_else(|| today.format("%Y-%m-%d").to_string()),
        open_until: v
            .open_until
            .clone()
            .unwrap_or_else(|| (today + chrono::Days::new(30)).format("%Y-%m-%d").to_string()),
    });
    Ok(VersionTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/legislation/{}", d.id), &d.title), ("", &v.label)]),
        can_edit: allowed(p, Action::Update, &super::drafts_of(&d.organ_path)),
        d,
        v,
        nodes,
        others,
        w,
        errors,
        today: today.format("%Y-%m-%d").to_string(),
    })
}

async fn version_page(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let dv = check_version(&s, &p, &ip, Action::View, id).await?;
    render(&version_tpl(&s, &p, &page, dv, None, Errors::default()).await?)
}

async fn publish(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<WindowForm>,
) -> AppResult<Response> {
    let (d, v) = check_version(&s, &p, &ip, Action::Update, id).await?;
    let w = service::Window { open_from: f.open_from.clone(), open_until: f.open_until.clone() };
    let now = crate::db::now();
    let result =
        write(&s, &p, &ip, async |wr| service::publish(wr.txn(), wr.key(), wr.actor(), &d, &v, &w, now).await).await;
    crate::app::write::form_answer(
        result,
        |_| redirect_with_flash(&format!("/console/legislation/versions/{id}"), "已公开征求意见，可打印二维码海报"),
        async |errors| render(&version_tpl(&s, &p, &page, (d.clone(), v.clone()), Some(f.clone()), errors).await?),
    )
    .await
}

// ------------------------------------------------------------------ opinions

#[derive(Deserialize, Default)]
struct OpinionQuery {
    node: Option<String>,
    source: Option<String>,
    disposition: Option<String>,
    version: Option<String>,
}

/// An opinion on the list, with where its article stands in the newest version.
pub struct OpinionView {
    pub o: Opinion,
    /// The article's number in the newest version (it may have moved).
    pub now_number: Option<String>,
    /// A later version's changed articles its change may be linked to (`version:node`).
    pub changes: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "legislation/opinions.html")]
struct OpinionsTpl {
    l: Layout,
    d: Draft,
    rows: Vec<OpinionView>,
    can_edit: bool,
    sources: Vec<Opt>,
    dispositions: Vec<Opt>,
    node: String,
    latest_label: String,
}

async fn opinions_page(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Query(q): Query<OpinionQuery>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::View, id).await?;
    let disposition = match q.disposition.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        Some("pending") => Some(None),
        Some(x) => Disposition::parse(x).map(Some),
        None => None,
    };
    let f = OpinionFilter {
        version_id: q.version.as_deref().and_then(crate::app::forms::opt_id),
        node_id: q.node.as_deref().and_then(crate::app::forms::opt_id),
        source: q.source.as_deref().and_then(Source::parse),
        disposition,
        moderation: None,
    };
    let rows = model::opinions(&s.db, d.id, &f).await?;
    let versions = model::versions(&s.db, d.id).await?;
    let latest = versions.last().cloned();
    let latest_numbers: std::collections::HashMap<i64, String> = match &latest {
        Some(v) => model::nodes(&s.db, v.id)
            .await?
            .into_iter()
            .filter(|n| n.kind == "article")
            .map(|n| (n.node_id, n.number))
            .collect(),
        None => Default::default(),
    };
    // The changed and added articles of each version against the one before: what a change may link to.
    let mut changed_in: std::collections::HashMap<i64, Vec<(i64, i64, String)>> = Default::default();
    for pair in versions.windows(2) {
        let (old, old_ids) = model::flats(&model::nodes(&s.db, pair[0].id).await?);
        let (new, new_ids) = model::flats(&model::nodes(&s.db, pair[1].id).await?);
        let list = super::matching::compare(&old, &old_ids, &new, &new_ids)
            .into_iter()
            .filter(|c| matches!(c.change, super::matching::Change::Changed | super::matching::Change::Added))
            .map(|c| {
                (
                    pair[1].id,
                    c.node_id,
                    format!("{} {}（{}）", pair[1].label, c.new_number.unwrap_or_default(), c.change.label()),
                )
            })
            .collect();
        changed_in.insert(pair[0].seq, list);
    }
    let seq_of: std::collections::HashMap<i64, i64> = versions.iter().map(|v| (v.id, v.seq)).collect();
    let rows = rows
        .into_iter()
        .map(|o| {
            let seq = seq_of.get(&o.version_id).copied().unwrap_or(0);
            let current = match (o.change_version_id, o.change_node_id) {
                (Some(v), Some(n)) => format!("{v}:{n}"),
                _ => String::new(),
            };
            let changes = opts(
                changed_in.get(&seq).into_iter().flatten().map(|(v, n, label)| (format!("{v}:{n}"), label.clone())),
                &current,
            );
            OpinionView { now_number: o.node_id.and_then(|n| latest_numbers.get(&n).cloned()), changes, o }
        })
        .collect();
    let title = format!("{}：意见", d.title);
    render(&OpinionsTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/legislation/{id}"), &d.title), ("", "意见")]),
        can_edit: allowed(&p, Action::Update, &super::drafts_of(&d.organ_path)),
        sources: opts(Source::ALL.map(|x| (x.as_str(), x.label())), q.source.as_deref().unwrap_or("")),
        dispositions: opts(
            std::iter::once(("pending", "待处理")).chain(Disposition::ALL.map(|x| (x.as_str(), x.label()))),
            q.disposition.as_deref().unwrap_or(""),
        ),
        node: q.node.unwrap_or_default(),
        latest_label: latest.map(|v| v.label).unwrap_or_default(),
        d,
        rows,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct DisposeForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub disposition: String,
    #[serde(default)]
    pub reason: String,
    /// `version:node` of the change it led to, or empty.
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub change: String,
}

async fn dispose(
    Console { p, s, ip, .. }: Console,
    PathId(id): PathId,
    Form(f): Form<DisposeForm>,
) -> AppResult<Response> {
    let (d, o) = check_opinion(&s, &p, &ip, Action::Update, id).await?;
    let (change_version_id, change_node_id) = match f.change.split_once(':') {
        Some((a, b)) => (crate::app::forms::opt_id(a), crate::app::forms::opt_id(b)),
        None => (None, None),
    };
    let decision = comments::Decision {
        disposition: f.disposition.clone(),
        reason: f.reason.clone(),
        change_version_id,
        change_node_id,
    };
    let (now, limits) = (crate::db::now(), crate::notify::Limits::of(&s.config));
    write(&s, &p, &ip, async |w| {
        comments::dispose(w.txn(), w.key(), &s.crypto, &limits, w.actor(), &d, &o, &decision, now).await
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/legislation/{}/opinions#o{id}", d.id), "意见处理结果已保存"))
}

#[derive(Deserialize, Default)]
pub struct ModerateForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub to: String,
}

async fn moderate(
    Console { p, s, ip, .. }: Console,
    PathId(id): PathId,
    Form(f): Form<ModerateForm>,
) -> AppResult<Response> {
    let (d, o) = check_opinion(&s, &p, &ip, Action::Update, id).await?;
    let to = Moderation::parse(&f.to).ok_or_else(|| AppError::invalid("to", "只能收录或不予收录"))?;
    write(&s, &p, &ip, async |w| comments::moderate(w.txn(), w.key(), w.actor(), &d, &o, to).await).await?;
    Ok(redirect_with_flash(&format!("/console/legislation/{}/opinions#o{id}", d.id), &format!("意见{}", to.label())))
}

// ------------------------------------------------------------------ compare

#[derive(Deserialize, Default)]
struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "legislation/compare.html")]
struct CompareTpl {
    l: Layout,
    d: Draft,
    a: Version,
    b: Version,
    items: Vec<ArticleChange>,
    counts: super::api::CompareCounts,
    /// Show the unchanged articles too.
    all: bool,
}

async fn compare_page(Console { page, p, s, ip }: Console, Query(q): Query<CompareQuery>) -> AppResult<Response> {
    let id = |v: &Option<String>| v.as_deref().and_then(crate::app::forms::opt_id);
    let (Some(from), Some(to)) = (id(&q.from), id(&q.to)) else {
        return Err(AppError::invalid("from", "请选择要比较的两个稿次"));
    };
    let (d, a, b, items) = compared(&s, &p, &ip, from, to).await?;
    let title = format!("{}：{} 与 {} 对照", d.title, a.label, b.label);
    render(&CompareTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/legislation/{}", d.id), &d.title), ("", "稿次对照")]),
        counts: counts(&items),
        d,
        a,
        b,
        items,
        all: false,
    })
}

/// Whether a principal may edit a draft (for links).
pub fn may_edit(p: &Principal, d: &Draft) -> bool {
    allowed(p, Action::Update, &super::drafts_of(&d.organ_path))
}

// ------------------------------------------------------------------ figures

#[derive(Deserialize, Default)]
struct StatsQuery {
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "legislation/stats.html")]
struct StatsTpl {
    l: Layout,
    d: Draft,
    f: super::stats::Figures,
    stage_bars: Vec<super::stats::Bar>,
    source_bars: Vec<super::stats::Bar>,
}

async fn stats_page(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Query(q): Query<StatsQuery>,
) -> AppResult<Response> {
    let d = check_draft(&s, &p, &ip, Action::View, id).await?;
    let f = super::stats::figures(&s.db, id).await?;
    if q.format.as_deref() == Some("xlsx") {
        let title = format!("{}意见采纳情况", d.title);
        let actor = crate::app::guard::actor(&p, &ip);
        crate::audit::record_export(&s.writer, s.audit_key(), &actor, Some(d.organ_id), &title, f.lines.len(), false)
            .await?;
        return Ok(axum::response::IntoResponse::into_response((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (axum::http::header::CONTENT_DISPOSITION, crate::export::content_disposition(&title, "xlsx")),
            ],
            super::stats::workbook(&f),
        )));
    }
    let title = format!("{}：意见采纳情况", d.title);
    render(&StatsTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/legislation/{id}"), &d.title), ("", "采纳情况")]),
        stage_bars: super::stats::bars(&f.by_stage, true, 260),
        source_bars: super::stats::bars(&f.by_source, false, 260),
        d,
        f,
    })
}
