// FrameReader: received bytes to whole messages (RFC 6455 section 5, RFC 7692
// section 7.2.2), incrementally and independent of how the bytes are split.
#include "http/websocket/codec.hpp"
#include "http/websocket/mask.hpp"
#include "http/websocket/utf8.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace aio::http::ws {

namespace {

// Inflated bytes produced per step: the most a compressed message can
// allocate beyond max_msg_size before it is refused.
constexpr std::size_t kInflateStep = 64 * 1024;
// Masked compressed input is unmasked into a scratch buffer this many bytes at
// a time before it is inflated.
constexpr std::size_t kUnmaskStep = 16 * 1024;

constexpr std::uint8_t kOpContinuation = 0x0, kOpText = 0x1, kOpBinary = 0x2, kOpClose = 0x8, kOpPing = 0x9,
                       kOpPong = 0xA;

[[noreturn]] void reader_fail(WSCloseCode code, const char* what) { throw WebSocketError(code, what); }

/// The bytes of a frame header once `have` bytes of it are known (2 + the
/// extended length + the key); 0 while fewer than 2 are.
std::size_t reader_header_size(const std::uint8_t* h, std::size_t have) noexcept {
    if (have < 2) return 0;
    const std::uint8_t len7 = h[1] & 0x7F;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((h[1] & 0x80) ? 4 : 0);
}

}  // namespace

bool valid_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

struct FrameReader::State {
    explicit State(ReaderOptions o) : opts(std::move(o)) {}
    ~State() {
        if (z_init) inflateEnd(&z);
    }

    void run(const std::uint8_t* p, std::size_t n, std::deque<WSMessage>& out);
    void check_start(std::uint8_t b0, std::uint8_t b1) const;
    void begin_frame(const std::uint8_t* h);
    void payload(const std::uint8_t* p, std::size_t n);
    void end_frame(std::deque<WSMessage>& out);
    void end_control(std::deque<WSMessage>& out);
    void inflate_bytes(const std::uint8_t* in, std::size_t n);
    void append_data(const std::uint8_t* p, std::size_t n);

    ReaderOptions opts;

    // Set once feed() threw: the error every later feed() throws.
    bool failed = false;
    WSCloseCode error_code = WSCloseCode::PROTOCOL_ERROR;
    std::string error_message;
    bool closed = false;

    // The frame header being read, when it arrives in pieces.
    std::uint8_t hdr[14];
    std::size_t hdr_have = 0;
    bool in_payload = false;

    // The frame whose payload is being read.
    std::uint8_t opcode = 0;
    bool fin = false;
    bool masked = false;
    std::uint8_t key[4] = {};
    std::uint32_t key_pos = 0;
    std::uint64_t remaining = 0;

    // The data message being assembled.
    bool in_message = false;
    bool compressed = false;
    WSMsgType msg_type = WSMsgType::BINARY;
    std::string msg;
    std::uint64_t declared = 0;  // payload bytes announced so far (uncompressed messages)
    detail::Utf8Validator utf8;

    // The control frame being read (at most 125 bytes).
    std::string ctrl;

    // permessage-deflate.
    z_stream z{};
    bool z_init = false;
    bool z_ended = false;  // the message's deflate stream had a final block
    std::unique_ptr<std::uint8_t[]> scratch;  // kUnmaskStep + kInflateStep bytes
};

