// aio/locks.hpp — synchronisation between tasks of one loop (asyncio: locks.py).
//
//     auto held = co_await lock.acquire();     // async with lock:
//     ...                                      //     ...
//                                              // (released when `held` goes)
//
// Waiters are served in FIFO order, and ownership is handed over directly:
// release() gives the lock (or permit) to the first waiter, so nobody can
// overtake a waiting task. A waiter cancelled while queued leaves the queue;
// one cancelled after it was handed the lock keeps it (its guard releases
// it) and sees the cancellation at its next await — a wake-up is never lost.
// These primitives belong to the loop they are used on and are not
// thread-safe (as asyncio's).
// Cancellation: see docs/cancellation.md.
#pragma once

#include <coroutine>
#include <cstddef>
#include <functional>
#include <utility>

#include "aio/detail/wait_list.hpp"
#include "aio/task.hpp"

namespace aio {

/// Releases a lock or semaphore when it goes out of scope (the `async with` exit).
template <class Releasable>
class [[nodiscard]] Guard {
public:
    /// A guard that holds nothing.
    Guard() = default;
    /// Takes responsibility for releasing `r` (already acquired; not owned, must outlive the guard).
    explicit Guard(Releasable* r) noexcept : r_(r) {}
    /// Takes over o's responsibility; o then holds nothing.
    Guard(Guard&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    /// Releases what this guard holds, then takes over o's responsibility; o then holds nothing.
    Guard& operator=(Guard&& o) noexcept {
        if (this != &o) {
            release();
            r_ = std::exchange(o.r_, nullptr);
        }
        return *this;
    }
    ~Guard() { release(); }
    /// Releases now (idempotent).
    void release() {
        if (r_) std::exchange(r_, nullptr)->release();
    }
    /// Gives up responsibility without releasing.
    Releasable* dismiss() noexcept { return std::exchange(r_, nullptr); }
    /// True while the guard still has something to release.
    explicit operator bool() const noexcept { return r_ != nullptr; }

private:
    Releasable* r_ = nullptr;
};

namespace detail {

/// Awaiter of acquire(): Prim provides try_take() and a WaitList `waiters_`.
///
/// A task that has used its cooperative budget (kCoopBudget) yields *before*
/// taking the lock, never while holding it: otherwise an uncontended lock
/// would be held across a whole loop iteration, and every other task that
/// wants it would queue behind a holder that is not running (a convoy). The
/// yield queues the awaiter itself; when its turn comes it takes the lock and
/// resumes the task at once, or joins the waiters if someone took it first.
template <class Prim>
class AcquireAwaiter final : public WaitNode, private Runnable {
public:
    explicit AcquireAwaiter(Prim& p) noexcept : p_(p) {}
    bool await_ready() noexcept {
        if (!p_.waiters_.empty()) return false;
        if (!coop_take()) {
            yielding_ = true;  // budget used: yield first, take the lock after
            return false;
        }
        return p_.try_take();
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        TaskCore* t = h.promise().owner();
        if (!yielding_) {
            wait_on(p_.waiters_, t, h);
            return;
        }
        // While queued, request_cancel() declines (state idle): the
        // cancellation stays pending and retry() delivers it.
        task = t;
        t->suspend_on(this, h);
        run = &AcquireAwaiter::retry;
        t->ready()->push(static_cast<Runnable*>(this));
    }
    Guard<Prim> await_resume() {
        check();
        return Guard<Prim>(&p_);
    }

private:
    static void retry(Runnable* r) noexcept {
        auto* self = static_cast<AcquireAwaiter*>(r);
        TaskCore* t = self->task;
        if (t->take_pending_cancel()) {
            self->state = State::cancelled;  // cancelled before it held anything
        } else if (self->p_.waiters_.empty() && self->p_.try_take()) {
            self->state = State::granted;
        } else {
            // Taken while we yielded: wait in line like anyone else.
            self->state = State::waiting;
            self->p_.waiters_.push_back(self);
            return;
        }
        t->clear_wait();
        resume_task(t);  // resume the task now: it runs from the moment it holds the lock
    }

    Prim& p_;
    bool yielding_ = false;
};

}  // namespace detail

/// A mutex for tasks (asyncio.Lock).
class Lock {
public:
    Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    /// Waits for the lock; the guard releases it. Cancellation while queued
    /// raises CancelledError and leaves the lock alone.
    detail::AcquireAwaiter<Lock> acquire() noexcept { return detail::AcquireAwaiter<Lock>(*this); }
    /// Releases the lock (handing it to the first waiter).
    /// Throws RuntimeError if it is not locked.
    void release();
    /// True while some task holds the lock (Lock.locked()).
    bool locked() const noexcept { return locked_; }

private:
    friend class detail::AcquireAwaiter<Lock>;
    friend class Condition;
    bool try_take() noexcept {
        if (locked_) return false;
        locked_ = true;
        return true;
    }
    bool locked_ = false;
    detail::WaitList waiters_;
};

/// A flag tasks can wait for (asyncio.Event). An Event stays set until clear().
class Event {
public:
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    /// Sets the flag and wakes every waiter.
    void set() noexcept;
    /// Resets the flag: later wait() calls wait again until set() (Event.clear()).
    void clear() noexcept { set_ = false; }
    /// True while the flag is set (Event.is_set()).
    bool is_set() const noexcept { return set_; }

