//! The console pages of 代表建议: the list (a deputy's own and co-signed ones, with the
//! invitations to co-sign; staff's submitted ones with a batch 交办 for a 交办会; a unit's
//! assigned ones), a deputy's new suggestion with the quality check after it, and the page of
//! one suggestion with its actions and the loop's panel.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::api::{ListQuery, filter_of, scope_of, visible};
use super::draft_form::{self, DraftForm, Target};
use super::model::{self, Cosigner, Stage, Suggestion};
use super::service::{self, Quality};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, Form, PathId, Query};
use crate::app::forms::{Opt, opts};
use crate::app::listing::{Paging, query_string};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::Field;
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource, Role};
use crate::handling::flow::UnitRole;
use crate::handling::pages::{LoopView, loop_view};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/suggestions", get(list))
        .route("/console/suggestions/new", get(new_form).post(create))
        .route("/console/suggestions/assign", post(assign_batch))
        .route("/console/suggestions/stats", get(stats))
        .route("/console/suggestions/notice", get(notice))
        .route("/console/suggestions/carry-over", get(super::drafts_pages::carry_preview).post(carry_over))
        .route("/console/suggestions/item/{id}", get(by_item))
        .route("/console/suggestions/{id}", get(detail))
        .route("/console/suggestions/{id}/act", post(act))
}

#[derive(Template)]
#[template(path = "suggestions/list.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<Suggestion>,
    pager: crate::app::paging::Pager,
    now: i64,
    states: Vec<Opt>,
    /// A deputy may write one; staff may 交办 those listed in a batch.
    can_write: bool,
    can_assign: bool,
    units: Vec<(i64, String)>,
    roles: Vec<Opt>,
    /// The deputy's cards on a phone (`workspace`).
    cards: Vec<super::workspace::Card>,
}

fn state_opts(selected: &str) -> Vec<Opt> {
    let loop_states = [
        ("assigned", "已交办"),
        ("in_progress", "办理中"),
        ("replied", "已答复"),
        ("rehandling", "二次办理"),
        ("following", "跟踪办理"),
        ("closed", "已办结"),
    ];
    opts(Stage::ALL.iter().map(|s| (s.as_str(), s.label())).chain(loop_states), selected)
}

/// Suggestions on a page of the console list.
const PAGE: u64 = 200;

async fn units_of(s: &AppState, p: &Principal) -> AppResult<Vec<(i64, String)>> {
    let rows = crate::db::query_rows(
        &s.db,
        "SELECT u.id, u.name FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.active = true \
         AND (o.path LIKE $1 OR $2 LIKE o.path || '%') ORDER BY u.name LIMIT 500",
        vec![format!("{}%", crate::db::like_escape(&p.organ_path)).into(), p.organ_path.clone().into()],
    )
    .await?;
    Ok(rows.iter().filter_map(|r| Some((r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?))).collect())
}

async fn list(page: Page, Auth(p): Auth, State(s): State<AppState>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let scope = scope_of(&p);
    if scope.organ_path.is_none() && scope.unit_id.is_none() && scope.deputy_id.is_none() {
        return Err(AppError::NotFound);
    }
    let f = filter_of(&q)?;
    let now = crate::db::now();
    let (year, unit) = (q.year.map(|y| y.to_string()), q.unit_id.map(|u| u.to_string()));
    let qs = query_string(&[
        ("state", &q.state),
        ("year", &year),
        ("unit_id", &unit),
        ("category", &q.category),
        ("key", &q.key),
        ("overdue", &q.overdue),
        ("q", &q.q),
    ]);
    let paging = Paging { path: "/console/suggestions", qs: &qs, page: q.page.as_deref(), size: PAGE };
    let total = super::kept::total(&s, &scope, &f, now).await?;
    let (rows, pager) = paging
        .keyset_by(
            total,
            &q.after,
            async |after, limit| {
                let after = after.and_then(model::After::parse);
                model::page_after(&s.db, &scope, &f, now, limit as i64, after.as_ref()).await
            },
            |r| model::After::of(r).encode(),
        )
        .await?;
    let can_assign = scope.organ_path.is_some() && (p.has(Role::Admin) || p.has(Role::Staff));
    let cards = if can_assign { Vec::new() } else { super::workspace::deputy_cards(&s, &p, &rows, now).await? };
    render(&ListTpl {
        l: page.layout("代表建议", &[]),
        cards,
        rows,
        pager,
        now,
        states: state_opts(q.state.as_deref().unwrap_or("")),
        can_write: p.has(Role::Deputy) && p.deputy_id.is_some(),
        units: if can_assign { units_of(&s, &p).await? } else { Vec::new() },
        roles: opts(UnitRole::ALL.map(|r| (r.as_str(), r.label())), "lead"),
        can_assign,
    })
}

