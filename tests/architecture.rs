//! The house rules of the source tree, read from `src/` itself: the model, engine, protocols and
//! checker never name their watchers (the reports, the Chrome trace, the trace, the progress
//! ticker) or the old observer; no file holds over 800 lines of non-test code; and no two files
//! import each other, directly or round a circle.
//!
//! The import graph is built from the text: every `use crate::…`, `use super::…`, `use self::…`
//! and child-module `use`, and every `crate::…`/`super::…` path written in code, resolved to the
//! file that defines the named item (following `pub use` re-exports, so a `mod.rs` that re-exports
//! a child is not a false circle). A `mod child;` declaration is not an import, and code under
//! `#[cfg(test)]` is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Most lines of non-test code a source file may hold.
const MAX_LINES: usize = 800;

/// One source file of the crate.
struct File {
    /// Path relative to `src/`, e.g. `model/world/mod.rs`.
    rel: String,
    /// Module path from the crate root, e.g. `["model", "world"]`.
    module: Vec<String>,
    /// The file's text with comments and `#[cfg(test)]` items removed.
    code: String,
    /// Lines before the file's `#[cfg(test)]` test module (all of them when it has none).
    lines_before_tests: usize,
    /// Children declared under `#[cfg(test)]` (`#[cfg(test)] mod tests;`).
    test_children: Vec<String>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file relative to `src/` (`main.rs` is its own crate: `None`).
fn module_of(rel: &str) -> Option<Vec<String>> {
    if rel == "main.rs" {
        return None;
    }
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    let last = parts.pop().expect("a file name");
    if last != "lib.rs" && last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    Some(parts)
}

/// Removes `//` comments (doc comments included) and the text of string literals, keeping lines.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if in_str {
                if c == '"' && prev != '\\' {
                    in_str = false;
                    kept.push('"');
                }
                prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            } else if c == '"' {
                in_str = true;
                kept.push('"');
                prev = ' ';
            } else if c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            } else {
                kept.push(c);
                prev = c;
            }
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The index just past the item starting at `start` (a braced block or up to a `;`).
fn item_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The code without its `#[cfg(test)]` items, and the names of children declared under it.
fn drop_test_items(code: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut children = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let end = item_end(after.as_bytes(), 0);
        let item = after[..end].trim();
        if let Some(name) = item.strip_prefix("mod ").and_then(|s| s.strip_suffix(';')) {
            children.push(name.trim().to_string());
        }
        // Keep the line count: the dropped item becomes as many empty lines.
        out.push_str(&"\n".repeat(after[..end].matches('\n').count()));
        rest = &after[end..];
    }
    out.push_str(rest);
    (out, children)
}

fn read_files() -> Vec<File> {
    let src = src_dir();
    let mut paths = Vec::new();
    walk(&src, &mut paths);
    let mut files = Vec::new();
    for p in paths {
        let rel = p
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let Some(module) = module_of(&rel) else {
            continue;
        };
        let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let lines: Vec<&str> = text.lines().collect();
        let lines_before_tests = lines
            .iter()
            .enumerate()
            .position(|(i, l)| {
                l.trim() == "#[cfg(test)]"
                    && lines
                        .get(i + 1)
                        .is_some_and(|n| n.trim_start().starts_with("mod "))
            })
            .unwrap_or(lines.len());
        let (code, test_children) = drop_test_items(&strip_comments(&text));
        files.push(File {
            rel,
            module,
            code,
            lines_before_tests,
            test_children,
        });
    }
    files
}

/// Expands one `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand_use(tree: &str) -> Vec<String> {
    // `a as b` becomes `a@b` before the spaces go.
    let tree = tree
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" as ", "@");
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').expect("a closing brace")];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut out = Vec::new();
    for p in parts.into_iter().filter(|p| !p.is_empty()) {
        for sub in expand_use(p) {
            out.push(if sub == "self" {
                prefix.trim_end_matches("::").to_string()
            } else {
                format!("{prefix}{sub}")
            });
        }
    }
    out
}

/// A `use` statement's paths, with whether it is a re-export (`pub use`, `pub(crate) use`, …).
struct Use {
    paths: Vec<String>,
    public: bool,
}

