//! The architecture, read from the sources (DESIGN §3): `src/` is grouped in
//! subsystem folders, and each folder may use only the folders below it in
//! `MAY_USE`. A new `crate::…` or `super::…` path that breaks the table fails
//! here, naming the file and the import; so does a cycle between two modules,
//! inside a folder too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Folder (or top-level file) → the folders its non-test code may name.
/// The "Layout" section of docs/development.md shows the same table.
const MAY_USE: &[(&str, &[&str])] = &[
    ("sys", &[]),
    ("store", &["sys"]),
    ("shell", &["store", "sys"]),
    ("aws", &["store", "sys"]),
    ("keys", &["aws", "store", "sys"]),
    ("mfa", &["aws", "store", "sys"]),
    ("session", &["mfa", "keys", "aws", "store", "shell", "sys"]),
    (
        "iam_user",
        &["session", "mfa", "keys", "aws", "store", "sys"],
    ),
    (
        "server",
        &["session", "mfa", "keys", "aws", "store", "shell", "sys"],
    ),
    ("cli", &["shell", "aws", "sys"]),
    ("hot_path", &["cli", "shell", "sys"]),
    (
        "cmd",
        &[
            "cli", "server", "iam_user", "session", "mfa", "keys", "aws", "store", "shell", "sys",
        ],
    ),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, as its module path (`session::refresh`,
/// `store` for `store/mod.rs`), with its non-test code.
fn modules() -> BTreeMap<String, String> {
    let root = src();
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Tests may reach anywhere.
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            out.insert(parts.join("::"), code);
        }
    }
    out
}

/// The module a path like `session::refresh::ensure` names: the longest
/// prefix that is a module.
fn module_of(path: &[String], known: &BTreeSet<String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| known.contains(m))
}

fn ident_path(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            break;
        }
        rest = &rest[name.len()..];
        parts.push(name);
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    parts
}

/// The modules that the path after `crate::` (base empty) or `super::`
/// (base the parent) names: `a::b::item`, or each member of a group
/// `a::{b, c::d}`.
fn named_modules(base: &[String], after: &str, known: &BTreeSet<String>) -> Vec<String> {
    let mut stem = base.to_vec();
    stem.extend(ident_path(after));
    let mut found: Vec<String> = module_of(&stem, known).into_iter().collect();
    let tail =
        after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if let Some(group) = tail.strip_prefix('{') {
        let group = group.split('}').next().unwrap_or("");
        for member in group.split(',').map(str::trim) {
            let mut path = stem.clone();
            path.extend(ident_path(member.trim_start_matches('{')));
            found.extend(module_of(&path, known));
        }
    }
    found
}

/// Module → the other modules its non-test code names through `crate::` or
/// `super::` paths (in `use` lines, `use a::{b, c}` groups included, and
/// inline).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, code) in &modules {
        let deps = graph.entry(name.clone()).or_default();
        let is_folder_root = src().join(name.replace("::", "/")).is_dir();
        let own: Vec<String> = name.split("::").map(String::from).collect();
        // `super` in `a/b.rs` is `a`; in `a/mod.rs` it is the crate root.
        let parent: Vec<String> = if is_folder_root {
            own[..own.len().saturating_sub(1)].to_vec()
        } else {
            own[..own.len() - 1].to_vec()
        };
        for (i, _) in code.match_indices("crate::") {
            deps.extend(named_modules(&[], &code[i + "crate::".len()..], &known));
        }
        for (i, _) in code.match_indices("super::") {
            deps.extend(named_modules(&parent, &code[i + "super::".len()..], &known));
        }
        deps.remove(name);
    }
    graph
}

