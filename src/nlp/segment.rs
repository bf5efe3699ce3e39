//! Word segmentation with one shared jieba dictionary, and what search builds on it: the
//! text stored for full-text indexing, the terms of a query, and highlighted snippets.
//!
//! Both database backends index text already segmented here (tokens joined by spaces), so
//! FTS5's default tokenizer and PostgreSQL's `to_tsvector('simple', …)` see the same words.
//! Every token is a run of letters and digits (CJK ideographs count as letters), so neither
//! backend splits it further.

use std::collections::HashMap;
use std::sync::LazyLock;

use jieba_rs::Jieba;

use super::stopwords::is_stopword;

/// The jieba dictionary, loaded once (about 0.3 s) on first use and shared by every thread.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// At most this many terms are taken from a search query.
pub const MAX_QUERY_TERMS: usize = 16;

/// The shared jieba instance (loads the dictionary on first call).
pub fn jieba() -> &'static Jieba {
    &JIEBA
}

/// One character folded for matching: full-width ASCII (Ａ１！) to half-width, the
/// ideographic space to a space, upper-case letters to lower case. Always one char for
/// one, so positions in the folded text are positions in the original.
pub fn fold_char(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        c => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c.is_uppercase() {
        let mut lower = c.to_lowercase();
        if let (Some(l), None) = (lower.next(), lower.next()) {
            return l;
        }
    }
    c
}

