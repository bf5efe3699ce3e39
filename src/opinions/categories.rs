//! OPN-2: the category taxonomy, configurable per installation (`opinion_categories`), edited
//! by the installation's admin at `/console/opinions/categories`, audited. A category is added
//! with a name and a stable ASCII code (the Open311 `service_code`), moved up the list, or
//! retired and brought back; it is never renamed or deleted, because opinions keep its name —
//! a retired category is no longer offered but still finds the opinions filed under it.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use sea_orm::ConnectionTrait;
use serde::Deserialize;

use super::model::{self, Category, TaxonomyCache};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form};
use crate::app::fields::FieldErrors;
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::audit::{self, Actor, Change};
use crate::auth::{Action, Principal, Resource};
use crate::db;

const PATH: &str = "/console/opinions/categories";
/// Longest name, longest code, most categories: a taxonomy, not a dictionary.
const MAX_NAME: usize = 12;
const MAX_CODE: usize = 40;
const MAX_CATEGORIES: usize = 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/opinions/categories", get(page).post(add))
        .route("/console/opinions/categories/{id}/toggle", post(toggle))
        .route("/console/opinions/categories/{id}/up", post(up))
}

/// A new category as typed in the form.
#[derive(Clone, Default, Deserialize)]
pub struct NewCategory {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub code: String,
}

/// Checks a new category against the taxonomy, every field at once.
pub fn validate(new: &NewCategory, existing: &[Category]) -> AppResult<()> {
    let mut errors = FieldErrors::new();
    let n = new.name.chars().count();
    if n == 0 {
        errors.add("name", "请填写类别名称");
    } else if n > MAX_NAME {
        errors.add("name", format!("类别名称不超过 {MAX_NAME} 个字"));
    } else if new.name == "未分类" {
        errors.add("name", "「未分类」是尚未确定类别时的说法，不能作为类别");
    } else if existing.iter().any(|c| c.name == new.name) {
        errors.add("name", format!("已有类别「{}」（停用的类别可以恢复）", new.name));
    }
    let code_ok = |c: &str| {
        c.len() <= MAX_CODE
            && c.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if new.code.is_empty() {
        errors.add("code", "请填写编码（英文小写字母、数字和下划线，如 water_supply）");
    } else if !code_ok(&new.code) || new.code == model::UNCLASSIFIED_CODE {
        errors.add("code", format!("编码须以英文小写字母开头，只含小写字母、数字和下划线，不超过 {MAX_CODE} 个字符"));
    } else if existing.iter().any(|c| c.code == new.code) {
        errors.add(
            "code",
            format!(
                "编码 {} 已被「{}」使用",
                new.code,
                existing.iter().find(|c| c.code == new.code).map(|c| c.name.as_str()).unwrap_or("")
            ),
        );
    }
    if existing.len() >= MAX_CATEGORIES {
        errors.add("name", format!("最多 {MAX_CATEGORIES} 个类别"));
    }
    errors.check()
}

fn changed(action: &'static str, id: i64, summary: String) -> Change<'static> {
    Change::audited(action, "opinion_category", id, summary)
}

/// Adds a category at the end of the list; audited.
pub async fn create<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, new: &NewCategory) -> AppResult<i64> {
    validate(new, &model::load_taxonomy(c).await?.items)?;
    let sort = db::scalar_i64(c, "SELECT coalesce(max(sort), 0) + 10 FROM opinion_categories", vec![]).await?;
    let id = db::insert_id(
        c,
        "INSERT INTO opinion_categories (code, name, sort, active, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![new.code.clone().into(), new.name.clone().into(), sort.into(), true.into(), db::now().into()],
    )
    .await?;
    audit::append(
        c,
        key,
        actor,
        changed("opinion_category_add", id, format!("新增类别：{}（{}）", new.name, new.code)),
    )
    .await?;
    Ok(id)
}

async fn category<C: ConnectionTrait>(c: &C, id: i64) -> AppResult<Category> {
    model::load_taxonomy(c).await?.items.into_iter().find(|x| x.id == id).ok_or(AppError::NotFound)
}

/// Retires an active category or brings a retired one back; audited. At least one category
/// stays offered.
pub async fn set_active<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, id: i64) -> AppResult<bool> {
    let cat = category(c, id).await?;
    let active = !cat.active;
    if !active
        && db::scalar_i64(c, "SELECT count(*) FROM opinion_categories WHERE active = $1", vec![true.into()]).await? <= 1
    {
        return Err(AppError::invalid("", "至少保留一个在用的类别"));
    }
    db::exec(c, "UPDATE opinion_categories SET active = $1 WHERE id = $2", vec![active.into(), id.into()]).await?;
    let said = if active { "恢复类别" } else { "停用类别" };
    audit::append(c, key, actor, changed("opinion_category_toggle", id, format!("{said}：{}", cat.name))).await?;
    Ok(active)
}