fn author(p: &Principal) -> AppResult<i64> {
    p.deputy_id.filter(|_| p.has(Role::Deputy)).ok_or_else(|| AppError::Forbidden("只有代表可以提出建议".into()))
}

async fn new_form(page: Page, Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let me = author(&p)?;
    draft_form::page(&page, &s, Target::New, me, DraftForm::default(), String::new()).await
}

async fn create(Console { page, p, s, ip }: Console, Form(f): Form<DraftForm>) -> AppResult<Response> {
    let me = author(&p)?;
    let now = crate::db::now();
    let done = match f.draft() {
        Ok(draft) => {
            write(&s, &p, &ip, async |w| service::create(w.txn(), w.key(), w.actor(), me, &draft, now).await).await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(id) => Ok(redirect_with_flash(&format!("/console/suggestions/{id}"), "已保存草稿，请查看质量检查后提交")),
        Err(e) => draft_form::page(&page, &s, Target::New, me, f, draft_form::messages(e)?).await,
    }
}

#[derive(Template)]
#[template(path = "suggestions/detail.html")]
struct DetailTpl {
    l: Layout,
    sg: Suggestion,
    cosigners: Vec<Cosigner>,
    quality: Quality,
    lp: Option<LoopView>,
    /// What this caller may do now.
    can_cosign: bool,
    can_submit: bool,
    can_triage: bool,
    /// Files, 会商, external references.
    x: super::drafts::Extra,
    /// The deputy groups' field visits about it (SUG-6), and whether the caller may record one.
    visits: Vec<super::visits::Visit>,
    can_visit: bool,
}

async fn by_item(Caller { p, s, ip }: Caller, PathId(item): PathId) -> AppResult<Response> {
    crate::handling::visible_item(&s, &p, &ip, item).await?;
    let sg = model::by_item(&s.db, item).await?.ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/console/suggestions/{}", sg.id)).into_response())
}

async fn detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let sg = visible(&s, &p, &ip, id, Action::View).await?;
    let cosigners = model::cosigners(&s.db, id).await?;
    let facts = super::drafts::facts(&s.db, id).await?;
    let draft = facts.resource(&sg);
    let me = p.deputy_id.filter(|_| p.has(Role::Deputy));
    let lp = match sg.item_id {
        Some(item) => {
            let item = crate::handling::model::item(&s.db, item).await?.ok_or(AppError::NotFound)?;
            Some(loop_view(&s, &p, &item).await?)
        }
        None => None,
    };
    let in_group = match me {
        Some(d) => !super::drafts::groups_of(&s.db, d).await?.is_empty(),
        None => false,
    };
    let can_visit = sg.item_id.is_some()
        && allows(&p, Action::Create, &Resource::GroupVisit { organ_path: &p.organ_path, member: in_group });
    render(&DetailTpl {
        l: page.layout(&sg.title, &[("/console/suggestions", "代表建议")]),
        visits: super::visits::of_suggestion(&s.db, id).await?,
        can_visit,
        can_cosign: allows(&p, Action::Change(Field::ItemDeputyWork), &draft)
            && cosigners.iter().any(|k| Some(k.person_id) == me && k.confirmed_at.is_none()),
        can_submit: allows(&p, Action::Update, &draft),
        can_triage: allows(&p, Action::Change(Field::ItemTriage), &draft),
        quality: super::similar::quality(&s, &sg).await?,
        x: super::drafts::extra(&s, &p, &sg).await?,
        cosigners,
        lp,
        sg,
    })
}

crate::base::codes::code_enum! {
    /// A suggestion's own action on its page; the label is what the page says when it is done.
    enum Act {
        Cosign = ("cosign", "已确认联名"),
        Submit = ("submit", "已提交"),
        Register = ("register", "已登记"),
        Key = ("key", "已列为重点建议"),
        Unkey = ("unkey", "已取消重点建议"),
        AcceptBill = ("accept_bill", "已记录立案决定"),
        ConvertBill = ("convert_bill", "已记录不予立案、作为建议处理的决定"),
    }
}

