//! The registry's public API (REG API, PLAT-16): deputies, stations, duty schedule, nearest
//! stations and the Popolo export. Only public fields: no private phone, no birth date.

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::app::error::{AppError, AppResult};
use crate::app::extract::{PathId, Query};
use crate::app::openapi::{
    Operation, PAGING, Param, SchemaFn, cursor_paging, date, id, one_of, param, query_date, query_id, query_int, range,
    required, schema, text,
};
use crate::app::paging::{Page, paginate};
use crate::app::state::AppState;
use crate::db;
use crate::org;
use crate::registry::Level;
use crate::registry::geo::valid_wgs84;
use crate::registry::persons::{self, DeputyFilter, Mandate};
use crate::registry::stations::{self, Slot, Station, StationFilter};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/deputies", get(list_deputies))
        .route("/api/v1/deputies/{id}", get(get_deputy))
        .route("/api/v1/stations", get(list_stations))
        .route("/api/v1/stations/nearest", get(nearest))
        .route("/api/v1/stations/{id}", get(get_station))
        .route("/api/v1/stations/{id}/schedule", get(schedule))
        .route("/api/v1/popolo.json", get(popolo))
}

/// A deputy's public record.
#[derive(Serialize, schemars::JsonSchema)]
pub struct DeputyOut {
    pub id: i64,
    pub name: String,
    /// `male|female`
    pub gender: String,
    pub ethnicity: String,
    pub party: String,
    pub occupation: String,
    pub work_unit: String,
    pub expertise: Vec<String>,
    /// Public contact channel chosen by the deputy (never a private phone number).
    pub public_contact: String,
    pub mandates: Vec<Mandate>,
    pub station_ids: Vec<i64>,
    /// The stable public page (REG-13).
    pub url: String,
}

