#!/usr/bin/env bash
# R12 fetch-limited against the peers, in one command: the seed's run() (N
# URLs, Semaphore(K), a per-request timeout) by aio and by the peer harness's
# clients (reqwest, Go net/http, Boost.Beast), all against the harness's own
# server (Go, answers every request after 10 ms) pinned to core 1, clients on
# core 0. The clients take turns within each of REPS rounds, so the host's
# noise spreads over all of them. Two references beside them:
# - floor: N/K requests one after another (Go's client), i.e. N/K times the
#   server's latency for a lone request: what a client that cost nothing would
#   take if the server answered K requests at once as fast as one;
# - wrk: wrk with K connections for 3 s against the same server, its rate
#   turned into the seconds N requests take (steady state: no connection
#   setup). This is the server's own ceiling at K in flight, since the server
#   has one core for K requests every 10 ms.
# Prints per client the median/min/max wall seconds, then each aio row's ratio
# to the best peer, to wrk and to the floor.
#
#   bench/r12_peers.sh [NAME=BINARY ...]   (default: aio = Semaphore, aio-bounded = map_bounded,
#                                          both build/release/bench/bench_http_client; a NAME
#                                          ending in -bounded runs map_bounded)
#   env: REPS (9), N (1000), K (100), PEERS_DIR (/work/peers)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-9}
N=${N:-1000}
K=${K:-100}
PEERS_DIR=${PEERS_DIR:-/work/peers}
PB=$PEERS_DIR/build
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
. "$HERE/lib.sh"  # free_port

[ -x "$PB/go/delay_server" ] || { echo "the peer harness is not built: $PB/go/delay_server missing (run its setup.sh)" >&2; exit 2; }
AIO=()
if [ $# -eq 0 ]; then
  AIO=("aio=$HERE/../build/release/bench/bench_http_client" "aio-bounded=$HERE/../build/release/bench/bench_http_client")
else
  AIO=("$@")
fi
PORT=$(free_port)
taskset -c 1 "$PB/go/delay_server" "$PORT" & PIDS+=($!)
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -s -o /dev/null "$URL/1k" && break; sleep 0.1; done

NAMES=() CMDS=()
for a in "${AIO[@]}"; do
  mode=r12; [[ ${a%%=*} == *-bounded ]] && mode=r12-bounded
  NAMES+=("${a%%=*}"); CMDS+=("${a#*=} $mode $URL $N $K 3000")
done
NAMES+=(reqwest go beast wrk floor)
CMDS+=("$PB/rust/release/r12_reqwest $URL $N $K" "$PB/go/r12_fetch $URL $N $K" "$PB/asio/r12_fetch $PORT $N $K"
       "wrk -t1 -c$K -d3s $URL/item/1" "$PB/go/r12_fetch $URL $((N / K)) 1")

declare -A WALL
for ((rep = 1; rep <= REPS; rep++)); do
  for i in "${!NAMES[@]}"; do
    n=${NAMES[$i]}
    # shellcheck disable=SC2086
    if ! out=$(taskset -c 0 ${CMDS[$i]} 2>&1); then
      echo "$n failed: $(head -3 <<<"$out" | tr "\n" " ")" >&2; continue
    fi
    if [ "$n" = wrk ]; then w=$(awk -v n="$N" '/^Requests\/sec:/ {printf "%.4f", n / $2}' <<<"$out")
    elif grep -q '^RESULT ' <<<"$out"; then w=$(awk '/^RESULT / {print $2}' <<<"$out")
    else w=$(sed -n 's/.*\bwall_s=\([0-9.]*\).*/\1/p' <<<"$out" | tail -1); fi
    if [ "$n" != floor ] && [ "$n" != wrk ] && grep -q 'errors=[1-9]\|ok=[0-9]' <<<"$out" && ! grep -q "errors=0\|ok=$N\b" <<<"$out"; then
      echo "$n: not every request succeeded: $(tail -1 <<<"$out")" >&2; continue
    fi
    WALL[$n]+="$w "
    printf 'round %d  %-12s %8.4f s\n' "$rep" "$n" "$w" >&2
  done
done

med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
printf '%-12s %9s %9s %9s   (N=%d, K=%d, %d rounds; floor: %d requests in sequence, = N/K x one latency)\n' \
  client median min max "$N" "$K" "$REPS" $((N / K))
best=0 bestn=""
for n in "${NAMES[@]}"; do
  [ -n "${WALL[$n]:-}" ] || continue
  read -r m lo hi < <(med "${WALL[$n]}")
  printf '%-12s %9.4f %9.4f %9.4f\n' "$n" "$m" "$lo" "$hi"
  case $n in reqwest|go|beast) if awk -v a="$m" -v b="$best" 'BEGIN {exit !(b == 0 || a < b)}'; then best=$m; bestn=$n; fi ;; esac
done
read -r fl _ _ < <(med "${WALL[floor]:-0}")
read -r wk _ _ < <(med "${WALL[wrk]:-0}")
for a in "${AIO[@]}"; do
  n=${a%%=*}
  [ -n "${WALL[$n]:-}" ] || continue
  read -r am _ _ < <(med "${WALL[$n]}")
  awk -v n="$n" -v a="$am" -v b="$best" -v bn="$bestn" -v f="$fl" -v w="$wk" \
    'BEGIN { printf "ratio %s: best peer (%s) / aio %.2f (above 1: aio faster)   aio / wrk %.2f   aio / floor %.2f\n", n, bn, (a > 0 ? b / a : 0), (w > 0 ? a / w : 0), (f > 0 ? a / f : 0) }'
done