/// The text with every character folded by [`fold_char`].
pub fn normalize(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// Pushes the runs of letters and digits of a jieba token (`5.4.5` gives `5`, `4`, `5`).
fn push_runs(word: &str, out: &mut Vec<String>) {
    if word.chars().all(char::is_alphanumeric) {
        out.push(word.to_owned());
        return;
    }
    out.extend(word.split(|c: char| !c.is_alphanumeric()).filter(|p| !p.is_empty()).map(str::to_owned));
}

/// An installation's own names — its areas, stations and handling units — that segmentation
/// keeps whole (百尺河镇, not 百尺 + 河镇), beside jieba's dictionary. Built from a list of names
/// (the caller reads them from the database and keeps the lexicon while they do not change);
/// a name is matched leftmost-longest in the folded text, the text between names goes to jieba.
#[derive(Debug, Default)]
pub struct Lexicon {
    /// Names by their first character, longest first.
    by_first: HashMap<char, Vec<Vec<char>>>,
    len: usize,
}

/// Longest name kept (a longer one is a description, not a name).
const MAX_NAME_CHARS: usize = 30;

impl Lexicon {
    /// The lexicon of `names`: each folded, cut at anything that is not a letter or digit
    /// (「诸城市基层立法联系点（龙都街道）」 gives two names), pieces of one character left out.
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Lexicon {
        let mut by_first: HashMap<char, Vec<Vec<char>>> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for name in names {
            for piece in normalize(name.as_ref()).split(|c: char| !c.is_alphanumeric()) {
                let chars: Vec<char> = piece.chars().collect();
                if chars.len() < 2 || chars.len() > MAX_NAME_CHARS || !seen.insert(piece.to_string()) {
                    continue;
                }
                by_first.entry(chars[0]).or_default().push(chars);
            }
        }
        for list in by_first.values_mut() {
            list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        }
        Lexicon { len: seen.len(), by_first }
    }

    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when `word` (folded) is one of the names.
    pub fn contains(&self, word: &str) -> bool {
        let chars: Vec<char> = normalize(word).chars().collect();
        chars.first().and_then(|c| self.by_first.get(c)).is_some_and(|l| l.contains(&chars))
    }

    /// The length of the longest name starting at `at`, if any.
    fn longest_at(&self, text: &[char], at: usize) -> Option<usize> {
        let rest = &text[at..];
        self.by_first.get(&rest[0])?.iter().find(|n| rest.starts_with(n)).map(Vec::len)
    }

    /// The names the text holds, as segmentation keeps them whole (leftmost-longest, folded).
    pub fn names_in(&self, text: &str) -> Vec<String> {
        if self.by_first.is_empty() {
            return Vec::new();
        }
        self.pieces(text).into_iter().filter(|(_, name)| *name).map(|(p, _)| p).collect()
    }

    /// The folded text cut into pieces: `(piece, true)` for a name, `(piece, false)` for the
    /// text between names.
    fn pieces(&self, text: &str) -> Vec<(String, bool)> {
        if self.by_first.is_empty() {
            return vec![(normalize(text), false)];
        }
        let chars: Vec<char> = normalize(text).chars().collect();
        let mut out = Vec::new();
        let (mut gap, mut i) = (0, 0);
        while i < chars.len() {
            match self.longest_at(&chars, i) {
                Some(n) => {
                    if gap < i {
                        out.push((chars[gap..i].iter().collect(), false));
                    }
                    out.push((chars[i..i + n].iter().collect(), true));
                    i += n;
                    gap = i;
                }
                None => i += 1,
            }
        }
        if gap < chars.len() {
            out.push((chars[gap..].iter().collect(), false));
        }
        out
    }
}

/// All words of the text in reading order, normalised, without punctuation, white space or
/// symbols, stopwords kept. The form search uses.
pub fn words(text: &str) -> Vec<String> {
    words_in(&Lexicon::default(), text)
}

/// [`words`], the lexicon's names kept whole.
pub fn words_in(lexicon: &Lexicon, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (piece, name) in lexicon.pieces(text) {
        if name {
            out.push(piece);
            continue;
        }
        for token in jieba().cut(&piece, true) {
            push_runs(token.word, &mut out);
        }
    }
    out
}

/// The words of the text as [`words`] gives them, stopwords removed: the form
/// classification and keyword extraction use.
pub fn tokens(text: &str) -> Vec<String> {
    tokens_in(&Lexicon::default(), text)
}

/// [`tokens`], the lexicon's names kept whole.
pub fn tokens_in(lexicon: &Lexicon, text: &str) -> Vec<String> {
    let mut out = words_in(lexicon, text);
    out.retain(|w| !is_stopword(w));
    out
}

/// The text to store in a full-text column: jieba's search-mode tokens (whole words and
/// the shorter words inside them) joined by single spaces.
pub fn index_text(text: &str) -> String {
    index_text_in(&Lexicon::default(), text)
}

/// [`index_text`] that also holds the lexicon's names whole, each followed by the words jieba
/// finds inside it: a query segmented without the lexicon ([`query_terms`]) still matches.
pub fn index_text_in(lexicon: &Lexicon, text: &str) -> String {
    let mut out = Vec::new();
    for (piece, name) in lexicon.pieces(text) {
        if name {
            out.push(piece.clone());
        }
        for token in jieba().cut_for_search(&piece, true) {
            if !(name && token.word == piece) {
                push_runs(token.word, &mut out);
            }
        }
    }
    out.join(" ")
}

/// The terms of a search query, segmented like the indexed text: deduplicated, in order,
/// stopwords dropped unless nothing else is left, at most [`MAX_QUERY_TERMS`].
pub fn query_terms(q: &str) -> Vec<String> {
    let mut all = words(q);
    let mut seen = std::collections::HashSet::new();
    all.retain(|w| seen.insert(w.clone()));
    if all.iter().any(|w| !is_stopword(w)) {
        all.retain(|w| !is_stopword(w));
    }
    all.truncate(MAX_QUERY_TERMS);
    all
}

/// Ends a sentence: a snippet starts after one when it can.
fn ends_sentence(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';')
}

