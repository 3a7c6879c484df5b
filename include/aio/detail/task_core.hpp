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
#include <string>
#include <vector>

#include "aio/detail/assert.hpp"

namespace aio {

class EventLoop;
using Clock = std::chrono::steady_clock;

namespace detail {

/// An entry of the loop's ready queue (intrusive: no allocation to schedule).
struct Runnable {
    Runnable* next_ready = nullptr;
    void (*run)(Runnable*) noexcept = nullptr;
};

/// The loop's ready queue: FIFO, intrusive (scheduling allocates nothing).
struct ReadyQueue {
    Runnable* head = nullptr;
    Runnable** tail = &head;
    EventLoop* loop = nullptr;  // the loop that owns this queue
    /// Queues `r`, which must not be queued already (an entry taken off the
    /// queue has next_ready reset to null by the loop before it runs).
    void push(Runnable* r) noexcept {
        AIO_ASSERT(r->next_ready == nullptr && tail != &r->next_ready,
                   "an entry (task or callback) was pushed on the ready queue twice");
        r->next_ready = nullptr;
        *tail = r;
        tail = &r->next_ready;
    }
    /// Detaches everything queued so far (entries queued later form a new batch).
    Runnable* take_all() noexcept {
        Runnable* r = head;
        head = nullptr;
        tail = &head;
        return r;
    }
    bool empty() const noexcept { return head == nullptr; }
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

class TaskCore;
struct ContextData;

/// Something to tell when a task finishes (an awaiting task, gather, wait, ...).
struct CompletionWaiter {
    CompletionWaiter* next = nullptr;
    void (*notify)(CompletionWaiter*, TaskCore&) noexcept = nullptr;
};

/// Rarely used parts of a task, allocated on first use.
struct TaskExtras {
    std::string name;
    std::vector<std::function<void()>> done_callbacks;
};

/// Coroutine frame state shared by every aio::Task frame. For a root frame
/// (a task) all of it is used; a lazily awaited frame uses continuation,
/// owner and exception only.
class TaskCore : public Runnable {
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
    };

    // --- every frame ---
    // A lazily awaited frame: the frame awaiting it (its continuation).
    // A root frame: the innermost suspended frame of the task, where it resumes.
    std::coroutine_handle<> resume_point;
    TaskCore* owner = nullptr;  // the task this frame runs in (itself for a root)
    std::exception_ptr exception;

    // --- task (root frames) ---
    std::coroutine_handle<> frame;  // this root frame, destroyed with the last reference
    Suspension* waiting_on = nullptr;
    CompletionWaiter* waiters = nullptr;
    TaskExtras* extras = nullptr;
    TaskCore* prev_task = nullptr;  // the loop's list of pending tasks (all_tasks)
    TaskCore* next_task = nullptr;
    ReadyQueue* ready = nullptr;  // the loop's ready queue (wake() is on every hot path)
    ContextData* context = nullptr;  // the task's contextvars (counted; null: empty)
    std::uint32_t refs = 0;    // handles + 1 while running
    std::uint32_t number = 0;  // for the default name, "Task-<number>"
    std::uint16_t flags = 0;
    std::uint16_t cancel_requests = 0;  // asyncio's Task.cancelling()

    TaskCore() noexcept = default;
    TaskCore(const TaskCore&) = delete;
    TaskCore& operator=(const TaskCore&) = delete;
    ~TaskCore();

    bool has(Flag f) const noexcept { return (flags & f) != 0; }
    bool done() const noexcept { return has(kDone); }
    /// The loop the task runs on (null for a frame that has not started).
    /// Kept through the ready queue, not in a field of its own: every byte of
    /// a frame counts when a million tasks are pending.
    EventLoop* loop() const noexcept { return ready ? ready->loop : nullptr; }

    // --- used by awaiters, on the loop's thread ---

    /// Suspends the task on `s`, to be resumed at `h`.
    void suspend_on(Suspension* s, std::coroutine_handle<> h) noexcept {
        waiting_on = s;
        resume_point = h;
    }
    /// The wait completed: put the task on the ready queue. The task waits on
    /// nothing any more (a cancel() from now on stays pending until it resumes).
    void wake() noexcept {
        waiting_on = nullptr;
        ready->push(this);
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
    void start_in(EventLoop& loop, std::coroutine_handle<> self, Start how = Start::kLoopDefault) noexcept;
    /// Called at final suspension of frame `self`; returns the frame to resume next.
    std::coroutine_handle<> on_final_suspend(std::coroutine_handle<> self) noexcept;
    /// Gives up on a task that can never finish (its loop is shutting down):
    /// marks it done and cancelled and drops the running reference.
    void abandon() noexcept;
    void add_ref() noexcept { ++refs; }
    void release() noexcept;

private:
    void finish_task() noexcept;
};

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
