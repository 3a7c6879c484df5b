// The loop itself: the ready queue, timers and I/O polled in turn (asyncio: base_events.py's _run_once).
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "aio/detail/remote_wake.hpp"
#include "aio/task.hpp"
#include "aio/threads.hpp"
#include "loop/backends/epoll_backend.hpp"
#include "loop/io_wait.hpp"
#include "loop/loop_impl.hpp"
#include "loop/thread_state.hpp"

namespace aio::detail {

constinit thread_local EventLoop* t_running_loop = nullptr;

namespace {

/// With a busy ready queue, I/O is still polled (without blocking) after this
/// many task steps, so a flood of ready tasks cannot starve sockets. 61 is
/// tokio's event_interval: sockets then wait at most a few microseconds of
/// short steps, while the non-blocking poll (a system call of ~0.5 µs) costs
/// under 1% of a busy loop; being prime, it does not fall into step with
/// programs that spawn tasks in round batches.
constexpr unsigned kIoPollInterval = 61;
/// With executor calls in flight and nothing to run, the loop yields its core
/// this many times, looking for a result, before it sleeps: a pool thread
/// finishing a short call posts its result within microseconds, and on a
/// single core the yield lets the workers finish their whole run of calls,
/// whose results are then taken together (instead of one wake-up each).
constexpr int kResultYields = 8;
/// LoopOptions::idle_spin when neither it nor AIO_LOOP_SPIN_US says.
constexpr std::int64_t kDefaultIdleSpinUs = 20;
/// The longest watch before sleeping, whatever is asked (1 ms).
constexpr std::int64_t kMaxIdleSpinUs = 1000;
/// After n fruitless watches in a row, the next 2^n waits sleep at once; n stops here.
constexpr unsigned kMaxSpinBackoff = 10;

bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
}

/// asyncio ignores SIGPIPE at start-up, so a write to a closed socket or pipe
/// fails with EPIPE (BrokenPipeError) instead of killing the process. aio does
/// it when the first loop is made, once per process, and only if SIGPIPE
/// still has its default action: a handler (or SIG_IGN) the program set is
/// left alone. Children spawned by aio get the default action back.
void ignore_sigpipe_once() noexcept {
    static const bool done = [] {
        struct sigaction current {};
        if (::sigaction(SIGPIPE, nullptr, &current) != 0) return false;
        if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) return false;
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        return ::sigaction(SIGPIPE, &ignore, nullptr) == 0;
    }();
    (void)done;
}

/// LoopOptions::idle_spin in nanoseconds, for this backend and machine.
std::int64_t idle_spin_ns(const LoopOptions& opts, const IoBackend& backend) {
    // One CPU: whatever would complete the wait needs the CPU the watch holds.
    if (!backend.can_spin() || ::sysconf(_SC_NPROCESSORS_ONLN) < 2) return 0;
    std::int64_t us = kDefaultIdleSpinUs;
    if (opts.idle_spin) {
        us = opts.idle_spin->count();
    } else if (const char* s = std::getenv("AIO_LOOP_SPIN_US")) {
        const std::string_view text(s);
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc() && end == text.data() + text.size() && v >= 0) us = v;  // else the default
    }
    return std::clamp<std::int64_t>(us, 0, kMaxIdleSpinUs) * 1000;
}

}  // namespace

LoopImpl* running_impl() noexcept { return t_running_loop ? &LoopAccess::impl(*t_running_loop) : nullptr; }

IoBackend& running_backend(const char* what) {
    if (!t_running_loop) throw RuntimeError(fmt::format("{} outside a running event loop", what));
    return *LoopAccess::impl(*t_running_loop).backend;
}

IoBackend* running_backend_or_null() noexcept {
    return t_running_loop ? LoopAccess::impl(*t_running_loop).backend.get() : nullptr;
}

