"""Python asyncio's side of workloads R1-R5 (shared/bench/WORKLOADS.md).

    python3 asyncio_runtime.py r1 [--uvloop]

Prints the same one-line format as bench_runtime.
"""
import asyncio
import random
import resource
import sys
import time


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


async def one(i):
    return i


async def r1_round(n):
    t0 = time.perf_counter()
    results = await asyncio.gather(*[one(i) for i in range(n)])
    return (time.perf_counter() - t0) * 1e9 / n, sum(results)


async def r1():
    # A first (cold) round and a second one on memory the interpreter already
    # holds, as aio's driver reports both.
    n = 1_000_000
    cold, check = await r1_round(n)
    warm, check = await r1_round(n)
    print(f"R1 ns_per_task={cold:.1f} warm_ns_per_task={warm:.1f} peak_rss_mb={peak_rss_mb():.1f} check={check}")


async def r2():
    n = 1_000_000
    ping, pong = asyncio.Queue(1), asyncio.Queue(1)

    async def a():
        for i in range(n):
            await ping.put(i)
            await pong.get()

    async def b():
        for _ in range(n):
            v = await ping.get()
            await pong.put(v + 1)

    t0 = time.perf_counter()
    await asyncio.gather(a(), b())
    s = time.perf_counter() - t0
    print(f"R2 ns_per_round_trip={s * 1e9 / n:.1f}")


async def sleeper(ms):
    await asyncio.sleep(ms / 1000)


async def r3():
    n = 100_000
    rng = random.Random(42)
    before = current_rss_bytes()
    t0 = time.perf_counter()
    allt = asyncio.ensure_future(asyncio.gather(*[sleeper(rng.randint(0, 1000)) for _ in range(n)]))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    during = current_rss_bytes()
    await allt
    s = time.perf_counter() - t0
    print(f"R3 wall_minus_1s_ms={(s - 1.0) * 1e3:.1f} bytes_per_sleeping_task={(during - before) / n:.0f} "
          f"peak_rss_mb={peak_rss_mb():.1f}")


async def r4():
    tasks_n, iters = 1000, 1000
    lock = asyncio.Lock()
    counter = 0

    async def worker():
        nonlocal counter
        for _ in range(iters):
            async with lock:
                counter += 1

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(tasks_n)])
    s = time.perf_counter() - t0
    print(f"R4 ns_per_acquire_release={s * 1e9 / (tasks_n * iters):.1f} counter={counter}")


def trivial(x):
    return x + 1


async def r5():
    n, in_flight = 100_000, 64
    done = 0

    async def worker(w):
        nonlocal done
        for i in range(w, n, in_flight):
            r = await asyncio.to_thread(trivial, i)
            done += r > 0

    t0 = time.perf_counter()
    await asyncio.gather(*[worker(w) for w in range(in_flight)])
    s = time.perf_counter() - t0
    print(f"R5 calls_per_second={n / s:.0f} done={done}")


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run({"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}[sys.argv[1]]())
