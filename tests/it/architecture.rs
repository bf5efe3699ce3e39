//! The architecture, read from the source (like ArchUnit rules): the files' `crate::` and
//! `super::` paths form an import graph that must have no circle, the platform must import no
//! domain, and domains import each other only as the table below allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules of the platform: they sit below every domain and import none.
const PLATFORM: &[&str] = &[
    "app",
    "attachments",
    "audit",
    "auth",
    "calendar",
    "db",
    "export",
    "jobs",
    "nlp",
    "notify",
    "org",
    "privacy",
    "publish",
    "qr",
    "sheet",
    "storage",
    "webhooks",
];
/// The assembly: above everything, puts the domains together (and the binary's commands).
const ASSEMBLY: &[&str] = &["modules", "cli", "demo"];
/// Domains, with the domains each may import (a domain never imports one that imports it).
const DOMAINS: &[(&str, &[&str])] = &[
    ("system", &[]),
    ("registry", &[]),
    ("handling", &[]),
    ("opinions", &["handling", "registry"]),
    ("receptions", &["opinions", "registry", "handling"]),
    ("appointments", &["opinions", "registry"]),
    ("suggestions", &["handling"]),
];

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

/// Paths named by a use tree starting at `text` (after `crate::`/`super::`), braces expanded.
fn use_tree(text: &str, prefix: &str, out: &mut Vec<String>) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut path = prefix.to_string();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            if !path.is_empty() {
                path.push_str("::");
            }
            path.push_str(&text[start..i]);
        }
        if text[i..].starts_with("::{") {
            i += 3;
            loop {
                while i < bytes.len() && (bytes[i] as char).is_whitespace() {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b'}' {
                    return i + 1;
                }
                i += use_tree(&text[i..], &path, out);
                while i < bytes.len() && ((bytes[i] as char).is_whitespace() || bytes[i] == b',') {
                    i += 1;
                }
                if i >= bytes.len() {
                    return i;
                }
            }
        } else if text[i..].starts_with("::") {
            i += 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

/// Strips comments (line and doc) so that paths in prose do not count.
fn code_only(text: &str) -> String {
    text.lines().map(|l| if let Some(i) = l.find("//") { &l[..i] } else { l }).collect::<Vec<_>>().join("\n")
}

fn references(module: &str, text: &str) -> Vec<String> {
    let code = code_only(text);
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        use_tree(&code[i + 7..], "", &mut out);
    }
    // `super::` relative to the file's module (a `mod tests` inside a file counts as the file).
    let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    for (i, _) in code.match_indices("super::") {
        if i >= 2 && &code[i - 2..i] == "::" {
            continue;
        }
        let base = parent[..parent.len().saturating_sub(1)].join("::");
        use_tree(&code[i + 7..], &base, &mut out);
    }
    out
}

struct Graph {
    modules: BTreeSet<String>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        if m.is_empty() || m == "main" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for path in references(&m, &text) {
            // The longest module that is a prefix of the path is the file it names.
            let segs: Vec<&str> = path.split("::").collect();
            let target = (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|p| modules.contains(p));
            // `lib.rs` only declares modules; `super::*` in a file's test module names the file.
            if let Some(t) = target
                && !t.is_empty()
                && t != m
                && !m.starts_with(&format!("{t}::"))
            {
                edges.entry(m.clone()).or_default().insert(t);
            }
        }
    }
    Graph { modules, edges }
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

#[test]
fn no_import_circle_between_files() {
    let g = graph();
    assert!(g.edges.values().map(BTreeSet::len).sum::<usize>() > 50, "the reader found the imports");
    let found = circles(&g);
    assert!(
        found.is_empty(),
        "import circles between files:\n{}",
        found.iter().map(|c| c.join(" ↔ ")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_platform_imports_no_domain_and_domains_follow_the_table() {
    let g = graph();
    let mut wrong = Vec::new();
    for (from, tos) in &g.edges {
        let f = top(from);
        for to in tos {
            let t = top(to);
            if f == t {
                continue;
            }
            let ok = if PLATFORM.contains(&f) {
                PLATFORM.contains(&t)
            } else if ASSEMBLY.contains(&f) {
                true
            } else if let Some((_, allowed)) = DOMAINS.iter().find(|(d, _)| *d == f) {
                PLATFORM.contains(&t) || allowed.contains(&t)
            } else {
                false
            };
            if !ok {
                wrong.push(format!("{from} → {to}"));
            }
        }
    }
    let known: BTreeSet<&str> =
        PLATFORM.iter().chain(ASSEMBLY).chain(DOMAINS.iter().map(|(d, _)| d)).copied().collect();
    let unplaced: BTreeSet<&str> =
        g.modules.iter().map(|m| top(m)).filter(|t| !t.is_empty() && !known.contains(t)).collect();
    assert!(unplaced.is_empty(), "top-level modules not placed in a layer: {unplaced:?}");
    assert!(wrong.is_empty(), "imports against the layering:\n{}", wrong.join("\n"));
}

#[test]
fn the_reader_understands_use_trees() {
    let mut out = Vec::new();
    use_tree("app::{error::{AppError, AppResult}, guard};", "", &mut out);
    assert_eq!(out, ["app::error::AppError", "app::error::AppResult", "app::guard"]);
    let refs = references("registry::persons", "use super::Level;\nlet x = crate::db::now(); // crate::nothing");
    assert_eq!(refs, ["db::now", "registry::Level"]);
}

/// The one write path: pages and API handlers write through `app::write`, never by opening
/// a transaction themselves.
#[test]
fn handlers_write_through_the_write_path() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let handlers: Vec<_> = files
        .iter()
        .filter(|f| {
            let m = module_of(&src, f);
            m.starts_with("system::") || m.ends_with("_pages") || m.ends_with("::public") || m.ends_with("::api")
        })
        .collect();
    assert!(handlers.len() >= 10, "{handlers:?}");
    let opening: Vec<_> =
        handlers.iter().filter(|f| code_only(&std::fs::read_to_string(f).unwrap()).contains("begin_write")).collect();
    assert!(opening.is_empty(), "handlers opening their own write transaction: {opening:?}");
}
