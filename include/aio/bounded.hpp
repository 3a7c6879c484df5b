// aio/bounded.hpp — apply an async function to many inputs, at most `limit`
// calls at a time (tokio's buffer_unordered, trio's CapacityLimiter,
// aiometer.run_all / amap; asyncio has no such primitive: one writes a
// Semaphore around every call and gathers them all).
//
//     auto pages = co_await aio::map_bounded(fetch, urls, 10);               // fail fast
//     auto outcomes = co_await aio::map_bounded(aio::return_exceptions, fetch, urls, 10);
//     auto done = aio::map_unordered(fetch, urls, 10);                        // as they finish
//     while (true) {
//         auto c = co_await done.next();  // std::optional<aio::Completed<T>>
//         if (!c) break;
//         use(c->index, c->result);       // c->result.value() rethrows the call's error
//     }
//
// How it runs: `min(limit, size)` worker tasks (`limit` for a range of unknown
// size), each pulling the next input and awaiting `fn(input)` inside itself.
// No task per input is made up front, so a million inputs cost `limit`
// workers, not a million tasks: memory is O(limit) besides the results.
// Inputs are started in input order.
//
// Arguments:
// - `fn`: any callable `fn(input) -> aio::Task<T>` (T may be void), taken by
//   value and kept until every call has finished. Each call gets the input as
//   an lvalue that stays valid until its task has finished: for map_bounded
//   the range's own element when a forward range yields references, else a
//   copy held by the worker (iota and other views that make their values,
//   single-pass ranges); map_unordered copies unless the range was moved into
//   the call (its calls may outlive the generator, and a range it refers to).
// - `inputs`: any std::ranges::input_range. An lvalue range is referenced,
//   not copied: it must outlive the call (the whole iteration, for
//   map_unordered) — as it does in `co_await map_bounded(fn, v, k)`. An
//   rvalue range (a temporary vector, an iota view) is moved into the call.
//   An input the range throws on making (a transform view's function) is
//   that input's error, as if its call had thrown it; the next input follows.
// - `limit`: the most calls in flight at once; 0 throws aio::ValueError at
//   the call (before anything runs). A limit above the input count is fine.
// A running loop is needed (as for gather).
//
// Cancellation (map_bounded): cancelling the awaiting task cancels every call
// in flight, starts no new one, waits for the workers to finish, and raises
// CancelledError; map_unordered: see its comment. A call's own exceptions,
// CancelledError included, are its outcome. See docs/cancellation.md and
// docs/differences.md.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "aio/async_generator.hpp"
#include "aio/gather.hpp"
#include "aio/locks.hpp"
#include "aio/task.hpp"

namespace aio {

/// One finished call of map_unordered: the input's index (its position in
/// the input range) and the call's outcome (a value, or its exception).
template <class T>
struct Completed {
    std::size_t index;  ///< The input's position in the input range (0 for the first).
    Result<T> result;   ///< The call's value, or the exception it threw.
};

namespace detail {

/// What a worker holds of the input it is working on: a pointer to the
/// range's element when the range yields lvalue references to elements that
/// stay put (a forward range), else its own copy.
template <class V, bool Copy>
class BoundedInput {
    using Ref = std::ranges::range_reference_t<V>;
    static constexpr bool kByPointer = !Copy && std::is_lvalue_reference_v<Ref> && std::ranges::forward_range<V>;
    using Stored = std::conditional_t<kByPointer, std::remove_reference_t<Ref>*, std::ranges::range_value_t<V>>;

public:
    template <class It>
    explicit BoundedInput(It& it) : v_(make(it)) {}
    auto& get() noexcept {
        if constexpr (kByPointer)
            return *v_;
        else
            return v_;
    }

private:
    template <class It>
    static Stored make(It& it) {
        if constexpr (kByPointer)
            return std::addressof(*it);
        else
            return Stored(*it);
    }
    Stored v_;
};

/// Whether map_unordered copies the inputs of V: yes, unless V owns its
/// elements (an rvalue container moved into the call), which the shared state
/// keeps until the last call has ended, even a call cancelled after the
/// generator is gone; a range merely referred to may be gone by then.
template <class V>
inline constexpr bool kUnorderedCopies = true;
template <class C>
inline constexpr bool kUnorderedCopies<std::ranges::owning_view<C>> = false;

template <class F, class V, bool Copy>
using bounded_task_t = std::invoke_result_t<F&, decltype(std::declval<BoundedInput<V, Copy>&>().get())>;

/// The task type fn returns for the elements of R.
template <class F, class R, bool Copy>
using bounded_task_for_t = bounded_task_t<F, std::views::all_t<R>, Copy>;

/// Throws ValueError for a limit of 0.
inline void check_bounded_limit(std::size_t limit, const char* who) {
    if (limit == 0)
        throw ValueError(std::string(who) + "(): limit must be at least 1 (the most calls in flight at once), got 0");
}

/// True when the running task has been asked to cancel (a worker stops pulling inputs).
inline bool current_task_cancelling() noexcept {
    TaskCore* t = current_core();
    return t && t->cancel_requests > 0;
}

/// The state of one map_bounded call, shared by its workers: the function,
/// the inputs and where the next one is, and the results by index.
/// `ReturnExceptions` collects errors; otherwise the first error stops
/// everything (`first_error`, `stop`).
template <class F, class V, class T, bool ReturnExceptions>
struct OrderedBoundedState {
    using Slot = std::conditional_t<ReturnExceptions, Result<T>, value_or_monostate_t<T>>;

