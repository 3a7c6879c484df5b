// The client's internals: connections, the pool, deadlines and the state
// behind a ClientResponse.
#pragma once

#include <aio/dns.hpp>
#include <aio/http/client/request.hpp>
#include <aio/http/client/response.hpp>
#include <aio/http/client/session.hpp>
#include <aio/http/client/tracing.hpp>
#include <aio/http/compression.hpp>
#include <aio/http/errors.hpp>
#include <aio/http/parser.hpp>
#include <aio/locks.hpp>
#include <aio/streams.hpp>
#include <aio/timeouts.hpp>

#include "http/client/h2_connection.hpp"

#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace aio::http::detail {

using SteadyClock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Deadlines

/// Which ClientTimeout member a deadline comes from: it decides the error.
enum class Phase { total, connect, sock_connect, sock_read, pool };

struct Deadline {
    std::optional<Clock::time_point> when;
    Phase phase = Phase::total;
};

/// The earlier of two deadlines (an empty one never wins).
inline Deadline earliest(Deadline a, Deadline b) {
    if (!a.when) return b;
    if (!b.when) return a;
    return *b.when < *a.when ? b : a;
}

/// A deadline `d` (scaled by AIO_TIME_SCALE) from now, or none.
Deadline deadline_in(std::optional<ClientTimeout::Duration> d, Phase phase);

/// Throws the error of a deadline that passed.
[[noreturn]] void throw_timeout(Phase phase, const std::string& url);

/// Runs `work` until `d`; a passed deadline becomes its phase's error.
template <class T>
Task<T> with_deadline(Task<T> work, Deadline d, std::string url) {
    if (!d.when) {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(work);
            co_return;
        } else {
            co_return co_await std::move(work);
        }
    }
    aio::Timeout t(d.when);
    std::exception_ptr err;
    if constexpr (std::is_void_v<T>) {
        try {
            co_await t.run(std::move(work));
        } catch (...) {
            err = std::current_exception();
        }
        if (err) {
            if (t.expired()) throw_timeout(d.phase, url);
            std::rethrow_exception(err);
        }
    } else {
        std::optional<T> value;
        try {
            value.emplace(co_await t.run(std::move(work)));
        } catch (...) {
            err = std::current_exception();
        }
        if (err) {
            if (t.expired()) throw_timeout(d.phase, url);
            std::rethrow_exception(err);
        }
        co_return std::move(*value);
    }
}

// ---------------------------------------------------------------------------
// Connections

/// The most decoded bytes one step of reading a coded body produces: what
/// a compressed body (a "bomb" of any ratio) can add to memory before the
/// reader takes it. Large enough that decoding runs in few steps.
inline constexpr std::size_t kDecodeStep = 256 * 1024;

/// One connection to a server (or through a proxy) and its response parser.
/// The parser's events go to whichever response is reading it now.
struct Conn final : ResponseParser::Handler {
    Conn(StreamReader r, StreamWriter w, std::string key, ParserLimits limits);
    ~Conn() override;

    ParserAction on_head(ResponseHead& h) override;
    ParserAction on_body(std::string_view data) override;
    ParserAction on_message_complete() override;

    /// Starts a new exchange: clears the per-message state.
    void begin(std::string_view method);
    /// Parses what is buffered. Returns the bytes consumed.
    void feed_buffered();

    StreamReader reader;
    StreamWriter writer;
    ResponseParser parser;
    std::string key;
    int fd = -1;
    /// Requests this connection carried (0 while the first is on the way).
    std::size_t served = 0;
    Clock::time_point idle_since{};

    // The exchange in progress.
    ResponseHead head;
    bool head_ready = false;
    bool message_done = false;
    /// Where body bytes go, decoded by `decoder` when set.
    std::string* sink = nullptr;
    Decoder* decoder = nullptr;
    /// Decoded bytes the parser may still produce before it pauses (see
    /// kDecodeStep): a coded body is decoded as it is read, never ahead.
    std::size_t decode_budget = 0;
    /// The next request may not use this connection.
    bool broken = false;
    /// The reader and writer were moved out (to a WebSocket): nothing to close.
    bool detached = false;
};

