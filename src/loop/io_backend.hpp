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
//
// Which operations a backend performs without blocking the loop's thread is
// asked with supports(kind): the io_uring backend does every kind on every
// kind of descriptor; the epoll backend does the socket kinds, and Read/Write
// only on descriptors that can be polled (a regular file is never "not
// ready", so epoll would read it synchronously on the loop's thread). Callers
// send what a backend does not support to the thread pool (src/files does).
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace aio::detail {

/// Largest byte count one read, write or receive asks for: results are
/// `int`, and Linux moves at most 0x7ffff000 bytes per call anyway.
inline constexpr std::size_t kMaxIoLen = std::size_t(1) << 30;

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
        Connect,  // connect(fd, addr, *addrlen) → 0: the backend issues the connect itself
                  // (the caller must not call connect() first); -errno when it fails
        // File and directory operations (the *at kinds take fd = a directory fd, AT_FDCWD by default).
        Openat,     // openat(fd, path, flags, mode) → new fd
        Close,      // close(fd) → 0
        Fsync,      // fsync(fd), or fdatasync(fd) when flags has kFsyncDatasync → 0
        Statx,      // statx(fd, path, flags, mask = mode, buf = struct statx*) → 0
        Renameat,   // renameat2(fd, path, fd2, path2, flags) → 0
        Unlinkat,   // unlinkat(fd, path, flags: 0 or AT_REMOVEDIR) → 0
        Mkdirat,    // mkdirat(fd, path, mode) → 0
        Symlinkat,  // symlinkat(target = path, fd2, linkpath = path2) → 0
        Linkat,     // linkat(fd, path, fd2, path2, flags) → 0
    };
    /// Fsync: flush data only (fdatasync).
    static constexpr int kFsyncDatasync = 1;
    static constexpr int kKindCount = static_cast<int>(Kind::Linkat) + 1;

    Kind kind = Kind::PollIn;
    int fd = -1;
    void* buf = nullptr;
    std::size_t len = 0;
    std::int64_t offset = -1;
    int flags = 0;
    sockaddr* addr = nullptr;
    socklen_t* addrlen = nullptr;  // in/out for Accept/RecvFrom; for Connect/SendTo *addrlen is the length
    const char* path = nullptr;    // file kinds: the (first) path, NUL-terminated
    const char* path2 = nullptr;   // Renameat/Linkat/Symlinkat: the second path
    int fd2 = AT_FDCWD;            // Renameat/Linkat/Symlinkat: the second directory fd
    unsigned mode = 0;             // Openat/Mkdirat: permission bits; Statx: the field mask
    int result = 0;
    void (*complete)(IoOp*) noexcept = nullptr;

    // Backend bookkeeping.
    IoOp* next = nullptr;
    IoOp* prev = nullptr;
    void* backend_data = nullptr;  // per-op state a backend may attach (e.g. a msghdr)
    bool queued = false;
    std::uint8_t stage = 0;        // a backend's progress through a multi-step op
};

/// Whether an operation of `kind` waits for its descriptor to become readable
/// (as opposed to writable) when it has to wait for readiness.
inline bool is_read_side(IoOp::Kind kind) noexcept {
    switch (kind) {
        case IoOp::Kind::PollIn:
        case IoOp::Kind::Read:
        case IoOp::Kind::Recv:
        case IoOp::Kind::RecvFrom:
        case IoOp::Kind::Accept: return true;
        default: return false;
    }
}

/// Whether `kind` is a file or directory operation (not a socket/stream one).
constexpr bool is_file_kind(IoOp::Kind kind) noexcept { return kind >= IoOp::Kind::Openat; }

class IoBackend {
public:
    virtual ~IoBackend() = default;
    virtual const char* name() const noexcept = 0;
    /// Whether submit() performs `kind` without blocking the loop's thread on
    /// every kind of descriptor (regular files included). Kinds it does not
    /// support may still be submitted; they then run synchronously.
    virtual bool supports(IoOp::Kind kind) const noexcept = 0;
    /// True when submitted operations reach the kernel together with the
    /// loop's next wait(), in its one system call (io_uring). A stream then
    /// sends through the backend: the sends of one loop iteration cost one
    /// system call between them, not one each.
    virtual bool batches_submissions() const noexcept { return false; }
    /// Starts op. Returns true if it finished at once (op.result set; complete
    /// will not be called), false if op.complete will be called later.
    virtual bool submit(IoOp& op) = 0;
    /// Asks a pending op to stop; its completion still arrives (-ECANCELED).
    virtual void cancel(IoOp& op) noexcept = 0;
    /// The op's memory is about to go away (its frame is being destroyed while
    /// it waits): stop it and never touch it again, nor call its completion.
    virtual void abandon(IoOp& op) noexcept = 0;
    /// After a PollIn/PollOut user drained the fd to EAGAIN: forget readiness.
    virtual void clear_ready(int fd, bool read_side) noexcept = 0;
    /// The fd is about to be closed: pending ops complete with -ECANCELED.
    virtual void forget_fd(int fd) noexcept = 0;
    /// Waits up to timeout_ns (-1: no limit, 0: poll) and delivers completions.
    virtual void wait(std::int64_t timeout_ns) = 0;
    // The loop's watch before it sleeps (LoopOptions::idle_spin,
    // LoopImpl::spin_before_sleep): begin_watch(), then arrived() between
    // yields of the CPU until it says yes or the watch ends; wait(0) then
    // delivers what arrived.
    /// Whether this backend can be watched at all.
    virtual bool can_spin() const noexcept { return false; }
    /// Hands what is queued to the kernel (the peer must have it to answer).
    /// False when the kernel refused: wait() is to report it, at once.
    virtual bool begin_watch() noexcept { return true; }
    /// Whether a completion (or readiness) has arrived that wait(0) would deliver.
    virtual bool arrived() noexcept { return false; }
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

/// Makes the backend of a new loop (src/loop/backends/select_backend.cpp).
/// AIO_IO_BACKEND chooses: `uring` (io_uring; throws OSError when the kernel
/// refuses it), `epoll`, or `threads` (epoll for sockets, the thread pool
/// for every file operation: the same backend as `epoll`, named for what it
/// means to files). Unset or empty: io_uring when a ring can be set up and
/// the kernel has the operations aio uses, else epoll. Another value is
/// reported on stderr and treated as unset.
std::unique_ptr<IoBackend> make_backend();

}  // namespace aio::detail
