//! `zeus-carrier transitions [--format markdown|mermaid|dot|json]`: the
//! statuses and the transition table, printed from the core's own data
//! (R-TR-1). Every format names each status by its code, its label in the
//! manual (受付中 …) and its English name (INTERFACES §1); markdown is the
//! whole document of docs/TRANSITIONS.md.

use std::process::ExitCode;

use zeus_carrier_core::docs;
use zeus_carrier_core::transition::TRANSITIONS;

/// Output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    Markdown,
    Mermaid,
    Dot,
    Json,
}

/// Arguments of `transitions`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    format: Format,
}

pub(crate) fn render(format: Format) -> String {
    match format {
        Format::Markdown => docs::transitions_document(),
        Format::Mermaid => docs::transitions_mermaid(),
        Format::Dot => docs::transitions_dot(),
        // An array of transitions whose `from` and `to` are status objects
        // `{"code", "name", "label"}` (INTERFACES: the JSON shape of a
        // status).
        Format::Json => {
            let rows: Vec<_> = TRANSITIONS
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "from": t.from,
                        "event": t.event,
                        "to": t.to,
                        "actor": t.event.actor(),
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

pub(crate) fn run(args: &Args) -> ExitCode {
    print!("{}", render(args.format));
    ExitCode::SUCCESS
}