/// The key of a pool and how to connect for it.
struct ConnKey {
    std::string id;
    std::string host;
    std::uint16_t port = 0;
    bool tls = false;
    std::optional<SSLContext> ssl_context;
    /// How aiohttp prints the ssl= setting in errors ("default", "False", ...).
    std::string ssl_repr = "default";
    /// Through a proxy: its host and port; `tunnel` for CONNECT (https targets).
    bool via_proxy = false;
    std::string proxy_host;
    std::uint16_t proxy_port = 0;
    bool tunnel = false;
    std::string proxy_authorization;
    /// HTTP/2: offered by ALPN (https), required (no fallback), or spoken
    /// with prior knowledge on a plain connection (h2c).
    bool h2_alpn = false;
    bool h2_required = false;
    bool h2c = false;
    bool may_h2() const noexcept { return h2_alpn || h2c; }
};

/// What the pool lends: an HTTP/1.1 connection of the request's own, or a
/// stream's share of an HTTP/2 connection (one stream reserved on it).
struct Lease {
    std::unique_ptr<Conn> h1;
    std::shared_ptr<H2Connection> h2;
};

struct Tracer;

/// The pool of a session (aiohttp's TCPConnector).
class Connector : public std::enable_shared_from_this<Connector> {
public:
    struct Limits {
        std::size_t limit = 100;
        std::size_t limit_per_host = 0;
        Clock::duration keepalive{};
        ParserLimits parser;
        std::size_t read_bufsize = 64 * 1024;
    };
    Connector(Limits limits, std::chrono::duration<double> dns_ttl);
    ~Connector();

    /// A connection for `key`: an HTTP/2 one with a free stream, an idle
    /// one (unless `fresh`: then always a new one), or a new one. Waits for
    /// a slot within the limits first, and for a connection being opened
    /// that may turn out HTTP/2. Throws the connect errors.
    Task<Lease> acquire(const ConnKey& key, Deadline pool, Deadline connect,
                                        std::optional<ClientTimeout::Duration> sock_connect, bool fresh,
                                        RequestTimings& timings, const Tracer& tracer, const URL& url);
    /// Gives a connection back: kept idle when `reusable` and the pool is
    /// open, else closed. Frees its slot either way.
    void release(std::unique_ptr<Conn> conn, bool reusable) noexcept;
    /// Forgets a connection whose streams were moved out (a WebSocket took
    /// them): frees its slot, closes nothing.
    void detach(std::unique_ptr<Conn> conn) noexcept;

    /// Closes the idle connections and waits until they are closed.
    Task<> close();
    /// Closes everything idle at once (no waiting); returns how many.
    std::size_t close_now() noexcept;
    bool closed() const noexcept { return closed_; }

    ClientSession::PoolStats stats() const noexcept;

private:
    struct Host {
        std::deque<std::unique_ptr<Conn>> idle;
        std::size_t in_use = 0;
        /// HTTP/2 connections (each holds a slot while it has streams).
        std::vector<std::shared_ptr<H2Connection>> h2;
        /// Set while a connection that may speak HTTP/2 is being opened:
        /// requests wait for it rather than open their own.
        std::shared_ptr<aio::Event> opening;
        /// ALPN chose HTTP/1.1 here: no waiting for an opening connection.
        bool speaks_h1 = false;
        bool unused() const noexcept { return in_use == 0 && idle.empty() && h2.empty() && !opening; }
    };
    struct Waiter {
        std::string key;
        aio::Event ready;
        bool granted = false;
        /// Woken because an HTTP/2 connection has a free stream (no slot given).
        bool h2_retry = false;
    };
    /// An HTTP/2 connection of `key` with a free stream, reserved; taking
    /// an idle one needs a slot (`have_slot`: the caller holds one for it).
    std::shared_ptr<H2Connection> take_h2(const std::string& key, bool have_slot);
    bool h2_room(const std::string& key) const noexcept;
    /// HTTP/2 connections without streams.
    std::size_t h2_idle() const noexcept;
    /// Streams or connections changed: slots of connections without
    /// streams are freed, dead ones dropped, waiters woken.
    void h2_changed() noexcept;
    static Task<> wait_event(std::shared_ptr<aio::Event> e);
    Task<Lease> finish_open(std::unique_ptr<Conn> made, const ConnKey& key, Deadline connect, const URL& url);
    bool has_room(const std::string& key) const noexcept;
    void take_slot(const std::string& key);
    void free_slot(const std::string& key) noexcept;
    void wake_waiters() noexcept;
    void schedule_cleanup();
    void cleanup() noexcept;
    Task<std::unique_ptr<Conn>> open(const ConnKey& key, std::optional<ClientTimeout::Duration> sock_connect,
                                     RequestTimings& timings, const Tracer& tracer, const URL& url);
    static Task<> wait_granted(Waiter& w);

