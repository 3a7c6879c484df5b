# The seed's section 3 as written (aiohttp), with its three URLs pointing at
# a local server: the base URL comes from argv[1] or AIO_SEED_BASE_URL.
import asyncio
import os
import sys

import aiohttp


async def fetch(
    session: aiohttp.client.ClientSession,
    url: str, semaphore: int
):
    async with semaphore:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=3)) as response:  # 处理请求超时
                response.raise_for_status()  # 检查响应状态码
                return await response.text()

        except aiohttp.ClientError as e:
            print(f"Client error: {e}")

        except Exception as e:
            print(f"Error fetching {url}: {e}")
            return None


async def run(base):
    urls = [
        base + "/www.example.com",
        base + "/www.python.org",
        base + "/www.github.com",
    ]

    semaphore = asyncio.Semaphore(2)  # 限制并发请求数量为 2
    async with aiohttp.ClientSession() as session:
        tasks = [fetch(session, url, semaphore) for url in urls]
        results = await asyncio.gather(*tasks)
        for result in results:
            if result:
                print(result[:20])

base = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AIO_SEED_BASE_URL", "")
if not base:
    sys.exit("usage: seed_3_aiohttp_run.py BASE_URL (or set AIO_SEED_BASE_URL)")
asyncio.run(run(base))
