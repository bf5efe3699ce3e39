//! The registry's structure pages (REG-2..7): the lists of groups, committees, grids and role
//! names with the forms that create them, and the contact links; a record's own page with
//! its members is `membership_pages`, the list exports are `structure_exports`, the roster
//! import `roster_pages`. Every handler calls `guard::check` with `Resource::Registry` (or
//! the record's own resource) first.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Form, PathId};
use crate::app::forms::{Button, Opt, allowed, opt_id, opts, trimmed, unprocessable};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource};
use crate::db;
use crate::registry::console::{check_registry, resolve_person};
use crate::registry::structure::{COMMITTEE_KINDS, GROUP_KINDS};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/groups", get(groups_list).post(group_create))
        .route("/console/registry/committees", get(committees_list).post(committee_create))
        .route("/console/registry/links", get(links_page).post(link_create))
        .route("/console/registry/links/{id}/remove", post(link_remove))
        .route("/console/registry/grids", get(grids_list).post(grid_create))
        .route("/console/registry/roles", get(roles_list).post(role_name_create))
}

const CRUMB_GROUPS: (&str, &str) = ("/console/registry/groups", "代表小组");
const CRUMB_COMMITTEES: (&str, &str) = ("/console/registry/committees", "委员会");
const CRUMB_LINKS: (&str, &str) = ("/console/registry/links", "双联系");
const CRUMB_GRIDS: (&str, &str) = ("/console/registry/grids", "网格");
const CRUMB_ROLES: (&str, &str) = ("/console/registry/roles", "履职角色");

/// Ends the form that creates a record of the list at `list`: the new record's page with the
/// flash `done`, or the list again with the form's errors (422).
async fn created(
    result: AppResult<i64>,
    list: &str,
    done: &str,
    again: impl AsyncFnOnce(Errors) -> AppResult<Response>,
) -> AppResult<Response> {
    form_answer(result, |id| redirect_with_flash(&format!("{list}/{id}"), done), again).await
}

/// A new group.
#[derive(Deserialize)]
struct GroupForm {
    #[serde(default, deserialize_with = "trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
    #[serde(default, deserialize_with = "trimmed")]
    area_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    committee_id: String,
}

/// A new committee, grid or role name: its kind or area and its name.
#[derive(Deserialize)]
struct NamedForm {
    #[serde(default, deserialize_with = "trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "trimmed")]
    area_id: String,
    #[serde(default, deserialize_with = "trimmed")]
    name: String,
}

/// A contact link: a member of the standing committee and a deputy.
#[derive(Deserialize)]
struct LinkForm {
    #[serde(default, deserialize_with = "trimmed")]
    member: String,
    #[serde(default, deserialize_with = "trimmed")]
    person: String,
}

// ------------------------------------------------------------------ groups (REG-4)

pub struct GroupLine {
    pub g: crate::registry::structure::GroupRow,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "registry/groups.html")]
struct GroupsTpl {
    l: Layout,
    sections: Vec<(&'static str, Vec<GroupLine>)>,
    can_create: bool,
    v: crate::registry::structure::GroupInput,
    kinds: Vec<Opt>,
    areas: Vec<Opt>,
    committees: Vec<Opt>,
    errors: Errors,
}

async fn groups_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    v: crate::registry::structure::GroupInput,
    errors: Errors,
) -> AppResult<GroupsTpl> {
    let all = crate::registry::structure::groups(&s.db, &p.organ_path).await?;
    let sections = GROUP_KINDS
        .iter()
        .map(|(k, label)| {
            (
                *label,
                all.iter()
                    .filter(|g| g.kind == *k)
                    .map(|g| GroupLine { g: g.clone(), kind: label })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let areas = crate::org::areas_all(&s.db).await?;
    let committees = crate::registry::structure::committees(&s.db, &p.organ_path).await?;
    Ok(GroupsTpl {
        l: page.layout("代表小组", &[CRUMB_GROUPS]),
        sections,
        can_create: allowed(p, Action::Create, &Resource::Registry { organ_path: &p.organ_path }),
        kinds: opts(GROUP_KINDS, &v.kind),
        areas: opts(
            areas.iter().map(|a| (a.id, a.name.clone())),
            &v.area_id.map(|i| i.to_string()).unwrap_or_default(),
        ),
        committees: opts(
            committees.iter().filter(|c| c.kind == "special").map(|c| (c.id, c.name.clone())),
            &v.committee_id.map(|i| i.to_string()).unwrap_or_default(),
        ),
        v,
        errors,
    })
}

async fn groups_list(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "groups").await?;
    let v = crate::registry::structure::GroupInput { kind: "area_group".into(), ..Default::default() };
    render(&groups_tpl(&page, &s, &p, v, Errors::default()).await?)
}

async fn group_create(Console { page, p, s, ip }: Console, Form(f): Form<GroupForm>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "new").await?;
    let v = crate::registry::structure::GroupInput {
        kind: f.kind,
        name: f.name,
        area_id: opt_id(&f.area_id),
        committee_id: opt_id(&f.committee_id),
    };
    let result = write(&s, &p, &ip, async |w| {
        crate::registry::structure::create_group(w.txn(), w.key(), w.actor(), p.organ_id, &v).await
    })
    .await;
    let done = format!("已新建 {}", v.name.trim());
    created(result, CRUMB_GROUPS.0, &done, async |errors| unprocessable(&groups_tpl(&page, &s, &p, v, errors).await?))
        .await
}

// ------------------------------------------------------------------ committees (REG-2)

pub struct CommitteeLine {
    pub c: crate::registry::structure::CommitteeRow,
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "registry/committees.html")]
struct CommitteesTpl {
    l: Layout,
    rows: Vec<CommitteeLine>,
    can_create: bool,
    name: String,
    kinds: Vec<Opt>,
    errors: Errors,
}

