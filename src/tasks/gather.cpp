#include "aio/gather.hpp"

namespace aio::detail {

GatherAwaiter::GatherAwaiter(std::vector<TaskCore*> children, bool return_exceptions)
    : nodes_(children.size()), return_exceptions_(return_exceptions) {
    for (std::size_t i = 0; i < children.size(); ++i) {
        nodes_[i].owner = this;
        nodes_[i].notify = &GatherAwaiter::on_child_done;
        if (!children[i]->done()) {
            nodes_[i].child = children[i];
            ++remaining_;
        } else if (!return_exceptions_ && children[i]->exception && !first_error_) {
            first_error_ = children[i]->exception;
        }
    }
    if (first_error_) remaining_ = 0;  // resolve at once, as asyncio does with a failed child
}

GatherAwaiter::~GatherAwaiter() { detach_all(); }

void GatherAwaiter::detach_all() noexcept {
    for (auto& n : nodes_) {
        if (n.child) {
            n.child->remove_waiter(&n);
            n.child->flags |= TaskCore::kQuiet;  // nobody will look at its outcome
            n.child = nullptr;
        }
    }
}

bool GatherAwaiter::suspend(TaskCore* task, std::coroutine_handle<> h) {
    task_ = task;
    for (auto& n : nodes_)
        if (n.child) n.child->add_waiter(&n);
    task->suspend_on(this, h);
    task->deliver_pending_cancel();
    return true;
}

void GatherAwaiter::on_child_done(CompletionWaiter* w, TaskCore& child) noexcept {
    auto* n = static_cast<Node*>(w);
    GatherAwaiter* g = n->owner;
    n->child = nullptr;
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
    for (auto& n : nodes_)
        if (n.child && n.child->cancel()) any = true;
    // asyncio: when no child could be cancelled the request stays with the task.
    return any;
}

void GatherAwaiter::await_resume() {
    detach_all();
    if (first_error_) std::rethrow_exception(first_error_);
    if (cancelling_) throw CancelledError();
}

}  // namespace aio::detail
