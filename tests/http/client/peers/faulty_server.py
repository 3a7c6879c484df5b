# A raw asyncio server that misbehaves on purpose: each request path picks a
# broken answer. Usage: faulty_server.py PORT
import asyncio
import gzip
import socket
import struct
import sys
import zlib

import brotli

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

ANSWERS = {
    "/bad-status": b"HTTP/1.1 20x OK\r\nContent-Length: 0\r\n\r\n",
    "/bad-header": b"HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n",
    "/lying-length": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
    "/truncated-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nshort",
    "/bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "/close-mid-body": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"a" * 500,
    "/no-response": b"",
    "/both-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "/bad-gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\nnot gzip!!",
    "/huge-header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"h" * 20000 + b"\r\nContent-Length: 0\r\n\r\n",
}

# Decompression bombs: 64 MiB of zeros in some 300 kilobytes (br: 12 kB),
# eight times max_body_size in the tests; quick to make (level 1), on first use.
BOMB_SIZE = 64 * 1024 * 1024
_bombs = {}


def bomb(coding):
    if coding not in _bombs:
        zeros = b"\0" * BOMB_SIZE
        _bombs[coding] = {"gzip": lambda: gzip.compress(zeros, 1),
                          "deflate": lambda: zlib.compress(zeros, 1),
                          "br": lambda: brotli.compress(zeros, quality=1)}[coding]()
    return _bombs[coding]


def coded(coding, data, extra=b""):
    return (b"HTTP/1.1 200 OK\r\nContent-Encoding: " + coding.encode() + b"\r\nContent-Length: " +
            str(len(data)).encode() + b"\r\n" + extra + b"\r\n" + data)


async def send_then_reset(writer, length, part):
    """A head promising `length` bytes, `part` of them, then a reset (RST)."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % length + part)
    await writer.drain()
    await asyncio.sleep(0.05)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            if path == "/ok":
                writer.write(OK)
                await writer.drain()
                continue
            if path == "/ok-then-close":
                # Keep-alive promised, but the connection is closed right after.
                writer.write(OK)
                await writer.drain()
                await asyncio.sleep(0.05)
                break
            if path == "/short-length":
                # Content-Length says 2, and more follows a moment later: a
                # whole forged response, which must not answer the next request.
                writer.write(OK)
                await writer.drain()
                await asyncio.sleep(0.05)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged")
                await writer.drain()
                continue
            if path == "/reset-after-megabytes":
                # Enough body that the client's reads hand over whole buffers, then a reset.
                await send_then_reset(writer, 10_000_000, b"m" * 3_000_000)
                return
            if path == "/reset-mid-body":
                await send_then_reset(writer, 100_000, b"r" * 1000)
                return
            if path == "/truncated-gzip":
                whole = gzip.compress(b"hello gzip " * 1000)
                writer.write(coded("gzip", whole[: len(whole) // 2]))
                await writer.drain()
                continue
            if path.startswith("/bomb/"):
                writer.write(coded(path[6:], bomb(path[6:])))
                await writer.drain()
                continue
            if path == "/half-close-before-head":
                # Our side shuts its writing half, keeps reading: no answer will come.
                writer.write_eof()
                await reader.read()
                break
            if path == "/half-close-body":
                # A body without length ends when the server shuts its side.
                writer.write(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
                writer.write_eof()
                await reader.read()
                break
            if path.startswith("/redirect-port/"):
                port = path.rsplit("/", 1)[1]
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" + port.encode() +
                             b"/elsewhere\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                continue
            if path == "/redirect-scheme":
                writer.write(b"HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                continue
            writer.write(ANSWERS[path])
            await writer.drain()
            break
    except (asyncio.IncompleteReadError, ConnectionError, KeyError):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
