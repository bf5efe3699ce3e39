#!/usr/bin/env bash
# Issue 21, "one writer, then group commit": durable submissions over HTTP before and after, in
# the same run. Two release binaries (BASE: the code before, NEW: this one) each serve a copy of
# the same small dataset; the script alternates short wrk runs between them (as bench/ab.sh does)
# so that whatever else the machine does falls on both: /healthz, POST /api/v1/opinions at -c64,
# and a lone submission (-c1) for p50/p99. Then the write path alone (examples/write_bench.rs:
# raw durable inserts, pool / one writer / group commit) on a fresh database.
# Usage: BASE=/path/to/old/renda NEW=/path/to/new/renda WRITE_BENCH=/path/to/write_bench bench/writer.sh
# One binary two ways: BASE=NEW=bin BASE_ENV="RENDA_WRITE_BATCH_MAX=1" BASE_NAME=batch1 NEW_NAME=group
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${DATA:-/tmp/renda-wbench}
DEPUTIES=${DEPUTIES:-2000}
STATIONS=${STATIONS:-200}
OPINIONS=${OPINIONS:-20000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
OUT=${OUT:-bench/results-writer-$(date +%Y-%m-%d).txt}

export RENDA_SESSION_SECRET=bench-session-secret-0123456789abcdef RENDA_AUDIT_SECRET=bench-audit-secret-0123456789abcdefgh RENDA_FIELD_SECRET=bench-field-secret-0123456789abcdefgh RENDA_LOG=warn
unset DATABASE_URL || true

BN=${BASE_NAME:-base}; NN=${NEW_NAME:-new}
log() { echo "$*" | tee -a "$OUT"; }
: > "$OUT"
log "# renda writer bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
log "# $BN=$BASE ${BASE_ENV:-} $NN=$NEW ${NEW_ENV:-} deputies=$DEPUTIES stations=$STATIONS opinions=$OPINIONS rounds=$ROUNDS duration=$DURATION"

if [ ! -f "$DATA/base/renda.db" ]; then
    mkdir -p "$DATA/base"
    /usr/bin/time -f "gen: %e s wall, %M KiB peak RSS" "$BASE" --data-dir "$DATA/base" --config /nonexistent.toml \
        gen --deputies "$DEPUTIES" --stations "$STATIONS" --opinions "$OPINIONS" 2>&1 \
        | grep -v '^代表 [0-9]\|^意见 [0-9]' | tee -a "$OUT"
    sqlite3 "$DATA/base/renda.db" "INSERT INTO accounts (username, display_name, password_hash, organ_id, disabled, \
        failed_logins, locked_until, totp_enabled, must_change_password, created_at, updated_at) \
        SELECT 'bench', '压测', '-', (SELECT min(id) FROM organs WHERE parent_id IS NULL), 0, 0, 0, 0, 0, 0, 0; \
        INSERT INTO account_roles (account_id, role) SELECT id, 'staff' FROM accounts WHERE username = 'bench';"
    sqlite3 "$DATA/base/renda.db" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
    rm -rf "$DATA/new" && cp -r "$DATA/base" "$DATA/new"
fi
log "database: $(du -h "$DATA/base/renda.db" | cut -f1) each"
TOKEN_BASE=$("$BASE" --data-dir "$DATA/base" --config /nonexistent.toml token create --user bench --scope write | tail -1)
TOKEN_NEW=$("$NEW" --data-dir "$DATA/new" --config /nonexistent.toml token create --user bench --scope write | tail -1)

env ${BASE_ENV:-} "$BASE" --data-dir "$DATA/base" --config /nonexistent.toml serve --listen 127.0.0.1:18421 > /tmp/writer-base.log 2>&1 & PB=$!
env ${NEW_ENV:-} "$NEW" --data-dir "$DATA/new" --config /nonexistent.toml serve --listen 127.0.0.1:18422 > /tmp/writer-new.log 2>&1 & PN=$!
trap 'kill $PB $PN 2>/dev/null || true' EXIT
for port in 18421 18422; do
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
done
count() { sqlite3 "$1/renda.db" 'SELECT count(*) FROM opinions'; }
before_base=$(count "$DATA/base"); before_new=$(count "$DATA/new")

cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
one() { # name port pid token kind conns threads
    local t0 t1 line
    t0=$(cpu "$3")
    if [ "$5" = healthz ]; then
        line=$(BENCH_KIND=healthz wrk -t"$7" -c"$6" -d"$DURATION" --latency -s bench/random.lua "http://127.0.0.1:$2" | grep '^RESULT')
    else
        line=$(BENCH_TOKEN="$4" wrk -t"$7" -c"$6" -d"$DURATION" --latency -s bench/submit.lua "http://127.0.0.1:$2" | grep '^RESULT')
    fi
    t1=$(cpu "$3")
    local req; req=$(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')
    log "$1 $5 c=$6 $line server_cpu_ms_per_req=$(echo "scale=3; ($t1-$t0)*10/$req" | bc) load=$(cut -d' ' -f1 /proc/loadavg)"
}
# Warm-up.
for port in 18421 18422; do BENCH_KIND=healthz wrk -t1 -c8 -d2s -s bench/random.lua "http://127.0.0.1:$port" > /dev/null; done
for round in $(seq 1 "$ROUNDS"); do
    log "## round $round"
    one "$BN" 18421 $PB "$TOKEN_BASE" healthz 64 2
    one "$NN" 18422 $PN "$TOKEN_NEW" healthz 64 2
    one "$BN" 18421 $PB "$TOKEN_BASE" submit 64 2
    one "$NN" 18422 $PN "$TOKEN_NEW" submit 64 2
    one "$BN" 18421 $PB "$TOKEN_BASE" submit 1 1
    one "$NN" 18422 $PN "$TOKEN_NEW" submit 1 1
done
log "stored during the run: $BN $(( $(count "$DATA/base") - before_base )), $NN $(( $(count "$DATA/new") - before_new ))"
log "server peak RSS (VmHWM): $BN $(grep VmHWM /proc/$PB/status | awk '{print $2, $3}'), $NN $(grep VmHWM /proc/$PN/status | awk '{print $2, $3}')"
kill $PB $PN; wait $PB $PN 2>/dev/null || true

if [ -n "${WRITE_BENCH:-}" ]; then
    log ""
    log "## the write path alone (examples/write_bench.rs), fresh SQLite database"
    rm -f /tmp/renda-wbench-write.db*
    "$WRITE_BENCH" "sqlite:///tmp/renda-wbench-write.db?mode=rwc" 8 | tee -a "$OUT"
    rm -f /tmp/renda-wbench-write.db*
    if [ -n "${PG_URL:-}" ]; then
        log "## the write path alone, PostgreSQL ($PG_URL)"
        "$WRITE_BENCH" "$PG_URL" 8 | tee -a "$OUT"
    fi
fi
