// The io_uring backend: operations submitted to the kernel, completions reaped into the loop.
#include "loop/backends/uring_backend.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "aio/exceptions.hpp"
#include "loop/backends/epoll_backend.hpp"
#include "loop/backends/sync_io.hpp"

namespace aio::detail {

namespace {

/// Submission slots. A full queue is handed to the kernel on demand, so this
/// bounds one batch, not the operations in flight (the completion queue is
/// twice as large and the kernel keeps overflowing completions: NODROP).
constexpr unsigned kRingEntries = 256;
/// Completions taken from the ring per pass.
constexpr unsigned kCqeBatch = 256;
/// Sends are handed to the kernel once this many are queued, without waiting
/// for the end of the loop iteration. One submission for all of an
/// iteration's sends is what makes them cheap (an HTTP server's responses),
/// but the peer sits idle until the last of them is queued: a client whose
/// hundred requests wait on a server on another core (R12) lost 5% that way
/// (13 interleaved runs: 0.137 s against 0.130 with sends handed over every
/// 8, 16 or 32). At 32 an HTTP server's and client's CPU per request did not
/// move (R7 11.23 / 11.18 us, R6 18.40 / 17.85 us).
constexpr unsigned kEarlySubmitSends = 32;

/// user_data of requests whose completion means nothing (cancel requests).
constexpr std::uint64_t kIgnoreData = 0;
/// user_data of the poll on the wake-up eventfd (never an IoOp address: those are 8-aligned).
constexpr std::uint64_t kWakeData = 2;
/// Low bit of an op's user_data: the request is the readiness poll before a retry.
constexpr std::uint64_t kPollBit = 1;

/// IoOp::stage bits used here.
constexpr std::uint8_t kStagePoll = 1;      // waiting for readiness, then retry
constexpr std::uint8_t kStageCancel = 2;    // cancel() was asked: never re-arm

int opcode_of(IoOp::Kind kind) {
    switch (kind) {
        case IoOp::Kind::PollIn:
        case IoOp::Kind::PollOut: return IORING_OP_POLL_ADD;
        case IoOp::Kind::Read: return IORING_OP_READ;
        case IoOp::Kind::Write: return IORING_OP_WRITE;
        case IoOp::Kind::Recv: return IORING_OP_RECV;
        case IoOp::Kind::Send: return IORING_OP_SEND;
        case IoOp::Kind::RecvFrom: return IORING_OP_RECVMSG;
        case IoOp::Kind::SendTo: return IORING_OP_SENDMSG;
        case IoOp::Kind::Accept: return IORING_OP_ACCEPT;
        case IoOp::Kind::Connect: return IORING_OP_CONNECT;
        case IoOp::Kind::Openat: return IORING_OP_OPENAT;
        case IoOp::Kind::Close: return IORING_OP_CLOSE;
        case IoOp::Kind::Fsync: return IORING_OP_FSYNC;
        case IoOp::Kind::Statx: return IORING_OP_STATX;
        case IoOp::Kind::Renameat: return IORING_OP_RENAMEAT;
        case IoOp::Kind::Unlinkat: return IORING_OP_UNLINKAT;
        case IoOp::Kind::Mkdirat: return IORING_OP_MKDIRAT;
        case IoOp::Kind::Symlinkat: return IORING_OP_SYMLINKAT;
        case IoOp::Kind::Linkat: return IORING_OP_LINKAT;
    }
    return -1;
}

/// Kinds that a non-blocking descriptor may answer with -EAGAIN: wait for readiness and retry.
bool retries_on_eagain(IoOp::Kind k) {
    switch (k) {
        case IoOp::Kind::Read:
        case IoOp::Kind::Write:
        case IoOp::Kind::Recv:
        case IoOp::Kind::Send:
        case IoOp::Kind::RecvFrom:
        case IoOp::Kind::SendTo:
        case IoOp::Kind::Accept: return true;
        default: return false;
    }
}

std::uint64_t data_of(const IoOp& op) noexcept {
    return reinterpret_cast<std::uintptr_t>(&op) | ((op.stage & kStagePoll) ? kPollBit : 0);
}

/// Armed failures of each uring_faults::Point on this thread.
struct ArmedFault {
    int err = 0;
    int times = 0;
};
constexpr int kFaultPoints = 5;
thread_local ArmedFault t_faults[kFaultPoints];

/// Consumes one armed failure at `point`: its errno, or 0 when none is armed.
int take_fault(uring_faults::Point point) noexcept {
    ArmedFault& f = t_faults[static_cast<int>(point)];
    if (f.times == 0) return 0;
    --f.times;
    return f.err;
}

/// Whether a failure is armed at `point` (not consumed).
bool fault_armed(uring_faults::Point point) noexcept { return t_faults[static_cast<int>(point)].times != 0; }

/// A hard io_uring_enter failure (not a full queue, a signal or a timeout).
bool enter_failed(int r) noexcept {
    return r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN;
}

}  // namespace

void uring_faults::fail_next(Point point, int err, int times) noexcept {
    t_faults[static_cast<int>(point)] = {err, times};
}

void uring_faults::clear() noexcept {
    for (ArmedFault& f : t_faults) f = {};
}

/// msghdr + iovec of a RecvFrom/SendTo: the kernel reads them after submission.
struct UringBackend::MsgSlot {
    msghdr hdr{};
    iovec iov{};
    MsgSlot* next = nullptr;
};

UringBackend::UringBackend() {
    io_uring_params params{};
    params.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    int r = 0;
    if (int e = take_fault(uring_faults::Point::setup))
        r = -e;
    else
        r = io_uring_queue_init_params(kRingEntries, &ring_, &params);
    if (r == -EINVAL) {  // kernels before 5.19 know none of these flags
        params = io_uring_params{};
        r = io_uring_queue_init_params(kRingEntries, &ring_, &params);
    }
    if (r < 0) throw_os_error(-r, "io_uring_setup", "");
    ring_ok_ = true;
    io_uring_probe* probe =
        take_fault(uring_faults::Point::register_probe) != 0 ? nullptr : io_uring_get_probe_ring(&ring_);
    if (probe) {
        for (int k = 0; k < IoOp::kKindCount; ++k)
            supported_[k] = io_uring_opcode_supported(probe, opcode_of(static_cast<IoOp::Kind>(k))) != 0;
        has_cancel_ = io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL) != 0;
        io_uring_free_probe(probe);
    }
    if (take_fault(uring_faults::Point::async_cancel) != 0) has_cancel_ = false;
    if (!has_cancel_) {
        // Without ASYNC_CANCEL an op could never be withdrawn: abandon() would
        // wait for a socket that may never become ready. Such a kernel gets epoll.
        io_uring_queue_exit(&ring_);
        throw_os_error(ENOSYS, "io_uring without IORING_OP_ASYNC_CANCEL", "");
    }
    // Blocking on purpose: the ring's pending read of it is what wakes the
    // loop (io_uring would fail a read of a non-blocking one with EAGAIN),
    // and nothing else ever reads it.
    wakefd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wakefd_ < 0) {
        int e = errno;
        io_uring_queue_exit(&ring_);
        throw_os_error(e, "eventfd", "");
    }
    arm_wake();
}

