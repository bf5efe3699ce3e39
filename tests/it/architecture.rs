//! The architecture, read from the source (like ArchUnit rules). A small reader turns every
//! path a file names into the crate — `crate::…`, `self::…`, `super::super::…` chains, a child
//! module's name, nested `use` groups, `pub use` re-exports followed to the file that defines
//! the item — into an import graph between files, and the tests check that:
//!
//! - no two files import each other, directly or round a circle;
//! - the platform's own modules stand in layers (`LAYERS`) and import only lower layers;
//! - the platform imports no domain, and domains import each other only as `DOMAINS` allows;
//! - files that define request handlers (found by what they contain, whatever their name)
//!   never open a write transaction themselves nor write on the bare connection;
//! - each module's SQL touches only its own tables (the manifest's: `Module::tables`, `PLATFORM_TABLES`), the platform's tables below
//!   it, and the tables of the domains it may import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use renda::db;

use crate::db_test;
use crate::support::TestApp;

// ------------------------------------------------------------------ the rules

/// The platform's own layers, lowest first. A platform module imports only modules of lower
/// layers (or itself); modules of one layer do not import each other.
const LAYERS: &[(&str, &[&str])] = &[
    ("base: the error type, configuration, formats, the text rule, caches, counters", &["base"]),
    ("tools: the database, and helpers that need nothing else of ours", &["db", "export", "nlp", "qr", "sheet"]),
    ("records: the audit chain, field encryption and masking, file storage", &["audit", "privacy", "storage"]),
    (
        "services: organs and units, jobs, files, messages, publications",
        &["attachments", "jobs", "links", "notify", "org", "publish"],
    ),
    ("accounts and authorization (accounts belong to organs and units)", &["auth"]),
    ("web kernel: state, modules, router, middleware, guard, write path, pages", &["app"]),
    ("platform features with their own pages", &["calendar", "webhooks"]),
];
/// The assembly: above everything, puts the domains together (and the binary's commands).
const ASSEMBLY: &[&str] = &["modules", "cli", "demo"];
/// Domains, with the domains each may import (a domain never imports one that imports it).
const DOMAINS: &[(&str, &[&str])] = &[
    ("system", &[]),
    ("registry", &[]),
    ("handling", &["registry"]),
    ("opinions", &["handling", "registry"]),
    ("receptions", &["opinions", "registry", "handling"]),
    ("appointments", &["opinions", "registry"]),
    ("ballot", &[]),
    ("suggestions", &["ballot", "handling", "opinions", "registry"]),
    ("legislation", &["ballot", "opinions", "registry", "suggestions"]),
    ("meetings", &["ballot", "registry"]),
];

/// The owner of every table of the schema: the module whose code keeps it (one migration
/// may make the tables of several modules, e.g. `m0008_handling` made `calendar_days` and
/// `sms_outbox`). `every_table_has_one_owner` checks this list against the migrated schema.
fn tables() -> Vec<(&'static str, &'static [&'static str])> {
    // The manifest is the one list: the platform's tables, then each module's.
    // `seaql_migrations` is the migrator's own bookkeeping, not a table of the schema.
    renda::app::state::PLATFORM_TABLES
        .iter()
        .copied()
        .filter(|(m, _)| *m != "db")
        .chain(renda::modules::MODULES.iter().map(|m| (m.name, m.tables)))
        .collect()
}

/// Modules that name tables they may not, each with the reason it stays.
const TABLE_EXCEPTIONS: &[(&str, &[&str], &str)] = &[
    (
        "app",
        &["calendar_days", "calendar_years"],
        "the manifest itself: `PLATFORM_TABLES` names each platform table with its owner and reads none",
    ),
    (
        "audit",
        &["accounts", "areas", "handling_units", "jobs", "organs"],
        "the manifest itself: `PLATFORM_RECORDS` says where the audit log finds a platform record's title \
         (table, key, column); `system::admin_audit` reads them, this module reads none",
    ),
    (
        "db",
        &["audit_head"],
        "`begin_write`'s first statement updates the audit chain's head row: that row lock is the one \
         write lock every writer takes, so the database layer names the audit table by design",
    ),
    (
        "org",
        &["accounts", "account_roles"],
        "a handling unit's contact person may be linked to one of the unit's own `unit` accounts: \
         `units::contacts` shows its user name, `units::unit_accounts` offers and checks them. To \
         remove: the account side of the link moves to `auth` (above `org`), the registry's unit \
         pages ask both",
    ),
    (
        "auth",
        &["persons", "stations"],
        "the account form picks the deputy or station an account acts for by name \
         (`accounts::linkable`, table names in `Link::sql`) and `accounts::create` checks the id \
         exists: the platform reads the registry's tables by name. To remove: the registry offers \
         the look-up and the check through the state (as domains offer `webhooks::Hooks`), \
         registered by the assembly and called by `system::admin`",
    ),
];

/// Handler files that write on the bare connection (outside the audited write path), each
/// with the reason it stays.
const BARE_WRITES: &[(&str, &str)] = &[];

// ------------------------------------------------------------------ reading the source

/// A token of code: an identifier (or number), `::`, a string literal (by its index in
/// `Lexed::strings`), or one punctuation character.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Id(String),
    Colons,
    Str(usize),
    P(char),
}

