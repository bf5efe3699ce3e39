//! 代表 pages (REG-3): the filtered list with export, a person's record with mandates, events
//! and history, the profile form, and the mandate actions (当选/补选, 辞职/罢免/终止/去世/届满).

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::app::caller::{Caller, Console};
use crate::app::error::{AppError, AppResult};
use crate::app::extract::{Auth, ClientIp, Form, PathId, Query};
use crate::app::forms::{Opt, allowed, history, opts, two_ids, unprocessable};
use crate::app::guard;
use crate::app::listing::{FormTarget, Paging, all_rows, download, num, query_string, text};
use crate::app::middleware::redirect_with_flash;
use crate::app::pages::HistoryLine;
use crate::app::pages::{Errors, Layout, Page, form_errors, render};
use crate::app::paging::Pager;
use crate::app::state::AppState;
use crate::app::write::{form_answer, write};
use crate::auth::authz::Field;
use crate::auth::{Action, Principal, Resource};
use crate::db;
use crate::export::Cell;
use crate::org::{self, Organ};
use crate::registry::Level;
use crate::registry::persons::{self, DeputyFilter, Person};
use crate::registry::stations;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/registry/deputies", get(list).post(create))
        .route("/console/registry/deputies/export", get(export))
        .route("/console/registry/deputies/bulk", post(bulk))
        .route("/console/registry/deputies/new", get(new_form))
        .route("/console/registry/deputies/{id}", get(detail).post(update))
        .route("/console/registry/deputies/{id}/edit", get(edit_form))
        .route("/console/registry/deputies/{id}/photo", post(photo_set))
        .route("/console/registry/me", get(my_record))
        .route("/console/registry/deputies/{id}/mandates", post(mandate_add))
        .route("/console/registry/deputies/{id}/mandates/{mandate}/end", post(mandate_end))
}

const CRUMB: (&str, &str) = ("/console/registry/deputies", "代表");
const PAGE_SIZE: u64 = 50;
const EXPORT_BATCH: u64 = 1000;

// ------------------------------------------------------------------ list and export

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    level: Option<String>,
    organ: Option<String>,
    group: Option<String>,
    station: Option<String>,
    tag: Option<String>,
    q: Option<String>,
    former: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    offset: Option<String>,
    page: Option<String>,
    format: Option<String>,
}

impl ListQuery {
    fn filter(&self, p: &Principal) -> DeputyFilter {
        DeputyFilter {
            organ_path: p.organ_path.clone(),
            organ_id: num(&self.organ),
            level: self.level.as_deref().and_then(Level::parse),
            group_id: num(&self.group),
            station_id: num(&self.station),
            tag: Some(text(&self.tag)).filter(|t| !t.is_empty()),
            q: Some(text(&self.q)).filter(|t| !t.is_empty()),
            name_prefix: false,
            include_former: matches!(self.former.as_deref(), Some("1" | "on")),
        }
    }

    fn by_name(&self) -> bool {
        self.sort.as_deref() == Some("name")
    }

    /// The filter as a query string (without paging), for export and paging links.
    fn query_string(&self) -> String {
        query_string(&[
            ("level", &self.level),
            ("organ", &self.organ),
            ("group", &self.group),
            ("station", &self.station),
            ("tag", &self.tag),
            ("q", &self.q),
            ("former", &self.former),
            ("sort", &self.sort),
        ])
    }
}

pub struct DeputyLine {
    pub id: i64,
    pub name: String,
    pub gender: &'static str,
    pub levels: Vec<&'static str>,
    pub work_unit: String,
    pub stations: String,
    pub tags: String,
}

async fn lines(s: &AppState, rows: Vec<Person>) -> AppResult<Vec<DeputyLine>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let levels = stations::serving_levels(&s.db, &ids).await?;
    let station_names = persons::station_names_of(&s.db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| DeputyLine {
            levels: levels.get(&r.id).map(|l| l.iter().map(|l| l.label()).collect()).unwrap_or_default(),
            stations: station_names.get(&r.id).map(|n| n.join("、")).unwrap_or_default(),
            gender: r.gender.label(),
            tags: r.expertise.clone(),
            id: r.id,
            name: r.name,
            work_unit: r.work_unit,
        })
        .collect())
}

