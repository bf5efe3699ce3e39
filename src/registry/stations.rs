//! Stations (家站点, REG-9) with their deputies and keepers, duty rules expanded into dated
//! slots (REG-10), and the per-node nearest-station index (REG-14).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::{Deserialize, Serialize};

use super::geo::{NearestIndex, StationPoint, valid_wgs84};
use super::persons::{field, invalid};
use super::schedule;
use crate::app::error::AppError;
use crate::audit::{self, Actor, Change};
use crate::db;

/// How far ahead duty rules are expanded into dated slots.
pub const HORIZON_DAYS: u64 = 183;

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
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "station_type_create",
            target_type: "organ",
            target_id: organ_id.to_string(),
            organ_id: Some(organ_id),
            summary: format!("新增站点类型 {name}"),
        },
    )
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
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "station_create",
            target_type: "station",
            target_id: id.to_string(),
            organ_id: Some(organ_id),
            summary: format!("新建站点 {}", input.name),
        },
    )
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
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "station_update",
            target_type: "station",
            target_id: id.to_string(),
            organ_id: Some(before.organ_id),
            summary: format!("修改：{}", changed.join("、")),
        },
    )
    .await?;
    Ok(())
}

/// 就近编组进站: assigns a deputy (any level) to a station. Assigning twice is a no-op.
pub async fn assign_deputy<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    person_id: i64,
) -> Result<bool, AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    let p = super::persons::person(c, person_id).await?.ok_or_else(|| AppError::invalid("person_id", "代表不存在"))?;
    if db::scalar_i64(
        c,
        "SELECT count(*) FROM station_deputies WHERE station_id = $1 AND person_id = $2",
        vec![station_id.into(), person_id.into()],
    )
    .await?
        > 0
    {
        return Ok(false);
    }
    db::exec(
        c,
        "INSERT INTO station_deputies (station_id, person_id, created_at) VALUES ($1, $2, $3)",
        vec![station_id.into(), person_id.into(), db::now().into()],
    )
    .await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "station_assign",
            target_type: "station",
            target_id: station_id.to_string(),
            organ_id: Some(s.organ_id),
            summary: format!("代表 #{} 进站", p.id),
        },
    )
    .await?;
    Ok(true)
}

pub async fn unassign_deputy<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    person_id: i64,
) -> Result<(), AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    let n = db::exec(
        c,
        "DELETE FROM station_deputies WHERE station_id = $1 AND person_id = $2",
        vec![station_id.into(), person_id.into()],
    )
    .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    // The deputy's future duty at this station goes with the assignment.
    let today = today().format("%Y-%m-%d").to_string();
    db::exec(
        c,
        "DELETE FROM duty_slots WHERE station_id = $1 AND person_id = $2 AND slot_date >= $3",
        vec![station_id.into(), person_id.into(), today.into()],
    )
    .await?;
    db::exec(
        c,
        "DELETE FROM duty_rules WHERE station_id = $1 AND person_id = $2",
        vec![station_id.into(), person_id.into()],
    )
    .await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "station_unassign",
            target_type: "station",
            target_id: station_id.to_string(),
            organ_id: Some(s.organ_id),
            summary: format!("代表 #{person_id} 离站"),
        },
    )
    .await?;
    Ok(())
}

/// 调站: the deputy joins `station_id` and leaves every other station of an organ under
/// `organ_path` (stations elsewhere are not the caller's to change), each step audited.
/// Whether anything changed.
pub async fn move_deputy<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    person_id: i64,
    organ_path: &str,
) -> Result<bool, AppError> {
    let mut changed = assign_deputy(c, key, actor, station_id, person_id).await?;
    let others = db::query_rows(
        c,
        "SELECT sd.station_id FROM station_deputies sd JOIN stations s ON s.id = sd.station_id \
         JOIN organs o ON o.id = s.organ_id \
         WHERE sd.person_id = $1 AND sd.station_id <> $2 AND o.path LIKE $3 ESCAPE '\\' ORDER BY sd.station_id",
        vec![person_id.into(), station_id.into(), format!("{}%", db::like_escape(organ_path)).into()],
    )
    .await?;
    for r in others {
        unassign_deputy(c, key, actor, r.try_get_by_index(0)?, person_id).await?;
        changed = true;
    }
    Ok(changed)
}

