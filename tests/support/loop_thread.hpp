// aio::test::LoopThread — an event loop running on a thread of its own, for
// the tests of what crosses between loops and threads.
#pragma once

#include <future>
#include <thread>
#include <utility>

#include <aio/aio.hpp>

namespace aio::test {

/// An event loop running on a thread of its own, made by an aio::Runner (so
/// it is shut down as aio::run would shut it down) when the LoopThread goes:
/// the destructor stops the loop and joins the thread.
class LoopThread {
public:
    explicit LoopThread(aio::LoopOptions options = {}) {
        std::promise<aio::EventLoop*> ready;
        auto loop_future = ready.get_future();
        thread_ = std::thread([ready = std::move(ready), options]() mutable {
            aio::Runner runner(options);
            aio::EventLoop& loop = runner.get_loop();
            ready.set_value(&loop);
            loop.run_forever();
        });
        loop_ = loop_future.get();
    }
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;
    ~LoopThread() {
        aio::EventLoop* l = loop_;
        l->call_soon_threadsafe([l] { l->stop(); });
        thread_.join();
    }
    aio::EventLoop& loop() { return *loop_; }
    /// Runs `coro` on this loop and blocks the calling (plain) thread for its
    /// result (ConcurrentFuture::result(): std::monostate for a Task<>).
    template <class T>
    auto run(aio::Task<T> coro) {
        return aio::run_coroutine_threadsafe(std::move(coro), *loop_).result();
    }

private:
    std::thread thread_;
    aio::EventLoop* loop_ = nullptr;
};

}  // namespace aio::test
