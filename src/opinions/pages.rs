//! 民意 in the console (OPN-5 to OPN-11): the list every role sees its part of (staff their
//! organ's subtree, a unit what it has at work, a deputy what was raised with them, a keeper
//! their station's), the opinion page with the loop panel, the category at triage, and entry
//! on someone's behalf (a deputy's 点单, a keeper at a reception, staff taking a call).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::model::{self, Channel, Filter, Opinion, Scope};
use super::service::{self, Receipt, Submission};
use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, Form, PathId, Query};
use crate::app::forms::{Opt, allowed, opts, unprocessable};
use crate::app::guard;
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::{Errors, Layout, Page, render};
use crate::app::query;
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::audit::Change;
use crate::auth::authz::Field;
use crate::auth::{Action, Principal, Resource, Role};
use crate::handling::flow::State as ItemState;
use crate::handling::pages::{LoopView, loop_view};
use crate::privacy::{mask_name, mask_phone};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/opinions", get(list))
        .route("/console/opinions/new", get(new_form).post(create))
        .route("/console/opinions/item/{id}", get(by_item))
        .route("/console/opinions/{id}", get(detail))
        .route("/console/opinions/{id}/category", post(classify))
        .route("/console/opinions/{id}/contact", post(contact))
}

const CRUMB: (&str, &str) = ("/console/opinions", "民意办理");

/// What a principal sees of the list: the whole reach.
pub fn scope_of(p: &Principal) -> Scope {
    Scope::of(p)
}

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    state: Option<String>,
    q: Option<String>,
    category: Option<String>,
    channel: Option<String>,
    overdue: Option<String>,
    flagged: Option<String>,
    unpublished: Option<String>,
    station: Option<String>,
    deputy: Option<String>,
    area: Option<String>,
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

/// A station, deputy or area picked by id, `-` for none; anything else is no filter.
fn pick(v: &Option<String>) -> Option<Option<i64>> {
    match query::text(v).as_str() {
        "-" => Some(None),
        t => t.parse::<i64>().ok().filter(|id| *id > 0).map(Some),
    }
}

/// A filter shown above the list that has no field of its own, with the list without it.
pub struct Chip {
    pub text: String,
    pub without: String,
}

impl ListQuery {
    pub fn filter(&self, taxonomy: &model::Taxonomy) -> Filter {
        Filter {
            state: ItemState::parse(&query::text(&self.state)),
            overdue: query::text(&self.overdue) == "1",
            flagged: query::text(&self.flagged) == "1",
            unpublished: query::text(&self.unpublished) == "1",
            category: Some(query::text(&self.category))
                .filter(|c| taxonomy.knows(c) || c == "-")
                .map(|c| if c == "-" { String::new() } else { c }),
            channel: Channel::parse(&query::text(&self.channel)),
            terms: crate::nlp::segment::query_terms(&query::text(&self.q)),
            station: pick(&self.station),
            deputy: pick(&self.deputy),
            area: pick(&self.area),
            unit: pick(&self.unit).flatten(),
            from: self.month(&self.from).map(|d| super::stats::month_span(Some(d), None).0),
            to: self.month(&self.to).map(|d| super::stats::month_span(None, Some(d)).1),
        }
    }
    fn month(&self, v: &Option<String>) -> Option<chrono::NaiveDate> {
        super::stats::month_start(&query::text(v))
    }
    /// The filters the statistics link to, each with the list without it (names read by id).
    async fn chips(&self, s: &AppState) -> AppResult<Vec<Chip>> {
        let mut out = Vec::new();
        let without = |key: &str| {
            let mut q = ListQuery { page: None, ..self.clone() };
            match key {
                "station" => q.station = None,
                "deputy" => q.deputy = None,
                "area" => q.area = None,
                "unit" => q.unit = None,
                _ => (q.from, q.to) = (None, None),
            }
            format!("/console/opinions?{}", q.query_string())
        };
        let named = [
            ("station", "联络站", pick(&self.station), "SELECT name FROM stations WHERE id = $1"),
            ("deputy", "代表", pick(&self.deputy), "SELECT name FROM persons WHERE id = $1"),
            ("area", "区域", pick(&self.area), "SELECT name FROM areas WHERE id = $1"),
            (
                "unit",
                "承办单位（主办或分办）",
                pick(&self.unit).filter(Option::is_some),
                "SELECT name FROM handling_units WHERE id = $1",
            ),
        ];
        for (key, label, picked, sql) in named {
            let name = match picked {
                None => continue,
                Some(None) => "未填".to_string(),
                Some(Some(id)) => crate::db::query_rows(&s.db, sql, vec![id.into()])
                    .await?
                    .first()
                    .and_then(|r| r.try_get_by_index::<String>(0).ok())
                    .unwrap_or_else(|| format!("编号 {id}")),
            };
            out.push(Chip { text: format!("{label}：{name}"), without: without(key) });
        }
        let (from, to) = (self.month(&self.from), self.month(&self.to));
        if from.is_some() || to.is_some() {
            let m = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m").to_string()).unwrap_or_default();
            let text = match (from, to) {
                (Some(a), Some(b)) if a == b => format!("提交于 {}", m(from)),
                (Some(_), Some(_)) => format!("提交于 {} 至 {}", m(from), m(to)),
                (Some(_), None) => format!("提交于 {} 以后", m(from)),
                _ => format!("提交于 {} 以前", m(to)),
            };
            out.push(Chip { text, without: without("months") });
        }
        Ok(out)
    }
    fn query_string(&self) -> String {
        query::string(&[
            ("state", &self.state),
            ("q", &self.q),
            ("category", &self.category),
            ("channel", &self.channel),
            ("overdue", &self.overdue),
            ("flagged", &self.flagged),
            ("unpublished", &self.unpublished),
            ("station", &self.station),
            ("deputy", &self.deputy),
            ("area", &self.area),
            ("unit", &self.unit),
            ("from", &self.from),
            ("to", &self.to),
        ])
    }
}

