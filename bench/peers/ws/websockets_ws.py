#!/usr/bin/python3
"""R13 ws-echo peer on Python's `websockets` (10.4); permessage-deflate and
keep-alive pings off. See r13_common.py.

    websockets_ws.py server --port N
    websockets_ws.py client --url ws://127.0.0.1:N/ --conns 64 --secs 10 --size 1024
"""
import asyncio

import websockets

import r13_common

OPTIONS = dict(compression=None, max_size=None, ping_interval=None)


async def echo(ws, _path=None):
    try:
        async for msg in ws:
            await ws.send(msg)
    except websockets.ConnectionClosed:
        pass


async def serve(args):
    async with websockets.serve(echo, "127.0.0.1", args.port, **OPTIONS) as server:
        r13_common.listening(server.sockets[0].getsockname()[1])
        await asyncio.Future()


class Conn:
    def __init__(self, ws):
        self.ws = ws

    async def roundtrip(self, msg):
        await self.ws.send(msg)
        return await self.ws.recv()

    async def close(self):
        await self.ws.close()


async def client(args):
    async def connect():
        return Conn(await websockets.connect(args.url, **OPTIONS))
    await r13_common.load(connect, args)


if __name__ == "__main__":
    r13_common.main(serve, client)
