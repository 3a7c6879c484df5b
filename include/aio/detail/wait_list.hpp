// aio/detail/wait_list.hpp — the FIFO of tasks waiting on a primitive.
//
// A WaitNode lives in the awaiter (in the waiting coroutine's frame), so a
// wait allocates nothing. Its states:
//
//   idle ──suspend──▶ waiting ──grant()──▶ granted   (the primitive handed it what it waited for)
//                        └──cancel──────▶ cancelled (removed from the list, resumes with CancelledError)
//
// A granted node cannot be cancelled any more: what it was given (a lock, a
// permit, an item) is never lost. The cancellation stays pending on the task
// and arrives at its next await. A node destroyed while waiting (its frame
// destroyed) unlinks itself.
#pragma once

#include <coroutine>
#include <cstdint>

#include "aio/detail/task_core.hpp"
#include "aio/exceptions.hpp"

namespace aio::detail {

/// Budget of operations a task may complete without suspending before it
/// must yield to the loop (as Tokio's cooperative budget): a consumer of an
/// always-ready queue or socket cannot starve the other tasks. Reset each
/// time the loop resumes a task. 128 is tokio's: a few microseconds of work
/// at most between two looks at the other tasks, while a hop through the
/// queue per 128 operations costs well under 1%.
inline constexpr int kCoopBudget = 128;
inline thread_local int t_coop_budget = kCoopBudget;

/// Takes one unit of the budget; false when the task must yield first.
inline bool coop_take() noexcept { return --t_coop_budget > 0; }

class WaitList;

class WaitNode : public Suspension {
public:
    enum class State : std::uint8_t { idle, waiting, granted, cancelled };

    WaitNode() = default;
    WaitNode(const WaitNode&) = delete;
    WaitNode& operator=(const WaitNode&) = delete;
    ~WaitNode();

    /// Queues the task on `list` and suspends it at `h`.
    void wait_on(WaitList& list, TaskCore* task, std::coroutine_handle<> h) noexcept;
    /// Hands the node what it waited for and wakes its task (node already unlinked).
    void grant() noexcept {
        state = State::granted;
        task->wake();
    }
    /// Suspends without waiting on anything: the task yields its turn and
    /// resumes with the operation already done (see kCoopBudget).
    void yield_granted(TaskCore* t, std::coroutine_handle<> h) noexcept {
        task = t;
        state = State::granted;
        t->resume_point = h;
        t->wake();
    }
    bool request_cancel() noexcept override;
    /// Throws CancelledError if the wait was cancelled.
    void check() const;
    /// check() for a wait that has no result (an Event, a join): a cancel()
    /// that arrived after the wake-up, before the task ran, is raised here
    /// too, as sleep does — nothing is lost by raising.
    void check_no_result() const;

    State state = State::idle;
    TaskCore* task = nullptr;
    WaitNode* prev = nullptr;
    WaitNode* next = nullptr;
    WaitList* list = nullptr;
};

class WaitList {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }
    WaitNode* front() const noexcept { return head_; }
    void push_back(WaitNode* n) noexcept {
        n->prev = tail_;
        n->next = nullptr;
        (tail_ ? tail_->next : head_) = n;
        tail_ = n;
        n->list = this;
        ++size_;
    }
    void remove(WaitNode* n) noexcept {
        (n->prev ? n->prev->next : head_) = n->next;
        (n->next ? n->next->prev : tail_) = n->prev;
        n->prev = n->next = nullptr;
        n->list = nullptr;
        --size_;
    }
    WaitNode* pop_front() noexcept {
        WaitNode* n = head_;
        if (n) remove(n);
        return n;
    }
    /// Wakes everyone with grant().
    void grant_all() noexcept {
        while (WaitNode* n = pop_front()) n->grant();
    }

private:
    WaitNode* head_ = nullptr;
    WaitNode* tail_ = nullptr;
    std::size_t size_ = 0;
};

/// Suspends the task on `list` until a grant() wakes it; CancelledError when
/// the task is cancelled first. The wait every primitive without a fast path
/// uses (a Condition's notification, a writer's drain, a free worker, ...).
class ListWait : public WaitNode {
public:
    explicit ListWait(WaitList& l) noexcept : target_(l) {}
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
        wait_on(target_, h.promise().owner(), h);
    }
    void await_resume() const { check(); }

private:
    WaitList& target_;
};

inline WaitNode::~WaitNode() {
    if (state == State::waiting && list) list->remove(this);
}

inline void WaitNode::wait_on(WaitList& l, TaskCore* t, std::coroutine_handle<> h) noexcept {
    task = t;
    state = State::waiting;
    l.push_back(this);
    t->suspend_on(this, h);
    t->deliver_pending_cancel();
}

inline void WaitNode::check() const {
    if (state == State::cancelled) throw CancelledError();
}

inline void WaitNode::check_no_result() const {
    check();
    if (state == State::granted && task->take_pending_cancel()) throw CancelledError();
}

inline bool WaitNode::request_cancel() noexcept {
    if (state != State::waiting) return false;
    list->remove(this);
    state = State::cancelled;
    task->wake();
    return true;
}

}  // namespace aio::detail
