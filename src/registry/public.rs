//! 我要找代表 (REG-12 to REG-14) and the stable public pages behind QR codes (REG-11,
//! PLAT-17): `/find`, `/d/{id}`, `/s/{id}`, their QR images and printable cards, each also
//! under `/o/{organ code}/…` for installations hosting several organs.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::error::{AppError, AppResult};
use crate::app::extract::Query;
use crate::app::pages::render;
use crate::app::state::AppState;
use crate::org::{self, Area, Organ};
use crate::qr;
use crate::registry::Level;
use crate::registry::geo::{NavLinks, haversine_m, navigation_links, valid_wgs84};
use crate::registry::persons::{self, Mandate, Person};
use crate::registry::stations::{self, Slot, Station};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/find", get(find_default))
        .route("/o/{organ}/find", get(find_organ))
        .route("/d/{id}", get(|s, h, Path(id): Path<String>| deputy_page(s, h, None, id, Kind::Page)))
        .route("/d/{id}/{view}", get(|s, h, Path((id, v)): Path<(String, String)>| deputy_view(s, h, None, id, v)))
        .route("/s/{id}", get(|s, h, Path(id): Path<String>| station_page(s, h, None, id, Kind::Page)))
        .route(
            "/s/{id}/{view}",
            get(|s, h, Path((id, v)): Path<(String, String)>, q| station_view(s, h, None, id, v, q)),
        )
        .route(
            "/o/{organ}/d/{id}",
            get(|s, h, Path((o, id)): Path<(String, String)>| deputy_page(s, h, Some(o), id, Kind::Page)),
        )
        .route(
            "/o/{organ}/d/{id}/{view}",
            get(|s, h, Path((o, id, v)): Path<(String, String, String)>| deputy_view(s, h, Some(o), id, v)),
        )
        .route(
            "/o/{organ}/s/{id}",
            get(|s, h, Path((o, id)): Path<(String, String)>| station_page(s, h, Some(o), id, Kind::Page)),
        )
        .route(
            "/o/{organ}/s/{id}/{view}",
            get(|s, h, Path((o, id, v)): Path<(String, String, String)>, q| station_view(s, h, Some(o), id, v, q)),
        )
}

/// `/d/{id}/card`, `/d/{id}/qr.svg`, `/d/{id}/qr.png`; anything else is a 404.
async fn deputy_view(
    s: State<AppState>,
    h: HeaderMap,
    organ: Option<String>,
    id: String,
    view: String,
) -> AppResult<Response> {
    deputy_page(s, h, organ, id, Kind::parse(&view)?).await
}

/// `/s/{id}/card`, `/s/{id}/qr.svg`, `/s/{id}/qr.png`, `/s/{id}/poster?size=a4|a3`;
/// anything else is a 404.
async fn station_view(
    s: State<AppState>,
    h: HeaderMap,
    organ: Option<String>,
    id: String,
    view: String,
    Query(q): Query<PosterQuery>,
) -> AppResult<Response> {
    let kind = match view.as_str() {
        "poster" => Kind::Poster(PosterSize::parse(q.size.as_deref().unwrap_or(""))?),
        _ => Kind::parse(&view)?,
    };
    station_page(s, h, organ, id, kind).await
}

#[derive(Deserialize, Default)]
struct PosterQuery {
    size: Option<String>,
}

/// The paper a door poster is printed on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PosterSize {
    A4,
    A3,
}