LoopImpl::LoopImpl(EventLoop& o, LoopOptions opts) : owner(o), options(opts) {
    ignore_sigpipe_once();
    ready_.loop = &o;
    link_ = std::make_shared<LoopLink>();
    link_->loop = this;
    debug = opts.debug || env_flag("AIO_DEBUG");
    if (const char* s = std::getenv("AIO_TIME_SCALE")) {
        char* end = nullptr;
        double v = std::strtod(s, &end);
        if (end != s && std::isfinite(v) && v >= 0) time_scale = v;
    }
    backend = make_backend();
    spin_ns_ = idle_spin_ns(opts, *backend);
    sigemptyset(&signal_mask_);
}

void LoopImpl::discard_pending() noexcept {
    // Completions that arrived after the loop stopped still own memory:
    // executor results and cross-loop wakes are delivered (their awaiters
    // are gone, or are given up below), callbacks are
    // dropped without running, tasks are taken off the queue (a delivery may
    // queue its task again: hence the loop).
    for (;;) {
        drain_threadsafe();
        std::uintptr_t link = ready_.take_all();
        if (!link) return;
        while (link) {
            ReadyLink* e = ReadyQueue::entry(link);
            bool task = ReadyQueue::is_task(link);
            link = e->next_ready;
            e->next_ready = 0;
            if (task) {
                static_cast<TaskCore*>(e)->flags &= ~TaskCore::kQueued;
                continue;
            }
            auto* r = static_cast<Runnable*>(e);
            if (r->run == &run_callback) {
                static_cast<CallbackNode*>(r)->cancelled = true;
                r->run(r);
            } else if (r->run == &WorkItem::deliver || r->run == &RemoteWaker::deliver) {
                r->run(r);
            }
        }
    }
}

void LoopImpl::close_pending() noexcept {
    discard_pending();
    // Tasks that can never run again: each is given up (done, cancelled) and
    // its frame destroyed unless a handle still holds it. A destructor may
    // wake another task: such queue entries are dropped below unread.
    // (Each pending task's frame lives until its own abandon() drops the
    // running reference, so the copy of the list stays valid.)
    while (tasks_.live() != 0) {
        std::vector<TaskCore*> pending;
        try {
            pending = pending_tasks();
        } catch (...) {
            // No memory for the copy: the table itself, from its end.
            for (std::uint32_t i = tasks_.used(); i-- > 0 && tasks_.live() != 0;) {
                if (i >= tasks_.used()) continue;
                if (TaskCore* t = tasks_.task_at(i)) t->abandon();
            }
            continue;
        }
        for (TaskCore* t : pending) {
            if (t->done()) continue;
            if (debug) {
                try {
                    owner.call_exception_handler({"Task was destroyed but it is pending!", nullptr, t->name()});
                } catch (...) {
                }
            }
            t->abandon();
        }
    }
    (void)ready_.take_all();
    // call_later handles are dropped; timers of frames that outlive the loop
    // (held by a handle) are unarmed so their destructors leave the loop alone.
    while (!timers_.empty()) {
        TimerNode* n = timers_.pop();
        if (n->fire != &fire_callback_timer) continue;
        CallbackNode* node = static_cast<CallbackTimer*>(n)->owner;
        node->cancelled = true;
        std::shared_ptr<CallbackNode> keep = std::move(node->self);
        auto fn = std::move(node->fn);  // its captures may hold tasks: destroyed here
    }
    (void)ready_.take_all();
}

LoopImpl::~LoopImpl() {
    detach_executors();
    discard_pending();
    // Timers still in the heap belong to frames that may be destroyed later:
    // unarm them so their destructors do not reach for this loop.
    while (!timers_.empty()) timers_.pop();
    if (signal_fd_ >= 0) {
        backend->forget_fd(signal_fd_);
        ::close(signal_fd_);
        pthread_sigmask(SIG_SETMASK, &saved_thread_mask_, nullptr);
    }
}


void LoopImpl::check_open(const char* what) const {
    if (closed) throw RuntimeError(fmt::format("{}(): the event loop is closed", what));
}

