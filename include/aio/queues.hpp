// aio/queues.hpp — queues between tasks of one loop (asyncio: queues.py).
//
//     aio::Queue<Job> q(100);            // maxsize 100 (0: unbounded)
//     co_await q.put(job);               // waits while full
//     Job j = co_await q.get();          // waits while empty
//     q.task_done(); co_await q.join();  // wait until every item was processed
//
// Items move straight from a putter to a waiting getter (and from a waiting
// putter into the queue when a getter makes room), in FIFO order of the
// waiters. A getter cancelled while waiting takes nothing; one cancelled after
// it was handed an item still returns it (the cancellation arrives at its next
// await): an item is never lost. Move-only item types work.
//
// shutdown(immediate = false) (asyncio 3.13): put() raises QueueShutDown from
// then on; get() drains what is left, then raises QueueShutDown. With
// immediate = true the queue is emptied at once and waiting getters raise too.
// Cancellation: see docs/cancellation.md.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "aio/detail/wait_list.hpp"
#include "aio/task.hpp"

namespace aio {

/// get_nowait() on an empty queue (asyncio.QueueEmpty).
class QueueEmpty : public Exception {
public:
    QueueEmpty() : Exception("the queue is empty") {}
};
/// put_nowait() on a full queue (asyncio.QueueFull).
class QueueFull : public Exception {
public:
    QueueFull() : Exception("the queue is full") {}
};
/// put() or get() on a queue that was shut down (asyncio.QueueShutDown).
class QueueShutDown : public Exception {
public:
    QueueShutDown() : Exception("the queue was shut down") {}
};

namespace detail {

template <class T>
struct FifoStore {
    std::deque<T> items;
    void push(T v) { items.push_back(std::move(v)); }
    T pop() {
        T v = std::move(items.front());
        items.pop_front();
        return v;
    }
    std::size_t size() const noexcept { return items.size(); }
    void clear() { items.clear(); }
};

template <class T>
struct LifoStore {
    std::vector<T> items;
    void push(T v) { items.push_back(std::move(v)); }
    T pop() {
        T v = std::move(items.back());
        items.pop_back();
        return v;
    }
    std::size_t size() const noexcept { return items.size(); }
    void clear() { items.clear(); }
};

/// Smallest first according to Compare (as Python's heapq).
template <class T, class Compare>
struct PriorityStore {
    std::vector<T> items;
    [[no_unique_address]] Compare less{};
    bool greater(const T& a, const T& b) const { return less(b, a); }
    void push(T v) {
        items.push_back(std::move(v));
        std::push_heap(items.begin(), items.end(), [this](const T& a, const T& b) { return greater(a, b); });
    }
    T pop() {
        std::pop_heap(items.begin(), items.end(), [this](const T& a, const T& b) { return greater(a, b); });
        T v = std::move(items.back());
        items.pop_back();
        return v;
    }
    std::size_t size() const noexcept { return items.size(); }
    void clear() { items.clear(); }
};

}  // namespace detail

/// The queue, parameterised by its ordering (Queue, LifoQueue, PriorityQueue).
template <class T, class Store>
class BasicQueue {
public:
    /// maxsize <= 0: unbounded.
    explicit BasicQueue(long maxsize = 0) : maxsize_(maxsize > 0 ? static_cast<std::size_t>(maxsize) : 0) {}
    BasicQueue(const BasicQueue&) = delete;
    BasicQueue& operator=(const BasicQueue&) = delete;
    ~BasicQueue() {
        // Waiters must not outlive the queue: wake them with QueueShutDown.
        shutdown(true);
    }

    /// The number of items in the queue (Queue.qsize()); items held by waiting putters do not count.
    std::size_t qsize() const noexcept { return store_.size(); }
    /// True when the queue holds no item (Queue.empty()).
    bool empty() const noexcept { return store_.size() == 0; }
    /// True when a bounded queue holds maxsize() items (Queue.full()); never for an unbounded one.
    bool full() const noexcept { return maxsize_ != 0 && store_.size() >= maxsize_; }
    /// 0 for an unbounded queue.
    std::size_t maxsize() const noexcept { return maxsize_; }

