//! Documentation generated from the core's own data, so it cannot drift:
//! the transition table and state diagram (docs/TRANSITIONS.md, the
//! `zeus-carrier transitions` command) (R-TR-1, D-2, R-ST-1).

use std::fmt::Write as _;

use strum::IntoEnumIterator;

use crate::status::{CgiRule, Status};
use crate::transition::{EventKind, TRANSITIONS};

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn cgi_cell(rule: CgiRule) -> &'static str {
    match rule {
        CgiRule::Never => "no",
        CgiRule::Always => "yes",
        CgiRule::Optional => "optional (D-13)",
    }
}

/// A status as every format names it: code, the manual's label and the
/// English name — `03 仮売完了 (Authorized)`.
pub fn status_cell(s: Status) -> String {
    format!("{} {} ({})", s.code(), s.label_ja(), s.name())
}

/// The status table (SPEC §2) as Markdown.
pub fn statuses_markdown() -> String {
    let mut out = String::from(
        "| code | 日本語 | name | mail | CGI | payout (R-ST-1) | terminal (D-2) |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for s in Status::iter() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            s.code(),
            s.label_ja(),
            s.name(),
            yes_no(s.sends_mail()),
            cgi_cell(s.cgi_rule()),
            if s.payout_eligible() { "**yes**" } else { "no" },
            yes_no(s.is_terminal()),
        );
    }
    out
}

/// The transition table (SPEC §3) as Markdown: one row per allowed
/// (status, event) pair.
pub fn transitions_markdown() -> String {
    let mut out = String::from("| from | event | to | by |\n|---|---|---|---|\n");
    for t in TRANSITIONS {
        let _ = writeln!(
            out,
            "| {} | `{}`: {} | {} | {} |",
            status_cell(t.from),
            t.event.name(),
            t.event.describe(),
            status_cell(t.to),
            <&str>::from(t.event.actor()),
        );
    }
    out
}

/// The state diagram as Mermaid `stateDiagram-v2`.
pub fn transitions_mermaid() -> String {
    let mut out = String::from("stateDiagram-v2\n    [*] --> S01: order.cgi accepted\n");
    for s in Status::iter() {
        let _ = writeln!(out, "    S{}: {}", s.code(), status_cell(s));
    }
    for t in TRANSITIONS {
        let _ = writeln!(
            out,
            "    S{} --> S{}: {}",
            t.from.code(),
            t.to.code(),
            t.event.name()
        );
    }
    for s in Status::iter().filter(|s| s.is_terminal()) {
        let _ = writeln!(out, "    S{} --> [*]", s.code());
    }
    out
}

/// The state diagram as Graphviz DOT.
pub fn transitions_dot() -> String {
    let mut out = String::from("digraph zeus_carrier {\n    rankdir=LR;\n    node [shape=box];\n");
    for s in Status::iter() {
        let shape = if s.is_terminal() {
            ", peripheries=2"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    s{} [label=\"{} {}\\n({})\"{}];",
            s.code(),
            s.code(),
            s.label_ja(),
            s.name(),
            shape
        );
    }
    for t in TRANSITIONS {
        let _ = writeln!(
            out,
            "    s{} -> s{} [label=\"{}\"];",
            t.from.code(),
            t.to.code(),
            t.event.name()
        );
    }
    out.push_str("}\n");
    out
}

/// Every event with who causes it and what it means.
pub fn events_markdown() -> String {
    let mut out = String::from("| event | by | meaning |\n|---|---|---|\n");
    for e in EventKind::iter() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            e.name(),
            <&str>::from(e.actor()),
            e.describe()
        );
    }
    out
}

/// The whole of docs/TRANSITIONS.md.
pub fn transitions_document() -> String {
    format!(
        "# Statuses and transitions\n\n\
         Generated from `zeus-carrier-core` (`docs::transitions_document`); do not edit by hand.\n\
         Regenerate with `UPDATE_DOCS=1 cargo test -p zeus-carrier-core --test it generated_docs`,\n\
         or print any part with `zeus-carrier transitions --format markdown|mermaid|dot|json`.\n\n\
         Every (status, event) pair that is not in the transition table is refused with a typed\n\
         error; the gateway answers such an operation with `failure_order` / 処理できないステータス\n\
         of the operation's family: `010010007` for a settle, `010010107` for a cancel (R-TR-1, R-CN-1).\n\n\
         ## Statuses (SPEC §2)\n\n{}\n\
         ## Transitions (SPEC §3)\n\n{}\n\
         ## Events\n\n{}\n\
         ## State diagram\n\n```mermaid\n{}```\n",
        statuses_markdown(),
        transitions_markdown(),
        events_markdown(),
        transitions_mermaid(),
    )
}
