// aio::timeout, timeout_at, wait_for, Timeout: asyncio's deadline semantics.
#include <gtest/gtest.h>

#include <aio/aio.hpp>
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {
aio::Task<int> value_after(int v, std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    co_return v;
}
}  // namespace

TEST(Timeout, WorkThatFinishesInTimeReturnsItsValue) {
    int got = aio::run([]() -> aio::Task<int> { co_return co_await aio::timeout(1s, value_after(3, 1ms)); }());
    EXPECT_EQ(got, 3);
}

TEST(Timeout, ExpiryRaisesTimeoutErrorAndCancelsTheWork) {
    bool inner_cancelled = false;
    auto slow = [&]() -> aio::Task<> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            inner_cancelled = true;
            throw;
        }
    };
    aio::run([&]() -> aio::Task<> {
        {  // expects aio::TimeoutError
            auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::timeout(5ms, slow()));
            EXPECT_TRUE(raised.has_value()) << "awaiting aio::timeout(5ms, slow()) did not throw aio::TimeoutError";
        }
        // The task goes on normally afterwards: the cancellation was consumed.
        co_await aio::sleep(1ms);
        EXPECT_EQ(aio::current_task().cancelling(), 0);
    }());
    EXPECT_TRUE(inner_cancelled);
}

TEST(Timeout, TimeoutErrorIsAnOSError) {
    aio::run([]() -> aio::Task<> {
        try {
            co_await aio::wait_for(value_after(1, 1h), 1ms);
            ADD_FAILURE();
        } catch (const aio::OSError& e) {
            EXPECT_NE(dynamic_cast<const aio::TimeoutError*>(&e), nullptr);
        }
    }());
}

TEST(Timeout, WaitForCancelsAScheduledTaskAndWaitsForIt) {
    aio::run([]() -> aio::Task<> {
        auto t = aio::create_task(value_after(1, 1h));
        {  // expects aio::TimeoutError
            auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::wait_for(std::move(t), 2ms));
            EXPECT_TRUE(raised.has_value()) << "awaiting aio::wait_for(std::move(t), 2ms) did not throw aio::TimeoutError";
        }
        auto t2 = aio::create_task(value_after(1, 1h));
        auto& ref = t2;
        auto waiting = aio::wait_for(t2.share(), 2ms);
        {  // expects aio::TimeoutError
            auto raised = co_await aio::test::raises<aio::TimeoutError>(std::move(waiting));
            EXPECT_TRUE(raised.has_value()) << "awaiting std::move(waiting) did not throw aio::TimeoutError";
        }
        EXPECT_TRUE(ref.cancelled());
    }());
}

TEST(Timeout, OuterCancellationIsNotTurnedIntoTimeout) {
    aio::run([]() -> aio::Task<> {
        auto body = []() -> aio::Task<> { co_await aio::timeout(1h, value_after(1, 1h)); };
        auto t = aio::create_task(body());
        co_await aio::sleep(1ms);
        t.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
    }());
}

TEST(Timeout, NestedTimeoutsEachReportTheirOwn) {
    aio::run([]() -> aio::Task<> {
        auto inner = []() -> aio::Task<int> {
            try {
                co_return co_await aio::timeout(2ms, value_after(1, 1h));
            } catch (const aio::TimeoutError&) {
                co_return -1;  // the inner deadline fired first
            }
        };
        {
            auto got = co_await aio::timeout(1h, inner());
            EXPECT_EQ(got, -1);
        }
    }());
}

TEST(Timeout, RescheduleAndExpired) {
    aio::run([]() -> aio::Task<> {
        aio::Timeout cm = aio::timeout(std::nullopt);
        EXPECT_FALSE(cm.when());
        auto body = [&]() -> aio::Task<> {
            cm.reschedule(aio::get_running_loop().time() + 2ms);
            co_await aio::sleep(1h);
        };
        {  // expects aio::TimeoutError
            auto raised = co_await aio::test::raises<aio::TimeoutError>(cm.run(body()));
            EXPECT_TRUE(raised.has_value()) << "awaiting cm.run(body()) did not throw aio::TimeoutError";
        }
        EXPECT_TRUE(cm.expired());
        EXPECT_THROW(cm.reschedule(std::nullopt), aio::RuntimeError);
    }());
}

TEST(Timeout, APastDeadlineExpiresAtTheFirstAwait) {
    aio::run([]() -> aio::Task<> {
        auto when = aio::get_running_loop().time() - 1s;
        {  // expects aio::TimeoutError
            auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::timeout_at(when, value_after(1, 1h)));
            EXPECT_TRUE(raised.has_value()) << "awaiting aio::timeout_at(when, value_after(1, 1h)) did not throw aio::TimeoutError";
        }
    }());
}

TEST(Timeout, UsedTwiceIsARuntimeError) {
    aio::run([]() -> aio::Task<> {
        aio::Timeout cm = aio::timeout(1h);
        co_await cm.run(value_after(1, 0ms));
        {  // expects aio::RuntimeError
            auto raised = co_await aio::test::raises<aio::RuntimeError>(cm.run(value_after(1, 0ms)));
            EXPECT_TRUE(raised.has_value()) << "awaiting cm.run(value_after(1, 0ms)) did not throw aio::RuntimeError";
        }
    }());
}
