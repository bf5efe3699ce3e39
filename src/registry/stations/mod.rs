//! Stations (家站点, REG-9): the station record, its types, checks and audited writes, and the
//! station list's filter. Its people (deputies, keepers) are `people`, its duty rules and
//! slots (REG-10) `duty`, the per-node nearest-station index (REG-14) `nearest`, the reads
//! folded into one row `folded`.

mod duty;
mod folded;
mod nearest;
mod people;

/// A dated duty slot (the type lives with the duty rules).
pub use super::schedule::Slot;
pub use duty::{
    DutyRuleRow, HORIZON_DAYS, add_rule, expand_rule, extend_all_rules, next_slots, remove_rule, rules, slots, today,
};
pub use folded::{PublicExtras, public_extras, stations_by_ids};
pub use nearest::NearestCache;
pub use people::{
    StationDeputy, add_keeper, assign_deputy, deputies, deputies_with_levels, keepers, move_deputy, serving_levels,
    unassign_deputy,
};

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::{Deserialize, Serialize};

use super::geo::valid_wgs84;
use super::persons::{field, invalid};
use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::registry::records::audit_change;

/// The "六有" checklist most provinces use for a station, offered as the default facilities.
pub const FACILITIES: [&str; 8] =
    ["有固定场所", "有标识牌", "有工作制度", "有活动计划", "有代表名单", "有工作台账", "无障碍通道", "可线上接待"];

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Station {
    pub id: i64,
    pub organ_id: i64,
    pub area_id: i64,
    pub type_id: i64,
    pub type_name: String,
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub online_only: bool,
    pub opening_hours: String,
    pub phone: String,
    pub facilities: String,
    pub description: String,
    /// How to join an online station: a web address, a 公众号 or a contact.
    pub join_info: String,
    pub area_name: String,
    pub updated_at: i64,
    /// The path of the station's organ, for scope checks without another query.
    #[serde(skip)]
    pub organ_path: String,
}

pub const STATION_SELECT: &str = "SELECT s.id, s.organ_id, s.area_id, s.type_id, t.name AS type_name, s.name, \
     s.address, s.lat, s.lng, s.online_only, s.opening_hours, s.phone, s.facilities, s.description, \
     s.join_info, a.name AS area_name, s.updated_at, so.path AS organ_path FROM stations s \
     JOIN station_types t ON t.id = s.type_id JOIN areas a ON a.id = s.area_id JOIN organs so ON so.id = s.organ_id";

impl Station {
    pub fn facility_list(&self) -> Vec<&str> {
        self.facilities.split('|').filter(|f| !f.is_empty()).collect()
    }

    /// The join information when it is a web address, to be shown as a link.
    pub fn join_link(&self) -> Option<&str> {
        let j = self.join_info.trim();
        (j.starts_with("https://") || j.starts_with("http://")).then_some(j)
    }
}

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct StationType {
    pub id: i64,
    pub code: String,
    pub name: String,
}

pub async fn types<C: ConnectionTrait>(c: &C) -> Result<Vec<StationType>, DbErr> {
    db::query_all(c, "SELECT id, code, name FROM station_types ORDER BY sort, id", vec![]).await
}

/// Adds a station type of an organ's own (the list is configurable, REG-9). Its API code is
/// `custom_{id}`, stable once made.
pub async fn create_type<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    name: &str,
) -> Result<i64, AppError> {
    let name = name.trim();
    if !(2..=30).contains(&name.chars().count()) {
        return Err(AppError::invalid("name", "类型名称应为 2 至 30 个字"));
    }
    if db::scalar_i64(c, "SELECT count(*) FROM station_types WHERE name = $1", vec![name.into()]).await? > 0 {
        return Err(AppError::invalid("name", format!("已有站点类型“{name}”")));
    }
    let sort = db::scalar_i64(c, "SELECT COALESCE(max(sort), 0) + 1 FROM station_types", vec![]).await?;
    let id = db::insert_id(
        c,
        "INSERT INTO station_types (organ_id, code, name, sort) VALUES ($1, '', $2, $3)",
        vec![organ_id.into(), name.into(), sort.into()],
    )
    .await?;
    db::exec(c, "UPDATE station_types SET code = $1 WHERE id = $2", vec![format!("custom_{id}").into(), id.into()])
        .await?;
    audit_change(c, (key, actor), "station_type_create", "organ", organ_id, organ_id, format!("新增站点类型 {name}"))
        .await?;
    Ok(id)
}

