// aio/web/runner.hpp — starting and stopping a server (aiohttp.web.run_app,
// AppRunner, TCPSite).
//
//     int main() { aio::web::run_app(app, {.host = "0.0.0.0", .port = 8080}); }
//
//     aio::web::AppRunner runner(app);                       // programmatic
//     co_await runner.setup();                               // on_startup hooks
//     aio::web::TCPSite site(runner, "127.0.0.1", 0);
//     co_await site.start();
//     std::uint16_t port = site.port();
//     ...
//     co_await runner.cleanup();                             // graceful stop, then hooks
//
// The server speaks HTTP/1.1 (and 1.0): keep-alive, pipelining (answers in
// order, coalesced into one write when several are ready), Expect:
// 100-continue (the 100 is sent when the handler first reads the body),
// HEAD, Date and Server headers. Bad requests are answered with the status
// the parser names (400, 413, 414, 431, 501, 505) and the connection closed.
//
// Every core: run_app(factory, {.workers = N}) serves on N loops (threads,
// or processes with WorkerMode::processes), each with its own Application
// and its own listener on the same port; SIGINT/SIGTERM stops them all.
// Sockets passed by systemd socket activation (aio/activation.hpp) are
// served instead of host:port; SockSite serves any listening socket.
//
// Shutdown (cleanup(), or SIGINT/SIGTERM under run_app): the listeners
// close, on_shutdown hooks run, idle keep-alive connections close at once,
// requests in flight have `shutdown_timeout` to finish (their responses say
// Connection: close), then the rest are cancelled; on_cleanup hooks run last.
#pragma once

#include <aio/http/parser.hpp>
#include <aio/sockets.hpp>
#include <aio/ssl.hpp>
#include <aio/task.hpp>
#include <aio/web/app.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aio::web {

/// How the server treats its clients. The defaults are aiohttp's where it
/// has one.
struct ServerOptions {
    // Deadlines. Each phase of a connection has one, of nginx's order, so
    // that no peer can hold a connection (a descriptor, a slot under
    // max_connections) without making progress. A request head or body cut
    // off by its deadline is answered 408 and the connection closed; an
    // idle connection or a stalled write is closed without an answer.

    /// An idle keep-alive connection (between a response and the first byte
    /// of the next request) is closed after this long. Empty lines between
    /// requests do not count as activity (aiohttp's keepalive_timeout and
    /// nginx's, 75 s).
    std::chrono::milliseconds keepalive_timeout{75000};
    /// A request head must be complete within this time of its first byte;
    /// on a fresh connection, of the accept (nginx's client_header_timeout,
    /// 60 s): slow-header (slowloris) clients are cut off. 408.
    std::chrono::milliseconds header_timeout{60000};
    /// Reading a request body: each wait for more bytes may last this long
    /// (nginx's client_body_timeout, 60 s: a body that trickles on is fine, a
    /// body that stops is not). 408.
    std::chrono::milliseconds body_timeout{60000};
    /// Writing a response: each wait for the client to take the next
    /// (64 KiB) piece may last this long (nginx's send_timeout, 60 s). The
    /// connection is closed when it passes.
    std::chrono::milliseconds send_timeout{60000};
    /// Lingering close (nginx's lingering_close): when the server closes a
    /// connection whose request it did not read to the end (an error answer,
    /// a handler that refused a body), it ends its sending side and reads
    /// and discards what the client still sends, until the client closes,
    /// for at most lingering_time, waiting at most lingering_timeout for each
    /// piece. Closing with the client's bytes unread would make the kernel
    /// answer them with a reset, which can destroy the response before the
    /// client has read it. aiohttp's lingering_time (10 s) and nginx's
    /// lingering_timeout (5 s).
    std::chrono::milliseconds lingering_time{10000};
    /// The longest wait for each piece of the client's data during a lingering close (see lingering_time).
    std::chrono::milliseconds lingering_timeout{5000};

