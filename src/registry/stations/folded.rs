//! Reads folded into one row (one round trip however much is asked for): several stations by
//! id (the nearest-stations answer) and what the public station page shows besides the station.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr};

use super::{STATION_SELECT, Slot, Station};
use crate::db;
use crate::registry::Level;
use crate::registry::duty_changes::DutyChange;

/// The lengths the id list of `stations_by_ids` is padded to (the nearest API's default 10 and
/// its most 50, the public map's pages); a longer list is bound as it is.
const IN_WIDTHS: [usize; 3] = [10, 50, 200];

/// Several stations by id as one folded row (the nearest-stations answer): one round trip
/// however many stations are asked for. Unknown ids are left out.
pub async fn stations_by_ids<C: ConnectionTrait>(c: &C, ids: &[i64]) -> Result<Vec<Station>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let agg = db::string_agg(c.get_database_backend());
    // The ids are bound, padded with the first id to a few fixed lengths, so that the statement
    // text is one of three and each connection prepares it once (a literal list made a new
    // statement on every request: SQLite's prepare was a seventh of a nearest look-up).
    let width = IN_WIDTHS.iter().copied().find(|w| *w >= ids.len()).unwrap_or(ids.len());
    let list = (0..width).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(",");
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
    let mut values: Vec<sea_orm::Value> = vec![db::FIELD_SEP.into(), db::RECORD_SEP.into()];
    values.extend((0..width).map(|i| ids.get(i).copied().unwrap_or(ids[0]).into()));
    let row = c.query_one_raw(db::stmt(c.get_database_backend(), &sql, values)).await?;
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
/// slots of a period (at most `limit`), the serving deputies with their levels, photo ids, and
/// the duty dates cancelled or moved from `from` on (at most 20, as `duty_changes::ahead`).
pub struct PublicExtras {
    pub slots: Vec<Slot>,
    /// (id, name, levels highest first), by id.
    pub deputies: Vec<(i64, String, Vec<Level>)>,
    pub photos: Vec<i64>,
    pub changes: Vec<DutyChange>,
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
         (SELECT {agg}(CAST(a.id AS TEXT), $5) FROM attachments a WHERE a.owner_type = 'station' AND a.owner_id = $6), \
         (SELECT {agg}(CAST(z.id AS TEXT) || $4 || CAST(z.person_id AS TEXT) || $4 || z.name || $4 || z.slot_date \
            || $4 || z.start_time || $4 || z.kind || $4 || COALESCE(z.new_date, '') || $4 || z.reason, $5) \
          FROM (SELECT c.id, c.person_id, p.name, c.slot_date, c.start_time, c.kind, c.new_date, c.reason \
                FROM duty_changes c JOIN persons p ON p.id = c.person_id \
                WHERE c.station_id = $1 AND (c.slot_date >= $2 OR c.new_date >= $2) \
                ORDER BY c.slot_date, c.id LIMIT 20) z)"
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
    let changes_txt: Option<String> = row.try_get_by_index(3)?;
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
    let mut deputies: Vec<(i64, String, Vec<Level>)> = Vec::new();
    let mut records = db::split_records(deputies_txt.as_deref());
    records.sort_by_key(|f| f.first().map(|v| num(v)).unwrap_or(0));
    for f in records.into_iter().filter(|f| f.len() == 3) {
        let id = num(f[0]);
        if deputies.last().map(|d| d.0) != Some(id) {
            deputies.push((id, f[1].into(), Vec::new()));
        }
        if let (Some(l), Some(d)) = (Level::parse(f[2]), deputies.last_mut())
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
    let mut changes: Vec<DutyChange> = db::split_records(changes_txt.as_deref())
        .into_iter()
        .filter(|f| f.len() == 8)
        .map(|f| DutyChange {
            id: num(f[0]),
            person_id: num(f[1]),
            person_name: f[2].into(),
            slot_date: f[3].into(),
            start_time: f[4].into(),
            kind: f[5].into(),
            new_date: Some(f[6].to_string()).filter(|d| !d.is_empty()),
            reason: f[7].into(),
        })
        .collect();
    changes.sort_by(|a, b| (&a.slot_date, a.id).cmp(&(&b.slot_date, b.id)));
    Ok(PublicExtras { slots, deputies, photos, changes })
}
