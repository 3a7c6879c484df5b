// aio/detail/task_core.hpp — the state every coroutine frame of aio carries.
//
// Vocabulary (asyncio's):
// - A *task* is a unit of concurrency and of cancellation: the root frame made by
//   create_task / gather / run, plus every lazy Task it awaits (they run "inside" it,
//   as `await coro()` runs inside the current asyncio.Task).
// - A task is *suspended* on at most one Suspension at a time: the awaiter that
//   will resume it. Task::cancel() asks that Suspension to withdraw.
// - Resumption always goes through the loop's ready queue (never inline from a
//   completion), so an awaiter may still touch itself after registering a wait,
//   and a completion never recurses into user code.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <ratio>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "aio/detail/assert.hpp"

namespace aio {

class EventLoop;
using Clock = std::chrono::steady_clock;

namespace detail {

/// `d` on the loop's clock, saturated at the clock's limits: a delay meant as
/// "forever" (nanoseconds::max(), hours::max(), duration<double>(1e300))
/// stays the longest delay there is instead of overflowing into the past.
/// A NaN delay counts as none.
template <class Rep, class Period>
constexpr Clock::duration to_clock_duration(std::chrono::duration<Rep, Period> d) noexcept {
    using D = Clock::duration;
    using PerTick = std::ratio_divide<Period, D::period>;  // clock ticks per unit of d
    if constexpr (std::is_same_v<std::chrono::duration<Rep, Period>, D>) {
        return d;
    } else if constexpr (std::is_integral_v<Rep> && PerTick::den == 1) {
        // Whole ticks per unit (ms, s, hours): an exact integer bound, checked
        // on every sleep and every server deadline, so no floating point.
        constexpr std::intmax_t k = PerTick::num;
        if (std::cmp_greater(d.count(), D::max().count() / k)) return D::max();
        if (std::cmp_less(d.count(), D::min().count() / k)) return D::min();
        return D(static_cast<D::rep>(d.count()) * k);
    } else {
        // Floating or finer than a tick: seconds as long double (64-bit
        // mantissa), where only which side of the limit matters.
        const long double s = static_cast<long double>(d.count()) * Period::num / Period::den;
        constexpr long double limit = static_cast<long double>(D::max().count()) * D::period::num / D::period::den;
        if (s != s) return D::zero();
        if (s >= limit) return D::max();
        if (s <= -limit) return D::min();
        return std::chrono::duration_cast<D>(d);
    }
}

/// `t + d`, saturated at the clock's limits (a deadline "forever" from now).
constexpr Clock::time_point add_saturating(Clock::time_point t, Clock::duration d) noexcept {
    Clock::rep r = 0;
    if (__builtin_add_overflow(t.time_since_epoch().count(), d.count(), &r))
        return d.count() > 0 ? Clock::time_point::max() : Clock::time_point::min();
    return Clock::time_point(Clock::duration(r));
}

/// Clock::now() + d, saturated (a deadline "forever" from now).
template <class Rep, class Period>
Clock::time_point deadline_after(std::chrono::duration<Rep, Period> d) noexcept {
    return add_saturating(Clock::now(), to_clock_duration(d));
}

/// What the loop's ready queue links through: an entry's `next_ready` is
/// the next entry's address with bit 0 set when that entry is a task
/// (TaskCore), clear when it is a Runnable. Tasks carry no function pointer
/// of their own: every byte of a task counts when a million are pending.
/// (A task that is not queued keeps its Suspension here: TaskCore::waiting_on.)
struct ReadyLink {
    std::uintptr_t next_ready = 0;  // 0: last entry, or not queued
};

/// An entry of the loop's ready queue other than a task (a callback, an
/// executor result, ...): intrusive, no allocation to schedule.
struct Runnable : ReadyLink {
    void (*run)(Runnable*) noexcept = nullptr;
};

class TaskCore;

/// The loop's ready queue: FIFO, intrusive (scheduling allocates nothing).
struct ReadyQueue {
    static constexpr std::uintptr_t kTaskBit = 1;
    std::uintptr_t head = 0;
    std::uintptr_t* tail = &head;
    EventLoop* loop = nullptr;  // the loop that owns this queue

    /// The entry a link designates (null for 0), and whether it is a task.
    static ReadyLink* entry(std::uintptr_t link) noexcept { return reinterpret_cast<ReadyLink*>(link & ~kTaskBit); }
    static bool is_task(std::uintptr_t link) noexcept { return (link & kTaskBit) != 0; }

    /// Queues `r`, which must not be queued already (an entry taken off the
    /// queue has next_ready reset to 0 by the loop before it runs).
    void push(Runnable* r) noexcept { push_link(r, reinterpret_cast<std::uintptr_t>(static_cast<ReadyLink*>(r))); }
    /// Queues a task (same rule): it must wait on nothing (TaskCore::wake).
    inline void push(TaskCore* t) noexcept;
    /// Detaches everything queued so far (entries queued later form a new batch).
    std::uintptr_t take_all() noexcept {
        std::uintptr_t r = head;
        head = 0;
        tail = &head;
        return r;
    }
    bool empty() const noexcept { return head == 0; }

private:
    void push_link(ReadyLink* e, std::uintptr_t link) noexcept {
        AIO_ASSERT(e->next_ready == 0 && tail != &e->next_ready,
                   "an entry (task or callback) was pushed on the ready queue twice");
        e->next_ready = 0;
        *tail = link;
        tail = &e->next_ready;
    }
};

/// An entry of the loop's timer heap (intrusive, O(log n) insert and removal).
struct TimerNode {
    static constexpr std::uint32_t kNotInHeap = UINT32_MAX;
    Clock::time_point deadline{};
    std::uint64_t seq = 0;  // tie-break: equal deadlines fire in the order they were set
    std::uint32_t heap_index = kNotInHeap;
    void (*fire)(TimerNode*) noexcept = nullptr;
    bool armed() const noexcept { return heap_index != kNotInHeap; }
};

/// What a suspended task waits on. Task::cancel() calls request_cancel() on it.
struct Suspension {
    /// Try to withdraw the wait. Returns true when the cancellation has been
    /// taken in hand (the task will be resumed and see CancelledError, or the
    /// request was forwarded, e.g. to an awaited task); false when it cannot
    /// be (the wait already completed), in which case the request stays
    /// pending and is delivered at the task's next suspension.
    virtual bool request_cancel() noexcept = 0;

protected:
    ~Suspension() = default;
};

struct ContextData;

/// Something to tell when a task finishes (an awaiting task, gather, wait, ...).
struct CompletionWaiter {
    CompletionWaiter* next = nullptr;
    void (*notify)(CompletionWaiter*, TaskCore&) noexcept = nullptr;
};

/// Rarely used parts of a task, made on first use and kept outside the
/// frame (a table keyed by the task; TaskCore::kHasExtras says there is one).
struct TaskExtras {
    std::string name;
    std::vector<std::function<void()>> done_callbacks;
};

/// Coroutine frame state shared by every aio::Task frame. For a root frame
/// (a task) all of it is used; a lazily awaited frame uses resume_point,
/// owner and exception only.
///
/// The promise object of every frame whose promise derives from TaskCore
/// starts with it, at kFramePromiseOffset from the frame's address (where
/// g++ and clang place a promise aligned to at most 16): that is how a task
/// finds its own frame to destroy, without a field for it.
class TaskCore : public ReadyLink {
public:
    enum Flag : std::uint16_t {
        kRoot = 1 << 0,           // scheduled as a task of its own
        kStarted = 1 << 1,        // the body has begun (or been awaited)
        kDone = 1 << 2,           // finished: value, exception or cancelled
        kCancelled = 1 << 3,      // finished by CancelledError
        kCancelPending = 1 << 4,  // a cancel() waits for the next suspension
        kRetrieved = 1 << 5,      // someone looked at the outcome
        kQuiet = 1 << 6,          // do not report an unretrieved exception
        kResultMoved = 1 << 7,    // the sole owner moved the value out
        kHasValue = 1 << 8,       // Promise<T> holds a value (set by co_return)
        kQueued = 1 << 9,         // on the ready queue: next_ready is the queue's link
        kHasExtras = 1 << 10,     // the task has TaskExtras (a name, done callbacks)
    };

