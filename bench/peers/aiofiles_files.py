#!/usr/bin/python3
"""R10 and R11 (shared/bench/WORKLOADS.md) with aiofiles, the seed's way.

    aiofiles_files.py r10 DIR   read DIR/r10/00000..09999, 64 at a time
    aiofiles_files.py r11 DIR   read DIR/big in 1 MiB chunks, then copy it to DIR/copy

Prints the same "<id> key=value" lines as bench_files (medians of 5 rounds).
The data is made by bench_files first (bench/files.sh runs it before this).
"""
import asyncio
import os
import statistics
import sys
import time

import aiofiles

ROUNDS = 5
CHUNK = 1 << 20


async def r10(d):
    names = [os.path.join(d, "r10", "%05d" % i) for i in range(10_000)]

    async def worker(first):
        total = 0
        for i in range(first, len(names), 64):
            async with aiofiles.open(names[i], "rb") as f:
                total += len(await f.read())
        return total

    rates = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        sizes = await asyncio.gather(*(worker(w) for w in range(64)))
        s = time.perf_counter() - t0
        assert sum(sizes) == 10_000 * 4096
        rates.append(10_000 / s)
    print("R10 files_per_second=%.0f" % statistics.median(rates))


async def r11(d):
    big, copy = os.path.join(d, "big"), os.path.join(d, "copy")
    read_rates, copy_rates = [], []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        async with aiofiles.open(big, "rb") as f:
            while await f.read(CHUNK):
                pass
        read_rates.append(1 / (time.perf_counter() - t0))
        t1 = time.perf_counter()
        async with aiofiles.open(big, "rb") as src, aiofiles.open(copy, "wb") as dst:
            while True:
                chunk = await src.read(CHUNK)
                if not chunk:
                    break
                await dst.write(chunk)
        copy_rates.append(1 / (time.perf_counter() - t1))
        os.unlink(copy)
    print("R11 read_gib_per_s=%.2f copy_gib_per_s=%.2f" % (statistics.median(read_rates), statistics.median(copy_rates)))


if __name__ == "__main__":
    asyncio.run({"r10": r10, "r11": r11}[sys.argv[1]](sys.argv[2]))
