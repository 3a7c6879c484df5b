// aio-test-labels: sync
// The WebSocket wire format (src/http/websocket/codec.hpp): RFC 6455 framing
// and RFC 7692 permessage-deflate, byte for byte against the RFCs' examples,
// round trips, split invariance, every protocol violation's close code, the
// handshake keys, extension negotiation, UTF-8, and the public message types.
#include "http/websocket/codec.hpp"

#include <aio/http/websocket.hpp>
#include <aio/json.hpp>

#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

using namespace aio::http;
using namespace aio::http::ws;

// ---------------------------------------------------------------------------
// The largest single operator new request while `track_allocations` is set:
// how the deflate-bomb test sees that the reader never allocates far beyond
// max_msg_size. Every form of non-aligned new/delete is replaced, so that
// sanitizers see matching pairs.
namespace {
std::atomic<bool> track_allocations{false};
std::atomic<std::size_t> largest_allocation{0};
void* counted_alloc(std::size_t n) {
    if (track_allocations.load(std::memory_order_relaxed)) {
        std::size_t cur = largest_allocation.load(std::memory_order_relaxed);
        while (n > cur && !largest_allocation.compare_exchange_weak(cur, n)) {
        }
    }
    return std::malloc(n == 0 ? 1 : n);
}
}  // namespace
void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s += static_cast<char>(c);
    return s;
}

ReaderOptions server_reader(std::optional<DeflateParams> d = std::nullopt, std::uint64_t max = 4 << 20) {
    ReaderOptions o;
    o.server_side = true;
    o.max_msg_size = max;
    o.deflate = d;
    return o;
}
ReaderOptions client_reader(std::optional<DeflateParams> d = std::nullopt, std::uint64_t max = 4 << 20) {
    ReaderOptions o = server_reader(d, max);
    o.server_side = false;
    return o;
}

// A transcript of what a reader made of a stream: one line per message, then
// the error, if any. Equal transcripts mean equal messages and errors.
std::string describe(const std::deque<WSMessage>& msgs) {
    std::string s;
    for (const WSMessage& m : msgs) {
        s += std::string(to_string(m.type)) + " " + std::to_string(m.data.size()) + " " +
             std::to_string(std::hash<std::string>{}(m.data)) + " " + std::to_string(m.code) + " " + m.extra + "\n";
    }
    return s;
}

std::string read_split(const ReaderOptions& o, std::string_view stream, const std::vector<std::size_t>& cuts) {
    FrameReader r(o);
    std::deque<WSMessage> out;
    std::string tail;
    try {
        std::size_t prev = 0;
        for (std::size_t i = 0; i <= cuts.size(); ++i) {
            const std::size_t next = i < cuts.size() ? cuts[i] : stream.size();
            r.feed(stream.substr(prev, next - prev), out);
            prev = next;
        }
        tail = "OK";
    } catch (const WebSocketError& e) {
        tail = "ERROR " + std::to_string(static_cast<int>(e.code())) + " " + e.message();
    }
    return describe(out) + tail;
}

std::string read_whole(const ReaderOptions& o, std::string_view stream) { return read_split(o, stream, {}); }

std::string read_bytewise(const ReaderOptions& o, std::string_view stream) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
    return read_split(o, stream, cuts);
}

std::deque<WSMessage> read_all(const ReaderOptions& o, std::string_view stream) {
    FrameReader r(o);
    std::deque<WSMessage> out;
    r.feed(stream, out);
    return out;
}

// The close code a stream is refused with (0 when it is accepted).
int error_code(const ReaderOptions& o, std::string_view stream) {
    FrameReader r(o);
    std::deque<WSMessage> out;
    try {
        r.feed(stream, out);
    } catch (const WebSocketError& e) {
        return static_cast<int>(e.code());
    }
    return 0;
}

// A frame as a server receives it: masked with a fixed key.
std::string masked_frame(int b0, std::string_view payload, const std::uint8_t key[4] = nullptr) {
    static const std::uint8_t k0[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (!key) key = k0;
    std::string f;
    f += static_cast<char>(b0);
    const std::uint64_t n = payload.size();
    if (n <= 125) {
        f += static_cast<char>(0x80 | n);
    } else if (n <= 0xFFFF) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xFF);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 0; i < 8; ++i) f += static_cast<char>((n >> (56 - 8 * i)) & 0xFF);
    }
    for (int i = 0; i < 4; ++i) f += static_cast<char>(key[i]);
    for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
    return f;
}

// A frame as a client receives it: unmasked.
std::string plain_frame(int b0, std::string_view payload) {
    std::string f = masked_frame(b0, payload);
    const std::size_t hl = f.size() - payload.size() - 4;
    std::string g = f.substr(0, hl);
    g[1] = static_cast<char>(g[1] & 0x7F);
    g += payload;
    return g;
}

std::string random_text(std::size_t n, std::uint64_t seed) {
    // Mixed ASCII, 2-, 3- and 4-byte code points, cut to n bytes on a boundary.
    static const char* pieces[] = {"a", "b", " ", "hello ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\n"};
    std::mt19937_64 rng(seed);
    std::string s;
    while (s.size() < n) {
        const char* p = pieces[rng() % 8];
        if (s.size() + std::strlen(p) > n) {
            s.append(n - s.size(), 'x');
            break;
        }
        s += p;
    }
    return s;
}

std::string random_bytes(std::size_t n, std::uint64_t seed, int alphabet = 256) {
    std::mt19937_64 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % alphabet);
    return s;
}

// Checks that `msgs` is one message of this type and data.
void expect_one(const std::deque<WSMessage>& msgs, WSMsgType type, std::string_view data) {
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].type, type);
    EXPECT_EQ(msgs[0].data, data);
}

