//! A draft's text read into its structure (LEG-2): 编 / 章 / 节 / 条 / 款 / 项 / 目, with the
//! title, the enacting lines (通过 / 批准 / 修正 dates) and the 目录 kept apart from the body.
//! Pure: no IO. What could not be read is reported (`Issue`), never silently dropped — the
//! staff member sees the counts per level, the first unrecognised line and every gap or
//! repeat in the numbering before anything is saved.

use serde::Serialize;

use crate::app::codes::code_enum;

code_enum! {
    /// A level of the structure, outermost first.
    #[derive(schemars::JsonSchema, PartialOrd, Ord)]
    pub enum Kind {
        /// 编
        Part = ("part", "编"),
        /// 章
        Chapter = ("chapter", "章"),
        /// 节
        Section = ("section", "节"),
        /// 条
        Article = ("article", "条"),
        /// 款: a paragraph of an article.
        Paragraph = ("paragraph", "款"),
        /// 项: （一）…
        Item = ("item", "项"),
        /// 目: 1. …
        Subitem = ("subitem", "目"),
    }
}

impl Kind {
    /// Headings (编, 章, 节) hold articles; the others hold text.
    pub fn is_heading(self) -> bool {
        matches!(self, Kind::Part | Kind::Chapter | Kind::Section)
    }
    fn rank(self) -> usize {
        self as usize
    }
}

/// One node of the structure as the text prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    pub kind: Kind,
    /// As printed: 第五条, 第五条之一, 第二章, （三）, 1.; a paragraph's is 第二款.
    pub number: String,
    /// Its number as a number (5 for 第五条, 第五条之一 too).
    pub ordinal: i64,
    /// The N of 之N (0 for none).
    pub sub: i64,
    /// A heading's title (总则); an article's bracketed title (【立法目的】) when it has one.
    pub heading: String,
    /// The text of a paragraph, item or subitem (articles and headings hold theirs in children).
    pub text: String,
    /// The line of the input it starts on (1-based).
    pub line: usize,
    pub children: Vec<Node>,
}

impl Node {
    fn new(kind: Kind, number: String, ordinal: i64, sub: i64, line: usize) -> Node {
        Node { kind, number, ordinal, sub, heading: String::new(), text: String::new(), line, children: Vec::new() }
    }

    /// The whole text under this node, children included, one line a paragraph.
    pub fn full_text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        if !self.text.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            if matches!(self.kind, Kind::Item | Kind::Subitem) {
                out.push_str(&self.number);
            }
            out.push_str(&self.text);
        }
        for c in &self.children {
            c.collect_text(out);
        }
    }
}

/// Something the parser could not read as the structure it expects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The line (1-based) it was found on.
    pub line: usize,
    pub message: String,
}

/// A draft as read: title, enacting lines, table of contents and the body.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Parsed {
    pub title: String,
    /// 通过 / 批准 / 修正 lines and other text before the body (a 序言 is kept here too).
    pub enacting: Vec<String>,
    /// The 目录 lines, kept apart (they repeat the headings).
    pub toc: Vec<String>,
    pub body: Vec<Node>,
    pub issues: Vec<Issue>,
    /// Paragraphs numbered by Word itself (their numbers came from the numbering definitions).
    pub auto_numbered: usize,
}

impl Parsed {
    /// How many nodes of each kind, in `Kind::ALL` order.
    pub fn counts(&self) -> [usize; 7] {
        let mut out = [0; 7];
        fn walk(n: &Node, out: &mut [usize; 7]) {
            out[n.kind.rank()] += 1;
            n.children.iter().for_each(|c| walk(c, out));
        }
        self.body.iter().for_each(|n| walk(n, &mut out));
        out
    }

    /// The articles in order.
    pub fn articles(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
            if n.kind == Kind::Article {
                out.push(n);
            } else if n.kind.is_heading() {
                n.children.iter().for_each(|c| walk(c, out));
            }
        }
        self.body.iter().for_each(|n| walk(n, &mut out));
        out
    }

    /// The counts in words: 「3 章、2 节、41 条、88 款、19 项」.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let parts: Vec<String> =
            Kind::ALL.iter().zip(c).filter(|(_, n)| *n > 0).map(|(k, n)| format!("{n} {}", k.label())).collect();
        if parts.is_empty() { "没有识别出任何条文".into() } else { parts.join("、") }
    }

    /// Every node in document order with its depth and its parent's index: what is stored.
    pub fn flatten(&self) -> Vec<Flat> {
        let mut out = Vec::new();
        fn walk(n: &Node, depth: usize, parent: Option<usize>, out: &mut Vec<Flat>) {
            let me = out.len();
            out.push(Flat {
                kind: n.kind,
                number: n.number.clone(),
                ordinal: n.ordinal,
                sub: n.sub,
                heading: n.heading.clone(),
                text: n.text.clone(),
                line: n.line,
                depth,
                parent,
            });
            n.children.iter().for_each(|c| walk(c, depth + 1, Some(me), out));
        }
        self.body.iter().for_each(|n| walk(n, 0, None, &mut out));
        out
    }
}

