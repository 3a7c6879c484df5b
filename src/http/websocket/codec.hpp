// The WebSocket wire format (RFC 6455 framing, RFC 7692 permessage-deflate):
// an incremental reader that turns bytes into whole messages, a writer that
// turns messages into frames, and the handshake's small pieces. No I/O here;
// the client and server sessions (session.hpp) drive these.
#pragma once

#include <aio/http/websocket.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aio::http::ws {

// ---------------------------------------------------------------------------
// permessage-deflate (RFC 7692)

/// The negotiated parameters of permessage-deflate. Window bits are 9..15
/// (zlib cannot make an 8-bit window, so an offer that requires 8 is declined).
struct DeflateParams {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    int server_max_window_bits = 15;
    int client_max_window_bits = 15;
};

/// The Sec-WebSocket-Extensions value a client offers:
/// "permessage-deflate; client_max_window_bits" (plus the no_context_takeover
/// parameters when asked).
std::string deflate_offer(bool client_no_context_takeover = false, bool server_no_context_takeover = false);

/// The server's side: picks the first acceptable permessage-deflate offer of
/// a request's Sec-WebSocket-Extensions value (which may list several
/// extensions and offers). Returns the parameters and sets `response` to the
/// value to answer with; nullopt (and `response` empty) when no offer is
/// acceptable or the header is malformed (then the connection goes
/// uncompressed, as RFC 7692 allows).
std::optional<DeflateParams> deflate_accept_offer(std::string_view extensions_header, std::string& response);

/// The client's side: the parameters of a server's Sec-WebSocket-Extensions
/// answer; nullopt when it names no extension. Throws WebSocketError
/// (PROTOCOL_ERROR) when it names an extension that was not offered, repeats
/// or misspells a parameter, or gives window bits outside 9..15 — the client
/// must then fail the connection (RFC 7692 section 5).
std::optional<DeflateParams> deflate_parse_response(std::string_view extensions_header);

// ---------------------------------------------------------------------------
// Handshake

/// A fresh Sec-WebSocket-Key: 16 random bytes (CSPRNG), base64.
std::string new_key();
/// Sec-WebSocket-Accept for a key: base64(SHA-1(key + RFC 6455's GUID)).
std::string accept_key(std::string_view key);
/// Whether a request's Sec-WebSocket-Key is valid (base64 of 16 bytes).
bool valid_key(std::string_view key) noexcept;

// ---------------------------------------------------------------------------
// Reading

/// What a FrameReader accepts.
struct ReaderOptions {
    /// A server requires masked frames (and refuses unmasked ones with 1002);
    /// a client requires unmasked ones.
    bool server_side = true;
    /// The largest data message (after reassembly and inflation) accepted; 0:
    /// no limit (control frames carry at most 125 bytes whatever the limit).
    /// A larger one is a WebSocketError with MESSAGE_TOO_BIG, raised as soon
    /// as the length is known (the frame header, or the inflated bytes so
    /// far) — never after buffering it.
    std::uint64_t max_msg_size = 4 * 1024 * 1024;
    /// Set when permessage-deflate was negotiated.
    std::optional<DeflateParams> deflate{};
};

/// Turns received bytes into messages, incrementally: feed() takes any split
/// of the stream and yields the same messages as one feed of the whole.
/// Unmasks, reassembles fragments (control frames may come between them),
/// inflates compressed messages, validates the UTF-8 of text messages as it
/// arrives (failing at the first bad byte, also across fragments), and checks
/// every rule of RFC 6455 section 5: reserved bits (RSV1 only on the first
/// frame of a compressed message), opcodes, control frames (≤ 125 bytes, not
/// fragmented), 64-bit lengths (most significant bit clear, the shortest form
/// is not required), close frames (a code that may be sent, a UTF-8 reason).
///
/// Every violation throws WebSocketError with the close code to send:
/// PROTOCOL_ERROR (1002), INVALID_TEXT (1007), MESSAGE_TOO_BIG (1009). After
/// a throw the reader is spent: every further feed() throws the same error.
class FrameReader {
public:
    explicit FrameReader(ReaderOptions opts);
    ~FrameReader();
    FrameReader(FrameReader&&) noexcept;
    FrameReader& operator=(FrameReader&&) noexcept;

    /// Consumes all of `data`; each message it completes is appended to `out`
    /// in order (TEXT, BINARY, PING, PONG or CLOSE; never CONTINUATION). A
    /// CLOSE message has `code` (1005 when the frame had no payload) and
    /// `extra` (the reason). Bytes after a CLOSE frame are ignored.
    void feed(std::string_view data, std::deque<WSMessage>& out);

    /// Whether a CLOSE frame has been read.
    bool closed() const noexcept;

private:
    struct State;
    std::unique_ptr<State> s_;
};

// ---------------------------------------------------------------------------
// Writing

/// What a FrameWriter produces.
struct WriterOptions {
    /// A client masks every frame with a fresh CSPRNG key; a server never does.
    bool client_side = false;
    /// Set when permessage-deflate was negotiated: data messages are compressed.
    std::optional<DeflateParams> deflate{};
};

/// Turns messages into frames.
class FrameWriter {
public:
    explicit FrameWriter(WriterOptions opts);
    ~FrameWriter();
    FrameWriter(FrameWriter&&) noexcept;
    FrameWriter& operator=(FrameWriter&&) noexcept;

    /// Appends one whole message as one frame to `out`. `type` is TEXT,
    /// BINARY (compressed when deflate is on and `compress`), PING or PONG
    /// (payload ≤ 125 bytes, else ValueError). TEXT payloads are not checked
    /// here (the session checks what users send).
    void message(std::string& out, WSMsgType type, std::string_view payload, bool compress = true);
    /// Appends a close frame: `code` (omitted when 0) and `reason` (at most
    /// 123 bytes, else ValueError; a reason without a code is a ValueError).
    void close(std::string& out, std::uint16_t code, std::string_view reason);

private:
    struct State;
    std::unique_ptr<State> s_;
};

// ---------------------------------------------------------------------------
// UTF-8

/// Whether `s` is valid UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

/// Whether a close code may be sent in a close frame (RFC 6455 7.4: 1000-1003,
/// 1007-1014, 3000-4999).
bool valid_close_code(std::uint16_t code) noexcept;

}  // namespace aio::http::ws
