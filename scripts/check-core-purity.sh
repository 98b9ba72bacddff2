#!/usr/bin/env bash
# The core's normal dependency tree holds no I/O runtime (issue: core purity).
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree -p zeus-carrier-core -e normal --prefix none --locked)
bad=$(printf '%s\n' "$tree" | grep -E '^(tokio|hyper|reqwest|axum|sqlx|mio|socket2) ' || true)
if [ -n "$bad" ]; then
    echo "zeus-carrier-core depends on I/O crates:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "zeus-carrier-core normal dependencies: $(printf '%s\n' "$tree" | awk '{print $1}' | sort -u | tr '\n' ' ')"
# No clock, file, socket or randomness in the core's source.
hits=$(grep -rnE 'Utc::now|Local::now|SystemTime::now|Instant::now|std::net|std::fs|std::env|rand::' crates/zeus-carrier-core/src | grep -vE '^\S+:[0-9]+:\s*//' | grep -v '/tests' | grep -v 'tests.rs' || true)
if [ -n "$hits" ]; then
    echo "zeus-carrier-core reads a clock or does I/O:" >&2
    echo "$hits" >&2
    exit 1
fi