    /// Connections served at once by each runner (every site together):
    /// past it the listeners stop accepting until one closes, and new
    /// clients wait in the kernel's backlog. 10,000 is nginx's order
    /// (worker_connections times a few workers) and stays under common
    /// descriptor limits once raised; it bounds the memory and descriptors
    /// a flood of clients can take. At least 1 (AppRunner throws ValueError for 0).
    std::size_t max_connections = 10000;
    /// Responses to pipelined requests held in one connection's output
    /// before they are written out (and the client must take them before
    /// the next request is read). 128: real clients pipeline a few; a client
    /// that sends thousands of tiny requests and never reads gets
    /// backpressure, not a growing buffer.
    std::size_t max_pipelined = 128;

    /// Called with one line when a connection ends by an error of the peer
    /// (a reset, a broken pipe, a deadline): "ADDRESS: what happened". The
    /// server goes on serving the others. Off by default (aiohttp logs these
    /// at debug level only).
    std::function<void(std::string_view line)> error_log{};

    /// Line, field, header and body limits of the parser (8 KiB lines, 32 KiB
    /// of header fields; the body is bounded by client_max_size where the
    /// handler reads it whole and by `max_body_size` for any request).
    http::ParserLimits limits{};
    /// The per-connection read buffer, which bounds how much of a body or of
    /// pipelined requests is held at once.
    std::size_t read_limit = 64 * 1024;
    /// Compress text-like bodies the client accepts (see response.hpp).
    bool compress = true;
    /// The Server header ("" sends none).
    std::string server_header = "aio";
    /// Access log: called with one line per request when set (aiohttp logs
    /// to the aiohttp.access logger; off by default here).
    std::function<void(std::string_view line)> access_log{};
    /// The line's format, aiohttp's (Apache-like): %a remote address, %t
    /// time, %r first line, %s status, %b body bytes, %{Name}i request
    /// header, %D µs, %T seconds, %P pid, %%.
    std::string access_log_format = "%a %t \"%r\" %s %b \"%{Referer}i\" \"%{User-Agent}i\"";
    /// How long shutdown waits for requests in flight (aiohttp's shutdown_timeout, 60 s).
    std::chrono::milliseconds shutdown_timeout{60000};

    // HTTP/2 (RFC 9113), on the same handlers (aiohttp has none).

    /// Speak HTTP/2: offered by ALPN on TLS sites ("h2", then "http/1.1";
    /// a site sets these on its SSLContext when its ALPN list is empty, and
    /// keeps a list you set), and with prior knowledge on cleartext sites (a
    /// connection that opens with the HTTP/2 preface, as `curl
    /// --http2-prior-knowledge` and h2load send). false: HTTP/1.1 only. An
    /// HTTP/1.1 "Upgrade: h2c" is ignored (answered in HTTP/1.1).
    /// Over HTTP/2, read_limit is each stream's flow-control window (what
    /// one request body may buffer), limits.max_headers_size the most
    /// header bytes of a request (SETTINGS_MAX_HEADER_LIST_SIZE; past it
    /// 431), the timeouts keep their meaning per stream (body_timeout,
    /// send_timeout: a client that opens no window for send_timeout has its
    /// stream reset) and per connection (header_timeout for the preface,
    /// keepalive_timeout once no stream is open). A graceful shutdown sends
    /// GOAWAY and finishes the streams in progress.
    bool http2 = true;
    /// HTTP/2: the most streams one client may have open at once
    /// (SETTINGS_MAX_CONCURRENT_STREAMS; nginx's and hyper's default, 100).
    std::uint32_t http2_max_concurrent_streams = 100;
};

namespace detail {
struct ServerState;
}
class BaseSite;

/// Runs an Application's lifecycle and its connections (aiohttp.web.AppRunner).
/// One runner belongs to one loop: with several workers each has its own.
class AppRunner {
public:
    /// A runner for `app`, which must outlive it; nothing starts before setup().
    /// Throws ValueError when opts.max_connections is 0.
    explicit AppRunner(Application& app, ServerOptions opts = {});
    ~AppRunner();
    AppRunner(const AppRunner&) = delete;
    AppRunner& operator=(const AppRunner&) = delete;

