// Task, create_task, cancellation, names, results: asyncio's task semantics.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {

aio::Task<int> value_after(int v, std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    co_return v;
}

aio::Task<> fail_after(std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    throw std::runtime_error("boom");
}

}  // namespace

TEST(Task, LazyTaskRunsOnlyWhenAwaited) {
    std::vector<std::string> log;
    auto body = [&]() -> aio::Task<> {
        log.push_back("body");
        co_return;
    };
    aio::run([&]() -> aio::Task<> {
        auto t = body();
        log.push_back("created");
        co_await std::move(t);
        log.push_back("awaited");
    }());
    EXPECT_EQ(log, (std::vector<std::string>{"created", "body", "awaited"}));
}

TEST(Task, AwaitingALazyTaskTwiceIsAnInvalidStateError) {
    aio::run([]() -> aio::Task<> {
        auto t = value_after(1, 0ms);
        {
            auto got = co_await t;
            EXPECT_EQ(got, 1);
        }
        bool threw = false;
        try {
            co_await t;
        } catch (const aio::InvalidStateError& e) {
            threw = true;
            EXPECT_NE(std::string(e.what()).find("already awaited"), std::string::npos);
        }
        EXPECT_TRUE(threw);
    }());
}

TEST(Task, CreateTaskRunsConcurrently) {
    std::vector<std::string> log;
    auto worker = [&](std::string name, std::chrono::milliseconds d) -> aio::Task<> {
        log.push_back(name + " start");
        co_await aio::sleep(d);
        log.push_back(name + " end");
    };
    aio::run([&]() -> aio::Task<> {
        auto a = aio::create_task(worker("a", 20ms));
        auto b = aio::create_task(worker("b", 5ms));
        co_await a;
        co_await b;
    }());
    EXPECT_EQ(log, (std::vector<std::string>{"a start", "b start", "b end", "a end"}));
}

TEST(Task, DroppedHandleKeepsTheTaskRunning) {
    bool finished = false;
    auto worker = [&]() -> aio::Task<> {
        co_await aio::sleep(5ms);
        finished = true;
    };
    aio::run([&]() -> aio::Task<> {
        { auto t = aio::create_task(worker()); }
        co_await aio::sleep(20ms);
    }());
    EXPECT_TRUE(finished);
}

TEST(Task, ScheduledTaskCanBeAwaitedByManyTasks) {
    aio::run([]() -> aio::Task<> {
        auto shared = aio::create_task(value_after(7, 5ms));
        auto reader = [](aio::Task<int>& t) -> aio::Task<int> { co_return co_await t; };
        auto [a, b] = co_await aio::gather(reader(shared), reader(shared));
        EXPECT_EQ(a, 7);
        EXPECT_EQ(b, 7);
        {
            auto got = co_await shared;
            EXPECT_EQ(got, 7);
        }
        EXPECT_EQ(shared.result(), 7);
    }());
}

TEST(Task, ResultOfUnfinishedTaskIsInvalidState) {
    aio::run([]() -> aio::Task<> {
        auto t = aio::create_task(value_after(1, 5ms));
        EXPECT_FALSE(t.done());
        EXPECT_THROW((void)t.result(), aio::InvalidStateError);
        EXPECT_THROW((void)t.exception(), aio::InvalidStateError);
        co_await t;
        EXPECT_EQ(t.result(), 1);
        EXPECT_EQ(t.exception(), nullptr);
    }());
}

TEST(Task, FutureApiOnALazyTaskIsInvalidState) {
    auto t = value_after(1, 0ms);
    EXPECT_THROW(t.cancel(), aio::InvalidStateError);
    EXPECT_THROW((void)t.result(), aio::InvalidStateError);
}

TEST(Task, MoveOnlyResults) {
    auto make = []() -> aio::Task<std::unique_ptr<int>> { co_return std::make_unique<int>(5); };
    auto p = aio::run([&]() -> aio::Task<std::unique_ptr<int>> { co_return co_await make(); }());
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, 5);
}

TEST(Task, ExceptionsPropagateToTheAwaiterAndOutOfRun) {
    EXPECT_THROW(aio::run(fail_after(1ms)), std::runtime_error);
    aio::run([]() -> aio::Task<> {
        auto t = aio::create_task(fail_after(1ms));
        {  // expects std::runtime_error
            auto raised = co_await aio::test::raises<std::runtime_error>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw std::runtime_error";
        }
        EXPECT_NE(t.exception(), nullptr);
    }());
}

TEST(Task, RunInsideARunningLoopIsARuntimeError) {
    aio::run([]() -> aio::Task<> {
        EXPECT_THROW(aio::run(value_after(1, 0ms)), aio::RuntimeError);
        co_return;
    }());
}

