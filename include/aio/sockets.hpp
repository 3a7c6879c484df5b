// aio/sockets.hpp — non-blocking sockets and their addresses (asyncio's
// loop.sock_* layer, under the streams).
//
// Every operation either completes at once (the system call did not have to
// wait) or suspends the task until the kernel reports the socket ready, then
// retries. A task suspended here is cancelled at once (the readiness wait is
// withdrawn; no byte is lost: nothing was read or written).
// Cancellation: see docs/cancellation.md.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aio/task.hpp"

namespace aio {

/// A socket address: IPv4, IPv6 or Unix (Python's address tuples).
class SocketAddress {
public:
    /// An empty address (false; family() is AF_UNSPEC), e.g. to be filled by a system call through data().
    SocketAddress() = default;
    /// A copy of the first `len` bytes of `sa` (cut to the size of a sockaddr_storage).
    SocketAddress(const sockaddr* sa, socklen_t len);
    /// A numeric IPv4/IPv6 address and a port. Throws ValueError for a bad address.
    static SocketAddress ip(std::string_view host, std::uint16_t port);
    /// A Unix socket path (a leading '\0' makes an abstract address).
    /// Throws ValueError when the path does not fit, or when a file system
    /// path (not an abstract one) holds a NUL byte ("embedded null byte").
    static SocketAddress unix_path(std::string_view path);

    /// AF_INET, AF_INET6, AF_UNIX, or AF_UNSPEC for an empty address.
    int family() const noexcept { return storage_.ss_family; }
    /// The numeric host ("127.0.0.1", "::1"), or the path of a Unix address.
    std::string host() const;
    /// The port of an IP address (host byte order); 0 for a Unix or empty address.
    std::uint16_t port() const noexcept;
    /// "127.0.0.1:8080", "[::1]:8080", or the Unix path.
    std::string to_string() const;
    /// The address as a sockaddr for system calls (points into this object).
    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    /// The writable storage (a sockaddr_storage) for system calls that fill in an address.
    sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    /// The address's length in bytes (0 for an empty address).
    socklen_t size() const noexcept { return len_; }
    /// The length, for system calls that take and update it (accept, getsockname, recvfrom).
    socklen_t* size_ptr() noexcept { return &len_; }
    /// True unless the address is empty (size() 0).
    explicit operator bool() const noexcept { return len_ != 0; }

private:
    sockaddr_storage storage_{};
    socklen_t len_ = 0;
};

/// An owned, non-blocking, close-on-exec socket. Move-only; the destructor
/// closes it (after withdrawing any wait the loop still has on it). An
/// operation on a Socket without a descriptor (closed or moved from) throws
/// OSError with EBADF, as Python's closed socket does.
class Socket {
public:
    /// No socket (false; fd() is -1).
    Socket() = default;
    /// A new socket. Throws the OSError for the errno.
    Socket(int family, int type, int protocol = 0);
    /// Takes ownership of `fd` (made non-blocking and close-on-exec).
    static Socket adopt(int fd);
    /// Takes over o's descriptor; o is left without one.
    Socket(Socket&& o) noexcept;
    /// Closes this socket, then takes over o's descriptor; o is left without one.
    Socket& operator=(Socket&& o) noexcept;
    ~Socket() { close(); }

    /// The file descriptor (-1 when closed or moved from); still owned by the Socket.
    int fd() const noexcept { return fd_; }
    /// True while the socket holds a descriptor (not closed, released or moved from).
    explicit operator bool() const noexcept { return fd_ >= 0; }
    /// Closes now (idempotent).
    void close() noexcept;
    /// Gives up ownership of the descriptor.
    int release() noexcept;

