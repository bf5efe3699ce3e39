//! Geographic helpers for finding the nearest 人大代表联络站 (liaison station) and
//! handing its location to Chinese and international map apps.
//!
//! The spatial index is a k-d tree over 3-D unit vectors: chord length through the
//! sphere is monotone in great-circle distance, so the tree is exact everywhere
//! (poles and the antimeridian included) without any latitude-dependent special cases.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::f64::consts::PI;
use std::fmt::Write as _;

/// Mean Earth radius (IUGG) so distances agree with common GIS tooling.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Degrees to radians, spelled out so debug builds do not pay for a call.
const RAD: f64 = PI / 180.0;

/// Half of [`RAD`], for the half-angle terms of the haversine formula.
const HALF_RAD: f64 = PI / 360.0;

/// Leaves this small are scanned linearly because that beats further branching.
const LEAF_SIZE: usize = 8;

/// Caps heap preallocation so `limit = usize::MAX` radius queries do not allocate for every station.
const MAX_PREALLOC: usize = 256;

/// Relative slack on the chord bound so float rounding never prunes a tied or closer point.
const CHORD_REL_SLACK: f64 = 1e-9;

/// Absolute slack (unit-sphere chord, about 6 µm) for the same reason near zero distance.
const CHORD_ABS_SLACK: f64 = 1e-12;

/// Great-circle distance in metres between two WGS-84 points (haversine formula).
pub fn haversine_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let sin_half_dlat = ((lat2 - lat1) * HALF_RAD).sin();
    let sin_half_dlng = ((lng2 - lng1) * HALF_RAD).sin();
    let a = sin_half_dlat * sin_half_dlat + (lat1 * RAD).cos() * (lat2 * RAD).cos() * sin_half_dlng * sin_half_dlng;
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// A station reduced to what the nearest-station search needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StationPoint {
    pub id: i64,
    pub lat: f64,
    pub lng: f64,
}

/// Immutable k-d tree over unit vectors; rebuild it (cheaply) whenever stations change.
///
/// The tree is implicit: for a range `[lo, hi)` longer than a leaf, the node is the
/// median slot `lo + (hi - lo) / 2` and `axis[mid]` says which coordinate splits it.
#[derive(Clone, Debug, Default)]
pub struct NearestIndex {
    points: Vec<StationPoint>,
    xyz: Vec<[f64; 3]>,
    axis: Vec<u8>,
}

impl NearestIndex {
    /// Builds the index in O(n log n); points with invalid WGS-84 coordinates are dropped
    /// because no distance to them is meaningful.
    pub fn build(points: Vec<StationPoint>) -> NearestIndex {
        let mut entries: Vec<(StationPoint, [f64; 3])> =
            points.into_iter().filter(|p| valid_wgs84(p.lat, p.lng)).map(|p| (p, unit_vector(p.lat, p.lng))).collect();
        let mut axis = vec![0u8; entries.len()];
        build_range(&mut entries, &mut axis);
        let (points, xyz) = entries.into_iter().unzip();
        NearestIndex { points, xyz, axis }
    }

    /// Number of indexed (valid) stations.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when no station is indexed, so callers can answer "no station yet" early.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Up to `limit` stations closest to the query, by (distance, id) ascending;
    /// an invalid query position yields an empty list.
    pub fn nearest(&self, lat: f64, lng: f64, limit: usize) -> Vec<(StationPoint, f64)> {
        self.search(lat, lng, f64::INFINITY, limit)
    }

    /// Like [`NearestIndex::nearest`] but only stations at most `radius_m` metres away;
    /// a negative or NaN radius yields an empty list.
    pub fn within(&self, lat: f64, lng: f64, radius_m: f64, limit: usize) -> Vec<(StationPoint, f64)> {
        if radius_m.is_nan() || radius_m < 0.0 {
            return Vec::new();
        }
        self.search(lat, lng, radius_m, limit)
    }