TEST(Task, CreateTaskWithoutALoopIsARuntimeError) {
    EXPECT_THROW((void)aio::create_task(value_after(1, 0ms)), aio::RuntimeError);
}

TEST(Cancellation, DeliveredAtTheCurrentAwaitAndCatchable) {
    std::vector<std::string> log;
    auto worker = [&]() -> aio::Task<> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            log.push_back("cleanup");
            throw;
        }
    };
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(worker());
        co_await aio::sleep(1ms);
        EXPECT_TRUE(t.cancel());
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
        EXPECT_TRUE(t.cancelled());
        EXPECT_THROW((void)t.result(), aio::CancelledError);
        EXPECT_FALSE(t.cancel());  // already done
    }());
    EXPECT_EQ(log, std::vector<std::string>{"cleanup"});
}

TEST(Cancellation, CancelledSleepLeavesTheLoopAtOnce) {
    // A one-hour sleep that is cancelled must not keep the loop waiting:
    // this test would time out otherwise.
    aio::run([]() -> aio::Task<> {
        auto t = aio::create_task(value_after(0, 1h));
        co_await aio::sleep(0s);
        EXPECT_TRUE(t.cancel());
        EXPECT_EQ(aio::all_tasks().size(), 2u);  // this one and the sleeper
        bool cancelled = false;
        try {
            co_await t;
        } catch (const aio::CancelledError&) {
            cancelled = true;
        }
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(t.cancelled());
        EXPECT_EQ(aio::all_tasks().size(), 1u);  // the sleeper is gone, its timer with it
    }());
}

TEST(Cancellation, CancellingATaskCancelsTheTaskItAwaits) {
    aio::Task<int> inner;
    aio::run([&]() -> aio::Task<> {
        inner = aio::create_task(value_after(1, 1h));
        auto outer_body = [&]() -> aio::Task<int> { co_return co_await inner; };
        auto outer = aio::create_task(outer_body());
        co_await aio::sleep(1ms);
        outer.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(outer);
            EXPECT_TRUE(raised.has_value()) << "awaiting outer did not throw aio::CancelledError";
        }
        EXPECT_TRUE(inner.cancelled());
    }());
}

TEST(Cancellation, ReachesTheInnermostLazyAwait) {
    bool inner_saw_it = false;
    auto inner = [&]() -> aio::Task<> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            inner_saw_it = true;
            throw;
        }
    };
    auto outer = [&]() -> aio::Task<> { co_await inner(); };
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(outer());
        co_await aio::sleep(1ms);
        t.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
    }());
    EXPECT_TRUE(inner_saw_it);
}

TEST(Cancellation, BeforeTheFirstStepTheBodyNeverRuns) {
    bool ran = false;
    auto body = [&]() -> aio::Task<> {
        ran = true;
        co_return;
    };
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(body());
        t.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
    }());
    EXPECT_FALSE(ran);
}

TEST(Cancellation, ATaskMaySwallowItAndReturnAValue) {
    auto stubborn = []() -> aio::Task<int> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
        }
        co_return 5;
    };
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(stubborn());
        co_await aio::sleep(1ms);
        t.cancel();
        {
            auto got = co_await t;
            EXPECT_EQ(got, 5);
        }
        EXPECT_FALSE(t.cancelled());
        EXPECT_EQ(t.cancelling(), 1);
    }());
}

TEST(Cancellation, PendingWhileRunningIsDeliveredAtTheNextAwait) {
    std::vector<std::string> log;
    auto self_cancel = [&]() -> aio::Task<> {
        aio::current_task().cancel();
        log.push_back("still running");
        try {
            co_await aio::sleep(0s);
        } catch (const aio::CancelledError&) {
            log.push_back("cancelled at next await");
            throw;
        }
    };
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(self_cancel());
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
    }());
    EXPECT_EQ(log, (std::vector<std::string>{"still running", "cancelled at next await"}));
}

TEST(Cancellation, RequestAfterTheLastAwaitEndsTheTaskCancelled) {
    aio::run([]() -> aio::Task<> {
        auto body = []() -> aio::Task<int> {
            aio::current_task().cancel();
            co_return 1;  // asyncio: the task still ends cancelled
        };
        auto t = aio::create_task(body());
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
        EXPECT_TRUE(t.cancelled());
    }());
}

TEST(Cancellation, UncancelWithdrawsAPendingRequest) {
    aio::run([]() -> aio::Task<> {
        auto body = []() -> aio::Task<int> {
            auto me = aio::current_task();
            me.cancel();
            EXPECT_EQ(me.cancelling(), 1);
            EXPECT_EQ(me.uncancel(), 0);
            co_await aio::sleep(0s);  // nothing pending any more
            co_return 2;
        };
        {
            auto got = co_await aio::create_task(body());
            EXPECT_EQ(got, 2);
        }
    }());
}

