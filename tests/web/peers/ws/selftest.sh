#!/usr/bin/env bash
# Checks the WebSocket peers against each other before aio is tested against
# them: every peer's client runs the scripts below against every peer's server
# (plain, without compression on either side, and over TLS), and the server's
# CLOSED line must carry the close code the script ended with. Prints one line
# per pair and script, then a summary; exit status 1 if any failed.
#
#   tests/web/peers/ws/selftest.sh [PEER ...]     (default: websockets aiohttp node)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
PEERS=("$@")
[ ${#PEERS[@]} -gt 0 ] || PEERS=(websockets aiohttp node)
TMP=$(mktemp -d /tmp/aio-wspeers.XXXXXX)
SPIDS=()
cleanup() { for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

peer() {
  case $1 in
    websockets) echo "/usr/bin/python3 $HERE/ws_websockets.py" ;;
    aiohttp) echo "/usr/bin/python3 $HERE/ws_aiohttp.py" ;;
    node) echo "node $HERE/ws_node.js" ;;
    *) echo "unknown peer $1" >&2; exit 2 ;;
  esac
}

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null || { echo "openssl failed" >&2; exit 2; }

# start_server NAME LOG ARGS...: starts a server; sets SPID and SPORT.
start_server() {
  local name=$1 log=$2; shift 2
  : >"$log"
  # shellcheck disable=SC2046
  $(peer "$name") server --port 0 "$@" >"$log" 2>&1 &
  SPID=$!; SPIDS+=("$SPID")
  for _ in $(seq 100); do
    grep -q '^PORT ' "$log" && { SPORT=$(awk '/^PORT / {print $2; exit}' "$log"); return 0; }
    sleep 0.1
  done
  echo "server $name did not start: $(cat "$log")" >&2
  return 1
}

# --- the scripts ------------------------------------------------------------
cat >"$TMP/main" <<'EOF'
# the server offers chat,other; the client offers x,chat
expect protocol chat
expect compress on
cmd protocol
expect text chat
cmd compress
expect text on
echo text 0
echo text 1
echo text 125
echo text 126
echo text 65535
echo text 65536
echo bin 0
echo bin 70000
echo str héllo wörld ✓ 😀
echo hex 00ff10
echo frag 5 1000
echo fragbin 3 10
echo frag 2 0
send text 10
send bin 20
send str pipelined
expect echo
expect echo
expect echo
cmd frag 4 1001
expect xs 1001
cmd frag 1 5
expect xs 5
cmd ping abc
expect text pong abc
ping hello
ping
echo text 16777216
echo bin 16777216
cmd close 4001 bye now
expect close 4001 bye now
EOF
cat >"$TMP/client-close" <<'EOF'
echo text 10
close 4002 client bye
EOF
cat >"$TMP/abort" <<'EOF'
echo text 10
cmd abort
expect close 1006
EOF
cat >"$TMP/no-compress" <<'EOF'
expect compress off
expect protocol -
cmd compress
expect text off
cmd protocol
expect text -
echo text 100000
close 1000
EOF
cat >"$TMP/tls" <<'EOF'
expect compress on
echo text 100
echo bin 70000
echo frag 3 5000
cmd close 1001
expect close 1001
EOF

# SCRIPT | SERVER-ARGS | CLIENT-ARGS | SCHEME | the server's CLOSED code [| text the client's output must have]
CASES=(
  "main|--protocols chat,other|--protocols x,chat|ws|4001"
  "client-close|--protocols chat,other||ws|4002|server answered 4002"
  "abort|--protocols chat,other||ws|1006"
  "no-compress|--protocols chat,other|--no-compress|ws|1000"
  "no-compress|--no-compress||ws|1000"
  "tls|TLS||wss|1001"
)

pass=0 fail=0
for s in "${PEERS[@]}"; do
  for c in "${PEERS[@]}"; do
    for entry in "${CASES[@]}"; do
      IFS='|' read -r script sargs cargs scheme code must <<<"$entry"
      log=$TMP/server.log
      if [ "$sargs" = TLS ]; then
        start_server "$s" "$log" --tls "$TMP/cert.pem" "$TMP/key.pem" || { fail=$((fail + 1)); continue; }
        cargs="--ca $TMP/cert.pem"
      else
        # shellcheck disable=SC2086
        start_server "$s" "$log" $sargs || { fail=$((fail + 1)); continue; }
      fi
      spid=$SPID port=$SPORT
      host=127.0.0.1; [ "$scheme" = wss ] && host=localhost
      # shellcheck disable=SC2046,SC2086
      out=$(timeout 120 $(peer "$c") client "$scheme://$host:$port/path" $cargs --script "$TMP/$script" 2>&1)
      status=$?
      closed=""
      for _ in $(seq 30); do closed=$(awk '/^CLOSED / {print $2}' "$log"); [ -n "$closed" ] && break; sleep 0.1; done
      kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
      what="server $s ${sargs:-}, client $c ${cargs:-}: $script"
      if [ $status -eq 0 ] && [ "$(tail -1 <<<"$out")" = OK ] && [ "$closed" = "$code" ] &&
         { [ -z "$must" ] || grep -qF "$must" <<<"$out"; }; then
        pass=$((pass + 1)); printf 'ok    %s\n' "$what"
      else
        fail=$((fail + 1)); printf 'FAIL  %s (exit %d, server CLOSED %s, expected %s)\n' "$what" "$status" "${closed:--}" "$code"
        sed 's/^/        client: /' <<<"$out" | tail -5
        sed 's/^/        server: /' "$log" | tail -5
      fi
    done
  done
done
echo "selftest: $pass passed, $fail failed"
[ $fail -eq 0 ]
