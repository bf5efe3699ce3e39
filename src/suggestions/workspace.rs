//! The two workspaces of 代表建议 (issue 15, ui.md "what they need first"): a handling unit's
//! (`/console/suggestions/mine`: what is due this week — reply and 协办 opinion deadlines within
//! seven days, overdue ones on top in red — then the rest at work, each with its role, deadline,
//! working days left and whether a contact with the deputy is recorded), and the deputy's cards
//! on a phone (the list page: number, state, the units, what waits for them — 待确认联名,
//! 待提交, 待评价 — with its button).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use sea_orm::FromQueryResult;

use super::model::Suggestion;
use crate::app::error::AppResult;
use crate::app::extract::Auth;
use crate::app::pages::{Layout, Page, render};
use crate::app::state::AppState;
use crate::auth::{Principal, Role};
use crate::calendar::{self, Calendar};
use crate::db;
use crate::handling::flow::{State as ItemState, UnitRole};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/suggestions/mine", get(unit_workspace))
}

/// Days ahead that count as "this week".
const WEEK_DAYS: i64 = 7;

/// A suggestion a unit has at work, as its workspace shows it.
#[derive(Clone, Debug, FromQueryResult)]
struct AtWorkRow {
    id: i64,
    session_name: String,
    number: Option<i64>,
    title: String,
    lead_name: String,
    role: String,
    assignment_state: String,
    state: String,
    item_deadline: Option<String>,
    assist_deadline: Option<String>,
    contacts: i64,
    key_item: bool,
}

/// One row of the unit's workspace.
pub struct Duty {
    pub id: i64,
    pub number_label: String,
    pub title: String,
    pub lead_name: String,
    pub role: UnitRole,
    /// 待签收 / 办理中.
    pub signed: bool,
    pub state_label: &'static str,
    /// The deadline this unit answers to: the reply's, or a 协办 unit's own opinion deadline.
    pub deadline: Option<String>,
    /// Working days left (0: due today), or working days past when negative; `None` without a
    /// deadline.
    pub days_left: Option<i64>,
    pub overdue: bool,
    /// A 协办 unit gives an opinion, not a reply: no contact is asked of it.
    pub contact_recorded: Option<bool>,
    pub key_item: bool,
}

impl Duty {
    pub fn role_label(&self) -> &'static str {
        self.role.label()
    }
    /// What the deadline is for.
    pub fn deadline_kind(&self) -> &'static str {
        if self.role == UnitRole::Assist { "协办意见期限" } else { "答复期限" }
    }
    /// 「剩 N 个工作日」, 「今日到期」, 「已超期 N 个工作日」.
    pub fn days_text(&self) -> String {
        match self.days_left {
            None => "未定期限".into(),
            Some(_) if self.overdue && self.days_left.is_some_and(|d| d >= 0) => "已超期".into(),
            Some(d) if d < 0 => format!("已超期 {} 个工作日", -d),
            Some(0) => "今日到期".into(),
            Some(d) => format!("剩 {d} 个工作日"),
        }
    }
    /// 已记录 / 未记录 / 协办无需 (a 协办 unit answers the 主办, not the deputy).
    pub fn contact_label(&self) -> &'static str {
        match self.contact_recorded {
            Some(true) => "已记录",
            Some(false) => "未记录",
            None => "协办无需",
        }
    }
    pub fn contact_missing(&self) -> bool {
        self.contact_recorded == Some(false)
    }
    /// The row's colour: red overdue, orange within the week.
    pub fn tone(&self) -> &'static str {
        if self.overdue {
            "late"
        } else if self.days_left.is_some_and(|d| d <= 5) {
            "soon"
        } else {
            ""
        }
    }
}

