#!/usr/bin/env bash
# R7 http-server: wrk -t1 -c64 -d10s GET /1k against aio::web, nginx (1 worker)
# and Python aiohttp.web, one after the other in this one command. Servers on
# core 1, wrk on core 0. Prints req/s, p99 latency and the ratios, then a
# memory check: the aio server's RSS before and after a long run.
#
#   bench/web.sh [build-dir] [seconds]      (default /tmp/web-build, 10)
set -euo pipefail
BUILD=${1:-/tmp/web-build}
SECS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/aio-r7.XXXXXX)
chmod 755 "$TMP"  # nginx's worker (user nobody) reads the files under it: a 403 is no benchmark
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

. "$HERE/lib.sh"  # free_port, start_nginx_1k
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/1k" && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
# Runs wrk; prints "req/s p99_ms".
load() {
  local out
  out=$(taskset -c 0 wrk -t1 -c64 -d"${SECS}s" --latency "http://127.0.0.1:$1/1k")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99"
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# aio::web
P_AIO=$(free_port)
taskset -c 1 "$BUILD/bench/bench_web" "$P_AIO" > "$TMP/aio.log" &
PID_AIO=$!; PIDS+=("$PID_AIO")
wait_port "$P_AIO"

# nginx, one worker, the same 1 KiB body
P_NGX=$(free_port)
start_nginx_1k "$TMP/nginx" "$P_NGX"
wait_port "$P_NGX"

# aiohttp.web
P_PY=$(free_port)
taskset -c 1 /usr/bin/python3 "$HERE/peers/aiohttp_web_1k.py" "$P_PY" > /dev/null 2>&1 &
PIDS+=("$!")
wait_port "$P_PY"

RSS0=$(rss_kb "$PID_AIO")
read -r A_RPS A_P99 < <(load "$P_AIO")
read -r N_RPS N_P99 < <(load "$P_NGX")
read -r Y_RPS Y_P99 < <(load "$P_PY")
RSS1=$(rss_kb "$PID_AIO")

printf '%-12s %12s %10s\n' server req/s p99_ms
printf '%-12s %12.0f %10.3f\n' aio.web "$A_RPS" "$A_P99" nginx-1w "$N_RPS" "$N_P99" aiohttp.web "$Y_RPS" "$Y_P99"
awk -v a="$A_RPS" -v n="$N_RPS" -v y="$Y_RPS" -v ap="$A_P99" -v np="$N_P99" \
  'BEGIN { printf "ratio aio/nginx req/s %.2f  p99 %.2f   aio/aiohttp req/s %.1f\n", a/n, ap/np, a/y }'

# Memory: another long run against aio; RSS must stay flat.
read -r _ _ < <(load "$P_AIO")
RSS2=$(rss_kb "$PID_AIO")
echo "aio RSS KiB: start $RSS0, after run 1 $RSS1, after run 2 $RSS2 (flat: run 2 - run 1 = $((RSS2 - RSS1)))"
