// StreamReader and StreamWriter over a socket transport (asyncio streams): buffering and backpressure.
#include "aio/streams.hpp"

#include <netinet/in.h>
#include <sys/stat.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "aio/dns.hpp"
#include "aio/sleep.hpp"
#include "aio/timeouts.hpp"
#include "aio/wait.hpp"
#include "streams/connection.hpp"
#include "streams/listeners.hpp"
#include "streams/tls.hpp"

namespace aio {

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
    : Exception(std::to_string(partial.size()) + " bytes read on a total of " +
                (expected ? std::to_string(*expected) : std::string("undefined")) + " expected bytes"),
      partial_(std::move(partial)), expected_(expected) {}

namespace detail {

std::any Transport::extra_info(std::string_view) const { return {}; }
Task<std::size_t> Transport::send_some(const char*, std::size_t) {
    throw RuntimeError("this transport does not send through the loop");
}

namespace {

class SocketTransport final : public Transport {
public:
    /// `peer`: the connected address when the caller knows it (IP only).
    explicit SocketTransport(Socket s, const SocketAddress* peer = nullptr) : sock_(std::move(s)) {
        // Kept from the start, as asyncio does: once the peer is gone the
        // kernel no longer answers getpeername().
        try {
            peer_ = peer ? *peer : sock_.getpeername();
            local_ = sock_.getsockname();
        } catch (const OSError&) {
        }
    }
    Task<std::size_t> read_some(char* buf, std::size_t n) override { return sock_.recv(buf, n); }
    std::size_t write_nowait(std::string_view data) override { return sock_.send_nowait(data); }
    bool sends_behind() const noexcept override { return behind_; }
    Task<std::size_t> send_some(const char* buf, std::size_t n) override { return detail::send_some(sock_.fd(), buf, n); }
    Task<> flush() override { return sock_.wait_ready(false); }
    Task<> write_eof() override {
        sock_.shutdown_write();
        co_return;
    }
    void close() noexcept override { sock_.close(); }
    int fd() const noexcept override { return sock_.fd(); }
    std::any extra_info(std::string_view name) const override {
        if (name == "peername") return peer_;
        if (name == "sockname") return local_;
        if (name == "socket") return sock_.fd();
        return {};
    }

private:
    Socket sock_;
    SocketAddress peer_;
    SocketAddress local_;
    // Asked once: write() and the flusher ask on every call, and the stream
    // stays on the loop it was made on. Made outside a loop: send(2) in write().
    const bool behind_ = loop_batches_sends();
};

}  // namespace

std::unique_ptr<Transport> make_socket_transport(Socket sock) { return std::make_unique<SocketTransport>(std::move(sock)); }
std::unique_ptr<Transport> make_socket_transport(Socket sock, const SocketAddress& peer) {
    const bool ip = peer.family() == AF_INET || peer.family() == AF_INET6;
    return std::make_unique<SocketTransport>(std::move(sock), ip ? &peer : nullptr);
}

namespace {

void finish_close(Connection& c) noexcept {
    if (c.closed) return;
    c.closed = true;
    if (c.transport) c.transport->close();
    c.drain_waiters.grant_all();
    c.close_waiters.grant_all();
}

/// Sends what is unsent (`sending` first, then wbuf) with non-blocking
/// send(2)s, as far as the socket takes it: for a transport that sends behind,
/// when no send is in flight and the connection is about to end.
void push_out_now(Connection& c) noexcept {
    try {
        if (!c.sending.empty()) c.sending.consume(c.transport->write_nowait(c.sending.view()));
        if (c.sending.empty() && !c.wbuf.empty()) c.wbuf.consume(c.transport->write_nowait(c.wbuf.view()));
    } catch (...) {
        // The peer is gone: nothing more can be sent.
    }
}

/// Sends the writer's buffer in the background, then performs a requested
/// write_eof / close. Holds the connection alive while it runs (and with it
/// `sending`, which a send in flight reads).
///
/// A transport that sends behind (a socket on an io_uring loop) gets one
/// send per round: what was written since the last one, taken out of wbuf
/// whole. The send travels with the loop's next io_uring_enter, beside the
/// other streams' sends and receives of that iteration: one system call for
/// all of them (here a send(2) cost 2.0-2.4 us of CPU, a send in a batch of
/// 32 through io_uring 0.8-0.9 us), or for every 32 sends of a long
/// iteration (the backend's kEarlySubmitSends). start_tls waits for the
/// flusher to end before it changes the transport, so `behind` holds for
/// this run.
Task<> flush_loop(std::shared_ptr<Connection> c) {
    // start_flusher records this task for abort(); the record goes with the
    // frame, also when a loop that closes destroys it mid-send.
    struct Unrecord {
        Connection& c;
        ~Unrecord() { c.flusher_task = nullptr; }
    } unrecord{*c};
    const bool behind = c->transport->sends_behind();
    try {
        while (!c->closed && (c->unsent() != 0 || c->transport->has_pending_output())) {
            if (behind) {
                if (c->sending.empty()) c->sending.swap(c->wbuf);
                std::size_t n = co_await c->transport->send_some(c->sending.data(), c->sending.size());
                c->sending.consume(n);
            } else {
                co_await c->transport->flush();
                if (!c->wbuf.empty()) c->wbuf.consume(c->transport->write_nowait(c->wbuf.view()));
            }
            if (c->unsent() <= c->low_water) c->drain_waiters.grant_all();
        }
        if (c->eof_requested && !c->eof_sent && !c->closed) {
            c->eof_sent = true;
            co_await c->transport->write_eof();
        }
    } catch (const CancelledError&) {
        // The loop is shutting down (or the task was cancelled) and no send
        // is in flight now. A transport that sends behind still holds bytes
        // that write() would have handed to the kernel at once elsewhere (a
        // close frame written just before the program ends): they go now,
        // in order, as far as the socket takes them without waiting.
        if (!c->closed && behind) push_out_now(*c);
        c->write_error = std::make_exception_ptr(ConnectionAbortedError(ECONNABORTED, "the connection was aborted", ""));
        c->closing = true;
    } catch (...) {
        c->write_error = std::current_exception();
        c->closing = true;  // a connection that cannot send is dead
    }
    // No send is in flight any more: what it did not take is not sent.
    c->sending.consume(c->sending.size());
    c->flushing = false;
    c->drain_waiters.grant_all();
    if (c->closing) finish_close(*c);
}

void start_flusher(const std::shared_ptr<Connection>& c) {
    if (c->flushing || c->closed) return;
    c->flushing = true;
    // A transport that sends behind starts its flusher eagerly: the send is
    // submitted before write() returns, so that it reaches the kernel with
    // the loop's next poll even when the loop then shuts down and cancels
    // the flusher (the send, queued first, wins over the cancel).
    if (c->transport && c->transport->sends_behind()) {
        Task<> t = create_eager_task(flush_loop(c));
        if (!t.done()) c->flusher_task = TaskAccess::core(t);  // it waits on a send: abort() may cancel it
    } else {
        (void)create_task(flush_loop(c));
    }
}

}  // namespace
}  // namespace detail

// ---------------------------------------------------------------- StreamReader

StreamReader::StreamReader(std::size_t limit) : c_(std::make_shared<detail::Connection>(nullptr, limit)) {}
StreamReader::StreamReader(std::shared_ptr<detail::Connection> c) : c_(std::move(c)) {}
StreamReader::StreamReader(StreamReader&&) noexcept = default;
StreamReader& StreamReader::operator=(StreamReader&&) noexcept = default;
StreamReader::~StreamReader() = default;

std::size_t StreamReader::limit() const noexcept { return c_->limit; }
std::string_view StreamReader::buffered() const noexcept { return c_->rbuf.view(); }
void StreamReader::consume(std::size_t n) noexcept { c_->rbuf.consume(std::min(n, c_->rbuf.size())); }
bool StreamReader::at_eof() const noexcept { return c_->eof && c_->rbuf.empty(); }

void StreamReader::feed_data(std::string_view data) {
    if (c_->eof) throw RuntimeError("feed_data() after feed_eof()");
    c_->rbuf.append(data);
    c_->feed_waiters.grant_all();
}

void StreamReader::feed_eof() {
    c_->eof = true;
    c_->feed_waiters.grant_all();
}

void StreamReader::set_exception(std::exception_ptr e) {
    c_->read_error = std::move(e);
    c_->feed_waiters.grant_all();
}

namespace {

// The reader's coroutines run on the shared Connection, never on the
// StreamReader: a reader destroyed or moved while one of its reads is
// suspended (a process pool ending a worker under a call, a handler's
// reader moved into a task) must not leave the read on a dead object.
using ConnectionPtr = std::shared_ptr<detail::Connection>;

/// One read into the buffer; false at the end of the stream. `want`: bytes
/// the caller knows it needs (readexactly), read in one call when the
/// kernel has them, up to kWantCap, beyond the growing read size.
Task<bool> fill_on(ConnectionPtr c, std::size_t want = 0) {
    if (c->read_error) std::rethrow_exception(c->read_error);
    if (c->eof) co_return false;
    if (c->reading) throw RuntimeError("another task is already reading from this stream");
    c->reading = true;
    struct Reading {
        detail::Connection& c;
        ~Reading() { c.reading = false; }
    } guard{*c};
    if (!c->transport) {
        std::size_t before = c->rbuf.size();
        detail::ListWait fed(c->feed_waiters);
        co_await fed;
        if (c->read_error) std::rethrow_exception(c->read_error);
        co_return c->rbuf.size() > before;
    }
    if (c->closed) {
        c->eof = true;
        co_return false;
    }
    // The room asked for is bounded: a length a peer announced may be a lie,
    // and memory is taken as bytes come, not as promised.
    constexpr std::size_t kWantCap = std::size_t(1) << 20;
    char* dst = c->rbuf.prepare(std::max(c->read_size, std::min(want, kWantCap)));
    const std::size_t room = c->rbuf.room();
    std::size_t n = 0;
    try {
        n = co_await c->transport->read_some(dst, room);
    } catch (const CancelledError&) {
        throw;
    } catch (...) {
        // Our own writer closed the connection under this read: as asyncio's
        // connection_lost(None), that is the end of the stream, not an error.
        if (c->closed) {
            c->eof = true;
            co_return false;
        }
        c->read_error = std::current_exception();
        throw;
    }
    if (n == 0) {
        c->eof = true;
        co_return false;
    }
    c->rbuf.commit(n);
    // The kernel had at least this much: ask for twice as much next time.
    if (n == room && c->read_size < detail::kReadChunk) c->read_size *= 2;
    co_return true;
}

Task<std::string> read_on(ConnectionPtr c, long n) {
    if (n == 0) co_return std::string();
    if (n < 0) {
        // Everything until EOF.
        while (true) {
            bool more = co_await fill_on(c);
            if (!more) break;
        }
        co_return c->rbuf.take();
    }
    if (c->rbuf.empty()) co_await fill_on(c);
    std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(n), c->rbuf.size());
    // All of a well-filled buffer: its storage goes out as the string (no
    // copy), and the next read fills new storage.
    if (take == c->rbuf.size() && c->rbuf.can_take()) co_return c->rbuf.take();
    std::string out(c->rbuf.data(), take);
    c->rbuf.consume(take);
    co_return out;
}

Task<std::string> readexactly_on(ConnectionPtr c, std::size_t n) {
    while (c->rbuf.size() < n) {
        bool more = co_await fill_on(c, n - c->rbuf.size());
        if (!more) {
            std::string partial(c->rbuf.view());
            c->rbuf.consume(partial.size());
            throw IncompleteReadError(std::move(partial), n);
        }
    }
    // Exactly what is buffered, filling its storage well: the storage goes
    // out as the string (a large message read whole is not copied again).
    if (n == c->rbuf.size() && c->rbuf.can_take()) co_return c->rbuf.take();
    std::string out(c->rbuf.data(), n);
    c->rbuf.consume(n);
    co_return out;
}

// `separator` is copied: the caller's string may be gone before the read ends.
Task<std::string> readuntil_on(ConnectionPtr c, std::string separator) {
    if (separator.empty()) throw ValueError("the separator must not be empty");
    std::size_t searched = 0;  // bytes already known not to start a match
    while (true) {
        std::string_view buf = c->rbuf.view();
        std::size_t pos = buf.find(separator, searched);
        if (pos != std::string_view::npos) {
            std::size_t end = pos + separator.size();
            if (end > c->limit)
                throw LimitOverrunError("the separator was found, but the chunk is longer than the limit", pos);
            std::string out(buf.substr(0, end));
            c->rbuf.consume(end);
            co_return out;
        }
        if (buf.size() >= separator.size()) searched = buf.size() - separator.size() + 1;
        if (buf.size() > c->limit)
            throw LimitOverrunError("the separator was not found, and the chunk exceeds the limit", buf.size());
        bool more = co_await fill_on(c);
        if (!more) {
            std::string partial(c->rbuf.view());
            c->rbuf.consume(partial.size());
            throw IncompleteReadError(std::move(partial), std::nullopt);
        }
    }
}

Task<std::string> readline_on(ConnectionPtr c) {
    try {
        auto line = readuntil_on(c, "\n");  // named: g++ 12 and temporaries inside co_await
        co_return co_await std::move(line);
    } catch (const IncompleteReadError& e) {
        co_return e.partial();
    } catch (const LimitOverrunError& e) {
        // As asyncio: discard the overlong line (or what was read of it).
        std::string_view buf = c->rbuf.view();
        std::size_t nl = buf.find('\n', e.consumed());
        c->rbuf.consume(nl == std::string_view::npos ? buf.size() : nl + 1);
    }
    throw ValueError("a line is longer than the stream's limit");
}

}  // namespace

