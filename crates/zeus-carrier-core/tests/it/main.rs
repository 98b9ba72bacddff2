//! Integration tests of `zeus-carrier-core`, compiled into one binary.

mod architecture;
mod dependencies;
mod generated_docs;
mod spec_coverage;
mod state_machine;
mod strategies;
