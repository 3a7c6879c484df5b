// aio/sleep.hpp — aio::sleep (asyncio.sleep).
// Cancellation: see docs/cancellation.md.
#pragma once

#include <chrono>
#include <coroutine>

#include "aio/detail/task_core.hpp"
#include "aio/exceptions.hpp"

namespace aio {

namespace detail {

/// Suspends the task until a deadline. Lives in the awaiting frame; its timer
/// node sits in the loop's heap while it waits and is removed at once when the
/// task is cancelled (or the frame destroyed), not when it would have fired.
class SleepAwaiter final : public Suspension, public TimerNode {
public:
    explicit SleepAwaiter(Clock::duration delay) noexcept : delay_(delay) {}
    SleepAwaiter(Clock::time_point when, bool) noexcept : absolute_(true) { deadline = when; }
    SleepAwaiter(const SleepAwaiter&) = delete;
    ~SleepAwaiter() {
        if (armed()) remove_timer(task_, this);
    }

    bool await_ready() const noexcept { return false; }

    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
        task_ = h.promise().owner();
        task_->suspend_on(this, h);
        if (!absolute_ && delay_ <= Clock::duration::zero()) {
            task_->wake();  // sleep(0): let every other ready task run first
        } else {
            if (!absolute_) deadline = add_saturating(Clock::now(), scaled_delay(task_, delay_));
            fire = &SleepAwaiter::on_fire;
            add_timer(task_, this);
        }
        task_->deliver_pending_cancel();
    }

    void await_resume() {
        // Nothing is lost by raising here even if the timer fired: a sleep has no result.
        if (cancelled_ || task_->take_pending_cancel()) throw CancelledError();
    }

    bool request_cancel() noexcept override {
        if (!armed()) return false;  // already fired, or sleep(0): delivered on resume
        remove_timer(task_, this);
        cancelled_ = true;
        task_->wake();
        return true;
    }

private:
    static void on_fire(TimerNode* node) noexcept {
        auto* self = static_cast<SleepAwaiter*>(node);
        self->task_->wake();
    }

    TaskCore* task_ = nullptr;
    Clock::duration delay_{};
    bool absolute_ = false;
    bool cancelled_ = false;
};

}  // namespace detail

/// Suspends the calling task for `delay` (asyncio.sleep). sleep(0s) yields:
/// every task that is ready runs before this one resumes. A cancellation
/// arrives as CancelledError here. The delay is scaled by AIO_TIME_SCALE.
template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay) noexcept {
    return detail::SleepAwaiter(detail::to_clock_duration(delay));
}

/// Suspends the calling task until `when` on the loop's clock.
inline detail::SleepAwaiter sleep_until(Clock::time_point when) noexcept { return detail::SleepAwaiter(when, true); }

}  // namespace aio