Task<bool> StreamReader::fill() { return fill_on(c_); }
Task<std::string> StreamReader::read(long n) { return read_on(c_, n); }
Task<std::string> StreamReader::readexactly(std::size_t n) { return readexactly_on(c_, n); }
Task<std::string> StreamReader::readuntil(std::string_view separator) {
    return readuntil_on(c_, std::string(separator));
}
Task<std::string> StreamReader::readline() { return readline_on(c_); }

// ---------------------------------------------------------------- StreamWriter

StreamWriter::StreamWriter(std::shared_ptr<detail::Connection> c) : c_(std::move(c)) {}
StreamWriter::StreamWriter(StreamWriter&&) noexcept = default;
StreamWriter& StreamWriter::operator=(StreamWriter&& o) noexcept {
    if (this != &o) {
        if (c_ && !c_->closing) {
            try {
                close();
            } catch (...) {
            }
        }
        c_ = std::move(o.c_);
    }
    return *this;
}

StreamWriter::~StreamWriter() {
    if (c_ && !c_->closing) {
        try {
            close();
        } catch (...) {
        }
    }
}

void StreamWriter::write(std::string_view data) {
    auto& c = *c_;
    // A stream that failed to send (and was closed for it) takes writes
    // silently, as asyncio's transport after connection_lost: drain() reports
    // the error.
    if (c.write_error) return;
    if (c.closing || c.eof_requested) throw RuntimeError("write() after the stream was closed or its write side ended");
    if (data.empty()) return;
    // Sent at once, unless the flusher sends (bytes are waiting, or the
    // transport sends behind: then the send leaves with the loop's next poll).
    if (c.wbuf.empty() && !c.flushing && !c.transport->sends_behind()) {
        try {
            data.remove_prefix(c.transport->write_nowait(data));
        } catch (...) {
            c.write_error = std::current_exception();
            return;
        }
        if (data.empty() && !c.transport->has_pending_output()) return;
    }
    c.wbuf.append(data);
    detail::start_flusher(c_);
}