/// A file without its comments: its tokens, and the text of its string literals.
struct Lexed {
    toks: Vec<Tok>,
    strings: Vec<String>,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A string literal starting at `c[i]` (`"…"`, `b"…"`, `r#"…"#`, `br"…"`, `c"…"`): where it
/// ends and its text (escapes of ordinary strings resolved, line continuations joined).
fn string_at(c: &[char], i: usize) -> Option<(usize, String)> {
    let mut j = i;
    if matches!(c.get(j), Some('b' | 'c')) {
        j += 1;
    }
    let raw = c.get(j) == Some(&'r');
    if raw {
        j += 1;
        let hashes = c[j..].iter().take_while(|&&x| x == '#').count();
        j += hashes;
        if c.get(j) != Some(&'"') {
            return None;
        }
        let start = j + 1;
        let mut k = start;
        while k < c.len() {
            if c[k] == '"' && c[k + 1..].iter().take(hashes).filter(|&&x| x == '#').count() == hashes {
                return Some((k + 1 + hashes, c[start..k].iter().collect()));
            }
            k += 1;
        }
        return Some((c.len(), c[start..].iter().collect()));
    }
    if c.get(j) != Some(&'"') {
        return None;
    }
    let mut k = j + 1;
    let mut text = String::new();
    while k < c.len() && c[k] != '"' {
        if c[k] == '\\' && k + 1 < c.len() {
            k += 1;
            match c[k] {
                'n' => text.push('\n'),
                't' => text.push('\t'),
                'r' => text.push('\r'),
                '\n' => {
                    while k + 1 < c.len() && c[k + 1].is_whitespace() {
                        k += 1;
                    }
                }
                other => text.push(other),
            }
        } else {
            text.push(c[k]);
        }
        k += 1;
    }
    Some((k + 1, text))
}

fn lex(text: &str) -> Lexed {
    let c: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut strings = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        let after_ident = i > 0 && is_ident(c[i - 1]);
        if ch == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if !after_ident && let Some((end, s)) = string_at(&c, i) {
            toks.push(Tok::Str(strings.len()));
            strings.push(s);
            i = end;
        } else if ch == '\'' {
            // A character literal ('x', '\n', '\'', '\u{1F600}'), else a lifetime or label.
            if c.get(i + 1) == Some(&'\\') {
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                toks.push(Tok::P('\''));
                i += 1;
            }
        } else if is_ident(ch) {
            let start = i;
            while i < c.len() && is_ident(c[i]) {
                i += 1;
            }
            toks.push(Tok::Id(c[start..i].iter().collect()));
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            toks.push(Tok::Colons);
            i += 2;
        } else {
            if !ch.is_whitespace() {
                toks.push(Tok::P(ch));
            }
            i += 1;
        }
    }
    Lexed { toks, strings }
}