// The frame a server-side writer makes of one message.
std::string server_writes(WSMsgType type, std::string_view payload, std::optional<DeflateParams> d = std::nullopt) {
    FrameWriter w(WriterOptions{.client_side = false, .deflate = d});
    std::string out;
    w.message(out, type, payload);
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// RFC 6455 section 5.7 examples

TEST(WsCodecRfc6455, SingleFrameUnmaskedTextIsHello) {
    const std::string frame = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    expect_one(read_all(client_reader(), frame), WSMsgType::TEXT, "Hello");
    EXPECT_EQ(server_writes(WSMsgType::TEXT, "Hello"), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
}

TEST(WsCodecRfc6455, SingleFrameMaskedTextIsHello) {
    const std::string frame = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    expect_one(read_all(server_reader(), frame), WSMsgType::TEXT, "Hello");
}

TEST(WsCodecRfc6455, FragmentedUnmaskedTextIsHello) {
    const std::string s = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
    FrameReader r(client_reader());
    std::deque<WSMessage> out;
    r.feed(s.substr(0, 5), out);
    EXPECT_TRUE(out.empty());  // the first fragment alone is not a message
    r.feed(s.substr(5), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, WSMsgType::TEXT);
    EXPECT_EQ(out[0].data, "Hello");
}

TEST(WsCodecRfc6455, UnmaskedPingAndMaskedPong) {
    const std::string ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    expect_one(read_all(client_reader(), ping), WSMsgType::PING, "Hello");
    EXPECT_EQ(server_writes(WSMsgType::PING, "Hello"), ping);

    const std::string pong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    expect_one(read_all(server_reader(), pong), WSMsgType::PONG, "Hello");
}

TEST(WsCodecRfc6455, BinaryOf256BytesUsesA16BitLength) {
    const std::string payload = random_bytes(256, 1);
    const std::string frame = bytes({0x82, 0x7E, 0x01, 0x00}) + payload;
    EXPECT_EQ(server_writes(WSMsgType::BINARY, payload), frame);
    expect_one(read_all(client_reader(), frame), WSMsgType::BINARY, payload);
}

TEST(WsCodecRfc6455, BinaryOf64KiBUsesA64BitLength) {
    const std::string payload = random_bytes(65536, 2);
    const std::string frame = bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}) + payload;
    EXPECT_EQ(server_writes(WSMsgType::BINARY, payload), frame);
    auto msgs = read_all(client_reader(), frame);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].data, payload);
}

TEST(WsCodecWriter, UsesTheSmallestLengthEncoding) {
    FrameWriter w(WriterOptions{});
    const std::pair<std::size_t, std::size_t> cases[] = {{0, 2}, {125, 2}, {126, 4}, {65535, 4}, {65536, 10}};
    for (auto [n, header] : cases) {
        std::string out;
        w.message(out, WSMsgType::BINARY, std::string(n, 'x'));
        EXPECT_EQ(out.size(), n + header) << n;
    }
    // A 64-bit length that fits in 16 bits is still accepted (shortest form not required).
    std::string f = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 3}) + "abc";
    auto msgs = read_all(client_reader(), f);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].data, "abc");
}

TEST(WsCodecWriter, ClientMasksEveryFrameWithAFreshKey) {
    FrameWriter w(WriterOptions{.client_side = true});
    std::string a, b;
    w.message(a, WSMsgType::TEXT, "Hello");
    w.message(b, WSMsgType::TEXT, "Hello");
    ASSERT_EQ(a.size(), 2u + 4 + 5);
    EXPECT_EQ(static_cast<std::uint8_t>(a[0]), 0x81);
    EXPECT_EQ(static_cast<std::uint8_t>(a[1]), 0x85);  // mask bit and length 5
    std::string unmasked;
    for (int i = 0; i < 5; ++i) unmasked += static_cast<char>(a[6 + i] ^ a[2 + i % 4]);
    EXPECT_EQ(unmasked, "Hello");
    EXPECT_NE(a.substr(2, 4), b.substr(2, 4));  // 2^-32 chance of a false failure
    auto msgs = read_all(server_reader(), a + b);
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[1].data, "Hello");
}

TEST(WsCodecWriter, ServerNeverMasks) {
    EXPECT_EQ(server_writes(WSMsgType::BINARY, "abc"), bytes({0x82, 0x03, 'a', 'b', 'c'}));
}

TEST(WsCodecWriter, ControlPayloadOver125BytesIsAValueError) {
    FrameWriter w(WriterOptions{});
    std::string out;
    EXPECT_THROW(w.message(out, WSMsgType::PING, std::string(126, 'x')), aio::ValueError);
    EXPECT_THROW(w.message(out, WSMsgType::PONG, std::string(126, 'x')), aio::ValueError);
    EXPECT_TRUE(out.empty());
    w.message(out, WSMsgType::PONG, std::string(125, 'x'));
    EXPECT_EQ(out.size(), 127u);
    EXPECT_THROW(w.message(out, WSMsgType::CLOSE, ""), aio::ValueError);
    EXPECT_THROW(w.message(out, WSMsgType::CONTINUATION, ""), aio::ValueError);
}

TEST(WsCodecWriter, CloseFrames) {
    FrameWriter w(WriterOptions{});
    std::string out;
    w.close(out, 1000, "bye");
    EXPECT_EQ(out, bytes({0x88, 0x05, 0x03, 0xE8, 'b', 'y', 'e'}));
    out.clear();
    w.close(out, 0, "");
    EXPECT_EQ(out, bytes({0x88, 0x00}));
    out.clear();
    EXPECT_THROW(w.close(out, 1000, std::string(124, 'r')), aio::ValueError);
    EXPECT_THROW(w.close(out, 0, "reason without a code"), aio::ValueError);
    w.close(out, 1001, std::string(123, 'r'));
    EXPECT_EQ(out.size(), 2u + 125);
    auto msgs = read_all(client_reader(), out);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].type, WSMsgType::CLOSE);
    EXPECT_EQ(msgs[0].code, 1001);
    EXPECT_EQ(msgs[0].extra, std::string(123, 'r'));
}

