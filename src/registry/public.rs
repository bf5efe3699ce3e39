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
        .route("/s/{id}/{view}", get(|s, h, Path((id, v)): Path<(String, String)>| station_view(s, h, None, id, v)))
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
            get(|s, h, Path((o, id, v)): Path<(String, String, String)>| station_view(s, h, Some(o), id, v)),
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

/// `/s/{id}/card`, `/s/{id}/qr.svg`, `/s/{id}/qr.png`; anything else is a 404.
async fn station_view(
    s: State<AppState>,
    h: HeaderMap,
    organ: Option<String>,
    id: String,
    view: String,
) -> AppResult<Response> {
    station_page(s, h, organ, id, Kind::parse(&view)?).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Page,
    Card,
    Svg,
    Png,
}

impl Kind {
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
fn base_url(s: &AppState, headers: &HeaderMap) -> String {
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
}

/// A deputy as a link: (id, name, levels text such as "县·乡镇").
pub type DeputyLink = (i64, String, String);

pub struct FoundStation {
    pub station: Station,
    pub distance: Option<String>,
    pub next: Option<Slot>,
    pub deputies: Vec<(i64, String, String)>,
    pub more_deputies: usize,
    pub nav: Option<NavLinks>,
    pub href: String,
}

#[derive(Template)]
#[template(path = "public/find.html")]
struct FindTpl {
    organ_name: String,
    prefix: String,
    townships: Vec<Area>,
    levels: Vec<(&'static str, &'static str)>,
    tags: Vec<String>,
    f: FindForm,
    results: Vec<FoundStation>,
    deputies: Vec<(i64, String, String)>,
    searched: bool,
    /// Results are ordered by distance from a position (else they matched a keyword or area).
    by_distance: bool,
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

async fn find(
    State(s): State<AppState>,
    h: HeaderMap,
    code: Option<String>,
    Query(q): Query<FindQuery>,
) -> AppResult<Response> {
    let site = site(&s, &h, code).await?;
    let options = find_options(&s, &site.organ).await?;
    let (townships, tags) = (&options.0, options.1.clone());
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
    let tag = q.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(String::from);
    form.tag = tag.clone().unwrap_or_default();
    let parse = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| v.parse::<f64>());
    // The position to measure from: the phone's location, else the picked township's centre.
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
            if origin.is_none() {
                origin = area.lat.zip(area.lng);
            }
            Some(area)
        }
    };
    let keyword =
        q.q.as_deref().map(str::trim).filter(|k| !k.is_empty()).map(|k| k.chars().take(30).collect::<String>());
    form.q = keyword.clone().unwrap_or_default();
    let searched = origin.is_some() || area.is_some() || keyword.is_some();

    // Candidate stations, nearest first when there is a position.
    let mut candidates: Vec<(Station, Option<f64>)> = Vec::new();
    let wanted = 8;
    if keyword.is_some() || (area.is_some() && origin.is_none()) {
        let filter = stations::StationFilter {
            organ_path: site.organ.path.clone(),
            area_path: area.as_ref().map(|a| a.path.clone()),
            q: keyword.clone(),
            ..Default::default()
        };
        for st in stations::list(&s.db, &filter, 0, 200).await? {
            let d = origin.and_then(|(la, ln)| st.lat.zip(st.lng).map(|(a, b)| haversine_m(la, ln, a, b)));
            candidates.push((st, d));
        }
        candidates.sort_by(|a, b| a.1.unwrap_or(f64::MAX).total_cmp(&b.1.unwrap_or(f64::MAX)));
    } else if let Some((lat, lng)) = origin {
        let index = crate::registry::cache(&s).nearest.get(&s.db).await?;
        // Filters are applied after the exact nearest search, so ask for more than we show.
        let ask = if level.is_some() || tag.is_some() { 200 } else { 40 };
        let found = index.nearest(lat, lng, ask);
        let ids: Vec<i64> = found.iter().map(|(p, _)| p.id).collect();
        let mut by_id: std::collections::HashMap<i64, Station> =
            stations::stations_by_ids(&s.db, &ids).await?.into_iter().map(|st| (st.id, st)).collect();
        candidates = found
            .into_iter()
            .filter_map(|(p, d)| by_id.remove(&p.id).map(|st| (st, Some(d))))
            .filter(|(st, _)| st.organ_path.starts_with(&site.organ.path))
            .collect();
    }
    // Deputies of the candidate stations; level and expertise filters keep stations with a
    // match (so all candidates are read then, else only the ones shown) — one query either way.
    let filtered = level.is_some() || tag.is_some();
    let needed: Vec<i64> =
        candidates.iter().take(if filtered { usize::MAX } else { wanted }).map(|(st, _)| st.id).collect();
    let mut deputies_at = stations::deputies_with_levels(&s.db, &needed).await?;
    let mut results = Vec::new();
    for (st, d) in candidates {
        if results.len() >= wanted {
            break;
        }
        let deps = deputies_at.remove(&st.id).unwrap_or_default();
        let matching: Vec<DeputyLink> = deps
            .iter()
            .filter(|(_, lv)| level.is_none_or(|l| lv.contains(&l)))
            .filter(|(d, _)| tag.as_deref().is_none_or(|t| d.expertise.split('、').any(|x| x == t)))
            .map(|(d, lv)| (d.id, d.name.clone(), level_text(lv)))
            .collect();
        if (level.is_some() || tag.is_some()) && matching.is_empty() {
            continue;
        }
        let shown = 6.min(matching.len());
        results.push(FoundStation {
            distance: d.map(distance_text),
            next: None,
            more_deputies: matching.len() - shown,
            deputies: matching.into_iter().take(shown).collect(),
            nav: st.lat.zip(st.lng).map(|(a, b)| navigation_links(a, b, &st.name)),
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
    if let Some(k) = &keyword {
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
                let l = level_text(levels.get(&p.id).map(Vec::as_slice).unwrap_or(&[]));
                (p.id, p.name, l)
            })
            .collect();
    }
    if searched && results.is_empty() && deputies.is_empty() && message.is_empty() {
        message = "没有找到符合条件的联络站，请换一个镇街或关键词，或去掉筛选条件。".into();
    }
    render(&FindTpl {
        organ_name: site.organ.name.clone(),
        prefix: site.prefix,
        townships: townships.clone(),
        levels: Level::ALL.iter().map(|l| (l.as_str(), l.label())).collect(),
        tags,
        f: form,
        results,
        deputies,
        searched,
        by_distance: origin.is_some(),
        message,
    })
}

