#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the ledger tests, installing Debian's
# postgresql package first when the machine has no server. Prints one line on stdout,
#   export CAPPED_TEST_PG_URL=postgres://capped@127.0.0.1:<port>/capped_test
# so callers run `eval "$(bash .ci/start-postgres.sh)"`; everything else goes to stderr.
# Idempotent: a server this script started before is reused in well under a second.
#
# The cluster lives in its own directory (not Debian's `main` cluster), owned by the `postgres`
# user since initdb refuses root, with trust authentication on loopback only: a test server,
# holding no data and no secret. CAPPED_TEST_PG_PORT / CAPPED_TEST_PG_DIR override the defaults.
set -euo pipefail

PORT="${CAPPED_TEST_PG_PORT:-54329}"
DIR="${CAPPED_TEST_PG_DIR:-/tmp/capped-test-pg}"
DB=capped_test
ROLE=capped
URL="postgres://${ROLE}@127.0.0.1:${PORT}/${DB}"

log() { echo "start-postgres: $*" >&2; }

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then echo "$dir"; fi
}

BIN="$(pg_bin)"
if [[ -z "$BIN" ]]; then
  log "installing PostgreSQL (Debian package postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
  BIN="$(pg_bin)"
  [[ -n "$BIN" ]] || { log "postgresql installed but no server binaries under /usr/lib/postgresql"; exit 1; }
fi

# initdb and postgres refuse to run as root: run them as the package's `postgres` user.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U "$ROLE" >/dev/null 2>&1; }

init_and_start() {
  mkdir -p "$DIR"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$DIR"
  chmod 700 "$DIR"
  if [[ ! -s "$DIR/data/PG_VERSION" ]]; then
    log "initdb in $DIR/data"
    as_owner "$BIN/initdb" -D "$DIR/data" -U "$ROLE" --auth=trust --encoding=UTF8 --no-locale --no-sync >&2
  fi
  log "starting on 127.0.0.1:$PORT"
  # Durability settings off: the tests kill clients, never this server, and want speed.
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2
}

if ! ready; then
  if ! init_and_start; then
    # A cluster left by a machine that stopped (a stale lock file, a half-written data directory)
    # holds nothing worth keeping: start over from an empty one.
    log "could not start the existing cluster; its log:"
    tail -n 20 "$DIR/server.log" >&2 || true
    log "recreating $DIR"
    rm -rf "$DIR"
    init_and_start || { log "server did not start; its log:"; tail -n 50 "$DIR/server.log" >&2 || true; exit 1; }
  fi
fi

psql_admin() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d postgres "$@"; }
if [[ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
  psql_admin -c "CREATE DATABASE $DB" >&2
fi

log "ready: $URL"
echo "export CAPPED_TEST_PG_URL=$URL"
