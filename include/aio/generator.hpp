// aio/generator.hpp — Python generators, including generators used as coroutines.
//
//     aio::Generator<int, int> averager() {          // yields int, receives int
//         double total = 0; int n = 0; int avg = 0;
//         while (true) {
//             std::optional<int> x = co_yield avg;   // nullopt when advanced by next()
//             if (x) { total += *x; avg = int(total / ++n); }
//         }
//     }
//     auto g = averager(); g.next(); g.send(10); g.send(30) /* == 20 */; g.close();
//
// Generator<Yield, Send = void, Return = void>:
// - next() runs to the next co_yield and returns the yielded value (Python's next(g));
// - send(v) resumes with v as the value of the pending co_yield (Python's g.send(v));
//   sending to a just-started generator throws TypeError, as Python does;
// - throw_(e) raises e at the pending co_yield (Python's g.throw);
// - close() ends it: its frame is destroyed, so destructors of its locals run
//   (the RAII form of Python's GeneratorExit / finally);
// - next/send/throw_ on a finished or closed generator throw StopIteration;
//   return_value() gives what the body co_returned (StopIteration.value).
// A Generator<T> is also a range: `for (int v : gen()) ...`.
// Synchronous: a generator body cannot co_await (see AsyncGenerator).
#pragma once

#include <coroutine>
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "aio/detail/frame_allocator.hpp"
#include "aio/exceptions.hpp"

namespace aio {

/// Python's None, for generators that yield nothing: `co_yield aio::None;`.
struct NoneType {
    friend constexpr bool operator==(NoneType, NoneType) noexcept { return true; }
};
inline constexpr NoneType None{};

namespace detail {

template <class Send>
struct SendSlot {
    std::optional<Send> value;
};
template <>
struct SendSlot<void> {};

template <class Return>
struct ReturnSlot {
    std::optional<Return> value;
    template <class U>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
};
template <>
struct ReturnSlot<void> {
    void return_void() noexcept {}
};

}  // namespace detail

/// A synchronous generator (Python's generator function): a coroutine returning Generator<Yield, Send,
/// Return> co_yields Yield values, receives Send values from send() as the result of co_yield (void:
/// none) and may co_return a Return (void: none). It starts suspended; see the top of this header for
/// next / send / throw_ / close. Move-only; owns the coroutine frame and destroys it when destroyed.
template <class Yield, class Send = void, class Return = void>
class [[nodiscard]] Generator {
public:
    struct promise_type : detail::SendSlot<Send>, detail::ReturnSlot<Return> {
        std::optional<Yield> current;
        std::exception_ptr thrown_in;   // set by throw_(), raised at the co_yield
        std::exception_ptr exception;  // escaped from the body

        static void* operator new(std::size_t n) { return detail::frame_alloc(n); }
        static void operator delete(void* p, std::size_t n) noexcept { detail::frame_free(p, n); }

        Generator get_return_object() noexcept {
            return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void unhandled_exception() noexcept { exception = std::current_exception(); }

        struct YieldAwaiter {
            promise_type& p;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<>) const noexcept {}
            auto await_resume() {
                if (p.thrown_in) std::rethrow_exception(std::exchange(p.thrown_in, nullptr));
                if constexpr (!std::is_void_v<Send>) return std::exchange(p.value, std::nullopt);
            }
        };
        YieldAwaiter yield_value(Yield v) {
            current.emplace(std::move(v));
            return YieldAwaiter{*this};
        }
    };
    /// The coroutine handle type of the generator's body.
    using handle_type = std::coroutine_handle<promise_type>;

    /// Takes over o's coroutine frame; o is left finished (done(), its next() throws StopIteration).
    Generator(Generator&& o) noexcept : h_(std::exchange(o.h_, nullptr)), started_(o.started_) {}
    /// Closes this generator (destroying its frame), then takes over o's; o is left finished.
    Generator& operator=(Generator&& o) noexcept {
        if (this != &o) {
            close();
            h_ = std::exchange(o.h_, nullptr);
            started_ = o.started_;
        }
        return *this;
    }
    ~Generator() { close(); }

