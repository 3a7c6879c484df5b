"""aiohttp client peer for aio::web's form tests.

Usage: forms_client.py PORT MODE  (MODE: urlencoded | multipart)
Prints the status and the body the server answered.
"""
import asyncio
import sys

import aiohttp


async def main(port: int, mode: str) -> None:
    url = f"http://127.0.0.1:{port}/form"
    async with aiohttp.ClientSession() as session:
        if mode == "urlencoded":
            data = {"name": "Zoë", "empty": "", "q": "a b&c"}
        else:
            data = aiohttp.FormData()
            data.add_field("name", "Zoë")
            data.add_field("upload", b"x" * 300000 + b"\r\n--not-a-boundary\r\n" + bytes(range(256)),
                           filename="big.bin", content_type="application/octet-stream")
            data.add_field("note", "after the file")
        async with session.post(url, data=data) as resp:
            print(resp.status)
            print(await resp.text())


asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