/// The `use` statements of some code, and the code with them removed.
fn uses(code: &str) -> (Vec<Use>, String) {
    let mut found = Vec::new();
    let mut rest_code = String::new();
    let mut rest = code;
    while let Some(at) = find_use(rest) {
        let head = &rest[..at];
        let line_start = head.rfind('\n').map_or(0, |n| n + 1);
        let public = head[line_start..].trim_start().starts_with("pub");
        rest_code.push_str(&rest[..line_start]);
        let body_start = at + "use ".len();
        let end = rest[body_start..]
            .find(';')
            .map_or(rest.len(), |e| body_start + e);
        found.push(Use {
            paths: expand_use(&rest[body_start..end]),
            public,
        });
        rest = &rest[(end + 1).min(rest.len())..];
    }
    rest_code.push_str(rest);
    (found, rest_code)
}

/// Where the next `use` keyword starts a statement.
fn find_use(code: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = code[from..].find("use ") {
        let at = from + i;
        let before = code[..at].trim_end_matches([' ', '\t']);
        let ok = before.is_empty()
            || before.ends_with(['\n', ';', '{', '}'])
            || before.ends_with("pub")
            || before.ends_with(')') && before.contains("pub(");
        if ok && !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// Every `crate::a::b` / `super::a::b` / `self::a::b` path written in code outside `use`.
fn inline_paths(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    for root in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(root) {
            let at = from + i;
            from = at + root.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            if at > 0 && bytes[at - 1] == b':' {
                continue; // `super::super::x` is read from its first `super`.
            }
            let mut end = at;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b':')
            {
                end += 1;
            }
            out.push(code[at..end].trim_end_matches(':').to_string());
        }
    }
    out
}

/// The crate's modules and what each file defines and re-exports.
struct Tree {
    /// Module path to index into `files`.
    modules: BTreeMap<Vec<String>, usize>,
    files: Vec<File>,
    /// Per file: its re-exports (`pub use`), as (name it is visible by, absolute path).
    reexports: Vec<Vec<(String, Vec<String>)>>,
    /// Per file: its imports (absolute paths), uses and inline paths alike.
    imports: Vec<Vec<Vec<String>>>,
}

/// `path` (as written in `module`) made absolute from the crate root; `None` outside the crate.
fn absolute(module: &[String], path: &str, children: &BTreeSet<String>) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<String> = module.to_vec();
    let mut i = 0;
    match segs.first().copied() {
        Some("crate") => {
            base.clear();
            i = 1;
        }
        Some("self") => i = 1,
        Some("super") => {
            while segs.get(i) == Some(&"super") {
                base.pop()?;
                i += 1;
            }
        }
        Some(first) if children.contains(first) => {}
        _ => return None,
    }
    let mut out = base;
    for s in &segs[i..] {
        out.push(s.to_string());
    }
    Some(out)
}

/// Whether `code` defines an item called `name` at any level (struct, enum, fn, trait, …).
fn defines(code: &str, name: &str) -> bool {
    [
        "struct",
        "enum",
        "fn",
        "trait",
        "type",
        "const",
        "static",
        "union",
        "macro_rules!",
    ]
    .iter()
    .any(|kw| {
        let pat = format!("{kw} {name}");
        code.match_indices(&pat).any(|(i, _)| {
            let after = code[i + pat.len()..].chars().next().unwrap_or(' ');
            !(after.is_alphanumeric() || after == '_')
        })
    })
}

