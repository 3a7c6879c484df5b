#!/usr/bin/env bash
# Soak: does a long run leave aio's memory and descriptors where they were?
#   server: REQUESTS keep-alive GETs of /1k by wrk (-t1 -c64, one-second runs) against aio::web
#           (bench_web), the server's RSS and open descriptors read from /proc
#           when 10%, 50% and 100% are done;
#   client: REQUESTS GETs of /1k through one ClientSession (64 connections)
#           against nginx, the client printing its own RSS and descriptors at
#           the same points.
# "Flat" means the 50% and 100% figures are within 5% of the 10% one (the
# first 10% is the warm-up: pools, buffers and the allocator's arenas grow
# there). A benchmark, not a test: it prints, it asserts nothing.
#
#   bench/soak.sh [build-dir] [requests]     (default build/release, 1000000)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build/release}
REQUESTS=${2:-1000000}
TMP=$(mktemp -d /tmp/aio-soak.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
. "$HERE/lib.sh"  # free_port, start_nginx_1k
wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/1k" && return 0; sleep 0.1; done; echo "server on $1 did not start" >&2; exit 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }

echo "== server: $REQUESTS requests by wrk against aio::web"
P_AIO=$(free_port)
taskset -c 1 "$BUILD/bench/bench_web" "$P_AIO" > "$TMP/aio.log" &
PID_AIO=$!; PIDS+=("$PID_AIO")
wait_port "$P_AIO"
echo "soak server start rss_kib=$(rss_kb "$PID_AIO") fds=$(fds "$PID_AIO")"
# wrk runs in one-second slices (each with 64 new connections); the server is
# sampled after the slice that crosses 10%, 50% and 100% of REQUESTS.
done_so_far=0
for percent in 10 50 100; do
    target=$((REQUESTS * percent / 100))
    while [ "$done_so_far" -lt "$target" ]; do
        sent=$(taskset -c 0 wrk -t1 -c64 -d1s "http://127.0.0.1:$P_AIO/1k" | awk '/requests in/ {print $1}')
        done_so_far=$((done_so_far + sent))
    done
    sleep 0.5  # let the server close the 64 connections wrk left
    printf 'soak server %3d%% requests=%d rss_kib=%d fds=%d\n' "$percent" "$done_so_far" "$(rss_kb "$PID_AIO")" "$(fds "$PID_AIO")" |
        tee -a "$TMP/server.txt"
done
kill "$PID_AIO"

echo "== client: $REQUESTS requests through ClientSession against nginx"
P_NGX=$(free_port)
start_nginx_1k "$TMP/nginx" "$P_NGX"
wait_port "$P_NGX"
taskset -c 0 "$BUILD/bench/bench_http_client" soak "http://127.0.0.1:$P_NGX/1k" 64 "$REQUESTS" | tee "$TMP/client.txt"

# Growth after the warm-up, in percent of the 10% point.
for side in server client; do
    awk -v side="$side" '
        { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
        NR == 1 { r0 = v["rss_kib"]; f0 = v["fds"] }
        END { printf "%s: RSS %+.1f%%, fds %+d from 10%% to 100%% (%s)\n", side, 100 * (v["rss_kib"] - r0) / r0,
              v["fds"] - f0, (v["rss_kib"] - r0) / r0 <= 0.05 && v["fds"] == f0 ? "flat" : "NOT flat" }' "$TMP/$side.txt"
done
