// aio/events.hpp — the event loop (asyncio: events.py, base_events.py).
//
// One loop per thread. The loop owns the ready queue (tasks to resume and
// callbacks to run), the timer heap, and an I/O backend (epoll, or io_uring)
// behind one completion-based interface: an operation is submitted, and the
// loop later delivers its result. Everything that touches a loop's tasks,
// primitives or handles happens on the loop's thread; other threads talk to it
// through call_soon_threadsafe() only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "aio/detail/task_core.hpp"

namespace aio {

template <class T>
class Task;
class ThreadPoolExecutor;

namespace detail {
class IoBackend;
class LoopImpl;
struct LoopAccess;
// The bodies of EventLoop's member templates, defined with Task (task.hpp)
// and the thread pool (threads.hpp), which this header cannot include.
template <class T>
void schedule_named(EventLoop& loop, Task<T>& task, std::string name, TaskCore::Start how);
template <class T>
T run_until_complete(EventLoop& loop, Task<T>& task);
template <class Executor, class F, class... Args>
auto run_in_executor(EventLoop& loop, Executor executor, F f, Args... args);
struct CallbackNode;
}  // namespace detail

/// A scheduled callback (asyncio.Handle). Copyable; cancel() is idempotent.
class Handle {
public:
    /// A handle of no callback: cancel() does nothing, cancelled() is false.
    Handle() = default;
    /// The handle of a scheduled callback (made by the loop's call_soon / call_later / call_at).
    explicit Handle(std::shared_ptr<detail::CallbackNode> node) : node_(std::move(node)) {}
    /// Prevents the callback from running, if it has not run yet.
    void cancel();
    /// True once cancel() was called on this handle or a copy (Handle.cancelled()).
    bool cancelled() const;

protected:
    /// The scheduled callback, shared with the loop and with every copy of the handle.
    std::shared_ptr<detail::CallbackNode> node_;
};

/// A callback scheduled for a point in time (asyncio.TimerHandle).
class TimerHandle : public Handle {
public:
    /// Handle's constructors (an empty handle, or one of a scheduled callback).
    using Handle::Handle;
    /// When the callback is due, on the loop's clock.
    Clock::time_point when() const;
};

/// What the loop hands its exception handler (asyncio's context dict).
struct ExceptionContext {
    std::string message;           ///< What happened (always set; context["message"]).
    std::exception_ptr exception;  ///< The exception involved, if any (may be null; context["exception"]).
    std::string task_name;         ///< The name of the task involved (empty when no task is).
};

/// Options of a loop (and of aio::run).
struct LoopOptions {
    /// asyncio's debug mode: warn about slow callbacks (> slow_callback_duration),
    /// lazy tasks destroyed without being awaited, and exceptions nobody retrieved.
    /// Also on when the environment has AIO_DEBUG=1.
    bool debug = false;
    /// In debug mode, a callback or task step running at least this long is reported through
    /// call_exception_handler() (asyncio's loop.slow_callback_duration, 100 ms as there).
    std::chrono::milliseconds slow_callback_duration{100};
    /// Every task created on the loop starts eagerly, as with asyncio's
    /// `loop.set_task_factory(asyncio.eager_task_factory)`: see
    /// aio::create_eager_task (aio/task.hpp).
    bool eager_tasks = false;
    /// How long the loop, about to sleep until an I/O operation completes,
    /// first watches for the completion without sleeping (on a machine with
    /// two or more CPUs; io_uring's ring is read in memory, epoll's
    /// descriptor is polled). A loop that trades with a peer on
    /// another core (a client's next response, a server's next request)
    /// then takes it at once, and the peer's kernel need not wake it, which
    /// costs the peer more than the watch costs the loop (R6: one nginx
    /// worker answered 15% more requests a second). The watch ends as soon
    /// as anything arrives, and gives the CPU to any other thread that wants
    /// it between its looks (sched_yield). One that finds nothing makes the
    /// next ones rarer: after n fruitless watches in a row the loop sleeps at
    /// once for its next 2^n waits (up to 1024), so an idle or slow-paced
    /// loop spends next to no CPU on it. Unset: AIO_LOOP_SPIN_US from the
    /// environment (whole microseconds), else 20 us; at most 1 ms. Zero or
    /// less: never.
    std::optional<std::chrono::microseconds> idle_spin = std::nullopt;
};

/// The event loop (asyncio.AbstractEventLoop). Not copyable or movable.
class EventLoop {
public:
    /// A callback the loop runs (call_soon, call_later, signal handlers).
    using Callback = std::function<void()>;
    /// A handler of errors no one else could receive (loop.set_exception_handler's handler(loop, context)).
    using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;

