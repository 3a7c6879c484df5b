"""An HTTP/2 client for aio's server tests, on Python's h2 (and raw frames
for the attacks h2 itself would refuse to send). Cleartext, prior knowledge.

Usage: h2_peer.py SCENARIO PORT [ARG...]; prints one line per observation
and exits 0 when the scenario ran (what it saw is for the test to judge).

  get PATH [N]             N concurrent GETs on one connection: "status S len L" each
  post PATH SIZE           a POST of SIZE bytes: "status S body B"
  rapid-reset PATH N       N streams opened and reset at once, then one GET:
                           "goaway CODE" if the server gave up, "after S" for the GET
  raw-reset-flood PATH N   N streams opened and reset in raw frames (about 37 bytes each), all
                           written before anything is read, then one GET: "goaway CODE" if the
                           server's answer held one, "send-failed" if the writing was cut off by
                           a reset, "after S" for the GET
  continuation-flood       a header block in endless CONTINUATION frames: "closed" / "goaway CODE"
  ping-flood N             N PINGs without reading any answer: "closed" / "open"
  settings-flood N         N SETTINGS frames without reading: "closed" / "open"
  zero-window PATH         a GET with a receive window of 0: "reset CODE" when the server gives up
  reset-after PATH MS      a GET reset after MS ms: "reset-sent"
  settings                 the server's SETTINGS: "setting NAME VALUE" each
  concurrency PATH N       N streams at once (beyond the server's limit): "status S" / "refused"
  goaway-wait PATH         a GET, reporting frames in order: "goaway CODE LAST" then "status S len L"
  big-headers SIZE         a GET with SIZE bytes of one header field: "status S" / "reset CODE"
  lying-length PATH        a POST declaring 10 bytes and sending 20: "reset CODE", then "after S"
  upload-then-exit PATH    a POST of 1 MB cut off after 100 KB by a reset: "exited"
  no-read PATH             a GET with every window open, then no read for 8 s: "slept"
  window-overflow PATH     a GET with a window of 0, opened to 2^31-1 by WINDOW_UPDATE, then one
                           more by SETTINGS_INITIAL_WINDOW_SIZE: "goaway CODE" / "closed" / "open"
"""
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack
from hyperframe.frame import ContinuationFrame, HeadersFrame, PingFrame, SettingsFrame, WindowUpdateFrame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    return s


def new_conn(sock, settings=None):
    c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    c.initiate_connection()
    if settings:
        c.update_settings(settings)
    sock.sendall(c.data_to_send())
    return c


def req_headers(port, path, method="GET", extra=()):
    return [(":method", method), (":path", path), (":scheme", "http"), (":authority", f"127.0.0.1:{port}")] + list(extra)


def pump(sock, c, until, deadline=10.0):
    """Reads and feeds events to `until(event)` until it returns True or the connection ends."""
    end = time.time() + deadline
    while time.time() < end:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return "timeout"
        except ConnectionResetError:
            return "closed"
        if not data:
            return "closed"
        try:
            events = c.receive_data(data)
        except Exception as e:  # h2 refuses what the server sent
            print(f"protocol-error {type(e).__name__}")
            return "closed"
        for ev in events:
            if until(ev):
                out = c.data_to_send()
                if out:
                    sock.sendall(out)
                return "done"
        out = c.data_to_send()
        if out:
            try:
                sock.sendall(out)
            except OSError:
                return "closed"
    return "timeout"


def get_many(port, path, n):
    sock = connect(port)
    c = new_conn(sock)
    ids = []
    for _ in range(n):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, req_headers(port, path), end_stream=True)
        ids.append(sid)
    sock.sendall(c.data_to_send())
    status, body, done = {}, {}, set()

    def on(ev):
        if isinstance(ev, h2.events.ResponseReceived):
            status[ev.stream_id] = dict(ev.headers)[":status"]
        elif isinstance(ev, h2.events.DataReceived):
            body[ev.stream_id] = body.get(ev.stream_id, 0) + len(ev.data)
            c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            done.add(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            print(f"reset {int(ev.error_code)}")
            done.add(ev.stream_id)
        return len(done) == len(ids)

    pump(sock, c, on)
    for sid in ids:
        print(f"status {status.get(sid)} len {body.get(sid, 0)}")
    sock.close()


def post(port, path, size):
    sock = connect(port)
    c = new_conn(sock)
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, path, "POST", [("content-length", str(size))]))
    sock.sendall(c.data_to_send())
    payload = bytes((i * 7) % 251 for i in range(size))
    sent = 0
    status, body, ended = None, bytearray(), False
    while not ended:
        window = min(c.local_flow_control_window(sid), c.max_outbound_frame_size) if sent < size else 0
        if sent < size and window > 0:
            chunk = payload[sent:sent + window]
            sent += len(chunk)
            c.send_data(sid, chunk, end_stream=sent == size)
            sock.sendall(c.data_to_send())
            continue
        data = sock.recv(65536)
        if not data:
            break
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                status = dict(ev.headers)[":status"]
            elif isinstance(ev, h2.events.DataReceived):
                body += ev.data
                c.acknowledge_received_data(ev.flow_controlled_length, sid)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                ended = True
        out = c.data_to_send()
        if out:
            sock.sendall(out)
    print(f"status {status} body {body.decode(errors='replace')}")
    sock.close()


