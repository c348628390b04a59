#!/usr/bin/env bash
# `make run`: serve on 0.0.0.0:3000 with SQLite at ./data/heartbeat.db. Creates the database
# when there is none yet (`serve` never does), and on an empty key store first creates one
# API key and prints it once with a ready-to-paste curl line.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./build/heartbeat
export HEARTBEAT_STORE="${HEARTBEAT_STORE:-sqlite:./data/heartbeat.db}"
mkdir -p ./data

case "$HEARTBEAT_STORE" in
  sqlite:*)
    db="${HEARTBEAT_STORE#sqlite:}"
    if [ ! -e "$db" ]; then
      echo "make run: no database at $db yet: creating it (heartbeat store init)" >&2
      "$bin" store init
    fi
    ;;
esac

if [ "$($bin keys list --json)" = "[]" ]; then
  key=$($bin keys add --description "created by make run")
  port="${BIND_ADDR:-0.0.0.0:3000}"
  port="${port##*:}"
  cat <<MSG

  Your first API key (shown once, keep it):

    $key

  Try it:

    curl -H "Authorization: Bearer $key" "http://127.0.0.1:$port/heartbeat/my-first-job?interval=5m"
    curl -H "Authorization: Bearer $key" "http://127.0.0.1:$port/monitors"

MSG
fi
# A login shell's soft open-files limit (often 1024) holds about 800 connections: take the hard
# one. The server raises it itself as well; this also covers the key commands above.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "$bin" serve
