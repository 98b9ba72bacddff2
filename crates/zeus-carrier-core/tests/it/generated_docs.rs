//! Generated documents are produced from the core's data and must match the
//! committed files, so the docs cannot drift from the code.
//! `UPDATE_DOCS=1` rewrites them instead of failing.

use std::path::PathBuf;

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// Compares a committed file with its generated content.
pub(crate) fn check_generated(rel: &str, generated: &str) {
    let path = repo_file(rel);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == generated {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).expect("write generated doc");
        return;
    }
    panic!(
        "{rel} differs from what the code generates; run \
         `UPDATE_DOCS=1 cargo test -p zeus-carrier-core --test it generated_docs` and commit it"
    );
}

#[test]
fn r_tr_1_transitions_doc_is_generated_from_the_table() {
    check_generated(
        "docs/TRANSITIONS.md",
        &zeus_carrier_core::docs::transitions_document(),
    );
}

#[test]
fn r_ec_1_error_codes_doc_is_generated_from_the_catalog() {
    check_generated(
        "docs/ERROR_CODES.md",
        &zeus_carrier_core::error_code::catalog_markdown(),
    );
}

#[test]
fn r_tr_1_transition_formats_snapshot() {
    insta::assert_snapshot!(
        "transitions_markdown",
        zeus_carrier_core::docs::transitions_markdown()
    );
    insta::assert_snapshot!(
        "transitions_mermaid",
        zeus_carrier_core::docs::transitions_mermaid()
    );
    insta::assert_snapshot!(
        "transitions_dot",
        zeus_carrier_core::docs::transitions_dot()
    );
}