TEST(WsCodecWriter, ControlFramesAndUncompressedRequestsAreNotCompressed) {
    FrameWriter w(WriterOptions{.client_side = false, .deflate = DeflateParams{}});
    std::string out;
    w.message(out, WSMsgType::PING, "Hello");
    EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0x89);
    out.clear();
    w.close(out, 1000, "");
    EXPECT_EQ(static_cast<std::uint8_t>(out[0]), 0x88);
    out.clear();
    w.message(out, WSMsgType::TEXT, "Hello", false);
    EXPECT_EQ(out, bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}));
}

// ---------------------------------------------------------------------------
// RFC 7692 section 7.2.3 examples

TEST(WsCodecRfc7692, CompressedHello) {
    const std::string frame = bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    expect_one(read_all(client_reader(DeflateParams{}), frame), WSMsgType::TEXT, "Hello");

    EXPECT_EQ(server_writes(WSMsgType::TEXT, "Hello", DeflateParams{}), frame);
}

TEST(WsCodecRfc7692, CompressedHelloInTwoFragments) {
    const std::string s = bytes({0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00});
    EXPECT_EQ(read_bytewise(client_reader(DeflateParams{}), s), "TEXT 5 " +
                                                                     std::to_string(std::hash<std::string>{}("Hello")) +
                                                                     " 0 \nOK");
}

TEST(WsCodecRfc7692, SharedContextSecondMessage) {
    const std::string first = bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    const std::string second = bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00});
    auto msgs = read_all(client_reader(DeflateParams{}), first + second);
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].data, "Hello");
    EXPECT_EQ(msgs[1].data, "Hello");

    FrameWriter w(WriterOptions{.client_side = false, .deflate = DeflateParams{}});
    std::string out;
    w.message(out, WSMsgType::TEXT, "Hello");
    w.message(out, WSMsgType::TEXT, "Hello");
    EXPECT_EQ(out, first + second);
}

TEST(WsCodecRfc7692, NoCompressionBlock) {
    const std::string frame = bytes({0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00});
    auto msgs = read_all(client_reader(DeflateParams{}), frame);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].data, "Hello");
}

TEST(WsCodecRfc7692, BlockWithBfinalSet) {
    const std::string frame = bytes({0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00});
    // A second message after the final block starts a fresh stream.
    const std::string again = bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
    auto msgs = read_all(client_reader(DeflateParams{}), frame + again);
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].data, "Hello");
    EXPECT_EQ(msgs[1].data, "Hello");
}

TEST(WsCodecRfc7692, TwoDeflateBlocksInOneMessage) {
    const std::string frame =
        bytes({0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00});
    auto msgs = read_all(client_reader(DeflateParams{}), frame);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].data, "Hello");
}

TEST(WsCodecRfc7692, CorruptCompressedDataIsAProtocolError) {
    EXPECT_EQ(error_code(client_reader(DeflateParams{}), bytes({0xc2, 0x02, 0xff, 0xff})), 1002);
}

// ---------------------------------------------------------------------------
// Round trips

namespace {

struct Combo {
    const char* name;
    DeflateParams params;
};

const Combo kCombos[] = {
    {"takeover/15", DeflateParams{}},
    {"no-takeover/15", DeflateParams{.server_no_context_takeover = true, .client_no_context_takeover = true}},
    {"takeover/9-10", DeflateParams{.server_max_window_bits = 9, .client_max_window_bits = 10}},
    {"no-takeover/9",
     DeflateParams{.server_no_context_takeover = true, .client_no_context_takeover = true,
                   .server_max_window_bits = 9, .client_max_window_bits = 9}},
};

void round_trip(bool client_writes, std::optional<DeflateParams> d, const std::vector<std::string>& payloads,
                WSMsgType type) {
    FrameWriter w(WriterOptions{.client_side = client_writes, .deflate = d});
    std::string stream;
    for (const auto& p : payloads) w.message(stream, type, p);
    ReaderOptions ro = client_writes ? server_reader(d, 0) : client_reader(d, 0);
    auto msgs = read_all(ro, stream);
    ASSERT_EQ(msgs.size(), payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        EXPECT_EQ(msgs[i].type, type);
        EXPECT_TRUE(msgs[i].data == payloads[i]) << "message " << i << " of " << payloads[i].size() << " bytes";
    }
}

}  // namespace

TEST(WsCodecRoundTrip, BothSidesWithoutDeflate) {
    const std::size_t sizes[] = {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, 65537, 1 << 20};
    for (bool client : {false, true}) {
        std::vector<std::string> text, bin;
        for (std::size_t n : sizes) {
            text.push_back(random_text(n, n));
            bin.push_back(random_bytes(n, n + 1));
        }
        round_trip(client, std::nullopt, text, WSMsgType::TEXT);
        round_trip(client, std::nullopt, bin, WSMsgType::BINARY);
    }
}

TEST(WsCodecRoundTrip, BothSidesWithDeflateInEveryContextAndWindowCombination) {
    const std::size_t sizes[] = {0, 1, 5, 125, 126, 4096, 65536, 200000};
    for (const Combo& c : kCombos) {
        SCOPED_TRACE(c.name);
        for (bool client : {false, true}) {
            std::vector<std::string> text, bin;
            for (std::size_t n : sizes) {
                text.push_back(random_text(n, n));
                text.push_back(random_text(n, n));  // the same again: context takeover matters
                bin.push_back(random_bytes(n, n, 16));
            }
            round_trip(client, c.params, text, WSMsgType::TEXT);
            round_trip(client, c.params, bin, WSMsgType::BINARY);
        }
    }
}

TEST(WsCodecRoundTrip, SixteenMebibytes) {
    const std::string big = random_text(16 << 20, 16);
    round_trip(true, std::nullopt, {big}, WSMsgType::TEXT);
    round_trip(false, DeflateParams{}, {big}, WSMsgType::TEXT);
}

