//! Stable identities across readings (LEG-2): when a new version is imported, its articles are
//! matched to the previous version's by content, not by number — identical text first, then
//! character-bigram similarity (Dice) with a small preference for the same relative place — so
//! an article that moved from 第五条 to 第六条 keeps its identity, and the comments on it stay
//! on it. Chapters, sections and parts follow the articles they hold (and their titles); the
//! paragraphs, items and subitems of a matched article are matched among its own. Then the
//! compare: per article `added|removed|changed|renumbered|unchanged`, moves between chapters,
//! and the changed characters marked. Pure: no IO.

use std::collections::HashMap;

use serde::Serialize;

use super::parse::{Flat, Kind};
use crate::app::codes::code_enum;

/// Below this similarity two articles are different articles (one removed, one added).
pub const ARTICLE_THRESHOLD: f64 = 0.45;
/// Paragraphs, items and subitems within a matched article.
const CHILD_THRESHOLD: f64 = 0.5;
/// How much one whole text length of distance in place weighs against similarity.
const PLACE_WEIGHT: f64 = 0.2;

/// The text a node is compared by: its own text and all its descendants', without white space.
fn texts(flats: &[Flat]) -> Vec<String> {
    let mut out: Vec<String> = flats.iter().map(|f| format!("{}{}", f.heading, f.text)).collect();
    for i in (0..flats.len()).rev() {
        if let Some(p) = flats[i].parent {
            let child = std::mem::take(&mut out[i]);
            out[p].push_str(&child);
            out[i] = child;
        }
    }
    out.into_iter().map(|t| t.chars().filter(|c| !c.is_whitespace()).collect()).collect()
}

/// The sorted, deduplicated character bigrams of a text.
fn bigrams(s: &str) -> Vec<u64> {
    let cs: Vec<char> = s.chars().collect();
    let mut v: Vec<u64> = if cs.len() < 2 {
        cs.iter().map(|c| *c as u64).collect()
    } else {
        cs.windows(2).map(|w| ((w[0] as u64) << 32) | w[1] as u64).collect()
    };
    v.sort_unstable();
    v.dedup();
    v
}

/// Dice's coefficient of two bigram sets.
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// Similarity of two texts (Dice over character bigrams), for tests and reports.
pub fn similarity(a: &str, b: &str) -> f64 {
    dice(&bigrams(a), &bigrams(b))
}

/// Pairs candidates `old × new` greedily: identical text first (nearest place), then by
/// similarity at or above `threshold` less the distance in place.
fn pair(old: &[(usize, &str, f64)], new: &[(usize, &str, f64)], threshold: f64) -> Vec<(usize, usize)> {
    let mut taken_old = vec![false; old.len()];
    let mut taken_new = vec![false; new.len()];
    let mut out = Vec::new();
    let mut by_text: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, (_, t, _)) in old.iter().enumerate() {
        by_text.entry(t).or_default().push(k);
    }
    for (j, (_, t, place)) in new.iter().enumerate() {
        if let Some(cands) = by_text.get(t) {
            let best = cands
                .iter()
                .filter(|k| !taken_old[**k])
                .min_by(|a, b| (old[**a].2 - place).abs().total_cmp(&(old[**b].2 - place).abs()));
            if let Some(&k) = best {
                taken_old[k] = true;
                taken_new[j] = true;
                out.push((old[k].0, new[j].0));
            }
        }
    }
    let old_grams: Vec<(usize, Vec<u64>)> =
        old.iter().enumerate().filter(|(k, _)| !taken_old[*k]).map(|(k, (_, t, _))| (k, bigrams(t))).collect();
    let new_grams: Vec<(usize, Vec<u64>)> =
        new.iter().enumerate().filter(|(j, _)| !taken_new[*j]).map(|(j, (_, t, _))| (j, bigrams(t))).collect();
    let mut cands: Vec<(f64, usize, usize)> = Vec::new();
    for (k, a) in &old_grams {
        for (j, b) in &new_grams {
            let (x, y) = (a.len() as f64, b.len() as f64);
            // Dice cannot reach the threshold when one text is much longer than the other.
            if 2.0 * x.min(y) / (x + y).max(1.0) < threshold {
                continue;
            }
            let d = dice(a, b);
            if d >= threshold {
                cands.push((d - PLACE_WEIGHT * (old[*k].2 - new[*j].2).abs(), *k, *j));
            }
        }
    }
    cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, k, j) in cands {
        if !taken_old[k] && !taken_new[j] {
            taken_old[k] = true;
            taken_new[j] = true;
            out.push((old[k].0, new[j].0));
        }
    }
    out
}

