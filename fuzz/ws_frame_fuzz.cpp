// Fuzzes the WebSocket frame reader (src/http/websocket/codec.hpp).
//
// Checks, besides "no crash, no leak, no undefined behaviour":
//   - the reader throws nothing but WebSocketError (anything else escapes and
//     aborts), with close code 1002, 1007 or 1009;
//   - split invariance: reading the input in one piece, cut at two points the
//     fuzzer picks, and byte by byte gives the same messages and the same
//     error (code and message);
//   - what it delivers keeps its promises: no data message over max_msg_size
//     (control frames are at most 125 bytes whatever the limit), TEXT
//     is valid UTF-8, a CLOSE carries 1005 or a code that may be sent, and a
//     spent reader throws the same error again.
//
// Input layout: byte 0 = options (bit 0 client side, i.e. frames unmasked;
// bit 1 permessage-deflate; bit 2 the peer resets its context per message;
// bits 3-4 max_msg_size: 0 (none), 64, 1024, 65536), bytes 1-4 = two cut
// points, the rest = the bytes received.
#include "http/websocket/codec.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace aio::http;
using namespace aio::http::ws;

namespace {

[[noreturn]] void fuzz_fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
    std::abort();
}

std::string run(const ReaderOptions& o, std::string_view input, const std::vector<std::size_t>& cuts) {
    FrameReader r(o);
    std::deque<WSMessage> out;
    std::string tail;
    try {
        std::size_t prev = 0;
        for (std::size_t i = 0; i <= cuts.size(); ++i) {
            const std::size_t next = i < cuts.size() ? cuts[i] : input.size();
            r.feed(input.substr(prev, next - prev), out);
            prev = next;
        }
        tail = r.closed() ? "CLOSED\n" : "MORE\n";
    } catch (const WebSocketError& e) {
        const int code = static_cast<int>(e.code());
        if (code != 1002 && code != 1007 && code != 1009) fuzz_fail("unexpected close code", e.message());
        tail = "ERROR " + std::to_string(code) + " " + e.message() + "\n";
        // A spent reader throws the same error again.
        try {
            r.feed("\x81", out);
            fuzz_fail("a spent reader accepted more", tail);
        } catch (const WebSocketError& again) {
            if (again.code() != e.code() || again.message() != e.message()) fuzz_fail("a different second error", tail);
        }
    }
    std::string log;
    for (const WSMessage& m : out) {
        const bool data_msg = m.type == WSMsgType::TEXT || m.type == WSMsgType::BINARY;
        if (data_msg && o.max_msg_size != 0 && m.data.size() > o.max_msg_size)
            fuzz_fail("message over max_msg_size", "");
        if (!data_msg && m.data.size() + m.extra.size() > 125) fuzz_fail("control frame over 125 bytes", "");
        if (m.type == WSMsgType::TEXT && !valid_utf8(m.data)) fuzz_fail("TEXT that is not UTF-8", m.data);
        if (m.type == WSMsgType::CLOSE && m.code != 1005 && !valid_close_code(m.code)) fuzz_fail("bad close code", "");
        if (m.type != WSMsgType::TEXT && m.type != WSMsgType::BINARY && m.type != WSMsgType::PING &&
            m.type != WSMsgType::PONG && m.type != WSMsgType::CLOSE)
            fuzz_fail("unexpected message type", std::string(to_string(m.type)));
        log += std::string(to_string(m.type)) + " " + std::to_string(m.code) + " " + std::to_string(m.data.size()) +
               " " + m.data + " | " + m.extra + "\n";
    }
    return log + tail;
}

void compare(const std::string& a, const std::string& b, const char* what) {
    if (a == b) return;
    std::fprintf(stderr, "split invariance broken (%s)\n--- one piece:\n%s\n--- %s:\n%s\n", what, a.c_str(), what,
                 b.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    const std::uint8_t flags = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 5), size - 5);
    ReaderOptions o;
    o.server_side = !(flags & 1);
    if (flags & 2) {
        DeflateParams d;
        d.client_no_context_takeover = flags & 4;
        d.server_no_context_takeover = flags & 4;
        o.deflate = d;
    }
    static constexpr std::uint64_t limits[] = {0, 64, 1024, 65536};
    o.max_msg_size = limits[(flags >> 3) & 3];

    std::size_t c1 = (data[1] | (data[2] << 8)) % (input.size() + 1);
    std::size_t c2 = (data[3] | (data[4] << 8)) % (input.size() + 1);
    if (c1 > c2) std::swap(c1, c2);

    const std::string whole = run(o, input, {});
    compare(whole, run(o, input, {c1, c2}), "cut in three");
    if (input.size() <= 1024) {
        std::vector<std::size_t> every;
        for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
        compare(whole, run(o, input, every), "byte by byte");
    }
    return 0;
}