def rapid_reset(port, path, n):
    sock = connect(port)
    c = new_conn(sock)
    from h2.errors import ErrorCodes
    for _ in range(n):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, req_headers(port, path), end_stream=True)
        c.reset_stream(sid, ErrorCodes.CANCEL)
    try:
        sock.sendall(c.data_to_send())
    except OSError:
        print("closed")
        return
    seen = {}

    def on(ev):
        if isinstance(ev, h2.events.ConnectionTerminated):
            seen["goaway"] = int(ev.error_code)
            return True
        return False

    # Whatever the server answers to the flood (a GOAWAY, or nothing), then a normal request.
    sock.settimeout(1.0)
    pump(sock, c, on, deadline=2.0)
    if "goaway" in seen:
        print(f"goaway {seen['goaway']}")
    sock.close()
    get_after(port, path)


def raw_reset_flood(port, path, n):
    # One header block that leaves HPACK's dynamic table alone (never
    # indexed), so that the same bytes open every stream.
    enc = hpack.Encoder()
    block = enc.encode([hpack.NeverIndexedHeaderTuple(k, v) for k, v in req_headers(port, path)], huffman=False)
    frames = bytearray(PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")  # the preface, an empty SETTINGS
    head = len(block).to_bytes(3, "big") + b"\x01\x05"  # HEADERS, END_STREAM | END_HEADERS
    for i in range(n):
        sid = (2 * i + 1).to_bytes(4, "big")
        frames += head + sid + block
        frames += b"\x00\x00\x04\x03\x00" + sid + b"\x00\x00\x00\x08"  # RST_STREAM CANCEL
    sock = connect(port)
    sent = True
    try:
        sock.sendall(bytes(frames))
    except OSError:
        sent = False
        print("send-failed")
    back = bytearray()
    sock.settimeout(5.0)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            back += data
    except OSError:
        pass
    sock.close()
    # The server's frames, walked from the first: a GOAWAY says its error code.
    pos = 0
    while sent and pos + 9 <= len(back):
        length = int.from_bytes(back[pos:pos + 3], "big")
        if back[pos + 3] == 7 and pos + 9 + 8 <= len(back):
            print(f"goaway {int.from_bytes(back[pos + 13:pos + 17], 'big')}")
            break
        pos += 9 + length
    get_after(port, path)


def get_after(port, path):
    try:
        sock = connect(port)
        c = new_conn(sock)
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, req_headers(port, path), end_stream=True)
        sock.sendall(c.data_to_send())
        st = {}

        def on(ev):
            if isinstance(ev, h2.events.ResponseReceived):
                st["s"] = dict(ev.headers)[":status"]
            return isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset))

        pump(sock, c, on)
        print(f"after {st.get('s')}")
        sock.close()
    except OSError as e:
        print(f"after-error {e}")


def continuation_flood(port):
    sock = connect(port)
    c = new_conn(sock)
    enc = hpack.Encoder()
    block = enc.encode(req_headers(port, "/"))
    hf = HeadersFrame(1)
    hf.data = block
    hf.flags.add("END_STREAM")  # no END_HEADERS: CONTINUATION frames follow
    try:
        sock.sendall(hf.serialize())
        junk = enc.encode([("x-flood", "a" * 100)])
        for i in range(100000):
            cf = ContinuationFrame(1)
            cf.data = junk
            sock.sendall(cf.serialize())
    except OSError:
        pass
    report_end(sock, c)


def report_end(sock, c):
    """Reads what the server says until it closes: "goaway CODE" and/or "closed", or "open"."""
    sock.settimeout(3.0)
    goaway = None
    buf = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
    except socket.timeout:
        print("open")
        return
    except ConnectionResetError:
        pass
    # Find a GOAWAY frame (type 7) in what came back.
    i = 0
    while i + 9 <= len(buf):
        length = int.from_bytes(buf[i:i + 3], "big")
        ftype = buf[i + 3]
        if ftype == 7 and i + 9 + 8 <= len(buf):
            goaway = int.from_bytes(buf[i + 13:i + 17], "big")
        i += 9 + length
    if goaway is not None:
        print(f"goaway {goaway}")
    print("closed")