/// A node in document order (what the database holds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flat {
    pub kind: Kind,
    pub number: String,
    pub ordinal: i64,
    pub sub: i64,
    pub heading: String,
    pub text: String,
    pub line: usize,
    pub depth: usize,
    /// The index of the parent in the flattened list.
    pub parent: Option<usize>,
}

// ------------------------------------------------------------------ Chinese numerals

/// The value of a Chinese numeral as laws print them (一 … 九千九百九十九, 零/〇, 两, 廿), or of
/// Arabic digits; `None` for anything else.
pub fn chinese_number(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.chars().skip(1).any(is_dash) && !s.starts_with(is_dash) {
        return chinese_number(&s.chars().map(|c| if is_dash(c) { '一' } else { c }).collect::<String>());
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok().filter(|v: &i64| *v < 1_000_000);
    }
    if s.chars().all(|c| ('０'..='９').contains(&c)) {
        return s
            .chars()
            .map(|c| (c as u32 - '０' as u32) as i64)
            .try_fold(0i64, |a, d| a.checked_mul(10)?.checked_add(d));
    }
    let mut total = 0i64;
    let mut digit: Option<i64> = None;
    let mut last_unit = i64::MAX;
    // A 零 since the last unit: it marks a skipped place (一百零五).
    let mut skipped = false;
    for c in s.chars() {
        let unit = match c {
            '十' | '拾' => 10,
            '百' | '佰' => 100,
            '千' | '仟' => 1000,
            '廿' if total == 0 && digit.is_none() => {
                total = 20;
                last_unit = 10;
                continue;
            }
            '零' | '〇' if digit.is_none() && total > 0 => {
                skipped = true;
                continue;
            }
            _ => {
                let d = "一二三四五六七八九".find(c).or_else(|| "壹贰叁肆伍陆柒捌玖".find(c)).map(|i| i as i64 / 3 + 1);
                let d = d.or((c == '两').then_some(2)).or_else(|| c.to_digit(10).map(i64::from))?;
                if digit.is_some() {
                    return None;
                }
                digit = Some(d);
                continue;
            }
        };
        // Units fall: 一千二百 is fine, 一百二千 and 十十 are not; 十 alone starts 十一.
        if unit >= last_unit {
            return None;
        }
        let d = match digit.take() {
            Some(d) => d,
            None if unit == 10 && total == 0 => 1,
            None => return None,
        };
        total += d * unit;
        last_unit = unit;
        skipped = false;
    }
    if let Some(d) = digit {
        // After a hundred or a thousand a last digit needs its 零 (一百零五; 一百五 is speech).
        if last_unit != i64::MAX && last_unit > 10 && !skipped {
            return None;
        }
        total += d;
    }
    (total > 0).then_some(total)
}

/// A number in Chinese numerals as laws print it: 5 → 五, 10 → 十, 101 → 一百零一, 110 → 一百一十.
pub fn to_chinese(n: i64) -> String {
    const D: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    if n <= 0 {
        return "零".into();
    }
    if n >= 10_000 {
        return n.to_string();
    }
    let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10];
    let units = ["千", "百", "十", ""];
    let mut out = String::new();
    let mut pending_zero = false;
    let first = digits.iter().position(|d| *d != 0).unwrap_or(3);
    for i in first..4 {
        let d = digits[i];
        if d == 0 {
            pending_zero = true;
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        // 十 alone at the start (十一), 一十 after a higher place (一百一十).
        if !(i == 2 && d == 1 && i == first) {
            out.push(D[d as usize]);
        }
        out.push_str(units[i]);
    }
    out
}

// ------------------------------------------------------------------ lines

/// A line as the parser sees it: trimmed, full-width spaces and zero-width characters gone,
/// Markdown heading marks dropped.
fn clean(line: &str) -> String {
    let mut s: String = line
        .chars()
        .filter(|c| !matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}' | '\u{2060}' | '\r'))
        .map(|c| if c == '\u{3000}' || c == '\u{a0}' || c == '\t' { ' ' } else { c })
        .collect();
    s = s.trim().to_string();
    let hashes = s.chars().take_while(|c| *c == '#').count();
    if hashes > 0 && hashes <= 6 {
        s = s[hashes..].trim().to_string();
    }
    s
}

