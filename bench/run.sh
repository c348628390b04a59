#!/usr/bin/env bash
# `make bench`: measures a fresh `heartbeat serve` on the durable SQLite store (and on
# DynamoDB through dynalite) with wrk on keep-alive connections, prints a table and writes the same figures as JSON to
# build/bench/results.json. Every figure comes from this run. The latest table:
# (README, "Performance"); where the time goes and what was tried: (docs/ENGINEERING.md,
# "Performance: where the time goes").
#
#   DURATION=10 (seconds per wrk run)   SLUGS=100000 (ping pool)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/heartbeat
out_dir=./build/bench
mkdir -p "$out_dir"
duration=${DURATION:-10}
slugs=${SLUGS:-100000}
work=$(mktemp -d /tmp/heartbeat-bench-XXXXXX)
server_pid=""
dynalite_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$dynalite_pid" ]; then kill "$dynalite_pid" 2>/dev/null || true; wait "$dynalite_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export HEARTBEAT_STORE="sqlite:$work/heartbeat.db"
key=$($bin keys add --description bench 2>/dev/null)

start_server() {
  # The ping pool (SLUGS, 100,000 by default) is more monitors than a project holds by
  # default (MAX_MONITORS_PER_PROJECT, 10,000).
  MAX_MONITORS_PER_PROJECT=100000000 BIND_ADDR=127.0.0.1:0 LOG_LEVEL=warn \
    $bin serve --no-checker 2>"$work/serve.log" &
  server_pid=$!
  # The port is only logged at info level: ask the kernel instead.
  for _ in $(seq 100); do
    port=$(ss -ltnpH 2>/dev/null | awk -v pid="pid=$server_pid," '$0 ~ pid {split($4, a, ":"); print a[length(a)]}' | head -1)
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "bench: the server did not start:" >&2
  cat "$work/serve.log" >&2
  exit 1
}

# wrk_run NAME CONNECTIONS URL [SCRIPT] -> appends "name rps p50_ms p99_ms errors" to $work/rows
wrk_run() {
  local name=$1 conns=$2 url=$3 script=${4:-}
  local args=(-t2 -c"$conns" -d"${duration}s" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  HEARTBEAT_KEY="$key" HEARTBEAT_SLUGS="$slugs" HEARTBEAT_HC_FILE="${HEARTBEAT_HC_FILE:-}" \
    wrk "${args[@]}" "$url" >"$work/$name.txt" 2>&1
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$name.txt")
  echo "$name $conns $rps $(to_ms "$p50") $(to_ms "$p99") ${non2xx:-0}" >>"$work/rows"
}

# wrk prints latencies as 1.23ms, 456.78us or 1.02s.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else print "nan" }'
}

start_server
base="http://127.0.0.1:$port"
: >"$work/rows"
wrk_run ping_c256 256 "$base/" bench/ping.lua
wrk_run ping_c64 64 "$base/" bench/ping.lua
# Pings that carry 1 KiB of output, as `heartbeat run` sends them: kept in the history.
export HEARTBEAT_BODY_BYTES=1024
wrk_run ping_1k_body_c256 256 "$base/" bench/ping.lua
unset HEARTBEAT_BODY_BYTES
wrk_run healthz_c256 256 "$base/healthz"
# Healthchecks' ping URLs over the same monitors, which the rows above created: by uuid, and
# by the default project's ping key and the slug.
sqlite3 "$work/heartbeat.db" "SELECT '/ping/' || uuid FROM monitors" >"$work/hc_uuid"
ping_key=$($bin projects ping-key default 2>/dev/null)
sqlite3 "$work/heartbeat.db" "SELECT '/ping/$ping_key/' || slug FROM monitors" >"$work/hc_slug"
HEARTBEAT_HC_FILE="$work/hc_uuid" wrk_run hc_uuid_c256 256 "$base/" bench/ping_hc.lua
# Again: the server now knows most uuids' monitors (a running server's steady state, where
# each job pings its uuid again and again), so a ping is its write alone.
HEARTBEAT_HC_FILE="$work/hc_uuid" wrk_run hc_uuid_again_c256 256 "$base/" bench/ping_hc.lua
HEARTBEAT_HC_FILE="$work/hc_slug" wrk_run hc_slug_c256 256 "$base/" bench/ping_hc.lua
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$server_pid/status)
monitors=$(sqlite3 "$work/heartbeat.db" "select count(*) from monitors")

# The writer alone, without HTTP.
mkdir -p "$work/store"
store_json=$(./build/bench/store_bench "$work/store" 256 "$duration" "$slugs")

kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

# The DynamoDB store through dynalite (npm, in-memory, one Node.js thread on the same two
# cores): pings/s and latency, and how many DynamoDB requests the server had in flight
# at once (heartbeat_dynamodb_requests_in_flight_max on /metrics), and of those how many
# were on connections, sent and awaiting their answer (..._on_connections_max; at most the
# store's 128 connections, the rest wait in the client for one: never on a thread).
dynalite_module=./tests/tools/node_modules/dynalite
node -e "const s = require(process.argv[1])({createTableMs: 0});
s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));" "$dynalite_module" \
  >"$work/dynalite.log" 2>&1 &
