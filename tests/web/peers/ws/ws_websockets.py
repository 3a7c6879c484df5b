#!/usr/bin/python3
"""WebSocket interop peer on Python's `websockets` (10.4, python3-websockets):
server or client of the contract in README.md.

    ws_websockets.py server --port 0 [--tls CERT KEY] [--protocols a,b] [--no-compress]
    ws_websockets.py client URL [--ca CAFILE] [--protocols a,b] [--no-compress] --script FILE|-
"""

import asyncio
import sys

import websockets
from websockets.exceptions import ConnectionClosed

import ws_peer_common as common


def _kind(msg):
    return ("text", msg.encode()) if isinstance(msg, str) else ("bin", bytes(msg))


def _options(args):
    return dict(
        compression=None if args.no_compress else "deflate",
        max_size=common.MAX_SIZE,
        ping_interval=None,
    )


# ---- server ----------------------------------------------------------------

async def _await_pong(ws, waiter, payload):
    try:
        await waiter
        await ws.send("pong " + payload)
    except ConnectionClosed:
        pass


async def handler(ws, _path=None):
    pongs = set()
    try:
        async for msg in ws:
            command = common.parse_command(msg) if isinstance(msg, str) else None
            if command is None:
                await ws.send(msg)
                continue
            name, args = command
            if name == "close":
                await ws.close(args[0], args[1])
            elif name == "frag":
                text = "x" * args[1]
                await ws.send(iter(common.split(text, args[0])))
            elif name == "ping":
                waiter = await ws.ping(args[0])
                task = asyncio.create_task(_await_pong(ws, waiter, args[0]))
                pongs.add(task)
                task.add_done_callback(pongs.discard)
            elif name == "protocol":
                await ws.send(ws.subprotocol or "-")
            elif name == "compress":
                await ws.send("on" if ws.extensions else "off")
            elif name == "abort":
                ws.transport.abort()
    except ConnectionClosed:
        pass
    await ws.wait_closed()
    common.say(f"CLOSED {ws.close_code}")


async def serve(args):
    async with websockets.serve(
        handler, args.host, args.port, ssl=common.server_ssl(args),
        subprotocols=args.protocols or None,
        select_subprotocol=lambda offered, supported: common.choose_protocol(offered, supported),
        **_options(args),
    ) as server:
        common.say(f"PORT {server.sockets[0].getsockname()[1]}")
        await asyncio.Future()


# ---- client ----------------------------------------------------------------

class Conn(common.Conn):
    def __init__(self, ws):
        self.ws = ws

    async def send(self, kind, data):
        await self.ws.send(data.decode() if kind == "text" else data)

    async def send_frames(self, kind, chunks):
        # websockets sends each item of an iterable as one frame of a message;
        # text pieces must be str, so a text message is cut on character boundaries
        # (the patterns are ASCII).
        await self.ws.send(iter([c.decode() if kind == "text" else c for c in chunks]))

    async def recv(self):
        try:
            return _kind(await self.ws.recv())
        except ConnectionClosed:
            await self.ws.wait_closed()
            raise common.Closed(self.ws.close_code, self.ws.close_reason) from None

    async def ping(self, payload):
        waiter = await self.ws.ping(payload)
        await waiter

    async def close(self, code, reason):
        await self.ws.close(code, reason)
        await self.ws.wait_closed()
        return self.ws.close_code

    def protocol(self):
        return self.ws.subprotocol or ""

    def compressed(self):
        return bool(self.ws.extensions)

    def is_open(self):
        return self.ws.open


async def client(args):
    async def connect():
        ws = await websockets.connect(
            args.url, ssl=common.client_ssl(args), subprotocols=args.protocols or None,
            open_timeout=args.timeout, **_options(args))
        return Conn(ws)
    return await common.run_client(connect, args)


if __name__ == "__main__":
    sys.exit(common.main(serve, client))