impl Tree {
    fn new(files: Vec<File>) -> Self {
        let modules: BTreeMap<Vec<String>, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        let test_modules: BTreeSet<Vec<String>> = files
            .iter()
            .flat_map(|f| {
                f.test_children
                    .iter()
                    .map(|c| [f.module.clone(), vec![c.clone()]].concat())
            })
            .collect();
        let mut reexports = Vec::new();
        let mut imports = Vec::new();
        for f in &files {
            if test_modules.contains(&f.module) {
                reexports.push(Vec::new());
                imports.push(Vec::new());
                continue;
            }
            let children: BTreeSet<String> = modules
                .keys()
                .filter(|m| m.len() == f.module.len() + 1 && m.starts_with(&f.module))
                .map(|m| m.last().expect("a child name").clone())
                .collect();
            let (found, rest) = uses(&f.code);
            let mut re = Vec::new();
            let mut im = Vec::new();
            for u in &found {
                for p in &u.paths {
                    let (path, alias) = match p.split_once('@') {
                        Some((path, alias)) => (path.to_string(), Some(alias.to_string())),
                        None => (p.clone(), None),
                    };
                    let Some(abs) = absolute(&f.module, &path, &children) else {
                        continue;
                    };
                    // A re-export passes a name through rather than using it: whoever imports
                    // the name gets an edge to the file that defines it.
                    if u.public {
                        let name = alias.unwrap_or_else(|| abs.last().cloned().unwrap_or_default());
                        re.push((name, abs));
                    } else {
                        im.push(abs);
                    }
                }
            }
            for p in inline_paths(&rest) {
                if let Some(abs) = absolute(&f.module, &p, &children) {
                    im.push(abs);
                }
            }
            reexports.push(re);
            imports.push(im);
        }
        Tree {
            modules,
            files,
            reexports,
            imports,
        }
    }

    /// The file that defines what `path` names (following re-exports), if it is in the crate.
    fn resolve(&self, path: &[String], depth: usize) -> Option<usize> {
        let n = (0..=path.len())
            .rev()
            .find(|&n| self.modules.contains_key(&path[..n]))?;
        let file = self.modules[&path[..n]];
        let Some(name) = path.get(n) else {
            return Some(file);
        };
        if name == "*" || depth > 8 || defines(&self.files[file].code, name) {
            return Some(file);
        }
        for (visible, target) in &self.reexports[file] {
            if visible == name {
                let mut full = target.clone();
                full.extend(path[n + 1..].iter().cloned());
                return self.resolve(&full, depth + 1).or(Some(file));
            }
            if visible == "*" {
                let mut full = target[..target.len() - 1].to_vec();
                full.extend(path[n..].iter().cloned());
                if let Some(to) = self.resolve(&full, depth + 1) {
                    if defines(&self.files[to].code, name) {
                        return Some(to);
                    }
                }
            }
        }
        Some(file)
    }

    /// Edges between files: `from` imports something `to` defines.
    fn graph(&self) -> BTreeMap<usize, BTreeSet<usize>> {
        let mut g: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for (from, paths) in self.imports.iter().enumerate() {
            for p in paths {
                if let Some(to) = self.resolve(p, 0) {
                    if to != from {
                        g.entry(from).or_default().insert(to);
                    }
                }
            }
        }
        g
    }
}