fn id(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Id(s)) => Some(s),
        _ => None,
    }
}

/// One leaf of a path or use tree: the absolute path and the name it is known by here.
type Leaf = (Vec<String>, String);

/// Reads the rest of a path or use tree at `toks[i]`, below `prefix`: segments, nested
/// groups, `self` in a group, `as` renames, globs. Returns where it ends.
fn tree(toks: &[Tok], mut i: usize, prefix: Vec<String>, out: &mut Vec<Leaf>) -> usize {
    let mut path = prefix;
    loop {
        match toks.get(i) {
            Some(Tok::P('{')) => {
                i += 1;
                loop {
                    match toks.get(i) {
                        Some(Tok::P('}')) => return i + 1,
                        Some(Tok::P(',')) => i += 1,
                        None => return i,
                        _ => {
                            let j = tree(toks, i, path.clone(), out);
                            i = if j == i { i + 1 } else { j };
                        }
                    }
                }
            }
            Some(Tok::P('*')) => {
                out.push((path, "*".into()));
                return i + 1;
            }
            Some(Tok::Id(s)) if s == "self" && !path.is_empty() => {
                i += 1;
                let mut name = path.last().cloned().unwrap_or_default();
                if id(toks.get(i)) == Some("as") {
                    name = id(toks.get(i + 1)).unwrap_or("_").to_string();
                    i += 2;
                }
                out.push((path, name));
                return i;
            }
            Some(Tok::Id(s)) => {
                path.push(s.clone());
                i += 1;
                if toks.get(i) == Some(&Tok::Colons) {
                    i += 1;
                    continue;
                }
                let mut name = s.clone();
                if id(toks.get(i)) == Some("as") {
                    name = id(toks.get(i + 1)).unwrap_or("_").to_string();
                    i += 2;
                }
                out.push((path, name));
                return i;
            }
            _ => {
                if !path.is_empty() {
                    let name = path.last().cloned().unwrap_or_default();
                    out.push((path, name));
                }
                return i;
            }
        }
    }
}

