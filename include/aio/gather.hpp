// aio/gather.hpp — aio::gather (asyncio.gather).
//
//     auto [a, b] = co_await aio::gather(task1(), task2());          // tuple
//     std::vector<std::string> r = co_await aio::gather(std::move(tasks));
//     auto rs = co_await aio::gather(aio::return_exceptions, std::move(tasks));  // Result<T>s
//
// Lazy tasks are scheduled (create_task) when gather() is called, as asyncio
// does; scheduled ones are awaited as they are (an lvalue handle is shared,
// not consumed). gather() needs a running loop.
// Results come in argument order; void results are std::monostate.
// Semantics (asyncio's):
// - the first exception propagates to the awaiter at once; the other tasks
//   keep running (their later errors are marked retrieved, never reported);
// - a child that is cancelled counts as raising CancelledError;
// - cancelling the awaiter cancels every child, waits for all of them to
//   finish, then raises CancelledError;
// - with return_exceptions every outcome becomes an aio::Result<T>.
// Cancellation: see docs/cancellation.md.
#pragma once

#include <memory>
#include <tuple>
#include <vector>

#include "aio/task.hpp"

namespace aio {

/// Tag for gather's return_exceptions=True form.
struct return_exceptions_t {
    explicit constexpr return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};

namespace detail {

/// The type-erased heart of gather: waits for a set of scheduled tasks.
///
/// Children are registered one at a time with watch() and read back through
/// an accessor (`at(base, i)`), so the vector form needs no list of its own:
/// with a million children every extra pass or array is a million cache
/// misses, so gather schedules and registers each child in the same pass.
class GatherAwaiter final : public Suspension {
public:
    using CoreAt = TaskCore* (*)(const void* base, std::size_t i) noexcept;

    /// Children are `at(base, 0..)`, registered by watch() in that order.
    GatherAwaiter(const void* base, CoreAt at, bool return_exceptions) noexcept;
    /// The children are `cores` (the tuple forms), registered at once.
    GatherAwaiter(std::vector<TaskCore*> cores, bool return_exceptions);
    GatherAwaiter(const GatherAwaiter&) = delete;
    ~GatherAwaiter();

    /// Registers the next child (children are watched in index order): counts
    /// it, or takes its outcome at once when it is already done.
    void watch(TaskCore* child) {
        ++count_;
        if (!child->done()) {
            ++remaining_;
            attach(child);
        } else {
            take_done(child);
        }
    }
    /// Call once every child is watched: a child that failed already resolves gather.
    void watched_all() noexcept;

    bool await_ready() const noexcept { return remaining_ == 0 || first_error_; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return suspend(h.promise().owner(), h);
    }
    /// Throws the first error, or CancelledError after a cancellation; returns
    /// normally when every child is done and results may be collected.
    void await_resume();

    bool request_cancel() noexcept override;

private:
    struct Node : CompletionWaiter {
        GatherAwaiter* owner = nullptr;
    };
    TaskCore* child(std::size_t i) const noexcept { return at_(base_, i); }
    bool suspend(TaskCore* task, std::coroutine_handle<> h);
    void attach(TaskCore* child) {
        attached_ = true;
        if (!child->waiters) {
            child->add_waiter(&shared_);
            return;
        }
        attach_own_node(child);
    }
    void attach_own_node(TaskCore* child);
    void take_done(TaskCore* child) noexcept;
    static void on_child_done(CompletionWaiter* w, TaskCore& child) noexcept;
    void detach_all() noexcept;

