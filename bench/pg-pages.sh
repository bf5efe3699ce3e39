#!/usr/bin/env bash
# Issue 21 / PLAT-21 on PostgreSQL: the public pages (/d/{id}, /s/{id}, the nearest-station API,
# /find) each beside /healthz in the same run, the server's peak memory; the database on the
# same machine. The SQLite twin is run.sh.
# Usage: PG=postgres://postgres@127.0.0.1:5432/renda_pgbench bench/pg-pages.sh
#        (BIN, DEPUTIES, STATIONS, DURATION, OUT to override; KEEP=1 keeps an existing database)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/renda}
PG=${PG:-postgres://postgres@127.0.0.1:5432/renda_pgbench}
DATA=${DATA:-/tmp/renda-pgbench}
DEPUTIES=${DEPUTIES:-280000}
STATIONS=${STATIONS:-20000}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10s}
PORT=${PORT:-18388}
OUT=${OUT:-bench/results-pg-pages-$(date +%Y-%m-%d).txt}

export RENDA_SESSION_SECRET=${RENDA_SESSION_SECRET:-bench-session-secret-0123456789abcdef}
export RENDA_AUDIT_SECRET=${RENDA_AUDIT_SECRET:-bench-audit-secret-0123456789abcdefgh}
export RENDA_FIELD_SECRET=${RENDA_FIELD_SECRET:-bench-field-secret-0123456789abcdefgh}
export RENDA_LOG=${RENDA_LOG:-warn}
export DATABASE_URL=$PG

log() { echo "$*" | tee -a "$OUT"; }
: > "$OUT"
log "# renda PostgreSQL pages bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
log "# binary ${REV:-$BIN}; deputies=$DEPUTIES stations=$STATIONS wrk: -t$THREADS -c$CONNS -d$DURATION; $(psql "$PG" -tAc 'SHOW server_version' 2>/dev/null || echo 'new database')"

db=${PG##*/}
db=${db%%\?*}
if [ -z "${KEEP:-}" ] || ! psql "$PG" -tAc 'SELECT 1 FROM persons LIMIT 1' > /dev/null 2>&1; then
    psql "${PG%/*}/postgres" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    rm -rf "$DATA" && mkdir -p "$DATA"
    /usr/bin/time -f "gen: %e s wall, %M KiB peak RSS" "$BIN" --data-dir "$DATA" --config /nonexistent.toml \
        gen --deputies "$DEPUTIES" --stations "$STATIONS" 2>&1 | grep -v '^代表 [0-9]' | tee -a "$OUT"
    psql "$PG" -q -c "VACUUM ANALYZE"
fi
log "database: $(psql "$PG" -tAc "SELECT pg_size_pretty(pg_database_size(current_database())) || ', ' || (SELECT count(*) FROM persons) || ' persons, ' || (SELECT count(*) FROM stations) || ' stations'")"
read -r PMIN PMAX < <(psql "$PG" -tA -F' ' -c 'SELECT min(id), max(id) FROM persons')
read -r SMIN SMAX < <(psql "$PG" -tA -F' ' -c 'SELECT min(id), max(id) FROM stations')

mkdir -p "$DATA"
"$BIN" --data-dir "$DATA" --config /nonexistent.toml serve --listen "127.0.0.1:$PORT" > "$DATA/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
log "server pid $PID, RSS after start: $(grep VmRSS /proc/$PID/status | awk '{print $2, $3}')"

bench() { # kind min max
    BENCH_KIND=$1 BENCH_MIN=${2:-1} BENCH_MAX=${3:-1} wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
        -s bench/random.lua "http://127.0.0.1:$PORT" | grep '^RESULT' | sed "s/\$/ load=$(cut -d' ' -f1 /proc/loadavg)/" | tee -a "$OUT"
}
BENCH_KIND=nearest wrk -t1 -c4 -d3s -s bench/random.lua "http://127.0.0.1:$PORT" > /dev/null

log ""
log "## public pages, each beside /healthz from the same run (two rounds)"
for round in 1 2; do
    log "# round $round"
    for case in "deputy $PMIN $PMAX" "station $SMIN $SMAX" "nearest 0 0"; do
        set -- $case
        bench healthz
        bench "$1" "$2" "$3"
    done
done
log ""
log "## /find (single requests, curl): $(for i in 1 2 3; do curl -s -o /dev/null -w '%{time_total} ' "http://127.0.0.1:$PORT/find"; done)"
log "server peak RSS (VmHWM): $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
log "load: $(cut -d' ' -f1-3 /proc/loadavg)"