TEST(Cancellation, RunCancelsTasksLeftPendingAtTheEnd) {
    bool cleaned = false;
    auto forever = [&]() -> aio::Task<> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            cleaned = true;
            throw;
        }
    };
    aio::run([&]() -> aio::Task<> {
        (void)aio::create_task(forever());
        co_await aio::sleep(1ms);
    }());
    EXPECT_TRUE(cleaned);
}

TEST(TaskInfo, NamesCurrentTaskAndAllTasks) {
    aio::run([]() -> aio::Task<> {
        auto me = aio::current_task();
        EXPECT_TRUE(me);
        EXPECT_EQ(me.get_name().rfind("Task-", 0), 0u);
        auto t = aio::create_task(value_after(1, 5ms), "worker");
        EXPECT_EQ(t.get_name(), "worker");
        t.set_name("renamed");
        EXPECT_EQ(t.get_name(), "renamed");
        auto tasks = aio::all_tasks();
        EXPECT_EQ(tasks.size(), 2u);
        bool found = false;
        for (auto& i : tasks) found = found || i.is(t);
        EXPECT_TRUE(found);
        co_await t;
        EXPECT_EQ(aio::all_tasks().size(), 1u);
    }());
}

TEST(TaskInfo, DoneCallbacksRunOnTheLoop) {
    int called = 0;
    aio::run([&]() -> aio::Task<> {
        auto t = aio::create_task(value_after(1, 1ms));
        t.add_done_callback([&] { ++called; });
        co_await t;
        EXPECT_EQ(called, 0);  // scheduled with call_soon, not run inline
        co_await aio::sleep(0s);
        EXPECT_EQ(called, 1);
        t.add_done_callback([&] { ++called; });
        co_await aio::sleep(0s);
        EXPECT_EQ(called, 2);
    }());
}

TEST(TaskInfo, UnretrievedExceptionIsReported) {
    std::vector<std::string> messages;
    aio::run([&]() -> aio::Task<> {
        aio::get_running_loop().set_exception_handler(
            [&](aio::EventLoop&, const aio::ExceptionContext& ctx) { messages.push_back(ctx.message); });
        { auto t = aio::create_task(fail_after(0ms)); }
        co_await aio::sleep(5ms);
    }());
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0], "Task exception was never retrieved");
}

TEST(Stack, TenMillionSynchronousAwaitsRunInConstantStack) {
    // At -O0 (and under sanitizers) symmetric transfer is not a tail call
    // (GCC PR 94794); the loop's transfer budget must keep the stack flat.
    auto ready = [](int i) -> aio::Task<int> { co_return i; };
    long long sum = aio::run([&]() -> aio::Task<long long> {
        long long s = 0;
        for (int i = 0; i < 10'000'000; ++i) s += co_await ready(i & 1);
        co_return s;
    }());
    EXPECT_EQ(sum, 5'000'000);
}

TEST(Stack, DeepRecursionOfLazyTasks) {
    std::function<aio::Task<int>(int)> depth = [&](int n) -> aio::Task<int> {
        if (n == 0) co_return 0;
        co_return 1 + co_await depth(n - 1);
    };
    EXPECT_EQ(aio::run(depth(100'000)), 100'000);
}

namespace {

aio::Task<> yield_in_a_frame_of_its_own() { co_await aio::sleep(0s); }

aio::Task<> cancel_self_after_yield(bool& cancelled) {
    // The sleep(0) awaiter lived in a frame that is freed by now: a cancel()
    // must not reach for it (it did while the task still "waited" on it).
    co_await yield_in_a_frame_of_its_own();
    aio::current_task().cancel();
    try {
        co_await aio::sleep(1h);
    } catch (const aio::CancelledError&) {
        cancelled = true;
    }
}

aio::Task<std::string> long_text() {
    co_await aio::sleep(0s);
    co_return std::string(100, 'x');
}

}  // namespace

TEST(Cancellation, CancelAfterSleepZeroIsDeliveredAtTheNextAwait) {
    bool cancelled = false;
    aio::run(cancel_self_after_yield(cancelled));
    EXPECT_TRUE(cancelled);
}

TEST(Task, ResultOfAFailedTaskRetrievesItsException) {
    int reports = 0;
    bool caught = false;
    aio::EventLoop loop;
    loop.set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext& c) {
        if (c.message.find("never retrieved") != std::string::npos) ++reports;
    });
    loop.run_until_complete([](bool& caught) -> aio::Task<> {
        auto t = aio::create_task(fail_after(0ms));
        while (!t.done()) co_await aio::sleep(0s);
        try {
            (void)t.result();
        } catch (const std::runtime_error&) {
            caught = true;
        }
    }(caught));  // t is dropped here: its exception was looked at
    loop.close();
    EXPECT_TRUE(caught);
    EXPECT_EQ(reports, 0);
}