void FrameReader::State::run(const std::uint8_t* p, std::size_t n, std::deque<WSMessage>& out) {
    while (n > 0 && !closed) {
        if (!in_payload) {
            if (hdr_have == 0) {
                // Fast path: the whole header is here; read it in place.
                const std::size_t need = reader_header_size(p, n);
                if (need != 0 && n >= need) {
                    check_start(p[0], p[1]);
                    begin_frame(p);
                    p += need;
                    n -= need;
                    if (remaining == 0) end_frame(out);
                    continue;
                }
            }
            // The header arrives in pieces: gather it.
            if (hdr_have < 2) {
                const std::size_t take = std::min<std::size_t>(2 - hdr_have, n);
                std::memcpy(hdr + hdr_have, p, take);
                hdr_have += take;
                p += take;
                n -= take;
                if (hdr_have < 2) break;
                // The first two bytes are judged at once (e.g. a control
                // frame's length), before the rest of the header arrives.
                check_start(hdr[0], hdr[1]);
            }
            const std::size_t need = reader_header_size(hdr, hdr_have);
            const std::size_t take = std::min(need - hdr_have, n);
            std::memcpy(hdr + hdr_have, p, take);
            hdr_have += take;
            p += take;
            n -= take;
            if (hdr_have < need) break;
            hdr_have = 0;
            begin_frame(hdr);
            if (remaining == 0) end_frame(out);
            continue;
        }
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, n));
        payload(p, take);
        p += take;
        n -= take;
        remaining -= take;
        if (remaining == 0) end_frame(out);
    }
}

void FrameReader::State::check_start(std::uint8_t b0, std::uint8_t b1) const {
    const bool f = b0 & 0x80;
    const bool rsv1 = b0 & 0x40;
    const std::uint8_t op = b0 & 0x0F;
    if (b0 & 0x30) reader_fail(WSCloseCode::PROTOCOL_ERROR, "reserved bit RSV2 or RSV3 set");
    const bool control = op & 0x08;
    switch (op) {
        case kOpContinuation: case kOpText: case kOpBinary: case kOpClose: case kOpPing: case kOpPong:
            break;
        default:
            reader_fail(WSCloseCode::PROTOCOL_ERROR, "reserved opcode");
    }
    const std::uint8_t len7 = b1 & 0x7F;
    if (control) {
        if (!f) reader_fail(WSCloseCode::PROTOCOL_ERROR, "fragmented control frame");
        if (len7 > 125) reader_fail(WSCloseCode::PROTOCOL_ERROR, "control frame payload over 125 bytes");
        if (rsv1) reader_fail(WSCloseCode::PROTOCOL_ERROR, "RSV1 set on a control frame");
    } else if (op == kOpContinuation) {
        if (!in_message) reader_fail(WSCloseCode::PROTOCOL_ERROR, "continuation frame without a message to continue");
        if (rsv1) reader_fail(WSCloseCode::PROTOCOL_ERROR, "RSV1 set on a continuation frame");
    } else {
        if (in_message) reader_fail(WSCloseCode::PROTOCOL_ERROR, "new data frame inside a fragmented message");
        if (rsv1 && !opts.deflate) reader_fail(WSCloseCode::PROTOCOL_ERROR, "RSV1 set without permessage-deflate");
    }
    const bool m = b1 & 0x80;
    if (opts.server_side && !m) reader_fail(WSCloseCode::PROTOCOL_ERROR, "unmasked frame from a client");
    if (!opts.server_side && m) reader_fail(WSCloseCode::PROTOCOL_ERROR, "masked frame from a server");
}

void FrameReader::State::begin_frame(const std::uint8_t* h) {
    const std::uint8_t b0 = h[0], b1 = h[1];
    const bool f = b0 & 0x80;
    const bool rsv1 = b0 & 0x40;
    const std::uint8_t op = b0 & 0x0F;
    const bool control = op & 0x08;
    const std::uint8_t len7 = b1 & 0x7F;
    const bool m = b1 & 0x80;
    std::uint64_t len = len7;
    std::size_t at = 2;
    if (len7 == 126) {
        len = (std::uint64_t{h[2]} << 8) | h[3];
        at = 4;
    } else if (len7 == 127) {
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | h[2 + i];
        at = 10;
        if (len >> 63) reader_fail(WSCloseCode::PROTOCOL_ERROR, "64-bit payload length with the top bit set");
    }
    if (m) std::memcpy(key, h + at, 4);

    if (!control) {
        if (op != kOpContinuation) {
            in_message = true;
            compressed = rsv1;
            msg_type = op == kOpText ? WSMsgType::TEXT : WSMsgType::BINARY;
            msg.clear();
            declared = 0;
            utf8.reset();
        }
        // Uncompressed: refused on the announced length, before any byte of it.
        const std::uint64_t max = opts.max_msg_size;
        if (!compressed && max != 0 && len > max - declared)
            reader_fail(WSCloseCode::MESSAGE_TOO_BIG, "message over max_msg_size");
        declared += len;
    } else {
        ctrl.clear();
    }
    opcode = op;
    fin = f;
    masked = m;
    key_pos = 0;
    remaining = len;
    in_payload = true;
}

