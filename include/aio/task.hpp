// aio/task.hpp — aio::Task<T>, the return type of an async function
// (asyncio: coroutines, Task, Future).
//
//     aio::Task<std::string> fetch(std::string url) { co_await aio::sleep(1s); co_return url; }
//
// A Task<T> has two lives:
// - *Lazy* (what calling an async function gives): nothing runs until it is
//   awaited, gathered, or passed to create_task. Awaiting it runs it inside the
//   awaiting task, like `await coro()`. A lazy task runs once: awaiting it a
//   second time throws InvalidStateError.
// - *Scheduled* (what create_task returns): it runs on its own, concurrently;
//   the handle is a future that any number of tasks may await (each gets a
//   copy of the result, or the exception) and has done(), cancel(), result(),
//   exception(), add_done_callback(), get_name(). A scheduled task keeps
//   running until done even if every handle is dropped.
//
// Handles are move-only. Lifetimes: a coroutine's reference parameters must
// outlive the coroutine — pass by value what a scheduled task uses.
// Cancellation: see docs/cancellation.md.
#pragma once

#include <concepts>
#include <coroutine>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "aio/detail/context.hpp"
#include "aio/detail/frame_allocator.hpp"
#include "aio/detail/task_core.hpp"
#include "aio/events.hpp"
#include "aio/exceptions.hpp"

namespace aio {

template <class T = void>
class Task;
class TaskInfo;

namespace detail {

template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<Task<T>> : std::true_type {};
template <class T>
inline constexpr bool is_task_v = is_task<std::remove_cvref_t<T>>::value;

/// `void` results are carried as std::monostate where a value is needed (gather, Result).
template <class T>
using value_or_monostate_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
class Promise;
struct TaskAccess;

class PromiseBase : public TaskCore {
public:
    static void* operator new(std::size_t n) { return frame_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            return h.promise().on_final_suspend(h);
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
class Promise final : public PromiseBase {
    // The frame is found from the promise's address (TaskCore::frame()):
    // that holds for a promise aligned to at most 16.
    static_assert(alignof(T) <= TaskCore::kFramePromiseOffset,
                  "aio::Task<T> needs alignof(T) <= 16; return an over-aligned type in a std::unique_ptr");

public:
    Promise() noexcept {}
    Promise(const Promise&) = delete;
    ~Promise() {
        if (has(kHasValue)) value_.~T();
    }
    Task<T> get_return_object() noexcept;
    template <class U>
        requires std::convertible_to<U, T>
    void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U>) {
        AIO_ASSERT(!has(kHasValue), "a task returned twice");
        ::new (static_cast<void*>(&value_)) T(std::forward<U>(v));
        flags |= kHasValue;
    }
    bool has_value() const noexcept { return has(kHasValue); }
    /// The value (only when has_value()).
    T& value() noexcept { return value_; }

private:
    // Not a std::optional: the flag lives in TaskCore::flags, and a small
    // value fits in TaskCore's tail padding (4 bytes for an int).
    union {
        T value_;
    };
};

template <>
class Promise<void> final : public PromiseBase {
public:
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
};

/// Whether T can really be copied: std::vector and std::optional claim a copy
/// constructor even for elements that have none (a vector of Tasks).
template <class T>
struct really_copyable : std::is_copy_constructible<T> {};
template <class U, class A>
struct really_copyable<std::vector<U, A>> : really_copyable<U> {};
template <class U>
struct really_copyable<std::optional<U>> : really_copyable<U> {};
template <class A, class B>
struct really_copyable<std::pair<A, B>> : std::bool_constant<really_copyable<A>::value && really_copyable<B>::value> {};

/// Where a finished frame's outcome is taken from: rethrows, or moves/copies
/// the value. `Move` (an rvalue await) moves the value out only when nobody
/// else can look at it: a lazy frame, or a scheduled task whose one counted
/// handle is the awaiter's. Every awaiter of a shared task gets its own copy.
/// A value that cannot be copied is moved out by the first taker; later
/// takers get InvalidStateError instead of a moved-from value.
template <class T, bool Move>
value_or_monostate_t<T> take_result(Promise<T>& p) {
    if (p.exception) std::rethrow_exception(p.exception);
    if constexpr (std::is_void_v<T>) {
        return {};
    } else {
        if (p.has(TaskCore::kResultMoved))
            throw InvalidStateError("the result of this task was already moved out (by its sole owner, or a "
                                    "result that cannot be copied)");
        if (!p.has_value()) throw InvalidStateError("the task finished without a result");
        if constexpr (!really_copyable<T>::value) {
            p.flags |= TaskCore::kResultMoved;
            return std::move(p.value());
        } else {
            if (Move && (!p.has(TaskCore::kRoot) || p.refs <= 1)) {
                p.flags |= TaskCore::kResultMoved;
                return std::move(p.value());
            }
            return p.value();
        }
    }
}

}  // namespace detail

/// The outcome of one task in gather(return_exceptions, ...): a value or an error.
template <class T>
class Result {
public:
    /// The value's type: T, or std::monostate for Result<void>.
    using value_type = detail::value_or_monostate_t<T>;
    /// A success holding `v`.
    explicit Result(value_type v) : v_(std::move(v)) {}
    /// A failure holding the error `e` (should not be null).
    explicit Result(std::exception_ptr e) : v_(std::move(e)) {}
    /// True when the task succeeded (there is a value, no error).
    bool ok() const noexcept { return v_.index() == 0; }
    /// The value; rethrows the error when there is one.
    value_type& value() & {
        if (!ok()) std::rethrow_exception(std::get<1>(v_));
        return std::get<0>(v_);
    }
    /// The value (read-only); rethrows the error when there is one.
    const value_type& value() const& {
        if (!ok()) std::rethrow_exception(std::get<1>(v_));
        return std::get<0>(v_);
    }
    /// The value, moved out of this Result; rethrows the error when there is one.
    value_type value() && {
        if (!ok()) std::rethrow_exception(std::get<1>(v_));
        return std::move(std::get<0>(v_));
    }
    /// The error (null when ok()).
    std::exception_ptr error() const noexcept { return ok() ? nullptr : std::get<1>(v_); }
    /// True when the error is a CancelledError.
    bool cancelled() const;

private:
    std::variant<value_type, std::exception_ptr> v_;
};

template <class T>
bool Result<T>::cancelled() const {
    if (ok()) return false;
    try {
        std::rethrow_exception(std::get<1>(v_));
    } catch (const CancelledError&) {
        return true;
    } catch (...) {
        return false;
    }
}

/// The handle of a coroutine returning T (asyncio's coroutine object and, once scheduled, its Task):
/// lazy until awaited or passed to create_task(), then scheduled; see the top of this header.
/// Move-only. Dropping the handle of a scheduled task leaves the task running; dropping a lazy task that
/// never ran destroys its frame (reported in debug mode, like Python's "coroutine was never awaited").
template <class T>
class [[nodiscard]] Task {
public:
    using promise_type = detail::Promise<T>;
    /// The result type T (void for Task<>).
    using value_type = T;
    /// The coroutine handle type of the task's frame.
    using handle_type = std::coroutine_handle<promise_type>;