fn segs(module: &str) -> Vec<String> {
    module.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// What one file names: every absolute path, and its `pub use` re-exports (scope, name, path).
#[derive(Default)]
struct Read {
    paths: Vec<Vec<String>>,
    reexports: Vec<(String, String, Vec<String>)>,
}

/// Reads a file of module `module`; `modules` are the crate's files (a child module is named
/// by its bare name too, like `pages::routes` in a `mod.rs`).
fn read(module: &str, lexed: &Lexed, modules: &BTreeSet<String>) -> Read {
    let toks = &lexed.toks;
    let file = segs(module);
    // First the inline modules (`mod tests { … }`): the scope of every token.
    let mut scope_of = Vec::with_capacity(toks.len());
    let mut inline: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut stack: Vec<(usize, Vec<String>)> = vec![(0, file.clone())];
    let mut depth = 0;
    let mut pending: Option<String> = None;
    for (i, t) in toks.iter().enumerate() {
        scope_of.push(stack.last().map(|s| s.1.clone()).unwrap_or_default());
        match t {
            Tok::Id(k) if k == "mod" => pending = id(toks.get(i + 1)).map(str::to_string),
            Tok::P(';') => pending = None,
            Tok::P('{') => {
                depth += 1;
                if let Some(name) = pending.take() {
                    let mut p = stack.last().map(|s| s.1.clone()).unwrap_or_default();
                    p.push(name);
                    inline.insert(p.clone());
                    stack.push((depth, p));
                }
            }
            Tok::P('}') => {
                if stack.len() > 1 && stack.last().is_some_and(|s| s.0 == depth) {
                    stack.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    let is_child = |here: &[String], name: &str| {
        let mut p = here.to_vec();
        p.push(name.to_string());
        inline.contains(&p) || modules.contains(&p.join("::"))
    };
    let mut out = Read::default();
    let mut i = 0;
    while i < toks.len() {
        let Some(first) = id(toks.get(i)) else {
            i += 1;
            continue;
        };
        if (i > 0 && matches!(toks[i - 1], Tok::Colons | Tok::P('.'))) || toks.get(i + 1) != Some(&Tok::Colons) {
            i += 1;
            continue;
        }
        let here = &scope_of[i];
        let (mut j, mut base) = match first {
            "crate" => (i + 2, Vec::new()),
            "self" => (i + 2, here.clone()),
            "super" => (i, here.clone()),
            name if is_child(here, name) => (i, here.clone()),
            _ => {
                i += 1;
                continue;
            }
        };
        while id(toks.get(j)) == Some("super") && toks.get(j + 1) == Some(&Tok::Colons) {
            base.pop();
            j += 2;
        }
        let public_use = i >= 2
            && id(toks.get(i - 1)) == Some("use")
            && (id(toks.get(i - 2)) == Some("pub") || toks.get(i - 2) == Some(&Tok::P(')')));
        let mut leaves = Vec::new();
        let end = tree(toks, j, base, &mut leaves);
        for (path, name) in leaves {
            if public_use && name != "*" {
                out.reexports.push((here.join("::"), name, path.clone()));
            }
            out.paths.push(path);
        }
        i = end.max(i + 1);
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/a/b.rs` → `a::b`, `src/a/mod.rs` → `a`, `src/lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().to_string()).collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib" || l == "main") {
        parts.pop();
    }
    parts.join("::")
}

/// The crate's files (but `lib.rs` and `main.rs`, which only declare and call), lexed.
fn sources() -> Vec<(String, Lexed)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|f| (module_of(&src, f), lex(&std::fs::read_to_string(f).unwrap())))
        .filter(|(m, _)| !m.is_empty())
        .collect()
}

struct Graph {
    modules: BTreeSet<String>,
    /// File → the files it imports (re-exports followed to the defining file).
    edges: BTreeMap<String, BTreeSet<String>>,
    /// File → the top-level modules its paths name as written (`crate::app::error` names
    /// `app`, even though the error type lives in `base`).
    named: BTreeMap<String, BTreeSet<String>>,
}

/// The file a path leads to: the longest prefix that is a file, through re-exports.
fn resolve(
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<(String, String), Vec<String>>,
    path: &[String],
) -> Option<String> {
    let mut path = path.to_vec();
    for _ in 0..8 {
        let n = (0..=path.len()).rev().find(|&n| modules.contains(&path[..n].join("::")))?;
        let file = path[..n].join("::");
        if n < path.len()
            && let Some(target) = reexports.get(&(file.clone(), path[n].clone()))
            && *target != path[..=n]
        {
            let mut next = target.clone();
            next.extend(path[n + 1..].iter().cloned());
            path = next;
            continue;
        }
        return Some(file);
    }
    None
}

fn graph_of(files: &[(String, Lexed)]) -> Graph {
    let mut modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    modules.insert(String::new());
    let reads: Vec<(&String, Read)> = files.iter().map(|(m, l)| (m, read(m, l, &modules))).collect();
    let reexports: BTreeMap<(String, String), Vec<String>> = reads
        .iter()
        .flat_map(|(_, r)| r.reexports.iter().map(|(scope, name, path)| ((scope.clone(), name.clone()), path.clone())))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, r) in &reads {
        for path in &r.paths {
            if let Some(first) = path.first() {
                named.entry(m.to_string()).or_default().insert(first.clone());
            }
            // A file's use of its own folder (`super::X` into the `mod.rs`) is not an edge.
            if let Some(t) = resolve(&modules, &reexports, path)
                && !t.is_empty()
                && t != **m
                && !m.starts_with(&format!("{t}::"))
            {
                edges.entry(m.to_string()).or_default().insert(t);
            }
        }
    }
    Graph { modules, edges, named }
}

fn graph() -> Graph {
    graph_of(&sources())
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.g.edges.get(v) {
            for w in ws {
                let w = w.as_str();
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for m in &g.modules {
        if !t.index.contains_key(m.as_str()) {
            visit(&mut t, m.as_str());
        }
    }
    t.out
}

fn top(m: &str) -> &str {
    m.split("::").next().unwrap_or("")
}

/// The platform layer of a top-level module.
fn layer(m: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&m))
}

fn is_platform(m: &str) -> bool {
    layer(m).is_some()
}

/// Every (file, top-level module) pair an import makes: by the file it reaches and by the
/// module it names.
fn top_level_imports(g: &Graph) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (from, tos) in g.edges.iter().chain(&g.named) {
        for to in tos {
            let t = top(to);
            if !t.is_empty() && t != top(from) && g.modules.contains(t) {
                out.insert((from.clone(), t.to_string()));
            }
        }
    }
    out
}

