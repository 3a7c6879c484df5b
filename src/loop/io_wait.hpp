// The one I/O awaiter: an IoOp handed to the running loop's backend, its task suspended until it completes.
//
// Sockets (readiness) and files (completion operations) both wait through
// IoWait, so the rules of an operation in flight live in one place:
// - The IoOp lives in the awaiting frame; IoWait keeps the frame suspended
//   until the backend has called back, and a frame destroyed while the
//   operation is pending (a loop tearing its tasks down) abandons it first.
// - Cancellation asks the backend to withdraw the operation and still waits
//   for its completion: -ECANCELED when it was withdrawn, or the real result
//   when the operation won the race. What the awaiter then does with a
//   cancellation that lost (deliver the result, or raise anyway) is its own
//   policy: see cancel_asked() and withdrawn(), and docs/cancellation.md.
#pragma once

#include <cerrno>
#include <coroutine>
#include <cstddef>

#include "aio/detail/task_core.hpp"
#include "aio/exceptions.hpp"
#include "loop/io_backend.hpp"

namespace aio::detail {

/// The running loop's I/O backend. Throws RuntimeError ("<what> outside a
/// running event loop") when this thread runs no loop.
IoBackend& running_backend(const char* what);
/// The running loop's I/O backend, or nullptr.
IoBackend* running_backend_or_null() noexcept;

class IoWait final : public Suspension {
public:
    IoWait() noexcept = default;
    explicit IoWait(const IoOp& op) noexcept { op_.base = op; }
    IoWait(const IoWait&) = delete;
    IoWait& operator=(const IoWait&) = delete;
    ~IoWait() {
        if (pending_) backend_->abandon(op_.base);
    }

    /// The operation to perform (kind, fd, buffers...); `complete` is set by start().
    IoOp& op() noexcept { return op_.base; }

    /// Submits the operation to `backend` for `task`, suspended at `h`.
    /// Returns false when it completed at once (the task does not suspend).
    bool start(IoBackend& backend, TaskCore* task, std::coroutine_handle<> h) {
        task_ = task;
        backend_ = &backend;
        op_.self = this;
        op_.base.complete = &IoWait::on_complete;
        if (backend.submit(op_.base)) return false;
        pending_ = true;
        task->suspend_on(this, h);
        task->deliver_pending_cancel();
        return true;
    }

    bool request_cancel() noexcept override {
        if (!pending_ || uncancellable_) return false;
        cancel_asked_ = true;
        backend_->cancel(op_.base);  // the completion wakes the task: -ECANCELED, or the real result
        return true;
    }

    /// The operation's result: bytes, a new fd, 0, or -errno.
    int result() const noexcept { return op_.base.result; }
    /// The task asked to cancel while the operation was pending.
    bool cancel_asked() const noexcept { return cancel_asked_; }
    /// The backend withdrew the operation at the task's request: it did nothing.
    bool withdrawn() const noexcept { return cancel_asked_ && op_.base.result == -ECANCELED; }
    /// The result for an operation that produces something (bytes read or
    /// written, a descriptor): CancelledError when the backend withdrew it;
    /// otherwise its result, and a cancellation that lost the race waits for
    /// the task's next await (nothing done is lost).
    int take_result() const {
        if (withdrawn()) throw CancelledError();
        if (cancel_asked_) task_->flags |= TaskCore::kCancelPending;
        return op_.base.result;
    }
    /// Cancellation never withdraws this operation (closing a descriptor must
    /// happen): it completes, and the cancellation waits for the next await.
    void uncancellable() noexcept { uncancellable_ = true; }

private:
    struct Op {
        IoOp base;  // first: on_complete gets back from the IoOp to the IoWait
        IoWait* self = nullptr;
    };
    static void on_complete(IoOp* op) noexcept {
        IoWait* self = reinterpret_cast<Op*>(op)->self;
        self->pending_ = false;
        self->task_->wake();
    }

    Op op_;
    IoBackend* backend_ = nullptr;
    TaskCore* task_ = nullptr;
    bool pending_ = false;
    bool cancel_asked_ = false;
    bool uncancellable_ = false;

public:
    static_assert(offsetof(Op, base) == 0);
};

}  // namespace aio::detail