    /// Makes a loop for the calling thread (not yet running). Reads AIO_DEBUG,
    /// AIO_IO_BACKEND (epoll | uring | threads), AIO_LOOP_SPIN_US (see
    /// LoopOptions::idle_spin) and AIO_TIME_SCALE (a factor applied to every
    /// delay: a test and demo aid, 1 by default).
    explicit EventLoop(LoopOptions options = {});
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // --- scheduling callbacks ---
    /// Runs f on the next iteration (asyncio: call_soon). Throws RuntimeError if closed.
    Handle call_soon(Callback f);
    /// Runs f after `delay` (asyncio: call_later).
    template <class Rep, class Period>
    TimerHandle call_later(std::chrono::duration<Rep, Period> delay, Callback f) {
        return call_at(detail::add_saturating(time(), scaled(detail::to_clock_duration(delay))), std::move(f));
    }
    /// Runs f at `when` on the loop's clock (asyncio: call_at).
    TimerHandle call_at(Clock::time_point when, Callback f);
    /// Thread-safe call_soon: the only way for another thread to reach this loop.
    /// Wakes the loop if it sleeps (eventfd). Throws RuntimeError if closed.
    Handle call_soon_threadsafe(Callback f);
    /// The loop's monotonic clock (asyncio: loop.time(), as a time_point).
    Clock::time_point time() const { return Clock::now(); }

    // --- running ---
    /// Runs until stop() (asyncio: run_forever). Throws RuntimeError if already running or closed.
    void run_forever();
    /// Schedules `task` (if lazy), runs until it is done, returns its result or rethrows.
    template <class T>
    T run_until_complete(Task<T> task) {
        return detail::run_until_complete(*this, task);
    }
    /// Makes run_forever() return after the current iteration.
    void stop();
    /// Closes the loop: runs nothing more, shuts the default executor down.
    /// Throws RuntimeError if running. Idempotent.
    void close();
    /// True while run_forever() or run_until_complete() is running (loop.is_running()).
    bool is_running() const;
    /// True once close() was called (loop.is_closed()).
    bool is_closed() const;

    // --- tasks ---
    /// asyncio: loop.create_task. Schedules `task` on this loop.
    template <class T>
    Task<T> create_task(Task<T> task, std::string name = {}) {
        detail::schedule_named(*this, task, std::move(name), detail::TaskCore::Start::kLoopDefault);
        return task;
    }

    // --- signals (signalfd) ---
    /// Calls f on the loop whenever `sig` arrives (asyncio: add_signal_handler).
    /// The signal is blocked for normal delivery while the handler is installed.
    /// Throws ValueError for SIGKILL/SIGSTOP or an invalid number.
    void add_signal_handler(int sig, Callback f);
    /// Removes the handler and restores the previous disposition; false if none.
    bool remove_signal_handler(int sig);

    // --- errors and debug ---
    /// Installs the handler call_exception_handler() calls (loop.set_exception_handler); an empty
    /// function restores the default. A handler that throws falls back to the default one.
    void set_exception_handler(ExceptionHandler handler);
    /// Calls the installed handler, or the default one (which logs to stderr).
    void call_exception_handler(const ExceptionContext& context);
    /// Writes the context to stderr: the message, the task's name and the exception
    /// (loop.default_exception_handler).
    void default_exception_handler(const ExceptionContext& context);
    /// True in debug mode (loop.get_debug()); see LoopOptions::debug.
    bool get_debug() const;
    /// Turns debug mode on or off (loop.set_debug()); see LoopOptions::debug.
    void set_debug(bool enabled);

    // --- executors ---
    /// Runs f(args...) on `executor` (nullptr: the loop's default thread pool,
    /// or a ThreadPoolExecutor* / ProcessPoolExecutor*) and returns a scheduled
    /// Task with the result (asyncio: loop.run_in_executor). The call is
    /// scheduled at once. Needs aio/threads.hpp (or aio/process_pool.hpp).
    template <class Executor, class F, class... Args>
    auto run_in_executor(Executor executor, F f, Args... args) {
        return detail::run_in_executor(*this, executor, std::move(f), std::move(args)...);
    }
    /// The default pool, created on first use (min(32, cores + 4) threads, as asyncio).
    ThreadPoolExecutor& default_executor();

    /// `d` times the loop's AIO_TIME_SCALE (see the constructor): every delay
    /// aio waits for (sleep, call_later, timeouts) goes through it.
    Clock::duration scaled(Clock::duration d) const noexcept;

private:
    friend struct detail::LoopAccess;
    std::unique_ptr<detail::LoopImpl> impl_;
};

namespace detail {
/// How the library reaches a loop's machinery (not API).
struct LoopAccess {
    static LoopImpl& impl(EventLoop& loop) noexcept { return *loop.impl_; }
};
}  // namespace detail

/// The loop running on this thread (asyncio.get_running_loop).
/// Throws RuntimeError when there is none.
EventLoop& get_running_loop();
/// The running loop, or nullptr.
EventLoop* running_loop_or_null() noexcept;

}  // namespace aio