    /// Freezes the router and runs on_startup. Throws what a hook throws.
    Task<> setup();
    /// Graceful stop (see above), then on_cleanup. Idempotent.
    Task<> cleanup();
    /// Requests being handled now.
    std::size_t requests_in_flight() const noexcept;
    /// Connections open now (idle keep-alive ones included), over every site.
    std::size_t connections() const noexcept;
    /// The application served (aiohttp's AppRunner.app).
    Application& app() noexcept { return app_; }

private:
    friend class BaseSite;
    Application& app_;
    std::vector<BaseSite*> sites_;
    std::shared_ptr<detail::ServerState> state_;
    bool set_up_ = false;
    bool cleaned_ = false;
};

/// Options of a site / run_app's listener.
struct SiteOptions {
    /// A server-side SSLContext for HTTPS (empty or false: plain HTTP).
    /// `true` is refused by start() with ValueError: a server has no default
    /// certificate, and a site must not claim https while speaking plain HTTP.
    SSLOption ssl{};
    /// Set SO_REUSEPORT on the listeners, so that several processes or loops can listen on one port.
    bool reuse_port = false;
    /// The listen(2) backlog: connections the kernel queues before they are accepted.
    int backlog = 1024;
};

/// Where a runner accepts connections (aiohttp.web.BaseSite): a listener
/// and the accept loops on it. The runner must outlive its sites; the
/// destructor stops listening.
class BaseSite {
public:
    virtual ~BaseSite();
    BaseSite(const BaseSite&) = delete;
    BaseSite& operator=(const BaseSite&) = delete;
    /// Starts listening. Throws OSError (address in use, ...), ValueError
    /// for `ssl = true` without an SSLContext or a socket that cannot serve.
    virtual Task<> start() = 0;
    /// Stops listening (connections go on); the site's sockets are closed.
    void stop();
    /// The bound port (useful with port 0).
    std::uint16_t port() const;
    /// "http://127.0.0.1:8080".
    std::string name() const;

protected:
    /// Registers the site with `runner` (which must outlive it); `host` and `port` are where a
    /// subclass listens. Nothing listens before start().
    BaseSite(AppRunner& runner, std::string host, std::uint16_t port, SiteOptions opts);
    /// The SSLContext to serve with (none: plain HTTP); ValueError for `ssl = true`.
    std::optional<SSLContext> server_context() const;
    /// Takes `listeners` (bound and listening) and starts accepting on each.
    void serve(std::vector<Socket> listeners, std::optional<SSLContext> ctx);
    /// The site's state (runner, address, options, listeners, accept loops); defined in the source.
    struct Impl;
    /// The site's state, owned.
    std::unique_ptr<Impl> impl_;
};

/// A listening TCP socket serving a runner (aiohttp.web.TCPSite).
class TCPSite : public BaseSite {
public:
    /// host "" listens on every interface; port 0 picks a free port.
    TCPSite(AppRunner& runner, std::string host = "0.0.0.0", std::uint16_t port = 8080, SiteOptions opts = {});
    /// Resolves the host and listens on each of its addresses.
    Task<> start() override;
};

/// A runner served on a socket that is already bound and listening
/// (aiohttp.web.SockSite): one from systemd socket activation
/// (aio::listen_fds), or one a supervisor shares with its workers. The site
/// owns the socket and closes it on stop(); `opts.reuse_port` and
/// `opts.backlog` do not apply. start() throws ValueError when the socket is
/// not a listening stream socket.
class SockSite : public BaseSite {
public:
    /// A site that will serve `sock`, taking ownership of it; only `opts.ssl` applies.
    SockSite(AppRunner& runner, Socket sock, SiteOptions opts = {});
    /// Starts accepting on the socket. Throws ValueError when it is empty (or the site was stopped)
    /// or is not a listening stream socket.
    Task<> start() override;

private:
    Socket sock_;
};