pub async fn station<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Station>, DbErr> {
    db::query_one(c, &format!("{STATION_SELECT} WHERE s.id = $1"), vec![id.into()]).await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct StationInput {
    pub name: String,
    pub type_id: i64,
    pub area_id: i64,
    pub address: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub online_only: bool,
    pub opening_hours: String,
    pub phone: String,
    pub facilities: Vec<String>,
    pub description: String,
    pub join_info: String,
}

/// Checks a station's fields against the database (type and area exist).
pub async fn validate<C: ConnectionTrait>(c: &C, input: &StationInput) -> Result<StationInput, AppError> {
    let mut f = Vec::new();
    let mut out = input.clone();
    out.name = input.name.trim().into();
    if !(2..=60).contains(&out.name.chars().count()) {
        field(&mut f, "name", "名称应为 2 至 60 个字");
    }
    if db::scalar_i64(c, "SELECT count(*) FROM station_types WHERE id = $1", vec![input.type_id.into()]).await? == 0 {
        field(&mut f, "type_id", "请选择站点类型");
    }
    if crate::org::area(c, input.area_id).await?.is_none() {
        field(&mut f, "area_id", "请选择所在区划");
    }
    out.address = input.address.trim().into();
    if !input.online_only && out.address.is_empty() {
        field(&mut f, "address", "请填写地址（网上代表工作室可不填）");
    }
    match (input.lat, input.lng) {
        (Some(lat), Some(lng)) if !valid_wgs84(lat, lng) => {
            field(&mut f, "lat", "坐标超出范围（纬度 -90 至 90，经度 -180 至 180）")
        }
        (Some(_), None) | (None, Some(_)) => field(&mut f, "lat", "经度和纬度要一起填写"),
        (None, None) if !input.online_only => field(&mut f, "lat", "请填写坐标，群众才能按距离找到这个站点"),
        _ => {}
    }
    out.lat = input.lat.map(round7);
    out.lng = input.lng.map(round7);
    out.opening_hours = input.opening_hours.trim().into();
    out.phone = input.phone.trim().into();
    if out.phone.chars().count() > 30 || out.opening_hours.chars().count() > 100 {
        field(&mut f, "phone", "电话不超过 30 个字，开放时间不超过 100 个字");
    }
    out.facilities = input.facilities.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    out.facilities.dedup();
    out.description = input.description.trim().into();
    if out.description.chars().count() > 1000 {
        field(&mut f, "description", "简介不超过 1000 字");
    }
    out.join_info = input.join_info.trim().into();
    if out.join_info.chars().count() > 200 {
        field(&mut f, "join_info", "加入方式不超过 200 个字");
    }
    if f.is_empty() { Ok(out) } else { Err(invalid(f)) }
}

async fn bump_stations<C: ConnectionTrait>(c: &C) -> Result<(), DbErr> {
    db::exec(c, "UPDATE change_counters SET value = value + 1 WHERE name = 'stations'", vec![]).await.map(|_| ())
}

/// Seven decimals of a degree is about a centimetre: more is noise from conversions.
fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn station_values(s: &StationInput) -> Vec<Value> {
    vec![
        s.name.clone().into(),
        s.type_id.into(),
        s.area_id.into(),
        s.address.clone().into(),
        s.lat.map(round7).into(),
        s.lng.map(round7).into(),
        s.online_only.into(),
        s.opening_hours.clone().into(),
        s.phone.clone().into(),
        s.facilities.join("|").into(),
        s.description.clone().into(),
        s.join_info.clone().into(),
    ]
}

/// Creates a station; `input` must have passed `validate`.
pub async fn create<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    organ_id: i64,
    input: &StationInput,
) -> Result<i64, AppError> {
    let now = db::now();
    let mut values = station_values(input);
    values.extend([organ_id.into(), now.into(), now.into()]);
    let id = db::insert_id(
        c,
        "INSERT INTO stations (name, type_id, area_id, address, lat, lng, online_only, opening_hours, phone, \
         facilities, description, join_info, organ_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        values,
    )
    .await?;
    bump_stations(c).await?;
    audit_change(c, (key, actor), "station_create", "station", id, organ_id, format!("新建站点 {}", input.name))
        .await?;
    Ok(id)
}