/// Makes an account a keeper of the station (the account's `station_id` follows).
pub async fn add_keeper<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    account_id: i64,
) -> Result<(), AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    db::exec(
        c,
        "INSERT INTO station_keepers (station_id, account_id) VALUES ($1, $2)",
        vec![station_id.into(), account_id.into()],
    )
    .await?;
    db::exec(c, "UPDATE accounts SET station_id = $1 WHERE id = $2", vec![station_id.into(), account_id.into()])
        .await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "station_keeper_add",
            target_type: "station",
            target_id: station_id.to_string(),
            organ_id: Some(s.organ_id),
            summary: format!("账号 #{account_id} 任站点管理员"),
        },
    )
    .await?;
    Ok(())
}

/// Keepers of a station: (account id, display name).
pub async fn keepers<C: ConnectionTrait>(c: &C, station_id: i64) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT a.id, a.display_name FROM station_keepers k JOIN accounts a ON a.id = k.account_id \
         WHERE k.station_id = $1 ORDER BY a.id",
        vec![station_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// A deputy at a station, with the levels of their serving mandates.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct StationDeputy {
    pub id: i64,
    pub name: String,
    pub work_unit: String,
    pub expertise: String,
    pub photo_id: Option<i64>,
}

pub async fn deputies<C: ConnectionTrait>(c: &C, station_id: i64) -> Result<Vec<StationDeputy>, DbErr> {
    db::query_all(
        c,
        "SELECT p.id, p.name, p.work_unit, p.expertise, p.photo_id FROM station_deputies sd \
         JOIN persons p ON p.id = sd.person_id WHERE sd.station_id = $1 ORDER BY p.id",
        vec![station_id.into()],
    )
    .await
}

/// The deputies of a station with the levels they serve at (highest first), in one query.
/// Persons without a serving mandate are left out.
/// The serving deputies of several stations with their levels, in one query.
pub async fn deputies_with_levels<C: ConnectionTrait>(
    c: &C,
    station_ids: &[i64],
) -> Result<HashMap<i64, Vec<(StationDeputy, Vec<super::Level>)>>, DbErr> {
    let mut by_station: HashMap<i64, Vec<(StationDeputy, Vec<super::Level>)>> = HashMap::new();
    if station_ids.is_empty() {
        return Ok(by_station);
    }
    let list = station_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT p.id, p.name, p.work_unit, p.expertise, p.photo_id, m.level, sd.station_id FROM station_deputies sd \
             JOIN persons p ON p.id = sd.person_id JOIN mandates m ON m.person_id = p.id AND m.status = 'serving' \
             WHERE sd.station_id IN ({list}) ORDER BY sd.station_id, p.id"
        ),
        vec![],
    )
    .await?;
    for r in rows {
        let id: i64 = r.try_get_by_index(0)?;
        let station: i64 = r.try_get_by_index(6)?;
        let level = super::Level::parse(&r.try_get_by_index::<String>(5)?);
        let out = by_station.entry(station).or_default();
        if out.last().map(|(d, _)| d.id) != Some(id) {
            out.push((
                StationDeputy {
                    id,
                    name: r.try_get_by_index(1)?,
                    work_unit: r.try_get_by_index(2)?,
                    expertise: r.try_get_by_index(3)?,
                    photo_id: r.try_get_by_index(4)?,
                },
                Vec::new(),
            ));
        }
        if let (Some(l), Some((_, levels))) = (level, out.last_mut())
            && !levels.contains(&l)
        {
            levels.push(l);
        }
    }
    for (_, levels) in by_station.values_mut().flatten() {
        levels.sort();
    }
    Ok(by_station)
}