/// The township picker and the common expertise tags of a site, cached per node.
async fn find_options(s: &AppState, organ: &Organ) -> AppResult<std::sync::Arc<(Vec<Area>, Vec<String>)>> {
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
            Ok::<_, sea_orm::DbErr>((townships, tags))
        })
        .await?)
}

/// "全国·县" — the levels someone serves at, highest first.
pub fn level_text(levels: &[Level]) -> String {
    levels.iter().map(|l| l.label()).collect::<Vec<_>>().join("·")
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
    let p = persons::person(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let organ = s.public.organ_by_id(&s.db, p.organ_id).await?.ok_or(AppError::NotFound)?;
    if !organ.path.starts_with(&site.organ.path) {
        return Err(AppError::NotFound);
    }
    let extras = persons::card_extras(&s.db, id, stations::today(), 4).await?;
    let mandates: Vec<Mandate> = extras.mandates;
    if mandates.is_empty() {
        // Only serving deputies have a public card.
        return Err(AppError::NotFound);
    }
    let url = format!("{}{}/d/{id}", site.base_url, site.prefix);
    match kind {
        Kind::Svg => return Ok(svg_response(qr::qr_svg(&url, 8).map_err(qr_error)?)),
        Kind::Png => return Ok(png_response(qr::qr_png(&url, 8).map_err(qr_error)?)),
        _ => {}
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
    by_level: Vec<(&'static str, Vec<DeputyLink>)>,
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
    match kind {
        Kind::Svg => return Ok(svg_response(qr::qr_svg(&url, 8).map_err(qr_error)?)),
        Kind::Png => return Ok(png_response(qr::qr_png(&url, 8).map_err(qr_error)?)),
        _ => {}
    }
    let today = stations::today();
    let extras = stations::public_extras(&s.db, id, today, today + chrono::Days::new(62), 12).await?;
    let mut by_level: Vec<(&'static str, Vec<DeputyLink>)> = Vec::new();
    for l in Level::ALL {
        // Each deputy is listed once, under the highest level they serve at.
        let here: Vec<DeputyLink> = extras
            .deputies
            .iter()
            .filter(|(_, _, lv)| lv.first() == Some(&l))
            .map(|(id, name, lv)| (*id, name.clone(), level_text(lv)))
            .collect();
        if !here.is_empty() {
            by_level.push((level_heading(l), here));
        }
    }
    render(&StationTpl {
        organ_name: site.organ.name.clone(),
        prefix: site.prefix,
        nav: st.lat.zip(st.lng).filter(|_| !st.online_only).map(|(a, b)| navigation_links(a, b, &st.name)),
        photos: extras.photos,
        st,
        slots: extras.slots,
        by_level,
        url,
        card: kind == Kind::Card,
    })
}

fn level_heading(l: Level) -> &'static str {
    match l {
        Level::National => "全国人大代表",
        Level::Provincial => "省人大代表",
        Level::City => "市人大代表",
        Level::County => "县（市、区）人大代表",
        Level::Township => "乡镇人大代表",
    }
}