UringBackend::~UringBackend() {
    // Tasks are gone by now (the loop runs until no op is pending); what the
    // kernel still holds (the wake-up read) is cancelled by closing the ring.
    io_uring_queue_exit(&ring_);
    ::close(wakefd_);
}

bool UringBackend::has_core_ops() const noexcept {
    using K = IoOp::Kind;
    return has_cancel_ && supported_[int(K::PollIn)] && supported_[int(K::Read)] && supported_[int(K::Write)] &&
           supported_[int(K::Openat)] && supported_[int(K::Close)] && supported_[int(K::Statx)];
}

bool UringBackend::supports(IoOp::Kind kind) const noexcept {
    // Socket kinds the kernel lacks still never block: poll + a non-blocking call.
    if (!is_file_kind(kind) && kind != IoOp::Kind::Read && kind != IoOp::Kind::Write) return supported_[0];
    return supported_[static_cast<int>(kind)];
}

io_uring_sqe* UringBackend::get_sqe() {
    if (int e = take_fault(uring_faults::Point::get_sqe)) throw_os_error(e, "io_uring_get_sqe", "");
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (!sqe) {
        flush_submissions();
        sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
}

void UringBackend::flush_submissions() {
    for (;;) {
        int r = 0;
        if (int e = take_fault(uring_faults::Point::submit))
            r = -e;
        else
            r = io_uring_submit(&ring_);
        if (r >= 0) {
            queued_sends_ = 0;  // handed over with the rest
            return;
        }
        if (r == -EBUSY || r == -EAGAIN) {
            // The completion queue is full (or the kernel is short of memory
            // for a moment): take completions out, then hand the batch over again.
            reap();
            continue;
        }
        if (r == -EINTR) continue;
        fail_unsubmitted(-r);  // their tasks are told at the next wait()
        throw_os_error(-r, "io_uring_submit", "");
    }
}

unsigned UringBackend::fail_unsubmitted(int err) noexcept {
    // The entries from the kernel's head up to our tail were not taken (the
    // SQ array maps ring positions to entries one to one: liburing sets it up so).
    unsigned failed = 0;
    const unsigned head = io_uring_smp_load_acquire(ring_.sq.khead);
    for (unsigned i = head; i != ring_.sq.sqe_tail; ++i) {
        io_uring_sqe* sqe = &ring_.sq.sqes[i & ring_.sq.ring_mask];
        const std::uint64_t data = sqe->user_data;
        if (data == kIgnoreData || data == kWakeData || data == LIBURING_UDATA_TIMEOUT) continue;
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, kIgnoreData);
        IoOp& op = *reinterpret_cast<IoOp*>(data & ~kPollBit);
        if (!op.queued) continue;
        op.stage = 0;
        finish(op, -err);
        ++failed;
    }
    return failed;
}