impl PosterSize {
    /// `a4` (also the default when none is asked) or `a3`.
    pub fn parse(s: &str) -> AppResult<PosterSize> {
        match s.trim() {
            "" | "a4" | "A4" => Ok(PosterSize::A4),
            "a3" | "A3" => Ok(PosterSize::A3),
            _ => Err(AppError::invalid("size", "海报尺寸应为 a4 或 a3")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PosterSize::A4 => "a4",
            PosterSize::A3 => "a3",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Page,
    Card,
    Svg,
    Png,
    /// The station's door poster (stations only).
    Poster(PosterSize),
}

impl Kind {
    /// The QR code of the page at `url`, when that is what was asked for.
    fn qr_code(&self, url: &str) -> AppResult<Option<Response>> {
        Ok(match self {
            Kind::Svg => Some(svg_response(qr::qr_svg(url, 8).map_err(qr_error)?)),
            Kind::Png => Some(png_response(qr::qr_png(url, 8).map_err(qr_error)?)),
            _ => None,
        })
    }

    fn parse(view: &str) -> AppResult<Kind> {
        match view {
            "card" => Ok(Kind::Card),
            "qr.svg" => Ok(Kind::Svg),
            "qr.png" => Ok(Kind::Png),
            _ => Err(AppError::NotFound),
        }
    }
}

/// The organ a public address belongs to, and the prefix its links use.
struct Site {
    organ: Organ,
    /// "" for the default organ, "/o/370782001" otherwise.
    prefix: String,
    base_url: String,
}

async fn site(s: &AppState, headers: &HeaderMap, code: Option<String>) -> AppResult<Site> {
    let default = s.public.organ(&s.db, None).await?.ok_or(AppError::NotFound)?;
    let (organ, prefix) = match code {
        None => (default, String::new()),
        Some(code) => {
            let organ = s.public.organ(&s.db, Some(&code)).await?.filter(|o| !o.external).ok_or(AppError::NotFound)?;
            let prefix = if organ.id == default.id { String::new() } else { format!("/o/{}", organ.code) };
            (organ, prefix)
        }
    };
    Ok(Site { organ, prefix, base_url: base_url(s, headers) })
}

/// Where QR codes point: the configured public address, else the address the request came to.
pub fn base_url(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(b) = &s.config.public_base_url {
        return b.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(*c)).collect();
    let scheme = if s.config.behind_https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

fn parse_id(id: &str) -> AppResult<i64> {
    id.parse::<i64>().ok().filter(|v| *v > 0).ok_or(AppError::NotFound)
}

fn svg_response(svg: String) -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg).into_response()
}

fn png_response(png: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")], png).into_response()
}

fn qr_error(_: qr::QrError) -> AppError {
    AppError::Internal("QR".into())
}

// ------------------------------------------------------------------------------- /find

#[derive(Deserialize, Default)]
struct FindQuery {
    lat: Option<String>,
    lng: Option<String>,
    area: Option<String>,
    q: Option<String>,
    level: Option<String>,
    tag: Option<String>,
    page: Option<String>,
}

/// A deputy as a link: (id, name, the congresses they serve in where that says something:
/// 「潍坊市人大代表」, empty for a deputy of the site's own congress alone — `Places::tag`).
pub type DeputyLink = (i64, String, String);

pub struct FoundStation {
    pub station: Station,
    pub distance: Option<String>,
    pub next: Option<Slot>,
    pub deputies: Vec<(i64, String, String)>,
    /// The same deputies under the congress they serve in (「百尺河镇人大代表 张三、李四」): the
    /// place is said once, not after every name.
    pub groups: Vec<(String, Vec<(i64, String)>)>,
    pub more_deputies: usize,
    pub nav: Option<NavLinks>,
    pub href: String,
}

/// How the results are ordered, said in their heading.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Order {
    /// Nothing asked yet.
    #[default]
    None,
    /// From the user's own position, nearest first.
    Nearest,
    /// From the user's position, but every station is far away (not here, or a wrong fix).
    Far,
    /// Matched a township, keyword or filter; listed township by township.
    ByArea,
}

#[derive(Template)]
#[template(path = "public/find.html")]
struct FindTpl {
    organ_name: String,
    prefix: String,
    townships: Vec<Area>,
    levels: Vec<(&'static str, String)>,
    tags: Vec<String>,
    example: String,
    f: FindForm,
    results: Vec<FoundStation>,
    deputies: Vec<(i64, String, String)>,
    searched: bool,
    order: Order,
    /// The picked township's name, for the heading of its list.
    area_name: String,
    /// "共 12 个，显示 1–8" (empty when the list is the nearest few).
    range: String,
    prev: Option<String>,
    next: Option<String>,
    message: String,
}

#[derive(Default)]
struct FindForm {
    lat: String,
    lng: String,
    area: i64,
    q: String,
    level: String,
    tag: String,
}

impl FindForm {
    /// The query string of this search on another page.
    fn page_query(&self, page: u64) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, v) in
            [("lat", &self.lat), ("lng", &self.lng), ("q", &self.q), ("level", &self.level), ("tag", &self.tag)]
        {
            if !v.is_empty() {
                pairs.push((k, v.clone()));
            }
        }
        if self.area > 0 {
            pairs.push(("area", self.area.to_string()));
        }
        pairs.push(("page", page.to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

async fn find_default(s: State<AppState>, h: HeaderMap, q: Query<FindQuery>) -> AppResult<Response> {
    find(s, h, None, q).await
}

async fn find_organ(
    s: State<AppState>,
    h: HeaderMap,
    Path(organ): Path<String>,
    q: Query<FindQuery>,
) -> AppResult<Response> {
    find(s, h, Some(organ), q).await
}

fn distance_text(m: f64) -> String {
    if m < 1000.0 { format!("{} 米", (m / 10.0).round() as i64 * 10) } else { format!("{:.1} 公里", m / 1000.0) }
}

/// Stations shown per page.
const FIND_PAGE: u64 = 8;
/// Nearest stations looked at when filtering by level or expertise from a position.
const NEAR_CANDIDATES: usize = 200;
/// Farther than this from every station, a position is not among them: a county is some
/// 50 km across, so a resident is rarely more than 30 km from the nearest station.
pub const FAR_M: f64 = 30_000.0;

async fn find(
    State(s): State<AppState>,
    h: HeaderMap,
    code: Option<String>,
    Query(q): Query<FindQuery>,
) -> AppResult<Response> {
    let site = site(&s, &h, code).await?;
    let options = find_options(&s, &site.organ).await?;
    let townships = &options.townships;
    let mut form = FindForm::default();
    let mut message = String::new();
    let level = match q.level.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => match Level::parse(l) {
            Some(l) => {
                form.level = l.as_str().into();
                Some(l)
            }
            None => {
                return Err(AppError::invalid("level", "代表层级应为 national、provincial、city、county 或 township"));
            }
        },
    };
    // Typed as people type it: part of a field's name, without the list separator.
    let tag = q
        .tag
        .as_deref()
        .map(|t| t.trim().replace('、', "").chars().take(20).collect::<String>())
        .filter(|t| !t.is_empty());
    form.tag = tag.clone().unwrap_or_default();
    let page = match q.page.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=10_000).contains(p))
            .ok_or_else(|| AppError::invalid("page", "页码应为正整数"))?,
    };
    let parse = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| v.parse::<f64>());
    // The user's own position, only ever from the phone (a township's centre is not where
    // the user is, so it is never measured from).
    let mut origin = None;
    match (parse(&q.lat), parse(&q.lng)) {
        (Some(Ok(lat)), Some(Ok(lng))) if valid_wgs84(lat, lng) => {
            form.lat = format!("{lat:.6}");
            form.lng = format!("{lng:.6}");
            origin = Some((lat, lng));
        }
        (None, None) => {}
        _ => message = "无法识别您的位置，请改为选择所在镇街或输入地址关键词。".into(),
    }
    let area = match q.area.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let id = a.parse::<i64>().map_err(|_| AppError::invalid("area", "请选择镇街"))?;
            let area = townships
                .iter()
                .find(|t| t.id == id)
                .cloned()
                .ok_or_else(|| AppError::invalid("area", "请选择本地的镇街"))?;
            form.area = area.id;
            Some(area)
        }
    };
    let keyword =
        q.q.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(|k| k.chars().take(30).collect::<String>());
    form.q = keyword.clone().unwrap_or_default();
    let filtered = level.is_some() || tag.is_some();
    let searched = origin.is_some() || area.is_some() || keyword.is_some() || filtered;
    let offset = (page - 1) * FIND_PAGE;

    // Candidate stations of this page, and the total they are a part of.
    let mut order = Order::None;
    let mut candidates: Vec<(Station, Option<f64>)> = Vec::new();
    let mut total: Option<i64> = None;
    let mut has_more = false;
    match origin {
        Some((lat, lng)) if keyword.is_none() && area.is_none() => {
            let index = crate::registry::cache(&s).nearest.get(&s.db).await?;
            // Filters are applied after the exact nearest search, so ask for more than we show.
            // (At least 40: on an organ's own address the nearest may be other organs' stations.)
            let ask = if filtered { NEAR_CANDIDATES } else { ((offset + FIND_PAGE) as usize + 1).max(40) };
            let found = index.nearest(lat, lng, ask);
            let ids: Vec<i64> = found.iter().map(|(p, _)| p.id).collect();
            let mut by_id: std::collections::HashMap<i64, Station> =
                stations::stations_by_ids(&s.db, &ids).await?.into_iter().map(|st| (st.id, st)).collect();
            candidates = found
                .into_iter()
                .filter_map(|(p, d)| by_id.remove(&p.id).map(|st| (st, Some(d))))
                .filter(|(st, _)| st.organ_path.starts_with(&site.organ.path))
                .collect();
            let nearest = candidates.first().and_then(|c| c.1);
            order = if nearest.is_some_and(|d| d > FAR_M) { Order::Far } else { Order::Nearest };
            if let Some(d) = nearest.filter(|_| order == Order::Far) {
                message = format!(
                    "您所在的位置离{}的联络站都很远（最近的也有 {}），您可能不在本地，或定位不准。请在上面选择所在镇街，或输入地址关键词查找。",
                    site.organ.name,
                    distance_text(d)
                );
            }
        }
        _ if searched => {
            order = Order::ByArea;
            let filter = stations::StationFilter {
                organ_path: site.organ.path.clone(),
                area_path: area.as_ref().map(|a| a.path.clone()),
                q: keyword.clone(),
                deputy_level: level.map(|l| l.as_str().to_string()),
                deputy_tag: tag.clone(),
                ..Default::default()
            };
            let (found, n) = stations::page_by_area(&s.db, &filter, offset, FIND_PAGE).await?;
            total = Some(n);
            candidates = found
                .into_iter()
                .map(|st| {
                    let d = origin.and_then(|(la, ln)| st.lat.zip(st.lng).map(|(a, b)| haversine_m(la, ln, a, b)));
                    (st, d)
                })
                .collect();
        }
        _ => {}
    }
    // Deputies of the candidate stations: with a level or expertise filter from a position all
    // candidates are read (a station stays when one of its deputies matches), else only the
    // ones shown — one query either way.
    let post_filter = filtered && order != Order::ByArea;
    if !post_filter && order != Order::ByArea {
        // Nearest without filters: the page is a slice of the nearest list.
        has_more = candidates.len() as u64 > offset + FIND_PAGE;
        candidates = candidates.into_iter().skip(offset as usize).take(FIND_PAGE as usize).collect();
    }
    let ids: Vec<i64> = candidates.iter().map(|(st, _)| st.id).collect();
    let mut deputies_at = stations::deputies_with_levels(&s.db, &ids).await?;
    let places = &options.places;
    let mut matched = Vec::new();
    for (st, d) in candidates {
        let deps = deputies_at.remove(&st.id).unwrap_or_default();
        let matching: Vec<DeputyLink> = deps
            .iter()
            .filter(|(_, lv)| level.is_none_or(|l| lv.contains(&l)))
            .filter(|(d, _)| tag.as_deref().is_none_or(|t| d.expertise.split('、').any(|x| x.contains(t))))
            .map(|(d, lv)| (d.id, d.name.clone(), places.tag(lv, township_of(&st))))
            .collect();
        if filtered && matching.is_empty() {
            continue;
        }
        matched.push((st, d, matching));
    }
    if post_filter {
        total = Some(matched.len() as i64);
        matched = matched.into_iter().skip(offset as usize).take(FIND_PAGE as usize).collect();
    }
    let mut results = Vec::new();
    for (st, d, matching) in matched {
        let shown = 6.min(matching.len());
        results.push(FoundStation {
            // A distance is only ever from the user's own position.
            distance: d.map(distance_text),
            next: None,
            more_deputies: matching.len() - shown,
            groups: by_congress(&matching[..shown], places),
            deputies: matching.into_iter().take(shown).collect(),
            nav: st.lat.zip(st.lng).filter(|_| !st.online_only).map(|(a, b)| navigation_links(a, b, &st.name)),
            href: format!("{}/s/{}", site.prefix, st.id),
            station: st,
        });
    }
    let mut next = stations::next_slots(&s.db, &results.iter().map(|r| r.station.id).collect::<Vec<_>>()).await?;
    for r in &mut results {
        r.next = next.remove(&r.station.id);
    }
    // A keyword may also be a deputy's name.
    let mut deputies = Vec::new();
    if let Some(k) = keyword.as_ref().filter(|_| page == 1) {
        let filter = persons::DeputyFilter {
            organ_path: site.organ.path.clone(),
            q: Some(k.clone()),
            name_prefix: true,
            ..Default::default()
        };
        let found = persons::list(&s.db, &filter, 0, 10).await?;
        let ids: Vec<i64> = found.iter().map(|p| p.id).collect();
        let levels = stations::serving_levels(&s.db, &ids).await?;
        deputies = found
            .into_iter()
            .map(|p| {
                let l = places.tag(levels.get(&p.id).map(Vec::as_slice).unwrap_or(&[]), None);
                (p.id, p.name, l)
            })
            .collect();
    }
    let first = offset + 1;
    let last = offset + results.len() as u64;
    // Filtered from a position, the matches are counted among the nearest candidates: say so.
    let among = if post_filter { format!("离您最近的 {NEAR_CANDIDATES} 个站点中") } else { String::new() };
    let range = match total {
        Some(n) if !results.is_empty() => format!("{among}共 {n} 个，显示 {first}–{last}"),
        Some(n) if n > 0 => format!("共 {n} 个，本页之后没有了"),
        _ => String::new(),
    };
    if let Some(n) = total {
        has_more = (last as i64) < n;
    }
    if searched && results.is_empty() && deputies.is_empty() && message.is_empty() {
        message = "没有找到符合条件的联络站，请换一个镇街或关键词，或去掉筛选条件。".into();
    }
    let link = |p: u64| format!("{}/find?{}", site.prefix, form.page_query(p));
    render(&FindTpl {
        organ_name: site.organ.name.clone(),
        prefix: site.prefix.clone(),
        townships: townships.clone(),
        levels: Level::ALL.iter().map(|l| (l.as_str(), places.title(*l, None))).collect(),
        tags: options.tags.clone(),
        example: options.example.clone(),
        prev: (page > 1 && searched).then(|| link(page - 1)),
        next: has_more.then(|| link(page + 1)),
        area_name: area.map(|a| a.name).unwrap_or_default(),
        f: form,
        results,
        deputies,
        searched,
        order,
        range,
        message,
    })
}

