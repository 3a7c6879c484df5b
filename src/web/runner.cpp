// AppRunner, TCPSite, run_app: lifecycle, listeners, timeouts, graceful shutdown.
#include "aio/web/runner.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "aio/locks.hpp"
#include "aio/runners.hpp"
#include "aio/sleep.hpp"
#include "aio/streams.hpp"
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

Task<> serve_connection(std::shared_ptr<detail::ServerState> s, bool tls, StreamReader r, StreamWriter w) {
    detail::HttpConnection conn(*s, std::move(r), std::move(w), tls);
    co_await conn.run();
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
    std::optional<Server> server;
};

TCPSite::TCPSite(AppRunner& runner, std::string host, std::uint16_t port, SiteOptions opts)
    : impl_(new Impl{runner, std::move(host), port, std::move(opts), std::nullopt}) {
    runner.sites_.push_back(this);
}

TCPSite::~TCPSite() {
    stop();
    auto& sites = impl_->runner.sites_;
    sites.erase(std::remove(sites.begin(), sites.end(), this), sites.end());
}

Task<> TCPSite::start() {
    auto state = impl_->runner.state_;
    bool tls = uses_tls(impl_->opts.ssl);
    ConnectionHandler h = [state, tls](StreamReader r, StreamWriter w) {
        return serve_connection(state, tls, std::move(r), std::move(w));
    };
    aio::ServerOptions opts;
    opts.limit = state->opts.read_limit;
    opts.ssl = impl_->opts.ssl;
    opts.backlog = impl_->opts.backlog;
    opts.reuse_port = impl_->opts.reuse_port;
    Server server = co_await aio::start_server(std::move(h), impl_->host, impl_->port, std::move(opts));
    impl_->server.emplace(std::move(server));
}

void TCPSite::stop() {
    if (impl_->server) impl_->server->close();
}

std::uint16_t TCPSite::port() const {
    if (!impl_->server || impl_->server->sockets().empty()) return impl_->port;
    return impl_->server->sockets().at(0).getsockname().port();
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
    // 3. Idle keep-alive connections close now; busy ones finish their request.
    for (detail::HttpConnection* c : state_->connections)
        if (c->phase != detail::HttpConnection::Phase::handling) c->task.cancel();
    auto deadline = std::chrono::steady_clock::now() + state_->opts.shutdown_timeout;
    while (state_->in_flight > 0 && std::chrono::steady_clock::now() < deadline)
        co_await aio::sleep(std::chrono::milliseconds(10));
    // 4. Whatever is left is cancelled.
    for (detail::HttpConnection* c : state_->connections) c->task.cancel();
    for (TCPSite* site : sites_) {
        if (site->impl_->server) {
            site->impl_->server->close_clients();
            co_await site->impl_->server->wait_closed();
        }
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
