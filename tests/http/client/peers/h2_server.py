"""An HTTP/2 (h2c, prior knowledge) test server for aio's client, on python3-h2
and asyncio, with faults chosen by path.

    h2_server.py PORT [MODE]

MODE: normal (default); nowindow (SETTINGS_INITIAL_WINDOW_SIZE = 0, never a
WINDOW_UPDATE: request bodies cannot be sent); maxstreams2
(SETTINGS_MAX_CONCURRENT_STREAMS = 2); badack (a SETTINGS ACK with a
payload, a FRAME_SIZE_ERROR, in the same write as the server's SETTINGS);
hugeframes (SETTINGS_MAX_FRAME_SIZE = 2^24, one past the largest: a
PROTOCOL_ERROR); windowoverflow (no answer: each request's send window is
opened to 2^31-1 by WINDOW_UPDATE, then SETTINGS_INITIAL_WINDOW_SIZE grows
by one, a FLOW_CONTROL_ERROR; the client's frames are read, not answered).

Paths: /hello, /echo (the request body back), /trailers, /refuse-once
(REFUSED_STREAM the first time), /goaway (the third request of a connection
on /goaway makes GOAWAY with the lowest one's id; that one is answered, the
connection closed; later connections answer), /reset-mid-body (RST_STREAM
INTERNAL_ERROR after some data), /bigheaders (an HPACK bomb: a header list
over aio's limit), /badframe (a DATA frame on stream 0), /stall (no answer), /slow (an
answer after 0.3 s), /stats (connections and requests seen so far).
"""
import asyncio
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.errors
import h2.settings
import hyperframe.frame

MODE = sys.argv[2] if len(sys.argv) > 2 else "normal"
STATE = {"refused": False, "goaway": False, "connections": 0, "requests": 0}