#[derive(Deserialize, Default)]
struct ActForm {
    /// Which button: none, or one the page does not have, is refused.
    #[serde(default)]
    action: Option<Act>,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    leader: String,
    #[serde(default)]
    note: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    delegation: bool,
}

/// The suggestion's own actions (the loop's steps post to `/console/handling/{item}/step`).
async fn act(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<ActForm>) -> AppResult<Response> {
    let seen = visible(&s, &p, &ip, id, Action::View).await?;
    let facts = super::drafts::facts(&s.db, id).await?;
    let draft = facts.resource(&seen);
    let acts = [Action::Update, Action::Change(Field::ItemDeputyWork), Action::Change(Field::ItemTriage)];
    if !acts.into_iter().any(|a| allows(&p, a, &draft)) {
        return Err(AppError::Forbidden("无权对此建议进行操作".into()));
    }
    let act = f.action.ok_or_else(|| AppError::BadRequest("未知的操作".into()))?;
    let action = match act {
        Act::Cosign => Action::Change(Field::ItemDeputyWork),
        Act::Submit => Action::Update,
        Act::Register | Act::Key | Act::Unkey | Act::AcceptBill | Act::ConvertBill => Action::Change(Field::ItemTriage),
    };
    let sg = visible(&s, &p, &ip, id, action).await?;
    let now = crate::db::now();
    let me = p.deputy_id;
    write(&s, &p, &ip, async |w| {
        let (txn, key, actor) = (w.txn(), w.key(), w.actor());
        match act {
            Act::Cosign => service::cosign(txn, key, actor, &sg, me.unwrap_or(0), now).await,
            Act::Submit => service::submit(txn, key, actor, &sg, f.delegation, now).await.map(drop),
            Act::Register => service::register(txn, key, actor, &sg, now).await.map(drop),
            Act::Key => service::set_key(txn, key, actor, &sg, true, &f.leader, now).await,
            Act::Unkey => service::set_key(txn, key, actor, &sg, false, "", now).await,
            Act::AcceptBill => service::decide_bill(w, &sg, true, &f.note, now).await,
            Act::ConvertBill => service::decide_bill(w, &sg, false, &f.note, now).await,
        }
    })
    .await?;
    Ok(redirect_with_flash(&format!("/console/suggestions/{id}"), act.label()))
}

#[derive(Deserialize, Default)]
struct BatchForm {
    /// Repeated: the suggestions chosen.
    #[serde(default)]
    id: Vec<String>,
    #[serde(default)]
    unit: Vec<String>,
    #[serde(default)]
    role: Vec<String>,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    months: String,
    #[serde(default)]
    text: String,
}

/// A 交办会 from the list: the chosen suggestions to the same units, all or nothing.
async fn assign_batch(Caller { p, s, ip }: Caller, Form(f): Form<BatchForm>) -> AppResult<Response> {
    let ids: Vec<i64> = f.id.iter().filter_map(|x| x.trim().parse().ok()).collect();
    let mut units = Vec::new();
    for (i, u) in f.unit.iter().enumerate().filter(|(_, u)| !u.trim().is_empty()) {
        let unit = u.trim().parse::<i64>().map_err(|_| AppError::invalid("units", "承办单位无效"))?;
        let role = UnitRole::parse(f.role.get(i).map(|r| r.trim()).unwrap_or("lead"))
            .ok_or_else(|| AppError::invalid("units", "承办方式无效"))?;
        units.push((unit, role));
    }
    let months = if f.months.is_empty() {
        None
    } else {
        Some(f.months.parse::<u32>().map_err(|_| AppError::invalid("months", "请填写整数"))?)
    };
    let n = super::api::assign_many(&s, &p, &ip, &ids, &units, months, &f.text).await?;
    Ok(redirect_with_flash("/console/suggestions", &format!("已集中交办 {n} 件建议")))
}

#[derive(Template)]
#[template(path = "suggestions/stats.html")]
struct StatsTpl {
    l: Layout,
    f: super::stats::Stats,
    /// Staff may carry a year's followed suggestions over.
    can_carry: bool,
    this_year: i64,
    sessions: Vec<Opt>,
    year: String,
}

