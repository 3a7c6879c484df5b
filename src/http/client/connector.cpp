// The connection pool of a session (aiohttp's TCPConnector) and the
// connections it lends.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <aio/events.hpp>
#include <aio/http/writer.hpp>

#include "http/client/core.hpp"
#include "http/client/util.hpp"
#include "streams/connection.hpp"

namespace aio::http::detail {

namespace {

/// An idle TLS connection unused for longer than this is checked for a
/// close by the server (one non-blocking peek) before it carries a request
/// (plain TCP ones are checked every time: see acquire).
constexpr Clock::duration kStaleCheckAfter = std::chrono::seconds(1);

/// asyncio's way of naming an address in "Connect call failed ('127.0.0.1', 80)".
std::string py_address(const SocketAddress& a) {
    if (a.family() == AF_INET6) return "('" + a.host() + "', " + std::to_string(a.port()) + ", 0, 0)";
    return "('" + a.host() + "', " + std::to_string(a.port()) + ")";
}

/// The reason of an OSError without Python's "[Errno N] " prefix (aiohttp prints strerror).
std::string strerror_of(const aio::OSError& e) {
    std::string_view w = e.what();
    if (w.starts_with("[Errno ")) {
        std::size_t close = w.find("] ");
        if (close != std::string_view::npos) w.remove_prefix(close + 2);
    }
    return std::string(w);
}

/// True when the peer has closed an idle connection (or sent something
/// unexpected): it must not carry a request.
bool looks_closed(int fd) noexcept {
    if (fd < 0) return true;
    char c;
    ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;                                  // FIN
    if (n > 0) return true;                                   // bytes nobody asked for
    return !(errno == EAGAIN || errno == EWOULDBLOCK);        // an error
}

/// Reads a CONNECT answer.
struct ConnectReply final : ResponseParser::Handler {
    ResponseHead head;
    bool done = false;
    ParserAction on_head(ResponseHead& h) override {
        head = std::move(h);
        done = true;
        return ParserAction::pause;
    }
    ParserAction on_body(std::string_view) override { return ParserAction::proceed; }
    ParserAction on_message_complete() override { return ParserAction::proceed; }
};

Task<> proxy_connect(StreamReader& reader, StreamWriter& writer, const ConnKey& key, const URL& url) {
    // Built with append: g++ 12 warns falsely (-Wrestrict, GCC PR 105329) on "[" + host.
    std::string authority;
    bool ipv6 = key.host.find(':') != std::string::npos;
    if (ipv6) authority += '[';
    authority += key.host;
    if (ipv6) authority += ']';
    authority += ':';
    authority += std::to_string(key.port);
    Headers h;
    h.add(hdrs::HOST, authority);
    if (!key.proxy_authorization.empty()) h.add(hdrs::PROXY_AUTHORIZATION, key.proxy_authorization);
    std::string out;
    append_request_head(out, "CONNECT", authority, h);
    writer.write(out);
    co_await writer.drain();
    ConnectReply reply;
    ResponseParser parser(reply);
    parser.set_request_method("CONNECT");
    while (!reply.done) {
        std::size_t n = parser.feed(reader.buffered());
        reader.consume(n);
        if (reply.done) break;
        bool more = co_await reader.fill();
        if (!more) throw ServerDisconnectedError("Server disconnected: the proxy closed the connection during CONNECT", url.str());
    }
    if (reply.head.status / 100 != 2) {
        auto info = std::make_shared<RequestInfo>(RequestInfo{url, "CONNECT", h, url});
        throw ClientHttpProxyError(info, reply.head.status, reply.head.reason);
    }
}

}  // namespace

// ---------------------------------------------------------------------------
// Conn

Conn::Conn(StreamReader r, StreamWriter w, std::string k, ParserLimits limits)
    : reader(std::move(r)), writer(std::move(w)), parser(*this, limits), key(std::move(k)) {
    std::any s = writer.get_extra_info("socket");
    if (auto* p = std::any_cast<int>(&s)) fd = *p;
}

Conn::~Conn() {
    if (detached) return;
    try {
        writer.close();
    } catch (...) {
    }
}

void Conn::begin(std::string_view method) {
    head_ready = false;
    message_done = false;
    sink = nullptr;
    decoder = nullptr;
    decode_budget = 0;
    parser.set_request_method(method);
}

ParserAction Conn::on_head(ResponseHead& h) {
    head = std::move(h);
    head_ready = true;
    return ParserAction::pause;
}

ParserAction Conn::on_body(std::string_view data) {
    if (!sink) return ParserAction::proceed;  // an interim (1xx) message or a discarded body
    if (!decoder) {
        // The reader's whole buffer is body and the sink is empty (a body
        // read piece by piece, as readany() does): the buffer's storage
        // becomes the sink's string instead of being copied into it, and the
        // reader's next read goes to new storage. One copy of every body
        // byte less (the kernel's receive copy is then the only one).
        if (sink->empty()) {
            ::aio::detail::ByteBuffer& rbuf = ::aio::detail::StreamAccess::read_buffer(reader);
            if (data.data() == rbuf.data() && data.size() == rbuf.size() && rbuf.can_take()) {
                *sink = rbuf.take();
                return ParserAction::proceed;
            }
        }
        sink->append(data);
        return ParserAction::proceed;
    }
    // Decode at most what is left of this step; the rest waits in the
    // decoder and the parser stops until the reader has taken the output.
    std::size_t before = sink->size();
    decoder->feed(data, *sink, decode_budget);
    std::size_t got = sink->size() - before;
    decode_budget -= std::min(got, decode_budget);
    return decoder->has_pending() || decode_budget == 0 ? ParserAction::pause : ParserAction::proceed;
}

ParserAction Conn::on_message_complete() {
    message_done = true;
    return ParserAction::pause;
}

void Conn::feed_buffered() {
    std::size_t n = parser.feed(reader.buffered());
    // When on_body took the buffer whole (the parser took all of it), the
    // reader is empty already: only what is still buffered is consumed.
    reader.consume(std::min(n, reader.buffered().size()));
}

// ---------------------------------------------------------------------------
// Connector

// A ttl of NaN caches nothing; 1e300 s keeps entries for good.
Connector::Connector(Limits limits, std::chrono::duration<double> dns_ttl)
    : limits_(limits), resolver_(aio::detail::to_clock_duration(dns_ttl)) {}

Connector::~Connector() {
    if (cleanup_timer_) cleanup_timer_->cancel();
}

bool Connector::has_room(const std::string& key) const noexcept {
    if (limits_.limit && in_use_ >= limits_.limit) return false;
    if (limits_.limit_per_host) {
        auto it = hosts_.find(key);
        if (it != hosts_.end() && it->second.in_use >= limits_.limit_per_host) return false;
    }
    return true;
}

void Connector::take_slot(const std::string& key) {
    ++in_use_;
    ++hosts_[key].in_use;
}

void Connector::free_slot(const std::string& key) noexcept {
    --in_use_;
    auto it = hosts_.find(key);
    if (it != hosts_.end()) {
        --it->second.in_use;
        if (it->second.unused()) hosts_.erase(it);
    }
    wake_waiters();
}

void Connector::wake_waiters() noexcept {
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        Waiter* w = *it;
        if (h2_room(w->key)) {  // a stream is free: the waiter looks again, no slot given
            w->h2_retry = true;
            w->ready.set();
            it = waiters_.erase(it);
            continue;
        }
        if (!has_room(w->key)) {
            if (limits_.limit && in_use_ >= limits_.limit) return;  // nobody can go
            ++it;
            continue;
        }
        take_slot(w->key);  // the slot is the waiter's from now on
        w->granted = true;
        w->ready.set();
        it = waiters_.erase(it);
    }
}

