// Lock, Event, Condition, Semaphore and Barrier (asyncio.locks): waiter lists and hand-over.
#include "aio/locks.hpp"

#include <climits>

namespace aio {

void Lock::release() {
    if (!locked_) throw RuntimeError("Lock is not acquired");
    if (detail::WaitNode* n = waiters_.pop_front())
        n->grant();  // ownership passes straight to the first waiter
    else
        locked_ = false;
}

void Event::set() noexcept {
    if (set_) return;
    set_ = true;
    waiters_.grant_all();
}

Task<> Condition::wait() {
    if (!lock_->locked()) throw RuntimeError("cannot wait on an un-acquired lock");
    lock_->release();
    std::exception_ptr error;
    bool notified = false;
    {
        detail::ListWait notification(waiters_);
        try {
            co_await notification;
            notified = true;
            // A cancel that arrived after the notification is delivered here, as
            // asyncio does; the notification is passed on below.
            if (detail::current_core()->take_pending_cancel()) error = std::make_exception_ptr(CancelledError());
        } catch (...) {
            error = std::current_exception();
        }
    }
    // The lock must be held again when wait() returns, even if cancelled.
    while (true) {
        try {
            auto held = co_await lock_->acquire();
            held.dismiss();
            break;
        } catch (const CancelledError&) {
            error = std::current_exception();
        }
    }
    if (error) {
        if (notified) wake(1);  // do not swallow a notification meant for someone
        std::rethrow_exception(error);
    }
}

Task<bool> Condition::wait_for(std::function<bool()> predicate) {
    bool result = predicate();
    while (!result) {
        co_await wait();
        result = predicate();
    }
    co_return result;
}

void Condition::notify(std::size_t n) {
    if (!lock_->locked()) throw RuntimeError("cannot notify on an un-acquired lock");
    wake(n);
}

void Condition::wake(std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        detail::WaitNode* w = waiters_.pop_front();
        if (!w) break;
        w->grant();
    }
}

Semaphore::Semaphore(long value) : value_(value) {
    if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
}

void Semaphore::do_release() noexcept {
    if (detail::WaitNode* n = waiters_.pop_front())
        n->grant();  // the permit goes straight to the first waiter
    else if (value_ < LONG_MAX)  // Python's int has no top; the count stays at LONG_MAX's
        ++value_;
}

void Semaphore::release() { do_release(); }

void BoundedSemaphore::release() {
    if (value() >= bound_) throw ValueError("BoundedSemaphore released too many times");
    do_release();
}

Barrier::Barrier(std::size_t parties) : parties_(parties) {
    if (parties < 1) throw ValueError("a Barrier needs at least one party");
}

struct Barrier::Arrival : detail::ListWait {
    bool broken_wake = false;  // woken by abort() or reset(), not by the last arrival
    explicit Arrival(Barrier& bar) noexcept : ListWait(bar.waiters_) {}
    void await_resume() const {
        check();
        if (broken_wake) throw BrokenBarrierError();
    }
};

void Barrier::wake_all(bool broken) noexcept {
    while (detail::WaitNode* n = waiters_.pop_front()) {
        static_cast<Arrival*>(n)->broken_wake = broken;
        n->grant();
    }
}

Task<std::size_t> Barrier::wait() {
    if (broken_) throw BrokenBarrierError();
    std::size_t index = waiters_.size();
    if (index + 1 == parties_) {
        wake_all(false);  // the last arrival releases everyone; a new cycle starts
        co_return index;
    }
    Arrival arrival(*this);
    co_await arrival;
    co_return index;
}

void Barrier::abort() noexcept {
    broken_ = true;
    wake_all(true);
}

void Barrier::reset() noexcept {
    wake_all(true);
    broken_ = false;
}

}  // namespace aio
