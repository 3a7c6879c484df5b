// The io_uring backend: the kernel performs the operations (liburing).
//
// One ring per loop, used only from the loop's thread. submit() prepares a
// submission entry and returns; entries go to the kernel in one system call
// at the next wait() (or when the submission queue is full), so the 64 reads a
// loop iteration starts cost one io_uring_enter, not 64 system calls.
//
// Every IoOp kind is performed by the kernel, files included: a read that
// misses the page cache waits in the kernel's workers, never on the loop's
// thread. Descriptors opened O_NONBLOCK may answer -EAGAIN; the backend then
// waits for readiness with a poll request and issues the operation again, so
// a socket op behaves as on epoll. Kinds the kernel lacks (found with
// io_uring_get_probe at start-up) fall back: socket kinds to poll + a
// non-blocking system call, file kinds to a synchronous call in submit()
// (supports() says false for those, and the file layer sends them to the
// thread pool instead).
//
// Cancellation is IORING_OP_ASYNC_CANCEL; the op's completion still arrives
// (-ECANCELED, or its real result when it won the race). wake() writes an
// eventfd the ring polls, so other threads can interrupt wait().
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "../io_backend.hpp"

namespace aio::detail {

/// Fault injection for tests, compiled in always and reachable only from
/// aio::detail: the calling thread's next calls at one point of the backend
/// fail as the kernel would fail them. Unarmed, a point costs one
/// thread-local load.
namespace uring_faults {
enum class Point {
    setup,           // io_uring_queue_init_params answers -err
    register_probe,  // io_uring_get_probe_ring (IORING_REGISTER_PROBE) fails: no opcode is known
    async_cancel,    // the probe reports IORING_OP_ASYNC_CANCEL missing (construction fails with ENOSYS)
    get_sqe,         // no submission slot can be had: get_sqe throws OSError(err)
    submit,          // io_uring_enter refuses the submission (-err), in submit() or wait()
};
/// The next `times` calls at `point` on this thread fail with errno `err`
/// (nonzero: 0 disarms the point).
void fail_next(Point point, int err, int times = 1) noexcept;
/// Disarms every point on this thread.
void clear() noexcept;
}  // namespace uring_faults

class UringBackend final : public IoBackend {
public:
    /// Sets up the ring and probes the kernel's opcodes. Throws OSError when
    /// the kernel refuses io_uring (ENOSYS; EPERM under seccomp or with
    /// kernel.io_uring_disabled; ENOMEM) or lacks IORING_OP_ASYNC_CANCEL
    /// (ENOSYS: an op could never be withdrawn). When the kernel refuses a
    /// submission, the ops whose entries it carried complete with its errno
    /// (their tasks get OSError); submit() throws OSError for the op it was
    /// given, and wait() throws only when there was no op to fail (the ring
    /// itself is unusable).
    UringBackend();
    ~UringBackend() override;
    UringBackend(const UringBackend&) = delete;
    UringBackend& operator=(const UringBackend&) = delete;

    const char* name() const noexcept override { return "io_uring"; }
    bool supports(IoOp::Kind kind) const noexcept override;
    bool batches_submissions() const noexcept override { return true; }
    bool submit(IoOp& op) override;
    void cancel(IoOp& op) noexcept override;
    /// Cancels op and waits (reaping, never delivering) until the kernel is
    /// done with it: after this returns no completion or kernel write touches it.
    void abandon(IoOp& op) noexcept override;
    /// io_uring has no readiness cache: nothing to forget.
    void clear_ready(int, bool) noexcept override {}
    void forget_fd(int fd) noexcept override;
    void wait(std::int64_t timeout_ns) override;
    /// The ring shows both in memory the loop can read: completions in the
    /// completion queue, and work the kernel has queued for this thread
    /// (a socket that became ready: IORING_SQ_TASKRUN, which wait(0) runs).
    bool can_spin() const noexcept override { return true; }
    bool begin_watch() noexcept override;
    /// A look at shared memory, no system call.
    bool arrived() noexcept override;
    void wake() noexcept override;

    /// Whether the kernel has the opcodes that make this backend worth
    /// choosing by default: poll, cancel, read, write, openat, close, statx.
    bool has_core_ops() const noexcept;

private:
    struct MsgSlot;

    io_uring_sqe* get_sqe();
    void prep_main(IoOp& op, io_uring_sqe* sqe);
    void prep_poll(IoOp& op, io_uring_sqe* sqe);
    void start(IoOp& op);
    void arm_wake();
    /// Hands queued SQEs to the kernel. Throws OSError when the ring is unusable
    /// (the ops whose entries it refused have failed with that error first).
    void flush_submissions();
    /// After io_uring_enter refused a submission: every op whose entry the
    /// kernel did not take finishes with -err and its entry becomes a no-op
    /// (cancel requests and the wake-up read stay queued). Returns how many.
    unsigned fail_unsubmitted(int err) noexcept;
    void reap() noexcept;
    void on_cqe(std::uint64_t data, int res) noexcept;
    void finish(IoOp& op, int res) noexcept;
    void deliver_done() noexcept;
    void remove_from_done(IoOp& op) noexcept;
    MsgSlot* take_msg();

    io_uring ring_{};
    bool ring_ok_ = false;
    int wakefd_ = -1;
    std::uint64_t wake_count_ = 0;  // where the ring's read of wakefd_ puts the count
    bool supported_[IoOp::kKindCount] = {};
    bool has_cancel_ = false;
    int broken_errno_ = 0;  // the wake-up read could not be re-armed: wait() throws
    IoOp* inflight_ = nullptr;  // ops submitted and not finished (forget_fd and abandon walk it)
    std::vector<std::uint32_t> fd_ops_;  // in-flight ops per fd: forget_fd only walks when there are some
    MsgSlot* free_msgs_ = nullptr;
    std::vector<std::unique_ptr<MsgSlot>> msgs_;
    /// Sends queued since the ring was last entered: see kEarlySubmitSends.
    unsigned queued_sends_ = 0;
};

}  // namespace aio::detail
