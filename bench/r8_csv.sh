#!/usr/bin/env bash
# R8 (shared/bench/WORKLOADS.md): parse the 100 MB CSV of make_csv.py into
# typed columns. One command, side by side: aio on one core and on two,
# pandas.read_csv (C engine), Python's csv module (splitting only, no types),
# and a plain memchr scan of the file (the ceiling). Each figure is the median
# of REPEAT runs, each run its own process; peak RSS from /usr/bin/time.
#   bench/r8_csv.sh [build-dir]        (default build/release)
#   CACHE=dir REPEAT=n ROWS=n bench/r8_csv.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
repeat=${REPEAT:-3}
rows=${ROWS:-1000000}
py=/usr/bin/python3
exe=$build/bench/bench_csv
[ -x "$exe" ] || exe=$build/bench_csv
[ -x "$exe" ] || { echo "build first: cmake --build --preset release (bench_csv missing in $build)"; exit 2; }
. "$here/lib.sh"
r8_csv "$rows"

# One run: prints "MBps RSS_MiB [table_MB]".
run_aio() {  # threads
    local out rss
    out=$( { /usr/bin/time -f "rss_kb=%M" taskset -c "$2" "$exe" "$csv" --threads "$1" --repeat 1; } 2>&1)
    rss=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' <<<"$out")
    awk -v l="$(grep '^aio' <<<"$out")" -v r="$rss" 'BEGIN{
        match(l, /MB\/s=[0-9.]+/); m=substr(l, RSTART+5, RLENGTH-5);
        match(l, /table_MB=[0-9.]+/); t=substr(l, RSTART+9, RLENGTH-9);
        printf "%s %.1f %s\n", m, r/1024, t }'
}
run_memchr() {
    local out rss
    out=$( { /usr/bin/time -f "rss_kb=%M" taskset -c 0 "$exe" "$csv" --memchr --repeat 1; } 2>&1)
    rss=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' <<<"$out")
    awk -v l="$(grep '^memchr' <<<"$out")" -v r="$rss" 'BEGIN{
        match(l, /MB\/s=[0-9.]+/); printf "%s %.1f\n", substr(l, RSTART+5, RLENGTH-5), r/1024 }'
}
run_py() {  # pandas | csv
    local out rss
    out=$( { /usr/bin/time -f "rss_kb=%M" taskset -c 0 "$py" - "$csv" "$1" <<'PY'
import sys, time, os
path, kind = sys.argv[1], sys.argv[2]
size = os.path.getsize(path) / 1e6
t0 = time.perf_counter()
if kind == "pandas":
    import pandas as pd
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    n = len(df)
else:
    import csv
    with open(path, newline="", encoding="utf-8") as f:
        n = sum(1 for _ in csv.reader(f)) - 1
dt = time.perf_counter() - t0
print("MB/s=%.1f rows=%d" % (size / dt, n))
PY
    } 2>&1)
    rss=$(sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p' <<<"$out")
    awk -v l="$(grep '^MB/s' <<<"$out")" -v r="$rss" 'BEGIN{
        match(l, /MB\/s=[0-9.]+/); printf "%s %.1f\n", substr(l, RSTART+5, RLENGTH-5), r/1024 }'
}
median_of() {  # command... -> the run with the median MB/s
    local lines=() i
    for ((i = 0; i < repeat; i++)); do lines+=("$("$@")"); done
    printf "%s\n" "${lines[@]}" | sort -g -k1,1 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

echo "R8 csv-parse: $csv ($mb MB, $rows rows), median of $repeat runs"
read -r a1 r1 tbl <<<"$(median_of run_aio 1 0)"
read -r a2 r2 _ <<<"$(median_of run_aio 2 0,1)"
read -r pd_ pdr <<<"$(median_of run_py pandas)"
read -r cs csr <<<"$(median_of run_py csv)"
read -r mc mcr <<<"$(median_of run_memchr)"
printf "%-34s %10s %12s %14s\n" "reader" "MB/s" "peak RSS MiB" "aio1/peer"
printf "%-34s %10s %12s %14s\n" "aio read_csv, 1 thread (core 0)" "$a1" "$r1" "-"
printf "%-34s %10s %12s %14s\n" "aio read_csv, 2 threads" "$a2" "$r2" "$(awk -v a="$a1" -v b="$a2" 'BEGIN{printf "%.2fx", a/b}')"
printf "%-34s %10s %12s %14s\n" "pandas.read_csv (C engine)" "$pd_" "$pdr" "$(awk -v a="$a1" -v b="$pd_" 'BEGIN{printf "%.2fx", a/b}')"
printf "%-34s %10s %12s %14s\n" "python csv.reader (no types)" "$cs" "$csr" "$(awk -v a="$a1" -v b="$cs" 'BEGIN{printf "%.2fx", a/b}')"
printf "%-34s %10s %12s %14s\n" "memchr scan (ceiling)" "$mc" "$mcr" "$(awk -v a="$a1" -v b="$mc" 'BEGIN{printf "%.2fx", a/b}')"
awk -v r="$r1" -v t="$tbl" 'BEGIN{printf "aio table: %.1f MB of columns; peak RSS / table = %.2f (goal <= 1.5)\n", t, r*1048576/1e6/t}'
awk -v a="$a1" -v p="$pd_" 'BEGIN{printf "goals: >= 600 MB/s on one core (%s), >= 5x pandas (%.2fx)\n", a, a/p}'
# What the table's fresh pages cost here: the first touch of that much new
# memory, in a process of its own (on a virtual machine the first touch of
# guest memory the host has not backed yet costs many times a later one, and
# no parser avoids it: it is part of every figure above).
fresh=$(taskset -c 0 "$exe" --fresh "$tbl" --repeat "$repeat")
awk -v t="$tbl" -v a="$a1" -v m="$mb" -v f="$(sed -n 's/^fresh.*run=0 seconds=\([0-9.]*\).*/\1/p' <<<"$fresh")" \
    -v md="$(sed -n 's/^median seconds=//p' <<<"$fresh")" 'BEGIN{
    printf "fresh memory for the %.1f MB table (first touch, own process): first run %.4f s, median %.4f s = %.0f%% of the 1-thread parse\n",
           t, f, md, 100 * md / (m / a) }'