pub struct Line {
    pub o: Opinion,
    pub title: Vec<(String, bool)>,
    pub overdue: bool,
    /// A unit's list: the unit's own state on the item (a 协办 unit that gave nothing is
    /// 未提出意见 however the item stands).
    pub mine: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "opinions/list.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<Line>,
    total: i64,
    page: i64,
    pages: i64,
    q: String,
    qs: String,
    states: Vec<Opt>,
    categories: Vec<Opt>,
    channels: Vec<Opt>,
    overdue: bool,
    flagged: bool,
    unpublished: bool,
    can_enter: bool,
    chips: Vec<Chip>,
    /// The statistics' filters kept when the form is sent again.
    carried: Vec<(&'static str, String)>,
}

const PAGE: i64 = 50;

fn can_enter(p: &Principal) -> bool {
    p.has(Role::Admin)
        || p.has(Role::Staff)
        || (p.has(Role::Deputy) && p.deputy_id.is_some())
        || (p.has(Role::Keeper) && p.station_id.is_some())
}

async fn list(page: Page, Auth(p): Auth, State(s): State<AppState>, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let scope = scope_of(&p);
    if scope.organ_path.is_none() && scope.unit_id.is_none() && scope.deputy_id.is_none() && scope.station_id.is_none()
    {
        return Err(AppError::NotFound);
    }
    let taxonomy = model::taxonomy(&s).await?;
    let f = q.filter(&taxonomy);
    let now = crate::db::now();
    let n = q.page.unwrap_or(1).clamp(1, 100_000);
    let (rows, total) = model::list(&s.db, &scope, &f, now, PAGE, (n - 1) * PAGE).await?;
    let own = match scope.unit_id {
        Some(u) => {
            let items: Vec<i64> = rows.iter().map(|o| o.item_id).collect();
            crate::handling::model::own_states(&s.db, u, &items).await?
        }
        None => Default::default(),
    };
    let rows = rows
        .into_iter()
        .map(|o| Line {
            title: crate::nlp::segment::highlight(&o.title, &f.terms, 60),
            overdue: o.overdue(now),
            mine: own.get(&o.item_id).copied(),
            o,
        })
        .collect();
    render(&ListTpl {
        l: page.layout("民意办理", &[CRUMB]),
        rows,
        total,
        page: n,
        pages: (total + PAGE - 1) / PAGE,
        q: query::text(&q.q),
        qs: q.query_string(),
        states: opts(ItemState::ALL.map(|s| (s.as_str(), s.label())), &query::text(&q.state)),
        categories: opts(
            taxonomy.items.iter().map(|c| (c.name.as_str(), c.name.as_str())).chain([("-", "未分类")]),
            &query::text(&q.category),
        ),
        channels: opts(Channel::ALL.map(|c| (c.as_str(), c.label())), &query::text(&q.channel)),
        overdue: f.overdue,
        flagged: f.flagged,
        unpublished: f.unpublished,
        can_enter: can_enter(&p),
        chips: q.chips(&s).await?,
        carried: [
            ("station", &q.station),
            ("deputy", &q.deputy),
            ("area", &q.area),
            ("unit", &q.unit),
            ("from", &q.from),
            ("to", &q.to),
        ]
        .into_iter()
        .filter_map(|(k, v)| query::some_text(v).map(|v| (k, v)))
        .collect(),
    })
}

/// The follower form on an opinion's page (督办首发工单, `follow`): shown to staff, with what
/// was typed and its error.
#[derive(Default)]
pub struct FollowBox {
    pub allowed: bool,
    pub person: String,
    pub errors: Errors,
}

#[derive(Template)]
#[template(path = "opinions/detail.html")]
pub(super) struct DetailTpl {
    l: Layout,
    o: Opinion,
    lp: LoopView,
    submitter: String,
    phone: String,
    /// The caller may read the submitter's contact in full (staff, the answering units), one
    /// audited view at a time (「查看联系方式」).
    can_see_contact: bool,
    can_classify: bool,
    categories: Vec<Opt>,
    suggestions: Option<super::suggest::Suggestions>,
    duplicates: Vec<(i64, String, String, i64)>,
    /// The deputies following it (督办首发工单), and the form that adds one (staff).
    followers: Vec<crate::handling::model::Follower>,
    follow: FollowBox,
    /// The submitter's photos (attachment ids, served to those who see the item).
    photos: Vec<i64>,
    /// 码上公开: the publication, and whether this caller may publish or withdraw it.
    publication: Option<crate::publish::Publication>,
    can_publish: bool,
    /// The records that took it up (SUG-11, the other side's view): a suggestion's link, its
    /// number as the note once submitted.
    linked: Vec<crate::links::Incoming>,
}

async fn by_item(Caller { p, s, ip }: Caller, PathId(item): PathId) -> AppResult<Response> {
    crate::handling::visible_item(&s, &p, &ip, item).await?;
    let o = model::by_item(&s.db, item).await?.ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/console/opinions/{}", o.id)).into_response())
}

async fn detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    render(&detail_tpl(&s, &page, &p, &ip, id, FollowBox::default()).await?)
}