    // --- put ---
    /// The awaitable returned by put(); co_await it once. Cancelled while waiting for room, the item
    /// is not put (it is destroyed with the awaiter).
    struct PutAwaiter : detail::WaitNode {
        BasicQueue& q;            ///< The queue put to.
        std::optional<T> item;    ///< The item, until it goes into the queue or to a getter.
        bool shut = false;        ///< Set when the queue is (or gets) shut down: await_resume() throws.
        /// A put of `v` into `queue` (which must outlive the awaiter).
        PutAwaiter(BasicQueue& queue, T v) : q(queue), item(std::move(v)) {}
        /// Puts the item at once when there is room and no putter waits (true, unless the task has used
        /// its cooperative budget and must yield first); true on a shut-down queue; false to wait.
        bool await_ready() {
            if (q.shutdown_) {
                shut = true;
                return true;
            }
            if (!q.putters_.empty() || q.full()) return false;
            q.place(std::move(*item));
            if (detail::coop_take()) return true;
            yield_ = true;
            return false;
        }
        /// Queues the task behind earlier putters until a getter makes room (or just yields its turn,
        /// the item already put, when the cooperative budget is used).
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) noexcept {
            if (yield_)
                yield_granted(h.promise().owner(), h);
            else
                wait_on(q.putters_, h.promise().owner(), h);
        }
        /// Throws CancelledError if the task was cancelled while waiting, QueueShutDown if the queue was
        /// shut down before the item went in.
        void await_resume() const {
            check();
            if (shut) throw QueueShutDown();
        }
        bool yield_ = false;  ///< The item is in; the task only yields its turn (cooperative budget).
    };
    /// Puts `v`, waiting while the queue is full. Throws QueueShutDown after shutdown().
    PutAwaiter put(T v) { return PutAwaiter(*this, std::move(v)); }
    /// Puts `v` now. Throws QueueFull if full, QueueShutDown after shutdown().
    void put_nowait(T v) {
        if (shutdown_) throw QueueShutDown();
        if (full()) throw QueueFull();
        place(std::move(v));
    }

    // --- get ---
    /// The awaitable returned by get(); co_await it once. An item handed to it is returned even if
    /// the task is cancelled meanwhile (the cancellation comes at its next await).
    struct GetAwaiter : detail::WaitNode {
        BasicQueue& q;            ///< The queue taken from.
        std::optional<T> slot;    ///< The item taken (or handed over by a putter), until returned.
        bool shut = false;        ///< Set when the queue is shut down and empty: await_resume() throws.
        /// A get from `queue` (which must outlive the awaiter).
        explicit GetAwaiter(BasicQueue& queue) : q(queue) {}
        /// Takes an item at once when there is one (true, unless the task has used its cooperative
        /// budget and must yield first); true on a shut-down, empty queue; false to wait.
        bool await_ready() {
            if (q.store_.size() == 0) {
                if (q.shutdown_) {
                    shut = true;
                    return true;
                }
                return false;
            }
            slot.emplace(q.take());
            if (detail::coop_take()) return true;
            yield_ = true;
            return false;
        }
        /// Queues the task behind earlier getters until an item is put (or just yields its turn, the
        /// item already taken, when the cooperative budget is used).
        template <class P>
        void await_suspend(std::coroutine_handle<P> h) noexcept {
            if (yield_)
                yield_granted(h.promise().owner(), h);
            else
                wait_on(q.getters_, h.promise().owner(), h);
        }
        /// The item. Throws CancelledError if the task was cancelled before an item reached it,
        /// QueueShutDown if the queue was shut down and empty.
        T await_resume() {
            check();
            if (shut) throw QueueShutDown();
            return std::move(*slot);
        }
        bool yield_ = false;  ///< The item is taken; the task only yields its turn (cooperative budget).
    };
    /// Removes and returns an item, waiting while the queue is empty.
    /// Throws QueueShutDown once shut down and empty.
    GetAwaiter get() { return GetAwaiter(*this); }
    /// Removes and returns an item now. Throws QueueEmpty, or QueueShutDown
    /// once shut down and empty.
    T get_nowait() {
        if (store_.size() == 0) {
            if (shutdown_) throw QueueShutDown();
            throw QueueEmpty();
        }
        return take();
    }