class Conn:
    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        cfg = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.h2 = h2.connection.H2Connection(config=cfg)
        self.bodies = {}
        self.paths = {}
        self.goaway_streams = []
        self.window_waiters = {}
        self.closed = False
        self.raw_only = False  # frames written by hand: h2's view is stale, the client is only read

    def flush(self):
        data = self.h2.data_to_send()
        if data and not self.closed:
            self.writer.write(data)

    async def run(self):
        STATE["connections"] += 1
        settings = {}
        if MODE == "nowindow":
            settings[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] = 0
        if MODE == "maxstreams2":
            settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = 2
        self.h2.initiate_connection()
        if settings:
            self.h2.update_settings(settings)
        if MODE == "badack":
            # h2 sends no such frame: written by hand, after its SETTINGS.
            ack = struct.pack(">I", 6)[1:] + bytes([4, 1]) + struct.pack(">I", 0) + struct.pack(">HI", 4, 0)
            self.writer.write(self.h2.data_to_send() + ack)
        elif MODE == "hugeframes":
            self.h2.data_to_send()  # h2 refuses the value: this SETTINGS frame is written by hand
            self.writer.write(struct.pack(">I", 6)[1:] + bytes([4, 0]) + struct.pack(">I", 0) +
                              struct.pack(">HI", 5, 1 << 24))
        self.flush()
        try:
            while not self.closed:
                data = await self.reader.read(65536)
                if not data:
                    break
                if self.raw_only:
                    continue
                try:
                    events = self.h2.receive_data(data)
                except Exception:
                    self.flush()
                    break
                for ev in events:
                    await self.on_event(ev)
                self.flush()
        finally:
            self.closed = True
            self.writer.close()

    async def on_event(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            STATE["requests"] += 1
            hdrs = dict(ev.headers)
            self.paths[ev.stream_id] = hdrs.get(b":path", b"/").decode()
            if MODE == "windowoverflow":
                # The stream's send window (65535, h2's SETTINGS) to 2^31-1, then one more.
                wu = hyperframe.frame.WindowUpdateFrame(ev.stream_id, window_increment=2**31 - 1 - 65535)
                grow = hyperframe.frame.SettingsFrame(0, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 65536})
                self.flush()
                self.writer.write(wu.serialize() + grow.serialize())
                self.raw_only = True
                return
            self.bodies[ev.stream_id] = b""
            if ev.stream_ended:
                asyncio.ensure_future(self.on_request(ev.stream_id))
        elif isinstance(ev, h2.events.DataReceived):
            self.bodies[ev.stream_id] = self.bodies.get(ev.stream_id, b"") + ev.data
            if MODE != "nowindow":
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if ev.stream_ended:
                asyncio.ensure_future(self.on_request(ev.stream_id))
        elif isinstance(ev, h2.events.StreamEnded):
            pass
        elif isinstance(ev, h2.events.WindowUpdated):
            for sid, fut in list(self.window_waiters.items()):
                if not fut.done():
                    fut.set_result(None)

    def respond(self, sid, status=200, body=b"", headers=(), end=True):
        self.h2.send_headers(sid, [(b":status", str(status).encode()),
                                   (b"content-length", str(len(body)).encode())] + list(headers),
                             end_stream=end and not body)
        if body:
            self.h2.send_data(sid, body, end_stream=end)
        self.flush()

    async def send_body(self, sid, body):
        while body:
            window = min(self.h2.local_flow_control_window(sid), self.h2.max_outbound_frame_size)
            if window <= 0:
                fut = asyncio.get_running_loop().create_future()
                self.window_waiters[sid] = fut
                await fut
                continue
            chunk, body = body[:window], body[window:]
            self.h2.send_data(sid, chunk, end_stream=not body)
            self.flush()
            await self.writer.drain()

    async def on_request(self, sid):
        path = self.paths[sid]
        if path == "/hello":
            self.respond(sid, body=b"hello h2")
        elif path == "/stats":
            self.respond(sid, body=("%d %d" % (STATE["connections"], STATE["requests"])).encode())
        elif path == "/echo":
            body = self.bodies[sid]
            self.h2.send_headers(sid, [(b":status", b"200"), (b"content-length", str(len(body)).encode())])
            self.flush()
            asyncio.ensure_future(self.send_body(sid, body))
        elif path == "/trailers":
            self.h2.send_headers(sid, [(b":status", b"200")])
            self.h2.send_data(sid, b"body before trailers")
            self.h2.send_headers(sid, [(b"x-checksum", b"abc123"), (b"grpc-status", b"0")], end_stream=True)
            self.flush()
        elif path == "/refuse-once":
            if not STATE["refused"]:
                STATE["refused"] = True
                self.h2.reset_stream(sid, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
                self.flush()
            else:
                self.respond(sid, body=b"second try")
        elif path == "/goaway":
            if STATE["goaway"]:
                self.respond(sid, body=b"after goaway %d" % sid)
                return
            self.goaway_streams.append(sid)
            if len(self.goaway_streams) < 3:
                return
            STATE["goaway"] = True
            first = min(self.goaway_streams)
            # The head of the first, then GOAWAY (written raw: h2 sends
            # nothing after its own close_connection), then its body.
            body = b"before goaway %d" % first
            self.h2.send_headers(first, [(b":status", b"200"), (b"content-length", str(len(body)).encode())])
            self.flush()
            goaway = hyperframe.frame.GoAwayFrame(0)
            goaway.last_stream_id = first
            goaway.error_code = 0
            self.writer.write(goaway.serialize())
            await asyncio.sleep(0.05)
            self.h2.send_data(first, body, end_stream=True)
            self.flush()
            await self.writer.drain()
            await asyncio.sleep(0.05)
            self.closed = True
            self.writer.close()
        elif path == "/reset-mid-body":
            self.h2.send_headers(sid, [(b":status", b"200")])
            self.h2.send_data(sid, b"x" * 1000)
            self.flush()
            await self.writer.drain()
            await asyncio.sleep(0.05)
            self.h2.reset_stream(sid, error_code=h2.errors.ErrorCodes.INTERNAL_ERROR)
            self.flush()
        elif path == "/bigheaders":
            # An HPACK bomb: one 4 KB field in the dynamic table, then
            # referenced again and again (a byte each): 400 KB of header list
            # in a block of a few KB.
            hdrs = [(b"x-big", b"v" * 4000)] * 100
            self.h2.send_headers(sid, [(b":status", b"200")] + hdrs, end_stream=True)
            self.flush()
        elif path == "/badframe":
            # A DATA frame on stream 0 (RFC 9113 6.1: a PROTOCOL_ERROR).
            self.writer.write(b"\x00\x00\x04\x00\x00\x00\x00\x00\x00abcd")
        elif path == "/stall":
            pass
        elif path == "/slow":
            await asyncio.sleep(0.3)
            self.respond(sid, body=b"slow %d" % sid)
        else:
            self.respond(sid, status=404, body=b"not found")


async def main():
    port = int(sys.argv[1])

    async def handle(reader, writer):
        await Conn(reader, writer).run()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
