//! The draft parser (LEG-2) measured on real laws: every Markdown file of a folder (the
//! LawRefBook corpus) read by `renda::legislation::parse::parse`, and its articles checked
//! against an independent count — the lines that start with 「第…条」 followed by a space, read
//! with a separate numeral reader —, then the articles' order and gaps. Also: each version pair
//! of the same law matched (`matching::assign`), with how many articles kept an identity.
//!
//! ```sh
//! cargo run --release --example parse_laws -- /work/shared/data/cn-laws-lawrefbook
//! ```
//!
//! Prints the share of files whose articles are all recovered (count, order, no gaps), every
//! failure with its reason, the time to read the files and the time to parse them.

#![allow(clippy::collapsible_if)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use renda::legislation::matching;
use renda::legislation::parse::{self, Kind};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") && !p.ends_with("SOURCE.md") {
            out.push(p);
        }
    }
}

/// The independent count: lines starting 「第<numeral>条」 (optionally 之<numeral>) then a space,
/// full-width space or the end of the line, with the numeral read by a small reader of its own.
fn reference_articles(text: &str) -> Vec<(i64, i64)> {
    const DIGITS: &str = "零〇一二三四五六七八九";
    fn value(s: &str) -> Option<i64> {
        // 一百零一 = (1×100) + (0) + 1; 二十 = 2×10; 十五 = 10 + 5.
        let mut total = 0;
        let mut cur = 0;
        let mut any = false;
        for c in s.chars() {
            if let Some(d) = DIGITS.chars().position(|x| x == c) {
                cur = if d == 0 { 0 } else { d as i64 - 1 };
                any = true;
            } else {
                let unit = match c {
                    '十' => 10,
                    '百' => 100,
                    '千' => 1000,
                    _ => return None,
                };
                total += (if cur == 0 && unit == 10 && !any { 1 } else { cur }) * unit;
                cur = 0;
                any = true;
            }
        }
        Some(total + cur)
    }
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start_matches(['\u{200b}', '\u{feff}', ' ', '\u{3000}']);
        let Some(rest) = line.strip_prefix('第') else { continue };
        let Some(end) = rest.find('条') else { continue };
        let num = &rest[..end];
        if num.is_empty() || !num.chars().all(|c| DIGITS.contains(c) || "十百千".contains(c)) {
            continue;
        }
        let mut after = &rest[end + '条'.len_utf8()..];
        let mut sub = 0;
        if let Some(a) = after.strip_prefix('之') {
            let k =
                a.char_indices().find(|(_, c)| !DIGITS.contains(*c) && *c != '十').map(|(i, _)| i).unwrap_or(a.len());
            sub = value(&a[..k]).unwrap_or(-1);
            after = &a[k..];
        }
        if after.is_empty() || after.starts_with([' ', '\u{3000}']) {
            if let Some(v) = value(num) {
                out.push((v, sub));
            }
        }
    }
    out
}