/// Numerals of a heading or article number (Chinese or Arabic).
fn is_numeral(c: char) -> bool {
    "零〇一二两三四五六七八九十百千廿壹贰叁肆伍陆柒捌玖拾佰仟".contains(c)
        || c.is_ascii_digit()
        || ('０'..='９').contains(&c)
}

/// A dash that a scanned or retyped law prints for 一 inside a numeral (「第三十－条」 in the
/// LawRefBook text of a 2013 regulation): full-width hyphen, hyphen, dashes, the katakana
/// long vowel.
fn is_dash(c: char) -> bool {
    matches!(c, '－' | '-' | '‐' | '—' | '─' | 'ー')
}

/// `第N<unit>` at the start of a line: (N as printed, the rest). A space typed around the
/// numeral (「第十五 条」「第 3 条」) is no matter; a dash after a numeral reads as 一 (`is_dash`).
fn numbered(line: &str, unit: char) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('第')?.trim_start_matches(' ');
    let end = rest.char_indices().find(|(i, c)| !(is_numeral(*c) || (*i > 0 && is_dash(*c)))).map(|(i, _)| i)?;
    if end == 0 {
        return None;
    }
    let after = rest[end..].trim_start_matches(' ');
    let after = after.strip_prefix(unit)?;
    Some((&rest[..end], after))
}

/// What a line is.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Heading { kind: Kind, ordinal: Option<i64>, printed: &'a str, title: &'a str },
    Article { ordinal: Option<i64>, sub: Option<i64>, printed: &'a str, rest: &'a str },
    Item { ordinal: Option<i64>, printed: &'a str, rest: &'a str },
    Subitem { ordinal: i64, printed: &'a str, rest: &'a str },
    Toc,
    Text,
}

/// The heading kinds with their unit character.
/// What follows 「第五条」 or 「第三章」 when a sentence speaks about it instead of starting it:
/// 「第五条规定的」「第三章所称」「第二条第一款」「第四条、第五条」.
fn starts_sentence(rest: &str) -> bool {
    const WORDS: [&str; 14] =
        ["的", "规定", "所", "中的", "中规定", "第", "、", "，", "至", "和", "或", "以及", "及", "之规定"];
    WORDS.iter().any(|w| rest.starts_with(w))
}

const HEADINGS: [(Kind, char); 3] = [(Kind::Part, '编'), (Kind::Chapter, '章'), (Kind::Section, '节')];

fn classify(line: &str) -> Line<'_> {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    if compact == "目录" {
        return Line::Toc;
    }
    for (kind, unit) in HEADINGS {
        if let Some((n, rest)) = numbered(line, unit) {
            // A heading is short and is not a sentence (第三章规定的… is text).
            let title = rest.trim();
            if title.chars().count() <= 40 && !title.ends_with('。') && !starts_sentence(title) {
                return Line::Heading {
                    kind,
                    ordinal: chinese_number(n),
                    printed: &line[..line.len() - rest.len()],
                    title,
                };
            }
        }
    }
    if let Some((n, rest)) = numbered(line, '条') {
        let (sub, rest) = match rest.strip_prefix('之') {
            Some(r) => {
                let end = r.char_indices().find(|(_, c)| !is_numeral(*c)).map(|(i, _)| i).unwrap_or(r.len());
                (Some(chinese_number(&r[..end])), &r[end..])
            }
            None => (None, rest),
        };
        // 「第五条规定的…」 starts a sentence about an article, not an article.
        if !starts_sentence(rest) {
            let printed = &line[..line.len() - rest.len()];
            return Line::Article {
                ordinal: chinese_number(n),
                sub: sub.map(|s| s.unwrap_or(-1)),
                printed,
                rest: rest.trim(),
            };
        }
    }
    // 「第X条」: an article whose number is garbled (OCR, a typo) is still an article.
    if let Some(rest) = line.strip_prefix('第')
        && let Some(end) = rest.find('条')
        && (1..=6).contains(&rest[..end].chars().count())
        && rest[..end].chars().all(|c| c.is_ascii_alphanumeric() || is_numeral(c))
        && rest[..end].chars().any(|c| !is_numeral(c))
    {
        let printed = &line[..'第'.len_utf8() + end + '条'.len_utf8()];
        return Line::Article { ordinal: None, sub: None, printed, rest: rest[end + '条'.len_utf8()..].trim() };
    }
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(r) = line.strip_prefix(open)
            && let Some(end) = r.find(close)
            && end > 0
            && r[..end].chars().all(|c| "一二三四五六七八九十百".contains(c))
            // 「（一）至（三）项所列人员」「（四）、（五）项」 speak about items.
            && !r[end + close.len_utf8()..].starts_with(['至', '、', '，'])
            && !["项所", "项规定", "项的", "项中", "项和", "项或"].iter().any(|w| r[end + close.len_utf8()..].starts_with(w))
        {
            let printed = &line[..open.len_utf8() + end + close.len_utf8()];
            return Line::Item {
                ordinal: chinese_number(&r[..end]),
                printed,
                rest: r[end + close.len_utf8()..].trim(),
            };
        }
    }
    let digits = line.char_indices().find(|(_, c)| !c.is_ascii_digit()).map(|(i, _)| i).unwrap_or(line.len());
    if digits > 0 && digits <= 3 {
        let rest = &line[digits..];
        for dot in ['.', '．', '、'] {
            if let Some(r) = rest.strip_prefix(dot)
                && !r.starts_with(|c: char| c.is_ascii_digit())
            {
                let ordinal = line[..digits].parse().unwrap_or(0);
                return Line::Subitem { ordinal, printed: &line[..digits + dot.len_utf8()], rest: r.trim() };
            }
        }
    }
    Line::Text
}

