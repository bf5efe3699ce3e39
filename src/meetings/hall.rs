//! The hall screen (`/hall/{meeting}`, MTG-4): large type for the display in the meeting hall —
//! the quorum (应到, 实到, 达到法定人数), the ballot now open with the count of those who voted
//! rising live, and its result by the rule the moment it closes; below it the written remarks of
//! remote participants that staff made public (MTG-6), with their authors as the room reads
//! them. Never a name beside a vote: only figures.
//!
//! **How the display is authorised.** The hall's PC is shared, unattended and seen by the whole
//! room, so it holds no account: a signed-in staff session there would leave the console open
//! to anyone who walks up. Staff make a **display key** for one meeting on its page (16 random
//! bytes; only its SHA-256 is stored, so it is shown once) and open the link it gives on the
//! display. The key reads that meeting's hall screen and its events, nothing else — no other
//! meeting, no page, no API; making a new one (or ending the meeting) voids the old. It travels in
//! the address (`?key=…`), so it may land in a proxy's log: what it opens is what the room sees
//! on the screen anyway.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::model::{self, Meeting};
use super::service::key_hash;
use crate::app::error::{AppError, AppResult};
use crate::app::extract::Query;
use crate::app::pages::render;
use crate::app::state::AppState;
use crate::ballot::api::{LiveCount, live_count, sse};
use crate::ballot::live::{self, Compute};

pub fn routes() -> Router<AppState> {
    Router::new().route("/hall/{id}", get(page)).route("/hall/{id}/events", get(events))
}

/// What the hall shows, the same for every screen of the meeting.
#[derive(Clone, Debug, Serialize)]
pub struct HallView {
    /// Changes when more than a count changes (a ballot opened or closed, the quorum reached):
    /// a screen then loads the page again.
    pub stage: String,
    pub title: String,
    pub members: i64,
    pub present: i64,
    pub required: i64,
    pub met: bool,
    /// The ballot open now, else the last one closed.
    pub ballot: Option<LiveCount>,
    /// The newest remarks staff made public (云列席), the last published first.
    pub remarks: Vec<model::ShownRemark>,
}

/// How many published remarks the hall shows.
pub const HALL_REMARKS: i64 = 5;

/// The hall's figures now.
pub async fn view(s: &AppState, m: &Meeting) -> AppResult<HallView> {
    let q = model::quorum(&s.db, m).await?;
    let mut current: Option<crate::ballot::model::Ballot> = None;
    for mb in model::ballots(&s.db, m.id).await? {
        let Some(b) = crate::ballot::model::ballot(&s.db, mb.ballot_id).await? else { continue };
        // The ballot opened last while one is open, else the one closed last.
        let better = match &current {
            None => !b.is_pending(),
            Some(c) if b.is_open() => !c.is_open() || (b.opened_at, b.id) > (c.opened_at, c.id),
            Some(c) => !c.is_open() && b.is_closed() && (b.closed_at, b.id) > (c.closed_at, c.id),
        };
        if better {
            current = Some(b);
        }
    }
    let ballot = match current {
        Some(b) => Some(live_count(s, b.id).await?),
        None => None,
    };
    let remarks = model::shown_remarks(&s.db, m.id, HALL_REMARKS).await?;
    let shown: Vec<String> = remarks.iter().map(|r| r.id.to_string()).collect();
    Ok(HallView {
        stage: format!(
            "{}:{}:{}",
            q.met,
            ballot.as_ref().map(|b| format!("{}:{}", b.id, b.state)).unwrap_or_default(),
            shown.join(",")
        ),
        title: m.numbered().unwrap_or_else(|| m.title.clone()),
        members: q.members,
        present: q.present,
        required: q.required,
        met: q.met,
        ballot,
        remarks,
    })
}

/// How a meeting's topic is counted for the hall.
pub fn hall_compute(id: i64) -> Compute {
    Arc::new(move |s: AppState| {
        Box::pin(async move {
            let m = model::meeting(&s.db, id).await?.ok_or(AppError::NotFound)?;
            Ok(serde_json::to_string(&view(&s, &m).await?).unwrap_or_default())
        })
    })
}

#[derive(Deserialize)]
struct KeyQuery {
    #[serde(default)]
    key: String,
}

/// The meeting whose display key this is; anything else is a 404, as an unknown meeting.
async fn keyed(s: &AppState, id: &str, key: &str) -> AppResult<Meeting> {
    let id = id.parse::<i64>().ok().filter(|v| *v > 0).ok_or(AppError::NotFound)?;
    let m = model::meeting(&s.db, id).await?.ok_or(AppError::NotFound)?;
    let ok = m
        .hall_key_hash
        .as_deref()
        .is_some_and(|h| !key.is_empty() && crate::privacy::constant_time_eq(h.as_bytes(), key_hash(key).as_bytes()));
    if !ok {
        return Err(AppError::NotFound);
    }
    Ok(m)
}

#[derive(Template)]
#[template(path = "meetings/hall.html")]
struct HallTpl {
    v: HallView,
    events: String,
}

impl HallTpl {
    fn outcome(&self) -> Option<&crate::ballot::result::Outcome> {
        self.v.ballot.as_ref().and_then(|b| b.outcome.as_ref())
    }
}

async fn page(State(s): State<AppState>, Path(id): Path<String>, Query(q): Query<KeyQuery>) -> AppResult<Response> {
    let m = keyed(&s, &id, &q.key).await?;
    let v = view(&s, &m).await?;
    let events = format!("/hall/{}/events?key={}", m.id, q.key);
    render(&HallTpl { v, events })
}

/// `text/event-stream`: an event `hall` (a `HallView`) each time the meeting moves.
async fn events(State(s): State<AppState>, Path(id): Path<String>, Query(q): Query<KeyQuery>) -> AppResult<Response> {
    let m = keyed(&s, &id, &q.key).await?;
    let rx = live::watch(&s, &super::topic(m.id), hall_compute(m.id));
    Ok(sse(rx, "hall"))
}
