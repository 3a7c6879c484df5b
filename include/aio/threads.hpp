// aio/threads.hpp — blocking work off the loop (asyncio: threads.py, run_in_executor,
// concurrent.futures.ThreadPoolExecutor).
//
//     std::string r = co_await aio::to_thread(sync_function);   // asyncio.to_thread
//
// The function runs on a worker thread; its result (or exception) comes back
// to the awaiting task through the loop's thread-safe queue, so the coroutine
// is only ever resumed on its loop's thread. Arguments are copied (or moved)
// into the work item: the worker never sees references into the coroutine frame.
//
// Cancellation (asyncio semantics): cancelling the awaiting task removes a call
// that has not started yet; a call already running is abandoned — the awaiter
// gets CancelledError at once, the thread finishes the call and its result is
// dropped. A call that already finished delivers its result (nothing is lost)
// and the cancellation is delivered at the task's next await.
// Cancellation: see docs/cancellation.md.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "aio/detail/context.hpp"
#include "aio/task.hpp"

namespace aio {

namespace detail {

struct LoopLink;
struct PoolAccess;

/// A call handed to a pool. Reference-counted: the awaiter and the worker each
/// hold one reference, so either may go first.
class WorkItem : public Runnable {
public:
    WorkItem() noexcept { run = &WorkItem::deliver; }
    virtual ~WorkItem() = default;
    /// Runs the call on a worker thread (stores result or exception).
    virtual void execute() noexcept = 0;
    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    // Loop-thread state.
    LoopImpl* loop = nullptr;
    /// Set by the pool when the item is queued: how the worker reaches the
    /// loop (nothing is posted once the loop has closed).
    std::shared_ptr<LoopLink> link;
    TaskCore* waiter = nullptr;  // null once abandoned
    bool delivered = false;

    /// Runs on the loop: wakes the awaiter (if any) and drops the pool's reference.
    static void deliver(Runnable* r) noexcept;

private:
    std::atomic<int> refs_{1};
};

/// From a worker: posts the finished item to its loop (which delivers and
/// releases it), or releases it when the loop has closed.
void post_completion(WorkItem* item) noexcept;

template <class R>
class CallItem final : public WorkItem {
public:
    explicit CallItem(std::function<R()> f) : fn_(std::move(f)) {}
    void execute() noexcept override {
        try {
            if constexpr (std::is_void_v<R>) {
                fn_();
                value_.emplace();
            } else {
                value_.emplace(fn_());
            }
        } catch (...) {
            error_ = std::current_exception();
        }
        fn_ = nullptr;  // drop captured state on the worker, not on the loop
    }
    value_or_monostate_t<R> take() {
        if (error_) std::rethrow_exception(error_);
        if (!value_) throw CancelledError("the call was cancelled before it ran (executor shut down)");
        if constexpr (std::is_void_v<R>)
            return {};
        else
            return std::move(*value_);
    }

private:
    std::function<R()> fn_;
    std::optional<value_or_monostate_t<R>> value_;
    std::exception_ptr error_;
};

}  // namespace detail

/// A pool of worker threads (concurrent.futures.ThreadPoolExecutor).
/// Threads start on demand up to max_workers and block all signals.
/// Destroying the pool is shutdown(wait=true).
class ThreadPoolExecutor {
public:
    /// max_workers = 0: min(32, cores + 4), as Python's default.
    explicit ThreadPoolExecutor(std::size_t max_workers = 0);
    ~ThreadPoolExecutor();
    ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
    ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

    /// Runs f(args...) on a worker; the std::future carries the result.
    /// Throws RuntimeError after shutdown ("cannot schedule new futures after shutdown").
    template <class F, class... Args>
    auto submit(F f, Args... args) -> std::future<std::invoke_result_t<F, Args...>> {
        using R = std::invoke_result_t<F, Args...>;
        auto task = std::make_shared<std::packaged_task<R()>>(
            [f = std::move(f), ... a = std::move(args)]() mutable { return std::invoke(f, std::move(a)...); });
        auto fut = task->get_future();
        post([task] { (*task)(); });
        return fut;
    }

    /// Stops taking work. wait: block until queued and running calls finish.
    /// cancel_futures: drop calls that have not started (their awaiters get CancelledError).
    void shutdown(bool wait = true, bool cancel_futures = false);
    /// The most threads the pool starts (the constructor's value, or the default it stood for).
    std::size_t max_workers() const noexcept { return max_workers_; }

private:
    friend struct detail::PoolAccess;
    /// Queues an item (takes one reference). Throws RuntimeError after shutdown.
    void enqueue(detail::WorkItem* item);
    /// Removes a queued, not started item; true if it was removed (its reference is dropped).
    bool try_remove(detail::WorkItem* item) noexcept;
    /// Queues a plain function.
    void post(std::function<void()> f);
    void worker_main();
    void spawn_if_needed();
    bool should_notify() const noexcept;

