// The event loop API: callbacks, timers, thread-safe scheduling, signals,
// run/stop/close, exception handler, debug mode.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <csignal>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

TEST(EventLoop, CallSoonRunsInFifoOrder) {
    aio::EventLoop loop;
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) loop.call_soon([&, i] { order.push_back(i); });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(EventLoop, CallLaterOrdersByTimeAndCanBeCancelled) {
    aio::EventLoop loop;
    std::vector<std::string> order;
    loop.call_later(20ms, [&] { order.push_back("20"); });
    auto h = loop.call_later(10ms, [&] { order.push_back("10-cancelled"); });
    loop.call_later(5ms, [&] { order.push_back("5"); });
    loop.call_at(loop.time() + 30ms, [&] {
        order.push_back("30");
        loop.stop();
    });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    loop.run_forever();
    EXPECT_EQ(order, (std::vector<std::string>{"5", "20", "30"}));
}

TEST(EventLoop, TimerHandleKnowsWhen) {
    aio::EventLoop loop;
    auto at = loop.time() + 1s;
    auto h = loop.call_at(at, [] {});
    EXPECT_EQ(h.when(), at);
    h.cancel();
}

TEST(EventLoop, TimeIsMonotonic) {
    aio::EventLoop loop;
    auto a = loop.time();
    auto b = loop.time();
    EXPECT_LE(a, b);
}

TEST(EventLoop, CallSoonThreadsafeWakesASleepingLoop) {
    aio::EventLoop loop;
    std::atomic<bool> ran{false};
    std::thread t([&] {
        std::this_thread::sleep_for(20ms);
        loop.call_soon_threadsafe([&] {
            ran = true;
            loop.stop();
        });
    });
    loop.run_forever();  // would block forever without the eventfd wake-up
    t.join();
    EXPECT_TRUE(ran);
}

TEST(EventLoop, ManyThreadsPostingConcurrently) {
    aio::EventLoop loop;
    int count = 0;  // touched on the loop thread only
    constexpr int kThreads = 4, kEach = 10000;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&] {
            for (int j = 0; j < kEach; ++j)
                loop.call_soon_threadsafe([&] {
                    if (++count == kThreads * kEach) loop.stop();
                });
        });
    loop.run_forever();
    for (auto& t : threads) t.join();
    EXPECT_EQ(count, kThreads * kEach);
}

TEST(EventLoop, RunUntilCompleteAndClose) {
    aio::EventLoop loop;
    auto hello = []() -> aio::Task<std::string> {
        co_await aio::sleep(1ms);
        co_return "World";
    };
    EXPECT_EQ(loop.run_until_complete(hello()), "World");
    EXPECT_FALSE(loop.is_running());
    loop.close();
    EXPECT_TRUE(loop.is_closed());
    EXPECT_THROW(loop.call_soon([] {}), aio::RuntimeError);
    EXPECT_THROW(loop.run_forever(), aio::RuntimeError);
    EXPECT_THROW((void)loop.create_task(hello()), aio::RuntimeError);
    loop.close();  // idempotent
}

TEST(EventLoop, RunningTwiceIsARuntimeError) {
    aio::EventLoop loop;
    loop.call_soon([&] {
        EXPECT_THROW(loop.run_forever(), aio::RuntimeError);
        EXPECT_THROW(loop.close(), aio::RuntimeError);
        EXPECT_TRUE(loop.is_running());
        loop.stop();
    });
    loop.run_forever();
}

TEST(EventLoop, GetRunningLoop) {
    EXPECT_THROW(aio::get_running_loop(), aio::RuntimeError);
    EXPECT_EQ(aio::running_loop_or_null(), nullptr);
    aio::run([]() -> aio::Task<> {
        EXPECT_TRUE(aio::get_running_loop().is_running());
        co_return;
    }());
}

TEST(EventLoop, SignalHandlersRunOnTheLoop) {
    aio::EventLoop loop;
    int got = 0;
    loop.add_signal_handler(SIGUSR1, [&] {
        ++got;
        loop.stop();
    });
    loop.call_soon([] { ::raise(SIGUSR1); });
    loop.run_forever();
    EXPECT_EQ(got, 1);
    EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
    EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
    EXPECT_THROW(loop.add_signal_handler(SIGKILL, [] {}), aio::ValueError);
    EXPECT_THROW(loop.add_signal_handler(0, [] {}), aio::ValueError);
}

TEST(EventLoop, ExceptionHandlerGetsCallbackErrors) {
    aio::EventLoop loop;
    std::vector<std::string> seen;
    loop.set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& ctx) {
        seen.push_back(ctx.message + ": " + aio::describe_exception(ctx.exception));
    });
    loop.call_soon([] { throw std::runtime_error("bad callback"); });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_NE(seen[0].find("bad callback"), std::string::npos);
}

TEST(EventLoop, DebugModeReportsSlowCallbacks) {
    aio::EventLoop loop({.debug = true, .slow_callback_duration = 5ms});
    EXPECT_TRUE(loop.get_debug());
    std::vector<std::string> seen;
    loop.set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& ctx) { seen.push_back(ctx.message); });
    loop.call_soon([] { std::this_thread::sleep_for(20ms); });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_NE(seen[0].find("took"), std::string::npos);
}

TEST(EventLoop, DebugModeReportsALazyTaskNeverAwaited) {
    std::vector<std::string> seen;
    aio::run(
        [&]() -> aio::Task<> {
            aio::get_running_loop().set_exception_handler(
                [&](aio::EventLoop&, const aio::ExceptionContext& ctx) { seen.push_back(ctx.message); });
            auto never = []() -> aio::Task<> { co_return; };
            { auto t = never(); }
            co_return;
        }(),
        {.debug = true});
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_NE(seen[0].find("never"), std::string::npos);
}