void StreamWriter::writelines(const std::vector<std::string>& lines) {
    for (const auto& l : lines) write(l);
}

std::size_t StreamWriter::buffer_size() const noexcept { return c_->unsent(); }

void StreamWriter::set_write_buffer_limits(std::size_t high, std::size_t low) {
    if (low > high) throw ValueError("the low-water mark must not exceed the high-water mark");
    c_->high_water = high;
    c_->low_water = low ? low : high / 4;
}

std::pair<std::size_t, std::size_t> StreamWriter::get_write_buffer_limits() const noexcept {
    return {c_->low_water, c_->high_water};
}

Task<> StreamWriter::drain() {
    auto c = c_;
    if (c->write_error) std::rethrow_exception(c->write_error);
    while (c->unsent() > c->high_water && !c->write_error && !c->closed) {
        detail::ListWait below_low(c->drain_waiters);
        co_await below_low;
    }
    if (c->write_error) std::rethrow_exception(c->write_error);
    if (c->closed && !c->wbuf.empty())
        throw ConnectionResetError(ECONNRESET, "the connection was closed with data not sent", "");
}

bool StreamWriter::can_write_eof() const noexcept { return c_->transport && c_->transport->can_write_eof(); }

void StreamWriter::write_eof() {
    auto& c = *c_;
    if (c.closing || c.eof_requested) return;
    c.eof_requested = true;
    detail::start_flusher(c_);
}

