// One file operation awaited: on the loop's io_uring when it has the kind, on the thread pool otherwise.
#include "files/op.hpp"

#include <cerrno>
#include <thread>

#include "loop/backends/sync_io.hpp"

namespace aio::files::impl {

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

bool native(IoOp::Kind kind) { return aio::detail::running_backend("file operation").supports(kind); }

OpAwaiter::OpAwaiter(const IoOp& op) noexcept : io_(op) {}

OpAwaiter::OpAwaiter(std::function<void()> call) noexcept : call_(std::move(call)) {}

OpAwaiter::OpAwaiter(std::function<void()> call, std::atomic<bool>* stop) noexcept
    : call_(std::move(call)), stop_(stop) {}

OpAwaiter::~OpAwaiter() {
    if (item_) {
        if (pending_ && !aio::detail::PoolAccess::try_remove(*pool_, item_)) {
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
    aio::detail::IoBackend& backend = aio::detail::running_backend("file operation");
    if (!call_ && backend.supports(io_.op().kind)) return io_.start(backend, task, h);  // false: done at once
    pool_ = &get_running_loop().default_executor();
    item_ = new PoolItem;
    if (call_)
        item_->call = std::move(call_);
    else
        item_->op = io_.op();
    item_->loop = &aio::detail::LoopAccess::impl(get_running_loop());
    item_->waiter = task;
    item_->add_ref();  // the pool's reference
    try {
        aio::detail::PoolAccess::enqueue(*pool_, item_);
    } catch (...) {
        item_->release();  // the pool's
        item_->release();  // ours
        item_ = nullptr;
        throw;
    }
    pending_ = true;
    task->suspend_on(this, h);
    task->deliver_pending_cancel();
    return true;
}

bool OpAwaiter::request_cancel() noexcept {
    // Only a pool call registers the OpAwaiter itself: a kernel request
    // registers io_, which answers cancellation on its own.
    if (uncancellable_) return false;
    if (item_ && !item_->delivered && aio::detail::PoolAccess::try_remove(*pool_, item_)) {
        // Not started: it never runs.
        withdrawn_ = true;
        pending_ = false;
        item_->waiter = nullptr;
        task_->wake();
        return true;
    }
    // Running (or done): its result comes back; the cancellation waits for the next await.
    if (stop_) stop_->store(true, std::memory_order_relaxed);  // a call that can end early is told to
    return false;
}

int OpAwaiter::await_resume() {
    if (item_) {
        pending_ = false;
        if (withdrawn_) throw CancelledError();
        return item_->op.result;
    }
    return io_.take_result();
}

}  // namespace aio::files::impl