    // --- join ---
    /// Marks one item as processed. Throws ValueError if called more times than items were put.
    void task_done() {
        if (unfinished_ == 0) throw ValueError("task_done() called too many times");
        if (--unfinished_ == 0) joiners_.grant_all();
    }
    /// The awaitable returned by join(); co_await it once.
    struct JoinAwaiter : detail::ListWait {
        BasicQueue& q;  ///< The queue joined.
        /// A join of `queue` (which must outlive the awaiter).
        explicit JoinAwaiter(BasicQueue& queue) noexcept : ListWait(queue.joiners_), q(queue) {}
        /// True (no suspension) when no item is waiting for its task_done().
        bool await_ready() const noexcept { return q.unfinished_ == 0; }
        /// Throws CancelledError if the task was cancelled while (or just after) waiting.
        void await_resume() const { check_no_result(); }
    };
    /// Waits until every item put has been marked with task_done().
    JoinAwaiter join() noexcept { return JoinAwaiter(*this); }

    // --- shutdown ---
    /// Stops the queue (see the file comment).
    void shutdown(bool immediate = false) {
        shutdown_ = true;
        if (immediate) {
            std::size_t n = store_.size();
            store_.clear();
            unfinished_ = unfinished_ > n ? unfinished_ - n : 0;
            if (unfinished_ == 0) joiners_.grant_all();
        }
        while (detail::WaitNode* n = putters_.pop_front()) {
            static_cast<PutAwaiter*>(n)->shut = true;
            n->grant();
        }
        if (store_.size() == 0) {
            while (detail::WaitNode* n = getters_.pop_front()) {
                static_cast<GetAwaiter*>(n)->shut = true;
                n->grant();
            }
        }
    }
    /// True once shutdown() was called (asyncio 3.13's Queue.is_shutdown).
    bool is_shutdown() const noexcept { return shutdown_; }

private:
    /// Adds an item: to the first waiting getter if any, else to the store.
    void place(T v) {
        ++unfinished_;
        if (detail::WaitNode* g = getters_.pop_front()) {
            static_cast<GetAwaiter*>(g)->slot.emplace(std::move(v));
            g->grant();
        } else {
            store_.push(std::move(v));
        }
    }
    /// Takes an item and lets the first waiting putter in.
    T take() {
        T v = store_.pop();
        if (detail::WaitNode* p = putters_.pop_front()) {
            auto* put = static_cast<PutAwaiter*>(p);
            ++unfinished_;
            store_.push(std::move(*put->item));
            p->grant();
        }
        return v;
    }

    Store store_;
    std::size_t maxsize_;
    std::size_t unfinished_ = 0;
    bool shutdown_ = false;
    detail::WaitList getters_;
    detail::WaitList putters_;
    detail::WaitList joiners_;
};

/// First in, first out (asyncio.Queue).
template <class T>
class Queue : public BasicQueue<T, detail::FifoStore<T>> {
public:
    using BasicQueue<T, detail::FifoStore<T>>::BasicQueue;
};

/// Last in, first out (asyncio.LifoQueue).
template <class T>
class LifoQueue : public BasicQueue<T, detail::LifoStore<T>> {
public:
    using BasicQueue<T, detail::LifoStore<T>>::BasicQueue;
};

/// Smallest item first, by Compare (asyncio.PriorityQueue).
template <class T, class Compare = std::less<T>>
class PriorityQueue : public BasicQueue<T, detail::PriorityStore<T, Compare>> {
public:
    using BasicQueue<T, detail::PriorityStore<T, Compare>>::BasicQueue;
};

}  // namespace aio
