// AppRunner, TCPSite, run_app: lifecycle, listeners, timeouts, graceful shutdown.
#include "aio/web/runner.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "aio/dns.hpp"
#include "aio/locks.hpp"
#include "aio/runners.hpp"
#include "aio/sleep.hpp"
#include "aio/streams.hpp"
#include "aio/timeouts.hpp"
#include "streams/connection.hpp"
#include "streams/tls.hpp"
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
        for (detail::HttpConnection* c : s->connections) {
            if (c->phase == detail::HttpConnection::Phase::handling || c->timed_out) continue;
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

/// One accepted connection: the TLS handshake (within header_timeout: it is
/// part of getting the first request), then HTTP until it closes. Frees its
/// slot under max_connections when it ends, however it ends.
Task<> serve_client(std::shared_ptr<detail::ServerState> s, Socket sock, std::optional<SSLContext> ctx,
                    std::uint64_t id) {
    std::string peer;
    try {
        auto transport = aio::detail::make_socket_transport(std::move(sock));
        if (ctx) {
            auto handshake = aio::detail::tls_handshake(std::move(transport), *ctx, true, {});
            auto guarded = aio::timeout(s->opts.header_timeout, std::move(handshake));
            transport = co_await std::move(guarded);
        }
        auto c = std::make_shared<aio::detail::Connection>(std::move(transport), s->opts.read_limit);
        detail::HttpConnection conn(*s, StreamReader(c), StreamWriter(c), ctx.has_value());
        co_await conn.run();
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
        s->clients.emplace(id, create_task(serve_client(s, std::move(conn.first), ctx, id)));
    }
}

}  // namespace

AppRunner::AppRunner(Application& app, ServerOptions opts)
    : app_(app), state_(std::make_shared<detail::ServerState>()) {
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

struct TCPSite::Impl {
    AppRunner& runner;
    std::string host;
    std::uint16_t port;
    SiteOptions opts;
    std::vector<Socket> listeners;
    std::vector<Task<>> acceptors;
};

TCPSite::TCPSite(AppRunner& runner, std::string host, std::uint16_t port, SiteOptions opts)
    : impl_(new Impl{runner, std::move(host), port, std::move(opts), {}, {}}) {
    runner.sites_.push_back(this);
}

TCPSite::~TCPSite() {
    stop();
    auto& sites = impl_->runner.sites_;
    sites.erase(std::remove(sites.begin(), sites.end(), this), sites.end());
}

Task<> TCPSite::start() {
    auto state = impl_->runner.state_;
    std::optional<SSLContext> ctx;
    if (const auto* c = std::get_if<SSLContext>(&impl_->opts.ssl)) ctx = *c;
    if (!ctx && uses_tls(impl_->opts.ssl))
        throw aio::ValueError(
            "ssl=true needs a server SSLContext with a certificate (create_default_context(Purpose::CLIENT_AUTH) "
            "and load_cert_chain): a site never serves plain HTTP while claiming https");
    if (!impl_->acceptors.empty()) co_return;
    const std::string& host = impl_->host;
    auto infos = co_await aio::getaddrinfo(host, std::to_string(impl_->port), AF_UNSPEC, SOCK_STREAM, 0, AI_PASSIVE);
    std::vector<Socket> listeners;
    for (const auto& info : infos) {
        Socket sock;
        try {
            sock = Socket(info.family, SOCK_STREAM);
        } catch (const OSError&) {
            continue;  // e.g. no IPv6 on this machine
        }
        sock.set_option(SOL_SOCKET, SO_REUSEADDR, 1);
        if (impl_->opts.reuse_port) sock.set_option(SOL_SOCKET, SO_REUSEPORT, 1);
        if (info.family == AF_INET6) sock.set_option(IPPROTO_IPV6, IPV6_V6ONLY, 1);
        sock.bind(info.address);
        sock.listen(impl_->opts.backlog);
        listeners.push_back(std::move(sock));
    }
    if (listeners.empty())
        throw OSError(0, "could not listen on " + host + ":" + std::to_string(impl_->port), {});
    impl_->listeners = std::move(listeners);
    for (auto& l : impl_->listeners) impl_->acceptors.push_back(create_task(accept_loop(state, &l, ctx)));
}

void TCPSite::stop() {
    // The accept loops first: none may wait on a descriptor being closed.
    for (auto& a : impl_->acceptors) a.cancel();
    impl_->acceptors.clear();
    for (auto& l : impl_->listeners) l.close();
}

std::uint16_t TCPSite::port() const {
    for (const auto& l : impl_->listeners)
        if (l.fd() >= 0) return l.getsockname().port();
    return impl_->port;
}

std::string TCPSite::name() const {
    std::string scheme = uses_tls(impl_->opts.ssl) ? "https" : "http";
    std::string host = impl_->host.empty() ? "0.0.0.0" : impl_->host;
    return scheme + "://" + host + ":" + std::to_string(port());
}

Task<> AppRunner::cleanup() {
    if (cleaned_) co_return;
    cleaned_ = true;
    // 1. Stop accepting.
    for (TCPSite* site : sites_) site->stop();
    state_->shutting_down = true;
    // 2. Hooks that must run while connections are still open.
    if (set_up_) co_await app_.shutdown();
    // 3. Idle keep-alive connections close now; busy ones finish their
    // request; open WebSockets are told the server is going away (1001).
    for (detail::HttpConnection* c : state_->connections) {
        if (c->phase != detail::HttpConnection::Phase::handling)
            c->task.cancel();
        else
            c->going_away();
    }
    auto deadline = std::chrono::steady_clock::now() + state_->opts.shutdown_timeout;
    while (state_->in_flight > 0 && std::chrono::steady_clock::now() < deadline)
        co_await aio::sleep(std::chrono::milliseconds(10));
    // 4. Whatever is left is cancelled.
    for (detail::HttpConnection* c : state_->connections) c->task.cancel();
    for (auto& [id, t] : state_->clients) t.cancel();  // TLS handshakes too
    while (!state_->clients.empty()) {
        state_->all_closed.clear();
        co_await state_->all_closed.wait();
    }
    if (state_->sweeper.valid() && !state_->sweeper.done()) state_->sweeper.cancel();
    // 5. Last hooks.
    if (set_up_) co_await app_.cleanup();
}

Task<> serve_app(Application& app) { return serve_app(app, RunAppOptions{}); }

Task<> serve_app(Application& app, RunAppOptions opts) {
    AppRunner runner(app, opts.server);
    co_await runner.setup();
    TCPSite site(runner, opts.host, opts.port, {.ssl = opts.ssl, .reuse_port = opts.reuse_port});
    co_await site.start();
    if (opts.on_listening) {
        opts.on_listening(site.port());
    } else {
        std::printf("======== Running on %s ========\n(Press CTRL+C to quit)\n", site.name().c_str());
        std::fflush(stdout);
    }
    aio::Event stop;
    auto& loop = aio::get_running_loop();
    loop.add_signal_handler(SIGINT, [&stop] { stop.set(); });
    loop.add_signal_handler(SIGTERM, [&stop] { stop.set(); });
    co_await stop.wait();
    loop.remove_signal_handler(SIGINT);
    loop.remove_signal_handler(SIGTERM);
    co_await runner.cleanup();
}

void run_app(Application& app, RunAppOptions opts) { aio::run(serve_app(app, std::move(opts))); }

}  // namespace aio::web