TEST(WsCodecDeflate, NoContextTakeoverCompressesARepeatedMessageTheSameWay) {
    const std::string m = random_text(3000, 5);
    auto frames = [&](DeflateParams d) {
        FrameWriter w(WriterOptions{.client_side = false, .deflate = d});
        std::string a, b;
        w.message(a, WSMsgType::TEXT, m);
        w.message(b, WSMsgType::TEXT, m);
        return std::make_pair(a, b);
    };
    auto [a1, b1] = frames(DeflateParams{});
    EXPECT_LT(b1.size(), a1.size() / 4);  // the second refers to the first
    auto [a2, b2] = frames(DeflateParams{.server_no_context_takeover = true});
    EXPECT_EQ(a2, b2);
    EXPECT_EQ(a1, a2);
    // The client side follows client_no_context_takeover, not the server's.
    FrameWriter w(WriterOptions{.client_side = true, .deflate = DeflateParams{.server_no_context_takeover = true}});
    std::string a, b;
    w.message(a, WSMsgType::TEXT, m);
    w.message(b, WSMsgType::TEXT, m);
    EXPECT_LT(b.size(), a.size() / 4);
}

TEST(WsCodecDeflate, ReaderKeepsOrResetsContextAsThePeerSaid) {
    const std::string m = random_text(3000, 6);
    FrameWriter w(WriterOptions{.client_side = true, .deflate = DeflateParams{}});
    std::string stream;
    w.message(stream, WSMsgType::TEXT, m);
    w.message(stream, WSMsgType::TEXT, m);
    // The client kept its context, so a server that resets per message cannot read the second.
    EXPECT_EQ(error_code(server_reader(DeflateParams{.client_no_context_takeover = true}), stream), 1002);
    // Resetting for the other side's setting does not matter here.
    EXPECT_EQ(error_code(server_reader(DeflateParams{.server_no_context_takeover = true}), stream), 0);
}

TEST(WsCodecDeflate, WriterUsesThisSidesWindow) {
    // Repeats at a distance of 2000 bytes: only a window over 2000 sees them.
    const std::string unit = random_bytes(2000, 7);
    const std::string m = unit + unit + unit + unit;
    auto payload = [&](bool client, DeflateParams d) {
        FrameWriter w(WriterOptions{.client_side = false, .deflate = d});
        (void)client;
        std::string out;
        w.message(out, WSMsgType::BINARY, m);
        return out.substr(4);  // 2-byte header + 16-bit length, unmasked
    };
    const std::string wide = payload(false, DeflateParams{});
    const std::string narrow = payload(false, DeflateParams{.server_max_window_bits = 9, .client_max_window_bits = 15});
    EXPECT_LT(wide.size(), 3000u);
    EXPECT_GT(narrow.size(), 7000u);
    // What a 9-bit window wrote, a 9-bit inflater reads.
    z_stream z{};
    ASSERT_EQ(inflateInit2(&z, -9), Z_OK);
    std::string in = narrow + std::string("\x00\x00\xff\xff", 4);
    std::string out(m.size() + 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int r = inflate(&z, Z_SYNC_FLUSH);
    EXPECT_EQ(r, Z_OK);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    EXPECT_TRUE(out == m);
    // A client writer uses client_max_window_bits.
    FrameWriter cw(WriterOptions{.client_side = true,
                                 .deflate = DeflateParams{.server_max_window_bits = 15, .client_max_window_bits = 9}});
    std::string cout;
    cw.message(cout, WSMsgType::BINARY, m);
    EXPECT_GT(cout.size(), 7000u);
}

// ---------------------------------------------------------------------------
// Split invariance

namespace {

// A stream exercising every path: fragments with control frames between
// them, compressed and not, text and binary, a close at the end.
std::string mixed_stream(bool masked, bool deflate) {
    auto f = [&](int b0, std::string_view p) { return masked ? masked_frame(b0, p) : plain_frame(b0, p); };
    std::string s;
    s += f(0x81, "Hello \xf0\x9f\x98\x80");
    s += f(0x01, "frag\xe2\x82");
    s += f(0x89, "ping");
    s += f(0x00, "\xac" "ment");
    s += f(0x8A, "");
    s += f(0x80, std::string(300, 'z'));
    s += f(0x82, random_bytes(70000, 3));
    if (deflate) {
        FrameWriter w(WriterOptions{.client_side = false, .deflate = DeflateParams{}});
        std::string c;
        w.message(c, WSMsgType::TEXT, random_text(100000, 9));
        w.message(c, WSMsgType::TEXT, random_text(100000, 9));
        // Re-frame the writer's unmasked frames as this stream needs them.
        FrameReader r(client_reader(DeflateParams{}, 0));
        (void)r;
        std::size_t pos = 0;
        while (pos < c.size()) {
            std::uint64_t len = static_cast<std::uint8_t>(c[pos + 1]) & 0x7F;
            std::size_t hl = 2;
            if (len == 126) {
                len = (static_cast<std::uint8_t>(c[pos + 2]) << 8) | static_cast<std::uint8_t>(c[pos + 3]);
                hl = 4;
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<std::uint8_t>(c[pos + 2 + i]);
                hl = 10;
            }
            const std::string payload = c.substr(pos + hl, len);
            // Split each compressed message into two fragments.
            s += f(0x41, payload.substr(0, payload.size() / 2));
            s += f(0x80, payload.substr(payload.size() / 2));
            pos += hl + len;
        }
    }
    s += f(0x88, bytes({0x03, 0xE8}) + "done");
    s += "garbage after the close frame";
    return s;
}

void expect_split_invariant(const ReaderOptions& o, const std::string& stream, std::uint64_t seed) {
    const std::string whole = read_whole(o, stream);
    EXPECT_EQ(read_bytewise(o, stream), whole);
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 20; ++round) {
        std::vector<std::size_t> cuts;
        std::size_t at = 0;
        while (true) {
            at += 1 + rng() % (round < 10 ? 16 : 40000);
            if (at >= stream.size()) break;
            cuts.push_back(at);
        }
        EXPECT_EQ(read_split(o, stream, cuts), whole) << "round " << round;
    }
}

}  // namespace

