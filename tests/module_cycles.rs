//! No two source files import each other: the folders follow a request (shells, expand,
//! properties, features, generate, over template), and a pair that needs each other is one
//! job split in the wrong place. Every `crate::` and `super::` path of a file counts, in `use`
//! lines and in code, resolved to the file that defines the module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each file's module path (`["features", "secrets", "grant"]`) and text.
fn source_files() -> Vec<(Vec<String>, String)> {
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
    let mut paths = Vec::new();
    walk(Path::new("src"), &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix("src").unwrap().with_extension("");
            let mut module: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            (module, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

/// The paths a file names: `crate::a::b` and `super::c`, with `{...}` groups of `use` lines
/// taken apart, resolved against the file's own module path.
fn named_paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    // An inline `mod tests { use super::*; ... }` names its own file, not the parent: cut.
    let code: String = text
        .lines()
        .take_while(|line| line.trim_start() != "mod tests {")
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    // `crate::`, `super::`, and `child::` for each `mod child;` the file declares.
    let mut prefixes = vec!["crate::".to_owned(), "super::".to_owned()];
    for line in code.lines() {
        let line = line.trim_start();
        let line = line.strip_prefix("pub ").unwrap_or(line);
        if let Some(name) = line.strip_prefix("mod ").and_then(|l| l.strip_suffix(';')) {
            prefixes.push(format!("{name}::"));
        }
    }
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let starts = prefixes
            .iter()
            .find(|p| rest.starts_with(p.as_str()))
            .filter(|_| {
                at == 0
                    || !(bytes[at - 1].is_ascii_alphanumeric()
                        || bytes[at - 1] == b'_'
                        || bytes[at - 1] == b':')
            });
        let Some(start) = starts else {
            at += rest.chars().next().unwrap().len_utf8();
            continue;
        };
        // The path, with a `{...}` group taken whole.
        let mut end = 0;
        let mut depth = 0;
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => depth -= 1,
                c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => break,
                _ => {}
            }
            end = i + c.len_utf8();
        }
        let written = &rest[..end];
        let (base, skip): (Vec<String>, usize) = if start == "crate::" {
            (Vec::new(), start.len())
        } else if start == "super::" {
            // The parent module, whether the file is a folder's mod.rs or a leaf.
            (
                module[..module.len().saturating_sub(1)].to_vec(),
                start.len(),
            )
        } else {
            // A child module the file declares, named from the file itself.
            (module.to_vec(), 0)
        };
        for path in expand_groups(&written[skip..]) {
            let mut full = base.clone();
            full.extend(
                path.split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            paths.push(full);
        }
        at += end.max(1);
    }
    paths
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand_groups(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.trim_end_matches("::").to_owned()];
    };
    let prefix = &path[..open];
    let inner = &path[open + 1..path.rfind('}').unwrap_or(path.len())];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut from = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[from..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty() && *part != "self")
        .flat_map(|part| expand_groups(&format!("{prefix}{part}")))
        .collect()
}

#[test]
fn no_two_source_files_import_each_other() {
    let files = source_files();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut imports: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, text) in &files {
        for path in named_paths(module, text) {
            // The file that defines the longest module prefix of the path.
            let target = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| modules.contains(prefix))
                .unwrap_or_default();
            if &target != module {
                imports.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    let show = |m: &Vec<String>| {
        if m.is_empty() {
            "lib".to_owned()
        } else {
            m.join("::")
        }
    };
    let mut cycles = Vec::new();
    for (from, targets) in &imports {
        for to in targets {
            if from < to && imports.get(to).is_some_and(|back| back.contains(from)) {
                cycles.push(format!("{} <-> {}", show(from), show(to)));
            }
        }
    }
    let edges: usize = imports.values().map(BTreeSet::len).sum();
    println!(
        "{} files, {edges} imports between files, {} two-file cycles",
        files.len(),
        cycles.len()
    );
    for cycle in &cycles {
        println!("  {cycle}");
    }
    assert!(
        cycles.is_empty(),
        "files importing each other:\n{}",
        cycles.join("\n")
    );
}

/// No source file passes 600 lines (docs/developing.md): past that, a file holds more than one
/// job, and its tests or a part go in `<file>/...`.
#[test]
fn no_source_file_passes_600_lines() {
    let long: Vec<String> = source_files()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > 600)
        .map(|(module, text)| format!("{} ({} lines)", module.join("::"), text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}
