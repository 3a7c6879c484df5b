// aio::TaskGroup and aio::ExceptionGroup.
#include <gtest/gtest.h>

#include <aio/aio.hpp>
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {
aio::Task<int> value_after(int v, std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    co_return v;
}
aio::Task<int> fail_after(std::chrono::milliseconds d, const char* what) {
    co_await aio::sleep(d);
    throw std::runtime_error(what);
}
aio::Task<int> fail_when_set(aio::Event& go, const char* what) {
    co_await go.wait();
    throw std::runtime_error(what);
}
aio::Task<int> set_after(aio::Event& go, std::chrono::milliseconds d) {
    co_await aio::sleep(d);
    go.set();
    co_return 0;
}
}  // namespace

TEST(TaskGroup, WaitsForEveryTask) {
    aio::run([]() -> aio::Task<> {
        aio::TaskGroup tg;
        auto a = tg.create_task(value_after(1, 5ms));
        auto b = tg.create_task(value_after(2, 1ms));
        co_await tg.wait();
        EXPECT_EQ(a.result() + b.result(), 3);
        EXPECT_EQ(tg.size(), 0u);
    }());
}

TEST(TaskGroup, AFailureCancelsTheRestAndRaisesAnExceptionGroup) {
    bool sibling_cancelled = false;
    auto sibling = [&]() -> aio::Task<int> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            sibling_cancelled = true;
            throw;
        }
        co_return 0;
    };
    aio::run([&]() -> aio::Task<> {
        // Both failures wake in the same loop iteration (one event), before
        // the group cancels the rest; two timers of 1 ms each could expire
        // in two iterations, the second task cancelled before it fails.
        aio::Event go;
        aio::TaskGroup tg;
        (void)tg.create_task(sibling());
        (void)tg.create_task(fail_when_set(go, "one"));
        (void)tg.create_task(fail_when_set(go, "two"));
        (void)tg.create_task(set_after(go, 1ms));
        try {
            co_await tg.wait();
            ADD_FAILURE();
        } catch (const aio::ExceptionGroup& eg) {
            EXPECT_EQ(eg.exceptions().size(), 2u);
            EXPECT_NE(std::string(eg.what()).find("one"), std::string::npos);
        }
    }());
    EXPECT_TRUE(sibling_cancelled);
}

TEST(TaskGroup, CreateTaskAfterAFailureIsRefused) {
    aio::run([]() -> aio::Task<> {
        aio::TaskGroup tg;
        (void)tg.create_task(fail_after(0ms, "x"));
        co_await aio::sleep(2ms);
        EXPECT_THROW((void)tg.create_task(value_after(1, 0ms)), aio::RuntimeError);
        {  // expects aio::ExceptionGroup
            auto raised = co_await aio::test::raises<aio::ExceptionGroup>(tg.wait());
            EXPECT_TRUE(raised.has_value()) << "awaiting tg.wait() did not throw aio::ExceptionGroup";
        }
    }());
}

TEST(TaskGroup, CancellingTheWaiterCancelsTheGroup) {
    int cancelled = 0;
    auto child = [&]() -> aio::Task<int> {
        try {
            co_await aio::sleep(1h);
        } catch (const aio::CancelledError&) {
            ++cancelled;
            throw;
        }
        co_return 0;
    };
    aio::run([&]() -> aio::Task<> {
        auto body = [&]() -> aio::Task<> {
            aio::TaskGroup tg;
            (void)tg.create_task(child());
            (void)tg.create_task(child());
            co_await tg.wait();
        };
        auto t = aio::create_task(body());
        co_await aio::sleep(1ms);
        t.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
        EXPECT_EQ(cancelled, 2);
    }());
}

TEST(TaskGroup, DestroyedBeforeWaitCancelsItsTasks) {
    aio::run([]() -> aio::Task<> {
        aio::Task<int> t;
        {
            aio::TaskGroup tg;
            t = tg.create_task(value_after(1, 1h));
        }
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(t);
            EXPECT_TRUE(raised.has_value()) << "awaiting t did not throw aio::CancelledError";
        }
    }());
}