Task<> Connector::wait_granted(Waiter& w) { co_await w.ready.wait(); }

Task<> Connector::wait_event(std::shared_ptr<aio::Event> e) { co_await e->wait(); }

bool Connector::h2_room(const std::string& key) const noexcept {
    auto it = hosts_.find(key);
    if (it == hosts_.end()) return false;
    for (const auto& c : it->second.h2) {
        if (!c->has_room()) continue;
        if (c->slot_held || has_room(key)) return true;
    }
    return false;
}

std::shared_ptr<H2Connection> Connector::take_h2(const std::string& key, bool have_slot) {
    auto it = hosts_.find(key);
    if (it == hosts_.end()) return nullptr;
    // One with streams first: it costs no slot.
    for (const auto& c : it->second.h2) {
        if (c->slot_held && c->has_room()) {
            if (have_slot) free_slot(key);
            ++c->reserved;
            return c;
        }
    }
    for (const auto& c : it->second.h2) {
        if (!c->slot_held && c->has_room()) {
            if (!have_slot) {
                if (!waiters_.empty() || !has_room(key)) return nullptr;
                take_slot(key);
            }
            c->slot_held = true;
            ++c->reserved;
            return c;
        }
    }
    return nullptr;
}

void Connector::h2_changed() noexcept {
    auto now = Clock::now();
    std::vector<std::shared_ptr<H2Connection>> closing;
    bool freed = false;
    for (auto it = hosts_.begin(); it != hosts_.end();) {
        Host& host = it->second;
        for (auto c = host.h2.begin(); c != host.h2.end();) {
            H2Connection& h = **c;
            if (h.active() == 0 && h.slot_held) {
                h.slot_held = false;
                h.idle_since = now;
                --in_use_;
                --host.in_use;
                freed = true;
            }
            bool idle = !h.slot_held;
            if (idle && (!h.usable() || closed_ || limits_.keepalive <= Clock::duration::zero())) {
                closing.push_back(*c);
                c = host.h2.erase(c);
                continue;
            }
            ++c;
        }
        if (host.unused())
            it = hosts_.erase(it);
        else
            ++it;
    }
    for (auto& c : closing) c->close();
    if (freed) {
        try {
            schedule_cleanup();
        } catch (...) {
        }
    }
    wake_waiters();
}

