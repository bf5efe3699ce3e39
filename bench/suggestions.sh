#!/usr/bin/env bash
# 代表建议 at scale (issue 15, PLAT-20/21): generate once (a registry and N suggestions with their
# whole loop), then measure the staff list and the statistics — console pages and API, with
# filters, page 1 and a deep page — as a staff member of the root organ (who sees every
# suggestion: the worst case), each beside /healthz measured the same way in the same run.
# Two measures per URL: 20 sequential requests (curl; p50, p95, max) and wrk with a few
# connections for throughput. Usage: bench/suggestions.sh   (defaults below; override by env)
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=${CARGO_TARGET_DIR:-/work/target-bench}
BIN=${BIN:-$TARGET/release/renda}
SUGGESTIONS=${SUGGESTIONS:-100000}
DEPUTIES=${DEPUTIES:-200000}
STATIONS=${STATIONS:-2000}
DATA=${DATA:-/tmp/renda-sbench-$SUGGESTIONS}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-4}
REPEAT=${REPEAT:-20}
WRK=${WRK:-1}            # 0: no wrk (for endpoints that take seconds, whose in-flight requests outlive wrk)
ONLY=${ONLY:-.}          # a regex: measure only the URLs whose name matches
PORT=${PORT:-8097}
OUT=${OUT:-bench/results-suggestions-$(date +%Y%m%d-%H%M).txt}

export RENDA_SESSION_SECRET=${RENDA_SESSION_SECRET:-bench-session-secret-0123456789abcdef}
export RENDA_AUDIT_SECRET=${RENDA_AUDIT_SECRET:-bench-audit-secret-0123456789abcdefgh}
export RENDA_FIELD_SECRET=${RENDA_FIELD_SECRET:-bench-field-secret-0123456789abcdefgh}
export RENDA_LOG=${RENDA_LOG:-warn}
unset DATABASE_URL || true

log() { echo "$*" | tee -a "$OUT"; }
touch "$OUT"
log "# renda suggestions bench $(date -Is) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
log "# deputies=$DEPUTIES stations=$STATIONS suggestions=$SUGGESTIONS; $REPEAT sequential requests per URL; wrk -t1 -c$CONNS -d$DURATION"
log "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

[ -n "${NO_BUILD:-}" ] || CARGO_TARGET_DIR="$TARGET" cargo build --release --bin renda

if [ ! -f "$DATA/renda.db" ]; then
    mkdir -p "$DATA"
    /usr/bin/time -f "gen: %e s wall, %M KiB peak RSS" "$BIN" --data-dir "$DATA" --config /nonexistent.toml \
        gen --deputies "$DEPUTIES" --stations "$STATIONS" --suggestions "$SUGGESTIONS" 2>&1 \
        | grep -v '^代表 [0-9]\|^代表建议 [0-9]' | tee -a "$OUT"
fi
log "database: $(du -h "$DATA/renda.db" | cut -f1)"

# A staff account of the root organ, with an API token and a console session.
SESSION=bench-session-$(date +%s)
sqlite3 "$DATA/renda.db" "INSERT INTO accounts (username, display_name, password_hash, organ_id, disabled, \
    failed_logins, locked_until, totp_enabled, must_change_password, created_at, updated_at) \
    SELECT 'bench', '压测', '-', (SELECT min(id) FROM organs WHERE parent_id IS NULL), 0, 0, 0, 0, 0, 0, 0 \
    WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE username = 'bench'); \
    INSERT INTO account_roles (account_id, role) SELECT id, 'staff' FROM accounts WHERE username = 'bench' \
    AND NOT EXISTS (SELECT 1 FROM account_roles r JOIN accounts a ON a.id = r.account_id WHERE a.username = 'bench'); \
    INSERT INTO sessions (token_hash, account_id, created_at, expires_at, last_seen_at, auth_at) \
    SELECT '$(printf %s "$SESSION" | sha256sum | cut -d' ' -f1)', id, strftime('%s','now'), strftime('%s','now') + 86400, \
    strftime('%s','now'), strftime('%s','now') FROM accounts WHERE username = 'bench';"