/// Organs a mandate may point at: the caller's subtree, the organs above it and the external
/// (upper-level) organ entries.
async fn mandate_organs(s: &AppState, p: &Principal) -> AppResult<Vec<Organ>> {
    Ok(org::all_organs(&s.db)
        .await?
        .into_iter()
        .filter(|o| o.external || p.covers(&o.path) || p.organ_path.starts_with(&o.path))
        .collect())
}

#[derive(Template)]
#[template(path = "registry/deputies.html")]
struct ListTpl {
    l: Layout,
    rows: Vec<DeputyLine>,
    pager: Pager,
    levels: Vec<Opt>,
    organs: Vec<Opt>,
    groups: Vec<Opt>,
    stations: Vec<Opt>,
    tag: String,
    q: String,
    former: bool,
    by_name: bool,
    qs: String,
    can_create: bool,
    bulk: BulkForm,
    end_kinds: Vec<Opt>,
    bulk_groups: Vec<Opt>,
    bulk_stations: Vec<Opt>,
    errors: Errors,
}

impl ListTpl {
    fn selected(&self, id: &i64) -> bool {
        self.bulk.ids.contains(&id.to_string())
    }
}

async fn list(Console { page, p, s, ip }: Console, Query(q): Query<ListQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::Person { id: -1, organ_path: &p.organ_path }, "list").await?;
    render(&list_tpl(&page, &s, &p, &q, BulkForm::default(), Errors::default()).await?)
}

async fn list_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    q: &ListQuery,
    bulk: BulkForm,
    errors: Errors,
) -> AppResult<ListTpl> {
    let (s, p) = (s.clone(), p);
    let f = q.filter(p);
    let total = persons::count(&s.db, &f).await?;
    let qs = q.query_string();
    let at = Paging { path: CRUMB.0, qs: &qs, page: q.page.as_deref(), size: PAGE_SIZE };
    let (rows, pager) = if q.by_name() {
        at.offset(total, &q.offset, async |offset, limit| persons::list_by_name(&s.db, &f, offset, limit).await).await?
    } else {
        at.keyset(total, &q.after, async |after, limit| persons::list(&s.db, &f, after, limit).await, |r| r.id).await?
    };
    let organs = mandate_organs(&s, p).await?;
    let groups = crate::registry::structure::groups(&s.db, &p.organ_path).await?;
    let station_list = stations::list(
        &s.db,
        &stations::StationFilter { organ_path: p.organ_path.clone(), ..Default::default() },
        0,
        500,
    )
    .await?;
    let groups_all = groups.iter().map(|g| (g.id, g.name.clone())).collect::<Vec<_>>();
    Ok(ListTpl {
        l: page.layout("代表", &[CRUMB]),
        rows: lines(&s, rows).await?,
        pager,
        levels: opts(Level::ALL.iter().map(|l| (l.as_str(), l.deputy_title())), &text(&q.level)),
        organs: opts(organs.iter().map(|o| (o.id, o.name.clone())), &text(&q.organ)),
        groups: opts(groups.iter().map(|g| (g.id, g.name.clone())), &text(&q.group)),
        stations: opts(station_list.iter().map(|st| (st.id, st.name.clone())), &text(&q.station)),
        tag: text(&q.tag),
        q: text(&q.q),
        former: f.include_former,
        by_name: q.by_name(),
        qs,
        can_create: allowed(p, Action::Create, &Resource::Person { id: -1, organ_path: &p.organ_path }),
        end_kinds: opts(persons::EndReason::ALL.map(|r| (r.as_str(), r.label())), &bulk.kind),
        bulk_groups: opts(groups_all, &bulk.group),
        bulk_stations: opts(station_list.iter().map(|st| (st.id, st.name.clone())), &bulk.station),
        bulk,
        errors,
    })
}

// ------------------------------------------------------------------ bulk actions

/// The bulk form under the list: the ticked rows and what to do with them.
#[derive(Default, Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    op: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    station: String,
    /// 编入站点 keeping the deputy's other stations (unticked: 调站, the others are left).
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    keep: bool,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    group: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    note: String,
}

/// At most this many rows in one bulk action (one page of the list, several times over).
const BULK_MAX: usize = 500;