void StreamWriter::close() {
    auto& c = *c_;
    if (c.closing) return;
    c.closing = true;
    if (!c.flushing) detail::finish_close(c);
}

void StreamWriter::abort() {
    auto& c = *c_;
    c.closing = true;
    if (!c.closed && c.transport && c.transport->sends_behind()) {
        // What is unsent here is what asyncio's write() would have handed to
        // the kernel at once, as far as the socket took it; asyncio's abort()
        // drops only the rest. With a send in flight the kernel may still
        // read `sending`, and the bytes after it must wait for it: the
        // flusher is cancelled instead. Each send it has queued then either
        // completes at once (the socket had room: the flusher goes on with
        // the next) or is withdrawn (the socket is full: the flusher sends
        // what it can without waiting, push_out_now). Either way it then
        // closes the socket, an iteration or two from now, as asyncio's
        // connection_lost comes with the next iteration.
        if (c.sending.empty()) {
            detail::push_out_now(c);
        } else if (c.flusher_task) {
            c.flusher_task->cancel();
            return;
        }
    }
    c.wbuf.consume(c.wbuf.size());
    // A flush in progress waits on the socket: the close withdraws that wait
    // (forget_fd), and the flush ends with the connection closed.
    detail::finish_close(c);
}

bool StreamWriter::is_closing() const noexcept { return c_->closing; }