    // One node serves every child that has no other waiter (the usual case):
    // it is always the last of each list it is in, so its `next` stays null.
    // A child already awaited elsewhere gets a node of its own.
    Node shared_;
    std::vector<std::unique_ptr<Node>> own_nodes_;
    std::vector<TaskCore*> cores_;  // the tuple forms' children (base_ points here)
    const void* base_;
    CoreAt at_;
    std::size_t count_ = 0;
    std::size_t remaining_ = 0;
    TaskCore* task_ = nullptr;
    std::exception_ptr first_error_;
    bool return_exceptions_;
    bool woken_ = false;
    bool cancelling_ = false;
    bool attached_ = false;
};

template <class T>
TaskCore* task_core_at(const void* base, std::size_t i) noexcept {
    return detail::TaskAccess::core(static_cast<const Task<T>*>(base)[i]);
}

/// A scheduled handle for `t`: lazy ones are scheduled, lvalue scheduled ones shared.
template <class T>
Task<T> schedule_for_gather(Task<T>&& t) {
    if (t.scheduled()) return std::move(t);
    return create_task(std::move(t));
}
template <class T>
Task<T> schedule_for_gather(Task<T>& t) {
    if (t.scheduled()) return t.share();
    return create_task(std::move(t));
}

template <class T>
value_or_monostate_t<T> result_of(Task<T>& t) {
    auto& p = detail::TaskAccess::handle(t).promise();
    p.flags |= TaskCore::kRetrieved;
    return take_result<T, false>(p);
}

template <class T>
Result<T> outcome_of(Task<T>& t) {
    auto& p = detail::TaskAccess::handle(t).promise();
    p.flags |= TaskCore::kRetrieved;
    if (p.exception) return Result<T>(p.exception);
    return Result<T>(take_result<T, false>(p));
}

/// Schedules every lazy task of `tasks` (in order) on the running loop.
template <class T>
void schedule_all(std::vector<Task<T>>& tasks, const char* who) {
    for (auto& t : tasks) {
        if (!t.valid()) throw InvalidStateError(std::string(who) + "() of an empty Task handle");
        if (!t.scheduled()) t = create_task(std::move(t));
    }
}

template <class T>
std::vector<TaskCore*> cores_of(std::vector<Task<T>>& tasks) {
    std::vector<TaskCore*> cores;
    cores.reserve(tasks.size());
    for (auto& t : tasks) cores.push_back(detail::TaskAccess::core(t));
    return cores;
}

/// A gather of a vector: the tasks, scheduled and registered with `all`.
/// (`all` is declared last so that it is destroyed first: it reads `tasks`.)
template <class T>
struct GatherOfVector {
    std::vector<Task<T>> tasks;
    std::unique_ptr<GatherAwaiter> all;
};

/// Schedules every lazy task of `tasks` (in order) on the running loop and
/// registers each with a new GatherAwaiter, in one pass.
template <class T>
GatherOfVector<T> schedule_and_watch(std::vector<Task<T>> tasks, bool return_exceptions, const char* who) {
    auto all = std::make_unique<GatherAwaiter>(tasks.data(), &task_core_at<T>, return_exceptions);
    if (!tasks.empty()) {
        EventLoop& loop = get_running_loop();
        check_open(loop, who);
        for (auto& t : tasks) {
            if (!t.valid()) throw InvalidStateError(std::string(who) + "() of an empty Task handle");
            if (!t.scheduled()) schedule_unnamed(loop, t);
            all->watch(detail::TaskAccess::core(t));
        }
    }
    all->watched_all();
    return {std::move(tasks), std::move(all)};
}

/// Waits for every child, then takes each outcome (a value, or with
/// return_exceptions an aio::Result) and releases the child in the same pass.
template <class T, bool ReturnExceptions>
auto gather_vector(GatherOfVector<T> g)
    -> Task<std::vector<std::conditional_t<ReturnExceptions, Result<T>, value_or_monostate_t<T>>>> {
    GatherAwaiter& all = *g.all;  // named: g++ 12 would copy `*g.all` in the co_await
    co_await all;
    std::vector<std::conditional_t<ReturnExceptions, Result<T>, value_or_monostate_t<T>>> out;
    out.reserve(g.tasks.size());
    for (auto& t : g.tasks) {
        if constexpr (ReturnExceptions)
            out.push_back(outcome_of(t));
        else
            out.push_back(result_of(t));
        t = Task<T>();
    }
    co_return out;
}

template <class... Ts>
Task<std::tuple<value_or_monostate_t<Ts>...>> gather_tuple(std::tuple<Task<Ts>...> tasks) {
    GatherAwaiter all(std::apply([](auto&... t) { return std::vector<TaskCore*>{TaskAccess::core(t)...}; }, tasks), false);
    co_await all;
    co_return std::apply([](auto&... t) { return std::tuple<value_or_monostate_t<Ts>...>(result_of(t)...); }, tasks);
}

template <class... Ts>
Task<std::tuple<Result<Ts>...>> gather_tuple_results(std::tuple<Task<Ts>...> tasks) {
    GatherAwaiter all(std::apply([](auto&... t) { return std::vector<TaskCore*>{TaskAccess::core(t)...}; }, tasks), true);
    co_await all;
    co_return std::apply([](auto&... t) { return std::tuple<Result<Ts>...>(outcome_of(t)...); }, tasks);
}

template <class T>
concept TaskHandle = is_task_v<T>;

}  // namespace detail

/// Runs every task concurrently; the results in order (asyncio.gather).
template <class T>
Task<std::vector<detail::value_or_monostate_t<T>>> gather(std::vector<Task<T>> tasks) {
    return detail::gather_vector<T, false>(detail::schedule_and_watch(std::move(tasks), false, "gather"));
}

/// gather(return_exceptions=True): every outcome as an aio::Result<T>.
template <class T>
Task<std::vector<Result<T>>> gather(return_exceptions_t, std::vector<Task<T>> tasks) {
    return detail::gather_vector<T, true>(detail::schedule_and_watch(std::move(tasks), true, "gather"));
}

/// Variadic form: a tuple of results. Rvalue lazy tasks are scheduled;
/// lvalue scheduled handles are shared (the caller keeps its handle).
template <detail::TaskHandle... Ts>
auto gather(Ts&&... tasks) {
    // Braces: the tasks are scheduled left to right (a call's arguments have no order).
    return detail::gather_tuple<typename std::remove_cvref_t<Ts>::value_type...>(
        std::tuple<std::remove_cvref_t<Ts>...>{detail::schedule_for_gather(std::forward<Ts>(tasks))...});
}

/// Variadic return_exceptions form: a tuple of aio::Result<T>.
template <detail::TaskHandle... Ts>
auto gather(return_exceptions_t, Ts&&... tasks) {
    return detail::gather_tuple_results<typename std::remove_cvref_t<Ts>::value_type...>(
        std::tuple<std::remove_cvref_t<Ts>...>{detail::schedule_for_gather(std::forward<Ts>(tasks))...});
}

}  // namespace aio
