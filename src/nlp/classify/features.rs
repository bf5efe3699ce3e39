//! Text to sparse TF-IDF vectors: jieba words, optionally word bigrams, and character n-grams
//! over the words run together (robust where jieba cuts a phrase differently), hashed to
//! 64-bit keys (no strings kept), a vocabulary pruned by document frequency and capped.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::nlp::hash::{fnv, fnv_start, mix};
use crate::nlp::segment;

/// How a text becomes features.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureOptions {
    /// Pairs of neighbouring words (after stopwords are removed) besides the words.
    pub word_bigrams: bool,
    /// Character n-grams of these lengths over the words run together (`None` for none).
    pub char_ngrams: Option<(usize, usize)>,
    /// A feature seen in fewer training texts than this is dropped.
    pub min_df: u32,
    /// At most this many features are kept, the most frequent first (fewer when there are
    /// so many labels that the weights would pass [`super::MAX_WEIGHTS`]).
    pub max_features: usize,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        FeatureOptions { word_bigrams: false, char_ngrams: Some((2, 3)), min_df: 2, max_features: 200_000 }
    }
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv(fnv_start(0) ^ self.0, bytes.iter().copied());
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }
}

pub(super) type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;

/// The key of a string of one kind (`w` word, `c` character n-gram).
fn key(kind: u8, s: &str) -> u64 {
    fnv(fnv_start(kind), s.bytes())
}

/// The feature keys of a text with their counts, sorted by key.
pub(super) fn extract(text: &str, opts: &FeatureOptions) -> Vec<(u64, u32)> {
    let words = segment::tokens(text);
    let mut keys: Vec<u64> = words.iter().map(|w| key(b'w', w)).collect();
    if opts.word_bigrams {
        let unigrams = keys.len();
        for i in 1..unigrams {
            keys.push(mix(keys[i - 1].rotate_left(17) ^ keys[i] ^ 0xb16a));
        }
    }
    if let Some((lo, hi)) = opts.char_ngrams {
        let chars: Vec<char> = words.iter().flat_map(|w| w.chars()).collect();
        let mut buf = String::new();
        for n in lo.max(1)..=hi {
            for gram in chars.windows(n) {
                buf.clear();
                buf.extend(gram);
                keys.push(key(b'c', &buf));
            }
        }
    }
    keys.sort_unstable();
    let mut out: Vec<(u64, u32)> = Vec::with_capacity(keys.len());
    for k in keys {
        match out.last_mut() {
            Some((last, n)) if *last == k => *n += 1,
            _ => out.push((k, 1)),
        }
    }
    out
}

/// The kept features: key → column, and each column's inverse document frequency.
#[derive(Clone, Debug)]
pub(super) struct Vocabulary {
    pub ids: KeyMap<u32>,
    pub idf: Vec<f32>,
}

impl Vocabulary {
    /// Keeps the features in at least `min_df` documents, the `max_features` most frequent
    /// (ties by key, so the result does not depend on hash-map order).
    pub fn build(docs: &[Vec<(u64, u32)>], opts: &FeatureOptions, max_features: usize) -> Vocabulary {
        let mut df: KeyMap<u32> = KeyMap::default();
        for doc in docs {
            for &(k, _) in doc {
                *df.entry(k).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(u32, u64)> =
            df.into_iter().filter(|&(_, n)| n >= opts.min_df).map(|(k, n)| (n, k)).collect();
        kept.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        kept.truncate(max_features);
        let n = docs.len() as f32;
        let idf = kept.iter().map(|&(d, _)| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect();
        let ids = kept.iter().enumerate().map(|(i, &(_, k))| (k, i as u32)).collect();
        Vocabulary { ids, idf }
    }

    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// Sublinear TF-IDF (1 + ln tf) · idf, L2-normalised, sorted by column.
    pub fn vector(&self, doc: &[(u64, u32)]) -> Vec<(u32, f32)> {
        let mut v: Vec<(u32, f32)> = doc
            .iter()
            .filter_map(|&(k, tf)| self.ids.get(&k).map(|&i| (i, (1.0 + (tf as f32).ln()) * self.idf[i as usize])))
            .collect();
        v.sort_unstable_by_key(|&(i, _)| i);
        let norm = v.iter().map(|&(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|(_, x)| *x /= norm);
        }
        v
    }

    /// Bytes held, roughly: the hash table (key, id, control byte per slot) and the idf.
    pub fn approx_bytes(&self) -> usize {
        self.ids.capacity() * (8 + 4 + 1) + self.idf.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_count_words_and_bigrams() {
        let opts = FeatureOptions { word_bigrams: true, char_ngrams: None, min_df: 1, max_features: 100 };
        let f = extract("路灯 坏 路灯 坏", &opts);
        // Two words and two distinct bigrams (路灯→坏, 坏→路灯).
        assert_eq!(f.len(), 4);
        assert_eq!(f.iter().map(|&(_, n)| n).sum::<u32>(), 4 + 3);
        let vocab = Vocabulary::build(&[f.clone(), extract("路灯", &opts)], &opts, 100);
        let v = vocab.vector(&f);
        assert!((v.iter().map(|&(_, x)| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
        let pruned = Vocabulary::build(&[f, extract("路灯", &opts)], &FeatureOptions { min_df: 2, ..opts }, 100);
        assert_eq!(pruned.len(), 1);
    }
}