async fn committees_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    kind: String,
    name: String,
    errors: Errors,
) -> AppResult<CommitteesTpl> {
    let rows = crate::registry::structure::committees(&s.db, &p.organ_path)
        .await?
        .into_iter()
        .map(|c| CommitteeLine { kind: crate::org::label(&COMMITTEE_KINDS, &c.kind), c })
        .collect();
    Ok(CommitteesTpl {
        l: page.layout("委员会", &[CRUMB_COMMITTEES]),
        rows,
        can_create: allowed(p, Action::Create, &Resource::Registry { organ_path: &p.organ_path }),
        kinds: opts(COMMITTEE_KINDS, &kind),
        name,
        errors,
    })
}

async fn committees_list(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "committees").await?;
    render(&committees_tpl(&page, &s, &p, "special".into(), String::new(), Errors::default()).await?)
}

async fn committee_create(Console { page, p, s, ip }: Console, Form(f): Form<NamedForm>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "new").await?;
    let NamedForm { kind, name, .. } = f;
    let result = write(&s, &p, &ip, async |w| {
        crate::registry::structure::create_committee(w.txn(), w.key(), w.actor(), p.organ_id, &kind, &name).await
    })
    .await;
    let done = format!("已新建 {name}");
    created(result, CRUMB_COMMITTEES.0, &done, async |errors| {
        unprocessable(&committees_tpl(&page, &s, &p, kind, name, errors).await?)
    })
    .await
}

// ------------------------------------------------------------------ contact links (REG-5)

#[derive(Template)]
#[template(path = "registry/links.html")]
struct LinksTpl {
    l: Layout,
    links: Vec<crate::registry::structure::LinkRow>,
    members: Vec<Opt>,
    total: i64,
    linked: i64,
    rate: String,
    /// Deputies with at least one fixed voter contact (代表联系选民), of the same `total`.
    voters_linked: i64,
    voters_rate: String,
    can_edit: bool,
    person: String,
    errors: Errors,
}

/// "12.5%": one decimal, as ui.md asks for percentages.
pub fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0.0%".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

async fn links_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    member: &str,
    person: String,
    errors: Errors,
) -> AppResult<LinksTpl> {
    let (total, linked) = crate::registry::structure::link_coverage(&s.db, &p.organ_path).await?;
    let (_, voters_linked) = crate::registry::voters::voter_coverage(&s.db, &p.organ_path).await?;
    let members = crate::registry::structure::standing_members(&s.db, &p.organ_path).await?;
    Ok(LinksTpl {
        l: page.layout("双联系", &[CRUMB_LINKS]),
        links: crate::registry::structure::member_links(&s.db, &p.organ_path).await?,
        members: opts(members.iter().map(|m| (m.person_id, format!("{}（{}）", m.name, m.role))), member),
        total,
        linked,
        rate: percent(linked, total),
        voters_linked,
        voters_rate: percent(voters_linked, total),
        can_edit: allowed(p, Action::Update, &Resource::Registry { organ_path: &p.organ_path }),
        person,
        errors,
    })
}

async fn links_page(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "links").await?;
    render(&links_tpl(&page, &s, &p, "", String::new(), Errors::default()).await?)
}

