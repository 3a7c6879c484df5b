// The server side of one HTTP/1.1 connection, and the state a runner shares
// with its connections.
#pragma once

#include <ctime>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "aio/http/compression.hpp"
#include "aio/http/parser.hpp"
#include "aio/locks.hpp"
#include "aio/streams.hpp"
#include "aio/web/app.hpp"
#include "aio/web/request.hpp"
#include "aio/web/response.hpp"
#include "aio/web/runner.hpp"
#include "web/exchange.hpp"

namespace aio::http::detail {
class WebSocketSession;
}

namespace aio::web::detail {

class HttpConnection;
class ServerConnection;

/// What a runner shares with its connections.
struct ServerState {
    Application* app = nullptr;
    ServerOptions opts;
    bool shutting_down = false;
    std::size_t in_flight = 0;
    std::list<ServerConnection*> connections;
    Task<> sweeper;  // enforces the header and keep-alive timeouts
    /// Every accepted connection's task (TLS handshakes included), by id:
    /// their number is held under opts.max_connections.
    std::map<std::uint64_t, Task<>> clients;
    std::uint64_t next_client = 0;
    aio::Event slot_free;   // set when a client ends (accept loops wait on it at the cap)
    aio::Event all_closed;  // set when the last client ends (cleanup waits on it)
};

/// The "Date: ...\r\n" line, formatted once per second.
std::string_view date_header_line();
/// An HTTP date (IMF-fixdate) of `t`.
std::string http_date(std::time_t t);
/// Parses an HTTP date (IMF-fixdate, rfc850-date or asctime-date); nullopt when malformed.
std::optional<std::time_t> parse_http_date(std::string_view s);

/// Serves one HTTP/1.1 connection: reads requests, runs the application,
/// writes responses. The connection carries one exchange at a time.
class HttpConnection final : public ServerConnection, public Exchange, public http::RequestParser::Handler {
public:
    HttpConnection(ServerState& server, StreamReader reader, StreamWriter writer, bool tls);
    ~HttpConnection() override;
    Task<> run();

    // RequestParser::Handler
    http::ParserAction on_head(http::RequestHead& head) override;
    http::ParserAction on_body(std::string_view data) override;
    http::ParserAction on_message_complete() override;

    // Exchange
    Task<bool> pull() override;
    std::uint64_t framing_bytes() const noexcept override { return parser_.framing_bytes(); }
    bool keep_alive() const noexcept override { return !close_after_; }
    SocketAddress peername() const override { return writer_.peername(); }
    SocketAddress sockname() const override { return writer_.sockname(); }
    Task<> prepare_stream(StreamResponse& resp, StreamState& st) override;
    Task<> write_stream(StreamState& st, std::string_view data, bool last) override;

    // For WebSocketResponse: sends the 101 head; the connection then carries
    // the WebSocket until the handler returns, and closes after it.
    Task<> prepare_upgrade(StreamResponse& resp, StreamState& st);
    void adopt_websocket(std::shared_ptr<http::detail::WebSocketSession> ws);
    StreamReader& reader() noexcept { return reader_; }
    StreamWriter& writer() noexcept { return writer_; }
    /// A graceful shutdown: an open WebSocket gets a 1001 close frame.
    void going_away() noexcept override;

private:
    Task<> handle_request();
    Task<> send_response(StreamResponse& resp);
    Task<> send_file(StreamResponse& resp);
    Task<> flush();
    /// Writes `data` in pieces, each drained within the send timeout.
    Task<> send_bytes(std::string_view data);
    /// writer_.drain() within the send timeout (TimeoutError past it).
    Task<> drain_timed();
    Task<> sendfile_all(int fd, std::uint64_t offset, std::uint64_t count);
    void append_head(int status, std::string_view reason, const http::Headers& headers,
                     std::optional<std::uint64_t> length, bool chunked, bool head_only);
    void answer_error(int status, std::string_view message);
    static Task<> watch_disconnect(int fd, Task<StreamResponse> handler, std::shared_ptr<bool> fired);

    StreamReader reader_;
    StreamWriter writer_;
    http::RequestParser parser_;

    // The request being handled.
    bool have_head_ = false;
    bool continue_sent_ = false;
    bool close_after_ = false;
    bool responded_ = false;
    /// A read or write to the client failed (reset, broken pipe, a deadline):
    /// nothing more is written and no handler error is reported for it.
    bool peer_failed_ = false;
    /// Responses in out_ since the last flush (bounded by max_pipelined).
    std::size_t queued_ = 0;
    /// Cancels the handler when the client goes away (while it waits).
    Task<> watcher_;
    /// The WebSocket the handler prepared, if it did.
    std::shared_ptr<http::detail::WebSocketSession> websocket_;

    // Output not yet handed to the writer (pipelined responses coalesce here).
    std::string out_;
};

/// "http://127.0.0.1:8080", "https://[::1]:8443" ("" is every interface: 0.0.0.0).
std::string site_url(const SSLOption& ssl, const std::string& host, std::uint16_t port);

/// What run_app says once listening: opts.on_listening(port), or aiohttp's
/// "======== Running on NAME ========" banner on stdout.
void announce(const RunAppOptions& opts, std::uint16_t port, const std::string& name);

/// One worker's life on the running loop: the runner's setup, its sites
/// (on the `inherited` listening sockets, or on opts.host:opts.port), then
/// `ready` with the first site, then serving until `stop` is set, then the
/// graceful cleanup, which runs even when startup failed (aiohttp: finally).
/// Rethrows what startup threw. serve_app and every worker of run_app use it.
Task<> serve_worker(Application& app, const RunAppOptions& opts, std::vector<Socket> inherited, aio::Event& stop,
                    const std::function<void(const BaseSite&)>& ready);

}  // namespace aio::web::detail
