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

#include <aio/exceptions.hpp>
#include <aio/json.hpp>

#include <cstdint>
#include <exception>
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
    /// receive() after this side sent its close frame and before the peer's.
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
    WSMsgType type = WSMsgType::CLOSED;
    std::string data{};
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
    WebSocketError(WSCloseCode code, std::string message)
        : aio::Exception(message), code_(code), message_(std::move(message)) {}
    WSCloseCode code() const noexcept { return code_; }
    /// What was wrong.
    const std::string& message() const noexcept { return message_; }

private:
    WSCloseCode code_;
    std::string message_;
};

}  // namespace aio::http
