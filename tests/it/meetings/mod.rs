//! 会议 · 表决 (issue 19, MTG-1…7): a 常委会会议 from its creation to its record, every rule
//! boundary on real ballots, the secret ballot that cannot be joined to voters, the integrity
//! check that finds an altered, added or removed vote, live counts by server-sent events on
//! one node and across two, and who may do what.

mod flow;
mod integrity;
mod live;
mod permissions;
mod presidium;
mod records;
mod remarks;
mod rules;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use renda::auth::{Role, Scope};
use renda::db;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{PASSWORD, TestApp};

/// A deputy account for `person` (its own sign-in), and a write token of it.
pub async fn account_for(app: &TestApp, person: i64, username: &str) -> String {
    let username = &format!("mtg-{username}");
    let organ = app.organ_id("370782").await;
    let txn = db::begin_write(app.db()).await.unwrap();
    renda::auth::accounts::create(
        &txn,
        app.state.audit_key(),
        &app.state.crypto,
        app.state.config.password_cost,
        &renda::audit::Actor::system("test"),
        &renda::auth::accounts::NewAccount {
            username: username.into(),
            display_name: format!("委员{username}"),
            password: PASSWORD.into(),
            organ_id: organ,
            roles: vec![Role::Deputy],
            phone: None,
            unit_id: None,
            deputy_id: Some(person),
            station_id: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("account {username}: {e:?}"));
    txn.commit().await.unwrap();
    app.token(username, Scope::Write).await
}

/// `n` serving deputies of the county congress (persons), in id order.
pub async fn deputies(app: &TestApp, n: usize) -> Vec<i64> {
    let organ = app.organ_id("370782").await;
    let rows = db::query_rows(
        app.db(),
        "SELECT DISTINCT person_id FROM mandates WHERE organ_id = $1 AND status = 'serving' ORDER BY person_id LIMIT $2",
        vec![organ.into(), (n as i64).into()],
    )
    .await
    .unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get_by_index::<i64>(0).unwrap()).collect();
    assert_eq!(ids.len(), n, "the demo county has {n} serving deputies");
    ids
}

/// A meeting of `members` (a list), created through the API by staff; its id.
pub async fn meeting_of(app: &TestApp, staff: &str, members: &[i64], observers: &[i64]) -> i64 {
    let r = app
        .api(
            "POST",
            "/api/v1/meetings",
            Some(staff),
            Some(json!({
                "kind": "standing", "title": "常委会会议（测试）", "starts_at": "2026-12-18T09:00:00+08:00",
                "members_of": "list", "person_ids": members, "observer_ids": observers,
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// Staff mark persons present.
pub async fn present(app: &TestApp, staff: &str, meeting: i64, persons: &[i64]) {
    for p in persons {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/meetings/{meeting}/attendance"),
                Some(staff),
                Some(json!({"person_id": p, "state": "present"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
}

/// A ballot of the meeting through the API; its id.
pub async fn ballot(app: &TestApp, staff: &str, meeting: i64, body: Value) -> i64 {
    let r = app.api("POST", &format!("/api/v1/meetings/{meeting}/ballots"), Some(staff), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// Casts a paper as `person` straight through the service (many voters, fast).
pub async fn cast(
    app: &TestApp,
    ballot: i64,
    person: i64,
    marks: &[(usize, &str)],
) -> Result<usize, renda::app::error::AppError> {
    use renda::ballot::model::{self, Mark};
    let b = model::ballot(app.db(), ballot).await.unwrap().unwrap();
    let subjects = model::subjects(app.db(), ballot).await.unwrap();
    let paper: Vec<(i64, Mark)> = marks
        .iter()
        .map(|(i, m)| {
            (subjects[*i].id, m.parse::<i64>().map(Mark::Score).unwrap_or_else(|_| Mark::Option(m.to_string())))
        })
        .collect();
    renda::app::write::write_as(&app.state, renda::audit::Actor::system("测试"), async |w| {
        renda::ballot::service::cast(w.txn(), w.key(), &app.state.crypto, w.actor(), &b, person, &paper).await
    })
    .await
}

/// Opens (`open`) or closes (`close`) a ballot through the API as staff.
pub async fn act(app: &TestApp, staff: &str, ballot: i64, what: &str) -> crate::support::Resp {
    app.api("POST", &format!("/api/v1/ballots/{ballot}/{what}"), Some(staff), None).await
}

pub async fn detail(app: &TestApp, token: &str, ballot: i64) -> Value {
    let r = app.api("GET", &format!("/api/v1/ballots/{ballot}"), Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

pub async fn staff_token(app: &TestApp) -> String {
    app.token("staff", Scope::Write).await
}

/// A server-sent event stream, read event by event.
pub struct Events {
    body: Body,
    buf: String,
}

impl Events {
    /// Opens `path` on `app` (a bearer token, or none for the hall's keyed stream).
    pub async fn open(app: &TestApp, path: &str, bearer: Option<&str>) -> Events {
        let mut req = Request::builder().uri(path);
        if let Some(t) = bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let response = app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.to_str().unwrap().starts_with("text/event-stream")),
            "{path} is an event stream"
        );
        Events { body: response.into_body(), buf: String::new() }
    }

    /// The next event of `name` (its data as JSON), waiting at most `secs`.
    pub async fn next(&mut self, name: &str, secs: u64) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = "message";
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event:") {
                        event = e.trim();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.trim_start());
                    }
                }
                if event == name && !data.is_empty() {
                    return serde_json::from_str(&data).unwrap();
                }
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame()).await;
            match frame {
                Ok(Some(Ok(f))) => {
                    if let Ok(bytes) = f.into_data() {
                        self.buf.push_str(&String::from_utf8_lossy(&bytes));
                    }
                }
                Ok(_) => panic!("the event stream ended"),
                Err(_) => panic!("no `{name}` event within {secs} s"),
            }
        }
    }

    /// Waits until an event of `name` satisfies `ok`; returns it.
    pub async fn until(&mut self, name: &str, secs: u64, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now()).as_secs().max(1);
            let v = self.next(name, left).await;
            if ok(&v) {
                return v;
            }
            assert!(tokio::time::Instant::now() < deadline, "no `{name}` event as awaited: last {v}");
        }
    }
}
