//! The console pages of the records that have members (REG-2, 4, 6, 7): the page of a group,
//! committee, grid or role name — what the record is, its members, the form that adds a
//! member or changes their role, its history — and the two writes, add and remove member.
//! They are written once, for a [`MemberPage`]: the membership [`Kind`], the page's words and
//! what the page says about its record. The lists and the forms that create the records are
//! in `structure_pages`.

use std::future::Future;

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::console::{check_registry, resolve_person};
use super::membership::{self, AuditOn, Joining, Kind, Owner, Scope};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{ClientIp, Form, PathId};
use crate::app::forms::{Button, Opt, allowed, history, opts, trimmed, two_ids, unprocessable};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, HistoryLine, Layout, Page, render};
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::{Action, Principal, Resource};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/groups/{id}", get(detail::<Groups>))
        .route("/console/registry/groups/{id}/members", post(add::<Groups>))
        .route("/console/registry/groups/{id}/members/{person}/remove", post(remove::<Groups>))
        .route("/console/registry/committees/{id}", get(detail::<Committees>))
        .route("/console/registry/committees/{id}/members", post(add::<Committees>))
        .route("/console/registry/committees/{id}/members/{person}/remove", post(remove::<Committees>))
        .route("/console/registry/grids/{id}", get(detail::<Grids>))
        .route("/console/registry/grids/{id}/members", post(add::<Grids>))
        .route("/console/registry/grids/{id}/members/{row}/remove", post(remove::<Grids>))
        .route("/console/registry/roles/{id}", get(detail::<RoleNames>))
        .route("/console/registry/roles/{id}/holders", post(add::<RoleNames>))
        .route("/console/registry/roles/{id}/holders/{person}/remove", post(remove::<RoleNames>))
}

/// The words of one kind's page.
pub struct Texts {
    /// The records' list page (a record's page is `{list}/{id}`) and its name.
    pub list: &'static str,
    pub list_name: &'static str,
    /// The members' segment below a record's page: `members` or `holders`.
    pub members: &'static str,
    pub table: TableTexts,
    pub add: AddTexts,
    pub remove: RemoveTexts,
}

/// The members' table: its heading, if any; the column headings of the person and their
/// role; what is said when there are no members, given the record's name.
pub struct TableTexts {
    pub heading: Option<&'static str>,
    pub name: &'static str,
    pub role: &'static str,
    pub empty: fn(&str) -> String,
}

/// The add form: heading, the person's and the role's label, the button, a help line
/// (HTML), and the flash once saved.
pub struct AddTexts {
    pub heading: &'static str,
    pub person: &'static str,
    pub role: &'static str,
    pub submit: &'static str,
    pub help: Option<&'static str>,
    pub done: &'static str,
}

/// The remove button, its confirmation around the member's name, and the flash once done.
pub struct RemoveTexts {
    pub button: &'static str,
    pub confirm: Option<(&'static str, &'static str)>,
    pub done: &'static str,
}

/// What a record's page says about it above its members.
#[derive(Default)]
pub struct About {
    pub badge: Option<&'static str>,
    /// As a list of properties …
    pub props: Vec<Prop>,
    /// … or as one line.
    pub line: String,
}

pub struct Prop {
    pub label: &'static str,
    pub text: String,
    pub href: Option<String>,
    /// Shown greyed (a "none").
    pub muted: bool,
}

impl Prop {
    fn text(label: &'static str, text: String) -> Prop {
        Prop { label, text, href: None, muted: false }
    }
    fn none(label: &'static str, text: &str) -> Prop {
        Prop { label, text: text.into(), href: None, muted: true }
    }
}

/// One kind of record with members, as the console shows it.
pub trait MemberPage: Send + Sync + 'static {
    const KIND: &'static Kind;
    const TEXT: &'static Texts;
    /// What the page says about the record, which has `members` members (as shown).
    fn about(s: &AppState, owner: &Owner, members: usize) -> impl Future<Output = AppResult<About>> + Send;
}

// ------------------------------------------------------------------ the four kinds

/// 代表小组 (REG-4).
pub struct Groups;
/// 委员会 (REG-2).
pub struct Committees;
/// 网格 (REG-6).
pub struct Grids;
/// 履职角色 (REG-7).
pub struct RoleNames;

