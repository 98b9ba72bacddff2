//! Tidy check: docs/ARCHITECTURE.md's code map names every module of every
//! crate, so a new module cannot be added without saying what it holds.
//!
//! A module is a `.rs` file under a crate's `src/` (other than `lib.rs`,
//! `main.rs` and `mod.rs`; a folder's `mod.rs` names the folder). Test-only
//! modules (`tests`, `*_tests`, `proptests`, `reference`) are left out.
//! The crate's section of the code map (from its `### ` heading, which names
//! `crates/<crate>`, to the next `### ` or `## ` heading) must contain the
//! module's path below `src/` in backticks (`merchant/notice`) or, for a
//! top-level module, its name (`merchant`); a folder may be named with a
//! trailing slash (`serve/`), which covers the modules inside it only when
//! the section also names each of them.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn is_test_module(stem: &str) -> bool {
    stem == "tests" || stem.ends_with("_tests") || stem == "proptests" || stem == "reference"
}

/// The modules of the crate whose `src/` is `src`, as paths below it.
fn modules(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("below src");
            let stem = rel.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if ["lib", "main", "mod"].contains(&stem) && rel.parent() == Some(Path::new("")) {
                continue;
            }
            if is_test_module(stem) {
                continue;
            }
            let mut name = rel.with_extension("").to_string_lossy().replace('\\', "/");
            if let Some(folder) = name.strip_suffix("/mod") {
                name = folder.to_owned();
            }
            out.push(name);
        }
    }
    out.sort();
    out
}

/// The text of the code map's section about `crate_dir`.
fn section<'a>(doc: &'a str, crate_dir: &str) -> Option<&'a str> {
    let needle = format!("`crates/{crate_dir}");
    let start = doc
        .match_indices("\n### ")
        .map(|(i, _)| i + 1)
        .find(|&i| doc[i..].lines().next().is_some_and(|h| h.contains(&needle)))?;
    let rest = &doc[start + 4..];
    let end = ["\n### ", "\n## "]
        .iter()
        .filter_map(|h| rest.find(h))
        .min()
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

#[test]
fn architecture_code_map_names_every_module() {
    let doc =
        std::fs::read_to_string(repo().join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut missing = Vec::new();
    let mut crates = 0;
    for entry in std::fs::read_dir(repo().join("crates"))
        .expect("crates/")
        .flatten()
    {
        let src = entry.path().join("src");
        if !src.is_dir() {
            continue;
        }
        crates += 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(text) = section(&doc, &name) else {
            missing.push(format!("{name}: no `### … crates/{name}` section"));
            continue;
        };
        for m in modules(&src) {
            let last = m.rsplit('/').next().unwrap_or(&m);
            let named = text.contains(&format!("`{m}`"))
                || (!m.contains('/') && text.contains(&format!("`{last}`")))
                || text.contains(&format!("`{m}/`"));
            if !named {
                missing.push(format!("{name}: `{m}`"));
            }
        }
    }
    assert!(crates >= 5, "found {crates} crates");
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md's code map does not name these modules; add a line saying what each holds:\n{}",
        missing.join("\n")
    );
}

#[test]
fn module_scan_finds_nested_modules_and_skips_tests() {
    let core = repo().join("crates/zeus-carrier-core/src");
    let found = modules(&core);
    assert!(found.contains(&"merchant/notice".to_owned()), "{found:?}");
    assert!(found.contains(&"status".to_owned()));
    assert!(!found.iter().any(|m| m.ends_with("tests")), "{found:?}");
    assert!(!found.contains(&"lib".to_owned()));
}