async fn link_create(Console { page, p, s, ip }: Console, Form(f): Form<LinkForm>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Update, &p.organ_path, "links").await?;
    let LinkForm { member, person: text } = f;
    let result = write(&s, &p, &ip, async |w| {
        let member_id = opt_id(&member).ok_or_else(|| AppError::invalid("member", "请选择常委会组成人员"))?;
        let deputy = resolve_person(&s, &p.organ_path, "person", &text).await?;
        crate::registry::structure::create_member_link(w.txn(), w.key(), w.actor(), p.organ_id, member_id, deputy).await
    })
    .await;
    form_answer(
        result,
        |_| redirect_with_flash("/console/registry/links", "已建立联系"),
        async |errors| unprocessable(&links_tpl(&page, &s, &p, &member, text, errors).await?),
    )
    .await
}

async fn link_remove(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(_): Form<Button>) -> AppResult<Response> {
    let path = db::query_rows(
        &s.db,
        "SELECT o.path FROM contact_links l JOIN organs o ON o.id = l.organ_id WHERE l.id = $1",
        vec![id.into()],
    )
    .await?
    .first()
    .map(|r| r.try_get_by_index::<String>(0))
    .transpose()?
    .unwrap_or_else(|| "/none/".into());
    check_registry(&s, &p, &ip, Action::Update, &path, &id.to_string()).await?;
    write(&s, &p, &ip, async |w| crate::registry::structure::remove_link(w.txn(), w.key(), w.actor(), id).await)
        .await?;
    Ok(redirect_with_flash("/console/registry/links", "已解除联系"))
}

// ------------------------------------------------------------------ grids (REG-6)

#[derive(Template)]
#[template(path = "registry/grids.html")]
struct GridsTpl {
    l: Layout,
    grids: Vec<crate::registry::structure::GridRow>,
    areas: Vec<Opt>,
    name: String,
    can_create: bool,
    errors: Errors,
}

async fn grids_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    area: &str,
    name: String,
    errors: Errors,
) -> AppResult<GridsTpl> {
    let areas = crate::org::areas_all(&s.db).await?;
    Ok(GridsTpl {
        l: page.layout("网格", &[CRUMB_GRIDS]),
        grids: crate::registry::structure::grids(&s.db, &p.organ_path).await?,
        areas: opts(areas.iter().map(|a| (a.id, a.name.clone())), area),
        name,
        can_create: allowed(p, Action::Create, &Resource::Registry { organ_path: &p.organ_path }),
        errors,
    })
}

async fn grids_list(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "grids").await?;
    render(&grids_tpl(&page, &s, &p, "", String::new(), Errors::default()).await?)
}

async fn grid_create(Console { page, p, s, ip }: Console, Form(f): Form<NamedForm>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "new").await?;
    let NamedForm { area_id: area, name, .. } = f;
    let result = write(&s, &p, &ip, async |w| {
        crate::registry::structure::create_grid(
            w.txn(),
            w.key(),
            w.actor(),
            p.organ_id,
            opt_id(&area).unwrap_or(0),
            &name,
        )
        .await
    })
    .await;
    let done = format!("已新建网格 {}", name.trim());
    created(result, CRUMB_GRIDS.0, &done, async |errors| {
        unprocessable(&grids_tpl(&page, &s, &p, &area, name, errors).await?)
    })
    .await
}

// ------------------------------------------------------------------ role names (REG-7)

#[derive(Template)]
#[template(path = "registry/roles.html")]
struct RolesTpl {
    l: Layout,
    roles: Vec<crate::registry::structure::RoleNameRow>,
    name: String,
    can_create: bool,
    errors: Errors,
}

async fn roles_tpl(page: &Page, s: &AppState, p: &Principal, name: String, errors: Errors) -> AppResult<RolesTpl> {
    Ok(RolesTpl {
        l: page.layout("履职角色", &[CRUMB_ROLES]),
        roles: crate::registry::structure::role_names(&s.db, &p.organ_path).await?,
        name,
        can_create: allowed(p, Action::Create, &Resource::Registry { organ_path: &p.organ_path }),
        errors,
    })
}

async fn roles_list(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::View, &p.organ_path, "roles").await?;
    render(&roles_tpl(&page, &s, &p, String::new(), Errors::default()).await?)
}

async fn role_name_create(Console { page, p, s, ip }: Console, Form(f): Form<NamedForm>) -> AppResult<Response> {
    check_registry(&s, &p, &ip, Action::Create, &p.organ_path, "new").await?;
    let name = f.name;
    let result = write(&s, &p, &ip, async |w| {
        crate::registry::structure::create_role_name(w.txn(), w.key(), w.actor(), p.organ_id, &p.organ_path, &name)
            .await
    })
    .await;
    let done = format!("已新增角色 {name}");
    created(result, CRUMB_ROLES.0, &done, async |errors| unprocessable(&roles_tpl(&page, &s, &p, name, errors).await?))
        .await
}
