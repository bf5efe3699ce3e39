#!/usr/bin/env bash
# PLAT-20/21/22, REG-14 benchmark: generate (once), then measure the nearest-station index
# and the public pages with wrk, each beside its baseline from the same run.
# Usage: bench/run.sh            (defaults below; override with environment variables)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-/work/target-bench}
BIN=${BIN:-$TARGET/release/renda}
DATA=${DATA:-/tmp/renda-bench}
DEPUTIES=${DEPUTIES:-2800000}
STATIONS=${STATIONS:-200000}
DURATION=${DURATION:-20s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
PORT=${PORT:-8099}
OUT=${OUT:-bench/results-$(date +%Y%m%d-%H%M).txt}

export RENDA_SESSION_SECRET=${RENDA_SESSION_SECRET:-bench-session-secret-0123456789abcdef}
export RENDA_AUDIT_SECRET=${RENDA_AUDIT_SECRET:-bench-audit-secret-0123456789abcdefgh}
export RENDA_FIELD_SECRET=${RENDA_FIELD_SECRET:-bench-field-secret-0123456789abcdefgh}
export RENDA_LOG=${RENDA_LOG:-warn}
unset DATABASE_URL || true

log() { echo "$*" | tee -a "$OUT"; }
: > "$OUT"
log "# renda bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
log "# deputies=$DEPUTIES stations=$STATIONS wrk: -t$THREADS -c$CONNS -d$DURATION"

[ -x "$BIN" ] || CARGO_TARGET_DIR="$TARGET" cargo build --release
CARGO_TARGET_DIR="$TARGET" cargo build --release --example nearest_bench

if [ ! -f "$DATA/renda.db" ]; then
    mkdir -p "$DATA"
    start=$(date +%s.%N)
    /usr/bin/time -f "gen: %e s wall, %M KiB peak RSS" "$BIN" --data-dir "$DATA" --config /nonexistent.toml \
        gen --deputies "$DEPUTIES" --stations "$STATIONS" 2>&1 | grep -v '^代表 [0-9]' | tee -a "$OUT"
    log "gen wall time: $(echo "$(date +%s.%N) - $start" | bc) s"
fi
log "database: $(du -h "$DATA/renda.db" | cut -f1) $(sqlite3 "$DATA/renda.db" 'SELECT (SELECT count(*) FROM persons) || " persons, " || (SELECT count(*) FROM mandates) || " mandates, " || (SELECT count(*) FROM stations) || " stations, " || (SELECT count(*) FROM duty_slots) || " slots"')"

log ""
log "## (a) NearestIndex, compute only"
"$TARGET/release/examples/nearest_bench" "sqlite://$DATA/renda.db?mode=ro" 200000 | tee -a "$OUT"

read -r PMIN PMAX < <(sqlite3 -separator ' ' "$DATA/renda.db" 'SELECT min(id), max(id) FROM persons')
read -r SMIN SMAX < <(sqlite3 -separator ' ' "$DATA/renda.db" 'SELECT min(id), max(id) FROM stations')

"$BIN" --data-dir "$DATA" --config /nonexistent.toml serve --listen "127.0.0.1:$PORT" > /tmp/renda-bench-serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
log "server pid $PID, RSS after start: $(grep VmRSS /proc/$PID/status | awk '{print $2, $3}')"

bench() { # kind min max
    BENCH_KIND=$1 BENCH_MIN=${2:-1} BENCH_MAX=${3:-1} wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
        -s bench/random.lua "http://127.0.0.1:$PORT" | grep '^RESULT' | tee -a "$OUT"
}
# Warm the nearest-station index and the page cache a little (not measured).
BENCH_KIND=nearest wrk -t1 -c4 -d3s -s bench/random.lua "http://127.0.0.1:$PORT" > /dev/null

log ""
log "## (b) public pages, each beside /healthz from the same run"
for case in "deputy $PMIN $PMAX" "station $SMIN $SMAX" "nearest 0 0"; do
    set -- $case
    bench healthz
    bench "$1" "$2" "$3"
done
log ""
log "server peak RSS (VmHWM): $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
