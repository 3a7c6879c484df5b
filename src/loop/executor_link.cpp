// How executor calls reach their loop: a finished call is posted back through the loop's link.
#include <mutex>

#include "aio/threads.hpp"
#include "loop/loop_impl.hpp"

namespace aio::detail {

void WorkItem::deliver(Runnable* r) noexcept {
    auto* item = static_cast<WorkItem*>(r);
    item->delivered = true;
    item->loop->executor_call_ended();
    if (TaskCore* t = item->waiter) t->wake();
    item->release();  // the pool's reference
}

void post_completion(WorkItem* item) noexcept {
    // A plain pointer, not another counted copy (two atomic operations per
    // call): the item may be freed as soon as it is posted, but the loop's own
    // reference keeps the link alive until close() takes mu, after us.
    LoopLink* l = item->link.get();
    {
        std::lock_guard lock(l->mu);
        if (l->loop) {
            l->loop->post_threadsafe(static_cast<Runnable*>(item));  // delivers and releases
            return;
        }
    }
    item->release();  // the loop is closed: nobody waits for the result
}

void LoopImpl::detach_executors() noexcept {
    std::lock_guard lock(link_->mu);
    link_->loop = nullptr;
}

}  // namespace aio::detail