/// Several stations by id as one folded row (the nearest-stations answer): one round trip
/// however many stations are asked for. Unknown ids are left out.
pub async fn stations_by_ids<C: ConnectionTrait>(c: &C, ids: &[i64]) -> Result<Vec<Station>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let agg = db::string_agg(c.get_database_backend());
    let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let f = |col: &str| format!("COALESCE(CAST({col} AS TEXT), '')");
    let fields = [
        "s.id",
        "s.organ_id",
        "s.area_id",
        "s.type_id",
        "t.name",
        "s.name",
        "s.address",
        "s.lat",
        "s.lng",
        "s.online_only",
        "s.opening_hours",
        "s.phone",
        "s.facilities",
        "s.description",
        "s.join_info",
        "a.name",
        "s.updated_at",
        "so.path",
    ]
    .map(f)
    .join(" || $1 || ");
    let from = STATION_SELECT.split_once(" FROM ").map(|(_, rest)| rest).unwrap_or("");
    let sql = format!("SELECT {agg}({fields}, $2) FROM {from} WHERE s.id IN ({list})");
    let row = c
        .query_one_raw(db::stmt(c.get_database_backend(), &sql, vec![db::FIELD_SEP.into(), db::RECORD_SEP.into()]))
        .await?;
    let folded: Option<String> = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => None,
    };
    let num = |v: &str| v.parse::<i64>().unwrap_or(0);
    let float = |v: &str| v.parse::<f64>().ok();
    Ok(db::split_records(folded.as_deref())
        .into_iter()
        .filter(|r| r.len() == 18)
        .map(|r| Station {
            id: num(r[0]),
            organ_id: num(r[1]),
            area_id: num(r[2]),
            type_id: num(r[3]),
            type_name: r[4].into(),
            name: r[5].into(),
            address: r[6].into(),
            lat: float(r[7]),
            lng: float(r[8]),
            online_only: matches!(r[9], "1" | "true"),
            opening_hours: r[10].into(),
            phone: r[11].into(),
            facilities: r[12].into(),
            description: r[13].into(),
            join_info: r[14].into(),
            area_name: r[15].into(),
            updated_at: num(r[16]),
            organ_path: r[17].into(),
        })
        .collect())
}

/// What the public station page shows besides the station itself, read as one row: the
/// slots of a period (at most `limit`), the serving deputies with their levels, photo ids.
pub struct PublicExtras {
    pub slots: Vec<Slot>,
    /// (id, name, levels highest first), by id.
    pub deputies: Vec<(i64, String, Vec<super::Level>)>,
    pub photos: Vec<i64>,
}