impl MemberPage for Groups {
    const KIND: &'static Kind = &membership::GROUP;
    const TEXT: &'static Texts = &Texts {
        list: "/console/registry/groups",
        list_name: "代表小组",
        members: "members",
        table: TableTexts {
            heading: Some("成员"), name: "姓名", role: "组内职务", empty: |_| "还没有成员。".into()
        },
        add: AddTexts {
            heading: "添加成员或调整职务",
            person: "代表",
            role: "职务",
            submit: "保存成员",
            help: None,
            done: "小组成员已保存",
        },
        remove: RemoveTexts {
            button: "移出", confirm: Some(("确定把", "移出本小组吗？")), done: "已移出小组"
        },
    };
    async fn about(s: &AppState, owner: &Owner, members: usize) -> AppResult<About> {
        let g = super::structure::group(&s.db, owner.id).await?.ok_or(AppError::NotFound)?;
        let kind = crate::org::label(&super::structure::GROUP_KINDS, &g.kind);
        let committee = match (g.committee_id, g.committee_name) {
            (Some(id), Some(name)) => Prop {
                label: "对口联系",
                text: name,
                href: Some(format!("/console/registry/committees/{id}")),
                muted: false,
            },
            _ => Prop::none("对口联系", "无"),
        };
        Ok(About {
            badge: Some(kind),
            props: vec![
                Prop::text("类别", kind.into()),
                g.area_name.map_or_else(|| Prop::none("区划", "不限"), |a| Prop::text("区划", a)),
                committee,
                Prop::text("成员", format!("{members} 人")),
            ],
            line: String::new(),
        })
    }
}

impl MemberPage for Committees {
    const KIND: &'static Kind = &membership::COMMITTEE;
    const TEXT: &'static Texts = &Texts {
        list: "/console/registry/committees",
        list_name: "委员会",
        members: "members",
        table: TableTexts {
            heading: Some("组成人员"),
            name: "姓名",
            role: "职务",
            empty: |_| "还没有组成人员。".into(),
        },
        add: AddTexts {
            heading: "添加组成人员或调整职务",
            person: "人员",
            role: "职务",
            submit: "保存组成人员",
            help: Some("人员须先在<a href=\"/console/registry/deputies\">代表</a>中登记（组成人员本身多为代表）。"),
            done: "组成人员已保存",
        },
        remove: RemoveTexts { button: "离任", confirm: Some(("确定登记", "离任吗？")), done: "已移出" },
    };
    async fn about(s: &AppState, owner: &Owner, members: usize) -> AppResult<About> {
        let c = super::structure::committee(&s.db, owner.id).await?.ok_or(AppError::NotFound)?;
        let kind = crate::org::label(&super::structure::COMMITTEE_KINDS, &c.kind);
        Ok(About {
            badge: Some(kind), line: format!("{} · {kind} · {members} 人", c.organ_name), ..About::default()
        })
    }
}

impl MemberPage for Grids {
    const KIND: &'static Kind = &membership::GRID;
    const TEXT: &'static Texts = &Texts {
        list: "/console/registry/grids",
        list_name: "网格",
        members: "members",
        table: TableTexts {
            heading: None, name: "代表", role: "担任", empty: |_| "还没有代表进入本网格。".into()
        },
        add: AddTexts {
            heading: "代表进网格",
            person: "代表",
            role: "担任",
            submit: "进网格",
            help: None,
            done: "网格人员已保存",
        },
        remove: RemoveTexts { button: "移出", confirm: None, done: "已移出网格" },
    };
    async fn about(s: &AppState, owner: &Owner, _members: usize) -> AppResult<About> {
        let g = super::structure::grid(&s.db, owner.id).await?.ok_or(AppError::NotFound)?;
        let line = format!("{} · 网格员 {} 人 · 监督员 {} 人", g.area_name, g.gridders, g.supervisors);
        Ok(About { line, ..About::default() })
    }
}

impl MemberPage for RoleNames {
    const KIND: &'static Kind = &membership::ROLE;
    const TEXT: &'static Texts = &Texts {
        list: "/console/registry/roles",
        list_name: "履职角色",
        members: "holders",
        table: TableTexts {
            heading: None, name: "姓名", role: "", empty: |name| format!("还没有人担任{name}。")
        },
        add: AddTexts {
            heading: "指定担任", person: "代表", role: "", submit: "指定担任", help: None, done: "已指定"
        },
        remove: RemoveTexts { button: "卸任", confirm: None, done: "已卸任" },
    };
    async fn about(_s: &AppState, _owner: &Owner, members: usize) -> AppResult<About> {
        Ok(About { line: format!("担任 {members} 人"), ..About::default() })
    }
}

// ------------------------------------------------------------------ the page and its writes

/// A member as shown: `key` names them in the remove address (person or row id, as the kind says).
pub struct MemberLine {
    pub key: i64,
    pub person_id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "registry/members.html")]
struct MembersTpl {
    l: Layout,
    t: &'static Texts,
    owner: Owner,
    about: About,
    /// The record's page.
    base: String,
    empty: String,
    members: Vec<MemberLine>,
    /// The role's form field and its options (none when members hold no role).
    role_field: Option<&'static str>,
    roles: Vec<Opt>,
    can_edit: bool,
    person: String,
    errors: Errors,
    history: Option<Vec<HistoryLine>>,
}

