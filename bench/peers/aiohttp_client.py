# The Python peers of R6 and R12 (shared/bench/WORKLOADS.md), written the
# seed's way with aiohttp.
#   aiohttp_client.py r6 URL CONNECTIONS REQUESTS
#   aiohttp_client.py r12 BASE_URL N K TIMEOUT_MS
import asyncio
import resource
import sys
import time

import aiohttp


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def r6(url, connections, requests):
    left = [requests]

    async def worker(session):
        while left[0] > 0:
            left[0] -= 1
            async with session.get(url) as resp:
                await resp.read()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:
        c0, t0 = cpu(), time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        wall, used = time.perf_counter() - t0, cpu() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"R6 rps={requests / wall:.0f} cpu_us_per_req={used / requests * 1e6:.2f} peak_rss_kib={rss}")


async def fetch(session, url, semaphore, timeout):
    async with semaphore:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                response.raise_for_status()
                return await response.text()
        except aiohttp.ClientError as e:
            print(f"Client error: {e}")
        except Exception as e:
            print(f"Error fetching {url}: {e}")
            return None


async def r12(base, n, k, timeout_ms):
    t0 = time.perf_counter()
    semaphore = asyncio.Semaphore(k)
    async with aiohttp.ClientSession() as session:
        tasks = [fetch(session, f"{base}/item/{i}", semaphore, timeout_ms / 1000) for i in range(n)]
        results = await asyncio.gather(*tasks)
    ok = sum(1 for r in results if r is not None)
    print(f"R12 wall_s={time.perf_counter() - t0:.3f} ok={ok}")


if sys.argv[1] == "r6":
    asyncio.run(r6(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
else:
    asyncio.run(r12(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
