#!/usr/bin/env bash
# R13 ws-echo (shared/bench/WORKLOADS.md) beside its peers in ONE run:
# 64 WebSocket connections each sending a 1 KiB text message and awaiting its
# echo (one in flight per connection) for SECS seconds; messages per second and
# the p99 round trip. Client on core 0, server on core 1.
#
#   (a) servers: Boost.Beast, aiohttp, Python websockets, Node ws and aio
#       (bench_ws server), each loaded by Beast's client (the fastest client);
#   (b) clients: Beast, aiohttp, websockets, Node ws and aio (bench_ws client),
#       each against Beast's server (the fastest server).
#
# Permessage-deflate is OFF on every side (every peer can turn it off): the
# message is 1 KiB of varied printable text, and R13 measures the framing and
# the loop, not zlib. Each load client prints "RESULT msgs_per_s=<x>
# p99_us=<y>", measured the same way (bench/peers/ws/: connections opened
# first, then per-message round trips over the window; p99 of all of them).
# Within each of REPS rounds the programs take turns, a fresh server per run
# after a 1 s warm-up load; prints median/min/max msgs/s and the median p99,
# then aio's ratios to the best peer of each role (by median msgs/s).
#
#   bench/r13_ws.sh [build-dir]     (default build/release: its bench/bench_ws)
#   env: REPS (3), SECS (10), CONNS (64), SIZE (1024), PEERS_BUILD (build/peers: beast_ws)
#
# Needs g++ and libboost1.81-dev (Beast), python3-aiohttp, python3-websockets,
# nodejs and node-ws. aio's rows are skipped, saying so, while bench_ws is not built.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build/release}
REPS=${REPS:-3}
SECS=${SECS:-10}
CONNS=${CONNS:-64}
SIZE=${SIZE:-1024}
PEERS_BUILD=${PEERS_BUILD:-$HERE/../build/peers}
P=$HERE/peers/ws
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
TMP=$(mktemp -d /tmp/aio-r13.XXXXXX)
SPID=""
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# Beast's programs, built when missing or older than their source.
BEAST=$PEERS_BUILD/beast_ws
if [ ! -x "$BEAST" ] || [ "$P/beast_ws.cpp" -nt "$BEAST" ] || [ "$P/r13_load.hpp" -nt "$BEAST" ]; then
  [ -f /usr/include/boost/beast/websocket.hpp ] || { echo "Boost.Beast is missing: apt-get install libboost1.81-dev" >&2; exit 2; }
  mkdir -p "$PEERS_BUILD"
  echo "building $BEAST ..." >&2
  g++ -std=c++20 -O2 -DNDEBUG "$P/beast_ws.cpp" -o "$BEAST.tmp" && mv "$BEAST.tmp" "$BEAST"
fi
AIO=$BUILD/bench/bench_ws
HAVE_AIO=1
if [ ! -x "$AIO" ]; then
  HAVE_AIO=0
  echo "aio: skipping its rows: $AIO is not built (cmake --build --preset release --target bench_ws)" >&2
fi

# name -> program (server: PROG server --port 0; client: PROG client --url ...)
declare -A PROG=(
  [beast]="$BEAST"
  [aiohttp]="/usr/bin/python3 $P/aiohttp_ws.py"
  [websockets]="/usr/bin/python3 $P/websockets_ws.py"
  [node]="node $P/node_ws.js"
  [aio]="$AIO"
)
PEERS=(beast aiohttp websockets node)
NAMES=("${PEERS[@]}")
[ $HAVE_AIO = 1 ] && NAMES+=(aio)

