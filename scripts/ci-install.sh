#!/usr/bin/env bash
# Installs what a fresh build machine lacks. Idempotent.
set -euo pipefail
if ! command -v cargo-deny >/dev/null 2>&1; then
    cargo install --locked cargo-deny
fi
# Headless Chromium and its WebDriver for the browser test
# (tests/browser.rs fails in CI without them).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi
