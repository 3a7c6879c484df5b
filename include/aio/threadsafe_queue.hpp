// aio/threadsafe_queue.hpp — a queue between loops and threads (Python: janus.Queue;
// asyncio has none: its Queue belongs to one loop).
//
//     aio::ThreadSafeQueue<Job> q(1000);      // maxsize 1000 (0: unbounded)
//     // a task on any loop:                   // a plain thread:
//     co_await q.put(std::move(job));          q.put_blocking(std::move(job));
//     Job j = co_await q.get();                Job k = q.get_blocking();
//     q.put_nowait(job2);                      // any thread: QueueFull when full
//
// Any number of producers and consumers, on any loops and threads. A task
// that must wait (get() while empty, put() while full) parks on the queue and
// is woken on its own loop through that loop's thread-safe inbox; its loop
// runs other tasks meanwhile. Items go straight from a putter to the first
// parked getter, and from the first parked putter into the queue when a
// getter makes room (FIFO among the waiting tasks). Items from one producer
// reach one consumer in the order they were put.
//
// Cost: every call takes one mutex. A loop is woken (a post to its inbox,
// and an eventfd write if it sleeps) only when one of its tasks is actually
// parked: a producer feeding a busy consumer makes no system call, and a
// parked consumer is woken once for everything that arrives before it runs.
// A task that parks allocates one small waker. Plain threads in
// put_blocking()/get_blocking() are notified only when one is blocked.
//
// Cancellation (as aio::Queue): a getter cancelled while parked takes
// nothing (CancelledError); one cancelled after it was handed an item still
// returns it, and the cancellation arrives at its next await. A putter
// cancelled while parked puts nothing; one already let in returns normally.
// A parked task whose frame is destroyed without resuming (its loop closed)
// gives the item it was handed back to the front of the queue (which may
// then hold one more than maxsize): no item is ever lost.
//
// shutdown(immediate = false) (asyncio 3.13's Queue.shutdown): put() raises
// QueueShutDown from then on; get() drains what is left, then raises
// QueueShutDown. With immediate = true the items are dropped at once and
// waiting getters raise too. Parked tasks and blocked threads are woken.
//
// Lifetime: the queue must outlive every call on it that is still in
// progress: destroy it only once no thread is inside put_blocking() or
// get_blocking(), and no task will resume from get()/put(). The destructor
// shuts the queue down (immediate): tasks still parked are woken with
// QueueShutDown and touch nothing of the queue when they resume, so a queue
// may be destroyed while loops still have tasks parked on it, as long as
// those loops go on running (or close) after it. What it cannot cover: a
// task already handed an item whose frame is destroyed, unresumed, after
// the queue (it would give the item back to a queue that is gone).
//
// No join()/task_done() (janus has them): count completions yourself.
#pragma once

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

#include "aio/detail/remote_wake.hpp"
#include "aio/detail/wait_list.hpp"
#include "aio/events.hpp"
#include "aio/exceptions.hpp"
#include "aio/queues.hpp"

namespace aio {

namespace detail {

/// A task parked on a ThreadSafeQueue: lives in the awaiter, in the task's
/// frame. `prev`/`next` are guarded by the queue's lock; `state` is written
/// under it and read by the task after it resumes.
struct CrossWait : Suspension {
    enum class State : unsigned char {
        kIdle,       // not parked (the fast path, or done at once)
        kParked,     // in the queue's list of waiters
        kGranted,    // handed what it waited for (an item, or room)
        kShut,       // woken by shutdown()
        kCancelled,  // withdrawn by Task::cancel()
    };
    std::atomic<State> state{State::kIdle};
    CrossWait* prev = nullptr;
    CrossWait* next = nullptr;
    RemoteWaker* waker = nullptr;  // loop thread: ours while parked (and the list's, until posted)
    bool suspended = false;        // loop thread: parked, not yet resumed
    bool yield = false;            // loop thread: done at once, yielding its turn (kCoopBudget)
    bool putter = false;           // which list it parks on

