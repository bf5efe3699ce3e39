//! Category suggestion (PLAT-13) measured on real messages: stratified k-fold
//! cross-validation of `renda::nlp::classify::Model` on the TipDM 2020 C labelled set,
//! against a naive Bayes and a majority-class baseline in the same run.
//!
//! ```sh
//! cargo run --release --example classify_eval -- \
//!     /work/shared/data/tipdm2020c-gov-messages/fj2_labeled_segmented_full.csv
//! ```
//!
//! The file has the columns `seg_text,一级标签`; the text goes through the same
//! `Model::train` / `Model::predict` the server uses. If `fj2_labeled_messages_subset921.csv`
//! lies next to it, a second figure trains on every row of the full file that does not match
//! one of its messages and tests on their raw text (留言主题 + 留言详情). A third figure keeps
//! near-duplicate messages (the same message sent again) in one fold, as cross-validation
//! that lets a copy sit in the training folds flatters the model.
//!
//! Options (for tuning; the defaults are `Model::train`'s): `--folds K` `--seed S` `--c C`
//! `--balanced` `--bigrams` `--no-bigrams` `--chars LO-HI` `--no-chars` `--min-df N` `--max-features N`
//! `--temperature T` `--nb-alpha A` `--no-baseline` `--no-grouped` `--no-raw`.

use std::collections::BTreeMap;
use std::time::Instant;

use renda::nlp::classify::{Learner, Model, TrainOptions};
use renda::nlp::dedup;

/// Rows of an RFC 4180 file (quoted fields may hold commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn read_table(path: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut rows = parse_csv(text.trim_start_matches('\u{feff}'));
    let header = rows.remove(0);
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

struct Args {
    path: String,
    folds: usize,
    seed: u64,
    options: TrainOptions,
    nb_alpha: f32,
    baseline: bool,
    grouped: bool,
    raw: bool,
}

fn args() -> Args {
    let mut a = Args {
        path: String::new(),
        folds: 5,
        seed: 20260101,
        options: TrainOptions::default(),
        nb_alpha: 0.01,
        baseline: true,
        grouped: true,
        raw: true,
    };
    let mut it = std::env::args().skip(1);
    let (mut c, mut balanced) = match a.options.learner {
        Learner::LinearSvm { c, balanced } => (c, balanced),
        Learner::NaiveBayes { .. } => (1.0, false),
    };
    while let Some(arg) = it.next() {
        let mut val = || it.next().expect("option needs a value");
        match arg.as_str() {
            "--folds" => a.folds = val().parse().unwrap(),
            "--seed" => a.seed = val().parse().unwrap(),
            "--c" => c = val().parse().unwrap(),
            "--balanced" => balanced = true,
            "--bigrams" => a.options.features.word_bigrams = true,
            "--no-bigrams" => a.options.features.word_bigrams = false,
            "--no-chars" => a.options.features.char_ngrams = None,
            "--chars" => {
                let v = val();
                let (lo, hi) = v.split_once('-').expect("--chars LO-HI");
                a.options.features.char_ngrams = Some((lo.parse().unwrap(), hi.parse().unwrap()));
            }
            "--min-df" => a.options.features.min_df = val().parse().unwrap(),
            "--max-features" => a.options.features.max_features = val().parse().unwrap(),
            "--temperature" => a.options.temperature = val().parse().unwrap(),
            "--nb-alpha" => a.nb_alpha = val().parse().unwrap(),
            "--no-baseline" => a.baseline = false,
            "--no-raw" => a.raw = false,
            "--no-grouped" => a.grouped = false,
            p if !p.starts_with("--") => a.path = p.to_owned(),
            other => panic!("unknown option {other}"),
        }
    }
    a.options.learner = Learner::LinearSvm { c, balanced };
    assert!(!a.path.is_empty(), "usage: classify_eval FILE.csv [options]");
    a
}

/// SplitMix64, for a shuffle that is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, (self.next() % (i as u64 + 1)) as usize);
        }
    }
}

