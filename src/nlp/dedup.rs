//! Near-duplicate texts ("the same complaint sent ten times"): MinHash signatures of
//! character 3-shingles estimate the Jaccard similarity of two texts, and a [`NearIndex`]
//! finds the similar ones among many by locality-sensitive hashing (32 bands of 4).
//!
//! Only letters and digits count (after [`segment::fold_char`]), so punctuation, spacing,
//! case and full-width forms do not make two copies differ.

use std::collections::{HashMap, HashSet};

use super::hash::{fnv, fnv_start, mix};
use super::segment;

/// Hash functions in a signature.
pub const SIGNATURE_LEN: usize = 128;
/// Characters in a shingle.
const SHINGLE: usize = 3;
/// Signature rows per LSH band (`SIGNATURE_LEN / BAND` bands).
const BAND: usize = 4;
/// A similarity from which two messages are worth showing as probably the same.
pub const DEFAULT_THRESHOLD: f32 = 0.6;

/// A text's MinHash signature: small, fixed size, comparable with [`similarity`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    signature: Box<[u32; SIGNATURE_LEN]>,
    empty: bool,
}

impl Fingerprint {
    /// The signature as bytes (little-endian), to store next to the text.
    pub fn to_bytes(&self) -> Vec<u8> {
        if self.empty {
            return Vec::new();
        }
        self.signature.iter().flat_map(|h| h.to_le_bytes()).collect()
    }

    /// Reads back [`Fingerprint::to_bytes`]; `None` if the length is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Option<Fingerprint> {
        if bytes.is_empty() {
            return Some(Fingerprint { signature: Box::new([u32::MAX; SIGNATURE_LEN]), empty: true });
        }
        if bytes.len() != SIGNATURE_LEN * 4 {
            return None;
        }
        let mut signature = Box::new([0u32; SIGNATURE_LEN]);
        for (h, b) in signature.iter_mut().zip(bytes.chunks_exact(4)) {
            *h = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        Some(Fingerprint { signature, empty: false })
    }
}

/// The multipliers and offsets of the hash functions: fixed, so fingerprints are
/// comparable across runs and machines.
fn params() -> &'static [(u64, u64); SIGNATURE_LEN] {
    static P: std::sync::LazyLock<[(u64, u64); SIGNATURE_LEN]> = std::sync::LazyLock::new(|| {
        let mut p = [(0, 0); SIGNATURE_LEN];
        for (i, slot) in p.iter_mut().enumerate() {
            let a = mix(0x6d69_6e68_6173_6800 + 2 * i as u64) | 1;
            let b = mix(0x6d69_6e68_6173_6801 + 2 * i as u64);
            *slot = (a, b);
        }
        p
    });
    &P
}

/// The MinHash signature of the text's character 3-shingles (the whole text if shorter).
pub fn fingerprint(text: &str) -> Fingerprint {
    let chars: Vec<char> = text.chars().map(segment::fold_char).filter(|c| c.is_alphanumeric()).collect();
    let mut signature = Box::new([u32::MAX; SIGNATURE_LEN]);
    if chars.is_empty() {
        return Fingerprint { signature, empty: true };
    }
    let mut seen = HashSet::new();
    let params = params();
    for gram in chars.windows(SHINGLE.min(chars.len())) {
        let v = mix(fnv(fnv_start(b's'), gram.iter().flat_map(|&c| (c as u32).to_le_bytes())));
        if !seen.insert(v) {
            continue;
        }
        for (slot, &(a, b)) in signature.iter_mut().zip(params) {
            let hv = (v.wrapping_mul(a).wrapping_add(b) >> 32) as u32;
            *slot = (*slot).min(hv);
        }
    }
    Fingerprint { signature, empty: false }
}

/// The estimated Jaccard similarity of the two texts' shingle sets, in [0, 1]; 0 when
/// either text has no letter or digit.
pub fn similarity(a: &Fingerprint, b: &Fingerprint) -> f32 {
    if a.empty || b.empty {
        return 0.0;
    }
    let same = a.signature.iter().zip(b.signature.iter()).filter(|(x, y)| x == y).count();
    same as f32 / SIGNATURE_LEN as f32
}

/// An in-memory index of fingerprints by id, for "which earlier messages is this one
/// probably a copy of?". Pairs of similarity 0.5 are found with probability ≈ 0.87, 0.6
/// with ≈ 0.99; below 0.4 most are missed (that is the point of the banding).
#[derive(Debug, Default)]
pub struct NearIndex {
    entries: Vec<Option<(i64, Fingerprint)>>,
    slot_of: HashMap<i64, usize>,
    buckets: HashMap<u64, Vec<u32>>,
}

fn band_keys(fp: &Fingerprint) -> impl Iterator<Item = u64> + '_ {
    fp.signature
        .chunks_exact(BAND)
        .enumerate()
        .map(|(band, rows)| rows.iter().fold(mix(band as u64 + 1), |h, &r| mix(h ^ r as u64)))
}

