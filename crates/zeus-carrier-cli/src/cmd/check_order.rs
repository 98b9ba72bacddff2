//! `zeus-carrier check-order FIELD=VALUE... [--charset sjis|utf8]`: validates
//! a Link Point order request and prints every violation, one a line, as
//! `field: rule` (R-LP-1). Exit 0 valid, 1 invalid, 2 usage.

use std::process::ExitCode;

use strum::IntoEnumIterator;
use zeus_carrier_core::Charset;
use zeus_carrier_core::link_point::{Field, OrderRequest};

/// Arguments of `check-order`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The request's fields, e.g. `money=1000 carrier_type=D`.
    #[arg(value_name = "FIELD=VALUE", required = true)]
    fields: Vec<String>,
    /// The charset the form will be sent in; byte limits count in it (D-3).
    #[arg(long, default_value = "sjis", value_parser = parse_charset)]
    charset: Charset,
}

fn parse_charset(s: &str) -> Result<Charset, String> {
    s.parse()
}

/// Exit code for a usage error.
const USAGE: u8 = 2;

pub(crate) fn run(args: &Args) -> ExitCode {
    let mut pairs = Vec::with_capacity(args.fields.len());
    for arg in &args.fields {
        let Some((name, value)) = arg.split_once('=') else {
            eprintln!("error: {arg:?} is not FIELD=VALUE");
            return ExitCode::from(USAGE);
        };
        if Field::from_wire_name(name).is_none() {
            eprintln!(
                "error: unknown field {name:?}; fields are: {}",
                Field::iter()
                    .map(Field::wire_name)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return ExitCode::from(USAGE);
        }
        pairs.push((name, value));
    }
    match OrderRequest::from_pairs(pairs).validate(args.charset) {
        Ok(_) => {
            println!("valid ({})", args.charset.name());
            ExitCode::SUCCESS
        }
        Err(violations) => {
            for v in violations.iter() {
                println!("{v}");
            }
            ExitCode::from(1)
        }
    }
}
