//! The module manifest, checked against the source and the schema: each module says once what
//! it writes (`Module` in its `mod.rs`), and these tests fail when the source uses something it
//! did not say — an audit action without a label, a record kind without a name, a table without
//! an owner, an item kind, webhook event or demo seeding nobody registers, a module left out of
//! `modules::MODULES`. (Write routes have their own check: `security::write_routes`.)
//!
//! The source is read as tokens (comments skipped, strings as values): a field `action: …` or
//! `target_type: …` gives every string literal and named constant in its expression, and a
//! function with a parameter of that name (`fn change(action: &str, …)`) gives its callers'
//! arguments in that place — followed one step through a field path (`kind.audit.added` → the
//! `added: "…"` fields of that file).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use renda::app::state::Modules;
use renda::auth::authz::{Resource, WebhookAdmins};
use renda::modules::{MODULES, state_modules};

use crate::db_test;
use crate::support::TestApp;

// ------------------------------------------------------------------ the reader

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Rust source as tokens: comments, numbers, char literals and lifetimes dropped.
fn tokens(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let string = |i: &mut usize, out: &mut Vec<Tok>| {
        // At the opening quote: up to the closing one, escapes kept as written.
        let mut s = String::new();
        *i += 1;
        while *i < c.len() && c[*i] != '"' {
            if c[*i] == '\\' && *i + 1 < c.len() {
                s.push(c[*i]);
                *i += 1;
            }
            s.push(c[*i]);
            *i += 1;
        }
        *i += 1;
        out.push(Tok::Str(s));
    };
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied().unwrap_or(' ');
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == '*' {
            i += 2;
            while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if ch == '"' {
            string(&mut i, &mut out);
        } else if (ch == 'r' || ch == 'b') && (next == '"' || next == '#') && !prev_is_ident(&c, i) {
            // r"…", r#"…"#, b"…", br"…"
            let mut j = i + 1;
            if c[i] == 'b' && c.get(j) == Some(&'r') {
                j += 1;
            }
            let hashes = c[j..].iter().take_while(|x| **x == '#').count();
            if c.get(j + hashes) != Some(&'"') {
                out.push(Tok::Ident(ch.to_string()));
                i += 1;
                continue;
            }
            if hashes == 0 && ch == 'b' {
                i = j;
                string(&mut i, &mut out);
                continue;
            }
            let start = j + hashes + 1;
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let rest: String = c[start..].iter().collect();
            let len = rest.find(&close).unwrap_or(rest.len());
            out.push(Tok::Str(rest[..len].to_string()));
            i = start + rest[..len].chars().count() + close.chars().count();
        } else if ch == '\'' {
            // A char literal ('x', '\n', '"') is skipped whole; a lifetime's tick alone.
            if next == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            if !ch.is_ascii_digit() {
                out.push(Tok::Ident(c[start..i].iter().collect()));
            }
        } else {
            out.push(Tok::Punct(ch));
            i += 1;
        }
    }
    out
}

