//! Tidy check: every requirement and decision of SPEC.md §2–§10 is cited by
//! the name of at least one test somewhere in the workspace, so a rule
//! cannot lose its test unnoticed.
//!
//! A test cites `R-SL-4` by a name containing `r_sl_4` (followed by `_` or
//! the end of the name), and `D-13` by `d13_` / `d_13_`.

use std::path::{Path, PathBuf};

/// Every id of SPEC.md §2–§10.
const IDS: &[&str] = &[
    "R-ST-1", "R-ST-2", "R-ST-3", "D-1", "R-TR-1", "R-TR-2", "D-2", "R-LP-1", "R-LP-2", "R-LP-3",
    "R-LP-4", "R-LP-5", "D-3", "D-4", "R-SL-1", "R-SL-2", "R-SL-3", "R-SL-4", "R-SL-5", "R-SL-6",
    "R-SL-7", "R-CN-1", "R-RS-1", "R-RS-2", "R-RS-3", "R-EC-1", "R-EC-2", "R-CG-1", "R-CG-2",
    "R-CG-3", "R-CG-4", "R-CG-5", "R-CG-6", "R-TM-1", "D-5", "D-6", "D-7", "D-8", "D-13", "D-14",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Names of functions following a `#[test]`-like attribute or inside a
/// proptest! / prop_state_machine! block (any `fn` whose name starts with an
/// id prefix counts: such names are only given to tests here).
fn test_names(src: &str) -> Vec<String> {
    src.split("fn ")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

fn cites(name: &str, id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    let forms: Vec<String> = if let Some(n) = lower.strip_prefix("d-") {
        vec![format!("d{n}_"), format!("d_{n}_")]
    } else {
        vec![lower.replace('-', "_")]
    };
    forms.iter().any(|f| {
        let mut from = 0;
        while let Some(i) = name[from..].find(f.as_str()) {
            let at = from + i;
            let before_ok = at == 0 || name.as_bytes()[at - 1] == b'_';
            let after = name.as_bytes().get(at + f.len()).copied();
            let after_ok = f.ends_with('_') || matches!(after, None | Some(b'_'));
            if before_ok && after_ok {
                return true;
            }
            from = at + 1;
        }
        false
    })
}

#[test]
fn every_spec_id_of_sections_2_to_10_is_cited_by_a_test_name() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|s| test_names(&s))
        .collect();
    let missing: Vec<&str> = IDS
        .iter()
        .copied()
        .filter(|id| !names.iter().any(|n| cites(n, id)))
        .collect();
    assert!(missing.is_empty(), "no test name cites: {missing:?}");
}

#[test]
fn citation_matching_is_exact() {
    assert!(cites("r_sl_4_today_after_2355", "R-SL-4"));
    assert!(!cites("r_sl_41_x", "R-SL-4"));
    assert!(cites("d13_optional_statuses", "D-13"));
    assert!(!cites("d13_optional_statuses", "D-1"));
    assert!(cites("d1_codes", "D-1"));
    assert!(cites("x_r_cg_3", "R-CG-3"));
}

fn all_text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() {
            if !matches!(name, "target" | ".git" | "node_modules") {
                all_text_files(&p, out);
            }
        } else if !name.ends_with(".lock") {
            out.push(p);
        }
    }
}

/// IPv4 literals in `text` (four dot-separated numbers 0–255).
fn ipv4_literals(text: &str) -> Vec<[u8; 4]> {
    let mut out = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
        let parts: Vec<&str> = token.trim_matches('.').split('.').collect();
        if parts.len() == 4 {
            let nums: Vec<u8> = parts.iter().filter_map(|p| p.parse().ok()).collect();
            if let [a, b, c, d] = nums[..] {
                out.push([a, b, c, d]);
            }
        }
    }
    out
}

/// Addresses allowed in the repository: loopback, unspecified, private test
/// networks and the documentation ranges of RFC 5737.
fn harmless(ip: [u8; 4]) -> bool {
    matches!(
        ip,
        [127, ..]
            | [0, 0, 0, 0]
            | [10, ..]
            | [192, 168, ..]
            | [192, 0, 2, _]
            | [198, 51, 100, _]
            | [203, 0, 113, _]
            | [255, 255, 255, 255]
    ) || (ip[0] == 172 && (16..=31).contains(&ip[1]))
}

/// D-8 / R-CG-5: the gateway's source addresses are confidential; no code
/// or document of the project ships a public IPv4 address (allowlists come
/// from configuration).
#[test]
fn d8_no_public_ip_address_ships_in_code_or_docs() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    all_text_files(&root, &mut files);
    let mut found = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for ip in ipv4_literals(&text) {
            if !harmless(ip) {
                found.push(format!(
                    "{}: {}.{}.{}.{}",
                    f.display(),
                    ip[0],
                    ip[1],
                    ip[2],
                    ip[3]
                ));
            }
        }
    }
    assert!(found.is_empty(), "public addresses found: {found:?}");
}

#[test]
fn ipv4_scanner_finds_addresses() {
    // Built at run time so that this file holds no public address itself.
    let public = format!("{}.{}.{}.{}", 8, 8, 4, 4);
    let text = format!("allow 127.0.0.1/32 and {public}.");
    assert_eq!(ipv4_literals(&text), vec![[127, 0, 0, 1], [8, 8, 4, 4]]);
    assert!(!harmless([8, 8, 4, 4]));
    assert!(harmless([127, 0, 0, 1]));
}
