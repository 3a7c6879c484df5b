// One file operation, awaited: on the loop's io_uring when the kernel has it,
// on the loop's default thread pool otherwise.
//
//     IoOp op; op.kind = IoOp::Kind::Read; ...
//     int r = co_await OpAwaiter(op);          // bytes, a new fd, 0, or -errno
//     co_await OpAwaiter(std::function<void()>(call));   // any blocking call, on the pool
//
// Cancellation never leaves an operation running on memory that the awaiting
// frame owns: a pool call that has started, or a kernel request that cannot
// be withdrawn, is waited for; its result is returned and the cancellation
// stays pending for the task's next await (nothing done is lost, as in
// docs/differences.md). A call not started yet / a request the kernel
// withdraws ends the await with CancelledError.
#pragma once

#include <atomic>
#include <coroutine>
#include <functional>

#include "aio/detail/task_core.hpp"
#include "aio/threads.hpp"
#include "loop/io_wait.hpp"

namespace aio::files::impl {

using aio::detail::IoOp;

/// Whether the running loop's backend performs `kind` itself (io_uring);
/// false sends it to the thread pool. Throws RuntimeError without a running loop.
bool native(IoOp::Kind kind);

class PoolItem;

class OpAwaiter final : public aio::detail::Suspension {
public:
    /// Performs `op` (kind, fd, buffers...; complete is set here).
    explicit OpAwaiter(const IoOp& op) noexcept;
    /// Runs `call` on the loop's default thread pool.
    explicit OpAwaiter(std::function<void()> call) noexcept;
    /// Runs `call` on the pool; a cancellation that finds it running sets
    /// `*stop` (which the call watches to end early) and, as for any running
    /// call, waits for it and stays pending for the next await.
    OpAwaiter(std::function<void()> call, std::atomic<bool>* stop) noexcept;
    OpAwaiter(const OpAwaiter&) = delete;
    OpAwaiter& operator=(const OpAwaiter&) = delete;
    ~OpAwaiter();

    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
        return start(h.promise().owner(), h);
    }
    /// The op's result (>= 0 or -errno); 0 for a call. Throws CancelledError
    /// when the operation was withdrawn before it did anything.
    int await_resume();
    bool request_cancel() noexcept override;
    /// Cancellation never withdraws this operation (closing a descriptor
    /// must happen): it completes, and the cancellation waits for the next await.
    void uncancellable() noexcept {
        uncancellable_ = true;
        io_.uncancellable();
    }

private:
    bool start(aio::detail::TaskCore* task, std::coroutine_handle<> h);

    aio::detail::IoWait io_;   // the kernel's request, when the backend performs it
    std::function<void()> call_;
    aio::detail::TaskCore* task_ = nullptr;
    PoolItem* item_ = nullptr;  // set while a pool call is pending
    ThreadPoolExecutor* pool_ = nullptr;
    bool pending_ = false;
    bool withdrawn_ = false;
    bool uncancellable_ = false;
    std::atomic<bool>* stop_ = nullptr;
};

/// Awaits a blocking call on the pool: `co_await blocking(f)` (f runs once).
inline OpAwaiter blocking(std::function<void()> call) noexcept { return OpAwaiter(std::move(call)); }

}  // namespace aio::files::impl