/// Fold of each row: every label's rows shuffled, then dealt round-robin.
fn stratified_folds(labels: &[&str], k: usize, seed: u64) -> Vec<usize> {
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let mut rng = Rng(seed);
    let mut fold = vec![0; labels.len()];
    let mut dealt = 0;
    for rows in by_label.values_mut() {
        rng.shuffle(rows);
        for &i in rows.iter() {
            fold[i] = dealt % k;
            dealt += 1;
        }
    }
    fold
}

/// Fold of each row when the rows of a group (copies of one message) must share a fold:
/// the groups of each label (by their first row) shuffled, then dealt round-robin.
fn grouped_folds(labels: &[&str], group: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &g) in group.iter().enumerate() {
        members.entry(g).or_default().push(i);
    }
    let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (&g, rows) in &members {
        by_label.entry(labels[rows[0]]).or_default().push(g);
    }
    let mut rng = Rng(seed);
    let mut size = vec![0usize; k];
    let mut fold = vec![0; labels.len()];
    for groups in by_label.values_mut() {
        rng.shuffle(groups);
        for g in groups.iter() {
            // The smallest fold takes the next group (ties to the lowest index).
            let f = (0..k).min_by_key(|&f| (size[f], f)).unwrap();
            for &i in &members[g] {
                fold[i] = f;
            }
            size[f] += members[g].len();
        }
    }
    fold
}

/// Counts of (truth, prediction) over label names.
#[derive(Default)]
struct Confusion {
    cells: BTreeMap<(String, String), usize>,
    labels: Vec<String>,
}

impl Confusion {
    fn new(labels: &[&str]) -> Confusion {
        let mut l: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
        l.sort();
        l.dedup();
        Confusion { cells: BTreeMap::new(), labels: l }
    }
    fn add(&mut self, truth: &str, predicted: &str) {
        *self.cells.entry((truth.to_owned(), predicted.to_owned())).or_insert(0) += 1;
    }
    fn get(&self, t: &str, p: &str) -> usize {
        self.cells.get(&(t.to_owned(), p.to_owned())).copied().unwrap_or(0)
    }
    fn total(&self) -> usize {
        self.cells.values().sum()
    }
    fn accuracy(&self) -> f64 {
        self.labels.iter().map(|l| self.get(l, l)).sum::<usize>() as f64 / self.total().max(1) as f64
    }
    /// (precision, recall, F1, support) of a label.
    fn prf(&self, label: &str) -> (f64, f64, f64, usize) {
        let tp = self.get(label, label) as f64;
        let predicted: usize = self.cells.iter().filter(|((_, p), _)| p == label).map(|(_, n)| n).sum();
        let support: usize = self.cells.iter().filter(|((t, _), _)| t == label).map(|(_, n)| n).sum();
        let p = if predicted > 0 { tp / predicted as f64 } else { 0.0 };
        let r = if support > 0 { tp / support as f64 } else { 0.0 };
        let f = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        (p, r, f, support)
    }
    fn macro_f1(&self) -> f64 {
        self.labels.iter().map(|l| self.prf(l).2).sum::<f64>() / self.labels.len() as f64
    }
}

/// Top-score calibration: (score, correct) pairs.
#[derive(Default)]
struct Calibration(Vec<(f32, bool)>);

impl Calibration {
    /// Expected calibration error over 10 equal-width bins.
    fn ece(&self) -> f64 {
        let mut bins = [(0f64, 0f64, 0usize); 10];
        for &(s, ok) in &self.0 {
            let b = ((s * 10.0) as usize).min(9);
            bins[b].0 += s as f64;
            bins[b].1 += ok as u8 as f64;
            bins[b].2 += 1;
        }
        let n = self.0.len().max(1) as f64;
        bins.iter().filter(|b| b.2 > 0).map(|b| (b.0 - b.1).abs() / n).sum()
    }
    /// Share of texts whose top score is at least `t`, and the accuracy on them.
    fn above(&self, t: f32) -> (f64, f64) {
        let sel: Vec<bool> = self.0.iter().filter(|(s, _)| *s >= t).map(|(_, ok)| *ok).collect();
        let n = self.0.len().max(1) as f64;
        (sel.len() as f64 / n, sel.iter().filter(|&&ok| ok).count() as f64 / sel.len().max(1) as f64)
    }
}

