#![cfg(not(target_arch = "wasm32"))]
//! The modules of `src/model` import one another without a cycle (tests aside): each rule has
//! one home, and a module can be read knowing only the ones below it. A module is a file
//! (`trace.rs`) or a folder (`config/`, all its files together).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The code of a file without its comments and its test module (the first module marked
/// `#[cfg(test)]`; a test-only function elsewhere stays in).
fn code_of(text: &str) -> String {
    let test_module = text.match_indices("#[cfg(test)]").find(|(at, marker)| {
        let after = text[at + marker.len()..].trim_start();
        after.starts_with("mod ") || after.starts_with("pub(crate) mod ")
    });
    let code = &text[..test_module.map_or(text.len(), |(at, _)| at)];
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `crate::model::<name>` modules `code` refers to.
fn uses(code: &str) -> BTreeSet<String> {
    const PREFIX: &str = "crate::model::";
    code.match_indices(PREFIX)
        .map(|(at, _)| {
            code[at + PREFIX.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// Every module of `src/model` and the modules it uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/model");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |module: String, path: &Path| {
        let code = code_of(&fs::read_to_string(path).unwrap());
        let used = uses(&code).into_iter().filter(|used| *used != module);
        graph.entry(module.clone()).or_default().extend(used);
    };
    for entry in fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            for file in fs::read_dir(&path).unwrap() {
                add(name.clone(), &file.unwrap().path());
            }
        } else if name != "mod" {
            add(name, &path);
        }
    }
    graph
}

/// A cycle through `start`, if there is one: the modules in order.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        let here = path.last().unwrap().clone();
        for next in graph.get(&here).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(graph, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn the_model_modules_import_one_another_without_a_cycle() {
    let graph = graph();
    assert!(graph.len() >= 15, "read {} modules", graph.len());
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|module| cycle_from(&graph, module))
        .map(|cycle| cycle.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        cycle_from(&graph, "a").map(|c| c.join(" → ")).as_deref(),
        Some("a → b → c → a")
    );
    graph.get_mut("c").unwrap().clear();
    assert_eq!(cycle_from(&graph, "a"), None);
    assert_eq!(
        uses("use crate::model::trace::Trace;\nlet x = crate::model::words::count(1, \"a\");"),
        BTreeSet::from(["trace".to_owned(), "words".to_owned()])
    );
}
