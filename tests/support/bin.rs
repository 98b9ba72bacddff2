//! The `zeus-carrier` binary under test.
//!
//! `env!("CARGO_BIN_EXE_zeus-carrier")` only exists in the package that owns
//! the binary, so the suites here find it at run time, in this order:
//!
//! 1. `ZEUS_CARRIER_BIN`, when set: that file, used as given (for a binary
//!    built elsewhere, e.g. a release build or another target).
//! 2. `zeus-carrier` beside the test binary's own directory
//!    (`target/<profile>/deps/..`), when it is **current**: it exists and
//!    no input of it (the root `Cargo.toml` and `Cargo.lock`, and every
//!    file of the CLI crate and of each workspace crate it depends on,
//!    outside their `tests/`, `benches/` and `examples/`) is newer than it.
//!    `cargo test --workspace` builds the binary (the CLI's own integration
//!    tests need it) before it runs any test, so there it is always
//!    current and used as is.
//! 3. Otherwise `cargo build -p zeus-carrier-cli --bin zeus-carrier` into
//!    the same target directory and profile (with the `CARGO` that runs the
//!    tests), once per test binary, and then that file. Cargo releases its
//!    build lock before it runs tests, so this works under `cargo test -p
//!    zeus-carrier-system-tests --test crash` too. Cargo decides then what
//!    is fresh; a failed build fails the test.
//!
//! So a stale binary is never used silently: either no input changed since
//! it was linked, or cargo was asked to bring it up to date.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::SystemTime;

/// The variable naming a prebuilt binary to test instead.
pub const BIN_VAR: &str = "ZEUS_CARRIER_BIN";

/// The binary's file name.
const BIN_NAME: &str = "zeus-carrier";

/// The path of the `zeus-carrier` binary to test (see the module docs):
/// found, or built, once per test binary.
pub fn zeus_carrier() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(locate)
}

/// A `Command` running the binary under test.
pub fn command() -> Command {
    Command::new(zeus_carrier())
}

/// The IP code every `serve` of the system tests runs with.
pub const SERVE_CLIENTIP: &str = "1234567890";

/// `zeus-carrier serve` on `db`, both faces on free loopback ports, the
/// tests' IP code and `zkey`, then `extra` flags; `RUST_LOG=warn`.
pub fn serve_command(db: &str, zkey: &str, extra: &[&str]) -> Command {
    let mut cmd = command();
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--operator-listen",
        "127.0.0.1:0",
        "--db",
        db,
        "--clientip",
        SERVE_CLIENTIP,
        "--zkey",
        zkey,
    ])
    .args(extra)
    .env("RUST_LOG", "warn");
    cmd
}

fn locate() -> PathBuf {
    if let Some(path) = std::env::var_os(BIN_VAR) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "{BIN_VAR}={} is not a file", path.display());
        eprintln!(
            "zeus-carrier under test: {} (from {BIN_VAR})",
            path.display()
        );
        return path;
    }
    let out = OutputDir::of_current_exe();
    let bin = out
        .profile_dir
        .join(format!("{BIN_NAME}{}", std::env::consts::EXE_SUFFIX));
    let workspace = workspace_root();
    match newer_input(&bin, &workspace) {
        None => {
            eprintln!("zeus-carrier under test: {} (current)", bin.display());
            return bin;
        }
        Some(why) => eprintln!(
            "zeus-carrier under test: building {} ({why})",
            bin.display()
        ),
    }
    out.build(&workspace);
    assert!(
        bin.is_file(),
        "cargo build succeeded but {} does not exist",
        bin.display()
    );
    bin
}

/// The root of the workspace (this package is its `tests/`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the package lives inside the workspace")
        .to_path_buf()
}