/// What a bulk action does, read once from the form.
enum BulkOp {
    /// 编入站点: each deputy joins the station (already there: unchanged) and, unless `keep`,
    /// leaves the other stations of the caller's subtree (调站).
    Station { station: i64, keep: bool },
    /// 编入代表小组 as 成员.
    Group(i64),
    /// 换届 and the like: each deputy's serving mandates in the caller's organ subtree end.
    End(persons::EndMandate),
}

impl BulkForm {
    fn parse(&self) -> AppResult<(Vec<i64>, BulkOp)> {
        let mut ids: Vec<i64> = self.ids.iter().filter_map(|i| i.trim().parse().ok()).filter(|i| *i > 0).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() || ids.len() != self.ids.len() {
            return Err(AppError::invalid("ids", "请先勾选要处理的代表"));
        }
        if ids.len() > BULK_MAX {
            return Err(AppError::invalid("ids", format!("一次最多处理 {BULK_MAX} 名代表")));
        }
        let id = |v: &str, field: &str, msg: &str| {
            v.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| AppError::invalid(field, msg.to_string()))
        };
        let op = match self.op.as_str() {
            "station" => BulkOp::Station {
                station: id(&self.station, "station", "请选择要编入的站点")?,
                keep: self.keep,
            },
            "group" => BulkOp::Group(id(&self.group, "group", "请选择要编入的代表小组")?),
            "end" => BulkOp::End(persons::EndMandate::parse(&self.kind, &self.date, &self.note)?),
            _ => return Err(AppError::invalid("op", "请选择要做的操作")),
        };
        Ok((ids, op))
    }
}

/// One bulk action on the ticked deputies: one audited write, all or nothing, each change
/// audited as when made one by one, then a summary in Chinese.
async fn bulk(Console { page, p, s, ip }: Console, Form(f): Form<BulkForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Person { id: -1, organ_path: &p.organ_path }, "bulk").await?;
    let result = async {
        let (ids, op) = f.parse()?;
        for id in &ids {
            visible_person(&s, &p, &ip, *id, Action::Update).await?;
        }
        let target = match &op {
            BulkOp::Station { station: st, .. } => {
                let station =
                    stations::station(&s.db, *st).await?.ok_or_else(|| AppError::invalid("station", "没有这个站点"))?;
                let path = org::organ(&s.db, station.organ_id).await?.map(|o| o.path).unwrap_or_default();
                guard::check(
                    &s,
                    &p,
                    &ip,
                    Action::Update,
                    &Resource::Station { id: *st, organ_path: &path },
                    &st.to_string(),
                )
                .await?;
                station.name
            }
            BulkOp::Group(g) => {
                let owner = crate::registry::membership::owner(&s.db, &crate::registry::membership::GROUP, *g)
                    .await?
                    .ok_or_else(|| AppError::invalid("group", "没有这个代表小组"))?;
                let path = owner.organ_path.clone().unwrap_or_default();
                crate::registry::console::check_registry(&s, &p, &ip, Action::Update, &path, &g.to_string()).await?;
                owner.name
            }
            BulkOp::End(end) => end.reason.label().to_string(),
        };
        let organ_like = format!("{}%", db::like_escape(&p.organ_path));
        let changed = write(&s, &p, &ip, async |w| {
            let mut changed = 0usize;
            for id in &ids {
                changed += match &op {
                    BulkOp::Station { station, keep: true } => {
                        stations::assign_deputy(w.txn(), w.key(), w.actor(), *station, *id).await? as usize
                    }
                    BulkOp::Station { station, keep: false } => {
                        stations::move_deputy(w.txn(), w.key(), w.actor(), *station, *id, &p.organ_path).await? as usize
                    }
                    BulkOp::Group(g) => {
                        let j = crate::registry::membership::Joining { owner_id: *g, person_id: *id, role: "member" };
                        let kind = &crate::registry::membership::GROUP;
                        crate::registry::membership::add(w.txn(), w.key(), w.actor(), kind, p.organ_id, j).await?
                            as usize
                    }
                    BulkOp::End(end) => {
                        let mandates = db::query_rows(
                            w.txn(),
                            "SELECT m.id FROM mandates m JOIN organs o ON o.id = m.organ_id \
                             WHERE m.person_id = $1 AND m.status = $2 AND o.path LIKE $3 ESCAPE '\\'",
                            vec![
                                (*id).into(),
                                crate::registry::types::MandateStatus::Serving.into(),
                                organ_like.clone().into(),
                            ],
                        )
                        .await?;
                        if mandates.is_empty() {
                            let name = persons::person(w.txn(), *id).await?.map(|d| d.name).unwrap_or_default();
                            return Err(AppError::invalid(
                                "ids",
                                format!("{name}（编号 {id}）没有本机关及下级的在任代表资格，未做任何更改"),
                            ));
                        }
                        for m in &mandates {
                            persons::end_mandate(w.txn(), w.key(), w.actor(), m.try_get_by_index(0)?, end).await?;
                        }
                        1
                    }
                };
            }
            Ok(changed)
        })
        .await?;
        Ok::<_, AppError>((ids.len(), changed, op, target))
    }
    .await;
    form_answer(
        result,
        |(n, changed, op, target)| {
            if matches!(op, BulkOp::Station { .. }) {
                crate::registry::cache(&s).nearest.invalidate();
            }
            let said = match op {
                BulkOp::Station { keep: true, .. } => {
                    format!("已将 {changed} 名代表编入站点「{target}」（共选 {n} 名，其余已在该站点）")
                }
                BulkOp::Station { keep: false, .. } => {
                    format!("已将 {changed} 名代表调入站点「{target}」并移出原站点（共选 {n} 名，其余本来只在该站点）")
                }
                BulkOp::Group(_) => {
                    format!("已将 {changed} 名代表编入代表小组「{target}」（共选 {n} 名，其余已在该小组）")
                }
                BulkOp::End(_) => format!("已为 {changed} 名代表登记{target}，代表资格终止"),
            };
            redirect_with_flash(CRUMB.0, &said)
        },
        async |errors| unprocessable(&list_tpl(&page, &s, &p, &ListQuery::default(), f, errors).await?),
    )
    .await
}

