//! PLAT-1, PLAT-4, PLAT-5: the binary itself — config check, demo, token, audit verify, backup and restore.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_renda");

fn renda(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(["--data-dir", dir.to_str().unwrap(), "--config", "/nonexistent/renda.toml"])
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RENDA_PASSWORD_MEMORY_KIB", "64")
        .env("RENDA_PASSWORD_ITERATIONS", "1")
        .output()
        .expect("run renda");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("renda-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn http_get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn config_check_names_every_bad_value() {
    let dir = temp("config");
    let out = Command::new(BIN)
        .args(["--data-dir", dir.to_str().unwrap(), "--config", "/nonexistent/renda.toml", "config", "check"])
        .env("RENDA_LISTEN", "nowhere")
        .env("RENDA_SESSION_HOURS", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("RENDA_LISTEN") && err.contains("RENDA_SESSION_HOURS") && err.contains("session_secret"),
        "{err}"
    );
    // serve refuses to start without secrets: only demo mode has defaults.
    let (code, _, err) = renda(&dir, &["serve"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("缺少密钥"));
}

#[test]
fn demo_serves_and_the_tools_work_on_its_data() {
    let dir = temp("demo");
    let mut child = KillOnDrop(
        Command::new(BIN)
            .args([
                "--data-dir",
                dir.to_str().unwrap(),
                "--config",
                "/nonexistent/renda.toml",
                "demo",
                "--listen",
                "127.0.0.1:0",
                "--demo-password",
                "demo2026pw",
            ])
            .env_remove("DATABASE_URL")
            .env("RENDA_PASSWORD_MEMORY_KIB", "64")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let addr = loop {
        let line = lines.next().expect("demo prints its address").unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("renda 已启动：http://") {
            break rest.trim_end_matches('/').to_string();
        }
    };
    for user in ["admin", "staff", "leader", "deputy", "unit", "keeper"] {
        assert!(printed.iter().any(|l| l.trim_start().starts_with(user)), "{user} listed: {printed:?}");
    }
    assert!(printed.iter().any(|l| l.contains("demo2026pw")));
    assert!(http_get(&addr, "/healthz").ends_with("ok"));
    let home = http_get(&addr, "/");
    assert!(home.contains("诸城市人民代表大会常务委员会"));
    // A second server on the same data directory is refused.
    let (code, _, err) = renda(&dir, &["demo", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 1);
    assert!(err.contains("正被另一个 renda 进程使用"), "{err}");
    // Online backup while the server runs.
    let backup = dir.with_extension("backup.db");
    let _ = std::fs::remove_file(&backup);
    let (code, out, err) = renda(&dir, &["backup", backup.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    // restore is refused while the server holds the directory.
    let (code, _, err) = renda(&dir, &["restore", backup.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    // A token for an account, printed on the last line, works against the running server.
    let (code, out, err) = renda(&dir, &["token", "create", "--user", "staff", "--scope", "read"]);
    assert_eq!(code, 0, "{err}");
    let token = out.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("rnd_"));
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(s, "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut me = String::new();
    s.read_to_string(&mut me).unwrap();
    assert!(me.contains("\"username\":\"staff\""), "{me}");
    let (code, _, err) = renda(&dir, &["token", "create", "--user", "nobody"]);
    assert_eq!(code, 1);
    assert!(err.contains("不存在"));
    // Roster export and re-import from the command line, while the server runs.
    let roster = dir.with_extension("roster.xlsx");
    let (code, out, err) = renda(&dir, &["export", "deputies", roster.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = renda(&dir, &["import", "deputies", roster.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("新增 0 人，更新 0 人"), "{out}");
    // --dry-run: what a changed file would do, nothing written.
    let full = dir.with_extension("full.xlsx");
    let (code, out, err) = renda(&dir, &["export", "deputies", full.to_str().unwrap(), "--with-personal-data"]);
    assert_eq!(code, 0, "{out}{err}");
    let mut changed = renda::registry::roster::parse(&std::fs::read(&full).unwrap()).unwrap();
    changed[0].work_unit = "试运行单位".into();
    let edited = dir.with_extension("edited.xlsx");
    std::fs::write(&edited, renda::registry::roster::write(&changed)).unwrap();
    let (code, out, err) = renda(&dir, &["import", "deputies", edited.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("第 2 行") && out.contains("修改 工作单位及职务"), "{out}");
    assert!(out.contains("未写入") && out.contains("修改 1 人"), "{out}");
    // The daily appointment reminders run as of a given time (the demo holds bookings).
    let (code, out, err) = renda(&dir, &["jobs", "run", "appointment-reminders", "--now", "2026-12-08T09:00:00+08:00"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("appointment-reminders 已完成"), "{out}");
    // A bad file: non-zero exit and the row-by-row report, nothing written.
    let mut rows = renda::registry::roster::parse(&std::fs::read(&roster).unwrap()).unwrap();
    rows.truncate(3);
    rows[1].id = Some(99_999_999);
    rows[2].township = "不存在镇".into();
    let bad = dir.with_extension("bad.xlsx");
    std::fs::write(&bad, renda::registry::roster::write(&rows)).unwrap();
    let (code, _, err) = renda(&dir, &["import", "deputies", bad.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("第 3 行「编号」") && err.contains("第 4 行「所在镇街」"), "{err}");
    // Graceful stop on SIGTERM.
    unsafe_kill(child.0.id());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "{status:?}");

    // The chain verifies; after restoring the backup the token created later is gone.
    let (code, out, _) = renda(&dir, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
    // The webhook outbox runs as of a given time, like every job.
    let (code, out, err) = renda(&dir, &["jobs", "run", "webhook-deliver", "--now", "2026-12-08T09:00:00+08:00"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("任务 webhook-deliver 已完成"), "{out}");
    let (code, out, err) = renda(&dir, &["restore", backup.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("审计链"));
    let (code, out, _) = renda(&dir, &["audit", "verify"]);
    assert_eq!(code, 0);
    let entries_after_restore: i64 = out.split("共 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    let mut s = std::fs::read(dir.join("renda.db")).unwrap();
    s.truncate(16);
    assert_eq!(s, b"SQLite format 3\0");
    assert!(entries_after_restore >= 40);
    // MTG-5: `audit verify` recounts every closed ballot; a vote altered in the file is found.
    assert!(out.contains("投票重新计票一致"), "{out}");
    let status = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3; c=sqlite3.connect('{}'); c.execute(\"UPDATE ballot_votes SET option = CASE option WHEN 'yes' THEN 'no' ELSE 'yes' END \
             WHERE id = (SELECT min(v.id) FROM ballot_votes v JOIN ballots b ON b.id = v.ballot_id WHERE b.state = 'closed' AND b.vote_kind = 'motion')\"); c.commit()",
            dir.join("renda.db").display()
        ))
        .status();
    if status.map(|s| s.success()).unwrap_or(false) {
        let (code, _, err) = renda(&dir, &["audit", "verify"]);
        assert_eq!(code, 3, "{err}");
        assert!(err.contains("投票校验失败") && err.contains("改动"), "{err}");
    }

    // Tampering with the file is caught by `audit verify` with a non-zero exit.
    let (code, _, _) = renda(&dir, &["token", "create", "--user", "admin"]);
    assert_eq!(code, 0);
    let status = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3; c=sqlite3.connect('{}'); c.execute(\"UPDATE audit_log SET summary='x' WHERE seq=3\"); c.commit()",
            dir.join("renda.db").display()
        ))
        .status();
    if status.map(|s| s.success()).unwrap_or(false) {
        let (code, _, err) = renda(&dir, &["audit", "verify"]);
        assert_eq!(code, 3);
        assert!(err.contains("#3"), "{err}");
    }
    // A file that is not a backup is refused, and the data is untouched.
    let junk = dir.with_extension("junk");
    std::fs::write(&junk, b"not a database").unwrap();
    let (code, _, err) = renda(&dir, &["restore", junk.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(dir.join("renda.db").exists());
}

/// Stops the demo server when the test ends, even when an assertion failed first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn unsafe_kill(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

/// Starts the demo on `dir` and returns the child and its address.
fn start_demo(dir: &Path) -> (KillOnDrop, String) {
    let mut child = KillOnDrop(
        Command::new(BIN)
            .args(["--data-dir", dir.to_str().unwrap(), "--config", "/nonexistent/renda.toml", "demo"])
            .args(["--listen", "127.0.0.1:0", "--demo-password", "demo2026pw"])
            .env_remove("DATABASE_URL")
            .env("RENDA_PASSWORD_MEMORY_KIB", "64")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("demo prints its address").unwrap();
        if let Some(rest) = line.strip_prefix("renda 已启动：http://") {
            break rest.trim_end_matches('/').to_string();
        }
    };
    // Keep reading its output so the pipe never fills.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// One submission on someone's behalf; the tracking number when the server acknowledged it.
fn submit(addr: &str, token: &str, n: usize) -> Option<String> {
    let body = format!("{{\"content\":\"第{n}号压力测试：小区东门路灯不亮，夜间出行不便，请尽快修复。\"}}");
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST /api/v1/opinions HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    if !out.starts_with("HTTP/1.1 201") {
        return None;
    }
    let i = out.find("\"tracking_no\":\"")? + "\"tracking_no\":\"".len();
    Some(out[i..].split('"').next()?.to_string())
}

/// PLAT-23: kill the server (SIGKILL) in the middle of a stream of submissions; after the
/// restart every submission that got a tracking number is there. Sixteen clients at once, so
/// the writer groups their submissions into shared commits (issue 21): a number is given only
/// after the commit that holds it.
#[test]
fn no_acknowledged_submission_is_lost_when_the_process_is_killed() {
    let dir = temp("sigkill");
    let (mut child, addr) = start_demo(&dir);
    let (code, out, err) = renda(&dir, &["token", "create", "--user", "staff", "--scope", "write"]);
    assert_eq!(code, 0, "{err}");
    let token = out.split_whitespace().find(|w| w.starts_with("rnd_")).expect("a token is printed").to_string();

    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    const CLIENTS: usize = 16;
    let workers: Vec<_> = (0..CLIENTS)
        .map(|w| {
            let (addr, token, acked, stop) = (addr.clone(), token.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = w;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match submit(&addr, &token, n) {
                        Some(no) => acked.lock().unwrap().push(no),
                        None if stop.load(std::sync::atomic::Ordering::Relaxed) => break,
                        None => std::thread::sleep(std::time::Duration::from_millis(5)),
                    }
                    n += CLIENTS;
                }
            })
        })
        .collect();
    // Let the stream run, then kill without warning while it still runs.
    let started = std::time::Instant::now();
    while acked.lock().unwrap().len() < 150 && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 150, "the stream ran: {} acknowledged", acked.len());

    // Restarted, the server answers, and every acknowledged number is stored.
    let (_child, addr) = start_demo(&dir);
    assert!(http_get(&addr, "/healthz").ends_with("ok"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stored: std::collections::HashSet<String> = rt.block_on(async {
        let url = format!("sqlite://{}?mode=ro", dir.join("renda.db").display());
        let db = sea_orm::Database::connect(url).await.unwrap();
        renda::db::query_rows(&db, "SELECT tracking_no FROM opinions", vec![])
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect()
    });
    let lost: Vec<&String> = acked.iter().filter(|no| !stored.contains(*no)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged submissions lost: {lost:?}", lost.len(), acked.len());
}
