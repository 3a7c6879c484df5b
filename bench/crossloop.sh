#!/usr/bin/env bash
# Work handed between loops on different threads: aio (bench_crossloop,
# Google Benchmark, the median of 3 repetitions) beside tokio current_thread
# runtimes (bench/peers/crossloop/crossloop_tokio.rs, the median of 5 rounds),
# in this one command, with the ratio (how many times faster aio is).
#   bench/crossloop.sh [build-dir]
# The peer is built in a Cargo project with tokio and futures
# (PEER_PROJECT, default /work/peers/rust): the source is copied to its
# src/bin/ and built offline if the binary is missing or older.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
exe=$build/bench/bench_crossloop
[ -x "$exe" ] || { echo "build first: cmake --build --preset release --target bench_crossloop ($exe missing)"; exit 2; }
project=${PEER_PROJECT:-/work/peers/rust}
src=$here/peers/crossloop/crossloop_tokio.rs
peer=$project/target/release/crossloop_tokio
if [ -d "$project" ] && { [ ! -x "$peer" ] || [ "$src" -nt "$peer" ]; }; then
    cp "$src" "$project/src/bin/crossloop_tokio.rs"
    (cd "$project" && cargo build --release --offline --bin crossloop_tokio >/dev/null 2>&1) || echo "(tokio peer did not build)"
fi

csv=$("$exe" --benchmark_format=csv --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>/dev/null)
# col NAME COLUMN -> the value of COLUMN (3: real_time, 7: items_per_second) in the median row of NAME
col() { awk -F, -v n="\"$1_median\"" -v c="$2" '$1 == n { print $c }' <<<"$csv"; }
a_rt=$(col BM_WrapFutureRoundTrip/real_time 3)
a_brt=$(col BM_BlockingResultRoundTrip/real_time 3)
a_q1=$(col BM_QueueLoopToLoop/1/real_time 7)
a_q3=$(col BM_QueueLoopToLoop/3/real_time 7)
a_qt=$(col BM_QueueThreadToLoop/real_time 7)

p_out=""
[ -x "$peer" ] && p_out=$("$peer")
field() { sed -n "s/^$1=\([0-9.]*\)$/\1/p" <<<"$p_out"; }
p_rt=$(field roundtrip_ns); p_brt=$(field blocking_roundtrip_ns)
p_q1=$(field queue_loops_1_items_per_s); p_q3=$(field queue_loops_3_items_per_s); p_qt=$(field queue_thread_items_per_s)

# ratio KIND AIO PEER: for times PEER/AIO, for rates AIO/PEER (above 1: aio is faster)
ratio() { awk -v k="$1" -v a="$2" -v p="$3" 'BEGIN { if (a == "" || p == "" || a == 0 || p == 0) { print "-"; exit }
    printf "%.2fx", (k == "time") ? p / a : a / p }'; }
num() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.0f", v }'; }
printf "%-44s %14s %14s %8s\n" row aio tokio "aio-x"
printf "%-44s %14s %14s %8s\n" "round trip A->B->A, task awaits (ns)" "$(num "$a_rt")" "$(num "$p_rt")" "$(ratio time "$a_rt" "$p_rt")"
printf "%-44s %14s %14s %8s\n" "round trip, plain thread blocks (ns)" "$(num "$a_brt")" "$(num "$p_brt")" "$(ratio time "$a_brt" "$p_brt")"
printf "%-44s %14s %14s %8s\n" "queue 1 producer loop -> 1 loop (items/s)" "$(num "$a_q1")" "$(num "$p_q1")" "$(ratio rate "$a_q1" "$p_q1")"
printf "%-44s %14s %14s %8s\n" "queue 3 producer loops -> 1 loop (items/s)" "$(num "$a_q3")" "$(num "$p_q3")" "$(ratio rate "$a_q3" "$p_q3")"
printf "%-44s %14s %14s %8s\n" "queue plain thread -> 1 loop (items/s)" "$(num "$a_qt")" "$(num "$p_qt")" "$(ratio rate "$a_qt" "$p_qt")"