struct Run {
    name: String,
    pooled: Confusion,
    fold_f1: Vec<f64>,
    fold_acc: Vec<f64>,
    train_s: Vec<f64>,
    predict_per_s: Vec<f64>,
    bytes: Vec<usize>,
    features: Vec<usize>,
    calibration: Calibration,
}

fn cross_validate(name: &str, texts: &[&str], labels: &[&str], fold: &[usize], k: usize, opts: &TrainOptions) -> Run {
    let mut run = Run {
        name: name.to_owned(),
        pooled: Confusion::new(labels),
        fold_f1: vec![],
        fold_acc: vec![],
        train_s: vec![],
        predict_per_s: vec![],
        bytes: vec![],
        features: vec![],
        calibration: Calibration::default(),
    };
    for f in 0..k {
        let train: Vec<(&str, &str)> =
            (0..texts.len()).filter(|&i| fold[i] != f).map(|i| (texts[i], labels[i])).collect();
        let test: Vec<usize> = (0..texts.len()).filter(|&i| fold[i] == f).collect();
        let t0 = Instant::now();
        let model = Model::train_with(&train, opts);
        let train_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let predictions: Vec<Vec<(String, f32)>> = test.iter().map(|&i| model.predict(texts[i])).collect();
        let predict_s = t1.elapsed().as_secs_f64();
        let mut conf = Confusion::new(labels);
        for (&i, ranked) in test.iter().zip(&predictions) {
            let (top, score) = ranked.first().map(|(l, s)| (l.as_str(), *s)).unwrap_or(("", 0.0));
            conf.add(labels[i], top);
            run.pooled.add(labels[i], top);
            run.calibration.0.push((score, top == labels[i]));
        }
        eprintln!(
            "  {name} fold {}: macro-F1 {:.4}, accuracy {:.4}, train {:.2} s, {} features",
            f + 1,
            conf.macro_f1(),
            conf.accuracy(),
            train_s,
            model.features()
        );
        run.fold_f1.push(conf.macro_f1());
        run.fold_acc.push(conf.accuracy());
        run.train_s.push(train_s);
        run.predict_per_s.push(test.len() as f64 / predict_s);
        run.bytes.push(model.approx_bytes());
        run.features.push(model.features());
    }
    run
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len().max(2) - 1) as f64;
    (m, var.sqrt())
}

fn report(run: &Run) {
    let (f1, sd) = mean_sd(&run.fold_f1);
    let (acc, acc_sd) = mean_sd(&run.fold_acc);
    let (tr, _) = mean_sd(&run.train_s);
    let (tp, _) = mean_sd(&run.predict_per_s);
    println!("\n## {}", run.name);
    println!("macro-F1 per fold: {}", run.fold_f1.iter().map(|f| format!("{f:.4}")).collect::<Vec<_>>().join(" "));
    println!("macro-F1 mean {f1:.4} ± {sd:.4} (sd over folds); pooled {:.4}", run.pooled.macro_f1());
    println!("accuracy mean {acc:.4} ± {acc_sd:.4}; pooled {:.4}", run.pooled.accuracy());
    println!(
        "training per fold: mean {tr:.2} s, max {:.2} s; prediction {tp:.0} texts/s (one thread, segmentation included)",
        run.train_s.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "model: up to {:.1} MB (approx), {} features",
        *run.bytes.iter().max().unwrap() as f64 / 1e6,
        run.features.iter().max().unwrap()
    );
    let (share, acc_hi) = run.calibration.above(0.5);
    println!(
        "top score: ECE {:.3}; {:.1} % of texts score ≥ 0.5, accuracy on them {:.4}",
        run.calibration.ece(),
        share * 100.0,
        acc_hi
    );
    println!("| label | precision | recall | F1 | support |");
    for l in &run.pooled.labels {
        let (p, r, f, s) = run.pooled.prf(l);
        println!("| {l} | {p:.4} | {r:.4} | {f:.4} | {s} |");
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1));
    kb.and_then(|k| k.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
}

