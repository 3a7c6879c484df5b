"""What the Python WebSocket peers (ws_websockets.py, ws_aiohttp.py) share:
the command line, the payload patterns, the server's commands and the client's
script runner. The contract is README.md beside this file; ws_node.js
implements the same one in JavaScript.

A peer supplies a server (start_server) and a client connection object with
the methods of Conn below; run_client() drives the connection through a script.
"""

import argparse
import asyncio
import re
import ssl
import sys

MAX_SIZE = 64 * 1024 * 1024
_PERIOD = 4093


def _block():
    text, binary = bytearray(_PERIOD), bytearray(_PERIOD)
    x = 1
    for i in range(_PERIOD):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        text[i] = 0x21 + (x >> 24) % 94
        binary[i] = x >> 24
    return bytes(text), bytes(binary)


_TEXT_BLOCK, _BIN_BLOCK = _block()


def pattern(kind, n):
    """The n bytes of a "text" (printable ASCII) or "bin" message of the contract."""
    block = _TEXT_BLOCK if kind == "text" else _BIN_BLOCK
    return (block * (n // _PERIOD + 1))[:n]


def split(data, n):
    """`data` cut into n pieces as equal as can be (the first ones longer)."""
    q, r = divmod(len(data), n)
    out, at = [], 0
    for i in range(n):
        size = q + (1 if i < r else 0)
        out.append(data[at:at + size])
        at += size
    return out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="WebSocket interop peer (see README.md)")
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    s.add_argument("--protocols", default="")
    s.add_argument("--no-compress", action="store_true")
    c = sub.add_parser("client")
    c.add_argument("url")
    c.add_argument("--ca")
    c.add_argument("--protocols", default="")
    c.add_argument("--no-compress", action="store_true")
    c.add_argument("--script", required=True)
    c.add_argument("--timeout", type=float, default=30.0)
    a = p.parse_args(argv)
    a.protocols = [x for x in a.protocols.split(",") if x]
    return a


def server_ssl(args):
    if not args.tls:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls[0], args.tls[1])
    return ctx


def client_ssl(args):
    if not args.url.startswith("wss:"):
        return None
    return ssl.create_default_context(cafile=args.ca)


def choose_protocol(offered, supported):
    """The contract's choice: the first subprotocol the client offers that the server speaks."""
    for p in offered:
        if p in supported:
            return p
    return None


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# ---- the server's commands -------------------------------------------------

_COMMAND = re.compile(r"(close) (\d+)(?: (.*))?|(frag) (\d+) (\d+)|(ping)(?: (.*))?|(protocol)|(compress)|(abort)",
                      re.S)


def parse_command(text):
    """(name, args) when a TEXT message is one of the server's commands, else None."""
    m = _COMMAND.fullmatch(text)
    if not m:
        return None
    g = m.groups()
    if g[0]:
        return "close", (int(g[1]), g[2] or "")
    if g[3]:
        return "frag", (int(g[4]), int(g[5]))
    if g[6]:
        return "ping", (g[7] or "",)
    return next(x for x in g[8:] if x), ()


# ---- the client's script ---------------------------------------------------

class Closed(Exception):
    """The connection closed while a message was awaited."""

    def __init__(self, code, reason=""):
        super().__init__(f"closed with {code} {reason!r}")
        self.code, self.reason = code, reason


class StepFailed(Exception):
    pass


class Conn:
    """What a peer's client connection provides to run_client (all async but the queries)."""

    async def send(self, kind, data): ...          # kind "text" / "bin"; data bytes
    async def send_frames(self, kind, chunks): ...  # one message in len(chunks) frames
    async def recv(self): ...                       # (kind, bytes); raises Closed
    async def ping(self, payload): ...              # returns once the matching PONG is in
    async def close(self, code, reason): ...        # returns the code the server answered
    def protocol(self): ...                         # "" when none
    def compressed(self): ...
    def is_open(self): ...


def _show(data, kind):
    name = "TEXT" if kind == "text" else "BINARY"
    if len(data) <= 40:
        return f"TEXT {data.decode('utf-8', 'replace')!r}" if kind == "text" else f"BINARY {data.hex()}"
    return f"{name} {len(data)} bytes"


def _message(words, rest):
    """The message a send/echo step sends: (kind, data, frames)."""
    what = words[0] if words else ""
    if what == "text" and len(words) == 2:
        return "text", pattern("text", int(words[1])), 1
    if what == "bin" and len(words) == 2:
        return "bin", pattern("bin", int(words[1])), 1
    if what == "str":
        return "text", rest.encode(), 1
    if what == "hex" and len(words) <= 2:
        return "bin", bytes.fromhex(words[1] if len(words) == 2 else ""), 1
    if what in ("frag", "fragbin") and len(words) == 3 and int(words[1]) >= 1:
        kind = "text" if what == "frag" else "bin"
        return kind, pattern(kind, int(words[2])), int(words[1])
    raise StepFailed(f"bad message spec {' '.join(words)!r}")