Task<Lease> Connector::acquire(const ConnKey& key, Deadline pool, Deadline connect,
                               std::optional<ClientTimeout::Duration> sock_connect, bool fresh,
                               RequestTimings& timings, const Tracer& tracer, const URL& url) {
    if (closed_) throw aio::RuntimeError("Session is closed");
    bool h2ok = key.may_h2() && !fresh;
    bool queued = false;
    auto started = SteadyClock::now();
    while (true) {
        if (h2ok) {
            // A stream on an HTTP/2 connection of this origin.
            if (auto c = take_h2(key.id, false)) {
                if (queued) {
                    timings.pool_wait = SteadyClock::now() - started;
                    tracer.emit(&TraceConfig::on_connection_queued_end, TraceConnection{url});
                }
                timings.reused_connection = true;
                tracer.emit(&TraceConfig::on_connection_reuseconn, TraceConnection{url});
                co_return Lease{nullptr, c};
            }
            // A connection that may turn out HTTP/2 is being opened: wait for it.
            auto hit = hosts_.find(key.id);
            if (hit != hosts_.end() && hit->second.opening && !hit->second.speaks_h1) {
                std::shared_ptr<aio::Event> ev = hit->second.opening;
                co_await with_deadline(wait_event(ev), earliest(pool, connect), url.str());
                continue;
            }
        }
        // A slot: FIFO behind earlier waiters.
        if (!waiters_.empty() || !has_room(key.id)) {
            if (!queued) {
                ++waited_;
                tracer.emit(&TraceConfig::on_connection_queued_start, TraceConnection{url});
                queued = true;
            }
            Waiter w;
            w.key = key.id;
            waiters_.push_back(&w);
            auto pos = std::prev(waiters_.end());
            std::exception_ptr err;
            try {
                co_await with_deadline(wait_granted(w), earliest(pool, connect), url.str());
            } catch (...) {
                err = std::current_exception();
            }
            if (!w.granted && !w.h2_retry) waiters_.erase(pos);
            if (err) {
                if (w.granted) free_slot(key.id);  // granted, but the waiter is gone
                std::rethrow_exception(err);
            }
            if (w.h2_retry) continue;  // an HTTP/2 connection has a free stream: look again
        } else {
            take_slot(key.id);
        }
        break;
    }
    if (queued) {
        timings.pool_wait = SteadyClock::now() - started;
        tracer.emit(&TraceConfig::on_connection_queued_end, TraceConnection{url});
    }
    if (h2ok) {
        // An idle HTTP/2 connection takes the slot just obtained.
        if (auto c = take_h2(key.id, true)) {
            timings.reused_connection = true;
            tracer.emit(&TraceConfig::on_connection_reuseconn, TraceConnection{url});
            co_return Lease{nullptr, c};
        }
    }
    // An idle connection, most recently used first.
    if (!fresh) {
        auto hit = hosts_.find(key.id);
        if (hit != hosts_.end()) {
            auto& idle = hit->second.idle;
            auto now = Clock::now();
            while (!idle.empty()) {
                std::unique_ptr<Conn> c = std::move(idle.back());
                idle.pop_back();
                --idle_;
                if (now - c->idle_since > limits_.keepalive) continue;  // expired: closed by its destructor
                // Bytes that came while idle (a lying Content-Length's excess,
                // an unasked-for response) would be read as the next answer:
                // such a connection is closed. Plain TCP is checked each time
                // (one recv with MSG_PEEK); TLS, whose records may come unasked
                // (session tickets), after kStaleCheckAfter.
                if (!c->reader.buffered().empty()) continue;
                if ((!key.tls || now - c->idle_since > kStaleCheckAfter) && looks_closed(c->fd)) continue;
                timings.reused_connection = true;
                tracer.emit(&TraceConfig::on_connection_reuseconn, TraceConnection{url});
                co_return Lease{std::move(c), nullptr};
            }
        }
    }
    // A new connection. The first that may speak HTTP/2 makes the others wait.
    std::shared_ptr<aio::Event> opening;
    if (key.may_h2()) {
        Host& host = hosts_[key.id];
        if (!host.opening && !host.speaks_h1) {
            opening = std::make_shared<aio::Event>();
            host.opening = opening;
        }
    }
    std::exception_ptr err;
    Lease lease;
    try {
        std::unique_ptr<Conn> made =
            co_await with_deadline(open(key, sock_connect, timings, tracer, url), connect, url.str());
        ++opened_;
        lease = co_await finish_open(std::move(made), key, connect, url);
    } catch (...) {
        err = std::current_exception();
    }
    if (opening) {
        auto hit = hosts_.find(key.id);
        if (hit != hosts_.end() && hit->second.opening == opening) hit->second.opening.reset();
        opening->set();
    }
    if (err) {
        free_slot(key.id);
        std::rethrow_exception(err);
    }
    co_return lease;
}

