//! The numbers of `renda gen`: a small deterministic generator (the same seed gives the same
//! data), shares of a total, and points kept inside China.

/// SplitMix64: small, fast, deterministic.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly bell-shaped offset in [-span, span] (sum of two uniforms).
    pub(super) fn offset(&mut self, span: f64) -> f64 {
        (self.unit() + self.unit() - 1.0) * span
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub(super) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Splits `total` into `parts` near-equal shares (the first ones get the remainder).
pub(super) fn split_even(total: usize, parts: usize) -> Vec<usize> {
    (0..parts).map(|i| total / parts + usize::from(i < total % parts)).collect()
}

/// Splits `total` by `weights` (largest remainder), each share at least `min`.
pub(super) fn split_weighted(total: u64, weights: &[u64], min: u64) -> Vec<u64> {
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<u64> = weights.iter().map(|w| (total * w / sum).max(min)).collect();
    let mut have: u64 = out.iter().sum();
    let mut i = weights.len();
    // Hand out what is left (or take back what minimums added) from the largest shares.
    while have < total {
        i = (i + weights.len() - 1) % weights.len();
        out[i] += 1;
        have += 1;
    }
    while have > total {
        let Some((j, _)) = out.iter().enumerate().filter(|(_, v)| **v > min).max_by_key(|(_, v)| **v) else {
            break;
        };
        out[j] -= 1;
        have -= 1;
    }
    out
}

/// A point kept inside China's bounding box.
pub(super) fn clamp_china(lat: f64, lng: f64) -> (f64, f64) {
    (lat.clamp(18.2, 52.8), lng.clamp(73.6, 134.7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_split_covers_everything() {
        let s = split_even(40_000, 2_800);
        assert_eq!(s.iter().sum::<usize>(), 40_000);
        assert!(s.iter().all(|v| (14..=15).contains(v)));
    }
}
