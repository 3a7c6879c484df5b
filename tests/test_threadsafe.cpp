// aio::run_coroutine_threadsafe and ConcurrentFuture (asyncio.run_coroutine_threadsafe,
// concurrent.futures.Future), and call_soon_threadsafe handles cancelled from
// another thread.
// aio-test-labels: threads
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "support/loop_thread.hpp"

using namespace std::chrono_literals;
using aio::test::LoopThread;

namespace {

aio::Task<int> times_seven(int x) {
    co_await aio::sleep(1ms);
    co_return x * 7;
}

aio::Task<std::thread::id> loop_thread_id() {
    co_await aio::sleep(0s);
    co_return std::this_thread::get_id();
}

aio::Task<int> fail_with_value_error() {
    co_await aio::sleep(0s);
    throw aio::ValueError("bad value");
}

/// Reports through `started` that it runs, sleeps for an hour, and reports
/// through `saw_cancel` that CancelledError arrived.
aio::Task<> sleep_until_cancelled(std::promise<void>* saw_cancel, std::promise<void>* started) {
    started->set_value();
    try {
        co_await aio::sleep(1h);
    } catch (const aio::CancelledError&) {
        saw_cancel->set_value();
        throw;
    }
}

aio::ContextVar<std::string> submitter("submitter");

aio::Task<std::string> read_submitter() {
    co_await aio::sleep(0s);
    co_return submitter.get("<none>");
}

}  // namespace

TEST(RunCoroutineThreadsafe, ReturnsTheResultToTheSubmittingThread) {
    LoopThread lt;
    auto f = aio::run_coroutine_threadsafe(times_seven(6), lt.loop());
    EXPECT_EQ(f.result(), 42);
    EXPECT_TRUE(f.done());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.exception(), nullptr);
    EXPECT_EQ(f.result(), 42);  // a copyable result can be read again
    EXPECT_FALSE(f.cancel());   // finished: cannot be cancelled
}

TEST(RunCoroutineThreadsafe, TheCoroutineRunsOnTheLoopsThread) {
    LoopThread lt;
    auto f = aio::run_coroutine_threadsafe(loop_thread_id(), lt.loop());
    EXPECT_NE(f.result(), std::this_thread::get_id());
}

TEST(RunCoroutineThreadsafe, TheTasksExceptionReachesResultAndException) {
    LoopThread lt;
    auto f = aio::run_coroutine_threadsafe(fail_with_value_error(), lt.loop());
    EXPECT_THROW((void)f.result(), aio::ValueError);
    EXPECT_NE(f.exception(), nullptr);
    EXPECT_FALSE(f.cancelled());
}

TEST(RunCoroutineThreadsafe, ResultWithATimeoutThrowsTimeoutErrorThenCancelReachesTheTask) {
    LoopThread lt;
    std::promise<void> saw_cancel, started;
    auto f = aio::run_coroutine_threadsafe(sleep_until_cancelled(&saw_cancel, &started), lt.loop());
    started.get_future().get();
    EXPECT_THROW((void)f.result(10ms), aio::TimeoutError);
    EXPECT_THROW((void)f.exception(1ms), aio::TimeoutError);
    EXPECT_FALSE(f.done());
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.cancel());  // already cancelled: true again, as concurrent.futures
    EXPECT_TRUE(f.done());
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW((void)f.result(), aio::CancelledError);
    EXPECT_THROW((void)f.exception(), aio::CancelledError);
    saw_cancel.get_future().get();  // the task on the loop was cancelled too
}

TEST(RunCoroutineThreadsafe, DoneCallbacksRunOnceDoneOrAtOnceWhenAlreadyDone) {
    LoopThread lt;
    std::promise<std::thread::id> called_on;
    auto f = aio::run_coroutine_threadsafe(times_seven(1), lt.loop());
    f.add_done_callback([&] { called_on.set_value(std::this_thread::get_id()); });
    EXPECT_EQ(f.result(), 7);
    auto id = called_on.get_future().get();
    EXPECT_NE(id, std::this_thread::get_id());  // on the loop's thread, which finished it
    bool at_once = false;
    f.add_done_callback([&] { at_once = true; });
    EXPECT_TRUE(at_once);
}

TEST(RunCoroutineThreadsafe, TheCoroutineSeesTheSubmittingThreadsContext) {
    LoopThread lt;
    submitter.set("test-thread");
    auto f = aio::run_coroutine_threadsafe(read_submitter(), lt.loop());
    EXPECT_EQ(f.result(), "test-thread");
    aio::Context().run([] { submitter.set("<none>"); });
}

TEST(RunCoroutineThreadsafe, WaitingOnTheLoopsOwnThreadThrowsInsteadOfBlocking) {
    aio::run([]() -> aio::Task<> {
        auto f = aio::run_coroutine_threadsafe(times_seven(2), aio::get_running_loop());
        EXPECT_THROW((void)f.result(), aio::RuntimeError);
        EXPECT_THROW((void)f.exception(), aio::RuntimeError);
        while (!f.done()) co_await aio::sleep(1ms);
        EXPECT_EQ(f.result(), 14);  // done: reading it is fine
    }());
}

TEST(RunCoroutineThreadsafe, ALoopClosedBeforeTheCoroutineRanCancelsTheFuture) {
    aio::EventLoop loop;
    auto f = aio::run_coroutine_threadsafe(times_seven(3), loop);
    loop.close();
    EXPECT_TRUE(f.cancelled());
    EXPECT_THROW((void)f.result(), aio::CancelledError);
    EXPECT_THROW((void)aio::run_coroutine_threadsafe(times_seven(3), loop), aio::RuntimeError);
}

