"""A Python asyncio client: 1000 lines through an echo server, then prints 'ok N'."""
import asyncio
import sys


async def main(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    n = 0
    for i in range(1000):
        line = f"message {i}\n".encode()
        writer.write(line)
        await writer.drain()
        if await reader.readline() == line:
            n += 1
    writer.close()
    await writer.wait_closed()
    print(f"ok {n}")


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
