//! What the long-running commands share: a tokio runtime, logs on stderr,
//! and a shutdown future completing on SIGINT or SIGTERM (INTERFACES.md §1).

use std::future::Future;
use std::process::ExitCode;

/// Logs go to stderr (stdout carries `listening on …` and the demo's
/// timeline). `RUST_LOG` overrides the default level `info`; the database
/// driver's connect-option warnings, which quote option values, stay out
/// ([`zeus_carrier_serve::log_filter`]).
pub(crate) fn init_logging(default: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(zeus_carrier_serve::log_filter(default))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM: the serving library's own
/// [`zeus_carrier_serve::shutdown_signal`], for every long-running command.
pub(crate) async fn shutdown_signal() {
    zeus_carrier_serve::shutdown_signal().await;
}

/// Runs `fut` on a multi-threaded runtime; an error is printed on stderr
/// and gives exit code 1.
pub(crate) fn block_on<E: std::fmt::Display>(fut: impl Future<Output = Result<(), E>>) -> ExitCode {
    block_on_coded(fut, |_| 1)
}

/// [`block_on`], with the exit code of an error chosen by `code`.
pub(crate) fn block_on_coded<E: std::fmt::Display>(
    fut: impl Future<Output = Result<(), E>>,
    code: impl Fn(&E) -> u8,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(code(&e))
        }
    }
}
