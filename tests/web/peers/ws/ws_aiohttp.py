#!/usr/bin/python3
"""WebSocket interop peer on aiohttp (python3-aiohttp: web.WebSocketResponse and
ClientSession.ws_connect): server or client of the contract in README.md.

    ws_aiohttp.py server --port 0 [--tls CERT KEY] [--protocols a,b] [--no-compress]
    ws_aiohttp.py client URL [--ca CAFILE] [--protocols a,b] [--no-compress] --script FILE|-

aiohttp has no API for a fragmented message: the `frag` command and the
client's `send frag` write the frames themselves on aiohttp's transport
(uncompressed, as RFC 7692 allows under permessage-deflate).
"""

import asyncio
import os
import struct
import sys

import aiohttp
from aiohttp import WSMsgType, web

import ws_peer_common as common


def frame(opcode, payload, fin, masked):
    """One RFC 6455 frame (masked for a client's)."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    mbit = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    keys = (key * (n // 4 + 1))[:n]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(keys, "big")).to_bytes(n, "big") if n else b""
    return head + key + body


def write_frames(ws, kind, chunks, masked):
    """Writes one message as len(chunks) frames in one go (nothing can come between them)."""
    opcode = 0x1 if kind == "text" else 0x2
    out = []
    for i, chunk in enumerate(chunks):
        out.append(frame(opcode if i == 0 else 0x0, chunk, i == len(chunks) - 1, masked))
    ws._writer.transport.write(b"".join(out))  # aiohttp has no fragmented send


# ---- server ----------------------------------------------------------------

async def handler(request):
    opts = request.app["opts"]
    ws = web.WebSocketResponse(protocols=opts.protocols, compress=not opts.no_compress,
                               max_msg_size=common.MAX_SIZE, autoping=False, autoclose=False)
    await ws.prepare(request)
    code = None
    while True:
        msg = await ws.receive()
        if msg.type == WSMsgType.TEXT:
            command = common.parse_command(msg.data)
            if command is None:
                await ws.send_str(msg.data)
                continue
            name, args = command
            if name == "close":
                await ws.close(code=args[0], message=args[1].encode())
                code = ws.close_code
                break
            if name == "frag":
                write_frames(ws, "text", common.split(b"x" * args[1], args[0]), masked=False)
            elif name == "ping":
                await ws.ping(args[0].encode())
            elif name == "protocol":
                await ws.send_str(ws.ws_protocol or "-")
            elif name == "compress":
                await ws.send_str("on" if ws.compress else "off")
            elif name == "abort":
                request.transport.abort()
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
        elif msg.type == WSMsgType.PING:
            await ws.pong(msg.data)
        elif msg.type == WSMsgType.PONG:
            await ws.send_str("pong " + msg.data.decode())
        elif msg.type == WSMsgType.CLOSE:
            code = msg.data
            await ws.close(code=code)  # aiohttp's autoclose would answer 1000
            break
        else:  # CLOSED (the connection ended without a close frame) or ERROR
            code = 1006 if msg.type == WSMsgType.CLOSED else ws.close_code
            break
    common.say(f"CLOSED {code}")
    return ws


async def serve(args):
    app = web.Application()
    app["opts"] = args
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port, ssl_context=common.server_ssl(args))
    await site.start()
    common.say(f"PORT {runner.addresses[0][1]}")
    await asyncio.Future()


# ---- client ----------------------------------------------------------------

class Conn(common.Conn):
    def __init__(self, session, ws):
        self.session, self.ws = session, ws
        self.pending = []  # data messages read while waiting for a PONG
        self.pongs = []

    async def _next(self):
        """The next TEXT/BINARY/PONG or the end, answering PINGs (autoping is off)
        and a CLOSE with its own code (autoclose is off: it would answer 1000)."""
        while True:
            msg = await self.ws.receive()
            if msg.type == WSMsgType.PING:
                await self.ws.pong(msg.data)
                continue
            if msg.type == WSMsgType.CLOSE:
                await self.ws.close(code=msg.data)
            return msg

    async def send(self, kind, data):
        if kind == "text":
            await self.ws.send_str(data.decode())
        else:
            await self.ws.send_bytes(data)

    async def send_frames(self, kind, chunks):
        write_frames(self.ws, kind, chunks, masked=True)

    async def recv(self):
        if self.pending:
            return self.pending.pop(0)
        while True:
            msg = await self._next()
            if msg.type == WSMsgType.TEXT:
                return "text", msg.data.encode()
            if msg.type == WSMsgType.BINARY:
                return "bin", bytes(msg.data)
            if msg.type == WSMsgType.PONG:
                self.pongs.append(bytes(msg.data))
                continue
            if msg.type == WSMsgType.CLOSE:
                raise common.Closed(msg.data, msg.extra or "")
            raise common.Closed(1006 if msg.type == WSMsgType.CLOSED else self.ws.close_code,
                                str(self.ws.exception() or ""))

    async def ping(self, payload):
        await self.ws.ping(payload)
        while payload not in self.pongs:
            msg = await self._next()
            if msg.type == WSMsgType.PONG:
                self.pongs.append(bytes(msg.data))
            elif msg.type == WSMsgType.TEXT:
                self.pending.append(("text", msg.data.encode()))
            elif msg.type == WSMsgType.BINARY:
                self.pending.append(("bin", bytes(msg.data)))
            else:
                raise common.Closed(msg.data if msg.type == WSMsgType.CLOSE else 1006)
        self.pongs.remove(payload)

    async def close(self, code, reason):
        await self.ws.close(code=code, message=reason.encode())
        return self.ws.close_code

    def protocol(self):
        return self.ws.protocol or ""

    def compressed(self):
        return bool(self.ws.compress)

    def is_open(self):
        return not self.ws.closed


async def client(args):
    session = aiohttp.ClientSession()

    async def connect():
        ssl = common.client_ssl(args)
        ws = await session.ws_connect(
            args.url, protocols=args.protocols, compress=0 if args.no_compress else 15,
            max_msg_size=common.MAX_SIZE, autoping=False, autoclose=False, ssl=ssl if ssl else False)
        return Conn(session, ws)
    try:
        return await common.run_client(connect, args)
    finally:
        await session.close()


if __name__ == "__main__":
    sys.exit(common.main(serve, client))