Task<Lease> Connector::finish_open(std::unique_ptr<Conn> made, const ConnKey& key, Deadline connect,
                                   const URL& url) {
    if (!key.may_h2()) co_return Lease{std::move(made), nullptr};
    bool h2 = key.h2c;
    if (key.tls) {
        std::any alpn = made->writer.get_extra_info("alpn_protocol");
        auto* chosen = std::any_cast<std::string>(&alpn);
        h2 = chosen && *chosen == "h2";
    }
    if (!h2) {
        if (key.h2_required)
            throw ClientConnectFailedError(key.host, key.port, key.ssl_repr, 0,
                                           "HTTP/2 required (http2_prior_knowledge) and the server's ALPN did not "
                                           "choose h2",
                                           url.str());
        hosts_[key.id].speaks_h1 = true;
        co_return Lease{std::move(made), nullptr};
    }
    made->detached = true;  // its streams move to the HTTP/2 connection
    auto c = std::make_shared<H2Connection>(std::move(made->reader), std::move(made->writer), key.id, url.str());
    made.reset();
    c->slot_held = true;
    c->reserved = 1;
    std::weak_ptr<Connector> self = weak_from_this();
    c->on_change = [self] {
        if (auto conn = self.lock()) conn->h2_changed();
    };
    std::exception_ptr err;
    try {
        co_await with_deadline(c->start(), connect, url.str());
    } catch (...) {
        err = std::current_exception();
    }
    if (err) {
        c->close();
        std::rethrow_exception(err);
    }
    hosts_[key.id].h2.push_back(c);
    co_return Lease{nullptr, c};
}