/// A station (家站点).
#[derive(Serialize, schemars::JsonSchema)]
pub struct StationOut {
    pub id: i64,
    pub name: String,
    /// Station type code: `home|station|central_station|village_point|family_point|studio|…`
    #[serde(rename = "type")]
    pub type_code: String,
    pub type_name: String,
    pub organ_id: i64,
    pub area_id: i64,
    pub area_name: String,
    pub address: String,
    /// WGS-84
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub online_only: bool,
    /// How to join an online station (网上代表工作室): a link or a contact; may be empty.
    pub join_info: String,
    pub opening_hours: String,
    /// The station's public phone
    pub phone: String,
    pub facilities: Vec<String>,
    pub url: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct NearestOut {
    #[serde(flatten)]
    pub station: StationOut,
    /// Great-circle distance in metres
    pub distance_m: f64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct NearestList {
    pub items: Vec<NearestOut>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ScheduleOut {
    pub station_id: i64,
    pub items: Vec<Slot>,
}

async fn type_codes(s: &AppState) -> AppResult<HashMap<i64, String>> {
    Ok(crate::registry::cache(s).station_types(&s.db).await?.iter().map(|t| (t.id, t.code.clone())).collect())
}

fn station_out(st: Station, codes: &HashMap<i64, String>) -> StationOut {
    StationOut {
        id: st.id,
        type_code: codes.get(&st.type_id).cloned().unwrap_or_default(),
        facilities: st.facility_list().into_iter().map(String::from).collect(),
        url: format!("/s/{}", st.id),
        name: st.name,
        type_name: st.type_name,
        organ_id: st.organ_id,
        area_id: st.area_id,
        area_name: st.area_name,
        address: st.address,
        lat: st.lat,
        lng: st.lng,
        online_only: st.online_only,
        join_info: st.join_info,
        opening_hours: st.opening_hours,
        phone: st.phone,
    }
}

/// A positive id, as the document's `id` schema says (an empty value is refused).
fn id_param(name: &str, v: &Option<String>) -> AppResult<Option<i64>> {
    query_id(name, v.as_deref())
}

/// The installation's root organ: public lists show what it registers.
async fn root_path(s: &AppState) -> AppResult<String> {
    Ok(s.public.organ(&s.db, None).await?.map(|o| o.path).unwrap_or_else(|| "/".into()))
}

async fn deputies_out(s: &AppState, people: Vec<persons::Person>) -> AppResult<Vec<DeputyOut>> {
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let mut mandates: HashMap<i64, Vec<Mandate>> = HashMap::new();
    for m in persons::mandates_of(&s.db, &ids).await? {
        mandates.entry(m.person_id).or_default().push(m);
    }
    let mut stations_of: HashMap<i64, Vec<i64>> = HashMap::new();
    if !ids.is_empty() {
        let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        for r in db::query_rows(
            &s.db,
            &format!(
                "SELECT person_id, station_id FROM station_deputies WHERE person_id IN ({list}) ORDER BY station_id"
            ),
            vec![],
        )
        .await?
        {
            stations_of.entry(r.try_get_by_index(0)?).or_default().push(r.try_get_by_index(1)?);
        }
    }
    Ok(people
        .into_iter()
        .map(|p| DeputyOut {
            expertise: p.tags().into_iter().map(String::from).collect(),
            mandates: mandates.remove(&p.id).unwrap_or_default(),
            station_ids: stations_of.remove(&p.id).unwrap_or_default(),
            url: format!("/d/{}", p.id),
            id: p.id,
            name: p.name,
            gender: p.gender.as_str().into(),
            ethnicity: p.ethnicity,
            party: p.party,
            occupation: p.occupation,
            work_unit: p.work_unit,
            public_contact: p.public_contact,
        })
        .collect())
}

#[derive(Deserialize, Default)]
struct DeputiesQuery {
    organ: Option<String>,
    level: Option<String>,
    group: Option<String>,
    station: Option<String>,
    tag: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

async fn list_deputies(
    State(s): State<AppState>,
    Query(q): Query<DeputiesQuery>,
) -> AppResult<axum::Json<Page<DeputyOut>>> {
    let (limit, after) = cursor_paging(q.limit.as_deref(), q.cursor.as_deref())?;
    let level =
        match q.level.as_deref() {
            None => None,
            Some(v) => Some(Level::parse(v).ok_or_else(|| {
                AppError::invalid("level", "level 应为 national、provincial、city、county 或 township")
            })?),
        };
    let filter = DeputyFilter {
        organ_path: root_path(&s).await?,
        organ_id: id_param("organ", &q.organ)?,
        level,
        group_id: id_param("group", &q.group)?,
        station_id: id_param("station", &q.station)?,
        tag: q.tag.clone(),
        q: q.q.clone(),
        name_prefix: true,
        include_former: false,
    };
    let rows = persons::list(&s.db, &filter, after, limit + 1).await?;
    let page = paginate(rows, limit, |p| p.id);
    Ok(axum::Json(Page { items: deputies_out(&s, page.items).await?, next_cursor: page.next_cursor }))
}

async fn get_deputy(State(s): State<AppState>, PathId(id): PathId) -> AppResult<axum::Json<DeputyOut>> {
    let filter = DeputyFilter { organ_path: root_path(&s).await?, ..Default::default() };
    // Same visibility as the list: a registered person with a serving mandate.
    let rows = persons::list(&s.db, &filter, id - 1, 1).await?;
    let p = rows.into_iter().find(|p| p.id == id).ok_or(AppError::NotFound)?;
    let mut out = deputies_out(&s, vec![p]).await?;
    out.pop().map(axum::Json).ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
struct StationsQuery {
    organ: Option<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
    area: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

async fn list_stations(
    State(s): State<AppState>,
    Query(q): Query<StationsQuery>,
) -> AppResult<axum::Json<Page<StationOut>>> {
    let (limit, after) = cursor_paging(q.limit.as_deref(), q.cursor.as_deref())?;
    let codes = type_codes(&s).await?;
    let type_id = match q.type_.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(t) => Some(
            codes
                .iter()
                .find(|(_, c)| c.as_str() == t)
                .map(|(id, _)| *id)
                .ok_or_else(|| AppError::invalid("type", format!("未知的站点类型 {t}")))?,
        ),
    };
    let area_path = match id_param("area", &q.area)? {
        None => None,
        Some(a) => Some(org::area(&s.db, a).await?.ok_or_else(|| AppError::invalid("area", "区划不存在"))?.path),
    };
    let filter = StationFilter {
        organ_path: root_path(&s).await?,
        organ_id: id_param("organ", &q.organ)?,
        type_id,
        area_path,
        q: q.q.clone(),
        ..Default::default()
    };
    let rows = stations::list(&s.db, &filter, after, limit + 1).await?;
    let page = paginate(rows, limit, |st| st.id);
    Ok(axum::Json(Page {
        items: page.items.into_iter().map(|st| station_out(st, &codes)).collect(),
        next_cursor: page.next_cursor,
    }))
}

async fn visible_station(s: &AppState, id: i64) -> AppResult<Station> {
    let st = stations::station(&s.db, id).await?.ok_or(AppError::NotFound)?;
    if !st.organ_path.starts_with(&root_path(s).await?) {
        return Err(AppError::NotFound);
    }
    Ok(st)
}

async fn get_station(State(s): State<AppState>, PathId(id): PathId) -> AppResult<axum::Json<StationOut>> {
    let st = visible_station(&s, id).await?;
    Ok(axum::Json(station_out(st, &type_codes(&s).await?)))
}

#[derive(Deserialize, Default)]
struct ScheduleQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn schedule(
    State(s): State<AppState>,
    PathId(id): PathId,
    Query(q): Query<ScheduleQuery>,
) -> AppResult<axum::Json<ScheduleOut>> {
    visible_station(&s, id).await?;
    let date = |name: &str, v: &Option<String>, default: chrono::NaiveDate| {
        query_date(name, v.as_deref()).map(|d| d.unwrap_or(default))
    };
    let today = stations::today();
    let from = date("from", &q.from, today)?;
    let to = date("to", &q.to, today + chrono::Days::new(stations::HORIZON_DAYS))?;
    if to < from || (to - from).num_days() > 400 {
        return Err(AppError::invalid("to", "to 应不早于 from，且跨度不超过 400 天"));
    }
    let items = stations::slots(&s.db, id, from, to, 1000).await?;
    Ok(axum::Json(ScheduleOut { station_id: id, items }))
}

#[derive(Deserialize, Default)]
struct NearestQuery {
    lat: Option<String>,
    lng: Option<String>,
    limit: Option<String>,
}

async fn nearest(State(s): State<AppState>, Query(q): Query<NearestQuery>) -> AppResult<axum::Json<NearestList>> {
    let num = |name: &str, v: &Option<String>| -> AppResult<f64> {
        v.as_deref()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| AppError::invalid(name, format!("{name} 应为十进制度数（WGS-84）")))
    };
    let (lat, lng) = (num("lat", &q.lat)?, num("lng", &q.lng)?);
    if !valid_wgs84(lat, lng) {
        return Err(AppError::invalid("lat", "坐标超出范围（纬度 -90 至 90，经度 -180 至 180）"));
    }
    let limit = query_int("limit", q.limit.as_deref(), 10, 1, 50)? as usize;
    let index = crate::registry::cache(&s).nearest.get(&s.db).await?;
    let found = index.nearest(lat, lng, limit);
    let ids: Vec<i64> = found.iter().map(|(p, _)| p.id).collect();
    let mut by_id: HashMap<i64, Station> =
        stations::stations_by_ids(&s.db, &ids).await?.into_iter().map(|st| (st.id, st)).collect();
    let codes = type_codes(&s).await?;
    let items = found
        .into_iter()
        .filter_map(|(p, d)| {
            by_id
                .remove(&p.id)
                .map(|st| NearestOut { station: station_out(st, &codes), distance_m: (d * 10.0).round() / 10.0 })
        })
        .collect();
    Ok(axum::Json(NearestList { items }))
}

// ------------------------------------------------------------------------------- Popolo

#[derive(Deserialize, Default)]
struct PopoloQuery {
    organ: Option<String>,
    term: Option<String>,
}

/// Popolo JSON (persons, organizations, memberships, areas) of the deputies of one organ and
/// term, or of every serving mandate registered here.
async fn popolo(State(s): State<AppState>, Query(q): Query<PopoloQuery>) -> AppResult<axum::Json<serde_json::Value>> {
    use serde_json::json;
    let organ_id = id_param("organ", &q.organ)?;
    let term = id_param("term", &q.term)?;
    let root = root_path(&s).await?;
    let mut sql = String::from(
        "SELECT m.id, m.person_id, m.organ_id, m.level, m.term, m.constituency, m.start_date, m.end_date, m.status, \
         o.name AS organ_name, a.name AS area_name FROM mandates m JOIN organs o ON o.id = m.organ_id \
         JOIN areas a ON a.id = o.area_id JOIN persons p ON p.id = m.person_id \
         JOIN organs po ON po.id = p.organ_id WHERE po.path LIKE $1 ESCAPE '\\'",
    );
    let mut values: Vec<sea_orm::Value> = vec![format!("{}%", db::like_escape(&root)).into()];
    if let Some(o) = organ_id {
        values.push(o.into());
        sql.push_str(&format!(" AND m.organ_id = ${}", values.len()));
    }
    if let Some(t) = term {
        values.push(t.into());
        sql.push_str(&format!(" AND m.term = ${}", values.len()));
    }
    if organ_id.is_none() && term.is_none() {
        sql.push_str(" AND m.status = 'serving'");
    }
    sql.push_str(" ORDER BY m.person_id, m.id");
    let mandates: Vec<Mandate> = db::query_all(&s.db, &sql, values).await?;
    let mut person_ids: Vec<i64> = mandates.iter().map(|m| m.person_id).collect();
    person_ids.dedup();
    let mut persons_json = Vec::new();
    for chunk in person_ids.chunks(500) {
        let list = chunk.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let people: Vec<persons::Person> = db::query_all(
            &s.db,
            &format!("SELECT {} FROM persons WHERE id IN ({list}) ORDER BY id", persons::PERSON_COLS),
            vec![],
        )
        .await?;
        for p in people {
            persons_json.push(json!({
                "id": format!("person/{}", p.id),
                "name": p.name,
                "gender": p.gender,
                "links": [{"url": format!("/d/{}", p.id), "note": "代表名片"}],
            }));
        }
    }
    let organs = org::all_organs(&s.db).await?;
    let used: std::collections::HashSet<i64> = mandates.iter().map(|m| m.organ_id).collect();
    let organizations: Vec<serde_json::Value> = organs
        .iter()
        .filter(|o| used.contains(&o.id))
        .map(|o| {
            json!({
                "id": format!("organ/{}", o.id),
                "name": o.name,
                "classification": "legislature",
                "identifiers": [{"scheme": "renda-organ-code", "identifier": o.code}],
                "area_id": format!("area/{}", o.area_id),
            })
        })
        .collect();
    let area_ids: std::collections::HashSet<i64> =
        organs.iter().filter(|o| used.contains(&o.id)).map(|o| o.area_id).collect();
    let areas: Vec<serde_json::Value> = org::areas_all(&s.db)
        .await?
        .into_iter()
        .filter(|a| area_ids.contains(&a.id))
        .map(|a| {
            json!({
                "id": format!("area/{}", a.id),
                "name": a.name,
                "identifier": a.code,
                "classification": a.level,
                "parent_id": a.parent_id.map(|p| format!("area/{p}")),
            })
        })
        .collect();
    let memberships: Vec<serde_json::Value> = mandates
        .iter()
        .map(|m| {
            json!({
                "id": format!("mandate/{}", m.id),
                "person_id": format!("person/{}", m.person_id),
                "organization_id": format!("organ/{}", m.organ_id),
                "role": "代表",
                "label": m.title(),
                "legislative_period_id": format!("organ/{}/term/{}", m.organ_id, m.term),
                "post": {"label": m.constituency},
                "start_date": m.start_date,
                "end_date": m.end_date,
                "status": m.status,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "persons": persons_json,
        "organizations": organizations,
        "memberships": memberships,
        "areas": areas,
    })))
}

/// The registry's API operations, for the OpenAPI document.
pub const OPERATIONS: &[Operation] = &[
    public_get(
        "/api/v1/deputies",
        "代表列表（在任；公开字段）",
        &[
            param("organ", "代表资格所属人大机关编号（含上级人大）", id),
            param("level", "代表层级", levels),
            param("group", "代表小组/代表团编号", id),
            param("station", "联络站编号", id),
            param("tag", "专业特长，如 医疗卫生", text),
            param("q", "姓名开头，如 王 或 王建", text),
            PAGING[0],
            PAGING[1],
        ],
        schema::<Page<DeputyOut>>,
    ),
    public_get("/api/v1/deputies/{id}", "代表详情（公开字段，含各级代表资格）", &[], schema::<DeputyOut>),
    public_get(
        "/api/v1/stations",
        "联络站（家站点）列表",
        &[
            param("organ", "人大机关编号", id),
            param("type", "站点类型代码，如 station、home、village_point（以站点类型表为准）", text),
            param("area", "区划编号（含下级）", id),
            param("q", "名称或地址关键词", text),
            PAGING[0],
            PAGING[1],
        ],
        schema::<Page<StationOut>>,
    ),
    public_get(
        "/api/v1/stations/nearest",
        "最近的联络站（精确大圆距离）",
        &[
            required("lat", "纬度（WGS-84）", latitude),
            required("lng", "经度（WGS-84）", longitude),
            param("limit", "条数，1–50，默认 10", nearest_limit),
        ],
        schema::<NearestList>,
    ),
    public_get("/api/v1/stations/{id}", "联络站详情", &[], schema::<StationOut>),
    public_get(
        "/api/v1/stations/{id}/schedule",
        "联络站进站接待安排",
        &[
            param("from", "起始日期 YYYY-MM-DD，默认今天", date),
            param("to", "截止日期 YYYY-MM-DD，默认半年后；不早于 from，跨度不超过 400 天", date),
        ],
        schema::<ScheduleOut>,
    ),
    public_get(
        "/api/v1/popolo.json",
        "Popolo 格式导出：人员、机关、代表资格、区划（可按机关与届次）",
        &[param("organ", "人大机关编号", id), param("term", "届次", id)],
        popolo_schema,
    ),
];

/// A public read of the registry: no sign-in, `200`, under 代表与联络站.
const fn public_get(
    path: &'static str,
    summary: &'static str,
    query: &'static [Param],
    response: SchemaFn,
) -> Operation {
    Operation {
        method: "get",
        path,
        summary,
        tag: "代表与联络站",
        auth: false,
        query,
        request: None,
        response,
        status: 200,
        path_params: &[],
        empty_body: false,
    }
}

/// The `level` filter: the values `Level::parse` accepts.
fn levels() -> serde_json::Value {
    one_of(Level::ALL.iter().map(|l| l.as_str()))
}

fn latitude() -> serde_json::Value {
    serde_json::json!({"type": "number", "minimum": -90, "maximum": 90})
}

fn longitude() -> serde_json::Value {
    serde_json::json!({"type": "number", "minimum": -180, "maximum": 180})
}

fn nearest_limit() -> serde_json::Value {
    range(1, 50)
}

/// The Popolo document: four lists of Popolo objects (https://www.popoloproject.com/specs/).
fn popolo_schema(_: &mut schemars::SchemaGenerator) -> serde_json::Value {
    use serde_json::json;
    let list = |what: &str| json!({"type": "array", "description": what, "items": {"type": "object"}});
    json!({
        "type": "object",
        "description": "Popolo JSON：persons、organizations、memberships、areas",
        "properties": {
            "persons": list("人员（Popolo Person）"),
            "organizations": list("机关（Popolo Organization）"),
            "memberships": list("代表资格（Popolo Membership）"),
            "areas": list("区划（Popolo Area）"),
        },
        "required": ["persons", "organizations", "memberships", "areas"],
    })
}
