#!/usr/bin/env bash
# Echo: 64 connections ping-ponging 64-byte messages on loopback, against the
# aio streams server, Python asyncio, asyncio + uvloop and a plain epoll echo
# server in C (the ceiling), one after the other in this one command. The
# client (bench/peers/echo_client.c) is the same for all four, on core 0;
# servers on core 1. Prints round trips per second and the ratios.
#
#   bench/echo.sh [build-dir] [seconds] [connections] [size]   (default build/release, 5, 64, 64)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build/release}
SECS=${2:-5}
CONNS=${3:-64}
SIZE=${4:-64}
TMP=$(mktemp -d /tmp/aio-echo.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

cc -O2 -o "$TMP/echo_client" "$HERE/peers/echo_client.c"
cc -O2 -o "$TMP/epoll_echo_server" "$HERE/peers/epoll_echo_server.c"
. "$HERE/lib.sh"  # free_port

# run NAME COMMAND... : starts the server on core 1, loads it from core 0, prints round trips/s.
run() {
  local name=$1; shift
  local port; port=$(free_port)
  taskset -c 1 "$@" "$port" > "$TMP/$name.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  for _ in $(seq 100); do grep -q listening "$TMP/$name.log" 2>/dev/null && break; sleep 0.1; done
  taskset -c 0 "$TMP/echo_client" "$port" "$CONNS" "$SIZE" "$SECS"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

echo "echo: $CONNS connections × $SIZE-byte messages, ${SECS}s each; client on core 0, server on core 1"
AIO=$(run aio "$BUILD/bench/bench_echo_server")
EPOLL=$(run epoll "$TMP/epoll_echo_server")
UV=$(run uvloop /usr/bin/python3 "$HERE/peers/asyncio_echo_server.py" --uvloop)
PY=$(run asyncio /usr/bin/python3 "$HERE/peers/asyncio_echo_server.py")
printf '%-22s %14s %12s\n' server "round trips/s" "aio ÷ it"
for row in "aio:$AIO" "epoll (C, ceiling):$EPOLL" "asyncio + uvloop:$UV" "asyncio:$PY"; do
  name=${row%%:*}; v=${row##*:}
  printf '%-22s %14s %12s\n' "$name" "$v" "$(awk -v a="$AIO" -v b="$v" 'BEGIN{printf "%.2f×", a/b}')"
done
echo "goals: aio ≥ 5× uvloop; aio ≥ 0.8× the epoll ceiling"