    // --- every frame ---
    // A lazily awaited frame: the frame awaiting it (its continuation).
    // A root frame: the innermost suspended frame of the task, where it resumes.
    std::coroutine_handle<> resume_point;

private:
    // A root frame keeps its loop's ready queue (wake() is on every hot path);
    // a lazily awaited frame keeps the task it runs in (owner() of a root is
    // itself). One field serves both: a frame is one or the other.
    union {
        ReadyQueue* ready_;
        TaskCore* owner_;
    };

public:
    std::exception_ptr exception;

    // --- task (root frames) ---
    // What the task waits on (waiting_on()) shares ReadyLink::next_ready: a
    // task on the ready queue waits on nothing, a suspended one is not queued.
    CompletionWaiter* waiters = nullptr;
    ContextData* context = nullptr;  // the task's contextvars (counted; null: empty)
    std::uint32_t refs = 0;    // handles + 1 while running
    std::uint32_t number = 0;  // for the default name, "Task-<number>"
    std::uint16_t flags = 0;
    std::uint16_t cancel_requests = 0;  // asyncio's Task.cancelling()
    std::uint32_t loop_index = 0;  // where the loop's list of pending tasks (all_tasks) holds it

    TaskCore() noexcept : owner_(this) {}
    TaskCore(const TaskCore&) = delete;
    TaskCore& operator=(const TaskCore&) = delete;
    ~TaskCore();

    bool has(Flag f) const noexcept { return (flags & f) != 0; }
    bool done() const noexcept { return has(kDone); }
    /// The task this frame runs in: itself for a root frame; for a lazily
    /// awaited frame, the task that awaited it (itself before that).
    TaskCore* owner() noexcept { return has(kRoot) ? this : owner_; }
    /// A lazily awaited frame runs in `task` from now on.
    void set_owner(TaskCore* task) noexcept {
        AIO_ASSERT(!has(kRoot), "set_owner() on a task");
        owner_ = task;
    }
    /// The ready queue of the task's loop (root frames only).
    ReadyQueue* ready() const noexcept {
        AIO_ASSERT(has(kRoot), "ready() of a frame that is not a task");
        return ready_;
    }
    /// The loop the task runs on (null for a frame that has not started).
    /// Kept through the ready queue, not in a field of its own: every byte of
    /// a frame counts when a million tasks are pending.
    EventLoop* loop() const noexcept {
        if (has(kRoot)) return ready_->loop;
        return owner_ != this ? owner_->loop() : nullptr;
    }
    /// This frame (valid for a frame whose promise derives from TaskCore).
    std::coroutine_handle<> frame() noexcept {
        return std::coroutine_handle<>::from_address(reinterpret_cast<char*>(this) - kFramePromiseOffset);
    }
    static constexpr std::size_t kFramePromiseOffset = 2 * sizeof(void*);

    // --- used by awaiters, on the loop's thread ---

    /// The Suspension the task is suspended on (null when it is running,
    /// queued, or done).
    Suspension* waiting_on() const noexcept {
        return has(kQueued) ? nullptr : reinterpret_cast<Suspension*>(next_ready);
    }
    /// Suspends the task on `s`, to be resumed at `h`.
    void suspend_on(Suspension* s, std::coroutine_handle<> h) noexcept {
        AIO_ASSERT(!has(kQueued), "a task on the ready queue was suspended");
        next_ready = reinterpret_cast<std::uintptr_t>(s);
        resume_point = h;
    }
    /// The task waits on nothing any more (a queued task already does not).
    void clear_wait() noexcept {
        if (!has(kQueued)) next_ready = 0;
    }
    /// The wait completed: put the task on the ready queue. The task waits on
    /// nothing any more (a cancel() from now on stays pending until it resumes).
    void wake() noexcept {
        clear_wait();
        ready()->push(this);
    }
    /// Delivers a cancel() that arrived while the task was not suspended:
    /// call right after suspend_on(); asks the Suspension to withdraw.
    void deliver_pending_cancel() noexcept;
    /// Consumes a pending cancellation (for awaits that complete without suspending).
    bool take_pending_cancel() noexcept {
        if (!has(kCancelPending)) return false;
        flags &= ~kCancelPending;
        return true;
    }

