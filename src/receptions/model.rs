//! What a reception is (OPN-12): where and when, its theme and attendees, the deputies
//! present, and the items of its three lists ("321": 问题清单, 对策建议清单, 限时反馈清单) —
//! read back for the console, the API and the monthly summary.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use serde::Serialize;

use crate::app::codes::code_enum;
use crate::db;
use crate::handling::flow::State;

code_enum! {
    /// The list an item is on.
    #[derive(schemars::JsonSchema)]
    pub enum ListKind {
        /// 问题清单: an issue raised, entered as an opinion.
        Problem = ("problem", "问题清单"),
        /// 对策建议清单.
        Countermeasure = ("countermeasure", "对策建议清单"),
        /// 限时反馈清单: a promise with its date and fulfilment.
        Feedback = ("feedback", "限时反馈清单"),
    }
}

/// One reception with its station and organ.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Reception {
    pub id: i64,
    pub organ_id: i64,
    #[serde(skip)]
    pub organ_path: String,
    pub station_id: i64,
    pub station_name: String,
    /// `YYYY-MM-DD` (Beijing).
    pub held_on: String,
    pub theme: String,
    pub attendees: String,
    pub created_at: i64,
    pub deputies: i64,
    pub problems: i64,
}

const SELECT: &str = "SELECT r.id, r.organ_id, o.path AS organ_path, r.station_id, s.name AS station_name, r.held_on, \
     r.theme, r.attendees, r.created_at, \
     (SELECT count(*) FROM reception_deputies d WHERE d.reception_id = r.id) AS deputies, \
     (SELECT count(*) FROM reception_items i WHERE i.reception_id = r.id AND i.kind = 'problem') AS problems \
     FROM receptions r JOIN organs o ON o.id = r.organ_id JOIN stations s ON s.id = r.station_id";

pub async fn reception<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Reception>, DbErr> {
    db::query_one(c, &format!("{SELECT} WHERE r.id = $1"), vec![id.into()]).await
}

/// A deputy present: (person id, name).
pub async fn deputies<C: ConnectionTrait>(c: &C, reception_id: i64) -> Result<Vec<(i64, String)>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT p.id, p.name FROM reception_deputies d JOIN persons p ON p.id = d.person_id \
         WHERE d.reception_id = $1 ORDER BY d.id",
        vec![reception_id.into()],
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// One line of a list, with the opinion a problem became and that opinion's state.
#[derive(Clone, Debug, FromQueryResult, Serialize)]
pub struct Item {
    pub id: i64,
    pub reception_id: i64,
    pub kind: String,
    pub body: String,
    pub opinion_id: Option<i64>,
    pub tracking_no: Option<String>,
    pub state: Option<String>,
    pub promised_on: Option<String>,
    pub fulfilled_on: Option<String>,
    pub fulfilment: String,
    pub created_at: i64,
}

impl Item {
    pub fn kind(&self) -> ListKind {
        ListKind::parse(&self.kind).unwrap_or(ListKind::Countermeasure)
    }
    pub fn opinion_state(&self) -> Option<State> {
        self.state.as_deref().and_then(State::parse)
    }
    pub fn state_label(&self) -> &'static str {
        self.opinion_state().map(|s| s.label()).unwrap_or("")
    }
    pub fn state_colour(&self) -> &'static str {
        self.opinion_state().map(|s| s.colour()).unwrap_or("grey")
    }
    /// A feedback promise whose date (`YYYY-MM-DD`) is before `today` and is not fulfilled.
    pub fn overdue(&self, today: &str) -> bool {
        self.kind() == ListKind::Feedback
            && self.fulfilled_on.is_none()
            && self.promised_on.as_deref().is_some_and(|d| d < today)
    }
}

const ITEM_SELECT: &str = "SELECT it.id, it.reception_id, it.kind, it.body, it.opinion_id, op.tracking_no, h.state, \
     it.promised_on, it.fulfilled_on, it.fulfilment, it.created_at FROM reception_items it \
     LEFT JOIN opinions op ON op.id = it.opinion_id LEFT JOIN handling_items h ON h.id = op.item_id";

pub async fn items<C: ConnectionTrait>(c: &C, reception_id: i64) -> Result<Vec<Item>, DbErr> {
    db::query_all(c, &format!("{ITEM_SELECT} WHERE it.reception_id = $1 ORDER BY it.id"), vec![reception_id.into()])
        .await
}

pub async fn item<C: ConnectionTrait>(c: &C, id: i64) -> Result<Option<Item>, DbErr> {
    db::query_one(c, &format!("{ITEM_SELECT} WHERE it.id = $1"), vec![id.into()]).await
}

/// Which receptions a caller sees: those of an organ subtree, and those of some stations.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub organ_path: Option<String>,
    pub stations: Vec<i64>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.organ_path.is_none() && self.stations.is_empty()
    }
}

/// The filters of a list: a station, a month (`YYYY-MM`, as its first and last date).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub station_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
}