    /// An empty handle (valid() false).
    Task() noexcept = default;
    /// Takes over o's task; o is left empty.
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    /// Drops this handle's task (see the class comment), then takes over o's; o is left empty.
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            drop();
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    ~Task() { drop(); }

    /// True when this handle refers to a task.
    bool valid() const noexcept { return static_cast<bool>(h_); }
    /// valid(): true when this handle refers to a task.
    explicit operator bool() const noexcept { return valid(); }
    /// True once create_task (or gather, wait, ...) has scheduled it.
    bool scheduled() const noexcept { return h_ && h_.promise().has(detail::TaskCore::kRoot); }

    // --- the future API (scheduled tasks; a lazy task is never done) ---
    /// True once the task has finished: with a value, an exception or a cancellation (Task.done()).
    bool done() const noexcept { return h_ && h_.promise().done(); }
    /// True when the task finished by being cancelled (Task.cancelled()).
    bool cancelled() const noexcept { return done() && h_.promise().has(detail::TaskCore::kCancelled); }
    /// Requests cancellation (asyncio: Task.cancel): CancelledError is delivered
    /// at the task's current co_await, or its next one. Returns false if the
    /// task is already done. Throws InvalidStateError on a lazy task.
    bool cancel() {
        require_scheduled("cancel");
        return h_.promise().cancel();
    }
    /// How many cancellation requests are outstanding (asyncio: Task.cancelling).
    int cancelling() const { return h_ ? h_.promise().cancel_requests : 0; }
    /// Withdraws one cancellation request (asyncio: Task.uncancel); returns the rest.
    int uncancel() {
        require_scheduled("uncancel");
        return h_.promise().uncancel();
    }
    /// The result; rethrows the task's exception; CancelledError if it was
    /// cancelled; InvalidStateError if it is not done.
    detail::value_or_monostate_t<T> result() const {
        require_done("result");
        h_.promise().flags |= detail::TaskCore::kRetrieved;  // the exception (if any) reaches the caller
        return detail::take_result<T, false>(h_.promise());
    }
    /// The exception (null if it succeeded); throws CancelledError if cancelled,
    /// InvalidStateError if not done.
    std::exception_ptr exception() const {
        require_done("exception");
        auto& p = h_.promise();
        p.flags |= detail::TaskCore::kRetrieved;
        if (p.has(detail::TaskCore::kCancelled)) std::rethrow_exception(p.exception);
        return p.exception;
    }
    /// Calls f on the loop (via call_soon) when the task is done; at once
    /// (scheduled) if it already is. f runs in a copy of the context current
    /// here (contextvars), as asyncio's add_done_callback does.
    void add_done_callback(std::function<void()> f) {
        require_scheduled("add_done_callback");
        h_.promise().add_done_callback(
            [context = detail::ContextRef::capture(), f = std::move(f)]() mutable {
                detail::ContextScope in_context(context.slot());
                f();
            });
    }
    /// The task's name ("Task-N" unless given).
    std::string get_name() const { return h_ ? h_.promise().name() : std::string(); }
    /// Renames the task (Task.set_name). Throws InvalidStateError on an empty or lazy task.
    void set_name(std::string name) {
        require_scheduled("set_name");
        h_.promise().set_name(std::move(name));
    }

