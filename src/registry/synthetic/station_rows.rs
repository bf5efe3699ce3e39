//! The stations of `renda gen` and their duty: stations get a type, a name, coordinates near
//! their township's centre and facilities; each station with a deputy gets one duty rule
//! (as staff type them) with 4–8 of its slots.

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::{DbErr, Value};

use super::hierarchy::Hierarchy;
use super::names::{Places, ROADS, station_kind};
use super::random::{Rng, clamp_china};
use super::writer::{ROWS_PER_STATEMENT, Writer, reserve_ids};
use crate::registry::geo::{NearestIndex, StationPoint};
use crate::registry::schedule::{self, DutySlot};
use crate::registry::stations::{self, FACILITIES};

/// Duty rules as staff type them; each station gets one, limited to 4–8 slots.
const RULES: [&str; 6] =
    ["每月15日上午", "每周三下午", "每月第一个周六上午", "每周四晚上", "每月最后一个周五下午", "每周二上午"];

/// The stations written: their first id (the others follow), how many, and for each township
/// the stations (numbered from the first) its deputies go to — its own, or the three nearest.
pub(super) struct Stations {
    pub(super) first: i64,
    pub(super) count: u64,
    pub(super) of_township: Vec<Vec<u32>>,
}

/// Writes `n_stations` stations, every township getting one before any gets a second.
pub(super) async fn write_stations(
    w: &mut Writer<'_>,
    rng: &mut Rng,
    h: &Hierarchy,
    n_stations: u64,
    now: i64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<Stations, DbErr> {
    let townships = &h.levels[4];
    let n_town = townships.len();
    progress(format!("联络站：{n_stations} 个"));
    let types = stations::types(w.txn()).await?;
    let type_id = |code: &str| types.iter().find(|t| t.code == code).map(|t| t.id).unwrap_or(types[0].id);
    let first_station = reserve_ids(w.txn(), "stations", n_stations).await?;
    let places = Places::new();
    let mut town_stations: Vec<Vec<u32>> = vec![Vec::new(); n_town];
    let mut points = Vec::new();
    let cols = [
        "id",
        "organ_id",
        "area_id",
        "type_id",
        "name",
        "address",
        "lat",
        "lng",
        "online_only",
        "opening_hours",
        "phone",
        "facilities",
        "description",
        "created_at",
        "updated_at",
    ];
    let mut rows: Vec<Value> = Vec::new();
    for j in 0..n_stations as usize {
        // Every township gets a station before any gets a second one.
        let t = if j < n_town {
            if (n_stations as usize) < n_town { j * n_town / n_stations as usize } else { j }
        } else {
            rng.below(n_town)
        };
        let town = &townships[t];
        let county = &h.levels[3][town.parent];
        let village = format!("{}{}", places.char(rng), places.char(rng));
        let (code, name, online) = station_kind(rng, &town.name, &village);
        let id = first_station + j as i64;
        let (lat, lng) = if online {
            (None, None)
        } else {
            let p = clamp_china(town.lat + rng.offset(0.03), town.lng + rng.offset(0.035));
            points.push(StationPoint { id, lat: p.0, lng: p.1 });
            (Some(p.0), Some(p.1))
        };
        town_stations[t].push(j as u32);
        let address = if online {
            String::new()
        } else {
            format!("{}{}{}{}号", county.name, town.name, rng.pick(&ROADS), 1 + rng.below(300))
        };
        let facilities: Vec<&str> = FACILITIES.iter().copied().filter(|_| rng.chance(0.7)).collect();
        rows.extend([
            id.into(),
            town.organ_id.into(),
            town.area_id.into(),
            type_id(code).into(),
            name.into(),
            address.into(),
            lat.into(),
            lng.into(),
            online.into(),
            (if online { "线上预约" } else { "工作日 9:00-17:00" }).into(),
            format!("0{}-{:07}", 310 + rng.below(600), 2_000_000 + rng.below(7_000_000)).into(),
            facilities.join("|").into(),
            "".into(),
            now.into(),
            now.into(),
        ]);
        if rows.len() >= ROWS_PER_STATEMENT * cols.len() * 20 {
            w.insert("stations", &cols, std::mem::take(&mut rows)).await?;
        }
    }
    w.insert("stations", &cols, rows).await?;
    // Townships without a station of their own use the three nearest ones.
    let index = NearestIndex::build(points);
    for t in 0..n_town {
        if town_stations[t].is_empty() && !index.is_empty() {
            let town = &townships[t];
            town_stations[t] =
                index.nearest(town.lat, town.lng, 3).iter().map(|(p, _)| (p.id - first_station) as u32).collect();
        }
    }
    Ok(Stations { first: first_station, count: n_stations, of_township: town_stations })
}

/// Writes one duty rule, with 4–8 of its slots, for each station that has a deputy
/// (`station_person`: the first deputy of each station, 0 for none).
pub(super) async fn write_duties(
    w: &mut Writer<'_>,
    rng: &mut Rng,
    stations: &Stations,
    station_person: &[i64],
    now: i64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<(), DbErr> {
    let first_station = stations.first;
    let today = stations::today();
    let horizon = today + Days::new(stations::HORIZON_DAYS);
    let mut parsed: Vec<(String, Vec<DutySlot>)> = Vec::new();
    for text in RULES {
        let rule = schedule::parse_rule(text).map_err(|e| DbErr::Custom(format!("内置进站规则无效：{e:?}")))?;
        parsed.push((rule.describe(), schedule::expand(&rule, today, horizon)));
    }
    let with_deputy = station_person.iter().filter(|p| **p != 0).count() as u64;
    progress(format!("进站安排：{with_deputy} 个联络站各一条规则"));
    let first_rule = reserve_ids(w.txn(), "duty_rules", with_deputy).await?;
    let mut rule_id = first_rule;
    let mut r_rows: Vec<Value> = Vec::new();
    let mut d_rows: Vec<Value> = Vec::new();
    let date = |d: NaiveDate| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    for (j, person) in station_person.iter().enumerate() {
        if *person == 0 {
            continue;
        }
        let (text, slots) = &parsed[rng.below(parsed.len())];
        let take = (4 + rng.below(5)).min(slots.len());
        if take == 0 {
            continue;
        }
        let station_id = first_station + j as i64;
        r_rows.extend([
            rule_id.into(),
            station_id.into(),
            (*person).into(),
            text.clone().into(),
            date(today).into(),
            Some(date(slots[take - 1].date)).into(),
            now.into(),
        ]);
        for s in &slots[..take] {
            d_rows.extend([
                station_id.into(),
                (*person).into(),
                Some(rule_id).into(),
                date(s.date).into(),
                s.start.format("%H:%M").to_string().into(),
                s.end.format("%H:%M").to_string().into(),
                s.online.into(),
            ]);
        }
        rule_id += 1;
        if d_rows.len() >= 7 * 40_000 {
            w.insert(
                "duty_rules",
                &["id", "station_id", "person_id", "rule_text", "valid_from", "valid_until", "created_at"],
                std::mem::take(&mut r_rows),
            )
            .await?;
            w.insert(
                "duty_slots",
                &["station_id", "person_id", "rule_id", "slot_date", "start_time", "end_time", "online"],
                std::mem::take(&mut d_rows),
            )
            .await?;
        }
    }
    w.insert(
        "duty_rules",
        &["id", "station_id", "person_id", "rule_text", "valid_from", "valid_until", "created_at"],
        r_rows,
    )
    .await?;
    w.insert(
        "duty_slots",
        &["station_id", "person_id", "rule_id", "slot_date", "start_time", "end_time", "online"],
        d_rows,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_rules_parse() {
        for r in RULES {
            assert!(schedule::parse_rule(r).is_ok(), "{r}");
        }
    }
}