/// An opinion's console page (`follow`: the follower form as typed, with its error).
pub(super) async fn detail_tpl(
    s: &AppState,
    page: &Page,
    p: &Principal,
    ip: &ClientIp,
    id: i64,
    mut follow: FollowBox,
) -> AppResult<DetailTpl> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let (item, facts) = crate::handling::visible_item(s, p, ip, o.item_id).await?;
    let mut lp = loop_view(s, p, &item).await?;
    // What the system proposes, for those who triage (PLAT-13).
    let suggestions = if lp.can("assign") {
        let sg = super::suggest::for_opinion(s, &o).await?;
        lp.suggested_unit = sg.unit_id;
        Some(sg)
    } else {
        None
    };
    // Names and phones are shown masked; the organ's staff and the units answering the
    // submitter (who call back) read them in full one audited view at a time (`contact`).
    let (submitter, phone) = masked_contact(s, &o);
    let can_see_contact =
        allowed(p, Action::ExportPersonal, &facts.resource(&item)) && (o.name_enc.is_some() || o.phone_enc.is_some());
    let can_classify = allowed(p, Action::Change(Field::ItemTriage), &facts.resource(&item)) && !item.state.is_final();
    let mut duplicates = Vec::new();
    for d in suggestions.iter().flat_map(|sg| sg.duplicates.iter()) {
        if let Some(x) = model::opinion(&s.db, *d).await? {
            duplicates.push((x.id, x.tracking_no, x.title, x.item_id));
        }
    }
    let title = format!("{} {}", o.tracking_no, o.title);
    follow.allowed = can_classify;
    let publication = crate::publish::of(&s.db, super::publication::OWNER, o.id).await?;
    let can_publish = allowed(p, Action::Change(Field::ItemTriage), &facts.resource(&item))
        && (publication.is_some() || super::publication::refusal(&o, &item).is_none());
    Ok(DetailTpl {
        followers: crate::handling::model::follower_list(&s.db, item.id).await?,
        photos: crate::db::query_rows(
            &s.db,
            "SELECT id FROM attachments WHERE owner_type = $1 AND owner_id = $2 ORDER BY id",
            vec![super::public::PHOTO_OWNER.into(), o.id.to_string().into()],
        )
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .collect(),
        follow,
        suggestions,
        duplicates,
        l: page.layout(&title, &[CRUMB, (&format!("/console/opinions/{id}"), &o.tracking_no)]),
        categories: model::taxonomy(s).await?.options(&o.category),
        o,
        lp,
        submitter,
        phone,
        can_see_contact,
        can_classify,
        publication,
        can_publish,
        linked: crate::links::to(&s.db, "opinion", id)
            .await?
            .into_iter()
            .filter(|k| k.from_type == "suggestion" && !k.note.is_empty())
            .collect(),
    })
}