Task<> StreamWriter::wait_closed() {
    auto c = c_;
    while (!c->closed) {
        detail::ListWait closed(c->close_waiters);
        co_await closed;
    }
}

std::any StreamWriter::get_extra_info(std::string_view name) const {
    if (!c_->transport) return {};
    return c_->transport->extra_info(name);
}

SocketAddress StreamWriter::peername() const {
    auto a = get_extra_info("peername");
    return a.has_value() ? std::any_cast<SocketAddress>(a) : SocketAddress();
}

SocketAddress StreamWriter::sockname() const {
    auto a = get_extra_info("sockname");
    return a.has_value() ? std::any_cast<SocketAddress>(a) : SocketAddress();
}

// ---------------------------------------------------------------- connecting

namespace {

/// A connected socket and the address it was connected to.
using Connected = std::pair<Socket, SocketAddress>;

Task<Connected> connect_one(SocketAddress addr, bool nodelay) {
    Socket s(addr.family(), SOCK_STREAM);
    co_await s.connect(addr);
    if (nodelay && addr.family() != AF_UNIX) s.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
    co_return Connected(std::move(s), std::move(addr));
}

[[noreturn]] void raise_connect_errors(const std::vector<std::exception_ptr>& errors, const std::string& where) {
    if (errors.size() == 1) std::rethrow_exception(errors.front());
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "; ") + describe_exception(e);
    // As asyncio: one error when all agree, else an OSError listing them.
    std::string first = describe_exception(errors.front());
    bool same = std::all_of(errors.begin(), errors.end(), [&](auto& e) { return describe_exception(e) == first; });
    if (same) std::rethrow_exception(errors.front());
    throw OSError(0, "Multiple exceptions while connecting to " + where + ": " + all, {});
}

