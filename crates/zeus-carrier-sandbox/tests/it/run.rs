//! `run` and startup checks (INTERFACES.md §1–§2).

use std::time::Duration;

use zeus_carrier_sandbox::{SandboxConfig, SandboxError, SandboxState, run};

use crate::common::within;

#[tokio::test]
async fn run_serves_until_the_shutdown_future_completes() {
    within(async {
        let config = SandboxConfig::from_flags(["--listen", "127.0.0.1:0"]).expect("flags");
        let shutdown = tokio::time::sleep(Duration::from_millis(200));
        run(config, shutdown).await.expect("clean shutdown");
    })
    .await;
}

#[tokio::test]
async fn run_reports_an_address_it_cannot_bind() {
    within(async {
        let config = SandboxConfig::from_flags(["--listen", "256.0.0.1:1"]).expect("flags");
        let err = run(config, std::future::pending())
            .await
            .expect_err("bind fails");
        assert!(matches!(err, SandboxError::Bind { .. }), "{err}");
    })
    .await;
}

#[test]
fn startup_refuses_unusable_flags() {
    for flags in [
        ["--cgi-params", "status,colour"],
        ["--cgi-params", "status,status"],
        ["--cgi-url", "not a url"],
        ["--mail-to", "nobody"],
        ["--clientip", "12345"],
        ["--zkey", "has space"],
        ["--test-id", "12a"],
    ] {
        let config = SandboxConfig::from_flags(flags).expect("flags parse");
        let err = SandboxState::new(config).expect_err("refused");
        assert!(err.to_string().starts_with("--"), "{err}");
    }
}