    Limits limits_;
    Resolver resolver_;
    std::unordered_map<std::string, Host> hosts_;
    std::list<Waiter*> waiters_;
    std::size_t in_use_ = 0;
    std::size_t idle_ = 0;
    std::size_t opened_ = 0;
    std::size_t waited_ = 0;
    bool closed_ = false;
    std::optional<TimerHandle> cleanup_timer_;
};

// ---------------------------------------------------------------------------
// Tracing

/// Calls a session's hooks; an exception from a hook goes to the loop's handler.
struct Tracer {
    std::shared_ptr<const std::vector<TraceConfig>> configs;

    bool empty() const noexcept { return !configs || configs->empty(); }
    template <class Member, class Event>
    void emit(Member member, const Event& ev) const noexcept {
        if (empty()) return;
        for (const TraceConfig& c : *configs) {
            const auto& hook = c.*member;
            if (!hook) continue;
            try {
                hook(ev);
            } catch (...) {
                report(std::current_exception());
            }
        }
    }
    static void report(std::exception_ptr e) noexcept;
};

// ---------------------------------------------------------------------------
// Responses

struct ResponseState {
    ResponseState() : content(this) {}

    std::shared_ptr<Connector> connector;
    std::unique_ptr<Conn> conn;
    /// Over HTTP/2: the connection and the stream instead of `conn`.
    std::shared_ptr<H2Connection> h2conn;
    std::shared_ptr<H2Stream> h2;
    std::int32_t stream_id = 0;
    Headers trailers;
    std::shared_ptr<const RequestInfo> info;
    Tracer tracer;

    int status = 0;
    std::string reason;
    Headers headers;
    HttpVersion version;
    std::optional<std::uint64_t> content_length;
    std::vector<ClientResponse> history;
    RequestTimings timings;
    Clock::time_point head_time{};

    Deadline total;
    std::optional<ClientTimeout::Duration> sock_read;

    /// Decoded body bytes not yet handed out start at `pos`; what was handed
    /// out is dropped before more is received (streaming reads stay small).
    std::string buf;
    std::size_t pos = 0;
    /// The most body bytes held in `buf` at once (SessionOptions::max_body_size).
    std::uint64_t max_buffered = UINT64_MAX;
    std::optional<Decoder> decoder;
    /// The whole body has been received (and decoded).
    bool eof = false;
    bool released = false;
    std::optional<std::string> body;
    ResponseContent content;

    /// Receives more of the body into `buf`; false at its end. Throws
    /// ClientPayloadError and the timeout errors.
    Task<bool> more();
    /// more() over HTTP/2, once the common checks are done (`before`: the
    /// buffer's size when more() began).
    Task<bool> more_h2(std::size_t before);
    /// Reads more bytes from the connection under sock_read / total.
    Task<bool> fill();
    /// Parses what is buffered; finishes the message when complete.
    void feed();
    /// The message is complete: release the connection to the pool.
    void finish();
    void release(bool force_close) noexcept;
    [[noreturn]] void payload_error(const std::string& reason);
    /// Throws ClientPayloadError (closing the connection) when more than
    /// max_buffered unread bytes are held.
    void check_buffered();
    const std::string& url() const noexcept { return info->url.str(); }
};

}  // namespace aio::http::detail