dynalite_pid=$!
for _ in $(seq 100); do
  dport=$(awk '/^port / {print $2}' "$work/dynalite.log")
  [ -n "$dport" ] && break
  sleep 0.05
done
[ -n "$dport" ] || { echo "bench: dynalite did not start:" >&2; cat "$work/dynalite.log" >&2; exit 1; }
(
  export HEARTBEAT_STORE=dynamodb DYNAMODB_ENDPOINT="http://127.0.0.1:$dport" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret
  unset METRICS_TOKEN
  trap '[ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null' EXIT
  $bin store init 2>"$work/dynamo_init.log" || { echo "bench: store init on dynalite failed:" >&2; cat "$work/dynamo_init.log" >&2; exit 1; }
  key=$($bin keys add --description bench 2>/dev/null)
  start_server
  base="http://127.0.0.1:$port"
  wrk_run dynamo_ping_c64 64 "$base/" bench/ping.lua
  wrk_run dynamo_ping_c256 256 "$base/" bench/ping.lua
  curl -s "$base/metrics" >"$work/dynamo_metrics"
  awk '/^heartbeat_dynamodb_requests_in_flight_max / {print $2}' "$work/dynamo_metrics" >"$work/dynamo_inflight"
  awk '/^heartbeat_dynamodb_requests_on_connections_max / {print $2}' "$work/dynamo_metrics" >"$work/dynamo_onconn"
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
)  # set -e: a failing step ends the subshell, and the subshell's failure the bench
kill "$dynalite_pid" 2>/dev/null || true; wait "$dynalite_pid" 2>/dev/null || true; dynalite_pid=""
dynamo_inflight=$(cat "$work/dynamo_inflight")
dynamo_onconn=$(cat "$work/dynamo_onconn")

# The checker: alert latency, wake-up cost, and a server's memory with many monitors.
mkdir -p "$work/alerts"
latency_json=$(./build/bench/alert_bench latency "$work/alerts")
# 5 channels per monitor, 100 monitors due at once; then with one channel hanging.
channels_json=$(./build/bench/alert_bench channels "$work/alerts")
channels_hang_json=$(./build/bench/alert_bench channels-hang "$work/alerts")
: >"$work/wakeups"
# The last row: a million monitors on cron schedules (in four time zones, with a grace).
for spec in 10000 100000 1000000 1000000-cron; do
  n=${spec%-cron}
  kind=""
  [ "$spec" != "$n" ] && kind=cron
  wake_json=$(./build/bench/alert_bench wakeup "$work/alerts" "$n" $kind)
  db="$work/alerts/monitors-$spec.db"
  # A server on that store: RSS with 0 due (the 100 made due above were alerted already,
  # and are due again only in an hour), then with 100 more due.
  HEARTBEAT_STORE="sqlite:$db" BIND_ADDR=127.0.0.1:0 LOG_LEVEL=error $bin serve >/dev/null 2>&1 &
  server_pid=$!
  sleep 2
  rss0=$(awk '/VmRSS/ {print $2}' /proc/$server_pid/status)
  now_ms=$(($(date +%s%N) / 1000000))
  sqlite3 "$db" "PRAGMA busy_timeout=5000; UPDATE monitors SET next_due = $now_ms - 1000 - grace_secs * 1000, check_at = $now_ms - 999 WHERE slug IN (SELECT slug FROM monitors WHERE alert_count = 0 ORDER BY slug LIMIT 100);" >/dev/null
  sleep 2
  rss100=$(awk '/VmRSS/ {print $2}' /proc/$server_pid/status)
  pending=$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE state = 'pending'")
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "$spec $wake_json $rss0 $rss100 $pending" >>"$work/wakeups"
done

# Cron schedules: the median ns of one Next() per expression (bench/cron_bench.cc), as
# "name ns" lines; empty when cron_bench was not built (no libbenchmark-dev).
: >"$work/cron"
if [ -x ./build/bench/cron_bench ]; then
  ./build/bench/cron_bench --benchmark_filter=BM_Next --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_format=json >"$work/cron.json"
  node -e "const r = require(process.argv[1]);
    for (const b of r.benchmarks) if (b.aggregate_name === 'median')
      console.log(b.run_name.replace('BM_Next/', '') + ' ' + b.real_time.toFixed(0));" \
    "$work/cron.json" >"$work/cron"
fi

# What a request's key costs (bench/key_bench.cc): an API key to its project and role,
# remembered and looked up; a ping key to its project with 1, 10, 100 projects.
: >"$work/keys"
if [ -x ./build/bench/key_bench ]; then
  ./build/bench/key_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_format=json >"$work/keys.json"
  node -e "const r = require(process.argv[1]);
    for (const b of r.benchmarks) if (b.aggregate_name === 'median')
      console.log(b.run_name.replace('BM_', '') + ' ' + b.real_time.toFixed(0));" \
    "$work/keys.json" >"$work/keys"
