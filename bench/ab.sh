#!/usr/bin/env bash
# A/B of two release binaries on one page kind, alternating short wrk runs so that whatever else
# the machine does falls on both (bench/README.md, 2026-12-07 noon). Each binary needs its own
# generated dataset (renda gen --deputies 2800000 --stations 200000 with that binary).
# Usage: NEW=bin DATA_NEW=dir BASE=bin DATA_BASE=dir KIND=deputy|station|nearest [MIN=1] MAX=N bench/ab.sh
export RENDA_SESSION_SECRET=bench-session-secret-0123456789abcdef RENDA_AUDIT_SECRET=bench-audit-secret-0123456789abcdefgh RENDA_FIELD_SECRET=bench-field-secret-0123456789abcdefgh RENDA_LOG=warn
cd "$(dirname "$0")/.."
"$NEW" --data-dir "$DATA_NEW" --config /nonexistent.toml serve --listen 127.0.0.1:8121 > /tmp/s1.log 2>&1 & P1=$!
"$BASE" --data-dir "$DATA_BASE" --config /nonexistent.toml serve --listen 127.0.0.1:8122 > /tmp/s2.log 2>&1 & P2=$!
sleep 5
KIND=${KIND:-deputy}; MAX=${MAX:-2800000}
for port in 8121 8122; do BENCH_KIND=$KIND BENCH_MIN=${MIN:-1} BENCH_MAX=$MAX wrk -t1 -c8 -d3s -s bench/random.lua http://127.0.0.1:$port >/dev/null; done
for round in 1 2 3 4; do
 for port in 8121 8122; do
  [ $port = 8121 ] && PID=$P1 || PID=$P2
  t0=$(awk '{print $14+$15}' /proc/$PID/stat)
  line=$(BENCH_KIND=$KIND BENCH_MIN=${MIN:-1} BENCH_MAX=$MAX wrk -t2 -c64 -d8s --latency -s bench/random.lua http://127.0.0.1:$port | grep RESULT)
  t1=$(awk '{print $14+$15}' /proc/$PID/stat)
  req=$(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/'); rps=$(echo "$line" | sed 's/.*rps=\([0-9]*\).*/\1/')
  echo "round $round $([ $port = 8121 ] && echo new || echo base) rps=$rps cpu_us/req=$(echo "($t1-$t0)*10000/$req" | bc) load=$(cut -d' ' -f1 /proc/loadavg)"
 done
done
kill $P1 $P2