/// A snippet of at most `max_chars` characters of `text` around the first occurrence of
/// any of `terms`, as pieces in order: `(piece, true)` for a hit, `(piece, false)` for
/// plain text. Matching ignores case and full-width forms; white space runs become one
/// space. A cut end is marked with "…" (not counted in `max_chars`). Without a hit the
/// snippet is the start of the text. The caller escapes the pieces for HTML.
pub fn highlight<S: AsRef<str>>(text: &str, terms: &[S], max_chars: usize) -> Vec<(String, bool)> {
    let mut chars: Vec<char> = Vec::with_capacity(text.len() / 2);
    for c in text.trim().chars() {
        if c.is_whitespace() {
            if chars.last() != Some(&' ') {
                chars.push(' ');
            }
        } else {
            chars.push(c);
        }
    }
    if chars.is_empty() || max_chars == 0 {
        return Vec::new();
    }
    let folded: Vec<char> = chars.iter().map(|&c| fold_char(c)).collect();
    let terms: Vec<Vec<char>> = terms
        .iter()
        .map(|t| t.as_ref().trim().chars().map(fold_char).collect::<Vec<char>>())
        .filter(|t| !t.is_empty())
        .collect();
    let mut hit = vec![false; chars.len()];
    for term in &terms {
        for start in 0..folded.len().saturating_sub(term.len() - 1) {
            if folded[start..start + term.len()] == term[..] {
                hit[start..start + term.len()].iter_mut().for_each(|h| *h = true);
            }
        }
    }
    let (mut start, mut end) = (0, chars.len());
    if chars.len() > max_chars {
        if let Some(first) = hit.iter().position(|&h| h) {
            // A quarter of the snippet before the hit, from a sentence start if one is near.
            start = first.saturating_sub(max_chars / 4);
            if let Some(k) = (start..first).rev().find(|&k| ends_sentence(chars[k])) {
                start = k + 1;
            }
        }
        end = (start + max_chars).min(chars.len());
        start = start.min(end.saturating_sub(max_chars));
    }
    let mut pieces: Vec<(String, bool)> = Vec::new();
    if start > 0 {
        pieces.push(("…".to_owned(), false));
    }
    for k in start..end {
        match pieces.last_mut() {
            Some((s, h)) if *h == hit[k] => s.push(chars[k]),
            _ => pieces.push((chars[k].to_string(), hit[k])),
        }
    }
    if end < chars.len() {
        match pieces.last_mut() {
            Some((s, false)) => s.push('…'),
            _ => pieces.push(("…".to_owned(), false)),
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_segmented_and_normalised() {
        assert_eq!(words("我们小区的路灯坏了！"), ["我们", "小区", "的", "路灯", "坏", "了"]);
        assert_eq!(tokens("我们小区的路灯坏了！"), ["小区", "路灯", "坏"]);
        // Full-width letters and digits fold to ASCII, Latin to lower case.
        assert_eq!(words("ＷｉＦｉ信号差，Ａ３区"), ["wifi", "信号", "差", "a3", "区"]);
        assert!(words("  ，。！？……\n\t").is_empty());
        // Text already segmented (tokens joined by spaces) keeps its words.
        assert_eq!(tokens("物业 违规 收 停车费"), ["物业", "违规", "收", "停车费"]);
    }

    #[test]
    fn index_text_holds_search_mode_words() {
        let idx = index_text("中华人民共和国宪法规定，");
        let words: Vec<&str> = idx.split(' ').collect();
        assert!(words.contains(&"中华人民共和国宪法") && words.contains(&"人民") && words.contains(&"宪法"), "{idx}");
        assert!(!idx.contains("  ") && !idx.contains('，') && !idx.starts_with(' ') && !idx.ends_with(' '));
        assert_eq!(index_text("版本 WES-5.4.5"), "版本 wes wes 5 4 5");
    }

    #[test]
    fn query_terms_are_deduplicated_and_bounded() {
        assert_eq!(query_terms("小区的停车费 停车费"), ["小区", "停车费"]);
        assert_eq!(query_terms("的"), ["的"]);
        let long = "路灯 ".repeat(3) + &(0..40).map(|i| format!("x{i} ")).collect::<String>();
        let terms = query_terms(&long);
        assert_eq!(terms.len(), MAX_QUERY_TERMS);
        assert_eq!(terms[0], "路灯");
        // Every query term is a word the index holds for the same text.
        let text = "投诉小区物业违规收取停车费";
        let idx = index_text(text);
        for t in query_terms(text) {
            assert!(idx.split(' ').any(|w| w == t), "{t} not in {idx}");
        }
    }

    #[test]
    fn the_lexicon_keeps_names_whole() {
        let text = "百尺河镇石河头村的自来水水压太低，诸城市龙都街道也一样。";
        // Without the lexicon jieba cuts the town's name (百尺 + 河镇 or similar).
        assert!(!words(text).contains(&"百尺河镇".to_owned()), "{:?}", words(text));
        let lex = Lexicon::new(["百尺河镇", "龙都街道", "诸城市", "诸城市基层立法联系点（龙都街道）", "镇"]);
        // Names are cut at brackets; one-character pieces are not names.
        assert_eq!(lex.len(), 4);
        assert!(lex.contains("诸城市基层立法联系点") && !lex.contains("镇"));
        let w = words_in(&lex, text);
        assert!(w.contains(&"百尺河镇".to_owned()) && w.contains(&"龙都街道".to_owned()), "{w:?}");
        assert!(w.contains(&"诸城市".to_owned()) && w.contains(&"水压".to_owned()), "{w:?}");
        assert!(!w.iter().any(|x| x == "百尺" || x == "河镇"), "{w:?}");
        // Leftmost-longest: the longer name wins where two start at the same character.
        let lex = Lexicon::new(["百尺河", "百尺河镇"]);
        assert_eq!(words_in(&lex, "百尺河镇"), ["百尺河镇"]);
        // The index holds the whole name and the words inside it, so a query segmented
        // without the lexicon still finds the text.
        let lex = Lexicon::new(["百尺河镇"]);
        let idx = index_text_in(&lex, text);
        assert!(idx.split(' ').any(|x| x == "百尺河镇"), "{idx}");
        for t in query_terms("百尺河镇水压") {
            assert!(idx.split(' ').any(|x| x == t), "{t} not in {idx}");
        }
        // An empty lexicon changes nothing.
        assert_eq!(words_in(&Lexicon::default(), text), words(text));
        assert_eq!(index_text_in(&Lexicon::default(), text), index_text(text));
    }

    fn render(pieces: &[(String, bool)]) -> String {
        pieces.iter().map(|(s, h)| if *h { format!("[{s}]") } else { s.clone() }).collect()
    }

    #[test]
    fn highlight_marks_hits_and_cuts_on_characters() {
        let text = "小区门口的路灯坏了三个月，晚上出行很不安全。请尽快修复路灯。";
        assert_eq!(
            render(&highlight(text, &["路灯"], 100)),
            "小区门口的[路灯]坏了三个月，晚上出行很不安全。请尽快修复[路灯]。"
        );
        // Cut on both sides: every piece is whole characters, ellipses mark the cuts.
        let long = format!("{}。停车费乱收，{}", "很长的开头".repeat(20), "后面还有很多内容".repeat(20));
        let pieces = highlight(&long, &["停车费"], 12);
        let s = render(&pieces);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("[停车费]"), "{s}");
        assert_eq!(pieces.iter().map(|(p, _)| p.chars().filter(|&c| c != '…').count()).sum::<usize>(), 12);
        assert_eq!(s, "…[停车费]乱收，后面还有很多…");
        // Case and full-width forms are ignored; the original text is shown.
        assert_eq!(render(&highlight("ＷｉＦｉ没有信号", &["wifi"], 50)), "[ＷｉＦｉ]没有信号");
        // No hit: the start of the text, white space collapsed.
        assert_eq!(render(&highlight("第一行\n\n\t第二行很长很长", &["无关"], 6)), "第一行 第二…");
        assert!(highlight("", &["a"], 10).is_empty());
        assert!(highlight("文本", &[""], 10) == [("文本".to_owned(), false)]);
    }
}
