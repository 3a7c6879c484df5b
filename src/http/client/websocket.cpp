// ClientSession::ws_connect and ClientWebSocketResponse: the client's side of
// the WebSocket handshake.
#include <aio/http/client/session.hpp>
#include <aio/http/client/websocket.hpp>

#include "http/client/core.hpp"
#include "http/client/util.hpp"
#include "http/websocket/codec.hpp"
#include "http/websocket/session.hpp"

namespace aio::http {


ClientWebSocketResponse::ClientWebSocketResponse(std::shared_ptr<detail::WebSocketSession> s, Headers headers) noexcept
    : WebSocketBase(std::move(s)), headers_(std::move(headers)) {}

int ClientWebSocketResponse::status() const noexcept { return 101; }
const Headers& ClientWebSocketResponse::headers() const noexcept { return headers_; }

Task<ClientWebSocketResponse> ClientSession::ws_connect(std::string url) {
    return ws_connect(std::move(url), WSConnectOptions{});
}

Task<ClientWebSocketResponse> ClientSession::ws_connect(std::string url, WSConnectOptions o) {
    // ws:// and wss:// are requests over http:// and https://.
    if (url.size() >= 5 && detail::ascii_lower(url.substr(0, 5)) == "ws://")
        url = "http://" + url.substr(5);
    else if (url.size() >= 6 && detail::ascii_lower(url.substr(0, 6)) == "wss://")
        url = "https://" + url.substr(6);
    if (o.compress != 0 && (o.compress < 9 || o.compress > 15))
        throw aio::ValueError("compress must be 0 (off) or window bits 9..15, not " + std::to_string(o.compress));

    const std::string key = ws::new_key();
    RequestOptions ro;
    ro.headers = std::move(o.headers);
    ro.headers.set("Upgrade", "websocket");
    ro.headers.set("Connection", "Upgrade");
    ro.headers.set("Sec-WebSocket-Version", "13");
    ro.headers.set("Sec-WebSocket-Key", key);
    if (!o.protocols.empty()) {
        std::string list;
        for (const std::string& p : o.protocols) {
            if (!list.empty()) list += ", ";
            list += p;
        }
        ro.headers.set("Sec-WebSocket-Protocol", list);
    }
    if (!o.origin.empty()) ro.headers.set("Origin", o.origin);
    if (o.compress != 0) {
        std::string offer = ws::deflate_offer();
        if (o.compress < 15) offer += "; server_max_window_bits=" + std::to_string(o.compress);
        ro.headers.set("Sec-WebSocket-Extensions", offer);
    }
    ro.params = std::move(o.params);
    ro.auth = std::move(o.auth);
    ro.ssl = std::move(o.ssl);
    ro.proxy = std::move(o.proxy);
    ro.proxy_auth = std::move(o.proxy_auth);

    ClientResponse resp = co_await request_impl("GET", std::move(url), std::move(ro), true);
    auto& st = resp.state();
    auto fail = [&](std::string why) {
        return WSServerHandshakeError(st.info, resp.status(), std::move(why), st.history.size());
    };
    if (resp.status() != 101) throw fail("Invalid response status");
    const Headers& h = resp.headers();
    if (auto up = h.get("Upgrade"); !up || detail::ascii_lower(detail::trim(*up)) != "websocket")
        throw fail("Invalid upgrade header");
    if (auto conn = h.get("Connection"); !conn || !detail::lists_token(*conn, "upgrade"))
        throw fail("Invalid connection header");
    if (auto accept = h.get("Sec-WebSocket-Accept"); !accept || detail::trim(*accept) != ws::accept_key(key))
        throw fail("Invalid challenge response");

    detail::WebSocketSettings settings;
    settings.client_side = true;
    settings.close_timeout = o.timeout.ws_close;
    settings.receive_timeout = o.receive_timeout ? o.receive_timeout : o.timeout.ws_receive;
    settings.autoclose = o.autoclose;
    settings.autoping = o.autoping;
    settings.heartbeat = o.heartbeat;
    settings.max_msg_size = o.max_msg_size;
    if (auto proto = h.get("Sec-WebSocket-Protocol")) {
        std::string_view p = detail::trim(*proto);
        bool offered = false;
        for (const std::string& mine : o.protocols) offered |= mine == p;
        if (!offered) throw fail("Invalid subprotocol: the server chose " + std::string(p) + ", which was not offered");
        settings.protocol = std::string(p);
    }
    std::string extensions;
    for (std::string_view f : h.get_all("Sec-WebSocket-Extensions")) {
        if (!extensions.empty()) extensions += ", ";
        extensions.append(f);
    }
    if (!extensions.empty()) {
        if (o.compress == 0) throw fail("Invalid extension: the server answered " + extensions + ", none was offered");
        try {
            settings.deflate = ws::deflate_parse_response(extensions);
        } catch (const WebSocketError& e) {
            throw fail(std::string("Invalid extension: ") + e.what());
        }
    }

    // The connection leaves the pool: the WebSocket owns its streams now.
    std::unique_ptr<detail::Conn> conn = std::move(st.conn);
    StreamReader reader = std::move(conn->reader);
    StreamWriter writer = std::move(conn->writer);
    connector().detach(std::move(conn));
    auto session = std::make_shared<detail::WebSocketSession>(std::move(reader), std::move(writer), std::move(settings));
    session->start();
    co_return ClientWebSocketResponse(std::move(session), Headers(h));
}

}  // namespace aio::http
