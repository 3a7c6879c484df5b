// to_thread, run_in_executor and ThreadPoolExecutor.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <chrono>

#include <aio/aio.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>
#include "support/raises.hpp"

using namespace std::chrono_literals;

TEST(ToThread, RunsOffTheLoopThreadAndReturnsTheResult) {
    auto loop_thread = std::this_thread::get_id();
    auto r = aio::run([&]() -> aio::Task<bool> {
        auto worker_thread = co_await aio::to_thread([] { return std::this_thread::get_id(); });
        co_return worker_thread != loop_thread;
    }());
    EXPECT_TRUE(r);
}

TEST(ToThread, ArgumentsAreCopiedAndExceptionsReachTheAwaiter) {
    aio::run([]() -> aio::Task<> {
        int v = co_await aio::to_thread([](int a, std::string b) { return a + static_cast<int>(b.size()); }, 2,
                                        std::string("abc"));
        EXPECT_EQ(v, 5);
        {  // expects std::invalid_argument
            bool threw = false;
            try {
                co_await aio::to_thread([]() -> int { throw std::invalid_argument("no"); });
            } catch (const std::invalid_argument&) {
                threw = true;
            }
            EXPECT_TRUE(threw) << "awaiting aio::to_thread([]() -> int { throw std::invalid_argument('no'); }) did not throw std::invalid_argument";
        }
        co_await aio::to_thread([] {});
    }());
}

TEST(ToThread, BlockingCallsRunConcurrently) {
    // Each call waits until all three are inside: that can only happen if the
    // pool runs them at the same time (a serial pool would give up after 10 s).
    std::mutex mu;
    std::condition_variable cv;
    int inside = 0;
    auto meet = [&] {
        std::unique_lock lock(mu);
        ++inside;
        cv.notify_all();
        return cv.wait_for(lock, 10s, [&] { return inside == 3; });
    };
    auto [a, b, c] = aio::run([&]() -> aio::Task<std::tuple<bool, bool, bool>> {
        co_return co_await aio::gather(aio::to_thread(meet), aio::to_thread(meet), aio::to_thread(meet));
    }());
    EXPECT_TRUE(a && b && c);
}

TEST(ToThread, CancellingAQueuedCallRemovesIt) {
    std::atomic<int> ran{0};
    aio::run([&]() -> aio::Task<> {
        aio::ThreadPoolExecutor pool(1);
        std::atomic<bool> release{false};
        auto blocker = aio::get_running_loop().run_in_executor(&pool, [&] {
            while (!release) std::this_thread::sleep_for(1ms);
        });
        auto queued = aio::get_running_loop().run_in_executor(&pool, [&] { ++ran; });
        co_await aio::sleep(5ms);
        queued.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(queued);
            EXPECT_TRUE(raised.has_value()) << "awaiting queued did not throw aio::CancelledError";
        }
        release = true;
        co_await blocker;
        pool.shutdown(true);
    }());
    EXPECT_EQ(ran.load(), 0);
}

TEST(ToThread, CancellingARunningCallAbandonsIt) {
    std::atomic<bool> started{false}, release{false}, finished{false};
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(aio::to_thread([&] {
            started = true;
            while (!release) std::this_thread::sleep_for(1ms);
            finished = true;
        }));
        while (!started) co_await aio::sleep(1ms);
        t.cancel();
        {  // expects aio::CancelledError  — at once: the call is abandoned
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
        EXPECT_FALSE(finished.load());
        release = true;
    }());
    EXPECT_TRUE(finished.load());  // run() waited for the pool at shutdown
}

TEST(ThreadPoolExecutor, SubmitAndShutdown) {
    aio::ThreadPoolExecutor pool(2);
    auto f = pool.submit([](int x) { return x * 2; }, 21);
    EXPECT_EQ(f.get(), 42);
    pool.shutdown();
    EXPECT_THROW(pool.submit([] { return 0; }), aio::RuntimeError);
}

TEST(ThreadPoolExecutor, RunInExecutorOnAShutDownPoolIsARuntimeError) {
    aio::run([]() -> aio::Task<> {
        aio::ThreadPoolExecutor pool(1);
        pool.shutdown();
        auto t = aio::get_running_loop().run_in_executor(&pool, [] { return 1; });
        {  // expects aio::RuntimeError
            auto raised = co_await aio::test::raises<aio::RuntimeError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::RuntimeError";
        }
    }());
}