pub async fn public_extras<C: ConnectionTrait>(
    c: &C,
    station_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> Result<PublicExtras, DbErr> {
    let agg = db::string_agg(c.get_database_backend());
    let sql = format!(
        "SELECT \
         (SELECT {agg}(CAST(x.id AS TEXT) || $4 || CAST(x.person_id AS TEXT) || $4 || x.name || $4 || x.slot_date \
            || $4 || x.start_time || $4 || x.end_time || $4 || CAST(x.online AS TEXT), $5) \
          FROM (SELECT d.id, d.person_id, p.name, d.slot_date, d.start_time, d.end_time, d.online FROM duty_slots d \
                JOIN persons p ON p.id = d.person_id WHERE d.station_id = $1 AND d.slot_date >= $2 \
                AND d.slot_date <= $3 ORDER BY d.slot_date, d.start_time, d.id LIMIT {limit}) x), \
         (SELECT {agg}(CAST(y.id AS TEXT) || $4 || y.name || $4 || y.level, $5) \
          FROM (SELECT p.id, p.name, m.level FROM station_deputies sd JOIN persons p ON p.id = sd.person_id \
                JOIN mandates m ON m.person_id = p.id AND m.status = 'serving' WHERE sd.station_id = $1) y), \
         (SELECT {agg}(CAST(a.id AS TEXT), $5) FROM attachments a WHERE a.owner_type = 'station' AND a.owner_id = $6)"
    );
    let row = c
        .query_one_raw(db::stmt(
            c.get_database_backend(),
            &sql,
            vec![
                station_id.into(),
                from.format("%Y-%m-%d").to_string().into(),
                to.format("%Y-%m-%d").to_string().into(),
                db::FIELD_SEP.into(),
                db::RECORD_SEP.into(),
                station_id.to_string().into(),
            ],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("station extras".into()))?;
    let slots_txt: Option<String> = row.try_get_by_index(0)?;
    let deputies_txt: Option<String> = row.try_get_by_index(1)?;
    let photos_txt: Option<String> = row.try_get_by_index(2)?;
    let num = |v: &str| v.parse::<i64>().unwrap_or(0);
    let mut slots: Vec<Slot> = db::split_records(slots_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 7)
        .map(|f| Slot {
            id: num(f[0]),
            station_id,
            person_id: num(f[1]),
            person_name: f[2].into(),
            slot_date: f[3].into(),
            start_time: f[4].into(),
            end_time: f[5].into(),
            online: matches!(f[6], "1" | "true"),
        })
        .collect();
    slots.sort_by(|a, b| (&a.slot_date, &a.start_time, a.id).cmp(&(&b.slot_date, &b.start_time, b.id)));
    let mut deputies: Vec<(i64, String, Vec<super::Level>)> = Vec::new();
    let mut records = db::split_records(deputies_txt.as_deref());
    records.sort_by_key(|f| f.first().map(|v| num(v)).unwrap_or(0));
    for f in records.into_iter().filter(|f| f.len() == 3) {
        let id = num(f[0]);
        if deputies.last().map(|d| d.0) != Some(id) {
            deputies.push((id, f[1].into(), Vec::new()));
        }
        if let (Some(l), Some(d)) = (super::Level::parse(f[2]), deputies.last_mut())
            && !d.2.contains(&l)
        {
            d.2.push(l);
        }
    }
    for d in &mut deputies {
        d.2.sort();
    }
    let mut photos: Vec<i64> = db::split_records(photos_txt.as_deref()).iter().map(|f| num(f[0])).collect();
    photos.sort_unstable();
    Ok(PublicExtras { slots, deputies, photos })
}

/// Serving levels of some persons: person id → levels, highest first.
pub async fn serving_levels<C: ConnectionTrait>(
    c: &C,
    person_ids: &[i64],
) -> Result<HashMap<i64, Vec<super::Level>>, DbErr> {
    let mut out: HashMap<i64, Vec<super::Level>> = HashMap::new();
    if person_ids.is_empty() {
        return Ok(out);
    }
    let list = person_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows = db::query_rows(
        c,
        &format!("SELECT person_id, level FROM mandates WHERE status = 'serving' AND person_id IN ({list})"),
        vec![],
    )
    .await?;
    for r in rows {
        let pid: i64 = r.try_get_by_index(0)?;
        let level: String = r.try_get_by_index(1)?;
        if let Some(l) = super::Level::parse(&level) {
            out.entry(pid).or_default().push(l);
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    Ok(out)
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

#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct DutyRuleRow {
    pub id: i64,
    pub station_id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub rule_text: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
}

pub async fn rules<C: ConnectionTrait>(c: &C, station_id: i64) -> Result<Vec<DutyRuleRow>, DbErr> {
    db::query_all(
        c,
        "SELECT r.id, r.station_id, r.person_id, p.name AS person_name, r.rule_text, r.valid_from, r.valid_until \
         FROM duty_rules r JOIN persons p ON p.id = r.person_id WHERE r.station_id = $1 ORDER BY r.id",
        vec![station_id.into()],
    )
    .await
}

pub fn today() -> NaiveDate {
    // Stations keep Beijing time.
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    crate::app::fmt::parse_date(s)
}

/// Adds a duty rule for a deputy assigned to the station and expands it into slots up to the
/// horizon. The rule text is stored in its canonical wording.
#[allow(clippy::too_many_arguments)] // connection, audit context, then the rule's own four fields
pub async fn add_rule<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    person_id: i64,
    rule_text: &str,
    valid_from: Option<&str>,
    valid_until: Option<&str>,
) -> Result<i64, AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    let mut f = Vec::new();
    let rule = match schedule::parse_rule(rule_text) {
        Ok(r) => Some(r),
        Err(e) => {
            field(&mut f, "rule_text", e.to_string());
            None
        }
    };
    let assigned = db::scalar_i64(
        c,
        "SELECT count(*) FROM station_deputies WHERE station_id = $1 AND person_id = $2",
        vec![station_id.into(), person_id.into()],
    )
    .await?
        > 0;
    if !assigned {
        field(&mut f, "person_id", "请先把这位代表编入本站点");
    }
    let from = match valid_from.map(str::trim).filter(|s| !s.is_empty()) {
        None => today(),
        Some(d) => parse_date(d).unwrap_or_else(|| {
            field(&mut f, "valid_from", "日期应写成 2026-12-01");
            today()
        }),
    };
    let until = match valid_until.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(d) => match parse_date(d) {
            Some(u) if u >= from => Some(u),
            Some(_) => {
                field(&mut f, "valid_until", "截止日期应不早于开始日期");
                None
            }
            None => {
                field(&mut f, "valid_until", "日期应写成 2027-06-30");
                None
            }
        },
    };
    if !f.is_empty() {
        return Err(invalid(f));
    }
    let rule = rule.expect("checked above");
    let text = rule.describe();
    let id = db::insert_id(
        c,
        "INSERT INTO duty_rules (station_id, person_id, rule_text, valid_from, valid_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            station_id.into(),
            person_id.into(),
            text.clone().into(),
            from.format("%Y-%m-%d").to_string().into(),
            until.map(|u| u.format("%Y-%m-%d").to_string()).into(),
            db::now().into(),
        ],
    )
    .await?;
    expand_rule(c, id).await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "duty_rule_create",
            target_type: "station",
            target_id: station_id.to_string(),
            organ_id: Some(s.organ_id),
            summary: format!("代表 #{person_id} 进站安排：{text}"),
        },
    )
    .await?;
    Ok(id)
}