TEST(Task, EveryAwaiterOfASharedTaskGetsItsOwnCopy) {
    aio::run([]() -> aio::Task<> {
        auto t = aio::create_task(long_text());
        auto other = t.share();
        std::string a = co_await std::move(t);  // two handles: a copy
        std::string b = co_await other;
        std::string c = co_await std::move(other);
        EXPECT_EQ(a, std::string(100, 'x'));
        EXPECT_EQ(b, a);
        EXPECT_EQ(c, a);
        EXPECT_EQ(t.result(), a);
        // The sole owner may move the value out; later looks are refused.
        auto solo = aio::create_task(long_text());
        std::string d = co_await std::move(solo);
        EXPECT_EQ(d, a);
        EXPECT_THROW((void)solo.result(), aio::InvalidStateError);
    }());
}

// ---------------------------------------------------------------- frame storage

TEST(FrameAllocator, BlocksAre16AlignedAndReused) {
    // Compilers assume a frame is aligned as operator new's blocks are (16),
    // whatever its size: every block is 16-aligned, fresh or recycled.
    std::vector<std::pair<void*, std::size_t>> blocks;
    for (int round = 0; round < 2; ++round) {
        for (std::size_t size : {24, 32, 104, 112, 152, 160, 200, 2048, 2064, 3000, 8192, 8193, 20000}) {
            void* p = aio::detail::frame_alloc(size);
            EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u) << "size " << size;
            std::memset(p, 0xab, size);
            blocks.emplace_back(p, size);
        }
        // The second round reuses the blocks freed here.
        for (auto [p, size] : blocks) aio::detail::frame_free(p, size);
        blocks.clear();
    }
}

TEST(FrameAllocator, ProtocolSizedFramesAreRecycled) {
    // A frame up to kMaxRecycledFrame (an HTTP request's, about 3 KiB) goes
    // back to its thread's free list and is the next one of its size handed
    // out: a second burst of requests takes no fresh memory. The list is LIFO,
    // so two frames come back in the reverse of the order they were freed in
    // (malloc, which also reuses a freed block, merges two neighbours and
    // hands out the lower one first: this tells the two apart).
    if (!aio::detail::frames_recycled()) GTEST_SKIP() << "frames are not recycled under AddressSanitizer";
    for (std::size_t size : {std::size_t{2064}, std::size_t{3000}, aio::detail::kMaxRecycledFrame}) {
        void* first = aio::detail::frame_alloc(size);
        void* second = aio::detail::frame_alloc(size);
        std::memset(first, 0xcd, size);
        std::memset(second, 0xcd, size);
        aio::detail::frame_free(first, size);
        aio::detail::frame_free(second, size);
        void* again = aio::detail::frame_alloc(size);
        void* then = aio::detail::frame_alloc(size);
        EXPECT_EQ(again, second) << "size " << size;
        EXPECT_EQ(then, first) << "size " << size;
        aio::detail::frame_free(again, size);
        aio::detail::frame_free(then, size);
    }
}

namespace {
struct Counted {
    static inline int alive = 0;
    int v;
    explicit Counted(int x) : v(x) { ++alive; }
    Counted(const Counted& o) : v(o.v) { ++alive; }
    Counted(Counted&& o) noexcept : v(o.v) { ++alive; }
    ~Counted() { --alive; }
};
aio::Task<Counted> make_counted(int v) { co_return Counted(v); }
aio::Task<Counted> counted_or_throw(bool fail) {
    if (fail) throw std::runtime_error("no value");
    co_return Counted(1);
}
}  // namespace

TEST(Task, AResultIsDestroyedExactlyOnceWithItsFrame) {
    Counted::alive = 0;
    aio::run([]() -> aio::Task<> {
        {
            auto t = aio::create_task(make_counted(7));  // result never taken
            co_await aio::sleep(0ms);
            EXPECT_TRUE(t.done());
        }
        EXPECT_EQ(Counted::alive, 0);
        {
            Counted c = co_await make_counted(8);  // lazy: moved out
            EXPECT_EQ(c.v, 8);
            EXPECT_EQ(Counted::alive, 1);
        }
        EXPECT_EQ(Counted::alive, 0);
        auto shared = aio::create_task(make_counted(9));
        auto other = shared.share();
        Counted a = co_await shared;  // copies: another handle may look too
        Counted b = co_await other;
        EXPECT_EQ(a.v + b.v, 18);
        auto failed = aio::create_task(counted_or_throw(true));
        auto raised = co_await aio::test::raises<std::runtime_error>(std::move(failed));
        EXPECT_TRUE(raised.has_value());
    }());
    EXPECT_EQ(Counted::alive, 0);
}
