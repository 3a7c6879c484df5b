#!/usr/bin/python3
"""R13 ws-echo peer on aiohttp (web.WebSocketResponse, ClientSession.ws_connect),
written the plain aiohttp way; permessage-deflate off. See r13_common.py.

    aiohttp_ws.py server --port N
    aiohttp_ws.py client --url ws://127.0.0.1:N/ --conns 64 --secs 10 --size 1024
"""
import asyncio

import aiohttp
from aiohttp import WSMsgType, web

import r13_common


async def echo(request):
    ws = web.WebSocketResponse(compress=False, max_msg_size=0)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def serve(args):
    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    r13_common.listening(runner.addresses[0][1])
    await asyncio.Future()


class Conn:
    def __init__(self, ws):
        self.ws = ws

    async def roundtrip(self, msg):
        await self.ws.send_str(msg)
        return await self.ws.receive_str()

    async def close(self):
        await self.ws.close()


async def client(args):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def connect():
            return Conn(await session.ws_connect(args.url, compress=0, max_msg_size=0))
        await r13_common.load(connect, args)


if __name__ == "__main__":
    r13_common.main(serve, client)
