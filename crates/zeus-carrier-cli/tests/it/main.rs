//! The `zeus-carrier` binary driven as a user drives it (INTERFACES.md §1).

mod browser;
mod crash;
mod demo;
mod process;
mod rule_tools;
mod secrets;
mod servers;

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
