// An IoOp performed synchronously: the system call the thread pool makes for a backend without it.
#include "loop/backends/sync_io.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace aio::detail {

namespace {

long call(IoOp& op) noexcept {
    switch (op.kind) {
        case IoOp::Kind::PollIn:
        case IoOp::Kind::PollOut: return 0;
        case IoOp::Kind::Read:
            return op.offset >= 0 ? ::pread(op.fd, op.buf, op.len, op.offset) : ::read(op.fd, op.buf, op.len);
        case IoOp::Kind::Write:
            return op.offset >= 0 ? ::pwrite(op.fd, op.buf, op.len, op.offset) : ::write(op.fd, op.buf, op.len);
        case IoOp::Kind::Recv: return ::recv(op.fd, op.buf, op.len, op.flags);
        case IoOp::Kind::Send: return ::send(op.fd, op.buf, op.len, op.flags | MSG_NOSIGNAL);
        case IoOp::Kind::RecvFrom: return ::recvfrom(op.fd, op.buf, op.len, op.flags, op.addr, op.addrlen);
        case IoOp::Kind::SendTo:
            return ::sendto(op.fd, op.buf, op.len, op.flags | MSG_NOSIGNAL, op.addr, op.addrlen ? *op.addrlen : 0);
        case IoOp::Kind::Accept: return ::accept4(op.fd, op.addr, op.addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        case IoOp::Kind::Connect: return ::connect(op.fd, op.addr, op.addrlen ? *op.addrlen : 0);
        case IoOp::Kind::Openat: return ::openat(op.fd, op.path, op.flags, static_cast<mode_t>(op.mode));
        case IoOp::Kind::Close: return ::close(op.fd);
        case IoOp::Kind::Fsync: return (op.flags & IoOp::kFsyncDatasync) ? ::fdatasync(op.fd) : ::fsync(op.fd);
        case IoOp::Kind::Statx:
            return ::statx(op.fd, op.path, op.flags, op.mode, static_cast<struct statx*>(op.buf));
        case IoOp::Kind::Renameat:
            return ::syscall(SYS_renameat2, op.fd, op.path, op.fd2, op.path2, static_cast<unsigned>(op.flags));
        case IoOp::Kind::Unlinkat: return ::unlinkat(op.fd, op.path, op.flags);
        case IoOp::Kind::Mkdirat: return ::mkdirat(op.fd, op.path, static_cast<mode_t>(op.mode));
        case IoOp::Kind::Symlinkat: return ::symlinkat(op.path, op.fd2, op.path2);
        case IoOp::Kind::Linkat: return ::linkat(op.fd, op.path, op.fd2, op.path2, op.flags);
    }
    errno = EINVAL;
    return -1;
}

}  // namespace

void perform_sync(IoOp& op) noexcept {
    long r;
    do {
        r = call(op);
        // close() must not be retried: the descriptor is gone even when it says EINTR.
    } while (r < 0 && errno == EINTR && op.kind != IoOp::Kind::Close);
    if (r < 0 && op.kind == IoOp::Kind::Close && errno == EINTR) r = 0;
    op.result = r >= 0 ? static_cast<int>(r) : -errno;
}

bool begin_connect(IoOp& op) noexcept {
    int r;
    do {
        r = ::connect(op.fd, op.addr, op.addrlen ? *op.addrlen : 0);
    } while (r < 0 && errno == EINTR);
    if (r == 0 || errno != EINPROGRESS) {
        op.result = r == 0 ? 0 : -errno;
        return true;
    }
    return false;
}

}  // namespace aio::detail