/// The submitter's name and phone as the item page shows them: masked.
fn masked_contact(s: &AppState, o: &Opinion) -> (String, String) {
    let name = o.name_enc.as_deref().and_then(|e| s.crypto.decrypt(e).ok());
    let phone = o.phone_enc.as_deref().and_then(|e| s.crypto.decrypt(e).ok());
    let gone = o.purged_at.is_some();
    let submitter = match name {
        Some(n) => mask_name(&n),
        None if gone => "已按保存期限清除".into(),
        None => "未留姓名".into(),
    };
    let phone = match phone {
        Some(ph) => mask_phone(&ph),
        None if gone => "已按保存期限清除".into(),
        None => "未留手机号".into(),
    };
    (submitter, phone)
}

#[derive(Template)]
#[template(path = "opinions/contact.html")]
struct ContactTpl {
    l: Layout,
    o: Opinion,
    name: Option<String>,
    phone: Option<String>,
}

/// 「查看联系方式」 (issue 16, PLAT-8): the submitter's name and phone in full, to call back —
/// for the organ's staff and the units answering the submitter (主办, 分办); 协办 units and
/// deputies are refused (403). Each view is an audit entry (who read whose contact, never the
/// number itself). A POST with the page's CSRF token, so no link or image elsewhere can make one.
async fn contact(Console { page, p, s, ip }: Console, PathId(id): PathId, Form(_): Form<Empty>) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let (item, facts) = crate::handling::visible_item(&s, &p, &ip, o.item_id).await?;
    guard::check(&s, &p, &ip, Action::ExportPersonal, &facts.resource(&item), &id.to_string()).await?;
    let name = o.name_enc.as_deref().and_then(|e| s.crypto.decrypt(e).ok());
    let phone = o.phone_enc.as_deref().and_then(|e| s.crypto.decrypt(e).ok());
    if name.is_none() && phone.is_none() {
        return Err(AppError::Conflict("反映人没有留下姓名和手机号（或已按保存期限清除）".into()));
    }
    let summary = format!("查看 {} 反映人的联系方式", o.tracking_no);
    write(&s, &p, &ip, async |w| {
        Change::audited("opinion_contact_view", "opinion", id, summary)
            .in_organ(o.organ_id)
            .append(w.txn(), w.key(), w.actor())
            .await?;
        Ok(())
    })
    .await?;
    let title = format!("{} 反映人联系方式", o.tracking_no);
    render(&ContactTpl {
        l: page.layout(&title, &[CRUMB, (&format!("/console/opinions/{id}"), &o.tracking_no)]),
        o,
        name,
        phone,
    })
}

#[derive(Deserialize, Default)]
struct Empty {}

#[derive(Deserialize, Default)]
pub struct CategoryForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub category: String,
}

async fn classify(Caller { p, s, ip }: Caller, PathId(id): PathId, Form(f): Form<CategoryForm>) -> AppResult<Response> {
    let o = model::opinion(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let (item, facts) = crate::handling::visible_item(&s, &p, &ip, o.item_id).await?;
    guard::check(&s, &p, &ip, Action::Change(Field::ItemTriage), &facts.resource(&item), &id.to_string()).await?;
    write(&s, &p, &ip, async |w| service::set_category(w.txn(), w.key(), w.actor(), id, o.organ_id, &f.category).await)
        .await?;
    Ok(redirect_with_flash(&format!("/console/opinions/{id}"), "类别已保存"))
}

// ------------------------------------------------------------------ entry on someone's behalf

#[derive(Deserialize, Default, Clone)]
pub struct EntryForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub category: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub phone: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub consent: bool,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub allow_public: bool,
}