/// What the find form offers for a site, cached per node.
pub struct FindOptions {
    /// The township picker.
    pub townships: Vec<Area>,
    /// The most common expertise tags, offered as suggestions.
    pub tags: Vec<String>,
    /// The keyword shown as an example in the search box: a township whose name finds a
    /// station here, so the example always works.
    pub example: String,
    /// What each level's congress is called here.
    pub places: Places,
}

/// The township picker, the common expertise tags and the search example of a site.
async fn find_options(s: &AppState, organ: &Organ) -> AppResult<std::sync::Arc<FindOptions>> {
    let organ = organ.clone();
    let db = s.db.clone();
    Ok(crate::registry::cache(s)
        .find_options
        .get_or_load(organ.path.clone(), || async move {
            let area = org::area(&db, organ.area_id).await?;
            let area_path = area.map(|a| a.path).unwrap_or_else(|| "/".into());
            let townships: Vec<Area> = crate::db::query_all(
                &db,
                "SELECT id, code, name, parent_id, level, path, lat, lng FROM areas \
                 WHERE path LIKE $1 ESCAPE '\\' AND level = 'township' ORDER BY code LIMIT 2000",
                vec![format!("{}%", crate::db::like_escape(&area_path)).into()],
            )
            .await?;
            // The most common tags among the most recently registered persons: bounded work
            // at any size.
            let rows = crate::db::query_rows(
                &db,
                "SELECT tag FROM (SELECT tag FROM person_tags ORDER BY id DESC LIMIT 100000) t \
                 GROUP BY tag ORDER BY count(*) DESC, tag LIMIT 16",
                vec![],
            )
            .await?;
            let tags = rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect();
            let rows = crate::db::query_rows(
                &db,
                "SELECT a.name, s.name, s.address FROM stations s JOIN areas a ON a.id = s.area_id \
                 JOIN organs o ON o.id = s.organ_id WHERE o.path LIKE $1 ESCAPE '\\' AND a.level = 'township' \
                 ORDER BY s.id LIMIT 50",
                vec![format!("{}%", crate::db::like_escape(&organ.path)).into()],
            )
            .await?;
            let example = rows
                .iter()
                .filter_map(|r| {
                    let (a, n, addr): (String, String, String) =
                        (r.try_get_by_index(0).ok()?, r.try_get_by_index(1).ok()?, r.try_get_by_index(2).ok()?);
                    (n.contains(&a) || addr.contains(&a)).then_some(a)
                })
                .next()
                .unwrap_or_default();
            let places = Places::of(&db, &organ).await?;
            Ok::<_, sea_orm::DbErr>(FindOptions { townships, tags, example, places })
        })
        .await?)
}

