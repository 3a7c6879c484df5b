#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "aio/detail/wait_list.hpp"
#include "aio/task.hpp"
#include "aio/threads.hpp"
#include "loop/backends/epoll_backend.hpp"
#include "loop/loop_impl.hpp"

namespace aio {

namespace detail {

namespace {

thread_local EventLoop* t_running_loop = nullptr;
thread_local TaskCore* t_current_task = nullptr;
thread_local int t_transfer_budget = kTransferBudget;

/// With a busy ready queue, I/O is still polled (without blocking) after this
/// many task steps, so a flood of ready tasks cannot starve sockets.
constexpr unsigned kIoPollInterval = 61;

bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
}

void run_callback(Runnable* r) noexcept {
    auto* node = static_cast<CallbackNode*>(r);
    std::shared_ptr<CallbackNode> keep = std::move(node->self);
    if (node->cancelled) return;
    auto fn = std::move(node->fn);
    try {
        fn();
    } catch (...) {
        node->loop->owner.call_exception_handler({"Exception in callback", std::current_exception(), {}});
    }
}

void fire_callback_timer(TimerNode* t) noexcept {
    CallbackNode* node = static_cast<CallbackTimer*>(t)->owner;
    node->loop->enqueue(node);
}

void resume_task(Runnable* r) noexcept {
    auto* task = static_cast<TaskCore*>(r);
    if (!task->has(TaskCore::kStarted)) {
        task->flags |= TaskCore::kStarted;
        if (task->has(TaskCore::kCancelPending)) {
            // Cancelled before its first step: the body never runs (asyncio semantics).
            task->exception = std::make_exception_ptr(CancelledError());
            task->on_final_suspend(task->resume_point);  // still the root frame: it never ran
            return;
        }
    }
    // Every wait ends by waking the task (which forgets what it waited on);
    // an awaiter that resumed its task another way would leave a Suspension
    // behind that a later cancel() would call into after the awaiter is gone.
    AIO_ASSERT(task->waiting_on == nullptr, "a task was resumed with a wait still registered");
    task->waiting_on = nullptr;
    t_current_task = task;
    t_transfer_budget = kTransferBudget;
    t_coop_budget = kCoopBudget;
    task->resume_point.resume();  // `task` may be gone after this
    t_current_task = nullptr;
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

bool is_cancelled_error(const std::exception_ptr& e) {
    if (!e) return false;
    try {
        std::rethrow_exception(e);
    } catch (const CancelledError&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace

LoopImpl* running_impl() noexcept { return t_running_loop ? &t_running_loop->impl() : nullptr; }

TaskCore* current_core() noexcept { return t_current_task; }

std::coroutine_handle<> transfer_to(TaskCore* task, std::coroutine_handle<> h) noexcept {
    if (--t_transfer_budget > 0) return h;
    task->resume_point = h;
    task->wake();
    return std::noop_coroutine();
}

// ---------------------------------------------------------------- TaskCore

TaskCore::~TaskCore() { delete extras; }

void TaskCore::deliver_pending_cancel() noexcept {
    if (!has(kCancelPending)) return;
    flags &= ~kCancelPending;
    if (!waiting_on || !waiting_on->request_cancel()) flags |= kCancelPending;
}

bool TaskCore::cancel() noexcept {
    if (done()) return false;
    ++cancel_requests;
    if (waiting_on && waiting_on->request_cancel()) return true;
    flags |= kCancelPending;
    return true;
}

int TaskCore::uncancel() noexcept {
    if (cancel_requests > 0) --cancel_requests;
    if (cancel_requests == 0) flags &= ~kCancelPending;
    return cancel_requests;
}

void TaskCore::remove_waiter(CompletionWaiter* w) noexcept {
    for (CompletionWaiter** p = &waiters; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            w->next = nullptr;
            return;
        }
    }
}

void TaskCore::add_done_callback(std::function<void()> f) {
    if (done()) {
        loop()->call_soon(std::move(f));
        return;
    }
    if (!extras) extras = new TaskExtras;
    extras->done_callbacks.push_back(std::move(f));
}

const std::string& TaskCore::name() {
    if (!extras) extras = new TaskExtras;
    if (extras->name.empty()) extras->name = fmt::format("Task-{}", number);
    return extras->name;
}

void TaskCore::set_name(std::string n) {
    if (!extras) extras = new TaskExtras;
    extras->name = std::move(n);
}

void TaskCore::rethrow_if_failed() {
    if (!done()) throw InvalidStateError("the task is not done");
    flags |= kRetrieved;
    if (exception) std::rethrow_exception(exception);
}

void TaskCore::start_in(EventLoop& l, std::coroutine_handle<> self) noexcept {
    LoopImpl& impl = l.impl();
    owner = this;
    ready = &impl.ready_queue();
    resume_point = self;
    frame = self;
    run = &resume_task;
    flags |= kRoot;
    refs = 2;  // the handle, and the task itself while it runs
    number = static_cast<std::uint32_t>(impl.next_task_number());
    impl.link_task(this);
    impl.enqueue(this);
}

std::coroutine_handle<> TaskCore::on_final_suspend(std::coroutine_handle<> self) noexcept {
    if (!has(kRoot)) return transfer_to(owner, resume_point);
    (void)self;
    finish_task();
    return std::noop_coroutine();
}

void TaskCore::finish_task() noexcept {
    if (exception) {
        if (is_cancelled_error(exception)) flags |= kCancelled;
    } else if (has(kCancelPending)) {
        // cancel() arrived after the last await: the task ends cancelled (asyncio semantics).
        exception = std::make_exception_ptr(CancelledError());
        flags |= kCancelled;
    }
    flags = static_cast<std::uint16_t>((flags | kDone) & ~kCancelPending);
    waiting_on = nullptr;
    loop()->impl().unlink_task(this);
    while (CompletionWaiter* w = waiters) {
        waiters = w->next;
        w->next = nullptr;
        w->notify(w, *this);
    }
    if (extras && !extras->done_callbacks.empty()) {
        auto callbacks = std::move(extras->done_callbacks);
        for (auto& cb : callbacks) {
            try {
                loop()->call_soon(std::move(cb));
            } catch (...) {
                // A closed loop runs no callbacks.
            }
        }
    }
    release();  // the running reference; may destroy this frame
}

void TaskCore::abandon() noexcept {
    if (done()) return;
    flags |= kDone | kCancelled | kQuiet;
    if (!exception) {
        try {
            exception = std::make_exception_ptr(CancelledError("the task was abandoned: its event loop closed"));
        } catch (...) {
        }
    }
    waiting_on = nullptr;
    loop()->impl().unlink_task(this);
    release();
}

void TaskCore::release() noexcept {
    if (--refs != 0) return;
    if (exception && !has(kRetrieved) && !has(kQuiet) && !has(kCancelled)) report_unretrieved(*this);
    frame.destroy();
}

void check_open(EventLoop& loop, const char* what) { loop.impl().check_open(what); }

void report_unretrieved(TaskCore& core) noexcept {
    try {
        ExceptionContext ctx{"Task exception was never retrieved", core.exception, core.name()};
        if (EventLoop* l = t_running_loop)
            l->call_exception_handler(ctx);
        else
            std::fprintf(stderr, "aio: %s (task %s)\n%s\n", ctx.message.c_str(), ctx.task_name.c_str(),
                         describe_exception(ctx.exception).c_str());
    } catch (...) {
    }
}

void warn_lazy_task_dropped(TaskCore&) noexcept {
    EventLoop* l = t_running_loop;
    if (!l || !l->get_debug()) return;
    try {
        l->call_exception_handler({"a Task was destroyed without ever being awaited (coroutine was never awaited)", nullptr, {}});
    } catch (...) {
    }
}

void WorkItem::deliver(Runnable* r) noexcept {
    auto* item = static_cast<WorkItem*>(r);
    item->delivered = true;
    --item->loop->in_flight;
    if (TaskCore* t = item->waiter) t->wake();
    item->release();  // the pool's reference
}

void post_completion(WorkItem* item) noexcept {
    // A plain pointer, not another counted copy (two atomic operations per
    // call): the item may be freed as soon as it is posted, but the loop's own
    // reference keeps the link alive until close() takes mu, after us.
    LoopLink* l = item->link.get();
    {
        std::lock_guard lock(l->mu);
        if (l->loop) {
            l->loop->post_threadsafe(static_cast<Runnable*>(item));  // delivers and releases
            return;
        }
    }
    item->release();  // the loop is closed: nobody waits for the result
}

// ---------------------------------------------------------------- LoopImpl

LoopImpl::LoopImpl(EventLoop& o, LoopOptions opts) : owner(o), options(opts) {
    ignore_sigpipe_once();
    ready_.loop = &o;
    link = std::make_shared<LoopLink>();
    link->loop = this;
    debug = opts.debug || env_flag("AIO_DEBUG");
    if (const char* s = std::getenv("AIO_TIME_SCALE")) {
        char* end = nullptr;
        double v = std::strtod(s, &end);
        if (end != s && std::isfinite(v) && v >= 0) time_scale = v;
    }
    backend = make_backend();
    sigemptyset(&signal_mask_);
}

void LoopImpl::discard_pending() noexcept {
    // Completions that arrived after the loop stopped still own memory:
    // executor results are delivered (their awaiters are gone), callbacks are
    // dropped without running, tasks are taken off the queue (a delivery may
    // queue its task again: hence the loop).
    for (;;) {
        drain_threadsafe();
        Runnable* r = ready_.take_all();
        if (!r) return;
        while (r) {
            Runnable* next = r->next_ready;
            r->next_ready = nullptr;
            if (r->run == &run_callback) {
                static_cast<CallbackNode*>(r)->cancelled = true;
                r->run(r);
            } else if (r->run == &WorkItem::deliver) {
                r->run(r);
            }
            r = next;
        }
    }
}

void LoopImpl::close_pending() noexcept {
    discard_pending();
    // Tasks that can never run again: each is given up (done, cancelled) and
    // its frame destroyed unless a handle still holds it. A destructor may
    // wake another task: such queue entries are dropped below unread.
    while (TaskCore* t = tasks_head_) {
        if (debug) {
            try {
                owner.call_exception_handler({"Task was destroyed but it is pending!", nullptr, t->name()});
            } catch (...) {
            }
        }
        t->abandon();
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

void LoopImpl::detach_executors() noexcept {
    std::lock_guard lock(link->mu);
    link->loop = nullptr;
}

void LoopImpl::check_open(const char* what) const {
    if (closed) throw RuntimeError(fmt::format("{}(): the event loop is closed", what));
}

void LoopImpl::link_task(TaskCore* t) noexcept {
    t->prev_task = nullptr;
    t->next_task = tasks_head_;
    if (tasks_head_) tasks_head_->prev_task = t;
    tasks_head_ = t;
}

void LoopImpl::unlink_task(TaskCore* t) noexcept {
    if (t->prev_task)
        t->prev_task->next_task = t->next_task;
    else if (tasks_head_ == t)
        tasks_head_ = t->next_task;
    if (t->next_task) t->next_task->prev_task = t->prev_task;
    t->prev_task = t->next_task = nullptr;
}

void LoopImpl::post_threadsafe(Runnable* r) {
    {
        std::lock_guard lock(ts_mutex_);
        r->next_ready = nullptr;
        *ts_tail_ = r;
        ts_tail_ = &r->next_ready;
        ts_pending_.store(true, std::memory_order_seq_cst);
    }
    if (sleeping_.load(std::memory_order_seq_cst)) backend->wake();
}

void LoopImpl::post_threadsafe(std::function<void()> f) {
    auto node = std::make_shared<CallbackNode>();
    node->fn = std::move(f);
    node->loop = this;
    node->run = &run_callback;
    node->self = node;
    post_threadsafe(static_cast<Runnable*>(node.get()));
}

void LoopImpl::drain_threadsafe() {
    Runnable* head;
    {
        std::lock_guard lock(ts_mutex_);
        head = ts_head_;
        ts_head_ = nullptr;
        ts_tail_ = &ts_head_;
        ts_pending_.store(false, std::memory_order_relaxed);
    }
    while (head) {
        Runnable* next = head->next_ready;
        head->next_ready = nullptr;
        enqueue(head);
        head = next;
    }
}

std::int64_t LoopImpl::compute_timeout_ns() const {
    if (stopping || !ready_.empty()) return 0;
    if (timers_.empty()) return -1;
    auto d = timers_.top()->deadline - Clock::now();
    if (d.count() <= 0) return 0;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

void LoopImpl::run_expired_timers() {
    if (timers_.empty()) return;
    auto now = Clock::now();
    while (!timers_.empty() && timers_.top()->deadline <= now) {
        TimerNode* n = timers_.pop();
        n->fire(n);
    }
}

unsigned LoopImpl::run_ready_batch() {
    Runnable* r = ready_.take_all();
    unsigned n = 0;
    if (!debug) {
        while (r) {
            Runnable* next = r->next_ready;
            r->next_ready = nullptr;  // off the queue: it may be pushed again
            r->run(r);
            r = next;
            ++n;
        }
        return n;
    }
    while (r) {
        ++n;
        Runnable* next = r->next_ready;
        r->next_ready = nullptr;
        bool is_task = r->run == &resume_task;
        std::string what = is_task ? "Task " + static_cast<TaskCore*>(r)->name() : std::string("a callback");
        auto t0 = Clock::now();
        r->run(r);
        auto took = Clock::now() - t0;
        if (took >= options.slow_callback_duration) {
            owner.call_exception_handler(
                {fmt::format("Executing {} took {:.3f} seconds", what,
                             std::chrono::duration<double>(took).count()),
                 nullptr, {}});
        }
        r = next;
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
        sleeping_.store(true, std::memory_order_seq_cst);
        std::int64_t timeout = ts_pending_.load(std::memory_order_seq_cst) ? 0 : compute_timeout_ns();
        backend->wait(timeout);
        sleeping_.store(false, std::memory_order_relaxed);
    }
    if (ts_pending_.load(std::memory_order_acquire)) drain_threadsafe();
    run_expired_timers();
    ticks_since_poll_ += run_ready_batch();
}

bool LoopImpl::can_progress() const noexcept {
    std::size_t own_ops = signal_read_armed_ ? 1 : 0;  // the signalfd read is always pending
    return !ready_.empty() || !timers_.empty() || in_flight > 0 || ts_pending_.load() ||
           backend->has_pending_completions() || backend->pending_ops() > own_ops;
}

// ---------------------------------------------------------------- signals

void LoopImpl::arm_signal_read() {
    if (signal_read_armed_ || signal_fd_ < 0) return;
    if (!signal_buf_) signal_buf_.reset(new unsigned char[sizeof(signalfd_siginfo) * 8]);
    signal_op_ = IoOp{};
    signal_op_.kind = IoOp::Kind::Read;
    signal_op_.fd = signal_fd_;
    signal_op_.buf = signal_buf_.get();
    signal_op_.len = sizeof(signalfd_siginfo) * 8;
    signal_op_.complete = &LoopImpl::on_signal_read;
    signal_read_armed_ = true;
    while (backend->submit(signal_op_)) {
        // Signals were already waiting: dispatch them and read again.
        signal_read_armed_ = false;
        on_signal_read(&signal_op_);
        if (signal_fd_ < 0) return;
        signal_read_armed_ = true;
    }
}

void LoopImpl::on_signal_read(IoOp* op) noexcept {
    LoopImpl* self = running_impl();
    if (!self) return;
    self->signal_read_armed_ = false;
    if (op->result == -ECANCELED) return;
    if (op->result > 0) {
        auto* infos = reinterpret_cast<signalfd_siginfo*>(self->signal_buf_.get());
        std::size_t n = static_cast<std::size_t>(op->result) / sizeof(signalfd_siginfo);
        for (std::size_t i = 0; i < n; ++i) {
            auto it = self->signal_handlers_.find(static_cast<int>(infos[i].ssi_signo));
            if (it == self->signal_handlers_.end()) continue;
            try {
                self->owner.call_soon(it->second);
            } catch (...) {
            }
        }
    }
    if (op == &self->signal_op_ && self->signal_fd_ >= 0) {
        try {
            self->arm_signal_read();
        } catch (...) {
        }
    }
}

void LoopImpl::add_signal_handler(int sig, std::function<void()> f) {
    check_open("add_signal_handler");
    if (sig <= 0 || sig >= NSIG) throw ValueError(fmt::format("invalid signal number {}", sig));
    if (sig == SIGKILL || sig == SIGSTOP) throw ValueError(fmt::format("signal {} cannot be caught", sig));
    if (signal_handlers_.empty()) pthread_sigmask(SIG_SETMASK, nullptr, &saved_thread_mask_);
    sigaddset(&signal_mask_, sig);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    int fd = ::signalfd(signal_fd_, &signal_mask_, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) throw_os_error(errno, "signalfd", "");
    signal_fd_ = fd;
    signal_handlers_[sig] = std::move(f);
    if (running) arm_signal_read();
}

bool LoopImpl::remove_signal_handler(int sig) {
    auto it = signal_handlers_.find(sig);
    if (it == signal_handlers_.end()) return false;
    signal_handlers_.erase(it);
    sigdelset(&signal_mask_, sig);
    if (!sigismember(&saved_thread_mask_, sig)) {
        sigset_t unblock;
        sigemptyset(&unblock);
        sigaddset(&unblock, sig);
        pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
    }
    if (signal_handlers_.empty()) {
        backend->forget_fd(signal_fd_);
        ::close(signal_fd_);
        signal_fd_ = -1;
    } else {
        ::signalfd(signal_fd_, &signal_mask_, SFD_NONBLOCK | SFD_CLOEXEC);
    }
    return true;
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

}  // namespace detail

// ---------------------------------------------------------------- EventLoop

void Handle::cancel() {
    if (!node_ || node_->cancelled) return;
    node_->cancelled = true;
    node_->fn = nullptr;
    if (node_->timed && node_->timer.armed()) {
        node_->loop->remove_timer(&node_->timer);
        node_->self.reset();
    }
}

bool Handle::cancelled() const { return node_ && node_->cancelled; }

Clock::time_point TimerHandle::when() const { return node_ ? node_->timer.deadline : Clock::time_point{}; }

EventLoop::EventLoop(LoopOptions options) : impl_(std::make_unique<detail::LoopImpl>(*this, options)) {}

EventLoop::~EventLoop() {
    try {
        if (!impl_->closed && !impl_->running) close();
    } catch (...) {
    }
}

Clock::duration EventLoop::scaled(Clock::duration d) const noexcept {
    if (impl_->time_scale == 1.0) return d;
    return std::chrono::duration_cast<Clock::duration>(d * impl_->time_scale);
}

Handle EventLoop::call_soon(Callback f) {
    impl_->check_open("call_soon");
    auto node = std::make_shared<detail::CallbackNode>();
    node->fn = std::move(f);
    node->loop = impl_.get();
    node->run = &detail::run_callback;
    node->self = node;
    impl_->enqueue(node.get());
    return Handle(std::move(node));
}

TimerHandle EventLoop::call_at(Clock::time_point when, Callback f) {
    impl_->check_open("call_at");
    auto node = std::make_shared<detail::CallbackNode>();
    node->fn = std::move(f);
    node->loop = impl_.get();
    node->run = &detail::run_callback;
    node->timed = true;
    node->timer.deadline = when;
    node->timer.fire = &detail::fire_callback_timer;
    node->timer.owner = node.get();
    node->self = node;
    impl_->add_timer(&node->timer);
    return TimerHandle(std::move(node));
}

Handle EventLoop::call_soon_threadsafe(Callback f) {
    impl_->check_open("call_soon_threadsafe");
    auto node = std::make_shared<detail::CallbackNode>();
    node->fn = std::move(f);
    node->loop = impl_.get();
    node->run = &detail::run_callback;
    node->self = node;
    impl_->post_threadsafe(static_cast<detail::Runnable*>(node.get()));
    return Handle(std::move(node));
}

void EventLoop::run_forever() { impl_->run_forever(); }

void EventLoop::stop() { impl_->stopping = true; }

bool EventLoop::is_running() const { return impl_->running; }

bool EventLoop::is_closed() const { return impl_->closed; }

void EventLoop::close() {
    if (impl_->running) throw RuntimeError("cannot close a running event loop");
    if (impl_->closed) return;
    impl_->closed = true;
    // Calls still running in an executor that outlives the loop drop their
    // completion from now on instead of posting it here.
    impl_->detach_executors();
    // Pending tasks and call_later handles are given up (asyncio drops them
    // too): the default executor is still there for their awaiters' cleanup.
    impl_->close_pending();
    if (impl_->default_executor) impl_->default_executor->shutdown(true);
    impl_->default_executor.reset();
    impl_->discard_pending();
}

void EventLoop::add_signal_handler(int sig, Callback f) { impl_->add_signal_handler(sig, std::move(f)); }

bool EventLoop::remove_signal_handler(int sig) { return impl_->remove_signal_handler(sig); }

void EventLoop::set_exception_handler(ExceptionHandler handler) { impl_->exception_handler = std::move(handler); }

void EventLoop::call_exception_handler(const ExceptionContext& context) {
    if (impl_->exception_handler) {
        try {
            impl_->exception_handler(*this, context);
            return;
        } catch (...) {
            // A failing handler falls back to the default one, as asyncio does.
        }
    }
    default_exception_handler(context);
}

void EventLoop::default_exception_handler(const ExceptionContext& context) {
    std::string msg = "aio: " + context.message;
    if (!context.task_name.empty()) msg += " (task " + context.task_name + ")";
    if (context.exception) msg += "\n  " + describe_exception(context.exception);
    std::fprintf(stderr, "%s\n", msg.c_str());
}

bool EventLoop::get_debug() const { return impl_->debug; }

void EventLoop::set_debug(bool enabled) { impl_->debug = enabled; }

ThreadPoolExecutor& EventLoop::default_executor() {
    impl_->check_open("default_executor");
    if (!impl_->default_executor) impl_->default_executor = std::make_unique<ThreadPoolExecutor>();
    return *impl_->default_executor;
}

EventLoop& get_running_loop() {
    if (!detail::t_running_loop) throw RuntimeError("no running event loop");
    return *detail::t_running_loop;
}

EventLoop* running_loop_or_null() noexcept { return detail::t_running_loop; }

TaskInfo current_task() { return TaskInfo(detail::t_current_task); }

std::vector<TaskInfo> all_tasks() {
    std::vector<TaskInfo> out;
    EventLoop* l = detail::t_running_loop;
    if (!l) throw RuntimeError("no running event loop");
    for (detail::TaskCore* t = l->impl().tasks_head(); t; t = t->next_task) out.emplace_back(t);
    return out;
}

}  // namespace aio

namespace aio::detail {
void run_loop_until_done(EventLoop& loop, TaskCore* core) { loop.impl().run_until_done(core); }
}  // namespace aio::detail

namespace aio::detail {
void add_timer(TaskCore* task, TimerNode* node) { task->loop()->impl().add_timer(node); }
void remove_timer(TaskCore* task, TimerNode* node) noexcept { task->loop()->impl().remove_timer(node); }
Clock::duration scaled_delay(TaskCore* task, Clock::duration d) noexcept { return task->loop()->scaled(d); }
}  // namespace aio::detail
