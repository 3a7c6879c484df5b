// How other threads reach a loop: through its link, which close() cuts (executor results, threadsafe calls).
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

bool LoopLink::try_post(Runnable* r) noexcept {
    // Once posted, `r` may be run and freed at any moment: the caller must
    // not reach the link through it. The link itself lives on: the loop's
    // own reference keeps it until close() takes mu, after us.
    std::lock_guard lock(mu);
    if (!loop) return false;
    loop->post_threadsafe(r);
    return true;
}

bool LoopLink::try_post(std::function<void()>& f) {
    std::lock_guard lock(mu);
    if (!loop) return false;
    loop->post_threadsafe(static_cast<Runnable*>(make_callback(loop, std::move(f)).get()));  // the node holds itself
    return true;
}

void post_completion(WorkItem* item) noexcept {
    // A plain pointer, not another counted copy (two atomic operations per
    // call): the item may be freed as soon as it is posted.
    LoopLink* l = item->link.get();
    if (!l->try_post(item)) item->release();  // the loop is closed: nobody waits for the result
}

void LoopImpl::detach_executors() noexcept {
    std::lock_guard lock(link_->mu);
    link_->loop = nullptr;
}

}  // namespace aio::detail
