// aio::web::WebSocketResponse: the server's side of the WebSocket handshake.
#include <aio/web/exceptions.hpp>
#include <aio/web/request.hpp>
#include <aio/web/websocket.hpp>

#include "http/client/util.hpp"
#include "http/websocket/codec.hpp"
#include "http/websocket/session.hpp"
#include "streams/connection.hpp"
#include "web/protocol.hpp"

namespace aio::web {

namespace {

/// The subprotocol chosen: the first the client offers that the server speaks.
std::string ws_choose_protocol(const http::Headers& h, const std::vector<std::string>& ours) {
    if (ours.empty()) return {};
    for (std::string_view field : h.get_all("Sec-WebSocket-Protocol")) {
        while (!field.empty()) {
            std::size_t comma = field.find(',');
            std::string_view p = http::detail::trim(field.substr(0, comma));
            for (const std::string& o : ours)
                if (o == p) return o;
            if (comma == std::string_view::npos) break;
            field.remove_prefix(comma + 1);
        }
    }
    return {};
}

/// Why `request` is not an acceptable handshake ("" when it is); sets `method_wrong`.
std::string ws_handshake_problem(const Request& request, bool& method_wrong) {
    method_wrong = request.method() != "GET";
    if (method_wrong) return "a WebSocket handshake is a GET";
    const http::Headers& h = request.headers();
    auto upgrade = h.get("Upgrade");
    if (!upgrade || !http::detail::lists_token(*upgrade, "websocket"))
        return "No WebSocket UPGRADE hdr: " + std::string(upgrade.value_or("")) +
               "\n Can \"Upgrade\" only to \"WebSocket\".";
    auto connection = h.get("Connection");
    if (!connection || !http::detail::lists_token(*connection, "upgrade"))
        return "No CONNECTION upgrade hdr: " + std::string(connection.value_or(""));
    auto version = h.get("Sec-WebSocket-Version");
    if (!version || http::detail::trim(*version) != "13") return "Unsupported version: " + std::string(version.value_or(""));
    auto key = h.get("Sec-WebSocket-Key");
    if (!key || !http::ws::valid_key(http::detail::trim(*key))) return "Handshake error: " + std::string(key.value_or(""));
    return {};
}

}  // namespace

WebSocketResponse::WebSocketResponse(WebSocketOptions opts) : StreamResponse(101), opts_(std::move(opts)) {}
WebSocketResponse::WebSocketResponse(WebSocketResponse&&) noexcept = default;
WebSocketResponse& WebSocketResponse::operator=(WebSocketResponse&&) noexcept = default;
WebSocketResponse::~WebSocketResponse() = default;

WebSocketReady WebSocketResponse::can_prepare(const Request& request) const {
    bool method_wrong = false;
    if (!ws_handshake_problem(request, method_wrong).empty()) return {};
    return {true, ws_choose_protocol(request.headers(), opts_.protocols)};
}

Task<> WebSocketResponse::prepare(Request& request) {
    if (s_ || prepared()) throw aio::RuntimeError("the WebSocketResponse is prepared already");
    bool method_wrong = false;
    std::string problem = ws_handshake_problem(request, method_wrong);
    if (method_wrong) throw HTTPMethodNotAllowed(request.method(), {"GET"});
    if (!problem.empty()) {
        http::Headers extra;
        if (problem.starts_with("Unsupported version")) extra.add("Sec-WebSocket-Version", "13");
        throw HTTPBadRequest({.headers = std::move(extra), .text = problem});
    }
    const http::Headers& h = request.headers();
    http::detail::WebSocketSettings settings;
    settings.client_side = false;
    settings.close_timeout = opts_.timeout;
    settings.receive_timeout = opts_.receive_timeout;
    settings.autoclose = opts_.autoclose;
    settings.autoping = opts_.autoping;
    settings.heartbeat = opts_.heartbeat;
    settings.max_msg_size = opts_.max_msg_size;
    settings.protocol = ws_choose_protocol(h, opts_.protocols);

    headers_.set("Upgrade", "websocket");
    headers_.set("Connection", "upgrade");
    headers_.set("Sec-WebSocket-Accept", http::ws::accept_key(http::detail::trim(*h.get("Sec-WebSocket-Key"))));
    if (!settings.protocol.empty()) headers_.set("Sec-WebSocket-Protocol", settings.protocol);
    if (opts_.compress) {
        std::string offers;
        for (std::string_view f : h.get_all("Sec-WebSocket-Extensions")) {
            if (!offers.empty()) offers += ", ";
            offers.append(f);
        }
        std::string answer;
        if (!offers.empty()) settings.deflate = http::ws::deflate_accept_offer(offers, answer);
        if (settings.deflate) headers_.set("Sec-WebSocket-Extensions", answer);
    }
    compression_ = http::Coding::identity;  // never a coded body on a 101

    // Only HTTP/1.1 upgrades: an HTTP/2 request carries no Upgrade field, so
    // the handshake check above refuses it before this point.
    auto* http1 = dynamic_cast<detail::HttpConnection*>(request.c_);
    if (!http1) throw HTTPBadRequest({.text = "WebSocket needs an HTTP/1.1 connection"});
    detail::HttpConnection& conn = *http1;
    stream_ = std::make_unique<detail::StreamState>();
    co_await conn.prepare_upgrade(*this, *stream_);
    auto reader = StreamReader(aio::detail::StreamAccess::connection(conn.reader()));
    auto writer = StreamWriter(aio::detail::StreamAccess::connection(conn.writer()));
    s_ = std::make_shared<http::detail::WebSocketSession>(std::move(reader), std::move(writer), std::move(settings));
    s_->start();
    conn.adopt_websocket(s_);
}

}  // namespace aio::web
