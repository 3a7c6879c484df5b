#!/usr/bin/env bash
# R6 and R12 (shared/bench/WORKLOADS.md): aio's HTTP client beside wrk (the
# ceiling) and Python aiohttp (the seed's way), in one command each.
#   bench/http_client.sh [build-dir] [r6] [r12]
# R6: GET /1k from nginx (1 worker, generated config in /tmp, pinned to core 1),
#     64 keep-alive connections, REQUESTS (200000) requests, clients on core 0.
#     Prints requests/s, client CPU µs per request (user+sys), peak RSS, ratios.
# R12: the seed's run() with N=1000 URLs, Semaphore(K), a 3 s timeout per
#     request, against a local server answering after 10 ms; wall vs ideal N/K×10 ms.
#     For K in $R12_K (default "10 100"): aio's Semaphore version, the same with
#     aio::map_bounded, and aiohttp, each run REPS times (default 3, interleaved);
#     the median wall of each and the ratio map_bounded/Semaphore (goal <= 1.00).
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
    n=1000 timeout_ms=3000 reps=${REPS:-3}
    port=$(free_port)
    taskset -c 1 $py "$here/peers/delay_server.py" "$port" & pids+=($!)
    wait_port "$port"
    base=http://127.0.0.1:$port
    median() { tr ' ' '\n' <<<"$*" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
    for k in ${R12_K:-10 100}; do
        ideal=$(awk -v n=$n -v k=$k 'BEGIN { printf "%.3f", n / k * 0.010 }')
        sem_walls="" bnd_walls="" py_walls="" sem_ok="" bnd_ok="" py_ok="" sem_rss="" bnd_rss=""
        for _ in $(seq "$reps"); do
            sem_out=$(taskset -c 0 "$exe" r12 "$base" $n $k $timeout_ms | tail -1)
            bnd_out=$(taskset -c 0 "$exe" r12-bounded "$base" $n $k $timeout_ms | tail -1)
            py_out=$(taskset -c 0 $py "$here/peers/aiohttp_client.py" r12 "$base" $n $k $timeout_ms | tail -1)
            sem_walls+=" $(field wall_s "$sem_out")"; bnd_walls+=" $(field wall_s "$bnd_out")"; py_walls+=" $(field wall_s "$py_out")"
            sem_ok=$(field ok "$sem_out"); bnd_ok=$(field ok "$bnd_out"); py_ok=$(field ok "$py_out")
            sem_rss=$(field peak_rss_kib "$sem_out"); bnd_rss=$(field peak_rss_kib "$bnd_out")
        done
        sem_wall=$(median $sem_walls); bnd_wall=$(median $bnd_walls); py_wall=$(median $py_walls)
        printf "R12 seed run(): N=%d, K=%d, 10 ms server, ideal %s s, median of %d runs\n" $n $k "$ideal" "$reps"
        printf "  %-22s %10s %8s %14s %24s   %s\n" client "wall s" "ok" "peak RSS KiB" "wall/ideal" "walls"
        printf "  %-22s %10s %8s %14s %24s  %s\n" "aio Semaphore(K)" "$sem_wall" "$sem_ok" "$sem_rss" "$(ratio "$sem_wall" "$ideal") (goal <= 1.10)" "$sem_walls"
        printf "  %-22s %10s %8s %14s %24s  %s\n" "aio map_bounded(K)" "$bnd_wall" "$bnd_ok" "$bnd_rss" "$(ratio "$bnd_wall" "$ideal") (goal <= 1.10)" "$bnd_walls"
        printf "  %-22s %10s %8s %14s %24s  %s\n" "aiohttp Semaphore(K)" "$py_wall" "$py_ok" "" "$(ratio "$py_wall" "$ideal")" "$py_walls"
        printf "  map_bounded/Semaphore wall = %s (goal <= 1.00)\n" "$(ratio "$bnd_wall" "$sem_wall")"
    done
fi
