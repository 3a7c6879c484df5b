// aio::wait, aio::as_completed, aio::shield.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <vector>
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {
aio::Task<int> value_after(int v, std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    co_return v;
}
aio::Task<int> fail_after(std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    throw std::runtime_error("x");
}
std::vector<aio::Task<int>> three() {
    std::vector<aio::Task<int>> v;
    v.push_back(value_after(1, 30ms));
    v.push_back(value_after(2, 1ms));
    v.push_back(value_after(3, 60ms));
    return v;
}
}  // namespace

TEST(Wait, AllCompleted) {
    aio::run([]() -> aio::Task<> {
        auto [done, pending] = co_await aio::wait(three());
        EXPECT_EQ(done.size(), 3u);
        EXPECT_TRUE(pending.empty());
    }());
}

TEST(Wait, FirstCompletedCancelsNothing) {
    aio::run([]() -> aio::Task<> {
        auto [done, pending] = co_await aio::wait(three(), aio::FIRST_COMPLETED);
        EXPECT_EQ(done.size(), 1u);
        EXPECT_EQ(done[0].result(), 2);
        EXPECT_EQ(pending.size(), 2u);
        for (auto& p : pending) EXPECT_FALSE(p.cancelled());
        auto [d2, p2] = co_await aio::wait(std::move(pending));
        EXPECT_EQ(d2.size(), 2u);
    }());
}

TEST(Wait, FirstException) {
    aio::run([]() -> aio::Task<> {
        std::vector<aio::Task<int>> v;
        v.push_back(value_after(1, 1ms));
        v.push_back(fail_after(5ms));
        v.push_back(value_after(3, 1h));
        auto [done, pending] = co_await aio::wait(std::move(v), aio::FIRST_EXCEPTION);
        EXPECT_EQ(done.size(), 2u);
        EXPECT_EQ(pending.size(), 1u);
        for (auto& p : pending) p.cancel();
        for (auto& d : done) (void)d.exception();
    }());
}

TEST(Wait, Timeout) {
    aio::run([]() -> aio::Task<> {
        std::vector<aio::Task<int>> v;
        v.push_back(value_after(1, 1ms));
        v.push_back(value_after(2, 1h));
        auto [done, pending] = co_await aio::wait(std::move(v), aio::ALL_COMPLETED, 10ms);
        EXPECT_EQ(done.size(), 1u);
        EXPECT_EQ(pending.size(), 1u);
        pending[0].cancel();
    }());
}

TEST(Wait, EmptySetIsAValueError) {
    aio::run([]() -> aio::Task<> {
        EXPECT_THROW((void)aio::wait(std::vector<aio::Task<int>>{}), aio::ValueError);
        co_return;
    }());
}

TEST(AsCompleted, YieldsInCompletionOrder) {
    aio::run([]() -> aio::Task<> {
        std::vector<int> order;
        auto gen = aio::as_completed(three());
        while (auto v = co_await gen.next()) order.push_back(*v);
        EXPECT_EQ(order, (std::vector<int>{2, 1, 3}));
    }());
}

TEST(AsCompleted, AnExceptionIsThrownAtItsTurnAndIterationGoesOn) {
    aio::run([]() -> aio::Task<> {
        std::vector<aio::Task<int>> v;
        v.push_back(value_after(1, 10ms));
        v.push_back(fail_after(1ms));
        auto gen = aio::as_completed(std::move(v));
        {  // expects std::runtime_error
            bool threw = false;
            try {
                co_await gen.next();
            } catch (const std::runtime_error&) {
                threw = true;
            }
            EXPECT_TRUE(threw) << "awaiting gen.next() did not throw std::runtime_error";
        }
        std::optional<int> rest = co_await gen.next();
        EXPECT_EQ(rest, 1);
        std::optional<int> end = co_await gen.next();
        EXPECT_FALSE(end.has_value());
    }());
}

TEST(Shield, CancellingTheAwaiterLeavesTheInnerTaskRunning) {
    aio::run([]() -> aio::Task<> {
        // The inner task ends only when told: no race between two sleeps.
        aio::Event go;
        auto inner_body = [&]() -> aio::Task<int> {
            co_await go.wait();
            co_return 7;
        };
        auto inner = aio::create_task(inner_body());
        auto outer_body = [&]() -> aio::Task<int> { co_return co_await aio::shield(inner); };
        auto outer = aio::create_task(outer_body());
        co_await aio::sleep(0ms);  // outer is awaiting the shield
        outer.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(outer);
            EXPECT_TRUE(raised.has_value()) << "awaiting outer did not throw aio::CancelledError";
        }
        EXPECT_FALSE(inner.done());
        go.set();
        {
            auto got = co_await inner;
            EXPECT_EQ(got, 7);
        }
        EXPECT_FALSE(inner.cancelled());
    }());
}

TEST(Shield, PassesTheResultThrough) {
    int got = aio::run([]() -> aio::Task<int> { co_return co_await aio::shield(value_after(4, 1ms)); }());
    EXPECT_EQ(got, 4);
}

namespace {
aio::Task<> set_after(int* slot, int v, std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    *slot = v;
}
aio::Task<> fail_void_after(std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    throw aio::ValueError("inner failed");
}
}  // namespace

TEST(Shield, AVoidTaskIsShieldedAndItsExceptionPassesThrough) {
    int slot = 0;
    aio::run([](int* s) -> aio::Task<> {
        co_await aio::shield(set_after(s, 9, 1ms));
        EXPECT_EQ(*s, 9);
        bool threw = false;
        try {
            co_await aio::shield(fail_void_after(1ms));
        } catch (const aio::ValueError& e) {
            threw = std::string(e.what()).find("inner failed") != std::string::npos;
        }
        EXPECT_TRUE(threw) << "the void task's ValueError did not reach the awaiter of shield()";
    }(&slot));
    EXPECT_EQ(slot, 9);
}
