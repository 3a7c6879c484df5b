// aio::timeout, timeout_at, wait_for, Timeout: asyncio's deadline semantics.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <chrono>
#include <cstdlib>
#include <limits>

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

// Delays meant as "forever" (the largest value of their duration type, or a
// huge double) saturate at the clock's limit: they never overflow into a
// deadline in the past that would fire at once.
namespace {
template <class D>
aio::Task<bool> sleeps_past(D forever, std::chrono::microseconds probe) {
    auto raised = co_await aio::test::raises<aio::TimeoutError>(
        aio::timeout(probe, [](D d) -> aio::Task<> { co_await aio::sleep(d); }(forever)));
    co_return raised.has_value();
}
}  // namespace

TEST(Timeout, DelaysMeantAsForeverNeverWrapIntoThePast) {
    aio::run([]() -> aio::Task<> {
        EXPECT_TRUE(co_await sleeps_past(std::chrono::nanoseconds::max(), 20ms));
        EXPECT_TRUE(co_await sleeps_past(std::chrono::hours::max(), 20ms));
        EXPECT_TRUE(co_await sleeps_past(std::chrono::duration<double>(1e300), 20ms));
        EXPECT_TRUE(co_await sleeps_past(std::chrono::duration<double>(std::numeric_limits<double>::infinity()), 20ms));
        // The deadlines themselves: "forever" lets the work finish.
        EXPECT_EQ(co_await aio::wait_for(value_after(7, 2ms), std::chrono::nanoseconds::max()), 7);
        EXPECT_EQ(co_await aio::wait_for(value_after(8, 2ms), std::chrono::hours::max()), 8);
        EXPECT_EQ(co_await aio::timeout(std::chrono::years::max(), value_after(9, 2ms)), 9);
        {
            aio::Timeout cm = aio::timeout(std::chrono::nanoseconds::max());
            EXPECT_EQ(cm.when(), aio::Clock::time_point::max());
            EXPECT_EQ(co_await cm.run(value_after(10, 2ms)), 10);
        }
        // The most negative delay is already past.
        auto raised = co_await aio::test::raises<aio::TimeoutError>(
            aio::wait_for(value_after(1, 2ms), std::chrono::nanoseconds::min()));
        EXPECT_TRUE(raised.has_value());
        // call_later: never within the probe.
        bool fired = false;
        aio::TimerHandle h = aio::get_running_loop().call_later(std::chrono::hours::max(), [&] { fired = true; });
        co_await aio::sleep(20ms);
        EXPECT_FALSE(fired);
        h.cancel();
    }());
}

TEST(Timeout, SleepUntilTheClocksLimits) {
    aio::run([]() -> aio::Task<> {
        co_await aio::sleep_until(aio::Clock::time_point::min());  // the past: at once
        auto raised = co_await aio::test::raises<aio::TimeoutError>(aio::timeout(
            20ms, []() -> aio::Task<> { co_await aio::sleep_until(aio::Clock::time_point::max()); }()));
        EXPECT_TRUE(raised.has_value());
    }());
}

TEST(Timeout, WaitForIsMadeWithoutALoopAndTimedFromItsStart) {
    // As asyncio.run(asyncio.wait_for(main(), 5)): wait_for is a coroutine,
    // so nothing needs a running loop until it runs.
    EXPECT_EQ(aio::run(aio::wait_for(value_after(4, 1ms), 5s)), 4);
    EXPECT_THROW(aio::run(aio::wait_for(value_after(4, 1h), 5ms)), aio::TimeoutError);
}

TEST(Timeout, AScaledForeverStaysForever) {
    // AIO_TIME_SCALE multiplies every delay: "forever" times 1000 saturates too.
    ::setenv("AIO_TIME_SCALE", "1000", 1);
    const bool timed_out = aio::run([]() -> aio::Task<bool> {
        // A probe of 20 us, scaled to 20 ms.
        const bool a = co_await sleeps_past(std::chrono::nanoseconds::max(), 20us);
        const bool b = co_await sleeps_past(std::chrono::duration<double>(1e300), 20us);
        co_return a && b;
    }());
    ::unsetenv("AIO_TIME_SCALE");
    EXPECT_TRUE(timed_out);
}
