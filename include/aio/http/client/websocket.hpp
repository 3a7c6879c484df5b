// aio/http/client/websocket.hpp — the client's WebSocket (aiohttp's
// ClientSession.ws_connect and ClientWebSocketResponse).
//
//     aio::http::ClientSession session;
//     auto ws = co_await session.ws_connect("wss://feed.example/stream");
//     co_await ws.send_json(aio::json::Object{{"subscribe", "ticks"}});
//     auto messages = ws.messages();
//     while (auto msg = co_await messages.next()) handle(msg->data);
//     co_await ws.close();
//
// Send, receive, ping and close are WebSocketBase's (<aio/http/websocket.hpp>).
// The handshake is an ordinary request of the session: its headers, cookies,
// auth, proxy and TLS settings apply, and redirects are followed. Once open,
// the connection leaves the session's pool: it belongs to the
// ClientWebSocketResponse, which may outlive neither the loop nor, while
// open, the session.
#pragma once

#include <aio/http/client/auth.hpp>
#include <aio/http/errors.hpp>
#include <aio/http/headers.hpp>
#include <aio/http/multidict.hpp>
#include <aio/http/websocket.hpp>
#include <aio/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aio::http {

/// The timeouts of a client WebSocket (aiohttp.ClientWSTimeout).
struct ClientWSTimeout {
    /// Seconds as a double; any std::chrono duration converts to it.
    using Seconds = std::chrono::duration<double>;
    /// How long receive() waits for a message (none: for ever).
    std::optional<Seconds> ws_receive{};
    /// How long close() waits for the server's close frame.
    std::optional<Seconds> ws_close = std::chrono::seconds(10);
};

/// The settings of ws_connect (aiohttp's keyword arguments).
struct WSConnectOptions {
    /// Seconds as a double; any std::chrono duration converts to it.
    using Seconds = std::chrono::duration<double>;
    /// Subprotocols offered, preferred first (Sec-WebSocket-Protocol).
    std::vector<std::string> protocols{};
    /// The receive and close timeouts of the WebSocket (aiohttp's timeout=ClientWSTimeout(...)).
    ClientWSTimeout timeout{};
    /// Replaces timeout.ws_receive when set (aiohttp's receive_timeout).
    std::optional<Seconds> receive_timeout{};
    /// Answer the server's CLOSE with a close frame and close (see WebSocketBase).
    bool autoclose = true;
    /// Answer a PING with a PONG without returning it.
    bool autoping = true;
    /// Ping after this much silence and close if no answer comes (see WebSocketBase).
    std::optional<Seconds> heartbeat{};
    /// The Origin header.
    std::string origin{};
    /// Extra handshake headers (the session's apply too).
    Headers headers{};
    /// Query parameters added to the URL.
    MultiDict params{};
    /// Credentials for the server (Authorization: Basic), as RequestOptions::auth.
    std::optional<BasicAuth> auth{};
    /// Offer permessage-deflate with this many window bits (9..15; 0: no compression).
    int compress = 15;
    /// The largest message accepted (0: no limit); larger ones close with 1009.
    std::uint64_t max_msg_size = 4 * 1024 * 1024;
    /// TLS for wss:// (as RequestOptions::ssl).
    aio::SSLOption ssl{};
    /// An HTTP proxy; the WebSocket goes through a CONNECT tunnel.
    std::string proxy{};
    /// Credentials for the proxy (Proxy-Authorization), as RequestOptions::proxy_auth.
    std::optional<BasicAuth> proxy_auth{};
};

/// The handshake failed: the server answered something other than a valid
/// 101 (aiohttp.WSServerHandshakeError). status() is the response's status
/// (101 when the status was right but a header was not).
class WSServerHandshakeError : public ClientResponseError {
public:
    using ClientResponseError::ClientResponseError;
};

/// The client end of a WebSocket (aiohttp.ClientWebSocketResponse).
class ClientWebSocketResponse : public WebSocketBase {
public:
    /// Takes over another WebSocket; the moved-from one may then only be destroyed or assigned to.
    ClientWebSocketResponse(ClientWebSocketResponse&&) noexcept = default;
    /// Lets go of this one's connection as the destructor does, then takes over the other's.
    ClientWebSocketResponse& operator=(ClientWebSocketResponse&&) noexcept = default;
    /// The handshake response's status (101) and headers.
    int status() const noexcept;
    /// The handshake response's headers (aiohttp's ClientWebSocketResponse's response headers).
    const Headers& headers() const noexcept;

private:
    friend class ClientSession;
    ClientWebSocketResponse(std::shared_ptr<detail::WebSocketSession> s, Headers headers) noexcept;
    Headers headers_;
};

}  // namespace aio::http
