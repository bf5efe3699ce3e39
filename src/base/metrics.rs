//! Prometheus counters kept in atomics; one process's view (each node is scraped).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub static REQUESTS_2XX: AtomicU64 = AtomicU64::new(0);
pub static REQUESTS_3XX: AtomicU64 = AtomicU64::new(0);
pub static REQUESTS_4XX: AtomicU64 = AtomicU64::new(0);
pub static REQUESTS_5XX: AtomicU64 = AtomicU64::new(0);
pub static JOBS_RUN: AtomicU64 = AtomicU64::new(0);
/// Latency histogram buckets in milliseconds.
pub const BUCKETS_MS: [u64; 8] = [1, 5, 10, 20, 50, 100, 500, 2000];
pub static LATENCY: [AtomicU64; 9] = [const { AtomicU64::new(0) }; 9];
pub static LATENCY_SUM_US: AtomicU64 = AtomicU64::new(0);

pub fn observe(status: u16, micros: u64) {
    match status {
        200..=299 => &REQUESTS_2XX,
        300..=399 => &REQUESTS_3XX,
        400..=499 => &REQUESTS_4XX,
        _ => &REQUESTS_5XX,
    }
    .fetch_add(1, Relaxed);
    let ms = micros / 1000;
    let slot = BUCKETS_MS.iter().position(|b| ms < *b).unwrap_or(BUCKETS_MS.len());
    LATENCY[slot].fetch_add(1, Relaxed);
    LATENCY_SUM_US.fetch_add(micros, Relaxed);
}

pub fn render() -> String {
    let mut out = String::new();
    out.push_str(
        "# HELP renda_http_requests_total HTTP responses by status class.\n# TYPE renda_http_requests_total counter\n",
    );
    for (class, c) in [("2xx", &REQUESTS_2XX), ("3xx", &REQUESTS_3XX), ("4xx", &REQUESTS_4XX), ("5xx", &REQUESTS_5XX)] {
        let _ = writeln!(out, "renda_http_requests_total{{class=\"{class}\"}} {}", c.load(Relaxed));
    }
    out.push_str("# HELP renda_http_request_duration_seconds Request latency.\n# TYPE renda_http_request_duration_seconds histogram\n");
    let mut cumulative = 0;
    for (i, b) in BUCKETS_MS.iter().enumerate() {
        cumulative += LATENCY[i].load(Relaxed);
        let _ =
            writeln!(out, "renda_http_request_duration_seconds_bucket{{le=\"{}\"}} {cumulative}", *b as f64 / 1000.0);
    }
    cumulative += LATENCY[BUCKETS_MS.len()].load(Relaxed);
    let _ = writeln!(out, "renda_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
    let _ = writeln!(out, "renda_http_request_duration_seconds_sum {}", LATENCY_SUM_US.load(Relaxed) as f64 / 1e6);
    let _ = writeln!(out, "renda_http_request_duration_seconds_count {cumulative}");
    out.push_str("# HELP renda_jobs_run_total Jobs run by this node.\n# TYPE renda_jobs_run_total counter\n");
    let _ = writeln!(out, "renda_jobs_run_total {}", JOBS_RUN.load(Relaxed));
    out
}