    /// Loop thread: the wait is over; drops `refs` references to the waker
    /// (the awaiter's, and the list's if the waker was never posted).
    void drop_waker(int refs) noexcept {
        if (!waker) return;
        waker->task = nullptr;
        waker->release(refs);
        waker = nullptr;
    }
    /// Loop thread, in await_resume(): ends the wait; throws CancelledError
    /// if it was withdrawn, QueueShutDown if shutdown() ended it.
    void end_wait() {
        suspended = false;
        drop_waker(1);
        State s = state.load(std::memory_order_acquire);
        if (s == State::kCancelled) throw CancelledError();
        if (s == State::kShut) throw QueueShutDown();
    }
};

class CrossWaitList {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    void push_back(CrossWait* n) noexcept {
        n->prev = tail_;
        n->next = nullptr;
        (tail_ ? tail_->next : head_) = n;
        tail_ = n;
    }
    void remove(CrossWait* n) noexcept {
        (n->prev ? n->prev->next : head_) = n->next;
        (n->next ? n->next->prev : tail_) = n->prev;
        n->prev = n->next = nullptr;
    }
    CrossWait* pop_front() noexcept {
        CrossWait* n = head_;
        if (n) remove(n);
        return n;
    }

private:
    CrossWait* head_ = nullptr;
    CrossWait* tail_ = nullptr;
};

/// What one call must tell others once it has let go of the queue's lock:
/// tasks to wake on their loops, threads to notify.
struct CrossWakeups {
    RemoteWaker* wakers = nullptr;
    bool notify_getter = false;
    bool notify_putter = false;
    bool notify_all = false;
    /// Grants `n` (under the lock): its waker is posted by send().
    void grant(CrossWait* n, CrossWait::State s) noexcept {
        n->state.store(s, std::memory_order_release);
        n->waker->next = wakers;
        wakers = n->waker;  // the list's reference goes with the post
    }
};

}  // namespace detail

/// A FIFO queue shared by tasks of any loops and plain threads (see the file
/// comment). Not copyable, not movable: waiters point at it.
template <class T>
class ThreadSafeQueue {
public:
    /// maxsize <= 0: unbounded.
    explicit ThreadSafeQueue(long maxsize = 0) : maxsize_(maxsize > 0 ? static_cast<std::size_t>(maxsize) : 0) {}
    ThreadSafeQueue(const ThreadSafeQueue&) = delete;
    ThreadSafeQueue& operator=(const ThreadSafeQueue&) = delete;
    /// shutdown(true): see the file comment for who may still be waiting.
    ~ThreadSafeQueue() { shutdown(true); }

    /// The number of items now (another thread may change it at once).
    std::size_t qsize() const {
        std::lock_guard lock(mu_);
        return items_.size();
    }
    /// True when the queue holds no item now (another thread may change it at once).
    bool empty() const { return qsize() == 0; }
    /// True when a bounded queue holds maxsize() items or more now; never for an unbounded one.
    bool full() const {
        std::lock_guard lock(mu_);
        return full_locked();
    }
    /// 0 for an unbounded queue.
    std::size_t maxsize() const noexcept { return maxsize_; }
    /// True once shutdown() was called.
    bool is_shutdown() const {
        std::lock_guard lock(mu_);
        return shutdown_;
    }

    // --- put ---

    /// Puts `v` now, from any thread (a task, a callback, a plain thread).
    /// Throws QueueFull if the queue is full, QueueShutDown after shutdown().
    void put_nowait(T v) {
        detail::CrossWakeups wake;
        {
            std::lock_guard lock(mu_);
            if (shutdown_) throw QueueShutDown();
            if (full_locked()) throw QueueFull();
            place(std::move(v), wake);
        }
        send(wake);
    }

    /// Puts `v` from a plain thread, blocking it while the queue is full.
    /// Throws QueueShutDown after shutdown() (also when it comes while
    /// blocked: the item is then not put), RuntimeError on a thread that runs
    /// an event loop (it would block the loop: co_await put() there).
    void put_blocking(T v) {
        refuse_on_loop("put_blocking");
        detail::CrossWakeups wake;
        {
            std::unique_lock lock(mu_);
            while (!shutdown_ && full_locked()) {
                ++blocked_putters_;
                not_full_.wait(lock);
                --blocked_putters_;
            }
            if (shutdown_) throw QueueShutDown();
            place(std::move(v), wake);
        }
        send(wake);
    }

