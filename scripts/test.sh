#!/usr/bin/env bash
# The project's test command (README): starts a throwaway PostgreSQL for the
# store's PostgreSQL suite when this machine has PostgreSQL, then runs every
# test of the workspace, doc tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/pg-test.sh ] && [ -z "${ZEUS_CARRIER_TEST_PG_URL:-}" ]; then
    if eval "$(scripts/pg-test.sh start)"; then
        trap 'scripts/pg-test.sh stop >/dev/null 2>&1 || true' EXIT
    else
        echo "PostgreSQL could not be started: its tests will say they were skipped" >&2
    fi
fi
cargo test --workspace --locked "$@"