/// The strongly connected components of more than one node (Tarjan), each sorted.
fn circles(graph: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    struct State<'a> {
        graph: &'a BTreeMap<usize, BTreeSet<usize>>,
        index: BTreeMap<usize, usize>,
        low: BTreeMap<usize, usize>,
        stack: Vec<usize>,
        on_stack: BTreeSet<usize>,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let next: Vec<usize> = s
            .graph
            .get(&v)
            .map(|n| n.iter().copied().collect())
            .unwrap_or_default();
        for w in next {
            if !s.index.contains_key(&w) {
                visit(s, w);
                let lw = s.low[&w];
                let lv = s.low.get_mut(&v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low.get_mut(&v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[&v] == s.index[&v] {
            let mut comp = Vec::new();
            loop {
                let w = s.stack.pop().expect("on the stack");
                s.on_stack.remove(&w);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort_unstable();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    let nodes: BTreeSet<usize> = graph
        .iter()
        .flat_map(|(k, v)| std::iter::once(*k).chain(v.iter().copied()))
        .collect();
    for v in nodes {
        if !s.index.contains_key(&v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

#[test]
fn the_model_and_below_never_name_their_watchers() {
    let lower = ["model/", "engine/", "protocol/", "check/"];
    let mut bad = Vec::new();
    for f in read_files() {
        if !lower.iter().any(|d| f.rel.starts_with(d)) {
            continue;
        }
        let text = fs::read_to_string(src_dir().join(&f.rel)).expect("readable");
        for name in [
            "crate::report",
            "crate::chrome",
            "crate::observe",
            "crate::trace",
            "crate::ticker",
        ] {
            if text.contains(&format!("{name}::")) || text.contains(&format!("{name};")) {
                bad.push(format!("{} mentions {name}", f.rel));
            }
        }
    }
    assert!(bad.is_empty(), "layering broken:\n{}", bad.join("\n"));
}

#[test]
fn no_file_is_over_800_lines_of_non_test_code() {
    let files = read_files();
    let mut test_files = BTreeSet::new();
    for f in &files {
        for c in &f.test_children {
            let mut m = f.module.clone();
            m.push(c.clone());
            test_files.insert(m);
        }
    }
    let long: Vec<String> = files
        .iter()
        .filter(|f| !test_files.contains(&f.module) && f.lines_before_tests > MAX_LINES)
        .map(|f| format!("{}: {} lines before its tests", f.rel, f.lines_before_tests))
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines of non-test code:\n{}",
        long.join("\n")
    );
}

#[test]
fn no_import_circles_between_files() {
    let tree = Tree::new(read_files());
    let graph = tree.graph();
    let all = circles(&graph);
    let found: Vec<String> = all
        .iter()
        .map(|c| {
            let names: Vec<&str> = c.iter().map(|&i| tree.files[i].rel.as_str()).collect();
            let edges: Vec<String> =
                c.iter()
                    .flat_map(|&a| {
                        let tree = &tree;
                        graph[&a].iter().filter(|b| c.contains(b)).map(move |&b| {
                            format!("{} -> {}", tree.files[a].rel, tree.files[b].rel)
                        })
                    })
                    .collect();
            format!("circle {{{}}}: {}", names.join(", "), edges.join("; "))
        })
        .collect();
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn the_circle_finder_finds_circles_and_only_circles() {
    let g: BTreeMap<usize, BTreeSet<usize>> = [
        (0, [1].into()),
        (1, [2].into()),
        (2, [0, 3].into()),
        (3, [4].into()),
        (4, [].into()),
        (5, [6].into()),
        (6, [5].into()),
    ]
    .into_iter()
    .collect();
    assert_eq!(circles(&g), vec![vec![0, 1, 2], vec![5, 6]]);
    let dag: BTreeMap<usize, BTreeSet<usize>> =
        [(0, [1, 2].into()), (1, [2].into()), (2, [].into())]
            .into_iter()
            .collect();
    assert!(circles(&dag).is_empty());
}

#[test]
fn the_reader_sees_re_exports_tests_and_inline_paths() {
    let file = |rel: &str, text: &str| {
        let (code, test_children) = drop_test_items(&strip_comments(text));
        File {
            rel: rel.to_string(),
            module: module_of(rel).expect("in the library"),
            code,
            lines_before_tests: 0,
            test_children,
        }
    };
    let tree = Tree::new(vec![
        file("lib.rs", "pub mod a;\npub mod b;\n"),
        file("a/mod.rs", "mod leaf;\npub use leaf::{Thing, Other as Renamed};\n#[cfg(test)]\nmod tests;\n"),
        file("a/leaf.rs", "pub struct Thing;\npub struct Other;\n"),
        file("a/tests.rs", "use crate::b::User;\n"),
        file(
            "b.rs",
            "use crate::a::Thing;\n// use crate::c::Nothing;\npub struct User(Thing);\n\
             fn f() -> crate::a::Renamed { todo!() }\n#[cfg(test)]\nmod tests { use crate::a::tests; }\n",
        ),
    ]);
    let g = tree.graph();
    let at = |rel: &str| {
        tree.files
            .iter()
            .position(|f| f.rel == rel)
            .expect("a file")
    };
    assert_eq!(g.get(&at("b.rs")), Some(&[at("a/leaf.rs")].into()));
    assert_eq!(g.get(&at("a/mod.rs")), None, "a re-export is no import");
    assert!(circles(&g).is_empty(), "a re-export is not a circle");
    assert_eq!(
        tree.files[at("a/mod.rs")].test_children,
        vec!["tests".to_string()]
    );
}