    fn search(&self, lat: f64, lng: f64, radius_m: f64, limit: usize) -> Vec<(StationPoint, f64)> {
        if limit == 0 || self.is_empty() || !valid_wgs84(lat, lng) {
            return Vec::new();
        }
        let k = limit.min(self.len());
        let radius_chord = chord_bound(radius_m);
        let mut state = Search {
            lat,
            lng,
            q: unit_vector(lat, lng),
            k,
            radius_m,
            radius_chord,
            bound: radius_chord,
            heap: BinaryHeap::with_capacity(k.min(MAX_PREALLOC) + 1),
        };
        self.visit(0, self.len(), &mut state);
        state.heap.into_sorted_vec().into_iter().map(|c| (self.points[c.idx], c.dist)).collect()
    }

    fn visit(&self, lo: usize, hi: usize, s: &mut Search) {
        if hi - lo <= LEAF_SIZE {
            for i in lo..hi {
                self.consider(i, s);
            }
            return;
        }
        let mid = lo + (hi - lo) / 2;
        let a = usize::from(self.axis[mid]);
        let diff = s.q[a] - self.xyz[mid][a];
        let (near, far) = if diff < 0.0 { ((lo, mid), (mid + 1, hi)) } else { ((mid + 1, hi), (lo, mid)) };
        self.visit(near.0, near.1, s);
        self.consider(mid, s);
        if diff.abs() <= s.bound {
            self.visit(far.0, far.1, s);
        }
    }

    fn consider(&self, i: usize, s: &mut Search) {
        let v = self.xyz[i];
        let chord_sq = (v[0] - s.q[0]).powi(2) + (v[1] - s.q[1]).powi(2) + (v[2] - s.q[2]).powi(2);
        if chord_sq > s.bound * s.bound {
            return;
        }
        let p = self.points[i];
        let dist = haversine_m(s.lat, s.lng, p.lat, p.lng);
        if dist > s.radius_m {
            return;
        }
        let cand = Candidate { dist, id: p.id, idx: i };
        if s.heap.len() < s.k {
            s.heap.push(cand);
        } else if s.heap.peek().is_some_and(|top| cand < *top) {
            s.heap.pop();
            s.heap.push(cand);
        } else {
            return;
        }
        if s.heap.len() == s.k
            && let Some(top) = s.heap.peek()
        {
            s.bound = s.radius_chord.min(chord_bound(top.dist));
        }
    }
}

/// Per-query mutable state kept out of the shared index so queries can run concurrently.
struct Search {
    lat: f64,
    lng: f64,
    q: [f64; 3],
    k: usize,
    radius_m: f64,
    radius_chord: f64,
    bound: f64,
    heap: BinaryHeap<Candidate>,
}

/// Heap entry ordered by (distance, id, slot) so results are total and deterministic.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    dist: f64,
    id: i64,
    idx: usize,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist.total_cmp(&other.dist).then(self.id.cmp(&other.id)).then(self.idx.cmp(&other.idx))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

/// Recursively arranges `entries` into an implicit k-d tree split on the widest axis.
fn build_range(entries: &mut [(StationPoint, [f64; 3])], axis: &mut [u8]) {
    let n = entries.len();
    if n <= LEAF_SIZE {
        return;
    }
    let mut min = [f64::INFINITY; 3];
    let mut max = [f64::NEG_INFINITY; 3];
    for (_, v) in entries.iter() {
        for d in 0..3 {
            min[d] = min[d].min(v[d]);
            max[d] = max[d].max(v[d]);
        }
    }
    let a = (0..3).max_by(|&x, &y| (max[x] - min[x]).total_cmp(&(max[y] - min[y]))).unwrap_or(0);
    let mid = n / 2;
    entries.select_nth_unstable_by(mid, |x, y| x.1[a].total_cmp(&y.1[a]));
    axis[mid] = a as u8;
    let (left, rest) = entries.split_at_mut(mid);
    let (left_axis, rest_axis) = axis.split_at_mut(mid);
    build_range(left, left_axis);
    build_range(&mut rest[1..], &mut rest_axis[1..]);
}

