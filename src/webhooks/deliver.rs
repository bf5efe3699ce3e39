//! Sending the outbox: the `webhook-deliver` job posts every due delivery, signed; a failure
//! (no connection, a timeout, a status other than 2xx) is tried again after 1 min, 5 min,
//! 30 min, 2 h and 12 h, then given up (`failed`). Each failure schedules the next run of the
//! job at the next attempt's time; `renda jobs run webhook-deliver --now …` runs it as of a time.

use std::time::Duration;

use sea_orm::DbErr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::model::{self, Delivery};
use super::outbound::{self, UNREACHABLE};
use super::outbox::wake;
use super::sign;
use crate::app::state::{AppState, BoxFuture};
use crate::db;

/// The waits after the 1st … 5th failed attempt; the 6th failure gives up.
pub const BACKOFF: [i64; 5] = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600];

/// How long one delivery may take (look-up, connect, send, first line of the answer).
const TIMEOUT: Duration = Duration::from_secs(10);

/// The wait after `attempts` failed attempts, or `None` to give up.
pub fn backoff(attempts: i64) -> Option<i64> {
    usize::try_from(attempts - 1).ok().and_then(|i| BACKOFF.get(i).copied())
}

/// What one run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

fn now_of(payload: &str) -> i64 {
    crate::jobs::payload_now(payload)
}

pub(super) fn run<'a>(s: &'a AppState, payload: &'a str) -> BoxFuture<'a, Result<(), String>> {
    Box::pin(async move {
        let report = run_at(s, now_of(payload)).await.map_err(|e| e.to_string())?;
        tracing::info!(delivered = report.delivered, retrying = report.retrying, failed = report.failed, "webhooks");
        Ok(())
    })
}

/// How long accepted inbound delivery ids are kept: far beyond the 5 minutes a signed
/// request stays fresh, after which a replay is refused for its timestamp anyway.
const INBOUND_KEPT_SECS: i64 = 86_400;

/// Sends every delivery due at `now` (and forgets inbound delivery ids too old to replay).
pub async fn run_at(s: &AppState, now: i64) -> Result<Report, DbErr> {
    db::exec(&s.db, "DELETE FROM webhook_inbound WHERE received_at < $1", vec![(now - INBOUND_KEPT_SECS).into()])
        .await?;
    let mut report = Report::default();
    loop {
        let due = model::due(&s.db, now, 100).await?;
        if due.is_empty() {
            return Ok(report);
        }
        for d in due {
            // Claimed by moving its time on: a second worker's update finds nothing to do.
            let claimed = db::exec(
                &s.db,
                "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3",
                vec![(now + 600).into(), d.id.into(), d.next_attempt_at.into()],
            )
            .await?;
            if claimed == 1 {
                attempt(s, &d, now, &mut report).await?;
            }
        }
    }
}

