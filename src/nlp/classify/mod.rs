//! Suggesting a label for a text — a category, a handling unit — learned from an organ's own
//! past decisions (PLAT-13). Trained in seconds, deterministic, bounded in memory:
//! sublinear TF-IDF over jieba words and character 2- and 3-grams (hashed, rare ones pruned,
//! capped) and a one-vs-rest linear SVM; scores are a softmax of the SVM margins.
//!
//! ```
//! use renda::nlp::classify::Model;
//! let examples = [("路灯坏了", "城乡建设"), ("学校收费", "教育文体")];
//! let model = Model::train(&examples);
//! assert!(!model.is_useful()); // far too few examples to suggest anything
//! ```

mod features;
mod linear;

use std::collections::BTreeMap;

pub use features::FeatureOptions;
use features::Vocabulary;
use linear::{Row, Weights};

/// Fewer training examples than this and the model suggests nothing ([`Model::is_useful`]).
pub const MIN_EXAMPLES: usize = 20;
/// The weight matrix (features × labels) is kept under this many entries (16 MB): with
/// many labels, fewer features are kept.
pub const MAX_WEIGHTS: usize = 4_000_000;
/// A label needs this many examples to count towards the two [`Model::is_useful`] asks for.
pub const MIN_PER_LABEL: usize = 3;

/// Which learner turns the vectors into weights.
#[derive(Clone, Debug, PartialEq)]
pub enum Learner {
    /// One-vs-rest linear SVM with cost `c`; `balanced` raises the cost of rare labels.
    LinearSvm { c: f32, balanced: bool },
    /// Multinomial naive Bayes with additive smoothing `alpha` (the baseline).
    NaiveBayes { alpha: f32 },
}

/// Everything [`Model::train_with`] can be told; [`Default`] is what [`Model::train`] uses.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    pub features: FeatureOptions,
    pub learner: Learner,
    /// Scores are `softmax(temperature · margin)` for the SVM (a fixed calibration).
    pub temperature: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            features: FeatureOptions::default(),
            learner: Learner::LinearSvm { c: 1.0, balanced: false },
            temperature: 5.0,
        }
    }
}

/// A trained classifier. Cheap to share (`Send + Sync`, read-only).
#[derive(Clone, Debug)]
pub struct Model {
    labels: Vec<String>,
    counts: Vec<usize>,
    options: TrainOptions,
    vocabulary: Vocabulary,
    weights: Weights,
}

impl Model {
    /// Trains on `(text, label)` pairs with the default options. Deterministic: the same
    /// examples in the same order give the same model.
    pub fn train(examples: &[(&str, &str)]) -> Model {
        Model::train_with(examples, &TrainOptions::default())
    }

    /// Trains with explicit options (features, learner).
    pub fn train_with(examples: &[(&str, &str)], options: &TrainOptions) -> Model {
        let docs: Vec<Vec<(u64, u32)>> =
            examples.iter().map(|(t, _)| features::extract(t, &options.features)).collect();
        Model::train_on_features(&docs, examples.iter().map(|(_, l)| *l), options)
    }

    fn train_on_features<'a>(
        docs: &[Vec<(u64, u32)>],
        labels: impl Iterator<Item = &'a str>,
        options: &TrainOptions,
    ) -> Model {
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        let raw: Vec<&str> = labels.collect();
        for l in &raw {
            names.insert(l, 0);
        }
        for (i, v) in names.values_mut().enumerate() {
            *v = i;
        }
        let y: Vec<usize> = raw.iter().map(|l| names[l]).collect();
        let mut counts = vec![0; names.len()];
        y.iter().for_each(|&k| counts[k] += 1);
        let max_features = options.features.max_features.min(MAX_WEIGHTS / names.len().max(1));
        let vocabulary = Vocabulary::build(docs, &options.features, max_features);
        let vectors: Vec<Vec<(u32, f32)>> = docs.iter().map(|d| vocabulary.vector(d)).collect();
        let rows: Vec<&Row> = vectors.iter().map(Vec::as_slice).collect();
        let (n, k) = (vocabulary.len(), names.len());
        let weights = match options.learner {
            Learner::LinearSvm { c, balanced } => linear::svm(&rows, &y, k, n, c as f64, balanced),
            Learner::NaiveBayes { alpha } => linear::naive_bayes(&rows, &y, k, n, alpha as f64),
        };
        Model {
            labels: names.into_keys().map(str::to_owned).collect(),
            counts,
            options: options.clone(),
            vocabulary,
            weights,
        }
    }

    /// The labels the model knows, sorted.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// How many training examples each label had, in the order of [`Model::labels`].
    pub fn label_counts(&self) -> &[usize] {
        &self.counts
    }

    /// Whether the model has enough to go on to be shown to anyone: at least
    /// [`MIN_EXAMPLES`] examples and two labels with [`MIN_PER_LABEL`] each.
    pub fn is_useful(&self) -> bool {
        self.counts.iter().sum::<usize>() >= MIN_EXAMPLES
            && self.counts.iter().filter(|&&c| c >= MIN_PER_LABEL).count() >= 2
    }

    /// Every label ranked for the text, best first, with a score in [0, 1] (the scores sum
    /// to 1; the SVM's are a fixed softmax of its margins, confidence-like, not
    /// probabilities). Empty when the model has fewer than two labels or the text has no
    /// feature the model knows.
    pub fn predict(&self, text: &str) -> Vec<(String, f32)> {
        self.rank(&features::extract(text, &self.options.features))
    }

    fn rank(&self, doc: &[(u64, u32)]) -> Vec<(String, f32)> {
        let row = self.vocabulary.vector(doc);
        if self.labels.len() < 2 || row.is_empty() {
            return Vec::new();
        }
        let margins = self.weights.scores(&row);
        let t = match self.options.learner {
            Learner::LinearSvm { .. } => self.options.temperature,
            Learner::NaiveBayes { .. } => 1.0,
        };
        let top = margins.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = margins.iter().map(|m| ((m - top) * t).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let mut out: Vec<(String, f32)> = self.labels.iter().cloned().zip(exp.iter().map(|e| e / sum)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Number of features kept.
    pub fn features(&self) -> usize {
        self.vocabulary.len()
    }

    /// Bytes the model holds, roughly (vocabulary table, idf, weights, labels).
    pub fn approx_bytes(&self) -> usize {
        self.vocabulary.approx_bytes()
            + (self.weights.w.capacity() + self.weights.bias.capacity()) * 4
            + self.labels.iter().map(|l| l.capacity() + 24).sum::<usize>()
    }
}

#[cfg(test)]
mod tests;
