//! The deputies of `renda gen`: spread over the five levels in national proportions, each
//! with one or two expertise tags and a serving mandate (about one in twenty also one level
//! up), and a place at a station in (or, failing that, nearest to) their home township.

use sea_orm::{DbErr, Value};

use super::hierarchy::{Hierarchy, Node};
use super::names::{ETHNICITIES, EXPERTISE, Names, WORK_UNITS};
use super::random::{Rng, split_weighted};
use super::station_rows::Stations;
use super::writer::{Writer, reserve_ids};
use crate::registry::persons::{EDUCATIONS, OCCUPATIONS, PARTIES};
use crate::registry::types::{Gender, MandateStatus};

/// Persons generated (with their tags, mandates and station places) per round.
const PERSONS_PER_ROUND: u64 = 10_000;
/// National proportions of deputies per level (全国 ≈ 3,000 … 乡镇 ≈ 2,000,000).
const LEVEL_WEIGHTS: [u64; 5] = [3_000, 15_000, 120_000, 600_000, 2_000_000];
/// Term, start date and how the constituency is named, per level.
fn term_of(level: usize) -> (i64, &'static str) {
    match level {
        0 => (14, "2023-03-05"),
        1 => (14, "2023-01-12"),
        2 => (17, "2022-01-06"),
        3 => (19, "2021-12-28"),
        _ => (20, "2021-12-20"),
    }
}

const LEVEL_CODES: [&str; 5] = ["national", "provincial", "city", "county", "township"];

/// The deputies written: their mandates, and the first deputy of each station (0 for none).
pub(super) struct Deputies {
    pub(super) mandates: u64,
    pub(super) station_person: Vec<i64>,
}