fi

ping=$(awk '$1 == "ping_c256" {print $3}' "$work/rows")
ceiling=$(awk '$1 == "healthz_c256" {print $3}' "$work/rows")
ratio=$(awk -v a="$ping" -v b="$ceiling" 'BEGIN {printf "%.2f", a / b}')

{
  echo "heartbeat bench ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, wrk -t2 -d${duration}s, ${slugs} slugs, SQLite durable)"
  printf '%-22s %6s %12s %10s %10s %8s\n' endpoint conns "req/s" "p50 ms" "p99 ms" non-2xx
  while read -r name conns rps p50 p99 errs; do
    printf '%-22s %6s %12s %10s %10s %8s\n' "$name" "$conns" "$rps" "$p50" "$p99" "$errs"
  done <"$work/rows"
  echo "ping / healthz ratio:  $ratio"
  echo "monitors after load:   $monitors"
  echo "server peak RSS:       $((rss_kb / 1024)) MiB"
  echo "store writer alone:    $store_json"
  echo "DynamoDB (dynalite):   at most $dynamo_inflight requests in flight at once, $dynamo_onconn of them on connections"
  echo "alert latency:         $latency_json"
  echo "5 channels:            $channels_json"
  echo "5 channels, 1 hanging: $channels_hang_json"
  printf '%-10s %16s %18s %14s %16s\n' monitors "wake 0 due ms" "wake 100 due ms" "RSS 0 due MiB" "RSS 100 due MiB"
  while read -r n json rss0 rss100 pending; do
    w0=$(echo "$json" | sed -E 's/.*"wakeup_0_due_ms":([0-9.]+).*/\1/')
    w100=$(echo "$json" | sed -E 's/.*"wakeup_100_due_ms":([0-9.]+).*/\1/')
    printf '%-10s %16s %18s %14s %16s\n' "$n" "$w0" "$w100" "$((rss0 / 1024))" "$((rss100 / 1024))"
  done <"$work/wakeups"
  if [ -s "$work/cron" ]; then
    printf '%-32s %14s\n' "cron Next()" "median ns"
    while read -r name ns; do printf '%-32s %14s\n' "$name" "$ns"; done <"$work/cron"
  fi
  if [ -s "$work/keys" ]; then
    printf '%-32s %14s\n' "key lookup" "median ns"
    while read -r name ns; do printf '%-32s %14s\n' "$name" "$ns"; done <"$work/keys"
  fi
} | tee "$out_dir/results.txt"

{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"cores\": $(nproc), \"duration_s\": $duration, \"slugs\": $slugs,"
  echo "  \"http\": ["
  sep=""
  while read -r name conns rps p50 p99 errs; do
    printf '%s    {"name": "%s", "connections": %s, "requests_per_sec": %s, "p50_ms": %s, "p99_ms": %s, "non_2xx": %s}' \
      "$sep" "$name" "$conns" "$rps" "$p50" "$p99" "$errs"
    sep=$',\n'
  done <"$work/rows"
  echo ""
  echo "  ],"
  echo "  \"ping_to_healthz_ratio\": $ratio, \"monitors\": $monitors, \"server_peak_rss_kib\": $rss_kb,"
  echo "  \"store_writer\": $store_json,"
  echo "  \"dynamodb_max_in_flight\": ${dynamo_inflight:-null},"
  echo "  \"dynamodb_max_on_connections\": ${dynamo_onconn:-null},"
  echo "  \"alert_latency\": $latency_json,"
  echo "  \"alert_latency_5_channels\": $channels_json,"
  echo "  \"alert_latency_5_channels_1_hanging\": $channels_hang_json,"
  echo "  \"checker\": ["
  sep=""
  while read -r n json rss0 rss100 pending; do
    printf '%s    {"wakeup": %s, "server_rss_kib_0_due": %s, "server_rss_kib_100_due": %s, "alerts_pending_after": %s}' \
      "$sep" "$json" "$rss0" "$rss100" "$pending"
    sep=$',\n'
  done <"$work/wakeups"
  echo ""
  echo "  ],"
  echo "  \"cron_next_median_ns\": {"
  sep=""
  while read -r name ns; do
    printf '%s    "%s": %s' "$sep" "$name" "$ns"
    sep=$',\n'
  done <"$work/cron"
  echo ""
  echo "  },"
  echo "  \"key_lookup_median_ns\": {"
  sep=""
  while read -r name ns; do
    printf '%s    "%s": %s' "$sep" "$name" "$ns"
    sep=$',\n'
  done <"$work/keys"
  echo ""
  echo "  }"
  echo "}"
} >"$out_dir/results.json"
echo "JSON: $out_dir/results.json"

# A figure with failed requests in it measures the failures: say so, and fail.
bad=$(awk '$6 != 0 {print $1 " (" $6 ")"}' "$work/rows")
if [ -n "$bad" ]; then
  echo "bench: responses other than 2xx in: $bad; the table above does not measure success" >&2
  exit 1
fi