/// Where the item whose parameter list opens at `open` ends: after its body's closing brace.
fn item_end(toks: &[Tok], open: usize) -> Option<usize> {
    let mut i = open + arguments(toks, open).iter().map(|a| a.len() + 1).sum::<usize>().max(1);
    while i < toks.len() && !is_punct(toks.get(i), '{') {
        if is_punct(toks.get(i), ';') {
            return None;
        }
        i += 1;
    }
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(i) {
        match t {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The tokens without the unit tests (`#[cfg(test)] mod … { … }`): what they write is not written.
fn without_tests(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let test_mod = is_ident(toks.get(i), "cfg")
            && is_punct(toks.get(i + 1), '(')
            && is_ident(toks.get(i + 2), "test")
            && is_punct(toks.get(i + 3), ')')
            && is_punct(toks.get(i + 4), ']')
            && is_ident(toks.get(i + 5), "mod");
        if test_mod {
            let mut depth = 0;
            let mut j = i;
            while j < toks.len() {
                match toks[j] {
                    Tok::Punct('{') => depth += 1,
                    Tok::Punct('}') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        out.push(toks[i].clone());
        i += 1;
    }
    out
}

fn prev_is_ident(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

fn is_ident(t: Option<&Tok>, name: &str) -> bool {
    matches!(t, Some(Tok::Ident(x)) if x == name)
}

fn is_punct(t: Option<&Tok>, p: char) -> bool {
    t == Some(&Tok::Punct(p))
}

/// The tokens of one expression starting at `i`: up to a `,` or `;` at its own depth, or the
/// bracket that closes the one it is in.
fn expression(toks: &[Tok], mut i: usize) -> &[Tok] {
    let start = i;
    let mut depth = 0i32;
    while i < toks.len() {
        match toks[i] {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') if depth == 0 => break,
            Tok::Punct(')' | ']' | '}') => depth -= 1,
            Tok::Punct(',' | ';') if depth == 0 => break,
            _ => {}
        }
        i += 1;
    }
    &toks[start..i]
}

/// The arguments of a call or the parameters of a definition whose `(` is at `open`.
fn arguments(toks: &[Tok], open: usize) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let mut i = open + 1;
    while i < toks.len() && !is_punct(toks.get(i), ')') {
        let e = expression(toks, i);
        i += e.len();
        out.push(e);
        if is_punct(toks.get(i), ',') {
            i += 1;
        }
    }
    out
}

/// One file of the source, as tokens.
struct File {
    name: String,
    toks: Vec<Tok>,
}

/// The source the manifest is checked against.
struct Source {
    files: Vec<File>,
}

fn is_code(v: &str) -> bool {
    let mut chars = v.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_const_name(v: &str) -> bool {
    v.len() > 1 && v.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl Source {
    fn read() -> Source {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<File>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, root, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let name = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
                    let toks = without_tests(tokens(&std::fs::read_to_string(&p).unwrap()));
                    out.push(File { name, toks });
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        Source { files }
    }

    fn of(files: &[(&str, &str)]) -> Source {
        let file = |(n, t): &(&str, &str)| File { name: n.to_string(), toks: without_tests(tokens(t)) };
        Source { files: files.iter().map(file).collect() }
    }

    /// The values of a `const`/`static` string of this name anywhere (one name may have several).
    fn constant(&self, name: &str, depth: usize) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for f in &self.files {
            let t = &f.toks;
            for i in 0..t.len() {
                let decl = is_ident(t.get(i), "const") || is_ident(t.get(i), "static");
                if decl && is_ident(t.get(i + 1), name) && is_punct(t.get(i + 2), ':') {
                    let Some(eq) = (i..t.len()).find(|j| is_punct(t.get(*j), '=')) else { continue };
                    out.extend(self.values(f, expression(t, eq + 1), depth + 1));
                }
            }
        }
        out
    }

    /// The strings an expression can be: its literals, the constants it names, and — for a
    /// path `a.b.field` alone — the values of `field: …` in the same file.
    fn values(&self, file: &File, expr: &[Tok], depth: usize) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if depth > 4 {
            return out;
        }
        for t in expr {
            match t {
                Tok::Str(s) => {
                    out.insert(s.clone());
                }
                Tok::Ident(n) if is_const_name(n) => out.extend(self.constant(n, depth)),
                _ => {}
            }
        }
        let path = expr.len() >= 3
            && expr
                .iter()
                .enumerate()
                .all(|(i, t)| if i % 2 == 0 { matches!(t, Tok::Ident(_)) } else { *t == Tok::Punct('.') });
        if path && let Some(Tok::Ident(field)) = expr.last() {
            out.extend(self.field_in(file, field, depth + 1));
        }
        out
    }

    /// The values written to `field: …` in one file.
    fn field_in(&self, f: &File, field: &str, depth: usize) -> BTreeSet<String> {
        let t = &f.toks;
        let mut out = BTreeSet::new();
        for i in 0..t.len() {
            if is_ident(t.get(i), field)
                && is_punct(t.get(i + 1), ':')
                && !is_punct(t.get(i + 2), ':')
                && !(i > 0 && is_punct(t.get(i - 1), ':'))
            {
                out.extend(self.values(f, expression(t, i + 2), depth));
            }
        }
        out
    }

    /// Every value the source writes to `field`: in `field: …`, and as the argument of every
    /// function that takes a `field: &str` parameter.
    fn written(&self, field: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        // (function, place of the parameter, it takes self, private to its file)
        let mut takers: Vec<(String, usize, bool, Option<&str>)> = Vec::new();
        for f in &self.files {
            out.extend(self.field_in(f, field, 0));
            let t = &f.toks;
            for i in 0..t.len() {
                let (true, Some(Tok::Ident(name))) = (is_ident(t.get(i), "fn"), t.get(i + 1)) else { continue };
                let Some(open) = (i + 2..t.len()).find(|j| is_punct(t.get(*j), '(')) else { continue };
                let params = arguments(t, open);
                // Only a function that makes an audit entry (a `Change`, or a builder's `Self`).
                let makes = item_end(t, open).is_some_and(|end| {
                    t[i..end].iter().any(|x| is_ident(Some(x), "Change") || is_ident(Some(x), "Self"))
                });
                if !makes {
                    continue;
                }
                let has_self = params.first().is_some_and(|p| p.iter().any(|x| is_ident(Some(x), "self")));
                let public = (i.saturating_sub(6)..i).any(|j| is_ident(t.get(j), "pub"));
                for (n, p) in params.iter().enumerate() {
                    let takes = is_ident(p.first(), field)
                        && is_punct(p.get(1), ':')
                        && p.iter().any(|x| is_ident(Some(x), "str"));
                    if takes {
                        let scope = if public { None } else { Some(f.name.as_str()) };
                        takers.push((name.clone(), n, has_self, scope));
                    }
                }
            }
        }
        for (name, n, has_self, scope) in takers {
            for f in self.files.iter().filter(|f| scope.is_none_or(|s| s == f.name)) {
                let t = &f.toks;
                for i in 1..t.len() {
                    if !is_ident(t.get(i), &name) || !is_punct(t.get(i + 1), '(') || is_ident(t.get(i - 1), "fn") {
                        continue;
                    }
                    let method_call = is_punct(t.get(i - 1), '.');
                    let place = if has_self && method_call { n.checked_sub(1) } else { Some(n) };
                    if let Some(arg) = place.and_then(|p| arguments(t, i + 1).get(p).copied()) {
                        out.extend(self.values(f, arg, 0));
                    }
                }
            }
        }
        out.retain(|v| is_code(v));
        out
    }

    /// The names of the `static NAME: Type` items of the source.
    fn statics_of(&self, ty: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for f in &self.files {
            let t = &f.toks;
            for i in 0..t.len() {
                if is_ident(t.get(i), "static")
                    && let (Some(Tok::Ident(name)), true, true) =
                        (t.get(i + 1), is_punct(t.get(i + 2), ':'), is_ident(t.get(i + 3), ty))
                {
                    out.insert(name.clone());
                }
            }
        }
        out
    }

    /// The identifiers named in the arguments of every call of `function`.
    fn passed_to(&self, function: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for f in &self.files {
            let t = &f.toks;
            for i in 1..t.len() {
                if is_ident(t.get(i), function) && is_punct(t.get(i + 1), '(') && !is_ident(t.get(i - 1), "fn") {
                    for arg in arguments(t, i + 1) {
                        out.extend(
                            arg.iter().filter_map(|x| if let Tok::Ident(n) = x { Some(n.clone()) } else { None }),
                        );
                    }
                }
            }
        }
        out
    }

    fn text_of(&self, name: &str) -> Option<&File> {
        self.files.iter().find(|f| f.name == name)
    }
}

// ------------------------------------------------------------------ the reader, tested

#[test]
fn the_reader_finds_what_is_written() {
    let src = Source::of(&[
        (
            "a.rs",
            r##"
            // action: "in_a_comment"
            const NEW: &str = "made_up";
            const ALIAS: &str = NEW;
            fn f(c: &C, yes: bool) {
                audit::append(c, key, actor, Change { action: "plain", target_type: "thing", summary: "a, b".into() });
                let ch = Change { action: if yes { "one" } else { "other" }, target_type: ALIAS, summary: format!("{}", '"') };
                audit::append(c, key, actor, changed("through_fn", 1)).await?;
                audit::append(c, key, actor, Change::on("builder_thing", 1).action("by_method")).await?;
                let x = r#"action: "in_a_raw_string""#;
            }
            fn changed(action: &'static str, id: i64) -> Change<'static> { Change { action, target_type: "thing" } }
            "##,
        ),
        (
            "b.rs",
            r#"
            pub struct Audit { pub added: &'static str }
            const KIND: Audit = Audit { added: "via_field" };
            fn change<'a>(kind: &Kind, action: &'a str) -> Change<'a> { Change { action, target_type: "thing" } }
            fn add() { let c = change(kind, kind.audit.added); let d = change(kind, "direct"); }
            "#,
        ),
        (
            "c.rs",
            r#"
            impl Change<'_> {
                pub fn on(target_type: &'static str, id: i64) -> Self { todo!() }
                pub fn action(self, action: &'static str) -> Self { todo!() }
            }
            fn unrelated(action: Action) { allows(p, action, &r); }
            pub fn label(&self, action: &str) -> &str { lookup(action) }
            fn shown() { let l = modules.label("not_written"); }
            #[cfg(test)]
            mod tests { fn t() { Change { action: "only_in_a_test", target_type: "thing" }; } }
            "#,
        ),
    ]);
    let actions = src.written("action");
    let want = ["by_method", "direct", "one", "other", "plain", "through_fn", "via_field"];
    assert_eq!(actions, want.iter().map(|s| s.to_string()).collect(), "comments and raw strings do not count");
    let kinds = src.written("target_type");
    assert_eq!(kinds, ["builder_thing", "made_up", "thing"].iter().map(|s| s.to_string()).collect());
    // A new, unregistered action is found; so the manifest test below fails for it.
    let labelled: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    let mut grown = Source::of(&[("d.rs", r#"fn g() { Change { action: "brand_new", target_type: "thing" }; }"#)]);
    grown.files.extend(src.files);
    assert_eq!(unlabelled(&grown.written("action"), &labelled), ["brand_new"]);
}

#[test]
fn the_reader_finds_statics_and_their_registration() {
    let src = Source::of(&[(
        "a.rs",
        r#"
        pub static KIND_A: ItemKind = ItemKind { kind: "a" };
        static KIND_B: ItemKind = ItemKind { kind: "b" };
        fn register(s: &AppState) { crate::handling::add_kind(s, &KIND_A); }
        "#,
    )]);
    let statics = src.statics_of("ItemKind");
    let registered = src.passed_to("add_kind");
    let missing: Vec<_> = statics.difference(&registered).collect();
    assert_eq!(missing, ["KIND_B"]);
}

fn unlabelled<'a>(written: &'a BTreeSet<String>, labelled: &BTreeSet<String>) -> Vec<&'a str> {
    written.iter().filter(|a| !labelled.contains(*a)).map(String::as_str).collect()
}

// ------------------------------------------------------------------ the manifest

fn modules() -> Modules {
    state_modules()
}

/// Each code once; returns the codes.
fn once<'a>(what: &str, codes: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    let mut seen = BTreeMap::<&str, usize>::new();
    for c in codes {
        *seen.entry(c).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).map(|(c, _)| *c).collect();
    assert!(twice.is_empty(), "{what} registered more than once: {twice:?}");
    seen.keys().map(|c| c.to_string()).collect()
}

#[test]
fn every_audit_action_written_has_a_label() {
    let written = Source::read().written("action");
    assert!(written.len() >= 80, "the reader found the actions: {written:?}");
    let labelled = once("audit actions", modules().action_labels().map(|(a, _)| a));
    let missing = unlabelled(&written, &labelled);
    assert!(missing.is_empty(), "audit actions without a label (add them to the module's audit_labels): {missing:?}");
    let stale: Vec<_> = labelled.difference(&written).collect();
    assert!(stale.is_empty(), "labels of actions nothing writes: {stale:?}");
}

/// Every resource of the authorization layer (a refused access is recorded on its kind).
fn resources() -> Vec<Resource<'static>> {
    let p = "/1/";
    let all = vec![
        Resource::Organ { path: p },
        Resource::Area { organ_path: p },
        Resource::Account { id: 1, organ_path: p },
        Resource::AuditHistory { organ_path: p },
        Resource::HandlingUnit { id: 1, organ_path: p },
        Resource::Inbox { owner_id: 1 },
        Resource::AccountSecurity { owner_id: 1 },
        Resource::WriteToken { owner_id: 1 },
        Resource::ExternalOrgan,
        Resource::Jobs { organ_path: p },
        Resource::Webhooks { organ_path: p, admins: WebhookAdmins::Top },
        Resource::OrganTree { organ_path: p },
        Resource::AuditLog { organ_path: p },
        Resource::Person { id: 1, organ_path: p },
        Resource::Station { id: 1, organ_path: p },
        Resource::Registry { organ_path: p },
        Resource::HandlingItem {
            organ_path: p,
            units: &[],
            deputy_id: None,
            station_id: None,
            followers: &[],
            signers: &[],
            answering: &[],
        },
        Resource::Settings,
        Resource::Reception { organ_path: p, station_id: None, station_deputies: &[] },
        Resource::Appointment { organ_path: p, station_id: 1, deputy_id: None },
        Resource::Draft { organ_path: p, author: 1, co_authors: &[], participants: &[], submitted: false },
        Resource::Ballot { organ_path: p, elector: false, watcher: false },
        Resource::GroupEvaluation { organ_path: p, member: false, unit_id: 1 },
        Resource::GroupVisit { organ_path: p, member: false },
        Resource::Legislation { organ_path: p },
        Resource::LegislationTask { organ_path: p, unit_id: None, station_id: None, deputy_id: None },
        Resource::Meeting { organ_path: p, participant: false },
    ];
    // No wildcard: a new resource does not compile here until it is in the list above.
    let place = |r: &Resource| match r {
        Resource::Organ { .. } => 0,
        Resource::Area { .. } => 1,
        Resource::Account { .. } => 2,
        Resource::AuditHistory { .. } => 3,
        Resource::HandlingUnit { .. } => 4,
        Resource::Inbox { .. } => 5,
        Resource::AccountSecurity { .. } => 6,
        Resource::WriteToken { .. } => 7,
        Resource::ExternalOrgan => 8,
        Resource::Jobs { .. } => 9,
        Resource::Webhooks { .. } => 10,
        Resource::OrganTree { .. } => 11,
        Resource::AuditLog { .. } => 12,
        Resource::Person { .. } => 13,
        Resource::Station { .. } => 14,
        Resource::Registry { .. } => 15,
        Resource::HandlingItem { .. } => 16,
        Resource::Settings => 17,
        Resource::Reception { .. } => 18,
        Resource::Appointment { .. } => 19,
        Resource::Draft { .. } => 20,
        Resource::Ballot { .. } => 21,
        Resource::GroupEvaluation { .. } => 22,
        Resource::GroupVisit { .. } => 23,
        Resource::Legislation { .. } => 24,
        Resource::LegislationTask { .. } => 25,
        Resource::Meeting { .. } => 26,
    };
    assert_eq!(all.iter().map(place).collect::<Vec<_>>(), (0..all.len()).collect::<Vec<_>>());
    all
}

#[test]
fn every_record_kind_written_has_a_name() {
    let m = modules();
    let declared = once("record kinds", m.records().map(|r| r.kind));
    let mut written = Source::read().written("target_type");
    assert!(written.len() >= 15, "the reader found the record kinds: {written:?}");
    written.extend(Source::read().written("owner_type"));
    // Refused accesses are recorded on the resource's kind, attachments on their owner's.
    written.extend(resources().iter().map(|r| r.kind().to_string()));
    written.extend(MODULES.iter().flat_map(|m| m.attachment_owners.iter()).map(|o| o.owner_type.to_string()));
    let missing: Vec<_> = written.difference(&declared).collect();
    assert!(missing.is_empty(), "record kinds without a RecordKind (add them to the module's records): {missing:?}");
    let stale: Vec<_> = declared.difference(&written).collect();
    assert!(stale.is_empty(), "record kinds nothing writes: {stale:?}");
    // A title given to another module's kind names a kind that exists.
    for (kind, _) in MODULES.iter().flat_map(|m| m.titles.iter()) {
        assert!(m.record(kind).is_some(), "a title for an unknown record kind {kind}");
    }
}

/// The tables of the database as migrated, SQLite's own and full-text shadow tables left out.
async fn tables(app: &TestApp) -> BTreeSet<String> {
    let sql = if app.state.config.is_sqlite() {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    } else {
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    };
    let rows = renda::db::query_rows(app.db(), sql, vec![]).await.unwrap();
    let all: BTreeSet<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
    // FTS5 keeps each virtual table's data in `<name>_data`, `_idx`, `_content`, `_docsize`, `_config`.
    let shadow = |t: &str| {
        ["_data", "_idx", "_content", "_docsize", "_config"]
            .iter()
            .any(|s| t.strip_suffix(s).is_some_and(|base| all.contains(base)))
    };
    all.iter().filter(|t| !shadow(t)).cloned().collect()
}

async fn every_table_has_one_owner(app: TestApp) {
    let m = modules();
    let mut owners = BTreeMap::<&str, Vec<&str>>::new();
    for (owner, table) in m.tables() {
        owners.entry(table).or_default().push(owner);
    }
    let shared: Vec<_> = owners.iter().filter(|(_, o)| o.len() > 1).collect();
    assert!(shared.is_empty(), "tables with more than one owner: {shared:?}");
    let schema = tables(&app).await;
    assert!(schema.len() >= 50, "the schema was read: {schema:?}");
    // The full-text index is SQLite's (PostgreSQL indexes `opinions.search_text`).
    let declared: BTreeSet<String> =
        owners.keys().filter(|t| app.state.config.is_sqlite() || !t.ends_with("_fts")).map(|t| t.to_string()).collect();
    let unowned: Vec<_> = schema.difference(&declared).collect();
    assert!(unowned.is_empty(), "tables no module owns (add them to its tables): {unowned:?}");
    let missing: Vec<_> = declared.difference(&schema).collect();
    assert!(missing.is_empty(), "tables owned but not in the schema: {missing:?}");
    // Every title is read from a table and columns that exist.
    let titles = m.records().filter_map(|r| r.title).chain(MODULES.iter().flat_map(|m| m.titles.iter()).map(|t| t.1));
    for t in titles {
        let sql = format!("SELECT {}, {} FROM {} WHERE 1 = 0", t.key, t.column, t.table);
        renda::db::query_rows(app.db(), &sql, vec![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
db_test!(every_table_has_one_owner);

/// The top-level folders that describe themselves as a module (`pub const MODULE: Module`).
fn module_folders(src: &Source) -> BTreeSet<String> {
    src.files
        .iter()
        .filter(|f| f.name.ends_with("/mod.rs"))
        .filter(|f| {
            let t = &f.toks;
            (0..t.len()).any(|i| is_ident(t.get(i), "MODULE") && is_ident(t.get(i + 2), "Module"))
        })
        .map(|f| f.name.trim_end_matches("/mod.rs").to_string())
        .collect()
}

#[test]
fn every_module_is_in_the_list_once_under_its_folder() {
    let src = Source::read();
    let folders = module_folders(&src);
    assert!(folders.len() >= 6, "{folders:?}");
    let names = once("modules", MODULES.iter().map(|m| m.name));
    assert_eq!(names, folders, "modules::MODULES lists every folder with a MODULE, by its folder's name");
    once("job kinds", modules().all_jobs());
}

#[test]
fn every_item_kind_and_webhook_event_is_registered() {
    let src = Source::read();
    for (ty, function) in [("ItemKind", "add_kind"), ("EventKind", "add"), ("InboundHandler", "add")] {
        let statics = src.statics_of(ty);
        assert!(!statics.is_empty(), "the reader found the {ty}s");
        let registered = src.passed_to(function);
        let missing: Vec<_> = statics.difference(&registered).collect();
        assert!(missing.is_empty(), "{ty} nobody registers (call {function} in the module's register): {missing:?}");
    }
}

#[test]
fn every_demo_seeding_is_called_once() {
    let src = Source::read();
    let assembly = src.text_of("demo.rs").expect("src/demo.rs");
    let called_by_assembly = |module: &str| {
        let t = &assembly.toks;
        (0..t.len()).any(|i| is_ident(t.get(i), module) && is_ident(t.get(i + 3), "demo"))
    };
    let mut seen = 0;
    for f in src.files.iter().filter(|f| f.name.ends_with("/demo.rs")) {
        let folder = f.name.trim_end_matches("/demo.rs");
        let module = MODULES.iter().find(|m| m.name == folder);
        let hooked = module.is_some_and(|m| m.demo.is_some());
        let by_assembly = called_by_assembly(folder);
        assert!(
            hooked != by_assembly,
            "{folder}/demo.rs: seeded by its Module::demo ({hooked}) or by src/demo.rs ({by_assembly}), exactly one"
        );
        seen += 1;
    }
    assert!(seen >= 4, "the demo seedings were found");
    let hooks = modules().demo_seeds().count();
    assert!(hooks >= 3, "{hooks}");
}

/// The state a node builds from the list holds what the modules registered.
async fn the_state_holds_what_the_modules_registered(app: TestApp) {
    let kinds = app.state.ext.get::<renda::handling::Kinds>().expect("the loop's kinds");
    assert!(kinds.0.iter().any(|k| k.kind == renda::opinions::KIND));
    let events = renda::webhooks::events(&app.state);
    assert!(events.iter().any(|e| e.code == "opinion.state_changed"));
    // Registering again (a router built over the same state) adds nothing twice.
    let (n_kinds, n_events) = (kinds.0.len(), events.len());
    let again = app.state.clone().with_modules(MODULES);
    assert_eq!(again.ext.get::<renda::handling::Kinds>().unwrap().0.len(), n_kinds);
    assert_eq!(renda::webhooks::events(&again).len(), n_events);
}
db_test!(the_state_holds_what_the_modules_registered);

// ------------------------------------------------------------------ webhooks: several handlers

static PETITION_CHANGED: renda::webhooks::EventKind =
    renda::webhooks::EventKind { code: "petition.state_changed", label: "测试：信访事项状态变化" };

/// A second domain's inbound handler, in this suite only: it records nothing of its own and says
/// where the update went.
static PETITION_INBOUND: renda::webhooks::InboundHandler = renda::webhooks::InboundHandler {
    events: &[&PETITION_CHANGED],
    run: |_, _, _, _, u| {
        let on = format!("信访 {}", u.external_no);
        Box::pin(async move { Ok(on) })
    },
};

/// Adds an endpoint receiving `events`; returns its id and secret.
async fn endpoint(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let mut admin = app.login("admin").await;
    let mut form = vec![("name", "外部系统"), ("url", url)];
    form.extend(events.iter().map(|e| ("events", *e)));
    let r = admin.post("/console/webhooks", &form).await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    let id = renda::db::scalar_i64(app.db(), "SELECT max(id) FROM webhook_endpoints", vec![]).await.unwrap();
    (id, r.texts("#new-secret").join(""))
}

async fn an_update_goes_to_the_handler_of_its_endpoints_events(app: TestApp) {
    use crate::webhooks::{allowing, host_of, inbound, problem, receiver};
    use axum::http::StatusCode;
    let (url, _, _) = receiver().await;
    let app = allowing(app, &[host_of(&url)]);
    renda::webhooks::add(&app.state, &[&PETITION_CHANGED], Some(&PETITION_INBOUND));
    let now = renda::db::now();
    let body = r#"{"external_no": "XF-7", "status": "accepted", "text": "已受理"}"#;
    // An endpoint of the second kind: its handler records the update.
    let (ep, secret) = endpoint(&app, &url, &["petition.state_changed"]).await;
    let r = app.send(inbound(ep, &secret, "p-1", now, body, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["recorded_on"], "信访 XF-7");
    // An opinions endpoint: the opinions' handler, which knows no such imported order.
    let (ep, secret) = endpoint(&app, &url, &["opinion.state_changed"]).await;
    let r = app.send(inbound(ep, &secret, "o-1", now, body, None)).await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("没有外部工单编号为 XF-7 的已导入工单"), "{}", r.body);
    // Both: which record the number names cannot be told.
    let (ep, secret) = endpoint(&app, &url, &["opinion.state_changed", "petition.state_changed"]).await;
    let r = app.send(inbound(ep, &secret, "b-1", now, body, None)).await;
    problem(&r, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("请为每类记录分别设置推送地址"), "{}", r.body);
    let accepted = renda::db::scalar_i64(app.db(), "SELECT count(*) FROM webhook_inbound", vec![]).await.unwrap();
    assert_eq!(accepted, 1, "only the update a handler recorded is accepted");
}
crate::demo_test!(an_update_goes_to_the_handler_of_its_endpoints_events);
