// aio/streams.hpp — byte streams over TCP and Unix sockets (asyncio: streams.py).
//
//     auto [reader, writer] = co_await aio::open_connection("127.0.0.1", 8080);
//     writer.write("ping\n");
//     co_await writer.drain();
//     std::string line = co_await reader.readline();
//     writer.close();
//     co_await writer.wait_closed();
//
// A StreamReader and its StreamWriter share one connection; either may be
// destroyed first, and the socket closes when the writer is closed or both
// are gone. Bytes are std::string (Python's bytes).
//
// Reading pulls from the socket only when the reader is asked for data, so a
// peer that sends faster than the program reads is held back by TCP itself;
// the reader's buffer never holds more than `limit` bytes beyond what a single
// request needs. Writing sends at once what the kernel takes; the rest waits
// in the writer's buffer, which drain() keeps bounded (high/low water marks).
// A read or drain that is cancelled loses nothing: bytes already received stay
// buffered for the next read.
#pragma once

#include <any>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aio/detail/wait_list.hpp"
#include "aio/sockets.hpp"
#include "aio/ssl.hpp"
#include "aio/task.hpp"

namespace aio {

/// EOF before the expected bytes arrived (asyncio.IncompleteReadError, an EOFError).
class IncompleteReadError : public Exception {
public:
    /// EOF came after the bytes `partial` when `expected` bytes (nullopt: a separator) were wanted; the
    /// message reads like asyncio's ("3 bytes read on a total of 10 expected bytes").
    IncompleteReadError(std::string partial, std::optional<std::size_t> expected);
    /// The bytes read before EOF.
    const std::string& partial() const noexcept { return partial_; }
    /// How many were expected (nullopt: "until a separator").
    std::optional<std::size_t> expected() const noexcept { return expected_; }

private:
    std::string partial_;
    std::optional<std::size_t> expected_;
};

/// The separator was not found within the buffer limit (asyncio.LimitOverrunError).
class LimitOverrunError : public Exception {
public:
    /// An overrun described by `message`; `consumed` is how many buffered bytes may be discarded.
    LimitOverrunError(std::string message, std::size_t consumed)
        : Exception(std::move(message)), consumed_(consumed) {}
    /// Bytes that may be consumed (discarded) to make progress.
    std::size_t consumed() const noexcept { return consumed_; }

private:
    std::size_t consumed_;
};

/// The reader's default buffer limit (asyncio's _DEFAULT_LIMIT, 64 KiB).
inline constexpr std::size_t kDefaultStreamLimit = 64 * 1024;

namespace detail {

/// A connected byte stream under a StreamReader/StreamWriter pair: a plain
/// socket, or TLS over one.
class Transport {
public:
    virtual ~Transport() = default;
    /// Reads up to n bytes; 0 at EOF. Throws the OSError family.
    virtual Task<std::size_t> read_some(char* buf, std::size_t n) = 0;
    /// Takes as much of data as can go without waiting; how much was taken.
    virtual std::size_t write_nowait(std::string_view data) = 0;
    /// Waits until write_nowait can make progress (and pushes out anything
    /// the transport itself holds, such as TLS records).
    virtual Task<> flush() = 0;
    /// True while the transport holds output of its own not yet sent.
    virtual bool has_pending_output() const noexcept { return false; }
    /// True when writes are best sent by the writer's flusher with
    /// send_some (a plain socket on an io_uring loop): write() then only
    /// buffers, and the sends of one loop iteration share its one system call.
    virtual bool sends_behind() const noexcept { return false; }
    /// Sends up to n bytes of buf, waiting for room; returns how many went.
    /// buf stays unchanged until it returns. Only called when sends_behind().
    virtual Task<std::size_t> send_some(const char* buf, std::size_t n);
    /// Ends the sending side (TCP FIN; TLS close_notify first).
    virtual Task<> write_eof() = 0;
    virtual bool can_write_eof() const noexcept { return true; }
    /// Closes at once.
    virtual void close() noexcept = 0;
    virtual int fd() const noexcept = 0;
    /// "peername", "sockname", "socket", "peercert", "ssl_object", "alpn_protocol", ...
    virtual std::any extra_info(std::string_view name) const;
};

/// Turns a connected socket into a Transport; its "peername" and "sockname"
/// are asked of the kernel now (asyncio keeps them from the start too).
std::unique_ptr<Transport> make_socket_transport(Socket sock);
/// The same for a socket whose peer is known: the address connect() was given
/// or accept() returned. An IP peer is kept as it is (one system call fewer
/// for each new connection); a Unix socket's peer is still asked of the
/// kernel, whose name for it may differ from the path connected to.
std::unique_ptr<Transport> make_socket_transport(Socket sock, const SocketAddress& peer);

/// The state a reader, its writer and the writer's flusher share.
struct Connection;

/// For the library: the connection behind a reader or writer, so that a
/// protocol switching over it (a WebSocket after an HTTP upgrade) can make
/// its own reader and writer sharing it.
struct StreamAccess;

}  // namespace detail

/// The reading half of a connection (asyncio.StreamReader).
///
/// Every read shares ownership of the connection while it runs: the reader
/// may be moved or destroyed while a read waits, and that read still ends on
/// the connection's bytes. Only one read may wait at a time (RuntimeError).
class StreamReader {
public:
    /// A reader fed by hand with feed_data()/feed_eof() (as asyncio allows).
    explicit StreamReader(std::size_t limit = kDefaultStreamLimit);
    /// For the library: the reader of connection `c` (open_connection and start_server make these).
    explicit StreamReader(std::shared_ptr<detail::Connection> c);
    /// Takes over the other reader's connection; the moved-from reader may only be assigned or destroyed.
    StreamReader(StreamReader&&) noexcept;
    /// Lets go of this reader's connection (its writer still closes it) and takes over the other's; the
    /// moved-from reader may only be assigned or destroyed.
    StreamReader& operator=(StreamReader&&) noexcept;
    ~StreamReader();