    /// The awaitable returned by wait(); co_await it once. Cancelling the waiting task throws
    /// CancelledError from the co_await and leaves the event alone.
    struct WaitAwaiter : detail::ListWait {
        Event& e;  ///< The event waited for.
        /// A wait on `ev` (which must outlive the awaiter).
        explicit WaitAwaiter(Event& ev) noexcept : ListWait(ev.waiters_), e(ev) {}
        /// True (no suspension) when the flag is already set.
        bool await_ready() const noexcept { return e.set_; }
        /// Returns true; throws CancelledError when the task was cancelled while (or just after) waiting.
        bool await_resume() const {
            check_no_result();
            return true;
        }
    };
    /// Waits until the flag is set; returns true (as asyncio's).
    WaitAwaiter wait() noexcept { return WaitAwaiter(*this); }

private:
    bool set_ = false;
    detail::WaitList waiters_;
};

/// A condition variable for tasks (asyncio.Condition), bound to a Lock.
class Condition {
public:
    /// Uses `lock` (which must outlive the condition), or a lock of its own.
    explicit Condition(Lock* lock = nullptr) : lock_(lock ? lock : &own_lock_) {}
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;

    /// The underlying lock's acquire/release/locked.
    detail::AcquireAwaiter<Lock> acquire() noexcept { return lock_->acquire(); }
    /// Releases the underlying lock; throws RuntimeError if it is not locked.
    void release() { lock_->release(); }
    /// True while the underlying lock is held.
    bool locked() const noexcept { return lock_->locked(); }

    /// Releases the lock, waits for notify(), re-acquires the lock (also when
    /// cancelled) and returns. Throws RuntimeError if the lock is not held.
    /// A waiter that fails after being notified passes the notification on.
    Task<> wait();
    /// wait() until predicate() is true (checked with the lock held); its last value.
    Task<bool> wait_for(std::function<bool()> predicate);
    /// Wakes up to n waiters. Throws RuntimeError if the lock is not held.
    void notify(std::size_t n = 1);
    /// Wakes every waiter (Condition.notify_all()). Throws RuntimeError if the lock is not held.
    void notify_all() { notify(waiters_.size()); }

private:
    void wake(std::size_t n) noexcept;
    Lock own_lock_;
    Lock* lock_;
    detail::WaitList waiters_;
};

/// A counter of permits (asyncio.Semaphore).
class Semaphore {
public:
    /// Throws ValueError for a negative value.
    explicit Semaphore(long value = 1);
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    virtual ~Semaphore() = default;

    /// Waits for a permit; the guard gives it back.
    detail::AcquireAwaiter<Semaphore> acquire() noexcept { return detail::AcquireAwaiter<Semaphore>(*this); }
    /// Returns a permit (handing it to the first waiter).
    virtual void release();
    /// True when acquire() would have to wait.
    bool locked() const noexcept { return value_ == 0 || !waiters_.empty(); }
    /// The number of free permits (asyncio's Semaphore._value): 0 while tasks wait.
    long value() const noexcept { return value_; }

protected:
    /// Returns a permit without any check: to the first waiter if there is one, else to the count.
    void do_release() noexcept;

private:
    friend class detail::AcquireAwaiter<Semaphore>;
    bool try_take() noexcept {
        if (value_ <= 0) return false;
        --value_;
        return true;
    }
    long value_;
    detail::WaitList waiters_;
};

/// A Semaphore that refuses to be released more than acquired (asyncio.BoundedSemaphore).
class BoundedSemaphore : public Semaphore {
public:
    /// `value` permits, which is also the most there can be. Throws ValueError for a negative value.
    explicit BoundedSemaphore(long value = 1) : Semaphore(value), bound_(value) {}
    /// Throws ValueError when it would exceed the initial value.
    void release() override;

private:
    long bound_;
};

/// The barrier was aborted or reset while a task waited (asyncio.BrokenBarrierError).
class BrokenBarrierError : public RuntimeError {
public:
    BrokenBarrierError() : RuntimeError("the barrier is broken") {}
};

/// Waits until `parties` tasks have arrived (asyncio.Barrier).
class Barrier {
public:
    /// Throws ValueError for parties < 1.
    explicit Barrier(std::size_t parties);
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

    /// Waits for the others; returns this task's arrival index (0 … parties-1).
    /// Throws BrokenBarrierError if the barrier is or becomes broken.
    Task<std::size_t> wait();
    /// Breaks the barrier: current and future waiters get BrokenBarrierError.
    void abort() noexcept;
    /// Back to the empty state; current waiters get BrokenBarrierError.
    void reset() noexcept;
    /// The number of tasks that must arrive to pass the barrier (Barrier.parties).
    std::size_t parties() const noexcept { return parties_; }
    /// The number of tasks waiting in wait() now (Barrier.n_waiting).
    std::size_t n_waiting() const noexcept { return waiters_.size(); }
    /// True once abort() broke the barrier (Barrier.broken); reset() mends it.
    bool broken() const noexcept { return broken_; }

private:
    struct Arrival;
    void wake_all(bool broken) noexcept;
    std::size_t parties_;
    bool broken_ = false;
    detail::WaitList waiters_;
};

}  // namespace aio