/// What the congress of each level is called where a public site is (issue 16): 诸城市人大代表
/// and 潍坊市人大代表 — the organ's own place — never 县 or 市 (to a 县级市's residents 市 is their
/// own congress, not the prefecture's).
pub struct Places {
    /// By `Level::ALL`'s order: 全国, the province, the city, the county, the township (the site's
    /// own where it is a township's; else the station's, given per call).
    names: [Option<String>; 5],
    /// The site organ's own level: its deputies get no tag of their own.
    own: Option<Level>,
}

impl Places {
    pub async fn of<C: sea_orm::ConnectionTrait>(c: &C, organ: &Organ) -> Result<Places, sea_orm::DbErr> {
        let mut names: [Option<String>; 5] = [Some("全国".into()), None, None, None, None];
        if let Some(area) = org::area(c, organ.area_id).await? {
            let ids: Vec<i64> = area.path.split('/').filter_map(|x| x.parse().ok()).collect();
            for id in ids {
                let Some(a) = org::area(c, id).await? else { continue };
                let level = match a.level.as_str() {
                    "province" => Level::Provincial,
                    "city" => Level::City,
                    "county" => Level::County,
                    "township" => Level::Township,
                    _ => continue,
                };
                names[Self::index(level)] = Some(a.name);
            }
        }
        Ok(Places { names, own: Level::parse(&organ.level) })
    }