// ------------------------------------------------------------------ imports

#[test]
fn no_import_circle_between_files() {
    let g = graph();
    assert!(g.edges.values().map(BTreeSet::len).sum::<usize>() > 500, "the reader found the imports");
    let found = circles(&g);
    assert!(
        found.is_empty(),
        "import circles between files:\n{}",
        found.iter().map(|c| c.join(" ↔ ")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_platform_layers_point_down() {
    let all: Vec<&str> = LAYERS.iter().flat_map(|(_, ms)| ms.iter().copied()).collect();
    let once: BTreeSet<&str> = all.iter().copied().collect();
    assert_eq!(all.len(), once.len(), "a module in two layers");
    let mut wrong = Vec::new();
    for (from, to) in top_level_imports(&graph()) {
        if let Some(lf) = layer(top(&from))
            && layer(&to).is_none_or(|lt| lt >= lf)
        {
            let (name, _) = LAYERS[lf];
            wrong.push(format!("{from} → {to} (from the layer \"{name}\")"));
        }
    }
    assert!(wrong.is_empty(), "platform imports that do not point to a lower layer:\n{}", wrong.join("\n"));
}

#[test]
fn the_platform_imports_no_domain_and_domains_follow_the_table() {
    let g = graph();
    let mut wrong = Vec::new();
    for (from, t) in top_level_imports(&g) {
        let f = top(&from);
        let ok = if is_platform(f) {
            is_platform(&t)
        } else if ASSEMBLY.contains(&f) {
            true
        } else if let Some((_, allowed)) = DOMAINS.iter().find(|(d, _)| *d == f) {
            is_platform(&t) || allowed.contains(&t.as_str())
        } else {
            false
        };
        if !ok {
            wrong.push(format!("{from} → {t}"));
        }
    }
    let unplaced: BTreeSet<&str> = g
        .modules
        .iter()
        .map(|m| top(m))
        .filter(|t| !t.is_empty() && !is_platform(t) && !ASSEMBLY.contains(t) && !DOMAINS.iter().any(|(d, _)| d == t))
        .collect();
    assert!(unplaced.is_empty(), "top-level modules not placed in a layer: {unplaced:?}");
    assert!(wrong.is_empty(), "imports against the layering:\n{}", wrong.join("\n"));
}

#[test]
fn the_reader_understands_paths() {
    let modules: BTreeSet<String> =
        ["", "a", "a::b", "a::b::c", "a::b::c::k", "a::d", "e", "e::f"].iter().map(|s| s.to_string()).collect();
    let text = r##"
        //! crate::in_a_doc_comment
        use crate::{e::{self, f::G}, a::d as dd};
        use super::super::d::X; /* crate::in_a_comment */
        use self::k::Y;
        pub use crate::e::f::H as Hh;
        fn f<'a>(x: &'a str) -> char {
            let s = "crate::in_a_string"; let r = r#"super::in_a_raw_string"#;
            k::run(); other::thing(); x.self_check(); '{'
        }
        mod tests { use super::*; use super::super::Z; }
    "##;
    let lexed = lex(text);
    let r = read("a::b::c", &lexed, &modules);
    let paths: Vec<String> = r.paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        ["e", "e::f::G", "a::d", "a::d::X", "a::b::c::k::Y", "e::f::H", "a::b::c::k::run", "a::b::c", "a::b::Z"]
    );
    assert_eq!(lexed.strings, ["crate::in_a_string", "super::in_a_raw_string"]);
    assert_eq!(r.reexports, [("a::b::c".to_string(), "Hh".to_string(), segs("e::f::H"))]);
    // A re-export leads to the file that defines the item.
    let reexports = BTreeMap::from([(("a::b::c".to_string(), "Hh".to_string()), segs("e::f::H"))]);
    assert_eq!(resolve(&modules, &reexports, &segs("a::b::c::Hh::new")), Some("e::f".to_string()));
    assert_eq!(resolve(&modules, &reexports, &segs("a::b::c::k::run")), Some("a::b::c::k".to_string()));
    // The graph: `super::*` in the test module is the file itself, `a::d as dd` an edge to `a::d`.
    let files: Vec<(String, Lexed)> = [("a::b::c", text), ("a::d", "use crate::e::f;"), ("a", ""), ("a::b", "")]
        .into_iter()
        .chain([("a::b::c::k", ""), ("e", "pub use crate::e::f::H;"), ("e::f", "")])
        .map(|(m, t)| (m.to_string(), lex(t)))
        .collect();
    let g = graph_of(&files);
    assert_eq!(g.edges["a::b::c"], ["a::b::c::k", "a::d", "e", "e::f"].iter().map(|s| s.to_string()).collect());
    assert_eq!(g.edges["a::d"], ["e::f"].iter().map(|s| s.to_string()).collect());
    assert_eq!(g.named["a::b::c"], ["a", "e"].iter().map(|s| s.to_string()).collect());
}

// ------------------------------------------------------------------ the write path

/// Whether a file defines axum handlers, whatever its name: a function taking the state
/// extractor (`State(s): State<AppState>`), or a route to a function the file defines.
fn defines_handlers(l: &Lexed) -> bool {
    let t = &l.toks;
    let extractor = t.windows(6).any(|w| {
        matches!(w, [Tok::Id(a), Tok::P('('), Tok::Id(_), Tok::P(')'), Tok::P(':'), Tok::Id(b)] if a == "State" && b == "State")
    });
    let defined: BTreeSet<&str> = t
        .windows(2)
        .filter_map(|w| match w {
            [Tok::Id(k), Tok::Id(n)] if k == "fn" => Some(n.as_str()),
            _ => None,
        })
        .collect();
    let routed = t.windows(3).any(|w| {
        matches!(w, [Tok::Id(m), Tok::P('('), Tok::Id(f)]
            if ["get", "post", "put", "patch", "delete"].contains(&m.as_str()) && defined.contains(f.as_str()))
    });
    extractor || routed
}

/// Where a file opens a transaction: `begin_write` or a bare `.begin()`.
fn opens_transaction(l: &Lexed) -> bool {
    l.toks.iter().any(|t| matches!(t, Tok::Id(s) if s == "begin_write"))
        || l.toks.windows(4).any(|w| matches!(w, [Tok::P('.'), Tok::Id(b), Tok::P('('), Tok::P(')')] if b == "begin"))
}

/// Writes on the request's bare connection: `exec(&s.db, "UPDATE …")` and the like.
fn bare_writes(l: &Lexed) -> Vec<String> {
    l.toks
        .windows(8)
        .filter_map(|w| match w {
            [Tok::Id(f), Tok::P('('), Tok::P('&'), Tok::Id(s), Tok::P('.'), Tok::Id(d), Tok::P(','), Tok::Str(k)]
                if ["exec", "insert_id"].contains(&f.as_str()) && ["s", "state"].contains(&s.as_str()) && d == "db" =>
            {
                let sql = l.strings[*k].trim_start();
                ["INSERT", "UPDATE", "DELETE"]
                    .iter()
                    .any(|kw| sql.starts_with(kw))
                    .then(|| sql.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            }
            _ => None,
        })
        .collect()
}

/// The one write path: files that define handlers — pages, API, public pages, whatever they
/// are called — write through `app::write`, never by opening a transaction themselves or by
/// writing on the bare connection.
#[test]
fn handlers_write_through_the_write_path() {
    let files = sources();
    let handlers: Vec<&(String, Lexed)> = files.iter().filter(|(_, l)| defines_handlers(l)).collect();
    let names: BTreeSet<&str> = handlers.iter().map(|(m, _)| m.as_str()).collect();
    assert!(handlers.len() >= 40, "{names:?}");
    for m in ["handling::pages", "calendar::pages", "webhooks::pages", "opinions::lost", "app::files", "system::admin"]
    {
        assert!(names.contains(m), "{m} defines handlers: {names:?}");
    }
    for m in ["app::write", "opinions::service", "auth", "db"] {
        assert!(!names.contains(m), "{m} defines no handler");
    }
    let opening: Vec<&str> = handlers.iter().filter(|(_, l)| opens_transaction(l)).map(|(m, _)| m.as_str()).collect();
    assert!(opening.is_empty(), "handlers opening their own write transaction: {opening:?}");
    let mut bare = Vec::new();
    for (m, l) in &handlers {
        for w in bare_writes(l) {
            if !BARE_WRITES.iter().any(|(f, _)| *f == m.as_str()) {
                bare.push(format!("{m}: {w}…"));
            }
        }
    }
    assert!(bare.is_empty(), "handlers writing outside the write path:\n{}", bare.join("\n"));
    for (m, why) in BARE_WRITES {
        let l = &files.iter().find(|(f, _)| f.as_str() == *m).unwrap().1;
        assert!(!bare_writes(l).is_empty() && !why.is_empty(), "{m} is listed in BARE_WRITES but writes no more");
    }
}

// ------------------------------------------------------------------ tables

fn owner(table: &str) -> Option<&'static str> {
    tables().into_iter().find(|(_, ts)| ts.contains(&table)).map(|(m, _)| m)
}

fn table_named(word: &str) -> Option<&'static str> {
    tables().into_iter().flat_map(|(_, ts)| ts.iter()).find(|t| **t == word).copied()
}