/// The whole filtered list (not just a page) as .xlsx or .csv.
async fn export(Caller { p, s, ip }: Caller, Query(q): Query<ListQuery>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::View, &Resource::Person { id: -1, organ_path: &p.organ_path }, "export").await?;
    let f = q.filter(&p);
    let mut people = all_rows(EXPORT_BATCH, |after, limit| persons::list(&s.db, &f, after, limit), |r| r.id).await?;
    if q.by_name() {
        people.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    let extra: Vec<Person> = people.clone();
    let lines = lines(&s, people).await?;
    let headers = [
        "编号",
        "姓名",
        "性别",
        "民族",
        "出生年份",
        "政治面貌",
        "学历",
        "职业类别",
        "工作单位及职务",
        "代表层级",
        "进站站点",
        "专业特长",
    ];
    let rows = lines
        .into_iter()
        .zip(extra)
        .map(|(line, p)| {
            vec![
                Cell::Int(line.id),
                Cell::Text(line.name),
                Cell::Text(line.gender.to_string()),
                Cell::Text(p.ethnicity),
                // The list export is for every organ worker: the birth year only (PLAT-8);
                // full dates come with the roster's personal-data export.
                p.birth_date.as_deref().and_then(|d| d.get(..4)).map_or(Cell::Empty, |y| Cell::Text(y.to_string())),
                Cell::Text(p.party),
                Cell::Text(p.education),
                Cell::Text(p.occupation),
                Cell::Text(line.work_unit),
                Cell::Text(line.levels.join("、")),
                Cell::Text(line.stations),
                Cell::Text(line.tags),
            ]
        })
        .collect();
    Ok(download(q.format.as_deref(), "代表名单", &headers, rows))
}

// ------------------------------------------------------------------ detail

async fn visible_person(s: &AppState, p: &Principal, ip: &ClientIp, id: i64, action: Action) -> AppResult<Person> {
    Ok(crate::registry::console::visible_person(s, p, ip, id, action).await?.0)
}

pub struct MandateLine {
    pub id: i64,
    pub title: String,
    pub organ_name: String,
    pub constituency: String,
    pub start: String,
    pub end: String,
    pub status: &'static str,
    pub serving: bool,
    pub events: Vec<persons::MandateEvent>,
}

/// What was typed into the add-mandate form.
#[derive(Default, serde::Deserialize)]
pub struct MandateForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub organ_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub term: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub constituency: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub start_date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub how: String,
}

