//! The `zeus-carrier` command line (INTERFACES.md §1).

fn main() {}
