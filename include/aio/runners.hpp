// aio/runners.hpp — aio::run and aio::Runner (asyncio.run, asyncio.Runner).
//
//     int main() { aio::run(amain()); }
//
//     aio::Runner runner;                  // one loop for several runs
//     runner.run(connect());
//     runner.run(serve());
//
// run() makes a new event loop on this thread, runs `main` to completion,
// then cancels every task still pending and lets them finish (as asyncio.run
// does), shuts the default thread pool down and closes the loop. It returns
// main's result or rethrows its exception.
#pragma once

#include <memory>

#include "aio/contextvars.hpp"
#include "aio/task.hpp"
#include "aio/threads.hpp"

namespace aio {

namespace detail {
/// Cancels the loop's remaining tasks, runs them to completion (tasks that can
/// never finish are abandoned and reported in debug mode), and closes the loop.
void shutdown_loop(EventLoop& loop) noexcept;
void check_no_running_loop();
}  // namespace detail

/// asyncio.run(main). Throws RuntimeError when called from a running loop.
template <class T>
T run(Task<T> main, LoopOptions options = {}) {
    detail::check_no_running_loop();
    EventLoop loop(options);
    struct Shutdown {
        EventLoop& loop;
        ~Shutdown() { detail::shutdown_loop(loop); }
    } shutdown{loop};
    return loop.run_until_complete(std::move(main));
}

/// Runs several top-level tasks on one event loop (asyncio.Runner), made on
/// first use; close() — or the destructor — shuts it down as aio::run does:
/// cancels the tasks still pending and lets them finish, shuts the default
/// executor down, closes the loop. Tasks left pending by one run() go on in
/// the next. Every run() executes its task in the Runner's context (as
/// asyncio.Runner does): what a run sets with ContextVar::set, the next run
/// sees. Use a Runner on one thread. Not copyable or movable.
class Runner {
public:
    /// `options`: the loop's (debug, slow_callback_duration, eager_tasks).
    explicit Runner(LoopOptions options = {});
    /// close(); errors are swallowed.
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    /// Runs `task` (a lazy task is scheduled on the Runner's loop) to
    /// completion and returns its result or rethrows its exception
    /// (asyncio.Runner.run). Throws RuntimeError when called from a running
    /// event loop or after close().
    template <class T>
    T run(Task<T> task);
    /// The Runner's loop, made now if need be (asyncio.Runner.get_loop).
    /// Throws RuntimeError after close().
    EventLoop& get_loop();
    /// Shuts the loop down and closes it (see above); idempotent. Throws
    /// RuntimeError when called while the loop runs.
    void close();

private:
    void check_can_run();
    /// Keeps what the main task set in the Runner's context.
    void keep_context_of(const TaskInfo& task) noexcept;

    LoopOptions options_;
    std::unique_ptr<EventLoop> loop_;
    Context context_;
    bool closed_ = false;
};

template <class T>
T Runner::run(Task<T> task) {
    check_can_run();
    EventLoop& loop = get_loop();
    if (!task.valid()) throw InvalidStateError("Runner::run() of an empty Task handle");
    if (task.scheduled()) return loop.run_until_complete(std::move(task));
    task = context_.run([&] { return loop.create_task(std::move(task)); });
    struct KeepContext {
        Runner& runner;
        TaskInfo task;
        ~KeepContext() { runner.keep_context_of(task); }
    } keep{*this, TaskInfo(detail::TaskAccess::core(task))};
    return loop.run_until_complete(std::move(task));
}

}  // namespace aio
