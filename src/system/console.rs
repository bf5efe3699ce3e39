//! The staff console and the sign-in pages (PLAT-18).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::caller::{Caller, Console};
use crate::app::error::AppResult;
use crate::app::extract::{Auth, Form, PathId, Query};
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
        .route("/console/inbox/read-all", post(mark_all_read))
        .route("/console/sms", get(sms_outbox))
        .route("/console/account", get(session::account_page))
        .route("/console/account/password", post(session::change_password))
        .route("/console/account/confirm", post(session::confirm_identity))
        .route("/console/account/totp", get(session::totp_page).post(session::totp_confirm))
        .route("/console/account/totp/disable", post(session::totp_disable))
        .route("/console/account/tokens", post(session::token_create))
        .route("/console/account/tokens/{id}/revoke", post(session::token_revoke))
}

/// A message as the inbox shows it: what it is about (the kind's name and the record's title,
/// from the record kinds the modules declare) and where it leads.
pub struct Notice {
    pub n: crate::notify::Notice,
    /// 「民意」, 「预约」 …; empty for a message about no record.
    pub kind: String,
    /// The record's title (a tracking number, a suggestion's title); empty when it has none.
    pub item: String,
}

impl Notice {
    pub fn when(&self) -> String {
        fmt::datetime(self.n.created_at)
    }
    pub fn unread(&self) -> bool {
        self.n.read_at.is_none()
    }
}

/// The Chinese name of a kind of message (`""`: messages about no record).
fn kind_label(s: &AppState, kind: &str) -> String {
    match kind {
        "" => "其他".into(),
        k => s.modules.record(k).map_or_else(|| k.to_string(), |r| r.label.to_string()),
    }
}

/// Names each message's item: its kind's label and its record's title.
async fn named(s: &AppState, rows: Vec<crate::notify::Notice>) -> AppResult<Vec<Notice>> {
    let refs: Vec<(String, String)> =
        rows.iter().filter_map(|n| Some((n.item_type.clone()?, n.item_id?.to_string()))).collect();
    let titles = super::admin_audit::record_titles(s, &refs).await?;
    Ok(rows
        .into_iter()
        .map(|n| {
            let item = match (&n.item_type, n.item_id) {
                (Some(t), Some(id)) => {
                    titles.get(&(t.clone(), id.to_string())).cloned().unwrap_or_else(|| format!("#{id}"))
                }
                _ => String::new(),
            };
            let kind = n.item_kind.as_deref().map(|k| kind_label(s, k)).unwrap_or_default();
            Notice { n, kind, item }
        })
        .collect())
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
    let notices = named(&s, crate::notify::unread(&s.db, p.account_id, 5).await?).await?;
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
    /// The kinds of the account's messages: (value, name, unread).
    kinds: Vec<(String, String, i64)>,
    kind: String,
    unread: i64,
    pager: crate::app::paging::Pager,
}

const INBOX: &str = "/console/inbox";
const INBOX_PAGE: u64 = 20;
/// The filter value of messages about no record.
const OTHER: &str = "other";

#[derive(serde::Deserialize, Default)]
struct InboxQuery {
    kind: Option<String>,
    before: Option<String>,
    page: Option<String>,
}

fn kind_filter(kind: &str) -> Option<&str> {
    match kind {
        "" => None,
        OTHER => Some(""),
        k => Some(k),
    }
}

/// The inbox (PLAT-11): every message names its item and leads to it; paged, newest first,
/// filtered by kind, 「全部标为已读」.
async fn inbox(Console { page, p, s, .. }: Console, Query(q): Query<InboxQuery>) -> AppResult<Response> {
    let kind = crate::app::query::text(&q.kind);
    let filter = kind_filter(&kind);
    let before = crate::app::query::id(&q.before);
    let rows = crate::notify::notices(&s.db, p.account_id, filter, before, INBOX_PAGE).await?;
    let total = crate::notify::count(&s.db, p.account_id, filter).await?;
    let next = (rows.len() as u64 == INBOX_PAGE).then(|| rows.last().map(|n| format!("before={}", n.id))).flatten();
    let qs = crate::app::query::string(&[("kind", &q.kind)]);
    let pager = crate::app::paging::Pager::new(
        INBOX,
        &qs,
        total,
        INBOX_PAGE,
        crate::app::paging::Pager::page_param(q.page.as_deref()),
        next,
    );
    let mut kinds: Vec<(String, String, i64)> = crate::notify::kinds(&s.db, p.account_id)
        .await?
        .into_iter()
        .map(|(k, unread)| {
            let label = kind_label(&s, &k);
            (if k.is_empty() { OTHER.to_string() } else { k }, label, unread)
        })
        .collect();
    // 其他 (messages about no record) last.
    kinds.sort_by_key(|(k, _, _)| k == OTHER);
    let unread = kinds.iter().map(|(_, _, n)| n).sum();
    render(&InboxTpl {
        l: page.layout("消息", &[("/console", "工作台"), (INBOX, "消息")]),
        notices: named(&s, rows).await?,
        kinds,
        kind,
        unread,
        pager,
    })
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
    Ok(redirect_with_flash(INBOX, "已标记为已读"))
}

#[derive(serde::Deserialize, Default)]
struct ReadAllForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
}

/// 「全部标为已读」: the caller's own unread messages, of the kind shown when one is.
async fn mark_all_read(Caller { p, s, ip }: Caller, Form(f): Form<ReadAllForm>) -> AppResult<Response> {
    let me = Resource::Inbox { owner_id: p.account_id };
    crate::app::guard::check(&s, &p, &ip, Action::Update, &me, "all").await?;
    let filter = kind_filter(&f.kind);
    let n =
        write(&s, &p, &ip, async |w| Ok(crate::notify::mark_all_read(w.txn(), p.account_id, filter).await?)).await?;
    let back = if f.kind.is_empty() {
        INBOX.to_string()
    } else {
        format!("{INBOX}?{}", serde_urlencoded::to_string([("kind", f.kind.as_str())]).unwrap_or_default())
    };
    Ok(redirect_with_flash(&back, &format!("已将 {n} 条消息标为已读")))
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
