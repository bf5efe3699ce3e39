#!/usr/bin/env bash
# Issue 19: electronic voting at 2,000 voters — votes over HTTP, the live count on the hall's
# event stream, 2,000 open event connections and the server's memory, beside /healthz in the
# same run (examples/votes_bench.rs against `renda demo`, SQLite).
# Usage: bench/votes.sh      (VOTERS=2000 SSE=2000 PORT=8097 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/renda}
DATA=${DATA:-/tmp/renda-vbench}
VOTERS=${VOTERS:-2000}
SSE=${SSE:-2000}
PORT=${PORT:-8097}
OUT=${OUT:-bench/results-votes-$(date +%Y%m%d-%H%M).txt}
export RENDA_LOG=${RENDA_LOG:-warn}
unset DATABASE_URL || true

CARGO_TARGET_DIR="$TARGET" cargo build --release --bin renda --example votes_bench
rm -rf "$DATA"
ulimit -n 65536 2>/dev/null || ulimit -n 8192 || true
"$BIN" --data-dir "$DATA" --config /nonexistent.toml demo --listen "127.0.0.1:$PORT" > /tmp/renda-vbench-serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.5; done
{
    echo "# renda votes bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    "$TARGET/release/examples/votes_bench" "$DATA" "http://127.0.0.1:$PORT" "$PID" "$VOTERS" "$SSE"
} 2>&1 | tee "$OUT"
