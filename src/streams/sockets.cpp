// Sockets on the loop: readiness waits, connect, accept, and socket addresses.
#include "aio/sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/c_string.hpp"
#include "aio/sleep.hpp"
#include "loop/io_wait.hpp"

namespace aio {

namespace detail {

namespace {

/// Suspends until the backend reports the fd ready (PollIn / PollOut).
/// A cancellation asked while waiting ends the wait with CancelledError even
/// when readiness won the race: readiness is not data, nothing is lost.
class FdWait {
public:
    FdWait(int fd, bool readable) noexcept : readable_(readable) {
        io_.op().kind = readable ? IoOp::Kind::PollIn : IoOp::Kind::PollOut;
        io_.op().fd = fd;
    }
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        IoBackend& backend = running_backend("socket operation");
        backend.clear_ready(io_.op().fd, readable_);
        return io_.start(backend, h.promise().owner(), h);  // false: ready at once
    }
    void await_resume() const {
        if (io_.cancel_asked()) throw CancelledError();
        int r = io_.result();
        if (r == -ECANCELED) throw ConnectionAbortedError(ECONNABORTED, "the socket was closed while a task waited on it", "");
        if (r < 0) throw_os_error(-r);
    }

private:
    IoWait io_;
    bool readable_ = true;
};

/// One recv(2) or send(2) performed by the backend (IoOp Recv / Send):
/// io_uring performs it in the kernel (a receive waits there for data, a
/// send for room: no EAGAIN round trip and no system call of its own, it
/// travels with the loop's next io_uring_enter); epoll tries at once when
/// the fd may be ready and otherwise after the next edge.
/// Cancellation: an operation the backend withdraws ends with
/// CancelledError; one that moved bytes before the cancellation reached it
/// returns them (nothing received or sent is lost) and the cancellation
/// waits for the task's next await.
class TransferWait {
public:
    /// `kind` is Recv (buf is written) or Send (buf is only read).
    TransferWait(IoOp::Kind kind, int fd, char* buf, std::size_t n) noexcept : send_(kind == IoOp::Kind::Send) {
        IoOp& op = io_.op();
        op.kind = kind;
        op.fd = fd;
        op.buf = buf;
        op.len = n < kMaxIoLen ? n : kMaxIoLen;
    }
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return io_.start(running_backend("socket operation"), h.promise().owner(), h);  // false: done at once
    }
    /// Bytes moved (a receive's 0: the peer closed its side).
    std::size_t await_resume() const {
        int r = io_.take_result();
        if (r == -ECANCELED)  // not withdrawn at our request: the socket was closed under us
            throw ConnectionAbortedError(ECONNABORTED, "the socket was closed while a task waited on it", "");
        if (r < 0) throw_os_error(-r, send_ ? "send" : "recv", "");
        return static_cast<std::size_t>(r);
    }

private:
    IoWait io_;
    bool send_;
};

}  // namespace

Task<std::size_t> send_some(int fd, const char* buf, std::size_t n) {
    TransferWait w(IoOp::Kind::Send, fd, const_cast<char*>(buf), n);  // only read
    std::size_t r = co_await w;
    co_return r;
}

bool loop_batches_sends() noexcept {
    IoBackend* backend = running_backend_or_null();
    return backend != nullptr && backend->batches_submissions();
}

Task<> wait_fd(int fd, bool readable) {
    FdWait w(fd, readable);
    co_await w;
}

void forget_fd(int fd) noexcept {
    if (IoBackend* backend = running_backend_or_null()) backend->forget_fd(fd);
}

}  // namespace detail

// ---------------------------------------------------------------- SocketAddress

SocketAddress::SocketAddress(const sockaddr* sa, socklen_t len) {
    if (len > sizeof storage_) len = sizeof storage_;
    std::memcpy(&storage_, sa, len);
    len_ = len;
}

SocketAddress SocketAddress::ip(std::string_view host, std::uint16_t port) {
    SocketAddress a;
    std::string h(host);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    if (::inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len_ = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len_ = sizeof(sockaddr_in6);
    } else {
        throw ValueError("not a numeric IP address: '" + h + "'");
    }
    return a;
}

