//! README.md and README.ja.md state the same commands (issue 20): every
//! command line of a ```` ```sh ```` block in one — a line starting with
//! `cargo`, `scripts/`, `zeus-carrier`, `curl`, `echo`, `chmod`, `export`
//! or `ZEUS_CARRIER_`, with its `\` continuation lines joined, its
//! trailing `# comment` removed and its spaces collapsed — is in the
//! other, and README.md links the Japanese one in its first lines.

use std::collections::BTreeSet;
use std::path::PathBuf;

const COMMAND_STARTS: &[&str] = &[
    "cargo ",
    "scripts/",
    "zeus-carrier ",
    "curl ",
    "echo ",
    "chmod ",
    "export ",
    "ZEUS_CARRIER_",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A line without a trailing `# comment` (a `#` after a space, outside
/// quotes) and with its runs of spaces made one.
fn strip_comment(line: &str) -> String {
    let mut out = String::new();
    let (mut single, mut double, mut prev_space) = (false, false, true);
    for ch in line.chars() {
        match ch {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev_space => break,
            _ => {}
        }
        prev_space = ch.is_whitespace();
        out.push(ch);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The commands of every ```` ```sh ```` block (indented blocks too).
fn commands(markdown: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_sh = false;
    let mut pending: Option<String> = None;
    for raw in markdown.lines() {
        let line = raw.trim();
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim_start_matches('`').trim() == "sh";
            pending = None;
            continue;
        }
        if !in_sh {
            continue;
        }
        let (body, continues) = match line.strip_suffix('\\') {
            Some(b) => (b.trim_end(), true),
            None => (line, false),
        };
        let joined = match pending.take() {
            Some(mut p) => {
                p.push(' ');
                p.push_str(body);
                p
            }
            None if COMMAND_STARTS.iter().any(|s| body.starts_with(s)) => body.to_owned(),
            None => continue,
        };
        if continues {
            pending = Some(joined);
        } else {
            out.insert(strip_comment(&joined));
        }
    }
    out
}

#[test]
fn issue_20_the_command_reader_joins_continuations_and_drops_comments() {
    let md = "text\n```sh\n# a comment\ncargo run --release -- demo   # the demo\n\
              cargo run -- serve --a 1 \\\n    --b 2\ncurl -H \"X: #1\" http://h/\n\
              # → output\n```\n```rust\ncargo not a command\n```\n  ```sh\n  scripts/test.sh\n  ```\n";
    let got: Vec<String> = commands(md).into_iter().collect();
    assert_eq!(
        got,
        [
            "cargo run -- serve --a 1 --b 2",
            "cargo run --release -- demo",
            "curl -H \"X: #1\" http://h/",
            "scripts/test.sh",
        ]
    );
}

#[test]
fn issue_20_readme_ja_states_every_command_of_readme_and_no_other() {
    let en = commands(&read("README.md"));
    let ja = commands(&read("README.ja.md"));
    assert!(
        en.contains("cargo run --release -- demo") && en.contains("scripts/test.sh"),
        "the two commands are found in README.md: {en:#?}"
    );
    let missing_ja: Vec<&String> = en.difference(&ja).collect();
    let missing_en: Vec<&String> = ja.difference(&en).collect();
    assert!(
        missing_ja.is_empty() && missing_en.is_empty(),
        "commands in README.md but not README.ja.md: {missing_ja:#?}\n\
         commands in README.ja.md but not README.md: {missing_en:#?}"
    );
}

#[test]
fn issue_20_readme_links_the_japanese_one_in_its_first_lines() {
    let en = read("README.md");
    let head: Vec<&str> = en.lines().take(5).collect();
    assert!(
        head.iter().any(|l| l.contains("(README.ja.md)")),
        "README.md's first lines: {head:#?}"
    );
    let ja = read("README.ja.md");
    let head: Vec<&str> = ja.lines().take(5).collect();
    assert!(
        head.iter().any(|l| l.contains("(README.md)")),
        "README.ja.md links back: {head:#?}"
    );
}