    fn index(l: Level) -> usize {
        Level::ALL.iter().position(|x| *x == l).unwrap_or(0)
    }

    /// 「潍坊市」, 「全国」, the township's name (the site's, else `township`), or the level's
    /// generic name where the place is not known (a township's deputy found by name: 乡镇).
    pub fn name(&self, l: Level, township: Option<&str>) -> String {
        let known = self.names[Self::index(l)].clone();
        match l {
            Level::Township => known.or(township.map(str::to_string)).unwrap_or_else(|| "乡镇".into()),
            _ => known.unwrap_or_else(|| l.label().to_string()),
        }
    }

    /// 「潍坊市人大代表」
    pub fn title(&self, l: Level, township: Option<&str>) -> String {
        format!("{}人大代表", self.name(l, township))
    }

    /// The site's own congress: 「诸城市人大代表」.
    pub fn own_title(&self) -> String {
        self.own.map(|l| self.title(l, None)).unwrap_or_else(|| "人大代表".into())
    }

    /// The tag beside a deputy's name: nothing for a deputy of the site's own congress alone;
    /// else every congress they serve in, highest first (「诸城市、潍坊市人大代表」).
    pub fn tag(&self, levels: &[Level], township: Option<&str>) -> String {
        if levels.is_empty() || (levels.len() == 1 && Some(levels[0]) == self.own) {
            return String::new();
        }
        let names: Vec<String> = levels.iter().map(|l| self.name(*l, township)).collect();
        format!("{}人大代表", names.join("、"))
    }
}