/// Where cargo put the running test binary.
struct OutputDir {
    /// `target` (the `--target-dir`).
    target_dir: PathBuf,
    /// `target[/<triple>]/<profile>`.
    profile_dir: PathBuf,
    /// The cargo profile: `dev` for `debug`, else the directory's name.
    profile: String,
    /// The `--target` triple, when the build was for an explicit target.
    triple: Option<String>,
}

impl OutputDir {
    /// From `target[/<triple>]/<profile>/deps/<test binary>`.
    fn of_current_exe() -> OutputDir {
        let exe = std::env::current_exe().expect("path of the running test binary");
        let deps = exe.parent().expect("test binary in a directory");
        assert!(
            deps.file_name().is_some_and(|n| n == "deps"),
            "the test binary {} is not in cargo's deps/ directory; set {BIN_VAR}",
            exe.display()
        );
        let profile_dir = deps.parent().expect("deps/ has a parent").to_path_buf();
        let dir_name = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("profile directory name")
            .to_owned();
        let profile = if dir_name == "debug" {
            "dev".to_owned()
        } else {
            dir_name
        };
        let above = profile_dir
            .parent()
            .expect("profile directory has a parent");
        // The target directory holds CACHEDIR.TAG; with `--target <triple>`
        // the profile directory is one level further down.
        let (target_dir, triple) = if above.join("CACHEDIR.TAG").is_file() {
            (above.to_path_buf(), None)
        } else {
            let triple = above
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned);
            (
                above.parent().expect("target directory").to_path_buf(),
                triple,
            )
        };
        OutputDir {
            target_dir,
            profile_dir,
            profile,
            triple,
        }
    }

    /// `cargo build -p zeus-carrier-cli --bin zeus-carrier` into this
    /// directory's target directory, profile and triple.
    fn build(&self, workspace: &Path) {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace)
            .args(["build", "-p", "zeus-carrier-cli", "--bin", BIN_NAME])
            .arg("--profile")
            .arg(&self.profile)
            .arg("--target-dir")
            .arg(&self.target_dir);
        if let Some(triple) = &self.triple {
            cmd.args(["--target", triple]);
        }
        let status = cmd.status().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
        assert!(status.success(), "{cmd:?} failed: {status}");
    }
}

/// The first input of the binary newer than it (or the binary missing), as
/// a reason to build; `None` when the binary is current.
fn newer_input(bin: &Path, workspace: &Path) -> Option<String> {
    let Some(built) = modified(bin) else {
        return Some("not built yet".to_owned());
    };
    let mut inputs = vec![workspace.join("Cargo.toml"), workspace.join("Cargo.lock")];
    for krate in cli_crates(workspace) {
        collect_files(&krate, &mut inputs);
    }
    inputs
        .into_iter()
        .find(|f| modified(f).is_some_and(|m| m > built))
        .map(|f| format!("{} is newer", f.display()))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The CLI crate and every workspace crate it depends on (normal and build
/// dependencies named `zeus-carrier-*` in `crates/`), transitively.
fn cli_crates(workspace: &Path) -> Vec<PathBuf> {
    let crates = workspace.join("crates");
    let mut found: Vec<PathBuf> = Vec::new();
    let mut todo = vec!["zeus-carrier-cli".to_owned()];
    while let Some(name) = todo.pop() {
        let dir = crates.join(&name);
        if found.contains(&dir) || !dir.is_dir() {
            continue;
        }
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        todo.extend(workspace_dependencies(&manifest));
        found.push(dir);
    }
    found
}

/// The `zeus-carrier-*` keys of a manifest's `[dependencies]` and
/// `[build-dependencies]` tables.
fn workspace_dependencies(manifest: &str) -> Vec<String> {
    let mut section = "";
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if (section == "[dependencies]" || section == "[build-dependencies]")
            && line.starts_with("zeus-carrier-")
        {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            names.push(name);
        }
    }
    names
}

/// Every file under `dir`, except test, bench and example directories.
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !matches!(
                name.to_str(),
                Some("tests" | "benches" | "examples" | "target")
            ) {
                collect_files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}