/// A line of a law's text that is a heading (第一编, 第二章 总则, 第三节 …), as a page sets it.
pub fn is_heading_line(line: &str) -> bool {
    matches!(classify(&clean(line)), Line::Heading { .. })
}

/// Enacting lines: dates with 通过, 批准, 修正, 修订, 公布, 施行.
fn is_enacting(line: &str) -> bool {
    let dated = line.contains('年') && line.contains('月') && line.contains('日');
    dated && ["通过", "批准", "修正", "修订", "公布", "施行", "修改"].iter().any(|w| line.contains(w))
}

fn strip_bracket_heading(rest: &str) -> (String, &str) {
    for (open, close) in [('【', '】'), ('［', '］')] {
        if let Some(r) = rest.strip_prefix(open)
            && let Some(end) = r.find(close)
            && end > 0
        {
            return (r[..end].trim().to_string(), r[end + close.len_utf8()..].trim());
        }
    }
    (String::new(), rest)
}

// ------------------------------------------------------------------ parsing

/// Reads a draft's text. Each line is one paragraph (a blank line separates nothing more).
pub fn parse(text: &str) -> Parsed {
    let lines: Vec<(usize, String)> =
        text.lines().enumerate().map(|(i, l)| (i + 1, clean(l))).filter(|(_, l)| !l.is_empty()).collect();
    let mut out = Parsed::default();
    let mut i = 0;
    // The head: the title (and a subtitle such as （草案）), enacting lines, other lines before
    // the body, the 目录.
    let body_start =
        lines.iter().position(|(_, l)| matches!(classify(l), Line::Heading { .. } | Line::Article { .. } | Line::Toc));
    let head_end = body_start.unwrap_or(lines.len());
    let mut title_lines: Vec<&str> = Vec::new();
    while i < head_end {
        let l = lines[i].1.as_str();
        if l.starts_with("<!--") {
            i += 1;
            continue;
        }
        let is_subtitle = l.starts_with(['（', '(']) && l.chars().count() <= 24 && !is_enacting(l);
        let title_part = title_lines.is_empty() || (is_subtitle && out.enacting.is_empty() && title_lines.len() < 2);
        if title_part && (!is_enacting(l) || !title_lines.is_empty()) {
            title_lines.push(l);
            i += 1;
            continue;
        }
        // The title printed again over two lines (a cover page) is not an enacting line.
        let title: String = title_lines.concat();
        if !title.is_empty() && !is_enacting(l) && title.contains(l) {
            i += 1;
            continue;
        }
        out.enacting.push(l.to_string());
        i += 1;
    }
    out.title = title_lines.join("");
    // 目录: heading lines until the body repeats the first of them (or an article comes).
    if i < lines.len() && classify(&lines[i].1) == Line::Toc {
        i += 1;
        let mut first: Option<String> = None;
        while i < lines.len() {
            let l = &lines[i].1;
            match classify(l) {
                Line::Article { .. } => break,
                Line::Heading { .. } | Line::Text => {
                    let key: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                    if first.as_deref() == Some(key.as_str()) {
                        break;
                    }
                    if matches!(classify(l), Line::Text) && first.is_some() && !looks_like_toc_entry(l) {
                        break;
                    }
                    first.get_or_insert(key);
                    out.toc.push(l.clone());
                    i += 1;
                }
                _ => {
                    out.toc.push(l.clone());
                    i += 1;
                }
            }
        }
    }
    // A 目录 without its word: the body opens with a run of headings and then repeats the first.
    if out.toc.is_empty() && i < lines.len() {
        let key = |l: &str| l.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let run = lines[i..].iter().take_while(|(_, l)| matches!(classify(l), Line::Heading { .. })).count();
        if run >= 2 {
            let first = key(&lines[i].1);
            if let Some(k) = (1..run).find(|k| key(&lines[i + k].1) == first) {
                out.toc.extend(lines[i..i + k].iter().map(|(_, l)| l.clone()));
                i += k;
            }
        }
    }
    let mut b = Builder::default();
    for (no, l) in &lines[i..] {
        b.line(*no, l, &mut out.issues);
    }
    out.body = b.finish();
    check_numbering(&out.body, &mut out.issues);
    if out.articles().is_empty() {
        out.issues.insert(0, Issue { line: 0, message: "没有识别出任何条文（应以「第一条」开头）".into() });
    }
    out
}

