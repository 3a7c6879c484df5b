// aio/as_completed.hpp — results in the order tasks finish (asyncio.as_completed).
//
//     auto results = aio::as_completed(std::move(tasks));
//     while (auto r = co_await results.next()) fmt::print("{}\n", *r);
//
// Lazy tasks are scheduled when as_completed() is called. A task's exception
// is thrown from next() at its turn; the generator can be resumed after that
// for the remaining results. A next() cancelled while it waits raises
// CancelledError and the iteration goes on from there (nothing is skipped).
// Destroying the generator early leaves the remaining tasks running (as
// asyncio does).
// Cancellation: see docs/cancellation.md.
#pragma once

#include <deque>
#include <vector>

#include "aio/async_generator.hpp"
#include "aio/gather.hpp"

namespace aio {

namespace detail {

/// Collects the indices of tasks in the order they finish.
class CompletionQueue final : public Suspension {
public:
    explicit CompletionQueue(std::vector<TaskCore*> tasks);
    CompletionQueue(const CompletionQueue&) = delete;
    ~CompletionQueue();

    /// Awaitable: the index of the next finished task.
    struct Next {
        CompletionQueue& q;
        bool await_ready() const noexcept { return !q.finished_.empty(); }
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) {
            q.task_ = h.promise().owner();
            q.task_->suspend_on(&q, h);
            q.task_->deliver_pending_cancel();
        }
        std::size_t await_resume() { return q.pop(); }
    };
    Next next() noexcept { return Next{*this}; }
    bool request_cancel() noexcept override;

private:
    struct Node : CompletionWaiter {
        CompletionQueue* owner = nullptr;
        TaskCore* task = nullptr;
        std::size_t index = 0;
    };
    static void on_done(CompletionWaiter* w, TaskCore&) noexcept;
    std::size_t pop();

    std::vector<Node> nodes_;
    std::deque<std::size_t> finished_;
    TaskCore* task_ = nullptr;
    bool cancelled_ = false;
};

/// Errors (a task's exception, a cancelled next()) are yielded as YieldError,
/// not thrown out of the body: next() raises them and the iteration goes on.
template <class T>
AsyncGenerator<value_or_monostate_t<T>> completed_in_order(std::vector<Task<T>> tasks) {
    CompletionQueue queue(cores_of(tasks));
    for (std::size_t left = tasks.size(); left > 0;) {
        std::exception_ptr error;
        std::optional<value_or_monostate_t<T>> value;
        try {
            std::size_t i = co_await queue.next();
            --left;
            value.emplace(result_of(tasks[i]));
        } catch (...) {
            error = std::current_exception();
        }
        if (error) {
            YieldError failure{std::move(error)};  // named: g++ 12 destroys a braced temporary in co_yield twice
            co_yield failure;
        } else {
            co_yield std::move(*value);
        }
    }
}

}  // namespace detail

/// Yields each task's result as soon as it finishes (asyncio.as_completed).
template <class T>
AsyncGenerator<detail::value_or_monostate_t<T>> as_completed(std::vector<Task<T>> tasks) {
    detail::schedule_all(tasks, "as_completed");
    return detail::completed_in_order<T>(std::move(tasks));
}

}  // namespace aio