/// Candidates as `pair` takes them.
fn view(v: &[(usize, String, f64)]) -> Vec<(usize, &str, f64)> {
    v.iter().map(|(i, t, p)| (*i, t.as_str(), *p)).collect()
}

/// The nearest ancestor of `i` of this kind.
fn ancestor(flats: &[Flat], i: usize, kind: Kind) -> Option<usize> {
    let mut at = flats[i].parent;
    while let Some(p) = at {
        if flats[p].kind == kind {
            return Some(p);
        }
        at = flats[p].parent;
    }
    None
}

/// Gives each node of the new version the identity (`old_ids`, one per old node) of the node
/// it continues, or `None` for a new one.
pub fn assign(old: &[Flat], old_ids: &[i64], new: &[Flat]) -> Vec<Option<i64>> {
    let old_texts = texts(old);
    let new_texts = texts(new);
    let mut out: Vec<Option<i64>> = vec![None; new.len()];
    let place = |flats: &[Flat], kind: Kind| -> Vec<usize> {
        (0..flats.len()).filter(|i| flats[*i].kind == kind).collect::<Vec<_>>()
    };
    // Articles.
    let oa = place(old, Kind::Article);
    let na = place(new, Kind::Article);
    let cand = |idx: &[usize], t: &[String]| -> Vec<(usize, String, f64)> {
        let n = idx.len().max(2) as f64 - 1.0;
        idx.iter().enumerate().map(|(k, i)| (*i, t[*i].clone(), k as f64 / n)).collect()
    };
    let (oc, nc) = (cand(&oa, &old_texts), cand(&na, &new_texts));
    let articles = pair(&view(&oc), &view(&nc), ARTICLE_THRESHOLD);
    for (o, n) in &articles {
        out[*n] = Some(old_ids[*o]);
    }
    // Containers: by the articles they hold, and their titles.
    for kind in [Kind::Part, Kind::Chapter, Kind::Section] {
        let mut votes: HashMap<(usize, usize), f64> = HashMap::new();
        for (o, n) in &articles {
            if let (Some(a), Some(b)) = (ancestor(old, *o, kind), ancestor(new, *n, kind)) {
                *votes.entry((a, b)).or_default() += 1.0;
            }
        }
        for a in place(old, kind) {
            for b in place(new, kind) {
                if !old[a].heading.is_empty() && old[a].heading == new[b].heading {
                    *votes.entry((a, b)).or_default() += 3.0;
                }
            }
        }
        let mut ranked: Vec<((usize, usize), f64)> = votes.into_iter().collect();
        ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let (mut used_a, mut used_b) = (Vec::new(), Vec::new());
        for ((a, b), _) in ranked {
            if !used_a.contains(&a) && !used_b.contains(&b) {
                used_a.push(a);
                used_b.push(b);
                out[b] = Some(old_ids[a]);
            }
        }
    }
    // What lies within a matched article.
    for (o, n) in &articles {
        for kind in [Kind::Paragraph, Kind::Item, Kind::Subitem] {
            let within = |flats: &[Flat], t: &[String], root: usize| -> Vec<(usize, String, f64)> {
                let idx: Vec<usize> = (root + 1..flats.len())
                    .take_while(|i| flats[*i].depth > flats[root].depth)
                    .filter(|i| flats[*i].kind == kind)
                    .collect();
                cand(&idx, t)
            };
            let (a, b) = (within(old, &old_texts, *o), within(new, &new_texts, *n));
            for (x, y) in pair(&view(&a), &view(&b), CHILD_THRESHOLD) {
                out[y] = Some(old_ids[x]);
            }
        }
    }
    out
}