TOKEN=$("$BIN" --data-dir "$DATA" --config /nonexistent.toml token create --user bench --scope read | tail -1)

# Filter values taken from the data: the busiest unit, this year, a category, the deep offset.
Q() { sqlite3 "$DATA/renda.db" "$1"; }
UNIT=$(Q "SELECT unit_id FROM handling_assignments GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1")
YEAR=$(Q "SELECT max(year) FROM suggestions")
CATEGORY=$(Q "SELECT category FROM suggestions GROUP BY category ORDER BY count(*) DESC LIMIT 1")
CAT=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$CATEGORY")
HANDED=$(Q "SELECT count(*) FROM suggestions WHERE stage NOT IN ('draft', 'cosigning')")
DEEP=$(( HANDED > 100 ? HANDED - 100 : 0 ))
log "filters: unit_id=$UNIT year=$YEAR category=$CATEGORY; deep offset=$DEEP of $HANDED handed in"

# The detail with a long loop: one in 二次办理 (replied, rated 不满意, reopened).
DETAIL=$(Q "SELECT coalesce(min(sg.id), (SELECT max(item_id) FROM suggestions)) FROM suggestions sg JOIN handling_items i ON i.id = sg.item_id WHERE i.state = 'rehandling'")
CAT_TOTAL=$(Q "SELECT count(*) FROM suggestions WHERE category = '$CATEGORY' AND stage NOT IN ('draft', 'cosigning')")
CAT_DEEP=$(( CAT_TOTAL > 100 ? CAT_TOTAL - 100 : 0 ))

"$BIN" --data-dir "$DATA" --config /nonexistent.toml serve --listen "127.0.0.1:$PORT" > /tmp/renda-sbench-serve.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.5; done

# The keyset cursors of the deep pages (the row just before them), as the API writes them.
cursor_at() {
    curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/suggestions?$1&limit=1&offset=$(( $2 > 0 ? $2 - 1 : 0 ))" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin).get("next_cursor") or "")'
}
DEEP_CURSOR=$(cursor_at "" "$DEEP")
CAT_CURSOR=$(cursor_at "category=$CAT" "$CAT_DEEP")
log "deep cursor: $DEEP_CURSOR; category deep cursor: $CAT_CURSOR (offset $CAT_DEEP of $CAT_TOTAL)"

# Cold: each of REPEAT requests right after the `suggestions` change counter moved (what the
# first view after any write costs: nothing kept applies). No wrk.
measure_cold() {
    local name=$1 path=$2 auth=$3
    [[ $name =~ $ONLY ]] || return 0
    local hdr=()
    case $auth in
        token) hdr=(-H "Authorization: Bearer $TOKEN") ;;
        session) hdr=(-H "Cookie: renda_session=$SESSION") ;;
    esac
    local times
    times=$(for _ in $(seq 1 "$REPEAT"); do
        sqlite3 "$DATA/renda.db" "PRAGMA busy_timeout = 5000; UPDATE change_counters SET value = value + 1 WHERE name = 'suggestions'" > /dev/null
        curl -s -o /dev/null -w '%{time_total}\n' "${hdr[@]}" "http://127.0.0.1:$PORT$path"
    done)
    log "RESULT $name $(printf '%s\n' "$times" | python3 -c '
import sys
t = sorted(float(x) * 1000 for x in sys.stdin if x.strip())
p = lambda q: t[min(len(t) - 1, int(q * len(t)))]
print(f"cold p50={p(0.5):.1f}ms p95={p(0.95):.1f}ms max={t[-1]:.1f}ms")')"
}

