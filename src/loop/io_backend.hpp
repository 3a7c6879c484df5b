// The completion-based I/O interface every backend implements.
//
// An IoOp is submitted; the backend performs it and later calls op.complete
// on the loop's thread with op.result set (bytes, a new fd, 0, or -errno).
// A readiness backend (epoll) performs the system call itself when the fd is
// ready; a completion backend (io_uring) hands it to the kernel. submit() may
// finish the operation at once (returns true, result set, complete not called):
// that is the fast path that lets an awaiter not suspend at all.
//
// The IoOp lives in the awaiter's coroutine frame; the awaiter keeps the frame
// alive (stays suspended) until complete has been called, and on cancellation
// calls cancel() and still waits for the completion (-ECANCELED, or the real
// result if the operation won the race: nothing is lost).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace aio::detail {

struct IoOp {
    enum class Kind : std::uint8_t {
        PollIn,   // complete when fd is readable (result: 0); see IoBackend::clear_ready
        PollOut,  // complete when fd is writable
        Read,     // read(fd, buf, len) / pread when offset >= 0
        Write,    // write(fd, buf, len) / pwrite when offset >= 0
        Recv,     // recv(fd, buf, len, flags)
        Send,     // send(fd, buf, len, flags | MSG_NOSIGNAL)
        RecvFrom, // recvfrom into addr/addrlen
        SendTo,   // sendto addr/addrlen
        Accept,   // accept4(fd, addr, addrlen, SOCK_NONBLOCK|SOCK_CLOEXEC) → new fd
        Connect,  // connect(fd, addr, addrlen) → 0
    };

    Kind kind = Kind::PollIn;
    int fd = -1;
    void* buf = nullptr;
    std::size_t len = 0;
    std::int64_t offset = -1;
    int flags = 0;
    sockaddr* addr = nullptr;
    socklen_t* addrlen = nullptr;  // in/out for Accept/RecvFrom; for Connect/SendTo *addrlen is the length
    int result = 0;
    void (*complete)(IoOp*) noexcept = nullptr;

    // Backend bookkeeping.
    IoOp* next = nullptr;
    bool queued = false;
};

class IoBackend {
public:
    virtual ~IoBackend() = default;
    virtual const char* name() const noexcept = 0;
    /// Starts op. Returns true if it finished at once (op.result set; complete
    /// will not be called), false if op.complete will be called later.
    virtual bool submit(IoOp& op) = 0;
    /// Asks a pending op to stop; its completion still arrives (-ECANCELED).
    virtual void cancel(IoOp& op) noexcept = 0;
    /// After a PollIn/PollOut user drained the fd to EAGAIN: forget readiness.
    virtual void clear_ready(int fd, bool read_side) noexcept = 0;
    /// The fd is about to be closed: pending ops complete with -ECANCELED.
    virtual void forget_fd(int fd) noexcept = 0;
    /// Waits up to timeout_ns (-1: no limit, 0: poll) and delivers completions.
    virtual void wait(std::int64_t timeout_ns) = 0;
    /// Interrupts wait() from any thread.
    virtual void wake() noexcept = 0;
    /// Completions waiting to be delivered without blocking.
    bool has_pending_completions() const noexcept { return done_head_ != nullptr; }
    /// Operations submitted and not completed yet. While it is zero a busy loop
    /// need not ask the kernel for I/O events at all (no system call).
    std::size_t pending_ops() const noexcept { return pending_ops_; }

protected:
    std::size_t pending_ops_ = 0;
    IoOp* done_head_ = nullptr;
    IoOp* done_tail_ = nullptr;
};

}  // namespace aio::detail
