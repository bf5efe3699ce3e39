//! The staff console and the sign-in pages (PLAT-18).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use sea_orm::FromQueryResult;

use crate::app::caller::{Caller, Console};
use crate::app::error::AppResult;
use crate::app::extract::{Auth, Form, PathId};
use crate::app::fmt;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::{Action, Decision, Resource, authz};
use crate::db;
use crate::system::session;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(session::login_page).post(session::login_submit))
        .route("/logout", post(session::logout))
        .route("/console", get(home))
        .route("/console/inbox", get(inbox))
        .route("/console/inbox/{id}/read", post(mark_read))
        .route("/console/sms", get(sms_outbox))
        .route("/console/account", get(session::account_page))
        .route("/console/account/password", post(session::change_password))
        .route("/console/account/confirm", post(session::confirm_identity))
        .route("/console/account/totp", get(session::totp_page).post(session::totp_confirm))
        .route("/console/account/totp/disable", post(session::totp_disable))
        .route("/console/account/tokens", post(session::token_create))
        .route("/console/account/tokens/{id}/revoke", post(session::token_revoke))
}

#[derive(FromQueryResult)]
pub struct Notice {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl Notice {
    pub fn when(&self) -> String {
        fmt::datetime(self.created_at)
    }
}

struct Fact {
    label: &'static str,
    value: String,
    href: &'static str,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomeTpl {
    l: Layout,
    greeting: String,
    facts: Vec<Fact>,
    notices: Vec<Notice>,
}

async fn home(page: Page, Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let notices: Vec<Notice> = db::query_all(
        &s.db,
        "SELECT id, title, body, link, created_at, read_at FROM notifications WHERE account_id = $1 AND read_at IS NULL ORDER BY id DESC LIMIT 5",
        vec![p.account_id.into()],
    )
    .await?;
    let mut facts = Vec::new();
    let like = format!("{}%", db::like_escape(&p.organ_path));
    if authz::decide(&p, Action::View, &Resource::AuditHistory { organ_path: &p.organ_path }) == Decision::Allow {
        let organs = db::scalar_i64(
            &s.db,
            "SELECT count(*) FROM organs WHERE path LIKE $1 ESCAPE '\\'",
            vec![like.clone().into()],
        )
        .await?;
        facts.push(Fact {
            label: "本级及下级机关", value: fmt::thousands(organs), href: "/console/admin/organs"
        });
    }
    if authz::decide(&p, Action::View, &Resource::Account { id: -1, organ_path: &p.organ_path }) == Decision::Allow {
        let accounts = db::scalar_i64(
            &s.db,
            "SELECT count(*) FROM accounts a JOIN organs o ON o.id = a.organ_id WHERE o.path LIKE $1 ESCAPE '\\' AND a.disabled = $2",
            vec![like.into(), false.into()],
        )
        .await?;
        facts.push(Fact { label: "在用账号", value: fmt::thousands(accounts), href: "/console/admin/accounts" });
    }
    let greeting = format!("{}，您好。今天是{}。", p.display_name, fmt::date_prose(db::now()));
    render(&HomeTpl { l: page.layout("工作台", &[]), greeting, facts, notices })
}

#[derive(Template)]
#[template(path = "console/inbox.html")]
struct InboxTpl {
    l: Layout,
    notices: Vec<Notice>,
}

async fn inbox(page: Page, Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let notices: Vec<Notice> = db::query_all(
        &s.db,
        "SELECT id, title, body, link, created_at, read_at FROM notifications WHERE account_id = $1 ORDER BY id DESC LIMIT 200",
        vec![p.account_id.into()],
    )
    .await?;
    render(&InboxTpl { l: page.layout("消息", &[("/console", "工作台"), ("/console/inbox", "消息")]), notices })
}

#[derive(serde::Deserialize)]
struct Empty {}

async fn mark_read(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(_): Form<Empty>) -> AppResult<Response> {
    let owner =
        db::scalar_i64(&s.db, "SELECT COALESCE(MAX(account_id), 0) FROM notifications WHERE id = $1", vec![id.into()])
            .await?;
    crate::app::guard::check(&s, &p, &ip, Action::Update, &Resource::Inbox { owner_id: owner }, &id.to_string())
        .await?;
    write(&s, &p, &ip, async |w| Ok(crate::notify::mark_read(w.txn(), id).await?)).await?;
    Ok(redirect_with_flash("/console/inbox", "已标记为已读"))
}

#[derive(Template)]
#[template(path = "console/sms.html")]
struct SmsTpl {
    l: Layout,
    lines: Vec<crate::notify::OutboxLine>,
    limit: i64,
}

/// The built-in SMS provider's outbox (PLAT-11), for the installation's admin: numbers masked.
async fn sms_outbox(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    let root = crate::org::default_organ(&s.db).await?.ok_or(crate::app::error::AppError::NotFound)?;
    crate::app::guard::check(&s, &p, &ip, Action::View, &Resource::Jobs { organ_path: &root.path }, "sms").await?;
    const LIMIT: i64 = 200;
    let lines = crate::notify::outbox(&s.db, LIMIT).await?;
    render(&SmsTpl {
        l: page.layout("短信发件箱", &[("/console", "工作台"), ("/console/sms", "短信发件箱")]),
        lines,
        limit: LIMIT,
    })
}
