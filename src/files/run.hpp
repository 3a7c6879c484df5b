// Helpers of src/files: one IoOp, or one blocking function on the pool.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

#include "aio/task.hpp"
#include "files/op.hpp"

namespace aio::files::impl {

/// Performs one op (io_uring or pool): its result, >= 0 or -errno.
inline Task<int> run_op(IoOp op) {
    OpAwaiter aw(op);
    int r = co_await aw;
    co_return r;
}

/// Runs f() on the loop's default pool; its exceptions reach the awaiter.
template <class R>
Task<R> in_pool(std::function<R()> f) {
    std::optional<R> result;
    std::exception_ptr error;
    std::function<void()> call = [&f, &result, &error] {
        try {
            result.emplace(f());
        } catch (...) {
            error = std::current_exception();
        }
    };
    OpAwaiter aw(std::move(call));
    co_await aw;
    if (error) std::rethrow_exception(error);
    co_return std::move(*result);
}

/// The same for a call that returns nothing. With `stop`, a long call that
/// watches it: a cancellation sets it, and waits for the call to return.
inline Task<> in_pool_void(std::function<void()> f, std::atomic<bool>* stop = nullptr) {
    std::exception_ptr error;
    std::function<void()> call = [&f, &error] {
        try {
            f();
        } catch (...) {
            error = std::current_exception();
        }
    };
    OpAwaiter aw(std::move(call), stop);
    co_await aw;
    if (error) std::rethrow_exception(error);
}

}  // namespace aio::files::impl
