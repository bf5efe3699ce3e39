//! Issue 19's performance figures for electronic voting, against a running `renda demo` (its
//! database and demo secrets): `bench/votes.sh` starts the server and runs this.
//!
//! 1. Setup, straight into the database (bench data only): `VOTERS` persons, each with a deputy
//!    account and a write token; a meeting of all of them, its quorum met; a secret motion of
//!    the meeting, opened.
//! 2. `/healthz` over HTTP/1.1 keep-alive, 64 connections for 5 s: the machine's plain rate.
//! 3. `SSE` server-sent event connections to the ballot's `/events`, each reading its first
//!    event; the server's resident memory before and after (`/proc/PID/status`).
//! 4. Every voter casts one vote (`POST /api/v1/ballots/{id}/votes`, their own token), 64 at a
//!    time: wall time, latency, errors; every vote durable — the electors' flags and the sealed
//!    papers counted in the database afterwards.
//! 5. The hall screen: its own event stream (`/hall/{meeting}/events` with the meeting's
//!    display key, as the display PC opens it) timestamps each count; how far behind the last
//!    vote's answer the count of `VOTERS` arrived, and how long after closing the result came.
//!    One more stream on the ballot's `/events` (a phone's) is timed the same way.
//!
//!     cargo run --release --example votes_bench -- DATA_DIR BASE_URL SERVER_PID [voters] [sse]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use renda::app::config::{self, CliOverrides};
use renda::audit::Actor;
use renda::db;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn rss(pid: &str, field: &str) -> i64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// One keep-alive HTTP/1.1 connection: a request, its status and body (Content-Length).
struct Conn {
    r: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    async fn open(addr: &str) -> Conn {
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).ok();
        Conn { r: BufReader::new(s), host: addr.to_string() }
    }
    async fn call(&mut self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if !body.is_empty() {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.r.get_mut().write_all(req.as_bytes()).await.expect("write");
        let mut line = String::new();
        self.r.read_line(&mut line).await.expect("status");
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).await.expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0u8; length];
        self.r.read_exact(&mut buf).await.expect("body");
        (status, String::from_utf8_lossy(&buf).into_owned())
    }
}

/// An event stream over HTTP/1.0 (no chunking: the body is the events until the server closes).
async fn events(addr: &str, path: &str, token: &str) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let auth = if token.is_empty() { String::new() } else { format!("Authorization: Bearer {token}\r\n") };
    let req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Accept: text/event-stream\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut r = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line).await.expect("headers");
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    r
}

