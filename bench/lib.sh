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
