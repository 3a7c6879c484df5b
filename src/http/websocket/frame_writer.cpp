// FrameWriter: messages to frames (RFC 6455 section 5, RFC 7692 section 7.2.1),
// with client masking keys drawn from a buffered CSPRNG.
#include "http/websocket/codec.hpp"
#include "http/websocket/mask.hpp"

#include <openssl/rand.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace aio::http::ws {

namespace {

// Masking keys come from a per-thread pool of CSPRNG bytes refilled 4 KiB at
// a time: one RAND_bytes call per 1024 frames instead of one per frame.
constexpr std::size_t kKeyPoolBytes = 4096;
struct MaskKeyPool {
    std::uint8_t bytes[kKeyPoolBytes];
    std::size_t pos = kKeyPoolBytes;
};
thread_local MaskKeyPool mask_key_pool;

void next_mask_key(std::uint8_t key[4]) {
    MaskKeyPool& pool = mask_key_pool;
    if (pool.pos + 4 > kKeyPoolBytes) {
        if (RAND_bytes(pool.bytes, static_cast<int>(kKeyPoolBytes)) != 1)
            throw aio::RuntimeError("WebSocket masking key: the CSPRNG (RAND_bytes) failed");
        pool.pos = 0;
    }
    std::memcpy(key, pool.bytes + pool.pos, 4);
    pool.pos += 4;
}

// A compression buffer grown past this is released after its message, so
// that one big message does not pin its size for the connection's life.
constexpr std::size_t kKeepCompressBuffer = 256 * 1024;

}  // namespace

struct FrameWriter::State {
    explicit State(WriterOptions o) : opts(std::move(o)) {}
    ~State() {
        if (z_init) deflateEnd(&z);
    }
    void frame(std::string& out, std::uint8_t first_byte, std::string_view payload);
    std::string_view compress(std::string_view payload);

    WriterOptions opts;
    z_stream z{};
    bool z_init = false;
    std::string zbuf;  // the compressed message
};

void FrameWriter::State::frame(std::string& out, std::uint8_t first_byte, std::string_view payload) {
    const bool mask = opts.client_side;
    std::uint8_t h[14];
    h[0] = first_byte;
    const std::uint8_t mbit = mask ? 0x80 : 0x00;
    std::size_t hl;
    const std::uint64_t len = payload.size();
    if (len <= 125) {
        h[1] = static_cast<std::uint8_t>(mbit | len);
        hl = 2;
    } else if (len <= 0xFFFF) {
        h[1] = mbit | 126;
        h[2] = static_cast<std::uint8_t>(len >> 8);
        h[3] = static_cast<std::uint8_t>(len);
        hl = 4;
    } else {
        h[1] = mbit | 127;
        for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<std::uint8_t>(len >> (56 - 8 * i));
        hl = 10;
    }
    std::uint8_t key[4];
    if (mask) {
        next_mask_key(key);
        std::memcpy(h + hl, key, 4);
        hl += 4;
    }
    const std::size_t old = out.size();
    out.resize(old + hl + payload.size());
    auto* dst = reinterpret_cast<std::uint8_t*>(out.data()) + old;
    std::memcpy(dst, h, hl);
    const auto* src = reinterpret_cast<const std::uint8_t*>(payload.data());
    if (mask) {
        detail::mask_copy(dst + hl, src, payload.size(), key, 0);
    } else if (!payload.empty()) {
        std::memcpy(dst + hl, src, payload.size());
    }
}

