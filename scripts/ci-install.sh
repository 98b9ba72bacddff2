#!/usr/bin/env bash
# Installs what a fresh build machine lacks. Idempotent.
set -euo pipefail
if ! command -v cargo-deny >/dev/null 2>&1; then
    cargo install --locked cargo-deny
fi