/// The suggestions `unit` has at work in their current round, split into those due within the
/// week (overdue first, then by deadline) and the rest (by deadline, undated last).
pub async fn duties(
    c: &impl sea_orm::ConnectionTrait,
    calendar: &Calendar,
    unit: i64,
    now: i64,
) -> AppResult<(Vec<Duty>, Vec<Duty>)> {
    let rows: Vec<AtWorkRow> = db::query_all(
        c,
        "SELECT sg.id, ss.name AS session_name, sg.number, sg.title, p.name AS lead_name, a.role, \
         a.state AS assignment_state, i.state, i.deadline AS item_deadline, a.deadline AS assist_deadline, \
         (SELECT count(*) FROM handling_contacts k WHERE k.item_id = i.id AND k.round = i.round AND k.unit_id = a.unit_id) \
         AS contacts, sg.key_item \
         FROM handling_assignments a JOIN handling_items i ON i.id = a.item_id AND a.round = i.round \
         JOIN suggestions sg ON sg.item_id = i.id JOIN suggestion_sessions ss ON ss.id = sg.session_id \
         JOIN persons p ON p.id = sg.lead_person_id \
         WHERE a.unit_id = $1 AND a.state IN ('active', 'accepted') \
         AND i.state IN ('assigned', 'in_progress', 'rehandling', 'following') ORDER BY sg.id LIMIT 1000",
        vec![unit.into()],
    )
    .await?;
    let today = calendar::beijing_date(now);
    let mut all: Vec<Duty> = rows.into_iter().map(|r| duty(calendar, today, now, r)).collect();
    all.sort_by_key(|d| (!d.overdue, d.deadline.is_none(), d.deadline.clone(), d.id));
    let week = (today + chrono::Duration::days(WEEK_DAYS)).format("%Y-%m-%d").to_string();
    let (due, rest): (Vec<Duty>, Vec<Duty>) =
        all.into_iter().partition(|d| d.overdue || d.deadline.as_ref().is_some_and(|x| *x <= week));
    Ok((due, rest))
}

fn duty(calendar: &Calendar, today: NaiveDate, now: i64, r: AtWorkRow) -> Duty {
    let role = UnitRole::parse(&r.role).unwrap_or(UnitRole::Lead);
    let deadline = match role {
        UnitRole::Assist => r.assist_deadline.or(r.item_deadline),
        _ => r.item_deadline,
    };
    let day = deadline.as_deref().and_then(calendar::parse_date);
    let overdue = day.is_some_and(|d| now >= calendar::deadline_end(d));
    let days_left = day.map(|d| {
        if d >= today { calendar.working_days_between(today, d) } else { -calendar.working_days_between(d, today) }
    });
    let state = ItemState::parse(&r.state).unwrap_or(ItemState::Assigned);
    Duty {
        id: r.id,
        number_label: match r.number {
            Some(n) => format!("{}第{n}号", r.session_name),
            None => "未编号".into(),
        },
        title: r.title,
        lead_name: r.lead_name,
        signed: r.assignment_state == "accepted",
        state_label: state.label(),
        deadline,
        days_left,
        overdue,
        contact_recorded: role.answers().then_some(r.contacts > 0),
        key_item: r.key_item,
        role,
    }
}

#[derive(Template)]
#[template(path = "suggestions/mine.html")]
struct MineTpl {
    l: Layout,
    unit: String,
    due: Vec<Duty>,
    rest: Vec<Duty>,
    today: String,
}