std::string_view FrameWriter::State::compress(std::string_view payload) {
    const DeflateParams& p = *opts.deflate;
    // This side's parameters: the server's when writing as a server.
    const bool no_takeover = opts.client_side ? p.client_no_context_takeover : p.server_no_context_takeover;
    const int bits = std::clamp(opts.client_side ? p.client_max_window_bits : p.server_max_window_bits, 9, 15);
    if (!z_init) {
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::bad_alloc();
        z_init = true;
    }
    zbuf.clear();
    const auto* in = reinterpret_cast<const Bytef*>(payload.data());
    std::size_t left = payload.size();
    for (;;) {
        // avail_in is 32 bits: feed at most 1 GiB at a time, flushing after the last.
        const std::size_t chunk = std::min<std::size_t>(left, std::size_t{1} << 30);
        z.next_in = const_cast<Bytef*>(in);
        z.avail_in = static_cast<uInt>(chunk);
        in += chunk;
        left -= chunk;
        const int flush = left == 0 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        do {
            const std::size_t old = zbuf.size();
            const std::size_t room = std::max<std::size_t>(deflateBound(&z, z.avail_in) + 16, 256);
            zbuf.resize(old + room);
            z.next_out = reinterpret_cast<Bytef*>(zbuf.data() + old);
            z.avail_out = static_cast<uInt>(room);
            const int r = deflate(&z, flush);
            if (r != Z_OK && r != Z_BUF_ERROR) throw aio::RuntimeError("permessage-deflate: deflate failed");
            zbuf.resize(old + room - z.avail_out);
        } while (z.avail_out == 0 || z.avail_in != 0);
        if (left == 0) break;
    }
    // A sync flush ends with an empty stored block, 00 00 ff ff, which the
    // receiver appends again (RFC 7692 7.2.1).
    std::string_view body = zbuf;
    if (body.size() >= 4 && body.substr(body.size() - 4) == std::string_view("\x00\x00\xff\xff", 4))
        body.remove_suffix(4);
    // A flush with nothing new emits nothing; an empty message is then the
    // single byte 00 (RFC 7692 7.2.3.6), which with the receiver's 00 00 ff ff
    // is an empty stored block.
    if (body.empty()) {
        zbuf.assign(1, '\0');
        body = zbuf;
    }
    if (no_takeover) deflateReset(&z);
    return body;
}

FrameWriter::FrameWriter(WriterOptions opts) : s_(std::make_unique<State>(std::move(opts))) {}
FrameWriter::~FrameWriter() = default;
FrameWriter::FrameWriter(FrameWriter&&) noexcept = default;
FrameWriter& FrameWriter::operator=(FrameWriter&&) noexcept = default;

void FrameWriter::message(std::string& out, WSMsgType type, std::string_view payload, bool compress) {
    State& s = *s_;
    switch (type) {
        case WSMsgType::TEXT:
        case WSMsgType::BINARY:
            if (compress && s.opts.deflate) {
                const std::string_view body = s.compress(payload);
                s.frame(out, static_cast<std::uint8_t>(0x80 | 0x40 | static_cast<std::uint8_t>(type)), body);
                if (s.zbuf.capacity() > kKeepCompressBuffer) s.zbuf = std::string();
                return;
            }
            break;
        case WSMsgType::PING:
        case WSMsgType::PONG:
            if (payload.size() > 125)
                throw aio::ValueError("WebSocket " + std::string(to_string(type)) + " payload over 125 bytes (" +
                                      std::to_string(payload.size()) + ")");
            break;
        default:
            throw aio::ValueError("FrameWriter::message: type " + std::string(to_string(type)) +
                                  " is not TEXT, BINARY, PING or PONG");
    }
    s.frame(out, static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(type)), payload);
}

void FrameWriter::close(std::string& out, std::uint16_t code, std::string_view reason) {
    if (reason.size() > 123)
        throw aio::ValueError("WebSocket close reason over 123 bytes (" + std::to_string(reason.size()) + ")");
    if (code == 0 && !reason.empty()) throw aio::ValueError("WebSocket close reason without a close code");
    char payload[125];
    std::size_t n = 0;
    if (code != 0) {
        payload[0] = static_cast<char>(code >> 8);
        payload[1] = static_cast<char>(code & 0xFF);
        if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
        n = 2 + reason.size();
    }
    s_->frame(out, 0x80 | 0x08, std::string_view(payload, n));
}

}  // namespace aio::http::ws