#[derive(Template)]
#[template(path = "registry/deputy_detail.html")]
struct DetailTpl {
    l: Layout,
    d: Person,
    gender: &'static str,
    mobile: Option<String>,
    township: Option<String>,
    organ_name: String,
    mandates: Vec<MandateLine>,
    groups: Vec<(i64, String, String, String)>,
    stations: Vec<(i64, String)>,
    grids: Vec<(String, &'static str)>,
    roles: Vec<String>,
    can_edit: bool,
    can_mandate: bool,
    m: MandateForm,
    organs: Vec<Opt>,
    hows: Vec<Opt>,
    end_kinds: Vec<Opt>,
    errors: Errors,
    /// The mandate whose end form the errors belong to; `None` for the add form.
    end_for: Option<i64>,
    today: String,
    history: Vec<HistoryLine>,
}

#[allow(clippy::too_many_arguments)]
async fn detail_tpl(
    page: &Page,
    s: &AppState,
    p: &Principal,
    d: Person,
    m: MandateForm,
    errors: Errors,
    end_for: Option<i64>,
) -> AppResult<DetailTpl> {
    let mut events = persons::mandate_events(&s.db, d.id).await?;
    let mandates = persons::mandates_of(&s.db, &[d.id])
        .await?
        .into_iter()
        .map(|x| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                std::mem::take(&mut events).into_iter().partition(|e| e.mandate_id == x.id);
            events = rest;
            MandateLine {
                id: x.id,
                title: x.title(),
                organ_name: x.organ_name.clone(),
                constituency: x.constituency.clone(),
                start: x.start_date.clone().unwrap_or_default(),
                end: x.end_date.clone().unwrap_or_default(),
                status: x.status_label(),
                serving: x.serving(),
                events: mine,
            }
        })
        .collect();
    let organ_path = persons::person_organ_path(&s.db, d.id).await?.unwrap_or_default();
    let organ_name = org::organ(&s.db, d.organ_id).await?.map(|o| o.name).unwrap_or_default();
    let mobile = d.mobile_enc.as_deref().and_then(|m| s.crypto.decrypt(m).ok()).map(|m| crate::privacy::mask_phone(&m));
    let township = match d.township_area_id {
        Some(a) => org::area(&s.db, a).await?.map(|a| a.name),
        None => None,
    };
    let organs = mandate_organs(s, p).await?;
    let href = format!("/console/registry/deputies/{}", d.id);
    let r = Resource::Person { id: d.id, organ_path: &organ_path };
    Ok(DetailTpl {
        l: page.layout(&d.name, &[CRUMB, (&href, &d.name)]),
        gender: d.gender.label(),
        mobile,
        township,
        organ_name,
        mandates,
        groups: persons::groups_of(&s.db, d.id)
            .await?
            .into_iter()
            .map(|(id, name, kind, role)| {
                (
                    id,
                    name,
                    crate::org::label(&crate::registry::structure::GROUP_KINDS, &kind).to_string(),
                    crate::org::label(&crate::registry::membership::GROUP_ROLES, &role).to_string(),
                )
            })
            .collect(),
        stations: persons::stations_of(&s.db, d.id).await?,
        grids: persons::grids_of(&s.db, d.id)
            .await?
            .into_iter()
            .map(|(g, role)| (g, if role == "supervisor" { "监督员" } else { "网格员" }))
            .collect(),
        roles: persons::roles_of(&s.db, d.id).await?,
        can_edit: allowed(p, Action::Update, &r),
        can_mandate: allowed(p, Action::Create, &r),
        organs: opts(
            organs.iter().map(|o| (o.id, if o.external { format!("{}（外部）", o.name) } else { o.name.clone() })),
            &m.organ_id,
        ),
        hows: opts(
            [persons::MandateEventKind::Elected, persons::MandateEventKind::ByElection]
                .map(|k| (k.as_str(), k.label())),
            if m.how.is_empty() { persons::MandateEventKind::Elected.as_str() } else { &m.how },
        ),
        end_kinds: opts(persons::EndReason::ALL.map(|r| (r.as_str(), r.label())), ""),
        m,
        errors,
        end_for,
        today: stations::today().format("%Y-%m-%d").to_string(),
        history: history(s, "person", d.id).await?,
        d,
    })
}

