//! The `zeus-carrier` binary driven as a user drives it (INTERFACES.md §1):
//! the demo and the rule tools. The suites that run it as a server (crash,
//! servers, secrets in its logs) and the browser test are whole-system
//! suites in the workspace's `tests/` package.

mod demo;
mod process;
mod rule_tools;

use std::process::{Command, Output};

/// Runs the binary with `args`.
pub(crate) fn zeus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zeus-carrier"))
        .args(args)
        .output()
        .expect("run zeus-carrier")
}

/// Stdout as text.
pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
