#!/usr/bin/env bash
# R6 over HTTP/2 against the peers, in one command: REQUESTS (200000) GETs of
# /1k from one nginx worker with 100 streams in flight on one HTTP/2
# connection, client on core 0, nginx on core 1, REPS rounds with the
# clients taking turns. Two settings, each with the peers that speak it:
#   h2c  cleartext, prior knowledge: aio, hyper (http2_only), Go (x/net http2)
#   tls  h2 by ALPN over TLS:        aio, Go, curl's multi interface
# (Debian 12's curl 7.88 fails to reuse a prior-knowledge connection, so it
# runs over TLS only; hyper 0.14 has no TLS of its own.) Prints per client
# the median/min/max req/s and client CPU per request (user+sys), then the
# ratio of aio to each peer of the same setting.
#
#   bench/r6h2_peers.sh [NAME=BINARY ...]   (default: aio=build/release/bench/bench_http_client)
#   env: REPS (3), REQUESTS (200000), PEERS_DIR (/work/peers)
# The peers' sources are in bench/peers/r6h2/ (how to build them is at their top).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-3}
REQUESTS=${REQUESTS:-200000}
PEERS_DIR=${PEERS_DIR:-/work/peers}
PB=$PEERS_DIR/build
TMP=$(mktemp -d /tmp/aio-r6h2.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -QUIT "$p" 2>/dev/null || true; done; sleep 0.2; rm -rf "$TMP"; }
trap cleanup EXIT
. "$HERE/lib.sh"  # free_port, start_nginx_1k

AIO=()
if [ $# -eq 0 ]; then AIO=("aio=$HERE/../build/release/bench/bench_http_client"); else AIO=("$@"); fi

declare -A RPS CPU
# run_setting SETTING URL NAME=COMMAND...: REPS rounds of each client against URL.
run_setting() {
  local setting=$1 url=$2; shift 2
  local rep entry n cmd out r c
  for ((rep = 1; rep <= REPS; rep++)); do
    for entry in "$@"; do
      n=${entry%%=*}; cmd=${entry#*=}
      # shellcheck disable=SC2086
      if ! out=$({ /usr/bin/time -f "TIME %U %S" taskset -c 0 $cmd; } 2>&1); then
        echo "$setting $n failed: $(head -3 <<<"$out" | tr "\n" " ")" >&2; continue
      fi
      if grep -q '^RESULT ' <<<"$out"; then r=$(awk '/^RESULT / {print $2}' <<<"$out")
      else r=$(sed -n 's/.*\brps=\([0-9.]*\).*/\1/p' <<<"$out" | tail -1); fi
      if grep -q 'errors=[1-9]' <<<"$out"; then echo "$setting $n: requests failed: $out" >&2; continue; fi
      c=$(awk -v n="$REQUESTS" '/^TIME/ {printf "%.2f", ($2 + $3) / n * 1e6}' <<<"$out")
      RPS[$setting/$n]+="$r "; CPU[$setting/$n]+="$c "
      printf 'round %d  %-4s %-8s %10.0f req/s  client cpu %s us/req\n' "$rep" "$setting" "$n" "$r" "$c" >&2
    done
  done
}

have() { [ -x "$1" ] || { echo "no $1 (see bench/peers/r6h2/): skipped" >&2; return 1; }; }

PORT=$(free_port)
PIDS=(); H2=1 start_nginx_1k "$TMP/h2c" "$PORT" 1
URL=http://127.0.0.1:$PORT/1k
for _ in $(seq 100); do curl -s --http2-prior-knowledge -o /dev/null "$URL" && break; sleep 0.1; done
clients=()
for a in "${AIO[@]}"; do clients+=("${a%%=*}=${a#*=} r6h2 $URL 100 $REQUESTS"); done
have "$PB/rust/release/r6h2_hyper" && clients+=("hyper=$PB/rust/release/r6h2_hyper $URL $REQUESTS")
have "$PB/go/r6h2_client" && clients+=("go=$PB/go/r6h2_client $URL $REQUESTS")
run_setting h2c "$URL" "${clients[@]}"
kill -QUIT "${PIDS[0]}" 2>/dev/null || true

PORT=$(free_port)
PIDS=(); H2=tls start_nginx_1k "$TMP/tls" "$PORT" 1
URL=https://127.0.0.1:$PORT/1k
for _ in $(seq 100); do curl -sk --http2 -o /dev/null "$URL" && break; sleep 0.1; done
clients=()
for a in "${AIO[@]}"; do clients+=("${a%%=*}=${a#*=} r6h2 $URL 100 $REQUESTS"); done
have "$PB/go/r6h2_client" && clients+=("go=$PB/go/r6h2_client $URL $REQUESTS")
have "$PB/c/r6h2_curl" && clients+=("curl=$PB/c/r6h2_curl $URL $REQUESTS")
run_setting tls "$URL" "${clients[@]}"

med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'; }
printf '%-13s %10s %10s %10s %12s   (R6 over h2: %d rounds, %d requests, 100 streams on one connection)\n' client median min max "cpu us/req" "$REPS" "$REQUESTS"
for key in $(printf '%s\n' "${!RPS[@]}" | sort); do
  read -r m lo hi < <(med "${RPS[$key]}"); read -r cm _ _ < <(med "${CPU[$key]}")
  printf '%-13s %10.0f %10.0f %10.0f %12.2f\n' "$key" "$m" "$lo" "$hi" "$cm"
done
for setting in h2c tls; do
  for a in "${AIO[@]}"; do
    n=${a%%=*}
    [ -n "${RPS[$setting/$n]:-}" ] || continue
    read -r am _ _ < <(med "${RPS[$setting/$n]}")
    for peer in hyper go curl; do
      [ -n "${RPS[$setting/$peer]:-}" ] || continue
      read -r pm _ _ < <(med "${RPS[$setting/$peer]}")
      awk -v s="$setting" -v n="$n" -v p="$peer" -v a="$am" -v b="$pm" 'BEGIN { printf "ratio %s %s/%s: req/s %.2f\n", s, n, p, a / b }'
    done
  done
done
