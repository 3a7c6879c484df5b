// aio/wait.hpp — shield and wait (asyncio.shield, asyncio.wait).
// Cancellation: see docs/cancellation.md.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "aio/gather.hpp"

namespace aio {

namespace detail {

/// Waits for a scheduled task without passing a cancellation on to it.
class ShieldAwaiter final : public Suspension, public CompletionWaiter {
public:
    explicit ShieldAwaiter(TaskCore* inner) noexcept : inner_(inner) { notify = &ShieldAwaiter::on_done; }
    ShieldAwaiter(const ShieldAwaiter&) = delete;
    ~ShieldAwaiter() {
        if (registered_) inner_->remove_waiter(this);
    }
    bool await_ready() const noexcept { return inner_->done(); }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        task_ = h.promise().owner();
        inner_->add_waiter(this);
        registered_ = true;
        task_->suspend_on(this, h);
        task_->deliver_pending_cancel();
    }
    void await_resume() const {
        if (cancelled_) throw CancelledError();
    }
    // The awaiter stops waiting and gets CancelledError; the inner task runs on.
    bool request_cancel() noexcept override {
        inner_->remove_waiter(this);
        registered_ = false;
        cancelled_ = true;
        task_->wake();
        return true;
    }

private:
    static void on_done(CompletionWaiter* w, TaskCore&) noexcept {
        auto* self = static_cast<ShieldAwaiter*>(w);
        self->registered_ = false;
        self->task_->wake();
    }
    TaskCore* inner_;
    TaskCore* task_ = nullptr;
    bool registered_ = false;
    bool cancelled_ = false;
};

template <class T>
Task<T> shielded(Task<T> inner) {
    ShieldAwaiter waiting(detail::TaskAccess::core(inner));
    co_await waiting;
    if constexpr (std::is_void_v<T>) {
        result_of(inner);  // rethrows the task's exception
    } else {
        co_return result_of(inner);
    }
}

}  // namespace detail

/// Awaits `task` but protects it from cancellation (asyncio.shield): if the
/// awaiting task is cancelled it gets CancelledError at once, while `task`
/// keeps running. A lazy task is scheduled first.
template <class T>
Task<T> shield(Task<T>& task) {
    return detail::shielded(detail::schedule_for_gather(task));
}
template <class T>
Task<T> shield(Task<T>&& task) {
    return detail::shielded(detail::schedule_for_gather(std::move(task)));
}

/// When aio::wait returns (asyncio's return_when).
enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

/// The (done, pending) split that aio::wait returns.
template <class T>
struct WaitResult {
    std::vector<Task<T>> done;     ///< The tasks that are done, in the order they were given.
    std::vector<Task<T>> pending;  ///< The tasks still running (aio::wait does not cancel them).
};

namespace detail {
/// Task handles are move-only, so a WaitResult is too (its vectors claim otherwise).
template <class T>
struct really_copyable<WaitResult<T>> : std::false_type {};
}  // namespace detail

namespace detail {

/// Waits until a condition over a set of tasks holds, or a deadline passes.
class WaitAwaiter final : public Suspension, public TimerNode {
public:
    WaitAwaiter(std::vector<TaskCore*> tasks, ReturnWhen when, std::optional<Clock::duration> timeout);
    WaitAwaiter(const WaitAwaiter&) = delete;
    ~WaitAwaiter();
    bool await_ready() const noexcept { return satisfied(); }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        suspend(h.promise().owner(), h);
    }
    void await_resume();
    bool request_cancel() noexcept override;

private:
    struct Node : CompletionWaiter {
        WaitAwaiter* owner = nullptr;
        TaskCore* task = nullptr;
    };
    bool satisfied() const noexcept;
    void count(const TaskCore& t) noexcept;
    void suspend(TaskCore* task, std::coroutine_handle<> h);
    void finish() noexcept;
    static void on_done(CompletionWaiter* w, TaskCore& t) noexcept;
    static void on_timeout(TimerNode* n) noexcept;

    std::vector<Node> nodes_;
    std::vector<TaskCore*> tasks_;
    ReturnWhen when_;
    std::optional<Clock::duration> timeout_;
    TaskCore* task_ = nullptr;
    std::size_t done_ = 0;
    bool failed_ = false;
    bool woken_ = false;
    bool cancelled_ = false;
};

template <class T>
Task<WaitResult<T>> wait_impl(std::vector<Task<T>> tasks, ReturnWhen when, std::optional<Clock::duration> timeout) {
    {
        WaitAwaiter waiting(cores_of(tasks), when, timeout);
        co_await waiting;
    }
    WaitResult<T> out;
    for (auto& t : tasks) (t.done() ? out.done : out.pending).push_back(std::move(t));
    co_return out;
}

}  // namespace detail

/// Waits for tasks (asyncio.wait) until `return_when` holds or `timeout`
/// passes; nothing is cancelled. Lazy tasks are scheduled. Returns the handles
/// split into done and pending (in their original order). Throws ValueError
/// for an empty set.
template <class T>
Task<WaitResult<T>> wait(std::vector<Task<T>> tasks, ReturnWhen return_when = ALL_COMPLETED,
                         std::optional<Clock::duration> timeout = std::nullopt) {
    if (tasks.empty()) throw ValueError("the set of tasks passed to wait() is empty");
    detail::schedule_all(tasks, "wait");
    return detail::wait_impl<T>(std::move(tasks), return_when, timeout);
}

}  // namespace aio