    // --- awaiting ---
    struct LazyAwaiter;
    struct ScheduledAwaiter;
    template <bool Move>
    struct Awaiter;
    /// `co_await task`: runs a lazy task inside the awaiting one, or waits for a scheduled one; the
    /// result is copied (each awaiter of a shared task gets its own copy). Throws what the task threw.
    auto operator co_await() & noexcept { return Awaiter<false>{h_}; }
    /// `co_await std::move(task)` (or a call's temporary): as above, but the result is moved out when
    /// no other handle can look at it (a lazy task, or the only handle of a scheduled one).
    auto operator co_await() && noexcept { return Awaiter<true>{h_}; }

    /// Another handle to the same scheduled task, for a second owner that
    /// awaits it too (in Python both would just hold the Task). Throws
    /// InvalidStateError if the task is not scheduled.
    Task share() const {
        require_scheduled("share");
        h_.promise().add_ref();
        return Task(h_);
    }

private:
    friend struct detail::TaskAccess;
    friend class detail::Promise<T>;  // get_return_object

    explicit Task(handle_type h) noexcept : h_(h) {}
    handle_type handle() const noexcept { return h_; }
    detail::TaskCore* core() const noexcept { return h_ ? &h_.promise() : nullptr; }
    void drop() noexcept;
    void require_scheduled(const char* what) const {
        if (!h_) throw InvalidStateError(std::string(what) + "() on an empty Task handle");
        if (!scheduled())
            throw InvalidStateError(std::string(what) +
                                    "() needs a scheduled task: pass the task to aio::create_task() first");
    }
    void require_done(const char* what) const {
        require_scheduled(what);
        if (!done()) throw InvalidStateError(std::string(what) + "() of a task that is not done");
    }

    handle_type h_{};
};

/// co_await on a Task: runs a lazy task inline, or waits for a scheduled one.
template <class T>
template <bool Move>
struct Task<T>::Awaiter : detail::Suspension, detail::CompletionWaiter {
    handle_type h;                        ///< The awaited task's frame.
    detail::TaskCore* waiter = nullptr;   ///< The awaiting task, while it waits for a scheduled one.
    bool registered = false;              ///< True while on the scheduled task's list of waiters.

    /// An await of the task `handle` (not owned: the Task handle keeps it).
    explicit Awaiter(handle_type handle) noexcept : h(handle) {}
    Awaiter(const Awaiter&) = delete;
    ~Awaiter() {
        if (registered) h.promise().remove_waiter(this);
    }

    /// True (no suspension) when a scheduled task is already done. Throws InvalidStateError on an empty
    /// handle or on a lazy task that was already awaited.
    bool await_ready() const {
        if (!h) throw InvalidStateError("co_await on an empty Task handle");
        auto& p = h.promise();
        if (p.has(detail::TaskCore::kRoot)) return p.done();
        if (p.has(detail::TaskCore::kStarted))
            throw InvalidStateError(
                "this task was already awaited: a lazy task runs once; use aio::create_task() to await a "
                "result several times");
        return false;
    }

