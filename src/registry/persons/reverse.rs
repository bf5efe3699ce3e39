//! What a person belongs to, read from the person's side: stations, groups, role names, grids,
//! and the public card's extras in one row.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::{Mandate, MandateStatus};
use crate::db;
use crate::registry::schedule::Slot;

/// Stations a person is assigned to (id, name).
pub async fn stations_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT s.id, s.name FROM station_deputies sd JOIN stations s ON s.id = sd.station_id \
         WHERE sd.person_id = $1 ORDER BY s.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// What the public deputy card shows besides the person, read in the person's row ([`card`]):
/// serving mandates, stations, group names and the next duty slots (at most `slot_limit`, from
/// `from` on).
pub struct CardExtras {
    pub mandates: Vec<Mandate>,
    pub stations: Vec<(i64, String)>,
    pub groups: Vec<String>,
    /// Slots with their station's name.
    pub slots: Vec<(Slot, String)>,
}

/// The public card's person and extras in one statement (one round trip on PostgreSQL, one
/// hand-off on SQLite): `None` when there is no such person.
pub async fn card<C: ConnectionTrait>(
    c: &C,
    person_id: i64,
    from: chrono::NaiveDate,
    slot_limit: u64,
) -> Result<Option<(super::Person, CardExtras)>, DbErr> {
    let agg = db::string_agg(c.get_database_backend());
    let cols = super::PERSON_COLS;
    let sql = format!(
        "SELECT {cols}, \
         (SELECT {agg}(CAST(m.id AS TEXT) || $3 || CAST(m.organ_id AS TEXT) || $3 || m.level || $3 \
            || CAST(m.term AS TEXT) || $3 || m.constituency || $3 || COALESCE(m.start_date, '') || $3 \
            || o.name || $3 || a.name, $4) \
          FROM mandates m JOIN organs o ON o.id = m.organ_id JOIN areas a ON a.id = o.area_id \
          WHERE m.person_id = $1 AND m.status = 'serving'), \
         (SELECT {agg}(CAST(s.id AS TEXT) || $3 || s.name, $4) FROM station_deputies sd \
          JOIN stations s ON s.id = sd.station_id WHERE sd.person_id = $1), \
         (SELECT {agg}(g.name, $4) FROM memberships gm JOIN deputy_groups g ON g.id = gm.group_id \
          WHERE gm.person_id = $1), \
         (SELECT {agg}(CAST(x.id AS TEXT) || $3 || CAST(x.station_id AS TEXT) || $3 || x.slot_date || $3 \
            || x.start_time || $3 || x.end_time || $3 || CAST(x.online AS TEXT) || $3 || x.station_name, $4) \
          FROM (SELECT d.id, d.station_id, d.slot_date, d.start_time, d.end_time, d.online, \
                COALESCE(st.name, '') AS station_name FROM duty_slots d LEFT JOIN stations st ON st.id = d.station_id \
                WHERE d.person_id = $1 AND d.slot_date >= $2 ORDER BY d.slot_date, d.start_time, d.id \
                LIMIT {slot_limit}) x) \
         FROM persons WHERE id = $1"
    );
    let row = c
        .query_one_raw(db::stmt(
            c.get_database_backend(),
            &sql,
            vec![
                person_id.into(),
                from.format("%Y-%m-%d").to_string().into(),
                db::FIELD_SEP.into(),
                db::RECORD_SEP.into(),
            ],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let person = <super::Person as sea_orm::FromQueryResult>::from_query_result(&row, "")?;
    // The extras follow the person's columns.
    let first = cols.split(',').count();
    let col = |i: usize| row.try_get_by_index::<Option<String>>(first + i);
    let (mandates_txt, stations_txt, groups_txt, slots_txt) = (col(0)?, col(1)?, col(2)?, col(3)?);
    let num = |v: &str| v.parse::<i64>().unwrap_or(0);
    let mut mandates: Vec<Mandate> = db::split_records(mandates_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 8)
        .map(|f| Mandate {
            id: num(f[0]),
            person_id,
            organ_id: num(f[1]),
            level: f[2].into(),
            term: num(f[3]),
            constituency: f[4].into(),
            start_date: Some(f[5].to_string()).filter(|d| !d.is_empty()),
            end_date: None,
            status: MandateStatus::Serving,
            organ_name: f[6].into(),
            area_name: f[7].into(),
        })
        .collect();
    mandates.sort_by_key(|m| (m.level(), -m.term));
    let mut stations: Vec<(i64, String)> = db::split_records(stations_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 2)
        .map(|f| (num(f[0]), f[1].to_string()))
        .collect();
    stations.sort();
    let mut groups: Vec<String> =
        db::split_records(groups_txt.as_deref()).into_iter().map(|f| f.join(db::FIELD_SEP)).collect();
    groups.sort();
    let mut slots: Vec<(Slot, String)> = db::split_records(slots_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 7)
        .map(|f| {
            let slot = Slot {
                id: num(f[0]),
                station_id: num(f[1]),
                person_id,
                person_name: String::new(),
                slot_date: f[2].into(),
                start_time: f[3].into(),
                end_time: f[4].into(),
                online: matches!(f[5], "1" | "true"),
            };
            (slot, f[6].to_string())
        })
        .collect();
    slots.sort_by(|a, b| (&a.0.slot_date, &a.0.start_time, a.0.id).cmp(&(&b.0.slot_date, &b.0.start_time, b.0.id)));
    Ok(Some((person, CardExtras { mandates, stations, groups, slots })))
}

/// Groups a person belongs to: (group id, group name, kind, role).
pub async fn groups_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<(i64, String, String, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT g.id, g.name, g.kind, gm.role FROM memberships gm JOIN deputy_groups g ON g.id = gm.group_id \
         WHERE gm.person_id = $1 ORDER BY g.kind, g.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?, r.try_get_by_index(3)?)))
        .collect()
}

/// Configurable role names held by a person (联络员, 信息采集员 …).
pub async fn roles_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<String>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT r.name FROM memberships a JOIN role_names r ON r.id = a.role_name_id WHERE a.person_id = $1 \
         ORDER BY r.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}

/// Grid places of a person: (grid name, role `gridder|supervisor`).
pub async fn grids_of<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<(String, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT g.name, gm.role FROM memberships gm JOIN grids g ON g.id = gm.grid_id WHERE gm.person_id = $1 \
         ORDER BY g.id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// Station names of some persons: person id → names.
pub async fn station_names_of<C: ConnectionTrait>(
    c: &C,
    person_ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>, DbErr> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if person_ids.is_empty() {
        return Ok(out);
    }
    let list = person_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT sd.person_id, s.name FROM station_deputies sd JOIN stations s ON s.id = sd.station_id \
             WHERE sd.person_id IN ({list}) ORDER BY s.id"
        ),
        vec![],
    )
    .await?;
    for r in rows {
        out.entry(r.try_get_by_index(0)?).or_default().push(r.try_get_by_index(1)?);
    }
    Ok(out)
}
