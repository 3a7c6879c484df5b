#include "aio/gather.hpp"

namespace aio::detail {

GatherAwaiter::GatherAwaiter(std::vector<TaskCore*> children, bool return_exceptions)
    : children_(std::move(children)), return_exceptions_(return_exceptions) {
    shared_.owner = this;
    shared_.notify = &GatherAwaiter::on_child_done;
    // One pass over the children: with a million of them every pass is a
    // million cache misses, so registration happens here, not in suspend().
    for (TaskCore* c : children_) {
        if (!c->done()) {
            ++remaining_;
            attach(c);
            continue;
        }
        c->flags |= TaskCore::kRetrieved;
        if (!return_exceptions_ && c->exception && !first_error_) first_error_ = c->exception;
    }
    if (first_error_) {
        detach_all();  // resolve at once, as asyncio does with a failed child
        remaining_ = 0;
    }
}

void GatherAwaiter::attach(TaskCore* c) {
    attached_ = true;
    if (!c->waiters) {
        c->add_waiter(&shared_);
        return;
    }
    auto n = std::make_unique<Node>();
    n->owner = this;
    n->notify = &GatherAwaiter::on_child_done;
    c->add_waiter(n.get());
    own_nodes_.push_back(std::move(n));
}

GatherAwaiter::~GatherAwaiter() { detach_all(); }

void GatherAwaiter::detach_all() noexcept {
    if (!attached_ || remaining_ == 0) return;  // every child reported: nothing is registered
    attached_ = false;
    for (TaskCore* c : children_) {
        if (c->done()) continue;
        c->remove_waiter(&shared_);
        c->flags |= TaskCore::kQuiet;  // nobody will look at its outcome
    }
    for (auto& n : own_nodes_)
        for (TaskCore* c : children_)
            if (!c->done()) c->remove_waiter(n.get());
}

bool GatherAwaiter::suspend(TaskCore* task, std::coroutine_handle<> h) {
    task_ = task;
    task->suspend_on(this, h);
    task->deliver_pending_cancel();
    return true;
}

void GatherAwaiter::on_child_done(CompletionWaiter* w, TaskCore& child) noexcept {
    GatherAwaiter* g = static_cast<Node*>(w)->owner;
    child.flags |= TaskCore::kRetrieved;  // gather answers for every child's outcome
    --g->remaining_;
    if (g->woken_) return;
    if (!g->return_exceptions_ && !g->cancelling_ && child.exception) {
        g->first_error_ = child.exception;
    } else if (g->remaining_ != 0) {
        return;
    }
    g->woken_ = true;
    g->task_->waiting_on = nullptr;
    g->task_->wake();
}

bool GatherAwaiter::request_cancel() noexcept {
    if (woken_) return false;
    cancelling_ = true;
    bool any = false;
    for (TaskCore* c : children_)
        if (!c->done() && c->cancel()) any = true;
    // asyncio: when no child could be cancelled the request stays with the task.
    return any;
}

void GatherAwaiter::await_resume() {
    detach_all();
    if (first_error_) std::rethrow_exception(first_error_);
    if (cancelling_) throw CancelledError();
}

}  // namespace aio::detail
