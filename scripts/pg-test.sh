#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the store's tests
# (crates/zeus-carrier-store, tests/it).
#
#   scripts/pg-test.sh start    # start it (idempotent); prints the export line
#   scripts/pg-test.sh env      # print `export ZEUS_CARRIER_TEST_PG_URL=...`
#   scripts/pg-test.sh status   # say whether it runs
#   scripts/pg-test.sh stop     # stop it and delete its data directory
#
# Typical use:
#   eval "$(scripts/pg-test.sh start)"
#   cargo test -p zeus-carrier-store
#   scripts/pg-test.sh stop
#
# The cluster listens on 127.0.0.1 only, on the first free port from 54329
# on, with trust authentication for the loopback address, and has a database
# `zeus_test`. It is tuned for tests, not for durability (fsync=off): never
# point a real merchant at it.
#
# initdb and the server refuse to run as root, so as root the cluster is
# owned and run by the user `postgres` (created with useradd if missing).
#
# Environment:
#   ZEUS_CARRIER_PG_DURABLE=1  a durable cluster (fsync, synchronous_commit
#                        and full_page_writes on, PostgreSQL's defaults) for
#                        benchmarks: scripts/pg-bench.sh sets it
#   ZEUS_CARRIER_PG_DIR  where the cluster lives [/tmp/zeus-carrier-pg]
#   ZEUS_CARRIER_PG_BIN  the PostgreSQL binaries [/usr/lib/postgresql/15/bin]
#   ZEUS_CARRIER_PG_PORT the first port to try [54329]
set -euo pipefail

PG_DIR=${ZEUS_CARRIER_PG_DIR:-/tmp/zeus-carrier-pg}
PG_BIN=${ZEUS_CARRIER_PG_BIN:-/usr/lib/postgresql/15/bin}
FIRST_PORT=${ZEUS_CARRIER_PG_PORT:-54329}
DATA="$PG_DIR/data"
PORT_FILE="$PG_DIR/port"
LOG="$PG_DIR/server.log"
DB=zeus_test
if [ "${ZEUS_CARRIER_PG_DURABLE:-0}" = 1 ]; then
    DURABILITY="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
else
    DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
# The variable `env` and `start` print.
URL_VAR=${ZEUS_CARRIER_PG_URL_VAR:-ZEUS_CARRIER_TEST_PG_URL}

die() {
    echo "pg-test.sh: $*" >&2
    exit 1
}

# Runs a command as the cluster's owner: `postgres` when we are root,
# ourselves otherwise.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_binaries() {
    if [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ]; then
        return
    fi
    echo "pg-test.sh: $PG_BIN/initdb not found; trying to install PostgreSQL 15" >&2
    if [ "$(id -u)" -ne 0 ]; then
        die "cannot install PostgreSQL: not root (install postgresql-15, or set ZEUS_CARRIER_PG_BIN)"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        die "cannot install PostgreSQL: apt-get not available (install PostgreSQL 15, or set ZEUS_CARRIER_PG_BIN)"
    fi
    # Once: postgresql-15, else the distribution's default `postgresql`.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq postgresql-15 >&2 || apt-get install -y -qq postgresql >&2 || true
    if [ ! -x "$PG_BIN/initdb" ]; then
        # The default package may be another major version.
        local found
        found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
        if [ -n "$found" ] && [ -x "$found/initdb" ]; then
            echo "pg-test.sh: using $found (PostgreSQL 15 not available)" >&2
            PG_BIN=$found
        else
            die "cannot start: no PostgreSQL binaries in $PG_BIN and installing postgresql-15/postgresql failed"
        fi
    fi
}

ensure_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /bin/bash postgres \
            || die "cannot create the user postgres (initdb refuses to run as root)"
    fi
}

port_in_use() {
    # A successful connect means something listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local p=$FIRST_PORT
    while [ "$p" -lt $((FIRST_PORT + 100)) ]; do
        if ! port_in_use "$p"; then
            echo "$p"
            return
        fi
        p=$((p + 1))
    done
    die "no free port in $FIRST_PORT..$((FIRST_PORT + 99)) on 127.0.0.1"
}

running() {
    [ -f "$DATA/PG_VERSION" ] && as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

url() {
    echo "postgres://postgres@127.0.0.1:$(cat "$PORT_FILE")/$DB"
}

print_env() {
    echo "export $URL_VAR=$(url)"
}

start() {
    ensure_binaries
    ensure_user
    if running; then
        echo "pg-test.sh: already running on port $(cat "$PORT_FILE")" >&2
        print_env
        return
    fi
    mkdir -p "$PG_DIR"
    if [ ! -f "$DATA/PG_VERSION" ]; then
        rm -rf "$DATA"
        mkdir -p "$DATA"
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres "$PG_DIR" "$DATA"
        fi
        chmod 700 "$DATA"
        as_owner "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust \
            --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
            || die "initdb failed; see $PG_DIR/initdb.log"
    fi
    local port
    port=$(pick_port)
    echo "$port" >"$PORT_FILE"
    # Loopback only; the socket lives in the cluster's own directory.
    as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_DIR \
         -c max_connections=300 $DURABILITY" >&2 \
        || die "the server did not start; see $LOG"
    if ! as_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB" \
            || die "could not create the database $DB"
    fi
    echo "pg-test.sh: PostgreSQL running on 127.0.0.1:$port (data in $DATA)" >&2
    print_env
}

stop() {
    if [ -f "$DATA/PG_VERSION" ] && [ -x "$PG_BIN/pg_ctl" ]; then
        if running; then
            as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 \
                || die "pg_ctl stop failed; see $LOG"
        fi
    fi
    rm -rf "$PG_DIR"
    echo "pg-test.sh: stopped" >&2
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env)
    running || die "not running (run: scripts/pg-test.sh start)"
    print_env
    ;;
status)
    if running; then
        echo "running on 127.0.0.1:$(cat "$PORT_FILE")"
    else
        echo "not running"
        exit 1
    fi
    ;;
*)
    echo "usage: $0 start|stop|env|status" >&2
    exit 2
    ;;
esac
