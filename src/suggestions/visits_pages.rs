//! Recording a deputy group's field visit (SUG-6) from a suggestion's page: choose the group
//! (a member: their groups; staff: the organ's groups), then on the same phone page the members
//! who took part, the date, place and unit visited, the suggestions it was about (this one and
//! the group members' registered ones) and notes.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::group_evaluation::is_member;
use super::visits::{self, NewVisit};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, Query};
use crate::app::forms::Opt;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Layout, render};
use crate::app::state::AppState;
use crate::app::write::write;
use crate::auth::authz::allows;
use crate::auth::{Action, Principal, Resource, Role};
use crate::db;
use crate::registry::structure::{GroupRow, group, groups};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/suggestions/visits/new", get(new)).route("/console/suggestions/visits", post(create))
}

fn deputy_of(p: &Principal) -> Option<i64> {
    p.deputy_id.filter(|_| p.has(Role::Deputy))
}

/// The groups the caller may record a visit for: their own, and the organ's for staff.
async fn groups_for(s: &AppState, p: &Principal) -> AppResult<Vec<GroupRow>> {
    let mut out: Vec<GroupRow> = Vec::new();
    if let Some(person) = deputy_of(p) {
        for g in super::drafts::groups_of(&s.db, person).await? {
            if let Some(row) = group(&s.db, g.id).await? {
                out.push(row);
            }
        }
    }
    if allows(p, Action::Create, &Resource::GroupVisit { organ_path: &p.organ_path, member: false }) {
        for g in groups(&s.db, &p.organ_path).await? {
            if !out.iter().any(|x| x.id == g.id) {
                out.push(g);
            }
        }
    }
    Ok(out)
}

/// The decision for a caller with no group to record for: staff pass, the rest are refused
/// (a worker 403, anyone else 404).
async fn at_organ(s: &AppState, p: &Principal, ip: &ClientIp) -> AppResult<()> {
    let r = Resource::GroupVisit { organ_path: &p.organ_path, member: false };
    crate::app::guard::check(s, p, ip, Action::Create, &r, "new").await
}

/// The group if the caller may record its visits (404 / 403 otherwise).
async fn group_for(s: &AppState, p: &Principal, ip: &ClientIp, id: i64) -> AppResult<GroupRow> {
    let g = group(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let member = is_member(&s.db, g.id, deputy_of(p)).await?;
    let r = Resource::GroupVisit { organ_path: &g.organ_path, member };
    crate::app::guard::check(s, p, ip, Action::Create, &r, &id.to_string()).await?;
    Ok(g)
}

#[derive(Deserialize, Default)]
struct NewQuery {
    group: Option<i64>,
    suggestion: Option<i64>,
}

struct Pick {
    id: i64,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "suggestions/visit_new.html")]
struct NewTpl {
    l: Layout,
    suggestion: Option<i64>,
    groups: Vec<Opt>,
    g: Option<GroupRow>,
    members: Vec<Pick>,
    items: Vec<Pick>,
    units: Vec<Opt>,
    today: String,
}

async fn new(Console { page, p, s, ip }: Console, Query(q): Query<NewQuery>) -> AppResult<Response> {
    let all = groups_for(&s, &p).await?;
    if all.is_empty() {
        at_organ(&s, &p, &ip).await?;
        return Err(AppError::Forbidden("您不在任何代表小组中，不能记录小组视察".into()));
    }
    let g = match q.group {
        Some(id) => Some(group_for(&s, &p, &ip, id).await?),
        None if all.len() == 1 => Some(group_for(&s, &p, &ip, all[0].id).await?),
        None => None,
    };
    let current = g.as_ref().map(|g| g.id.to_string()).unwrap_or_default();
    let (mut members, mut items, mut units) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(g) = &g {
        let me = deputy_of(&p);
        for m in crate::registry::membership::members(&s.db, &crate::registry::membership::GROUP, g.id, None).await? {
            members.push(Pick { checked: Some(m.person_id) == me, id: m.person_id, label: m.name });
        }
        // The registered suggestions its members signed, newest first, and the one we came from.
        let rows = db::query_rows(
            &s.db,
            "SELECT DISTINCT sg.id, sg.title, sg.year FROM suggestions sg JOIN item_signers x ON x.item_id = sg.item_id \
             JOIN memberships m ON m.person_id = x.person_id AND m.kind = 'group' AND m.group_id = $1 \
             ORDER BY sg.year DESC, sg.id DESC LIMIT 30",
            vec![g.id.into()],
        )
        .await?;
        for r in rows {
            let id: i64 = r.try_get_by_index(0)?;
            let title: String = r.try_get_by_index(1)?;
            let year: i64 = r.try_get_by_index(2)?;
            items.push(Pick { checked: q.suggestion == Some(id), id, label: format!("{year} 年：{title}") });
        }
        if let Some(id) = q.suggestion
            && !items.iter().any(|x| x.id == id)
            && let Some(sg) = super::model::suggestion(&s.db, id).await?
        {
            items.insert(0, Pick { id, label: format!("{} 年：{}", sg.year, sg.title), checked: true });
        }
        let f = crate::org::units::UnitFilter {
            organ_path: g.organ_path.clone(),
            active: Some(true),
            ..Default::default()
        };
        units = crate::org::units::units(&s.db, &f)
            .await?
            .into_iter()
            .map(|u| Opt { value: u.id.to_string(), label: u.name, selected: false })
            .collect();
    }
    render(&NewTpl {
        l: page.layout("记录代表小组视察", &[("/console/suggestions", "代表建议")]),
        suggestion: q.suggestion,
        groups: all
            .into_iter()
            .map(|x| Opt { selected: x.id.to_string() == current, value: x.id.to_string(), label: x.name })
            .collect(),
        g,
        members,
        items,
        units,
        today: crate::calendar::beijing_date(db::now()).format("%Y-%m-%d").to_string(),
    })
}

/// The visit form: `group`, `visited_on`, `place`, `unit`, `notes`, and repeated `member` and
/// `suggestion` checkboxes.
async fn create(Caller { p, s, ip }: Caller, Form(pairs): Form<Vec<(String, String)>>) -> AppResult<Response> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let ids = |k: &str| -> AppResult<Vec<i64>> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim().parse::<i64>().map_err(|_| AppError::invalid(k, "编号应为数字")))
            .collect()
    };
    if groups_for(&s, &p).await?.is_empty() {
        at_organ(&s, &p, &ip).await?;
    }
    let group = get("group").parse::<i64>().map_err(|_| AppError::invalid("group", "请选择代表小组"))?;
    let g = group_for(&s, &p, &ip, group).await?;
    let unit = match get("unit").as_str() {
        "" => None,
        u => Some(u.parse::<i64>().map_err(|_| AppError::invalid("unit", "请选择承办单位"))?),
    };
    let v = NewVisit {
        visited_on: get("visited_on"),
        place: get("place"),
        unit_id: unit,
        notes: get("notes"),
        members: ids("member")?,
        suggestions: ids("suggestion")?,
    };
    let now = db::now();
    write(&s, &p, &ip, async |w| visits::record(w.txn(), w.key(), w.actor(), &g, &v, now).await).await?;
    Ok(redirect_with_flash(
        &format!("/console/suggestions/{}", v.suggestions[0]),
        "视察记录已保存，参加的代表已收到通知",
    ))
}
