//! 码上立法 (LEG-3), phone-first and without JavaScript: `/l/{draft}` reads the version open for
//! comment with its table of contents and each article's count; `/l/{draft}/comment?node=` shows
//! one article with the comments on it and the form (the whole draft without `node`); the QR
//! code (`qr.svg`, `qr.png`) and a printable poster (`poster?size=a4|a3`) point at `/l/{draft}`,
//! which always shows the newest published version — a poster outlives a second reading.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::comments::{self, NewComment, Received};
use super::model::{self, Draft, Version};
use super::parse::Kind;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, CsrfToken, Form, Query};
use crate::app::forms::opt_id;
use crate::app::pages::{Errors, render};
use crate::app::state::AppState;
use crate::opinions::public::{CodeForm, citizen_answer, citizen_write};
use crate::registry::public::{PosterSize, base_url};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/l/{id}", get(read))
        .route("/l/{id}/comment", get(comment_form).post(comment))
        .route("/l/{id}/{view}", get(view))
}

fn parse_id(id: &str) -> AppResult<i64> {
    id.parse::<i64>().ok().filter(|v| *v > 0).ok_or(AppError::NotFound)
}

/// A draft with a published version (else nobody outside learns it exists).
pub async fn published(s: &AppState, id: i64) -> AppResult<(Draft, Version)> {
    let d = model::draft(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let v = model::public_version(&s.db, id).await?.ok_or(AppError::NotFound)?;
    Ok((d, v))
}

use super::today;

/// A line of the reading page.
pub struct Line {
    pub kind: Kind,
    pub node_id: i64,
    pub depth: i64,
    pub number: String,
    pub heading: String,
    pub text: String,
    /// Public comments shown on this article.
    pub count: i64,
}

impl Line {
    pub fn is_heading(&self) -> bool {
        self.kind.is_heading()
    }
    pub fn is_article(&self) -> bool {
        self.kind == Kind::Article
    }
    pub fn is_paragraph(&self) -> bool {
        self.kind == Kind::Paragraph
    }
}

async fn lines(s: &AppState, d: &Draft, v: &Version) -> AppResult<Vec<Line>> {
    let counts = model::counts_by_node(&s.db, d.id, true).await?;
    Ok(model::nodes(&s.db, v.id)
        .await?
        .into_iter()
        .map(|r| Line {
            kind: r.kind(),
            node_id: r.node_id,
            depth: r.depth,
            count: if r.kind == "article" { counts.get(&r.node_id).copied().unwrap_or(0) } else { 0 },
            number: r.number,
            heading: r.heading,
            text: r.body,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "legislation/read.html")]
struct ReadTpl {
    organ_name: String,
    d: Draft,
    v: Version,
    lines: Vec<Line>,
    open: bool,
    /// Comments on the whole draft shown.
    general: i64,
}

async fn read(State(s): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let (d, v) = published(&s, parse_id(&id)?).await?;
    let lines = lines(&s, &d, &v).await?;
    let general = model::public_count(&s.db, d.id, None).await?;
    render(&ReadTpl { organ_name: d.organ_name.clone(), open: v.open_on(&today()), d, v, lines, general })
}

#[derive(Deserialize, Default)]
struct NodeQuery {
    node: Option<String>,
}

/// The form as typed.
#[derive(Deserialize, Default, Clone)]
pub struct CommentForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub node: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub quote: String,
    #[serde(default)]
    pub text: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub consent: bool,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub sms_code: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub send_code: String,
}

impl CodeForm for CommentForm {
    fn without_code(self) -> Self {
        CommentForm { sms_code: String::new(), send_code: String::new(), ..self }
    }
}

impl CommentForm {
    fn comment(&self) -> NewComment {
        NewComment {
            node_id: opt_id(&self.node),
            quote: self.quote.clone(),
            text: self.text.clone(),
            name: self.name.clone(),
            phone: self.phone.clone(),
            consent: self.consent,
        }
    }
}

#[derive(Template)]
#[template(path = "legislation/comment.html")]
struct CommentTpl {
    organ_name: String,
    csrf: String,
    d: Draft,
    ver: Version,
    /// The article commented on: its lines (number, heading, text); empty for the whole draft.
    article: Vec<Line>,
    /// Public comments received on it so far.
    received_count: i64,
    open: bool,
    v: CommentForm,
    errors: Errors,
    verify: bool,
    code_sent: Option<String>,
    received: Option<Received>,
}

impl CommentTpl {
    /// Show the code field: a code was sent, or one was typed.
    pub fn ask_code(&self) -> bool {
        self.verify && (self.code_sent.is_some() || !self.v.sms_code.is_empty() || self.errors.of("sms_code").is_some())
    }
}

/// The lines of one article of a version.
async fn article(s: &AppState, d: &Draft, v: &Version, node: Option<i64>) -> AppResult<Vec<Line>> {
    let Some(node) = node else { return Ok(Vec::new()) };
    let all = lines(s, d, v).await?;
    let start = all.iter().position(|l| l.is_article() && l.node_id == node).ok_or(AppError::NotFound)?;
    let depth = all[start].depth;
    let end = all[start + 1..].iter().position(|l| l.depth <= depth).map(|k| start + 1 + k).unwrap_or(all.len());
    Ok(all.into_iter().skip(start).take(end - start).collect())
}

async fn comment_tpl(
    s: &AppState,
    csrf: String,
    (d, v): (Draft, Version),
    v_form: CommentForm,
    errors: Errors,
    code_sent: Option<String>,
) -> AppResult<CommentTpl> {
    let node = opt_id(&v_form.node);
    let article = article(s, &d, &v, node).await?;
    let received_count = model::public_count(&s.db, d.id, node).await?;
    Ok(CommentTpl {
        organ_name: d.organ_name.clone(),
        csrf,
        open: v.open_on(&today()),
        d,
        ver: v,
        article,
        received_count,
        v: v_form,
        errors,
        verify: s.config.sms_verify_new_numbers,
        code_sent,
        received: None,
    })
}

async fn comment_form(
    State(s): State<AppState>,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(q): Query<NodeQuery>,
) -> AppResult<Response> {
    let dv = published(&s, parse_id(&id)?).await?;
    let v_form = CommentForm { node: q.node.unwrap_or_default(), ..Default::default() };
    render(&comment_tpl(&s, csrf.0, dv, v_form, Errors::default(), None).await?)
}

async fn comment(
    State(s): State<AppState>,
    csrf: CsrfToken,
    ip: ClientIp,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> AppResult<Response> {
    let (d, v) = published(&s, parse_id(&id)?).await?;
    let now = crate::db::now();
    let limits = crate::notify::Limits::of(&s.config);
    let input = f.comment();
    let result = async {
        comments::validate(&s.db, &v, &input).await?;
        let gate = (input.phone.as_str(), f.sms_code.as_str(), !f.send_code.is_empty());
        citizen_write(&s, &ip, &limits, gate, now, async |w| {
            comments::comment(w.txn(), w.key(), &s.crypto, w.actor(), &d, &v, &input, &ip.0, now).await
        })
        .await
    }
    .await;
    let (dd, vv) = (d.clone(), v.clone());
    let stored = async |r: Received| {
        let mut t = comment_tpl(
            &s,
            csrf.0.clone(),
            (dd.clone(), vv.clone()),
            CommentForm { node: f.node.clone(), ..Default::default() },
            Errors::default(),
            None,
        )
        .await?;
        t.received = Some(r);
        Ok((StatusCode::CREATED, render(&t)?).into_response())
    };
    let again = async |form, errors, code_sent| {
        comment_tpl(&s, csrf.0.clone(), (d.clone(), v.clone()), form, errors, code_sent).await
    };
    citizen_answer(result, f.clone(), "text", stored, again).await
}

#[derive(Deserialize, Default)]
struct PosterQuery {
    size: Option<String>,
}

#[derive(Template)]
#[template(path = "legislation/poster.html")]
struct PosterTpl {
    organ_name: String,
    d: Draft,
    v: Version,
    size: PosterSize,
    url: String,
    qr_svg: String,
}

async fn view(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((id, view)): Path<(String, String)>,
    Query(q): Query<PosterQuery>,
) -> AppResult<Response> {
    let (d, v) = published(&s, parse_id(&id)?).await?;
    let url = format!("{}/l/{}", base_url(&s, &headers), d.id);
    let qr_error = |_| AppError::Internal("QR".into());
    match view.as_str() {
        "qr.svg" => Ok((
            [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
            crate::qr::qr_svg(&url, 8).map_err(qr_error)?,
        )
            .into_response()),
        "qr.png" => Ok((
            [(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")],
            crate::qr::qr_png(&url, 8).map_err(qr_error)?,
        )
            .into_response()),
        "poster" => {
            let size = PosterSize::parse(q.size.as_deref().unwrap_or(""))?;
            let qr_svg = crate::qr::qr_svg(&url, 8).map_err(qr_error)?;
            render(&PosterTpl { organ_name: d.organ_name.clone(), d, v, size, url, qr_svg })
        }
        _ => Err(AppError::NotFound),
    }
}
