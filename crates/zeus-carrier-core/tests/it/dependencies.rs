//! Tidy check: the workspace's dependency arrows (docs/ARCHITECTURE.md,
//! "Architecture invariants"), read from `cargo tree` per package — what a
//! shop depending on that package builds (features resolved for that
//! package alone; `cargo metadata`'s resolve unifies the whole
//! workspace's features and would blame the core for a test's feature):
//! - the core depends on no I/O crate, directly or not;
//! - the wire crate (`zeus-carrier-http`) knows no database: no store, no
//!   SQL driver, directly or not;
//! - no library crate a shop embeds (core, http, store, merchant, sandbox)
//!   depends on `clap` or `tracing-subscriber` (flags and log output belong
//!   to the programs: serve's flags and the CLI);
//! - a PostgreSQL-only shop (`zeus-carrier-merchant` without default
//!   features, with `postgres` and `axum`) builds no SQLite.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The packages in `package`'s normal (not dev, not build) dependency
/// tree, with `args` added; `depth` 1 gives the direct dependencies.
fn tree(package: &str, depth: Option<u32>, args: &[&str]) -> BTreeSet<String> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    c.current_dir(repo());
    c.args([
        "tree",
        "--locked",
        "--offline",
        "-p",
        package,
        "-e",
        "normal",
    ]);
    c.args(["--prefix", "none"]);
    if let Some(d) = depth {
        c.args(["--depth", &d.to_string()]);
    }
    let out = c.args(args).output().expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_owned)
        .collect()
}

const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "socket2",
    "hyper",
    "reqwest",
    "axum",
    "sqlx",
    "sqlx-core",
    "rusqlite",
    "libsqlite3-sys",
    "getrandom",
    "rand",
    "iana-time-zone",
];

const DATABASE_CRATES: &[&str] = &[
    "zeus-carrier-store",
    "sqlx",
    "sqlx-core",
    "rusqlite",
    "libsqlite3-sys",
    "tokio-postgres",
];

#[test]
fn tidy_the_core_depends_on_no_io_crate() {
    let deps = tree("zeus-carrier-core", None, &[]);
    assert!(deps.contains("chrono"), "{deps:?}");
    let bad: Vec<_> = IO_CRATES.iter().filter(|c| deps.contains(**c)).collect();
    assert!(bad.is_empty(), "zeus-carrier-core → {bad:?}");
}

#[test]
fn tidy_the_wire_crate_knows_no_database() {
    let deps = tree("zeus-carrier-http", None, &[]);
    assert!(deps.contains("reqwest"), "{deps:?}");
    let bad: Vec<_> = DATABASE_CRATES
        .iter()
        .filter(|c| deps.contains(**c))
        .collect();
    assert!(bad.is_empty(), "zeus-carrier-http → {bad:?}");
}

#[test]
fn tidy_no_library_crate_parses_flags_or_installs_a_log_subscriber() {
    let mut bad = Vec::new();
    for lib in [
        "zeus-carrier-core",
        "zeus-carrier-http",
        "zeus-carrier-store",
        "zeus-carrier-merchant",
        "zeus-carrier-sandbox",
    ] {
        let direct = tree(lib, Some(1), &["--all-features"]);
        for c in ["clap", "tracing-subscriber"] {
            if direct.contains(c) {
                bad.push(format!("{lib} → {c}"));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn tidy_a_postgresql_only_shop_builds_no_sqlite() {
    let deps = tree(
        "zeus-carrier-merchant",
        None,
        &["--no-default-features", "--features", "postgres,axum"],
    );
    assert!(
        deps.contains("sqlx-postgres"),
        "the PostgreSQL driver is built: {deps:?}"
    );
    let sqlite: Vec<_> = ["libsqlite3-sys", "rusqlite", "sqlx-sqlite"]
        .iter()
        .filter(|c| deps.contains(**c))
        .collect();
    assert!(
        sqlite.is_empty(),
        "SQLite in a PostgreSQL-only build: {sqlite:?}"
    );
}