/// Trains on the full file minus the rows matching a message of the raw held-out file,
/// tests on the raw text of those messages.
fn raw_holdout(raw_path: &str, texts: &[&str], labels: &[&str], opts: &TrainOptions) {
    let (header, rows) = read_table(raw_path);
    let (subject, detail, label) =
        (column(&header, "留言主题"), column(&header, "留言详情"), column(&header, "一级标签"));
    let raw: Vec<(String, &str)> =
        rows.iter().map(|r| (format!("{}\n{}", r[subject].trim(), r[detail].trim()), r[label].as_str())).collect();
    // The segmented file dropped stopwords and letters, so a copy is far from identical:
    // take the 20 rows nearest by MinHash, then the share of a row's distinct words found in
    // the raw text (near 1 for the row made from it). Rows at ≥ 0.8 are removed from training.
    let t0 = Instant::now();
    let full: Vec<dedup::Fingerprint> = texts.iter().map(|t| dedup::fingerprint(t)).collect();
    let mut overlapping = vec![false; texts.len()];
    let mut best_share = Vec::new();
    let mut label_agree = 0;
    for (text, l) in &raw {
        let fp = dedup::fingerprint(text);
        let mut near: Vec<(f32, usize)> =
            full.iter().enumerate().map(|(i, g)| (dedup::similarity(&fp, g), i)).collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let folded: String = text.chars().map(renda::nlp::segment::fold_char).collect();
        let mut best = (0.0, 0);
        for &(_, i) in near.iter().take(20) {
            let mut words: Vec<&str> = texts[i].split_whitespace().collect();
            words.sort_unstable();
            words.dedup();
            let found = words.iter().filter(|w| folded.contains(&w.to_lowercase())).count();
            let share = found as f64 / words.len().max(1) as f64;
            if share >= 0.8 {
                overlapping[i] = true;
            }
            if share > best.0 {
                best = (share, i);
            }
        }
        best_share.push(best.0);
        label_agree += (best.0 >= 0.8 && labels[best.1] == *l) as usize;
    }
    best_share.sort_by(f64::total_cmp);
    let q = |p: f64| best_share[((best_share.len() - 1) as f64 * p) as usize];
    let matched = best_share.iter().filter(|&&s| s >= 0.8).count();
    let removed = overlapping.iter().filter(|&&o| o).count();
    println!("\n## Raw-text hold-out ({} messages of {raw_path})", raw.len());
    println!(
        "matching: best word share min {:.2} / p1 {:.2} / p10 {:.2} / median {:.2}; {matched} messages matched (≥ 0.8), \
         {label_agree} of them with the same label; {removed} rows removed from training ({:.1} s)",
        q(0.0),
        q(0.01),
        q(0.1),
        q(0.5),
        t0.elapsed().as_secs_f64()
    );
    let train: Vec<(&str, &str)> =
        (0..texts.len()).filter(|&i| !overlapping[i]).map(|i| (texts[i], labels[i])).collect();
    let t1 = Instant::now();
    let model = Model::train_with(&train, opts);
    let train_s = t1.elapsed().as_secs_f64();
    let mut conf = Confusion::new(labels);
    for (text, l) in &raw {
        let ranked = model.predict(text);
        conf.add(l, ranked.first().map(|(p, _)| p.as_str()).unwrap_or(""));
    }
    println!(
        "trained on {} rows in {train_s:.2} s; on the raw text: macro-F1 {:.4}, accuracy {:.4}",
        train.len(),
        conf.macro_f1(),
        conf.accuracy()
    );
    for l in &conf.labels {
        let (p, r, f, s) = conf.prf(l);
        println!("| {l} | {p:.4} | {r:.4} | {f:.4} | {s} |");
    }
}

