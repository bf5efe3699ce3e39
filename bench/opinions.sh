#!/usr/bin/env bash
# PLAT-21 for 民意: generate once (a small registry and 1,000,000 opinions), then measure search,
# hot words and raw durable inserts (examples/opinions_bench.rs), the Python jieba baseline for
# hot words, and durable submissions over HTTP beside /healthz from the same run (wrk).
# Usage: bench/opinions.sh        (defaults below; override with environment variables)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-/work/target-bench}
BIN=${BIN:-$TARGET/release/renda}
DATA=${DATA:-/tmp/renda-obench}
DEPUTIES=${DEPUTIES:-20000}
STATIONS=${STATIONS:-2000}
OPINIONS=${OPINIONS:-1000000}
DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
PORT=${PORT:-8098}
OUT=${OUT:-bench/results-opinions-$(date +%Y%m%d-%H%M).txt}

export RENDA_SESSION_SECRET=${RENDA_SESSION_SECRET:-bench-session-secret-0123456789abcdef}
export RENDA_AUDIT_SECRET=${RENDA_AUDIT_SECRET:-bench-audit-secret-0123456789abcdefgh}
export RENDA_FIELD_SECRET=${RENDA_FIELD_SECRET:-bench-field-secret-0123456789abcdefgh}
export RENDA_LOG=${RENDA_LOG:-warn}
unset DATABASE_URL || true

log() { echo "$*" | tee -a "$OUT"; }
: > "$OUT"
log "# renda opinions bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
log "# deputies=$DEPUTIES stations=$STATIONS opinions=$OPINIONS wrk: -t$THREADS -c$CONNS -d$DURATION"

CARGO_TARGET_DIR="$TARGET" cargo build --release --bin renda --example opinions_bench

if [ ! -f "$DATA/renda.db" ]; then
    mkdir -p "$DATA"
    /usr/bin/time -f "gen: %e s wall, %M KiB peak RSS" "$BIN" --data-dir "$DATA" --config /nonexistent.toml \
        gen --deputies "$DEPUTIES" --stations "$STATIONS" --opinions "$OPINIONS" 2>&1 \
        | grep -v '^代表 [0-9]\|^意见 [0-9]' | tee -a "$OUT"
fi
log "database: $(du -h "$DATA/renda.db" | cut -f1)"

log ""
log "## search, hot words, raw inserts (examples/opinions_bench.rs)"
"$TARGET/release/examples/opinions_bench" "sqlite://$DATA/renda.db" 300 "$DATA/texts.txt" | tee -a "$OUT"
log ""
log "## hot words baseline: Python jieba on the same texts"
python3 bench/hot_words_jieba.py "$DATA/texts.txt" | tee -a "$OUT"

# A staff account with a write token: entries by staff have no per-address limit.
sqlite3 "$DATA/renda.db" "INSERT INTO accounts (username, display_name, password_hash, organ_id, disabled, \
    failed_logins, locked_until, totp_enabled, must_change_password, created_at, updated_at) \
    SELECT 'bench', '压测', '-', (SELECT min(id) FROM organs WHERE parent_id IS NULL), 0, 0, 0, 0, 0, 0, 0 \
    WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE username = 'bench'); \
    INSERT INTO account_roles (account_id, role) SELECT id, 'staff' FROM accounts WHERE username = 'bench' \
    AND NOT EXISTS (SELECT 1 FROM account_roles r JOIN accounts a ON a.id = r.account_id WHERE a.username = 'bench');"
TOKEN=$("$BIN" --data-dir "$DATA" --config /nonexistent.toml token create --user bench --scope write | tail -1)

"$BIN" --data-dir "$DATA" --config /nonexistent.toml serve --listen "127.0.0.1:$PORT" > /tmp/renda-obench-serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
before=$(sqlite3 "$DATA/renda.db" 'SELECT count(*) FROM opinions')

log ""
log "## durable submissions over HTTP (POST /api/v1/opinions), beside /healthz from the same run"
BENCH_KIND=healthz wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/random.lua \
    "http://127.0.0.1:$PORT" | grep '^RESULT' | tee -a "$OUT"
BENCH_TOKEN="$TOKEN" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/submit.lua \
    "http://127.0.0.1:$PORT" | grep '^RESULT' | tee -a "$OUT"
after=$(sqlite3 "$DATA/renda.db" 'SELECT count(*) FROM opinions')
log "opinions stored during the run: $((after - before))"
log "server peak RSS (VmHWM): $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
