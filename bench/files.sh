#!/usr/bin/env bash
# R10 and R11 (shared/bench/WORKLOADS.md) in one command: aio on io_uring and
# on the thread pool, beside Python aiofiles (the seed's way) and, for R11,
# cp and dd on the same file. Medians of 5 rounds each (warm page cache: the
# data is read once before timing). Data lives under $BENCH_DIR (/tmp).
#   bench/files.sh [build-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
data=${BENCH_DIR:-/tmp/aio-bench-files}
py=/usr/bin/python3
exe=$build/bench/bench_files
[ -x "$exe" ] || { echo "build first: cmake --build --preset release ($exe missing)"; exit 2; }
"$py" -c 'import aiofiles' 2>/dev/null || { echo "needs python3-aiofiles for $py"; exit 2; }

field() { sed -n "s/.*\b$1=\([-0-9.]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# GiB/s of a shell command over the 1 GiB file, median of 5 runs.
gibps() {
    local i t0 t1
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N); bash -c "$1" >/dev/null; t1=$(date +%s%N)
        awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f\n", 1e9 / ns }'
    done | median
}

# Make the data (bench_files does it on first use) and warm the cache.
AIO_IO_BACKEND=threads "$exe" r10 "$data" >/dev/null
AIO_IO_BACKEND=threads "$exe" r11 "$data" >/dev/null
cat "$data/big" >/dev/null

echo "R10: read 10,000 files of 4 KiB, 64 at a time (files per second)"
u=$(AIO_IO_BACKEND=uring "$exe" r10 "$data")
t=$(AIO_IO_BACKEND=threads "$exe" r10 "$data")
p=$("$py" "$here/peers/aiofiles_files.py" r10 "$data")
uv=$(field files_per_second "$u"); tv=$(field files_per_second "$t"); pv=$(field files_per_second "$p")
printf "  %-22s %12s %12s\n" "" "files/s" "vs aiofiles"
printf "  %-22s %12s %12s\n" "aio io_uring" "$uv" "$(ratio "$uv" "$pv")"
printf "  %-22s %12s %12s\n" "aio thread pool" "$tv" "$(ratio "$tv" "$pv")"
printf "  %-22s %12s %12s\n" "aiofiles" "$pv" "1.00x"
echo "  goal: aio >= 10x aiofiles"

echo
echo "R11: one 1 GiB file, warm cache (GiB/s)"
u=$(AIO_IO_BACKEND=uring "$exe" r11 "$data")
t=$(AIO_IO_BACKEND=threads "$exe" r11 "$data")
p=$("$py" "$here/peers/aiofiles_files.py" r11 "$data")
cp_rate=$(gibps "cp '$data/big' '$data/cp-copy'; rm -f '$data/cp-copy'")
dd_read=$(gibps "dd if='$data/big' of=/dev/null bs=1M status=none")
dd_copy=$(gibps "dd if='$data/big' of='$data/dd-copy' bs=1M status=none; rm -f '$data/dd-copy'")
printf "  %-34s %8s %8s %10s\n" "" "read" "copy" "copy vs cp"
for row in "aio io_uring (read+write)|$(field read_gib_per_s "$u")|$(field copy_gib_per_s "$u")" \
           "aio io_uring (overlapped)|-|$(field overlapped_copy_gib_per_s "$u")" \
           "aio io_uring (shutil.copyfile)|-|$(field copyfile_gib_per_s "$u")" \
           "aio thread pool (read+write)|$(field read_gib_per_s "$t")|$(field copy_gib_per_s "$t")" \
           "aio thread pool (overlapped)|-|$(field overlapped_copy_gib_per_s "$t")" \
           "aio thread pool (shutil.copyfile)|-|$(field copyfile_gib_per_s "$t")" \
           "aiofiles (read+write)|$(field read_gib_per_s "$p")|$(field copy_gib_per_s "$p")" \
           "cp|-|$cp_rate" \
           "dd bs=1M|$dd_read|$dd_copy"; do
    IFS='|' read -r name r c <<<"$row"
    printf "  %-34s %8s %8s %10s\n" "$name" "$r" "$c" "$(ratio "$c" "$cp_rate")"
done
echo "  goals: warm sequential read >= 4 GiB/s; copy >= 0.9x cp"
