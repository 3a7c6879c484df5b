// wait and shield (asyncio.wait, asyncio.shield).
#include "aio/wait.hpp"

namespace aio::detail {

WaitAwaiter::WaitAwaiter(std::vector<TaskCore*> tasks, ReturnWhen when, std::optional<Clock::duration> timeout)
    : nodes_(tasks.size()), tasks_(std::move(tasks)), when_(when), timeout_(timeout) {
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
        nodes_[i].owner = this;
        nodes_[i].notify = &WaitAwaiter::on_done;
        if (tasks_[i]->done()) count(*tasks_[i]);
    }
}

void WaitAwaiter::count(const TaskCore& t) noexcept {
    ++done_;
    if (t.exception && !t.has(TaskCore::kCancelled)) failed_ = true;
}

WaitAwaiter::~WaitAwaiter() { finish(); }

bool WaitAwaiter::satisfied() const noexcept {
    if (done_ == tasks_.size()) return true;
    if (when_ == ReturnWhen::FIRST_COMPLETED) return done_ > 0;
    if (when_ == ReturnWhen::FIRST_EXCEPTION) return failed_;
    return false;
}

void WaitAwaiter::suspend(TaskCore* task, std::coroutine_handle<> h) {
    task_ = task;
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
        if (tasks_[i]->done()) continue;
        nodes_[i].task = tasks_[i];
        tasks_[i]->add_waiter(&nodes_[i]);
    }
    if (timeout_) {
        deadline = add_saturating(Clock::now(), scaled_delay(task, *timeout_));
        fire = &WaitAwaiter::on_timeout;
        add_timer(task, this);
    }
    task->suspend_on(this, h);
    task->deliver_pending_cancel();
}

void WaitAwaiter::finish() noexcept {
    for (auto& n : nodes_) {
        if (n.task) n.task->remove_waiter(&n);
        n.task = nullptr;
    }
    if (armed()) remove_timer(task_, this);
}

void WaitAwaiter::on_done(CompletionWaiter* w, TaskCore& t) noexcept {
    auto* n = static_cast<Node*>(w);
    WaitAwaiter* self = n->owner;
    n->task = nullptr;
    self->count(t);
    if (self->woken_ || !self->satisfied()) return;
    self->woken_ = true;
    self->finish();
    self->task_->wake();
}

void WaitAwaiter::on_timeout(TimerNode* n) noexcept {
    auto* self = static_cast<WaitAwaiter*>(n);
    if (self->woken_) return;
    self->woken_ = true;
    self->finish();
    self->task_->wake();
}

bool WaitAwaiter::request_cancel() noexcept {
    if (woken_) return false;
    woken_ = true;
    cancelled_ = true;
    finish();
    task_->wake();
    return true;
}

void WaitAwaiter::await_resume() {
    if (cancelled_) throw CancelledError();
}

}  // namespace aio::detail