/// Deputies grouped by their tag, in the order the groups first appear; the site's own
/// deputies (no tag) under the site's congress.
fn by_congress(deputies: &[DeputyLink], places: &Places) -> Vec<(String, Vec<(i64, String)>)> {
    let mut out: Vec<(String, Vec<(i64, String)>)> = Vec::new();
    for (id, name, tag) in deputies {
        let label = if tag.is_empty() { places.own_title() } else { tag.clone() };
        match out.iter_mut().find(|(l, _)| *l == label) {
            Some((_, list)) => list.push((*id, name.clone())),
            None => out.push((label, vec![(*id, name.clone())])),
        }
    }
    out
}

/// The township a station is in, by its area's name (none for a county-wide one).
fn township_of(st: &Station) -> Option<&str> {
    let n = st.area_name.as_str();
    (n.ends_with('镇') || n.ends_with('乡') || n.ends_with("街道")).then_some(n)
}

// ------------------------------------------------------------------------------- /d/{id}

pub struct PublicMandate {
    pub title: String,
    pub constituency: String,
}

#[derive(Template)]
#[template(path = "public/deputy.html")]
struct DeputyTpl {
    organ_name: String,
    prefix: String,
    p: Person,
    gender: &'static str,
    mandates: Vec<PublicMandate>,
    stations: Vec<(i64, String)>,
    groups: Vec<String>,
    slots: Vec<(Slot, String)>,
    url: String,
    card: bool,
}

