// AppRunner, TCPSite, run_app: lifecycle, listeners, timeouts, graceful shutdown.
#include "aio/web/runner.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "aio/activation.hpp"
#include "aio/dns.hpp"
#include "aio/locks.hpp"
#include "aio/runners.hpp"
#include "aio/sleep.hpp"
#include "aio/streams.hpp"
#include "aio/timeouts.hpp"
#include "streams/connection.hpp"
#include "streams/listeners.hpp"
#include "streams/tls.hpp"
#include "web/h2_connection.hpp"
#include "web/protocol.hpp"

namespace aio::web {

namespace {

/// How often the sweeper looks for connections past their deadline: a
/// quarter of the shortest timeout, between 10 ms and 1 s, so a timeout is
/// enforced within 25% of its length without waking an idle server often.
std::chrono::milliseconds sweep_interval(const ServerOptions& o) {
    auto shortest = std::min(o.keepalive_timeout, o.header_timeout);
    auto i = shortest / 4;
    return std::clamp(i, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}

// The sweeper holds the state weakly: the state owns the sweeper's task
// handle, and a strong reference from the task's frame back to the state would
// keep both alive forever once the task has ended.
Task<> sweep(std::weak_ptr<detail::ServerState> weak) {
    auto interval = sweep_interval(weak.lock()->opts);
    while (true) {
        co_await aio::sleep(interval);
        auto s = weak.lock();
        if (!s) co_return;
        auto now = std::chrono::steady_clock::now();
        for (detail::ServerConnection* c : s->connections) {
            if (c->phase == detail::ServerConnection::Phase::handling || c->timed_out) continue;
            if (now >= c->deadline) {
                c->timed_out = true;
                c->task.cancel();
            }
        }
    }
}

/// Whether an SSLOption asks for TLS (a context, or `true`).
bool uses_tls(const SSLOption& o) {
    if (std::holds_alternative<std::monostate>(o)) return false;
    if (auto* b = std::get_if<bool>(&o)) return *b;
    return true;
}

void log_line(detail::ServerState& s, const std::string& line) {
    if (s.opts.error_log) s.opts.error_log(line);
}

/// Whether a cleartext connection opens with the HTTP/2 preface (a client
/// with prior knowledge). Reads only until the first bytes tell; they stay
/// buffered for whichever protocol serves the connection.
Task<bool> opens_with_h2_preface(StreamReader& reader) {
    std::string_view preface = detail::kH2Preface;
    while (true) {
        std::string_view have = reader.buffered();
        std::size_t n = std::min(have.size(), preface.size());
        if (have.substr(0, n) != preface.substr(0, n)) co_return false;
        if (n == preface.size()) co_return true;
        bool more = co_await reader.fill();
        if (!more) co_return false;
    }
}

/// One accepted connection: the TLS handshake (within header_timeout: it is
/// part of getting the first request), then HTTP until it closes. Frees its
/// slot under max_connections when it ends, however it ends.
Task<> serve_client(std::shared_ptr<detail::ServerState> s, Socket sock, SocketAddress peer_addr,
                    std::optional<SSLContext> ctx, std::uint64_t id) {
    std::string peer;
    try {
        auto transport = aio::detail::make_socket_transport(std::move(sock), peer_addr);
        if (ctx) {
            auto handshake = aio::detail::tls_handshake(std::move(transport), *ctx, true, {});
            auto guarded = aio::timeout(s->opts.header_timeout, std::move(handshake));
            transport = co_await std::move(guarded);
        }
        bool h2 = false;
        if (ctx && s->opts.http2) {
            std::any alpn = transport->extra_info("alpn_protocol");
            const auto* name = std::any_cast<std::string>(&alpn);
            h2 = name && *name == "h2";
        }
        auto c = std::make_shared<aio::detail::Connection>(std::move(transport), s->opts.read_limit);
        StreamReader reader(c);
        if (!ctx && s->opts.http2) {
            auto sniff = opens_with_h2_preface(reader);
            auto guarded = aio::timeout(s->opts.header_timeout, std::move(sniff));
            h2 = co_await std::move(guarded);
        }
        if (h2) {
            detail::H2Connection conn(*s, std::move(reader), StreamWriter(c), ctx.has_value());
            co_await conn.run();
        } else {
            detail::HttpConnection conn(*s, std::move(reader), StreamWriter(c), ctx.has_value());
            co_await conn.run();
        }
    } catch (const CancelledError&) {
        // The runner closed its connections.
    } catch (const aio::OSError& e) {
        // A TLS handshake that failed or timed out, a reset before the first byte.
        log_line(*s, std::string("a connection ended before its first request: ") + e.what());
    } catch (...) {
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler({"Unhandled exception in an HTTP connection", std::current_exception(), {}});
    }
    auto it = s->clients.find(id);
    if (it != s->clients.end()) {
        Task<> self = std::move(it->second);  // dropped after the erase: this frame lives on until it ends
        s->clients.erase(it);
    }
    s->slot_free.set();
    if (s->clients.empty()) s->all_closed.set();
}

/// Accepts connections on one listener while the runner has room for them:
/// at max_connections it stops calling accept() until a connection ends, and
/// the kernel's backlog holds the clients meanwhile.
Task<> accept_loop(std::shared_ptr<detail::ServerState> s, Socket* listener, std::optional<SSLContext> ctx) {
    while (true) {
        while (s->clients.size() >= s->opts.max_connections) {
            s->slot_free.clear();
            co_await s->slot_free.wait();
        }
        std::pair<Socket, SocketAddress> conn;
        bool failed = false;
        try {
            conn = co_await listener->accept();
        } catch (const CancelledError&) {
            throw;
        } catch (const OSError& e) {
            // Out of descriptors or memory: report, pause, and go on (as asyncio).
            log_line(*s, std::string("accept() failed: ") + e.what());
            failed = true;
        }
        if (failed) {
            co_await aio::sleep(std::chrono::milliseconds(100));
            continue;
        }
        if (conn.second.family() != AF_UNIX) {
            try {
                conn.first.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
            } catch (const OSError&) {
            }
        }
        std::uint64_t id = s->next_client++;
        s->all_closed.clear();
        s->clients.emplace(id, create_task(serve_client(s, std::move(conn.first), std::move(conn.second), ctx, id)));
    }
}

}  // namespace

AppRunner::AppRunner(Application& app, ServerOptions opts)
    : app_(app), state_(std::make_shared<detail::ServerState>()) {
    // A runner that may serve no connection would accept none and leave every
    // client waiting in the backlog until it gives up: say so at once.
    if (opts.max_connections == 0) throw ValueError("max_connections must be at least 1");
    state_->app = &app;
    state_->opts = std::move(opts);
}

AppRunner::~AppRunner() {
    if (state_->sweeper.valid() && !state_->sweeper.done()) state_->sweeper.cancel();
}

Task<> AppRunner::setup() {
    if (set_up_) co_return;
    set_up_ = true;
    co_await app_.startup();
    state_->sweeper = aio::create_task(sweep(std::weak_ptr<detail::ServerState>(state_)));
}

std::size_t AppRunner::requests_in_flight() const noexcept { return state_->in_flight; }
std::size_t AppRunner::connections() const noexcept { return state_->connections.size(); }

struct BaseSite::Impl {
    AppRunner& runner;
    std::string host;
    std::uint16_t port;
    SiteOptions opts;
    std::vector<Socket> listeners;
    std::vector<Task<>> acceptors;
};

BaseSite::BaseSite(AppRunner& runner, std::string host, std::uint16_t port, SiteOptions opts)
    : impl_(new Impl{runner, std::move(host), port, std::move(opts), {}, {}}) {
    runner.sites_.push_back(this);
}

BaseSite::~BaseSite() {
    stop();
    auto& sites = impl_->runner.sites_;
    sites.erase(std::remove(sites.begin(), sites.end(), this), sites.end());
}

std::optional<SSLContext> BaseSite::server_context() const {
    if (const auto* c = std::get_if<SSLContext>(&impl_->opts.ssl)) return *c;
    if (uses_tls(impl_->opts.ssl))
        throw aio::ValueError(
            "ssl=true needs a server SSLContext with a certificate (create_default_context(Purpose::CLIENT_AUTH) "
            "and load_cert_chain): a site never serves plain HTTP while claiming https");
    return std::nullopt;
}

void BaseSite::serve(std::vector<Socket> listeners, std::optional<SSLContext> ctx) {
    impl_->listeners = std::move(listeners);
    auto state = impl_->runner.state_;
    // HTTP/2 by ALPN: a context without an ALPN list of its own offers h2,
    // then http/1.1 (see ServerOptions::http2).
    if (ctx && state->opts.http2 && ctx->alpn_protocols().empty()) ctx->set_alpn_protocols({"h2", "http/1.1"});
    for (auto& l : impl_->listeners) impl_->acceptors.push_back(create_task(accept_loop(state, &l, ctx)));
}

TCPSite::TCPSite(AppRunner& runner, std::string host, std::uint16_t port, SiteOptions opts)
    : BaseSite(runner, std::move(host), port, std::move(opts)) {}

Task<> TCPSite::start() {
    std::optional<SSLContext> ctx = server_context();
    if (!impl_->acceptors.empty()) co_return;
    auto listeners = co_await aio::detail::bind_listeners(impl_->host, impl_->port, impl_->opts.reuse_port,
                                                     impl_->opts.backlog);
    serve(std::move(listeners), std::move(ctx));
}

SockSite::SockSite(AppRunner& runner, Socket sock, SiteOptions opts)
    : BaseSite(runner, {}, 0, std::move(opts)), sock_(std::move(sock)) {}

Task<> SockSite::start() {
    std::optional<SSLContext> ctx = server_context();
    if (!impl_->acceptors.empty()) co_return;
    if (!sock_) throw aio::ValueError("SockSite: no socket to serve (an empty Socket, or the site was stopped)");
    int type = 0;
    int accepting = 0;
    try {
        type = sock_.get_option(SOL_SOCKET, SO_TYPE);
        accepting = sock_.get_option(SOL_SOCKET, SO_ACCEPTCONN);
    } catch (const OSError& e) {
        throw aio::ValueError("SockSite: descriptor " + std::to_string(sock_.fd()) + " is not a socket (" +
                              e.what() + ")");
    }
    if (type != SOCK_STREAM || accepting == 0)
        throw aio::ValueError("SockSite: descriptor " + std::to_string(sock_.fd()) +
                              " is not a listening stream socket (bind and listen before handing it over)");
    auto addr = sock_.getsockname();
    impl_->host = addr.host();
    impl_->port = addr.family() == AF_UNIX ? 0 : addr.port();
    std::vector<Socket> listeners;
    listeners.push_back(std::move(sock_));
    serve(std::move(listeners), std::move(ctx));
}

void BaseSite::stop() {
    // The accept loops first: none may wait on a descriptor being closed.
    for (auto& a : impl_->acceptors) a.cancel();
    impl_->acceptors.clear();
    for (auto& l : impl_->listeners) l.close();
}

std::uint16_t BaseSite::port() const {
    for (const auto& l : impl_->listeners) {
        if (l.fd() < 0) continue;
        SocketAddress a = l.getsockname();
        if (a.family() != AF_UNIX) return a.port();
    }
    return impl_->port;
}

std::string BaseSite::name() const {
    std::string scheme = uses_tls(impl_->opts.ssl) ? "https" : "http";
    for (const auto& l : impl_->listeners) {
        if (l.fd() < 0) continue;
        SocketAddress a = l.getsockname();
        if (a.family() == AF_UNIX) return scheme + "://unix:" + a.host() + ":";
    }
    return detail::site_url(impl_->opts.ssl, impl_->host, port());
}

Task<> AppRunner::cleanup() {
    if (cleaned_) co_return;
    cleaned_ = true;
    // 1. Stop accepting.
    for (BaseSite* site : sites_) site->stop();
    state_->shutting_down = true;
    // 2. Hooks that must run while connections are still open.
    if (set_up_) co_await app_.shutdown();
    // 3. Idle keep-alive connections close now; busy ones finish their
    // request; open WebSockets are told the server is going away (1001).
    for (detail::ServerConnection* c : state_->connections) {
        if (c->phase != detail::ServerConnection::Phase::handling)
            c->task.cancel();
        else
            c->going_away();
    }
    auto deadline = aio::detail::deadline_after(state_->opts.shutdown_timeout);
    while (state_->in_flight > 0 && std::chrono::steady_clock::now() < deadline)
        co_await aio::sleep(std::chrono::milliseconds(10));
    // 4. Whatever is left is cancelled.
    for (detail::ServerConnection* c : state_->connections) c->task.cancel();
    for (auto& [id, t] : state_->clients) t.cancel();  // TLS handshakes too
    while (!state_->clients.empty()) {
        state_->all_closed.clear();
        co_await state_->all_closed.wait();
    }
    if (state_->sweeper.valid() && !state_->sweeper.done()) state_->sweeper.cancel();
    // 5. Last hooks.
    if (set_up_) co_await app_.cleanup();
}

namespace detail {

std::string site_url(const SSLOption& ssl, const std::string& host, std::uint16_t port) {
    std::string h = host.empty() ? "0.0.0.0" : host;
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    return std::string(uses_tls(ssl) ? "https" : "http") + "://" + h + ":" + std::to_string(port);
}

void announce(const RunAppOptions& opts, std::uint16_t port, const std::string& name) {
    if (opts.on_listening) {
        opts.on_listening(port);
    } else {
        std::printf("======== Running on %s ========\n(Press CTRL+C to quit)\n", name.c_str());
        std::fflush(stdout);
    }
}

Task<> serve_worker(Application& app, const RunAppOptions& opts, std::vector<Socket> inherited, aio::Event& stop,
                    const std::function<void(const BaseSite&)>& ready) {
    AppRunner runner(app, opts.server);
    // Sites after the runner: they are destroyed first (they unregister from it).
    std::vector<std::unique_ptr<BaseSite>> sites;
    std::exception_ptr failure;
    try {
        co_await runner.setup();
        SiteOptions so{.ssl = opts.ssl, .reuse_port = opts.reuse_port};
        if (inherited.empty()) {
            sites.push_back(std::make_unique<TCPSite>(runner, opts.host, opts.port, so));
        } else {
            for (auto& sock : inherited) sites.push_back(std::make_unique<SockSite>(runner, std::move(sock), so));
        }
        for (auto& site : sites) co_await site->start();
        ready(*sites.front());
        co_await stop.wait();
    } catch (...) {
        failure = std::current_exception();  // cleanup below still runs the hooks (aiohttp: finally)
    }
    co_await runner.cleanup();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace detail

Task<> serve_app(Application& app) { return serve_app(app, RunAppOptions{}); }

Task<> serve_app(Application& app, RunAppOptions opts) {
    if (opts.workers != 1)
        throw aio::ValueError("serve_app() serves one Application on this loop: workers must be 1 (run_app with an "
                              "AppFactory runs several)");
    std::vector<Socket> inherited;
    if (opts.socket_activation) inherited = aio::listen_fds();
    aio::Event stop;
    auto& loop = aio::get_running_loop();
    loop.add_signal_handler(SIGINT, [&stop] { stop.set(); });
    loop.add_signal_handler(SIGTERM, [&stop] { stop.set(); });
    auto announce = [&opts](const BaseSite& site) { detail::announce(opts, site.port(), site.name()); };
    std::exception_ptr failure;
    try {
        co_await detail::serve_worker(app, opts, std::move(inherited), stop, announce);
    } catch (...) {
        failure = std::current_exception();
    }
    loop.remove_signal_handler(SIGINT);
    loop.remove_signal_handler(SIGTERM);
    if (failure) std::rethrow_exception(failure);
}

void run_app(Application& app, RunAppOptions opts) {
    if (opts.workers != 1)
        throw aio::ValueError("run_app(app) with " + std::to_string(opts.workers) +
                              " workers: one Application cannot serve several loops; pass an AppFactory that makes "
                              "one per worker");
    aio::run(serve_app(app, std::move(opts)));
}

}  // namespace aio::web
