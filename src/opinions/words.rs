//! OPN-4: the word list that holds a submission for review (待审核) instead of letting it
//! through — never drops it. Kept in the database (`hold_words`, seeded with a short default
//! list) and edited by the installation's admin at `/console/opinions/words`, audited.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Deserialize;

use crate::app::caller::Console;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form};
use crate::app::forms::allowed;
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::audit::{Actor, Change};
use crate::auth::{Action, Principal, Resource};
use crate::db;

/// Longest word, and most words: a list, not a dictionary.
const MAX_WORD: usize = 20;
const MAX_WORDS: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/opinions/words", get(page).post(save))
}

/// The words, in the order they were added.
pub async fn words<C: ConnectionTrait>(c: &C) -> Result<Vec<String>, DbErr> {
    db::query_rows(c, "SELECT word FROM hold_words ORDER BY id", vec![])
        .await?
        .iter()
        .map(|r| r.try_get_by_index::<String>(0))
        .collect()
}

/// The first word of the list the text contains (case-insensitively).
pub fn held_by<'a>(words: &'a [String], text: &str) -> Option<&'a str> {
    let lowered = text.to_lowercase();
    words.iter().map(String::as_str).find(|w| lowered.contains(&w.to_lowercase()))
}

/// Parses the textarea: one word per line (or separated by 、，, and spaces), trimmed,
/// deduplicated in order.
pub fn parse(text: &str) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for w in text.split(['\n', '\r', '、', '，', ',', ' ', '\t']).map(str::trim).filter(|w| !w.is_empty()) {
        if w.chars().count() > MAX_WORD {
            return Err(AppError::invalid("text", format!("「{w}」太长：每个词不超过 {MAX_WORD} 字")));
        }
        if !out.iter().any(|x| x == w) {
            out.push(w.to_string());
        }
    }
    if out.len() > MAX_WORDS {
        return Err(AppError::invalid("text", format!("最多 {MAX_WORDS} 个词")));
    }
    Ok(out)
}

/// Replaces the list; one audit entry naming what was added and removed.
pub async fn replace<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, new: &[String]) -> Result<(), DbErr> {
    let old = words(c).await?;
    let added: Vec<&String> = new.iter().filter(|w| !old.contains(w)).collect();
    let removed: Vec<&String> = old.iter().filter(|w| !new.contains(w)).collect();
    if added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    for w in &removed {
        db::exec(c, "DELETE FROM hold_words WHERE word = $1", vec![w.as_str().into()]).await?;
    }
    for w in &added {
        db::exec(
            c,
            "INSERT INTO hold_words (word, created_at) VALUES ($1, $2)",
            vec![w.as_str().into(), db::now().into()],
        )
        .await?;
    }
    let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("、");
    Change::audited(
        "opinion_hold_words",
        "hold_words",
        "",
        format!("增加：{}；删除：{}", list(&added), list(&removed)),
    )
    .append(c, key, actor)
    .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "opinions/words.html")]
struct WordsTpl {
    l: Layout,
    words: Vec<String>,
    text: String,
    held: i64,
    errors: Errors,
}

async fn tpl(s: &AppState, page: &Page, text: Option<String>, errors: Errors) -> AppResult<WordsTpl> {
    let words = words(&s.db).await?;
    let held = db::scalar_i64(&s.db, "SELECT count(*) FROM handling_items WHERE state = 'held'", vec![]).await?;
    Ok(WordsTpl {
        l: page.layout("待审核词语", &[("/console/opinions", "民意办理"), ("/console/opinions/words", "待审核词语")]),
        text: text.unwrap_or_else(|| words.join("\n")),
        words,
        held,
        errors,
    })
}

fn check(s: &AppState, p: &Principal, ip: &ClientIp) -> impl Future<Output = AppResult<()>> {
    guard::check(s, p, ip, Action::Update, &Resource::Settings, "hold_words")
}

/// Whether the menu shows the page.
pub fn may_edit(p: &Principal) -> bool {
    allowed(p, Action::Update, &Resource::Settings)
}

async fn page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    render(&tpl(&s, &page, None, Errors::default()).await?)
}

#[derive(Default, Deserialize)]
pub struct WordsForm {
    #[serde(default)]
    pub text: String,
}

async fn save(Console { page, p, s, ip }: Console, Form(f): Form<WordsForm>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let result = async {
        let list = parse(&f.text)?;
        write(&s, &p, &ip, async |w| Ok(replace(w.txn(), w.key(), w.actor(), &list).await?)).await?;
        Ok::<_, AppError>(list.len())
    }
    .await;
    form_answer(
        result,
        |n| redirect_with_flash("/console/opinions/words", &format!("已保存，共 {n} 个词")),
        async |errors| crate::app::forms::unprocessable(&tpl(&s, &page, Some(f.text.clone()), errors).await?),
    )
    .await
}