/// How several workers run (RunAppOptions::worker_mode).
enum class WorkerMode : unsigned char {
    /// Threads of this process, each with its own loop: cheap, and what
    /// `aio serve --workers N` uses. The handlers of different workers run
    /// at the same time: anything they share must be thread-safe.
    threads,
    /// Child processes (gunicorn's model, for isolation: a crash or a leak
    /// stays in its worker, which is restarted). The program is executed
    /// again (/proc/self/exe, the same arguments and environment) for each
    /// worker, never forked without exec; the child's run_app recognises it
    /// is a worker (AIO_WORKER in its environment) and serves the sockets the
    /// supervisor passed (socket activation). So everything main() does
    /// before run_app runs in every worker too.
    processes,
};

/// Options of run_app, as aiohttp's keywords.
struct RunAppOptions {
    /// The host to listen on ("0.0.0.0": every IPv4 interface; "": every interface).
    std::string host = "0.0.0.0";
    /// The port to listen on (0: a free one, passed to on_listening).
    std::uint16_t port = 8080;
    /// As SiteOptions::ssl: an SSLContext, or nothing (`true` is a ValueError).
    SSLOption ssl{};
    /// As SiteOptions::reuse_port (set anyway for several workers binding one port).
    bool reuse_port = false;
    /// How the server treats its clients (timeouts, limits, logs, compression).
    ServerOptions server{};
    /// Called once listening (every worker), with the bound port (aiohttp
    /// prints "======== Running on ... ========"; nothing is printed when set).
    std::function<void(std::uint16_t port)> on_listening{};
    /// Serve the sockets of systemd socket activation (aio::listen_fds) when
    /// the process was given any, instead of binding host:port (as gunicorn
    /// does). Off: they are left alone.
    bool socket_activation = true;
    /// Workers: how many loops serve the app, each with its own Application
    /// (made by the factory given to run_app), its own listener on the same
    /// port (SO_REUSEPORT, the kernel spreads the connections) and its own
    /// startup, shutdown and cleanup hooks. One SIGINT or SIGTERM stops them
    /// all gracefully. More than 1 needs run_app's factory form.
    unsigned workers = 1;
    /// Threads or processes when `workers` > 1 (see WorkerMode).
    WorkerMode worker_mode = WorkerMode::threads;
};

/// Makes one worker's Application. Called once per worker, on the worker's
/// own thread (or in its own process), which owns the result.
using AppFactory = std::function<std::unique_ptr<Application>()>;

/// Serves `app` until SIGINT or SIGTERM, then shuts down gracefully
/// (aiohttp.web.run_app). Runs its own loop: call it from main, not from a
/// coroutine (the awaitable form is serve_app). Throws what startup throws;
/// ValueError for `workers` other than 1 (one Application cannot serve
/// several loops: use the factory form).
void run_app(Application& app, RunAppOptions opts = {});
/// Serves the Applications `make_app` makes, on `opts.workers` workers (see
/// RunAppOptions and WorkerMode), until SIGINT or SIGTERM stops them all;
/// returns once every worker has shut down gracefully. The callbacks in
/// `opts` (on_listening, the server's logs) may be called from the workers'
/// threads at the same time. Throws ValueError for 0 workers; what a
/// worker's startup throws (the others are stopped first); RuntimeError
/// when a worker process fails to start.
void run_app(const AppFactory& make_app, RunAppOptions opts = {});
/// The same inside a running loop: returns once SIGINT or SIGTERM triggered
/// the shutdown and it completed. One worker only (ValueError otherwise).
Task<> serve_app(Application& app, RunAppOptions opts);
/// serve_app with the default options (an overload, not `opts = {}`: see
/// docs/differences.md on g++ 12 and temporaries in co_await expressions).
Task<> serve_app(Application& app);

}  // namespace aio::web