/// The tables a string literal names: after `FROM`, `JOIN`, `INTO` or `UPDATE`, or the whole
/// literal (a table name handed to `format!("… FROM {table}")`).
fn tables_in(sql: &str) -> Vec<&'static str> {
    if let Some(t) = table_named(sql.trim()) {
        return vec![t];
    }
    let words: Vec<&str> = sql.split(|c: char| !is_ident(c)).filter(|w| !w.is_empty()).collect();
    words
        .windows(2)
        .filter(|w| ["FROM", "JOIN", "INTO", "UPDATE"].contains(&w[0]))
        .filter_map(|w| table_named(w[1]))
        .collect()
}

/// Whether module `m` may touch a table of module `o`.
fn may_touch(m: &str, o: &str) -> bool {
    if m == o || ASSEMBLY.contains(&m) {
        return true;
    }
    match (layer(m), layer(o)) {
        (Some(lm), Some(lo)) => lo < lm,
        (Some(_), None) => false,
        (None, Some(_)) => true,
        (None, None) => DOMAINS.iter().any(|(d, allowed)| *d == m && allowed.contains(&o)),
    }
}

#[test]
fn sql_touches_only_the_tables_a_module_may() {
    let files = sources();
    let mut wrong = BTreeSet::new();
    let mut excused = BTreeSet::new();
    let mut seen = 0;
    for (file, l) in &files {
        // The migrations make every table.
        if file.starts_with("db::migrations") {
            continue;
        }
        let m = top(file);
        for t in l.strings.iter().flat_map(|s| tables_in(s)) {
            seen += 1;
            let o = owner(t).unwrap();
            if may_touch(m, o) {
                continue;
            }
            if TABLE_EXCEPTIONS.iter().any(|(em, ets, _)| *em == m && ets.contains(&t)) {
                excused.insert((m, t));
            } else {
                wrong.insert(format!("{file} → {t} ({o}'s)"));
            }
        }
    }
    assert!(seen > 500, "the reader found the SQL ({seen} table names)");
    assert!(
        wrong.is_empty(),
        "SQL touching another module's tables:\n{}",
        wrong.into_iter().collect::<Vec<_>>().join("\n")
    );
    for (m, ts, why) in TABLE_EXCEPTIONS {
        for t in *ts {
            assert!(excused.contains(&(*m, *t)) && !why.is_empty(), "the exception {m} → {t} is no longer needed");
        }
    }
}