std::vector<TaskCore*> LoopImpl::pending_tasks() const {
    std::vector<TaskCore*> out;
    out.reserve(tasks_.live());
    for (std::uint32_t i = 0; i < tasks_.used(); ++i)
        if (TaskCore* t = tasks_.task_at(i)) out.push_back(t);
    return out;
}

void LoopImpl::post_threadsafe(Runnable* r) {
    {
        std::lock_guard lock(ts_mutex_);
        r->next_ready = 0;
        *ts_tail_ = reinterpret_cast<std::uintptr_t>(static_cast<ReadyLink*>(r));
        ts_tail_ = &r->next_ready;
        ts_pending_.store(true, std::memory_order_seq_cst);
    }
    if (sleeping_.load(std::memory_order_seq_cst) && !wake_sent_.exchange(true, std::memory_order_acq_rel))
        backend->wake();
}


void LoopImpl::drain_threadsafe() {
    std::uintptr_t head;
    {
        std::lock_guard lock(ts_mutex_);
        head = ts_head_;
        ts_head_ = 0;
        ts_tail_ = &ts_head_;
        ts_pending_.store(false, std::memory_order_relaxed);
    }
    while (head) {
        auto* r = static_cast<Runnable*>(ReadyQueue::entry(head));  // only Runnables are posted
        head = r->next_ready;
        r->next_ready = 0;
        enqueue(r);
    }
}

std::int64_t LoopImpl::compute_timeout_ns() const {
    if (stopping || !ready_.empty()) return 0;
    if (timers_.empty()) return -1;
    // Compared before subtracting: a deadline at time_point::min() (a
    // sleep_until the distant past) minus now would overflow.
    const Clock::time_point deadline = timers_.top()->deadline;
    const Clock::time_point now = Clock::now();
    if (deadline <= now) return 0;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count();
}

void LoopImpl::run_expired_timers() {
    if (timers_.empty()) return;
    auto now = Clock::now();
    while (!timers_.empty() && timers_.top()->deadline <= now) {
        TimerNode* n = timers_.pop();
        n->fire(n);
    }
}

namespace {
/// Runs one entry taken off the ready queue (its link already cleared).
inline void run_entry(ReadyLink* e, bool task) noexcept {
    if (task) {
        auto* t = static_cast<TaskCore*>(e);
        t->flags &= ~TaskCore::kQueued;
        resume_task(t);
    } else {
        auto* r = static_cast<Runnable*>(e);
        r->run(r);
    }
}
}  // namespace

unsigned LoopImpl::run_ready_batch() {
    std::uintptr_t link = ready_.take_all();
    unsigned n = 0;
    if (!debug) {
        while (link) {
            ReadyLink* e = ReadyQueue::entry(link);
            bool task = ReadyQueue::is_task(link);
            link = e->next_ready;
            e->next_ready = 0;  // off the queue: it may be pushed again
            run_entry(e, task);
            ++n;
        }
        return n;
    }
    while (link) {
        ++n;
        ReadyLink* e = ReadyQueue::entry(link);
        bool is_task = ReadyQueue::is_task(link);
        link = e->next_ready;
        e->next_ready = 0;
        std::string what = is_task ? "Task " + static_cast<TaskCore*>(e)->name() : std::string("a callback");
        auto t0 = Clock::now();
        run_entry(e, is_task);
        auto took = Clock::now() - t0;
        if (took >= options.slow_callback_duration) {
            owner.call_exception_handler(
                {fmt::format("Executing {} took {:.3f} seconds", what,
                             std::chrono::duration<double>(took).count()),
                 nullptr, {}});
        }
    }
    return n;
}