/// The next `data:` line of a stream, parsed.
async fn next_data(r: &mut BufReader<TcpStream>) -> Option<serde_json::Value> {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if let Some(d) = line.strip_prefix("data:") {
            return serde_json::from_str(d.trim()).ok();
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data_dir = std::path::PathBuf::from(args.get(1).expect("DATA_DIR"));
    let base = args.get(2).expect("BASE_URL").trim_start_matches("http://").trim_end_matches('/').to_string();
    let pid = args.get(3).expect("SERVER_PID").clone();
    let voters: usize = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(2000);
    let sse: usize = args.get(5).and_then(|v| v.parse().ok()).unwrap_or(2000);
    // The server's configuration: the same data directory, no file, demo secrets.
    let overrides = CliOverrides {
        data_dir: Some(data_dir.clone()),
        config_file: Some("/nonexistent.toml".into()),
        demo: true,
        ..CliOverrides::default()
    };
    let mut cfg = config::load(&overrides, &|k| std::env::var(k).ok()).expect("config");
    cfg.password_cost = config::PasswordCost::TEST;
    let conn = db::connect(&cfg.database_url()).await.expect("connect");
    let state = renda::modules::state(conn, cfg);
    let c = &state.db;
    let actor = Actor::system("压测");
    let organ = db::scalar_i64(c, "SELECT min(id) FROM organs WHERE parent_id IS NULL AND external = false", vec![])
        .await
        .unwrap();
    println!("# votes bench: {voters} voters, {sse} event connections, server pid {pid}");

    // ------------------------------------------------------------------ (1) setup
    let t = Instant::now();
    let now = db::now();
    let mut persons = Vec::with_capacity(voters);
    let mut tokens = Vec::with_capacity(voters);
    for i in 0..voters {
        let txn = db::begin_write(c).await.unwrap();
        let person = db::insert_id(
            &txn,
            "INSERT INTO persons (organ_id, name, gender, ethnicity, party, education, occupation, work_unit, expertise, \
             public_contact, bio, created_at, updated_at) VALUES ($1, $2, '男', '汉族', '', '', '', '', '', '', '', $3, $3)",
            vec![organ.into(), format!("压测代表{i:04}").into(), now.into()],
        )
        .await
        .unwrap();
        let account = db::insert_id(
            &txn,
            "INSERT INTO accounts (username, display_name, password_hash, organ_id, deputy_id, created_at, updated_at) \
             VALUES ($1, $2, '-', $3, $4, $5, $5)",
            vec![
                format!("bench-voter-{i:04}").into(),
                format!("压测代表{i:04}").into(),
                organ.into(),
                person.into(),
                now.into(),
            ],
        )
        .await
        .unwrap();
        db::exec(&txn, "INSERT INTO account_roles (account_id, role) VALUES ($1, 'deputy')", vec![account.into()])
            .await
            .unwrap();
        txn.commit().await.unwrap();
        let (_, token) =
            renda::auth::create_token(&state.writer, &state.config, &actor, account, "压测", renda::auth::Scope::Write)
                .await
                .unwrap();
        persons.push(person);
        tokens.push(token);
    }
    let staff = db::scalar_i64(c, "SELECT id FROM accounts WHERE username = 'staff'", vec![]).await.unwrap();
    let (_, staff_token) =
        renda::auth::create_token(&state.writer, &state.config, &actor, staff, "压测", renda::auth::Scope::Write)
            .await
            .unwrap();
    let n = renda::meetings::service::NewMeeting {
        organ_id: organ,
        kind: renda::meetings::model::Kind::Congress,
        title: "压测：全体代表表决".into(),
        starts_at: now,
        place: String::new(),
        members_of: renda::meetings::model::MembersOf::List,
        committee_id: None,
        session_id: None,
        person_ids: persons.clone(),
        observer_ids: Vec::new(),
        term: None,
        quorum: None,
        created_by: None,
    };
    let meeting = renda::app::write::write_as(&state, actor.clone(), async |w| {
        renda::meetings::service::create(w.txn(), w.key(), w.actor(), &n, now).await
    })
    .await
    .unwrap();
    db::exec(c, "UPDATE meeting_members SET attendance = 'present' WHERE meeting_id = $1", vec![meeting.into()])
        .await
        .unwrap();
    let vote = renda::meetings::service::NewVote {
        title: "压测议案".into(),
        vote_kind: renda::ballot::model::VoteKind::Motion,
        secret: true,
        options: Vec::new(),
        choose_max: None,
        score_range: None,
        electorate: renda::meetings::model::Electorate::Members,
        person_ids: Vec::new(),
        rule: Some(renda::ballot::tally::MAJORITY_OF_ALL),
        changes: false,
        item_id: None,
    };
    let m = renda::meetings::model::meeting(c, meeting).await.unwrap().unwrap();
    let ballot = renda::app::write::write_as(&state, actor.clone(), async |w| {
        renda::meetings::service::add_ballot(w.txn(), w.key(), w.actor(), &m, &vote, now).await
    })
    .await
    .unwrap();
    let hall_key = renda::app::write::write_as(&state, actor.clone(), async |w| {
        renda::meetings::service::new_hall_key(w.txn(), w.key(), w.actor(), &m).await
    })
    .await
    .unwrap();
    println!(
        "setup: {voters} voters with tokens, meeting {meeting}, ballot {ballot} in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut admin = Conn::open(&base).await;
    let (status, body) = admin.call("POST", &format!("/api/v1/ballots/{ballot}/open"), Some(&staff_token), "").await;
    assert_eq!(status, 200, "open: {body}");

    // ------------------------------------------------------------------ (2) /healthz
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Instant::now() + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (base, done) = (base.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut k = Conn::open(&base).await;
            while Instant::now() < stop {
                let (s, _) = k.call("GET", "/healthz", None, "").await;
                if s == 200 {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!("/healthz: {:.0} req/s (64 keep-alive connections, 5 s)", done.load(Ordering::Relaxed) as f64 / 5.0);

    // ------------------------------------------------------------------ (3) event connections
    let before = rss(&pid, "VmRSS");
    let path = format!("/api/v1/ballots/{ballot}/events");
    let t = Instant::now();
    let mut streams = Vec::with_capacity(sse);
    for i in 0..sse {
        let mut r = events(&base, &path, &staff_token).await;
        if next_data(&mut r).await.is_none() {
            println!("event connection {i} got no first event");
        }
        streams.push(r);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss(&pid, "VmRSS");
    println!(
        "{sse} event connections open in {:.1} s: server RSS {before} KiB before, {after} KiB with them ({:.1} KiB each)",
        t.elapsed().as_secs_f64(),
        (after - before) as f64 / sse.max(1) as f64
    );
    // Each stream keeps reading in the background (as a browser would), so none backs up.
    let mut readers = Vec::new();
    for mut r in streams {
        readers.push(tokio::spawn(async move { while next_data(&mut r).await.is_some() {} }));
    }

    // ------------------------------------------------------------------ (5) the hall, listening
    let expected = voters as i64;
    // The hall screen's own stream: a `HallView` whose `ballot` is the open ballot's count.
    let mut hall = events(&base, &format!("/hall/{meeting}/events?key={hall_key}"), "").await;
    let hall_task = tokio::spawn(async move {
        let mut full_at = None;
        while let Some(v) = next_data(&mut hall).await {
            if full_at.is_none() && v["ballot"]["voted"] == expected {
                full_at = Some(Instant::now());
            }
            if v["ballot"]["state"] == "closed" {
                return (full_at, Some(Instant::now()), v["ballot"].clone());
            }
        }
        (full_at, None, serde_json::Value::Null)
    });
    // A phone's stream on the ballot itself, timed the same way.
    let mut phone = events(&base, &path, &staff_token).await;
    let phone_task = tokio::spawn(async move {
        while let Some(v) = next_data(&mut phone).await {
            if v["voted"] == expected {
                return Some(Instant::now());
            }
        }
        None
    });

    // ------------------------------------------------------------------ (4) the votes
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (base, tokens, next) = (base.clone(), tokens.clone(), next.clone());
        let path = format!("/api/v1/ballots/{ballot}/votes");
        tasks.push(tokio::spawn(async move {
            let mut k = Conn::open(&base).await;
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tokens.len() {
                    return out;
                }
                let choice = ["yes", "yes", "no", "abstain"][i % 4];
                let s0 = Instant::now();
                let (status, body) =
                    k.call("POST", &path, Some(&tokens[i]), &format!("{{\"choice\":\"{choice}\"}}")).await;
                out.push((status, s0.elapsed(), Instant::now(), body));
            }
        }));
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    let mut last_answer = t;
    for task in tasks {
        for (status, d, at, body) in task.await.unwrap() {
            if status != 200 {
                errors += 1;
                if errors < 4 {
                    println!("vote answered {status}: {body}");
                }
            }
            lat.push(d);
            last_answer = last_answer.max(at);
        }
    }
    let wall = last_answer.duration_since(t);
    lat.sort();
    println!(
        "{voters} votes over HTTP in {:.2} s ({:.0} votes/s, 64 at a time): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {errors} errors",
        wall.as_secs_f64(),
        voters as f64 / wall.as_secs_f64(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    let flags = db::scalar_i64(
        c,
        "SELECT count(*) FROM ballot_electors WHERE ballot_id = $1 AND voted = true",
        vec![ballot.into()],
    )
    .await
    .unwrap();
    let papers = db::scalar_i64(
        c,
        "SELECT count(*) FROM ballot_votes WHERE ballot_id = $1 AND sealed IS NOT NULL",
        vec![ballot.into()],
    )
    .await
    .unwrap();
    println!("durable: {flags} electors marked voted, {papers} sealed papers in the database");

    // Close; the hall gets the result.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closing = Instant::now();
    let (status, body) = admin.call("POST", &format!("/api/v1/ballots/{ballot}/close"), Some(&staff_token), "").await;
    println!(
        "close: {status} in {:.0} ms (papers opened and shuffled, digest signed) {body}",
        closing.elapsed().as_secs_f64() * 1000.0
    );
    let (full_at, closed_at, last) =
        tokio::time::timeout(Duration::from_secs(30), hall_task).await.expect("hall").unwrap();
    match full_at {
        Some(at) => {
            let behind = at.saturating_duration_since(last_answer);
            println!(
                "hall screen (/hall/{meeting}/events): the count of {voters} arrived {:.0} ms after the last vote's answer",
                behind.as_secs_f64() * 1000.0
            )
        }
        None => println!("hall screen: never saw the count of {voters}"),
    }
    match tokio::time::timeout(Duration::from_secs(5), phone_task).await {
        Ok(Ok(Some(at))) => println!(
            "a phone (/api/v1/ballots/{ballot}/events): the count of {voters} arrived {:.0} ms after the last vote's answer",
            at.saturating_duration_since(last_answer).as_secs_f64() * 1000.0
        ),
        _ => println!("a phone: never saw the count of {voters}"),
    }
    if let Some(at) = closed_at {
        println!(
            "hall: the result arrived {:.0} ms after closing: passed = {}, {}",
            at.duration_since(closing).as_secs_f64() * 1000.0,
            last["outcome"]["passed"],
            last["outcome"]["decided_by"]
        );
    }
    println!("server peak RSS (VmHWM): {} KiB", rss(&pid, "VmHWM"));
    for r in readers {
        r.abort();
    }
}