UringBackend::MsgSlot* UringBackend::take_msg() {
    if (!free_msgs_) {
        msgs_.push_back(std::make_unique<MsgSlot>());
        msgs_.back()->next = nullptr;
        return msgs_.back().get();
    }
    MsgSlot* m = free_msgs_;
    free_msgs_ = m->next;
    m->hdr = msghdr{};
    m->iov = iovec{};
    return m;
}

void UringBackend::prep_main(IoOp& op, io_uring_sqe* sqe) {
    auto off = op.offset >= 0 ? static_cast<std::uint64_t>(op.offset) : ~std::uint64_t(0);
    auto len = static_cast<unsigned>(op.len);
    switch (op.kind) {
        case IoOp::Kind::PollIn: io_uring_prep_poll_add(sqe, op.fd, POLLIN); break;
        case IoOp::Kind::PollOut: io_uring_prep_poll_add(sqe, op.fd, POLLOUT); break;
        case IoOp::Kind::Read: io_uring_prep_read(sqe, op.fd, op.buf, len, off); break;
        case IoOp::Kind::Write: io_uring_prep_write(sqe, op.fd, op.buf, len, off); break;
        case IoOp::Kind::Recv: io_uring_prep_recv(sqe, op.fd, op.buf, op.len, op.flags); break;
        case IoOp::Kind::Send: io_uring_prep_send(sqe, op.fd, op.buf, op.len, op.flags | MSG_NOSIGNAL); break;
        case IoOp::Kind::RecvFrom:
        case IoOp::Kind::SendTo: {
            auto* m = static_cast<MsgSlot*>(op.backend_data);
            m->iov.iov_base = op.buf;
            m->iov.iov_len = op.len;
            m->hdr.msg_iov = &m->iov;
            m->hdr.msg_iovlen = 1;
            m->hdr.msg_name = op.addr;
            m->hdr.msg_namelen = op.addrlen ? *op.addrlen : 0;
            if (op.kind == IoOp::Kind::RecvFrom)
                io_uring_prep_recvmsg(sqe, op.fd, &m->hdr, static_cast<unsigned>(op.flags));
            else
                io_uring_prep_sendmsg(sqe, op.fd, &m->hdr, static_cast<unsigned>(op.flags | MSG_NOSIGNAL));
            break;
        }
        case IoOp::Kind::Accept:
            io_uring_prep_accept(sqe, op.fd, op.addr, op.addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
            break;
        case IoOp::Kind::Connect: io_uring_prep_connect(sqe, op.fd, op.addr, op.addrlen ? *op.addrlen : 0); break;
        case IoOp::Kind::Openat: io_uring_prep_openat(sqe, op.fd, op.path, op.flags, op.mode); break;
        case IoOp::Kind::Close: io_uring_prep_close(sqe, op.fd); break;
        case IoOp::Kind::Fsync:
            io_uring_prep_fsync(sqe, op.fd, (op.flags & IoOp::kFsyncDatasync) ? IORING_FSYNC_DATASYNC : 0);
            break;
        case IoOp::Kind::Statx:
            io_uring_prep_statx(sqe, op.fd, op.path, op.flags, op.mode, static_cast<struct statx*>(op.buf));
            break;
        case IoOp::Kind::Renameat:
            io_uring_prep_renameat(sqe, op.fd, op.path, op.fd2, op.path2, static_cast<unsigned>(op.flags));
            break;
        case IoOp::Kind::Unlinkat: io_uring_prep_unlinkat(sqe, op.fd, op.path, op.flags); break;
        case IoOp::Kind::Mkdirat: io_uring_prep_mkdirat(sqe, op.fd, op.path, op.mode); break;
        case IoOp::Kind::Symlinkat: io_uring_prep_symlinkat(sqe, op.path, op.fd2, op.path2); break;
        case IoOp::Kind::Linkat: io_uring_prep_linkat(sqe, op.fd, op.path, op.fd2, op.path2, op.flags); break;
    }
    io_uring_sqe_set_data64(sqe, data_of(op));
}

void UringBackend::prep_poll(IoOp& op, io_uring_sqe* sqe) {
    op.stage |= kStagePoll;
    io_uring_prep_poll_add(sqe, op.fd, is_read_side(op.kind) ? POLLIN : POLLOUT);
    io_uring_sqe_set_data64(sqe, data_of(op));
}

void UringBackend::start(IoOp& op) {
    op.queued = true;
    op.prev = nullptr;
    op.next = inflight_;
    if (inflight_) inflight_->prev = &op;
    inflight_ = &op;
    ++pending_ops_;
    if (op.fd >= 0) {
        auto fd = static_cast<std::size_t>(op.fd);
        if (fd >= fd_ops_.size()) fd_ops_.resize(fd * 2 + 16);
        ++fd_ops_[fd];
    }
}

bool UringBackend::submit(IoOp& op) {
    op.stage = 0;
    op.backend_data = nullptr;
    const bool native = supported_[static_cast<int>(op.kind)];
    if (is_file_kind(op.kind) && !native) {
        perform_sync(op);
        return true;
    }
    if (op.kind == IoOp::Kind::Connect && !native) {
        // Without IORING_OP_CONNECT: connect here, then wait for writability.
        if (begin_connect(op)) return true;
    }
    // The slot first: when none can be had (OSError) nothing of op is recorded.
    io_uring_sqe* sqe = get_sqe();
    if (op.kind == IoOp::Kind::RecvFrom || op.kind == IoOp::Kind::SendTo) op.backend_data = take_msg();
    start(op);
    if (native)
        prep_main(op, sqe);
    else
        prep_poll(op, sqe);
    if (op.kind == IoOp::Kind::Send && ++queued_sends_ >= kEarlySubmitSends) {
        // Hand the batch over now, without waiting: a failure here leaves
        // the entries queued for wait(), which reports what it must.
        queued_sends_ = 0;
        (void)io_uring_submit(&ring_);
    }
    return false;
}

void UringBackend::finish(IoOp& op, int res) noexcept {
    op.result = res;
    op.queued = false;
    (op.prev ? op.prev->next : inflight_) = op.next;
    if (op.next) op.next->prev = op.prev;
    op.prev = nullptr;
    if (op.fd >= 0 && static_cast<std::size_t>(op.fd) < fd_ops_.size()) --fd_ops_[static_cast<std::size_t>(op.fd)];
    if (auto* m = static_cast<MsgSlot*>(op.backend_data)) {
        if (op.kind == IoOp::Kind::RecvFrom && op.addrlen && res >= 0) *op.addrlen = m->hdr.msg_namelen;
        m->next = free_msgs_;
        free_msgs_ = m;
        op.backend_data = nullptr;
    }
    --pending_ops_;
    op.next = nullptr;
    if (done_tail_)
        done_tail_->next = &op;
    else
        done_head_ = &op;
    done_tail_ = &op;
}

void UringBackend::on_cqe(std::uint64_t data, int res) noexcept {
    if (data == kIgnoreData || data == LIBURING_UDATA_TIMEOUT) return;
    if (data == kWakeData) {
        // The read took the count (every wake() since the last one): no
        // read(2) here, and the next read is queued with the next submission.
        try {
            arm_wake();
        } catch (const OSError& e) {
            broken_errno_ = e.errno_code();  // wait() reports it
        }
        return;
    }
    IoOp& op = *reinterpret_cast<IoOp*>(data & ~kPollBit);
    const bool cancelling = (op.stage & kStageCancel) != 0;
    if (data & kPollBit) {
        // The readiness poll before a retry has fired.
        op.stage &= static_cast<std::uint8_t>(~kStagePoll);
        if (res < 0) return finish(op, res);
        if (cancelling) return finish(op, -ECANCELED);
        if (op.kind == IoOp::Kind::PollIn || op.kind == IoOp::Kind::PollOut) return finish(op, 0);
        try {
            if (op.kind == IoOp::Kind::Connect || !supported_[static_cast<int>(op.kind)]) {
                // Connect: the connect has ended, SO_ERROR tells how. Others: the
                // kernel lacks the opcode, so the non-blocking call is made here.
                if (try_io(op)) return finish(op, op.result);
                return prep_poll(op, get_sqe());
            }
            return prep_main(op, get_sqe());
        } catch (const OSError& e) {
            return finish(op, -e.errno_code());  // the retry could not be submitted
        }
    }
    const bool again = (res == -EAGAIN && retries_on_eagain(op.kind)) ||
                       (op.kind == IoOp::Kind::Connect && (res == -EINPROGRESS || res == -EALREADY));
    if (again) {
        if (cancelling) return finish(op, -ECANCELED);
        try {
            return prep_poll(op, get_sqe());
        } catch (const OSError& e) {
            return finish(op, -e.errno_code());
        }
    }
    if ((op.kind == IoOp::Kind::PollIn || op.kind == IoOp::Kind::PollOut) && res > 0) res = 0;
    finish(op, res);
}

void UringBackend::reap() noexcept {
    io_uring_cqe* cqes[kCqeBatch];
    struct Entry {
        std::uint64_t data;
        int res;
    } entries[kCqeBatch];
    for (;;) {
        unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, kCqeBatch);
        if (n == 0) return;
        for (unsigned i = 0; i < n; ++i) entries[i] = {cqes[i]->user_data, cqes[i]->res};
        io_uring_cq_advance(&ring_, n);  // before handling: handlers may submit (and reap) again
        for (unsigned i = 0; i < n; ++i) on_cqe(entries[i].data, entries[i].res);
        if (n < kCqeBatch) return;
    }
}