void FrameReader::State::append_data(const std::uint8_t* p, std::size_t n) {
    // Only uncompressed messages come here; their size was checked against
    // max_msg_size from the frame header. A whole frame is unmasked straight
    // into the message, with one allocation for an unfragmented message.
    const std::size_t old = msg.size();
    msg.resize(old + n);
    auto* dst = reinterpret_cast<std::uint8_t*>(msg.data()) + old;
    if (masked) {
        key_pos = detail::mask_copy(dst, p, n, key, key_pos);
    } else {
        std::memcpy(dst, p, n);
    }
    if (msg_type == WSMsgType::TEXT && !utf8.feed(dst, n))
        reader_fail(WSCloseCode::INVALID_TEXT, "invalid UTF-8 in a text message");
}

void FrameReader::State::payload(const std::uint8_t* p, std::size_t n) {
    if (n == 0) return;
    if (opcode & 0x08) {
        const std::size_t old = ctrl.size();
        ctrl.resize(old + n);
        auto* dst = reinterpret_cast<std::uint8_t*>(ctrl.data()) + old;
        if (masked) {
            key_pos = detail::mask_copy(dst, p, n, key, key_pos);
        } else {
            std::memcpy(dst, p, n);
        }
        return;
    }
    if (!compressed) {
        append_data(p, n);
        return;
    }
    if (!masked) {
        inflate_bytes(p, n);
        return;
    }
    if (!scratch) scratch.reset(new std::uint8_t[kUnmaskStep + kInflateStep]);
    while (n > 0) {
        const std::size_t take = std::min(n, kUnmaskStep);
        key_pos = detail::mask_copy(scratch.get(), p, take, key, key_pos);
        inflate_bytes(scratch.get(), take);
        p += take;
        n -= take;
    }
}

void FrameReader::State::inflate_bytes(const std::uint8_t* in, std::size_t n) {
    if (z_ended) return;  // after a final deflate block the rest of the message means nothing
    if (!z_init) {
        // Window 15 reads whatever window the peer chose.
        if (inflateInit2(&z, -15) != Z_OK) throw std::bad_alloc();
        z_init = true;
    }
    if (!scratch) scratch.reset(new std::uint8_t[kUnmaskStep + kInflateStep]);
    std::uint8_t* const outbuf = scratch.get() + kUnmaskStep;
    const std::uint64_t max = opts.max_msg_size;
    for (;;) {
        // Feed at most 1 GiB at a time (avail_in is 32 bits).
        if (z.avail_in == 0 && n > 0) {
            const std::size_t chunk = std::min<std::size_t>(n, std::size_t{1} << 30);
            z.next_in = const_cast<Bytef*>(in);
            z.avail_in = static_cast<uInt>(chunk);
            in += chunk;
            n -= chunk;
        }
        // One bounded step: never more than max_msg_size + 1 bytes in all, so
        // that a byte over the limit is seen, but nothing beyond it is made.
        // (max + 1 is not computed: it wraps to 0 for a max_msg_size of
        // UINT64_MAX, and a step of 0 bytes would never end.)
        std::size_t step = kInflateStep;
        if (max != 0 && max - msg.size() < step) step = static_cast<std::size_t>(max - msg.size()) + 1;
        z.next_out = outbuf;
        z.avail_out = static_cast<uInt>(step);
        const int r = inflate(&z, Z_SYNC_FLUSH);
        if (r == Z_MEM_ERROR) throw std::bad_alloc();
        // What was inflated before an error is judged first, as it would be
        // had the input come in smaller pieces.
        const std::size_t produced = step - z.avail_out;
        if (msg_type == WSMsgType::TEXT && !utf8.feed(outbuf, produced))
            reader_fail(WSCloseCode::INVALID_TEXT, "invalid UTF-8 in a text message");
        if (max != 0 && msg.size() + produced > max)
            reader_fail(WSCloseCode::MESSAGE_TOO_BIG, "message over max_msg_size");
        if (produced != 0) {
            // Grow geometrically but never past max_msg_size.
            const std::size_t need = msg.size() + produced;
            if (need > msg.capacity()) {
                std::size_t cap = std::max(need, 2 * msg.capacity());
                if (max != 0) cap = std::min<std::size_t>(cap, static_cast<std::size_t>(max));
                msg.reserve(cap);
            }
            msg.append(reinterpret_cast<const char*>(outbuf), produced);
        }
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
            reader_fail(WSCloseCode::PROTOCOL_ERROR, "invalid compressed data");
        if (r == Z_STREAM_END) {
            z_ended = true;
            z.avail_in = 0;
            return;
        }
        // Done when all input is taken and the step had room to spare (a
        // full step may leave output held back in the inflater).
        if (z.avail_out != 0 && z.avail_in == 0 && n == 0) return;
    }
}