    /// setsockopt(2) with an int value (socket.setsockopt). Throws the OSError for the errno.
    void set_option(int level, int name, int value);
    /// getsockopt(2) of an int value (socket.getsockopt). Throws the OSError for the errno.
    int get_option(int level, int name) const;
    /// Binds; throws the OSError (EADDRINUSE: OSError naming the address).
    void bind(const SocketAddress& addr);
    /// Marks the socket as accepting connections (listen(2)). Throws the OSError for the errno.
    void listen(int backlog = 1024);
    /// The local address (socket.getsockname()). Throws the OSError for the errno.
    SocketAddress getsockname() const;
    /// The peer's address (socket.getpeername()). Throws the OSError (ENOTCONN when not connected).
    SocketAddress getpeername() const;
    /// shutdown(2) of the sending side (write EOF). ENOTCONN is ignored.
    void shutdown_write() noexcept;

    // --- asynchronous operations (loop.sock_*) ---
    /// Connects; throws ConnectionRefusedError etc. for the errno. A Unix
    /// socket whose listener's backlog is full waits for room, as a blocking
    /// connect(2) does: it tries again 1 ms later, then 2, 4 ... 64 ms apart,
    /// until it connects or fails otherwise (bound it with a timeout).
    Task<> connect(SocketAddress addr);
    /// Accepts one connection (non-blocking, close-on-exec) and its peer address.
    Task<std::pair<Socket, SocketAddress>> accept();
    /// Receives up to n bytes into buf; 0 means the peer closed its side
    /// (or n was 0: that returns 0 at once, without waiting for data).
    /// `buf` must stay valid until the await ends. One receive performed by
    /// the loop's backend (on io_uring the kernel waits for the data).
    /// Cancelled, it is withdrawn (CancelledError, the bytes stay in the
    /// socket) unless it already took bytes: those are returned and the
    /// CancelledError comes at the task's next await (docs/cancellation.md).
    Task<std::size_t> recv(char* buf, std::size_t n);
    /// Sends all of data (waiting while the kernel buffer is full).
    Task<> sendall(std::string_view data);
    /// Sends what the kernel accepts now; returns the count (0 if it would wait).
    /// Throws BrokenPipeError / ConnectionResetError for a dead peer.
    std::size_t send_nowait(std::string_view data);
    /// Receives one datagram (up to `max` bytes; a longer one is truncated) and its sender
    /// (loop.sock_recvfrom). Memory is taken for the datagram that came, not for `max`:
    /// SIZE_MAX means "whatever its size". Throws the OSError for the errno.
    Task<std::pair<std::string, SocketAddress>> recvfrom(std::size_t max);
    /// Sends one datagram to addr, or to the connected peer when addr is empty (loop.sock_sendto).
    /// Throws the OSError for the errno (e.g. EMSGSIZE).
    Task<> sendto(std::string_view data, const SocketAddress& addr);

    /// Suspends until readable (true) / writable (false).
    Task<> wait_ready(bool readable);

private:
    explicit Socket(int fd) noexcept : fd_(fd) {}
    int fd_ = -1;
};

namespace detail {
/// Suspends the current task until `fd` is readable/writable (an IoOp
/// PollIn/PollOut on the loop's backend). Cancellation withdraws the wait.
Task<> wait_fd(int fd, bool readable);
/// Tells the backend that `fd` must be closed: pending waits end with ECANCELED.
void forget_fd(int fd) noexcept;
/// One send(2) of up to n bytes of buf performed by the loop's backend (an
/// IoOp Send: on io_uring it travels with the loop's next io_uring_enter),
/// waiting for room when the socket has none; returns the bytes sent. buf
/// must stay unchanged until it returns. Throws the OSError family; a socket
/// closed under it gives ConnectionAbortedError; cancellation that wins
/// gives CancelledError (nothing was sent).
Task<std::size_t> send_some(int fd, const char* buf, std::size_t n);
/// True when the running loop's backend batches its submissions (io_uring):
/// streams then send with send_some rather than a send(2) per write.
bool loop_batches_sends() noexcept;
}  // namespace detail

}  // namespace aio
