#!/usr/bin/env bash
# Issue 19: electronic voting at 2,000 voters — votes over HTTP, the live count on the hall's
# event stream, 2,000 open event connections and the server's memory, beside /healthz in the
# same run (examples/votes_bench.rs against `renda demo`).
# Usage: bench/votes.sh                     (SQLite; VOTERS=2000 SSE=2000 PORT=18201 by default)
#        PG=postgres://postgres@127.0.0.1:5432/renda_vbench bench/votes.sh   (PostgreSQL: the
#        database is dropped and created again)
#        NO_BUILD=1 …                       (use the binaries already built)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/renda}
DATA=${DATA:-/tmp/renda-vbench}
VOTERS=${VOTERS:-2000}
SSE=${SSE:-2000}
PORT=${PORT:-18201}
OUT=${OUT:-bench/results-votes-$(date +%Y%m%d-%H%M).txt}
export RENDA_LOG=${RENDA_LOG:-warn}
unset DATABASE_URL || true

[ -n "${NO_BUILD:-}" ] || CARGO_TARGET_DIR="$TARGET" cargo build --release --bin renda --example votes_bench
rm -rf "$DATA"
mkdir -p "$DATA"
BACKEND=SQLite
if [ -n "${PG:-}" ]; then
    BACKEND=PostgreSQL
    db=${PG##*/}
    db=${db%%\?*}
    psql "${PG%/*}/postgres" -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    export DATABASE_URL=$PG
fi
# 2,000 event connections and the voters' connections need file descriptors on both sides.
ulimit -n "$(ulimit -Hn)"
"$BIN" --data-dir "$DATA" --config /nonexistent.toml demo --listen "127.0.0.1:$PORT" > "$DATA/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.5; done
{
    echo "# renda votes bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $BACKEND; release build ${REV:-$(git rev-parse --short HEAD)}"
    echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg); open files limit $(ulimit -n)"
    "$TARGET/release/examples/votes_bench" "$DATA" "http://127.0.0.1:$PORT" "$PID" "$VOTERS" "$SSE"
    echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$OUT"