async fn deputy_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    code: Option<String>,
    id: String,
    kind: Kind,
) -> AppResult<Response> {
    let site = site(&s, &headers, code).await?;
    let id = parse_id(&id)?;
    // The person and the card's extras in one statement; the organ from the per-node cache.
    let (p, extras) = persons::card(&s.db, id, stations::today(), 4).await?.ok_or(AppError::NotFound)?;
    let organ = s.public.organ_by_id(&s.db, p.organ_id).await?.ok_or(AppError::NotFound)?;
    if !organ.path.starts_with(&site.organ.path) {
        return Err(AppError::NotFound);
    }
    let mandates: Vec<Mandate> = extras.mandates;
    if mandates.is_empty() {
        // Only serving deputies have a public card.
        return Err(AppError::NotFound);
    }
    let url = format!("{}{}/d/{id}", site.base_url, site.prefix);
    if let Some(code) = kind.qr_code(&url)? {
        return Ok(code);
    }
    let (stations, groups, slots) = (extras.stations, extras.groups, extras.slots);
    render(&DeputyTpl {
        organ_name: site.organ.name.clone(),
        prefix: site.prefix,
        gender: p.gender.label(),
        mandates: mandates
            .iter()
            .map(|m| PublicMandate { title: m.title(), constituency: m.constituency.clone() })
            .collect(),
        p,
        stations,
        groups,
        slots,
        url,
        card: kind == Kind::Card,
    })
}

// ------------------------------------------------------------------------------- /s/{id}

#[derive(Template)]
#[template(path = "public/station.html")]
struct StationTpl {
    organ_name: String,
    prefix: String,
    st: Station,
    nav: Option<NavLinks>,
    slots: Vec<Slot>,
    /// Dates cancelled or moved, with the reasons (REG-10).
    changes: Vec<crate::registry::duty_changes::DutyChange>,
    by_level: Vec<(String, Vec<DeputyLink>)>,
    /// Attachment ids of the station's photos.
    photos: Vec<i64>,
    url: String,
    card: bool,
}

async fn station_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    code: Option<String>,
    id: String,
    kind: Kind,
) -> AppResult<Response> {
    let site = site(&s, &headers, code).await?;
    let id = parse_id(&id)?;
    let st = stations::station(&s.db, id).await?.ok_or(AppError::NotFound)?;
    if !st.organ_path.starts_with(&site.organ.path) {
        return Err(AppError::NotFound);
    }
    let url = format!("{}{}/s/{id}", site.base_url, site.prefix);
    if let Some(code) = kind.qr_code(&url)? {
        return Ok(code);
    }
    if let Kind::Poster(size) = kind {
        let qr_svg = qr::qr_svg(&url, 8).map_err(qr_error)?;
        return render(&PosterTpl { organ_name: site.organ.name.clone(), prefix: site.prefix, size, st, url, qr_svg });
    }
    let today = stations::today();
    let extras = stations::public_extras(&s.db, id, today, today + chrono::Days::new(62), 12).await?;
    let options = find_options(&s, &site.organ).await?;
    let places = &options.places;
    let mut by_level: Vec<(String, Vec<DeputyLink>)> = Vec::new();
    for l in Level::ALL {
        // Each deputy is listed once, under the highest level they serve at; one who serves at
        // several says all of them.
        let here: Vec<DeputyLink> = extras
            .deputies
            .iter()
            .filter(|(_, _, lv)| lv.first() == Some(&l))
            .map(|(id, name, lv)| {
                let tag = if lv.len() > 1 { places.tag(lv, township_of(&st)) } else { String::new() };
                (*id, name.clone(), tag)
            })
            .collect();
        if !here.is_empty() {
            by_level.push((places.title(l, township_of(&st)), here));
        }
    }
    render(&StationTpl {
        organ_name: site.organ.name.clone(),
        prefix: site.prefix,
        nav: st.lat.zip(st.lng).filter(|_| !st.online_only).map(|(a, b)| navigation_links(a, b, &st.name)),
        photos: extras.photos,
        st,
        slots: extras.slots,
        changes: extras.changes,
        by_level,
        url,
        card: kind == Kind::Card,
    })
}

/// A door poster with the station's QR code, A4 or A3 (`@page` in the print stylesheet).
#[derive(Template)]
#[template(path = "public/station_poster.html")]
struct PosterTpl {
    organ_name: String,
    prefix: String,
    size: PosterSize,
    st: Station,
    url: String,
    /// Our own QR code, inline so that the poster prints in one piece.
    qr_svg: String,
}
