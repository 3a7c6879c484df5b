// aio/http/websocket.hpp — what the WebSocket client and server share
// (aiohttp.http_websocket): message types, close codes, the message, the error.
//
//     for (;;) {
//         aio::http::WSMessage msg = co_await ws.receive();
//         if (msg.type == aio::http::WSMsgType::TEXT) co_await ws.send_str(msg.data);
//         else if (msg.type == aio::http::WSMsgType::BINARY) co_await ws.send_bytes(msg.data);
//         else break;  // CLOSE, CLOSING, CLOSED or ERROR
//     }
//
// The client is aio::http::ClientWebSocketResponse (<aio/http/client/websocket.hpp>,
// from ClientSession::ws_connect), the server aio::web::WebSocketResponse
// (<aio/web/websocket.hpp>). Both speak RFC 6455 with RFC 7692's
// permessage-deflate.
#pragma once

#include <aio/async_generator.hpp>
#include <aio/exceptions.hpp>
#include <aio/json.hpp>
#include <aio/task.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aio::http {

/// The kind of a WSMessage (aiohttp.WSMsgType). The first six are the RFC 6455
/// opcodes; CLOSING, CLOSED and ERROR are states a receive() reports.
enum class WSMsgType : std::uint16_t {
    CONTINUATION = 0x0,
    TEXT = 0x1,
    BINARY = 0x2,
    CLOSE = 0x8,
    PING = 0x9,
    PONG = 0xa,
    /// receive() while close() waits, reading, for the peer's close frame.
    CLOSING = 0x100,
    /// receive() once the connection is closed.
    CLOSED = 0x101,
    /// receive() met an error: WSMessage::error says which.
    ERROR = 0x102,
};

/// The name of a message type ("TEXT", "CLOSE", ...).
std::string_view to_string(WSMsgType type) noexcept;

/// RFC 6455's close codes (aiohttp.WSCloseCode).
enum class WSCloseCode : std::uint16_t {
    OK = 1000,
    GOING_AWAY = 1001,
    PROTOCOL_ERROR = 1002,
    UNSUPPORTED_DATA = 1003,
    ABNORMAL_CLOSURE = 1006,
    INVALID_TEXT = 1007,
    POLICY_VIOLATION = 1008,
    MESSAGE_TOO_BIG = 1009,
    MANDATORY_EXTENSION = 1010,
    INTERNAL_ERROR = 1011,
    SERVICE_RESTART = 1012,
    TRY_AGAIN_LATER = 1013,
    BAD_GATEWAY = 1014,
};

/// One message received (aiohttp.WSMessage). For TEXT, `data` is the text
/// (valid UTF-8); for BINARY, PING and PONG the payload bytes; for CLOSE,
/// `code` is the peer's close code (1005 when its frame had none) and `extra`
/// the reason; for ERROR, `error` is the exception. Strings own their bytes.
struct WSMessage {
    /// What the message is (aiohttp's msg.type); CLOSED for a default-constructed message.
    WSMsgType type = WSMsgType::CLOSED;
    /// The text of a TEXT message, the payload of a BINARY, PING or PONG one; empty otherwise (aiohttp's
    /// msg.data, which holds the exception of an ERROR message: here see `error`).
    std::string data{};
    /// The reason of a CLOSE message (aiohttp's msg.extra); empty otherwise.
    std::string extra{};
    /// The close code of a CLOSE message (0 otherwise).
    std::uint16_t code = 0;
    /// The error of an ERROR message (null otherwise).
    std::exception_ptr error{};

    /// The text parsed as JSON (aiohttp's msg.json()). Throws json::JSONDecodeError.
    json::Value json() const;
};

/// A WebSocket protocol violation by the peer, or a message this side refuses
/// (aiohttp.http_websocket.WebSocketError). `code()` is the close code sent
/// for it: 1002 protocol error, 1007 invalid UTF-8, 1009 message too big.
class WebSocketError : public aio::Exception {
public:
    /// A violation to answer with close code `code`; `message` says what was wrong (also what()).
    WebSocketError(WSCloseCode code, std::string message)
        : aio::Exception(message), code_(code), message_(std::move(message)) {}
    /// The close code sent for it (1002 protocol error, 1007 invalid UTF-8, 1009 message too big).
    WSCloseCode code() const noexcept { return code_; }
    /// What was wrong.
    const std::string& message() const noexcept { return message_; }

private:
    WSCloseCode code_;
    std::string message_;
};

namespace detail {
class WebSocketSession;
}

/// What both ends of a WebSocket do once the handshake is over: send,
/// receive, ping, close (the methods aiohttp's ClientWebSocketResponse and
/// web.WebSocketResponse share). Move-only; a moved-from object is closed.
///
/// Sending: each send_* call writes one whole frame into the connection's
/// buffer before it first suspends, so frames of concurrent senders never
/// interleave, and the argument is not needed after the call returns its
/// Task. The Task then waits while the peer reads slower than this side
/// writes (backpressure, as drain()). Sends after close() or after the
/// connection failed throw aio::ConnectionResetError ("Cannot write to
/// closing transport", as aiohttp).
///
/// Receiving: one receive() at a time (a second concurrent one throws
/// aio::RuntimeError). With `autoping` a PING is answered with a PONG and
/// not returned; with `autoclose` a peer's CLOSE is answered with a close
/// frame and the connection closed before the CLOSE message is returned.
/// After that, receive() returns CLOSED. A receive() that runs while this
/// side closes goes on delivering what the peer sent before its close frame,
/// then the peer's CLOSE (close() waits for it). A peer's protocol violation makes
/// this side send the matching close code (1002, 1007, 1009), close, and
/// return an ERROR message whose `error` is the WebSocketError; the same
/// exception is kept in exception(). A connection that ends without a close
/// frame returns CLOSED (close_code() 1006); one that fails (a reset) returns
/// ERROR with the aio::OSError.
///
/// Heartbeat: when set, this side sends a PING every `heartbeat` seconds of
/// silence and, if no PONG (or any other frame) arrives within half of that,
/// closes with 1006 (ABNORMAL_CLOSURE); receive() then returns CLOSED and
/// exception() is a aio::TimeoutError. The PONG is seen by whatever
/// receive() runs, so a program using heartbeat keeps a receive() pending.
class WebSocketBase {
public:
    /// A timeout in seconds, fractions allowed (aiohttp's float seconds).
    using Seconds = std::chrono::duration<double>;

