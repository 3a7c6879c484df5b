# R12's server: answers every request after 10 ms (a raw asyncio protocol on
# uvloop, so that the server is never the bottleneck). Usage: delay_server.py PORT
import asyncio
import sys

import uvloop

BODY = b"<!doctype html><html>item</html>\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


class Delayed(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        loop = asyncio.get_running_loop()
        while b"\r\n\r\n" in self.buf:
            _, self.buf = self.buf.split(b"\r\n\r\n", 1)
            loop.call_later(0.010, self.answer)

    def answer(self):
        if not self.transport.is_closing():
            self.transport.write(RESPONSE)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Delayed, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()


uvloop.install()
asyncio.run(main())
