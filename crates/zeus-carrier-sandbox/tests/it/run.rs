//! `run`, `start` and startup checks (INTERFACES.md §1–§2).

use std::time::Duration;

use zeus_carrier_sandbox::{MailSettings, Sandbox, SandboxConfig, SandboxError, Setting, run};

use crate::common::within;

#[tokio::test]
async fn run_serves_until_the_shutdown_future_completes() {
    within(async {
        let config = SandboxConfig::builder()
            .listen("127.0.0.1:0")
            .build()
            .expect("config");
        let shutdown = tokio::time::sleep(Duration::from_millis(200));
        run(config, shutdown).await.expect("clean shutdown");
    })
    .await;
}

#[tokio::test]
async fn run_reports_an_address_it_cannot_bind() {
    within(async {
        let config = SandboxConfig::builder()
            .listen("256.0.0.1:1")
            .build()
            .expect("config");
        let err = run(config, std::future::pending())
            .await
            .expect_err("bind fails");
        assert!(matches!(err, SandboxError::Bind { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn start_refuses_an_unusable_setting_by_name() {
    within(async {
        let err = Sandbox::builder()
            .mail(MailSettings::new("nobody"))
            .start()
            .await
            .expect_err("refused");
        match err {
            SandboxError::Config(e) => assert_eq!(e.setting, Setting::MailTo, "{e}"),
            other => panic!("{other}"),
        }
    })
    .await;
}