/// A 目录 line that is not a heading: 附则, 序言, 附录.
fn looks_like_toc_entry(l: &str) -> bool {
    l.chars().count() <= 12 && !l.ends_with('。')
}

/// Builds the tree line by line: a stack of open nodes, outermost first.
#[derive(Default)]
struct Builder {
    roots: Vec<Node>,
    /// The open path: indexes into `children` from the roots down.
    stack: Vec<Node>,
}

impl Builder {
    /// Closes open nodes down to (not including) the first with a rank below `rank`.
    fn close_to(&mut self, rank: usize) {
        while let Some(top) = self.stack.last() {
            if top.kind.rank() < rank {
                break;
            }
            let done = self.stack.pop().expect("checked");
            self.attach(done);
        }
    }

    fn attach(&mut self, n: Node) {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(n),
            None => self.roots.push(n),
        }
    }

    fn open(&mut self) -> Option<&Node> {
        self.stack.last()
    }

    /// The open paragraph, item or subitem has text that does not end a sentence.
    fn open_text_unfinished(&self) -> bool {
        self.stack.last().is_some_and(|n| {
            matches!(n.kind, Kind::Paragraph | Kind::Item | Kind::Subitem)
                && !n.text.is_empty()
                && !n.text.ends_with(['。', '；', '：', ';', ':', '！', '？', '!', '?', '）', ')', '”', '」', '…', '.'])
        })
    }

    fn in_article(&self) -> bool {
        self.stack.iter().any(|n| n.kind == Kind::Article)
    }

    fn next_ordinal(&self, kind: Kind) -> i64 {
        let parent = self.stack.iter().rev().find(|n| n.kind.rank() < kind.rank());
        let siblings = match parent {
            Some(p) => &p.children,
            None => &self.roots,
        };
        siblings.iter().filter(|c| c.kind == kind).count() as i64 + 1
    }

    fn paragraph(&mut self, no: usize, text: &str) {
        self.close_to(Kind::Paragraph.rank());
        let ordinal = self.next_ordinal(Kind::Paragraph);
        let mut p = Node::new(Kind::Paragraph, format!("第{}款", to_chinese(ordinal)), ordinal, 0, no);
        p.text = text.to_string();
        self.stack.push(p);
    }

    fn line(&mut self, no: usize, l: &str, issues: &mut Vec<Issue>) {
        match classify(l) {
            Line::Heading { kind, ordinal, printed, title } => {
                self.close_to(kind.rank());
                let ordinal = ordinal.unwrap_or_else(|| {
                    issues
                        .push(Issue { line: no, message: format!("第 {no} 行「{printed}」的编号无法识别") });
                    0
                });
                let mut n = Node::new(kind, printed.to_string(), ordinal, 0, no);
                n.heading = title.to_string();
                self.stack.push(n);
            }
            Line::Article { ordinal, sub, printed, rest } => {
                self.close_to(Kind::Article.rank());
                let ordinal = ordinal.unwrap_or_else(|| {
                    issues
                        .push(Issue { line: no, message: format!("第 {no} 行「{printed}」的条号无法识别") });
                    0
                });
                let sub = match sub {
                    Some(-1) => {
                        issues
                            .push(Issue {
                                line: no, message: format!("第 {no} 行「{printed}」的“之”后编号无法识别")
                            });
                        0
                    }
                    Some(s) => s,
                    None => 0,
                };
                if ordinal > 0 && printed.chars().any(is_dash) {
                    issues.push(Issue {
                        line: no,
                        message: format!(
                            "第 {no} 行「{printed}」中的横线按「一」读作{}",
                            display_number(Kind::Article, ordinal)
                        ),
                    });
                }
                let mut n = Node::new(Kind::Article, printed.to_string(), ordinal, sub, no);
                let (heading, rest) = strip_bracket_heading(rest);
                n.heading = heading;
                self.stack.push(n);
                if !rest.is_empty() {
                    self.paragraph(no, rest);
                }
            }
            Line::Item { ordinal, printed, rest } if self.in_article() => {
                self.close_to(Kind::Item.rank());
                if !self.stack.iter().any(|n| n.kind == Kind::Paragraph) {
                    self.paragraph(no, "");
                }
                let mut n = Node::new(Kind::Item, printed.to_string(), ordinal.unwrap_or(0), 0, no);
                n.text = rest.to_string();
                self.stack.push(n);
            }
            Line::Subitem { ordinal, printed, rest } if self.in_article() => {
                self.close_to(Kind::Subitem.rank());
                if !self.stack.iter().any(|n| matches!(n.kind, Kind::Paragraph | Kind::Item)) {
                    self.paragraph(no, "");
                }
                let mut n = Node::new(Kind::Subitem, printed.to_string(), ordinal, 0, no);
                n.text = rest.to_string();
                self.stack.push(n);
            }
            Line::Toc => {
                issues.push(Issue { line: no, message: format!("第 {no} 行：正文中又出现了「目录」") });
            }
            // A paragraph broken in two by a stray line break: the first half ends without
            // the punctuation every paragraph, item and subitem of a law ends with.
            _ if self.in_article() && self.open_text_unfinished() => {
                if let Some(top) = self.stack.last_mut() {
                    top.text.push_str(l);
                }
            }
            _ if self.in_article() => self.paragraph(no, l),
            _ => {
                let under = self.open().map(|n| format!("（在「{}」之后）", n.number)).unwrap_or_default();
                issues.push(Issue {
                    line: no, message: format!("第 {no} 行无法识别{under}：「{}」", excerpt(l))
                });
            }
        }
    }

    fn finish(mut self) -> Vec<Node> {
        self.close_to(0);
        self.roots
    }
}