void UringBackend::cancel(IoOp& op) noexcept {
    if (!op.queued || (op.stage & kStageCancel)) return;
    op.stage |= kStageCancel;
    io_uring_sqe* sqe = nullptr;
    try {
        sqe = get_sqe();
    } catch (const OSError&) {
        return;  // the ring is unusable: wait() reports it; no retry will be armed
    }
    io_uring_prep_cancel64(sqe, data_of(op), 0);
    io_uring_sqe_set_data64(sqe, kIgnoreData);
}

void UringBackend::remove_from_done(IoOp& op) noexcept {
    IoOp* prev = nullptr;
    for (IoOp* cur = done_head_; cur; prev = cur, cur = cur->next) {
        if (cur != &op) continue;
        (prev ? prev->next : done_head_) = cur->next;
        if (done_tail_ == cur) done_tail_ = prev;
        cur->next = nullptr;
        return;
    }
}

void UringBackend::abandon(IoOp& op) noexcept {
    if (op.queued) {
        cancel(op);
        // Wait for the kernel to let go of the op (a poll or a socket wait is
        // cancelled at once; a file read already running finishes first).
        // Completions of other ops are only moved to the done list here.
        while (op.queued) {
            int r = 0;
            if (int e = take_fault(uring_faults::Point::submit))
                r = -e;
            else
                r = io_uring_submit_and_wait(&ring_, 1);
            if (r >= 0) queued_sends_ = 0;
            reap();
            if (enter_failed(r)) {
                // A ring the kernel refuses to enter will deliver nothing more:
                // give up waiting rather than spin, and let go of the op.
                fail_unsubmitted(-r);
                if (op.queued) finish(op, r);
                break;
            }
        }
    }
    remove_from_done(op);
}