    /// The awaitable returned by put(); co_await it once, in a task on any loop.
    struct PutAwaiter final : detail::CrossWait {
        ThreadSafeQueue& q;       ///< The queue put to.
        std::optional<T> item;    ///< The item, until it goes into the queue or to a getter.
        /// A put of `v` into `queue` (which must outlive the awaiter: see the file comment).
        PutAwaiter(ThreadSafeQueue& queue, T v) : q(queue), item(std::move(v)) { putter = true; }
        PutAwaiter(const PutAwaiter&) = delete;
        ~PutAwaiter() {
            if (suspended) q.leave(this, nullptr);
        }
        /// Puts the item at once when there is room and no putter is parked (true, unless the task has
        /// used its cooperative budget and must yield first); true on a shut-down queue; false to park.
        bool await_ready() { return q.ready_now(*this); }
        /// Parks the task behind earlier putters until a getter makes room or the queue shuts down (it
        /// is woken on its own loop); if room was made meanwhile, puts at once and only yields its turn.
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) {
            q.park(*this, h);
        }
        /// The task's cancellation: leaves the queue's waiters (nothing put) and wakes the task (true);
        /// false when it was already let in (the put stands, the cancellation waits for the next await).
        bool request_cancel() noexcept override { return suspended && q.withdraw(this); }
        /// Throws CancelledError if the task was cancelled while parked, QueueShutDown if the queue was
        /// shut down before the item went in.
        void await_resume() { end_wait(); }

    private:
        friend class ThreadSafeQueue;
        /// With the queue's lock held: puts the item, or sees the queue shut down (true); false when
        /// the task must park (the queue is full, or earlier putters wait).
        bool try_now(detail::CrossWakeups& wake) {
            if (q.shutdown_) {
                state.store(State::kShut, std::memory_order_relaxed);
                return true;
            }
            if (!q.putters_.empty() || q.full_locked()) return false;
            q.place(std::move(*item), wake);
            return true;
        }
    };
    /// Puts `v` from a task on any loop, waiting (on that loop, without
    /// blocking it) while the queue is full. Throws QueueShutDown after
    /// shutdown(), CancelledError (nothing put) when cancelled while waiting.
    /// The item is kept in the awaiter, in the task's frame, until it is put.
    PutAwaiter put(T v) { return PutAwaiter(*this, std::move(v)); }

    // --- get ---

    /// Removes and returns an item now, from any thread. Throws QueueEmpty,
    /// or QueueShutDown once shut down and empty.
    T get_nowait() {
        detail::CrossWakeups wake;
        std::optional<T> v;
        {
            std::lock_guard lock(mu_);
            if (items_.empty()) {
                if (shutdown_) throw QueueShutDown();
                throw QueueEmpty();
            }
            v.emplace(take(wake));
        }
        send(wake);
        return std::move(*v);
    }

    /// Removes and returns an item on a plain thread, blocking it while the
    /// queue is empty. Throws QueueShutDown once shut down and empty,
    /// RuntimeError on a thread that runs an event loop (co_await get() there).
    T get_blocking() {
        refuse_on_loop("get_blocking");
        detail::CrossWakeups wake;
        std::optional<T> v;
        {
            std::unique_lock lock(mu_);
            while (items_.empty() && !shutdown_) {
                ++blocked_getters_;
                not_empty_.wait(lock);
                --blocked_getters_;
            }
            if (items_.empty()) throw QueueShutDown();
            v.emplace(take(wake));
        }
        send(wake);
        return std::move(*v);
    }

    /// The awaitable returned by get(); co_await it once, in a task on any loop.
    struct GetAwaiter final : detail::CrossWait {
        ThreadSafeQueue& q;  ///< The queue taken from.
        /// The item taken, until returned; written under the queue's lock by a putter that hands one over.
        std::optional<T> slot;
        /// A get from `queue` (which must outlive the awaiter: see the file comment).
        explicit GetAwaiter(ThreadSafeQueue& queue) noexcept : q(queue) {}
        GetAwaiter(const GetAwaiter&) = delete;
        ~GetAwaiter() {
            if (suspended) q.leave(this, &slot);
        }
        /// Takes an item at once when there is one (true, unless the task has used its cooperative budget
        /// and must yield first); true on a shut-down, empty queue; false to park.
        bool await_ready() { return q.ready_now(*this); }
        /// Parks the task behind earlier getters until an item is handed to it or the queue shuts down
        /// (it is woken on its own loop); if an item arrived meanwhile, takes it and only yields its turn.
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) {
            q.park(*this, h);
        }
        /// The task's cancellation: leaves the queue's waiters (nothing taken) and wakes the task (true);
        /// false when an item was already handed to it (it is returned, the cancellation waits).
        bool request_cancel() noexcept override { return suspended && q.withdraw(this); }
        /// The item. Throws CancelledError if the task was cancelled while parked, QueueShutDown if the
        /// queue was shut down and empty.
        T await_resume() {
            end_wait();
            return std::move(*slot);
        }