code_enum! {
    /// What happened to an article between two versions.
    #[derive(schemars::JsonSchema)]
    pub enum Change {
        Added = ("added", "新增"),
        Removed = ("removed", "删除"),
        Changed = ("changed", "修改"),
        Renumbered = ("renumbered", "条号变化"),
        Unchanged = ("unchanged", "未变"),
    }
}

/// A piece of a character diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Piece {
    /// `same`, `added` or `removed`.
    pub op: &'static str,
    pub text: String,
}

/// The characters of `a` and `b` marked: common prefix and suffix first, then the longest
/// common subsequence of the middle (whole replacement beyond a few million cells).
pub fn diff(a: &str, b: &str) -> Vec<Piece> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..].iter().rev().zip(b[pre..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut ops: Vec<(&'static str, char)> = a[..pre].iter().map(|c| ("same", *c)).collect();
    if ma.len().saturating_mul(mb.len()) > 4_000_000 {
        ops.extend(ma.iter().map(|c| ("removed", *c)));
        ops.extend(mb.iter().map(|c| ("added", *c)));
    } else {
        let (n, m) = (ma.len(), mb.len());
        let mut t = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                t[i * (m + 1) + j] = if ma[i] == mb[j] {
                    t[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                ops.push(("same", ma[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1]) {
                ops.push(("removed", ma[i]));
                i += 1;
            } else {
                ops.push(("added", mb[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - suf..].iter().map(|c| ("same", *c)));
    let mut out: Vec<Piece> = Vec::new();
    for (op, c) in ops {
        match out.last_mut() {
            Some(p) if p.op == op => p.text.push(c),
            _ => out.push(Piece { op, text: c.to_string() }),
        }
    }
    out
}

/// One article of a compare.
#[derive(Clone, Debug, Serialize)]
pub struct ArticleChange {
    pub node_id: i64,
    pub change: Change,
    pub old_number: Option<String>,
    pub new_number: Option<String>,
    /// It now stands in another chapter (by the chapters' identities).
    pub moved: bool,
    pub old_chapter: Option<String>,
    pub new_chapter: Option<String>,
    pub old_text: String,
    pub new_text: String,
    /// The changed characters, for a changed article.
    pub diff: Vec<Piece>,
}

/// An article's text as readers see it: its paragraphs, items and subitems, one a line.
pub fn article_text(flats: &[Flat], i: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    for f in flats.iter().skip(i + 1).take_while(|f| f.depth > flats[i].depth) {
        if f.text.is_empty() {
            continue;
        }
        match f.kind {
            Kind::Item | Kind::Subitem => out.push(format!("{}{}", f.number, f.text)),
            _ => out.push(f.text.clone()),
        }
    }
    out.join("\n")
}

fn chapter_of(flats: &[Flat], ids: &[i64], i: usize) -> (Option<i64>, Option<String>) {
    match ancestor(flats, i, Kind::Chapter) {
        Some(c) => (Some(ids[c]), Some(format!("{} {}", flats[c].number, flats[c].heading).trim().to_string())),
        None => (None, None),
    }
}

/// Compares two versions article by article, in the order of the new version (removed ones
/// where they stood).
pub fn compare(old: &[Flat], old_ids: &[i64], new: &[Flat], new_ids: &[i64]) -> Vec<ArticleChange> {
    let old_at: HashMap<i64, usize> =
        (0..old.len()).filter(|i| old[*i].kind == Kind::Article).map(|i| (old_ids[i], i)).collect();
    let new_has: std::collections::HashSet<i64> =
        (0..new.len()).filter(|i| new[*i].kind == Kind::Article).map(|i| new_ids[i]).collect();
    let mut out = Vec::new();
    let removed_before = |out: &mut Vec<ArticleChange>, upto: usize, done: &mut usize| {
        while *done < upto {
            let i = *done;
            *done += 1;
            if old[i].kind == Kind::Article && !new_has.contains(&old_ids[i]) {
                let (_, chapter) = chapter_of(old, old_ids, i);
                out.push(ArticleChange {
                    node_id: old_ids[i],
                    change: Change::Removed,
                    old_number: Some(old[i].number.clone()),
                    new_number: None,
                    moved: false,
                    old_chapter: chapter,
                    new_chapter: None,
                    old_text: article_text(old, i),
                    new_text: String::new(),
                    diff: Vec::new(),
                });
            }
        }
    };
    let mut done = 0;
    for j in (0..new.len()).filter(|j| new[*j].kind == Kind::Article) {
        let (new_chapter_id, new_chapter) = chapter_of(new, new_ids, j);
        let new_text = article_text(new, j);
        match old_at.get(&new_ids[j]) {
            None => out.push(ArticleChange {
                node_id: new_ids[j],
                change: Change::Added,
                old_number: None,
                new_number: Some(new[j].number.clone()),
                moved: false,
                old_chapter: None,
                new_chapter,
                old_text: String::new(),
                new_text,
                diff: Vec::new(),
            }),
            Some(&i) => {
                removed_before(&mut out, i, &mut done);
                let (old_chapter_id, old_chapter) = chapter_of(old, old_ids, i);
                let old_text = article_text(old, i);
                let same_text = old_text == new_text && old[i].heading == new[j].heading;
                let change = if !same_text {
                    Change::Changed
                } else if old[i].number != new[j].number {
                    Change::Renumbered
                } else {
                    Change::Unchanged
                };
                let diff = if change == Change::Changed { diff(&old_text, &new_text) } else { Vec::new() };
                out.push(ArticleChange {
                    node_id: new_ids[j],
                    change,
                    old_number: Some(old[i].number.clone()),
                    new_number: Some(new[j].number.clone()),
                    moved: old_chapter_id.is_some() && new_chapter_id.is_some() && old_chapter_id != new_chapter_id,
                    old_chapter,
                    new_chapter,
                    old_text,
                    new_text,
                    diff,
                });
            }
        }
    }
    removed_before(&mut out, old.len(), &mut done);
    out
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    const V1: &str = "条例\n第一章 总则\n第一条 为了规范物业管理活动，维护业主和物业服务人的合法权益，制定本条例。\n\
        第二条 本条例适用于本市行政区域内的物业管理活动。\n\
        第三条 物业管理应当遵循业主自治、专业服务、依法管理的原则。\n\
        第二章 业主\n第四条 业主享有下列权利：\n（一）按照物业服务合同接受服务；\n（二）提议召开业主大会。\n\
        第五条 业主应当遵守管理规约和业主大会的决定。\n\
        第六条 本条例自公布之日起施行。\n";

    /// A second reading: an article inserted near the start, one changed, one moved to the
    /// first chapter, one removed.
    const V2: &str = "条例\n第一章 总则\n第一条 为了规范物业管理活动，维护业主和物业服务人的合法权益，制定本条例。\n\
        第二条 市人民政府应当加强对物业管理工作的领导。\n\
        第三条 本条例适用于本市行政区域内的物业管理活动。\n\
        第四条 物业管理应当遵循业主自治、专业服务、依法管理、公开透明的原则。\n\
        第五条 业主应当遵守管理规约和业主大会的决定。\n\
        第二章 业主\n第六条 业主享有下列权利：\n（一）按照物业服务合同接受服务；\n（二）提议召开业主大会。\n\
        第七条 本条例自2026年1月1日起施行。\n";

    fn ids_of(n: usize, from: i64) -> Vec<i64> {
        (0..n as i64).map(|k| from + k).collect()
    }

    #[test]
    fn articles_keep_their_identity_when_renumbered() {
        let (a, b) = (parse(V1).flatten(), parse(V2).flatten());
        let old_ids = ids_of(a.len(), 100);
        let got = assign(&a, &old_ids, &b);
        let id_of = |flats: &[Flat], ids: &[Option<i64>], number: &str| {
            let i = flats.iter().position(|f| f.kind == Kind::Article && f.number == number).unwrap();
            ids[i]
        };
        let old_some: Vec<Option<i64>> = old_ids.iter().copied().map(Some).collect();
        // 第二条 → 第三条 (same text), 第三条 → 第四条 (changed), 第五条 → 第五条 but moved,
        // 第四条 → 第六条 with its items, 第六条 → 第七条 (changed date).
        assert_eq!(id_of(&b, &got, "第一条"), id_of(&a, &old_some, "第一条"));
        assert_eq!(id_of(&b, &got, "第二条"), None, "inserted");
        assert_eq!(id_of(&b, &got, "第三条"), id_of(&a, &old_some, "第二条"));
        assert_eq!(id_of(&b, &got, "第四条"), id_of(&a, &old_some, "第三条"));
        assert_eq!(id_of(&b, &got, "第五条"), id_of(&a, &old_some, "第五条"));
        assert_eq!(id_of(&b, &got, "第六条"), id_of(&a, &old_some, "第四条"));
        assert_eq!(id_of(&b, &got, "第七条"), id_of(&a, &old_some, "第六条"));
        // The items of 第四条 → 第六条 keep theirs; the chapters theirs.
        let item = b.iter().position(|f| f.kind == Kind::Item && f.number == "（二）").unwrap();
        let old_item = a.iter().position(|f| f.kind == Kind::Item && f.number == "（二）").unwrap();
        assert_eq!(got[item], Some(old_ids[old_item]));
        let chapter =
            |flats: &[Flat]| flats.iter().position(|f| f.kind == Kind::Chapter && f.heading == "业主").unwrap();
        assert_eq!(got[chapter(&b)], Some(old_ids[chapter(&a)]));

        let new_ids: Vec<i64> = got.iter().enumerate().map(|(i, g)| g.unwrap_or(1000 + i as i64)).collect();
        let c = compare(&a, &old_ids, &b, &new_ids);
        let changes: Vec<(String, &str)> =
            c.iter().map(|x| (x.new_number.clone().or(x.old_number.clone()).unwrap(), x.change.as_str())).collect();
        assert_eq!(
            changes,
            [
                ("第一条".to_string(), "unchanged"),
                ("第二条".to_string(), "added"),
                ("第三条".to_string(), "renumbered"),
                ("第四条".to_string(), "changed"),
                ("第五条".to_string(), "unchanged"),
                ("第六条".to_string(), "renumbered"),
                ("第七条".to_string(), "changed"),
            ]
        );
        let moved: Vec<&str> = c.iter().filter(|x| x.moved).filter_map(|x| x.new_number.as_deref()).collect();
        assert_eq!(moved, ["第五条"], "moved from 第二章 to 第一章");
        let d = &c[3].diff;
        assert!(d.iter().any(|p| p.op == "added" && p.text == "、公开透明"), "{d:?}");
        let last = &c[6].diff;
        assert!(last.iter().any(|p| p.op == "removed" && p.text == "公布之"), "{last:?}");
    }

    #[test]
    fn a_removed_article_is_listed_where_it_stood() {
        let a =
            parse("条例\n第一条 甲乙丙丁戊己庚辛。\n第二条 子丑寅卯辰巳午未。\n第三条 春夏秋冬东南西北。\n").flatten();
        let b = parse("条例\n第一条 甲乙丙丁戊己庚辛。\n第二条 春夏秋冬东南西北。\n").flatten();
        let ids = ids_of(a.len(), 1);
        let got = assign(&a, &ids, &b);
        let new_ids: Vec<i64> = got.iter().enumerate().map(|(i, g)| g.unwrap_or(90 + i as i64)).collect();
        let c = compare(&a, &ids, &b, &new_ids);
        let seen: Vec<&str> = c.iter().map(|x| x.change.as_str()).collect();
        assert_eq!(seen, ["unchanged", "removed", "renumbered"]);
        assert_eq!(c[1].old_number.as_deref(), Some("第二条"));
    }

    #[test]
    fn the_diff_marks_characters() {
        let d = diff("本条例自公布之日起施行。", "本条例自2026年1月1日起施行。");
        let joined: String = d.iter().filter(|p| p.op != "added").map(|p| p.text.as_str()).collect();
        assert_eq!(joined, "本条例自公布之日起施行。");
        let joined: String = d.iter().filter(|p| p.op != "removed").map(|p| p.text.as_str()).collect();
        assert_eq!(joined, "本条例自2026年1月1日起施行。");
        assert!(similarity("甲乙丙丁", "甲乙丙丁") > 0.99);
        assert!(similarity("甲乙丙丁", "戊己庚辛") < 0.01);
    }
}