def flood(port, n, make):
    sock = connect(port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c = new_conn(sock)
    frame = make().serialize()
    batch = frame * 100
    try:
        for _ in range(n // 100):
            sock.sendall(batch)
    except OSError:
        print("closed")
        return
    report_end(sock, c)


def zero_window(port, path):
    sock = connect(port)
    c = new_conn(sock, {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, path), end_stream=True)
    sock.sendall(c.data_to_send())
    seen = {}

    def on(ev):
        if isinstance(ev, h2.events.ResponseReceived):
            print(f"status {dict(ev.headers)[':status']}")
        if isinstance(ev, h2.events.StreamReset):
            seen["reset"] = int(ev.error_code)
            return True
        return isinstance(ev, h2.events.StreamEnded)

    r = pump(sock, c, on, deadline=10.0)
    print(f"reset {seen['reset']}" if "reset" in seen else r)
    get_after(port, "/")
    sock.close()


def reset_after(port, path, ms):
    sock = connect(port)
    c = new_conn(sock)
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, path), end_stream=True)
    sock.sendall(c.data_to_send())
    time.sleep(ms / 1000.0)
    from h2.errors import ErrorCodes
    c.reset_stream(sid, ErrorCodes.CANCEL)
    sock.sendall(c.data_to_send())
    print("reset-sent")
    time.sleep(0.2)
    sock.close()


def settings(port):
    sock = connect(port)
    c = new_conn(sock)
    got = {}

    def on(ev):
        if isinstance(ev, h2.events.RemoteSettingsChanged):
            for code, change in ev.changed_settings.items():
                got[h2.settings.SettingCodes(code).name] = change.new_value
            return True
        return False

    pump(sock, c, on)
    for k in sorted(got):
        print(f"setting {k} {got[k]}")
    sock.close()


def concurrency(port, path, n):
    sock = connect(port)
    c = new_conn(sock)

    def settled(ev):
        return isinstance(ev, h2.events.RemoteSettingsChanged)

    pump(sock, c, settled)
    # Open n streams regardless of the server's limit: raw HEADERS frames.
    enc = hpack.Encoder()
    ids = [1 + 2 * i for i in range(n)]
    for sid in ids:
        hf = HeadersFrame(sid)
        hf.data = enc.encode(req_headers(port, path))
        hf.flags.add("END_HEADERS")
        hf.flags.add("END_STREAM")
        sock.sendall(hf.serialize())
    sock.settimeout(5.0)
    buf = b""
    results = {}
    end = time.time() + 10
    while len(results) < n and time.time() < end:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
        i = 0
        while i + 9 <= len(buf):
            length = int.from_bytes(buf[i:i + 3], "big")
            if i + 9 + length > len(buf):
                break
            ftype, flags = buf[i + 3], buf[i + 4]
            sid = int.from_bytes(buf[i + 5:i + 9], "big") & 0x7FFFFFFF
            payload = buf[i + 9:i + 9 + length]
            if ftype == 7:  # GOAWAY: the server ended the connection
                print(f"goaway {int.from_bytes(payload[4:8], 'big')}")
                results = {k: results.get(k, "none") for k in ids}
            elif ftype == 3 and sid in ids:  # RST_STREAM
                results[sid] = f"reset {int.from_bytes(payload[:4], 'big')}"
            elif ftype == 1 and sid in ids and sid not in results:  # HEADERS (a response)
                results[sid] = "answered"
            i += 9 + length
        buf = buf[i:]
    for sid in ids:
        print(results.get(sid, "none"))
    sock.close()


def goaway_wait(port, path):
    # Raw frames: h2's state machine refuses frames once a GOAWAY arrived,
    # while RFC 9113 §6.8 has streams up to its last-stream-id go on.
    sock = connect(port, timeout=10.0)
    c = new_conn(sock)
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, path), end_stream=True)
    sock.sendall(c.data_to_send())
    dec = hpack.Decoder()
    buf, status, length = b"", None, 0
    while True:
        data = sock.recv(65536)
        if not data:
            print("closed")
            break
        buf += data
        ended = False
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags = buf[3], buf[4]
            fsid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            payload = buf[9:9 + n]
            buf = buf[9 + n:]
            if ftype == 4 and not flags & 1:  # SETTINGS: acknowledge
                sock.sendall(b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")
            elif ftype == 7:
                print(f"goaway {int.from_bytes(payload[4:8], 'big')} {int.from_bytes(payload[:4], 'big') & 0x7FFFFFFF}")
            elif ftype == 1 and fsid == sid:
                status = dict(dec.decode(payload)).get(":status")
            elif ftype == 0 and fsid == sid:
                length += n
            if fsid == sid and ftype in (0, 1) and flags & 1:
                ended = True
            elif fsid == sid and ftype == 3:
                print(f"reset {int.from_bytes(payload[:4], 'big')}")
                ended = True
        if ended:
            print(f"status {status} len {length}")
            print("done")
            break
    sock.close()


def big_headers(port, size):
    sock = connect(port)
    c = new_conn(sock)
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, "/", extra=[("x-big", "a" * size)]), end_stream=True)
    sock.sendall(c.data_to_send())

    def on(ev):
        if isinstance(ev, h2.events.ResponseReceived):
            print(f"status {dict(ev.headers)[':status']}")
            return True
        if isinstance(ev, h2.events.StreamReset):
            print(f"reset {int(ev.error_code)}")
            return True
        if isinstance(ev, h2.events.ConnectionTerminated):
            print(f"goaway {int(ev.error_code)}")
            return True
        return False

    print(pump(sock, c, on))
    sock.close()


