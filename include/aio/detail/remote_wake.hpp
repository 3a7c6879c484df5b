// aio/detail/remote_wake.hpp — waking a task of one loop from another thread.
//
// A task that waits for something another thread (or another loop) will
// produce parks a RemoteWaker with that producer. The producer posts the
// waker to the task's loop (its thread-safe inbox, or its ready queue
// directly when the producer runs on that loop's thread), and the loop wakes
// the task. The waker lives on the heap, counted, because either side may go
// first: the waiting frame may be destroyed (its loop closing) while the
// wake is in flight, and the producer may post after the loop has closed.
//
// Threads: `task` belongs to the waiting loop's thread (read and cleared
// there only); `next` belongs to whoever keeps the waker in a list (under
// that list's lock). post() and release() may be called from any thread.
#pragma once

#include <atomic>
#include <memory>

#include "aio/detail/task_core.hpp"

namespace aio::detail {

struct LoopLink;
class LoopImpl;

class RemoteWaker final : public Runnable {
public:
    /// A waker for `task`, which runs on this thread's loop, with `refs`
    /// references (one for the waiting awaiter, one for the producer side).
    /// Throws std::bad_alloc.
    static RemoteWaker* make(TaskCore* task, int refs);

    /// Drops `n` references (one atomic operation); the last one frees the waker.
    void release(int n = 1) noexcept {
        if (refs_.fetch_sub(n, std::memory_order_acq_rel) == n) destroy();
    }
    /// From any thread: sends the wake to the task's loop, giving it one
    /// reference (the loop drops it once the wake ran). False when the loop
    /// has closed: the reference is dropped here.
    bool post() noexcept;

    /// The task to wake (loop thread only); null once the wait is over or
    /// was withdrawn: the wake then does nothing.
    TaskCore* task = nullptr;
    /// For the list of the primitive it waits on (guarded by that list's lock).
    RemoteWaker* next = nullptr;

    /// What the loop runs (the loop also runs it on the wakes it discards at close).
    static void deliver(Runnable* r) noexcept;

private:
    RemoteWaker() noexcept = default;
    void destroy() noexcept;

    std::atomic<int> refs_{0};
    LoopImpl* loop_ = nullptr;         // compared only: the loop may be gone
    std::shared_ptr<LoopLink> link_;   // reaches the loop while it is open
};

}  // namespace aio::detail
