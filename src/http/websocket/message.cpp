// The out-of-line members of the public WebSocket types (aio/http/websocket.hpp).
#include <aio/http/websocket.hpp>

namespace aio::http {

std::string_view to_string(WSMsgType type) noexcept {
    switch (type) {
        case WSMsgType::CONTINUATION: return "CONTINUATION";
        case WSMsgType::TEXT: return "TEXT";
        case WSMsgType::BINARY: return "BINARY";
        case WSMsgType::CLOSE: return "CLOSE";
        case WSMsgType::PING: return "PING";
        case WSMsgType::PONG: return "PONG";
        case WSMsgType::CLOSING: return "CLOSING";
        case WSMsgType::CLOSED: return "CLOSED";
        case WSMsgType::ERROR: return "ERROR";
    }
    return "UNKNOWN";
}

json::Value WSMessage::json() const { return json::loads(data); }

}  // namespace aio::http