async fn detail(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let d = visible_person(&s, &p, &ip, id, Action::View).await?;
    render(&detail_tpl(&page, &s, &p, d, MandateForm::default(), Errors::default(), None).await?)
}

async fn mandate_add(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<MandateForm>,
) -> AppResult<Response> {
    let d = visible_person(&s, &p, &ip, id, Action::Create).await?;
    let m = f;
    let organ_ok = match m.organ_id.parse::<i64>() {
        Ok(o) => mandate_organs(&s, &p).await?.iter().any(|x| x.id == o),
        Err(_) => false,
    };
    let result = if !organ_ok {
        Err(AppError::invalid("organ_id", "请选择所属人大"))
    } else {
        let input = persons::MandateInput {
            organ_id: m.organ_id.parse().unwrap_or(0),
            term: m.term.trim().parse().unwrap_or(0),
            constituency: m.constituency.clone(),
            start_date: Some(m.start_date.clone()),
            how: m.how.clone(),
        };
        write(&s, &p, &ip, async |w| persons::add_mandate(w.txn(), w.key(), w.actor(), id, &input).await.map(|_| ()))
            .await
    };
    match result {
        Ok(()) => Ok(redirect_with_flash(&format!("/console/registry/deputies/{id}"), "代表资格已登记")),
        Err(e) => unprocessable(&detail_tpl(&page, &s, &p, d, m, form_errors(e)?, None).await?),
    }
}

/// The end-mandate form: 终止原因, date and note, parsed by `EndMandate::parse`.
#[derive(serde::Deserialize)]
struct EndForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    kind: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    note: String,
}

async fn mandate_end(
    Console { page, p, s, ip }: Console,
    path: Path<(String, String)>,
    Form(f): Form<EndForm>,
) -> AppResult<Response> {
    let (id, mandate) = two_ids(path)?;
    let d = visible_person(&s, &p, &ip, id, Action::Create).await?;
    let owner =
        db::scalar_i64(&s.db, "SELECT COALESCE(MAX(person_id), 0) FROM mandates WHERE id = $1", vec![mandate.into()])
            .await?;
    if owner != id {
        return Err(AppError::NotFound);
    }
    let result = write(&s, &p, &ip, async |w| {
        let end = persons::EndMandate::parse(&f.kind, &f.date, &f.note)?;
        persons::end_mandate(w.txn(), w.key(), w.actor(), mandate, &end).await?;
        Ok(end.reason)
    })
    .await;
    form_answer(
        result,
        |reason| {
            let label = reason.label();
            redirect_with_flash(&format!("/console/registry/deputies/{id}"), &format!("已登记：{label}"))
        },
        async |errors| {
            unprocessable(&detail_tpl(&page, &s, &p, d, MandateForm::default(), errors, Some(mandate)).await?)
        },
    )
    .await
}

// ------------------------------------------------------------------ profile form

/// The profile form as typed.
#[derive(Default, serde::Deserialize)]
pub struct PersonForm {
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub name: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub gender: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub ethnicity: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub birth_date: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub party: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub education: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub occupation: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub work_unit: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub expertise: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub public_contact: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub mobile: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub township_area_id: String,
    #[serde(default, deserialize_with = "crate::app::forms::trimmed")]
    pub bio: String,
    #[serde(default, deserialize_with = "crate::app::forms::checkbox")]
    pub clear_mobile: bool,
}

impl PersonForm {
    fn from_person(d: &Person) -> PersonForm {
        PersonForm {
            name: d.name.clone(),
            gender: d.gender.as_str().into(),
            ethnicity: d.ethnicity.clone(),
            birth_date: d.birth_date.clone().unwrap_or_default(),
            party: d.party.clone(),
            education: d.education.clone(),
            occupation: d.occupation.clone(),
            work_unit: d.work_unit.clone(),
            expertise: d.expertise.clone(),
            public_contact: d.public_contact.clone(),
            mobile: String::new(),
            township_area_id: d.township_area_id.map(|a| a.to_string()).unwrap_or_default(),
            bio: d.bio.clone(),
            clear_mobile: false,
        }
    }