/// Happy eyeballs (RFC 8305): start with the first address; every `delay`
/// without an answer, or at once when an attempt fails, start the next; the
/// first connection made wins and the other attempts are cancelled.
Task<Connected> connect_happy(std::vector<SocketAddress> addrs, std::chrono::milliseconds delay, bool nodelay,
                              std::string where) {
    if (addrs.size() == 1) co_return co_await connect_one(addrs[0], nodelay);
    std::vector<Task<Connected>> running;
    std::vector<std::exception_ptr> errors;
    std::size_t next = 0;
    while (true) {
        if (next < addrs.size()) running.push_back(create_task(connect_one(addrs[next++], nodelay)));
        if (running.empty()) break;
        std::optional<Clock::duration> wait_at_most;
        if (next < addrs.size()) wait_at_most = delay;
        auto [done, pending] = co_await wait(std::move(running), FIRST_COMPLETED, wait_at_most);
        running = std::move(pending);
        std::optional<Connected> winner;
        for (auto& t : done) {
            std::exception_ptr e = t.exception();
            if (e)
                errors.push_back(e);
            else if (!winner)
                winner.emplace(co_await std::move(t));
        }
        if (winner) {
            for (auto& t : running) t.cancel();
            for (auto& t : running) {
                try {
                    co_await t;  // a late success is closed by its Socket's destructor
                } catch (...) {
                }
            }
            co_return std::move(*winner);
        }
    }
    raise_connect_errors(errors, where);
}

std::pair<StreamReader, StreamWriter> make_streams(std::unique_ptr<detail::Transport> t, std::size_t limit) {
    auto c = std::make_shared<detail::Connection>(std::move(t), limit);
    return {StreamReader(c), StreamWriter(c)};
}

std::optional<SSLContext> client_context(const SSLOption& ssl) {
    if (const auto* b = std::get_if<bool>(&ssl)) {
        if (*b) return create_default_context();
        return std::nullopt;
    }
    if (const auto* ctx = std::get_if<SSLContext>(&ssl)) return *ctx;
    return std::nullopt;
}

// `opts` lives in open_connection's frame, which awaits this one to the end.
// (By reference: g++ 12 mishandles a second by-value copy of the options.)
Task<std::pair<StreamReader, StreamWriter>> open_connection_impl(std::string host, std::uint16_t port,
                                                                 const ConnectOptions& opts) {
    Resolver own;
    Resolver& resolver = opts.resolver ? *opts.resolver : own;
    auto addrs = co_await resolver.resolve(host, port);
    if (addrs.empty()) throw OSError(0, "no address found for " + host, {});
    std::string where = host + ":" + std::to_string(port);
    auto [sock, peer] = co_await connect_happy(std::move(addrs), opts.happy_eyeballs_delay, opts.nodelay, where);
    auto transport = detail::make_socket_transport(std::move(sock), peer);
    if (auto ctx = client_context(opts.ssl)) {
        std::string name = opts.server_hostname;
        if (name.empty()) name = host;
        SSLContext context = *ctx;
        auto handshake = detail::tls_handshake(std::move(transport), std::move(context), false, std::move(name));
        transport = co_await std::move(handshake);
    }
    co_return make_streams(std::move(transport), opts.limit);
}

}  // namespace

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port,
                                                            ConnectOptions opts) {
    // Named locals: g++ 12 mishandles temporaries of class type inside co_await.
    auto connect = open_connection_impl(std::move(host), port, opts);
    if (opts.timeout) {
        auto guarded = timeout(*opts.timeout, std::move(connect));
        co_return co_await std::move(guarded);
    }
    co_return co_await std::move(connect);
}

Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path, ConnectOptions opts) {
    auto addr = SocketAddress::unix_path(path);
    Socket sock(AF_UNIX, SOCK_STREAM);
    co_await sock.connect(addr);
    auto transport = detail::make_socket_transport(std::move(sock));
    if (auto ctx = client_context(opts.ssl)) {
        if (opts.server_hostname.empty()) throw ValueError("TLS over a Unix socket needs server_hostname");
        transport = co_await detail::tls_handshake(std::move(transport), *ctx, false, opts.server_hostname);
    }
    co_return make_streams(std::move(transport), opts.limit);
}

