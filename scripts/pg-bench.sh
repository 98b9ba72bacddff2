#!/usr/bin/env bash
# A durable PostgreSQL cluster for the receiver load benchmark
# (docs/PERFORMANCE.md): scripts/pg-test.sh with fsync, synchronous_commit
# and full_page_writes on (PostgreSQL's defaults), in its own directory and
# from its own first port, so it runs beside the tests' throwaway cluster.
#
#   eval "$(scripts/pg-bench.sh start)"   # exports ZEUS_CARRIER_BENCH_PG_URL
#   cargo run --release -p zeus-carrier-bench -- receiver   # reads it
#   scripts/pg-bench.sh stop
set -euo pipefail
export ZEUS_CARRIER_PG_DURABLE=1
export ZEUS_CARRIER_PG_DIR=${ZEUS_CARRIER_PG_BENCH_DIR:-/var/tmp/zeus-carrier-pg-bench}
export ZEUS_CARRIER_PG_PORT=${ZEUS_CARRIER_PG_BENCH_PORT:-54429}
export ZEUS_CARRIER_PG_URL_VAR=ZEUS_CARRIER_BENCH_PG_URL
exec "$(dirname "$0")/pg-test.sh" "$@"
