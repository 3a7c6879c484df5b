#!/usr/bin/env bash
# R11 (shared/bench/WORKLOADS.md) beside its peers in ONE run: aio's copy of
# the 1 GiB file in place (bench_files r11-copy: aiofiles' loop of 1 MiB
# read()/write(), on io_uring and on the thread pool; readinto() into one
# buffer; shutil.copyfileobj of the open files; shutil.copyfile), then the
# peer harness's R11 (Python aiofiles, tokio fs, Go read/write 1 MiB, Asio,
# dd/cp), all on the same file with the
# harness's rules (REPS runs, median; one untimed warm-up run each; the copy
# overwrites the destination in place). Ends with aio's ratios to
# dd bs=1M conv=notrunc and to Go.
#   bench/r11_peers.sh [build-dir]        (PEERS=/work/peers by default; REPS=3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
exe=$build/bench/bench_files
PEERS_DIR=${PEERS:-/work/peers}
[ -x "$exe" ] || { echo "build first: cmake --build --preset release --target bench_files ($exe missing)"; exit 2; }
[ -x "$PEERS_DIR/run.sh" ] || { echo "no peer harness at $PEERS_DIR (set PEERS)"; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# The harness's helpers (bench, prepare_files, DATA, SCRATCH); it makes the file.
source "$PEERS_DIR/lib/common.sh"
prepare_files
s="$DATA/r11.bin" d="$SCRATCH/r11.copy"
rm -f "$d"
WARMUP=1
{
    AIO_IO_BACKEND=uring bench R11 aio-io_uring-read/write "$exe" r11-copy "$s" "$d" read
    AIO_IO_BACKEND=threads bench R11 aio-threads-read/write "$exe" r11-copy "$s" "$d" read
    AIO_IO_BACKEND=uring bench R11 aio-io_uring-readinto "$exe" r11-copy "$s" "$d" readinto
    AIO_IO_BACKEND=uring bench R11 aio-shutil.copyfileobj "$exe" r11-copy "$s" "$d" copyfileobj
    AIO_IO_BACKEND=uring bench R11 aio-shutil.copyfile "$exe" r11-copy "$s" "$d" copyfile
} | tee "$out"
WARMUP=0
rm -f "$d"
"$PEERS_DIR/run.sh" R11 | tee -a "$out"

med() { awk -v p="$1" '$2 == p { for (i = 3; i <= NF; i++) if ($i ~ /^median=/) { sub(/^median=/, "", $i); print $i } }' "$out" | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b + 0 > 0) printf "%.2fx", a / b; else print "-" }'; }
dd=$(med ref-dd-bs1M-in-place) go=$(med go-read/write-1MiB)
echo
echo "R11 ratios (GiB/s medians of this run): dd bs=1M conv=notrunc = ${dd:-?}, Go read/write 1 MiB = ${go:-?}"
printf "  %-26s %8s %10s %10s\n" "" "GiB/s" "vs dd" "vs Go"
for p in aio-io_uring-read/write aio-threads-read/write aio-io_uring-readinto aio-shutil.copyfileobj aio-shutil.copyfile; do
    v=$(med "$p")
    printf "  %-26s %8s %10s %10s\n" "$p" "${v:--}" "$(ratio "$v" "$dd")" "$(ratio "$v" "$go")"
done
echo "  goal: aio >= 0.95x dd in place, and ahead of Go (copyfileobj copies in two lanes, each chunk read and written"
echo "        by one pool thread; copyfile is copy_file_range in place; the read/write loop overlaps through"
echo "        File::read's read-ahead; readinto does not read ahead)"
