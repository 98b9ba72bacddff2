//! Headless Chromium under WebDriver for the browser suites (`browser`,
//! `staff_page`): where the browser and its driver are, chromedriver on a
//! free loopback port with a session of a fresh headless profile, and a
//! bounded wait for the page's URL.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::process::Running;

/// The bound of every single wait for a page or an element.
pub const STEP: Duration = Duration::from_secs(20);

/// Chromium and chromedriver (`CHROMIUM`, `CHROMEDRIVER`, or Debian's
/// paths); an error naming what is missing and how to install it.
pub fn browser_paths() -> Result<(PathBuf, PathBuf), String> {
    let chromium =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    let driver = PathBuf::from(
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
    );
    let missing: Vec<String> = [&chromium, &driver]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok((chromium, driver))
    } else {
        Err(format!(
            "{} not installed (apt-get install chromium chromium-driver; scripts/ci-install.sh does it)",
            missing.join(" and ")
        ))
    }
}

/// chromedriver on a free loopback port, and a WebDriver session of a
/// headless Chromium with the fresh profile `profile` (Japanese, a
/// desktop-sized window; no background network, which this machine's
/// closed network would refuse).
pub async fn browser(chromium: &Path, driver: &Path, profile: &Path) -> (Running, Client) {
    let mut cmd = Command::new(driver);
    cmd.args(["--port=0", "--allowed-ips=127.0.0.1"]);
    let mut chromedriver = Running::start(cmd);
    let port: u16 = chromedriver.wait_for_line(STEP, |l| {
        l.split("started successfully on port ")
            .nth(1)
            .and_then(|p| p.trim().trim_end_matches('.').parse().ok())
    });
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium.display().to_string(),
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-quic",
                "--no-first-run",
                "--disable-sync",
                "--lang=ja",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert(
        "timeouts".to_owned(),
        json!({"pageLoad": 20_000, "script": 20_000, "implicit": 0}),
    );
    let client = tokio::time::timeout(
        STEP,
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}")),
    )
    .await
    .expect("a WebDriver session within the bound")
    .expect("WebDriver session");
    (chromedriver, client)
}

/// Polls the browser's URL until `pred` holds (bounded by [`STEP`]).
pub async fn wait_for_url(c: &Client, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        let url = c.current_url().await.expect("current url").to_string();
        if pred(&url) {
            return url;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still at {url} after {STEP:?}; page: {}",
            c.source().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
