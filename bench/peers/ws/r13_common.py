"""What the Python R13 ws-echo peers (aiohttp_ws.py, websockets_ws.py) share:
the command line, the message, and the load client's measurement (the same as
beast_ws.cpp's and node_ws.js's): every connection is opened first, then each
sends one message, awaits its echo and sends again until `secs` have passed;
RESULT is the echoes received in the window over its length, and the 99th
percentile of all their round trips.

    PEER server --port N                 (prints "PORT <n>" once listening)
    PEER client --url ws://127.0.0.1:N/ --conns 64 --secs 10 --size 1024
"""
import argparse
import asyncio
import math
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["server", "client"])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--url")
    p.add_argument("--conns", type=int, default=64)
    p.add_argument("--secs", type=float, default=10)
    p.add_argument("--size", type=int, default=1024)
    a = p.parse_args()
    if a.mode == "client" and not a.url:
        p.error("client needs --url")
    return a


def message(size):
    """`size` printable bytes varied by an LCG (as beast_ws.cpp's), as str."""
    out, x = bytearray(size), 1
    for i in range(size):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = 0x21 + (x >> 24) % 94
    return out.decode()


def listening(port):
    print(f"PORT {port}", flush=True)


async def load(connect, args):
    """connect() -> an object with `async roundtrip(msg) -> str` and `async close()`."""
    msg = message(args.size)
    conns = await asyncio.gather(*(connect() for _ in range(args.conns)))
    rtts, bad = [], [0]
    deadline = time.perf_counter() + args.secs

    async def one(conn):
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            echo = await conn.roundtrip(msg)
            t1 = time.perf_counter()
            if echo != msg:
                bad[0] += 1
            if t1 < deadline:
                rtts.append(t1 - t0)
        await conn.close()

    await asyncio.gather(*(one(c) for c in conns))
    if bad[0]:
        sys.exit(f"{bad[0]} echoes differed from the message sent")
    if not rtts:
        sys.exit("no round trip finished")
    rtts.sort()
    p99 = rtts[math.ceil(0.99 * len(rtts)) - 1]
    print(f"RESULT msgs_per_s={len(rtts) / args.secs:.0f} p99_us={p99 * 1e6:.0f}", flush=True)


def main(serve, client):
    args = parse_args()
    try:
        asyncio.run(serve(args) if args.mode == "server" else client(args))
    except KeyboardInterrupt:
        pass