Task<std::unique_ptr<Conn>> Connector::open(const ConnKey& key, std::optional<ClientTimeout::Duration> sock_connect,
                                            RequestTimings& timings, const Tracer& tracer, const URL& url) {
    tracer.emit(&TraceConfig::on_connection_create_start, TraceConnection{url});
    const std::string& host = key.via_proxy ? key.proxy_host : key.host;
    std::uint16_t port = key.via_proxy ? key.proxy_port : key.port;
    auto connector_error = [&](int errno_code, std::string reason) -> std::exception_ptr {
        if (key.via_proxy)
            return std::make_exception_ptr(
                ClientProxyConnectionError(host, port, key.ssl_repr, errno_code, std::move(reason), url.str()));
        return std::make_exception_ptr(
            ClientConnectFailedError(host, port, key.ssl_repr, errno_code, std::move(reason), url.str()));
    };

    // DNS (cached by the resolver).
    auto t0 = SteadyClock::now();
    tracer.emit(&TraceConfig::on_dns_resolvehost_start, TraceDns{host});
    std::vector<SocketAddress> addrs;
    std::exception_ptr err;
    try {
        addrs = co_await resolver_.resolve(host, port);
    } catch (const aio::gaierror& e) {
        err = connector_error(e.code(), strerror_of(e));
    } catch (const aio::OSError& e) {
        err = connector_error(e.errno_code(), strerror_of(e));
    }
    if (err) std::rethrow_exception(err);
    if (addrs.empty()) std::rethrow_exception(connector_error(0, "no address found"));
    auto t1 = SteadyClock::now();
    timings.dns = t1 - t0;
    tracer.emit(&TraceConfig::on_dns_resolvehost_end, TraceDns{host});

    // TCP: each address in turn, each attempt within sock_connect (as aiohttp).
    std::optional<std::pair<StreamReader, StreamWriter>> streams;
    for (const SocketAddress& a : addrs) {
        err = nullptr;
        try {
            ConnectOptions copts{.limit = limits_.read_bufsize, .nodelay = true};
            streams.emplace(co_await with_deadline(open_connection(a.host(), a.port(), copts),
                                                   deadline_in(sock_connect, Phase::sock_connect), url.str()));
        } catch (const ConnectionTimeoutError&) {
            err = std::current_exception();
        } catch (const aio::OSError& e) {
            err = connector_error(e.errno_code(), "Connect call failed " + py_address(a));
        }
        if (streams) break;
    }
    if (!streams) std::rethrow_exception(err);
    auto t2 = SteadyClock::now();
    timings.connect = t2 - t1;
    auto& [reader, writer] = *streams;

    if (key.tunnel) {
        co_await proxy_connect(reader, writer, key, url);
        timings.connect = SteadyClock::now() - t1;
    }
    if (key.tls) {
        auto t3 = SteadyClock::now();
        err = nullptr;
        try {
            co_await with_deadline(writer.start_tls(*key.ssl_context, key.host),
                                   deadline_in(sock_connect, Phase::sock_connect), url.str());
        } catch (const aio::SSLCertVerificationError& e) {
            err = std::make_exception_ptr(ClientConnectorCertificateError(key.host, key.port, key.ssl_repr, e, url.str()));
        } catch (const aio::SSLError& e) {
            err = std::make_exception_ptr(
                ClientConnectorSSLError(key.host, key.port, key.ssl_repr, 0, e.what(), url.str()));
        } catch (const ConnectionTimeoutError&) {
            throw;
        } catch (const aio::OSError& e) {
            err = std::make_exception_ptr(
                ClientConnectorSSLError(key.host, key.port, key.ssl_repr, e.errno_code(), e.what(), url.str()));
        }
        if (err) std::rethrow_exception(err);
        timings.tls = SteadyClock::now() - t3;
    }
    tracer.emit(&TraceConfig::on_connection_create_end, TraceConnection{url});
    co_return std::make_unique<Conn>(std::move(reader), std::move(writer), key.id, limits_.parser);
}

void Connector::release(std::unique_ptr<Conn> conn, bool reusable) noexcept {
    if (!conn) return;
    std::string key = conn->key;
    if (reusable && !closed_ && !conn->broken && limits_.keepalive > Clock::duration::zero()) {
        try {
            conn->idle_since = Clock::now();
            conn->sink = nullptr;
            conn->decoder = nullptr;
            ::aio::detail::StreamAccess::going_idle(conn->reader);
            ++conn->served;
            hosts_[key].idle.push_back(std::move(conn));
            ++idle_;
            schedule_cleanup();
        } catch (...) {
        }
    }
    conn.reset();  // closes it unless pooled
    free_slot(key);
}

void Connector::detach(std::unique_ptr<Conn> conn) noexcept {
    if (!conn) return;
    std::string key = conn->key;
    conn->detached = true;
    conn.reset();
    free_slot(key);
}

std::size_t Connector::h2_idle() const noexcept {
    std::size_t n = 0;
    for (const auto& [key, host] : hosts_)
        for (const auto& c : host.h2) n += c->slot_held ? 0 : 1;
    return n;
}

