// aio/web/websocket.hpp — a WebSocket endpoint in a handler (aiohttp.web.WebSocketResponse).
//
//     aio::Task<aio::web::StreamResponse> echo(aio::web::Request& request) {
//         aio::web::WebSocketResponse ws;
//         co_await ws.prepare(request);                    // the 101 handshake
//         auto messages = ws.messages();
//         while (auto msg = co_await messages.next()) {
//             if (msg->type == aio::http::WSMsgType::TEXT) co_await ws.send_str(msg->data);
//         }
//         co_return ws;                                    // closed by then
//     }
//
// Send, receive, ping and close are WebSocketBase's (<aio/http/websocket.hpp>).
// Once prepared, the connection belongs to the WebSocket: the server reads no
// more HTTP requests from it, and closes it when the handler returns (with
// 1000 if the handler did not close it). A graceful server shutdown
// (AppRunner::cleanup) closes every open WebSocket with 1001 GOING_AWAY.
#pragma once

#include <aio/http/websocket.hpp>
#include <aio/web/response.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aio::web {

/// The settings of a WebSocketResponse (aiohttp's keyword arguments).
struct WebSocketOptions {
    /// Seconds as a double; any std::chrono duration converts to it.
    using Seconds = std::chrono::duration<double>;
    /// How long close() waits for the peer's close frame.
    Seconds timeout = std::chrono::seconds(10);
    /// How long receive() waits for a message (none: for ever).
    std::optional<Seconds> receive_timeout{};
    /// Answer a peer's CLOSE with a close frame and close (see WebSocketBase).
    bool autoclose = true;
    /// Answer a PING with a PONG without returning it.
    bool autoping = true;
    /// Ping after this much silence and close if no answer comes (see WebSocketBase).
    std::optional<Seconds> heartbeat{};
    /// The subprotocols this endpoint speaks: the first one the client lists
    /// (in the client's order) that is also here is chosen, as aiohttp does.
    std::vector<std::string> protocols{};
    /// Accept permessage-deflate when the client offers it.
    bool compress = true;
    /// The largest message accepted (0: no limit); larger ones close with 1009.
    std::uint64_t max_msg_size = 4 * 1024 * 1024;
};

/// What can_prepare() finds (aiohttp.web.WebSocketReady).
struct WebSocketReady {
    /// Whether the request is a handshake prepare() would accept.
    bool ok = false;
    /// The subprotocol that would be chosen ("" for none).
    std::string protocol{};
    /// `ok`, so that `if (ws.can_prepare(request))` reads as aiohttp's `if ws.can_prepare(request):`.
    explicit operator bool() const noexcept { return ok; }
};

/// The server's WebSocket (aiohttp.web.WebSocketResponse): a StreamResponse
/// a handler prepares and returns, with WebSocketBase's send and receive.
class WebSocketResponse : public StreamResponse, public http::WebSocketBase {
public:
    /// A WebSocket endpoint with these settings (status 101), not yet prepared.
    explicit WebSocketResponse(WebSocketOptions opts = {});
    /// Takes over another WebSocketResponse (its response and its connection, once prepared); the
    /// moved-from one may then only be destroyed or assigned to.
    WebSocketResponse(WebSocketResponse&&) noexcept;
    /// Lets go of this one's connection as the destructor does, then takes over the other's.
    WebSocketResponse& operator=(WebSocketResponse&&) noexcept;
    ~WebSocketResponse();

    /// Whether `request` is a WebSocket handshake this response could accept
    /// (GET, Upgrade: websocket, Connection: upgrade, version 13, a valid
    /// key), and the subprotocol it would choose. Never throws.
    WebSocketReady can_prepare(const Request& request) const;
    /// Answers the handshake with 101 Switching Protocols (choosing the
    /// subprotocol and permessage-deflate) and takes over the connection.
    /// Throws HTTPMethodNotAllowed for a method other than GET, HTTPBadRequest
    /// for a request that is not a valid WebSocket handshake (saying why),
    /// aio::RuntimeError when prepared already, ConnectionResetError when the
    /// client has gone.
    Task<> prepare(Request& request);
    /// The negotiated subprotocol (aiohttp's ws_protocol).
    const std::string& ws_protocol() const noexcept { return protocol(); }

private:
    WebSocketOptions opts_;
};

}  // namespace aio::web
