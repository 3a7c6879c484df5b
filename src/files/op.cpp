#include "files/op.hpp"

#include <cerrno>
#include <thread>

#include "loop/backends/sync_io.hpp"
#include "loop/loop_impl.hpp"

namespace aio::files::impl {

using aio::detail::LoopImpl;
using aio::detail::TaskCore;

/// A pool call: the op's system call (on a copy of the op, so the worker
/// never reads the awaiter), or a function.
class PoolItem final : public aio::detail::WorkItem {
public:
    void execute() noexcept override {
        if (call)
            call();
        else
            aio::detail::perform_sync(op);
        finished.store(true, std::memory_order_release);
    }
    IoOp op;
    std::function<void()> call;
    std::atomic<bool> finished{false};
};

bool native(IoOp::Kind kind) {
    LoopImpl* loop = aio::detail::running_impl();
    if (!loop) throw RuntimeError("file operation outside a running event loop");
    return loop->backend->supports(kind);
}

OpAwaiter::OpAwaiter(const IoOp& op) noexcept { op_.base = op; }

OpAwaiter::OpAwaiter(std::function<void()> call) noexcept : call_(std::move(call)) {}

OpAwaiter::~OpAwaiter() {
    if (pending_ && backend_) backend_->abandon(op_.base);
    if (item_) {
        if (pending_ && !pool_->try_remove(item_)) {
            // The frame goes away while a worker runs the call on its memory:
            // wait for the call to end (only when a loop tears down a task).
            while (!item_->finished.load(std::memory_order_acquire)) std::this_thread::yield();
        }
        item_->waiter = nullptr;
        item_->release();
    }
}

bool OpAwaiter::start(TaskCore* task, std::coroutine_handle<> h) {
    task_ = task;
    LoopImpl* loop = aio::detail::running_impl();
    if (!loop) throw RuntimeError("file operation outside a running event loop");
    if (!call_ && loop->backend->supports(op_.base.kind)) {
        op_.self = this;
        op_.base.complete = &OpAwaiter::on_complete;
        if (loop->backend->submit(op_.base)) return false;  // finished at once
        backend_ = loop->backend.get();
    } else {
        pool_ = &loop->owner.default_executor();
        item_ = new PoolItem;
        if (call_)
            item_->call = std::move(call_);
        else
            item_->op = op_.base;
        item_->loop = loop;
        item_->waiter = task;
        item_->add_ref();  // the pool's reference
        try {
            pool_->enqueue(item_);
        } catch (...) {
            item_->release();  // the pool's
            item_->release();  // ours
            item_ = nullptr;
            throw;
        }
    }
    pending_ = true;
    task->suspend_on(this, h);
    task->deliver_pending_cancel();
    return true;
}

void OpAwaiter::on_complete(IoOp* op) noexcept {
    OpAwaiter* self = reinterpret_cast<Op*>(op)->self;
    self->pending_ = false;
    self->task_->waiting_on = nullptr;
    self->task_->wake();
}

bool OpAwaiter::request_cancel() noexcept {
    if (uncancellable_) return false;
    if (backend_) {
        if (!pending_) return false;
        cancel_asked_ = true;
        backend_->cancel(op_.base);  // the completion wakes the task: -ECANCELED, or the real result
        return true;
    }
    if (item_ && !item_->delivered && pool_->try_remove(item_)) {
        // Not started: it never runs.
        withdrawn_ = true;
        pending_ = false;
        item_->waiter = nullptr;
        task_->waiting_on = nullptr;
        task_->wake();
        return true;
    }
    // Running (or done): its result comes back; the cancellation waits for the next await.
    return false;
}

int OpAwaiter::await_resume() {
    if (item_) {
        pending_ = false;
        if (withdrawn_) throw CancelledError();
        return item_->op.result;
    }
    if (cancel_asked_) {
        if (op_.base.result == -ECANCELED) throw CancelledError();
        task_->flags |= TaskCore::kCancelPending;  // the op won the race: deliver at the next await
    }
    return op_.base.result;
}

}  // namespace aio::files::impl
