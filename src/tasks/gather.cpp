// gather's bookkeeping: children watched, results collected, failures and cancellation propagated.
#include "aio/gather.hpp"

namespace aio::detail {

namespace {
TaskCore* core_in_list(const void* base, std::size_t i) noexcept { return static_cast<TaskCore* const*>(base)[i]; }
}  // namespace

GatherAwaiter::GatherAwaiter(const void* base, CoreAt at, bool return_exceptions) noexcept
    : base_(base), at_(at), return_exceptions_(return_exceptions) {
    shared_.owner = this;
    shared_.notify = &GatherAwaiter::on_child_done;
}

GatherAwaiter::GatherAwaiter(std::vector<TaskCore*> cores, bool return_exceptions)
    : GatherAwaiter(nullptr, &core_in_list, return_exceptions) {
    cores_ = std::move(cores);
    base_ = cores_.data();
    for (TaskCore* c : cores_) watch(c);
    watched_all();
}

void GatherAwaiter::take_done(TaskCore* c) noexcept {
    c->flags |= TaskCore::kRetrieved;
    if (!return_exceptions_ && c->exception && !first_error_) first_error_ = c->exception;
}

void GatherAwaiter::watched_all() noexcept {
    if (first_error_) {
        detach_all();  // resolve at once, as asyncio does with a failed child
        remaining_ = 0;
    }
}

void GatherAwaiter::attach_own_node(TaskCore* c) {
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
    for (std::size_t i = 0; i < count_; ++i) {
        TaskCore* c = child(i);
        if (c->done()) continue;
        c->remove_waiter(&shared_);
        c->flags |= TaskCore::kQuiet;  // nobody will look at its outcome
    }
    for (auto& n : own_nodes_)
        for (std::size_t i = 0; i < count_; ++i)
            if (TaskCore* c = child(i); !c->done()) c->remove_waiter(n.get());
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
        if (!g->first_error_) g->first_error_ = child.exception;
    } else if (g->remaining_ != 0) {
        return;
    }
    if (!g->task_) return;  // gather is not awaited yet: await_ready() will see it
    g->woken_ = true;
    g->task_->wake();
}

bool GatherAwaiter::request_cancel() noexcept {
    if (woken_) return false;
    cancelling_ = true;
    bool any = false;
    for (std::size_t i = 0; i < count_; ++i)
        if (TaskCore* c = child(i); !c->done() && c->cancel()) any = true;
    // asyncio: when no child could be cancelled the request stays with the task.
    return any;
}

void GatherAwaiter::await_resume() {
    detach_all();
    if (first_error_) std::rethrow_exception(first_error_);
    if (cancelling_) throw CancelledError();
}

}  // namespace aio::detail
