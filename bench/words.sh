#!/usr/bin/env bash
# Issue 21, words stored at intake: generate 1,000,000 opinions (peak memory of `renda gen`), then
# hot words from the stored words and from the counts kept per day and month, the statistics'
# queries, the statistics API cold and warm over HTTP, the old on-the-fly segmentation and Python
# jieba (over a sample) in the same run.
# Usage: bench/words.sh     (DATA, OUT, SAMPLE, PORT to override)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/renda}
DATA=${DATA:-/tmp/renda-wbench}
OPINIONS=${OPINIONS:-1000000}
SAMPLE=${SAMPLE:-100000}
PORT=${PORT:-18377}
OUT=${OUT:-bench/results-words-$(date +%Y-%m-%d).txt}

export RENDA_SESSION_SECRET=${RENDA_SESSION_SECRET:-bench-session-secret-0123456789abcdef}
export RENDA_AUDIT_SECRET=${RENDA_AUDIT_SECRET:-bench-audit-secret-0123456789abcdefgh}
export RENDA_FIELD_SECRET=${RENDA_FIELD_SECRET:-bench-field-secret-0123456789abcdefgh}
export RENDA_LOG=${RENDA_LOG:-warn}
unset DATABASE_URL || true

log() { echo "$*" | tee -a "$OUT"; }
: > "$OUT"
log "# renda words bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
log "# opinions=$OPINIONS (deputies 20000, stations 2000), jieba sample=$SAMPLE"

if [ ! -f "$DATA/renda.db" ]; then
    mkdir -p "$DATA"
    /usr/bin/time -v "$BIN" --data-dir "$DATA" --config /nonexistent.toml \
        gen --deputies 20000 --stations 2000 --opinions "$OPINIONS" > "$DATA/gen.log" 2>&1
    grep -v '^代表 [0-9]\|^意见 [0-9]' "$DATA/gen.log" \
        | grep -E '^[^\t]|Maximum resident|Elapsed|User time|System time' | tee -a "$OUT"
fi
log "database: $(du -h "$DATA/renda.db" | cut -f1)"
log "load: $(cut -d' ' -f1-3 /proc/loadavg)"

log ""
log "## stored words, counts, the statistics' queries (examples/opinions_bench.rs, BENCH_ONLY=words)"
BENCH_ONLY=words "$TARGET/release/examples/opinions_bench" "sqlite://$DATA/renda.db" | tee -a "$OUT"

log ""
log "## the statistics kept as counts beside the walk over every opinion (BENCH_ONLY=stats), checked equal"
BENCH_ONLY=stats "$TARGET/release/examples/opinions_bench" "sqlite://$DATA/renda.db" | tee -a "$OUT"

# A staff account of the root organ with a read token: the statistics API over everything.
sqlite3 "$DATA/renda.db" "INSERT INTO accounts (username, display_name, password_hash, organ_id, disabled, \
    failed_logins, locked_until, totp_enabled, must_change_password, created_at, updated_at) \
    SELECT 'bench', '压测', '-', (SELECT min(id) FROM organs WHERE parent_id IS NULL), 0, 0, 0, 0, 0, 0, 0 \
    WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE username = 'bench'); \
    INSERT INTO account_roles (account_id, role) SELECT id, 'staff' FROM accounts WHERE username = 'bench' \
    AND NOT EXISTS (SELECT 1 FROM account_roles r JOIN accounts a ON a.id = r.account_id WHERE a.username = 'bench');"
TOKEN=$("$BIN" --data-dir "$DATA" --config /nonexistent.toml token create --user bench --scope read | tail -1)
"$BIN" --data-dir "$DATA" --config /nonexistent.toml serve --listen "127.0.0.1:$PORT" > /tmp/renda-wbench-serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.2; done
log ""
log "## GET /api/v1/opinions/stats over HTTP (root organ: every opinion), first request after start = cold"
last=$(sqlite3 "$DATA/renda.db" "SELECT strftime('%Y-%m', max(created_at) + 28800, 'unixepoch') FROM opinions")
first=$(sqlite3 "$DATA/renda.db" "SELECT strftime('%Y-%m', max(created_at) + 28800 - 330 * 86400, 'unixepoch') FROM opinions")
for q in "" "?from=$first&to=$last"; do
    t=$(curl -s -o /tmp/renda-wbench-stats.json -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$PORT/api/v1/opinions/stats$q")
    total=$(python3 -c "import json;j=json.load(open('/tmp/renda-wbench-stats.json'));print(j['totals']['total'], ','.join(f\"{w['word']}:{w['count']}\" for w in j['hot_words'][:5]))" 2>/dev/null || echo '?')
    log "STATS_API query='$q' status_seconds=$t opinions_hot=$total"
done
log "server peak RSS (VmHWM): $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
kill $PID; wait $PID 2>/dev/null || true
trap - EXIT

log ""
log "## the old way, same run: every text segmented on the question (BENCH_ONLY=hot), texts written for jieba"
BENCH_ONLY=hot "$TARGET/release/examples/opinions_bench" "sqlite://$DATA/renda.db" 0 "$DATA/texts.txt" | tee -a "$OUT"
log ""
log "## Python jieba over the first $SAMPLE texts (the whole million took 414.7 s on 2026-12-01)"
head -n "$SAMPLE" "$DATA/texts.txt" > "$DATA/sample.txt"
python3 bench/hot_words_jieba.py "$DATA/sample.txt" | tee -a "$OUT"
log "load: $(cut -d' ' -f1-3 /proc/loadavg)"
