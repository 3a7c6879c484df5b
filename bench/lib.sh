# Shell helpers shared by the bench/*.sh drivers (sourced, not run).

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# r8_csv ROWS: makes the R8 file of ROWS rows with shared/bench/make_csv.py
# once, cached under $CACHE (default ~/.cache/aio-bench), and sets `csv` to
# its path and `mb` to its size in MB.
r8_csv() {
    local rows=$1 here gen cache
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    gen=$here/../../shared/bench/make_csv.py
    [ -f "$gen" ] || gen=/work/shared/bench/make_csv.py
    cache=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aio-bench}
    mkdir -p "$cache"
    csv=$cache/r8_$rows.csv
    if [ ! -s "$csv" ]; then
        echo "generating $csv ($rows rows) ..."
        /usr/bin/python3 "$gen" "$csv.tmp" "$rows" && mv "$csv.tmp" "$csv"
    fi
    mb=$(awk -v b="$(stat -c %s "$csv")" 'BEGIN{printf "%.1f", b/1e6}')
}

# start_nginx_1k DIR PORT [CORE] [WORKERS]: nginx with WORKERS workers
# (default 1; more get one reuseport listener each) serving DIR/html/1k (a
# 1,024-byte body) on 127.0.0.1:PORT, pinned to CORE (default 1; "" for no
# pinning), in the background; appends its pid to the caller's PIDS array.
# H2=1 in the environment: cleartext HTTP/2 with prior knowledge instead;
# H2=tls: HTTP/2 (and HTTP/1.1) over TLS, with a self-signed certificate.
start_nginx_1k() {
    local dir=$1 port=$2 core=${3-1} workers=${4:-1} reuse="" tls=""
    [ "$workers" -gt 1 ] && reuse=" reuseport"
    [ "${H2:-0}" = 1 ] && reuse+=" http2"
    if [ "${H2:-0}" = tls ]; then
        mkdir -p "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
            -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
        reuse+=" ssl http2"
        tls="ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;"
    fi
    mkdir -p "$dir/html"
    head -c 1024 /dev/zero | tr '\0' 'x' > "$dir/html/1k"
    cat > "$dir/nginx.conf" <<CONF
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  default_type text/plain;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  server { listen 127.0.0.1:$port$reuse; $tls root $dir/html; location / { } }
}
CONF
    if [ -n "$core" ]; then
        taskset -c "$core" /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" 2>/dev/null &
    else
        /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" 2>/dev/null &
    fi
    PIDS+=("$!")
}