TEST(WsCodecSplit, EverySplitGivesTheSameMessages) {
    for (bool deflate : {false, true}) {
        for (bool server : {true, false}) {
            std::optional<DeflateParams> d;
            if (deflate) d = DeflateParams{};
            const ReaderOptions o = server ? server_reader(d) : client_reader(d);
            const std::string stream = mixed_stream(server, deflate);
            const std::string whole = read_whole(o, stream);
            EXPECT_EQ(whole.substr(whole.size() - 2), "OK");
            EXPECT_NE(whole.find("CLOSE 0 "), std::string::npos);
            EXPECT_NE(whole.find("PING 4 "), std::string::npos);
            expect_split_invariant(o, stream, 42);
        }
    }
}

TEST(WsCodecSplit, EverySplitGivesTheSameError) {
    // Valid messages, then invalid UTF-8 deep inside a fragmented text message.
    std::string s = masked_frame(0x82, "ok") + masked_frame(0x01, std::string(100, 'a')) +
                    masked_frame(0x89, "p") + masked_frame(0x80, std::string(50, 'b') + "\xed\xa0\x80" + "tail");
    const std::string whole = read_whole(server_reader(), s);
    EXPECT_NE(whole.find("ERROR 1007"), std::string::npos);
    EXPECT_NE(whole.find("PING 1"), std::string::npos);
    expect_split_invariant(server_reader(), s, 7);

    // Too big, announced by the second fragment's header.
    s = masked_frame(0x02, std::string(600, 'a')) + masked_frame(0x80, std::string(600, 'b'));
    EXPECT_NE(read_whole(server_reader(std::nullopt, 1000), s).find("ERROR 1009"), std::string::npos);
    expect_split_invariant(server_reader(std::nullopt, 1000), s, 8);
}

// Found by fuzz/ws_frame_fuzz.cpp: the bytes inflated before a deflate error
// are judged first, so one feed and a byte-by-byte feed fail alike (1007).
TEST(WsCodecSplit, InflatedTextIsJudgedBeforeALaterInflateError) {
    // A stored block holding "a\xff", then a block of the reserved type 3.
    const std::string s = bytes({0xC1, 0x08, 0x00, 0x02, 0x00, 0xFD, 0xFF, 'a', 0xFF, 0x06});
    const std::string whole = read_whole(client_reader(DeflateParams{}), s);
    EXPECT_NE(whole.find("ERROR 1007"), std::string::npos) << whole;
    EXPECT_EQ(read_bytewise(client_reader(DeflateParams{}), s), whole);
    // As binary, the data error itself.
    std::string b = s;
    b[0] = static_cast<char>(0xC2);
    EXPECT_EQ(error_code(client_reader(DeflateParams{}), b), 1002);
}

// ---------------------------------------------------------------------------
// Protocol violations

TEST(WsCodecViolations, MaskingMustMatchTheSide) {
    EXPECT_EQ(error_code(server_reader(), plain_frame(0x81, "Hello")), 1002);
    EXPECT_EQ(error_code(client_reader(), masked_frame(0x81, "Hello")), 1002);
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x81, "Hello")), 0);
    EXPECT_EQ(error_code(client_reader(), plain_frame(0x81, "Hello")), 0);
}

TEST(WsCodecViolations, ReservedOpcodes) {
    for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        EXPECT_EQ(error_code(server_reader(), masked_frame(0x80 | op, "")), 1002) << op;
    }
}

TEST(WsCodecViolations, ReservedBits) {
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x80 | 0x20 | 1, "x")), 1002);  // RSV2
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x80 | 0x10 | 1, "x")), 1002);  // RSV3
    EXPECT_EQ(error_code(server_reader(DeflateParams{}), masked_frame(0x80 | 0x20 | 1, "x")), 1002);
    // RSV1 without permessage-deflate.
    EXPECT_EQ(error_code(server_reader(), masked_frame(0xC1, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}))),
              1002);
    EXPECT_EQ(error_code(server_reader(DeflateParams{}),
                         masked_frame(0xC1, bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}))),
              0);
    // RSV1 on a continuation frame, and on control frames, even with deflate.
    EXPECT_EQ(error_code(server_reader(DeflateParams{}), masked_frame(0x41, bytes({0xf2, 0x48})) +
                                                             masked_frame(0xC0, bytes({0xcd, 0xc9, 0xc9, 0x07, 0x00}))),
              1002);
    EXPECT_EQ(error_code(server_reader(DeflateParams{}), masked_frame(0xC9, "")), 1002);
    EXPECT_EQ(error_code(server_reader(DeflateParams{}), masked_frame(0xC8, "")), 1002);
}

TEST(WsCodecViolations, ControlFrames) {
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x09, "ping")), 1002);  // not FIN
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x89, std::string(126, 'x'))), 1002);
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x89, std::string(125, 'x'))), 0);
    // The length is refused from the header alone.
    EXPECT_EQ(error_code(client_reader(), bytes({0x8A, 0x7E})), 1002);
}

TEST(WsCodecViolations, Fragmentation) {
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x80, "lone continuation")), 1002);
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x00, "lone continuation")), 1002);
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x01, "a") + masked_frame(0x81, "b")), 1002);
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x01, "a") + masked_frame(0x02, "b")), 1002);
    // Control frames may come between fragments.
    auto msgs = read_all(server_reader(), masked_frame(0x01, "a") + masked_frame(0x89, "p") +
                                              masked_frame(0x00, "b") + masked_frame(0x8A, "q") +
                                              masked_frame(0x80, "c"));
    ASSERT_EQ(msgs.size(), 3u);
    EXPECT_EQ(msgs[0].type, WSMsgType::PING);
    EXPECT_EQ(msgs[1].type, WSMsgType::PONG);
    EXPECT_EQ(msgs[2].type, WSMsgType::TEXT);
    EXPECT_EQ(msgs[2].data, "abc");
    // A message may have empty fragments.
    const std::string empty_fragments = masked_frame(0x02, "") + masked_frame(0x00, "") + masked_frame(0x80, "");
    expect_one(read_all(server_reader(), empty_fragments), WSMsgType::BINARY, "");
}