// ---------------------------------------------------------------- Server

struct Server::State {
    ConnectionHandler handler;
    ServerOptions opts;
    std::vector<Socket> sockets;
    std::vector<Task<>> acceptors;
    std::map<std::uint64_t, Task<>> clients;
    std::uint64_t next_client = 0;
    bool serving = false;
    bool closed = false;
    std::string unix_path;  // removed when the server closes
    detail::WaitList closed_waiters;  // wait_closed(), serve_forever()

    void maybe_done() {
        if (closed && clients.empty()) closed_waiters.grant_all();
    }
};

namespace {

Task<> serve_client(std::shared_ptr<Server::State> s, Socket sock, SocketAddress peer, std::uint64_t id) {
    try {
        auto transport = detail::make_socket_transport(std::move(sock), peer);
        if (const auto* ctx = std::get_if<SSLContext>(&s->opts.ssl)) {
            auto handshake = detail::tls_handshake(std::move(transport), *ctx, true, {});
            transport = co_await timeout(s->opts.ssl_handshake_timeout, std::move(handshake));
        }
        auto c = std::make_shared<detail::Connection>(std::move(transport), s->opts.limit);
        co_await s->handler(StreamReader(c), StreamWriter(c));
    } catch (const CancelledError&) {
        // The server closed its clients.
    } catch (...) {
        if (auto* loop = running_loop_or_null())
            loop->call_exception_handler({"Unhandled exception in a connection handler", std::current_exception(), {}});
    }
    auto it = s->clients.find(id);
    if (it != s->clients.end()) {
        Task<> self = std::move(it->second);  // dropped after the erase: this frame lives on until it ends
        s->clients.erase(it);
    }
    s->maybe_done();
}

Task<> accept_loop(std::shared_ptr<Server::State> s, std::size_t index) {
    Socket& listener = s->sockets[index];
    while (s->serving) {
        std::pair<Socket, SocketAddress> conn;
        bool failed = false;
        try {
            conn = co_await listener.accept();
        } catch (const CancelledError&) {
            throw;
        } catch (const OSError&) {
            if (!s->serving) break;
            // Out of descriptors or memory: report, pause, and go on (as asyncio).
            if (auto* loop = running_loop_or_null())
                loop->call_exception_handler({"accept() failed", std::current_exception(), {}});
            failed = true;
        }
        if (failed) {
            co_await aio::sleep(std::chrono::milliseconds(100));
            continue;
        }
        if (s->opts.nodelay && conn.second.family() != AF_UNIX) {
            try {
                conn.first.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
            } catch (const OSError&) {
            }
        }
        std::uint64_t id = s->next_client++;
        s->clients.emplace(id, create_task(serve_client(s, std::move(conn.first), std::move(conn.second), id)));
    }
}

Server make_server(std::shared_ptr<Server::State> s) {
    Server server(s);
    if (s->opts.start_serving) server.start_serving();
    return server;
}

}  // namespace

Server::Server(std::shared_ptr<State> s) : s_(std::move(s)) {}
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&& o) noexcept {
    if (this != &o && s_ != o.s_) {
        Server old(std::move(*this));  // closed by its destructor, as a Server that goes away is
        s_ = std::move(o.s_);
    }
    return *this;
}
Server::~Server() {
    if (s_ && !s_->closed) close();
}

const std::vector<Socket>& Server::sockets() const noexcept { return s_->sockets; }
bool Server::is_serving() const noexcept { return s_->serving; }