TEST(RunCoroutineThreadsafe, ALoopClosedWhileTheTaskWaitsCancelsTheFuture) {
    std::promise<void> saw_cancel, started;
    aio::ConcurrentFuture<> f;
    {
        LoopThread lt;
        f = aio::run_coroutine_threadsafe(sleep_until_cancelled(&saw_cancel, &started), lt.loop());
        started.get_future().get();
        EXPECT_THROW(f.result(5ms), aio::TimeoutError);
    }  // the Runner cancels the pending task at shutdown
    EXPECT_TRUE(f.cancelled());
    saw_cancel.get_future().get();
}

TEST(RunCoroutineThreadsafe, WorksWithEagerTasks) {
    aio::LoopOptions eager;
    eager.eager_tasks = true;
    LoopThread lt(eager);
    auto immediate = []() -> aio::Task<int> { co_return 5; };
    auto f = aio::run_coroutine_threadsafe(immediate(), lt.loop());
    EXPECT_EQ(f.result(), 5);
    std::promise<void> saw_cancel, started;
    auto g = aio::run_coroutine_threadsafe(sleep_until_cancelled(&saw_cancel, &started), lt.loop());
    started.get_future().get();
    EXPECT_THROW(g.result(5ms), aio::TimeoutError);
    EXPECT_TRUE(g.cancel());
    saw_cancel.get_future().get();
}

TEST(RunCoroutineThreadsafe, CancelledBeforeItStartedTheCoroutineNeverRuns) {
    LoopThread lt;
    std::promise<void> release;
    auto released = release.get_future().share();
    lt.loop().call_soon_threadsafe([released] { released.wait(); });  // keeps the loop busy
    std::atomic<bool> ran{false};
    auto body = [](std::atomic<bool>* r) -> aio::Task<> {
        *r = true;
        co_return;
    };
    auto f = aio::run_coroutine_threadsafe(body(&ran), lt.loop());
    EXPECT_TRUE(f.cancel());
    release.set_value();
    std::promise<void> after;
    lt.loop().call_soon_threadsafe([&] { after.set_value(); });
    after.get_future().get();
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(ran.load());
}

TEST(RunCoroutineThreadsafe, ATaskCancelledBeforeItsFirstStepCancelsTheFuture) {
    // The loop stops (and the Runner shuts it down) before the task's first
    // step: the task is cancelled without running, and so is the future.
    std::atomic<bool> ran{false};
    auto body = [](std::atomic<bool>* r) -> aio::Task<> {
        *r = true;
        co_return;
    };
    aio::ConcurrentFuture<> f;
    std::thread loop_thread([&] {
        aio::Runner runner;
        aio::EventLoop& loop = runner.get_loop();
        f = aio::run_coroutine_threadsafe(body(&ran), loop);
        loop.call_soon_threadsafe([&loop] { loop.stop(); });  // after the launch, before the task's step
        loop.run_forever();
    });
    loop_thread.join();
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(ran.load());
}

TEST(RunCoroutineThreadsafe, EmptyOrScheduledTasksAreRejected) {
    aio::EventLoop loop;
    EXPECT_THROW((void)aio::run_coroutine_threadsafe(aio::Task<int>(), loop), aio::InvalidStateError);
    aio::ConcurrentFuture<int> empty;
    EXPECT_FALSE(empty.valid());
    EXPECT_THROW((void)empty.done(), aio::InvalidStateError);
}

// --- call_soon_threadsafe handles ---

TEST(CallSoonThreadsafe, AHandleCancelledFromTheOtherThreadDoesNotRun) {
    LoopThread lt;
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<bool> ran{false};
    lt.loop().call_soon_threadsafe([released] { released.wait(); });  // keeps the loop busy
    auto h = lt.loop().call_soon_threadsafe([&] { ran = true; });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    release.set_value();
    std::promise<void> after;
    lt.loop().call_soon_threadsafe([&] { after.set_value(); });
    after.get_future().get();
    EXPECT_FALSE(ran.load());
}

TEST(CallSoonThreadsafe, CancellingWhileTheLoopRunsCallbacksIsSafe) {
    LoopThread lt;
    std::atomic<int> ran{0};
    constexpr int kCalls = 2000;
    for (int i = 0; i < kCalls; ++i) {
        auto h = lt.loop().call_soon_threadsafe([&] { ran.fetch_add(1); });
        if (i % 2 == 0) h.cancel();
    }
    std::promise<void> after;
    lt.loop().call_soon_threadsafe([&] { after.set_value(); });
    after.get_future().get();
    EXPECT_GE(ran.load(), kCalls / 2);  // the ones never cancelled; a cancel may also come too late
    EXPECT_LE(ran.load(), kCalls);
}

TEST(CallSoonThreadsafe, AClosedLoopRefusesTheCallAndKeepsNothingOfIt) {
    // LeakSanitizer (asan presets) checks that the refused callback and what
    // it captured are freed: the callback node holds itself while queued.
    aio::EventLoop loop;
    loop.close();
    auto captured = std::make_shared<int>(7);
    std::weak_ptr<int> watch = captured;
    bool threw = false;
    try {
        loop.call_soon_threadsafe([captured] { (void)captured; });
    } catch (const aio::RuntimeError& e) {
        threw = std::string(e.what()).find("closed") != std::string::npos;
    }
    captured.reset();
    EXPECT_TRUE(threw);
    EXPECT_TRUE(watch.expired()) << "the refused callback is still held";
}
