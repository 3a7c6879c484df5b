// aio/threadsafe.hpp — submitting a coroutine to a loop from another thread
// (asyncio.run_coroutine_threadsafe, concurrent.futures.Future).
//
//     // on a plain thread, while `loop` runs on its own thread:
//     aio::ConcurrentFuture<int> f = aio::run_coroutine_threadsafe(compute(7), loop);
//     int v = f.result(2s);          // blocks this thread; TimeoutError after 2 s
//
//     // in a task on another loop (or the same one), without blocking it:
//     int w = co_await aio::wrap_future(aio::run_coroutine_threadsafe(compute(7), loop));
//
// The coroutine runs as a task on `loop`, in a copy of the submitting
// thread's context (contextvars), as in asyncio. The future is the other
// thread's view of that task: it blocks, polls, cancels and calls back from
// any thread. It must never be waited on from the loop's own thread (the
// loop could not run the task meanwhile): result()/exception() there throw
// RuntimeError instead of blocking forever. A task co_awaits it instead
// (directly, or through wrap_future): it is woken on its own loop when the
// future is done. For a stream of items between loops and threads, see
// aio/threadsafe_queue.hpp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "aio/detail/remote_wake.hpp"
#include "aio/exceptions.hpp"
#include "aio/task.hpp"

namespace aio {

namespace detail {

struct LoopLink;

/// The state a ConcurrentFuture shares with the task that completes it.
/// Everything but `task` is guarded by `mu`; `task` belongs to the loop's thread.
class ConcurrentState : public std::enable_shared_from_this<ConcurrentState> {
public:
    enum class Status : unsigned char { kPending, kFinished, kCancelled };

    explicit ConcurrentState(EventLoop& loop);
    ConcurrentState(const ConcurrentState&) = delete;
    virtual ~ConcurrentState();

    bool done() const;
    bool cancelled() const;
    /// concurrent.futures.Future.cancel: false once finished; otherwise the
    /// future is cancelled now and the task is asked to cancel on its loop.
    bool cancel();
    /// Blocks until done, or until `timeout` (TimeoutError). RuntimeError
    /// when called on the thread of the loop that must finish it.
    void wait(std::optional<std::chrono::nanoseconds> timeout);
    /// Settles the future (first call only) and runs the callbacks.
    void finish(Status status, std::exception_ptr error);
    void add_done_callback(std::function<void()> f);
    /// Parks `w` (taking one of its references) to be posted once the
    /// future is done: a task awaiting it on some loop. False, taking
    /// nothing, when the future is done already.
    bool add_waker(RemoteWaker* w);
    /// Runs `f` on the loop's thread soon; RuntimeError if the loop is closed.
    void post(std::function<void()> f);
    /// The task's exception (null if none); CancelledError if cancelled.
    std::exception_ptr exception_locked() const;

    mutable std::mutex mu;
    TaskCore* task = nullptr;  // the running task (loop thread only; null before and after)

protected:
    Status status_ = Status::kPending;
    std::exception_ptr error_;

private:
    std::condition_variable cv_;
    std::vector<std::function<void()>> callbacks_;
    RemoteWaker* wakers_ = nullptr;    // tasks awaiting the future (ConcurrentFuture::operator co_await)
    const EventLoop* loop_;            // compared, never used: the loop may be gone
    std::shared_ptr<LoopLink> link_;   // reaches the loop while it is open
};

template <class T>
class ConcurrentStateOf final : public ConcurrentState {
public:
    using ConcurrentState::ConcurrentState;
    void set_value(value_or_monostate_t<T> v) {
        {
            std::lock_guard lock(mu);
            if (status_ != Status::kPending) return;
            value_.emplace(std::move(v));
        }
        finish(Status::kFinished, nullptr);
    }
    value_or_monostate_t<T> take() {
        std::lock_guard lock(mu);
        if (std::exception_ptr e = exception_locked()) std::rethrow_exception(e);
        if constexpr (really_copyable<value_or_monostate_t<T>>::value) {
            return *value_;
        } else {
            if (!value_) throw InvalidStateError("the result of this future was already moved out (it cannot be copied)");
            auto v = std::move(*value_);
            value_.reset();
            return v;
        }
    }

private:
    std::optional<value_or_monostate_t<T>> value_;
};

/// Settles the future as cancelled if nothing else did first. A parameter of
/// run_for_future: it is destroyed with the frame whether or not the body
/// ever ran (a task cancelled before its first step never runs it; a task
/// given up at the loop's close is destroyed where it waits).
template <class T>
struct SettleAtLast {
    std::shared_ptr<ConcurrentStateOf<T>> state;
    explicit SettleAtLast(std::shared_ptr<ConcurrentStateOf<T>> s) noexcept : state(std::move(s)) {}
    SettleAtLast(SettleAtLast&&) noexcept = default;
    SettleAtLast(const SettleAtLast&) = delete;
    ~SettleAtLast() {
        if (!state) return;
        state->task = nullptr;
        state->finish(ConcurrentState::Status::kCancelled, nullptr);
    }
};

/// On the loop: the task that runs the submitted coroutine and settles the future.
template <class T>
Task<> run_for_future(Task<T> coro, SettleAtLast<T> settle) {
    ConcurrentStateOf<T>& state = *settle.state;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(coro);
            state.set_value({});
        } else {
            T v = co_await std::move(coro);
            state.set_value(std::move(v));
        }
    } catch (const CancelledError&) {
        state.finish(ConcurrentState::Status::kCancelled, nullptr);
    } catch (...) {
        state.finish(ConcurrentState::Status::kFinished, std::current_exception());
    }
}

