//! The draft's form, the same for a new draft (`/console/suggestions/new`) and an edit before
//! submission (`/console/suggestions/{id}/edit`): one template, one form, one way to a [`Draft`].

use askama::Template;
use axum::response::Response;
use serde::Deserialize;

use super::model::Kind;
use super::service::{self, Draft};
use crate::app::error::{AppError, AppResult};
use crate::app::forms::{Opt, opts};
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;

#[derive(Deserialize, Default)]
pub(super) struct DraftForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub title: String,
    #[serde(default)]
    pub problem: String,
    #[serde(default)]
    pub analysis: String,
    #[serde(default)]
    pub measures: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub category: String,
    /// Repeated: the co-signers chosen.
    #[serde(default)]
    pub cosigner: Vec<String>,
}

impl DraftForm {
    /// Whether this deputy is ticked as a co-signer.
    pub fn chosen(&self, id: &i64) -> bool {
        self.cosigner.iter().any(|c| c.trim() == id.to_string())
    }

    /// The texts and the co-signers as the service takes them; a co-signer that is not a
    /// number is refused rather than dropped.
    pub fn draft(&self) -> AppResult<Draft> {
        let mut cosigner_ids = Vec::new();
        for c in self.cosigner.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            cosigner_ids.push(c.parse().map_err(|_| AppError::invalid("cosigner", "联名代表无效"))?);
        }
        Ok(Draft {
            kind: Kind::parse(&self.kind),
            title: self.title.clone(),
            problem: self.problem.clone(),
            analysis: self.analysis.clone(),
            measures: self.measures.clone(),
            category: self.category.clone(),
            cosigner_ids,
            ..Draft::default()
        })
    }
}

/// Which draft the form writes.
pub(super) enum Target {
    New,
    /// An existing draft, with how many co-signers confirmed it (asked again after a material
    /// change).
    Edit {
        id: i64,
        confirmed: usize,
    },
}

#[derive(Template)]
#[template(path = "suggestions/draft_form.html")]
struct DraftTpl {
    l: Layout,
    f: DraftForm,
    error: String,
    kinds: Vec<Opt>,
    deputies: Vec<(i64, String)>,
    /// The edited draft's id; none for a new one.
    id: Option<i64>,
    confirmed: usize,
}

/// The form for `lead`'s draft, with `error` above it (then answered 422).
pub(super) async fn page(
    page: &Page,
    s: &AppState,
    target: Target,
    lead: i64,
    f: DraftForm,
    error: String,
) -> AppResult<Response> {
    let kind = if f.kind.is_empty() { Kind::Suggestion.as_str().to_string() } else { f.kind.clone() };
    let (title, id, confirmed) = match target {
        Target::New => ("提出建议", None, 0),
        Target::Edit { id, confirmed } => ("修改建议草稿", Some(id), confirmed),
    };
    let mut r = render(&DraftTpl {
        l: page.layout(title, &[("/console/suggestions", "代表建议")]),
        kinds: opts(Kind::ALL.map(|k| (k.as_str(), k.label())), &kind),
        deputies: service::colleagues(&s.db, lead).await?,
        f,
        error: error.clone(),
        id,
        confirmed,
    })?;
    if !error.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// The messages of a refused draft, on one line.
pub(super) fn messages(e: AppError) -> Result<String, AppError> {
    match e {
        AppError::Invalid { fields, .. } => Ok(fields.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；")),
        e => Err(e),
    }
}