impl NearIndex {
    pub fn new() -> NearIndex {
        NearIndex::default()
    }

    /// Number of texts held.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// Adds (or replaces) the text under `id`.
    pub fn insert(&mut self, id: i64, text: &str) {
        self.insert_fingerprint(id, fingerprint(text));
    }

    /// Adds (or replaces) a fingerprint computed earlier under `id`.
    pub fn insert_fingerprint(&mut self, id: i64, fp: Fingerprint) {
        self.remove(id);
        if fp.empty {
            return;
        }
        let slot = self.entries.len();
        for key in band_keys(&fp) {
            self.buckets.entry(key).or_default().push(slot as u32);
        }
        self.entries.push(Some((id, fp)));
        self.slot_of.insert(id, slot);
    }

    /// Forgets the text under `id` (its slot stays as a tombstone until the index is rebuilt).
    pub fn remove(&mut self, id: i64) {
        if let Some(slot) = self.slot_of.remove(&id) {
            self.entries[slot] = None;
        }
    }

    /// The ids of the texts at least `threshold` similar to `text`, most similar first
    /// (ties by id), at most `limit`.
    pub fn query(&self, text: &str, threshold: f32, limit: usize) -> Vec<(i64, f32)> {
        self.query_fingerprint(&fingerprint(text), threshold, limit)
    }

    /// [`NearIndex::query`] for a fingerprint computed earlier.
    pub fn query_fingerprint(&self, fp: &Fingerprint, threshold: f32, limit: usize) -> Vec<(i64, f32)> {
        if fp.empty {
            return Vec::new();
        }
        let mut candidates: Vec<u32> =
            band_keys(fp).filter_map(|k| self.buckets.get(&k)).flat_map(|v| v.iter().copied()).collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut out: Vec<(i64, f32)> = candidates
            .into_iter()
            .filter_map(|slot| self.entries[slot as usize].as_ref())
            .map(|(id, other)| (*id, similarity(fp, other)))
            .filter(|&(_, s)| s >= threshold)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(limit);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPLAINT: &str = "我们小区东门外的道路从去年开始施工，至今已经八个月没有完工，\
        路面坑洼不平，下雨天积水严重，老人小孩出行非常不便，晚上也没有路灯，\
        多次向街道反映都没有结果，恳请有关部门督促施工单位尽快完工。";

    #[test]
    fn similarity_estimates_overlap() {
        let a = fingerprint(COMPLAINT);
        assert_eq!(similarity(&a, &fingerprint(COMPLAINT)), 1.0);
        // Punctuation, spaces and full-width forms do not count.
        assert_eq!(similarity(&fingerprint("Ａ市 路灯坏了！"), &fingerprint("a市路灯坏了")), 1.0);
        let edited = COMPLAINT.replace("八个月", "九个月").replace("恳请", "希望").replace("老人小孩", "老人和小孩");
        let s = similarity(&a, &fingerprint(&edited));
        assert!(s > 0.7 && s < 1.0, "{s}");
        let other = "学校食堂的饭菜质量很差，价格却很贵，学生们意见很大，希望教育局管一管。";
        assert!(similarity(&a, &fingerprint(other)) < 0.1);
        assert_eq!(similarity(&fingerprint("，。"), &fingerprint("，。")), 0.0);
        assert_eq!(Fingerprint::from_bytes(&a.to_bytes()), Some(a));
        assert_eq!(Fingerprint::from_bytes(&[1, 2, 3]), None);
    }

    #[test]
    fn index_finds_the_edited_copy_only() {
        let mut index = NearIndex::new();
        index.insert(1, COMPLAINT);
        index.insert(2, "学校食堂的饭菜质量很差，价格却很贵，学生们意见很大，希望教育局管一管。");
        index.insert(3, "公交车班次太少，早上等车要等半个小时，上班经常迟到，希望增加班次。");
        index.insert(4, "");
        assert_eq!(index.len(), 3);
        let edited = format!("{}谢谢！", COMPLAINT.replace("八个月", "快九个月了"));
        let found = index.query(&edited, DEFAULT_THRESHOLD, 10);
        assert_eq!(found.iter().map(|&(id, _)| id).collect::<Vec<_>>(), [1], "{found:?}");
        assert!(found[0].1 >= 0.7);
        assert!(index.query("农村低保评定不公平，村干部优亲厚友。", 0.3, 10).is_empty());
        index.remove(1);
        assert!(index.query(&edited, DEFAULT_THRESHOLD, 10).is_empty());
        index.insert(5, COMPLAINT);
        index.insert(6, COMPLAINT);
        assert_eq!(index.query(COMPLAINT, 0.9, 1), [(5, 1.0)]);
    }
}