void UringBackend::forget_fd(int fd) noexcept {
    if (fd < 0 || static_cast<std::size_t>(fd) >= fd_ops_.size() || fd_ops_[static_cast<std::size_t>(fd)] == 0) return;
    // The kernel resolves an entry's descriptor number when the entry is
    // submitted: one still queued when the caller closes `fd` would act on
    // whatever file takes the number next (a new connection's bytes read
    // into this op). Queued entries go to the kernel now, while the number
    // is still this file's.
    if (io_uring_sq_ready(&ring_) > 0) {
        try {
            flush_submissions();
        } catch (...) {
            // Entries the kernel refused were failed (fail_unsubmitted): none refers to fd any more.
        }
    }
    for (IoOp* op = inflight_; op; op = op->next)
        if (op->fd == fd) cancel(*op);
    // The cancel requests find the ops by address, so they may reach the
    // kernel after the fd is closed.
}

void UringBackend::arm_wake() {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, wakefd_, &wake_count_, sizeof wake_count_, 0);
    io_uring_sqe_set_data64(sqe, kWakeData);
}

void UringBackend::deliver_done() noexcept {
    while (IoOp* op = done_head_) {
        done_head_ = op->next;
        if (!done_head_) done_tail_ = nullptr;
        op->next = nullptr;
        op->complete(op);
    }
}

