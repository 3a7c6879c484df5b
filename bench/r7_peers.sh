#!/usr/bin/env bash
# R7 http-server against the peers, in one command: aio::web and the peer
# servers of the peer harness (hyper, nginx with one worker; optionally Go,
# Beast, aiohttp) serve GET /1k in turn, each loaded by wrk -t1 -c64 for
# SECS seconds (after a 1 s warm-up), server on core 1, wrk on core 0. The
# servers take turns within each of REPS rounds (aio, hyper, nginx, aio, ...),
# so a neighbour's load on the machine spreads over all of them; a fresh
# process per run. Prints median/min/max req/s and the median p99 per server,
# then the ratios of each aio row to hyper and nginx, and per round (the
# ratios of one round come from back-to-back runs). Also the server's CPU
# time (user+sys, from /proc) per request: steadier than req/s when other
# work shares the machine.
#
#   bench/r7_peers.sh [NAME=BINARY ...]     (default: aio=build/release/bench/bench_web)
#   env: REPS (3), SECS (10), PEERS_DIR (/work/peers), EXTRA="go beast aiohttp"
#
# WORKERS=2 (bench/r7x2_peers.sh) is R7x2, every core: aio with two workers
# (two loops on one port), nginx with two workers (reuseport), hyper on a
# two-thread tokio runtime (r7x2_hyper, source in bench/peers/r7x2/) and Go
# with GOMAXPROCS=2, loaded by wrk -t2 -c128, nothing pinned: server and wrk
# share the two cores. The CPU column then counts all of a server's threads
# and processes.
#
# Several aio binaries can be given (e.g. before=/tmp/old after=build/...)
# to compare two builds in the same run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-3}
SECS=${SECS:-10}
PEERS_DIR=${PEERS_DIR:-/work/peers}
PB=$PEERS_DIR/build
PORT=${PORT:-18290}
WORKERS=${WORKERS:-1}
TMP=$(mktemp -d /tmp/aio-r7p.XXXXXX)
chmod 755 "$TMP"  # nginx's worker (user nobody) reads the files under it
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
. "$HERE/lib.sh"  # start_nginx_1k

AIO=()
if [ $# -eq 0 ]; then AIO=("aio=$HERE/../build/release/bench/bench_web"); else AIO=("$@"); fi

# name -> command (PORT substituted); order = order of each round
NAMES=() CMDS=()
if [ "$WORKERS" -gt 1 ]; then
  PIN=() WRK_ARGS=(-t2 -c128) NGINX_CORE=""
  for a in "${AIO[@]}"; do NAMES+=("${a%%=*}"); CMDS+=("${a#*=} @PORT@ $WORKERS"); done
  HYPER=$PB/rust/release/r7x2_hyper
  [ -x "$HYPER" ] || { echo "missing $HYPER: copy bench/peers/r7x2/r7x2_hyper.rs to $PEERS_DIR/rust/src/bin/ and cargo build --release --bin r7x2_hyper" >&2; exit 2; }
  NAMES+=(hyper); CMDS+=("$HYPER @PORT@")
  EXTRA="go ${EXTRA:-}"
else
  PIN=(taskset -c 1) WRK_ARGS=(-t1 -c64) NGINX_CORE=1
  for a in "${AIO[@]}"; do NAMES+=("${a%%=*}"); CMDS+=("${a#*=} @PORT@"); done
  NAMES+=(hyper); CMDS+=("$PB/rust/release/r7_hyper @PORT@")
fi
for e in ${EXTRA:-}; do
  case $e in
    go) NAMES+=(go); CMDS+=("env GOMAXPROCS=$WORKERS $PB/go/r7_server @PORT@") ;;
    beast) NAMES+=(beast); CMDS+=("$PB/asio/r7_server @PORT@") ;;
    aiohttp) NAMES+=(aiohttp); CMDS+=("/usr/bin/python3 $PEERS_DIR/python/r7_server.py @PORT@") ;;
  esac
done
NAMES+=(nginx); CMDS+=(nginx)