/// The callback posted to the loop: starts the task, unless the future was
/// cancelled first. Destroyed without running (the loop closed first), it
/// cancels the future.
template <class T>
struct LaunchOnLoop {
    Task<T> coro;
    std::shared_ptr<ConcurrentStateOf<T>> state;
    LaunchOnLoop(Task<T> c, std::shared_ptr<ConcurrentStateOf<T>> s) : coro(std::move(c)), state(std::move(s)) {}
    LaunchOnLoop(const LaunchOnLoop&) = delete;
    ~LaunchOnLoop() {
        if (state) state->finish(ConcurrentState::Status::kCancelled, nullptr);
    }
    void launch() {
        auto s = std::move(state);
        if (s->cancelled()) return;  // cancelled before it started: never runs (asyncio)
        Task<> t = create_task(run_for_future<T>(std::move(coro), SettleAtLast<T>(s)));
        if (!t.done()) s->task = TaskAccess::core(t);  // an eager task may be done already
    }
};

}  // namespace detail

/// A result that another thread will produce (concurrent.futures.Future):
/// what run_coroutine_threadsafe returns. Copies share one state; every
/// member may be called from any thread.
template <class T = void>
class ConcurrentFuture {
public:
    /// An empty future (valid() false): every other member throws InvalidStateError.
    ConcurrentFuture() = default;
    /// For the library: the future of state `s` (run_coroutine_threadsafe makes these).
    explicit ConcurrentFuture(std::shared_ptr<detail::ConcurrentStateOf<T>> s) noexcept : s_(std::move(s)) {}

    /// True when the future has a state (it was made by run_coroutine_threadsafe, not default-constructed).
    bool valid() const noexcept { return static_cast<bool>(s_); }
    /// True once it has a result or an exception, or was cancelled.
    bool done() const { return state().done(); }
    /// True when the future was cancelled (Future.cancelled()): by cancel(), by the task's cancellation, or
    /// because the loop closed before the coroutine finished.
    bool cancelled() const { return state().cancelled(); }
    /// Cancels the future and asks the task to cancel on its loop (the task
    /// sees CancelledError at its current co_await). Returns false if the
    /// future is already finished, true if it is (now) cancelled.
    bool cancel() { return state().cancel(); }