def lying_length(port, path):
    sock = connect(port)
    c = new_conn(sock)
    sid = c.get_next_available_stream_id()
    # h2 itself checks content-length on what it receives, not on what it
    # sends: the lie goes out as written.
    c.send_headers(sid, req_headers(port, path, "POST", [("content-length", "10")]))
    c.send_data(sid, b"x" * 20, end_stream=True)
    sock.sendall(c.data_to_send())
    seen = {}

    def on(ev):
        if isinstance(ev, h2.events.StreamReset):
            seen["reset"] = int(ev.error_code)
            return True
        if isinstance(ev, h2.events.ResponseReceived):
            seen["status"] = dict(ev.headers)[":status"]
        return isinstance(ev, h2.events.StreamEnded)

    pump(sock, c, on)
    print(f"reset {seen['reset']}" if "reset" in seen else f"status {seen.get('status')}")
    sock.close()
    get_after(port, "/")


def upload_then_exit(port, path):
    sock = connect(port)
    c = new_conn(sock, {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, path, "POST", [("content-length", str(1 << 20))]))
    sock.sendall(c.data_to_send())
    sent = 0
    while sent < 100_000:
        window = min(c.local_flow_control_window(sid), c.max_outbound_frame_size)
        if window == 0:
            for ev in c.receive_data(sock.recv(65536)):
                pass
            sock.sendall(c.data_to_send())
            continue
        chunk = b"u" * min(window, 100_000 - sent)
        c.send_data(sid, chunk)
        sent += len(chunk)
        sock.sendall(c.data_to_send())
    # Gone mid-body, with a reset rather than a goodbye.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()
    print("exited")


def no_read(port, path):
    sock = connect(port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c = new_conn(sock, {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: (1 << 31) - 1})
    c.increment_flow_control_window((1 << 31) - 1 - 65535)
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, path), end_stream=True)
    sock.sendall(c.data_to_send())
    time.sleep(8.0)  # the server's writes stall against a full socket
    print("slept")
    sock.close()


def window_overflow(port, path):
    sock = connect(port)
    c = new_conn(sock, {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, req_headers(port, path), end_stream=True)
    sock.sendall(c.data_to_send())
    # By hand (h2 keeps windows legal): the stream's window to the largest
    # there is, then SETTINGS_INITIAL_WINDOW_SIZE 0 -> 1 adds one to it.
    wu = WindowUpdateFrame(sid, window_increment=2**31 - 1)
    grow = SettingsFrame(0, settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1})
    sock.sendall(wu.serialize() + grow.serialize())
    report_end(sock, c)


def main():
    scenario, port, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if scenario == "get":
        get_many(port, args[0], int(args[1]) if len(args) > 1 else 1)
    elif scenario == "post":
        post(port, args[0], int(args[1]))
    elif scenario == "rapid-reset":
        rapid_reset(port, args[0], int(args[1]))
    elif scenario == "raw-reset-flood":
        raw_reset_flood(port, args[0], int(args[1]))
    elif scenario == "continuation-flood":
        continuation_flood(port)
    elif scenario == "ping-flood":
        flood(port, int(args[0]), lambda: PingFrame(0, b"12345678"))
    elif scenario == "settings-flood":
        flood(port, int(args[0]), lambda: SettingsFrame(0))
    elif scenario == "zero-window":
        zero_window(port, args[0])
    elif scenario == "reset-after":
        reset_after(port, args[0], int(args[1]))
    elif scenario == "settings":
        settings(port)
    elif scenario == "concurrency":
        concurrency(port, args[0], int(args[1]))
    elif scenario == "goaway-wait":
        goaway_wait(port, args[0])
    elif scenario == "big-headers":
        big_headers(port, int(args[0]))
    elif scenario == "lying-length":
        lying_length(port, args[0])
    elif scenario == "upload-then-exit":
        upload_then_exit(port, args[0])
    elif scenario == "window-overflow":
        window_overflow(port, args[0])
    elif scenario == "no-read":
        no_read(port, args[0])
    else:
        sys.exit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    main()
