// aio/timeouts.hpp — deadlines (asyncio: timeouts.py, wait_for).
//
// Python's `async with asyncio.timeout(2): await work()` becomes
//
//     co_await aio::timeout(2s, work());            // the common form
//
//     aio::Timeout cm = aio::timeout(2s);           // when the deadline must move
//     co_await cm.run(work());                      // work() may call cm.reschedule(...)
//
// The deadline cancels the *current task* (the one awaiting run()); when the
// resulting CancelledError leaves the guarded work, it becomes TimeoutError
// — unless the task was also cancelled from elsewhere, in which case the
// CancelledError goes on (asyncio's cancelling()/uncancel() accounting).
// Both forms keep the guarded work inside the current task: no new task is
// made. Delays are scaled by AIO_TIME_SCALE.
// Cancellation: see docs/cancellation.md.
#pragma once

#include <chrono>
#include <optional>

#include "aio/task.hpp"

namespace aio {

/// A deadline for a block of awaits (asyncio.Timeout). Belongs to one task.
/// The object must outlive the run() it guards (keep it as a named local).
class Timeout {
public:
    /// A deadline at `when` on the loop's clock; nullopt: none (yet).
    explicit Timeout(std::optional<Clock::time_point> when) noexcept : when_(when) {}
    Timeout(const Timeout&) = delete;
    Timeout& operator=(const Timeout&) = delete;
    /// A new, not yet entered Timeout with o's deadline (how timeout() returns one); move only a Timeout
    /// whose run() has not started: nothing else of o is taken.
    Timeout(Timeout&& o) noexcept : when_(o.when_) {}
    ~Timeout() { disarm(); }

    /// The deadline (nullopt: none).
    std::optional<Clock::time_point> when() const noexcept { return when_; }
    /// Moves the deadline (nullopt removes it). Throws RuntimeError once expired.
    void reschedule(std::optional<Clock::time_point> when);
    /// True when the deadline fired and turned the work's cancellation into TimeoutError.
    bool expired() const noexcept { return state_ == State::expired || state_ == State::expiring; }

    /// Runs `body` inside the current task under this deadline.
    /// Throws TimeoutError when the deadline passes first; RuntimeError if
    /// used twice or outside a task.
    template <class T>
    Task<T> run(Task<T> body);

private:
    enum class State { created, entered, expiring, expired, exited };
    struct Timer : detail::TimerNode {
        Timeout* owner = nullptr;
    };
    void enter();
    /// Leaves the block: converts a CancelledError caused by the deadline into TimeoutError.
    void exit(std::exception_ptr error);
    void arm();
    void disarm() noexcept;
    static void on_fire(detail::TimerNode* n) noexcept;

    std::optional<Clock::time_point> when_;
    State state_ = State::created;
    detail::TaskCore* task_ = nullptr;
    int cancelling_ = 0;
    Timer timer_;
};

template <class T>
Task<T> Timeout::run(Task<T> body) {
    enter();
    std::exception_ptr error;
    if constexpr (std::is_void_v<T>) {
        try {
            co_await std::move(body);
        } catch (...) {
            error = std::current_exception();
        }
        exit(error);
    } else {
        std::optional<T> value;
        try {
            value.emplace(co_await std::move(body));
        } catch (...) {
            error = std::current_exception();
        }
        exit(error);
        co_return std::move(*value);
    }
}

namespace detail {
/// `delay` (scaled by AIO_TIME_SCALE) after now on the running loop,
/// saturated. Throws RuntimeError outside a running loop.
template <class Rep, class Period>
Clock::time_point loop_deadline(std::chrono::duration<Rep, Period> delay) {
    return add_saturating(Clock::now(), get_running_loop().scaled(to_clock_duration(delay)));
}
}  // namespace detail

/// A deadline `delay` from now (asyncio.timeout(delay)); use with run().
template <class Rep, class Period>
Timeout timeout(std::chrono::duration<Rep, Period> delay) {
    return Timeout(detail::loop_deadline(delay));
}
/// No deadline yet (asyncio.timeout(None)); reschedule() may set one.
inline Timeout timeout(std::nullopt_t) { return Timeout(std::nullopt); }
/// A deadline at `when` (asyncio.timeout_at).
inline Timeout timeout_at(std::optional<Clock::time_point> when) { return Timeout(when); }

namespace detail {
template <class T>
Task<T> guarded(std::optional<Clock::time_point> when, Task<T> body) {
    Timeout deadline(when);
    co_return co_await deadline.run(std::move(body));
}
/// guarded() with the deadline `delay` after the moment it starts to run
/// (on the loop that runs it: no loop is needed to make it).
template <class T>
Task<T> guarded_after(Clock::duration delay, Task<T> body) {
    Timeout deadline(loop_deadline(delay));
    co_return co_await deadline.run(std::move(body));
}
}  // namespace detail

/// Runs `body` (lazy: inside the current task; scheduled: awaited) with a
/// deadline `delay` from now; TimeoutError when it passes.
template <class T, class Rep, class Period>
Task<T> timeout(std::chrono::duration<Rep, Period> delay, Task<T> body) {
    return detail::guarded(detail::loop_deadline(delay), std::move(body));
}
/// Runs `body` with a deadline at `when`.
template <class T>
Task<T> timeout_at(Clock::time_point when, Task<T> body) {
    return detail::guarded(std::optional<Clock::time_point>(when), std::move(body));
}

/// Waits for `task` with a deadline (asyncio.wait_for): on expiry the work is
/// cancelled, awaited until it has finished, and TimeoutError is raised.
/// A lazy task runs inside the current task; a scheduled one is cancelled.
/// As asyncio's wait_for is a coroutine, the deadline counts from when the
/// returned task starts to run, and no running loop is needed to make it
/// (`aio::run(aio::wait_for(main(), 5s))`).
template <class T, class Rep, class Period>
Task<T> wait_for(Task<T> task, std::chrono::duration<Rep, Period> delay) {
    return detail::guarded_after(detail::to_clock_duration(delay), std::move(task));
}
/// wait_for without a deadline (asyncio: timeout=None).
template <class T>
Task<T> wait_for(Task<T> task, std::nullopt_t) {
    return detail::guarded(std::nullopt, std::move(task));
}

}  // namespace aio
