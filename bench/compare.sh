#!/usr/bin/env bash
# Compares the ping throughput of two builds of heartbeat, interleaved so that both see the
# same phases of a noisy machine: for each round, a fresh server of each build on its own
# durable SQLite store, `wrk -t2 -dDURATIONs` with bench/ping.lua (100,000 slugs). Prints one
# line per run and the medians.
#
#   bench/compare.sh OLD_BINARY NEW_BINARY [ROUNDS=4] [CONNECTIONS=256]   (DURATION=10)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: bench/compare.sh OLD_BINARY NEW_BINARY [ROUNDS] [CONNECTIONS]}
new=${2:?usage: bench/compare.sh OLD_BINARY NEW_BINARY [ROUNDS] [CONNECTIONS]}
rounds=${3:-4}
conns=${4:-256}
duration=${DURATION:-10}
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run() {  # run NAME BINARY
  local name=$1 bin=$2 work pid port key
  work=$(mktemp -d /tmp/heartbeat-compare-XXXXXX)
  export HEARTBEAT_STORE="sqlite:$work/hb.db"
  "$bin" store init >/dev/null 2>&1
  key=$("$bin" keys add --description compare 2>/dev/null | head -1)
  BIND_ADDR=127.0.0.1:0 "$bin" serve --no-checker 2>"$work/log" &
  pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$work/log" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  HEARTBEAT_KEY="$key" HEARTBEAT_SLUGS=100000 wrk -t2 -c"$conns" -d"${duration}s" --latency \
    -s bench/ping.lua "http://127.0.0.1:$port" >"$work/wrk.txt" 2>&1
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  echo "$name c$conns $rps/s p99 $p99"
  echo "$name $rps" >>"$results"
  rm -rf "$work"
}

for _ in $(seq "$rounds"); do
  run old "$old"
  run new "$new"
done
for name in old new; do
  awk -v n="$name" '$1 == n {print $2}' "$results" | sort -n |
    awk -v n="$name" '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s median %.0f /s over %d runs\n", n, m, NR}'
done
