//! The shape of the code, kept by a test: files small enough to read in one sitting, no
//! two files (or top-level modules) importing each other, the console apart from the
//! CLI, and clap types only where the command line is read.

// Helpers outside `#[test]` functions fail loudly too: a broken fixture should say where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines a file may have before its tests.
const MAX_LINES: usize = 500;

struct Source {
    path: String,
    /// Its module path inside the crate, e.g. `["tui", "update"]` for `tui/update/mod.rs`.
    module: Vec<String>,
    /// Whether it is a directory module (`mod.rs`, `lib.rs`), whose `super` is itself.
    is_dir: bool,
    /// The text before `#[cfg(test)]`.
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|file| {
            let rel = file.strip_prefix(&root).unwrap().with_extension("");
            let mut module: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let is_dir = matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            );
            if is_dir {
                module.pop();
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            Source {
                path: format!("src/{}", file.strip_prefix(&root).unwrap().display()),
                module,
                is_dir,
                code,
            }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every path written as `crate::a::b` or `super::a`, with `use … ::{x, y::z}` groups
/// expanded, as absolute module paths.
fn imported_paths(source: &Source) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let code = &source.code;
    let mut at = 0;
    while let Some(i) = next_root(code, at) {
        let rest = &code[i..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let written = rest[..len].trim_end_matches(':');
        let absolute = absolute(source, written);
        // A group: `prefix::{a, b::c}`.
        if rest[len..].starts_with('{') && rest[..len].ends_with("::") {
            let close = matching_brace(&rest[len..]).map_or(rest.len(), |c| len + c);
            for item in split_group(&rest[len + 1..close]) {
                let mut path = absolute.clone();
                path.extend(
                    item.split("::")
                        .map(str::trim)
                        .filter(|s| !s.is_empty() && *s != "self" && !s.starts_with('{'))
                        .map(str::to_string),
                );
                found.push(path);
            }
        }
        found.push(absolute);
        at = i + len.max(1);
    }
    found
}

/// The next `crate::` or `super::` that starts a path (not the tail of another word).
fn next_root(code: &str, from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = ["crate::", "super::"]
            .iter()
            .filter_map(|k| code[at..].find(k).map(|i| at + i))
            .min()?;
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            at = i + 1;
            continue;
        }
        return Some(i);
    }
}

fn absolute(source: &Source, written: &str) -> Vec<String> {
    let mut segments = written.split("::").filter(|s| !s.is_empty()).peekable();
    let mut base: Vec<String> = Vec::new();
    if segments.peek() == Some(&"crate") {
        segments.next();
    } else {
        base = source.module.clone();
        if !source.is_dir {
            base.pop();
        }
        // The first `super` is the file's parent; each further one climbs.
        let mut first = true;
        while segments.peek() == Some(&"super") {
            segments.next();
            if !first {
                base.pop();
            }
            first = false;
        }
    }
    base.extend(segments.map(str::to_string));
    base
}

fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
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

/// Splits `a, b::{c, d}, e` at its top-level commas.
fn split_group(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items.into_iter().map(str::trim).collect()
}

/// File-level imports: each file and the files it takes names from.
fn file_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<&[String], &str> = sources
        .iter()
        .map(|s| (s.module.as_slice(), s.path.as_str()))
        .collect();
    let mut graph = BTreeMap::new();
    for source in sources {
        let mut deps = BTreeSet::new();
        for path in imported_paths(source) {
            let file = (1..=path.len())
                .rev()
                .find_map(|n| by_module.get(&path[..n]).copied());
            if let Some(file) = file
                && file != source.path
            {
                deps.insert(file.to_string());
            }
        }
        graph.insert(source.path.clone(), deps);
    }
    graph
}

/// Every pair of nodes that reach each other.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, String)> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for d in graph.get(&n).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let mut found = Vec::new();
    for a in graph.keys() {
        let from_a = reach(a);
        for b in from_a.iter().filter(|b| *b > a) {
            if reach(b).contains(a) {
                found.push((a.clone(), b.clone()));
            }
        }
    }
    found
}

#[test]
fn no_file_is_too_long_to_read_in_one_sitting() {
    let long: Vec<String> = sources()
        .iter()
        // A `tests.rs` is a test module whole.
        .filter(|s| !s.path.ends_with("/tests.rs"))
        .map(|s| (s.path.clone(), s.code.lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(p, n)| format!("{p}: {n} lines"))
        .collect();
    assert!(long.is_empty(), "split these by job: {long:#?}");
}

#[test]
fn no_two_files_import_each_other() {
    let found = circles(&file_graph(&sources()));
    assert!(found.is_empty(), "import circles: {found:#?}");
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let sources = sources();
    let module_of = |path: &str| {
        let rest = path.trim_start_matches("src/");
        rest.split(['/', '.']).next().unwrap_or(rest).to_string()
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, deps) in file_graph(&sources) {
        let from = module_of(&file);
        for dep in deps {
            let to = module_of(&dep);
            if to != from && from != "lib" && from != "main" {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    let found = circles(&graph);
    assert!(found.is_empty(), "module circles: {found:#?}");
}

#[test]
fn the_console_does_not_reach_into_the_cli() {
    let bad: Vec<String> = sources()
        .iter()
        .filter(|s| s.path.starts_with("src/tui/") && s.code.contains("crate::headless"))
        .map(|s| s.path.clone())
        .collect();
    assert!(bad.is_empty(), "the console imports the CLI: {bad:?}");
}

#[test]
fn only_the_command_line_sees_clap_types() {
    let allowed =
        |p: &str| p.starts_with("src/cli/") || p == "src/main.rs" || p.starts_with("src/headless/");
    let bad: Vec<String> = sources()
        .iter()
        .filter(|s| !allowed(&s.path) && (s.code.contains("cli::") || s.code.contains("clap::")))
        .map(|s| s.path.clone())
        .collect();
    assert!(
        bad.is_empty(),
        "clap types outside the command line: {bad:?}"
    );
}

#[test]
fn the_checks_see_a_circle_when_there_is_one() {
    // The checker itself: two files naming each other are found, by `use` or inline path.
    let a = Source {
        path: "src/x/a.rs".into(),
        module: vec!["x".into(), "a".into()],
        is_dir: false,
        code: "use super::b::{Thing, other::Deep};\n".into(),
    };
    let b = Source {
        path: "src/x/b.rs".into(),
        module: vec!["x".into(), "b".into()],
        is_dir: false,
        code: "fn f() { crate::x::a::go() }\n".into(),
    };
    let c = Source {
        path: "src/x/mod.rs".into(),
        module: vec!["x".into()],
        is_dir: true,
        code: "mod a;\nmod b;\n".into(),
    };
    let found = circles(&file_graph(&[a, b, c]));
    assert_eq!(
        found,
        [("src/x/a.rs".to_string(), "src/x/b.rs".to_string())]
    );
}