/// Writes `deputies` persons with their tags, mandates and station places.
pub(super) async fn write_deputies(
    w: &mut Writer<'_>,
    rng: &mut Rng,
    h: &Hierarchy,
    stations: &Stations,
    deputies: u64,
    now: i64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<Deputies, DbErr> {
    let townships = &h.levels[4];
    let n_town = townships.len();
    let (first_station, town_stations) = (stations.first, &stations.of_township);
    let per_level = if deputies >= 5 {
        split_weighted(deputies, &LEVEL_WEIGHTS, 1)
    } else {
        split_weighted(deputies, &LEVEL_WEIGHTS, 0)
    };
    progress(format!(
        "代表：{deputies} 名（全国 {}、省 {}、市 {}、县 {}、乡镇 {}）",
        per_level[0], per_level[1], per_level[2], per_level[3], per_level[4]
    ));
    let first_person = reserve_ids(w.txn(), "persons", deputies).await?;
    let names = Names::new();
    let mut station_person: Vec<i64> = vec![0; stations.count as usize];
    let mut mandates = 0u64;
    let mut done = 0u64;
    let mut next_id = first_person;
    let person_cols = [
        "id",
        "organ_id",
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "party",
        "education",
        "occupation",
        "work_unit",
        "expertise",
        "public_contact",
        "township_area_id",
        "bio",
        "created_at",
        "updated_at",
    ];
    let mandate_cols =
        ["person_id", "organ_id", "level", "term", "constituency", "start_date", "end_date", "status", "created_at"];
    let round_started = std::time::Instant::now();
    for (level, count) in per_level.iter().enumerate() {
        let organs = &h.levels[level];
        let mut i = 0u64;
        while i < *count {
            let end = (i + PERSONS_PER_ROUND).min(*count);
            let mut p_rows: Vec<Value> = Vec::with_capacity((end - i) as usize * person_cols.len());
            let mut t_rows: Vec<Value> = Vec::new();
            let mut m_rows: Vec<Value> = Vec::new();
            let mut s_rows: Vec<Value> = Vec::new();
            for k in i..end {
                let id = next_id;
                next_id += 1;
                // Even spread over the level's organs; home township somewhere below.
                let oi = (k as usize * organs.len()) / *count as usize;
                let organ = &organs[oi];
                let t = organ.t_lo + rng.below(organ.t_hi.saturating_sub(organ.t_lo).max(1));
                let town = &townships[t.min(n_town - 1)];
                let mut tags: Vec<&str> = vec![*rng.pick(&EXPERTISE)];
                if rng.chance(0.5) {
                    let second = *rng.pick(&EXPERTISE);
                    if second != tags[0] {
                        tags.push(second);
                    }
                }
                let party = if rng.chance(0.70) {
                    PARTIES[0]
                } else if rng.chance(0.5) {
                    PARTIES[PARTIES.len() - 1]
                } else {
                    *rng.pick(&PARTIES[1..PARTIES.len() - 1])
                };
                let education = EDUCATIONS[match rng.below(100) {
                    0..=14 => 0,
                    15..=49 => 1,
                    50..=69 => 2,
                    70..=79 => 3,
                    80..=91 => 4,
                    92..=97 => 5,
                    _ => 6,
                }];
                let birth = format!("{}-{:02}-{:02}", 1958 + rng.below(38), 1 + rng.below(12), 1 + rng.below(28));
                p_rows.extend([
                    id.into(),
                    organ.organ_id.into(),
                    names.person(rng).into(),
                    (if rng.chance(0.7) { Gender::Male } else { Gender::Female }).as_str().into(),
                    (if rng.chance(0.91) { "汉族" } else { *rng.pick(&ETHNICITIES) }).into(),
                    Some(birth).into(),
                    party.into(),
                    education.into(),
                    (*rng.pick(&OCCUPATIONS)).into(),
                    format!("{}{}", town.name, rng.pick(&WORK_UNITS)).into(),
                    tags.join("、").into(),
                    (if rng.chance(0.2) { "请到所在联络站留言" } else { "" }).into(),
                    Some(town.area_id).into(),
                    "".into(),
                    now.into(),
                    now.into(),
                ]);
                for tag in &tags {
                    t_rows.extend([id.into(), (*tag).into()]);
                }
                let mandate = |lvl: usize, node: &Node, m_rows: &mut Vec<Value>, rng: &mut Rng| {
                    let (term, start) = term_of(lvl);
                    let constituency = match lvl {
                        0 => format!("{}代表团", h.levels[1][h.levels[2][h.levels[3][town.parent].parent].parent].name),
                        1 => format!("{}代表团", h.levels[2][h.levels[3][town.parent].parent].name),
                        2 => format!("{}代表团", h.levels[3][town.parent].name),
                        _ => format!("第{}选区", 1 + rng.below(60)),
                    };
                    m_rows.extend([
                        id.into(),
                        node.mandate_organ.into(),
                        LEVEL_CODES[lvl].into(),
                        term.into(),
                        constituency.into(),
                        Some(start.to_string()).into(),
                        Option::<String>::None.into(),
                        MandateStatus::Serving.into(),
                        now.into(),
                    ]);
                };
                mandate(level, organ, &mut m_rows, rng);
                mandates += 1;
                // About one in twenty also sits one level up (elected from this congress).
                if level > 0 && k % 20 == 7 {
                    let up = &h.levels[level - 1][organ.parent];
                    mandate(level - 1, up, &mut m_rows, rng);
                    mandates += 1;
                }
                let here = &town_stations[t.min(n_town - 1)];
                if !here.is_empty() {
                    let j = here[rng.below(here.len())] as usize;
                    if station_person[j] == 0 {
                        station_person[j] = id;
                    }
                    s_rows.extend([(first_station + j as i64).into(), id.into(), now.into()]);
                }
            }
            w.insert("persons", &person_cols, p_rows).await?;
            w.insert("person_tags", &["person_id", "tag"], t_rows).await?;
            w.insert("mandates", &mandate_cols, m_rows).await?;
            w.insert("station_deputies", &["station_id", "person_id", "created_at"], s_rows).await?;
            done += end - i;
            i = end;
            if done % 100_000 < PERSONS_PER_ROUND || done == deputies {
                let secs = round_started.elapsed().as_secs_f64().max(0.001);
                progress(format!("代表 {done}/{deputies}（{:.0} 名/秒）", done as f64 / secs));
            }
        }
    }
    Ok(Deputies { mandates, station_person })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_split_keeps_the_total_and_minimums() {
        let s = split_weighted(3_000, &LEVEL_WEIGHTS, 1);
        assert_eq!(s.iter().sum::<u64>(), 3_000);
        assert!(s.iter().all(|v| *v >= 1));
        assert!(s[4] > s[3] && s[3] > s[2] && s[2] > s[1] && s[1] >= s[0], "{s:?}");
        let s = split_weighted(2_800_000, &LEVEL_WEIGHTS, 1);
        assert_eq!(s.iter().sum::<u64>(), 2_800_000);
        assert!((3_000..3_200).contains(&s[0]), "{s:?}");
        assert_eq!(split_weighted(3, &LEVEL_WEIGHTS, 0).iter().sum::<u64>(), 3);
    }
}