TEST(WsCodecViolations, SixtyFourBitLengthWithTheTopBitSet) {
    EXPECT_EQ(error_code(client_reader(), bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1})), 1002);
    EXPECT_EQ(error_code(client_reader(std::nullopt, 0), bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1})), 1002);
}

TEST(WsCodecViolations, MaxMessageSize) {
    // Refused on the header alone, before any payload byte.
    EXPECT_EQ(error_code(client_reader(std::nullopt, 1000), bytes({0x82, 0x7E, 0x03, 0xE9})), 1009);
    EXPECT_EQ(error_code(client_reader(std::nullopt, 1000), bytes({0x82, 0x7E, 0x03, 0xE8})), 0);
    EXPECT_EQ(error_code(client_reader(std::nullopt, 1000), plain_frame(0x82, std::string(1000, 'x'))), 0);
    // Accumulated over fragments: the second header is enough.
    EXPECT_EQ(error_code(client_reader(std::nullopt, 1000),
                         plain_frame(0x02, std::string(600, 'x')) + bytes({0x80, 0x7E, 0x01, 0x91})),
              1009);
    EXPECT_EQ(error_code(client_reader(std::nullopt, 1000),
                         plain_frame(0x02, std::string(600, 'x')) + plain_frame(0x80, std::string(400, 'x'))),
              0);
    // 0: no limit (a huge announced length is not allocated up front).
    EXPECT_EQ(error_code(client_reader(std::nullopt, 0), bytes({0x82, 0x7F, 0, 0, 1, 0, 0, 0, 0, 0, 'a'})), 0);
    // Compressed: the inflated size counts.
    FrameWriter w(WriterOptions{.client_side = false, .deflate = DeflateParams{}});
    std::string out;
    w.message(out, WSMsgType::BINARY, std::string(5000, 'a'));
    ASSERT_LT(out.size(), 1000u);
    EXPECT_EQ(error_code(client_reader(DeflateParams{}, 4999), out), 1009);
    EXPECT_EQ(error_code(client_reader(DeflateParams{}, 5000), out), 0);
}

TEST(WsCodecViolations, DeflateBombIsRefusedWithBoundedMemory) {
    // 1 MiB of zeros compressed by a fresh deflater refers only to itself, so
    // 1024 copies inflate to 1 GiB of zeros.
    std::string unit;
    {
        z_stream z{};
        ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
        std::string zeros(1 << 20, '\0');
        unit.resize(deflateBound(&z, zeros.size()) + 64);
        z.next_in = reinterpret_cast<Bytef*>(zeros.data());
        z.avail_in = static_cast<uInt>(zeros.size());
        z.next_out = reinterpret_cast<Bytef*>(unit.data());
        z.avail_out = static_cast<uInt>(unit.size());
        ASSERT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
        unit.resize(unit.size() - z.avail_out);
        deflateEnd(&z);
    }
    std::string payload;
    for (int i = 0; i < 1024; ++i) payload += unit;
    std::string frame = bytes({0xC2, 0x7F});
    for (int i = 0; i < 8; ++i) frame += static_cast<char>((std::uint64_t{payload.size()} >> (56 - 8 * i)) & 0xFF);
    frame += payload;

    const std::uint64_t max = 1 << 20;
    FrameReader r(client_reader(DeflateParams{}, max));
    std::deque<WSMessage> out;
    largest_allocation = 0;
    track_allocations = true;
    int code = 0;
    try {
        r.feed(frame, out);
    } catch (const WebSocketError& e) {
        code = static_cast<int>(e.code());
    }
    track_allocations = false;
    EXPECT_EQ(code, 1009);
    EXPECT_LE(largest_allocation.load(), max + 128 * 1024);
    EXPECT_GE(largest_allocation.load(), max / 2);  // the message did grow near the limit
}

TEST(WsCodecViolations, AfterAnErrorTheReaderIsSpent) {
    FrameReader r(server_reader());
    std::deque<WSMessage> out;
    std::string first;
    try {
        r.feed(masked_frame(0x81, "ok") + plain_frame(0x81, "unmasked"), out);
    } catch (const WebSocketError& e) {
        first = e.message();
        EXPECT_EQ(e.code(), WSCloseCode::PROTOCOL_ERROR);
    }
    EXPECT_FALSE(first.empty());
    ASSERT_EQ(out.size(), 1u);  // the message before the error was delivered
    for (int i = 0; i < 2; ++i) {
        try {
            r.feed(masked_frame(0x81, "fine"), out);
            ADD_FAILURE() << "a spent reader accepted more";
        } catch (const WebSocketError& e) {
            EXPECT_EQ(e.code(), WSCloseCode::PROTOCOL_ERROR);
            EXPECT_EQ(e.message(), first);
        }
    }
    EXPECT_EQ(out.size(), 1u);
}

// ---------------------------------------------------------------------------
// Close frames

TEST(WsCodecClose, CodesAndReasons) {
    auto close_with = [](std::string payload) { return masked_frame(0x88, payload); };
    auto code_bytes = [](int c) { return bytes({c >> 8, c & 0xFF}); };
    EXPECT_EQ(error_code(server_reader(), close_with("x")), 1002);  // 1-byte payload
    for (int c : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        EXPECT_EQ(error_code(server_reader(), close_with(code_bytes(c))), 1002) << c;
    }
    for (int c : {1000, 1001, 1002, 1003, 1007, 1010, 1014, 3000, 4999}) {
        EXPECT_EQ(error_code(server_reader(), close_with(code_bytes(c))), 0) << c;
    }
    EXPECT_EQ(error_code(server_reader(), close_with(code_bytes(1000) + "\xff")), 1007);
    auto msgs = read_all(server_reader(), close_with(code_bytes(4000) + "caf\xc3\xa9"));
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].type, WSMsgType::CLOSE);
    EXPECT_EQ(msgs[0].code, 4000);
    EXPECT_EQ(msgs[0].extra, "caf\xc3\xa9");
    msgs = read_all(server_reader(), close_with(""));
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].code, 1005);
    EXPECT_EQ(msgs[0].extra, "");
}

