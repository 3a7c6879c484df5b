// as_completed: results in the order tasks finish.
#include "aio/as_completed.hpp"

namespace aio::detail {

CompletionQueue::CompletionQueue(std::vector<TaskCore*> tasks) : nodes_(tasks.size()) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        Node& n = nodes_[i];
        n.owner = this;
        n.index = i;
        n.notify = &CompletionQueue::on_done;
        if (tasks[i]->done()) {
            finished_.push_back(i);
        } else {
            n.task = tasks[i];
            tasks[i]->add_waiter(&n);
        }
    }
}

CompletionQueue::~CompletionQueue() {
    for (auto& n : nodes_)
        if (n.task) n.task->remove_waiter(&n);
}

void CompletionQueue::on_done(CompletionWaiter* w, TaskCore&) noexcept {
    auto* n = static_cast<Node*>(w);
    CompletionQueue* q = n->owner;
    n->task = nullptr;
    q->finished_.push_back(n->index);
    if (q->task_ && q->task_->waiting_on() == q) {
        q->task_->wake();
    }
}

bool CompletionQueue::request_cancel() noexcept {
    if (!task_ || task_->waiting_on() != this) return false;
    cancelled_ = true;
    task_->wake();
    return true;
}

std::size_t CompletionQueue::pop() {
    if (cancelled_) {
        cancelled_ = false;
        throw CancelledError();
    }
    std::size_t i = finished_.front();
    finished_.pop_front();
    return i;
}

}  // namespace aio::detail