# start_server NAME: the server on core 1; sets SPID and SPORT.
start_server() {
  # shellcheck disable=SC2086
  taskset -c 1 ${PROG[$1]} server --port 0 >"$TMP/server.log" 2>&1 &
  SPID=$!
  for _ in $(seq 100); do
    SPORT=$(awk '/^PORT / {print $2; exit}' "$TMP/server.log")
    [ -n "$SPORT" ] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "$1 server did not start: $(head -c 500 "$TMP/server.log")" >&2
  stop_server
  return 1
}
stop_server() {
  [ -n "$SPID" ] || return 0
  kill "$SPID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true
  SPID=""
}
# load CLIENT SECS: the client on core 0 against the running server; prints
# "MSGS P99 CLIENT_CPU_SECONDS" (user + sys of the client process).
load() {
  local out
  # shellcheck disable=SC2086
  out=$(taskset -c 0 /usr/bin/time -f "CPU %U %S" ${PROG[$1]} client --url "ws://127.0.0.1:$SPORT/" --conns "$CONNS" --secs "$2" --size "$SIZE" 2>&1) || {
    echo "$1 client failed: $(tail -3 <<<"$out")" >&2; return 1; }
  local cpu
  cpu=$(awk '/^CPU / {print $2 + $3}' <<<"$out" | tail -1)
  sed -n "s/^RESULT msgs_per_s=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2 ${cpu:-0}/p" <<<"$out" | tail -1
}
# ticks PID: user + sys clock ticks (1/100 s) the process has used.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# run ROLE SERVER CLIENT: one measured run (after a 1 s warm-up), recorded under ROLE/name.
# CPU: the measured side's CPU time per message, in microseconds (the
# server's for the server rows, the client's for the client rows): when the
# other side is the bottleneck, this is what still tells them apart.
declare -A MSGS P99 CPU BEST
run() {
  local role=$1 s=$2 c=$3 name r p ccpu t0 t1 us
  name=$([ "$role" = server ] && echo "$s" || echo "$c")
  start_server "$s" || return 0
  if load "$c" 1 >/dev/null && t0=$(ticks "$SPID") && read -r r p ccpu < <(load "$c" "$SECS") && [ -n "$r" ]; then
    t1=$(ticks "$SPID")
    if [ "$role" = server ]; then
      us=$(awk -v d="$((t1 - t0))" -v r="$r" -v s="$SECS" 'BEGIN { printf "%.2f", d * 10000 / (r * s) }')
    else
      us=$(awk -v c="$ccpu" -v r="$r" -v s="$SECS" 'BEGIN { printf "%.2f", c * 1e6 / (r * s) }')
    fi
    MSGS[$role/$name]+="$r "; P99[$role/$name]+="$p "; CPU[$role/$name]+="$us "
    printf 'round %d  %-6s %-10s (server %s, client %s) %9.0f msgs/s  p99 %8.0f us  cpu %6s us/msg\n' \
      "$rep" "$role" "$name" "$s" "$c" "$r" "$p" "$us" >&2
  fi
  stop_server
}

for ((rep = 1; rep <= REPS; rep++)); do
  for n in "${NAMES[@]}"; do run server "$n" beast; done
  for n in "${NAMES[@]}"; do run client beast "$n"; done
done

med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
echo
printf 'R13 ws-echo: %d connections x %d-byte text, one in flight each, %d s, %d rounds, no compression\n' \
  "$CONNS" "$SIZE" "$SECS" "$REPS"
printf '%-7s %-11s %10s %10s %10s %10s %12s\n' role name "msgs/s" min max "p99 us" "cpu us/msg"
for role in server client; do
  best="" bestm=0
  for n in "${NAMES[@]}"; do
    k=$role/$n
    [ -n "${MSGS[$k]:-}" ] || { printf '%-7s %-11s %10s\n' "$role" "$n" "(no result)"; continue; }
    read -r m lo hi < <(med "${MSGS[$k]}"); read -r pm _ _ < <(med "${P99[$k]}"); read -r cm _ _ < <(med "${CPU[$k]}")
    printf '%-7s %-11s %10.0f %10.0f %10.0f %10.0f %12.2f\n' "$role" "$n" "$m" "$lo" "$hi" "$pm" "$cm"
    if [ "$n" != aio ] && awk -v a="$m" -v b="$bestm" 'BEGIN {exit !(a > b)}'; then best=$n bestm=$m; fi
  done
  BEST[$role]=$best
done
echo
for role in server client; do
  best=${BEST[$role]:-}
  if [ $HAVE_AIO = 0 ]; then echo "ratio aio/$role: skipped (bench_ws not built)"; continue; fi
  [ -n "$best" ] && [ -n "${MSGS[$role/aio]:-}" ] || { echo "ratio aio/$role: no result"; continue; }
  read -r am _ _ < <(med "${MSGS[$role/aio]}"); read -r bm _ _ < <(med "${MSGS[$role/$best]}")
  read -r ap _ _ < <(med "${P99[$role/aio]}"); read -r bp _ _ < <(med "${P99[$role/$best]}")
  read -r ac _ _ < <(med "${CPU[$role/aio]}"); read -r bc _ _ < <(med "${CPU[$role/$best]}")
  awk -v r="$role" -v b="$best" -v am="$am" -v bm="$bm" -v ap="$ap" -v bp="$bp" -v ac="$ac" -v bc="$bc" \
    'BEGIN { printf "ratio aio/%s as %s: msgs/s %.2f  p99 %.2f (lower is better)  cpu per message %.2f (lower is better; %s per %s)\n", b, r, am / bm, ap / bp, ac / bc, ac, bc }'
done