    private:
        friend class ThreadSafeQueue;
        /// With the queue's lock held: takes an item, or sees the queue shut down and empty (true);
        /// false when the task must park (the queue is empty).
        bool try_now(detail::CrossWakeups& wake) {
            if (!q.items_.empty()) {
                slot.emplace(q.take(wake));
                return true;
            }
            if (!q.shutdown_) return false;
            state.store(State::kShut, std::memory_order_relaxed);
            return true;
        }
    };
    /// Removes and returns an item in a task on any loop, waiting (on that
    /// loop, without blocking it) while the queue is empty. Throws
    /// QueueShutDown once shut down and empty; CancelledError (nothing taken)
    /// when cancelled while waiting; see the file comment for a cancel that
    /// comes after an item was handed over.
    GetAwaiter get() noexcept { return GetAwaiter(*this); }

    // --- shutdown ---

    /// Stops the queue (see the file comment); any thread. Items dropped by
    /// immediate = true are destroyed here, outside the lock.
    void shutdown(bool immediate = false) {
        detail::CrossWakeups wake;
        std::deque<T> dropped;
        {
            std::lock_guard lock(mu_);
            shutdown_ = true;
            if (immediate) dropped.swap(items_);
            while (detail::CrossWait* p = putters_.pop_front()) wake.grant(p, detail::CrossWait::State::kShut);
            if (items_.empty()) {
                while (detail::CrossWait* g = getters_.pop_front()) wake.grant(g, detail::CrossWait::State::kShut);
            }
            wake.notify_all = blocked_getters_ + blocked_putters_ != 0;
        }
        send(wake);
    }

