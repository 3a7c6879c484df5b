// Scheduled callbacks: asyncio's Handle and TimerHandle, and call_soon / call_at / call_soon_threadsafe.
#include "aio/detail/context.hpp"
#include "aio/events.hpp"
#include "loop/loop_impl.hpp"

namespace aio {

namespace detail {

void run_callback(Runnable* r) noexcept {
    auto* node = static_cast<CallbackNode*>(r);
    std::shared_ptr<CallbackNode> keep = std::move(node->self);
    if (node->cancelled.load(std::memory_order_acquire)) return;
    auto fn = std::move(node->fn);
    ContextScope in_context(node->context.slot());  // the context of call_soon's caller
    try {
        fn();
    } catch (...) {
        node->loop->owner.call_exception_handler({"Exception in callback", std::current_exception(), {}});
    }
}

void fire_callback_timer(TimerNode* t) noexcept {
    CallbackNode* node = static_cast<CallbackTimer*>(t)->owner;
    node->loop->enqueue(node);
}

std::shared_ptr<CallbackNode> make_callback(LoopImpl* loop, std::function<void()> fn) {
    auto node = std::make_shared<CallbackNode>();
    node->fn = std::move(fn);
    node->loop = loop;
    node->run = &run_callback;
    node->self = node;
    return node;
}

}  // namespace detail

void Handle::cancel() {
    // Any thread may cancel (call_soon_threadsafe's handle): the flag is
    // atomic, and only the loop's own thread drops the callback early or
    // touches the timer heap (timer handles belong to the loop's thread).
    if (!node_ || node_->cancelled.exchange(true, std::memory_order_acq_rel)) return;
    if (!node_->timed && detail::running_impl() != node_->loop) return;  // dropped when the loop reaches it
    node_->fn = nullptr;
    if (node_->timed && node_->timer.armed()) {
        node_->loop->remove_timer(&node_->timer);
        node_->self.reset();
    }
}

bool Handle::cancelled() const { return node_ && node_->cancelled; }

Clock::time_point TimerHandle::when() const { return node_ ? node_->timer.deadline : Clock::time_point{}; }

Handle EventLoop::call_soon(Callback f) {
    impl_->check_open("call_soon");
    auto node = detail::make_callback(impl_.get(), std::move(f));
    impl_->enqueue(node.get());
    return Handle(std::move(node));
}

TimerHandle EventLoop::call_at(Clock::time_point when, Callback f) {
    impl_->check_open("call_at");
    auto node = detail::make_callback(impl_.get(), std::move(f));
    node->timed = true;
    node->timer.deadline = when;
    node->timer.fire = &detail::fire_callback_timer;
    node->timer.owner = node.get();
    impl_->add_timer(&node->timer);
    return TimerHandle(std::move(node));
}

Handle EventLoop::call_soon_threadsafe(Callback f) {
    auto node = detail::make_callback(impl_.get(), std::move(f));
    // `closed` belongs to the loop's thread; other threads learn of close()
    // through the link, under its lock.
    if (!impl_->link()->try_post(node.get())) {
        node->self.reset();
        throw RuntimeError("call_soon_threadsafe(): the event loop is closed");
    }
    return Handle(std::move(node));
}

}  // namespace aio