/// Unit vector on the sphere; chord distance between these is monotone in arc length.
fn unit_vector(lat: f64, lng: f64) -> [f64; 3] {
    let (sin_lat, cos_lat) = lat.to_radians().sin_cos();
    let (sin_lng, cos_lng) = lng.to_radians().sin_cos();
    [cos_lat * cos_lng, cos_lat * sin_lng, sin_lat]
}

/// Unit-sphere chord for an arc of `dist_m`, padded so rounding can only widen the search.
fn chord_bound(dist_m: f64) -> f64 {
    if dist_m.is_infinite() || dist_m >= PI * EARTH_RADIUS_M {
        return f64::INFINITY;
    }
    let chord = 2.0 * (dist_m / EARTH_RADIUS_M / 2.0).sin();
    chord * (1.0 + CHORD_REL_SLACK) + CHORD_ABS_SLACK
}

/// True for finite WGS-84 coordinates in range; reject anything else before indexing or querying.
pub use crate::org::valid_wgs84;

/// Semi-major axis of Krasovsky 1940, the ellipsoid the GCJ-02 obfuscation is defined on.
const GCJ_A: f64 = 6_378_245.0;

/// First eccentricity squared of Krasovsky 1940.
const GCJ_EE: f64 = 0.006_693_421_622_965_943;

/// Rough mainland-China bounding box used by every public GCJ-02 implementation.
fn out_of_china(lat: f64, lng: f64) -> bool {
    !(72.004..=137.8347).contains(&lng) || !(0.8293..=55.8271).contains(&lat)
}