    fn input(&self, mobile: Option<String>) -> persons::PersonInput {
        persons::PersonInput {
            name: self.name.clone(),
            gender: self.gender.clone(),
            ethnicity: self.ethnicity.clone(),
            birth_date: Some(self.birth_date.clone()),
            party: self.party.clone(),
            education: self.education.clone(),
            occupation: self.occupation.clone(),
            work_unit: self.work_unit.clone(),
            expertise: self
                .expertise
                .split(['、', ',', '，', ';', '；', ' ', '\u{3000}'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            public_contact: self.public_contact.clone(),
            mobile,
            township_area_id: self.township_area_id.parse().ok(),
            bio: self.bio.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "registry/deputy_form.html")]
struct FormTpl {
    l: Layout,
    v: PersonForm,
    errors: Errors,
    action: String,
    cancel: String,
    is_new: bool,
    mobile_on_file: Option<String>,
    /// The registry's facts (name, birth date …) are shown but cannot be changed by this
    /// user (a deputy editing their own public profile).
    facts_locked: bool,
    genders: Vec<Opt>,
    parties: Vec<Opt>,
    educations: Vec<Opt>,
    occupations: Vec<Opt>,
    townships: Vec<Opt>,
}

async fn form_tpl(
    page: &Page,
    s: &AppState,
    v: PersonForm,
    errors: Errors,
    existing: Option<&Person>,
    facts_locked: bool,
) -> AppResult<FormTpl> {
    let townships = org::areas_all(&s.db)
        .await?
        .into_iter()
        .filter(|a| org::AreaLevel::parse(&a.level) == Some(org::AreaLevel::Township))
        .collect::<Vec<_>>();
    let t = FormTarget::new(CRUMB.0, "新增代表", existing.map(|d| (d.id, d.name.as_str())));
    let plain = |list: &[&str]| list.iter().map(|x| (x.to_string(), x.to_string())).collect::<Vec<_>>();
    Ok(FormTpl {
        l: page.layout(&t.title, &[CRUMB, (&t.crumb, &t.title)]),
        genders: opts(
            persons::Gender::ALL.map(|g| (g.as_str(), g.label())),
            persons::Gender::parse(&v.gender).map_or("", persons::Gender::as_str),
        ),
        parties: opts(plain(&persons::PARTIES), &v.party),
        educations: opts(plain(&persons::EDUCATIONS), &v.education),
        occupations: opts(plain(&persons::OCCUPATIONS), &v.occupation),
        townships: opts(townships.iter().map(|a| (a.id, a.name.clone())), &v.township_area_id),
        mobile_on_file: existing
            .and_then(|d| d.mobile_enc.as_deref())
            .and_then(|m| s.crypto.decrypt(m).ok())
            .map(|m| crate::privacy::mask_phone(&m)),
        is_new: existing.is_none(),
        facts_locked,
        v,
        errors,
        action: t.action,
        cancel: t.cancel,
    })
}

async fn new_form(Console { page, p, s, ip }: Console) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Person { id: -1, organ_path: &p.organ_path }, "new").await?;
    let v = PersonForm { ethnicity: "汉族".into(), ..Default::default() };
    render(&form_tpl(&page, &s, v, Errors::default(), None, false).await?)
}

async fn create(Console { page, p, s, ip }: Console, Form(f): Form<PersonForm>) -> AppResult<Response> {
    guard::check(&s, &p, &ip, Action::Create, &Resource::Person { id: -1, organ_path: &p.organ_path }, "new").await?;
    let mut v = f;
    let mobile = Some(v.mobile.clone());
    let input = match persons::validate(&v.input(mobile)) {
        Ok(i) => i,
        Err(fields) => {
            v.mobile.clear();
            return unprocessable(&form_tpl(&page, &s, v, Errors(fields), None, false).await?);
        }
    };
    let id = write(&s, &p, &ip, async |w| {
        let id = persons::create_person(w.txn(), w.key(), &s.crypto, w.actor(), p.organ_id, &input).await?;
        Ok(id)
    })
    .await?;
    Ok(redirect_with_flash(
        &format!("/console/registry/deputies/{id}"),
        &format!("已登记 {}，编号 {id}；请继续登记其代表资格", input.name),
    ))
}

async fn edit_form(Console { page, p, s, ip }: Console, PathId(id): PathId) -> AppResult<Response> {
    let d = visible_person(&s, &p, &ip, id, Action::Update).await?;
    let locked = facts_locked(&s, &p, id).await?;
    render(&form_tpl(&page, &s, PersonForm::from_person(&d), Errors::default(), Some(&d), locked).await?)
}

async fn update(
    Console { page, p, s, ip }: Console,
    PathId(id): PathId,
    Form(f): Form<PersonForm>,
) -> AppResult<Response> {
    let d = visible_person(&s, &p, &ip, id, Action::Update).await?;
    let mut v = f;
    // The mobile number is never shown; a blank field keeps the one on file.
    let mobile = if v.clear_mobile {
        None
    } else if v.mobile.is_empty() {
        d.mobile_enc.as_deref().and_then(|m| s.crypto.decrypt(m).ok())
    } else {
        Some(v.mobile.clone())
    };
    let locked = facts_locked(&s, &p, id).await?;
    let input = match persons::validate(&v.input(mobile)) {
        Ok(i) => i,
        Err(fields) => {
            v.mobile.clear();
            return unprocessable(&form_tpl(&page, &s, v, Errors(fields), Some(&d), locked).await?);
        }
    };
    // Which kinds of field really change is decided by the authorization layer: a deputy
    // may change their public profile, never the registry's facts about them.
    let organ_path = persons::person_organ_path(&s.db, id).await?.unwrap_or_default();
    let fields = persons::changed_fields(&d, &input, &s.crypto);
    guard::check_changes(&s, &p, &ip, &Resource::Person { id, organ_path: &organ_path }, &fields, &id.to_string())
        .await?;
    let changed = write(&s, &p, &ip, async |w| {
        let changed = persons::update_person(w.txn(), w.key(), &s.crypto, w.actor(), id, &input).await?;
        Ok(changed)
    })
    .await?;
    Ok(redirect_with_flash(
        &format!("/console/registry/deputies/{id}"),
        if changed { "代表信息已保存" } else { "没有修改任何内容" },
    ))
}

async fn facts_locked(s: &AppState, p: &Principal, id: i64) -> AppResult<bool> {
    let organ_path = persons::person_organ_path(&s.db, id).await?.unwrap_or_default();
    let r = Resource::Person { id, organ_path: &organ_path };
    Ok(!crate::auth::authz::allows(p, Action::Change(Field::PersonFacts), &r))
}

/// A deputy's own record: the deputy account goes straight to it.
async fn my_record(Auth(p): Auth) -> AppResult<Response> {
    let id = p.deputy_id.ok_or(AppError::NotFound)?;
    Ok(axum::response::Redirect::to(&format!("/console/registry/deputies/{id}")).into_response())
}

/// Sets a deputy's portrait (shown on the public card); a deputy may set their own.
async fn photo_set(
    Caller { p, s, ip }: Caller,
    PathId(id): PathId,
    upload: crate::app::extract::UploadedFile,
) -> AppResult<Response> {
    use crate::attachments::{self, IMAGES, Upload};
    use crate::registry::OWNER_PERSON;
    let d = visible_person(&s, &p, &ip, id, Action::Update).await?;
    let crate::app::extract::UploadedFile { name, bytes, .. } = upload;
    let upload = Upload { file_name: &name, bytes: &bytes };
    let href = format!("/console/registry/deputies/{id}");
    let file = match attachments::prepare(&upload, IMAGES, s.config.attachments_max_bytes).await {
        Ok(f) => f,
        Err(e) => return Ok(redirect_with_flash(&href, &format!("照片未上传：{}", e.detail()))),
    };
    write(&s, &p, &ip, async |w| {
        let photo =
            attachments::attach(w.txn(), s.storage.as_ref(), w.key(), w.actor(), d.organ_id, (OWNER_PERSON, id), &file)
                .await?;
        if let Some(old) = d.photo_id {
            attachments::remove(w.txn(), s.storage.as_ref(), w.key(), w.actor(), (OWNER_PERSON, id), old).await?;
        }
        db::exec(
            w.txn(),
            "UPDATE persons SET photo_id = $1, updated_at = $2 WHERE id = $3",
            vec![photo.into(), db::now().into(), id.into()],
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(redirect_with_flash(&href, "照片已更新"))
}
