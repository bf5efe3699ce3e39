//! OPN-12: receptions at stations — the rule of the deputies present, the issues entered as
//! opinions in one go, the "321" lists with feedback fulfilment and overdue promises, the
//! monthly summary against the rows, the API, and who may do what.

mod flow;
mod summary;

use renda::db;

use crate::support::{Browser, TestApp};

/// The demo keeper's station, with at least `n` deputies assigned (staff assign more through
/// the station page when it has fewer): (station, its deputies).
pub async fn keeper_station(app: &TestApp, n: usize) -> (i64, Vec<i64>) {
    let station =
        db::scalar_i64(app.db(), "SELECT station_id FROM accounts WHERE username = 'keeper'", vec![]).await.unwrap();
    let mut deputies = deputies_of(app, station).await;
    if deputies.len() < n {
        let mut staff = app.login("staff").await;
        let others = db::query_rows(
            app.db(),
            "SELECT DISTINCT person_id FROM mandates WHERE status = 'serving' ORDER BY person_id LIMIT 20",
            vec![],
        )
        .await
        .unwrap();
        for r in others {
            let person: i64 = r.try_get_by_index(0).unwrap();
            if deputies.len() >= n {
                break;
            }
            if deputies.contains(&person) {
                continue;
            }
            let r = staff
                .post(&format!("/console/registry/stations/{station}/deputies"), &[("person", &person.to_string())])
                .await;
            assert!(r.status.is_redirection(), "assign deputy: {} {}", r.status, r.body);
            deputies = deputies_of(app, station).await;
        }
    }
    assert!(deputies.len() >= n, "the keeper's station has {} deputies", deputies.len());
    (station, deputies)
}

pub async fn deputies_of(app: &TestApp, station: i64) -> Vec<i64> {
    db::query_rows(
        app.db(),
        "SELECT person_id FROM station_deputies WHERE station_id = $1 ORDER BY person_id",
        vec![station.into()],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get_by_index(0).unwrap())
    .collect()
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    db::scalar_i64(app.db(), sql, vec![]).await.unwrap()
}

/// Posts a new reception at `station` with these deputies and issues (one a line).
pub async fn post_reception(
    b: &mut Browser<'_>,
    station: i64,
    held_on: &str,
    theme: &str,
    deputies: &[i64],
    issues: &str,
) -> crate::support::Resp {
    let station = station.to_string();
    let ids: Vec<String> = deputies.iter().map(|d| d.to_string()).collect();
    let mut fields: Vec<(&str, &str)> = vec![
        ("station", &station),
        ("held_on", held_on),
        ("theme", theme),
        ("attendees", "镇住建办负责人"),
        ("issues", issues),
    ];
    fields.extend(ids.iter().map(|d| ("deputies", d.as_str())));
    b.post("/console/receptions/new", &fields).await
}

/// The reception a redirect points at.
pub fn reception_of(r: &crate::support::Resp) -> i64 {
    let loc = r.header("location").unwrap_or_default();
    loc.trim_start_matches("/console/receptions/").parse().unwrap_or_else(|_| panic!("not a reception: {loc}"))
}