    /// Lazy: starts the task's body inside the awaiting task. Scheduled: suspends the awaiting task until
    /// the awaited one is done (a cancellation already requested of the awaiting task is passed on).
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
        auto& p = h.promise();
        detail::TaskCore* task = parent.promise().owner();
        if (!p.has(detail::TaskCore::kRoot)) {
            // Lazy: run the child inside the awaiting task.
            p.set_owner(task);
            p.resume_point = parent;  // the continuation
            p.flags |= detail::TaskCore::kStarted;
            return detail::transfer_to(task, h);
        }
        // Scheduled: wait for it to finish.
        waiter = task;
        notify = &Awaiter::on_done;
        p.add_waiter(this);
        registered = true;
        task->suspend_on(this, parent);
        task->deliver_pending_cancel();
        return std::noop_coroutine();
    }

    /// Called by the awaited scheduled task when it finishes: wakes the awaiting task.
    static void on_done(detail::CompletionWaiter* w, detail::TaskCore&) noexcept {
        auto* self = static_cast<Awaiter*>(w);
        self->registered = false;
        self->waiter->wake();
    }

    /// Cancelling the awaiting task cancels the awaited one (asyncio semantics); the awaiter goes on
    /// waiting for it to finish. False when the awaited task is already done.
    bool request_cancel() noexcept override { return h.promise().cancel(); }