fn gcj_transform_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn gcj_transform_lng(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// Converts WGS-84 to GCJ-02 (public formula) because Chinese map apps expect the latter;
/// points outside mainland China are returned unchanged.
pub fn wgs84_to_gcj02(lat: f64, lng: f64) -> (f64, f64) {
    if !valid_wgs84(lat, lng) || out_of_china(lat, lng) {
        return (lat, lng);
    }
    let x = lng - 105.0;
    let y = lat - 35.0;
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - GCJ_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = gcj_transform_lat(x, y) * 180.0 / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let dlng = gcj_transform_lng(x, y) * 180.0 / (GCJ_A / sqrt_magic * rad_lat.cos() * PI);
    (lat + dlat, lng + dlng)
}

/// `x_pi` of the published BD-09 formulas (Baidu's own constant, not π × 3000 / 180 by accident).
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// GCJ-02 to WGS-84 by fixed-point iteration on the forward formula: the obfuscation has no
/// closed inverse, but it moves a point by at most a few hundred metres and varies slowly, so
/// a handful of steps reach millimetres.
pub fn gcj02_to_wgs84(lat: f64, lng: f64) -> (f64, f64) {
    if !valid_wgs84(lat, lng) || out_of_china(lat, lng) {
        return (lat, lng);
    }
    let (mut wlat, mut wlng) = (lat, lng);
    for _ in 0..30 {
        let (glat, glng) = wgs84_to_gcj02(wlat, wlng);
        let (dlat, dlng) = (glat - lat, glng - lng);
        wlat -= dlat;
        wlng -= dlng;
        if dlat.abs() < 1e-10 && dlng.abs() < 1e-10 {
            break;
        }
    }
    (wlat, wlng)
}

/// BD-09 (百度) to GCJ-02: Baidu's published inverse of its own shift.
pub fn bd09_to_gcj02(lat: f64, lng: f64) -> (f64, f64) {
    let (x, y) = (lng - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
    (z * theta.sin(), z * theta.cos())
}

/// GCJ-02 to BD-09, the forward shift (used to check the inverse).
pub fn gcj02_to_bd09(lat: f64, lng: f64) -> (f64, f64) {
    let z = (lng * lng + lat * lat).sqrt() + 0.00002 * (lat * BD_X_PI).sin();
    let theta = lat.atan2(lng) + 0.000003 * (lng * BD_X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// The datum coordinates were copied in: GPS and most international tools give WGS-84,
/// 高德 and 腾讯 pickers GCJ-02, 百度's BD-09. Stations store WGS-84.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Datum {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

impl Datum {
    pub const ALL: [Datum; 3] = [Datum::Wgs84, Datum::Gcj02, Datum::Bd09];

    pub fn parse(s: &str) -> Option<Datum> {
        match s {
            "wgs84" => Some(Datum::Wgs84),
            "gcj02" => Some(Datum::Gcj02),
            "bd09" => Some(Datum::Bd09),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
            Datum::Bd09 => "bd09",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS-84（GPS 原始坐标）",
            Datum::Gcj02 => "GCJ-02（高德、腾讯）",
            Datum::Bd09 => "BD-09（百度）",
        }
    }

    /// The same place in WGS-84.
    pub fn to_wgs84(self, lat: f64, lng: f64) -> (f64, f64) {
        match self {
            Datum::Wgs84 => (lat, lng),
            Datum::Gcj02 => gcj02_to_wgs84(lat, lng),
            Datum::Bd09 => {
                let (glat, glng) = bd09_to_gcj02(lat, lng);
                gcj02_to_wgs84(glat, glng)
            }
        }
    }
}

/// A coordinate pair pasted as one text, as map pickers give it: 高德 and 百度 write
/// "经度,纬度", 腾讯 "纬度,经度". In China the two ranges do not overlap (latitude below 56,
/// longitude above 72), so the order is read from the values. Returns (lat, lng).
pub fn parse_pair(text: &str) -> Option<(f64, f64)> {
    let parts: Vec<&str> = text.split([',', '，', ' ', ';', '；']).filter(|p| !p.is_empty()).collect();
    let [a, b] = parts.as_slice() else { return None };
    let (a, b) = (a.parse::<f64>().ok()?, b.parse::<f64>().ok()?);
    let lat_like = |v: f64| (0.8..=56.0).contains(&v);
    let lng_like = |v: f64| (72.0..=138.0).contains(&v);
    match (lat_like(a), lng_like(a), lat_like(b), lng_like(b)) {
        (_, true, true, _) => Some((b, a)),
        (true, _, _, true) => Some((a, b)),
        _ => None,
    }
}

/// Deep links that open a station in the common map apps, each in the datum it expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NavLinks {
    /// Amap (高德) marker; WGS-84 is passed with `coordinate=wgs84` so Amap converts it
    /// itself, avoiding a double GCJ-02 shift if its conversion ever differs from ours.
    pub amap: String,
    /// Baidu marker; `coord_type=wgs84` makes Baidu convert to its own BD-09.
    pub baidu: String,
    /// Apple Maps; in China it interprets `ll` as GCJ-02, so the converted position is used.
    pub apple: String,
    /// RFC 5870 `geo:` URI, WGS-84 by definition, for Android's app chooser.
    pub geo_uri: String,
}

/// Builds navigation links for a WGS-84 position labelled `name`.
pub fn navigation_links(lat: f64, lng: f64, name: &str) -> NavLinks {
    let name = percent_encode(name);
    let (glat, glng) = wgs84_to_gcj02(lat, lng);
    NavLinks {
        amap: format!(
            "https://uri.amap.com/marker?position={lng:.6},{lat:.6}&name={name}&coordinate=wgs84&callnative=1"
        ),
        baidu: format!(
            "https://api.map.baidu.com/marker?location={lat:.6},{lng:.6}&title={name}&content={name}&output=html&coord_type=wgs84&src=renda"
        ),
        apple: format!("https://maps.apple.com/?ll={glat:.6},{glng:.6}&q={name}"),
        geo_uri: format!("geo:{lat:.6},{lng:.6}?q={lat:.6},{lng:.6}({name})"),
    }
}

/// RFC 3986 percent-encoding of UTF-8 bytes, keeping only unreserved characters,
/// so names are safe in any query component.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type Hits = Vec<(StationPoint, f64)>;

    /// SplitMix64: tiny deterministic generator so the tests need no crates.
    struct SplitMix(u64);

    impl SplitMix {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }

        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.unit()
        }

        fn antimeridian_lng(&mut self) -> f64 {
            let off = self.range(0.0, 10.0);
            if self.next_u64() & 1 == 0 { 180.0 - off } else { -180.0 + off }
        }

        fn position(&mut self) -> (f64, f64) {
            match self.next_u64() % 20 {
                0..=13 => (self.range(18.0, 54.0), self.range(73.0, 135.0)),
                14 | 15 => (self.range(80.0, 90.0), self.range(-180.0, 180.0)),
                16 => (self.range(-90.0, -80.0), self.range(-180.0, 180.0)),
                17 | 18 => (self.range(-60.0, 60.0), self.antimeridian_lng()),
                _ => (self.range(-90.0, 90.0), self.range(-180.0, 180.0)),
            }
        }
    }

    fn dataset(n: usize, seed: u64) -> Vec<StationPoint> {
        let mut rng = SplitMix(seed);
        let mut pts: Vec<StationPoint> = Vec::with_capacity(n);
        for i in 0..n {
            let id = (i as i64) * 7 % (n as i64) + 1;
            let (lat, lng) = if i % 50 == 49 {
                let prev = pts[i - 1];
                (prev.lat, prev.lng)
            } else {
                rng.position()
            };
            pts.push(StationPoint { id, lat, lng });
        }
        let n = n as i64;
        pts.extend([
            StationPoint { id: n + 1, lat: 90.0, lng: 0.0 },
            StationPoint { id: n + 2, lat: 90.0, lng: 123.0 },
            StationPoint { id: n + 3, lat: -90.0, lng: 0.0 },
            StationPoint { id: n + 4, lat: 10.0, lng: 180.0 },
            StationPoint { id: n + 5, lat: 10.0, lng: -180.0 },
        ]);
        pts
    }

    fn brute(pts: &[StationPoint], lat: f64, lng: f64) -> Vec<(StationPoint, f64)> {
        let mut all: Vec<_> = pts.iter().map(|p| (*p, haversine_m(lat, lng, p.lat, p.lng))).collect();
        all.sort_by(sort_key);
        all
    }

    fn sort_key(a: &(StationPoint, f64), b: &(StationPoint, f64)) -> Ordering {
        a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id))
    }

    /// Exhaustive top-`limit` and within-`radius` in one pass, cheap enough for debug builds.
    fn brute_force(pts: &[StationPoint], lat: f64, lng: f64, limit: usize, radius: f64) -> (Hits, Hits) {
        let mut top: Vec<(StationPoint, f64)> = Vec::with_capacity(limit + 1);
        let mut inside = Vec::new();
        let mut worst = f64::INFINITY;
        for p in pts {
            let d = haversine_m(lat, lng, p.lat, p.lng);
            if d <= radius {
                inside.push((*p, d));
            }
            if d <= worst {
                let c = (*p, d);
                let at = top.partition_point(|t| sort_key(t, &c) == Ordering::Less);
                top.insert(at, c);
                top.truncate(limit);
                if top.len() == limit {
                    worst = top[limit - 1].1;
                }
            }
        }
        inside.sort_by(sort_key);
        (top, inside)
    }

    fn assert_same(got: &[(StationPoint, f64)], want: &[(StationPoint, f64)], ctx: &str) {
        assert_eq!(got.len(), want.len(), "length mismatch {ctx}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.0.id, w.0.id, "id mismatch {ctx}");
            assert_eq!(g.0, w.0, "point mismatch {ctx}");
            assert_eq!(g.1.to_bits(), w.1.to_bits(), "distance mismatch {ctx}");
        }
    }

    #[test]
    fn haversine_known_pair() {
        let d = haversine_m(39.9087, 116.3975, 31.2304, 121.4737);
        assert!((d - 1_067_000.0).abs() < 5_000.0, "Beijing–Shanghai was {d}");
    }

    #[test]
    fn haversine_zero_and_symmetric() {
        assert_eq!(haversine_m(39.9087, 116.3975, 39.9087, 116.3975), 0.0);
        assert!(haversine_m(-90.0, 10.0, -90.0, -170.0) < 1e-6);
        let mut rng = SplitMix(7);
        for _ in 0..1000 {
            let (a, b) = rng.position();
            let (c, d) = rng.position();
            let x = haversine_m(a, b, c, d);
            let y = haversine_m(c, d, a, b);
            assert!((x - y).abs() <= 1e-6, "{x} vs {y}");
        }
    }

    #[test]
    fn haversine_antipodal_and_antimeridian() {
        let half = PI * EARTH_RADIUS_M;
        assert!((haversine_m(0.0, 0.0, 0.0, 180.0) - half).abs() < 1e-6);
        assert!((haversine_m(90.0, 0.0, -90.0, 0.0) - half).abs() < 1e-6);
        let across = haversine_m(0.0, 179.9, 0.0, -179.9);
        assert!((across - 0.2f64.to_radians() * EARTH_RADIUS_M).abs() < 1e-3);
    }

    #[test]
    fn index_matches_brute_force() {
        let pts = dataset(20_000, 42);
        let index = NearestIndex::build(pts.clone());
        assert_eq!(index.len(), pts.len());
        let mut rng = SplitMix(99);
        for q in 0..500 {
            let (lat, lng) = if q % 10 == 0 {
                let p = pts[(rng.next_u64() % pts.len() as u64) as usize];
                (p.lat, p.lng)
            } else {
                rng.position()
            };
            let radius = rng.range(0.0, 200_000.0);
            let (top, inside) = brute_force(&pts, lat, lng, 20, radius);
            for limit in [1, 5, 20] {
                let got = index.nearest(lat, lng, limit);
                assert_same(&got, &top[..limit], &format!("nearest q{q} ({lat},{lng}) k={limit}"));
            }
            let got = index.within(lat, lng, radius, usize::MAX);
            assert_same(&got, &inside, &format!("within q{q} r={radius}"));
            let got = index.within(lat, lng, radius, 3);
            assert_same(&got, &inside[..inside.len().min(3)], &format!("within3 q{q}"));
        }
    }

    #[test]
    fn antimeridian_and_pole_neighbours() {
        let index = NearestIndex::build(vec![
            StationPoint { id: 1, lat: 0.0, lng: -179.99 },
            StationPoint { id: 2, lat: 0.0, lng: 179.0 },
            StationPoint { id: 3, lat: 89.99, lng: -90.0 },
            StationPoint { id: 4, lat: 89.0, lng: 90.0 },
        ]);
        assert_eq!(index.nearest(0.0, 179.99, 1)[0].0.id, 1);
        assert_eq!(index.nearest(89.99, 90.0, 1)[0].0.id, 3);
    }

    #[test]
    fn empty_and_degenerate_inputs() {
        let empty = NearestIndex::build(Vec::new());
        assert!(empty.is_empty());
        assert_eq!(empty.len(), 0);
        assert!(empty.nearest(39.9, 116.4, 10).is_empty());
        assert!(empty.within(39.9, 116.4, 1e9, 10).is_empty());

        let pts = dataset(100, 3);
        let index = NearestIndex::build(pts.clone());
        assert!(index.nearest(39.9, 116.4, 0).is_empty());
        assert!(index.within(39.9, 116.4, 1e6, 0).is_empty());
        assert!(index.within(39.9, 116.4, -1.0, 5).is_empty());
        assert!(index.within(39.9, 116.4, f64::NAN, 5).is_empty());
        assert!(index.nearest(f64::NAN, 116.4, 5).is_empty());
        assert!(index.nearest(91.0, 116.4, 5).is_empty());

        let all = index.nearest(39.9, 116.4, 10_000);
        assert_eq!(all.len(), pts.len());
        let want = brute(&pts, 39.9, 116.4);
        assert_same(&all, &want, "limit > len");
        assert_same(&index.within(39.9, 116.4, f64::INFINITY, usize::MAX), &want, "infinite radius");

        let invalid = NearestIndex::build(vec![
            StationPoint { id: 1, lat: f64::NAN, lng: 0.0 },
            StationPoint { id: 2, lat: 10.0, lng: 200.0 },
            StationPoint { id: 3, lat: 10.0, lng: 20.0 },
        ]);
        assert_eq!(invalid.len(), 1);
    }

    #[test]
    fn duplicate_coordinates_tie_by_id() {
        let pts: Vec<StationPoint> = [9, 3, 7, 1, 5]
            .into_iter()
            .map(|id| StationPoint { id, lat: 31.2304, lng: 121.4737 })
            .chain([StationPoint { id: 0, lat: 31.3, lng: 121.5 }])
            .collect();
        let index = NearestIndex::build(pts);
        let ids: Vec<i64> = index.nearest(31.2304, 121.4737, 3).iter().map(|r| r.0.id).collect();
        assert_eq!(ids, [1, 3, 5]);
        let ids: Vec<i64> = index.within(31.2304, 121.4737, 0.0, 10).iter().map(|r| r.0.id).collect();
        assert_eq!(ids, [1, 3, 5, 7, 9]);
        let last = index.nearest(31.2304, 121.4737, 6);
        assert_eq!(last[5].0.id, 0);
        assert!(last[..5].iter().all(|r| r.1 == 0.0));
    }

    #[test]
    fn index_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<NearestIndex>();
    }

    #[test]
    fn gcj02_offset_in_china_identity_outside() {
        let (lat, lng) = (39.9087, 116.3975);
        let (glat, glng) = wgs84_to_gcj02(lat, lng);
        let shift = haversine_m(lat, lng, glat, glng);
        assert!((100.0..700.0).contains(&shift), "shift was {shift} m");
        assert_eq!(wgs84_to_gcj02(51.5007, -0.1246), (51.5007, -0.1246));
        assert_eq!(wgs84_to_gcj02(35.6586, 139.7454), (35.6586, 139.7454));
        assert_eq!(wgs84_to_gcj02(-33.8568, 151.2153), (-33.8568, 151.2153));
    }

    /// Metres between two (lat, lng) pairs.
    fn apart(a: (f64, f64), b: (f64, f64)) -> f64 {
        haversine_m(a.0, a.1, b.0, b.1)
    }

    // Published pairs (wandergis/coordtransform, its test/app.js), written (lat, lng).
    const WGS: (f64, f64) = (39.915, 116.404);
    const WGS_AS_GCJ: (f64, f64) = (39.91640428150164, 116.41024449916938);
    const BD: (f64, f64) = (39.915, 116.404);
    const BD_AS_GCJ: (f64, f64) = (39.90865673957631, 116.39762729119315);
    const GCJ_AS_BD: (f64, f64) = (39.92133699351021, 116.41036949371029);

    #[test]
    fn gcj02_and_bd09_match_published_pairs() {
        assert!(apart(wgs84_to_gcj02(WGS.0, WGS.1), WGS_AS_GCJ) < 0.01);
        assert!(apart(bd09_to_gcj02(BD.0, BD.1), BD_AS_GCJ) < 0.01);
        assert!(apart(gcj02_to_bd09(BD.0, BD.1), GCJ_AS_BD) < 0.01);
        // The inverse of the published forward pair lands on the original WGS-84 point.
        let back = gcj02_to_wgs84(WGS_AS_GCJ.0, WGS_AS_GCJ.1);
        assert!(apart(back, WGS) < 0.01, "{back:?} is {} m off", apart(back, WGS));
        assert!(apart(Datum::Gcj02.to_wgs84(WGS_AS_GCJ.0, WGS_AS_GCJ.1), WGS) < 1.0);
        // Beijing railway station as pickers show it: GCJ-02 (39.90245, 116.42703), BD-09
        // (39.90851, 116.43351); five decimals are a metre.
        assert!(apart(bd09_to_gcj02(39.90851, 116.43351), (39.90245, 116.42703)) < 2.0);
    }

    #[test]
    fn bd09_to_wgs84_round_trips_within_a_metre() {
        let mut rng = SplitMix(11);
        for _ in 0..2000 {
            let wgs = (rng.range(18.0, 53.0), rng.range(74.0, 134.0));
            let gcj = wgs84_to_gcj02(wgs.0, wgs.1);
            let bd = gcj02_to_bd09(gcj.0, gcj.1);
            let back = Datum::Bd09.to_wgs84(bd.0, bd.1);
            assert!(apart(back, wgs) < 1.0, "{wgs:?} -> {back:?}");
            assert!(apart(Datum::Gcj02.to_wgs84(gcj.0, gcj.1), wgs) < 0.01);
        }
        // Outside China both are the identity, as everywhere GCJ-02 is.
        assert_eq!(Datum::Gcj02.to_wgs84(51.5007, -0.1246), (51.5007, -0.1246));
        assert_eq!(Datum::Wgs84.to_wgs84(35.99, 119.41), (35.99, 119.41));
    }

    #[test]
    fn datum_parses_its_own_names_only() {
        for d in Datum::ALL {
            assert_eq!(Datum::parse(d.as_str()), Some(d));
        }
        assert_eq!(Datum::parse("WGS84"), None);
        assert_eq!(Datum::parse(""), None);
    }

    #[test]
    fn pasted_pairs_in_either_order() {
        assert_eq!(parse_pair("119.416351,35.993834"), Some((35.993834, 119.416351)));
        assert_eq!(parse_pair("35.993834, 119.416351"), Some((35.993834, 119.416351)));
        assert_eq!(parse_pair("119.416351，35.993834"), Some((35.993834, 119.416351)));
        assert_eq!(parse_pair("119.4 35.9"), Some((35.9, 119.4)));
        assert_eq!(parse_pair("35.9"), None);
        assert_eq!(parse_pair("1,2"), None);
        assert_eq!(parse_pair("a,b"), None);
        assert_eq!(parse_pair("1,2,3"), None);
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(percent_encode("a b&c=d/e?"), "a%20b%26c%3Dd%2Fe%3F");
        assert_eq!(percent_encode("人"), "%E4%BA%BA");
    }

    #[test]
    fn navigation_links_contain_name_and_coordinates() {
        let links = navigation_links(39.9087, 116.3975, "人大 A&B");
        let name = "%E4%BA%BA%E5%A4%A7%20A%26B";
        assert_eq!(
            links.amap,
            format!(
                "https://uri.amap.com/marker?position=116.397500,39.908700&name={name}&coordinate=wgs84&callnative=1"
            )
        );
        assert_eq!(
            links.baidu,
            format!(
                "https://api.map.baidu.com/marker?location=39.908700,116.397500&title={name}&content={name}&output=html&coord_type=wgs84&src=renda"
            )
        );
        let (glat, glng) = wgs84_to_gcj02(39.9087, 116.3975);
        assert_eq!(links.apple, format!("https://maps.apple.com/?ll={glat:.6},{glng:.6}&q={name}"));
        assert!(!links.apple.contains("39.908700,116.397500"));
        assert_eq!(links.geo_uri, format!("geo:39.908700,116.397500?q=39.908700,116.397500({name})"));
    }
}
