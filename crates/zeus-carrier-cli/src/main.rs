//! `zeus-carrier`: the one binary of the project (INTERFACES.md §1).
//!
//! Rule tools (`transitions`, `check-order`, `error-code`) print what the
//! core knows; `sandbox` and `serve` run the two HTTP services; `demo` runs a
//! whole lifecycle in one process.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod runtime;

/// ZEUS carrier billing: sandbox gateway, merchant service and rule tools.
#[derive(Debug, Parser)]
#[command(name = "zeus-carrier", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the offline sandbox gateway until SIGINT/SIGTERM.
    Sandbox(cmd::sandbox::Args),
    /// Run the reference merchant service until SIGINT/SIGTERM.
    Serve(zeus_carrier_serve::ServeArgs),
    /// Run a whole payment lifecycle offline (sandbox + merchant service on
    /// loopback) and print its timeline; exit 0 when every step behaved as
    /// SPEC.md says.
    Demo(cmd::demo::Args),
    /// Print the transition table from the core's own data.
    Transitions(cmd::transitions::Args),
    /// Validate a Link Point order request; print every violation.
    CheckOrder(cmd::check_order::Args),
    /// Explain a gateway error code: class, meaning, retry advice.
    ErrorCode(cmd::error_code::Args),
}

/// Whether clap refused a value that is not a flag (a stray positional
/// argument), which its message would repeat.
fn is_stray_value(e: &clap::Error) -> bool {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    e.kind() == ErrorKind::UnknownArgument
        && matches!(
            e.get(ContextKind::InvalidArg),
            Some(ContextValue::String(arg)) if !arg.starts_with('-')
        )
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if is_stray_value(&e) => {
            // clap would quote it; it may be a piece of a secret: an
            // unquoted `--db host=… password=…`, a `--zkey` with a space.
            eprintln!(
                "error: unexpected value on the command line (not shown: it may hold a secret); quote a value that holds spaces, e.g. --db 'postgres://…'"
            );
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Sandbox(args) => {
            runtime::init_logging("info");
            let config = match args.into_config() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            runtime::block_on(zeus_carrier_sandbox::run(
                config,
                runtime::shutdown_signal(),
            ))
        }
        Command::Serve(args) => {
            runtime::init_logging("info");
            // Secrets are checked here, after clap: their errors name the
            // flag and the rule, never the value.
            let config = match args.into_config() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            // A configuration that cannot work (INTERFACES v3: a real
            // gateway without --allow-ip) and a refused secret file found
            // later (the generated operator token file, reused) are usage
            // errors too: exit 2.
            runtime::block_on_coded(
                zeus_carrier_serve::run(config, runtime::shutdown_signal()),
                |e| match e {
                    zeus_carrier_serve::ServeError::Secret(_)
                    | zeus_carrier_serve::ServeError::Config(_) => 2,
                    _ => 1,
                },
            )
        }
        Command::Demo(args) => cmd::demo::run(&args),
        Command::Transitions(args) => cmd::transitions::run(&args),
        Command::CheckOrder(args) => cmd::check_order::run(&args),
        Command::ErrorCode(args) => cmd::error_code::run(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(args: &[&str]) -> clap::Error {
        Cli::try_parse_from(args).expect_err("refused")
    }

    #[test]
    fn a_stray_value_is_recognised_and_a_mistyped_flag_is_not() {
        // An unquoted key=value --db: the password is a stray value.
        let e = parse_error(&[
            "zeus-carrier",
            "serve",
            "--clientip",
            "1234567890",
            "--db",
            "host=h",
            "password=SECRETPW",
        ]);
        assert!(is_stray_value(&e), "{e}");
        // clap's own message would have quoted it.
        assert!(e.to_string().contains("SECRETPW"));
        // A mistyped flag keeps clap's message (with its suggestion).
        let e = parse_error(&["zeus-carrier", "serve", "--lisen", "x"]);
        assert!(!is_stray_value(&e), "{e}");
        let e = parse_error(&["zeus-carrier", "serve", "--help"]);
        assert!(!is_stray_value(&e));
    }
}