void Server::start_serving() {
    if (s_->serving || s_->closed) return;
    s_->serving = true;
    for (std::size_t i = 0; i < s_->sockets.size(); ++i) s_->acceptors.push_back(create_task(accept_loop(s_, i)));
}

void Server::close() {
    if (s_->closed) return;
    s_->closed = true;
    s_->serving = false;
    for (auto& a : s_->acceptors) a.cancel();
    s_->acceptors.clear();
    for (auto& sock : s_->sockets) sock.close();
    if (!s_->unix_path.empty()) ::unlink(s_->unix_path.c_str());
    s_->maybe_done();
}

void Server::close_clients() {
    for (auto& [id, t] : s_->clients) t.cancel();
}

Task<> Server::wait_closed() {
    auto s = s_;
    while (!(s->closed && s->clients.empty())) {
        detail::ListWait done(s->closed_waiters);
        co_await done;
    }
}

Task<> Server::serve_forever() {
    auto s = s_;
    if (s->closed) throw RuntimeError("serve_forever() on a closed server");
    start_serving();
    try {
        while (!s->closed) {
            detail::ListWait done(s->closed_waiters);
            co_await done;
        }
    } catch (const CancelledError&) {
        Server(s).close();  // a temporary handle to the same state
        throw;
    }
}

namespace detail {

Task<std::vector<Socket>> bind_listeners(std::string host, std::uint16_t port, bool reuse_port, int backlog) {
    auto infos = co_await getaddrinfo(host, std::to_string(port), AF_UNSPEC, SOCK_STREAM, 0, AI_PASSIVE);
    std::vector<Socket> listeners;
    for (const auto& info : infos) {
        Socket sock;
        try {
            sock = Socket(info.family, SOCK_STREAM);
        } catch (const OSError&) {
            continue;  // e.g. no IPv6 on this machine
        }
        sock.set_option(SOL_SOCKET, SO_REUSEADDR, 1);
        if (reuse_port) sock.set_option(SOL_SOCKET, SO_REUSEPORT, 1);
        if (info.family == AF_INET6) sock.set_option(IPPROTO_IPV6, IPV6_V6ONLY, 1);
        sock.bind(info.address);
        sock.listen(backlog);
        listeners.push_back(std::move(sock));
    }
    if (listeners.empty()) throw OSError(0, "could not listen on " + host + ":" + std::to_string(port), {});
    co_return listeners;
}

}  // namespace detail

Task<Server> start_server(ConnectionHandler handler, std::string host, std::uint16_t port, ServerOptions opts) {
    auto s = std::make_shared<Server::State>();
    s->handler = std::move(handler);
    s->opts = opts;
    s->sockets = co_await detail::bind_listeners(host, port, opts.reuse_port, opts.backlog);
    co_return make_server(std::move(s));
}

Task<Server> start_unix_server(ConnectionHandler handler, std::string path, ServerOptions opts) {
    auto s = std::make_shared<Server::State>();
    s->handler = std::move(handler);
    s->opts = opts;
    auto addr = SocketAddress::unix_path(path);
    if (!path.empty() && path[0] != '\0') {
        // A stale socket file left by a dead server would make bind() fail.
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
        s->unix_path = path;
    }
    Socket sock(AF_UNIX, SOCK_STREAM);
    sock.bind(addr);
    sock.listen(opts.backlog);
    s->sockets.push_back(std::move(sock));
    co_return make_server(std::move(s));
}

}  // namespace aio

namespace aio {

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port) {
    return open_connection(std::move(host), port, ConnectOptions{});
}
Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path) {
    return open_unix_connection(std::move(path), ConnectOptions{});
}
Task<Server> start_server(ConnectionHandler handler, std::string host, std::uint16_t port) {
    return start_server(std::move(handler), std::move(host), port, ServerOptions{});
}
Task<Server> start_unix_server(ConnectionHandler handler, std::string path) {
    return start_unix_server(std::move(handler), std::move(path), ServerOptions{});
}

}  // namespace aio