    /// The task's result (see operator co_await for copy or move); rethrows the task's exception, or its
    /// CancelledError if it was cancelled. InvalidStateError when a result that cannot be copied was
    /// already moved out by another awaiter.
    decltype(auto) await_resume() {
        auto& p = h.promise();
        p.flags |= detail::TaskCore::kRetrieved;
        if constexpr (std::is_void_v<T>) {
            detail::take_result<T, Move>(p);
            return;
        } else {
            return detail::take_result<T, Move>(p);
        }
    }
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
void warn_lazy_task_dropped(TaskCore& core) noexcept;
}  // namespace detail

template <class T>
void Task<T>::drop() noexcept {
    if (!h_) return;
    auto& p = h_.promise();
    if (p.has(detail::TaskCore::kRoot)) {
        p.release();
    } else {
        if (!p.has(detail::TaskCore::kStarted)) detail::warn_lazy_task_dropped(p);
        h_.destroy();
    }
    h_ = nullptr;
}

namespace detail {
/// How the library reaches a Task's frame (not API: a user holds only the handle).
struct TaskAccess {
    template <class T>
    static typename Task<T>::handle_type handle(const Task<T>& t) noexcept {
        return t.handle();
    }
    template <class T>
    static TaskCore* core(const Task<T>& t) noexcept {
        return t.core();
    }
    static TaskCore* core(const TaskInfo& t) noexcept;
};
}  // namespace detail

namespace detail {
/// Throws RuntimeError when `loop` is closed ("<what>() on a closed event loop").
void check_open(EventLoop& loop, const char* what);

/// create_task without a name, for a loop already checked open (gather's
/// pass over a million tasks): schedules the lazy `task` in place.
template <class T>
void schedule_unnamed(EventLoop& loop, Task<T>& task, TaskCore::Start how = TaskCore::Start::kLoopDefault) {
    auto h = TaskAccess::handle(task);
    auto& p = h.promise();
    if (p.has(TaskCore::kStarted)) throw InvalidStateError("create_task() of a task that was already awaited");
    p.start_in(loop, h, how);
}

/// The body of create_task and create_eager_task. The name is set first:
/// an eager task's first step may already ask for it.
template <class T>
void schedule_named(EventLoop& loop, Task<T>& task, std::string name, TaskCore::Start how) {
    if (!task.valid()) throw InvalidStateError("create_task() of an empty Task handle");
    auto h = TaskAccess::handle(task);
    auto& p = h.promise();
    if (p.has(TaskCore::kRoot)) throw InvalidStateError("create_task() of a task that is already scheduled");
    check_open(loop, "create_task");
    if (p.has(TaskCore::kStarted)) throw InvalidStateError("create_task() of a task that was already awaited");
    if (!name.empty()) p.set_name(std::move(name));
    p.start_in(loop, h, how);
}
}  // namespace detail

/// Schedules a lazy task to run concurrently on the running loop and returns
/// its (scheduled) handle (asyncio.create_task). The task keeps running until
/// done even if the handle is dropped. Throws RuntimeError without a running
/// loop, InvalidStateError if `task` is empty or already started.
template <class T>
Task<T> create_task(Task<T> task, std::string name = {}) {
    return get_running_loop().create_task(std::move(task), std::move(name));
}

/// create_task, started eagerly (asyncio 3.14: create_task(coro,
/// eager_start=True); 3.12: the eager_task_factory). The task's first step
/// runs now, inside the caller, up to its first real suspension: a task
/// that finishes without suspending is done when this returns and never
/// touches the ready queue (no loop iteration, no queue hop). The caller's
/// current task and context are set aside meanwhile: the task runs in a copy
/// of the caller's context and current_task() is the new task.
/// Differences from create_task, as in asyncio: the task's code runs before
/// the caller's next statement, and an exception it raises before suspending
/// is stored in the task (never thrown here). Nested eager starts beyond
/// kTransferBudget deep are queued instead (the stack stays bounded). Needs a
/// running loop (RuntimeError otherwise); InvalidStateError as create_task.
/// LoopOptions::eager_tasks makes every create_task (and gather, TaskGroup,
/// ...) on a loop eager.
template <class T>
Task<T> create_eager_task(Task<T> task, std::string name = {}) {
    detail::schedule_named(get_running_loop(), task, std::move(name), detail::TaskCore::Start::kEager);
    return task;
}

/// Information about a task, for current_task() and all_tasks(): a counted,
/// type-erased handle.
class TaskInfo {
public:
    /// No task (false).
    TaskInfo() = default;
    /// For the library: a counted reference to the task `core` (null: no task).
    explicit TaskInfo(detail::TaskCore* core) : core_(core) {
        if (core_) core_->add_ref();
    }
    /// Another counted reference to o's task.
    TaskInfo(const TaskInfo& o) : TaskInfo(o.core_) {}
    /// Refers to o's task instead (releasing this one's reference).
    TaskInfo& operator=(const TaskInfo& o) {
        TaskInfo tmp(o);
        std::swap(core_, tmp.core_);
        return *this;
    }
    ~TaskInfo() {
        if (core_) core_->release();
    }
    /// True when this refers to a task.
    explicit operator bool() const noexcept { return core_ != nullptr; }
    /// The task's name (Task.get_name()); "" when there is no task.
    std::string get_name() const { return core_ ? core_->name() : std::string(); }
    /// True once the task has finished (Task.done()); false when there is no task.
    bool done() const noexcept { return core_ && core_->done(); }
    /// Requests the task's cancellation as Task::cancel() does; false if it is done or there is no task.
    bool cancel() { return core_ && core_->cancel(); }
    /// How many cancellation requests are outstanding (Task.cancelling()); 0 when there is no task.
    int cancelling() const noexcept { return core_ ? core_->cancel_requests : 0; }
    /// Withdraws one cancellation request (Task.uncancel()); returns the rest (0 when there is no task).
    int uncancel() { return core_ ? core_->uncancel() : 0; }
    /// True when both refer to the same task (or both to none).
    bool operator==(const TaskInfo& o) const noexcept { return core_ == o.core_; }
    /// True when this refers to the task of handle t (`current_task() is t` in Python).
    template <class T>
    bool is(const Task<T>& t) const noexcept {
        return core_ == detail::TaskAccess::core(t);
    }

private:
    friend struct detail::TaskAccess;
    detail::TaskCore* core_ = nullptr;
};

inline detail::TaskCore* detail::TaskAccess::core(const TaskInfo& t) noexcept { return t.core_; }

/// The task running now on this thread's loop (asyncio.current_task); empty in a callback.
TaskInfo current_task();
/// The loop's unfinished tasks (asyncio.all_tasks).
std::vector<TaskInfo> all_tasks();

}  // namespace aio

namespace aio {

namespace detail {
/// Runs `loop` until `core` is done (or stop() is called).
void run_loop_until_done(EventLoop& loop, TaskCore* core);
}  // namespace detail

template <class T>
T detail::run_until_complete(EventLoop& loop, Task<T>& task) {
    if (!task.valid()) throw InvalidStateError("run_until_complete() of an empty Task handle");
    if (!task.scheduled()) task = loop.create_task(std::move(task));
    detail::run_loop_until_done(loop, detail::TaskAccess::core(task));
    if (!task.done()) throw RuntimeError("the event loop stopped before the task completed");
    auto& p = detail::TaskAccess::handle(task).promise();
    p.flags |= detail::TaskCore::kRetrieved;
    if constexpr (std::is_void_v<T>) {
        detail::take_result<T, true>(p);
    } else {
        return detail::take_result<T, true>(p);
    }
}

}  // namespace aio
