// The epoll backend: readiness turned into completions, the system call made when the fd is ready.
#include "loop/backends/epoll_backend.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>

#include "aio/exceptions.hpp"
#include "loop/backends/sync_io.hpp"

namespace aio::detail {

namespace {
constexpr int kMaxEvents = 256;  // events taken per epoll_wait: amortises the syscall
}  // namespace

bool try_io(IoOp& op) noexcept {
    if (op.kind == IoOp::Kind::Connect) {
        // Called once the socket is writable after a non-blocking connect().
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(op.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        op.result = -err;
        return true;
    }
    // File kinds cannot be polled: they are performed synchronously (see supports()).
    perform_sync(op);
    return op.result != -EAGAIN && op.result != -EWOULDBLOCK;
}

void EpollBackend::Queue::push(IoOp* op) noexcept {
    ++count;
    op->next = nullptr;
    op->queued = true;
    if (tail)
        tail->next = op;
    else
        head = op;
    tail = op;
}

IoOp* EpollBackend::Queue::pop() noexcept {
    IoOp* op = head;
    if (!op) return nullptr;
    --count;
    head = op->next;
    if (!head) tail = nullptr;
    op->next = nullptr;
    op->queued = false;
    return op;
}

bool EpollBackend::Queue::remove(IoOp* op) noexcept {
    IoOp* prev = nullptr;
    for (IoOp* cur = head; cur; prev = cur, cur = cur->next) {
        if (cur != op) continue;
        --count;
        (prev ? prev->next : head) = cur->next;
        if (tail == cur) tail = prev;
        cur->next = nullptr;
        cur->queued = false;
        return true;
    }
    return false;
}

EpollBackend::EpollBackend() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw_os_error(errno, "epoll_create1", "");
    wakefd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakefd_ < 0) {
        int e = errno;
        ::close(epfd_);
        throw_os_error(e, "eventfd", "");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wakefd_;
    ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
}

EpollBackend::~EpollBackend() {
    ::close(wakefd_);
    ::close(epfd_);
}

EpollBackend::FdState& EpollBackend::state(int fd) {
    if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) * 2 + 16);
    return fds_[static_cast<std::size_t>(fd)];
}

void EpollBackend::ensure_registered(int fd, FdState& st) {
    if (st.registered) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        if (errno == EEXIST) {
            ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
        } else if (errno == EPERM) {
            // Regular files cannot be polled: they are always ready.
            st.registered = true;
            st.readable = st.writable = true;
            return;
        } else {
            throw_os_error(errno, "epoll_ctl", "");
        }
    }
    st.registered = true;
    // Readiness is unknown until the first event: assume ready, the first
    // EAGAIN corrects it (edge-triggered registration reports current state).
    st.readable = st.writable = true;
}

bool EpollBackend::supports(IoOp::Kind kind) const noexcept {
    return !is_file_kind(kind) && kind != IoOp::Kind::Read && kind != IoOp::Kind::Write;
}

bool EpollBackend::submit(IoOp& op) {
    if (is_file_kind(op.kind)) {
        perform_sync(op);
        return true;
    }
    if (op.fd < 0) {
        // A closed socket (fd -1): EBADF, as the system call and io_uring
        // say, rather than an index before the start of fds_.
        op.result = -EBADF;
        return true;
    }
    if (op.kind == IoOp::Kind::Connect) {
        // The backend issues the connect (one contract with io_uring). Before
        // the fd is registered: a fresh socket reports EPOLLOUT|EPOLLHUP, an
        // edge that must not be taken for the end of this connect.
        if (begin_connect(op)) return true;
    }
    FdState& st = state(op.fd);
    bool fresh = !st.registered;
    ensure_registered(op.fd, st);
    bool read_side = is_read_side(op.kind);
    Queue& q = read_side ? st.readers : st.writers;
    bool& ready = read_side ? st.readable : st.writable;
    if (fresh && (op.kind == IoOp::Kind::PollIn || op.kind == IoOp::Kind::PollOut)) {
        // The readiness a fresh registration assumes is corrected by a read's
        // EAGAIN; a readiness wait makes no such call, so it asks poll(2) once.
        pollfd p{op.fd, static_cast<short>(read_side ? POLLIN : POLLOUT), 0};
        ready = ::poll(&p, 1, 0) != 0;
    }
    // Keep FIFO order: only try at once when nobody is queued before us.
    if (!q.head && ready) {
        if (op.kind == IoOp::Kind::Connect) {
            // The connect() was just issued by the caller and returned EINPROGRESS:
            // writability means it finished; we must wait for the edge.
        } else if (try_io(op)) {
            return true;
        } else {
            ready = false;
        }
    }
    q.push(&op);
    ++pending_ops_;
    return false;
}