fn main() {
    let a = args();
    let (header, rows) = read_table(&a.path);
    let (text_col, label_col) = (column(&header, "seg_text"), column(&header, "一级标签"));
    let rows: Vec<&Vec<String>> = rows.iter().filter(|r| r.len() > text_col.max(label_col)).collect();
    let texts: Vec<&str> = rows.iter().map(|r| r[text_col].as_str()).collect();
    let labels: Vec<&str> = rows.iter().map(|r| r[label_col].as_str()).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    labels.iter().for_each(|l| *counts.entry(l).or_insert(0) += 1);
    println!(
        "# classify_eval — {} rows, {} labels, {}-fold stratified CV, seed {}",
        texts.len(),
        counts.len(),
        a.folds,
        a.seed
    );
    println!("labels: {counts:?}");
    println!("options: {:?}", a.options);
    let fold = stratified_folds(&labels, a.folds, a.seed);
    // Messages sent more than once make cross-validation optimistic: count them, and group
    // them (union of pairs at MinHash ≥ 0.8) for a second, grouped cross-validation.
    let t0 = Instant::now();
    let mut index = dedup::NearIndex::new();
    texts.iter().enumerate().for_each(|(i, t)| index.insert(i as i64, t));
    let mut group: Vec<usize> = (0..texts.len()).collect();
    fn root(g: &mut [usize], mut i: usize) -> usize {
        while g[i] != i {
            g[i] = g[g[i]];
            i = g[i];
        }
        i
    }
    let (mut with_copy, mut across_folds, mut other_label) = (0, 0, 0);
    for (i, t) in texts.iter().enumerate() {
        let copies: Vec<usize> = index.query(t, 0.8, 50).iter().map(|&(j, _)| j as usize).filter(|&j| j != i).collect();
        with_copy += !copies.is_empty() as usize;
        across_folds += copies.iter().any(|&j| fold[j] != fold[i]) as usize;
        other_label += copies.iter().any(|&j| labels[j] != labels[i]) as usize;
        for j in copies {
            let (a, b) = (root(&mut group, i), root(&mut group, j));
            group[a.max(b)] = a.min(b);
        }
    }
    let group: Vec<usize> = (0..texts.len()).map(|i| root(&mut group, i)).collect();
    println!(
        "near-duplicates (MinHash ≥ 0.8): {with_copy} rows have a copy in the file, {across_folds} of them in another \
         fold, {other_label} with a different label ({:.1} s)",
        t0.elapsed().as_secs_f64()
    );

    let svm = cross_validate("Model::train (TF-IDF + linear SVM)", &texts, &labels, &fold, a.folds, &a.options);
    report(&svm);
    if a.baseline {
        let nb_opts = TrainOptions { learner: Learner::NaiveBayes { alpha: a.nb_alpha }, ..a.options.clone() };
        let nb = cross_validate(
            &format!("baseline: multinomial naive Bayes (alpha {}) on the same features", a.nb_alpha),
            &texts,
            &labels,
            &fold,
            a.folds,
            &nb_opts,
        );
        report(&nb);
        let (majority, n) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
        let mut conf = Confusion::new(&labels);
        labels.iter().for_each(|l| conf.add(l, majority));
        println!("\n## baseline: majority class ({majority}, {n} rows)");
        println!("macro-F1 {:.4}, accuracy {:.4}", conf.macro_f1(), conf.accuracy());
        let (s, _) = mean_sd(&svm.fold_f1);
        let (b, _) = mean_sd(&nb.fold_f1);
        println!(
            "\nratio macro-F1 SVM / naive Bayes: {:.3}; SVM / majority: {:.2}",
            s / b,
            svm.pooled.macro_f1() / conf.macro_f1()
        );
    }
    if a.grouped {
        let grouped_fold = grouped_folds(&labels, &group, a.folds, a.seed);
        let run = cross_validate(
            "Model::train, near-duplicates kept in one fold (grouped CV)",
            &texts,
            &labels,
            &grouped_fold,
            a.folds,
            &a.options,
        );
        report(&run);
    }
    if a.raw {
        let raw = std::path::Path::new(&a.path).with_file_name("fj2_labeled_messages_subset921.csv");
        if raw.exists() {
            raw_holdout(raw.to_str().unwrap(), &texts, &labels, &a.options);
        }
    }
    println!("\npeak RSS (VmHWM) {:.0} MB", peak_rss_mb());
}
