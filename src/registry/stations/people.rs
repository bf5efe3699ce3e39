//! The people of a station: deputies assigned to it (就近编组进站, 调站) with the levels they
//! serve at, and its keepers.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

use super::{station, today};
use crate::app::error::AppError;
use crate::audit::Actor;
use crate::db;
use crate::registry::Level;
use crate::registry::records::audit_change;

/// 就近编组进站: assigns a deputy (any level) to a station. Assigning twice is a no-op.
pub async fn assign_deputy<C: ConnectionTrait>(
    c: &C,
    key: &[u8],
    actor: &Actor,
    station_id: i64,
    person_id: i64,
) -> Result<bool, AppError> {
    let s = station(c, station_id).await?.ok_or(AppError::NotFound)?;
    let p = crate::registry::persons::person(c, person_id)
        .await?
        .ok_or_else(|| AppError::invalid("person_id", "代表不存在"))?;
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
    let said = format!("代表 #{} 进站", p.id);
    audit_change(c, (key, actor), "station_assign", "station", station_id, s.organ_id, said).await?;
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
    let said = format!("代表 #{person_id} 离站");
    audit_change(c, (key, actor), "station_unassign", "station", station_id, s.organ_id, said).await?;
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
    let said = format!("账号 #{account_id} 任站点管理员");
    audit_change(c, (key, actor), "station_keeper_add", "station", station_id, s.organ_id, said).await?;
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
) -> Result<HashMap<i64, Vec<(StationDeputy, Vec<Level>)>>, DbErr> {
    let mut by_station: HashMap<i64, Vec<(StationDeputy, Vec<Level>)>> = HashMap::new();
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
        let level = Level::parse(&r.try_get_by_index::<String>(5)?);
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

/// Serving levels of some persons: person id → levels, highest first.
pub async fn serving_levels<C: ConnectionTrait>(c: &C, person_ids: &[i64]) -> Result<HashMap<i64, Vec<Level>>, DbErr> {
    let mut out: HashMap<i64, Vec<Level>> = HashMap::new();
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
        if let Some(l) = Level::parse(&level) {
            out.entry(pid).or_default().push(l);
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    Ok(out)
}
