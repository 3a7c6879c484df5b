// aio::Runner (asyncio.Runner): one event loop for several run() calls.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <chrono>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

aio::Task<aio::EventLoop*> running_loop_address() {
    co_await aio::sleep(0s);
    co_return &aio::get_running_loop();
}

aio::Task<> count_ticks(std::shared_ptr<int> ticks) {
    for (;;) {
        co_await aio::sleep(1ms);
        ++*ticks;
    }
}

aio::Task<> wait_for_ticks(std::shared_ptr<int> ticks, int at_least) {
    while (*ticks < at_least) co_await aio::sleep(1ms);
}

/// Sleeps for an hour; records whether it was cancelled.
aio::Task<> sleep_an_hour(std::shared_ptr<bool> cancelled) {
    try {
        co_await aio::sleep(1h);
    } catch (const aio::CancelledError&) {
        *cancelled = true;
        throw;
    }
}

aio::ContextVar<std::string> user("user");

}  // namespace

TEST(Runner, RunsSeveralTasksOnOneLoop) {
    aio::Runner runner;
    aio::EventLoop* first = runner.run(running_loop_address());
    aio::EventLoop* second = runner.run(running_loop_address());
    EXPECT_EQ(first, second);
    EXPECT_EQ(first, &runner.get_loop());
    auto sum = runner.run([]() -> aio::Task<int> { co_return 40 + 2; }());
    EXPECT_EQ(sum, 42);
}

TEST(Runner, TasksLeftPendingByOneRunGoOnInTheNext) {
    aio::Runner runner;
    auto ticks = std::make_shared<int>(0);
    runner.run([](std::shared_ptr<int> t) -> aio::Task<> {
        (void)aio::create_task(count_ticks(t));  // still pending when this run ends
        co_return;
    }(ticks));
    runner.run(wait_for_ticks(ticks, 3));
    EXPECT_GE(*ticks, 3);
}

TEST(Runner, ExceptionsReachTheCaller) {
    aio::Runner runner;
    auto failing = []() -> aio::Task<> {
        co_await aio::sleep(0s);
        throw aio::ValueError("no");
    };
    EXPECT_THROW(runner.run(failing()), aio::ValueError);
    EXPECT_EQ(runner.run([]() -> aio::Task<int> { co_return 1; }()), 1);  // the loop is still usable
}

TEST(Runner, CloseCancelsPendingTasksAndIsIdempotent) {
    aio::Runner runner;
    auto cancelled = std::make_shared<bool>(false);
    runner.run([](std::shared_ptr<bool> c) -> aio::Task<> {
        (void)aio::create_task(sleep_an_hour(c));
        co_await aio::sleep(0s);
    }(cancelled));
    EXPECT_FALSE(*cancelled);
    runner.close();
    EXPECT_TRUE(*cancelled);
    runner.close();
    EXPECT_THROW((void)runner.get_loop(), aio::RuntimeError);
    EXPECT_THROW(runner.run(running_loop_address()), aio::RuntimeError);
}

TEST(Runner, TheDestructorClosesLikeCloseDoes) {
    auto cancelled = std::make_shared<bool>(false);
    {
        aio::Runner runner;
        runner.run([](std::shared_ptr<bool> c) -> aio::Task<> {
            (void)aio::create_task(sleep_an_hour(c));
            co_await aio::sleep(0s);
        }(cancelled));
    }
    EXPECT_TRUE(*cancelled);
}

TEST(Runner, TheDefaultExecutorServesEveryRunAndIsShutDownAtClose) {
    aio::Runner runner;
    auto twice = [](int x) { return 2 * x; };
    EXPECT_EQ(runner.run(aio::to_thread(twice, 4)), 8);
    EXPECT_EQ(runner.run(aio::to_thread(twice, 5)), 10);
    runner.close();  // joins the pool's threads
}

TEST(Runner, RunInsideARunningLoopThrowsRuntimeError) {
    aio::Runner outer;
    aio::run([](aio::Runner& r) -> aio::Task<> {
        aio::Runner inner;
        EXPECT_THROW(inner.run(running_loop_address()), aio::RuntimeError);
        EXPECT_THROW(r.run(running_loop_address()), aio::RuntimeError);
        co_return;
    }(outer));
}

TEST(Runner, CloseWhileItsLoopRunsThrowsRuntimeError) {
    aio::Runner runner;
    runner.run([](aio::Runner& r) -> aio::Task<> {
        EXPECT_THROW(r.close(), aio::RuntimeError);
        co_return;
    }(runner));
    runner.close();
}

TEST(Runner, OptionsReachTheLoop) {
    aio::LoopOptions options;
    options.debug = true;
    aio::Runner runner(options);
    EXPECT_TRUE(runner.get_loop().get_debug());
    bool debug_inside = runner.run([]() -> aio::Task<bool> { co_return aio::get_running_loop().get_debug(); }());
    EXPECT_TRUE(debug_inside);
}

TEST(Runner, EveryRunExecutesInTheRunnersContext) {
    // asyncio.Runner runs each main task in its own context object: what one
    // run sets, the next sees; the thread's context is left alone.
    aio::Runner runner;
    runner.run([]() -> aio::Task<> {
        user.set("alice");
        co_return;
    }());
    auto seen = runner.run([]() -> aio::Task<std::string> { co_return user.get("<none>"); }());
    EXPECT_EQ(seen, "alice");
    EXPECT_EQ(user.get("<none>"), "<none>");
}

TEST(Runner, ScheduledTasksOfItsLoopCanBeRun) {
    aio::Runner runner;
    auto task = runner.get_loop().create_task([]() -> aio::Task<int> { co_return 9; }());
    EXPECT_EQ(runner.run(std::move(task)), 9);
    EXPECT_THROW(runner.run(aio::Task<int>()), aio::InvalidStateError);
}