    /// Up to n bytes (n < 0: everything until EOF); "" at EOF.
    Task<std::string> read(long n = -1);
    /// One line including "\n"; at EOF the partial last line (or "").
    /// Throws ValueError when a line exceeds the limit (the line is discarded).
    Task<std::string> readline();
    /// Exactly n bytes; IncompleteReadError (with the partial bytes) at EOF.
    Task<std::string> readexactly(std::size_t n);
    /// Everything up to and including `separator`. IncompleteReadError at EOF;
    /// LimitOverrunError when no separator is found within the limit (the
    /// data stays in the buffer). The separator is copied.
    Task<std::string> readuntil(std::string_view separator = "\n");
    /// True when the buffer is empty and the peer has closed its side.
    bool at_eof() const noexcept;

    /// Data for a hand-fed reader (wakes a waiting read).
    void feed_data(std::string_view data);
    /// Marks the end of the data (StreamReader.feed_eof): reads return what is buffered, then EOF.
    /// feed_data() afterwards throws RuntimeError.
    void feed_eof();
    /// Makes pending and future reads throw `e`.
    void set_exception(std::exception_ptr e);

    // --- zero-copy access for protocol parsers ---
    /// The bytes buffered now.
    std::string_view buffered() const noexcept;
    /// Drops the first n buffered bytes.
    void consume(std::size_t n) noexcept;
    /// Reads more into the buffer; false at EOF (nothing was added).
    Task<bool> fill();
    /// The buffer limit readline() and readuntil() enforce (asyncio's limit=, kDefaultStreamLimit).
    std::size_t limit() const noexcept;

private:
    friend struct detail::StreamAccess;
    std::shared_ptr<detail::Connection> c_;
};

/// The writing half of a connection (asyncio.StreamWriter).
class StreamWriter {
public:
    /// For the library: the writer of connection `c` (open_connection and start_server make these).
    explicit StreamWriter(std::shared_ptr<detail::Connection> c);
    /// Takes over the other writer's connection; the moved-from writer may only be assigned or destroyed.
    StreamWriter(StreamWriter&&) noexcept;
    /// Closes this writer's connection (as the destructor does), then takes over the other's.
    StreamWriter& operator=(StreamWriter&&) noexcept;
    /// Closes the connection if not closed yet (after sending what is buffered).
    ~StreamWriter();

