// RemoteWaker: a task of one loop woken from another thread, through the loop's thread-safe inbox.
#include "aio/detail/remote_wake.hpp"

#include "loop/loop_impl.hpp"

namespace aio::detail {

RemoteWaker* RemoteWaker::make(TaskCore* task, int refs) {
    auto* w = new RemoteWaker();
    w->Runnable::run = &RemoteWaker::deliver;
    w->task = task;
    w->refs_.store(refs, std::memory_order_relaxed);
    LoopImpl& impl = LoopAccess::impl(*task->loop());
    w->loop_ = &impl;
    w->link_ = impl.link();
    return w;
}

void RemoteWaker::destroy() noexcept { delete this; }

bool RemoteWaker::post() noexcept {
    // On the waiting loop's own thread (a producer on the same loop, or a
    // future finished there): straight onto the ready queue, no lock, no
    // wake-up. The link, which this waker keeps alive, tells the loop apart
    // from a later one at the same address.
    if (LoopImpl* here = running_impl(); here == loop_ && here->link().get() == link_.get()) {
        here->enqueue(this);
        return true;
    }
    // The link lives on after the post (the loop holds it until close(),
    // which takes its lock after us), even if the wake runs and frees this.
    LoopLink* link = link_.get();
    if (link->try_post(static_cast<Runnable*>(this))) return true;
    release();
    return false;
}

void RemoteWaker::deliver(Runnable* r) noexcept {
    auto* w = static_cast<RemoteWaker*>(r);
    if (TaskCore* t = w->task) {
        w->task = nullptr;
        t->wake();
    }
    w->release();
}

}  // namespace aio::detail
