// The event loop API: callbacks, timers, thread-safe scheduling, signals,
// run/stop/close, exception handler, debug mode.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <unistd.h>

#include <sys/wait.h>

#include <memory>

#include <cstdlib>

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
    auto h20 = loop.call_later(20ms, [&] { order.push_back("20"); });
    auto h = loop.call_later(10ms, [&] { order.push_back("10-cancelled"); });
    auto h5 = loop.call_later(5ms, [&] { order.push_back("5"); });
    loop.call_at(loop.time() + 30ms, [&] {
        order.push_back("30");
        loop.stop();
    });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    loop.run_forever();
    // By deadline: "5" was set after "20", so on a machine that stalled more
    // than 15 ms between the two calls its deadline is the later one.
    std::vector<std::string> by_deadline{"5", "20", "30"};
    if (h20.when() <= h5.when()) {
        by_deadline = {"20", "5", "30"};
    }
    EXPECT_EQ(order, by_deadline);
}

TEST(EventLoop, TimerHandleKnowsWhen) {
    aio::EventLoop loop;
    auto at = loop.time() + 1s;
    auto h = loop.call_at(at, [] {});
    EXPECT_EQ(h.when(), at);
    h.cancel();
}

TEST(EventLoop, TimeIsTheClockCallAtFiresOn) {
    // A callback set for loop.time() + d runs once loop.time() has reached
    // that point, and callbacks at one deadline run in the order they were set.
    aio::EventLoop loop;
    auto when = loop.time() + 2ms;
    std::vector<int> order;
    aio::Clock::time_point seen{};
    loop.call_at(when, [&] {
        order.push_back(1);
        seen = loop.time();
    });
    loop.call_at(when, [&] { order.push_back(2); });
    loop.call_at(when + 1ms, [&] {
        order.push_back(3);
        loop.stop();
    });
    loop.run_forever();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_GE(seen, when);
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

TEST(EventLoop, ALoopAsleepAgainIsWokenAgain) {
    // Each round the loop goes to sleep with nothing to do, and another thread
    // posts one callback: the wake-up of one round must not be taken for the
    // next one's.
    aio::EventLoop loop;
    constexpr int kRounds = 200;
    std::atomic<int> handled{0};
    std::thread poster([&] {
        for (int i = 0; i < kRounds; ++i) {
            while (handled.load() != i) std::this_thread::yield();
            std::this_thread::sleep_for(std::chrono::microseconds(200));  // the loop is asleep by now
            loop.call_soon_threadsafe([&] {
                if (handled.fetch_add(1) + 1 == kRounds) loop.stop();
            });
        }
    });
    loop.run_forever();
    poster.join();
    EXPECT_EQ(handled.load(), kRounds);
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

namespace {

aio::Task<> hold_for_an_hour(std::shared_ptr<int> keep) {
    co_await aio::sleep(1h);
    (void)keep;
}

}  // namespace

TEST(EventLoop, CloseFreesPendingTasksAndCallLaterHandles) {
    auto counter = std::make_shared<int>(0);
    aio::EventLoop loop;
    loop.call_later(1h, [counter] {});
    aio::Task<> kept;
    loop.run_until_complete([](std::shared_ptr<int> c, aio::Task<>& kept) -> aio::Task<> {
        (void)aio::create_task(hold_for_an_hour(c));  // handle dropped: the task is pending
        kept = aio::create_task(hold_for_an_hour(c));
        co_await aio::sleep(0s);
    }(counter, kept));
    EXPECT_EQ(counter.use_count(), 4);
    loop.close();
    EXPECT_EQ(counter.use_count(), 2);  // ours, and the kept task's frame
    EXPECT_TRUE(kept.done());
    EXPECT_TRUE(kept.cancelled());
    EXPECT_THROW((void)kept.result(), aio::CancelledError);
    kept = aio::Task<>();
    EXPECT_EQ(counter.use_count(), 1);
}

// SIGPIPE: checked in a fresh process (the disposition is set once per
// process, when its first loop is made). The test binary runs itself with
// AIO_TEST_SIGPIPE set; the child reports by its exit code.
namespace {
constexpr int kIgnored = 10, kDefault = 11, kHandlerKept = 12, kOther = 13;
void user_sigpipe_handler(int) {}
}  // namespace

TEST(SigpipeChild, Report) {
    const char* mode = std::getenv("AIO_TEST_SIGPIPE");
    if (!mode) GTEST_SKIP() << "run by EventLoop.SigpipeIsIgnoredUnlessTheProgramHandlesIt";
    if (std::string(mode) == "handler") std::signal(SIGPIPE, &user_sigpipe_handler);
    {
        aio::EventLoop loop;
    }
    struct sigaction now {};
    ::sigaction(SIGPIPE, nullptr, &now);
    if (now.sa_handler == SIG_IGN) std::_Exit(kIgnored);
    if (now.sa_handler == SIG_DFL) std::_Exit(kDefault);
    if (now.sa_handler == &user_sigpipe_handler) std::_Exit(kHandlerKept);
    std::_Exit(kOther);
}

namespace {
int run_sigpipe_child(const char* mode) {
    pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);  // exec keeps SIG_IGN: start from the default
        ::setenv("AIO_TEST_SIGPIPE", mode, 1);
        ::execl("/proc/self/exe", "test_events", "--gtest_filter=SigpipeChild.Report", static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

TEST(EventLoop, SigpipeIsIgnoredUnlessTheProgramHandlesIt) {
    EXPECT_EQ(run_sigpipe_child("default"), kIgnored);
    EXPECT_EQ(run_sigpipe_child("handler"), kHandlerKept);
}