/// Moves a category one place up the list (swapping with the one above); audited.
pub async fn move_up<C: ConnectionTrait>(c: &C, key: &[u8], actor: &Actor, id: i64) -> AppResult<()> {
    let rows = db::query_rows(c, "SELECT id, sort FROM opinion_categories ORDER BY sort, id", vec![]).await?;
    let list: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let i = list.iter().position(|(x, _)| *x == id).ok_or(AppError::NotFound)?;
    if i == 0 {
        return Ok(());
    }
    // Renumbered in steps of ten with the two swapped, so equal sort keys cannot stick.
    let mut order: Vec<i64> = list.iter().map(|(x, _)| *x).collect();
    order.swap(i - 1, i);
    for (n, x) in order.iter().enumerate() {
        db::exec(
            c,
            "UPDATE opinion_categories SET sort = $1 WHERE id = $2",
            vec![((n as i64 + 1) * 10).into(), (*x).into()],
        )
        .await?;
    }
    let cat = category(c, id).await?;
    audit::append(c, key, actor, changed("opinion_category_move", id, format!("类别上移：{}", cat.name))).await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "opinions/categories.html")]
struct CategoriesTpl {
    l: Layout,
    items: Vec<Category>,
    v: NewCategory,
    errors: Errors,
}

async fn tpl(s: &AppState, page: &Page, v: NewCategory, errors: Errors) -> AppResult<CategoriesTpl> {
    Ok(CategoriesTpl {
        l: page.layout("意见类别", &[("/console/opinions", "民意办理"), (PATH, "意见类别")]),
        items: model::load_taxonomy(&s.db).await?.items,
        v,
        errors,
    })
}

fn check(s: &AppState, p: &Principal, ip: &ClientIp) -> impl Future<Output = AppResult<()>> {
    guard::check(s, p, ip, Action::Update, &Resource::Settings, "opinion_categories")
}

/// After a change on this node: its cached taxonomy goes at once (other nodes within
/// [`model::TAXONOMY_TTL_SECS`]).
fn forget(s: &AppState) -> impl FnOnce() + Send + 'static {
    let cache = s.ext.get_or_default::<TaxonomyCache>();
    move || cache.0.clear()
}

async fn page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    render(&tpl(&s, &page, NewCategory::default(), Errors::default()).await?)
}

async fn add(Console { page, p, s, ip }: Console, Form(f): Form<NewCategory>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let result = write(&s, &p, &ip, async |w| {
        w.after_commit(forget(&s));
        create(w.txn(), w.key(), w.actor(), &f).await
    })
    .await;
    form_answer(
        result,
        |_| redirect_with_flash(PATH, &format!("已新增类别「{}」", f.name)),
        async |errors| crate::app::forms::unprocessable(&tpl(&s, &page, f.clone(), errors).await?),
    )
    .await
}

fn id_of(raw: &str) -> AppResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or(AppError::NotFound)
}

async fn toggle(Console { page, p, s, ip }: Console, Path(id): Path<String>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let id = id_of(&id)?;
    let result = write(&s, &p, &ip, async |w| {
        w.after_commit(forget(&s));
        set_active(w.txn(), w.key(), w.actor(), id).await
    })
    .await;
    form_answer(
        result,
        |active| {
            redirect_with_flash(
                PATH,
                if active {
                    "已恢复该类别"
                } else {
                    "已停用该类别：不再供选择，已归入它的意见不变"
                },
            )
        },
        async |errors| crate::app::forms::unprocessable(&tpl(&s, &page, NewCategory::default(), errors).await?),
    )
    .await
}

async fn up(Caller { p, s, ip }: Caller, Path(id): Path<String>) -> AppResult<Response> {
    check(&s, &p, &ip).await?;
    let id = id_of(&id)?;
    write(&s, &p, &ip, async |w| {
        w.after_commit(forget(&s));
        move_up(w.txn(), w.key(), w.actor(), id).await
    })
    .await?;
    Ok(redirect_with_flash(PATH, "已调整顺序"))
}
