//! `renda gen`: synthetic registry data at national scale (PLAT-20).
//!
//! The generator writes straight SQL in bulk: ids are reserved up front (the table's
//! sequence is moved past the block, so concurrent writers never collide with it), rows go
//! in as multi-row `INSERT`s of up to 500 rows, and a transaction (opened with
//! `db::begin_write`) is committed about every 50,000 rows. No audit entry is written per
//! row; one entry for the whole run goes into the last transaction.
//!
//! Shape of the data: on an empty database a national hierarchy is created — the national
//! congress, 31 provinces (real names, codes and centres), about 330 cities, 2,800 counties
//! and 40,000 townships with generated names and coordinates clustered around their parent's
//! centre; each area has a congress organ with a correct `path`. When organs already exist
//! (e.g. the demo county) the same hierarchy is added below the installation's default
//! organ, with area codes under a free prefix (`90…99`). Smaller runs scale the hierarchy
//! down. Deputies are spread over the five levels in national proportions, about one in
//! twenty also holds a mandate one level up, each gets one or two expertise tags and is
//! assigned to a station in (or, failing that, nearest to) their home township. Stations
//! get a type, coordinates near their township's centre, and one duty rule with 4–8 slots.
//!
//! The parts: `random` (the deterministic generator and shares), `names` (names and places),
//! `hierarchy` (areas and organs), `station_rows` (stations, duty rules and slots),
//! `deputy_rows` (persons, tags, mandates, station places) and `writer` (the bulk writer).

mod deputy_rows;
mod hierarchy;
mod names;
mod random;
mod station_rows;
pub(crate) mod writer;

use sea_orm::{DatabaseConnection, DbBackend, DbErr};

use self::deputy_rows::write_deputies;
use self::hierarchy::build_hierarchy;
use self::random::Rng;
use self::station_rows::{write_duties, write_stations};
use self::writer::Writer;
use crate::audit::{self, Actor, Change};
use crate::db;

/// What `generate` wrote.
#[derive(Clone, Debug, Default)]
pub struct GenReport {
    pub persons: u64,
    pub mandates: u64,
    pub stations: u64,
}

/// Fills the database with `deputies` persons and `stations` stations, and records one audit
/// entry for the whole run in its last transaction, so the chain stays valid.
pub async fn generate(
    db: &DatabaseConnection,
    audit_key: &[u8],
    deputies: u64,
    stations: u64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<GenReport, DbErr> {
    run(db, Some(audit_key), deputies, stations, progress).await
}

async fn run(
    db: &DatabaseConnection,
    audit_key: Option<&[u8]>,
    deputies: u64,
    n_stations: u64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<GenReport, DbErr> {
    let started = std::time::Instant::now();
    let now = db::now();
    let mut rng = Rng(0x7265_6e64_6120_6765 ^ deputies.rotate_left(17) ^ n_stations);
    let mut w = Writer::new(db).await?;
    let h = build_hierarchy(&mut w, &mut rng, deputies, progress).await?;
    let stations = write_stations(&mut w, &mut rng, &h, n_stations, now, progress).await?;
    progress(format!("联络站已写入，用时 {:.1} 秒", started.elapsed().as_secs_f64()));
    let d = write_deputies(&mut w, &mut rng, &h, &stations, deputies, now, progress).await?;
    write_duties(&mut w, &mut rng, &stations, &d.station_person, now, progress).await?;

    // The last transaction.
    db::exec(w.txn(), "UPDATE change_counters SET value = value + 1 WHERE name = 'stations'", vec![]).await?;
    if let Some(key) = audit_key {
        audit::append(
            w.txn(),
            key,
            &Actor::system("gen"),
            Change {
                action: "synthetic_generate",
                target_type: "registry",
                target_id: "gen".into(),
                organ_id: Some(h.root_organ),
                summary: format!("生成合成数据：{deputies} 名代表、{n_stations} 个联络站"),
            },
        )
        .await?;
    }
    w.finish().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        for t in ["areas", "organs", "stations", "persons", "person_tags", "mandates", "station_deputies", "duty_slots"]
        {
            db::exec(db, &format!("ANALYZE {t}"), vec![]).await?;
        }
    }
    progress(format!("完成，用时 {:.1} 秒", started.elapsed().as_secs_f64()));
    Ok(GenReport { persons: deputies, mandates: d.mandates, stations: n_stations })
}
