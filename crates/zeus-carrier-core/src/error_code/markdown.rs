//! docs/ERROR_CODES.md, generated from the catalog so the two cannot drift
//! (R-EC-1, R-EC-2).

use std::fmt::Write as _;

use strum::IntoEnumIterator;

use super::{CATALOG, ResultKind, RetryAdvice};

/// A table cell: `|` would end the cell, so it is escaped (no catalog text
/// contains one today; this keeps the table well-formed if one is added).
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The whole of docs/ERROR_CODES.md: a title, an intro, the retry legend
/// and one table per result class (code | 意味 | English | retry).
pub fn catalog_markdown() -> String {
    let mut out = String::from("# Error codes\n\n");
    let _ = write!(
        out,
        "Generated from `zeus-carrier-core` (`error_code::catalog_markdown`); do not edit by hand.\n\
         Regenerate with `UPDATE_DOCS=1 cargo test -p zeus-carrier-core --test it generated_docs`,\n\
         or print one entry with `zeus-carrier error-code CODE`. These are the {} codes of the\n\
         manual's \"error_code一覧\" tables (SPEC §8, R-EC-1), grouped by the `result` they come\n\
         with; the codes and the Japanese meanings (意味) are verbatim, the English glosses are\n\
         ours, and \"(from the carrier)\" stands for the manual's \"(決済機関キャリア)\". Codes are\n\
         strings of 8 or 9 characters. In CGI calls only the prefix is promised: `00…` parameter\n\
         error, `01…` failure, `02…` maintenance, `-` no error.\n\n",
        CATALOG.len()
    );
    out.push_str("Retry (R-EC-2):\n\n");
    for r in RetryAdvice::iter() {
        let _ = writeln!(out, "- **{}**: {}.", r.label(), r.describe());
    }
    for class in ResultKind::ERROR_CLASSES {
        let _ = write!(
            out,
            "\n## `{}` — {} ({})\n\n{}.\n\n\
             | code | 意味 | English | retry |\n\
             |---|---|---|---|\n",
            class.wire_name(),
            class.label_ja(),
            count_codes(class.entries().count()),
            capitalized(class.describe()),
        );
        for e in class.entries() {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                e.code,
                cell(e.meaning_ja),
                cell(e.gloss_en),
                e.retry.label(),
            );
        }
    }
    out
}

/// `text` with its first character in upper case.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "1 code", "19 codes".
fn count_codes(n: usize) -> String {
    if n == 1 {
        "1 code".to_owned()
    } else {
        format!("{n} codes")
    }
}