void LoopImpl::run_once() {
    if (!ready_.empty() || stopping) {
        // Busy: ask the kernel for I/O events only now and then, and never
        // when no operation is waiting for one (a system call per iteration
        // would cost more than the tasks themselves).
        if (backend->has_pending_completions() ||
            (backend->pending_ops() != 0 && ticks_since_poll_ >= kIoPollInterval)) {
            ticks_since_poll_ = 0;
            backend->wait(0);
        }
    } else {
        ticks_since_poll_ = 0;
        for (int i = 0; i < kResultYields && executor_calls_ > 0 && !ts_pending_.load(std::memory_order_relaxed); ++i)
            std::this_thread::yield();
        if (spin_before_sleep()) {
            backend->wait(0);
        } else {
            wake_sent_.store(false, std::memory_order_relaxed);
            sleeping_.store(true, std::memory_order_seq_cst);
            std::int64_t timeout = ts_pending_.load(std::memory_order_seq_cst) ? 0 : compute_timeout_ns();
            backend->wait(timeout);
            sleeping_.store(false, std::memory_order_relaxed);
        }
    }
    if (ts_pending_.load(std::memory_order_acquire)) drain_threadsafe();
    run_expired_timers();
    ticks_since_poll_ += run_ready_batch();
}

bool LoopImpl::watch(std::int64_t limit_ns) noexcept {
    if (!backend->begin_watch()) return true;  // wait(0) reports the refusal
    auto arrived = [&] { return ts_pending_.load(std::memory_order_relaxed) || backend->arrived(); };
    // sched_yield between looks, not a pause instruction: a thread that
    // shares this core (the load generator of a benchmark, a pool worker, a
    // second loop) runs during the watch instead of after it. Two aio
    // workers and wrk -t2 on two cores, 5 s runs: 88.6k-94.3k requests a
    // second without a watch, 87.8k-90.9k watching with pauses, 102.8k-113.6k
    // watching with yields.
    const auto end = Clock::now() + std::chrono::nanoseconds(limit_ns);
    do {
        if (arrived()) return true;
        ::sched_yield();
    } while (Clock::now() < end);
    return arrived();
}

bool LoopImpl::spin_before_sleep() noexcept {
    // Only for a completion the kernel will bring: a loop waiting on timers
    // alone, or on other threads, sleeps (a thread-safe post while it
    // watches is seen too: it is not yet marked sleeping, so the post writes
    // no eventfd).
    if (spin_ns_ == 0 || !io_in_flight() || ts_pending_.load(std::memory_order_relaxed)) return false;
    if (spin_skip_ > 0) {
        --spin_skip_;
        return false;
    }
    std::int64_t limit = spin_ns_;
    const std::int64_t timer = compute_timeout_ns();
    if (timer == 0) return false;  // a timer is due: no wait at all
    if (timer > 0 && timer < limit) limit = timer;
    if (watch(limit)) {
        spin_misses_ = 0;
        ++spins_found_;
        return true;
    }
    ++spins_missed_;
    if (spin_misses_ < kMaxSpinBackoff) ++spin_misses_;
    spin_skip_ = 1u << spin_misses_;
    return false;
}

bool LoopImpl::can_progress() const noexcept {
    return !ready_.empty() || !timers_.empty() || executor_calls_ > 0 || ts_pending_.load() ||
           backend->has_pending_completions() || io_in_flight();
}

template <class Cond>
void LoopImpl::run_loop(Cond keep_going) {
    check_open("run");
    if (running) throw RuntimeError("this event loop is already running");
    if (t_running_loop) throw RuntimeError("cannot run an event loop while another loop is running on this thread");
    struct Scope {
        LoopImpl& impl;
        explicit Scope(LoopImpl& i) : impl(i) {
            impl.running = true;
            t_running_loop = &impl.owner;
        }
        ~Scope() {
            impl.running = false;
            impl.stopping = false;
            t_running_loop = nullptr;
        }
    } scope(*this);
    if (signal_fd_ >= 0) arm_signal_read();
    // asyncio: stop() lets the current iteration finish, including callbacks
    // that were ready when it was called.
    while (!stopping && keep_going()) run_once();
}

void LoopImpl::run_while(const std::function<bool()>& keep_going) { run_loop(keep_going); }

void LoopImpl::run_forever() {
    run_loop([] { return true; });
}

void LoopImpl::run_until_done(TaskCore* core) {
    run_loop([core] { return !core->done(); });
}

}  // namespace aio::detail