async def _step(conn, line, sent):
    verb, _, rest = line.partition(" ")
    words = rest.split()
    if verb in ("send", "echo"):
        kind, data, frames = _message(words, rest.partition(" ")[2])
        if frames == 1:
            await conn.send(kind, data)
        else:
            await conn.send_frames(kind, split(data, frames))
        sent.append((kind, data))
        if verb == "send":
            return f"sent {_show(data, kind)}" + (f" in {frames} frames" if frames > 1 else "")
        line, words = "expect echo", ["echo"]
    if verb == "cmd":
        await conn.send("text", rest.encode())
        return "sent"
    if verb == "expect" or line == "expect echo":
        what = words[0] if words else ""
        if what == "echo":
            if not sent:
                raise StepFailed("nothing sent to be echoed")
            kind, data = sent.pop(0)
            got_kind, got = await conn.recv()
            if (got_kind, got) != (kind, data):
                raise StepFailed(f"expected the echo {_show(data, kind)}, got {_show(got, got_kind)}"
                                 + _first_difference(data, got))
            return f"echoed {_show(got, got_kind)}"
        if what == "text":
            want = rest.partition(" ")[2].encode()
            got_kind, got = await conn.recv()
            if (got_kind, got) != ("text", want):
                raise StepFailed(f"expected {_show(want, 'text')}, got {_show(got, got_kind)}")
            return f"got {_show(got, got_kind)}"
        if what == "xs" and len(words) == 2:
            want = b"x" * int(words[1])
            got_kind, got = await conn.recv()
            if (got_kind, got) != ("text", want):
                raise StepFailed(f"expected TEXT of {len(want)} 'x', got {_show(got, got_kind)}")
            return f"got TEXT of {len(got)} 'x'"
        if what == "close":
            try:
                got_kind, got = await conn.recv()
            except Closed as c:
                if len(words) >= 2 and c.code != int(words[1]):
                    raise StepFailed(f"closed with {c.code}, expected {words[1]}")
                if len(words) >= 3:
                    want = rest.split(" ", 2)[2]
                    if c.reason != want:
                        raise StepFailed(f"close reason {c.reason!r}, expected {want!r}")
                return f"closed {c.code} {c.reason!r}"
            raise StepFailed(f"expected the close, got {_show(got, got_kind)}")
        if what == "protocol" and len(words) == 2:
            got = conn.protocol() or "-"
            if got != words[1]:
                raise StepFailed(f"subprotocol {got}, expected {words[1]}")
            return got
        if what == "compress" and len(words) == 2:
            got = "on" if conn.compressed() else "off"
            if got != words[1]:
                raise StepFailed(f"compression {got}, expected {words[1]}")
            return got
    if verb == "ping":
        await conn.ping(rest.encode())
        return "pong"
    if verb == "close" and 1 <= len(words):
        code = await conn.close(int(words[0]), rest.partition(" ")[2])
        return f"server answered {code}"
    if verb == "sleep" and len(words) == 1:
        await asyncio.sleep(int(words[0]) / 1000)
        return "slept"
    raise StepFailed("unknown step")


def _first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f" (first difference at byte {i})"
    return f" (lengths {len(a)} and {len(b)})" if len(a) != len(b) else ""


def read_script(path):
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    steps = []
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if line.strip() and not line.lstrip().startswith("#"):
            steps.append(line)
    return steps


async def run_client(connect, args):
    """Connects with `connect()` (a coroutine returning a Conn), runs the script,
    prints the contract's lines and returns the exit status."""
    steps = read_script(args.script)
    try:
        conn = await asyncio.wait_for(connect(), args.timeout)
    except Exception as e:  # noqa: BLE001 - any failure to connect is the result
        say(f"FAIL connect: {type(e).__name__}: {e}")
        return 1
    say(f"CONNECTED protocol={conn.protocol() or '-'} compress={'on' if conn.compressed() else 'off'}")
    sent = []
    for i, line in enumerate(steps, 1):
        try:
            result = await asyncio.wait_for(_step(conn, line, sent), args.timeout)
        except asyncio.TimeoutError:
            say(f"FAIL step {i} ({line}): no result in {args.timeout:g} s")
            return 1
        except (StepFailed, Closed, ValueError) as e:
            say(f"FAIL step {i} ({line}): {e}")
            return 1
        except Exception as e:  # noqa: BLE001
            say(f"FAIL step {i} ({line}): {type(e).__name__}: {e}")
            return 1
        say(f"step {i} ok: {line if len(line) <= 60 else line[:57] + '...'} -> {result}")
    if conn.is_open():
        try:
            await asyncio.wait_for(conn.close(1000, ""), args.timeout)
        except Exception as e:  # noqa: BLE001
            say(f"FAIL final close: {type(e).__name__}: {e}")
            return 1
    say("OK")
    return 0


def main(serve, client):
    """Runs `serve(args)` (until killed) or `client(args)` (returns the exit status)."""
    args = parse_args()
    if args.mode == "server":
        try:
            asyncio.run(serve(args))
        except KeyboardInterrupt:
            pass
        return 0
    return asyncio.run(client(args))
