// run_coroutine_threadsafe: a coroutine handed to another thread's loop, its outcome to a ConcurrentFuture.
#include "aio/threadsafe.hpp"

#include <cstdio>

#include "loop/loop_impl.hpp"

namespace aio::detail {

namespace {
void run_future_callback(const std::function<void()>& f) noexcept {
    try {
        f();
    } catch (...) {
        try {
            std::fprintf(stderr, "aio: exception calling callback for ConcurrentFuture\n  %s\n",
                         describe_exception(std::current_exception()).c_str());
        } catch (...) {
        }
    }
}
}  // namespace

ConcurrentState::ConcurrentState(EventLoop& loop) : loop_(&loop), link_(LoopAccess::impl(loop).link()) {}

ConcurrentState::~ConcurrentState() {
    // Awaiters parked on a future that never finished (their frames are
    // gone, or they would hold the state): their references only.
    while (RemoteWaker* w = wakers_) {
        wakers_ = w->next;
        w->release();
    }
}

bool ConcurrentState::done() const {
    std::lock_guard lock(mu);
    return status_ != Status::kPending;
}

bool ConcurrentState::cancelled() const {
    std::lock_guard lock(mu);
    return status_ == Status::kCancelled;
}

void ConcurrentState::post(std::function<void()> f) {
    if (!link_->try_post(f)) throw RuntimeError("run_coroutine_threadsafe(): the event loop is closed");
}

bool ConcurrentState::cancel() {
    {
        std::lock_guard lock(mu);
        if (status_ == Status::kFinished) return false;
        if (status_ == Status::kCancelled) return true;
    }
    finish(Status::kCancelled, nullptr);
    // The task learns of it on its loop (asyncio: call_soon_threadsafe(task.cancel)).
    try {
        post([self = shared_from_this()] {
            if (self->task) self->task->cancel();
        });
    } catch (...) {
        // The loop is closed: the task is gone, or will be given up with it.
    }
    return true;
}

void ConcurrentState::wait(std::optional<std::chrono::nanoseconds> timeout) {
    std::unique_lock lock(mu);
    if (status_ != Status::kPending) return;
    if (running_loop_or_null() == loop_)
        throw RuntimeError(
            "ConcurrentFuture: waiting on the thread of the event loop that must complete it would block forever "
            "(co_await the task instead)");
    auto ready = [this] { return status_ != Status::kPending; };
    if (!timeout) {
        cv_.wait(lock, ready);
    } else if (!cv_.wait_for(lock, *timeout, ready)) {
        throw TimeoutError("ConcurrentFuture: the result did not arrive within the timeout");
    }
}

void ConcurrentState::finish(Status status, std::exception_ptr error) {
    std::vector<std::function<void()>> callbacks;
    RemoteWaker* wakers = nullptr;
    {
        std::lock_guard lock(mu);
        if (status_ != Status::kPending) return;
        status_ = status;
        error_ = std::move(error);
        callbacks.swap(callbacks_);
        wakers = std::exchange(wakers_, nullptr);
    }
    cv_.notify_all();
    // Each awaiting task is woken on its own loop (a closed loop refuses the
    // wake: its task is being given up).
    while (RemoteWaker* w = wakers) {
        wakers = w->next;
        (void)w->post();
    }
    for (auto& f : callbacks) run_future_callback(f);
}

bool ConcurrentState::add_waker(RemoteWaker* w) {
    std::lock_guard lock(mu);
    if (status_ != Status::kPending) return false;
    w->next = wakers_;
    wakers_ = w;
    return true;
}

void ConcurrentState::add_done_callback(std::function<void()> f) {
    {
        std::lock_guard lock(mu);
        if (status_ == Status::kPending) {
            callbacks_.push_back(std::move(f));
            return;
        }
    }
    run_future_callback(f);
}

std::exception_ptr ConcurrentState::exception_locked() const {
    if (status_ == Status::kCancelled) throw CancelledError("the future was cancelled");
    return error_;
}

}  // namespace aio::detail
