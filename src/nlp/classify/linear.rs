//! The learners: one-vs-rest linear SVM (L2-regularised, squared hinge loss) by dual
//! coordinate descent as in LIBLINEAR (Hsieh et al., ICML 2008), and multinomial naive
//! Bayes as the baseline. Both give a weight per (feature, label) and a bias per label.

use crate::nlp::hash::mix;

/// Sparse rows: (column, value) sorted by column.
pub(super) type Row = [(u32, f32)];

/// Weights laid out feature-major (`w[f * labels + k]`) so that scoring a sparse text
/// touches one contiguous slice per feature.
#[derive(Clone, Debug)]
pub(super) struct Weights {
    pub labels: usize,
    pub w: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Weights {
    /// The decision value of every label for one row.
    pub fn scores(&self, row: &Row) -> Vec<f32> {
        let mut s = self.bias.clone();
        for &(f, x) in row {
            let start = f as usize * self.labels;
            for (sk, wk) in s.iter_mut().zip(&self.w[start..start + self.labels]) {
                *sk += wk * x;
            }
        }
        s
    }
}

/// A small deterministic generator (SplitMix64) for the visiting order.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        (mix(self.0) % n as u64) as usize
    }
}

/// Stop when the projected gradient spans less than this (LIBLINEAR's default).
const EPS: f64 = 0.1;
const MAX_ITER: usize = 200;

/// One binary squared-hinge SVM: `y[i]` is ±1, `cost[i]` the C of row `i`. Returns the
/// weights and the bias (a constant feature of value 1, regularised like the others).
fn binary_svm(rows: &[&Row], y: &[f64], cost: &[f64], n_features: usize, seed: u64) -> (Vec<f64>, f64) {
    let l = rows.len();
    let mut w = vec![0f64; n_features];
    let mut b = 0f64;
    let mut alpha = vec![0f64; l];
    let diag: Vec<f64> = cost.iter().map(|c| 0.5 / c).collect();
    let qd: Vec<f64> = rows
        .iter()
        .zip(&diag)
        .map(|(r, d)| 1.0 + d + r.iter().map(|&(_, x)| (x as f64).powi(2)).sum::<f64>())
        .collect();
    let mut index: Vec<usize> = (0..l).collect();
    let mut active = l;
    // No upper bound on alpha with the squared hinge, so only the lower bound shrinks.
    let mut pg_max_old = f64::INFINITY;
    let mut rng = Rng(seed);
    for _ in 0..MAX_ITER {
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        for i in 0..active {
            let j = i + rng.below(active - i);
            index.swap(i, j);
        }
        let mut s = 0;
        while s < active {
            let i = index[s];
            let row = rows[i];
            let wx = b + row.iter().map(|&(f, x)| w[f as usize] * x as f64).sum::<f64>();
            let g = y[i] * wx - 1.0 + diag[i] * alpha[i];
            let mut pg = g;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    // Shrinking: a bound variable unlikely to move leaves the active set.
                    active -= 1;
                    index.swap(s, active);
                    continue;
                }
                pg = g.min(0.0);
            }
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * y[i];
                for &(f, x) in row {
                    w[f as usize] += d * x as f64;
                }
                b += d;
            }
            s += 1;
        }
        if pg_max - pg_min <= EPS {
            if active == l {
                break;
            }
            active = l;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
    }
    (w, b)
}

/// One-vs-rest SVMs, label `k` against the others. With `balanced`, each side's C is
/// scaled by `n / (2 · its size)` so that a rare label is not drowned by the rest.
pub(super) fn svm(rows: &[&Row], y: &[usize], labels: usize, n_features: usize, c: f64, balanced: bool) -> Weights {
    let n = rows.len() as f64;
    let mut out = Weights { labels, w: vec![0.0; n_features * labels], bias: vec![0.0; labels] };
    for k in 0..labels {
        let pos = y.iter().filter(|&&l| l == k).count() as f64;
        let (c_pos, c_neg) =
            if balanced && pos > 0.0 && pos < n { (c * n / (2.0 * pos), c * n / (2.0 * (n - pos))) } else { (c, c) };
        let yk: Vec<f64> = y.iter().map(|&l| if l == k { 1.0 } else { -1.0 }).collect();
        let cost: Vec<f64> = y.iter().map(|&l| if l == k { c_pos } else { c_neg }).collect();
        let (w, b) = binary_svm(rows, &yk, &cost, n_features, 0x5eed ^ k as u64);
        for (f, wf) in w.iter().enumerate() {
            out.w[f * labels + k] = *wf as f32;
        }
        out.bias[k] = b as f32;
    }
    out
}

/// Multinomial naive Bayes on the same vectors: log P(label) and log P(feature | label)
/// with additive smoothing `alpha`.
pub(super) fn naive_bayes(rows: &[&Row], y: &[usize], labels: usize, n_features: usize, alpha: f64) -> Weights {
    let mut mass = vec![0f64; n_features * labels];
    let mut docs = vec![0usize; labels];
    for (row, &k) in rows.iter().zip(y) {
        docs[k] += 1;
        for &(f, x) in *row {
            mass[f as usize * labels + k] += x as f64;
        }
    }
    let mut totals = vec![0f64; labels];
    for f in 0..n_features {
        for k in 0..labels {
            totals[k] += mass[f * labels + k];
        }
    }
    let w = mass
        .iter()
        .enumerate()
        .map(|(i, m)| ((m + alpha) / (totals[i % labels] + alpha * n_features as f64)).ln() as f32)
        .collect();
    let n = rows.len() as f64;
    let bias = docs.iter().map(|&d| ((d as f64 + 1.0) / (n + labels as f64)).ln() as f32).collect();
    Weights { labels, w, bias }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svm_separates_two_clusters() {
        let a: Vec<(u32, f32)> = vec![(0, 1.0)];
        let b: Vec<(u32, f32)> = vec![(1, 1.0)];
        let rows: Vec<&Row> = vec![&a, &b, &a, &b];
        let w = svm(&rows, &[0, 1, 0, 1], 2, 2, 1.0, false);
        let (sa, sb) = (w.scores(&a), w.scores(&b));
        assert!(sa[0] > 0.0 && sa[1] < 0.0 && sb[1] > 0.0 && sb[0] < 0.0, "{sa:?} {sb:?}");
        let nb = naive_bayes(&rows, &[0, 1, 0, 1], 2, 2, 1.0);
        assert!(nb.scores(&a)[0] > nb.scores(&a)[1]);
    }
}