pub async fn remove_rule<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    rule_id: i64,
) -> Result<(), AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    let today = today().format("%Y-%m-%d").to_string();
    let known = db::scalar_i64(
        c,
        "SELECT count(*) FROM duty_rules WHERE id = $1 AND station_id = $2",
        vec![rule_id.into(), station_id.into()],
    )
    .await?;
    if known == 0 {
        return Err(AppError::NotFound);
    }
    // Past slots stay as the record of what was planned (their rule_id becomes NULL with the
    // rule: ON DELETE SET NULL); future ones go, before the rule, while they still name it.
    db::exec(c, "DELETE FROM duty_slots WHERE rule_id = $1 AND slot_date >= $2", vec![rule_id.into(), today.into()])
        .await?;
    db::exec(c, "DELETE FROM duty_rules WHERE id = $1 AND station_id = $2", vec![rule_id.into(), station_id.into()])
        .await?;
    audit::append(
        c,
        key,
        actor,
        Change {
            action: "duty_rule_delete",
            target_type: "station",
            target_id: station_id.to_string(),
            organ_id: Some(s.organ_id),
            summary: format!("删除进站安排 #{rule_id}"),
        },
    )
    .await?;
    Ok(())
}

/// (Re)creates the future slots of one rule, from today (or its start) to the horizon.
pub async fn expand_rule<C: ConnectionTrait>(c: &C, rule_id: i64) -> Result<usize, DbErr> {
    let calendar = crate::calendar::load(c).await?;
    expand_rule_on(c, rule_id, &calendar).await
}