#[test]
fn the_table_reader_finds_tables() {
    assert_eq!(
        tables_in("SELECT a.id FROM \"accounts\" a JOIN organs o ON o.id = a.organ_id WHERE EXISTS (SELECT 1 FROM x)"),
        ["accounts", "organs"]
    );
    assert_eq!(tables_in("INSERT INTO jobs (kind) VALUES ($1) ON CONFLICT DO UPDATE SET kind = $1"), ["jobs"]);
    assert_eq!(tables_in("UPDATE persons SET name = $1; DELETE FROM stations"), ["persons", "stations"]);
    assert!(may_touch("opinions", "registry") && may_touch("opinions", "auth") && !may_touch("registry", "opinions"));
    assert_eq!(tables_in(" persons "), ["persons"]);
    assert!(tables_in("persons and stations").is_empty());
    assert!(may_touch("app", "notify") && may_touch("auth", "org") && !may_touch("org", "auth"));
    assert!(!may_touch("notify", "jobs") && !may_touch("auth", "registry") && !may_touch("registry", "receptions"));
}

/// Every table of the migrated schema has one owner in the manifest, and every table there exists.
async fn every_table_has_one_owner(app: TestApp) {
    let sqlite = app.db().get_database_backend() == sea_orm::DbBackend::Sqlite;
    let sql = if sqlite {
        "SELECT name, COALESCE(sql, '') AS sql FROM sqlite_master WHERE type = 'table'"
    } else {
        "SELECT CAST(table_name AS TEXT) AS name, CAST('' AS TEXT) AS sql FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    };
    let rows = db::query_rows(app.db(), sql, vec![]).await.unwrap();
    let all: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.try_get::<String>("", "name").unwrap(), r.try_get::<String>("", "sql").unwrap()))
        .collect();
    let virtual_tables: Vec<&str> =
        all.iter().filter(|(_, s)| s.starts_with("CREATE VIRTUAL TABLE")).map(|(n, _)| n.as_str()).collect();
    // SQLite's own tables, the migration log, and the shadow tables of a full-text index.
    let schema: BTreeSet<&str> = all
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !n.starts_with("sqlite_") && *n != "seaql_migrations")
        .filter(|n| !virtual_tables.iter().any(|v| n.starts_with(&format!("{v}_"))))
        .collect();
    assert!(schema.len() > 50, "{schema:?}");
    let listed: Vec<&str> = tables().into_iter().flat_map(|(_, ts)| ts.iter().copied()).collect();
    let once: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(listed.len(), once.len(), "a table with two owners");
    let unowned: Vec<&&str> = schema.iter().filter(|t| !once.contains(**t)).collect();
    assert!(unowned.is_empty(), "tables without an owner in the manifest: {unowned:?}");
    // The full-text index is SQLite's; PostgreSQL indexes `opinions.search_text` instead.
    let missing: Vec<&&str> =
        once.iter().filter(|t| !schema.contains(**t) && (sqlite || !t.ends_with("_fts"))).collect();
    assert!(missing.is_empty(), "tables in the manifest that the migrations do not make: {missing:?}");
    for (m, _) in tables() {
        assert!(is_platform(m) || DOMAINS.iter().any(|(d, _)| *d == m), "{m} is no module");
    }
}
db_test!(every_table_has_one_owner);