/// The start of a line for a message.
pub fn excerpt(l: &str) -> String {
    let s: String = l.chars().take(30).collect();
    if l.chars().count() > 30 { format!("{s}…") } else { s }
}

/// Gaps, repeats and disorder: articles run on through the whole text (之N after its article),
/// headings restart under their parent, items and subitems within theirs.
fn check_numbering(body: &[Node], issues: &mut Vec<Issue>) {
    let mut last_article: Option<(i64, i64, String)> = None;
    fn siblings(nodes: &[Node], issues: &mut Vec<Issue>, last_article: &mut Option<(i64, i64, String)>) {
        for kind in [Kind::Part, Kind::Chapter, Kind::Section, Kind::Item, Kind::Subitem] {
            let mut expect = 1;
            for n in nodes.iter().filter(|n| n.kind == kind && n.ordinal > 0) {
                if n.ordinal != expect {
                    let message = if n.ordinal < expect {
                        format!(
                            "第 {} 行「{}」编号重复或倒序（前面已到第 {} {}）",
                            n.line,
                            n.number,
                            expect - 1,
                            kind.label()
                        )
                    } else {
                        format!(
                            "第 {} 行「{}」之前缺少{}",
                            n.line,
                            n.number,
                            (expect..n.ordinal).map(|k| display_number(kind, k)).collect::<Vec<_>>().join("、")
                        )
                    };
                    issues.push(Issue { line: n.line, message });
                }
                expect = n.ordinal + 1;
            }
        }
        for n in nodes {
            if n.kind == Kind::Article && n.ordinal > 0 {
                let expected_ok = match last_article {
                    None => n.ordinal == 1 && n.sub == 0,
                    Some((o, s, _)) => {
                        (n.sub == 0 && n.ordinal == *o + 1) || (n.sub > 0 && n.ordinal == *o && n.sub == *s + 1)
                    }
                };
                if !expected_ok {
                    let message = match last_article {
                        None => format!("第 {} 行：第一条应为「第一条」，却是「{}」", n.line, n.number),
                        Some((o, s, prev)) if n.ordinal < *o || (n.ordinal == *o && n.sub <= *s) => {
                            format!("第 {} 行「{}」编号重复或倒序（前一条是「{prev}」）", n.line, n.number)
                        }
                        Some((o, _, prev)) if n.sub == 0 && n.ordinal > *o + 1 => format!(
                            "第 {} 行「{}」之前缺少{}（前一条是「{prev}」）",
                            n.line,
                            n.number,
                            (*o + 1..n.ordinal)
                                .take(5)
                                .map(|k| display_number(Kind::Article, k))
                                .collect::<Vec<_>>()
                                .join("、")
                        ),
                        Some((_, _, prev)) => format!("第 {} 行「{}」不能接在「{prev}」之后", n.line, n.number),
                    };
                    issues.push(Issue { line: n.line, message });
                }
                *last_article = Some((n.ordinal, n.sub, n.number.clone()));
            }
            if n.kind.is_heading() || n.kind == Kind::Article || n.kind == Kind::Paragraph || n.kind == Kind::Item {
                siblings(&n.children, issues, last_article);
            }
        }
    }
    siblings(body, issues, &mut last_article);
    issues.sort_by_key(|i| i.line);
}