void UringBackend::wait(std::int64_t timeout_ns) {
    queued_sends_ = 0;  // whatever is queued goes now
    if (done_head_) timeout_ns = 0;
    int r = 0;
    if (int e = take_fault(uring_faults::Point::submit)) {
        r = -e;
    } else if (timeout_ns == 0) {
        // Enter the kernel only when there is something to hand over or task
        // work to run (completions may need it with COOP_TASKRUN).
        unsigned flags = IO_URING_READ_ONCE(*ring_.sq.kflags);
        if (io_uring_sq_ready(&ring_) > 0 || (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)))
            r = io_uring_submit_and_get_events(&ring_);
    } else if (timeout_ns < 0) {
        r = io_uring_submit_and_wait(&ring_, 1);
    } else {
        __kernel_timespec ts{timeout_ns / 1'000'000'000, timeout_ns % 1'000'000'000};
        io_uring_cqe* cqe = nullptr;
        r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    // A refused submission fails the ops it carried (their tasks get the
    // OSError); with none to fail, the ring itself is unusable: the loop's is.
    if (enter_failed(r) && fail_unsubmitted(-r) == 0) throw_os_error(-r, "io_uring_enter", "");
    reap();
    deliver_done();
    if (broken_errno_ != 0) throw_os_error(broken_errno_, "io_uring_submit", "");
}

bool UringBackend::begin_watch() noexcept {
    if (io_uring_sq_ready(&ring_) == 0) return true;
    // A refusal (or a test's armed one) is wait()'s to report.
    if (fault_armed(uring_faults::Point::submit) || io_uring_submit(&ring_) < 0) return false;
    queued_sends_ = 0;
    return true;
}

bool UringBackend::arrived() noexcept {
    const unsigned flags = IO_URING_READ_ONCE(*ring_.sq.kflags);
    return (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0 || io_uring_cq_ready(&ring_) != 0;
}

void UringBackend::wake() noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
}

}  // namespace aio::detail