    /// Runs to the next co_yield; its value. Throws StopIteration when finished.
    Yield next() { return advance(); }

    /// Resumes with `v` at the pending co_yield; the next yielded value.
    /// Throws TypeError on a just-started generator, StopIteration when finished.
    template <class S = Send>
        requires(!std::is_void_v<S>)
    Yield send(S v) {
        if (h_ && !started_)
            throw TypeError("can't send a value to a just-started generator: call next() first");
        if (h_) h_.promise().value.emplace(std::move(v));
        return advance();
    }

    /// Raises `e` inside the generator at its pending co_yield; the next value.
    Yield throw_(std::exception_ptr e) {
        if (!h_ || h_.done()) std::rethrow_exception(e);
        if (!started_) {
            // Python: throwing into a just-started generator ends it with that exception.
            close();
            std::rethrow_exception(e);
        }
        h_.promise().thrown_in = std::move(e);
        return advance();
    }

    /// Ends the generator: destroys its frame (its locals' destructors run).
    void close() noexcept {
        if (h_) {
            if (h_.done() && !h_.promise().exception) keep_return();
            h_.destroy();
            h_ = nullptr;
        }
    }

    /// True once the body has finished or the generator was closed.
    bool done() const noexcept { return !h_ || h_.done(); }

    /// What the body co_returned (Python's StopIteration.value); nullopt before that.
    template <class R = Return>
        requires(!std::is_void_v<R>)
    std::optional<R> return_value() const {
        if (h_ && h_.done()) return h_.promise().ReturnSlot::value;
        return returned_;
    }

    // --- range-for ---
    /// An input iterator over the values yielded (each read once); compares equal to end() when the
    /// body has finished. An exception escaping the body is thrown from begin() or operator++.
    class iterator {
    public:
        using value_type = Yield;                ///< The type of the values yielded.
        using difference_type = std::ptrdiff_t;  ///< Required of an iterator; never used.
        /// An iterator equal to end().
        iterator() = default;
        /// Runs g to its first co_yield (or to its end).
        explicit iterator(Generator* g) : g_(g) { ++*this; }
        /// The value the body last yielded (valid until the next increment).
        const Yield& operator*() const { return *g_->h_.promise().current; }
        /// Runs the body to its next co_yield; the iterator becomes end() when the body finishes.
        iterator& operator++() {
            if (!g_->step()) g_ = nullptr;
            return *this;
        }
        /// The same as ++it (an input iterator keeps no copy of the old value).
        void operator++(int) { ++*this; }
        /// True once the body has finished (the end of the range).
        bool operator==(std::default_sentinel_t) const noexcept { return g_ == nullptr; }

    private:
        Generator* g_ = nullptr;
    };
    /// Runs the body to its first co_yield and returns an iterator at that value (call it once: the
    /// iteration consumes the generator, as a Python for loop does).
    iterator begin() { return iterator(this); }
    /// The end of the range: an iterator equals it once the body has finished.
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    using ReturnSlot = detail::ReturnSlot<Return>;
    explicit Generator(handle_type h) noexcept : h_(h) {}

    /// Resumes; true if a value was yielded, false if the body finished.
    /// Rethrows what escaped from the body.
    bool step() {
        if (!h_ || h_.done()) return false;
        started_ = true;
        h_.promise().current.reset();
        h_.resume();
        if (h_.done()) {
            if (auto e = h_.promise().exception) {
                h_.promise().exception = nullptr;
                std::rethrow_exception(e);
            }
            return false;
        }
        return true;
    }
    Yield advance() {
        if (!step()) throw StopIteration();
        return std::move(*h_.promise().current);
    }
    void keep_return() noexcept {
        if constexpr (!std::is_void_v<Return>) returned_ = h_.promise().ReturnSlot::value;
    }

    handle_type h_{};
    bool started_ = false;
    [[no_unique_address]] std::conditional_t<std::is_void_v<Return>, std::monostate, std::optional<Return>> returned_{};
};

}  // namespace aio