struct Outcome {
    path: PathBuf,
    ok: bool,
    reason: String,
    articles: usize,
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/work/shared/data/cn-laws-lawrefbook".into());
    let mut paths = Vec::new();
    files(Path::new(&dir), &mut paths);
    let t = Instant::now();
    let texts: Vec<(PathBuf, String)> =
        paths.iter().filter_map(|p| std::fs::read_to_string(p).ok().map(|t| (p.clone(), t))).collect();
    let read_time = t.elapsed();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let mut parse_time = Duration::ZERO;
    let mut outcomes = Vec::new();
    let mut parsed_all = Vec::new();
    let mut totals = [0usize; 7];
    let mut other: Vec<(PathBuf, String)> = Vec::new();
    for (path, text) in &texts {
        let t = Instant::now();
        let p = parse::parse(text);
        parse_time += t.elapsed();
        let reference = reference_articles(text);
        let got: Vec<(i64, i64)> = p.articles().iter().map(|a| (a.ordinal, a.sub)).collect();
        for (k, n) in p.counts().iter().enumerate() {
            totals[k] += n;
        }
        let numbering: Vec<&str> = p
            .issues
            .iter()
            .filter(|i| {
                i.message.contains("缺少")
                    || i.message.contains("重复")
                    || i.message.contains("不能接在")
                    || i.message.contains("第一条应为")
            })
            .map(|i| i.message.as_str())
            .collect();
        // Issues of the article numbering itself (「第X条」 in the message's subject).
        let article_level: Vec<&str> = numbering
            .iter()
            .copied()
            .filter(|m| m.split('」').next().is_some_and(|n| n.ends_with('条') || n.contains("条之")))
            .collect();
        let other_levels: Vec<&str> = numbering.iter().copied().filter(|m| !article_level.contains(m)).collect();
        let (ok, reason) = if reference.is_empty() && got.is_empty() {
            (false, "no 第…条 lines at all (not articles: a decision numbered 一、二、 or an empty body)".to_string())
        } else if got != reference {
            let first = got.iter().zip(&reference).position(|(a, b)| a != b).unwrap_or(got.len().min(reference.len()));
            (
                false,
                format!(
                    "parser found {} articles, the line count {}; first difference at article #{} (parser {:?}, lines {:?})",
                    got.len(),
                    reference.len(),
                    first + 1,
                    got.get(first),
                    reference.get(first)
                ),
            )
        } else if !article_level.is_empty() {
            (false, format!("article numbering: {}", article_level.join("; ")))
        } else {
            (true, String::new())
        };
        if ok && !other_levels.is_empty() {
            other.push((path.clone(), other_levels.join("; ")));
        }
        outcomes.push(Outcome { path: path.clone(), ok, reason, articles: got.len() });
        parsed_all.push((path.clone(), p));
    }
    let ok = outcomes.iter().filter(|o| o.ok).count();
    println!("files: {}  ({:.1} MB)", outcomes.len(), bytes as f64 / 1e6);
    println!(
        "all articles recovered (count, order, no gaps): {ok} / {} = {:.1}%",
        outcomes.len(),
        100.0 * ok as f64 / outcomes.len() as f64
    );
    println!(
        "nodes: {}",
        Kind::ALL.iter().zip(totals).map(|(k, n)| format!("{} {n}", k.label())).collect::<Vec<_>>().join(", ")
    );
    println!("read: {:.3} s   parse: {:.3} s", read_time.as_secs_f64(), parse_time.as_secs_f64());
    let unrecognised: usize =
        parsed_all.iter().map(|(_, p)| p.issues.iter().filter(|i| i.message.contains("无法识别")).count()).sum();
    println!("lines reported unrecognised (kept out of the body, shown to staff): {unrecognised}");
    println!(
        "of these, files with no issue at any level (chapters, sections, items too): {} / {} = {:.1}%",
        ok - other.len(),
        outcomes.len(),
        100.0 * (ok - other.len()) as f64 / outcomes.len() as f64
    );
    println!("\nfailures:");
    for o in outcomes.iter().filter(|o| !o.ok) {
        let rel = o.path.strip_prefix(&dir).unwrap_or(&o.path);
        println!("- {} ({} articles): {}", rel.display(), o.articles, o.reason);
    }
    println!("\narticles all recovered, other levels reported:");
    for (path, m) in &other {
        let rel = path.strip_prefix(&dir).unwrap_or(path);
        println!("- {}: {m}", rel.display());
    }
    // Version pairs: the same name in two files.
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (path, _)) in parsed_all.iter().enumerate() {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let name = stem.split('(').next().unwrap_or(stem).to_string();
        by_name.entry(name).or_default().push(i);
    }
    println!("\nversion pairs (articles of the older text that keep an identity in the newer one):");
    let mut match_time = Duration::ZERO;
    for (name, idx) in by_name.iter().filter(|(_, v)| v.len() == 2) {
        let (a, b) = (&parsed_all[idx[0]].1, &parsed_all[idx[1]].1);
        let (fa, fb) = (a.flatten(), b.flatten());
        let ids: Vec<i64> = (0..fa.len() as i64).collect();
        let t = Instant::now();
        let got = matching::assign(&fa, &ids, &fb);
        let new_ids: Vec<i64> = got.iter().enumerate().map(|(i, g)| g.unwrap_or(1_000_000 + i as i64)).collect();
        let c = matching::compare(&fa, &ids, &fb, &new_ids);
        match_time += t.elapsed();
        let count = |ch: matching::Change| c.iter().filter(|x| x.change == ch).count();
        println!(
            "- {name}: {} → {} articles; kept {} (unchanged {}, renumbered {}, changed {}), added {}, removed {}, moved {}",
            a.articles().len(),
            b.articles().len(),
            c.iter().filter(|x| x.old_number.is_some() && x.new_number.is_some()).count(),
            count(matching::Change::Unchanged),
            count(matching::Change::Renumbered),
            count(matching::Change::Changed),
            count(matching::Change::Added),
            count(matching::Change::Removed),
            c.iter().filter(|x| x.moved).count(),
        );
    }
    println!("matching and compare of all pairs: {:.3} s", match_time.as_secs_f64());
}