void EpollBackend::finish(IoOp* op) noexcept {
    --pending_ops_;  // every finished op was queued
    op->next = nullptr;
    if (done_tail_)
        done_tail_->next = op;
    else
        done_head_ = op;
    done_tail_ = op;
}

void EpollBackend::cancel(IoOp& op) noexcept {
    if (!op.queued) return;  // already finished: its completion is on its way
    if (static_cast<std::size_t>(op.fd) < fds_.size()) {
        FdState& st = fds_[static_cast<std::size_t>(op.fd)];
        if (st.readers.remove(&op) || st.writers.remove(&op)) {
            op.result = -ECANCELED;
            finish(&op);
        }
    }
}

void EpollBackend::abandon(IoOp& op) noexcept {
    cancel(op);  // out of its fd's queue, into the done list...
    IoOp* prev = nullptr;
    for (IoOp* cur = done_head_; cur; prev = cur, cur = cur->next) {
        if (cur != &op) continue;  // ...and out of the done list: never completed
        (prev ? prev->next : done_head_) = cur->next;
        if (done_tail_ == cur) done_tail_ = prev;
        cur->next = nullptr;
        return;
    }
}

void EpollBackend::clear_ready(int fd, bool read_side) noexcept {
    if (static_cast<std::size_t>(fd) >= fds_.size()) return;
    FdState& st = fds_[static_cast<std::size_t>(fd)];
    (read_side ? st.readable : st.writable) = false;
}

void EpollBackend::forget_fd(int fd) noexcept {
    if (static_cast<std::size_t>(fd) >= fds_.size()) return;
    FdState& st = fds_[static_cast<std::size_t>(fd)];
    if (st.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    for (Queue* q : {&st.readers, &st.writers}) {
        while (IoOp* op = q->pop()) {
            op->result = -ECANCELED;
            finish(op);
        }
    }
    st = FdState{};
}

void EpollBackend::run_queue(Queue& q, bool& ready_flag) {
    while (IoOp* op = q.head) {
        if (!try_io(*op)) {
            ready_flag = false;
            return;
        }
        q.pop();
        finish(op);  // delivered after the event scan: completions may submit more ops
    }
}

void EpollBackend::deliver_done() noexcept {
    while (IoOp* op = done_head_) {
        done_head_ = op->next;
        if (!done_head_) done_tail_ = nullptr;
        op->next = nullptr;
        op->complete(op);
    }
}

bool EpollBackend::arrived() noexcept {
    if (done_head_) return true;
    pollfd p{epfd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

void EpollBackend::wait(std::int64_t timeout_ns) {
    if (done_head_) timeout_ns = 0;
    epoll_event events[kMaxEvents];
    int n;
    if (timeout_ns < 0) {
        n = ::epoll_wait(epfd_, events, kMaxEvents, -1);
    } else {
        // epoll_pwait2 (Linux 5.11) takes nanoseconds; older kernels say ENOSYS
        // once, and from then on the millisecond call is used, rounded up so
        // timers never fire early.
        static bool has_pwait2 = true;
        n = -1;
        if (has_pwait2) {
            timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
            n = static_cast<int>(::syscall(SYS_epoll_pwait2, epfd_, events, kMaxEvents, &ts, nullptr, 0));
            if (n < 0 && errno == ENOSYS) has_pwait2 = false;
        }
        if (!has_pwait2) {
            // Milliseconds rounded up, at most INT_MAX (24 days: the loop waits again).
            const std::int64_t ms = timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0);
            n = ::epoll_wait(epfd_, events, kMaxEvents, static_cast<int>(std::min<std::int64_t>(ms, INT_MAX)));
        }
    }
    if (n < 0) {
        if (errno == EINTR) n = 0;
        else throw_os_error(errno, "epoll_wait", "");
    }
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == wakefd_) {
            std::uint64_t v;
            while (::read(wakefd_, &v, sizeof v) > 0) {
            }
            continue;
        }
        if (static_cast<std::size_t>(fd) >= fds_.size()) continue;
        FdState& st = fds_[static_cast<std::size_t>(fd)];
        std::uint32_t e = events[i].events;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            st.readable = true;
            run_queue(st.readers, st.readable);
        }
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
            st.writable = true;
            run_queue(st.writers, st.writable);
        }
    }
    deliver_done();
}

void EpollBackend::wake() noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
}

}  // namespace aio::detail