    // --- the future API of a task (Task<T> forwards here) ---
    bool cancel() noexcept;
    int uncancel() noexcept;
    void add_waiter(CompletionWaiter* w) noexcept {
        w->next = waiters;
        waiters = w;
    }
    void remove_waiter(CompletionWaiter* w) noexcept;
    void add_done_callback(std::function<void()> f);
    const std::string& name();
    void set_name(std::string n);
    /// Throws InvalidStateError unless done; rethrows the exception (or CancelledError).
    void rethrow_if_failed();

    // --- lifecycle ---
    /// How start_in runs the first step: on the ready queue, or at once
    /// (eager) when the loop runs; kLoopDefault asks LoopOptions::eager_tasks.
    enum class Start : std::uint8_t { kLoopDefault, kEager };
    /// Makes this (lazy, unstarted) frame a task of `loop` (in a copy of the
    /// current context) and schedules its first step, or runs it now (eager).
    /// The loop must be open (create_task and gather check it once).
    /// Throws std::bad_alloc (and changes nothing) when the loop's list of
    /// tasks cannot grow.
    void start_in(EventLoop& loop, std::coroutine_handle<> self, Start how = Start::kLoopDefault);
    /// Called at final suspension of frame `self`; returns the frame to resume next.
    std::coroutine_handle<> on_final_suspend(std::coroutine_handle<> self) noexcept;
    /// Gives up on a task that can never finish (its loop is shutting down):
    /// marks it done and cancelled and drops the running reference.
    void abandon() noexcept;
    void add_ref() noexcept { ++refs; }
    void release() noexcept;

private:
    void finish_task() noexcept;
    TaskExtras& extras();  // made on first use
    TaskExtras* extras_if_any() noexcept;
};

inline void ReadyQueue::push(TaskCore* t) noexcept {
    push_link(t, reinterpret_cast<std::uintptr_t>(static_cast<ReadyLink*>(t)) | kTaskBit);
    t->flags |= TaskCore::kQueued;
}

/// One step of a task, as the loop runs it from the ready queue.
void resume_task(TaskCore* task) noexcept;

/// Handoff budget for symmetric transfer. Every loop step starts with this many
/// direct frame-to-frame transfers; when it runs out the next transfer goes back
/// through the ready queue. This bounds stack depth where symmetric transfer is
/// not a tail call (GCC PR 94794: -O0 and sanitizer builds), at the cost of one
/// queue hop per kTransferBudget synchronous completions. 64 frames of a few
/// hundred bytes of stack each stay far below the 8 MiB main-thread stack
/// even unoptimized, and one hop in 64 costs under 2% of a chain.
inline constexpr int kTransferBudget = 64;

/// Resume `h` (a frame of `task`) now if the budget allows, else via the loop.
std::coroutine_handle<> transfer_to(TaskCore* task, std::coroutine_handle<> h) noexcept;

/// Timers of the loop a task runs on (the loop is opaque to public headers).
void add_timer(TaskCore* task, TimerNode* node);
void remove_timer(TaskCore* task, TimerNode* node) noexcept;
/// A delay with the loop's AIO_TIME_SCALE applied.
Clock::duration scaled_delay(TaskCore* task, Clock::duration d) noexcept;

/// The task whose frame the loop is running on this thread (nullptr in callbacks).
TaskCore* current_core() noexcept;

/// The loop-independent part of reporting: formats and sends an unretrieved
/// exception of `core` to its loop's exception handler.
void report_unretrieved(TaskCore& core) noexcept;

}  // namespace detail
}  // namespace aio
