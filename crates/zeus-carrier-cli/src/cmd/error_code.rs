//! `zeus-carrier error-code CODE`: the code's result class, Japanese
//! meaning, English gloss and retry advice (R-EC-1, R-EC-2). Exit 0 when the
//! code is in the manual's catalog, 1 when it is not.

use std::process::ExitCode;

use zeus_carrier_core::error_code::{ErrorCodePrefix, Lookup, lookup};

/// Arguments of `error-code`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The code as the gateway sent it, e.g. 010010012.
    code: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &Args) -> ExitCode {
    let found = lookup(&args.code);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).unwrap_or_default()
        );
    } else {
        match &found {
            Lookup::Known(entry) => {
                let text = entry.to_string();
                println!("{}", text.trim_end());
            }
            Lookup::Unknown(unknown) => {
                println!("{}: not in the gateway's error catalog", unknown.raw);
                let prefix = ErrorCodePrefix::parse(&unknown.raw);
                if let Some(class) = prefix.class() {
                    println!("  prefix suggests: {class}");
                }
                println!("  retry:   {}", found.retry_advice());
            }
        }
    }
    match found {
        Lookup::Known(_) => ExitCode::SUCCESS,
        Lookup::Unknown(_) => ExitCode::from(1),
    }
}