/// The channel and source of an entry by this principal.
pub fn entry_source(p: &Principal) -> Option<(Channel, Option<i64>, Option<i64>)> {
    if p.has(Role::Admin) || p.has(Role::Staff) {
        Some((Channel::Staff, None, None))
    } else if p.has(Role::Keeper) && p.station_id.is_some() {
        Some((Channel::Reception, p.station_id, None))
    } else if p.has(Role::Deputy) && p.deputy_id.is_some() {
        Some((Channel::DeputyEntry, None, p.deputy_id))
    } else {
        None
    }
}

#[derive(Template)]
#[template(path = "opinions/entry.html")]
struct EntryTpl {
    l: Layout,
    v: EntryForm,
    channel: &'static str,
    categories: Vec<Opt>,
    errors: Errors,
}

fn entry_tpl(page: &Page, taxonomy: &model::Taxonomy, channel: Channel, v: EntryForm, errors: Errors) -> EntryTpl {
    EntryTpl {
        l: page.layout("录入群众意见", &[CRUMB, ("/console/opinions/new", "录入")]),
        categories: taxonomy.options(&v.category),
        channel: channel.label(),
        v,
        errors,
    }
}

async fn check_entry(s: &AppState, p: &Principal, ip: &ClientIp) -> AppResult<(Channel, Option<i64>, Option<i64>)> {
    let Some((channel, station, deputy)) = entry_source(p) else {
        return Err(AppError::Forbidden("只有机关工作人员、代表和联络站管理员可以录入".into()));
    };
    check_entry_at(s, p, ip, station, deputy, "new").await?;
    Ok((channel, station, deputy))
}

/// Whether `p` may enter an opinion at a station or for a deputy on someone's behalf: one rule
/// for the console form, the API and Open311 with a key.
pub async fn check_entry_at(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    station_id: Option<i64>,
    deputy_id: Option<i64>,
    target_id: &str,
) -> AppResult<()> {
    let r = Resource::HandlingItem {
        organ_path: &p.organ_path,
        units: &[],
        deputy_id,
        station_id,
        followers: &[],
        signers: &[],
        answering: &[],
    };
    guard::check(s, p, ip, Action::Create, &r, target_id).await
}

/// An entry on someone's behalf: one audited write with the caller as who entered it (the
/// per-address limit does not apply).
pub async fn enter(
    s: &AppState,
    p: &Principal,
    ip: &ClientIp,
    sub: &Submission,
    channel: Channel,
) -> AppResult<Receipt> {
    let now = crate::db::now();
    let limits = crate::notify::Limits::of(&s.config);
    let lexicon = super::lexicon::current(s).await?;
    write(s, p, ip, async |w| {
        let src = service::Source { channel, entered_by: Some(p.account_id), client: &ip.0, now, lexicon: &lexicon };
        service::submit_with_limits(w.txn(), w.key(), &s.crypto, &limits, w.actor(), sub, &src).await
    })
    .await
}

async fn new_form(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    let (channel, _, _) = check_entry(&s, &p, &ip).await?;
    render(&entry_tpl(&page, &*model::taxonomy(&s).await?, channel, EntryForm::default(), Errors::default()))
}

async fn create(Console { page, p, s, ip }: Console, Form(v): Form<EntryForm>) -> AppResult<Response> {
    let (channel, station_id, deputy_id) = check_entry(&s, &p, &ip).await?;
    let sub = Submission {
        channel: Some(channel),
        station_id,
        deputy_id,
        area_code: None,
        category: v.category.clone(),
        title: v.title.clone(),
        content: v.content.clone(),
        name: v.name.clone(),
        phone: v.phone.clone(),
        allow_public: v.allow_public,
        anonymous: true,
        consent: v.consent,
        external_no: None,
    };
    let result = enter(&s, &p, &ip, &sub, channel).await;
    form_answer(
        result,
        |r| {
            redirect_with_flash(
                &format!("/console/opinions/{}", r.opinion_id),
                &format!("已录入，查询编号 {}，查询码 {}（请告知反映人）", r.tracking_no, r.query_code),
            )
        },
        async |errors| unprocessable(&entry_tpl(&page, &*model::taxonomy(&s).await?, channel, v, errors)),
    )
    .await
}