    OrderedBoundedState(F f, V r) : fn(std::move(f)), range(std::move(r)), it(std::ranges::begin(range)) {}

    F fn;
    V range;
    std::ranges::iterator_t<V> it;
    std::size_t next_index = 0;
    // Void calls without return_exceptions keep no results (nothing to return).
    static constexpr bool kKeepsResults = ReturnExceptions || !std::is_void_v<T>;
    std::vector<std::optional<Slot>> results;
    std::vector<Task<>> workers;
    std::exception_ptr first_error;
    bool stop = false;
    static constexpr bool kUnordered = false;

    /// The next input's index, or false when there is none or the workers stop.
    bool take_index(std::size_t& i) {
        if (stop || it == std::ranges::end(range)) return false;
        i = next_index++;
        if constexpr (kKeepsResults && !std::ranges::sized_range<V>) results.emplace_back();
        return true;
    }
    template <class... U>
    void done(std::size_t i, U&&... v) {
        if constexpr (ReturnExceptions) {
            results[i].emplace(Result<T>(value_or_monostate_t<T>(std::forward<U>(v)...)));
        } else if constexpr (kKeepsResults) {
            results[i].emplace(std::forward<U>(v)...);
        }
    }
    void failed(std::size_t i, std::size_t self, std::exception_ptr e) {
        if constexpr (ReturnExceptions) {
            results[i].emplace(Result<T>(std::move(e)));
        } else {
            (void)i;
            if (first_error) return;  // a later error, or the cancellation of one that lost
            first_error = std::move(e);
            stop = true;
            for (std::size_t w = 0; w < workers.size(); ++w)
                if (w != self && !workers[w].done()) workers[w].cancel();
        }
    }
    void worker_ended() noexcept {}
};

/// The state of one map_unordered iteration: finished calls wait in `ready`
/// for the consumer. Owned jointly by the generator and the workers, since
/// the workers may still be ending (cancelled) after the generator is gone.
template <class F, class V, class T>
struct UnorderedBoundedState {
    UnorderedBoundedState(F f, V r, std::size_t lim)
        : fn(std::move(f)), range(std::move(r)), it(std::ranges::begin(range)), limit(lim) {}

    F fn;
    V range;
    std::ranges::iterator_t<V> it;
    std::size_t next_index = 0;
    std::size_t limit;
    std::size_t running = 0;  // workers not finished
    std::deque<Completed<T>> ready;
    Event arrived;  // set when a call finishes or a worker ends
    Event space;    // set when the consumer takes a result
    bool stop = false;
    static constexpr bool kUnordered = true;

