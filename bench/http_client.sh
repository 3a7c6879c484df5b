#!/usr/bin/env bash
# R6 and R12 (shared/bench/WORKLOADS.md): aio's HTTP client beside wrk (the
# ceiling) and Python aiohttp (the seed's way), in one command each.
#   bench/http_client.sh [build-dir] [r6] [r12]
# R6: GET /1k from nginx (1 worker, generated config in /tmp, pinned to core 1),
#     64 keep-alive connections, REQUESTS (200000) requests, clients on core 0.
#     Prints requests/s, client CPU µs per request (user+sys), peak RSS, ratios.
# R12: the seed's run() with N=1000 URLs, Semaphore(K=10), a 3 s timeout per
#     request, against a local server answering after 10 ms; wall vs ideal N/K×10 ms.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
shift || true
workloads=${*:-r6 r12}
py=/usr/bin/python3
exe=$build/bench/bench_http_client
[ -x "$exe" ] || { echo "build first ($exe missing)"; exit 2; }
requests=${REQUESTS:-200000}
py_requests=${PY_REQUESTS:-20000}
conns=64
work=$(mktemp -d /tmp/aio-bench-http.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

. "$here/lib.sh"  # free_port
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }
field() { sed -n "s/.*\b$1=\([-0-9.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

if [[ " $workloads " == *" r6 "* ]]; then
    port=$(free_port)
    mkdir -p "$work/www" "$work/tmp"
    head -c 1024 /dev/zero | tr '\0' 'x' > "$work/www/1k"
    cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
    taskset -c 1 /usr/sbin/nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
    wait_port "$port"
    url=http://127.0.0.1:$port/1k
    # wrk: 10 s; CPU from /usr/bin/time.
    wrk_out=$( { /usr/bin/time -f "TIME %U %S" taskset -c 0 wrk -t1 -c$conns -d10s "$url"; } 2>&1 )
    wrk_n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$wrk_out")
    wrk_rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$wrk_out")
    wrk_cpu=$(awk -v n="$wrk_n" '/^TIME/ { printf "%.2f", ($2 + $3) / n * 1e6 }' <<<"$wrk_out")
    wrk_rss=$( { /usr/bin/time -f "RSS %M" taskset -c 0 wrk -t1 -c$conns -d1s "$url" >/dev/null; } 2>&1 | sed -n 's/^RSS //p')
    aio_out=$(taskset -c 0 "$exe" r6 "$url" $conns "$requests")
    py_out=$(taskset -c 0 $py "$here/peers/aiohttp_client.py" r6 "$url" $conns "$py_requests")
    aio_rps=$(field rps "$aio_out"); py_rps=$(field rps "$py_out")
    aio_cpu=$(field cpu_us_per_req "$aio_out"); py_cpu=$(field cpu_us_per_req "$py_out")
    printf "R6 GET /1k from nginx, %d connections (aio %d requests, aiohttp %d, wrk 10 s)\n" $conns "$requests" "$py_requests"
    printf "  %-14s %12s %16s %14s\n" client "req/s" "cpu µs/req" "peak RSS KiB"
    printf "  %-14s %12s %16s %14s\n" wrk "$wrk_rps" "$wrk_cpu" "$wrk_rss"
    printf "  %-14s %12s %16s %14s\n" aio "$aio_rps" "$aio_cpu" "$(field peak_rss_kib "$aio_out")"
    printf "  %-14s %12s %16s %14s\n" aiohttp "$py_rps" "$py_cpu" "$(field peak_rss_kib "$py_out")"
    printf "  aio/wrk req/s = %s (goal >= 0.80)   aio/aiohttp req/s = %s (goal >= 10)   aiohttp/aio cpu per request = %s\n" \
        "$(ratio "$aio_rps" "$wrk_rps")" "$(ratio "$aio_rps" "$py_rps")" "$(ratio "$py_cpu" "$aio_cpu")"
    [ "$(field errors "$aio_out")" = 0 ] || echo "  aio errors: $aio_out"
fi

if [[ " $workloads " == *" r12 "* ]]; then
    n=1000 k=10 timeout_ms=3000
    port=$(free_port)
    taskset -c 1 $py "$here/peers/delay_server.py" "$port" & pids+=($!)
    wait_port "$port"
    base=http://127.0.0.1:$port
    ideal=$(awk -v n=$n -v k=$k 'BEGIN { printf "%.3f", n / k * 0.010 }')
    aio_out=$(taskset -c 0 "$exe" r12 "$base" $n $k $timeout_ms | tail -1)
    py_out=$(taskset -c 0 $py "$here/peers/aiohttp_client.py" r12 "$base" $n $k $timeout_ms | tail -1)
    aio_wall=$(field wall_s "$aio_out"); py_wall=$(field wall_s "$py_out")
    printf "R12 seed run(): N=%d, Semaphore(%d), 10 ms server, ideal %s s\n" $n $k "$ideal"
    printf "  %-10s %10s %8s %18s\n" client "wall s" "ok" "wall/ideal"
    printf "  %-10s %10s %8s %18s\n" aio "$aio_wall" "$(field ok "$aio_out")" "$(ratio "$aio_wall" "$ideal") (goal <= 1.10)"
    printf "  %-10s %10s %8s %18s\n" aiohttp "$py_wall" "$(field ok "$py_out")" "$(ratio "$py_wall" "$ideal")"
fi