private:
    bool full_locked() const noexcept { return maxsize_ != 0 && items_.size() >= maxsize_; }

    static void refuse_on_loop(const char* what) {
        if (running_loop_or_null())
            throw RuntimeError(std::string("ThreadSafeQueue::") + what +
                               "() on a thread that runs an event loop would block it: co_await the async form");
    }

    /// await_ready() of get() and put(): the call done at once (`a.try_now()`, under the lock), or
    /// false to park; also false, with `a.yield` set, when done but the task must yield its turn.
    template <class Awaiter>
    bool ready_now(Awaiter& a) {
        detail::CrossWakeups wake;
        {
            std::lock_guard lock(mu_);
            if (!a.try_now(wake)) return false;
        }
        send(wake);
        if (a.state.load(std::memory_order_relaxed) == detail::CrossWait::State::kShut) return true;
        if (detail::coop_take()) return true;
        a.yield = true;
        return false;
    }

    /// await_suspend() of get() and put(). Unless the task only yields its turn, tries once more
    /// (another thread may have acted since await_ready()), else parks it on its list with a waker
    /// (made before the lock is taken, so the lock is never held across an allocation).
    template <class Awaiter, class P>
    void park(Awaiter& a, std::coroutine_handle<P> h) {
        detail::TaskCore* task = h.promise().owner();
        if (!a.yield) {
            a.waker = detail::RemoteWaker::make(task, 2);
            detail::CrossWakeups wake;
            {
                std::lock_guard lock(mu_);
                if (!a.try_now(wake)) {
                    a.state.store(detail::CrossWait::State::kParked, std::memory_order_relaxed);
                    list_of(&a).push_back(&a);
                    a.suspended = true;
                }
            }
            send(wake);
            if (a.suspended) {
                task->suspend_on(&a, h);
                task->deliver_pending_cancel();
                return;
            }
            a.drop_waker(2);
        }
        task->resume_point = h;  // done at once: resume on the loop's next turn
        task->wake();
    }

    /// Adds an item (lock held): to the first parked getter, else to the items.
    void place(T&& v, detail::CrossWakeups& wake) {
        if (detail::CrossWait* g = getters_.pop_front()) {
            static_cast<GetAwaiter*>(g)->slot.emplace(std::move(v));
            wake.grant(g, detail::CrossWait::State::kGranted);
            return;
        }
        items_.push_back(std::move(v));
        if (blocked_getters_ != 0) wake.notify_getter = true;
    }

    /// Takes the first item (lock held) and lets the first parked putter in.
    T take(detail::CrossWakeups& wake) {
        T v = std::move(items_.front());
        items_.pop_front();
        if (detail::CrossWait* p = putters_.pop_front()) {
            auto* put = static_cast<PutAwaiter*>(p);
            items_.push_back(std::move(*put->item));
            put->item.reset();
            wake.grant(p, detail::CrossWait::State::kGranted);
        } else if (blocked_putters_ != 0) {
            wake.notify_putter = true;
        }
        return v;
    }

    /// Posts the wakes and notifications gathered under the lock.
    void send(detail::CrossWakeups& wake) {
        while (detail::RemoteWaker* w = wake.wakers) {
            wake.wakers = w->next;
            (void)w->post();  // a closed loop refuses: its task is given up, and leave() returns the item
        }
        if (wake.notify_all) {
            not_empty_.notify_all();
            not_full_.notify_all();
            return;
        }
        if (wake.notify_getter) not_empty_.notify_one();
        if (wake.notify_putter) not_full_.notify_one();
    }

    /// Task::cancel() of a parked task (on its loop's thread): true if it was
    /// still parked (it resumes with CancelledError), false if it was already
    /// granted (it resumes with what it was given).
    bool withdraw(detail::CrossWait* n) noexcept {
        {
            std::lock_guard lock(mu_);
            if (n->state.load(std::memory_order_relaxed) != detail::CrossWait::State::kParked) return false;
            list_of(n).remove(n);
            n->state.store(detail::CrossWait::State::kCancelled, std::memory_order_relaxed);
        }
        detail::RemoteWaker* w = n->waker;
        detail::TaskCore* task = w->task;
        w->task = nullptr;
        w->release();  // the list's reference: it was never posted
        task->wake();
        return true;
    }

    /// A parked task's frame is destroyed before it resumed: leaves the list,
    /// or gives back the item it was handed (`slot`, getters only).
    void leave(detail::CrossWait* n, std::optional<T>* slot) noexcept {
        int refs = 1;
        detail::CrossWakeups wake;
        {
            std::lock_guard lock(mu_);
            auto s = n->state.load(std::memory_order_relaxed);
            if (s == detail::CrossWait::State::kParked) {
                list_of(n).remove(n);
                refs = 2;  // the list's reference too: never posted
            } else if (slot && s == detail::CrossWait::State::kGranted && *slot) {
                try {
                    items_.push_front(std::move(**slot));
                    slot->reset();
                    dispatch(wake);
                } catch (...) {
                    // No memory to give it back: it goes with the frame.
                }
            }
        }
        send(wake);
        n->drop_waker(refs);
    }

    /// Hands items to parked getters while there are both (lock held).
    void dispatch(detail::CrossWakeups& wake) {
        while (!items_.empty() && !getters_.empty()) {
            auto* g = static_cast<GetAwaiter*>(getters_.pop_front());
            g->slot.emplace(std::move(items_.front()));
            items_.pop_front();
            wake.grant(g, detail::CrossWait::State::kGranted);
        }
        if (!items_.empty() && blocked_getters_ != 0) wake.notify_getter = true;
    }

    detail::CrossWaitList& list_of(detail::CrossWait* n) noexcept { return n->putter ? putters_ : getters_; }

    mutable std::mutex mu_;
    std::deque<T> items_;
    std::size_t maxsize_;
    bool shutdown_ = false;
    detail::CrossWaitList getters_;  // parked tasks, FIFO
    detail::CrossWaitList putters_;
    std::condition_variable not_empty_;  // plain threads in get_blocking()
    std::condition_variable not_full_;   // plain threads in put_blocking()
    std::size_t blocked_getters_ = 0;
    std::size_t blocked_putters_ = 0;
};

}  // namespace aio
