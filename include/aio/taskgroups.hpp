// aio/taskgroups.hpp — structured concurrency (asyncio.TaskGroup).
//
//     aio::TaskGroup tg;                    // async with asyncio.TaskGroup() as tg:
//     auto a = tg.create_task(fetch(1));    //     a = tg.create_task(fetch(1))
//     auto b = tg.create_task(fetch(2));
//     co_await tg.wait();                   // (the end of the `async with` block)
//     use(a.result(), b.result());
//
// wait() returns when every task of the group is done. The first task that
// fails (with anything but CancelledError) makes the group cancel all the
// others; wait() then throws aio::ExceptionGroup with every error, in order.
// Cancelling the task that awaits wait() cancels the group's tasks, waits for
// them, and rethrows CancelledError (or the ExceptionGroup if tasks failed).
// A group destroyed before wait() completes cancels its unfinished tasks.
// Unlike asyncio, a failing child does not cancel the parent task while the
// parent is still running the block's body (see docs/differences.md).
// Cancellation: see docs/cancellation.md.
#pragma once

#include <string>
#include <vector>

#include "aio/task.hpp"

namespace aio {

/// A group of tasks that finish together (asyncio.TaskGroup); see the top of this header. Belongs to
/// the loop and task that use it; not copyable or movable. Keep it as a local of the task that
/// awaits wait().
class TaskGroup {
public:
    /// An empty group, accepting tasks.
    TaskGroup() = default;
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;
    ~TaskGroup();

    /// Schedules `task` in the group; its scheduled handle. Throws RuntimeError
    /// once the group is shutting down (a task failed) or finished.
    template <class T>
    Task<T> create_task(Task<T> task, std::string name = {}) {
        check_accepting();
        Task<T> t = aio::create_task(std::move(task), std::move(name));
        adopt(detail::TaskAccess::core(t));
        return t;
    }

    /// Waits for every task (the end of `async with`). Throws ExceptionGroup
    /// when tasks failed, CancelledError when the waiter was cancelled.
    Task<> wait();

    /// Number of tasks in the group not yet done.
    std::size_t size() const noexcept { return pending_; }

private:
    struct Member : detail::CompletionWaiter {
        TaskGroup* group = nullptr;
        detail::TaskCore* task = nullptr;  // counted reference while not done
    };
    class WaitAll;
    void check_accepting() const;
    void adopt(detail::TaskCore* core);
    void abort() noexcept;
    static void on_done(detail::CompletionWaiter* w, detail::TaskCore& t) noexcept;

    std::vector<std::unique_ptr<Member>> members_;
    std::vector<std::exception_ptr> errors_;
    std::size_t pending_ = 0;
    detail::TaskCore* waiter_ = nullptr;  // task inside wait(), if any
    detail::Suspension* waiting_ = nullptr;
    Handle deferred_abort_;
    bool abort_scheduled_ = false;
    bool aborting_ = false;
    bool finished_ = false;
};

}  // namespace aio
