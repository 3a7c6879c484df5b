// aio::gather: order, exceptions, return_exceptions, cancellation.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <string>
#include <vector>
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {
aio::Task<int> value_after(int v, std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    co_return v;
}
aio::Task<int> fail_after(std::chrono::milliseconds d, std::string what) {
    co_await aio::sleep(d);
    throw std::runtime_error(what);
}
aio::Task<> nothing() { co_return; }
}  // namespace

TEST(Gather, VectorResultsInArgumentOrder) {
    auto r = aio::run([]() -> aio::Task<std::vector<int>> {
        std::vector<aio::Task<int>> tasks;
        tasks.push_back(value_after(1, 30ms));
        tasks.push_back(value_after(2, 10ms));
        tasks.push_back(value_after(3, 20ms));
        co_return co_await aio::gather(std::move(tasks));
    }());
    EXPECT_EQ(r, (std::vector<int>{1, 2, 3}));
}

TEST(Gather, VariadicTupleWithVoidAsMonostate) {
    aio::run([]() -> aio::Task<> {
        auto [a, v, b] = co_await aio::gather(value_after(1, 2ms), nothing(), value_after(2, 1ms));
        EXPECT_EQ(a, 1);
        EXPECT_EQ(b, 2);
        static_assert(std::is_same_v<decltype(v), std::monostate>);
    }());
}

TEST(Gather, LvalueScheduledHandlesAreShared) {
    aio::run([]() -> aio::Task<> {
        auto t1 = aio::create_task(value_after(1, 1ms));
        auto t2 = aio::create_task(value_after(2, 1ms));
        auto [a, b] = co_await aio::gather(t1, t2);
        EXPECT_EQ(a + b, 3);
        EXPECT_TRUE(t1.valid());
        EXPECT_EQ(t1.result(), 1);
    }());
}

TEST(Gather, EmptyVector) {
    auto r = aio::run([]() -> aio::Task<std::size_t> {
        auto v = co_await aio::gather(std::vector<aio::Task<int>>{});
        co_return v.size();
    }());
    EXPECT_EQ(r, 0u);
}

TEST(Gather, FirstExceptionPropagatesAndOthersKeepRunning) {
    bool slow_finished = false;
    auto slow = [&]() -> aio::Task<int> {
        co_await aio::sleep(20ms);
        slow_finished = true;
        co_return 1;
    };
    aio::run([&]() -> aio::Task<> {
        try {
            co_await aio::gather(fail_after(1ms, "first"), slow(), fail_after(5ms, "second"));
            ADD_FAILURE() << "gather should have thrown";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "first");
        }
        EXPECT_FALSE(slow_finished);
        co_await aio::sleep(40ms);
        EXPECT_TRUE(slow_finished);
    }());
}

TEST(Gather, LaterErrorsAreNotReportedAsUnretrieved) {
    int reports = 0;
    aio::run([&]() -> aio::Task<> {
        aio::get_running_loop().set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext&) { ++reports; });
        try {
            co_await aio::gather(fail_after(1ms, "a"), fail_after(5ms, "b"));
        } catch (const std::runtime_error&) {
        }
        co_await aio::sleep(20ms);
    }());
    EXPECT_EQ(reports, 0);
}

TEST(Gather, ReturnExceptionsGivesResults) {
    aio::run([]() -> aio::Task<> {
        std::vector<aio::Task<int>> tasks;
        tasks.push_back(value_after(1, 1ms));
        tasks.push_back(fail_after(2ms, "bad"));
        tasks.push_back(value_after(3, 3ms));
        auto rs = co_await aio::gather(aio::return_exceptions, std::move(tasks));
        EXPECT_EQ(rs.size(), 3u);
        EXPECT_TRUE(rs[0].ok());
        EXPECT_EQ(rs[0].value(), 1);
        EXPECT_FALSE(rs[1].ok());
        EXPECT_THROW(rs[1].value(), std::runtime_error);
        EXPECT_NE(rs[1].error(), nullptr);
        EXPECT_EQ(rs[2].value(), 3);
        auto [x, y] = co_await aio::gather(aio::return_exceptions, value_after(5, 0ms), fail_after(0ms, "y"));
        EXPECT_EQ(x.value(), 5);
        EXPECT_FALSE(y.ok());
    }());
}

TEST(Gather, CancellingTheAwaiterCancelsEveryChildAndWaitsForThem) {
    int cleaned = 0;
    auto child = [&]() -> aio::Task<int> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            ++cleaned;
            throw;
        }
        co_return 0;
    };
    aio::run([&]() -> aio::Task<> {
        auto outer_body = [&]() -> aio::Task<> { co_await aio::gather(child(), child(), child()); };
        auto outer = aio::create_task(outer_body());
        co_await aio::sleep(1ms);
        outer.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(outer);
            EXPECT_TRUE(raised.has_value()) << "awaiting outer did not throw aio::CancelledError";
        }
        EXPECT_EQ(cleaned, 3);
    }());
}