    /// Takes over the connection; the moved-from object acts as closed: closed() is true, sends throw
    /// aio::ConnectionResetError, receive() returns CLOSED.
    WebSocketBase(WebSocketBase&&) noexcept;
    /// Lets go of the connection held (as the destructor does), then takes over the other's; the
    /// moved-from object acts as closed.
    WebSocketBase& operator=(WebSocketBase&&) noexcept;
    /// Lets go of the connection. When the last owner lets go of an open one
    /// it is aborted (no close handshake); a server's WebSocketResponse is
    /// also owned by its server, which closes it with 1000 once the handler
    /// returns.
    ~WebSocketBase();

    /// Sends a TEXT message. Throws aio::ValueError for invalid UTF-8.
    Task<> send_str(std::string_view data);
    /// The same; `compress` false sends this message uncompressed even when
    /// permessage-deflate was negotiated (true compresses it only if it was).
    Task<> send_str(std::string_view data, bool compress);
    /// Sends a BINARY message.
    Task<> send_bytes(std::string_view data);
    /// The same, with `compress` as for send_str().
    Task<> send_bytes(std::string_view data, bool compress);
    /// Sends `data` serialised as json.dumps does, as a TEXT message.
    Task<> send_json(const json::Value& data);
    /// Sends a PING (payload at most 125 bytes, else aio::ValueError).
    Task<> ping(std::string_view payload = {});
    /// Sends a PONG, e.g. an unsolicited one as a one-way heartbeat (payload at
    /// most 125 bytes, else aio::ValueError).
    Task<> pong(std::string_view payload = {});

    /// Starts the close handshake with `code` and `message` (at most 123
    /// bytes) and waits, at most the close timeout, for the peer's close
    /// frame (reading and dropping data messages meanwhile unless a
    /// receive() runs, which then gets them); then closes the connection.
    /// Returns true if this call closed it, false if it was closed already.
    /// Throws aio::ValueError for a code that may not be sent (see
    /// RFC 6455 7.4: 1000-1003, 1007-1014, 3000-4999; code 0 sends a close
    /// frame without a code, and then no message), and for a message over
    /// 123 bytes or not valid UTF-8. Without arguments the code is 1000
    /// (WSCloseCode::OK) and the message empty.
    Task<bool> close();
    /// close() with a code of WSCloseCode and `message` (at most 123 bytes of UTF-8).
    Task<bool> close(WSCloseCode code, std::string_view message = {});
    /// close() with a numeric code (aio::ValueError for one that may not be
    /// sent, 0 for none) and `message`.
    Task<bool> close(int code, std::string_view message = {});

    /// The next message (see the class comment), waiting at most the
    /// receive timeout of the options (none by default) or `timeout`: past
    /// it, aio::TimeoutError, and the connection stays usable.
    Task<WSMessage> receive();
    /// receive() waiting at most `timeout`, whatever the options say.
    Task<WSMessage> receive(Seconds timeout);
    /// The next message's text; aio::TypeError if it is not TEXT.
    Task<std::string> receive_str();
    /// The next message's bytes; aio::TypeError if it is not BINARY.
    Task<std::string> receive_bytes();
    /// The next TEXT (or BINARY) message parsed as JSON.
    Task<json::Value> receive_json();
    /// `async for msg in ws`: yields TEXT, BINARY (and PING/PONG when
    /// autoping is off) messages; ends at CLOSE, CLOSING or CLOSED; an
    /// ERROR message is yielded and ends the iteration.
    AsyncGenerator<WSMessage> messages();

    /// Whether the close handshake has finished or the connection is gone.
    bool closed() const noexcept;
    /// The close code: the peer's (or 1006 when the connection was lost, or
    /// the one sent for an error); nullopt while open.
    std::optional<int> close_code() const noexcept;
    /// The exception that ended the connection, if one did.
    std::exception_ptr exception() const noexcept;
    /// The negotiated subprotocol ("" when none).
    const std::string& protocol() const noexcept;
    /// The window bits of the negotiated permessage-deflate (0: not compressed;
    /// aiohttp's `compress`).
    int compress() const noexcept;

protected:
    WebSocketBase() noexcept;
    /// Wraps the session of a connection whose handshake is done (for ClientWebSocketResponse and
    /// WebSocketResponse).
    explicit WebSocketBase(std::shared_ptr<detail::WebSocketSession> s) noexcept;
    /// The connection's state, shared with the tasks that run it; null in a moved-from object, which then
    /// acts as closed.
    std::shared_ptr<detail::WebSocketSession> s_;
};

}  // namespace aio::http