/// `expand_rule` with the working-day calendar already loaded.
async fn expand_rule_on<C: ConnectionTrait>(
    c: &C,
    rule_id: i64,
    calendar: &crate::calendar::Calendar,
) -> Result<usize, DbErr> {
    let Some(r): Option<DutyRuleRow> = db::query_one(
        c,
        "SELECT r.id, r.station_id, r.person_id, p.name AS person_name, r.rule_text, r.valid_from, r.valid_until \
         FROM duty_rules r JOIN persons p ON p.id = r.person_id WHERE r.id = $1",
        vec![rule_id.into()],
    )
    .await?
    else {
        return Ok(0);
    };
    let Ok(rule) = schedule::parse_rule(&r.rule_text) else {
        return Ok(0);
    };
    let today = today();
    let from = parse_date(&r.valid_from).map_or(today, |d| d.max(today));
    let horizon = today + Days::new(HORIZON_DAYS);
    let to = r.valid_until.as_deref().and_then(parse_date).map_or(horizon, |u| u.min(horizon));
    db::exec(
        c,
        "DELETE FROM duty_slots WHERE rule_id = $1 AND slot_date >= $2",
        vec![rule_id.into(), from.format("%Y-%m-%d").to_string().into()],
    )
    .await?;
    // A repeating rule skips public holidays (a rule on a weekend day is meant, a holiday is
    // not); a one-off date stands as given. The calendar's edits reach the slots through the
    // `extend_duty_slots` job the calendar pages enqueue.
    let mut slots = schedule::expand(&rule, from, to);
    if !matches!(rule.recurrence, schedule::Recurrence::Once(_)) {
        slots.retain(|s| !calendar.is_holiday(s.date));
    }
    // Then one date cancelled or moved by the keeper (REG-10).
    super::duty_changes::apply(c, rule_id, &mut slots).await?;
    for s in &slots {
        db::exec(
            c,
            "INSERT INTO duty_slots (station_id, person_id, rule_id, slot_date, start_time, end_time, online) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                r.station_id.into(),
                r.person_id.into(),
                rule_id.into(),
                s.date.format("%Y-%m-%d").to_string().into(),
                s.start.format("%H:%M").to_string().into(),
                s.end.format("%H:%M").to_string().into(),
                s.online.into(),
            ],
        )
        .await?;
    }
    Ok(slots.len())
}

/// A dated duty slot (the type lives with the duty rules).
pub use super::schedule::Slot;

impl Slot {
    /// "12月15日（周一）上午 09:00-11:30"
    pub fn when(&self) -> String {
        use chrono::Datelike;
        let Some(d) = parse_date(&self.slot_date) else {
            return self.slot_date.clone();
        };
        const W: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        format!(
            "{}月{}日（周{}）{}-{}",
            d.month(),
            d.day(),
            W[d.weekday().num_days_from_monday() as usize],
            self.start_time,
            self.end_time
        )
    }
}

const SLOT_SELECT: &str = "SELECT d.id, d.station_id, d.person_id, p.name AS person_name, d.slot_date, \
     d.start_time, d.end_time, d.online FROM duty_slots d JOIN persons p ON p.id = d.person_id";

/// Slots of a station from a date on, in time order.
pub async fn slots<C: ConnectionTrait>(
    c: &C,
    station_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    limit: u64,
) -> Result<Vec<Slot>, DbErr> {
    db::query_all(
        c,
        &format!(
            "{SLOT_SELECT} WHERE d.station_id = $1 AND d.slot_date >= $2 AND d.slot_date <= $3 \
             ORDER BY d.slot_date, d.start_time, d.id LIMIT {limit}"
        ),
        vec![station_id.into(), from.format("%Y-%m-%d").to_string().into(), to.format("%Y-%m-%d").to_string().into()],
    )
    .await
}