    bool take_index(std::size_t& i) {
        if (stop || it == std::ranges::end(range)) return false;
        i = next_index++;
        return true;
    }
    template <class... U>
    void done(std::size_t i, U&&... v) {
        ready.push_back(Completed<T>{i, Result<T>(value_or_monostate_t<T>(std::forward<U>(v)...))});
        arrived.set();
    }
    void failed(std::size_t i, std::size_t, std::exception_ptr e) {
        ready.push_back(Completed<T>{i, Result<T>(std::move(e))});
        arrived.set();
    }
    void worker_ended() noexcept {
        --running;
        arrived.set();
    }
};

/// A worker: while there is an input and nothing says stop, calls fn on the
/// next input, awaits it inside this task and hands the outcome to the state.
/// It catches everything (a worker never fails), and stops pulling inputs
/// once its own task is asked to cancel. `Owner` is State* (the caller's
/// frame outlives the workers) or std::shared_ptr<State>.
template <class State, class V, bool Copy, class Owner>
Task<> bounded_worker(Owner owner_param, std::size_t self) {
    Owner owner = std::move(owner_param);  // a local: a shared state is released when the body ends
    State& st = *owner;
    using T = typename bounded_task_t<decltype(st.fn), V, Copy>::value_type;
    std::size_t i = 0;
    while (!current_task_cancelling() && st.take_index(i)) {
        std::exception_ptr error;
        try {
            std::optional<BoundedInput<V, Copy>> input;
            try {
                input.emplace(st.it);
            } catch (...) {
                // The input could not be made (a transform view's function
                // threw): that is input i's error; the next worker takes the next.
                ++st.it;
                throw;
            }
            ++st.it;
            auto call = std::invoke(st.fn, input->get());
            if constexpr (std::is_void_v<T>) {
                co_await std::move(call);
                st.done(i);
            } else {
                T value = co_await std::move(call);
                st.done(i, std::move(value));
            }
        } catch (...) {
            error = std::current_exception();
        }
        if (error) st.failed(i, self, std::move(error));
        if constexpr (State::kUnordered) {
            // Back-pressure: no new call while `limit` results wait for the consumer.
            bool cancelled = false;
            try {
                while (st.ready.size() >= st.limit && !st.stop) {
                    st.space.clear();
                    co_await st.space.wait();
                }
            } catch (const CancelledError&) {
                cancelled = true;
            }
            if (cancelled) break;
        }
    }
    st.worker_ended();
}

/// How many workers a range needs: `limit`, or fewer for a smaller sized range.
template <class V>
std::size_t bounded_worker_count(V& range, std::size_t limit) {
    if constexpr (std::ranges::sized_range<V>) {
        return std::min<std::size_t>(limit, static_cast<std::size_t>(std::ranges::size(range)));
    } else {
        return limit;
    }
}

template <class F, class V, class T, bool ReturnExceptions>
using ordered_bounded_result_t =
    std::conditional_t<ReturnExceptions, std::vector<Result<T>>,
                       std::conditional_t<std::is_void_v<T>, void, std::vector<value_or_monostate_t<T>>>>;

template <class F, class V, class T, bool ReturnExceptions>
Task<ordered_bounded_result_t<F, V, T, ReturnExceptions>> map_ordered(F fn, V range, std::size_t limit) {
    using State = OrderedBoundedState<F, V, T, ReturnExceptions>;
    State st(std::move(fn), std::move(range));
    const std::size_t count = bounded_worker_count(st.range, limit);
    if constexpr (State::kKeepsResults && std::ranges::sized_range<V>)
        st.results.resize(static_cast<std::size_t>(std::ranges::size(st.range)));
    std::exception_ptr start_error;
    std::vector<Task<>> all;
    if (count > 0) {
        try {
            st.workers.reserve(count);
            all.reserve(count);
            for (std::size_t w = 0; w < count && !st.stop; ++w) {
                st.workers.push_back(create_task(bounded_worker<State, V, false>(&st, w)));
                all.push_back(st.workers.back().share());
            }
        } catch (...) {
            // The workers already started use `st`: stop them, and wait for them below.
            start_error = std::current_exception();
            st.stop = true;
            for (auto& w : st.workers) w.cancel();
        }
    }
    // Every worker is waited for, even when the caller is cancelled (gather
    // cancels them, waits, then raises CancelledError): none outlives `st`.
    auto finished = gather(return_exceptions, std::move(all));
    std::vector<Result<void>> ends = co_await std::move(finished);
    if (start_error) std::rethrow_exception(start_error);
    if constexpr (!ReturnExceptions) {
        if (st.first_error) std::rethrow_exception(st.first_error);
    }
    // A worker itself failed (out of memory taking an input): that error.
    for (auto& e : ends)
        if (!e.ok() && !e.cancelled()) std::rethrow_exception(e.error());
    // The workers stopped with inputs left, the caller not cancelled: only a
    // cancel() of the workers' own tasks (from fn) does that.
    if (st.it != std::ranges::end(st.range))
        throw CancelledError("map_bounded(): its workers were cancelled before every input ran");
    if constexpr (!State::kKeepsResults) {
        co_return;
    } else {
        ordered_bounded_result_t<F, V, T, ReturnExceptions> out;
        out.reserve(st.results.size());
        for (auto& r : st.results) out.push_back(std::move(*r));
        co_return out;
    }
}

/// Cancels the workers of a map_unordered that is left (its generator
/// destroyed, or its body ended by an exception).
template <class State>
struct UnorderedStop {
    UnorderedStop(State& s, std::vector<Task<>>& w) noexcept : st(s), workers(w) {}
    UnorderedStop(const UnorderedStop&) = delete;
    ~UnorderedStop() {
        st.stop = true;
        for (auto& w : workers)
            if (!w.done()) w.cancel();
    }
    State& st;
    std::vector<Task<>>& workers;
};

template <class F, class V, class T>
AsyncGenerator<Completed<T>> map_unordered_body(std::shared_ptr<UnorderedBoundedState<F, V, T>> st) {
    using State = UnorderedBoundedState<F, V, T>;
    std::vector<Task<>> workers;
    UnorderedStop<State> stop(*st, workers);  // after `workers`: destroyed first
    const std::size_t count = bounded_worker_count(st->range, st->limit);
    workers.reserve(count);
    st->running = count;
    for (std::size_t w = 0; w < count && !st->stop; ++w)
        workers.push_back(create_task(bounded_worker<State, V, kUnorderedCopies<V>>(st, w)));
    while (true) {
        if (!st->ready.empty()) {
            Completed<T> c = std::move(st->ready.front());
            st->ready.pop_front();
            st->space.set();
            co_yield std::move(c);
            continue;
        }
        if (st->running == 0) {
            // The workers stopped with inputs left: only a cancel() of their
            // own tasks (from fn) does that.
            if (st->it != std::ranges::end(st->range))
                throw CancelledError("map_unordered(): its workers were cancelled before every input ran");
            break;
        }
        st->arrived.clear();
        co_await st->arrived.wait();
    }
}

/// Both map_bounded forms: checks the limit, then the lazy task.
template <bool ReturnExceptions, class F, class R>
auto start_map_ordered(F fn, R&& inputs, std::size_t limit) {
    using V = std::views::all_t<R>;
    using T = typename bounded_task_for_t<F, R, false>::value_type;
    check_bounded_limit(limit, "map_bounded");
    return map_ordered<F, V, T, ReturnExceptions>(std::move(fn), std::views::all(std::forward<R>(inputs)), limit);
}

template <class F, class R, bool Copy>
concept BoundedCallable =
    std::ranges::input_range<R> &&
    std::invocable<F&, decltype(std::declval<BoundedInput<std::views::all_t<R>, Copy>&>().get())> &&
    is_task_v<bounded_task_for_t<F, R, Copy>>;

}  // namespace detail

/// Awaits `fn(input)` for every input, at most `limit` at a time; the
/// results in input order (a Task<void> when fn returns Task<void>).
/// The first call that throws ends it all: the calls in flight are cancelled,
/// no new one starts, and once every worker has finished that exception is
/// rethrown. Throws ValueError (at once) for limit 0, CancelledError when the
/// awaiting task is cancelled. asyncio: gather of every call wrapped in
/// `async with Semaphore(limit)`, but the first error cancels the rest.
template <class F, std::ranges::input_range R>
    requires detail::BoundedCallable<F, R, false>
auto map_bounded(F fn, R&& inputs, std::size_t limit) {
    return detail::start_map_ordered<false>(std::move(fn), std::forward<R>(inputs), limit);
}

/// map_bounded(return_exceptions): every input runs; each outcome (a value
/// or the call's exception) is an aio::Result<T> in the input's slot.
/// Throws ValueError (at once) for limit 0, CancelledError when the awaiting
/// task is cancelled. asyncio: gather(..., return_exceptions=True) of every
/// call wrapped in `async with Semaphore(limit)`.
template <class F, std::ranges::input_range R>
    requires detail::BoundedCallable<F, R, false>
auto map_bounded(return_exceptions_t, F fn, R&& inputs, std::size_t limit) {
    return detail::start_map_ordered<true>(std::move(fn), std::forward<R>(inputs), limit);
}

/// Yields an aio::Completed<T> {index, result} for every input as its call
/// finishes, at most `limit` calls at a time; every input runs, and a call's
/// exception is its Result's error (the consumer decides: `result.value()`
/// rethrows it). Each input is copied for its call (range_value_t), unless
/// the range was moved into the call (a temporary vector): then its call gets
/// the element itself.
/// Nothing starts before the first next(). A worker starts no new call while
/// `limit` results wait to be taken (memory stays O(limit) when the consumer
/// is slow).
/// Leaving early — destroying the generator, a `break`, an exception in the
/// consumer, or a cancellation of the task awaiting next() (which raises
/// CancelledError and ends the iteration) — cancels the calls in flight and
/// starts no new one. Those calls end on the loop afterwards (each sees
/// CancelledError at its current co_await): what fn refers to must outlive
/// them (see docs/differences.md). Throws ValueError (at once) for limit 0.
/// asyncio: as_completed over Semaphore-wrapped calls; aiometer.amap.
template <class F, std::ranges::input_range R>
    requires detail::BoundedCallable<F, R, detail::kUnorderedCopies<std::views::all_t<R>>>
auto map_unordered(F fn, R&& inputs, std::size_t limit) {
    using V = std::views::all_t<R>;
    using T = typename detail::bounded_task_for_t<F, R, detail::kUnorderedCopies<V>>::value_type;
    detail::check_bounded_limit(limit, "map_unordered");
    return detail::map_unordered_body<F, V, T>(std::make_shared<detail::UnorderedBoundedState<F, V, T>>(
        std::move(fn), std::views::all(std::forward<R>(inputs)), limit));
}

}  // namespace aio
