#!/usr/bin/env bash
# The project's test command (README): starts a throwaway PostgreSQL for the
# PostgreSQL-backed suites when this machine has (or can install) PostgreSQL,
# then runs every test of the workspace with every feature, doc tests
# included: unit tests beside the code, each crate's crates/*/tests/it, and
# the whole-system suites and the regression corpus of the top-level tests/
# package (one binary per theme; docs/ARCHITECTURE.md lists them). Extra
# arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
started=
if [ -z "${ZEUS_CARRIER_TEST_PG_URL:-}" ]; then
    if out=$(scripts/pg-test.sh start); then
        eval "$out"
        started=1
        echo "PostgreSQL for tests: $ZEUS_CARRIER_TEST_PG_URL"
    else
        echo "PostgreSQL could not be started: its tests will say they were skipped" >&2
    fi
fi
cleanup() { [ -n "$started" ] && scripts/pg-test.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
cargo test --workspace --all-features --locked "$@"
