//! No file imports a file that imports it, in any crate of the workspace:
//! the imports between a crate's modules form no circle, however long, so a
//! picture of them reads top-down.
//!
//! An import is any path in a file's code (comments and its `tests` module
//! left out) that names another module of the crate: `crate::a::b`,
//! `super::x`, `self::c`, or a child module it declares (`mod c;` and then
//! `c::...`). A child's `use super::X` and its parent's `use c::Y` is a
//! circle too, so a trait both implementations need lives in a file of its
//! own below them (`gateway/src/connector/api.rs`), not in their parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates' source roots, from the workspace root: every member of the
/// workspace (so a crate added later is checked without being listed here),
/// and the fuzz targets' crate, which is a workspace of its own.
fn crates(root: &Path) -> Vec<String> {
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).expect("the workspace manifest"))
            .expect("a valid manifest");
    let members = manifest["workspace"]["members"].as_array().expect("workspace.members");
    let mut out: Vec<String> =
        members.iter().map(|m| format!("{}/src", m.as_str().expect("a member is a path"))).collect();
    out.push("fuzz/src".to_owned());
    out
}

type Graph = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

/// Every `.rs` file under `root`, by module path (`a/mod.rs` and `a.rs` are
/// `a`; `lib.rs` and `main.rs` the crate root, the empty path).
fn modules(root: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<Vec<String>, PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under the root").with_extension("");
                let mut segs: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
                if matches!(segs.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    segs.pop();
                }
                out.insert(segs, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The code of a file: comments and the trailing `tests` module removed.
fn code(source: &str) -> String {
    let source = match source.find("#[cfg(test)]\nmod tests") {
        Some(at) => &source[..at],
        None => source,
    };
    source.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path of two or more segments in `code`, with `crate::{a::b, c}`
/// groups expanded to one path per item.
fn paths(code: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = is_ident(chars[i]) && (i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == ':'));
        if !starts {
            i += 1;
            continue;
        }
        let mut segs = Vec::new();
        loop {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            segs.push(chars[start..i].iter().collect::<String>());
            if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
                i += 2;
                if chars.get(i) == Some(&'{') {
                    // A group: each item's own path after the prefix.
                    let end = matching_brace(&chars, i).unwrap_or(chars.len());
                    let inner: String = chars[i + 1..end.min(chars.len())].iter().collect();
                    for item in split_top_level(&inner) {
                        let tail: Vec<String> = item
                            .split("::")
                            .map(|s| s.trim().chars().take_while(|c| is_ident(*c)).collect::<String>())
                            .take_while(|s| !s.is_empty())
                            .collect();
                        let mut full = segs.clone();
                        full.extend(tail);
                        out.push(full);
                    }
                    i = end;
                    segs.clear();
                    break;
                }
                if chars.get(i).is_some_and(|c| is_ident(*c)) {
                    continue;
                }
            }
            break;
        }
        if segs.len() >= 2 {
            out.push(segs);
        }
    }
    out
}

fn matching_brace(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn split_top_level(s: &str) -> Vec<String> {
    let (mut out, mut depth, mut item) = (Vec::new(), 0, String::new());
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    out.push(item);
    out
}

/// The module graph of one crate's files (given as path -> code).
fn graph(files: &BTreeMap<Vec<String>, String>) -> Graph {
    let resolve = |segs: &[String]| -> Option<Vec<String>> {
        (1..=segs.len()).rev().map(|n| segs[..n].to_vec()).find(|m| files.contains_key(m))
    };
    let mut g = Graph::new();
    for (me, code) in files {
        let declared: BTreeSet<&str> = code
            .split("mod ")
            .skip(1)
            .filter_map(|rest| {
                let name = rest.split(|c: char| !is_ident(c)).next()?;
                rest[name.len()..].trim_start().starts_with(';').then_some(name)
            })
            .collect();
        let edges = g.entry(me.clone()).or_default();
        for path in paths(code) {
            let segs: Vec<String> = match path[0].as_str() {
                "crate" => path[1..].to_vec(),
                "super" => {
                    let mut base = me.clone();
                    let mut rest = &path[..];
                    while rest.first().is_some_and(|s| s == "super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    base.extend(rest.iter().cloned());
                    base
                }
                "self" => me.iter().chain(&path[1..]).cloned().collect(),
                first if declared.contains(first) => me.iter().chain(&path).cloned().collect(),
                _ => continue,
            };
            if let Some(target) = resolve(&segs).filter(|t| t != me) {
                edges.insert(target);
            }
        }
    }
    g
}

/// The circles of `g`: each strongly connected set of two or more modules.
fn circles(g: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a Vec<String>) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.g.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut set = Vec::new();
                while let Some(w) = self.stack.pop() {
                    set.push(if w.is_empty() { "(crate root)".to_string() } else { w.join("::") });
                    if w == v {
                        break;
                    }
                }
                if set.len() > 1 {
                    set.sort();
                    self.found.push(set);
                }
            }
        }
    }
    let mut t = Tarjan { g, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.found
}

#[test]
fn no_file_imports_a_file_that_imports_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("the workspace root");
    let crates = crates(root);
    assert!(crates.len() >= 10, "the workspace's crates and fuzz/: {crates:?}");
    let mut report = Vec::new();
    for krate in &crates {
        let files: BTreeMap<Vec<String>, String> = modules(&root.join(krate))
            .into_iter()
            .map(|(m, p)| (m, code(&std::fs::read_to_string(&p).expect("readable source"))))
            .collect();
        assert!(!files.is_empty(), "{krate}: no modules found");
        for circle in circles(&graph(&files)) {
            report.push(format!("{krate}: {}", circle.join(" <-> ")));
        }
    }
    assert!(report.is_empty(), "import circles:\n{}", report.join("\n"));
}

/// The check finds what it must: siblings that import each other, a
/// parent and a child that do, a longer ring, and a group import.
#[test]
fn the_check_finds_circles_of_every_shape() {
    let crate_of = |files: &[(&str, &str)]| -> BTreeMap<Vec<String>, String> {
        files
            .iter()
            .map(|(m, src)| {
                let path = if m.is_empty() { Vec::new() } else { m.split("::").map(String::from).collect() };
                (path, code(src))
            })
            .collect()
    };
    let siblings = crate_of(&[("", "mod a; mod b;"), ("a", "use crate::b::X;"), ("b", "use crate::a::Y;")]);
    assert_eq!(circles(&graph(&siblings)), [vec!["a".to_string(), "b".to_string()]]);
    let family = crate_of(&[("", "mod p;"), ("p", "mod c;\npub use c::Z;"), ("p::c", "use super::Trait;")]);
    assert_eq!(circles(&graph(&family)), [vec!["p".to_string(), "p::c".to_string()]]);
    let ring = crate_of(&[
        ("", "mod a; mod b; mod c;"),
        ("a", "fn f() { crate::b::g() }"),
        ("b", "use crate::{c::H, a};\nfn g() { a::f() }"),
        ("c", "use crate::a::F;"),
    ]);
    assert_eq!(circles(&graph(&ring)).len(), 1);
    let clean = crate_of(&[
        ("", "mod a; mod b;"),
        ("a", "use crate::b::X; // crate::a::self is a comment"),
        ("b", "fn x() {}\n#[cfg(test)]\nmod tests {\n    use crate::a::*;\n}"),
    ]);
    assert!(circles(&graph(&clean)).is_empty());
}