/// The folder (or top-level file) a module belongs to.
fn folder(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Every import that the table does not allow: (module, module it names).
fn broken_rules(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<(String, String)> {
    let table: BTreeMap<&str, &[&str]> = MAY_USE.iter().copied().collect();
    let mut broken = Vec::new();
    for (from, deps) in graph {
        if from == "main" {
            continue;
        }
        let allowed = table.get(folder(from)).copied().unwrap_or(&[]);
        for to in deps {
            if folder(to) != folder(from) && !allowed.contains(&folder(to)) {
                broken.push((from.clone(), to.clone()));
            }
        }
    }
    broken
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == next).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(cycle) = visit(next, graph, state, path) {
                        return Some(cycle);
                    }
                }
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str()) {
            let mut path = Vec::new();
            if let Some(cycle) = visit(node, graph, &mut state, &mut path) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn every_folder_uses_only_the_folders_below_it() {
    let graph = module_graph();
    // The reader sees what the code names (else an empty graph would pass).
    assert!(graph["session::refresh"].contains("store"));
    assert!(
        graph["keys::keyring"].contains("keys"),
        "super:: paths are read"
    );
    let broken = broken_rules(&graph);
    assert!(
        broken.is_empty(),
        "imports that break the layering of tests/architecture.rs (MAY_USE): {}",
        broken
            .iter()
            .map(|(from, to)| format!("{from} uses {to}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[test]
fn every_folder_of_src_is_in_the_table() {
    let table: BTreeSet<&str> = MAY_USE.iter().map(|(f, _)| *f).collect();
    for module in modules().keys() {
        let top = folder(module);
        assert!(
            top == "main" || table.contains(top),
            "src/{top} is not in MAY_USE: say which folders it may use"
        );
    }
}

#[test]
fn the_table_runs_one_way() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, uses) in MAY_USE {
        graph
            .entry(from.to_string())
            .or_default()
            .extend(uses.iter().map(|u| u.to_string()));
    }
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn no_module_depends_on_one_that_depends_on_it() {
    let graph = module_graph();
    if let Some(cycle) = find_cycle(&graph) {
        panic!("modules depend on each other: {}", cycle.join(" -> "));
    }
}

#[test]
fn a_wrong_import_is_caught() {
    // A module low in the stack that names one above it.
    let mut graph = module_graph();
    assert!(broken_rules(&graph).is_empty());
    graph
        .get_mut("store::lock")
        .unwrap()
        .insert("session::refresh".into());
    assert_eq!(
        broken_rules(&graph),
        [("store::lock".to_string(), "session::refresh".to_string())]
    );
    // And the reader finds such an import in text, in each of its forms.
    let known: BTreeSet<String> = modules().into_keys().collect();
    let session = ["session".to_string()];
    for (base, text, want) in [
        (
            &[][..],
            "session::refresh::ensure(",
            &["session::refresh"][..],
        ),
        (&session[..], "refresh::Request;", &["session::refresh"]),
        (
            &[],
            "session::{kind::Kind, role};",
            &["session", "session::kind", "session::role"],
        ),
        (&[], "store::Store;", &["store"]),
    ] {
        assert_eq!(named_modules(base, text, &known), want, "{text}");
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&graph), None);
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&graph).unwrap(),
        ["a", "b", "c", "a"].map(String::from)
    );
}

#[test]
fn the_hot_paths_do_not_reach_the_network_or_the_config() {
    // `prompt` and `hook-sync` run at every prompt: no aws-config, no STS.
    let graph = module_graph();
    let cmd_files = src().join("cmd");
    for hot in ["prompt.rs", "hook_sync.rs"] {
        let text = std::fs::read_to_string(cmd_files.join(hot)).unwrap();
        for far in [
            "crate::session::refresh",
            "crate::aws::sts",
            "crate::aws::profile::Profile",
            "crate::aws::net",
            "aws_config",
        ] {
            assert!(!text.contains(far), "{hot} reaches {far}");
        }
    }
    for module in graph.keys().filter(|m| folder(m) == "store") {
        assert!(
            graph[module]
                .iter()
                .all(|d| folder(d) == "store" || folder(d) == "sys"),
            "{module} reaches above the store: {:?}",
            graph[module]
        );
    }
}