SocketAddress SocketAddress::unix_path(std::string_view path) {
    SocketAddress a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
    if (path.empty() || path.size() >= sizeof un->sun_path)
        throw ValueError("a Unix socket path must have 1 to " + std::to_string(sizeof un->sun_path - 1) + " bytes");
    // An abstract name (a leading NUL) may hold NULs; a file system path ends at
    // its first one, so a NUL inside would name another socket.
    if (path[0] != '\0') aio::detail::check_no_nul(path);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    a.len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '\0' ? 0 : 1));
    return a;
}

std::string SocketAddress::host() const {
    char buf[INET6_ADDRSTRLEN] = {};
    switch (storage_.ss_family) {
        case AF_INET:
            ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
            return buf;
        case AF_INET6:
            ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf, sizeof buf);
            return buf;
        case AF_UNIX: {
            const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
            std::size_t n = len_ > offsetof(sockaddr_un, sun_path) ? len_ - offsetof(sockaddr_un, sun_path) : 0;
            std::string p(un->sun_path, n);
            if (!p.empty() && p[0] != '\0') p = p.c_str();
            return p;
        }
        default: return {};
    }
}

std::uint16_t SocketAddress::port() const noexcept {
    if (storage_.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (storage_.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

std::string SocketAddress::to_string() const {
    if (storage_.ss_family == AF_INET) return host() + ":" + std::to_string(port());
    if (storage_.ss_family == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
    return host();
}

// ---------------------------------------------------------------- Socket

Socket::Socket(int family, int type, int protocol) {
    fd_ = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd_ < 0) throw_os_error(errno, "socket", "");
}

Socket Socket::adopt(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return Socket(fd);
}

Socket::Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

Socket& Socket::operator=(Socket&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

void Socket::close() noexcept {
    if (fd_ < 0) return;
    detail::forget_fd(fd_);
    ::close(fd_);
    fd_ = -1;
}

int Socket::release() noexcept { return std::exchange(fd_, -1); }

void Socket::set_option(int level, int name, int value) {
    if (::setsockopt(fd_, level, name, &value, sizeof value) < 0) throw_os_error(errno, "setsockopt", "");
}

int Socket::get_option(int level, int name) const {
    int v = 0;
    socklen_t len = sizeof v;
    if (::getsockopt(fd_, level, name, &v, &len) < 0) throw_os_error(errno, "getsockopt", "");
    return v;
}

void Socket::bind(const SocketAddress& addr) {
    if (::bind(fd_, addr.data(), addr.size()) < 0) throw_os_error(errno, "bind to " + addr.to_string(), "");
}

void Socket::listen(int backlog) {
    if (::listen(fd_, backlog) < 0) throw_os_error(errno, "listen", "");
}

SocketAddress Socket::getsockname() const {
    SocketAddress a;
    *a.size_ptr() = sizeof(sockaddr_storage);
    if (::getsockname(fd_, a.data(), a.size_ptr()) < 0) throw_os_error(errno, "getsockname", "");
    return a;
}

SocketAddress Socket::getpeername() const {
    SocketAddress a;
    *a.size_ptr() = sizeof(sockaddr_storage);
    if (::getpeername(fd_, a.data(), a.size_ptr()) < 0) throw_os_error(errno, "getpeername", "");
    return a;
}

void Socket::shutdown_write() noexcept { ::shutdown(fd_, SHUT_WR); }

Task<> Socket::wait_ready(bool readable) { co_await detail::wait_fd(fd_, readable); }

Task<> Socket::connect(SocketAddress addr) {
    int r = ::connect(fd_, addr.data(), addr.size());
    if (r == 0) co_return;
    if (errno == EAGAIN && addr.family() == AF_UNIX) {
        // The listener's backlog is full. Nothing is under way (the socket is
        // writable and SO_ERROR is 0, yet unconnected: send() would fail with
        // ENOTCONN), and nothing tells when room is made: connect again after
        // a pause, as a blocking connect(2) would wait.
        auto pause = std::chrono::milliseconds(1);
        do {
            co_await sleep(pause);
            pause = std::min(pause * 2, std::chrono::milliseconds(64));
            r = ::connect(fd_, addr.data(), addr.size());
        } while (r != 0 && errno == EAGAIN);
        if (r == 0) co_return;
    }
    if (errno != EINPROGRESS && errno != EAGAIN) throw_os_error(errno, "connect to " + addr.to_string(), "");
    // Over loopback the kernel has usually finished the handshake inside
    // connect() (the SYN-ACK is processed before it returns): one look
    // without waiting lets the caller go on in this turn of the loop, its
    // first request leaving with the others of this turn instead of after a
    // round trip through the loop for every connection. R12 (a hundred new
    // connections to a local server) had all hundred connects made before
    // the first request left.
    // Writable with neither an error nor a hang-up is a finished connect
    // (a refused or reset one raises POLLERR): SO_ERROR is asked only
    // otherwise, one system call fewer for each new connection.
    pollfd ready{fd_, POLLOUT, 0};
    const short seen = ::poll(&ready, 1, 0) == 1 ? ready.revents & (POLLOUT | POLLERR | POLLHUP) : 0;
    if (seen == POLLOUT) co_return;
    if (seen == 0) co_await detail::wait_fd(fd_, false);
    int err = get_option(SOL_SOCKET, SO_ERROR);
    if (err != 0) throw_os_error(err, "connect to " + addr.to_string(), "");
}

Task<std::pair<Socket, SocketAddress>> Socket::accept() {
    while (true) {
        SocketAddress peer;
        *peer.size_ptr() = sizeof(sockaddr_storage);
        int fd = ::accept4(fd_, peer.data(), peer.size_ptr(), SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) co_return std::pair<Socket, SocketAddress>(Socket(fd), peer);
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throw_os_error(errno, "accept", "");
        co_await detail::wait_fd(fd_, true);
    }
}

Task<std::size_t> Socket::recv(char* buf, std::size_t n) {
    if (n == 0) {  // nothing to wait for (sock_recv(sock, 0) returns b'' at once)
        if (fd_ < 0) throw_os_error(EBADF, "recv", "");
        co_return 0;
    }
    detail::TransferWait w(detail::IoOp::Kind::Recv, fd_, buf, n);
    std::size_t r = co_await w;
    co_return r;
}

std::size_t Socket::send_nowait(std::string_view data) {
    while (true) {
        ssize_t r = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (r >= 0) return static_cast<std::size_t>(r);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        throw_os_error(errno, "send", "");
    }
}

Task<> Socket::sendall(std::string_view data) {
    while (!data.empty()) {
        std::size_t n = send_nowait(data);
        data.remove_prefix(n);
        if (!data.empty()) co_await detail::wait_fd(fd_, false);
    }
}

Task<std::pair<std::string, SocketAddress>> Socket::recvfrom(std::size_t max) {
    // Room for `max` bytes up to a UDP datagram's 64 KiB. A larger max (up
    // to SIZE_MAX, "any size") is not allocated whole: the next datagram's
    // own length is asked first (MSG_PEEK | MSG_TRUNC returns it), and the
    // buffer is that large. A stream socket has no datagrams: it gets 64 KiB
    // a call.
    constexpr std::size_t kDirectRoom = 65536;
    bool datagrams = false;
    if (max > kDirectRoom) {
        int type = 0;
        socklen_t len = sizeof type;
        datagrams = ::getsockopt(fd_, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
                    (type == SOCK_DGRAM || type == SOCK_SEQPACKET);
        if (!datagrams) max = kDirectRoom;
    }
    std::string buf;
    while (true) {
        std::size_t room = max;
        if (datagrams) {
            const ssize_t len = ::recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
            if (len < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) throw_os_error(errno, "recvfrom", "");
                co_await detail::wait_fd(fd_, true);
                continue;
            }
            room = std::min(max, static_cast<std::size_t>(len));
        }
        buf.resize(room);
        SocketAddress from;
        *from.size_ptr() = sizeof(sockaddr_storage);
        ssize_t r = ::recvfrom(fd_, buf.data(), buf.size(), 0, from.data(), from.size_ptr());
        if (r >= 0) {
            buf.resize(static_cast<std::size_t>(r));
            co_return std::pair<std::string, SocketAddress>(std::move(buf), from);
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throw_os_error(errno, "recvfrom", "");
        co_await detail::wait_fd(fd_, true);
    }
}

Task<> Socket::sendto(std::string_view data, const SocketAddress& addr) {
    while (true) {
        ssize_t r = ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, addr ? addr.data() : nullptr,
                             addr ? addr.size() : 0);
        if (r >= 0) co_return;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throw_os_error(errno, "sendto " + addr.to_string(), "");
        co_await detail::wait_fd(fd_, false);
    }
}

}  // namespace aio
