//! Issue 9: the 民意 closed loop through the front door — pages, API, permissions, deadlines
//! on the working-day calendar, the deadline scan, abuse control.

mod api;
mod categories;
mod citizen;
mod corrections;
mod deputies;
mod figures;
mod flow;
mod import;
mod lexicon;
mod lost;
mod merge;
mod notices;
mod open311;
mod photos;
mod purge;
mod scan;
mod stats;
mod suggest;
mod synthetic;
mod wordcounts;
mod words;

use renda::db;

use crate::support::TestApp;

/// A station of the demo county that has deputies.
pub async fn a_station(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT min(station_id) FROM station_deputies", vec![]).await.unwrap()
}

/// The unit the demo `unit` account signs in for.
pub async fn demo_unit(app: &TestApp) -> i64 {
    db::scalar_i64(app.db(), "SELECT unit_id FROM accounts WHERE username = 'unit'", vec![]).await.unwrap()
}

pub async fn item_of(app: &TestApp, tracking_no: &str) -> i64 {
    db::scalar_i64(app.db(), "SELECT item_id FROM opinions WHERE tracking_no = $1", vec![tracking_no.into()])
        .await
        .unwrap()
}

pub async fn opinion_of(app: &TestApp, tracking_no: &str) -> i64 {
    db::scalar_i64(app.db(), "SELECT id FROM opinions WHERE tracking_no = $1", vec![tracking_no.into()]).await.unwrap()
}

pub async fn state_of(app: &TestApp, item: i64) -> String {
    db::query_rows(app.db(), "SELECT state FROM handling_items WHERE id = $1", vec![item.into()]).await.unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}

pub async fn deadline_of(app: &TestApp, item: i64) -> Option<String> {
    db::query_rows(app.db(), "SELECT deadline FROM handling_items WHERE id = $1", vec![item.into()]).await.unwrap()[0]
        .try_get_by_index(0)
        .unwrap()
}