TEST(WsCodecClose, BytesAfterACloseFrameAreIgnored) {
    FrameReader r(server_reader());
    std::deque<WSMessage> out;
    EXPECT_FALSE(r.closed());
    r.feed(masked_frame(0x88, bytes({0x03, 0xE8})) + "\xff\xff not a frame", out);
    EXPECT_TRUE(r.closed());
    r.feed(masked_frame(0x81, "more"), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, WSMsgType::CLOSE);
    EXPECT_EQ(out[0].code, 1000);
}

// ---------------------------------------------------------------------------
// UTF-8

TEST(WsCodecUtf8, Vectors) {
    const char* valid[] = {"", "plain ascii", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
                           "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
                           "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"};
    const char* invalid[] = {"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf",
                             "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
                             "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xfe", "\xff", "\xe2\x82", "\xf0\x9f\x98",
                             "\xc3", "\xc3\x28", ("a\xe2\x82" "b")};
    for (const char* s : valid) {
        EXPECT_TRUE(valid_utf8(s)) << s;
        EXPECT_EQ(error_code(server_reader(), masked_frame(0x81, s)), 0) << s;
    }
    for (const char* s : invalid) {
        EXPECT_FALSE(valid_utf8(s)) << s;
        EXPECT_EQ(error_code(server_reader(), masked_frame(0x81, s)), 1007) << s;
    }
}

TEST(WsCodecUtf8, ABadByteAtAnyOffsetOfALongAsciiRun) {
    for (std::size_t at = 0; at < 40; ++at) {
        std::string s(40, 'a');
        s[at] = '\xff';
        EXPECT_FALSE(valid_utf8(s)) << at;
        s[at] = '\x7f';
        EXPECT_TRUE(valid_utf8(s)) << at;
    }
}

TEST(WsCodecUtf8, SequencesSplitAcrossFragments) {
    // A valid 4-byte code point split between fragments (and a ping between them).
    auto msgs = read_all(server_reader(), masked_frame(0x01, "a\xf0\x9f") + masked_frame(0x89, "") +
                                              masked_frame(0x80, "\x98\x80"));
    ASSERT_EQ(msgs.size(), 2u);
    EXPECT_EQ(msgs[1].data, "a\xf0\x9f\x98\x80");
    // A surrogate split between fragments.
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x01, "\xed") + masked_frame(0x80, "\xa0\x80")), 1007);
    // Truncated at the message's end.
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x01, "\xf0\x9f") + masked_frame(0x80, "\x98")), 1007);
    // Binary messages are not checked.
    EXPECT_EQ(error_code(server_reader(), masked_frame(0x82, "\xff\xfe")), 0);
}

TEST(WsCodecUtf8, FailsAtTheFirstBadByteBeforeTheFrameEnds) {
    FrameReader r(server_reader());
    std::deque<WSMessage> out;
    const std::string f = masked_frame(0x81, "abc\xff" + std::string(1000, 'x'));
    EXPECT_THROW(r.feed(f.substr(0, 2 + 2 + 4 + 4), out), WebSocketError);  // header and 4 payload bytes
    // And across fragments: the first fragment alone already fails.
    FrameReader r2(server_reader());
    EXPECT_THROW(r2.feed(masked_frame(0x01, "ok\xc0"), out), WebSocketError);
}

TEST(WsCodecUtf8, CompressedTextIsValidatedAsItInflates) {
    FrameWriter w(WriterOptions{.client_side = false, .deflate = DeflateParams{}});
    std::string bad;
    w.message(bad, WSMsgType::TEXT, "abc\xed\xa0\x80");
    EXPECT_EQ(error_code(client_reader(DeflateParams{}), bad), 1007);
    std::string trunc;
    w.message(trunc, WSMsgType::TEXT, "abc\xe2\x82");
    EXPECT_EQ(error_code(client_reader(DeflateParams{}), trunc), 1007);
}

// ---------------------------------------------------------------------------
// Handshake

TEST(WsCodecHandshake, AcceptKeyOfTheRfcExample) {
    EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsCodecHandshake, NewKeysAreValidAndFresh) {
    const std::string a = new_key(), b = new_key();
    EXPECT_EQ(a.size(), 24u);
    EXPECT_TRUE(valid_key(a));
    EXPECT_TRUE(valid_key(b));
    EXPECT_NE(a, b);
}

TEST(WsCodecHandshake, ValidKey) {
    EXPECT_TRUE(valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_FALSE(valid_key(""));
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZQ="));     // 23 characters
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZQ==="));   // 25
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZQAA"));    // 18 bytes
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25jZ*=="));    // not base64
    EXPECT_FALSE(valid_key("dGhlIHNhbXBsZSBub25j===="));    // 15 bytes
    EXPECT_FALSE(valid_key("dGhlIHNhbXBs ZSBub25jZQ="));
}

// ---------------------------------------------------------------------------
// Extension negotiation

TEST(WsCodecExtensions, Offer) {
    EXPECT_EQ(deflate_offer(), "permessage-deflate; client_max_window_bits");
    EXPECT_EQ(deflate_offer(true, true),
              "permessage-deflate; client_max_window_bits; client_no_context_takeover; server_no_context_takeover");
    // What a client offers, a server accepts.
    std::string resp;
    auto p = deflate_accept_offer(deflate_offer(true, true), resp);
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->client_no_context_takeover);
    EXPECT_TRUE(p->server_no_context_takeover);
    auto back = deflate_parse_response(resp);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->client_no_context_takeover);
    EXPECT_TRUE(back->server_no_context_takeover);
}