/// The next slot of each of some stations, in one query (the first row of each station's
/// window over its coming slots).
pub async fn next_slots<C: ConnectionTrait>(c: &C, station_ids: &[i64]) -> Result<HashMap<i64, Slot>, DbErr> {
    if station_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let from = today();
    let to = from + Days::new(HORIZON_DAYS);
    let list = station_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows: Vec<Slot> = db::query_all(
        c,
        &format!(
            "SELECT id, station_id, person_id, person_name, slot_date, start_time, end_time, online FROM (\
             SELECT d.id, d.station_id, d.person_id, p.name AS person_name, d.slot_date, d.start_time, d.end_time, \
             d.online, ROW_NUMBER() OVER (PARTITION BY d.station_id ORDER BY d.slot_date, d.start_time, d.id) AS rn \
             FROM duty_slots d JOIN persons p ON p.id = d.person_id \
             WHERE d.station_id IN ({list}) AND d.slot_date >= $1 AND d.slot_date <= $2) t WHERE t.rn = 1"
        ),
        vec![from.format("%Y-%m-%d").to_string().into(), to.format("%Y-%m-%d").to_string().into()],
    )
    .await?;
    Ok(rows.into_iter().map(|s| (s.station_id, s)).collect())
}

/// Extends every rule's slots to the horizon; run daily by the job worker.
pub async fn extend_all_rules<C: ConnectionTrait>(c: &C) -> Result<usize, DbErr> {
    let ids: Vec<i64> = db::query_rows(c, "SELECT id FROM duty_rules ORDER BY id", vec![])
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index(0).ok())
        .collect();
    let calendar = crate::calendar::load(c).await?;
    let mut n = 0;
    for id in ids {
        n += expand_rule_on(c, id, &calendar).await?;
    }
    Ok(n)
}

// ---------------------------------------------------------------- nearest stations (REG-14)

/// Each node's in-memory nearest-station index. It is rebuilt when the `stations` change
/// counter moved; the counter is read at most once per `CHECK_EVERY`, so a node sees another
/// node's station edits within seconds and its own at once (writers call `invalidate`).
#[derive(Clone, Default)]
pub struct NearestCache {
    inner: Arc<RwLock<CacheState>>,
    /// One rebuild at a time: concurrent requests wait for it instead of each loading every
    /// station (a burst of requests at start-up would otherwise multiply time and memory).
    rebuild: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct CacheState {
    index: Arc<NearestIndex>,
    version: Option<i64>,
    checked: Option<Instant>,
}

const CHECK_EVERY: Duration = Duration::from_secs(5);

impl NearestCache {
    pub fn invalidate(&self) {
        if let Ok(mut s) = self.inner.write() {
            s.checked = None;
        }
    }

    /// The current index, rebuilt first if stations changed.
    pub async fn get<C: ConnectionTrait>(&self, c: &C) -> Result<Arc<NearestIndex>, DbErr> {
        {
            let s = self.inner.read().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
            if s.version.is_some() && s.checked.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
                return Ok(s.index.clone());
            }
        }
        let _one_rebuild = self.rebuild.lock().await;
        {
            // Another request may have checked (or rebuilt) while this one waited.
            let s = self.inner.read().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
            if s.version.is_some() && s.checked.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
                return Ok(s.index.clone());
            }
        }
        let version = db::scalar_i64(c, "SELECT value FROM change_counters WHERE name = 'stations'", vec![]).await?;
        {
            let mut s = self.inner.write().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
            // Current already, or just rebuilt by the request this one waited for.
            if s.version == Some(version) {
                s.checked = Some(Instant::now());
                return Ok(s.index.clone());
            }
        }
        let rows =
            db::query_rows(c, "SELECT id, lat, lng FROM stations WHERE lat IS NOT NULL AND lng IS NOT NULL", vec![])
                .await?;
        let mut points = Vec::with_capacity(rows.len());
        for r in rows {
            points.push(StationPoint {
                id: r.try_get_by_index(0)?,
                lat: r.try_get_by_index(1)?,
                lng: r.try_get_by_index(2)?,
            });
        }
        let index = Arc::new(NearestIndex::build(points));
        let mut s = self.inner.write().map_err(|_| DbErr::Custom("index lock poisoned".into()))?;
        *s = CacheState { index: index.clone(), version: Some(version), checked: Some(Instant::now()) };
        Ok(index)
    }
}