TEST(ThreadPoolExecutor, DefaultExecutorThroughRunInExecutor) {
    auto r = aio::run([]() -> aio::Task<int> {
        auto t = aio::get_running_loop().run_in_executor(nullptr, [](int a, int b) { return a * b; }, 6, 7);
        co_return co_await t;
    }());
    EXPECT_EQ(r, 42);
}

TEST(ThreadPoolExecutor, ManyCallsInFlight) {
    auto r = aio::run([]() -> aio::Task<long> {
        std::vector<aio::Task<int>> calls;
        for (int i = 0; i < 2000; ++i) calls.push_back(aio::to_thread([i] { return i; }));
        auto v = co_await aio::gather(std::move(calls));
        long s = 0;
        for (int x : v) s += x;
        co_return s;
    }());
    EXPECT_EQ(r, 2000L * 1999 / 2);
}

TEST(ThreadPoolExecutor, ABurstStartsThreadsAlthoughOneWorkerIsIdle) {
    // Python's rule: each item claims an idle worker; one idle worker serves
    // one item of a burst, and threads are started for the others.
    aio::ThreadPoolExecutor pool(4);
    pool.submit([] {}).get();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the worker goes idle
    std::mutex m;
    std::condition_variable cv;
    int arrived = 0;
    auto meet = [&] {
        std::unique_lock lock(m);
        ++arrived;
        cv.notify_all();
        return cv.wait_for(lock, std::chrono::seconds(5), [&] { return arrived >= 3; });
    };
    auto a = pool.submit(meet);
    auto b = pool.submit(meet);
    auto c = pool.submit(meet);
    EXPECT_TRUE(a.get());  // all three ran at the same time
    EXPECT_TRUE(b.get());
    EXPECT_TRUE(c.get());
}

namespace {
/// Submits `n` calls that each wait (5 s at most) until all `n` have started:
/// true when every one of them saw the others, i.e. they ran at the same time.
bool n_calls_meet(aio::ThreadPoolExecutor& pool, int n) {
    std::mutex m;
    std::condition_variable cv;
    int arrived = 0;
    auto meet = [&] {
        std::unique_lock lock(m);
        ++arrived;
        cv.notify_all();
        return cv.wait_for(lock, std::chrono::seconds(5), [&] { return arrived >= n; });
    };
    std::vector<std::future<bool>> calls;
    for (int i = 0; i < n; ++i) calls.push_back(pool.submit(meet));
    bool all = true;
    for (auto& c : calls) all = c.get() && all;
    return all;
}
}  // namespace

TEST(ThreadPoolExecutor, ABurstWakesEveryIdleWorker) {
    // Workers that are asleep, or still looking at the queue after their last
    // call, are each woken for a burst (one notifying the next): a worker
    // that looks for work takes only one call at a time.
    aio::ThreadPoolExecutor pool(4);
    EXPECT_TRUE(n_calls_meet(pool, 4));  // four threads exist now
    EXPECT_TRUE(n_calls_meet(pool, 4));  // at once: some of them are still looking
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // all asleep
    EXPECT_TRUE(n_calls_meet(pool, 4));
    for (int round = 0; round < 20; ++round) {
        EXPECT_TRUE(n_calls_meet(pool, 3)) << "round " << round;
    }
}

TEST(ThreadPoolExecutor, AUserPoolMayOutliveItsLoop) {
    aio::ThreadPoolExecutor pool(1);
    std::atomic<bool> started{false}, finish{false};
    {
        aio::EventLoop loop;
        loop.run_until_complete([](aio::ThreadPoolExecutor& pool, std::atomic<bool>& started,
                                   std::atomic<bool>& finish) -> aio::Task<> {
            auto call = [&started, &finish] {
                started = true;
                while (!finish) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                return 1;
            };
            auto t = aio::get_running_loop().run_in_executor(&pool, call);
            while (!started) co_await aio::sleep(std::chrono::milliseconds(1));
            // Return with the call still running: its task is pending at close.
        }(pool, started, finish));
        loop.close();
    }  // the loop is freed while the call runs
    finish = true;
    // The finished call must not post into the freed loop; the pool goes on.
    EXPECT_EQ(pool.submit([] { return 5; }).get(), 5);
    pool.shutdown(true);
}
