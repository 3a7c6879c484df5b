// timeout / timeout_at / wait_for (asyncio.timeouts): a timer that cancels the task, and uncancel.
#include "aio/timeouts.hpp"

namespace aio {

void Timeout::enter() {
    if (state_ != State::created) throw RuntimeError("a Timeout guards one block: it has already been used");
    task_ = detail::current_core();
    if (!task_) throw RuntimeError("aio::timeout() must be used inside a task");
    state_ = State::entered;
    cancelling_ = task_->cancel_requests;
    arm();
}

void Timeout::arm() {
    if (!when_) return;
    timer_.owner = this;
    timer_.deadline = *when_;  // a past deadline fires on the next loop iteration
    timer_.fire = &Timeout::on_fire;
    detail::add_timer(task_, &timer_);
}

void Timeout::disarm() noexcept {
    if (timer_.armed()) detail::remove_timer(task_, &timer_);
}

void Timeout::on_fire(detail::TimerNode* n) noexcept {
    Timeout* self = static_cast<Timer*>(n)->owner;
    self->state_ = State::expiring;
    self->task_->cancel();
}

void Timeout::reschedule(std::optional<Clock::time_point> when) {
    if (state_ == State::expiring || state_ == State::expired)
        throw RuntimeError("cannot reschedule a Timeout that has already expired");
    if (state_ == State::exited) throw RuntimeError("cannot reschedule a Timeout whose block has finished");
    when_ = when;
    if (state_ == State::entered) {
        disarm();
        arm();
    }
}

void Timeout::exit(std::exception_ptr error) {
    disarm();
    if (state_ == State::expiring) {
        state_ = State::expired;
        bool ours = task_->uncancel() <= cancelling_;
        bool cancelled = false;
        if (error) {
            try {
                std::rethrow_exception(error);
            } catch (const CancelledError&) {
                cancelled = true;
            } catch (...) {
            }
        }
        if (ours && cancelled) throw TimeoutError();
    } else {
        state_ = State::exited;
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace aio
