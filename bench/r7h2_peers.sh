#!/usr/bin/env bash
# R7 over HTTP/2 against the peers, in one command: aio::web, nginx (one
# worker, `listen ... http2`), hyper (http2_only, one-thread tokio) and Go
# (net/http with x/net's h2c) serve GET /1k over cleartext HTTP/2 with prior
# knowledge, in turn, each loaded by `h2load -c64 -m10` (64 connections, 10
# streams each) for SECS seconds after a 1 s warm-up; server on core 1,
# h2load on core 0; REPS rounds, a fresh process per run. Prints median/min/
# max req/s and the server's CPU time per request, then the ratios of aio to
# each peer (medians, and per round).
#
#   bench/r7h2_peers.sh [NAME=BINARY ...]   (default: aio=build/release/bench/bench_web)
#   env: REPS (3), SECS (10), PEERS_DIR (/work/peers)
# The peers' sources are in bench/peers/r7h2/ (how to build them is at their top).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-3}
SECS=${SECS:-10}
PEERS_DIR=${PEERS_DIR:-/work/peers}
PB=$PEERS_DIR/build
PORT=${PORT:-18390}
TMP=$(mktemp -d /tmp/aio-r7h2.XXXXXX)
chmod 755 "$TMP"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
. "$HERE/lib.sh"

AIO=()
if [ $# -eq 0 ]; then AIO=("aio=$HERE/../build/release/bench/bench_web"); else AIO=("$@"); fi
NAMES=() CMDS=()
for a in "${AIO[@]}"; do NAMES+=("${a%%=*}"); CMDS+=("${a#*=} @PORT@"); done
HYPER=$PB/rust/release/r7h2_hyper
GO=$PB/go/r7h2_server
[ -x "$HYPER" ] && { NAMES+=(hyper); CMDS+=("$HYPER @PORT@"); } || echo "no $HYPER (see bench/peers/r7h2/r7h2_hyper.rs): hyper skipped" >&2
[ -x "$GO" ] && { NAMES+=(go); CMDS+=("$GO @PORT@"); } || echo "no $GO (see bench/peers/r7h2/r7h2_server.go): Go skipped" >&2
NAMES+=(nginx); CMDS+=(nginx)

wait_up() { for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 --http2-prior-knowledge "http://127.0.0.1:$1/1k" && return 0; sleep 0.1; done; return 1; }
stop() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true
}
# Prints "RPS REQUESTS" (only runs where every request succeeded count).
load() {
  local out
  out=$(taskset -c 0 h2load -t1 -c64 -m10 -D "$2" --warm-up-time=1 "http://127.0.0.1:$1/1k" 2>&1)
  awk '/^finished in/ {gsub(",", ""); r=$4} /^requests:/ {n=$8; bad=$10 + $12 + $14}
       END {if (bad > 0) print "FAIL", n; else print r, n}' <<<"$out"
}
cpu_ticks() { [ -r "/proc/$1/stat" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }

declare -A RPS CPU
for ((rep = 1; rep <= REPS; rep++)); do
  for i in "${!NAMES[@]}"; do
    n=${NAMES[$i]}; port=$((PORT + i))
    if [ "${CMDS[$i]}" = nginx ]; then
      PIDS=(); H2=1 start_nginx_1k "$TMP/nginx" "$port" 1 1; PID=${PIDS[0]}
    else
      # shellcheck disable=SC2086
      taskset -c 1 ${CMDS[$i]//@PORT@/$port} >"$TMP/$n.log" 2>&1 &
      PID=$!
    fi
    if ! wait_up "$port"; then echo "$n did not start" >&2; stop "$PID"; PID=""; continue; fi
    got=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code} %{size_download}' "http://127.0.0.1:$port/1k")
    if [ "$got" != "2 200 1024" ]; then echo "$n answers '$got', not HTTP/2 200 with 1024 bytes" >&2; stop "$PID"; PID=""; continue; fi
    wpid=$PID
    [ "${CMDS[$i]}" = nginx ] && wpid=$(pgrep -P "$PID" | head -1)
    c0=$(cpu_ticks "$wpid")
    read -r r nreq < <(load "$port" "$SECS")
    c1=$(cpu_ticks "$wpid")
    if [ "${CMDS[$i]}" = nginx ]; then kill -QUIT "$PID" 2>/dev/null; sleep 0.3; fi
    stop "$PID"; PID=""
    if [ "$r" = FAIL ]; then echo "round $rep $n: h2load saw failed requests" >&2; continue; fi
    cpu=$(awk -v a="$c0" -v b="$c1" -v n="$nreq" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (b - a) / hz / n * 1e6}')
    RPS[$n]+="$r "; CPU[$n]+="$cpu "
    printf 'round %d  %-8s %10.0f req/s  server cpu %s us/req\n' "$rep" "$n" "$r" "$cpu" >&2
  done
done

med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
printf '%-8s %10s %10s %10s %12s   (R7 over h2: %d runs of %d s, h2load -c64 -m10)\n' server median min max "cpu us/req" "$REPS" "$SECS"
for n in "${NAMES[@]}"; do
  [ -n "${RPS[$n]:-}" ] || continue
  read -r m lo hi < <(med "${RPS[$n]}"); read -r cm _ _ < <(med "${CPU[$n]}")
  printf '%-8s %10.0f %10.0f %10.0f %12.2f\n' "$n" "$m" "$lo" "$hi" "$cm"
done
for a in "${AIO[@]}"; do
  n=${a%%=*}
  for peer in hyper go nginx; do
    [ -n "${RPS[$peer]:-}" ] && [ -n "${RPS[$n]:-}" ] || continue
    read -r am _ _ < <(med "${RPS[$n]}"); read -r pm _ _ < <(med "${RPS[$peer]}")
    per_round=$(paste -d' ' <(tr ' ' '\n' <<<"${RPS[$n]}" | grep .) <(tr ' ' '\n' <<<"${RPS[$peer]}" | grep .) |
                awk '{printf "%.2f ", $1 / $2}')
    awk -v n="$n" -v p="$peer" -v a="$am" -v b="$pm" -v r="$per_round" \
      'BEGIN { printf "ratio %s/%s: req/s %.2f (medians; per round %s)\n", n, p, a / b, r }'
  done
done
