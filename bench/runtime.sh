#!/usr/bin/env bash
# R1–R5 (shared/bench/WORKLOADS.md): aio beside Python asyncio (and uvloop),
# run in this one command, each workload in its own processes, the median of
# REPEAT runs, printed with the ratio asyncio/aio (how many times faster aio is).
#   bench/runtime.sh [build-dir] [r1 r2 ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
shift || true
workloads=${*:-r1 r2 r3 r4 r5}
repeat=${REPEAT:-3}
py=/usr/bin/python3
exe=$build/bench/bench_runtime
[ -x "$exe" ] || { echo "build first: cmake --build --preset release ($exe missing)"; exit 2; }

# field KEY LINE -> value
field() { sed -n "s/.*\b$1=\([-0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_many() {  # command... -> prints the line of the median run (by first figure)
    local lines=() i
    for ((i = 0; i < repeat; i++)); do lines+=("$(taskset -c 0 "$@")"); done
    local key; key=$(sed -n 's/^R[0-9]* \([a-z_0-9]*\)=.*/\1/p' <<<"${lines[0]}")
    local med; med=$(for l in "${lines[@]}"; do field "$key" "$l"; done | median)
    for l in "${lines[@]}"; do [ "$(field "$key" "$l")" = "$med" ] && { echo "$l"; return; }; done
}

printf "%-4s %-26s %14s %14s %14s %10s\n" id figure aio asyncio uvloop "asyncio/aio"
for w in $workloads; do
    a=$(run_many "$exe" "$w")
    p=$(run_many "$py" "$here/peers/asyncio_runtime.py" "$w")
    u=$(run_many "$py" "$here/peers/asyncio_runtime.py" "$w" --uvloop)
    key=$(sed -n 's/^R[0-9]* \([a-z_0-9]*\)=.*/\1/p' <<<"$a")
    av=$(field "$key" "$a"); pv=$(field "$key" "$p"); uv=$(field "$key" "$u")
    if [ "$key" = calls_per_second ]; then ratio=$(awk -v a="$av" -v p="$pv" 'BEGIN{printf "%.1fx", a/p}')
    else ratio=$(awk -v a="$av" -v p="$pv" 'BEGIN{ if (a > 0) printf "%.1fx", p/a; else print "-" }'); fi
    printf "%-4s %-26s %14s %14s %14s %10s\n" "${w^^}" "$key" "$av" "$pv" "$uv" "$ratio"
    if [ "$w" = r1 ]; then  # the steady state beside the cold first round
        av=$(field warm_ns_per_task "$a"); pv=$(field warm_ns_per_task "$p"); uv=$(field warm_ns_per_task "$u")
        ratio=$(awk -v a="$av" -v p="$pv" 'BEGIN{ if (a > 0) printf "%.1fx", p/a; else print "-" }')
        printf "%-4s %-26s %14s %14s %14s %10s\n" "" warm_ns_per_task "$av" "$pv" "$uv" "$ratio"
    fi
    echo "     aio:     $a"
    echo "     asyncio: $p"
done