    /// Sends data; what the kernel does not take now is buffered. Never
    /// blocks; call drain() to bound the buffer. Throws after close().
    /// A plain socket on an io_uring loop sends with the loop's next poll
    /// instead of at once: the sends of one loop iteration then share one
    /// system call. Bytes written are sent in order either way, and
    /// buffer_size() counts them until the kernel has taken them.
    void write(std::string_view data);
    /// write() of each string in turn, with nothing added between them (StreamWriter.writelines).
    void writelines(const std::vector<std::string>& lines);
    /// Waits until the buffer is below the low-water mark; raises the
    /// connection's error (ConnectionResetError, BrokenPipeError, ...).
    Task<> drain();
    /// Buffered bytes not yet sent.
    std::size_t buffer_size() const noexcept;
    /// Sets the drain() marks (defaults 64 KiB / 16 KiB, as asyncio).
    void set_write_buffer_limits(std::size_t high, std::size_t low = 0);
    /// The drain() marks as (low, high) (asyncio's transport.get_write_buffer_limits()).
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const noexcept;

    /// True when write_eof() is supported (StreamWriter.can_write_eof): every transport aio makes (TCP and
    /// Unix sockets, pipes, TLS over a socket) supports it.
    bool can_write_eof() const noexcept;
    /// Ends the sending side once the buffer is sent (the peer reads EOF).
    void write_eof();
    /// Closes: sends what is buffered, then closes the socket.
    void close();
    /// Ends the connection without waiting (asyncio's writer.transport.abort()):
    /// what the socket takes at once is sent, the rest of the buffer dropped.
    /// For a peer that stopped reading, whose descriptor close() would hold
    /// until it reads again. The socket closes now, or, on an io_uring loop
    /// while a send is in flight, as soon as that send has completed or been
    /// withdrawn (an iteration or two): wait_closed() tells when.
    void abort();
    /// True once close() was called, also while the buffer is still being sent (StreamWriter.is_closing).
    bool is_closing() const noexcept;
    /// Waits until the socket is closed.
    Task<> wait_closed();

    /// asyncio's get_extra_info: "peername"/"sockname" (SocketAddress),
    /// "socket" (int fd), "peercert" (std::string, PEM), "alpn_protocol"
    /// (std::string), "cipher" (std::string). An empty std::any when unknown.
    std::any get_extra_info(std::string_view name) const;
    /// The peer's address (get_extra_info("peername")); an empty SocketAddress when unknown.
    SocketAddress peername() const;
    /// The local address (get_extra_info("sockname")); an empty SocketAddress when unknown.
    SocketAddress sockname() const;