void Connector::schedule_cleanup() {
    if (cleanup_timer_) return;
    auto* loop = running_loop_or_null();
    if (!loop) return;
    // Runs every keepalive period while connections are idle.
    cleanup_timer_ = loop->call_at(aio::detail::add_saturating(Clock::now(), limits_.keepalive), [this] {
        cleanup_timer_.reset();
        cleanup();
    });
}

void Connector::cleanup() noexcept {
    auto now = Clock::now();
    for (auto it = hosts_.begin(); it != hosts_.end();) {
        auto& idle = it->second.idle;
        std::size_t before = idle.size();
        std::erase_if(idle, [&](const std::unique_ptr<Conn>& c) { return now - c->idle_since >= limits_.keepalive; });
        idle_ -= before - idle.size();
        std::erase_if(it->second.h2, [&](const std::shared_ptr<H2Connection>& c) {
            if (c->slot_held || now - c->idle_since < limits_.keepalive) return false;
            c->close();
            return true;
        });
        if (it->second.unused())
            it = hosts_.erase(it);
        else
            ++it;
    }
    if (idle_ || h2_idle() > 0) {
        try {
            schedule_cleanup();
        } catch (...) {
        }
    }
}

std::size_t Connector::close_now() noexcept {
    closed_ = true;
    if (cleanup_timer_) {
        cleanup_timer_->cancel();
        cleanup_timer_.reset();
    }
    std::size_t n = idle_ + h2_idle();
    for (auto& [key, host] : hosts_) {
        host.idle.clear();
        std::erase_if(host.h2, [](const std::shared_ptr<H2Connection>& c) {
            if (c->slot_held) return false;
            c->close();
            return true;
        });
    }
    idle_ = 0;
    return n;
}

Task<> Connector::close() {
    closed_ = true;
    if (cleanup_timer_) {
        cleanup_timer_->cancel();
        cleanup_timer_.reset();
    }
    std::vector<std::unique_ptr<Conn>> closing;
    std::vector<std::shared_ptr<H2Connection>> closing_h2;
    for (auto& [key, host] : hosts_) {
        for (auto& c : host.idle) closing.push_back(std::move(c));
        host.idle.clear();
        std::erase_if(host.h2, [&](const std::shared_ptr<H2Connection>& c) {
            if (c->slot_held) return false;  // closes when its streams are done
            closing_h2.push_back(c);
            return true;
        });
    }
    idle_ = 0;
    for (auto& c : closing) c->writer.close();
    for (auto& c : closing_h2) c->close();
    for (auto& c : closing) {
        try {
            co_await c->writer.wait_closed();
        } catch (...) {
        }
    }
    for (auto& c : closing_h2) co_await c->wait_closed();
}

ClientSession::PoolStats Connector::stats() const noexcept {
    std::size_t h2 = 0, streams = 0;
    for (const auto& [key, host] : hosts_) {
        h2 += host.h2.size();
        for (const auto& c : host.h2) streams += c->active() - c->reserved;
    }
    return ClientSession::PoolStats{.in_use = in_use_,
                                    .idle = idle_ + h2_idle(),
                                    .opened = opened_,
                                    .waited = waited_,
                                    .http2 = h2,
                                    .streams = streams};
}

// ---------------------------------------------------------------------------
// Deadlines and tracing

Deadline deadline_in(std::optional<ClientTimeout::Duration> d, Phase phase) {
    if (!d) return Deadline{std::nullopt, phase};
    return Deadline{aio::detail::loop_deadline(*d), phase};
}

void throw_timeout(Phase phase, const std::string& url) {
    switch (phase) {
        case Phase::total:
            throw aio::TimeoutError("Request timed out (ClientTimeout.total) for " + url);
        case Phase::connect:
            throw ConnectionTimeoutError("Connection timeout to host " + url, url);
        case Phase::sock_connect:
            throw ConnectionTimeoutError("Connection timeout to host " + url + " (sock_connect)", url);
        case Phase::pool:
            throw PoolTimeoutError("Timeout waiting for a free connection to " + url + " (pool)", url);
        case Phase::sock_read:
            break;
    }
    throw SocketTimeoutError("Timeout on reading data from socket, url=" + url, url);
}

void Tracer::report(std::exception_ptr e) noexcept {
    try {
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler(ExceptionContext{"Exception in a ClientSession trace hook", e, {}});
    } catch (...) {
    }
}

}  // namespace aio::http::detail