/// A number as a law prints it: 第五条, 第二章, （三）, 4.
pub fn display_number(kind: Kind, n: i64) -> String {
    match kind {
        Kind::Item => format!("（{}）", to_chinese(n)),
        Kind::Subitem => format!("{n}."),
        k => format!("第{}{}", to_chinese(n), k.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals_read_as_laws_print_them() {
        for (s, v) in [
            ("一", 1),
            ("十", 10),
            ("十一", 11),
            ("二十", 20),
            ("二十五", 25),
            ("一百", 100),
            ("一百零一", 101),
            ("一百一十", 110),
            ("一百一十九", 119),
            ("二百零五", 205),
            ("一千", 1000),
            ("一千零一", 1001),
            ("一千零一十", 1010),
            ("两百", 200),
            ("廿一", 21),
            ("12", 12),
            ("１２", 12),
        ] {
            assert_eq!(chinese_number(s), Some(v), "{s}");
        }
        for bad in ["", "百一十", "一二", "十十", "一百二千", "甲", "一百五"] {
            assert_eq!(chinese_number(bad), None, "{bad}");
        }
        for n in [1, 9, 10, 11, 19, 20, 99, 100, 101, 110, 111, 120, 205, 999, 1000, 1001, 1010, 1100, 2024] {
            assert_eq!(chinese_number(&to_chinese(n)), Some(n), "{n} → {}", to_chinese(n));
        }
        assert_eq!(to_chinese(101), "一百零一");
        assert_eq!(to_chinese(110), "一百一十");
        assert_eq!(to_chinese(15), "十五");
    }

    const LAW: &str = "# 某某市物业管理条例（草案）\n\n\
        2024年6月28日 某某市第十七届人民代表大会常务委员会第十次会议通过\n\n\
        目录\n第一章 总则\n第二章　业主\n附则\n\n\
        ## 第一章 总则\n\n\
        第一条　为了规范物业管理活动，制定本条例。\n\n\
        第二条 本条例适用于本市行政区域内的物业管理活动。\n\n\
        本条例所称物业管理，是指业主通过选聘物业服务人的活动。\n\n\
        ## 第二章  业主\n\n### 第一节 业主的权利\n\n\
        第三条 业主享有下列权利：\n\n（一）按照物业服务合同接受服务；\n\n（二）提议召开业主大会；\n\n\
        1. 书面提议；\n2．网上提议。\n\n（三）法律、法规规定的其他权利。\n\n\
        第三条之一 【业主的义务】业主应当遵守管理规约。\n\n\
        第四条 第三条规定的权利，业主可以委托他人行使。\n\n\
        ## 第三章 附则\n\n第五条 本条例自2025年1月1日起施行。\n";

    #[test]
    fn a_draft_is_read_into_its_structure() {
        let p = parse(LAW);
        assert_eq!(p.title, "某某市物业管理条例（草案）");
        assert_eq!(p.enacting.len(), 1);
        assert!(p.enacting[0].contains("通过"));
        assert_eq!(p.toc, vec!["第一章 总则", "第二章 业主", "附则"]);
        assert!(p.issues.is_empty(), "{:?}", p.issues);
        let [parts, chapters, sections, articles, paragraphs, items, subitems] = p.counts();
        assert_eq!((parts, chapters, sections, articles, items, subitems), (0, 3, 1, 6, 3, 2));
        assert_eq!(paragraphs, 7);
        let a: Vec<&str> = p.articles().iter().map(|a| a.number.as_str()).collect();
        assert_eq!(a, ["第一条", "第二条", "第三条", "第三条之一", "第四条", "第五条"]);
        let third = p.articles()[2];
        assert_eq!(third.children.len(), 1, "one paragraph holding the items");
        let items = &third.children[0].children;
        assert_eq!(items.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(), ["（一）", "（二）", "（三）"]);
        assert_eq!(items[1].children.len(), 2, "two 目 under （二）");
        assert_eq!(items[1].children[1].text, "网上提议。");
        let one = p.articles()[3];
        assert_eq!((one.ordinal, one.sub, one.heading.as_str()), (3, 1, "业主的义务"));
        // 「第三条规定的权利」 is a sentence, not an article.
        assert!(p.articles()[4].full_text().starts_with("第三条规定的权利"));
        let second = p.articles()[1];
        assert_eq!(second.children.len(), 2);
        assert_eq!(second.children[1].number, "第二款");
        // The chapter holding 第三条 is 第二章, through its section.
        assert_eq!(p.body[1].children[0].kind, Kind::Section);
        assert_eq!(p.flatten().len(), 3 + 1 + 6 + 7 + 3 + 2);
    }

    #[test]
    fn hundreds_of_articles_and_parts() {
        let mut text = String::from("某法\n第一编 总则\n第一章 一般规定\n");
        for n in 1..=120 {
            if n == 60 {
                text.push_str("第二编 分则\n第一章 特别规定\n");
            }
            text.push_str(&format!("第{}条 条文{n}。\n", to_chinese(n)));
        }
        let p = parse(&text);
        assert!(p.issues.is_empty(), "{:?}", p.issues);
        assert_eq!(p.articles().len(), 120);
        assert_eq!(p.articles()[100].number, "第一百零一条");
        assert_eq!(p.articles()[109].number, "第一百一十条");
        assert_eq!(p.counts()[0], 2);
        assert_eq!(p.counts()[1], 2, "chapters restart under each part");
    }

    #[test]
    fn malformed_input_is_reported_with_its_line() {
        let p = parse("条例\n第一条 甲。\n第二条 乙。\n第四条 丁。\n第四条 又一个丁。\n第五条之三 错。\n");
        let m: Vec<&str> = p.issues.iter().map(|i| i.message.as_str()).collect();
        assert!(m[0].contains("第 4 行「第四条」之前缺少第三条"), "{m:?}");
        assert!(m[1].contains("第 5 行「第四条」编号重复或倒序"), "{m:?}");
        assert!(m[2].contains("第 6 行「第五条之三」"), "{m:?}");
        let p = parse("一个标题\n第一章 总则\n这一行不是条文。\n第一条 甲。\n");
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].line, 3);
        assert!(
            p.issues[0].message.contains("第 3 行无法识别（在「第一章」之后）：「这一行不是条文。」"),
            "{:?}",
            p.issues
        );
        let p = parse("只有一段话，没有条文。");
        assert!(p.issues[0].message.contains("没有识别出任何条文"));
        let p = parse("标题\n第X条 乱码\n");
        assert!(p.issues.iter().any(|i| i.message.contains("无法识别")), "{:?}", p.issues);
        let p = parse("标题\n第二条 从第二条开始。\n");
        assert!(p.issues[0].message.contains("第一条应为「第一条」"), "{:?}", p.issues);
    }

    #[test]
    fn a_space_before_the_unit_and_a_dash_for_one_are_read() {
        // Two real regulations of the corpus: 「第十五 条工商行政管理部门…」 (重庆市合同格式条款监督条例)
        // and 「第三十－条」 (彭水苗族土家族自治县城乡建设管理条例): each an article, not a paragraph
        // of the article before it.
        let p = parse("某条例\n第十九条 甲。\n第二十 条工商行政管理部门发现……\n第二十－条 丙。\n第二十二条 丁。");
        let a: Vec<(i64, &str)> = p.articles().iter().map(|a| (a.ordinal, a.number.as_str())).collect();
        assert_eq!(a, [(19, "第十九条"), (20, "第二十 条"), (21, "第二十－条"), (22, "第二十二条")]);
        assert_eq!(p.articles()[1].full_text(), "工商行政管理部门发现……");
        let m: Vec<&str> = p.issues.iter().map(|i| i.message.as_str()).collect();
        assert!(m.iter().any(|x| x.contains("「第二十－条」中的横线按「一」读作第二十一条")), "{m:?}");
        assert!(!m.iter().any(|x| x.contains("缺少")), "{m:?}");
        assert_eq!(chinese_number("三十－"), Some(31));
        assert_eq!(chinese_number("－"), None, "a dash alone is no number");
        // A sentence about an article stays text.
        assert_eq!(parse("某条例\n第一条 甲。\n第一 条规定的事项，依照本条例。").articles().len(), 1);
    }

    #[test]
    fn full_width_spaces_and_zero_width_characters_are_no_structure() {
        let p =
            parse("标题\n\u{200b}\n第一章\u{3000}总\u{3000}则\n第一条\u{3000}\u{3000}正文。\n\u{feff}第二条 二。\n");
        assert!(p.issues.is_empty(), "{:?}", p.issues);
        assert_eq!(p.body[0].heading, "总 则");
        assert_eq!(p.articles()[0].children[0].text, "正文。");
    }
}