    /// Upgrades the connection to TLS (asyncio: StreamWriter.start_tls).
    /// Throws SSLError / SSLCertVerificationError on a failed handshake.
    Task<> start_tls(SSLContext ctx, std::string server_hostname = {});

private:
    friend struct detail::StreamAccess;
    std::shared_ptr<detail::Connection> c_;
};

/// Options of open_connection / open_unix_connection.
struct ConnectOptions {
    /// The reader's buffer limit (asyncio's limit=).
    std::size_t limit = kDefaultStreamLimit;
    /// TLS: an SSLContext, `true` for create_default_context(), `false` or
    /// empty for plain TCP.
    SSLOption ssl{};
    /// Time allowed to connect (and finish the TLS handshake); none by default.
    std::optional<std::chrono::milliseconds> timeout{};
    /// The name to verify and send as SNI (defaults to host). A name holding a
    /// NUL byte is ValueError when connecting.
    std::string server_hostname{};
    /// Happy eyeballs: how long to wait for one address before also trying
    /// the next (RFC 8305 suggests 250 ms).
    std::chrono::milliseconds happy_eyeballs_delay{250};
    /// Disable Nagle's algorithm (on by default, as asyncio).
    bool nodelay = true;
    /// A resolver to share between connections (e.g. an HTTP session's cache).
    class Resolver* resolver = nullptr;
};

/// Connects to host:port (IPv4 or IPv6; every resolved address is tried,
/// staggered as happy eyeballs) and returns the reader and writer
/// (asyncio.open_connection). Throws gaierror, ConnectionRefusedError,
/// TimeoutError, OSError, SSLError.
Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port,
                                                            ConnectOptions opts);
/// open_connection with default options. (An overload rather than a default
/// argument: g++ 12 mishandles aggregate default arguments inside co_await.)
Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port);
/// asyncio.open_unix_connection.
Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path, ConnectOptions opts);
Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path);

/// What start_server calls for every connection; both halves are moved in.
using ConnectionHandler = std::function<Task<>(StreamReader, StreamWriter)>;

/// Options of start_server / start_unix_server.
struct ServerOptions {
    /// The buffer limit of each connection's reader (asyncio's limit=).
    std::size_t limit = kDefaultStreamLimit;
    /// A server-side SSLContext (create_default_context(Purpose::CLIENT_AUTH)).
    SSLOption ssl{};
    /// The listen(2) backlog: connections the kernel queues before they are accepted (asyncio's backlog=).
    int backlog = 1024;
    /// SO_REUSEPORT: several processes or loops may listen on the same port.
    bool reuse_port = false;
    /// Start accepting at once (else: on serve_forever / start_serving).
    bool start_serving = true;
    /// Disable Nagle's algorithm (TCP_NODELAY) on accepted TCP connections (on by default, as asyncio).
    bool nodelay = true;
    /// Time a TLS handshake may take before the connection is dropped.
    std::chrono::milliseconds ssl_handshake_timeout{60000};
};

/// A listening server (asyncio.Server).
class Server {
public:
    /// Takes over the other server; the moved-from one may only be assigned or destroyed.
    Server(Server&&) noexcept;
    /// Takes over the other server. The server this object held is closed, as its destructor would.
    Server& operator=(Server&&) noexcept;
    ~Server();

    /// The listening sockets (one per address bound).
    const std::vector<Socket>& sockets() const noexcept;
    /// True while the server accepts connections (Server.is_serving()).
    bool is_serving() const noexcept;
    /// Starts accepting connections if it does not yet (Server.start_serving()); nothing once closed.
    void start_serving();
    /// Serves until the server is closed or the awaiting task cancelled.
    Task<> serve_forever();
    /// Stops listening (connections being served go on).
    void close();
    /// Waits until closed and every connection handler has finished.
    Task<> wait_closed();
    /// Cancels every running connection handler.
    void close_clients();

    struct State;
    /// For the library: the server of state `s` (start_server and start_unix_server make these).
    explicit Server(std::shared_ptr<State> s);

private:
    std::shared_ptr<State> s_;
};

/// Listens on host:port and calls handler for each connection
/// (asyncio.start_server). host "" listens on every interface; port 0 picks a
/// free port (see sockets().at(0).getsockname().port()).
Task<Server> start_server(ConnectionHandler handler, std::string host, std::uint16_t port, ServerOptions opts);
Task<Server> start_server(ConnectionHandler handler, std::string host, std::uint16_t port);
/// asyncio.start_unix_server.
Task<Server> start_unix_server(ConnectionHandler handler, std::string path, ServerOptions opts);
Task<Server> start_unix_server(ConnectionHandler handler, std::string path);

}  // namespace aio