/// A member added: the deputy by number or name, and the role or position held (the field
/// the kind reads).
#[derive(Deserialize)]
struct MemberForm {
    #[serde(default, deserialize_with = "trimmed")]
    person: String,
    #[serde(default, deserialize_with = "trimmed")]
    role: String,
    #[serde(default, deserialize_with = "trimmed")]
    position: String,
}

impl MemberForm {
    /// The role as typed in the kind's field.
    fn role_of(&self, kind: &Kind) -> &str {
        match kind.roles.field() {
            Some("position") => &self.position,
            Some(_) => &self.role,
            None => "",
        }
    }
}

/// The record of a member page once the caller may `action` it, and the organ path the
/// caller acts at: a record of an organ is authorised at that organ; a shared one (a preset
/// role name) at the caller's own. Members of a kind scoped to the caller are found, shown
/// and changed at the caller's organ.
async fn visible<K: MemberPage>(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    action: Action,
) -> AppResult<(Owner, String)> {
    let owner = membership::owner(&s.db, K::KIND, id).await?;
    let path = match &owner {
        Some(Owner { organ_id: None, .. }) => p.organ_path.clone(),
        Some(Owner { organ_path: Some(path), .. }) => path.clone(),
        _ => "/none/".into(),
    };
    check_registry(s, p, ip, action, &path, &id.to_string()).await?;
    let owner = owner.ok_or(AppError::NotFound)?;
    let at = match K::KIND.scope {
        Scope::Owner => path,
        Scope::Caller => p.organ_path.clone(),
    };
    Ok((owner, at))
}

async fn members_tpl<K: MemberPage>(
    page: &Page,
    s: &AppState,
    p: &Principal,
    owner: Owner,
    at: &str,
    person: String,
    errors: Errors,
) -> AppResult<MembersTpl> {
    let (kind, t) = (K::KIND, K::TEXT);
    let under = matches!(kind.scope, Scope::Caller).then_some(at);
    let members: Vec<MemberLine> = membership::members(&s.db, kind, owner.id, under)
        .await?
        .into_iter()
        .map(|m| MemberLine {
            key: if kind.row_per_role { m.id } else { m.person_id },
            person_id: m.person_id,
            role: kind.roles.label(&m.role).to_string(),
            name: m.name,
        })
        .collect();
    let about = K::about(s, &owner, members.len()).await?;
    let base = format!("{}/{}", t.list, owner.id);
    let history = match kind.audit.on {
        AuditOn::Owner(target) => Some(history(s, target, owner.id).await?),
        AuditOn::Person => None,
    };
    Ok(MembersTpl {
        l: page.layout(&owner.name, &[(t.list, t.list_name), (&base, &owner.name)]),
        t,
        empty: (t.table.empty)(&owner.name),
        about,
        base,
        members,
        role_field: kind.roles.field(),
        roles: opts(kind.roles.options(), kind.roles.default()),
        can_edit: allowed(p, Action::Update, &Resource::Registry { organ_path: at }),
        person,
        errors,
        history,
        owner,
    })
}

async fn detail<K: MemberPage>(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let (owner, at) = visible::<K>(&s, &p, &ip, id, Action::View).await?;
    render(&members_tpl::<K>(&page, &s, &p, owner, &at, String::new(), Errors::default()).await?)
}

async fn add<K: MemberPage>(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<MemberForm>,
) -> AppResult<Response> {
    let (owner, at) = visible::<K>(&s, &p, &ip, id, Action::Update).await?;
    let result = write(&s, &p, &ip, async |w| {
        let person_id = resolve_person(&s, &at, "person", &f.person).await?;
        let joining = Joining { owner_id: id, person_id, role: f.role_of(K::KIND) };
        membership::add(w.txn(), w.key(), w.actor(), K::KIND, p.organ_id, joining).await
    })
    .await;
    form_answer(
        result,
        |_| redirect_with_flash(&format!("{}/{id}", K::TEXT.list), K::TEXT.add.done),
        async |errors| unprocessable(&members_tpl::<K>(&page, &s, &p, owner, &at, f.person, errors).await?),
    )
    .await
}

async fn remove<K: MemberPage>(
    Caller { p, s, ip }: Caller,
    path: Path<(String, String)>,
    Form(_): Form<Button>,
) -> AppResult<Response> {
    let (id, member) = two_ids(path)?;
    visible::<K>(&s, &p, &ip, id, Action::Update).await?;
    write(&s, &p, &ip, async |w| {
        membership::remove(w.txn(), w.key(), w.actor(), K::KIND, p.organ_id, id, member).await
    })
    .await?;
    Ok(redirect_with_flash(&format!("{}/{id}", K::TEXT.list), K::TEXT.remove.done))
}
