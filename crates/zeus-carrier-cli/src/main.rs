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
    Sandbox(zeus_carrier_sandbox::SandboxConfig),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sandbox(config) => {
            runtime::init_logging("info");
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
            // So is the merchant configuration the flags make (e.g.
            // `--allow-ip` with a gateway that is not loopback): a usage
            // error, exit 2 (INTERFACES v3 §3), before anything is opened.
            if let Err(e) = config.merchant_config(zeus_carrier_http::Clock::system()) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
            runtime::block_on(zeus_carrier_serve::run(config, runtime::shutdown_signal()))
        }
        Command::Demo(args) => cmd::demo::run(&args),
        Command::Transitions(args) => cmd::transitions::run(&args),
        Command::CheckOrder(args) => cmd::check_order::run(&args),
        Command::ErrorCode(args) => cmd::error_code::run(&args),
    }
}