    std::size_t max_workers_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<detail::WorkItem*> queue_;
    std::vector<std::thread> threads_;
    /// Python's _idle_semaphore: one permit each time a worker finds the
    /// queue empty, one taken by each enqueue that finds a permit.
    std::size_t idle_permits_ = 0;
    // Who may be woken (all under mu_): workers blocked on cv_, the part of
    // them already notified, and workers looking at the queue before they
    // block. A worker is notified only when no one is looking and one is
    // blocked that was not notified yet.
    std::size_t sleeping_ = 0;
    std::size_t notified_ = 0;
    std::size_t searching_ = 0;
    /// queue_.size(), readable without mu_ by a searching worker.
    std::atomic<std::size_t> queued_{0};
    bool shutdown_ = false;
};

namespace detail {

/// How the library hands work items to a pool (not API).
struct PoolAccess {
    static void enqueue(ThreadPoolExecutor& pool, WorkItem* item) { pool.enqueue(item); }
    static bool try_remove(ThreadPoolExecutor& pool, WorkItem* item) noexcept { return pool.try_remove(item); }
};

/// Awaits a call on a pool (the body of to_thread and run_in_executor).
template <class R>
class ExecutorAwaiter final : public Suspension {
public:
    ExecutorAwaiter(ThreadPoolExecutor& pool, std::function<R()> f) : pool_(pool), item_(new CallItem<R>(std::move(f))) {}
    ExecutorAwaiter(const ExecutorAwaiter&) = delete;
    ~ExecutorAwaiter() {
        if (item_) {
            item_->waiter = nullptr;  // abandoned (frame destroyed while waiting)
            item_->release();
        }
    }
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        TaskCore* task = h.promise().owner();
        item_->loop = running_impl_checked();
        item_->waiter = task;
        item_->add_ref();  // the pool's reference
        try {
            PoolAccess::enqueue(pool_, item_);
        } catch (...) {
            item_->release();
            item_->waiter = nullptr;
            throw;
        }
        task->suspend_on(this, h);
        task->deliver_pending_cancel();
        return true;
    }
    bool request_cancel() noexcept override {
        if (item_->delivered) return false;  // result already here
        TaskCore* task = item_->waiter;
        PoolAccess::try_remove(pool_, item_);  // not started: never runs
        item_->waiter = nullptr;  // running: abandon, the worker's result is dropped
        cancelled_ = true;
        task->wake();
        return true;
    }
    value_or_monostate_t<R> await_resume() {
        if (cancelled_) throw CancelledError();
        return static_cast<CallItem<R>*>(item_)->take();
    }

private:
    static LoopImpl* running_impl_checked();
    ThreadPoolExecutor& pool_;
    WorkItem* item_;
    bool cancelled_ = false;
};

template <class R>
LoopImpl* ExecutorAwaiter<R>::running_impl_checked() {
    return &LoopAccess::impl(get_running_loop());
}

/// The call a worker makes: f(args...) in a copy of the caller's context
/// (contextvars; asyncio.to_thread does the same with copy_context().run).
template <class F, class... Args>
auto bind_call(F f, Args... args) {
    using R = std::invoke_result_t<F, Args...>;
    return std::function<R()>([context = ContextRef::capture(), f = std::move(f), ... a = std::move(args)]() mutable -> R {
        ContextScope in_context(context.slot());
        return std::invoke(f, std::move(a)...);
    });
}

template <class R>
Task<R> run_on_pool(ThreadPoolExecutor* pool, std::function<R()> call) {
    ExecutorAwaiter<R> awaiter(pool ? *pool : get_running_loop().default_executor(), std::move(call));
    if constexpr (std::is_void_v<R>) {
        co_await awaiter;
    } else {
        co_return co_await awaiter;
    }
}

}  // namespace detail

/// Runs f(args...) on the loop's default thread pool and awaits its result
/// (asyncio.to_thread). f and args are copied into the call. Exceptions
/// thrown by f reach the awaiter.
template <class F, class... Args>
Task<std::invoke_result_t<F, Args...>> to_thread(F f, Args... args) {
    using R = std::invoke_result_t<F, Args...>;
    return detail::run_on_pool<R>(nullptr, detail::bind_call(std::move(f), std::move(args)...));
}

/// The body of EventLoop::run_in_executor (events.hpp).
template <class Executor, class F, class... Args>
auto detail::run_in_executor(EventLoop& loop, Executor executor, F f, Args... args) {
    using R = std::invoke_result_t<F, Args...>;
    if constexpr (std::is_same_v<Executor, std::nullptr_t>) {
        return loop.create_task(detail::run_on_pool<R>(nullptr, detail::bind_call(std::move(f), std::move(args)...)));
    } else if constexpr (std::is_convertible_v<Executor, ThreadPoolExecutor*>) {
        return loop.create_task(detail::run_on_pool<R>(executor, detail::bind_call(std::move(f), std::move(args)...)));
    } else {
        // Other executors (ProcessPoolExecutor) provide their own submit_async.
        return loop.create_task(executor->submit_async(std::move(f), std::move(args)...));
    }
}

}  // namespace aio