async fn attempt(s: &AppState, d: &Delivery, now: i64, report: &mut Report) -> Result<(), DbErr> {
    let attempts = d.attempts + 1;
    let outcome = match model::endpoint(&s.db, d.endpoint_id).await? {
        Some(ep) if ep.active => match s.crypto.decrypt(&ep.secret_enc) {
            Ok(secret) => send(s, &ep.url, &secret, d).await,
            Err(e) => {
                tracing::error!(target: "renda::webhooks", endpoint = ep.id, error = %e, "endpoint secret unreadable");
                Err((None, UNREACHABLE.to_string()))
            }
        },
        _ => Err((None, "推送地址已停用".to_string())),
    };
    match outcome {
        Ok(status) => {
            report.delivered += 1;
            db::exec(
                &s.db,
                "UPDATE webhook_deliveries SET state = 'delivered', attempts = $1, last_status = $2, last_error = NULL, delivered_at = $3 WHERE id = $4",
                vec![attempts.into(), i64::from(status).into(), now.into(), d.id.into()],
            )
            .await?;
        }
        Err((status, error)) => {
            let error: String = error.chars().take(300).collect();
            let status = status.map(i64::from);
            match backoff(attempts) {
                Some(wait) => {
                    report.retrying += 1;
                    db::exec(
                        &s.db,
                        "UPDATE webhook_deliveries SET attempts = $1, last_status = $2, last_error = $3, next_attempt_at = $4 WHERE id = $5",
                        vec![attempts.into(), status.into(), error.into(), (now + wait).into(), d.id.into()],
                    )
                    .await?;
                    wake(&s.db, now + wait).await?;
                }
                None => {
                    report.failed += 1;
                    db::exec(
                        &s.db,
                        "UPDATE webhook_deliveries SET state = 'failed', attempts = $1, last_status = $2, last_error = $3 WHERE id = $4",
                        vec![attempts.into(), status.into(), error.into(), d.id.into()],
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}

/// One signed POST; a 2xx answer is delivered, anything else an error (status, the message the
/// console shows). What went wrong below HTTP goes to the log, never to the console.
async fn send(s: &AppState, url: &str, secret: &str, d: &Delivery) -> Result<u16, (Option<u16>, String)> {
    let ts = db::now();
    let delivery = d.id.to_string();
    let headers = [
        ("X-Renda-Event", d.event.clone()),
        ("X-Renda-Delivery", delivery.clone()),
        ("X-Renda-Timestamp", ts.to_string()),
        ("X-Renda-Signature", sign::signature(secret, ts, d.endpoint_id, &delivery, d.payload.as_bytes())),
    ];
    match post(s, url, &headers, d.payload.as_bytes()).await {
        Ok(status) if (200..300).contains(&status) => Ok(status),
        Ok(status) => Err((Some(status), format!("对方返回 HTTP {status}"))),
        Err(detail) => {
            tracing::warn!(target: "renda::webhooks", delivery = d.id, endpoint = d.endpoint_id, detail = %detail, "delivery failed");
            Err((None, UNREACHABLE.to_string()))
        }
    }
}

/// A JSON POST over HTTP/1.1 (one connection, closed after the answer) to an address checked
/// by `outbound`; returns the status. Redirects are not followed: a 3xx is an answer like any
/// other status, and only its code is kept. `Err` holds the detail for the log.
pub async fn post(s: &AppState, url: &str, headers: &[(&str, String)], body: &[u8]) -> Result<u16, String> {
    let target = outbound::parse(url).map_err(|r| format!("{url}: {r:?}"))?;
    let exchange = async {
        let addrs = outbound::addresses(s, &target).await.map_err(|(_, detail)| format!("refused: {detail}"))?;
        let mut stream = None;
        let mut last = String::new();
        // Only the addresses just checked: the name is never looked up again.
        for a in &addrs {
            match tokio::net::TcpStream::connect(a).await {
                Ok(st) => {
                    stream = Some(st);
                    break;
                }
                Err(e) => last = format!("connect {a}: {e}"),
            }
        }
        let mut stream = stream.ok_or(last)?;
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: renda-webhooks\r\n",
            target.path,
            target.authority(),
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.map_err(|e| format!("send: {e}"))?;
        stream.write_all(body).await.map_err(|e| format!("send: {e}"))?;
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.windows(2).any(|w| w == b"\r\n") && answer.len() < 8192 {
            let n = stream.read(&mut buf).await.map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&answer);
        let status = line
            .strip_prefix("HTTP/1.")
            .and_then(|r| r.get(2..5))
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|c| (100..600).contains(c))
            .ok_or_else(|| "the answer is not HTTP".to_string())?;
        Ok(status)
    };
    tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| format!("no answer in {} s", TIMEOUT.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_one_five_thirty_minutes_two_and_twelve_hours_then_none() {
        let waits: Vec<Option<i64>> = (1..=6).map(backoff).collect();
        assert_eq!(waits, vec![Some(60), Some(300), Some(1800), Some(7200), Some(43200), None]);
        assert_eq!(backoff(0), None);
    }
}
