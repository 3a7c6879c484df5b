#!/usr/bin/env bash
# R6 http-client against the peers, in one command: aio's ClientSession and
# the peer harness's clients (hyper, reqwest, Beast; wrk as the ceiling) each
# make REQUESTS (200000) GETs of /1k from one nginx worker over 64 keep-alive
# connections, client on core 0, nginx on core 1. The clients take turns
# within each of REPS rounds (aio, hyper, reqwest, beast, wrk, aio, ...), so a
# neighbour's load on the machine spreads over all of them. Prints per client
# the median/min/max req/s and the median client CPU time per request
# (user+sys from /usr/bin/time; wrk runs 10 s and is divided by its count),
# then the ratios of each aio row to the best of hyper/reqwest/Beast, to wrk,
# and its CPU per request against hyper's.
#
# Two aio rows by default: "aio" sends aiohttp's automatic headers (Accept,
# Accept-Encoding, User-Agent), "aio-bare" skips them (skip_auto_headers) and
# so sends the bytes hyper's and Beast's clients send (Host only); nginx's
# cost per request, which caps every client here, grows with the headers.
#
#   bench/r6_peers.sh [NAME=BINARY ...]   (default: aio and aio-bare = build/release/bench/bench_http_client;
#                                          a NAME ending in -bare runs the bare mode)
#   env: REPS (3), REQUESTS (200000), PEERS_DIR (/work/peers)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-3}
REQUESTS=${REQUESTS:-200000}
PEERS_DIR=${PEERS_DIR:-/work/peers}
PB=$PEERS_DIR/build
TMP=$(mktemp -d /tmp/aio-r6p.XXXXXX)
chmod 755 "$TMP"  # nginx's worker (user nobody) reads the files under it
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -QUIT "$p" 2>/dev/null || true; done; sleep 0.2; rm -rf "$TMP"; }
trap cleanup EXIT
. "$HERE/lib.sh"  # free_port, start_nginx_1k

AIO=()
if [ $# -eq 0 ]; then
  AIO=("aio=$HERE/../build/release/bench/bench_http_client" "aio-bare=$HERE/../build/release/bench/bench_http_client")
else
  AIO=("$@")
fi
PORT=$(free_port)
start_nginx_1k "$TMP/nginx" "$PORT" 1
URL=http://127.0.0.1:$PORT/1k
for _ in $(seq 100); do curl -s -o /dev/null "$URL" && break; sleep 0.1; done

NAMES=() CMDS=()
for a in "${AIO[@]}"; do
  mode=r6; [[ ${a%%=*} == *-bare ]] && mode=r6-bare
  NAMES+=("${a%%=*}"); CMDS+=("${a#*=} $mode $URL 64 $REQUESTS")
done
NAMES+=(hyper reqwest beast wrk)
CMDS+=("$PB/rust/release/r6_hyper $URL $REQUESTS" "$PB/rust/release/r6_reqwest $URL $REQUESTS"
       "$PB/asio/r6_client $PORT $REQUESTS" "wrk -t1 -c64 -d10s $URL")

declare -A RPS CPU
for ((rep = 1; rep <= REPS; rep++)); do
  for i in "${!NAMES[@]}"; do
    n=${NAMES[$i]}
    # shellcheck disable=SC2086
    if ! out=$({ /usr/bin/time -f "TIME %U %S" taskset -c 0 ${CMDS[$i]}; } 2>&1); then
      echo "$n failed: $(grep -v "^ *[0-9]*:\|^ *at " <<<"$out" | head -3 | tr "\n" " ")" >&2; continue
    fi
    if [ "$n" = wrk ]; then
      r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out"); cnt=$(awk '/ requests in / {print $1}' <<<"$out")
    elif grep -q '^RESULT ' <<<"$out"; then
      r=$(awk '/^RESULT / {print $2}' <<<"$out"); cnt=$REQUESTS
    else
      r=$(sed -n 's/.*\brps=\([0-9.]*\).*/\1/p' <<<"$out" | tail -1); cnt=$REQUESTS
    fi
    c=$(awk -v n="$cnt" '/^TIME/ {printf "%.2f", ($2 + $3) / n * 1e6}' <<<"$out")
    RPS[$n]+="$r "; CPU[$n]+="$c "
    printf 'round %d  %-10s %10.0f req/s  client cpu %s us/req\n' "$rep" "$n" "$r" "$c" >&2
  done
done

med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
printf '%-10s %10s %10s %10s %12s   (%d rounds, %d requests)\n' client median min max "cpu us/req" "$REPS" "$REQUESTS"
best=0 bestn=""
for n in "${NAMES[@]}"; do
  [ -n "${RPS[$n]:-}" ] || continue
  read -r m lo hi < <(med "${RPS[$n]}"); read -r cm _ _ < <(med "${CPU[$n]}")
  printf '%-10s %10.0f %10.0f %10.0f %12.2f   spread %s%%\n' "$n" "$m" "$lo" "$hi" "$cm" \
    "$(awk -v lo="$lo" -v hi="$hi" -v m="$m" 'BEGIN {printf "%.0f", (hi - lo) / m * 100}')"
  case $n in hyper|reqwest|beast) if awk -v a="$m" -v b="$best" 'BEGIN {exit !(a > b)}'; then best=$m; bestn=$n; fi ;; esac
done
for a in "${AIO[@]}"; do
  n=${a%%=*}
  [ -n "${RPS[$n]:-}" ] || continue
  read -r am _ _ < <(med "${RPS[$n]}"); read -r ac _ _ < <(med "${CPU[$n]}")
  read -r wm _ _ < <(med "${RPS[wrk]:-0}"); read -r hc _ _ < <(med "${CPU[hyper]:-0}")
  awk -v n="$n" -v a="$am" -v b="$best" -v bn="$bestn" -v w="$wm" -v ac="$ac" -v hc="$hc" \
    'BEGIN { printf "ratio %s: /best peer (%s) %.2f   /wrk %.2f   cpu per request /hyper %.2f\n", n, bn, (b > 0 ? a / b : 0), (w > 0 ? a / w : 0), (hc > 0 ? ac / hc : 0) }'
done