TEST(WsCodecExtensions, ServerAccepts) {
    struct Case {
        const char* header;
        const char* response;
        DeflateParams params;
    };
    const Case cases[] = {
        {"permessage-deflate", "permessage-deflate", {}},
        {"permessage-deflate; client_max_window_bits", "permessage-deflate", {}},
        {"permessage-deflate; client_max_window_bits=10", "permessage-deflate; client_max_window_bits=10",
         {.client_max_window_bits = 10}},
        {"permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9",
         {.server_max_window_bits = 9}},
        {"permessage-deflate; server_max_window_bits=\"12\"", "permessage-deflate; server_max_window_bits=12",
         {.server_max_window_bits = 12}},
        {"  PerMessage-Deflate ;server_no_context_takeover\t;  client_no_context_takeover  ",
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
         {.server_no_context_takeover = true, .client_no_context_takeover = true}},
        {"x-webkit-deflate-frame, permessage-deflate; unknown, permessage-deflate; server_max_window_bits=8, "
         "permessage-deflate; server_no_context_takeover; server_no_context_takeover, "
         "permessage-deflate; server_max_window_bits=11; client_max_window_bits",
         "permessage-deflate; server_max_window_bits=11", {.server_max_window_bits = 11}},
        {", ,permessage-deflate,", "permessage-deflate", {}},
    };
    for (const Case& c : cases) {
        std::string resp = "stale";
        auto p = deflate_accept_offer(c.header, resp);
        ASSERT_TRUE(p) << c.header;
        EXPECT_EQ(resp, c.response) << c.header;
        EXPECT_EQ(p->server_no_context_takeover, c.params.server_no_context_takeover) << c.header;
        EXPECT_EQ(p->client_no_context_takeover, c.params.client_no_context_takeover) << c.header;
        EXPECT_EQ(p->server_max_window_bits, c.params.server_max_window_bits) << c.header;
        EXPECT_EQ(p->client_max_window_bits, c.params.client_max_window_bits) << c.header;
    }
}

TEST(WsCodecExtensions, ServerDeclines) {
    const char* headers[] = {
        "",
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits=8",
        "permessage-deflate; client_max_window_bits=8",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; mystery",
        // Malformed: the whole header is ignored.
        "permessage-deflate;",
        "permessage-deflate; =1",
        "permessage-deflate; server_max_window_bits=\"10",
        "permessage-deflate; server_max_window_bits=\"\"",
        "permessage-deflate server_no_context_takeover",
        "permessage-deflate, x; a=\"b,c\"",
    };
    for (const char* h : headers) {
        std::string resp = "stale";
        EXPECT_FALSE(deflate_accept_offer(h, resp)) << h;
        EXPECT_EQ(resp, "") << h;
    }
}

TEST(WsCodecExtensions, ClientReadsTheAnswer) {
    EXPECT_FALSE(deflate_parse_response(""));
    EXPECT_FALSE(deflate_parse_response("  "));
    auto p = deflate_parse_response("permessage-deflate");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->server_max_window_bits, 15);
    EXPECT_FALSE(p->server_no_context_takeover);
    p = deflate_parse_response(
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits=\"12\"");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->server_no_context_takeover);
    EXPECT_TRUE(p->client_no_context_takeover);
    EXPECT_EQ(p->server_max_window_bits, 10);
    EXPECT_EQ(p->client_max_window_bits, 12);
}

TEST(WsCodecExtensions, ClientRefusesABadAnswer) {
    const char* headers[] = {
        "x-webkit-deflate-frame",
        "permessage-deflate, permessage-deflate",
        "permessage-deflate; client_max_window_bits",  // the answer must give a value
        "permessage-deflate; server_max_window_bits=8",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=yes",
        "permessage-deflate; mystery",
        "permessage-deflate;",
        "permessage-deflate; server_max_window_bits=\"9",
    };
    for (const char* h : headers) {
        try {
            deflate_parse_response(h);
            ADD_FAILURE() << "accepted: " << h;
        } catch (const WebSocketError& e) {
            EXPECT_EQ(e.code(), WSCloseCode::PROTOCOL_ERROR) << h;
        }
    }
}

// ---------------------------------------------------------------------------
// Close codes and the public types

TEST(WsCodecCloseCodes, Valid) {
    for (int c : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
        EXPECT_TRUE(valid_close_code(static_cast<std::uint16_t>(c))) << c;
    }
    for (int c : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
        EXPECT_FALSE(valid_close_code(static_cast<std::uint16_t>(c))) << c;
    }
}

TEST(WsMessage, TypeNames) {
    EXPECT_EQ(to_string(WSMsgType::CONTINUATION), "CONTINUATION");
    EXPECT_EQ(to_string(WSMsgType::TEXT), "TEXT");
    EXPECT_EQ(to_string(WSMsgType::BINARY), "BINARY");
    EXPECT_EQ(to_string(WSMsgType::CLOSE), "CLOSE");
    EXPECT_EQ(to_string(WSMsgType::PING), "PING");
    EXPECT_EQ(to_string(WSMsgType::PONG), "PONG");
    EXPECT_EQ(to_string(WSMsgType::CLOSING), "CLOSING");
    EXPECT_EQ(to_string(WSMsgType::CLOSED), "CLOSED");
    EXPECT_EQ(to_string(WSMsgType::ERROR), "ERROR");
}

TEST(WsMessage, JsonParsesTheText) {
    WSMessage m;
    m.type = WSMsgType::TEXT;
    m.data = R"({"a": [1, "two"]})";
    aio::json::Value v = m.json();
    EXPECT_EQ(v["a"][0].as_int(), 1);
    EXPECT_EQ(v["a"][1].as_string(), "two");
    m.data = "{not json";
    EXPECT_THROW(m.json(), aio::json::JSONDecodeError);
}