fn bind(v: Value, values: &mut Vec<Value>) -> String {
    values.push(v);
    format!("${}", values.len())
}

fn condition(scope: &Scope, f: &Filter, values: &mut Vec<Value>) -> String {
    let mut who = Vec::new();
    if let Some(path) = &scope.organ_path {
        who.push(format!("o.path LIKE {}", bind(format!("{}%", db::like_escape(path)).into(), values)));
    }
    if !scope.stations.is_empty() {
        let ids: Vec<String> = scope.stations.iter().map(|s| bind((*s).into(), values)).collect();
        who.push(format!("r.station_id IN ({})", ids.join(", ")));
    }
    let mut out = vec![if who.is_empty() { "(1 = 0)".to_string() } else { format!("({})", who.join(" OR ")) }];
    if let Some(st) = f.station_id {
        out.push(format!("r.station_id = {}", bind(st.into(), values)));
    }
    if let Some(from) = &f.from {
        out.push(format!("r.held_on >= {}", bind(from.clone().into(), values)));
    }
    if let Some(to) = &f.to {
        out.push(format!("r.held_on <= {}", bind(to.clone().into(), values)));
    }
    out.join(" AND ")
}

/// The receptions a scope sees, newest first (at most `limit`).
pub async fn list<C: ConnectionTrait>(c: &C, scope: &Scope, f: &Filter, limit: i64) -> Result<Vec<Reception>, DbErr> {
    let mut values = Vec::new();
    let cond = condition(scope, f, &mut values);
    let lim = bind(limit.into(), &mut values);
    db::query_all(c, &format!("{SELECT} WHERE {cond} ORDER BY r.held_on DESC, r.id DESC LIMIT {lim}"), values).await
}

/// The items of the receptions a scope sees (the summary's rows), with each one's station.
pub async fn items_of<C: ConnectionTrait>(c: &C, scope: &Scope, f: &Filter) -> Result<Vec<Item>, DbErr> {
    let mut values = Vec::new();
    let cond = condition(scope, f, &mut values);
    db::query_all(
        c,
        &format!(
            "{ITEM_SELECT} WHERE it.reception_id IN (SELECT r.id FROM receptions r JOIN organs o ON o.id = r.organ_id \
             WHERE {cond}) ORDER BY it.id"
        ),
        values,
    )
    .await
}

/// (reception id, person id) of the deputies present at the receptions a scope sees.
pub async fn attendance_of<C: ConnectionTrait>(c: &C, scope: &Scope, f: &Filter) -> Result<Vec<(i64, i64)>, DbErr> {
    let mut values = Vec::new();
    let cond = condition(scope, f, &mut values);
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT d.reception_id, d.person_id FROM reception_deputies d WHERE d.reception_id IN \
             (SELECT r.id FROM receptions r JOIN organs o ON o.id = r.organ_id WHERE {cond}) ORDER BY d.id"
        ),
        values,
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// Unfulfilled feedback promised before `today` at the receptions a scope sees.
pub async fn overdue<C: ConnectionTrait>(c: &C, scope: &Scope, today: &str) -> Result<Vec<Item>, DbErr> {
    let mut values = Vec::new();
    let cond = condition(scope, &Filter::default(), &mut values);
    let t = bind(today.to_string().into(), &mut values);
    db::query_all(
        c,
        &format!(
            "{ITEM_SELECT} WHERE it.kind = 'feedback' AND it.fulfilled_on IS NULL AND it.promised_on < {t} \
             AND it.reception_id IN (SELECT r.id FROM receptions r JOIN organs o ON o.id = r.organ_id WHERE {cond}) \
             ORDER BY it.promised_on, it.id LIMIT 200"
        ),
        values,
    )
    .await
}

/// The stations with receptions a scope sees: (id, name), by name.
pub async fn stations_in<C: ConnectionTrait>(c: &C, scope: &Scope) -> Result<Vec<(i64, String)>, DbErr> {
    let mut values = Vec::new();
    let cond = condition(scope, &Filter::default(), &mut values);
    let rows = db::query_rows(
        c,
        &format!(
            "SELECT DISTINCT s.id, s.name FROM receptions r JOIN organs o ON o.id = r.organ_id \
             JOIN stations s ON s.id = r.station_id WHERE {cond} ORDER BY s.name, s.id"
        ),
        values,
    )
    .await?;
    rows.iter().map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?))).collect()
}

/// The stations a deputy is assigned to.
pub async fn stations_of_deputy<C: ConnectionTrait>(c: &C, person_id: i64) -> Result<Vec<i64>, DbErr> {
    let rows = db::query_rows(
        c,
        "SELECT station_id FROM station_deputies WHERE person_id = $1 ORDER BY station_id",
        vec![person_id.into()],
    )
    .await?;
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}

/// How many receptions a station has held (the public station page).
pub async fn count_at_station<C: ConnectionTrait>(c: &C, station_id: i64) -> Result<i64, DbErr> {
    db::scalar_i64(c, "SELECT count(*) FROM receptions WHERE station_id = $1", vec![station_id.into()]).await
}