wait_up() { for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/1k" && return 0; sleep 0.1; done; return 1; }
stop() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true
}
# Prints "RPS P99_MS REQUESTS".
load() {
  local out
  if [ "$WORKERS" -gt 1 ]; then
    out=$(wrk "${WRK_ARGS[@]}" -d"$2"s --latency "http://127.0.0.1:$1/1k")
  else
    out=$(taskset -c 0 wrk "${WRK_ARGS[@]}" -d"$2"s --latency "http://127.0.0.1:$1/1k")
  fi
  awk '/^Requests\/sec:/ {r=$2} / requests in / {n=$1}
       $1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; p=v}
       END {print r, p, n}' <<<"$out"
}

# user+sys clock ticks of a process (all its threads) and its child processes so far
cpu_ticks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}

declare -A RPS P99 CPU
for ((rep = 1; rep <= REPS; rep++)); do
  for i in "${!NAMES[@]}"; do
    n=${NAMES[$i]}; port=$((PORT + i))
    if [ "${CMDS[$i]}" = nginx ]; then
      PIDS=(); start_nginx_1k "$TMP/nginx" "$port" "$NGINX_CORE" "$WORKERS"; PID=${PIDS[0]}
    else
      # shellcheck disable=SC2086
      "${PIN[@]}" ${CMDS[$i]//@PORT@/$port} >"$TMP/$n.log" 2>&1 &
      PID=$!
    fi
    if ! wait_up "$port"; then echo "$n did not start" >&2; stop "$PID"; PID=""; continue; fi
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$port/1k")
    if [ "$got" != "200 1024" ]; then echo "$n answers $got, not 200 with 1024 bytes" >&2; stop "$PID"; PID=""; continue; fi
    load "$port" 1 >/dev/null
    wpid=$PID
    c0=$(cpu_ticks "$wpid")
    read -r r p nreq < <(load "$port" "$SECS")
    c1=$(cpu_ticks "$wpid")
    cpu=$(awk -v a="$c0" -v b="$c1" -v n="$nreq" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (b - a) / hz / n * 1e6}')
    RPS[$n]+="$r "; P99[$n]+="$p "; CPU[$n]+="$cpu "
    if [ "${CMDS[$i]}" = nginx ]; then kill -QUIT "$PID" 2>/dev/null; sleep 0.3; fi
    stop "$PID"; PID=""
    printf 'round %d  %-10s %10.0f req/s  p99 %.3f ms  server cpu %s us/req\n' "$rep" "$n" "$r" "$p" "$cpu" >&2
  done
done

med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
printf '%-10s %10s %10s %10s %10s %12s   (%d runs of %d s, %d worker(s), wrk %s)\n' server "median" min max "p99 ms" "cpu us/req" "$REPS" "$SECS" "$WORKERS" "${WRK_ARGS[*]}"
for n in "${NAMES[@]}"; do
  [ -n "${RPS[$n]:-}" ] || continue
  read -r m lo hi < <(med "${RPS[$n]}"); read -r pm _ _ < <(med "${P99[$n]}"); read -r cm _ _ < <(med "${CPU[$n]}")
  printf '%-10s %10.0f %10.0f %10.0f %10.3f %12.2f\n' "$n" "$m" "$lo" "$hi" "$pm" "$cm"
done
for a in "${AIO[@]}"; do
  n=${a%%=*}
  for peer in hyper go nginx; do
    [ -n "${RPS[$peer]:-}" ] && [ -n "${RPS[$n]:-}" ] || continue
    read -r am _ _ < <(med "${RPS[$n]}"); read -r pm _ _ < <(med "${RPS[$peer]}")
    read -r ap _ _ < <(med "${P99[$n]}"); read -r pp _ _ < <(med "${P99[$peer]}")
    per_round=$(paste -d' ' <(tr ' ' '\n' <<<"${RPS[$n]}" | grep .) <(tr ' ' '\n' <<<"${RPS[$peer]}" | grep .) |
                awk '{printf "%.2f ", $1 / $2}')
    awk -v n="$n" -v p="$peer" -v a="$am" -v b="$pm" -v ap="$ap" -v bp="$pp" -v r="$per_round" \
      'BEGIN { printf "ratio %s/%s: req/s %.2f (medians; per round %s)  p99 %.2f\n", n, p, a / b, r, ap / bp }'
  done
done