#[derive(Deserialize, Default)]
struct StatsQuery {
    year: Option<i64>,
    session: Option<i64>,
}

async fn stats(
    page: Page,
    Auth(p): Auth,
    State(s): State<AppState>,
    Query(q): Query<StatsQuery>,
) -> AppResult<Response> {
    if !allows(&p, Action::View, &Resource::OrganTree { organ_path: &p.organ_path }) {
        return Err(AppError::NotFound);
    }
    let period = super::stats::Period::checked(q.year, q.session)?;
    let f = super::stats::figures(&s, &p, period).await?;
    let at_organ =
        Resource::Draft { organ_path: &p.organ_path, author: 0, co_authors: &[], participants: &[], submitted: true };
    let this_year = i64::from(chrono::Datelike::year(&crate::calendar::beijing_date(crate::db::now())));
    let series = super::stats::sessions(&s.db, &p.organ_path).await?;
    let selected = q.session.map(|x| x.to_string()).unwrap_or_default();
    let sessions = opts(
        std::iter::once((String::new(), "全部".to_string()))
            .chain(series.iter().map(|x| (x.id.to_string(), x.name.clone()))),
        &selected,
    );
    render(&StatsTpl {
        l: page.layout("建议办理统计", &[("/console/suggestions", "代表建议")]),
        f,
        can_carry: allows(&p, Action::Change(Field::ItemTriage), &at_organ),
        this_year,
        sessions,
        year: q.year.map(|y| y.to_string()).unwrap_or_default(),
    })
}

#[derive(Deserialize, Default)]
struct CarryForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    year: String,
}

/// 跨年结转 from the statistics page.
async fn carry_over(Caller { p, s, ip }: Caller, Form(f): Form<CarryForm>) -> AppResult<Response> {
    let n = super::api::carry(&s, &p, &ip, f.year.parse::<i64>().ok()).await?;
    Ok(redirect_with_flash("/console/suggestions/stats", &format!("已结转 {n} 件跟踪办理的建议")))
}

#[derive(Template)]
#[template(path = "suggestions/notice.html")]
struct NoticeTpl {
    l: Layout,
    organ: String,
    unit: String,
    on: String,
    rows: Vec<model::Notice>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    unit: Option<i64>,
    on: Option<String>,
}

/// The printable 交办通知书 of one unit: the suggestions given to it (on one day, a 交办会's, or
/// all), each with its role and deadlines. Staff of the unit's organ, or the unit itself.
async fn notice(Console { page, p, s, ip }: Console, Query(q): Query<NoticeQuery>) -> AppResult<Response> {
    let unit = q.unit.filter(|u| *u > 0).ok_or_else(|| AppError::invalid("unit", "请选择承办单位"))?;
    let rows = crate::db::query_rows(
        &s.db,
        "SELECT u.name, o.path, o.name FROM handling_units u JOIN organs o ON o.id = u.organ_id WHERE u.id = $1",
        vec![unit.into()],
    )
    .await?;
    let r = rows.first().ok_or(AppError::NotFound)?;
    let (name, path, organ): (String, String, String) =
        (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
    crate::app::guard::check(
        &s,
        &p,
        &ip,
        Action::View,
        &Resource::HandlingUnit { id: unit, organ_path: &path },
        &unit.to_string(),
    )
    .await?;
    let own_unit = p.has(Role::Unit) && p.unit_id == Some(unit);
    let at_organ =
        Resource::Draft { organ_path: &p.organ_path, author: 0, co_authors: &[], participants: &[], submitted: true };
    if !own_unit && !allows(&p, Action::Change(Field::ItemTriage), &at_organ) {
        return Err(AppError::Forbidden("交办通知书由交办机关打印".into()));
    }
    let on = match q.on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => {
            Some(crate::app::fmt::parse_iso_date(d).ok_or_else(|| AppError::invalid("on", "日期格式应为 YYYY-MM-DD"))?)
        }
        None => None,
    };
    let on_text = on.map(|d| d.format("%Y-%m-%d").to_string());
    let rows = model::notices(&s.db, unit, on_text.as_deref()).await?;
    let organ = organ.replace("人民代表大会", "人大");
    render(&NoticeTpl {
        l: page.layout("交办通知书", &[("/console/suggestions", "代表建议")]),
        organ,
        unit: name,
        on: on_text.unwrap_or_default(),
        rows,
    })
}