/// A unit account's workspace; anyone else goes to the list.
async fn unit_workspace(page: Page, Auth(p): Auth, State(s): State<AppState>) -> AppResult<Response> {
    let Some(unit) = p.unit_id.filter(|_| p.has(Role::Unit)) else {
        return Ok(Redirect::to("/console/suggestions").into_response());
    };
    let name = db::query_rows(&s.db, "SELECT name FROM handling_units WHERE id = $1", vec![unit.into()])
        .await?
        .first()
        .and_then(|r| r.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    let calendar = calendar::load(&s.db).await?;
    let now = db::now();
    let (due, rest) = duties(&s.db, &calendar, unit, now).await?;
    render(&MineTpl {
        l: page.layout("本单位承办的代表建议", &[("/console/suggestions", "代表建议")]),
        unit: name,
        due,
        rest,
        today: calendar::beijing_date(now).format("%Y-%m-%d").to_string(),
    })
}

/// What waits for the deputy on one of their suggestions.
pub struct Todo {
    /// `cosign` (a form posting to the suggestion's actions), or a link.
    pub kind: &'static str,
    /// What waits (待确认联名 …) and the button's words (确认联名 …).
    pub label: &'static str,
    pub button: &'static str,
    pub href: String,
}

/// A suggestion as a card on the deputy's phone.
pub struct Card {
    pub id: i64,
    pub title: String,
    pub number_label: String,
    pub state_label: &'static str,
    pub colour: &'static str,
    pub units: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub key_item: bool,
    pub todo: Vec<Todo>,
}

/// The deputy's cards for the rows of their list (none for anyone else).
pub async fn deputy_cards(s: &AppState, p: &Principal, rows: &[Suggestion], now: i64) -> AppResult<Vec<Card>> {
    let Some(me) = p.deputy_id.filter(|_| p.has(Role::Deputy)) else { return Ok(Vec::new()) };
    let mut cards = Vec::with_capacity(rows.len());
    for sg in rows {
        let mut todo = Vec::new();
        let link = format!("/console/suggestions/{}", sg.id);
        let stage = sg.stage();
        if !stage.submitted() {
            let unconfirmed = db::scalar_i64(
                &s.db,
                "SELECT count(*) FROM suggestion_cosigners WHERE suggestion_id = $1 AND person_id = $2 \
                 AND confirmed_at IS NULL",
                vec![sg.id.into(), me.into()],
            )
            .await?;
            if unconfirmed > 0 {
                todo.push(Todo {
                    kind: "cosign", label: "待确认联名", button: "确认联名", href: link.clone()
                });
            }
            if sg.lead_person_id == me {
                todo.push(Todo { kind: "link", label: "待提交", button: "查看并提交", href: link.clone() });
            }
        }
        let mut units = String::new();
        if let Some(item) = sg.item_id {
            let rows = db::query_rows(
                &s.db,
                "SELECT u.name, a.role FROM handling_assignments a JOIN handling_items i ON i.id = a.item_id \
                 AND a.round = i.round JOIN handling_units u ON u.id = a.unit_id \
                 WHERE a.item_id = $1 AND a.state <> 'returned' ORDER BY a.id",
                vec![item.into()],
            )
            .await?;
            units = rows
                .iter()
                .filter_map(|r| {
                    let name: String = r.try_get_by_index(0).ok()?;
                    let role: String = r.try_get_by_index(1).ok()?;
                    Some(format!("{name}（{}）", UnitRole::parse(&role)?.label()))
                })
                .collect::<Vec<_>>()
                .join("、");
            if sg.loop_state() == Some(ItemState::Replied) && waiting_rating(s, item, sg.round.unwrap_or(1), me).await?
            {
                todo.push(Todo { kind: "link", label: "待评价", button: "去评价", href: format!("{link}#loop") });
            }
        }
        cards.push(Card {
            id: sg.id,
            title: sg.title.clone(),
            number_label: sg.number_label(),
            state_label: sg.state_label(),
            colour: sg.loop_state().map(ItemState::colour).unwrap_or(if stage.submitted() { "blue" } else { "grey" }),
            units,
            deadline: sg.deadline.clone(),
            overdue: sg.overdue(now),
            key_item: sg.key_item,
            todo,
        });
    }
    Ok(cards)
}

/// A signer who has not yet rated every reply of the round on every aspect.
async fn waiting_rating(s: &AppState, item: i64, round: i64, me: i64) -> AppResult<bool> {
    let signer = db::scalar_i64(
        &s.db,
        "SELECT count(*) FROM item_signers WHERE item_id = $1 AND person_id = $2",
        vec![item.into(), me.into()],
    )
    .await?;
    if signer == 0 {
        return Ok(false);
    }
    let aspects = super::policy_for(s).aspects.len() as i64;
    let replies = db::scalar_i64(
        &s.db,
        "SELECT count(DISTINCT unit_id) FROM handling_replies WHERE item_id = $1 AND round = $2",
        vec![item.into(), round.into()],
    )
    .await?;
    let rated = db::scalar_i64(
        &s.db,
        "SELECT count(*) FROM handling_ratings WHERE item_id = $1 AND round = $2 AND person_id = $3",
        vec![item.into(), round.into(), me.into()],
    )
    .await?;
    Ok(rated < replies * aspects)
}
