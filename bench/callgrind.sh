#!/usr/bin/env bash
# Instructions per request of one public page (issue 18): the server under callgrind, counters zeroed
# after 100 warm-up requests, then N requests from one fixed list (random points in China's box, deputy
# ids 1..20000, station ids 1..200000) sent by one curl. The dump's PROGRAM TOTALS ÷ N is the figure.
# usage: cg_ab.sh BIN DATA OUT KIND(nearest|deputy|station) N PORT
set -u
BIN=$1; DATA=$2; OUT=$3; KIND=$4; N=${5:-400}; PORT=${6:-8131}
export RENDA_SESSION_SECRET=bench-session-secret-0123456789abcdef RENDA_AUDIT_SECRET=bench-audit-secret-0123456789abcdefgh RENDA_FIELD_SECRET=bench-field-secret-0123456789abcdefgh RENDA_LOG=warn
valgrind --tool=callgrind --callgrind-out-file=$OUT "$BIN" --data-dir "$DATA" --config /nonexistent.toml serve --listen 127.0.0.1:$PORT > $OUT.log 2>&1 &
VP=$!
for _ in $(seq 1 600); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 1; done
urls() { awk -v n=$1 -v kind=$KIND -v port=$PORT -v seed=$2 'BEGIN{srand(seed); for(i=0;i<n;i++){ if(kind=="nearest"){lat=18+rand()*35; lng=73+rand()*62; printf "url = \"http://127.0.0.1:%d/api/v1/stations/nearest?lat=%.5f&lng=%.5f\"\noutput = /dev/null\n", port, lat, lng} else if(kind=="deputy"){printf "url = \"http://127.0.0.1:%d/d/%d\"\noutput = /dev/null\n", port, 1+int(rand()*20000)} else {printf "url = \"http://127.0.0.1:%d/s/%d\"\noutput = /dev/null\n", port, 1+int(rand()*200000)}}}'; }
urls 100 7 > /tmp/cg_warm_$PORT.cfg; urls $N 11 > /tmp/cg_run_$PORT.cfg
curl -s -K /tmp/cg_warm_$PORT.cfg
callgrind_control -z $VP >/dev/null
curl -s -w '%{http_code}\n' -K /tmp/cg_run_$PORT.cfg | sort | uniq -c > $OUT.codes

callgrind_control -d $VP >/dev/null
sleep 2
kill $VP; wait $VP 2>/dev/null
for f in $OUT.*; do case $f in *.log|*.codes) continue;; esac; t=$(callgrind_annotate "$f" 2>/dev/null | grep -m1 "PROGRAM TOTALS" | awk "{gsub(\",\",\"\",\$1); print \$1}"); echo "$f $t"; done