    /// Blocks until done; returns the value or rethrows the task's exception;
    /// CancelledError if cancelled. A value that cannot be copied is moved out
    /// by the first call (later calls: InvalidStateError).
    detail::value_or_monostate_t<T> result() {
        state().wait(std::nullopt);
        return state().take();
    }
    /// As result(), waiting at most `timeout`: TimeoutError if not done by then
    /// (the task goes on running).
    template <class Rep, class Period>
    detail::value_or_monostate_t<T> result(std::chrono::duration<Rep, Period> timeout) {
        state().wait(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
        return state().take();
    }
    /// Blocks until done; the task's exception, or null if it succeeded;
    /// throws CancelledError if cancelled.
    std::exception_ptr exception() {
        state().wait(std::nullopt);
        std::lock_guard lock(state().mu);
        return state().exception_locked();
    }
    /// As exception(), waiting at most `timeout`: TimeoutError if not done by then (the task goes on
    /// running).
    template <class Rep, class Period>
    std::exception_ptr exception(std::chrono::duration<Rep, Period> timeout) {
        state().wait(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
        std::lock_guard lock(state().mu);
        return state().exception_locked();
    }
    /// Calls f() once the future is done: on the thread that settles it (the
    /// loop's thread, or the thread calling cancel()), or here at once if it
    /// is already done. An exception f throws is reported to stderr and
    /// otherwise ignored, as concurrent.futures does.
    void add_done_callback(std::function<void()> f) { state().add_done_callback(std::move(f)); }

    /// The awaitable operator co_await returns.
    struct Awaiter;
    /// Waits for the future in a task, on any loop (the future's own loop
    /// too), without blocking it: the task is woken on its own loop when the
    /// future is done, and the await returns the value or rethrows as
    /// result() does (CancelledError if the future was cancelled, which is
    /// also what a task gets when the future's loop closed before the
    /// coroutine finished). A value that cannot be copied is moved out by
    /// the first await (later ones: InvalidStateError).
    /// Cancelling the awaiting task cancels the future, and so the task on
    /// the other loop, and the await raises CancelledError at once, as
    /// asyncio's wrap_future (_chain_future) does. If the future already
    /// had its result, the result is returned and the cancellation stays
    /// pending until the task's next await (nothing is lost).
    /// Allocates one small waker per await that suspends. Throws
    /// InvalidStateError on an empty future.
    Awaiter operator co_await() const;

private:
    detail::ConcurrentStateOf<T>& state() const {
        if (!s_) throw InvalidStateError("an empty ConcurrentFuture");
        return *s_;
    }
    std::shared_ptr<detail::ConcurrentStateOf<T>> s_;
};

/// The awaitable of `co_await future` (see ConcurrentFuture::operator co_await); co_await it once.
template <class T>
struct ConcurrentFuture<T>::Awaiter final : detail::Suspension {
    std::shared_ptr<detail::ConcurrentStateOf<T>> s;  ///< The future's state (a reference of its own).
    /// The waker the future posts to the awaiting task's loop; while suspended, held by the awaiter and
    /// (until posted) by the state.
    detail::RemoteWaker* w = nullptr;

    /// An await of the future whose state is `state`.
    explicit Awaiter(std::shared_ptr<detail::ConcurrentStateOf<T>> state) noexcept : s(std::move(state)) {}
    Awaiter(const Awaiter&) = delete;
    ~Awaiter() { drop_waker(); }

    /// True (no suspension) when the future is already done.
    bool await_ready() const { return s->done(); }

    /// Parks a waker on the future and suspends the task until the future is done (resumes it at once if
    /// it got done meanwhile). A cancellation already requested of the task is acted on now (request_cancel).
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        detail::TaskCore* task = h.promise().owner();
        w = detail::RemoteWaker::make(task, 2);
        task->suspend_on(this, h);
        if (!s->add_waker(w)) {
            // Done meanwhile: resume at once with the result.
            drop_waker(2);  // ours, and the state's (never taken)
            task->wake();
            return;
        }
        task->deliver_pending_cancel();
    }

    /// The awaiting task's cancellation: cancels the future and wakes the task at once (true); false
    /// when the future already finished (its result comes, the cancellation waits for the next await).
    bool request_cancel() noexcept override {
        if (!w || !w->task) return false;  // woken already: the result comes
        if (!s->cancel()) return false;    // finished with a result: its wake comes, the cancel waits
        detail::TaskCore* task = w->task;
        w->task = nullptr;  // the wake the future posts finds nothing to do
        task->wake();
        return true;
    }

    /// The value, or rethrows as result() does (CancelledError when the future was cancelled).
    detail::value_or_monostate_t<T> await_resume() {
        drop_waker();
        return s->take();
    }

private:
    void drop_waker(int refs = 1) noexcept {
        if (!w) return;
        w->task = nullptr;
        w->release(refs);
        w = nullptr;
    }
};

template <class T>
typename ConcurrentFuture<T>::Awaiter ConcurrentFuture<T>::operator co_await() const {
    if (!s_) throw InvalidStateError("co_await on an empty ConcurrentFuture");
    return Awaiter(s_);
}

/// A task that awaits `future` on the running loop: asyncio.wrap_future,
/// which makes a concurrent.futures.Future awaitable by a task of another
/// loop (`await asyncio.wrap_future(fut)`). The task can be awaited,
/// gathered, given to create_task or wait_for like any other; cancelling it
/// cancels `future` (see ConcurrentFuture::operator co_await for the rest,
/// and what it throws). The task holds its own reference to the future's
/// state: `future` may be dropped at once. InvalidStateError (when awaited)
/// for an empty future.
template <class T>
Task<T> wrap_future(ConcurrentFuture<T> future) {
    if constexpr (std::is_void_v<T>) {
        co_await future;
    } else {
        T v = co_await future;
        co_return v;
    }
}

/// Submits `coro` to `loop`, which runs on another thread, and returns a
/// future for its result (asyncio.run_coroutine_threadsafe). Call it from any
/// thread; `loop` must outlive the call itself (not the future). The task is
/// created on the loop's thread, in a copy of the caller's context.
/// Throws RuntimeError if the loop is closed. If the loop closes before the
/// coroutine finishes (or starts), the future is cancelled.
template <class T>
ConcurrentFuture<T> run_coroutine_threadsafe(Task<T> coro, EventLoop& loop) {
    if (!coro.valid()) throw InvalidStateError("run_coroutine_threadsafe() of an empty Task handle");
    if (coro.scheduled())
        throw InvalidStateError("run_coroutine_threadsafe() takes a coroutine, not a task already scheduled");
    auto state = std::make_shared<detail::ConcurrentStateOf<T>>(loop);
    auto launch = std::make_shared<detail::LaunchOnLoop<T>>(std::move(coro), state);
    state->post([launch] { launch->launch(); });
    return ConcurrentFuture<T>(std::move(state));
}

}  // namespace aio