# One URL: REPEAT sequential requests (after one warm-up), then wrk; one RESULT line.
measure() {
    local name=$1 path=$2 auth=$3
    [[ $name =~ $ONLY ]] || return 0
    local hdr=()
    case $auth in
        token) hdr=(-H "Authorization: Bearer $TOKEN") ;;
        session) hdr=(-H "Cookie: renda_session=$SESSION") ;;
    esac
    local url="http://127.0.0.1:$PORT$path"
    local status
    status=$(curl -s -o /tmp/renda-sbench-body -w '%{http_code}' "${hdr[@]}" "$url")
    if [ "$status" != 200 ]; then
        log "RESULT $name status=$status (expected 200): $(head -c 300 /tmp/renda-sbench-body)"
        return
    fi
    local times
    times=$(for _ in $(seq 1 "$REPEAT"); do curl -s -o /dev/null -w '%{time_total}\n' "${hdr[@]}" "$url"; done)
    local seq
    seq=$(printf '%s\n' "$times" | python3 -c '
import sys
t = sorted(float(x) * 1000 for x in sys.stdin if x.strip())
p = lambda q: t[min(len(t) - 1, int(q * len(t)))]
print(f"p50={p(0.5):.1f}ms p95={p(0.95):.1f}ms max={t[-1]:.1f}ms")')
    if [ "$WRK" = 0 ]; then
        log "RESULT $name $seq bytes=$(wc -c < /tmp/renda-sbench-body)"
        return
    fi
    local w rps
    w=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency "${hdr[@]}" "$url")
    rps=$(printf '%s\n' "$w" | awk '/Requests\/sec/ {print $2}')
    local errs
    errs=$(printf '%s\n' "$w" | awk '/Non-2xx/ {print $4}')
    log "RESULT $name $seq wrk=${rps}/s p50=$(printf '%s\n' "$w" | awk '$1 == "50%" {print $2}') p99=$(printf '%s\n' "$w" | awk '$1 == "99%" {print $2}') non2xx=${errs:-0} bytes=$(wc -c < /tmp/renda-sbench-body)"
}

log ""
log "## baseline"
measure healthz /healthz none
log ""
log "## staff list (console: the first 200; API: 50 a page)"
measure page-list /console/suggestions session
measure page-state "/console/suggestions?state=in_progress" session
measure page-year "/console/suggestions?year=$YEAR" session
measure page-unit "/console/suggestions?unit_id=$UNIT" session
measure page-category "/console/suggestions?category=$CAT" session
measure api-list "/api/v1/suggestions" token
measure api-deep "/api/v1/suggestions?offset=$DEEP" token
measure api-deep-cursor "/api/v1/suggestions?cursor=$DEEP_CURSOR" token
measure page-deep "/console/suggestions?after=$DEEP_CURSOR&page=$(( DEEP / 200 + 1 ))" session
measure page-category-deep "/console/suggestions?category=$CAT&after=$CAT_CURSOR&page=$(( CAT_DEEP / 200 + 1 ))" session
measure api-state "/api/v1/suggestions?state=replied" token
measure api-state-deep "/api/v1/suggestions?state=closed&offset=$(( $(Q "SELECT count(*) FROM suggestions sg JOIN handling_items i ON i.id = sg.item_id WHERE i.state = 'closed'") * 9 / 10 ))" token
measure api-category "/api/v1/suggestions?category=$CAT" token
measure api-unit "/api/v1/suggestions?unit_id=$UNIT" token
measure api-year "/api/v1/suggestions?year=$YEAR" token
measure api-overdue "/api/v1/suggestions?overdue=true" token
measure api-detail "/api/v1/suggestions/$DETAIL" token
measure page-detail "/console/suggestions/$DETAIL" session
log ""
log "## cold: the change counter moved before each request (nothing kept applies)"
measure_cold cold-page-list /console/suggestions session
measure_cold cold-api-year "/api/v1/suggestions?year=$YEAR" token
measure_cold cold-api-category "/api/v1/suggestions?category=$CAT" token
measure_cold cold-page-stats-year "/console/suggestions/stats?year=$YEAR" session
measure_cold cold-api-stats-year "/api/v1/suggestions/stats?year=$YEAR" token
measure_cold cold-api-stats "/api/v1/suggestions/stats" token
log ""
log "## statistics"
measure page-stats /console/suggestions/stats session
measure page-stats-year "/console/suggestions/stats?year=$YEAR" session
measure api-stats /api/v1/suggestions/stats token
measure api-stats-year "/api/v1/suggestions/stats?year=$YEAR" token
log ""
log "## baseline again"
measure healthz /healthz none
log "server peak RSS (VmHWM): $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
log "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