TEST(Gather, ACancelledChildPropagatesCancelledError) {
    aio::run([]() -> aio::Task<> {
        auto victim = aio::create_task(value_after(1, 1h));
        auto other = aio::create_task(value_after(2, 1ms));
        auto canceller = [&]() -> aio::Task<> {
            co_await aio::sleep(2ms);
            victim.cancel();
        };
        auto c = aio::create_task(canceller());
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(aio::gather(victim, other));
            EXPECT_TRUE(raised.has_value()) << "awaiting aio::gather(victim, other) did not throw aio::CancelledError";
        }
        co_await c;
    }());
}

TEST(Gather, ManyTasks) {
    auto r = aio::run([]() -> aio::Task<long long> {
        auto one = [](int i) -> aio::Task<int> { co_return i; };
        std::vector<aio::Task<int>> tasks;
        for (int i = 0; i < 100000; ++i) tasks.push_back(one(i));
        auto v = co_await aio::gather(std::move(tasks));
        long long s = 0;
        for (int x : v) s += x;
        co_return s;
    }());
    EXPECT_EQ(r, 100000LL * 99999 / 2);
}

// gather() schedules its children when it is called, as asyncio does: they may
// all finish before the gather is awaited.
TEST(Gather, ChildrenThatFinishBeforeTheAwaitAreCollected) {
    auto r = aio::run([]() -> aio::Task<std::vector<int>> {
        std::vector<aio::Task<int>> tasks;
        tasks.push_back(value_after(1, 1ms));
        tasks.push_back(value_after(2, 0ms));
        auto all = aio::gather(std::move(tasks));
        co_await aio::sleep(10ms);
        co_return co_await std::move(all);
    }());
    EXPECT_EQ(r, (std::vector<int>{1, 2}));
}

TEST(Gather, TheFirstErrorBeforeTheAwaitIsTheOneRaised) {
    int reports = 0;
    aio::run([&]() -> aio::Task<> {
        aio::get_running_loop().set_exception_handler([&](aio::EventLoop&, const aio::ExceptionContext&) { ++reports; });
        std::vector<aio::Task<int>> tasks;
        tasks.push_back(fail_after(3ms, "second"));
        tasks.push_back(fail_after(1ms, "first"));
        tasks.push_back(value_after(3, 2ms));
        auto all = aio::gather(std::move(tasks));
        co_await aio::sleep(10ms);
        try {
            co_await std::move(all);
            ADD_FAILURE() << "gather should have thrown";
        } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "first");
        }
    }());
    EXPECT_EQ(reports, 0);
}

TEST(Gather, AGatherDroppedUnawaitedLeavesItsChildrenRunning) {
    int finished = 0;
    auto child = [&]() -> aio::Task<int> {
        co_await aio::sleep(2ms);
        ++finished;
        co_return 1;
    };
    aio::run([&]() -> aio::Task<> {
        {
            std::vector<aio::Task<int>> tasks;
            tasks.push_back(child());
            tasks.push_back(child());
            auto all = aio::gather(std::move(tasks));
        }  // dropped: the children are still scheduled
        co_await aio::sleep(10ms);
    }());
    EXPECT_EQ(finished, 2);
}

TEST(Gather, AnEmptyHandleIsAnErrorAndTheTasksBeforeItStillRun) {
    int finished = 0;
    auto child = [&]() -> aio::Task<int> {
        ++finished;
        co_return 1;
    };
    aio::run([&]() -> aio::Task<> {
        std::vector<aio::Task<int>> tasks;
        tasks.push_back(child());
        tasks.emplace_back();
        tasks.push_back(child());
        try {
            auto all = aio::gather(std::move(tasks));
            ADD_FAILURE() << "gather should have thrown";
        } catch (const aio::InvalidStateError& e) {
            EXPECT_NE(std::string(e.what()).find("empty Task"), std::string::npos) << e.what();
        }
        co_await aio::sleep(1ms);
    }());
    EXPECT_EQ(finished, 1);
}

TEST(Gather, TheSameScheduledTaskTwiceGivesItsResultTwice) {
    auto r = aio::run([]() -> aio::Task<std::vector<int>> {
        auto t = aio::create_task(value_after(7, 1ms));
        std::vector<aio::Task<int>> tasks;
        tasks.push_back(t.share());
        tasks.push_back(t.share());
        co_return co_await aio::gather(std::move(tasks));
    }());
    EXPECT_EQ(r, (std::vector<int>{7, 7}));
}