pub async fn update<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    id: i64,
    input: &StationInput,
) -> Result<(), AppError> {
    let before = station(c, id).await?.ok_or(AppError::NotFound)?;
    let mut changed = Vec::new();
    if before.name != input.name {
        changed.push(format!("名称：{} → {}", before.name, input.name));
    }
    for (label, same) in [
        ("类型", before.type_id == input.type_id),
        ("区划", before.area_id == input.area_id),
        ("地址", before.address == input.address),
        ("坐标", before.lat == input.lat && before.lng == input.lng),
        ("线上", before.online_only == input.online_only),
        ("开放时间", before.opening_hours == input.opening_hours),
        ("电话", before.phone == input.phone),
        ("设施", before.facilities == input.facilities.join("|")),
        ("简介", before.description == input.description),
        ("加入方式", before.join_info == input.join_info),
    ] {
        if !same {
            changed.push(label.to_string());
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let mut values = station_values(input);
    values.extend([db::now().into(), id.into()]);
    db::exec(
        c,
        "UPDATE stations SET name = $1, type_id = $2, area_id = $3, address = $4, lat = $5, lng = $6, \
         online_only = $7, opening_hours = $8, phone = $9, facilities = $10, description = $11, join_info = $12, \
         updated_at = $13 WHERE id = $14",
        values,
    )
    .await?;
    bump_stations(c).await?;
    let said = format!("修改：{}", changed.join("、"));
    audit_change(c, (key, actor), "station_update", "station", id, before.organ_id, said).await?;
    Ok(())
}

/// Filters of the station list.
#[derive(Clone, Debug, Default)]
pub struct StationFilter {
    pub organ_path: String,
    pub organ_id: Option<i64>,
    pub type_id: Option<i64>,
    /// Stations in this area or below it.
    pub area_path: Option<String>,
    pub q: Option<String>,
    /// Stations where a serving deputy of this level (`Level::as_str`) is stationed …
    pub deputy_level: Option<String>,
    /// … and (the same deputy) whose expertise contains this text: 医疗 finds 医疗卫生.
    pub deputy_tag: Option<String>,
}

fn filter_sql(f: &StationFilter) -> (String, Vec<Value>) {
    let mut wh = vec!["o.path LIKE $1 ESCAPE '\\'".to_string()];
    let mut values: Vec<Value> = vec![format!("{}%", db::like_escape(&f.organ_path)).into()];
    let mut add = |cond: &str, v: Value| {
        values.push(v);
        wh.push(cond.replace('?', &format!("${}", values.len())));
    };
    if let Some(o) = f.organ_id {
        add("s.organ_id = ?", o.into());
    }
    if let Some(t) = f.type_id {
        add("s.type_id = ?", t.into());
    }
    if let Some(p) = &f.area_path {
        add("a.path LIKE ? ESCAPE '\\'", format!("{}%", db::like_escape(p)).into());
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern: Value = format!("%{}%", db::like_escape(q)).into();
        add("(s.name LIKE ? ESCAPE '\\'", pattern.clone());
        let last = wh.pop().expect("just pushed");
        values.push(pattern);
        wh.push(format!("{last} OR s.address LIKE ${} ESCAPE '\\')", values.len()));
    }
    if f.deputy_level.is_some() || f.deputy_tag.is_some() {
        let mut cond = "EXISTS (SELECT 1 FROM station_deputies sd JOIN persons p ON p.id = sd.person_id \
             JOIN mandates m ON m.person_id = p.id AND m.status = 'serving' WHERE sd.station_id = s.id"
            .to_string();
        if let Some(l) = &f.deputy_level {
            values.push(l.clone().into());
            cond.push_str(&format!(" AND m.level = ${}", values.len()));
        }
        if let Some(t) = &f.deputy_tag {
            values.push(format!("%{}%", db::like_escape(t)).into());
            cond.push_str(&format!(" AND p.expertise LIKE ${} ESCAPE '\\'", values.len()));
        }
        wh.push(format!("{cond})"));
    }
    (format!("{STATION_SELECT} JOIN organs o ON o.id = s.organ_id WHERE {}", wh.join(" AND ")), values)
}

pub async fn list<C: ConnectionTrait>(c: &C, f: &StationFilter, after: i64, limit: u64) -> Result<Vec<Station>, DbErr> {
    let (sql, mut values) = filter_sql(f);
    values.push(after.into());
    let n = values.len();
    db::query_all(c, &format!("{sql} AND s.id > ${n} ORDER BY s.id LIMIT {limit}"), values).await
}

/// One page of the matching stations in the order of their areas (a township's stations
/// together, townships in code order of their paths), with the number of all matches: one query.
pub async fn page_by_area<C: ConnectionTrait>(
    c: &C,
    f: &StationFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Station>, i64), DbErr> {
    let (sql, values) = filter_sql(f);
    let sql = sql.replacen("SELECT ", "SELECT count(*) OVER () AS total, ", 1);
    let rows = db::query_rows(c, &format!("{sql} ORDER BY a.path, s.name, s.id LIMIT {limit} OFFSET {offset}"), values)
        .await?;
    let total = match rows.first() {
        Some(r) => r.try_get::<i64>("", "total")?,
        None if offset > 0 => count(c, f).await?,
        None => 0,
    };
    let stations = rows.iter().map(|r| Station::from_query_result(r, "")).collect::<Result<Vec<_>, _>>()?;
    Ok((stations, total))
}

pub async fn count<C: ConnectionTrait>(c: &C, f: &StationFilter) -> Result<i64, DbErr> {
    let (sql, values) = filter_sql(f);
    let from = sql.find(" FROM stations").unwrap_or(0);
    db::scalar_i64(c, &format!("SELECT count(*){}", &sql[from..]), values).await
}

// ---------------------------------------------------------------- duty schedule (REG-10)
