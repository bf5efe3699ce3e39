//! REG-14 micro-benchmark: nearest-station look-ups per second of `NearestIndex`, compute
//! only, beside a brute-force full scan (the baseline) measured in the same run.
//!
//!     cargo run --release --example nearest_bench -- [DATABASE_URL] [queries]
//!
//! With a database URL the stations' coordinates are read from it (e.g. one filled by
//! `renda gen`); without one, 200,000 clustered points inside China are made up.

use std::hint::black_box;
use std::time::Instant;

use renda::registry::geo::{NearestIndex, StationPoint, haversine_m};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// The k nearest by a full scan: every point's haversine distance, partial sort.
fn brute(points: &[StationPoint], lat: f64, lng: f64, k: usize) -> Vec<(i64, f64)> {
    let mut all: Vec<(f64, i64)> = points.iter().map(|p| (haversine_m(lat, lng, p.lat, p.lng), p.id)).collect();
    let k = k.min(all.len());
    all.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(k);
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.into_iter().map(|(d, id)| (id, d)).collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let queries: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let mut rng = Rng(0x6e65_6172);
    let points: Vec<StationPoint> = match args.get(1).filter(|a| !a.is_empty() && *a != "-") {
        Some(url) => {
            let db = renda::db::connect(url).await.expect("connect");
            let rows = renda::db::query_rows(
                &db,
                "SELECT id, lat, lng FROM stations WHERE lat IS NOT NULL AND lng IS NOT NULL",
                vec![],
            )
            .await
            .expect("read stations");
            rows.iter()
                .map(|r| StationPoint {
                    id: r.try_get_by_index(0).unwrap(),
                    lat: r.try_get_by_index(1).unwrap(),
                    lng: r.try_get_by_index(2).unwrap(),
                })
                .collect()
        }
        None => {
            let centres: Vec<(f64, f64)> =
                (0..2_800).map(|_| (rng.range(21.0, 47.0), rng.range(98.0, 126.0))).collect();
            (0..200_000)
                .map(|i| {
                    let c = centres[i % centres.len()];
                    StationPoint { id: i as i64 + 1, lat: c.0 + rng.range(-0.3, 0.3), lng: c.1 + rng.range(-0.3, 0.3) }
                })
                .collect()
        }
    };
    let n = points.len();
    let t = Instant::now();
    let index = NearestIndex::build(points.clone());
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    println!("stations: {n}; index build: {build_ms:.1} ms");
    // Query positions: anywhere in China's bounding box (many far from any station).
    let qs: Vec<(f64, f64)> = (0..queries).map(|_| (rng.range(18.0, 53.0), rng.range(73.0, 135.0))).collect();

    for k in [1usize, 10] {
        let t = Instant::now();
        let mut sink = 0usize;
        for (lat, lng) in &qs {
            sink += black_box(index.nearest(*lat, *lng, k)).len();
        }
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(sink, queries * k.min(n));
        let per_s = queries as f64 / secs;

        let brute_n = (queries / 500).clamp(20, 400);
        let t = Instant::now();
        for (lat, lng) in qs.iter().take(brute_n) {
            black_box(brute(&points, *lat, *lng, k));
        }
        let brute_per_s = brute_n as f64 / t.elapsed().as_secs_f64();
        // Exactness: the index gives the same ids and distances as the full scan.
        for (lat, lng) in qs.iter().take(brute_n) {
            let a: Vec<(i64, f64)> = index.nearest(*lat, *lng, k).iter().map(|(p, d)| (p.id, *d)).collect();
            let b = brute(&points, *lat, *lng, k);
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert!(x.0 == y.0 || (x.1 - y.1).abs() < 1e-6, "index {x:?} vs scan {y:?}");
            }
        }
        println!(
            "k={k:>2}: index {per_s:>10.0} look-ups/s ({:.2} µs each, one core) | full scan {brute_per_s:>7.1} /s ({:.2} ms each) | ratio {:.0}×",
            1e6 / per_s,
            1e3 / brute_per_s,
            per_s / brute_per_s
        );
    }
}
