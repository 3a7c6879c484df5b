# A raw asyncio server that misbehaves on purpose: each request path picks a
# broken answer. Usage: faulty_server.py PORT
import asyncio
import sys

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