void FrameReader::State::end_control(std::deque<WSMessage>& out) {
    WSMessage m;
    if (opcode == kOpClose) {
        if (ctrl.size() == 1) reader_fail(WSCloseCode::PROTOCOL_ERROR, "close frame with a 1-byte payload");
        m.type = WSMsgType::CLOSE;
        if (ctrl.empty()) {
            m.code = 1005;
        } else {
            const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(ctrl[0]) << 8) |
                                                         static_cast<std::uint8_t>(ctrl[1]));
            if (!valid_close_code(code)) reader_fail(WSCloseCode::PROTOCOL_ERROR, "invalid close code");
            std::string_view reason = std::string_view(ctrl).substr(2);
            if (!valid_utf8(reason)) reader_fail(WSCloseCode::INVALID_TEXT, "invalid UTF-8 in a close reason");
            m.code = code;
            m.extra.assign(reason);
        }
        closed = true;
    } else {
        m.type = opcode == kOpPing ? WSMsgType::PING : WSMsgType::PONG;
        m.data.assign(ctrl);
    }
    out.push_back(std::move(m));
}

void FrameReader::State::end_frame(std::deque<WSMessage>& out) {
    in_payload = false;
    if (opcode & 0x08) {
        end_control(out);
        return;
    }
    if (!fin) return;
    if (compressed) {
        // RFC 7692 7.2.2: the sender removed the 00 00 ff ff of its flush.
        static constexpr std::uint8_t tail[4] = {0x00, 0x00, 0xFF, 0xFF};
        inflate_bytes(tail, sizeof tail);
        const bool peer_no_takeover = opts.server_side ? opts.deflate->client_no_context_takeover
                                                       : opts.deflate->server_no_context_takeover;
        // A final block ends the deflate stream; the next message starts a
        // new one (its window starts empty).
        if (peer_no_takeover || z_ended) inflateReset(&z);
        z_ended = false;
        z.avail_in = 0;
    }
    if (msg_type == WSMsgType::TEXT && !utf8.complete())
        reader_fail(WSCloseCode::INVALID_TEXT, "text message ends inside a UTF-8 sequence");
    in_message = false;
    WSMessage m;
    m.type = msg_type;
    m.data = std::move(msg);
    msg = std::string();
    out.push_back(std::move(m));
}

FrameReader::FrameReader(ReaderOptions opts) : s_(std::make_unique<State>(std::move(opts))) {}
FrameReader::~FrameReader() = default;
FrameReader::FrameReader(FrameReader&&) noexcept = default;
FrameReader& FrameReader::operator=(FrameReader&&) noexcept = default;

void FrameReader::feed(std::string_view data, std::deque<WSMessage>& out) {
    State& s = *s_;
    if (s.failed) throw WebSocketError(s.error_code, s.error_message);
    try {
        s.run(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), out);
    } catch (const WebSocketError& e) {
        s.failed = true;
        s.error_code = e.code();
        s.error_message = e.message();
        throw;
    }
}

bool FrameReader::closed() const noexcept { return s_->closed; }

}  // namespace aio::http::ws
