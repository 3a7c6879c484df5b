// aio/async_generator.hpp — async generators (Python's `async def` with `yield`).
//
//     aio::AsyncGenerator<int> ticks(int n) {
//         for (int i = 0; i < n; ++i) { co_await aio::sleep(10ms); co_yield i; }
//     }
//     auto g = ticks(3);
//     while (auto v = co_await g.next()) use(*v);        // async for v in g
//     co_await aio::for_each(ticks(3), [](int v) { ... });
//
// The body may co_await; it runs inside the task that calls next(), so a
// cancellation of that task reaches the body's current co_await. next()
// returns std::nullopt when the body has finished; an exception escaping the
// body is thrown from next(). Destroying the generator destroys its frame
// (destructors of its locals run), like aclose().
#pragma once

#include <coroutine>
#include <optional>
#include <utility>

#include "aio/task.hpp"

namespace aio {

namespace detail {
/// `co_yield detail::YieldError{e}` in an AsyncGenerator body: that next()
/// throws e, and the body stays suspended there, so the iteration can go on
/// (as_completed: a task's exception, a cancelled wait).
struct YieldError {
    std::exception_ptr error;
};
}  // namespace detail

/// An async generator yielding T (Python's async generator: `async def` with `yield`).
/// A coroutine returning AsyncGenerator<T> may co_await and co_yield values of T; it starts suspended
/// and runs, one step at a time, inside the task that awaits next(). Move-only; owns the coroutine
/// frame and destroys it (running its locals' destructors) when destroyed, like Python's aclose().
template <class T>
class [[nodiscard]] AsyncGenerator {
public:
    class promise_type : public detail::PromiseBase {
    public:
        AsyncGenerator get_return_object() noexcept {
            return AsyncGenerator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        struct YieldAwaiter {
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                auto& p = h.promise();
                return detail::transfer_to(p.owner(), p.resume_point);  // back to the consumer
            }
            void await_resume() const noexcept {}
        };
        YieldAwaiter yield_value(T v) {
            current.emplace(std::move(v));
            return {};
        }
        YieldAwaiter yield_value(detail::YieldError e) noexcept {
            yielded_error = std::move(e.error);
            return {};
        }
        void return_void() noexcept {}
        std::optional<T> current;
        std::exception_ptr yielded_error;  // thrown by this next(); the body goes on afterwards
        bool running = false;  // a next() is under way (Python's ag_running)
    };
    /// The coroutine handle type of the generator's body.
    using handle_type = std::coroutine_handle<promise_type>;

    /// Takes over o's coroutine frame; o is left empty (its next() throws InvalidStateError).
    AsyncGenerator(AsyncGenerator&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    /// Destroys this generator's frame, if any, then takes over o's; o is left empty.
    AsyncGenerator& operator=(AsyncGenerator&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    ~AsyncGenerator() {
        if (h_) h_.destroy();
    }

    /// The awaitable returned by next() (Python's `anext(gen)`); co_await it once.
    struct NextAwaiter {
        handle_type h;  ///< The generator's body (null for an empty, moved-from generator).
        /// True when the body has already finished (then nothing runs). Throws InvalidStateError on an
        /// empty generator and RuntimeError when another next() is still suspended in the body.
        bool await_ready() const {
            if (!h) throw InvalidStateError("next() on an empty AsyncGenerator");
            // Python: a second anext() while the first is suspended in the body.
            if (h.promise().running) throw RuntimeError("asynchronous generator is already running");
            return h.done();
        }
        /// Runs the body in the awaiting task until its next co_yield, co_return or exception.
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> consumer) noexcept {
            auto& p = h.promise();
            p.set_owner(consumer.promise().owner());
            p.resume_point = consumer;  // where co_yield returns to
            p.current.reset();
            p.running = true;
            return detail::transfer_to(p.owner(), h);
        }
        /// The value yielded, or std::nullopt once the body has finished; rethrows an exception that
        /// escaped the body (or one it yielded as an error).
        std::optional<T> await_resume() {
            auto& p = h.promise();
            p.running = false;
            if (h.done()) {
                if (p.exception) std::rethrow_exception(std::exchange(p.exception, nullptr));
                return std::nullopt;
            }
            if (p.yielded_error) std::rethrow_exception(std::exchange(p.yielded_error, nullptr));
            return std::exchange(p.current, std::nullopt);
        }
    };
    /// Runs the body to its next co_yield: the value, or nullopt once finished.
    /// Throws RuntimeError ("asynchronous generator is already running") when
    /// another task's next() on the same generator has not returned yet.
    NextAwaiter next() noexcept { return NextAwaiter{h_}; }
    /// True once the body has finished.
    bool done() const noexcept { return !h_ || h_.done(); }

private:
    explicit AsyncGenerator(handle_type h) noexcept : h_(h) {}
    handle_type h_{};
};

/// Calls f(value) for every value of `gen` (Python's `async for`). If f returns
/// an awaitable Task, it is awaited before the next value is taken.
template <class T, class F>
Task<> for_each(AsyncGenerator<T> gen, F f) {
    while (true) {
        std::optional<T> v = co_await gen.next();
        if (!v) break;
        if constexpr (detail::is_task_v<std::invoke_result_t<F&, T&>>) {
            auto step = f(*v);
            co_await std::move(step);
        } else {
            f(*v);
        }
    }
}

}  // namespace aio
